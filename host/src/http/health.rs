//! `GET /health`, `GET /v1/policy/version` (the core's handlers, on the identity the guest
//! reported at start) and `GET /openapi.json`.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, on};
use datafog::api;

use super::{Shared, get, json_response};

pub fn router() -> Router<Shared> {
    Router::new()
        .route("/health", get(on(MethodFilter::GET, health)))
        .route(
            "/v1/policy/version",
            get(on(MethodFilter::GET, policy_version)),
        )
        .route("/openapi.json", get(on(MethodFilter::GET, openapi)))
}

async fn health(State(s): State<Shared>) -> Response {
    json_response(&api::handle_health(&s.identity, &s.started_at))
}

async fn policy_version(State(s): State<Shared>) -> Response {
    json_response(&s.identity)
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
