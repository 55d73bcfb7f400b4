//! The adapter registry (Go `internal/adapters`): canonical tool families and their aliases, used by
//! `match.adapters` and by the shim to name wrapped commands.

use std::borrow::Cow;

/// One canonical adapter and its aliases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Adapter {
    pub canonical: &'static str,
    pub aliases: &'static [&'static str],
}

/// Every known adapter, sorted by canonical name (Go `KnownAdapters`).
pub const KNOWN: [Adapter; 12] = [
    Adapter {
        canonical: "claude",
        aliases: &["claude", "claude-code", "claude-cli"],
    },
    Adapter {
        canonical: "cloud_aws",
        aliases: &["aws", "aws2", "sam", "cdk", "eksctl"],
    },
    Adapter {
        canonical: "cloud_azure",
        aliases: &["az", "azure"],
    },
    Adapter {
        canonical: "cloud_gcp",
        aliases: &["gcloud", "gsutil", "bq", "gke"],
    },
    Adapter {
        canonical: "codex",
        aliases: &["codex", "openai-codex", "codex-cli"],
    },
    Adapter {
        canonical: "container",
        aliases: &["docker", "podman", "nerdctl", "crictl", "buildah"],
    },
    Adapter {
        canonical: "database",
        aliases: &[
            "psql",
            "mysql",
            "mariadb",
            "sqlite3",
            "mongo",
            "mongosh",
            "redis-cli",
        ],
    },
    Adapter {
        canonical: "http",
        aliases: &["curl", "wget", "http", "https"],
    },
    Adapter {
        canonical: "kubernetes",
        aliases: &["kubectl", "helm", "oc", "k9s"],
    },
    Adapter {
        canonical: "package_manager",
        aliases: &[
            "npm", "pnpm", "yarn", "pip", "pip3", "poetry", "cargo", "go", "mvn", "gradle", "ruby",
            "gem",
        ],
    },
    Adapter {
        canonical: "shell",
        aliases: &[
            "sh",
            "bash",
            "zsh",
            "fish",
            "csh",
            "tcsh",
            "cmd",
            "powershell",
            "pwsh",
        ],
    },
    Adapter {
        canonical: "vcs",
        aliases: &[
            "git",
            "gh",
            "gogcli",
            "hub",
            "mercurial",
            "hg",
            "svn",
            "bzr",
            "fossil",
            "stgit",
        ],
    },
];

/// Normalise a tool name: trim, take the base name of a path (`/` or `\`), lower-case, strip a
/// trailing `.exe`, `.cmd` or `.bat`. (Go strips `.cmd`/`.bat` only on Windows; we do it
/// everywhere so every host agrees.)
pub fn normalize(raw: &str) -> String {
    let trimmed = raw.trim();
    let base = trimmed.rsplit(['/', '\\']).next().unwrap_or(trimmed).trim();
    let mut s = base.to_ascii_lowercase();
    for ext in [".exe", ".cmd", ".bat"] {
        if s.len() > ext.len() && s.ends_with(ext) {
            s.truncate(s.len() - ext.len());
            break;
        }
    }
    s
}

/// The canonical name for an already-normalised name, if it is a known adapter or alias.
fn lookup(normalized: &str) -> Option<&'static str> {
    KNOWN
        .iter()
        .find(|a| a.canonical == normalized || a.aliases.contains(&normalized))
        .map(|a| a.canonical)
}

/// The canonical adapter name for `name` (normalised first); unknown names come back normalised.
/// `canonical("/usr/bin/git")` is `vcs`; `canonical("customTool")` is `customtool`.
pub fn canonical(name: &str) -> String {
    canonical_cow(name).into_owned()
}

pub(crate) fn canonical_cow(name: &str) -> Cow<'static, str> {
    let n = normalize(name);
    match lookup(&n) {
        Some(c) => Cow::Borrowed(c),
        None => Cow::Owned(n),
    }
}

/// Go `Resolve(raw, command)`: the canonical name of `raw`, or of `command` when `raw` normalises
/// to nothing.
pub fn resolve(raw: &str, command: &str) -> String {
    if normalize(raw).is_empty() {
        canonical(command)
    } else {
        canonical(raw)
    }
}

/// True if `name` is a known canonical adapter or alias.
pub fn is_known(name: &str) -> bool {
    lookup(&normalize(name)).is_some()
}

/// Go `MatchesAdapter`: empty `targets` match everything; otherwise true if some target equals the
/// tool (ASCII case-insensitive) or both resolve to the same canonical adapter.
pub fn matches<S: AsRef<str>>(tool: &str, targets: &[S]) -> bool {
    if targets.is_empty() {
        return true;
    }
    let tool_canonical = canonical_cow(tool);
    targets.iter().any(|t| {
        let t = t.as_ref();
        tool.eq_ignore_ascii_case(t)
            || (!tool.trim().is_empty() && tool_canonical == canonical_cow(t))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_is_sorted_and_has_agents() {
        let names: Vec<_> = KNOWN.iter().map(|a| a.canonical).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        assert!(names.contains(&"claude") && names.contains(&"codex") && names.contains(&"vcs"));
    }

    #[test]
    fn resolve_go_vectors() {
        for raw in ["claude", "claude-code", "claude-cli"] {
            assert_eq!(resolve(raw, ""), "claude");
        }
        assert_eq!(resolve("", "claude"), "claude");
        for raw in ["codex", "openai-codex", "codex-cli"] {
            assert_eq!(resolve(raw, ""), "codex");
        }
        assert_eq!(resolve("/usr/bin/git", ""), "vcs");
        assert_eq!(resolve("/usr/local/bin/git", ""), "vcs");
        assert_eq!(resolve("/usr/bin/docker", ""), "container");
        for raw in ["  Git  ", "  gh  ", "  gogcli  "] {
            assert_eq!(resolve(raw, ""), "vcs");
        }
        assert_eq!(resolve("customTool", "git"), "customtool");
        assert_eq!(resolve("/usr/bin/customcommand", ""), "customcommand");
        assert_eq!(resolve("C:\\bin\\GIT.EXE", ""), "vcs");
        assert_eq!(canonical("vcs"), "vcs");
    }

    #[test]
    fn matches_go_vectors() {
        let none: [&str; 0] = [];
        assert!(matches("anything", &none));
        assert!(matches("claude", &["claude"]));
        assert!(matches("claude-code", &["claude"]));
        assert!(matches("git", &["vcs"]));
        assert!(!matches("curl", &["claude", "codex"]));
        assert!(matches("codex-cli", &["codex"]));
        assert!(matches("codex", &["claude", "codex"]));
        assert!(!matches("", &["claude"]));
        assert!(matches("CustomTool", &["customtool"]));
    }
}
