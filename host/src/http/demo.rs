//! Demo mode (`DATAFOG_ENABLE_DEMO`; `docs/console.md`): a scenario page and the Go demo routes.
//! The contract (shapes, validation, the decide request of each action) is the core's
//! (`datafog::api::demo`); this module does the side effects in a fresh sandbox directory, and
//! only after the decision: a demo action is decided by `decide::decide_once`, exactly as
//! `/v1/decide` decides (same guest, same durable receipt, same event line).
//!
//! - `exec`: runs on `allow` only, without a shell, in the sandbox, with an empty environment
//!   (`PATH=/usr/bin:/bin`, `HOME` = the sandbox), stdin closed, killed after
//!   `EXEC_TIMEOUT_SECS`; only the programs in `datafog::api::demo::COMMANDS`; an argument that
//!   names an existing path in the sandbox must resolve inside it (no symlink out).
//! - `write-file`: the content as decided (the plan applied on `allow_with_redaction`/`transform`),
//!   created with mode 0600, never through a symlink.
//! - `read-file`: the file is read (never through a symlink; at most `MAX_OUTPUT_BYTES`), decided
//!   as a `file.read` with its content as text, and returned as decided.
//! - `seed`: writes a file without a decision (the Go route: it sets up the read scenario).
//!
//! The sandbox is removed when the server stops (the state is dropped).

use std::path::{Path, PathBuf};
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{MethodFilter, on};
use datafog::api::demo::{
    self as contract, DemoResponse, ExecRequest, FileRequest, Gate, SandboxResponse, SeedResponse,
};
use datafog::api::{ApiError, DecideRequest, DecideResponse};
use datafog::{Finding, TransformStep};

use super::admin::{CSS, asset};
use super::body::read_json;
use super::decide::decide_once;
use super::{HttpError, HttpResult, Shared, get, in_guest, json_response, post};

const HTML: &str = include_str!("../../assets/demo.html");
const JS: &str = include_str!("../../assets/demo.js");

/// The sandbox directory (removed on drop).
#[derive(Debug)]
pub struct Sandbox {
    dir: PathBuf,
}

