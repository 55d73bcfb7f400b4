//! Streaming: detect (and transform) a text that arrives in chunks — an HTTP chunked body,
//! server-sent events, a child process's stdout — in bounded memory, so that an entity split
//! across two chunks is still caught and no byte of an entity is emitted before it is decided.
//!
//! A [`Redactor`] (or a detect-only [`Scanner`]) keeps one buffer: a **look-behind** of bytes
//! already emitted (context only: `password=`, `My name is`, a JSON key, a CSV header) followed
//! by the **pending** bytes not yet emitted. When `look_ahead + step` bytes are pending it scans
//! the whole buffer with [`crate::detect::scan`] and emits up to a **cut** `look_ahead` bytes
//! before the end of the buffer, moved back so that it never falls inside a finding (nor inside a
//! UTF-8 character). Bytes up to the cut are transformed by the plan as
//! [`crate::transform::apply`] would and returned, with the findings that start before the cut;
//! the buffer then drops everything but `look_behind` bytes before the cut. Line breaks play no
//! part: a megabyte line without one streams the same way.
//!
//! **Contract.** For any split of a text into chunks, the concatenated [`Output::bytes`] equal
//! `transform::apply(text, &scan(text, opts), plan, key).output` and the concatenated
//! [`Output::findings`] equal `scan(text, opts)`, provided every finding of the text is shorter
//! than `look_ahead` and decided by at most `look_behind` bytes before it and
//! `look_ahead - len` bytes after it (its detection context). Beyond that:
//! - an entity that grows past the window is cut: [`Output::overlong`] counts it, its head is
//!   transformed as a piece of its own, the rest as far as the detectors still see it;
//! - a finding missed while pending (context after it came too late) and found later in bytes
//!   already emitted is counted in [`Output::late`]: its head (or all of it) went out as it was;
//! - a finding whose deciding context lies farther back than the look-behind (a CSV header
//!   thousands of lines up) is not found at all, silently, as a one-shot scan of that part alone
//!   would not find it.
//!
//! A gate that must not leak fails closed on `overlong` or `late`. See `docs/scan.md`
//! ("Streaming") for the sizes, why, and the measurements.
//!
//! **Bounds.** The buffer never holds more than [`Window::capacity`]
//! (`look_behind + look_ahead + step + 3`) bytes between two pushes, plus the chunk being pushed.
//! Each scan emits `step` bytes or more (less only by the length of a finding that straddles the
//! cut), so each byte is scanned about `(look_behind + look_ahead + step) / step` times (1.6
//! with the defaults) when chunks are smaller than `step`, and about once when they are larger.

use crate::detect::{ScanOptions, scan};
use crate::entity::Finding;
use crate::transform::{self, TransformStep};

/// How much a stream holds back. Offsets are bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// Bytes already emitted that are kept as detection context before the pending bytes.
    pub look_behind: usize,
    /// Bytes held back after each cut: the longest entity (plus the context after it) that
    /// streams exactly.
    pub look_ahead: usize,
    /// Bytes a scan emits at least: a stream scans once `look_ahead + step` bytes are pending.
    /// Larger steps scan each byte fewer times (`(look_behind + look_ahead + step) / step`) and
    /// hold more, and a consumer waits longer for the first bytes.
    pub step: usize,
}

impl Window {
    /// 4 KiB of look-behind covers the farthest look-back of the detectors that is bounded by a
    /// constant (the CSV/TSV line walk, 4 KiB; an SQL `INSERT` column list, 2.5 KiB; field labels
    /// 48 B; NER cues 96 B); 16 KiB of look-ahead covers an RSA-8192 PEM block (6.4 KB) and any
    /// provider token or keyed value (at most 512 B of value); a 32 KiB step scans each byte
    /// 1.6 times (52 KiB scanned per 32 KiB emitted).
    pub const DEFAULT: Window = Window {
        look_behind: 4 * 1024,
        look_ahead: 16 * 1024,
        step: 32 * 1024,
    };

    /// Pending bytes that trigger a scan (`look_ahead + step`, at least 1).
    const fn trigger(self) -> usize {
        let t = self.look_ahead.saturating_add(self.step);
        if t == 0 { 1 } else { t }
    }

