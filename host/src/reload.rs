//! Hot policy reload: `SIGHUP`, and with `DATAFOG_POLICY_WATCH=N` a poll of the policy file every
//! N seconds, re-read `DATAFOG_POLICY_PATH` and hand it to [`crate::runtime::Runtime::reload`],
//! which validates it in a fresh guest instance before it swaps it in. A file that cannot be read
//! or that the guest refuses changes nothing: the previous policy keeps answering, the reason is
//! logged (the rule, field and message of every problem: text about the policy, never a request
//! value), and `datafog_policy_reload_total{result="error"}` counts it.
//!
//! The watch compares the file's size, modification time and SHA-256 with what it saw last, so
//! an unchanged file is not reloaded and a bad file is tried (and logged) once per change, not
//! every tick. The policy lives in the runtime, not in a receipts store: a second store (a shared
//! database) reloads the same way.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use sha2::Digest as _;

use crate::http::AppState;
use crate::runtime::ActivePolicy;

/// Why a reload was refused. The previous policy stays.
#[derive(Debug)]
pub struct ReloadError(pub String);

impl std::fmt::Display for ReloadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ReloadError {}

/// What triggered a reload (for the log line).
#[derive(Clone, Copy, Debug)]
pub enum Trigger {
    Signal,
    Watch,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Signal => "sighup",
            Trigger::Watch => "watch",
        }
    }
}

/// Read `path` and reload it into `state`'s runtime; count and log the outcome.
pub async fn reload_file(
    state: &Arc<AppState>,
    path: &Path,
    trigger: Trigger,
) -> Result<Arc<ActivePolicy>, ReloadError> {
    let out = reload_inner(state, path).await;
    state.metrics.record_reload(out.is_ok());
    match &out {
        Ok(p) => tracing::info!(
            trigger = trigger.as_str(),
            path = %path.display(),
            policy_id = %p.identity.policy_id,
            policy_version = %p.identity.policy_version,
            policy_hash = %p.hash,
            generation = p.generation,
            "policy reloaded"
        ),
        Err(e) => tracing::error!(
            trigger = trigger.as_str(),
            path = %path.display(),
            reason = %e,
            "policy reload refused; the previous policy stays"
        ),
    }
    out
}

async fn reload_inner(
    state: &Arc<AppState>,
    path: &Path,
) -> Result<Arc<ActivePolicy>, ReloadError> {
    let p = path.to_owned();
    let json = tokio::task::spawn_blocking(move || datafog::policy::read_policy_file(&p))
        .await
        .map_err(|_| ReloadError("the read task failed".to_owned()))?
        .and_then(|b| String::from_utf8(b).map_err(|_| "is not valid UTF-8".to_owned()))
        .map_err(|e| ReloadError(format!("read `{}`: {e}", path.display())))?;
    let wait = state.guest_wait.max(Duration::from_secs(5));
    state.runtime.reload(json, wait).await.map_err(|e| match e {
        crate::runtime::StartError::Policy(_) => ReloadError(format!(
            "invalid policy: {}",
            e.to_string().lines().collect::<Vec<_>>().join("; ")
        )),
        crate::runtime::StartError::Component(_) => ReloadError(e.to_string()),
    })
}

/// Start the reload triggers: `SIGHUP` (Unix), and the file watch when `watch` is set.
pub fn spawn(state: Arc<AppState>, path: PathBuf, watch: Option<Duration>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::hangup()) {
            Ok(mut hup) => {
                let (state, path) = (state.clone(), path.clone());
                tokio::spawn(async move {
                    while hup.recv().await.is_some() {
                        let _ = reload_file(&state, &path, Trigger::Signal).await;
                    }
                });
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGHUP; policy reload by signal is off")
            }
        }
    }
    if let Some(every) = watch {
        tokio::spawn(watch_file(state, path, every));
    }
}

/// Size, modification time and SHA-256 of a file, or `None` if it cannot be read.
type Seen = Option<(u64, Option<SystemTime>, [u8; 32])>;

fn look(path: &Path) -> Seen {
    let meta = std::fs::metadata(path).ok()?;
    let bytes = std::fs::read(path).ok()?;
    Some((
        meta.len(),
        meta.modified().ok(),
        sha2::Sha256::digest(&bytes).into(),
    ))
}

async fn watch_file(state: Arc<AppState>, path: PathBuf, every: Duration) {
    let p = path.clone();
    let mut last: Seen = tokio::task::spawn_blocking(move || look(&p))
        .await
        .ok()
        .flatten();
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        let p = path.clone();
        let now = tokio::task::spawn_blocking(move || look(&p))
            .await
            .ok()
            .flatten();
        // A missing file (mid-rename by an editor) waits for the next tick; a change is tried once.
        if now.is_none() || now == last {
            continue;
        }
        last = now;
        let _ = reload_file(&state, &path, Trigger::Watch).await;
    }
}
