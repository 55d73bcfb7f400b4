//! The golden corpus through the HTTP contract, three ways (`datafog_conformance::firewall`): the
//! native core's handlers, the component in wasmtime and the real HTTP host (`app(state)` with
//! `oneshot`, durable receipts and all). Every request goes to all three; the answers (responses
//! or error envelopes) must be identical, and where the corpus has expectations the answer must
//! meet them too.
//!
//! - detect: `/v1/scan` of every case in `byte`, `char` and `utf16` offsets, the case's `types`
//!   as `entity_types`; byte findings must be the case's labels (known gaps excepted) and the plain
//!   core scan's.
//! - transform: supplied-findings cases as `/v1/transform` with the plan as `entity_modes`, equal
//!   to the core's reconcile + apply under the firewalls' key, and to the case's expectation where
//!   the outcome does not depend on the key or the case's key is the firewalls' (the host refuses
//!   keys under 16 bytes, so empty-key cases run under ours); every case's text through
//!   `/v1/transform` in each mode, and `/v1/anonymize` (scanned, and with supplied findings).
//! - policy: every policy file loads in all three or is refused by all three (with the expected
//!   messages); every case as `/v1/decide` with the action and its findings (decision, matched
//!   rules, plan, reason and findings compared; receipt ids only checked for shape), and once more
//!   with a detection corpus text instead of findings (agreement only).

use std::collections::BTreeMap;
use std::fmt::Debug;

use datafog::api::{
    AnonymizeRequest, ApiError, DecideRequest, DecideResponse, ScanFinding, ScanRequest,
    TransformRequest,
};
use datafog::{Action, Finding, Mode};
use datafog_conformance::firewall::{self, Firewall};
use datafog_conformance::policy_corpus::{self, native_decide, native_load, policy_files};
use datafog_conformance::transform_corpus::{
    Expect, ExpectStats, Outcome, TransformCase, check, decode_hex, native_transform,
    transform_cases,
};
use datafog_conformance::{Expected, compare, detect_cases, native_detect, repo_root};
use serde_json::{Value, json};

/// The firewalls' token key (the HTTP host wants at least 16 bytes).
const KEY: &[u8] = b"firewalls-conformance-key";

fn starter_policy() -> String {
    std::fs::read_to_string(repo_root().join("config").join("policy.json"))
        .expect("config/policy.json")
}

/// Native, component and HTTP for one policy and key; panics if any refuses the policy.
fn firewalls(policy_json: &str, key: &[u8]) -> Vec<Box<dyn Firewall>> {
    firewall::all(policy_json, key)
        .into_iter()
        .map(|f| f.unwrap_or_else(|e| panic!("policy refused: {e}")))
        .collect()
}

/// Send `req` to every firewall; all answers must equal the first (native's), which is returned.
fn agree<Req: Clone + Debug, Resp: PartialEq + Debug>(
    fws: &mut [Box<dyn Firewall>],
    what: &str,
    req: &Req,
    call: impl Fn(&mut dyn Firewall, Req) -> Result<Resp, ApiError>,
) -> Result<Resp, ApiError> {
    let mut answers = fws
        .iter_mut()
        .map(|f| (f.name().to_owned(), call(f.as_mut(), req.clone())));
    let (first_name, first) = answers.next().expect("at least one firewall");
    for (name, answer) in answers {
        assert_eq!(
            first, answer,
            "{what}: {first_name} vs {name}; request {req:?}"
        );
    }
    first
}

// ------------------------------------------------------------------------------------ detect

