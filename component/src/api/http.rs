//! The framework-free part of the HTTP contract (`docs/openapi.json`): which route a method and a
//! path name, the 404 and 405 rules, token auth, the content-type rule, the query-string decoder,
//! CORS headers and the error envelope's bytes. The native host (axum) and the Spin app (a bare
//! `wasi:http` handler) both answer with these, so a request gets the same status and body from
//! either; `tests/tests/conformance` checks that over real sockets.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use super::ApiError;

/// The API's routes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    Health,
    PolicyVersion,
    OpenApi,
    Scan,
    Decide,
    Transform,
    Anonymize,
    /// `GET /v1/receipts` (filters in the query).
    Receipts,
    /// `GET /v1/receipts/export`: every receipt line in chain order (NDJSON).
    ReceiptsExport,
    /// `GET /v1/receipts/checkpoint`: the latest signed checkpoint (native host only).
    ReceiptsCheckpoint,
    /// `GET /v1/receipts/{id}`, the id percent-decoded.
    Receipt(String),
    Events,
    Metrics,
}

impl Route {
    /// The route's template, as metrics and logs name it.
    pub const fn template(&self) -> &'static str {
        match self {
            Route::Health => "/health",
            Route::PolicyVersion => "/v1/policy/version",
            Route::OpenApi => "/openapi.json",
            Route::Scan => "/v1/scan",
            Route::Decide => "/v1/decide",
            Route::Transform => "/v1/transform",
            Route::Anonymize => "/v1/anonymize",
            Route::Receipts => "/v1/receipts",
            Route::ReceiptsExport => "/v1/receipts/export",
            Route::ReceiptsCheckpoint => "/v1/receipts/checkpoint",
            Route::Receipt(_) => "/v1/receipts/{id}",
            Route::Events => "/v1/events",
            Route::Metrics => "/metrics",
        }
    }
}

/// `GET /v1/receipts/export`'s path.
pub const RECEIPTS_EXPORT_PATH: &str = "/v1/receipts/export";

/// `GET /v1/receipts/checkpoint`'s path (matched before the receipt id, as the export is).
pub const RECEIPTS_CHECKPOINT_PATH: &str = "/v1/receipts/checkpoint";

/// The content type of `/v1/receipts/export`.
pub const NDJSON: &str = "application/x-ndjson";

/// The content type of `/metrics`.
pub const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `docs/openapi.json`, served at `GET /openapi.json` by every host.
pub const OPENAPI_JSON: &str = include_str!("../../../docs/openapi.json");

/// The route `method` and `path` (no query) name, or the contract's error: an unknown path is 404
/// `endpoint not found`; a known one with another method is 405 (`method must be GET` or `POST`;
/// `HEAD` is not `GET`, as in Go). `OPTIONS` is answered before routing (CORS preflight, 204).
/// Paths match byte for byte (no trailing-slash or percent-decoding leniency), except the receipt
/// id, which is percent-decoded: an id that does not decode to UTF-8 names no receipt (404), an
/// empty one or one with a `/` is `receipt id missing`.
pub fn route(method: &str, path: &str) -> Result<Route, ApiError> {
    let (route, post) = match path {
        "/health" => (Route::Health, false),
        "/v1/policy/version" => (Route::PolicyVersion, false),
        "/openapi.json" => (Route::OpenApi, false),
        "/v1/scan" => (Route::Scan, true),
        "/v1/decide" => (Route::Decide, true),
        "/v1/transform" => (Route::Transform, true),
        "/v1/anonymize" => (Route::Anonymize, true),
        "/v1/receipts" => (Route::Receipts, false),
        RECEIPTS_EXPORT_PATH => (Route::ReceiptsExport, false),
        RECEIPTS_CHECKPOINT_PATH => (Route::ReceiptsCheckpoint, false),
        "/v1/events" => (Route::Events, false),
        "/metrics" => (Route::Metrics, false),
        _ => match path.strip_prefix("/v1/receipts/") {
            Some(raw) => {
                if method != "GET" {
                    return Err(ApiError::method_must_be_get());
                }
                let id = percent_decode(raw, false).ok_or_else(ApiError::receipt_not_found)?;
                if id.is_empty() || id.contains('/') {
                    return Err(ApiError::receipt_id_missing());
                }
                return Ok(Route::Receipt(id));
            }
            None => return Err(ApiError::endpoint_not_found()),
        },
    };
    match (post, method) {
        (true, "POST") | (false, "GET") => Ok(route),
        (true, _) => Err(ApiError::method_must_be_post()),
        (false, _) => Err(ApiError::method_must_be_get()),
    }
}

