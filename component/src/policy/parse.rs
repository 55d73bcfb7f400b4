//! `policy.json` -> [`Policy`]: JSON syntax, field types, Go validation (Go's messages), extension
//! validation, and pre-computation. Every problem is collected before returning.
//!
//! The document is read as a `serde_json::Value` and walked by hand so that a wrong type names its
//! field, and so that keys match the way Go's `encoding/json` matches them: exact key first, else
//! an ASCII case-insensitive match (`"Policy_ID"` fills `policy_id`). `null` is the same as absent.

use std::collections::HashSet;
use std::fmt;

use serde_json::{Map, Value};

use super::entities::EntityRef;
use super::glob::Glob;
use super::matcher::{AdapterTarget, Compiled};
use super::{Effect, Match, Policy, Rule, adapters, rfc3339};
use crate::detect::custom::{CustomDetectorSpec, SpecError};
use crate::detect::{AllowList, CustomDetector};
use crate::entity::{EntityType, GROUPS};
use crate::transform::{Mode, TransformStep};

/// Most custom detectors per policy.
pub const MAX_CUSTOM_DETECTORS: usize = 64;
/// Longest glob pattern accepted in a `match` list (bytes).
pub const MAX_GLOB_LEN: usize = 1024;

/// One validation problem: which rule (if any), which field (a JSON path such as
/// `rules[2].match.action_types[0]`), and the message. Where the Go service had a message for the
/// problem, `message` is Go's text exactly (`rule r1 has unsupported effect: block`); `help` then
/// says what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// The rule's id (or `rules[<index>]` when the rule has none).
    pub rule: Option<String>,
    pub field: String,
    pub message: String,
    pub help: Option<String>,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Why a policy could not be loaded: every problem found. `Display` joins the messages with
/// `"; "`, as the Go service does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyError {
    pub errors: Vec<FieldError>,
}

impl PolicyError {
    pub fn errors(&self) -> &[FieldError] {
        &self.errors
    }

    /// One line per problem: `` `field`: message (help) ``.
    pub fn detailed(&self) -> String {
        self.errors
            .iter()
            .map(|e| {
                let mut s = if e.field.is_empty() {
                    e.message.clone()
                } else {
                    format!("`{}`: {}", e.field, e.message)
                };
                if let Some(h) = &e.help {
                    s.push_str(" (");
                    s.push_str(h);
                    s.push(')');
                }
                s
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for e in &self.errors {
            if !first {
                f.write_str("; ")?;
            }
            first = false;
            f.write_str(&e.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for PolicyError {}

#[derive(Default)]
struct Errors(Vec<FieldError>);

impl Errors {
    fn push(&mut self, rule: Option<&str>, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            rule: rule.map(str::to_owned),
            field: field.into(),
            message: message.into(),
            help: None,
        });
    }

    fn push_help(
        &mut self,
        rule: Option<&str>,
        field: impl Into<String>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.0.push(FieldError {
            rule: rule.map(str::to_owned),
            field: field.into(),
            message: message.into(),
            help: Some(help.into()),
        });
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Go's key matching: exact, else ASCII case-insensitive. `null` reads as absent.
fn get<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    let v = obj.get(key).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })?;
    (!v.is_null()).then_some(v)
}

/// Typed field readers. Each reports a type error (naming `path`) and returns `None`.
struct Reader<'a> {
    obj: &'a Map<String, Value>,
    /// JSON path of `obj` (`""` at top level, `rules[0]`, ...).
    path: String,
    /// Rule label for errors.
    rule: Option<String>,
}

impl<'a> Reader<'a> {
    fn field(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn type_error(&self, errs: &mut Errors, key: &str, want: &str, got: &Value) {
        let field = self.field(key);
        let prefix = match &self.rule {
            Some(r) => format!("rule `{r}`: "),
            None => String::new(),
        };
        errs.push(
            self.rule.as_deref(),
            field.clone(),
            format!("{prefix}`{field}` must be {want}, not {}", kind(got)),
        );
    }

    fn string(&self, errs: &mut Errors, key: &str) -> Option<&'a str> {
        match get(self.obj, key)? {
            Value::String(s) => Some(s),
            other => {
                self.type_error(errs, key, "a string", other);
                None
            }
        }
    }

    fn boolean(&self, errs: &mut Errors, key: &str) -> bool {
        match get(self.obj, key) {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                self.type_error(errs, key, "true or false", other);
                false
            }
        }
    }

    fn integer(&self, errs: &mut Errors, key: &str) -> Option<i64> {
        let v = get(self.obj, key)?;
        match v.as_i64() {
            Some(n) => Some(n),
            None => {
                self.type_error(errs, key, "an integer", v);
                None
            }
        }
    }

    fn unsigned(&self, errs: &mut Errors, key: &str) -> Option<usize> {
        let v = get(self.obj, key)?;
        match v.as_u64().and_then(|n| usize::try_from(n).ok()) {
            Some(n) => Some(n),
            None => {
                self.type_error(errs, key, "a non-negative integer", v);
                None
            }
        }
    }

    fn number(&self, errs: &mut Errors, key: &str) -> Option<f64> {
        let v = get(self.obj, key)?;
        match v.as_f64() {
            Some(n) => Some(n),
            None => {
                self.type_error(errs, key, "a number", v);
                None
            }
        }
    }

    fn strings(&self, errs: &mut Errors, key: &str) -> Vec<String> {
        match get(self.obj, key) {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| match item {
                    Value::String(s) => Some(s.clone()),
                    // Go decodes `null` in a []string as "".
                    Value::Null => Some(String::new()),
                    other => {
                        self.type_error(errs, &format!("{key}[{i}]"), "a string", other);
                        None
                    }
                })
                .collect(),
            Some(other) => {
                self.type_error(errs, key, "an array of strings", other);
                Vec::new()
            }
        }
    }

