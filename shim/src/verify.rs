//! `datafog-shim receipts verify FILE`: verify a receipts chain offline and report the first
//! break. See `docs/scan.md`.
//!
//! The file is streamed line by line (memory is bounded by the longest line, at most
//! [`MAX_LINE`]); each line goes through the core's verifier
//! (`datafog::receipt::verify_line`) with the previous line's `hash`, so the result is
//! exactly what the core and `datafog-api` would conclude. Blank lines are skipped but counted
//! in line numbers.
//!
//! A break is one of: `not_utf8`, `malformed` (not a JSON object), `missing_field` (`hash` or
//! `prev_hash`), `hash_mismatch` (the receipt was altered), `broken_link` (`prev_hash` is not the
//! previous receipt's `hash`: a receipt was removed, reordered or inserted), `line_too_long`, and
//! `torn_last_line`: a last line without its newline that is not a whole JSON object, which is
//! what a crash in the middle of a write leaves (`datafog-api` cuts it on start-up). A last line
//! without a newline that *is* a whole receipt is verified like any other.
//!
//! # Signed checkpoints (`--public-key KEY [--checkpoint FILE]`)
//! With a public key (as `datafog-api` prints it at start and `GET /v1/receipts/checkpoint`
//! serves it), every checkpoint in `--checkpoint FILE` (a saved route answer or a checkpoints
//! file), or else in `FILE.checkpoints` beside the receipts, is checked
//! (`datafog_files::checkpoint`): its Ed25519 signature under that key, then that the receipts
//! chain reaches its `count` with its `last_hash`. A receipts file shorter than a checkpoint is
//! `truncated` ("checkpoint covers N receipts, file has M"); another hash at that position is
//! `rewritten` (a receipt changed and the chain recomputed after it, which the chain alone cannot
//! show). Asking for checkpoints and finding none is a usage error.
//!
//! Exit codes ([`Exit`]): 0 the chain verifies (and every checkpoint), 1 it is broken (also for a
//! torn last line unless `--allow-torn-tail`, and for a chain that is truncated or rewritten
//! relative to a checkpoint), 2 usage or I/O error, 3 a checkpoint does not verify under
//! `--public-key` (bad signature, another key, malformed): the anchor itself is not to be trusted.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use datafog::receipt::tail::is_torn;
use datafog::receipt::{ChainErrorKind, GENESIS_HASH, verify_line};
use datafog_files::checkpoint::{self, Checkpoint, Invalid, PublicKey};
use serde::Serialize;
use serde_json::Value;

/// Longest line read (a receipt carries no text; real ones are a few KiB).
pub const MAX_LINE: u64 = 64 << 20;

/// Exit codes of `receipts verify`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// The chain verifies.
    Ok = 0,
    /// The chain is broken (the report says where).
    Broken = 1,
    /// Bad arguments, or the file could not be read.
    Error = 2,
    /// A checkpoint does not verify under `--public-key` (bad signature, another key, malformed).
    BadCheckpoint = 3,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

