//! Issue 15, finding 1: no piece boundary hides an entity. A remote payload over 128 KiB is
//! decided in pieces that overlap (`gate::OVERLAP`); these tests put one sample of every entity
//! type the detect corpus has across every byte offset of a piece boundary, and decide and redact
//! it through the shim's gate against a real `datafog-api` (the pieces) and offline (one text),
//! and run the issue's reproducer through the real binary.

use std::path::Path;

use datafog::policy::Action;
use datafog_shim::backend::{Backend, Offline, Remote};
use datafog_shim::config::Mode;
use datafog_shim::gate::{Gate, Kind, OVERLAP, REMOTE_CHUNK, split};
use serde_json::Value;

use crate::e2e::support::{self, SECRET};

/// One corpus sample per entity type: (type, text, value), the value once in the text.
fn samples() -> Vec<(String, String, String)> {
    let dir = support::repo().join("tests/corpus/detect");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut out: Vec<(String, String, String)> = Vec::new();
    for f in files {
        let v: Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
        for c in v["cases"].as_array().unwrap() {
            let text = c["text"].as_str().unwrap();
            for e in c["expect"].as_array().into_iter().flatten() {
                let (t, value) = (e["type"].as_str().unwrap(), e["value"].as_str().unwrap());
                if text.len() < 400
                    && text.matches(value).count() == 1
                    && !out.iter().any(|(o, _, _)| o == t)
                {
                    out.push((t.to_owned(), text.to_owned(), value.to_owned()));
                }
            }
        }
    }
    out
}

fn offline_gate(tag: &str) -> Gate {
    let dir = support::temp_dir(tag);
    let o = Offline::open(&support::policy(), &dir.join("receipts.jsonl")).unwrap();
    Gate::new(Backend::Offline(Box::new(o)), Mode::Enforced, false, None)
}

fn online_gate() -> Gate {
    Gate::new(
        Backend::Remote(Remote::new(support::server(), None)),
        Mode::Enforced,
        false,
        None,
    )
}

fn write_action() -> Action {
    Action {
        action_type: "file.write".into(),
        tool: "fs".into(),
        resource: "/tmp/out.txt".into(),
        ..Action::default()
    }
}

/// Where each sample goes: the value's byte `k` on a boundary `b`, for every `k`.
/// The boundaries of a remote payload: each piece's end and the next piece's start.
fn boundaries(len: usize) -> Vec<usize> {
    let parts = split(&",".repeat(len), REMOTE_CHUNK);
    let mut b = Vec::new();
    for w in parts.windows(2) {
        b.push(w[0].1);
        b.push(w[1].0);
    }
    b.sort_unstable();
    b
}

/// Build payloads carrying every (sample, offset) across a boundary, several per payload (one
/// per boundary, so neighbouring samples stay far apart); the filler is commas, a long line with
/// no space (the audit's case).
/// A payload and its placements: (start of the value, type, value).
type Payload = (String, Vec<(usize, String, String)>);

fn payloads(samples: &[(String, String, String)]) -> Vec<Payload> {
    let len = 6 * REMOTE_CHUNK;
    let bounds = boundaries(len);
    let mut jobs: Vec<(String, String, String, usize)> = Vec::new();
    // Every offset of every sample with `DATAFOG_BOUNDARY_FULL=1` (about 1,400 placements, a
    // minute or more in a debug build); by default every offset of the Stripe key (the audit's
    // case) and, for the other types, the first and last four offsets and the middle one.
    let full = std::env::var_os("DATAFOG_BOUNDARY_FULL").is_some();
    for (t, text, value) in samples {
        let n = value.len();
        for k in 1..n {
            let sampled = k <= 4 || k + 4 >= n || k == n / 2 || t == "stripe_key";
            if (full || sampled) && value.is_char_boundary(k) {
                jobs.push((t.clone(), text.clone(), value.clone(), k));
            }
        }
    }
    let mut out = Vec::new();
    for group in jobs.chunks(bounds.len()) {
        let mut s = String::with_capacity(len + 4096);
        let mut placed = Vec::new();
        for ((t, text, value, k), &b) in group.iter().zip(&bounds) {
            let vstart = text.find(value.as_str()).unwrap();
            let at = b - k - vstart;
            assert!(at > s.len(), "samples overlap");
            s.push_str(&",".repeat(at - s.len()));
            s.push_str(text);
            placed.push((b - k, t.clone(), value.clone()));
        }
        s.push_str(&",".repeat(len.saturating_sub(s.len()).max(1)));
        out.push((s, placed));
    }
    out
}

