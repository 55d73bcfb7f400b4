//! `datafog-api` integration tests: one binary, a module per topic. Router tests call
//! `app(state)` with `tower::ServiceExt::oneshot`; `socket` starts the real binary on port 0;
//! `openapi` checks `docs/openapi.json` against the real router.

// clippy.toml allows these inside `#[test]` functions; the shared helpers need it too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure is a test failure"
)]

mod support;

mod bounds;
mod canary;
mod checkpoints;
mod console;
mod errors;
mod guest;
mod idempotency;
mod logs;
mod openapi;
mod precompile;
mod receipts;
mod reload;
mod routes;
mod socket;
mod startup;
