//! The decoding pass (issue 15): secrets and strong PII hidden by an encoding.
//!
//! After the detectors have run on the text as given, this pass looks for encoded runs and scans
//! what they decode to:
//! - **base64 / base64url** runs of at least [`MIN_B64`] characters (`A-Za-z0-9+/` or
//!   `A-Za-z0-9-_`, not both alphabets, up to two `=` of padding, a length base64 allows);
//! - **hex** runs of at least [`MIN_HEX`] hex digits, even length (`xxd -p`, `od`-free dumps);
//! - **percent-encoding** (`%5F`) and **escape sequences** (`\x5f`, `\137` octal, `\u005f`) inside a
//!   token (a run of bytes without whitespace or quotes);
//! - **invisible characters** (U+200B..U+200D, U+2060, U+FEFF, U+00AD soft hyphen): removed before
//!   matching.
//!
//! What a run decodes to counts only if it is valid UTF-8 and mostly printable
//! ([`printable`]): random identifiers, digests and binary blobs decode to bytes that are not, so
//! they cost a decode and nothing more. Decoding repeats on the decoded text up to
//! [`MAX_DEPTH`] levels (base64 of hex, percent-encoded base64), like gitleaks'
//! `--max-decode-depth`; a scan decodes at most [`BUDGET`] bytes in total and runs of at most
//! [`MAX_RUN`] bytes.
//!
//! The decoded text goes through the secret and PII detectors (not NER, addresses or policy
//! custom detectors). A finding there is kept if it is a secret or one of `email`, `credit_card`,
//! `ssn`, `iban`, and if decoding mattered for it (its bytes are not the same bytes as in the
//! original: a finding the plain scan already sees is not reported twice). Its span maps back to the
//! ENCODED bytes of the original text: the whole run for base64 and hex (one base64 character
//! carries bits of two bytes), the exact escape sequences for percent and escape decoding, and the
//! token with its invisible characters for those. Redacting the span therefore replaces the encoded
//! run.
//!
//! Cost: plain prose pays a bit mask per 64 bytes (runs of base64 characters, [`long_run`]; the
//! `run` mask of [`super::blocks`], computed once per scan for this pass and the PII family) and
//! `memchr` for `%`, `\` and the lead bytes of the invisible characters; a run pays one class pass
//! and, when the strict checks pass, the decode of its head (most runs stop there: binary); see
//! `docs/scan.md`, "Decoding".

use super::blocks::{self, Block};
use crate::entity::{EntityType, Finding};

/// Decoding levels: 2 finds base64 of a hex dump, or a percent-encoded base64 string.
pub const MAX_DEPTH: usize = 2;
/// Shortest base64 run decoded (12 bytes of payload).
pub const MIN_B64: usize = 16;
/// Shortest hex run decoded (8 bytes of payload).
pub const MIN_HEX: usize = 16;
/// Longest single run decoded; longer runs are skipped.
pub const MAX_RUN: usize = 256 * 1024;
/// Total decoded bytes per scan, all levels together.
pub const BUDGET: usize = 1024 * 1024;

/// Byte classes of the run decoder, one table lookup per byte (`CLASS`).
const B64: u8 = 1; // A-Za-z0-9
const STD: u8 = 2; // + /
const URL: u8 = 4; // - _
const HEX: u8 = 8; // 0-9a-fA-F
const UPPER: u8 = 16; // A-Z
const LOWER: u8 = 32; // a-z
const ALPHA: u8 = 64; // A-Za-z
/// Not a value: marks a byte outside the alphabet in `B64_VAL` and `HEX_VAL`.
const NONE: u8 = 0xFF;

/// `class_of` for every byte: a table lookup is a few instructions where the `match` compiled to
/// a chain of range tests.
static CLASS: [u8; 256] = build_table(0);
/// The 6-bit value of a base64 or base64url character.
static B64_VAL: [u8; 256] = build_table(1);
/// The 4-bit value of a hex digit.
static HEX_VAL: [u8; 256] = build_table(2);

#[expect(
    clippy::indexing_slicing,
    reason = "const evaluation; b < 256 indexes a [u8; 256]"
)]
const fn build_table(which: u8) -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut b = 0usize;
    while b < 256 {
        t[b] = match which {
            0 => class_of(b as u8),
            1 => b64_of(b as u8),
            _ => hex_of(b as u8),
        };
        b += 1;
    }
    t
}

const fn class_of(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => B64 | HEX,
        b'a'..=b'f' => B64 | HEX | LOWER | ALPHA,
        b'A'..=b'F' => B64 | HEX | UPPER | ALPHA,
        b'g'..=b'z' => B64 | LOWER | ALPHA,
        b'G'..=b'Z' => B64 | UPPER | ALPHA,
        b'+' | b'/' => STD,
        b'-' | b'_' => URL,
        _ => 0,
    }
}

const fn b64_of(b: u8) -> u8 {
    match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'+' | b'-' => 62,
        b'/' | b'_' => 63,
        _ => NONE,
    }
}

const fn hex_of(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        b'A'..=b'F' => b - b'A' + 10,
        _ => NONE,
    }
}

#[inline]
fn class(b: u8) -> u8 {
    CLASS.get(usize::from(b)).copied().unwrap_or(0)
}

#[inline]
fn lookup(table: &[u8; 256], b: u8) -> u8 {
    table.get(usize::from(b)).copied().unwrap_or(NONE)
}

