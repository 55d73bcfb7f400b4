//! One interface, three implementations: the HTTP contract (`datafog::api`'s request and response
//! types) served by the native core, by the component in wasmtime, and by the real HTTP host
//! (`datafog_host::http::app` driven in-process with `tower::ServiceExt::oneshot`), so a corpus
//! test can send the same request to each and `assert_eq!` the answers.
//!
//! - Each implementation is built from a policy document and a token key; [`all`] builds the
//!   three. A policy the implementation refuses is `Err` with its message (for the HTTP host, the
//!   start-up error, which names the policy file).
//! - A request the contract refuses is `Err(ApiError)` (for the HTTP host, the error envelope
//!   parsed back: `code`, `message`, `details`). Anything else going wrong is a broken harness,
//!   not an answer, and panics with the implementation's name: a trap in the guest, a body that is
//!   not the documented shape, an unknown error code.
//! - Decisions: the native core and the component are given a fixed receipt id and timestamp and
//!   the genesis `prev_hash` (nothing is chained); the HTTP host makes its own and writes a durable
//!   receipt. Compare decide responses with `receipt_id` blanked.
//! - The host answers with the body's `request_id`; send one (an empty id in the body stays empty
//!   in the response everywhere, but the HTTP host would invent one for the `x-request-id` header).
//! - The HTTP host refuses keys under 16 bytes (`datafog_files::MIN_KEY_LEN`): so does [`all`].

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use datafog::api::{
    self, AnonymizeRequest, ApiError, DecideContext, DecideRequest, DecideResponse, ErrorBody,
    ErrorCode, ScanRequest, ScanResponse, TransformRequest, TransformResponse,
};
use datafog::policy::Policy;
use datafog::receipt::GENESIS_HASH;
use datafog_host::http::AppState;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tower::ServiceExt;

use crate::wasm::{self, Guest, PolicyHandle};

/// The HTTP contract, one method per `POST` route.
pub trait Firewall {
    /// `native`, `component` or `http`.
    fn name(&self) -> &str;
    /// `POST /v1/scan`.
    fn scan(&mut self, req: ScanRequest) -> Result<ScanResponse, ApiError>;
    /// `POST /v1/transform`.
    fn transform(&mut self, req: TransformRequest) -> Result<TransformResponse, ApiError>;
    /// `POST /v1/anonymize`.
    fn anonymize(&mut self, req: AnonymizeRequest) -> Result<TransformResponse, ApiError>;
    /// `POST /v1/decide`.
    fn decide(&mut self, req: DecideRequest) -> Result<DecideResponse, ApiError>;
}

/// The three implementations of one policy and key, in the order native, component, HTTP: each
/// built, or the message it refused the policy with.
pub fn all(policy_json: &str, key: &[u8]) -> Vec<Result<Box<dyn Firewall>, String>> {
    vec![
        Native::new(policy_json, key).map(|f| Box::new(f) as Box<dyn Firewall>),
        Component::new(policy_json, key).map(|f| Box::new(f) as Box<dyn Firewall>),
        Http::new(policy_json, key).map(|f| Box::new(f) as Box<dyn Firewall>),
    ]
}

/// The receipt id and timestamp the native core and the component decide with.
const FIXED_RECEIPT_ID: &str = "00000000000000000000000000000001";
const FIXED_TIMESTAMP: &str = "2026-02-24T12:00:00.000000000Z";

fn fixed_context(key: &[u8]) -> DecideContext<'_> {
    DecideContext {
        receipt_id: FIXED_RECEIPT_ID.to_owned(),
        timestamp: FIXED_TIMESTAMP.to_owned(),
        prev_hash: GENESIS_HASH.to_owned(),
        key,
        input_hash: String::new(),
    }
}

// ------------------------------------------------------------------------------------ native

/// The core's handlers (`datafog::api::handle_*`, `decide`), called directly.
#[derive(Debug)]
pub struct Native {
    policy: Policy,
    key: Vec<u8>,
}

impl Native {
    pub fn new(policy_json: &str, key: &[u8]) -> Result<Native, String> {
        let policy = Policy::from_json(policy_json.as_bytes()).map_err(|e| e.to_string())?;
        Ok(Native {
            policy,
            key: key.to_vec(),
        })
    }
}

impl Firewall for Native {
    fn name(&self) -> &str {
        "native"
    }

