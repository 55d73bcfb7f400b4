//! The HTTP API (Go section 2): `fn app(state) -> Router`, the middleware of Go section 2.2, and
//! the handlers. Validation and the JSON contract are the core's `datafog::api` (shared with every
//! front-end); detection, decisions, transforms and receipt sealing run in the component.
//!
//! Middleware, outermost first: `front` (CORS, OPTIONS 204, request id) → gzip
//! (tower-http) → `guard` (auth, rate limit, metrics, access log, and rendering of the error
//! envelope with the request id) → the route.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{MatchedPath, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use datafog::api::{
    self, AnonymizeRequest, ApiError, DecideRequest, DecideResponse, DecisionEvent, ErrorBody,
    ErrorDetail, HealthResponse, PolicyVersionResponse, ScanFinding, ScanRequest, ScanResponse,
    TransformRequest, TransformResponse,
};
use datafog::transform::Stats;
use datafog::{Effect, Mode, OffsetUnit, TransformStep};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::SizeAbove;

use crate::idempotency::{Endpoint, IdempotencyCache};
use crate::metrics::Metrics;
use crate::receipts::{AppendError, ReceiptStore, Sealed};
use crate::runtime::{GuestFailure, PolicyIdentity, Runtime, wit};

/// Everything the handlers share.
pub struct AppState {
    pub runtime: Arc<Runtime>,
    pub identity: PolicyIdentity,
    /// RFC 3339, UTC, second precision.
    pub started_at: String,
    pub started: Instant,
    pub receipts: Arc<ReceiptStore>,
    /// Key of tokens, hashes and receipt value digests.
    pub key: Arc<[u8]>,
    /// SHA-256 of `DATAFOG_API_TOKEN` (compared in constant time); `None`: auth off.
    pub token_digest: Option<[u8; 32]>,
    pub rate: Option<Mutex<TokenBucket>>,
    /// Per client IP (`DATAFOG_CLIENT_RATE_LIMIT_RPS`).
    pub client_rate: Option<ClientBuckets>,
    pub events: Option<Events>,
    pub metrics: Metrics,
    pub idempotency: IdempotencyCache,
    pub access_log: bool,
    /// How long a request waits for a guest instance when all are busy (the write timeout: a
    /// response later than that could not be written anyway).
    pub guest_wait: std::time::Duration,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

/// The decision-event NDJSON file (`DATAFOG_EVENTS_PATH`): read by `/v1/events`, appended to
/// once per decision.
#[derive(Debug)]
pub struct Events {
    pub path: PathBuf,
    pub file: Mutex<std::fs::File>,
}

impl Events {
    /// Open for append (mode 0600, directory 0750; a new file or directory is synced into its
    /// parent).
    pub fn open(path: PathBuf) -> std::io::Result<Events> {
        // A new file's directory entry is synced (as the receipts file's).
        let file =
            crate::receipts::open_durably(&path, 0o600, std::fs::OpenOptions::new().append(true))?;
        Ok(Events {
            path,
            file: Mutex::new(file),
        })
    }
}

/// One global token bucket (Go section 2.5): capacity = rate = RPS, starts full.
#[derive(Debug)]
pub struct TokenBucket {
    rps: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    pub fn new(rps: u64) -> TokenBucket {
        let rps = rps as f64;
        TokenBucket {
            rps,
            tokens: rps,
            last: Instant::now(),
        }
    }

    /// Full again by now (its client has been idle for a second or more).
    fn refilled(&self) -> bool {
        self.tokens + self.last.elapsed().as_secs_f64() * self.rps >= self.rps
    }

    fn take(&mut self) -> bool {
        let now = Instant::now();
        let elapsed = now.duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rps).min(self.rps);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The TCP peer of a request, set per connection by `serve` (absent in `oneshot` tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub std::net::IpAddr);

/// One token bucket per client IP address (Go's limit is global only: one noisy client starves
/// every other). Bounded: at most [`ClientBuckets::MAX`] addresses are tracked; when the table is
/// full, buckets that have refilled (idle clients) are dropped first, and if every bucket is
/// still in use the table starts over (a flood from that many addresses is then limited by the
/// global bucket only).
#[derive(Debug)]
pub struct ClientBuckets {
    rps: u64,
    buckets: Mutex<HashMap<std::net::IpAddr, TokenBucket>>,
}

impl ClientBuckets {
    pub const MAX: usize = 65_536;

    pub fn new(rps: u64) -> ClientBuckets {
        ClientBuckets {
            rps,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Take a token for `ip`; `false`: over its rate.
    pub fn take(&self, ip: std::net::IpAddr) -> bool {
        let Ok(mut buckets) = self.buckets.lock() else {
            return true;
        };
        if buckets.len() >= Self::MAX && !buckets.contains_key(&ip) {
            buckets.retain(|_, b| !b.refilled());
            if buckets.len() >= Self::MAX {
                buckets.clear();
            }
        }
        buckets
            .entry(ip)
            .or_insert_with(|| TokenBucket::new(self.rps))
            .take()
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.buckets.lock().map(|b| b.len()).unwrap_or(0)
    }
}

type Shared = Arc<AppState>;

/// The request id (header `X-Request-ID`, or 32 random hex).
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

// ------------------------------------------------------------------ errors

/// The one error type of the HTTP edge: a documented code, its status, a message and details.
/// Responds with the status and an empty body carrying the error as an extension; `guard` renders
/// the envelope with the request id (and logs 5xx).
#[derive(Clone, Debug)]
pub struct HttpError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: String,
}

/// Host-side codes (not in the core's contract: they concern this host's sandbox).
pub mod codes {
    /// 500: the guest trapped (the instance was dropped; the server keeps serving).
    pub const GUEST_ERROR: &str = "guest_error";
    /// 503: the guest ran past `DATAFOG_GUEST_TIMEOUT` (message `policy engine timed out`), or
    /// every instance stayed busy for `DATAFOG_WRITE_TIMEOUT` (`policy engine busy`).
    pub const GUEST_TIMEOUT: &str = "guest_timeout";
}

impl From<ApiError> for HttpError {
    fn from(e: ApiError) -> HttpError {
        HttpError {
            status: StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code: e.code.as_str(),
            message: e.message,
            details: e.details,
        }
    }
}

impl From<GuestFailure> for HttpError {
    fn from(e: GuestFailure) -> HttpError {
        match e {
            GuestFailure::Timeout => HttpError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                code: codes::GUEST_TIMEOUT,
                message: "policy engine timed out".to_owned(),
                details: String::new(),
            },
            GuestFailure::Busy => HttpError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                code: codes::GUEST_TIMEOUT,
                message: "policy engine busy".to_owned(),
                details: String::new(),
            },
            GuestFailure::Trap(_) | GuestFailure::Unavailable(_) => HttpError {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                code: codes::GUEST_ERROR,
                message: "policy engine failed".to_owned(),
                details: String::new(),
            },
        }
    }
}

/// The guest's `api-error` (its code is one of the core's).
fn guest_api_error(e: wit::ApiError) -> HttpError {
    let code = api::ErrorCode::parse(&e.code).unwrap_or(api::ErrorCode::InternalError);
    HttpError::from(ApiError::new(code, e.message).with_details(e.details))
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let mut r = self.status.into_response();
        r.extensions_mut().insert(self);
        r
    }
}

