//! The read-only admin console (`DATAFOG_ENABLE_ADMIN_UI`; `docs/console.md`): a page with its
//! script and style embedded in the binary (`host/assets/`), and its JSON API under
//! `/admin/api/`. What each API route computes is the core's (`datafog::api::console`); this
//! module reads the receipts backwards (`admin_scan`) within a time budget.
//!
//! The page, script and style ([`PUBLIC_PAGES`]) are served without a token: they hold no data,
//! and a browser cannot send a header when it loads a page. Every `/admin/api/*` route, and every
//! other route the page calls (`/v1/events`, `/health`, `/metrics`, `/v1/decide?dry_run=true`),
//! needs the token like any route; the page keeps it in session storage and sends it as
//! `Authorization: Bearer`, never in a URL.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, on};
use datafog::api::console::{ConsolePage, ConsoleQuery, Flow, PolicyView, Stats, StatsQuery};
use datafog::api::{self, ApiError};
use serde::Serialize;

use super::admin_scan::{End, lines_before, scan_back};
use super::{AppState, HttpError, HttpResult, Shared, get, json_bytes, json_response, to_json};

/// Static pages served without a token (see the module docs), by route.
pub const PUBLIC_PAGES: [&str; 6] = [
    "/admin",
    "/admin/console.js",
    "/admin/console.css",
    "/demo",
    "/demo/demo.js",
    "/demo/console.css",
];

/// Time one receipts page may spend scanning (a filter that matches little answers a partial
/// page with a cursor rather than reading the whole file).
pub const PAGE_BUDGET: Duration = Duration::from_millis(150);
/// Time one stats answer may spend scanning (`complete: false` past it).
pub const STATS_BUDGET: Duration = Duration::from_secs(5);

const HTML: &str = include_str!("../../assets/admin.html");
const JS: &str = include_str!("../../assets/admin.js");
pub(super) const CSS: &str = include_str!("../../assets/console.css");

pub fn router(enabled: bool) -> Router<Shared> {
    if !enabled {
        return Router::new();
    }
    Router::new()
        .route("/admin", get(on(MethodFilter::GET, page)))
        .route("/admin/console.js", get(on(MethodFilter::GET, script)))
        .route("/admin/console.css", get(on(MethodFilter::GET, style)))
        .route("/admin/api/receipts", get(on(MethodFilter::GET, receipts)))
        .route(
            "/admin/api/receipts/{id}",
            get(on(MethodFilter::GET, receipt)),
        )
        .route("/admin/api/stats", get(on(MethodFilter::GET, stats)))
        .route("/admin/api/verify", get(on(MethodFilter::GET, verify)))
        .route("/admin/api/policy", get(on(MethodFilter::GET, policy)))
}

/// A static asset with the headers every console page gets: no framing, no inline script, no
/// other origin, no referrer.
pub(super) fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
                ),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response()
}

async fn page() -> Response {
    asset("text/html; charset=utf-8", HTML)
}

async fn script() -> Response {
    asset("text/javascript; charset=utf-8", JS)
}

async fn style() -> Response {
    asset("text/css; charset=utf-8", CSS)
}

fn read_error(e: std::io::Error) -> HttpError {
    HttpError::from(
        ApiError::new(api::ErrorCode::ReceiptError, "unable to read receipts")
            .with_details(e.to_string()),
    )
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T, HttpError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| HttpError::from(ApiError::internal()))?
        .map_err(read_error)
}

/// `GET /admin/api/receipts`: a page of receipts, newest first (see `datafog::api::console`).
async fn receipts(State(s): State<Shared>, RawQuery(q): RawQuery) -> HttpResult {
    let query = ConsoleQuery::from_query(q.as_deref().unwrap_or(""))?;
    let st = s.clone();
    let body = blocking(move || {
        let files = st.receipts.file_only("the admin console")?.chain_files()?;
        let from = query.cursor;
        let mut page = ConsolePage::new(query);
        let mut done = false;
        let end = scan_back(&files, from, PAGE_BUDGET, |line| match page.offer(line) {
            Flow::More => true,
            Flow::Full => false,
            Flow::Done => {
                done = true;
                false
            }
        })?;
        Ok(match end {
            End::Stopped(c) if !done => page.finish(Some(c), false),
            End::Budget(c) => page.finish(Some(c), true),
            _ => page.finish(None, false),
        })
    })
    .await?;
    Ok(json_bytes(body))
}

#[derive(Serialize)]
struct Position {
    /// The file: 0 is the current one, 1 the newest rotated segment, ...
    segment: usize,
    /// Byte offset of the line in that file.
    offset: u64,
    /// 1-based line number in that file.
    line: u64,
}

/// `GET /admin/api/receipts/{id}`: `{"receipt": <stored line>, "position": {...}}`.
async fn receipt(State(s): State<Shared>, id: Result<Path<String>, PathRejection>) -> HttpResult {
    let Ok(Path(id)) = id else {
        return Err(ApiError::receipt_not_found().into());
    };
    let st = s.clone();
    let found = blocking(move || {
        let Some(line) = st.receipts.file_only("the admin console")?.get(&id)? else {
            return Ok(None);
        };
        let Some((segment, offset)) = st.receipts.file_only("the admin console")?.locate(&id)
        else {
            return Ok(None);
        };
        let files = st.receipts.file_only("the admin console")?.chain_files()?;
        let line_no = match files
            .len()
            .checked_sub(segment + 1)
            .and_then(|i| files.get(i))
        {
            Some(f) => lines_before(f, offset)? + 1,
            None => 0,
        };
        Ok(Some((line, segment, offset, line_no)))
    })
    .await?;
    let Some((line, segment, offset, line_no)) = found else {
        return Err(ApiError::receipt_not_found().into());
    };
    let position = to_json(&Position {
        segment,
        offset,
        line: line_no,
    })?;
    let mut body = b"{\"receipt\":".to_vec();
    body.extend_from_slice(line.as_bytes());
    body.extend_from_slice(b",\"position\":");
    body.extend_from_slice(position.trim_ascii_end());
    body.extend_from_slice(b"}\n");
    Ok(json_bytes(body))
}

