//! Every route's happy path, each response checked against `docs/openapi.json`.

use serde_json::{Value, json};

use crate::client::Request;
use crate::hosts::{each_host, unique};
use crate::schema;
use crate::support::{decide, policy_identity};

#[test]
fn health_and_policy_version() {
    let (id, version) = policy_identity();
    each_host(|h| {
        let r = h.get("/health");
        assert_eq!(r.status, 200, "{}", r.text());
        schema::check("/health", "GET", &r);
        let v = r.json();
        assert_eq!(v["status"], "ok");
        assert_eq!(v["policy_id"], id.as_str());
        assert_eq!(v["policy_version"], version.as_str());
        let r = h.get("/v1/policy/version");
        assert_eq!(r.status, 200, "{}", r.text());
        schema::check("/v1/policy/version", "GET", &r);
        let v = r.json();
        assert_eq!(v["policy_id"], id.as_str());
        assert_eq!(v["policy_version"], version.as_str());
    });
}

#[test]
fn openapi_document_is_the_repositorys() {
    each_host(|h| {
        let r = h.get("/openapi.json");
        assert_eq!(r.status, 200);
        schema::check("/openapi.json", "GET", &r);
        let mut diffs = Vec::new();
        json_diff("", &r.json(), schema::document(), &mut diffs);
        assert!(
            diffs.is_empty(),
            "the served document differs from docs/openapi.json at:\n{}",
            diffs.join("\n")
        );
    });
}

#[test]
fn request_id_echoed_or_generated() {
    each_host(|h| {
        let r = h.send(Request::get("/health").header("X-Request-ID", "conf-req-1"));
        assert_eq!(r.header("x-request-id"), Some("conf-req-1"));
        let r = h.get("/health");
        let id = r.header("x-request-id").unwrap_or_default();
        assert!(
            id.len() == 32
                && id
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
            "generated request id {id:?}: want 32 lowercase hex"
        );
    });
}

#[test]
fn scan_finds_values_with_offsets() {
    let (id, version) = policy_identity();
    each_host(|h| {
        let body = r#"{"text":"email jane@example.com","request_id":"conf-scan"}"#;
        let r = h.post("/v1/scan", body);
        assert_eq!(r.status, 200, "{}", r.text());
        schema::check("/v1/scan", "POST", &r);
        let v = r.json();
        assert_eq!(v["request_id"], "conf-scan");
        assert_eq!(v["policy_id"], id.as_str());
        assert_eq!(v["policy_version"], version.as_str());
        let f = v["findings"].as_array().unwrap();
        assert_eq!(f.len(), 1, "{v}");
        assert_eq!(f[0]["entity_type"], "email");
        assert_eq!(f[0]["value"], "jane@example.com");
        assert_eq!(
            (f[0]["start"].as_u64(), f[0]["end"].as_u64()),
            (Some(6), Some(22))
        );
        // Offsets in UTF-16 code units.
        let r = h.post(
            "/v1/scan",
            r#"{"text":"é jane@example.com","offset_unit":"utf16"}"#,
        );
        assert_eq!(r.status, 200, "{}", r.text());
        let v = r.json();
        assert_eq!(v["findings"][0]["start"], 2, "{v}");
        assert_eq!(v["findings"][0]["value"], "jane@example.com");
        // Nothing found is an empty list, and entity_types restricts.
        let r = h.post(
            "/v1/scan",
            r#"{"text":"email jane@example.com","entity_types":["ssn"]}"#,
        );
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["findings"], json!([]));
    });
}

