//! DataFog as an Envoy HTTP filter (proxy-wasm ABI 0.2.1, built for wasm32-wasip1). The core is
//! linked as a library; `config` and `gate` are plain Rust (tested natively), `filter` is the
//! proxy-wasm glue, compiled for wasm32 only. See envoy/README.md.

pub mod config;
pub mod gate;

#[cfg(target_arch = "wasm32")]
mod filter;
