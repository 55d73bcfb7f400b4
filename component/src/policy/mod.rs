//! Policy: parse and validate `policy.json` (every Go policy unchanged, plus documented extensions),
//! and evaluate an action + findings to a decision with the Go precedence
//! (deny > transform > allow_with_redaction > allow; no match fails closed).
//!
//! The format, every extension and every divergence from Go are documented in
//! `docs/policy-format.md`. In short:
//! - [`Policy::from_json`] accepts any Go `policy.json`, collects every validation error (Go's
//!   messages, plus the rule and field of each, see [`PolicyError`]) and pre-computes everything
//!   [`Policy::decide`] needs: rules sorted once by priority (stable), names lower-cased, globs and
//!   entity names compiled. Unlike Go, an unknown field is an error (a typo such as `"mtach"` would
//!   otherwise widen a rule to every action), or a warning ([`Policy::warnings`]) in a policy that
//!   sets `"lenient": true`. Sizes are bounded ([`MAX_POLICY_BYTES`], [`MAX_RULES`],
//!   [`MAX_LIST_ENTRIES`], [`MAX_GLOB_LEN`], [`MAX_CUSTOM_DETECTORS`] and the detector limits).
//! - [`read_policy_file`] reads a policy file with the same byte bound, for the front-ends.
//! - [`Policy::decide`] visits every rule in global priority order (Go's per-action index could put
//!   a lower-priority rule first; we do not), records every matching rule, and applies the
//!   precedence.
//! - [`entity_name_matches`] is the entity-name rule shared with the transform engine.

pub mod adapters;
mod entities;
mod file;
pub mod glob;
mod matcher;
mod parse;
pub mod rfc3339;

use serde::{Deserialize, Serialize};

use crate::detect::{AllowList, CustomDetector, ScanOptions, TypeFilter};
use crate::entity::Finding;
use crate::transform::TransformStep;

pub use entities::{DEFAULT_PLAN, GO_DEFAULT_PLAN, default_plan, entity_name_matches};
pub use file::read_policy_file;
pub use parse::{
    FieldError, MAX_CUSTOM_DETECTORS, MAX_GLOB_LEN, MAX_LIST_ENTRIES, MAX_POLICY_BYTES, MAX_RULES,
    PolicyError,
};

/// Reason of a deny when no rule matched (fail closed).
pub const REASON_NO_MATCH: &str = "no matching rule";
/// Reason of a deny for an action without a type.
pub const REASON_NO_ACTION_TYPE: &str = "action.type is required";
/// Reason of a deny for a policy without rules.
pub const REASON_NO_RULES: &str = "policy has no rules";

/// The action an agent is about to take (`ActionMeta` in the Go service).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    #[serde(rename = "type", default)]
    pub action_type: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub tool: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub resource: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub command: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sensitive: bool,
}

/// A rule effect, and the decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    Allow,
    AllowWithRedaction,
    Transform,
    Deny,
}

impl Effect {
    pub const fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "allow",
            Effect::AllowWithRedaction => "allow_with_redaction",
            Effect::Transform => "transform",
            Effect::Deny => "deny",
        }
    }

    pub fn parse(s: &str) -> Option<Effect> {
        match s {
            "allow" => Some(Effect::Allow),
            "allow_with_redaction" => Some(Effect::AllowWithRedaction),
            "transform" => Some(Effect::Transform),
            "deny" => Some(Effect::Deny),
            _ => None,
        }
    }
}

/// The outcome of evaluating a policy. A decision is data, not an error.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub effect: Effect,
    /// Ids of every matching rule, in evaluation order.
    pub matched_rules: Vec<String>,
    /// Transform plan (empty for allow and deny).
    pub plan: Vec<TransformStep>,
    /// Deny reason (the first matching deny rule's description), or `no matching rule`.
    pub reason: String,
}

