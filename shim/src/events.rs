//! The decision-event sink (Go section 5.4): one NDJSON line per check, appended with a single
//! `write(2)` under an exclusive lock before the shim goes on (Go buffered and could lose the last
//! events of a CLI process). Not fsynced: receipts are the durable record.

use std::io::Write;
use std::path::{Path, PathBuf};

use datafog::api::{DecideResponse, DecisionEvent};
use datafog::policy::Action;
use serde::Serialize;

use crate::config::Mode;

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
}

impl EventSink {
    pub fn new(path: &Path) -> EventSink {
        EventSink {
            path: path.to_path_buf(),
        }
    }

    /// Build and append the event of one check. Errors are returned (the caller reports them;
    /// a lost event never changes a decision).
    pub fn record(
        &self,
        mode: Mode,
        action: &Action,
        resp: Option<&DecideResponse>,
        allowed: bool,
        check_error: Option<&str>,
        stage: &str,
    ) -> Result<(), String> {
        // Matched values never reach the sink: replace them in the action's fields.
        let values: Vec<&str> = resp
            .map(|r| {
                r.findings
                    .iter()
                    .map(|f| f.value.as_str())
                    .filter(|v| !v.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let clean = |s: &str| redact_values(s, &values);
        let event = DecisionEvent {
            timestamp: crate::backend::now_rfc3339_nanos(),
            mode: mode.as_str().to_owned(),
            action_type: action.action_type.clone(),
            tool: action.tool.clone(),
            resource: clean(&action.resource),
            command: clean(&action.command),
            args: action.args.iter().map(|a| clean(a)).collect(),
            sensitive: action.sensitive,
            decision: resp
                .map(|r| r.decision.as_str().to_owned())
                .unwrap_or_default(),
            allowed,
            receipt_id: resp.map(|r| r.receipt_id.clone()).unwrap_or_default(),
            matched_rules: resp.map(|r| r.matched_rules.clone()).unwrap_or_default(),
            reason: resp.map(|r| r.reason.clone()).unwrap_or_default(),
            check_error: check_error.unwrap_or_default().to_owned(),
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

/// `s` with every occurrence of each value replaced by `[REDACTED]` (longest values first, so a
/// value containing another is replaced whole).
pub fn redact_values(s: &str, values: &[&str]) -> String {
    let mut sorted: Vec<&str> = values.to_vec();
    sorted.sort_by_key(|v| std::cmp::Reverse(v.len()));
    let mut out = s.to_owned();
    for v in sorted {
        if out.contains(v) {
            out = out.replace(v, "[REDACTED]");
        }
    }
    out
}
