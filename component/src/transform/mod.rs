//! Transforms: apply a plan (entity type -> mode) to text, overlap-safe, with keyed tokens/hashes.
//!
//! Differences from the Go service (`ApplyTransforms`), all deliberate:
//! - overlapping findings are merged into one union span, replaced once (Go replaces each finding
//!   in the already-modified buffer with the original offsets and garbles the output);
//! - the replaced text is the span of the text itself (Go computes it from the client-supplied
//!   `value` but replaces the supplied offsets); client findings go through [`reconcile`] first;
//! - tokens and hashes are keyed (HMAC-SHA256) when the host supplies a key; with an empty key they
//!   are Go's unkeyed SHA-256;
//! - `mask` writes one `*` per character (Go: per byte, so `é` became `**`);
//! - plan names match case-insensitively and may be groups (see [`plan`]).

pub mod plan;
pub mod reconcile;
pub mod token;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::entity::{EntityType, Finding};

pub use plan::mode_for;
pub use reconcile::{ReconcileError, ReconcileErrorKind, SuppliedFinding, reconcile};
pub use token::{KeyedHasher, keyed_hex, replacement};

/// The six Go transform modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Mask,
    Tokenize,
    Anonymize,
    Redact,
    Replace,
    Hash,
}

impl Mode {
    pub const ALL: [Mode; 6] = [
        Mode::Mask,
        Mode::Tokenize,
        Mode::Anonymize,
        Mode::Redact,
        Mode::Replace,
        Mode::Hash,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Mode::Mask => "mask",
            Mode::Tokenize => "tokenize",
            Mode::Anonymize => "anonymize",
            Mode::Redact => "redact",
            Mode::Replace => "replace",
            Mode::Hash => "hash",
        }
    }

    /// Exact (case-sensitive) parse, as policy validation does.
    pub fn parse(s: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// Trimmed, lower-cased parse, as the HTTP transform request does.
    pub fn parse_lenient(s: &str) -> Option<Mode> {
        Mode::parse(&s.trim().to_ascii_lowercase())
    }
}

/// One step of a transform plan.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TransformStep {
    pub entity_type: String,
    pub mode: Mode,
}

/// What a transform did (Go `TransformStats`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Number of replacements made (one per merged span).
    pub entities_transformed: usize,
    /// Sorted, de-duplicated `entity_type:mode` pairs joined with `,` (e.g. `email:mask,ssn:hash`).
    pub modes_applied: String,
}

/// The transformed text and its stats.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transformed {
    pub output: String,
    pub stats: Stats,
}

/// One finding that the plan covers.
struct Span<'f> {
    start: usize,
    end: usize,
    strength: u8,
    mode: Mode,
    entity_type: &'f str,
}

impl Span<'_> {
    /// Stronger entity type first, then the longer span; on a full tie the earlier one stays.
    fn beats(&self, other: &Span<'_>) -> bool {
        (self.strength, self.end - self.start) > (other.strength, other.end - other.start)
    }
}

/// Overlap strength of a finding's type; custom detectors count as keyed secrets (3).
fn strength(entity_type: &str) -> u8 {
    EntityType::parse(entity_type).map_or(3, EntityType::strength)
}

