//! The PostgreSQL store (`DATAFOG_STORE_URL=postgres://…`): receipts, events and idempotency
//! records of a fleet of replicas in one database (`docs/operations.md`, "Running a fleet").
//!
//! # One chain per replica
//! Each replica appends to its own hash chain, named by its `chain_id` (`DATAFOG_REPLICA_ID`, or
//! the host name), which every receipt carries (`datafog::receipt::seal_line_in_chain`). Rows are
//! `(chain_id, seq)`, `seq` counting from 1 without gaps. Two live processes never write one
//! chain: the writer's connection holds a session advisory lock on the chain id, taken at start
//! (a second replica with the same id refuses to start) and again after every reconnect. A
//! process killed with `kill -9` loses its connection and so its lock; its successor continues the
//! chain from the last committed row.
//!
//! # Group commit
//! As the file store (`crate::receipts`): appenders seal under the head's mutex and queue; one
//! writer task takes everything queued (up to [`MAX_BATCH`]) and inserts it in one transaction,
//! with the batch's events and the completion of its idempotency records; only after `COMMIT`
//! returns is every waiter answered. So a 200 means the transaction committed.
//!
//! # The database goes away
//! A failed or timed-out batch fails every waiter (503 `store_unavailable`, `Retry-After: 1`),
//! drops the connection and marks the store failed: appends are refused at once while the writer
//! reconnects (backing off up to 2 s). Reconnected, it takes the chain's lock again and reads the
//! chain head back from the database (a `COMMIT` whose answer was lost may have committed: the
//! database says), and appends resume from there; appends sealed before the failure are refused.
//! Nothing is acknowledged that was not committed; a commit that was not acknowledged is a
//! receipt of a decision the client did not get, which a retry with the same idempotency key
//! replays (the idempotency record committed with it).
//!
//! # Idempotency across replicas
//! A decide with an idempotency key first claims `(endpoint, key digest)` with one `INSERT … ON
//! CONFLICT` ([`PgStore::claim`]): the first claimer runs; the record turns `done`, naming its
//! receipt, in the same transaction as the receipt. Another replica (or a retry) finds the
//! record: done with the same fingerprint: the answer is rebuilt from that receipt and the retried
//! request (as after a restart with the file; no response and no value is stored); another
//! fingerprint:
//! 409; still running: it waits for the result (up to the caller's deadline). A claim whose owner
//! died is taken over once its lease (`lease`) has expired, and a done record older than the
//! idempotency TTL is claimed anew.
//!
//! # Schema
//! Versioned migrations ([`MIGRATIONS`]) are applied at start in one transaction under a
//! transaction-level advisory lock (replicas starting together apply them once); a database whose
//! schema is newer than this binary's refuses the start.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use datafog::receipt::GENESIS_HASH;
use tokio::sync::{mpsc, oneshot};
use tokio_postgres::{Client, NoTls, Statement};

use crate::receipts::{AppendError, Durable, MAX_BATCH, Sealed, WriterStats};

/// The schema versions, in order: `(version, description, SQL)`.
pub const MIGRATIONS: &[(i32, &str, &str)] = &[(
    1,
    "receipts, events, idempotency",
    "CREATE TABLE datafog_receipts (
        chain_id text NOT NULL,
        seq bigint NOT NULL,
        receipt_id text NOT NULL UNIQUE,
        hash text NOT NULL,
        prev_hash text NOT NULL,
        stored_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        line text NOT NULL,
        PRIMARY KEY (chain_id, seq)
    );
    CREATE INDEX datafog_receipts_order ON datafog_receipts (stored_at, chain_id, seq);
    CREATE TABLE datafog_events (
        id bigserial PRIMARY KEY,
        chain_id text NOT NULL,
        stored_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        line text NOT NULL
    );
    CREATE TABLE datafog_idempotency (
        endpoint text NOT NULL,
        key_digest text NOT NULL,
        fingerprint text NOT NULL,
        state text NOT NULL CHECK (state IN ('running', 'done')),
        owner text NOT NULL,
        lease_until timestamptz NOT NULL,
        receipt_id text,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        PRIMARY KEY (endpoint, key_digest)
    );",
)];

