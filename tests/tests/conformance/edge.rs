//! Bad configuration and a failing store at the edge, on real `wasmtime serve` processes launched
//! per test (`hosts::start_edge_with`). The native server refuses to start on a bad setting
//! instead (its own tests), so these run on the edge only, when it is selected.

use serde_json::json;

use crate::client::Request;
use crate::hosts::{EdgeSetup, Host, Kind, selected, start_edge_with};
use crate::support::assert_error;

fn edge(setup: EdgeSetup) -> Option<Host> {
    if !selected().contains(&Kind::Edge) {
        eprintln!("[edge] not selected (DATAFOG_CONFORMANCE_HOSTS)");
        return None;
    }
    Some(start_edge_with(&setup).unwrap_or_else(|e| panic!("[edge] could not start: {e}")))
}

fn vars(v: &[(&str, &str)]) -> EdgeSetup {
    EdgeSetup {
        vars: v
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        ..EdgeSetup::default()
    }
}

const DECIDE: &str =
    r#"{"action":{"type":"shell.exec","command":"echo"},"text":"mail jane@example.com"}"#;

/// Every route answers the 503 envelope naming `variable`, never its value; OPTIONS still 204.
fn assert_config_error(h: &Host, variable: &str, secret: &str) {
    for (method, path) in [
        ("GET", "/health"),
        ("GET", "/v1/receipts"),
        ("POST", "/v1/decide"),
        ("POST", "/v1/scan"),
    ] {
        let r = h.send(
            Request::new(method, path)
                .header("content-type", "application/json")
                .body(DECIDE),
        );
        let what = format!("[edge] {method} {path}");
        assert_error(
            &r,
            503,
            "config_error",
            Some("server is not configured"),
            &what,
        );
        let details = r.json()["error"]["details"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            details.contains(&format!("`{variable}`")),
            "{what}: details {details:?}"
        );
        assert!(
            !secret.is_empty() && !r.text().contains(secret),
            "{what}: the value leaked"
        );
    }
    let r = h.send(Request::new("OPTIONS", "/v1/decide").anonymous());
    assert_eq!(r.status, 204);
    // Without the token: 401, the broken setting not revealed.
    let r = h.send(Request::get("/health").anonymous());
    assert_error(&r, 401, "unauthorized", None, "[edge] no token");
}

#[test]
fn a_broken_policy_variable_is_503_naming_it() {
    let Some(h) = edge(vars(&[(
        "policy_json",
        "{\"rules\": \"SECRET-POLICY-TEXT\"",
    )])) else {
        return;
    };
    assert_config_error(&h, "policy_json", "SECRET-POLICY-TEXT");
}

#[test]
fn a_missing_store_dir_is_503_naming_it() {
    let Some(h) = edge(EdgeSetup {
        store_dir: false,
        ..EdgeSetup::default()
    }) else {
        return;
    };
    assert_config_error(&h, "store_dir", "/data");
}

#[test]
fn broken_limits_and_keys_are_503_naming_them() {
    for (var, value) in [
        ("max_body_bytes", "lots-of-bytes"),
        ("token_key", "short-key-value"),
    ] {
        let Some(h) = edge(vars(&[(var, value)])) else {
            return;
        };
        assert_config_error(&h, var, value);
    }
}

#[test]
fn max_body_bytes_comes_from_the_variable() {
    let Some(h) = edge(vars(&[("max_body_bytes", "2000")])) else {
        return;
    };
    let fits = json!({"text": "a".repeat(1900)}).to_string();
    assert_eq!(h.post("/v1/scan", fits.clone()).status, 200);
    let over = json!({"text": "a".repeat(2100)}).to_string();
    assert_error(
        &h.post("/v1/scan", over),
        413,
        "request_too_large",
        None,
        "[edge] over 2000",
    );
}

#[test]
fn a_store_that_refuses_writes_acknowledges_nothing() {
    // `chain` is a file where the chain's directory must go: every append fails in the store.
    let Some(h) = edge(EdgeSetup {
        blockers: vec!["chain".to_owned()],
        ..EdgeSetup::default()
    }) else {
        return;
    };
    let r = h.post("/v1/decide", DECIDE);
    assert_error(
        &r,
        500,
        "receipt_error",
        Some("unable to persist receipt"),
        "[edge] decide",
    );
    assert!(
        !r.text().contains("jane@example.com"),
        "the payload leaked into the error"
    );
    // Nothing was acknowledged, so nothing is listed; reads and scans still answer.
    let export = h.get("/v1/receipts/export");
    assert_eq!(export.status, 200);
    assert!(export.body.is_empty(), "{}", export.text());
    assert_eq!(h.get("/v1/receipts").json()["total"], 0);
    assert_eq!(h.post("/v1/scan", DECIDE).status, 200);
}