/// Arguments of `datafog-shim receipts verify`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit codes: 0 chain verifies, 1 chain broken (or truncated/rewritten against a checkpoint), 2 usage or I/O error, 3 a checkpoint's signature does not verify."
)]
pub struct VerifyArgs {
    /// The receipts JSONL file (one canonical receipt per line).
    #[arg(required_unless_present = "store")]
    pub file: Option<PathBuf>,
    /// Verify every chain of a PostgreSQL store instead (`postgres://…`, as `DATAFOG_STORE_URL`;
    /// see `verify_store`).
    #[arg(long, value_name = "URL", conflicts_with_all = ["file", "prev_hash", "public_key", "allow_torn_tail"])]
    pub store: Option<String>,
    /// Print the report as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// `prev_hash` the first receipt must carry: the previous file's head hash, to continue a
    /// chain across rotated files.
    #[arg(long, value_name = "HASH", default_value = GENESIS_HASH)]
    pub prev_hash: String,
    /// Accept a torn last line (a crash mid-write): report it, but exit 0 if everything before
    /// it verifies.
    #[arg(long)]
    pub allow_torn_tail: bool,
    /// Check signed checkpoints with this Ed25519 public key: 64 hex digits (as `datafog-api`
    /// prints it at start and `GET /v1/receipts/checkpoint` serves it), or a file holding them.
    /// Checkpoints come from `--checkpoint`, or else from `FILE.checkpoints`.
    #[arg(long, value_name = "KEY")]
    pub public_key: Option<String>,
    /// A checkpoint kept elsewhere (the body of `GET /v1/receipts/checkpoint`, or a checkpoints
    /// file), checked instead of `FILE.checkpoints`: the receipts must reach its count with its
    /// hash.
    #[arg(long, value_name = "FILE", requires = "public_key")]
    pub checkpoint: Option<PathBuf>,
}

/// The first break.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Break {
    /// 1-based, counting blank lines (across every file of a rotated chain).
    pub line: usize,
    /// With rotated segments: the file the break is in, and the line within it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_line: Option<usize>,
    /// The receipt's `receipt_id`, when the line parses and has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt_id: Option<String>,
    /// `malformed`, `not_utf8`, `missing_field`, `hash_mismatch`, `broken_link`,
    /// `line_too_long` or `torn_last_line`.
    pub kind: &'static str,
    pub message: String,
    /// For `broken_link`: the previous receipt's `hash` (what `prev_hash` should be).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_prev_hash: Option<String>,
    /// For `broken_link`: the `prev_hash` the line carries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found_prev_hash: Option<String>,
    /// For `hash_mismatch`: the `hash` the line carries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stored_hash: Option<String>,
}

/// What verification found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    pub ok: bool,
    pub file: String,
    /// Receipts verified (before the break, if any).
    pub receipts: usize,
    /// `hash` of the last verified receipt (the chain head; `prev_hash` if none verified).
    pub head_hash: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_receipt_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_receipt_id: Option<String>,
    /// The first break (`null` when the chain verifies).
    #[serde(rename = "break")]
    pub brk: Option<Break>,
    /// Each checkpoint checked (`--public-key`), in the order found.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checkpoints: Vec<CheckpointCheck>,
    /// The rotated segments read before `file` (`<file>.000001`, ...: `datafog-api` rotates
    /// with `DATAFOG_RECEIPT_ROTATE_MB`), oldest first: one chain with it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<String>,
}

/// One checkpoint's verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CheckpointCheck {
    /// `PATH:LINE`.
    pub source: String,
    /// Receipts it covers (absent when it does not parse).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// `ok`, `bad_signature`, `other_key`, `malformed`, `truncated`, `rewritten`, or
    /// `not_reached` (the chain broke before its count; the break is reported).
    pub status: &'static str,
    pub message: String,
}

impl CheckpointCheck {
    fn signature_failed(&self) -> bool {
        matches!(self.status, "bad_signature" | "other_key" | "malformed")
    }
}

fn receipt_id(v: &Value) -> Option<String> {
    v.get("receipt_id")?.as_str().map(str::to_owned)
}

fn field(v: &Value, name: &str) -> Option<String> {
    v.get(name)?.as_str().map(str::to_owned)
}

/// Verify a stream of receipts whose first `prev_hash` must be `prev_hash`.
pub fn verify_reader(reader: impl Read, file: &str, prev_hash: &str) -> std::io::Result<Report> {
    verify_reader_at(reader, file, prev_hash, &BTreeSet::new()).map(|(r, _)| r)
}

