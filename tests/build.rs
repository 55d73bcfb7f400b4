//! Builds the guest component for the conformance tests: `src/wasm.rs` loads
//! `env!("DATAFOG_COMPONENT")` (see `datafog-build` for the nested build,
//! `DATAFOG_COMPONENT_PATH` and the target dir).

fn main() {
    if let Err(e) = datafog_build::guest_component() {
        eprintln!("datafog-conformance build script: {e}");
        std::process::exit(1);
    }
}
