//! `shell`, `run`, `read-file`, `write-file`: gate, then act.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;

use datafog::policy::Action;

use crate::backend::{Backend, Offline, Remote};
use crate::config::{Mode, OutputCheck, Settings};
use crate::events::EventSink;
use crate::exec;
use crate::exit::{Exit, Fail};
use crate::gate::{Check, Gate, Kind};

/// The gate for these settings: offline when a policy file is set, else the policy URL.
pub fn build_gate(s: &Settings) -> Result<Gate, Fail> {
    let backend = match &s.policy_file {
        Some(p) => Backend::Offline(Box::new(Offline::open(p, &s.receipts)?)),
        None => Backend::Remote(Remote::new(&s.policy_url, s.api_token.clone())),
    };
    let events = s.event_sink.as_deref().map(|p| {
        let policy = match &backend {
            Backend::Offline(o) => Some(o.policy().clone()),
            Backend::Remote(_) => None,
        };
        EventSink::new(p, policy)
    });
    Ok(Gate::new(backend, s.mode, s.enforce_policy_errors, events))
}

/// One line on stderr, with any secret or PII the built-in detectors find replaced (a path or a
/// program name can carry one).
fn eprint(line: &str) {
    eprint_receipt(&crate::redact::text(line));
}

/// A `receipt=<id> decision=<d>` line: ids and decision names only, written as is (a scan could
/// mistake a hex id for a value and hide the one thing the line is for).
fn eprint_receipt(line: &str) {
    let mut e = std::io::stderr().lock();
    let _ = writeln!(e, "{line}");
}

fn flush_warnings(gate: &mut Gate) {
    for w in gate.warnings.drain(..) {
        eprint(&format!("datafog-shim: warning: {w}"));
    }
}

/// Report a check that does not let the action go on and return its exit code; or report an
/// observe-mode note and return `None`.
fn refuse(gate: &mut Gate, check: &Check, what: &str) -> Option<Exit> {
    flush_warnings(gate);
    if !check.allowed {
        eprint(&check.blocked_message());
        if let Some(l) = check.receipt_line() {
            eprint_receipt(&l);
        }
        return Some(if check.error.is_some() {
            Exit::PolicyUnavailable
        } else {
            Exit::Blocked
        });
    }
    if gate.mode == Mode::Observe {
        if let Some(e) = &check.error {
            eprint(&format!(
                "datafog-shim: observe mode: policy check failed, {what} anyway: {e}"
            ));
        } else if matches!(
            check.effect(),
            Some(datafog::Effect::Deny | datafog::Effect::Transform)
        ) {
            eprint(&format!(
                "datafog-shim: observe mode: would have blocked ({}), {what} anyway",
                check.blocked_message()
            ));
        }
    }
    None
}

fn write_stdout(bytes: &[u8]) -> Result<(), Fail> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| Fail::io(format!("write stdout: {e}")))
}

fn write_stderr(bytes: &[u8]) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(bytes);
    let _ = err.flush();
}

/// The command line as the policy sees it: program and arguments joined with spaces.
fn command_line(program: &str, args: &[String]) -> String {
    let mut s = program.to_owned();
    for a in args {
        s.push(' ');
        s.push_str(a);
    }
    s
}

/// Check the child's captured stream; `Ok(None)`: show it (possibly transformed).
fn check_stream(
    gate: &mut Gate,
    action: &Action,
    bytes: &[u8],
) -> Result<(Option<Check>, Vec<u8>), Fail> {
    if bytes.is_empty() {
        return Ok((None, Vec::new()));
    }
    let text = String::from_utf8_lossy(bytes);
    let check = gate.check(action, &text, Kind::Data, "output");
    let shown = if check.allowed && check.transforms() {
        match gate.apply(&check, &text) {
            Ok(t) => t.into_bytes(),
            Err(e) => {
                return Err(Fail::new(
                    Exit::PolicyUnavailable,
                    format!("output withheld: could not apply the policy's plan: {e}"),
                ));
            }
        }
    } else {
        bytes.to_vec()
    };
    Ok((Some(check), shown))
}

