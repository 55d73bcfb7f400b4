//! Request bodies: Go's order, content type (415) → body limit (413) → JSON (400).

use axum::body::Body;
use axum::http::{HeaderMap, header};
use datafog::api::{self, ApiError};

use super::HttpError;

/// The body decoded as `T` by the core's decoder (`datafog::api::parse_json`).
pub async fn read_json<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: Body,
) -> Result<T, HttpError> {
    api::http::check_content_type(
        headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
    )?;
    let bytes = read_body(body, api::MAX_BODY_BYTES).await?;
    api::parse_json(&bytes).map_err(HttpError::from)
}

/// The body, at most `limit` bytes: past it 413 `request_too_large`; a body that cannot be read
/// (the client went away, the read timeout closed the connection) is Go's 400 `invalid_request`
/// `invalid JSON body` (its decoder fails on the read; details name the failure, never data).
async fn read_body(mut body: Body, limit: usize) -> Result<Vec<u8>, HttpError> {
    use hyper::body::Body as _;
    let too_large = || HttpError::from(ApiError::request_too_large());
    if usize::try_from(body.size_hint().lower()).map_or(true, |n| n > limit) {
        return Err(too_large());
    }
    let mut out = Vec::new();
    while let Some(frame) =
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await
    {
        let frame = frame.map_err(|e| {
            let timed_out =
                std::iter::successors(Some(&e as &(dyn std::error::Error + 'static)), |e| {
                    e.source()
                })
                .any(|e| {
                    e.downcast_ref::<std::io::Error>()
                        .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
                });
            HttpError::from(
                ApiError::new(api::ErrorCode::InvalidRequest, "invalid JSON body").with_details(
                    if timed_out {
                        "read error: i/o timeout"
                    } else {
                        "read error: unexpected EOF"
                    },
                ),
            )
        })?;
        if let Ok(data) = frame.into_data() {
            if out.len().saturating_add(data.len()) > limit {
                return Err(too_large());
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(out)
}
