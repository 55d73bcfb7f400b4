//! Shared helpers for the conformance tests: the golden corpus format and loaders, the component
//! harness ([`wasm`]) and the HTTP contract's three implementations ([`firewall`]).
//!
//! Corpus files live in `tests/corpus/<area>/*.json`. A detection file is
//! `{"cases": [DetectCase, ...]}`; see `DetectCase`.

pub mod bench_corpus;
pub mod firewall;
pub mod policy_corpus;
pub mod transform_corpus;
pub mod wasm;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// One labelled detection case. Labels are written by hand (never blessed from output): they are
/// what a careful reader says the text contains.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DetectCase {
    pub name: String,
    /// The real-world form the case exercises (`json field full_name`, `go := assignment`): the
    /// accuracy report groups by it. Absent in older files: the form is then the file name and
    /// the case name's prefix before `:` (see [`DetectCase::form`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<String>,
    pub text: String,
    /// Restrict the scan (and the comparison) to these types (request `entity_types` semantics).
    /// Absent: every type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub types: Option<Vec<String>>,
    /// Every finding the scan must report, and no others (within `types`).
    pub expect: Vec<Expected>,
    /// A documented gap: the labels say what the text really contains, the detector is known to
    /// differ. Such a case is exempt from the exact-match test but still counts (as misses or
    /// false positives) in the accuracy table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known_gap: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Expected {
    #[serde(rename = "type")]
    pub entity_type: String,
    pub value: String,
    /// Byte offsets; when present they are compared too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<usize>,
}

impl DetectCase {
    /// The case's form: its `form` field, else `<file stem>/<name prefix before ':'>`.
    pub fn form(&self, file: &str) -> String {
        if let Some(form) = &self.form {
            return form.clone();
        }
        let stem = file.strip_suffix(".json").unwrap_or(file);
        match self.name.split_once(':') {
            Some((prefix, _)) => format!("{stem}/{}", prefix.trim()),
            None => stem.to_string(),
        }
    }
}

/// The repository root (this crate lives in `tests/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".."))
}

/// Every `*.json` file in `tests/corpus/<area>`, sorted.
pub fn corpus_files(area: &str) -> Vec<PathBuf> {
    let dir = repo_root().join("tests").join("corpus").join(area);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Every case of every `tests/corpus/<area>/*.json` file (`{"cases": [...]}`), tagged with its
/// file name. Panics on unreadable files: the corpus is ours.
pub fn corpus_cases<T: serde::de::DeserializeOwned>(area: &str) -> Vec<(String, T)> {
    #[derive(Deserialize)]
    struct File<T> {
        cases: Vec<T>,
    }
    let mut out = Vec::new();
    for path in corpus_files(area) {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let raw = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        let file: File<T> =
            serde_json::from_str(&raw).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()));
        out.extend(file.cases.into_iter().map(|c| (name.clone(), c)));
    }
    out
}

/// Every detection case, tagged with its file name.
pub fn detect_cases() -> Vec<(String, DetectCase)> {
    corpus_cases("detect")
}

/// Run the native core on a case and return its findings as `Expected` rows (with offsets).
pub fn native_detect(case: &DetectCase) -> Vec<Expected> {
    let filter = match &case.types {
        Some(t) => datafog::TypeFilter::from_names(t),
        None => datafog::TypeFilter::all(),
    };
    let opts = datafog::ScanOptions {
        filter,
        ..datafog::ScanOptions::default()
    };
    let bytes = case.text.as_bytes();
    datafog::scan(bytes, &opts)
        .into_iter()
        .map(|f| Expected {
            entity_type: f.entity_type.into_owned(),
            value: String::from_utf8_lossy(bytes.get(f.start..f.end).unwrap_or_default())
                .into_owned(),
            start: Some(f.start),
            end: Some(f.end),
        })
        .collect()
}

/// Compare expectations with actual findings. Returns (true positives, false positives,
/// false negatives) as rows, matching on type + value (+ offsets where the label has them).
pub fn compare(
    expect: &[Expected],
    actual: &[Expected],
) -> (Vec<Expected>, Vec<Expected>, Vec<Expected>) {
    let mut unmatched: Vec<Option<&Expected>> = actual.iter().map(Some).collect();
    let mut tp = Vec::new();
    let mut fneg = Vec::new();
    for e in expect {
        let hit = unmatched.iter_mut().find(|a| {
            a.is_some_and(|a| {
                a.entity_type == e.entity_type
                    && a.value == e.value
                    && e.start.is_none_or(|s| a.start == Some(s))
                    && e.end.is_none_or(|x| a.end == Some(x))
            })
        });
        match hit {
            Some(slot) => {
                tp.push(e.clone());
                *slot = None;
            }
            None => fneg.push(e.clone()),
        }
    }
    let fpos = unmatched.into_iter().flatten().cloned().collect();
    (tp, fpos, fneg)
}
