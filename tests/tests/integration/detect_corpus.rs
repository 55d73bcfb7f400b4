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
    cases: usize,
    tp: usize,
    fp: usize,
    fneg: usize,
}

impl Counts {
    fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }

    fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fneg)
    }
}

/// `num / den`, 1.0 when there is nothing to count.
fn ratio(num: usize, den: usize) -> f64 {
    if den == 0 {
        1.0
    } else {
        num as f64 / den as f64
    }
}

fn print_table(title: &str, table: &BTreeMap<String, Counts>) {
    let width = table.keys().map(String::len).max().unwrap_or(4).max(4);
    println!(
        "{title:<width$} {:>5} {:>5} {:>5} {:>5} {:>9} {:>7}",
        "cases", "tp", "fp", "fn", "precision", "recall"
    );
    for (key, c) in table {
        println!(
            "{key:<width$} {:>5} {:>5} {:>5} {:>5} {:>9.3} {:>7.3}",
            c.cases,
            c.tp,
            c.fp,
            c.fneg,
            c.precision(),
            c.recall()
        );
    }
}

/// Precision and recall per entity type (asserted: every type >= the floors below, and every
/// type has a true positive) and per form (printed: which real-world forms are weak).
#[test]
fn accuracy_per_type() {
    let mut types: BTreeMap<String, Counts> = BTreeMap::new();
    let mut forms: BTreeMap<String, Counts> = BTreeMap::new();
    for (file, case) in detect_cases() {
        let actual = native_detect(&case);
        let (tp, fp, fneg) = compare(&case.expect, &actual);
        let form = forms.entry(case.form(&file)).or_default();
        form.cases += 1;
        form.tp += tp.len();
        form.fp += fp.len();
        form.fneg += fneg.len();
        let mut seen = std::collections::BTreeSet::new();
        for e in case.expect.iter().chain(&actual) {
            if seen.insert(e.entity_type.clone()) {
                types.entry(e.entity_type.clone()).or_default().cases += 1;
            }
        }
        for e in tp {
            types.entry(e.entity_type).or_default().tp += 1;
        }
        for e in fp {
            types.entry(e.entity_type).or_default().fp += 1;
        }
        for e in fneg {
            types.entry(e.entity_type).or_default().fneg += 1;
        }
    }
    print_table("type", &types);
    println!();
    print_table("form", &forms);
    let mut bad = Vec::new();
    for (t, c) in &types {
        let (precision, recall) = (c.precision(), c.recall());
        if precision < PRECISION_FLOOR || recall < RECALL_FLOOR {
            bad.push(format!("{t}: precision {precision:.3}, recall {recall:.3}"));
        }
    }
    for t in datafog::EntityType::ALL {
        if types.get(t.as_str()).is_none_or(|c| c.tp == 0) {
            bad.push(format!("{t}: no true positive in the corpus"));
        }
    }
    assert!(bad.is_empty(), "accuracy below target:\n{}", bad.join("\n"));
}

/// Floors per entity type on our own corpus (issue 11 asks for >= 0.95 on both; precision is held
/// higher because a false positive rewrites a payload the user needed).
const PRECISION_FLOOR: f64 = 0.97;
const RECALL_FLOOR: f64 = 0.95;
