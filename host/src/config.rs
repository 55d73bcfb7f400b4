//! Settings from the environment (every one in `docs/operations.md`, "Environment variables"). Parsing follows
//! Go: an unparseable or out-of-range value is a warning and the default, never a crash.
//!
//! | Variable | Default | |
//! |---|---|---|
//! | `DATAFOG_POLICY_PATH` | `config/policy.json` | policy loaded at start and re-read on `SIGHUP` (see `reload`) |
//! | `DATAFOG_POLICY_WATCH` | `0` (off) | also reload the policy when the file changes, checked every this many seconds |
//! | `DATAFOG_LOG_FORMAT` | `text` | `json`: one JSON object per log line (see `logs`) |
//! | `DATAFOG_LOG` | `info` | log level filter, `tracing` EnvFilter syntax (`warn`, `info,datafog_host::access=off`) |
//! | `DATAFOG_RECEIPT_PATH` | `datafog_receipts.jsonl` | receipts JSONL |
//! | `DATAFOG_RECEIPT_ROTATE_MB` | `256` | rotate the receipts file at this size into numbered segments (`<path>.000001`, ...) that continue one chain; `0`: never |
//! | `DATAFOG_EVENTS_PATH` | unset | NDJSON decision events (read by `/v1/events`, one written per decision) |
//! | `DATAFOG_ADDR` | `127.0.0.1:8080` without a token, `:8080` with one | listen address (`:PORT` means every interface); a non-loopback address without a token needs `DATAFOG_ALLOW_NO_AUTH` |
//! | `DATAFOG_API_TOKEN` | unset | Bearer / `X-API-Key` on every route |
//! | `DATAFOG_ALLOW_NO_AUTH` | `false` | allow listening on a non-loopback address without a token (a warning is printed) |
//! | `DATAFOG_ALLOWED_HOSTS` | unset | comma-separated `Host` names served while auth is off, besides loopback names (`*`: any) |
//! | `DATAFOG_CORS_ORIGINS` | unset (CORS off) | comma-separated origins that get CORS headers, or `*` |
//! | `DATAFOG_MAX_CONNECTIONS` | `1024` | open connections at once; further clients wait in the listen backlog |
//! | `DATAFOG_MAX_INFLIGHT_BODY_MB` | `64` | request-body bytes held at once, every connection together (503 `server_busy` past it) |
//! | `DATAFOG_MIN_FREE_DISK_MB` | `64` | free space the receipts file system keeps; below it decisions are refused (507 `insufficient_storage`) before the disk is full; `0`: no floor |
//! | `DATAFOG_RATE_LIMIT_RPS` | `0` (off) | one global token bucket |
//! | `DATAFOG_CLIENT_RATE_LIMIT_RPS` | `0` (off) | one token bucket per client IP address |
//! | `DATAFOG_READ_HEADER_TIMEOUT` | `2s` | Go duration syntax; a client that does not send its headers in time is disconnected, counted from a request's first byte (from accept for a connection's first request) |
//! | `DATAFOG_READ_TIMEOUT`, `DATAFOG_WRITE_TIMEOUT`, `DATAFOG_IDLE_TIMEOUT` | `5s`, `10s`, `30s` | Go duration syntax, Go's meaning (see `conn`): read = first byte to end of body, write = end of headers to end of response, idle = keep-alive wait for the next request |
//! | `DATAFOG_SHUTDOWN_TIMEOUT` | `10s` | graceful shutdown budget (drain, then flush receipts) |
//! | `DATAFOG_TOKEN_KEY_PATH` | `<receipts dir>/datafog_token.key` | key of tokens, hashes and receipt value digests; 32 random bytes generated (mode 0600) when the file is missing |
//! | `DATAFOG_COMPONENT_PATH` | embedded | run another build of the component |
//! | `DATAFOG_CACHE_DIR` | `$XDG_CACHE_HOME/datafog` or `~/.cache/datafog` | compiled-component cache (`off` disables) |
//! | `DATAFOG_GUEST_TIMEOUT` | `2s` | deadline of one guest call (503 `guest_timeout`) |
//! | `DATAFOG_GUEST_MEMORY_MB` | `256` | linear memory limit of one instance |
//! | `DATAFOG_GUEST_POOL` | `8` | warm instances |
//! | `DATAFOG_PPROF_ADDR` | unset (off) | a second, unauthenticated server with CPU profiles and flamegraphs (`pprof`); bind it to loopback |
//! | `DATAFOG_FGPROF` | `false` | adds `/debug/fgprof` (folded CPU stacks; see `pprof` for how it differs from Go's wall-clock fgprof) |
//! | `DATAFOG_IDEMPOTENCY_CACHE_MB` | `64` | response bodies kept for idempotent replays, all endpoints together (see `idempotency`) |
//! | `DATAFOG_ACCESS_LOG` | off | `1`/`true`: one log line per request (Go logs every request) |
//! | `DATAFOG_CHECKPOINT_KEY_PATH` | `<receipts dir>/datafog_checkpoint.key` | Ed25519 seed that signs receipt checkpoints; 32 random bytes generated (mode 0600) when the file is missing |
//! | `DATAFOG_ENABLE_DEMO` | `false` | serve demo mode (`/demo*`, `http::demo`) with a fresh sandbox directory |
//! | `DATAFOG_ENABLE_ADMIN_UI` | `false` | serve the read-only admin console (`/admin`, `/admin/api/*`, `http::admin`) |
//! | `DATAFOG_STORE_URL` | unset (the receipts file) | `postgres://user:pass@host:port/db`: receipts, events and decide idempotency keys in a shared PostgreSQL database, for a fleet of replicas (see `pg`) |
//! | `DATAFOG_REPLICA_ID` | the host name | this replica's chain id with `DATAFOG_STORE_URL` (letters, digits, `.`, `_`, `-`, `:`; at most 64) |
//! | `DATAFOG_STORE_POOL` | `8` | database connections for reads and idempotency claims (the writer has one more) |
//! | `DATAFOG_IDEMPOTENCY_LEASE` | `30s` | with `DATAFOG_STORE_URL`: how long a replica holds a decide idempotency key it claimed and has not finished (another replica takes it over after that) |
//! | `DATAFOG_CHECKPOINT_EVERY` | `1000` | a signed checkpoint after every this many receipts (and at start and shutdown when the chain moved); `0`: no checkpoints |

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use datafog::api::http::CorsOrigins;