    fn objects(
        &self,
        errs: &mut Errors,
        key: &str,
    ) -> Vec<(usize, Option<&'a Map<String, Value>>)> {
        match get(self.obj, key) {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Value::Object(o) => (i, Some(o)),
                    other => {
                        self.type_error(errs, &format!("{key}[{i}]"), "an object", other);
                        (i, None)
                    }
                })
                .collect(),
            Some(other) => {
                self.type_error(errs, key, "an array of objects", other);
                Vec::new()
            }
        }
    }

    fn object(&self, errs: &mut Errors, key: &str) -> Option<&'a Map<String, Value>> {
        match get(self.obj, key)? {
            Value::Object(o) => Some(o),
            other => {
                self.type_error(errs, key, "an object", other);
                None
            }
        }
    }
}

fn json_error(e: &serde_json::Error) -> PolicyError {
    let full = e.to_string();
    let msg = full
        .rfind(" at line ")
        .and_then(|i| full.get(..i))
        .unwrap_or(&full);
    PolicyError {
        errors: vec![FieldError {
            rule: None,
            field: String::new(),
            message: format!(
                "policy is not valid JSON: {msg} at line {}, column {}",
                e.line(),
                e.column()
            ),
            help: Some("fix the JSON syntax at that position".to_owned()),
        }],
    }
}

fn known_entity_names(customs: &[&str]) -> String {
    let mut names: Vec<&str> = EntityType::ALL.iter().map(|t| t.as_str()).collect();
    names.extend(GROUPS);
    names.extend(customs.iter().copied());
    format!("known: {}", names.join(", "))
}

fn confidence_ok(c: f64) -> bool {
    (0.0..=1.0).contains(&c)
}