/// Shells whose `-c` argument is a script: its references are resolved as a line of its own.
const SHELLS: &[&str] = &["sh", "bash", "zsh", "dash", "ksh", "fish", "ash"];

/// The lines whose references count for a command: the command line (its words are resolved as
/// given, `refs::resolve_argv`; the joined line serves the environment and expansion checks), and
/// a shell's `-c` script (resolved as a line).
fn ref_lines(program: &str, args: &[String]) -> Vec<String> {
    let mut lines = vec![command_line(program, args)];
    let base = program.rsplit('/').next().unwrap_or(program);
    if SHELLS.contains(&base)
        && let Some(i) = args
            .iter()
            .position(|a| a == "-c" || a == "-lc" || a == "-ec")
        && let Some(script) = args.get(i + 1)
    {
        lines.push(script.clone());
    }
    lines
}

/// Report a block found before the command runs (a file it reads, its environment).
fn refuse_blocked(gate: &mut Gate, check: &Check, what: &str) -> Exit {
    flush_warnings(gate);
    eprint(&format!("{what}: {}", check.blocked_message()));
    if let Some(l) = check.receipt_line() {
        eprint_receipt(&l);
    }
    if check.error.is_some() {
        Exit::PolicyUnavailable
    } else {
        Exit::Blocked
    }
}