/// Every setting, resolved.
#[derive(Clone, Debug)]
pub struct Settings {
    pub policy_path: PathBuf,
    pub receipt_path: PathBuf,
    pub events_path: Option<PathBuf>,
    pub addr: String,
    pub api_token: Option<String>,
    /// `DATAFOG_ALLOW_NO_AUTH`: listening beyond loopback without a token is allowed.
    pub allow_no_auth: bool,
    /// `DATAFOG_ALLOWED_HOSTS`: `Host` names served while auth is off, besides loopback names.
    pub allowed_hosts: Vec<String>,
    /// `DATAFOG_CORS_ORIGINS`: origins that get CORS headers (off by default).
    pub cors_origins: CorsOrigins,
    /// `DATAFOG_MAX_CONNECTIONS`: connections served at once.
    pub max_connections: usize,
    /// `DATAFOG_MAX_INFLIGHT_BODY_MB`: request-body bytes held at once, in MiB.
    pub max_inflight_body_mb: u64,
    /// `DATAFOG_MIN_FREE_DISK_MB`: the receipts disk's free-space floor, in MiB (0: none).
    pub min_free_disk_mb: u64,
    /// `DATAFOG_RECEIPT_ROTATE_MB`: the receipts file's rotation size, in MiB (0: never).
    pub receipt_rotate_mb: u64,
    pub rate_limit_rps: u64,
    /// `DATAFOG_CLIENT_RATE_LIMIT_RPS`: one token bucket per client IP address (0: off).
    pub client_rate_limit_rps: u64,
    pub read_timeout: Duration,
    pub read_header_timeout: Duration,
    pub write_timeout: Duration,
    pub idle_timeout: Duration,
    pub shutdown_timeout: Duration,
    pub token_key_path: PathBuf,
    pub component_path: Option<PathBuf>,
    pub cache_dir: Option<PathBuf>,
    pub guest_timeout: Duration,
    pub guest_memory_mb: u64,
    pub guest_pool: u64,
    /// `DATAFOG_IDEMPOTENCY_CACHE_MB`: the idempotency cache's byte budget, in MiB.
    pub idempotency_cache_mb: u64,
    pub access_log: bool,
    /// `DATAFOG_PPROF_ADDR`: the profiling server's address (see `pprof`), off when unset.
    pub pprof_addr: Option<String>,
    /// `DATAFOG_FGPROF`: add `/debug/fgprof` to the profiling server.
    pub fgprof: bool,
    /// `DATAFOG_CHECKPOINT_KEY_PATH`: the Ed25519 seed that signs receipt checkpoints.
    pub checkpoint_key_path: PathBuf,
    /// `DATAFOG_CHECKPOINT_EVERY`: receipts between signed checkpoints (0: no checkpoints).
    pub checkpoint_every: u64,
    /// `DATAFOG_ENABLE_DEMO`: serve demo mode (`/demo*`).
    pub enable_demo: bool,
    /// `DATAFOG_ENABLE_ADMIN_UI`: serve the admin console (`/admin`).
    pub enable_admin_ui: bool,
    /// `DATAFOG_POLICY_WATCH`: poll the policy file this often and reload it on a change.
    pub policy_watch: Option<Duration>,
    /// `DATAFOG_LOG_FORMAT=json`: JSON log lines (else text).
    pub log_json: bool,
    /// `DATAFOG_STORE_URL`: the PostgreSQL store; `None`: the receipts file.
    pub store_url: Option<String>,
    /// `DATAFOG_REPLICA_ID`, or `None` for the host name.
    pub replica_id: Option<String>,
    /// `DATAFOG_STORE_POOL`.
    pub store_pool: u64,
    /// `DATAFOG_IDEMPOTENCY_LEASE`.
    pub idempotency_lease: Duration,
    /// `DATAFOG_LOG`: the log filter (EnvFilter syntax), `info` when unset.
    pub log_filter: String,
}

