//! Native core vs the component in wasmtime: the whole golden corpus through both, results must be
//! identical (`assert_eq!` on the core's own types: offsets in every unit, confidences bit for bit,
//! decisions, outputs, error lists, receipts and their stored lines).
//!
//! Instantiating through `bindgen!` (`datafog_conformance::wasm`) also proves the component
//! exports exactly the world in `wit/`. The HTTP host joins the comparison in `firewalls`, at the
//! level of the HTTP contract.

use std::borrow::Cow;
use std::time::{Duration, Instant};

use datafog::api::{
    self, AnonymizeRequest, DecideContext, DecideRequest, ScanRequest, TransformRequest,
};
use datafog::detect;
use datafog::policy::Policy;
use datafog::receipt::{self, GENESIS_HASH, ReceiptFinding, ReceiptInput};
use datafog::transform::{self, SuppliedFinding};
use datafog::{Action, Finding, Mode, OffsetUnit, ScanOptions, TransformStep};
use datafog_conformance::wasm::{self, Guest};
use datafog_conformance::{DetectCase, detect_cases, repo_root};

const UNITS: [OffsetUnit; 3] = [OffsetUnit::Byte, OffsetUnit::Char, OffsetUnit::Utf16];
const KEY: &[u8] = b"differential-test-key";

fn guest() -> Guest {
    wasm::guest().expect("instantiate the component")
}

/// What `scan-text-with` / `engine.scan` do, natively (the core function the guest calls).
fn native_scan(
    text: &str,
    opts: ScanOptions<'_>,
    types: &[String],
    unit: OffsetUnit,
) -> Vec<Finding> {
    api::scan_findings(text, opts, types, unit)
}

fn case_types(case: &DetectCase) -> Vec<String> {
    case.types.clone().unwrap_or_default()
}

/// Every policy document the repository ships or tests: `config/**.json` and every policy of
/// the policy corpus, as (name, JSON).
fn policy_docs() -> Vec<(String, String)> {
    let mut paths = Vec::new();
    let mut stack = vec![repo_root().join("config")];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.filter_map(Result::ok) {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "json") {
                paths.push(p);
            }
        }
    }
    paths.sort();
    let mut out: Vec<(String, String)> = paths
        .into_iter()
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    for f in datafog_conformance::policy_corpus::policy_files().unwrap_or_default() {
        if let Ok(json) = String::from_utf8(f.policy_json) {
            out.push((format!("tests/corpus/policy/{}", f.file), json));
        }
    }
    out
}

fn starter_policy() -> String {
    std::fs::read_to_string(repo_root().join("config").join("policy.json"))
        .expect("config/policy.json")
}

// ------------------------------------------------------------------------------------ detection

#[test]
fn component_exports_the_wit_world() {
    // `bindgen!` typed instantiation fails on any missing or mistyped export.
    let mut g = guest();
    eprintln!(
        "component {} compiled/loaded in {} ms",
        wasm::component_path().display(),
        wasm::compile_ms()
    );
    assert!(g.scan_text("").unwrap().is_empty());
}

#[test]
fn detect_corpus_every_unit() {
    let cases = detect_cases();
    assert!(!cases.is_empty(), "no detection corpus");
    let mut g = guest();
    let mut compared = 0;
    for (file, case) in &cases {
        let types = case_types(case);
        for unit in UNITS {
            let native = native_scan(&case.text, ScanOptions::default(), &types, unit);
            let component = g.scan_text_with(&case.text, &types, unit).unwrap();
            assert_eq!(native, component, "{file} / {} ({unit:?})", case.name);
            compared += 1;
        }
        let native = detect::scan_all(case.text.as_bytes());
        assert_eq!(
            native,
            g.scan_text(&case.text).unwrap(),
            "{file} / {} (scan-text)",
            case.name
        );
    }
    eprintln!(
        "detect: {} cases, {compared} case x unit comparisons",
        cases.len()
    );
}

