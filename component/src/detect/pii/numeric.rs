//! Numeric tokens: one classification per digit run that starts a token.
//!
//! Order: IBAN, month-name date, credit card, SSN, IPv4, numeric date, labelled shapes (see
//! `labelled`: shapes that are an entity only in a field that says so), phone, ZIP. The shapes are
//! disjoint (group counts and lengths differ), so the order only matters for IBAN and dates, and
//! for a national phone (`07700 900123`) before a ZIP.

use super::field::{self, Field};
use super::{
    State, at, before, date, digit_run_end, iban, is_alnum, is_digit, is_upper, is_word, next_word,
    num, prev_word, push, word_in,
};
use crate::entity::{EntityType, Finding};

/// Classify the token whose first digit run is `t[s..e]` (the caller found `e` in the block
/// masks); returns the end of what was consumed (at least the run).
///
/// The tests that reject most runs (two in three on the bench records) are inlined into the
/// caller's loop; the classifiers, most of this module's code, are reached by one call only for
/// the runs that pass them, so the loop's code stays small.
#[inline(always)]
pub(super) fn token(t: &[u8], s: usize, e: usize, st: &mut State, out: &mut Vec<Finding>) -> usize {
    let len = e - s;

    // IBAN: two upper-case letters right before the check digits.
    if is_upper(before(t, s, 1)) && is_upper(before(t, s, 2)) {
        return if len >= 2 { iban_at(t, s, e, out) } else { e };
    }

    let n1 = at(t, e);
    // Fast exits: no detector starts with this shape (run length, next byte), or the run is glued
    // to a word (`123abc`, `x_1`) or inside an identifier/number. Only a day with an ordinal
    // suffix (`15th`) may be followed by a letter.
    // One table read per side and bit operations instead of a branch per case: these tests
    // reject most runs, in an order no branch predictor learns.
    let plus = before(t, s, 1) == b'+';
    let next = AFTER.get(usize::from(n1)).copied().unwrap_or(0);
    let shape = LEN_SHAPES.get(len).copied().unwrap_or(0) & next != 0;
    // Glued to a word: only a day's ordinal suffix (`15th`) may follow a run of 1-2 digits.
    let glued = next & (AFTER_WORD | AFTER_ALPHA) != 0 && !(len <= 2 && next & AFTER_ALPHA != 0);
    if !(shape | plus) | glued {
        return e;
    }
    if !left_ok(t, s) {
        return e;
    }
    classify(t, s, e, plus, st, out)
}

/// The IBAN whose check digits start at `s` (`t[s - 2..s]` are upper-case letters).
#[inline(never)]
fn iban_at(t: &[u8], s: usize, e: usize, out: &mut Vec<Finding>) -> usize {
    if let Some(a) = s.checked_sub(2)
        && let Some(end) = iban::parse(t, a)
    {
        push(out, EntityType::Iban, a, end, 0.97);
        return end;
    }
    e
}

/// [`token`] past its fast exits: each classifier is tried where the run's shape allows it.
#[inline(never)]
fn classify(
    t: &[u8],
    s: usize,
    e: usize,
    plus: bool,
    st: &mut State,
    out: &mut Vec<Finding>,
) -> usize {
    let len = e - s;
    let n1 = at(t, e);
    if len <= 2 {
        if let Some((a, end)) = date::month_first(t, s, e) {
            date::emit(t, a, end, st, out);
            return end;
        }
        if let Some(end) = date::day_first(t, s, e).or_else(|| date::day_month_dashed(t, s, e)) {
            date::emit(t, s, end, st, out);
            return end;
        }
        if is_word(n1) {
            return e;
        }
    }
    // Dispatch on the shape: each classifier below is tried only where it can match.
    if len == 4
        && (n1 == b' ' || n1 == b'-')
        && let Some(end) = card(t, s, e)
    {
        push(out, EntityType::CreditCard, s, end, 0.95);
        return end;
    }
    if len == 3
        && n1 == b'-'
        && let Some(end) = ssn(t, s, e)
    {
        push(out, EntityType::Ssn, s, end, 0.99);
        return end;
    }
    if len <= 3
        && n1 == b'.'
        && let Some(end) = ipv4(t, s, e)
    {
        push(out, EntityType::IpAddress, s, end, 0.90);
        return end;
    }
    if ((len <= 2 && matches!(n1, b'-' | b'/' | b'.')) || (len == 4 && matches!(n1, b'-' | b'/')))
        && let Some(end) = date::numeric(t, s, e)
    {
        date::emit(t, s, end, st, out);
        return end;
    }
    if let Some(end) = labelled(t, s, e, st, out) {
        return end;
    }
    let phone_shape = plus
        || (len == 3 && matches!(n1, b'-' | b'.' | b' ' | b')'))
        || (len == 1 && at(t, s) == b'1' && matches!(n1, b'-' | b'.' | b' '))
        || len == 10
        || len == 11;
    if phone_shape && let Some((a, end)) = phone(t, s, e, st) {
        push(out, EntityType::Phone, a, end, 0.88);
        return end;
    }
    if len == 5
        && let Some(end) = zip(t, s, e, st)
    {
        push(out, EntityType::ZipCode, s, end, 0.80);
        return end;
    }
    if (13..=19).contains(&len)
        && let Some(end) = card(t, s, e)
    {
        push(out, EntityType::CreditCard, s, end, 0.95);
        return end;
    }
    e
}

