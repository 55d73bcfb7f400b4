//! Where the scanned bytes come from: a directory walk that honours ignore files, or the staged
//! content of the git index (`--staged`).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};

use ignore::{WalkBuilder, WalkState};
use serde::Serialize;

/// Why a file was not scanned (not an error: the exit code ignores skips).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// A NUL byte in the first [`BINARY_SNIFF`] bytes (git's heuristic).
    Binary,
    /// Larger than `--max-file-size`.
    TooLarge,
    /// A staged entry that is not a blob (a submodule commit).
    NotAFile,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Binary => "binary",
            SkipReason::TooLarge => "too large",
            SkipReason::NotAFile => "not a file",
        }
    }
}

/// Bytes sniffed for a NUL to call a file binary (git looks at the first 8000 too).
pub const BINARY_SNIFF: usize = 8000;

/// What a source hands the scanner.
#[derive(Debug)]
pub enum Item {
    Blob { path: String, bytes: Vec<u8> },
    Skip { path: String, reason: SkipReason },
    Error { path: String, message: String },
}

/// How to walk directories.
#[derive(Clone, Debug)]
pub struct WalkOptions {
    /// Also scan hidden files and directories (`.git` is always skipped).
    pub hidden: bool,
    /// Do not read `.gitignore`, `.ignore`, `.git/info/exclude` or the global excludes file.
    pub no_ignore: bool,
    /// Worker threads; 0 = one per core (at most 12).
    pub threads: usize,
    /// Files larger than this are skipped; `None` = no limit.
    pub max_size: Option<u64>,
}

/// `path` as shown in reports: relative to `cwd` when inside it, `.` components dropped, `/` as
/// the separator (non-UTF-8 bytes are replaced by U+FFFD).
pub fn display_path(path: &Path, cwd: Option<&Path>) -> String {
    let rel = match cwd {
        Some(c) if path.is_absolute() => path.strip_prefix(c).unwrap_or(path),
        _ => path,
    };
    let mut parts: Vec<String> = Vec::new();
    for c in rel.components() {
        match c {
            Component::Prefix(p) => parts.push(p.as_os_str().to_string_lossy().into_owned()),
            Component::RootDir => parts.push(String::new()),
            Component::CurDir => {}
            Component::ParentDir => parts.push("..".to_owned()),
            Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
        }
    }
    match parts.as_slice() {
        [] => ".".to_owned(),
        [root] if root.is_empty() => "/".to_owned(),
        _ => parts.join("/"),
    }
}

/// Read `path` unless it is over `max_size`.
fn read(path: &Path, shown: String, max_size: Option<u64>) -> Item {
    let result = std::fs::File::open(path).and_then(|mut f| {
        let len = f.metadata()?.len();
        if max_size.is_some_and(|m| len > m) {
            return Ok(None);
        }
        let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        f.read_to_end(&mut bytes)?;
        Ok(Some(bytes))
    });
    match result {
        Ok(Some(bytes)) => Item::Blob { path: shown, bytes },
        Ok(None) => Item::Skip {
            path: shown,
            reason: SkipReason::TooLarge,
        },
        Err(e) => Item::Error {
            path: shown,
            message: e.to_string(),
        },
    }
}

/// Walk `paths` in parallel and hand every regular file to `sink` (from worker threads).
/// Paths named explicitly are always scanned, even when hidden or ignored; inside directories,
/// ignore files are honoured with or without a git repository.
pub fn walk(paths: &[PathBuf], opts: &WalkOptions, sink: &(dyn Fn(Item) + Sync)) {
    let Some((first, rest)) = paths.split_first() else {
        return;
    };
    let cwd = std::env::current_dir().ok();
    let mut b = WalkBuilder::new(first);
    for p in rest {
        b.add(p);
    }
    b.hidden(!opts.hidden)
        .ignore(!opts.no_ignore)
        .git_ignore(!opts.no_ignore)
        .git_global(!opts.no_ignore)
        .git_exclude(!opts.no_ignore)
        .parents(!opts.no_ignore)
        // Honour .gitignore outside a git repository too (a fresh checkout, an exported tree).
        .require_git(false)
        .threads(opts.threads)
        .filter_entry(|e| {
            !(e.depth() > 0 && e.file_name() == ".git" && e.file_type().is_some_and(|t| t.is_dir()))
        });
    let cwd = cwd.as_deref();
    b.build_parallel().run(|| {
        Box::new(move |entry| {
            match entry {
                Err(e) => sink(Item::Error {
                    path: String::new(),
                    message: e.to_string(),
                }),
                Ok(e) if e.is_stdin() => sink(Item::Error {
                    path: "-".to_owned(),
                    message: "reading stdin is not supported; pass files or directories".into(),
                }),
                Ok(e) => {
                    let is_file = if e.depth() == 0 {
                        // A root is followed even if it is a symlink: the user named it.
                        e.path().is_file()
                    } else {
                        e.file_type().is_some_and(|t| t.is_file())
                    };
                    if is_file {
                        sink(read(e.path(), display_path(e.path(), cwd), opts.max_size));
                    }
                }
            }
            WalkState::Continue
        })
    });
}

fn git(args: &[&str]) -> Command {
    let mut c = Command::new("git");
    c.args(args);
    c
}

fn run_git(cmd: &mut Command, what: &str) -> Result<Vec<u8>, String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run `git` ({e}); `--staged` needs git on PATH"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!("`{what}` failed: {}", err.trim()));
    }
    Ok(out.stdout)
}

/// The repository's top-level directory (staged paths are relative to it).
pub fn git_toplevel() -> Result<PathBuf, String> {
    let out = run_git(
        &mut git(&["rev-parse", "--show-toplevel"]),
        "git rev-parse --show-toplevel",
    )?;
    Ok(PathBuf::from(
        String::from_utf8_lossy(&out).trim_end_matches(['\n', '\r']),
    ))
}