fn envelope(e: &HttpError, request_id: &str) -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code: e.code.to_owned(),
            message: e.message.clone(),
            request_id: request_id.to_owned(),
            details: e.details.clone(),
        },
    };
    let mut r = json_response(&body);
    *r.status_mut() = e.status;
    r
}

fn json_response<T: Serialize>(v: &T) -> Response {
    match serde_json::to_vec(v) {
        Ok(mut bytes) => {
            bytes.push(b'\n');
            json_bytes(bytes)
        }
        Err(_) => HttpError::from(ApiError::encode_error()).into_response(),
    }
}

fn json_bytes(bytes: Vec<u8>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        bytes,
    )
        .into_response()
}

type HttpResult = Result<Response, HttpError>;

// ------------------------------------------------------------------ the router

/// The router with every route and middleware.
pub fn app(state: Shared) -> Router {
    // axum answers HEAD with the GET handler; Go answers 405.
    let get = |r: MethodRouter<Shared>| {
        r.on(MethodFilter::HEAD, method_must_be_get)
            .fallback(method_must_be_get)
    };
    let post = |r: MethodRouter<Shared>| r.fallback(method_must_be_post);
    Router::new()
        .route("/health", get(on(MethodFilter::GET, health)))
        .route(
            "/v1/policy/version",
            get(on(MethodFilter::GET, policy_version)),
        )
        .route("/v1/scan", post(on(MethodFilter::POST, scan)))
        .route("/v1/decide", post(on(MethodFilter::POST, decide)))
        .route("/v1/transform", post(on(MethodFilter::POST, transform)))
        .route("/v1/anonymize", post(on(MethodFilter::POST, anonymize)))
        .route("/v1/receipts", get(on(MethodFilter::GET, receipts_list)))
        .route(
            "/v1/receipts/",
            get(on(MethodFilter::GET, receipt_id_missing)),
        )
        .route(
            "/v1/receipts/{*id}",
            get(on(MethodFilter::GET, receipt_get)),
        )
        .route("/v1/events", get(on(MethodFilter::GET, events_list)))
        .route("/metrics", get(on(MethodFilter::GET, metrics)))
        .route("/openapi.json", get(on(MethodFilter::GET, openapi)))
        .fallback(not_found)
        .layer(catch_panic())
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .layer(CompressionLayer::new().compress_when(SizeAbove::new(0)))
        .layer(middleware::from_fn(front))
        .with_state(state)
}

/// A panicking handler answers Go's 500 `internal_error` (`internal server error`) in the usual
/// envelope (the guard adds the request id) and the server keeps serving. The panic message is
/// not logged: it could quote request data.
fn catch_panic()
-> tower_http::catch_panic::CatchPanicLayer<fn(Box<dyn std::any::Any + Send>) -> Response> {
    fn on_panic(_: Box<dyn std::any::Any + Send>) -> Response {
        eprintln!("datafog-api: a request handler panicked; answered 500 internal_error");
        HttpError::from(ApiError::internal()).into_response()
    }
    tower_http::catch_panic::CatchPanicLayer::custom(on_panic as fn(_) -> _)
}

async fn method_must_be_get() -> HttpError {
    ApiError::method_must_be_get().into()
}

async fn method_must_be_post() -> HttpError {
    ApiError::method_must_be_post().into()
}

async fn not_found() -> HttpError {
    ApiError::endpoint_not_found().into()
}

/// `docs/openapi.json`, embedded at build time (checked against real responses by
/// `tests/openapi.rs`).
pub const OPENAPI_JSON: &str = include_str!("../../docs/openapi.json");

/// `GET /openapi.json`: behind auth and the rate limit like every route (Go has no such route).
async fn openapi() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        OPENAPI_JSON,
    )
        .into_response()
}

// ------------------------------------------------------------------ middleware

/// CORS (reflect `Origin`), OPTIONS → 204 before anything else, request id.
async fn front(mut req: Request, next: Next) -> Response {
    let origin = req.headers().get(header::ORIGIN).cloned();
    let mut resp = if req.method() == Method::OPTIONS {
        StatusCode::NO_CONTENT.into_response()
    } else {
        let id = req
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .unwrap_or_else(random_hex16);
        req.extensions_mut().insert(RequestId(id.clone()));
        let mut r = next.run(req).await;
        if let Ok(v) = HeaderValue::from_str(&id) {
            r.headers_mut().insert("x-request-id", v);
        }
        r
    };
    if let Some(origin) = origin {
        let h = resp.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST, OPTIONS"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("Content-Type, Authorization, X-API-Key, X-Request-ID"),
        );
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("X-Request-ID"),
        );
        h.append(header::VARY, HeaderValue::from_static("Origin"));
    }
    resp
}

