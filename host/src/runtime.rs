//! The component in wasmtime: one [`Engine`] (pooling allocator, epoch interruption), the
//! component compiled once (the compilation is cached on disk, or written there ahead of time by
//! `datafog-api precompile`: [`precompile`]), an `InstancePre`, and a pool of warm instances,
//! each with the policy already loaded (`engine.load`). The typed client (bindings, conversions,
//! compile cache, store context) is `datafog-embed`'s, shared with the conformance tests; this
//! module adds the pool, the deadlines, the limits and the handshake: the first instance's core
//! version must be this binary's (`datafog::CORE_VERSION`), since the host also runs core code
//! natively (`crate::native`).
//!
//! Every guest call runs with an epoch deadline (a ticker thread increments the epoch every
//! [`TICK`]) and a per-store memory limit. A trap or a timeout drops that instance (its store is
//! not reused) and answers [`GuestFailure`]; the next call takes or builds another instance.
//!
//! The policy can be replaced while the server runs ([`Runtime::reload`]): the new document is
//! loaded into a fresh instance first (a document the guest refuses changes nothing), then
//! swapped in as the next [`ActivePolicy`] generation. Instances remember the generation their
//! policy handle came from; a call that takes an instance of an older generation reloads it (or
//! drops it and makes a new one) before it runs, so every call runs on exactly one policy, a call
//! already running finishes on the policy it started with, and no call fails because of a swap.
//! What the guest answers (the receipt's `policy_id` and `policy_version`) is therefore the policy
//! that decided.
//!
//! Guest calls are synchronous: callers run them inline for small payloads or on
//! `tokio::task::spawn_blocking`. Every call first takes a permit ([`Runtime::acquire`]): there are
//! as many as the pooling allocator has instance slots ([`Runtime::capacity`]), so a burst of
//! requests waits for a turn (up to the caller's bound, then [`GuestFailure::Busy`]) instead of
//! failing to instantiate. Failures are logged by their kind and trap code only: never a wasmtime
//! error's full text or backtrace, never anything of the request.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use datafog::policy::PolicyError;
use datafog_embed::{Ctx, GuestPre, Loaded, PolicyHandle};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, Trap};

/// The component `datafog-embed`'s build script built, embedded in the binary.
pub use datafog_embed::EMBEDDED as EMBEDDED_COMPONENT;

/// How often the epoch advances: the granularity of guest deadlines.
pub const TICK: Duration = Duration::from_millis(10);

/// Runtime settings.
#[derive(Clone, Debug)]
pub struct RuntimeConfig {
    /// Deadline of one guest call.
    pub call_timeout: Duration,
    /// Maximum linear memory of one instance, in bytes.
    pub memory_limit: usize,
    /// Warm instances kept ready (and the pooling allocator's capacity, with headroom).
    pub pool_size: usize,
    /// Where the compiled artifact is cached; `None`: always compile.
    pub cache_dir: Option<PathBuf>,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            call_timeout: Duration::from_secs(2),
            memory_limit: 256 << 20,
            pool_size: 8,
            cache_dir: None,
        }
    }
}

/// Why a guest call produced no answer. Both drop the instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuestFailure {
    /// The call ran past its epoch deadline.
    Timeout,
    /// Any other trap (out of memory, a guest panic, ...). The text is for logs only.
    Trap(String),
    /// No instance could be made (instantiation or policy load failed).
    Unavailable(String),
    /// Every instance slot stayed busy for as long as the caller would wait.
    Busy,
}

impl std::fmt::Display for GuestFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GuestFailure::Timeout => f.write_str("guest call exceeded its deadline"),
            GuestFailure::Trap(e) => write!(f, "guest trapped: {e}"),
            GuestFailure::Unavailable(e) => write!(f, "no guest instance: {e}"),
            GuestFailure::Busy => f.write_str("every guest instance stayed busy"),
        }
    }
}

impl std::error::Error for GuestFailure {}

/// One warm instance with the policy loaded.
pub struct Instance {
    pub guest: datafog_embed::Instance,
    pub policy: PolicyHandle,
    /// The [`ActivePolicy::generation`] `policy` was loaded from.
    generation: u64,
}

