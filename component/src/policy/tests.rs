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
    // Case-insensitive keys (not unknown fields), nulls as absent.
    let p = load(
        r#"{"Policy_ID":"p","POLICY_VERSION":"1","updated_at":null,"LENIENT":false,"rules":[
        {"ID":"r","Effect":"allow","Match":{"Action_Types":["x"],"tools":null},
         "Entity_Transforms":[{"ENTITY_TYPE":"email","Mode":"mask"}]}],
        "Custom_Detectors":[{"NAME":"emp","Pattern":"EMP-[0-9]+","Keyword_Window":5}],
        "Allow_List":{"Values":["a@example.com"]}}"#,
    );
    assert_eq!(p.policy_id, "p");
    assert!(p.warnings().is_empty());
    assert_eq!(p.decide(&action("X"), &[]).effect, Effect::Allow);
}

/// Issue 14: a typo on an allow rule made it match every action (`db.drop_table` was allowed).
#[test]
fn issue_14_a_typo_in_a_rule_is_an_error_with_did_you_mean() {
    let json = r#"{"policy_id":"p","policy_version":"1","rules":[
        {"id":"deny-all","effect":"deny","priority":1},
        {"id":"allow-reads","effect":"allow","priority":10,"mtach":{"action_types":["file.read"]}}]}"#;
    let e = load_err(json);
    assert_eq!(e.errors().len(), 1, "{}", e.detailed());
    let err = &e.errors()[0];
    assert_eq!(err.rule.as_deref(), Some("allow-reads"));
    assert_eq!(err.field, "rules[1].mtach");
    assert_eq!(
        err.message,
        "rule `allow-reads`: unknown field `rules[1].mtach`"
    );
    assert_eq!(err.help.as_deref(), Some("did you mean `match`?"));
    assert_eq!(
        e.detailed(),
        "`rules[1].mtach`: rule `allow-reads`: unknown field `rules[1].mtach` \
         (did you mean `match`?)"
    );
}

#[test]
fn issue_14_unknown_top_level_field() {
    let e = load_err(
        r#"{"policy_id":"p","policy_version":"1","polcy_version":"2","future":{"x":1},
        "rules":[{"id":"r","effect":"allow"}]}"#,
    );
    let got: Vec<(&str, Option<&str>)> = e
        .errors()
        .iter()
        .map(|x| (x.field.as_str(), x.help.as_deref()))
        .collect();
    assert_eq!(got.len(), 2, "{}", e.detailed());
    assert_eq!(got[0].0, "future");
    assert!(
        got[0].1.is_some_and(
            |h| h.starts_with("known fields here: policy_id, ") && h.contains("lenient")
        ),
        "{got:?}"
    );
    assert_eq!(
        got[1],
        ("polcy_version", Some("did you mean `policy_version`?"))
    );
    assert_eq!(e.errors()[1].message, "unknown field `polcy_version`");
    assert_eq!(e.errors()[1].rule, None);
}

#[test]
fn issue_14_unknown_fields_in_every_nested_object() {
    let e = load_err(
        r#"{"policy_id":"p","policy_version":"1",
        "custom_detectors":[{"name":"emp","pattern":"EMP-[0-9]+","keyword":["staff"]}],
        "allow_list":{"value":["a@example.com"]},
        "rules":[{"id":"r","effect":"transform",
          "match":{"action_type":["x"],"tools":["git"]},
          "entity_transforms":[{"entity_type":"email","mode":"mask","mod":"hash"}],
          "require_sensitve_only":true}]}"#,
    );
    let got: Vec<(Option<&str>, &str, Option<&str>)> = e
        .errors()
        .iter()
        .map(|x| (x.rule.as_deref(), x.field.as_str(), x.help.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            (
                None,
                "custom_detectors[0].keyword",
                Some("did you mean `keywords`?")
            ),
            (None, "allow_list.value", Some("did you mean `values`?")),
            (
                Some("r"),
                "rules[0].require_sensitve_only",
                Some("did you mean `require_sensitive_only`?")
            ),
            (
                Some("r"),
                "rules[0].match.action_type",
                Some("did you mean `action_types`?")
            ),
            (
                Some("r"),
                "rules[0].entity_transforms[0].mod",
                Some("did you mean `mode`?")
            ),
        ]
    );
    assert_eq!(
        e.errors()[3].message,
        "rule `r`: unknown field `rules[0].match.action_type`"
    );
}

