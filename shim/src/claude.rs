//! Claude Code hooks: `hook claude` answers `PreToolUse` and `PostToolUse` events in the Claude
//! Code hook protocol (JSON event on stdin, JSON answer on stdout, exit 0), and
//! `hooks install --claude` merges the hook configuration into a settings file.
//!
//! PreToolUse answers (enforced mode):
//! - `deny` (or a policy error): `permissionDecision: "deny"`, the reason names the rule and the
//!   receipt; Claude sees it.
//! - `allow_with_redaction`/`transform` of a payload the tool input carries (Write, Edit,
//!   MultiEdit, NotebookEdit, WebFetch, WebSearch, MCP tools): `updatedInput` with the plan
//!   applied and `permissionDecision: "ask"` (`"allow"` with `--on-allow allow`).
//! - the same for Read (the content cannot be changed on the way in): `deny`, pointing at
//!   `datafog-shim read-file`, which prints the file redacted.
//! - `allow`: no answer (Claude Code's own permission rules apply), or `permissionDecision:
//!   "allow"` with `--on-allow allow`.
//!
//! Observe mode never answers; it records. PostToolUse flags (`decision: "block"` plus
//! `additionalContext`) a result that carries a secret or that the policy denies.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use datafog::Effect;
use datafog::policy::Action;
use serde_json::{Map, Value, json};

use crate::config::{Mode, Raw, Settings};
use crate::exit::{Exit, Fail};
use crate::gate::{Check, Gate, Kind};
use crate::json::Json;
use crate::memory::Memory;

/// Tools the PreToolUse hook is registered for.
pub const PRE_MATCHER: &str =
    "Bash|Read|Write|Edit|MultiEdit|NotebookEdit|WebFetch|WebSearch|mcp__.*";
/// Tools whose results the PostToolUse hook checks.
pub const POST_MATCHER: &str = "Bash|Read|WebFetch|WebSearch|mcp__.*";

/// Largest file content the hook reads for a decision (Read, `cat FILE`).
pub const READ_LIMIT: u64 = 1 << 20;

/// `--on-allow`: what an allowed call answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnAllow {
    /// No permission decision: Claude Code's own permission rules and prompts apply.
    Defer,
    /// `permissionDecision: "allow"` (skips Claude Code's prompt).
    Allow,
}

impl OnAllow {
    /// `defer` (or empty) or `allow`, case-insensitive.
    pub fn parse(raw: &str) -> Result<OnAllow, Fail> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "" | "defer" => Ok(OnAllow::Defer),
            "allow" => Ok(OnAllow::Allow),
            other => Err(Fail::usage(format!(
                "invalid --on-allow {other:?} (expected defer or allow)"
            ))),
        }
    }
}

/// A tool call mapped to a policy action.
#[derive(Debug)]
struct Mapped {
    action: Action,
    /// The payload the policy sees.
    text: String,
    /// Paths (in `tool_input`) of the string fields the plan is applied to.
    fields: Vec<Vec<Key>>,
    kind: Kind,
}

#[derive(Clone, Debug)]
enum Key {
    Name(String),
    Index(usize),
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or_default()
}

fn action(kind: &str, resource: &str, command: &str, args: Vec<String>) -> Action {
    Action {
        action_type: kind.to_owned(),
        tool: "claude".to_owned(),
        resource: resource.to_owned(),
        command: command.to_owned(),
        args,
        sensitive: false,
    }
}

fn field(name: &str) -> Vec<Key> {
    vec![Key::Name(name.to_owned())]
}