pub(super) fn parse(bytes: &[u8]) -> Result<Policy, PolicyError> {
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| json_error(&e))?;
    let Value::Object(top) = &doc else {
        return Err(PolicyError {
            errors: vec![FieldError {
                rule: None,
                field: String::new(),
                message: format!("policy must be a JSON object, not {}", kind(&doc)),
                help: None,
            }],
        });
    };
    let mut errs = Errors::default();
    let r = Reader {
        obj: top,
        path: String::new(),
        rule: None,
    };

    let policy_id = r.string(&mut errs, "policy_id").unwrap_or_default();
    if policy_id.trim().is_empty() {
        errs.push_help(
            None,
            "policy_id",
            "policy_id is required",
            "add a non-blank `policy_id`",
        );
    }
    let policy_version = r.string(&mut errs, "policy_version").unwrap_or_default();
    if policy_version.trim().is_empty() {
        errs.push_help(
            None,
            "policy_version",
            "policy_version is required",
            "add a non-blank `policy_version`",
        );
    }
    let description = r.string(&mut errs, "description").unwrap_or_default();
    let updated_at = r.string(&mut errs, "updated_at").map(str::to_owned);
    if let Some(ts) = &updated_at
        && !rfc3339::is_valid(ts)
    {
        errs.push(
            None,
            "updated_at",
            format!("`updated_at` must be an RFC 3339 timestamp such as `2026-02-24T00:00:00Z`, not `{ts}`"),
        );
    }
    let min_confidence = r.number(&mut errs, "min_confidence").unwrap_or(0.0);
    if !confidence_ok(min_confidence) {
        errs.push(
            None,
            "min_confidence",
            format!("`min_confidence` is {min_confidence}; use a number from 0 to 1"),
        );
    }

    // Custom detectors first: their names are valid entity names in rules.
    let custom_detectors = parse_detectors(&r, &mut errs);
    let custom_names: Vec<&str> = custom_detectors.iter().map(|d| d.name.as_str()).collect();
    let allow_list = parse_allow_list(&r, &mut errs);

    let rule_objs = r.objects(&mut errs, "rules");
    if rule_objs.is_empty() && get(top, "rules").is_none_or(Value::is_array) {
        errs.push_help(
            None,
            "rules",
            "policy must contain at least one rule",
            "add a rule to `rules`",
        );
    }
    let mut seen = HashSet::new();
    let mut rules = Vec::with_capacity(rule_objs.len());
    for (i, obj) in rule_objs {
        let Some(obj) = obj else { continue };
        if let Some(rule) = parse_rule(i, obj, &mut errs, &mut seen, &custom_names, min_confidence)
        {
            rules.push(rule);
        }
    }

    if !errs.0.is_empty() {
        return Err(PolicyError { errors: errs.0 });
    }
    let mut order: Vec<usize> = (0..rules.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(rules.get(i).map_or(0, |r| r.priority)));
    Ok(Policy {
        policy_id: policy_id.to_owned(),
        policy_version: policy_version.to_owned(),
        description: description.to_owned(),
        updated_at,
        min_confidence,
        rules,
        order,
        custom_detectors,
        allow_list,
    })
}

fn parse_detectors(r: &Reader<'_>, errs: &mut Errors) -> Vec<CustomDetector> {
    let objs = r.objects(errs, "custom_detectors");
    if objs.len() > MAX_CUSTOM_DETECTORS {
        errs.push(
            None,
            "custom_detectors",
            format!(
                "`custom_detectors` has {} entries; the limit is {MAX_CUSTOM_DETECTORS}",
                objs.len()
            ),
        );
    }
    let mut out: Vec<CustomDetector> = Vec::new();
    for (i, obj) in objs {
        let Some(obj) = obj else { continue };
        let path = format!("custom_detectors[{i}]");
        let d = Reader {
            obj,
            path: path.clone(),
            rule: None,
        };
        let spec = CustomDetectorSpec {
            name: d.string(errs, "name").unwrap_or_default().to_owned(),
            pattern: d.string(errs, "pattern").unwrap_or_default().to_owned(),
            keywords: d.strings(errs, "keywords"),
            keyword_window: d.unsigned(errs, "keyword_window"),
            validator: d.string(errs, "validator").map(str::to_owned),
            confidence: d.number(errs, "confidence"),
            case_insensitive: d.boolean(errs, "case_insensitive"),
        };
        let label = if spec.name.trim().is_empty() {
            path.clone()
        } else {
            spec.name.trim().to_owned()
        };
        match CustomDetector::compile(&spec) {
            Ok(det) => {
                if out.iter().any(|o| o.name == det.name) {
                    errs.push(
                        None,
                        format!("{path}.name"),
                        format!(
                            "custom detector `{}` is defined twice; rename one",
                            det.name
                        ),
                    );
                } else {
                    out.push(det);
                }
            }
            Err(list) => {
                for SpecError { field, message } in list {
                    errs.push(
                        None,
                        format!("{path}.{field}"),
                        format!("custom detector `{label}`: `{field}` {message}"),
                    );
                }
            }
        }
    }
    out
}