/// The schema version this binary writes.
pub fn schema_version() -> i32 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

/// Key of the transaction-level advisory lock migrations run under.
const MIGRATION_LOCK: i64 = 0x6461_7461_666f_6701;

/// How long one batch may take (insert and commit) before it counts as failed.
pub const BATCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Connecting gives up after this long.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Rows per round trip when reading a chain or a table in order.
const PAGE_ROWS: i32 = 1000;

/// The settings of [`PgStore::open`].
#[derive(Clone, Debug)]
pub struct PgConfig {
    pub url: String,
    /// This replica's chain (see the module docs).
    pub chain_id: String,
    /// How long a claimed idempotency key stays with a claimer that has not finished.
    pub lease: Duration,
    /// Connections for reads and claims (the writer has its own).
    pub pool_size: usize,
}

/// A receipt to commit, with what commits with it.
struct Item {
    seq: i64,
    sealed: Sealed,
    prev_hash: String,
    extra: Extra,
    generation: u64,
    ack: oneshot::Sender<Result<(), String>>,
}

/// What a decide commits with its receipt.
#[derive(Debug, Default)]
pub struct Extra {
    /// The decision's event line (empty: none).
    pub event: String,
    /// The idempotency record this receipt completes.
    pub done: Option<Done>,
}

/// A claimed idempotency record and the receipt that answers it (the record keeps the receipt
/// id, not the response: a replay is rebuilt from the receipt and the retried request, so no
/// matched value is stored).
#[derive(Debug)]
pub struct Done {
    pub claim: Claimed,
    pub receipt_id: String,
}

/// A claim this process holds ([`Claim::Mine`]).
#[derive(Clone, Debug)]
pub struct Claimed {
    pub endpoint: String,
    pub key_digest: String,
    pub fingerprint: String,
    pub owner: String,
}

/// What [`PgStore::claim`] found.
#[derive(Debug)]
pub enum Claim {
    /// The key is this request's to run.
    Mine(Claimed),
    /// Decided already (same fingerprint): the receipt that answers it.
    Done { receipt_id: String },
    /// Another request holds the key with a different payload.
    Conflict,
}

struct Head {
    last_hash: String,
    next_seq: i64,
    generation: u64,
    tx: Option<mpsc::UnboundedSender<Item>>,
}

#[derive(Debug)]
struct Health {
    /// Why appends are refused now (the writer is reconnecting).
    failed: Option<String>,
    /// Bumped on every failure; appends sealed in an older generation are refused.
    generation: u64,
    /// The last committed receipt: `(seq, hash)`.
    durable: (i64, String),
}

/// The PostgreSQL store (see the module docs).
pub struct PgStore {
    cfg: PgConfig,
    pool: deadpool_postgres::Pool,
    head: Mutex<Head>,
    health: Arc<Mutex<Health>>,
    pub stats: Arc<WriterStats>,
    writer: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// Receipts the chain held at start (verified).
    pub recovered: usize,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("chain_id", &self.cfg.chain_id)
            .finish_non_exhaustive()
    }
}

fn pg_config(url: &str) -> Result<tokio_postgres::Config, String> {
    let mut c: tokio_postgres::Config = url
        .parse()
        .map_err(|e| format!("DATAFOG_STORE_URL is not a PostgreSQL URL: {e}"))?;
    if c.get_ssl_mode() == tokio_postgres::config::SslMode::Require {
        return Err(
            "DATAFOG_STORE_URL asks for sslmode=require: TLS to PostgreSQL is not built in; connect over loopback or a private network, or through a TLS-terminating proxy"
                .to_owned(),
        );
    }
    c.connect_timeout(CONNECT_TIMEOUT);
    c.application_name("datafog-api");
    Ok(c)
}

pub use datafog_files::pg::describe;

