//! The HTTP API: `fn app(state) -> Router`, one module per resource, each with its own
//! `router()`. What each route computes is the core's (`datafog::api`, called in the component
//! through `crate::runtime`); this module owns what is specific to this host: sockets and bodies,
//! auth and limits, the idempotency cache, the receipts and events files, metrics.
//!
//! - [`error`]: the error type and envelope; [`middleware`]: CORS, request id, auth, rate limits,
//!   metrics, access log; [`body`]: body limits and JSON decoding; [`limit`]: token buckets.
//! - Routes: [`health`] (`/health`, `/v1/policy/version`, `/openapi.json`), [`scan`],
//!   [`transform`] (`/v1/transform`, `/v1/anonymize`), [`decide`], [`receipts`], [`events`],
//!   [`metrics`]; [`demo`] (`/demo*`, `DATAFOG_ENABLE_DEMO`) and [`admin`] (`/admin*`,
//!   `DATAFOG_ENABLE_ADMIN_UI`, reading the receipts backwards with [`admin_scan`]).

pub mod admin;
pub mod admin_scan;
pub mod body;
pub mod decide;
pub mod demo;
pub mod error;
pub mod events;
pub mod health;
pub mod limit;
pub mod metrics;
pub mod middleware;
pub mod receipts;
pub mod scan;
pub mod transform;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::middleware as axum_middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter};
use datafog::api::ApiError;
use serde::Serialize;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::SizeAbove;

pub use error::{HttpError, HttpResult, codes};
pub use events::Events;
pub use limit::{ClientBuckets, TokenBucket};
pub use middleware::{RequestId, digest};

use crate::idempotency::{Endpoint, IdempotencyCache};
use crate::metrics::Metrics;
use crate::runtime::{Instance, Runtime};
use crate::store::Store;

/// Everything the handlers share.
pub struct AppState {
    /// The guest pool, and the policy it runs (`runtime.policy()`: id, version, hash, when it
    /// was loaded; replaced by a reload, see `crate::reload`).
    pub runtime: Arc<Runtime>,
    /// RFC 3339, UTC, second precision.
    pub started_at: String,
    pub started: Instant,
    /// The receipts (and, with the PostgreSQL store, events and decide idempotency records).
    pub receipts: Arc<Store>,
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
    /// Origins that get CORS headers (`DATAFOG_CORS_ORIGINS`; off by default).
    pub cors_origins: datafog::api::http::CorsOrigins,
    /// `Host` names served while auth is off, besides loopback names (`DATAFOG_ALLOWED_HOSTS`).
    pub allowed_hosts: Vec<String>,
    /// Request-body bytes held at once (`DATAFOG_MAX_INFLIGHT_BODY_MB`).
    pub body_budget: body::BodyBudget,
    /// The receipts disk's free-space floor (`DATAFOG_MIN_FREE_DISK_MB`).
    pub disk: crate::disk::DiskFloor,
    /// How long a request waits for a guest instance when all are busy (the write timeout: a
    /// response later than that could not be written anyway).
    pub guest_wait: std::time::Duration,
    /// Demo mode's sandbox (`DATAFOG_ENABLE_DEMO`); `None`: the `/demo*` routes are not served.
    pub demo: Option<demo::Sandbox>,
    /// `DATAFOG_ENABLE_ADMIN_UI`: serve the admin console.
    pub admin_ui: bool,
    /// The admin console's chain verification, running or last finished (`admin`: one at a
    /// time, in the background).
    pub verify_job: Mutex<Option<Arc<admin::VerifyJob>>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("policy", &self.runtime.policy().identity)
            .finish_non_exhaustive()
    }
}

pub type Shared = Arc<AppState>;

/// The router with every route and middleware.
pub fn app(state: Shared) -> Router {
    Router::new()
        .merge(health::router())
        .merge(scan::router())
        .merge(decide::router())
        .merge(transform::router())
        .merge(receipts::router())
        .merge(events::router())
        .merge(metrics::router())
        .merge(demo::router(state.demo.is_some()))
        .merge(admin::router(state.admin_ui))
        .fallback(error::not_found)
        .layer(error::catch_panic())
        .layer(axum_middleware::from_fn_with_state(
            state.clone(),
            middleware::guard,
        ))
        .layer(CompressionLayer::new().compress_when(SizeAbove::new(0)))
        .layer(axum_middleware::from_fn_with_state(
            state.clone(),
            middleware::front,
        ))
        .with_state(state)
}

