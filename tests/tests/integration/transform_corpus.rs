//! Every transform golden case through the native core.

use datafog_conformance::transform_corpus::{check, native_transform, transform_cases};

#[test]
fn transform_corpus_matches() {
    let cases = transform_cases();
    assert!(
        cases.len() >= 40,
        "transform corpus too small: {}",
        cases.len()
    );
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(file, case)| {
            check(case, &native_transform(case))
                .err()
                .map(|e| format!("{file} / {}: {e}", case.name))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn transform_corpus_names_are_unique() {
    let mut seen = std::collections::HashSet::new();
    for (file, case) in transform_cases() {
        assert!(
            seen.insert(case.name.clone()),
            "{file}: duplicate case name {}",
            case.name
        );
    }
}
