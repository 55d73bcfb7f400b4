//! The edge's state in a key-value store: the receipt chain, the receipt-id index, decision
//! events, idempotency records and the metrics checkpoint. Written against [`Store`], three
//! operations every backend has (`get`, `put`, exclusive `create`), so the chain protocol is the
//! same on Spin's `wasi:keyvalue` and on a `wasmtime serve` directory, and is tested natively on
//! [`MemStore`].
//!
//! ## The chain (spin/README.md, "Many instances")
//! Receipt *n* (from 1) is the key `chain/<n>`, holding its sealed line. An instance appends by
//! finding the last entry *n* (a `head` hint, then probing `chain/<n+1>` until it is absent),
//! sealing its receipt with entry *n*'s `hash` as `prev_hash`, and **creating** `chain/<n+1>`
//! exclusively: the create is the compare-and-swap. An instance that loses the race moves to
//! the new last entry, re-seals and tries again. So any number of instances write one chain with
//! no lock, no gap and no fork, and every receipt's `prev_hash` is its predecessor's `hash`. A
//! decide is acknowledged only after its entry and its `receipt/<id>` index entry are stored.

use std::collections::{BTreeMap, HashMap};

use datafog::api::ApiError;
use datafog::receipt::tail::hash_of;
use datafog::receipt::{GENESIS_HASH, Receipt};
use serde::{Deserialize, Serialize};

/// A key-value store with exclusive create. Values are bytes; errors are the backend's text
/// (never a value).
pub trait Store {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, String>;
    /// Store `value` under `key` (overwrite), durably as far as the backend can.
    fn put(&self, key: &str, value: &[u8]) -> Result<(), String>;
    /// Store `value` under `key` only if `key` is absent: `Ok(false)` when it was present.
    fn create(&self, key: &str, value: &[u8]) -> Result<bool, String>;
    /// [`Store::put`] for a value whose loss in a crash changes nothing acknowledged (hints,
    /// events, checkpoints): a backend may skip its sync.
    fn put_lazily(&self, key: &str, value: &[u8]) -> Result<(), String> {
        self.put(key, value)
    }
}

/// Tries before an append gives up (each lost race means another instance appended).
pub const MAX_APPEND_TRIES: usize = 64;

/// How long an idempotency record is replayed (the native host's TTL, `docs/operations.md`).
pub const IDEMPOTENCY_TTL_SECS: i64 = 30 * 60;

fn chain_key(n: u64) -> String {
    format!("chain/{n:016}")
}

fn event_key(n: u64) -> String {
    format!("event/{n:016}")
}

fn store_error(what: &str, e: String) -> ApiError {
    ApiError::new(
        datafog::api::ErrorCode::ReceiptError,
        format!("unable to read {what}"),
    )
    .with_details(e)
}

