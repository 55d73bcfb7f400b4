//! Demo mode's contract (`DATAFOG_ENABLE_DEMO`; `docs/console.md`): the request and response
//! shapes of `/demo/exec`, `/demo/write-file`, `/demo/read-file`, `/demo/seed` and
//! `/demo/sandbox` (Go's), their validation, and the decide request each one makes. A demo
//! action is decided like any other (`/v1/decide`: the same core, a real receipt); the host then
//! does the side effect in its sandbox directory only when the decision lets it.
//!
//! Stricter than Go, which reduced a file name to its base name: a name that is not one plain
//! component (`/`, `\`, `..`, `.`, NUL, empty, longer than 255 bytes) is refused with 400, and so
//! is a command given as a path or an argument that is absolute or has a `..` component. The
//! host refuses symlinks that lead out of the sandbox.
//!
//! Answers never carry a finding's value: [`DemoResponse::new`] blanks `value` in the decision's
//! findings (the page highlights findings by their offsets in the text it sent).

use serde::{Deserialize, Serialize};

use super::{ApiError, DecideRequest, DecideResponse, ScanFinding};
use crate::policy::{Action, Effect};

/// Commands the demo runs after an `allow` (no shell; arguments passed as they are).
pub const COMMANDS: [&str; 12] = [
    "echo", "printf", "ls", "cat", "wc", "head", "tail", "grep", "sort", "uniq", "date", "true",
];

/// Seconds a demo command may run before it is killed.
pub const EXEC_TIMEOUT_SECS: u64 = 10;

/// Bytes of a file the demo reads, and of a command's output it returns, at most.
pub const MAX_OUTPUT_BYTES: usize = 64 << 10;

/// `POST /demo/exec`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ExecRequest {
    #[serde(default)]
    pub command: String,
    #[serde(default)]
    pub args: Vec<String>,
    /// Scanned instead of the command line when set (not piped to the process, as in Go).
    #[serde(default)]
    pub stdin: String,
}

/// `POST /demo/write-file` and `POST /demo/seed`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct FileRequest {
    #[serde(default)]
    pub filename: String,
    #[serde(default)]
    pub content: String,
}

/// Every demo action's answer (the fields each route sets are in `docs/openapi.json`).
#[derive(Clone, Debug, Serialize)]
pub struct DemoResponse {
    pub decision: DecideResponse,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stdout: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stderr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub written: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub error: String,
    pub blocked: bool,
    pub timing_ms: u64,
    /// The decision's findings (type and offsets; no value).
    pub findings: Vec<ScanFinding>,
}

impl DemoResponse {
    /// An answer around `decision`, its findings' values blanked.
    pub fn new(mut decision: DecideResponse) -> DemoResponse {
        for f in &mut decision.findings {
            f.value = String::new();
        }
        DemoResponse {
            findings: decision.findings.clone(),
            decision,
            stdout: None,
            stderr: None,
            written: None,
            path: None,
            content: None,
            error: String::new(),
            blocked: false,
            timing_ms: 0,
        }
    }
}

/// `POST /demo/seed`'s answer.
#[derive(Clone, Debug, Serialize)]
pub struct SeedResponse {
    pub seeded: bool,
    pub filename: String,
}

/// `GET /demo/sandbox`'s answer.
#[derive(Clone, Debug, Serialize)]
pub struct SandboxResponse {
    pub sandbox_dir: String,
    pub files: Vec<String>,
}

fn invalid(message: &str) -> ApiError {
    ApiError::new(super::ErrorCode::InvalidRequest, message)
}

/// `name` if it is one plain file name inside the sandbox.
pub fn file_name(name: &str) -> Result<&str, ApiError> {
    if name.is_empty() {
        return Err(invalid("filename is required"));
    }
    if name.len() > 255 || name == "." || name == ".." || name.contains(['/', '\\', '\0']) {
        return Err(invalid(
            "filename must be one plain name inside the sandbox (no `/`, `\\`, `..` or absolute path)",
        ));
    }
    Ok(name)
}

/// Whether `arg` stays inside the sandbox as far as its text goes: not absolute, no `..`
/// component, no home directory (the host checks symlinks).
fn arg_inside(arg: &str) -> bool {
    !arg.starts_with('/')
        && !arg.starts_with('~')
        && !arg.contains('\0')
        && !arg.split(['/', '\\']).any(|c| c == "..")
}

/// Validate `/demo/exec`: `command is required`; the command is a bare name; every argument
/// stays inside the sandbox.
pub fn validate_exec(req: &ExecRequest) -> Result<(), ApiError> {
    if req.command.trim().is_empty() {
        return Err(invalid("command is required"));
    }
    if req.command.contains(['/', '\\', '\0']) {
        return Err(invalid(
            "command must be a bare program name (the demo runs it from PATH in its sandbox)",
        ));
    }
    if !req.args.iter().all(|a| arg_inside(a)) {
        return Err(invalid(
            "args must stay inside the sandbox: no absolute path, `~` or `..` component",
        ));
    }
    Ok(())
}