#[test]
fn issue_14_lenient_turns_unknown_fields_into_warnings() {
    let p = load(
        r#"{"policy_id":"p","policy_version":"1","lenient":true,"future":1,
        "rules":[{"id":"allow-reads","effect":"allow","mtach":{"action_types":["file.read"]},
          "match":{"action_types":["file.read"],"hosts":["x"]}}]}"#,
    );
    let w: Vec<(Option<&str>, &str)> = p
        .warnings()
        .iter()
        .map(|x| (x.rule.as_deref(), x.field.as_str()))
        .collect();
    assert_eq!(
        w,
        [
            (None, "future"),
            (Some("allow-reads"), "rules[0].mtach"),
            (Some("allow-reads"), "rules[0].match.hosts"),
        ]
    );
    assert_eq!(
        p.warnings()[1].help.as_deref(),
        Some("did you mean `match`?")
    );
    // The known fields still decide: only file.read is allowed.
    assert_eq!(p.decide(&action("file.read"), &[]).effect, Effect::Allow);
    assert_eq!(p.decide(&action("db.drop_table"), &[]).effect, Effect::Deny);
    // Other problems are still errors; `lenient` must be a boolean; a typo in it is unknown.
    let e = load_err(
        r#"{"policy_id":"p","policy_version":"1","lenient":true,"rules":[{"id":"r","effect":"block","x":1}]}"#,
    );
    assert_eq!(e.to_string(), "rule r has unsupported effect: block");
    let e = load_err(
        r#"{"policy_id":"p","policy_version":"1","lenient":"yes","rules":[{"id":"r","effect":"allow"}]}"#,
    );
    assert_eq!(
        e.to_string(),
        "`lenient` must be true or false, not a string"
    );
    let e = load_err(
        r#"{"policy_id":"p","policy_version":"1","lenent":true,"rules":[{"id":"r","effect":"allow"}]}"#,
    );
    assert_eq!(
        e.errors()[0].help.as_deref(),
        Some("did you mean `lenient`?")
    );
    // Strict is the default, and `false` says so.
    let strict = load(&rule_json(r#","match":{"action_types":["x"]}"#));
    assert!(strict.warnings().is_empty());
}

#[test]
fn issue_14_did_you_mean() {
    let known = [
        "id",
        "match",
        "entity_requirements",
        "action_types",
        "min_confidence",
    ];
    let s = |k: &str| parse::suggest(k, &known);
    assert_eq!(s("mtach"), Some("match"));
    assert_eq!(s("matches"), Some("match"));
    assert_eq!(s("MATCHH"), Some("match"));
    assert_eq!(s("idd"), Some("id"));
    assert_eq!(s("entity_req"), Some("entity_requirements"));
    assert_eq!(s("action"), Some("action_types"));
    assert_eq!(s("min_confidence_floor"), Some("min_confidence"));
    assert_eq!(s("x"), None);
    assert_eq!(s("hosts"), None);
    assert_eq!(s(""), None);
    assert_eq!(parse::edit_distance("kitten", "sitting"), 3);
    assert_eq!(parse::edit_distance("", "abc"), 3);
    assert_eq!(parse::edit_distance("Match", "match"), 0);
}

#[test]
fn issue_14_long_unknown_keys_are_cut_in_messages() {
    let key = "k".repeat(10_000);
    let e = load_err(&format!(
        r#"{{"policy_id":"p","policy_version":"1","{key}":1,"rules":[{{"id":"r","effect":"allow"}}]}}"#
    ));
    let err = &e.errors()[0];
    assert_eq!(err.field, format!("{}…", "k".repeat(64)));
    assert!(err.message.len() < 100);
}

/// Issue 14: a document full of mistakes lists the first 1000 and counts the rest, so the report
/// stays small however many there are.
#[test]
fn issue_14_problems_past_the_first_thousand_are_counted() {
    let fields: Vec<String> = (0..1500).map(|i| format!(r#""u{i}":0"#)).collect();
    let doc = |extra: &str| {
        format!(
            r#"{{"policy_id":"p","policy_version":"1"{extra},{},"rules":[{{"id":"r","effect":"allow"}}]}}"#,
            fields.join(",")
        )
    };
    let e = load_err(&doc(""));
    assert_eq!(e.errors().len(), 1001);
    assert_eq!(
        e.errors()[1000].message,
        "only the first 1000 problems are listed; later ones (and later rules) were not \
         checked or not listed"
    );
    let p = load(&doc(r#","lenient":true"#));
    assert_eq!(p.warnings().len(), 1001);
    assert_eq!(
        p.warnings()[1000].message,
        "500 more unknown fields not listed (only the first 1000 are)"
    );
}

/// Issue 14: every size limit is an error naming the limit.
#[test]
fn issue_14_size_limits() {
    // The document: refused before parsing (this one is not even JSON).
    let big = vec![b'x'; MAX_POLICY_BYTES + 1];
    let e = Policy::from_json(&big).expect_err("too large");
    assert_eq!(
        e.to_string(),
        "policy is 4194305 bytes; the limit is 4194304 bytes (`MAX_POLICY_BYTES`)"
    );
    // Rules.
    let rules = |n: usize| {
        let rules: Vec<String> = (0..n)
            .map(|i| format!(r#"{{"id":"r{i}","effect":"allow"}}"#))
            .collect();
        format!(
            r#"{{"policy_id":"p","policy_version":"1","rules":[{}]}}"#,
            rules.join(",")
        )
    };
    assert_eq!(load(&rules(MAX_RULES)).rules().len(), MAX_RULES);
    let e = load_err(&rules(MAX_RULES + 1));
    assert_eq!(e.errors()[0].field, "rules");
    assert_eq!(
        e.to_string(),
        "`rules` has 10001 entries; the limit is 10000"
    );
    // Lists in a rule.
    let list = |n: usize| {
        let v: Vec<String> = (0..n).map(|i| format!(r#""t{i}""#)).collect();
        format!("[{}]", v.join(","))
    };
    let ok = load(&rule_json(&format!(
        r#","match":{{"tools":{}}}"#,
        list(MAX_LIST_ENTRIES)
    )));
    assert_eq!(ok.rules()[0].conditions.tools.len(), MAX_LIST_ENTRIES);
    let long = list(MAX_LIST_ENTRIES + 1);
    let e = load_err(&rule_json(&format!(
        r#","match":{{"tools":{long},"args":{long}}},"entity_requirements":{long},"any_entities":{long},"entity_transforms":[{}]"#,
        vec![r#"{"entity_type":"email","mode":"mask"}"#; MAX_LIST_ENTRIES + 1].join(",")
    )));
    let msgs: Vec<&str> = e.errors().iter().map(|x| x.message.as_str()).collect();
    assert_eq!(
        msgs,
        [
            "rule `r1`: `rules[0].match.tools` has 1001 entries; the limit is 1000",
            "rule `r1`: `rules[0].match.args` has 1001 entries; the limit is 1000",
            "rule `r1`: `rules[0].entity_requirements` has 1001 entries; the limit is 1000",
            "rule `r1`: `rules[0].any_entities` has 1001 entries; the limit is 1000",
            "rule `r1`: `rules[0].entity_transforms` has 1001 entries; the limit is 1000",
        ]
    );
    // Globs.
    let glob = "a".repeat(MAX_GLOB_LEN + 1);
    let e = load_err(&rule_json(&format!(
        r#","match":{{"commands":["{glob}"]}}"#
    )));
    assert_eq!(
        e.to_string(),
        "rule `r1`: `match.commands[0]` is longer than 1024 bytes"
    );
    // Custom detector patterns, keywords and count; allow-list counts.
    let pattern = "a".repeat(crate::detect::custom::MAX_PATTERN_LEN + 1);
    let keywords = list(crate::detect::custom::MAX_KEYWORDS + 1);
    let e = load_err(&format!(
        r#"{{"policy_id":"p","policy_version":"1",
        "custom_detectors":[{{"name":"d","pattern":"{pattern}","keywords":{keywords}}},
                            {{"name":"big","pattern":"\\w{{1000}}"}}],
        "allow_list":{{"patterns":{}}},
        "rules":[{{"id":"r","effect":"allow"}}]}}"#,
        list(crate::detect::custom::MAX_ALLOW_PATTERNS + 1)
    ));
    let msgs: Vec<&str> = e.errors().iter().map(|x| x.message.as_str()).collect();
    assert_eq!(msgs.len(), 4, "{msgs:?}");
    assert_eq!(
        msgs[0],
        "custom detector `d`: `pattern` is 1025 bytes; the limit is 1024"
    );
    assert_eq!(
        msgs[1],
        "custom detector `d`: `keywords` has 65 entries; the limit is 64"
    );
    assert!(
        msgs[2].starts_with("custom detector `big`: `pattern` compiles to more than 1048576 bytes"),
        "{}",
        msgs[2]
    );
    assert_eq!(
        msgs[3],
        "`allow_list.patterns` has 65 entries; the limit is 64"
    );
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

/// Issue 15: the starter policy denies reading credential files by path, with an allow-list.
#[test]
fn issue_15_starter_denies_sensitive_paths() {
    let p = load(STARTER);
    let mut a = action("file.read");
    for path in [
        "/w/.env",
        "/w/app/.env.local",
        "/home/u/.ssh/id_ed25519",
        "/home/u/.aws/credentials",
        "/home/u/.config/gcloud/legacy_credentials/x/adc.json",
        "/w/certs/server.pem",
        "/proc/123/environ",
        "/proc/self/environ",
        "/w/x/../.env",
    ] {
        a.resource = path.into();
        let d = p.decide(&a, &[]);
        assert_eq!(d.effect, Effect::Deny, "{path}");
        assert_eq!(
            d.matched_rules.first().map(String::as_str),
            Some("deny-sensitive-files")
        );
    }
    for path in [
        "/w/.env.example",
        "/w/README.md",
        "/home/u/.ssh/id_ed25519.pub",
        "/w/environment.txt",
    ] {
        a.resource = path.into();
        assert_eq!(p.decide(&a, &[]).effect, Effect::Allow, "{path}");
    }
    // A rule with `resources_except` only: every resource but the excepted ones.
    let p = load(
        r#"{"policy_id":"p","policy_version":"1","rules":[
        {"id":"d","effect":"deny","match":{"resources_except":["/ok/**"]}},
        {"id":"a","effect":"allow"}]}"#,
    );
    a.resource = "/ok/x".into();
    assert_eq!(p.decide(&a, &[]).effect, Effect::Allow);
    a.resource = "/no/x".into();
    assert_eq!(p.decide(&a, &[]).effect, Effect::Deny);
    let e = load_err(
        r#"{"policy_id":"p","policy_version":"1","rules":[
        {"id":"d","effect":"deny","match":{"resources_except":[" "]}}]}"#,
    );
    assert!(e.to_string().contains("resource_except"), "{e}");
}
