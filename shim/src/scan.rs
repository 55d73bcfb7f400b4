//! `datafog-shim scan PATH...`: scan files and directories with the core detectors, natively (no
//! server), for a terminal, a pre-commit hook or GitHub code scanning. See `docs/scan.md`.
//!
//! - Directories are walked in parallel, honouring `.gitignore`, `.ignore`, `.git/info/exclude`
//!   and the global git excludes (inside a git repository or not), skipping hidden entries unless
//!   `--hidden`; `.git` itself is never entered. Paths named on the command line are always
//!   scanned.
//! - Binary files (a NUL in the first 8000 bytes) and files over `--max-file-size` are skipped
//!   and listed, not failed.
//! - `--staged` scans what is about to be committed: the index's content of added, copied,
//!   modified, renamed and type-changed files.
//! - No output ever contains matched text: a finding is reported by path, line, column, byte
//!   range, entity type, confidence and at most a fixed public vendor prefix (see [`hit`]).
//!
//! Exit codes ([`Exit`]): 0 no findings, 1 findings, 2 usage or I/O error (a file that could not
//! be read, a failed `git`, an unwritable `--output`; 2 wins over 1).

pub mod hit;
pub mod report;
pub mod sarif;
pub mod source;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use datafog::detect::{ScanOptions, TypeFilter};
use datafog::entity::{EntityType, GROUPS};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

pub use hit::Hit;
use source::{BINARY_SNIFF, Item, SkipReason, WalkOptions};

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One line per finding: `path:line:column: type (group, confidence C)`.
    Text,
    /// One JSON document: findings, skipped files, errors, summary.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
}

/// Exit codes of `scan`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Everything was scanned; no findings.
    Clean = 0,
    /// At least one finding.
    Findings = 1,
    /// Bad arguments, or something could not be read or written.
    Error = 2,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

/// Default `--max-file-size`.
pub const DEFAULT_MAX_FILE_SIZE: &str = "10M";

/// Arguments of `datafog-shim scan`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit codes: 0 no findings, 1 findings, 2 usage or I/O error.\n\
    Matched values are never printed. See docs/scan.md."
)]
pub struct ScanArgs {
    /// Files or directories to scan (default `.`). Directories are walked honouring .gitignore
    /// and .ignore; files named here are always scanned. With --staged: limits the staged files
    /// (git pathspecs).
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Entity types or groups to report, comma-separated: `secret` (credentials and keys),
    /// `pii` (personal data), `any`, or type names (`email`, `github_token`, ...).
    #[arg(long, value_delimiter = ',', default_value = "secret", value_parser = parse_entity)]
    pub entities: Vec<String>,
    /// Report findings with at least this confidence (0 to 1).
    #[arg(long, default_value_t = 0.0, value_parser = parse_confidence)]
    pub min_confidence: f64,
    /// Skip files larger than this: bytes, or with a K, M or G suffix (powers of 1024); 0 = no
    /// limit.
    #[arg(long, default_value = DEFAULT_MAX_FILE_SIZE, value_parser = parse_size, value_name = "SIZE")]
    pub max_file_size: u64,
    /// Scan the staged content (the git index) of added and modified files, not the work tree:
    /// what `git commit` is about to record.
    #[arg(long)]
    pub staged: bool,
    /// Skip hidden files and directories (names starting with `.`). By default they are scanned:
    /// `.env`, `.npmrc` and `.aws/` are where secrets live. `.git` is always skipped.
    #[arg(long)]
    pub skip_hidden: bool,
    /// Scan hidden files and directories (the default; kept for older command lines).
    #[arg(long, hide = true, conflicts_with = "skip_hidden")]
    pub hidden: bool,
    /// Do not honour .gitignore, .ignore and git exclude files.
    #[arg(long)]
    pub no_ignore: bool,
    /// Worker threads for the directory walk (0 = one per core, at most 12).
    #[arg(short = 'j', long, default_value_t = 0)]
    pub threads: usize,
    /// No progress bar and no summary line on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

fn parse_entity(s: &str) -> Result<String, String> {
    let name = s.trim().to_ascii_lowercase();
    if GROUPS.contains(&name.as_str()) || EntityType::parse(&name).is_some() {
        return Ok(name);
    }
    let known: Vec<&str> = GROUPS
        .iter()
        .copied()
        .chain(EntityType::ALL.iter().map(|t| t.as_str()))
        .collect();
    Err(format!(
        "unknown entity type `{name}` (known: {})",
        known.join(", ")
    ))
}

fn parse_confidence(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(c) if (0.0..=1.0).contains(&c) => Ok(c),
        _ => Err(format!("`{s}` is not a confidence between 0 and 1")),
    }
}

