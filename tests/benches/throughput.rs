//! Detection throughput on the mixed benchmark corpus (`datafog_conformance::bench_corpus`):
//! MB/s for the native core, the component in wasmtime, `datafog-core` 1.0.0, the Go service's
//! regexes (full `regex` and `regex-lite`), and each native detector family alone.
//!
//! `cargo bench -p datafog-conformance --bench throughput -- --warm-up-time 1 --measurement-time 5`
//! Numbers and how to read them: `docs/benchmarks.md`.

use std::hint::black_box;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use datafog_conformance::bench_corpus;

mod engines;

use datafog_conformance::wasm;
use engines::{DecideCase, Detector, GoRegex, GoRegexLite};

fn records() -> (Vec<String>, u64) {
    let recs = bench_corpus::corpus(bench_corpus::DEFAULT_BYTES);
    let bytes = bench_corpus::total_bytes(&recs) as u64;
    (recs, bytes)
}

/// One `scan` call per record (~1 KB each, 256 B to 2 KB): how hosts call the core, one payload
/// per agent action. One iteration scans the whole 1 MiB corpus.
fn per_record(c: &mut Criterion) {
    let (recs, bytes) = records();
    let mut g = c.benchmark_group("per_record");
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("native", |b| {
        b.iter(|| {
            recs.iter()
                .map(|r| engines::native(black_box(r)))
                .sum::<usize>()
        })
    });
    g.bench_function("datafog_core", |b| {
        b.iter(|| {
            recs.iter()
                .map(|r| engines::datafog_core(black_box(r)))
                .sum::<usize>()
        })
    });
    match wasm::guest() {
        Ok(mut guest) => g.bench_function("component", |b| {
            b.iter(|| {
                recs.iter()
                    .map(|r| engines::component(&mut guest, black_box(r)))
                    .sum::<usize>()
            })
        }),
        Err(e) => {
            eprintln!("component skipped: {e:?}");
            &mut g
        }
    };
    match GoRegex::new() {
        Ok(go) => g.bench_function("go_regex", |b| {
            b.iter(|| recs.iter().map(|r| go.scan(black_box(r))).sum::<usize>())
        }),
        Err(e) => {
            eprintln!("go_regex skipped: {e}");
            &mut g
        }
    };
    g.finish();

    // regex-lite is ~50x slower: one pass over the corpus takes a fraction of a second, so take
    // ten flat samples instead of criterion's default hundred linear ones.
    let mut g = c.benchmark_group("per_record_slow");
    g.throughput(Throughput::Bytes(bytes));
    g.sampling_mode(SamplingMode::Flat).sample_size(10);
    match GoRegexLite::new() {
        Ok(go) => g.bench_function("go_regex_lite", |b| {
            b.iter(|| recs.iter().map(|r| go.scan(black_box(r))).sum::<usize>())
        }),
        Err(e) => {
            eprintln!("go_regex_lite skipped: {e}");
            &mut g
        }
    };
    g.finish();
}

/// The same corpus as one 1 MiB payload (records joined by newlines): a big file read or log tail.
fn payload(c: &mut Criterion) {
    let text = bench_corpus::payload(bench_corpus::DEFAULT_BYTES);
    let mut g = c.benchmark_group("payload_1mib");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.sample_size(20);
    g.bench_function("native", |b| b.iter(|| engines::native(black_box(&text))));
    g.bench_function("datafog_core", |b| {
        b.iter(|| engines::datafog_core(black_box(&text)))
    });
    match wasm::guest() {
        Ok(mut guest) => g.bench_function("component", |b| {
            b.iter(|| engines::component(&mut guest, black_box(&text)))
        }),
        Err(e) => {
            eprintln!("component skipped: {e:?}");
            &mut g
        }
    };
    g.finish();
}

/// Each native detector family alone, per record: where the time of `native` goes.
fn detectors(c: &mut Criterion) {
    let (recs, bytes) = records();
    let mut g = c.benchmark_group("detector");
    g.throughput(Throughput::Bytes(bytes));
    let mut out = Vec::new();
    for d in Detector::ALL {
        g.bench_function(d.name(), |b| {
            b.iter(|| {
                recs.iter()
                    .map(|r| d.run(black_box(r), &mut out))
                    .sum::<usize>()
            })
        });
    }
    g.finish();
}

/// `Policy::decide` on the shipped `config/policy.json`: five actions (shell, file read/write,
/// HTTP, an unknown type) with the findings of a corpus record each. Per decision, not per byte.
fn decide(c: &mut Criterion) {
    let (recs, _) = records();
    let case = match DecideCase::shipped(&recs) {
        Ok(case) => case,
        Err(e) => {
            eprintln!("decide skipped: {e}");
            return;
        }
    };
    let mut g = c.benchmark_group("decide");
    g.throughput(Throughput::Elements(case.cases.len() as u64));
    g.bench_function("shipped_policy", |b| {
        b.iter(|| black_box(&case).decide_all())
    });
    g.finish();
}

criterion_group!(benches, per_record, payload, detectors, decide);
criterion_main!(benches);
