//! Builds the guest component and embeds it in `datafog-api`: `src/runtime.rs` embeds the
//! artifact with `include_bytes!(env!("DATAFOG_COMPONENT"))` (see `datafog-build` for the nested
//! build, `DATAFOG_COMPONENT_PATH` and the target dir).

fn main() {
    if let Err(e) = datafog_build::guest_component() {
        eprintln!("datafog-host build script: {e}");
        std::process::exit(1);
    }
}
