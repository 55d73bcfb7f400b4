//! The error envelope and codes (`docs/openapi.json`, `ErrorBody`). Messages are Go's, word for word; our additions
//! are marked. No message or detail ever carries a request value.

use serde::{Deserialize, Serialize};

use crate::transform::ReconcileError;

/// Every error code of the HTTP API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidRequest,
    Unauthorized,
    NotFound,
    MethodNotAllowed,
    IdempotencyConflict,
    RequestTooLarge,
    UnsupportedMediaType,
    RateLimited,
    EncodeError,
    HashError,
    ReceiptError,
    EventsReadError,
    InternalError,
    SeedError,
    /// Ours: the host's configuration is missing or broken (the Spin app's variables).
    ConfigError,
    /// Ours: auth is off and the request's `Host` is not a loopback or configured name (a
    /// DNS-rebinding page), 403.
    HostNotAllowed,
    /// Ours: the server's request-body budget is spent (too many large bodies in flight), 503
    /// with `Retry-After`.
    ServerBusy,
    /// Ours: the receipts disk is below its free-space floor, so decisions fail closed before the
    /// disk is full, 507.
    InsufficientStorage,
    StoreUnavailable,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 19] = [
        ErrorCode::InvalidRequest,
        ErrorCode::Unauthorized,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::IdempotencyConflict,
        ErrorCode::RequestTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::RateLimited,
        ErrorCode::EncodeError,
        ErrorCode::HashError,
        ErrorCode::ReceiptError,
        ErrorCode::EventsReadError,
        ErrorCode::InternalError,
        ErrorCode::SeedError,
        ErrorCode::ConfigError,
        ErrorCode::HostNotAllowed,
        ErrorCode::ServerBusy,
        ErrorCode::InsufficientStorage,
        ErrorCode::StoreUnavailable,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::IdempotencyConflict => "idempotency_conflict",
            ErrorCode::RequestTooLarge => "request_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::EncodeError => "encode_error",
            ErrorCode::HashError => "hash_error",
            ErrorCode::ReceiptError => "receipt_error",
            ErrorCode::EventsReadError => "events_read_error",
            ErrorCode::InternalError => "internal_error",
            ErrorCode::SeedError => "seed_error",
            ErrorCode::ConfigError => "config_error",
            ErrorCode::HostNotAllowed => "host_not_allowed",
            ErrorCode::ServerBusy => "server_busy",
            ErrorCode::InsufficientStorage => "insufficient_storage",
            ErrorCode::StoreUnavailable => "store_unavailable",
        }
    }

    pub fn parse(s: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The HTTP status the code is sent with.
    pub const fn status(self) -> u16 {
        match self {
            ErrorCode::InvalidRequest => 400,
            ErrorCode::Unauthorized => 401,
            ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::IdempotencyConflict => 409,
            ErrorCode::RequestTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::RateLimited => 429,
            ErrorCode::EncodeError
            | ErrorCode::HashError
            | ErrorCode::ReceiptError
            | ErrorCode::EventsReadError
            | ErrorCode::InternalError
            | ErrorCode::SeedError => 500,
            ErrorCode::HostNotAllowed => 403,
            ErrorCode::ConfigError | ErrorCode::ServerBusy | ErrorCode::StoreUnavailable => 503,
            ErrorCode::InsufficientStorage => 507,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An API error: code, message (Go's text), optional details.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// Empty when there are none (omitted from the envelope).
    pub details: String,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        if !self.details.is_empty() {
            write!(f, " ({})", self.details)?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
            details: String::new(),
        }
    }

    pub fn with_details(mut self, details: impl Into<String>) -> ApiError {
        self.details = details.into();
        self
    }

    pub const fn status(&self) -> u16 {
        self.code.status()
    }

    /// The envelope, with the request id of the request (header or generated).
    pub fn body(&self, request_id: &str) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code.as_str().to_owned(),
                message: self.message.clone(),
                request_id: request_id.to_owned(),
                details: self.details.clone(),
            },
        }
    }

    // --- invalid_request (400) ---

    /// `invalid JSON body`. Details name the error class and position only: serde's messages can
    /// quote the offending input, which may be sensitive (Go's details are its decoder's text).
    pub fn invalid_json(err: &serde_json::Error) -> ApiError {
        use serde_json::error::Category;
        let class = match err.classify() {
            Category::Io => "read error",
            Category::Syntax => "syntax error",
            Category::Data => "wrong type or value",
            Category::Eof => "unexpected end of input",
        };
        ApiError::new(ErrorCode::InvalidRequest, "invalid JSON body").with_details(format!(
            "{class} at line {} column {}",
            err.line(),
            err.column()
        ))
    }

    /// `invalid JSON body` for an empty body (Go: details `EOF`).
    pub fn empty_body() -> ApiError {
        ApiError::new(ErrorCode::InvalidRequest, "invalid JSON body").with_details("EOF")
    }

    pub fn text_required() -> ApiError {
        ApiError::new(ErrorCode::InvalidRequest, "text is required")
    }

    pub fn action_type_required() -> ApiError {
        ApiError::new(ErrorCode::InvalidRequest, "action.type is required")
    }

    pub fn unsupported_transform_mode() -> ApiError {
        ApiError::new(ErrorCode::InvalidRequest, "unsupported transform mode")
    }

    pub fn empty_entity_modes_key() -> ApiError {
        ApiError::new(
            ErrorCode::InvalidRequest,
            "entity_modes keys must not be empty",
        )
    }

    pub fn unable_to_hash_payload() -> ApiError {
        ApiError::new(ErrorCode::InvalidRequest, "unable to hash request payload")
    }

    /// Ours: a list route's query parameter has a value it does not take (`want` says what it
    /// takes; the value itself is never repeated).
    pub fn invalid_query(param: &str, want: impl Into<String>) -> ApiError {
        ApiError::new(
            ErrorCode::InvalidRequest,
            format!("invalid query parameter `{param}`"),
        )
        .with_details(want)
    }

    /// Ours: a query parameter the route does not take. Its name is not repeated (it is the
    /// caller's text); the details list the parameters the route takes.
    pub fn unknown_query_parameter(known: &[&str]) -> ApiError {
        ApiError::new(ErrorCode::InvalidRequest, "unknown query parameter")
            .with_details(format!("this route takes: {}", known.join(", ")))
    }

    /// Ours: a supplied finding's `entity_type` is neither a known type nor one of the policy's
    /// detector names. It is not repeated (it would be stored in the receipt otherwise).
    pub fn unknown_entity_type(index: usize) -> ApiError {
        ApiError::new(ErrorCode::InvalidRequest, "unknown entity type").with_details(format!(
            "findings[{index}].entity_type is neither a known entity type nor a policy detector name"
        ))
    }

    /// Ours: `offset_unit` is not `byte`, `char` or `utf16`.
    pub fn unsupported_offset_unit() -> ApiError {
        ApiError::new(ErrorCode::InvalidRequest, "unsupported offset_unit")
            .with_details("`offset_unit` must be `byte`, `char` or `utf16`")
    }

    /// Ours: a supplied finding does not match the text (details name the finding, not its value).
    pub fn findings_mismatch(err: &ReconcileError) -> ApiError {
        ApiError::new(ErrorCode::InvalidRequest, "findings do not match text")
            .with_details(err.to_string())
    }

    // --- other codes ---

    pub fn unauthorized() -> ApiError {
        ApiError::new(ErrorCode::Unauthorized, "missing or invalid API token")
    }

    pub fn endpoint_not_found() -> ApiError {
        ApiError::new(ErrorCode::NotFound, "endpoint not found")
    }

    pub fn receipt_id_missing() -> ApiError {
        ApiError::new(ErrorCode::NotFound, "receipt id missing")
    }

    pub fn receipt_not_found() -> ApiError {
        ApiError::new(ErrorCode::NotFound, "receipt not found")
    }

    /// Ours: `GET /v1/receipts/checkpoint` before the first checkpoint, with checkpoints off, or
    /// on a host that writes none (the details say which).
    pub fn checkpoint_not_found(details: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::NotFound, "checkpoint not found").with_details(details)
    }

    pub fn method_must_be_get() -> ApiError {
        ApiError::new(ErrorCode::MethodNotAllowed, "method must be GET")
    }

    pub fn method_must_be_post() -> ApiError {
        ApiError::new(ErrorCode::MethodNotAllowed, "method must be POST")
    }

    pub fn idempotency_conflict() -> ApiError {
        ApiError::new(
            ErrorCode::IdempotencyConflict,
            "different request payload for same idempotency_key",
        )
    }

    pub fn request_too_large() -> ApiError {
        ApiError::new(ErrorCode::RequestTooLarge, "request body exceeds limit")
    }

    pub fn unsupported_media_type() -> ApiError {
        ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "content-type must be application/json",
        )
    }

    pub fn rate_limited() -> ApiError {
        ApiError::new(ErrorCode::RateLimited, "request rate limit exceeded")
    }

    pub fn encode_error() -> ApiError {
        ApiError::new(ErrorCode::EncodeError, "unable to encode response")
    }

    pub fn hash_action() -> ApiError {
        ApiError::new(ErrorCode::HashError, "unable to hash action")
    }

    pub fn hash_input() -> ApiError {
        ApiError::new(ErrorCode::HashError, "unable to hash request input")
    }

    /// `details`: the store's error, e.g. `receipt write queue is full`.
    pub fn receipt_persist(details: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::ReceiptError, "unable to persist receipt").with_details(details)
    }

    pub fn events_read(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::EventsReadError, message)
    }

    pub fn internal() -> ApiError {
        ApiError::new(ErrorCode::InternalError, "internal server error")
    }

    /// Ours: the host cannot serve because a setting is missing or broken; `details` names the
    /// setting (never its value: it may be a token or a policy).
    pub fn config(details: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::ConfigError, "server is not configured").with_details(details)
    }

    /// Ours: the `Host` header names neither a loopback address nor a configured host while auth is
    /// off. The message does not repeat the header (it is the caller's text).
    pub fn host_not_allowed() -> ApiError {
        ApiError::new(ErrorCode::HostNotAllowed, "host not allowed").with_details(
            "auth is off, so only loopback hosts and DATAFOG_ALLOWED_HOSTS are served",
        )
    }

    /// Ours: the in-flight request-body budget is spent; the client should retry.
    pub fn server_busy() -> ApiError {
        ApiError::new(ErrorCode::ServerBusy, "server busy, retry later")
    }

    /// Ours: the receipts disk has less free space than its floor (`DATAFOG_MIN_FREE_DISK_MB`):
    /// a decision would risk a receipt it cannot write, so it is refused before the disk is full.
    pub fn insufficient_storage() -> ApiError {
        ApiError::new(
            ErrorCode::InsufficientStorage,
            "receipts disk is below its free-space floor",
        )
        .with_details("decisions are refused until space is freed (DATAFOG_MIN_FREE_DISK_MB)")
    }

    /// Ours: the shared receipts database (`DATAFOG_STORE_URL`) cannot be reached or refused the
    /// commit: nothing was acknowledged, and the request may be retried (`Retry-After`).
    /// `details` says what failed, never a value.
    pub fn store_unavailable(details: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::StoreUnavailable, "receipt store is unavailable")
            .with_details(details)
    }

    pub fn seed(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::SeedError, message)
    }
}

