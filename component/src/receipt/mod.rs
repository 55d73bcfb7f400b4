//! Receipts: one per decision, built by the core so every host writes identical ones.
//!
//! A receipt carries the Go service's fields (section 5.1 of the reference) except raw values:
//! each finding keeps its type, span and confidence plus a keyed `value_digest`. Receipts form a
//! SHA-256 chain: `prev_hash` is the previous receipt's `hash` (the first receipt of a log uses
//! [`GENESIS_HASH`]), and `hash` covers every other field.
//!
//! # Canonical JSON and `hash`
//!
//! `hash` = lowercase hex SHA-256 of the UTF-8 bytes of the canonical JSON of the receipt object
//! **without** its `hash` member. A stored JSONL line is the canonical JSON **with** `hash`
//! ([`Receipt::canonical_json`]). Canonical JSON is:
//!
//! - no whitespace anywhere (`{"a":1,"b":[1,2]}`);
//! - object members sorted by key, comparing keys as UTF-8 byte strings (all keys are ASCII);
//!   optional members that are absent are not written (`sanitized_summary`, `transform_plan`,
//!   `reason`, `idempotency_key_digest`, `finding_counts`, and the `action` members `tool`, `resource`, `command`, `args`, `sensitive` when
//!   empty/false); `matched_rules` and `findings` are always arrays;
//! - strings: `"` and `\` escaped as `\"` and `\\`; U+0008, U+0009, U+000A, U+000C, U+000D as
//!   `\b`, `\t`, `\n`, `\f`, `\r`; other characters below U+0020 as `\u00XX` with lowercase hex;
//!   everything else (including `/`, U+007F and all non-ASCII) written literally as UTF-8;
//! - integers in plain decimal;
//! - the only non-integer numbers are finding `confidence`s, which are clamped to `[0, 1]`,
//!   rounded to 4 decimal places (non-finite becomes 0) and written in the shortest form that
//!   round-trips, always with a fraction: `0.0`, `1.0`, `0.995`, `0.0001` (Python's `repr` of the
//!   rounded float gives the same text).
//!
//! This is what `serde_json` writes for these values; Python can recompute a hash with
//! `json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)` after deleting
//! `hash`.
//!
//! Verification re-parses each line and recomputes the canonical form, so whitespace changes to a
//! stored line are not detected (the content is); any change of content is. A line that gives a
//! member twice (at any depth) is malformed: the parsed value would hold only the last.
//!
//! # `value_digest`
//!
//! The first 16 hex characters (64 bits) of HMAC-SHA256(key, value) — the same primitive as keyed
//! tokens (`transform::keyed_hex`), so a digest can be correlated with a `TOK-`/`anon-` token and
//! with a candidate value by whoever holds the key. With an empty key it is plain SHA-256 (then
//! low-entropy values are dictionary-reversible: hosts should always supply a key).

pub mod gojson;
pub mod tail;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::DecideRequest;
use crate::entity::Finding;
use crate::policy::{Action, Decision, Effect};
use crate::transform::{KeyedHasher, TransformStep, keyed_hex};

/// `prev_hash` of the first receipt of a chain.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Hex characters of HMAC-SHA256 kept in `value_digest`.
pub const VALUE_DIGEST_LEN: usize = 16;

/// A finding as a receipt records it: no raw value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReceiptFinding {
    pub entity_type: String,
    pub start: usize,
    pub end: usize,
    pub confidence: f64,
    /// First 16 hex of HMAC-SHA256(key, value) (see the module docs).
    pub value_digest: String,
}

impl ReceiptFinding {
    /// Record `finding`, whose matched text is `value`.
    pub fn new(finding: &Finding, value: &str, key: &[u8]) -> ReceiptFinding {
        ReceiptFinding::with_hasher(finding, value, &KeyedHasher::new(key))
    }

    /// [`ReceiptFinding::new`] with the key prepared once for many findings.
    pub fn with_hasher(finding: &Finding, value: &str, hasher: &KeyedHasher) -> ReceiptFinding {
        let digest = hasher.hex(value.as_bytes());
        ReceiptFinding {
            entity_type: finding.entity_type.to_string(),
            start: finding.start,
            end: finding.end,
            confidence: canonical_confidence(finding.confidence),
            value_digest: digest.get(..VALUE_DIGEST_LEN).unwrap_or(&digest).to_owned(),
        }
    }
}