// Classes of the byte after a digit run ([`AFTER`]) and the classes a run of each length may be
// followed by ([`LEN_SHAPES`]): some detector starts with that shape.
const AFTER_SEP: u8 = 1; // `- / . space , tab`: dates, phones, IPs, cards of 1-2 digits
const AFTER_ALPHA: u8 = 2; // an ASCII letter: an ordinal day (`15th`) or a month (`5Mar`)
const AFTER_GROUP: u8 = 4; // `- / . space )`: groups of 3-4 digits
const AFTER_END: u8 = 8; // not a word byte: a whole number of 5 or 8-19 digits
const AFTER_WORD: u8 = 16; // a digit or `_` (a word byte that is no letter)

static AFTER: [u8; 256] = after_classes();

#[expect(
    clippy::indexing_slicing,
    reason = "const evaluation; every index is below 256"
)]
const fn after_classes() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0usize;
    while i < 256 {
        let b = i as u8;
        let mut c = 0;
        if matches!(b, b'-' | b'/' | b'.' | b' ' | b',' | b'\t') {
            c |= AFTER_SEP;
        }
        if b.is_ascii_alphabetic() {
            c |= AFTER_ALPHA;
        }
        if matches!(b, b'-' | b'/' | b'.' | b' ' | b')') {
            c |= AFTER_GROUP;
        }
        if !(b.is_ascii_alphanumeric() || b == b'_') {
            c |= AFTER_END;
        }
        if b.is_ascii_digit() || b == b'_' {
            c |= AFTER_WORD;
        }
        t[i] = c;
        i += 1;
    }
    t
}

/// By run length (index; 20 and more read as 0): the [`AFTER`] classes some detector accepts.
static LEN_SHAPES: [u8; 20] = [
    0,
    AFTER_SEP | AFTER_ALPHA,
    AFTER_SEP | AFTER_ALPHA,
    AFTER_GROUP,
    AFTER_GROUP,
    AFTER_END,
    0,
    0,
    AFTER_END,
    AFTER_END,
    AFTER_END,
    AFTER_END,
    AFTER_END,
    AFTER_END,
    AFTER_END,
    AFTER_END,
    AFTER_END,
    AFTER_END,
    AFTER_END,
    AFTER_END,
];

/// A token may start at `s`: not inside a word/identifier (`v1.2`, `ORD-123`, `abc123`,
/// `x_9`), not a continuation of a dotted/dashed/slashed number or a time (`12:30`).
pub(super) fn left_ok(t: &[u8], s: usize) -> bool {
    let p1 = before(t, s, 1);
    let p2 = before(t, s, 2);
    !(is_word(p1)
        || (matches!(p1, b'.' | b'-' | b'/') && is_alnum(p2))
        || (p1 == b':' && is_digit(p2)))
}

/// A token may end at `e`: not followed by a word byte or by `.`/`-`/`/` plus a digit (a longer
/// dotted/dashed number).
pub(super) fn right_ok(t: &[u8], e: usize) -> bool {
    let n1 = at(t, e);
    !(is_word(n1) || (matches!(n1, b'.' | b'-' | b'/') && is_digit(at(t, e + 1))))
}

// ---------------------------------------------------------------------------------------------
// Values the field names

/// The field of the value starting at `s`: its label, else its CSV/SQL column.
fn field_of(t: &[u8], s: usize, st: &mut State) -> Option<Field> {
    field::label(t, s, 0).or_else(|| field::record(t, s, &mut st.tables))
}

