//! The receipts file: append-only JSONL, one canonical receipt per line, hash-chained.
//!
//! # Durability: one writer, group commit
//! A single writer thread owns the file. Requests hand it a sealed line over a bounded channel and
//! wait on a oneshot; the writer takes everything queued (up to [`MAX_BATCH`]), writes the lines
//! with one `write_all`, calls `File::sync_data`, and only then answers every waiter in the batch.
//! So a 200 from `/v1/decide` means the receipt is on disk, and while one fsync runs the next batch
//! queues up (throughput grows with concurrency, latency stays about one fsync).
//!
//! # The chain under concurrency
//! A receipt's `prev_hash` is the `hash` of the receipt before it *in the file*. The chain head
//! lives in [`ReceiptStore::append_chained`]'s mutex: the caller's closure seals the receipt with
//! the current head (natively: `Receipt::reseal`, one SHA-256; the guest built the receipt before,
//! in parallel), the sealed line is queued to the writer *while the mutex is held*, and the head
//! advances to the new hash. Queue order is therefore chain order, and the writer writes in queue
//! order. Sealing is serialised across requests; the guest call and the fsync are not.
//!
//! # A failed write (a full disk, an I/O error)
//! If a write or fsync fails, the lines of that batch may or may not be on disk, and the in-memory
//! head has already moved past them. The store *fails closed*: the file is cut back to the last
//! acknowledged byte (and that cut is synced), every waiter of the batch gets an error (500
//! `receipt_error`), and so does every append for the next [`RETRY_AFTER`]. After that, the next
//! append retries: the head goes back to the last durable receipt's hash, appends sealed before
//! the failure (still queued) are refused, and the chain continues from the file as it is. So a
//! disk that fills up refuses decisions (never answers one without its receipt) and recovers on
//! its own once space is freed. If cutting the file back fails too, its tail is unknown: the store
//! refuses appends until a restart, which reads, verifies and recovers the file.
//!
//! Retrying on the same descriptor after a failed fsync is safe here because nothing of the failed
//! batch is kept: the bytes are cut off, and the receipts are re-sealed and re-written only if the
//! client retries (each retry is a new decision with a new receipt).
//!
//! # Start-up
//! The file is read once: every line is verified against the chain with the core's verifier
//! (`crate::native::verify_line`), ids are indexed to `(offset, length)` (no receipt is
//! kept in memory), and the chain continues from the last `hash`. A torn last line (a crash in the
//! middle of a write: no trailing newline and not a whole JSON object) is cut off and reported; a
//! whole last receipt without its newline is verified like any other and gets its newline before
//! the next append. That rule is shared with the shim's offline mode (`datafog::receipt::tail`
//! classifies, `datafog_files::receipts::settle_tail` repairs). Any other break (a changed,
//! removed or reordered receipt) refuses to start: the log is evidence, and the operator must
//! decide.
//!
//! # Rotation
//! With a rotation size (`DATAFOG_RECEIPT_ROTATE_MB` > 0), once a batch leaves the file at or past
//! it the writer renames the file to its next segment (`<path>.000001`, `.000002`, ...; the names
//! are `datafog_files::receipts::segment_path`), syncs the directory and starts an empty file. The
//! chain does not restart: the new file's first `prev_hash` is the last segment's last `hash`, so
//! the segments in order, then the file, are one chain (start-up verifies it whole, the routes and
//! the export read it whole, and `datafog-shim receipts verify` follows it). A rename that fails is
//! logged and retried after the next batch; a new file that cannot be created fails the store
//! closed until a restart (which creates it). Segments are never deleted here: removing the
//! oldest would make the chain start mid-way, which start-up refuses (archive them with the file).
//!
//! # Signed checkpoints
//! With a [`CheckpointConfig`] (`DATAFOG_CHECKPOINT_EVERY` > 0), the writer appends a signed
//! checkpoint (`datafog_files::checkpoint`: the receipt count and the last `hash`) to
//! `<receipts>.checkpoints`: after the first batch that reaches each multiple of `every` receipts,
//! at start-up when the chain is past the last checkpoint (after a crash) or that checkpoint was
//! signed by another key (a rotated key), and when the store closes (graceful shutdown) if
//! receipts were written since the last one. A checkpoint covers durable receipts only: it is
//! written after their fsync and after their waiters were answered (it adds no latency to those
//! decides), and synced itself. A failed checkpoint write is logged and retried at the next
//! occasion; it never fails a receipt. At start-up the last checkpoint must match the file: the
//! chain must reach its `count` with its `last_hash`, and when it carries the current key's id
//! its signature must verify; otherwise the store refuses to open (the receipts were cut short
//! or rewritten; the message says which).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use datafog::receipt::GENESIS_HASH;
use datafog::receipt::tail::is_torn;
use datafog_files::checkpoint::{self, Checkpoint, PublicKey, Signer};

use crate::native::verify_line;
use serde::Deserialize;
use tokio::sync::{mpsc, oneshot};

