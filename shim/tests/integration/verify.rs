//! `datafog-shim receipts verify`: the real binary on chains built with the core's receipt
//! builder.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use datafog::policy::{Action, Decision, Effect};
use datafog::receipt::{GENESIS_HASH, Receipt, ReceiptInput, build};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_datafog-shim");

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let p =
            std::env::temp_dir().join(format!("datafog-shim-verify-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    fn write(&self, name: &str, content: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, content).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn receipt(n: usize, prev: &str) -> Receipt {
    build(ReceiptInput {
        receipt_id: format!("{n:032x}"),
        timestamp: format!("2026-02-24T00:00:0{n}Z"),
        request_id: format!("req-{n}"),
        trace_id: String::new(),
        tenant_id: String::new(),
        actor_id: String::new(),
        session_id: String::new(),
        policy_id: "p".into(),
        policy_version: "v1".into(),
        action: Action {
            action_type: "shell.exec".into(),
            command: format!("echo {n}"),
            ..Action::default()
        },
        input_hash: "0".repeat(64),
        decision: Decision {
            effect: Effect::Allow,
            matched_rules: vec!["r1".into()],
            plan: Vec::new(),
            reason: String::new(),
        },
        findings: Vec::new(),
        prev_hash: prev.into(),
    })
}

/// `n` chained receipts starting at `prev`: (canonical lines, hashes).
fn chain_from(prev: &str, first: usize, n: usize) -> (Vec<String>, Vec<String>) {
    let mut prev = prev.to_owned();
    let mut lines = Vec::new();
    let mut hashes = Vec::new();
    for i in first..first + n {
        let r = receipt(i, &prev);
        prev = r.hash.clone();
        hashes.push(r.hash.clone());
        lines.push(r.canonical_json());
    }
    (lines, hashes)
}

fn jsonl(lines: &[String]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

fn verify(file: &Path, extra: &[&str]) -> Output {
    Command::new(BIN)
        .args(["receipts", "verify"])
        .arg(file)
        .args(extra)
        .output()
        .unwrap()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn report(file: &Path, extra: &[&str]) -> (i32, Value) {
    let o = verify(file, &[&["--json"], extra].concat());
    let v = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&o)));
    (code(&o), v)
}