#[test]
fn detect_corpus_through_policy_engines() {
    let cases = detect_cases();
    let mut g = guest();
    let mut loaded = 0;
    for (path, json) in policy_docs() {
        let Ok(policy) = Policy::from_json(json.as_bytes()) else {
            continue;
        };
        let h = g
            .load(&json)
            .unwrap()
            .expect("loads natively, must load in the component");
        loaded += 1;
        assert_eq!(g.policy_id(h).unwrap(), policy.policy_id);
        assert_eq!(g.policy_version(h).unwrap(), policy.policy_version);
        for (file, case) in &cases {
            let types = case_types(case);
            for unit in UNITS {
                let native = native_scan(&case.text, policy.scan_options(), &types, unit);
                let component = g.scan(h, &case.text, &types, unit).unwrap();
                assert_eq!(
                    native, component,
                    "{} / {file} / {} ({unit:?})",
                    path, case.name
                );
            }
        }
        g.unload(h).unwrap();
    }
    assert!(loaded > 0, "no policy loaded");
    eprintln!(
        "detect via engine: {loaded} policies x {} cases x 3 units",
        cases.len()
    );
}

// ------------------------------------------------------------------------------------ policy

fn actions() -> Vec<Action> {
    let a = |t: &str, tool: &str, resource: &str, command: &str, args: &[&str], sensitive: bool| {
        Action {
            action_type: t.to_owned(),
            tool: tool.to_owned(),
            resource: resource.to_owned(),
            command: command.to_owned(),
            args: args.iter().map(|s| (*s).to_owned()).collect(),
            sensitive,
        }
    };
    vec![
        a(
            "shell.exec",
            "bash",
            "",
            "curl",
            &["-H", "Authorization: Bearer x"],
            false,
        ),
        a("shell.exec", "claude-code", "", "ls", &["-la"], false),
        a("command.exec", "", "", "git", &["push"], true),
        a("file.read", "read", "/etc/passwd", "", &[], false),
        a("file.read", "", "/home/me/.aws/credentials", "", &[], true),
        a("file.write", "write", "/tmp/out.txt", "", &[], false),
        a(
            "http.request",
            "fetch",
            "https://api.example.com/v1",
            "",
            &[],
            false,
        ),
        a("annotation.note", "", "", "", &[], false),
        a("unknown.kind", "", "", "", &[], false),
        a("", "", "", "", &[], false),
        a("  ", "bash", "", "rm", &["-rf", "/"], true),
    ]
}

/// Texts for decisions: every detection case's text plus a few without findings.
fn decision_texts() -> Vec<String> {
    let mut texts: Vec<String> = detect_cases().into_iter().map(|(_, c)| c.text).collect();
    texts.extend(["".to_owned(), "nothing to see here".to_owned()]);
    texts
}

#[test]
fn decisions_every_policy_action_and_text() {
    let texts = decision_texts();
    let mut g = guest();
    let mut compared = 0;
    for (path, json) in policy_docs() {
        let Ok(policy) = Policy::from_json(json.as_bytes()) else {
            continue;
        };
        let h = g.load(&json).unwrap().unwrap();
        for action in actions() {
            for text in &texts {
                let found = detect::scan(text.as_bytes(), &policy.scan_options());
                let native = policy.decide(&action, &found);
                assert_eq!(
                    native,
                    g.decide(h, &action, &found).unwrap(),
                    "{} {action:?}",
                    path
                );
                let (cf, cd) = g
                    .scan_and_decide(h, &action, text, &[] as &[String], OffsetUnit::Byte)
                    .unwrap();
                assert_eq!(
                    (found, native),
                    (cf, cd),
                    "{} scan-and-decide {action:?}",
                    path
                );
                compared += 1;
            }
        }
        g.unload(h).unwrap();
    }
    eprintln!("decisions: {compared} (policy, action, text) triples");
}

#[test]
fn policy_load_errors_are_identical() {
    let bad: &[&str] = &[
        "",
        "not json",
        "{}",
        "[]",
        r#"{"policy_id": "p", "policy_version": "1", "rules": []}"#,
        r#"{"policy_id": "", "policy_version": "", "rules": [{"id": "r1", "effect": "block"}]}"#,
        r#"{"policy_id": "p", "policy_version": "1", "rules": [
            {"id": "deny-ssn", "effect": "deny", "priority": 1, "match": {"action_types": ["shell.exec"]},
             "entity_requirements": ["ssnn"]},
            {"id": "deny-ssn", "effect": "transform", "entity_transforms": [{"entity_type": "email", "mode": "shred"}]},
            {"effect": "allow", "min_confidence": 7}
        ]}"#,
        r#"{"policy_id": "p", "policy_version": "1", "updated_at": "yesterday", "rules": [{"id": "a", "effect": "allow", "match": {"action_types": ["*"]}}]}"#,
    ];
    let mut g = guest();
    let mut errors = 0;
    for json in bad.iter().copied().chain(
        policy_docs()
            .into_iter()
            .map(|(_, json)| json)
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str),
    ) {
        let native = Policy::from_json(json.as_bytes());
        let component = g.load(json).unwrap();
        let checked = g.check_policy(json).unwrap();
        match (&native, component) {
            (Err(n), Err(c)) => {
                assert_eq!(n, &c, "load errors for {json}");
                assert_eq!(Err(n.clone()), checked, "check-policy errors for {json}");
                errors += n.errors().len();
            }
            (Ok(p), Ok(h)) => {
                assert_eq!(
                    Ok((
                        p.policy_id.clone(),
                        p.policy_version.clone(),
                        p.rules().len()
                    )),
                    checked
                );
                g.unload(h).unwrap();
            }
            (n, c) => panic!("native {n:?} vs component {c:?} for {json}"),
        }
    }
    eprintln!("policy errors: {errors} field errors compared");
}