use crate::histogram::{BATCH_BUCKETS, FSYNC_BUCKETS_MICROS, IntHistogram};

/// Durable creation, shared with the shim (`datafog_files`; `Events::open` uses `open_durably`).
pub use datafog_files::{create_dir_all_durably, open_durably, sync_parent_dir};

/// Receipts written per batch at most (one `write_all` + one fsync).
pub const MAX_BATCH: usize = 1024;

/// A sealed receipt ready to be stored: its id, its `hash` and its canonical line (no newline).
#[derive(Clone, Debug)]
pub struct Sealed {
    pub receipt_id: String,
    pub hash: String,
    pub line: String,
}

/// What start-up found in the file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Receipts verified.
    pub count: usize,
    /// The chain head (the next receipt's `prev_hash`).
    pub last_hash: String,
    /// A torn last line that was cut: `(offset, bytes cut)`.
    pub torn: Option<(u64, u64)>,
}

/// Why the store could not open.
#[derive(Debug)]
pub enum OpenError {
    Io(PathBuf, std::io::Error),
    /// The chain is broken before the last line.
    Chain(PathBuf, String),
    /// The checkpoints file is unreadable, or its last checkpoint does not match the receipts.
    Checkpoint(PathBuf, String),
    /// The checkpoint key could not be read or created (the message names the file).
    Key(String),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Io(p, e) => write!(f, "receipts file `{}`: {e}", p.display()),
            OpenError::Chain(p, e) => write!(
                f,
                "receipts file `{}`: {e}; the hash chain is broken, refusing to start (restore the file from a backup, or move it aside to start a new chain)",
                p.display()
            ),
            OpenError::Key(e) => write!(f, "{e} (DATAFOG_CHECKPOINT_KEY_PATH)"),
            OpenError::Checkpoint(p, e) => write!(
                f,
                "receipts file `{}`: {e}; refusing to start (restore the receipts from a backup, or move the receipts and `.checkpoints` files aside to start a new chain)",
                p.display()
            ),
        }
    }
}

impl std::error::Error for OpenError {}

/// Signed checkpoints for [`ReceiptStore::open_with`] (see the module docs).
#[derive(Clone, Debug)]
pub struct CheckpointConfig {
    /// The Ed25519 seed, read or created (`Signer::load_or_create`) once the receipts file is
    /// open, so an unusable receipts path is reported first.
    pub key_path: PathBuf,
    /// Receipts between checkpoints (> 0).
    pub every: u64,
}

/// What appenders and routes see of the checkpoints.
#[derive(Debug)]
struct Checkpoints {
    public: PublicKey,
    path: PathBuf,
    every: u64,
    latest: Mutex<Option<Checkpoint>>,
}

/// The writer's half: the key, the file, and the durable chain's length and head.
struct CheckpointWriter {
    signer: Signer,
    log: checkpoint::Log,
    shared: Arc<Checkpoints>,
    /// Durable receipts and the last one's `hash`.
    count: u64,
    head: String,
    /// `count` of the last checkpoint written (by any key).
    signed: u64,
}

impl CheckpointWriter {
    /// `n` more receipts are durable, the last with `head`: a checkpoint if that reached the
    /// next multiple of `every`.
    fn durable(&mut self, n: u64, head: &str) {
        self.count += n;
        head.clone_into(&mut self.head);
        let every = self.shared.every.max(1);
        if self.count / every > self.signed / every {
            self.write("periodic");
        }
    }

    /// A checkpoint of the chain as it is now (`why` goes in the log line of a failure).
    fn write(&mut self, why: &str) {
        let cp = self
            .signer
            .sign(self.count, &self.head, &crate::http::now_rfc3339_secs());
        match self.log.append(&cp) {
            Ok(()) => {
                self.signed = self.count;
                if let Ok(mut latest) = self.shared.latest.lock() {
                    *latest = Some(cp);
                }
            }
            Err(e) => tracing::error!(
                "{why} checkpoint of {} receipts not written to `{}`: {e}; the next one is tried later",
                self.count,
                self.shared.path.display()
            ),
        }
    }
}

/// Why an append failed (the `details` of 500 `receipt_error`, or the sealing closure's error).
#[derive(Debug)]
pub enum AppendError<E> {
    /// The sealing closure refused (e.g. a guest error): nothing was queued.
    Seal(E),
    /// The store failed or is closed.
    Store(String),
}

/// Resolves when the receipt is on disk (`Ok`) or the store failed (`Err`, the details).
pub type Durable = oneshot::Receiver<Result<(), String>>;

struct Append {
    id: String,
    line: String,
    /// The receipt's `hash` (the head after it, once durable).
    hash: String,
    /// [`Health::generation`] when it was sealed.
    generation: u64,
    ack: oneshot::Sender<Result<(), String>>,
}

/// How long appends are refused after a failed write before one retries (see the module docs).
pub const RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

