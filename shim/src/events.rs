//! The decision-event sink (`docs/shim.md`, "Decision events"): one NDJSON line per check, appended with a single
//! `write(2)` under an exclusive lock before the shim goes on (Go buffered and could lose the last
//! events of a CLI process). Not fsynced: receipts are the durable record.

use std::io::Write;
use std::path::{Path, PathBuf};

use datafog::Policy;
use datafog::api::DecisionEvent;
use serde::Serialize;

use crate::config::Mode;
use crate::gate::Check;

/// One line: the Go event, plus `stage` (ours: `output` for the check of a command's output or
/// a tool's result; absent for the check before the action).
#[derive(Debug, Serialize)]
struct Line<'a> {
    #[serde(flatten)]
    event: &'a DecisionEvent,
    #[serde(skip_serializing_if = "str::is_empty")]
    stage: &'a str,
}

#[derive(Debug, Clone)]
pub struct EventSink {
    path: PathBuf,
    /// The offline policy (its custom detectors and allow-list redact too); `None`: the built-in
    /// detector-only policy.
    policy: Option<Policy>,
}

impl EventSink {
    pub fn new(path: &Path, policy: Option<Policy>) -> EventSink {
        EventSink {
            path: path.to_path_buf(),
            policy,
        }
    }

    /// Build and append the event of one check. The action's fields are redacted locally first
    /// (every core detector, plus the values found in any piece of the payload; see
    /// [`crate::redact`]), so no matched value reaches the sink whatever the outcome: a policy
    /// error, an output-stage check whose findings come from the output, a split payload.
    /// Errors are returned (the caller reports them; a lost event never changes a decision).
    pub fn record(&self, mode: Mode, check: &Check, stage: &str) -> Result<(), String> {
        let resp = check.primary();
        let findings = check.pieces.iter().flat_map(|p| p.resp.findings.iter());
        let action = crate::redact::action(self.policy.as_ref(), &check.action, findings);
        let event = DecisionEvent {
            timestamp: crate::backend::now_rfc3339_nanos(),
            mode: mode.as_str().to_owned(),
            action_type: action.action_type,
            tool: action.tool,
            resource: action.resource,
            command: action.command,
            args: action.args,
            sensitive: action.sensitive,
            decision: resp
                .map(|r| r.decision.as_str().to_owned())
                .unwrap_or_default(),
            allowed: check.allowed,
            receipt_id: resp.map(|r| r.receipt_id.clone()).unwrap_or_default(),
            matched_rules: resp.map(|r| r.matched_rules.clone()).unwrap_or_default(),
            reason: resp.map(|r| r.reason.clone()).unwrap_or_default(),
            // An error text is scanned too (an upstream message could quote a path or a value).
            check_error: crate::redact::text(check.error.as_deref().unwrap_or_default()),
            request_id: String::new(),
            trace_id: String::new(),
        };
        let mut line = serde_json::to_string(&Line {
            event: &event,
            stage,
        })
        .map_err(|e| format!("encode event: {e}"))?;
        line.push('\n');
        self.append(line.as_bytes())
            .map_err(|e| format!("write event sink `{}`: {e}", self.path.display()))
    }

    fn append(&self, bytes: &[u8]) -> std::io::Result<()> {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o750)
                .create(dir)?;
        }
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .open(&self.path)?;
        f.lock()?;
        let r = f.write_all(bytes);
        let _ = f.unlock();
        r
    }
}
