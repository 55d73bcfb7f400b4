//! Managed wrapper scripts (`docs/shim.md`, "Wrapper scripts"): `hooks install|list|uninstall`, byte-for-byte the Go
//! script format, so wrappers installed by the Go shim keep working and ours read the same.

use std::path::{Path, PathBuf};

use crate::config::{Mode, absolute};
use crate::exit::{Exit, Fail};

pub const MARKER: &str = "# datafog-shim-wrapper";
const META_PREFIX: &str = "# DATAFOG_SHIM_";

/// Metadata of a managed wrapper (its `# DATAFOG_SHIM_KEY=VALUE` comment lines).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Meta {
    pub command: String,
    pub adapter: String,
    pub target: String,
    pub mode: String,
    pub policy_url: String,
    pub event_sink: String,
}

fn sh_quote(v: &str) -> String {
    format!("'{}'", v.replace('\'', r"'\''"))
}

fn dq_escape(v: &str) -> String {
    v.trim().replace('"', "\\\"")
}

/// The wrapper script (Go `buildShimScript`).
pub fn script(shim: &str, m: &Meta) -> String {
    let lines = [
        "#!/bin/sh".to_owned(),
        "set -eu".to_owned(),
        MARKER.to_owned(),
        format!("# DATAFOG_SHIM_COMMAND={}", m.command),
        format!("# DATAFOG_SHIM_ADAPTER={}", m.adapter),
        format!("# DATAFOG_SHIM_TARGET={}", m.target),
        format!("# DATAFOG_SHIM_MODE={}", m.mode),
        format!("# DATAFOG_SHIM_POLICY_URL={}", m.policy_url),
        format!("# DATAFOG_SHIM_EVENT_SINK={}", m.event_sink),
        String::new(),
        format!("SHIM_BINARY={}", sh_quote(shim)),
        format!("SHIM_MODE={}", sh_quote(&m.mode)),
        format!("SHIM_POLICY_URL={}", sh_quote(&m.policy_url)),
        format!("SHIM_EVENT_SINK={}", sh_quote(&m.event_sink)),
        "if [ -n \"${DATAFOG_SHIM_MODE:-}\" ]; then".to_owned(),
        "  SHIM_MODE=\"$DATAFOG_SHIM_MODE\"".to_owned(),
        "fi".to_owned(),
        "if [ -n \"${DATAFOG_SHIM_POLICY_URL:-}\" ]; then".to_owned(),
        "  SHIM_POLICY_URL=\"$DATAFOG_SHIM_POLICY_URL\"".to_owned(),
        "fi".to_owned(),
        "if [ -n \"${DATAFOG_SHIM_EVENT_SINK:-}\" ]; then".to_owned(),
        "  SHIM_EVENT_SINK=\"$DATAFOG_SHIM_EVENT_SINK\"".to_owned(),
        "fi".to_owned(),
        String::new(),
        "exec \"$SHIM_BINARY\" run \\".to_owned(),
        format!("  --adapter \"{}\" \\", dq_escape(&m.adapter)),
        format!("  --target \"{}\" \\", dq_escape(&m.target)),
        "  --mode \"$SHIM_MODE\" \\".to_owned(),
        "  --policy-url \"$SHIM_POLICY_URL\" \\".to_owned(),
        "  --event-sink \"$SHIM_EVENT_SINK\" \\".to_owned(),
        "  --api-token \"${DATAFOG_SHIM_API_TOKEN:-}\" \\".to_owned(),
        "  -- \\".to_owned(),
        "  \"$@\"".to_owned(),
        String::new(),
    ];
    lines.join("\n")
}

/// Read a file's wrapper metadata; `Ok(None)`: it is not a managed wrapper.
pub fn read_meta(path: &Path) -> std::io::Result<Option<Meta>> {
    let text = String::from_utf8_lossy(&std::fs::read(path)?).into_owned();
    let mut meta = Meta::default();
    let mut managed = false;
    for line in text.lines().map(str::trim) {
        if line == MARKER {
            managed = true;
            continue;
        }
        let Some(rest) = line.strip_prefix(META_PREFIX) else {
            continue;
        };
        let Some((k, v)) = rest.trim().split_once('=') else {
            continue;
        };
        let v = v.trim().to_owned();
        match k.trim() {
            "COMMAND" => meta.command = v,
            "ADAPTER" => meta.adapter = v,
            "TARGET" => meta.target = v,
            "MODE" => meta.mode = v,
            "POLICY_URL" => meta.policy_url = v,
            "EVENT_SINK" => meta.event_sink = v,
            _ => {}
        }
    }
    Ok(managed.then_some(meta))
}

/// Go `resolveTargetBinary`: a path (has a `/` or starts with `.`) must exist and not be a
/// directory; a bare name is looked up on `PATH`, skipping `shim_dir` (the wrappers themselves:
/// `docs/agents.md` puts that directory first on `PATH`). A target that is itself a managed
/// wrapper is refused, so a wrapper never `exec`s itself (an unbounded process chain).
pub fn resolve_target(raw: &str, shim_dir: &Path) -> Result<PathBuf, Fail> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(Fail::usage("target binary is required"));
    }
    let target = if raw.contains('/') || raw.starts_with('.') {
        let abs = absolute(Path::new(raw));
        let meta = std::fs::metadata(&abs)
            .map_err(|e| Fail::usage(format!("target binary not found: {e}")))?;
        if meta.is_dir() {
            return Err(Fail::usage(format!(
                "target binary cannot be a directory: {}",
                abs.display()
            )));
        }
        abs
    } else {
        look_path(raw, &[shim_dir]).ok_or_else(|| {
            Fail::usage(format!(
                "target binary not found {raw:?}: executable file not found in $PATH (outside the \
                 shim directory {})",
                shim_dir.display()
            ))
        })?
    };
    if is_managed(&target) {
        return Err(Fail::usage(format!(
            "target {} is a datafog-shim wrapper; a wrapper cannot wrap a wrapper (it would run \
             itself): pass the real program with --target",
            target.display()
        )));
    }
    Ok(target)
}