/// Clamp to `[0, 1]`, round to 4 decimals; non-finite becomes 0 (see the module docs).
pub fn canonical_confidence(c: f64) -> f64 {
    if !c.is_finite() {
        return 0.0;
    }
    (c.clamp(0.0, 1.0) * 10_000.0).round() / 10_000.0
}

/// One decision record (the Go service's receipt plus `prev_hash`/`hash`, findings without values; `docs/operations.md`, "Receipts").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Receipt {
    pub receipt_id: String,
    /// RFC 3339 UTC, supplied by the host.
    pub timestamp: String,
    #[serde(default)]
    pub request_id: String,
    #[serde(default)]
    pub trace_id: String,
    #[serde(default)]
    pub tenant_id: String,
    #[serde(default)]
    pub actor_id: String,
    #[serde(default)]
    pub session_id: String,
    /// The hash chain the receipt belongs to, when a store keeps several (one per replica on a
    /// shared database: `docs/operations.md`, "Running a fleet"). Set by the host when it seals
    /// ([`seal_line_in_chain`]); absent in a single-file chain (Go's receipts have no such
    /// member).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub chain_id: String,
    pub policy_version: String,
    pub policy_id: String,
    pub action_hash: String,
    pub input_hash: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sanitized_summary: String,
    pub decision: Effect,
    pub action: Action,
    #[serde(default)]
    pub matched_rules: Vec<String>,
    #[serde(default)]
    pub findings: Vec<ReceiptFinding>,
    /// Findings per entity type, set instead of `findings` when a decision was past the findings
    /// cap (`crate::api::bounds`): a receipt never lists thousands of entries. Absent otherwise
    /// (Go's receipts have no such member).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub finding_counts: BTreeMap<String, u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transform_plan: Vec<TransformStep>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// Set when the request carried an `idempotency_key`: [`idempotency_digest`] of it, so a
    /// host can answer replays after a restart from the receipts file (see
    /// [`crate::api::replay_decide`]). Absent otherwise (Go's receipts have no such member).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub idempotency_key_digest: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Everything a receipt is built from. Time, ids and the chain position come from the host.
#[derive(Clone, Debug)]
pub struct ReceiptInput {
    pub receipt_id: String,
    pub timestamp: String,
    pub request_id: String,
    pub trace_id: String,
    pub tenant_id: String,
    pub actor_id: String,
    pub session_id: String,
    pub policy_id: String,
    pub policy_version: String,
    pub action: Action,
    /// [`input_hash`] of the request.
    pub input_hash: String,
    pub decision: Decision,
    /// Built with [`ReceiptFinding::new`].
    pub findings: Vec<ReceiptFinding>,
    /// `hash` of the previous receipt, or [`GENESIS_HASH`].
    pub prev_hash: String,
}

/// Build and seal a receipt: computes `action_hash`, `sanitized_summary` and `hash`. With an
/// empty `prev_hash` the receipt is left unsealed (`hash` empty) for a host that links it into its
/// chain later with [`Receipt::reseal`] (hashing once, natively, instead of twice).
pub fn build(input: ReceiptInput) -> Receipt {
    let sanitized_summary = if input.decision.plan.is_empty() {
        String::new()
    } else {
        gojson::plan(&input.decision.plan)
    };
    let mut r = Receipt {
        receipt_id: input.receipt_id,
        timestamp: input.timestamp,
        request_id: input.request_id,
        trace_id: input.trace_id,
        tenant_id: input.tenant_id,
        actor_id: input.actor_id,
        session_id: input.session_id,
        chain_id: String::new(),
        policy_version: input.policy_version,
        policy_id: input.policy_id,
        action_hash: action_hash(&input.action),
        input_hash: input.input_hash,
        sanitized_summary,
        decision: input.decision.effect,
        action: input.action,
        matched_rules: input.decision.matched_rules,
        findings: input.findings,
        finding_counts: BTreeMap::new(),
        transform_plan: input.decision.plan,
        reason: input.decision.reason,
        idempotency_key_digest: String::new(),
        prev_hash: input.prev_hash,
        hash: String::new(),
    };
    if !r.prev_hash.is_empty() {
        r.hash = r.compute_hash();
    }
    r
}

