//! Request and response bodies of the HTTP API (`docs/openapi.json`; differences from Go in `docs/divergences-from-go.md`), with Go's field names, order and
//! `omitempty` rules, except that `findings` and `matched_rules` are always arrays (Go may send
//! `null`). Request decoding is lenient like Go's: unknown fields are ignored, every field is
//! optional, and `null` reads as the empty value.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::policy::{Action, Effect};
use crate::receipt::Receipt;
use crate::transform::reconcile::nullable;
use crate::transform::{Stats, TransformStep};

/// A finding on the wire: `entity_type`, `value`, `start`, `end`, `confidence` (Go
/// `ScanFinding`); offsets are bytes unless the request asked for another `offset_unit`.
pub use crate::transform::SuppliedFinding as ScanFinding;

/// `POST /v1/scan`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ScanRequest {
    #[serde(default, deserialize_with = "nullable")]
    pub text: String,
    #[serde(default, deserialize_with = "nullable")]
    pub entity_types: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub request_id: String,
    #[serde(default, deserialize_with = "nullable")]
    pub trace_id: String,
    #[serde(default, deserialize_with = "nullable")]
    pub idempotency_key: String,
    /// Ours: `byte` (default), `char` or `utf16` offsets in the response.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub offset_unit: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ScanResponse {
    #[serde(default)]
    pub request_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub trace_id: String,
    #[serde(default, deserialize_with = "nullable")]
    pub findings: Vec<ScanFinding>,
    pub policy_version: String,
    pub policy_id: String,
    /// Ours: `findings` holds the first findings within the caps (`super::bounds`), not all.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub findings_truncated: bool,
    /// Ours, with `findings_truncated`: every finding's type and count.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub finding_counts: BTreeMap<String, u64>,
}

/// `POST /v1/decide`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DecideRequest {
    #[serde(default, deserialize_with = "nullable")]
    pub action: Action,
    #[serde(default, deserialize_with = "nullable")]
    pub text: String,
    #[serde(default, deserialize_with = "nullable")]
    pub findings: Vec<ScanFinding>,
    #[serde(default, deserialize_with = "nullable")]
    pub request_id: String,
    #[serde(default, deserialize_with = "nullable")]
    pub trace_id: String,
    #[serde(default, deserialize_with = "nullable")]
    pub tenant_id: String,
    #[serde(default, deserialize_with = "nullable")]
    pub actor_id: String,
    #[serde(default, deserialize_with = "nullable")]
    pub session_id: String,
    #[serde(default, deserialize_with = "nullable")]
    pub idempotency_key: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DecideResponse {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub request_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub trace_id: String,
    pub decision: Effect,
    pub receipt_id: String,
    pub policy_version: String,
    pub policy_id: String,
    #[serde(default, deserialize_with = "nullable")]
    pub matched_rules: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transform_plan: Vec<TransformStep>,
    #[serde(default, deserialize_with = "nullable")]
    pub findings: Vec<ScanFinding>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// Ours: past the findings caps (`super::bounds`) `findings` is empty, the decision is `deny`
    /// and `finding_counts` holds the count per type.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub findings_truncated: bool,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub finding_counts: BTreeMap<String, u64>,
}

/// `POST /v1/transform`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TransformRequest {
    #[serde(default, deserialize_with = "nullable")]
    pub text: String,
    #[serde(default, deserialize_with = "nullable")]
    pub findings: Vec<ScanFinding>,
    #[serde(default, deserialize_with = "nullable")]
    pub mode: String,
    /// Entity name -> mode; takes precedence over `mode` when non-empty. Names may also be groups
    /// (`secret`, `pii`, `any`) and match case-insensitively (ours; Go compares exactly).
    #[serde(default, deserialize_with = "nullable")]
    pub entity_modes: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "nullable")]
    pub request_id: String,
    #[serde(default, deserialize_with = "nullable")]
    pub trace_id: String,
    #[serde(default, deserialize_with = "nullable")]
    pub idempotency_key: String,
}

/// `POST /v1/anonymize`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AnonymizeRequest {
    #[serde(default, deserialize_with = "nullable")]
    pub text: String,
    #[serde(default, deserialize_with = "nullable")]
    pub findings: Vec<ScanFinding>,
    #[serde(default, deserialize_with = "nullable")]
    pub request_id: String,
    #[serde(default, deserialize_with = "nullable")]
    pub trace_id: String,
    #[serde(default, deserialize_with = "nullable")]
    pub idempotency_key: String,
}

/// Response of `/v1/transform` and `/v1/anonymize`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransformResponse {
    #[serde(default)]
    pub request_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub trace_id: String,
    pub output: String,
    pub policy_id: String,
    pub policy_version: String,
    pub stats: Stats,
}

/// `GET /health`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthResponse {
    pub status: String,
    pub policy_id: String,
    pub policy_version: String,
    /// RFC 3339, UTC, second precision.
    pub started_at: String,
}

/// `GET /v1/policy/version`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyVersionResponse {
    pub policy_id: String,
    pub policy_version: String,
}

/// `GET /v1/receipts`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReceiptsListResponse {
    #[serde(default, deserialize_with = "nullable")]
    pub receipts: Vec<Receipt>,
    /// Matches before `limit` was applied.
    pub total: usize,
    /// Ours: the byte bound (`super::bounds::MAX_LIST_BYTES`) left out older matches.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

/// `GET /v1/events`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventsResponse {
    #[serde(default, deserialize_with = "nullable")]
    pub events: Vec<DecisionEvent>,
    pub total: usize,
    /// Ours: the byte bound (`super::bounds::MAX_LIST_BYTES`) left out older matches.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

/// One line of the decision-event NDJSON log (`docs/operations.md`, "Events"), written by a shim gate.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionEvent {
    /// RFC 3339 with nanoseconds, UTC.
    #[serde(default, deserialize_with = "nullable")]
    pub timestamp: String,
    /// `enforced` or `observe`.
    #[serde(default, deserialize_with = "nullable")]
    pub mode: String,
    #[serde(default, deserialize_with = "nullable")]
    pub action_type: String,
    #[serde(default, deserialize_with = "nullable")]
    pub tool: String,
    #[serde(default, deserialize_with = "nullable")]
    pub resource: String,
    #[serde(default, deserialize_with = "nullable")]
    pub command: String,
    /// Always an array (Go may write `null`, which reads as empty).
    #[serde(default, deserialize_with = "nullable")]
    pub args: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub sensitive: bool,
    /// Empty when the policy call failed.
    #[serde(default, deserialize_with = "nullable")]
    pub decision: String,
    /// Whether the gate let the action run.
    #[serde(default, deserialize_with = "nullable")]
    pub allowed: bool,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub receipt_id: String,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub matched_rules: Vec<String>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub reason: String,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub check_error: String,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub request_id: String,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub trace_id: String,
}