impl Decision {
    fn deny(reason: &str) -> Decision {
        Decision {
            effect: Effect::Deny,
            matched_rules: Vec::new(),
            plan: Vec::new(),
            reason: reason.to_owned(),
        }
    }
}

/// How one rule fared in [`Policy::explain`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleTrace {
    pub id: String,
    pub priority: i64,
    pub effect: Effect,
    pub matched: bool,
    /// The first condition that did not hold, by its field in the rule (`match.action_types`,
    /// `match.tools`, `match.commands`, `match.args`, `match.adapters`,
    /// `require_sensitive_only`, `match.resource_prefixes`, `match.resources`,
    /// `entity_requirements`, `any_entities`); `None` when the rule matched.
    pub failed: Option<String>,
}

/// A rule's `match` block, as written (entries trimmed of nothing: exactly as in the file).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Match {
    pub action_types: Vec<String>,
    pub tools: Vec<String>,
    pub resource_prefixes: Vec<String>,
    /// Extension: globs on `action.resource`.
    pub resources: Vec<String>,
    /// Extension: globs on `action.resource` that keep the rule from matching (an allow-list
    /// beside `resources`, e.g. `.env.example` beside `.env*`).
    pub resources_except: Vec<String>,
    pub commands: Vec<String>,
    pub args: Vec<String>,
    pub adapters: Vec<String>,
}

/// One validated rule, as written, plus its compiled form.
#[derive(Clone, Debug)]
pub struct Rule {
    /// Trimmed.
    pub id: String,
    pub description: String,
    pub priority: i64,
    pub effect: Effect,
    pub conditions: Match,
    /// Every name must be present (AND).
    pub entity_requirements: Vec<String>,
    /// Extension: at least one name must be present (OR).
    pub any_entities: Vec<String>,
    pub entity_transforms: Vec<TransformStep>,
    pub require_sensitive_only: bool,
    /// Extension: findings below this confidence do not count for this rule's entity gates.
    pub min_confidence: Option<f64>,
    compiled: matcher::Compiled,
}

/// A loaded, validated policy.
#[derive(Clone, Debug)]
pub struct Policy {
    pub policy_id: String,
    pub policy_version: String,
    pub description: String,
    /// RFC 3339, validated.
    pub updated_at: Option<String>,
    /// Extension: default confidence floor (scan floor and default rule `min_confidence`).
    pub min_confidence: f64,
    rules: Vec<Rule>,
    /// Indices into `rules`: priority descending, file order within a priority.
    order: Vec<usize>,
    custom_detectors: Vec<CustomDetector>,
    allow_list: Option<AllowList>,
    /// Unknown fields of a `lenient` policy.
    warnings: Vec<FieldError>,
}

impl Policy {
    /// Parse and validate a policy document. Every Go `policy.json` is accepted unchanged. An
    /// unknown field is an error (`rules[2].mtach`, with "did you mean `match`?"), or, when the
    /// document sets `"lenient": true`, a warning kept in [`Policy::warnings`]. A document larger
    /// than [`MAX_POLICY_BYTES`] is refused before it is parsed; at most [`MAX_RULES`] rules and
    /// [`MAX_LIST_ENTRIES`] entries per list of a rule. On failure the error lists every problem
    /// found.
    pub fn from_json(bytes: &[u8]) -> Result<Policy, PolicyError> {
        parse::parse(bytes)
    }

    /// The unknown fields a `lenient` policy was loaded with (empty otherwise), in document order,
    /// each with its rule, path and "did you mean" help. Hosts should log them at start.
    pub fn warnings(&self) -> &[FieldError] {
        &self.warnings
    }

    /// Rules in file order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Rules in evaluation order: priority descending, file order within a priority.
    pub fn rules_in_order(&self) -> impl Iterator<Item = &Rule> {
        self.order.iter().filter_map(|&i| self.rules.get(i))
    }

    pub fn custom_detectors(&self) -> &[CustomDetector] {
        &self.custom_detectors
    }

