//! Street addresses (`address`): house number + street name + street suffix, optionally followed by
//! unit, city, state and ZIP (US) or city and postcode (UK); and `P.O. Box 123`.
//!
//! Grammar (ASCII; words separated by one space):
//! - house number: 1-6 digits at a word start, optionally one letter (`221B`);
//! - 1-4 street-name words: capitalised (`Main`, `O'Neil`, `MAIN`), ordinals (`5th`, `42nd`) or
//!   directionals (`N`, `SW`, `W.`); a suffix word in first position counts as a name
//!   (`12 Court Street`);
//! - a street suffix (`Street`, `St`, `St.`, `Ave`, `Road`, ... see `suffix_len`), optionally a
//!   directional after it (`Ave NW`);
//! - optionally a unit: `, Apt 4B`, `Suite 200`, `Unit 3`, `#12`;
//! - optionally `, City, ST 12345` / `, City ST 12345-6789` (US state code; the ZIP may be absent)
//!   or `, City SW1A 2AA` (UK postcode). A city is only included with a state or a postcode.
//!
//! Anchored on digit runs at a word start followed by one space and a capital letter or digit; a
//! 32-byte block scan skips text without such digits. Confidence 0.85.

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
    while let Some(d) = starts.next(i) {
        if let Some((s, e)) = address_at(t, d) {
            out.push(Finding::new(EntityType::Address, s, e, CONF));
            i = e;
            continue;
        }
        // Skip the rest of this digit run.
        i = d;
        while at(t, i).is_ascii_digit() {
            i += 1;
        }
    }
}

/// May byte `cur` (after `prev`) start a house number: a digit at a word start that is not part
/// of a longer number or identifier. Branch-free so the block loop vectorises.
#[inline(always)]
fn start_at(prev: u8, cur: u8) -> bool {
    let digit = cur.wrapping_sub(b'0') < 10;
    let prev_ok = !((prev.wrapping_sub(b'0') < 10)
        | ((prev | 0x20).wrapping_sub(b'a') < 26)
        | (prev >= 0x80)
        | (prev == b'.')
        | (prev == b'-')
        | (prev == b'/')
        | (prev == b':')
        | (prev == b'$')
        | (prev == b'#')
        | (prev == b'+')
        | (prev == b'_')
        | (prev == b'@')
        | (prev == b'\\')
        | (prev == b'%')
        | (prev == b'='));
    digit & prev_ok
}