async fn connect(cfg: &tokio_postgres::Config) -> Result<Client, String> {
    let (client, conn) = cfg.connect(NoTls).await.map_err(|e| describe(&e))?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!("database connection ended: {}", describe(&e));
        }
    });
    Ok(client)
}

/// Apply the missing migrations (see the module docs).
pub async fn migrate(client: &mut Client) -> Result<i32, String> {
    let tx = client.transaction().await.map_err(|e| describe(&e))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(|e| describe(&e))?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS datafog_schema (
            version integer PRIMARY KEY,
            description text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        )",
    )
    .await
    .map_err(|e| describe(&e))?;
    let current: i32 = tx
        .query_one("SELECT coalesce(max(version), 0) FROM datafog_schema", &[])
        .await
        .map_err(|e| describe(&e))?
        .get(0);
    let latest = schema_version();
    if current > latest {
        return Err(format!(
            "the database schema is version {current}, newer than this binary's {latest}: refusing to start (run a datafog-api that knows version {current})"
        ));
    }
    for (version, description, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        tx.batch_execute(sql)
            .await
            .map_err(|e| format!("migration {version} ({description}): {}", describe(&e)))?;
        tx.execute(
            "INSERT INTO datafog_schema (version, description) VALUES ($1, $2)",
            &[version, description],
        )
        .await
        .map_err(|e| describe(&e))?;
        tracing::info!("database schema migrated to version {version} ({description})");
    }
    tx.commit().await.map_err(|e| describe(&e))?;
    Ok(latest)
}

/// The writer's connection: its prepared statements, and the chain's lock.
struct Conn {
    client: Client,
    insert: Statement,
    complete: Statement,
    events: Statement,
}

const INSERT_RECEIPTS: &str =
    "INSERT INTO datafog_receipts (chain_id, seq, receipt_id, hash, prev_hash, line)
     SELECT $1, * FROM unnest($2::int8[], $3::text[], $4::text[], $5::text[], $6::text[])";
const COMPLETE_CLAIMS: &str = "UPDATE datafog_idempotency AS i
     SET state = 'done', receipt_id = u.receipt_id
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
         AS u(endpoint, key_digest, owner, receipt_id)
     WHERE i.endpoint = u.endpoint AND i.key_digest = u.key_digest AND i.owner = u.owner";
const INSERT_EVENTS: &str =
    "INSERT INTO datafog_events (chain_id, line) SELECT $1, unnest($2::text[])";

/// Connect the writer: take the chain's lock and read its head `(seq, hash)`.
async fn connect_writer(
    cfg: &tokio_postgres::Config,
    chain_id: &str,
) -> Result<(Conn, (i64, String)), String> {
    let client = connect(cfg).await?;
    let locked: bool = client
        .query_one(
            "SELECT pg_try_advisory_lock(hashtextextended($1, 0))",
            &[&chain_id],
        )
        .await
        .map_err(|e| describe(&e))?
        .get(0);
    if !locked {
        return Err(format!(
            "chain `{chain_id}` is being written by another process (two replicas with the same DATAFOG_REPLICA_ID?)"
        ));
    }
    let head = client
        .query_opt(
            "SELECT seq, hash FROM datafog_receipts WHERE chain_id = $1 ORDER BY seq DESC LIMIT 1",
            &[&chain_id],
        )
        .await
        .map_err(|e| describe(&e))?
        .map_or((0, GENESIS_HASH.to_owned()), |r| (r.get(0), r.get(1)));
    let prepare = |sql| client.prepare(sql);
    let insert = prepare(INSERT_RECEIPTS).await.map_err(|e| describe(&e))?;
    let complete = prepare(COMPLETE_CLAIMS).await.map_err(|e| describe(&e))?;
    let events = prepare(INSERT_EVENTS).await.map_err(|e| describe(&e))?;
    Ok((
        Conn {
            client,
            insert,
            complete,
            events,
        },
        head,
    ))
}

/// `sql`'s rows (one text column) in order, [`PAGE_ROWS`] per round trip through a portal, so
/// memory stays bounded whatever the table's size.
pub struct Pages<'a> {
    tx: tokio_postgres::Transaction<'a>,
    portal: tokio_postgres::Portal,
}

