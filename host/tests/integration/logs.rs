//! Issue 13: structured logs on the real `datafog-api` process. With `DATAFOG_LOG_FORMAT=json`
//! every stderr line is a JSON object, every request has one access line with its method, route
//! template, status, latency, request id and trace id; a valid W3C `traceparent` is taken (its
//! trace id logged, echoed in the response header and used as the body's `trace_id`), an invalid
//! one is replaced; and no payload value reaches the log.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{start_logged, temp_dir};

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const SECRET: &str = "sk_live_51HqLyjWDarjtT1zdp7dcQ9xY";
const EMAIL: &str = "jane.doe@corp.example";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_13_json_logs_access_lines_and_traceparent() {
    let dir = temp_dir("logs");
    let (mut child, base, log) = start_logged(
        &dir,
        &[
            ("DATAFOG_LOG_FORMAT", "json"),
            ("DATAFOG_ACCESS_LOG", "1"),
            ("DATAFOG_LOG", "info"),
        ],
    );
    let c = reqwest::Client::new();
    // 1. A decide with a valid traceparent and a secret in the payload.
    let r = c
        .post(format!("{base}/v1/decide"))
        .header("traceparent", format!("00-{TRACE}-00f067aa0ba902b7-01"))
        .json(&json!({
            "action": {"type": "shell.exec", "command": "curl"},
            "text": format!("curl -H 'Authorization: Bearer {SECRET}' -d {EMAIL}"),
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let echoed = r.headers()["traceparent"].to_str().unwrap().to_owned();
    let parts: Vec<&str> = echoed.split('-').collect();
    assert_eq!(parts.len(), 4, "{echoed}");
    assert_eq!((parts[0], parts[1], parts[3]), ("00", TRACE, "01"));
    assert_eq!(parts[2].len(), 16);
    assert_ne!(parts[2], "00f067aa0ba902b7", "this server's own span id");
    let d: Value = r.json().await.unwrap();
    assert_eq!(d["decision"], "deny");
    assert_eq!(d["trace_id"], TRACE, "the body took the header's trace id");
    let receipt: Value = c
        .get(format!(
            "{base}/v1/receipts/{}",
            d["receipt_id"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(receipt["trace_id"], TRACE);
    // 2. An invalid traceparent (all-zero trace id) is ignored: a new trace id.
    let r = c
        .get(format!("{base}/health"))
        .header(
            "traceparent",
            format!("00-{}-00f067aa0ba902b7-01", "0".repeat(32)),
        )
        .header("x-request-id", "health-check-1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let fresh = r.headers()["traceparent"].to_str().unwrap().to_owned();
    let fresh_trace = fresh.split('-').nth(1).unwrap().to_owned();
    assert_eq!(fresh_trace.len(), 32);
    assert_ne!(fresh_trace, "0".repeat(32));
    // 3. A 404.
    let r = c
        .get(format!("{base}/v1/receipts/{}", "ab".repeat(16)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    std::thread::sleep(Duration::from_millis(300));
    let text = log.lock().unwrap().clone();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    for l in &lines {
        assert!(l["timestamp"].is_string() && l["level"].is_string(), "{l}");
    }
    assert!(
        lines.iter().any(|l| l["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("datafog-api listening on ")),
        "{text}"
    );
    let access: Vec<&Value> = lines
        .iter()
        .filter(|l| l["message"] == "request complete")
        .collect();
    assert_eq!(access.len(), 4, "{text}");
    for a in &access {
        for field in [
            "method",
            "route",
            "status",
            "latency_ms",
            "request_id",
            "trace_id",
        ] {
            assert!(!a[field].is_null(), "{field} missing in {a}");
        }
    }
    let decide_line = access.iter().find(|a| a["route"] == "/v1/decide").unwrap();
    assert_eq!(decide_line["method"], "POST");
    assert_eq!(decide_line["status"], 200);
    assert_eq!(decide_line["trace_id"], TRACE);
    let health_line = access.iter().find(|a| a["route"] == "/health").unwrap();
    assert_eq!(health_line["request_id"], "health-check-1");
    assert_eq!(health_line["trace_id"], fresh_trace);
    assert!(
        access
            .iter()
            .any(|a| a["route"] == "/v1/receipts/{id}" && a["status"] == 404),
        "{text}"
    );
    assert!(!text.contains(SECRET) && !text.contains(EMAIL), "{text}");
    assert!(
        !text.contains(&"ab".repeat(16)),
        "a path id reached the log: {text}"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

/// The text format stays the default, and `DATAFOG_LOG` filters by target: the access log off,
/// the start-up lines kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_13_log_filter_drops_info_lines() {
    let dir = temp_dir("logs-filter");
    let (mut child, base, log) = start_logged(
        &dir,
        &[
            ("DATAFOG_ACCESS_LOG", "1"),
            ("DATAFOG_LOG", "info,datafog_host::access=off"),
        ],
    );
    let c = reqwest::Client::new();
    assert_eq!(
        c.get(format!("{base}/health"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    std::thread::sleep(Duration::from_millis(300));
    let text = log.lock().unwrap().clone();
    assert!(!text.contains("request complete"), "{text}");
    assert!(
        text.contains(" INFO ") && text.contains("datafog-api listening on "),
        "{text}"
    );
    assert!(
        !text.trim_start().starts_with('{'),
        "text is the default: {text}"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}