/// The policy the runtime serves: the document, what the guest reported about it, and when it
/// was loaded. Replaced as a whole by [`Runtime::reload`].
#[derive(Debug)]
pub struct ActivePolicy {
    /// 1 at start, +1 per successful reload.
    pub generation: u64,
    pub json: Arc<str>,
    pub identity: PolicyIdentity,
    /// `sha256:` and the hex SHA-256 of the document's bytes.
    pub hash: String,
    /// RFC 3339, UTC, second precision.
    pub loaded_at: String,
    /// The same document parsed natively (see `crate::http::AppState::log_policy`); `None` only if
    /// the native parse failed where the guest's succeeded.
    pub native: Option<Arc<datafog::policy::Policy>>,
}

impl ActivePolicy {
    fn new(generation: u64, json: Arc<str>, identity: PolicyIdentity) -> ActivePolicy {
        use sha2::Digest as _;
        let digest = sha2::Sha256::digest(json.as_bytes());
        let mut hash = String::with_capacity(7 + 64);
        hash.push_str("sha256:");
        for b in digest {
            use std::fmt::Write as _;
            let _ = write!(hash, "{b:02x}");
        }
        let native = datafog::policy::Policy::from_json(json.as_bytes())
            .ok()
            .map(Arc::new);
        ActivePolicy {
            generation,
            json,
            identity,
            hash,
            loaded_at: crate::http::now_rfc3339_secs(),
            native,
        }
    }
}

impl std::fmt::Debug for Instance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instance").finish_non_exhaustive()
    }
}