/// [`verify_reader`], also returning the `hash` of receipt number `n` for each `n` in `want`
/// that the verified chain reaches (`prev_hash` for 0).
pub fn verify_reader_at(
    reader: impl Read,
    file: &str,
    prev_hash: &str,
    want: &BTreeSet<u64>,
) -> std::io::Result<(Report, BTreeMap<u64, String>)> {
    let mut at = BTreeMap::new();
    if want.contains(&0) {
        at.insert(0, prev_hash.to_owned());
    }
    let mut reader = BufReader::new(reader);
    let mut report = Report {
        ok: true,
        file: file.to_owned(),
        receipts: 0,
        head_hash: prev_hash.to_owned(),
        first_receipt_id: None,
        last_receipt_id: None,
        brk: None,
        checkpoints: Vec::new(),
        segments: Vec::new(),
    };
    let mut buf = Vec::new();
    let mut line_no = 0usize;
    loop {
        buf.clear();
        let n = (&mut reader)
            .take(MAX_LINE + 1)
            .read_until(b'\n', &mut buf)?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let complete = buf.last() == Some(&b'\n');
        let brk = |kind: &'static str, message: String| Break {
            line: line_no,
            in_file: None,
            file_line: None,
            receipt_id: None,
            kind,
            message,
            expected_prev_hash: None,
            found_prev_hash: None,
            stored_hash: None,
        };
        if !complete && n as u64 > MAX_LINE {
            report.brk = Some(brk(
                "line_too_long",
                format!("line {line_no}: longer than {MAX_LINE} bytes; not a receipt"),
            ));
            break;
        }
        let body = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let Ok(text) = std::str::from_utf8(body) else {
            report.brk = Some(if complete {
                brk("not_utf8", format!("line {line_no}: not UTF-8"))
            } else {
                torn(line_no, n)
            });
            break;
        };
        if text.trim().is_empty() {
            continue;
        }
        match verify_line(&report.head_hash, text) {
            // Blank lines were skipped above.
            Ok(None) => {}
            Ok(Some(hash)) => {
                let id = serde_json::from_str::<Value>(text)
                    .ok()
                    .as_ref()
                    .and_then(receipt_id);
                if report.first_receipt_id.is_none() {
                    report.first_receipt_id.clone_from(&id);
                }
                report.last_receipt_id = id;
                report.head_hash = hash;
                report.receipts += 1;
                let n = report.receipts as u64;
                if want.contains(&n) {
                    at.insert(n, report.head_hash.clone());
                }
            }
            // The one rule for a last line without its newline (`datafog::receipt::tail`).
            Err(_) if !complete && is_torn(body) => {
                report.brk = Some(torn(line_no, n));
                break;
            }
            Err(kind) => {
                let parsed = serde_json::from_str::<Value>(text).ok();
                let v = parsed.as_ref();
                let mut b = brk("", format!("line {line_no}: {kind}"));
                b.receipt_id = v.and_then(receipt_id);
                b.kind = match kind {
                    ChainErrorKind::Malformed => "malformed",
                    ChainErrorKind::MissingField(_) => "missing_field",
                    ChainErrorKind::HashMismatch => {
                        b.stored_hash = v.and_then(|v| field(v, "hash"));
                        b.message.push_str(" (the receipt was altered)");
                        "hash_mismatch"
                    }
                    ChainErrorKind::BrokenLink => {
                        b.expected_prev_hash = Some(report.head_hash.clone());
                        b.found_prev_hash = v.and_then(|v| field(v, "prev_hash"));
                        b.message.push_str(if report.receipts == 0 && line_no == 1 {
                            " (the chain does not start at the expected hash: a first receipt \
                             was removed, or this file continues another one: pass --prev-hash)"
                        } else {
                            " (a receipt was removed, reordered or inserted)"
                        });
                        "broken_link"
                    }
                };
                report.brk = Some(b);
                break;
            }
        }
    }
    report.ok = report.brk.is_none();
    Ok((report, at))
}

