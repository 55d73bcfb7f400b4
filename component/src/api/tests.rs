use super::*;
use crate::policy::{Action, Effect, Policy};
use crate::receipt::{self, GENESIS_HASH, Receipt, verify_chain};

const POLICY: &str = r#"{"policy_id":"test","policy_version":"v1","rules":[
 {"id":"deny-api-key-shell","priority":100,"effect":"deny","description":"no keys in shell",
  "match":{"action_types":["shell.exec"]},"entity_requirements":["api_key"]},
 {"id":"transform-sensitive","priority":50,"effect":"transform","match":{"action_types":["file.write"]},
  "entity_requirements":["email"],"entity_transforms":[{"entity_type":"email","mode":"mask"}]},
 {"id":"allow-safe","priority":10,"effect":"allow","match":{"action_types":["file.read","shell.exec"]}}]}"#;

fn policy() -> Policy {
    Policy::from_json(POLICY.as_bytes()).unwrap()
}

fn sf(t: &str, v: &str, start: usize, end: usize) -> ScanFinding {
    ScanFinding {
        entity_type: t.into(),
        value: v.into(),
        start,
        end,
        confidence: 0.99,
    }
}

fn ctx(prev: &str) -> DecideContext<'static> {
    DecideContext {
        receipt_id: "0123456789abcdef0123456789abcdef".into(),
        timestamp: "2026-02-24T00:00:00.000000001Z".into(),
        prev_hash: prev.into(),
        key: b"test-key",
        input_hash: String::new(),
    }
}

