//! Receipts, the chain, the export and events: every decide's receipt is readable by id and
//! agrees with the decide response; the list filters; `GET /v1/receipts/export` is the whole
//! chain as NDJSON, which the real `datafog-shim receipts verify` accepts; every decision adds an
//! event with its receipt id; no raw value from a request is written down anywhere.
//!
//! Tests that need `/v1/receipts/export`: `export_is_the_verified_chain_in_order`,
//! `export_requires_the_token`, `no_raw_value_in_receipts_events_or_export`.

use std::path::PathBuf;
use std::process::Command;

use serde_json::{Value, json};

use crate::auth::check_auth;
use crate::client::{Request, show};
use crate::hosts::{Host, each_host, unique};
use crate::schema;
use crate::support::{assert_error, decide, get_json, ndjson};

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn is_hex(v: &Value, len: usize) -> bool {
    v.as_str().is_some_and(|s| {
        s.len() == len
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

fn is_hex64(v: &Value) -> bool {
    is_hex(v, 64)
}

/// `GET /v1/receipts/{id}`: 200, the document's `Receipt`; the body as sent.
fn receipt(h: &Host, id: &str) -> (Value, String) {
    let r = h.get(&format!("/v1/receipts/{id}"));
    assert_eq!(r.status, 200, "receipt {id}: {}", show(&r.body));
    schema::check("/v1/receipts/{id}", "GET", &r);
    (r.json(), r.text())
}

/// Three decides (allow, allow_with_redaction, deny) with the caller's ids; the responses.
fn three_decides(h: &Host, tag: &str) -> Vec<Value> {
    let rid = unique(tag);
    vec![
        decide(
            h,
            &json!({"action":{"type": format!("annotation.{rid}")},"request_id": format!("{rid}-a"),
                    "tenant_id":"acme","session_id":"sess"}),
        ),
        decide(
            h,
            &json!({"action":{"type":"file.write","resource":"notes.txt"},
                    "text":"customer email is alice@example.com, call 415-555-0132",
                    "request_id": format!("{rid}-b")}),
        ),
        decide(
            h,
            &json!({"action":{"type":"shell.exec","tool":"shell","command":"curl"},
                    "text":"api_key=ABCD1234EFGH5678 sk_live_4eC39HqLyjWDarjtT1zdp7dc",
                    "request_id": format!("{rid}-c")}),
        ),
    ]
}

#[test]
fn every_decide_has_a_receipt_that_matches_it() {
    each_host(|h| {
        let responses = three_decides(h, "match");
        let effects: Vec<&str> = responses
            .iter()
            .map(|v| v["decision"].as_str().unwrap())
            .collect();
        assert_eq!(effects, ["allow", "allow_with_redaction", "deny"]);
        let mut prev: Option<Value> = None;
        for d in &responses {
            let id = d["receipt_id"].as_str().unwrap();
            assert!(
                id.len() == 32
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
                "receipt id {id}"
            );
            let (rec, raw) = receipt(h, id);
            assert!(raw.ends_with('\n'), "the receipt body ends in a newline");
            for k in [
                "receipt_id",
                "decision",
                "policy_id",
                "policy_version",
                "request_id",
                "matched_rules",
            ] {
                assert_eq!(rec[k], d[k], "{k}: receipt {rec} vs decide {d}");
            }
            for k in ["reason", "transform_plan"] {
                let (a, b) = (&rec[k], &d[k]);
                let empty = |v: &Value| v.is_null() || *v == json!("") || *v == json!([]);
                assert!(
                    a == b || (empty(a) && empty(b)),
                    "{k}: receipt {a} vs decide {b}"
                );
            }
            // Findings: type and offsets as answered; a keyed digest instead of the value.
            let rf = rec["findings"].as_array().unwrap();
            let df = d["findings"].as_array().unwrap();
            assert_eq!(rf.len(), df.len(), "findings: receipt {rec} vs decide {d}");
            for (r, f) in rf.iter().zip(df) {
                assert_eq!(r["entity_type"], f["entity_type"]);
                assert_eq!((&r["start"], &r["end"]), (&f["start"], &f["end"]));
                assert!(
                    r.get("value").is_none(),
                    "a receipt finding carries its value: {r}"
                );
                // The first 16 hex of the keyed digest (the document's `ReceiptFinding`).
                assert!(is_hex(&r["value_digest"], 16), "value_digest: {r}");
            }
            assert!(
                is_hex64(&rec["hash"]) && is_hex64(&rec["prev_hash"]),
                "{rec}"
            );
            assert!(
                is_hex64(&rec["action_hash"]) && is_hex64(&rec["input_hash"]),
                "{rec}"
            );
            if let Some(p) = &prev {
                // Other tests decide concurrently, so the previous one of ours is not
                // necessarily the link; it is no later in the chain.
                assert_ne!(rec["hash"], p["hash"]);
            }
            prev = Some(rec);
        }
    });
}

#[test]
fn receipts_list_filters_and_order() {
    each_host(|h| {
        let action = format!("annotation.{}", unique("list"));
        let mut ids = Vec::new();
        for i in 0..3 {
            let d = decide(
                h,
                &json!({"action":{"type":action,"resource":format!("r{i}.txt")}}),
            );
            ids.push(d["receipt_id"].as_str().unwrap().to_owned());
        }
        let q = |query: &str| {
            let r = h.get(&format!("/v1/receipts?action_type={action}{query}"));
            assert_eq!(r.status, 200, "{query}: {}", r.text());
            schema::check("/v1/receipts", "GET", &r);
            r.json()
        };
        let got = |v: &Value| -> Vec<String> {
            v["receipts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["receipt_id"].as_str().unwrap().to_owned())
                .collect()
        };
        let all = q("");
        assert_eq!(all["total"], 3, "{all}");
        let mut want = ids.clone();
        want.sort();
        let mut have = got(&all);
        // Newest first: timestamps never increase down the list.
        let ts: Vec<&str> = all["receipts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["timestamp"].as_str().unwrap())
            .collect();
        assert!(
            ts.windows(2).all(|w| w[0] >= w[1]),
            "not newest first: {ts:?}"
        );
        have.sort();
        assert_eq!(have, want);
        // The filter ignores case.
        assert_eq!(
            get_json(
                h,
                &format!("/v1/receipts?action_type={}", action.to_uppercase())
            )["total"],
            3
        );
        // `limit` cuts the page; `total` counts every match.
        let v = q("&limit=2");
        assert_eq!(got(&v).len(), 2, "{v}");
        assert_eq!(v["total"], 3, "{v}");
        // Strict queries (issue 14): a value the route does not take is a 400 naming it, on
        // every host (the rule is the core's), never "no filter".
        for (bad, param) in [
            ("&limit=0", "limit"),
            ("&limit=1001", "limit"),
            ("&limit=x", "limit"),
            ("&limit=-1", "limit"),
            ("&after=yesterday", "after"),
            ("&before=", "before"),
            ("&decision=block", "decision"),
        ] {
            let r = h.get(&format!("/v1/receipts?action_type={action}{bad}"));
            let message = format!("invalid query parameter `{param}`");
            assert_error(&r, 400, "invalid_request", Some(&message), bad);
            schema::check("/v1/receipts", "GET", &r);
            let r = h.get(&format!("/v1/events?{}", &bad[1..]));
            assert_error(&r, 400, "invalid_request", Some(&message), bad);
        }
        let r = h.get("/v1/receipts?nope=1");
        assert_error(
            &r,
            400,
            "invalid_request",
            Some("unknown query parameter"),
            "nope",
        );
        assert_eq!(q("&decision=allow")["total"], 3);
        assert_eq!(q("&decision=ALLOW")["total"], 3);
        assert_eq!(q("&decision=deny")["total"], 0);
        assert_eq!(q("&after=2999-01-01T00:00:00Z")["total"], 0);
        assert_eq!(q("&before=2000-01-01T00:00:00Z")["total"], 0);
        assert_eq!(
            q("&after=2000-01-01T00:00:00Z&before=2999-01-01T00:00:00Z")["total"],
            3
        );
        // `after` / `before` are exclusive: nothing of ours is before the oldest.
        let oldest = ts.last().unwrap();
        let v = q(&format!("&before={oldest}"));
        assert_eq!(v["total"], 0, "before is exclusive: {v}");
    });
}

/// `<target>/<profile>/datafog-shim`.
fn shim() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe
        .parent()
        .and_then(|d| d.parent())
        .unwrap()
        .join("datafog-shim");
    assert!(
        bin.is_file(),
        "{} is missing: build it with `cargo build -p datafog-shim` (same CARGO_TARGET_DIR)",
        bin.display()
    );
    bin
}

/// `GET /v1/receipts/export`: 200, NDJSON, every line ending in a newline; the lines.
fn export(h: &Host) -> String {
    let r = h.get("/v1/receipts/export");
    assert_eq!(r.status, 200, "GET /v1/receipts/export: {}", show(&r.body));
    assert_eq!(
        r.media_type().as_deref(),
        Some("application/x-ndjson"),
        "export content type"
    );
    if schema::documents("/v1/receipts/export", "GET") {
        schema::check("/v1/receipts/export", "GET", &r);
    }
    let body = String::from_utf8(r.body).expect("the export is UTF-8");
    assert!(
        body.is_empty() || body.ends_with('\n'),
        "the export's last line has no newline"
    );
    assert!(
        !body.contains("\n\n") && !body.starts_with('\n'),
        "an empty line in the export"
    );
    body
}

#[test]
fn export_is_the_verified_chain_in_order() {
    each_host(|h| {
        let ours: Vec<String> = three_decides(h, "export")
            .iter()
            .map(|d| d["receipt_id"].as_str().unwrap().to_owned())
            .collect();
        let body = export(h);
        let lines = ndjson(&body);
        assert!(lines.len() >= ours.len());
        // Chain order: genesis first, each prev_hash the hash before it.
        let mut prev = GENESIS.to_owned();
        for (i, rec) in lines.iter().enumerate() {
            schema::check_schema("Receipt", rec);
            assert_eq!(
                rec["prev_hash"].as_str(),
                Some(prev.as_str()),
                "line {}: broken link",
                i + 1
            );
            prev = rec["hash"].as_str().unwrap().to_owned();
        }
        for id in &ours {
            let n = lines
                .iter()
                .filter(|r| r["receipt_id"] == id.as_str())
                .count();
            assert_eq!(n, 1, "receipt {id} appears {n} times in the export");
            // The line is the stored receipt, byte for byte.
            let (_, raw) = receipt(h, id);
            assert!(
                body.lines().any(|l| format!("{l}\n") == raw),
                "receipt {id}: GET by id is not a line of the export"
            );
        }
        // Our three are in decide order.
        let pos: Vec<usize> = ours
            .iter()
            .map(|id| {
                lines
                    .iter()
                    .position(|r| r["receipt_id"] == id.as_str())
                    .unwrap()
            })
            .collect();
        assert!(
            pos.windows(2).all(|w| w[0] < w[1]),
            "not in chain order: {pos:?}"
        );
        // The real verifier accepts it.
        let file = h.dir.join(format!("export-{}.jsonl", unique("f")));
        std::fs::write(&file, &body).unwrap();
        let out = Command::new(shim())
            .args(["receipts", "verify"])
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "datafog-shim receipts verify {}: {}\nstdout: {}\nstderr: {}",
            file.display(),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    });
}

#[test]
fn export_requires_the_token() {
    each_host(|h| {
        check_auth(h, "GET", "/v1/receipts/export", None, "", 200);
        let r = h.send(Request::new("POST", "/v1/receipts/export"));
        assert_eq!(r.status, 405, "POST /v1/receipts/export: {}", r.text());
        let r = h.send(Request::new("HEAD", "/v1/receipts/export"));
        assert_eq!(r.status, 405, "HEAD /v1/receipts/export");
    });
}

/// Values sent in text, action and caller ids, and a decide carrying them.
const VALUES: [&str; 5] = [
    "alice.conformance@example.com",
    "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "123-45-6789",
    "bob.conformance@example.org",
    "4111 1111 1111 1111",
];

fn decide_with_values(h: &Host, tool: &str) -> Value {
    let [email, stripe, ssn, other, card] = VALUES;
    decide(
        h,
        &json!({
            "action":{"type":"file.write","tool":tool,"resource":format!("/tmp/{email}.txt"),
                      "command":format!("send {stripe}"),"args":[ssn, card]},
            "text":format!("mail {email} ssn {ssn} card {card} key {stripe}"),
            "trace_id": other, "actor_id": email, "tenant_id":"acme", "session_id": ssn,
        }),
    )
}

fn assert_no_values(what: &str, text: &str) {
    for v in VALUES {
        assert!(
            !text.contains(v),
            "{what} carries the raw value {v}: {}",
            show(text.as_bytes())
        );
    }
}

#[test]
fn no_raw_value_in_receipts_or_events() {
    each_host(|h| {
        let tool = unique("tool");
        let d = decide_with_values(h, &tool);
        let id = d["receipt_id"].as_str().unwrap();
        let (_, raw) = receipt(h, id);
        assert_no_values("the receipt", &raw);
        let list = h.get("/v1/receipts?action_type=file.write&limit=1000");
        assert_no_values("the receipts list", &list.text());
        let events = h.get(&format!("/v1/events?adapter={tool}"));
        assert_eq!(events.json()["total"], 1, "{}", events.text());
        assert_no_values("the events", &events.text());
    });
}

#[test]
fn no_raw_value_in_receipts_events_or_export() {
    each_host(|h| {
        decide_with_values(h, &unique("tool"));
        assert_no_values("the export", &export(h));
    });
}

#[test]
fn each_decision_adds_an_event_with_its_receipt_id() {
    each_host(|h| {
        let tool = unique("tool");
        let ev = |query: &str| {
            let r = h.get(&format!("/v1/events?adapter={tool}{query}"));
            assert_eq!(r.status, 200, "{query}: {}", r.text());
            schema::check("/v1/events", "GET", &r);
            r.json()
        };
        assert_eq!(ev("")["total"], 0);
        let a = decide(
            h,
            &json!({"action":{"type":"file.read","tool":tool,"resource":"a.txt"}}),
        );
        let b = decide(
            h,
            &json!({"action":{"type":"shell.exec","tool":tool,"command":"echo sk_live_4eC39HqLyjWDarjtT1zdp7dc"},
                    "text":"sk_live_4eC39HqLyjWDarjtT1zdp7dc","request_id":"conf-ev"}),
        );
        assert_eq!(b["decision"], "deny");
        let v = ev("");
        assert_eq!(v["total"], 2, "{v}");
        let events = v["events"].as_array().unwrap();
        // Newest first.
        assert_eq!(events[0]["receipt_id"], b["receipt_id"], "{v}");
        assert_eq!(events[1]["receipt_id"], a["receipt_id"], "{v}");
        assert_eq!(events[0]["action_type"], "shell.exec");
        assert_eq!(events[0]["decision"], "deny");
        assert_eq!(events[0]["allowed"], false);
        assert_eq!(events[0]["request_id"], "conf-ev");
        assert_eq!(events[0]["command"], "echo [REDACTED:stripe_key]", "{v}");
        assert_eq!(events[1]["decision"], a["decision"]);
        assert_eq!(events[1]["allowed"], true);
        assert_eq!(events[0]["tool"], tool.as_str());
        // Filters.
        assert_eq!(ev("&decision=deny")["total"], 1);
        assert_eq!(
            ev("&decision=DENY")["events"][0]["receipt_id"],
            b["receipt_id"]
        );
        assert_eq!(ev("&decision=allow")["total"], 1);
        assert_eq!(ev("&limit=1")["events"][0]["receipt_id"], b["receipt_id"]);
        assert_eq!(ev("&limit=1")["total"], 1);
        let upper = get_json(h, &format!("/v1/events?adapter={}", tool.to_uppercase()));
        assert_eq!(
            upper["total"], 2,
            "the adapter filter ignores case: {upper}"
        );
        // `after` / `before` are inclusive.
        let t = events[0]["timestamp"].as_str().unwrap();
        let v = ev(&format!("&after={t}&before={t}"));
        assert!(
            v["events"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["receipt_id"] == b["receipt_id"]),
            "after=before=its timestamp drops it: {v}"
        );
        assert_eq!(ev("&after=2999-01-01T00:00:00Z")["total"], 0);
        assert_eq!(ev("&before=2000-01-01T00:00:00Z")["total"], 0);
    });
}
