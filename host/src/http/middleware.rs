//! The middleware, outermost first: [`front`] (CORS, OPTIONS 204, request id, W3C trace
//! context) → gzip (tower-http) → [`guard`] (auth, rate limits, then the error envelope with the
//! request id, metrics and the access log) → the route.
//!
//! Trace context: a valid W3C `traceparent` request header (`00-<32 hex trace id>-<16 hex parent
//! id>-<2 hex flags>`, lowercase, ids not all zero; a future version's longer header is read by
//! its first four fields) gives the request its trace id; a missing or invalid one is ignored and
//! a new trace id is generated. Every response but a preflight carries `traceparent` with that
//! trace id, this server's own span id and the flags, so a caller can follow one request from the
//! agent through the firewall. The access log line names the trace id, and a scan, decide,
//! transform or anonymize body without a `trace_id` takes the header's (see [`TraceContext`]).

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use datafog::api::http as api_http;
use datafog::api::{ApiError, ErrorCode};

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

/// A request's W3C trace context (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceContext {
    /// 32 lowercase hex.
    pub trace_id: String,
    /// This server's span: 16 lowercase hex.
    pub span_id: String,
    /// 2 lowercase hex.
    pub flags: String,
    /// The trace id came from the client's `traceparent` (else it was generated here).
    pub from_client: bool,
}

impl TraceContext {
    /// The context of a request with `header` (its `traceparent`, if any): the client's trace id
    /// when the header is valid, a new one otherwise; always a new span id.
    pub fn of(header: Option<&str>) -> TraceContext {
        let span_id = new_request_id()
            .get(..16)
            .unwrap_or("0000000000000001")
            .to_owned();
        match header.and_then(parse_traceparent) {
            Some((trace_id, flags)) => TraceContext {
                trace_id: trace_id.to_owned(),
                span_id,
                flags: flags.to_owned(),
                from_client: true,
            },
            None => TraceContext {
                trace_id: new_request_id(),
                span_id,
                flags: "00".to_owned(),
                from_client: false,
            },
        }
    }

    /// The `traceparent` response header.
    pub fn header(&self) -> String {
        format!("00-{}-{}-{}", self.trace_id, self.span_id, self.flags)
    }

    /// The trace id a request body without one takes: the client's, never a generated one (a
    /// generated id would put a value into receipts that no caller knows).
    pub fn client_trace_id(ctx: Option<&TraceContext>) -> Option<&str> {
        ctx.filter(|c| c.from_client).map(|c| c.trace_id.as_str())
    }
}

/// A request body's `trace_id`: when blank, the client's `traceparent` trace id (if any).
pub fn adopt_trace_id(body_trace_id: &mut String, ctx: Option<&TraceContext>) {
    if body_trace_id.is_empty()
        && let Some(t) = TraceContext::client_trace_id(ctx)
    {
        t.clone_into(body_trace_id);
    }
}

