//! The last line of a receipts file, read by every writer and reader under one rule.
//!
//! A receipts file is JSONL: one canonical receipt per line, each line ended by `\n`, and a writer
//! writes the line and its newline together. A crash in the middle of a write leaves a last line
//! without its newline. Such a line is **torn** when it is not a whole JSON object: the write was
//! cut, nothing in it was ever acknowledged, and a writer cuts it off before appending. A last line
//! without its newline that *is* a whole JSON object is **kept**: either it is a whole receipt
//! whose newline was lost (a crash between the two), to be verified like any other line and ended
//! with a newline before the next append, or it is a changed receipt, which verification reports
//! (the log is evidence: it is never cut).
//!
//! Blank lines (only whitespace) are skipped by readers before this rule applies. A line that ends
//! with its newline is never torn, whatever it holds.
//!
//! No I/O here: `datafog-files` applies the rule to files, and the native host's start-up, the
//! shim's offline backend and `datafog-shim receipts verify` all classify a last line with
//! [`is_torn`].

use serde_json::{Map, Value};

/// Whether `line`, the last line of a receipts file without its newline, is torn: not a whole JSON
/// object (see the module docs). `line` excludes the newline; blank lines are for the caller to
/// skip first (a blank line is not an object, so it counts as torn here).
pub fn is_torn(line: &[u8]) -> bool {
    serde_json::from_slice::<Map<String, Value>>(line).is_err()
}

/// The `hash` member of a receipt line (the next receipt's `prev_hash`), without verifying it;
/// `None` when the line is not a JSON object with a string `hash`.
pub fn hash_of(line: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Hash {
        hash: String,
    }
    serde_json::from_slice::<Hash>(line).ok().map(|h| h.hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_write_is_torn_and_a_whole_object_is_not() {
        let whole = br#"{"hash":"ab","prev_hash":"00","receipt_id":"x"}"#;
        assert!(!is_torn(whole));
        // Every proper prefix of a receipt line is torn.
        for end in 0..whole.len() {
            assert!(is_torn(&whole[..end]), "{end}");
        }
        // A whole object is kept even when it is not a valid receipt (verification reports it).
        assert!(!is_torn(b"{}"));
        assert!(!is_torn(b" {\"a\":1} "));
        // Not an object: torn.
        assert!(is_torn(b"123"));
        assert!(is_torn(b"[]"));
        assert!(is_torn(b"\xff{}"));
    }

    #[test]
    fn hash_is_read_from_a_receipt_line() {
        assert_eq!(
            hash_of(br#"{"hash":"ab","prev_hash":"00"}"#).as_deref(),
            Some("ab")
        );
        assert_eq!(hash_of(br#"{"hash":1}"#), None);
        assert_eq!(hash_of(br#"{"prev_hash":"00"}"#), None);
        assert_eq!(hash_of(br#"{"hash":"ab""#), None);
    }
}