#[test]
fn detect_corpus_through_every_firewall() {
    let cases = detect_cases();
    assert!(!cases.is_empty(), "no detection corpus");
    let mut fws = firewalls(&starter_policy(), KEY);
    let (mut requests, mut labelled) = (0, 0);
    for (file, case) in &cases {
        for unit in ["byte", "char", "utf16"] {
            requests += 1;
            let req = ScanRequest {
                text: case.text.clone(),
                entity_types: case.types.clone().unwrap_or_default(),
                request_id: format!("scan-{requests}"),
                offset_unit: unit.to_owned(),
                ..ScanRequest::default()
            };
            let what = format!("{file} / {} ({unit})", case.name);
            let answer = agree(&mut fws, &what, &req, |f, r| f.scan(r));
            if unit != "byte" {
                continue;
            }
            let Ok(resp) = answer else {
                assert!(case.text.is_empty(), "{what}: {answer:?}");
                continue;
            };
            let rows: Vec<Expected> = resp
                .findings
                .iter()
                .map(|f| Expected {
                    entity_type: f.entity_type.clone(),
                    value: f.value.clone(),
                    start: Some(f.start),
                    end: Some(f.end),
                })
                .collect();
            assert_eq!(
                rows,
                native_detect(case),
                "{what}: /v1/scan vs the core's scan"
            );
            if case.known_gap.is_none() {
                let (_, fp, fneg) = compare(&case.expect, &rows);
                assert!(
                    fp.is_empty() && fneg.is_empty(),
                    "{what}: unexpected {fp:?}; missing {fneg:?}"
                );
                labelled += 1;
            }
        }
    }
    eprintln!(
        "firewalls, detect corpus: {} cases, {requests} /v1/scan requests x {} implementations \
         ({labelled} checked against labels)",
        cases.len(),
        fws.len()
    );
}

// ------------------------------------------------------------------------------------ transform

/// The corpus case's findings as a client sends them (`value` included).
fn supplied(case: &TransformCase) -> Vec<ScanFinding> {
    case.findings
        .iter()
        .map(|f| ScanFinding {
            entity_type: f.entity_type.clone(),
            value: f.value.clone().unwrap_or_default(),
            start: f.start,
            end: f.end,
            confidence: f.confidence,
        })
        .collect()
}

/// Whether the case's output would be the same under any key (no keyed mode in its plan).
fn key_free(case: &TransformCase) -> bool {
    case.plan
        .iter()
        .all(|s| matches!(Mode::parse(&s.mode), Some(Mode::Mask | Mode::Redact)))
}