/// A public key as 64 hex digits, or a file holding them.
pub fn read_public_key(arg: &str) -> Result<PublicKey, String> {
    let arg = arg.trim();
    if arg.len() == 64 && arg.bytes().all(|b| b.is_ascii_hexdigit()) {
        return PublicKey::from_hex(&arg.to_ascii_lowercase())
            .map_err(|e| format!("--public-key: {e}"));
    }
    let text = std::fs::read_to_string(arg).map_err(|e| {
        format!("--public-key `{arg}`: not 64 hex digits, and not a readable file ({e})")
    })?;
    PublicKey::from_hex(&text.trim().to_ascii_lowercase())
        .map_err(|e| format!("--public-key `{arg}`: {e}"))
}

/// Checkpoints found, each with where it was (`PATH:LINE`) and whether it parsed.
pub type Found = Vec<(String, Result<Checkpoint, String>)>;

/// Every checkpoint in `--checkpoint FILE`, or else in `FILE.checkpoints` beside the receipts,
/// as `(PATH:LINE, parsed)`; an error when the file cannot be read or holds none.
pub fn gather_checkpoints(receipts: &Path, given: Option<&Path>) -> Result<Found, String> {
    let path = given.map_or_else(|| checkpoint::path_for(receipts), Path::to_path_buf);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        let hint = if given.is_none() {
            "; pass --checkpoint FILE (a saved `GET /v1/receipts/checkpoint`)"
        } else {
            ""
        };
        format!("no checkpoint to check: `{}`: {e}{hint}", path.display())
    })?;
    let found: Found = checkpoint::parse_many(&text)
        .into_iter()
        .map(|(line, cp)| (format!("{}:{line}", path.display()), cp))
        .collect();
    if found.is_empty() {
        return Err(format!(
            "no checkpoint to check: `{}` is empty",
            path.display()
        ));
    }
    Ok(found)
}

/// Check `checkpoints` under `key` against the receipts in `reader`: the chain report with a
/// verdict per checkpoint (see the module docs). `ok` is false when the chain is broken or any
/// checkpoint fails.
pub fn verify_with_checkpoints(
    reader: impl Read,
    file: &str,
    prev_hash: &str,
    key: &PublicKey,
    checkpoints: Found,
) -> std::io::Result<Report> {
    let mut checks = Vec::new();
    let mut signed = Vec::new();
    for (source, cp) in checkpoints {
        let verdict = cp.map_err(Invalid::Malformed).and_then(|cp| {
            key.verify(&cp)?;
            Ok(cp)
        });
        match verdict {
            Ok(cp) => {
                signed.push((checks.len(), cp.clone()));
                checks.push(CheckpointCheck {
                    source,
                    count: Some(cp.count),
                    status: "ok",
                    message: format!(
                        "{} receipts ending in {}, signed {} by key {}",
                        cp.count, cp.last_hash, cp.time, cp.key_id
                    ),
                });
            }
            Err(e) => checks.push(CheckpointCheck {
                source,
                count: None,
                status: match e {
                    Invalid::Malformed(_) => "malformed",
                    Invalid::OtherKey { .. } => "other_key",
                    Invalid::BadSignature => "bad_signature",
                },
                message: e.to_string(),
            }),
        }
    }
    let want: BTreeSet<u64> = signed.iter().map(|(_, cp)| cp.count).collect();
    let (mut report, at) = verify_reader_at(reader, file, prev_hash, &want)?;
    for (i, cp) in signed {
        let Some(check) = checks.get_mut(i) else {
            continue;
        };
        let reached = at.get(&cp.count).map(String::as_str);
        // A torn tail is not a break that hides a checkpoint: the receipts before it must
        // reach the count (else `truncated`).
        let broken = report
            .brk
            .as_ref()
            .is_some_and(|b| b.kind != "torn_last_line");
        if reached.is_none() && broken {
            check.status = "not_reached";
            check.message = format!(
                "covers {} receipts; the chain breaks before (see the break)",
                cp.count
            );
            continue;
        }
        if let Err(e) = cp.check_against(report.receipts as u64, reached) {
            check.status = match e {
                checkpoint::Mismatch::Truncated { .. } => "truncated",
                checkpoint::Mismatch::Rewritten { .. } => "rewritten",
            };
            check.message = e.to_string();
        }
    }
    report.checkpoints = checks;
    report.ok &= report
        .checkpoints
        .iter()
        .all(|c| matches!(c.status, "ok" | "not_reached"));
    Ok(report)
}

