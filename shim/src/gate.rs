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
pub const REMOTE_CHUNK: usize = 128 * 1024;

/// Bytes two neighbouring remote pieces share: the core stream window's look-behind plus
/// look-ahead (`datafog::stream::Window::DEFAULT`, 4 + 16 KiB), so every entity the core streams
/// exactly (at most `look_ahead` long, decided by at most `look_behind` bytes before it) lies whole,
/// with its context, inside at least one piece (issue 15, finding 1).
pub const OVERLAP: usize =
    datafog::stream::Window::DEFAULT.look_behind + datafog::stream::Window::DEFAULT.look_ahead;

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

    /// The findings of every piece with offsets in the whole payload, deduplicated. A finding
    /// touching a cut between two pieces may be a truncated entity (`sk_live_4eC3` at a piece's
    /// end): it is dropped, since the neighbouring piece holds the whole entity (pieces share
    /// [`OVERLAP`] bytes).
    pub fn findings(&self) -> Vec<ScanFinding> {
        let total = self.pieces.last().map_or(0, |p| p.end);
        let mut out: Vec<ScanFinding> = Vec::new();
        for p in &self.pieces {
            for f in &p.resp.findings {
                let (start, end) = (p.start + f.start, p.start + f.end);
                let at_cut = (p.start > 0 && start <= p.start) || (p.end < total && end >= p.end);
                if at_cut && self.pieces.len() > 1 {
                    continue;
                }
                let g = ScanFinding {
                    start,
                    end,
                    ..f.clone()
                };
                if !out
                    .iter()
                    .any(|o| o.start == g.start && o.end == g.end && o.entity_type == g.entity_type)
                {
                    out.push(g);
                }
            }
        }
        out.sort_by_key(|f| (f.start, f.end));
        out
    }

    /// The plan steps of every piece decided `allow_with_redaction` or `transform`, in piece
    /// order, without repeats.
    pub fn plan(&self) -> Vec<datafog::TransformStep> {
        let mut plan: Vec<datafog::TransformStep> = Vec::new();
        for p in &self.pieces {
            if matches!(
                p.resp.decision,
                Effect::AllowWithRedaction | Effect::Transform
            ) {
                for step in &p.resp.transform_plan {
                    if !plan.contains(step) {
                        plan.push(step.clone());
                    }
                }
            }
        }
        plan
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

    /// The payload as it may go on: the plan applied in enforced mode, the original text
    /// otherwise. An error means the payload must not go on (fail closed).
    ///
    /// The plan is the steps of every piece decided `allow_with_redaction` or `transform` (a
    /// whole-text decision would contribute all of them); it is applied to the whole payload with
    /// the check's findings ([`Check::findings`], absolute, deduplicated), in segments of at most
    /// one piece's size cut outside every finding (one segment offline).
    pub fn apply(&mut self, check: &Check, text: &str) -> Result<String, String> {
        if !check.transforms() {
            return Ok(text.to_owned());
        }
        self.apply_range(check, text, 0, text.len())
    }

    /// The plan of `check` (decided on `text`) applied to `text[start..end]` only, with the
    /// findings wholly inside that range (the caller cuts outside findings): for a stream that
    /// emits a decided text piece by piece.
    pub fn apply_range(
        &mut self,
        check: &Check,
        text: &str,
        start: usize,
        end: usize,
    ) -> Result<String, String> {
        let region = text
            .get(start..end)
            .ok_or("the range is not on character boundaries")?;
        if !check.transforms() {
            return Ok(region.to_owned());
        }
        let plan = check.plan();
        let findings: Vec<ScanFinding> = check
            .findings()
            .into_iter()
            .filter(|f| f.start >= start && f.end <= end)
            .map(|f| ScanFinding {
                start: f.start - start,
                end: f.end - start,
                ..f
            })
            .collect();
        let mut out = String::with_capacity(region.len());
        for (s0, e0) in segments(region, self.chunk_limit(), &findings) {
            let seg = region.get(s0..e0).unwrap_or_default();
            let inside: Vec<ScanFinding> = findings
                .iter()
                .filter(|f| f.start >= s0 && f.end <= e0)
                .map(|f| ScanFinding {
                    start: f.start - s0,
                    end: f.end - s0,
                    ..f.clone()
                })
                .collect();
            if inside.is_empty() {
                out.push_str(seg);
            } else {
                out.push_str(&self.backend.transform(seg, &inside, &plan)?);
            }
        }
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

/// Byte ranges covering `text`, each at most `limit` bytes, on character boundaries; each piece
/// after the first starts [`OVERLAP`] bytes (at most: moved forward to a character boundary)
/// before the previous one ends, so any stretch of at most `OVERLAP - 3` bytes lies whole inside
/// one piece, wherever it falls. An empty text is one empty range (the action is still decided).
/// `limit` must exceed `2 * OVERLAP` (it is raised to that).
pub fn split(text: &str, limit: usize) -> Vec<(usize, usize)> {
    if text.len() <= limit {
        return vec![(0, text.len())];
    }
    let limit = limit.max(2 * OVERLAP + 8);
    let mut out = Vec::new();
    let mut start = 0usize;
    loop {
        let end = floor_char(text, start.saturating_add(limit).min(text.len()));
        out.push((start, end));
        if end >= text.len() {
            return out;
        }
        start = ceil_char(text, end - OVERLAP);
    }
}

fn floor_char(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char(text: &str, mut i: usize) -> usize {
    while i < text.len() && !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// Non-overlapping ranges covering `text`, each at most `limit` bytes unless a finding longer
/// than that forces more, never cutting inside a finding nor a character (for applying a plan
/// piecewise: a transform call per segment stays under the host's body limit).
fn segments(text: &str, limit: usize, findings: &[ScanFinding]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let mut end = floor_char(text, start.saturating_add(limit).min(text.len()));
        // Move the cut back before any finding it falls inside (findings may overlap, so repeat).
        while let Some(f) = findings
            .iter()
            .find(|f| f.start < end && f.end > end && f.start > start)
        {
            end = f.start;
        }
        // A finding that starts the segment and runs past the cut: the segment takes all of it.
        if let Some(f) = findings
            .iter()
            .filter(|f| f.start <= start && f.end > end)
            .max_by_key(|f| f.end)
        {
            end = ceil_char(text, f.end.min(text.len()));
        }
        if end <= start {
            end = ceil_char(text, start + 1);
        }
        out.push((start, end));
        start = end;
    }
    if out.is_empty() {
        out.push((0, 0));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{OVERLAP, ScanFinding, segments, split};

    #[test]
    fn pieces_overlap_so_any_short_stretch_is_whole_in_one() {
        let t = "aé,".repeat(200_000);
        let limit = 128 * 1024;
        let parts = split(&t, limit);
        assert_eq!(parts.first().map(|p| p.0), Some(0));
        assert_eq!(parts.last().map(|p| p.1), Some(t.len()));
        for w in parts.windows(2) {
            assert!(w[1].0 < w[0].1 && w[0].1 - w[1].0 >= OVERLAP - 3, "{w:?}");
        }
        for &(s, e) in &parts {
            assert!(t.is_char_boundary(s) && t.is_char_boundary(e) && e - s <= limit);
        }
        // Every window of OVERLAP - 3 bytes is inside some piece.
        for at in (0..t.len() - OVERLAP).step_by(997) {
            let (a, b) = (at, at + OVERLAP - 3);
            assert!(parts.iter().any(|&(s, e)| s <= a && b <= e), "{a}..{b}");
        }
        assert_eq!(split("", 4), vec![(0, 0)]);
        assert_eq!(split("abc", 4), vec![(0, 3)]);
    }

    #[test]
    fn segments_never_cut_a_finding() {
        let t = "x".repeat(1000);
        let f = |start, end| ScanFinding {
            entity_type: "email".into(),
            start,
            end,
            ..ScanFinding::default()
        };
        let fs = [f(95, 110), f(100, 120), f(290, 320)];
        let segs = segments(&t, 100, &fs);
        assert_eq!(segs.first().map(|s| s.0), Some(0));
        assert_eq!(segs.last().map(|s| s.1), Some(1000));
        for w in segs.windows(2) {
            assert_eq!(w[0].1, w[1].0);
        }
        for x in &fs {
            assert!(
                segs.iter().any(|&(s, e)| s <= x.start && x.end <= e),
                "{segs:?}"
            );
        }
    }
}
