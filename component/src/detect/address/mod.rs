//! Street addresses (`address`): US, UK and common European forms, in prose and as field values.
//!
//! What the span is: the whole postal address as written on one or more lines, from the house
//! number (or a leading `Flat 2, ` / the street-type word of a name-first form) through the unit,
//! city, state and ZIP/postcode when they follow. A country name after it, a recipient name before
//! it and the words around it are not part of it. A ZIP code, city or person name inside the span
//! is not reported separately: `address` is as strong as `zip_code` and longer, and the NER types
//! are weaker, so overlap resolution drops them (`detect::resolve_overlaps`); a lone ZIP elsewhere
//! stays a `zip_code`.
//!
//! Forms (words separated by one space; the line separators are `, `, a newline or `\r\n`):
//! - **US/UK, number first** (`us`): house number (`12`, `221B`, `12-14`), 1-5 street-name words
//!   (capitalised or all-caps words, `5th`/`34th`, directionals `N`/`SW`/`North`, particles such as
//!   `of the`), a USPS Publication 28 C1 street suffix (`Street`, `Avenu`, `Blvd`, `Xing`...) or a
//!   highway (`State Route 9`, `County Road 12`, `Highway 1`, `US-101`), an optional
//!   post-directional, up to two Pub. 28 C2 units (`Apt 4B`, `Ste 400`, `#12`, `Fl 18`, `Rear`),
//!   then optionally `City, ST 12345[-6789]` (state code or name) or `City SW1A 2AA` (UK postcode
//!   in every format), with up to two more place parts before it after `, ` or a line break
//!   (`, Marylebone, London NW1 6XE`). `P.O. Box 123` takes the same tail.
//! - **FR, number first** (`eu`): `17 avenue Victor Hugo`, `17, rue de la Paix`, `8 bis rue ...`,
//!   optionally followed by `75016 Paris` (EU postcode tail).
//! - **Name first** (`eu`): `Hauptstraße 5`, `Hauptstr. 5a`, `Keizersgracht 123`,
//!   `Drottninggatan 53` (compound street words), `Neue Straße 3`, `Via Roma 10`, `Calle Mayor 5`,
//!   `C/ Mayor, 5`, `Avda. de la Constitución 12`, `Rue de la Loi 16` (leading type words),
//!   `Am Markt 3` (prepositional names; only with a clear end after the number), and a bare name
//!   with a strong postcode after it (`Damrak 1, 1012 LG Amsterdam`). EU postcode tails: 5 digits,
//!   4 digits (AT/CH/BE/DK/NO), NL `1012 LG`, PT `1100-053`, SE `111 21`, with an optional country
//!   prefix (`D-10115`), then the city (`Frankfurt am Main`, `Den Haag`).
//! - **Address fields** (`field`): the value of a JSON/YAML/env/code field named as an address
//!   (`address`, `street`, `billing_address`, `shipping_address`, `address_line1`, `home_address`,
//!   `mailing_address`, ...) that holds a house number and a capitalised word is an address even
//!   without a known suffix; the whole value is the span. A house number glued to such a key by
//!   `=` (`billing_address=4 Privet Drive`, `.env` and logfmt) starts an address like any other.
//!
//! Precision: a weak suffix (one that is also a common word: `Way`, `Loop`, `Points`, `Views`) needs
//! a unit, a city tail, an address field or a cue word before the number (`at`, `to`, `address`);
//! a street without suffix needs a ZIP or postcode; a reference word before the number
//! (`Chapter 3`, `Top 10`, `page 12`) or a quantity word in the name (`4 Wheel Drive`,
//! `1 TB Hard Drive`) rejects the candidate.
//!
//! Anchors: digit runs at a word start (a 64-byte block classifier skips text without them), and
//! digits right after a `=` whose key is an address key (the blocks' `glued` mask). Every
//! form is checked only there, looking a bounded distance back or forward; word lists are sorted
//! constant arrays searched by binary search (`lexicon`). Confidence 0.85.

mod eu;
mod field;
mod lexicon;
mod us;

use super::blocks::{self, Block};
use crate::entity::{EntityType, Finding};

