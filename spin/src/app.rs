//! The request path of the edge app, free of any platform binding: routing, auth, the error
//! envelope and limits are the core's (`datafog::api::http`), each route one call to a core `api`
//! handler; state goes through [`Store`]. The platform glue (`platform.rs`, wasm32 only) turns a
//! `wasi:http` request into [`Request`], reads the body when [`front`] asks for it, and writes the
//! [`Response`]. Natively, the tests drive the same functions over [`crate::state::MemStore`].
//!
//! The order is the native host's: `OPTIONS` (204, before anything) → request id → auth (401; a
//! broken `api_token` variable is 503) → the other settings and the store (503 `config_error`) →
//! route (404/405) → content type (415) → body limit (413) → JSON (400) → the route.

use datafog::api::http::{self as contract, Route};
use datafog::api::lists::{EventsPage, EventsQuery, ReceiptsPage, ReceiptsQuery};
use datafog::api::{self, ApiError, DecideContext};
use serde::Serialize;

use crate::config::{Lookup, Settings};
use crate::state::{self, Seen, Store};

/// The parts of a request the app reads before its body.
#[derive(Debug)]
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// Without the `?`.
    pub query: &'a str,
    /// `(lower-case name, value)`; values that are not UTF-8 are left out.
    pub headers: Vec<(String, String)>,
}

impl Request<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A request body as the glue read it.
#[derive(Debug)]
pub enum Body {
    Bytes(Vec<u8>),
    /// More than the limit [`front`] gave.
    TooLarge,
    /// The stream failed (the client went away).
    Unreadable,
}

/// A response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Opens the store the settings name.
pub type OpenStore = dyn Fn(&Settings) -> Result<Box<dyn Store>, ApiError>;

/// What the app needs from its platform besides the request.
pub struct Env<'a> {
    pub vars: Lookup<'a>,
    /// Open the store the settings name (`store_dir` or `kv_store`); an error is the envelope.
    pub open_store: &'a OpenStore,
    /// 16 random bytes as 32 hex (receipt and request ids, a generated key).
    pub random_hex16: &'a dyn Fn() -> Result<String, String>,
    /// The clock.
    pub now: &'a dyn Fn() -> time::OffsetDateTime,
}

impl std::fmt::Debug for Env<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env").finish_non_exhaustive()
    }
}

/// After [`front`]: answer now, or read the body (at most `limit` bytes) and call [`finish`].
#[derive(Debug)]
pub enum Step {
    Done(Response),
    NeedBody(Box<Pending>),
}

