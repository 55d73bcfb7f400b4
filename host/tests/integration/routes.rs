use super::support::*;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use datafog_host::http::app;

#[tokio::test]
async fn health_and_policy_version() {
    let app = router("health");
    let r = get(&app, "/health").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["content-type"], "application/json");
    let v = r.json();
    assert_eq!(v["status"], "ok");
    assert_eq!(v["policy_id"], "datafog-starter");
    assert!(v["started_at"].as_str().unwrap().ends_with('Z'));
    let v = get(&app, "/v1/policy/version").await.json();
    assert_eq!(v["policy_id"], "datafog-starter");
    assert_eq!(v["policy_version"], "v2026-12-04-1");
}

#[tokio::test]
async fn scan_finds_email_with_values_and_byte_offsets() {
    let app = router("scan");
    let r = post(&app, "/v1/scan", r#"{"text":"email jane@example.com"}"#).await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["request_id"], "");
    let f = v["findings"].as_array().unwrap();
    assert_eq!(f.len(), 1, "{v}");
    assert_eq!(f[0]["entity_type"], "email");
    assert_eq!(f[0]["value"], "jane@example.com");
    assert_eq!(f[0]["start"], 6);
    assert_eq!(f[0]["end"], 22);
    assert_eq!(v["policy_id"], "datafog-starter");
    // Another offset unit: same values, offsets in that unit.
    let r = post(
        &app,
        "/v1/scan",
        r#"{"text":"é jane@example.com","offset_unit":"utf16","request_id":"r1"}"#,
    )
    .await;
    let v = r.json();
    assert_eq!(v["request_id"], "r1");
    assert_eq!(v["findings"][0]["start"], 2);
    assert_eq!(v["findings"][0]["value"], "jane@example.com");
}

#[tokio::test]
async fn transform_and_anonymize() {
    let app = router("transform");
    let r = post(
        &app,
        "/v1/transform",
        r#"{"text":"customer email is alice@example.com","mode":"mask"}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert!(v["stats"]["entities_transformed"].as_u64().unwrap() > 0);
    assert_eq!(v["stats"]["modes_applied"], "email:mask");
    assert!(!v["output"].as_str().unwrap().contains("alice@example.com"));
    // The seed's curl example (its supplied offsets are off by one; the value wins).
    let r = post(
        &app,
        "/v1/transform",
        r#"{"text":"customer email is alice@example.com","findings":[{"entity_type":"email","value":"alice@example.com","start":18,"end":34,"confidence":0.99}],"mode":"mask"}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json());
    let r = post(
        &app,
        "/v1/anonymize",
        r#"{"text":"contact jane@example.com","findings":[{"entity_type":"email","value":"jane@example.com","start":8,"end":24,"confidence":1}]}"#,
    )
    .await;
    let v = r.json();
    assert_eq!(v["stats"]["entities_transformed"], 1);
    assert_eq!(v["stats"]["modes_applied"], "email:anonymize");
    assert!(!v["output"].as_str().unwrap().contains("jane@example.com"));
    // A supplied finding that is not in the text.
    let r = post(
        &app,
        "/v1/anonymize",
        r#"{"text":"nothing here","findings":[{"entity_type":"email","value":"x@y.com","start":0,"end":7}]}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(!String::from_utf8_lossy(&r.bytes).contains("x@y.com"));
}

#[tokio::test]
async fn decide_writes_a_receipt_that_can_be_read_back() {
    let dir = temp_dir("decide");
    let app = datafog_host::http::app(state_with(&dir, &[]));
    let r = post(
        &app,
        "/v1/decide",
        r#"{"action":{"type":"file.write","resource":"notes.txt"},"text":"customer email is alice@example.com","request_id":"q1"}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["request_id"], "q1");
    assert_eq!(v["decision"], "allow_with_redaction", "{v}");
    let id = v["receipt_id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 32);
    // On disk before the 200.
    let file = std::fs::read_to_string(dir.join("receipts.jsonl")).unwrap();
    assert!(file.contains(&id));
    assert!(
        !file.contains("alice@example.com"),
        "no raw values in receipts"
    );
    let r = get(&app, &format!("/v1/receipts/{id}")).await;
    assert_eq!(r.status, StatusCode::OK);
    let rec = r.json();
    assert_eq!(rec["receipt_id"], id.as_str());
    assert_eq!(rec["action_hash"].as_str().unwrap().len(), 64);
    assert_eq!(rec["input_hash"].as_str().unwrap().len(), 64);
    assert_eq!(rec["prev_hash"].as_str().unwrap(), "0".repeat(64));
    // Shell with a secret: deny, and the chain links.
    let r = post(
        &app,
        "/v1/decide",
        r#"{"action":{"type":"shell.exec","command":"curl"},"text":"api_key=ABCD1234EFGH5678 sk_live_4eC39HqLyjWDarjtT1zdp7dc"}"#,
    )
    .await;
    let v = r.json();
    assert_eq!(v["decision"], "deny", "{v}");
    let rec2 = get(
        &app,
        &format!("/v1/receipts/{}", v["receipt_id"].as_str().unwrap()),
    )
    .await
    .json();
    assert_eq!(rec2["prev_hash"], rec["hash"]);
    // The list: newest first.
    let list = get(&app, "/v1/receipts").await.json();
    assert_eq!(list["total"], 2);
    assert_eq!(list["receipts"][0]["receipt_id"], v["receipt_id"]);
    let list = get(&app, "/v1/receipts?decision=DENY&limit=5").await.json();
    assert_eq!(list["total"], 1);
    let list = get(&app, "/v1/receipts?action_type=file.write")
        .await
        .json();
    assert_eq!(list["total"], 1);
    let list = get(&app, "/v1/receipts?after=2999-01-01T00:00:00Z")
        .await
        .json();
    assert_eq!(list["total"], 0);
    let lines: Vec<String> = file_lines(&dir);
    datafog::receipt::verify_chain(lines.iter().map(String::as_str)).unwrap();
}

fn file_lines(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("receipts.jsonl"))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn receipt_not_found_and_missing_id() {
    let app = router("receipt404");
    let r = get(&app, "/v1/receipts/deadbeef").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["error"]["message"], "receipt not found");
    let r = get(&app, "/v1/receipts/").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["error"]["message"], "receipt id missing");
    let r = get(&app, "/v1/receipts/a/b").await;
    assert_eq!(r.json()["error"]["message"], "receipt id missing");
}

#[tokio::test]
async fn events_written_per_decision_and_filtered() {
    let dir = temp_dir("events");
    let events = dir.join("events.ndjson");
    let app = datafog_host::http::app(state_with(
        &dir,
        &[("DATAFOG_EVENTS_PATH", events.to_str().unwrap())],
    ));
    let v = get(&app, "/v1/events").await.json();
    assert_eq!(v["total"], 0);
    post(
        &app,
        "/v1/decide",
        r#"{"action":{"type":"file.read","tool":"git"}}"#,
    )
    .await;
    post(
        &app,
        "/v1/decide",
        r#"{"action":{"type":"shell.exec","tool":"shell","command":"echo sk_live_4eC39HqLyjWDarjtT1zdp7dc"},"text":"sk_live_4eC39HqLyjWDarjtT1zdp7dc"}"#,
    )
    .await;
    let v = get(&app, "/v1/events").await.json();
    assert_eq!(v["total"], 2, "{v}");
    assert_eq!(v["events"][0]["action_type"], "shell.exec", "newest first");
    // The event records the action as the receipt does: the secret redacted.
    assert_eq!(
        v["events"][0]["command"], "echo [REDACTED:stripe_key]",
        "{v}"
    );
    let v = get(&app, "/v1/events?decision=deny").await.json();
    assert_eq!(v["total"], 1);
    assert_eq!(v["events"][0]["allowed"], false);
    // Audit of host/, item 4: the event's `tool` (`git`, as sent) and the filter are both
    // canonicalised (git -> vcs), so the alias, its canonical name and any case match.
    for adapter in ["git", "GIT", "vcs", "gh", "/usr/bin/git"] {
        let v = get(&app, &format!("/v1/events?adapter={adapter}"))
            .await
            .json();
        assert_eq!(v["total"], 1, "adapter={adapter}: {v}");
        assert_eq!(v["events"][0]["tool"], "git");
    }
    let v = get(&app, "/v1/events?adapter=shell").await.json();
    assert_eq!(v["total"], 1);
    assert_eq!(v["events"][0]["tool"], "shell");
    let v = get(&app, "/v1/events?adapter=docker").await.json();
    assert_eq!(v["total"], 0);
    let v = get(&app, "/v1/events?limit=1").await.json();
    assert_eq!(v["total"], 1);
    let raw = std::fs::read_to_string(&events).unwrap();
    assert!(!raw.contains("sk_live_"), "no raw values in events");
}

/// As the Go service's server tests check it: decide -> transform -> receipt keeps the decision
/// and the plan summary; `input_hash` ignores the caller's ids and the idempotency key but not the
/// action; ids carrying PII or a secret are recorded redacted in the receipt and the event,
/// while the response echoes them as sent.
#[tokio::test]
async fn decide_transform_receipt_chain_and_ids() {
    let dir = temp_dir("decide-chain");
    let events = dir.join("events.ndjson");
    let app = datafog_host::http::app(state_with(
        &dir,
        &[("DATAFOG_EVENTS_PATH", events.to_str().unwrap())],
    ));
    let text = "customer email is alice@example.com";
    let body = |ids: &str, resource: &str| {
        format!(
            r#"{{"action":{{"type":"file.write","resource":"{resource}"}},"text":"{text}"{ids}}}"#
        )
    };
    let first = post(&app, "/v1/decide", &body("", "notes.txt"))
        .await
        .json();
    let plain = get(
        &app,
        &format!("/v1/receipts/{}", first["receipt_id"].as_str().unwrap()),
    )
    .await
    .json();
    assert_eq!(plain["decision"], first["decision"]);
    assert!(
        !plain["sanitized_summary"].as_str().unwrap().is_empty(),
        "{plain}"
    );
    // Transform with the decision's plan as `entity_modes`: the email is gone.
    let modes: serde_json::Map<String, serde_json::Value> = first["transform_plan"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| {
            (
                step["entity_type"].as_str().unwrap().to_owned(),
                step["mode"].clone(),
            )
        })
        .collect();
    assert!(modes.contains_key("email"), "{first}");
    let t = post(
        &app,
        "/v1/transform",
        &format!(
            r#"{{"text":"{text}","entity_modes":{}}}"#,
            serde_json::Value::Object(modes)
        ),
    )
    .await;
    assert_eq!(t.status, StatusCode::OK, "{:?}", t.json());
    assert!(
        !t.json()["output"]
            .as_str()
            .unwrap()
            .contains("alice@example.com")
    );
    let ids = r#","request_id":"r-7","trace_id":"bob@example.com","tenant_id":"acme","actor_id":"alice@example.com","session_id":"s1","idempotency_key":"k-1""#;
    let with_ids = post(&app, "/v1/decide", &body(ids, "notes.txt"))
        .await
        .json();
    assert_eq!(
        with_ids["trace_id"], "bob@example.com",
        "response echoes ids"
    );
    let rec = get(
        &app,
        &format!("/v1/receipts/{}", with_ids["receipt_id"].as_str().unwrap()),
    )
    .await
    .json();
    assert_eq!(rec["input_hash"], plain["input_hash"], "ids are not input");
    assert_eq!(rec["action_hash"], plain["action_hash"]);
    assert_eq!(rec["decision"], plain["decision"]);
    assert_eq!(rec["sanitized_summary"], plain["sanitized_summary"]);
    assert_eq!(rec["request_id"], "r-7");
    assert_eq!(rec["tenant_id"], "acme");
    assert_eq!(rec["actor_id"], "[REDACTED:email]");
    assert_eq!(rec["trace_id"], "[REDACTED:email]");
    let other = post(&app, "/v1/decide", &body("", "other.txt"))
        .await
        .json();
    let rec3 = get(
        &app,
        &format!("/v1/receipts/{}", other["receipt_id"].as_str().unwrap()),
    )
    .await
    .json();
    assert_ne!(
        rec3["input_hash"], plain["input_hash"],
        "the action is input"
    );
    assert_ne!(rec3["action_hash"], plain["action_hash"]);
    let ev = get(&app, "/v1/events?limit=1000").await.json();
    assert_eq!(ev["total"], 3, "{ev}");
    assert_eq!(ev["events"][1]["request_id"], "r-7", "{ev}");
    assert_eq!(ev["events"][1]["trace_id"], "[REDACTED:email]", "{ev}");
    for file in [dir.join("receipts.jsonl"), events] {
        let raw = std::fs::read_to_string(&file).unwrap();
        for value in ["alice@example.com", "bob@example.com"] {
            assert!(!raw.contains(value), "{value} in {}", file.display());
        }
    }
}

/// Audit of host/, items 1 and 9: events `after`/`before` are inclusive (an event exactly at
/// a bound is kept), `limit` is 1..1000 (else 100) and keeps the newest matches (file order
/// reversed), `total` is the number returned; malformed lines are skipped.
#[tokio::test]
async fn events_inclusive_bounds_and_limit_range() {
    let dir = temp_dir("events-bounds");
    let events = dir.join("events.ndjson");
    let mut text = String::new();
    for i in 0..150u32 {
        let (m, sec) = (i / 60, i % 60);
        text.push_str(&format!(
            r#"{{"timestamp":"2026-01-01T00:{m:02}:{sec:02}Z","mode":"enforced","action_type":"file.read","tool":"fs","decision":"allow","allowed":true,"receipt_id":"r{i}"}}"#
        ));
        text.push('\n');
        if i == 10 {
            text.push_str("{not json\n");
        }
    }
    std::fs::write(&events, text).unwrap();
    let app = datafog_host::http::app(state_with(
        &dir,
        &[("DATAFOG_EVENTS_PATH", events.to_str().unwrap())],
    ));
    let ids = |v: &serde_json::Value| -> Vec<String> {
        v["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["receipt_id"].as_str().unwrap().to_owned())
            .collect()
    };
    let want = |range: std::ops::RangeInclusive<u32>| -> Vec<String> {
        range.rev().map(|i| format!("r{i}")).collect()
    };
    // r10 = 00:00:10, r20 = 00:00:20: both bounds kept.
    let v = get(
        &app,
        "/v1/events?after=2026-01-01T00:00:10Z&before=2026-01-01T00:00:20Z",
    )
    .await
    .json();
    assert_eq!(ids(&v), want(10..=20));
    assert_eq!(v["total"], 11);
    let v = get(&app, "/v1/events?before=2026-01-01T00:00:03Z")
        .await
        .json();
    assert_eq!(ids(&v), want(0..=3));
    for bad in ["?limit=0", "?limit=1001", "?limit=-5", "?limit=x"] {
        let r = get(&app, &format!("/v1/events{bad}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(
            r.json()["error"]["message"],
            "invalid query parameter `limit`"
        );
    }
    for (q, n) in [("", 100), ("?limit=1", 1), ("?limit=1000", 150)] {
        let v = get(&app, &format!("/v1/events{q}")).await.json();
        assert_eq!(ids(&v), want(150 - n..=149), "{q}");
        assert_eq!(v["total"], n, "{q}");
    }
}

#[tokio::test]
async fn metrics_prometheus_and_go_json() {
    let app = router("metrics");
    get(&app, "/health").await;
    post(&app, "/v1/scan", r#"{"text":"email jane@example.com"}"#).await;
    get(&app, "/nope").await;
    let v = get(&app, "/metrics?format=json").await.json();
    assert_eq!(v["total_requests"], 3);
    assert_eq!(v["error_requests"], 1);
    assert_eq!(v["by_method"]["GET"], 2);
    assert_eq!(v["by_method"]["POST"], 1);
    assert_eq!(v["by_status"]["200"], 2);
    assert_eq!(v["by_status"]["404"], 1);
    assert_eq!(v["by_path"]["/health"], 1);
    assert_eq!(v["by_path"]["/v1/scan"], 1);
    assert_eq!(v["by_path"]["/_not_found"], 1);
    assert!(v["uptime_seconds"].as_f64().unwrap() >= 0.0);
    let r = get(&app, "/metrics").await;
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = String::from_utf8(r.bytes).unwrap();
    assert!(
        text.contains(
            "datafog_http_requests_total{route=\"/v1/scan\",method=\"POST\",status=\"200\"} 1"
        ),
        "{text}"
    );
    assert!(text.contains("datafog_findings_total{entity_type=\"email\"} 1"));
    assert!(text.contains("datafog_guest_traps_total 0"));
}

/// Audit of host/, item 3: client-supplied finding types never become label values (since
/// issue 14 an unknown one is a 400); receipt batch sizes and commit latency are Prometheus histograms.
#[tokio::test]
async fn metrics_labels_are_bounded_and_receipts_have_histograms() {
    let app = router("metrics-labels");
    let r = post(
        &app,
        "/v1/decide",
        r#"{"action":{"type":"file.write"},"findings":[{"entity_type":"x\"} 9\nevil","value":"v","start":0,"end":1},{"entity_type":"Email","value":"a@b.co","start":0,"end":6}]}"#,
    )
    .await;
    // Issue 14: a type that is not a type is refused before anything is counted or stored.
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.error_code(), "invalid_request");
    let r = post(
        &app,
        "/v1/decide",
        r#"{"action":{"type":"file.write"},"findings":[{"entity_type":"Email","value":"a@b.co","start":0,"end":6}]}"#,
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    let r = send(
        &app,
        Request::builder()
            .method("BREW")
            .uri("/health")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    let text = String::from_utf8(get(&app, "/metrics").await.bytes).unwrap();
    assert!(!text.contains("evil"), "{text}");
    assert!(!text.contains("BREW"), "{text}");
    assert!(
        text.contains("datafog_findings_total{entity_type=\"email\"} 1"),
        "{text}"
    );
    assert!(text.contains("method=\"OTHER\""), "{text}");
    assert!(text.contains("# TYPE datafog_receipt_batch_size histogram"));
    assert!(
        text.contains("datafog_receipt_batch_size_bucket{le=\"1\"} 1\n"),
        "{text}"
    );
    assert!(
        text.contains("datafog_receipt_batch_size_count 1\n"),
        "{text}"
    );
    assert!(
        text.contains("datafog_receipt_batch_size_sum 1\n"),
        "{text}"
    );
    assert!(text.contains("# TYPE datafog_receipt_fsync_duration_seconds histogram"));
    assert!(text.contains("datafog_receipt_fsync_duration_seconds_bucket{le=\"+Inf\"} 1\n"));
    assert!(text.contains("datafog_receipt_fsync_duration_seconds_count 1\n"));
    // The series kept from before.
    assert!(text.contains("datafog_receipt_fsync_seconds_total "));
    assert!(text.contains("datafog_receipt_fsync_seconds_max "));
    // Every sample line is `name{labels} value` or `name value`: nothing injected.
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        assert!(line.starts_with("datafog_"), "{line}");
    }
}

#[tokio::test]
async fn cors_options_and_request_id() {
    let app = app(state_with(
        &temp_dir("cors"),
        &[("DATAFOG_CORS_ORIGINS", "https://a.example")],
    ));
    let r = send(
        &app,
        Request::options("/v1/scan")
            .header("origin", "https://a.example")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        r.headers["access-control-allow-origin"],
        "https://a.example"
    );
    assert_eq!(
        r.headers["access-control-allow-methods"],
        "GET, POST, OPTIONS"
    );
    assert!(r.headers.get("x-request-id").is_none());
    let r = send(
        &app,
        Request::get("/nope")
            .header("x-request-id", "req-123")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.headers["x-request-id"], "req-123");
    assert_eq!(r.json()["error"]["request_id"], "req-123");
    let r = get(&app, "/health").await;
    assert_eq!(r.headers["x-request-id"].len(), 32);
}

/// Audit of host/, item 9: Go's CORS headers in full, on preflights and on ordinary
/// requests (errors included), and none without an `Origin`.
#[tokio::test]
async fn cors_headers_on_every_response_with_an_origin() {
    let app = app(state_with(
        &temp_dir("cors-all"),
        &[("DATAFOG_CORS_ORIGINS", "https://a.example")],
    ));
    let check = |r: &Resp| {
        assert_eq!(
            r.headers["access-control-allow-origin"],
            "https://a.example"
        );
        assert_eq!(
            r.headers["access-control-allow-methods"],
            "GET, POST, OPTIONS"
        );
        assert_eq!(
            r.headers["access-control-allow-headers"],
            "Content-Type, Authorization, X-API-Key, X-Request-ID"
        );
        assert_eq!(r.headers["access-control-expose-headers"], "X-Request-ID");
        assert!(
            r.headers
                .get_all("vary")
                .iter()
                .any(|v| v.to_str().unwrap().contains("Origin"))
        );
    };
    for req in [
        Request::options("/anything").body(Body::empty()).unwrap(),
        Request::get("/health").body(Body::empty()).unwrap(),
        Request::get("/nope").body(Body::empty()).unwrap(),
        Request::post("/v1/scan")
            .header("content-type", "application/json")
            .body(Body::from(r#"{"text":"jane@example.com"}"#))
            .unwrap(),
    ] {
        let (mut parts, body) = req.into_parts();
        parts
            .headers
            .insert("origin", "https://a.example".parse().unwrap());
        let r = send(&app, Request::from_parts(parts, body)).await;
        check(&r);
    }
    let r = get(&app, "/health").await;
    assert!(r.headers.get("access-control-allow-origin").is_none());
    assert!(r.headers.get("access-control-allow-headers").is_none());
}

/// Issue 14, finding 3: by default no origin gets CORS headers (a page the developer opens cannot
/// read answers), preflight included; a listed origin does, another does not.
#[tokio::test]
async fn cors_is_off_by_default_and_only_for_listed_origins() {
    for (app, listed) in [
        (router("cors-off"), false),
        (
            app(state_with(
                &temp_dir("cors-list"),
                &[("DATAFOG_CORS_ORIGINS", "https://a.example")],
            )),
            true,
        ),
    ] {
        for origin in ["https://a.example", "https://evil.example", "null"] {
            for req in [
                Request::options("/v1/receipts")
                    .header("origin", origin)
                    .header("access-control-request-method", "GET")
                    .body(Body::empty())
                    .unwrap(),
                Request::get("/v1/receipts")
                    .header("origin", origin)
                    .body(Body::empty())
                    .unwrap(),
            ] {
                let method = req.method().clone();
                let r = send(&app, req).await;
                let want = listed && origin == "https://a.example";
                assert_eq!(
                    r.headers.contains_key("access-control-allow-origin"),
                    want,
                    "{method} from {origin} (listed: {listed})"
                );
            }
        }
    }
}

/// Issue 14, finding 3 (DNS rebinding): with auth off only loopback names and
/// `DATAFOG_ALLOWED_HOSTS` are served; with a token, any host (the token is the guard).
#[tokio::test]
async fn a_foreign_host_is_refused_while_auth_is_off() {
    let host = |h: &'static str| {
        Request::get("/v1/receipts")
            .header("host", h)
            .body(Body::empty())
            .unwrap()
    };
    let open = router("host-open");
    for ok in ["localhost:8080", "127.0.0.1:8080", "[::1]:8080"] {
        assert_eq!(send(&open, host(ok)).await.status, StatusCode::OK, "{ok}");
    }
    for bad in ["rebind.evil.example:8080", "10.0.0.5:8080"] {
        let r = send(&open, host(bad)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{bad}");
        assert_eq!(r.error_code(), "host_not_allowed");
        assert!(
            !String::from_utf8_lossy(&r.bytes).contains("evil"),
            "echoes the host"
        );
    }
    let listed = app(state_with(
        &temp_dir("host-listed"),
        &[("DATAFOG_ALLOWED_HOSTS", "datafog.internal")],
    ));
    assert_eq!(
        send(&listed, host("datafog.internal:8080")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        send(&listed, host("rebind.evil.example")).await.status,
        StatusCode::FORBIDDEN
    );
    let token = app(state_with(
        &temp_dir("host-token"),
        &[("DATAFOG_API_TOKEN", "s3cret")],
    ));
    let r = send(
        &token,
        Request::get("/v1/receipts")
            .header("host", "api.example.com")
            .header("x-api-key", "s3cret")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
}

/// Audit of host/, item 9: an error response is gzipped too (Go gzips the whole response),
/// with `Vary: Accept-Encoding`.
#[tokio::test]
async fn gzip_on_errors_with_vary() {
    use std::io::Read;
    let app = router("gzip-error");
    let r = send(
        &app,
        Request::get("/nope")
            .header("accept-encoding", "gzip")
            .header("x-request-id", "gz-1")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.headers["content-encoding"], "gzip");
    assert!(
        r.headers
            .get_all("vary")
            .iter()
            .any(|v| v.to_str().unwrap().eq_ignore_ascii_case("accept-encoding")),
        "{:?}",
        r.headers
    );
    assert!(r.headers.get("content-length").is_none());
    let mut text = String::new();
    flate2::read::GzDecoder::new(&r.bytes[..])
        .read_to_string(&mut text)
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["error"]["code"], "not_found");
    assert_eq!(v["error"]["request_id"], "gz-1");
}

#[tokio::test]
async fn gzip_when_asked() {
    let app = router("gzip");
    let r = send(
        &app,
        Request::get("/health")
            .header("accept-encoding", "gzip")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["content-encoding"], "gzip");
    assert_eq!(&r.bytes[..2], &[0x1f, 0x8b]);
}