fn torn(line: usize, bytes: usize) -> Break {
    Break {
        line,
        in_file: None,
        file_line: None,
        receipt_id: None,
        kind: "torn_last_line",
        message: format!(
            "line {line}: torn last line ({bytes} bytes, no newline, not a whole receipt): a \
             write was interrupted; datafog-api cuts it on start-up"
        ),
        expected_prev_hash: None,
        found_prev_hash: None,
        stored_hash: None,
    }
}

/// Human-readable report.
pub fn text(r: &Report) -> String {
    let mut s = String::new();
    let failed: Vec<&CheckpointCheck> = r
        .checkpoints
        .iter()
        .filter(|c| !matches!(c.status, "ok" | "not_reached"))
        .collect();
    match &r.brk {
        None if !failed.is_empty() => s.push_str(&format!(
            "broken: {}: {} receipts, chain intact, but {} checkpoint(s) fail\n",
            r.file,
            r.receipts,
            failed.len()
        )),
        None if !r.segments.is_empty() => s.push_str(&format!(
            "ok: {} and {} rotated segment(s) before it: {} receipts, chain intact\n",
            r.file,
            r.segments.len(),
            r.receipts
        )),
        None => s.push_str(&format!(
            "ok: {}: {} receipts, chain intact\n",
            r.file, r.receipts
        )),
        Some(b) => {
            let id = b
                .receipt_id
                .as_deref()
                .map(|id| format!(" (receipt {id})"))
                .unwrap_or_default();
            match (&b.in_file, b.file_line) {
                (Some(f), Some(l)) => s.push_str(&format!(
                    "broken: {f}: line {l} (line {} of the rotated chain){id}: {}\n",
                    b.line, b.kind
                )),
                _ => s.push_str(&format!(
                    "broken: {}: line {}{id}: {}\n",
                    r.file, b.line, b.kind
                )),
            }
            s.push_str(&format!("  {}\n", b.message));
            if let (Some(want), Some(got)) = (&b.expected_prev_hash, &b.found_prev_hash) {
                s.push_str(&format!(
                    "  expected prev_hash {want}\n  found    prev_hash {got}\n"
                ));
            }
            s.push_str(&format!("  {} receipts before it verify\n", r.receipts));
        }
    }
    s.push_str(&format!("head hash: {}\n", r.head_hash));
    if let Some(id) = &r.last_receipt_id {
        s.push_str(&format!("last verified receipt: {id}\n"));
    }
    for c in &r.checkpoints {
        // `truncated: ...` and `rewritten: ...` messages already start with their status.
        let status = if c.message.starts_with(c.status) {
            String::new()
        } else {
            format!("{}: ", c.status)
        };
        s.push_str(&format!("checkpoint {}: {status}{}\n", c.source, c.message));
    }
    s
}

/// Name the file (and the line in it) of a break in a rotated chain: `segments` then `file` were
/// read as one stream, and the break's `line` counts across them.
fn locate_break(report: &mut Report, segments: &[PathBuf], file: &Path) {
    let Some(b) = report.brk.as_mut() else {
        return;
    };
    let mut before = 0usize;
    for seg in segments {
        // Lines of a whole segment (each ends with a newline; a last line without one counts).
        let lines = File::open(seg).map_or(0, |f| {
            let mut r = BufReader::new(f);
            let (mut n, mut last) = (0usize, b'\n');
            while let Ok(chunk) = r.fill_buf() {
                if chunk.is_empty() {
                    break;
                }
                n += chunk.iter().filter(|&&c| c == b'\n').count();
                last = chunk.last().copied().unwrap_or(last);
                let len = chunk.len();
                r.consume(len);
            }
            n + usize::from(last != b'\n')
        });
        if b.line <= before + lines {
            b.in_file = Some(seg.display().to_string());
            b.file_line = Some(b.line - before);
            return;
        }
        before += lines;
    }
    b.in_file = Some(file.display().to_string());
    b.file_line = Some(b.line - before);
}

