//! Text and JSON reports. Neither contains matched text (see [`super::hit`]).

use serde::Serialize;

use super::hit::Hit;
use super::source::SkipReason;
use super::{Meta, Outcome, ScanError, Skipped};

/// One line per finding: `path:line:column: type (group, confidence C[, starts with `P`])`.
pub fn text(o: &Outcome) -> String {
    let mut out = String::new();
    for f in &o.files {
        for h in &f.hits {
            out.push_str(&format!(
                "{}:{}:{}: {} ({}, confidence {}",
                f.path, h.line, h.column, h.entity_type, h.group, h.confidence
            ));
            if let Some(p) = h.hint {
                out.push_str(&format!(", starts with `{p}`"));
            }
            out.push_str(")\n");
        }
    }
    out
}

fn plural(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `1.2 MiB`-style sizes.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = "KiB";
    for u in UNITS.iter().skip(1) {
        if v < 1024.0 {
            break;
        }
        v /= 1024.0;
        unit = u;
    }
    format!("{v:.1} {unit}")
}

/// The stderr summary line.
pub fn summary(o: &Outcome, max_size: Option<u64>) -> String {
    let n = o.findings();
    let mut s = if n == 0 {
        "datafog-shim scan: no findings".to_owned()
    } else {
        format!(
            "datafog-shim scan: {} in {}",
            plural(n as u64, "finding", "findings"),
            plural(o.files.len() as u64, "file", "files")
        )
    };
    s.push_str(&format!(
        "; scanned {} ({})",
        plural(o.files_scanned, "file", "files"),
        human_bytes(o.bytes_scanned)
    ));
    if !o.skipped.is_empty() {
        let count = |r| o.skipped.iter().filter(|k| k.reason == r).count() as u64;
        let mut parts = Vec::new();
        let binary = count(SkipReason::Binary);
        if binary > 0 {
            parts.push(format!("{binary} binary"));
        }
        let large = count(SkipReason::TooLarge);
        if large > 0 {
            let limit = max_size.map(human_bytes).unwrap_or_default();
            parts.push(format!("{large} over {limit}"));
        }
        let other = count(SkipReason::NotAFile);
        if other > 0 {
            parts.push(format!("{other} not a file"));
        }
        s.push_str(&format!(
            "; skipped {} ({})",
            o.skipped.len(),
            parts.join(", ")
        ));
    }
    if o.allowed > 0 {
        s.push_str(&format!("; {} allowed by `datafog:allow`", o.allowed));
    }
    if !o.errors.is_empty() {
        s.push_str(&format!(
            "; {}",
            plural(o.errors.len() as u64, "error", "errors")
        ));
    }
    s
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

const TOOL: Tool = Tool {
    name: "datafog-shim",
    version: env!("CARGO_PKG_VERSION"),
};

#[derive(Serialize)]
struct JsonFinding<'a> {
    path: &'a str,
    #[serde(flatten)]
    hit: &'a Hit,
}

#[derive(Serialize)]
struct JsonSummary {
    findings: usize,
    files_with_findings: usize,
    files_scanned: u64,
    bytes_scanned: u64,
    skipped: usize,
    errors: usize,
    allowed: usize,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    tool: &'a Tool,
    entities: &'a [String],
    min_confidence: f64,
    findings: Vec<JsonFinding<'a>>,
    skipped: &'a [Skipped],
    errors: &'a [ScanError],
    summary: JsonSummary,
}

/// The JSON report (one document, pretty-printed, with a trailing newline).
pub fn json(o: &Outcome, meta: &Meta) -> String {
    let report = JsonReport {
        tool: &TOOL,
        entities: &meta.entities,
        min_confidence: meta.min_confidence,
        findings: o
            .files
            .iter()
            .flat_map(|f| f.hits.iter().map(|hit| JsonFinding { path: &f.path, hit }))
            .collect(),
        skipped: &o.skipped,
        errors: &o.errors,
        summary: JsonSummary {
            findings: o.findings(),
            files_with_findings: o.files.len(),
            files_scanned: o.files_scanned,
            bytes_scanned: o.bytes_scanned,
            skipped: o.skipped.len(),
            errors: o.errors.len(),
            allowed: o.allowed,
        },
    };
    let mut s = serde_json::to_string_pretty(&report).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_bytes(10), "10 B");
        assert_eq!(human_bytes(10 << 20), "10.0 MiB");
        assert_eq!(human_bytes(1536), "1.5 KiB");
    }
}
