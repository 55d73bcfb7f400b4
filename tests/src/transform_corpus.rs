//! The transform golden corpus: `tests/corpus/transform/*.json`, each `{"cases": [TransformCase]}`.
//!
//! A case is self-contained so any implementation (the native core, the component in wasmtime, an
//! HTTP host) can run it: the text, the findings (byte offsets; with `"supplied": true` they also
//! carry `value` and go through reconciliation first, as client findings on `/v1/transform` do),
//! the plan, the key (hex; empty = Go's unkeyed SHA-256), and either the expected output and stats
//! or `expect_error`, a substring of the reconciliation error (which never contains a value).
//! Expected outputs were computed independently (Python `hashlib`/`hmac`), never blessed from our
//! output.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TransformCase {
    pub name: String,
    /// Why the case exists (e.g. how Go behaves differently).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    pub text: String,
    /// Findings carry `value` and are reconciled with the text before the transform.
    #[serde(default)]
    pub supplied: bool,
    pub findings: Vec<CaseFinding>,
    pub plan: Vec<CaseStep>,
    /// Hex-encoded key; empty means no key.
    #[serde(default)]
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<Expect>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_error: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CaseFinding {
    pub entity_type: String,
    /// Only for `supplied` cases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    pub start: usize,
    pub end: usize,
    #[serde(default = "one")]
    pub confidence: f64,
}

fn one() -> f64 {
    1.0
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseStep {
    pub entity_type: String,
    /// One of `mask`, `tokenize`, `anonymize`, `redact`, `replace`, `hash`.
    pub mode: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expect {
    pub output: String,
    pub stats: ExpectStats,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectStats {
    pub entities_transformed: usize,
    pub modes_applied: String,
}

/// Every transform case, tagged with its file name.
pub fn transform_cases() -> Vec<(String, TransformCase)> {
    crate::corpus_cases("transform")
}

/// Decode lowercase or uppercase hex (panics on bad input: corpus files are ours).
pub fn decode_hex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd-length hex key {s:?}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or_else(|e| panic!("hex {s:?}: {e}")))
        .collect()
}

/// What an implementation produced: output and stats, or an error message.
pub type Outcome = Result<Expect, String>;

/// Run a case through the native core.
pub fn native_transform(case: &TransformCase) -> Outcome {
    let plan: Vec<datafog::TransformStep> = case
        .plan
        .iter()
        .map(|s| datafog::TransformStep {
            entity_type: s.entity_type.clone(),
            mode: datafog::Mode::parse(&s.mode)
                .unwrap_or_else(|| panic!("{}: unknown mode {:?}", case.name, s.mode)),
        })
        .collect();
    let findings: Vec<datafog::Finding> = if case.supplied {
        let supplied: Vec<datafog::transform::SuppliedFinding> = case
            .findings
            .iter()
            .map(|f| datafog::transform::SuppliedFinding {
                entity_type: f.entity_type.clone(),
                value: f.value.clone().unwrap_or_default(),
                start: f.start,
                end: f.end,
                confidence: f.confidence,
            })
            .collect();
        datafog::transform::reconcile(&case.text, &supplied).map_err(|e| e.to_string())?
    } else {
        case.findings
            .iter()
            .map(|f| datafog::Finding {
                entity_type: f.entity_type.clone().into(),
                start: f.start,
                end: f.end,
                confidence: f.confidence,
            })
            .collect()
    };
    let done = datafog::transform::apply(&case.text, &findings, &plan, &decode_hex(&case.key));
    Ok(Expect {
        output: done.output,
        stats: ExpectStats {
            entities_transformed: done.stats.entities_transformed,
            modes_applied: done.stats.modes_applied,
        },
    })
}

/// Compare an outcome with the case's expectation; `Err` describes the difference.
pub fn check(case: &TransformCase, got: &Outcome) -> Result<(), String> {
    match (&case.expect, &case.expect_error, got) {
        (Some(want), _, Ok(got)) if want == got => Ok(()),
        (_, Some(needle), Err(msg)) if msg.contains(needle.as_str()) => {
            // Errors must never echo a supplied value.
            match case
                .findings
                .iter()
                .filter_map(|f| f.value.as_deref())
                .find(|v| !v.is_empty() && msg.contains(v))
            {
                Some(_) => Err(format!("error message leaks a finding value: {msg}")),
                None => Ok(()),
            }
        }
        _ => Err(format!(
            "expected {:?} / error {:?}, got {got:?}",
            case.expect, case.expect_error
        )),
    }
}
