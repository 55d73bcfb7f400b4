//! The HTTP contract (`docs/openapi.json`; differences from Go in `docs/divergences-from-go.md`): request/response types, validation with Go's messages and
//! order, error codes, idempotency fingerprints, and pure handlers. Shared by the native host and
//! the Spin app so no front-end re-implements any of it: a host decodes with [`parse_json`], calls
//! `validate_*`, checks its idempotency cache with `fingerprint_*`, then calls a `handle_*` function
//! (or [`decide`]) and persists the returned receipt.

pub mod bounds;
pub mod console;
pub mod demo;
pub mod error;
pub mod handlers;
pub mod http;
pub mod lists;
pub mod types;

use serde::de::DeserializeOwned;

use crate::detect::OffsetUnit;
use crate::receipt::gojson;
use crate::transform::Mode;
use crate::transform::token::sha256_hex;

pub use error::{ApiError, ErrorBody, ErrorCode, ErrorDetail};
pub use handlers::{
    DecideContext, decide, decision_event, handle_anonymize, handle_health, handle_policy_version,
    handle_scan, handle_transform, redact_text, replay_decide, scan_findings,
};
pub use types::{
    AnonymizeRequest, DecideRequest, DecideResponse, DecisionEvent, EventsResponse, HealthResponse,
    PolicyVersionResponse, ReceiptsListResponse, ScanFinding, ScanRequest, ScanResponse,
    TransformRequest, TransformResponse,
};

/// Maximum request body (1 MiB), enforced by the host before decoding.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// Decode a request body like Go's decoder: the first JSON value is read and anything after it is
/// ignored; unknown fields are ignored. Errors are `invalid JSON body` (400).
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    match serde_json::Deserializer::from_slice(body)
        .into_iter::<T>()
        .next()
    {
        Some(Ok(v)) => Ok(v),
        Some(Err(e)) => Err(ApiError::invalid_json(&e)),
        None => Err(ApiError::empty_body()),
    }
}

/// `/v1/scan`: `text is required`; then (ours) `offset_unit` must be known. Returns the unit.
pub fn validate_scan(req: &ScanRequest) -> Result<OffsetUnit, ApiError> {
    if req.text.is_empty() {
        return Err(ApiError::text_required());
    }
    OffsetUnit::parse(&req.offset_unit).ok_or_else(ApiError::unsupported_offset_unit)
}

/// `/v1/decide`: `action.type is required`.
pub fn validate_decide(req: &DecideRequest) -> Result<(), ApiError> {
    if req.action.action_type.is_empty() {
        return Err(ApiError::action_type_required());
    }
    Ok(())
}

/// `/v1/decide`'s query: `dry_run=true` (or `1`; exact, lower case) asks for the decision without a receipt (the
/// host writes nothing: no receipt, no event, no idempotency entry; `receipt_id` is empty).
/// `false`/`0` or no `dry_run` is a normal decision. Other parameters are ignored, as Go ignored
/// every query parameter of this route.
pub fn decide_dry_run(query: &str) -> Result<bool, ApiError> {
    let mut dry = None;
    for (k, v) in http::parse_query(query)? {
        if k != "dry_run" {
            continue;
        }
        if dry.is_some() {
            return Err(ApiError::invalid_query("dry_run", "given more than once"));
        }
        dry = Some(match v.as_str() {
            "true" | "1" => true,
            "false" | "0" => false,
            _ => return Err(ApiError::invalid_query("dry_run", "want true or false")),
        });
    }
    Ok(dry.unwrap_or(false))
}

/// `/v1/transform`, normalising in place (Go normalises before fingerprinting): `text is
/// required`; `mode` trimmed and lower-cased, and if non-empty must be one of the six modes
/// (`unsupported transform mode`); then each `entity_modes` entry in key order: the key is
/// trimmed and must not be empty (`entity_modes keys must not be empty`), the value is normalised
/// and checked like `mode`.
pub fn validate_transform(req: &mut TransformRequest) -> Result<(), ApiError> {
    if req.text.is_empty() {
        return Err(ApiError::text_required());
    }
    req.mode = req.mode.trim().to_ascii_lowercase();
    if !req.mode.is_empty() && Mode::parse(&req.mode).is_none() {
        return Err(ApiError::unsupported_transform_mode());
    }
    let mut normalised = std::collections::BTreeMap::new();
    for (k, v) in std::mem::take(&mut req.entity_modes) {
        let k = k.trim().to_owned();
        if k.is_empty() {
            return Err(ApiError::empty_entity_modes_key());
        }
        let mode = Mode::parse_lenient(&v).ok_or_else(ApiError::unsupported_transform_mode)?;
        normalised.insert(k, mode.as_str().to_owned());
    }
    req.entity_modes = normalised;
    Ok(())
}

/// `/v1/anonymize`: `text is required`.
pub fn validate_anonymize(req: &AnonymizeRequest) -> Result<(), ApiError> {
    if req.text.is_empty() {
        return Err(ApiError::text_required());
    }
    Ok(())
}

// Fingerprints: SHA-256 hex of the Go JSON of the request with `idempotency_key`, `request_id`
// and `trace_id` blanked (and `tenant_id`, `actor_id`, `session_id` for decide). Blank fields are
// `omitempty` in Go, so they simply do not appear. Field orders follow the Go structs as the
// reference documents them; byte parity with Go is only certain for decide (whose vector is
// known), semantic equality holds for all.

/// Idempotency fingerprint of a scan request. `offset_unit` (ours) counts only when set.
pub fn fingerprint_scan(req: &ScanRequest) -> String {
    let mut o = gojson::Obj::new().str_omit("text", &req.text);
    if !req.entity_types.is_empty() {
        o = o.raw("entity_types", &gojson::string_array(&req.entity_types));
    }
    o = o.str_omit("offset_unit", &req.offset_unit);
    sha256_hex(o.finish().as_bytes())
}

/// Idempotency fingerprint of a decide request: the same value as its `input_hash`.
pub fn fingerprint_decide(req: &DecideRequest) -> String {
    crate::receipt::input_hash(req)
}

/// Idempotency fingerprint of a transform request (call after [`validate_transform`]).
pub fn fingerprint_transform(req: &TransformRequest) -> String {
    let mut o = gojson::Obj::new().str_omit("text", &req.text);
    if !req.findings.is_empty() {
        o = o.raw("findings", &gojson::findings(&req.findings));
    }
    o = o.str_omit("mode", &req.mode);
    if !req.entity_modes.is_empty() {
        let mut m = gojson::Obj::new();
        for (k, v) in &req.entity_modes {
            m = m.str(k, v);
        }
        o = o.raw("entity_modes", &m.finish());
    }
    sha256_hex(o.finish().as_bytes())
}

/// Idempotency fingerprint of an anonymize request.
pub fn fingerprint_anonymize(req: &AnonymizeRequest) -> String {
    let mut o = gojson::Obj::new().str_omit("text", &req.text);
    if !req.findings.is_empty() {
        o = o.raw("findings", &gojson::findings(&req.findings));
    }
    sha256_hex(o.finish().as_bytes())
}

#[cfg(test)]
mod tests;