impl std::fmt::Debug for Pages<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pages").finish_non_exhaustive()
    }
}

impl<'a> Pages<'a> {
    pub async fn open(
        client: &'a mut Client,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Pages<'a>, String> {
        let tx = client.transaction().await.map_err(|e| describe(&e))?;
        let stmt = tx.prepare(sql).await.map_err(|e| describe(&e))?;
        let portal = tx.bind(&stmt, params).await.map_err(|e| describe(&e))?;
        Ok(Pages { tx, portal })
    }

    /// The next page of rows (empty: the end).
    pub async fn next(&mut self) -> Result<Vec<tokio_postgres::Row>, String> {
        self.tx
            .query_portal(&self.portal, PAGE_ROWS)
            .await
            .map_err(|e| describe(&e))
    }
}

/// A row's text column.
fn text(row: &tokio_postgres::Row) -> Result<&str, String> {
    row.try_get(0).map_err(|e| describe(&e))
}

/// Every line of `sql` in order ([`Pages`]): `f` returns `false` to stop.
pub async fn for_each_text(
    client: &mut Client,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    mut f: impl FnMut(&str) -> bool,
) -> Result<(), String> {
    let mut pages = Pages::open(client, sql, params).await?;
    loop {
        let rows = pages.next().await?;
        if rows.is_empty() {
            return Ok(());
        }
        for r in &rows {
            if !f(text(r)?) {
                return Ok(());
            }
        }
    }
}

/// The ids of every chain in the database, sorted.
pub async fn chains(client: &Client) -> Result<Vec<String>, String> {
    Ok(client
        .query(
            "SELECT DISTINCT chain_id FROM datafog_receipts ORDER BY chain_id",
            &[],
        )
        .await
        .map_err(|e| describe(&e))?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

/// A chain's lines in order (`seq` 1, 2, ...).
pub use datafog_files::pg::CHAIN_LINES;

/// Verify chain `chain_id` as stored: every line with the core's verifier from the genesis hash,
/// each naming `chain_id`, `seq` without gaps. `(count, last hash)`, or the first break.
pub async fn verify_chain(client: &mut Client, chain_id: &str) -> Result<(usize, String), String> {
    let mut last = GENESIS_HASH.to_owned();
    let mut count = 0usize;
    let mut broken = None;
    let gaps: i64 = client
        .query_one(
            "SELECT count(*) - coalesce(max(seq), 0) FROM datafog_receipts WHERE chain_id = $1",
            &[&chain_id],
        )
        .await
        .map_err(|e| describe(&e))?
        .get(0);
    if gaps != 0 {
        return Err(format!(
            "chain `{chain_id}`: sequence numbers have gaps (rows removed)"
        ));
    }
    for_each_text(client, CHAIN_LINES, &[&chain_id], |line| {
        count += 1;
        match crate::native::verify_line(&last, line) {
            Ok(hash) => {
                if let Some(hash) = hash {
                    last = hash;
                }
                let named = serde_json::from_str::<serde_json::Value>(line)
                    .ok()
                    .and_then(|v| {
                        v.get("chain_id")
                            .and_then(|c| c.as_str().map(str::to_owned))
                    });
                if named.as_deref() != Some(chain_id) {
                    broken = Some(format!("receipt {count} does not name chain `{chain_id}`"));
                    return false;
                }
                true
            }
            Err(why) => {
                broken = Some(format!("receipt {count}: {why}"));
                false
            }
        }
    })
    .await?;
    match broken {
        Some(b) => Err(format!("chain `{chain_id}`: {b}")),
        None => Ok((count, last)),
    }
}

impl PgStore {
    /// Connect, migrate, take this replica's chain, verify it and start the writer. Must run on a
    /// Tokio runtime (the writer is a task on it).
    pub async fn open(cfg: PgConfig) -> Result<PgStore, String> {
        let pg = pg_config(&cfg.url)?;
        let mut admin = connect(&pg).await?;
        migrate(&mut admin).await?;
        let (count, _) = verify_chain(&mut admin, &cfg.chain_id).await.map_err(|e| {
            format!("{e}; refusing to start (restore the database from a backup, or start this replica under a new DATAFOG_REPLICA_ID)")
        })?;
        drop(admin);
        let (conn, durable) = connect_writer(&pg, &cfg.chain_id).await?;
        let mgr = deadpool_postgres::Manager::from_config(
            pg.clone(),
            NoTls,
            deadpool_postgres::ManagerConfig {
                recycling_method: deadpool_postgres::RecyclingMethod::Fast,
            },
        );
        let pool = deadpool_postgres::Pool::builder(mgr)
            .max_size(cfg.pool_size.max(1))
            .wait_timeout(Some(CONNECT_TIMEOUT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(|e| format!("database pool: {e}"))?;
        let (tx, rx) = mpsc::unbounded_channel();
        let health = Arc::new(Mutex::new(Health {
            failed: None,
            generation: 0,
            durable: durable.clone(),
        }));
        let stats = Arc::new(WriterStats::default());
        let writer = tokio::spawn(write_loop(
            rx,
            conn,
            pg,
            cfg.chain_id.clone(),
            health.clone(),
            stats.clone(),
        ));
        Ok(PgStore {
            head: Mutex::new(Head {
                last_hash: durable.1,
                next_seq: durable.0 + 1,
                generation: 0,
                tx: Some(tx),
            }),
            cfg,
            pool,
            health,
            stats,
            writer: Mutex::new(Some(writer)),
            recovered: count,
        })
    }

    pub fn chain_id(&self) -> &str {
        &self.cfg.chain_id
    }

    /// Why appends are refused now, if they are.
    pub fn failure(&self) -> Option<String> {
        self.health.lock().ok().and_then(|h| h.failed.clone())
    }

    /// Seal and queue (see the module docs; the same contract as the file store's).
    pub fn append_chained<T, E>(
        &self,
        extra: Extra,
        seal: impl FnOnce(&str) -> Result<(Sealed, T), E>,
    ) -> Result<(T, Durable), AppendError<E>> {
        let poisoned = || AppendError::Store("receipt store is poisoned".to_owned());
        let mut head = self.head.lock().map_err(|_| poisoned())?;
        {
            let health = self.health.lock().map_err(|_| poisoned())?;
            if let Some(e) = &health.failed {
                return Err(AppendError::Store(e.clone()));
            }
            if head.generation != health.generation {
                // The writer reconnected: continue from what the database holds.
                head.generation = health.generation;
                head.next_seq = health.durable.0 + 1;
                head.last_hash.clone_from(&health.durable.1);
            }
        }
        let Some(tx) = head.tx.clone() else {
            return Err(AppendError::Store("receipt store is closed".to_owned()));
        };
        let (sealed, out) = seal(&head.last_hash).map_err(AppendError::Seal)?;
        let (ack, rx) = oneshot::channel();
        let hash = sealed.hash.clone();
        tx.send(Item {
            seq: head.next_seq,
            sealed,
            prev_hash: head.last_hash.clone(),
            extra,
            generation: head.generation,
            ack,
        })
        .map_err(|_| AppendError::Store("receipt store is closed".to_owned()))?;
        head.last_hash = hash;
        head.next_seq += 1;
        Ok((out, rx))
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, String> {
        self.pool.get().await.map_err(|e| match e {
            deadpool_postgres::PoolError::Backend(e) => describe(&e),
            other => other.to_string(),
        })
    }

    /// The stored line of receipt `id`, from any chain.
    pub async fn get(&self, id: &str) -> Result<Option<String>, String> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                "SELECT line FROM datafog_receipts WHERE receipt_id = $1",
                &[&id],
            )
            .await
            .map_err(|e| describe(&e))?;
        Ok(row.map(|r| r.get(0)))
    }

    /// Every receipt of every chain, in commit order (`stored_at`, then chain and `seq`).
    pub async fn for_each_line(&self, f: impl FnMut(&str) -> bool) -> Result<(), String> {
        let mut c = self.client().await?;
        for_each_text(
            &mut c,
            "SELECT line FROM datafog_receipts ORDER BY stored_at, chain_id, seq",
            &[],
            f,
        )
        .await
    }

    /// Every event line, oldest first.
    pub async fn for_each_event(&self, f: impl FnMut(&str) -> bool) -> Result<(), String> {
        let mut c = self.client().await?;
        for_each_text(
            &mut c,
            "SELECT line FROM datafog_events ORDER BY id",
            &[],
            f,
        )
        .await
    }

    /// Chain `chain_id`'s lines in order.
    pub async fn for_each_chain_line(
        &self,
        chain_id: &str,
        f: impl FnMut(&str) -> bool,
    ) -> Result<(), String> {
        let mut c = self.client().await?;
        for_each_text(&mut c, CHAIN_LINES, &[&chain_id], f).await
    }

    /// Send chain `chain_id`'s lines as NDJSON to `tx`, one chunk per page of rows (the export
    /// route); an error is sent as the last item.
    pub async fn export_chain(&self, chain_id: &str, tx: &mpsc::Sender<std::io::Result<Vec<u8>>>) {
        let sent = async {
            let mut c = self.client().await?;
            let mut pages = Pages::open(&mut c, CHAIN_LINES, &[&chain_id]).await?;
            loop {
                let rows = pages.next().await?;
                if rows.is_empty() {
                    return Ok::<(), String>(());
                }
                let mut chunk = Vec::new();
                for r in &rows {
                    chunk.extend_from_slice(text(r)?.as_bytes());
                    chunk.push(b'\n');
                }
                if tx.send(Ok(chunk)).await.is_err() {
                    return Ok(());
                }
            }
        };
        if let Err(e) = sent.await {
            let _ = tx.send(Err(std::io::Error::other(e))).await;
        }
    }

    /// Claim idempotency key `key_digest` on `endpoint` for a request with `fingerprint`, waiting
    /// up to `wait` for a claimer that is still running (see the module docs).
    pub async fn claim(
        &self,
        endpoint: &str,
        key_digest: &str,
        fingerprint: &str,
        wait: Duration,
    ) -> Result<Claim, String> {
        let owner = format!(
            "{}:{}",
            self.cfg.chain_id,
            datafog_files::random_hex16().map_err(|e| e.to_string())?
        );
        let lease_s = self.cfg.lease.as_secs_f64();
        let ttl_s = crate::idempotency::TTL.as_secs_f64();
        let started = Instant::now();
        let mut pause = Duration::from_millis(5);
        loop {
            let c = self.client().await?;
            let won = c
                .query_opt(
                    "INSERT INTO datafog_idempotency AS i
                         (endpoint, key_digest, fingerprint, state, owner, lease_until)
                     VALUES ($1, $2, $3, 'running', $4, clock_timestamp() + $5::float8 * interval '1 second')
                     ON CONFLICT (endpoint, key_digest) DO UPDATE
                         SET fingerprint = excluded.fingerprint, state = 'running',
                             owner = excluded.owner, lease_until = excluded.lease_until,
                             receipt_id = NULL, created_at = clock_timestamp()
                         WHERE (i.state = 'running' AND i.lease_until < clock_timestamp())
                            OR i.created_at < clock_timestamp() - $6::float8 * interval '1 second'
                     RETURNING owner",
                    &[&endpoint, &key_digest, &fingerprint, &owner, &lease_s, &ttl_s],
                )
                .await
                .map_err(|e| describe(&e))?;
            if won.is_some() {
                return Ok(Claim::Mine(Claimed {
                    endpoint: endpoint.to_owned(),
                    key_digest: key_digest.to_owned(),
                    fingerprint: fingerprint.to_owned(),
                    owner,
                }));
            }
            let row = c
                .query_opt(
                    "SELECT fingerprint, state, receipt_id FROM datafog_idempotency
                     WHERE endpoint = $1 AND key_digest = $2",
                    &[&endpoint, &key_digest],
                )
                .await
                .map_err(|e| describe(&e))?;
            drop(c);
            // No row: gone between the two statements (released by a failed claimer): claim again
            // after the pause.
            if let Some(row) = row {
                let (fp, state, receipt_id): (String, String, Option<String>) =
                    (row.get(0), row.get(1), row.get(2));
                if fp != fingerprint {
                    return Ok(Claim::Conflict);
                }
                if let ("done", Some(receipt_id)) = (state.as_str(), receipt_id) {
                    return Ok(Claim::Done { receipt_id });
                }
            }
            if started.elapsed() >= wait {
                return Err(
                    "the same idempotency key is still being decided by another request".to_owned(),
                );
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(100));
        }
    }

    /// Give up a claim whose request failed before its receipt was queued (a guest error, a
    /// refused append): a retry may run at once. Best effort (the lease expires anyway).
    pub async fn release(&self, claim: &Claimed) {
        if let Ok(c) = self.client().await {
            let _ = c
                .execute(
                    "DELETE FROM datafog_idempotency
                     WHERE endpoint = $1 AND key_digest = $2 AND owner = $3 AND state = 'running'",
                    &[&claim.endpoint, &claim.key_digest, &claim.owner],
                )
                .await;
        }
    }

    /// Can the database be reached now (a query through the pool), and is the writer healthy?
    pub async fn ready(&self) -> Result<(), String> {
        if let Some(e) = self.failure() {
            return Err(e);
        }
        let c = self.client().await?;
        c.query_one("SELECT 1", &[])
            .await
            .map_err(|e| describe(&e))?;
        Ok(())
    }

    /// Stop accepting appends and let the writer commit what is queued (graceful shutdown).
    pub async fn close(&self) {
        if let Ok(mut head) = self.head.lock() {
            head.tx = None;
        }
        let writer = self.writer.lock().ok().and_then(|mut w| w.take());
        if let Some(w) = writer {
            let _ = w.await;
        }
    }
}

/// The writer task (see the module docs).
async fn write_loop(
    mut rx: mpsc::UnboundedReceiver<Item>,
    conn: Conn,
    pg: tokio_postgres::Config,
    chain_id: String,
    health: Arc<Mutex<Health>>,
    stats: Arc<WriterStats>,
) {
    let mut conn = Some(conn);
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(item) => batch.push(item),
                Err(_) => break,
            }
        }
        let generation = health.lock().map(|h| h.generation).unwrap_or(u64::MAX);
        let (current, stale): (Vec<Item>, Vec<Item>) =
            batch.into_iter().partition(|i| i.generation == generation);
        refuse(stale);
        if current.is_empty() {
            continue;
        }
        let Some(c) = conn.as_mut() else {
            refuse(current);
            continue;
        };
        let started = Instant::now();
        let n = current.len();
        stats.batch_sizes.observe(n as u64);
        let outcome = tokio::time::timeout(BATCH_TIMEOUT, commit(c, &chain_id, &current))
            .await
            .unwrap_or_else(|_| Err(format!("commit took over {BATCH_TIMEOUT:?}")));
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        stats.fsync_micros.observe(micros);
        match outcome {
            Ok(()) => {
                stats.batches.fetch_add(1, Ordering::Relaxed);
                stats.receipts.fetch_add(n as u64, Ordering::Relaxed);
                stats
                    .fsync_micros_total
                    .fetch_add(micros, Ordering::Relaxed);
                stats.fsync_micros_max.fetch_max(micros, Ordering::Relaxed);
                if let (Ok(mut h), Some(last)) = (health.lock(), current.last()) {
                    h.durable = (last.seq, last.sealed.hash.clone());
                }
                for item in current {
                    let _ = item.ack.send(Ok(()));
                }
            }
            Err(e) => {
                stats.write_failures.fetch_add(1, Ordering::Relaxed);
                tracing::error!(
                    "receipts database: a batch of {n} failed, refusing decisions until it is back: {e}"
                );
                if let Ok(mut h) = health.lock() {
                    h.failed = Some(format!("receipts database: {e}"));
                    h.generation += 1;
                }
                for item in current {
                    let _ = item.ack.send(Err(format!("receipts database: {e}")));
                }
                // Drop the connection first (and with it the chain's lock, if it is still up).
                drop(conn.take());
                match reconnect(&mut rx, &pg, &chain_id, &health).await {
                    Some(c) => conn = Some(c),
                    None => return,
                }
            }
        }
    }
    // Closed: drop the connection (and the chain's lock).
    drop(conn);
}

/// Answer items sealed before a failure: the store failed under them.
fn refuse(items: Vec<Item>) {
    for item in items {
        let _ = item.ack.send(Err(
            "receipts database: the store failed before this receipt was committed".to_owned(),
        ));
    }
}

/// Reconnect with backoff, refusing what arrives meanwhile; `None` when the store was closed.
async fn reconnect(
    rx: &mut mpsc::UnboundedReceiver<Item>,
    pg: &tokio_postgres::Config,
    chain_id: &str,
    health: &Arc<Mutex<Health>>,
) -> Option<Conn> {
    let mut pause = Duration::from_millis(100);
    loop {
        tokio::select! {
            item = rx.recv() => match item {
                Some(item) => refuse(vec![item]),
                None => return None,
            },
            () = tokio::time::sleep(pause) => {
                match connect_writer(pg, chain_id).await {
                    Ok((conn, durable)) => {
                        if let Ok(mut h) = health.lock() {
                            h.durable = durable;
                            h.generation += 1;
                            h.failed = None;
                        }
                        tracing::info!("receipts database is back: chain `{chain_id}` continues");
                        return Some(conn);
                    }
                    Err(e) => {
                        if let Ok(mut h) = health.lock() {
                            h.failed = Some(format!("receipts database: {e}"));
                        }
                        pause = (pause * 2).min(Duration::from_secs(2));
                    }
                }
            }
        }
    }
}

/// One batch in one transaction.
async fn commit(c: &mut Conn, chain_id: &str, items: &[Item]) -> Result<(), String> {
    let mut seqs = Vec::with_capacity(items.len());
    let mut ids = Vec::with_capacity(items.len());
    let mut hashes = Vec::with_capacity(items.len());
    let mut prevs = Vec::with_capacity(items.len());
    let mut lines = Vec::with_capacity(items.len());
    let mut events = Vec::new();
    let (mut ep, mut kd, mut own, mut rids) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in items {
        seqs.push(i.seq);
        ids.push(i.sealed.receipt_id.as_str());
        hashes.push(i.sealed.hash.as_str());
        prevs.push(i.prev_hash.as_str());
        lines.push(i.sealed.line.as_str());
        if !i.extra.event.is_empty() {
            events.push(i.extra.event.as_str());
        }
        if let Some(d) = &i.extra.done {
            ep.push(d.claim.endpoint.as_str());
            kd.push(d.claim.key_digest.as_str());
            own.push(d.claim.owner.as_str());
            rids.push(d.receipt_id.as_str());
        }
    }
    let tx = c.client.transaction().await.map_err(|e| describe(&e))?;
    tx.execute(
        &c.insert,
        &[&chain_id, &seqs, &ids, &hashes, &prevs, &lines],
    )
    .await
    .map_err(|e| describe(&e))?;
    if !ep.is_empty() {
        let updated = tx
            .execute(&c.complete, &[&ep, &kd, &own, &rids])
            .await
            .map_err(|e| describe(&e))?;
        if updated < ep.len() as u64 {
            // A lease expired while its request was still running and another replica took the
            // key: that key may run twice (see `docs/operations.md`).
            tracing::warn!(
                "{} idempotency claim(s) were taken over before their receipt committed",
                ep.len() as u64 - updated
            );
        }
    }
    if !events.is_empty() {
        tx.execute(&c.events, &[&chain_id, &events])
            .await
            .map_err(|e| describe(&e))?;
    }
    tx.commit().await.map_err(|e| describe(&e))
}