// ------------------------------------------------------------------------------------ transform

fn supplied_from(text: &str, found: &[Finding], with_value: bool) -> Vec<SuppliedFinding> {
    found
        .iter()
        .map(|f| SuppliedFinding {
            entity_type: f.entity_type.to_string(),
            value: if with_value {
                String::from_utf8_lossy(text.as_bytes().get(f.start..f.end).unwrap_or_default())
                    .into_owned()
            } else {
                String::new()
            },
            start: f.start,
            end: f.end,
            confidence: f.confidence,
        })
        .collect()
}

/// A `/v1/transform` request for `text` with `supplied` findings and a plan given as `mode` or as
/// `entity_modes`.
fn transform_req(
    text: &str,
    supplied: &[SuppliedFinding],
    mode: &str,
    entity_modes: &[(&str, &str)],
) -> TransformRequest {
    TransformRequest {
        text: text.to_owned(),
        findings: supplied.to_vec(),
        mode: mode.to_owned(),
        entity_modes: entity_modes
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        request_id: "req".to_owned(),
        trace_id: "trace".to_owned(),
        idempotency_key: String::new(),
    }
}

#[test]
fn transforms_every_mode_key_and_findings_source() {
    let policy_json = starter_policy();
    let policy = Policy::from_json(policy_json.as_bytes()).unwrap();
    let mut g = guest();
    let h = g.load(&policy_json).unwrap().unwrap();
    let mut compared = 0;
    let step = |t: &str, mode| TransformStep {
        entity_type: t.to_owned(),
        mode,
    };
    for text in decision_texts() {
        let found = detect::scan(text.as_bytes(), &policy.scan_options());
        // The plan as `/v1/transform` takes it: one `mode`, or `entity_modes`.
        let decided: Vec<(String, String)> = policy
            .decide(&actions()[5], &found)
            .plan
            .iter()
            .map(|s| (s.entity_type.clone(), s.mode.as_str().to_owned()))
            .collect();
        let decided: Vec<(&str, &str)> = decided
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let mut plans: Vec<(String, Vec<(&str, &str)>)> = Mode::ALL
            .iter()
            .map(|m| (m.as_str().to_owned(), Vec::new()))
            .collect();
        plans.push((" MASK ".to_owned(), Vec::new()));
        plans.push((String::new(), Vec::new()));
        plans.push((
            String::new(),
            vec![("email", "mask"), ("secret", "hash"), ("pii", "tokenize")],
        ));
        plans.push((
            "hash".to_owned(),
            vec![("EMAIL", "Replace"), ("api_key", "redact")],
        ));
        plans.push((String::new(), decided));
        plans.push(("bogus".to_owned(), Vec::new()));
        for (mode, entity_modes) in &plans {
            for key in [KEY, b"".as_slice()] {
                for supplied in [
                    Vec::new(),
                    supplied_from(&text, &found, false),
                    supplied_from(&text, &found, true),
                ] {
                    let req = transform_req(&text, &supplied, mode, entity_modes);
                    let native = api::handle_transform(&policy, &req, key);
                    let component = g.transform_request(h, req, key).unwrap();
                    assert_eq!(
                        native, component,
                        "transform {mode:?} {entity_modes:?} on {text:?}"
                    );
                    compared += 1;
                }
            }
        }
        for supplied in [Vec::new(), supplied_from(&text, &found, true)] {
            let req = AnonymizeRequest {
                text: text.clone(),
                findings: supplied,
                ..AnonymizeRequest::default()
            };
            let native = api::handle_anonymize(&policy, &req, KEY);
            assert_eq!(
                native,
                g.anonymize_request(h, req.clone(), KEY).unwrap(),
                "anonymize {text:?}"
            );
        }
        // `transform` on trusted findings with any plan.
        for plan in [
            vec![step("any", Mode::Tokenize)],
            vec![step("email", Mode::Mask), step("secret", Mode::Hash)],
        ] {
            assert_eq!(
                transform::apply(&text, &found, &plan, KEY),
                g.transform(h, &text, &found, &plan, KEY).unwrap(),
                "transform {plan:?} on {text:?}"
            );
        }
        assert_eq!(
            api::redact_text(&text),
            g.redact_text(&text).unwrap(),
            "redact-text {text:?}"
        );
        // `/v1/scan` in every unit, with and without a type filter.
        for unit in ["", "byte", "char", "utf16", "bogus"] {
            for types in [Vec::new(), vec!["email".to_owned(), "secret".to_owned()]] {
                let req = ScanRequest {
                    text: text.clone(),
                    entity_types: types,
                    request_id: "r".to_owned(),
                    trace_id: String::new(),
                    idempotency_key: String::new(),
                    offset_unit: unit.to_owned(),
                };
                assert_eq!(
                    api::handle_scan(&policy, &req),
                    g.scan_request(h, req.clone()).unwrap(),
                    "scan {unit:?} {text:?}"
                );
            }
        }
    }
    eprintln!("transforms: {compared} comparisons");
}

