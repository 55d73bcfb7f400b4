//! The DataFog component embedded in a native Rust program: the one typed client of
//! `datafog:firewall/guest` (`wit/`), used by the native host (`datafog-api`) and by the
//! conformance tests.
//!
//! - [`COMPONENT_PATH`] / [`EMBEDDED`]: the guest this crate's build script built (see
//!   `datafog-build`); [`component_path`] honours `DATAFOG_COMPONENT_PATH` at run time.
//! - [`load_or_compile`] / [`load_cached`]: compile the component once, or load the compilation
//!   a compatible engine cached on disk (keyed by the component's bytes and the engine's
//!   compatibility hash); [`precompile`] writes that file ahead of time (`datafog-api
//!   precompile`), so a first start loads instead of compiling.
//! - [`instance_pre`]: link WASI 0.2 (a `wasm32-wasip2` guest imports it and never calls it; the
//!   context is empty: no env, args, preopens or stdio) and check the component fits the world.
//! - [`Ctx`]: the store data, with an optional memory limit.
//! - [`Instance`]: one instance with typed methods that take and return the core's own types
//!   (`datafog::...`), so a caller can compare with the native core or serialise the core's JSON.
//!   The conversions between WIT and core types are `From` impls in `convert`, written once.
//! - [`check_version`]: the handshake. The guest exports its core version; a program that also
//!   runs core code natively refuses a guest built from other sources.
//!
//! Errors are `wasmtime::Error` (a trap, a link failure); a WIT `result` error is the inner
//! `Result`'s `Err`, in the core's error type.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Engine, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

mod convert;
mod instance;

pub use instance::{Decided, Instance, PolicyHandle};

/// Generated from `wit/` (host side).
#[allow(missing_docs, clippy::all)]
pub mod bindings {
    wasmtime::component::bindgen!({ path: "../wit", world: "guest" });
}

/// The exported interface's types and functions.
pub use bindings::exports::datafog::firewall::firewall as wit;

pub use wasmtime;

/// The component built by `build.rs` (or `DATAFOG_COMPONENT_PATH` at build time).
pub const COMPONENT_PATH: &str = env!("DATAFOG_COMPONENT");

/// The bytes of [`COMPONENT_PATH`], embedded at build time.
pub static EMBEDDED: &[u8] = include_bytes!(env!("DATAFOG_COMPONENT"));

/// A directory of this build for compile caches (tests; a server is given its own).
pub const BUILD_CACHE_DIR: &str = env!("OUT_DIR");

/// `DATAFOG_COMPONENT_PATH` if set at run time, else [`COMPONENT_PATH`].
pub fn component_path() -> PathBuf {
    std::env::var_os("DATAFOG_COMPONENT_PATH")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(COMPONENT_PATH))
}

/// Store data: an empty WASI context, a resource table and the store's limits.
pub struct Ctx {
    wasi: WasiCtx,
    table: ResourceTable,
    limits: StoreLimits,
}

impl Ctx {
    /// An empty context; `memory_limit`: the most linear memory the instance may grow to.
    pub fn new(memory_limit: Option<usize>) -> Ctx {
        let mut limits = StoreLimitsBuilder::new().instances(16);
        if let Some(bytes) = memory_limit {
            limits = limits.memory_size(bytes);
        }
        Ctx {
            wasi: WasiCtxBuilder::new().build(),
            table: ResourceTable::new(),
            limits: limits.build(),
        }
    }

    /// For `Store::limiter`.
    pub fn limits(&mut self) -> &mut StoreLimits {
        &mut self.limits
    }
}

impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx").finish_non_exhaustive()
    }
}

impl WasiView for Ctx {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// The pre-instantiated component: WASI linked, the world checked.
pub type GuestPre = bindings::GuestPre<Ctx>;

/// Link WASI 0.2 and pre-instantiate `component`; an error means it does not fit the
/// `datafog:firewall/guest` world (or imports what WASI 0.2 does not offer).
pub fn instance_pre(engine: &Engine, component: &Component) -> wasmtime::Result<GuestPre> {
    let mut linker = Linker::<Ctx>::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    bindings::GuestPre::new(linker.instantiate_pre(component)?)
}

/// Where [`load_or_compile`] got the component from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loaded {
    /// The compilation cached at this path (by [`precompile`] or an earlier start): no compiling.
    Cached(PathBuf),
    /// Compiled now; `cached`: where the compilation was written for the next start (`None`: no
    /// cache directory, or it could not be written, which was reported on stderr).
    Compiled { cached: Option<PathBuf> },
}

/// The cache file of `wasm` for `engine` in `dir`: its name is a hash of the component bytes and
/// the engine's compatibility hash (wasmtime version and settings), so a new component or
/// wasmtime never loads a stale artifact.
pub fn cache_path(engine: &Engine, wasm: &[u8], dir: &Path) -> PathBuf {
    let mut h = DefaultHasher::new();
    wasm.hash(&mut h);
    engine.precompile_compatibility_hash().hash(&mut h);
    dir.join(format!("datafog-{:016x}.cwasm", h.finish()))
}