/// The writer's failure state, shared with appenders (see the module docs).
#[derive(Debug)]
struct Health {
    /// Set by the writer when a write or fsync failed and the file was cut back: why, and when.
    failed: Option<(String, Instant)>,
    /// Cutting the file back failed as well: its tail is unknown, no retry before a restart.
    permanent: bool,
    /// The `hash` of the last durable receipt: where the chain continues after a retry.
    durable_hash: String,
    /// Bumped by every retry; the writer refuses appends sealed in an older generation.
    generation: u64,
}

/// Writer counters, for metrics.
#[derive(Debug)]
pub struct WriterStats {
    pub batches: AtomicU64,
    pub receipts: AtomicU64,
    pub fsync_micros_total: AtomicU64,
    pub fsync_micros_max: AtomicU64,
    /// Batches whose write or fsync failed (none of their receipts was acknowledged).
    pub write_failures: AtomicU64,
    /// Receipts per batch (every batch written, failed ones included).
    pub batch_sizes: IntHistogram<{ BATCH_BUCKETS.len() }>,
    /// Write + fsync latency per batch, in microseconds.
    pub fsync_micros: IntHistogram<{ FSYNC_BUCKETS_MICROS.len() }>,
}

impl Default for WriterStats {
    fn default() -> Self {
        WriterStats {
            batches: AtomicU64::new(0),
            receipts: AtomicU64::new(0),
            fsync_micros_total: AtomicU64::new(0),
            fsync_micros_max: AtomicU64::new(0),
            write_failures: AtomicU64::new(0),
            batch_sizes: IntHistogram::new(BATCH_BUCKETS),
            fsync_micros: IntHistogram::new(FSYNC_BUCKETS_MICROS),
        }
    }
}

struct Head {
    last_hash: String,
    tx: Option<mpsc::UnboundedSender<Append>>,
}

/// Receipt id -> (segment number, offset, length): where its line is.
type Index = Arc<RwLock<HashMap<String, (u32, u64, u32)>>>;

/// Read handles of every segment and of the current file, by segment number (the current file's
/// number is the one it gets when it is rotated). A handle survives the rename.
type Readers = Arc<RwLock<std::collections::BTreeMap<u32, Arc<File>>>>;

/// The receipts file: append through the writer, read by id or by filter.
pub struct ReceiptStore {
    path: PathBuf,
    head: Mutex<Head>,
    index: Index,
    health: Arc<Mutex<Health>>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
    readers: Readers,
    /// `idempotency_key_digest` → receipt id, for the newest [`RESTORED_KEYS`] keyed receipts:
    /// found at start-up, and written since ([`ReceiptStore::remember_idempotency`]), so a decide
    /// key the in-memory idempotency cache dropped is replayed from its receipt, not run twice.
    restored: Mutex<KeyIndex>,
    checkpoints: Option<Arc<Checkpoints>>,
    pub stats: Arc<WriterStats>,
}

impl std::fmt::Debug for ReceiptStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReceiptStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct IdOnly {
    receipt_id: String,
    #[serde(default)]
    idempotency_key_digest: String,
}

/// Decide idempotency keys indexed (the newest; see [`ReceiptStore::get_by_idempotency`]).
pub const RESTORED_KEYS: usize = crate::idempotency::CAPACITY;

/// `idempotency_key_digest` → receipt id for the newest [`RESTORED_KEYS`] keys.
#[derive(Debug, Default)]
struct KeyIndex {
    ids: HashMap<String, String>,
    /// Insertion order, oldest first: `(digest, receipt id)`.
    order: std::collections::VecDeque<(String, String)>,
}

impl KeyIndex {
    /// Newest wins; past [`RESTORED_KEYS`] the oldest goes, unless a newer receipt re-used its key.
    fn insert(&mut self, digest: String, id: String) {
        self.ids.insert(digest.clone(), id.clone());
        self.order.push_back((digest, id));
        if self.order.len() > RESTORED_KEYS
            && let Some((old, old_id)) = self.order.pop_front()
            && self.ids.get(&old).is_some_and(|i| *i == old_id)
        {
            self.ids.remove(&old);
        }
    }
}

impl ReceiptStore {
    /// Open (creating it and its directory if missing), verify, recover, index, start the writer.
    /// No checkpoints: [`ReceiptStore::open_with`] writes them.
    pub fn open(path: &Path) -> Result<(ReceiptStore, Recovery), OpenError> {
        ReceiptStore::open_with(path, None)
    }

    /// [`ReceiptStore::open`], with signed checkpoints when `checkpoints` is given: the last one
    /// in `<path>.checkpoints` is checked against the file, and one is written now if the chain
    /// moved past it (see the module docs).
    pub fn open_with(
        path: &Path,
        checkpoints: Option<CheckpointConfig>,
    ) -> Result<(ReceiptStore, Recovery), OpenError> {
        ReceiptStore::open_rotating(path, checkpoints, 0)
    }