#[test]
fn parse_json_reads_first_value_and_reports_without_input() {
    let r: ScanRequest = parse_json(br#"{"text":"a","zzz":1} trailing"#).unwrap();
    assert_eq!(r.text, "a");
    let r: ScanRequest = parse_json(br#"{"text":"a","trace_id":null}"#).unwrap();
    assert_eq!(r.trace_id, "");
    let e = parse_json::<ScanRequest>(b"{").unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (ErrorCode::InvalidRequest, "invalid JSON body")
    );
    let e = parse_json::<ScanRequest>(b"").unwrap_err();
    assert_eq!(e.details, "EOF");
    let e = parse_json::<ScanRequest>(br#"{"text":["sk_live_secret"]}"#).unwrap_err();
    assert!(!e.details.contains("sk_live"), "{}", e.details);
}

#[test]
fn validation_messages_and_order() {
    let e = validate_scan(&ScanRequest::default()).unwrap_err();
    assert_eq!(e.message, "text is required");
    let bad_unit = ScanRequest {
        text: "x".into(),
        offset_unit: "bits".into(),
        ..ScanRequest::default()
    };
    assert_eq!(
        validate_scan(&bad_unit).unwrap_err().message,
        "unsupported offset_unit"
    );
    assert_eq!(
        validate_decide(&DecideRequest::default())
            .unwrap_err()
            .message,
        "action.type is required"
    );
    assert_eq!(
        validate_anonymize(&AnonymizeRequest::default())
            .unwrap_err()
            .message,
        "text is required"
    );
    // Text first, even with a bad mode.
    let mut t = TransformRequest {
        mode: "nope".into(),
        ..TransformRequest::default()
    };
    assert_eq!(
        validate_transform(&mut t).unwrap_err().message,
        "text is required"
    );
    t.text = "x".into();
    assert_eq!(
        validate_transform(&mut t).unwrap_err().message,
        "unsupported transform mode"
    );
    t.mode = " MASK ".into();
    t.entity_modes.insert("  ".into(), "mask".into());
    assert_eq!(
        validate_transform(&mut t).unwrap_err().message,
        "entity_modes keys must not be empty"
    );
    t.entity_modes.clear();
    t.entity_modes.insert(" email ".into(), "bogus".into());
    assert_eq!(
        validate_transform(&mut t).unwrap_err().message,
        "unsupported transform mode"
    );
    t.entity_modes.clear();
    t.entity_modes.insert(" email ".into(), " Hash".into());
    validate_transform(&mut t).unwrap();
    assert_eq!(t.mode, "mask");
    assert_eq!(
        t.entity_modes.get("email").map(String::as_str),
        Some("hash")
    );
}

#[test]
fn fingerprints_ignore_ids_only() {
    let a = ScanRequest {
        text: "hello".into(),
        ..ScanRequest::default()
    };
    let mut b = a.clone();
    b.request_id = "r".into();
    b.trace_id = "t".into();
    b.idempotency_key = "k".into();
    assert_eq!(fingerprint_scan(&a), fingerprint_scan(&b));
    b.text = "hello!".into();
    assert_ne!(fingerprint_scan(&a), fingerprint_scan(&b));

    let mut t1 = TransformRequest {
        text: "x".into(),
        mode: "MASK".into(),
        ..TransformRequest::default()
    };
    let mut t2 = TransformRequest {
        text: "x".into(),
        mode: " mask".into(),
        request_id: "other".into(),
        ..TransformRequest::default()
    };
    validate_transform(&mut t1).unwrap();
    validate_transform(&mut t2).unwrap();
    assert_eq!(fingerprint_transform(&t1), fingerprint_transform(&t2));
    t2.mode = "hash".into();
    assert_ne!(fingerprint_transform(&t1), fingerprint_transform(&t2));

    let an = AnonymizeRequest {
        text: "x".into(),
        ..AnonymizeRequest::default()
    };
    let mut an2 = an.clone();
    an2.findings.push(sf("email", "x", 0, 1));
    assert_ne!(fingerprint_anonymize(&an), fingerprint_anonymize(&an2));

    let d: DecideRequest = parse_json(
        br#"{"action":{"type":"file.write","resource":"notes.txt"},"text":"contact jane@example.com","session_id":"s"}"#,
    )
    .unwrap();
    assert_eq!(
        fingerprint_decide(&d),
        "0a738c38e92801e26e1289b98ef4546235ce5953b2de059d2d23361ee1872aa5"
    );
}

#[test]
fn transform_seed_example_masks_the_whole_value() {
    let mut req: TransformRequest = parse_json(
        br#"{"text":"customer email is alice@example.com","findings":[{"entity_type":"email","value":"alice@example.com","start":18,"end":34,"confidence":0.99}],"mode":"mask"}"#,
    )
    .unwrap();
    let r = handle_transform(&policy(), &req, b"").unwrap();
    assert_eq!(r.output, format!("customer email is {}", "*".repeat(17)));
    assert_eq!(r.stats.entities_transformed, 1);
    assert_eq!(r.stats.modes_applied, "email:mask");
    assert_eq!(
        (r.policy_id.as_str(), r.policy_version.as_str()),
        ("test", "v1")
    );
    // A value that is not in the text is rejected without echoing it.
    req.findings[0].value = "bob@example.org".into();
    let e = handle_transform(&policy(), &req, b"").unwrap_err();
    assert_eq!(e.message, "findings do not match text");
    assert!(e.details.contains("finding 0 (`email`)"));
    assert!(!e.details.contains("bob@"));
}

#[test]
fn transform_plans() {
    let text = "a jane@example.com b 555-123-4567";
    let findings = vec![
        sf("email", "jane@example.com", 2, 18),
        sf("phone", "555-123-4567", 21, 33),
    ];
    let mut req = TransformRequest {
        text: text.into(),
        findings: findings.clone(),
        ..TransformRequest::default()
    };
    // No mode, no entity_modes: unchanged.
    let r = handle_transform(&policy(), &req, b"").unwrap();
    assert_eq!(r.output, text);
    assert_eq!(r.stats.entities_transformed, 0);
    assert_eq!(r.stats.modes_applied, "");
    // entity_modes win over mode; keys match case-insensitively (ours).
    req.mode = "redact".into();
    req.entity_modes.insert("PHONE".into(), "tokenize".into());
    let r = handle_transform(&policy(), &req, b"").unwrap();
    assert_eq!(r.output, "a jane@example.com b TOK-d36e8308");
    assert_eq!(r.stats.modes_applied, "phone:tokenize");
    req.entity_modes.clear();
    let r = handle_transform(&policy(), &req, b"").unwrap();
    assert_eq!(r.output, "a [REDACTED] b [REDACTED]");
    assert_eq!(r.stats.modes_applied, "email:redact,phone:redact");
    // Anonymize.
    let an = AnonymizeRequest {
        text: text.into(),
        findings,
        ..AnonymizeRequest::default()
    };
    let r = handle_anonymize(&policy(), &an, b"").unwrap();
    assert_eq!(r.output, "a anon-8c87b489 b anon-d36e8308");
    assert_eq!(r.stats.modes_applied, "email:anonymize,phone:anonymize");
    // Keyed tokens differ from Go's unkeyed ones.
    let keyed = handle_anonymize(&policy(), &an, b"k").unwrap();
    assert_ne!(keyed.output, r.output);
}

#[test]
fn transform_response_json_shape() {
    let r = handle_transform(
        &policy(),
        &TransformRequest {
            text: "x".into(),
            ..TransformRequest::default()
        },
        b"",
    )
    .unwrap();
    assert_eq!(
        serde_json::to_string(&r).unwrap(),
        r#"{"request_id":"","output":"x","policy_id":"test","policy_version":"v1","stats":{"entities_transformed":0,"modes_applied":""}}"#
    );
}

#[test]
fn decide_with_supplied_findings_builds_a_valueless_receipt() {
    let req: DecideRequest = parse_json(
        br#"{"action":{"type":"file.write","resource":"notes.txt"},"text":"contact jane@example.com","findings":[{"entity_type":"email","value":"jane@example.com","start":0,"end":3}],"request_id":"req-1","tenant_id":"t"}"#,
    )
    .unwrap();
    let (resp, receipt) = decide(&policy(), &req, ctx(GENESIS_HASH)).unwrap();
    assert_eq!(resp.decision, Effect::Transform);
    assert_eq!(resp.matched_rules, vec!["transform-sensitive".to_owned()]);
    assert_eq!(resp.receipt_id, receipt.receipt_id);
    assert_eq!(resp.request_id, "req-1");
    // Reconciled offsets.
    assert_eq!((resp.findings[0].start, resp.findings[0].end), (8, 24));
    assert_eq!(resp.findings[0].value, "jane@example.com");
    let line = receipt.canonical_json();
    assert!(!line.contains("jane"), "{line}");
    assert_eq!(receipt.tenant_id, "t");
    assert_eq!(receipt.prev_hash, GENESIS_HASH);
    assert_eq!(receipt.action_hash.len(), 64);
    assert_eq!(
        receipt.sanitized_summary,
        r#"[{"entity_type":"email","mode":"mask"}]"#
    );
    assert_eq!(verify_chain([line.as_str()].into_iter()).unwrap().count, 1);
}

#[test]
fn decide_without_text_trusts_findings_and_arrays_are_never_null() {
    let req: DecideRequest = parse_json(
        br#"{"action":{"type":"shell.exec","command":"curl"},"findings":[{"entity_type":"github_token","value":"ghp_x","start":5,"end":10}]}"#,
    )
    .unwrap();
    let (resp, receipt) = decide(&policy(), &req, ctx(GENESIS_HASH)).unwrap();
    assert_eq!(resp.decision, Effect::Deny);
    assert_eq!(resp.reason, "no keys in shell");
    assert_eq!((resp.findings[0].start, resp.findings[0].end), (5, 10));
    assert_eq!(receipt.findings[0].start, 5);

    let req: DecideRequest = parse_json(br#"{"action":{"type":"unknown.kind"}}"#).unwrap();
    let (resp, receipt) = decide(&policy(), &req, ctx(&receipt.hash)).unwrap();
    assert_eq!(resp.decision, Effect::Deny);
    assert_eq!(resp.reason, "no matching rule");
    let json = serde_json::to_string(&resp).unwrap();
    assert!(json.contains(r#""matched_rules":[]"#), "{json}");
    assert!(json.contains(r#""findings":[]"#), "{json}");
    assert!(!json.contains("transform_plan"));
    assert!(!json.contains("request_id"));
    assert!(receipt.is_sealed());

    let e = decide(&policy(), &DecideRequest::default(), ctx(GENESIS_HASH)).unwrap_err();
    assert_eq!(e.message, "action.type is required");
}

#[test]
fn scan_validates_and_echoes() {
    let e = handle_scan(&policy(), &ScanRequest::default()).unwrap_err();
    assert_eq!(e.status(), 400);
    let r = handle_scan(
        &policy(),
        &ScanRequest {
            text: "nothing here".into(),
            request_id: "r1".into(),
            ..ScanRequest::default()
        },
    )
    .unwrap();
    assert_eq!(r.request_id, "r1");
    assert_eq!(
        serde_json::to_string(&r).unwrap(),
        r#"{"request_id":"r1","findings":[],"policy_version":"v1","policy_id":"test"}"#
    );
}

/// Needs the real detectors.
#[test]
fn scan_and_transform_by_detection() {
    let p = policy();
    let r = handle_scan(
        &p,
        &ScanRequest {
            text: "é jane@example.com".into(),
            entity_types: vec!["email".into()],
            offset_unit: "char".into(),
            ..ScanRequest::default()
        },
    )
    .unwrap();
    assert_eq!(r.findings.len(), 1, "{:?}", r.findings);
    assert_eq!((r.findings[0].start, r.findings[0].end), (2, 18));
    assert_eq!(r.findings[0].value, "jane@example.com");
    let t = handle_transform(
        &p,
        &TransformRequest {
            text: "contact jane@example.com".into(),
            mode: "mask".into(),
            ..TransformRequest::default()
        },
        b"",
    )
    .unwrap();
    assert_eq!(t.output, format!("contact {}", "*".repeat(16)));
    assert_eq!(t.stats.modes_applied, "email:mask");
    let (d, _) = decide(
        &p,
        &DecideRequest {
            action: crate::policy::Action {
                action_type: "file.write".into(),
                ..Default::default()
            },
            text: "contact jane@example.com".into(),
            ..DecideRequest::default()
        },
        ctx(GENESIS_HASH),
    )
    .unwrap();
    assert_eq!(d.decision, Effect::Transform);
}

#[test]
fn idempotent_decides_are_replayable_from_their_receipt() {
    // Scanned text, supplied findings with text, supplied findings without text.
    for body in [
        &br#"{"action":{"type":"file.write"},"text":"mail jane@example.com and bob@example.org","idempotency_key":"k-1","request_id":"r"}"#[..],
        br#"{"action":{"type":"file.write"},"text":"contact jane@example.com","findings":[{"entity_type":"email","value":"jane@example.com","start":0,"end":3}],"idempotency_key":"k-2"}"#,
        br#"{"action":{"type":"shell.exec"},"findings":[{"entity_type":"api_key","value":"sk_x","start":5,"end":9,"confidence":0.5}],"idempotency_key":"k-3","trace_id":"t"}"#,
    ] {
        let req: DecideRequest = parse_json(body).unwrap();
        let (resp, receipt) = decide(&policy(), &req, ctx(GENESIS_HASH)).unwrap();
        assert_eq!(
            receipt.idempotency_key_digest,
            receipt::idempotency_digest(b"test-key", &req.idempotency_key)
        );
        assert_eq!(receipt.idempotency_key_digest.len(), 64);
        assert!(receipt.is_sealed());
        let line = receipt.canonical_json();
        assert!(!line.contains(&req.idempotency_key), "{line}");
        // What a restarted host reads back from the file.
        let stored: Receipt = serde_json::from_str(&line).unwrap();
        // The replaying request may carry other ids; the replay is the first response.
        let mut again = req.clone();
        again.request_id = "second".into();
        again.trace_id = "other".into();
        assert_eq!(stored.input_hash, super::fingerprint_decide(&again));
        let mut replay = replay_decide(&stored, &again);
        let mut original = resp.clone();
        for f in &mut original.findings {
            f.confidence = receipt::canonical_confidence(f.confidence);
        }
        for f in &mut replay.findings {
            f.confidence = receipt::canonical_confidence(f.confidence);
        }
        assert_eq!(replay, original);
        assert!(!replay.findings.is_empty());
    }
    // No key: no member, and the hash is what it was before the field existed.
    let req: DecideRequest =
        parse_json(br#"{"action":{"type":"file.read"},"text":"hello"}"#).unwrap();
    let (_, receipt) = decide(&policy(), &req, ctx(GENESIS_HASH)).unwrap();
    assert!(!receipt.canonical_json().contains("idempotency"));
}

#[test]
fn reseal_moves_a_receipt_in_the_chain() {
    let req: DecideRequest =
        parse_json(br#"{"action":{"type":"file.read"},"text":"hello"}"#).unwrap();
    let (_, first) = decide(&policy(), &req, ctx(GENESIS_HASH)).unwrap();
    let (_, mut second) = decide(&policy(), &req, ctx("")).unwrap();
    second.reseal(&first.hash);
    let (_, expect) = decide(&policy(), &req, ctx(&first.hash)).unwrap();
    assert_eq!(second, expect);
    let lines = [first.canonical_json(), second.canonical_json()];
    assert_eq!(
        verify_chain(lines.iter().map(String::as_str))
            .unwrap()
            .count,
        2
    );
}

/// `reseal_line` (the host's sealing without a parse) gives the same bytes and hash as parsing,
/// `reseal` and `canonical_json`, for receipts with every optional member, escapes and Unicode.
#[test]
fn reseal_line_is_reseal_without_a_parse() {
    let bodies = [
        r#"{"action":{"type":"file.read"},"text":"hello"}"#,
        r#"{"action":{"type":"file.write","tool":"fs","resource":"/tmp/\"hash\":\"\",x","args":["a","\"prev_hash\":\"\""],"sensitive":true},"text":"mail jane@example.com, call +1 415-555-0199 <&> \u2028 é 😀 \n\t\u0001","idempotency_key":"k1","request_id":"r","trace_id":"t","tenant_id":"te","actor_id":"a","session_id":"s"}"#,
        r#"{"action":{"type":"shell.exec","command":"curl","args":["-H","Authorization: Bearer sk_live_4eC39HqLyjWDarjtT1zdp7dc"]},"text":"key sk_live_4eC39HqLyjWDarjtT1zdp7dc"}"#,
        r#"{"action":{"type":"file.write"},"findings":[{"entity_type":"email","value":"a@b.co","start":0,"end":6,"confidence":0.9}]}"#,
    ];
    for body in bodies {
        let req: DecideRequest = parse_json(body.as_bytes()).unwrap();
        let (_, unsealed) = decide(&policy(), &req, ctx("")).unwrap();
        let line = unsealed.canonical_json();
        for prev in [GENESIS_HASH, "ab".repeat(32).as_str()] {
            let mut expect = unsealed.clone();
            expect.reseal(prev);
            let (sealed, hash) = crate::receipt::reseal_line(&line, prev).unwrap();
            assert_eq!(hash, expect.hash, "{body}");
            assert_eq!(sealed, expect.canonical_json(), "{body}");
            receipt::verify_chain_from(prev, std::iter::once(sealed.as_str())).unwrap();
        }
        // Not an unsealed line, or a head that would need escaping: no splice.
        let mut sealed = unsealed.clone();
        sealed.reseal(GENESIS_HASH);
        assert!(crate::receipt::reseal_line(&sealed.canonical_json(), GENESIS_HASH).is_none());
        assert!(crate::receipt::reseal_line(&line, "a\"b").is_none());
    }
}

#[test]
fn receipts_record_the_action_with_secrets_and_pii_redacted() {
    let key = "sk_live_4eC39HqLyjWDarjtT1zdp7dc";
    let body = format!(
        r#"{{"action":{{"type":"shell.exec","tool":"shell","command":"curl","resource":"curl -H 'Authorization: Bearer {key}' https://api.example.com","args":["-H","Authorization: Bearer {key}","--data","email=jane@example.com"]}},"text":"curl -H 'Authorization: Bearer {key}' --data email=jane@example.com"}}"#
    );
    let req: DecideRequest = parse_json(body.as_bytes()).unwrap();
    for prev in [GENESIS_HASH, ""] {
        let (_, receipt) = decide(&policy(), &req, ctx(prev)).unwrap();
        let line = receipt.canonical_json();
        assert!(!line.contains(key), "{line}");
        assert!(!line.contains("jane@example.com"), "{line}");
        assert_eq!(receipt.action.command, "curl");
        assert!(
            receipt.action.args[1].starts_with("Authorization: Bearer [REDACTED:"),
            "{line}"
        );
        assert_eq!(receipt.action.args[3], "email=[REDACTED:email]");
        assert!(
            receipt
                .action
                .resource
                .ends_with("[REDACTED:stripe_key]' https://api.example.com"),
            "{line}"
        );
        // The hash of the action as sent, so callers can still match it.
        assert_eq!(receipt.action_hash, receipt::action_hash(&req.action));
        if prev.is_empty() {
            assert!(receipt.hash.is_empty());
        } else {
            assert!(receipt.is_sealed());
        }
    }
}

/// The caller's id fields and the action type are recorded redacted too: an `actor_id` is often
/// an email, a `session_id` sometimes carries a token. Ids without entities stay as sent.
#[test]
fn receipts_redact_the_id_fields_and_action_type() {
    let key = "sk_live_4eC39HqLyjWDarjtT1zdp7dc";
    let body = format!(
        r#"{{"action":{{"type":"file.write jane@example.com"}},"text":"hello","request_id":"req-1","trace_id":"t {key}","tenant_id":"acme","actor_id":"jane@example.com","session_id":"s-42 ssn 123-45-6789"}}"#
    );
    let req: DecideRequest = parse_json(body.as_bytes()).unwrap();
    for prev in [GENESIS_HASH, ""] {
        let (resp, receipt) = decide(&policy(), &req, ctx(prev)).unwrap();
        let line = receipt.canonical_json();
        for raw in [key, "jane@example.com", "123-45-6789"] {
            assert!(!line.contains(raw), "{raw} in {line}");
        }
        assert_eq!(receipt.request_id, "req-1");
        assert_eq!(receipt.tenant_id, "acme");
        assert_eq!(receipt.actor_id, "[REDACTED:email]");
        assert_eq!(receipt.action.action_type, "file.write [REDACTED:email]");
        assert!(receipt.trace_id.starts_with("t [REDACTED:"), "{line}");
        assert!(
            receipt.session_id.starts_with("s-42 ssn [REDACTED:"),
            "{line}"
        );
        // The response answers the caller with its ids as sent.
        assert_eq!(resp.trace_id, format!("t {key}"));
    }
}

/// Issue 8: a keyed decide is hashed once. The host passes its idempotency fingerprint as the
/// context's `input_hash`; the receipt is byte for byte the one the core builds when it hashes
/// the request itself, and the fingerprint is that same value.
#[test]
fn issue_8_a_precomputed_input_hash_gives_the_same_receipt() {
    let p = policy();
    let req = DecideRequest {
        action: crate::policy::Action {
            action_type: "file.write".into(),
            ..Default::default()
        },
        text: "mail alice@example.com".into(),
        idempotency_key: "k-1".into(),
        ..DecideRequest::default()
    };
    let fp = fingerprint_decide(&req);
    let (r1, own) = decide(&p, &req, ctx(GENESIS_HASH)).unwrap();
    let given = DecideContext {
        input_hash: fp.clone(),
        ..ctx(GENESIS_HASH)
    };
    let (r2, passed) = decide(&p, &req, given).unwrap();
    assert_eq!(own.input_hash, fp);
    assert_eq!(r1, r2);
    assert_eq!(own.canonical_json(), passed.canonical_json());
}

/// Issue 14, finding 4: values glued into identifiers (a path, a dotted action type, a
/// snake_case arg, an id field) are found and redacted in the receipt and the event; a supplied
/// finding's `entity_type` must name a type (free text could be a value) and is never echoed.
#[test]
fn issue_14_no_value_in_identifiers_and_supplied_types_are_checked() {
    let ssn = "219-47-8312";
    let card = "4111111111111111";
    let ghp = "ghp_R2d2C3poBb8Lw9Xy7Qk4Mn5Tz1Vs6Hj0Pa3E";
    let email = "jane.doe@example.com";
    let body = format!(
        r#"{{"action":{{"type":"file.write.{ssn}","tool":"fs","resource":"/data/{ssn}.pdf","command":"cp","args":["x_{card}_1","--token={ghp}","/home/u/{email}.txt"]}},"text":"hello","request_id":"req_{ssn}","trace_id":"trace/{card}","tenant_id":"acme","actor_id":"user:{email}","session_id":"sess.{ghp}"}}"#
    );
    let req: DecideRequest = parse_json(body.as_bytes()).unwrap();
    let (resp, receipt) = decide(&policy(), &req, ctx(GENESIS_HASH)).unwrap();
    let line = receipt.canonical_json();
    let event = serde_json::to_string(&decision_event(&receipt, &resp)).unwrap();
    for raw in [ssn, card, ghp, email, "8312", "R2d2C3po"] {
        assert!(!line.contains(raw), "{raw} in the receipt: {line}");
        assert!(!event.contains(raw), "{raw} in the event: {event}");
    }
    assert_eq!(receipt.action.resource, "/data/[REDACTED:ssn].pdf");
    assert_eq!(receipt.action.args[0], "x_[REDACTED:credit_card]_1");
    assert_eq!(receipt.tenant_id, "acme");
    // Identifiers without entities stay as sent.
    assert_eq!(receipt.action.tool, "fs");
    assert_eq!(receipt.action.command, "cp");

    // A supplied type that is not a type: 400, nothing built, the text not repeated.
    for bad in [ssn, "my secret value", ""] {
        let body = format!(
            r#"{{"action":{{"type":"file.write"}},"findings":[{{"entity_type":"email","value":"a@b.co","start":0,"end":6}},{{"entity_type":"{bad}","value":"x","start":0,"end":1}}]}}"#
        );
        let req: DecideRequest = parse_json(body.as_bytes()).unwrap();
        let e = decide(&policy(), &req, ctx(GENESIS_HASH)).unwrap_err();
        assert_eq!(
            (e.status(), e.message.as_str()),
            (400, "unknown entity type")
        );
        assert!(
            e.details.contains("findings[1].entity_type"),
            "{}",
            e.details
        );
        if !bad.is_empty() {
            assert!(!e.details.contains(bad), "{}", e.details);
        }
    }
    // Known types pass in any case, Go wire names too.
    let body = r#"{"action":{"type":"file.write"},"findings":[{"entity_type":"EMAIL","value":"a@b.co","start":0,"end":6}]}"#;
    let req: DecideRequest = parse_json(body.as_bytes()).unwrap();
    assert!(decide(&policy(), &req, ctx(GENESIS_HASH)).is_ok());
}

/// The identifier views find structured entities only: a pid or a port between dashes in a path
/// is not redacted as a zip code or a phone number (ids and paths are full of them).
#[test]
fn issue_14_identifier_views_leave_numbers_in_paths_alone() {
    let policy = policy();
    let redactor = crate::api::handlers::Redactor::new(&policy, &[]);
    for s in [
        "/tmp/shim-offline-key-30294-39/datafog_token.key",
        "build-2026-12-03-run-41523",
        "svc:8443/v1/items_90210",
    ] {
        assert_eq!(redactor.redact(s), s);
    }
    assert_eq!(
        redactor.redact("/tmp/run-30294/219-47-8312.pdf"),
        "/tmp/run-30294/[REDACTED:ssn].pdf"
    );
    // Dashes glue structured entities to their neighbours too (the canary test, issue 14 part 4).
    assert_eq!(redactor.redact("a-219-47-8312-b"), "a-[REDACTED:ssn]-b");
    for s in [
        "x-4111-1111-1111-1111-y",
        "id-jane.doe@example.com-x",
        "run-219-47-8312.pdf",
        "x_jane.doe@example.com_1",
        "x_ghp_R2d2C3poBb8Lw9Xy7Qk4Mn5Tz1Vs6Hj0Pa3E_1",
        "x-219-47-8312-1",
        "219-47-8312-219-47-8312",
    ] {
        let r = redactor.redact(s);
        assert!(
            r.contains("[REDACTED:")
                && !r.contains("8312")
                && !r.contains("jane.doe")
                && !r.contains("1111-1111")
                && !r.contains("R2d2C3po"),
            "{s} -> {r}"
        );
    }
}

// --- bounds (`bounds`; docs/security.md "Bounds") ---

/// About 1 MiB of distinct emails: tens of thousands of findings.
fn dense_text() -> String {
    let mut t = String::new();
    let mut i = 0;
    while t.len() < (1 << 20) - 64 {
        t.push_str(&format!("u{i}@ex.io "));
        i += 1;
    }
    t
}

#[test]
fn a_scan_past_the_findings_cap_answers_the_first_findings_and_counts_all() {
    let text = dense_text();
    let total = text.split(' ').filter(|w| w.contains('@')).count() as u64;
    assert!(total > bounds::MAX_FINDINGS as u64 * 10, "{total}");
    let req = ScanRequest {
        text,
        ..ScanRequest::default()
    };
    let r = handle_scan(&policy(), &req).unwrap();
    assert_eq!(r.findings.len(), bounds::MAX_FINDINGS);
    assert!(r.findings_truncated);
    assert_eq!(r.finding_counts.get("email"), Some(&total));
    assert_eq!(r.findings[0].value, "u0@ex.io");
    let body = serde_json::to_vec(&r).unwrap();
    assert!(body.len() < 200 << 10, "{} bytes", body.len());
    // Under the cap nothing changes (no new members on the wire).
    let small = handle_scan(
        &policy(),
        &ScanRequest {
            text: "mail a@b.io".into(),
            ..ScanRequest::default()
        },
    )
    .unwrap();
    let wire = serde_json::to_string(&small).unwrap();
    assert!(!wire.contains("findings_truncated") && !wire.contains("finding_counts"));
}

#[test]
fn a_decide_past_the_findings_cap_is_a_deny_whose_receipt_counts_per_type() {
    let text = dense_text();
    let req = DecideRequest {
        action: Action {
            action_type: "file.read".into(),
            ..Action::default()
        },
        text,
        ..DecideRequest::default()
    };
    let (r, receipt) = decide(&policy(), &req, ctx(GENESIS_HASH)).unwrap();
    assert_eq!(
        r.decision,
        Effect::Deny,
        "file.read is allowed under the cap"
    );
    assert!(r.findings.is_empty() && r.findings_truncated);
    assert!(r.matched_rules.is_empty());
    assert!(r.reason.starts_with("too many findings"), "{}", r.reason);
    let emails = *r.finding_counts.get("email").unwrap();
    assert!(emails > 10_000, "{emails}");
    assert!(receipt.findings.is_empty());
    assert_eq!(receipt.finding_counts, r.finding_counts);
    let line = receipt.canonical_json();
    assert!(line.len() < 2048, "{} bytes", line.len());
    assert!(line.contains(&format!(r#""finding_counts":{{"email":{emails}}}"#)));
    verify_chain([line.as_str()].into_iter()).unwrap();
    // A replay after a restart answers the same.
    let replayed = replay_decide(&serde_json::from_str(&line).unwrap(), &req);
    assert_eq!(replayed.finding_counts, r.finding_counts);
    assert!(replayed.findings_truncated && replayed.findings.is_empty());
    // Supplied findings count too (no text: taken as sent).
    let supplied = DecideRequest {
        action: req.action.clone(),
        findings: (0..=bounds::MAX_FINDINGS)
            .map(|i| sf("email", "a@b.io", i, i + 6))
            .collect(),
        ..DecideRequest::default()
    };
    let (r, _) = decide(&policy(), &supplied, ctx(GENESIS_HASH)).unwrap();
    assert_eq!(r.decision, Effect::Deny);
    assert_eq!(
        r.finding_counts.get("email"),
        Some(&(bounds::MAX_FINDINGS as u64 + 1))
    );
}

#[test]
fn the_largest_receipt_is_under_the_bound() {
    // Exactly the cap of findings, every recorded string far past its limit, and a policy whose
    // many rules all match with long ids.
    let rules: Vec<String> = (0..500)
        .map(|i| {
            format!(
                r#"{{"id":"{}{i}","priority":{i},"effect":"allow","match":{{"action_types":["file.read"]}}}}"#,
                "r".repeat(900)
            )
        })
        .collect();
    let policy = Policy::from_json(
        format!(
            r#"{{"policy_id":"p","policy_version":"v","rules":[{}]}}"#,
            rules.join(",")
        )
        .as_bytes(),
    )
    .unwrap();
    let mut text = String::new();
    for i in 0..bounds::MAX_FINDINGS {
        text.push_str(&format!("user{i:04}@example.com "));
    }
    let long = "x".repeat(3_000);
    let req = DecideRequest {
        action: Action {
            action_type: format!("file.read{long}"),
            tool: long.clone(),
            resource: long.clone(),
            command: long.clone(),
            args: vec![long.clone(); 100],
            sensitive: true,
        },
        text,
        request_id: long.clone(),
        trace_id: long.clone(),
        tenant_id: long.clone(),
        actor_id: long.clone(),
        session_id: long.clone(),
        idempotency_key: long.clone(),
        ..DecideRequest::default()
    };
    let (r, receipt) = decide(&policy, &req, ctx(GENESIS_HASH)).unwrap();
    assert_eq!(r.findings.len(), bounds::MAX_FINDINGS);
    assert!(!r.findings_truncated);
    assert_eq!(receipt.findings.len(), bounds::MAX_FINDINGS);
    let line = receipt.canonical_json();
    assert!(
        line.len() < bounds::MAX_RECEIPT_BYTES,
        "{} bytes",
        line.len()
    );
    assert_eq!(receipt.action.args.len(), bounds::MAX_RECORDED_ARGS + 1);
    assert!(receipt.action.command.ends_with(" bytes]"));
    assert!(receipt.request_id.len() < bounds::MAX_RECORDED_ID_BYTES + 32);
    // The action hash still covers the action as sent.
    assert_eq!(
        receipt.action_hash,
        crate::receipt::action_hash(&req.action)
    );
    verify_chain([line.as_str()].into_iter()).unwrap();
}

/// Many distinct values and a long field: the redactor searches each field once (one automaton),
/// so this stays fast, and it still finds every value (issue 14: a ~0.9 MB decide with 40,000
/// emails and a 400 KB command ran past the 2 s guest deadline).
#[test]
fn many_values_and_a_long_command_are_redacted_quickly() {
    // Supplied findings (no text): values no detector would flag, so only the value search can
    // redact them.
    let findings: Vec<ScanFinding> = (0..40_000)
        .map(|i| sf("email", &format!("tokval{i:06}x"), 0, 13))
        .collect();
    let command = format!(
        "run tokval012345x and tokval039999x {}",
        "y".repeat(400_000)
    );
    let req = DecideRequest {
        action: Action {
            action_type: "shell.exec".into(),
            command,
            ..Action::default()
        },
        findings,
        ..DecideRequest::default()
    };
    let started = std::time::Instant::now();
    let (_, receipt) = decide(&policy(), &req, ctx(GENESIS_HASH)).unwrap();
    let took = started.elapsed();
    // Whatever the build (debug included): the per-value search took far longer here.
    assert!(took < std::time::Duration::from_secs(10), "{took:?}");
    let recorded = &receipt.action.command;
    assert!(
        recorded.starts_with("run [REDACTED:email] and [REDACTED:email] y"),
        "{}",
        &recorded[..60]
    );
}
