//! Streaming on the 1 MiB benchmark payload (`tests/src/bench_corpus.rs`, the deterministic
//! mixed corpus every throughput number uses): equivalence with the one-shot scan in 1, 16 and
//! 64 KiB chunks with the default window, and (ignored by default) the throughput table of
//! `docs/scan.md`:
//!
//! `cargo test -p datafog-component --release --test stream_bench -- --ignored --nocapture`

// clippy.toml allows these inside `#[test]` functions; the shared helpers need them too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure is a test failure"
)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use datafog::stream::{Output, Redactor, Scanner, Window};
use datafog::transform::{self, Mode, TransformStep};
use datafog::{ScanOptions, scan};

#[path = "../../tests/src/bench_corpus.rs"]
#[allow(dead_code)]
mod bench_corpus;

const CHUNKS: [usize; 3] = [1024, 16 * 1024, 64 * 1024];

fn plan() -> Vec<TransformStep> {
    vec![TransformStep {
        entity_type: "any".into(),
        mode: Mode::Redact,
    }]
}

fn stream_redact(text: &[u8], chunk: usize, opts: &ScanOptions<'_>) -> Output {
    let plan = plan();
    let mut r = Redactor::new(opts, &plan, b"k", Window::DEFAULT);
    let mut all = Output::default();
    let mut take = |o: Output| {
        all.bytes.extend_from_slice(&o.bytes);
        all.findings.extend(o.findings);
        all.entities_transformed += o.entities_transformed;
        all.overlong += o.overlong;
        all.late += o.late;
        all.scanned += o.scanned;
    };
    for c in text.chunks(chunk) {
        take(r.push(c));
    }
    assert!(r.peak_buffered() <= Window::DEFAULT.capacity() + chunk);
    take(r.finish());
    all
}

fn stream_scan(text: &[u8], chunk: usize, opts: &ScanOptions<'_>) -> usize {
    let mut s = Scanner::new(opts, Window::DEFAULT);
    let mut n = 0;
    for c in text.chunks(chunk) {
        n += s.push(c).findings.len();
    }
    n + s.finish().findings.len()
}

#[test]
fn payload_streams_like_one_shot() {
    let text = bench_corpus::payload(bench_corpus::DEFAULT_BYTES);
    let opts = ScanOptions::default();
    let found = scan(text.as_bytes(), &opts);
    let done = transform::apply(&text, &found, &plan(), b"k");
    assert!(found.len() > 100, "{} findings", found.len());
    for chunk in CHUNKS {
        let got = stream_redact(text.as_bytes(), chunk, &opts);
        assert_eq!((got.late, got.overlong), (0, 0), "chunk {chunk}");
        assert!(got.findings == found, "chunk {chunk}: findings differ");
        assert!(
            got.bytes == done.output.as_bytes(),
            "chunk {chunk}: output differs"
        );
        assert_eq!(got.entities_transformed, done.stats.entities_transformed);
    }
}

/// This thread's CPU time in seconds (`/proc/thread-self/schedstat`, nanoseconds on the CPU), or
/// `None` off Linux.
fn cpu_seconds() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(s.split_whitespace().next()?.parse::<f64>().ok()? / 1e9)
}

/// MB/s (10^6 bytes/s) of `f`, from the CPU time of about two seconds of passes: on a shared,
/// loaded machine wall-clock medians moved by 30-50% between runs, CPU time by a few percent.
/// Falls back to the fastest wall-clock pass where CPU time is not readable.
fn mbps(bytes: usize, mut f: impl FnMut()) -> f64 {
    f();
    let (wall0, cpu0) = (Instant::now(), cpu_seconds());
    let mut best = f64::INFINITY;
    let mut n = 0u32;
    while wall0.elapsed() < Duration::from_secs(2) || n < 5 {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed().as_secs_f64());
        n += 1;
    }
    let per_pass = match (cpu0, cpu_seconds()) {
        (Some(a), Some(b)) if b > a => (b - a) / f64::from(n),
        _ => best,
    };
    bytes as f64 / per_pass / 1e6
}

#[test]
#[ignore = "a measurement: run with --ignored --nocapture in release"]
fn throughput() {
    let text = bench_corpus::payload(bench_corpus::DEFAULT_BYTES);
    let bytes = text.len();
    let opts = ScanOptions::default();
    let plan = plan();
    let scan_one = mbps(bytes, || {
        black_box(scan(black_box(text.as_bytes()), &opts));
    });
    let redact_one = mbps(bytes, || {
        let f = scan(text.as_bytes(), &opts);
        black_box(transform::apply(&text, &f, &plan, b"k"));
    });
    println!(
        "payload {bytes} bytes, window {:?}; MB/s of CPU time",
        Window::DEFAULT
    );
    println!("{:<24} {:>8} {:>8} {:>8}", "", "MB/s", "factor", "scanned");
    println!("{:<24} {scan_one:>8.1} {:>8.2}", "one-shot scan", 1.0);
    println!(
        "{:<24} {redact_one:>8.1} {:>8.2}",
        "one-shot scan+apply",
        scan_one / redact_one
    );
    // The per-call cost of `scan` itself: the payload scanned in separate pieces of a stream's
    // buffer size (no overlap, no carry), to tell the detectors' fixed cost per call from the
    // stream's rescanning.
    let piece = Window::DEFAULT.capacity();
    let pieces = mbps(bytes, || {
        for p in text.as_bytes().chunks(piece) {
            black_box(scan(black_box(p), &opts));
        }
    });
    println!(
        "{:<24} {pieces:>8.1} {:>8.2}",
        format!("scan in {} KiB pieces", piece / 1024),
        scan_one / pieces
    );
    for chunk in CHUNKS {
        let s = mbps(bytes, || {
            black_box(stream_scan(text.as_bytes(), chunk, &opts));
        });
        println!(
            "{:<24} {s:>8.1} {:>8.2}",
            format!("Scanner {} KiB", chunk / 1024),
            scan_one / s
        );
        let r = mbps(bytes, || {
            black_box(stream_redact(text.as_bytes(), chunk, &opts));
        });
        let scanned = stream_redact(text.as_bytes(), chunk, &opts).scanned;
        println!(
            "{:<24} {r:>8.1} {:>8.2} {:>8.2}",
            format!("Redactor {} KiB", chunk / 1024),
            redact_one / r,
            scanned as f64 / bytes as f64
        );
    }
}