#[test]
fn transform_corpus_through_every_firewall() {
    let cases = transform_cases();
    assert!(!cases.is_empty(), "no transform corpus");
    let policy = starter_policy();
    // One set of firewalls per key: the case's when the host accepts it, else `KEY`.
    let mut by_key: BTreeMap<Vec<u8>, Vec<Box<dyn Firewall>>> = BTreeMap::new();
    let (mut transforms, mut by_mode, mut anonymizes, mut expected) = (0, 0, 0, 0);
    for (file, case) in &cases {
        let case_key = decode_hex(&case.key);
        let key = if case_key.len() >= 16 {
            case_key.clone()
        } else {
            KEY.to_vec()
        };
        let fws = by_key
            .entry(key.clone())
            .or_insert_with(|| firewalls(&policy, &key));
        let what = format!("{file} / {}", case.name);
        let n = transforms + by_mode + anonymizes;

        // Supplied findings, the plan as `entity_modes` (as `differential` sends them).
        if case.supplied && !case.findings.is_empty() {
            transforms += 1;
            let req = TransformRequest {
                text: case.text.clone(),
                findings: supplied(case),
                entity_modes: case
                    .plan
                    .iter()
                    .map(|s| (s.entity_type.clone(), s.mode.clone()))
                    .collect(),
                request_id: format!("transform-{n}"),
                ..TransformRequest::default()
            };
            let answer = agree(fws, &what, &req, |f, r| f.transform(r));
            let outcome: Outcome = answer
                .map(|r| Expect {
                    output: r.output,
                    stats: ExpectStats {
                        entities_transformed: r.stats.entities_transformed,
                        modes_applied: r.stats.modes_applied,
                    },
                })
                .map_err(|e| e.details);
            // The core's transform (reconcile + apply) under the firewalls' key.
            let rekeyed = TransformCase {
                key: key.iter().map(|b| format!("{b:02x}")).collect(),
                ..case.clone()
            };
            assert_eq!(native_transform(&rekeyed), outcome, "{what}: vs the core");
            if key == case_key || key_free(case) {
                check(case, &outcome).unwrap_or_else(|e| panic!("{what}: {e}"));
                expected += 1;
            }
        }

        // The text scanned by the policy and transformed in each mode.
        for mode in ["mask", "tokenize", "anonymize", "redact", "replace", "hash"] {
            by_mode += 1;
            let req = TransformRequest {
                text: case.text.clone(),
                mode: mode.to_owned(),
                request_id: format!("transform-mode-{n}-{mode}"),
                ..TransformRequest::default()
            };
            let _ = agree(fws, &format!("{what} ({mode})"), &req, |f, r| {
                f.transform(r)
            });
        }

        // `/v1/anonymize` of the text (scanned), and with the case's findings when it has values.
        anonymizes += 1;
        let req = AnonymizeRequest {
            text: case.text.clone(),
            request_id: format!("anonymize-{n}"),
            ..AnonymizeRequest::default()
        };
        let _ = agree(fws, &format!("{what} (anonymize)"), &req, |f, r| {
            f.anonymize(r)
        });
        if case.supplied {
            anonymizes += 1;
            let req = AnonymizeRequest {
                text: case.text.clone(),
                findings: supplied(case),
                request_id: format!("anonymize-supplied-{n}"),
                ..AnonymizeRequest::default()
            };
            let _ = agree(
                fws,
                &format!("{what} (anonymize, supplied)"),
                &req,
                |f, r| f.anonymize(r),
            );
        }
    }
    eprintln!(
        "firewalls, transform corpus: {} cases, {} keys; /v1/transform {transforms} with supplied \
         findings ({expected} checked against expectations) + {by_mode} by mode, /v1/anonymize \
         {anonymizes}; each x 3 implementations",
        cases.len(),
        by_key.len()
    );
}

// ------------------------------------------------------------------------------------ policy

/// The comparable form of a decide response (`policy_corpus::decision_json`'s keys).
fn decision_of(r: &DecideResponse) -> Value {
    json!({
        "decision": r.decision.as_str(),
        "matched_rules": r.matched_rules,
        "plan": r.transform_plan,
        "reason": r.reason,
    })
}

/// `decide` with the receipt id checked for shape and blanked (each implementation makes its own).
fn decide(f: &mut dyn Firewall, req: DecideRequest) -> Result<DecideResponse, ApiError> {
    let name = f.name().to_owned();
    f.decide(req).map(|mut r| {
        assert!(
            r.receipt_id.len() == 32 && r.receipt_id.bytes().all(|b| b.is_ascii_hexdigit()),
            "{name}: receipt id {:?}",
            r.receipt_id
        );
        r.receipt_id.clear();
        r
    })
}

