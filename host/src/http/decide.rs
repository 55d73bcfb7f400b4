//! `POST /v1/decide`: one guest call into the core's `decide` (`decide-request`), which returns
//! the response, the receipt (unsealed) and the decision's event line. The host then seals the
//! receipt into the chain natively (`crate::native::seal`, under the chain head's lock: one
//! SHA-256), waits until the writer has it on disk (group commit), appends the event line, and
//! answers. A 200 means the receipt is durable.

use axum::Router;
use axum::body::Body;
use axum::extract::{Extension, RawQuery, State};
use axum::http::HeaderMap;
use axum::routing::{MethodFilter, on};
use datafog::api::{self, ApiError, DecideContext, DecideRequest};
use datafog_embed::Decided;

use super::body::read_json;
use super::middleware::{TraceContext, adopt_trace_id};
use super::{
    AppState, HttpError, HttpResult, Shared, idempotent_or_restore, in_guest, json_bytes,
    now_rfc3339_nanos, post, random_hex16, to_json,
};
use crate::idempotency::Endpoint;
use crate::native;
use crate::pg::{Claim, Claimed, Done, Extra};
use crate::receipts::{AppendError, Sealed};

pub fn router() -> Router<Shared> {
    Router::new().route("/v1/decide", post(on(MethodFilter::POST, decide)))
}

async fn decide(
    State(s): State<Shared>,
    RawQuery(q): RawQuery,
    trace: Option<Extension<TraceContext>>,
    headers: HeaderMap,
    body: Body,
) -> HttpResult {
    let dry_run = api::decide_dry_run(q.as_deref().unwrap_or(""))?;
    let (mut req, _held): (DecideRequest, _) = read_json(&s.body_budget, &headers, body).await?;
    adopt_trace_id(&mut req.trace_id, trace.as_deref());
    if dry_run {
        // A decision and nothing else: no receipt, no event, no idempotency entry, no metrics.
        return to_json(&dry_decide(&s, req).await?).map(json_bytes);
    }
    // Fail closed before the disk is full (`crate::disk`): no decision without room for its
    // receipt. Checked before the idempotency cache: a replay needs no new receipt, but a refusal
    // is cheap to retry and never answers a decision that was not made.
    if s.disk.is_below() {
        s.disk
            .refused
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        return Err(ApiError::insufficient_storage().into());
    }
    if req.idempotency_key.is_empty() {
        // Validated, hashed and decided once, in the guest.
        return work(&s, req, String::new(), None).await.map(json_bytes);
    }
    // Go validates before the idempotency check: an invalid request is never replayed.
    api::validate_decide(&req)?;
    let key = req.idempotency_key.clone();
    // The fingerprint is the request's `input_hash`: the guest gets it instead of hashing again.
    let fp = native::fingerprint_decide(&req);
    if s.receipts.pg().is_some() {
        return decide_claimed(&s, req, &key, fp).await;
    }
    let replay = req.clone();
    let restore = || restore(&s, &replay);
    let work = work(&s, req, fp.clone(), None);
    idempotent_or_restore(&s, Endpoint::Decide, &key, fp, restore, work).await
}