#[test]
fn decide_allow_redact_and_deny() {
    each_host(|h| {
        let v = decide(
            h,
            &json!({"action":{"type":"file.write","resource":"notes.txt"},
                    "text":"customer email is alice@example.com","request_id":"conf-d1"}),
        );
        assert_eq!(v["decision"], "allow_with_redaction", "{v}");
        assert_eq!(v["request_id"], "conf-d1");
        assert!(
            v["matched_rules"].as_array().is_some_and(|m| !m.is_empty()),
            "{v}"
        );
        assert!(
            v["transform_plan"]
                .as_array()
                .is_some_and(|p| p.iter().any(|s| s["entity_type"] == "email")),
            "{v}"
        );
        let v = decide(
            h,
            &json!({"action":{"type":"shell.exec","command":"curl"},
                    "text":"api_key=ABCD1234EFGH5678 sk_live_4eC39HqLyjWDarjtT1zdp7dc"}),
        );
        assert_eq!(v["decision"], "deny", "{v}");
        let v = decide(
            h,
            &json!({"action":{"type": format!("annotation.{}", unique("t"))}}),
        );
        assert_eq!(v["decision"], "allow", "{v}");
        // No rule matches: fail closed.
        let v = decide(h, &json!({"action":{"type": unique("unknown")}}));
        assert_eq!(v["decision"], "deny", "{v}");
    });
}

#[test]
fn transform_and_anonymize() {
    each_host(|h| {
        let r = h.post(
            "/v1/transform",
            r#"{"text":"customer email is alice@example.com","mode":"mask"}"#,
        );
        assert_eq!(r.status, 200, "{}", r.text());
        schema::check("/v1/transform", "POST", &r);
        let v = r.json();
        assert!(
            !v["output"].as_str().unwrap().contains("alice@example.com"),
            "{v}"
        );
        assert_eq!(v["stats"]["modes_applied"], "email:mask", "{v}");
        // Every mode is accepted.
        for mode in ["mask", "redact", "tokenize", "hash", "anonymize", "replace"] {
            let body = json!({"text":"call jane@example.com","mode":mode});
            let r = h.post("/v1/transform", body.to_string());
            assert_eq!(r.status, 200, "mode {mode}: {}", r.text());
            assert!(
                !r.text().contains("jane@example.com"),
                "mode {mode}: {}",
                r.text()
            );
        }
        let r = h.post(
            "/v1/anonymize",
            r#"{"text":"contact jane@example.com","findings":[{"entity_type":"email","value":"jane@example.com","start":8,"end":24,"confidence":1}]}"#,
        );
        assert_eq!(r.status, 200, "{}", r.text());
        schema::check("/v1/anonymize", "POST", &r);
        let v = r.json();
        assert_eq!(v["stats"]["entities_transformed"], 1, "{v}");
        assert_eq!(v["stats"]["modes_applied"], "email:anonymize", "{v}");
        assert!(!v["output"].as_str().unwrap().contains("jane@example.com"));
        // Scanned when no findings are supplied.
        let r = h.post("/v1/anonymize", r#"{"text":"contact jane@example.com"}"#);
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(!r.text().contains("jane@example.com"));
    });
}

#[test]
fn receipts_list_and_events_answer() {
    each_host(|h| {
        let r = h.get("/v1/receipts?limit=1");
        assert_eq!(r.status, 200, "{}", r.text());
        schema::check("/v1/receipts", "GET", &r);
        let r = h.get("/v1/events?limit=1");
        assert_eq!(r.status, 200, "{}", r.text());
        schema::check("/v1/events", "GET", &r);
        let v: Value = r.json();
        assert!(v["events"].as_array().is_some_and(|e| e.len() <= 1), "{v}");
    });
}

/// JSON pointers (at most 20) where `a` (served) and `b` (the repository's) differ.
fn json_diff(at: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    if out.len() >= 20 || a == b {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                match (x.get(k), y.get(k)) {
                    (Some(u), Some(v)) => json_diff(&p, u, v, out),
                    (Some(_), None) => out.push(format!("{p}: only in the served document")),
                    (None, _) => out.push(format!("{p}: missing from the served document")),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                json_diff(&format!("{at}/{i}"), u, v, out);
            }
        }
        _ => out.push(format!(
            "{at}: served {}, repository {}",
            crate::client::show(a.to_string().as_bytes()),
            crate::client::show(b.to_string().as_bytes())
        )),
    }
}