/// The engine, the pre-instantiated component, and the warm pool.
pub struct Runtime {
    engine: Engine,
    pre: GuestPre,
    /// The policy new calls run on (see [`Runtime::reload`]).
    policy: RwLock<Arc<ActivePolicy>>,
    /// One reload at a time.
    reloading: tokio::sync::Mutex<()>,
    /// `policy`'s generation, read without the lock on every call.
    generation: AtomicU64,
    config: RuntimeConfig,
    idle: Mutex<Vec<Instance>>,
    stop: Arc<AtomicBool>,
    traps: AtomicU64,
    timeouts: AtomicU64,
    /// Calls that got no instance ([`GuestFailure::Unavailable`]) or no turn
    /// ([`GuestFailure::Busy`]).
    unavailable: AtomicU64,
    busy: AtomicU64,
    /// One permit per instance slot of the pooling allocator (see [`Runtime::acquire`]).
    permits: Arc<tokio::sync::Semaphore>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// What a loaded policy is, read from the guest at start (the `/v1/policy/version` body).
pub type PolicyIdentity = datafog::api::PolicyVersionResponse;

/// Start-up failure: the component could not be loaded, or the policy is invalid.
#[derive(Debug)]
pub enum StartError {
    Component(String),
    /// Every problem the guest found in the policy.
    Policy(PolicyError),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Component(e) => f.write_str(e),
            StartError::Policy(p) => {
                for (i, e) in p.errors.iter().enumerate() {
                    if i > 0 {
                        f.write_str("\n")?;
                    }
                    match &e.rule {
                        Some(rule) => write!(f, "rule `{rule}`")?,
                        None => f.write_str("policy")?,
                    }
                    if !e.field.is_empty() {
                        write!(f, ", field `{}`", e.field)?;
                    }
                    write!(f, ": {}", e.message)?;
                    if let Some(help) = &e.help {
                        write!(f, " ({help})")?;
                    }
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for StartError {}

fn wt(e: wasmtime::Error) -> String {
    format!("{e:?}")
}

impl Runtime {
    /// Compile (or load the cached compilation of) `wasm`, check that it exports the `guest`
    /// world, load `policy_json` into a first instance, and start the epoch ticker.
    pub fn new(
        wasm: &[u8],
        policy_json: String,
        config: RuntimeConfig,
    ) -> Result<(Arc<Runtime>, PolicyIdentity), StartError> {
        let engine = make_engine(&config).map_err(|e| StartError::Component(wt(e)))?;
        let began = Instant::now();
        let (component, loaded) =
            datafog_embed::load_or_compile(&engine, wasm, config.cache_dir.as_deref())
                .map_err(|e| StartError::Component(format!("compile the component: {}", wt(e))))?;
        let took = began.elapsed().as_millis();
        match loaded {
            Loaded::Cached(path) => tracing::info!(
                "loaded the precompiled component from {} in {took} ms",
                path.display()
            ),
            Loaded::Compiled { cached: Some(path) } => tracing::info!(
                "compiled the component in {took} ms (no compiled copy yet; cached at {} for the next start; `datafog-api precompile` does this ahead of time)",
                path.display()
            ),
            Loaded::Compiled { cached: None } => tracing::info!(
                "compiled the component in {took} ms (no cache: DATAFOG_CACHE_DIR is off or not writable)"
            ),
        }
        let pre = datafog_embed::instance_pre(&engine, &component).map_err(|e| {
            StartError::Component(format!(
                "the component does not fit the `datafog:firewall/guest` world: {}",
                wt(e)
            ))
        })?;
        let stop = Arc::new(AtomicBool::new(false));
        let slots = instance_slots(&config) as usize;
        let runtime = Arc::new(Runtime {
            engine: engine.clone(),
            pre,
            policy: RwLock::new(Arc::new(ActivePolicy::new(
                0,
                policy_json.into(),
                PolicyIdentity {
                    policy_id: String::new(),
                    policy_version: String::new(),
                },
            ))),
            reloading: tokio::sync::Mutex::new(()),
            generation: AtomicU64::new(0),
            config,
            idle: Mutex::new(Vec::new()),
            stop: stop.clone(),
            traps: AtomicU64::new(0),
            timeouts: AtomicU64::new(0),
            unavailable: AtomicU64::new(0),
            busy: AtomicU64::new(0),
            permits: Arc::new(tokio::sync::Semaphore::new(slots)),
        });
        // The ticker holds only the engine, so it ends when `stop` is set (on drop).
        std::thread::Builder::new()
            .name("datafog-epoch".into())
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(TICK);
                    engine.increment_epoch();
                }
            })
            .map_err(|e| StartError::Component(format!("start the epoch ticker: {e}")))?;

        let mut first = runtime.instantiate_raw().map_err(StartError::Component)?;
        let version = first
            .core_version()
            .map_err(|e| StartError::Component(format!("read the core version: {}", wt(e))))?;
        datafog_embed::check_version(&version).map_err(StartError::Component)?;
        let json = runtime.policy().json.clone();
        let (inst, identity) = runtime.validate(first, &json, 1)?;
        runtime.set_policy(Arc::new(ActivePolicy::new(1, json, identity.clone())));
        runtime.put_back(inst);
        for _ in 1..runtime.config.pool_size {
            match runtime.instantiate() {
                Ok(i) => runtime.put_back(i),
                Err(e) => return Err(StartError::Component(e.to_string())),
            }
        }
        Ok((runtime, identity))
    }

