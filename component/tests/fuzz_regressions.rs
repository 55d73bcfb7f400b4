//! Inputs the fuzz targets (`fuzz/`, docs/fuzzing.md) found, replayed with the check that failed.
//! Each file under `tests/fuzz-regressions/<target>/` is an artifact as libFuzzer wrote it, renamed
//! for the issue; a new one goes in its target's folder and is picked up here.

// clippy.toml allows these inside `#[test]` functions; the shared helpers need it too.
#![allow(clippy::unwrap_used, reason = "test code: a failure is a test failure")]

use std::path::PathBuf;

use datafog::receipt::{
    ChainErrorKind, GENESIS_HASH, ReceiptInput, build, tail, verify_chain, verify_chain_from,
};
use datafog::{Action, Decision, Effect};

fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-regressions")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no inputs in {}", dir.display());
    files
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

/// The `prev_hash` a line names, to verify it as a one-receipt chain.
fn prev_hash_of(line: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    v.get("prev_hash")?.as_str().map(str::to_owned)
}

/// Issue 14 (fuzzing, `receipt_verify`): a line that gave a member twice verified (the hash
/// covers the parsed value, which keeps the last of each), while `tail::hash_of` (and every typed
/// reader) refused it. Any line that verifies must be one `hash_of` reads the same `hash` from.
#[test]
fn issue_14_receipt_verify_inputs() {
    for (path, bytes) in inputs("receipt_verify") {
        let text = String::from_utf8(bytes).unwrap();
        for line in text.lines().map(str::trim) {
            let Some(prev) = prev_hash_of(line) else {
                continue;
            };
            if let Ok(one) = verify_chain_from(&prev, std::iter::once(line)) {
                assert_eq!(
                    tail::hash_of(line.as_bytes()),
                    Some(one.last_hash),
                    "{}",
                    path.display()
                );
            }
        }
    }
}

/// Issue 14 (fuzzing): a sealed receipt with a member put in front of the real one (a forged
/// `decision`), at the top level or inside `action`, no longer verifies.
#[test]
fn issue_14_a_repeated_member_is_malformed() {
    let r = build(ReceiptInput {
        receipt_id: "0123456789abcdef0123456789abcdef".into(),
        timestamp: "2026-02-24T00:00:00.000000001Z".into(),
        request_id: "req".into(),
        trace_id: String::new(),
        tenant_id: String::new(),
        actor_id: String::new(),
        session_id: String::new(),
        policy_id: "p".into(),
        policy_version: "v1".into(),
        action: Action {
            action_type: "shell.exec".into(),
            ..Action::default()
        },
        input_hash: "0".repeat(64),
        decision: Decision {
            effect: Effect::Deny,
            matched_rules: vec!["deny-secrets".into()],
            plan: Vec::new(),
            reason: "secret".into(),
        },
        findings: Vec::new(),
        prev_hash: GENESIS_HASH.into(),
    });
    let line = r.canonical_json();
    assert_eq!(
        verify_chain(std::iter::once(line.as_str())).unwrap().count,
        1
    );
    for forged in [
        line.replacen('{', r#"{"decision":"allow","#, 1),
        line.replacen(r#""action":{"#, r#""action":{"type":"file.read","#, 1),
        line.replacen('{', r#"{"hash":"x","#, 1),
    ] {
        assert_ne!(forged, line);
        let e = verify_chain(std::iter::once(forged.as_str())).unwrap_err();
        assert_eq!(e.kind, ChainErrorKind::Malformed);
    }
}
