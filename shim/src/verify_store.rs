//! `datafog-shim receipts verify --store postgres://…` and `receipts export --store … --chain ID`:
//! the PostgreSQL store of a `datafog-api` fleet (`docs/operations.md`, "Running a fleet").
//!
//! Every chain in the database (one per replica) is read in `seq` order, a page of rows per round
//! trip, and streamed through the same verifier as a file ([`crate::verify::verify_reader`]), from
//! the genesis hash. Two more checks only the database needs: `seq` has no gaps (a removed row
//! that the hashes cannot show when it was the last), and every receipt names its chain (a chain
//! copied under another id). The export writes one chain as JSONL exactly as stored, which
//! `receipts verify FILE` then verifies offline.
//!
//! The URL is never printed (it may hold a password); reports name chains.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use datafog::receipt::GENESIS_HASH;
use datafog_files::pg::{CHAIN_LINES, describe};
use postgres::{Client, NoTls};
use serde::Serialize;

use crate::verify::{Exit, Report, text, verify_reader};

/// Rows per round trip.
const PAGE_ROWS: i32 = 1000;

/// Arguments of `datafog-shim receipts export`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit codes: 0 written, 2 usage, database or I/O error (a partial output file is removed)."
)]
pub struct ExportArgs {
    /// The PostgreSQL store: `postgres://user:pass@host:port/db` (as `DATAFOG_STORE_URL`).
    #[arg(long, value_name = "URL")]
    pub store: String,
    /// The chain to export (a replica's `DATAFOG_REPLICA_ID`; `receipts verify --store` lists
    /// them).
    #[arg(long, value_name = "ID")]
    pub chain: String,
    /// Write here (synced) instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

fn connect(url: &str) -> Result<Client, String> {
    let mut cfg: postgres::Config = url
        .parse()
        .map_err(|e| format!("--store is not a PostgreSQL URL: {e}"))?;
    cfg.connect_timeout(std::time::Duration::from_secs(5));
    cfg.application_name("datafog-shim");
    cfg.connect(NoTls)
        .map_err(|e| format!("connect to the store: {}", describe(&e)))
}

/// A chain's lines as one NDJSON byte stream, read a page at a time.
struct ChainReader<'a> {
    tx: postgres::Transaction<'a>,
    portal: postgres::Portal,
    buf: Vec<u8>,
    pos: usize,
    done: bool,
}

impl<'a> ChainReader<'a> {
    fn open(client: &'a mut Client, chain: &str) -> Result<ChainReader<'a>, String> {
        let mut tx = client.transaction().map_err(|e| describe(&e))?;
        let portal = tx.bind(CHAIN_LINES, &[&chain]).map_err(|e| describe(&e))?;
        Ok(ChainReader {
            tx,
            portal,
            buf: Vec::new(),
            pos: 0,
            done: false,
        })
    }
}

impl Read for ChainReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.pos >= self.buf.len() && !self.done {
            let rows = self
                .tx
                .query_portal(&self.portal, PAGE_ROWS)
                .map_err(|e| std::io::Error::other(describe(&e)))?;
            self.buf.clear();
            self.pos = 0;
            if rows.is_empty() {
                self.done = true;
            }
            for r in &rows {
                let line: &str = r
                    .try_get(0)
                    .map_err(|e| std::io::Error::other(describe(&e)))?;
                self.buf.extend_from_slice(line.as_bytes());
                self.buf.push(b'\n');
            }
        }
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        let n = rest.len().min(out.len());
        if let (Some(to), Some(from)) = (out.get_mut(..n), rest.get(..n)) {
            to.copy_from_slice(from);
        }
        self.pos += n;
        Ok(n)
    }
}

/// One chain's verdict.
#[derive(Serialize)]
struct ChainReport {
    chain_id: String,
    #[serde(flatten)]
    report: Report,
    /// A database-only problem (gaps, a receipt naming another chain), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<String>,
}