    /// The policy new calls run on.
    pub fn policy(&self) -> Arc<ActivePolicy> {
        match self.policy.read() {
            Ok(p) => p.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn set_policy(&self, p: Arc<ActivePolicy>) {
        let generation = p.generation;
        match self.policy.write() {
            Ok(mut g) => *g = p,
            Err(poisoned) => *poisoned.into_inner() = p,
        }
        self.generation.store(generation, Ordering::Release);
    }

    /// Load `json` into `guest` (a fresh instance) and read the identity it reports: the
    /// validation of a start and of a reload. `Err(StartError::Policy)` lists every problem.
    fn validate(
        &self,
        mut guest: datafog_embed::Instance,
        json: &str,
        generation: u64,
    ) -> Result<(Instance, PolicyIdentity), StartError> {
        let loaded = guest
            .load(json)
            .map_err(|e| StartError::Component(format!("load the policy: {}", wt(e))))?;
        let policy = loaded.map_err(StartError::Policy)?;
        let mut inst = Instance {
            guest,
            policy,
            generation,
        };
        let identity = self
            .identity(&mut inst)
            .map_err(|e| StartError::Component(format!("read the policy identity: {}", wt(e))))?;
        Ok((inst, identity))
    }

    /// Replace the policy with `json`, which is validated first: loaded into a fresh instance
    /// (under an instance permit, waiting up to `wait`), so a document the guest refuses
    /// changes nothing and the error lists every problem. On success the new policy is the
    /// next [`ActivePolicy`] generation: calls that start from now on run on it, calls in
    /// flight finish on the one they started with, and idle instances switch on their next
    /// call.
    pub async fn reload(
        self: &Arc<Self>,
        json: String,
        wait: Duration,
    ) -> Result<Arc<ActivePolicy>, StartError> {
        let _one = self.reloading.lock().await;
        let permit = self
            .acquire(wait)
            .await
            .map_err(|e| StartError::Component(e.to_string()))?;
        let rt = self.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let generation = rt.policy().generation.saturating_add(1);
            let json: Arc<str> = json.into();
            let guest = rt.instantiate_raw().map_err(StartError::Component)?;
            let (inst, identity) = rt.validate(guest, &json, generation)?;
            let active = Arc::new(ActivePolicy::new(generation, json, identity));
            rt.set_policy(active.clone());
            rt.put_back(inst);
            Ok(active)
        })
        .await
        .map_err(|_| StartError::Component("the reload task failed".to_owned()))?
    }

    fn identity(&self, inst: &mut Instance) -> wasmtime::Result<PolicyIdentity> {
        // Start-up, not a request: the instance-making deadline (at least a second), so a tight
        // `DATAFOG_GUEST_TIMEOUT` on a loaded machine cannot fail the start (an epoch tick
        // landing inside these two tiny calls did, under a 1 ms deadline).
        inst.guest
            .store
            .set_epoch_deadline(self.deadline_ticks().saturating_mul(5).max(100));
        Ok(PolicyIdentity {
            policy_id: inst.guest.policy_id(inst.policy)?,
            policy_version: inst.guest.policy_version(inst.policy)?,
        })
    }

    fn deadline_ticks(&self) -> u64 {
        let ticks = self.config.call_timeout.as_millis() / TICK.as_millis().max(1);
        u64::try_from(ticks).unwrap_or(u64::MAX).max(1)
    }

    /// A fresh store and instance, no policy yet.
    fn instantiate_raw(&self) -> Result<datafog_embed::Instance, String> {
        let mut store = Store::new(&self.engine, Ctx::new(Some(self.config.memory_limit)));
        store.limiter(|c| c.limits());
        // Instantiation and the policy load (regex compilation) get a generous deadline: at least
        // a second, so a tight call deadline cannot stop instances from being made.
        store.set_epoch_deadline(self.deadline_ticks().saturating_mul(5).max(100));
        datafog_embed::Instance::new(&self.pre, store)
            .map_err(|e| format!("instantiate: {}", wt(e)))
    }

    /// A fresh instance with the current policy loaded.
    fn instantiate(&self) -> Result<Instance, GuestFailure> {
        let guest = self.instantiate_raw().map_err(GuestFailure::Unavailable)?;
        self.load_current(guest)
    }

    /// Load the current policy into `guest` (whose store has the instance-making deadline).
    fn load_current(&self, mut guest: datafog_embed::Instance) -> Result<Instance, GuestFailure> {
        let active = self.policy();
        let loaded = guest
            .load(&active.json)
            .map_err(|e| GuestFailure::Unavailable(format!("load the policy: {}", wt(e))))?;
        let policy = loaded.map_err(|e| {
            GuestFailure::Unavailable(format!(
                "the policy no longer loads ({} problems)",
                e.errors.len()
            ))
        })?;
        Ok(Instance {
            guest,
            policy,
            generation: active.generation,
        })
    }

