//! `datafog-shim`: the DataFog policy gate for commands, files and agent hooks (see `docs/shim.md`).
//!
//! - [`config`]: flags, `DATAFOG_SHIM_*` variables, defaults.
//! - [`backend`]: decisions from a host over HTTP, or from the core in-process (offline mode,
//!   local hash-chained receipts).
//! - [`gate`]: check an action and its payload, record the event, apply the plan.
//! - [`redact`]: local redaction of what the shim writes itself (events, stderr).
//! - [`commands`]: `shell`, `run`, `read-file`, `write-file`; [`exec`] runs the child.
//! - [`wrapper`]: `hooks install|list|uninstall` wrapper scripts (the Go format), `adapters list`.
//! - [`refs`]: file and environment references of a command line (issue 15).
//! - [`claude`]: `hook claude` (Claude Code PreToolUse/PostToolUse) and settings install.
//! - [`memory`]: the Claude Code hook's session memory (keyed digests, 0600 file).
//! - [`exit`]: the shim's exit codes.
//! - [`verify`]: `receipts verify FILE`; [`verify_store`]: `receipts verify --store` and
//!   `receipts export` for a fleet's PostgreSQL store.

pub mod backend;
pub mod claude;
pub mod commands;
pub mod config;
pub mod events;
pub mod exec;
pub mod exit;
pub mod gate;
pub mod json;
pub mod memory;
pub mod redact;
pub mod refs;
pub mod scan;
pub mod stdin;
pub mod verify;
pub mod verify_store;
pub mod wrapper;
