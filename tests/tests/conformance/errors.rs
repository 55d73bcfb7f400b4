//! Every documented error: status, code, message, the envelope's shape and request id, and no
//! request value in it.

use crate::client::Request;
use crate::hosts::each_host;
use crate::schema;
use crate::support::assert_error;

pub const POSTS: [&str; 4] = ["/v1/scan", "/v1/decide", "/v1/transform", "/v1/anonymize"];
pub const GETS: [&str; 8] = [
    "/health",
    "/v1/policy/version",
    "/openapi.json",
    "/v1/receipts",
    "/v1/receipts/abc",
    "/v1/events",
    "/metrics",
    "/v1/receipts/",
];

/// A PII value that must never come back in an error.
const PII: &str = "jane.doe.secret@example.com";

#[test]
fn invalid_and_empty_json_bodies_are_400() {
    each_host(|h| {
        for p in POSTS {
            for body in [
                format!(r#"{{"text":"{PII}"#),
                format!(r#"{{"text":"{PII}",}}"#),
                "[1,2".to_owned(),
                String::new(),
            ] {
                let r =
                    h.send(Request::post_json(p, body.clone()).header("X-Request-ID", "bad-json"));
                let what = format!("POST {p} {body:?}");
                assert_error(&r, 400, "invalid_request", Some("invalid JSON body"), &what);
                schema::check(p, "POST", &r);
                assert_eq!(r.json()["error"]["request_id"], "bad-json", "{what}");
                assert!(
                    !r.text().contains(PII),
                    "{what}: the error echoes the body: {}",
                    r.text()
                );
            }
        }
    });
}

#[test]
fn missing_fields_and_unsupported_values_are_400() {
    each_host(|h| {
        for (p, body, msg) in [
            ("/v1/scan", "{}".to_owned(), "text is required"),
            ("/v1/scan", r#"{"text":""}"#.to_owned(), "text is required"),
            ("/v1/transform", "{}".to_owned(), "text is required"),
            ("/v1/anonymize", "{}".to_owned(), "text is required"),
            ("/v1/decide", "{}".to_owned(), "action.type is required"),
            (
                "/v1/decide",
                format!(r#"{{"action":{{}},"text":"{PII}"}}"#),
                "action.type is required",
            ),
            (
                "/v1/transform",
                format!(r#"{{"text":"{PII}","mode":"zap"}}"#),
                "unsupported transform mode",
            ),
            (
                "/v1/transform",
                format!(r#"{{"text":"{PII}","entity_modes":{{"email":"zap"}}}}"#),
                "unsupported transform mode",
            ),
            (
                "/v1/transform",
                format!(r#"{{"text":"{PII}","entity_modes":{{" ":"mask"}}}}"#),
                "entity_modes keys must not be empty",
            ),
            (
                "/v1/scan",
                format!(r#"{{"text":"{PII}","offset_unit":"bits"}}"#),
                "unsupported offset_unit",
            ),
            (
                "/v1/anonymize",
                format!(
                    r#"{{"text":"nothing here","findings":[{{"entity_type":"email","value":"{PII}","start":0,"end":7}}]}}"#
                ),
                "findings do not match text",
            ),
        ] {
            let what = format!("POST {p} {body}");
            let r = h.send(Request::post_json(p, body.clone()).header("X-Request-ID", "conf-400"));
            assert_error(&r, 400, "invalid_request", Some(msg), &what);
            schema::check(p, "POST", &r);
            assert_eq!(r.json()["error"]["request_id"], "conf-400", "{what}");
            assert!(
                !r.text().contains(PII),
                "{what}: the error echoes a value: {}",
                r.text()
            );
        }
    });
}

#[test]
fn unknown_route_is_404() {
    each_host(|h| {
        for (m, p) in [
            ("GET", "/v2/nothing"),
            ("POST", "/nope"),
            ("GET", "/v1"),
            ("DELETE", "/x/y"),
        ] {
            let r = h.send(Request::new(m, p).header("X-Request-ID", "conf-404"));
            assert_error(
                &r,
                404,
                "not_found",
                Some("endpoint not found"),
                &format!("{m} {p}"),
            );
            schema::check_component("EndpointNotFound", &r);
            assert_eq!(r.json()["error"]["request_id"], "conf-404");
        }
    });
}

#[test]
fn wrong_methods_are_405_head_included() {
    each_host(|h| {
        for p in POSTS {
            for m in ["GET", "PUT", "DELETE", "PATCH"] {
                let r = h.send(Request::new(m, p));
                assert_error(
                    &r,
                    405,
                    "method_not_allowed",
                    Some("method must be POST"),
                    &format!("{m} {p}"),
                );
                schema::check_component("MethodNotAllowed", &r);
            }
            // HEAD on a POST route: 405 too, without a body.
            let r = h.send(Request::new("HEAD", p));
            assert_eq!(r.status, 405, "HEAD {p}");
        }
        for p in GETS {
            for m in ["POST", "PUT", "DELETE"] {
                let r = h.send(Request::new(m, p));
                assert_error(
                    &r,
                    405,
                    "method_not_allowed",
                    Some("method must be GET"),
                    &format!("{m} {p}"),
                );
            }
            let r = h.send(Request::new("HEAD", p));
            assert_eq!(r.status, 405, "HEAD {p}: a GET route answers HEAD with 405");
            assert!(r.body.is_empty(), "HEAD {p}: a body");
        }
    });
}

#[test]
fn wrong_content_type_is_415() {
    each_host(|h| {
        for p in POSTS {
            for ct in [
                None,
                Some("text/plain"),
                Some("application/x-www-form-urlencoded"),
            ] {
                let mut req = Request::new("POST", p).body(r#"{"text":"hi"}"#);
                if let Some(ct) = ct {
                    req = req.header("Content-Type", ct);
                }
                let r = h.send(req);
                assert_error(
                    &r,
                    415,
                    "unsupported_media_type",
                    None,
                    &format!("POST {p} {ct:?}"),
                );
                schema::check(p, "POST", &r);
            }
        }
        // Parameters are allowed.
        let r = h.send(
            Request::new("POST", "/v1/scan")
                .header("Content-Type", "application/json; charset=utf-8")
                .body(r#"{"text":"hi"}"#),
        );
        assert_eq!(r.status, 200, "{}", r.text());
    });
}

#[test]
fn receipt_not_found_and_id_missing() {
    each_host(|h| {
        for p in [
            "/v1/receipts/deadbeef",
            "/v1/receipts/00000000000000000000000000000000",
            "/v1/receipts/%FF",
            // Ids no store key can hold: still just "not found".
            "/v1/receipts/..",
            "/v1/receipts/a%20b",
            "/v1/receipts/%2E%2E",
            "/v1/receipts/export.json",
        ] {
            let r = h.send(Request::get(p).header("X-Request-ID", "conf-rnf"));
            assert_error(&r, 404, "not_found", Some("receipt not found"), p);
            schema::check("/v1/receipts/{id}", "GET", &r);
            assert_eq!(r.json()["error"]["request_id"], "conf-rnf");
        }
        for p in ["/v1/receipts/", "/v1/receipts/a/b"] {
            let r = h.get(p);
            assert_error(&r, 404, "not_found", Some("receipt id missing"), p);
        }
    });
}
