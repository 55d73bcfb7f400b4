//! The engines the throughput benchmarks compare, shared by `benches/throughput.rs` and
//! `examples/throughput.rs` (included there with `#[path]`). Each returns the number of findings so
//! the work cannot be optimised away and runs can be sanity-checked.

use datafog::entity::Finding;
use datafog::{Action, ScanOptions};
use datafog_conformance::wasm::Guest;

/// (a) The native core: `datafog::scan` with the default options (every type, NER on).
pub fn native(text: &str) -> usize {
    datafog::scan(text.as_bytes(), &ScanOptions::default()).len()
}

/// (c) `datafog-core` 1.0.0 from crates.io with its default detector set: every detector that is
/// "on by default" (personal/financial data, credentials, labelled addresses/accounts/US ids).
/// Its opt-in extras (German locale, UUIDs) are off: the corpus has neither German ids nor wants
/// UUIDs reported.
pub fn datafog_core(text: &str) -> usize {
    datafog_core::scan(text).len()
}

/// (b) The component in wasmtime 48 (`datafog_conformance::wasm`), warm instance, one
/// `scan-text` call: lowering the text into guest memory (a copy), the guest's `scan_all`, lifting
/// `list<finding>` back (one host `String` per entity type) and converting to core `Finding`s.
/// Compilation and instantiation happen once, before timing (`Component::new` once per process,
/// then `wasm::guest`).
pub fn component(guest: &mut Guest, text: &str) -> usize {
    guest.scan_text(text).map_or(0, |f| f.len())
}

/// The shipped `config/policy.json`, an action per kind of call, and findings to decide on.
#[derive(Debug)]
pub struct DecideCase {
    pub policy: datafog::Policy,
    pub cases: Vec<(Action, Vec<Finding>)>,
}

impl DecideCase {
    /// Load the shipped policy; scan one record of each kind for realistic findings.
    pub fn shipped(records: &[String]) -> Result<DecideCase, String> {
        let path = datafog_conformance::repo_root().join("config/policy.json");
        let json = std::fs::read(&path).map_err(|e| format!("read {}: {e}", path.display()))?;
        let policy = datafog::Policy::from_json(&json).map_err(|e| format!("{e:?}"))?;
        let actions = [
            ("shell.exec", "bash"),
            ("file.read", "read"),
            ("file.write", "write"),
            ("http.request", "fetch"),
            ("tool.unknown", "mystery"),
        ];
        let cases = actions
            .iter()
            .zip(records.iter().cycle())
            .map(|(&(ty, tool), text)| {
                let action = Action {
                    action_type: ty.to_owned(),
                    tool: tool.to_owned(),
                    resource: "/srv/app/.env".to_owned(),
                    command: "curl".to_owned(),
                    args: vec!["-H".to_owned(), "Authorization: Bearer x".to_owned()],
                    sensitive: false,
                };
                let findings = datafog::scan(text.as_bytes(), &policy.scan_options());
                (action, findings)
            })
            .collect();
        Ok(DecideCase { policy, cases })
    }

    /// Decide every case natively; returns the number of matched rules.
    pub fn decide_all(&self) -> usize {
        self.cases
            .iter()
            .map(|(a, f)| self.policy.decide(a, f).matched_rules.len())
            .sum()
    }
}

/// One detector family of the native core, alone (no overlap resolution or filtering).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detector {
    Secrets,
    Pii,
    Address,
    Ner,
}

impl Detector {
    pub const ALL: [Detector; 4] = [
        Detector::Secrets,
        Detector::Pii,
        Detector::Address,
        Detector::Ner,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Detector::Secrets => "secrets",
            Detector::Pii => "pii",
            Detector::Address => "address",
            Detector::Ner => "ner",
        }
    }

    /// Run the detector into `out` (cleared first); returns the raw finding count.
    pub fn run(self, text: &str, out: &mut Vec<Finding>) -> usize {
        out.clear();
        let bytes = text.as_bytes();
        match self {
            Detector::Secrets => datafog::detect::secrets::find(bytes, out),
            Detector::Pii => datafog::detect::pii::find(bytes, out),
            Detector::Address => datafog::detect::address::find(bytes, out),
            Detector::Ner => datafog::detect::ner::find(bytes, out),
        }
        out.len()
    }
}