    fn scan(&mut self, req: ScanRequest) -> Result<ScanResponse, ApiError> {
        api::handle_scan(&self.policy, &req)
    }

    fn transform(&mut self, req: TransformRequest) -> Result<TransformResponse, ApiError> {
        api::handle_transform(&self.policy, &req, &self.key)
    }

    fn anonymize(&mut self, req: AnonymizeRequest) -> Result<TransformResponse, ApiError> {
        api::handle_anonymize(&self.policy, &req, &self.key)
    }

    fn decide(&mut self, req: DecideRequest) -> Result<DecideResponse, ApiError> {
        api::decide(&self.policy, &req, fixed_context(&self.key)).map(|(resp, _receipt)| resp)
    }
}

// ------------------------------------------------------------------------------------ component

/// The component in wasmtime through `datafog-embed` (the client the host uses), the policy
/// loaded once.
#[derive(Debug)]
pub struct Component {
    guest: Guest,
    policy: PolicyHandle,
    key: Vec<u8>,
}

impl Component {
    pub fn new(policy_json: &str, key: &[u8]) -> Result<Component, String> {
        let mut guest = wasm::guest().unwrap_or_else(|e| panic!("component: instantiate: {e:?}"));
        let policy = guest
            .load(policy_json)
            .unwrap_or_else(|e| panic!("component: load trapped: {e:?}"))
            .map_err(|e| e.to_string())?;
        Ok(Component {
            guest,
            policy,
            key: key.to_vec(),
        })
    }
}

/// A guest call's answer, or a panic on a trap.
fn answered<T>(call: &str, out: wasm::Result<T>) -> T {
    out.unwrap_or_else(|e| panic!("component: {call} trapped: {e:?}"))
}

impl Firewall for Component {
    fn name(&self) -> &str {
        "component"
    }

    fn scan(&mut self, req: ScanRequest) -> Result<ScanResponse, ApiError> {
        answered("scan-request", self.guest.scan_request(self.policy, req))
    }

    fn transform(&mut self, req: TransformRequest) -> Result<TransformResponse, ApiError> {
        let out = self.guest.transform_request(self.policy, req, &self.key);
        answered("transform-request", out)
    }

    fn anonymize(&mut self, req: AnonymizeRequest) -> Result<TransformResponse, ApiError> {
        let out = self.guest.anonymize_request(self.policy, req, &self.key);
        answered("anonymize-request", out)
    }

    fn decide(&mut self, req: DecideRequest) -> Result<DecideResponse, ApiError> {
        let ctx = fixed_context(&self.key);
        let out = self.guest.decide_request(self.policy, req, ctx);
        answered("decide-request", out).map(|d| d.response)
    }
}

// ------------------------------------------------------------------------------------ HTTP

/// The real host: `build_state` from settings (the policy in a file, receipts and the token key in
/// a fresh directory, the component `crate::wasm` runs), requests through `app(state)` with
/// `oneshot` on a current-thread runtime of its own. Dropping it flushes the receipts and removes
/// the directory.
pub struct Http {
    runtime: tokio::runtime::Runtime,
    state: Arc<AppState>,
    dir: PathBuf,
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// A fresh directory under the system's temporary directory, unique in this process.
fn fresh_dir() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "datafog-conformance-http-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    dir
}

/// The host's compiled-component cache: beside the one `crate::wasm` uses, not in it (the host's
/// engine settings differ, and a cache directory keeps one compilation).
fn host_cache_dir() -> PathBuf {
    Path::new(datafog_embed::BUILD_CACHE_DIR).join("host")
}

