//! Structured PII detectors: email, phone, ssn, credit_card, ip_address, ipv6, mac_address, iban,
//! date, date_of_birth, zip_code. (`address` lives in `detect::address`.)
//!
//! # Engine
//!
//! One pass over the bytes. Only two kinds of byte are anchors: ASCII digits and `@`; everything
//! else is skipped 8 bytes at a time (SWAR test for a digit or `@` in a `u64`). Candidates are
//! then classified with a 256-entry byte-class table and local validators.
//!
//! - **digit run** ([`numeric`]): the run and the separators around it form a "numeric token"
//!   that is classified once, in this order: IBAN (two upper-case letters before the run),
//!   month-name date, credit card, SSN, IPv4, numeric date, labelled shapes ([`field`]: SSNs
//!   without dashes, national phones, compact ZIP+4 and dates of birth), phone, ZIP. The first
//!   match consumes the token, so one span gets at most one numeric type and no phone is
//!   emitted inside a card, IBAN, date or IP. Digit-run boundaries are strict: a token never starts or ends inside a
//!   longer digit run or an identifier (`ORD-2024551234`, `v1.2.3.4`, hex hashes, UUIDs).
//! - **`@`** ([`email`]): local part scanned backwards, domain forwards.
//! - **digit run, again** ([`net`]): when the hex group around the run touches `:`, `-` or `.`,
//!   the hex token is validated as IPv6 or a MAC. So every IPv6/MAC must contain a decimal digit
//!   (an all-letter one, `dead:beef::cafe`, has odds of about (6/16)^12 for a random MAC).
//!
//! Every scan is bounded (watermarks per family, length caps), so the pass is linear. Findings
//! start and end on ASCII bytes, except an email whose local part starts with a non-ASCII letter
//! (then it starts on that character's first byte).
//!
//! # Decisions and divergences from the Go service (see `docs/divergences-from-go.md`)
//!
//! Documented next to each detector; the short list:
//! - phone: never inside a longer digit run or an identifier; NANP area code must start 2-9
//!   (and a bare 10-digit run also needs an exchange starting 2-9); separators are one of
//!   `-`, `.`, space (Go: any `\s`); balanced parentheses; `+CC` international numbers added.
//! - ssn: area 000/666/9xx, group 00 and serial 0000 rejected; without dashes only in a field
//!   labelled as an SSN (label, CSV header, SQL column: see [`field`]).
//! - mac_address: the all-zero and broadcast addresses are not reported.
//! - credit_card: Luhn **and** a known brand prefix/length; grouped with one consistent
//!   separator (space or dash), first group of 4.
//! - ip_address: not preceded by a letter (`v1.2.3.4`) or a `version`/`build` word, not part of a
//!   longer dotted run (`1.2.3.4.5`); CIDR `/24` and `:port` suffixes are allowed.
//! - date: month 1-12 and day 1-31 validated (either order for `a/b/yyyy`), full month names or
//!   standard abbreviations only (Go accepts `Mar[a-z]*`, e.g. `Marcus 12, 2020`), ordinals
//!   (`15th`), day-first `15 January 2025` and dotted `15.01.2025` added; the date part of an ISO
//!   timestamp `2024-05-01T12:00:00Z` is a date (Go misses it because of `\b` before `T`).
//! - zip_code: only an exact 5-digit run (or ZIP+4) that is not a decimal/thousands part, a port,
//!   an id, a signed number, an amount or a quantity with a unit.
//! - email: scp-style git remotes, URL userinfo and `@2x` image names are not emails; a local part
//!   with non-ASCII letters is taken whole (`jürgen@beispiel.de`, Go reports `rgen@beispiel.de`).

mod date;
mod email;
mod field;
mod iban;
mod net;
mod numeric;

use super::blocks::{self, Block};
use crate::entity::{EntityType, Finding};

// Byte classes (bit set).
const DIGIT: u8 = 1;
const HEX: u8 = 2;
const ALPHA: u8 = 4;
const UPPER: u8 = 8;
const WORD: u8 = 16;
const SPACE: u8 = 32;
const LOCAL: u8 = 64; // email local-part / domain byte: [A-Za-z0-9_.+-]

const fn class_of(b: u8) -> u8 {
    let mut c = 0;
    if b.is_ascii_digit() {
        c |= DIGIT | HEX | WORD | LOCAL;
    }
    if b.is_ascii_alphabetic() {
        c |= ALPHA | WORD | LOCAL;
        if b.is_ascii_uppercase() {
            c |= UPPER;
        }
        if b.is_ascii_hexdigit() {
            c |= HEX;
        }
    }
    if b == b'_' {
        c |= WORD | LOCAL;
    }
    if b == b'.' || b == b'-' {
        c |= LOCAL;
    }
    if b == b'+' {
        c |= LOCAL;
    }
    if matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        c |= SPACE;
    }
    c
}

