//! The body limit (1 MiB = 1,048,576 bytes: at it accepted, one byte over 413, announced or not)
//! and bytes that are not UTF-8.

use crate::client::Request;
use crate::hosts::each_host;
use crate::schema;
use crate::support::assert_error;

const MIB: usize = 1 << 20;

/// A scan body of exactly `len` bytes: `{"text":"word word ..."}`.
fn scan_body(len: usize) -> Vec<u8> {
    let head = br#"{"text":""#;
    let tail = br#""}"#;
    let mut body = head.to_vec();
    let fill = len - head.len() - tail.len();
    body.extend(b"lorem ipsum dolor sit amet ".iter().cycle().take(fill));
    body.extend_from_slice(tail);
    assert_eq!(body.len(), len);
    body
}

/// `body` in chunked transfer coding, in 64 KiB chunks.
fn chunked(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for c in body.chunks(64 * 1024) {
        out.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
        out.extend_from_slice(c);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

#[test]
fn body_at_the_limit_is_accepted_one_byte_over_is_413() {
    each_host(|h| {
        let r = h.post("/v1/scan", scan_body(MIB));
        assert_eq!(r.status, 200, "a body of exactly 1 MiB: {}", r.text());
        assert_eq!(r.json()["findings"], serde_json::json!([]));
        let r = h.post("/v1/scan", scan_body(MIB - 1));
        assert_eq!(r.status, 200, "a body just under 1 MiB");
        for p in ["/v1/scan", "/v1/decide", "/v1/transform", "/v1/anonymize"] {
            let r = h.post(p, scan_body(MIB + 1));
            assert_error(
                &r,
                413,
                "request_too_large",
                None,
                &format!("POST {p} 1 MiB + 1"),
            );
            schema::check(p, "POST", &r);
        }
    });
}

#[test]
fn unannounced_body_over_the_limit_is_413() {
    each_host(|h| {
        let req = Request::new("POST", "/v1/scan")
            .header("Content-Type", "application/json")
            .header("Transfer-Encoding", "chunked")
            .no_content_length();
        let r = h.send(req.clone().body(chunked(&scan_body(MIB + 1))));
        assert_error(&r, 413, "request_too_large", None, "chunked, 1 MiB + 1");
        let r = h.send(req.body(chunked(&scan_body(1000))));
        assert_eq!(r.status, 200, "chunked, small: {}", r.text());
    });
}

#[test]
fn invalid_utf8_in_json_is_400() {
    each_host(|h| {
        for body in [
            b"{\"text\":\"caf\xe9 jane@example.com\"}".to_vec(),
            b"{\"text\":\"\xff\xfe\"}".to_vec(),
            b"{\"text\":\"ok\",\"request_id\":\"\xc3\x28\"}".to_vec(),
        ] {
            for p in ["/v1/scan", "/v1/decide", "/v1/transform", "/v1/anonymize"] {
                let r = h.post(p, body.clone());
                assert_error(
                    &r,
                    400,
                    "invalid_request",
                    Some("invalid JSON body"),
                    &format!("POST {p} {body:?}"),
                );
                assert!(!r.text().contains("jane@example.com"));
            }
        }
    });
}