#[test]
fn reconcile_errors_are_identical() {
    let policy_json = starter_policy();
    let policy = Policy::from_json(policy_json.as_bytes()).unwrap();
    let mut g = guest();
    let h = g.load(&policy_json).unwrap().unwrap();
    let text = "mail alice@example.com, ssn 123-45-6789, café ☕";
    let f = |t: &str, v: &str, s: usize, e: usize| SuppliedFinding {
        entity_type: t.to_owned(),
        value: v.to_owned(),
        start: s,
        end: e,
        confidence: 0.9,
    };
    let cases = vec![
        vec![f("email", "bob@example.com", 5, 22)],
        vec![f("email", "alice@example.com", 5, 22), f("ssn", "", 40, 30)],
        vec![f("x", "", 0, 10_000)],
        vec![f("x", "", 45, 47)], // inside `é`... off a char boundary
        vec![f("email", "alice@example.com", 0, 0)],
        vec![f("email", "alice@example.com", 6, 23)],
    ];
    for supplied in cases {
        let req = transform_req(text, &supplied, "mask", &[]);
        let native = api::handle_transform(&policy, &req, KEY);
        assert_eq!(
            native,
            g.transform_request(h, req, KEY).unwrap(),
            "{supplied:?}"
        );
    }
}

// ------------------------------------------------------------------------------------ receipts