/// Auth → rate limit → the route; then the error envelope, metrics and the access log.
async fn guard(State(s): State<Shared>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let route = match req
        .extensions()
        .get::<MatchedPath>()
        .map(MatchedPath::as_str)
    {
        Some("/v1/receipts/{*id}") | Some("/v1/receipts/") => "/v1/receipts/{id}".to_owned(),
        Some(p) => p.to_owned(),
        None => "/_not_found".to_owned(),
    };
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let mut resp = if !authorized(&s, req.headers()) {
        HttpError::from(ApiError::unauthorized()).into_response()
    } else if !s
        .rate
        .as_ref()
        .is_none_or(|b| b.lock().map(|mut b| b.take()).unwrap_or(false))
        || !s.client_rate.as_ref().is_none_or(|c| {
            req.extensions()
                .get::<ClientAddr>()
                .is_none_or(|a| c.take(a.0))
        })
    {
        let mut r = HttpError::from(ApiError::rate_limited()).into_response();
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        r
    } else {
        next.run(req).await
    };
    if let Some(e) = resp.extensions_mut().remove::<HttpError>() {
        if e.status.is_server_error() {
            eprintln!(
                "datafog-api: request_id={request_id} method={method} path={path} status={} code={} message={:?}",
                e.status.as_u16(),
                e.code,
                e.message
            );
        }
        let headers = std::mem::take(resp.headers_mut());
        resp = envelope(&e, &request_id);
        for (k, v) in &headers {
            resp.headers_mut().entry(k).or_insert(v.clone());
        }
    }
    let status = resp.status().as_u16();
    let elapsed = started.elapsed();
    s.metrics
        .record_request(method.as_str(), &route, status, elapsed);
    if s.access_log {
        eprintln!(
            "request complete request_id={request_id} method={method} path={path} status={status} latency_ms={}",
            elapsed.as_millis()
        );
    }
    resp
}

/// `Authorization: Bearer <token>` or `X-API-Key: <token>`, compared in constant time (as
/// SHA-256 digests, so the token's length does not leak either).
fn authorized(s: &AppState, headers: &HeaderMap) -> bool {
    let Some(want) = &s.token_digest else {
        return true;
    };
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let mut parts = v.split_whitespace();
            match (parts.next(), parts.next(), parts.next()) {
                (Some(scheme), Some(token), None) if scheme.eq_ignore_ascii_case("bearer") => {
                    Some(token)
                }
                _ => None,
            }
        });
    let api_key = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    // Both are checked, so timing does not reveal which header was right.
    let a = bearer.is_some_and(|t| ct_eq(&digest(t), want));
    let b = api_key.is_some_and(|t| ct_eq(&digest(t), want));
    a | b
}

/// SHA-256 of a token.
pub fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn ct_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b) {
        diff |= x ^ y;
    }
    std::hint::black_box(diff) == 0
}

/// 16 random bytes as 32 lowercase hex (request and receipt ids).
pub fn random_hex16() -> String {
    let mut b = [0u8; 16];
    if getrandom::fill(&mut b).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        return format!("rid-{nanos}");
    }
    let mut s = String::with_capacity(32);
    for byte in b {
        s.push_str(&format!("{byte:02x}"));
    }
    s
}

// ------------------------------------------------------------------ bodies

/// Go's order: content type (415) → body limit (413) → JSON (400).
async fn read_json<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: Body,
) -> Result<T, HttpError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(ApiError::unsupported_media_type().into());
    }
    let bytes = read_body(body, api::MAX_BODY_BYTES).await?;
    api::parse_json(&bytes).map_err(HttpError::from)
}

