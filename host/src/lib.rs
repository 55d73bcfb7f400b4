//! `datafog-api`: the DataFog HTTP API (the Go service's contract) on wasmtime.
//!
//! - [`runtime`]: the component (through `datafog-embed`), compiled once, a pool of warm instances
//!   with the policy loaded, deadlines and memory limits on every guest call, the core-version
//!   handshake.
//! - [`native`]: the core calls the host makes outside the guest (sealing, fingerprints, replays,
//!   chain verification), in one place.
//! - [`receipts`]: the receipts JSONL file, one writer with group commit, chain recovery at start.
//! - [`pg`]: the shared PostgreSQL store of a fleet (`DATAFOG_STORE_URL`); [`store`]: the one
//!   interface the routes use over either.
//! - [`http`]: `fn app(state) -> Router`: middleware, and one module per resource.
//! - [`idempotency`]: the idempotency cache.
//! - [`conn`]: the accept loop's per-connection deadlines and the client address.
//! - [`config`]: settings from the environment.
//! - [`metrics`]: Prometheus text and the Go JSON shape; [`histogram`]: the receipts writer's
//!   latency and batch-size histograms, which `receipts` records and `metrics` renders.
//! - [`pprof`]: the optional profiling server.
//! - [`reload`]: hot policy reload (`SIGHUP`, `DATAFOG_POLICY_WATCH`).
//! - [`logs`]: structured logs (`tracing`; text or `DATAFOG_LOG_FORMAT=json`, `DATAFOG_LOG`).

pub mod config;
pub mod conn;
pub mod disk;
pub mod histogram;
pub mod http;
pub mod idempotency;
pub mod logs;
pub mod metrics;
pub mod native;
pub mod pg;
pub mod pprof;
pub mod receipts;
pub mod reload;
pub mod runtime;
pub mod store;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use config::Settings;
use http::{AppState, Events, TokenBucket};
use receipts::ReceiptStore;
use runtime::{Runtime, RuntimeConfig};

/// The component a start with `settings` runs: `DATAFOG_COMPONENT_PATH`'s, else the embedded one.
pub fn component_bytes(settings: &Settings) -> Result<std::borrow::Cow<'static, [u8]>, String> {
    match &settings.component_path {
        Some(p) => std::fs::read(p).map(Into::into).map_err(|e| {
            format!(
                "read component `{}` (DATAFOG_COMPONENT_PATH): {e}",
                p.display()
            )
        }),
        None => Ok(runtime::EMBEDDED_COMPONENT.into()),
    }
}

/// The engine settings of a start with `settings` (`datafog-api precompile` compiles for the same
/// engine, so that start finds the cached compilation).
pub fn runtime_config(settings: &Settings) -> RuntimeConfig {
    RuntimeConfig {
        call_timeout: settings.guest_timeout,
        memory_limit: usize::try_from(settings.guest_memory_mb.saturating_mul(1 << 20))
            .unwrap_or(usize::MAX),
        pool_size: usize::try_from(settings.guest_pool).unwrap_or(8),
        cache_dir: settings.cache_dir.clone(),
    }
}

