//! Client-supplied findings (`/v1/transform`, `/v1/anonymize`, `/v1/decide` take findings with a
//! `value`): reconcile them with the text before trusting their offsets.
//!
//! The Go service trusts supplied offsets and computes replacements from `value`, so a finding whose
//! `end` is one short leaves the last character of the value in the output. Here the span is
//! re-derived from the value: the value's own occurrence wins over the offsets.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer, Serialize};

use crate::entity::{EntityType, Finding};

/// A finding on the wire (Go `ScanFinding`): the matched `value` travels with the byte offsets.
/// Every field is optional on input (Go decodes missing fields as zero values; `null` is accepted
/// the same way).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SuppliedFinding {
    #[serde(default, deserialize_with = "nullable")]
    pub entity_type: String,
    #[serde(default, deserialize_with = "nullable")]
    pub value: String,
    #[serde(default, deserialize_with = "nullable")]
    pub start: usize,
    #[serde(default, deserialize_with = "nullable")]
    pub end: usize,
    #[serde(default, deserialize_with = "nullable")]
    pub confidence: f64,
}

/// Deserialize `null` as the type's default (Go leaves the zero value on `null`).
pub(crate) fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Why a supplied finding was rejected. Never carries the value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReconcileError {
    /// Index of the finding in the request's `findings` array.
    pub index: usize,
    /// Its `entity_type` as supplied.
    pub entity_type: String,
    pub kind: ReconcileErrorKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReconcileErrorKind {
    /// `value` does not occur in the text.
    ValueNotFound,
    /// `value` is empty and `start..end` is not a valid span of the text.
    InvalidSpan,
}

impl std::fmt::Display for ReconcileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.kind {
            ReconcileErrorKind::ValueNotFound => {
                "`value` does not occur in `text`; send the exact matched text"
            }
            ReconcileErrorKind::InvalidSpan => {
                "`value` is empty and `start`..`end` is not a valid byte range of `text`"
            }
        };
        write!(
            f,
            "finding {} (`{}`): {what}",
            self.index,
            self.entity_type.escape_debug()
        )
    }
}

impl std::error::Error for ReconcileError {}

/// Turn supplied findings into spans of `text`:
///
/// - `text[start..end] == value`: that span;
/// - otherwise the occurrence of `value` nearest to `start` (ties: the earlier one);
/// - empty `value`: `start..end` if it is a non-empty, in-range span on character boundaries;
/// - otherwise an error naming the finding's index and type (never its value).
///
/// Entity types and confidences are kept as supplied; the result is in input order.
pub fn reconcile(text: &str, supplied: &[SuppliedFinding]) -> Result<Vec<Finding>, ReconcileError> {
    let mut out = Vec::with_capacity(supplied.len());
    for (index, s) in supplied.iter().enumerate() {
        let err = |kind| ReconcileError {
            index,
            entity_type: s.entity_type.clone(),
            kind,
        };
        let span = if s.value.is_empty() {
            (s.start < s.end && text.get(s.start..s.end).is_some())
                .then_some((s.start, s.end))
                .ok_or_else(|| err(ReconcileErrorKind::InvalidSpan))?
        } else if text.get(s.start..s.end) == Some(s.value.as_str()) {
            (s.start, s.end)
        } else {
            let at = nearest(text, &s.value, s.start)
                .ok_or_else(|| err(ReconcileErrorKind::ValueNotFound))?;
            (at, at + s.value.len())
        };
        let entity_type = match EntityType::parse(&s.entity_type) {
            Some(t) if t.as_str() == s.entity_type => Cow::Borrowed(t.as_str()),
            _ => Cow::Owned(s.entity_type.clone()),
        };
        out.push(Finding {
            entity_type,
            start: span.0,
            end: span.1,
            confidence: s.confidence,
        });
    }
    Ok(out)
}

/// Byte offset of the occurrence of `needle` (non-empty) in `text` closest to `near`, counting
/// overlapping occurrences.
fn nearest(text: &str, needle: &str, near: usize) -> Option<usize> {
    let finder = memchr::memmem::Finder::new(needle.as_bytes());
    let bytes = text.as_bytes();
    let mut best: Option<usize> = None;
    let mut from = 0usize;
    while let Some(rel) = bytes.get(from..).and_then(|b| finder.find(b)) {
        let at = from + rel;
        if best.is_none_or(|b| at.abs_diff(near) < b.abs_diff(near)) {
            best = Some(at);
        }
        if at >= near {
            break; // later occurrences are only further away
        }
        from = at + 1;
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sf(t: &str, v: &str, start: usize, end: usize) -> SuppliedFinding {
        SuppliedFinding {
            entity_type: t.into(),
            value: v.into(),
            start,
            end,
            confidence: 0.9,
        }
    }

    #[test]
    fn exact_span_is_kept() {
        let text = "mail a@b.co now";
        let r = reconcile(text, &[sf("email", "a@b.co", 5, 11)]).unwrap();
        assert_eq!((r[0].start, r[0].end), (5, 11));
        assert_eq!(r[0].entity_type, "email");
    }

    #[test]
    fn end_one_short_is_widened() {
        let text = "customer email is alice@example.com";
        let r = reconcile(text, &[sf("email", "alice@example.com", 18, 34)]).unwrap();
        assert_eq!((r[0].start, r[0].end), (18, 35));
    }

    #[test]
    fn nearest_occurrence_wins() {
        let text = "x 1234 y 1234 z 1234";
        let r = reconcile(text, &[sf("zip_code", "1234", 10, 12)]).unwrap();
        assert_eq!(r[0].start, 9);
        let r = reconcile(text, &[sf("zip_code", "1234", 1000, 1004)]).unwrap();
        assert_eq!(r[0].start, 16);
        let r = reconcile(text, &[sf("zip_code", "1234", 0, 0)]).unwrap();
        assert_eq!(r[0].start, 2);
    }

    #[test]
    fn overlapping_occurrences_are_found() {
        let r = reconcile("aaaa", &[sf("x", "aa", 1, 2)]).unwrap();
        assert_eq!((r[0].start, r[0].end), (1, 3));
    }

    #[test]
    fn missing_value_is_rejected_without_the_value() {
        let e = reconcile("hello", &[sf("ssn", "123-45-6789", 0, 5)]).unwrap_err();
        assert_eq!(e.index, 0);
        assert_eq!(e.kind, ReconcileErrorKind::ValueNotFound);
        let msg = e.to_string();
        assert!(msg.contains("finding 0 (`ssn`)"), "{msg}");
        assert!(!msg.contains("123-45-6789"));
    }

    #[test]
    fn empty_value_uses_valid_span_only() {
        let r = reconcile("héllo", &[sf("person", "", 0, 3)]).unwrap();
        assert_eq!((r[0].start, r[0].end), (0, 3));
        for (s, e) in [(0, 2), (3, 3), (4, 99)] {
            let err = reconcile("héllo", &[sf("person", "", s, e)]).unwrap_err();
            assert_eq!(err.kind, ReconcileErrorKind::InvalidSpan);
        }
    }

    #[test]
    fn null_fields_decode_as_defaults() {
        let f: SuppliedFinding =
            serde_json::from_str(r#"{"entity_type":"email","value":null,"start":null}"#).unwrap();
        assert_eq!(f.value, "");
        assert_eq!(f.start, 0);
    }
}
