//! `datafog-files`: the rules for the files DataFog writes outside the receipts writer, one copy
//! shared by the native host (`datafog-api`) and the shim (`datafog-shim`). No wasmtime and no
//! async runtime, so the shim keeps its start-up time. The pure halves live in the core
//! (`datafog::receipt::tail`); this crate does the I/O.
//!
//! # Durable creation ([`durable`])
//! A file DataFog creates and later relies on (receipts, the token key, events) is created so
//! that a crash cannot lose it once it was used: missing directories are created with mode 0750
//! and each new directory entry is synced into its parent; a new file is created exclusively
//! (`O_CREAT | O_EXCL`) with the caller's mode and its directory entry synced before the file is
//! used. An existing file is opened as it is (never truncated).
//!
//! # The token key ([`load_or_create_key`])
//! The key of tokens, hashes and receipt `value_digest`s. An existing key file is used as it is
//! when it holds **at least 16 bytes**; a shorter one (empty included) is refused with an error
//! naming the file (delete it to generate a new one). A missing key is created: 32 bytes from the
//! OS random source, written whole to a temporary file of mode 0600 beside it and synced, then
//! hard-linked into place (the link fails if the name exists, so no process ever reads a
//! half-written key) and the directory entry synced, so no token or digest handed out under a key
//! can outlive the key in a crash. When processes race to create it, the losers read the winner's
//! key. (Linking needs a file system with hard links, as every local Unix file system has.)
//!
//! The checkpoint key ([`key::load_or_create_checkpoint_seed`]) follows the same rule with one
//! difference: it is an Ed25519 seed, so an existing file must hold exactly 32 bytes.
//!
//! # Signed checkpoints ([`checkpoint`])
//! Every N receipts, at start when the chain moved past the last checkpoint, and at shutdown, the
//! host appends to `<receipts>.checkpoints` a checkpoint signed with Ed25519: the receipt count
//! and the last `hash`. Someone who keeps the public key and the latest checkpoint they fetched can
//! then detect a receipts file cut short or rewritten (`datafog-shim receipts verify
//! --public-key`). Signing and verification live here, not in the core: the guest and the edge app
//! neither sign nor verify checkpoints, and the core stays free of keys.
//!
//! # Receipt ids ([`random_hex16`])
//! 16 bytes from the OS random source as 32 lowercase hex digits (what the WIT promises). When the
//! random source fails the result is an error, never a fallback id.
//!
//! # The receipts file's tail ([`receipts`])
//! A receipts file is JSONL, one receipt per line, each ended by `\n`. Before appending, a writer
//! settles the tail under the core's rule (`datafog::receipt::tail`): a last line without its
//! newline is cut when it is torn (not a whole JSON object: a write interrupted by a crash, never
//! acknowledged), and kept when it is a whole object; a kept line then gets its newline (synced)
//! before the next append, so two receipts never share a line. After settling, the file is empty
//! or ends with `\n`. Blank lines are skipped. The host applies the rule at start-up while it
//! verifies the whole file; the shim applies it before every offline decision, reading only the
//! tail ([`receipts::chain_head`]).
//!
//! # The PostgreSQL store's shared pieces ([`pg`], feature `pg`)
//! The query that reads a chain in order and the error description used by the host's store and
//! the shim's `receipts verify --store` / `receipts export`.

pub mod checkpoint;
pub mod durable;
pub mod id;
pub mod key;
#[cfg(feature = "pg")]
pub mod pg;
pub mod receipts;

pub use durable::{create_dir_all_durably, open_durably, sync_parent_dir};
pub use id::random_hex16;
pub use key::load_or_create_key;
