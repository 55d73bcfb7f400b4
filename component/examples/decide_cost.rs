//! How long one `/v1/decide` takes in the core, natively, split by stage (a profiling aid):
//! `cargo run --release -p datafog-component --example decide_cost -- BODY.json [POLICY.json]`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a command-line probe"
)]

use std::time::Instant;

use datafog::api::{self, DecideContext, DecideRequest};
use datafog::policy::Policy;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let body = std::fs::read(args.get(1).expect("BODY.json")).unwrap();
    let policy_path = args.get(2).map_or("config/policy.json", String::as_str);
    let policy = Policy::from_json(&std::fs::read(policy_path).unwrap()).unwrap();
    let req: DecideRequest = api::parse_json(&body).unwrap();
    let n = 2000;
    let time = |label: &str, f: &mut dyn FnMut()| {
        f();
        let t = Instant::now();
        for _ in 0..n {
            f();
        }
        println!(
            "{label:>24}: {:8.2} us",
            t.elapsed().as_secs_f64() * 1e6 / f64::from(n)
        );
    };
    time("scan", &mut || {
        std::hint::black_box(datafog::detect::scan(
            req.text.as_bytes(),
            &policy.scan_options(),
        ));
    });
    time("input_hash", &mut || {
        std::hint::black_box(datafog::receipt::input_hash(&req));
    });
    let found = datafog::detect::scan(req.text.as_bytes(), &policy.scan_options());
    time("policy.decide", &mut || {
        std::hint::black_box(policy.decide(&req.action, &found));
    });
    let hasher = datafog::transform::KeyedHasher::new(b"0123456789abcdef0123456789abcdef");
    time("value digests", &mut || {
        for f in &found {
            std::hint::black_box(datafog::receipt::ReceiptFinding::with_hasher(
                f,
                "jane@example.com",
                &hasher,
            ));
        }
    });
    let (_, receipt) = api::decide(&policy, &req, ctx()).unwrap();
    time("receipt compute_hash", &mut || {
        std::hint::black_box(receipt.compute_hash());
    });
    time("receipt canonical_json", &mut || {
        std::hint::black_box(receipt.canonical_json());
    });
    time("decide (all)", &mut || {
        std::hint::black_box(api::decide(&policy, &req, ctx()).unwrap());
    });
    println!("findings: {}", receipt.findings.len());
}

fn ctx() -> DecideContext<'static> {
    DecideContext {
        receipt_id: "0123456789abcdef0123456789abcdef".into(),
        timestamp: "2026-02-24T00:00:00.000000001Z".into(),
        prev_hash: datafog::receipt::GENESIS_HASH.into(),
        key: b"0123456789abcdef0123456789abcdef",
        input_hash: String::new(),
    }
}