/// The receipt with its members in canonical (sorted) order, borrowed: `serde_json` writes it as
/// the canonical JSON directly, without building a `Value` tree (several times faster, which
/// matters in the guest). [`canonical`] over a `Value` stays the reference: the verifier uses it,
/// and tests require both to agree.
#[derive(Serialize)]
struct CanonicalReceipt<'a> {
    action: CanonicalAction<'a>,
    action_hash: &'a str,
    actor_id: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    chain_id: &'a str,
    decision: Effect,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    finding_counts: &'a BTreeMap<String, u64>,
    findings: Vec<CanonicalFinding<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hash: Option<&'a str>,
    #[serde(skip_serializing_if = "str::is_empty")]
    idempotency_key_digest: &'a str,
    input_hash: &'a str,
    matched_rules: &'a [String],
    policy_id: &'a str,
    policy_version: &'a str,
    prev_hash: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    reason: &'a str,
    receipt_id: &'a str,
    request_id: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    sanitized_summary: &'a str,
    session_id: &'a str,
    tenant_id: &'a str,
    timestamp: &'a str,
    trace_id: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    transform_plan: &'a [TransformStep],
}

#[derive(Serialize)]
struct CanonicalAction<'a> {
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    args: &'a [String],
    #[serde(skip_serializing_if = "str::is_empty")]
    command: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    resource: &'a str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    sensitive: bool,
    #[serde(skip_serializing_if = "str::is_empty")]
    tool: &'a str,
    #[serde(rename = "type")]
    action_type: &'a str,
}

#[derive(Serialize)]
struct CanonicalFinding<'a> {
    /// As [`canonical`] writes it: a `Value` turns a non-finite float into `null`.
    confidence: Option<f64>,
    end: usize,
    entity_type: &'a str,
    start: usize,
    value_digest: &'a str,
}

impl Receipt {
    /// The receipt as a JSON value (serde field order; absent optionals omitted).
    #[cfg(test)]
    fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    fn canonical_with(&self, hash: Option<&str>) -> String {
        let a = &self.action;
        let c = CanonicalReceipt {
            action: CanonicalAction {
                args: &a.args,
                command: &a.command,
                resource: &a.resource,
                sensitive: a.sensitive,
                tool: &a.tool,
                action_type: &a.action_type,
            },
            action_hash: &self.action_hash,
            actor_id: &self.actor_id,
            chain_id: &self.chain_id,
            decision: self.decision,
            finding_counts: &self.finding_counts,
            findings: self
                .findings
                .iter()
                .map(|f| CanonicalFinding {
                    confidence: f.confidence.is_finite().then_some(f.confidence),
                    end: f.end,
                    entity_type: &f.entity_type,
                    start: f.start,
                    value_digest: &f.value_digest,
                })
                .collect(),
            hash,
            idempotency_key_digest: &self.idempotency_key_digest,
            input_hash: &self.input_hash,
            matched_rules: &self.matched_rules,
            policy_id: &self.policy_id,
            policy_version: &self.policy_version,
            prev_hash: &self.prev_hash,
            reason: &self.reason,
            receipt_id: &self.receipt_id,
            request_id: &self.request_id,
            sanitized_summary: &self.sanitized_summary,
            session_id: &self.session_id,
            tenant_id: &self.tenant_id,
            timestamp: &self.timestamp,
            trace_id: &self.trace_id,
            transform_plan: &self.transform_plan,
        };
        // Serializing these types cannot fail: string keys only, no maps, floats are finite.
        serde_json::to_string(&c).unwrap_or_default()
    }

    /// SHA-256 hex of the canonical JSON without `hash` (see the module docs).
    pub fn compute_hash(&self) -> String {
        sha256_hex(self.canonical_with(None).as_bytes())
    }

    /// Move the receipt to another chain position and reseal: `prev_hash` and `hash` change,
    /// nothing else. Hosts that decide in parallel seal in file order with this.
    pub fn reseal(&mut self, prev_hash: &str) {
        prev_hash.clone_into(&mut self.prev_hash);
        self.hash = self.compute_hash();
    }

