//! The one store interface the routes use: the receipts file ([`crate::receipts`], the default)
//! or the shared PostgreSQL store ([`crate::pg`], `DATAFOG_STORE_URL`). Appending has one
//! contract for both (seal under the chain head's lock, queue, a [`Durable`] that resolves once
//! committed); reads are async (the file store's run on the blocking pool).
//!
//! What only the file store has: signed checkpoints, rotation, the admin console's backwards scan
//! (`chain_files`); the server refuses those settings with `DATAFOG_STORE_URL` at start.

use std::sync::Arc;

use crate::pg::{Extra, PgStore};
use crate::receipts::{AppendError, Durable, ReceiptStore, Sealed, WriterStats};

#[derive(Debug)]
pub enum Store {
    File(ReceiptStore),
    Pg(PgStore),
}

/// A database read error: `NotConnected`, which the routes answer 503 `store_unavailable`.
pub fn unreachable_db(e: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::NotConnected, e)
}

fn joined(e: tokio::task::JoinError) -> std::io::Error {
    std::io::Error::other(format!("read task failed: {e}"))
}

impl Store {
    pub fn file(&self) -> Option<&ReceiptStore> {
        match self {
            Store::File(f) => Some(f),
            Store::Pg(_) => None,
        }
    }

    pub fn pg(&self) -> Option<&PgStore> {
        match self {
            Store::Pg(p) => Some(p),
            Store::File(_) => None,
        }
    }

    /// The file store, or an error naming what needs it (blocking callers of file-only routes).
    pub fn file_only(&self, what: &str) -> std::io::Result<&ReceiptStore> {
        self.file().ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                format!("{what} needs the receipts file store (not DATAFOG_STORE_URL)"),
            )
        })
    }

    /// The writer's counters (batches, receipts, commit latency).
    pub fn stats(&self) -> &WriterStats {
        match self {
            Store::File(f) => &f.stats,
            Store::Pg(p) => &p.stats,
        }
    }

    /// Seal and queue a receipt (see `crate::receipts` and `crate::pg`). `extra` commits with
    /// it in the database; the file store does not take it (the events file is appended after
    /// the receipt is durable, and idempotency is per process).
    pub fn append_chained<T, E>(
        &self,
        extra: Extra,
        seal: impl FnOnce(&str) -> Result<(Sealed, T), E>,
    ) -> Result<(T, Durable), AppendError<E>> {
        match self {
            Store::File(f) => f.append_chained(seal),
            Store::Pg(p) => p.append_chained(extra, seal),
        }
    }

    /// The stored line of receipt `id`.
    pub async fn get(self: &Arc<Self>, id: String) -> std::io::Result<Option<String>> {
        match &**self {
            Store::File(_) => {
                let st = self.clone();
                tokio::task::spawn_blocking(move || match &*st {
                    Store::File(f) => f.get(&id),
                    Store::Pg(_) => Ok(None),
                })
                .await
                .map_err(joined)?
            }
            Store::Pg(p) => p.get(&id).await.map_err(unreachable_db),
        }
    }

    /// Fold every stored receipt line in order (the file: chain order; the database: commit
    /// order across chains) into `acc`; `f` returns `false` to stop.
    pub async fn fold_lines<S: Send + 'static>(
        self: &Arc<Self>,
        mut acc: S,
        mut f: impl FnMut(&mut S, &str) -> bool + Send + 'static,
    ) -> std::io::Result<S> {
        match &**self {
            Store::File(_) => {
                let st = self.clone();
                tokio::task::spawn_blocking(move || {
                    if let Store::File(file) = &*st {
                        let mut go = true;
                        file.for_each_line(|line| {
                            if go {
                                go = f(&mut acc, line);
                            }
                        })?;
                    }
                    Ok(acc)
                })
                .await
                .map_err(joined)?
            }
            Store::Pg(p) => {
                p.for_each_line(|line| f(&mut acc, line))
                    .await
                    .map_err(unreachable_db)?;
                Ok(acc)
            }
        }
    }

    /// Flush and stop (graceful shutdown).
    pub async fn close(self: &Arc<Self>) {
        match &**self {
            Store::File(_) => {
                let st = self.clone();
                let _ = tokio::task::spawn_blocking(move || {
                    if let Store::File(f) = &*st {
                        f.close();
                    }
                })
                .await;
            }
            Store::Pg(p) => p.close().await,
        }
    }
}