/// Gate and run a command; `check_output`: capture its output and check it before it is shown.
///
/// Before it runs (issue 15): the files its line reads are decided as `file.read`
/// (`refs::check_reads`) and their content joins the command's payload; the values of the
/// environment variables it references (`refs::env_names`) are decided as the command's action
/// (stage `env`) and passed redacted when the plan says so; the shim's stdin, when it is not a
/// terminal, is checked as it streams to the child (`crate::stdin`).
fn exec_gated(
    s: &Settings,
    gate: &mut Gate,
    action: &Action,
    program: &str,
    args: &[String],
    check_output: bool,
) -> Result<Exit, Fail> {
    let lines = ref_lines(program, args);
    let cwd = std::env::current_dir().unwrap_or_default();
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    let mut argv = vec![program.to_owned()];
    argv.extend(args.iter().cloned());
    let mut paths = crate::refs::resolve_argv(&argv, &cwd, home.as_deref());
    for l in lines.iter().skip(1) {
        for p in crate::refs::resolve(l, &cwd, home.as_deref()) {
            if !paths.contains(&p) {
                paths.push(p);
            }
        }
    }
    let (blocked, contents) =
        crate::refs::check_reads(gate, &paths, &action.tool, action.sensitive);
    if let Some(c) = blocked {
        return Ok(refuse_blocked(
            gate,
            &c,
            "blocked: the command reads a file the policy keeps in",
        ));
    }
    let mut payload = format!("{}{contents}", command_line(program, args));
    for l in &lines {
        let e = crate::refs::expanded(l);
        if !e.is_empty() {
            payload.push('\n');
            payload.push_str(&e);
        }
    }
    let pre = gate.check(action, &payload, Kind::Command, "");
    if let Some(exit) = refuse(gate, &pre, "running") {
        return Ok(exit);
    }
    let mut input = exec::ChildInput::default();
    // The referenced environment variables that are set, as `NAME=value` lines.
    let mut vars: Vec<(String, String)> = Vec::new();
    for l in &lines {
        for n in crate::refs::env_names(l) {
            if let Ok(v) = std::env::var(&n)
                && !vars.iter().any(|(k, _)| *k == n)
            {
                vars.push((n, v));
            }
        }
    }
    if !vars.is_empty() {
        let text: String = vars.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        let env_check = gate.check(action, &text, Kind::Data, "env");
        if !env_check.allowed {
            return Ok(refuse_blocked(
                gate,
                &env_check,
                "blocked: an environment variable the command uses",
            ));
        }
        if env_check.transforms() {
            for (k, v) in &vars {
                let red = gate.apply_to(&env_check, v).map_err(|e| {
                    Fail::new(
                        Exit::PolicyUnavailable,
                        format!(
                            "not run: could not apply the policy's plan to the environment: {e}"
                        ),
                    )
                })?;
                if red != *v {
                    input.env.push((k.clone(), red));
                }
            }
        }
    }
    if !std::io::stdin().is_terminal() {
        let settings = s.clone();
        let pump_action = action.clone();
        input.stdin = Some(Box::new(move |child_stdin, slot| {
            crate::stdin::pump(
                || build_gate(&settings).map_err(|f| f.message),
                &pump_action,
                std::io::stdin().lock(),
                child_stdin,
                &slot,
            );
        }));
    }
    if !check_output {
        let (exit, stdin_blocked) = exec::run_inherited(program, args, input)?;
        if let Some(m) = stdin_blocked {
            eprint(&m);
            return Ok(Exit::Blocked);
        }
        if let Some(l) = pre.receipt_line() {
            eprint_receipt(&l);
        }
        return Ok(exit);
    }
    let out = exec::run_captured(program, args, input)?;
    if let Some(m) = &out.stdin_blocked {
        // The child got only the input decided before the block; its output is not shown.
        eprint(m);
        if let Some(l) = pre.receipt_line() {
            eprint_receipt(&l);
        }
        return Ok(Exit::Blocked);
    }
    if out.overflow {
        // Not checked, so not shown (observe mode included: what was dropped cannot be shown).
        eprint(&format!(
            "output withheld: a stream exceeded the {} MiB the output check reads; run with \
             --output-check off to stream it unchecked",
            exec::CAPTURE_LIMIT >> 20
        ));
        if let Some(l) = pre.receipt_line() {
            eprint_receipt(&l);
        }
        return Ok(Exit::Blocked);
    }
    let (out_check, stdout) = check_stream(gate, action, &out.stdout)?;
    let (err_check, stderr) = check_stream(gate, action, &out.stderr)?;
    flush_warnings(gate);
    for c in [&out_check, &err_check].into_iter().flatten() {
        if !c.allowed {
            eprint(&format!("output withheld: {}", c.blocked_message()));
            if let Some(l) = pre.receipt_line() {
                eprint_receipt(&l);
            }
            if let Some(l) = c.receipt_line() {
                eprint_receipt(&format!("{l} stage=output"));
            }
            return Ok(if c.error.is_some() {
                Exit::PolicyUnavailable
            } else {
                Exit::Blocked
            });
        }
    }
    for c in [&out_check, &err_check].into_iter().flatten() {
        refuse(gate, c, "showing the output");
    }
    write_stdout(&stdout)?;
    write_stderr(&stderr);
    if let Some(l) = pre.receipt_line() {
        eprint_receipt(&l);
    }
    for c in [&out_check, &err_check].into_iter().flatten() {
        if c.effect() != Some(datafog::Effect::Allow)
            && let Some(l) = c.receipt_line()
        {
            eprint_receipt(&format!("{l} stage=output"));
        }
    }
    Ok(out.exit)
}

/// `shell <command> [args...]`.
pub fn shell(s: &Settings, argv: &[String]) -> Result<Exit, Fail> {
    let Some((command, args)) = argv.split_first() else {
        return Err(Fail::usage("shell command is required"));
    };
    let mut gate = build_gate(s)?;
    let action = Action {
        action_type: "shell.exec".into(),
        tool: "shell".into(),
        resource: command.clone(),
        command: command.clone(),
        args: args.to_vec(),
        sensitive: s.sensitive,
    };
    let check_output = s.output_check != OutputCheck::Off;
    exec_gated(s, &mut gate, &action, command, args, check_output)
}

