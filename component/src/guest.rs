//! The WASI 0.2 guest: exports `wit/` world `datafog:firewall/guest`. Glue only: WIT types in,
//! core call, WIT types out. Every behaviour lives in the core (`detect`, `policy`, `transform`,
//! `receipt`, `api`); `tests/tests/integration/differential.rs` checks this file adds none.

// Generated code: `unsafe` canonical-ABI shims, undocumented types.
#[allow(unsafe_code, missing_debug_implementations, clippy::all)]
mod bindings {
    wit_bindgen::generate!({ path: "../wit", world: "guest" });

    use super::Component;
    export!(Component);
}

use std::borrow::Cow;

use bindings::exports::datafog::firewall::firewall as wit;

use crate::api::{
    self, AnonymizeRequest, ApiError, DecideContext, DecideRequest, DecideResponse, ScanRequest,
    ScanResponse, TransformRequest, TransformResponse,
};
use crate::detect::{self, OffsetUnit, ScanOptions};
use crate::entity::Finding;
use crate::policy::{Action, Decision, Effect, FieldError, Policy, PolicyError};
use crate::receipt::{self, ChainError, ChainErrorKind, ChainSummary, Receipt, ReceiptFinding};
use crate::transform::{self, Mode, SuppliedFinding};
use crate::transform::{Stats, TransformStep, Transformed};

struct Component;

/// The `engine` resource: a loaded policy.
struct Engine(Policy);

impl wit::Guest for Component {
    type Engine = Engine;

    fn scan_text(text: String) -> Vec<wit::Finding> {
        detect::scan_all(text.as_bytes())
            .into_iter()
            .map(finding_out)
            .collect()
    }

    fn scan_text_with(text: String, options: wit::ScanOptions) -> Vec<wit::Finding> {
        let unit = unit_in(options.offset_unit);
        api::scan_findings(&text, ScanOptions::default(), &options.entity_types, unit)
            .into_iter()
            .map(finding_out)
            .collect()
    }

    fn redact_text(text: String) -> String {
        api::redact_text(&text)
    }

    fn core_version() -> String {
        crate::CORE_VERSION.to_owned()
    }

    fn check_policy(policy_json: String) -> Result<wit::PolicyInfo, wit::PolicyError> {
        let policy = Policy::from_json(policy_json.as_bytes()).map_err(policy_error_out)?;
        Ok(wit::PolicyInfo {
            policy_id: policy.policy_id.clone(),
            policy_version: policy.policy_version.clone(),
            rule_count: u32_of(policy.rules().len()),
        })
    }

    fn verify_chain(lines: Vec<String>) -> Result<wit::ChainSummary, wit::ChainError> {
        receipt::verify_chain(lines.iter().map(String::as_str))
            .map(chain_summary_out)
            .map_err(chain_error_out)
    }

    fn verify_chain_from(
        prev_hash: String,
        lines: Vec<String>,
    ) -> Result<wit::ChainSummary, wit::ChainError> {
        receipt::verify_chain_from(&prev_hash, lines.iter().map(String::as_str))
            .map(chain_summary_out)
            .map_err(chain_error_out)
    }
}

impl wit::GuestEngine for Engine {
    fn load(policy_json: String) -> Result<wit::Engine, wit::PolicyError> {
        let policy = Policy::from_json(policy_json.as_bytes()).map_err(policy_error_out)?;
        Ok(wit::Engine::new(Engine(policy)))
    }

    fn policy_id(&self) -> String {
        self.0.policy_id.clone()
    }

    fn policy_version(&self) -> String {
        self.0.policy_version.clone()
    }

    fn scan(&self, text: String, options: wit::ScanOptions) -> Vec<wit::Finding> {
        let unit = unit_in(options.offset_unit);
        api::scan_findings(&text, self.0.scan_options(), &options.entity_types, unit)
            .into_iter()
            .map(finding_out)
            .collect()
    }

    fn decide(&self, action: wit::Action, findings: Vec<wit::Finding>) -> wit::Decision {
        let findings: Vec<Finding> = findings.into_iter().map(finding_in).collect();
        decision_out(self.0.decide(&action_in(action), &findings))
    }

