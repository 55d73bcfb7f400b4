//! Dates and dates of birth.
//!
//! Formats (Go's three, validated, plus two):
//! - `yyyy-mm-dd`, `yyyy/mm/dd` (one separator; year 1000-2999, month 1-12, day 1-31); the date
//!   part of an ISO timestamp (`2024-05-01T12:00:00Z`) counts;
//! - `a-b-yy(yy)`, `a/b/yy(yy)` with month/day in either order (`01/15/2025`, `15/01/2025`),
//!   and dotted `dd.mm.yyyy` (4-digit year only, so versions `1.2.3` never match);
//! - `Month d[,] yyyy` and (added) `d Month[,] yyyy`: capitalised full English month names or the
//!   standard abbreviations (`Jan`, `Sept`, optionally with `.`); ordinals `15th` allowed.
//!
//! A date preceded within 32 bytes (same line, not past the previous date) by birth context
//! (`DOB`, `D.O.B.`, `date of birth`, `birth date`, `birthdate`, `birthday`, `born`, `geboren`,
//! `né(e) le`, `nacimiento`, `naissance`) is reported as `date_of_birth` instead.

use super::numeric::right_ok;
use super::{State, at, before, digit_run_end, is_alpha, is_digit, is_word, num, push};
use crate::entity::{EntityType, Finding};

const FULL: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const ABBR: [&str; 13] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec",
];

/// Is `w` a month name (`dot`: followed by `.`, so only abbreviations)?
fn is_month(w: &[u8], dot: bool) -> bool {
    ABBR.iter().any(|m| m.as_bytes() == w) || (!dot && FULL.iter().any(|m| m.as_bytes() == w))
}