    /// True if `hash` matches the content.
    pub fn is_sealed(&self) -> bool {
        self.hash == self.compute_hash()
    }

    /// The stored JSONL line (without the newline): canonical JSON including `hash`.
    pub fn canonical_json(&self) -> String {
        self.canonical_with(Some(&self.hash))
    }
}

/// [`reseal_line`] into the chain `chain_id` (empty: no `chain_id` member, as
/// [`reseal_line`]): the member is spliced in before `"decision":` (the key after it in the
/// canonical order; in valid JSON those bytes can only be a key, and the action and findings have
/// no such key), then sealed. `None` when the line is not of the expected shape or `chain_id`
/// would need escaping; callers then parse, set [`Receipt::chain_id`] and [`Receipt::reseal`].
pub fn seal_line_in_chain(line: &str, prev_hash: &str, chain_id: &str) -> Option<(String, String)> {
    if chain_id.is_empty() {
        return reseal_line(line, prev_hash);
    }
    const DECISION: &str = ",\"decision\":";
    if !chain_id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
        || line.contains("\"chain_id\":")
    {
        return None;
    }
    let mut at = line.match_indices(DECISION).map(|(at, _)| at);
    let (Some(d), None) = (at.next(), at.next()) else {
        return None;
    };
    let mut spliced = String::with_capacity(line.len() + chain_id.len() + 16);
    for part in [
        line.get(..d)?,
        ",\"chain_id\":\"",
        chain_id,
        "\"",
        line.get(d..)?,
    ] {
        spliced.push_str(part);
    }
    reseal_line(&spliced, prev_hash)
}

/// Seal an *unsealed* receipt line at chain position `prev_hash` without parsing it: `line` is
/// the canonical JSON of a receipt whose `hash` and `prev_hash` are empty (what a guest returns
/// for a decide with an empty `prev-hash`), and the result is exactly what
/// `reseal(prev_hash)` then `canonical_json()` give for that receipt, with the new `hash`.
///
/// The canonical JSON has sorted keys, so `"hash":"",` comes before `"prev_hash":""`, and in
/// valid JSON the bytes `"hash":` can only be a key (a quote inside a string value is escaped):
/// the two are found by search and each must occur exactly once. `None` when the line is not of
/// that shape or `prev_hash` would need escaping; callers then parse and [`Receipt::reseal`].
pub fn reseal_line(line: &str, prev_hash: &str) -> Option<(String, String)> {
    const HASH: &str = "\"hash\":\"\",";
    const PREV: &str = "\"prev_hash\":\"\"";
    let plain =
        |b: u8| (0x20..0x7f).contains(&b) && !matches!(b, b'"' | b'\\' | b'<' | b'>' | b'&');
    if !prev_hash.bytes().all(plain) || !line.starts_with('{') {
        return None;
    }
    let mut hashes = line.match_indices(HASH).map(|(at, _)| at);
    let (Some(h), None) = (hashes.next(), hashes.next()) else {
        return None;
    };
    let mut prevs = line.match_indices(PREV).map(|(at, _)| at);
    let (Some(p), None) = (prevs.next(), prevs.next()) else {
        return None;
    };
    let head = line.get(..h)?;
    let middle = line.get(h + HASH.len()..p)?;
    let tail = line.get(p + PREV.len()..)?;
    let mut hashed = String::with_capacity(line.len() + prev_hash.len());
    for part in [head, middle, "\"prev_hash\":\"", prev_hash, "\"", tail] {
        hashed.push_str(part);
    }
    let hash = sha256_hex(hashed.as_bytes());
    let mut sealed = String::with_capacity(line.len() + prev_hash.len() + hash.len());
    for part in [
        head,
        "\"hash\":\"",
        &hash,
        "\",",
        middle,
        "\"prev_hash\":\"",
        prev_hash,
        "\"",
        tail,
    ] {
        sealed.push_str(part);
    }
    Some((sealed, hash))
}

/// `idempotency_key_digest` of a decide request's idempotency key: the full 64 hex of
/// HMAC-SHA256(key, "datafog-idempotency-v1\0decide\0" + idempotency key). Keyed like
/// `value_digest`, so a receipt does not reveal the key, and the receipt's `input_hash` is the
/// request fingerprint a replay must match.
pub fn idempotency_digest(key: &[u8], idempotency_key: &str) -> String {
    let mut msg = b"datafog-idempotency-v1\0decide\0".to_vec();
    msg.extend_from_slice(idempotency_key.as_bytes());
    keyed_hex(key, &msg)
}