/// Build everything the server needs except the socket: read and load the policy into the
/// component, open (verify, recover) the receipts, load or create the token key. Errors are
/// one message naming the file (and for a policy, every rule and field at fault).
pub fn build_state(settings: &Settings) -> Result<Arc<AppState>, String> {
    let policy_path = &settings.policy_path;
    let policy_json = datafog::policy::read_policy_file(policy_path)
        .and_then(|b| String::from_utf8(b).map_err(|_| "is not valid UTF-8".to_owned()))
        .map_err(|e| format!("load policy `{}`: {e}", policy_path.display()))?;
    let wasm = component_bytes(settings)?;
    // The policy, natively too: its custom detector names are the only `entity_type` metric
    // labels besides the built-in types, and its detectors keep values out of log lines (the
    // guest validates the policy below; this parse cannot fail where that succeeds).
    let native_policy = datafog::policy::Policy::from_json(policy_json.as_bytes()).ok();
    // A `"lenient": true` policy loads with unknown fields: say which, once, at start.
    for w in native_policy.iter().flat_map(|p| p.warnings()) {
        tracing::warn!(
            "policy `{}`: `{}`: {}{}",
            policy_path.display(),
            w.field,
            w.message,
            w.help
                .as_deref()
                .map(|h| format!(" ({h})"))
                .unwrap_or_default()
        );
    }
    let custom_types: Vec<String> = native_policy
        .as_ref()
        .map(|p| {
            p.custom_detectors()
                .iter()
                .map(|d| d.name.clone())
                .collect()
        })
        .unwrap_or_default();
    let config = runtime_config(settings);
    let (runtime, _identity) = Runtime::new(&wasm, policy_json, config).map_err(|e| match e {
        runtime::StartError::Policy(_) => format!(
            "load policy `{}`: invalid policy:\n{}",
            policy_path.display(),
            indent(&e.to_string())
        ),
        runtime::StartError::Component(_) => format!("load the component: {e}"),
    })?;
    let receipts = open_store(settings)?;
    let key = config::load_or_create_key(&settings.token_key_path)?;
    let events = match &settings.events_path {
        // With the database, events are rows committed with their receipts (`pg`).
        Some(p) if settings.store_url.is_some() => {
            tracing::warn!(
                "DATAFOG_EVENTS_PATH `{}` is not used with DATAFOG_STORE_URL: events are kept in the database",
                p.display()
            );
            None
        }
        Some(p) => Some(
            Events::open(p.clone()).map_err(|e| format!("init events `{}`: {e}", p.display()))?,
        ),
        None => None,
    };
    let demo = if settings.enable_demo {
        let sandbox = http::demo::Sandbox::create()?;
        eprintln!(
            "datafog-api demo mode on (DATAFOG_ENABLE_DEMO): sandbox `{}`",
            sandbox.dir().display()
        );
        Some(sandbox)
    } else {
        None
    };
    Ok(Arc::new(AppState {
        runtime,
        started_at: http::now_rfc3339_secs(),
        started: Instant::now(),
        receipts: Arc::new(receipts),
        key: key.into(),
        token_digest: settings.api_token.as_deref().map(http::digest),
        rate: (settings.rate_limit_rps > 0)
            .then(|| Mutex::new(TokenBucket::new(settings.rate_limit_rps))),
        client_rate: (settings.client_rate_limit_rps > 0)
            .then(|| http::ClientBuckets::new(settings.client_rate_limit_rps)),
        events,
        metrics: metrics::Metrics::new(custom_types),
        idempotency: idempotency::IdempotencyCache::with_budget(
            idempotency::CAPACITY,
            idempotency::TTL,
            usize::try_from(settings.idempotency_cache_mb.saturating_mul(1 << 20))
                .unwrap_or(usize::MAX),
        ),
        access_log: settings.access_log,
        cors_origins: settings.cors_origins.clone(),
        allowed_hosts: settings.allowed_hosts.clone(),
        body_budget: http::body::BodyBudget::new(
            usize::try_from(settings.max_inflight_body_mb.saturating_mul(1 << 20))
                .unwrap_or(usize::MAX),
        ),
        guest_wait: settings.write_timeout,
        // The floor guards the receipts file's disk; the database guards its own.
        disk: disk::DiskFloor::new(
            &settings.receipt_path,
            if settings.store_url.is_some() {
                0
            } else {
                settings.min_free_disk_mb.saturating_mul(1 << 20)
            },
        ),
        demo,
        admin_ui: settings.enable_admin_ui,
        verify_job: Mutex::new(None),
    }))
}

/// The receipts store `settings` name: the PostgreSQL store with `DATAFOG_STORE_URL` (connected,
/// migrated, this replica's chain verified; needs a multi-threaded Tokio runtime), else the
/// receipts file (verified, a torn tail cut).
fn open_store(settings: &Settings) -> Result<store::Store, String> {
    let Some(url) = &settings.store_url else {
        // Signed checkpoints (DATAFOG_CHECKPOINT_EVERY > 0; the store reads or creates the key).
        let checkpoints = (settings.checkpoint_every > 0).then(|| receipts::CheckpointConfig {
            key_path: settings.checkpoint_key_path.clone(),
            every: settings.checkpoint_every,
        });
        let (receipts, recovery) = ReceiptStore::open_rotating(
            &settings.receipt_path,
            checkpoints,
            settings.receipt_rotate_mb.saturating_mul(1 << 20),
        )
        .map_err(|e| format!("init receipts: {e}"))?;
        if let Some((offset, cut)) = recovery.torn {
            tracing::warn!(
                "receipts file `{}`: cut a torn last line ({cut} bytes at offset {offset}); the chain continues from receipt {}",
                settings.receipt_path.display(),
                recovery.count
            );
        }
        return Ok(store::Store::File(receipts));
    };
    if settings.enable_admin_ui {
        return Err("DATAFOG_ENABLE_ADMIN_UI: the admin console reads the receipts file; it is not available with DATAFOG_STORE_URL".to_owned());
    }
    let cfg = pg::PgConfig {
        url: url.clone(),
        chain_id: settings.chain_id()?,
        lease: settings.idempotency_lease,
        pool_size: usize::try_from(settings.store_pool).unwrap_or(8),
    };
    let handle = tokio::runtime::Handle::try_current()
        .ok()
        .filter(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread)
        .ok_or("DATAFOG_STORE_URL: the PostgreSQL store needs a multi-threaded Tokio runtime")?;
    let chain = cfg.chain_id.clone();
    let store = tokio::task::block_in_place(|| handle.block_on(pg::PgStore::open(cfg)))
        .map_err(|e| format!("init receipts database (DATAFOG_STORE_URL): {e}"))?;
    tracing::info!(
        "receipts in PostgreSQL (schema {}), chain `{chain}` verified: {} receipts; signed checkpoints and rotation apply to the receipts file only",
        pg::schema_version(),
        store.recovered
    );
    Ok(store::Store::Pg(store))
}

