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
//! Cost: plain prose pays one table lookup per byte (runs of base64 characters) and `memchr` for
//! `%`, `\` and the lead bytes of the invisible characters; see `docs/scan.md`, "Decoding".

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

/// Byte classes for the run finder.
const B64: u8 = 1; // A-Za-z0-9
const STD: u8 = 2; // + /
const URL: u8 = 4; // - _
const HEX: u8 = 8; // 0-9a-fA-F

/// `class_of` for every byte: the run finder looks at every byte of every scanned text, and a
/// table lookup is a few instructions where the `match` compiled to a chain of range tests (the
/// pass cost ~20 instructions a byte on the bench sample with it).
static CLASS: [u8; 256] = build_class();

#[expect(
    clippy::indexing_slicing,
    reason = "const evaluation; b < 256 indexes a [u8; 256]"
)]
const fn build_class() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut b = 0usize;
    while b < 256 {
        t[b] = class_of(b as u8);
        b += 1;
    }
    t
}

const fn class_of(b: u8) -> u8 {
    match b {
        b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F' => B64 | HEX,
        b'g'..=b'z' | b'G'..=b'Z' => B64,
        b'+' | b'/' => STD,
        b'-' | b'_' => URL,
        _ => 0,
    }
}

#[inline]
fn class(b: u8) -> u8 {
    CLASS.get(usize::from(b)).copied().unwrap_or(0)
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
    let mut budget = BUDGET;
    let skip: Vec<(usize, usize)> = found
        .iter()
        .filter(|f| f.builtin().is_some_and(EntityType::is_secret))
        .map(|f| (f.start, f.end))
        .collect();
    level(text, &skip, MAX_DEPTH, &mut budget, out);
}

fn level(
    text: &[u8],
    skip: &[(usize, usize)],
    depth: usize,
    budget: &mut usize,
    out: &mut Vec<Finding>,
) {
    if depth == 0 {
        return;
    }
    let mut runs = Vec::new();
    collect(text, skip, budget, &mut runs);
    for d in runs {
        let mut inner = Vec::new();
        super::secrets::find(&d.bytes, &mut inner);
        super::pii::find(&d.bytes, &mut inner);
        level(&d.bytes, &[], depth - 1, budget, &mut inner);
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

fn inside(skip: &[(usize, usize)], s: usize, e: usize) -> bool {
    skip.iter().any(|&(a, b)| a <= s && e <= b)
}

/// Every decodable run of `text`, in order, within the budget.
fn collect(text: &[u8], skip: &[(usize, usize)], budget: &mut usize, out: &mut Vec<Decoded>) {
    // base64 / hex runs.
    let mut i = 0;
    while let Some((s, e)) = long_run(text, i) {
        i = e.max(s + 1);
        let with_pad = e + text
            .get(e..)
            .map_or(0, |t| t.iter().take(2).take_while(|&&b| b == b'=').count());
        if with_pad - s > MAX_RUN || with_pad - s > *budget || inside(skip, s, with_pad) {
            continue;
        }
        let Some(run) = text.get(s..e) else { continue };
        let pad = with_pad - e;
        let bytes = if pad == 0
            && run.len() % 2 == 0
            && run.iter().all(|&b| class(b) & HEX != 0)
            && run.len() >= MIN_HEX
        {
            hex(run)
        } else {
            None
        }
        .or_else(|| base64(run, pad));
        let Some(bytes) = bytes else { continue };
        *budget = budget.saturating_sub(bytes.len());
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
        if te - ts > MAX_RUN || te - ts > *budget || inside(skip, ts, te) {
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

/// The next maximal run of base64 characters from `from` at least `MIN_B64` long:
/// `[start, end)` without padding.
fn long_run(text: &[u8], from: usize) -> Option<(usize, usize)> {
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

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn hex(run: &[u8]) -> Option<Vec<u8>> {
    // One case per run (`xxd -p` is lower case): mixed case is an identifier, not a dump.
    let upper = run.iter().any(u8::is_ascii_uppercase);
    let lower = run.iter().any(u8::is_ascii_lowercase);
    if upper && lower {
        return None;
    }
    run.chunks_exact(2)
        .map(|p| match p {
            [a, b] => Some(hex_val(*a)? << 4 | hex_val(*b)?),
            _ => None,
        })
        .collect()
}

fn b64_val(b: u8) -> Option<u8> {
    match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    }
}

/// Decode a base64 or base64url run (`pad` `=` follow it). Strict: one alphabet, a length base64
/// allows, padding only where it belongs, zero trailing bits.
fn base64(run: &[u8], pad: usize) -> Option<Vec<u8>> {
    let std = run.iter().any(|&b| class(b) == STD);
    let url = run.iter().any(|&b| class(b) == URL);
    if std && url || run.len() < MIN_B64 {
        return None;
    }
    // A run of letters only (a long word or identifier) or digits only is not base64 text.
    let letters = run.iter().filter(|b| b.is_ascii_alphabetic()).count();
    if letters == run.len() || !run.iter().any(u8::is_ascii_lowercase) {
        return None;
    }
    match (run.len() % 4, pad) {
        (0, 0) | (2, 0) | (3, 0) | (2, 2) | (3, 1) => {}
        _ => return None,
    }
    let mut out = Vec::with_capacity(run.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &b in run {
        acc = (acc << 6) | u32::from(b64_val(b)?);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // Non-canonical trailing bits: not something a base64 encoder wrote.
    if acc != 0 {
        return None;
    }
    Some(out)
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
    let mut bytes = Vec::with_capacity(tok.len());
    let mut src = Vec::with_capacity(tok.len());
    let mut seqs = 0;
    let mut i = 0;
    let get = |k: usize| tok.get(k).copied().unwrap_or(0);
    while i < tok.len() {
        let b = get(i);
        let hx = |k: usize, n: usize| -> Option<u32> {
            (0..n).try_fold(0u32, |acc, j| {
                Some(acc << 4 | u32::from(hex_val(get(k + j))?))
            })
        };
        let seq: Option<(Vec<u8>, usize)> = match (b, get(i + 1)) {
            (b'%', _) => hx(i + 1, 2).map(|v| (vec![v as u8], 3)),
            (b'\\', b'x') => hx(i + 2, 2).map(|v| (vec![v as u8], 4)),
            (b'\\', b'u') => hx(i + 2, 4)
                .and_then(char::from_u32)
                .map(|c| (c.to_string().into_bytes(), 6)),
            (b'\\', b'0'..=b'7') => {
                let n = (1..=4)
                    .take_while(|&j| {
                        j <= 3 + usize::from(get(i + 1) == b'0')
                            && matches!(get(i + j), b'0'..=b'7')
                    })
                    .count();
                let v = (1..=n).fold(0u32, |acc, j| acc * 8 + u32::from(get(i + j) - b'0'));
                u8::try_from(v).ok().map(|v| (vec![v], n + 1))
            }
            _ => None,
        };
        match seq {
            Some((out, len)) => {
                seqs += 1;
                for o in out {
                    bytes.push(o);
                    src.push((ts + i, ts + i + len));
                }
                i += len;
            }
            None => {
                bytes.push(b);
                src.push((ts + i, ts + i + 1));
                i += 1;
            }
        }
    }
    (seqs > 0).then_some(Decoded {
        bytes,
        src,
        run: (ts, te),
    })
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
