//! `datafog-api` integration tests: one binary, a module per topic. Router tests call
//! `app(state)` with `tower::ServiceExt::oneshot`; `socket` starts the real binary on port 0.

// clippy.toml allows these inside `#[test]` functions; the shared helpers need it too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure is a test failure"
)]

mod support {
    use std::path::{Path, PathBuf};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use datafog_host::build_state;
    use datafog_host::config::Settings;
    use datafog_host::http::{AppState, app};
    use serde_json::Value;
    use tower::ServiceExt;

    pub fn repo() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    /// A fresh empty directory under the target dir.
    pub fn temp_dir(tag: &str) -> PathBuf {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "host-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    pub fn base_env(dir: &Path) -> Vec<(String, String)> {
        vec![
            (
                "DATAFOG_POLICY_PATH".into(),
                repo().join("config/policy.json").display().to_string(),
            ),
            (
                "DATAFOG_RECEIPT_PATH".into(),
                dir.join("receipts.jsonl").display().to_string(),
            ),
            (
                "DATAFOG_CACHE_DIR".into(),
                Path::new(env!("CARGO_TARGET_TMPDIR"))
                    .join("cwasm")
                    .display()
                    .to_string(),
            ),
            ("DATAFOG_GUEST_POOL".into(), "2".into()),
        ]
    }

    pub fn settings_with(dir: &Path, extra: &[(&str, &str)]) -> Settings {
        let mut vars = base_env(dir);
        for (k, v) in extra {
            vars.push(((*k).to_owned(), (*v).to_owned()));
        }
        Settings::from_lookup(|k| {
            vars.iter()
                .rev()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
        })
        .0
    }

    pub fn state_with(dir: &Path, extra: &[(&str, &str)]) -> Arc<AppState> {
        warm_cache();
        build_state(&settings_with(dir, extra)).unwrap()
    }

    /// Compile the component once (into the on-disk cache) before parallel tests load it.
    pub fn warm_cache() {
        static WARM: std::sync::OnceLock<()> = std::sync::OnceLock::new();
        WARM.get_or_init(|| {
            let dir = temp_dir("warm");
            build_state(&settings_with(&dir, &[])).unwrap();
        });
    }

    pub fn router(tag: &str) -> Router {
        app(state_with(&temp_dir(tag), &[]))
    }

    pub struct Resp {
        pub status: StatusCode,
        pub headers: axum::http::HeaderMap,
        pub bytes: Vec<u8>,
    }

    impl Resp {
        pub fn json(&self) -> Value {
            serde_json::from_slice(&self.bytes)
                .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.bytes)))
        }

        pub fn error_code(&self) -> String {
            self.json()["error"]["code"].as_str().unwrap().to_owned()
        }
    }

    pub async fn send(app: &Router, req: Request<Body>) -> Resp {
        let r = app.clone().oneshot(req).await.unwrap();
        let status = r.status();
        let headers = r.headers().clone();
        let bytes = axum::body::to_bytes(r.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        Resp {
            status,
            headers,
            bytes,
        }
    }

    pub async fn get(app: &Router, path: &str) -> Resp {
        send(app, Request::get(path).body(Body::empty()).unwrap()).await
    }

    pub async fn post(app: &Router, path: &str, body: &str) -> Resp {
        send(
            app,
            Request::post(path)
                .header("content-type", "application/json")
                .body(Body::from(body.to_owned()))
                .unwrap(),
        )
        .await
    }
}

