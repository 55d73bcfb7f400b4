//! Idempotency keys (`docs/operations.md`, "Idempotency keys") for `/v1/scan`, `/v1/decide`, `/v1/transform`,
//! `/v1/anonymize`: each endpoint has its own key space; the fingerprint is the core's
//! (`datafog::api::fingerprint_*`). Same key and fingerprint: the first 200 body is replayed
//! verbatim (for decide: the same receipt, no new one). Same key, other fingerprint: 409.
//!
//! Unlike Go, concurrent first requests with one key run once: the key's slot is an async mutex
//! held while the first request runs; the others wait and then replay (or get 409). Only 200s are
//! stored; a failed first request leaves the slot empty for the next one.
//!
//! Bounded three ways: at most [`CAPACITY`] keys per endpoint, each kept [`TTL`] (when a space is
//! full, expired keys go first, then the oldest), and at most [`BYTE_BUDGET`] bytes of stored
//! response bodies across the four spaces (`DATAFOG_IDEMPOTENCY_CACHE_MB`): past it, the oldest
//! stored bodies are dropped (down to 7/8 of the budget, so eviction is not paid on every
//! request), and a body larger than the whole budget is not stored at all.
//!
//! A key whose body was dropped (evicted, or too large) or expired is no longer in memory. A
//! repeated request with it then:
//! - **decide**: is replayed from the receipts file, not run again: the receipt records its key
//!   as `idempotency_key_digest` (keyed HMAC, not the key) and the store indexes the newest
//!   [`crate::receipts::RESTORED_KEYS`] keyed receipts (found at start-up and written since). The
//!   replay is rebuilt from the receipt (`datafog::api::replay_decide`: same receipt id, decision,
//!   rules, plan, findings; confidences rounded to 4 decimals as receipts keep them) if the
//!   receipt is younger than [`TTL`]. The same path serves decide keys across a restart. Only a
//!   key older than [`TTL`] or beyond the newest `RESTORED_KEYS` keyed receipts runs again (a new
//!   decision, a new receipt), as in Go.
//! - **scan, transform, anonymize**: runs again. They write nothing durable and the core is
//!   deterministic for the same input and token key, so the result is the same; only
//!   `request_id`/`trace_id` echo the repeated request instead of the first one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Keys kept per endpoint.
pub const CAPACITY: usize = 4096;
/// How long a key is remembered.
pub const TTL: Duration = Duration::from_secs(30 * 60);
/// Bytes of stored response bodies kept across the four key spaces (default of
/// `DATAFOG_IDEMPOTENCY_CACHE_MB`).
pub const BYTE_BUDGET: usize = 64 << 20;

/// The endpoints with idempotency keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    Scan = 0,
    Decide = 1,
    Transform = 2,
    Anonymize = 3,
}

/// A stored result: the fingerprint and the response body.
pub type Stored = Option<(String, Arc<[u8]>)>;
/// One key's slot: locked while its first request runs.
pub type Slot = Arc<tokio::sync::Mutex<Stored>>;

#[derive(Debug)]
struct Entry {
    at: Instant,
    slot: Slot,
    /// Bytes of the body stored in `slot` (0 while its first request runs).
    bytes: usize,
}

#[derive(Debug, Default)]
struct Spaces {
    maps: [HashMap<String, Entry>; 4],
    /// Sum of `bytes` over every entry.
    bytes: usize,
}

impl Spaces {
    fn remove(&mut self, space: usize, key: &str) {
        if let Some(e) = self.maps.get_mut(space).and_then(|m| m.remove(key)) {
            self.bytes = self.bytes.saturating_sub(e.bytes);
        }
    }
}

/// The four key spaces.
#[derive(Debug)]
pub struct IdempotencyCache {
    spaces: Mutex<Spaces>,
    capacity: usize,
    ttl: Duration,
    budget: usize,
}

impl Default for IdempotencyCache {
    fn default() -> Self {
        IdempotencyCache::new(CAPACITY, TTL)
    }
}

