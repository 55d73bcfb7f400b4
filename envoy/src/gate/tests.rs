use super::*;
use crate::config::Config;

fn cfg(extra: &str) -> Result<Config, String> {
    let policy = r#"{"policy_id":"t","policy_version":"1","rules":[
      {"id":"deny-secrets","description":"no secrets","priority":100,"effect":"deny","match":{"action_types":["http.request"]},"any_entities":["secret"]},
      {"id":"redact-pii","priority":50,"effect":"allow_with_redaction","match":{"action_types":["http.request"]},"any_entities":["any"]},
      {"id":"allow","priority":10,"effect":"allow","match":{"action_types":["http.request"]}}]}"#;
    Config::parse(format!(r#"{{"policy":{policy}{extra}}}"#).as_bytes())
}

fn action() -> Action {
    request_action("POST", "http", "example.test", "/v1")
}

#[test]
fn whole_body_allow_redact_deny() -> Result<(), String> {
    let c = cfg("")?;
    let v = decide_whole(&c, &action(), &[], b"hello world");
    assert_eq!(v.decision.effect, Effect::Allow);
    assert!(v.body.is_none());
    let v = decide_whole(
        &c,
        &action(),
        &[],
        b"mail me at jane.doe@example.com please",
    );
    assert_eq!(v.decision.effect, Effect::AllowWithRedaction);
    let body = String::from_utf8(v.body.unwrap_or_default()).map_err(|e| e.to_string())?;
    assert!(!body.contains("jane.doe@example.com"), "{body}");
    assert_eq!(v.summary, "email:1");
    let v = decide_whole(&c, &action(), &[], b"key AKIAQWERTY23ZXCV45BN");
    assert_eq!(v.decision.effect, Effect::Deny);
    assert_eq!(
        v.decision.matched_rules.first().map(String::as_str),
        Some("deny-secrets")
    );
    Ok(())
}

#[test]
fn header_values_are_scanned_and_rewritten() -> Result<(), String> {
    let c = cfg(r#","scan_headers":["x-user"]"#)?;
    let headers = vec![("x-user".to_owned(), "jane.doe@example.com".to_owned())];
    let v = decide_whole(&c, &action(), &headers, b"{}");
    assert_eq!(v.decision.effect, Effect::AllowWithRedaction);
    assert_eq!(v.headers.len(), 1);
    assert!(v.headers.iter().all(|(_, val)| !val.contains("jane.doe")));
    Ok(())
}

#[test]
fn envelope_shape() -> Result<(), String> {
    let c = cfg("")?;
    let v = decide_whole(&c, &action(), &[], b"key AKIAQWERTY23ZXCV45BN");
    let body = envelope(
        "policy_denied",
        "request denied by policy",
        "r1",
        Some(&v.decision),
    );
    let json: serde_json::Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
    assert_eq!(json["error"]["code"], "policy_denied");
    assert_eq!(json["error"]["request_id"], "r1");
    assert_eq!(json["decision"]["effect"], "deny");
    assert_eq!(json["decision"]["matched_rules"][0], "deny-secrets");
    assert!(!String::from_utf8_lossy(&body).contains("AKIA"));
    Ok(())
}

fn stream_all(c: &Config, chunks: &[&[u8]]) -> (Vec<u8>, Option<Decision>) {
    let mut s = Stream::new(c, action(), &[]);
    let mut out = Vec::new();
    for ch in chunks {
        match s.push(ch) {
            Step::Emit(b) => out.extend(b),
            Step::Deny(d) => return (out, Some(d)),
        }
    }
    match s.finish() {
        (Step::Emit(b), d, _) => {
            out.extend(b);
            (out, d)
        }
        (Step::Deny(d), _, _) => (out, Some(d)),
    }
}

/// Every split point of a body into two chunks streams to the same bytes as the whole-body
/// decision, with a small window so that the scanner cuts inside the text.
#[test]
fn every_split_point_matches_the_whole_body() -> Result<(), String> {
    let c = cfg(r#","window":{"look_behind":64,"look_ahead":64,"step":16}"#)?;
    let text: &[u8] = b"first line, nothing here\nwrite to jane.doe@example.com or call 555-867-5309 today\nand bob@example.org too\n";
    let whole = decide_whole(&c, &action(), &[], text);
    let want = whole.body.unwrap_or_else(|| text.to_vec());
    for cut in 0..=text.len() {
        let (a, b) = text.split_at(cut);
        let (got, d) = stream_all(&c, &[a, b]);
        assert_eq!(got, want, "cut at {cut}");
        assert_eq!(
            d.map(|d| d.effect),
            Some(whole.decision.effect),
            "cut at {cut}"
        );
    }
    // And byte by byte.
    let bytes: Vec<&[u8]> = text.chunks(1).collect();
    assert_eq!(stream_all(&c, &bytes).0, want);
    Ok(())
}

#[test]
fn a_secret_split_across_chunks_denies_before_any_of_it_leaves() -> Result<(), String> {
    let c = cfg(r#","window":{"look_behind":64,"look_ahead":64,"step":16}"#)?;
    let text = b"some harmless preamble that is long enough to be emitted first... key AKIAQWERTY23ZXCV45BN end";
    let at = text.len() - 12;
    let (a, b) = text.split_at(at);
    let (out, d) = stream_all(&c, &[a, b]);
    assert_eq!(d.map(|d| d.effect), Some(Effect::Deny));
    assert!(!String::from_utf8_lossy(&out).contains("AKIA"));
    Ok(())
}