    /// [`ReceiptStore::open_with`], rotating the file once it reaches `rotate_bytes` (0: never;
    /// see the module docs). Rotated segments are read whatever `rotate_bytes` is.
    pub fn open_rotating(
        path: &Path,
        checkpoints: Option<CheckpointConfig>,
        rotate_bytes: u64,
    ) -> Result<(ReceiptStore, Recovery), OpenError> {
        let io = |e| OpenError::Io(path.to_path_buf(), e);
        let cp_error = |e: String| OpenError::Checkpoint(path.to_path_buf(), e);
        let mut file =
            open_durably(path, 0o600, OpenOptions::new().read(true).write(true)).map_err(io)?;
        let cp_path = checkpoint::path_for(path);
        let (log, last_checkpoint) = match &checkpoints {
            Some(config) => {
                let signer = Signer::load_or_create(&config.key_path).map_err(OpenError::Key)?;
                let (log, last) = checkpoint::Log::open(&cp_path).map_err(cp_error)?;
                (Some((signer, config.every, log)), last)
            }
            None => (None, None),
        };
        let segments = datafog_files::receipts::segments(path).map_err(io)?;
        let current = segments.last().map_or(1, |(n, _)| n.saturating_add(1));
        let mut readers = std::collections::BTreeMap::new();
        let mut state = ScanState::new(last_checkpoint.as_ref().map(|c| c.count));
        for (n, seg) in &segments {
            let mut f = File::open(seg).map_err(|e| OpenError::Io(seg.clone(), e))?;
            state.scan(&mut f, seg, *n, false)?;
            readers.insert(*n, Arc::new(f));
        }
        let end = state.scan(&mut file, path, current, true)?;
        let Scanned {
            index,
            restored,
            recovery,
            hash_at,
        } = state.finish();
        // Cut a torn tail, give a whole last receipt its lost newline (the rule the shim follows
        // too), and leave the cursor where the next line goes.
        let end = datafog_files::receipts::settle_tail(&mut file, end).map_err(io)?;
        let writer_checkpoints = match log {
            Some((signer, every, log)) => {
                // A start-up checkpoint covers every line scanned: make sure they are on disk
                // (a crash between a batch's write and its fsync leaves unsynced lines).
                file.sync_data().map_err(io)?;
                Some(start_checkpoints(
                    signer,
                    every,
                    log,
                    cp_path,
                    last_checkpoint,
                    &recovery,
                    hash_at.as_deref(),
                )?)
            }
            None => None,
        };
        let shared_checkpoints = writer_checkpoints.as_ref().map(|w| w.shared.clone());
        readers.insert(current, Arc::new(File::open(path).map_err(io)?));
        let readers: Readers = Arc::new(RwLock::new(readers));

        let index: Index = Arc::new(RwLock::new(index));
        let health = Arc::new(Mutex::new(Health {
            failed: None,
            permanent: false,
            durable_hash: recovery.last_hash.clone(),
            generation: 0,
        }));
        let stats = Arc::new(WriterStats::default());
        // Unbounded, yet bounded by the requests in flight: each queued append is a request
        // waiting for its acknowledgement. So appending never blocks and needs no thread of its own.
        let (tx, rx) = mpsc::unbounded_channel();
        let writer = {
            let (index, health, stats) = (index.clone(), health.clone(), stats.clone());
            let rotation = Rotation {
                path: path.to_path_buf(),
                bytes: rotate_bytes,
                current,
                readers: readers.clone(),
            };
            std::thread::Builder::new()
                .name("datafog-receipts".into())
                .spawn(move || {
                    let files = Files {
                        file,
                        end,
                        rotation,
                    };
                    write_loop(files, rx, &index, &health, &stats, writer_checkpoints);
                })
                .map_err(io)?
        };
        let store = ReceiptStore {
            path: path.to_path_buf(),
            head: Mutex::new(Head {
                last_hash: recovery.last_hash.clone(),
                tx: Some(tx),
            }),
            index,
            health,
            writer: Mutex::new(Some(writer)),
            readers,
            restored: Mutex::new(restored),
            checkpoints: shared_checkpoints,
            stats,
        };
        Ok((store, recovery))
    }

    /// The latest signed checkpoint (`None`: checkpoints are off, or none was written yet).
    pub fn checkpoint(&self) -> Option<Checkpoint> {
        self.checkpoints
            .as_ref()
            .and_then(|c| c.latest.lock().ok().and_then(|l| l.clone()))
    }

    /// The public key checkpoints are signed with (`None`: checkpoints are off).
    pub fn checkpoint_key(&self) -> Option<&PublicKey> {
        self.checkpoints.as_ref().map(|c| &c.public)
    }