/// A GET route: axum answers HEAD with the GET handler; Go answers 405, as for other methods.
fn get(r: MethodRouter<Shared>) -> MethodRouter<Shared> {
    r.on(MethodFilter::HEAD, error::method_must_be_get)
        .fallback(error::method_must_be_get)
}

/// A POST route: other methods answer 405.
fn post(r: MethodRouter<Shared>) -> MethodRouter<Shared> {
    r.fallback(error::method_must_be_post)
}

// ------------------------------------------------------------------ responses

/// A JSON body (Go's encoder adds a newline).
fn json_response<T: Serialize>(v: &T) -> Response {
    match to_json(v) {
        Ok(bytes) => json_bytes(bytes),
        Err(e) => e.into_response(),
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

/// Serialise a success body (Go's encoder adds a newline).
fn to_json<T: Serialize>(v: &T) -> Result<Vec<u8>, HttpError> {
    let mut bytes = serde_json::to_vec(v).map_err(|_| HttpError::from(ApiError::encode_error()))?;
    bytes.push(b'\n');
    Ok(bytes)
}

// ------------------------------------------------------------------ ids and clocks

/// 16 random bytes as 32 lowercase hex; an error when the system has no randomness (a receipt
/// id never falls back to anything else: the WIT promises 32 hex). The shim's rule too.
pub use datafog_files::random_hex16;

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

// ------------------------------------------------------------------ guest calls

/// Requests whose payload is at most this many bytes run their guest call on the async worker
/// itself; larger ones go to the blocking pool. A call on a 1 KB payload takes ~50-200 µs, less
/// than the two thread hand-offs of `spawn_blocking` cost on this 2-core machine (they were a
/// fifth of decide's CPU in a perf profile: futex wake-ups and context switches); a worker is then
/// busy for a bounded, short time (detection is linear in the payload, and every call still has
/// its epoch deadline). Big payloads keep the workers free for the other connections.
pub const INLINE_GUEST_BYTES: usize = 32 * 1024;

/// Run a guest call: inline for a payload of `size` <= [`INLINE_GUEST_BYTES`] bytes, else on the
/// blocking pool. The guest's own answer (`Ok(Err(api_error))`) becomes an [`HttpError`] too.
async fn in_guest<R: Send + 'static>(
    s: &Shared,
    size: usize,
    f: impl FnOnce(&mut Instance) -> wasmtime::Result<Result<R, ApiError>> + Send + 'static,
) -> Result<R, HttpError> {
    // A turn first: a burst waits for an instance slot (up to `guest_wait`) rather than failing.
    let permit = s.runtime.acquire(s.guest_wait).await?;
    let out = if size <= INLINE_GUEST_BYTES {
        let out = s.runtime.call(f);
        drop(permit);
        out
    } else {
        let rt = s.runtime.clone();
        tokio::task::spawn_blocking(move || {
            let out = rt.call(f);
            drop(permit);
            out
        })
        .await
        .map_err(|_| HttpError::from(ApiError::internal()))?
    };
    Ok(out??)
}

// ------------------------------------------------------------------ idempotency

/// Run `work` once per idempotency key (see `idempotency`): replay a stored body for the same
/// fingerprint, 409 for another; no key: just run it (callers compute the fingerprint only when
/// there is a key: see [`fingerprint_if`]).
async fn idempotent(
    s: &AppState,
    endpoint: Endpoint,
    key: &str,
    fingerprint: String,
    work: impl Future<Output = Result<Vec<u8>, HttpError>>,
) -> HttpResult {
    idempotent_or_restore(s, endpoint, key, fingerprint, || Ok(None), work).await
}

/// `fingerprint(req)` when an idempotency key was sent, else nothing (the hash is skipped).
fn fingerprint_if<T>(key: &str, req: &T, fingerprint: impl FnOnce(&T) -> String) -> String {
    if key.is_empty() {
        String::new()
    } else {
        fingerprint(req)
    }
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
