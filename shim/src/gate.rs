//! The gate: ask for a decision on an action and its payload, say whether it may proceed, record
//! the event, and apply the plan to the payload.
//!
//! Semantics (`docs/shim.md`, "Gate semantics"; Go's, plus the payload):
//! - enforced: `deny` blocks; `allow_with_redaction` and `transform` proceed with the plan applied
//!   to the payload (file content, content read, command output). For the check *before* a
//!   command runs, `transform` blocks (Go), because a command line cannot be transformed without
//!   changing what runs; `allow_with_redaction` runs and the plan is applied to its output.
//! - observe: everything proceeds with the original data; the real decision is recorded.
//! - policy error: blocks in enforced mode (and in observe mode with
//!   `DATAFOG_SHIM_ENFORCE_POLICY_ERRORS=true`); otherwise proceeds, recorded with `check_error`.

use datafog::Effect;
use datafog::api::{DecideRequest, DecideResponse, ScanFinding};
use datafog::policy::Action;

use crate::backend::Backend;
use crate::config::Mode;
use crate::events::EventSink;

/// Largest piece of text sent in one decide call to a remote host (its body limit is 1 MiB and
/// JSON escaping can grow text several times). Offline mode decides the whole text at once.
const REMOTE_CHUNK: usize = 128 * 1024;

/// What is being checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A command about to run (the payload is its command line): `transform` blocks.
    Command,
    /// Data that the shim can transform before it goes anywhere.
    Data,
}

/// The decision on one piece of the payload.
#[derive(Clone, Debug)]
pub struct Piece {
    /// Byte range of the payload this decision covers.
    pub start: usize,
    pub end: usize,
    pub resp: DecideResponse,
}

/// The outcome of one check.
#[derive(Clone, Debug)]
pub struct Check {
    pub action: Action,
    /// One decision per piece (one piece unless a remote payload was split).
    pub pieces: Vec<Piece>,
    /// Set when the policy could not be asked.
    pub error: Option<String>,
    /// Whether the gate lets the action proceed.
    pub allowed: bool,
    /// The gate's mode when it checked.
    pub mode: Mode,
}

fn rank(e: Effect) -> u8 {
    match e {
        Effect::Allow => 0,
        Effect::AllowWithRedaction => 1,
        Effect::Transform => 2,
        Effect::Deny => 3,
    }
}

impl Check {
    /// The deciding decision: the strongest effect over the pieces (the first such piece).
    pub fn primary(&self) -> Option<&DecideResponse> {
        let mut best: Option<&DecideResponse> = None;
        for p in &self.pieces {
            if best.is_none_or(|b| rank(p.resp.decision) > rank(b.decision)) {
                best = Some(&p.resp);
            }
        }
        best
    }

    pub fn effect(&self) -> Option<Effect> {
        self.primary().map(|r| r.decision)
    }

    /// `receipt=<id> decision=<d>` (Go's stderr line), if there was a decision.
    pub fn receipt_line(&self) -> Option<String> {
        self.primary()
            .map(|r| format!("receipt={} decision={}", r.receipt_id, r.decision.as_str()))
    }

    /// Go's blocked message: `policy denied action decision=<d> rules=[<ids>] reason=<r>`, or
    /// the policy error.
    pub fn blocked_message(&self) -> String {
        match (self.primary(), &self.error) {
            (Some(r), _) => format!(
                "policy denied action decision={} rules=[{}] reason={}",
                r.decision.as_str(),
                r.matched_rules.join(" "),
                r.reason
            ),
            (None, Some(e)) => format!("policy check failed: {e}"),
            (None, None) => "policy check failed".to_owned(),
        }
    }

    /// Whether applying the plan would change anything (an enforced redaction or transform).
    pub fn transforms(&self) -> bool {
        self.mode == Mode::Enforced
            && self.pieces.iter().any(|p| {
                matches!(
                    p.resp.decision,
                    Effect::AllowWithRedaction | Effect::Transform
                ) && !p.resp.transform_plan.is_empty()
            })
    }

    /// Distinct entity types found (names only, never values).
    pub fn entity_types(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for p in &self.pieces {
            for f in &p.resp.findings {
                if !out.contains(&f.entity_type) {
                    out.push(f.entity_type.clone());
                }
            }
        }
        out
    }

    /// True if any finding is a secret type.
    pub fn has_secret(&self) -> bool {
        self.pieces.iter().any(|p| {
            p.resp
                .findings
                .iter()
                .any(|f| datafog::EntityType::parse(&f.entity_type).is_some_and(|t| t.is_secret()))
        })
    }
}

