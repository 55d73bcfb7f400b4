//! SARIF 2.1.0 output, as GitHub code scanning accepts it.
//!
//! - `tool.driver.rules`: one rule per entity type the scan reports (`--entities`), `id` = the
//!   entity type's wire name (`github_token`), with the core's title and description
//!   (`EntityType::title`, `EntityType::description`), a default level
//!   (`error` for secrets, `warning` for PII) and a `security-severity` (8.5 / 5.0) for GitHub.
//! - `results`: `ruleId` + `ruleIndex`, `level`, a message without the value, and one location:
//!   `artifactLocation.uri` relative to `%SRCROOT%` (the working directory, or the repository's
//!   top level with `--staged`), percent-encoded with `/` separators; `region` with 1-based
//!   `startLine`/`startColumn`/`endLine`/`endColumn` (`endColumn` exclusive) in Unicode code
//!   points (`run.columnKind` = `unicodeCodePoints`), plus `byteOffset`/`byteLength`.
//! - `invocations[0].executionSuccessful` is false when a file could not be read, and each error
//!   is a `toolExecutionNotifications` entry.

use datafog::entity::EntityType;
use serde_json::{Value, json};

use super::hit::group_of;
use super::{Meta, Outcome};

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(group: &str) -> &'static str {
    if group == "secret" {
        "error"
    } else {
        "warning"
    }
}

fn rule(t: EntityType) -> Value {
    let group = group_of(Some(t));
    let (help, severity) = if group == "secret" {
        (
            "A credential is committed in clear text. Remove it from the file (and from history \
             if it was pushed), rotate it, and load it from a secret store or the environment. \
             If it is a deliberate test value, add `datafog:allow` to its line.",
            "8.5",
        )
    } else {
        (
            "Personal data in a source file. Remove it or replace it with synthetic data. If it \
             is deliberate, add `datafog:allow` to its line.",
            "5.0",
        )
    };
    json!({
        "id": t.as_str(),
        "name": t.as_str(),
        "shortDescription": { "text": t.title() },
        "fullDescription": { "text": t.description() },
        "help": { "text": help },
        "defaultConfiguration": { "level": level(group) },
        "properties": {
            "tags": ["security", group],
            "security-severity": severity,
        },
    })
}

/// Percent-encode a `/`-separated relative path (or an absolute one as a `file://` URI) per
/// RFC 3986: unreserved characters and `/` are kept, every other byte is `%XX`.
pub fn path_uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The SARIF log (pretty-printed, with a trailing newline).
pub fn render(o: &Outcome, meta: &Meta) -> String {
    let types: Vec<EntityType> = EntityType::ALL
        .into_iter()
        .filter(|t| meta.filter.contains(*t))
        .collect();
    let rules: Vec<Value> = types.iter().map(|t| rule(*t)).collect();
    let mut results = Vec::new();
    for f in &o.files {
        let uri = path_uri(&f.path);
        let relative = !f.path.starts_with('/');
        for h in &f.hits {
            let index = types.iter().position(|t| t.as_str() == h.entity_type);
            let mut message = format!(
                "{} ({}, confidence {}",
                EntityType::parse(&h.entity_type).map_or(h.entity_type.as_str(), |t| t.title()),
                h.group,
                h.confidence
            );
            if let Some(p) = h.hint {
                message.push_str(&format!(", starts with `{p}`"));
            }
            message.push_str("). The value is not shown.");
            let mut artifact = json!({ "uri": uri });
            if relative && let Some(obj) = artifact.as_object_mut() {
                obj.insert("uriBaseId".into(), json!("%SRCROOT%"));
            }
            let mut result = json!({
                "ruleId": h.entity_type,
                "level": level(h.group),
                "message": { "text": message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": artifact,
                        "region": {
                            "startLine": h.line,
                            "startColumn": h.column,
                            "endLine": h.end_line,
                            "endColumn": h.end_column,
                            "byteOffset": h.start,
                            "byteLength": h.end.saturating_sub(h.start),
                        },
                    },
                }],
                "properties": { "confidence": h.confidence },
            });
            if let (Some(i), Some(obj)) = (index, result.as_object_mut()) {
                obj.insert("ruleIndex".into(), json!(i));
            }
            results.push(result);
        }
    }
    let notifications: Vec<Value> = o
        .errors
        .iter()
        .map(|e| {
            let text = if e.path.is_empty() {
                e.message.clone()
            } else {
                format!("`{}`: {}", e.path, e.message)
            };
            json!({ "level": "error", "message": { "text": text } })
        })
        .collect();
    let mut run = json!({
        "tool": {
            "driver": {
                "name": "datafog-shim",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/datafog/datafog-rs",
                "rules": rules,
            }
        },
        "columnKind": "unicodeCodePoints",
        "invocations": [{
            "executionSuccessful": o.errors.is_empty(),
            "toolExecutionNotifications": notifications,
        }],
        "results": results,
    });
    if let (Some(root), Some(obj)) = (&meta.root, run.as_object_mut()) {
        let mut base = path_uri(&super::source::display_path(root, None));
        if !base.ends_with('/') {
            base.push('/');
        }
        obj.insert(
            "originalUriBaseIds".into(),
            json!({ "%SRCROOT%": { "uri": base } }),
        );
    }
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [run],
    });
    let mut s = serde_json::to_string_pretty(&log).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_encoded() {
        assert_eq!(path_uri("src/a b#1.txt"), "src/a%20b%231.txt");
        assert_eq!(path_uri("/tmp/é"), "file:///tmp/%C3%A9");
        assert_eq!(path_uri("../x"), "../x");
    }
}