/// SHA-256 of an API token: hosts keep this, never the token, and compare digests (constant time,
/// and the token's length does not leak).
pub fn token_digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Whether a request may pass: `want` is the digest of the configured token (`None`: auth off);
/// the token comes as `Authorization: Bearer <token>` (scheme case-insensitive, exactly two
/// words) or `X-API-Key: <token>` (trimmed). Both headers are always checked, so timing does not
/// tell which one was right.
pub fn authorized(
    want: Option<&[u8; 32]>,
    authorization: Option<&str>,
    x_api_key: Option<&str>,
) -> bool {
    let Some(want) = want else {
        return true;
    };
    let bearer = authorization.and_then(|v| {
        let mut parts = v.split_whitespace();
        match (parts.next(), parts.next(), parts.next()) {
            (Some(scheme), Some(token), None) if scheme.eq_ignore_ascii_case("bearer") => {
                Some(token)
            }
            _ => None,
        }
    });
    let a = bearer.is_some_and(|t| ct_eq(&token_digest(t), want));
    let b = x_api_key.is_some_and(|t| ct_eq(&token_digest(t.trim()), want));
    a | b
}

fn ct_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b) {
        diff |= x ^ y;
    }
    std::hint::black_box(diff) == 0
}

/// A JSON body needs `Content-Type: application/json` (parameters such as `charset` allowed);
/// otherwise 415, checked before the body is read (Go's order: 415, then 413, then 400).
pub fn check_content_type(content_type: Option<&str>) -> Result<(), ApiError> {
    let is_json = content_type
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
    if is_json {
        Ok(())
    } else {
        Err(ApiError::unsupported_media_type())
    }
}

/// CORS response headers for a request with an `Origin` (the origin is reflected): name, value.
pub const CORS_HEADERS: [(&str, &str); 4] = [
    ("access-control-allow-methods", "GET, POST, OPTIONS"),
    (
        "access-control-allow-headers",
        "Content-Type, Authorization, X-API-Key, X-Request-ID",
    ),
    ("access-control-expose-headers", "X-Request-ID"),
    ("vary", "Origin"),
];

/// The request id a client sent (`X-Request-ID`, trimmed), if usable as a response header value
/// (visible ASCII and spaces only, at most 200 bytes); else the host makes one.
pub fn client_request_id(header: Option<&str>) -> Option<&str> {
    header
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.len() <= 200 && v.bytes().all(|b| (0x20..0x7f).contains(&b)))
}

/// The error envelope's bytes (`{"error":{code, message, request_id, details}}` and a newline).
pub fn envelope(e: &ApiError, request_id: &str) -> Vec<u8> {
    let mut bytes = serde_json::to_vec(&e.body(request_id)).unwrap_or_else(|_| {
        br#"{"error":{"code":"internal_error","message":"internal server error"}}"#.to_vec()
    });
    bytes.push(b'\n');
    bytes
}

/// A success body: compact JSON and a newline (Go's encoder).
pub fn json_body<T: serde::Serialize>(v: &T) -> Result<Vec<u8>, ApiError> {
    let mut bytes = serde_json::to_vec(v).map_err(|_| ApiError::encode_error())?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// A query string (`a=1&b=x+y`, no leading `?`) decoded as `application/x-www-form-urlencoded`
/// (`+` is a space, `%XX` a byte; the last of repeated keys wins). A query that does not decode
/// (a pair that is not UTF-8) is no query at all: the list routes then apply no filter (Go ignores
/// values it cannot parse).
pub fn parse_query(query: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match (percent_decode(k, true), percent_decode(v, true)) {
            (Some(k), Some(v)) => {
                out.insert(k, v);
            }
            _ => return HashMap::new(),
        }
    }
    out
}