    /// The checkpoints file and the receipts between checkpoints (`None`: off).
    pub fn checkpoint_file(&self) -> Option<(&Path, u64)> {
        self.checkpoints
            .as_ref()
            .map(|c| (c.path.as_path(), c.every))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Seal a receipt with the chain head and queue it, atomically (see the module docs); the
    /// returned [`Durable`] resolves once it is on disk. Never waits for I/O: the head's mutex is
    /// held for `seal` only (keep it short: one SHA-256), so async tasks call it directly. `seal`
    /// gets the `prev_hash` and returns the sealed receipt plus whatever the caller wants back.
    pub fn append_chained<T, E>(
        &self,
        seal: impl FnOnce(&str) -> Result<(Sealed, T), E>,
    ) -> Result<(T, Durable), AppendError<E>> {
        let poisoned = || AppendError::Store("receipt store is poisoned".to_owned());
        let mut head = self.head.lock().map_err(|_| poisoned())?;
        let generation = {
            let mut health = self.health.lock().map_err(|_| poisoned())?;
            if let Some((e, at)) = &health.failed {
                if health.permanent || at.elapsed() < RETRY_AFTER {
                    return Err(AppendError::Store(e.clone()));
                }
                // Retry (see the module docs): continue the chain from the file as it is.
                tracing::warn!("retrying the receipts file after a failed write");
                head.last_hash = health.durable_hash.clone();
                health.failed = None;
                health.generation += 1;
            }
            health.generation
        };
        let Some(tx) = head.tx.clone() else {
            return Err(AppendError::Store("receipt store is closed".to_owned()));
        };
        let (sealed, out) = seal(&head.last_hash).map_err(AppendError::Seal)?;
        let (ack, rx) = oneshot::channel();
        tx.send(Append {
            id: sealed.receipt_id,
            line: sealed.line,
            hash: sealed.hash.clone(),
            generation,
            ack,
        })
        .map_err(|_| AppendError::Store("receipt store is closed".to_owned()))?;
        head.last_hash = sealed.hash;
        Ok((out, rx))
    }

    /// The chain head: the `prev_hash` the next receipt gets.
    pub fn last_hash(&self) -> String {
        self.head
            .lock()
            .map(|h| h.last_hash.clone())
            .unwrap_or_default()
    }

    /// Receipts stored (durable ones: the index is updated after the fsync).
    pub fn len(&self) -> usize {
        self.index.read().map(|i| i.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The stored line of receipt `id`.
    pub fn get(&self, id: &str) -> std::io::Result<Option<String>> {
        let Some((segment, offset, len)) = self.index.read().ok().and_then(|i| i.get(id).copied())
        else {
            return Ok(None);
        };
        let reader = self
            .readers
            .read()
            .ok()
            .and_then(|r| r.get(&segment).cloned())
            .ok_or_else(|| std::io::Error::other("receipts segment is not open"))?;
        let mut buf = vec![0u8; len as usize];
        reader.read_exact_at(&mut buf, offset)?;
        String::from_utf8(buf)
            .map(Some)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    }

    /// Where receipt `id` is: its file counted back from the current one (0; 1 is the newest
    /// rotated segment) and its byte offset there (the admin console's chain position).
    pub fn locate(&self, id: &str) -> Option<(usize, u64)> {
        let (segment, offset, _) = self.index.read().ok()?.get(id).copied()?;
        let readers = self.readers.read().ok()?;
        let back = readers.range(segment..).count().checked_sub(1)?;
        Some((back, offset))
    }

    /// The stored line of the receipt whose `idempotency_key_digest` is `digest`, if start-up
    /// indexed one (a decide idempotency key from before the restart).
    pub fn get_by_idempotency(&self, digest: &str) -> std::io::Result<Option<String>> {
        let id = self
            .restored
            .lock()
            .ok()
            .and_then(|k| k.ids.get(digest).cloned());
        match id {
            Some(id) => self.get(&id),
            None => Ok(None),
        }
    }

    /// Index a durable receipt's `idempotency_key_digest` (decide calls it after the receipt is
    /// on disk), so the key can be replayed from the file once the in-memory cache drops it.
    pub fn remember_idempotency(&self, digest: String, receipt_id: String) {
        if let Ok(mut k) = self.restored.lock() {
            k.insert(digest, receipt_id);
        }
    }

    /// Every durable line in chain order, the rotated segments first (blocking; the list
    /// endpoint filters them).
    pub fn for_each_line(&self, mut f: impl FnMut(&str)) -> std::io::Result<()> {
        for file in self.chain_files()? {
            let mut reader = BufReader::new(file);
            let mut line = String::new();
            loop {
                line.clear();
                if reader.read_line(&mut line)? == 0 {
                    break;
                }
                // Only complete lines: one being written is not acknowledged yet.
                if let Some(l) = line.strip_suffix('\n')
                    && !l.trim().is_empty()
                {
                    f(l);
                }
            }
        }
        Ok(())
    }

    /// Readers of the chain's files in order (rotated segments, then the current file), each
    /// from its start. They read through the handles opened at start-up or rotation (positioned
    /// reads), so a rotation while they are read changes nothing. An error when the file at the
    /// receipts path is no longer the one being written (see [`same_file`]).
    pub fn chain_files(&self) -> std::io::Result<Vec<SegmentReader>> {
        let readers = self
            .readers
            .read()
            .map_err(|_| std::io::Error::other("receipt store is poisoned"))?;
        if let Some(current) = readers.values().next_back() {
            same_file(current, &self.path)?;
        }
        Ok(readers
            .values()
            .map(|f| SegmentReader {
                file: f.clone(),
                at: 0,
            })
            .collect())
    }

    /// Rotated segments so far (the current file excluded).
    pub fn segment_count(&self) -> usize {
        self.readers
            .read()
            .map(|r| r.len().saturating_sub(1))
            .unwrap_or(0)
    }

    /// Stop accepting appends, let the writer drain the queue (write + fsync), and wait for it.
    pub fn close(&self) {
        if let Ok(mut head) = self.head.lock() {
            head.tx = None;
        }
        let handle = self.writer.lock().ok().and_then(|mut w| w.take());
        if let Some(h) = handle {
            let _ = h.join();
        }
    }
}

impl Drop for ReceiptStore {
    fn drop(&mut self) {
        self.close();
    }
}

/// What the start-up scan found.
struct Scanned {
    index: HashMap<String, (u32, u64, u32)>,
    restored: KeyIndex,
    recovery: Recovery,
    /// The `hash` of receipt number `want` (when the chain has that many).
    hash_at: Option<String>,
}

/// The start-up scan across the rotated segments and the current file: one chain.
struct ScanState {
    index: HashMap<String, (u32, u64, u32)>,
    restored: KeyIndex,
    last: String,
    count: usize,
    torn: Option<(u64, u64)>,
    /// The receipt count whose `hash` is wanted (the last checkpoint's), and that hash.
    want: Option<u64>,
    hash_at: Option<String>,
}

impl ScanState {
    fn new(want: Option<u64>) -> ScanState {
        ScanState {
            index: HashMap::new(),
            restored: KeyIndex::default(),
            last: GENESIS_HASH.to_owned(),
            count: 0,
            torn: None,
            want,
            hash_at: (want == Some(0)).then(|| GENESIS_HASH.to_owned()),
        }
    }

    /// Read and verify one file of the chain (see the module docs), segment `segment`; only the
    /// current file (`current`) may end with a torn line. Returns where its verified lines end
    /// (a torn tail starts there: `settle_tail` cuts it and ends the file with a newline).
    fn scan(
        &mut self,
        file: &mut File,
        path: &Path,
        segment: u32,
        current: bool,
    ) -> Result<u64, OpenError> {
        let io = |e| OpenError::Io(path.to_path_buf(), e);
        let chain = |msg: String| OpenError::Chain(path.to_path_buf(), msg);
        let mut offset = 0u64;
        let mut line_no = 0usize;
        let mut reader = BufReader::new(file);
        let mut buf = Vec::new();
        let mut torn = None;
        loop {
            buf.clear();
            let n = reader.read_until(b'\n', &mut buf).map_err(io)?;
            if n == 0 {
                break;
            }
            line_no += 1;
            let complete = buf.last() == Some(&b'\n');
            let body = buf.strip_suffix(b"\n").unwrap_or(&buf);
            let text = std::str::from_utf8(body).ok();
            if text.is_some_and(|t| t.trim().is_empty()) {
                offset += n as u64;
                continue;
            }
            match text.map(|t| (t, verify_line(&self.last, t))) {
                Some((t, Ok(Some(hash)))) => {
                    let r = serde_json::from_str::<IdOnly>(t)
                        .map_err(|e| chain(format!("line {line_no}: no `receipt_id` ({e})")))?;
                    let len = u32::try_from(body.len())
                        .map_err(|_| chain(format!("line {line_no} is too long")))?;
                    if !r.idempotency_key_digest.is_empty() {
                        self.restored
                            .insert(r.idempotency_key_digest, r.receipt_id.clone());
                    }
                    self.index.insert(r.receipt_id, (segment, offset, len));
                    self.last = hash;
                    self.count += 1;
                    if self.want == Some(self.count as u64) {
                        self.hash_at = Some(self.last.clone());
                    }
                }
                // A torn last line: no newline and not a whole JSON object (a crash mid-write;
                // the core's rule, `datafog::receipt::tail`). A whole object that fails
                // verification is a changed receipt, not a torn write; and a rotated segment was
                // complete when it was renamed.
                _ if current && !complete && is_torn(body) => {
                    torn = Some((offset, n as u64));
                }
                // Blank lines were skipped above.
                Some((_, Ok(None))) => {}
                Some((_, Err(kind))) => return Err(chain(format!("line {line_no}: {kind}"))),
                None => return Err(chain(format!("line {line_no}: not UTF-8"))),
            }
            offset += n as u64;
        }
        if current {
            self.torn = torn;
        }
        Ok(torn.map_or(offset, |(at, _)| at))
    }

    fn finish(self) -> Scanned {
        Scanned {
            index: self.index,
            restored: self.restored,
            recovery: Recovery {
                count: self.count,
                last_hash: self.last,
                torn: self.torn,
            },
            hash_at: self.hash_at,
        }
    }
}

/// `Ok` when `path` is the file `file` has open. A receipts file removed, moved or replaced while
/// the server runs is not: receipts written to the open handle would be lost with it (or the
/// chain would fork), so the reading routes answer an error and the writer fails closed until a
/// restart, which verifies whatever is at the path.
pub fn same_file(file: &File, path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let open = file.metadata()?;
    let gone = || {
        std::io::Error::other(format!(
            "the receipts file `{}` was removed or replaced while the server runs; restart the server to verify the file and continue its chain",
            path.display()
        ))
    };
    match std::fs::metadata(path) {
        Ok(m) if m.dev() == open.dev() && m.ino() == open.ino() => Ok(()),
        Ok(_) => Err(gone()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(gone()),
        Err(e) => Err(e),
    }
}

/// A chain file read from its start through a shared handle (positioned reads: the handle's own
/// cursor is never moved, so readers and the writer do not disturb each other).
#[derive(Debug)]
pub struct SegmentReader {
    file: Arc<File>,
    at: u64,
}

impl SegmentReader {
    /// The file's length now.
    pub fn size(&self) -> std::io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }

    /// A positioned read (the reader's own position is not moved).
    pub fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
        self.file.read_at(buf, offset)
    }
}

impl std::io::Read for SegmentReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read_at(buf, self.at)?;
        self.at += n as u64;
        Ok(n)
    }
}

