//! `POST /v1/transform` and `POST /v1/anonymize`: one guest call each into the core's
//! `handle_transform` / `handle_anonymize` (`transform-request`, `anonymize-request`) under the
//! host's token key.

use axum::Router;
use axum::body::Body;
use axum::extract::{Extension, State};
use axum::http::HeaderMap;
use axum::routing::{MethodFilter, on};
use datafog::api::{self, AnonymizeRequest, TransformRequest};

use super::body::read_json;
use super::middleware::{TraceContext, adopt_trace_id};
use super::{HttpResult, Shared, fingerprint_if, idempotent, in_guest, post, to_json};
use crate::idempotency::Endpoint;
use crate::native;

pub fn router() -> Router<Shared> {
    Router::new()
        .route("/v1/transform", post(on(MethodFilter::POST, transform)))
        .route("/v1/anonymize", post(on(MethodFilter::POST, anonymize)))
}

async fn transform(
    State(s): State<Shared>,
    trace: Option<Extension<TraceContext>>,
    headers: HeaderMap,
    body: Body,
) -> HttpResult {
    let (mut req, _held): (TransformRequest, _) = read_json(&s.body_budget, &headers, body).await?;
    adopt_trace_id(&mut req.trace_id, trace.as_deref());
    let key = req.idempotency_key.clone();
    if !key.is_empty() {
        // Go validates (and normalises `mode`/`entity_modes`) before fingerprinting.
        api::validate_transform(&mut req)?;
    }
    let fp = fingerprint_if(&key, &req, native::fingerprint_transform);
    let token_key = s.key.clone();
    let size = req.text.len();
    let work = async {
        let resp = in_guest(&s, size, move |i| {
            i.guest.transform_request(i.policy, req, &token_key)
        })
        .await?;
        to_json(&resp)
    };
    idempotent(&s, Endpoint::Transform, &key, fp, work).await
}

async fn anonymize(
    State(s): State<Shared>,
    trace: Option<Extension<TraceContext>>,
    headers: HeaderMap,
    body: Body,
) -> HttpResult {
    let (mut req, _held): (AnonymizeRequest, _) = read_json(&s.body_budget, &headers, body).await?;
    adopt_trace_id(&mut req.trace_id, trace.as_deref());
    let key = req.idempotency_key.clone();
    if !key.is_empty() {
        api::validate_anonymize(&req)?;
    }
    let fp = fingerprint_if(&key, &req, native::fingerprint_anonymize);
    let token_key = s.key.clone();
    let size = req.text.len();
    let work = async {
        let resp = in_guest(&s, size, move |i| {
            i.guest.anonymize_request(i.policy, req, &token_key)
        })
        .await?;
        to_json(&resp)
    };
    idempotent(&s, Endpoint::Anonymize, &key, fp, work).await
}