/// `(trace id, flags)` of a valid `traceparent` value (W3C Trace Context level 1).
pub fn parse_traceparent(v: &str) -> Option<(&str, &str)> {
    let hex = |s: &str, n: usize| {
        s.len() == n
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    let mut parts = v.trim().split('-');
    let (version, trace, parent, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let rest = parts.next();
    if !hex(version, 2) || version == "ff" || !hex(trace, 32) || !hex(parent, 16) || !hex(flags, 2)
    {
        return None;
    }
    // Version 00 has exactly four fields; a later version may append more.
    if version == "00" && rest.is_some() {
        return None;
    }
    if trace.bytes().all(|b| b == b'0') || parent.bytes().all(|b| b == b'0') {
        return None;
    }
    Some((trace, flags))
}

/// CORS (an allowed `Origin` is reflected; `DATAFOG_CORS_ORIGINS`), OPTIONS → 204 before
/// anything else, request id, trace context.
pub async fn front(State(s): State<Shared>, mut req: Request, next: Next) -> Response {
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .filter(|o| o.to_str().is_ok_and(|o| s.cors_origins.allows(o)))
        .cloned();
    let mut resp = if req.method() == Method::OPTIONS {
        StatusCode::NO_CONTENT.into_response()
    } else {
        let id = api_http::client_request_id(
            req.headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok()),
        )
        .map_or_else(new_request_id, str::to_owned);
        req.extensions_mut().insert(RequestId(id.clone()));
        let trace = TraceContext::of(
            req.headers()
                .get("traceparent")
                .and_then(|v| v.to_str().ok()),
        );
        let traceparent = HeaderValue::from_str(&trace.header());
        req.extensions_mut().insert(trace);
        let mut r = next.run(req).await;
        if let Ok(v) = HeaderValue::from_str(&id) {
            r.headers_mut().insert("x-request-id", v);
        }
        if let Ok(v) = traceparent {
            r.headers_mut().insert("traceparent", v);
        }
        r
    };
    if let Some(origin) = origin {
        let h = resp.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        for (name, value) in api_http::CORS_HEADERS {
            h.append(name, HeaderValue::from_static(value));
        }
    }
    resp
}

/// Auth → the DNS-rebinding guard (auth off: loopback or `DATAFOG_ALLOWED_HOSTS` only) → rate
/// limit → the route; then the error envelope, metrics and the access log.
pub async fn guard(State(s): State<Shared>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
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
    let trace_id = req
        .extensions()
        .get::<TraceContext>()
        .map(|t| t.trace_id.clone())
        .unwrap_or_default();
    // The console's static pages hold no data and a browser cannot send a header to load them
    // (see `admin`); everything they call needs the token.
    // `/ready` answers one boolean: a probe cannot send a token.
    let public = method == Method::GET
        && (super::admin::PUBLIC_PAGES.contains(&route.as_str()) || route == "/ready");
    let mut resp = if !public && !authorized(s.token_digest.as_ref(), req.headers()) {
        HttpError::from(ApiError::unauthorized()).into_response()
    } else if s.token_digest.is_none() && !api_http::host_allowed(host(&req), &s.allowed_hosts) {
        HttpError::from(ApiError::host_not_allowed()).into_response()
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
    // What a log line says about the request: the route template (never the path, which can
    // carry an id or a value), a standard method, and the request id with every entity in it
    // redacted (a client sets it).
    let logged = || {
        (
            loggable(&s, &request_id),
            if KNOWN_METHODS.contains(&method.as_str()) {
                method.as_str()
            } else {
                "OTHER"
            },
        )
    };
    if let Some(e) = resp.extensions_mut().remove::<HttpError>() {
        // A 5xx is logged; `server_busy`, `insufficient_storage` and `store_unavailable` are not,
        // since a flood would turn into a log flood (they are counted in the metrics, `disk` logs
        // each crossing of the floor once, and `pg` each failure and recovery of the database).
        if e.status.is_server_error()
            && e.code != ErrorCode::ServerBusy.as_str()
            && e.code != ErrorCode::InsufficientStorage.as_str()
            && e.code != ErrorCode::StoreUnavailable.as_str()
        {
            let (id, method) = logged();
            tracing::error!(
                request_id = %id,
                method = %method,
                route = %route,
                status = e.status.as_u16(),
                code = %e.code,
                trace_id = %trace_id,
                error = %e.message,
                "request failed"
            );
        }
        let mut headers = std::mem::take(resp.headers_mut());
        if e.code == ErrorCode::ServerBusy.as_str()
            || e.code == ErrorCode::StoreUnavailable.as_str()
        {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
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
        let (id, method) = logged();
        tracing::info!(
            target: crate::logs::ACCESS,
            method = %method,
            route = %route,
            status,
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            request_id = %id,
            trace_id = %trace_id,
            "request complete"
        );
    }
    resp
}

const KNOWN_METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE",
];

/// `text` (a client's request id) fit for a log line: every entity the policy's detectors find,
/// in running text or inside identifiers, replaced by `[REDACTED:<type>]` (the core's
/// `Redactor`, as receipts record ids); without a native policy, nothing of it.
fn loggable(s: &Shared, text: &str) -> String {
    // The policy the runtime serves now, parsed natively (`runtime::ActivePolicy::native`).
    match &s.runtime.policy().native {
        Some(p) => datafog::api::handlers::Redactor::new(p, &[]).redact(text),
        None => "[not logged]".to_owned(),
    }
}

/// The request's host: the `Host` header, or (HTTP/2, absolute-form) the URI's authority.
fn host(req: &Request) -> Option<&str> {
    req.headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()))
}

/// The core's rule (`datafog::api::http::authorized`) on this request's headers.
fn authorized(want: Option<&[u8; 32]>, headers: &HeaderMap) -> bool {
    let header = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    api_http::authorized(
        want,
        header(header::AUTHORIZATION.as_str()),
        header("x-api-key"),
    )
}

/// SHA-256 of a token (`datafog::api::http::token_digest`).
pub fn digest(token: &str) -> [u8; 32] {
    api_http::token_digest(token)
}
