//! Per-family cost on a dumped benchmark corpus, for profiling without building the host:
//!
//! ```text
//! cargo run --release -p datafog-conformance --example throughput -- --dump 1100000 > /tmp/recs.txt
//! cargo build --release -p datafog-component --example families
//! target/release/examples/families /tmp/recs.txt [FAMILY|all|scan] [PASSES]
//! valgrind --tool=cachegrind --cache-sim=no target/release/examples/families /tmp/recs.txt ner 5
//! ```
//!
//! Records are split at the dump's `#### kind entities=..` lines. Each pass runs the family on every
//! record; the line printed is the median pass in MB/s and the raw finding count. Instruction
//! counts (cachegrind, callgrind) of two builds compare well on a loaded machine; wall time does not.

use std::hint::black_box;
use std::time::Instant;

use datafog::detect::{address, ner, pii, secrets};
use datafog::entity::Finding;

fn run(family: &str, text: &[u8], out: &mut Vec<Finding>) -> usize {
    out.clear();
    match family {
        "secrets" => secrets::find(text, out),
        "pii" => pii::find(text, out),
        "address" => address::find(text, out),
        "ner" => ner::find(text, out),
        _ => return datafog::scan_all(text).len(),
    }
    out.len()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: families RECORDS_FILE [secrets|pii|address|ner|scan|all] [PASSES]");
        std::process::exit(2);
    };
    let which = args.next().unwrap_or_else(|| "all".into());
    let passes: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(20);
    let dump = match std::fs::read(&path) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("cannot read {path}: {e}");
            std::process::exit(1);
        }
    };
    let mut recs: Vec<&[u8]> = Vec::new();
    let mut start = 0usize;
    let mut pos = 0usize;
    for line in dump.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b"#### ") {
            if pos > start {
                recs.push(dump.get(start..pos).unwrap_or_default());
            }
            start = pos + line.len();
        }
        pos += line.len();
    }
    recs.push(dump.get(start..).unwrap_or_default());
    let bytes: usize = recs.iter().map(|r| r.len()).sum();
    let families: Vec<&str> = match which.as_str() {
        "all" => vec!["secrets", "pii", "address", "ner", "scan"],
        w => vec![w],
    };
    let mut out = Vec::new();
    for fam in families {
        let mut times = Vec::new();
        let mut found = 0;
        for _ in 0..passes.max(1) {
            let t = Instant::now();
            found = recs
                .iter()
                .map(|r| run(fam, black_box(r), &mut out))
                .sum::<usize>();
            times.push(t.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        let median = times.get(times.len() / 2).copied().unwrap_or(f64::NAN);
        println!(
            "{fam:<8} {:>8.1} MB/s  {found} findings  ({} records, {bytes} B)",
            bytes as f64 / median / 1e6,
            recs.len()
        );
    }
}