const CONF: f64 = 0.85;

#[inline]
fn at(t: &[u8], i: usize) -> u8 {
    t.get(i).copied().unwrap_or(0)
}

/// Append street-address findings.
pub fn find(text: &[u8], out: &mut Vec<Finding>) {
    find_in(text, &blocks::masks(text), out);
}

/// [`find`] with the text's block masks already computed (`masks` must be
/// [`blocks::masks`]`(text)`): the anchors are their `start` bits, then their `glued` ones.
pub(crate) fn find_in(text: &[u8], masks: &[Block], out: &mut Vec<Finding>) {
    let t = text;
    let mut i = 0usize;
    let mut floor = 0usize;
    while let Some(d) = next_start(t, masks, i) {
        if let Some((s, e)) = address_at(t, d, floor) {
            out.push(Finding::new(EntityType::Address, s, e, CONF));
            floor = e;
            i = e.max(d + 1);
            continue;
        }
        // No start lies inside this digit run (a digit joins), so the next one is past it.
        i = d + 1;
    }
    // A house number glued by `=` to an address key (`billing_address=4 Privet Drive`), which
    // `start` leaves out (`x=2`): the blocks' `glued` digits whose value looks like a street
    // ([`glued_shape`]) and whose key may be an address key (its last two bytes), then the whole
    // key. A walk of its own, so the one above keeps reading one mask per block.
    for (k, blk) in masks.iter().enumerate() {
        let mut x = blk.glued;
        while x != 0 {
            let d = (k << 6) + x.trailing_zeros() as usize;
            x &= x - 1;
            if glued_shape(t, d)
                && field::key_may_end(t, d.wrapping_sub(1))
                && field::value_start(t, d).is_some()
                && let Some((s, e)) = address_at(t, d, 0)
            {
                out.push(Finding::new(EntityType::Address, s, e, CONF));
            }
        }
    }
}

/// Next house-number start at or after `i`: a digit at a word start that is not part of a longer
/// number or identifier ([`joins`]), from the blocks' `start` masks.
#[inline]
fn next_start(t: &[u8], masks: &[Block], i: usize) -> Option<usize> {
    if i >= t.len() {
        return None;
    }
    let mut k = i >> 6;
    let mut m = masks.get(k)?.start & (u64::MAX << (i & 63));
    while m == 0 {
        k += 1;
        m = masks.get(k)?.start;
    }
    Some((k << 6) + m.trailing_zeros() as usize)
}

/// After `=`: a house number (1-6 digits, an optional letter), a space, then a capitalised word
/// (`4 Privet`, `221B Baker`) or a lower-case word followed by a space (`17 avenue Victor`, not
/// the next `key=` of a log line: `status=200 dur=31ms`). Read before the key.
#[inline]
fn glued_shape(t: &[u8], p: usize) -> bool {
    let mut q = p;
    while q - p < 6 && at(t, q).is_ascii_digit() {
        q += 1;
    }
    if at(t, q).is_ascii_alphabetic() {
        q += 1;
    }
    if at(t, q) != b' ' {
        return false;
    }
    q += 1;
    if at(t, q).is_ascii_uppercase() {
        return true;
    }
    let w = q;
    while q - w < 12 && at(t, q).is_ascii_lowercase() {
        q += 1;
    }
    q > w && at(t, q) == b' '
}

/// Can byte `c` not come right before a house number: a digit, letter or non-ASCII byte, or a
/// byte that joins a number to a longer number or identifier (`v1.2`, `$5`, `#3`, `a_1`, `x=2`).
/// The scan reads it vectorised from `blocks::Block::start`; this is the definition the blocks
/// test checks that mask against.
#[cfg(test)]
pub(crate) fn joins(c: u8) -> bool {
    // `-./0123456789:` is one range, `#$%` another.
    (c.wrapping_sub(b'-') < 14)
        | ((c | 0x20).wrapping_sub(b'a') < 26)
        | (c >= 0x80)
        | (c.wrapping_sub(b'#') < 3)
        | (c == b'=')
        | (c == b'+')
        | (c == b'_')
        | (c == b'@')
        | (c == b'\\')
}