/// Every string leaf of a JSON value, with its path.
fn leaves(v: &Value, path: &mut Vec<Key>, out: &mut Vec<(Vec<Key>, String)>) {
    match v {
        Value::String(t) => out.push((path.clone(), t.clone())),
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                path.push(Key::Index(i));
                leaves(x, path, out);
                path.pop();
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                path.push(Key::Name(k.clone()));
                leaves(x, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn read_capped(path: &Path) -> Option<String> {
    crate::refs::read_capped(path, READ_LIMIT)
}

/// Split a command line into words: whitespace-separated, with '...' and "..." quoting and
/// backslash escapes (enough for the policy's `command`/`args` and for spotting file reads).
pub fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut has = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                has = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    cur.push(q);
                }
            }
            '"' => {
                has = true;
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' => {
                            if let Some(n) = chars.next() {
                                cur.push(n);
                            }
                        }
                        _ => cur.push(q),
                    }
                }
            }
            '\\' => {
                has = true;
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            c if c.is_whitespace() => {
                if has {
                    out.push(std::mem::take(&mut cur));
                    has = false;
                }
            }
            c => {
                has = true;
                cur.push(c);
            }
        }
    }
    if has {
        out.push(cur);
    }
    out
}

/// Map a tool call; `cwd: None` skips reading files (the PostToolUse check has the result).
fn map_pre(tool: &str, input: &Value, cwd: Option<&Path>) -> Option<Mapped> {
    let m = match tool {
        "Bash" => {
            let line = s(input, "command");
            let w = words(line);
            let (cmd, args) = w
                .split_first()
                .map_or((String::new(), Vec::new()), |(c, a)| {
                    (c.clone(), a.to_vec())
                });
            Mapped {
                action: action("shell.exec", line, &cmd, args),
                // The files it reads are decided (and appended) in `pre_tool_use`.
                text: line.to_owned(),
                fields: Vec::new(),
                kind: Kind::Command,
            }
        }
        "Read" => {
            let path = s(input, "file_path");
            Mapped {
                action: action("file.read", path, tool, Vec::new()),
                text: cwd
                    .and_then(|cwd| read_capped(&cwd.join(path)))
                    .unwrap_or_default(),
                fields: Vec::new(),
                kind: Kind::Data,
            }
        }
        "Write" => Mapped {
            action: action("file.write", s(input, "file_path"), tool, Vec::new()),
            text: s(input, "content").to_owned(),
            fields: vec![field("content")],
            kind: Kind::Data,
        },
        "Edit" => Mapped {
            action: action("file.write", s(input, "file_path"), tool, Vec::new()),
            text: s(input, "new_string").to_owned(),
            fields: vec![field("new_string")],
            kind: Kind::Data,
        },
        "MultiEdit" => {
            let edits = input
                .get("edits")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let texts: Vec<&str> = edits.iter().map(|e| s(e, "new_string")).collect();
            Mapped {
                action: action("file.write", s(input, "file_path"), tool, Vec::new()),
                text: texts.join("\n"),
                fields: (0..edits.len())
                    .map(|i| {
                        vec![
                            Key::Name("edits".into()),
                            Key::Index(i),
                            Key::Name("new_string".into()),
                        ]
                    })
                    .collect(),
                kind: Kind::Data,
            }
        }
        "NotebookEdit" => Mapped {
            action: action("file.write", s(input, "notebook_path"), tool, Vec::new()),
            text: s(input, "new_source").to_owned(),
            fields: vec![field("new_source")],
            kind: Kind::Data,
        },
        "WebFetch" => Mapped {
            action: action("http.request", s(input, "url"), tool, Vec::new()),
            text: format!("{}\n{}", s(input, "url"), s(input, "prompt")),
            fields: vec![field("url"), field("prompt")],
            kind: Kind::Data,
        },
        "WebSearch" => Mapped {
            action: action("http.request", "websearch", tool, Vec::new()),
            text: s(input, "query").to_owned(),
            fields: vec![field("query")],
            kind: Kind::Data,
        },
        t if t.starts_with("mcp__") => {
            let mut found = Vec::new();
            leaves(input, &mut Vec::new(), &mut found);
            Mapped {
                action: action("http.request", t, t, Vec::new()),
                text: found
                    .iter()
                    .map(|(_, t)| t.as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
                fields: found.into_iter().map(|(p, _)| p).collect(),
                kind: Kind::Data,
            }
        }
        _ => return None,
    };
    Some(m)
}

/// The text of a tool result: Bash stdout and stderr, Read's file content, else every string in
/// the response.
fn result_text(tool: &str, resp: &Value) -> String {
    if let Value::String(t) = resp {
        return t.clone();
    }
    if tool == "Bash" {
        return format!("{}\n{}", s(resp, "stdout"), s(resp, "stderr"));
    }
    if let Some(c) = resp
        .get("file")
        .and_then(|f| f.get("content"))
        .and_then(Value::as_str)
    {
        return c.to_owned();
    }
    let mut found = Vec::new();
    leaves(resp, &mut Vec::new(), &mut found);
    found
        .into_iter()
        .map(|(_, t)| t)
        .collect::<Vec<_>>()
        .join("\n")
}

fn get_mut<'a>(v: &'a mut Value, path: &[Key]) -> Option<&'a mut Value> {
    let mut cur = v;
    for k in path {
        cur = match k {
            Key::Name(n) => cur.get_mut(n.as_str())?,
            Key::Index(i) => cur.get_mut(*i)?,
        };
    }
    Some(cur)
}