/// `action_hash`: SHA-256 hex of the Go JSON of the action (`type`, `tool`, `resource`,
/// `command`, `args`, `sensitive`; all but `type` omitted when empty).
pub fn action_hash(action: &Action) -> String {
    sha256_hex(gojson::action(action).as_bytes())
}

/// `input_hash`: SHA-256 hex of the Go JSON of the decide request with `idempotency_key`,
/// `request_id`, `trace_id`, `session_id`, `actor_id` and `tenant_id` blanked, i.e.
/// `{"action":...,"text":...,"findings":[...]}` with `text` and `findings` omitted when empty.
/// It is also the decide idempotency fingerprint.
pub fn input_hash(req: &DecideRequest) -> String {
    let mut o = gojson::Obj::new().raw("action", &gojson::action(&req.action));
    o = o.str_omit("text", &req.text);
    if !req.findings.is_empty() {
        o = o.raw("findings", &gojson::findings(&req.findings));
    }
    sha256_hex(o.finish().as_bytes())
}

fn sha256_hex(bytes: &[u8]) -> String {
    crate::transform::token::sha256_hex(bytes)
}

fn hash_value(v: &Value) -> String {
    sha256_hex(canonical(v).as_bytes())
}

/// Canonical JSON text of `v` (see the module docs).
pub fn canonical(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (k, val)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                write_canonical(val, out);
            }
            out.push('}');
        }
    }
}

/// serde_json's string escaping, spelled out so other languages can follow it.
fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A verified chain: how many receipts, and the `hash` of the last one (the `prev_hash` for the
/// next receipt; the starting hash when there were none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainSummary {
    pub count: usize,
    pub last_hash: String,
}

/// The first break in a chain. `line` is 1-based and counts blank lines (which are skipped).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainError {
    pub line: usize,
    pub kind: ChainErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainErrorKind {
    /// Not a JSON object (e.g. a torn last line), or an object with a repeated member name at
    /// any depth (canonical JSON has none; `Value` would keep only the last, so text put in front
    /// of a member would not change the hash).
    Malformed,
    /// A required string member (`hash` or `prev_hash`) is missing or not a string.
    MissingField(&'static str),
    /// `hash` does not match the content: the receipt was altered.
    HashMismatch,
    /// `prev_hash` is not the previous receipt's `hash`: a receipt was removed, reordered or
    /// inserted.
    BrokenLink,
}

impl std::fmt::Display for ChainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.kind)
    }
}

impl std::fmt::Display for ChainErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainErrorKind::Malformed => write!(f, "not a JSON receipt object"),
            ChainErrorKind::MissingField(name) => write!(f, "missing string member `{name}`"),
            ChainErrorKind::HashMismatch => {
                write!(f, "`hash` does not match the receipt content")
            }
            ChainErrorKind::BrokenLink => {
                write!(f, "`prev_hash` is not the `hash` of the previous receipt")
            }
        }
    }
}

impl std::error::Error for ChainError {}

/// Verify a whole receipt log from the genesis hash. See [`verify_chain_from`].
pub fn verify_chain<'a>(lines: impl Iterator<Item = &'a str>) -> Result<ChainSummary, ChainError> {
    verify_chain_from(GENESIS_HASH, lines)
}

/// Verify receipts (one JSON object per line; blank lines skipped) whose first `prev_hash` must be
/// `prev_hash` (use the previous file's `last_hash` to continue across rotated files). Recomputes
/// every `hash`, checks every link, and reports the first break.
pub fn verify_chain_from<'a>(
    prev_hash: &str,
    lines: impl Iterator<Item = &'a str>,
) -> Result<ChainSummary, ChainError> {
    let mut last = prev_hash.to_owned();
    let mut count = 0usize;
    for (i, raw) in lines.enumerate() {
        match verify_line(&last, raw) {
            Ok(Some(hash)) => {
                last = hash;
                count += 1;
            }
            Ok(None) => {}
            Err(kind) => return Err(ChainError { line: i + 1, kind }),
        }
    }
    Ok(ChainSummary {
        count,
        last_hash: last,
    })
}