/// Shapes that are an entity only in a field that says so (see `field`): SSNs without dashes
/// (`123456789`, `123 45 6789`, `123.45.6789`, SSA rules still apply), a compact ZIP+4
/// (`941031234`), a compact date of birth (`19840305`), national-format phone numbers
/// (`030 901820`, `07700 900123`, `01 42 68 53 00`, `0044 20 7946 0958`) and 7-digit local ones
/// (`555-0123`). The field is looked up only once the shape matched.
fn labelled(t: &[u8], s: usize, e: usize, st: &mut State, out: &mut Vec<Finding>) -> Option<usize> {
    let len = e - s;
    let n1 = at(t, e);
    if len == 9 && right_ok(t, e) {
        let f = field_of(t, s, st)?;
        let ty = match f {
            Field::Ssn if ssn_parts_ok(t, s, s + 3, s + 5, s + 9) => EntityType::Ssn,
            Field::Zip => EntityType::ZipCode,
            Field::Phone if at(t, s) == b'0' => EntityType::Phone,
            _ => return None,
        };
        push(out, ty, s, e, 0.90);
        return Some(e);
    }
    if len == 8 && right_ok(t, e) && date::compact_ok(t, s) {
        if field_of(t, s, st)? == Field::Birth {
            push(out, EntityType::DateOfBirth, s, e, 0.90);
            st.date_floor = e;
            return Some(e);
        }
        return None;
    }
    if len == 3 && matches!(n1, b' ' | b'.') {
        let gs = e + 1;
        let ge = digit_run_end(t, gs);
        let ss = ge + 1;
        let se = digit_run_end(t, ss);
        if ge - gs == 2 && at(t, ge) == n1 && se - ss == 4 && right_ok(t, se) {
            if field_of(t, s, st)? == Field::Ssn && ssn_parts_ok(t, s, gs, ss, se) {
                push(out, EntityType::Ssn, s, se, 0.90);
                return Some(se);
            }
            return None;
        }
    }
    if len == 3 && n1 == b'-' && at(t, s) != b'0' {
        // Local `ddd-dddd`.
        let ls = e + 1;
        let le = digit_run_end(t, ls);
        if le - ls == 4 && right_ok(t, le) && at(t, le) != b'-' {
            if field_of(t, s, st)? == Field::Phone {
                push(out, EntityType::Phone, s, le, 0.80);
                return Some(le);
            }
            return None;
        }
    }
    if at(t, s) == b'0' && (2..=5).contains(&len) && matches!(n1, b' ' | b'-' | b'.' | b'/') {
        let end = national(t, s)?;
        if field_of(t, s, st)? == Field::Phone {
            push(out, EntityType::Phone, s, end, 0.80);
            return Some(end);
        }
    }
    None
}

