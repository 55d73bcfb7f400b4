//! Idempotency keys on the four POST routes: the same key and payload replay the first body
//! byte for byte (the caller's ids are not payload); another payload under the key is 409
//! `idempotency_conflict`; key spaces are per route; a replayed decide writes no receipt.

use serde_json::{Value, json};

use crate::hosts::{each_host, unique};
use crate::schema;
use crate::support::{assert_error, get_json};

#[test]
fn replay_and_conflict_on_every_post_route() {
    each_host(|h| {
        let k = unique("key");
        let action = format!("annotation.{}", unique("idem"));
        let cases: [(&str, Value, Value, Value); 4] = [
            (
                "/v1/scan",
                json!({"text":"jane@example.com","idempotency_key":k,"request_id":"a"}),
                json!({"text":"jane@example.com","idempotency_key":k,"request_id":"b"}),
                json!({"text":"bob@example.com","idempotency_key":k}),
            ),
            (
                "/v1/transform",
                json!({"text":"jane@example.com","mode":"tokenize","idempotency_key":k}),
                json!({"text":"jane@example.com","mode":" TOKENIZE ","idempotency_key":k,"trace_id":"t"}),
                json!({"text":"jane@example.com","mode":"mask","idempotency_key":k}),
            ),
            (
                "/v1/anonymize",
                json!({"text":"jane@example.com","idempotency_key":k}),
                json!({"text":"jane@example.com","idempotency_key":k}),
                json!({"text":"jane@example.org","idempotency_key":k}),
            ),
            (
                "/v1/decide",
                json!({"action":{"type":action},"text":"mail jane@example.com","idempotency_key":k,"session_id":"s1"}),
                json!({"action":{"type":action},"text":"mail jane@example.com","idempotency_key":k,"session_id":"s2"}),
                json!({"action":{"type":"file.write"},"idempotency_key":k}),
            ),
        ];
        for (path, first, replay, conflict) in cases {
            let a = h.post(path, first.to_string());
            assert_eq!(a.status, 200, "{path}: {}", a.text());
            let b = h.post(path, replay.to_string());
            assert_eq!(b.status, 200, "{path} replay: {}", b.text());
            assert_eq!(a.text(), b.text(), "{path}: the replay is not verbatim");
            let c = h.post(path, conflict.to_string());
            assert_error(
                &c,
                409,
                "idempotency_conflict",
                None,
                &format!("{path} conflict"),
            );
            schema::check(path, "POST", &c);
            assert!(
                !c.text().contains("jane@example"),
                "{path}: the 409 echoes a value"
            );
            // The same payload still replays after a conflict.
            let d = h.post(path, first.to_string());
            assert_eq!(a.text(), d.text(), "{path}: replay after a conflict");
        }
        // One receipt for the three 200 decides with the key.
        let list = get_json(h, &format!("/v1/receipts?action_type={action}"));
        assert_eq!(list["total"], 1, "a decide replay wrote a receipt: {list}");
    });
}

#[test]
fn decide_replay_keeps_the_receipt_id() {
    each_host(|h| {
        let k = unique("key");
        let action = format!("annotation.{}", unique("replay"));
        let body = json!({"action":{"type":action,"resource":"notes.txt"},"idempotency_key":k});
        let a = h.post("/v1/decide", body.to_string()).json();
        let b = h.post("/v1/decide", body.to_string()).json();
        assert_eq!(a["receipt_id"], b["receipt_id"], "{a} vs {b}");
        assert_eq!(a, b);
        let r = h.get(&format!(
            "/v1/receipts/{}",
            a["receipt_id"].as_str().unwrap()
        ));
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(
            r.json()
                .get("idempotency_key_digest")
                .is_some_and(|d| d.is_string()),
            "{}",
            r.text()
        );
        assert!(
            !r.text().contains(&k),
            "the receipt carries the raw idempotency key"
        );
        let list = get_json(h, &format!("/v1/receipts?action_type={action}"));
        assert_eq!(list["total"], 1, "{list}");
        // Without a key the same payload decides again.
        let body = json!({"action":{"type":action,"resource":"notes.txt"}});
        let c = h.post("/v1/decide", body.to_string()).json();
        assert_ne!(c["receipt_id"], a["receipt_id"]);
        let list = get_json(h, &format!("/v1/receipts?action_type={action}"));
        assert_eq!(list["total"], 2, "{list}");
    });
}

#[test]
fn key_spaces_are_per_route() {
    each_host(|h| {
        let k = unique("shared");
        let r = h.post(
            "/v1/scan",
            json!({"text":"jane@example.com","idempotency_key":k}).to_string(),
        );
        assert_eq!(r.status, 200);
        for (p, body) in [
            (
                "/v1/transform",
                json!({"text":"other text jane@example.org","idempotency_key":k}),
            ),
            (
                "/v1/anonymize",
                json!({"text":"more bob@example.org","idempotency_key":k}),
            ),
            (
                "/v1/decide",
                json!({"action":{"type":"annotation.keyspace"},"idempotency_key":k}),
            ),
        ] {
            let r = h.post(p, body.to_string());
            assert_eq!(
                r.status,
                200,
                "{p}: the key of another route conflicts: {}",
                r.text()
            );
        }
    });
}