// Evaluated at compile time: an out-of-range index would be a build error, not a panic.
#[allow(clippy::indexing_slicing)]
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = class_of(i as u8);
        i += 1;
    }
    t
};

#[inline(always)]
fn class(b: u8) -> u8 {
    CLASS.get(usize::from(b)).copied().unwrap_or(0)
}

/// The byte at `i`, or 0 past the end (0 acts as a non-word boundary).
#[inline(always)]
fn at(t: &[u8], i: usize) -> u8 {
    t.get(i).copied().unwrap_or(0)
}

/// The byte `k` positions before `i`, or 0 before the start.
#[inline(always)]
fn before(t: &[u8], i: usize, k: usize) -> u8 {
    i.checked_sub(k).map_or(0, |j| at(t, j))
}

#[inline(always)]
fn is_digit(b: u8) -> bool {
    b.is_ascii_digit()
}
#[inline(always)]
fn is_hex(b: u8) -> bool {
    class(b) & HEX != 0
}
#[inline(always)]
fn is_alpha(b: u8) -> bool {
    class(b) & ALPHA != 0
}
#[inline(always)]
fn is_upper(b: u8) -> bool {
    class(b) & UPPER != 0
}
/// ASCII `[A-Za-z0-9_]` (Go's `\w`).
#[inline(always)]
fn is_word(b: u8) -> bool {
    class(b) & WORD != 0
}
#[inline(always)]
fn is_alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}
#[inline(always)]
fn is_space(b: u8) -> bool {
    class(b) & SPACE != 0
}
#[inline(always)]
fn is_local(b: u8) -> bool {
    class(b) & LOCAL != 0
}

/// End of the digit run starting at `i` (`i` itself if no digit there).
#[inline]
fn digit_run_end(t: &[u8], mut i: usize) -> usize {
    while is_digit(at(t, i)) {
        i += 1;
    }
    i
}

/// Numeric value of the ASCII digits in `t[s..e]` (at most 9 digits; saturating).
fn num(t: &[u8], s: usize, e: usize) -> u32 {
    t.get(s..e)
        .unwrap_or_default()
        .iter()
        .fold(0u32, |acc, &b| {
            acc.saturating_mul(10)
                .saturating_add(u32::from(b.wrapping_sub(b'0')))
        })
}

/// The ASCII word just before `i`, skipping up to four bytes of ` :=#"'` and tabs. Returns the
/// word and whether a `#` was skipped.
fn prev_word(t: &[u8], i: usize) -> (&[u8], bool) {
    let mut j = i;
    let mut hash = false;
    let mut k = 0;
    while k < 4 {
        match before(t, j, 1) {
            b'#' => hash = true,
            b' ' | b'\t' | b':' | b'=' | b'"' | b'\'' => {}
            _ => break,
        }
        j -= 1;
        k += 1;
    }
    let e = j;
    while j > 0 && e - j < 16 && is_alpha(before(t, j, 1)) {
        j -= 1;
    }
    (t.get(j..e).unwrap_or_default(), hash)
}

/// The ASCII word right after `i`, skipping up to two spaces.
fn next_word(t: &[u8], i: usize) -> &[u8] {
    let mut j = i;
    while j < i + 2 && at(t, j) == b' ' {
        j += 1;
    }
    let s = j;
    while j - s < 16 && is_alpha(at(t, j)) {
        j += 1;
    }
    if is_word(at(t, j)) {
        return &[];
    }
    t.get(s..j).unwrap_or_default()
}

fn word_in(word: &[u8], list: &[&str]) -> bool {
    !word.is_empty() && list.iter().any(|w| w.as_bytes().eq_ignore_ascii_case(word))
}

/// Scan state shared by the families: watermarks that keep every family linear and its findings
/// non-overlapping.
#[derive(Debug, Default)]
struct State {
    /// Numeric tokens are classified up to here.
    num_done: usize,
    /// IPv6/MAC tokens are classified up to here.
    net_done: usize,
    /// End of the last email (and of the last `@` scanned).
    email_floor: usize,
    /// Birth-context look-back never crosses the end of the previous date.
    date_floor: usize,
    /// Cached CSV/SQL record context ([`field::record`]).
    tables: field::Tables,
}

fn push(out: &mut Vec<Finding>, t: EntityType, start: usize, end: usize, conf: f64) {
    out.push(Finding::new(t, start, end, conf));
}

/// The block masks of the text ([`super::blocks`], bit k of block `i / 64`: byte `64 * (i / 64) + k`;
/// bytes past the end are in no class, like [`at`]'s 0).
struct Blocks<'t> {
    t: &'t [u8],
    masks: &'t [Block],
}