/// The policy gate of one shim process.
#[derive(Debug)]
pub struct Gate {
    backend: Backend,
    pub mode: Mode,
    enforce_errors: bool,
    events: Option<EventSink>,
    /// Copied into every decide request (the Claude Code session, when known).
    pub session_id: String,
    /// Problems that did not change a decision (a failed event write), for stderr.
    pub warnings: Vec<String>,
}

impl Gate {
    pub fn new(
        backend: Backend,
        mode: Mode,
        enforce_errors: bool,
        events: Option<EventSink>,
    ) -> Gate {
        Gate {
            backend,
            mode,
            enforce_errors,
            events,
            session_id: String::new(),
            warnings: Vec::new(),
        }
    }

    /// See [`Backend::set_deadline`].
    pub fn set_deadline(&mut self, deadline: std::time::Instant) {
        self.backend.set_deadline(deadline);
    }

    fn chunk_limit(&self) -> usize {
        match self.backend {
            Backend::Remote(_) => REMOTE_CHUNK,
            Backend::Offline(_) => usize::MAX,
        }
    }

    /// Check `action` with `text` (may be empty). `stage` is recorded in the event (`""` or
    /// `"output"`).
    pub fn check(&mut self, action: &Action, text: &str, kind: Kind, stage: &str) -> Check {
        let mut pieces = Vec::new();
        let mut error = None;
        for (start, end) in split(text, self.chunk_limit()) {
            let req = DecideRequest {
                action: action.clone(),
                text: text.get(start..end).unwrap_or_default().to_owned(),
                session_id: self.session_id.clone(),
                ..DecideRequest::default()
            };
            match self.backend.decide(&req) {
                Ok(resp) => pieces.push(Piece { start, end, resp }),
                Err(e) => {
                    error = Some(crate::redact::text(&e));
                    pieces.clear();
                    break;
                }
            }
        }
        let mut check = Check {
            action: action.clone(),
            pieces,
            error,
            allowed: false,
            mode: self.mode,
        };
        check.allowed = match (check.effect(), &check.error) {
            (_, Some(_)) => !(self.mode == Mode::Enforced || self.enforce_errors),
            (Some(Effect::Deny), _) => self.mode == Mode::Observe,
            (Some(Effect::Transform), _) if kind == Kind::Command => self.mode == Mode::Observe,
            _ => true,
        };
        if let Some(sink) = &self.events
            && let Err(e) = sink.record(self.mode, &check, stage)
        {
            self.warnings.push(e);
        }
        check
    }

    /// The payload as it may go on: the plan applied piece by piece in enforced mode, the
    /// original text otherwise. An error means the payload must not go on (fail closed).
    pub fn apply(&mut self, check: &Check, text: &str) -> Result<String, String> {
        if !check.transforms() {
            return Ok(text.to_owned());
        }
        let mut out = String::with_capacity(text.len());
        let mut cursor = 0;
        for p in &check.pieces {
            let piece = text.get(p.start..p.end).unwrap_or_default();
            out.push_str(text.get(cursor..p.start).unwrap_or_default());
            if matches!(
                p.resp.decision,
                Effect::AllowWithRedaction | Effect::Transform
            ) {
                let findings: Vec<ScanFinding> = p.resp.findings.clone();
                out.push_str(
                    &self
                        .backend
                        .transform(piece, &findings, &p.resp.transform_plan)?,
                );
            } else {
                out.push_str(piece);
            }
            cursor = p.end;
        }
        out.push_str(text.get(cursor..).unwrap_or_default());
        Ok(out)
    }
}

impl Gate {
    /// Apply the check's plan (every piece's steps) to another text, which the host scans afresh:
    /// for payloads checked as one text but changed field by field (a hook's tool input).
    pub fn apply_to(&mut self, check: &Check, text: &str) -> Result<String, String> {
        if !check.transforms() || text.is_empty() {
            return Ok(text.to_owned());
        }
        let mut plan = Vec::new();
        for p in &check.pieces {
            if matches!(
                p.resp.decision,
                Effect::AllowWithRedaction | Effect::Transform
            ) {
                plan.extend(p.resp.transform_plan.iter().cloned());
            }
        }
        self.backend.transform(text, &[], &plan)
    }
}

