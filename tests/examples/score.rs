//! Score the native core on labelled detection files: precision and recall per entity type, by
//! exact value (what the corpus test asserts) and by overlap (a finding of the right type that
//! overlaps the label; forgiving about where a span ends). For corpora kept outside the
//! repository (an integrator's hold-out set, a new source of real traffic) in the corpus format
//! (`{"cases": [DetectCase, ...]}`, see `tests/src/lib.rs`).
//!
//! `cargo run -p datafog-conformance --example score -- FILE.json... [--misses]`
//! (`--misses` lists each miss and false positive by case name and type, never by value).

use std::collections::BTreeMap;

use datafog_conformance::{DetectCase, Expected, compare, native_detect};

#[derive(Default)]
struct Counts {
    tp: usize,
    fp: usize,
    fneg: usize,
}

impl Counts {
    fn line(&self) -> String {
        let ratio = |n: usize, d: usize| if d == 0 { 1.0 } else { n as f64 / d as f64 };
        format!(
            "{:>4} {:>4} {:>4} {:>9.3} {:>7.3}",
            self.tp,
            self.fp,
            self.fneg,
            ratio(self.tp, self.tp + self.fp),
            ratio(self.tp, self.tp + self.fneg)
        )
    }
}

/// A label's byte span: its own offsets, else the first occurrence of its value in the text.
fn span(text: &str, e: &Expected) -> Option<(usize, usize)> {
    match (e.start, e.end) {
        (Some(s), Some(x)) => Some((s, x)),
        _ => text.find(&e.value).map(|s| (s, s + e.value.len())),
    }
}

/// Overlap matching: each label takes the first unused finding of its type that overlaps it.
fn compare_overlap(text: &str, expect: &[Expected], actual: &[Expected]) -> Counts {
    let mut used = vec![false; actual.len()];
    let mut c = Counts::default();
    for e in expect {
        let Some((s, x)) = span(text, e) else {
            c.fneg += 1;
            continue;
        };
        let hit = actual.iter().enumerate().position(|(i, a)| {
            !used[i]
                && a.entity_type == e.entity_type
                && a.start.is_some_and(|as_| as_ < x)
                && a.end.is_some_and(|ae| ae > s)
        });
        match hit {
            Some(i) => {
                used[i] = true;
                c.tp += 1;
            }
            None => c.fneg += 1,
        }
    }
    c.fp = used.iter().filter(|u| !**u).count();
    c
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let misses = args.iter().any(|a| a == "--misses");
    let mut exact: BTreeMap<String, Counts> = BTreeMap::new();
    let mut overlap: BTreeMap<String, Counts> = BTreeMap::new();
    let mut cases = 0;
    for path in args.iter().filter(|a| !a.starts_with("--")) {
        #[derive(serde::Deserialize)]
        struct File {
            cases: Vec<DetectCase>,
        }
        let raw = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"));
        let file: File = serde_json::from_str(&raw).unwrap_or_else(|e| panic!("parse {path}: {e}"));
        for case in file.cases {
            cases += 1;
            let actual = native_detect(&case);
            let (tp, fp, fneg) = compare(&case.expect, &actual);
            for (list, field) in [(&tp, 0), (&fp, 1), (&fneg, 2)] {
                for e in list {
                    let c = exact.entry(e.entity_type.clone()).or_default();
                    *[&mut c.tp, &mut c.fp, &mut c.fneg][field] += 1;
                    if misses && field != 0 {
                        let what = if field == 1 {
                            "false positive"
                        } else {
                            "missed"
                        };
                        println!("{what:>14} {:<20} {}", e.entity_type, case.name);
                    }
                }
            }
            let types: std::collections::BTreeSet<&String> = case
                .expect
                .iter()
                .chain(&actual)
                .map(|e| &e.entity_type)
                .collect();
            for t in types {
                let pick = |v: &[Expected]| -> Vec<Expected> {
                    v.iter().filter(|e| &e.entity_type == t).cloned().collect()
                };
                let c = compare_overlap(&case.text, &pick(&case.expect), &pick(&actual));
                let o = overlap.entry(t.clone()).or_default();
                o.tp += c.tp;
                o.fp += c.fp;
                o.fneg += c.fneg;
            }
        }
    }
    println!("{cases} cases");
    println!(
        "{:<22} {:>4} {:>4} {:>4} {:>9} {:>7} | overlap: {:>4} {:>4} {:>4} {:>9} {:>7}",
        "type", "tp", "fp", "fn", "precision", "recall", "tp", "fp", "fn", "precision", "recall"
    );
    let mut all = (Counts::default(), Counts::default());
    for (t, c) in &exact {
        let o = overlap.get(t).map(Counts::line).unwrap_or_default();
        println!("{t:<22} {} | overlap: {o}", c.line());
        all.0.tp += c.tp;
        all.0.fp += c.fp;
        all.0.fneg += c.fneg;
    }
    for c in overlap.values() {
        all.1.tp += c.tp;
        all.1.fp += c.fp;
        all.1.fneg += c.fneg;
    }
    println!("{:<22} {} | overlap: {}", "all", all.0.line(), all.1.line());
}
