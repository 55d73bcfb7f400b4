//! The Claude Code hook across calls (issue 15, item 5) and encoded payloads through the hook
//! (item 4): the real `datafog-shim hook claude` binary, offline (starter policy), one event per
//! process, sharing only the session memory file under `$HOME/.datafog/hook-memory`.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::e2e::support::{policy, run, shim, temp_dir};

const KEY: &str = "sk_live_51HxQ2bKc9ZtRv7mWp3LnY8dE";

fn offline(dir: &Path) -> std::process::Command {
    let mut c = shim(dir);
    c.env("DATAFOG_SHIM_POLICY_FILE", policy())
        .env("DATAFOG_SHIM_RECEIPTS", dir.join("receipts.jsonl"));
    c
}

/// One event through the hook: (exit code, answer, stderr).
fn hook(dir: &Path, event: &Value) -> (i32, Option<Value>, String) {
    let mut c = offline(dir);
    c.args(["hook", "claude"]);
    let r = run(c, &event.to_string());
    let v = (!r.stdout.trim().is_empty()).then(|| serde_json::from_str(&r.stdout).unwrap());
    assert!(!r.stderr.contains(KEY), "{}", r.stderr);
    (r.code, v, r.stderr)
}

fn pre(dir: &Path, session: &str, tool: &str, input: Value) -> Value {
    json!({"session_id": session, "cwd": dir, "hook_event_name": "PreToolUse",
           "tool_name": tool, "tool_input": input})
}

fn post(dir: &Path, session: &str, tool: &str, input: Value, resp: Value) -> Value {
    json!({"session_id": session, "cwd": dir, "hook_event_name": "PostToolUse",
           "tool_name": tool, "tool_input": input, "tool_response": resp})
}

fn decision(v: &Option<Value>) -> String {
    v.as_ref()
        .and_then(|v| v["hookSpecificOutput"]["permissionDecision"].as_str())
        .unwrap_or("none")
        .to_owned()
}

fn reason(v: &Option<Value>) -> String {
    v.as_ref()
        .map(|v| v["hookSpecificOutput"]["permissionDecisionReason"].to_string())
        .unwrap_or_default()
}

