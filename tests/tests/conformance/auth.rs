//! The token on every route (`Authorization: Bearer` or `X-API-Key`; 401 `unauthorized`
//! otherwise, before routing), and CORS: `OPTIONS` is 204 without auth, and `Origin` gets the
//! CORS headers on every response.

use crate::client::{Request, Response};
use crate::hosts::{Host, each_host};
use crate::schema;
use crate::support::assert_error;

/// Every documented route (but `/v1/receipts/export`: see `receipts`), with a request that
/// succeeds when authorised: (method, URI, document path, body, success status).
fn routes() -> Vec<(&'static str, &'static str, &'static str, &'static str, u16)> {
    vec![
        ("GET", "/health", "/health", "", 200),
        ("GET", "/v1/policy/version", "/v1/policy/version", "", 200),
        ("GET", "/openapi.json", "/openapi.json", "", 200),
        ("GET", "/metrics", "/metrics", "", 200),
        ("GET", "/v1/receipts", "/v1/receipts", "", 200),
        ("GET", "/v1/receipts/deadbeef", "/v1/receipts/{id}", "", 404),
        ("GET", "/v1/events", "/v1/events", "", 200),
        (
            "POST",
            "/v1/scan",
            "/v1/scan",
            r#"{"text":"jane@example.com"}"#,
            200,
        ),
        (
            "POST",
            "/v1/transform",
            "/v1/transform",
            r#"{"text":"jane@example.com"}"#,
            200,
        ),
        (
            "POST",
            "/v1/anonymize",
            "/v1/anonymize",
            r#"{"text":"jane@example.com"}"#,
            200,
        ),
        (
            "POST",
            "/v1/decide",
            "/v1/decide",
            r#"{"action":{"type":"annotation.conformance"}}"#,
            200,
        ),
    ]
}

fn request(method: &str, uri: &str, body: &str) -> Request {
    let r = Request::new(method, uri);
    if method == "POST" {
        r.header("Content-Type", "application/json").body(body)
    } else {
        r
    }
}

/// Without credentials, with wrong ones, and with the token in both headers.
pub fn check_auth(h: &Host, method: &str, uri: &str, doc_path: Option<&str>, body: &str, ok: u16) {
    let what = |how: &str| format!("{method} {uri} {how}");
    let denied = |r: &Response, how: &str| {
        assert_error(r, 401, "unauthorized", None, &what(how));
        assert!(
            r.header("www-authenticate").is_none(),
            "{}: WWW-Authenticate",
            what(how)
        );
        if let Some(p) = doc_path {
            schema::check(p, method, r);
        }
    };
    let base = request(method, uri, body);
    denied(&h.send(base.clone().anonymous()), "without a token");
    let wrong = format!("Bearer {}x", h.token);
    denied(
        &h.send(base.clone().header("Authorization", &wrong)),
        "with a wrong bearer",
    );
    denied(
        &h.send(base.clone().header("X-API-Key", "nope")),
        "with a wrong X-API-Key",
    );
    let basic = format!("Basic {}", h.token);
    denied(
        &h.send(base.clone().header("Authorization", &basic)),
        "with Basic",
    );
    denied(
        &h.send(base.clone().header("Authorization", &h.token)),
        "without a scheme",
    );
    let bearer = format!("Bearer {}", h.token);
    let r = h.send(base.clone().header("Authorization", &bearer));
    assert_eq!(r.status, ok, "{}: {}", what("with Bearer"), r.text());
    let r = h.send(
        base.clone()
            .header("authorization", &format!("bearer {}", h.token)),
    );
    assert_eq!(
        r.status,
        ok,
        "{}: {}",
        what("with lower-case bearer"),
        r.text()
    );
    let r = h.send(base.header("X-API-Key", &h.token));
    assert_eq!(r.status, ok, "{}: {}", what("with X-API-Key"), r.text());
}

