//! The Claude Code hook's memory across calls (issue 15, item 5; `docs/shim.md`, "The hook's
//! memory").
//!
//! One hook process answers one event, so what a session did before lives in a file: one per
//! Claude Code `session_id`, mode 0600, in the state directory ([`state_dir`]). It holds no raw
//! value: every secret value the hook saw (in a tool input or a tool result) is kept as a keyed
//! digest (HMAC-SHA256 with a per-install key, created 0600 beside the session files, cut to 128
//! bits) plus its length, and every shell variable a command assigned a secret or a secret
//! fragment to is kept as the digest of its name. Bounds: [`MAX_DIGESTS`] values and
//! [`MAX_VARS`] names per session (oldest dropped first), [`MAX_FILE`] bytes per file (a larger
//! or unreadable file starts a fresh memory), and [`MAX_AGE`] without a write (older session files
//! are ignored and removed).
//!
//! What it catches:
//! - a value seen as a secret earlier in the session, later in a tool input or result without the
//!   context that made it a secret ([`Memory::known_in`]);
//! - a command expanding a variable an earlier command assigned a secret (fragment) to
//!   ([`Memory::tainted_vars`]);
//! - (within one command, `A=sk_live_..; B=..; echo $A$B` needs no memory: the command-line
//!   parser, `crate::refs`, substitutes the variables the same line assigns into the text the
//!   policy checks);
//! - a secret completed by an edit: [`edit_result`] gives the file's content after an `Edit` /
//!   `MultiEdit`, and [`straddling_secret`] finds a secret across the edit's boundary.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use datafog::transform::KeyedHasher;
use serde::{Deserialize, Serialize};

/// Most value digests kept per session.
pub const MAX_DIGESTS: usize = 512;
/// Most variable-name digests kept per session.
pub const MAX_VARS: usize = 128;
/// Largest session file read; a larger one is replaced.
pub const MAX_FILE: u64 = 64 * 1024;
/// A session file not written for this long is ignored and removed.
pub const MAX_AGE: Duration = Duration::from_secs(24 * 3600);
/// Shortest value remembered (shorter ones match too much).
pub const MIN_VALUE: usize = 8;
/// Longest value remembered.
pub const MAX_VALUE: usize = 512;
/// Text scanned for known values: the first this many bytes.
pub const MATCH_LIMIT: usize = 1 << 20;

/// Hex characters kept of each digest (128 bits).
const DIGEST_HEX: usize = 32;