    /// The most bytes a stream holds between two pushes (the chunk being pushed comes on top).
    pub const fn capacity(self) -> usize {
        self.look_behind
            .saturating_add(self.trigger())
            .saturating_add(3)
    }
}

impl Default for Window {
    fn default() -> Self {
        Window::DEFAULT
    }
}

/// What one [`Redactor::push`] / [`Scanner::push`] (or `finish`) decided.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Output {
    /// Bytes safe to emit now, in stream order: transformed by the plan (a [`Redactor`]) or as
    /// they came (a [`Scanner`]; check `findings` before emitting them).
    pub bytes: Vec<u8>,
    /// Findings whose range is final, with byte offsets absolute in the whole stream, sorted by
    /// start. Every finding lies inside the bytes emitted so far.
    pub findings: Vec<Finding>,
    /// Replacements made in `bytes` (one per merged span, as `transform::Stats` counts them).
    pub entities_transformed: usize,
    /// Cuts made inside an entity because it grew past the window (one per cut, so a very long
    /// entity may count more than once): the piece up to the cut is reported (and transformed)
    /// now, the rest follows as pieces starting at the cut as far as the detectors still see the
    /// entity. Outside the equivalence contract.
    pub overlong: usize,
    /// Findings missed while their bytes were pending, because context after them arrived
    /// later than `look_ahead` (a name is a name once the `<email>` after it is seen), and found
    /// by a later scan in bytes already emitted: either reaching into the pending bytes (reported
    /// from the last cut on, the rest transformed) or wholly in the look-behind (reported with
    /// their span; those bytes are gone). Their head went out untransformed. Bytes already inside
    /// reported findings, the continuation of an overlong entity, and the first
    /// `min(256, look_behind / 4)` bytes of a buffer that does not start the stream (where the
    /// detectors see a start of text that is not one) do not count. Outside the equivalence
    /// contract.
    pub late: usize,
    /// Bytes the detectors read for this output (the work bound: over a whole stream, about
    /// `(look_behind + look_ahead + step) / step` times its length).
    pub scanned: usize,
}

impl Output {
    fn absorb(&mut self, other: Output) {
        self.bytes.extend_from_slice(&other.bytes);
        self.findings.extend(other.findings);
        self.entities_transformed += other.entities_transformed;
        self.overlong += other.overlong;
        self.late += other.late;
        self.scanned += other.scanned;
    }
}

/// The buffer and cursors shared by [`Redactor`] and [`Scanner`].
#[derive(Debug)]
struct Core<'a> {
    opts: ScanOptions<'a>,
    /// `(plan, key)`; `None` for detect-only.
    plan: Option<(Vec<TransformStep>, Vec<u8>)>,
    window: Window,
    /// Bytes `[base, base + buf.len())` of the stream.
    buf: Vec<u8>,
    base: usize,
    /// Everything before this absolute offset has been emitted and its findings reported.
    emitted: usize,
    /// The cut of the last step when it fell inside a finding (an overlong entity continues).
    forced_at: Option<usize>,
    /// Spans reported so far that still reach into the buffer (sorted by start): a finding a
    /// later scan sees wholly inside the look-behind was decided unless these miss a byte of it.
    recent: Vec<(usize, usize)>,
    peak: usize,
}

impl<'a> Core<'a> {
    fn new(
        opts: &ScanOptions<'a>,
        plan: Option<(Vec<TransformStep>, Vec<u8>)>,
        window: Window,
    ) -> Self {
        Core {
            opts: opts.clone(),
            plan,
            window,
            buf: Vec::new(),
            base: 0,
            emitted: 0,
            forced_at: None,
            recent: Vec::new(),
            peak: 0,
        }
    }

    fn end(&self) -> usize {
        self.base + self.buf.len()
    }

    fn push(&mut self, chunk: &[u8]) -> Output {
        self.buf.extend_from_slice(chunk);
        self.peak = self.peak.max(self.buf.len());
        let mut out = Output::default();
        // Scan only once `look_ahead + step` bytes are pending, so each scan emits at least
        // `step` bytes and the work stays linear for small chunks.
        if self.end() - self.emitted >= self.window.trigger() {
            out.absorb(self.step(false));
        }
        out
    }

