//! The one error type of the HTTP edge: a documented code, its status, a message and details.
//! A handler returns it; `middleware::guard` renders the envelope with the request id and logs
//! 5xx (code and message only: never a value of the request).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use datafog::api::{ApiError, ErrorBody, ErrorDetail};

use crate::runtime::GuestFailure;

/// Responds with the status and an empty body carrying the error as an extension; `guard`
/// renders the envelope with the request id.
#[derive(Clone, Debug)]
pub struct HttpError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: String,
}

/// Host-side codes (not in the core's contract: they concern this host's sandbox).
pub mod codes {
    /// 500: the guest trapped (the instance was dropped; the server keeps serving).
    pub const GUEST_ERROR: &str = "guest_error";
    /// 503: the guest ran past `DATAFOG_GUEST_TIMEOUT` (message `policy engine timed out`), or
    /// every instance stayed busy for `DATAFOG_WRITE_TIMEOUT` (`policy engine busy`).
    pub const GUEST_TIMEOUT: &str = "guest_timeout";
}

/// A handler's result.
pub type HttpResult = Result<Response, HttpError>;

impl From<ApiError> for HttpError {
    fn from(e: ApiError) -> HttpError {
        HttpError {
            status: StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code: e.code.as_str(),
            message: e.message,
            details: e.details,
        }
    }
}

impl From<GuestFailure> for HttpError {
    fn from(e: GuestFailure) -> HttpError {
        let (status, code, message) = match e {
            GuestFailure::Timeout => (
                StatusCode::SERVICE_UNAVAILABLE,
                codes::GUEST_TIMEOUT,
                "policy engine timed out",
            ),
            GuestFailure::Busy => (
                StatusCode::SERVICE_UNAVAILABLE,
                codes::GUEST_TIMEOUT,
                "policy engine busy",
            ),
            GuestFailure::Trap(_) | GuestFailure::Unavailable(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                codes::GUEST_ERROR,
                "policy engine failed",
            ),
        };
        HttpError {
            status,
            code,
            message: message.to_owned(),
            details: String::new(),
        }
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let mut r = self.status.into_response();
        r.extensions_mut().insert(self);
        r
    }
}

/// The error envelope (`{"error":{code, message, request_id, details}}`).
pub fn envelope(e: &HttpError, request_id: &str) -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code: e.code.to_owned(),
            message: e.message.clone(),
            request_id: request_id.to_owned(),
            details: e.details.clone(),
        },
    };
    let mut r = super::json_response(&body);
    *r.status_mut() = e.status;
    r
}

/// A panicking handler answers Go's 500 `internal_error` (`internal server error`) in the usual
/// envelope (the guard adds the request id) and the server keeps serving. The panic message is
/// not logged: it could quote request data.
pub fn catch_panic()
-> tower_http::catch_panic::CatchPanicLayer<fn(Box<dyn std::any::Any + Send>) -> Response> {
    fn on_panic(_: Box<dyn std::any::Any + Send>) -> Response {
        tracing::error!("a request handler panicked; answered 500 internal_error");
        HttpError::from(ApiError::internal()).into_response()
    }
    tower_http::catch_panic::CatchPanicLayer::custom(on_panic as fn(_) -> _)
}

pub async fn method_must_be_get() -> HttpError {
    ApiError::method_must_be_get().into()
}

pub async fn method_must_be_post() -> HttpError {
    ApiError::method_must_be_post().into()
}

pub async fn not_found() -> HttpError {
    ApiError::endpoint_not_found().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::Body;
    use axum::extract::Request;
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_panicking_handler_answers_internal_error() {
        async fn boom() -> Response {
            std::panic::panic_any("boom")
        }
        // A path variable, not a string literal: tests/integration/openapi.rs reads the routes from
        // these files.
        let path = "/boom";
        let r: Router = Router::new()
            .route(path, axum::routing::get(boom))
            .layer(catch_panic());
        let resp = r
            .oneshot(Request::builder().uri("/boom").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let e = resp.extensions().get::<HttpError>().unwrap();
        assert_eq!(e.code, "internal_error");
        assert_eq!(e.message, "internal server error");
    }
}
