//! Every finding of every text, for checking that a speed change changes no finding:
//!
//! ```text
//! cargo run --release -p datafog-component --example finding_dump -- /tmp/recs.txt \
//!     $(find tests/corpus -name '*.json' | sort) > /tmp/findings-before.txt
//! # change the detectors, run it again, then:
//! diff /tmp/findings-before.txt /tmp/findings-after.txt
//! ```
//!
//! A `.json` file contributes every string in it (wherever it sits: a case's text, a label, an
//! expected value; scanning more than the texts costs nothing and checks more). Any other file is
//! a record dump split at its `#### ` lines, as `families.rs` reads it. For each text the dump
//! prints each detector family's raw findings (`secrets`, `pii`, `address`, `ner`, then `decode`
//! given the four families' findings) and the finding list of `scan_all`: type, start, end and
//! confidence, in the order each produced them.

use datafog::detect::{address, decode, ner, pii, secrets};
use datafog::entity::Finding;
use std::io::Write;

fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        serde_json::Value::Object(m) => m.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

fn records(dump: &[u8]) -> Vec<Vec<u8>> {
    let mut recs = Vec::new();
    let mut start = 0usize;
    let mut pos = 0usize;
    for line in dump.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b"#### ") {
            if pos > start {
                recs.push(dump.get(start..pos).unwrap_or_default().to_vec());
            }
            start = pos + line.len();
        }
        pos += line.len();
    }
    recs.push(dump.get(start..).unwrap_or_default().to_vec());
    recs
}

fn print(w: &mut impl Write, tag: &str, fs: &[Finding]) -> std::io::Result<()> {
    for f in fs {
        writeln!(
            w,
            "  {tag} {} {} {} {}",
            f.entity_type, f.start, f.end, f.confidence
        )?;
    }
    Ok(())
}

fn dump_text(w: &mut impl Write, name: &str, text: &[u8]) -> std::io::Result<()> {
    writeln!(w, "{name} ({} B)", text.len())?;
    let mut all = Vec::new();
    type Family = fn(&[u8], &mut Vec<Finding>);
    let families: [(&str, Family); 4] = [
        ("secrets", secrets::find),
        ("pii", pii::find),
        ("address", address::find),
        ("ner", ner::find),
    ];
    for (tag, find) in families {
        let mut one = Vec::new();
        find(text, &mut one);
        print(w, tag, &one)?;
        all.append(&mut one);
    }
    let mut dec = Vec::new();
    decode::find(text, &all, &mut dec);
    print(w, "decode", &dec)?;
    print(w, "scan", &datafog::scan_all(text))
}

fn main() -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        eprintln!("usage: finding_dump FILE...  (.json corpus files or #### record dumps)");
        std::process::exit(2);
    }
    for path in paths {
        let data = match std::fs::read(&path) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("cannot read {path}: {e}");
                std::process::exit(1);
            }
        };
        let texts: Vec<Vec<u8>> = if path.ends_with(".json") {
            let v: serde_json::Value = match serde_json::from_slice(&data) {
                Ok(v) => v,
                Err(e) => {
                    eprintln!("{path}: not JSON: {e}");
                    std::process::exit(1);
                }
            };
            let mut s = Vec::new();
            strings(&v, &mut s);
            s.into_iter().map(String::into_bytes).collect()
        } else {
            records(&data)
        };
        for (i, t) in texts.iter().enumerate() {
            dump_text(&mut w, &format!("{path}#{i}"), t)?;
        }
    }
    w.flush()
}