    fn scan_and_decide(
        &self,
        action: wit::Action,
        text: String,
        options: wit::ScanOptions,
    ) -> wit::ScanDecision {
        let findings = self.scan(text, options);
        let decision = self.decide(action, findings.clone());
        wit::ScanDecision { findings, decision }
    }

    fn transform(
        &self,
        text: String,
        findings: Vec<wit::Finding>,
        plan: Vec<wit::TransformStep>,
        key: Vec<u8>,
    ) -> wit::TransformResult {
        let findings: Vec<Finding> = findings.into_iter().map(finding_in).collect();
        let plan: Vec<TransformStep> = plan.into_iter().map(step_in).collect();
        transformed_out(transform::apply(&text, &findings, &plan, &key))
    }

    fn scan_request(&self, request: wit::ScanRequest) -> Result<wit::ScanResponse, wit::ApiError> {
        let req = ScanRequest {
            text: request.text,
            entity_types: request.entity_types,
            request_id: request.request_id,
            trace_id: request.trace_id,
            idempotency_key: String::new(),
            offset_unit: request.offset_unit,
        };
        let r: ScanResponse = api::handle_scan(&self.0, &req).map_err(api_error_out)?;
        Ok(wit::ScanResponse {
            request_id: r.request_id,
            trace_id: r.trace_id,
            findings: r.findings.into_iter().map(supplied_out).collect(),
            policy_version: r.policy_version,
            policy_id: r.policy_id,
            finding_counts: r.finding_counts.into_iter().collect(),
        })
    }

    fn transform_request(
        &self,
        request: wit::TransformRequest,
        key: Vec<u8>,
    ) -> Result<wit::TransformResponse, wit::ApiError> {
        let req = TransformRequest {
            text: request.text,
            findings: request.findings.into_iter().map(supplied_in).collect(),
            mode: request.mode,
            entity_modes: request.entity_modes.into_iter().collect(),
            request_id: request.request_id,
            trace_id: request.trace_id,
            idempotency_key: String::new(),
        };
        api::handle_transform(&self.0, &req, &key)
            .map(transform_response_out)
            .map_err(api_error_out)
    }

    fn anonymize_request(
        &self,
        request: wit::AnonymizeRequest,
        key: Vec<u8>,
    ) -> Result<wit::TransformResponse, wit::ApiError> {
        let req = AnonymizeRequest {
            text: request.text,
            findings: request.findings.into_iter().map(supplied_in).collect(),
            request_id: request.request_id,
            trace_id: request.trace_id,
            idempotency_key: String::new(),
        };
        api::handle_anonymize(&self.0, &req, &key)
            .map(transform_response_out)
            .map_err(api_error_out)
    }

    fn decide_request(
        &self,
        request: wit::DecideRequest,
        context: wit::DecideContext,
    ) -> Result<wit::Decided, wit::ApiError> {
        let req = DecideRequest {
            action: action_in(request.action),
            text: request.text,
            findings: request.findings.into_iter().map(supplied_in).collect(),
            request_id: request.request_id,
            trace_id: request.trace_id,
            tenant_id: request.tenant_id,
            actor_id: request.actor_id,
            session_id: request.session_id,
            idempotency_key: request.idempotency_key,
        };
        let ctx = DecideContext {
            receipt_id: context.receipt_id,
            timestamp: context.timestamp,
            prev_hash: context.prev_hash,
            key: &context.key,
            input_hash: context.input_hash,
        };
        let (r, receipt) = api::decide(&self.0, &req, ctx).map_err(api_error_out)?;
        let event = event_line(&receipt, &r);
        let response = wit::DecideResponse {
            request_id: r.request_id,
            trace_id: r.trace_id,
            decision: effect_out(r.decision),
            receipt_id: r.receipt_id,
            policy_version: r.policy_version,
            policy_id: r.policy_id,
            matched_rules: r.matched_rules,
            transform_plan: r.transform_plan.into_iter().map(step_out).collect(),
            findings: r.findings.into_iter().map(supplied_out).collect(),
            reason: r.reason,
            finding_counts: r.finding_counts.into_iter().collect(),
        };
        Ok(wit::Decided {
            response,
            receipt: receipt_out(&receipt),
            event,
        })
    }

