//! `http_query`: the core's HTTP request parsing (`datafog::api`), which every host (native, Spin)
//! runs on untrusted requests. The same input is used as:
//!
//! - a query string: `api::http::parse_query`, `api::lists::{ReceiptsQuery, EventsQuery}::from_query`,
//!   `api::lists::metrics_wants_json`;
//! - a request path (`api::http::route`, with GET and POST) and header values (`check_content_type`,
//!   `host_allowed`, `client_request_id`, `authorized`, `CorsOrigins::parse`);
//! - stored receipt and event lines offered to `ReceiptsPage` and `EventsPage`;
//! - a JSON body for each POST route (`parse_json`), then `validate_*`, `fingerprint_*` and the
//!   handlers (`handle_scan`, `handle_transform`, `handle_anonymize`, `decide`) under the starter
//!   policy (`config/policy.json`).
//!
//! Checks: nothing panics; a parsed `limit` is within 1..=1000; a receipt id from `route` is
//! non-empty without `/`; a usable client request id is printable ASCII of at most 200 bytes; every
//! error envelope is JSON; `decide`'s receipt is sealed and verifies as a one-receipt chain; and the
//! fields `decide` records verbatim (the action, the caller's ids) hold no finding value of 4 bytes
//! or more outside a `[REDACTED:<type>]` marker (the `Redactor` contract).
#![no_main]

use std::sync::OnceLock;

use datafog::Policy;
use datafog::api::http::{
    CorsOrigins, Route, authorized, check_content_type, client_request_id, envelope, host_allowed,
    parse_query, route, token_digest,
};
use datafog::api::lists::{
    EventsPage, EventsQuery, ReceiptsPage, ReceiptsQuery, metrics_wants_json,
};
use datafog::api::{
    self, AnonymizeRequest, ApiError, DecideContext, DecideRequest, ScanRequest, TransformRequest,
};
use datafog::receipt::{GENESIS_HASH, verify_chain};
use libfuzzer_sys::fuzz_target;

const STARTER: &[u8] = include_bytes!("../../config/policy.json");

fn starter() -> Option<&'static Policy> {
    static POLICY: OnceLock<Option<Policy>> = OnceLock::new();
    POLICY
        .get_or_init(|| Policy::from_json(STARTER).ok())
        .as_ref()
}

fn check_error(e: &ApiError) {
    let body = envelope(e, "req-1");
    assert!(
        serde_json::from_slice::<serde_json::Value>(&body).is_ok(),
        "envelope is not JSON"
    );
}

fn check<T>(r: Result<T, ApiError>) -> Option<T> {
    r.map_err(|e| check_error(&e)).ok()
}

/// `field` with every `[REDACTED:...]` marker cut out (as a NUL, so no text is joined across one).
fn outside_markers(field: &str) -> String {
    let mut out = String::new();
    let mut rest = field;
    while let Some(at) = rest.find("[REDACTED:") {
        out.push_str(&rest[..at]);
        out.push('\0');
        rest = &rest[at..];
        rest = match rest.find(']') {
            Some(close) => &rest[close + 1..],
            None => "",
        };
    }
    out.push_str(rest);
    out
}

fn queries(s: &str) {
    let _ = check(parse_query(s));
    let _ = check(metrics_wants_json(s));
    if let Some(q) = check(ReceiptsQuery::from_query(s)) {
        assert!((1..=1000).contains(&q.limit));
        let mut page = ReceiptsPage::new(q);
        s.lines().for_each(|l| page.offer(l));
        let body = page.finish();
        assert!(
            serde_json::from_slice::<serde_json::Value>(&body).is_ok(),
            "receipts page is not JSON"
        );
    }
    if let Some(q) = check(EventsQuery::from_query(s)) {
        assert!((1..=1000).contains(&q.limit));
        let mut page = EventsPage::new(q);
        s.lines().for_each(|l| page.offer(l));
        let _ = page.finish();
    }
}

fn headers(s: &str) {
    for method in ["GET", "POST"] {
        if let Some(Route::Receipt(id)) = check(route(method, s)) {
            assert!(!id.is_empty() && !id.contains('/'), "bad receipt id");
        }
    }
    let _ = check(check_content_type(Some(s)));
    let _ = host_allowed(Some(s), &["api.example.com".to_owned()]);
    if let Some(id) = client_request_id(Some(s)) {
        assert!(id.len() <= 200 && id.bytes().all(|b| (0x20..0x7f).contains(&b)));
    }
    let want = token_digest("secret-token");
    let _ = authorized(Some(&want), Some(s), Some(s));
    if let Ok(origins) = CorsOrigins::parse(s) {
        let _ = origins.allows(s);
    }
}

fn bodies(data: &[u8], policy: &Policy) {
    let key = b"fuzz-key";
    if let Some(req) = check(api::parse_json::<ScanRequest>(data)) {
        let _ = api::fingerprint_scan(&req);
        let _ = check(api::handle_scan(policy, &req));
    }
    if let Some(mut req) = check(api::parse_json::<TransformRequest>(data)) {
        let _ = check(api::handle_transform(policy, &req, key));
        if check(api::validate_transform(&mut req)).is_some() {
            let _ = api::fingerprint_transform(&req);
        }
    }
    if let Some(req) = check(api::parse_json::<AnonymizeRequest>(data)) {
        let _ = api::fingerprint_anonymize(&req);
        let _ = check(api::handle_anonymize(policy, &req, key));
    }
    if let Some(req) = check(api::parse_json::<DecideRequest>(data)) {
        let ctx = DecideContext {
            receipt_id: "0123456789abcdef0123456789abcdef".into(),
            timestamp: "2026-02-24T00:00:00.000000001Z".into(),
            prev_hash: GENESIS_HASH.into(),
            key,
            input_hash: String::new(),
        };
        let fingerprint = api::fingerprint_decide(&req);
        if let Some((response, receipt)) = check(api::decide(policy, &req, ctx)) {
            assert_eq!(receipt.input_hash, fingerprint);
            assert!(receipt.is_sealed(), "receipt not sealed");
            let line = receipt.canonical_json();
            assert!(
                verify_chain(std::iter::once(line.as_str())).is_ok(),
                "receipt does not verify"
            );
            let _ = api::decision_event(&receipt, &response);
            let a = &receipt.action;
            let recorded = [&a.action_type, &a.tool, &a.resource, &a.command]
                .into_iter()
                .chain(&a.args)
                .chain([
                    &receipt.request_id,
                    &receipt.trace_id,
                    &receipt.tenant_id,
                    &receipt.actor_id,
                    &receipt.session_id,
                ])
                .map(|f| outside_markers(f))
                .collect::<Vec<_>>();
            for f in &response.findings {
                let v = f.value.as_str();
                if v.len() < 4 || v.contains('\0') {
                    continue;
                }
                // Never print the value: the assertion names the rule only.
                assert!(
                    !recorded.iter().any(|r| r.contains(v)),
                    "a finding value survives in a receipt field"
                );
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    queries(&s);
    headers(&s);
    if let Some(policy) = starter() {
        bodies(data, policy);
    }
});