fn who(check: &Check) -> String {
    match check.primary() {
        Some(r) => {
            // Rules come highest priority first: the first one decided.
            let rules = match r.matched_rules.first() {
                None => "no matching rule".to_owned(),
                Some(first) => format!("rule {first}"),
            };
            format!("{rules}, receipt {}", r.receipt_id)
        }
        None => "no receipt".to_owned(),
    }
}

fn pre_answer(decision: &str, reason: &str, updated: Option<Value>) -> Value {
    let mut h = Map::new();
    h.insert("hookEventName".into(), json!("PreToolUse"));
    h.insert("permissionDecision".into(), json!(decision));
    h.insert("permissionDecisionReason".into(), json!(reason));
    if let Some(u) = updated {
        h.insert("updatedInput".into(), u);
    }
    json!({ "hookSpecificOutput": Value::Object(h) })
}

/// Answer one PreToolUse event; `None`: no answer.
fn pre_tool_use(
    gate: &mut Gate,
    tool: &str,
    input: &Value,
    cwd: &Path,
    on_allow: OnAllow,
    mem: Option<&mut Memory>,
) -> Option<Value> {
    let mut m = map_pre(tool, input, Some(cwd))?;
    if tool == "Bash" {
        // Issue 15: the files the command reads, decided by path and content first.
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let paths = crate::refs::resolve(s(input, "command"), cwd, home.as_deref());
        let (blocked, contents) = crate::refs::check_reads(gate, &paths, "claude", false);
        if let Some(c) = blocked {
            if let Some(l) = c.receipt_line() {
                eprintln!("{l}");
            }
            let reason = c
                .primary()
                .map_or_else(|| c.error.clone().unwrap_or_default(), |r| r.reason.clone());
            return Some(pre_answer(
                "deny",
                &format!(
                    "datafog: Bash blocked: it reads a file the policy does not let out ({}): {reason}",
                    who(&c)
                ),
                None,
            ));
        }
        m.text.push_str(&contents);
        let expanded = crate::refs::expanded(s(input, "command"));
        if !expanded.is_empty() {
            m.text.push('\n');
            m.text.push_str(&expanded);
        }
    }
    let check = gate.check(&m.action, &m.text, m.kind, "");
    // The session memory: what earlier calls saw, and edits that complete a secret.
    let remembered = crate::memory::pre_reason(mem.as_deref(), tool, input, &m.text, cwd);
    if let Some(mem) = mem {
        // Values the policy let through untouched are not remembered as secrets.
        let acted = check.effect().is_some_and(|e| e != Effect::Allow);
        crate::memory::learn(mem, &check, tool, input, acted);
    }
    if let Some(l) = check.receipt_line() {
        eprintln!("{l}");
    }
    if let Some(e) = &check.error {
        eprintln!("datafog-shim: policy check failed: {e}");
        if check.allowed {
            return None;
        }
        return Some(pre_answer(
            "deny",
            &format!("datafog: the policy service is unavailable, failing closed ({e})"),
            None,
        ));
    }
    let r = check.primary()?;
    if !check.allowed {
        let reason = if r.reason.is_empty() {
            format!("decision {}", r.decision.as_str())
        } else {
            r.reason.clone()
        };
        return Some(pre_answer(
            "deny",
            &format!("datafog: {tool} blocked by {}: {reason}", who(&check)),
            None,
        ));
    }
    if gate.mode == Mode::Observe {
        if let Some(why) = remembered {
            eprintln!("datafog-shim: hook memory (observe): {why}");
        }
        return None;
    }
    // A Read the policy itself denies for redaction (below) keeps that answer: same decision,
    // and it carries the hint to read the file redacted.
    let read_needs_redaction = tool == "Read" && check.transforms() && m.fields.is_empty();
    if let Some(why) = remembered.filter(|_| !read_needs_redaction) {
        return Some(pre_answer(
            "deny",
            &format!("datafog: {tool} blocked by the session memory: {why}"),
            None,
        ));
    }
    let allow_word = match on_allow {
        OnAllow::Allow => "allow",
        OnAllow::Defer => "ask",
    };
    if check.transforms() {
        let types = check.entity_types().join(", ");
        if m.fields.is_empty() {
            let hint = if tool == "Read" {
                format!(
                    "; read it redacted with `datafog-shim read-file {}`",
                    m.action.resource
                )
            } else {
                String::new()
            };
            let decision = if tool == "Read" { "deny" } else { "ask" };
            return Some(pre_answer(
                decision,
                &format!(
                    "datafog: {tool} input carries {types} ({}): redaction required{hint}",
                    who(&check)
                ),
                None,
            ));
        }
        let mut updated = input.clone();
        for path in &m.fields {
            let Some(slot) = get_mut(&mut updated, path) else {
                continue;
            };
            let Some(old) = slot.as_str() else { continue };
            match gate.apply_to(&check, old) {
                Ok(new) => *slot = Value::String(new),
                Err(e) => {
                    return Some(pre_answer(
                        "deny",
                        &format!("datafog: could not apply the redaction, failing closed ({e})"),
                        None,
                    ));
                }
            }
        }
        return Some(pre_answer(
            allow_word,
            &format!(
                "datafog: redacted {types} in the {tool} input per {}",
                who(&check)
            ),
            Some(updated),
        ));
    }
    match (r.decision, on_allow) {
        (Effect::Allow, OnAllow::Allow) => Some(pre_answer(
            "allow",
            &format!("datafog: allowed by {}", who(&check)),
            None,
        )),
        _ => None,
    }
}

