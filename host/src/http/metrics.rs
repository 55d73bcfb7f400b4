//! `GET /metrics`: Prometheus text; `?format=json`: the Go JSON shape (see `crate::metrics`).

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::{MethodFilter, on};

use super::{HttpResult, Shared, get, json_response};

pub fn router() -> Router<Shared> {
    Router::new().route("/metrics", get(on(MethodFilter::GET, metrics)))
}

async fn metrics(State(s): State<Shared>, RawQuery(q): RawQuery) -> HttpResult {
    if datafog::api::lists::metrics_wants_json(q.as_deref().unwrap_or(""))? {
        return Ok(json_response(
            &s.metrics.go_json(&s.started_at, s.started.elapsed()),
        ));
    }
    let text = s
        .metrics
        .prometheus(&s.runtime, s.receipts.stats(), &s.disk);
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        text,
    )
        .into_response())
}