#[test]
fn token_required_on_every_route() {
    each_host(|h| {
        for (method, uri, doc, body, ok) in routes() {
            check_auth(h, method, uri, Some(doc), body, ok);
        }
        // Before routing: an unknown path or a wrong method is 401 too.
        for (m, p) in [
            ("GET", "/nope"),
            ("DELETE", "/v1/scan"),
            ("HEAD", "/health"),
        ] {
            let r = h.send(Request::new(m, p).anonymous());
            assert_eq!(r.status, 401, "{m} {p} without a token");
        }
    });
}

const ORIGIN: &str = crate::hosts::CORS_ORIGIN;
/// An origin the hosts do not list: no CORS headers, preflight or not.
const OTHER_ORIGIN: &str = "https://evil.example";

fn assert_cors(r: &Response, what: &str) {
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some(ORIGIN),
        "{what}"
    );
    assert_eq!(
        r.header("access-control-allow-methods"),
        Some("GET, POST, OPTIONS"),
        "{what}"
    );
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("Content-Type, Authorization, X-API-Key, X-Request-ID"),
        "{what}"
    );
    assert_eq!(
        r.header("access-control-expose-headers"),
        Some("X-Request-ID"),
        "{what}"
    );
    assert!(
        r.headers_named("vary").iter().any(|v| v.contains("Origin")),
        "{what}: Vary: Origin missing ({:?})",
        r.headers
    );
}

#[test]
fn options_preflight_is_204_without_auth() {
    each_host(|h| {
        let mut paths: Vec<&str> = routes().iter().map(|r| r.1).collect();
        paths.extend(["/v1/receipts/export", "/anything"]);
        for p in paths {
            let pre = Request::new("OPTIONS", p)
                .anonymous()
                .header("Origin", ORIGIN)
                .header("Access-Control-Request-Method", "POST")
                .header(
                    "Access-Control-Request-Headers",
                    "authorization, content-type",
                );
            let r = h.send(pre);
            assert_eq!(r.status, 204, "OPTIONS {p}: {}", r.text());
            assert!(r.body.is_empty(), "OPTIONS {p}: a body");
            assert_cors(&r, &format!("OPTIONS {p}"));
            assert!(
                r.header("x-request-id").is_none(),
                "OPTIONS {p}: X-Request-ID on a preflight"
            );
            // An origin that is not listed: 204, no CORS headers (the browser then refuses).
            let r = h.send(
                Request::new("OPTIONS", p)
                    .anonymous()
                    .header("Origin", OTHER_ORIGIN)
                    .header("Access-Control-Request-Method", "POST"),
            );
            assert_eq!(r.status, 204, "OPTIONS {p} from another origin");
            assert!(
                r.header("access-control-allow-origin").is_none(),
                "OPTIONS {p}: CORS for an origin that is not listed"
            );
            // Without an Origin: still 204, no CORS headers.
            let r = h.send(Request::new("OPTIONS", p).anonymous());
            assert_eq!(r.status, 204, "OPTIONS {p} without Origin");
            assert!(r.header("access-control-allow-origin").is_none());
            if schema::documents(p, "OPTIONS") {
                schema::check(p, "OPTIONS", &r);
            }
        }
    });
}

#[test]
fn cors_headers_on_every_response_with_an_origin() {
    each_host(|h| {
        let cases = [
            Request::get("/health"),
            Request::get("/nope"),
            Request::get("/health").anonymous(),
            Request::post_json("/v1/scan", r#"{"text":"jane@example.com"}"#),
            Request::post_json("/v1/scan", "{"),
        ];
        for req in cases {
            let what = format!("{} {}", req.method, req.path);
            let r = h.send(req.header("Origin", ORIGIN));
            assert_cors(&r, &what);
        }
        let r = h.get("/health");
        assert!(
            r.header("access-control-allow-origin").is_none(),
            "CORS without Origin"
        );
        let r = h.send(Request::get("/health").header("Origin", OTHER_ORIGIN));
        assert_eq!(r.status, 200);
        assert!(
            r.header("access-control-allow-origin").is_none(),
            "CORS for an origin that is not listed"
        );
    });
}