/// Check the last checkpoint against the scanned file, and write one now if the chain moved past
/// it or it was signed by another key (see the module docs).
fn start_checkpoints(
    signer: Signer,
    every: u64,
    log: checkpoint::Log,
    path: PathBuf,
    last: Option<Checkpoint>,
    recovery: &Recovery,
    hash_at: Option<&str>,
) -> Result<CheckpointWriter, OpenError> {
    let public = signer.public_key().clone();
    let refuse = |e: String| OpenError::Checkpoint(path.clone(), e);
    let count = recovery.count as u64;
    if let Some(cp) = &last {
        if cp.key_id == public.key_id() {
            public.verify(cp).map_err(|e| {
                refuse(format!(
                    "its last checkpoint (`{}`) does not verify: {e}",
                    path.display()
                ))
            })?;
        }
        cp.check_against(count, hash_at).map_err(|e| {
            refuse(format!(
                "{e}, by its last checkpoint (`{}`, signed {})",
                path.display(),
                cp.time
            ))
        })?;
    }
    let mut writer = CheckpointWriter {
        signer,
        log,
        shared: Arc::new(Checkpoints {
            public,
            path,
            every,
            latest: Mutex::new(None),
        }),
        count,
        head: recovery.last_hash.clone(),
        signed: last.as_ref().map_or(0, |c| c.count),
    };
    let moved = match &last {
        Some(cp) => cp.count < count || cp.key_id != writer.shared.public.key_id(),
        None => count > 0,
    };
    if moved {
        writer.write("start-up");
    }
    if let Ok(mut latest) = writer.shared.latest.lock()
        && latest.is_none()
    {
        *latest = last;
    }
    Ok(writer)
}

