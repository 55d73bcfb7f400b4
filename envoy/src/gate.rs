//! The filter's decisions, free of proxy-wasm so they run (and are tested) natively: a whole
//! buffered body, or a body streamed chunk by chunk through [`datafog::stream::Scanner`].

use datafog::entity::Finding;
use datafog::policy::{Action, Decision, Effect};
use datafog::stream::Scanner;
use datafog::{scan, transform};

use crate::config::Config;

/// What the filter does with a body (or a header set) after deciding.
#[derive(Debug)]
pub struct Verdict {
    pub decision: Decision,
    /// `type:count` pairs, sorted: what the log line and the counters carry (never a value).
    pub summary: String,
    /// The body rewritten by the plan (`None`: forward it unchanged).
    pub body: Option<Vec<u8>>,
    /// Headers rewritten by the plan (name, new value).
    pub headers: Vec<(String, String)>,
}

/// The `http.request` action of a request.
pub fn request_action(method: &str, scheme: &str, authority: &str, path: &str) -> Action {
    Action {
        action_type: "http.request".to_owned(),
        tool: "envoy".to_owned(),
        resource: format!("{scheme}://{authority}{path}"),
        command: method.to_owned(),
        ..Action::default()
    }
}

/// Findings of the selected headers, one list per header (byte offsets in its value).
pub fn scan_headers(cfg: &Config, headers: &[(String, String)]) -> Vec<(String, Vec<Finding>)> {
    let opts = cfg.policy.scan_options();
    headers
        .iter()
        .map(|(name, value)| (name.clone(), scan(value.as_bytes(), &opts)))
        .collect()
}

/// Decide a whole body (and the selected headers' findings) at once.
pub fn decide_whole(
    cfg: &Config,
    action: &Action,
    headers: &[(String, String)],
    body: &[u8],
) -> Verdict {
    let opts = cfg.policy.scan_options();
    let body_findings = scan(body, &opts);
    let header_findings = scan_headers(cfg, headers);
    let mut all: Vec<Finding> = body_findings.clone();
    all.extend(header_findings.iter().flat_map(|(_, f)| f.iter().cloned()));
    let decision = cfg.policy.decide(action, &all);
    let summary = summarize(&all);
    let mut verdict = Verdict {
        decision,
        summary,
        body: None,
        headers: Vec::new(),
    };
    if redacts(&verdict.decision) {
        let key = &cfg.transform_key;
        if !body_findings.is_empty() {
            // A body that is not UTF-8 cannot be rewritten span by span; it is refused (below).
            verdict.body = match std::str::from_utf8(body) {
                Ok(text) => Some(
                    transform::apply(text, &body_findings, &verdict.decision.plan, key)
                        .output
                        .into_bytes(),
                ),
                Err(_) => None,
            };
            if verdict.body.is_none() {
                verdict.decision =
                    refuse(verdict.decision, "body is not UTF-8 and cannot be redacted");
            }
        }
        for ((name, value), (_, found)) in headers.iter().zip(&header_findings) {
            if !found.is_empty() {
                let out = transform::apply(value, found, &verdict.decision.plan, key).output;
                verdict.headers.push((name.clone(), out));
            }
        }
    }
    verdict
}

/// Whether the decision rewrites what it covers.
pub fn redacts(d: &Decision) -> bool {
    matches!(d.effect, Effect::Transform | Effect::AllowWithRedaction)
}

fn refuse(mut d: Decision, reason: &str) -> Decision {
    d.effect = Effect::Deny;
    d.plan.clear();
    reason.clone_into(&mut d.reason);
    d
}

/// `type:count` pairs, sorted by type.
pub fn summarize(findings: &[Finding]) -> String {
    let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for f in findings {
        *counts.entry(f.entity_type.as_ref()).or_default() += 1;
    }
    let parts: Vec<String> = counts.iter().map(|(t, n)| format!("{t}:{n}")).collect();
    if parts.is_empty() {
        "none".to_owned()
    } else {
        parts.join(",")
    }
}

/// The 403 (or 413) body: the API's error envelope (`docs/openapi.json`, `ErrorBody`) with the
/// decision next to it.
pub fn envelope(
    code: &str,
    message: &str,
    request_id: &str,
    decision: Option<&Decision>,
) -> Vec<u8> {
    let mut error = serde_json::json!({
        "code": code,
        "message": message,
        "request_id": if request_id.is_empty() { "unknown" } else { request_id },
    });
    if let (Some(d), Some(obj)) = (decision, error.as_object_mut())
        && !d.reason.is_empty()
    {
        obj.insert("details".into(), d.reason.clone().into());
    }
    let mut body = serde_json::json!({ "error": error });
    if let (Some(d), Some(obj)) = (decision, body.as_object_mut()) {
        obj.insert(
            "decision".into(),
            serde_json::json!({
                "effect": d.effect.as_str(),
                "matched_rules": d.matched_rules,
                "reason": d.reason,
            }),
        );
    }
    body.to_string().into_bytes()
}