/// A decoded run: its bytes and, per decoded byte, the original span it came from.
struct Decoded {
    bytes: Vec<u8>,
    /// `src[i]` = original `[start, end)` of decoded byte `i`; empty means "the whole run"
    /// (`run`).
    src: Vec<(usize, usize)>,
    run: (usize, usize),
}

impl Decoded {
    /// Original span of decoded `[s, e)`, and whether it differs from a plain copy.
    fn map(&self, s: usize, e: usize) -> Option<(usize, usize, bool)> {
        if self.src.is_empty() {
            return Some((self.run.0, self.run.1, true));
        }
        let first = self.src.get(s)?;
        let last = self.src.get(e.checked_sub(1)?)?;
        let changed = last.1 - first.0 != e - s;
        Some((first.0, last.1, changed))
    }
}

/// Types reported from decoded text.
fn reported(t: EntityType) -> bool {
    t.is_secret()
        || matches!(
            t,
            EntityType::Email | EntityType::CreditCard | EntityType::Ssn | EntityType::Iban
        )
}

/// Run the decoding pass on `text`; `found` holds the plain scan's findings (runs inside a secret
/// already found are not decoded). Appends findings in `text`'s byte offsets.
pub fn find(text: &[u8], found: &[Finding], out: &mut Vec<Finding>) {
    let masks = blocks::masks(text);
    find_in(text, &long_runs(text, &masks), found, out);
}

/// [`find`] with the text's long runs already computed (`runs` must be [`long_runs`]`(text,
/// &blocks::masks(text))`; the secrets family looks at the same runs).
pub(crate) fn find_in(
    text: &[u8],
    runs: &[(usize, usize)],
    found: &[Finding],
    out: &mut Vec<Finding>,
) {
    let mut budget = BUDGET;
    let skip = Skip::new(
        found
            .iter()
            .filter(|f| f.builtin().is_some_and(EntityType::is_secret))
            .map(|f| (f.start, f.end))
            .collect(),
    );
    level(text, runs, &skip, MAX_DEPTH, &mut budget, out);
}

/// Spans whose inside is not decoded (the secrets the plain scan found), for an O(log n) "is this
/// run inside one of them" test: a large payload has hundreds of them and thousands of runs.
#[derive(Default)]
struct Skip {
    /// Span starts, ascending.
    starts: Vec<usize>,
    /// `max_end[i]`: the largest end among the spans `..=i`.
    max_end: Vec<usize>,
}

impl Skip {
    fn new(mut spans: Vec<(usize, usize)>) -> Skip {
        spans.sort_unstable();
        let mut max = 0;
        let max_end = spans
            .iter()
            .map(|&(_, e)| {
                max = max.max(e);
                max
            })
            .collect();
        Skip {
            starts: spans.into_iter().map(|(s, _)| s).collect(),
            max_end,
        }
    }

    /// Whether `[s, e)` lies inside one span: among the spans starting at or before `s`, the one
    /// reaching furthest reaches `e`.
    fn covers(&self, s: usize, e: usize) -> bool {
        let k = self.starts.partition_point(|&a| a <= s);
        k.checked_sub(1)
            .and_then(|i| self.max_end.get(i))
            .is_some_and(|&end| end >= e)
    }
}

fn level(
    text: &[u8],
    long: &[(usize, usize)],
    skip: &Skip,
    depth: usize,
    budget: &mut usize,
    out: &mut Vec<Finding>,
) {
    if depth == 0 {
        return;
    }
    let mut runs = Vec::new();
    collect(text, long, skip, budget, &mut runs);
    for d in runs {
        let mut inner = Vec::new();
        let inner_masks = blocks::masks(&d.bytes);
        let inner_long = long_runs(&d.bytes, &inner_masks);
        super::secrets::find_in(&d.bytes, &inner_masks, &inner_long, &mut inner);
        super::pii::find_in(&d.bytes, &inner_masks, &mut inner);
        level(
            &d.bytes,
            &inner_long,
            &Skip::default(),
            depth - 1,
            budget,
            &mut inner,
        );
        for f in inner {
            if !f.builtin().is_some_and(reported) {
                continue;
            }
            if let Some((s, e, changed)) = d.map(f.start, f.end)
                && changed
                && s < e
                && e <= text.len()
            {
                out.push(Finding {
                    entity_type: f.entity_type,
                    start: s,
                    end: e,
                    confidence: f.confidence,
                });
            }
        }
    }
}

