//! DataFog core: **detect** sensitive entities, **decide** by a JSON policy, **transform** text by a
//! plan, and build hash-chained **receipts**. Pure: no I/O, no clock, no randomness — time, ids and
//! keys are inputs. (One helper for the front-ends reads a file, `policy::read_policy_file`, so that
//! every one bounds a policy file the same way; nothing in the core calls it.) The same crate
//! builds natively (rlib) and as a WASI 0.2 component (cdylib on `wasm32-wasip2`, exporting `wit/`
//! world `datafog:firewall/guest`).

pub mod api;
pub mod detect;
pub mod entity;
pub mod policy;
pub mod receipt;
pub mod stream;
pub mod transform;

#[cfg(all(target_arch = "wasm32", feature = "guest"))]
mod guest;

/// The core's version: the crate version and a digest of the core's sources and WIT (see
/// `build.rs`). The guest exports it (`core-version`); the native host refuses a guest whose
/// version differs from its own, since it also runs core code natively.
pub const CORE_VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "+", env!("DATAFOG_CORE_DIGEST"));

pub use detect::{OffsetUnit, ScanOptions, TypeFilter, scan, scan_all};
pub use entity::{EntityType, Finding};
pub use policy::{Action, Decision, Effect, Policy};
pub use transform::{Mode, TransformStep};