/// Whether `path` is a managed wrapper: a line `# datafog-shim-wrapper` within its first 4 KiB
/// (the marker is the third line of every wrapper; a large binary is not read whole).
pub fn is_managed(path: &Path) -> bool {
    use std::io::Read;
    let Ok(f) = std::fs::File::open(path) else {
        return false;
    };
    let mut head = Vec::new();
    if f.take(4096).read_to_end(&mut head).is_err() {
        return false;
    }
    String::from_utf8_lossy(&head)
        .lines()
        .any(|l| l.trim() == MARKER)
}

/// The first executable `name` on `PATH`, skipping the directories in `skip` (compared after
/// resolving symlinks).
pub fn look_path(name: &str, skip: &[&Path]) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    let skip: Vec<PathBuf> = skip
        .iter()
        .map(|d| std::fs::canonicalize(d).unwrap_or_else(|_| absolute(d)))
        .collect();
    std::env::split_paths(&path)
        .map(|d| {
            if d.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                d
            }
        })
        .filter(|d| {
            let real = std::fs::canonicalize(d).unwrap_or_else(|_| absolute(d));
            !skip.contains(&real)
        })
        .map(|d| d.join(name))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// The absolute path of this executable (what wrappers `exec`).
pub fn self_path() -> Result<String, Fail> {
    std::env::current_exe()
        .map(|p| absolute(&p).display().to_string())
        .map_err(|e| {
            Fail::new(
                Exit::Internal,
                format!("unable to locate datafog-shim executable: {e}"),
            )
        })
}

/// What `hooks install` needs.
#[derive(Debug)]
pub struct Install<'a> {
    pub command: &'a str,
    pub adapter: &'a str,
    pub target: &'a str,
    pub force: bool,
    pub mode: Mode,
    pub policy_url: &'a str,
    pub event_sink: &'a str,
    pub shim_dir: &'a Path,
}

/// Write (or overwrite a managed) wrapper; returns its path.
pub fn install(i: &Install<'_>) -> Result<PathBuf, Fail> {
    use std::os::unix::fs::PermissionsExt;
    let command = i.command.trim();
    if command.is_empty() || command.contains('/') {
        return Err(Fail::usage("hooks install expects one command name"));
    }
    let adapter = datafog::policy::adapters::resolve(i.adapter, command);
    let target_raw = if i.target.trim().is_empty() {
        command
    } else {
        i.target
    };
    let target = resolve_target(target_raw, i.shim_dir)?;
    let shim = self_path()?;
    std::fs::create_dir_all(i.shim_dir).map_err(|e| {
        Fail::io(format!(
            "create shim directory {:?}: {e}",
            i.shim_dir.display().to_string()
        ))
    })?;
    let path = i.shim_dir.join(command);
    match read_meta(&path) {
        Ok(None) if !i.force => {
            return Err(Fail::usage(format!(
                "cannot overwrite unmanaged file {}; use --force",
                path.display()
            )));
        }
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(Fail::io(format!("read {}: {e}", path.display())));
        }
        _ => {}
    }
    let meta = Meta {
        command: command.to_owned(),
        adapter,
        target: target.display().to_string(),
        mode: i.mode.as_str().to_owned(),
        policy_url: i.policy_url.to_owned(),
        event_sink: i.event_sink.to_owned(),
    };
    let body = script(&shim, &meta);
    std::fs::write(&path, body)
        .and_then(|()| std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)))
        .map_err(|e| Fail::io(format!("write shim {:?}: {e}", path.display().to_string())))?;
    Ok(path)
}

/// Managed wrappers in `dir`, sorted by command.
pub fn list(dir: &Path) -> Result<Vec<Meta>, Fail> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Fail::io(format!("read {}: {e}", dir.display()))),
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            continue;
        }
        if let Ok(Some(mut m)) = read_meta(&path) {
            if m.command.is_empty() {
                m.command = entry.file_name().to_string_lossy().into_owned();
            }
            out.push(m);
        }
    }
    out.sort_by(|a, b| a.command.cmp(&b.command));
    Ok(out)
}

/// Remove a managed wrapper (any file with `force`).
pub fn uninstall(dir: &Path, command: &str, force: bool) -> Result<PathBuf, Fail> {
    let command = command.trim();
    if command.is_empty() {
        return Err(Fail::usage("command name is required"));
    }
    let path = dir.join(command);
    let managed = read_meta(&path)
        .map_err(|e| Fail::io(format!("open {}: {e}", path.display())))?
        .is_some();
    if !managed && !force {
        return Err(Fail::usage(format!(
            "file {} is not a managed shim; use --force to remove",
            path.display()
        )));
    }
    std::fs::remove_file(&path).map_err(|e| Fail::io(format!("remove {}: {e}", path.display())))?;
    Ok(path)
}

/// `adapters list`: `canonical: alias, alias, ...`, sorted by canonical name.
pub fn adapters_text() -> String {
    let mut out = String::new();
    for a in datafog::policy::adapters::KNOWN {
        out.push_str(a.canonical);
        out.push_str(": ");
        out.push_str(&a.aliases.join(", "));
        out.push('\n');
    }
    out
}
