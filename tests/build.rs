//! Builds the guest component for the conformance tests (the model is wasmtime's
//! `crates/test-programs/artifacts/build.rs`): a nested
//! `cargo build --release --target wasm32-wasip2 -p datafog-component` with its own target dir, so
//! it never waits on the lock the outer cargo holds. The artifact path is exposed to the crate as
//! `env!("DATAFOG_COMPONENT")`.
//!
//! - `DATAFOG_COMPONENT_PATH=/path/to/x.wasm` (at build time) skips the nested build and tests that
//!   component instead; `src/wasm.rs` also honours it at run time.
//! - The nested target dir is `$CARGO_TARGET_DIR/guest` when `CARGO_TARGET_DIR` is set, else
//!   `<workspace>/target/guest`. One dir for every outer profile (dev, test, clippy, release): the
//!   guest is always built in release, so it is built once.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";

fn main() {
    println!("cargo:rerun-if-env-changed=DATAFOG_COMPONENT_PATH");
    if let Some(path) = env::var_os("DATAFOG_COMPONENT_PATH").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        println!("cargo:rerun-if-changed={}", path.display());
        println!("cargo:rustc-env=DATAFOG_COMPONENT={}", path.display());
        return;
    }

    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let root = manifest_dir
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf();
    for watched in [
        "component/src",
        "component/Cargo.toml",
        "wit",
        "Cargo.toml",
        "Cargo.lock",
        ".cargo/config.toml",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    println!("cargo:rerun-if-env-changed=CARGO_TARGET_DIR");

    let target_dir = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("guest");

    ensure_target_installed();

    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&root)
        .args([
            "build",
            "--release",
            "--target",
            TARGET,
            "-p",
            "datafog-component",
        ])
        .arg("--target-dir")
        .arg(&target_dir)
        // Flags and wrappers meant for the outer (host) build must not leak into the guest build:
        // host rustflags would break the wasm link, and under `cargo clippy` the workspace wrapper
        // would lint (and re-fingerprint) the guest on every switch between clippy and test.
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("CARGO_BUILD_TARGET")
        .env_remove("CARGO_TARGET_DIR");
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("could not run the nested cargo build: {e}"));
    assert!(
        status.success(),
        "nested `cargo build --release --target {TARGET} -p datafog-component` failed ({status})"
    );

    let wasm = target_dir.join(TARGET).join("release").join("datafog.wasm");
    assert!(wasm.is_file(), "guest build produced no {}", wasm.display());
    println!("cargo:rustc-env=DATAFOG_COMPONENT={}", wasm.display());
}

/// `rustup target add wasm32-wasip2` if the sysroot lacks it (RUSTUP_AUTO_INSTALL=0 here, and a
/// `rust-toolchain.toml` `targets` list is not installed automatically).
fn ensure_target_installed() {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let sysroot = Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let installed = sysroot
        .as_deref()
        .map(|s| s.join("lib").join("rustlib").join(TARGET))
        .is_some_and(|p: PathBuf| Path::is_dir(&p));
    if installed {
        return;
    }
    let status = Command::new("rustup")
        .args(["target", "add", TARGET])
        .status();
    match status {
        Ok(s) if s.success() => {}
        other => println!(
            "cargo:warning=`rustup target add {TARGET}` failed ({other:?}); the guest build may fail"
        ),
    }
}
