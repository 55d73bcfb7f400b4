//! Issue 14, finding 1: what one request makes the server answer and store is bounded
//! (`datafog::api::bounds`, `docs/security.md` "Bounds"), and decisions fail closed before the
//! receipts disk is full.

use super::support::*;
use axum::http::StatusCode;

/// A decide body just under the 1 MiB limit whose text is nothing but distinct emails.
fn dense_decide() -> String {
    let mut text = String::new();
    let mut i = 0;
    while text.len() < 1_000_000 {
        text.push_str(&format!("u{i}@ex.io "));
        i += 1;
    }
    format!(r#"{{"action":{{"type":"file.read","resource":"notes.txt"}},"text":"{text}"}}"#)
}

#[tokio::test]
async fn issue_14_a_dense_decide_is_a_small_deny_with_counts_per_type() {
    let dir = temp_dir("bounds-decide");
    let app = datafog_host::http::app(state_with(&dir, &[]));
    let r = post(&app, "/v1/decide", &dense_decide()).await;
    assert_eq!(r.status, StatusCode::OK);
    // Before: 13.2 MB answered and a 15.7 MB receipt for the same kind of request.
    assert!(r.bytes.len() < 4096, "{} bytes answered", r.bytes.len());
    let body = r.json();
    assert_eq!(body["decision"], "deny");
    assert_eq!(body["findings"].as_array().unwrap().len(), 0);
    assert_eq!(body["findings_truncated"], true);
    let emails = body["finding_counts"]["email"].as_u64().unwrap();
    assert!(emails > 50_000, "{emails}");
    let stored = std::fs::read_to_string(dir.join("receipts.jsonl")).unwrap();
    assert_eq!(stored.lines().count(), 1);
    assert!(stored.len() < 4096, "{} bytes stored", stored.len());
    let receipt: serde_json::Value = serde_json::from_str(stored.trim()).unwrap();
    assert_eq!(receipt["finding_counts"]["email"].as_u64(), Some(emails));
    assert_eq!(receipt["findings"].as_array().unwrap().len(), 0);
    datafog::receipt::verify_chain(stored.lines()).unwrap();
    // The list and the lookup answer the same small receipt.
    let id = body["receipt_id"].as_str().unwrap();
    let one = get(&app, &format!("/v1/receipts/{id}")).await;
    assert_eq!(one.status, StatusCode::OK);
    assert!(one.bytes.len() < 4096);
    // The findings metric counts every finding, not the (empty) list.
    let metrics = String::from_utf8(get(&app, "/metrics").await.bytes).unwrap();
    assert!(
        metrics.contains(&format!(
            "datafog_findings_total{{entity_type=\"email\"}} {emails}\n"
        )),
        "{metrics}"
    );
}

#[tokio::test]
async fn issue_14_a_dense_scan_answers_the_first_findings_and_every_count() {
    let app = router("bounds-scan");
    let mut text = String::new();
    let mut i = 0;
    while text.len() < 1_000_000 {
        text.push_str(&format!("u{i}@ex.io "));
        i += 1;
    }
    let r = post(&app, "/v1/scan", &format!(r#"{{"text":"{text}"}}"#)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.bytes.len() < 256 << 10, "{} bytes", r.bytes.len());
    let body = r.json();
    assert_eq!(
        body["findings"].as_array().unwrap().len(),
        datafog::api::bounds::MAX_FINDINGS
    );
    assert_eq!(body["findings_truncated"], true);
    assert_eq!(body["finding_counts"]["email"].as_u64(), Some(i as u64));
}

#[tokio::test]
async fn issue_14_below_the_disk_floor_decides_fail_closed_with_507_and_a_metric() {
    let dir = temp_dir("bounds-disk");
    // A floor no disk meets: free space is always "below" it.
    let app = datafog_host::http::app(state_with(
        &dir,
        &[("DATAFOG_MIN_FREE_DISK_MB", "1000000000000")],
    ));
    let r = post(&app, "/v1/decide", r#"{"action":{"type":"file.read"}}"#).await;
    assert_eq!(r.status, StatusCode::INSUFFICIENT_STORAGE);
    assert_eq!(r.error_code(), "insufficient_storage");
    // Nothing was decided, nothing written; scans and reads still work.
    assert_eq!(
        std::fs::metadata(dir.join("receipts.jsonl")).unwrap().len(),
        0
    );
    assert_eq!(
        post(&app, "/v1/scan", r#"{"text":"a@b.io"}"#).await.status,
        StatusCode::OK
    );
    assert_eq!(get(&app, "/v1/receipts").await.status, StatusCode::OK);
    let metrics = String::from_utf8(get(&app, "/metrics").await.bytes).unwrap();
    assert!(
        metrics.contains("datafog_decides_refused_disk_total 1\n"),
        "{metrics}"
    );
    assert!(metrics.contains("datafog_receipts_disk_free_bytes "));
    // The default floor lets the same decide through.
    let ok = datafog_host::http::app(state_with(&temp_dir("bounds-disk-ok"), &[]));
    assert_eq!(
        post(&ok, "/v1/decide", r#"{"action":{"type":"file.read"}}"#)
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_export_streams_every_complete_line_in_order() {
    let dir = temp_dir("bounds-export");
    let app = datafog_host::http::app(state_with(&dir, &[]));
    for _ in 0..5 {
        let r = post(&app, "/v1/decide", r#"{"action":{"type":"file.read"}}"#).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    // A torn last line (a write in progress) is not exported.
    let path = dir.join("receipts.jsonl");
    let whole = std::fs::read_to_string(&path).unwrap();
    let r = get(&app, "/v1/receipts/export").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(String::from_utf8(r.bytes).unwrap(), whole);
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    std::io::Write::write_all(&mut f, br#"{"receipt_id":"half"#).unwrap();
    let r = get(&app, "/v1/receipts/export").await;
    assert_eq!(String::from_utf8(r.bytes).unwrap(), whole);
    assert_eq!(
        datafog::receipt::verify_chain(whole.lines()).unwrap().count,
        5
    );
}

/// A receipts file removed (or replaced) under the running server: decisions fail closed (their
/// receipts would go to an unlinked file and be lost), the reading routes say so, and a restart
/// starts from what is at the path.
#[tokio::test]
async fn a_receipts_file_removed_under_the_server_fails_closed() {
    let dir = temp_dir("bounds-removed");
    let app = datafog_host::http::app(state_with(&dir, &[]));
    let body = r#"{"action":{"type":"file.read"}}"#;
    assert_eq!(post(&app, "/v1/decide", body).await.status, StatusCode::OK);
    std::fs::rename(dir.join("receipts.jsonl"), dir.join("moved.jsonl")).unwrap();
    let r = post(&app, "/v1/decide", body).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(r.error_code(), "receipt_error");
    let r = get(&app, "/v1/receipts").await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        String::from_utf8_lossy(&r.bytes).contains("removed or replaced"),
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    // Only the first receipt exists, in the moved file.
    let moved = std::fs::read_to_string(dir.join("moved.jsonl")).unwrap();
    assert_eq!(moved.lines().count(), 1);
}
