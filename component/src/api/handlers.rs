//! Pure request handlers: what each route computes. The guest's WIT exports are one call each into
//! these (`scan-request`, `transform-request`, `anonymize-request`, `decide-request`), the native
//! host serves `/health` and `/v1/policy/version` from them, and the shim's offline mode calls
//! [`decide`] directly, so no front-end re-implements a route. Each one validates its request
//! first (a host may also validate earlier, e.g. before an idempotency check).

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::detect::{OffsetUnit, ScanOptions, TypeFilter, offsets, scan};
use crate::entity::Finding;
use crate::policy::{Action, Decision, Effect, Policy};
use crate::receipt::{self, Receipt, ReceiptFinding, ReceiptInput};
use crate::transform::{self, Mode, TransformStep, reconcile};

use super::types::{
    AnonymizeRequest, DecideRequest, DecideResponse, DecisionEvent, HealthResponse,
    PolicyVersionResponse, ScanFinding, ScanRequest, ScanResponse, TransformRequest,
    TransformResponse,
};
use super::{
    ApiError, bounds, validate_anonymize, validate_decide, validate_scan, validate_transform,
};

/// `GET /health`, for the loaded policy `identity` (see [`handle_policy_version`]).
/// `started_at`: RFC 3339, UTC, second precision (the host's clock).
pub fn handle_health(identity: &PolicyVersionResponse, started_at: &str) -> HealthResponse {
    HealthResponse {
        status: "ok".to_owned(),
        policy_id: identity.policy_id.clone(),
        policy_version: identity.policy_version.clone(),
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

/// A finding on the wire: the finding and its matched text.
fn with_value((f, value): (Finding, String)) -> ScanFinding {
    ScanFinding {
        entity_type: f.entity_type.into_owned(),
        value,
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

/// Scan `text` under `opts` (a policy's, or the defaults), reporting only `entity_types` when it
/// is not empty (groups expand; see [`TypeFilter::from_names`]), offsets in `unit`: the WIT
/// `scan`/`scan-text-with` exports.
pub fn scan_findings<S: AsRef<str>>(
    text: &str,
    mut opts: ScanOptions<'_>,
    entity_types: &[S],
    unit: OffsetUnit,
) -> Vec<Finding> {
    if !entity_types.is_empty() {
        opts.filter = TypeFilter::from_names(entity_types);
    }
    let mut found = scan(text.as_bytes(), &opts);
    offsets::convert(text.as_bytes(), &mut found, unit);
    found
}

/// `POST /v1/scan`. `entity_types` (when non-empty) replaces the type filter; offsets are in the
/// requested `offset_unit` (ours; default bytes), values are the matched text. One scan: values
/// are sliced at byte offsets, then the offsets are converted in place.
pub fn handle_scan(policy: &Policy, req: &ScanRequest) -> Result<ScanResponse, ApiError> {
    let unit = validate_scan(req)?;
    let filter = (!req.entity_types.is_empty()).then(|| TypeFilter::from_names(&req.entity_types));
    let mut found = scan_text(policy, &req.text, filter);
    // The first findings within both caps; past them, the count per type (`bounds`).
    let mut values: Vec<String> = Vec::with_capacity(found.len().min(bounds::MAX_FINDINGS));
    let mut value_bytes = 0usize;
    for f in found.iter().take(bounds::MAX_FINDINGS) {
        value_bytes += f.end.saturating_sub(f.start);
        if value_bytes > bounds::MAX_FINDING_VALUE_BYTES {
            break;
        }
        values.push(value_of(&req.text, f));
    }
    let truncated = values.len() < found.len();
    let finding_counts = if truncated {
        bounds::counts_by_type(found.iter().map(|f| f.entity_type.as_ref()))
    } else {
        BTreeMap::new()
    };
    found.truncate(values.len());
    offsets::convert(req.text.as_bytes(), &mut found, unit);
    let findings: Vec<ScanFinding> = found.into_iter().zip(values).map(with_value).collect();
    Ok(ScanResponse {
        request_id: req.request_id.clone(),
        trace_id: req.trace_id.clone(),
        findings,
        policy_version: policy.policy_version.clone(),
        policy_id: policy.policy_id.clone(),
        findings_truncated: truncated,
        finding_counts,
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
    /// `hash` of the last receipt written, or `receipt::GENESIS_HASH`. Empty: the receipt comes
    /// back unsealed (`hash` empty) and the host seals it (`receipt::reseal_line` or `Receipt::reseal`).
    pub prev_hash: String,
    pub key: &'a [u8],
    /// [`receipt::input_hash`] of the request when the host already has it (the idempotency
    /// fingerprint of a keyed decide is the same value, `super::fingerprint_decide`); empty: it is
    /// computed here. So a keyed decide is hashed once.
    pub input_hash: String,
}

/// Replaces sensitive text in the fields a receipt or an event records verbatim: every entity the
/// detectors find (all types, the policy's custom detectors and allow-list included) and every
/// occurrence of a finding's value from the payload (4 bytes or longer) becomes
/// `[REDACTED:<type>]`. Callers such as the shim send the command line both as the action and as
/// text; Go's receipts kept it verbatim, secrets included.
#[derive(Debug)]
pub struct Redactor<'a> {
    policy: &'a Policy,
    /// Each distinct (value, type) once (a text often repeats one), values under 4 bytes skipped.
    values: Vec<(&'a str, &'a str)>,
    /// All of `values` in one automaton when there are many: each field is then searched once,
    /// not once per value (tens of thousands of distinct values and a long command would
    /// otherwise cost seconds).
    matcher: Option<aho_corasick::AhoCorasick>,
}

/// Values at which [`Redactor`] searches with one automaton instead of one search per value.
const MANY_VALUES: usize = 16;

impl<'a> Redactor<'a> {
    pub fn new(policy: &'a Policy, values: &'a [(Finding, String)]) -> Self {
        let mut distinct: Vec<(&str, &str)> = values
            .iter()
            .filter(|(_, v)| v.len() >= 4)
            .map(|(f, v)| (v.as_str(), f.entity_type.as_ref()))
            .collect();
        distinct.sort_unstable();
        distinct.dedup();
        // Overlapping matches (`MatchKind::Standard`): every occurrence of every value, as the
        // per-value search finds them. Building cannot fail for these sizes; if it did, the
        // per-value search is used.
        let matcher = (distinct.len() > MANY_VALUES)
            .then(|| aho_corasick::AhoCorasick::new(distinct.iter().map(|(v, _)| v)).ok())
            .flatten();
        Redactor {
            policy,
            values: distinct,
            matcher,
        }
    }

    /// `s` with every detected entity and every known value replaced.
    pub fn redact(&self, s: &str) -> String {
        if s.is_empty() {
            return String::new();
        }
        let mut spans: Vec<(usize, usize, String)> = Vec::new();
        for (i, view) in identifier_views(s).iter().enumerate() {
            spans.extend(
                scan_text(self.policy, view, Some(TypeFilter::all()))
                    .into_iter()
                    // In the identifier views only structured types (strength 2 and up, and the
                    // policy's own detectors) count: a bare 5-digit run between dashes (a pid, a
                    // port) is a zip code to the weak detectors, and ids are full of them.
                    .filter(|f| {
                        i == 0
                            || crate::entity::EntityType::parse(&f.entity_type)
                                .is_none_or(|t| t.strength() >= 2)
                    })
                    .map(|f| (f.start, f.end, f.entity_type.into_owned())),
            );
        }
        if let Some(ac) = &self.matcher {
            for m in ac.find_overlapping_iter(s) {
                let kind = self
                    .values
                    .get(m.pattern().as_usize())
                    .map_or("any", |(_, k)| *k);
                spans.push((m.start(), m.end(), kind.to_owned()));
            }
        } else {
            for &(v, kind) in &self.values {
                if v.len() > s.len() {
                    continue;
                }
                for (at, _) in s.match_indices(v) {
                    spans.push((at, at + v.len(), kind.to_owned()));
                }
            }
        }
        if spans.is_empty() {
            return s.to_owned();
        }
        spans.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        let bytes = s.as_bytes();
        let mut out: Vec<u8> = Vec::with_capacity(s.len());
        let mut at = 0;
        for (start, end, kind) in spans {
            if end <= at {
                continue;
            }
            let start = start.max(at);
            out.extend_from_slice(bytes.get(at..start).unwrap_or_default());
            out.extend_from_slice(b"[REDACTED:");
            out.extend_from_slice(kind.as_bytes());
            out.push(b']');
            at = end;
        }
        out.extend_from_slice(bytes.get(at..).unwrap_or_default());
        String::from_utf8_lossy(&out).into_owned()
    }

    /// The action as a receipt (and an event) records it: `type`, `tool`, `resource`, `command`
    /// and every arg redacted.
    pub fn action(&self, action: &Action) -> Action {
        Action {
            action_type: self.redact(&action.action_type),
            tool: self.redact(&action.tool),
            resource: self.redact(&action.resource),
            command: self.redact(&action.command),
            args: action.args.iter().map(|a| self.redact(a)).collect(),
            sensitive: action.sensitive,
        }
    }
}

/// `s` as the detectors see it in running text, then as identifiers: paths, dotted names and
/// snake_case glue entities to their neighbours (`/data/219-47-8312.pdf`, `x_4111111111111111_1`,
/// `file.write.<ssn>`, `user:<email>`), which word-boundary rules then miss. Each further view
/// replaces more separators of identifiers with spaces, byte for byte (ASCII for ASCII, so
/// offsets are the same in every view): first every separator but `.`, `_` and `+` (emails and
/// host names keep their dots), then `.` too, then `_` too (a `ghp_…` token keeps its underscore
/// until then), then `-` too (`x-4111111111111111`; dashed numbers were seen whole before). `@`
/// always stays (emails). Three more views unglue entities that keep their own `_`, `-` or `.`:
/// every `_` and `-` a space, then `.` and `+` too, except a `-` between two digits (a dashed SSN
/// or card) and the separators of a credential prefix (`ghp_`, `sk_live_`, `glpat-`); then the
/// same keeping only the dashes of an SSN (`x-219-47-8312-1`). So `x_jane.doe@example.com_1`,
/// `x_ghp_…_1` and `a-219-47-8312-b` are found. A view equal to an earlier one is skipped.
fn identifier_views(s: &str) -> Vec<std::borrow::Cow<'_, str>> {
    const SEPARATORS: &[u8] = b"/\\=:?&,;#()[]{}'\"<>|*!$%^~`";
    let spaced = |also: &[u8]| -> String {
        s.chars()
            .map(|c| {
                let sep =
                    c.is_ascii() && (SEPARATORS.contains(&(c as u8)) || also.contains(&(c as u8)));
                if sep { ' ' } else { c }
            })
            .collect()
    };
    let mut candidates = vec![spaced(b""), spaced(b".+"), spaced(b".+_"), spaced(b".+_-")];
    // The unglued views (only an `_` or a `-` can make them differ).
    if s.contains(['_', '-']) {
        // The bytes of every credential prefix with a separator in it.
        let bytes = s.as_bytes();
        let mut in_prefix = vec![false; bytes.len()];
        for p in crate::entity::EntityType::ALL
            .into_iter()
            .flat_map(|t| t.prefixes().iter())
            .filter(|p| p.bytes().any(|b| !b.is_ascii_alphanumeric()))
        {
            for (at, _) in s.match_indices(p) {
                for k in in_prefix.iter_mut().skip(at).take(p.len()) {
                    *k = true;
                }
            }
        }
        let digit = |i: Option<usize>| i.and_then(|i| bytes.get(i)).is_some_and(u8::is_ascii_digit);
        // `n` digits from `from` (`None`: before the start).
        let digits = |from: Option<usize>, n: usize| {
            from.is_some_and(|f| (f..f + n).all(|k| digit(Some(k))))
        };
        let between_digits = |i: usize| digit(i.checked_sub(1)) && digit(Some(i + 1));
        // A dash inside `ddd-dd-dddd` (an SSN glued to more dashed digits: `x-219-47-8312-1`).
        let in_ssn = |i: usize| {
            let dash = |k: Option<usize>| k.and_then(|k| bytes.get(k)) == Some(&b'-');
            (digits(i.checked_sub(3), 3)
                && digits(Some(i + 1), 2)
                && dash(Some(i + 3))
                && digits(Some(i + 4), 4))
                || (digits(i.checked_sub(6), 3)
                    && dash(i.checked_sub(3))
                    && digits(i.checked_sub(2), 2)
                    && digits(Some(i + 1), 4))
        };
        let unglued = |also: &[u8], keep_dash: &dyn Fn(usize) -> bool| -> String {
            s.char_indices()
                .map(|(i, c)| {
                    let sep = c.is_ascii()
                        && (SEPARATORS.contains(&(c as u8)) || also.contains(&(c as u8)))
                        && !in_prefix.get(i).copied().unwrap_or(false)
                        && !(c == '-' && keep_dash(i));
                    if sep { ' ' } else { c }
                })
                .collect()
        };
        candidates.extend([
            unglued(b"_-", &between_digits),
            unglued(b"._-+", &between_digits),
            unglued(b"._-+", &in_ssn),
        ]);
    }
    let mut views = vec![std::borrow::Cow::Borrowed(s)];
    for v in candidates {
        if views.iter().all(|w| **w != *v) {
            views.push(std::borrow::Cow::Owned(v));
        }
    }
    views
}

/// The action as a receipt (and an event) records it (see [`Redactor`]).
pub fn redact_action(policy: &Policy, action: &Action, values: &[(Finding, String)]) -> Action {
    Redactor::new(policy, values).action(action)
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
    // A caller-supplied type is recorded in the receipt: it must name a type (never free text,
    // which could be a value).
    for (i, f) in req.findings.iter().enumerate() {
        let name = f.entity_type.trim();
        let known = crate::entity::EntityType::parse(name).is_some()
            || policy
                .custom_detectors()
                .iter()
                .any(|d| d.name.eq_ignore_ascii_case(name));
        if !known {
            return Err(ApiError::unknown_entity_type(i));
        }
    }
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
    // Past the findings caps the policy is not evaluated: deny, and record counts, not entries
    // (`bounds`).
    let over = bounds::past_the_cap(&pairs);
    let decision = if over {
        Decision {
            effect: Effect::Deny,
            matched_rules: Vec::new(),
            plan: Vec::new(),
            reason: format!(
                "too many findings: {} (a decision evaluates at most {} findings and {} bytes of their values); denied without evaluating the policy",
                pairs.len(),
                bounds::MAX_FINDINGS,
                bounds::MAX_FINDING_VALUE_BYTES
            ),
        }
    } else {
        let findings: Vec<Finding> = pairs.iter().map(|(f, _)| f.clone()).collect();
        policy.decide(&req.action, &findings)
    };
    let finding_counts = if over {
        bounds::counts_by_type(pairs.iter().map(|(f, _)| f.entity_type.as_ref()))
    } else {
        BTreeMap::new()
    };
    let hasher = transform::KeyedHasher::new(ctx.key);
    // Built unsealed, completed, then sealed once (or left unsealed for the host; see
    // `DecideContext::prev_hash`).
    let mut receipt = receipt::build(ReceiptInput {
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
        input_hash: if ctx.input_hash.is_empty() {
            receipt::input_hash(req)
        } else {
            ctx.input_hash
        },
        decision: decision.clone(),
        findings: if over {
            Vec::new()
        } else {
            pairs
                .iter()
                .map(|(f, v)| ReceiptFinding::with_hasher(f, v, &hasher))
                .collect()
        },
        prev_hash: String::new(),
    });
    receipt.finding_counts.clone_from(&finding_counts);
    // `action_hash` covers the action as sent; the recorded action and the caller's id fields
    // (an `actor_id` is often an email) have secrets and PII redacted.
    let redactor = Redactor::new(policy, &pairs);
    receipt.action = redactor.action(&req.action);
    for id in [
        &mut receipt.request_id,
        &mut receipt.trace_id,
        &mut receipt.tenant_id,
        &mut receipt.actor_id,
        &mut receipt.session_id,
    ] {
        *id = redactor.redact(id);
        bounds::clip(id, bounds::MAX_RECORDED_ID_BYTES);
    }
    // Bounded after redaction (a cut never exposes part of a value); see `bounds`.
    let a = &mut receipt.action;
    for s in [
        &mut a.action_type,
        &mut a.tool,
        &mut a.resource,
        &mut a.command,
    ] {
        bounds::clip(s, bounds::MAX_RECORDED_FIELD_BYTES);
    }
    bounds::clip_list(
        &mut a.args,
        bounds::MAX_RECORDED_ARGS,
        bounds::MAX_RECORDED_FIELD_BYTES,
    );
    bounds::clip_list(
        &mut receipt.matched_rules,
        bounds::MAX_RECORDED_RULES,
        bounds::MAX_RECORDED_RULE_BYTES,
    );
    if !req.idempotency_key.is_empty() {
        receipt.idempotency_key_digest = receipt::idempotency_digest(ctx.key, &req.idempotency_key);
    }
    if !ctx.prev_hash.is_empty() {
        receipt.reseal(&ctx.prev_hash);
    }
    let response = DecideResponse {
        request_id: req.request_id.clone(),
        trace_id: req.trace_id.clone(),
        decision: decision.effect,
        receipt_id: receipt.receipt_id.clone(),
        policy_version: policy.policy_version.clone(),
        policy_id: policy.policy_id.clone(),
        matched_rules: decision.matched_rules,
        transform_plan: decision.plan,
        findings: if over {
            Vec::new()
        } else {
            pairs.into_iter().map(with_value).collect()
        },
        reason: decision.reason,
        findings_truncated: over,
        finding_counts,
    };
    Ok((response, receipt))
}

/// The `/v1/events` record of a decision: the action and the caller's ids as `receipt` records
/// them (redacted by [`decide`]), at the receipt's timestamp, with the response's outcome. No text
/// and no finding values.
pub fn decision_event(receipt: &Receipt, response: &DecideResponse) -> DecisionEvent {
    let action = &receipt.action;
    DecisionEvent {
        timestamp: receipt.timestamp.clone(),
        mode: "enforced".to_owned(),
        action_type: action.action_type.clone(),
        tool: action.tool.clone(),
        resource: action.resource.clone(),
        command: action.command.clone(),
        args: action.args.clone(),
        sensitive: action.sensitive,
        decision: response.decision.as_str().to_owned(),
        allowed: response.decision != crate::policy::Effect::Deny,
        receipt_id: response.receipt_id.clone(),
        matched_rules: response.matched_rules.clone(),
        reason: response.reason.clone(),
        check_error: String::new(),
        request_id: receipt.request_id.clone(),
        trace_id: receipt.trace_id.clone(),
    }
}

/// The `/v1/decide` response a receipt records, for an idempotent replay after a restart (the
/// in-memory replay cache is gone; the receipts file is not). `req` is the replayed request; the
/// caller has checked `receipt.input_hash == fingerprint_decide(req)`, so its text and supplied
/// findings are those of the original request (its request and trace ids may differ: the replay
/// carries the first request's, as Go's replays do). Every field equals the original response
/// except finding confidences, which receipts keep rounded to 4 decimals.
pub fn replay_decide(receipt: &Receipt, req: &DecideRequest) -> DecideResponse {
    let findings = receipt
        .findings
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let value = if req.text.is_empty() {
                req.findings
                    .get(i)
                    .map(|s| s.value.clone())
                    .unwrap_or_default()
            } else {
                String::from_utf8_lossy(req.text.as_bytes().get(f.start..f.end).unwrap_or_default())
                    .into_owned()
            };
            ScanFinding {
                entity_type: f.entity_type.clone(),
                value,
                start: f.start,
                end: f.end,
                confidence: f.confidence,
            }
        })
        .collect();
    DecideResponse {
        // A replay is the first response verbatim: its request and trace ids (Go 2.14).
        request_id: receipt.request_id.clone(),
        trace_id: receipt.trace_id.clone(),
        decision: receipt.decision,
        receipt_id: receipt.receipt_id.clone(),
        policy_version: receipt.policy_version.clone(),
        policy_id: receipt.policy_id.clone(),
        matched_rules: receipt.matched_rules.clone(),
        transform_plan: receipt.transform_plan.clone(),
        findings,
        reason: receipt.reason.clone(),
        findings_truncated: !receipt.finding_counts.is_empty(),
        finding_counts: receipt.finding_counts.clone(),
    }
}

/// Every entity the built-in detectors find replaced with `[REDACTED]` (the WIT `redact-text`).
pub fn redact_text(text: &str) -> String {
    let findings = crate::detect::scan_all(text.as_bytes());
    let plan = [TransformStep {
        entity_type: "any".to_owned(),
        mode: Mode::Redact,
    }];
    transform::apply(text, &findings, &plan, &[]).output
}