/// [`load_or_compile`] without saying which it did.
pub fn load_cached(
    engine: &Engine,
    wasm: &[u8],
    dir: Option<&Path>,
) -> wasmtime::Result<Component> {
    load_or_compile(engine, wasm, dir).map(|(c, _)| c)
}

/// Compile `wasm`, or load the compilation cached in `dir` ([`cache_path`]) by a compatible
/// engine. A cached file that wasmtime refuses (another build, a damaged file) is reported on
/// stderr and replaced. After compiling, the compilation is written to `dir` as [`precompile`]
/// writes it. A cache that cannot be read or written is only reported on stderr: the component
/// is compiled instead.
pub fn load_or_compile(
    engine: &Engine,
    wasm: &[u8],
    dir: Option<&Path>,
) -> wasmtime::Result<(Component, Loaded)> {
    let Some(dir) = dir else {
        return Ok((
            Component::new(engine, wasm)?,
            Loaded::Compiled { cached: None },
        ));
    };
    let cache = cache_path(engine, wasm, dir);
    if let Some(c) = deserialize(engine, &cache) {
        return Ok((c, Loaded::Cached(cache)));
    }
    let component = Component::new(engine, wasm)?;
    let cached = match component.serialize() {
        Ok(bytes) => match write_atomically(dir, &cache, &bytes) {
            Ok(()) => Some(cache),
            Err(e) => {
                eprintln!(
                    "datafog: could not cache the compiled component in {}: {e}",
                    dir.display()
                );
                None
            }
        },
        Err(_) => None,
    };
    Ok((component, Loaded::Compiled { cached }))
}

/// Compile `wasm` for `engine` into `dir` (the file [`load_or_compile`] looks for), unless a
/// compatible compilation is already there. Returns its path and whether it was compiled now.
/// The file is written whole and synced, then renamed into place, and the directory synced: a
/// crash leaves the old state or the new file, never a torn one.
pub fn precompile(engine: &Engine, wasm: &[u8], dir: &Path) -> wasmtime::Result<(PathBuf, bool)> {
    let cache = cache_path(engine, wasm, dir);
    if deserialize(engine, &cache).is_some() {
        return Ok((cache, false));
    }
    let bytes = engine.precompile_component(wasm)?;
    write_atomically(dir, &cache, &bytes).map_err(|e| {
        wasmtime::Error::msg(format!(
            "write the compiled component to `{}`: {e}",
            cache.display()
        ))
    })?;
    Ok((cache, true))
}

/// The component cached at `cache`, if there is one `engine` accepts.
fn deserialize(engine: &Engine, cache: &Path) -> Option<Component> {
    if !cache.is_file() {
        return None;
    }
    // SAFETY: the file was written by `Component::serialize` or `Engine::precompile_component`
    // (`write_atomically`) for an engine with the same compatibility hash (it is in the file
    // name), in a directory the operator (or this build) owns; wasmtime also checks the header
    // and refuses an incompatible artifact.
    #[allow(unsafe_code)]
    let loaded = unsafe { Component::deserialize_file(engine, cache) };
    match loaded {
        Ok(c) => Some(c),
        Err(e) => {
            eprintln!(
                "datafog: ignoring the cached component {} ({e}); recompiling",
                cache.display()
            );
            None
        }
    }
}

/// Write `bytes` to `cache` in `dir`: compilations of other builds are removed first (each is a
/// few MB); then a temporary file of a name no other writer uses (several processes may share
/// `dir`) is written, synced and renamed into place, and `dir` is synced.
fn write_atomically(dir: &Path, cache: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.filter_map(Result::ok) {
            let name = e.file_name();
            let name = name.to_string_lossy();
            if name.starts_with("datafog-") && name.ends_with(".cwasm") {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    // Other processes, and other threads of this one.
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::fs::create_dir_all(dir)?;
    let tmp = cache.with_extension(format!("tmp{}-{n}", std::process::id()));
    let written = std::fs::File::create(&tmp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    let renamed = written.and_then(|()| std::fs::rename(&tmp, cache));
    if renamed.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    renamed?;
    // The rename itself is durable once the directory is synced (a no-op where a directory
    // cannot be opened for it).
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The handshake: `Ok` when the guest's core version (`core-version`) is this program's
/// (`datafog::CORE_VERSION`), else a message naming both.
pub fn check_version(guest: &str) -> Result<(), String> {
    if guest == datafog::CORE_VERSION {
        Ok(())
    } else {
        Err(format!(
            "the component's core is `{guest}`, this program's is `{}`: they were built from different sources (rebuild both, or unset DATAFOG_COMPONENT_PATH)",
            datafog::CORE_VERSION
        ))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_handshake_names_both_versions() {
        assert!(super::check_version(datafog::CORE_VERSION).is_ok());
        let e = super::check_version("0.0.1+0000000000000000").unwrap_err();
        assert!(e.contains("`0.0.1+0000000000000000`"), "{e}");
        assert!(e.contains(datafog::CORE_VERSION), "{e}");
    }
}