/// Added, copied, modified, renamed and type-changed paths in the index (relative to the
/// top-level directory), limited to the `paths` pathspecs when any are given.
fn staged_names(paths: &[PathBuf]) -> Result<Vec<Vec<u8>>, String> {
    let mut cmd = git(&[
        "diff",
        "--cached",
        "--name-only",
        "-z",
        "--diff-filter=ACMRT",
        "--",
    ]);
    cmd.args(paths);
    let out = run_git(&mut cmd, "git diff --cached --name-only")?;
    Ok(out
        .split(|&b| b == 0)
        .filter(|n| !n.is_empty())
        .map(<[u8]>::to_vec)
        .collect())
}

/// Hand the staged content of every added or modified file to `sink`: one
/// `git cat-file --batch` process reads `:<path>` (the index, stage 0) for all of them.
pub fn staged(paths: &[PathBuf], max_size: Option<u64>, sink: &dyn Fn(Item)) -> Result<(), String> {
    let names = staged_names(paths)?;
    // The batch protocol is line-based: a name with a newline is read on its own.
    let (batch, odd): (Vec<Vec<u8>>, Vec<Vec<u8>>) =
        names.into_iter().partition(|n| !n.contains(&b'\n'));
    if !batch.is_empty() {
        cat_file_batch(batch, max_size, sink)?;
    }
    for name in odd {
        let shown = String::from_utf8_lossy(&name).into_owned();
        let mut spec = b":".to_vec();
        spec.extend_from_slice(&name);
        let mut cmd = Command::new("git");
        cmd.arg("cat-file").arg("blob").arg(os_arg(spec));
        match run_git(&mut cmd, "git cat-file blob") {
            Ok(bytes) if max_size.is_some_and(|m| bytes.len() as u64 > m) => sink(Item::Skip {
                path: shown,
                reason: SkipReason::TooLarge,
            }),
            Ok(bytes) => sink(Item::Blob { path: shown, bytes }),
            Err(message) => sink(Item::Error {
                path: shown,
                message,
            }),
        }
    }
    Ok(())
}

#[cfg(unix)]
fn os_arg(bytes: Vec<u8>) -> std::ffi::OsString {
    use std::os::unix::ffi::OsStringExt;
    std::ffi::OsString::from_vec(bytes)
}

#[cfg(not(unix))]
fn os_arg(bytes: Vec<u8>) -> std::ffi::OsString {
    String::from_utf8_lossy(&bytes).into_owned().into()
}

fn cat_file_batch(
    names: Vec<Vec<u8>>,
    max_size: Option<u64>,
    sink: &dyn Fn(Item),
) -> Result<(), String> {
    let io = |e: std::io::Error| format!("`git cat-file --batch`: {e}");
    let mut child = git(&["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run `git` ({e}); `--staged` needs git on PATH"))?;
    let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        return Err("`git cat-file --batch`: no pipes".to_owned());
    };
    let shown: Vec<String> = names
        .iter()
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .collect();
    // Write the requests from another thread so a full stdout pipe cannot deadlock us.
    let writer = std::thread::spawn(move || -> std::io::Result<()> {
        let mut w = std::io::BufWriter::new(stdin);
        for n in names {
            w.write_all(b":")?;
            w.write_all(&n)?;
            w.write_all(b"\n")?;
        }
        w.flush()
    });
    let mut out = BufReader::new(stdout);
    let mut header = Vec::new();
    let mut result = Ok(());
    for path in shown {
        header.clear();
        if let Err(e) = out.read_until(b'\n', &mut header) {
            result = Err(io(e));
            break;
        }
        let text = String::from_utf8_lossy(&header);
        let mut fields = text.trim_end().rsplitn(3, ' ');
        let (size, kind) = (fields.next().unwrap_or(""), fields.next().unwrap_or(""));
        let Ok(size) = size.parse::<u64>() else {
            // `<name> missing` (a submodule's commit) or `ambiguous`: no content follows.
            sink(Item::Skip {
                path,
                reason: SkipReason::NotAFile,
            });
            continue;
        };
        let too_large = max_size.is_some_and(|m| size > m);
        if kind != "blob" || too_large {
            if let Err(e) = std::io::copy(&mut (&mut out).take(size + 1), &mut std::io::sink()) {
                result = Err(io(e));
                break;
            }
            let reason = if kind == "blob" {
                SkipReason::TooLarge
            } else {
                SkipReason::NotAFile
            };
            sink(Item::Skip { path, reason });
            continue;
        }
        let mut bytes = vec![0u8; usize::try_from(size).unwrap_or(0)];
        let mut newline = [0u8; 1];
        if let Err(e) = out
            .read_exact(&mut bytes)
            .and_then(|()| out.read_exact(&mut newline))
        {
            result = Err(io(e));
            break;
        }
        sink(Item::Blob { path, bytes });
    }
    drop(out);
    let wrote = writer.join();
    let _ = child.wait();
    result?;
    match wrote {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(io(e)),
        Err(_) => Err("`git cat-file --batch`: the writer thread failed".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_paths_are_relative_with_slashes() {
        let cwd = Path::new("/repo");
        assert_eq!(display_path(Path::new("./src/a.rs"), Some(cwd)), "src/a.rs");
        assert_eq!(
            display_path(Path::new("/repo/src/a.rs"), Some(cwd)),
            "src/a.rs"
        );
        assert_eq!(
            display_path(Path::new("/other/a.rs"), Some(cwd)),
            "/other/a.rs"
        );
        assert_eq!(display_path(Path::new("../x"), Some(cwd)), "../x");
        assert_eq!(display_path(Path::new("."), Some(cwd)), ".");
    }
}