#[test]
fn decide_requests_receipts_and_chains() {
    let policy_json = starter_policy();
    let policy = Policy::from_json(policy_json.as_bytes()).unwrap();
    let mut g = guest();
    let h = g.load(&policy_json).unwrap().unwrap();
    let mut prev = GENESIS_HASH.to_owned();
    let mut lines = Vec::new();
    let mut n = 0u32;
    for text in decision_texts().into_iter().take(40) {
        for action in actions() {
            n += 1;
            let found = detect::scan(text.as_bytes(), &policy.scan_options());
            for findings in [Vec::new(), supplied_from(&text, &found, true)] {
                let req = DecideRequest {
                    action: action.clone(),
                    text: text.clone(),
                    findings,
                    request_id: format!("req-{n}"),
                    trace_id: "trace".to_owned(),
                    tenant_id: "tenant".to_owned(),
                    actor_id: "actor".to_owned(),
                    session_id: "session".to_owned(),
                    // Half the requests carry a key: the receipt's digest must match too.
                    idempotency_key: if n.is_multiple_of(2) {
                        format!("idem-{n}")
                    } else {
                        String::new()
                    },
                };
                let ctx = DecideContext {
                    receipt_id: format!("{n:032x}"),
                    timestamp: "2026-02-24T12:00:00.123456789Z".to_owned(),
                    prev_hash: prev.clone(),
                    key: KEY,
                    input_hash: String::new(),
                };
                let native = api::decide(&policy, &req, ctx.clone());
                let component = g.decide_request(h, req.clone(), ctx).unwrap();
                match (native, component) {
                    (Ok((nr, nrec)), Ok(c)) => {
                        let crec = wasm::receipt_of(&c.receipt);
                        let line = c.receipt.line;
                        assert_eq!(nr, c.response, "decide response {req:?}");
                        assert_eq!(nrec, crec, "receipt {req:?}");
                        assert_eq!(nrec.canonical_json(), line, "stored line {req:?}");
                        let event = api::decision_event(&nrec, &nr);
                        assert_eq!(
                            serde_json::to_string(&event).unwrap(),
                            c.event,
                            "event {req:?}"
                        );
                        prev = nrec.hash.clone();
                        lines.push(line);
                    }
                    (Err(ne), Err(ce)) => assert_eq!(ne, ce, "decide error {req:?}"),
                    (ne, ce) => panic!("native {ne:?} vs component {ce:?} for {req:?}"),
                }
            }
        }
    }
    assert!(lines.len() > 10, "too few receipts: {}", lines.len());

    // build-receipt directly, from the same inputs the handler uses.
    let text = "key sk_live_4eC39HqLyjWDarjtT1zdp7dc and alice@example.com";
    let action = &actions()[0];
    let found = detect::scan(text.as_bytes(), &policy.scan_options());
    let decision = policy.decide(action, &found);
    let input = ReceiptInput {
        receipt_id: "r-build".to_owned(),
        timestamp: "2026-02-24T12:00:00Z".to_owned(),
        request_id: "q".to_owned(),
        trace_id: String::new(),
        tenant_id: String::new(),
        actor_id: String::new(),
        session_id: String::new(),
        policy_id: policy.policy_id.clone(),
        policy_version: policy.policy_version.clone(),
        action: action.clone(),
        input_hash: "ab".repeat(32),
        decision,
        findings: found
            .iter()
            .map(|f| ReceiptFinding::new(f, text.get(f.start..f.end).unwrap_or_default(), KEY))
            .collect(),
        prev_hash: prev.clone(),
    };
    let native = receipt::build(input.clone());
    let built = g.build_receipt(h, &input).unwrap();
    let component = wasm::receipt_of(&built);
    let line = built.line;
    assert_eq!(native, component);
    assert_eq!(native.canonical_json(), line);
    lines.push(line);

    // Chains: intact, from a midpoint, and broken in each way.
    let verify = |g: &mut Guest, lines: &[String]| {
        let native = receipt::verify_chain(lines.iter().map(String::as_str));
        assert_eq!(native, g.verify_chain(lines).unwrap(), "verify-chain");
        native
    };
    let summary = verify(&mut g, &lines).expect("intact chain");
    assert_eq!(summary.count, lines.len());
    let mid = lines.len() / 2;
    let prev_mid = receipt::verify_chain(lines.iter().take(mid).map(String::as_str))
        .unwrap()
        .last_hash;
    assert_eq!(
        receipt::verify_chain_from(&prev_mid, lines.iter().skip(mid).map(String::as_str)),
        g.verify_chain_from(&prev_mid, &lines[mid..]).unwrap()
    );
    let mut with_blank = lines.clone();
    with_blank.insert(3, "   ".to_owned());
    verify(&mut g, &with_blank).expect("blank lines are skipped");
    let mut tampered = lines.clone();
    tampered[2] = tampered[2].replacen("\"decision\":\"", "\"decision\":\"x", 1);
    assert!(verify(&mut g, &tampered).is_err());
    let mut removed = lines.clone();
    removed.remove(4);
    assert!(verify(&mut g, &removed).is_err());
    let mut torn = lines.clone();
    let last = torn.len() - 1;
    let half = torn[last].len() / 2;
    let cut = (0..=half)
        .rev()
        .find(|&i| torn[last].is_char_boundary(i))
        .unwrap();
    torn[last].truncate(cut);
    assert!(verify(&mut g, &torn).is_err());
    let mut no_hash = lines.clone();
    no_hash[1] = r#"{"prev_hash":"00"}"#.to_owned();
    assert!(verify(&mut g, &no_hash).is_err());
    let mut no_prev = lines.clone();
    no_prev[1] = r#"{"hash":"00"}"#.to_owned();
    assert!(verify(&mut g, &no_prev).is_err());
    eprintln!(
        "receipts: {} decide requests chained and verified",
        lines.len()
    );
}

// ------------------------------------------------------------------------------------ robustness

