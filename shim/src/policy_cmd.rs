//! `datafog-shim policy check|test|explain`: policy tooling for authors and CI, run on the core's
//! own parser and evaluator (`datafog::policy`, `datafog::api::decide`), so what passes here is
//! what `datafog-api` loads and decides. See `docs/policy-format.md` ("Testing a policy").
//!
//! - `check FILE...`: validate; every problem with its rule, field and help.
//! - `test PATH...`: run test files (`*_test.json` under a directory, or files named directly):
//!   each case is an action plus text and/or findings and the expected decision, matched rules,
//!   transform plan, reason or entity types; a failure names the case and every field that
//!   differs (rule ids and entity types, never the case's text).
//! - `explain --policy FILE --action JSON (--text TEXT | --stdin)`: the decision and every rule
//!   in evaluation order with why it matched or not (the first condition that failed).
//!
//! Exit codes ([`Exit`]): 0 ok, 1 invalid policy / failed case / invalid test file, 2 usage or
//! I/O (a file that cannot be read).

use std::collections::BTreeSet;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use datafog::api::{DecideContext, DecideRequest, ScanFinding};
use datafog::policy::{Action, Effect, Policy, PolicyError};
use datafog::transform::TransformStep;
use serde::{Deserialize, Serialize};

/// Exit codes of `policy ...`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Valid / every case passed / explained.
    Ok = 0,
    /// A policy is invalid, a case failed, or a test file is invalid.
    Failed = 1,
    /// Bad arguments, or a file could not be read.
    Error = 2,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Validate policy files: every error with its rule, field and help.
    Check(CheckArgs),
    /// Run policy test files (`*_test.json` in directories, or files named directly).
    Test(TestArgs),
    /// Explain a decision: every rule in evaluation order and why it matched or not.
    Explain(ExplainArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Policy files.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Test files, or directories searched (recursively) for `*_test.json`.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Run every test file against this policy instead of the file's own `policy`.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Print passing cases too.
    #[arg(short, long)]
    pub verbose: bool,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The policy file.
    #[arg(long, value_name = "FILE")]
    pub policy: PathBuf,
    /// The action as JSON: `{"type":"shell.exec","command":"curl","args":["..."]}`.
    #[arg(long, value_name = "JSON")]
    pub action: String,
    /// The payload text to scan.
    #[arg(long, value_name = "TEXT", conflicts_with = "stdin")]
    pub text: Option<String>,
    /// Read the payload text from stdin.
    #[arg(long)]
    pub stdin: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(cmd: &PolicyCommand) -> ExitCode {
    let exit = match cmd {
        PolicyCommand::Check(a) => check(a),
        PolicyCommand::Test(a) => test(a),
        PolicyCommand::Explain(a) => explain(a),
    };
    exit.into()
}

// ------------------------------------------------------------------ check

/// Read and parse a policy file: `Err((exit, message))` for an unreadable file (2) or an invalid
/// policy (1, every problem on its own line).
fn load(path: &Path) -> Result<Policy, (Exit, String)> {
    let bytes = datafog::policy::read_policy_file(path)
        .map_err(|e| (Exit::Error, format!("{}: {e}", path.display())))?;
    Policy::from_json(&bytes).map_err(|e| (Exit::Failed, describe(path, &e)))
}

/// Every problem of `e`, one per line: `FILE: rule `r`, field `f`: message (help)`.
pub fn describe(path: &Path, e: &PolicyError) -> String {
    e.errors
        .iter()
        .map(|f| {
            let mut line = format!("{}: ", path.display());
            match &f.rule {
                Some(rule) => line.push_str(&format!("rule `{rule}`")),
                None => line.push_str("policy"),
            }
            if !f.field.is_empty() {
                line.push_str(&format!(", field `{}`", f.field));
            }
            line.push_str(&format!(": {}", f.message));
            if let Some(help) = &f.help {
                line.push_str(&format!(" (help: {help})"));
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn check(a: &CheckArgs) -> Exit {
    let mut worst = Exit::Ok;
    for path in &a.files {
        match load(path) {
            Ok(p) => {
                for w in p.warnings() {
                    eprintln!(
                        "{}: warning: field `{}`: {}{}",
                        path.display(),
                        w.field,
                        w.message,
                        w.help
                            .as_deref()
                            .map(|h| format!(" (help: {h})"))
                            .unwrap_or_default()
                    );
                }
                println!(
                    "ok {}: policy `{}` version `{}`, {} rules",
                    path.display(),
                    p.policy_id,
                    p.policy_version,
                    p.rules().len()
                );
            }
            Err((exit, message)) => {
                eprintln!("{message}");
                if exit == Exit::Error || worst == Exit::Ok {
                    worst = exit;
                }
            }
        }
    }
    worst
}

// ------------------------------------------------------------------ test

/// A test file (see `docs/policy-format.md`, "Testing a policy").
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestFile {
    /// The policy under test, relative to the test file.
    #[serde(default)]
    pub policy: Option<PathBuf>,
    pub cases: Vec<Case>,
}

/// One case: the input of a decide and what must come out.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    pub action: Action,
    /// Payload text, scanned with the policy's detectors as `POST /v1/decide` does.
    #[serde(default)]
    pub text: String,
    /// Findings supplied instead of (or, with offsets, beside) the text.
    #[serde(default)]
    pub findings: Vec<CaseFinding>,
    pub expect: Expect,
}

/// A supplied finding: a type and optionally a confidence (default 1).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFinding {
    pub entity_type: String,
    #[serde(default)]
    pub confidence: Option<f64>,
}

/// What the decision must be. Only `decision` is required; every other field present is
/// compared exactly.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub decision: Effect,
    /// Every matching rule, in evaluation order.
    #[serde(default)]
    pub matched_rules: Option<Vec<String>>,
    /// The transform plan (`[]` for allow and deny).
    #[serde(default)]
    pub plan: Option<Vec<TransformStep>>,
    /// The deny reason.
    #[serde(default)]
    pub reason: Option<String>,
    /// The entity types found, as a set.
    #[serde(default)]
    pub entities: Option<BTreeSet<String>>,
}

/// A case's outcome, in the terms of [`Expect`].
#[derive(Debug, Serialize)]
pub struct Outcome {
    pub decision: Effect,
    pub matched_rules: Vec<String>,
    pub plan: Vec<TransformStep>,
    pub reason: String,
    pub entities: BTreeSet<String>,
}

/// Decide `case` under `policy` with the core's decide handler (the server's code path: scan the
/// text, reconcile supplied findings, decide). `Err`: the request was refused (400-like).
pub fn decide(
    policy: &Policy,
    action: &Action,
    text: &str,
    findings: &[CaseFinding],
) -> Result<Outcome, String> {
    let req = DecideRequest {
        action: action.clone(),
        text: text.to_owned(),
        findings: findings
            .iter()
            .map(|f| ScanFinding {
                entity_type: f.entity_type.clone(),
                confidence: f.confidence.unwrap_or(1.0),
                ..ScanFinding::default()
            })
            .collect(),
        ..DecideRequest::default()
    };
    let ctx = DecideContext {
        receipt_id: "0".repeat(32),
        timestamp: "1970-01-01T00:00:00Z".to_owned(),
        prev_hash: String::new(),
        key: &[0u8; 32],
        input_hash: String::new(),
    };
    let (resp, _receipt) = datafog::api::decide(policy, &req, ctx).map_err(|e| {
        format!(
            "the request was refused: {} ({})",
            e.message,
            e.code.as_str()
        )
    })?;
    let mut entities: BTreeSet<String> = resp
        .findings
        .iter()
        .map(|f| f.entity_type.clone())
        .collect();
    entities.extend(resp.finding_counts.keys().cloned());
    Ok(Outcome {
        decision: resp.decision,
        matched_rules: resp.matched_rules,
        plan: resp.transform_plan,
        reason: resp.reason,
        entities,
    })
}

/// Every way `got` differs from `want`, one line each.
pub fn differences(want: &Expect, got: &Outcome) -> Vec<String> {
    let mut out = Vec::new();
    if want.decision != got.decision {
        out.push(format!(
            "decision: want {}, got {}",
            want.decision.as_str(),
            got.decision.as_str()
        ));
    }
    if let Some(m) = &want.matched_rules
        && *m != got.matched_rules
    {
        out.push(format!(
            "matched_rules: want {m:?}, got {:?}",
            got.matched_rules
        ));
    }
    if let Some(p) = &want.plan
        && *p != got.plan
    {
        let show = |p: &[TransformStep]| serde_json::to_string(p).unwrap_or_default();
        out.push(format!("plan: want {}, got {}", show(p), show(&got.plan)));
    }
    if let Some(r) = &want.reason
        && *r != got.reason
    {
        out.push(format!("reason: want {r:?}, got {:?}", got.reason));
    }
    if let Some(e) = &want.entities
        && *e != got.entities
    {
        out.push(format!("entities: want {e:?}, got {:?}", got.entities));
    }
    out
}

/// The test files named by `paths`: files as given, directories searched for `*_test.json`
/// (sorted).
fn test_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out)?;
            } else if p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with("_test.json"))
            {
                out.push(p);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out)?;
        } else if p.exists() {
            out.push(p.clone());
        } else {
            return Err(format!("{}: no such file or directory", p.display()));
        }
    }
    Ok(out)
}

