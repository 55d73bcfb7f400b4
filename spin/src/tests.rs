//! The edge app natively: the request path over [`MemStore`] and [`DirStore`], the chain under
//! concurrent appends, and a store that refuses writes.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use datafog::api::ApiError;

use crate::app::{self, Body, Env, Step};
use crate::config::Settings;
use crate::dir::DirStore;
use crate::state::{self, MemStore, Store};

/// A store shared by reference (the app opens one per request).
struct Shared(Arc<dyn Store + Send + Sync>);

impl Store for Shared {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
        self.0.get(key)
    }
    fn put(&self, key: &str, value: &[u8]) -> Result<(), String> {
        self.0.put(key, value)
    }
    fn create(&self, key: &str, value: &[u8]) -> Result<bool, String> {
        self.0.create(key, value)
    }
}

fn random_hex16() -> Result<String, String> {
    static N: AtomicU64 = AtomicU64::new(1);
    Ok(format!("{:032x}", N.fetch_add(1, Ordering::Relaxed)))
}

/// One request through `front` and `finish`; `vars` are the app's variables.
fn call(
    store: &Arc<dyn Store + Send + Sync>,
    vars: &[(&str, &str)],
    method: &str,
    path: &str,
    body: &str,
) -> (u16, serde_json::Value) {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let lookup = move |name: &str| -> Result<Option<String>, String> {
        Ok(vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    };
    let st = store.clone();
    let open = move |_: &Settings| -> Result<Box<dyn Store>, ApiError> {
        Ok(Box::new(Shared(st.clone())))
    };
    let env = Env {
        vars: &lookup,
        open_store: &open,
        random_hex16: &random_hex16,
        now: &time::OffsetDateTime::now_utc,
    };
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let req = app::Request {
        method,
        path,
        query,
        headers: vec![("content-type".into(), "application/json".into())],
    };
    let r = match app::front(&req, &env) {
        Step::Done(r) => r,
        Step::NeedBody(p) => {
            let b = if body.len() > p.limit {
                Body::TooLarge
            } else {
                Body::Bytes(body.as_bytes().to_vec())
            };
            app::finish(p, b, &env)
        }
    };
    let v = serde_json::from_slice(&r.body).unwrap_or(serde_json::Value::Null);
    (r.status, v)
}

fn export(store: &dyn Store) -> Vec<String> {
    let mut lines = Vec::new();
    state::for_each_receipt(store, |l| lines.push(l.to_owned())).unwrap();
    lines
}

const DECIDE: &str = r#"{"action":{"type":"shell.exec","command":"echo"},"text":"mail a@b.com"}"#;

#[test]
fn decide_stores_a_verifiable_chain_and_every_receipt_by_id() {
    let store: Arc<dyn Store + Send + Sync> = Arc::new(MemStore::default());
    let mut ids = Vec::new();
    for _ in 0..5 {
        let (status, v) = call(&store, &[], "POST", "/v1/decide", DECIDE);
        assert_eq!(status, 200, "{v}");
        ids.push(v["receipt_id"].as_str().unwrap().to_owned());
    }
    let lines = export(&*store);
    assert_eq!(lines.len(), 5);
    datafog::receipt::verify_chain(lines.iter().map(String::as_str)).unwrap();
    for id in &ids {
        let (status, v) = call(&store, &[], "GET", &format!("/v1/receipts/{id}"), "");
        assert_eq!(status, 200);
        assert_eq!(v["receipt_id"], id.as_str());
    }
    assert!(lines.iter().all(|l| !l.contains("a@b.com")));
    for odd in ["..", "a%20b", "%2E%2E", "x.y"] {
        let (status, v) = call(&store, &[], "GET", &format!("/v1/receipts/{odd}"), "");
        assert_eq!(status, 404, "{odd}: {v}");
    }
    let (_, events) = call(&store, &[], "GET", "/v1/events", "");
    assert_eq!(events["total"], 5);
}

#[test]
fn concurrent_appends_make_one_chain_without_gaps() {
    let dir = std::env::temp_dir().join(format!("datafog-spin-dir-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let dirs: Arc<dyn Store + Send + Sync> =
        Arc::new(DirStore::open(dir.to_str().unwrap()).unwrap());
    let mem: Arc<dyn Store + Send + Sync> = Arc::new(MemStore::default());
    for store in [mem, dirs] {
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let s = store.clone();
                std::thread::spawn(move || {
                    for _ in 0..10 {
                        let (status, v) = call(&s, &[], "POST", "/v1/decide", DECIDE);
                        assert_eq!(status, 200, "{v}");
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let lines = export(&*store);
        assert_eq!(lines.len(), 80);
        let summary = datafog::receipt::verify_chain(lines.iter().map(String::as_str)).unwrap();
        assert_eq!(summary.count, 80);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_store_that_refuses_writes_acknowledges_nothing() {
    let mem = Arc::new(MemStore::default());
    let store: Arc<dyn Store + Send + Sync> = mem.clone();
    // The key and start time exist (a store that turned read-only later).
    let (status, _) = call(&store, &[], "POST", "/v1/decide", DECIDE);
    assert_eq!(status, 200);
    mem.fail_puts.store(true, Ordering::Relaxed);
    let (status, v) = call(&store, &[], "POST", "/v1/decide", DECIDE);
    assert_eq!(status, 500, "{v}");
    assert_eq!(v["error"]["code"], "receipt_error");
    assert_eq!(export(&*store).len(), 1);
    // Reads still answer.
    let (status, _) = call(&store, &[], "GET", "/v1/receipts", "");
    assert_eq!(status, 200);
}

#[test]
fn a_broken_variable_is_a_503_naming_it() {
    let store: Arc<dyn Store + Send + Sync> = Arc::new(MemStore::default());
    for route in ["/health", "/v1/decide"] {
        let method = if route == "/health" { "GET" } else { "POST" };
        let (status, v) = call(
            &store,
            &[("policy_json", "{\"rules\": 5}")],
            method,
            route,
            DECIDE,
        );
        assert_eq!(status, 503, "{v}");
        assert_eq!(v["error"]["code"], "config_error");
        assert!(
            v["error"]["details"]
                .as_str()
                .unwrap()
                .contains("policy_json")
        );
    }
}

#[test]
fn without_the_token_a_broken_setting_is_not_revealed() {
    let store: Arc<dyn Store + Send + Sync> = Arc::new(MemStore::default());
    let (status, v) = call(
        &store,
        &[("api_token", "t"), ("policy_json", "{broken")],
        "GET",
        "/health",
        "",
    );
    assert_eq!(status, 401, "{v}");
}

#[test]
fn idempotent_decide_replays_and_conflicts() {
    let store: Arc<dyn Store + Send + Sync> = Arc::new(MemStore::default());
    let keyed =
        r#"{"action":{"type":"shell.exec","command":"echo"},"text":"x","idempotency_key":"k1"}"#;
    let other =
        r#"{"action":{"type":"shell.exec","command":"ls"},"text":"x","idempotency_key":"k1"}"#;
    let (_, a) = call(&store, &[], "POST", "/v1/decide", keyed);
    let (_, b) = call(&store, &[], "POST", "/v1/decide", keyed);
    assert_eq!(a, b);
    assert_eq!(export(&*store).len(), 1);
    let (status, v) = call(&store, &[], "POST", "/v1/decide", other);
    assert_eq!(status, 409);
    assert_eq!(v["error"]["code"], "idempotency_conflict");
}

#[test]
fn body_limit_and_auth_come_from_variables() {
    let store: Arc<dyn Store + Send + Sync> = Arc::new(MemStore::default());
    let (status, v) = call(
        &store,
        &[("max_body_bytes", "10")],
        "POST",
        "/v1/scan",
        DECIDE,
    );
    assert_eq!(status, 413, "{v}");
    let (status, _) = call(&store, &[("api_token", "t")], "GET", "/health", "");
    assert_eq!(status, 401);
}

#[test]
fn the_hint_may_lag_or_lead_the_chain() {
    let store = MemStore::default();
    for n in 1..=3u64 {
        store
            .put(&format!("chain/{n:016}"), b"{\"hash\":\"x\"}")
            .unwrap();
    }
    store.put("head", b"1").unwrap();
    assert_eq!(state::last(&store).unwrap(), 3);
    store.put("head", b"9").unwrap();
    assert_eq!(state::last(&store).unwrap(), 3);
    // A hint far past the end costs O(log n) reads, not one per number.
    store.put("head", u64::MAX.to_string().as_bytes()).unwrap();
    assert_eq!(state::last(&store).unwrap(), 3);
    store.put("head", b"garbage").unwrap();
    assert_eq!(state::last(&store).unwrap(), 3);
}

/// `GET /metrics` reads `format` as the native host does (the core's `metrics_wants_json`):
/// Prometheus text by default or with `format=prometheus`, JSON with `format=json` (any case),
/// 400 for another value or another parameter.
#[test]
fn metrics_honour_the_format_parameter() {
    let store: Arc<dyn Store + Send + Sync> = Arc::new(MemStore::default());
    let (status, _) = call(&store, &[], "POST", "/v1/decide", DECIDE);
    assert_eq!(status, 200);
    for q in ["", "?format=prometheus", "?format=PROMETHEUS"] {
        let (status, v) = call(&store, &[], "GET", &format!("/metrics{q}"), "");
        assert_eq!(status, 200, "{q}");
        assert_eq!(v, serde_json::Value::Null, "{q}: text, not JSON");
    }
    for q in ["?format=json", "?format=JSON"] {
        let (status, v) = call(&store, &[], "GET", &format!("/metrics{q}"), "");
        assert_eq!(status, 200, "{q}");
        assert_eq!(v["receipts_written_total"], 1, "{v}");
        assert_eq!(v["decisions_total"]["allow"], 1, "{v}");
        assert_eq!(v["decision_findings_total"]["email"], 1, "{v}");
        assert_eq!(v["host"], "spin", "{v}");
    }
    for q in [
        "?format=xml",
        "?format=",
        "?limit=1",
        "?format=json&format=json",
    ] {
        let (status, v) = call(&store, &[], "GET", &format!("/metrics{q}"), "");
        assert_eq!(status, 400, "{q}: {v}");
        assert_eq!(v["error"]["code"], "invalid_request", "{q}: {v}");
    }
}
