//! The golden policy corpus (`tests/corpus/policy/*.json`): loader, native evaluation, comparison.
//!
//! A file is self-contained JSON, so any implementation (native core, component in wasmtime, HTTP
//! host, JS/Python hosts) can run it:
//!
//! ```json
//! {
//!   "description": "optional",
//!   "policy": "config/policy.json",            // a path from the repo root, or an inline object
//!   "expect_errors": ["policy_id is required"], // optional: the policy must be rejected with
//!                                               // exactly these messages (then no cases)
//!   "cases": [{
//!     "name": "shell with a token is denied",
//!     "action": {"type": "shell.exec", "command": "curl"},
//!     "findings": [{"entity_type": "github_token", "start": 0, "end": 40, "confidence": 0.99}],
//!     "expect": {"decision": "deny", "matched_rules": ["..."], "plan": [], "reason": "..."}
//!   }]
//! }
//! ```
//!
//! `expect` may leave keys out; only the keys present are compared. The result of a decision is
//! the JSON object `{"decision", "matched_rules", "plan", "reason"}` (see [`decision_json`]); `plan`
//! is always an array (empty for allow and deny), `reason` always a string (empty unless deny).

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{corpus_files, repo_root};

/// One decision case.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PolicyCase {
    pub name: String,
    /// An `ActionMeta` object (`type`, `tool`, `resource`, `command`, `args`, `sensitive`).
    pub action: Value,
    /// `Finding` objects (`entity_type`, `start`, `end`, `confidence`).
    #[serde(default)]
    pub findings: Vec<Value>,
    /// Expected result; only the keys present are compared.
    pub expect: Value,
}

#[derive(Clone, Debug, Deserialize)]
struct RawFile {
    policy: Value,
    #[serde(default)]
    expect_errors: Option<Vec<String>>,
    #[serde(default)]
    cases: Vec<PolicyCase>,
}

/// A corpus file with its policy resolved to bytes.
#[derive(Clone, Debug)]
pub struct PolicyFile {
    /// File name (for messages).
    pub file: String,
    /// The policy document (read from the path, or the inline object serialised).
    pub policy_json: Vec<u8>,
    /// When set, loading the policy must fail with exactly these messages.
    pub expect_errors: Option<Vec<String>>,
    pub cases: Vec<PolicyCase>,
}

/// Parse one corpus file's text. `root` resolves policy paths.
pub fn parse_file(file: &str, text: &str, root: &Path) -> Result<PolicyFile, String> {
    let raw: RawFile = serde_json::from_str(text).map_err(|e| format!("{file}: {e}"))?;
    let policy_json = match &raw.policy {
        Value::String(path) => {
            let p = root.join(path);
            std::fs::read(&p).map_err(|e| format!("{file}: read {}: {e}", p.display()))?
        }
        Value::Object(_) => serde_json::to_vec(&raw.policy).map_err(|e| format!("{file}: {e}"))?,
        other => {
            return Err(format!(
                "{file}: `policy` must be a path or an object, not {other}"
            ));
        }
    };
    Ok(PolicyFile {
        file: file.to_owned(),
        policy_json,
        expect_errors: raw.expect_errors,
        cases: raw.cases,
    })
}

/// Every policy corpus file, sorted by name.
pub fn policy_files() -> Result<Vec<PolicyFile>, String> {
    let root = repo_root();
    corpus_files("policy")
        .iter()
        .map(|path| {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: {e}"))?;
            parse_file(&name, &text, &root)
        })
        .collect()
}

/// The comparable JSON form of a decision.
pub fn decision_json(d: &datafog::Decision) -> Value {
    json!({
        "decision": d.effect.as_str(),
        "matched_rules": d.matched_rules,
        "plan": d.plan,
        "reason": d.reason,
    })
}

/// Load a policy natively; on failure, the individual error messages.
pub fn native_load(policy_json: &[u8]) -> Result<datafog::Policy, Vec<String>> {
    datafog::Policy::from_json(policy_json)
        .map_err(|e| e.errors().iter().map(|x| x.message.clone()).collect())
}

/// Run one case through the native core.
pub fn native_decide(policy: &datafog::Policy, case: &PolicyCase) -> Result<Value, String> {
    let action: datafog::Action =
        serde_json::from_value(case.action.clone()).map_err(|e| format!("action: {e}"))?;
    let findings: Vec<datafog::Finding> = case
        .findings
        .iter()
        .map(|f| serde_json::from_value(f.clone()).map_err(|e| format!("finding: {e}")))
        .collect::<Result<_, _>>()?;
    Ok(decision_json(&policy.decide(&action, &findings)))
}

/// Compare `actual` with `expect` on the keys `expect` has. `Err` describes every difference.
pub fn compare(expect: &Value, actual: &Value) -> Result<(), String> {
    let Value::Object(want) = expect else {
        return Err(format!("`expect` must be an object, not {expect}"));
    };
    let diffs: Vec<String> = want
        .iter()
        .filter(|(k, v)| actual.get(k.as_str()) != Some(*v))
        .map(|(k, v)| {
            format!(
                "{k}: expected {v}, got {}",
                actual.get(k.as_str()).unwrap_or(&Value::Null)
            )
        })
        .collect();
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(diffs.join("; "))
    }
}

/// Run a whole file natively. Returns one line per failure.
pub fn run_native(file: &PolicyFile) -> Vec<String> {
    let mut failures = Vec::new();
    match (native_load(&file.policy_json), &file.expect_errors) {
        (Ok(_), Some(want)) => failures.push(format!(
            "{}: policy loaded, expected errors {want:?}",
            file.file
        )),
        (Err(got), Some(want)) => {
            if &got != want {
                failures.push(format!(
                    "{}: expected errors {want:?}, got {got:?}",
                    file.file
                ));
            }
        }
        (Err(got), None) => failures.push(format!("{}: policy rejected: {got:?}", file.file)),
        (Ok(policy), None) => {
            for case in &file.cases {
                let result =
                    native_decide(&policy, case).and_then(|actual| compare(&case.expect, &actual));
                if let Err(e) = result {
                    failures.push(format!("{} / {}: {e}", file.file, case.name));
                }
            }
        }
    }
    failures
}