/// The last chain entry's number (0: empty chain), from the `head` hint forward.
pub fn last(store: &dyn Store) -> Result<u64, String> {
    let mut n = store
        .get("head")?
        .and_then(|v| std::str::from_utf8(&v).ok()?.trim().parse::<u64>().ok())
        .unwrap_or(0);
    // The hint may be behind (a writer acknowledged before updating it) or, after a restore from
    // an older copy, ahead of the chain. Entries are contiguous from 1 (appends never skip a
    // number), so a hint past the end is corrected by a binary search: O(log n) reads.
    if n > 0 && store.get(&chain_key(n))?.is_none() {
        let (mut lo, mut hi) = (0, n); // chain/lo exists (0: the empty chain), chain/hi does not
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if store.get(&chain_key(mid))?.is_some() {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        n = lo;
    }
    while store.get(&chain_key(n + 1))?.is_some() {
        n += 1;
    }
    Ok(n)
}

/// The sealed line of entry `n` (1-based).
pub fn entry(store: &dyn Store, n: u64) -> Result<Option<String>, String> {
    Ok(store
        .get(&chain_key(n))?
        .map(|v| String::from_utf8_lossy(&v).into_owned()))
}

/// Append `receipt` to the chain (sealing it onto the last entry) and index it by id; then,
/// best effort, move the `head` hint and store the event line. Returns the entry's number.
pub fn append(store: &dyn Store, receipt: &mut Receipt, event: &str) -> Result<u64, ApiError> {
    let persist = |e: String| ApiError::receipt_persist(e);
    let mut n = last(store).map_err(persist)?;
    let mut placed = None;
    for _ in 0..MAX_APPEND_TRIES {
        let prev = if n == 0 {
            GENESIS_HASH.to_owned()
        } else {
            let line = entry(store, n).map_err(persist)?.unwrap_or_default();
            hash_of(line.as_bytes())
                .ok_or_else(|| persist(format!("chain entry {n} has no hash")))?
        };
        receipt.reseal(&prev);
        let line = receipt.canonical_json();
        if store
            .create(&chain_key(n + 1), line.as_bytes())
            .map_err(persist)?
        {
            placed = Some(n + 1);
            break;
        }
        // Another instance took n + 1: continue from the chain's new end.
        n = last(store).map_err(persist)?;
    }
    let n = placed.ok_or_else(|| persist("too many concurrent appends; retry".to_owned()))?;
    store
        .put(
            &format!("receipt/{}", receipt.receipt_id),
            n.to_string().as_bytes(),
        )
        .map_err(persist)?;
    // Hints and events do not change what was acknowledged: a failure is only logged.
    if let Err(e) = store.put_lazily("head", n.to_string().as_bytes()) {
        eprintln!("datafog-spin: chain head hint not stored: {e}");
    }
    if !event.is_empty()
        && let Err(e) = store.put_lazily(&event_key(n), event.as_bytes())
    {
        eprintln!("datafog-spin: event {n} not stored: {e}");
    }
    Ok(n)
}

/// The value under `key`, made by `make` and created if absent. Many instances may race to create
/// it: the first create wins and every instance returns the winner's value.
pub fn get_or_create(
    store: &dyn Store,
    key: &str,
    make: impl FnOnce() -> Result<Vec<u8>, String>,
) -> Result<Vec<u8>, String> {
    if let Some(v) = store.get(key)? {
        return Ok(v);
    }
    let value = make()?;
    if store.create(key, &value)? {
        return Ok(value);
    }
    Ok(store.get(key)?.unwrap_or(value))
}

/// The stored line of receipt `id`. Ids are 32 hex; an id that is not 1 to 64 ASCII letters and
/// digits names no receipt and never reaches the store as a key.
pub fn receipt_line(store: &dyn Store, id: &str) -> Result<Option<String>, ApiError> {
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Ok(None);
    }
    let read = |e| store_error("receipt", e);
    let Some(n) = store.get(&format!("receipt/{id}")).map_err(read)? else {
        return Ok(None);
    };
    let Some(n) = std::str::from_utf8(&n).ok().and_then(|s| s.parse().ok()) else {
        return Ok(None);
    };
    entry(store, n).map_err(read)
}

/// Every chain entry in order (1..=last), to `f`.
pub fn for_each_receipt(store: &dyn Store, mut f: impl FnMut(&str)) -> Result<(), ApiError> {
    let read = |e| store_error("receipts", e);
    let end = last(store).map_err(read)?;
    for n in 1..=end {
        if let Some(line) = entry(store, n).map_err(read)? {
            f(&line);
        }
    }
    Ok(())
}

/// Every stored event line in chain order, to `f`.
pub fn for_each_event(store: &dyn Store, mut f: impl FnMut(&str)) -> Result<(), ApiError> {
    let read = |e: String| ApiError::events_read(format!("unable to read events: {e}"));
    let end = last(store).map_err(read)?;
    for n in 1..=end {
        if let Some(line) = store.get(&event_key(n)).map_err(read)? {
            f(&String::from_utf8_lossy(&line));
        }
    }
    Ok(())
}

// ------------------------------------------------------------------ idempotency

/// A stored response for an idempotency key.
#[derive(Debug, Serialize, Deserialize)]
struct Replay {
    fingerprint: String,
    /// Unix seconds when stored.
    at: i64,
    body: String,
}

fn replay_key(endpoint: &str, key: &str) -> String {
    // Hashed: a client's key can be any text, a store key cannot.
    format!(
        "idempotency/{endpoint}/{}",
        datafog::transform::token::sha256_hex(key.as_bytes())
    )
}

/// What the store says about an idempotency key.
#[derive(Debug, PartialEq, Eq)]
pub enum Seen {
    /// Not seen (or expired): do the work, then [`remember`].
    New,
    /// Same fingerprint: answer this body again.
    Replay(Vec<u8>),
    /// Another fingerprint: 409.
    Conflict,
}