impl Settings {
    /// Settings from `get` (the process environment in `main`), and the warnings to log.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> (Settings, Vec<String>) {
        let mut warnings = Vec::new();
        let get = |k: &str| {
            get(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let receipt_path =
            PathBuf::from(get("DATAFOG_RECEIPT_PATH").unwrap_or("datafog_receipts.jsonl".into()));
        let token_key_path = get("DATAFOG_TOKEN_KEY_PATH")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                receipt_path
                    .parent()
                    .unwrap_or(Path::new(""))
                    .join("datafog_token.key")
            });
        let mut dur = |k: &str, default: Duration| match get(k) {
            None => default,
            Some(v) => match parse_duration(&v) {
                Some(d) if !d.is_zero() => d,
                _ => {
                    warnings.push(format!(
                        "invalid {k}={v:?} (want a positive Go duration such as 5s or 250ms); using {default:?}"
                    ));
                    default
                }
            },
        };
        let read_timeout = dur("DATAFOG_READ_TIMEOUT", Duration::from_secs(5));
        let read_header_timeout = dur("DATAFOG_READ_HEADER_TIMEOUT", Duration::from_secs(2));
        let write_timeout = dur("DATAFOG_WRITE_TIMEOUT", Duration::from_secs(10));
        let idle_timeout = dur("DATAFOG_IDLE_TIMEOUT", Duration::from_secs(30));
        let shutdown_timeout = dur("DATAFOG_SHUTDOWN_TIMEOUT", Duration::from_secs(10));
        let guest_timeout = dur("DATAFOG_GUEST_TIMEOUT", Duration::from_secs(2));
        let idempotency_lease = dur("DATAFOG_IDEMPOTENCY_LEASE", Duration::from_secs(30));
        let mut int = |k: &str, default: u64| match get(k) {
            None => default,
            Some(v) => match v.parse::<u64>() {
                Ok(n) => n,
                Err(_) => {
                    warnings.push(format!(
                        "invalid {k}={v:?} (want a non-negative integer); using {default}"
                    ));
                    default
                }
            },
        };
        let rate_limit_rps = int("DATAFOG_RATE_LIMIT_RPS", 0);
        let client_rate_limit_rps = int("DATAFOG_CLIENT_RATE_LIMIT_RPS", 0);
        let guest_memory_mb = int("DATAFOG_GUEST_MEMORY_MB", 256).max(16);
        let guest_pool = int("DATAFOG_GUEST_POOL", 8).clamp(1, 256);
        let store_pool = int("DATAFOG_STORE_POOL", 8).clamp(1, 256);
        let idempotency_cache_mb = int(
            "DATAFOG_IDEMPOTENCY_CACHE_MB",
            (crate::idempotency::BYTE_BUDGET >> 20) as u64,
        );
        let max_connections =
            usize::try_from(int("DATAFOG_MAX_CONNECTIONS", 1024).max(1)).unwrap_or(usize::MAX);
        let max_inflight_body_mb = int("DATAFOG_MAX_INFLIGHT_BODY_MB", 64).max(1);
        let min_free_disk_mb = int("DATAFOG_MIN_FREE_DISK_MB", 64);
        let receipt_rotate_mb = int("DATAFOG_RECEIPT_ROTATE_MB", 256);
        let cache_dir = match get("DATAFOG_CACHE_DIR") {
            Some(v) if v.eq_ignore_ascii_case("off") => None,
            Some(v) => Some(PathBuf::from(v)),
            None => get("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| get("HOME").map(|h| PathBuf::from(h).join(".cache")))
                .map(|d| d.join("datafog")),
        };
        let checkpoint_every = int("DATAFOG_CHECKPOINT_EVERY", 1000);
        let policy_watch = match int("DATAFOG_POLICY_WATCH", 0) {
            0 => None,
            n => Some(Duration::from_secs(n.min(86_400))),
        };
        let log_json = match get("DATAFOG_LOG_FORMAT") {
            None => false,
            Some(v) if v.eq_ignore_ascii_case("json") => true,
            Some(v) if v.eq_ignore_ascii_case("text") => false,
            Some(v) => {
                warnings.push(format!(
                    "invalid DATAFOG_LOG_FORMAT={v:?} (want text or json); using text"
                ));
                false
            }
        };
        let log_filter = get("DATAFOG_LOG").unwrap_or_else(|| "info".to_owned());
        let checkpoint_key_path = get("DATAFOG_CHECKPOINT_KEY_PATH")
            .map(PathBuf::from)
            .unwrap_or_else(|| receipt_path.with_file_name("datafog_checkpoint.key"));
        let api_token = get("DATAFOG_API_TOKEN");
        let mut flag = |k: &str| match get(k) {
            None => false,
            Some(v) => parse_bool(&v).unwrap_or_else(|| {
                warnings.push(format!(
                    "invalid {k}={v:?} (want true or false); using false"
                ));
                false
            }),
        };
        let allow_no_auth = flag("DATAFOG_ALLOW_NO_AUTH");
        let access_log = flag("DATAFOG_ACCESS_LOG");
        let fgprof = flag("DATAFOG_FGPROF");
        let enable_demo = flag("DATAFOG_ENABLE_DEMO");
        let enable_admin_ui = flag("DATAFOG_ENABLE_ADMIN_UI");
        let cors_origins = match get("DATAFOG_CORS_ORIGINS") {
            None => CorsOrigins::Off,
            Some(v) => CorsOrigins::parse(&v).unwrap_or_else(|e| {
                warnings.push(format!("invalid DATAFOG_CORS_ORIGINS: {e}; CORS stays off"));
                CorsOrigins::Off
            }),
        };
        let allowed_hosts = get("DATAFOG_ALLOWED_HOSTS")
            .map(|v| {
                v.split(',')
                    .map(|h| h.trim().to_ascii_lowercase())
                    .filter(|h| !h.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        // Without a token, the default is loopback only (Go: every interface).
        let default_addr = if api_token.is_some() {
            ":8080"
        } else {
            "127.0.0.1:8080"
        };
        let settings = Settings {
            policy_path: PathBuf::from(
                get("DATAFOG_POLICY_PATH").unwrap_or("config/policy.json".into()),
            ),
            receipt_path,
            events_path: get("DATAFOG_EVENTS_PATH").map(PathBuf::from),
            addr: listen_addr(&get("DATAFOG_ADDR").unwrap_or(default_addr.into())),
            api_token,
            allow_no_auth,
            allowed_hosts,
            cors_origins,
            max_connections,
            max_inflight_body_mb,
            min_free_disk_mb,
            receipt_rotate_mb,
            rate_limit_rps,
            client_rate_limit_rps,
            read_timeout,
            read_header_timeout,
            write_timeout,
            idle_timeout,
            shutdown_timeout,
            token_key_path,
            component_path: get("DATAFOG_COMPONENT_PATH").map(PathBuf::from),
            cache_dir,
            guest_timeout,
            guest_memory_mb,
            guest_pool,
            idempotency_cache_mb,
            access_log,
            pprof_addr: get("DATAFOG_PPROF_ADDR").map(|a| listen_addr(&a)),
            fgprof,
            checkpoint_key_path,
            checkpoint_every,
            enable_demo,
            enable_admin_ui,
            policy_watch,
            log_json,
            log_filter,
            store_url: get("DATAFOG_STORE_URL"),
            replica_id: get("DATAFOG_REPLICA_ID"),
            store_pool,
            idempotency_lease,
        };
        (settings, warnings)
    }
}

impl Settings {
    /// This replica's chain id (`DATAFOG_REPLICA_ID`, else the host name), checked: letters,
    /// digits, `.`, `_`, `-`, `:`, 1 to 64 bytes.
    pub fn chain_id(&self) -> Result<String, String> {
        let id = match &self.replica_id {
            Some(id) => id.clone(),
            None => std::fs::read_to_string("/proc/sys/kernel/hostname")
                .map(|h| h.trim().to_owned())
                .ok()
                .or_else(|| std::env::var("HOSTNAME").ok())
                .unwrap_or_default(),
        };
        let ok = (1..=64).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b':'));
        if ok {
            Ok(id)
        } else {
            Err("DATAFOG_REPLICA_ID (or the host name) must be 1 to 64 letters, digits, `.`, `_`, `-` or `:`".to_owned())
        }
    }

    /// The exposure rule, checked on the address actually bound: a listener beyond loopback with
    /// auth off needs `DATAFOG_ALLOW_NO_AUTH` (then `Ok` with a warning to print); loopback, or
    /// any address with a token, is `Ok(None)`.
    pub fn check_exposure(&self, bound: std::net::SocketAddr) -> Result<Option<String>, String> {
        if self.api_token.is_some() || bound.ip().is_loopback() {
            return Ok(None);
        }
        if self.allow_no_auth {
            return Ok(Some(format!(
                "listening on {bound} without DATAFOG_API_TOKEN (DATAFOG_ALLOW_NO_AUTH is set): \
                 anyone who can reach this address can call the API and read receipts"
            )));
        }
        Err(format!(
            "refusing to listen on {bound} without DATAFOG_API_TOKEN: set a token, listen on \
             loopback (DATAFOG_ADDR=127.0.0.1:8080), or set DATAFOG_ALLOW_NO_AUTH=true to accept \
             unauthenticated access from the network"
        ))
    }
}

/// Go's `:8080` (every interface) as a socket address Rust can bind.
pub fn listen_addr(addr: &str) -> String {
    if addr.starts_with(':') {
        format!("0.0.0.0{addr}")
    } else {
        addr.to_owned()
    }
}

/// Go `strconv.ParseBool` plus `yes/no/on/off/y/n` (case-insensitive).
pub fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "t" | "yes" | "y" | "on" => Some(true),
        "0" | "false" | "f" | "no" | "n" | "off" => Some(false),
        _ => None,
    }
}

