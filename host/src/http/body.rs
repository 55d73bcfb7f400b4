//! Request bodies: Go's order, content type (415) → body limit (413) → JSON (400), and the
//! server-wide body budget ([`BodyBudget`], 503 `server_busy`).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Body;
use axum::http::{HeaderMap, header};
use datafog::api::{self, ApiError};

use super::HttpError;

/// The request-body bytes the server holds at once, every connection together
/// (`DATAFOG_MAX_INFLIGHT_BODY_MB`). A body takes its bytes as they arrive and keeps them until
/// its request is answered ([`Held`]); a body that does not fit is answered 503 `server_busy` at
/// once (waiting would let slow bodies hold the budget against each other). With the connection
/// limit this bounds what a flood of unfinished bodies can hold.
#[derive(Debug)]
pub struct BodyBudget {
    free: Arc<tokio::sync::Semaphore>,
    total: usize,
    /// The most bytes held at once since the last [`BodyBudget::take_peak`].
    peak: AtomicUsize,
}

/// Bytes of the budget held by one request; returned when dropped.
#[derive(Debug)]
pub struct Held(Option<tokio::sync::OwnedSemaphorePermit>);

impl BodyBudget {
    pub fn new(bytes: usize) -> BodyBudget {
        let total = bytes.clamp(1, tokio::sync::Semaphore::MAX_PERMITS);
        BodyBudget {
            free: Arc::new(tokio::sync::Semaphore::new(total)),
            total,
            peak: AtomicUsize::new(0),
        }
    }

    /// Bytes held now.
    pub fn held(&self) -> usize {
        self.total - self.free.available_permits()
    }

    /// The peak since the last call, and reset it to what is held now.
    pub fn take_peak(&self) -> usize {
        self.peak.swap(self.held(), Ordering::Relaxed)
    }

    /// Take `n` more bytes into `held`, or `server_busy`.
    fn take(&self, held: &mut Held, n: usize) -> Result<(), HttpError> {
        let Ok(n32) = u32::try_from(n) else {
            return Err(busy());
        };
        if n32 == 0 {
            return Ok(());
        }
        let more = self
            .free
            .clone()
            .try_acquire_many_owned(n32)
            .map_err(|_| busy())?;
        match &mut held.0 {
            Some(p) => p.merge(more),
            None => held.0 = Some(more),
        }
        self.peak.fetch_max(self.held(), Ordering::Relaxed);
        Ok(())
    }
}

fn busy() -> HttpError {
    HttpError::from(ApiError::server_busy())
}

/// The body decoded as `T` by the core's decoder (`datafog::api::parse_json`), and the budget it
/// holds: keep [`Held`] until the request is answered.
pub async fn read_json<T: serde::de::DeserializeOwned>(
    budget: &BodyBudget,
    headers: &HeaderMap,
    body: Body,
) -> Result<(T, Held), HttpError> {
    api::http::check_content_type(
        headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
    )?;
    let mut held = Held(None);
    let bytes = read_body(body, api::MAX_BODY_BYTES, budget, &mut held).await?;
    let value = api::parse_json(&bytes).map_err(HttpError::from)?;
    Ok((value, held))
}

/// The body, at most `limit` bytes: past it 413 `request_too_large`; a body that cannot be read
/// (the client went away, the read timeout closed the connection) is Go's 400 `invalid_request`
/// `invalid JSON body` (its decoder fails on the read; details name the failure, never data).
async fn read_body(
    mut body: Body,
    limit: usize,
    budget: &BodyBudget,
    held: &mut Held,
) -> Result<Vec<u8>, HttpError> {
    use hyper::body::Body as _;
    let too_large = || HttpError::from(ApiError::request_too_large());
    let announced = usize::try_from(body.size_hint().lower()).unwrap_or(usize::MAX);
    if announced > limit {
        return Err(too_large());
    }
    // A declared length is taken up front (so the buffer can be made once).
    budget.take(held, announced)?;
    let mut out = Vec::with_capacity(announced);
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
            let len = out.len().saturating_add(data.len());
            if len > limit {
                return Err(too_large());
            }
            budget.take(held, len.saturating_sub(announced.max(out.len())))?;
            out.extend_from_slice(&data);
        }
    }
    Ok(out)
}