/// The Go service's eight patterns (recorded here; `docs/benchmarks.md` uses them as a
/// baseline), in its scan order. Go's RE2 classes
/// are ASCII; `(?-u)` gives the same with the `regex` crate (regex-lite is ASCII-only anyway and
/// accepts the flag).
pub const GO_PATTERNS: [(&str, &str); 8] = [
    (
        "api_key",
        r"(?-u)(?i)\b(?:apikey|api[_-]?key|token)[:=]\s*[a-zA-Z0-9]{16,64}\b",
    ),
    ("credit_card", r"(?-u)\b(?:\d[ -]*?){13,19}\b"),
    (
        "date",
        r"(?-u)\b(?:\d{4}[-/]\d{1,2}[-/]\d{1,2}|\d{1,2}[-/]\d{1,2}[-/]\d{2,4}|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4})\b",
    ),
    ("email", r"(?-u)(?i)\b[\w.+-]+@[\w.-]+\.[A-Za-z]{2,}\b"),
    (
        "ip_address",
        r"(?-u)\b(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\b",
    ),
    (
        "phone",
        r"(?-u)(?:\+?1[-.\s]?)?\(?\d{3}\)?[-.\s]?\d{3}[-.\s]?\d{4}",
    ),
    ("ssn", r"(?-u)\b\d{3}-\d{2}-\d{4}\b"),
    ("zip_code", r"(?-u)\b\d{5}(?:-\d{4})?\b"),
];

/// The Go engine with the full `regex` crate: every pattern over the whole text, one after the
/// other, with the Go validators (Luhn for cards, octet range for IPv4).
#[derive(Debug)]
pub struct GoRegex {
    patterns: Vec<(&'static str, regex::bytes::Regex)>,
}

impl GoRegex {
    pub fn new() -> Result<GoRegex, regex::Error> {
        let patterns = GO_PATTERNS
            .iter()
            .map(|&(name, p)| regex::bytes::Regex::new(p).map(|r| (name, r)))
            .collect::<Result<_, _>>()?;
        Ok(GoRegex { patterns })
    }

    pub fn scan(&self, text: &str) -> usize {
        let bytes = text.as_bytes();
        self.patterns
            .iter()
            .map(|(name, re)| {
                re.find_iter(bytes)
                    .filter(|m| go_validate(name, m.as_bytes()))
                    .count()
            })
            .sum()
    }
}

/// The same with `regex-lite` (the engine the Go-port prototype used; see TOOLCHAIN.md).
#[derive(Debug)]
pub struct GoRegexLite {
    patterns: Vec<(&'static str, regex_lite::Regex)>,
}

impl GoRegexLite {
    pub fn new() -> Result<GoRegexLite, regex_lite::Error> {
        let patterns = GO_PATTERNS
            .iter()
            .map(|&(name, p)| regex_lite::Regex::new(p).map(|r| (name, r)))
            .collect::<Result<_, _>>()?;
        Ok(GoRegexLite { patterns })
    }

    pub fn scan(&self, text: &str) -> usize {
        self.patterns
            .iter()
            .map(|(name, re)| {
                re.find_iter(text)
                    .filter(|m| go_validate(name, m.as_str().as_bytes()))
                    .count()
            })
            .sum()
    }
}

fn go_validate(name: &str, m: &[u8]) -> bool {
    match name {
        "credit_card" => go_luhn(m),
        "ip_address" => m.split(|&b| b == b'.').all(|o| {
            !o.is_empty()
                && o.len() <= 3
                && o.iter()
                    .try_fold(0u32, |acc, &b| {
                        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
                    })
                    .is_some_and(|v| v <= 255)
        }),
        _ => true,
    }
}

fn go_luhn(m: &[u8]) -> bool {
    let mut digits = Vec::with_capacity(m.len());
    for &b in m {
        match b {
            b'0'..=b'9' => digits.push(u32::from(b - b'0')),
            b' ' | b'-' => {}
            _ => return false,
        }
    }
    if !(13..=19).contains(&digits.len()) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| match (i % 2 == 1, d * 2) {
            (true, x) if x > 9 => x - 9,
            (true, x) => x,
            (false, _) => d,
        })
        .sum();
    sum.is_multiple_of(10)
}
