//! `POST /v1/scan`: one guest call into the core's `handle_scan` (`scan-request`).

use axum::Router;
use axum::body::Body;
use axum::extract::{Extension, State};
use axum::http::HeaderMap;
use axum::routing::{MethodFilter, on};
use datafog::api::{self, ScanRequest};

use super::body::read_json;
use super::middleware::{TraceContext, adopt_trace_id};
use super::{HttpError, HttpResult, Shared, fingerprint_if, idempotent, in_guest, post, to_json};
use crate::idempotency::Endpoint;
use crate::native;

pub fn router() -> Router<Shared> {
    Router::new().route("/v1/scan", post(on(MethodFilter::POST, scan)))
}

async fn scan(
    State(s): State<Shared>,
    trace: Option<Extension<TraceContext>>,
    headers: HeaderMap,
    body: Body,
) -> HttpResult {
    let (mut req, _held): (ScanRequest, _) = read_json(&s.body_budget, &headers, body).await?;
    adopt_trace_id(&mut req.trace_id, trace.as_deref());
    let key = req.idempotency_key.clone();
    if !key.is_empty() {
        // Go validates before the idempotency check: an invalid request is never replayed.
        api::validate_scan(&req)?;
    }
    let fp = fingerprint_if(&key, &req, native::fingerprint_scan);
    idempotent(&s, Endpoint::Scan, &key, fp, work(&s, req)).await
}

async fn work(s: &Shared, req: ScanRequest) -> Result<Vec<u8>, HttpError> {
    let size = req.text.len();
    let resp = in_guest(s, size, move |i| i.guest.scan_request(i.policy, req)).await?;
    s.metrics.record_found(&resp.findings, &resp.finding_counts);
    to_json(&resp)
}
