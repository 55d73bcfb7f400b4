use super::*;
use crate::transform::Mode;

const GO_SHIPPED: &str = include_str!("../../../config/examples/go-v2-shipped.json");
const GO_PREVIOUS: &str = include_str!("../../../config/examples/go-v2-previous.json");
const STARTER: &str = include_str!("../../../config/policy.json");
const EXTENSIONS: &str = include_str!("../../../config/examples/extensions.json");

fn load(s: &str) -> Policy {
    match Policy::from_json(s.as_bytes()) {
        Ok(p) => p,
        Err(e) => panic!("policy failed to load: {}", e.detailed()),
    }
}

fn load_err(s: &str) -> PolicyError {
    Policy::from_json(s.as_bytes()).expect_err("policy should be rejected")
}

fn action(t: &str) -> Action {
    Action {
        action_type: t.to_owned(),
        ..Action::default()
    }
}

fn f(t: &str, conf: f64) -> Finding {
    Finding {
        entity_type: t.to_owned().into(),
        start: 0,
        end: 1,
        confidence: conf,
    }
}

/// The policy of the Go `internal/policy` tests.
const GO_TEST_POLICY: &str = r#"{
  "policy_id": "test", "policy_version": "v1",
  "rules": [
    {"id": "allow-safe", "priority": 10, "effect": "allow",
     "match": {"action_types": ["file.read", "shell.exec"]}},
    {"id": "deny-api-key-shell", "description": "api key in shell", "priority": 100, "effect": "deny",
     "match": {"action_types": ["shell.exec"]}, "entity_requirements": ["api_key"]},
    {"id": "transform-sensitive", "priority": 50, "effect": "transform",
     "match": {"action_types": ["file.write"]}, "entity_requirements": ["email"],
     "entity_transforms": [{"entity_type": "email", "mode": "mask"}]}
  ]
}"#;

fn rule_json(extra: &str) -> String {
    format!(
        r#"{{"policy_id":"p","policy_version":"1","rules":[{{"id":"r1","effect":"allow"{extra}}}]}}"#
    )
}

#[test]
fn go_policies_load() {
    let p = load(GO_SHIPPED);
    assert_eq!(p.policy_id, "datafog-mvp");
    assert_eq!(p.policy_version, "v2026-02-24-1");
    assert_eq!(p.rules().len(), 7);
    let order: Vec<&str> = p.rules_in_order().map(|r| r.id.as_str()).collect();
    assert_eq!(
        order,
        [
            "deny-shell-api-key",
            "allow-claude-help",
            "allow-codex-help",
            "deny-agent-shell-exec",
            "transform-sensitive-file-write",
            "allow-file-read",
            "allow-annotate"
        ]
    );
    let p = load(GO_PREVIOUS);
    assert_eq!(p.policy_version, "v2026-02-23-1");
    assert_eq!(p.rules().len(), 4);
    load(STARTER);
    let ext = load(EXTENSIONS);
    assert_eq!(ext.custom_detectors().len(), 3);
    assert!(ext.allow_list().is_some());
}

#[test]
fn go_internal_policy_vectors() {
    let p = load(GO_TEST_POLICY);
    let d = p.decide(&action("file.read"), &[]);
    assert_eq!(
        (d.effect, d.matched_rules.as_slice()),
        (Effect::Allow, &["allow-safe".to_owned()][..])
    );
    let d = p.decide(&action("file.write"), &[f("email", 0.99)]);
    assert_eq!(d.effect, Effect::Transform);
    assert_eq!(d.matched_rules, ["transform-sensitive"]);
    assert_eq!(
        d.plan,
        [TransformStep {
            entity_type: "email".into(),
            mode: Mode::Mask
        }]
    );
    let d = p.decide(&action("shell.exec"), &[f("api_key", 0.9)]);
    assert_eq!(d.effect, Effect::Deny);
    assert_eq!(d.matched_rules, ["deny-api-key-shell", "allow-safe"]);
    assert_eq!(d.reason, "api key in shell");
    assert!(d.plan.is_empty());
    let d = p.decide(&action("unknown.action"), &[]);
    assert_eq!(d.effect, Effect::Deny);
    assert_eq!(d.reason, REASON_NO_MATCH);
    assert!(d.matched_rules.is_empty());
}

#[test]
fn empty_action_type_denies() {
    let p = load(GO_TEST_POLICY);
    let d = p.decide(&action("  "), &[]);
    assert_eq!(d.effect, Effect::Deny);
    assert_eq!(d.reason, REASON_NO_ACTION_TYPE);
}