/// The body, at most `limit` bytes: past it 413 `request_too_large`; a body that cannot be read
/// (the client went away, the read timeout closed the connection) is Go's 400 `invalid_request`
/// `invalid JSON body` (its decoder fails on the read; details name the failure, never data).
async fn read_body(mut body: Body, limit: usize) -> Result<Vec<u8>, HttpError> {
    use hyper::body::Body as _;
    let too_large = || HttpError::from(ApiError::request_too_large());
    if usize::try_from(body.size_hint().lower()).map_or(true, |n| n > limit) {
        return Err(too_large());
    }
    let mut out = Vec::new();
    while let Some(frame) =
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await
    {
        let frame = frame.map_err(|e| {
            let timed_out =
                std::iter::successors(Some(&e as &(dyn std::error::Error + 'static)), |e| {
                    e.source()
                })
                .any(|e| {
                    e.downcast_ref::<std::io::Error>()
                        .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
                });
            HttpError::from(
                ApiError::new(api::ErrorCode::InvalidRequest, "invalid JSON body").with_details(
                    if timed_out {
                        "read error: i/o timeout"
                    } else {
                        "read error: unexpected EOF"
                    },
                ),
            )
        })?;
        if let Ok(data) = frame.into_data() {
            if out.len().saturating_add(data.len()) > limit {
                return Err(too_large());
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(out)
}

/// Requests whose payload is at most this many bytes run their guest call on the async worker
/// itself; larger ones go to the blocking pool. A call on a 1 KB payload takes ~50-200 µs, less
/// than the two thread hand-offs of `spawn_blocking` cost on this 2-core machine (they were a
/// fifth of decide's CPU in a perf profile: futex wake-ups and context switches); a worker is then
/// busy for a bounded, short time (detection is linear in the payload, and every call still has
/// its epoch deadline). Big payloads keep the workers free for the other connections.
pub const INLINE_GUEST_BYTES: usize = 32 * 1024;

/// Run a guest call: inline for a payload of `size` <= [`INLINE_GUEST_BYTES`] bytes, else on the
/// blocking pool.
async fn in_guest<R: Send + 'static>(
    s: &Shared,
    size: usize,
    f: impl FnOnce(&mut crate::runtime::Instance) -> wasmtime::Result<R> + Send + 'static,
) -> Result<R, HttpError> {
    // A turn first: a burst waits for an instance slot (up to `guest_wait`) rather than failing.
    let permit = s.runtime.acquire(s.guest_wait).await?;
    if size <= INLINE_GUEST_BYTES {
        let out = s.runtime.call(f).map_err(HttpError::from);
        drop(permit);
        return out;
    }
    let rt = s.runtime.clone();
    tokio::task::spawn_blocking(move || {
        let out = rt.call(f);
        drop(permit);
        out
    })
    .await
    .map_err(|_| HttpError::from(ApiError::internal()))?
    .map_err(HttpError::from)
}

/// Serialise a success body (Go's encoder adds a newline).
fn to_json<T: Serialize>(v: &T) -> Result<Vec<u8>, HttpError> {
    let mut bytes = serde_json::to_vec(v).map_err(|_| HttpError::from(ApiError::encode_error()))?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Run `work` once per idempotency key (see `idempotency`): replay a stored body for the same
/// fingerprint, 409 for another; no key: just run it.
async fn idempotent(
    s: &AppState,
    endpoint: Endpoint,
    key: &str,
    fingerprint: String,
    work: impl Future<Output = Result<Vec<u8>, HttpError>>,
) -> HttpResult {
    idempotent_or_restore(s, endpoint, key, fingerprint, || Ok(None), work).await
}

/// [`idempotent`], plus `restore`: asked when this process has no result for `key`, it may
/// return one from before a restart (a fingerprint and the body to replay).
async fn idempotent_or_restore(
    s: &AppState,
    endpoint: Endpoint,
    key: &str,
    fingerprint: String,
    restore: impl FnOnce() -> Result<Option<(String, Vec<u8>)>, HttpError>,
    work: impl Future<Output = Result<Vec<u8>, HttpError>>,
) -> HttpResult {
    if key.is_empty() {
        return work.await.map(json_bytes);
    }
    let slot = s.idempotency.slot(endpoint, key);
    let mut stored = slot.lock().await;
    // A result from before (a restart, or a body the cache dropped): kept in the slot if the
    // byte budget admits it, answered either way.
    let mut restored = None;
    if stored.is_none()
        && let Some((fp, body)) = restore()?
    {
        let body: Arc<[u8]> = body.into();
        if s.idempotency.admit(endpoint, key, &slot, body.len()) {
            *stored = Some((fp, body));
        } else {
            restored = Some((fp, body));
        }
    }
    if let Some((fp, body)) = stored.as_ref().or(restored.as_ref()) {
        return if *fp == fingerprint {
            Ok(json_bytes(body.to_vec()))
        } else {
            Err(ApiError::idempotency_conflict().into())
        };
    }
    let body = work.await?;
    // A body larger than the cache's whole byte budget is not kept (see `idempotency`).
    if s.idempotency.admit(endpoint, key, &slot, body.len()) {
        *stored = Some((fingerprint, body.clone().into()));
    }
    Ok(json_bytes(body))
}

// ------------------------------------------------------------------ handlers

async fn health(State(s): State<Shared>) -> Response {
    json_response(&HealthResponse {
        status: "ok".to_owned(),
        policy_id: s.identity.policy_id.clone(),
        policy_version: s.identity.policy_version.clone(),
        started_at: s.started_at.clone(),
    })
}

async fn policy_version(State(s): State<Shared>) -> Response {
    json_response(&PolicyVersionResponse {
        policy_id: s.identity.policy_id.clone(),
        policy_version: s.identity.policy_version.clone(),
    })
}

fn wit_unit(u: OffsetUnit) -> wit::OffsetUnit {
    match u {
        OffsetUnit::Byte => wit::OffsetUnit::Byte,
        OffsetUnit::Char => wit::OffsetUnit::Codepoint,
        OffsetUnit::Utf16 => wit::OffsetUnit::Utf16,
    }
}

fn slice_value(text: &str, start: u32, end: u32) -> String {
    String::from_utf8_lossy(
        text.as_bytes()
            .get(start as usize..end as usize)
            .unwrap_or_default(),
    )
    .into_owned()
}

async fn scan(State(s): State<Shared>, headers: HeaderMap, body: Body) -> HttpResult {
    let req: ScanRequest = read_json(&headers, body).await?;
    let unit = api::validate_scan(&req)?;
    let key = req.idempotency_key.clone();
    let fp = api::fingerprint_scan(&req);
    idempotent(&s, Endpoint::Scan, &key, fp, scan_work(&s, req, unit)).await
}

async fn scan_work(s: &Shared, req: ScanRequest, unit: OffsetUnit) -> Result<Vec<u8>, HttpError> {
    let text = req.text.clone();
    let types = req.entity_types.clone();
    // Values are sliced by byte offsets; another unit is a second scan in that unit (same order).
    let (bytes, other) = in_guest(s, text.len(), move |i| {
        let e = i.guest.datafog_firewall_firewall().engine();
        let mut opts = wit::ScanOptions {
            entity_types: types,
            offset_unit: wit::OffsetUnit::Byte,
        };
        let bytes = e.call_scan(&mut i.store, i.policy, &text, &opts)?;
        let other = if unit == OffsetUnit::Byte {
            None
        } else {
            opts.offset_unit = wit_unit(unit);
            Some(e.call_scan(&mut i.store, i.policy, &text, &opts)?)
        };
        Ok((bytes, other))
    })
    .await?;
    let mut findings: Vec<ScanFinding> = bytes
        .iter()
        .map(|f| ScanFinding {
            entity_type: f.entity_type.clone(),
            value: slice_value(&req.text, f.start, f.end),
            start: f.start as usize,
            end: f.end as usize,
            confidence: f.confidence,
        })
        .collect();
    if let Some(other) = other {
        for (w, o) in findings.iter_mut().zip(&other) {
            w.start = o.start as usize;
            w.end = o.end as usize;
        }
    }
    s.metrics
        .record_findings(findings.iter().map(|f| f.entity_type.as_str()));
    to_json(&ScanResponse {
        request_id: req.request_id,
        trace_id: req.trace_id,
        findings,
        policy_version: s.identity.policy_version.clone(),
        policy_id: s.identity.policy_id.clone(),
    })
}

fn u32_of(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn supplied_out(f: &ScanFinding) -> wit::SuppliedFinding {
    wit::SuppliedFinding {
        entity_type: f.entity_type.clone(),
        value: f.value.clone(),
        start: u32_of(f.start),
        end: u32_of(f.end),
        confidence: f.confidence,
    }
}

fn supplied_in(f: wit::SuppliedFinding) -> ScanFinding {
    ScanFinding {
        entity_type: f.entity_type,
        value: f.value,
        start: f.start as usize,
        end: f.end as usize,
        confidence: f.confidence,
    }
}

fn mode_out(m: Mode) -> wit::TransformMode {
    match m {
        Mode::Mask => wit::TransformMode::Mask,
        Mode::Tokenize => wit::TransformMode::Tokenize,
        Mode::Anonymize => wit::TransformMode::Anonymize,
        Mode::Redact => wit::TransformMode::Redact,
        Mode::Replace => wit::TransformMode::Replace,
        Mode::Hash => wit::TransformMode::Hash,
    }
}

fn mode_in(m: wit::TransformMode) -> Mode {
    match m {
        wit::TransformMode::Mask => Mode::Mask,
        wit::TransformMode::Tokenize => Mode::Tokenize,
        wit::TransformMode::Anonymize => Mode::Anonymize,
        wit::TransformMode::Redact => Mode::Redact,
        wit::TransformMode::Replace => Mode::Replace,
        wit::TransformMode::Hash => Mode::Hash,
    }
}

fn effect_in(e: wit::Effect) -> Effect {
    match e {
        wit::Effect::Allow => Effect::Allow,
        wit::Effect::AllowWithRedaction => Effect::AllowWithRedaction,
        wit::Effect::Transform => Effect::Transform,
        wit::Effect::Deny => Effect::Deny,
    }
}

fn transform_response(
    s: &AppState,
    request_id: String,
    trace_id: String,
    out: Result<wit::TransformResult, wit::ReconcileError>,
) -> Result<Vec<u8>, HttpError> {
    match out {
        Ok(t) => to_json(&TransformResponse {
            request_id,
            trace_id,
            output: t.output,
            policy_id: s.identity.policy_id.clone(),
            policy_version: s.identity.policy_version.clone(),
            stats: Stats {
                entities_transformed: t.stats.entities_transformed as usize,
                modes_applied: t.stats.modes_applied,
            },
        }),
        // The guest's message names the finding by index and type, never its value.
        Err(e) => Err(HttpError::from(
            ApiError::new(api::ErrorCode::InvalidRequest, "findings do not match text")
                .with_details(e.message),
        )),
    }
}

async fn transform(State(s): State<Shared>, headers: HeaderMap, body: Body) -> HttpResult {
    let mut req: TransformRequest = read_json(&headers, body).await?;
    api::validate_transform(&mut req)?;
    let key = req.idempotency_key.clone();
    let fp = api::fingerprint_transform(&req);
    idempotent(&s, Endpoint::Transform, &key, fp, transform_work(&s, req)).await
}

async fn transform_work(s: &Shared, req: TransformRequest) -> Result<Vec<u8>, HttpError> {
    // `entity_modes` (normalised by validation) wins; else `mode` for every type found (the
    // `any` group); else an empty plan (text unchanged).
    let plan: Vec<wit::TransformStep> = if !req.entity_modes.is_empty() {
        req.entity_modes
            .iter()
            .filter_map(|(k, v)| {
                Some(wit::TransformStep {
                    entity_type: k.clone(),
                    mode: mode_out(Mode::parse(v)?),
                })
            })
            .collect()
    } else if let Some(mode) = Mode::parse(&req.mode) {
        vec![wit::TransformStep {
            entity_type: "any".to_owned(),
            mode: mode_out(mode),
        }]
    } else {
        Vec::new()
    };
    let text = req.text.clone();
    let findings: Vec<wit::SuppliedFinding> = req.findings.iter().map(supplied_out).collect();
    let key = s.key.clone();
    let out = in_guest(s, text.len(), move |i| {
        i.guest
            .datafog_firewall_firewall()
            .engine()
            .call_transform_request(&mut i.store, i.policy, &text, &findings, &plan, &key)
    })
    .await?;
    transform_response(s, req.request_id, req.trace_id, out)
}

async fn anonymize(State(s): State<Shared>, headers: HeaderMap, body: Body) -> HttpResult {
    let req: AnonymizeRequest = read_json(&headers, body).await?;
    api::validate_anonymize(&req)?;
    let key = req.idempotency_key.clone();
    let fp = api::fingerprint_anonymize(&req);
    idempotent(&s, Endpoint::Anonymize, &key, fp, anonymize_work(&s, req)).await
}

async fn anonymize_work(s: &Shared, req: AnonymizeRequest) -> Result<Vec<u8>, HttpError> {
    let text = req.text.clone();
    let findings: Vec<wit::SuppliedFinding> = req.findings.iter().map(supplied_out).collect();
    let key = s.key.clone();
    let out = in_guest(s, text.len(), move |i| {
        i.guest.datafog_firewall_firewall().engine().call_anonymize(
            &mut i.store,
            i.policy,
            &text,
            &findings,
            &key,
        )
    })
    .await?;
    transform_response(s, req.request_id, req.trace_id, out)
}

/// RFC 3339 UTC with nanoseconds (Go `RFC3339Nano`: trailing zeros of the fraction dropped).
pub fn now_rfc3339_nanos() -> String {
    let now = time::OffsetDateTime::now_utc();
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// RFC 3339 UTC, second precision.
pub fn now_rfc3339_secs() -> String {
    let now = time::OffsetDateTime::now_utc();
    let now = now.replace_nanosecond(0).unwrap_or(now);
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

async fn decide(State(s): State<Shared>, headers: HeaderMap, body: Body) -> HttpResult {
    let req: DecideRequest = read_json(&headers, body).await?;
    api::validate_decide(&req)?;
    let key = req.idempotency_key.clone();
    let fp = api::fingerprint_decide(&req);
    let restore = || restore_decide(&s, &req);
    idempotent_or_restore(
        &s,
        Endpoint::Decide,
        &key,
        fp,
        restore,
        decide_work(&s, &req),
    )
    .await
}

/// A decide key this process has not seen may be in the receipts file from before a restart
/// (`idempotency_key_digest`, indexed at start-up; see `receipts`): the replay is rebuilt from
/// that receipt (`datafog::api::replay_decide`) and its fingerprint is the receipt's
/// `input_hash`. Keys older than the idempotency TTL are not replayed.
fn restore_decide(
    s: &AppState,
    req: &DecideRequest,
) -> Result<Option<(String, Vec<u8>)>, HttpError> {
    let digest = datafog::receipt::idempotency_digest(&s.key, &req.idempotency_key);
    let line = s.receipts.get_by_idempotency(&digest).map_err(|e| {
        HttpError::from(
            ApiError::new(api::ErrorCode::ReceiptError, "unable to read receipt")
                .with_details(e.to_string()),
        )
    })?;
    let Some(line) = line else {
        return Ok(None);
    };
    let Ok(receipt) = serde_json::from_str::<datafog::receipt::Receipt>(&line) else {
        return Ok(None);
    };
    let fresh = time::OffsetDateTime::parse(
        &receipt.timestamp,
        &time::format_description::well_known::Rfc3339,
    )
    .is_ok_and(|t| {
        time::OffsetDateTime::now_utc() - t
            < time::Duration::try_from(crate::idempotency::TTL).unwrap_or(time::Duration::ZERO)
    });
    if !fresh {
        return Ok(None);
    }
    let body = to_json(&api::replay_decide(&receipt, req))?;
    Ok(Some((receipt.input_hash, body)))
}

async fn decide_work(s: &Shared, req: &DecideRequest) -> Result<Vec<u8>, HttpError> {
    let request = wit::DecideRequest {
        action: wit::Action {
            action_type: req.action.action_type.clone(),
            tool: req.action.tool.clone(),
            resource: req.action.resource.clone(),
            command: req.action.command.clone(),
            args: req.action.args.clone(),
            sensitive: req.action.sensitive,
        },
        text: req.text.clone(),
        findings: req.findings.iter().map(supplied_out).collect(),
        request_id: req.request_id.clone(),
        trace_id: req.trace_id.clone(),
        tenant_id: req.tenant_id.clone(),
        actor_id: req.actor_id.clone(),
        session_id: req.session_id.clone(),
        idempotency_key: req.idempotency_key.clone(),
    };
    // Decide in the guest, in parallel with other requests: the receipt comes back unsealed
    // (empty `prev_hash`). Then link it into the chain natively (only `prev_hash` and `hash`
    // change) under the chain head's lock, and queue it for the writer (see `receipts`). The lock
    // is held for a SHA-256 of one receipt, not a guest call.
    let context = wit::DecideContext {
        receipt_id: random_hex16(),
        timestamp: now_rfc3339_nanos(),
        prev_hash: String::new(),
        key: s.key.to_vec(),
    };
    let size = request.text.len()
        + request.action.command.len()
        + request.action.args.iter().map(String::len).sum::<usize>();
    let decided = in_guest(s, size, move |i| {
        i.guest
            .datafog_firewall_firewall()
            .engine()
            .call_decide_request(&mut i.store, i.policy, &request, &context)
    })
    .await?
    .map_err(guest_api_error)?;
    let resp = decided.response;
    let line = decided.receipt.line;
    let unreadable = |e: serde_json::Error| {
        HttpError::from(ApiError::receipt_persist(format!(
            "the component returned an unreadable receipt: {e}"
        )))
    };
    // Events record the action and the caller's ids as the receipt does (secrets and PII
    // redacted by the core).
    let recorded = match &s.events {
        Some(_) => Some(serde_json::from_str::<Recorded>(&line).map_err(unreadable)?),
        None => None,
    };
    // Inline: sealing is one SHA-256 under the head's mutex, and queueing never blocks. The line
    // is sealed by splicing in `prev_hash` and `hash` (`reseal_line`: the same bytes as parsing,
    // `reseal` and re-serialising, which remains the fallback).
    let sealed = s.receipts.append_chained(|prev_hash| {
        let (line, hash) = match datafog::receipt::reseal_line(&line, prev_hash) {
            Some(sealed) => sealed,
            None => {
                let mut receipt: datafog::receipt::Receipt =
                    serde_json::from_str(&line).map_err(unreadable)?;
                receipt.reseal(prev_hash);
                (receipt.canonical_json(), receipt.hash)
            }
        };
        Ok::<_, HttpError>((
            Sealed {
                receipt_id: resp.receipt_id.clone(),
                hash,
                line,
            },
            (),
        ))
    });
    let ((), ack) = match sealed {
        Ok(v) => v,
        Err(AppendError::Seal(e)) => return Err(e),
        Err(AppendError::Store(e)) => return Err(ApiError::receipt_persist(e).into()),
    };
    match ack.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(ApiError::receipt_persist(e).into()),
        Err(_) => return Err(ApiError::receipt_persist("receipt store is closed").into()),
    }
    if !req.idempotency_key.is_empty() {
        // The replay source once the in-memory cache drops this key (see `idempotency`).
        s.receipts.remember_idempotency(
            datafog::receipt::idempotency_digest(&s.key, &req.idempotency_key),
            resp.receipt_id.clone(),
        );
    }
    let response = DecideResponse {
        request_id: resp.request_id,
        trace_id: resp.trace_id,
        decision: effect_in(resp.decision),
        receipt_id: resp.receipt_id,
        policy_version: resp.policy_version,
        policy_id: resp.policy_id,
        matched_rules: resp.matched_rules,
        transform_plan: resp
            .transform_plan
            .into_iter()
            .map(|t| TransformStep {
                entity_type: t.entity_type,
                mode: mode_in(t.mode),
            })
            .collect(),
        findings: resp.findings.into_iter().map(supplied_in).collect(),
        reason: resp.reason,
    };
    s.metrics.record_decision(response.decision.as_str());
    s.metrics
        .record_findings(response.findings.iter().map(|f| f.entity_type.as_str()));
    if let (Some(events), Some(recorded)) = (&s.events, &recorded) {
        write_event(events, recorded, &response);
    }
    to_json(&response)
}

/// What a receipt line records of the request, redacted: the action and the caller's ids.
#[derive(serde::Deserialize)]
struct Recorded {
    action: datafog::policy::Action,
    #[serde(default)]
    request_id: String,
    #[serde(default)]
    trace_id: String,
}

/// One decision event (no text, no finding values). Best effort: a failed write is logged.
fn write_event(events: &Events, recorded: &Recorded, resp: &DecideResponse) {
    use std::io::Write;
    let action = &recorded.action;
    let event = DecisionEvent {
        timestamp: now_rfc3339_nanos(),
        mode: "enforced".to_owned(),
        action_type: action.action_type.clone(),
        tool: action.tool.clone(),
        resource: action.resource.clone(),
        command: action.command.clone(),
        args: action.args.clone(),
        sensitive: action.sensitive,
        decision: resp.decision.as_str().to_owned(),
        allowed: resp.decision != Effect::Deny,
        receipt_id: resp.receipt_id.clone(),
        matched_rules: resp.matched_rules.clone(),
        reason: resp.reason.clone(),
        check_error: String::new(),
        request_id: recorded.request_id.clone(),
        trace_id: recorded.trace_id.clone(),
    };
    let Ok(mut line) = serde_json::to_vec(&event) else {
        return;
    };
    line.push(b'\n');
    let written = events
        .file
        .lock()
        .map_err(|_| std::io::Error::other("events file lock poisoned"))
        .and_then(|mut f| f.write_all(&line));
    if let Err(e) = written {
        eprintln!("datafog-api: write event to {}: {e}", events.path.display());
    }
}

async fn receipt_id_missing() -> HttpError {
    ApiError::receipt_id_missing().into()
}

async fn receipt_get(
    State(s): State<Shared>,
    id: Result<Path<String>, axum::extract::rejection::PathRejection>,
) -> HttpResult {
    // An id that does not decode (`%FF`: not UTF-8) names no receipt (Go: 404 as well).
    let Ok(Path(id)) = id else {
        return Err(ApiError::receipt_not_found().into());
    };
    if id.is_empty() || id.contains('/') {
        return Err(ApiError::receipt_id_missing().into());
    }
    let st = s.clone();
    let line = tokio::task::spawn_blocking(move || st.receipts.get(&id))
        .await
        .map_err(|_| HttpError::from(ApiError::internal()))?
        .map_err(|e| {
            HttpError::from(
                ApiError::new(api::ErrorCode::ReceiptError, "unable to read receipt")
                    .with_details(e.to_string()),
            )
        })?;
    match line {
        Some(mut line) => {
            line.push('\n');
            Ok(json_bytes(line.into_bytes()))
        }
        None => Err(ApiError::receipt_not_found().into()),
    }
}

fn parse_time(v: Option<&String>) -> Option<time::OffsetDateTime> {
    v.and_then(|v| {
        time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc3339).ok()
    })
}

/// The `k` smallest items by key of a stream, kept while streaming: a max-heap of at most `k`
/// entries whose top is the next to drop, so memory is O(k) however many are offered. The value
/// is only made (`make`) for an item that is kept.
struct TopK<K: Ord, V> {
    k: usize,
    heap: std::collections::BinaryHeap<Ranked<K, V>>,
}

/// A heap entry ordered by its key only.
struct Ranked<K, V>(K, V);

impl<K: Ord, V> PartialEq for Ranked<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}
impl<K: Ord, V> Eq for Ranked<K, V> {}
impl<K: Ord, V> PartialOrd for Ranked<K, V> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<K: Ord, V> Ord for Ranked<K, V> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.cmp(&other.0)
    }
}

impl<K: Ord, V> TopK<K, V> {
    fn new(k: usize) -> TopK<K, V> {
        TopK {
            k,
            heap: std::collections::BinaryHeap::with_capacity(k.min(1024).saturating_add(1)),
        }
    }

    fn offer(&mut self, key: K, make: impl FnOnce() -> V) {
        if self.heap.len() < self.k {
            self.heap.push(Ranked(key, make()));
        } else if self.heap.peek().is_some_and(|top| key < top.0) {
            self.heap.pop();
            self.heap.push(Ranked(key, make()));
        }
    }

    /// The kept items, smallest key first.
    fn into_sorted(self) -> Vec<(K, V)> {
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|Ranked(k, v)| (k, v))
            .collect()
    }
}

fn parse_limit(v: Option<&String>) -> usize {
    v.and_then(|v| v.parse::<usize>().ok())
        .filter(|n| (1..=1000).contains(n))
        .unwrap_or(100)
}

/// `GET /v1/receipts`: filters `limit` (1..1000, default 100), `after`/`before` (RFC 3339,
/// exclusive), `decision`, `action_type` (case-insensitive); newest first, ties by id; `total` =
/// matches before `limit`. Invalid values are ignored. Streams the file and keeps only the newest
/// `limit` matches (memory O(limit), whatever the size of the file).
async fn receipts_list(
    State(s): State<Shared>,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> HttpResult {
    // A query that does not parse is no filter at all (Go ignores invalid values).
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let st = s.clone();
    let out = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<u8>> {
        let after = parse_time(q.get("after"));
        let before = parse_time(q.get("before"));
        let decision = q.get("decision").map(|v| v.trim().to_ascii_lowercase());
        let action_type = q.get("action_type").map(|v| v.trim().to_ascii_lowercase());
        let limit = parse_limit(q.get("limit"));
        // The newest `limit` matches, kept while streaming (memory O(limit), not O(file)).
        let mut newest = TopK::new(limit);
        let mut total = 0usize;
        st.receipts.for_each_line(|line| {
            let Ok(r) = serde_json::from_str::<datafog::receipt::Receipt>(line) else {
                return;
            };
            let Ok(ts) = time::OffsetDateTime::parse(
                &r.timestamp,
                &time::format_description::well_known::Rfc3339,
            ) else {
                return;
            };
            let keep = after.is_none_or(|a| ts > a)
                && before.is_none_or(|b| ts < b)
                && decision
                    .as_deref()
                    .is_none_or(|d| d.is_empty() || r.decision.as_str() == d)
                && action_type
                    .as_deref()
                    .is_none_or(|a| a.is_empty() || r.action.action_type.eq_ignore_ascii_case(a));
            if keep {
                total += 1;
                newest.offer((std::cmp::Reverse(ts), r.receipt_id), || line.to_owned());
            }
        })?;
        let matches = newest.into_sorted();
        let mut body = b"{\"receipts\":[".to_vec();
        for (i, (_, line)) in matches.iter().enumerate() {
            if i > 0 {
                body.push(b',');
            }
            body.extend_from_slice(line.as_bytes());
        }
        body.extend_from_slice(format!("],\"total\":{total}}}\n").as_bytes());
        Ok(body)
    })
    .await
    .map_err(|_| HttpError::from(ApiError::internal()))?
    .map_err(|e| {
        HttpError::from(
            ApiError::new(api::ErrorCode::ReceiptError, "unable to read receipts")
                .with_details(e.to_string()),
        )
    })?;
    Ok(json_bytes(out))
}

/// `GET /v1/events`: filters `after`/`before` (RFC 3339, inclusive), `decision`
/// (case-insensitive), `adapter` (the event's `tool` and the filter both canonicalised, so `git`,
/// `GIT`, `/usr/bin/git` and `vcs` all match a `tool` of `git` or `vcs`),
/// `limit` (1..1000, default 100); newest first (ours: Go returned the oldest first). Malformed
/// lines are skipped. No events file: `{"events":[],"total":0}`.
async fn events_list(
    State(s): State<Shared>,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> HttpResult {
    // A query that does not parse is no filter at all (Go ignores invalid values).
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let Some(events) = &s.events else {
        return Ok(json_response(&api::EventsResponse {
            events: Vec::new(),
            total: 0,
        }));
    };
    let path = events.path.clone();
    let out = tokio::task::spawn_blocking(move || -> std::io::Result<api::EventsResponse> {
        use std::io::BufRead;
        let after = parse_time(q.get("after"));
        let before = parse_time(q.get("before"));
        let decision = q.get("decision").map(|v| v.trim().to_ascii_lowercase());
        // Both sides canonicalised (Go `MatchesAdapter`): the event's `tool` is what the client
        // sent (`git`), the filter may name it or its adapter (`vcs`).
        let adapter = q
            .get("adapter")
            .filter(|v| !datafog::policy::adapters::normalize(v).is_empty())
            .map(|v| [v.as_str()]);
        let limit = parse_limit(q.get("limit"));
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(api::EventsResponse {
                    events: Vec::new(),
                    total: 0,
                });
            }
            Err(e) => return Err(e),
        };
        // The last `limit` matches in file order (newest first once reversed), kept while
        // streaming: memory O(limit), not O(file).
        let mut kept: std::collections::VecDeque<DecisionEvent> =
            std::collections::VecDeque::with_capacity(limit.min(1024));
        for line in std::io::BufReader::new(file).lines() {
            let line = line?;
            let Ok(ev) = serde_json::from_str::<DecisionEvent>(&line) else {
                continue;
            };
            let ts = time::OffsetDateTime::parse(
                &ev.timestamp,
                &time::format_description::well_known::Rfc3339,
            )
            .ok();
            let in_range = match (ts, after, before) {
                (None, None, None) => true,
                (None, _, _) => false,
                (Some(t), a, b) => a.is_none_or(|a| t >= a) && b.is_none_or(|b| t <= b),
            };
            let keep = in_range
                && decision
                    .as_deref()
                    .is_none_or(|d| d.is_empty() || ev.decision.eq_ignore_ascii_case(d))
                && adapter
                    .as_ref()
                    .is_none_or(|a| datafog::policy::adapters::matches(&ev.tool, a));
            if keep && limit > 0 {
                if kept.len() == limit {
                    kept.pop_front();
                }
                kept.push_back(ev);
            }
        }
        let events: Vec<DecisionEvent> = kept.into_iter().rev().collect();
        let total = events.len();
        Ok(api::EventsResponse { events, total })
    })
    .await
    .map_err(|_| HttpError::from(ApiError::internal()))?
    .map_err(|e| HttpError::from(ApiError::events_read(e.to_string())))?;
    Ok(json_response(&out))
}