/// Every decodable run of `text`, in order, within the budget.
fn collect(
    text: &[u8],
    long: &[(usize, usize)],
    skip: &Skip,
    budget: &mut usize,
    out: &mut Vec<Decoded>,
) {
    // base64 / hex runs.
    // The probe's decoded bytes, one buffer for every run: most runs stop at the probe, and a
    // buffer per run was an allocation each.
    let mut probe = Vec::with_capacity(PROBE[1]);
    for &(s, e) in long {
        let with_pad = e + text
            .get(e..)
            .map_or(0, |t| t.iter().take(2).take_while(|&&b| b == b'=').count());
        if with_pad - s > MAX_RUN || with_pad - s > *budget || skip.covers(s, with_pad) {
            continue;
        }
        let Some(run) = text.get(s..e) else { continue };
        // Most runs (digests, ids, paths) decode to binary: the first few decoded bytes already
        // hold bytes no UTF-8 text has, however the run decodes, and it stops there, before the
        // pass over the whole run that tells how it decodes.
        if binary_either_way(run, &mut probe) {
            continue;
        }
        let Some(enc) = encoding(run, with_pad - e) else {
            continue;
        };
        // The budget counts every decodable run that gets past that probe, printable or not.
        *budget = budget.saturating_sub(enc.decoded_len(run));
        if binary_head(enc, run, &mut probe) {
            continue;
        }
        let mut bytes = Vec::with_capacity(enc.decoded_len(run));
        enc.decode(run, &mut bytes);
        if printable(&bytes) {
            out.push(Decoded {
                bytes,
                src: Vec::new(),
                run: (s, with_pad),
            });
        }
    }
    // Percent and escape sequences, token by token.
    let mut from = 0;
    while let Some(off) = text
        .get(from..)
        .and_then(|t| memchr::memchr2(b'%', b'\\', t))
    {
        let at = from + off;
        let (ts, te) = token(text, at);
        from = te.max(at + 1);
        if te - ts > MAX_RUN || te - ts > *budget || skip.covers(ts, te) {
            continue;
        }
        if let Some(d) = unescape(text, ts, te) {
            *budget = budget.saturating_sub(d.bytes.len());
            if printable(&d.bytes) {
                out.push(d);
            }
        }
    }
    // Invisible characters: the token around each, with them removed.
    if has_invisible(text) {
        let mut from = 0;
        while let Some(at) = next_invisible(text, from) {
            let (ts, te) = token(text, at);
            from = te.max(at + 1);
            if te - ts > MAX_RUN || te - ts > *budget {
                continue;
            }
            let d = strip_invisible(text, ts, te);
            *budget = budget.saturating_sub(d.bytes.len());
            out.push(d);
        }
    }
}

/// Every maximal run of base64 characters at least `MIN_B64` long, in order ([`long_run`]
/// repeated): the decoding pass decodes them, the secrets family looks vendor prefixes up at their
/// starts.
pub(crate) fn long_runs(text: &[u8], masks: &[Block]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    long_runs_into(text, masks, &mut out);
    out
}

/// [`long_runs`] into `out` (cleared first), so a caller can reuse its buffer.
pub(crate) fn long_runs_into(text: &[u8], masks: &[Block], out: &mut Vec<(usize, usize)>) {
    out.clear();
    // Sized for about one run per 128 bytes (the bench records hold one per ~160), so a record
    // rarely grows it: each growth was a reallocation.
    out.reserve(8 + text.len() / 128);
    let mut i = 0;
    while let Some((s, e)) = long_run(text, masks, i) {
        out.push((s, e));
        i = e.max(s + 1);
    }
}

/// The next maximal run of base64 characters from `from` at least `MIN_B64` long:
/// `[start, end)` without padding. Bytes before `from` do not count.
///
/// Works on 64-byte blocks: one bit mask of run bytes per block ([`run_mask`]), then shifts find
/// the first 16 consecutive set bits; prose and logs, whose words are shorter, cost a few
/// instructions per block instead of a table lookup and a branch per byte.
fn long_run(text: &[u8], masks: &[Block], from: usize) -> Option<(usize, usize)> {
    if from >= text.len() {
        return None;
    }
    let mut base = from & !63;
    // Ignore the bytes of the first block before `from`.
    let mut m = run_mask(masks, base) & (u64::MAX << (from - base));
    // Run bytes ending the previous block (a run crossing into this one).
    let mut carry = 0usize;
    loop {
        if carry > 0 {
            let t = m.trailing_ones() as usize;
            if t == 64 {
                carry += 64;
            } else if carry + t >= MIN_B64 {
                return Some((base - carry, base + t));
            } else {
                carry = 0;
            }
        }
        if carry == 0 {
            // Bit k of `r` set: bytes k..k+16 of the block are all run bytes.
            let mut r = m & (m >> 1);
            r &= r >> 2;
            r &= r >> 4;
            r &= r >> 8;
            if r != 0 {
                let k = r.trailing_zeros() as usize;
                let t = (m >> k).trailing_ones() as usize;
                if k + t < 64 {
                    return Some((base + k, base + k + t));
                }
                // The run reaches the block's end: follow it.
                let start = base + k;
                let mut end = base + 64;
                while end < text.len() {
                    let t = run_mask(masks, end).trailing_ones() as usize;
                    end += t;
                    if t < 64 {
                        break;
                    }
                }
                return Some((start, end.min(text.len())));
            }
            carry = m.leading_ones() as usize;
        }
        base += 64;
        if base >= text.len() {
            return (carry >= MIN_B64).then(|| (text.len() - carry, text.len()));
        }
        m = run_mask(masks, base);
    }
}

/// Bit k set: byte `base + k` is a base64 character (`A-Za-z0-9+/-_`); bytes past the end are not
/// (the `run` mask of [`blocks::masks`]).
#[inline(always)]
fn run_mask(masks: &[Block], base: usize) -> u64 {
    masks.get(base >> 6).map_or(0, |b| b.run)
}

/// Run bytes decoded first to reject binary early, in two steps: a multiple of 4 (base64) and of
/// 2 (hex), so each head decodes to a prefix of what the whole run decodes to.
const PROBE: [usize; 2] = [8, 24];

