//! The guest build, called by `datafog-embed`'s build script (the one crate that embeds the
//! component; the host and the conformance tests get it from there). The model is wasmtime's
//! `crates/test-programs/artifacts/build.rs`: a nested
//! `cargo build --release --target wasm32-wasip2 -p datafog-component` with its own target dir, so
//! it never waits on the lock the outer cargo holds. The artifact path is given to the calling
//! crate as `env!("DATAFOG_COMPONENT")`.
//!
//! - `DATAFOG_COMPONENT_PATH=/path/to/x.wasm` at build time skips the nested build and uses that
//!   component instead (the host and the conformance tests also honour it at run time).
//! - The nested target dir is `$CARGO_TARGET_DIR/guest` when `CARGO_TARGET_DIR` is set, else
//!   `<workspace>/target/guest`: one dir for every outer profile and both crates (the guest is
//!   always built in release, so it is built once).

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";

/// Build (or locate) the guest component and export its path as `DATAFOG_COMPONENT` to the crate
/// whose build script calls this (a crate one folder below the workspace root).
pub fn guest_component() -> Result<PathBuf, String> {
    println!("cargo:rerun-if-env-changed=DATAFOG_COMPONENT_PATH");
    if let Some(path) = env::var_os("DATAFOG_COMPONENT_PATH").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        println!("cargo:rerun-if-changed={}", path.display());
        println!("cargo:rustc-env=DATAFOG_COMPONENT={}", path.display());
        return Ok(path);
    }
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").ok_or("no CARGO_MANIFEST_DIR")?);
    let root = manifest_dir
        .parent()
        .ok_or_else(|| format!("{} has no parent", manifest_dir.display()))?
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
    let status = Command::new(cargo)
        .current_dir(&root)
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
        .env_remove("CARGO_TARGET_DIR")
        .status()
        .map_err(|e| format!("could not run the nested cargo build: {e}"))?;
    if !status.success() {
        return Err(format!(
            "nested `cargo build --release --target {TARGET} -p datafog-component` failed ({status})"
        ));
    }
    let wasm = target_dir.join(TARGET).join("release").join("datafog.wasm");
    if !wasm.is_file() {
        return Err(format!("the guest build produced no {}", wasm.display()));
    }
    println!("cargo:rustc-env=DATAFOG_COMPONENT={}", wasm.display());
    Ok(wasm)
}

/// `rustup target add wasm32-wasip2` when the sysroot lacks it (RUSTUP_AUTO_INSTALL=0 here, and a
/// `rust-toolchain.toml` `targets` list is not installed automatically).
fn ensure_target_installed() {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let installed = Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .is_some_and(|s| Path::is_dir(&s.join("lib").join("rustlib").join(TARGET)));
    if installed {
        return;
    }
    match Command::new("rustup")
        .args(["target", "add", TARGET])
        .status()
    {
        Ok(s) if s.success() => {}
        other => println!(
            "cargo:warning=`rustup target add {TARGET}` failed ({other:?}); the guest build may fail"
        ),
    }
}
