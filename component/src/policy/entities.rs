//! Entity names in a policy (`entity_requirements`, `any_entities`, `entity_transforms`) and the
//! default transform plan.
//!
//! A name is a built-in type (`EntityType::parse`), a custom detector's name, or a group:
//! `secret` (every secret type), `pii` (every other built-in type), `any` (every finding, custom
//! detectors included). For Go compatibility `api_key` matches every secret type (a `github_token`
//! finding satisfies `entity_requirements: ["api_key"]`). Custom detector findings belong to `any`
//! and to their own name only. Names compare trimmed and ASCII case-insensitively.
//!
//! The transform engine resolves plan steps by the same rules (`transform::plan`), adding a
//! precedence: exact name > `api_key` alias > `secret`/`pii` > `any`, the later step winning within
//! one level.

use crate::entity::{EntityType, Finding};
use crate::transform::{Mode, TransformStep};

/// A resolved entity name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum EntityRef {
    /// A built-in type other than `api_key`.
    Type(EntityType),
    /// `api_key`: every secret type.
    ApiKey,
    Secret,
    Pii,
    Any,
    /// A custom detector (lower-cased name).
    Custom(String),
}

impl EntityRef {
    /// Resolve `name` against the built-in types, the groups and `customs` (custom detector names).
    pub(crate) fn resolve(name: &str, customs: &[&str]) -> Option<EntityRef> {
        let n = name.trim().to_ascii_lowercase();
        match n.as_str() {
            "secret" => return Some(EntityRef::Secret),
            "pii" => return Some(EntityRef::Pii),
            "any" => return Some(EntityRef::Any),
            _ => {}
        }
        match EntityType::parse(&n) {
            Some(EntityType::ApiKey) => Some(EntityRef::ApiKey),
            Some(t) => Some(EntityRef::Type(t)),
            None if customs.iter().any(|c| c.eq_ignore_ascii_case(&n)) => {
                Some(EntityRef::Custom(n))
            }
            None => None,
        }
    }

    /// True if a finding of kind `kind` (see [`FindingKind`]) is covered by this name.
    pub(crate) fn covers(&self, kind: &FindingKind<'_>) -> bool {
        match (self, kind) {
            (EntityRef::Any, _) => true,
            (EntityRef::Type(t), FindingKind::Builtin(k)) => t == k,
            (EntityRef::ApiKey | EntityRef::Secret, FindingKind::Builtin(k)) => k.is_secret(),
            (EntityRef::Pii, FindingKind::Builtin(k)) => k.is_pii(),
            (EntityRef::Custom(c), FindingKind::Custom(name)) => {
                c.eq_ignore_ascii_case(name.trim())
            }
            _ => false,
        }
    }
}

/// A finding's type, parsed once per decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FindingKind<'a> {
    Builtin(EntityType),
    Custom(&'a str),
}

