//! Transforms: apply a plan (entity type -> mode) to text, overlap-safe, with keyed tokens/hashes.

use serde::{Deserialize, Serialize};

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
