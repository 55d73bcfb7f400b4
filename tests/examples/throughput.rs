//! Quick, load-free throughput check: MB/s of each engine on the benchmark corpus in one run,
//! without criterion's long sampling. Criterion (`benches/throughput.rs`) stays the source of truth.
//!
//! `cargo run --release -p datafog-conformance --example throughput [-- SECONDS_PER_ENGINE]`
//! `cargo run --release -p datafog-conformance --example throughput -- --dump BYTES` prints the
//! first BYTES of the corpus instead (records separated by a `#### kind entities=..` line); that is
//! how `tests/corpus/bench/sample.txt` was made.
//!
//! Each engine scans the 1 MiB corpus once to warm up, then again and again for SECONDS (default 1);
//! the line shows the median pass (and the fastest), in MB/s (10^6 bytes per second).
//! `DATAFOG_BENCH_ONLY=WORD` runs only the lines whose name contains WORD (the component is then
//! compiled only if wanted); `DATAFOG_BENCH_PASSES=N` times exactly N passes per line (for
//! `perf stat`). `scripts/bench-compare OLD NEW` alternates two builds and prints medians.

use std::hint::black_box;
use std::time::{Duration, Instant};

use datafog_conformance::bench_corpus;

#[path = "../benches/engines/mod.rs"]
mod engines;

use datafog_conformance::wasm;
use engines::{DecideCase, Detector, GoRegex, GoRegexLite};

struct Report {
    budget: Duration,
    bytes: usize,
    /// `DATAFOG_BENCH_ONLY=native`: run only the lines whose name contains this (for `perf`).
    only: Option<String>,
    /// `DATAFOG_BENCH_PASSES=N`: exactly N timed passes per line instead of a time budget, so that
    /// `perf stat -e instructions` counts compare between builds.
    passes: Option<usize>,
}

impl Report {
    /// Is the line `name` selected (`DATAFOG_BENCH_ONLY`)?
    fn wants(&self, name: &str) -> bool {
        self.only.as_ref().is_none_or(|o| name.contains(o.as_str()))
    }

