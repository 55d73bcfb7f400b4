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
//!   in every format). `P.O. Box 123` takes the same tail.
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
//!   without a known suffix; the whole value is the span.
//!
//! Precision: a weak suffix (one that is also a common word: `Way`, `Loop`, `Points`, `Views`) needs
//! a unit, a city tail, an address field or a cue word before the number (`at`, `to`, `address`);
//! a street without suffix needs a ZIP or postcode; a reference word before the number
//! (`Chapter 3`, `Top 10`, `page 12`) or a quantity word in the name (`4 Wheel Drive`,
//! `1 TB Hard Drive`) rejects the candidate.
//!
//! Anchors: digit runs at a word start (a 64-byte block classifier skips text without them). Every
//! form is checked only there, looking a bounded distance back or forward; word lists are sorted
//! constant arrays searched by binary search (`lexicon`). Confidence 0.85.

mod eu;
mod field;
mod lexicon;
mod us;

use crate::entity::{EntityType, Finding};

const CONF: f64 = 0.85;

#[inline]
fn at(t: &[u8], i: usize) -> u8 {
    t.get(i).copied().unwrap_or(0)
}

/// Append street-address findings.
pub fn find(text: &[u8], out: &mut Vec<Finding>) {
    let t = text;
    let mut starts = Starts::new(t);
    let mut i = 0usize;
    let mut floor = 0usize;
    while let Some(d) = starts.next(i) {
        if let Some((s, e)) = address_at(t, d, floor) {
            out.push(Finding::new(EntityType::Address, s, e, CONF));
            floor = e;
            i = e.max(d + 1);
            continue;
        }
        // Skip the rest of this digit run.
        i = d;
        while at(t, i).is_ascii_digit() {
            i += 1;
        }
    }
}

/// May a house number start right after byte `prev`: not after a digit, letter, non-ASCII byte or
/// a byte that joins it to a longer number or identifier (`v1.2`, `$5`, `#3`, `a_1`, `x=2`).
const PREV_BAD: [u64; 4] = {
    let mut set = [0u64; 4];
    let mut b = 0usize;
    while b < 256 {
        let c = b as u8;
        let bad = c.is_ascii_alphanumeric()
            || c >= 0x80
            || matches!(
                c,
                b'.' | b'-' | b'/' | b':' | b'$' | b'#' | b'+' | b'_' | b'@' | b'\\' | b'%' | b'='
            );
        if bad {
            set[b >> 6] |= 1 << (b & 63);
        }
        b += 1;
    }
    set
};

#[inline]
fn prev_ok(prev: u8) -> bool {
    PREV_BAD
        .get(usize::from(prev >> 6))
        .is_some_and(|w| w & (1 << (prev & 63)) == 0)
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The ASCII digits of 8 bytes as one bit per byte (bit `k` for byte `k`, little-endian).
#[inline(always)]
fn digits8(x: u64) -> u64 {
    // SWAR on the low 7 bits of each byte (no carries between bytes): the high bit of
    // `low + 0x50` is `low >= 0x30`, of `low + 0x46` is `low >= 0x3A`; bytes >= 0x80 are dropped.
    let low = x & !HIGH;
    let m = low.wrapping_add(0x50 * ONES) & !low.wrapping_add(0x46 * ONES) & !x & HIGH;
    // Gather the 8 high bits into one byte.
    ((m >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56
}

/// House-number starts: a digit at a word start that is not part of a longer number or
/// identifier (the byte before the text read as 0). Per aligned 64-byte block, a SWAR pass finds
/// the digit runs; the byte before each run is tested only there (`prev_ok`). Blocks only move
/// forward, so each is loaded once.
struct Starts<'t> {
    t: &'t [u8],
    base: usize,
    /// House-number starts in the block at `base`, one bit per byte.
    mask: u64,
}

impl<'t> Starts<'t> {
    fn new(t: &'t [u8]) -> Self {
        Starts {
            t,
            base: usize::MAX,
            mask: 0,
        }
    }

    #[inline]
    fn load(&mut self, base: usize) {
        let mut digits = 0u64;
        match self.t.get(base..base + 64) {
            Some(block) => {
                for (j, ch) in block.chunks_exact(8).enumerate() {
                    let mut b = [0u8; 8];
                    b.copy_from_slice(ch);
                    digits |= digits8(u64::from_le_bytes(b)) << (8 * j);
                }
            }
            None => {
                // The last, short block: zero bytes are not digits.
                let rest = self.t.get(base..).unwrap_or_default();
                for (j, ch) in rest.chunks(8).enumerate() {
                    let mut b = [0u8; 8];
                    if let Some(d) = b.get_mut(..ch.len()) {
                        d.copy_from_slice(ch);
                    }
                    digits |= digits8(u64::from_le_bytes(b)) << (8 * j);
                }
            }
        }
        let prev_digit = base
            .checked_sub(1)
            .and_then(|j| self.t.get(j))
            .is_some_and(u8::is_ascii_digit);
        // Keep the run starts whose previous byte lets a number start (branch-free per run).
        let mut runs = digits & !((digits << 1) | u64::from(prev_digit));
        let mut keep = 0u64;
        while runs != 0 {
            let k = runs.trailing_zeros();
            let prev = (base + k as usize)
                .checked_sub(1)
                .and_then(|j| self.t.get(j))
                .copied()
                .unwrap_or(0);
            keep |= u64::from(prev_ok(prev)) << k;
            runs &= runs - 1;
        }
        self.base = base;
        self.mask = keep;
    }

    /// Next house-number start at or after `i`.
    #[inline]
    fn next(&mut self, mut i: usize) -> Option<usize> {
        while i < self.t.len() {
            let base = i & !63;
            if base != self.base {
                self.load(base);
            }
            let m = self.mask >> (i - base);
            if m != 0 {
                return Some(i + m.trailing_zeros() as usize);
            }
            i = base + 64;
        }
        None
    }
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
        (Some(f), Some(_)) => f,
        (Some(f), None) => f,
        (None, Some(v)) => v,
        (None, None) => return None,
    };
    (span.0 >= floor && span.0 < span.1).then_some(span)
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

/// A word byte: letters, digits, `' . - /` and non-ASCII bytes.
#[inline]
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80 || matches!(b, b'\'' | b'.' | b'-' | b'/')
}

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