fn test(a: &TestArgs) -> Exit {
    let files = match test_files(&a.paths) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("policy test: {e}");
            return Exit::Error;
        }
    };
    if files.is_empty() {
        eprintln!("policy test: no test files (`*_test.json`) found");
        return Exit::Error;
    }
    let (mut passed, mut failed, mut broken) = (0usize, 0usize, 0usize);
    let mut io_error = false;
    for file in &files {
        let parsed = std::fs::read(file)
            .map_err(|e| (true, format!("{e}")))
            .and_then(|b| {
                serde_json::from_slice::<TestFile>(&b)
                    .map_err(|e| (false, format!("not a valid test file: {e}")))
            });
        let tf = match parsed {
            Ok(t) => t,
            Err((io, e)) => {
                eprintln!("ERROR {}: {e}", file.display());
                io_error |= io;
                broken += 1;
                continue;
            }
        };
        let policy_path = match (&a.policy, &tf.policy) {
            (Some(p), _) => p.clone(),
            (None, Some(p)) => file.parent().unwrap_or(Path::new("")).join(p),
            (None, None) => {
                eprintln!(
                    "ERROR {}: no `policy` in the file and no --policy",
                    file.display()
                );
                broken += 1;
                continue;
            }
        };
        let policy = match load(&policy_path) {
            Ok(p) => p,
            Err((exit, e)) => {
                eprintln!("ERROR {}: policy {e}", file.display());
                io_error |= exit == Exit::Error;
                broken += 1;
                continue;
            }
        };
        if tf.cases.is_empty() {
            eprintln!("ERROR {}: no cases", file.display());
            broken += 1;
            continue;
        }
        for case in &tf.cases {
            let diffs = match decide(&policy, &case.action, &case.text, &case.findings) {
                Ok(got) => differences(&case.expect, &got),
                Err(e) => vec![e],
            };
            if diffs.is_empty() {
                passed += 1;
                if a.verbose {
                    println!("ok   {}: {}", file.display(), case.name);
                }
            } else {
                failed += 1;
                println!("FAIL {}: {}", file.display(), case.name);
                for d in diffs {
                    println!("       {d}");
                }
            }
        }
    }
    println!(
        "{} files, {passed} passed, {failed} failed{}",
        files.len(),
        if broken > 0 {
            format!(", {broken} files invalid")
        } else {
            String::new()
        }
    );
    if io_error {
        Exit::Error
    } else if failed > 0 || broken > 0 {
        Exit::Failed
    } else {
        Exit::Ok
    }
}

