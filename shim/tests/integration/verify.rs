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

// ------------------------------------------------------------------ signed checkpoints (issue 14)

use datafog_files::checkpoint::{Checkpoint, Signer};

fn server_key() -> Signer {
    Signer::from_seed(&[42; 32])
}

/// Checkpoint lines (what `datafog-api` appends to `FILE.checkpoints`).
fn checkpoint_lines(cps: &[Checkpoint]) -> String {
    cps.iter().map(|c| format!("{}\n", c.to_line())).collect()
}

/// Five receipts with checkpoints after the 2nd and the 5th beside them; the public key.
fn anchored(d: &TempDir) -> (PathBuf, Vec<String>, Vec<Checkpoint>, String) {
    let (lines, hashes) = chain_from(GENESIS_HASH, 0, 5);
    let key = server_key();
    let cps = vec![
        key.sign(2, &hashes[1], "2026-12-03T10:00:00Z"),
        key.sign(5, &hashes[4], "2026-12-03T10:00:05Z"),
    ];
    let f = d.write("r.jsonl", &jsonl(&lines));
    d.write("r.jsonl.checkpoints", &checkpoint_lines(&cps));
    (f, lines, cps, key.public_key().hex().to_owned())
}

#[test]
fn issue_14_truncating_lines_after_a_checkpoint_is_detected() {
    let d = TempDir::new("cp-truncated");
    let (f, lines, cps, public) = anchored(&d);
    let o = verify(&f, &["--public-key", &public]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(
        stdout(&o).contains(": ok: 5 receipts ending in"),
        "{}",
        stdout(&o)
    );
    let (c, r) = report(&f, &["--public-key", &public]);
    assert_eq!(c, 0);
    assert_eq!(r["checkpoints"].as_array().unwrap().len(), 2);

    // The last two lines cut off: the chain alone still verifies, the checkpoint does not.
    std::fs::write(&f, jsonl(&lines[..3])).unwrap();
    assert_eq!(code(&verify(&f, &[])), 0);
    let o = verify(&f, &["--public-key", &public]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(
        stdout(&o).contains("truncated: checkpoint covers 5 receipts, file has 3"),
        "{}",
        stdout(&o)
    );
    let (c, r) = report(&f, &["--public-key", &public]);
    assert_eq!(c, 1);
    assert_eq!(r["ok"], false);
    assert_eq!(r["checkpoints"][0]["status"], "ok");
    assert_eq!(r["checkpoints"][1]["status"], "truncated");

    // The checkpoints file cut too: the checkpoint an external party kept still tells (it is
    // checked instead of the file beside the receipts).
    d.write("r.jsonl.checkpoints", &checkpoint_lines(&cps[..1]));
    assert_eq!(code(&verify(&f, &["--public-key", &public])), 0);
    let kept = d.write("kept.json", &serde_json::to_string_pretty(&cps[1]).unwrap());
    let kept = kept.to_str().unwrap();
    let o = verify(&f, &["--public-key", &public, "--checkpoint", kept]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(stdout(&o).contains("truncated"), "{}", stdout(&o));

    // A torn tail does not hide a checkpoint, even with --allow-torn-tail.
    let torn = format!("{}{}", jsonl(&lines[..4]), &lines[4][..20]);
    std::fs::write(&f, torn).unwrap();
    let o = verify(
        &f,
        &[
            "--public-key",
            &public,
            "--checkpoint",
            kept,
            "--allow-torn-tail",
        ],
    );
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(
        stdout(&o).contains("checkpoint covers 5 receipts, file has 4"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn issue_14_a_rewritten_chain_is_detected_by_the_checkpoint_hash() {
    let d = TempDir::new("cp-rewritten");
    let (f, lines, _, public) = anchored(&d);
    // Receipt 2 replaced and every hash after it recomputed, as someone without the key would:
    // the chain is intact again.
    let prev = serde_json::from_str::<Value>(&lines[1]).unwrap()["hash"]
        .as_str()
        .unwrap()
        .to_owned();
    let forged = receipt(77, &prev);
    let (rest, _) = chain_from(&forged.hash, 3, 2);
    let rewritten = [&lines[..2], &[forged.canonical_json()], &rest[..]].concat();
    std::fs::write(&f, jsonl(&rewritten)).unwrap();
    assert_eq!(code(&verify(&f, &[])), 0);
    let o = verify(&f, &["--public-key", &public]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(
        stdout(&o).contains("rewritten: receipt 5 has hash"),
        "{}",
        stdout(&o)
    );
    let (_, r) = report(&f, &["--public-key", &public]);
    assert_eq!(r["checkpoints"][0]["status"], "ok");
    assert_eq!(r["checkpoints"][1]["status"], "rewritten");
}

#[test]
fn issue_14_a_flipped_signature_byte_is_rejected() {
    let d = TempDir::new("cp-flipped");
    let (f, _, mut cps, public) = anchored(&d);
    let sig = &mut cps[1].signature;
    let flipped = if sig.ends_with('0') { "1" } else { "0" };
    sig.replace_range(sig.len() - 1.., flipped);
    d.write("r.jsonl.checkpoints", &checkpoint_lines(&cps));
    let o = verify(&f, &["--public-key", &public]);
    assert_eq!(code(&o), 3, "{}", stdout(&o));
    assert!(stdout(&o).contains("bad_signature"), "{}", stdout(&o));
    // So is a count moved by one (the signature covers it).
    let d2 = TempDir::new("cp-moved");
    let (f2, _, mut cps, _) = anchored(&d2);
    cps[1].count = 4;
    d2.write("r.jsonl.checkpoints", &checkpoint_lines(&cps));
    let (c, r) = report(&f2, &["--public-key", &public]);
    assert_eq!(c, 3);
    assert_eq!(r["checkpoints"][1]["status"], "bad_signature");
}

#[test]
fn issue_14_a_checkpoint_signed_by_another_key_is_rejected() {
    let d = TempDir::new("cp-other-key");
    let (f, lines, _, public) = anchored(&d);
    let hash = serde_json::from_str::<Value>(&lines[4]).unwrap()["hash"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = Signer::from_seed(&[9; 32]).sign(5, &hash, "2026-12-03T10:00:05Z");
    let kept = d.write("kept.json", &other.to_line());
    let o = verify(
        &f,
        &[
            "--public-key",
            &public,
            "--checkpoint",
            kept.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&o), 3, "{}", stdout(&o));
    assert!(stdout(&o).contains("other_key"), "{}", stdout(&o));
    // The same checkpoint verifies under its own key (given as a file).
    let other_public = d.write(
        "other.pub",
        &format!("{}\n", Signer::from_seed(&[9; 32]).public_key().hex()),
    );
    let o = verify(
        &f,
        &[
            "--public-key",
            other_public.to_str().unwrap(),
            "--checkpoint",
            kept.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
}

#[test]
fn issue_14_usage_errors_of_public_key_and_checkpoint() {
    let d = TempDir::new("cp-usage");
    let (lines, _) = chain_from(GENESIS_HASH, 0, 2);
    let f = d.write("r.jsonl", &jsonl(&lines));
    let public = server_key().public_key().hex().to_owned();
    // Asking for checkpoints where there are none.
    let o = verify(&f, &["--public-key", &public]);
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("no checkpoint to check"));
    // Not a key.
    assert_eq!(code(&verify(&f, &["--public-key", "abcd"])), 2);
    // --checkpoint needs --public-key.
    assert_eq!(code(&verify(&f, &["--checkpoint", "x.json"])), 2);
}

/// Issue 14, finding 1 (rotation): `receipts verify FILE` follows the rotated segments beside it
/// (`FILE.000001`, ...) as one chain, and names the file and line of a break in them.
#[test]
fn issue_14_verify_follows_rotated_segments() {
    let d = TempDir::new("rotated");
    let (lines, hashes) = chain_from(GENESIS_HASH, 0, 9);
    d.write("r.jsonl.000001", &jsonl(&lines[0..3]));
    d.write("r.jsonl.000002", &jsonl(&lines[3..6]));
    let f = d.write("r.jsonl", &jsonl(&lines[6..9]));
    let (c, r) = report(&f, &[]);
    assert_eq!(c, 0, "{r}");
    assert_eq!(r["receipts"], 9);
    assert_eq!(r["head_hash"], hashes[8].as_str());
    assert_eq!(r["segments"].as_array().unwrap().len(), 2);
    let text = stdout(&verify(&f, &[]));
    assert!(text.contains("2 rotated segment(s)"), "{text}");
    // A tampered receipt in the second segment: its file and line are named.
    let mut bad = lines[3..6].to_vec();
    bad[1] = bad[1].replace("\"decision\":\"allow\"", "\"decision\":\"deny\"");
    d.write("r.jsonl.000002", &jsonl(&bad));
    let (c, r) = report(&f, &[]);
    assert_eq!(c, 1, "{r}");
    assert_eq!(r["break"]["line"], 5);
    assert_eq!(r["break"]["file_line"], 2);
    assert!(
        r["break"]["in_file"]
            .as_str()
            .unwrap()
            .ends_with("r.jsonl.000002")
    );
    // A missing oldest segment: the chain starts mid-way (its first `prev_hash` is not genesis).
    d.write("r.jsonl.000002", &jsonl(&lines[3..6]));
    std::fs::remove_file(d.0.join("r.jsonl.000001")).unwrap();
    let (c, r) = report(&f, &[]);
    assert_eq!(c, 1, "{r}");
    assert_eq!(r["break"]["kind"], "broken_link");
}