    fn finish(mut self) -> Output {
        self.step(true)
    }

    /// Scan the buffer, emit up to the cut, drop what the look-behind no longer needs.
    fn step(&mut self, last: bool) -> Output {
        let end = self.end();
        let (base, e0) = (self.base, self.emitted);
        let found = scan(&self.buf, &self.opts);
        let target = if last {
            end
        } else {
            char_floor(
                &self.buf,
                base,
                e0,
                end.saturating_sub(self.window.look_ahead),
            )
        };
        let mut cut = target;
        if !last {
            // Never cut inside a finding: in descending start order one pass settles it (a
            // finding that starts at or after the cut cannot contain it, and the cut only moves
            // back).
            for f in found.iter().rev() {
                let (s, e) = (base + f.start, base + f.end);
                if s < cut && cut < e {
                    cut = s;
                }
            }
            // A finding that starts in bytes already emitted, or one so long that holding it
            // back would exceed the memory bound: cut at the target, inside it.
            let floor = e0.max(end.saturating_sub(self.window.trigger()));
            if cut < floor {
                cut = target;
            }
            if cut <= e0 {
                return Output {
                    scanned: self.buf.len(),
                    ..Output::default()
                };
            }
        }

        let mut out = Output {
            scanned: self.buf.len(),
            ..Output::default()
        };
        let mut local: Vec<Finding> = Vec::new();
        let mut forced = None;
        // Near the start of a buffer that does not start the stream, the detectors see a text
        // start that is not one (a word cut in two, a label cut off): what they find there is
        // not evidence of a miss.
        let margin = if base == 0 {
            0
        } else {
            LATE_MARGIN.min(self.window.look_behind / 4)
        };
        for f in &found {
            let (s, e) = (base + f.start, base + f.end);
            if e <= e0 {
                // Wholly in bytes already emitted. Unless its bytes were all inside reported
                // findings, it was missed when they were pending (the context after it came
                // later than `look_ahead`) and went out as it was: say so, with its span.
                if s >= base + margin && !covered(&self.recent, s, e) {
                    out.late += 1;
                    out.findings.push(Finding {
                        entity_type: f.entity_type.clone(),
                        start: s,
                        end: e,
                        confidence: f.confidence,
                    });
                }
                continue;
            }
            if s >= cut {
                continue;
            }
            if s < e0 && self.forced_at != Some(e0) {
                out.late += 1;
            }
            if e > cut {
                out.overlong += 1;
                forced = Some(cut);
            }
            let (s, e) = (s.max(e0), e.min(cut));
            out.findings.push(Finding {
                entity_type: f.entity_type.clone(),
                start: s,
                end: e,
                confidence: f.confidence,
            });
            local.push(Finding {
                entity_type: f.entity_type.clone(),
                start: s - e0,
                end: e - e0,
                confidence: f.confidence,
            });
        }
        self.forced_at = forced;
        // A late finding comes before the findings of this step's region; keep the promised order.
        out.findings
            .sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
        self.recent
            .extend(out.findings.iter().map(|f| (f.start, f.end)));
        self.recent.sort_unstable();

        let region = self.buf.get(e0 - base..cut - base).unwrap_or_default();
        match &self.plan {
            Some((plan, key)) => {
                out.entities_transformed =
                    transform_into(region, &local, plan, key, &mut out.bytes);
            }
            None => out.bytes.extend_from_slice(region),
        }

        self.emitted = cut;
        if !last {
            let keep_from = char_floor(
                &self.buf,
                base,
                base,
                cut.saturating_sub(self.window.look_behind),
            )
            .max(base);
            self.buf.drain(..keep_from - base);
            self.base = keep_from;
            self.recent.retain(|&(_, e)| e > keep_from);
        }
        out
    }
}

/// How far into a buffer that does not start the stream a finding wholly in the look-behind
/// must start to count as `late` (at most a quarter of the look-behind): beyond the longest
/// left cue of the detectors (NER 96 B, field labels 48 B) and a cut word.
const LATE_MARGIN: usize = 256;