/// Serve the API on `listener` until `shutdown` resolves, then drain in-flight requests (within
/// `settings.shutdown_timeout`) and flush the receipts. `main` passes SIGINT/SIGTERM; tests and
/// other crates (the shim's end-to-end tests) pass their own trigger.
pub async fn serve(
    listener: tokio::net::TcpListener,
    settings: &Settings,
    state: Arc<AppState>,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), String> {
    let local = listener
        .local_addr()
        .map_err(|e| format!("listen on {}: {e}", settings.addr))?;
    let file = state.receipts.file();
    match (
        file.and_then(|f| f.checkpoint_key()),
        file.and_then(|f| f.checkpoint_file()),
    ) {
        (Some(key), Some((path, every))) => tracing::info!(
            "datafog-api checkpoints every {every} receipts to `{}`, key id {}, public key {}",
            path.display(),
            key.key_id(),
            key.hex()
        ),
        _ if file.is_none() => {}
        _ => tracing::info!("datafog-api checkpoints off (DATAFOG_CHECKPOINT_EVERY=0)"),
    }
    tracing::info!("datafog-api listening on {local}");
    // The profiling server (Go: stopped first on shutdown).
    let (pprof_stop, pprof_stopped) = tokio::sync::oneshot::channel::<()>();
    let pprof_task = match &settings.pprof_addr {
        Some(addr) => {
            let l = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| format!("listen on {addr} (DATAFOG_PPROF_ADDR): {e}"))?;
            let at = l
                .local_addr()
                .map_err(|e| format!("listen on {addr} (DATAFOG_PPROF_ADDR): {e}"))?;
            tracing::warn!(
                "datafog-api profiling server listening on {at} (no auth; keep it private)"
            );
            let router = pprof::router(settings.fgprof);
            Some(tokio::spawn(async move {
                let _ = axum::serve(l, router)
                    .with_graceful_shutdown(async {
                        let _ = pprof_stopped.await;
                    })
                    .await;
            }))
        }
        None => None,
    };
    let app = http::app(state.clone());
    let timeouts = conn::Timeouts {
        idle: settings.idle_timeout,
        read_header: settings.read_header_timeout,
        read: settings.read_timeout,
        write: settings.write_timeout,
    };
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        // Our own deadlines (`conn`): hyper's header timer also runs on idle keep-alive waits.
        .header_read_timeout(None)
        // Go's MaxHeaderBytes (1 MiB).
        .max_buf_size((1 << 20) + 8192);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let signal = shutdown;
    tokio::pin!(signal);
    // At most `max_connections` open at once: past it, the next connection waits in the
    // listen backlog until one closes (no accept, no memory).
    let slots = Arc::new(tokio::sync::Semaphore::new(
        settings
            .max_connections
            .clamp(1, tokio::sync::Semaphore::MAX_PERMITS),
    ));
    let trimmer = tokio::spawn(return_memory_after_bursts(state.clone()));
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = &mut signal => break,
        };
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors and the like: back off, keep serving.
                        tracing::warn!("accept: {e}");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let (io, phase) = conn::wrap(stream, timeouts);
                let service = conn::TimedService::new(app.clone(), phase, peer.ip());
                let conn = http.serve_connection(hyper_util::rt::TokioIo::new(io), service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = conn.await;
                    drop(slot);
                });
            }
            () = &mut signal => break,
        }
    }
    tracing::info!("shutdown signal received");
    trimmer.abort();
    let _ = pprof_stop.send(());
    if let Some(task) = pprof_task {
        // A running profile holds its request for up to its `seconds`: do not wait for it.
        task.abort();
    }
    drop(listener);
    // Drain in-flight requests within the budget; then flush the receipts either way.
    if tokio::time::timeout(settings.shutdown_timeout, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "requests still running after {:?}; closing",
            settings.shutdown_timeout
        );
    }
    state.receipts.close().await;
    tracing::info!("receipts flushed; bye");
    Ok(())
}

/// After a burst of large request bodies, hand the freed memory back to the system. The
/// allocator keeps freed heap pages for reuse, so without this a burst of unfinished 1 MiB
/// bodies left most of its peak resident long after the connections closed. Checked every
/// second: when the body budget peaked above 8 MiB since the last check and nothing is held
/// now, `malloc_trim(0)` (glibc) returns the free pages.
async fn return_memory_after_bursts(state: Arc<AppState>) {
    const BURST: usize = 8 << 20;
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut pending = false;
    loop {
        tick.tick().await;
        pending |= state.body_budget.take_peak() >= BURST;
        if pending && state.body_budget.held() == 0 {
            pending = false;
            let _ = tokio::task::spawn_blocking(trim_heap).await;
        }
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)] // the one FFI call the host makes; see the SAFETY note
fn trim_heap() {
    // SAFETY: malloc_trim only walks the allocator's own free lists; it takes no pointers.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim_heap() {}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