/// Inputs that stress the detectors: huge, repetitive, anchor-dense, odd Unicode. None may trap,
/// and the component must still agree with the core.
fn pathological() -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = vec![
        ("empty".into(), String::new()),
        ("nul bytes".into(), "\0".repeat(10_000)),
        (
            "replacement chars".into(),
            "\u{FFFD}".repeat(5_000) + "a@b.co\u{FFFD}\u{FFFD}",
        ),
        (
            "lossy invalid utf8".into(),
            String::from_utf8_lossy(&[
                0xff, 0xfe, b'a', b'@', 0xc3, b'b', b'.', b'c', b'o', 0xed, 0xa0, 0x80,
            ])
            .into_owned(),
        ),
        (
            "astral".into(),
            "😀𝔘𐍈".repeat(3_000) + " 4111 1111 1111 1111 😀",
        ),
        ("combining".into(), "e\u{301}".repeat(10_000)),
        (
            "bidi and zero width".into(),
            "\u{202E}\u{200B}alice@example.com\u{200D}\u{FEFF}".repeat(500),
        ),
        ("at signs".into(), "@".repeat(100_000)),
        ("dots and ats".into(), "a.@".repeat(50_000)),
        ("digits".into(), "1".repeat(200_000)),
        ("digit groups".into(), "4111-".repeat(40_000)),
        (
            "secret prefixes".into(),
            "sk_live_ghp_AKIAxoxb-eyJ".repeat(10_000),
        ),
        (
            "pem headers".into(),
            "-----BEGIN PRIVATE KEY-----\n".repeat(5_000),
        ),
        ("colons".into(), ":".repeat(100_000) + "fe80::1"),
        (
            "capitalised words".into(),
            "Alice Bob Carol Dave Eve ".repeat(20_000),
        ),
        ("newlines".into(), "\n\r\n".repeat(100_000)),
        ("key equals".into(), "api_key=".repeat(5_000)),
    ];
    // ~1 MiB of realistic text: every corpus case, repeated.
    let corpus: String = detect_cases()
        .into_iter()
        .map(|(_, c)| c.text + "\n")
        .collect();
    let mut big = String::new();
    while big.len() < (1 << 20) {
        big.push_str(&corpus);
    }
    v.push(("1 MiB corpus".into(), big));
    v
}

#[test]
fn pathological_inputs_do_not_trap_and_agree() {
    let policy_json = starter_policy();
    let policy = Policy::from_json(policy_json.as_bytes()).unwrap();
    let mut g = guest();
    let h = g.load(&policy_json).unwrap().unwrap();
    for (name, text) in pathological() {
        let (mut t_native, mut t_component) = (Duration::ZERO, Duration::ZERO);
        for unit in UNITS {
            let t = Instant::now();
            let native = native_scan(&text, ScanOptions::default(), &[], unit);
            t_native += t.elapsed();
            let t = Instant::now();
            let component = g
                .scan_text_with(&text, &[] as &[String], unit)
                .unwrap_or_else(|e| panic!("{name}: trapped: {e:?}"));
            t_component += t.elapsed();
            assert_eq!(
                native.len(),
                component.len(),
                "{name} ({unit:?}): finding count"
            );
            assert_eq!(native, component, "{name} ({unit:?})");
        }
        let native = transform::apply(
            &text,
            &detect::scan_all(text.as_bytes()),
            &[TransformStep {
                entity_type: "any".to_owned(),
                mode: Mode::Redact,
            }],
            &[],
        );
        assert_eq!(
            native.output,
            g.redact_text(&text).unwrap(),
            "{name}: redact"
        );
        let found = detect::scan(text.as_bytes(), &policy.scan_options());
        let decision = policy.decide(&actions()[0], &found);
        assert_eq!(
            decision,
            g.decide(h, &actions()[0], &found).unwrap(),
            "{name}: decide"
        );
        eprintln!(
            "{name}: {} bytes; 3 scans: native (test profile) {t_native:?}, component {t_component:?}",
            text.len()
        );
    }
    // Big inputs in odd shapes through the other entry points.
    let many: Vec<String> = (0..5_000).map(|i| format!("{{\"line\":{i}}}")).collect();
    assert_eq!(
        receipt::verify_chain(many.iter().map(String::as_str)),
        g.verify_chain(&many).unwrap()
    );
    let garbage = "{".repeat(100_000);
    assert_eq!(
        Policy::from_json(garbage.as_bytes()).err(),
        g.load(&garbage).unwrap().err()
    );
    // The instance is still usable after all of that.
    assert!(
        g.scan_text("alice@example.com")
            .unwrap()
            .iter()
            .any(|f| f.entity_type == Cow::Borrowed("email"))
    );
}