impl IdempotencyCache {
    pub fn new(capacity: usize, ttl: Duration) -> IdempotencyCache {
        IdempotencyCache::with_budget(capacity, ttl, BYTE_BUDGET)
    }

    /// `budget`: bytes of stored bodies kept across the four spaces.
    pub fn with_budget(capacity: usize, ttl: Duration, budget: usize) -> IdempotencyCache {
        IdempotencyCache {
            spaces: Mutex::default(),
            capacity: capacity.max(1),
            ttl,
            budget,
        }
    }

    /// Bytes of response bodies held now.
    pub fn bytes(&self) -> usize {
        self.spaces.lock().map(|s| s.bytes).unwrap_or(0)
    }

    /// The slot of `key` (a new empty one if the key is unknown or expired).
    pub fn slot(&self, endpoint: Endpoint, key: &str) -> Slot {
        let space = endpoint as usize;
        let Ok(mut spaces) = self.spaces.lock() else {
            return Slot::default();
        };
        let spaces = &mut *spaces;
        let now = Instant::now();
        let ttl = self.ttl;
        let Some(map) = spaces.maps.get_mut(space) else {
            return Slot::default();
        };
        if let Some(e) = map.get(key)
            && now.duration_since(e.at) < ttl
        {
            return e.slot.clone();
        }
        let mut freed = 0usize;
        if let Some(old) = map.remove(key) {
            freed += old.bytes;
        }
        if map.len() >= self.capacity {
            map.retain(|_, e| {
                let keep = now.duration_since(e.at) < ttl;
                if !keep {
                    freed += e.bytes;
                }
                keep
            });
        }
        if map.len() >= self.capacity {
            let oldest = map.iter().min_by_key(|(_, e)| e.at).map(|(k, _)| k.clone());
            if let Some(e) = oldest.and_then(|k| map.remove(&k)) {
                freed += e.bytes;
            }
        }
        let slot = Slot::default();
        map.insert(
            key.to_owned(),
            Entry {
                at: now,
                slot: slot.clone(),
                bytes: 0,
            },
        );
        spaces.bytes = spaces.bytes.saturating_sub(freed);
        slot
    }