    /// `inst` on the current policy: as is, or with its old policy unloaded and the current one
    /// loaded (a reload happened since it last ran).
    fn refresh(&self, mut inst: Instance) -> Result<Instance, GuestFailure> {
        if inst.generation == self.generation.load(Ordering::Acquire) {
            return Ok(inst);
        }
        inst.guest
            .store
            .set_epoch_deadline(self.deadline_ticks().saturating_mul(5).max(100));
        // Unloading frees the old policy's guest memory; an instance that cannot is dropped.
        inst.guest
            .unload(inst.policy)
            .map_err(|e| GuestFailure::Unavailable(format!("unload the old policy: {}", wt(e))))?;
        self.load_current(inst.guest)
    }

    fn put_back(&self, inst: Instance) {
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < self.config.pool_size
        {
            idle.push(inst);
        }
    }

    /// Instance slots of the pooling allocator: the most instances alive at once (warm ones
    /// included), and the number of permits of [`Runtime::acquire`].
    pub fn capacity(&self) -> usize {
        instance_slots(&self.config) as usize
    }

    /// A turn to make a guest call: wait up to `wait` for one of [`Runtime::capacity`] permits
    /// (hold it for the whole [`Runtime::call`]). Live instances are the idle ones plus one per
    /// call in flight, and a call takes an idle one first, so with at most `capacity` calls in
    /// flight the allocator never runs out of slots.
    pub async fn acquire(
        &self,
        wait: Duration,
    ) -> Result<tokio::sync::OwnedSemaphorePermit, GuestFailure> {
        let permits = self.permits.clone();
        if let Ok(p) = permits.clone().try_acquire_owned() {
            return Ok(p);
        }
        match tokio::time::timeout(wait, permits.acquire_owned()).await {
            Ok(Ok(p)) => Ok(p),
            _ => {
                self.busy.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    "guest call refused: all {} instance slots busy for {wait:?}",
                    self.capacity()
                );
                Err(GuestFailure::Busy)
            }
        }
    }

    /// Run `f` on a warm instance under the call deadline. On a trap or timeout the instance is
    /// dropped. Blocking (bounded by the deadline). Callers hold a permit of
    /// [`Runtime::acquire`]; without one, a burst can exhaust the instance slots
    /// ([`GuestFailure::Unavailable`]).
    pub fn call<R>(
        &self,
        f: impl FnOnce(&mut Instance) -> wasmtime::Result<R>,
    ) -> Result<R, GuestFailure> {
        let taken = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        // An instance of an older policy generation switches first; one that cannot is replaced.
        let taken = taken.and_then(|i| self.refresh(i).ok());
        let mut inst = match taken {
            Some(i) => i,
            None => match self.instantiate() {
                Ok(i) => i,
                Err(e) => {
                    self.unavailable.fetch_add(1, Ordering::Relaxed);
                    // Instantiation and the policy load see no request data: their first line
                    // (no backtrace) is safe to log.
                    let text = e.to_string();
                    tracing::error!(
                        "guest call failed: {}",
                        text.lines().next().unwrap_or_default()
                    );
                    return Err(e);
                }
            },
        };
        inst.guest.store.set_epoch_deadline(self.deadline_ticks());
        match f(&mut inst) {
            Ok(r) => {
                self.put_back(inst);
                Ok(r)
            }
            Err(e) => {
                drop(inst);
                let reason = failure_reason(&e);
                if e.downcast_ref::<Trap>() == Some(&Trap::Interrupt) {
                    self.timeouts.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(
                        "guest call exceeded its deadline ({:?}); instance dropped",
                        self.config.call_timeout
                    );
                    Err(GuestFailure::Timeout)
                } else {
                    self.traps.fetch_add(1, Ordering::Relaxed);
                    tracing::error!("guest call trapped ({reason}); instance dropped");
                    Err(GuestFailure::Trap(reason))
                }
            }
        }
    }

    /// Calls that got no instance, or no turn within their wait, since start.
    pub fn unavailable_count(&self) -> u64 {
        self.unavailable.load(Ordering::Relaxed)
    }

    /// Calls refused because every instance slot stayed busy, since start.
    pub fn busy_count(&self) -> u64 {
        self.busy.load(Ordering::Relaxed)
    }