// ------------------------------------------------------------------------------------ corpora

#[test]
fn policy_corpus_through_both() {
    use datafog_conformance::policy_corpus::{decision_json, policy_files};
    let files = policy_files().expect("policy corpus");
    assert!(!files.is_empty(), "no policy corpus");
    let mut g = guest();
    let (mut cases, mut rejected) = (0, 0);
    for file in &files {
        let json = String::from_utf8(file.policy_json.clone()).expect("policy is UTF-8");
        let native = Policy::from_json(&file.policy_json);
        let component = g.load(&json).unwrap();
        let (policy, h) = match (native, component) {
            (Err(n), Err(c)) => {
                assert_eq!(n, c, "{}: load errors", file.file);
                rejected += 1;
                continue;
            }
            (Ok(p), Ok(h)) => (p, h),
            (n, c) => panic!("{}: native {n:?} vs component {c:?}", file.file),
        };
        for case in &file.cases {
            let action: Action = serde_json::from_value(case.action.clone()).unwrap();
            let findings: Vec<Finding> = case
                .findings
                .iter()
                .map(|f| serde_json::from_value(f.clone()).unwrap())
                .collect();
            let native = policy.decide(&action, &findings);
            let component = g.decide(h, &action, &findings).unwrap();
            assert_eq!(
                decision_json(&native),
                decision_json(&component),
                "{} / {}",
                file.file,
                case.name
            );
            assert_eq!(native, component, "{} / {}", file.file, case.name);
            cases += 1;
        }
        g.unload(h).unwrap();
    }
    eprintln!(
        "policy corpus: {} files ({rejected} rejected identically), {cases} decisions",
        files.len()
    );
}

#[test]
fn transform_corpus_through_both() {
    use datafog_conformance::transform_corpus::{
        Expect, ExpectStats, Outcome, decode_hex, native_transform, transform_cases,
    };
    let cases = transform_cases();
    assert!(!cases.is_empty(), "no transform corpus");
    let policy_json = starter_policy();
    let mut g = guest();
    let h = g.load(&policy_json).unwrap().unwrap();
    for (file, case) in &cases {
        let plan: Vec<TransformStep> = case
            .plan
            .iter()
            .map(|s| TransformStep {
                entity_type: s.entity_type.clone(),
                mode: Mode::parse(&s.mode).unwrap(),
            })
            .collect();
        let key = decode_hex(&case.key);
        let done = if case.supplied && !case.findings.is_empty() {
            let supplied: Vec<SuppliedFinding> = case
                .findings
                .iter()
                .map(|f| SuppliedFinding {
                    entity_type: f.entity_type.clone(),
                    value: f.value.clone().unwrap_or_default(),
                    start: f.start,
                    end: f.end,
                    confidence: f.confidence,
                })
                .collect();
            // Through `/v1/transform`'s contract: the plan as `entity_modes`.
            let req = TransformRequest {
                text: case.text.clone(),
                findings: supplied,
                entity_modes: plan
                    .iter()
                    .map(|s| (s.entity_type.clone(), s.mode.as_str().to_owned()))
                    .collect(),
                ..TransformRequest::default()
            };
            g.transform_request(h, req, &key)
                .unwrap()
                .map(|r| datafog::transform::Transformed {
                    output: r.output,
                    stats: r.stats,
                })
                .map_err(|e| e.details)
        } else {
            let findings: Vec<Finding> = case
                .findings
                .iter()
                .map(|f| Finding {
                    entity_type: Cow::Owned(f.entity_type.clone()),
                    start: f.start,
                    end: f.end,
                    confidence: f.confidence,
                })
                .collect();
            Ok(g.transform(h, &case.text, &findings, &plan, &key).unwrap())
        };
        let component: Outcome = done.map(|t| Expect {
            output: t.output,
            stats: ExpectStats {
                entities_transformed: t.stats.entities_transformed,
                modes_applied: t.stats.modes_applied,
            },
        });
        assert_eq!(native_transform(case), component, "{file} / {}", case.name);
    }
    eprintln!("transform corpus: {} cases", cases.len());
}
