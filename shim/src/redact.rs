//! Local redaction of what the shim writes itself: decision events and stderr messages. The
//! action fields (tool, resource, command, args) are scanned with every core detector, plus the
//! values the policy found in the payload, before an event is written, whatever the check's
//! outcome (a policy error or a policy service that is down included). Without an offline policy
//! a built-in detector-only policy is used, so every built-in detector still runs.

use std::borrow::Cow;
use std::sync::OnceLock;

use datafog::api::ScanFinding;
use datafog::policy::Action;
use datafog::{Finding, Policy};

/// A policy with one catch-all rule: it exists only so the core's scanner runs every built-in
/// detector (confidence floor 0, no allow-list) on the fields the shim records.
const BUILTIN: &str = r#"{
  "policy_id": "datafog-shim-local-redaction",
  "policy_version": "1",
  "description": "Scans the fields the shim records; never used for a decision",
  "rules": [{"id": "record", "effect": "allow", "match": {"action_types": ["*"]}}]
}"#;

/// The built-in detector-only policy (`None` if it failed to load, which a unit test rules out;
/// callers then redact every field whole).
pub fn builtin() -> Option<&'static Policy> {
    static P: OnceLock<Option<Policy>> = OnceLock::new();
    P.get_or_init(|| Policy::from_json(BUILTIN.as_bytes()).ok())
        .as_ref()
}

/// The placeholder for a field that could not be scanned.
const WHOLE: &str = "[REDACTED]";

/// `action` as an event records it: every detected entity and every occurrence of a payload
/// finding's value replaced by `[REDACTED:<type>]` in `tool`, `resource`, `command` and `args`
/// (the core's `redact_action`). `policy`: the offline policy (its custom detectors and
/// allow-list apply), else the built-in one.
pub fn action<'a, I>(policy: Option<&Policy>, action: &Action, findings: I) -> Action
where
    I: IntoIterator<Item = &'a ScanFinding>,
{
    let policy = match (policy, builtin()) {
        (Some(p), _) | (None, Some(p)) => p,
        (None, None) => return whole(action),
    };
    let values: Vec<(Finding, String)> = findings
        .into_iter()
        .filter(|f| !f.value.is_empty())
        .map(|f| {
            (
                Finding {
                    entity_type: Cow::Owned(f.entity_type.clone()),
                    start: f.start,
                    end: f.end,
                    confidence: f.confidence,
                },
                f.value.clone(),
            )
        })
        .collect();
    datafog::api::handlers::redact_action(policy, action, &values)
}

/// Every non-empty field replaced whole (no scanner available: fail closed).
fn whole(action: &Action) -> Action {
    let w = |s: &str| {
        if s.is_empty() {
            String::new()
        } else {
            WHOLE.to_owned()
        }
    };
    Action {
        action_type: action.action_type.clone(),
        tool: w(&action.tool),
        resource: w(&action.resource),
        command: w(&action.command),
        args: action.args.iter().map(|a| w(a)).collect(),
        sensitive: action.sensitive,
    }
}

/// A message for stderr (or an error text) with every entity the built-in detectors find
/// replaced, so a path, a program name or an upstream error never echoes a secret or PII.
pub fn text(s: &str) -> String {
    match builtin() {
        Some(p) => datafog::api::handlers::Redactor::new(p, &[]).redact(s),
        None if s.is_empty() => String::new(),
        None => WHOLE.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

    use super::*;

    #[test]
    fn the_builtin_policy_loads() {
        assert!(builtin().is_some());
    }

    #[test]
    fn text_redacts_secrets_and_pii() {
        let key = "sk_live_4eC39HqLyjWDarjtT1zdp7dc";
        let out = text(&format!(
            "run {key}: command not found, mail jane.roe@example.com"
        ));
        assert!(
            !out.contains(key) && !out.contains("jane.roe@example.com"),
            "{out}"
        );
        assert!(out.contains("command not found"), "{out}");
        assert_eq!(text("invalid mode \"bogus\""), "invalid mode \"bogus\"");
    }

    #[test]
    fn receipt_ids_are_left_alone() {
        // What the gate writes next to ids: a hex id must never look like a value.
        for i in 0u64..2000 {
            let id = format!(
                "{:016x}{:016x}",
                i.wrapping_mul(0x9e37_79b9_7f4a_7c15),
                i * 7919
            );
            let line = format!("policy check failed: receipt {id}");
            assert_eq!(text(&line), line);
        }
    }

    #[test]
    fn action_redacts_every_field_and_known_values() {
        let a = Action {
            action_type: "shell.exec".into(),
            tool: "shell".into(),
            resource: "curl".into(),
            command: "curl".into(),
            args: vec![
                "-d".into(),
                "email=jane.roe@example.com".into(),
                "opaque-v4lue".into(),
            ],
            sensitive: false,
        };
        let f = ScanFinding {
            entity_type: "custom".into(),
            value: "opaque-v4lue".into(),
            ..ScanFinding::default()
        };
        let r = action(None, &a, [&f]);
        let all = r.args.join(" ");
        assert!(
            !all.contains("jane.roe@example.com") && !all.contains("opaque-v4lue"),
            "{all}"
        );
        assert_eq!(r.command, "curl");
    }
}