    /// Guest traps (not timeouts) since start.
    pub fn trap_count(&self) -> u64 {
        self.traps.load(Ordering::Relaxed)
    }

    /// Guest timeouts since start.
    pub fn timeout_count(&self) -> u64 {
        self.timeouts.load(Ordering::Relaxed)
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Why a guest call failed, for the log: the wasmtime trap code (a fixed description such as
/// "wasm `unreachable` instruction executed"), or that it was not a trap. Never the error's own
/// text or backtrace: a guest may put anything in an error message.
fn failure_reason(e: &wasmtime::Error) -> String {
    match e.downcast_ref::<Trap>() {
        Some(t) => format!("trap: {t}"),
        None => "a host or runtime error, not a trap".to_owned(),
    }
}

/// `datafog-api precompile`: compile `wasm` with the engine [`Runtime::new`] would make for
/// `config` and write it where a start looks for it (`config.cache_dir`), unless a compatible
/// compilation is already there. Returns the file and whether it was compiled now.
pub fn precompile(wasm: &[u8], config: &RuntimeConfig) -> Result<(PathBuf, bool), String> {
    let dir = config.cache_dir.as_deref().ok_or(
        "the compiled-component cache is off (DATAFOG_CACHE_DIR=off): set DATAFOG_CACHE_DIR to a directory the server can read",
    )?;
    let engine = make_engine(config).map_err(wt)?;
    datafog_embed::precompile(&engine, wasm, dir).map_err(|e| format!("{e}"))
}

/// Component instance slots of the pooling allocator (see [`make_engine`]).
fn instance_slots(config: &RuntimeConfig) -> u32 {
    u32::try_from(config.pool_size.saturating_mul(4).max(16)).unwrap_or(64)
}

fn make_engine(config: &RuntimeConfig) -> wasmtime::Result<Engine> {
    let mut cfg = Config::new();
    cfg.epoch_interruption(true);
    #[cfg(feature = "profiling")]
    if std::env::var_os("DATAFOG_PERFMAP").is_some() {
        cfg.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    let mut pool = PoolingAllocationConfig::new();
    // Headroom over the warm pool: replacements are built while a trapped store is dropped, and
    // a burst may build instances beyond the idle set.
    let slots = instance_slots(config);
    pool.total_component_instances(slots)
        .total_core_instances(slots.saturating_mul(8))
        .total_memories(slots.saturating_mul(2))
        .total_tables(slots.saturating_mul(8))
        .total_stacks(slots)
        .max_memory_size(config.memory_limit);
    cfg.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Engine::new(&cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 8: the handshake. The embedded component with its core-version digest rewritten in
    /// place (same length, so the module stays valid; only the data segment changes) is a guest
    /// built from other sources: the runtime refuses it and the message names both versions.
    #[test]
    fn issue_8_a_guest_with_another_core_version_is_refused() {
        let ours = datafog::CORE_VERSION;
        let (_, digest) = ours.split_once('+').unwrap();
        let other_digest: String = digest
            .chars()
            .map(|c| if c == 'f' { '0' } else { 'f' })
            .collect();
        let theirs = ours.replace(digest, &other_digest);
        let mut wasm = EMBEDDED_COMPONENT.to_vec();
        let at = wasm
            .windows(ours.len())
            .position(|w| w == ours.as_bytes())
            .expect("the guest carries its core version");
        wasm[at..at + ours.len()].copy_from_slice(theirs.as_bytes());
        let policy = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/policy.json"),
        )
        .unwrap();
        let config = RuntimeConfig {
            pool_size: 1,
            ..RuntimeConfig::default()
        };
        let err = Runtime::new(&wasm, policy.clone(), config.clone())
            .expect_err("a different core is refused");
        let text = err.to_string();
        assert!(text.contains(&theirs) && text.contains(ours), "{text}");
        // The unmodified component starts.
        let config = RuntimeConfig {
            cache_dir: Some(std::env::temp_dir().join("datafog-host-unit-cwasm")),
            ..config
        };
        assert!(Runtime::new(EMBEDDED_COMPONENT, policy, config).is_ok());
    }
}