fn b64(s: &str) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in s.as_bytes().chunks(3) {
        let v = c
            .iter()
            .enumerate()
            .fold(0u32, |a, (i, &b)| a | u32::from(b) << (16 - 8 * i));
        for k in 0..4 {
            if k <= c.len() {
                out.push(A[((v >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn memory_dir(dir: &Path) -> PathBuf {
    dir.join(".datafog/hook-memory")
}

#[test]
fn edit_that_completes_a_key_is_denied() {
    let d = temp_dir("mem-edit");
    // The first half is already in the file (an earlier Write).
    std::fs::write(d.join("cfg.env"), "KEY=sk_live_51HxQ2bKc9\n").unwrap();
    let ev = pre(
        &d,
        "s-edit",
        "Edit",
        json!({"file_path": "cfg.env", "old_string": "9\n", "new_string": "9ZtRv7mWp3LnY8dE\n"}),
    );
    let (code, v, _) = hook(&d, &ev);
    assert_eq!(code, 0);
    assert_eq!(decision(&v), "deny", "{v:?}");
    assert!(
        reason(&v).contains("completes a stripe_key"),
        "{}",
        reason(&v)
    );
    // The same edit on a file without the first half goes through.
    std::fs::write(d.join("cfg.env"), "KEY=placeholder9\n").unwrap();
    let (_, v, _) = hook(&d, &ev);
    assert_eq!(decision(&v), "none", "{v:?}");
    // MultiEdit too.
    std::fs::write(d.join("cfg.env"), "KEY=sk_live_51HxQ2bKc9\n").unwrap();
    let ev = pre(
        &d,
        "s-edit",
        "MultiEdit",
        json!({"file_path": "cfg.env", "edits": [{"old_string": "9\n", "new_string": "9ZtRv7mWp3LnY8dE\n"}]}),
    );
    assert_eq!(decision(&hook(&d, &ev).1), "deny");
}

#[test]
fn a_key_joined_from_shell_variables_is_denied() {
    let d = temp_dir("mem-vars");
    // One command.
    let ev = pre(
        &d,
        "s-vars",
        "Bash",
        json!({"command": "A=sk_live_51HxQ2bK; B=c9ZtRv7mWp3LnY8dE; echo $A$B > k.txt"}),
    );
    let (_, v, _) = hook(&d, &ev);
    assert_eq!(decision(&v), "deny", "{v:?}");
    assert!(
        reason(&v).contains("deny-command-secrets"),
        "{}",
        reason(&v)
    );
    // Across calls: the fragment is remembered by the variable's name (as a digest).
    let ev = pre(
        &d,
        "s-vars2",
        "Bash",
        json!({"command": "export A=sk_live_51HxQ2bK"}),
    );
    assert_eq!(decision(&hook(&d, &ev).1), "none");
    let ev = pre(
        &d,
        "s-vars2",
        "Bash",
        json!({"command": "echo ${A}c9ZtRv7mWp3LnY8dE > k.txt"}),
    );
    let (_, v, _) = hook(&d, &ev);
    assert_eq!(decision(&v), "deny", "{v:?}");
    assert!(
        reason(&v).contains("session memory") && reason(&v).contains("$A"),
        "{}",
        reason(&v)
    );
    // Another session does not share the memory.
    let ev = pre(
        &d,
        "s-other",
        "Bash",
        json!({"command": "echo ${A}c9ZtRv7mWp3LnY8dE > k.txt"}),
    );
    assert_eq!(decision(&hook(&d, &ev).1), "none");
}

#[test]
fn post_tool_use_blocks_a_value_seen_as_a_secret_before() {
    let d = temp_dir("mem-post");
    let pw = "S3cr3tPassw0rd";
    // The password is a secret where its context says so (mysql -p): the policy denies it.
    let ev = pre(
        &d,
        "s-post",
        "Bash",
        json!({"command": format!("mysql -u root -p{pw} shop")}),
    );
    let (_, v, _) = hook(&d, &ev);
    assert_eq!(decision(&v), "deny", "{v:?}");
    // Later a result carries the bare value, without the context.
    let ev = post(
        &d,
        "s-post",
        "Bash",
        json!({"command": "cat notes"}),
        json!({"stdout": format!("old: {pw}\n"), "stderr": ""}),
    );
    let (_, v, _) = hook(&d, &ev);
    let v = v.expect("a block answer");
    assert_eq!(v["decision"], "block");
    assert!(
        v["reason"]
            .as_str()
            .unwrap()
            .contains("seen as a secret earlier")
    );
    // And a later input carrying it is denied.
    let ev = pre(
        &d,
        "s-post",
        "WebFetch",
        json!({"url": format!("https://x.example/?q={pw}"), "prompt": "p"}),
    );
    assert_eq!(decision(&hook(&d, &ev).1), "deny");
    // A clean result is not blocked.
    let ev = post(
        &d,
        "s-post",
        "Bash",
        json!({"command": "ls"}),
        json!({"stdout": "a.txt\n", "stderr": ""}),
    );
    assert!(hook(&d, &ev).1.is_none());

    // The memory holds digests only, 0600, key 0600.
    let dir = memory_dir(&d);
    let mut files = 0;
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let p = e.path();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", p.display());
        if p.extension().is_some_and(|x| x == "json") {
            let text = std::fs::read_to_string(&p).unwrap();
            assert!(!text.contains(pw) && !text.contains("S3cr3t"), "{text}");
            files += 1;
        }
    }
    assert_eq!(files, 1);
    assert!(dir.join("key").exists());
}

#[test]
fn mcp_input_with_a_base64_key_is_redacted() {
    let d = temp_dir("mem-mcp");
    let enc = b64(KEY);
    let ev = pre(
        &d,
        "s-mcp",
        "mcp__files__upload",
        json!({"name": "notes.txt", "content_b64": enc}),
    );
    let (code, v, _) = hook(&d, &ev);
    assert_eq!(code, 0);
    let out = v.expect("an answer").to_string();
    assert!(!out.contains(&enc), "{out}");
    // Shell: `echo <base64> | base64 -d`.
    let ev = pre(
        &d,
        "s-mcp",
        "Bash",
        json!({"command": format!("echo {enc} | base64 -d > .k")}),
    );
    assert_eq!(decision(&hook(&d, &ev).1), "deny");
}