/// A keyed decide with the PostgreSQL store: this process's cache first (one request per key at a
/// time here, as with the file store), then the key's record in the database (`crate::pg`): the
/// first claimer across the fleet decides, and its answer commits with its receipt; the others
/// replay it (or get 409 for another payload).
async fn decide_claimed(s: &Shared, req: DecideRequest, key: &str, fp: String) -> HttpResult {
    let Some(pg) = s.receipts.pg() else {
        return Err(ApiError::internal().into());
    };
    let slot = s.idempotency.slot(Endpoint::Decide, key);
    let mut stored = slot.lock().await;
    if let Some((f, body)) = stored.as_ref() {
        return if *f == fp {
            Ok(json_bytes(body.to_vec()))
        } else {
            Err(ApiError::idempotency_conflict().into())
        };
    }
    let digest = native::idempotency_digest(&s.key, key);
    let claim = pg
        .claim(CLAIM_ENDPOINT, &digest, &fp, s.guest_wait)
        .await
        .map_err(|e| HttpError::from(ApiError::store_unavailable(e)))?;
    let body = match claim {
        Claim::Conflict => return Err(ApiError::idempotency_conflict().into()),
        Claim::Done { receipt_id } => replay_from(pg, &receipt_id, &req).await?,
        Claim::Mine(claimed) => match work(s, req, fp.clone(), Some(claimed.clone())).await {
            Ok(body) => body,
            Err(e) => {
                // Not committed (or not known to be): a retry may claim the key again at once
                // (a record the batch did complete is `done` and stays).
                pg.release(&claimed).await;
                return Err(e);
            }
        },
    };
    if s.idempotency
        .admit(Endpoint::Decide, key, &slot, body.len())
    {
        *stored = Some((fp, body.clone().into()));
    }
    Ok(json_bytes(body))
}

/// The answer to a decided key, rebuilt from its receipt and the retried request
/// (`native::replay_decide`; the request's text gives the finding values back).
async fn replay_from(
    pg: &crate::pg::PgStore,
    receipt_id: &str,
    req: &DecideRequest,
) -> Result<Vec<u8>, HttpError> {
    let line = pg
        .get(receipt_id)
        .await
        .map_err(|e| HttpError::from(ApiError::store_unavailable(e)))?
        .ok_or_else(|| {
            HttpError::from(ApiError::store_unavailable(
                "the receipt of a decided idempotency key is missing",
            ))
        })?;
    let receipt = serde_json::from_str::<datafog::receipt::Receipt>(&line).map_err(|_| {
        HttpError::from(ApiError::store_unavailable(
            "the receipt of a decided idempotency key is unreadable",
        ))
    })?;
    to_json(&native::replay_decide(&receipt, req))
}

/// The `endpoint` of decide's idempotency records in the database.
const CLAIM_ENDPOINT: &str = "decide";

/// A decide key this process has not seen may be in the receipts file from before a restart
/// (`idempotency_key_digest`, indexed at start-up; see `receipts`): the replay is rebuilt from
/// that receipt (`native::replay_decide`) and its fingerprint is the receipt's `input_hash`. Keys
/// older than the idempotency TTL are not replayed.
fn restore(s: &AppState, req: &DecideRequest) -> Result<Option<(String, Vec<u8>)>, HttpError> {
    let Some(file) = s.receipts.file() else {
        return Ok(None);
    };
    let digest = native::idempotency_digest(&s.key, &req.idempotency_key);
    let line = file.get_by_idempotency(&digest).map_err(|e| {
        HttpError::from(
            ApiError::new(api::ErrorCode::ReceiptError, "unable to read receipt")
                .with_details(e.to_string()),
        )
    })?;
    let Some(line) = line else {
        return Ok(None);
    };
    let Ok(receipt) = serde_json::from_str::<datafog::receipt::Receipt>(&line) else {
        return Ok(None);
    };
    let fresh = time::OffsetDateTime::parse(
        &receipt.timestamp,
        &time::format_description::well_known::Rfc3339,
    )
    .is_ok_and(|t| {
        time::OffsetDateTime::now_utc() - t
            < time::Duration::try_from(crate::idempotency::TTL).unwrap_or(time::Duration::ZERO)
    });
    if !fresh {
        return Ok(None);
    }
    let body = to_json(&native::replay_decide(&receipt, req))?;
    Ok(Some((receipt.input_hash, body)))
}

/// `/v1/decide?dry_run=true`: the guest decides as for any request (the receipt it builds is
/// dropped); `receipt_id` is empty.
pub(super) async fn dry_decide(
    s: &Shared,
    req: DecideRequest,
) -> Result<api::DecideResponse, HttpError> {
    let token_key = s.key.clone();
    let size = request_size(&req);
    let Decided { mut response, .. } = in_guest(s, size, move |i| {
        let ctx = DecideContext {
            receipt_id: "0".repeat(32),
            timestamp: now_rfc3339_nanos(),
            prev_hash: String::new(),
            key: &token_key,
            input_hash: String::new(),
        };
        i.guest.decide_request(i.policy, req, ctx)
    })
    .await?;
    response.receipt_id = String::new();
    Ok(response)
}

