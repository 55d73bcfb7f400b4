//! Where to seal a decide's receipt: the numbers behind `docs/decisions/0002-native-seal.md`.
//!
//! `cargo run --release -p datafog-conformance --example seal [-- ITERATIONS]`
//!
//! A receipt's `prev_hash` is the previous receipt's `hash`, so whatever computes `hash` must run
//! under the chain head's lock, one receipt at a time. This measures, for the bench-load body (a
//! `file.write` of ~1 KB with an email and a phone number, the starter policy), per receipt:
//! - the whole guest call that decides *and* seals (`decide-request` with `prev_hash` set): what
//!   the lock would have to cover if the guest sealed;
//! - the guest call that decides and leaves the receipt unsealed (empty `prev_hash`): runs in
//!   parallel, outside the lock;
//! - the native seal of that unsealed line (`native::seal`'s fast path, `reseal_line`): the only
//!   work under the lock today;
//! - the native fallback (parse, `Receipt::reseal`, re-serialise).
//!
//! Medians of ITERATIONS (default 3000) calls each, after 200 warm-up calls.

use std::time::Instant;

use datafog::api::{DecideContext, DecideRequest};
use datafog::policy::Action;
use datafog::receipt::{self, GENESIS_HASH, Receipt};
use datafog_conformance::{repo_root, wasm};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn time(n: usize, mut f: impl FnMut()) -> f64 {
    for _ in 0..200 {
        f();
    }
    let mut t = Vec::with_capacity(n);
    for _ in 0..n {
        let s = Instant::now();
        f();
        t.push(s.elapsed().as_secs_f64() * 1e6);
    }
    median(t)
}

fn main() -> wasm::Result<()> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(3000);
    let policy = std::fs::read_to_string(repo_root().join("config/policy.json"))?;
    let mut g = wasm::guest()?;
    let h = g
        .load(&policy)?
        .map_err(|e| datafog_embed::wasmtime::format_err!("policy: {e}"))?;
    let text = format!(
        "customer note: reach jane.doe@example.com or 555-123-4567. {}",
        "lorem ipsum dolor sit amet ".repeat(36)
    );
    let req = DecideRequest {
        action: Action {
            action_type: "file.write".into(),
            resource: "notes.txt".into(),
            ..Action::default()
        },
        text,
        request_id: "bench".into(),
        ..DecideRequest::default()
    };
    let key = [7u8; 32];
    let ctx = |prev: &str| DecideContext {
        receipt_id: "0123456789abcdef0123456789abcdef".into(),
        timestamp: "2026-12-03T12:00:00.123456789Z".into(),
        prev_hash: prev.to_owned(),
        key: &key,
        input_hash: String::new(),
    };
    let mut call = |prev: &str| {
        g.decide_request(h, req.clone(), ctx(prev))
            .ok()
            .and_then(Result::ok)
    };
    let unsealed = call("").map(|d| d.receipt.line).unwrap_or_default();
    let sealed_in_guest = time(n, || {
        std::hint::black_box(call(GENESIS_HASH));
    });
    let unsealed_call = time(n, || {
        std::hint::black_box(call(""));
    });
    let native_fast = time(n, || {
        std::hint::black_box(receipt::reseal_line(&unsealed, GENESIS_HASH));
    });
    let native_fallback = time(n, || {
        if let Ok(mut r) = serde_json::from_str::<Receipt>(&unsealed) {
            r.reseal(GENESIS_HASH);
            std::hint::black_box(r.canonical_json());
        }
    });
    println!(
        "receipt line: {} bytes; {n} calls each, medians",
        unsealed.len()
    );
    println!(
        "guest decide-request, sealed in the guest    {sealed_in_guest:>8.1} us  (the lock would cover all of it)"
    );
    println!("guest decide-request, unsealed             {unsealed_call:>8.1} us  (in parallel)");
    println!("native seal, reseal_line (under the lock)  {native_fast:>8.2} us");
    println!("native seal, parse + reseal + serialise    {native_fallback:>8.2} us");
    println!(
        "most receipts per second through the lock: guest seal {:.0}/s, native seal {:.0}/s",
        1e6 / sealed_in_guest,
        1e6 / native_fast
    );
    Ok(())
}