/// The decide request of `/demo/exec`: a `shell.exec` action; the text is `stdin`, or the command
/// line (`command` and `args` joined by spaces).
pub fn exec_decide(req: &ExecRequest) -> DecideRequest {
    let text = if req.stdin.is_empty() {
        std::iter::once(req.command.as_str())
            .chain(req.args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        req.stdin.clone()
    };
    DecideRequest {
        action: Action {
            action_type: "shell.exec".to_owned(),
            tool: "datafog-demo".to_owned(),
            command: req.command.clone(),
            args: req.args.clone(),
            ..Action::default()
        },
        text,
        actor_id: "demo".to_owned(),
        ..DecideRequest::default()
    }
}

/// The decide request of a file action (`file.write` with the content to write, `file.read` with
/// the content read): the resource is the file name, the text its content.
pub fn file_decide(action_type: &str, filename: &str, content: &str) -> DecideRequest {
    DecideRequest {
        action: Action {
            action_type: action_type.to_owned(),
            tool: "datafog-demo".to_owned(),
            resource: filename.to_owned(),
            ..Action::default()
        },
        text: content.to_owned(),
        actor_id: "demo".to_owned(),
        ..DecideRequest::default()
    }
}

/// What the host does after a decision: run/write/return as is, with the plan applied, or not at
/// all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    Proceed,
    Redact,
    Block,
}

/// The gate of `effect`.
pub fn gate(effect: Effect) -> Gate {
    match effect {
        Effect::Allow => Gate::Proceed,
        Effect::AllowWithRedaction | Effect::Transform => Gate::Redact,
        Effect::Deny => Gate::Block,
    }
}

/// The blocked answer's `error` text (names the rules, never a value).
pub fn blocked_message(resp: &DecideResponse) -> String {
    match resp.matched_rules.first() {
        None => format!("blocked by policy: {}", resp.reason),
        // The deciding rule (rules are listed in evaluation order).
        Some(rule) => format!("blocked by policy rule {rule}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dry_run_query() {
        assert!(!crate::api::decide_dry_run("").unwrap());
        assert!(crate::api::decide_dry_run("dry_run=true").unwrap());
        assert!(crate::api::decide_dry_run("x=1&dry_run=1").unwrap());
        assert!(!crate::api::decide_dry_run("dry_run=false").unwrap());
        assert!(crate::api::decide_dry_run("dry_run=yes").is_err());
        assert!(crate::api::decide_dry_run("dry_run=true&dry_run=true").is_err());
    }

    #[test]
    fn file_names_stay_in_the_sandbox() {
        for ok in ["notes.txt", ".env", "a..b", "x y"] {
            assert_eq!(file_name(ok).unwrap(), ok);
        }
        for bad in ["", ".", "..", "../x", "/etc/passwd", "a/b", "a\\b", "a\0b"] {
            assert!(file_name(bad).is_err(), "{bad:?}");
        }
        assert!(file_name(&"a".repeat(256)).is_err());
    }

    #[test]
    fn exec_validation() {
        let r = |c: &str, a: &[&str]| ExecRequest {
            command: c.into(),
            args: a.iter().map(|s| (*s).to_owned()).collect(),
            stdin: String::new(),
        };
        assert!(validate_exec(&r("echo", &["hi", "a..b", "https://x.example/y"])).is_ok());
        assert!(validate_exec(&r("", &[])).is_err());
        assert!(validate_exec(&r("/bin/cat", &[])).is_err());
        assert!(validate_exec(&r("cat", &["/etc/passwd"])).is_err());
        assert!(validate_exec(&r("cat", &["../x"])).is_err());
        assert!(validate_exec(&r("cat", &["a/../../x"])).is_err());
        assert!(validate_exec(&r("cat", &["~/.ssh/id_rsa"])).is_err());
        let d = exec_decide(&r("echo", &["hello", "world"]));
        assert_eq!(d.text, "echo hello world");
        assert_eq!(d.action.action_type, "shell.exec");
    }

    #[test]
    fn answers_carry_no_values() {
        let mut d: DecideResponse = serde_json::from_str(
            r#"{"request_id":"","decision":"allow","receipt_id":"r","policy_version":"v","policy_id":"p"}"#,
        )
        .unwrap();
        d.findings.push(ScanFinding {
            entity_type: "email".into(),
            value: "jane@example.com".into(),
            start: 0,
            end: 16,
            confidence: 0.9,
        });
        let out = serde_json::to_string(&DemoResponse::new(d)).unwrap();
        assert!(!out.contains("jane@example.com"), "{out}");
    }
}