/// The address whose house number (or P.O. box number) starts at `d`, starting at or after
/// `floor`: `(start, end)`.
fn address_at(t: &[u8], d: usize, floor: usize) -> Option<(usize, usize)> {
    let p = house_number(t, d)?;
    // Decimals, times and thousands (`3.2ms`, `12:00`, `1,500`) are not house numbers.
    if matches!(at(t, p), b'.' | b':' | b',') && at(t, p + 1).is_ascii_digit() {
        return None;
    }
    if let Some(s) = us::po_box_start(t, d) {
        if at(t, p).is_ascii_alphanumeric() {
            return None;
        }
        let end = us::tail(t, p).map_or(p, |(e, _)| e);
        return (s >= floor).then_some((s, end));
    }
    let found = us::forward(t, d, p)
        .or_else(|| eu::backward(t, d, p))
        .or_else(|| us::military(t, d, p))
        .or_else(|| eu::prev_line_street(t, d));
    let found = found.map(|(s, e)| (us::lead_unit(t, s).unwrap_or(s), e));
    // A field named as an address: its whole value, when it holds a house number.
    let value = field::value_start(t, d)
        .or_else(|| found.map(|(s, _)| s).filter(|&s| s < d))
        .or_else(|| {
            // A value that starts with a name (`"Damrak 1"`): the word before is capitalised.
            if at(t, d.checked_sub(1)?) != b' ' {
                return None;
            }
            let w0 = word_before(t, d - 1)?;
            cap_start(t.get(w0..)?)
                .then(|| eu::words_start(t, d))
                .flatten()
        })
        .and_then(|s| field::value(t, s).map(|e| (s, e)))
        .filter(|&(s, e)| field::plausible(t.get(s..e).unwrap_or_default()));
    let span = match (found, value) {
        // A quoted value is the whole address; an unquoted one (`Adresse : 17 avenue ...`) may be
        // prose, so the grammar's span stands.
        (Some((s, e)), Some((vs, ve))) if matches!(at(t, vs.wrapping_sub(1)), b'"' | b'\'') => {
            (s.min(vs), e.max(ve))
        }
        // An unquoted value whose rest after the grammar's span is only `, Place` parts (`4 Privet
        // Drive, Little Whinging, Surrey` under `address:`): the whole value.
        (Some((s, e)), Some((vs, ve)))
            if ve > e && places_only(t.get(e..ve).unwrap_or_default()) =>
        {
            (s.min(vs), ve)
        }
        (Some(f), Some(_)) => f,
        (Some(f), None) => f,
        (None, Some(v)) => v,
        (None, None) => return None,
    };
    (span.0 >= floor && span.0 < span.1).then_some(span)
}

/// `, Place, Region` parts only: each after a comma, 1-4 words starting with a capital letter
/// (letters, `' . -` inside), at most four parts.
fn places_only(rest: &[u8]) -> bool {
    let Some(rest) = rest.strip_prefix(b",") else {
        return false;
    };
    let parts: Vec<&[u8]> = rest.split(|&b| b == b',').collect();
    parts.len() <= 4
        && parts.iter().all(|p| {
            let words: Vec<&[u8]> = p.split(|&b| b == b' ').filter(|w| !w.is_empty()).collect();
            (1..=4).contains(&words.len())
                && words.iter().all(|w| {
                    w.first().is_some_and(u8::is_ascii_uppercase)
                        && w.iter().all(|&b| {
                            b.is_ascii_alphabetic() || b >= 0x80 || matches!(b, b'\'' | b'.' | b'-')
                        })
                })
        })
}

/// The end of a house number at `d`: 1-6 digits, then an optional range or second number (`12-14`,
/// `3/7`) and an optional letter (`221B`, `5a`); `None` if it runs into more letters or digits.
fn house_number(t: &[u8], d: usize) -> Option<usize> {
    let mut p = digits_end(t, d);
    if p == d || p - d > 6 {
        return None;
    }
    if matches!(at(t, p), b'-' | b'/') && at(t, p + 1).is_ascii_digit() {
        let e = digits_end(t, p + 1);
        if e - p - 1 > 6 {
            return None;
        }
        p = e;
    }
    if at(t, p).is_ascii_alphabetic() && !at(t, p + 1).is_ascii_alphanumeric() {
        p += 1;
    }
    if at(t, p).is_ascii_alphanumeric() {
        return None;
    }
    Some(p)
}

