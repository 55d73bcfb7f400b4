//! Size, compile time, and instantiate-plus-first-call time of one or more builds of the component
//! (docs/embedding.md, "Strict hosts"; docs/benchmarks.md). For each file given (default: the
//! wasm32-wasip2 build the tests use):
//!
//! `cargo run --release -p datafog-conformance --example first_call -- A.wasm B.wasm ...`
//!
//! prints its size, whether it links with no imports at all (an empty linker), the Cranelift compile
//! time, and the medians over fresh instances of: instantiate, the first `scan-text` of a 1 KB text
//! (the Node and Python benches' 1 KB) on that instance, and a second one (warm). A pre-initialised
//! build (`wasmtime wizer`) should show a first call close to the second. The first line is the
//! same scan natively (the process's first scan, then the median of 2,000).

use std::hint::black_box;
use std::time::Instant;

use datafog_embed::wasmtime::component::{Component, Linker};
use datafog_embed::wasmtime::{Config, Engine, Store};
use datafog_embed::{Ctx, GuestPre, Instance, component_path};

const INSTANCES: usize = 200;

fn main() {
    let mut paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        paths.push(component_path().display().to_string());
    }
    let text = one_kb();
    println!(
        "{:<28} {:>10} {:>8} {:>11} {:>13} {:>12} {:>12}",
        "component", "bytes", "imports", "compile ms", "instantiate", "first call", "second call"
    );
    native(&text);
    for path in &paths {
        if let Err(e) = measure(path, &text) {
            eprintln!("{path}: {e:?}");
            std::process::exit(1);
        }
    }
    println!(
        "(medians over {INSTANCES} fresh instances; first/second call: `scan-text` of {} bytes of tests/corpus/bench/sample.txt)",
        text.len()
    );
}

/// The first 1,024 bytes of `tests/corpus/bench/sample.txt`, cut back to a character boundary: the
/// text the Node and Python benches call "1 KB".
fn one_kb() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/bench/sample.txt");
    let sample = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    let mut cut = sample.len().min(1024);
    while !sample.is_char_boundary(cut) {
        cut -= 1;
    }
    sample[..cut].to_owned()
}

/// The same scan natively (`datafog::detect::scan_all`, what the guest's `scan-text` runs): no
/// compile, no instance; "first call" is the process's first scan (the lazily built tables).
fn native(text: &str) {
    let t = Instant::now();
    black_box(datafog::detect::scan_all(black_box(text.as_bytes())));
    let first = t.elapsed().as_secs_f64() * 1e6;
    let mut warm: Vec<_> = (0..INSTANCES * 10)
        .map(|_| {
            let t = Instant::now();
            black_box(datafog::detect::scan_all(black_box(text.as_bytes())));
            t.elapsed()
        })
        .collect();
    warm.sort();
    println!(
        "{:<28} {:>10} {:>8} {:>11} {:>13} {:>9.0} us {:>9.1} us",
        "native core",
        "-",
        "-",
        "-",
        "-",
        first,
        warm[warm.len() / 2].as_secs_f64() * 1e6,
    );
}

fn measure(path: &str, text: &str) -> datafog_embed::wasmtime::Result<()> {
    let wasm = std::fs::read(path)?;
    let engine = Engine::new(&Config::new())?;
    let t = Instant::now();
    let component = Component::new(&engine, &wasm)?;
    let compile_ms = t.elapsed().as_secs_f64() * 1e3;

    // Import-free: it instantiates against a linker that defines nothing.
    let bare = Linker::<Ctx>::new(&engine);
    let import_free = bare.instantiate_pre(&component).is_ok();
    let pre = if import_free {
        GuestPre::new(bare.instantiate_pre(&component)?)?
    } else {
        datafog_embed::instance_pre(&engine, &component)?
    };

    let (mut inst, mut first, mut second) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..INSTANCES {
        let store = Store::new(&engine, Ctx::new(None));
        let t0 = Instant::now();
        let mut guest = Instance::new(&pre, store)?;
        let t1 = Instant::now();
        black_box(guest.scan_text(black_box(text))?);
        let t2 = Instant::now();
        black_box(guest.scan_text(black_box(text))?);
        let t3 = Instant::now();
        inst.push(t1 - t0);
        first.push(t2 - t1);
        second.push(t3 - t2);
    }
    let us = |v: &mut Vec<std::time::Duration>| {
        v.sort();
        v[v.len() / 2].as_secs_f64() * 1e6
    };
    let name = std::path::Path::new(path)
        .file_name()
        .map_or(path.into(), |n| n.to_string_lossy());
    println!(
        "{:<28} {:>10} {:>8} {:>11.0} {:>10.0} us {:>9.0} us {:>9.1} us",
        name,
        wasm.len(),
        if import_free { "none" } else { "WASI" },
        compile_ms,
        us(&mut inst),
        us(&mut first),
        us(&mut second),
    );
    Ok(())
}