/// Do the spans (sorted by start) cover every byte of `[s, e)`?
fn covered(spans: &[(usize, usize)], s: usize, e: usize) -> bool {
    let mut at = s;
    for &(a, b) in spans {
        if a > at {
            break;
        }
        at = at.max(b);
        if at >= e {
            return true;
        }
    }
    at >= e
}

/// The largest character boundary `<= p` and `>= floor` (absolute offsets into `buf`, which
/// starts at `base`): `p` itself unless a UTF-8 sequence that starts in the 3 bytes before it
/// runs past it. Invalid bytes are single units, as `scan` treats them.
fn char_floor(buf: &[u8], base: usize, floor: usize, p: usize) -> usize {
    let at = |i: usize| buf.get(i.wrapping_sub(base)).copied();
    if at(p).is_none_or(|b| b & 0xC0 != 0x80) {
        return p;
    }
    for k in 1..=3usize {
        let Some(i) = p.checked_sub(k) else {
            return p;
        };
        if i < floor.max(base) {
            return p;
        }
        let Some(b) = at(i) else {
            return p;
        };
        if b & 0xC0 == 0x80 {
            continue;
        }
        let need = match b {
            0xF0..=0xF7 => 4,
            0xE0..=0xEF => 3,
            0xC2..=0xDF => 2,
            _ => 1,
        };
        return if k < need { i } else { p };
    }
    p
}

/// Transform `region` (a piece of the stream between two cuts) by `findings` (offsets relative
/// to it), appending to `out`; returns the number of replacements.
///
/// Valid UTF-8 (the common case) goes through [`transform::apply`] whole. Otherwise the
/// overlapping findings are grouped (a cut never splits a group, so this is what `apply` would
/// merge), the bytes between groups are copied as they are (a proxy must not rewrite bytes it
/// did not match), and each group goes through `apply`; a group that is not valid UTF-8 itself
/// has each invalid byte read as `?` (tokens and hashes of such a value are computed from that
/// reading).
fn transform_into(
    region: &[u8],
    findings: &[Finding],
    plan: &[TransformStep],
    key: &[u8],
    out: &mut Vec<u8>,
) -> usize {
    if let Ok(text) = std::str::from_utf8(region) {
        let done = transform::apply(text, findings, plan, key);
        out.extend_from_slice(done.output.as_bytes());
        return done.stats.entities_transformed;
    }
    let mut sorted: Vec<&Finding> = findings.iter().filter(|f| f.end <= region.len()).collect();
    sorted.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut count = 0;
    let mut cursor = 0;
    let mut i = 0;
    while let Some(first) = sorted.get(i) {
        let (gs, mut ge) = (first.start.max(cursor), first.end);
        let mut j = i + 1;
        while let Some(next) = sorted.get(j).filter(|n| n.start < ge) {
            ge = ge.max(next.end);
            j += 1;
        }
        out.extend_from_slice(region.get(cursor..gs).unwrap_or_default());
        let group = region.get(gs..ge).unwrap_or_default();
        let text = lossy_same_length(group);
        let rebased: Vec<Finding> = sorted
            .get(i..j)
            .unwrap_or_default()
            .iter()
            .map(|f| Finding {
                entity_type: f.entity_type.clone(),
                start: f.start.saturating_sub(gs),
                end: f.end - gs,
                confidence: f.confidence,
            })
            .collect();
        let done = transform::apply(&text, &rebased, plan, key);
        if done.stats.entities_transformed == 0 {
            // Nothing covered by the plan: the bytes go out as they came.
            out.extend_from_slice(group);
        } else {
            out.extend_from_slice(done.output.as_bytes());
        }
        count += done.stats.entities_transformed;
        cursor = ge;
        i = j;
    }
    out.extend_from_slice(region.get(cursor..).unwrap_or_default());
    count
}