/// Go `time.ParseDuration`: a sequence of decimal numbers with units `ns`, `us`/`µs`, `ms`, `s`,
/// `m`, `h` (`1h30m`, `1.5s`, `250ms`); `0` alone is zero. Negative durations are `None`.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    if s == "0" {
        return Some(Duration::ZERO);
    }
    let mut rest = s.strip_prefix('+').unwrap_or(s);
    if rest.is_empty() || rest.starts_with('-') {
        return None;
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (num, tail) = rest.split_at(num_len);
        let value: f64 = num.parse().ok()?;
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let scale = match unit {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += value * scale;
        rest = tail;
    }
    Duration::try_from_secs_f64(total).ok()
}

/// Read the token key (at least 16 bytes), or create it: 32 random bytes in a new file of mode
/// 0600, bytes and directory entry synced. One rule for the host and the shim (`datafog_files`).
pub use datafog_files::load_or_create_key;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_like_go() {
        assert_eq!(parse_duration("7s"), Some(Duration::from_secs(7)));
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("bad"), None);
        assert_eq!(parse_duration("-1s"), None);
        assert_eq!(parse_duration("5"), None);
    }

    fn settings(vars: &[(&str, &str)]) -> (Settings, Vec<String>) {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::from_lookup(|k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
    }

    #[test]
    fn env_fallbacks_like_go() {
        let (s, w) = settings(&[]);
        assert_eq!(s.read_timeout, Duration::from_secs(5));
        assert_eq!(s.rate_limit_rps, 0);
        assert_eq!(s.addr, "127.0.0.1:8080");
        assert!(w.is_empty());
        let (s, w) = settings(&[
            ("DATAFOG_READ_TIMEOUT", "bad"),
            ("DATAFOG_WRITE_TIMEOUT", "-1s"),
            ("DATAFOG_SHUTDOWN_TIMEOUT", "2s"),
            ("DATAFOG_RATE_LIMIT_RPS", "bad"),
        ]);
        assert_eq!(s.read_timeout, Duration::from_secs(5));
        assert_eq!(s.write_timeout, Duration::from_secs(10));
        assert_eq!(s.shutdown_timeout, Duration::from_secs(2));
        assert_eq!(s.rate_limit_rps, 0);
        assert_eq!(w.len(), 3);
        let (s, _) = settings(&[("DATAFOG_RATE_LIMIT_RPS", "15")]);
        assert_eq!(s.rate_limit_rps, 15);
        let (s, _) = settings(&[("DATAFOG_RECEIPT_PATH", "/var/lib/x/r.jsonl")]);
        assert_eq!(
            s.token_key_path,
            PathBuf::from("/var/lib/x/datafog_token.key")
        );
        assert_eq!(
            s.checkpoint_key_path,
            PathBuf::from("/var/lib/x/datafog_checkpoint.key")
        );
        assert_eq!(s.checkpoint_every, 1000);
    }

    #[test]
    fn safe_defaults_without_a_token() {
        let (s, _) = settings(&[]);
        assert_eq!(s.addr, "127.0.0.1:8080");
        assert_eq!(s.cors_origins, CorsOrigins::Off);
        assert!(s.allowed_hosts.is_empty());
        let any: std::net::SocketAddr = "0.0.0.0:8080".parse().unwrap();
        let lo: std::net::SocketAddr = "127.0.0.1:8080".parse().unwrap();
        assert_eq!(s.check_exposure(lo), Ok(None));
        let e = s.check_exposure(any).unwrap_err();
        assert!(e.contains("DATAFOG_ALLOW_NO_AUTH"), "{e}");
        let (s, _) = settings(&[("DATAFOG_ALLOW_NO_AUTH", "true"), ("DATAFOG_ADDR", ":9000")]);
        assert_eq!(s.addr, "0.0.0.0:9000");
        assert!(
            s.check_exposure(any)
                .unwrap()
                .unwrap()
                .contains("without DATAFOG_API_TOKEN")
        );
        // With a token: Go's default (every interface), no opt-in needed.
        let (s, _) = settings(&[("DATAFOG_API_TOKEN", "t")]);
        assert_eq!(s.addr, "0.0.0.0:8080");
        assert_eq!(s.check_exposure(any), Ok(None));
    }

    #[test]
    fn cors_hosts_and_limits_parse() {
        let (s, w) = settings(&[
            (
                "DATAFOG_CORS_ORIGINS",
                "https://a.example, http://localhost:3000",
            ),
            ("DATAFOG_ALLOWED_HOSTS", "DataFog.internal, ,api.example"),
            ("DATAFOG_MAX_CONNECTIONS", "10"),
            ("DATAFOG_MAX_INFLIGHT_BODY_MB", "0"),
        ]);
        assert!(w.is_empty(), "{w:?}");
        assert!(s.cors_origins.allows("https://a.example"));
        assert!(!s.cors_origins.allows("https://b.example"));
        assert_eq!(s.allowed_hosts, ["datafog.internal", "api.example"]);
        assert_eq!((s.max_connections, s.max_inflight_body_mb), (10, 1));
        let (s, w) = settings(&[("DATAFOG_CORS_ORIGINS", "evil.example")]);
        assert_eq!(s.cors_origins, CorsOrigins::Off);
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("CORS stays off"), "{w:?}");
    }
}
