//! DataFog at the edge: the HTTP API (`docs/openapi.json`) as a Spin HTTP application
//! (`wasi:http/incoming-handler@0.2.0`, spin-sdk 5.2). The core is linked in as a library; every
//! route is one call into `datafog::api` (the same handlers the native host runs in its
//! component), and the framework-free rules (routing, auth, envelope) are
//! `datafog::api::http`. See `spin/README.md`.
//!
//! - [`app`]: the request path, platform-free (tested natively);
//! - [`config`]: the variables;
//! - [`state`]: receipts, the chain, events, idempotency records and metrics in a key-value
//!   store;
//! - `platform` (wasm32 only): the `wasi:http` handler, the store backends and the variables of
//!   the two builds (`wasmtime serve`, and Spin 3 with `--features spin`).

pub mod app;
pub mod config;
pub mod dir;
pub mod state;

#[cfg(target_arch = "wasm32")]
mod platform;

#[cfg(test)]
mod tests;