/// Percent-decode `s` (`plus`: `+` is a space, as in form encoding); `None` when the bytes are not
/// UTF-8. A `%` not followed by two hex digits stays as it is.
fn percent_decode(s: &str, plus: bool) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let hex = |j: usize| b.get(j).and_then(|&h| (h as char).to_digit(16));
        match c {
            b'%' => match (hex(i + 1), hex(i + 2)) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(c),
            },
            b'+' if plus => out.push(b' '),
            _ => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ErrorCode;

    fn code(r: Result<Route, ApiError>) -> (u16, String) {
        match r {
            Ok(r) => (200, r.template().to_owned()),
            Err(e) => (e.status(), e.message),
        }
    }

    #[test]
    fn routes_and_their_method_rules() {
        assert_eq!(route("GET", "/health"), Ok(Route::Health));
        assert_eq!(route("POST", "/v1/decide"), Ok(Route::Decide));
        assert_eq!(
            code(route("GET", "/v1/decide")),
            (405, "method must be POST".into())
        );
        assert_eq!(
            code(route("HEAD", "/health")),
            (405, "method must be GET".into())
        );
        assert_eq!(
            code(route("POST", "/metrics")),
            (405, "method must be GET".into())
        );
        assert_eq!(
            code(route("GET", "/health/")),
            (404, "endpoint not found".into())
        );
        assert_eq!(
            code(route("GET", "/nope")),
            (404, "endpoint not found".into())
        );
        assert_eq!(
            route("GET", "/v1/receipts/export"),
            Ok(Route::ReceiptsExport)
        );
        // Not a receipt id (issue 14).
        assert_eq!(
            route("GET", "/v1/receipts/checkpoint"),
            Ok(Route::ReceiptsCheckpoint)
        );
        assert_eq!(
            code(route("POST", "/v1/receipts/checkpoint")),
            (405, "method must be GET".into())
        );
    }

    #[test]
    fn receipt_ids_are_decoded_and_checked() {
        assert_eq!(
            route("GET", "/v1/receipts/ab%63"),
            Ok(Route::Receipt("abc".into()))
        );
        assert_eq!(
            code(route("GET", "/v1/receipts/")),
            (404, "receipt id missing".into())
        );
        assert_eq!(
            code(route("GET", "/v1/receipts/a/b")),
            (404, "receipt id missing".into())
        );
        assert_eq!(
            code(route("GET", "/v1/receipts/a%2Fb")),
            (404, "receipt id missing".into())
        );
        assert_eq!(
            code(route("GET", "/v1/receipts/%FF")),
            (404, "receipt not found".into())
        );
        assert_eq!(
            code(route("POST", "/v1/receipts/x")),
            (405, "method must be GET".into())
        );
    }

    #[test]
    fn auth_takes_bearer_or_api_key() {
        let want = token_digest("s3cret");
        let w = Some(&want);
        assert!(authorized(None, None, None));
        assert!(!authorized(w, None, None));
        assert!(authorized(w, Some("Bearer s3cret"), None));
        assert!(authorized(w, Some("bearer s3cret"), None));
        assert!(!authorized(w, Some("Bearer s3cret extra"), None));
        assert!(!authorized(w, Some("Basic s3cret"), None));
        assert!(authorized(w, None, Some(" s3cret ")));
        assert!(!authorized(w, Some("Bearer nope"), Some("nope")));
        assert!(authorized(w, Some("Bearer nope"), Some("s3cret")));
    }

    #[test]
    fn content_type_rule() {
        assert!(check_content_type(Some("application/json")).is_ok());
        assert!(check_content_type(Some("Application/JSON; charset=utf-8")).is_ok());
        let e = check_content_type(Some("text/plain")).err().map(|e| e.code);
        assert_eq!(e, Some(ErrorCode::UnsupportedMediaType));
        assert!(check_content_type(None).is_err());
    }

    #[test]
    fn queries_decode_like_forms() {
        let q = parse_query("limit=5&decision=allow&action_type=shell+exec&x=%41");
        assert_eq!(q.get("limit").map(String::as_str), Some("5"));
        assert_eq!(q.get("action_type").map(String::as_str), Some("shell exec"));
        assert_eq!(q.get("x").map(String::as_str), Some("A"));
        assert!(parse_query("limit=5&bad=%FF").is_empty());
        assert!(parse_query("").is_empty());
    }

    #[test]
    fn envelope_carries_the_request_id() {
        let b = envelope(&ApiError::unauthorized(), "rid-1");
        let v: serde_json::Value = serde_json::from_slice(&b).unwrap_or_default();
        assert_eq!(v["error"]["code"], "unauthorized");
        assert_eq!(v["error"]["request_id"], "rid-1");
        assert_eq!(b.last(), Some(&b'\n'));
    }

    #[test]
    fn request_ids_must_be_header_safe() {
        assert_eq!(client_request_id(Some(" abc ")), Some("abc"));
        assert_eq!(client_request_id(Some("a\u{7f}")), None);
        assert_eq!(client_request_id(Some("")), None);
        assert_eq!(client_request_id(None), None);
    }
}