impl<'a> FindingKind<'a> {
    pub(crate) fn of(finding: &'a Finding) -> FindingKind<'a> {
        match EntityType::parse(&finding.entity_type) {
            Some(t) => FindingKind::Builtin(t),
            None => FindingKind::Custom(&finding.entity_type),
        }
    }
}

/// True if the policy entity name `name` (a type, `api_key`, a group, or a custom detector name)
/// covers a finding whose `entity_type` is `finding_type`. This is the rule the policy uses for
/// `entity_requirements` and `any_entities`, and the rule the transform engine uses to apply plan
/// steps (`transform::mode_for` adds precedence between several matching steps).
///
/// ```
/// use datafog::policy::entity_name_matches;
/// assert!(entity_name_matches("api_key", "github_token"));
/// assert!(entity_name_matches("secret", "stripe_key"));
/// assert!(entity_name_matches("pii", "iban"));
/// assert!(entity_name_matches("any", "employee_id"));
/// assert!(entity_name_matches("Employee_ID", "employee_id"));
/// assert!(!entity_name_matches("pii", "employee_id"));
/// assert!(!entity_name_matches("api_key", "email"));
/// ```
pub fn entity_name_matches(name: &str, finding_type: &str) -> bool {
    let name = name.trim();
    let finding_type = finding_type.trim();
    if name.eq_ignore_ascii_case(finding_type) {
        return true;
    }
    let kind = match EntityType::parse(finding_type) {
        Some(t) => FindingKind::Builtin(t),
        None => FindingKind::Custom(finding_type),
    };
    // Any custom name here would have matched by equality above, so none need be known.
    EntityRef::resolve(name, &[]).is_some_and(|r| r.covers(&kind))
}

/// The Go service's default plan (11 steps, in order), used when a `transform` or
/// `allow_with_redaction` decision has no steps from its rules.
pub const GO_DEFAULT_PLAN: [(&str, Mode); 11] = [
    ("email", Mode::Mask),
    ("phone", Mode::Tokenize),
    ("ssn", Mode::Anonymize),
    ("api_key", Mode::Redact),
    ("credit_card", Mode::Redact),
    ("ip_address", Mode::Mask),
    ("date", Mode::Mask),
    ("zip_code", Mode::Mask),
    ("person", Mode::Redact),
    ("organization", Mode::Mask),
    ("location", Mode::Mask),
];

/// Our default plan: Go's eleven steps, then catch-alls for every type Go did not know:
/// `secret` -> redact, `pii` -> mask, `any` -> redact (custom detectors). Exact names take
/// precedence over `api_key`, which takes precedence over the groups, which take precedence over
/// `any` (`transform::mode_for`), so the Go steps keep their meaning; `api_key` -> redact already
/// covers every secret type and `secret` is listed for clarity.
pub const DEFAULT_PLAN: [(&str, Mode); 14] = [
    ("email", Mode::Mask),
    ("phone", Mode::Tokenize),
    ("ssn", Mode::Anonymize),
    ("api_key", Mode::Redact),
    ("credit_card", Mode::Redact),
    ("ip_address", Mode::Mask),
    ("date", Mode::Mask),
    ("zip_code", Mode::Mask),
    ("person", Mode::Redact),
    ("organization", Mode::Mask),
    ("location", Mode::Mask),
    ("secret", Mode::Redact),
    ("pii", Mode::Mask),
    ("any", Mode::Redact),
];

/// [`DEFAULT_PLAN`] as steps.
pub fn default_plan() -> Vec<TransformStep> {
    DEFAULT_PLAN
        .iter()
        .map(|&(entity_type, mode)| TransformStep {
            entity_type: entity_type.to_owned(),
            mode,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::GROUPS;

    #[test]
    fn resolve_names() {
        assert_eq!(
            EntityRef::resolve(" EMAIL ", &[]),
            Some(EntityRef::Type(EntityType::Email))
        );
        assert_eq!(EntityRef::resolve("api_key", &[]), Some(EntityRef::ApiKey));
        assert_eq!(EntityRef::resolve("Secret", &[]), Some(EntityRef::Secret));
        assert_eq!(EntityRef::resolve("ssnn", &[]), None);
        assert_eq!(
            EntityRef::resolve("Employee_Id", &["employee_id"]),
            Some(EntityRef::Custom("employee_id".into()))
        );
    }

    /// The policy's name rule and the transform engine's plan rule must agree on coverage.
    #[test]
    fn agrees_with_transform_plan_resolution() {
        let mut names: Vec<&str> = EntityType::ALL.iter().map(|t| t.as_str()).collect();
        names.extend(GROUPS);
        names.push("employee_id");
        let mut types: Vec<&str> = EntityType::ALL.iter().map(|t| t.as_str()).collect();
        types.push("employee_id");
        for name in &names {
            for ft in &types {
                let step = [TransformStep {
                    entity_type: (*name).to_owned(),
                    mode: Mode::Mask,
                }];
                assert_eq!(
                    entity_name_matches(name, ft),
                    crate::transform::mode_for(&step, ft).is_some(),
                    "{name} vs {ft}"
                );
            }
        }
    }

    #[test]
    fn default_plan_covers_every_type() {
        let plan = default_plan();
        for t in EntityType::ALL {
            assert!(
                crate::transform::mode_for(&plan, t.as_str()).is_some(),
                "{t}"
            );
        }
        assert_eq!(
            crate::transform::mode_for(&plan, "github_token"),
            Some(Mode::Redact)
        );
        assert_eq!(crate::transform::mode_for(&plan, "iban"), Some(Mode::Mask));
        assert_eq!(
            crate::transform::mode_for(&plan, "phone"),
            Some(Mode::Tokenize)
        );
        assert_eq!(
            crate::transform::mode_for(&plan, "employee_id"),
            Some(Mode::Redact)
        );
        assert_eq!(&DEFAULT_PLAN[..11], &GO_DEFAULT_PLAN[..]);
    }
}
