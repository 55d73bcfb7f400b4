//! `DATAFOG_PPROF_ADDR`: a second HTTP server for profiling the running process (Go serves
//! `net/http/pprof` there). It has no auth: bind it to loopback or a private interface.
//!
//! | route | answer |
//! |---|---|
//! | `GET /debug/pprof/` | an index of these routes |
//! | `GET /debug/pprof/profile?seconds=N` | CPU profile of the whole process for N s (default 30, 1..=300), pprof protobuf, gzipped: `go tool pprof` and `pprof` read it |
//! | `GET /debug/pprof/flamegraph?seconds=N` | the same samples as an SVG flamegraph |
//! | `GET /debug/fgprof?seconds=N` | only with `DATAFOG_FGPROF=true`: see below |
//!
//! Sampling is pprof-rs: `SIGPROF` at 99 Hz of CPU time, every thread (tokio workers, the
//! blocking pool running guest calls, the receipts writer). Guest code shows up as wasmtime's
//! compiled frames. One profile runs at a time (a second request gets 409).
//!
//! `DATAFOG_FGPROF`: Go's fgprof samples wall-clock time, so goroutines blocked on I/O show up.
//! There is no Rust equivalent that samples threads parked in the kernel; the route serves the
//! CPU samples in Brendan Gregg's folded-stack text (what fgprof's `format=folded` gives), which
//! flamegraph tools take. Time a request spends waiting (fsync, the instance pool) is visible in
//! the latency histograms of `/metrics` instead.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::Query;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

static RUNNING: AtomicBool = AtomicBool::new(false);

const DEFAULT_SECONDS: u64 = 30;
const MAX_SECONDS: u64 = 300;

/// The profiling router; `fgprof` adds `/debug/fgprof`.
pub fn router(fgprof: bool) -> Router {
    let mut r = Router::new()
        .route("/debug/pprof/", get(index))
        .route("/debug/pprof", get(index))
        .route("/debug/pprof/profile", get(profile))
        .route("/debug/pprof/flamegraph", get(flamegraph));
    if fgprof {
        r = r.route("/debug/fgprof", get(folded));
    }
    r
}

async fn index() -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "datafog-api profiling\n\n\
         /debug/pprof/profile?seconds=30     CPU profile (pprof protobuf, gzipped)\n\
         /debug/pprof/flamegraph?seconds=30  CPU flamegraph (SVG)\n\
         /debug/fgprof?seconds=30            folded stacks (with DATAFOG_FGPROF=true)\n",
    )
        .into_response()
}

#[derive(Clone, Copy)]
enum Format {
    Pprof,
    Svg,
    Folded,
}

async fn profile(Query(q): Query<HashMap<String, String>>) -> Response {
    run(&q, Format::Pprof).await
}

async fn flamegraph(Query(q): Query<HashMap<String, String>>) -> Response {
    run(&q, Format::Svg).await
}

async fn folded(Query(q): Query<HashMap<String, String>>) -> Response {
    run(&q, Format::Folded).await
}

fn text(status: StatusCode, msg: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        msg,
    )
        .into_response()
}

/// Releases the one-profile-at-a-time flag however the request ends.
struct Running;

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.store(false, Ordering::Release);
    }
}

async fn run(q: &HashMap<String, String>, format: Format) -> Response {
    let seconds = match q.get("seconds").map(|s| s.parse::<u64>()) {
        None => DEFAULT_SECONDS,
        Some(Ok(n)) if (1..=MAX_SECONDS).contains(&n) => n,
        Some(_) => {
            return text(
                StatusCode::BAD_REQUEST,
                format!("seconds must be an integer in 1..={MAX_SECONDS}\n"),
            );
        }
    };
    if RUNNING
        .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        return text(
            StatusCode::CONFLICT,
            "a profile is already running\n".to_owned(),
        );
    }
    let running = Running;
    let guard = match pprof::ProfilerGuardBuilder::default()
        .frequency(99)
        .blocklist(&["libc", "libgcc", "pthread", "vdso"])
        .build()
    {
        Ok(g) => g,
        Err(e) => {
            return text(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("start profiler: {e}\n"),
            );
        }
    };
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    // Symbolising takes a while: off the async workers.
    let out = tokio::task::spawn_blocking(move || render(&guard, format)).await;
    drop(running);
    match out {
        Ok(Ok((content_type, body))) => {
            ([(header::CONTENT_TYPE, content_type)], body).into_response()
        }
        Ok(Err(e)) => text(StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")),
        Err(_) => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "profile report failed\n".to_owned(),
        ),
    }
}

fn render(
    guard: &pprof::ProfilerGuard<'static>,
    format: Format,
) -> Result<(&'static str, Vec<u8>), String> {
    let report = guard
        .report()
        .build()
        .map_err(|e| format!("build report: {e}"))?;
    match format {
        Format::Pprof => {
            use pprof::protos::Message;
            let profile = report.pprof().map_err(|e| format!("encode profile: {e}"))?;
            let raw = profile
                .write_to_bytes()
                .map_err(|e| format!("encode profile: {e}"))?;
            Ok(("application/octet-stream", gzip(&raw)?))
        }
        Format::Svg => {
            let mut svg = Vec::new();
            report
                .flamegraph(&mut svg)
                .map_err(|e| format!("render flamegraph: {e}"))?;
            Ok(("image/svg+xml", svg))
        }
        Format::Folded => {
            let mut out = String::new();
            for (frames, count) in &report.data {
                let mut stack: Vec<String> = Vec::new();
                for frame in frames.frames.iter().rev() {
                    for symbol in frame.iter().rev() {
                        stack.push(symbol.name());
                    }
                }
                out.push_str(&frames.thread_name_or_id());
                for s in &stack {
                    out.push(';');
                    out.push_str(s);
                }
                out.push_str(&format!(" {count}\n"));
            }
            Ok(("text/plain; charset=utf-8", out.into_bytes()))
        }
    }
}

fn gzip(raw: &[u8]) -> Result<Vec<u8>, String> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(raw).map_err(|e| format!("gzip: {e}"))?;
    enc.finish().map_err(|e| format!("gzip: {e}"))
}