#[test]
fn precedence() {
    // Deny wins over a higher-priority transform; both are reported.
    let p = load(
        r#"{"policy_id":"p","policy_version":"1","rules":[
        {"id":"t","priority":100,"effect":"transform","match":{"action_types":["file.write"]}},
        {"id":"d","priority":1,"effect":"deny","description":"no","match":{"action_types":["file.write"]}}]}"#,
    );
    let d = p.decide(&action("file.write"), &[]);
    assert_eq!(d.effect, Effect::Deny);
    assert_eq!(d.matched_rules, ["t", "d"]);
    // Transform beats allow_with_redaction regardless of priority; default plan.
    let p = load(
        r#"{"policy_id":"p","policy_version":"1","rules":[
        {"id":"a","priority":100,"effect":"allow_with_redaction","match":{"action_types":["x"]}},
        {"id":"t","priority":1,"effect":"transform","match":{"action_types":["x"]}}]}"#,
    );
    let d = p.decide(&action("x"), &[]);
    assert_eq!(d.effect, Effect::Transform);
    assert_eq!(d.plan, default_plan());
}

#[test]
fn global_priority_order_not_go_index_order() {
    // Go visited rules listing the action type before action-agnostic ones; we use priority.
    let p = load(
        r#"{"policy_id":"p","policy_version":"1","rules":[
        {"id":"specific","priority":1,"effect":"deny","description":"specific","match":{"action_types":["x"]}},
        {"id":"agnostic","priority":100,"effect":"deny","description":"agnostic"}]}"#,
    );
    let d = p.decide(&action("x"), &[]);
    assert_eq!(d.matched_rules, ["agnostic", "specific"]);
    assert_eq!(d.reason, "agnostic");
}