/// Whether the head of `run` decodes to bytes no UTF-8 text has (an invalid sequence, not one cut
/// short by the head's end): first its 8 bytes (6 decoded bytes of base64, 4 of hex), which
/// reject most binary runs, then its 24. A sequence found invalid in a prefix is the first error
/// of every longer prefix too, so the short step rejects exactly the runs the long one would,
/// sooner. `buf` is scratch space.
fn binary_head(enc: Enc, run: &[u8], buf: &mut Vec<u8>) -> bool {
    for n in PROBE {
        let head = run.get(..n).unwrap_or(run);
        buf.clear();
        enc.decode(head, buf);
        if invalid_utf8(buf) {
            return true;
        }
        if head.len() == run.len() {
            break;
        }
    }
    false
}

/// Whether `b` holds a byte sequence no UTF-8 text has; a sequence cut short by the end of `b`
/// does not count. The same answer as `std::str::from_utf8(b).is_err_and(|e|
/// e.error_len().is_some())`, without that function's set-up for long inputs and without a branch
/// per byte: the probes hand it 4 to 18 bytes of mostly random binary, thousands of times per
/// payload, where a branch per byte mispredicted about once a byte. A table-driven automaton
/// (B. Hoehrmann's UTF-8 DFA): each byte's class moves the state; the reject state is sticky.
#[inline]
fn invalid_utf8(b: &[u8]) -> bool {
    let mut st = 0u8;
    for &c in b {
        let class = UTF8_CLASS.get(usize::from(c)).copied().unwrap_or(8);
        st = UTF8_NEXT
            .get(usize::from(st) + usize::from(class))
            .copied()
            .unwrap_or(UTF8_REJECT);
    }
    st == UTF8_REJECT
}

/// [`invalid_utf8`]'s reject state.
const UTF8_REJECT: u8 = 12;

/// Byte classes of the UTF-8 automaton: 0 ASCII, 1/9/7 continuation bytes `80..8F` / `90..9F` /
/// `A0..BF`, 8 never valid (`C0 C1 F5..FF`), 2 two-byte leads, 10 `E0`, 3 other three-byte leads,
/// 4 `ED`, 11 `F0`, 6 `F1..F3`, 5 `F4`.
static UTF8_CLASS: [u8; 256] = utf8_classes();

#[expect(
    clippy::indexing_slicing,
    reason = "const evaluation; every index is below 256"
)]
const fn utf8_classes() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0x80usize;
    while i < 256 {
        t[i] = match i {
            0x80..=0x8F => 1,
            0x90..=0x9F => 9,
            0xA0..=0xBF => 7,
            0xC2..=0xDF => 2,
            0xE0 => 10,
            0xED => 4,
            0xE1..=0xEF => 3,
            0xF0 => 11,
            0xF1..=0xF3 => 6,
            0xF4 => 5,
            _ => 8,
        };
        i += 1;
    }
    t
}

/// State transitions: row `state` (a multiple of 12: 0 accept, 12 reject, the others inside a
/// sequence), column the byte's class.
static UTF8_NEXT: [u8; 108] = [
    0, 12, 24, 36, 60, 96, 84, 12, 12, 12, 48, 72, // accept
    12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, // reject
    12, 0, 12, 12, 12, 12, 12, 0, 12, 0, 12, 12, // one continuation byte left
    12, 24, 12, 12, 12, 12, 12, 24, 12, 24, 12, 12, // two left
    12, 12, 12, 12, 12, 12, 12, 24, 12, 12, 12, 12, // after E0: A0..BF
    12, 24, 12, 12, 12, 12, 12, 12, 12, 24, 12, 12, // after ED: 80..9F
    12, 12, 12, 12, 12, 12, 12, 36, 12, 36, 12, 12, // after F0: 90..BF
    12, 36, 12, 12, 12, 12, 12, 36, 12, 36, 12, 12, // after F1..F3: 80..BF
    12, 36, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, // after F4: 80..8F
];

/// Whether the first [`PROBE`]`[0]` bytes of `run` decode to bytes no UTF-8 text has both as
/// base64 and as hex (or cannot be hex: a byte that is no hex digit, or hex letters of both
/// cases): then [`binary_head`] rejects the run whichever [`encoding`] it has, and so does this,
/// without reading the rest of the run. `buf` is scratch space.
fn binary_either_way(run: &[u8], buf: &mut Vec<u8>) -> bool {
    let Some(head) = run.get(..PROBE[0]) else {
        return false;
    };
    let (mut any, mut all) = (0u8, 0xFFu8);
    for &b in head {
        let c = class(b);
        any |= c;
        all &= c;
    }
    let hex_may = all & HEX != 0 && (any & UPPER == 0 || any & LOWER == 0);
    if hex_may {
        buf.clear();
        Enc::Hex.decode(head, buf);
        if !invalid_utf8(buf) {
            return false;
        }
    }
    buf.clear();
    Enc::Base64.decode(head, buf);
    invalid_utf8(buf)
}

/// How a run decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Enc {
    Hex,
    Base64,
}

