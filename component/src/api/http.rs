//! The framework-free part of the HTTP contract (`docs/openapi.json`): which route a method and a
//! path name, the 404 and 405 rules, token auth, the content-type rule, the query-string decoder,
//! CORS headers and the error envelope's bytes. The native host (axum) and the Spin app (a bare
//! `wasi:http` handler) both answer with these, so a request gets the same status and body from
//! either; `tests/tests/conformance` checks that over real sockets.

use sha2::{Digest, Sha256};

use super::{ApiError, ErrorCode};

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

/// CORS response headers for a request from an allowed `Origin` ([`CorsOrigins`]; the origin is
/// reflected): name, value.
pub const CORS_HEADERS: [(&str, &str); 4] = [
    ("access-control-allow-methods", "GET, POST, OPTIONS"),
    (
        "access-control-allow-headers",
        "Content-Type, Authorization, X-API-Key, X-Request-ID",
    ),
    ("access-control-expose-headers", "X-Request-ID"),
    ("vary", "Origin"),
];

/// Which browser origins get the CORS headers (`DATAFOG_CORS_ORIGINS` natively, the `cors_origins`
/// variable at the edge). Off by default: a web page the developer opens must not be able to read
/// the API's answers. A comma-separated list of exact origins (`https://console.example.com`), or
/// `*` for any origin (reflected, never the literal `*`, as before).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum CorsOrigins {
    #[default]
    Off,
    Any,
    List(Vec<String>),
}

impl CorsOrigins {
    /// Parse the setting. An entry must be an origin: `scheme://host[:port]`, no path, no `*`
    /// inside. The error names the entry (configuration, not request data).
    pub fn parse(setting: &str) -> Result<CorsOrigins, String> {
        let setting = setting.trim();
        if setting.is_empty() {
            return Ok(CorsOrigins::Off);
        }
        if setting == "*" {
            return Ok(CorsOrigins::Any);
        }
        let mut list = Vec::new();
        for entry in setting.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let rest = entry
                .split_once("://")
                .filter(|(scheme, _)| {
                    !scheme.is_empty()
                        && scheme
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
                })
                .map(|(_, rest)| rest);
            match rest {
                Some(host) if !host.is_empty() && !host.contains(['/', '*', '?', '#', ' ']) => {
                    list.push(entry.to_ascii_lowercase());
                }
                _ => {
                    return Err(format!(
                        "`{entry}` is not an origin (want scheme://host[:port], or * alone)"
                    ));
                }
            }
        }
        Ok(if list.is_empty() {
            CorsOrigins::Off
        } else {
            CorsOrigins::List(list)
        })
    }

    /// Whether a request from `origin` gets the CORS headers (origin reflected).
    pub fn allows(&self, origin: &str) -> bool {
        match self {
            CorsOrigins::Off => false,
            CorsOrigins::Any => true,
            CorsOrigins::List(list) => list.iter().any(|o| o.eq_ignore_ascii_case(origin.trim())),
        }
    }
}

/// The DNS-rebinding guard a host applies while auth is off: the request's `Host` (port and a
/// trailing dot removed, case-insensitive) must be a loopback name — `localhost` or a name under
/// `.localhost` (RFC 6761; browsers resolve them to loopback themselves), an address in
/// `127.0.0.0/8`, or `::1` — or one of `allowed` (`*` allows any host). A request without a
/// `Host` is refused: a page cannot omit it, but nothing legitimate does either.
pub fn host_allowed(host: Option<&str>, allowed: &[String]) -> bool {
    let Some(host) = host.map(str::trim).filter(|h| !h.is_empty()) else {
        return false;
    };
    let name = match host.strip_prefix('[') {
        // `[v6]` or `[v6]:port`
        Some(rest) => match rest.split_once(']') {
            Some((addr, tail)) if tail.is_empty() || tail.starts_with(':') => addr,
            _ => return false,
        },
        None => match host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            Some(_) => return false,
            None => host,
        },
    };
    let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    let loopback = name == "localhost"
        || name.ends_with(".localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    loopback
        || allowed
            .iter()
            .any(|a| a == "*" || a.strip_suffix('.').unwrap_or(a).eq_ignore_ascii_case(&name))
}

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
/// (`+` is a space, `%XX` a byte), in order, repeats kept. A pair that is not UTF-8 once decoded
/// is a 400 (the list routes are strict; see `api::lists`).
pub fn parse_query(query: &str) -> Result<Vec<(String, String)>, ApiError> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            match (percent_decode(k, true), percent_decode(v, true)) {
                (Some(k), Some(v)) => Ok((k, v)),
                _ => Err(
                    ApiError::new(ErrorCode::InvalidRequest, "invalid query string")
                        .with_details("a parameter is not UTF-8 once percent-decoded"),
                ),
            }
        })
        .collect()
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
        let q = parse_query("limit=5&decision=allow&action_type=shell+exec&x=%41&x=2%").unwrap();
        let pairs: Vec<(&str, &str)> = q.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            pairs,
            [
                ("limit", "5"),
                ("decision", "allow"),
                ("action_type", "shell exec"),
                ("x", "A"),
                ("x", "2%")
            ]
        );
        let e = parse_query("limit=5&bad=%FF").unwrap_err();
        assert_eq!(
            (e.status(), e.message.as_str()),
            (400, "invalid query string")
        );
        assert!(parse_query("").unwrap().is_empty());
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
    #[test]
    fn cors_is_off_unless_origins_are_listed() {
        assert_eq!(CorsOrigins::parse("").unwrap(), CorsOrigins::Off);
        assert!(!CorsOrigins::default().allows("https://evil.example"));
        assert!(
            CorsOrigins::parse("*")
                .unwrap()
                .allows("https://any.example")
        );
        let list =
            CorsOrigins::parse(" https://Console.example.com , http://localhost:3000 ").unwrap();
        assert!(list.allows("https://console.example.com"));
        assert!(list.allows("http://localhost:3000"));
        assert!(!list.allows("http://localhost:3001"));
        assert!(!list.allows("https://console.example.com.evil.example"));
        assert!(!list.allows("null"));
        for bad in [
            "example.com",
            "https://a.example/path",
            "https://*.example",
            "*, https://a.b",
        ] {
            let e = CorsOrigins::parse(bad).unwrap_err();
            assert!(e.contains("is not an origin"), "{bad}: {e}");
        }
    }

    #[test]
    fn only_loopback_or_listed_hosts_pass_the_rebinding_guard() {
        for ok in [
            "localhost",
            "localhost:8080",
            "LOCALHOST.",
            "app.localhost:3000",
            "127.0.0.1:8080",
            "127.9.9.9",
            "[::1]:8080",
            "[::1]",
        ] {
            assert!(host_allowed(Some(ok), &[]), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:8080",
            "localhost.evil.example",
            "10.0.0.5:8080",
            "[::2]:80",
            "127.0.0.1:80x",
            "[::1",
            "",
        ] {
            assert!(!host_allowed(Some(bad), &[]), "{bad}");
        }
        assert!(!host_allowed(None, &[]));
        let allowed = vec!["datafog.internal".to_owned()];
        assert!(host_allowed(Some("DataFog.Internal:8080"), &allowed));
        assert!(!host_allowed(Some("other.internal"), &allowed));
        assert!(host_allowed(Some("other.internal"), &["*".to_owned()]));
    }
}
