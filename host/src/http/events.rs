//! The decision-event NDJSON file (`DATAFOG_EVENTS_PATH`) and `GET /v1/events` (the query and the
//! list are the core's: `datafog::api::lists`). With the PostgreSQL store, events are rows of the
//! database, committed with their receipts (`crate::pg`), and the file is not used.

use std::path::PathBuf;
use std::sync::Mutex;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::routing::{MethodFilter, on};
use datafog::api::lists::{EventsPage, EventsQuery};
use datafog::api::{self, ApiError};

use super::{HttpError, HttpResult, Shared, get, json_response};

pub fn router() -> Router<Shared> {
    Router::new().route("/v1/events", get(on(MethodFilter::GET, list)))
}

/// The events file: read by `/v1/events`, appended to once per decision.
#[derive(Debug)]
pub struct Events {
    pub path: PathBuf,
    file: Mutex<std::fs::File>,
}

impl Events {
    /// Open for append (mode 0600, directory 0750; a new file or directory is synced into its
    /// parent).
    pub fn open(path: PathBuf) -> std::io::Result<Events> {
        let file =
            crate::receipts::open_durably(&path, 0o600, std::fs::OpenOptions::new().append(true))?;
        Ok(Events {
            path,
            file: Mutex::new(file),
        })
    }

    /// Append one event line (the core built it: no text, no finding values). Best effort: a
    /// failed write is logged (the receipt, which is the record, is already durable).
    pub fn append(&self, line: &str) {
        use std::io::Write;
        if line.is_empty() {
            return;
        }
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        let written = self
            .file
            .lock()
            .map_err(|_| std::io::Error::other("events file lock poisoned"))
            .and_then(|mut f| f.write_all(&bytes));
        if let Err(e) = written {
            tracing::error!("write event to {}: {e}", self.path.display());
        }
    }
}

/// `GET /v1/events` (see `datafog::api::lists` for the filters). No events file:
/// `{"events":[],"total":0}`.
async fn list(State(s): State<Shared>, RawQuery(q): RawQuery) -> HttpResult {
    let query = EventsQuery::from_query(q.as_deref().unwrap_or(""))?;
    if let Some(pg) = s.receipts.pg() {
        // The database keeps every decision's event, committed with its receipt.
        let mut page = EventsPage::new(query);
        pg.for_each_event(|line| {
            page.offer(line);
            true
        })
        .await
        .map_err(|e| HttpError::from(ApiError::store_unavailable(e)))?;
        return Ok(json_response(&page.finish()));
    }
    let Some(events) = &s.events else {
        return Ok(json_response(&EventsPage::new(query).finish()));
    };
    let path = events.path.clone();
    let out = tokio::task::spawn_blocking(move || -> std::io::Result<api::EventsResponse> {
        use std::io::BufRead;
        let mut page = EventsPage::new(query);
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(page.finish()),
            Err(e) => return Err(e),
        };
        for line in std::io::BufReader::new(file).lines() {
            page.offer(&line?);
        }
        Ok(page.finish())
    })
    .await
    .map_err(|_| HttpError::from(ApiError::internal()))?
    .map_err(|e| HttpError::from(ApiError::events_read(e.to_string())))?;
    Ok(json_response(&out))
}