/// A national-format number from `s` (a leading `0`): groups of digits joined by single spaces,
/// dashes, dots or slashes, 7-15 digits in all; returns its end.
fn national(t: &[u8], s: usize) -> Option<usize> {
    let mut pos = s;
    let mut total = 0;
    let mut groups = 0;
    loop {
        let ge = digit_run_end(t, pos);
        total += ge - pos;
        groups += 1;
        if total > 15 || groups > 6 {
            return None;
        }
        let c = at(t, ge);
        if matches!(c, b' ' | b'-' | b'.' | b'/') && is_digit(at(t, ge + 1)) {
            pos = ge + 1;
        } else {
            return ((7..=15).contains(&total) && groups >= 2 && right_ok(t, ge)).then_some(ge);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Credit card

/// 13-19 digits, either one run or groups joined by one consistent separator (space or dash)
/// with a first group of 4 and later groups of 3-6; Luhn and a known brand prefix/length.
fn card(t: &[u8], s: usize, e: usize) -> Option<usize> {
    let len = e - s;
    let mut digits = [0u8; 19];
    if (13..=19).contains(&len) {
        for (d, &b) in digits.iter_mut().zip(t.get(s..e)?) {
            *d = b - b'0';
        }
        let d = digits.get(..len)?;
        return (right_ok(t, e) && luhn(d) && brand_ok(d)).then_some(e);
    }
    if len != 4 || !matches!(at(t, s), b'2'..=b'6') || !is_digit(at(t, e + 1)) {
        return None;
    }
    let sep = at(t, e);
    if sep != b' ' && sep != b'-' {
        return None;
    }
    let mut n = 0usize;
    let mut pos = s;
    // Group ends (position, digit count) where a card could end.
    let mut ends = [(0usize, 0usize); 6];
    let mut ne = 0usize;
    loop {
        let ge = digit_run_end(t, pos);
        let glen = ge - pos;
        let first = pos == s;
        if !first && !(3..=6).contains(&glen) || n + glen > 19 {
            break;
        }
        for (d, &b) in digits.iter_mut().skip(n).zip(t.get(pos..ge)?) {
            *d = b - b'0';
        }
        n += glen;
        if let Some(slot) = ends.get_mut(ne) {
            *slot = (ge, n);
            ne += 1;
        } else {
            break;
        }
        if at(t, ge) == sep && is_digit(at(t, ge + 1)) {
            pos = ge + 1;
        } else {
            break;
        }
    }
    for &(end, nd) in ends.get(..ne)?.iter().rev() {
        if !(13..=19).contains(&nd) {
            continue;
        }
        // `right_ok`: a following group of digits is fine after a space (other text), not
        // after a dash.
        let d = digits.get(..nd)?;
        if right_ok(t, end) && luhn(d) && brand_ok(d) {
            return Some(end);
        }
    }
    None
}

/// Standard Luhn over digit values (0-9).
pub(super) fn luhn(d: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, &x) in d.iter().rev().enumerate() {
        let mut v = u32::from(x);
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    !d.is_empty() && sum.is_multiple_of(10)
}

fn prefix(d: &[u8], k: usize) -> u32 {
    d.iter()
        .take(k)
        .fold(0u32, |acc, &x| acc * 10 + u32::from(x))
}

/// Known card brand by IIN prefix and length.
pub(super) fn brand_ok(d: &[u8]) -> bool {
    let n = d.len();
    let p1 = prefix(d, 1);
    let p2 = prefix(d, 2);
    let p3 = prefix(d, 3);
    let p4 = prefix(d, 4);
    let p6 = prefix(d, 6);
    let visa = p1 == 4 && matches!(n, 13 | 16 | 19);
    let mastercard = ((51..=55).contains(&p2) || (2221..=2720).contains(&p4)) && n == 16;
    let amex = (p2 == 34 || p2 == 37) && n == 15;
    let long = (16..=19).contains(&n);
    let discover =
        (p4 == 6011 || p2 == 65 || (644..=649).contains(&p3) || (622_126..=622_925).contains(&p6))
            && long;
    let jcb = (3528..=3589).contains(&p4) && long;
    let diners = ((300..=305).contains(&p3) || p4 == 3095 || p2 == 36 || p2 == 38 || p2 == 39)
        && (14..=19).contains(&n);
    let unionpay = p2 == 62 && long;
    let maestro = (p2 == 50 || (56..=58).contains(&p2) || p2 == 63 || p2 == 67) && n >= 13;
    let mir = (2200..=2204).contains(&p4) && n == 16;
    visa || mastercard || amex || discover || jcb || diners || unionpay || maestro || mir
}

// ---------------------------------------------------------------------------------------------
// SSN

/// `ddd-dd-dddd`; area 000, 666 and 900-999, group 00 and serial 0000 are never issued.
fn ssn(t: &[u8], s: usize, e: usize) -> Option<usize> {
    if e - s != 3 || at(t, e) != b'-' {
        return None;
    }
    let gs = e + 1;
    let ge = digit_run_end(t, gs);
    if ge - gs != 2 || at(t, ge) != b'-' {
        return None;
    }
    let ss = ge + 1;
    let se = digit_run_end(t, ss);
    if se - ss != 4 || !right_ok(t, se) {
        return None;
    }
    ssn_parts_ok(t, s, gs, ss, se).then_some(se)
}

/// SSA rules on area `[s, gs)` (3 digits, separators allowed between the parts), group and
/// serial `[ss, se)`: area 000, 666 and 900-999, group 00 and serial 0000 are never issued.
fn ssn_parts_ok(t: &[u8], s: usize, gs: usize, ss: usize, se: usize) -> bool {
    let area = num(t, s, s + 3);
    let group = num(t, gs, gs + 2);
    area != 0 && area != 666 && area < 900 && group != 0 && num(t, ss, se) != 0
}

// ---------------------------------------------------------------------------------------------
// IPv4

const VERSION_WORDS: &[&str] = &[
    "version", "ver", "release", "build", "rev", "revision", "firmware", "fw", "oid",
];

/// Dotted quad, octets 1-3 digits and 0-255. Not part of a longer dotted run (`1.2.3.4.5`), not
/// after a version word. `/cidr` and `:port` may follow.
fn ipv4(t: &[u8], s: usize, e: usize) -> Option<usize> {
    let mut pos = s;
    let mut end = e;
    for k in 0..4 {
        let re = if k == 0 { e } else { digit_run_end(t, pos) };
        if !(1..=3).contains(&(re - pos)) || num(t, pos, re) > 255 {
            return None;
        }
        end = re;
        if k < 3 {
            if at(t, re) != b'.' {
                return None;
            }
            pos = re + 1;
        }
    }
    let n1 = at(t, end);
    if is_word(n1) || (matches!(n1, b'.' | b'-') && is_digit(at(t, end + 1))) {
        return None;
    }
    if word_in(prev_word(t, s).0, VERSION_WORDS) {
        return None;
    }
    Some(end)
}

// ---------------------------------------------------------------------------------------------
// Phone

/// Words before a number that make it an identifier rather than a phone or ZIP.
const ID_WORDS: &[&str] = &[
    "id",
    "pid",
    "uid",
    "gid",
    "tid",
    "port",
    "pin",
    "order",
    "invoice",
    "inv",
    "ref",
    "reference",
    "ticket",
    "case",
    "no",
    "nr",
    "num",
    "number",
    "line",
    "build",
    "version",
    "ver",
    "error",
    "errno",
    "status",
    "issue",
    "pr",
    "step",
    "epoch",
    "page",
    "item",
    "qty",
    "quantity",
    "amount",
    "total",
    "count",
    "size",
    "length",
    "offset",
    "seq",
    "row",
    "index",
    "idx",
    "account",
    "acct",
    "tx",
    "txn",
    "transaction",
    "job",
    "run",
    "task",
    "process",
    "timestamp",
    "ts",
    "time",
    "serial",
    "sku",
    "tracking",
    "batch",
    "mtu",
];

fn phone_left_ok(t: &[u8], a: usize) -> bool {
    let p1 = before(t, a, 1);
    left_ok(t, a) && !matches!(p1, b'#' | b'$' | b'+' | b'(' | b'@')
}

/// A NANP area code: first digit 2-9.
fn area_ok(t: &[u8], i: usize) -> bool {
    matches!(at(t, i), b'2'..=b'9')
}

fn is_phone_sep(b: u8) -> bool {
    matches!(b, b'-' | b'.' | b' ')
}

/// Phone numbers, returning `(start, end)` (a leading `+` or `(` is part of the span).
///
/// NANP (Go's pattern, bounded): `[+]1[sep]` prefix optional, area `ddd` or `(ddd)`, then
/// `ddd sep dddd`; or one bare run of 10 digits (`+1`/`1` + 10). International: `+CC` then
/// groups, 8-15 digits in all (E.164).
fn phone(t: &[u8], s: usize, e: usize, st: &mut State) -> Option<(usize, usize)> {
    let len = e - s;
    let p1 = before(t, s, 1);
    let plus = p1 == b'+';
    // Bare runs: 10 digits, or 1 + 10 digits.
    if len == 10 || (len == 11 && at(t, s) == b'1') {
        let a0 = if len == 11 { s + 1 } else { s };
        let start = if plus { s - 1 } else { s };
        if plus && len == 10 {
            return intl(t, s);
        }
        let strict = area_ok(t, a0) && matches!(at(t, a0 + 3), b'2'..=b'9');
        let (w, hash) = prev_word(t, start);
        // `phone number 6465550123`: the label overrides the id word.
        let id = hash || word_in(w, ID_WORDS);
        if strict
            && right_ok(t, e)
            && phone_left_ok(t, start)
            && (!id || field_of(t, start, st) == Some(Field::Phone))
        {
            return Some((start, e));
        }
        return None;
    }
    if len == 1 && at(t, s) == b'1' {
        // Country prefix `1` / `+1`.
        let start = if plus { s - 1 } else { s };
        if !phone_left_ok(t, start) {
            return None;
        }
        let mut pos = e;
        if is_phone_sep(at(t, pos)) {
            pos += 1;
        }
        if let Some(end) = nanp_rest(t, pos) {
            return Some((start, end));
        }
        return if plus { intl(t, s) } else { None };
    }
    if len == 3 {
        if plus {
            return intl(t, s);
        }
        let start = if p1 == b'(' { s - 1 } else { s };
        if phone_left_ok(t, start)
            && let Some(end) = nanp_rest(t, start)
        {
            return Some((start, end));
        }
        return None;
    }
    if plus { intl(t, s) } else { None }
}

/// NANP after the optional country prefix: `(ddd)[sep]ddd sep dddd` or `ddd sep ddd sep dddd`.
fn nanp_rest(t: &[u8], mut pos: usize) -> Option<usize> {
    let paren = at(t, pos) == b'(';
    if paren {
        pos += 1;
    }
    let ae = digit_run_end(t, pos);
    if ae - pos != 3 || !area_ok(t, pos) {
        return None;
    }
    pos = ae;
    if paren {
        if at(t, pos) != b')' {
            return None;
        }
        pos += 1;
        if matches!(at(t, pos), b' ' | b'-' | b'.') {
            pos += 1;
        }
    } else if is_phone_sep(at(t, pos)) {
        pos += 1;
    } else {
        return None;
    }
    let xe = digit_run_end(t, pos);
    if xe - pos != 3 || !is_phone_sep(at(t, xe)) {
        return None;
    }
    let ls = xe + 1;
    let le = digit_run_end(t, ls);
    (le - ls == 4 && (right_ok(t, le) || extension(t, le))).then_some(le)
}

/// An extension glued to the number (`415-555-0123x45`); it is not part of the span.
fn extension(t: &[u8], i: usize) -> bool {
    matches!(at(t, i), b'x' | b'X') && {
        let e = digit_run_end(t, i + 1);
        (1..=5).contains(&(e - i - 1)) && !is_word(at(t, e))
    }
}

/// International `+CC ...` starting at the first digit `s` (the `+` is at `s - 1`).
fn intl(t: &[u8], s: usize) -> Option<(usize, usize)> {
    let start = s.checked_sub(1)?;
    if !phone_left_ok(t, start) || at(t, s) == b'0' {
        return None;
    }
    let mut pos = s;
    let mut total = 0usize;
    let mut groups = 0usize;
    let mut best = None;
    loop {
        let paren = at(t, pos) == b'(';
        let ds = if paren { pos + 1 } else { pos };
        let de = digit_run_end(t, ds);
        let glen = de - ds;
        if glen == 0 || (paren && (glen > 4 || at(t, de) != b')')) {
            break;
        }
        // The country code is 1-3 digits when separated from the rest.
        if groups == 0 && glen > 3 && glen < 8 {
            break;
        }
        total += glen;
        groups += 1;
        if total > 15 || groups > 8 {
            break;
        }
        pos = if paren { de + 1 } else { de };
        if total >= 8 && right_ok(t, pos) {
            best = Some(pos);
        }
        if groups == 1 && glen >= 4 {
            break; // compact `+4930123456`
        }
        let c = at(t, pos);
        if is_phone_sep(c) && (is_digit(at(t, pos + 1)) || at(t, pos + 1) == b'(') {
            pos += 1;
        } else if !(paren && is_digit(c)) {
            break;
        }
    }
    best.map(|end| (start, end))
}

// ---------------------------------------------------------------------------------------------
// ZIP

/// Words after a number that make it a quantity, not a ZIP.
const UNIT_WORDS: &[&str] = &[
    "bytes",
    "kb",
    "mb",
    "gb",
    "ms",
    "us",
    "ns",
    "sec",
    "secs",
    "seconds",
    "minutes",
    "hours",
    "days",
    "px",
    "rows",
    "records",
    "items",
    "users",
    "times",
    "tokens",
    "requests",
    "errors",
    "points",
    "km",
    "miles",
    "lines",
    "words",
    "files",
    "views",
    "downloads",
    "results",
    "hits",
    "steps",
    "calories",
    "dollars",
    "usd",
    "eur",
    "euros",
    "people",
    "votes",
    "members",
    "customers",
    "employees",
    "visitors",
    "orders",
    "transactions",
    "messages",
    "emails",
    "events",
    "students",
    "copies",
    "units",
    "pages",
    "tickets",
    "sales",
    "subscribers",
    "followers",
    "likes",
    "clicks",
    "impressions",
    "installs",
    "attendees",
    "participants",
    "residents",
    "cases",
    "deaths",
    "jobs",
    "feet",
    "ft",
    "meters",
    "kg",
    "lbs",
    "years",
    "months",
    "weeks",
    "km",
    "mi",
    "bps",
    "rpm",
    "hz",
    "mhz",
    "ghz",
    "watts",
    "mah",
];

/// A ZIP label (`zip`, `postal`, `postcode`, `plz`) in the 20 bytes before `s`, after the last
/// digit there.
fn zip_context(t: &[u8], s: usize) -> bool {
    let w = t.get(s.saturating_sub(20)..s).unwrap_or_default();
    let w = match w.iter().rposition(u8::is_ascii_digit) {
        Some(d) => w.get(d + 1..).unwrap_or_default(),
        None => w,
    };
    let mut buf = [0u8; 20];
    for (d, &b) in buf.iter_mut().zip(w) {
        *d = b.to_ascii_lowercase();
    }
    let w = buf.get(..w.len()).unwrap_or_default();
    [&b"zip"[..], b"postal", b"postcode", b"plz"]
        .iter()
        .any(|kw| w.windows(kw.len()).any(|x| x == *kw))
}

/// `ddddd` or `ddddd-dddd`, exactly (no longer digit run), with these contexts suppressed:
/// a decimal or thousands part (`12345.67`, `0.12345`, `12,34567`), a port (`host:54321`), a
/// signed number or amount (`-12345`, `+12345`, `$12345`), an id (`#12345`, `[12345]`,
/// `id=12345`, `order 12345`, see `ID_WORDS`), an operand (`i < 10000`, `n=12345`), a
/// percentage or a quantity with a unit (`12345 users`, `UNIT_WORDS`). A ZIP label within 20
/// bytes (`zip`, `postal`, `postcode`, `plz`) overrides the port and operand rules
/// (`zip:10001`, `zip=10001`), and a CSV `zip` column the decimal rule (`...,1984-03-05,94103`).
/// The last group of a spaced number (`123 45 67890`) and a number whose closest label names
/// another field (`phone 12345`) are not ZIPs. Plain and address-like contexts keep it
/// (`Beverly Hills, CA 90210`, `We moved to 94103`): a bare 5-digit number in prose or a log
/// field with no label (an HTTP response size) is still reported, as in Go.
fn zip(t: &[u8], s: usize, e: usize, st: &mut State) -> Option<usize> {
    if e - s != 5 {
        return None;
    }
    let p1 = before(t, s, 1);
    let p2 = before(t, s, 2);
    let (w, hash) = prev_word(t, s);
    // `[12345]` is a pid or an index.
    // `1,23456` is a decimal, unless a CSV column says ZIP (`...,1984-03-05,94103`).
    let decimal =
        p1 == b',' && is_digit(p2) && field::record(t, s, &mut st.tables) != Some(Field::Zip);
    if matches!(p1, b'-' | b'+' | b'$' | b'.' | b'[') || decimal || hash {
        return None;
    }
    let zip_word = zip_context(t, s);
    if p1 == b':' && !matches!(p2, b' ' | b'\t' | b'\n' | b'"' | b'\'') && !zip_word {
        return None;
    }
    // An operand (`i < 10000`, `count=12345`, `x * 20000`), unless labelled (`zip=90210`).
    let mut k = s;
    while k > 0 && s - k < 3 && before(t, k, 1) == b' ' {
        k -= 1;
    }
    if matches!(
        before(t, k, 1),
        b'<' | b'>' | b'*' | b'/' | b'%' | b'^' | b'&' | b'|' | b'='
    ) && !zip_word
    {
        return None;
    }
    if word_in(w, ID_WORDS) {
        return None;
    }
    let mut end = e;
    if at(t, e) == b'-' {
        let pe = digit_run_end(t, e + 1);
        if pe - (e + 1) == 4 {
            end = pe;
        }
    }
    let n1 = at(t, end);
    if !right_ok(t, end)
        || (matches!(n1, b',' | b'.') && is_digit(at(t, end + 1)))
        || n1 == b'%'
        || word_in(next_word(t, end), UNIT_WORDS)
    {
        return None;
    }
    // The last group of a spaced number (`123 45 67890`), or a number in a field labelled as
    // something else (`phone 12345`), is not a ZIP.
    if !zip_word
        && ((p1 == b' ' && is_digit(p2)) || field::label(t, s, 0).is_some_and(|f| f != Field::Zip))
    {
        return None;
    }
    Some(end)
}