    fn build_receipt(&self, input: wit::ReceiptInput) -> wit::Receipt {
        let receipt = receipt::build(receipt::ReceiptInput {
            receipt_id: input.receipt_id,
            timestamp: input.timestamp,
            request_id: input.request_id,
            trace_id: input.trace_id,
            tenant_id: input.tenant_id,
            actor_id: input.actor_id,
            session_id: input.session_id,
            policy_id: self.0.policy_id.clone(),
            policy_version: self.0.policy_version.clone(),
            action: action_in(input.action),
            input_hash: input.input_hash,
            decision: decision_in(input.decision),
            findings: input
                .findings
                .into_iter()
                .map(|f| ReceiptFinding {
                    entity_type: f.entity_type,
                    start: usize_of(f.start),
                    end: usize_of(f.end),
                    confidence: f.confidence,
                    value_digest: f.value_digest,
                })
                .collect(),
            prev_hash: input.prev_hash,
        });
        receipt_out(&receipt)
    }
}

// ------------------------------------------------------------------ conversions

/// Offsets are `u32` on the wire: a wasm32 guest cannot hold 4 GiB of text.
fn u32_of(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn usize_of(n: u32) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

fn unit_in(unit: wit::OffsetUnit) -> OffsetUnit {
    match unit {
        wit::OffsetUnit::Byte => OffsetUnit::Byte,
        wit::OffsetUnit::Codepoint => OffsetUnit::Char,
        wit::OffsetUnit::Utf16 => OffsetUnit::Utf16,
    }
}

fn finding_out(f: Finding) -> wit::Finding {
    wit::Finding {
        entity_type: f.entity_type.into_owned(),
        start: u32_of(f.start),
        end: u32_of(f.end),
        confidence: f.confidence,
    }
}

fn finding_in(f: wit::Finding) -> Finding {
    Finding {
        entity_type: Cow::Owned(f.entity_type),
        start: usize_of(f.start),
        end: usize_of(f.end),
        confidence: f.confidence,
    }
}

fn supplied_in(f: wit::SuppliedFinding) -> SuppliedFinding {
    SuppliedFinding {
        entity_type: f.entity_type,
        value: f.value,
        start: usize_of(f.start),
        end: usize_of(f.end),
        confidence: f.confidence,
    }
}

fn supplied_out(f: SuppliedFinding) -> wit::SuppliedFinding {
    wit::SuppliedFinding {
        entity_type: f.entity_type,
        value: f.value,
        start: u32_of(f.start),
        end: u32_of(f.end),
        confidence: f.confidence,
    }
}

fn action_in(a: wit::Action) -> Action {
    Action {
        action_type: a.action_type,
        tool: a.tool,
        resource: a.resource,
        command: a.command,
        args: a.args,
        sensitive: a.sensitive,
    }
}

fn effect_out(e: Effect) -> wit::Effect {
    match e {
        Effect::Allow => wit::Effect::Allow,
        Effect::AllowWithRedaction => wit::Effect::AllowWithRedaction,
        Effect::Transform => wit::Effect::Transform,
        Effect::Deny => wit::Effect::Deny,
    }
}

fn effect_in(e: wit::Effect) -> Effect {
    match e {
        wit::Effect::Allow => Effect::Allow,
        wit::Effect::AllowWithRedaction => Effect::AllowWithRedaction,
        wit::Effect::Transform => Effect::Transform,
        wit::Effect::Deny => Effect::Deny,
    }
}

fn mode_out(m: Mode) -> wit::TransformMode {
    match m {
        Mode::Mask => wit::TransformMode::Mask,
        Mode::Tokenize => wit::TransformMode::Tokenize,
        Mode::Anonymize => wit::TransformMode::Anonymize,
        Mode::Redact => wit::TransformMode::Redact,
        Mode::Replace => wit::TransformMode::Replace,
        Mode::Hash => wit::TransformMode::Hash,
    }
}

fn mode_in(m: wit::TransformMode) -> Mode {
    match m {
        wit::TransformMode::Mask => Mode::Mask,
        wit::TransformMode::Tokenize => Mode::Tokenize,
        wit::TransformMode::Anonymize => Mode::Anonymize,
        wit::TransformMode::Redact => Mode::Redact,
        wit::TransformMode::Replace => Mode::Replace,
        wit::TransformMode::Hash => Mode::Hash,
    }
}

fn step_out(s: TransformStep) -> wit::TransformStep {
    wit::TransformStep {
        entity_type: s.entity_type,
        mode: mode_out(s.mode),
    }
}

fn step_in(s: wit::TransformStep) -> TransformStep {
    TransformStep {
        entity_type: s.entity_type,
        mode: mode_in(s.mode),
    }
}

fn decision_out(d: Decision) -> wit::Decision {
    wit::Decision {
        effect: effect_out(d.effect),
        matched_rules: d.matched_rules,
        plan: d.plan.into_iter().map(step_out).collect(),
        reason: d.reason,
    }
}

fn decision_in(d: wit::Decision) -> Decision {
    Decision {
        effect: effect_in(d.effect),
        matched_rules: d.matched_rules,
        plan: d.plan.into_iter().map(step_in).collect(),
        reason: d.reason,
    }
}

fn policy_error_out(e: PolicyError) -> wit::PolicyError {
    wit::PolicyError {
        errors: e
            .errors
            .into_iter()
            .map(|f: FieldError| wit::FieldError {
                rule: f.rule,
                field: f.field,
                message: f.message,
                help: f.help,
            })
            .collect(),
    }
}

fn transformed_out(t: Transformed) -> wit::TransformResult {
    let Stats {
        entities_transformed,
        modes_applied,
    } = t.stats;
    wit::TransformResult {
        output: t.output,
        stats: wit::TransformStats {
            entities_transformed: u32_of(entities_transformed),
            modes_applied,
        },
    }
}

fn api_error_out(e: ApiError) -> wit::ApiError {
    wit::ApiError {
        code: e.code.as_str().to_owned(),
        message: e.message,
        details: e.details,
    }
}

fn transform_response_out(r: TransformResponse) -> wit::TransformResponse {
    let done = transformed_out(Transformed {
        output: r.output,
        stats: r.stats,
    });
    wit::TransformResponse {
        request_id: r.request_id,
        trace_id: r.trace_id,
        output: done.output,
        policy_id: r.policy_id,
        policy_version: r.policy_version,
        stats: done.stats,
    }
}

/// The decision's `/v1/events` line (see `api::decision_event`).
fn event_line(receipt: &Receipt, response: &DecideResponse) -> String {
    serde_json::to_string(&api::decision_event(receipt, response)).unwrap_or_default()
}

fn receipt_out(r: &Receipt) -> wit::Receipt {
    wit::Receipt {
        receipt_id: r.receipt_id.clone(),
        prev_hash: r.prev_hash.clone(),
        hash: r.hash.clone(),
        line: r.canonical_json(),
    }
}

fn chain_summary_out(s: ChainSummary) -> wit::ChainSummary {
    wit::ChainSummary {
        count: u32_of(s.count),
        last_hash: s.last_hash,
    }
}

fn chain_error_out(e: ChainError) -> wit::ChainError {
    wit::ChainError {
        line: u32_of(e.line),
        message: e.to_string(),
        kind: match e.kind {
            ChainErrorKind::Malformed => wit::ChainErrorKind::Malformed,
            ChainErrorKind::MissingField(name) => {
                wit::ChainErrorKind::MissingField(name.to_owned())
            }
            ChainErrorKind::HashMismatch => wit::ChainErrorKind::HashMismatch,
            ChainErrorKind::BrokenLink => wit::ChainErrorKind::BrokenLink,
        },
    }
}