/// Verify one receipt line against the previous receipt's `hash` (`prev_hash`): `Ok(Some(hash))`
/// is this receipt's hash (the next line's `prev_hash`), `Ok(None)` a blank line (skipped). For
/// readers that walk a chain themselves (a database cursor, a file read in a background job).
pub fn verify_line(prev_hash: &str, raw: &str) -> Result<Option<String>, ChainErrorKind> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let Ok(Value::Object(mut map)) = serde_json::from_str::<Value>(raw) else {
        return Err(ChainErrorKind::Malformed);
    };
    if serde_json::from_str::<UniqueMembers>(raw).is_err() {
        return Err(ChainErrorKind::Malformed);
    }
    let Some(Value::String(hash)) = map.remove("hash") else {
        return Err(ChainErrorKind::MissingField("hash"));
    };
    let Some(Value::String(prev)) = map.get("prev_hash") else {
        return Err(ChainErrorKind::MissingField("prev_hash"));
    };
    let linked = *prev == prev_hash;
    if hash_value(&Value::Object(map)) != hash {
        return Err(ChainErrorKind::HashMismatch);
    }
    if !linked {
        return Err(ChainErrorKind::BrokenLink);
    }
    Ok(Some(hash))
}

/// Any JSON value, refused when an object repeats a member name (issue 14, fuzzing: a receipt
/// line with a member given twice verified, since the hash covers the last of each).
struct UniqueMembers;

impl<'de> Deserialize<'de> for UniqueMembers {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UniqueMembers)
    }
}

impl<'de> serde::de::Visitor<'de> for UniqueMembers {
    type Value = UniqueMembers;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JSON without a repeated member name")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_str<E>(self, _: &str) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_unit<E>(self) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self, A::Error> {
        while seq.next_element::<UniqueMembers>()?.is_some() {}
        Ok(self)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self, A::Error> {
        let mut seen = std::collections::BTreeSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key) {
                return Err(serde::de::Error::custom("repeated member name"));
            }
            map.next_value::<UniqueMembers>()?;
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::EntityType;
    use crate::transform::Mode;

    fn action() -> Action {
        Action {
            action_type: "file.write".into(),
            resource: "notes.txt".into(),
            ..Action::default()
        }
    }

    #[test]
    fn go_action_hash_vector() {
        assert_eq!(
            action_hash(&action()),
            "2ea5f692ef30ad293c8437e5ba95c76fc17587c677374cff746e6d19d7b6fca4"
        );
    }

    #[test]
    fn go_input_hash_vector_ignores_ids() {
        let mut req = DecideRequest {
            action: action(),
            text: "contact jane@example.com".into(),
            ..DecideRequest::default()
        };
        let want = "0a738c38e92801e26e1289b98ef4546235ce5953b2de059d2d23361ee1872aa5";
        assert_eq!(input_hash(&req), want);
        req.request_id = "r".into();
        req.trace_id = "t".into();
        req.tenant_id = "x".into();
        req.actor_id = "a".into();
        req.session_id = "s".into();
        req.idempotency_key = "k".into();
        assert_eq!(input_hash(&req), want);
        req.action.resource = "other.txt".into();
        assert_ne!(input_hash(&req), want);
    }

    fn receipt(n: usize, prev: &str) -> Receipt {
        let text = "mail jane@example.com <b>";
        let f = Finding::new(EntityType::Email, 5, 21, 0.995);
        build(ReceiptInput {
            receipt_id: format!("{n:032x}"),
            timestamp: format!("2026-02-24T00:00:0{n}.123456789Z"),
            request_id: "req".into(),
            trace_id: String::new(),
            tenant_id: String::new(),
            actor_id: String::new(),
            session_id: String::new(),
            policy_id: "p".into(),
            policy_version: "v1".into(),
            action: action(),
            input_hash: "0".repeat(64),
            decision: Decision {
                effect: Effect::Transform,
                matched_rules: vec!["r1".into()],
                plan: vec![TransformStep {
                    entity_type: "email".into(),
                    mode: Mode::Mask,
                }],
                reason: String::new(),
            },
            findings: vec![ReceiptFinding::new(&f, &text[5..21], b"key")],
            prev_hash: prev.into(),
        })
    }

