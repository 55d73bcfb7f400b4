//! `datafog-api`: the DataFog HTTP API (the Go service's contract) on wasmtime.
//!
//! - [`runtime`]: the component, compiled once, a pool of warm instances with the policy loaded,
//!   deadlines and memory limits on every guest call.
//! - [`receipts`]: the receipts JSONL file, one writer with group commit, chain recovery at start.
//! - [`app`]: `fn app(state) -> Router`, middleware and handlers.
//! - [`config`]: settings from the environment.
//! - [`metrics`]: Prometheus text and the Go JSON shape.

pub mod app;
pub mod config;
pub mod idempotency;
pub mod metrics;
pub mod receipts;
pub mod runtime;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use app::{AppState, Events, TokenBucket};
use config::Settings;
use receipts::ReceiptStore;
use runtime::{Runtime, RuntimeConfig};

/// Build everything the server needs except the socket: read and load the policy into the
/// component, open (verify, recover) the receipts, load or create the token key. Errors are
/// one message naming the file (and for a policy, every rule and field at fault).
pub fn build_state(settings: &Settings) -> Result<Arc<AppState>, String> {
    let policy_path = &settings.policy_path;
    let policy_json = std::fs::read_to_string(policy_path)
        .map_err(|e| format!("load policy `{}`: {e}", policy_path.display()))?;
    let wasm: std::borrow::Cow<'static, [u8]> = match &settings.component_path {
        Some(p) => std::fs::read(p).map(Into::into).map_err(|e| {
            format!(
                "read component `{}` (DATAFOG_COMPONENT_PATH): {e}",
                p.display()
            )
        })?,
        None => runtime::EMBEDDED_COMPONENT.into(),
    };
    let config = RuntimeConfig {
        call_timeout: settings.guest_timeout,
        memory_limit: usize::try_from(settings.guest_memory_mb.saturating_mul(1 << 20))
            .unwrap_or(usize::MAX),
        pool_size: usize::try_from(settings.guest_pool).unwrap_or(8),
        cache_dir: settings.cache_dir.clone(),
    };
    let (runtime, identity) = Runtime::new(&wasm, policy_json, config).map_err(|e| match e {
        runtime::StartError::Policy(_) => format!(
            "load policy `{}`: invalid policy:\n{}",
            policy_path.display(),
            indent(&e.to_string())
        ),
        runtime::StartError::Component(_) => format!("load the component: {e}"),
    })?;
    let (receipts, recovery) =
        ReceiptStore::open(&settings.receipt_path).map_err(|e| format!("init receipts: {e}"))?;
    if let Some((offset, cut)) = recovery.torn {
        eprintln!(
            "datafog-api: receipts file `{}`: cut a torn last line ({cut} bytes at offset {offset}); the chain continues from receipt {}",
            settings.receipt_path.display(),
            recovery.count
        );
    }
    let key = config::load_or_create_key(&settings.token_key_path)?;
    let events = match &settings.events_path {
        Some(p) => Some(
            Events::open(p.clone()).map_err(|e| format!("init events `{}`: {e}", p.display()))?,
        ),
        None => None,
    };
    Ok(Arc::new(AppState {
        runtime,
        identity,
        started_at: app::now_rfc3339_secs(),
        started: Instant::now(),
        receipts: Arc::new(receipts),
        key: key.into(),
        token_digest: settings.api_token.as_deref().map(app::digest),
        rate: (settings.rate_limit_rps > 0)
            .then(|| Mutex::new(TokenBucket::new(settings.rate_limit_rps))),
        events,
        metrics: metrics::Metrics::default(),
        idempotency: idempotency::IdempotencyCache::default(),
        access_log: settings.access_log,
    }))
}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
