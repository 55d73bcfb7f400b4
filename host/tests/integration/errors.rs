use super::support::*;
use axum::body::Body;
use axum::http::{Request, StatusCode};

const POSTS: [&str; 4] = ["/v1/scan", "/v1/decide", "/v1/transform", "/v1/anonymize"];
const GETS: [&str; 5] = [
    "/health",
    "/v1/policy/version",
    "/v1/receipts",
    "/v1/receipts/abc",
    "/metrics",
];

/// A request body that yields `chunks`, then `fail` (an I/O error of that kind) or its end.
struct TestBody {
    chunks: std::collections::VecDeque<Vec<u8>>,
    fail: Option<std::io::ErrorKind>,
}

impl hyper::body::Body for TestBody {
    type Data = axum::body::Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        if let Some(c) = self.chunks.pop_front() {
            return std::task::Poll::Ready(Some(Ok(hyper::body::Frame::data(c.into()))));
        }
        std::task::Poll::Ready(
            self.fail
                .take()
                .map(|k| Err(std::io::Error::new(k, "connection went away"))),
        )
    }
}

fn post_body(path: &str, body: TestBody) -> Request<Body> {
    Request::post(path)
        .header("content-type", "application/json")
        .body(Body::new(body))
        .unwrap()
}

/// Audit of host/, item 6: a body that cannot be read (the client went away, or the read
/// timeout) is Go's 400 `invalid_request` `invalid JSON body`, not 413; past the limit is
/// still 413 when the size is not announced; an undecodable receipt id is the usual 404.
#[tokio::test]
async fn body_read_failures_are_400_and_bad_ids_404() {
    let app = router("read-fail");
    for (kind, details) in [
        (
            std::io::ErrorKind::UnexpectedEof,
            "read error: unexpected EOF",
        ),
        (std::io::ErrorKind::TimedOut, "read error: i/o timeout"),
    ] {
        let r = send(
            &app,
            post_body(
                "/v1/scan",
                TestBody {
                    chunks: [br#"{"text":"jane@exa"#.to_vec()].into(),
                    fail: Some(kind),
                },
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(r.error_code(), "invalid_request");
        assert_eq!(r.json()["error"]["message"], "invalid JSON body");
        assert_eq!(r.json()["error"]["details"], details);
        assert!(!String::from_utf8_lossy(&r.bytes).contains("jane"));
    }
    let r = send(
        &app,
        post_body(
            "/v1/decide",
            TestBody {
                chunks: std::iter::repeat_n(vec![b' '; 64 * 1024], 17).collect(),
                fail: None,
            },
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.error_code(), "request_too_large");
    for path in ["/v1/receipts/%FF", "/v1/receipts/%C3%28"] {
        let r = get(&app, path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(r.json()["error"]["message"], "receipt not found", "{path}");
        assert_eq!(r.error_code(), "not_found");
    }
    // A query that does not decode is a 400 (issue 14: no silent "no filter").
    let r = get(&app, "/v1/receipts?limit=%FF&decision=%C3%28").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["error"]["message"], "invalid query string");
}

#[tokio::test]
async fn wrong_methods_are_405() {
    let app = router("405");
    for p in POSTS {
        let r = get(&app, p).await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{p}");
        assert_eq!(r.error_code(), "method_not_allowed");
        assert_eq!(r.json()["error"]["message"], "method must be POST");
    }
    for p in GETS {
        for m in ["POST", "HEAD", "DELETE"] {
            let r = send(
                &app,
                Request::builder()
                    .method(m)
                    .uri(p)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
            assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{m} {p}");
            if m != "HEAD" {
                assert_eq!(r.json()["error"]["message"], "method must be GET");
            }
        }
    }
}

#[tokio::test]
async fn unknown_route_is_404() {
    let app = router("404");
    let r = get(&app, "/v2/nothing").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.error_code(), "not_found");
    assert_eq!(r.json()["error"]["message"], "endpoint not found");
}

#[tokio::test]
async fn bad_bodies_are_400_415_413() {
    let app = router("bodies");
    for p in POSTS {
        let r = post(&app, p, "{").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{p}");
        assert_eq!(r.json()["error"]["message"], "invalid JSON body");
        for ct in [None, Some("text/plain")] {
            let mut b = Request::post(p);
            if let Some(ct) = ct {
                b = b.header("content-type", ct);
            }
            let r = send(&app, b.body(Body::from("{}")).unwrap()).await;
            assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{p} {ct:?}");
            assert_eq!(r.error_code(), "unsupported_media_type");
        }
        let big = format!(r#"{{"text":"{}"}}"#, "a".repeat(1 << 20));
        let r = post(&app, p, &big).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{p}");
        assert_eq!(r.error_code(), "request_too_large");
    }
    let r = send(
        &app,
        Request::post("/v1/scan")
            .header("content-type", "application/json; charset=utf-8")
            .body(Body::from(r#"{"text":"hi"}"#))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    for (p, body, msg) in [
        ("/v1/scan", "{}", "text is required"),
        ("/v1/transform", "{}", "text is required"),
        ("/v1/anonymize", "{}", "text is required"),
        ("/v1/decide", r#"{"action":{}}"#, "action.type is required"),
        (
            "/v1/transform",
            r#"{"text":"a","mode":"zap"}"#,
            "unsupported transform mode",
        ),
        (
            "/v1/transform",
            r#"{"text":"a","entity_modes":{"email":"zap"}}"#,
            "unsupported transform mode",
        ),
        (
            "/v1/transform",
            r#"{"text":"a","entity_modes":{" ":"mask"}}"#,
            "entity_modes keys must not be empty",
        ),
    ] {
        let r = post(&app, p, body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{p} {body}");
        assert_eq!(r.json()["error"]["message"], msg, "{p} {body}");
    }
}

#[tokio::test]
async fn auth_on_every_route() {
    let dir = temp_dir("auth");
    let app = datafog_host::http::app(state_with(&dir, &[("DATAFOG_API_TOKEN", "s3cret")]));
    for p in ["/health", "/metrics", "/v1/events", "/nope"] {
        let r = get(&app, p).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{p}");
        assert_eq!(r.error_code(), "unauthorized");
        assert!(r.headers.get("www-authenticate").is_none());
    }
    let ok = |h: &str, v: &str| {
        Request::get("/health")
            .header(h, v)
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(
        send(&app, ok("authorization", "Bearer s3cret"))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        send(&app, ok("authorization", "bearer   s3cret "))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        send(&app, ok("x-api-key", " s3cret ")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        send(&app, ok("authorization", "Bearer nope")).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        send(&app, ok("authorization", "Basic s3cret")).await.status,
        StatusCode::UNAUTHORIZED
    );
    // OPTIONS needs no token.
    let r = send(
        &app,
        Request::options("/health").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn rate_limit_burst_then_429() {
    let dir = temp_dir("rate");
    let app = datafog_host::http::app(state_with(&dir, &[("DATAFOG_RATE_LIMIT_RPS", "3")]));
    for _ in 0..3 {
        assert_eq!(get(&app, "/health").await.status, StatusCode::OK);
    }
    let r = get(&app, "/health").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.error_code(), "rate_limited");
    assert_eq!(r.headers["retry-after"], "1");
}
