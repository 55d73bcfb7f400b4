//! Issue 13: `datafog-shim policy check|test|explain`, the real binary. The repository's own policy
//! tests (`config/tests/`) pass; an invalid policy, a failing case and a broken test file exit 1
//! with a report that names the rule, field and case; usage and I/O errors exit 2.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_datafog-shim");

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn shim(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn temp(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("datafog-shim-policy-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    p
}

#[test]
fn issue_13_the_shipped_policies_pass_their_tests() {
    let r = repo();
    let out = shim(&[
        "policy",
        "test",
        "-v",
        r.join("config/tests").to_str().unwrap(),
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    // Every example policy in config/ has a test file.
    for name in [
        "policy.json",
        "examples/extensions.json",
        "examples/go-v2-shipped.json",
        "examples/go-v2-previous.json",
    ] {
        let covered = std::fs::read_dir(r.join("config/tests"))
            .unwrap()
            .chain(std::fs::read_dir(r.join("config/tests/examples")).unwrap())
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with("_test.json"))
            .any(|e| {
                let t: Value = serde_json::from_slice(&std::fs::read(e.path()).unwrap()).unwrap();
                t["policy"]
                    .as_str()
                    .is_some_and(|p| p.ends_with(name.rsplit('/').next().unwrap()))
            });
        assert!(covered, "no test file for config/{name}");
    }
    assert!(stdout.contains(" 0 failed"), "{stdout}");
    assert!(stdout.contains("ok   "), "{stdout}");
    let check = shim(&[
        "policy",
        "check",
        r.join("config/policy.json").to_str().unwrap(),
        r.join("config/examples/extensions.json").to_str().unwrap(),
    ]);
    let (stdout, stderr) = text(&check);
    assert_eq!(check.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("policy `datafog-starter`"), "{stdout}");
}

#[test]
fn issue_13_check_names_every_problem_and_exits_1() {
    let dir = temp("check");
    let mut p: Value =
        serde_json::from_slice(&std::fs::read(repo().join("config/policy.json")).unwrap()).unwrap();
    // By id: the starter's order changes as rules are added.
    let at = |p: &Value, id: &str| {
        p["rules"]
            .as_array()
            .unwrap()
            .iter()
            .position(|r| r["id"] == id)
            .unwrap()
    };
    let (a, b, c) = (
        at(&p, "deny-command-secrets"),
        at(&p, "allow-commands"),
        at(&p, "redact-outbound-sensitive"),
    );
    p["rules"][a]["effect"] = json!("permit");
    p["rules"][b]["any_entities"] = json!(["ssnn"]);
    p["rules"][c]["mtach"] = json!({});
    let bad = dir.join("bad.json");
    std::fs::write(&bad, serde_json::to_string(&p).unwrap()).unwrap();
    let out = shim(&["policy", "check", bad.to_str().unwrap()]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "rule `deny-command-secrets`, field `rules[{a}].effect`"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("rule `allow-commands`") && stderr.contains("ssnn"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("rules[{c}].mtach")) && stderr.contains("help: "),
        "{stderr}"
    );
    assert!(stderr.lines().count() >= 3, "{stderr}");
    // Unreadable: 2.
    let missing = shim(&["policy", "check", dir.join("nope.json").to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(2));
    // Usage: 2.
    assert_eq!(shim(&["policy", "check"]).status.code(), Some(2));
}

#[test]
fn issue_13_test_reports_each_failing_expectation() {
    let dir = temp("test");
    let policy = repo().join("config/policy.json");
    let file = dir.join("cases_test.json");
    std::fs::write(
        &file,
        serde_json::to_string(&json!({
            "policy": policy,
            "cases": [
                {"name": "passes", "action": {"type": "shell.exec", "command": "ls"},
                 "expect": {"decision": "allow", "matched_rules": ["allow-commands"]}},
                {"name": "wrong decision and rules", "action": {"type": "shell.exec"},
                 "text": "export GITHUB_TOKEN=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
                 "expect": {"decision": "allow", "matched_rules": ["allow-commands"]}},
                {"name": "unknown supplied type", "action": {"type": "file.read"},
                 "findings": [{"entity_type": "nope"}], "expect": {"decision": "allow"}}
            ]
        }))
        .unwrap(),
    )
    .unwrap();
    let out = shim(&["policy", "test", dir.to_str().unwrap()]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        !stdout.contains("ok   "),
        "passing cases are quiet without -v: {stdout}"
    );
    assert!(
        stdout.contains("FAIL") && stdout.contains("wrong decision and rules"),
        "{stdout}"
    );
    assert!(
        stdout.contains("decision: want allow, got deny"),
        "{stdout}"
    );
    assert!(
        stdout.contains(r#"matched_rules: want ["allow-commands"], got ["deny-command-secrets", "allow-commands"]"#),
        "{stdout}"
    );
    assert!(
        stdout.contains("unknown supplied type") && stdout.contains("refused"),
        "{stdout}"
    );
    assert!(stdout.contains("1 passed, 2 failed"), "{stdout}");
    // The case's text (a token) is never printed.
    assert!(
        !stdout.contains("ghp_") && !stderr.contains("ghp_"),
        "{stdout}{stderr}"
    );

    // A test file with a typo in a field is invalid (exit 1), not silently lenient.
    let typo = dir.join("typo_test.json");
    std::fs::write(
        &typo,
        r#"{"policy":"x.json","cases":[{"name":"n","action":{"type":"a"},"expect":{"decison":"allow"}}]}"#,
    )
    .unwrap();
    let out = shim(&["policy", "test", typo.to_str().unwrap()]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("decison"), "{stderr}");
    // --policy runs the cases against a candidate policy instead.
    let candidate = dir.join("candidate.json");
    let mut p: Value = serde_json::from_slice(&std::fs::read(&policy).unwrap()).unwrap();
    p["rules"]
        .as_array_mut()
        .unwrap()
        .retain(|r| r["id"] != "deny-command-secrets");
    std::fs::write(&candidate, serde_json::to_string(&p).unwrap()).unwrap();
    let out = shim(&[
        "policy",
        "test",
        "--policy",
        candidate.to_str().unwrap(),
        file.to_str().unwrap(),
    ]);
    let (stdout, _) = text(&out);
    assert!(stdout.contains("2 passed, 1 failed"), "{stdout}");
    // No test files: 2.
    let empty = temp("empty");
    assert_eq!(
        shim(&["policy", "test", empty.to_str().unwrap()])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn issue_13_explain_walks_every_rule_in_order() {
    let policy = repo().join("config/policy.json");
    let out = shim(&[
        "policy",
        "explain",
        "--policy",
        policy.to_str().unwrap(),
        "--action",
        r#"{"type":"shell.exec","command":"curl"}"#,
        "--text",
        "curl -H 'Authorization: Bearer sk_live_51HqLyjWDarjtT1zdp7dcQ9xY' https://x",
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("decision: deny"), "{stdout}");
    assert!(stdout.contains("stripe_key"), "{stdout}");
    assert!(
        !stdout.contains("sk_live_"),
        "no value in the output: {stdout}"
    );
    let rules: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("(priority "))
        .collect();
    assert_eq!(rules.len(), 8, "{stdout}");
    // Priority 200 first (credential files by path, a `file.read` rule: not this action).
    assert!(
        rules[0].contains("deny-sensitive-files") && rules[0].contains("`match.action_types`"),
        "{stdout}"
    );
    assert!(
        rules[1].contains("deny-command-secrets") && rules[1].ends_with("matched"),
        "{stdout}"
    );
    assert!(
        rules
            .iter()
            .any(|l| l.contains("redact-outbound-sensitive") && l.contains("`match.action_types`")),
        "{stdout}"
    );
    // JSON, text from stdin.
    let mut child = Command::new(BIN)
        .args([
            "policy",
            "explain",
            "--json",
            "--policy",
            policy.to_str().unwrap(),
            "--action",
            r#"{"type":"file.write","resource":"/tmp/x"}"#,
            "--stdin",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(b"send it to jane.doe@corp.example")
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["decision"], "allow_with_redaction");
    assert_eq!(v["entities"], json!(["email"]));
    let rules = v["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 8);
    let redact = rules
        .iter()
        .find(|r| r["id"] == "redact-outbound-sensitive")
        .unwrap();
    assert_eq!(redact["matched"], true);
    let secrets = rules
        .iter()
        .find(|r| r["id"] == "deny-command-secrets")
        .unwrap();
    assert_eq!(secrets["failed"], "match.action_types");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("jane.doe"));
    // A bad action is a usage error.
    let out = shim(&[
        "policy",
        "explain",
        "--policy",
        policy.to_str().unwrap(),
        "--action",
        "not json",
    ]);
    assert_eq!(out.status.code(), Some(2));
}