/// The database-only checks of chain `chain` (see the module docs).
fn stored_problem(client: &mut Client, chain: &str) -> Result<Option<String>, String> {
    let row = client
        .query_one(
            "SELECT count(*), coalesce(max(seq), 0),
                    count(*) FILTER (WHERE (line::jsonb ->> 'chain_id') IS DISTINCT FROM chain_id)
             FROM datafog_receipts WHERE chain_id = $1",
            &[&chain],
        )
        .map_err(|e| describe(&e))?;
    let (count, max, misnamed): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
    Ok(if count != max {
        Some(format!(
            "sequence numbers have gaps: {count} rows, highest seq {max} (rows removed)"
        ))
    } else if misnamed > 0 {
        Some(format!("{misnamed} receipt(s) do not name chain `{chain}`"))
    } else {
        None
    })
}

/// `receipts verify --store URL`: every chain (see the module docs).
pub fn verify(url: &str, json: bool) -> ExitCode {
    let fail = |msg: String| -> ExitCode {
        eprintln!("datafog-shim receipts verify: {msg}");
        if json {
            println!("{}", serde_json::json!({ "ok": false, "error": msg }));
        }
        Exit::Error.into()
    };
    let mut client = match connect(url) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let chains: Vec<String> = match client.query(
        "SELECT DISTINCT chain_id FROM datafog_receipts ORDER BY chain_id",
        &[],
    ) {
        Ok(rows) => rows.iter().map(|r| r.get(0)).collect(),
        Err(e) => return fail(format!("list chains: {}", describe(&e))),
    };
    let mut reports = Vec::with_capacity(chains.len());
    for chain in chains {
        let problem = match stored_problem(&mut client, &chain) {
            Ok(p) => p,
            Err(e) => return fail(format!("chain `{chain}`: {e}")),
        };
        let report = ChainReader::open(&mut client, &chain).and_then(|r| {
            verify_reader(r, &format!("chain {chain}"), GENESIS_HASH).map_err(|e| e.to_string())
        });
        match report {
            Ok(report) => reports.push(ChainReport {
                chain_id: chain,
                report,
                problem,
            }),
            Err(e) => return fail(format!("chain `{chain}`: {e}")),
        }
    }
    let ok = reports.iter().all(|c| c.report.ok && c.problem.is_none());
    if json {
        println!(
            "{}",
            serde_json::json!({ "ok": ok, "chains": reports.iter().map(|c| serde_json::to_value(c).unwrap_or_default()).collect::<Vec<_>>() })
        );
    } else {
        if reports.is_empty() {
            println!("no receipts in the store");
        }
        for c in &reports {
            print!("{}", text(&c.report));
            if let Some(p) = &c.problem {
                println!("chain {}: BROKEN: {p}", c.chain_id);
            }
        }
    }
    if ok {
        Exit::Ok.into()
    } else {
        Exit::Broken.into()
    }
}

/// `receipts export --store URL --chain ID [--out FILE]`.
pub fn export(args: &ExportArgs) -> ExitCode {
    let fail = |msg: String| -> ExitCode {
        eprintln!("datafog-shim receipts export: {msg}");
        Exit::Error.into()
    };
    let mut client = match connect(&args.store) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let reader = match ChainReader::open(&mut client, &args.chain) {
        Ok(r) => r,
        Err(e) => return fail(format!("chain `{}`: {e}", args.chain)),
    };
    match &args.out {
        None => {
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            let mut reader = reader;
            match std::io::copy(&mut reader, &mut out).and_then(|_| out.flush()) {
                Ok(()) => Exit::Ok.into(),
                Err(e) => fail(format!("chain `{}`: {e}", args.chain)),
            }
        }
        Some(path) => {
            let written = std::fs::File::create(path).and_then(|mut f| {
                let mut reader = reader;
                std::io::copy(&mut reader, &mut f)?;
                f.sync_all()
            });
            match written {
                Ok(()) => Exit::Ok.into(),
                Err(e) => {
                    let _ = std::fs::remove_file(path);
                    fail(format!(
                        "chain `{}` to `{}`: {e}",
                        args.chain,
                        path.display()
                    ))
                }
            }
        }
    }
}
