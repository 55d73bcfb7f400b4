//! Builds the guest component (see `datafog-build` for the nested build, `DATAFOG_COMPONENT_PATH`
//! and the target dir); `src/lib.rs` exposes its path and embeds its bytes.

fn main() {
    if let Err(e) = datafog_build::guest_component() {
        eprintln!("datafog-embed build script: {e}");
        std::process::exit(1);
    }
}