    /// Account for a body of `bytes` about to be stored in `slot` (what [`Self::slot`] gave for
    /// `key`). `false`: the body alone is larger than the budget; do not store it. Otherwise the
    /// oldest stored bodies of every space (not this one, not slots still running) are dropped
    /// until the total is back under the budget.
    pub fn admit(&self, endpoint: Endpoint, key: &str, slot: &Slot, bytes: usize) -> bool {
        if bytes > self.budget {
            return false;
        }
        let Ok(mut spaces) = self.spaces.lock() else {
            return true;
        };
        let space = endpoint as usize;
        let counted = match spaces.maps.get_mut(space).and_then(|m| m.get_mut(key)) {
            // Still this key's slot: count its body (a slot already evicted is dropped with its
            // last waiter; it is not counted).
            Some(e) if Arc::ptr_eq(&e.slot, slot) => {
                let old = std::mem::replace(&mut e.bytes, bytes);
                Some(old)
            }
            _ => None,
        };
        if let Some(old) = counted {
            spaces.bytes = spaces.bytes.saturating_sub(old).saturating_add(bytes);
        }
        if spaces.bytes > self.budget {
            // Down to 7/8 of the budget, oldest first.
            let low = self.budget - self.budget / 8;
            let mut stored: Vec<(Instant, usize, String)> = spaces
                .maps
                .iter()
                .enumerate()
                .flat_map(|(i, m)| {
                    m.iter()
                        .filter(move |(k, e)| e.bytes > 0 && !(i == space && k.as_str() == key))
                        .map(move |(k, e)| (e.at, i, k.clone()))
                })
                .collect();
            stored.sort_unstable_by_key(|(at, _, _)| *at);
            for (_, i, k) in stored {
                if spaces.bytes <= low {
                    break;
                }
                spaces.remove(i, &k);
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(cache: &IdempotencyCache, ep: Endpoint, key: &str, body: &[u8]) -> Slot {
        let slot = cache.slot(ep, key);
        assert!(cache.admit(ep, key, &slot, body.len()));
        *slot.try_lock().unwrap() = Some(("fp".to_owned(), body.into()));
        slot
    }

    #[test]
    fn same_key_same_slot_until_the_ttl_expires() {
        let cache = IdempotencyCache::new(16, Duration::from_millis(100));
        let a = store(&cache, Endpoint::Scan, "k", b"body");
        assert!(Arc::ptr_eq(&a, &cache.slot(Endpoint::Scan, "k")));
        // Key spaces are per endpoint.
        assert!(
            cache
                .slot(Endpoint::Decide, "k")
                .try_lock()
                .unwrap()
                .is_none()
        );
        assert_eq!(cache.bytes(), 4);
        std::thread::sleep(Duration::from_millis(150));
        let b = cache.slot(Endpoint::Scan, "k");
        assert!(!Arc::ptr_eq(&a, &b), "expired: a new slot");
        assert!(b.try_lock().unwrap().is_none());
        assert_eq!(cache.bytes(), 0, "the expired body is no longer counted");
    }

    #[test]
    fn a_full_space_drops_its_oldest_key() {
        let cache = IdempotencyCache::new(2, TTL);
        let a = store(&cache, Endpoint::Transform, "a", b"1");
        std::thread::sleep(Duration::from_millis(2));
        let b = store(&cache, Endpoint::Transform, "b", b"22");
        std::thread::sleep(Duration::from_millis(2));
        store(&cache, Endpoint::Transform, "c", b"333");
        assert_eq!(cache.bytes(), 5);
        assert!(Arc::ptr_eq(&b, &cache.slot(Endpoint::Transform, "b")));
        // Another space is not affected by this one's capacity.
        store(&cache, Endpoint::Anonymize, "x", b"4");
        let a2 = cache.slot(Endpoint::Transform, "a");
        assert!(!Arc::ptr_eq(&a, &a2), "the oldest key was dropped");
        assert!(a2.try_lock().unwrap().is_none());
    }

    #[test]
    fn the_byte_budget_drops_the_oldest_bodies_and_refuses_a_body_too_large() {
        let cache = IdempotencyCache::with_budget(100, TTL, 100);
        let a = store(&cache, Endpoint::Scan, "a", &[0; 40]);
        std::thread::sleep(Duration::from_millis(2));
        let b = store(&cache, Endpoint::Decide, "b", &[0; 30]);
        std::thread::sleep(Duration::from_millis(2));
        // A running first request (no body yet) is never dropped for bytes.
        let running = cache.slot(Endpoint::Scan, "running");
        std::thread::sleep(Duration::from_millis(2));
        let c = store(&cache, Endpoint::Transform, "c", &[0; 40]);
        // 110 > 100: the oldest body (a, another space) goes; 70 <= 87.
        assert_eq!(cache.bytes(), 70);
        assert!(!Arc::ptr_eq(&a, &cache.slot(Endpoint::Scan, "a")));
        assert!(Arc::ptr_eq(&b, &cache.slot(Endpoint::Decide, "b")));
        assert!(Arc::ptr_eq(&c, &cache.slot(Endpoint::Transform, "c")));
        assert!(Arc::ptr_eq(
            &running,
            &cache.slot(Endpoint::Scan, "running")
        ));
        // Larger than the whole budget: not stored, nothing dropped for it.
        let big = cache.slot(Endpoint::Anonymize, "big");
        assert!(!cache.admit(Endpoint::Anonymize, "big", &big, 101));
        assert_eq!(cache.bytes(), 70);
        // A body that fits only after dropping several older ones.
        store(&cache, Endpoint::Anonymize, "d", &[0; 80]);
        assert_eq!(cache.bytes(), 80);
        assert!(!Arc::ptr_eq(&b, &cache.slot(Endpoint::Decide, "b")));
    }
}
