//! Every labelled detection case through the native core, plus the per-type accuracy table.

use std::collections::BTreeMap;

use datafog_conformance::{compare, detect_cases, native_detect};

#[test]
fn corpus_cases_match_labels() {
    let cases = detect_cases();
    assert!(!cases.is_empty(), "no detection corpus found");
    let mut failures = Vec::new();
    for (file, case) in &cases {
        let actual = native_detect(case);
        let (_, fp, fneg) = compare(&case.expect, &actual);
        let differs = !fp.is_empty() || !fneg.is_empty();
        if case.known_gap.is_some() {
            // A gap that closed must be promoted to a normal case.
            assert!(
                differs,
                "{file} / {}: known_gap no longer differs; remove the mark",
                case.name
            );
            continue;
        }
        if differs {
            failures.push(format!(
                "{file} / {}: unexpected {fp:?}; missing {fneg:?}",
                case.name
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[derive(Default)]
struct Counts {
    tp: usize,
    fp: usize,
    fneg: usize,
}

#[test]
fn accuracy_per_type() {
    let mut table: BTreeMap<String, Counts> = BTreeMap::new();
    for (_, case) in detect_cases() {
        let actual = native_detect(&case);
        let (tp, fp, fneg) = compare(&case.expect, &actual);
        for e in tp {
            table.entry(e.entity_type).or_default().tp += 1;
        }
        for e in fp {
            table.entry(e.entity_type).or_default().fp += 1;
        }
        for e in fneg {
            table.entry(e.entity_type).or_default().fneg += 1;
        }
    }
    println!(
        "{:<22} {:>5} {:>5} {:>5} {:>9} {:>7}",
        "type", "tp", "fp", "fn", "precision", "recall"
    );
    let mut bad = Vec::new();
    for (t, c) in &table {
        let precision = if c.tp + c.fp == 0 {
            1.0
        } else {
            c.tp as f64 / (c.tp + c.fp) as f64
        };
        let recall = if c.tp + c.fneg == 0 {
            1.0
        } else {
            c.tp as f64 / (c.tp + c.fneg) as f64
        };
        println!(
            "{t:<22} {:>5} {:>5} {:>5} {precision:>9.3} {recall:>7.3}",
            c.tp, c.fp, c.fneg
        );
        if precision < 0.97 || recall < 0.95 {
            bad.push(format!("{t}: precision {precision:.3}, recall {recall:.3}"));
        }
    }
    for t in datafog::EntityType::ALL {
        if table.get(t.as_str()).is_none_or(|c| c.tp == 0) {
            bad.push(format!("{t}: no true positive in the corpus"));
        }
    }
    assert!(bad.is_empty(), "accuracy below target:\n{}", bad.join("\n"));
}