// ------------------------------------------------------------------ explain

#[derive(Serialize)]
struct Explained<'a> {
    policy_id: &'a str,
    policy_version: &'a str,
    decision: Effect,
    reason: &'a str,
    matched_rules: &'a [String],
    plan: &'a [TransformStep],
    entities: &'a BTreeSet<String>,
    rules: Vec<datafog::policy::RuleTrace>,
}

fn explain(a: &ExplainArgs) -> Exit {
    let policy = match load(&a.policy) {
        Ok(p) => p,
        Err((exit, e)) => {
            eprintln!("{e}");
            return exit;
        }
    };
    let action: Action = match serde_json::from_str(&a.action) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("policy explain: --action is not an action object: {e}");
            return Exit::Error;
        }
    };
    let text = if a.stdin {
        let mut s = String::new();
        if let Err(e) = std::io::stdin().read_to_string(&mut s) {
            eprintln!("policy explain: read stdin: {e}");
            return Exit::Error;
        }
        s
    } else {
        a.text.clone().unwrap_or_default()
    };
    let got = match decide(&policy, &action, &text, &[]) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("policy explain: {e}");
            return Exit::Error;
        }
    };
    // The rules see what the decide saw: the policy's own scan of the text.
    let findings: Vec<datafog::Finding> = scan_findings(&policy, &text);
    let rules = policy.explain(&action, &findings);
    if a.json {
        let out = Explained {
            policy_id: &policy.policy_id,
            policy_version: &policy.policy_version,
            decision: got.decision,
            reason: &got.reason,
            matched_rules: &got.matched_rules,
            plan: &got.plan,
            entities: &got.entities,
            rules,
        };
        match serde_json::to_string_pretty(&out) {
            Ok(s) => println!("{s}"),
            Err(_) => return Exit::Error,
        }
        return Exit::Ok;
    }
    println!(
        "policy `{}` version `{}`",
        policy.policy_id, policy.policy_version
    );
    println!(
        "entities: {}",
        if got.entities.is_empty() {
            "(none)".to_owned()
        } else {
            got.entities.iter().cloned().collect::<Vec<_>>().join(", ")
        }
    );
    print!("decision: {}", got.decision.as_str());
    if !got.reason.is_empty() {
        print!(" ({})", got.reason);
    }
    println!();
    if !got.plan.is_empty() {
        println!(
            "plan: {}",
            serde_json::to_string(&got.plan).unwrap_or_default()
        );
    }
    println!("rules in evaluation order:");
    for (i, r) in rules.iter().enumerate() {
        let why = match &r.failed {
            None => "matched".to_owned(),
            Some(f) => format!("no match: `{f}` does not hold"),
        };
        println!(
            "  {:>3}. {} (priority {}, {}): {why}",
            i + 1,
            r.id,
            r.priority,
            r.effect.as_str()
        );
    }
    if action.action_type.trim().is_empty() {
        println!("(a blank action type is denied before any rule is visited)");
    }
    Exit::Ok
}

/// The findings a decide of `text` under `policy` sees (the policy's scan options).
fn scan_findings(policy: &Policy, text: &str) -> Vec<datafog::Finding> {
    datafog::scan(text.as_bytes(), &policy.scan_options())
}