/// One step of a streamed body.
#[derive(Debug)]
pub enum Step {
    /// Bytes to forward now (rewritten by the plan of the decision so far).
    Emit(Vec<u8>),
    /// Stop the stream: a finding made the decision a deny (nothing of it was forwarded).
    Deny(Decision),
}

/// A body decided chunk by chunk. The scanner holds back `window.look_ahead` bytes after each
/// cut, so no byte of an entity leaves before the findings covering it are final; each emitted
/// segment is decided with every finding so far and rewritten by that decision's plan.
#[derive(Debug)]
pub struct Stream<'a> {
    cfg: &'a Config,
    action: Action,
    scanner: Scanner<'a>,
    /// Types seen so far (deduplicated by type: the decision depends on the types only).
    seen: Vec<Finding>,
    all: Vec<Finding>,
    /// Bytes already taken by the scanner (its output offsets are absolute).
    emitted: usize,
    pub last: Option<Decision>,
    pub bytes_in: u64,
}

impl<'a> Stream<'a> {
    pub fn new(cfg: &'a Config, action: Action, header_findings: &[Finding]) -> Stream<'a> {
        let opts = cfg.policy.scan_options();
        Stream {
            cfg,
            action,
            scanner: Scanner::new(&opts, cfg.window),
            seen: header_findings.to_vec(),
            all: header_findings.to_vec(),
            emitted: 0,
            last: None,
            bytes_in: 0,
        }
    }

    pub fn push(&mut self, chunk: &[u8]) -> Step {
        self.bytes_in += chunk.len() as u64;
        let out = self.scanner.push(chunk);
        self.settle(out)
    }

    pub fn finish(mut self) -> (Step, Option<Decision>, String) {
        let out = std::mem::replace(
            &mut self.scanner,
            Scanner::new(&self.cfg.policy.scan_options(), self.cfg.window),
        )
        .finish();
        let step = self.settle(out);
        // A body with no findings at all still gets its decision (allow, or a fail-closed deny).
        let decision = match &self.last {
            Some(d) => d.clone(),
            None => self.cfg.policy.decide(&self.action, &self.seen),
        };
        let step = match step {
            Step::Emit(_) if decision.effect == Effect::Deny => Step::Deny(decision.clone()),
            other => other,
        };
        (step, Some(decision), summarize(&self.all))
    }

    fn settle(&mut self, out: datafog::stream::Output) -> Step {
        let base = self.emitted;
        self.emitted += out.bytes.len();
        if out.overlong > 0 || out.late > 0 {
            // Outside the streaming contract: part of an entity may be cut; fail closed.
            let d = refuse(
                self.cfg.policy.decide(&self.action, &self.seen),
                "an entity crossed the streaming window",
            );
            self.last = Some(d.clone());
            return Step::Deny(d);
        }
        for f in &out.findings {
            self.all.push(f.clone());
            if !self.seen.iter().any(|s| s.entity_type == f.entity_type) {
                self.seen.push(f.clone());
            }
        }
        if out.bytes.is_empty() {
            return Step::Emit(Vec::new());
        }
        let decision = self.cfg.policy.decide(&self.action, &self.seen);
        self.last = Some(decision.clone());
        if decision.effect == Effect::Deny {
            return Step::Deny(decision);
        }
        if out.findings.is_empty() || !redacts(&decision) {
            return Step::Emit(out.bytes);
        }
        let local: Vec<Finding> = out
            .findings
            .iter()
            .map(|f| Finding {
                start: f.start.saturating_sub(base),
                end: f.end.saturating_sub(base),
                ..f.clone()
            })
            .collect();
        match std::str::from_utf8(&out.bytes) {
            Ok(text) => Step::Emit(
                transform::apply(text, &local, &decision.plan, &self.cfg.transform_key)
                    .output
                    .into_bytes(),
            ),
            Err(_) => {
                let d = refuse(decision, "body is not UTF-8 and cannot be redacted");
                self.last = Some(d.clone());
                Step::Deny(d)
            }
        }
    }
}

#[cfg(test)]
mod tests;
