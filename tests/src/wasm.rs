//! The component in wasmtime, for the conformance tests: `datafog-embed`'s typed client (the one
//! the native host uses), whose methods take and return the core's own types, so a test can
//! `assert_eq!(native, component)`.
//!
//! - The component is `datafog-embed`'s build artifact ([`COMPONENT_PATH`]), or
//!   `DATAFOG_COMPONENT_PATH` at run time to test another build of the same world.
//! - Compiled once per process (`OnceLock`), and once per artifact across processes (the
//!   compilation is cached in `datafog-embed`'s build directory), so only the first test run pays
//!   Cranelift's compile time.
//! - Instantiating through `bindgen!` proves the component exports exactly the world in `wit/`.

use std::sync::OnceLock;

use datafog::receipt::Receipt;
use datafog_embed::wasmtime::{Config, Engine, Store};
use datafog_embed::{Ctx, GuestPre};

pub use datafog_embed::wasmtime::Result;
pub use datafog_embed::{COMPONENT_PATH, Decided, PolicyHandle, component_path, wit};

/// One instance of the component in its own store.
pub type Guest = datafog_embed::Instance;

struct Compiled {
    engine: Engine,
    pre: GuestPre,
    compile_ms: u128,
}

fn compiled() -> &'static Compiled {
    static COMPILED: OnceLock<Compiled> = OnceLock::new();
    COMPILED.get_or_init(|| compile().unwrap_or_else(|e| panic!("load the component: {e:?}")))
}

fn compile() -> Result<Compiled> {
    let started = std::time::Instant::now();
    let engine = Engine::new(&Config::new())?;
    let path = component_path();
    let wasm = std::fs::read(&path)
        .map_err(|e| datafog_embed::wasmtime::format_err!("read {}: {e}", path.display()))?;
    let dir = std::path::Path::new(datafog_embed::BUILD_CACHE_DIR);
    let component = datafog_embed::load_cached(&engine, &wasm, Some(dir))?;
    let pre = datafog_embed::instance_pre(&engine, &component)?;
    Ok(Compiled {
        engine,
        pre,
        compile_ms: started.elapsed().as_millis(),
    })
}

/// Milliseconds spent compiling (or loading the cached compilation of) the component.
pub fn compile_ms() -> u128 {
    compiled().compile_ms
}

/// A fresh instance (the component is compiled once per process).
pub fn guest() -> Result<Guest> {
    let c = compiled();
    Guest::new(&c.pre, Store::new(&c.engine, Ctx::new(None)))
}

/// The receipt parsed back from its stored line; the record's chain fields must be the line's.
pub fn receipt_of(r: &wit::Receipt) -> Receipt {
    let receipt: Receipt = serde_json::from_str(&r.line)
        .unwrap_or_else(|e| panic!("receipt line is not a receipt ({e}): {}", r.line));
    assert_eq!(receipt.receipt_id, r.receipt_id, "receipt-id field vs line");
    assert_eq!(receipt.prev_hash, r.prev_hash, "prev-hash field vs line");
    assert_eq!(receipt.hash, r.hash, "hash field vs line");
    receipt
}