/// Answer one PostToolUse event; `None`: no answer.
fn post_tool_use(
    gate: &mut Gate,
    tool: &str,
    input: &Value,
    resp: &Value,
    mem: Option<&mut Memory>,
) -> Option<Value> {
    let m = map_pre(tool, input, None)?;
    let text = result_text(tool, resp);
    if text.trim().is_empty() {
        return None;
    }
    let check = gate.check(&m.action, &text, Kind::Data, "output");
    let known = mem.as_deref().is_some_and(|mem| mem.known_in(&text));
    if let Some(mem) = mem {
        crate::memory::learn(mem, &check, tool, &Value::Null, true);
    }
    if let Some(l) = check.receipt_line() {
        eprintln!("{l} stage=output");
    }
    if let Some(e) = &check.error {
        eprintln!("datafog-shim: policy check failed: {e}");
        if check.allowed {
            return None;
        }
        return Some(post_block(&format!(
            "datafog: the {tool} result could not be checked, failing closed ({e}). Treat it as \
             sensitive: do not repeat, store or send values from it."
        )));
    }
    if gate.mode == Mode::Observe {
        return None;
    }
    if known && check.effect() != Some(Effect::Deny) && !check.has_secret() {
        return Some(post_block(&format!(
            "datafog: the {tool} result carries a value seen as a secret earlier in this session. \
             Do not repeat, store or send it."
        )));
    }
    if check.effect() == Some(Effect::Deny) || check.has_secret() {
        let reason = format!(
            "datafog: the {tool} result carries {} ({}). Do not repeat, store or send these values.",
            check.entity_types().join(", "),
            who(&check)
        );
        return Some(post_block(&reason));
    }
    None
}