/// The writer's file, where its next line goes, and its rotation (see the module docs).
struct Files {
    file: File,
    end: u64,
    rotation: Rotation,
}

/// When and where the writer rotates.
struct Rotation {
    path: PathBuf,
    /// Rotate once the file reaches this size; 0: never.
    bytes: u64,
    /// The current file's segment number (the name it gets when it is rotated).
    current: u32,
    readers: Readers,
}

impl Files {
    /// Rotate if the file reached the rotation size (see the module docs). `Err`: the new file
    /// could not be created, and the store must fail closed.
    fn rotate_if_due(&mut self) -> Result<(), String> {
        let r = &mut self.rotation;
        if r.bytes == 0 || self.end < r.bytes {
            return Ok(());
        }
        let segment = datafog_files::receipts::segment_path(&r.path, r.current);
        if segment.exists() {
            tracing::warn!(
                "not rotating the receipts file: `{}` exists already",
                segment.display()
            );
            return Ok(());
        }
        // Readers wait while the path changes hands (`chain_files` checks the path against the
        // newest handle).
        let readers = r.readers.clone();
        let Ok(mut readers) = readers.write() else {
            return Err("receipt store is poisoned".to_owned());
        };
        if let Err(e) = std::fs::rename(&r.path, &segment)
            .and_then(|()| datafog_files::sync_parent_dir(&r.path))
        {
            tracing::error!(
                "rotating the receipts file to `{}` failed: {e}; retrying after the next batch",
                segment.display()
            );
            return Ok(());
        }
        let fresh = open_durably(&r.path, 0o600, OpenOptions::new().read(true).write(true))
            .and_then(|f| Ok((File::open(&r.path)?, f)));
        match fresh {
            Ok((reader, file)) => {
                let next = r.current.saturating_add(1);
                readers.insert(next, Arc::new(reader));
                r.current = next;
                self.file = file;
                self.end = 0;
                tracing::info!(
                    "receipts file rotated to `{}`; the chain continues in `{}`",
                    segment.display(),
                    r.path.display()
                );
                Ok(())
            }
            Err(e) => Err(format!(
                "receipts file rotated to `{}` but a new `{}` could not be created: {e}; refusing receipts until restart",
                segment.display(),
                r.path.display()
            )),
        }
    }
}