fn check_all(gate: &mut Gate, label: &str) -> usize {
    let samples = samples();
    assert!(samples.len() >= 30, "{} samples", samples.len());
    let mut n = 0;
    for (payload, placed) in payloads(&samples) {
        let check = gate.check(&write_action(), &payload, Kind::Data, "");
        assert!(check.error.is_none(), "{label}: {:?}", check.error);
        let findings = check.findings();
        let out = gate.apply(&check, &payload).unwrap();
        for (start, t, value) in &placed {
            let end = start + value.len();
            let found = findings.iter().any(|f| {
                f.start <= *start
                    && f.end >= end
                    && datafog::policy::entity_name_matches(t, &f.entity_type)
            }) || findings.iter().any(|f| f.start <= *start && f.end >= end);
            assert!(found, "{label}: {t} at {start} not found whole");
            n += 1;
        }
        for (_, t, value) in &placed {
            assert!(
                !out.contains(value.as_str()),
                "{label}: {t} left in the output"
            );
        }
    }
    n
}

#[test]
fn issue_15_every_entity_type_across_every_boundary_offset_online() {
    let n = check_all(&mut online_gate(), "online");
    assert!(n > 250, "{n}");
}

#[test]
fn issue_15_every_entity_type_across_every_boundary_offset_offline() {
    let n = check_all(&mut offline_gate("boundary-offline"), "offline");
    assert!(n > 250, "{n}");
}

#[test]
fn issue_15_overlap_exceeds_the_stream_window() {
    let w = datafog::stream::Window::DEFAULT;
    assert!(OVERLAP >= w.look_behind + w.look_ahead);
}

/// The audit's reproducer: `','*OFFSET + key + ','*200000` through `read-file`, `write-file` and
/// `shell cat`, online and offline, at the offsets that leaked (131060, 131065, 131070, 262140).
#[test]
fn issue_15_the_reproducer_offsets_never_leak() {
    for offset in [131_060usize, 131_065, 131_070, 262_140] {
        let dir = support::temp_dir("repro");
        let body = format!("{}{SECRET}{}", ",".repeat(offset), ",".repeat(200_000));
        std::fs::write(dir.join("big.txt"), &body).unwrap();
        for online in [true, false] {
            let cmd = |args: &[&str]| {
                let mut c = if online {
                    support::online(&dir)
                } else {
                    let mut c = support::shim(&dir);
                    c.env("DATAFOG_SHIM_POLICY_FILE", support::policy());
                    c.env("DATAFOG_SHIM_RECEIPTS", dir.join("r.jsonl"));
                    c
                };
                c.args(args);
                c
            };
            let label = format!("offset {offset} online={online}");
            let r = support::run(cmd(&["read-file", "big.txt"]), "");
            assert_eq!(r.code, 0, "{label}: {}", r.stderr);
            assert!(!r.stdout.contains(SECRET), "{label}: read-file leaked");
            assert!(r.stdout.len() > offset, "{label}");
            let r = support::run(cmd(&["write-file", "out.txt"]), &body);
            assert_eq!(r.code, 0, "{label}: {}", r.stderr);
            let written = std::fs::read_to_string(dir.join("out.txt")).unwrap();
            assert!(!written.contains(SECRET), "{label}: write-file leaked");
            let r = support::run(cmd(&["shell", "cat", "big.txt"]), "");
            assert_ne!(r.code, 0, "{label}: shell cat ran");
            assert!(!r.stdout.contains(SECRET), "{label}: shell cat leaked");
            assert!(!r.stderr.contains(SECRET), "{label}");
        }
        let _ = Path::new(&dir);
    }
}