/// A PostToolUse `decision: "block"` answer (the reason is shown to Claude).
fn post_block(reason: &str) -> Value {
    json!({
        "decision": "block",
        "reason": reason,
        "hookSpecificOutput": {
            "hookEventName": "PostToolUse",
            "additionalContext": reason,
        }
    })
}

/// The overall time the hook allows itself to decide (every policy call, every piece of a split
/// payload, every transform), below the 15 s timeout `hooks install --claude` writes
/// ([`HOOK_TIMEOUT_SECS`]): when it runs out the hook answers `deny` rather than letting Claude
/// Code time out, which would let the call go on. `DATAFOG_SHIM_HOOK_DEADLINE_MS` overrides it.
pub const HOOK_DEADLINE: Duration = Duration::from_secs(10);

/// The hook timeout written into the settings file (seconds).
pub const HOOK_TIMEOUT_SECS: u64 = 15;

/// Whether a failure to decide blocks: enforced mode, or `DATAFOG_SHIM_ENFORCE_POLICY_ERRORS`.
fn fails_closed(s: &Settings) -> bool {
    s.mode == Mode::Enforced || s.enforce_policy_errors
}

/// `hook claude`, from the raw flags: any failure to decide (an invalid variable or flag, a
/// misconfigured gate, the policy service down, the deadline, stdout) gives a blocking answer
/// unless observe mode lets it through: `deny` for PreToolUse, `decision: "block"` for
/// PostToolUse (JSON on stdout, exit 0, the Claude Code protocol's structured answer); exit 2
/// with the reason on stderr when there is no event to answer or the answer cannot be written
/// (Claude Code blocks a PreToolUse call on exit 2; any other non-zero code lets it run).
pub fn hook_main(raw: &Raw, on_allow_raw: &str) -> Exit {
    let started = Instant::now();
    let mut input = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut input);
    let settings = Settings::resolve(raw).and_then(|s| Ok((s, OnAllow::parse(on_allow_raw)?)));
    let (s, on_allow) = match settings {
        Ok(v) => v,
        Err(f) => return fail_closed(observe_anyway(raw), &input, &f.message),
    };
    let deadline = started + hook_deadline();
    match hook(&s, on_allow, &input, deadline) {
        Ok(exit) => exit,
        Err(f) => fail_closed(!fails_closed(&s), &input, &f.message),
    }
}