/// `{"error": {...}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// An [`ErrorCode`] name (a string, so clients accept codes they do not know).
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub request_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub details: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_statuses() {
        for c in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(c.as_str()), Some(c));
            assert_eq!(
                serde_json::to_string(&c).unwrap(),
                format!("\"{}\"", c.as_str())
            );
        }
        assert_eq!(ErrorCode::IdempotencyConflict.status(), 409);
        assert_eq!(ErrorCode::UnsupportedMediaType.status(), 415);
        assert_eq!(ErrorCode::SeedError.status(), 500);
    }

    #[test]
    fn envelope_omits_empty_members() {
        let body = ApiError::text_required().body("");
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"error":{"code":"invalid_request","message":"text is required"}}"#
        );
        let body = ApiError::receipt_persist("receipt store is closed").body("req-1");
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"error":{"code":"receipt_error","message":"unable to persist receipt","request_id":"req-1","details":"receipt store is closed"}}"#
        );
    }

    #[test]
    fn invalid_json_details_do_not_quote_input() {
        let err = serde_json::from_str::<Vec<u32>>(r#"["secret-value"]"#).unwrap_err();
        let e = ApiError::invalid_json(&err);
        assert_eq!(e.message, "invalid JSON body");
        assert!(!e.details.contains("secret"), "{}", e.details);
    }
}
