//! `datafog-shim` integration tests: one binary, a module per topic. Each runs the real
//! `datafog-shim` binary as a subprocess: `e2e` against a real `datafog-api` (and offline, through
//! wrappers and the Claude Code hook protocol), `scan` on temp trees, `verify` on receipt chains.

// clippy.toml allows these inside `#[test]` functions; the shared helpers need it too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure is a test failure"
)]

mod audit;
mod boundary;
mod e2e;
mod hook_memory;
mod policy;
mod scan;
mod verify;