/// How `run` (followed by `pad` `=`) decodes, if at all: hex for an even run of hex digits in one
/// case without padding, else base64 if [`base64`] accepts it. One pass over the run's classes.
fn encoding(run: &[u8], pad: usize) -> Option<Enc> {
    let (mut any, mut all) = (0u8, 0xFFu8);
    for &b in run {
        let c = class(b);
        any |= c;
        all &= c;
    }
    // One case per hex run (`xxd -p` is lower case): mixed case is an identifier, not a dump.
    if pad == 0
        && run.len().is_multiple_of(2)
        && all & HEX != 0
        && run.len() >= MIN_HEX
        && (any & UPPER == 0 || any & LOWER == 0)
    {
        return Some(Enc::Hex);
    }
    base64_ok(run, pad, any, all).then_some(Enc::Base64)
}

/// The strict base64 rules: one alphabet, not letters only, some lower case, a length base64
/// allows, padding only where it belongs, zero trailing bits. `any`/`all`: the OR and AND of the
/// run's classes.
fn base64_ok(run: &[u8], pad: usize, any: u8, all: u8) -> bool {
    if any & STD != 0 && any & URL != 0 || run.len() < MIN_B64 {
        return false;
    }
    // A run of letters only (a long word or identifier) or digits only is not base64 text.
    if all & ALPHA != 0 || any & LOWER == 0 {
        return false;
    }
    // Bits left after the last whole byte: 2 per character beyond a multiple of 4.
    let spare = match (run.len() % 4, pad) {
        (0, 0) => 0,
        (2, 0) | (2, 2) => 4,
        (3, 0) | (3, 1) => 2,
        _ => return false,
    };
    // Non-canonical trailing bits: not something a base64 encoder wrote.
    let last = run.last().map_or(NONE, |&b| lookup(&B64_VAL, b));
    last != NONE && last & ((1 << spare) - 1) == 0
}

impl Enc {
    fn decoded_len(self, run: &[u8]) -> usize {
        match self {
            Enc::Hex => run.len() / 2,
            Enc::Base64 => run.len() * 3 / 4,
        }
    }

    /// Append what `run` decodes to (its characters are checked by [`encoding`]).
    fn decode(self, run: &[u8], out: &mut Vec<u8>) {
        match self {
            Enc::Hex => {
                for p in run.chunks_exact(2) {
                    if let [a, b] = p {
                        out.push(lookup(&HEX_VAL, *a) << 4 | lookup(&HEX_VAL, *b) & 15);
                    }
                }
            }
            Enc::Base64 => {
                let mut quads = run.chunks_exact(4);
                for q in &mut quads {
                    if let [a, b, c, d] = q {
                        let v = u32::from(lookup(&B64_VAL, *a)) << 18
                            | u32::from(lookup(&B64_VAL, *b)) << 12
                            | u32::from(lookup(&B64_VAL, *c)) << 6
                            | u32::from(lookup(&B64_VAL, *d));
                        out.extend_from_slice(&[(v >> 16) as u8, (v >> 8) as u8, v as u8]);
                    }
                }
                let mut acc: u32 = 0;
                let mut bits = 0;
                for &b in quads.remainder() {
                    acc = (acc << 6) | u32::from(lookup(&B64_VAL, b));
                    bits += 6;
                    if bits >= 8 {
                        bits -= 8;
                        out.push((acc >> bits) as u8);
                        acc &= (1 << bits) - 1;
                    }
                }
            }
        }
    }
}

/// Decode a base64 or base64url run (`pad` `=` follow it). Strict: see [`base64_ok`].
#[cfg(test)]
fn base64(run: &[u8], pad: usize) -> Option<Vec<u8>> {
    let (mut any, mut all) = (0u8, 0xFFu8);
    for &b in run {
        any |= class(b);
        all &= class(b);
    }
    if all == 0 || !base64_ok(run, pad, any, all) {
        return None;
    }
    let mut out = Vec::new();
    Enc::Base64.decode(run, &mut out);
    Some(out)
}

fn hex_val(b: u8) -> Option<u8> {
    let v = lookup(&HEX_VAL, b);
    (v != NONE).then_some(v)
}

/// Valid UTF-8, at least 8 bytes, and at least 90% printable characters (tabs and line breaks
/// count as printable).
pub fn printable(bytes: &[u8]) -> bool {
    let Ok(s) = std::str::from_utf8(bytes) else {
        return false;
    };
    if bytes.len() < 8 {
        return false;
    }
    let mut total = 0usize;
    let mut bad = 0usize;
    for c in s.chars() {
        total += 1;
        if c.is_control() && !matches!(c, '\t' | '\n' | '\r') || c == '\u{FFFD}' {
            bad += 1;
        }
    }
    bad * 10 <= total
}

fn is_token_byte(b: u8) -> bool {
    !matches!(
        b,
        b' ' | b'\t' | b'\n' | b'\r' | b'"' | b'\'' | b'`' | b'<' | b'>' | b'(' | b')'
    )
}

/// The token (run of non-space, non-quote bytes) around `at`, at most `MAX_RUN` bytes each side.
fn token(text: &[u8], at: usize) -> (usize, usize) {
    let mut s = at;
    while s > 0 && at - s < MAX_RUN && text.get(s - 1).is_some_and(|&b| is_token_byte(b)) {
        s -= 1;
    }
    let mut e = at;
    while e < text.len() && e - at < MAX_RUN && text.get(e).is_some_and(|&b| is_token_byte(b)) {
        e += 1;
    }
    (s, e)
}