impl Sandbox {
    /// A fresh `datafog-demo-<random>` directory (mode 0700) under the system's temp directory.
    pub fn create() -> Result<Sandbox, String> {
        let name = format!(
            "datafog-demo-{}",
            super::random_hex16().map_err(|e| format!("demo sandbox: {e}"))?
        );
        let dir = std::env::temp_dir().join(name);
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .and_then(|()| dir.canonicalize())
            .map(|dir| Sandbox { dir })
            .map_err(|e| format!("demo sandbox `{}`: {e}", dir.display()))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn router(enabled: bool) -> Router<Shared> {
    if !enabled {
        return Router::new();
    }
    Router::new()
        .route("/demo", get(on(MethodFilter::GET, page)))
        .route("/demo/demo.js", get(on(MethodFilter::GET, script)))
        .route("/demo/console.css", get(on(MethodFilter::GET, style)))
        .route("/demo/exec", post(on(MethodFilter::POST, exec)))
        .route("/demo/write-file", post(on(MethodFilter::POST, write_file)))
        .route("/demo/read-file", post(on(MethodFilter::POST, read_file)))
        .route("/demo/seed", post(on(MethodFilter::POST, seed)))
        .route("/demo/sandbox", get(on(MethodFilter::GET, sandbox)))
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

fn sandbox_of(s: &Shared) -> Result<&Path, HttpError> {
    s.demo
        .as_ref()
        .map(Sandbox::dir)
        .ok_or_else(|| HttpError::from(ApiError::internal()))
}

/// Decide `req` like `/v1/decide` (the disk floor included).
async fn decide(s: &Shared, req: DecideRequest) -> Result<DecideResponse, HttpError> {
    if s.disk.is_below() {
        return Err(ApiError::insufficient_storage().into());
    }
    decide_once(s, req, String::new(), None).await
}

/// `text` with the decision's plan applied (in the guest, keyed like every transform).
async fn redacted(s: &Shared, text: String, d: &DecideResponse) -> Result<String, HttpError> {
    let findings: Vec<Finding> = d
        .findings
        .iter()
        .map(|f| Finding {
            entity_type: f.entity_type.clone().into(),
            start: f.start,
            end: f.end,
            confidence: f.confidence,
        })
        .collect();
    let plan: Vec<TransformStep> = d.transform_plan.clone();
    let key = s.key.clone();
    let size = text.len();
    in_guest(s, size, move |i| {
        i.guest
            .transform(i.policy, &text, &findings, &plan, &key)
            .map(|t| Ok(t.output))
    })
    .await
}

fn ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// `path` inside `root` once symlinks are resolved (a path that does not exist is inside if its
/// text is: the core's validation already refused `..` and absolute paths).
fn resolves_inside(root: &Path, path: &Path) -> bool {
    match std::fs::symlink_metadata(path) {
        Err(_) => true,
        Ok(_) => path.canonicalize().is_ok_and(|p| p.starts_with(root)),
    }
}

fn io_error(e: std::io::Error) -> HttpError {
    HttpError::from(ApiError::seed(e.to_string()))
}

/// Bytes of `s` up to `max`, cut on a character boundary.
fn clip(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

/// `POST /demo/exec`.
async fn exec(State(s): State<Shared>, headers: HeaderMap, body: Body) -> HttpResult {
    let (req, _held): (ExecRequest, _) = read_json(&s.body_budget, &headers, body).await?;
    contract::validate_exec(&req)?;
    let root = sandbox_of(&s)?.to_path_buf();
    let started = Instant::now();
    let decision = decide(&s, contract::exec_decide(&req)).await?;
    let gate = contract::gate(decision.decision);
    let mut out = DemoResponse::new(decision);
    out.stdout = Some(String::new());
    out.stderr = Some(String::new());
    let refuse = |out: &mut DemoResponse, why: String| {
        out.blocked = true;
        out.error = why;
    };
    match gate {
        Gate::Block => {
            let why = contract::blocked_message(&out.decision);
            refuse(&mut out, why);
        }
        Gate::Redact => refuse(
            &mut out,
            "the decision asks to rewrite the command; the demo runs a command only on allow"
                .to_owned(),
        ),
        Gate::Proceed if !contract::COMMANDS.contains(&req.command.as_str()) => refuse(
            &mut out,
            format!(
                "allowed by policy, but the demo runs only: {}",
                contract::COMMANDS.join(", ")
            ),
        ),
        Gate::Proceed
            if !req
                .args
                .iter()
                .all(|a| resolves_inside(&root, &root.join(a))) =>
        {
            refuse(
                &mut out,
                "allowed by policy, but an argument leads out of the sandbox (a symlink)"
                    .to_owned(),
            )
        }
        Gate::Proceed => match run(&root, &req).await {
            Ok((code, stdout, stderr)) => {
                out.stdout = Some(clip(stdout, contract::MAX_OUTPUT_BYTES));
                out.stderr = Some(clip(stderr, contract::MAX_OUTPUT_BYTES));
                if code != Some(0) {
                    out.blocked = true;
                    out.error = match code {
                        Some(c) => format!("command exited with status {c}"),
                        None => "command was killed".to_owned(),
                    };
                }
            }
            Err(e) => refuse(&mut out, e),
        },
    }
    out.timing_ms = ms(started);
    Ok(json_response(&out))
}

/// Run the command in `root` with the demo's limits: (exit code, stdout, stderr).
async fn run(root: &Path, req: &ExecRequest) -> Result<(Option<i32>, String, String), String> {
    let child = tokio::process::Command::new(&req.command)
        .args(&req.args)
        .current_dir(root)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", root)
        .env("LC_ALL", "C")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("could not start `{}`: {e}", req.command))?;
    let limit = std::time::Duration::from_secs(contract::EXEC_TIMEOUT_SECS);
    match tokio::time::timeout(limit, child.wait_with_output()).await {
        Ok(Ok(o)) => Ok((
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )),
        Ok(Err(e)) => Err(format!("command failed: {e}")),
        Err(_) => Err(format!(
            "command timed out after {}s and was killed",
            contract::EXEC_TIMEOUT_SECS
        )),
    }
}

/// Open `name` in the sandbox for writing: created 0600, truncated, never through a symlink.
fn write_in(root: &Path, name: &str, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .custom_flags(libc_nofollow())
        .open(root.join(name))?;
    f.write_all(content.as_bytes())?;
    f.sync_data()
}

/// `O_NOFOLLOW`: opening a symlink fails (ELOOP) instead of following it.
fn libc_nofollow() -> i32 {
    rustix::fs::OFlags::NOFOLLOW.bits() as i32
}

fn read_in(root: &Path, name: &str) -> std::io::Result<String> {
    use std::io::Read;
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc_nofollow())
        .open(root.join(name))?;
    let mut buf = Vec::new();
    f.take(contract::MAX_OUTPUT_BYTES as u64)
        .read_to_end(&mut buf)?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// A file error as the caller's 400 when it is about the name (missing, a symlink), else 500.
fn file_error(e: std::io::Error) -> HttpError {
    match e.raw_os_error() {
        Some(code) if code == rustix::io::Errno::LOOP.raw_os_error() => ApiError::new(
            datafog::api::ErrorCode::InvalidRequest,
            "filename names a symlink; the demo never follows one",
        )
        .into(),
        _ if e.kind() == std::io::ErrorKind::NotFound => ApiError::new(
            datafog::api::ErrorCode::InvalidRequest,
            "filename is not in the sandbox (seed it first)",
        )
        .into(),
        _ => io_error(e),
    }
}

/// `POST /demo/write-file`.
async fn write_file(State(s): State<Shared>, headers: HeaderMap, body: Body) -> HttpResult {
    let (req, _held): (FileRequest, _) = read_json(&s.body_budget, &headers, body).await?;
    let name = contract::file_name(&req.filename)?.to_owned();
    let root = sandbox_of(&s)?.to_path_buf();
    let started = Instant::now();
    let decision = decide(&s, contract::file_decide("file.write", &name, &req.content)).await?;
    let gate = contract::gate(decision.decision);
    let content = match gate {
        Gate::Block => None,
        Gate::Proceed => Some(req.content),
        Gate::Redact => Some(redacted(&s, req.content, &decision).await?),
    };
    let mut out = DemoResponse::new(decision);
    out.path = Some(name.clone());
    out.written = Some(false);
    match content {
        None => {
            out.blocked = true;
            out.error = contract::blocked_message(&out.decision);
        }
        Some(content) => {
            let (r, n) = (root.clone(), name.clone());
            tokio::task::spawn_blocking(move || write_in(&r, &n, &content))
                .await
                .map_err(|_| HttpError::from(ApiError::internal()))?
                .map_err(file_error)?;
            let (r, n) = (root, name);
            out.content = Some(
                tokio::task::spawn_blocking(move || read_in(&r, &n))
                    .await
                    .map_err(|_| HttpError::from(ApiError::internal()))?
                    .map_err(file_error)?,
            );
            out.written = Some(true);
        }
    }
    out.timing_ms = ms(started);
    Ok(json_response(&out))
}

/// `POST /demo/read-file`.
async fn read_file(State(s): State<Shared>, headers: HeaderMap, body: Body) -> HttpResult {
    let (req, _held): (FileRequest, _) = read_json(&s.body_budget, &headers, body).await?;
    let name = contract::file_name(&req.filename)?.to_owned();
    let root = sandbox_of(&s)?.to_path_buf();
    let started = Instant::now();
    let n = name.clone();
    let text = tokio::task::spawn_blocking(move || read_in(&root, &n))
        .await
        .map_err(|_| HttpError::from(ApiError::internal()))?
        .map_err(file_error)?;
    let decision = decide(&s, contract::file_decide("file.read", &name, &text)).await?;
    let content = match contract::gate(decision.decision) {
        Gate::Block => None,
        Gate::Proceed => Some(text),
        Gate::Redact => Some(redacted(&s, text, &decision).await?),
    };
    let mut out = DemoResponse::new(decision);
    match content {
        None => {
            out.blocked = true;
            out.error = contract::blocked_message(&out.decision);
            out.content = Some(String::new());
        }
        Some(c) => out.content = Some(c),
    }
    out.timing_ms = ms(started);
    Ok(json_response(&out))
}

/// `POST /demo/seed`: both fields required; written without a decision.
async fn seed(State(s): State<Shared>, headers: HeaderMap, body: Body) -> HttpResult {
    let (req, _held): (FileRequest, _) = read_json(&s.body_budget, &headers, body).await?;
    if req.filename.is_empty() || req.content.is_empty() {
        return Err(ApiError::new(
            datafog::api::ErrorCode::InvalidRequest,
            "filename and content are required",
        )
        .into());
    }
    let name = contract::file_name(&req.filename)?.to_owned();
    let root = sandbox_of(&s)?.to_path_buf();
    let n = name.clone();
    tokio::task::spawn_blocking(move || write_in(&root, &n, &req.content))
        .await
        .map_err(|_| HttpError::from(ApiError::internal()))?
        .map_err(file_error)?;
    Ok(json_response(&SeedResponse {
        seeded: true,
        filename: name,
    }))
}

/// `GET /demo/sandbox`: the directory and its file names, sorted.
async fn sandbox(State(s): State<Shared>) -> HttpResult {
    let root = sandbox_of(&s)?;
    let mut files: Vec<String> = std::fs::read_dir(root)
        .map_err(io_error)?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    Ok(json_response(&SandboxResponse {
        sandbox_dir: root.display().to_string(),
        files,
    }))
}
