//! The golden detect corpus (`tests/corpus/detect`, loaded by `datafog_conformance`) through
//! `/v1/scan` of each host, over one keep-alive connection: every case's findings (byte offsets)
//! must be its labels, as `tests/integration/detect_corpus.rs` requires of the core; a case
//! marked `known_gap` must still differ (a closed gap is promoted to a normal case).

use datafog_conformance::{Expected, compare, detect_cases};
use serde_json::{Value, json};

use crate::client::{Conn, Request, show};
use crate::hosts::{Host, each_host};

/// `POST /v1/scan` on `conn`, reopened once if the server closed it.
fn scan(h: &Host, conn: &mut Conn, body: &Value) -> Value {
    let req = h.authorize(Request::post_json("/v1/scan", body.to_string()));
    let r = match conn.request(&req) {
        Ok(r) => r,
        Err(_) => {
            *conn = Conn::open(&h.addr).unwrap();
            conn.request(&req)
                .unwrap_or_else(|e| panic!("scan {body}: {e}"))
        }
    };
    assert_eq!(r.status, 200, "scan {body}: {}", show(&r.body));
    if r.header("connection")
        .is_some_and(|c| c.eq_ignore_ascii_case("close"))
    {
        *conn = Conn::open(&h.addr).unwrap();
    }
    r.json()
}

#[test]
fn detect_corpus_through_scan() {
    let cases = detect_cases();
    assert!(!cases.is_empty(), "no detection corpus");
    each_host(|h| {
        let mut conn = Conn::open(&h.addr).unwrap();
        let mut failures = Vec::new();
        for (i, (file, case)) in cases.iter().enumerate() {
            let mut body = json!({"text": case.text, "request_id": format!("corpus-{i}")});
            if let Some(types) = &case.types {
                body["entity_types"] = json!(types);
            }
            let v = scan(h, &mut conn, &body);
            assert_eq!(v["request_id"], format!("corpus-{i}").as_str());
            let rows: Vec<Expected> = v["findings"]
                .as_array()
                .unwrap_or_else(|| panic!("{file} / {}: no findings array: {v}", case.name))
                .iter()
                .map(|f| Expected {
                    entity_type: f["entity_type"].as_str().unwrap().to_owned(),
                    value: f["value"].as_str().unwrap().to_owned(),
                    start: f["start"].as_u64().map(|n| n as usize),
                    end: f["end"].as_u64().map(|n| n as usize),
                })
                .collect();
            // Byte offsets: the value is the text between them.
            for f in &rows {
                let slice = case.text.get(f.start.unwrap()..f.end.unwrap());
                assert_eq!(
                    slice,
                    Some(f.value.as_str()),
                    "{file} / {}: offsets of {f:?}",
                    case.name
                );
            }
            let (_, fp, fneg) = compare(&case.expect, &rows);
            let differs = !fp.is_empty() || !fneg.is_empty();
            match (&case.known_gap, differs) {
                (Some(_), false) => failures.push(format!(
                    "{file} / {}: known_gap no longer differs; remove the mark",
                    case.name
                )),
                (None, true) => failures.push(format!(
                    "{file} / {}: unexpected {fp:?}; missing {fneg:?}",
                    case.name
                )),
                _ => {}
            }
        }
        eprintln!(
            "[{}] detect corpus: {} cases through /v1/scan ({} known gaps)",
            h.name,
            cases.len(),
            cases.iter().filter(|(_, c)| c.known_gap.is_some()).count()
        );
        assert!(
            failures.is_empty(),
            "{} of {} cases differ:\n{}",
            failures.len(),
            cases.len(),
            failures.join("\n")
        );
    });
}
