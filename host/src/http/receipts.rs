//! `GET /v1/receipts/{id}` and `GET /v1/receipts` (the query and the list are the core's:
//! `datafog::api::lists`; the lines stream from the receipts file, memory O(`limit`)), the chain
//! export, and `GET /v1/receipts/checkpoint` (the latest signed checkpoint, see
//! `crate::receipts`).

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::response::IntoResponse;
use axum::routing::{MethodFilter, on};
use datafog::api::lists::{ReceiptsPage, ReceiptsQuery};
use datafog::api::{self, ApiError};

use super::{HttpError, HttpResult, Shared, get, json_bytes, json_response};
use crate::store::Store;

pub fn router() -> Router<Shared> {
    Router::new()
        .route("/v1/receipts", get(on(MethodFilter::GET, list)))
        .route("/v1/receipts/", get(on(MethodFilter::GET, id_missing)))
        .route("/v1/receipts/export", get(on(MethodFilter::GET, export)))
        .route(
            "/v1/receipts/checkpoint",
            get(on(MethodFilter::GET, checkpoint)),
        )
        .route("/v1/receipts/{*id}", get(on(MethodFilter::GET, by_id)))
}

fn read_error(what: &str, e: std::io::Error) -> HttpError {
    if e.kind() == std::io::ErrorKind::NotConnected {
        return ApiError::store_unavailable(e.to_string()).into();
    }
    HttpError::from(
        ApiError::new(
            api::ErrorCode::ReceiptError,
            format!("unable to read {what}"),
        )
        .with_details(e.to_string()),
    )
}

async fn id_missing() -> HttpError {
    ApiError::receipt_id_missing().into()
}

async fn by_id(State(s): State<Shared>, id: Result<Path<String>, PathRejection>) -> HttpResult {
    // An id that does not decode (`%FF`: not UTF-8) names no receipt (Go: 404 as well).
    let Ok(Path(id)) = id else {
        return Err(ApiError::receipt_not_found().into());
    };
    if id.is_empty() || id.contains('/') {
        return Err(ApiError::receipt_id_missing().into());
    }
    let line = s
        .receipts
        .get(id)
        .await
        .map_err(|e| read_error("receipt", e))?;
    match line {
        Some(mut line) => {
            line.push('\n');
            Ok(json_bytes(line.into_bytes()))
        }
        None => Err(ApiError::receipt_not_found().into()),
    }
}

/// `GET /v1/receipts` (see `datafog::api::lists` for the filters and the order).
async fn list(State(s): State<Shared>, RawQuery(q): RawQuery) -> HttpResult {
    let query = ReceiptsQuery::from_query(q.as_deref().unwrap_or(""))?;
    let page = s
        .receipts
        .fold_lines(ReceiptsPage::new(query), |page, line| {
            page.offer(line);
            true
        })
        .await
        .map_err(|e| read_error("receipts", e))?;
    Ok(json_bytes(page.finish()))
}

/// `GET /v1/receipts/export`: the chain's complete lines in order, the rotated segments first,
/// as NDJSON (what `datafog-shim receipts verify` reads), streamed in chunks of about
/// [`EXPORT_CHUNK`] bytes, so memory stays bounded however long the chain is. A read error
/// aborts the response (the client sees a broken transfer, never a clean end), and a last line
/// still being written is left out.
///
/// With the PostgreSQL store: this replica's chain, or `?chain_id=ID`'s.
async fn export(State(s): State<Shared>, RawQuery(q): RawQuery) -> HttpResult {
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Vec<u8>>>(2);
    match &*s.receipts {
        Store::File(f) => {
            let files = f.chain_files().map_err(|e| read_error("receipts", e))?;
            tokio::task::spawn_blocking(move || {
                for file in files {
                    if !stream_lines(file, &tx) {
                        break;
                    }
                }
            });
        }
        Store::Pg(p) => {
            let mut chain = p.chain_id().to_owned();
            for (k, v) in api::http::parse_query(q.as_deref().unwrap_or(""))? {
                if k != "chain_id" {
                    return Err(ApiError::unknown_query_parameter(&["chain_id"]).into());
                }
                chain = v;
            }
            let st = s.clone();
            tokio::spawn(async move {
                if let Some(p) = st.receipts.pg() {
                    p.export_chain(&chain, &tx).await;
                }
            });
        }
    }
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static(api::http::NDJSON),
        )],
        axum::body::Body::from_stream(Chunks(rx)),
    )
        .into_response())
}

/// Bytes per export chunk, at most (a longer line is sent whole).
pub const EXPORT_CHUNK: usize = 256 << 10;

/// Send `file`'s complete lines to `tx` in chunks; `false` after an error (sent) or when the
/// client is gone.
fn stream_lines(
    mut file: impl std::io::Read,
    tx: &tokio::sync::mpsc::Sender<std::io::Result<Vec<u8>>>,
) -> bool {
    // Bytes read but not yet sent: everything after the last newline seen.
    let mut pending: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; EXPORT_CHUNK];
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => return true,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
                return false;
            }
        };
        pending.extend_from_slice(buf.get(..n).unwrap_or_default());
        // (A line longer than a chunk is held until its newline: memory is one line at most.)
        let Some(last_nl) = pending.iter().rposition(|&b| b == b'\n') else {
            continue;
        };
        let rest = pending.split_off(last_nl + 1);
        let chunk = std::mem::replace(&mut pending, rest);
        if tx.blocking_send(Ok(chunk)).is_err() {
            return false;
        }
    }
}

/// The export's chunks as the `Stream` `Body::from_stream` takes.
struct Chunks(tokio::sync::mpsc::Receiver<std::io::Result<Vec<u8>>>);

impl futures_core::Stream for Chunks {
    type Item = std::io::Result<Vec<u8>>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}

/// `GET /v1/receipts/checkpoint`: the latest signed checkpoint (what an external party keeps to
/// detect a receipts file cut short or rewritten later); 404 `not_found` before the first one.
async fn checkpoint(State(s): State<Shared>) -> HttpResult {
    let Some(f) = s.receipts.file() else {
        return Err(ApiError::checkpoint_not_found(
            "checkpoints are kept for the receipts file only, not with DATAFOG_STORE_URL",
        )
        .into());
    };
    match (f.checkpoint(), f.checkpoint_key()) {
        (Some(cp), _) => Ok(json_response(&cp)),
        (None, Some(_)) => Err(ApiError::checkpoint_not_found(
            "no checkpoint yet: one is written every DATAFOG_CHECKPOINT_EVERY receipts and at shutdown",
        )
        .into()),
        (None, None) => Err(ApiError::checkpoint_not_found(
            "checkpoints are off (DATAFOG_CHECKPOINT_EVERY=0)",
        )
        .into()),
    }
}