    fn chain(n: usize) -> Vec<String> {
        let mut prev = GENESIS_HASH.to_owned();
        (0..n)
            .map(|i| {
                let r = receipt(i, &prev);
                prev = r.hash.clone();
                r.canonical_json()
            })
            .collect()
    }

    #[test]
    fn receipt_has_no_raw_value_and_is_canonical() {
        let r = receipt(0, GENESIS_HASH);
        let line = r.canonical_json();
        assert!(!line.contains("jane"), "{line}");
        assert!(
            line.starts_with(
                r#"{"action":{"resource":"notes.txt","type":"file.write"},"action_hash":"2ea5f6"#
            ),
            "{line}"
        );
        assert!(line.contains(
            r#""confidence":0.995,"end":21,"entity_type":"email","start":5,"value_digest":""#
        ));
        assert!(
            line.contains(
                r#""sanitized_summary":"[{\"entity_type\":\"email\",\"mode\":\"mask\"}]""#
            )
        );
        assert!(!line.contains("reason"));
        assert_eq!(r.findings[0].value_digest.len(), VALUE_DIGEST_LEN);
        assert!(r.is_sealed());
        // The line parses back to the same receipt.
        let back: Receipt = serde_json::from_str(&line).unwrap();
        assert_eq!(back, r);
        // `hash` covers everything but itself.
        let without: String = {
            let mut v: Value = serde_json::from_str(&line).unwrap();
            v.as_object_mut().unwrap().remove("hash");
            canonical(&v)
        };
        assert_eq!(sha256_hex(without.as_bytes()), r.hash);
    }

    /// The direct writer and the `Value`-based reference agree, on every optional member set
    /// or empty and on strings that need escaping.
    #[test]
    fn direct_canonical_writer_matches_the_value_reference() {
        let reference = |r: &Receipt| canonical(&r.to_value());
        let mut r = receipt(1, GENESIS_HASH);
        assert_eq!(r.canonical_json(), reference(&r));
        r.action.args = vec!["-c".into(), "echo \"hi\"\n\u{1}\u{7f}é😀/".into()];
        r.action.command = "sh".into();
        r.action.tool = "shell\t".into();
        r.action.sensitive = true;
        r.reason = "quote \" backslash \\ \u{8}\u{c}\r".into();
        r.actor_id = "actor\u{1f}".into();
        r.idempotency_key_digest = "ab".repeat(32);
        r.matched_rules = vec![];
        r.findings.push(ReceiptFinding {
            entity_type: "custom:x".into(),
            start: 0,
            end: 1,
            confidence: 1.0,
            value_digest: "0".repeat(16),
        });
        r.findings.push(ReceiptFinding {
            entity_type: "nan".into(),
            start: 2,
            end: 3,
            confidence: f64::NAN,
            value_digest: String::new(),
        });
        r.hash = r.compute_hash();
        assert_eq!(r.canonical_json(), reference(&r));
        let mut without = r.to_value();
        without.as_object_mut().unwrap().remove("hash");
        assert_eq!(r.compute_hash(), hash_value(&without));
        r.transform_plan.clear();
        r.sanitized_summary.clear();
        r.findings.clear();
        r.action = Action::default();
        r.hash = r.compute_hash();
        assert_eq!(r.canonical_json(), reference(&r));
        for i in 0..5 {
            let r = receipt(i, &"f".repeat(64));
            assert_eq!(r.canonical_json(), reference(&r));
        }
    }

    #[test]
    fn chain_verifies_and_continues() {
        let lines = chain(3);
        let s = verify_chain(lines.iter().map(String::as_str)).unwrap();
        assert_eq!(s.count, 3);
        let last: Receipt = serde_json::from_str(&lines[2]).unwrap();
        assert_eq!(s.last_hash, last.hash);
        // Split across two files.
        let first = verify_chain(lines[..2].iter().map(String::as_str)).unwrap();
        let second =
            verify_chain_from(&first.last_hash, lines[2..].iter().map(String::as_str)).unwrap();
        assert_eq!(second.last_hash, s.last_hash);
        assert_eq!(second.count, 1);
        // Empty logs and blank lines.
        assert_eq!(
            verify_chain(std::iter::empty()).unwrap().last_hash,
            GENESIS_HASH
        );
        let with_blank = [lines[0].as_str(), "", "  ", lines[1].as_str()];
        assert_eq!(verify_chain(with_blank.into_iter()).unwrap().count, 2);
    }

