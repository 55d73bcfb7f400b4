//! `policy.json` -> [`Policy`]: JSON syntax, field types, Go validation (Go's messages), extension
//! validation, and pre-computation. Every problem is collected before returning.
//!
//! The document is read as a `serde_json::Value` and walked by hand so that a wrong type names its
//! field, and so that keys match the way Go's `encoding/json` matches them: exact key first, else
//! an ASCII case-insensitive match (`"Policy_ID"` fills `policy_id`). `null` is the same as absent.
//! Unlike Go, a key that is no field of its object (`*_FIELDS` below) is reported: an error, or a
//! warning when the document sets `"lenient": true`. Sizes are checked before the work they bound
//! (the document's bytes before parsing, the rule count before any rule, a list's length before
//! its entries), and at most [`MAX_LISTED`] problems are listed.

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

/// Largest policy document accepted (bytes): checked before parsing. The largest shipped policy is
/// under 8 KiB; 4 MiB holds [`MAX_RULES`] rules of about 400 bytes each.
pub const MAX_POLICY_BYTES: usize = 4 << 20;
/// Most rules per policy.
pub const MAX_RULES: usize = 10_000;
/// Most entries in one list of a rule: each `match` list, `entity_requirements`, `any_entities`,
/// `entity_transforms`.
pub const MAX_LIST_ENTRIES: usize = 1_000;
/// Most custom detectors per policy.
pub const MAX_CUSTOM_DETECTORS: usize = 64;
/// Longest glob pattern accepted in a `match` list (bytes).
pub const MAX_GLOB_LEN: usize = 1024;
/// Longest unknown key quoted in an error (characters); longer keys are cut with `…`.
const MAX_KEY_SHOWN: usize = 64;
/// Most errors (and, separately, warnings) listed one by one; one last entry says there were more.
/// Once it is reached no further rule is checked. A 4 MiB document can hold two million wrong
/// entries: listing each took a hundred times the document's size in memory, and checking them all
/// about a second.
const MAX_LISTED: usize = 1_000;

/// The fields of each object of the format. Any other key is an unknown field: an error, or a
/// warning in a `lenient` policy. A key equal to one of these ignoring ASCII case is known (Go's
/// matching, see [`get`]).
const TOP_FIELDS: &[&str] = &[
    "policy_id",
    "policy_version",
    "description",
    "updated_at",
    "lenient",
    "min_confidence",
    "custom_detectors",
    "allow_list",
    "rules",
];
const RULE_FIELDS: &[&str] = &[
    "id",
    "description",
    "priority",
    "effect",
    "match",
    "entity_requirements",
    "any_entities",
    "entity_transforms",
    "require_sensitive_only",
    "min_confidence",
];
const TRANSFORM_FIELDS: &[&str] = &["entity_type", "mode"];
const DETECTOR_FIELDS: &[&str] = &[
    "name",
    "pattern",
    "keywords",
    "keyword_window",
    "validator",
    "confidence",
    "case_insensitive",
];
const ALLOW_LIST_FIELDS: &[&str] = &["values", "patterns"];

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

/// The problems found so far. Unknown fields go to `warnings` instead of `errors` when the policy
/// is `lenient`.
#[derive(Default)]
struct Errors {
    errors: Vec<FieldError>,
    warnings: Vec<FieldError>,
    lenient: bool,
    /// Errors were found past [`MAX_LISTED`], or rules were left unchecked because of it.
    truncated: bool,
    /// Warnings past [`MAX_LISTED`], counted.
    more_warnings: usize,
}

impl Errors {
    fn add(&mut self, e: FieldError) {
        if self.errors.len() < MAX_LISTED {
            self.errors.push(e);
        } else {
            self.truncated = true;
        }
    }

    /// Every error so far, listed or not (not listed count as one).
    fn count(&self) -> usize {
        self.errors.len() + usize::from(self.truncated)
    }

    /// True once [`MAX_LISTED`] errors are listed: checking can stop.
    fn full(&self) -> bool {
        self.errors.len() >= MAX_LISTED
    }

