use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use datafog_host::build_state;
use datafog_host::config::Settings;
use datafog_host::http::{AppState, app};
use serde_json::Value;
use tower::ServiceExt;

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A fresh empty directory under the target dir.
pub fn temp_dir(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "host-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn base_env(dir: &Path) -> Vec<(String, String)> {
    vec![
        (
            "DATAFOG_POLICY_PATH".into(),
            repo().join("config/policy.json").display().to_string(),
        ),
        (
            "DATAFOG_RECEIPT_PATH".into(),
            dir.join("receipts.jsonl").display().to_string(),
        ),
        (
            "DATAFOG_CACHE_DIR".into(),
            Path::new(env!("CARGO_TARGET_TMPDIR"))
                .join("cwasm")
                .display()
                .to_string(),
        ),
        ("DATAFOG_GUEST_POOL".into(), "2".into()),
    ]
}

pub fn settings_with(dir: &Path, extra: &[(&str, &str)]) -> Settings {
    let mut vars = base_env(dir);
    for (k, v) in extra {
        vars.push(((*k).to_owned(), (*v).to_owned()));
    }
    Settings::from_lookup(|k| {
        vars.iter()
            .rev()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
    })
    .0
}

pub fn state_with(dir: &Path, extra: &[(&str, &str)]) -> Arc<AppState> {
    warm_cache();
    build_state(&settings_with(dir, extra)).unwrap()
}

/// Compile the component once (into the on-disk cache) before parallel tests load it.
pub fn warm_cache() {
    static WARM: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    WARM.get_or_init(|| {
        let dir = temp_dir("warm");
        build_state(&settings_with(&dir, &[])).unwrap();
    });
}

pub fn router(tag: &str) -> Router {
    app(state_with(&temp_dir(tag), &[]))
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub bytes: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.bytes)))
    }

    pub fn error_code(&self) -> String {
        self.json()["error"]["code"].as_str().unwrap().to_owned()
    }
}

/// Send `req` as a client on loopback would: with `Host: localhost` unless the test set one.
pub async fn send(app: &Router, mut req: Request<Body>) -> Resp {
    if !req.headers().contains_key("host") {
        req.headers_mut()
            .insert("host", axum::http::HeaderValue::from_static("localhost"));
    }
    let r = app.clone().oneshot(req).await.unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    let bytes = axum::body::to_bytes(r.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    Resp {
        status,
        headers,
        bytes,
    }
}

pub async fn get(app: &Router, path: &str) -> Resp {
    send(app, Request::get(path).body(Body::empty()).unwrap()).await
}

pub async fn post(app: &Router, path: &str, body: &str) -> Resp {
    send(
        app,
        Request::post(path)
            .header("content-type", "application/json")
            .body(Body::from(body.to_owned()))
            .unwrap(),
    )
    .await
}

/// The real `datafog-api` on port 0 with `base_env(dir)` and `extra` (which may set another
/// `DATAFOG_ADDR`), not started.
pub fn api_command(dir: &std::path::Path, extra: &[(&str, &str)]) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_datafog-api"));
    cmd.env("DATAFOG_ADDR", "127.0.0.1:0");
    for (k, v) in base_env(dir) {
        cmd.env(k, v);
    }
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd
}

/// Make `cmd`'s writes past `limit` bytes per file fail as on a full disk (`RLIMIT_FSIZE`, with
/// `SIGXFSZ` ignored so the write returns `EFBIG` instead of killing the process).
pub fn limit_file_size(cmd: &mut std::process::Command, limit: u64) {
    use std::os::unix::process::CommandExt;
    // SAFETY: between fork and exec only async-signal-safe calls (setrlimit, signal).
    #[allow(unsafe_code)]
    unsafe {
        cmd.pre_exec(move || {
            let lim = libc::rlimit {
                rlim_cur: limit,
                rlim_max: libc::RLIM_INFINITY,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            Ok(())
        });
    }
}

/// The server's log, every stderr line as it is written.
pub type Log = std::sync::Arc<std::sync::Mutex<String>>;

/// The address of a `datafog-api listening on ADDR` log line, text or JSON (`datafog_host::logs`).
pub fn listen_addr_in(line: &str) -> Option<String> {
    let message = match serde_json::from_str::<Value>(line) {
        Ok(v) => v["message"].as_str()?.to_owned(),
        Err(_) => line.to_owned(),
    };
    let (_, rest) = message.split_once("datafog-api listening on ")?;
    rest.split_whitespace().next().map(str::to_owned)
}

/// Spawn `cmd` (a `datafog-api`) and wait until it listens: the child, the `host:port` it listens
/// on, and its log (a thread keeps appending to it).
pub fn spawn_logged(cmd: &mut std::process::Command) -> (std::process::Child, String, Log) {
    use std::io::BufRead;
    let mut child = cmd.stderr(std::process::Stdio::piped()).spawn().unwrap();
    let log = Log::default();
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("server exited before listening")
            .unwrap();
        log.lock().unwrap().push_str(&format!("{line}\n"));
        if let Some(a) = listen_addr_in(&line) {
            break a;
        }
    };
    let sink = log.clone();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            let mut l = sink.lock().unwrap();
            l.push_str(&line);
            l.push('\n');
        }
    });
    (child, addr, log)
}

/// Start the real `datafog-api` on port 0 with `base_env(dir)` and `extra`: the child, its base
/// URL, and its log (stderr, every line, as it is written).
pub fn start_logged(
    dir: &std::path::Path,
    extra: &[(&str, &str)],
) -> (std::process::Child, String, Log) {
    let (child, addr, log) = spawn_logged(&mut api_command(dir, extra));
    (child, format!("http://{addr}"), log)
}
