//! Policy: parse and validate `policy.json` (every Go policy unchanged, plus documented extensions),
//! and evaluate an action + findings to a decision with the Go precedence
//! (deny > transform > allow_with_redaction > allow; no match fails closed).

use serde::{Deserialize, Serialize};

use crate::transform::TransformStep;

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

/// A loaded, validated policy.
#[derive(Clone, Debug)]
pub struct Policy {
    pub policy_id: String,
    pub policy_version: String,
}
