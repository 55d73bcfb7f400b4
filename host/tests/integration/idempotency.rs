use super::support::*;
use axum::http::StatusCode;

#[tokio::test]
async fn replay_and_conflict_on_every_post_route() {
    let dir = temp_dir("idem");
    let app = datafog_host::http::app(state_with(&dir, &[]));
    for (path, first, replay, conflict) in [
        (
            "/v1/scan",
            r#"{"text":"jane@example.com","idempotency_key":"k","request_id":"a"}"#,
            r#"{"text":"jane@example.com","idempotency_key":"k","request_id":"b"}"#,
            r#"{"text":"bob@example.com","idempotency_key":"k"}"#,
        ),
        (
            "/v1/transform",
            r#"{"text":"jane@example.com","mode":"tokenize","idempotency_key":"k"}"#,
            r#"{"text":"jane@example.com","mode":" TOKENIZE ","idempotency_key":"k","trace_id":"t"}"#,
            r#"{"text":"jane@example.com","mode":"mask","idempotency_key":"k"}"#,
        ),
        (
            "/v1/anonymize",
            r#"{"text":"jane@example.com","idempotency_key":"k"}"#,
            r#"{"text":"jane@example.com","idempotency_key":"k"}"#,
            r#"{"text":"jane@example.org","idempotency_key":"k"}"#,
        ),
        (
            "/v1/decide",
            r#"{"action":{"type":"file.read"},"idempotency_key":"k","session_id":"s1"}"#,
            r#"{"action":{"type":"file.read"},"idempotency_key":"k","session_id":"s2"}"#,
            r#"{"action":{"type":"file.write"},"idempotency_key":"k"}"#,
        ),
    ] {
        let a = post(&app, path, first).await;
        assert_eq!(a.status, StatusCode::OK, "{path}");
        let b = post(&app, path, replay).await;
        assert_eq!(b.status, StatusCode::OK, "{path}");
        assert_eq!(a.bytes, b.bytes, "{path}: replay is verbatim");
        let c = post(&app, path, conflict).await;
        assert_eq!(c.status, StatusCode::CONFLICT, "{path}");
        assert_eq!(c.error_code(), "idempotency_conflict");
    }
    let lines = std::fs::read_to_string(dir.join("receipts.jsonl")).unwrap();
    assert_eq!(
        lines.lines().count(),
        1,
        "a decide replay writes no receipt"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_requests_run_once() {
    let dir = temp_dir("idem-concurrent");
    let app = datafog_host::http::app(state_with(&dir, &[]));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            post(
                &app,
                "/v1/decide",
                r#"{"action":{"type":"file.read"},"idempotency_key":"once"}"#,
            )
            .await
            .json()["receipt_id"]
                .as_str()
                .unwrap()
                .to_owned()
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1);
    let lines = std::fs::read_to_string(dir.join("receipts.jsonl")).unwrap();
    assert_eq!(lines.lines().count(), 1);
}

/// Audit of host/, item 2: with no room for bodies in the cache (byte budget 0), a repeated
/// decide key is replayed from its receipt (same receipt, none written), not run twice; a
/// conflicting payload is still a 409; scan runs again and gives the same findings.
#[tokio::test]
async fn a_dropped_body_is_replayed_from_the_receipt_not_run_twice() {
    let dir = temp_dir("idem-budget");
    let app = datafog_host::http::app(state_with(&dir, &[("DATAFOG_IDEMPOTENCY_CACHE_MB", "0")]));
    let body =
        r#"{"action":{"type":"file.write"},"text":"mail jane@example.com","idempotency_key":"k"}"#;
    let a = post(&app, "/v1/decide", body).await;
    assert_eq!(a.status, StatusCode::OK);
    let b = post(&app, "/v1/decide", body).await;
    assert_eq!(b.status, StatusCode::OK);
    assert_eq!(a.json()["receipt_id"], b.json()["receipt_id"]);
    assert_eq!(a.json()["decision"], b.json()["decision"]);
    let c = post(
        &app,
        "/v1/decide",
        r#"{"action":{"type":"file.read"},"idempotency_key":"k"}"#,
    )
    .await;
    assert_eq!(c.status, StatusCode::CONFLICT);
    let lines = std::fs::read_to_string(dir.join("receipts.jsonl")).unwrap();
    assert_eq!(lines.lines().count(), 1, "the replay wrote no receipt");
    let scan = r#"{"text":"jane@example.com","idempotency_key":"s"}"#;
    let x = post(&app, "/v1/scan", scan).await;
    let y = post(&app, "/v1/scan", scan).await;
    assert_eq!(x.bytes, y.bytes);
}