/// `GET /metrics`: Prometheus text; `?format=json`: the Go JSON shape.
async fn metrics(
    State(s): State<Shared>,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    if q.get("format")
        .is_some_and(|f| f.eq_ignore_ascii_case("json"))
    {
        return json_response(&s.metrics.go_json(&s.started_at, s.started.elapsed()));
    }
    let text = s.metrics.prometheus(&s.runtime, &s.receipts);
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        text,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    /// The streaming top-k keeps exactly what sorting everything and cutting would.
    #[test]
    fn top_k_matches_sort_and_truncate() {
        // A small deterministic shuffle with many ties on the first key element.
        let items: Vec<(u32, u32)> = (0..200u32)
            .map(|i| ((i * 37) % 11, (i * 53) % 200))
            .collect();
        for k in [0usize, 1, 2, 7, 50, 199, 200, 500] {
            let mut top = TopK::new(k);
            for &(a, b) in &items {
                top.offer((std::cmp::Reverse(a), b), || format!("{a}-{b}"));
                assert!(top.heap.len() <= k, "memory bounded by k");
            }
            let got: Vec<String> = top.into_sorted().into_iter().map(|(_, v)| v).collect();
            let mut all = items.clone();
            all.sort_by(|x, y| y.0.cmp(&x.0).then_with(|| x.1.cmp(&y.1)));
            all.truncate(k);
            let want: Vec<String> = all.iter().map(|(a, b)| format!("{a}-{b}")).collect();
            assert_eq!(got, want, "k={k}");
        }
    }

    /// Each address has its own bucket; the table stays bounded, dropping refilled (idle)
    /// buckets first.
    #[test]
    fn client_buckets_are_per_address_and_bounded() {
        use std::net::{IpAddr, Ipv4Addr};
        let c = ClientBuckets::new(2);
        let a = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        let b = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
        assert!(c.take(a) && c.take(a) && !c.take(a));
        assert!(c.take(b) && c.take(b) && !c.take(b));
        // Fill the table with idle clients (their buckets are full): a new address evicts them,
        // and the busy ones (a, b: empty buckets) keep their state.
        {
            let mut t = c.buckets.lock().unwrap();
            for i in 0..(ClientBuckets::MAX - 2) as u32 {
                t.insert(
                    IpAddr::V4(Ipv4Addr::from(0x0b00_0000 + i)),
                    TokenBucket::new(2),
                );
            }
        }
        assert_eq!(c.tracked(), ClientBuckets::MAX);
        let n = IpAddr::V4(Ipv4Addr::new(12, 0, 0, 1));
        assert!(c.take(n));
        assert_eq!(c.tracked(), 3);
        assert!(!c.take(a), "a busy client keeps its empty bucket");
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_internal_error() {
        async fn boom() -> Response {
            std::panic::panic_any("boom")
        }
        // A path variable, not a string literal: tests/openapi.rs reads the routes from this file.
        let path = "/boom";
        let r: Router = Router::new()
            .route(path, axum::routing::get(boom))
            .layer(catch_panic());
        let resp = r
            .oneshot(Request::builder().uri("/boom").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let e = resp.extensions().get::<HttpError>().unwrap();
        assert_eq!(e.code, "internal_error");
        assert_eq!(e.message, "internal server error");
    }
}
