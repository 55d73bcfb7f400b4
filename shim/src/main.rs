//! `datafog-shim`: see `datafog_shim` and `docs/shim.md`.

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use datafog_shim::claude::{self, OnAllow};
use datafog_shim::config::{Raw, Settings, coalesce};
use datafog_shim::exit::{Exit, Fail};
use datafog_shim::{commands, scan, verify, wrapper};

mod policy_cmd;

#[derive(Debug, Parser)]
#[command(
    name = "datafog-shim",
    version,
    about = "DataFog policy gate for commands, files and agent hooks",
    after_help = "Exit codes: the gated command's own code, or 64 usage, 69 policy service \
                  unavailable (fail closed), 70 internal, 74 I/O, 77 blocked by policy, \
                  78 configuration, 126/127 command not executable/not found. See docs/shim.md."
)]
struct Cli {
    /// Base URL of the DataFog API [env: DATAFOG_SHIM_POLICY_URL] [default: http://localhost:8080].
    #[arg(long, value_name = "URL")]
    policy_url: Option<String>,
    /// API token, sent as X-API-Key [env: DATAFOG_SHIM_API_TOKEN].
    #[arg(long, value_name = "TOKEN")]
    api_token: Option<String>,
    /// enforced or observe [env: DATAFOG_SHIM_MODE] [default: enforced].
    #[arg(long, value_name = "MODE")]
    mode: Option<String>,
    /// Append decision events (NDJSON) to this file [env: DATAFOG_SHIM_EVENT_SINK].
    #[arg(long, value_name = "FILE")]
    event_sink: Option<String>,
    /// Directory of wrapper scripts [env: DATAFOG_SHIM_DIR] [default: ~/.datafog/shims].
    #[arg(long, value_name = "DIR")]
    shim_dir: Option<String>,
    /// Mark the action as sensitive (`action.sensitive`).
    #[arg(long)]
    sensitive: bool,
    /// Offline mode: evaluate this policy in-process, no server [env: DATAFOG_SHIM_POLICY_FILE].
    #[arg(long = "policy", value_name = "FILE")]
    policy_file: Option<String>,
    /// Offline mode: the local receipts chain [env: DATAFOG_SHIM_RECEIPTS]
    /// [default: ~/.datafog/receipts.jsonl].
    #[arg(long, value_name = "FILE")]
    receipts: Option<String>,
    /// Capture and check command output before it is shown: auto, on, off
    /// [env: DATAFOG_SHIM_OUTPUT_CHECK] [default: auto].
    #[arg(long, value_name = "WHEN")]
    output_check: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Gate and run a command (shell.exec); its output is checked before it is shown.
    Shell {
        #[arg(required = true, num_args = 1.., trailing_var_arg = true, allow_hyphen_values = true, value_name = "COMMAND")]
        argv: Vec<String>,
    },
    /// Gate and print a file (file.read); the content is decided before anything is printed.
    ReadFile { path: String },
    /// Gate and write a file (file.write): the words joined with spaces, or stdin if none.
    WriteFile {
        path: String,
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        text: Vec<String>,
    },
    /// Gate and run a wrapped command (command.exec); what wrapper scripts call.
    Run(RunArgs),
    /// Wrapper scripts (and Claude Code settings with --claude).
    #[command(subcommand)]
    Hooks(HooksCommand),
    /// The adapter registry.
    #[command(subcommand)]
    Adapters(AdaptersCommand),
    /// Agent hook protocols.
    #[command(subcommand)]
    Hook(HookCommand),
    /// Scan files and directories for secrets and PII (JSON or SARIF output).
    Scan(scan::ScanArgs),
    /// Receipts tools.
    #[command(subcommand)]
    Receipts(ReceiptsCommand),
    /// Policy tools: check, test, explain (exit 0 ok, 1 invalid or failed, 2 usage or I/O).
    #[command(subcommand)]
    Policy(policy_cmd::PolicyCommand),
}