impl Http {
    pub fn new(policy_json: &str, key: &[u8]) -> Result<Http, String> {
        let dir = fresh_dir();
        let write = |name: &str, bytes: &[u8]| {
            let path = dir.join(name);
            std::fs::write(&path, bytes)
                .unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
            path.display().to_string()
        };
        let vars = [
            (
                "DATAFOG_POLICY_PATH",
                write("policy.json", policy_json.as_bytes()),
            ),
            ("DATAFOG_TOKEN_KEY_PATH", write("token.key", key)),
            (
                "DATAFOG_RECEIPT_PATH",
                dir.join("receipts.jsonl").display().to_string(),
            ),
            (
                "DATAFOG_COMPONENT_PATH",
                wasm::component_path().display().to_string(),
            ),
            ("DATAFOG_CACHE_DIR", host_cache_dir().display().to_string()),
            ("DATAFOG_GUEST_POOL", "1".to_owned()),
            // Generous deadlines: a loaded test machine is not a slow guest.
            ("DATAFOG_GUEST_TIMEOUT", "60s".to_owned()),
            ("DATAFOG_WRITE_TIMEOUT", "60s".to_owned()),
        ];
        let (settings, warnings) = datafog_host::config::Settings::from_lookup(|k| {
            vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
        });
        assert!(warnings.is_empty(), "http: settings: {warnings:?}");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("http: tokio runtime: {e}"));
        let state = {
            // One start-up at a time: the first compiles the component into the cache directory,
            // the others then load it (parallel tests would each compile it, and race to write it).
            static STARTING: Mutex<()> = Mutex::new(());
            let _one = STARTING.lock().unwrap_or_else(PoisonError::into_inner);
            let _entered = runtime.enter();
            datafog_host::build_state(&settings)
        };
        match state {
            Ok(state) => Ok(Http {
                runtime,
                state,
                dir,
            }),
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                Err(e)
            }
        }
    }

    /// `POST path` with `req` as JSON (and its request id as `x-request-id`): the 200 body, or the
    /// error envelope as an `ApiError`.
    fn post<Req: Serialize, Resp: DeserializeOwned>(
        &mut self,
        path: &str,
        request_id: &str,
        req: &Req,
    ) -> Result<Resp, ApiError> {
        let body = serde_json::to_vec(req)
            .unwrap_or_else(|e| panic!("http: {path}: encode the request: {e}"));
        // `Host: localhost`, as a client on loopback sends it (auth is off here, so the host
        // serves loopback names only).
        let mut builder = Request::post(path)
            .header("host", "localhost")
            .header("content-type", "application/json");
        if !request_id.is_empty() {
            builder = builder.header("x-request-id", request_id);
        }
        let request = builder
            .body(Body::from(body))
            .unwrap_or_else(|e| panic!("http: {path}: build the request: {e}"));
        let app = datafog_host::http::app(self.state.clone());
        let (status, bytes) = self.runtime.block_on(async move {
            let resp = app.oneshot(request).await.unwrap_or_else(|e| match e {});
            let status = resp.status();
            let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
                .await
                .unwrap_or_else(|e| panic!("http: {path}: read the body: {e}"));
            (status, bytes)
        });
        let text = || String::from_utf8_lossy(&bytes).into_owned();
        if status == StatusCode::OK {
            return Ok(serde_json::from_slice(&bytes)
                .unwrap_or_else(|e| panic!("http: {path}: 200 body ({e}): {}", text())));
        }
        let envelope: ErrorBody = serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("http: {path}: {status} body ({e}): {}", text()));
        let e = envelope.error;
        let code = ErrorCode::parse(&e.code)
            .unwrap_or_else(|| panic!("http: {path}: {status}: unknown error code: {}", text()));
        assert_eq!(
            status.as_u16(),
            code.status(),
            "http: {path}: status of `{code}`"
        );
        if !request_id.is_empty() {
            assert_eq!(
                e.request_id, request_id,
                "http: {path}: envelope request_id"
            );
        }
        Err(ApiError {
            code,
            message: e.message,
            details: e.details,
        })
    }
}

impl Drop for Http {
    fn drop(&mut self) {
        if let Some(f) = self.state.receipts.file() {
            f.close();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Firewall for Http {
    fn name(&self) -> &str {
        "http"
    }

    fn scan(&mut self, req: ScanRequest) -> Result<ScanResponse, ApiError> {
        let id = req.request_id.clone();
        self.post("/v1/scan", &id, &req)
    }

    fn transform(&mut self, req: TransformRequest) -> Result<TransformResponse, ApiError> {
        let id = req.request_id.clone();
        self.post("/v1/transform", &id, &req)
    }

    fn anonymize(&mut self, req: AnonymizeRequest) -> Result<TransformResponse, ApiError> {
        let id = req.request_id.clone();
        self.post("/v1/anonymize", &id, &req)
    }

    fn decide(&mut self, req: DecideRequest) -> Result<DecideResponse, ApiError> {
        let id = req.request_id.clone();
        self.post("/v1/decide", &id, &req)
    }
}
