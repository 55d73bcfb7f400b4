//! `GET /metrics`: Prometheus text; `?format=json`: the Go JSON shape (see `crate::metrics`).

use std::collections::HashMap;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, on};

use super::{Shared, get, json_response};

pub fn router() -> Router<Shared> {
    Router::new().route("/metrics", get(on(MethodFilter::GET, metrics)))
}

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