/// Run `receipts verify`; the returned code is the process exit code.
pub fn run(args: &VerifyArgs) -> ExitCode {
    if let Some(url) = &args.store {
        return crate::verify_store::verify(url, args.json);
    }
    let Some(file) = &args.file else {
        eprintln!("datafog-shim receipts verify: give a receipts FILE or --store URL");
        return Exit::Error.into();
    };
    let shown = file.display().to_string();
    let fail = |msg: String| -> ExitCode {
        eprintln!("datafog-shim receipts verify: {msg}");
        if args.json {
            println!(
                "{}",
                serde_json::json!({ "ok": false, "file": shown, "error": msg })
            );
        }
        Exit::Error.into()
    };
    // With --public-key: the key and every checkpoint first (usage errors before any reading).
    let checkpoints = match &args.public_key {
        Some(k) => match read_public_key(k)
            .and_then(|key| gather_checkpoints(file, args.checkpoint.as_deref()).map(|c| (key, c)))
        {
            Ok(kc) => Some(kc),
            Err(e) => return fail(e),
        },
        None => None,
    };
    // A rotated chain: the segments beside the file, oldest first, then the file.
    let segments: Vec<PathBuf> = match datafog_files::receipts::segments(file) {
        Ok(s) => s.into_iter().map(|(_, p)| p).collect(),
        Err(e) => {
            return fail(format!(
                "receipts file `{shown}`: listing its segments: {e}"
            ));
        }
    };
    let result = File::open(file).and_then(|f| {
        if f.metadata()?.is_dir() {
            return Err(std::io::Error::other("is a directory"));
        }
        let mut chain: Box<dyn Read> = Box::new(std::io::empty());
        for seg in &segments {
            chain = Box::new(chain.chain(File::open(seg)?));
        }
        let chain = chain.chain(f);
        match checkpoints {
            Some((key, cps)) => verify_with_checkpoints(chain, &shown, &args.prev_hash, &key, cps),
            None => verify_reader(chain, &shown, &args.prev_hash),
        }
    });
    let mut report = match result {
        Ok(r) => r,
        Err(e) => return fail(format!("receipts file `{shown}`: {e}")),
    };
    if !segments.is_empty() {
        locate_break(&mut report, &segments, file);
        report.segments = segments.iter().map(|p| p.display().to_string()).collect();
    }
    // Tolerating a torn tail concerns the chain only: a failed checkpoint still fails.
    let torn_only = report
        .brk
        .as_ref()
        .is_some_and(|b| b.kind == "torn_last_line");
    let checkpoints_ok = report
        .checkpoints
        .iter()
        .all(|c| matches!(c.status, "ok" | "not_reached"));
    let tolerated = args.allow_torn_tail && torn_only && checkpoints_ok;
    if args.json {
        let mut v = serde_json::to_value(&report).unwrap_or(Value::Null);
        if tolerated && let Some(o) = v.as_object_mut() {
            o.insert("ok".into(), Value::Bool(true));
        }
        println!("{v}");
    } else {
        print!("{}", text(&report));
        if tolerated {
            println!("torn last line tolerated (--allow-torn-tail)");
        }
    }
    if report
        .checkpoints
        .iter()
        .any(CheckpointCheck::signature_failed)
    {
        Exit::BadCheckpoint.into()
    } else if report.ok || tolerated {
        Exit::Ok.into()
    } else {
        Exit::Broken.into()
    }
}
