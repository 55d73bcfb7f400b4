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
//! - (added) `dd-Mon-yyyy` / `dd-MON-yy` with dashes, month name in any case (`05-Mar-1984`);
//! - (added) `d[.] Month yyyy` with French, German, Spanish, Italian, Portuguese or Dutch month
//!   names (`3 mars 1985`, `3. März 1985`, `3 de marzo de 1985`).
//!
//! A date in a birth field is reported as `date_of_birth` instead: labelled within 48 bytes
//! before it on its line and in its field, not past the previous date (`DOB`, `D.O.B.`,
//! `date of birth`, `birth_date`, `birthdate`, `birthday`, `born`, `geb.`, `geboren`,
//! `Geburtsdatum`, `geboortedatum`, `né(e) le`, `fecha de nacimiento`, `naissance`,
//! `data di nascita`, `data de nascimento`), or in a CSV/TSV column or SQL `INSERT` column so
//! named (see `field`). A compact `yyyymmdd` in such a field is a date of birth too
//! (`dob: 19840305`); anywhere else it is a build number or a file-name stamp, not a date.

use super::field::{self, Field};
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
    // `3. März 1985`: a German day's dot.
    let day_dot = at(t, e) == b'.' && is_hspace(at(t, e + 1));
    if !(matches!(at(t, e), b' ' | b'\t' | b'a'..=b'z') || day_dot) {
        return None;
    }
    let day = num(t, s, e);
    if !(1..=31).contains(&day) {
        return None;
    }
    let ms = skip_spaces(t, if day_dot { e + 1 } else { skip_ordinal(t, e) })?;
    let mut me = ms;
    while me - ms < 9 && is_alpha(at(t, me)) {
        me += 1;
    }
    let dot = at(t, me) == b'.';
    if day_dot || is_word(at(t, me)) || !is_month(t.get(ms..me)?, dot) {
        return eu_month_year(t, ms);
    }
    let mut j = if dot { me + 1 } else { me };
    if at(t, j) == b',' {
        j += 1;
    }
    year4(t, skip_spaces(t, j)?)
}

/// Month names of French, German, Spanish, Italian, Portuguese and Dutch, lower-case (the
/// text's first letter is folded): `3 mars 1985`, `3. März 1985`, `3 de marzo de 1985`. One
/// `match`, so a word is compared only with the names of its length.
fn is_eu_month(w: &[u8]) -> bool {
    matches!(
        w,
        b"mai"
            | b"mei"
            | b"aout"
            | b"juin"
            | b"juli"
            | b"juni"
            | b"maio"
            | b"mars"
            | b"mayo"
            | b"abril"
            | b"ao\xc3\xbbt"
            | b"april"
            | b"avril"
            | b"enero"
            | b"julho"
            | b"julio"
            | b"junho"
            | b"junio"
            | b"maart"
            | b"maerz"
            | b"marzo"
            | b"m\xc3\xa4rz"
            | b"agosto"
            | b"aprile"
            | b"august"
            | b"giugno"
            | b"januar"
            | b"luglio"
            | b"maggio"
            | b"mar\xc3\xa7o"
            | b"febrero"
            | b"februar"
            | b"fevrier"
            | b"gennaio"
            | b"janeiro"
            | b"januari"
            | b"janvier"
            | b"juillet"
            | b"octobre"
            | b"octubre"
            | b"oktober"
            | b"ottobre"
            | b"outubro"
            | b"augustus"
            | b"december"
            | b"decembre"
            | b"dezember"
            | b"dezembro"
            | b"dicembre"
            | b"febbraio"
            | b"februari"
            | b"f\xc3\xa9vrier"
            | b"november"
            | b"novembre"
            | b"setembro"
            | b"diciembre"
            | b"d\xc3\xa9cembre"
            | b"fevereiro"
            | b"noviembre"
            | b"september"
            | b"septembre"
            | b"setiembre"
            | b"settembre"
            | b"septiembre"
    )
}

/// The rest of `d[.] Month yyyy` with a month name of [`is_eu_month`] at `ms`
/// (`3 mars 1985`, `3. März 1985`, `3 de marzo de 1985`): the end. Out of line: only words after a
/// day number that are not English months get here.
#[inline(never)]
fn eu_month_year(t: &[u8], ms: usize) -> Option<usize> {
    let mut ms = ms;
    if t.get(ms..ms + 3) == Some(b"de ") {
        ms += 3;
    }
    // Every name starts with one of `a d e f g j l m n o s` (most words after a number do not).
    if !matches!(
        at(t, ms) | 0x20,
        b'a' | b'd' | b'e' | b'f' | b'g' | b'j' | b'l' | b'm' | b'n' | b'o' | b's'
    ) {
        return None;
    }
    let mut me = ms;
    while me - ms < 10 && (is_alpha(at(t, me)) || at(t, me) >= 0x80) {
        me += 1;
    }
    // A year (or `de` and a year) follows: checked before the name is compared.
    if me - ms < 3
        || at(t, me) != b' '
        || !(at(t, me + 1).is_ascii_digit() || at(t, me + 1) == b'd')
    {
        return None;
    }
    let w = t.get(ms..me)?;
    let mut buf = [0u8; 10];
    let low = buf.get_mut(..w.len())?;
    low.copy_from_slice(w);
    if let Some(f) = low.first_mut() {
        *f = f.to_ascii_lowercase();
    }
    if !is_eu_month(low) {
        return None;
    }
    let mut j = me;
    if t.get(j..j + 3) == Some(b" de") {
        j += 3;
    }
    year4(t, skip_spaces(t, j)?)
}

/// `dd-Mon-yyyy` or `dd-MON-yy` (the day-month-year form of medical and Oracle records),
/// anchored at the day run `[s, e)`; month abbreviations or full names in any case.
pub(super) fn day_month_dashed(t: &[u8], s: usize, e: usize) -> Option<usize> {
    if at(t, e) != b'-' || !(1..=31).contains(&num(t, s, e)) {
        return None;
    }
    let ms = e + 1;
    let mut me = ms;
    while me - ms < 9 && is_alpha(at(t, me)) {
        me += 1;
    }
    let w = t.get(ms..me)?;
    let month = ABBR
        .iter()
        .chain(FULL.iter())
        .any(|m| m.as_bytes().eq_ignore_ascii_case(w));
    if !month || at(t, me) != b'-' {
        return None;
    }
    let ys = me + 1;
    let ye = digit_run_end(t, ys);
    (matches!(ye - ys, 2 | 4) && right_ok(t, ye)).then_some(ye)
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

/// Push a `date` or, in a birth field (see `field`: a label such as `DOB`, `born`,
/// `Geburtsdatum`, or a CSV/SQL column such as `birth_date`), a `date_of_birth`.
pub(super) fn emit(t: &[u8], s: usize, e: usize, st: &mut State, out: &mut Vec<Finding>) {
    let birth = match field::label(t, s, st.date_floor) {
        Some(f) => f == Field::Birth,
        None => field::record(t, s, &mut st.tables) == Some(Field::Birth),
    };
    if birth {
        push(out, EntityType::DateOfBirth, s, e, 0.95);
    } else {
        push(out, EntityType::Date, s, e, 0.85);
    }
    st.date_floor = e;
}

/// `yyyymmdd` at `s` (8 digits, year 1900-2099): only ever a date of birth, in a birth field.
pub(super) fn compact_ok(t: &[u8], s: usize) -> bool {
    let y = num(t, s, s + 4);
    (1900..=2099).contains(&y) && month_day_ok(num(t, s + 4, s + 6), num(t, s + 6, s + 8))
}
