//! Idempotency keys (Go section 2.14) for `/v1/scan`, `/v1/decide`, `/v1/transform`,
//! `/v1/anonymize`: each endpoint has its own key space; the fingerprint is the core's
//! (`datafog::api::fingerprint_*`). Same key and fingerprint: the first 200 body is replayed
//! verbatim (for decide: the same receipt, no new one). Same key, other fingerprint: 409.
//!
//! Unlike Go, concurrent first requests with one key run once: the key's slot is an async mutex
//! held while the first request runs; the others wait and then replay (or get 409). Only 200s are
//! stored; a failed first request leaves the slot empty for the next one.
//!
//! Bounded: at most [`CAPACITY`] keys per endpoint, each kept [`TTL`]; when full, expired keys
//! go first, then the oldest. The cache is in memory, but decide keys survive a restart: a
//! decide receipt records its key as `idempotency_key_digest` (keyed HMAC, not the key), start-up
//! indexes the newest [`CAPACITY`] of them, and a key this process has not seen is looked up
//! there; the replay is rebuilt from the receipt (`datafog::api::replay_decide`: same receipt id,
//! decision, rules, plan, findings; confidences rounded to 4 decimals as receipts keep them) if
//! the receipt is younger than [`TTL`]. Scan, transform and anonymize keys are forgotten on
//! restart (they write nothing durable; re-running them is harmless).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Keys kept per endpoint.
pub const CAPACITY: usize = 4096;
/// How long a key is remembered.
pub const TTL: Duration = Duration::from_secs(30 * 60);

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

/// The four key spaces.
#[derive(Debug)]
pub struct IdempotencyCache {
    spaces: [Mutex<HashMap<String, (Instant, Slot)>>; 4],
    capacity: usize,
    ttl: Duration,
}

impl Default for IdempotencyCache {
    fn default() -> Self {
        IdempotencyCache::new(CAPACITY, TTL)
    }
}

impl IdempotencyCache {
    pub fn new(capacity: usize, ttl: Duration) -> IdempotencyCache {
        IdempotencyCache {
            spaces: Default::default(),
            capacity: capacity.max(1),
            ttl,
        }
    }

    /// The slot of `key` (a new empty one if the key is unknown or expired).
    pub fn slot(&self, endpoint: Endpoint, key: &str) -> Slot {
        let Some(space) = self.spaces.get(endpoint as usize) else {
            return Slot::default();
        };
        let Ok(mut map) = space.lock() else {
            return Slot::default();
        };
        let now = Instant::now();
        if let Some((at, slot)) = map.get(key)
            && now.duration_since(*at) < self.ttl
        {
            return slot.clone();
        }
        if map.len() >= self.capacity {
            map.retain(|_, (at, _)| now.duration_since(*at) < self.ttl);
        }
        if map.len() >= self.capacity {
            let oldest = map
                .iter()
                .min_by_key(|(_, (at, _))| *at)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                map.remove(&k);
            }
        }
        let slot = Slot::default();
        map.insert(key.to_owned(), (now, slot.clone()));
        slot
    }
}