#[test]
fn good_chain_verifies_with_a_summary() {
    let d = TempDir::new("good");
    let (lines, hashes) = chain_from(GENESIS_HASH, 0, 3);
    // A blank line is skipped.
    let content = format!("{}\n{}\n\n{}\n", lines[0], lines[1], lines[2]);
    let f = d.write("r.jsonl", &content);
    let o = verify(&f, &[]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let text = stdout(&o);
    assert!(text.contains("3 receipts, chain intact"), "{text}");
    assert!(
        text.contains(&format!("head hash: {}", hashes[2])),
        "{text}"
    );
    let (c, r) = report(&f, &[]);
    assert_eq!(c, 0);
    assert_eq!(r["ok"], true);
    assert_eq!(r["receipts"], 3);
    assert_eq!(r["head_hash"], hashes[2].as_str());
    assert_eq!(r["first_receipt_id"], format!("{:032x}", 0));
    assert_eq!(r["last_receipt_id"], format!("{:032x}", 2));
    assert_eq!(r["break"], Value::Null);
}

#[test]
fn tampered_line_is_a_hash_mismatch() {
    let d = TempDir::new("tampered");
    let (mut lines, hashes) = chain_from(GENESIS_HASH, 0, 3);
    lines[1] = lines[1].replace("\"decision\":\"allow\"", "\"decision\":\"deny\"");
    assert!(lines[1].contains("\"deny\""));
    let f = d.write("r.jsonl", &jsonl(&lines));
    let (c, r) = report(&f, &[]);
    assert_eq!(c, 1);
    assert_eq!(r["ok"], false);
    assert_eq!(r["receipts"], 1);
    assert_eq!(r["head_hash"], hashes[0].as_str());
    let b = &r["break"];
    assert_eq!(b["line"], 2);
    assert_eq!(b["kind"], "hash_mismatch");
    assert_eq!(b["receipt_id"], format!("{:032x}", 1));
    assert_eq!(b["stored_hash"], hashes[1].as_str());
    let o = verify(&f, &[]);
    assert_eq!(code(&o), 1);
    assert!(
        stdout(&o).contains(&format!(
            "broken: {}: line 2 (receipt {:032x}): hash_mismatch",
            f.display(),
            1
        )),
        "{}",
        stdout(&o)
    );
}

#[test]
fn reordered_or_removed_receipts_break_the_link() {
    let d = TempDir::new("reordered");
    let (lines, hashes) = chain_from(GENESIS_HASH, 0, 4);
    let swapped = [
        lines[0].clone(),
        lines[2].clone(),
        lines[1].clone(),
        lines[3].clone(),
    ];
    let f = d.write("r.jsonl", &jsonl(&swapped));
    let (c, r) = report(&f, &[]);
    assert_eq!(c, 1);
    let b = &r["break"];
    assert_eq!(b["line"], 2);
    assert_eq!(b["kind"], "broken_link");
    assert_eq!(b["receipt_id"], format!("{:032x}", 2));
    assert_eq!(b["expected_prev_hash"], hashes[0].as_str());
    assert_eq!(b["found_prev_hash"], hashes[1].as_str());
    let text = stdout(&verify(&f, &[]));
    assert!(
        text.contains(&format!("expected prev_hash {}", hashes[0])),
        "{text}"
    );

    // The first receipt removed.
    let f = d.write("r2.jsonl", &jsonl(&lines[1..]));
    let (c, r) = report(&f, &[]);
    assert_eq!(c, 1);
    assert_eq!(r["break"]["line"], 1);
    assert_eq!(r["break"]["kind"], "broken_link");
    assert_eq!(r["break"]["expected_prev_hash"], GENESIS_HASH);
    // ... which is a valid continuation of a rotated file with --prev-hash.
    let (c, r) = report(&f, &["--prev-hash", &hashes[0]]);
    assert_eq!(c, 0, "{r}");
    assert_eq!(r["receipts"], 3);
    assert_eq!(r["head_hash"], hashes[3].as_str());
}

#[test]
fn torn_last_line_is_reported_and_can_be_tolerated() {
    let d = TempDir::new("torn");
    let (lines, hashes) = chain_from(GENESIS_HASH, 0, 4);
    let content = format!("{}{}", jsonl(&lines[..3]), &lines[3][..60]);
    let f = d.write("r.jsonl", &content);
    let (c, r) = report(&f, &[]);
    assert_eq!(c, 1);
    assert_eq!(r["receipts"], 3);
    assert_eq!(r["head_hash"], hashes[2].as_str());
    assert_eq!(r["break"]["line"], 4);
    assert_eq!(r["break"]["kind"], "torn_last_line");
    let (c, r) = report(&f, &["--allow-torn-tail"]);
    assert_eq!(c, 0);
    assert_eq!(r["ok"], true);
    assert_eq!(r["break"]["kind"], "torn_last_line");

    // A whole last receipt without its newline is fine.
    let content = format!("{}{}", jsonl(&lines[..3]), lines[3]);
    let (c, r) = report(&d.write("r2.jsonl", &content), &[]);
    assert_eq!((c, &r["receipts"]), (0, &Value::from(4)));

    // A malformed line with a newline after it is not "torn": it is malformed.
    let content = format!("{}{{\"oops\n{}", jsonl(&lines[..1]), jsonl(&lines[1..]));
    let (c, r) = report(&d.write("r3.jsonl", &content), &["--allow-torn-tail"]);
    assert_eq!(c, 1);
    assert_eq!(r["break"]["line"], 2);
    assert_eq!(r["break"]["kind"], "malformed");
    assert!(r["break"].get("receipt_id").is_none());

    // A receipt without `hash`.
    let mut v: Value = serde_json::from_str(&lines[0]).unwrap();
    v.as_object_mut().unwrap().remove("hash");
    let (c, r) = report(&d.write("r4.jsonl", &format!("{v}\n")), &[]);
    assert_eq!(c, 1);
    assert_eq!(r["break"]["kind"], "missing_field");
}

#[test]
fn empty_file_and_io_errors() {
    let d = TempDir::new("empty");
    let f = d.write("empty.jsonl", "");
    let (c, r) = report(&f, &[]);
    assert_eq!(c, 0);
    assert_eq!(r["receipts"], 0);
    assert_eq!(r["head_hash"], GENESIS_HASH);
    assert!(r.get("last_receipt_id").is_none());

    let missing = d.0.join("missing.jsonl");
    let o = verify(&missing, &[]);
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing.jsonl"));
    let (c, r) = report(&missing, &[]);
    assert_eq!(c, 2);
    assert_eq!(r["ok"], false);
    assert!(r["error"].as_str().unwrap().contains("missing.jsonl"));
    // A directory, and a usage error.
    assert_eq!(code(&verify(&d.0, &[])), 2);
    assert_eq!(code(&verify(&f, &["--bogus"])), 2);
}

#[test]
fn non_utf8_line_is_reported() {
    let d = TempDir::new("utf8");
    let (lines, _) = chain_from(GENESIS_HASH, 0, 1);
    let p = d.0.join("r.jsonl");
    let mut bytes = jsonl(&lines).into_bytes();
    bytes.extend_from_slice(b"\xff\xfe\n");
    std::fs::write(&p, bytes).unwrap();
    let (c, r) = report(&p, &[]);
    assert_eq!(c, 1);
    assert_eq!(r["break"]["line"], 2);
    assert_eq!(r["break"]["kind"], "not_utf8");
}