/// `run --adapter A [--target T] [--] [args...]` (the wrapper scripts' entry point).
pub fn run(s: &Settings, adapter: &str, target: &str, argv: &[String]) -> Result<Exit, Fail> {
    if adapter.trim().is_empty() {
        return Err(Fail::usage("run requires --adapter"));
    }
    let (target, args): (String, &[String]) = if target.trim().is_empty() {
        match argv.split_first() {
            Some((t, rest)) => (t.clone(), rest),
            None => return Err(Fail::usage("run requires --target <path> or a command")),
        }
    } else {
        (target.trim().to_owned(), argv)
    };
    // A wrapper whose target is a wrapper (installed by an older shim) would exec itself forever.
    if target.contains('/') && crate::wrapper::is_managed(Path::new(&target)) {
        return Err(Fail::config(format!(
            "target {target} is a datafog-shim wrapper, not a program: reinstall with \
             `datafog-shim hooks install --target <the real program> <command>`"
        )));
    }
    let mut gate = build_gate(s)?;
    let action = Action {
        action_type: "command.exec".into(),
        tool: datafog::policy::adapters::resolve(adapter, &target),
        resource: target.clone(),
        command: args.first().cloned().unwrap_or_default(),
        args: args.to_vec(),
        sensitive: s.sensitive,
    };
    let check_output = match s.output_check {
        OutputCheck::On => true,
        OutputCheck::Off => false,
        OutputCheck::Auto => !std::io::stdout().is_terminal(),
    };
    exec_gated(s, &mut gate, &action, &target, args, check_output)
}

/// `read-file <path>`: the content is decided before anything is printed.
pub fn read_file(s: &Settings, path: &str) -> Result<Exit, Fail> {
    let bytes = std::fs::read(path).map_err(|e| Fail::io(format!("read {path}: {e}")))?;
    let mut gate = build_gate(s)?;
    let action = Action {
        action_type: "file.read".into(),
        tool: "fs".into(),
        resource: path.to_owned(),
        sensitive: s.sensitive,
        ..Action::default()
    };
    let text = String::from_utf8_lossy(&bytes);
    let check = gate.check(&action, &text, Kind::Data, "");
    if let Some(exit) = refuse(&mut gate, &check, "reading") {
        return Ok(exit);
    }
    let mut shown = if check.transforms() {
        gate.apply(&check, &text)
            .map_err(|e| {
                Fail::new(
                    Exit::PolicyUnavailable,
                    format!("content withheld: could not apply the policy's plan: {e}"),
                )
            })?
            .into_bytes()
    } else {
        bytes
    };
    if shown.last() != Some(&b'\n') {
        shown.push(b'\n');
    }
    write_stdout(&shown)?;
    if let Some(l) = check.receipt_line() {
        eprint_receipt(&l);
    }
    Ok(Exit::Ok)
}

/// `write-file <path> [text...]`: the words joined with spaces (Go), or stdin when no text is
/// given (ours); the plan is applied before anything is written; mode 0600 for a new file.
pub fn write_file(s: &Settings, path: &str, words: &[String]) -> Result<Exit, Fail> {
    let content = if words.is_empty() {
        let mut buf = String::new();
        std::io::stdin()
            .read_to_string(&mut buf)
            .map_err(|e| Fail::io(format!("read stdin: {e}")))?;
        buf
    } else {
        words.join(" ")
    };
    let mut gate = build_gate(s)?;
    let action = Action {
        action_type: "file.write".into(),
        tool: "fs".into(),
        resource: path.to_owned(),
        sensitive: s.sensitive,
        ..Action::default()
    };
    let check = gate.check(&action, &content, Kind::Data, "");
    if let Some(exit) = refuse(&mut gate, &check, "writing") {
        return Ok(exit);
    }
    let data = gate.apply(&check, &content).map_err(|e| {
        Fail::new(
            Exit::PolicyUnavailable,
            format!("not written: could not apply the policy's plan: {e}"),
        )
    })?;
    write_0600(Path::new(path), data.as_bytes())
        .map_err(|e| Fail::io(format!("write {path}: {e}")))?;
    let (id, d) = check
        .primary()
        .map(|r| (r.receipt_id.as_str(), r.decision.as_str()))
        .unwrap_or(("", ""));
    eprint_receipt(&format!(
        "wrote {} bytes to {} receipt={id} decision={d}",
        data.len(),
        crate::redact::text(path)
    ));
    Ok(Exit::Ok)
}

fn write_0600(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(data)?;
    f.flush()
}