/// `DATAFOG_SHIM_HOOK_DEADLINE_MS`, else [`HOOK_DEADLINE`].
fn hook_deadline() -> Duration {
    std::env::var("DATAFOG_SHIM_HOOK_DEADLINE_MS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(HOOK_DEADLINE, Duration::from_millis)
}

/// With settings that did not resolve: observe mode lets the call go on only when the mode
/// itself reads `observe` and policy errors are not enforced.
fn observe_anyway(raw: &Raw) -> bool {
    let mode = crate::config::coalesce([raw.mode.clone(), std::env::var("DATAFOG_SHIM_MODE").ok()])
        .unwrap_or_default();
    let enforce = std::env::var("DATAFOG_SHIM_ENFORCE_POLICY_ERRORS")
        .is_ok_and(|v| crate::config::truthy(&v));
    matches!(Mode::parse(&mode), Ok(Mode::Observe)) && !enforce
}

/// Report a failure to decide; block unless `observe`.
fn fail_closed(observe: bool, input: &[u8], message: &str) -> Exit {
    let message = crate::redact::text(message);
    eprintln!("datafog-shim: hook claude: {message}");
    if observe {
        return Exit::Ok;
    }
    let reason = format!("datafog: could not decide, failing closed ({message})");
    let name = serde_json::from_slice::<Value>(input)
        .ok()
        .map(|e| s(&e, "hook_event_name").to_owned());
    let answer = match name.as_deref() {
        Some("PreToolUse") => pre_answer("deny", &reason, None),
        Some("PostToolUse") => post_block(&reason),
        _ => return Exit::Child(2),
    };
    match emit(&answer) {
        Ok(()) => Exit::Ok,
        Err(_) => Exit::Child(2),
    }
}

/// `hook claude` with resolved settings and the event read: answer on stdout. Exit 0 with a JSON
/// answer (or none), except: an unreadable event when failing closed exits 2.
pub fn hook(s: &Settings, on_allow: OnAllow, raw: &[u8], deadline: Instant) -> Result<Exit, Fail> {
    let event: Value = match serde_json::from_slice(raw) {
        Ok(v @ Value::Object(_)) => v,
        _ => {
            eprintln!(
                "datafog-shim: hook claude: stdin is not a Claude Code hook event (JSON object)"
            );
            return Ok(if fails_closed(s) {
                Exit::Child(2)
            } else {
                Exit::Ok
            });
        }
    };
    let name = s_of(&event, "hook_event_name");
    let tool = s_of(&event, "tool_name");
    let input = event.get("tool_input").cloned().unwrap_or(Value::Null);
    let cwd = match s_of(&event, "cwd") {
        "" => std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
        c => PathBuf::from(c),
    };
    let mut gate = crate::commands::build_gate(s).map_err(|f| {
        Fail::new(
            f.exit,
            format!("the policy gate is misconfigured: {}", f.message),
        )
    })?;
    gate.set_deadline(deadline);
    gate.session_id = s_of(&event, "session_id").to_owned();
    let mut mem = match Memory::open(&crate::memory::state_dir(), &gate.session_id) {
        Ok(m) => m,
        Err(e) => {
            gate.warnings.push(format!("hook memory unavailable: {e}"));
            None
        }
    };
    let answer = match name {
        "PreToolUse" => pre_tool_use(&mut gate, tool, &input, &cwd, on_allow, mem.as_mut()),
        "PostToolUse" => {
            let resp = event.get("tool_response").cloned().unwrap_or(Value::Null);
            post_tool_use(&mut gate, tool, &input, &resp, mem.as_mut())
        }
        _ => None,
    };
    if let Some(Err(e)) = mem.as_mut().map(Memory::save) {
        gate.warnings.push(format!("hook memory not saved: {e}"));
    }
    for w in gate.warnings.drain(..) {
        eprintln!("datafog-shim: warning: {}", crate::redact::text(&w));
    }
    if let Some(a) = answer {
        emit(&a)?;
    }
    Ok(Exit::Ok)
}

fn s_of<'a>(v: &'a Value, k: &str) -> &'a str {
    s(v, k)
}

fn emit(v: &Value) -> Result<(), Fail> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, v).map_err(|e| Fail::io(format!("write stdout: {e}")))?;
    out.write_all(b"\n")
        .and_then(|()| out.flush())
        .map_err(|e| Fail::io(format!("write stdout: {e}")))
}

// ------------------------------------------------------------------ settings.json

/// True if a hook command is one of ours.
fn ours(hook: &Json) -> bool {
    let c = hook
        .get("command")
        .and_then(Json::as_str)
        .unwrap_or_default();
    c.contains("datafog-shim") && c.contains("hook claude")
}

/// Remove our hook commands from `settings.hooks`, dropping entries and events left empty.
/// Everything else keeps its place (key order included).
fn strip_ours(settings: &mut Json) {
    let Some(hooks @ Json::Object(_)) = settings.get_mut("hooks") else {
        return;
    };
    for event in ["PreToolUse", "PostToolUse"] {
        let Some(Json::Array(entries)) = hooks.get_mut(event) else {
            continue;
        };
        for e in entries.iter_mut() {
            if let Some(Json::Array(list)) = e.get_mut("hooks") {
                list.retain(|h| !ours(h));
            }
        }
        entries.retain(|e| match e.get("hooks") {
            Some(l @ Json::Array(_)) => !l.is_empty(),
            _ => true,
        });
        if entries.is_empty() {
            hooks.remove(event);
        }
    }
    if hooks.is_empty() {
        settings.remove("hooks");
    }
}

