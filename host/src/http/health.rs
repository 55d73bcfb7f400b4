//! `GET /health`, `GET /v1/policy/version` (the core's handlers, on the identity the guest
//! reported for the policy the runtime serves now; a reload changes it) and `GET /openapi.json`.
//! `/health` adds the policy document's hash and when it was loaded. `GET /ready`: the readiness
//! probe (the store can commit), served without a token.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, on};
use datafog::api;
use serde::Serialize;

use super::{Shared, get, json_response};

/// The core's health body plus what this host knows about the loaded policy.
#[derive(Serialize)]
struct Health {
    #[serde(flatten)]
    base: api::HealthResponse,
    /// `sha256:<hex>` of the policy document's bytes.
    policy_hash: String,
    /// When this policy was loaded (start or the last successful reload), RFC 3339 UTC seconds.
    policy_loaded_at: String,
}

pub fn router() -> Router<Shared> {
    Router::new()
        .route("/health", get(on(MethodFilter::GET, health)))
        .route("/ready", get(on(MethodFilter::GET, ready)))
        .route(
            "/v1/policy/version",
            get(on(MethodFilter::GET, policy_version)),
        )
        .route("/openapi.json", get(on(MethodFilter::GET, openapi)))
}

async fn health(State(s): State<Shared>) -> Response {
    let p = s.runtime.policy();
    json_response(&Health {
        base: api::handle_health(&p.identity, &s.started_at),
        policy_hash: p.hash.clone(),
        policy_loaded_at: p.loaded_at.clone(),
    })
}

#[derive(Serialize)]
struct Ready {
    ready: bool,
}

/// How long `/ready` waits for the database.
const READY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// `GET /ready`: can the server take decisions now (see `docs/openapi.json`)? No token needed,
/// and nothing but the answer (the reason is logged by the store).
async fn ready(State(s): State<Shared>) -> Response {
    let ready = match s.receipts.pg() {
        Some(pg) => tokio::time::timeout(READY_TIMEOUT, pg.ready())
            .await
            .is_ok_and(|r| r.is_ok()),
        None => !s.disk.is_below(),
    };
    let mut resp = json_response(&Ready { ready });
    if !ready {
        *resp.status_mut() = axum::http::StatusCode::SERVICE_UNAVAILABLE;
    }
    resp
}

async fn policy_version(State(s): State<Shared>) -> Response {
    json_response(&s.runtime.policy().identity)
}

/// `docs/openapi.json`, embedded in the core (checked against real responses by
/// `tests/integration/openapi.rs`).
pub use datafog::api::http::OPENAPI_JSON;

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
