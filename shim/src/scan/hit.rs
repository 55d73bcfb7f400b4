//! A located finding: where it is (line, column, byte range), what it is, and a hint that never
//! carries a byte of the value.
//!
//! # Positions
//! - `line`, `end_line`: 1-based; a line ends after `\n` (a `\r` before it is part of the line).
//! - `column`, `end_column`: 1-based, counted in Unicode code points (SARIF `columnKind`
//!   `unicodeCodePoints`); `end_column` is exclusive (the column just after the last character),
//!   as SARIF's `endColumn` is. In invalid UTF-8 every byte that is not a UTF-8 continuation byte
//!   counts as one column, which equals the code-point count wherever the text is valid.
//! - `start`, `end`: the half-open byte range `[start, end)` in the file.

use datafog::entity::{EntityType, Finding};
use datafog::receipt::canonical_confidence;
use serde::Serialize;

/// A line carrying this marker reports no finding that starts on it (like `gitleaks:allow`).
pub const ALLOW_MARKER: &[u8] = b"datafog:allow";

/// One finding in one file, safe to print: no matched text.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Hit {
    pub entity_type: String,
    /// `secret`, `pii`, or `custom`.
    pub group: &'static str,
    /// Rounded to 4 decimals.
    pub confidence: f64,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub start: usize,
    pub end: usize,
    /// A public, fixed vendor prefix the value starts with (`ghp_`, `sk_live_`, `AKIA`, ...),
    /// taken from `EntityType::vendor_prefixes` (see [`hint`]), never from the value itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<&'static str>,
}

/// The group name of an entity type (`custom` for policy custom detectors).
pub fn group_of(t: Option<EntityType>) -> &'static str {
    t.map_or("custom", EntityType::group)
}

/// The longest vendor prefix (`EntityType::vendor_prefixes`: fixed, publicly documented
/// prefixes of provider credentials) `value` starts with, for secrets only. A hint is one of
/// those constant strings, so it can reveal which kind of key was found (`sk_live_` vs
/// `sk_test_`) and nothing of its random part. Every type's prefixes are tried, not only the
/// finding's own: a generic `api_key` value that starts with `sk-` is hinted `sk-`.
pub fn hint(t: Option<EntityType>, value: &[u8]) -> Option<&'static str> {
    if !t.is_some_and(EntityType::is_secret) {
        return None;
    }
    EntityType::vendor_prefixes()
        .filter(|p| value.starts_with(p.as_bytes()))
        .max_by_key(|p| p.len())
}

/// A position in the text: byte offset, 1-based line, byte offset of that line's start.
#[derive(Clone, Copy, Debug)]
struct Cursor {
    pos: usize,
    line: usize,
    line_start: usize,
}

impl Cursor {
    const START: Cursor = Cursor {
        pos: 0,
        line: 1,
        line_start: 0,
    };

    /// Move forward to `to` (no-op if `to` is behind).
    fn advance(&mut self, text: &[u8], to: usize) {
        let to = to.min(text.len());
        if to <= self.pos {
            return;
        }
        for (i, b) in text
            .get(self.pos..to)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            if *b == b'\n' {
                self.line += 1;
                self.line_start = self.pos + i + 1;
            }
        }
        self.pos = to;
    }

    /// 1-based code-point column of `pos` (see the module docs).
    fn column(&self, text: &[u8]) -> usize {
        1 + text
            .get(self.line_start..self.pos)
            .unwrap_or_default()
            .iter()
            .filter(|&&b| b & 0xC0 != 0x80)
            .count()
    }

    /// The current line's bytes (without its `\n`).
    fn line_text<'t>(&self, text: &'t [u8]) -> &'t [u8] {
        let rest = text.get(self.line_start..).unwrap_or_default();
        let len = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        rest.get(..len).unwrap_or_default()
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Locate `findings` (sorted by start, as `datafog::detect::scan` returns them) in `text`.
/// Findings that start on a line carrying [`ALLOW_MARKER`] are dropped; the second value counts
/// them.
pub fn locate(text: &[u8], findings: &[Finding]) -> (Vec<Hit>, usize) {
    let mut hits = Vec::with_capacity(findings.len());
    let mut allowed = 0;
    let mut at = Cursor::START;
    for f in findings {
        at.advance(text, f.start);
        if contains(at.line_text(text), ALLOW_MARKER) {
            allowed += 1;
            continue;
        }
        let mut end = at;
        end.advance(text, f.end);
        let t = f.builtin();
        hits.push(Hit {
            entity_type: f.entity_type.to_string(),
            group: group_of(t),
            confidence: canonical_confidence(f.confidence),
            line: at.line,
            column: at.column(text),
            end_line: end.line,
            end_column: end.column(text),
            start: f.start,
            end: f.end,
            hint: hint(t, text.get(f.start..f.end).unwrap_or_default()),
        });
    }
    (hits, allowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col_slice(text: &str, h: &Hit) -> String {
        let line: &str = text.split('\n').nth(h.line - 1).unwrap();
        line.chars()
            .skip(h.column - 1)
            .take(h.end_column - h.column)
            .collect()
    }

    #[test]
    fn lines_and_code_point_columns() {
        let text = "a\néé x=1\n  ab\r\n";
        let f = |s: usize, e: usize| Finding::new(EntityType::ApiKey, s, e, 0.5);
        // `x` on line 2 (bytes 2..4 are `é`, 4..6 `é`, 6 space, 7 `x`).
        let (hits, _) = locate(text.as_bytes(), &[f(7, 10), f(13, 15)]);
        assert_eq!(
            (hits[0].line, hits[0].column, hits[0].end_column),
            (2, 4, 7)
        );
        assert_eq!(col_slice(text, &hits[0]), "x=1");
        assert_eq!(
            (hits[1].line, hits[1].column, hits[1].end_column),
            (3, 3, 5)
        );
        assert_eq!(col_slice(text, &hits[1]), "ab");
    }

    #[test]
    fn multi_line_span_and_allow_marker() {
        let text = "k\n-----BEGIN\nX\n-----END\nkey # datafog:allow\n";
        let (hits, allowed) = locate(
            text.as_bytes(),
            &[
                Finding::new(EntityType::PrivateKey, 2, 23, 0.9),
                Finding::new(EntityType::ApiKey, 24, 27, 0.9),
            ],
        );
        assert_eq!(allowed, 1);
        assert_eq!(hits.len(), 1);
        assert_eq!(
            (hits[0].line, hits[0].end_line, hits[0].end_column),
            (2, 4, 9)
        );
    }

    #[test]
    fn hints_are_fixed_prefixes_of_secrets_only() {
        let s = Some(EntityType::StripeKey);
        assert_eq!(hint(s, b"sk_live_abcdef"), Some("sk_live_"));
        assert_eq!(
            hint(Some(EntityType::OpenaiKey), b"sk-proj-abc"),
            Some("sk-proj-")
        );
        assert_eq!(hint(Some(EntityType::ApiKey), b"api_key=abc"), None);
        assert_eq!(hint(Some(EntityType::Email), b"eyJ@x.com"), None);
        assert_eq!(hint(None, b"ghp_x"), None);
    }

    #[test]
    fn every_declared_prefix_is_hinted_for_its_type() {
        for t in EntityType::ALL {
            for p in t.prefixes() {
                let value = format!("{p}abc123");
                assert_eq!(hint(Some(t), value.as_bytes()), Some(*p), "{t}");
            }
        }
    }
}