/// Look up `key` on `endpoint` at unix time `now`.
pub fn seen(
    store: &dyn Store,
    endpoint: &str,
    key: &str,
    fingerprint: &str,
    now: i64,
) -> Result<Seen, ApiError> {
    let Some(v) = store
        .get(&replay_key(endpoint, key))
        .map_err(|e| store_error("idempotency record", e))?
    else {
        return Ok(Seen::New);
    };
    let Ok(r) = serde_json::from_slice::<Replay>(&v) else {
        return Ok(Seen::New);
    };
    if now.saturating_sub(r.at) >= IDEMPOTENCY_TTL_SECS {
        return Ok(Seen::New);
    }
    Ok(if r.fingerprint == fingerprint {
        Seen::Replay(r.body.into_bytes())
    } else {
        Seen::Conflict
    })
}

/// Keep `body` as the answer for `key` on `endpoint`. A failure is logged, not answered: the
/// work is done (and for decide, its receipt durable); only a later replay is lost.
pub fn remember(
    store: &dyn Store,
    endpoint: &str,
    key: &str,
    fingerprint: String,
    body: &[u8],
    now: i64,
) {
    let r = Replay {
        fingerprint,
        at: now,
        body: String::from_utf8_lossy(body).into_owned(),
    };
    let stored = serde_json::to_vec(&r)
        .map_err(|e| e.to_string())
        .and_then(|v| store.put(&replay_key(endpoint, key), &v));
    if let Err(e) = stored {
        eprintln!("datafog-spin: idempotency record not stored: {e}");
    }
}

// ------------------------------------------------------------------ metrics

/// Decision and finding counts over the chain, kept incrementally: a checkpoint records the
/// counts up to entry `seq`, and each scrape reads only the entries after it.
#[derive(Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Counts {
    pub seq: u64,
    pub decisions: BTreeMap<String, u64>,
    pub findings: BTreeMap<String, u64>,
}

/// The counts up to the chain's end (updating the stored checkpoint, best effort).
pub fn counts(store: &dyn Store) -> Result<Counts, ApiError> {
    let read = |e| store_error("receipts", e);
    let mut c: Counts = store
        .get("metrics/checkpoint")
        .map_err(read)?
        .and_then(|v| serde_json::from_slice(&v).ok())
        .unwrap_or_default();
    let end = last(store).map_err(read)?;
    if end < c.seq {
        c = Counts::default();
    }
    let start = c.seq;
    for n in start + 1..=end {
        if let Some(line) = entry(store, n).map_err(read)?
            && let Ok(r) = serde_json::from_str::<Receipt>(&line)
        {
            *c.decisions
                .entry(r.decision.as_str().to_owned())
                .or_default() += 1;
            for f in &r.findings {
                *c.findings.entry(f.entity_type.clone()).or_default() += 1;
            }
        }
        c.seq = n;
    }
    if c.seq != start
        && let Err(e) = serde_json::to_vec(&c)
            .map_err(|e| e.to_string())
            .and_then(|v| store.put_lazily("metrics/checkpoint", &v))
    {
        eprintln!("datafog-spin: metrics checkpoint not stored: {e}");
    }
    Ok(c)
}

// ------------------------------------------------------------------ in memory

/// A [`Store`] in memory: the native tests' backend. `fail_puts`: every write fails (a store that
/// refuses writes).
#[derive(Debug, Default)]
pub struct MemStore {
    map: std::sync::Mutex<HashMap<String, Vec<u8>>>,
    pub fail_puts: std::sync::atomic::AtomicBool,
}

impl MemStore {
    fn refuse(&self) -> Result<(), String> {
        if self.fail_puts.load(std::sync::atomic::Ordering::Relaxed) {
            Err("store refused the write".to_owned())
        } else {
            Ok(())
        }
    }
}

impl Store for MemStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
        let m = self.map.lock().map_err(|_| "poisoned".to_owned())?;
        Ok(m.get(key).cloned())
    }
    fn put(&self, key: &str, value: &[u8]) -> Result<(), String> {
        self.refuse()?;
        let mut m = self.map.lock().map_err(|_| "poisoned".to_owned())?;
        m.insert(key.to_owned(), value.to_vec());
        Ok(())
    }
    fn create(&self, key: &str, value: &[u8]) -> Result<bool, String> {
        self.refuse()?;
        let mut m = self.map.lock().map_err(|_| "poisoned".to_owned())?;
        if m.contains_key(key) {
            return Ok(false);
        }
        m.insert(key.to_owned(), value.to_vec());
        Ok(true)
    }
}