mod routes {
    use super::support::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};

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
        assert_eq!(v["policy_version"], "v2026-11-24-1");
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

    /// Go section 9 (internal/server): decide -> transform -> receipt keeps the decision and the
    /// plan summary; `input_hash` ignores the caller's ids and the idempotency key but not the
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
        for (q, n) in [
            ("", 100),
            ("?limit=1", 1),
            ("?limit=1000", 150),
            ("?limit=0", 100),
            ("?limit=1001", 100),
            ("?limit=-5", 100),
            ("?limit=x", 100),
        ] {
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

    /// Audit of host/, item 3: client-supplied finding types never become label values (they
    /// count as `other`); receipt batch sizes and commit latency are Prometheus histograms.
    #[tokio::test]
    async fn metrics_labels_are_bounded_and_receipts_have_histograms() {
        let app = router("metrics-labels");
        let r = post(
            &app,
            "/v1/decide",
            r#"{"action":{"type":"file.write"},"findings":[{"entity_type":"x\"} 9\nevil","value":"v","start":0,"end":1},{"entity_type":"Email","value":"a@b.co","start":0,"end":6}]}"#,
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
            text.contains("datafog_findings_total{entity_type=\"other\"} 1"),
            "{text}"
        );
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
        let app = router("cors");
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
        let app = router("cors-all");
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
}

mod errors {
    use super::support::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};

    const POSTS: [&str; 4] = ["/v1/scan", "/v1/decide", "/v1/transform", "/v1/anonymize"];
    const GETS: [&str; 5] = [
        "/health",
        "/v1/policy/version",
        "/v1/receipts",
        "/v1/receipts/abc",
        "/metrics",
    ];

    /// A request body that yields `chunks`, then `fail` (an I/O error of that kind) or its end.
    struct TestBody {
        chunks: std::collections::VecDeque<Vec<u8>>,
        fail: Option<std::io::ErrorKind>,
    }

    impl hyper::body::Body for TestBody {
        type Data = axum::body::Bytes;
        type Error = std::io::Error;

        fn poll_frame(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
            if let Some(c) = self.chunks.pop_front() {
                return std::task::Poll::Ready(Some(Ok(hyper::body::Frame::data(c.into()))));
            }
            std::task::Poll::Ready(
                self.fail
                    .take()
                    .map(|k| Err(std::io::Error::new(k, "connection went away"))),
            )
        }
    }

    fn post_body(path: &str, body: TestBody) -> Request<Body> {
        Request::post(path)
            .header("content-type", "application/json")
            .body(Body::new(body))
            .unwrap()
    }

    /// Audit of host/, item 6: a body that cannot be read (the client went away, or the read
    /// timeout) is Go's 400 `invalid_request` `invalid JSON body`, not 413; past the limit is
    /// still 413 when the size is not announced; an undecodable receipt id is the usual 404.
    #[tokio::test]
    async fn body_read_failures_are_400_and_bad_ids_404() {
        let app = router("read-fail");
        for (kind, details) in [
            (
                std::io::ErrorKind::UnexpectedEof,
                "read error: unexpected EOF",
            ),
            (std::io::ErrorKind::TimedOut, "read error: i/o timeout"),
        ] {
            let r = send(
                &app,
                post_body(
                    "/v1/scan",
                    TestBody {
                        chunks: [br#"{"text":"jane@exa"#.to_vec()].into(),
                        fail: Some(kind),
                    },
                ),
            )
            .await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST);
            assert_eq!(r.error_code(), "invalid_request");
            assert_eq!(r.json()["error"]["message"], "invalid JSON body");
            assert_eq!(r.json()["error"]["details"], details);
            assert!(!String::from_utf8_lossy(&r.bytes).contains("jane"));
        }
        let r = send(
            &app,
            post_body(
                "/v1/decide",
                TestBody {
                    chunks: std::iter::repeat_n(vec![b' '; 64 * 1024], 17).collect(),
                    fail: None,
                },
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(r.error_code(), "request_too_large");
        for path in ["/v1/receipts/%FF", "/v1/receipts/%C3%28"] {
            let r = get(&app, path).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
            assert_eq!(r.json()["error"]["message"], "receipt not found", "{path}");
            assert_eq!(r.error_code(), "not_found");
        }
        // A query that does not decode is no filter.
        let r = get(&app, "/v1/receipts?limit=%FF&decision=%C3%28").await;
        assert_eq!(r.status, StatusCode::OK);
    }

    #[tokio::test]
    async fn wrong_methods_are_405() {
        let app = router("405");
        for p in POSTS {
            let r = get(&app, p).await;
            assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{p}");
            assert_eq!(r.error_code(), "method_not_allowed");
            assert_eq!(r.json()["error"]["message"], "method must be POST");
        }
        for p in GETS {
            for m in ["POST", "HEAD", "DELETE"] {
                let r = send(
                    &app,
                    Request::builder()
                        .method(m)
                        .uri(p)
                        .body(Body::empty())
                        .unwrap(),
                )
                .await;
                assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{m} {p}");
                if m != "HEAD" {
                    assert_eq!(r.json()["error"]["message"], "method must be GET");
                }
            }
        }
    }

    #[tokio::test]
    async fn unknown_route_is_404() {
        let app = router("404");
        let r = get(&app, "/v2/nothing").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(r.error_code(), "not_found");
        assert_eq!(r.json()["error"]["message"], "endpoint not found");
    }

    #[tokio::test]
    async fn bad_bodies_are_400_415_413() {
        let app = router("bodies");
        for p in POSTS {
            let r = post(&app, p, "{").await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{p}");
            assert_eq!(r.json()["error"]["message"], "invalid JSON body");
            for ct in [None, Some("text/plain")] {
                let mut b = Request::post(p);
                if let Some(ct) = ct {
                    b = b.header("content-type", ct);
                }
                let r = send(&app, b.body(Body::from("{}")).unwrap()).await;
                assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{p} {ct:?}");
                assert_eq!(r.error_code(), "unsupported_media_type");
            }
            let big = format!(r#"{{"text":"{}"}}"#, "a".repeat(1 << 20));
            let r = post(&app, p, &big).await;
            assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{p}");
            assert_eq!(r.error_code(), "request_too_large");
        }
        let r = send(
            &app,
            Request::post("/v1/scan")
                .header("content-type", "application/json; charset=utf-8")
                .body(Body::from(r#"{"text":"hi"}"#))
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
        for (p, body, msg) in [
            ("/v1/scan", "{}", "text is required"),
            ("/v1/transform", "{}", "text is required"),
            ("/v1/anonymize", "{}", "text is required"),
            ("/v1/decide", r#"{"action":{}}"#, "action.type is required"),
            (
                "/v1/transform",
                r#"{"text":"a","mode":"zap"}"#,
                "unsupported transform mode",
            ),
            (
                "/v1/transform",
                r#"{"text":"a","entity_modes":{"email":"zap"}}"#,
                "unsupported transform mode",
            ),
            (
                "/v1/transform",
                r#"{"text":"a","entity_modes":{" ":"mask"}}"#,
                "entity_modes keys must not be empty",
            ),
        ] {
            let r = post(&app, p, body).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{p} {body}");
            assert_eq!(r.json()["error"]["message"], msg, "{p} {body}");
        }
    }

    #[tokio::test]
    async fn auth_on_every_route() {
        let dir = temp_dir("auth");
        let app = datafog_host::http::app(state_with(&dir, &[("DATAFOG_API_TOKEN", "s3cret")]));
        for p in ["/health", "/metrics", "/v1/events", "/nope"] {
            let r = get(&app, p).await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{p}");
            assert_eq!(r.error_code(), "unauthorized");
            assert!(r.headers.get("www-authenticate").is_none());
        }
        let ok = |h: &str, v: &str| {
            Request::get("/health")
                .header(h, v)
                .body(Body::empty())
                .unwrap()
        };
        assert_eq!(
            send(&app, ok("authorization", "Bearer s3cret"))
                .await
                .status,
            StatusCode::OK
        );
        assert_eq!(
            send(&app, ok("authorization", "bearer   s3cret "))
                .await
                .status,
            StatusCode::OK
        );
        assert_eq!(
            send(&app, ok("x-api-key", " s3cret ")).await.status,
            StatusCode::OK
        );
        assert_eq!(
            send(&app, ok("authorization", "Bearer nope")).await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            send(&app, ok("authorization", "Basic s3cret")).await.status,
            StatusCode::UNAUTHORIZED
        );
        // OPTIONS needs no token.
        let r = send(
            &app,
            Request::options("/health").body(Body::empty()).unwrap(),
        )
        .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
    }

    #[tokio::test]
    async fn rate_limit_burst_then_429() {
        let dir = temp_dir("rate");
        let app = datafog_host::http::app(state_with(&dir, &[("DATAFOG_RATE_LIMIT_RPS", "3")]));
        for _ in 0..3 {
            assert_eq!(get(&app, "/health").await.status, StatusCode::OK);
        }
        let r = get(&app, "/health").await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.error_code(), "rate_limited");
        assert_eq!(r.headers["retry-after"], "1");
    }
}

mod receipts {
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
        assert_eq!(state.receipts.len(), 2);
    }

    // Issue 8: the host and the shim follow one torn-tail rule (`datafog::receipt::tail`). A whole
    // last receipt without its newline is kept at start-up, and the next receipt gets a line of
    // its own; a torn one is cut (the shim side: `shim/tests/e2e.rs`, the same file both ways).
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
                                let r =
                                    datafog::receipt::build(input(&format!("{t:02}{i:030}"), prev));
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
        let cases: [(&str, usize, Pred); 10] = [
            ("", 100, |_, _| true),
            ("?limit=1", 1, |_, _| true),
            ("?limit=7", 7, |_, _| true),
            ("?limit=0", 100, |_, _| true),
            ("?limit=1001", 100, |_, _| true),
            ("?limit=bad", 100, |_, _| true),
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
}

mod idempotency {
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
        let app =
            datafog_host::http::app(state_with(&dir, &[("DATAFOG_IDEMPOTENCY_CACHE_MB", "0")]));
        let body = r#"{"action":{"type":"file.write"},"text":"mail jane@example.com","idempotency_key":"k"}"#;
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
}

mod guest {
    use super::support::*;
    use axum::http::StatusCode;

    /// A guest call past its deadline answers 503 `guest_timeout`, the instance is dropped, and the
    /// server keeps serving (issue 3).
    #[tokio::test]
    async fn deadline_drops_the_instance_and_the_server_keeps_serving() {
        let dir = temp_dir("deadline");
        let app = datafog_host::http::app(state_with(&dir, &[("DATAFOG_GUEST_TIMEOUT", "1ms")]));
        // ~60k emails, each hashed with HMAC: far more than one 10 ms epoch tick.
        let text = "jane.doe@example.com ".repeat(45_000);
        let body = serde_json::json!({"text": text, "mode": "hash"}).to_string();
        let r = post(&app, "/v1/transform", &body).await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.error_code(), "guest_timeout");
        assert_eq!(get(&app, "/health").await.status, StatusCode::OK);
        let r = post(&app, "/v1/scan", r#"{"text":"call 415-555-0199"}"#).await;
        assert_eq!(r.status, StatusCode::OK);
        let text = String::from_utf8(get(&app, "/metrics").await.bytes).unwrap();
        assert!(!text.contains("datafog_guest_timeouts_total 0"), "{text}");
    }

    /// A guest call that outgrows its memory limit traps: 500 `guest_error` (never a partial or
    /// empty answer), the instance is dropped, the trap is counted, and the server keeps serving.
    /// ~149k emails in a 1 MiB body: the findings alone need more than the 16 MiB floor.
    #[tokio::test]
    async fn memory_limit_traps_and_the_server_keeps_serving() {
        let dir = temp_dir("memory");
        let app = datafog_host::http::app(state_with(&dir, &[("DATAFOG_GUEST_MEMORY_MB", "16")]));
        let body = serde_json::json!({"text": "a@b.co ".repeat(149_000)}).to_string();
        assert!(body.len() < 1 << 20);
        let r = post(&app, "/v1/scan", &body).await;
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(r.error_code(), "guest_error");
        assert!(!String::from_utf8_lossy(&r.bytes).contains("a@b.co"));
        let r = post(&app, "/v1/scan", r#"{"text":"mail jane@example.com"}"#).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json()["findings"][0]["entity_type"], "email");
        let text = String::from_utf8(get(&app, "/metrics").await.bytes).unwrap();
        assert!(text.contains("datafog_guest_traps_total 1"), "{text}");
    }

    /// Audit of host/, item 5: more concurrent guest calls than the pooling allocator has
    /// instance slots (pool 1: 16 slots) wait for a turn instead of failing with 500
    /// `guest_error`; a call that waits past its bound is refused (`Busy`) and counted. (Without
    /// the permits, 24 of these 40 calls failed: "maximum concurrent limit of 16 for component
    /// instances reached".)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn excess_guest_calls_wait_for_an_instance_slot() {
        use datafog_host::runtime::{EMBEDDED_COMPONENT, GuestFailure, Runtime, RuntimeConfig};
        use std::time::Duration;
        warm_cache();
        let policy = std::fs::read_to_string(repo().join("config/policy.json")).unwrap();
        let (rt, _) = Runtime::new(
            EMBEDDED_COMPONENT,
            policy,
            RuntimeConfig {
                pool_size: 1,
                call_timeout: Duration::from_secs(30),
                cache_dir: Some(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("cwasm")),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(rt.capacity(), 16);
        let mut tasks = Vec::new();
        for _ in 0..40 {
            let rt = rt.clone();
            tasks.push(tokio::spawn(async move {
                let permit = rt.acquire(Duration::from_secs(60)).await?;
                tokio::task::spawn_blocking(move || {
                    let out = rt.call(|_| {
                        // Hold the instance, as a long guest call would.
                        std::thread::sleep(Duration::from_millis(200));
                        Ok(())
                    });
                    drop(permit);
                    out
                })
                .await
                .unwrap()
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap(), Ok(()));
        }
        assert_eq!(rt.unavailable_count(), 0);
        // Every slot taken: a caller that cannot wait is refused, and counted.
        let mut held = Vec::new();
        for _ in 0..rt.capacity() {
            held.push(rt.acquire(Duration::from_secs(1)).await.unwrap());
        }
        assert_eq!(
            rt.acquire(Duration::from_millis(50)).await.err(),
            Some(GuestFailure::Busy)
        );
        assert_eq!(rt.busy_count(), 1);
        drop(held);
        assert!(rt.acquire(Duration::from_millis(50)).await.is_ok());
    }
}

mod startup {
    use super::support::*;

    #[test]
    fn invalid_policy_names_file_rule_and_field() {
        warm_cache();
        let dir = temp_dir("badpolicy");
        let policy = dir.join("policy.json");
        std::fs::write(
            &policy,
            r#"{"policy_id":"p","policy_version":"1","rules":[{"id":"r1","effect":"block","match":{"action_types":["x"]}}]}"#,
        )
        .unwrap();
        let err = datafog_host::build_state(&settings_with(
            &dir,
            &[("DATAFOG_POLICY_PATH", policy.to_str().unwrap())],
        ))
        .unwrap_err();
        assert!(err.contains("policy.json"), "{err}");
        assert!(err.contains("rule `r1`"), "{err}");
        assert!(err.contains("effect"), "{err}");
    }

    #[test]
    fn unwritable_receipt_path_names_the_file() {
        warm_cache();
        let dir = temp_dir("unwritable");
        let blocker = dir.join("file");
        std::fs::write(&blocker, "x").unwrap();
        let path = blocker.join("receipts.jsonl");
        let err = datafog_host::build_state(&settings_with(
            &dir,
            &[("DATAFOG_RECEIPT_PATH", path.to_str().unwrap())],
        ))
        .unwrap_err();
        assert!(err.contains("receipts.jsonl"), "{err}");
    }

    #[test]
    fn token_key_is_generated_0600_and_kept() {
        use std::os::unix::fs::PermissionsExt;
        let dir = temp_dir("key");
        let path = dir.join("k");
        let a = datafog_host::config::load_or_create_key(&path).unwrap();
        assert_eq!(a.len(), 32);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(datafog_host::config::load_or_create_key(&path).unwrap(), a);
    }
}

mod socket {
    use super::support::*;
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    /// Start `datafog-api` on port 0 with `base_env(dir)`; the child and its base URL.
    fn start(dir: &std::path::Path) -> (std::process::Child, String) {
        start_with(dir, &[])
    }

    fn start_with(dir: &std::path::Path, extra: &[(&str, &str)]) -> (std::process::Child, String) {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_datafog-api"));
        for (k, v) in base_env(dir) {
            cmd.env(k, v);
        }
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let mut child = cmd
            .env("DATAFOG_ADDR", "127.0.0.1:0")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("server exited before listening")
                .unwrap();
            if let Some(a) = line.strip_prefix("datafog-api listening on ") {
                break a.to_owned();
            }
        };
        std::thread::spawn(move || for _ in lines {});
        (child, format!("http://{addr}"))
    }

    /// A full disk, for real: the server runs under a file-size limit (`RLIMIT_FSIZE`, with
    /// `SIGXFSZ` ignored, so a write past it fails with `EFBIG` as a full disk fails with
    /// `ENOSPC`). Decides answer 200 until a receipt no longer fits, then 500 `receipt_error`
    /// (never a decision without its receipt) while scan keeps working; once the limit is raised
    /// the next decide after the retry delay succeeds without a restart, and after a restart every
    /// receipt answered 200 is readable and the whole chain verifies.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_disk_refuses_decides_and_recovers() {
        use std::os::unix::process::CommandExt;
        warm_cache();
        let dir = temp_dir("fulldisk");
        // The token key (32 bytes) and the receipts file are the only files it writes.
        const LIMIT: u64 = 12 * 1024;
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_datafog-api"));
        for (k, v) in base_env(&dir) {
            cmd.env(k, v);
        }
        // SAFETY: between fork and exec only async-signal-safe calls (setrlimit, signal).
        #[allow(unsafe_code)]
        unsafe {
            cmd.pre_exec(|| {
                let lim = libc::rlimit {
                    rlim_cur: LIMIT,
                    rlim_max: libc::RLIM_INFINITY,
                };
                if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                Ok(())
            });
        }
        let mut child = cmd
            .env("DATAFOG_ADDR", "127.0.0.1:0")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("server exited before listening")
                .unwrap();
            if let Some(a) = line.strip_prefix("datafog-api listening on ") {
                break a.to_owned();
            }
        };
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let log = stderr.clone();
        std::thread::spawn(move || {
            for l in lines.map_while(Result::ok) {
                log.lock().unwrap().push(l);
            }
        });
        let base = format!("http://{addr}");
        let c = reqwest::Client::new();
        let decide = |i: usize| {
            let (c, base) = (c.clone(), base.clone());
            async move {
                let r = c
                    .post(format!("{base}/v1/decide"))
                    .header("content-type", "application/json")
                    .body(format!(
                        r#"{{"action":{{"type":"file.write","resource":"notes-{i}.txt"}},"text":"write to jane{i}@example.com"}}"#
                    ))
                    .send()
                    .await
                    .unwrap();
                let status = r.status().as_u16();
                (status, r.json::<serde_json::Value>().await.unwrap())
            }
        };
        let mut acked = Vec::new();
        let mut refused = None;
        for i in 0..200 {
            let (status, v) = decide(i).await;
            match status {
                200 => acked.push(v["receipt_id"].as_str().unwrap().to_owned()),
                _ => {
                    refused = Some((status, v));
                    break;
                }
            }
        }
        let (status, v) = refused.expect("the file-size limit never stopped a decide");
        assert_eq!(status, 500, "{v}");
        assert_eq!(v["error"]["code"], "receipt_error", "{v}");
        assert!(!acked.is_empty(), "no decide fitted under {LIMIT} bytes");
        let on_disk = std::fs::metadata(dir.join("receipts.jsonl")).unwrap().len();
        assert!(on_disk <= LIMIT, "{on_disk}");
        // Nothing of the failed batch stays on disk: the file ends after the last acked receipt.
        let text = std::fs::read_to_string(dir.join("receipts.jsonl")).unwrap();
        assert!(text.ends_with('\n'));
        assert_eq!(text.lines().count(), acked.len());
        // Scan does not need the disk.
        let r = c
            .post(format!("{base}/v1/scan"))
            .header("content-type", "application/json")
            .body(r#"{"text":"jane@example.com"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        // Still full: refused again (right away: within the retry delay; after it: a retry that
        // fails again).
        let (status, _) = decide(1000).await;
        assert_eq!(status, 500);
        tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
        let (status, v) = decide(1001).await;
        assert_eq!(status, 500, "{v}");

        // Free the "disk": raise the limit of the running process.
        let pid = libc::pid_t::try_from(child.id()).unwrap();
        let unlimited = libc::rlimit {
            rlim_cur: libc::RLIM_INFINITY,
            rlim_max: libc::RLIM_INFINITY,
        };
        // SAFETY: plain syscall with valid pointers.
        #[allow(unsafe_code)]
        let rc =
            unsafe { libc::prlimit(pid, libc::RLIMIT_FSIZE, &unlimited, std::ptr::null_mut()) };
        assert_eq!(rc, 0, "prlimit: {}", std::io::Error::last_os_error());
        tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
        for i in 2000..2005 {
            let (status, v) = decide(i).await;
            assert_eq!(status, 200, "no recovery after the disk was freed: {v}");
            acked.push(v["receipt_id"].as_str().unwrap().to_owned());
        }
        let r = c.get(format!("{base}/metrics")).send().await.unwrap();
        let metrics = r.text().await.unwrap();
        let failures: u64 = metrics
            .lines()
            .find_map(|l| l.strip_prefix("datafog_receipt_write_failures_total "))
            .unwrap()
            .parse()
            .unwrap();
        assert!(failures >= 2, "{failures}");
        child.kill().unwrap();
        child.wait().unwrap();
        let log = stderr.lock().unwrap().join("\n");
        assert!(log.contains("receipt write failed"), "{log}");
        assert!(
            !log.contains("jane"),
            "a matched value reached the log: {log}"
        );

        // Restart: start-up verifies the whole chain (across the failure); every 200 is there.
        let app = datafog_host::http::app(state_with(&dir, &[]));
        for id in &acked {
            let r = get(&app, &format!("/v1/receipts/{id}")).await;
            assert_eq!(
                r.status,
                axum::http::StatusCode::OK,
                "receipt {id} answered 200 but lost"
            );
        }
        let text = std::fs::read_to_string(dir.join("receipts.jsonl")).unwrap();
        assert_eq!(text.lines().count(), acked.len());
        datafog::receipt::verify_chain(text.lines()).unwrap();
    }

    /// SIGKILL during concurrent decide load: after a restart every receipt answered 200 is
    /// readable and the chain verifies (issue 3).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sigkill_under_load_loses_no_acknowledged_receipt() {
        warm_cache();
        let dir = temp_dir("crash");
        let (mut child, base) = start(&dir);
        let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut tasks = Vec::new();
        for t in 0..16 {
            let (acked, stop, base) = (acked.clone(), stop.clone(), base.clone());
            tasks.push(tokio::spawn(async move {
                let c = reqwest::Client::new();
                let mut i = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    i += 1;
                    let body = format!(
                        r#"{{"action":{{"type":"file.write","resource":"f{t}-{i}"}},"text":"mail jane{i}@example.com"}}"#
                    );
                    let Ok(r) = c
                        .post(format!("{base}/v1/decide"))
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .await
                    else {
                        break;
                    };
                    if r.status() != 200 {
                        break;
                    }
                    let Ok(v) = r.json::<serde_json::Value>().await else {
                        break;
                    };
                    acked
                        .lock()
                        .unwrap()
                        .push(v["receipt_id"].as_str().unwrap().to_owned());
                }
            }));
        }
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for t in tasks {
            let _ = t.await;
        }
        let acked = acked.lock().unwrap().clone();
        assert!(
            acked.len() > 10,
            "only {} decisions before the kill",
            acked.len()
        );
        // Restart (in process): start-up verifies the chain and recovers a torn tail.
        let app = datafog_host::http::app(state_with(&dir, &[]));
        for id in &acked {
            let r = get(&app, &format!("/v1/receipts/{id}")).await;
            assert_eq!(
                r.status,
                axum::http::StatusCode::OK,
                "receipt {id} answered 200 but lost"
            );
        }
        let text = std::fs::read_to_string(dir.join("receipts.jsonl")).unwrap();
        let summary = datafog::receipt::verify_chain(text.lines()).unwrap();
        assert!(summary.count >= acked.len());
        eprintln!(
            "crash test: {} acknowledged, {} on disk after SIGKILL",
            acked.len(),
            summary.count
        );
    }

    /// A client that does not finish its headers within `DATAFOG_READ_HEADER_TIMEOUT` is
    /// disconnected (slowloris); a prompt one is served.
    #[tokio::test]
    async fn read_header_timeout_disconnects_slow_clients() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        warm_cache();
        let dir = temp_dir("header-timeout");
        let (mut child, base) = start_with(&dir, &[("DATAFOG_READ_HEADER_TIMEOUT", "300ms")]);
        let addr = base.trim_start_matches("http://").to_owned();
        let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
        slow.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        let mut buf = Vec::new();
        let read = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            slow.read_to_end(&mut buf),
        )
        .await;
        assert!(
            read.is_ok(),
            "the server kept a slow client past the header timeout"
        );
        assert!(!String::from_utf8_lossy(&buf).contains("200 OK"));
        let r = reqwest::get(format!("{base}/health")).await.unwrap();
        assert_eq!(r.status(), 200);
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// The seed's curl examples against the real binary on port 0.
    #[tokio::test]
    async fn seed_curl_examples() {
        warm_cache();
        let dir = temp_dir("socket");
        let (mut child, base) = start(&dir);
        let c = reqwest::Client::new();
        let r = c.get(format!("{base}/health")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let r = c
            .post(format!("{base}/v1/scan"))
            .header("Content-Type", "application/json")
            .body(r#"{"text":"alice@example.com - API key: SK8x... and 555-123-4567"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let v: serde_json::Value = r.json().await.unwrap();
        assert!(
            v["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["entity_type"] == "email")
        );
        let r = c
            .post(format!("{base}/v1/decide"))
            .header("Content-Type", "application/json")
            .body(
                r#"{
    "action": {
      "type": "file.write",
      "resource": "notes.txt"
    },
    "text": "customer email is alice@example.com"
  }"#,
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let v: serde_json::Value = r.json().await.unwrap();
        let id = v["receipt_id"].as_str().unwrap().to_owned();
        let r = c
            .post(format!("{base}/v1/transform"))
            .header("Content-Type", "application/json")
            .body(r#"{
    "text": "customer email is alice@example.com",
    "findings": [{"entity_type":"email","value":"alice@example.com","start":18,"end":34,"confidence":0.99}],
    "mode":"mask"
  }"#)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let r = c
            .get(format!("{base}/v1/receipts/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["receipt_id"], id.as_str());
        let r = c
            .get(format!("{base}/v1/events?limit=20&decision=deny"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        // The quick-start loop: shell.exec git with clean text.
        let r = c
            .post(format!("{base}/v1/decide"))
            .header("Content-Type", "application/json")
            .body(r#"{"action":{"type":"shell.exec","command":"git"},"text":"no pii here"}"#)
            .send()
            .await
            .unwrap();
        let v: serde_json::Value = r.json().await.unwrap();
        let id = v["receipt_id"].as_str().unwrap();
        let r = c
            .get(format!("{base}/v1/receipts/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        // Graceful shutdown on SIGTERM: exits 0.
        let pid = child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let status = child.wait().unwrap();
        assert!(status.success(), "{status}");
    }

    /// Read from `s` until EOF, an error or `limit`; true if the peer closed (EOF or reset).
    fn closed_within(s: &mut std::net::TcpStream, limit: std::time::Duration) -> bool {
        use std::io::Read;
        s.set_read_timeout(Some(limit)).unwrap();
        let mut buf = [0u8; 4096];
        loop {
            match s.read(&mut buf) {
                Ok(0) => return true,
                Ok(_) => continue,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return false;
                }
                Err(_) => return true,
            }
        }
    }

    /// `GET /health` from a socket bound to `from` (any 127/8 address is local on Linux); the
    /// status code.
    async fn status_from(from: &str, server: &str) -> u16 {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let sock = tokio::net::TcpSocket::new_v4().unwrap();
        sock.bind(format!("{from}:0").parse().unwrap()).unwrap();
        let mut s = sock.connect(server.parse().unwrap()).await.unwrap();
        s.write_all(b"GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut got = Vec::new();
        s.read_to_end(&mut got).await.unwrap();
        let got = String::from_utf8_lossy(&got);
        got.split(' ').nth(1).unwrap().parse().unwrap()
    }

    /// Go's rate limit is global: one noisy client starves every other (a defect its notes
    /// list). `DATAFOG_CLIENT_RATE_LIMIT_RPS` gives each peer address its own bucket, on the real
    /// binary and socket (the peer comes from the accepted connection).
    #[tokio::test]
    async fn client_rate_limit_is_per_peer_address() {
        let dir = temp_dir("client-rate");
        let (mut child, base) = start_with(&dir, &[("DATAFOG_CLIENT_RATE_LIMIT_RPS", "2")]);
        let server = base.trim_start_matches("http://").to_owned();
        assert_eq!(status_from("127.0.0.1", &server).await, 200);
        assert_eq!(status_from("127.0.0.1", &server).await, 200);
        assert_eq!(status_from("127.0.0.1", &server).await, 429);
        // Another client still has its whole bucket.
        assert_eq!(status_from("127.0.0.2", &server).await, 200);
        assert_eq!(status_from("127.0.0.2", &server).await, 200);
        assert_eq!(status_from("127.0.0.2", &server).await, 429);
        child.kill().unwrap();
        child.wait().unwrap();
    }

    fn get_health(s: &mut std::net::TcpStream) -> String {
        use std::io::{Read, Write};
        s.write_all(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
            .unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        // The body is one JSON line ending in "}\n".
        while !got.ends_with(b"}\n") {
            let n = s.read(&mut buf).unwrap();
            assert!(
                n > 0,
                "closed before the response: {}",
                String::from_utf8_lossy(&got)
            );
            got.extend_from_slice(&buf[..n]);
        }
        String::from_utf8(got).unwrap()
    }

    /// Go's four HTTP timeouts, on a real socket: idle keep-alive outlives the header timeout,
    /// and each deadline closes the connection when it passes.
    #[test]
    fn http_timeouts_have_go_meaning() {
        use std::io::Write;
        use std::net::TcpStream;
        use std::time::Duration;
        warm_cache();
        let dir = temp_dir("timeouts");
        let (mut child, base) = start_with(
            &dir,
            &[
                ("DATAFOG_READ_HEADER_TIMEOUT", "300ms"),
                ("DATAFOG_READ_TIMEOUT", "600ms"),
                ("DATAFOG_IDLE_TIMEOUT", "1500ms"),
            ],
        );
        let addr = base.trim_start_matches("http://").to_owned();

        // Idle: a keep-alive connection waits longer than the header timeout...
        let mut s = TcpStream::connect(&addr).unwrap();
        assert!(get_health(&mut s).starts_with("HTTP/1.1 200"));
        std::thread::sleep(Duration::from_millis(700));
        assert!(
            get_health(&mut s).starts_with("HTTP/1.1 200"),
            "idle keep-alive closed early"
        );
        // ...and is closed once the idle timeout passes.
        let t = std::time::Instant::now();
        assert!(
            closed_within(&mut s, Duration::from_secs(5)),
            "idle connection never closed"
        );
        let idle = t.elapsed();
        assert!(
            idle >= Duration::from_millis(1200),
            "closed after {idle:?}, before the idle timeout"
        );

        // Header: headers started but never finished.
        let mut s = TcpStream::connect(&addr).unwrap();
        s.write_all(b"GET /health HTTP/1.1\r\nHost: t\r\n").unwrap();
        let t = std::time::Instant::now();
        assert!(
            closed_within(&mut s, Duration::from_secs(5)),
            "slow headers never cut"
        );
        assert!(
            t.elapsed() < Duration::from_millis(1400),
            "header timeout took {:?}",
            t.elapsed()
        );

        // Read: headers complete, body trickles and stops.
        let mut s = TcpStream::connect(&addr).unwrap();
        s.write_all(b"POST /v1/scan HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"text\":").unwrap();
        let t = std::time::Instant::now();
        assert!(
            closed_within(&mut s, Duration::from_secs(5)),
            "slow body never cut"
        );
        let took = t.elapsed();
        assert!(
            took < Duration::from_millis(1400),
            "read timeout took {took:?}"
        );
        child.kill().unwrap();
        child.wait().unwrap();

        // Write: a deadline shorter than any handler: the response is never written.
        let dir = temp_dir("timeouts-write");
        let (mut child, base) = start_with(&dir, &[("DATAFOG_WRITE_TIMEOUT", "1ns")]);
        let mut s = TcpStream::connect(base.trim_start_matches("http://")).unwrap();
        s.write_all(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
            .unwrap();
        let mut got = Vec::new();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let _ = std::io::Read::read_to_end(&mut s, &mut got);
        assert!(
            got.is_empty(),
            "answered despite the write timeout: {}",
            String::from_utf8_lossy(&got)
        );
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// Audit of host/, item 7: a new connection that sends nothing is closed after
    /// `DATAFOG_READ_HEADER_TIMEOUT` from accept (Go), not kept for the idle timeout; one that
    /// sends its first request in time is served and may then idle longer than the header
    /// timeout.
    #[test]
    fn a_silent_new_connection_is_closed_after_the_read_header_timeout() {
        use std::net::TcpStream;
        use std::time::{Duration, Instant};
        warm_cache();
        let dir = temp_dir("first-header");
        let (mut child, base) = start_with(
            &dir,
            &[
                ("DATAFOG_READ_HEADER_TIMEOUT", "300ms"),
                ("DATAFOG_IDLE_TIMEOUT", "30s"),
            ],
        );
        let addr = base.trim_start_matches("http://").to_owned();
        let mut silent = TcpStream::connect(&addr).unwrap();
        let t = Instant::now();
        assert!(
            closed_within(&mut silent, Duration::from_secs(5)),
            "a silent connection was kept past the header timeout"
        );
        let took = t.elapsed();
        assert!(
            took >= Duration::from_millis(250) && took < Duration::from_millis(1500),
            "closed after {took:?}"
        );
        // A first request that arrives within the header timeout is served (its deadline runs
        // from accept, so it is sent at once here), and the keep-alive wait after it is idle.
        let mut s = TcpStream::connect(&addr).unwrap();
        assert!(get_health(&mut s).starts_with("HTTP/1.1 200"));
        std::thread::sleep(Duration::from_millis(600));
        assert!(get_health(&mut s).starts_with("HTTP/1.1 200"));
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// Decide idempotency survives a restart: the replay is rebuilt from the receipts file (same
    /// receipt id and body, no new receipt); another payload under the key is still a 409.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn decide_idempotency_survives_a_restart() {
        warm_cache();
        let dir = temp_dir("idem-restart");
        let body = r#"{"action":{"type":"file.write","resource":"notes.txt"},"text":"mail jane@example.com or call +1 415-555-0199","idempotency_key":"idem-restart-1","request_id":"first"}"#;
        let c = reqwest::Client::new();
        let post = |base: String, body: String| {
            let c = c.clone();
            async move {
                c.post(format!("{base}/v1/decide"))
                    .header("Content-Type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap()
            }
        };
        let (mut child, base) = start(&dir);
        let r = post(base.clone(), body.to_owned()).await;
        assert_eq!(r.status(), 200);
        let first: serde_json::Value = r.json().await.unwrap();
        let line = std::fs::read_to_string(dir.join("receipts.jsonl")).unwrap();
        assert!(
            !line.contains("idem-restart-1"),
            "raw key in the receipt: {line}"
        );
        child.kill().unwrap();
        child.wait().unwrap();

        let (mut child, base) = start(&dir);
        // Other request id: still a replay, and the body is the first one (its request id).
        let again = body.replace(r#""request_id":"first""#, r#""request_id":"second""#);
        let r = post(base.clone(), again).await;
        assert_eq!(r.status(), 200);
        let replay: serde_json::Value = r.json().await.unwrap();
        assert_eq!(replay["receipt_id"], first["receipt_id"]);
        assert_eq!(replay["request_id"], "first");
        assert_eq!(replay["decision"], first["decision"]);
        assert_eq!(replay["matched_rules"], first["matched_rules"]);
        assert_eq!(replay["transform_plan"], first["transform_plan"]);
        let strip = |v: &serde_json::Value| {
            v["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    (
                        f["entity_type"].clone(),
                        f["value"].clone(),
                        f["start"].clone(),
                        f["end"].clone(),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(strip(&replay), strip(&first));
        assert!(!strip(&first).is_empty());
        let lines = std::fs::read_to_string(dir.join("receipts.jsonl")).unwrap();
        assert_eq!(lines.lines().count(), 1, "a replay wrote a receipt");
        // Same key, other payload: conflict.
        let other = body.replace("jane@example.com", "john@example.com");
        let r = post(base.clone(), other).await;
        assert_eq!(r.status(), 409);
        let e: serde_json::Value = r.json().await.unwrap();
        assert_eq!(e["error"]["code"], "idempotency_conflict");
        child.kill().unwrap();
        child.wait().unwrap();
    }
}