/// Merge our PreToolUse and PostToolUse hooks (running `command`) into a settings object: other
/// settings and other hooks stay, in their order; an earlier datafog hook is replaced
/// (idempotent); ours are appended.
pub fn merge_settings(settings: &mut Json, command: &str) -> Result<(), String> {
    strip_ours(settings);
    let hooks = settings
        .entry("hooks", Json::object())
        .ok_or_else(|| "the settings are not a JSON object".to_owned())?;
    if !matches!(hooks, Json::Object(_)) {
        return Err("`hooks` is not an object".to_owned());
    }
    for (event, matcher) in [("PreToolUse", PRE_MATCHER), ("PostToolUse", POST_MATCHER)] {
        let Some(Json::Array(entries)) = hooks.entry(event, Json::Array(Vec::new())) else {
            return Err(format!("`hooks.{event}` is not an array"));
        };
        let text = |t: &str| Json::String(t.to_owned());
        entries.push(Json::Object(vec![
            ("matcher".into(), text(matcher)),
            (
                "hooks".into(),
                Json::Array(vec![Json::Object(vec![
                    ("type".into(), text("command")),
                    ("command".into(), text(command)),
                    ("timeout".into(), Json::Number(HOOK_TIMEOUT_SECS.into())),
                ])]),
            ),
        ]));
    }
    Ok(())
}

/// The file a settings path names: symlinks followed (a dangling one too, so the file is
/// created where it points), so the file is written in place of the real file, not the link.
fn real_path(path: &Path) -> PathBuf {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::read_link(&p) {
            Ok(target) if target.is_absolute() => p = target,
            Ok(target) => p = p.parent().unwrap_or(Path::new("")).join(target),
            Err(_) => break,
        }
    }
    p
}

fn load_settings(path: &Path) -> Result<Json, Fail> {
    match std::fs::read(path) {
        Ok(b) if b.iter().all(u8::is_ascii_whitespace) => Ok(Json::object()),
        Ok(b) => match serde_json::from_slice::<Json>(&b) {
            Ok(m @ Json::Object(_)) => Ok(m),
            Ok(_) => Err(Fail::config(format!(
                "{} is not a JSON object; not changed",
                path.display()
            ))),
            Err(e) => Err(Fail::config(format!(
                "{} is not valid JSON (line {}, column {}); not changed",
                path.display(),
                e.line(),
                e.column()
            ))),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Json::object()),
        Err(e) => Err(Fail::io(format!("read {}: {e}", path.display()))),
    }
}

/// Write the settings: through a symlink to the real file, keeping that file's permission bits,
/// atomically (a temporary file beside the real one, then a rename over it).
fn save_settings(path: &Path, m: &Json) -> Result<(), Fail> {
    use std::os::unix::fs::PermissionsExt;
    let real = real_path(path);
    if let Some(dir) = real.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| Fail::io(format!("create {}: {e}", dir.display())))?;
    }
    let mode = std::fs::metadata(&real)
        .ok()
        .map(|m| m.permissions().mode() & 0o7777);
    let mut text = serde_json::to_string_pretty(m)
        .map_err(|e| Fail::new(Exit::Internal, format!("encode settings: {e}")))?;
    text.push('\n');
    let name = real
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = real.with_file_name(format!(".{name}.datafog-tmp"));
    let write = || -> std::io::Result<()> {
        std::fs::write(&tmp, &text)?;
        if let Some(mode) = mode {
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode))?;
        }
        std::fs::rename(&tmp, &real)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Fail::io(format!("write {}: {e}", real.display()))
    })
}