/// Decode `%XX`, `\xHH`, `\NNN` (octal), `\uHHHH` in `text[ts..te]`; `None` if there are none.
fn unescape(text: &[u8], ts: usize, te: usize) -> Option<Decoded> {
    let tok = text.get(ts..te)?;
    // Most tokens with a `%` or `\` hold no sequence (`\"` and `\n` in JSON, `100%`): they
    // are told apart before anything is allocated.
    let first =
        memchr::memchr2_iter(b'%', b'\\', tok).find_map(|i| Some((i, sequence(tok, i)?)))?;
    let mut bytes = Vec::with_capacity(tok.len());
    let mut src = Vec::with_capacity(tok.len());
    for (k, &b) in tok.get(..first.0).unwrap_or_default().iter().enumerate() {
        bytes.push(b);
        src.push((ts + k, ts + k + 1));
    }
    let mut i = first.0;
    let mut next = Some(first.1);
    while i < tok.len() {
        match next.take().or_else(|| sequence(tok, i)) {
            Some((out, n, len)) => {
                for &o in out.get(..n).unwrap_or_default() {
                    bytes.push(o);
                    src.push((ts + i, ts + i + len));
                }
                i += len;
            }
            None => {
                bytes.push(tok.get(i).copied().unwrap_or(0));
                src.push((ts + i, ts + i + 1));
                i += 1;
            }
        }
    }
    Some(Decoded {
        bytes,
        src,
        run: (ts, te),
    })
}

/// The escape sequence at `tok[i]`, if one starts there: its decoded bytes (the first `n` of the
/// array) and its length in `tok`.
fn sequence(tok: &[u8], i: usize) -> Option<([u8; 4], usize, usize)> {
    let get = |k: usize| tok.get(k).copied().unwrap_or(0);
    let hx = |k: usize, n: usize| -> Option<u32> {
        (0..n).try_fold(0u32, |acc, j| {
            Some(acc << 4 | u32::from(hex_val(get(k + j))?))
        })
    };
    let one = |v: u32| [v as u8, 0, 0, 0];
    match (get(i), get(i + 1)) {
        (b'%', _) => hx(i + 1, 2).map(|v| (one(v), 1, 3)),
        (b'\\', b'x') => hx(i + 2, 2).map(|v| (one(v), 1, 4)),
        (b'\\', b'u') => hx(i + 2, 4).and_then(char::from_u32).map(|c| {
            let mut buf = [0u8; 4];
            let n = c.encode_utf8(&mut buf).len();
            (buf, n, 6)
        }),
        (b'\\', b'0'..=b'7') => {
            let n = (1..=4)
                .take_while(|&j| {
                    j <= 3 + usize::from(get(i + 1) == b'0') && matches!(get(i + j), b'0'..=b'7')
                })
                .count();
            let v = (1..=n).fold(0u32, |acc, j| acc * 8 + u32::from(get(i + j) - b'0'));
            u8::try_from(v).ok().map(|v| ([v, 0, 0, 0], 1, n + 1))
        }
        _ => None,
    }
}

/// Length of an invisible character at `i` (UTF-8), or 0.
fn invisible_at(text: &[u8], i: usize) -> usize {
    match text.get(i..).unwrap_or_default() {
        [0xE2, 0x80, 0x8B..=0x8D, ..] | [0xE2, 0x81, 0xA0, ..] | [0xEF, 0xBB, 0xBF, ..] => 3,
        [0xC2, 0xAD, ..] => 2,
        _ => 0,
    }
}