#[test]
fn policy_corpus_through_every_firewall() {
    let files = policy_files().expect("policy corpus");
    assert!(!files.is_empty(), "no policy corpus");
    let texts: Vec<String> = detect_cases().into_iter().map(|(_, c)| c.text).collect();
    let (mut with_findings, mut with_text, mut refused, mut n) = (0, 0, 0, 0);
    for file in &files {
        let json = String::from_utf8(file.policy_json.clone()).expect("policy is UTF-8");
        let built = firewall::all(&json, KEY);
        if let Some(want) = &file.expect_errors {
            assert_eq!(native_load(&file.policy_json).err().as_ref(), Some(want));
            let errors: Vec<String> = built
                .into_iter()
                .map(|b| match b {
                    Ok(f) => panic!("{}: {} loaded the policy", file.file, f.name()),
                    Err(e) => e,
                })
                .collect();
            for e in &errors {
                for msg in want {
                    assert!(
                        e.contains(msg.as_str()),
                        "{}: {msg:?} not in {e}",
                        file.file
                    );
                }
            }
            assert_eq!(
                errors.first(),
                errors.get(1),
                "{}: native vs component",
                file.file
            );
            refused += 1;
            continue;
        }
        let policy = native_load(&file.policy_json)
            .unwrap_or_else(|e| panic!("{}: policy refused: {e:?}", file.file));
        let mut fws: Vec<Box<dyn Firewall>> = built
            .into_iter()
            .map(|b| b.unwrap_or_else(|e| panic!("{}: policy refused: {e}", file.file)))
            .collect();
        for case in &file.cases {
            let what = format!("{} / {}", file.file, case.name);
            let action: Action = serde_json::from_value(case.action.clone())
                .unwrap_or_else(|e| panic!("{what}: action: {e}"));
            let findings: Vec<ScanFinding> = case
                .findings
                .iter()
                .map(|f| {
                    let f: Finding = serde_json::from_value(f.clone())
                        .unwrap_or_else(|e| panic!("{what}: finding: {e}"));
                    ScanFinding {
                        entity_type: f.entity_type.into_owned(),
                        value: String::new(),
                        start: f.start,
                        end: f.end,
                        confidence: f.confidence,
                    }
                })
                .collect();
            n += 1;
            with_findings += 1;
            let req = DecideRequest {
                action: action.clone(),
                findings: findings.clone(),
                request_id: format!("decide-{n}"),
                ..DecideRequest::default()
            };
            let native = native_decide(&policy, case).unwrap_or_else(|e| panic!("{what}: {e}"));
            match agree(&mut fws, &what, &req, decide) {
                Ok(resp) => {
                    let actual = decision_of(&resp);
                    assert_eq!(actual, native, "{what}: vs the policy engine");
                    policy_corpus::compare(&case.expect, &actual)
                        .unwrap_or_else(|e| panic!("{what}: {e}"));
                    assert_eq!(resp.findings, findings, "{what}: findings echoed");
                }
                // The contract refuses a supplied type that names neither a known type nor one of
                // the policy's detectors (issue 14: it would be stored in the receipt), where the
                // engine decides on it.
                Err(e) if e.message == "unknown entity type" => {
                    let unknown = findings.iter().position(|f| {
                        datafog::entity::EntityType::parse(&f.entity_type).is_none()
                            && !policy
                                .custom_detectors()
                                .iter()
                                .any(|d| d.name.eq_ignore_ascii_case(f.entity_type.trim()))
                    });
                    let i = unknown.unwrap_or_else(|| panic!("{what}: refused known types: {e}"));
                    assert_eq!(e, ApiError::unknown_entity_type(i), "{what}");
                }
                // The contract refuses a blank action type (400) where the engine denies it: with
                // the same words.
                Err(e) => {
                    assert_eq!(e, ApiError::action_type_required(), "{what}");
                    assert_eq!(native["decision"], "deny", "{what}");
                    assert_eq!(native["reason"], e.message.as_str(), "{what}");
                    policy_corpus::compare(&case.expect, &native)
                        .unwrap_or_else(|e| panic!("{what}: {e}"));
                }
            }

            // The same action with a text to scan instead of findings.
            if let Some(text) = texts.get(n % texts.len().max(1)) {
                n += 1;
                with_text += 1;
                let req = DecideRequest {
                    action,
                    text: text.clone(),
                    request_id: format!("decide-{n}"),
                    ..DecideRequest::default()
                };
                let _ = agree(&mut fws, &format!("{what} (text)"), &req, decide);
            }
        }
    }
    eprintln!(
        "firewalls, policy corpus: {} files ({refused} refused by all 3), /v1/decide {with_findings} \
         with findings + {with_text} with text; each x 3 implementations",
        files.len()
    );
}