fn parse_allow_list(r: &Reader<'_>, errs: &mut Errors) -> Option<AllowList> {
    let obj = r.object(errs, "allow_list")?;
    let a = Reader {
        obj,
        path: "allow_list".to_owned(),
        rule: None,
    };
    let values = a.strings(errs, "values");
    let patterns = a.strings(errs, "patterns");
    match AllowList::new(&values, &patterns) {
        Ok(list) if list.is_empty() => None,
        Ok(list) => Some(list),
        Err(list) => {
            for SpecError { field, message } in list {
                errs.push(
                    None,
                    format!("allow_list.{field}"),
                    format!("`allow_list.{field}` {message}"),
                );
            }
            None
        }
    }
}

/// Go's singular names for blank-entry messages, per `match` list.
const MATCH_LISTS: [(&str, &str, bool); 7] = [
    // (key, singular for "has empty <x> condition", case-insensitive)
    ("action_types", "action_type", true),
    ("tools", "tool", true),
    ("resource_prefixes", "resource_prefix", false),
    ("resources", "resource", false),
    ("commands", "command", true),
    ("args", "arg", true),
    ("adapters", "adapter", true),
];

fn parse_rule(
    index: usize,
    obj: &Map<String, Value>,
    errs: &mut Errors,
    seen: &mut HashSet<String>,
    customs: &[&str],
    policy_floor: f64,
) -> Option<Rule> {
    let path = format!("rules[{index}]");
    let mut r = Reader {
        obj,
        path: path.clone(),
        rule: None,
    };
    let id = r.string(errs, "id").unwrap_or_default().trim().to_owned();
    let start = errs.0.len();
    // Go's messages embed the id; a rule without one is named by its index.
    let label = if id.is_empty() {
        errs.push_help(
            None,
            format!("{path}.id"),
            "rule missing id",
            format!("give `{path}` a unique, non-blank `id`"),
        );
        path.clone()
    } else {
        if !seen.insert(id.clone()) {
            errs.push_help(
                Some(&id),
                format!("{path}.id"),
                format!("duplicate rule id: {id}"),
                "rule ids must be unique",
            );
        }
        id.clone()
    };
    r.rule = Some(label.clone());
    let rl = Some(label.as_str());

    let description = r.string(errs, "description").unwrap_or_default().to_owned();
    let priority = r.integer(errs, "priority").unwrap_or(0);
    if priority < 0 {
        errs.push_help(
            rl,
            format!("{path}.priority"),
            format!("rule {label} has negative priority: {priority}"),
            "use 0 or more; higher is evaluated first",
        );
    }
    let effect_raw = r.string(errs, "effect").unwrap_or_default();
    let effect = Effect::parse(effect_raw);
    if effect.is_none() {
        errs.push_help(
            rl,
            format!("{path}.effect"),
            format!("rule {label} has unsupported effect: {effect_raw}"),
            "use one of: allow, allow_with_redaction, transform, deny",
        );
    }

    // match
    let mut conditions = Match::default();
    let mut compiled = Compiled::default();
    if let Some(m) = r.object(errs, "match") {
        let mr = Reader {
            obj: m,
            path: format!("{path}.match"),
            rule: Some(label.clone()),
        };
        for (key, singular, ci) in MATCH_LISTS {
            let entries = mr.strings(errs, key);
            for (i, e) in entries.iter().enumerate() {
                let field = format!("{path}.match.{key}[{i}]");
                if e.trim().is_empty() {
                    errs.push(
                        rl,
                        field,
                        format!("rule {label} has empty {singular} condition"),
                    );
                } else if e.len() > MAX_GLOB_LEN {
                    errs.push(
                        rl,
                        field,
                        format!(
                            "rule `{label}`: `match.{key}[{i}]` is longer than {MAX_GLOB_LEN} bytes"
                        ),
                    );
                }
            }
            match key {
                "resource_prefixes" => compiled.resource_prefixes = entries.clone(),
                "adapters" => {
                    compiled.adapters = entries
                        .iter()
                        .map(|e| {
                            if super::glob::has_meta(e) {
                                AdapterTarget::Pattern(Glob::new(e, true))
                            } else {
                                AdapterTarget::Name {
                                    raw: e.clone(),
                                    canonical: adapters::canonical(e),
                                }
                            }
                        })
                        .collect();
                }
                _ => {
                    let globs: Vec<Glob> = entries.iter().map(|e| Glob::new(e, ci)).collect();
                    match key {
                        "action_types" => compiled.action_types = globs,
                        "tools" => compiled.tools = globs,
                        "resources" => compiled.resources = globs,
                        "commands" => compiled.commands = globs,
                        _ => compiled.args = globs,
                    }
                }
            }
            let slot = match key {
                "action_types" => &mut conditions.action_types,
                "tools" => &mut conditions.tools,
                "resource_prefixes" => &mut conditions.resource_prefixes,
                "resources" => &mut conditions.resources,
                "commands" => &mut conditions.commands,
                "args" => &mut conditions.args,
                _ => &mut conditions.adapters,
            };
            *slot = entries;
        }
    }

    // entity gates
    let entity_requirements = r.strings(errs, "entity_requirements");
    for (i, name) in entity_requirements.iter().enumerate() {
        let field = format!("{path}.entity_requirements[{i}]");
        if name.trim().is_empty() {
            errs.push(
                rl,
                field,
                format!("rule {label} has empty entity_requirement"),
            );
        } else {
            match EntityRef::resolve(name, customs) {
                Some(e) => compiled.all_entities.push(e),
                None => errs.push_help(
                    rl,
                    field,
                    format!(
                        "rule {label} references unsupported required entity type: {}",
                        name.trim().to_ascii_lowercase()
                    ),
                    known_entity_names(customs),
                ),
            }
        }
    }
    let any_entities = r.strings(errs, "any_entities");
    for (i, name) in any_entities.iter().enumerate() {
        let field = format!("{path}.any_entities[{i}]");
        if name.trim().is_empty() {
            errs.push(
                rl,
                field,
                format!("rule `{label}`: `any_entities[{i}]` is empty; remove it"),
            );
        } else {
            match EntityRef::resolve(name, customs) {
                Some(e) => compiled.any_entities.push(e),
                None => errs.push_help(
                    rl,
                    field,
                    format!(
                        "rule `{label}`: unknown entity type `{}` in `any_entities`",
                        name.trim()
                    ),
                    known_entity_names(customs),
                ),
            }
        }
    }

    // transforms
    let mut entity_transforms = Vec::new();
    for (i, step) in r.objects(errs, "entity_transforms") {
        let Some(step) = step else { continue };
        let sr = Reader {
            obj: step,
            path: format!("{path}.entity_transforms[{i}]"),
            rule: Some(label.clone()),
        };
        let entity_type = sr.string(errs, "entity_type").unwrap_or_default();
        let mode_raw = sr.string(errs, "mode").unwrap_or_default();
        let mut ok = true;
        if entity_type.trim().is_empty() {
            ok = false;
            errs.push(
                rl,
                format!("{path}.entity_transforms[{i}].entity_type"),
                format!("rule {label} has entity transform without entity_type"),
            );
        } else if EntityRef::resolve(entity_type, customs).is_none() {
            ok = false;
            errs.push_help(
                rl,
                format!("{path}.entity_transforms[{i}].entity_type"),
                format!(
                    "rule {label} references unsupported transform entity type: {}",
                    entity_type.trim().to_ascii_lowercase()
                ),
                known_entity_names(customs),
            );
        }
        match Mode::parse(mode_raw) {
            Some(mode) if ok => entity_transforms.push(TransformStep {
                entity_type: entity_type.to_owned(),
                mode,
            }),
            Some(_) => {}
            None => errs.push_help(
                rl,
                format!("{path}.entity_transforms[{i}].mode"),
                format!("rule {label} references unsupported transform mode: {mode_raw}"),
                "use one of (lower case): mask, tokenize, anonymize, redact, replace, hash",
            ),
        }
    }

    let require_sensitive_only = r.boolean(errs, "require_sensitive_only");
    compiled.require_sensitive_only = require_sensitive_only;
    let min_confidence = r.number(errs, "min_confidence");
    if let Some(c) = min_confidence
        && !confidence_ok(c)
    {
        errs.push(
            rl,
            format!("{path}.min_confidence"),
            format!("rule `{label}`: `min_confidence` is {c}; use a number from 0 to 1"),
        );
    }
    compiled.min_confidence = min_confidence.unwrap_or(policy_floor);

    if errs.0.len() > start || id.is_empty() {
        return None;
    }
    Some(Rule {
        id,
        description,
        priority,
        effect: effect?,
        conditions,
        entity_requirements,
        any_entities,
        entity_transforms,
        require_sensitive_only,
        min_confidence,
        compiled,
    })
}