/// A routed, authorised POST waiting for its body.
pub struct Pending {
    route: Route,
    settings: Settings,
    store: Box<dyn Store>,
    request_id: String,
    origin: Option<String>,
    pub limit: usize,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending")
            .field("route", &self.route)
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

/// Everything up to the body.
pub fn front(req: &Request<'_>, env: &Env<'_>) -> Step {
    // CORS only for the origins listed in `cors_origins` (off by default; a broken value is a
    // `config_error` below, and no CORS meanwhile).
    let cors = Settings::cors_origins(env.vars).unwrap_or_default();
    let origin = req
        .header("origin")
        .filter(|o| cors.allows(o))
        .map(str::to_owned);
    if req.method == "OPTIONS" {
        return Step::Done(decorate(empty(204), None, origin.as_deref()));
    }
    let request_id = contract::client_request_id(req.header("x-request-id"))
        .map(str::to_owned)
        .or_else(|| (env.random_hex16)().ok())
        .unwrap_or_default();
    // (`policy`: once the settings are loaded, for the 5xx log line.)
    let done = |r: Result<Response, ApiError>, policy: Option<&datafog::policy::Policy>| {
        Step::Done(decorate(
            r.unwrap_or_else(|e| error(&e, &request_id, policy)),
            Some(&request_id),
            origin.as_deref(),
        ))
    };
    // The token first: a caller without it learns nothing else, not even a broken setting.
    let token = match Settings::token_digest(env.vars) {
        Ok(t) => t,
        Err(e) => return done(Err(e), None),
    };
    if !contract::authorized(
        token.as_ref(),
        req.header("authorization"),
        req.header("x-api-key"),
    ) {
        return done(Err(ApiError::unauthorized()), None);
    }
    let settings = match Settings::load_with_token(env.vars, token) {
        Ok(s) => s,
        Err(e) => return done(Err(e), None),
    };
    let policy = Some(&settings.policy);
    let store = match (env.open_store)(&settings) {
        Ok(s) => s,
        Err(e) => return done(Err(e), policy),
    };
    let route = match contract::route(req.method, req.path) {
        Ok(r) => r,
        Err(e) => return done(Err(e), policy),
    };
    match route {
        Route::Scan | Route::Decide | Route::Transform | Route::Anonymize => {
            if let Err(e) = contract::check_content_type(req.header("content-type")) {
                return done(Err(e), policy);
            }
            Step::NeedBody(Box::new(Pending {
                route,
                limit: settings.max_body_bytes,
                settings,
                store,
                request_id,
                origin,
            }))
        }
        route => done(get(&route, req.query, &settings, &*store, env), policy),
    }
}

/// The POST routes, once the body is read.
pub fn finish(p: Box<Pending>, body: Body, env: &Env<'_>) -> Response {
    let r = match body {
        Body::Bytes(b) => post(&p.route, &b, &p.settings, &*p.store, env),
        Body::TooLarge => Err(ApiError::request_too_large()),
        Body::Unreadable => Err(
            ApiError::new(api::ErrorCode::InvalidRequest, "invalid JSON body")
                .with_details("read error: unexpected EOF"),
        ),
    };
    decorate(
        r.unwrap_or_else(|e| error(&e, &p.request_id, Some(&p.settings.policy))),
        Some(&p.request_id),
        p.origin.as_deref(),
    )
}

// ------------------------------------------------------------------ routes

fn get(
    route: &Route,
    query: &str,
    s: &Settings,
    store: &dyn Store,
    env: &Env<'_>,
) -> Result<Response, ApiError> {
    match route {
        Route::Health => json(&api::handle_health(&s.identity, &started_at(store, env)?)),
        Route::PolicyVersion => json(&s.identity),
        Route::OpenApi => Ok(bytes(
            200,
            "application/json",
            contract::OPENAPI_JSON.as_bytes().to_vec(),
        )),
        Route::Receipt(id) => match state::receipt_line(store, id)? {
            Some(mut line) => {
                line.push('\n');
                Ok(bytes(200, "application/json", line.into_bytes()))
            }
            None => Err(ApiError::receipt_not_found()),
        },
        Route::Receipts => {
            let mut page = ReceiptsPage::new(ReceiptsQuery::from_query(query)?);
            state::for_each_receipt(store, |line| page.offer(line))?;
            Ok(bytes(200, "application/json", page.finish()))
        }
        Route::ReceiptsExport => {
            let mut out = Vec::new();
            state::for_each_receipt(store, |line| {
                out.extend_from_slice(line.as_bytes());
                out.push(b'\n');
            })?;
            Ok(bytes(200, contract::NDJSON, out))
        }
        // Checkpoints are signed by the native host's writer; the edge has no key (issue 14).
        Route::ReceiptsCheckpoint => Err(ApiError::checkpoint_not_found(
            "the edge app writes no checkpoints",
        )),
        Route::Events => {
            let mut page = EventsPage::new(EventsQuery::from_query(query)?);
            state::for_each_event(store, |line| page.offer(line))?;
            json(&page.finish())
        }
        // `format` as the native host reads it (the core decides: strict, 400 on a bad value).
        Route::Metrics => {
            let as_json = api::lists::metrics_wants_json(query)?;
            let counts = state::counts(store)?;
            if as_json {
                json(&EdgeMetrics::new(&counts))
            } else {
                Ok(bytes(
                    200,
                    contract::PROMETHEUS_TEXT,
                    metrics(&counts).into_bytes(),
                ))
            }
        }
        // POST routes never reach here (`front` asks for their body).
        Route::Scan | Route::Decide | Route::Transform | Route::Anonymize => {
            Err(ApiError::internal())
        }
    }
}

fn post(
    route: &Route,
    body: &[u8],
    s: &Settings,
    store: &dyn Store,
    env: &Env<'_>,
) -> Result<Response, ApiError> {
    let now = (env.now)().unix_timestamp();
    match route {
        Route::Scan => {
            let req: api::ScanRequest = api::parse_json(body)?;
            let key = req.idempotency_key.clone();
            if !key.is_empty() {
                api::validate_scan(&req)?;
            }
            idempotent(
                store,
                "scan",
                &key,
                now,
                || api::fingerprint_scan(&req),
                || contract::json_body(&api::handle_scan(&s.policy, &req)?),
            )
        }
        Route::Transform => {
            let mut req: api::TransformRequest = api::parse_json(body)?;
            let key = req.idempotency_key.clone();
            if !key.is_empty() {
                api::validate_transform(&mut req)?;
            }
            idempotent(
                store,
                "transform",
                &key,
                now,
                || api::fingerprint_transform(&req),
                || {
                    let k = token_key(s, store, env)?;
                    contract::json_body(&api::handle_transform(&s.policy, &req, &k)?)
                },
            )
        }
        Route::Anonymize => {
            let req: api::AnonymizeRequest = api::parse_json(body)?;
            let key = req.idempotency_key.clone();
            if !key.is_empty() {
                api::validate_anonymize(&req)?;
            }
            idempotent(
                store,
                "anonymize",
                &key,
                now,
                || api::fingerprint_anonymize(&req),
                || {
                    let k = token_key(s, store, env)?;
                    contract::json_body(&api::handle_anonymize(&s.policy, &req, &k)?)
                },
            )
        }
        Route::Decide => {
            let req: api::DecideRequest = api::parse_json(body)?;
            let key = req.idempotency_key.clone();
            if !key.is_empty() {
                api::validate_decide(&req)?;
            }
            let fp = if key.is_empty() {
                String::new()
            } else {
                api::fingerprint_decide(&req)
            };
            idempotent(
                store,
                "decide",
                &key,
                now,
                || fp.clone(),
                || decide(&req, &fp, s, store, env),
            )
        }
        _ => Err(ApiError::internal()),
    }
}

/// Decide, append the receipt to the chain (acknowledged only once stored), store the event.
fn decide(
    req: &api::DecideRequest,
    input_hash: &str,
    s: &Settings,
    store: &dyn Store,
    env: &Env<'_>,
) -> Result<Vec<u8>, ApiError> {
    let key = token_key(s, store, env)?;
    let receipt_id = (env.random_hex16)().map_err(|e| {
        eprintln!("datafog-spin: decide refused: no randomness for a receipt id: {e}");
        ApiError::internal()
    })?;
    let ctx = DecideContext {
        receipt_id,
        timestamp: rfc3339((env.now)(), true),
        // Unsealed: `state::append` seals it onto the chain's end.
        prev_hash: String::new(),
        key: &key,
        input_hash: input_hash.to_owned(),
    };
    let (response, mut receipt) = api::decide(&s.policy, req, ctx)?;
    let event =
        serde_json::to_string(&api::decision_event(&receipt, &response)).unwrap_or_default();
    state::append(store, &mut receipt, &event)?;
    contract::json_body(&response)
}

/// Run `work` once per idempotency key (no key: just run it): replay the stored body for the
/// same fingerprint, 409 for another. Concurrent first uses of one key may both run (the store
/// has no per-key lock across instances; spin/README.md lists it among the differences).
fn idempotent(
    store: &dyn Store,
    endpoint: &str,
    key: &str,
    now: i64,
    fingerprint: impl FnOnce() -> String,
    work: impl FnOnce() -> Result<Vec<u8>, ApiError>,
) -> Result<Response, ApiError> {
    if key.is_empty() {
        return Ok(bytes(200, "application/json", work()?));
    }
    let fp = fingerprint();
    match state::seen(store, endpoint, key, &fp, now)? {
        Seen::Replay(body) => Ok(bytes(200, "application/json", body)),
        Seen::Conflict => Err(ApiError::idempotency_conflict()),
        Seen::New => {
            let body = work()?;
            state::remember(store, endpoint, key, fp, &body, now);
            Ok(bytes(200, "application/json", body))
        }
    }
}

/// The token key: the `token_key` variable, else one random key per store, created once (the
/// first instance's create wins; every instance then reads the same key).
fn token_key(s: &Settings, store: &dyn Store, env: &Env<'_>) -> Result<Vec<u8>, ApiError> {
    if !s.token_key.is_empty() {
        return Ok(s.token_key.clone());
    }
    let unreadable = |e: String| ApiError::config(format!("stored token key: {e}"));
    let stored = state::get_or_create(store, "config/token_key", || {
        Ok(format!("{}{}", (env.random_hex16)()?, (env.random_hex16)()?).into_bytes())
    })
    .map_err(unreadable)?;
    crate::config::decode_key(String::from_utf8_lossy(&stored).trim())
        .ok_or_else(|| unreadable("not hex".to_owned()))
}

/// When this deployment first served (stored once; every instance reports the same).
fn started_at(store: &dyn Store, env: &Env<'_>) -> Result<String, ApiError> {
    let stored = state::get_or_create(store, "config/started_at", || {
        Ok(rfc3339((env.now)(), false).into_bytes())
    })
    .map_err(|e| ApiError::config(format!("stored start time: {e}")))?;
    Ok(String::from_utf8_lossy(&stored).into_owned())
}

/// The Prometheus text of the edge (what it can count exactly from the chain; no per-route
/// request counters: an edge instance lives for one request).
fn metrics(c: &state::Counts) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(out, "# HELP datafog_build_info The core this app links.");
    let _ = writeln!(out, "# TYPE datafog_build_info gauge");
    let _ = writeln!(
        out,
        "datafog_build_info{{core_version=\"{}\",host=\"spin\"}} 1",
        datafog::CORE_VERSION
    );
    let _ = writeln!(
        out,
        "# HELP datafog_receipts_written_total Receipts in the chain (every instance, ever)."
    );
    let _ = writeln!(out, "# TYPE datafog_receipts_written_total counter");
    let _ = writeln!(out, "datafog_receipts_written_total {}", c.seq);
    let _ = writeln!(out, "# HELP datafog_decisions_total Decisions by effect.");
    let _ = writeln!(out, "# TYPE datafog_decisions_total counter");
    for (effect, n) in &c.decisions {
        let _ = writeln!(out, "datafog_decisions_total{{effect=\"{effect}\"}} {n}");
    }
    let _ = writeln!(
        out,
        "# HELP datafog_decision_findings_total Findings in decisions, by entity type."
    );
    let _ = writeln!(out, "# TYPE datafog_decision_findings_total counter");
    for (t, n) in &c.findings {
        let t = t.replace(['\\', '"', '\n'], "_");
        let _ = writeln!(
            out,
            "datafog_decision_findings_total{{entity_type=\"{t}\"}} {n}"
        );
    }
    out
}

