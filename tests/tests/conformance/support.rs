//! Helpers shared by the topic modules: the error envelope check, the starter policy's identity,
//! a decide that must succeed, Prometheus sample lookup.

use serde_json::Value;

use crate::client::{Response, show};
use crate::hosts::Host;
use crate::schema;

/// `r` is the error envelope with this status, code and (when given) message; its request id is
/// the `X-Request-ID` header; it matches the document (`component`: the response in
/// `#/components/responses`, else the operation's `(path, method)`).
pub fn assert_error(r: &Response, status: u16, code: &str, message: Option<&str>, what: &str) {
    assert_eq!(r.status, status, "{what}: status (body {})", show(&r.body));
    assert_eq!(
        r.media_type().as_deref(),
        Some("application/json"),
        "{what}"
    );
    let v = r.json();
    let obj = v
        .get("error")
        .and_then(Value::as_object)
        .unwrap_or_else(|| panic!("{what}: not an envelope: {v}"));
    for k in obj.keys() {
        assert!(
            ["code", "message", "request_id", "details"].contains(&k.as_str()),
            "{what}: unexpected field {k} in {v}"
        );
    }
    assert_eq!(
        obj.get("code").and_then(Value::as_str),
        Some(code),
        "{what}: {v}"
    );
    if let Some(m) = message {
        assert_eq!(
            obj.get("message").and_then(Value::as_str),
            Some(m),
            "{what}: {v}"
        );
    }
    let id = obj
        .get("request_id")
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{what}: no request_id: {v}"));
    assert!(!id.is_empty(), "{what}: empty request_id");
    assert_eq!(
        Some(id),
        r.header("x-request-id"),
        "{what}: request_id vs header"
    );
    schema::check_schema("Error", &v);
}

/// `(policy_id, policy_version)` of `config/policy.json`, the policy every host runs.
pub fn policy_identity() -> (String, String) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/policy.json");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    (
        v["policy_id"].as_str().unwrap().to_owned(),
        v["policy_version"].as_str().unwrap().to_owned(),
    )
}

/// `POST /v1/decide` that must answer 200; the response.
pub fn decide(host: &Host, body: &Value) -> Value {
    let r = host.post("/v1/decide", body.to_string());
    assert_eq!(r.status, 200, "decide {body}: {}", show(&r.body));
    schema::check("/v1/decide", "POST", &r);
    r.json()
}

/// `GET path` that must answer 200 with JSON; the body.
pub fn get_json(host: &Host, path: &str) -> Value {
    let r = host.get(path);
    assert_eq!(r.status, 200, "GET {path}: {}", show(&r.body));
    r.json()
}

/// The value of the Prometheus sample `series` (`name` or `name{labels}` exactly as
/// written), 0 when absent.
pub fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            l.strip_prefix(series)
                .and_then(|rest| rest.strip_prefix(' '))
                .and_then(|v| v.trim().parse::<f64>().ok())
        })
        .unwrap_or(0.0)
}

/// `/metrics` as text (must answer 200).
pub fn metrics(host: &Host) -> String {
    let r = host.get("/metrics");
    assert_eq!(r.status, 200, "GET /metrics: {}", show(&r.body));
    r.text()
}

/// Lines of an NDJSON body, each parsed.
pub fn ndjson(body: &str) -> Vec<Value> {
    body.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}