    #[test]
    fn seal_in_chain_matches_parse_and_reseal_and_verifies() {
        let mut prev = GENESIS_HASH.to_owned();
        let mut lines = Vec::new();
        for i in 0..3 {
            let mut r = receipt(i, "");
            r.hash = String::new();
            let unsealed = r.canonical_with(Some(""));
            let (line, hash) = seal_line_in_chain(&unsealed, &prev, "replica-a").unwrap();
            // The same bytes as parsing, setting the member and resealing.
            r.chain_id = "replica-a".into();
            r.reseal(&prev);
            assert_eq!(line, r.canonical_json());
            assert_eq!(hash, r.hash);
            let back: Receipt = serde_json::from_str(&line).unwrap();
            assert_eq!(back.chain_id, "replica-a");
            prev = hash;
            lines.push(line);
        }
        assert_eq!(
            verify_chain(lines.iter().map(String::as_str))
                .unwrap()
                .count,
            3
        );
        // Changing the chain a receipt names breaks its hash.
        let moved = lines[1].replace("replica-a", "replica-b");
        let e = verify_chain([lines[0].as_str(), moved.as_str()].into_iter()).unwrap_err();
        assert_eq!(e.kind, ChainErrorKind::HashMismatch);
        // An id that would need escaping, or a line that names a chain already: the parse path.
        let unsealed = receipt(0, "").canonical_with(Some(""));
        assert!(seal_line_in_chain(&unsealed, GENESIS_HASH, "a\"b").is_none());
        assert!(seal_line_in_chain(&lines[0], GENESIS_HASH, "x").is_none());
        // No chain id: exactly `reseal_line`.
        assert_eq!(
            seal_line_in_chain(&unsealed, GENESIS_HASH, ""),
            reseal_line(&unsealed, GENESIS_HASH)
        );
    }

    #[test]
    fn chain_reports_first_break() {
        let lines = chain(3);
        let tampered: Vec<String> = lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                if i == 1 {
                    l.replace("\"transform\"", "\"allow\"")
                } else {
                    l.clone()
                }
            })
            .collect();
        let e = verify_chain(tampered.iter().map(String::as_str)).unwrap_err();
        assert_eq!(
            e,
            ChainError {
                line: 2,
                kind: ChainErrorKind::HashMismatch
            }
        );
        let dropped = [lines[0].as_str(), lines[2].as_str()];
        let e = verify_chain(dropped.into_iter()).unwrap_err();
        assert_eq!(
            e,
            ChainError {
                line: 2,
                kind: ChainErrorKind::BrokenLink
            }
        );
        let torn = [lines[0].as_str(), &lines[1][..40]];
        let e = verify_chain(torn.into_iter()).unwrap_err();
        assert_eq!(
            e,
            ChainError {
                line: 2,
                kind: ChainErrorKind::Malformed
            }
        );
        let e = verify_chain(["{}"].into_iter()).unwrap_err();
        assert_eq!(e.kind, ChainErrorKind::MissingField("hash"));
        assert_eq!(e.to_string(), "line 1: missing string member `hash`");
        let e = verify_chain_from("x", lines[..1].iter().map(String::as_str)).unwrap_err();
        assert_eq!(e.kind, ChainErrorKind::BrokenLink);
    }

    #[test]
    fn confidences_are_canonicalised() {
        assert_eq!(canonical_confidence(0.7999999999999999), 0.8);
        assert_eq!(canonical_confidence(f64::NAN), 0.0);
        assert_eq!(canonical_confidence(7.0), 1.0);
        assert_eq!(canonical_confidence(-1.0), 0.0);
        assert_eq!(canonical_confidence(0.12345), 0.1235);
        assert_eq!(
            canonical(&serde_json::json!({"b": 1.0, "a": [0.0001, "<\u{1}é>"]})),
            r#"{"a":[0.0001,"<\u0001é>"],"b":1.0}"#
        );
    }
}
