//! `datafog-shim`: the DataFog policy gate for commands, files and agent hooks (see `docs/shim.md`).

pub mod scan;
pub mod verify;