/// `123`, `512K`, `10M`, `1G` (powers of 1024, case-insensitive, optional `B`/`iB`).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim().to_ascii_uppercase();
    let t = t
        .strip_suffix("IB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(&t);
    let (digits, shift) = match t.chars().last() {
        Some('K') => (t.get(..t.len() - 1), 10),
        Some('M') => (t.get(..t.len() - 1), 20),
        Some('G') => (t.get(..t.len() - 1), 30),
        _ => (Some(t), 0),
    };
    digits
        .and_then(|d| d.trim().parse::<u64>().ok())
        .and_then(|n| n.checked_mul(1u64 << shift))
        .ok_or_else(|| format!("`{s}` is not a size (e.g. 500K, 10M, 0 for no limit)"))
}

/// One file with findings.
#[derive(Clone, Debug, Serialize)]
pub struct FileHits {
    pub path: String,
    pub hits: Vec<Hit>,
}

/// A file that was not scanned.
#[derive(Clone, Debug, Serialize)]
pub struct Skipped {
    pub path: String,
    pub reason: SkipReason,
}

/// A file or directory that could not be read.
#[derive(Clone, Debug, Serialize)]
pub struct ScanError {
    pub path: String,
    pub message: String,
}

/// Everything a scan found, sorted by path.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// Files with at least one finding.
    pub files: Vec<FileHits>,
    pub skipped: Vec<Skipped>,
    pub errors: Vec<ScanError>,
    pub files_scanned: u64,
    pub bytes_scanned: u64,
    /// Findings dropped by a `datafog:allow` marker on their line.
    pub allowed: usize,
}

impl Outcome {
    pub fn findings(&self) -> usize {
        self.files.iter().map(|f| f.hits.len()).sum()
    }

    pub fn exit(&self) -> Exit {
        if !self.errors.is_empty() {
            Exit::Error
        } else if self.findings() > 0 {
            Exit::Findings
        } else {
            Exit::Clean
        }
    }

    fn record(&mut self, done: Done) {
        match done {
            Done::Scanned {
                path,
                len,
                hits,
                allowed,
            } => {
                self.files_scanned += 1;
                self.bytes_scanned += len;
                self.allowed += allowed;
                if !hits.is_empty() {
                    self.files.push(FileHits { path, hits });
                }
            }
            Done::Skipped(s) => self.skipped.push(s),
            Done::Failed(e) => self.errors.push(e),
        }
    }

    fn sort(&mut self) {
        self.files.sort_by(|a, b| a.path.cmp(&b.path));
        self.skipped.sort_by(|a, b| a.path.cmp(&b.path));
        self.errors.sort_by(|a, b| a.path.cmp(&b.path));
    }
}

/// One source item, after scanning.
enum Done {
    Scanned {
        path: String,
        len: u64,
        hits: Vec<Hit>,
        allowed: usize,
    },
    Skipped(Skipped),
    Failed(ScanError),
}

/// Scan one blob: `Err` if it is binary.
pub fn scan_bytes(bytes: &[u8], opts: &ScanOptions<'_>) -> Result<(Vec<Hit>, usize), SkipReason> {
    if bytes.iter().take(BINARY_SNIFF).any(|&b| b == 0) {
        return Err(SkipReason::Binary);
    }
    let findings = datafog::detect::scan(bytes, opts);
    Ok(hit::locate(bytes, &findings))
}

/// What the report needs besides the outcome.
#[derive(Clone, Debug)]
pub struct Meta {
    pub entities: Vec<String>,
    pub min_confidence: f64,
    pub filter: TypeFilter,
    /// Directory the reported relative paths are relative to (SARIF `%SRCROOT%`).
    pub root: Option<PathBuf>,
}

/// Run `scan`; the returned code is the process exit code.
pub fn run(args: &ScanArgs) -> ExitCode {
    match execute(args) {
        Ok(code) => code.into(),
        Err(e) => {
            eprintln!("datafog-shim scan: {e}");
            Exit::Error.into()
        }
    }
}

