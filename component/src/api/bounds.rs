//! Bounds on what one request can make a host return and store (`docs/security.md`, "Bounds").
//!
//! A request body is at most [`super::MAX_BODY_BYTES`], but what is derived from it is not
//! bounded by that alone: a dense text (or a policy detector that matches every byte) yields
//! hundreds of thousands of findings, each a response entry and a receipt entry, and a long
//! command is recorded in a receipt and an event. So:
//!
//! - **Findings** ([`MAX_FINDINGS`], [`MAX_FINDING_VALUE_BYTES`]): a scan answers the first
//!   findings (text order) within both limits, with `findings_truncated: true` and the total per
//!   type in `finding_counts`. A decide past either limit is a `deny` without evaluating the
//!   policy; its receipt and its response list no findings, only `finding_counts` (entries per
//!   type), never thousands of entries. A transform is not limited: it rewrites every finding, and
//!   its response carries counts only.
//! - **Recorded fields** ([`clip`]): a receipt (and the event made from it) records each action
//!   string and each caller id clipped to a byte limit after redaction, at most
//!   [`MAX_RECORDED_ARGS`] args and [`MAX_RECORDED_RULES`] matched rule names, each clipped; the
//!   `action_hash` still covers the action as sent. With at most [`MAX_FINDINGS`] findings a
//!   receipt is under [`MAX_RECEIPT_BYTES`] (a test builds the largest one).
//! - **Lists** ([`MAX_LIST_BYTES`]): `/v1/receipts` and `/v1/events` answer the newest entries
//!   that fit (`truncated: true` when the byte limit, not `limit`, cut the list).

use std::collections::BTreeMap;

use crate::entity::Finding;

/// Findings one scan or decide answers (and one decide records), at most.
pub const MAX_FINDINGS: usize = 1_000;

/// Bytes of finding values one scan or decide answers, at most (overlapping custom detectors can
/// each match most of a text).
pub const MAX_FINDING_VALUE_BYTES: usize = 4 << 20;

/// An action string (`type`, `tool`, `resource`, `command`, each arg) as a receipt records it.
pub const MAX_RECORDED_FIELD_BYTES: usize = 1024;

/// A caller id (`request_id`, `trace_id`, `tenant_id`, `actor_id`, `session_id`) as a receipt
/// records it.
pub const MAX_RECORDED_ID_BYTES: usize = 256;

/// Args a receipt records (the rest are counted in one last entry).
pub const MAX_RECORDED_ARGS: usize = 32;

/// Matched rule names a receipt records (the rest are counted in one last entry).
pub const MAX_RECORDED_RULES: usize = 64;

/// A rule name as a receipt records it.
pub const MAX_RECORDED_RULE_BYTES: usize = 256;

/// A stored receipt line is shorter than this (see the module docs; a test builds the largest).
pub const MAX_RECEIPT_BYTES: usize = 256 << 10;

/// A list response (`/v1/receipts`, `/v1/events`) body, at most (about; the closing members and
/// one entry's separator are not counted).
pub const MAX_LIST_BYTES: usize = 8 << 20;

/// Findings per entity type, for `finding_counts`.
pub fn counts_by_type<'a>(types: impl IntoIterator<Item = &'a str>) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for t in types {
        *counts.entry(t.to_owned()).or_insert(0) += 1;
    }
    counts
}

/// True when `findings` (with their values) are past what a decide evaluates.
pub fn past_the_cap(findings: &[(Finding, String)]) -> bool {
    findings.len() > MAX_FINDINGS
        || findings.iter().map(|(_, v)| v.len()).sum::<usize>() > MAX_FINDING_VALUE_BYTES
}

/// `s` cut to at most `max` bytes (on a character boundary) followed by `…[+N bytes]` when longer.
/// Applied after redaction, so a cut never exposes part of a value.
pub fn clip(s: &mut String, max: usize) {
    if s.len() <= max {
        return;
    }
    let mut at = max;
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    let cut = s.len() - at;
    s.truncate(at);
    s.push_str(&format!("…[+{cut} bytes]"));
}

/// `list` with at most `max_entries` entries, each [`clip`]ped to `max_bytes`; when longer, the
/// last kept entry is followed by `[+N more]`.
pub fn clip_list(list: &mut Vec<String>, max_entries: usize, max_bytes: usize) {
    let more = list.len().saturating_sub(max_entries);
    list.truncate(max_entries);
    for s in list.iter_mut() {
        clip(s, max_bytes);
    }
    if more > 0 {
        list.push(format!("[+{more} more]"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_cuts_on_a_character_boundary_and_says_how_much() {
        let mut s = "é".repeat(10); // 20 bytes
        clip(&mut s, 5);
        assert_eq!(s, "éé…[+16 bytes]");
        let mut short = "abc".to_owned();
        clip(&mut short, 3);
        assert_eq!(short, "abc");
    }

    #[test]
    fn clip_list_keeps_the_first_entries_and_counts_the_rest() {
        let mut l: Vec<String> = (0..40).map(|i| format!("a{i}")).collect();
        clip_list(&mut l, 32, 1024);
        assert_eq!(l.len(), 33);
        assert_eq!(l[32], "[+8 more]");
        let mut few = vec!["x".repeat(2000)];
        clip_list(&mut few, 32, 1024);
        assert_eq!(few.len(), 1);
        assert!(few[0].ends_with("…[+976 bytes]"));
    }

    #[test]
    fn counts_are_per_type() {
        let c = counts_by_type(["email", "ssn", "email"]);
        assert_eq!(c.get("email"), Some(&2));
        assert_eq!(c.get("ssn"), Some(&1));
    }
}
