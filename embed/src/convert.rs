//! Every conversion between the WIT types (host side) and the core's types, once, as `From`
//! impls. Offsets are `u32` on the wire (a wasm32 guest cannot hold 4 GiB of text); a larger
//! offset saturates, which no text the guest accepted can have.

use std::borrow::Cow;

use datafog::api::{
    AnonymizeRequest, ApiError, DecideContext, DecideRequest, DecideResponse, ErrorCode,
    ScanRequest, ScanResponse, TransformRequest, TransformResponse,
};
use datafog::policy::{FieldError, PolicyError};
use datafog::receipt::{ChainError, ChainErrorKind, ChainSummary, ReceiptFinding, ReceiptInput};
use datafog::transform::{Stats, SuppliedFinding, Transformed};
use datafog::{Action, Decision, Effect, Finding, Mode, OffsetUnit, TransformStep};

use crate::wit;

pub(crate) fn u32_of(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

pub(crate) fn usize_of(n: u32) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

impl From<OffsetUnit> for wit::OffsetUnit {
    fn from(u: OffsetUnit) -> Self {
        match u {
            OffsetUnit::Byte => wit::OffsetUnit::Byte,
            OffsetUnit::Char => wit::OffsetUnit::Codepoint,
            OffsetUnit::Utf16 => wit::OffsetUnit::Utf16,
        }
    }
}

impl From<wit::Finding> for Finding {
    fn from(f: wit::Finding) -> Self {
        Finding {
            entity_type: Cow::Owned(f.entity_type),
            start: usize_of(f.start),
            end: usize_of(f.end),
            confidence: f.confidence,
        }
    }
}

impl From<&Finding> for wit::Finding {
    fn from(f: &Finding) -> Self {
        wit::Finding {
            entity_type: f.entity_type.to_string(),
            start: u32_of(f.start),
            end: u32_of(f.end),
            confidence: f.confidence,
        }
    }
}

impl From<wit::SuppliedFinding> for SuppliedFinding {
    fn from(f: wit::SuppliedFinding) -> Self {
        SuppliedFinding {
            entity_type: f.entity_type,
            value: f.value,
            start: usize_of(f.start),
            end: usize_of(f.end),
            confidence: f.confidence,
        }
    }
}

impl From<SuppliedFinding> for wit::SuppliedFinding {
    fn from(f: SuppliedFinding) -> Self {
        wit::SuppliedFinding {
            entity_type: f.entity_type,
            value: f.value,
            start: u32_of(f.start),
            end: u32_of(f.end),
            confidence: f.confidence,
        }
    }
}

impl From<&SuppliedFinding> for wit::SuppliedFinding {
    fn from(f: &SuppliedFinding) -> Self {
        f.clone().into()
    }
}

impl From<Action> for wit::Action {
    fn from(a: Action) -> Self {
        wit::Action {
            action_type: a.action_type,
            tool: a.tool,
            resource: a.resource,
            command: a.command,
            args: a.args,
            sensitive: a.sensitive,
        }
    }
}

impl From<&Action> for wit::Action {
    fn from(a: &Action) -> Self {
        a.clone().into()
    }
}

impl From<wit::Effect> for Effect {
    fn from(e: wit::Effect) -> Self {
        match e {
            wit::Effect::Allow => Effect::Allow,
            wit::Effect::AllowWithRedaction => Effect::AllowWithRedaction,
            wit::Effect::Transform => Effect::Transform,
            wit::Effect::Deny => Effect::Deny,
        }
    }
}

impl From<Effect> for wit::Effect {
    fn from(e: Effect) -> Self {
        match e {
            Effect::Allow => wit::Effect::Allow,
            Effect::AllowWithRedaction => wit::Effect::AllowWithRedaction,
            Effect::Transform => wit::Effect::Transform,
            Effect::Deny => wit::Effect::Deny,
        }
    }
}

impl From<wit::TransformMode> for Mode {
    fn from(m: wit::TransformMode) -> Self {
        match m {
            wit::TransformMode::Mask => Mode::Mask,
            wit::TransformMode::Tokenize => Mode::Tokenize,
            wit::TransformMode::Anonymize => Mode::Anonymize,
            wit::TransformMode::Redact => Mode::Redact,
            wit::TransformMode::Replace => Mode::Replace,
            wit::TransformMode::Hash => Mode::Hash,
        }
    }
}

impl From<Mode> for wit::TransformMode {
    fn from(m: Mode) -> Self {
        match m {
            Mode::Mask => wit::TransformMode::Mask,
            Mode::Tokenize => wit::TransformMode::Tokenize,
            Mode::Anonymize => wit::TransformMode::Anonymize,
            Mode::Redact => wit::TransformMode::Redact,
            Mode::Replace => wit::TransformMode::Replace,
            Mode::Hash => wit::TransformMode::Hash,
        }
    }
}

impl From<wit::TransformStep> for TransformStep {
    fn from(s: wit::TransformStep) -> Self {
        TransformStep {
            entity_type: s.entity_type,
            mode: s.mode.into(),
        }
    }
}

impl From<&TransformStep> for wit::TransformStep {
    fn from(s: &TransformStep) -> Self {
        wit::TransformStep {
            entity_type: s.entity_type.clone(),
            mode: s.mode.into(),
        }
    }
}

impl From<wit::Decision> for Decision {
    fn from(d: wit::Decision) -> Self {
        Decision {
            effect: d.effect.into(),
            matched_rules: d.matched_rules,
            plan: d.plan.into_iter().map(Into::into).collect(),
            reason: d.reason,
        }
    }
}

impl From<&Decision> for wit::Decision {
    fn from(d: &Decision) -> Self {
        wit::Decision {
            effect: d.effect.into(),
            matched_rules: d.matched_rules.clone(),
            plan: d.plan.iter().map(Into::into).collect(),
            reason: d.reason.clone(),
        }
    }
}

impl From<wit::PolicyError> for PolicyError {
    fn from(e: wit::PolicyError) -> Self {
        PolicyError {
            errors: e
                .errors
                .into_iter()
                .map(|f| FieldError {
                    rule: f.rule,
                    field: f.field,
                    message: f.message,
                    help: f.help,
                })
                .collect(),
        }
    }
}

impl From<wit::TransformStats> for Stats {
    fn from(s: wit::TransformStats) -> Self {
        Stats {
            entities_transformed: usize_of(s.entities_transformed),
            modes_applied: s.modes_applied,
        }
    }
}

impl From<wit::TransformResult> for Transformed {
    fn from(t: wit::TransformResult) -> Self {
        Transformed {
            output: t.output,
            stats: t.stats.into(),
        }
    }
}

impl From<wit::ChainSummary> for ChainSummary {
    fn from(s: wit::ChainSummary) -> Self {
        ChainSummary {
            count: usize_of(s.count),
            last_hash: s.last_hash,
        }
    }
}

impl From<wit::ChainError> for ChainError {
    fn from(e: wit::ChainError) -> Self {
        ChainError {
            line: usize_of(e.line),
            kind: match e.kind {
                wit::ChainErrorKind::Malformed => ChainErrorKind::Malformed,
                // The core names only these two fields; anything else is not the core's answer.
                wit::ChainErrorKind::MissingField(name) => match name.as_str() {
                    "hash" => ChainErrorKind::MissingField("hash"),
                    "prev_hash" => ChainErrorKind::MissingField("prev_hash"),
                    _ => ChainErrorKind::Malformed,
                },
                wit::ChainErrorKind::HashMismatch => ChainErrorKind::HashMismatch,
                wit::ChainErrorKind::BrokenLink => ChainErrorKind::BrokenLink,
            },
        }
    }
}

impl From<wit::ApiError> for ApiError {
    /// The guest's codes are the core's; an unknown one (another guest) is an internal error.
    fn from(e: wit::ApiError) -> Self {
        ApiError {
            code: ErrorCode::parse(&e.code).unwrap_or(ErrorCode::InternalError),
            message: e.message,
            details: e.details,
        }
    }
}

impl From<ScanRequest> for wit::ScanRequest {
    fn from(r: ScanRequest) -> Self {
        wit::ScanRequest {
            text: r.text,
            entity_types: r.entity_types,
            request_id: r.request_id,
            trace_id: r.trace_id,
            offset_unit: r.offset_unit,
        }
    }
}

impl From<wit::ScanResponse> for ScanResponse {
    fn from(r: wit::ScanResponse) -> Self {
        ScanResponse {
            request_id: r.request_id,
            trace_id: r.trace_id,
            findings: r.findings.into_iter().map(Into::into).collect(),
            policy_version: r.policy_version,
            policy_id: r.policy_id,
            findings_truncated: !r.finding_counts.is_empty(),
            finding_counts: r.finding_counts.into_iter().collect(),
        }
    }
}

impl From<TransformRequest> for wit::TransformRequest {
    fn from(r: TransformRequest) -> Self {
        wit::TransformRequest {
            text: r.text,
            findings: r.findings.into_iter().map(Into::into).collect(),
            mode: r.mode,
            entity_modes: r.entity_modes.into_iter().collect(),
            request_id: r.request_id,
            trace_id: r.trace_id,
        }
    }
}

impl From<AnonymizeRequest> for wit::AnonymizeRequest {
    fn from(r: AnonymizeRequest) -> Self {
        wit::AnonymizeRequest {
            text: r.text,
            findings: r.findings.into_iter().map(Into::into).collect(),
            request_id: r.request_id,
            trace_id: r.trace_id,
        }
    }
}

impl From<wit::TransformResponse> for TransformResponse {
    fn from(r: wit::TransformResponse) -> Self {
        TransformResponse {
            request_id: r.request_id,
            trace_id: r.trace_id,
            output: r.output,
            policy_id: r.policy_id,
            policy_version: r.policy_version,
            stats: r.stats.into(),
        }
    }
}

impl From<DecideRequest> for wit::DecideRequest {
    fn from(r: DecideRequest) -> Self {
        wit::DecideRequest {
            action: r.action.into(),
            text: r.text,
            findings: r.findings.into_iter().map(Into::into).collect(),
            request_id: r.request_id,
            trace_id: r.trace_id,
            tenant_id: r.tenant_id,
            actor_id: r.actor_id,
            session_id: r.session_id,
            idempotency_key: r.idempotency_key,
        }
    }
}

impl From<wit::DecideResponse> for DecideResponse {
    fn from(r: wit::DecideResponse) -> Self {
        DecideResponse {
            request_id: r.request_id,
            trace_id: r.trace_id,
            decision: r.decision.into(),
            receipt_id: r.receipt_id,
            policy_version: r.policy_version,
            policy_id: r.policy_id,
            matched_rules: r.matched_rules,
            transform_plan: r.transform_plan.into_iter().map(Into::into).collect(),
            findings: r.findings.into_iter().map(Into::into).collect(),
            reason: r.reason,
            findings_truncated: !r.finding_counts.is_empty(),
            finding_counts: r.finding_counts.into_iter().collect(),
        }
    }
}

impl From<DecideContext<'_>> for wit::DecideContext {
    fn from(c: DecideContext<'_>) -> Self {
        wit::DecideContext {
            receipt_id: c.receipt_id,
            timestamp: c.timestamp,
            prev_hash: c.prev_hash,
            key: c.key.to_vec(),
            input_hash: c.input_hash,
        }
    }
}

impl From<&ReceiptFinding> for wit::ReceiptFinding {
    fn from(f: &ReceiptFinding) -> Self {
        wit::ReceiptFinding {
            entity_type: f.entity_type.clone(),
            start: u32_of(f.start),
            end: u32_of(f.end),
            confidence: f.confidence,
            value_digest: f.value_digest.clone(),
        }
    }
}

impl From<&ReceiptInput> for wit::ReceiptInput {
    /// The engine supplies `policy_id` and `policy_version`; those of the input are dropped.
    fn from(i: &ReceiptInput) -> Self {
        wit::ReceiptInput {
            receipt_id: i.receipt_id.clone(),
            timestamp: i.timestamp.clone(),
            request_id: i.request_id.clone(),
            trace_id: i.trace_id.clone(),
            tenant_id: i.tenant_id.clone(),
            actor_id: i.actor_id.clone(),
            session_id: i.session_id.clone(),
            action: (&i.action).into(),
            input_hash: i.input_hash.clone(),
            decision: (&i.decision).into(),
            findings: i.findings.iter().map(Into::into).collect(),
            prev_hash: i.prev_hash.clone(),
        }
    }
}
