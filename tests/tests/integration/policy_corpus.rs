//! Every golden policy case (`tests/corpus/policy/*.json`) through the native core, and every
//! shipped policy file parsed.

use datafog_conformance::policy_corpus::{native_load, policy_files, run_native};
use datafog_conformance::repo_root;

#[test]
fn policy_corpus_matches_expectations() {
    let files = policy_files().unwrap_or_else(|e| panic!("corpus: {e}"));
    assert!(files.len() >= 10, "policy corpus missing");
    let cases: usize = files.iter().map(|f| f.cases.len().max(1)).sum();
    let failures: Vec<String> = files.iter().flat_map(run_native).collect();
    assert!(
        failures.is_empty(),
        "{} of {cases} policy cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_config_policy_parses() {
    let root = repo_root().join("config");
    let mut paths = vec![root.join("policy.json")];
    let mut examples: Vec<_> = std::fs::read_dir(root.join("examples"))
        .expect("config/examples")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    examples.sort();
    assert!(examples.len() >= 3);
    paths.extend(examples);
    for p in paths {
        let bytes = std::fs::read(&p).expect("read policy");
        if let Err(errs) = native_load(&bytes) {
            panic!("{}: {errs:?}", p.display());
        }
    }
}