fn write_loop(
    mut files: Files,
    mut rx: mpsc::UnboundedReceiver<Append>,
    index: &Index,
    health: &Mutex<Health>,
    stats: &WriterStats,
    mut checkpoints: Option<CheckpointWriter>,
) {
    let mut batch: Vec<Append> = Vec::with_capacity(MAX_BATCH);
    let mut buf: Vec<u8> = Vec::new();
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(a) => batch.push(a),
                Err(_) => break,
            }
        }
        // Refuse what was sealed against a chain head that a failure has since undone.
        let (failure, generation) = health
            .lock()
            .map(|h| (h.failed.as_ref().map(|(e, _)| e.clone()), h.generation))
            .unwrap_or_else(|_| (Some("receipt store is poisoned".to_owned()), 0));
        if let Some(e) = failure {
            for a in batch.drain(..) {
                let _ = a.ack.send(Err(e.clone()));
            }
            continue;
        }
        let (current, stale): (Vec<Append>, Vec<Append>) =
            batch.drain(..).partition(|a| a.generation == generation);
        for a in stale {
            let _ = a.ack.send(Err(
                "receipt write failed earlier; the receipt was not written (retry)".to_owned(),
            ));
        }
        batch = current;
        if batch.is_empty() {
            continue;
        }
        buf.clear();
        let mut spans = Vec::with_capacity(batch.len());
        let segment = files.rotation.current;
        for a in &batch {
            let at = files.end + buf.len() as u64;
            buf.extend_from_slice(a.line.as_bytes());
            buf.push(b'\n');
            spans.push((segment, at, u32::try_from(a.line.len()).unwrap_or(u32::MAX)));
        }
        let started = Instant::now();
        let file = &mut files.file;
        let result = same_file(file, &files.rotation.path)
            .and_then(|()| file.write_all(&buf))
            .and_then(|()| file.sync_data());
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        stats.batches.fetch_add(1, Ordering::Relaxed);
        stats
            .fsync_micros_total
            .fetch_add(micros, Ordering::Relaxed);
        stats.fsync_micros_max.fetch_max(micros, Ordering::Relaxed);
        stats.fsync_micros.observe(micros);
        stats.batch_sizes.observe(batch.len() as u64);
        match result {
            Ok(()) => {
                files.end += buf.len() as u64;
                stats
                    .receipts
                    .fetch_add(batch.len() as u64, Ordering::Relaxed);
                if let Ok(mut idx) = index.write() {
                    for (a, span) in batch.iter().zip(&spans) {
                        idx.insert(a.id.clone(), *span);
                    }
                }
                if let (Some(last), Ok(mut h)) = (batch.last(), health.lock()) {
                    h.durable_hash.clone_from(&last.hash);
                }
                let n = batch.len() as u64;
                let head = batch.last().map(|a| a.hash.clone());
                for a in batch.drain(..) {
                    let _ = a.ack.send(Ok(()));
                }
                // After the answers: a checkpoint adds no latency to the receipts it covers.
                if let (Some(cw), Some(head)) = (checkpoints.as_mut(), head) {
                    cw.durable(n, &head);
                }
                // Between batches: nothing is queued against the old file's offsets.
                if let Err(msg) = files.rotate_if_due() {
                    tracing::error!("{msg}");
                    if let Ok(mut h) = health.lock() {
                        h.failed = Some((msg, Instant::now()));
                        h.permanent = true;
                    }
                }
            }
            Err(e) => {
                stats.write_failures.fetch_add(1, Ordering::Relaxed);
                let msg = format!("receipt write failed: {e}");
                // Cut whatever part of the batch reached the file: none of it was acknowledged.
                let end = files.end;
                let cut = file
                    .set_len(end)
                    .and_then(|()| file.sync_data())
                    .and_then(|()| file.seek(SeekFrom::Start(end)).map(|_| ()));
                let retry = if cut.is_ok() {
                    format!("retrying after {} s", RETRY_AFTER.as_secs())
                } else {
                    "cutting the file back failed too; refusing receipts until restart".to_owned()
                };
                tracing::error!("{msg}; {retry}");
                if let Ok(mut h) = health.lock() {
                    h.failed = Some((msg.clone(), Instant::now()));
                    h.permanent |= cut.is_err();
                }
                for a in batch.drain(..) {
                    let _ = a.ack.send(Err(msg.clone()));
                }
            }
        }
    }
    // The queue is closed and drained (graceful shutdown): anchor what was written since.
    if let Some(cw) = checkpoints.as_mut()
        && cw.count > cw.signed
    {
        cw.write("shutdown");
    }
}