#[test]
fn validation_collects_go_messages() {
    let e = load_err(
        r#"{"rules":[
        {"id":" ","effect":"allow"},
        {"id":"a","effect":"allow"},
        {"id":"a","effect":"block","priority":-1,
         "match":{"action_types":[""],"tools":[" "],"resource_prefixes":[""],"commands":[""],"args":[""],"adapters":[""]},
         "entity_requirements":["", "ssnn"],
         "entity_transforms":[{"mode":"mask"},{"entity_type":"emal","mode":"mask"},{"entity_type":"email","mode":"MASK"}]}]}"#,
    );
    let msgs: Vec<&str> = e.errors().iter().map(|x| x.message.as_str()).collect();
    assert_eq!(
        msgs,
        [
            "policy_id is required",
            "policy_version is required",
            "rule missing id",
            "duplicate rule id: a",
            "rule a has negative priority: -1",
            "rule a has unsupported effect: block",
            "rule a has empty action_type condition",
            "rule a has empty tool condition",
            "rule a has empty resource_prefix condition",
            "rule a has empty command condition",
            "rule a has empty arg condition",
            "rule a has empty adapter condition",
            "rule a has empty entity_requirement",
            "rule a references unsupported required entity type: ssnn",
            "rule a has entity transform without entity_type",
            "rule a references unsupported transform entity type: emal",
            "rule a references unsupported transform mode: MASK",
        ]
    );
    assert_eq!(e.to_string(), msgs.join("; "));
    let dup = &e.errors()[3];
    assert_eq!(dup.rule.as_deref(), Some("a"));
    assert_eq!(dup.field, "rules[2].id");
    let ssnn = &e.errors()[13];
    assert_eq!(ssnn.field, "rules[2].entity_requirements[1]");
    assert!(ssnn.help.as_deref().is_some_and(|h| h.contains("email")));
    assert!(
        e.detailed()
            .contains("`rules[2].effect`: rule a has unsupported effect: block (use one of")
    );
    let e = load_err(r#"{"policy_id":"p","policy_version":"1","rules":[]}"#);
    assert_eq!(e.to_string(), "policy must contain at least one rule");
    let e = load_err(r#"{"policy_id":"p","policy_version":"1"}"#);
    assert_eq!(e.to_string(), "policy must contain at least one rule");
}

#[test]
fn json_errors_have_line_and_column() {
    let e = load_err("{\n  \"policy_id\": \"p\",\n  oops\n}");
    let msg = e.to_string();
    assert!(msg.starts_with("policy is not valid JSON: "), "{msg}");
    assert!(msg.ends_with("at line 3, column 3"), "{msg}");
    assert_eq!(
        load_err("[]").to_string(),
        "policy must be a JSON object, not an array"
    );
    let e = load_err(&rule_json(r#","priority":"high","match":{"tools":"git"}"#));
    assert_eq!(
        e.to_string(),
        "rule `r1`: `rules[0].priority` must be an integer, not a string; \
         rule `r1`: `rules[0].match.tools` must be an array of strings, not a string"
    );
}

#[test]
fn go_decoding_quirks() {
    // Unknown fields ignored, case-insensitive keys, nulls as absent.
    let p = load(
        r#"{"Policy_ID":"p","POLICY_VERSION":"1","future":{"x":1},"updated_at":null,"rules":[
        {"ID":"r","Effect":"allow","Match":{"Action_Types":["x"],"tools":null},"unknown":true}]}"#,
    );
    assert_eq!(p.policy_id, "p");
    assert_eq!(p.decide(&action("X"), &[]).effect, Effect::Allow);
}

#[test]
fn updated_at_must_be_rfc3339() {
    let e = load_err(
        r#"{"policy_id":"p","policy_version":"1","updated_at":"2026-02-24","rules":[{"id":"r","effect":"allow"}]}"#,
    );
    assert_eq!(e.errors()[0].field, "updated_at");
    assert!(e.to_string().contains("RFC 3339"));
}

#[test]
fn extension_validation_names_rule_and_field() {
    let e = load_err(&rule_json(
        r#","any_entities":["secret","nope"],"min_confidence":2,"match":{"resources":[""]}"#,
    ));
    let msgs: Vec<&str> = e.errors().iter().map(|x| x.message.as_str()).collect();
    assert_eq!(
        msgs,
        [
            "rule r1 has empty resource condition",
            "rule `r1`: unknown entity type `nope` in `any_entities`",
            "rule `r1`: `min_confidence` is 2; use a number from 0 to 1",
        ]
    );
    let e = load_err(
        r#"{"policy_id":"p","policy_version":"1","min_confidence":-1,
        "custom_detectors":[{"name":"email","pattern":"("},{"name":"ok","pattern":"x"},{"name":"ok","pattern":"y"}],
        "allow_list":{"patterns":["("]},
        "rules":[{"id":"r","effect":"allow","entity_requirements":["ok"]}]}"#,
    );
    let fields: Vec<&str> = e.errors().iter().map(|x| x.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "min_confidence",
            "custom_detectors[0].name",
            "custom_detectors[0].pattern",
            "custom_detectors[2].name",
            "allow_list.patterns[0]",
        ]
    );
    assert!(
        e.errors()[1]
            .message
            .starts_with("custom detector `email`: `name`")
    );
    assert!(e.errors()[3].message.contains("defined twice"));
    let many: Vec<String> = (0..65)
        .map(|i| format!(r#"{{"name":"d{i}","pattern":"x"}}"#))
        .collect();
    let e = load_err(&format!(
        r#"{{"policy_id":"p","policy_version":"1","custom_detectors":[{}],"rules":[{{"id":"r","effect":"allow"}}]}}"#,
        many.join(",")
    ));
    assert!(e.to_string().contains("the limit is 64"));
}

#[test]
fn entity_names_groups_and_api_key_alias() {
    let p = load(
        r#"{"policy_id":"p","policy_version":"1",
        "custom_detectors":[{"name":"employee_id","pattern":"EMP-[0-9]{6}"}],
        "rules":[
        {"id":"all","effect":"deny","entity_requirements":["api_key","employee_id"]},
        {"id":"any","effect":"transform","any_entities":["pii","EMPLOYEE_ID"],"min_confidence":0.8},
        {"id":"fallback","effect":"allow"}]}"#,
    );
    let a = action("x");
    let d = p.decide(&a, &[f("github_token", 0.9), f("employee_id", 0.9)]);
    assert_eq!(d.matched_rules, ["all", "any", "fallback"]);
    let d = p.decide(&a, &[f("github_token", 0.9)]);
    assert_eq!(d.matched_rules, ["fallback"]);
    let d = p.decide(&a, &[f("iban", 0.9)]);
    assert_eq!(d.matched_rules, ["any", "fallback"]);
    // Below the rule's min_confidence: does not count.
    let d = p.decide(&a, &[f("iban", 0.5)]);
    assert_eq!(d.matched_rules, ["fallback"]);
    assert_eq!(d.effect, Effect::Allow);
}

#[test]
fn policy_min_confidence_is_default_floor() {
    let p = load(
        r#"{"policy_id":"p","policy_version":"1","min_confidence":0.7,"rules":[
        {"id":"d","effect":"deny","entity_requirements":["email"]},
        {"id":"lenient","effect":"deny","entity_requirements":["email"],"min_confidence":0.1}]}"#,
    );
    let d = p.decide(&action("x"), &[f("email", 0.5)]);
    assert_eq!(d.matched_rules, ["lenient"]);
    assert_eq!(p.scan_options().min_confidence, 0.7);
}

