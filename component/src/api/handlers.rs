//! Pure request handlers: every host calls these, so no front-end duplicates any logic. Each one
//! validates its request first (hosts may also validate earlier, e.g. before an idempotency
//! check; validating twice is harmless).

use std::borrow::Cow;

use crate::detect::{OffsetUnit, TypeFilter, offsets, scan};
use crate::entity::Finding;
use crate::policy::Policy;
use crate::receipt::{self, Receipt, ReceiptFinding, ReceiptInput};
use crate::transform::{self, Mode, TransformStep, reconcile};

use super::types::{
    AnonymizeRequest, DecideRequest, DecideResponse, HealthResponse, PolicyVersionResponse,
    ScanFinding, ScanRequest, ScanResponse, TransformRequest, TransformResponse,
};
use super::{ApiError, validate_anonymize, validate_decide, validate_scan, validate_transform};

/// `GET /health`. `started_at`: RFC 3339, UTC, second precision (the host's clock).
pub fn handle_health(policy: &Policy, started_at: &str) -> HealthResponse {
    HealthResponse {
        status: "ok".to_owned(),
        policy_id: policy.policy_id.clone(),
        policy_version: policy.policy_version.clone(),
        started_at: started_at.to_owned(),
    }
}

/// `GET /v1/policy/version`.
pub fn handle_policy_version(policy: &Policy) -> PolicyVersionResponse {
    PolicyVersionResponse {
        policy_id: policy.policy_id.clone(),
        policy_version: policy.policy_version.clone(),
    }
}

/// The matched text of `f` (lossy if a custom pattern split a character).
fn value_of(text: &str, f: &Finding) -> String {
    String::from_utf8_lossy(text.as_bytes().get(f.start..f.end).unwrap_or_default()).into_owned()
}

fn to_wire(text: &str, f: &Finding) -> ScanFinding {
    ScanFinding {
        entity_type: f.entity_type.to_string(),
        value: value_of(text, f),
        start: f.start,
        end: f.end,
        confidence: f.confidence,
    }
}

/// Scan `text` with the policy's options (custom detectors, allow-list, confidence floor).
fn scan_text(policy: &Policy, text: &str, filter: Option<TypeFilter>) -> Vec<Finding> {
    let mut opts = policy.scan_options();
    if let Some(filter) = filter {
        opts.filter = filter;
    }
    scan(text.as_bytes(), &opts)
}

/// `POST /v1/scan`. `entity_types` (when non-empty) replaces the type filter; offsets are in the
/// requested `offset_unit` (ours; default bytes), values are the matched text.
pub fn handle_scan(policy: &Policy, req: &ScanRequest) -> Result<ScanResponse, ApiError> {
    let unit = validate_scan(req)?;
    let filter = (!req.entity_types.is_empty()).then(|| TypeFilter::from_names(&req.entity_types));
    let found = scan_text(policy, &req.text, filter);
    let mut findings: Vec<ScanFinding> = found.iter().map(|f| to_wire(&req.text, f)).collect();
    if unit != OffsetUnit::Byte {
        let mut converted = found;
        offsets::convert(req.text.as_bytes(), &mut converted, unit);
        for (w, c) in findings.iter_mut().zip(&converted) {
            w.start = c.start;
            w.end = c.end;
        }
    }
    Ok(ScanResponse {
        request_id: req.request_id.clone(),
        trace_id: req.trace_id.clone(),
        findings,
        policy_version: policy.policy_version.clone(),
        policy_id: policy.policy_id.clone(),
    })
}

/// Effective findings of a transform/anonymize request: the supplied ones reconciled with the
/// text (400 `findings do not match text` if a value is absent), else a scan of the text.
fn effective(
    policy: &Policy,
    text: &str,
    supplied: &[ScanFinding],
) -> Result<Vec<Finding>, ApiError> {
    if supplied.is_empty() {
        Ok(scan_text(policy, text, None))
    } else {
        reconcile(text, supplied).map_err(|e| ApiError::findings_mismatch(&e))
    }
}

/// One step per distinct entity type of `findings`, in first-appearance order.
fn plan_for_types(findings: &[Finding], mode: Mode) -> Vec<TransformStep> {
    let mut plan: Vec<TransformStep> = Vec::new();
    for f in findings {
        if !plan.iter().any(|s| s.entity_type == f.entity_type) {
            plan.push(TransformStep {
                entity_type: f.entity_type.to_string(),
                mode,
            });
        }
    }
    plan
}

