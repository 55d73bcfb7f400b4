//! The shim's stdin, checked before it reaches the child (issue 15): `… | datafog-shim shell cmd`
//! must not hand `cmd` a secret the policy keeps in.
//!
//! Streamed in bounded memory with the core stream window's sizes
//! (`datafog::stream::Window::DEFAULT`): input is read until [`STEP`] bytes are pending (or it
//! ends), the pending bytes plus up to `look_behind` bytes already forwarded (context) are decided
//! as the command's action (stage `stdin`), and the bytes up to `look_ahead` before the end (all of
//! them at the end of input) are forwarded, the cut moved back so it never falls inside a finding
//! nor a UTF-8 character; the held-back bytes are decided again with what follows, so an entity
//! split across reads is decided whole. A block (`deny`, a policy error that blocks) forwards
//! nothing more: the child sees end of input and the shim exits 77 (blocked). `allow_with_redaction` and
//! `transform` forward the bytes with the plan applied (input that is not UTF-8 cannot be
//! transformed: it blocks). Memory: at most `look_behind + STEP + look_ahead` bytes (84 KiB) plus
//! one read. Latency: a slow producer's bytes wait until `STEP` bytes are pending or it closes.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

use datafog::policy::Action;

use crate::gate::{Gate, Kind};

/// Bytes pending before a decision (one remote decide call per step, with the context).
pub const STEP: usize = 64 * 1024;
const LOOK_BEHIND: usize = datafog::stream::Window::DEFAULT.look_behind;
const LOOK_AHEAD: usize = datafog::stream::Window::DEFAULT.look_ahead;

/// Forward `input` to `out`, deciding it as `action` with the gate `make_gate` builds once the
/// first bytes arrive (an empty stdin costs no policy load). On a block the message goes to
/// `blocked` before `out` is dropped.
pub fn pump(
    make_gate: impl FnOnce() -> Result<Gate, String>,
    action: &Action,
    mut input: impl Read,
    mut out: impl Write,
    blocked: &Arc<Mutex<Option<String>>>,
) {
    let block = |msg: String| {
        if let Ok(mut g) = blocked.lock() {
            *g = Some(msg);
        }
    };
    let mut buf: Vec<u8> = Vec::new();
    // `buf[..emitted]` has been forwarded (kept as context); the rest is pending.
    let mut emitted = 0usize;
    let mut chunk = vec![0u8; 64 * 1024];
    let mut eof = false;
    let mut make_gate = Some(make_gate);
    let mut gate: Option<Gate> = None;
    loop {
        while !eof && buf.len() - emitted < STEP + LOOK_AHEAD {
            match input.read(&mut chunk) {
                Ok(0) => eof = true,
                Ok(n) => buf.extend_from_slice(chunk.get(..n).unwrap_or_default()),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => eof = true,
            }
        }
        if buf.len() == emitted {
            return;
        }
        if gate.is_none() {
            let Some(make) = make_gate.take() else { return };
            match make() {
                Ok(g) => gate = Some(g),
                Err(e) => {
                    block(format!("stdin withheld: {e}"));
                    return;
                }
            }
        }
        let Some(gate) = gate.as_mut() else { return };
        let ctx = emitted.saturating_sub(LOOK_BEHIND);
        let window = buf.get(ctx..).unwrap_or_default();
        // Decide only whole characters: an incomplete one at the end waits for the next read.
        let (valid, whole) = match std::str::from_utf8(window) {
            Ok(t) => (t.len(), true),
            Err(e) if e.error_len().is_none() && !eof => (e.valid_up_to(), true),
            Err(e) => (e.valid_up_to(), false),
        };
        let text = if whole {
            String::from_utf8_lossy(window.get(..valid).unwrap_or_default()).into_owned()
        } else {
            String::from_utf8_lossy(window).into_owned()
        };
        let check = gate.check(action, &text, Kind::Data, "stdin");
        if !check.allowed {
            block(format!("stdin withheld: {}", check.blocked_message()));
            return;
        }
        let from = emitted - ctx;
        let findings = check.findings();
        let mut cut = if eof && whole && valid == window.len() {
            text.len()
        } else {
            text.len().saturating_sub(LOOK_AHEAD)
        };
        while cut > from && !text.is_char_boundary(cut) {
            cut -= 1;
        }
        while let Some(f) = findings
            .iter()
            .find(|f| f.start < cut && f.end > cut && f.start >= from)
        {
            cut = f.start;
        }
        if cut <= from && !eof {
            // A finding longer than the look-ahead straddles the cut: forward up to the cut anyway
            // (it was decided allowed), so the stream moves on.
            cut = text.len().saturating_sub(LOOK_AHEAD);
            while cut > from && !text.is_char_boundary(cut) {
                cut -= 1;
            }
            if cut <= from {
                cut = text.len();
            }
        }
        if !whole {
            // Not UTF-8: byte offsets differ from the decided text's; forward the bytes as they
            // are if nothing needs transforming, else block.
            if check.transforms() {
                block("stdin withheld: the input is not UTF-8 text and the policy's plan cannot be applied to it".into());
                return;
            }
            cut = if eof {
                window.len()
            } else {
                window.len().saturating_sub(LOOK_AHEAD)
            };
        }
        let cut = cut.max(from);
        let bytes = if check.transforms() && whole {
            match gate.apply_range(&check, &text, from, cut) {
                Ok(t) => t.into_bytes(),
                Err(e) => {
                    block(format!(
                        "stdin withheld: could not apply the policy's plan: {e}"
                    ));
                    return;
                }
            }
        } else {
            window.get(from..cut).unwrap_or_default().to_vec()
        };
        if out.write_all(&bytes).and_then(|()| out.flush()).is_err() {
            // The child closed its stdin: nothing more to forward.
            return;
        }
        emitted = ctx + cut;
        if eof && emitted >= buf.len() {
            return;
        }
        let keep_from = emitted.saturating_sub(LOOK_BEHIND);
        buf.drain(..keep_from);
        emitted -= keep_from;
    }
}