fn is_hspace(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Skip 1-3 spaces/tabs from `i`; `None` if there is none.
fn skip_spaces(t: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    while j < i + 3 && is_hspace(at(t, j)) {
        j += 1;
    }
    (j > i).then_some(j)
}

/// Skip an ordinal suffix (`st`, `nd`, `rd`, `th`) right after a day number.
fn skip_ordinal(t: &[u8], i: usize) -> usize {
    let a = at(t, i).to_ascii_lowercase();
    let b = at(t, i + 1).to_ascii_lowercase();
    if matches!(
        (a, b),
        (b's', b't') | (b'n', b'd') | (b'r', b'd') | (b't', b'h')
    ) && !is_word(at(t, i + 2))
    {
        i + 2
    } else {
        i
    }
}

/// A 4-digit year starting at `i` followed by a token boundary; returns its end.
fn year4(t: &[u8], i: usize) -> Option<usize> {
    let e = digit_run_end(t, i);
    (e - i == 4 && right_ok(t, e)).then_some(e)
}

/// `Month d[,] yyyy`, anchored at the day run `[s, e)`; returns `(start, end)`.
pub(super) fn month_first(t: &[u8], s: usize, e: usize) -> Option<(usize, usize)> {
    if !is_hspace(before(t, s, 1)) || !matches!(at(t, e), b',' | b' ' | b'\t' | b'a'..=b'z') {
        return None;
    }
    let day = num(t, s, e);
    if !(1..=31).contains(&day) {
        return None;
    }
    let mut i = s;
    while s - i < 3 && is_hspace(before(t, i, 1)) {
        i -= 1;
    }
    let dot = before(t, i, 1) == b'.';
    if dot {
        i -= 1;
    }
    if !is_alpha(before(t, i, 1)) {
        return None;
    }
    let we = i;
    while we - i < 9 && is_alpha(before(t, i, 1)) {
        i -= 1;
    }
    if i == we || is_word(before(t, i, 1)) || !is_month(t.get(i..we)?, dot) {
        return None;
    }
    let mut j = skip_ordinal(t, e);
    if at(t, j) == b',' {
        j += 1;
    }
    let end = year4(t, skip_spaces(t, j)?)?;
    Some((i, end))
}

/// `d Month[,] yyyy`, anchored at the day run `[s, e)`; returns the end.
pub(super) fn day_first(t: &[u8], s: usize, e: usize) -> Option<usize> {
    if !matches!(at(t, e), b' ' | b'\t' | b'a'..=b'z') {
        return None;
    }
    let day = num(t, s, e);
    if !(1..=31).contains(&day) {
        return None;
    }
    let ms = skip_spaces(t, skip_ordinal(t, e))?;
    let mut me = ms;
    while me - ms < 9 && is_alpha(at(t, me)) {
        me += 1;
    }
    let dot = at(t, me) == b'.';
    if is_word(at(t, me)) || !is_month(t.get(ms..me)?, dot) {
        return None;
    }
    let mut j = if dot { me + 1 } else { me };
    if at(t, j) == b',' {
        j += 1;
    }
    year4(t, skip_spaces(t, j)?)
}

fn month_day_ok(m: u32, d: u32) -> bool {
    (1..=12).contains(&m) && (1..=31).contains(&d)
}

/// Numeric dates anchored at the first run `[s, e)` (left boundary already checked).
pub(super) fn numeric(t: &[u8], s: usize, e: usize) -> Option<usize> {
    let len = e - s;
    let sep = at(t, e);
    let ms = e + 1;
    let me = digit_run_end(t, ms);
    if !(1..=2).contains(&(me - ms)) || at(t, me) != sep {
        return None;
    }
    let ds = me + 1;
    let de = digit_run_end(t, ds);
    let dlen = de - ds;
    let end_ok = right_ok(t, de) || (at(t, de) == b'T' && is_digit(at(t, de + 1)));
    if !end_ok {
        return None;
    }
    let a = num(t, s, e);
    let b = num(t, ms, me);
    if len == 4 && (sep == b'-' || sep == b'/') {
        let c = num(t, ds, de);
        return ((1..=2).contains(&dlen) && (1000..=2999).contains(&a) && month_day_ok(b, c))
            .then_some(de);
    }
    if !(1..=2).contains(&len) {
        return None;
    }
    let year_ok = match sep {
        b'-' | b'/' => dlen == 2 || dlen == 4,
        b'.' => dlen == 4,
        _ => false,
    };
    (year_ok && (month_day_ok(a, b) || month_day_ok(b, a))).then_some(de)
}

/// Push a `date` or, with birth context before it, a `date_of_birth`.
pub(super) fn emit(t: &[u8], s: usize, e: usize, st: &mut State, out: &mut Vec<Finding>) {
    if birth_context(t, s, st.date_floor) {
        push(out, EntityType::DateOfBirth, s, e, 0.95);
    } else {
        push(out, EntityType::Date, s, e, 0.85);
    }
    st.date_floor = e;
}

/// Keywords, lower-case, with (must start at a word boundary, must end at one), so `adobe`,
/// `stubborn` and `dobby` don't count.
const BIRTH: [(&[u8], bool, bool); 9] = [
    (b"dob", true, true),
    (b"d.o.b", true, false),
    (b"birth", false, false),
    (b"born", true, false),
    (b"geboren", true, false),
    (b"n\xc3\xa9 le", true, true),
    (b"n\xc3\xa9e le", true, true),
    (b"nacimiento", false, false),
    (b"naissance", false, false),
];

/// Birth context in the 32 bytes before `s` (not before `floor`, not across a line break).
fn birth_context(t: &[u8], s: usize, floor: usize) -> bool {
    let lo = s.saturating_sub(32).max(floor);
    let Some(w) = t.get(lo..s) else {
        return false;
    };
    let w = match w.iter().rposition(|&b| b == b'\n') {
        Some(nl) => w.get(nl + 1..).unwrap_or_default(),
        None => w,
    };
    let mut buf = [0u8; 32];
    for (d, &b) in buf.iter_mut().zip(w) {
        *d = b.to_ascii_lowercase();
    }
    let w = buf.get(..w.len()).unwrap_or_default();
    let letter = |i: Option<usize>| {
        i.and_then(|i| w.get(i))
            .is_some_and(u8::is_ascii_alphabetic)
    };
    // One pass over the window; keywords are compared only where their first letter is.
    (0..w.len()).any(|i| {
        let Some(&c) = w.get(i) else {
            return false;
        };
        if !matches!(c, b'b' | b'd' | b'g' | b'n') {
            return false;
        }
        BIRTH.iter().any(|&(kw, lb, rb)| {
            kw.first() == Some(&c)
                && w.get(i..).is_some_and(|r| r.starts_with(kw))
                && !(lb && letter(i.checked_sub(1)))
                && !(rb && letter(Some(i + kw.len())))
        })
    })
}
