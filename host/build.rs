//! Builds the guest component and embeds it in `datafog-api` (the model is wasmtime's
//! `crates/test-programs/artifacts/build.rs`, like `tests/build.rs`): a nested
//! `cargo build --release --target wasm32-wasip2 -p datafog-component` with its own target dir, so
//! it never waits on the lock the outer cargo holds. `src/runtime.rs` embeds the artifact with
//! `include_bytes!(env!("DATAFOG_COMPONENT"))`.
//!
//! - `DATAFOG_COMPONENT_PATH=/path/to/x.wasm` at build time embeds that component instead (the
//!   server also honours it at run time, without rebuilding).
//! - The nested target dir is `$CARGO_TARGET_DIR/guest` when `CARGO_TARGET_DIR` is set, else
//!   `<workspace>/target/guest` (shared with `tests/build.rs`: the guest is built once).

use std::env;
use std::path::PathBuf;
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";

fn main() {
    if let Err(e) = run() {
        eprintln!("datafog-host build script: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    println!("cargo:rerun-if-env-changed=DATAFOG_COMPONENT_PATH");
    if let Some(path) = env::var_os("DATAFOG_COMPONENT_PATH").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        println!("cargo:rerun-if-changed={}", path.display());
        println!("cargo:rustc-env=DATAFOG_COMPONENT={}", path.display());
        return Ok(());
    }
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").ok_or("no CARGO_MANIFEST_DIR")?);
    let root = manifest_dir
        .parent()
        .ok_or("host/ has no parent")?
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
        // Outer-build flags and wrappers (clippy) must not leak into the wasm build.
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
    Ok(())
}

/// `rustup target add wasm32-wasip2` when the sysroot lacks it (a `rust-toolchain.toml` `targets`
/// list is not installed automatically here).
fn ensure_target_installed() {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let installed = Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .is_some_and(|s| s.join("lib").join("rustlib").join(TARGET).is_dir());
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