/// `GET /admin/api/stats`.
async fn stats(State(s): State<Shared>, RawQuery(q): RawQuery) -> HttpResult {
    let query =
        StatsQuery::from_query(q.as_deref().unwrap_or(""), time::OffsetDateTime::now_utc())?;
    let st = s.clone();
    let out = blocking(move || {
        let files = st.receipts.file_only("the admin console")?.chain_files()?;
        let mut stats = Stats::new(query);
        let end = scan_back(&files, None, STATS_BUDGET, |line| stats.offer(line))?;
        Ok(stats.finish(!matches!(end, End::Budget(_))))
    })
    .await?;
    Ok(json_response(&out))
}

#[derive(Clone, Debug, Serialize)]
pub struct Verified {
    ok: bool,
    count: usize,
    last_hash: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    broken_at_line: Option<usize>,
    #[serde(skip_serializing_if = "String::is_empty")]
    error: String,
}

/// A chain verification running in the background (see [`verify`]).
#[derive(Debug, Default)]
pub struct VerifyJob {
    /// Receipts checked so far.
    checked: std::sync::atomic::AtomicUsize,
    /// The verdict, once finished (`Err`: the receipts could not be read).
    result: std::sync::Mutex<Option<Result<Verified, String>>>,
    /// The verdict was answered once: the next request starts a new verification.
    delivered: std::sync::atomic::AtomicBool,
    finished: tokio::sync::Notify,
}

/// How long `GET /admin/api/verify` waits for the verdict before answering with the progress.
pub const VERIFY_WAIT: Duration = Duration::from_secs(2);

#[derive(Serialize)]
struct Running {
    state: &'static str,
    checked: usize,
}

#[derive(Serialize)]
struct Done<'a> {
    state: &'static str,
    #[serde(flatten)]
    verified: &'a Verified,
}

/// `GET /admin/api/verify`: the core's chain verifier over every stored line, the rotated
/// segments first (`line` counts lines across them). It runs in the background, one at a time:
/// a request starts it (unless one is running), waits up to [`VERIFY_WAIT`], and answers the
/// verdict (`"state":"done"`) or the progress (`{"state":"running","checked":N}`); the next
/// requests wait on the same run and the first one after it finished gets its verdict. So a
/// chain of millions of receipts is verified whole, however long it takes, without any request
/// outliving the write timeout.
async fn verify(State(s): State<Shared>) -> HttpResult {
    let job = {
        let mut current = s
            .verify_job
            .lock()
            .map_err(|_| HttpError::from(ApiError::internal()))?;
        match current.as_ref() {
            Some(j) if !j.delivered.load(Ordering::Acquire) => j.clone(),
            _ => {
                let j = Arc::new(VerifyJob::default());
                *current = Some(j.clone());
                let (st, run) = (s.clone(), j.clone());
                tokio::task::spawn_blocking(move || {
                    let out = verify_chain(&st, &run.checked).map_err(|e| e.to_string());
                    if let Ok(mut r) = run.result.lock() {
                        *r = Some(out);
                    }
                    run.finished.notify_waiters();
                });
                j
            }
        }
    };
    let finished = job.finished.notified();
    let ready = |job: &VerifyJob| job.result.lock().ok().and_then(|r| r.clone());
    let mut out = ready(&job);
    if out.is_none() {
        let _ = tokio::time::timeout(VERIFY_WAIT, finished).await;
        out = ready(&job);
    }
    match out {
        Some(result) => {
            job.delivered.store(true, Ordering::Release);
            let verified = result.map_err(|e| read_error(std::io::Error::other(e)))?;
            Ok(json_response(&Done {
                state: "done",
                verified: &verified,
            }))
        }
        None => Ok(json_response(&Running {
            state: "running",
            checked: job.checked.load(Ordering::Relaxed),
        })),
    }
}

/// Verify the whole chain, counting progress in `checked` (blocking).
fn verify_chain(
    st: &AppState,
    checked: &std::sync::atomic::AtomicUsize,
) -> std::io::Result<Verified> {
    let mut last = datafog::receipt::GENESIS_HASH.to_owned();
    let mut count = 0usize;
    let mut broken = None;
    st.receipts
        .file_only("the admin console")?
        .for_each_line(|line| {
            if broken.is_some() {
                return;
            }
            count += 1;
            checked.store(count, Ordering::Relaxed);
            match crate::native::verify_line(&last, line) {
                Ok(Some(hash)) => last = hash,
                Ok(None) => {}
                Err(why) => broken = Some((count, why.to_string())),
            }
        })?;
    Ok(match broken {
        None => Verified {
            ok: true,
            count,
            last_hash: last,
            broken_at_line: None,
            error: String::new(),
        },
        Some((line, kind)) => Verified {
            ok: false,
            count: line - 1,
            last_hash: last,
            broken_at_line: Some(line),
            error: kind,
        },
    })
}

/// `GET /admin/api/policy`: the policy new calls run on (it follows a reload), its rules in
/// evaluation order.
async fn policy(State(s): State<Shared>) -> HttpResult {
    match &s.runtime.policy().native {
        Some(p) => Ok(json_response(&PolicyView::of(p))),
        None => Err(ApiError::internal().into()),
    }
}