/// Apply `plan` to the `findings` (byte spans of `text`), keyed by `key` (empty: Go's unkeyed
/// SHA-256).
///
/// - Findings whose type the plan does not cover are ignored (see [`plan`] for name matching).
/// - Findings with `start >= end`, `end > text.len()` or an offset off a character boundary are
///   skipped.
/// - Overlapping covered findings are merged into their union span, replaced once with the mode
///   (and, for `replace`, the type) of the finding of the strongest type; tokens and hashes are
///   computed from the union's text. Spans that merely touch are replaced separately.
/// - Every byte outside the replaced spans is copied unchanged.
pub fn apply(text: &str, findings: &[Finding], plan: &[TransformStep], key: &[u8]) -> Transformed {
    let mut spans: Vec<Span<'_>> = findings
        .iter()
        .filter(|f| {
            f.start < f.end
                && f.end <= text.len()
                && text.is_char_boundary(f.start)
                && text.is_char_boundary(f.end)
        })
        .filter_map(|f| {
            Some(Span {
                start: f.start,
                end: f.end,
                strength: strength(&f.entity_type),
                mode: mode_for(plan, &f.entity_type)?,
                entity_type: &f.entity_type,
            })
        })
        .collect();
    spans.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));

    let mut out = String::with_capacity(text.len());
    let mut applied = BTreeSet::new();
    let mut count = 0usize;
    let mut cursor = 0usize;
    let mut iter = spans.iter().peekable();
    while let Some(first) = iter.next() {
        let (start, mut end, mut best) = (first.start, first.end, first);
        while let Some(next) = iter.next_if(|n| n.start < end) {
            end = end.max(next.end);
            if next.beats(best) {
                best = next;
            }
        }
        // `start`/`end` are in range and on char boundaries (filtered above); `cursor <= start`.
        out.push_str(text.get(cursor..start).unwrap_or_default());
        let value = text.get(start..end).unwrap_or_default();
        out.push_str(&replacement(best.mode, best.entity_type, value, key));
        applied.insert(format!("{}:{}", best.entity_type, best.mode.as_str()));
        count += 1;
        cursor = end;
    }
    out.push_str(text.get(cursor..).unwrap_or_default());
    Transformed {
        output: out,
        stats: Stats {
            entities_transformed: count,
            modes_applied: applied.into_iter().collect::<Vec<_>>().join(","),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(t: &str, mode: Mode) -> TransformStep {
        TransformStep {
            entity_type: t.to_owned(),
            mode,
        }
    }

    fn f(t: EntityType, s: usize, e: usize) -> Finding {
        Finding::new(t, s, e, 0.9)
    }

    #[test]
    fn go_mask_example() {
        let text = "contact jane@example.com";
        let r = apply(
            text,
            &[f(EntityType::Email, 8, 24)],
            &[step("email", Mode::Mask)],
            b"",
        );
        assert_eq!(r.output, format!("contact {}", "*".repeat(16)));
        assert_eq!(r.stats.entities_transformed, 1);
        assert_eq!(r.stats.modes_applied, "email:mask");
        let r = apply(
            text,
            &[f(EntityType::Email, 8, 24)],
            &[step("email", Mode::Anonymize)],
            b"",
        );
        assert_eq!(r.output, "contact anon-8c87b489");
    }

    #[test]
    fn unplanned_findings_are_untouched() {
        let text = "a@b.co 555-123-4567 123-45-6789";
        let r = apply(
            text,
            &[
                f(EntityType::Email, 0, 6),
                f(EntityType::Phone, 7, 19),
                f(EntityType::Ssn, 20, 31),
            ],
            &[step("email", Mode::Mask), step("ssn", Mode::Tokenize)],
            b"",
        );
        assert_eq!(r.output, "****** 555-123-4567 TOK-01a54629");
        assert_eq!(r.stats.entities_transformed, 2);
        assert_eq!(r.stats.modes_applied, "email:mask,ssn:tokenize");
        let none = apply(text, &[f(EntityType::Email, 0, 6)], &[], b"");
        assert_eq!(none.output, text);
        assert_eq!(none.stats, Stats::default());
    }

    #[test]
    fn phone_inside_card_is_replaced_once_with_the_card_mode() {
        let text = "card 4111 1111 1111 1111 end";
        let r = apply(
            text,
            &[
                f(EntityType::Phone, 10, 24),
                f(EntityType::CreditCard, 5, 24),
            ],
            &[
                step("phone", Mode::Tokenize),
                step("credit_card", Mode::Redact),
            ],
            b"",
        );
        assert_eq!(r.output, "card [REDACTED] end");
        assert_eq!(r.stats.entities_transformed, 1);
        assert_eq!(r.stats.modes_applied, "credit_card:redact");
    }

    #[test]
    fn partial_overlap_merges_into_union() {
        // email 0..10 and person 8..20 overlap: one union 0..20, email is stronger.
        let text = "abcdefghijklmnopqrstuvwxyz";
        let r = apply(
            text,
            &[f(EntityType::Person, 8, 20), f(EntityType::Email, 0, 10)],
            &[step("any", Mode::Mask), step("email", Mode::Hash)],
            b"",
        );
        assert_eq!(
            r.output,
            format!("{}uvwxyz", keyed_hex(b"", b"abcdefghijklmnopqrst"))
        );
        assert_eq!(r.stats.modes_applied, "email:hash");
    }

    #[test]
    fn touching_spans_are_separate() {
        let r = apply(
            "aabb",
            &[f(EntityType::Email, 0, 2), f(EntityType::Email, 2, 4)],
            &[step("email", Mode::Redact)],
            b"",
        );
        assert_eq!(r.output, "[REDACTED][REDACTED]");
        assert_eq!(r.stats.entities_transformed, 2);
    }

    #[test]
    fn invalid_spans_are_skipped() {
        let text = "héllo wörld";
        let plan = [step("person", Mode::Redact)];
        for (s, e) in [(0, 0), (3, 1), (0, 99), (2, 4), (1, 2)] {
            let r = apply(text, &[f(EntityType::Person, s, e)], &plan, b"");
            assert_eq!(r.output, text, "{s}..{e}");
            assert_eq!(r.stats.entities_transformed, 0);
        }
        let r = apply(
            text,
            &[f(EntityType::Person, 0, 6)],
            &[step("person", Mode::Mask)],
            b"",
        );
        assert_eq!(r.output, "***** wörld");
    }

    #[test]
    fn custom_type_is_strong_and_replace_uppercases() {
        let text = "id EMP-12345 x";
        let r = apply(
            text,
            &[
                Finding {
                    entity_type: "employee_id".into(),
                    start: 3,
                    end: 12,
                    confidence: 1.0,
                },
                f(EntityType::ZipCode, 7, 12),
            ],
            &[step("any", Mode::Replace)],
            b"",
        );
        let h = keyed_hex(b"", b"EMP-12345");
        assert_eq!(r.output, format!("id [EMPLOYEE_ID_{}] x", &h[..8]));
    }

    mod props {
        use proptest::prelude::*;

        use super::super::*;

        const TYPES: [&str; 5] = ["email", "phone", "ssn", "github_token", "my_detector"];

        fn mode() -> impl Strategy<Value = Mode> {
            prop::sample::select(Mode::ALL.to_vec())
        }

        fn any_finding(len: usize) -> impl Strategy<Value = Finding> {
            (
                0..len + 3,
                0..len + 3,
                prop::sample::select(TYPES.to_vec()),
                any::<f64>(),
            )
                .prop_map(|(start, end, t, confidence)| Finding {
                    entity_type: t.into(),
                    start,
                    end,
                    confidence,
                })
        }

        /// Text made of segments: filler (lowercase, digits, space, `é`) and secrets drawn from an
        /// alphabet that no filler and no replacement (`*`, `TOK-`, `anon-`, `[REDACTED]`, lowercase
        /// hex, upper-cased type names) can produce.
        fn segmented() -> impl Strategy<Value = Vec<(bool, String)>> {
            prop::collection::vec(
                prop_oneof![
                    "[a-z0-9 é]{0,6}".prop_map(|s| (false, s)),
                    "[QWJVZXFß字]{1,6}".prop_map(|s| (true, s)),
                ],
                0..10,
            )
        }

        fn secret_char(c: char) -> bool {
            "QWJVZXFß字".contains(c)
        }

        fn layout(segs: &[(bool, String)]) -> (String, Vec<(usize, usize)>) {
            let mut text = String::new();
            let mut spans = Vec::new();
            for (secret, s) in segs {
                if *secret {
                    spans.push((text.len(), text.len() + s.len()));
                }
                text.push_str(s);
            }
            (text, spans)
        }

        proptest! {
            #[test]
            fn never_panics(
                text in "\\PC{0,40}",
                raw in prop::collection::vec((0usize..50, 0usize..50, 0usize..5), 0..8),
                plan in prop::collection::vec((prop::sample::select(vec!["email", "phone", "any", "secret", "pii", "api_key", "x"]), mode()), 0..5),
                key in prop::collection::vec(any::<u8>(), 0..4),
            ) {
                let findings: Vec<Finding> = raw
                    .iter()
                    .map(|&(s, e, t)| Finding {
                        entity_type: TYPES[t].into(),
                        start: s,
                        end: e,
                        confidence: 0.5,
                    })
                    .collect();
                let plan: Vec<TransformStep> = plan
                    .into_iter()
                    .map(|(t, mode)| TransformStep { entity_type: t.into(), mode })
                    .collect();
                let r = apply(&text, &findings, &plan, &key);
                prop_assert!(r.stats.entities_transformed <= findings.len());
                let supplied: Vec<SuppliedFinding> = raw
                    .iter()
                    .map(|&(s, e, t)| SuppliedFinding {
                        entity_type: TYPES[t].into(),
                        value: text.get(s.min(e)..e.max(s)).unwrap_or("zz").into(),
                        start: s,
                        end: e,
                        confidence: 0.5,
                    })
                    .collect();
                let _ = reconcile(&text, &supplied);
            }

            #[test]
            fn no_secret_survives(
                segs in segmented(),
                extra in prop::collection::vec(any_finding(60), 0..4),
                m in mode(),
                t in prop::sample::select(TYPES.to_vec()),
                key in prop::collection::vec(any::<u8>(), 0..4),
            ) {
                let (text, spans) = layout(&segs);
                let mut findings: Vec<Finding> = spans
                    .iter()
                    .map(|&(s, e)| Finding { entity_type: t.into(), start: s, end: e, confidence: 0.9 })
                    .collect();
                // Arbitrary extra findings (overlapping, out of range, off boundaries) must not
                // make any secret survive.
                findings.extend(extra);
                let plan = [TransformStep { entity_type: "any".into(), mode: m }];
                let r = apply(&text, &findings, &plan, &key);
                for (s, e) in &spans {
                    let value = &text[*s..*e];
                    prop_assert!(!r.output.contains(value), "{value:?} survived in {:?}", r.output);
                }
                prop_assert!(!r.output.chars().any(secret_char), "{:?}", r.output);
            }

            #[test]
            fn reconciled_span_holds_the_value(
                text in "[a-c é字]{1,30}",
                a in 0usize..40,
                len in 1usize..6,
                start in 0usize..50,
                end in 0usize..50,
            ) {
                // A value cut from the text (on char boundaries), sent with arbitrary offsets.
                let chars: Vec<(usize, char)> = text.char_indices().collect();
                let from = chars.get(a % chars.len()).map_or(0, |c| c.0);
                let to = chars.get(a % chars.len() + len).map_or(text.len(), |c| c.0);
                let value = &text[from..to];
                let supplied = [SuppliedFinding {
                    entity_type: "x".into(),
                    value: value.into(),
                    start,
                    end,
                    confidence: 1.0,
                }];
                let got = reconcile(&text, &supplied).unwrap();
                prop_assert_eq!(&text[got[0].start..got[0].end], value);
                // And a transform of it leaves no occurrence at that place.
                let plan = [TransformStep { entity_type: "x".into(), mode: Mode::Redact }];
                let r = apply(&text, &got, &plan, b"");
                prop_assert_eq!(r.stats.entities_transformed, 1);
                prop_assert_eq!(r.output.len(), text.len() - value.len() + "[REDACTED]".len());
            }

            #[test]
            fn other_bytes_unchanged(
                segs in segmented(),
                modes in prop::collection::vec(mode(), 10),
                key in prop::collection::vec(any::<u8>(), 0..4),
            ) {
                // Non-overlapping findings on the secret segments: the output must equal the
                // obvious segment-by-segment substitution.
                let (text, _) = layout(&segs);
                let mut findings = Vec::new();
                let mut plan = Vec::new();
                let mut expected = String::new();
                let mut pos = 0;
                for (i, (secret, s)) in segs.iter().enumerate() {
                    if *secret {
                        let name = format!("t{i}");
                        let mode = modes[i % modes.len()];
                        findings.push(Finding { entity_type: name.clone().into(), start: pos, end: pos + s.len(), confidence: 1.0 });
                        expected.push_str(&replacement(mode, &name, s, &key));
                        plan.push(TransformStep { entity_type: name, mode });
                    } else {
                        expected.push_str(s);
                    }
                    pos += s.len();
                }
                let r = apply(&text, &findings, &plan, &key);
                prop_assert_eq!(r.output, expected);
                prop_assert_eq!(r.stats.entities_transformed, findings.len());
            }
        }
    }
}
