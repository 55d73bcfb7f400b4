//! Every call the host makes into the core natively, outside the guest, in one place. Each runs
//! here for a measured reason (`docs/decisions/0002-native-seal.md`), and each is safe only
//! because the guest is the same core: `runtime` refuses to start on a component whose
//! `core-version` is not this binary's `datafog::CORE_VERSION`.
//!
//! - [`seal`]: link a receipt into the chain (`prev_hash`, `hash`: one SHA-256) under the chain
//!   head's mutex. In the guest this would serialise a guest call per receipt behind the mutex;
//!   natively the decision runs in parallel in the guest and only the seal is serialised.
//! - [`verify_line`]: the receipts file at start-up (the whole file: a guest call per line
//!   would copy every line across the boundary).
//! - [`fingerprint_decide`] and the other `fingerprint_*` (`datafog::api`), the idempotency
//!   digest and [`replay_decide`]: the idempotency cache runs before any guest call, and a replay
//!   needs no guest at all.
//! - The list queries (`datafog::api::lists`) and `/health`'s body: pure functions of stored lines
//!   and of the identity the guest reported.

use datafog::receipt::{self, Receipt};

pub use datafog::api::{
    fingerprint_anonymize, fingerprint_decide, fingerprint_scan, fingerprint_transform,
    replay_decide,
};
/// The keyed digest a receipt records for an idempotency key (`idempotency_key_digest`).
pub use datafog::receipt::idempotency_digest;
pub use datafog::receipt::verify_line;

/// [`seal`] into chain `chain_id` (the PostgreSQL store's per-replica chains; empty: [`seal`]):
/// the receipt gets a `chain_id` member (`datafog::receipt::seal_line_in_chain`, or parse, set and
/// reseal).
pub fn seal_in_chain(
    line: &str,
    prev_hash: &str,
    chain_id: &str,
) -> Result<(String, String), String> {
    if chain_id.is_empty() {
        return seal(line, prev_hash);
    }
    if let Some(sealed) = receipt::seal_line_in_chain(line, prev_hash, chain_id) {
        return Ok(sealed);
    }
    let mut r: Receipt = serde_json::from_str(line)
        .map_err(|e| format!("the component returned an unreadable receipt: {e}"))?;
    chain_id.clone_into(&mut r.chain_id);
    r.reseal(prev_hash);
    Ok((r.canonical_json(), r.hash))
}

/// Seal an unsealed receipt line (as `decide-request` returns it with an empty `prev_hash`) with
/// `prev_hash`: the sealed line and its `hash`. Splices `prev_hash` and `hash` into the line
/// (`datafog::receipt::reseal_line`: the same bytes as parsing, `Receipt::reseal` and
/// re-serialising, which remains the fallback). An error names the problem, never the line.
pub fn seal(line: &str, prev_hash: &str) -> Result<(String, String), String> {
    if let Some(sealed) = receipt::reseal_line(line, prev_hash) {
        return Ok(sealed);
    }
    let mut r: Receipt = serde_json::from_str(line)
        .map_err(|e| format!("the component returned an unreadable receipt: {e}"))?;
    r.reseal(prev_hash);
    Ok((r.canonical_json(), r.hash))
}