/// `POST /v1/transform`. Plan: `entity_modes` when non-empty, else `mode` for every entity type
/// found, else nothing (text returned unchanged). `key`: the host's token/hash key.
pub fn handle_transform(
    policy: &Policy,
    req: &TransformRequest,
    key: &[u8],
) -> Result<TransformResponse, ApiError> {
    let mut req = req.clone();
    validate_transform(&mut req)?;
    let findings = effective(policy, &req.text, &req.findings)?;
    let plan: Vec<TransformStep> = if !req.entity_modes.is_empty() {
        req.entity_modes
            .iter()
            .filter_map(|(k, v)| {
                Some(TransformStep {
                    entity_type: k.clone(),
                    mode: Mode::parse(v)?,
                })
            })
            .collect()
    } else if let Some(mode) = Mode::parse(&req.mode) {
        plan_for_types(&findings, mode)
    } else {
        Vec::new()
    };
    let done = transform::apply(&req.text, &findings, &plan, key);
    Ok(TransformResponse {
        request_id: req.request_id.clone(),
        trace_id: req.trace_id.clone(),
        output: done.output,
        policy_id: policy.policy_id.clone(),
        policy_version: policy.policy_version.clone(),
        stats: done.stats,
    })
}

/// `POST /v1/anonymize`: `anonymize` for every entity type of the effective findings.
pub fn handle_anonymize(
    policy: &Policy,
    req: &AnonymizeRequest,
    key: &[u8],
) -> Result<TransformResponse, ApiError> {
    validate_anonymize(req)?;
    let findings = effective(policy, &req.text, &req.findings)?;
    let plan = plan_for_types(&findings, Mode::Anonymize);
    let done = transform::apply(&req.text, &findings, &plan, key);
    Ok(TransformResponse {
        request_id: req.request_id.clone(),
        trace_id: req.trace_id.clone(),
        output: done.output,
        policy_id: policy.policy_id.clone(),
        policy_version: policy.policy_version.clone(),
        stats: done.stats,
    })
}

/// What a host supplies to a decision: identity, time and chain position, and the key for
/// `value_digest`s.
#[derive(Clone, Debug)]
pub struct DecideContext<'a> {
    /// 32 lowercase hex (the host's randomness).
    pub receipt_id: String,
    /// RFC 3339 UTC with nanoseconds (the host's clock).
    pub timestamp: String,
    /// `hash` of the last receipt written, or `receipt::GENESIS_HASH`.
    pub prev_hash: String,
    pub key: &'a [u8],
}

/// `POST /v1/decide`: effective findings, policy decision, sealed receipt. The host must persist
/// the receipt before it sends the response (a receipt for every decision, allow and deny).
///
/// Effective findings: supplied findings reconciled with `text` when both are given (Go trusts the
/// offsets); supplied findings as sent when there is no text; else a scan of `text` with the
/// policy's options; else none.
pub fn decide(
    policy: &Policy,
    req: &DecideRequest,
    ctx: DecideContext<'_>,
) -> Result<(DecideResponse, Receipt), ApiError> {
    validate_decide(req)?;
    // (finding, its value) pairs.
    let pairs: Vec<(Finding, String)> = if !req.findings.is_empty() && !req.text.is_empty() {
        reconcile(&req.text, &req.findings)
            .map_err(|e| ApiError::findings_mismatch(&e))?
            .into_iter()
            .map(|f| {
                let v = value_of(&req.text, &f);
                (f, v)
            })
            .collect()
    } else if !req.findings.is_empty() {
        req.findings
            .iter()
            .map(|s| {
                let f = Finding {
                    entity_type: Cow::Owned(s.entity_type.clone()),
                    start: s.start,
                    end: s.end,
                    confidence: s.confidence,
                };
                (f, s.value.clone())
            })
            .collect()
    } else if !req.text.is_empty() {
        scan_text(policy, &req.text, None)
            .into_iter()
            .map(|f| {
                let v = value_of(&req.text, &f);
                (f, v)
            })
            .collect()
    } else {
        Vec::new()
    };
    let findings: Vec<Finding> = pairs.iter().map(|(f, _)| f.clone()).collect();
    let decision = policy.decide(&req.action, &findings);
    let receipt = receipt::build(ReceiptInput {
        receipt_id: ctx.receipt_id,
        timestamp: ctx.timestamp,
        request_id: req.request_id.clone(),
        trace_id: req.trace_id.clone(),
        tenant_id: req.tenant_id.clone(),
        actor_id: req.actor_id.clone(),
        session_id: req.session_id.clone(),
        policy_id: policy.policy_id.clone(),
        policy_version: policy.policy_version.clone(),
        action: req.action.clone(),
        input_hash: receipt::input_hash(req),
        decision: decision.clone(),
        findings: pairs
            .iter()
            .map(|(f, v)| ReceiptFinding::new(f, v, ctx.key))
            .collect(),
        prev_hash: ctx.prev_hash,
    });
    let response = DecideResponse {
        request_id: req.request_id.clone(),
        trace_id: req.trace_id.clone(),
        decision: decision.effect,
        receipt_id: receipt.receipt_id.clone(),
        policy_version: policy.policy_version.clone(),
        policy_id: policy.policy_id.clone(),
        matched_rules: decision.matched_rules,
        transform_plan: decision.plan,
        findings: pairs
            .into_iter()
            .map(|(f, value)| ScanFinding {
                entity_type: f.entity_type.into_owned(),
                value,
                start: f.start,
                end: f.end,
                confidence: f.confidence,
            })
            .collect(),
        reason: decision.reason,
    };
    Ok((response, receipt))
}