/// `bytes` as a string of the same length: each byte of an invalid sequence becomes `?`, so
/// offsets (and character boundaries) are unchanged.
fn lossy_same_length(mut bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len());
    loop {
        match std::str::from_utf8(bytes) {
            Ok(v) => {
                s.push_str(v);
                return s;
            }
            Err(e) => {
                let (valid, rest) = bytes.split_at(e.valid_up_to());
                s.push_str(std::str::from_utf8(valid).unwrap_or_default());
                let bad = e.error_len().unwrap_or(rest.len());
                s.extend(std::iter::repeat_n('?', bad));
                bytes = rest.get(bad..).unwrap_or_default();
            }
        }
    }
}

/// Streaming redaction: detect and transform by a plan, chunk by chunk. See the module docs for
/// the contract and the bounds.
#[derive(Debug)]
pub struct Redactor<'a> {
    core: Core<'a>,
}

impl<'a> Redactor<'a> {
    /// `plan` and `key` as for [`transform::apply`]; `opts` as for [`scan`].
    pub fn new(
        opts: &ScanOptions<'a>,
        plan: &[TransformStep],
        key: &[u8],
        window: Window,
    ) -> Redactor<'a> {
        Redactor {
            core: Core::new(opts, Some((plan.to_vec(), key.to_vec())), window),
        }
    }

    /// Add the next chunk (any bytes; a chunk may end inside a UTF-8 character). Returns what
    /// became final; nothing until `look_ahead + step` bytes are pending.
    pub fn push(&mut self, chunk: &[u8]) -> Output {
        self.core.push(chunk)
    }

    /// End of stream: everything still held is decided and returned.
    pub fn finish(self) -> Output {
        self.core.finish()
    }

    /// Bytes of the stream decided (and returned) so far.
    pub fn position(&self) -> usize {
        self.core.emitted
    }

    /// Bytes held now (look-behind and pending).
    pub fn buffered(&self) -> usize {
        self.core.buf.len()
    }

    /// The most bytes ever held, including a chunk being pushed: at most
    /// `window.capacity() + the largest chunk`.
    pub fn peak_buffered(&self) -> usize {
        self.core.peak
    }
}

/// Streaming detection without a plan, for a gate that decides: [`Output::bytes`] are the bytes
/// as they came, returned once the findings about them are final. A gate that denies stops
/// emitting at the first finding of a denied type (every finding is reported no later than the
/// bytes it covers).
#[derive(Debug)]
pub struct Scanner<'a> {
    core: Core<'a>,
}

impl<'a> Scanner<'a> {
    pub fn new(opts: &ScanOptions<'a>, window: Window) -> Scanner<'a> {
        Scanner {
            core: Core::new(opts, None, window),
        }
    }

    /// See [`Redactor::push`].
    pub fn push(&mut self, chunk: &[u8]) -> Output {
        self.core.push(chunk)
    }

    /// See [`Redactor::finish`].
    pub fn finish(self) -> Output {
        self.core.finish()
    }

    /// See [`Redactor::position`].
    pub fn position(&self) -> usize {
        self.core.emitted
    }

    /// See [`Redactor::buffered`].
    pub fn buffered(&self) -> usize {
        self.core.buf.len()
    }

    /// See [`Redactor::peak_buffered`].
    pub fn peak_buffered(&self) -> usize {
        self.core.peak
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn char_floor_never_splits_a_character() {
        let s = "aé字😀b".as_bytes();
        for p in 0..=s.len() {
            let q = char_floor(s, 0, 0, p);
            assert!(q <= p && p - q <= 3);
            assert!(
                std::str::from_utf8(s).unwrap().is_char_boundary(q),
                "{p} -> {q}"
            );
        }
        // Invalid bytes are units of their own.
        let bad = b"a\x80\x80\x80\x80b";
        for p in 0..=bad.len() {
            assert_eq!(char_floor(bad, 0, 0, p), p);
        }
        // A truncated sequence at the end of the buffer.
        assert_eq!(char_floor(b"ab\xe5\xad", 0, 0, 3), 2);
    }

    #[test]
    fn lossy_keeps_length() {
        let b = b"ok\xff\xe5\xadz\xf0";
        let s = lossy_same_length(b);
        assert_eq!(s.len(), b.len());
        assert_eq!(s, "ok???z?");
    }
}