/// `GET /metrics?format=json` at the edge: the same counters as its Prometheus text, as JSON (the
/// native host's JSON is Go's request counters, which the edge does not keep).
#[derive(Debug, Serialize)]
struct EdgeMetrics<'a> {
    core_version: &'static str,
    host: &'static str,
    receipts_written_total: u64,
    decisions_total: &'a std::collections::BTreeMap<String, u64>,
    decision_findings_total: &'a std::collections::BTreeMap<String, u64>,
}

impl<'a> EdgeMetrics<'a> {
    fn new(c: &'a state::Counts) -> EdgeMetrics<'a> {
        EdgeMetrics {
            core_version: datafog::CORE_VERSION,
            host: "spin",
            receipts_written_total: c.seq,
            decisions_total: &c.decisions,
            decision_findings_total: &c.findings,
        }
    }
}

// ------------------------------------------------------------------ responses

fn rfc3339(t: time::OffsetDateTime, nanos: bool) -> String {
    let t = if nanos {
        t
    } else {
        t.replace_nanosecond(0).unwrap_or(t)
    };
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn bytes(status: u16, content_type: &str, body: Vec<u8>) -> Response {
    Response {
        status,
        headers: vec![("content-type".to_owned(), content_type.to_owned())],
        body,
    }
}

fn empty(status: u16) -> Response {
    Response {
        status,
        headers: Vec::new(),
        body: Vec::new(),
    }
}

fn json<T: Serialize>(v: &T) -> Result<Response, ApiError> {
    Ok(bytes(200, "application/json", contract::json_body(v)?))
}

/// The envelope; 5xx are logged (code and message: never a value of the request). The request id
/// is the client's: logged through the policy's redactor (as the native host's log lines), or
/// not at all before the policy is loaded.
fn error(e: &ApiError, request_id: &str, policy: Option<&datafog::policy::Policy>) -> Response {
    if e.status() >= 500 {
        let logged = policy.map_or_else(
            || "[not logged]".to_owned(),
            |p| api::handlers::Redactor::new(p, &[]).redact(request_id),
        );
        eprintln!(
            "datafog-spin: request_id={logged} status={} code={} message={:?} details={:?}",
            e.status(),
            e.code,
            e.message,
            e.details
        );
    }
    bytes(
        e.status(),
        "application/json",
        contract::envelope(e, request_id),
    )
}

/// The request id header and, for a request from an allowed `Origin`, the CORS headers.
fn decorate(mut r: Response, request_id: Option<&str>, origin: Option<&str>) -> Response {
    if let Some(id) = request_id.filter(|id| !id.is_empty()) {
        r.headers.push(("x-request-id".to_owned(), id.to_owned()));
    }
    if let Some(origin) = origin {
        r.headers
            .push(("access-control-allow-origin".to_owned(), origin.to_owned()));
        for (k, v) in contract::CORS_HEADERS {
            r.headers.push((k.to_owned(), v.to_owned()));
        }
    }
    r
}