fn progress_bar(quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{spinner} scanning: {pos} files, {msg}") {
        pb.set_style(style);
    }
    pb.enable_steady_tick(Duration::from_millis(100));
    pb
}

fn execute(args: &ScanArgs) -> Result<Exit, String> {
    let filter = TypeFilter::from_names(&args.entities);
    let opts = ScanOptions {
        filter: filter.clone(),
        ner: filter.wants_ner(),
        min_confidence: args.min_confidence,
        ..ScanOptions::default()
    };
    let max_size = (args.max_file_size > 0).then_some(args.max_file_size);
    let progress = progress_bar(args.quiet);
    let outcome = Mutex::new(Outcome::default());
    let sink = |item: Item| {
        // Scan outside the lock; record under it.
        let done = match item {
            Item::Blob { path, bytes } => match scan_bytes(&bytes, &opts) {
                Ok((hits, allowed)) => Done::Scanned {
                    path,
                    len: bytes.len() as u64,
                    hits,
                    allowed,
                },
                Err(reason) => Done::Skipped(Skipped { path, reason }),
            },
            Item::Skip { path, reason } => Done::Skipped(Skipped { path, reason }),
            Item::Error { path, message } => Done::Failed(ScanError { path, message }),
        };
        let mut o = outcome.lock().unwrap_or_else(PoisonError::into_inner);
        o.record(done);
        let findings = o.findings();
        drop(o);
        progress.set_message(format!("{findings} findings"));
        progress.inc(1);
    };
    let root = if args.staged {
        let top = source::git_toplevel()?;
        source::staged(&args.paths, max_size, &sink)?;
        Some(top)
    } else {
        let default = [PathBuf::from(".")];
        let paths = if args.paths.is_empty() {
            &default[..]
        } else {
            &args.paths[..]
        };
        let walk = WalkOptions {
            hidden: !args.skip_hidden,
            no_ignore: args.no_ignore,
            threads: args.threads,
            max_size,
        };
        source::walk(paths, &walk, &sink);
        std::env::current_dir().ok()
    };
    progress.finish_and_clear();
    let mut outcome = outcome.into_inner().unwrap_or_else(PoisonError::into_inner);
    outcome.sort();
    let meta = Meta {
        entities: args.entities.clone(),
        min_confidence: args.min_confidence,
        filter,
        root,
    };
    let rendered = match args.format {
        Format::Text => report::text(&outcome),
        Format::Json => report::json(&outcome, &meta),
        Format::Sarif => sarif::render(&outcome, &meta),
    };
    write_report(args.output.as_deref(), &rendered)?;
    for e in &outcome.errors {
        if e.path.is_empty() {
            eprintln!("datafog-shim scan: {}", e.message);
        } else {
            eprintln!("datafog-shim scan: `{}`: {}", e.path, e.message);
        }
    }
    if !args.quiet {
        eprintln!("{}", report::summary(&outcome, max_size));
    }
    Ok(outcome.exit())
}

fn write_report(output: Option<&Path>, text: &str) -> Result<(), String> {
    match output {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| format!("cannot write `--output` `{}`: {e}", path.display())),
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
                Ok(()) => Ok(()),
                // A closed pipe (`| head`) is not an error worth reporting.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                Err(e) => Err(format!("cannot write to stdout: {e}")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("0"), Ok(0));
        assert_eq!(parse_size("512"), Ok(512));
        assert_eq!(parse_size("10M"), Ok(10 << 20));
        assert_eq!(parse_size("2k"), Ok(2048));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("3MB"), Ok(3 << 20));
        assert!(parse_size("ten").is_err());
        assert!(parse_size("").is_err());
    }

    #[test]
    fn entity_names_are_checked() {
        assert_eq!(parse_entity(" Secret "), Ok("secret".to_owned()));
        assert_eq!(parse_entity("github_token"), Ok("github_token".to_owned()));
        let e = parse_entity("githb_token").unwrap_err();
        assert!(e.starts_with("unknown entity type `githb_token` (known: secret, pii, any, email"));
    }

    #[test]
    fn binary_is_skipped() {
        let opts = ScanOptions::default();
        assert_eq!(scan_bytes(b"a\0b", &opts), Err(SkipReason::Binary));
        assert!(scan_bytes(b"plain", &opts).is_ok());
    }
}
