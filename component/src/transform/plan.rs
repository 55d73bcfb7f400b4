//! Plan resolution: which mode applies to a finding of a given entity type.
//!
//! A step's `entity_type` may name a concrete type, a custom detector, or a group. Names are
//! compared trimmed and ASCII case-insensitively (Go compares exactly, so `{"EMAIL":"mask"}` does
//! nothing there; here it masks `email`). Precedence, strongest first:
//!
//! 1. exact name (`email` for an `email` finding, `my_detector` for that custom detector);
//! 2. `api_key` for any secret type (`github_token`, `stripe_key`, ...), for Go compatibility;
//! 3. the group `secret` (secret types) or `pii` (every other built-in type);
//! 4. the group `any` (every finding, custom detectors included).
//!
//! Within one precedence level the later step wins (Go: later duplicates override earlier ones).

use crate::entity::EntityType;

use super::{Mode, TransformStep};

/// How specifically a step named `step_name` applies to a finding of type `finding_type`
/// (higher = more specific), or `None` if it does not apply.
pub fn match_rank(step_name: &str, finding_type: &str) -> Option<u8> {
    let step_name = step_name.trim();
    if step_name.eq_ignore_ascii_case(finding_type.trim()) {
        return Some(3);
    }
    let builtin = EntityType::parse(finding_type);
    let is = |pred: fn(EntityType) -> bool| builtin.is_some_and(pred);
    let lower = step_name.to_ascii_lowercase();
    match lower.as_str() {
        "api_key" if is(EntityType::is_secret) => Some(2),
        "secret" if is(EntityType::is_secret) => Some(1),
        "pii" if is(EntityType::is_pii) => Some(1),
        "any" => Some(0),
        _ => None,
    }
}

/// The mode `plan` assigns to findings of type `entity_type`, if any (see the module docs for
/// precedence).
pub fn mode_for(plan: &[TransformStep], entity_type: &str) -> Option<Mode> {
    let mut best: Option<(u8, Mode)> = None;
    for step in plan {
        if let Some(rank) = match_rank(&step.entity_type, entity_type)
            && best.is_none_or(|(r, _)| rank >= r)
        {
            best = Some((rank, step.mode));
        }
    }
    best.map(|(_, m)| m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(t: &str, mode: Mode) -> TransformStep {
        TransformStep {
            entity_type: t.to_owned(),
            mode,
        }
    }

    #[test]
    fn later_duplicate_overrides() {
        let plan = [step("email", Mode::Mask), step("email", Mode::Hash)];
        assert_eq!(mode_for(&plan, "email"), Some(Mode::Hash));
    }

    #[test]
    fn precedence_exact_then_api_key_then_group_then_any() {
        let plan = [
            step("email", Mode::Mask),
            step("github_token", Mode::Hash),
            step("api_key", Mode::Redact),
            step("secret", Mode::Tokenize),
            step("any", Mode::Anonymize),
            step("pii", Mode::Replace),
        ];
        assert_eq!(mode_for(&plan, "github_token"), Some(Mode::Hash));
        assert_eq!(mode_for(&plan, "stripe_key"), Some(Mode::Redact));
        assert_eq!(mode_for(&plan, "api_key"), Some(Mode::Redact));
        assert_eq!(mode_for(&plan, "email"), Some(Mode::Mask));
        assert_eq!(mode_for(&plan, "phone"), Some(Mode::Replace));
        assert_eq!(mode_for(&plan, "my_detector"), Some(Mode::Anonymize));
        assert_eq!(mode_for(&plan[..1], "phone"), None);
        assert_eq!(mode_for(&[step("api_key", Mode::Mask)], "email"), None);
        assert_eq!(mode_for(&[step("secret", Mode::Mask)], "custom"), None);
    }

    #[test]
    fn names_are_case_insensitive() {
        assert_eq!(
            mode_for(&[step(" EMAIL ", Mode::Mask)], "email"),
            Some(Mode::Mask)
        );
        assert_eq!(
            mode_for(&[step("My_Detector", Mode::Hash)], "my_detector"),
            Some(Mode::Hash)
        );
    }
}