#[test]
fn allow_with_redaction_keeps_its_steps() {
    let p = load(
        r#"{"policy_id":"p","policy_version":"1","rules":[
        {"id":"awr","effect":"allow_with_redaction","entity_transforms":[{"entity_type":"secret","mode":"hash"}]},
        {"id":"awr2","effect":"allow_with_redaction"}]}"#,
    );
    let d = p.decide(&action("x"), &[]);
    assert_eq!(d.effect, Effect::AllowWithRedaction);
    assert_eq!(
        d.plan,
        [TransformStep {
            entity_type: "secret".into(),
            mode: Mode::Hash
        }]
    );
}

#[test]
fn globs_in_match_lists() {
    let p = load(
        r#"{"policy_id":"p","policy_version":"1","rules":[
        {"id":"ssh","effect":"deny","match":{"action_types":["file.*"],"resources":["**/.ssh/**"]}},
        {"id":"push","effect":"deny","match":{"adapters":["vcs"],"commands":["push"],"args":["--force*"]}},
        {"id":"star","effect":"allow","match":{"action_types":["*"]}}]}"#,
    );
    let mut a = action("FILE.READ");
    a.resource = "/home/u/.ssh/id_rsa".into();
    assert_eq!(p.decide(&a, &[]).matched_rules, ["ssh", "star"]);
    a.resource = "/home/u/work/../.ssh/id_rsa".into();
    assert_eq!(p.decide(&a, &[]).matched_rules, ["ssh", "star"]);
    a.resource = "/home/u/notes".into();
    assert_eq!(p.decide(&a, &[]).matched_rules, ["star"]);
    let mut a = action("command.exec");
    a.tool = "/usr/bin/git".into();
    a.command = "push".into();
    a.args = vec!["push".into(), "--force-with-lease".into()];
    assert_eq!(p.decide(&a, &[]).effect, Effect::Deny);
    a.args = vec!["push".into()];
    assert_eq!(p.decide(&a, &[]).effect, Effect::Allow);
}

#[test]
fn scan_options_carry_policy_detectors() {
    let p = load(EXTENSIONS);
    let opts = p.scan_options();
    assert_eq!(opts.custom.len(), 3);
    assert!(opts.allow.is_some_and(|a| a.allows(b"jane@example.org")));
    let mut out = Vec::new();
    if let Some(d) = opts.custom.first() {
        d.find(b"employee number EMP-123456", &mut out);
    }
    assert_eq!(out.len(), 1);
}

#[test]
fn shipped_go_policy_consequences() {
    let p = load(GO_SHIPPED);
    let mut a = action("command.exec");
    a.tool = "claude-code".into();
    a.command = "--help".into();
    assert_eq!(p.decide(&a, &[]).matched_rules, ["allow-claude-help"]);
    a.command = "-lc".into();
    let d = p.decide(&a, &[]);
    assert_eq!(
        (d.effect, d.matched_rules.as_slice()),
        (Effect::Deny, &["deny-agent-shell-exec".to_owned()][..])
    );
    a.tool = "git".into();
    assert_eq!(p.decide(&a, &[]).reason, REASON_NO_MATCH);
    let all5: Vec<Finding> = ["email", "phone", "ssn", "api_key", "credit_card"]
        .iter()
        .map(|t| f(t, 0.9))
        .collect();
    let d = p.decide(&action("file.write"), &all5);
    assert_eq!(d.effect, Effect::AllowWithRedaction);
    assert_eq!(d.plan, default_plan());
    assert_eq!(
        p.decide(&action("file.write"), &all5[..4]).effect,
        Effect::Deny
    );
}

/// Not a timing assertion: prints the per-decision cost of the shipped policy.
#[test]
fn decide_is_cheap() {
    let p = load(GO_SHIPPED);
    let mut a = action("shell.exec");
    a.tool = "shell".into();
    a.command = "curl".into();
    a.args = vec!["-H".into(), "x".into()];
    let findings = [f("email", 0.9), f("phone", 0.8), f("github_token", 0.99)];
    let n = 20_000u32;
    let start = std::time::Instant::now();
    let mut denies = 0;
    for _ in 0..n {
        if std::hint::black_box(p.decide(&a, &findings)).effect == Effect::Deny {
            denies += 1;
        }
    }
    assert_eq!(denies, n);
    println!("decide: {:?} per call (debug build)", start.elapsed() / n);
}