    fn push(&mut self, rule: Option<&str>, field: impl Into<String>, message: impl Into<String>) {
        self.add(FieldError {
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
        self.add(FieldError {
            rule: rule.map(str::to_owned),
            field: field.into(),
            message: message.into(),
            help: Some(help.into()),
        });
    }

    /// An unknown field: an error, or a warning in a lenient policy. `make` builds the entry only
    /// when it will be listed.
    fn unknown_field(&mut self, make: impl FnOnce() -> FieldError) {
        if !self.lenient {
            if self.full() {
                self.truncated = true;
            } else {
                self.errors.push(make());
            }
        } else if self.warnings.len() < MAX_LISTED {
            self.warnings.push(make());
        } else {
            self.more_warnings += 1;
        }
    }

    /// The listed errors and warnings, each list ending with an entry for the unlisted ones.
    fn finish(mut self) -> (Vec<FieldError>, Vec<FieldError>) {
        let more = |message: String| FieldError {
            rule: None,
            field: String::new(),
            message,
            help: Some("fix the ones listed and load the policy again".to_owned()),
        };
        if self.truncated {
            self.errors.push(more(format!(
                "only the first {MAX_LISTED} problems are listed; later ones (and later rules) \
                 were not checked or not listed"
            )));
        }
        if self.more_warnings > 0 {
            self.warnings.push(more(format!(
                "{} more unknown fields not listed (only the first {MAX_LISTED} are)",
                self.more_warnings
            )));
        }
        (self.errors, self.warnings)
    }
}

/// Levenshtein distance between `a` and `b`, ignoring ASCII case.
pub(super) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().map(|c| c.to_ascii_lowercase()).collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().map(|c| c.to_ascii_lowercase()).enumerate() {
        let mut left = i + 1;
        if let Some(first) = cur.first_mut() {
            *first = left;
        }
        for (j, cb) in b.iter().enumerate() {
            let diag = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let up = prev.get(j + 1).copied().unwrap_or(0) + 1;
            left = diag.min(up).min(left + 1);
            if let Some(slot) = cur.get_mut(j + 1) {
                *slot = left;
            }
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.last().copied().unwrap_or(0)
}

/// The known field `key` was probably meant to be: the nearest within edit distance 2 (and less
/// than the key's length, so `x` does not suggest `id`), else one that the key is a prefix of, or
/// that is a prefix of the key, ignoring ASCII case (at least 3 characters in common).
pub(super) fn suggest(key: &str, known: &[&'static str]) -> Option<&'static str> {
    let len = key.chars().count();
    let near = known
        .iter()
        .filter(|k| k.len().abs_diff(len) <= 2)
        .map(|&k| (edit_distance(key, k), k))
        .filter(|&(d, _)| d <= 2 && d < len)
        .min_by_key(|&(d, _)| d)
        .map(|(_, k)| k);
    near.or_else(|| {
        let lower = key.to_ascii_lowercase();
        known.iter().copied().find(|k| {
            len >= 3 && (k.starts_with(lower.as_str()) || (lower.starts_with(k) && k.len() >= 3))
        })
    })
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
    /// Report every key of the object that is not one of `known` (ASCII case ignored).
    fn check_fields(&self, errs: &mut Errors, known: &[&'static str]) {
        for key in self.obj.keys() {
            if known.iter().any(|k| k.eq_ignore_ascii_case(key)) {
                continue;
            }
            errs.unknown_field(|| self.unknown_field_error(key, known));
        }
    }

    fn unknown_field_error(&self, key: &str, known: &[&'static str]) -> FieldError {
        let mut shown: String = key.chars().take(MAX_KEY_SHOWN).collect();
        if shown.len() < key.len() {
            shown.push('…');
        }
        let field = self.field(&shown.escape_debug().to_string());
        let help = match suggest(key, known) {
            Some(k) => format!("did you mean `{k}`?"),
            None => format!(
                "known fields here: {}; a policy written for a newer version can set \
                 `\"lenient\": true` to ignore fields this version does not know",
                known.join(", ")
            ),
        };
        FieldError {
            rule: self.rule.clone(),
            message: format!("{}unknown field `{field}`", self.prefix()),
            field,
            help: Some(help),
        }
    }

    /// Report a list longer than [`MAX_LIST_ENTRIES`]; true if it is within the limit.
    fn list_len_ok(&self, errs: &mut Errors, key: &str) -> bool {
        let len = match get(self.obj, key) {
            Some(Value::Array(items)) => items.len(),
            _ => return true,
        };
        if len <= MAX_LIST_ENTRIES {
            return true;
        }
        let field = self.field(key);
        let prefix = self.prefix();
        errs.push(
            self.rule.as_deref(),
            field.clone(),
            format!("{prefix}`{field}` has {len} entries; the limit is {MAX_LIST_ENTRIES}"),
        );
        false
    }

    /// `` rule `<label>`: `` for an object inside a rule, else nothing.
    fn prefix(&self) -> String {
        match &self.rule {
            Some(r) => format!("rule `{r}`: "),
            None => String::new(),
        }
    }

    fn field(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn type_error(&self, errs: &mut Errors, key: &str, want: &str, got: &Value) {
        let field = self.field(key);
        let prefix = self.prefix();
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

fn whole_document_error(message: String, help: Option<String>) -> PolicyError {
    PolicyError {
        errors: vec![FieldError {
            rule: None,
            field: String::new(),
            message,
            help,
        }],
    }
}

pub(super) fn parse(bytes: &[u8]) -> Result<Policy, PolicyError> {
    if bytes.len() > MAX_POLICY_BYTES {
        return Err(whole_document_error(
            format!(
                "policy is {} bytes; the limit is {MAX_POLICY_BYTES} bytes (`MAX_POLICY_BYTES`)",
                bytes.len()
            ),
            Some("remove rules or merge them (match lists take many values)".to_owned()),
        ));
    }
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| json_error(&e))?;
    let Value::Object(top) = &doc else {
        return Err(whole_document_error(
            format!("policy must be a JSON object, not {}", kind(&doc)),
            None,
        ));
    };
    let mut errs = Errors::default();
    let r = Reader {
        obj: top,
        path: String::new(),
        rule: None,
    };
    // First, so that it governs how every unknown field below is reported.
    errs.lenient = r.boolean(&mut errs, "lenient");
    r.check_fields(&mut errs, TOP_FIELDS);

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

    let rule_count = match get(top, "rules") {
        Some(Value::Array(items)) => items.len(),
        _ => 0,
    };
    if rule_count > MAX_RULES {
        // Rejected before any rule is read: loading is bounded by the limit, not the input.
        errs.push_help(
            None,
            "rules",
            format!("`rules` has {rule_count} entries; the limit is {MAX_RULES}"),
            "merge rules that share an effect (match lists and globs take many values)",
        );
        return Err(PolicyError {
            errors: errs.finish().0,
        });
    }
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
        if errs.full() {
            // Enough to fix; the rest of the rules are not checked.
            errs.truncated = true;
            break;
        }
        let Some(obj) = obj else { continue };
        if let Some(rule) = parse_rule(i, obj, &mut errs, &mut seen, &custom_names, min_confidence)
        {
            rules.push(rule);
        }
    }

    let (errors, warnings) = errs.finish();
    if !errors.is_empty() {
        return Err(PolicyError { errors });
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
        warnings,
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
        // None is compiled: each may take a megabyte.
        return Vec::new();
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
        d.check_fields(errs, DETECTOR_FIELDS);
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
    a.check_fields(errs, ALLOW_LIST_FIELDS);
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
const MATCH_LISTS: [(&str, &str, bool); 8] = [
    // (key, singular for "has empty <x> condition", case-insensitive)
    ("action_types", "action_type", true),
    ("tools", "tool", true),
    ("resource_prefixes", "resource_prefix", false),
    ("resources", "resource", false),
    ("resources_except", "resource_except", false),
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
    let start = errs.count();
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
    r.check_fields(errs, RULE_FIELDS);

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
        mr.check_fields(errs, &MATCH_LISTS.map(|(key, _, _)| key));
        for (key, singular, ci) in MATCH_LISTS {
            if !mr.list_len_ok(errs, key) {
                continue;
            }
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
                        "resources_except" => compiled.resources_except = globs,
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
                "resources_except" => &mut conditions.resources_except,
                "commands" => &mut conditions.commands,
                "args" => &mut conditions.args,
                _ => &mut conditions.adapters,
            };
            *slot = entries;
        }
    }

    // entity gates
    let entity_requirements = if r.list_len_ok(errs, "entity_requirements") {
        r.strings(errs, "entity_requirements")
    } else {
        Vec::new()
    };
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
    let any_entities = if r.list_len_ok(errs, "any_entities") {
        r.strings(errs, "any_entities")
    } else {
        Vec::new()
    };
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
    let steps = if r.list_len_ok(errs, "entity_transforms") {
        r.objects(errs, "entity_transforms")
    } else {
        Vec::new()
    };
    for (i, step) in steps {
        let Some(step) = step else { continue };
        let sr = Reader {
            obj: step,
            path: format!("{path}.entity_transforms[{i}]"),
            rule: Some(label.clone()),
        };
        sr.check_fields(errs, TRANSFORM_FIELDS);
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

    if errs.count() > start || id.is_empty() {
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