#[derive(Debug, Args)]
struct RunArgs {
    #[arg(long)]
    adapter: Option<String>,
    #[arg(long)]
    target: Option<String>,
    #[arg(long)]
    mode: Option<String>,
    #[arg(long)]
    policy_url: Option<String>,
    #[arg(long)]
    api_token: Option<String>,
    #[arg(long)]
    event_sink: Option<String>,
    #[arg(long)]
    sensitive: bool,
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

#[derive(Debug, Subcommand)]
enum HooksCommand {
    /// Install a wrapper script for COMMAND, or (--claude) the Claude Code hooks.
    Install(InstallArgs),
    /// List managed wrapper scripts.
    List {
        #[arg(long)]
        shim_dir: Option<String>,
    },
    /// Remove a managed wrapper script, or (--claude) the Claude Code hooks.
    Uninstall {
        #[arg(long)]
        shim_dir: Option<String>,
        #[arg(long)]
        force: bool,
        #[arg(long)]
        claude: bool,
        #[arg(long, value_name = "FILE")]
        settings: Option<String>,
        #[arg(long, default_value = "user")]
        scope: String,
        command: Option<String>,
    },
}

#[derive(Debug, Args)]
struct InstallArgs {
    #[arg(long)]
    adapter: Option<String>,
    #[arg(long)]
    target: Option<String>,
    #[arg(long)]
    force: bool,
    #[arg(long)]
    mode: Option<String>,
    #[arg(long)]
    policy_url: Option<String>,
    #[arg(long)]
    event_sink: Option<String>,
    #[arg(long)]
    shim_dir: Option<String>,
    /// Accepted for the Go setup scripts; the token is never stored (read at run time).
    #[arg(long)]
    api_token: Option<String>,
    /// Install the Claude Code PreToolUse/PostToolUse hooks into a settings file.
    #[arg(long)]
    claude: bool,
    /// The Claude Code settings file (default: from --scope).
    #[arg(long, value_name = "FILE")]
    settings: Option<String>,
    /// user (~/.claude/settings.json), project (.claude/settings.json) or local
    /// (.claude/settings.local.json).
    #[arg(long, default_value = "user")]
    scope: String,
    /// With --claude: what an allowed tool call answers: defer (Claude Code's own permission
    /// rules apply) or allow.
    #[arg(long, default_value = "defer")]
    on_allow: String,
    command: Option<String>,
}

#[derive(Debug, Subcommand)]
enum AdaptersCommand {
    /// Canonical adapters and their aliases.
    List,
}

#[derive(Debug, Subcommand)]
enum HookCommand {
    /// Claude Code PreToolUse/PostToolUse hook: event JSON on stdin, answer on stdout.
    Claude {
        /// What an allowed tool call answers: defer or allow.
        #[arg(long, default_value = "defer")]
        on_allow: String,
    },
}

#[derive(Debug, Subcommand)]
enum ReceiptsCommand {
    /// Verify a receipts chain offline and report the first break.
    Verify(verify::VerifyArgs),
    /// Write one chain of a PostgreSQL store as JSONL (verifiable offline with `verify FILE`).
    Export(datafog_shim::verify_store::ExportArgs),
}

fn raw_of(cli: &Cli) -> Raw {
    Raw {
        policy_url: cli.policy_url.clone(),
        api_token: cli.api_token.clone(),
        mode: cli.mode.clone(),
        event_sink: cli.event_sink.clone(),
        shim_dir: cli.shim_dir.clone(),
        sensitive: cli.sensitive,
        policy_file: cli.policy_file.clone(),
        receipts: cli.receipts.clone(),
        output_check: cli.output_check.clone(),
    }
}

fn dispatch(cli: &Cli) -> Result<Exit, Fail> {
    let mut raw = raw_of(cli);
    match &cli.command {
        Command::Shell { argv } => commands::shell(&Settings::resolve(&raw)?, argv),
        Command::ReadFile { path } => commands::read_file(&Settings::resolve(&raw)?, path),
        Command::WriteFile { path, text } => {
            commands::write_file(&Settings::resolve(&raw)?, path, text)
        }
        Command::Run(r) => {
            // Subcommand flags override the globals (Go).
            raw.policy_url = coalesce([r.policy_url.clone(), raw.policy_url]);
            raw.api_token = coalesce([r.api_token.clone(), raw.api_token]);
            raw.mode = coalesce([r.mode.clone(), raw.mode]);
            raw.event_sink = coalesce([r.event_sink.clone(), raw.event_sink]);
            raw.sensitive |= r.sensitive;
            let s = Settings::resolve(&raw)?;
            commands::run(
                &s,
                r.adapter.as_deref().unwrap_or_default(),
                r.target.as_deref().unwrap_or_default(),
                &r.args,
            )
        }
        Command::Hooks(HooksCommand::Install(i)) => {
            raw.policy_url = coalesce([i.policy_url.clone(), raw.policy_url]);
            raw.mode = coalesce([i.mode.clone(), raw.mode]);
            raw.event_sink = coalesce([i.event_sink.clone(), raw.event_sink]);
            raw.shim_dir = coalesce([i.shim_dir.clone(), raw.shim_dir]);
            let s = Settings::resolve(&raw)?;
            if i.claude {
                let path = match &i.settings {
                    Some(p) => p.into(),
                    None => claude::settings_path(&i.scope)?,
                };
                // `--mode` (of `hooks install` or global) is baked in; `DATAFOG_SHIM_MODE` is not.
                let explicit_mode = raw.mode.is_some();
                let command =
                    claude::hook_command(&s, OnAllow::parse(&i.on_allow)?, explicit_mode)?;
                claude::install(&path, &command)?;
                println!("installed Claude Code hooks in {}", path.display());
                println!("  PreToolUse  ({}) -> {command}", claude::PRE_MATCHER);
                println!("  PostToolUse ({}) -> {command}", claude::POST_MATCHER);
                return Ok(Exit::Ok);
            }
            let Some(command) = i.command.as_deref() else {
                return Err(Fail::usage("hooks install expects one command name"));
            };
            let path = wrapper::install(&wrapper::Install {
                command,
                adapter: i.adapter.as_deref().unwrap_or_default(),
                target: i.target.as_deref().unwrap_or_default(),
                force: i.force,
                mode: s.mode,
                policy_url: &s.policy_url,
                event_sink: &s
                    .event_sink
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                shim_dir: &s.shim_dir,
            })?;
            println!(
                "installed shim for {} at {}",
                command.trim(),
                path.display()
            );
            Ok(Exit::Ok)
        }
        Command::Hooks(HooksCommand::List { shim_dir }) => {
            raw.shim_dir = coalesce([shim_dir.clone(), raw.shim_dir]);
            let s = Settings::resolve(&raw)?;
            let shims = wrapper::list(&s.shim_dir)?;
            if shims.is_empty() {
                println!("no managed shims found in {}", s.shim_dir.display());
            }
            for m in shims {
                println!(
                    "{} -> target={} adapter={} mode={} policy={}",
                    m.command, m.target, m.adapter, m.mode, m.policy_url
                );
            }
            Ok(Exit::Ok)
        }
        Command::Hooks(HooksCommand::Uninstall {
            shim_dir,
            force,
            claude: is_claude,
            settings,
            scope,
            command,
        }) => {
            if *is_claude {
                let path = match settings {
                    Some(p) => p.into(),
                    None => claude::settings_path(scope)?,
                };
                claude::uninstall(&path)?;
                println!("removed Claude Code hooks from {}", path.display());
                return Ok(Exit::Ok);
            }
            raw.shim_dir = coalesce([shim_dir.clone(), raw.shim_dir]);
            let s = Settings::resolve(&raw)?;
            let Some(command) = command.as_deref() else {
                return Err(Fail::usage("hooks uninstall expects one command name"));
            };
            let path = wrapper::uninstall(&s.shim_dir, command, *force)?;
            println!("removed shim {}", path.display());
            Ok(Exit::Ok)
        }
        Command::Adapters(AdaptersCommand::List) => {
            print!("{}", wrapper::adapters_text());
            Ok(Exit::Ok)
        }
        Command::Hook(HookCommand::Claude { on_allow: a }) => Ok(claude::hook_main(&raw, a)),
        Command::Scan(_) | Command::Receipts(_) | Command::Policy(_) => Ok(Exit::Internal),
    }
}

/// The subcommand of a command line that failed to parse, if clap got that far.
fn failed_subcommand() -> Option<String> {
    let m = <Cli as clap::CommandFactory>::command()
        .ignore_errors(true)
        .try_get_matches()
        .ok()?;
    m.subcommand_name().map(str::to_owned)
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            let _ = e.print();
            return match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => ExitCode::SUCCESS,
                // `scan`, `receipts verify` and `policy` exit 2 on a usage error, as grep does
                // (docs/scan.md, docs/shim.md);
                // so does `hook claude`: exit 2 is the Claude Code protocol's blocking error (any
                // other code lets the tool call run).
                _ if matches!(
                    failed_subcommand().as_deref(),
                    Some("scan" | "receipts" | "hook" | "policy")
                ) =>
                {
                    ExitCode::from(2)
                }
                _ => Exit::Usage.into(),
            };
        }
    };
    match &cli.command {
        Command::Scan(a) => return scan::run(a),
        Command::Receipts(ReceiptsCommand::Verify(a)) => return verify::run(a),
        Command::Receipts(ReceiptsCommand::Export(a)) => {
            return datafog_shim::verify_store::export(a);
        }
        Command::Policy(p) => return policy_cmd::run(p),
        _ => {}
    }
    match dispatch(&cli) {
        Ok(exit) => exit.into(),
        Err(f) => {
            eprintln!("{}", datafog_shim::redact::text(&f.message));
            f.exit.into()
        }
    }
}