    pub fn allow_list(&self) -> Option<&AllowList> {
        self.allow_list.as_ref()
    }

    /// Scan options carrying this policy's custom detectors, allow-list and confidence floor
    /// (every type, NER on).
    pub fn scan_options(&self) -> ScanOptions<'_> {
        ScanOptions {
            filter: TypeFilter::all(),
            ner: true,
            custom: &self.custom_detectors,
            allow: self.allow_list.as_ref(),
            min_confidence: self.min_confidence,
        }
    }

    /// Every rule in evaluation order and whether it matches `action` with `findings` (and if
    /// not, the first condition that failed): what [`Policy::decide`] visits, for `policy
    /// explain`. The decision itself is [`Policy::decide`]'s.
    pub fn explain(&self, action: &Action, findings: &[Finding]) -> Vec<RuleTrace> {
        let cx = matcher::Context::new(action, findings);
        self.rules_in_order()
            .map(|rule| {
                let failed = rule.compiled.first_mismatch(&cx);
                RuleTrace {
                    id: rule.id.clone(),
                    priority: rule.priority,
                    effect: rule.effect,
                    matched: failed.is_none(),
                    failed: failed.map(str::to_owned),
                }
            })
            .collect()
    }

    /// Evaluate `action` with `findings`.
    ///
    /// 1. Blank `action.type` -> deny `action.type is required`; no rules -> deny
    ///    `policy has no rules`.
    /// 2. Every rule is visited in priority order; the ids of all matching rules are recorded.
    /// 3. Any deny -> `deny`, reason = first matching deny rule's description, no plan. Else any
    ///    transform -> `transform`; else any allow_with_redaction -> `allow_with_redaction`; the
    ///    plan is the `entity_transforms` of the matching transform and allow_with_redaction rules
    ///    in visit order, or [`default_plan`] when they contribute none. Else any match -> `allow`.
    ///    Else `deny`, `no matching rule` (fail closed).
    pub fn decide(&self, action: &Action, findings: &[Finding]) -> Decision {
        if action.action_type.trim().is_empty() {
            return Decision::deny(REASON_NO_ACTION_TYPE);
        }
        if self.rules.is_empty() {
            return Decision::deny(REASON_NO_RULES);
        }
        let cx = matcher::Context::new(action, findings);
        let mut matched = Vec::new();
        let mut deny: Option<&Rule> = None;
        let (mut transform, mut redaction) = (false, false);
        let mut plan: Vec<TransformStep> = Vec::new();
        for rule in self.rules_in_order() {
            if !rule.compiled.matches(&cx) {
                continue;
            }
            matched.push(rule.id.clone());
            match rule.effect {
                Effect::Deny => {
                    deny.get_or_insert(rule);
                }
                Effect::Transform | Effect::AllowWithRedaction => {
                    if rule.effect == Effect::Transform {
                        transform = true;
                    } else {
                        redaction = true;
                    }
                    plan.extend(rule.entity_transforms.iter().cloned());
                }
                Effect::Allow => {}
            }
        }
        if let Some(rule) = deny {
            let reason = if rule.description.trim().is_empty() {
                format!("denied by rule `{}`", rule.id)
            } else {
                rule.description.clone()
            };
            return Decision {
                effect: Effect::Deny,
                matched_rules: matched,
                plan: Vec::new(),
                reason,
            };
        }
        let effect = if transform {
            Effect::Transform
        } else if redaction {
            Effect::AllowWithRedaction
        } else if !matched.is_empty() {
            Effect::Allow
        } else {
            return Decision::deny(REASON_NO_MATCH);
        };
        if effect != Effect::Allow && plan.is_empty() {
            plan = default_plan();
        }
        Decision {
            effect,
            matched_rules: matched,
            plan,
            reason: String::new(),
        }
    }
}

#[cfg(test)]
mod tests;