/// `$DATAFOG_SHIM_STATE_DIR`, else `$HOME/.datafog/hook-memory`, else
/// `<tmp>/datafog-hook-memory`.
pub fn state_dir() -> PathBuf {
    if let Some(d) = crate::config::coalesce([std::env::var("DATAFOG_SHIM_STATE_DIR").ok()]) {
        return PathBuf::from(d);
    }
    match crate::config::coalesce([
        std::env::var("HOME").ok(),
        std::env::var("USERPROFILE").ok(),
    ]) {
        Some(h) => PathBuf::from(h).join(".datafog").join("hook-memory"),
        None => std::env::temp_dir().join("datafog-hook-memory"),
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct State {
    /// Format version.
    v: u32,
    /// Unix seconds of the last write.
    updated: u64,
    /// `(digest, length)` of secret values, oldest first.
    values: Vec<(String, usize)>,
    /// Digests of variable names that held a secret or a fragment of one, oldest first.
    vars: Vec<String>,
}

/// One session's memory.
#[derive(Debug)]
pub struct Memory {
    path: PathBuf,
    hasher: KeyedHasher,
    state: State,
    lengths: BTreeSet<usize>,
    dirty: bool,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Memory {
    /// Open (or start) the memory of `session_id` under `dir`. `None` without a session id.
    /// Errors (an unwritable directory, a bad key file) are reported, never a value.
    pub fn open(dir: &Path, session_id: &str) -> Result<Option<Memory>, String> {
        if session_id.trim().is_empty() {
            return Ok(None);
        }
        datafog_files::durable::create_dir_all_durably(dir, 0o700)
            .map_err(|e| format!("create the hook memory directory {}: {e}", dir.display()))?;
        let key = datafog_files::key::load_or_create_key(&dir.join("key"))?;
        let hasher = KeyedHasher::new(&key);
        let name = digest(&hasher, format!("session\0{session_id}").as_bytes());
        let path = dir.join(format!("{name}.json"));
        let state = read_state(&path).unwrap_or_default();
        let lengths = state.values.iter().map(|(_, n)| *n).collect();
        Ok(Some(Memory {
            path,
            hasher,
            state,
            lengths,
            dirty: false,
        }))
    }

    /// Remember `value` as a secret (values shorter than [`MIN_VALUE`] or longer than
    /// [`MAX_VALUE`] bytes are not kept).
    pub fn remember(&mut self, value: &str) {
        let value = value.trim();
        if !(MIN_VALUE..=MAX_VALUE).contains(&value.len()) {
            return;
        }
        let d = digest(&self.hasher, value.as_bytes());
        if self.state.values.iter().any(|(x, _)| *x == d) {
            return;
        }
        self.state.values.push((d, value.len()));
        if self.state.values.len() > MAX_DIGESTS {
            self.state.values.remove(0);
        }
        self.lengths = self.state.values.iter().map(|(_, n)| *n).collect();
        self.dirty = true;
    }

    /// Remember that variable `name` held a secret or a fragment of one.
    pub fn taint_var(&mut self, name: &str) {
        let d = digest(&self.hasher, format!("var\0{name}").as_bytes());
        if self.state.vars.contains(&d) {
            return;
        }
        self.state.vars.push(d);
        if self.state.vars.len() > MAX_VARS {
            self.state.vars.remove(0);
        }
        self.dirty = true;
    }

    /// Number of values remembered.
    pub fn len(&self) -> usize {
        self.state.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.state.values.is_empty()
    }

    /// True if `text` (its first [`MATCH_LIMIT`] bytes) carries a remembered value as a token
    /// (split at whitespace and quotes, and again at `=&?:,;/@()[]{}<>`). Only tokens of a
    /// remembered length are hashed.
    pub fn known_in(&self, text: &str) -> bool {
        if self.lengths.is_empty() {
            return false;
        }
        let text = text.get(..MATCH_LIMIT.min(text.len())).unwrap_or(text);
        let check = |tok: &str| {
            self.lengths.contains(&tok.len()) && {
                let d = digest(&self.hasher, tok.as_bytes());
                self.state.values.iter().any(|(x, _)| *x == d)
            }
        };
        text.split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`'))
            .filter(|t| !t.is_empty())
            .any(|t| {
                check(t)
                    || t.split(|c: char| "=&?:,;/@()[]{}<>".contains(c))
                        .any(|p| !p.is_empty() && p.len() != t.len() && check(p))
            })
    }

    /// Names of variables `$NAME` / `${NAME}` in `line` that an earlier command of the session
    /// assigned a secret (fragment) to.
    pub fn tainted_vars(&self, line: &str) -> Vec<String> {
        if self.state.vars.is_empty() {
            return Vec::new();
        }
        let mut out = Vec::new();
        for name in var_refs(line) {
            let d = digest(&self.hasher, format!("var\0{name}").as_bytes());
            if self.state.vars.contains(&d) && !out.contains(&name) {
                out.push(name);
            }
        }
        out
    }

    /// Write the memory back if it changed (0600, replaced atomically).
    pub fn save(&mut self) -> Result<(), String> {
        if !self.dirty {
            return Ok(());
        }
        self.state.v = 1;
        self.state.updated = now();
        let bytes = serde_json::to_vec(&self.state).map_err(|e| e.to_string())?;
        let tmp = self.path.with_extension("tmp");
        let write = || -> std::io::Result<()> {
            use std::os::unix::fs::OpenOptionsExt as _;
            let _ = std::fs::remove_file(&tmp);
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)?;
            f.write_all(&bytes)?;
            std::fs::rename(&tmp, &self.path)
        };
        write().map_err(|e| format!("write the hook memory {}: {e}", self.path.display()))?;
        self.dirty = false;
        if self.state.values.len() + self.state.vars.len() == 1 {
            // A new session file: a good moment to remove stale ones.
            prune(self.path.parent().unwrap_or(Path::new(".")));
        }
        Ok(())
    }
}

fn digest(hasher: &KeyedHasher, value: &[u8]) -> String {
    let mut h = hasher.hex(value);
    h.truncate(DIGEST_HEX);
    h
}

fn read_state(path: &Path) -> Option<State> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.len() > MAX_FILE {
        return None;
    }
    let state: State = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    let age = now().saturating_sub(state.updated);
    (age <= MAX_AGE.as_secs()).then_some(state)
}

/// Remove session files older than [`MAX_AGE`].
fn prune(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "json")
            && e.metadata()
                .ok()
                .and_then(|m| m.modified().ok())
                .and_then(|m| m.elapsed().ok())
                .is_some_and(|age| age > MAX_AGE)
        {
            let _ = std::fs::remove_file(&p);
        }
    }
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Variable references `$NAME` and `${NAME}` in `line`.
fn var_refs(line: &str) -> Vec<String> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(off) = b.get(i..).and_then(|t| t.iter().position(|&c| c == b'$')) {
        let mut s = i + off + 1;
        let braced = b.get(s) == Some(&b'{');
        if braced {
            s += 1;
        }
        let mut e = s;
        while b.get(e).is_some_and(|&c| is_name_byte(c)) {
            e += 1;
        }
        if e > s
            && !b.get(s).is_some_and(u8::is_ascii_digit)
            && let Some(n) = line.get(s..e)
        {
            out.push(n.to_owned());
        }
        i = e.max(i + off + 1);
    }
    out
}

/// Shell assignments `NAME=value` in `line` (a word of its own, value unquoted or in simple
/// quotes), in order.
pub fn assignments(line: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for w in crate::claude::words(&line.replace(';', " ; ").replace("&&", " && ")) {
        let Some((name, value)) = w.split_once('=') else {
            continue;
        };
        let name = name.strip_prefix("export ").unwrap_or(name);
        if name.is_empty()
            || !name.bytes().all(is_name_byte)
            || name.as_bytes().first().is_some_and(u8::is_ascii_digit)
        {
            continue;
        }
        out.push((name.to_owned(), value.to_owned()));
    }
    out
}

/// Whether a variable value looks like a secret fragment: it starts with a documented vendor
/// prefix (`sk_live_`, `ghp_`, `AKIA`, `xoxb-`, ...) of any built-in secret type.
pub fn is_fragment(value: &str) -> bool {
    let v = value.trim_matches(|c| c == '"' || c == '\'');
    datafog::EntityType::ALL
        .iter()
        .flat_map(|t| t.prefixes().iter())
        .any(|p| p.len() >= 3 && v.starts_with(p))
}

/// The file content an `Edit` / `MultiEdit` input produces from `current` (the file as it is),
/// with the byte ranges the edits wrote; `None` if an `old_string` is not found. `replace_all`
/// edits replace every occurrence.
pub fn edit_result(
    current: &str,
    edits: &[(String, String, bool)],
) -> Option<(String, Vec<(usize, usize)>)> {
    let mut text = current.to_owned();
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for (old, new, all) in edits {
        if old.is_empty() {
            // An empty old_string on an empty file writes the file.
            if !text.is_empty() {
                return None;
            }
            text = new.clone();
            spans = vec![(0, new.len())];
            continue;
        }
        let mut from = 0;
        let mut any = false;
        while let Some(off) = text.get(from..).and_then(|t| t.find(old.as_str())) {
            let at = from + off;
            text.replace_range(at..at + old.len(), new);
            let delta = new.len() as isize - old.len() as isize;
            for s in &mut spans {
                if s.0 >= at + old.len() {
                    s.0 = s.0.saturating_add_signed(delta);
                    s.1 = s.1.saturating_add_signed(delta);
                }
            }
            spans.push((at, at + new.len()));
            any = true;
            from = at + new.len();
            if !*all {
                break;
            }
        }
        if !any {
            return None;
        }
    }
    Some((text, spans))
}

/// A secret in `text` that starts before an edited span and ends inside or after it, or starts
/// inside one and ends after it: assembled by the edit from bytes the file already had. Returns
/// its type (never its value). Scans a window of 512 bytes around each span.
pub fn straddling_secret(text: &str, spans: &[(usize, usize)]) -> Option<String> {
    const WINDOW: usize = 512;
    let bytes = text.as_bytes();
    let opts = datafog::ScanOptions {
        filter: datafog::TypeFilter::from_names(&["secret"]),
        ner: false,
        ..datafog::ScanOptions::default()
    };
    for &(s, e) in spans {
        let ws = s.saturating_sub(WINDOW);
        let we = (e + WINDOW).min(bytes.len());
        let Some(win) = bytes.get(ws..we) else {
            continue;
        };
        for f in datafog::scan(win, &opts) {
            let (fs, fe) = (ws + f.start, ws + f.end);
            let crosses_start = fs < s && fe > s;
            let crosses_end = fs < e && fe > e;
            if crosses_start || crosses_end {
                return Some(f.entity_type.into_owned());
            }
        }
    }
    None
}

/// Learn from a check: every secret value it found (kept as a digest) when `values` (the policy
/// acted on them, or a result carried them), and for a `Bash` command the variables it assigned
/// a secret or a secret fragment to.
pub fn learn(
    mem: &mut Memory,
    check: &crate::gate::Check,
    tool: &str,
    input: &serde_json::Value,
    values: bool,
) {
    for p in check.pieces.iter().filter(|_| values) {
        for f in &p.resp.findings {
            if datafog::EntityType::parse(&f.entity_type).is_some_and(|t| t.is_secret()) {
                mem.remember(&f.value);
            }
        }
    }
    if tool == "Bash" {
        let line = input.get("command").and_then(|v| v.as_str()).unwrap_or("");
        for (name, value) in assignments(line) {
            let secret = check.pieces.iter().any(|p| {
                p.resp
                    .findings
                    .iter()
                    .any(|f| !f.value.is_empty() && value.contains(f.value.as_str()))
            });
            if secret || is_fragment(&value) {
                mem.taint_var(&name);
            }
        }
    }
}

/// Why the memory blocks a tool input, if it does (never a value): a remembered secret value in
/// `text`, a variable that held a secret (fragment), or an edit that completes a secret.
pub fn pre_reason(
    mem: Option<&Memory>,
    tool: &str,
    input: &serde_json::Value,
    text: &str,
    cwd: &Path,
) -> Option<String> {
    if let Some(mem) = mem {
        if mem.known_in(text) {
            return Some(format!(
                "the {tool} input carries a value seen as a secret earlier in this session"
            ));
        }
        if tool == "Bash" {
            let line = input.get("command").and_then(|v| v.as_str()).unwrap_or("");
            let assigned: Vec<String> = assignments(line).into_iter().map(|(n, _)| n).collect();
            let vars: Vec<String> = mem
                .tainted_vars(line)
                .into_iter()
                .filter(|v| !assigned.contains(v))
                .collect();
            if !vars.is_empty() {
                return Some(format!(
                    "the command expands ${} , which held a secret or a fragment of one earlier in this session",
                    vars.join(", $")
                ));
            }
        }
    }
    if matches!(tool, "Edit" | "MultiEdit") {
        let path = input
            .get("file_path")
            .and_then(|v| v.as_str())
            .unwrap_or("");
        let s = |v: &serde_json::Value, k: &str| {
            v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_owned()
        };
        let b = |v: &serde_json::Value| {
            v.get("replace_all")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false)
        };
        let edits: Vec<(String, String, bool)> = if tool == "Edit" {
            vec![(s(input, "old_string"), s(input, "new_string"), b(input))]
        } else {
            input
                .get("edits")
                .and_then(|e| e.as_array())
                .map(|a| {
                    a.iter()
                        .map(|e| (s(e, "old_string"), s(e, "new_string"), b(e)))
                        .collect()
                })
                .unwrap_or_default()
        };
        let current = std::fs::File::open(cwd.join(path)).ok().and_then(|f| {
            use std::io::Read as _;
            let mut buf = String::new();
            f.take(crate::claude::READ_LIMIT)
                .read_to_string(&mut buf)
                .ok()
                .map(|_| buf)
        })?;
        let (text, spans) = edit_result(&current, &edits)?;
        if let Some(t) = straddling_secret(&text, &spans) {
            return Some(format!(
                "the {tool} completes a {t} in {path} together with what the file already holds"
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_result_and_straddling() {
        let cur = "KEY=sk_live_51HxQ2bKc9\n";
        let (text, spans) =
            edit_result(cur, &[("9\n".into(), "9ZtRv7mWp3LnY8dE\n".into(), false)]).unwrap();
        assert_eq!(text, "KEY=sk_live_51HxQ2bKc9ZtRv7mWp3LnY8dE\n");
        assert_eq!(
            straddling_secret(&text, &spans).as_deref(),
            Some("stripe_key")
        );
        // An edit next to, not across, a secret.
        let (text, spans) = edit_result(
            "KEY=sk_live_51HxQ2bKc9ZtRv7mWp3LnY8dE\nA=1\n",
            &[("A=1".into(), "A=2".into(), false)],
        )
        .unwrap();
        assert_eq!(straddling_secret(&text, &spans), None);
        assert!(edit_result("abc", &[("zzz".into(), "y".into(), false)]).is_none());
    }

    #[test]
    fn var_refs_parse() {
        assert_eq!(var_refs("echo $A${B_2} $1 $"), vec!["A", "B_2"]);
    }

    #[test]
    fn fragments_start_with_a_vendor_prefix() {
        assert!(is_fragment("sk_live_51Hx"));
        assert!(is_fragment("'ghp_abc'"));
        assert!(!is_fragment("hello"));
    }
}
