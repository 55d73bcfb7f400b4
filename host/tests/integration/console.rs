//! Issue 12: demo mode (`/demo*`), `/v1/decide?dry_run=true` and the admin console's API
//! (`/admin/api/*`), through the real router and the real guest, with the shipped policy.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};

use crate::support::*;

const TOKEN: &str = "console-test-token";

// The scenario payloads (made-up test values); none may come back from any answer below.
const KEY: &str = "sk_live_4eC39HqLyjWDarjtT1zdp7dc";
const EMAIL: &str = "jane.roe@example.com";
const PHONE: &str = "415-555-0100";
const AWS: &str = "AKIAZ7VQ2MXK4P3RLT5W";
const GHP: &str = "ghp_R8mZ2xQ4vN7kP1sT9wY3bC6dF0gH5jL2aE4u";

fn with_token(mut req: Request<Body>) -> Request<Body> {
    req.headers_mut()
        .insert("authorization", format!("Bearer {TOKEN}").parse().unwrap());
    req
}

async fn aget(app: &axum::Router, path: &str) -> Resp {
    send(
        app,
        with_token(Request::get(path).body(Body::empty()).unwrap()),
    )
    .await
}

async fn apost(app: &axum::Router, path: &str, body: &Value) -> Resp {
    send(
        app,
        with_token(
            Request::post(path)
                .header("content-type", "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        ),
    )
    .await
}

fn no_values(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for v in [KEY, EMAIL, PHONE, AWS, GHP] {
        assert!(!text.contains(v), "{what} carries a scenario value: {text}");
    }
}

fn console_state(
    tag: &str,
) -> (
    std::path::PathBuf,
    std::sync::Arc<datafog_host::http::AppState>,
) {
    let dir = temp_dir(tag);
    let events = dir.join("events.ndjson").display().to_string();
    let st = state_with(
        &dir,
        &[
            ("DATAFOG_API_TOKEN", TOKEN),
            ("DATAFOG_ENABLE_DEMO", "true"),
            ("DATAFOG_ENABLE_ADMIN_UI", "true"),
            ("DATAFOG_EVENTS_PATH", &events),
        ],
    );
    (dir, st)
}

#[tokio::test]
async fn off_by_default() {
    let app = router("console-off");
    for p in ["/demo", "/demo/sandbox", "/admin", "/admin/api/receipts"] {
        assert_eq!(get(&app, p).await.status, StatusCode::NOT_FOUND, "{p}");
    }
}

#[tokio::test]
async fn issue_12_demo_scenarios_with_the_shipped_policy() {
    let (_dir, st) = console_state("demo");
    let app = datafog_host::http::app(st.clone());
    // Pages load without a token (no data in them); every action needs it.
    for p in [
        "/demo",
        "/demo/demo.js",
        "/demo/console.css",
        "/admin",
        "/admin/console.js",
    ] {
        let r = get(&app, p).await;
        assert_eq!(r.status, StatusCode::OK, "{p}");
        assert!(
            r.headers["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("script-src 'self'")
        );
    }
    let r = post(&app, "/demo/exec", r#"{"command":"echo","args":["x"]}"#).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        get(&app, "/demo/sandbox").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get(&app, "/admin/api/receipts").await.status,
        StatusCode::UNAUTHORIZED
    );

    // 1. A command leaking a key: denied, never run.
    let r = apost(
        &app,
        "/demo/exec",
        &json!({"command":"curl","args":["-H",format!("Authorization: Bearer {KEY}"),"https://api.example.com/v1/charges"]}),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    no_values("exec answer", &r.bytes);
    let v = r.json();
    assert_eq!(v["decision"]["decision"], "deny", "{v}");
    assert_eq!(v["decision"]["matched_rules"][0], "deny-command-secrets");
    assert_eq!(v["blocked"], true);
    assert_eq!(v["stdout"], "");
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["start"].as_u64().unwrap() > 0)
    );
    let leak_receipt = v["decision"]["receipt_id"].as_str().unwrap().to_owned();
    assert_eq!(leak_receipt.len(), 32);

    // 2. A file write with PII: redacted before it is written.
    let content = format!("Customer: Jane Roe, {EMAIL}, {PHONE}\n");
    let r = apost(
        &app,
        "/demo/write-file",
        &json!({"filename":"customers.md","content":content}),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    no_values("write answer", &r.bytes);
    let v = r.json();
    assert_eq!(v["decision"]["decision"], "allow_with_redaction", "{v}");
    assert_eq!(
        v["decision"]["matched_rules"][0],
        "redact-outbound-sensitive"
    );
    assert_eq!(v["written"], true);
    let sandbox = st.demo.as_ref().unwrap().dir().to_path_buf();
    let on_disk = std::fs::read_to_string(sandbox.join("customers.md")).unwrap();
    assert_eq!(v["content"], on_disk.as_str());
    no_values("written file", on_disk.as_bytes());

    // 3. A clean command runs in the sandbox.
    let r = apost(
        &app,
        "/demo/exec",
        &json!({"command":"echo","args":["hello from the sandbox"]}),
    )
    .await;
    let v = r.json();
    assert_eq!(v["decision"]["decision"], "allow", "{v}");
    assert_eq!(v["decision"]["matched_rules"][0], "allow-commands");
    assert_eq!(v["blocked"], false);
    assert_eq!(v["stdout"], "hello from the sandbox\n");
    // It runs in the sandbox with an empty environment (the token is not visible to it).
    let r = apost(&app, "/demo/exec", &json!({"command":"ls"})).await;
    assert!(
        r.json()["stdout"]
            .as_str()
            .unwrap()
            .contains("customers.md")
    );

    // 4. A seeded env file read comes back redacted (`app.env`: a `.env*` name is denied by path,
    // rule deny-sensitive-files, whatever the content).
    let env = format!("AWS_ACCESS_KEY_ID={AWS}\nGITHUB_TOKEN={GHP}\nLOG_LEVEL=info\n");
    let r = apost(
        &app,
        "/demo/seed",
        &json!({"filename":"app.env","content":env}),
    )
    .await;
    assert_eq!(r.json(), json!({"seeded":true,"filename":"app.env"}));
    let r = apost(&app, "/demo/read-file", &json!({"filename":"app.env"})).await;
    no_values("read answer", &r.bytes);
    let v = r.json();
    assert_eq!(v["decision"]["decision"], "allow_with_redaction", "{v}");
    assert_eq!(v["decision"]["matched_rules"][0], "redact-read-secrets");
    assert!(
        v["content"].as_str().unwrap().contains("LOG_LEVEL=info"),
        "{v}"
    );

    let r = aget(&app, "/demo/sandbox").await;
    let v = r.json();
    assert_eq!(v["files"], json!(["app.env", "customers.md"]));
    assert_eq!(v["sandbox_dir"], sandbox.display().to_string());

    // Every demo decision is a durable receipt, and the console finds it.
    let r = aget(&app, &format!("/v1/receipts/{leak_receipt}")).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = aget(&app, &format!("/admin/api/receipts/{leak_receipt}")).await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["receipt"]["decision"], "deny");
    assert_eq!(v["position"]["line"], 1);
    assert_eq!(v["position"]["segment"], 0);
    no_values("receipt detail", &r.bytes);

    // No console answer carries a scenario value.
    for p in [
        "/admin/api/receipts",
        "/admin/api/receipts?limit=200",
        "/admin/api/stats",
        "/admin/api/stats?bucket=hour",
        "/admin/api/policy",
        "/admin/api/verify",
        "/v1/events",
        "/admin",
        "/admin/console.js",
    ] {
        let r = aget(&app, p).await;
        assert_eq!(r.status, StatusCode::OK, "{p}");
        no_values(p, &r.bytes);
    }
    let stats = aget(&app, "/admin/api/stats").await.json();
    assert_eq!(stats["total"], 5, "{stats}");
    assert_eq!(stats["by_decision"]["deny"], 1);
    assert_eq!(stats["by_decision"]["allow_with_redaction"], 2);
    assert_eq!(stats["complete"], true);
}

#[tokio::test]
async fn issue_12_demo_never_leaves_its_sandbox() {
    let (dir, st) = console_state("escape");
    let app = datafog_host::http::app(st.clone());
    let sandbox = st.demo.as_ref().unwrap().dir().to_path_buf();
    let outside = dir.join("outside.txt");
    std::fs::write(&outside, "outside the sandbox\n").unwrap();
    std::os::unix::fs::symlink(&outside, sandbox.join("link.txt")).unwrap();
    let receipts_before = st.receipts.file().unwrap().len();
    // `..`, absolute paths and separators in file names: 400, nothing decided.
    for name in ["../outside.txt", "/etc/passwd", "a/b", "..", ""] {
        for route in ["/demo/write-file", "/demo/read-file", "/demo/seed"] {
            let r = apost(&app, route, &json!({"filename":name,"content":"x"})).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{route} {name:?}");
            assert_eq!(r.error_code(), "invalid_request");
        }
    }
    // Commands: a path as the command, an absolute or `..` argument: 400.
    for body in [
        json!({"command":"/bin/cat","args":["x"]}),
        json!({"command":"cat","args":["/etc/passwd"]}),
        json!({"command":"cat","args":["../outside.txt"]}),
        json!({"command":"cat","args":["sub/../../outside.txt"]}),
        json!({"command":""}),
    ] {
        let r = apost(&app, "/demo/exec", &body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
    }
    assert_eq!(st.receipts.file().unwrap().len(), receipts_before);
    // A symlink out of the sandbox: never followed to read, write or run on.
    let r = apost(&app, "/demo/read-file", &json!({"filename":"link.txt"})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("symlink")
    );
    let r = apost(
        &app,
        "/demo/write-file",
        &json!({"filename":"link.txt","content":"overwritten"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        std::fs::read_to_string(&outside).unwrap(),
        "outside the sandbox\n"
    );
    let r = apost(
        &app,
        "/demo/exec",
        &json!({"command":"cat","args":["link.txt"]}),
    )
    .await;
    let v = r.json();
    assert_eq!(v["blocked"], true, "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("out of the sandbox"),
        "{v}"
    );
    assert_eq!(v["stdout"], "");
    // A program outside the demo's list is decided, then not run.
    let r = apost(
        &app,
        "/demo/exec",
        &json!({"command":"rm","args":["-rf","x"]}),
    )
    .await;
    let v = r.json();
    assert_eq!(v["decision"]["decision"], "allow");
    assert_eq!(v["blocked"], true);
    assert!(v["error"].as_str().unwrap().contains("demo runs only"));
    // The sandbox is removed with the state.
    drop(app);
    drop(st);
    assert!(!sandbox.exists());
}

#[tokio::test]
async fn issue_12_dry_run_decides_without_a_receipt() {
    let (_dir, st) = console_state("dry");
    let app = datafog_host::http::app(st.clone());
    let body = json!({"action":{"type":"shell.exec","command":"curl"},"text":format!("curl -H 'Authorization: Bearer {KEY}'")});
    let r = apost(&app, "/v1/decide?dry_run=true", &body).await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["decision"], "deny");
    assert_eq!(v["matched_rules"][0], "deny-command-secrets");
    assert_eq!(v["receipt_id"], "");
    assert_eq!(st.receipts.file().unwrap().len(), 0);
    let r = apost(&app, "/v1/decide?dry_run=false", &body).await;
    assert_eq!(r.json()["receipt_id"].as_str().unwrap().len(), 32);
    assert_eq!(st.receipts.file().unwrap().len(), 1);
    let r = apost(&app, "/v1/decide?dry_run=maybe", &body).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("dry_run")
    );
}

#[tokio::test]
async fn issue_12_receipts_pages_filters_and_chain_verification() {
    let (dir, st) = console_state("pages");
    let app = datafog_host::http::app(st.clone());
    let mut ids = Vec::new();
    for i in 0..6 {
        let body = if i % 2 == 0 {
            json!({"action":{"type":"file.write","resource":"a.md"},"text":format!("mail {EMAIL}"),"actor_id":"ci-runner"})
        } else {
            json!({"action":{"type":"shell.exec","command":"ls"},"actor_id":"build-bot"})
        };
        let r = apost(&app, "/v1/decide", &body).await;
        ids.push(r.json()["receipt_id"].as_str().unwrap().to_owned());
    }
    // Newest first, two per page, the cursor walks back to the first.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let q = if cursor.is_empty() {
            "/admin/api/receipts?limit=2".to_owned()
        } else {
            format!("/admin/api/receipts?limit=2&cursor={cursor}")
        };
        let v = aget(&app, &q).await.json();
        for r in v["receipts"].as_array().unwrap() {
            seen.push(r["receipt_id"].as_str().unwrap().to_owned());
        }
        match v["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => break,
        }
    }
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first);
    // Filters.
    let count = |v: Value| v["receipts"].as_array().unwrap().len();
    assert_eq!(
        count(
            aget(&app, "/admin/api/receipts?decision=allow_with_redaction")
                .await
                .json()
        ),
        3
    );
    assert_eq!(
        count(
            aget(&app, "/admin/api/receipts?rule=allow-commands")
                .await
                .json()
        ),
        3
    );
    assert_eq!(
        count(
            aget(&app, "/admin/api/receipts?action_type=SHELL.EXEC")
                .await
                .json()
        ),
        3
    );
    assert_eq!(
        count(
            aget(&app, "/admin/api/receipts?entity_type=email")
                .await
                .json()
        ),
        3
    );
    assert_eq!(
        count(
            aget(&app, "/admin/api/receipts?actor=build-bot")
                .await
                .json()
        ),
        3
    );
    assert_eq!(
        count(aget(&app, "/admin/api/receipts?actor=nobody").await.json()),
        0
    );
    assert_eq!(
        count(
            aget(&app, "/admin/api/receipts?before=2000-01-01T00:00:00Z")
                .await
                .json()
        ),
        0
    );
    assert_eq!(
        count(
            aget(&app, "/admin/api/receipts?after=2000-01-01T00:00:00Z")
                .await
                .json()
        ),
        6
    );
    for bad in [
        "limit=0",
        "cursor=x",
        "decision=maybe",
        "after=yesterday",
        "colour=red",
    ] {
        let r = aget(&app, &format!("/admin/api/receipts?{bad}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    let r = aget(&app, "/admin/api/receipts/nope").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let v = aget(&app, &format!("/admin/api/receipts/{}", ids[3]))
        .await
        .json();
    assert_eq!(v["position"]["line"], 4);
    // The chain verifies; the policy view lists the rules in evaluation order.
    let v = aget(&app, "/admin/api/verify").await.json();
    assert_eq!(v["state"], "done", "{v}");
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["count"], 6);
    assert_eq!(
        v["last_hash"].as_str().unwrap(),
        st.receipts.file().unwrap().last_hash()
    );
    let v = aget(&app, "/admin/api/policy").await.json();
    assert_eq!(v["rules"][0]["id"], "deny-sensitive-files");
    assert_eq!(v["rules"][1]["id"], "deny-command-secrets");
    assert_eq!(
        v["rules"][1]["match"]["action_types"],
        json!(["shell.exec", "command.exec"])
    );
    // A receipt changed on disk under the server: the verifier names the line.
    let path = dir.join("receipts.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let tampered = text.replacen(
        "\"actor_id\":\"build-bot\"",
        "\"actor_id\":\"build-bad\"",
        1,
    );
    assert_ne!(text, tampered);
    std::fs::write(&path, tampered).unwrap();
    let v = aget(&app, "/admin/api/verify").await.json();
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(v["broken_at_line"], 2);
    assert_eq!(v["count"], 1);
}

/// Issue 12's speed target: the console's first receipts page within 200 ms on a 1,000,000-line
/// receipts file. Ignored by default (it writes ~700 MB and verifies them at start-up); run with
/// `cargo test -p datafog-host --test integration console::million -- --ignored --nocapture`
/// (`DATAFOG_BENCH_LINES` changes the size). The numbers are in `docs/benchmarks.md`.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "benchmark: writes a 1,000,000-line receipts file"]
async fn million_receipts_first_page() {
    use std::io::Write;
    let n: usize = std::env::var("DATAFOG_BENCH_LINES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = temp_dir("million");
    let started = std::time::Instant::now();
    {
        let mut out =
            std::io::BufWriter::new(std::fs::File::create(dir.join("receipts.jsonl")).unwrap());
        let mut prev = datafog::receipt::GENESIS_HASH.to_owned();
        let t0 = time::OffsetDateTime::now_utc() - time::Duration::seconds(n as i64 / 100);
        let effects = [
            datafog::Effect::Allow,
            datafog::Effect::AllowWithRedaction,
            datafog::Effect::Deny,
            datafog::Effect::Allow,
        ];
        for i in 0..n {
            let ts = t0 + time::Duration::milliseconds(10 * i as i64);
            let r = datafog::receipt::build(datafog::receipt::ReceiptInput {
                receipt_id: format!("{i:032x}"),
                timestamp: ts
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap(),
                request_id: String::new(),
                trace_id: String::new(),
                tenant_id: String::new(),
                actor_id: format!("agent-{}", i % 7),
                session_id: String::new(),
                policy_id: "datafog-starter".into(),
                policy_version: "v".into(),
                action: datafog::Action {
                    action_type: ["shell.exec", "file.write", "file.read"][i % 3].into(),
                    ..Default::default()
                },
                input_hash: "0".repeat(64),
                decision: datafog::Decision {
                    effect: effects[i % 4],
                    matched_rules: vec![format!("rule-{}", i % 5)],
                    plan: vec![],
                    reason: String::new(),
                },
                findings: vec![],
                prev_hash: prev.clone(),
            });
            prev = r.hash.clone();
            out.write_all(r.canonical_json().as_bytes()).unwrap();
            out.write_all(b"\n").unwrap();
        }
    }
    let size = std::fs::metadata(dir.join("receipts.jsonl")).unwrap().len();
    eprintln!(
        "million: wrote {n} receipts ({size} bytes) in {:?}",
        started.elapsed()
    );
    let started = std::time::Instant::now();
    let (_, st) = {
        let events = dir.join("events.ndjson").display().to_string();
        let st = state_with(
            &dir,
            &[
                ("DATAFOG_API_TOKEN", TOKEN),
                ("DATAFOG_ENABLE_ADMIN_UI", "true"),
                ("DATAFOG_EVENTS_PATH", &events),
                ("DATAFOG_RECEIPT_ROTATE_MB", "0"),
            ],
        );
        (dir.clone(), st)
    };
    eprintln!(
        "million: server state (verify + index) in {:?}",
        started.elapsed()
    );
    let app = datafog_host::http::app(st);
    let time_it = |label: &'static str, path: String| {
        let app = app.clone();
        async move {
            let mut ms = Vec::new();
            let mut last = Value::Null;
            for _ in 0..11 {
                let t = std::time::Instant::now();
                let r = aget(&app, &path).await;
                ms.push(t.elapsed().as_secs_f64() * 1000.0);
                assert_eq!(r.status, StatusCode::OK, "{path}");
                last = r.json();
            }
            ms.sort_by(f64::total_cmp);
            eprintln!(
                "million: {label}: median {:.1} ms, max {:.1} ms ({path})",
                ms[5], ms[10]
            );
            (ms[5], last)
        }
    };
    let (first, v) = time_it("first page (50)", "/admin/api/receipts".into()).await;
    assert_eq!(v["receipts"].as_array().unwrap().len(), 50);
    assert!(first < 200.0, "first page took {first} ms");
    let (_, v) = time_it("first page (200)", "/admin/api/receipts?limit=200".into()).await;
    let cursor = v["next_cursor"].as_str().unwrap().to_owned();
    time_it(
        "next page (200)",
        format!("/admin/api/receipts?limit=200&cursor={cursor}"),
    )
    .await;
    time_it(
        "filtered: deny + actor",
        "/admin/api/receipts?decision=deny&actor=agent-3".into(),
    )
    .await;
    let (_, v) = time_it(
        "filter matching nothing (budget)",
        "/admin/api/receipts?actor=nobody".into(),
    )
    .await;
    eprintln!(
        "million: a miss scans {} lines per request (partial={})",
        v["scanned"], v["partial"]
    );
    time_it("stats, last hour by minute", "/admin/api/stats".into()).await;
    let (_, v) = time_it(
        "stats, last day by hour",
        "/admin/api/stats?bucket=hour".into(),
    )
    .await;
    eprintln!(
        "million: stats by hour counted {} (complete={})",
        v["total"], v["complete"]
    );
    // Verify chain: in the background; every request answers within the wait, with the progress
    // until the verdict.
    let t = std::time::Instant::now();
    let mut polls = 0;
    let v = loop {
        let r = std::time::Instant::now();
        let v = aget(&app, "/admin/api/verify").await.json();
        assert!(
            r.elapsed() < std::time::Duration::from_secs(5),
            "a verify request took {:?}",
            r.elapsed()
        );
        polls += 1;
        if v["state"] == "done" {
            break v;
        }
        assert_eq!(v["state"], "running", "{v}");
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    };
    eprintln!(
        "million: verify chain: {:?} over {polls} requests ({v})",
        t.elapsed()
    );
    assert_eq!(v["ok"], true);
    assert_eq!(v["count"], n);
}
