//! DataFog core: **detect** sensitive entities, **decide** by a JSON policy, **transform** text by a
//! plan, and build hash-chained **receipts**. Pure: no I/O, no clock, no randomness — time, ids and
//! keys are inputs. The same crate builds natively (rlib) and as a WASI 0.2 component (cdylib on
//! `wasm32-wasip2`, exporting `wit/` world `datafog:firewall/guest`).

pub mod api;
pub mod detect;
pub mod entity;
pub mod policy;
pub mod receipt;
pub mod transform;

#[cfg(target_arch = "wasm32")]
mod guest;

pub use detect::{OffsetUnit, ScanOptions, TypeFilter, scan, scan_all};
pub use entity::{EntityType, Finding};
pub use policy::{Action, Decision, Effect, Policy};
pub use transform::{Mode, TransformStep};