/// The settings file for a scope: `user` (`~/.claude/settings.json`), `project`
/// (`.claude/settings.json`), `local` (`.claude/settings.local.json`).
pub fn settings_path(scope: &str) -> Result<PathBuf, Fail> {
    match scope {
        "" | "user" => {
            let home = std::env::var_os("HOME")
                .ok_or_else(|| Fail::usage("HOME is not set; pass --settings FILE"))?;
            Ok(PathBuf::from(home).join(".claude").join("settings.json"))
        }
        "project" => Ok(PathBuf::from(".claude").join("settings.json")),
        "local" => Ok(PathBuf::from(".claude").join("settings.local.json")),
        other => Err(Fail::usage(format!(
            "invalid scope {other:?} (expected user, project or local)"
        ))),
    }
}

/// The hook command: this binary with the settings that are not secrets (the API token is read
/// from `DATAFOG_SHIM_API_TOKEN` at run time). `--mode` is written only when it was given on the
/// install command line (`explicit_mode`), so `DATAFOG_SHIM_MODE` switches modes at run time.
pub fn hook_command(s: &Settings, on_allow: OnAllow, explicit_mode: bool) -> Result<String, Fail> {
    let q = |v: &str| format!("'{}'", v.replace('\'', r"'\''"));
    let mut c = q(&crate::wrapper::self_path()?);
    match &s.policy_file {
        Some(p) => {
            c.push_str(&format!(
                " --policy {} --receipts {}",
                q(&crate::config::absolute(p).display().to_string()),
                q(&crate::config::absolute(&s.receipts).display().to_string())
            ));
        }
        None => c.push_str(&format!(" --policy-url {}", q(&s.policy_url))),
    }
    if explicit_mode {
        c.push_str(&format!(" --mode {}", s.mode.as_str()));
    }
    if let Some(e) = &s.event_sink {
        c.push_str(&format!(
            " --event-sink {}",
            q(&crate::config::absolute(e).display().to_string())
        ));
    }
    c.push_str(" hook claude");
    if on_allow == OnAllow::Allow {
        c.push_str(" --on-allow allow");
    }
    Ok(c)
}

/// `hooks install --claude`.
pub fn install(path: &Path, command: &str) -> Result<(), Fail> {
    let mut m = load_settings(path)?;
    merge_settings(&mut m, command)
        .map_err(|e| Fail::config(format!("{}: {e}; not changed", path.display())))?;
    save_settings(path, &m)
}

/// `hooks uninstall --claude`: remove our hooks; everything else stays.
pub fn uninstall(path: &Path) -> Result<(), Fail> {
    let mut m = load_settings(path)?;
    strip_ours(&mut m);
    save_settings(path, &m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_handle_quotes() {
        assert_eq!(
            words(r#"grep -r "a b" 'c d' e\ f"#),
            vec!["grep", "-r", "a b", "c d", "e f"]
        );
    }

    #[test]
    fn merge_keeps_other_settings_and_is_idempotent() {
        let mut m: Json = serde_json::from_str(
            r#"{"model":"opus","hooks":{"PreToolUse":[{"matcher":"Bash","hooks":[{"type":"command","command":"other"}]}]}}"#,
        )
        .unwrap();
        merge_settings(&mut m, "/x/datafog-shim hook claude").unwrap();
        let once = m.clone();
        merge_settings(&mut m, "/x/datafog-shim hook claude").unwrap();
        assert_eq!(once, m);
        let v: Value = serde_json::to_value(&m).unwrap();
        assert_eq!(v["model"], "opus");
        assert_eq!(v["hooks"]["PreToolUse"].as_array().unwrap().len(), 2);
        strip_ours(&mut m);
        let v: Value = serde_json::to_value(&m).unwrap();
        assert_eq!(v["hooks"]["PreToolUse"].as_array().unwrap().len(), 1);
        let text = serde_json::to_string(&m).unwrap();
        assert!(
            text.starts_with(r#"{"model":"opus","hooks":{"PreToolUse":[{"matcher""#),
            "{text}"
        );
        assert!(m.get("hooks").unwrap().get("PostToolUse").is_none());
    }
}