impl<'t> Blocks<'t> {
    fn new(t: &'t [u8], masks: &'t [Block]) -> Self {
        Blocks { t, masks }
    }

    /// The masks of the block holding byte `i` (all zero past the end).
    #[inline(always)]
    fn at(&self, i: usize) -> Block {
        self.masks.get(i >> 6).copied().unwrap_or_default()
    }

    /// Index of the next digit or `@` at or after `i`.
    #[inline]
    fn next_anchor(&self, i: usize) -> Option<usize> {
        if i >= self.t.len() {
            return None;
        }
        let mut k = i >> 6;
        let mut m = self.masks.get(k)?.anchor & (u64::MAX << (i & 63));
        while m == 0 {
            k += 1;
            m = self.masks.get(k)?.anchor;
        }
        Some((k << 6) + m.trailing_zeros() as usize)
    }

    /// Start of the run of word bytes that ends at `i` (exclusive): the smallest `k <= i` with
    /// `t[k..i]` all word bytes.
    #[inline]
    fn word_start(&self, i: usize) -> usize {
        if i >= self.t.len() {
            return word_start_slow(self.t, i);
        }
        let base = i & !63;
        let k = i - base;
        let m = !self.at(i).word & ((1u64 << k) - 1);
        if m != 0 {
            return base + 64 - m.leading_zeros() as usize;
        }
        word_start_slow(self.t, base)
    }

    /// First non-digit at or after `i`.
    #[inline]
    fn digit_end(&self, i: usize) -> usize {
        if i >= self.t.len() {
            return i;
        }
        let m = !self.at(i).digit >> (i & 63);
        if m != 0 {
            return i + m.trailing_zeros() as usize;
        }
        digit_run_end(self.t, (i & !63) + 64)
    }

    /// First non-word byte at or after `i`.
    #[inline]
    fn word_end(&self, i: usize) -> usize {
        if i >= self.t.len() {
            return i;
        }
        let m = !self.at(i).word >> (i & 63);
        if m != 0 {
            return i + m.trailing_zeros() as usize;
        }
        let mut e = (i & !63) + 64;
        while is_word(at(self.t, e)) {
            e += 1;
        }
        e
    }
}
fn word_start_slow(t: &[u8], mut i: usize) -> usize {
    while i > 0 && is_word(before(t, i, 1)) {
        i -= 1;
    }
    i
}

/// Append every structured-PII finding in `text` (non-overlapping within one type).
pub fn find(text: &[u8], out: &mut Vec<Finding>) {
    find_in(text, &blocks::masks(text), out);
}

/// [`find`] with the text's block masks already computed (`masks` must be
/// [`blocks::masks`]`(text)`).
pub(crate) fn find_in(text: &[u8], masks: &[Block], out: &mut Vec<Finding>) {
    let mut st = State::default();
    let bl = Blocks::new(text, masks);
    let mut i = 0;
    while let Some(j) = bl.next_anchor(i) {
        let from = i;
        i = j;
        if at(text, i) == b'@' {
            email::at_sign(text, i, &mut st, out);
            i += 1;
            continue;
        }
        // The ASCII word around the digit. A word with letters that is longer than 4 bytes (a hex
        // hash, a UUID part, `12345ms`, `user_42`) holds nothing for these detectors, except an
        // IBAN (`DE89...`: two upper-case letters, then the digits).
        let ws = bl.word_start(i).max(from);
        let run_end = bl.digit_end(i);
        let we = bl.word_end(run_end);
        let pure = ws == i && run_end == we;
        let iban = i == ws + 2 && is_upper(at(text, ws)) && is_upper(at(text, ws + 1));
        if !pure && we - ws > 4 {
            if iban && i >= st.num_done {
                st.num_done = numeric::token(text, i, run_end, &mut st, out).max(run_end);
            }
            i = we;
            continue;
        }
        // A run inside a numeric finding (a date, phone, card...) is not an IPv6/MAC group.
        // Non-short-circuit `&` and `|`: cheap tests whose outcomes follow no learnable pattern.
        let net = (i >= st.num_done)
            & (i >= st.net_done)
            & (matches!(before(text, ws, 1), b':' | b'-' | b'.')
                | matches!(at(text, we), b':' | b'-' | b'.'));
        if i >= st.num_done && (ws == i || iban) {
            st.num_done = numeric::token(text, i, run_end, &mut st, out).max(run_end);
        }
        if net {
            net::at_digits(text, i, run_end, &mut st, out);
        }
        // A short word (`3b4d`, `15th`, `u32`) is handled as a whole.
        i = we;
    }
}

#[cfg(test)]
mod tests;
