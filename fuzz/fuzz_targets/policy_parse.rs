//! `policy_parse`: arbitrary bytes as a policy document (`Policy::from_json`), then, when it
//! loads, its custom detectors and allow-list over a text and its rules over an action.
//!
//! Input: `<policy bytes>[\0<tail>]`. JSON never holds a raw NUL, so the first NUL ends the policy;
//! the tail's lines are the action (`type`, `tool`, `resource`, `command`, then `args`) and the
//! whole tail is the scanned text. Without a tail a fixed action and text are used.
//!
//! Checks: parsing never panics; a refused policy reports at least one error, and its `Display`
//! and `detailed()` forms are non-empty; for a loaded policy, `decide` is deterministic and
//! follows `Policy::decide`'s documented contract (a deny or allow has no plan, a transform or
//! allow_with_redaction has one, matched rules are rule ids in evaluation order, anything but the
//! fail-closed denies matched a rule). Not covered: `read_policy_file`'s bounded reader, which
//! needs a file (its bound is unit-tested in `component/src/policy/file.rs`).
#![no_main]

use datafog::policy::{REASON_NO_ACTION_TYPE, REASON_NO_MATCH, REASON_NO_RULES};
use datafog::{Action, Effect, Policy, scan};
use libfuzzer_sys::fuzz_target;

const SAMPLE: &str = "shell.exec\nbash\n/home/jane/.ssh/id_rsa\ncurl -H 'Authorization: Bearer \
                      ghp_0123456789abcdefghijklmnopqrstuvwxyzAB' https://example.com\n\
                      jane@example.com\nEMP-123456 employee 123-45-6789";

fn action_of(tail: &str) -> Action {
    let mut lines = tail.lines();
    let mut next = || lines.next().unwrap_or_default().to_owned();
    let (action_type, tool, resource, command) = (next(), next(), next(), next());
    Action {
        action_type,
        tool,
        resource,
        command,
        args: lines.map(str::to_owned).collect(),
        sensitive: tail.len() % 2 == 1,
    }
}

fuzz_target!(|data: &[u8]| {
    let (doc, tail) = match data.iter().position(|&b| b == 0) {
        Some(at) => (
            &data[..at],
            String::from_utf8_lossy(&data[at + 1..]).into_owned(),
        ),
        None => (data, SAMPLE.to_owned()),
    };
    let policy = match Policy::from_json(doc) {
        Ok(p) => p,
        Err(e) => {
            assert!(!e.errors().is_empty(), "a refused policy names no problem");
            assert!(!e.to_string().is_empty() && !e.detailed().is_empty());
            return;
        }
    };
    assert_eq!(policy.rules_in_order().count(), policy.rules().len());
    let _ = policy.warnings().iter().map(ToString::to_string).count();

    let findings = scan(tail.as_bytes(), &policy.scan_options());
    for f in &findings {
        assert!(f.start < f.end && f.end <= tail.len(), "span out of range");
    }
    let action = action_of(&tail);
    for (action, findings) in [(&action, &findings[..]), (&action, &[][..])] {
        let d = policy.decide(action, findings);
        assert_eq!(
            d,
            policy.decide(action, findings),
            "decide is not deterministic"
        );
        match d.effect {
            Effect::Deny | Effect::Allow => assert!(d.plan.is_empty(), "plan on allow/deny"),
            Effect::Transform | Effect::AllowWithRedaction => {
                assert!(!d.plan.is_empty(), "no plan on transform")
            }
        }
        let fail_closed = [REASON_NO_MATCH, REASON_NO_RULES, REASON_NO_ACTION_TYPE];
        if d.effect != Effect::Deny || !fail_closed.contains(&d.reason.as_str()) {
            assert!(
                !d.matched_rules.is_empty(),
                "a decision without a matching rule"
            );
        }
        let mut order = policy.rules_in_order().map(|r| r.id.as_str());
        for id in &d.matched_rules {
            assert!(
                order.any(|r| r == id),
                "matched rules not in evaluation order"
            );
        }
    }
});