/// Byte ranges covering `text`, each at most `limit` bytes, cut on character boundaries and,
/// where possible, after a newline (else after a space or tab), so a value on one line is never
/// cut in two. A PEM block (`-----BEGIN ...` to `-----END ...`) spans lines, so a cut never falls
/// inside one either: the piece ends before the block's BEGIN line, or, when the block itself
/// starts the piece and is longer than `limit`, the piece runs to the end of its END line (up to
/// `2 * limit`; a block longer than that is cut, and its first piece is still a private key). An
/// empty text is one empty range (the action is still decided).
pub fn split(text: &str, limit: usize) -> Vec<(usize, usize)> {
    if text.len() <= limit {
        return vec![(0, text.len())];
    }
    let limit = limit.max(1);
    let mut out = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let end = cut(text, start, limit);
        out.push((start, end));
        start = end;
    }
    out
}

/// Where the piece starting at `start` ends (see [`split`]).
fn cut(text: &str, start: usize, limit: usize) -> usize {
    let hard = start.saturating_add(limit);
    if hard >= text.len() {
        return text.len();
    }
    let mut end = hard;
    while end > start && !text.is_char_boundary(end) {
        end -= 1;
    }
    let piece = text.get(start..end).unwrap_or_default();
    if let Some(at) = piece.rfind('\n').or_else(|| piece.rfind([' ', '\t']))
        && at > 0
    {
        end = start + at + 1;
    }
    let piece = text.get(start..end).unwrap_or_default();
    // An open PEM block: its last BEGIN has no END after it in the piece.
    if let Some(begin) = piece.rfind("-----BEGIN")
        && !piece.get(begin..).unwrap_or_default().contains("-----END")
    {
        let line_start = piece
            .get(..begin)
            .and_then(|p| p.rfind('\n'))
            .map_or(0, |n| n + 1);
        if line_start > 0 {
            return start + line_start;
        }
        let block = start + begin;
        let far = start
            .saturating_add(limit.saturating_mul(2))
            .min(text.len());
        if let Some(q) = text.get(block..far).and_then(|b| b.find("-----END")) {
            let after = block + q;
            let line_end = text
                .get(after..far)
                .and_then(|t| t.find('\n'))
                .map_or(far, |n| after + n + 1);
            if text.is_char_boundary(line_end) {
                return line_end;
            }
        }
    }
    if end == start {
        // No character boundary within `limit` (cannot happen for limit >= 4): take one char.
        end = text
            .get(start..)
            .and_then(|t| t.chars().next())
            .map_or(text.len(), |c| start + c.len_utf8());
    }
    end
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn split_covers_text_on_boundaries() {
        let t = "aé\nbbbb\ncc";
        let parts = split(t, 4);
        assert_eq!(parts.first().map(|p| p.0), Some(0));
        assert_eq!(parts.last().map(|p| p.1), Some(t.len()));
        for w in parts.windows(2) {
            assert_eq!(w[0].1, w[1].0);
        }
        for (s, e) in parts {
            assert!(t.is_char_boundary(s) && t.is_char_boundary(e));
        }
        assert_eq!(split("", 4), vec![(0, 0)]);
    }

    fn covers(t: &str, parts: &[(usize, usize)]) {
        assert_eq!(parts.first().map(|p| p.0), Some(0));
        assert_eq!(parts.last().map(|p| p.1), Some(t.len()));
        for w in parts.windows(2) {
            assert_eq!(w[0].1, w[1].0);
        }
    }

    #[test]
    fn a_pem_block_is_never_cut() {
        let key = format!(
            "-----BEGIN PRIVATE KEY-----\n{}-----END PRIVATE KEY-----\n",
            "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n".repeat(20)
        );
        let before = "log line with some words\n".repeat(40);
        let t = format!("{before}{key}tail line\n");
        // The block would straddle the first cut: the piece ends before its BEGIN line.
        let parts = split(&t, before.len() + 100);
        covers(&t, &parts);
        assert_eq!(parts[0], (0, before.len()));
        // A block longer than the limit that starts a piece: that piece runs through END.
        assert!(key.len() > 800 && key.len() < 1600, "{}", key.len());
        let parts = split(&t, 800);
        covers(&t, &parts);
        let whole = parts
            .iter()
            .any(|&(s, e)| t[s..e].contains("-----BEGIN") && t[s..e].contains("-----END"));
        assert!(whole, "{parts:?}");
        for &(s, e) in &parts {
            assert!(e - s <= 1600, "{}", e - s);
        }
    }

    #[test]
    fn a_long_line_is_cut_between_words() {
        let t = "token_abcdef ".repeat(10);
        let parts = split(&t, 20);
        covers(&t, &parts);
        for &(s, e) in &parts {
            assert!(t[s..e].ends_with(' '), "{:?}", &t[s..e]);
        }
    }
}
