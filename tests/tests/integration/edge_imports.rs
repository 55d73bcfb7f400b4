//! The edge app's two builds import exactly what their runtimes provide (`spin/README.md`, "Two
//! builds"): the `wasmtime serve` build (`cargo build -p datafog-spin`) and the Spin 3 build
//! (`spin/spin.toml`'s build command, `--features spin`). A runtime refuses a component with an
//! import it does not provide, so an import outside these lists is a deploy that fails on start.
//! There is no Spin CLI on this machine: the Spin 3 list is the `platform` world of spin-sdk 5.2
//! (`spin:up@3.6.0`), the interfaces Spin 3 hosts implement.
//!
//! The artifacts are built by `scripts/test` before the tests run; a missing one fails the test
//! with the command that builds it.

use std::path::{Path, PathBuf};

use datafog_embed::wasmtime::component::Component;
use datafog_embed::wasmtime::{Config, Engine};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `<target>` of this test binary (`<target>/debug/deps/integration-HASH`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).unwrap().to_path_buf()
}

/// `(imports, exports)` of the component at `path`.
fn interfaces(path: &Path, build: &str) -> (Vec<String>, Vec<String>) {
    assert!(
        path.exists(),
        "{} is missing; build it with: {build}",
        path.display()
    );
    let engine = Engine::new(&Config::new()).unwrap();
    let c = Component::from_file(&engine, path).unwrap();
    let ty = c.component_type();
    (
        ty.imports(&engine).map(|(n, _)| n.to_owned()).collect(),
        ty.exports(&engine).map(|(n, _)| n.to_owned()).collect(),
    )
}

/// WASI 0.2 interfaces every WASI 0.2 HTTP host provides (any 0.2.x patch version).
fn wasi_p2(name: &str) -> bool {
    [
        "cli",
        "clocks",
        "filesystem",
        "http",
        "io",
        "random",
        "sockets",
    ]
    .iter()
    .any(|pkg| name.starts_with(&format!("wasi:{pkg}/")))
        && name.contains("@0.2.")
}

/// `extra`: imports allowed besides WASI 0.2 (each must be present: the build uses them all).
fn check(path: &Path, build: &str, extra: &[&str], forbidden: &[&str]) {
    let (imports, exports) = interfaces(path, build);
    for e in extra {
        assert!(
            imports.iter().any(|i| i == e),
            "{}: does not import {e}: {imports:?}",
            path.display()
        );
    }
    assert!(
        exports
            .iter()
            .any(|e| e == "wasi:http/incoming-handler@0.2.0"),
        "{}: exports {exports:?}",
        path.display()
    );
    assert!(
        !exports.iter().any(|e| e.starts_with("datafog:")),
        "{}: the core's own exports leaked into the app: {exports:?}",
        path.display()
    );
    for i in &imports {
        assert!(
            wasi_p2(i) || extra.contains(&i.as_str()),
            "{}: import {i} is not provided by its runtime",
            path.display()
        );
        assert!(
            !forbidden.iter().any(|f| i.starts_with(f)),
            "{}: import {i} must not be used by this build",
            path.display()
        );
    }
}

#[test]
fn the_wasmtime_serve_build_imports_what_wasmtime_serve_provides() {
    check(
        &target_dir().join("wasm32-wasip2/release/datafog_spin.wasm"),
        "cargo build --release --target wasm32-wasip2 -p datafog-spin",
        // `-S config`: wasmtime 48/49 implement this version.
        &["wasi:config/store@0.2.0-rc.1"],
        // wasmtime's in-memory `wasi:keyvalue` keeps nothing between requests.
        &["wasi:keyvalue/", "fermyon:", "spin:"],
    );
}

#[test]
fn the_spin_build_imports_what_spin_3_provides() {
    let manifest = std::fs::read_to_string(repo().join("spin/spin.toml")).unwrap();
    assert!(
        manifest.contains("--features spin"),
        "spin.toml builds the Spin 3 build"
    );
    check(
        &repo().join("target/spin/wasm32-wasip2/release/datafog_spin.wasm"),
        "cd spin && the [component.datafog.build] command of spin.toml",
        &[
            "wasi:keyvalue/store@0.2.0-draft2",
            "wasi:keyvalue/atomics@0.2.0-draft2",
            "wasi:config/store@0.2.0-draft-2024-09-27",
        ],
        &[
            "wasi:config/store@0.2.0-rc.1",
            "wasi:keyvalue/store@0.2.0-draft@",
        ],
    );
}