/// House-number starts (`start_at`, with the byte before the text read as 0) as a bit mask per
/// aligned 64-byte block; blocks only move forward, so each is classified once.
struct Starts<'t> {
    t: &'t [u8],
    base: usize,
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

    #[inline(never)]
    fn load(&mut self, base: usize) {
        // window[k] = t[base - 1 + k] (0 outside the text), k in 0..65.
        let mut window = [0u8; 65];
        match base.checked_sub(1).and_then(|s| self.t.get(s..base + 64)) {
            Some(w) => window.copy_from_slice(w),
            None => {
                for (k, d) in window.iter_mut().enumerate() {
                    *d = (base + k)
                        .checked_sub(1)
                        .and_then(|j| self.t.get(j))
                        .copied()
                        .unwrap_or(0);
                }
            }
        }
        let mut f = [0u8; 64];
        for (o, w) in f.iter_mut().zip(window.windows(2)) {
            if let [p, c] = w {
                *o = u8::from(start_at(*p, *c));
            }
        }
        let mut m = 0u64;
        for (j, ch) in f.chunks_exact(8).enumerate() {
            let mut b = [0u8; 8];
            b.copy_from_slice(ch);
            let x = u64::from_le_bytes(b);
            m |= (x.wrapping_mul(0x0102_0408_1020_4080) >> 56) << (8 * j);
        }
        self.base = base;
        self.mask = m;
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

/// An address whose house number (or P.O. box number) starts at `i`: `(start, end)`.
fn address_at(t: &[u8], i: usize) -> Option<(usize, usize)> {
    let mut p = i;
    while at(t, p).is_ascii_digit() {
        p += 1;
    }
    let digits = p - i;
    if digits == 0 || digits > 6 {
        return None;
    }
    // P.O. Box: the number follows `Box `.
    if let Some(s) = po_box_start(t, i) {
        if at(t, p).is_ascii_alphanumeric() {
            return None;
        }
        let end = tail(t, p).unwrap_or(p);
        return Some((s, end));
    }
    if at(t, p).is_ascii_alphabetic() && at(t, p + 1) == b' ' {
        p += 1; // 221B
    }
    if at(t, p) != b' ' {
        return None;
    }
    let n1 = at(t, p + 1);
    if !(n1.is_ascii_uppercase() || n1.is_ascii_digit()) {
        return None;
    }
    // Street words.
    let mut names = 0usize;
    let mut w = p + 1;
    let mut street_end = None;
    for _ in 0..5 {
        let e = word_end(t, w);
        let word = t.get(w..e).unwrap_or_default();
        if word.is_empty() {
            return None;
        }
        if names >= 1
            && let Some(len) = suffix_len(word)
        {
            street_end = Some(w + len);
            break;
        }
        if !(is_name(word) || is_ordinal(word) || directional_len(word).is_some()) {
            return None;
        }
        names += 1;
        if names > 4 || at(t, e) != b' ' {
            return None;
        }
        w = e + 1;
    }
    let mut end = street_end?;
    // Post-directional: `Ave NW`.
    if at(t, end) == b' ' {
        let e = word_end(t, end + 1);
        if let Some(len) = t.get(end + 1..e).and_then(directional_len) {
            end = end + 1 + len;
        }
    }
    // Unit.
    if let Some(e) = unit(t, end) {
        end = e;
    }
    if let Some(e) = tail(t, end) {
        end = e;
    }
    Some((i, end))
}

/// `P.O. Box `, `PO Box `, `P. O. Box `, `Post Office Box ` (case-insensitive) right before `i`:
/// the start of the phrase.
fn po_box_start(t: &[u8], i: usize) -> Option<usize> {
    let box_start = i.checked_sub(4)?;
    let b = t.get(box_start..i)?;
    if !b.eq_ignore_ascii_case(b"box ") {
        return None;
    }
    for pre in [&b"p.o. "[..], b"po ", b"p. o. ", b"p.o.", b"post office "] {
        if let Some(s) = box_start.checked_sub(pre.len())
            && t.get(s..box_start)
                .is_some_and(|x| x.eq_ignore_ascii_case(pre))
            && (s == 0 || !at(t, s - 1).is_ascii_alphanumeric())
        {
            return Some(s);
        }
    }
    None
}

/// End of the word starting at `w`: letters, digits, `' . -` and non-ASCII bytes.
fn word_end(t: &[u8], w: usize) -> usize {
    let mut e = w;
    while e < t.len() {
        let b = at(t, e);
        if b.is_ascii_alphanumeric() || b >= 0x80 || matches!(b, b'\'' | b'.' | b'-') {
            e += 1;
        } else {
            break;
        }
    }
    e
}

/// A capitalised name word: ASCII upper-case first, then letters, `' - .` or non-ASCII.
fn is_name(w: &[u8]) -> bool {
    let Some((&f, rest)) = w.split_first() else {
        return false;
    };
    f.is_ascii_uppercase()
        && rest
            .iter()
            .all(|&b| b.is_ascii_alphabetic() || b >= 0x80 || matches!(b, b'\'' | b'-' | b'.'))
}

/// `5th`, `42nd`, `1st`, `103rd`.
fn is_ordinal(w: &[u8]) -> bool {
    let d = w.iter().take_while(|b| b.is_ascii_digit()).count();
    if d == 0 || d > 3 {
        return false;
    }
    let s = w.get(d..).unwrap_or_default();
    s.eq_ignore_ascii_case(b"st")
        || s.eq_ignore_ascii_case(b"nd")
        || s.eq_ignore_ascii_case(b"rd")
        || s.eq_ignore_ascii_case(b"th")
}

/// A directional word (`N`, `N.`, `SW`, `S.W.`): its length.
fn directional_len(w: &[u8]) -> Option<usize> {
    matches!(
        w,
        b"N" | b"S"
            | b"E"
            | b"W"
            | b"N."
            | b"S."
            | b"E."
            | b"W."
            | b"NE"
            | b"NW"
            | b"SE"
            | b"SW"
            | b"N.E."
            | b"N.W."
            | b"S.E."
            | b"S.W."
    )
    .then_some(w.len())
}

/// A street suffix word (capitalised or upper-case): the length to include (an abbreviation keeps
/// its dot; a full word followed by a sentence dot does not).
fn suffix_len(w: &[u8]) -> Option<usize> {
    let f = *w.first()?;
    if !f.is_ascii_uppercase() {
        return None;
    }
    let (core, dot) = match w.strip_suffix(b".") {
        Some(c) => (c, true),
        None => (w, false),
    };
    if core.len() > 12 {
        return None;
    }
    let mut buf = [0u8; 12];
    let l = buf.get_mut(..core.len())?;
    l.copy_from_slice(core);
    l.make_ascii_lowercase();
    // Mixed case like `StReet` is not a suffix: all lower after the first, or all upper.
    let rest = core.get(1..).unwrap_or_default();
    if !(rest.iter().all(|b| !b.is_ascii_uppercase())
        || rest.iter().all(|b| !b.is_ascii_lowercase()))
    {
        return None;
    }
    let full = matches!(
        &*l,
        b"street"
            | b"avenue"
            | b"road"
            | b"boulevard"
            | b"lane"
            | b"drive"
            | b"court"
            | b"way"
            | b"place"
            | b"terrace"
            | b"parkway"
            | b"highway"
            | b"circle"
            | b"square"
            | b"trail"
            | b"crescent"
            | b"close"
            | b"alley"
            | b"row"
            | b"pike"
            | b"plaza"
            | b"expressway"
            | b"freeway"
            | b"turnpike"
    );
    let abbrev = matches!(
        &*l,
        b"st"
            | b"ave"
            | b"av"
            | b"rd"
            | b"blvd"
            | b"ln"
            | b"dr"
            | b"ct"
            | b"pl"
            | b"ter"
            | b"terr"
            | b"pkwy"
            | b"hwy"
            | b"cir"
            | b"sq"
            | b"trl"
            | b"cres"
            | b"aly"
            | b"expy"
            | b"fwy"
    );
    if abbrev {
        Some(w.len())
    } else if full {
        Some(core.len())
    } else {
        let _ = dot;
        None
    }
}

/// `[,] Apt 4B` / `Suite 200` / `Unit 3` / `#12` after `p`: the new end.
fn unit(t: &[u8], p: usize) -> Option<usize> {
    let mut q = p;
    if at(t, q) == b',' {
        q += 1;
    }
    if at(t, q) != b' ' {
        return None;
    }
    q += 1;
    if at(t, q) == b'#' {
        q += 1;
        if at(t, q) == b' ' {
            q += 1;
        }
        return unit_id(t, q);
    }
    let e = word_end(t, q);
    let w = t.get(q..e)?;
    let core = w.strip_suffix(b".").unwrap_or(w);
    let known = [
        &b"apt"[..],
        b"apartment",
        b"suite",
        b"ste",
        b"unit",
        b"fl",
        b"floor",
        b"rm",
        b"room",
        b"bldg",
        b"building",
    ]
    .iter()
    .any(|k| k.eq_ignore_ascii_case(core));
    if !known || !w.first().is_some_and(u8::is_ascii_uppercase) {
        return None;
    }
    q = e;
    if at(t, q) != b' ' {
        return None;
    }
    q += 1;
    if at(t, q) == b'#' {
        q += 1;
    }
    unit_id(t, q)
}

/// A unit identifier at `q`: 1-6 of `[A-Za-z0-9-]` with a digit, or a single letter.
fn unit_id(t: &[u8], q: usize) -> Option<usize> {
    let mut e = q;
    while e < t.len() && e - q < 7 && (at(t, e).is_ascii_alphanumeric() || at(t, e) == b'-') {
        e += 1;
    }
    let id = t.get(q..e)?;
    if id.is_empty() || id.len() > 6 || at(t, e).is_ascii_alphanumeric() {
        return None;
    }
    let ok = id.iter().any(u8::is_ascii_digit)
        || (id.len() == 1 && id.iter().all(u8::is_ascii_alphabetic));
    ok.then_some(e)
}

/// `, City[,] ST[ 12345[-6789]]` or `, City SW1A 2AA` after `p`: the new end.
fn tail(t: &[u8], p: usize) -> Option<usize> {
    if at(t, p) != b',' || at(t, p + 1) != b' ' {
        return None;
    }
    // City: 1-3 capitalised words.
    let mut q = p + 2;
    let mut words = 0;
    let mut city_end = None;
    while words < 3 {
        let e = word_end(t, q);
        let w = t.get(q..e)?;
        if !is_name(w) || w.len() < 2 || w.last() == Some(&b'.') && w.len() > 3 {
            break;
        }
        words += 1;
        city_end = Some(e);
        // Try the state / postcode after this word.
        let mut s = e;
        if at(t, s) == b',' {
            s += 1;
        }
        if at(t, s) == b' ' {
            s += 1;
            if let Some(end) = state_zip(t, s).or_else(|| uk_postcode(t, s)) {
                return Some(end);
            }
        }
        if at(t, e) != b' ' {
            break;
        }
        q = e + 1;
    }
    let _ = city_end;
    None
}

fn is_state(s: &[u8]) -> bool {
    matches!(
        s,
        b"AL"
            | b"AK"
            | b"AZ"
            | b"AR"
            | b"CA"
            | b"CO"
            | b"CT"
            | b"DE"
            | b"FL"
            | b"GA"
            | b"HI"
            | b"ID"
            | b"IL"
            | b"IN"
            | b"IA"
            | b"KS"
            | b"KY"
            | b"LA"
            | b"ME"
            | b"MD"
            | b"MA"
            | b"MI"
            | b"MN"
            | b"MS"
            | b"MO"
            | b"MT"
            | b"NE"
            | b"NV"
            | b"NH"
            | b"NJ"
            | b"NM"
            | b"NY"
            | b"NC"
            | b"ND"
            | b"OH"
            | b"OK"
            | b"OR"
            | b"PA"
            | b"RI"
            | b"SC"
            | b"SD"
            | b"TN"
            | b"TX"
            | b"UT"
            | b"VT"
            | b"VA"
            | b"WA"
            | b"WV"
            | b"WI"
            | b"WY"
            | b"DC"
            | b"PR"
    )
}

/// `ST[ 12345[-6789]]` at `s`: the end.
fn state_zip(t: &[u8], s: usize) -> Option<usize> {
    let st = t.get(s..s + 2)?;
    if !is_state(st) || at(t, s + 2).is_ascii_alphanumeric() {
        return None;
    }
    let mut end = s + 2;
    if at(t, end) == b' ' && zip_len(t, end + 1) > 0 {
        end = end + 1 + zip_len(t, end + 1);
    }
    Some(end)
}

fn zip_len(t: &[u8], z: usize) -> usize {
    let five = (z..z + 5).all(|k| at(t, k).is_ascii_digit());
    if !five {
        return 0;
    }
    if at(t, z + 5) == b'-' && (z + 6..z + 10).all(|k| at(t, k).is_ascii_digit()) {
        if at(t, z + 10).is_ascii_alphanumeric() {
            return 0;
        }
        return 10;
    }
    if at(t, z + 5).is_ascii_alphanumeric() {
        return 0;
    }
    5
}

/// UK postcode `A9 9AA`, `A99 9AA`, `AA9 9AA`, `AA99 9AA`, `A9A 9AA`, `AA9A 9AA` at `s`.
fn uk_postcode(t: &[u8], s: usize) -> Option<usize> {
    let e = word_end(t, s);
    let out = t.get(s..e)?;
    let n = out.len();
    if !(2..=4).contains(&n)
        || !out.first().is_some_and(u8::is_ascii_uppercase)
        || !out
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        || !out.iter().any(u8::is_ascii_digit)
        || at(t, e) != b' '
    {
        return None;
    }
    let inw = t.get(e + 1..e + 4)?;
    let ok = matches!(inw, [d, a, b] if d.is_ascii_digit() && a.is_ascii_uppercase() && b.is_ascii_uppercase());
    (ok && !at(t, e + 4).is_ascii_alphanumeric()).then_some(e + 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        find(text.as_bytes(), &mut out);
        out.iter()
            .map(|f| text[f.start..f.end].to_string())
            .collect()
    }

    #[test]
    fn positives() {
        for (text, want) in [
            (
                "Ship to 123 Main St, Springfield, IL 62701 today",
                "123 Main St, Springfield, IL 62701",
            ),
            ("I live at 42 Oak Avenue.", "42 Oak Avenue"),
            (
                "at 1600 Pennsylvania Ave NW, Washington, DC 20500",
                "1600 Pennsylvania Ave NW, Washington, DC 20500",
            ),
            (
                "221B Baker Street, London NW1 6XE",
                "221B Baker Street, London NW1 6XE",
            ),
            (
                "office: 500 W 5th St., Suite 200, Austin, TX 78701",
                "500 W 5th St., Suite 200, Austin, TX 78701",
            ),
            ("send to P.O. Box 123", "P.O. Box 123"),
            ("12 Court Street", "12 Court Street"),
            (
                "{\"address\":\"77 Sunset Blvd Apt 4B\"}",
                "77 Sunset Blvd Apt 4B",
            ),
            ("9 Elm Rd #12, Portland, OR", "9 Elm Rd #12, Portland, OR"),
        ] {
            assert_eq!(run(text), vec![want.to_string()], "{text:?}");
        }
    }

    #[test]
    fn negatives() {
        for text in [
            "3 Main ideas",
            "version 2 Drive",
            "for i in 1..10 Street",
            "took 15 Minutes",
            "v1.2 Main Street",
            "at 12:30 Main St",
            "Box 12",
        ] {
            assert!(run(text).is_empty(), "{text:?}: {:?}", run(text));
        }
        let mut out = Vec::new();
        find(b"12 Main St, \xff\xe2\x80 5 Oak Rd", &mut out);
        assert_eq!(out.len(), 2);
    }
}
