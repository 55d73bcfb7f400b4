//! The middleware, outermost first: [`front`] (CORS, OPTIONS 204, request id) → gzip
//! (tower-http) → [`guard`] (auth, rate limits, then the error envelope with the request id,
//! metrics and the access log) → the route.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use datafog::api::ApiError;
use sha2::{Digest, Sha256};

use super::error::envelope;
use super::{HttpError, Shared};
use crate::conn::ClientAddr;

/// The request id (header `X-Request-ID`, or 32 random hex).
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// A new request id: 32 random hex, or (randomness unavailable) a process-unique counter in the
/// same shape. Request ids only correlate logs; receipt ids never fall back (see `decide`).
fn new_request_id() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    super::random_hex16().unwrap_or_else(|_| {
        format!(
            "{:032x}",
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        )
    })
}

/// CORS (reflect `Origin`), OPTIONS → 204 before anything else, request id.
pub async fn front(mut req: Request, next: Next) -> Response {
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
            .unwrap_or_else(new_request_id);
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
pub async fn guard(State(s): State<Shared>, req: Request, next: Next) -> Response {
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
    let mut resp = if !authorized(s.token_digest.as_ref(), req.headers()) {
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
/// SHA-256 digests, so the token's length does not leak either). `want`: `None` is auth off.
fn authorized(want: Option<&[u8; 32]>, headers: &HeaderMap) -> bool {
    let Some(want) = want else {
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