fn request_size(req: &DecideRequest) -> usize {
    req.text.len()
        + req.action.command.len()
        + req.action.args.iter().map(String::len).sum::<usize>()
}

/// Decide `req`; `input_hash`: its `input_hash` if already computed (else empty); `claim`: the
/// database idempotency record the answer completes.
async fn work(
    s: &Shared,
    req: DecideRequest,
    input_hash: String,
    claim: Option<Claimed>,
) -> Result<Vec<u8>, HttpError> {
    to_json(&decide_once(s, req, input_hash, claim).await?)
}

/// Decide `req` with a durable receipt (what `/v1/decide` and demo mode do). With the PostgreSQL
/// store the receipt names this replica's chain, and the event and `claim`'s answer commit with
/// it.
pub(super) async fn decide_once(
    s: &Shared,
    req: DecideRequest,
    input_hash: String,
    claim: Option<Claimed>,
) -> Result<api::DecideResponse, HttpError> {
    // A receipt id is 32 hex from the system's randomness, or the decision fails (500).
    let receipt_id = random_hex16().map_err(|e| {
        tracing::error!("decide refused: {e}");
        HttpError::from(ApiError::internal())
    })?;
    let timestamp = now_rfc3339_nanos();
    let token_key = s.key.clone();
    let idempotency_key = req.idempotency_key.clone();
    let size = request_size(&req);
    // Decide in the guest, in parallel with other requests: the receipt comes back unsealed
    // (empty `prev_hash`).
    let Decided {
        response,
        receipt,
        event,
    } = in_guest(s, size, move |i| {
        let ctx = DecideContext {
            receipt_id,
            timestamp,
            prev_hash: String::new(),
            key: &token_key,
            input_hash,
        };
        i.guest.decide_request(i.policy, req, ctx)
    })
    .await?;
    // Link it into the chain under the head's lock and queue it for the writer (see `receipts`).
    // Inline: sealing is one SHA-256, and queueing never blocks.
    let pg = s.receipts.pg();
    let extra = match pg {
        None => Extra::default(),
        Some(_) => Extra {
            event: event.clone(),
            done: claim.map(|claim| Done {
                receipt_id: response.receipt_id.clone(),
                claim,
            }),
        },
    };
    let chain_id = pg.map_or("", |p| p.chain_id());
    let persist = |e: String| -> HttpError {
        match pg {
            Some(_) => ApiError::store_unavailable(e).into(),
            None => ApiError::receipt_persist(e).into(),
        }
    };
    let sealed = s.receipts.append_chained(extra, |prev_hash| {
        let (line, hash) = native::seal_in_chain(&receipt.line, prev_hash, chain_id)?;
        Ok::<_, String>((
            Sealed {
                receipt_id: receipt.receipt_id.clone(),
                hash,
                line,
            },
            (),
        ))
    });
    let ((), ack) = match sealed {
        Ok(v) => v,
        Err(AppendError::Seal(e)) => return Err(ApiError::receipt_persist(e).into()),
        Err(AppendError::Store(e)) => return Err(persist(e)),
    };
    match ack.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(persist(e)),
        Err(_) => return Err(persist("receipt store is closed".to_owned())),
    }
    if !idempotency_key.is_empty()
        && let Some(file) = s.receipts.file()
    {
        // The replay source once the in-memory cache drops this key (see `idempotency`).
        file.remember_idempotency(
            native::idempotency_digest(&s.key, &idempotency_key),
            response.receipt_id.clone(),
        );
    }
    s.metrics.record_decision(response.decision.as_str());
    s.metrics
        .record_found(&response.findings, &response.finding_counts);
    if pg.is_none()
        && let Some(events) = &s.events
    {
        events.append(&event);
    }
    Ok(response)
}