fn next_invisible(text: &[u8], mut from: usize) -> Option<usize> {
    while let Some(off) = text
        .get(from..)
        .and_then(|t| memchr::memchr3(0xE2, 0xEF, 0xC2, t))
    {
        let at = from + off;
        if invisible_at(text, at) > 0 {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

fn has_invisible(text: &[u8]) -> bool {
    next_invisible(text, 0).is_some()
}

/// `text[ts..te]` without its invisible characters; each kept byte maps to itself, widened over
/// the invisible characters that follow it (so a finding's span covers them).
fn strip_invisible(text: &[u8], ts: usize, te: usize) -> Decoded {
    let mut bytes = Vec::with_capacity(te - ts);
    let mut src: Vec<(usize, usize)> = Vec::with_capacity(te - ts);
    let mut i = ts;
    while i < te {
        let n = invisible_at(text, i);
        if n > 0 {
            if let Some(last) = src.last_mut() {
                last.1 = i + n;
            }
            i += n;
            continue;
        }
        bytes.push(text.get(i).copied().unwrap_or(0));
        src.push((i, i + 1));
        i += 1;
    }
    Decoded {
        bytes,
        src,
        run: (ts, te),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_covers_exactly_the_runs_inside_a_span() {
        // Unsorted, nested and overlapping spans; checked against the linear definition.
        let spans = vec![(50, 60), (10, 40), (12, 20), (35, 45), (70, 71)];
        let skip = Skip::new(spans.clone());
        for s in 0..80 {
            for e in s..82 {
                let linear = spans.iter().any(|&(a, b)| a <= s && e <= b);
                assert_eq!(skip.covers(s, e), linear, "[{s}, {e})");
            }
        }
        assert!(!Skip::default().covers(0, 0));
    }

    fn b64(s: &str) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for c in s.as_bytes().chunks(3) {
            let n = c.len();
            let v = c
                .iter()
                .enumerate()
                .fold(0u32, |a, (i, &b)| a | u32::from(b) << (16 - 8 * i));
            for k in 0..4 {
                if k <= n {
                    out.push(A[((v >> (18 - 6 * k)) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    const KEY: &str = "sk_live_4eC39HqLyjWDarjtT1zdp7dc";

    fn decoded(text: &str) -> Vec<Finding> {
        let mut plain = Vec::new();
        super::super::secrets::find(text.as_bytes(), &mut plain);
        let mut out = Vec::new();
        find(text.as_bytes(), &plain, &mut out);
        out
    }

    /// The two-step probe rejects exactly the runs one decode of the first 24 bytes rejects:
    /// pseudo-random base64 and hex runs of every length from 16 to 40 (binary, text, and text
    /// cut inside a multi-byte character).
    #[test]
    fn two_step_probe_rejects_what_one_probe_does() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let b64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut runs: Vec<(Enc, Vec<u8>)> = Vec::new();
        for _ in 0..4000 {
            let len = 16 + next(25) as usize;
            let run: Vec<u8> = (0..len)
                .map(|_| b64.get(next(64) as usize).copied().unwrap_or(b'A'))
                .collect();
            runs.push((Enc::Base64, run));
            let hex: Vec<u8> = (0..len)
                .map(|_| {
                    b"0123456789abcdef"
                        .get(next(16) as usize)
                        .copied()
                        .unwrap_or(b'0')
                })
                .collect();
            runs.push((Enc::Hex, hex));
        }
        // Text, and text whose multi-byte characters straddle the probe's ends.
        for t in [
            "plain ascii text, long enough",
            "Zürich Köln Øresund café naïve",
            "東京都渋谷区神南一丁目",
        ] {
            let mut hex = Vec::new();
            for b in t.bytes() {
                hex.extend_from_slice(format!("{b:02x}").as_bytes());
            }
            for cut in 16..hex.len().min(60) {
                runs.push((Enc::Hex, hex.get(..cut & !1).unwrap_or_default().to_vec()));
            }
        }
        let mut rejected = 0;
        let mut early = 0;
        let mut buf = Vec::new();
        for (enc, run) in &runs {
            let mut one = Vec::new();
            enc.decode(run.get(..24).unwrap_or(run), &mut one);
            let want = std::str::from_utf8(&one).is_err_and(|e| e.error_len().is_some());
            assert_eq!(binary_head(*enc, run, &mut buf), want, "{enc:?} {run:?}");
            rejected += usize::from(want);
            // The probe before `encoding` rejects only runs the probe after it would reject.
            if binary_either_way(run, &mut buf) {
                early += 1;
                if let Some(e) = encoding(run, 0) {
                    assert!(binary_head(e, run, &mut buf), "{e:?} {run:?}");
                }
            }
        }
        assert!(early > rejected / 2, "{early} of {rejected}");
        assert!(
            rejected > runs.len() / 2 && rejected < runs.len(),
            "{rejected}"
        );
    }

    /// `invalid_utf8` agrees with the standard library on every sequence of up to 3 bytes and on
    /// 200,000 pseudo-random ones of 4 to 18 bytes biased towards UTF-8's lead and continuation
    /// bytes.
    #[test]
    fn invalid_utf8_agrees_with_std() {
        let std_says = |b: &[u8]| std::str::from_utf8(b).is_err_and(|e| e.error_len().is_some());
        for a in 0..=255u8 {
            assert_eq!(invalid_utf8(&[a]), std_says(&[a]), "{a:#x}");
            for b in 0..=255u8 {
                assert_eq!(invalid_utf8(&[a, b]), std_says(&[a, b]), "{a:#x} {b:#x}");
                for c in [
                    0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xE0, 0xED,
                    0xF0, 0xF4, 0xF5, 0xFF,
                ] {
                    let s = [a, b, c];
                    assert_eq!(invalid_utf8(&s), std_says(&s), "{s:x?}");
                }
            }
        }
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let pool = [
            0x20u8, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1,
            0xED, 0xEF, 0xF0, 0xF3, 0xF4, 0xF5,
        ];
        for _ in 0..200_000 {
            let r = next();
            let len = 4 + (r % 15) as usize;
            let s: Vec<u8> = (0..len)
                .map(|_| {
                    let v = next();
                    if v & 1 == 0 {
                        pool[(v >> 8) as usize % pool.len()]
                    } else {
                        (v >> 16) as u8
                    }
                })
                .collect();
            assert_eq!(invalid_utf8(&s), std_says(&s), "{s:x?}");
        }
    }

    #[test]
    fn base64_key_maps_to_the_encoded_run() {
        let enc = b64(KEY);
        let text = format!("echo {enc} | base64 -d > k");
        let f = decoded(&text);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].entity_type, "stripe_key");
        assert_eq!(&text[f[0].start..f[0].end], enc);
    }

    #[test]
    fn hex_and_double_encoding() {
        let hexed: String = KEY.bytes().map(|b| format!("{b:02x}")).collect();
        let f = decoded(&format!("x {hexed} y"));
        assert_eq!(f.len(), 1);
        // Depth 2: base64 of the hex dump.
        let twice = b64(&hexed);
        let text = format!("payload={twice}");
        let f = decoded(&text);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(&text[f[0].start..f[0].end], twice);
    }

    #[test]
    fn percent_octal_hex_unicode_escapes() {
        let octal = r"\163\153\137\154\151\166\145\137\64\145\103\63\71\110\161\114\171\152\127\104\141\162\152\164\124\61\172\144\160\67\144\143";
        let xesc = r"\x73\x6b\x5f\x6c\x69\x76\x65\x5f4eC39HqLyjWDarjtT1zdp7dc";
        let uesc = r"sk\u005flive\u005f4eC39HqLyjWDarjtT1zdp7dc";
        let pct = "sk%5Flive%5F4eC39HqLyjWDarjtT1zdp7dc";
        for (text, span) in [
            (format!("curl 'https://x.test/?k={pct}'"), pct),
            (format!("printf '{octal}'"), octal),
            (format!("s = \"{xesc}\""), xesc),
            (format!("{{\"k\": \"{uesc}\"}}"), uesc),
        ] {
            let f = decoded(&text);
            assert_eq!(f.len(), 1, "{text}: {f:?}");
            // The span is the whole encoded value, first byte to last.
            assert_eq!(&text[f[0].start..f[0].end], span, "{text}");
        }
    }

    #[test]
    fn invisible_characters_inside_a_key() {
        let text = "key sk_live_4eC39Hq\u{200B}LyjWDarjtT1zdp7dc end";
        let f = decoded(text);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(
            &text[f[0].start..f[0].end],
            "sk_live_4eC39Hq\u{200B}LyjWDarjtT1zdp7dc"
        );
        let text = "k=sk_live_4eC39Hq\u{00AD}LyjWDarjtT1zdp7dc\u{FEFF}";
        assert_eq!(decoded(text).len(), 1);
    }

    #[test]
    fn plain_text_and_noise_decode_to_nothing() {
        for text in [
            "The quick brown fox jumps over the lazy dog, twice.",
            "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "/usr/local/lib/python3.12/site-packages/some_module_name",
            "id=550e8400-e29b-41d4-a716-446655440000 name=really_long_identifier_name",
            "100% of 50%AB requests; C:\\Users\\x\\file",
            "already found: sk_live_4eC39HqLyjWDarjtT1zdp7dc",
        ] {
            assert!(decoded(text).is_empty(), "{text}");
        }
        // Plain base64 of prose is decoded but carries nothing reportable.
        assert!(decoded(&b64("hello there, general kenobi")).is_empty());
    }

    #[test]
    fn strict_base64() {
        assert!(base64(b"c2tfbGl2ZV80ZUMzOUhx", 0).is_some());
        // Mixed alphabets, a length base64 never has, letters only.
        assert!(base64(b"c2tf-Gl2ZV80ZU+zOUhx", 0).is_none());
        assert!(base64(b"c2tfbGl2ZV80ZUMzOUhxa", 0).is_none());
        assert!(base64(b"abcdefghijklmnopqrst", 0).is_none());
        assert!(!printable(&[0xff, 0x00, 0x12, 0x80, 1, 2, 3, 4]));
    }

    /// The byte-at-a-time run finder the block version replaced.
    fn long_run_naive(text: &[u8], from: usize) -> Option<(usize, usize)> {
        let rest = text.get(from..)?;
        let mut run = 0usize;
        for (k, &b) in rest.iter().enumerate() {
            if class(b) != 0 {
                run += 1;
            } else {
                if run >= MIN_B64 {
                    return Some((from + k - run, from + k));
                }
                run = 0;
            }
        }
        (run >= MIN_B64).then(|| (text.len() - run, text.len()))
    }

    #[test]
    fn block_run_finder_matches_the_byte_loop() {
        // Runs of every length around 16 and 64, at every offset around block edges, with `from`
        // before, inside and after them.
        for len in [1usize, 15, 16, 17, 48, 63, 64, 65, 127, 128, 129, 200] {
            for at in [0usize, 1, 15, 47, 48, 49, 63, 64, 65, 100, 127, 128] {
                for tail in [0usize, 1, 5, 64] {
                    let mut t = vec![b' '; at];
                    t.extend(std::iter::repeat_n(b'a', len));
                    t.extend(std::iter::repeat_n(b'.', tail));
                    for from in [0, at / 2, at, at + 1, at + len / 2, at + len, t.len()] {
                        assert_eq!(
                            long_run(&t, &blocks::masks(&t), from),
                            long_run_naive(&t, from),
                            "len {len} at {at} tail {tail} from {from}"
                        );
                    }
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn block_run_finder_matches_on_random_text(
            t in proptest::collection::vec(
                proptest::prop_oneof![
                    20 => proptest::strategy::Just(b'x'),
                    1 => proptest::strategy::Just(b' '),
                    1 => proptest::strategy::Just(b'+'),
                    1 => proptest::strategy::Just(0xE2u8),
                ],
                0..400,
            ),
            from in 0usize..420,
        ) {
            proptest::prop_assert_eq!(
                long_run(&t, &blocks::masks(&t), from),
                long_run_naive(&t, from)
            );
        }
    }

    #[test]
    fn budget_and_depth_bound_the_work() {
        // A run over MAX_RUN is skipped.
        let huge = b64(&format!("{KEY} {}", "a".repeat(MAX_RUN)));
        assert!(decoded(&huge).is_empty());
        // Three levels deep is past MAX_DEPTH.
        let thrice = b64(&b64(&b64(KEY)));
        assert!(decoded(&thrice).is_empty());
        assert_eq!(decoded(&b64(&b64(KEY))).len(), 1);
    }
}
