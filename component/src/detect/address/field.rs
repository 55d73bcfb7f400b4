//! Field values named as addresses: `"address": "45 Kingsbury"`, `street: 9 Elmhurst`,
//! `ADDRESS="..."`, `address="..."`. The key is read backwards from the value start, only at a
//! candidate house number or street name.

use super::at;

/// Field names (lower-case, without `_`/`-`) whose value is a postal address.
const KEYS: &[&[u8]] = &[
    b"addr",
    b"address",
    b"address1",
    b"addressline1",
    b"adres",
    b"adresse",
    b"anschrift",
    b"billingaddress",
    b"billto",
    b"businessaddress",
    b"customeraddress",
    b"deliveryaddress",
    b"direccion",
    b"endereco",
    b"homeaddress",
    b"indirizzo",
    b"mailingaddress",
    b"officeaddress",
    b"physicaladdress",
    b"postaladdress",
    b"residentialaddress",
    b"shippingaddress",
    b"shipto",
    b"street",
    b"streetaddress",
    b"workaddress",
];

/// The last and last-but-one bytes of the `KEYS`.
const KEY_LAST: super::lexicon::ByteSet = super::lexicon::ByteSet::lasts(KEYS);
const KEY_PENULT: super::lexicon::ByteSet = super::lexicon::ByteSet::penults(KEYS);

/// Can the key that ends right before byte `e` be one of the `KEYS` (by its last two bytes, as
/// [`value`] tests them before reading the key)?
#[inline]
pub(super) fn key_may_end(t: &[u8], e: usize) -> bool {
    let last = at(t, e.wrapping_sub(1)).to_ascii_lowercase();
    let penult = at(t, e.wrapping_sub(2)).to_ascii_lowercase();
    let dash = |b: u8| b == b'_' || b == b'-';
    dash(last) || dash(penult) || KEY_LAST.contains(last) && KEY_PENULT.contains(penult)
}

/// If `s` starts the value of an address field: `s` (the value starts there).
pub(super) fn value_start(t: &[u8], s: usize) -> Option<usize> {
    value(t, s).map(|_| s)
}

/// If `s` starts the value of an address-named field (`"key": "`, `key: `, `key=`, `key="`):
/// the end of the value (its closing quote, or the end of the line).
pub(super) fn value(t: &[u8], s: usize) -> Option<usize> {
    let mut j = s;
    let quote = match at(t, j.checked_sub(1)?) {
        q @ (b'"' | b'\'') => {
            j -= 1;
            Some(q)
        }
        _ => None,
    };
    while j > 0 && at(t, j - 1) == b' ' && s - j < 4 {
        j -= 1;
    }
    if !matches!(at(t, j.checked_sub(1)?), b':' | b'=') {
        return None;
    }
    j -= 1;
    while j > 0 && at(t, j - 1) == b' ' && s - j < 8 {
        j -= 1;
    }
    if matches!(at(t, j.wrapping_sub(1)), b'"' | b'\'') {
        j -= 1;
    }
    // Most keys cannot end a known one: test the last two bytes before reading the key (unless
    // one is a `_`/`-`, which the comparison drops).
    if !key_may_end(t, j) {
        return None;
    }
    // The key: up to 32 of `[A-Za-z0-9_-]`, compared without `_`/`-`, case-insensitively.
    let mut key = [0u8; 32];
    let mut n = 0;
    let mut k = j;
    while k > 0 && j - k < 32 {
        let b = at(t, k - 1);
        if !(b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
            break;
        }
        k -= 1;
    }
    for &b in t.get(k..j)? {
        if b != b'_' && b != b'-' {
            *key.get_mut(n)? = b.to_ascii_lowercase();
            n += 1;
        }
    }
    if !super::lexicon::has(KEYS, key.get(..n)?) {
        return None;
    }
    // The value: to the closing quote, or to the end of the line (trimmed).
    let mut e = s;
    while e < t.len() && e - s < 200 {
        let b = at(t, e);
        if quote == Some(b) || b == b'\n' || b == b'\r' || (quote.is_none() && b == b'#') {
            break;
        }
        if b == b'\\' {
            e += 1;
        }
        e += 1;
    }
    if quote.is_some() && at(t, e) != quote.unwrap_or(0) {
        return None;
    }
    while e > s && matches!(at(t, e - 1), b' ' | b',' | b'\t' | b';')
        || (quote.is_none() && e > s && at(t, e - 1) == b'.')
    {
        e -= 1;
    }
    Some(e)
}

/// A plausible address value: up to 160 bytes, a space, no `@` or `://`, a house number (a digit
/// run at a word start with a capitalised word next to it) and no control bytes.
pub(super) fn plausible(v: &[u8]) -> bool {
    if v.len() > 160 || !v.contains(&b' ') || v.contains(&b'@') || v.windows(3).any(|w| w == b"://")
    {
        return false;
    }
    let words: Vec<&[u8]> = v
        .split(|&b| b == b' ' || b == b',')
        .filter(|w| !w.is_empty())
        .take(12)
        .collect();
    let number = |w: &[u8]| {
        let d = w.iter().take_while(|b| b.is_ascii_digit()).count();
        (1..=6).contains(&d) && w.len() <= d + 1
    };
    words.windows(2).any(|p| match p {
        [a, b] => (number(a) && super::cap_start(b)) || (super::cap_start(a) && number(b)),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_are_sorted() {
        assert!(super::KEYS.windows(2).all(|w| w[0] < w[1]));
    }
}
