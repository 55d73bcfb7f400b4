use super::support::*;
use axum::http::StatusCode;
use datafog_host::receipts::{ReceiptStore, Sealed};

async fn decide(app: &axum::Router) -> String {
    let r = post(app, "/v1/decide", r#"{"action":{"type":"file.read"}}"#).await;
    assert_eq!(r.status, StatusCode::OK);
    r.json()["receipt_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn chain_continues_across_restart_and_torn_line_is_cut() {
    let dir = temp_dir("restart");
    let first = {
        let app = datafog_host::http::app(state_with(&dir, &[]));
        let a = decide(&app).await;
        let b = decide(&app).await;
        vec![a, b]
    };
    // Simulate a crash in the middle of a write.
    let path = dir.join("receipts.jsonl");
    let mut raw = std::fs::read(&path).unwrap();
    let good_len = raw.len();
    raw.extend_from_slice(br#"{"receipt_id":"torn","timest"#);
    std::fs::write(&path, &raw).unwrap();
    let app = datafog_host::http::app(state_with(&dir, &[]));
    assert_eq!(std::fs::metadata(&path).unwrap().len() as usize, good_len);
    for id in &first {
        assert_eq!(
            get(&app, &format!("/v1/receipts/{id}")).await.status,
            StatusCode::OK
        );
    }
    decide(&app).await;
    let text = std::fs::read_to_string(&path).unwrap();
    let s = datafog::receipt::verify_chain(text.lines()).unwrap();
    assert_eq!(s.count, 3);
}

#[tokio::test]
async fn a_tampered_middle_line_refuses_to_start() {
    warm_cache();
    let dir = temp_dir("tamper");
    {
        let app = datafog_host::http::app(state_with(&dir, &[]));
        decide(&app).await;
        decide(&app).await;
    }
    let path = dir.join("receipts.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replacen("file.read", "file.wrote", 1)).unwrap();
    let err = datafog_host::build_state(&settings_with(&dir, &[])).unwrap_err();
    assert!(err.contains("receipts.jsonl"), "{err}");
    assert!(err.contains("line 1"), "{err}");
}

/// A whole last receipt without its newline that fails verification was changed, not torn:
/// start-up refuses rather than cutting the evidence.
#[tokio::test]
async fn a_tampered_last_line_without_newline_is_not_cut() {
    warm_cache();
    let dir = temp_dir("tamper-tail");
    {
        let app = datafog_host::http::app(state_with(&dir, &[]));
        decide(&app).await;
        decide(&app).await;
    }
    let path = dir.join("receipts.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let (head, last) = text.trim_end().rsplit_once('\n').unwrap();
    let changed = format!("{head}\n{}", last.replacen("file.read", "file.wrote", 1));
    std::fs::write(&path, &changed).unwrap();
    let err = datafog_host::build_state(&settings_with(&dir, &[])).unwrap_err();
    assert!(err.contains("line 2"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), changed);
    // The same line intact but without its newline is kept (and the newline restored).
    std::fs::write(&path, text.trim_end()).unwrap();
    let state = datafog_host::build_state(&settings_with(&dir, &[])).unwrap();
    assert_eq!(state.receipts.file().unwrap().len(), 2);
}

// Issue 8: the host and the shim follow one torn-tail rule (`datafog::receipt::tail`). A whole
// last receipt without its newline is kept at start-up, and the next receipt gets a line of
// its own; a torn one is cut (the shim side: `shim/tests/integration/e2e.rs`, the same file
// both ways).
#[tokio::test]
async fn issue_8_a_whole_last_receipt_without_newline_is_kept_and_not_glued() {
    let dir = temp_dir("issue-8-tail");
    {
        let app = datafog_host::http::app(state_with(&dir, &[]));
        decide(&app).await;
        decide(&app).await;
    }
    let path = dir.join("receipts.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.trim_end_matches('\n')).unwrap();
    let app = datafog_host::http::app(state_with(&dir, &[]));
    decide(&app).await;
    let after = std::fs::read_to_string(&path).unwrap();
    assert!(after.starts_with(&text), "the whole last receipt was cut");
    assert_eq!(
        datafog::receipt::verify_chain(after.lines()).unwrap().count,
        3
    );
    // A torn tail after it is cut.
    let last = after.lines().last().unwrap();
    std::fs::write(&path, format!("{after}{}", &last[..last.len() / 2])).unwrap();
    let (store, rec) = ReceiptStore::open(&path).unwrap();
    assert_eq!((rec.count, rec.torn.is_some()), (3, true));
    store.close();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), after);
}

#[test]
fn concurrent_appends_keep_the_chain() {
    let dir = temp_dir("concurrent");
    let path = dir.join("r.jsonl");
    let (store, rec) = ReceiptStore::open(&path).unwrap();
    assert_eq!(rec.count, 0);
    let store = std::sync::Arc::new(store);
    // Receipts sealed by the core natively (the host seals in the guest; same function).
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 0..50 {
                    let (_, ack) = store
                        .append_chained(|prev| {
                            let r = datafog::receipt::build(input(&format!("{t:02}{i:030}"), prev));
                            Ok::<_, ()>((
                                Sealed {
                                    receipt_id: r.receipt_id.clone(),
                                    hash: r.hash.clone(),
                                    line: r.canonical_json(),
                                },
                                (),
                            ))
                        })
                        .unwrap();
                    ack.blocking_recv().unwrap().unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(store.len(), 200);
    store.close();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        datafog::receipt::verify_chain(text.lines()).unwrap().count,
        200
    );
    let batches = store
        .stats
        .batches
        .load(std::sync::atomic::Ordering::Relaxed);
    assert!(batches <= 200);
}

/// Audit of host/, item 1 (and item 9: `before`, tie order): the list keeps only the newest
/// `limit` matches while it reads the file, and answers exactly what sorting every match
/// (newest first, ties by `receipt_id` ascending) and cutting to `limit` would; `total`
/// counts every match; `after`/`before` are exclusive.
#[tokio::test]
async fn list_newest_first_ties_by_id_filters_and_total() {
    warm_cache();
    let dir = temp_dir("list");
    // 60 receipts over 13 distinct seconds (many ties), file order unlike time or id order.
    let mut prev = datafog::receipt::GENESIS_HASH.to_owned();
    let mut text = String::new();
    let mut all: Vec<(u32, String, bool)> = Vec::new();
    for i in 0..60u32 {
        let sec = (i * 7) % 13;
        let id = format!("{:032x}", (i * 31) % 60);
        let deny = i % 3 == 0;
        let mut inp = input(&id, &prev);
        inp.timestamp = format!("2026-01-01T00:00:{sec:02}Z");
        if deny {
            inp.decision.effect = datafog::Effect::Deny;
            inp.action.action_type = "shell.exec".into();
        }
        let r = datafog::receipt::build(inp);
        prev = r.hash.clone();
        text.push_str(&r.canonical_json());
        text.push('\n');
        all.push((sec, id, deny));
    }
    std::fs::write(dir.join("receipts.jsonl"), text).unwrap();
    let app = datafog_host::http::app(state_with(&dir, &[]));
    type Pred = fn(u32, bool) -> bool;
    for bad in ["?limit=0", "?limit=1001", "?limit=bad"] {
        let r = get(&app, &format!("/v1/receipts{bad}")).await;
        assert_eq!(r.status, axum::http::StatusCode::BAD_REQUEST, "{bad}");
    }
    let cases: [(&str, usize, Pred); 8] = [
        ("", 100, |_, _| true),
        ("?limit=1", 1, |_, _| true),
        ("?limit=7", 7, |_, _| true),
        ("?limit=1000", 1000, |_, _| true),
        ("?before=2026-01-01T00:00:05Z&limit=6", 6, |s, _| s < 5),
        (
            "?after=2026-01-01T00:00:05Z&before=2026-01-01T00:00:09Z",
            100,
            |s, _| s > 5 && s < 9,
        ),
        ("?decision=DENY&limit=3", 3, |_, d| d),
        (
            "?action_type=Shell.Exec&after=2026-01-01T00:00:03Z",
            100,
            |s, d| d && s > 3,
        ),
    ];
    for (query, limit, pred) in cases {
        let mut want: Vec<&(u32, String, bool)> =
            all.iter().filter(|(s, _, d)| pred(*s, *d)).collect();
        let total = want.len();
        want.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        want.truncate(limit);
        let want: Vec<&str> = want.iter().map(|(_, id, _)| id.as_str()).collect();
        let v = get(&app, &format!("/v1/receipts{query}")).await.json();
        let got: Vec<&str> = v["receipts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["receipt_id"].as_str().unwrap())
            .collect();
        assert_eq!(got, want, "{query}");
        assert_eq!(v["total"], total, "{query}");
    }
}

fn input(id: &str, prev: &str) -> datafog::receipt::ReceiptInput {
    datafog::receipt::ReceiptInput {
        receipt_id: id.to_owned(),
        timestamp: "2026-01-01T00:00:00Z".to_owned(),
        request_id: String::new(),
        trace_id: String::new(),
        tenant_id: String::new(),
        actor_id: String::new(),
        session_id: String::new(),
        policy_id: "p".to_owned(),
        policy_version: "v".to_owned(),
        action: datafog::Action {
            action_type: "file.read".into(),
            ..Default::default()
        },
        input_hash: "0".repeat(64),
        decision: datafog::Decision {
            effect: datafog::Effect::Allow,
            matched_rules: vec![],
            plan: vec![],
            reason: String::new(),
        },
        findings: vec![],
        prev_hash: prev.to_owned(),
    }
}

/// Append one receipt (`n` in its id) and wait until it is durable.
fn append_one(store: &ReceiptStore, n: usize) -> String {
    let (id, ack) = store
        .append_chained(|prev| {
            let r = datafog::receipt::build(input(&format!("{n:032}"), prev));
            Ok::<_, ()>((
                Sealed {
                    receipt_id: r.receipt_id.clone(),
                    hash: r.hash.clone(),
                    line: r.canonical_json(),
                },
                r.receipt_id,
            ))
        })
        .unwrap();
    ack.blocking_recv().unwrap().unwrap();
    id
}

/// Issue 14, finding 1 (rotation): past the rotation size the file is renamed to its next
/// segment and an empty one continues the same chain; lookups, lists and a restart see every
/// segment, and a missing oldest segment refuses to start.
#[test]
fn issue_14_rotation_continues_one_chain_across_segments() {
    let dir = temp_dir("rotate");
    let path = dir.join("r.jsonl");
    let (store, _) = ReceiptStore::open_rotating(&path, None, 1500).unwrap();
    let ids: Vec<String> = (0..20).map(|n| append_one(&store, n)).collect();
    let segments = datafog_files::receipts::segments(&path).unwrap();
    assert!(segments.len() >= 3, "{segments:?}");
    assert_eq!(store.segment_count(), segments.len());
    for (_, seg) in &segments {
        let len = std::fs::metadata(seg).unwrap().len();
        assert!((1500..3000).contains(&len), "{len}");
    }
    // Every receipt is found, wherever it is; the lines in chain order are one chain.
    for id in &ids {
        assert!(store.get(id).unwrap().is_some(), "{id}");
    }
    let mut lines = Vec::new();
    store.for_each_line(|l| lines.push(l.to_owned())).unwrap();
    assert_eq!(lines.len(), 20);
    assert_eq!(
        datafog::receipt::verify_chain(lines.iter().map(String::as_str))
            .unwrap()
            .count,
        20
    );
    store.close();
    drop(store);
    // A restart verifies every segment and continues the chain.
    let (store, rec) = ReceiptStore::open_rotating(&path, None, 1500).unwrap();
    assert_eq!(rec.count, 20);
    let last = append_one(&store, 20);
    assert!(store.get(&last).unwrap().is_some());
    assert!(store.get(&ids[0]).unwrap().is_some());
    store.close();
    drop(store);
    // Without the oldest segment the chain starts mid-way: refused.
    std::fs::rename(&segments[0].1, dir.join("aside")).unwrap();
    let e = ReceiptStore::open_rotating(&path, None, 1500).unwrap_err();
    assert!(e.to_string().contains("hash chain is broken"), "{e}");
}