    /// Time `pass` (one scan of the whole corpus) and print one line; returns median MB/s.
    fn run(&self, name: &str, mut pass: impl FnMut() -> usize) -> f64 {
        if !self.wants(name) {
            return f64::NAN;
        }
        let findings = pass();
        let mut times = Vec::new();
        let start = Instant::now();
        let more = |n: usize| match self.passes {
            Some(p) => n < p,
            None => n == 0 || (start.elapsed() < self.budget && n < 1000),
        };
        while more(times.len()) {
            let t = Instant::now();
            black_box(pass());
            times.push(t.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        let median = times.get(times.len() / 2).copied().unwrap_or(f64::NAN);
        let best = times.first().copied().unwrap_or(f64::NAN);
        let mbs = |secs: f64| self.bytes as f64 / secs / 1e6;
        println!(
            "{name:<28} {:>9.1} MB/s  (best {:>9.1})  {:>9.3} ms/pass  {:>4} passes  {findings} findings",
            mbs(median),
            mbs(best),
            median * 1e3,
            times.len(),
        );
        mbs(median)
    }
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("--dump") {
        let n = std::env::args()
            .nth(2)
            .and_then(|s| s.parse().ok())
            .unwrap_or(16 * 1024);
        for r in bench_corpus::records(bench_corpus::SEED, n) {
            println!("#### {} entities={}", r.kind.as_str(), r.has_entities);
            println!("{}", r.text.trim_end_matches('\n'));
        }
        return;
    }
    let secs: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let recs = bench_corpus::corpus(bench_corpus::DEFAULT_BYTES);
    let bytes = bench_corpus::total_bytes(&recs);
    let with = bench_corpus::records(bench_corpus::SEED, bench_corpus::DEFAULT_BYTES)
        .iter()
        .filter(|r| r.has_entities)
        .count();
    println!(
        "corpus: {} records, {bytes} bytes (avg {} B), {with} with planted entities, digest {:016x}",
        recs.len(),
        bytes / recs.len().max(1),
        bench_corpus::corpus_digest(&recs),
    );
    let r = Report {
        budget: Duration::from_secs_f64(secs),
        bytes,
        only: std::env::var("DATAFOG_BENCH_ONLY").ok(),
        passes: std::env::var("DATAFOG_BENCH_PASSES")
            .ok()
            .and_then(|s| s.parse().ok()),
    };

    println!("-- one scan per record");
    let native = r.run("native (datafog::scan)", || {
        recs.iter().map(|t| engines::native(black_box(t))).sum()
    });
    let core = r.run("datafog-core 1.0.0", || {
        recs.iter()
            .map(|t| engines::datafog_core(black_box(t)))
            .sum()
    });
    // The component is compiled only when its line is wanted, so that `perf` profiles of the
    // native lines are not dominated by Cranelift.
    let component = match r.wants("component").then(wasm::guest) {
        None => f64::NAN,
        Some(Ok(mut guest)) => {
            println!("   (component compile/load: {} ms)", wasm::compile_ms());
            instantiation(&recs);
            r.run("component (wasmtime)", || {
                recs.iter()
                    .map(|t| engines::component(&mut guest, black_box(t)))
                    .sum()
            })
        }
        Some(Err(e)) => {
            println!("component (wasmtime): skipped: {e:?}");
            f64::NAN
        }
    };
    match GoRegex::new() {
        Ok(go) => {
            r.run("go regexes (regex)", || {
                recs.iter().map(|t| go.scan(black_box(t))).sum()
            });
        }
        Err(e) => println!("go regexes (regex): skipped: {e}"),
    }
    match GoRegexLite::new() {
        Ok(go) => {
            r.run("go regexes (regex-lite)", || {
                recs.iter().map(|t| go.scan(black_box(t))).sum()
            });
        }
        Err(e) => println!("go regexes (regex-lite): skipped: {e}"),
    }

    println!("-- native detector families alone, per record");
    let mut out = Vec::new();
    for d in Detector::ALL {
        r.run(&format!("detector {}", d.name()), || {
            recs.iter().map(|t| d.run(black_box(t), &mut out)).sum()
        });
    }

    println!("-- one 1 MiB payload (records joined by newlines)");
    let text = bench_corpus::payload(bench_corpus::DEFAULT_BYTES);
    let big = Report {
        budget: r.budget,
        bytes: text.len(),
        only: r.only.clone(),
        passes: r.passes,
    };
    big.run("native (datafog::scan)", || {
        engines::native(black_box(&text))
    });
    big.run("datafog-core 1.0.0", || {
        engines::datafog_core(black_box(&text))
    });
    if let Some(Ok(mut guest)) = big.wants("component").then(wasm::guest) {
        big.run("component (wasmtime)", || {
            engines::component(&mut guest, black_box(&text))
        });
    }

    match DecideCase::shipped(&recs) {
        _ if r.only.is_some() => {}
        Ok(case) => {
            let n = case.cases.len();
            let t = Instant::now();
            let mut rounds = 0u32;
            while t.elapsed() < r.budget {
                black_box(black_box(&case).decide_all());
                rounds += 1;
            }
            let per = t.elapsed().as_secs_f64() / (f64::from(rounds) * n as f64);
            println!(
                "-- decide (shipped config/policy.json): {:.2} us/decision",
                per * 1e6
            );
        }
        Err(e) => println!("-- decide skipped: {e}"),
    }

    println!("-- ratios (median, per record)");
    println!("native / datafog-core        {:>9.1}x", native / core);
    println!("component / native           {:>9.2}", component / native);
}

/// Median time to make a fresh instance of the (already compiled) component, and to make one and
/// answer its first scan (the name lexicon and the detectors' tables are static data: nothing is
/// built per instance).
fn instantiation(recs: &[String]) {
    let first = recs.first().map(String::as_str).unwrap_or_default();
    let mut bare = Vec::new();
    let mut with_scan = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        let Ok(mut guest) = wasm::guest() else {
            return;
        };
        bare.push(t.elapsed().as_secs_f64());
        black_box(engines::component(&mut guest, black_box(first)));
        with_scan.push(t.elapsed().as_secs_f64());
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN) * 1e6
    };
    println!(
        "   (component instantiate: median {:.0} us; instantiate + first scan: {:.0} us; 200 instances)",
        median(&mut bare),
        median(&mut with_scan)
    );
}
