//! `receipt_verify`: arbitrary bytes as a receipts file (JSONL) through the chain verifier and the
//! last-line rules (`receipt::tail`), and every line that is a receipt resealed into a fresh chain.
//!
//! Checks (`component/src/receipt/mod.rs`, `tail.rs`): nothing panics; `verify_chain_from` is
//! consistent with itself (a chain that verifies continues from its `last_hash`, and a one-line
//! chain's `last_hash` is the line's `hash` as `tail::hash_of` reads it, and that line is not torn);
//! `canonical_json` is canonical JSON (re-canonicalising it through a `Value` gives the same text);
//! receipts resealed in order with `Receipt::reseal` always form a chain that verifies, with the
//! right count and last hash; and `reseal_line` of an unsealed canonical line gives exactly what
//! `reseal` then `canonical_json` give.
#![no_main]

use datafog::receipt::{
    GENESIS_HASH, Receipt, canonical, reseal_line, tail, verify_chain, verify_chain_from,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for line in data.split(|&b| b == b'\n') {
        let _ = tail::is_torn(line);
        let _ = tail::hash_of(line);
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let whole = verify_chain(text.split('\n'));
    if let Ok(summary) = &whole {
        // Verified from genesis: continuing from the last hash over nothing changes nothing.
        let again = verify_chain_from(&summary.last_hash, std::iter::empty());
        assert_eq!(again.map(|s| s.last_hash), Ok(summary.last_hash.clone()));
    }
    let mut receipts = Vec::new();
    for line in text.split('\n') {
        let raw = line.trim();
        // Each line as a one-receipt chain from its own `prev_hash`.
        if let Some(Ok(prev)) = serde_json::from_str::<serde_json::Value>(raw)
            .ok()
            .map(|v| match v.get("prev_hash") {
                Some(serde_json::Value::String(p)) => Ok(p.clone()),
                _ => Err(()),
            })
            && let Ok(one) = verify_chain_from(&prev, std::iter::once(raw))
        {
            assert_eq!(one.count, 1);
            assert_eq!(
                tail::hash_of(raw.as_bytes()),
                Some(one.last_hash),
                "hash_of disagrees"
            );
            assert!(!tail::is_torn(raw.as_bytes()), "a verified line is torn");
        }
        let Ok(r) = serde_json::from_str::<Receipt>(raw) else {
            continue;
        };
        let line = r.canonical_json();
        let value: serde_json::Value = serde_json::from_str(&line).expect("canonical_json is JSON");
        assert!(canonical(&value) == line, "canonical_json is not canonical");
        if r.hash.is_empty() && r.prev_hash.is_empty() {
            let mut sealed = r.clone();
            sealed.reseal(GENESIS_HASH);
            let want = (sealed.canonical_json(), sealed.hash.clone());
            if let Some(got) = reseal_line(&line, GENESIS_HASH) {
                assert!(got == want, "reseal_line disagrees with reseal");
            }
        }
        receipts.push(r);
    }
    if receipts.is_empty() {
        return;
    }
    let mut prev = GENESIS_HASH.to_owned();
    let mut lines = Vec::new();
    for r in &mut receipts {
        r.reseal(&prev);
        assert!(r.is_sealed());
        prev.clone_from(&r.hash);
        lines.push(r.canonical_json());
    }
    let chain = lines.join("\n");
    let summary = verify_chain(chain.lines()).expect("a chain sealed by reseal verifies");
    assert_eq!(summary.count, receipts.len());
    assert_eq!(summary.last_hash, prev);
});
