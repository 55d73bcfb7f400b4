//! One black-box HTTP conformance suite for every host: the same tests, over real sockets,
//! against the native `datafog-api`, the Spin app's `wasmtime serve` build under `wasmtime serve`
//! and its Spin 3 build under `spin3-host` (`tests/src/bin/spin3-host.rs`) (`hosts`). Nothing
//! here calls a host's Rust code: requests go to a base URL through a small HTTP/1.1 client
//! (`client`) that can also send malformed requests. What differs between the hosts is declared
//! once, in `hosts::Caps`, with the reason.
//!
//! ```sh
//! cargo build -p datafog-host --bin datafog-api && cargo build -p datafog-shim
//! DATAFOG_CONFORMANCE_HOSTS=native cargo test -p datafog-conformance --test conformance
//! ```
//!
//! Topics: `routes` (every route's happy path, checked against `docs/openapi.json` by `schema`),
//! `errors` (every documented error), `limits` (1 MiB, UTF-8), `auth` (token on every route,
//! CORS), `idempotency`, `receipts` (receipts, the chain, the export verified by the shim,
//! events, no PII written down), `metrics`, `corpus` (the golden detect corpus through
//! `/v1/scan`), and `edge` (the edge only: broken variables are a 503 naming them, a store that
//! refuses writes acknowledges nothing; each test launches its own `wasmtime serve`).
//!
//! `GET /v1/receipts/export` is needed by `receipts::export_is_the_verified_chain_in_order`,
//! `receipts::export_requires_the_token` and `receipts::no_raw_value_in_receipts_events_or_export`
//! (the chain check runs `<target>/<profile>/datafog-shim receipts verify`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure is a test failure"
)]

mod client;
mod hosts;
mod schema;
mod support;

mod auth;
mod corpus;
mod edge;
mod errors;
mod idempotency;
mod limits;
mod metrics;
mod receipts;
mod routes;