fn digits_end(t: &[u8], mut p: usize) -> usize {
    while at(t, p).is_ascii_digit() {
        p += 1;
    }
    p
}

/// A word byte: letters, digits, `' . - /` and non-ASCII bytes (one table read: the word walks
/// test it per byte, and the tests' outcomes mispredicted).
#[inline]
fn is_word_byte(b: u8) -> bool {
    WORD_BYTE.get(usize::from(b)).copied().unwrap_or(false)
}

static WORD_BYTE: [bool; 256] = byte_table!(|b| b.is_ascii_alphanumeric()
    || b >= 0x80
    || matches!(b, b'\'' | b'.' | b'-' | b'/'));

/// End of the word starting at `w` (`is_word_byte`).
/// An apostrophe is part of the word only before a letter (`Queen's`, not `'12 Birch St'`).
fn word_end(t: &[u8], w: usize) -> usize {
    let mut e = w;
    while e < t.len() && is_word_byte(at(t, e)) {
        if at(t, e) == b'\'' && !(at(t, e + 1).is_ascii_alphabetic() || at(t, e + 1) >= 0x80) {
            break;
        }
        e += 1;
    }
    e
}

/// Does `w` start with a capital: ASCII upper-case, or a Latin-1 capital (`É`, `Ö`, `Å`: UTF-8
/// `C3 80`-`C3 9E` except `×`).
fn cap_start(w: &[u8]) -> bool {
    match w {
        [f, ..] if f.is_ascii_uppercase() => true,
        [0xC3, s, ..] => (0x80..=0x9E).contains(s) && *s != 0x97,
        _ => false,
    }
}

/// A capitalised name word: a capital, then letters, `' - .` or non-ASCII (`Main`, `O'Neil`,
/// `MAIN`, `Saint-Honoré`, `Jr.`).
fn is_name(w: &[u8]) -> bool {
    cap_start(w)
        && w.iter()
            .skip(1)
            .all(|&b| b.is_ascii_alphabetic() || b >= 0x80 || matches!(b, b'\'' | b'-' | b'.'))
}

/// Does `w` hold a lower-case letter (ASCII or any non-ASCII byte)?
fn has_lower(w: &[u8]) -> bool {
    w.iter().any(|&b| b.is_ascii_lowercase() || b >= 0x80)
}

/// `w` ASCII-lower-cased into `buf` (at most 24 bytes).
fn lower<'b>(w: &[u8], buf: &'b mut [u8; 24]) -> Option<&'b [u8]> {
    let l = buf.get_mut(..w.len())?;
    l.copy_from_slice(w);
    l.make_ascii_lowercase();
    Some(l)
}

/// Is `w`, lower-cased, in the sorted list?
fn in_list(list: &[&[u8]], w: &[u8]) -> bool {
    let mut buf = [0u8; 24];
    lower(w, &mut buf).is_some_and(|l| lexicon::has(list, l))
}

/// The word that ends right before byte `e` (`t[s..e]`, word bytes only): its start.
fn word_before(t: &[u8], e: usize) -> Option<usize> {
    let mut s = e;
    while s > 0 && is_word_byte(at(t, s - 1)) && e - s < 32 {
        s -= 1;
    }
    (s < e).then_some(s)
}

/// The word before the one starting at `s` (one space between), lower-cased check against `list`;
/// a trailing `:` on that word is ignored (`address: 12 ...`).
fn prev_word_in(t: &[u8], s: usize, list: &[&[u8]]) -> bool {
    if s < 2 || at(t, s - 1) != b' ' {
        return false;
    }
    let e = if at(t, s - 2) == b':' { s - 2 } else { s - 1 };
    word_before(t, e)
        .and_then(|ws| t.get(ws..e))
        .is_some_and(|w| in_list(list, w))
}

#[cfg(test)]
mod tests;
