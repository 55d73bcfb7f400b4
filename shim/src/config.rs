//! Settings: flag, then `DATAFOG_SHIM_*` environment variable, then default (`docs/shim.md`, "Global flags and environment"). A
//! blank value counts as unset, so a wrapper passing `--event-sink ""` falls through.

use std::path::{Path, PathBuf};

use crate::exit::Fail;

pub const DEFAULT_POLICY_URL: &str = "http://localhost:8080";

/// Enforcement mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Block what the policy blocks; fail closed when the policy service is down.
    Enforced,
    /// Run everything, record what would have happened.
    Observe,
}

impl Mode {
    /// Case-insensitive; empty means `enforced` (Go `parseMode`).
    pub fn parse(raw: &str) -> Result<Mode, Fail> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "" | "enforced" => Ok(Mode::Enforced),
            "observe" => Ok(Mode::Observe),
            _ => Err(Fail::usage(format!(
                "invalid mode {raw:?} (expected enforced or observe)"
            ))),
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Mode::Enforced => "enforced",
            Mode::Observe => "observe",
        }
    }
}

/// When command output is captured and checked before it is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputCheck {
    /// `shell`: always; `run`: unless stdout is a terminal (an interactive program such as an
    /// agent's TUI then keeps the terminal).
    Auto,
    On,
    Off,
}

impl OutputCheck {
    pub fn parse(raw: &str) -> Result<OutputCheck, Fail> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "" | "auto" => Ok(OutputCheck::Auto),
            "on" | "true" | "always" => Ok(OutputCheck::On),
            "off" | "false" | "never" => Ok(OutputCheck::Off),
            _ => Err(Fail::usage(format!(
                "invalid output check {raw:?} (expected auto, on or off)"
            ))),
        }
    }
}

/// The raw values given on the command line (any may be absent).
#[derive(Clone, Debug, Default)]
pub struct Raw {
    pub policy_url: Option<String>,
    pub api_token: Option<String>,
    pub mode: Option<String>,
    pub event_sink: Option<String>,
    pub shim_dir: Option<String>,
    pub sensitive: bool,
    pub policy_file: Option<String>,
    pub receipts: Option<String>,
    pub output_check: Option<String>,
}

/// Resolved settings.
#[derive(Clone, Debug)]
pub struct Settings {
    pub policy_url: String,
    pub api_token: Option<String>,
    pub mode: Mode,
    pub event_sink: Option<PathBuf>,
    pub shim_dir: PathBuf,
    pub sensitive: bool,
    /// `DATAFOG_SHIM_ENFORCE_POLICY_ERRORS=true`: block on policy errors in observe mode too.
    pub enforce_policy_errors: bool,
    /// Offline mode: evaluate this policy in-process.
    pub policy_file: Option<PathBuf>,
    /// Offline mode: the local receipts chain.
    pub receipts: PathBuf,
    pub output_check: OutputCheck,
}

/// First non-blank value, trimmed.
pub fn coalesce<I: IntoIterator<Item = Option<String>>>(values: I) -> Option<String> {
    values
        .into_iter()
        .flatten()
        .map(|v| v.trim().to_owned())
        .find(|v| !v.is_empty())
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn home() -> Option<PathBuf> {
    coalesce([env("HOME"), env("USERPROFILE")]).map(PathBuf::from)
}

/// `$DATAFOG_SHIM_DIR`, else `$HOME/.datafog/shims`, else `<tmp>/datafog-shims`.
pub fn default_shim_dir() -> PathBuf {
    if let Some(d) = coalesce([env("DATAFOG_SHIM_DIR")]) {
        return PathBuf::from(d);
    }
    match home() {
        Some(h) => h.join(".datafog").join("shims"),
        None => std::env::temp_dir().join("datafog-shims"),
    }
}

fn default_receipts() -> PathBuf {
    match home() {
        Some(h) => h.join(".datafog").join("receipts.jsonl"),
        None => PathBuf::from("datafog_receipts.jsonl"),
    }
}

/// `1`, `true`, `yes`, `on` (case-insensitive).
pub fn truthy(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "on"
    )
}

impl Settings {
    pub fn resolve(raw: &Raw) -> Result<Settings, Fail> {
        let mode = coalesce([raw.mode.clone(), env("DATAFOG_SHIM_MODE")]).unwrap_or_default();
        let output_check = coalesce([raw.output_check.clone(), env("DATAFOG_SHIM_OUTPUT_CHECK")])
            .unwrap_or_default();
        Ok(Settings {
            policy_url: coalesce([raw.policy_url.clone(), env("DATAFOG_SHIM_POLICY_URL")])
                .unwrap_or_else(|| DEFAULT_POLICY_URL.to_owned()),
            api_token: coalesce([raw.api_token.clone(), env("DATAFOG_SHIM_API_TOKEN")]),
            mode: Mode::parse(&mode)?,
            event_sink: coalesce([raw.event_sink.clone(), env("DATAFOG_SHIM_EVENT_SINK")])
                .map(PathBuf::from),
            shim_dir: coalesce([raw.shim_dir.clone()])
                .map(PathBuf::from)
                .unwrap_or_else(default_shim_dir),
            sensitive: raw.sensitive,
            enforce_policy_errors: env("DATAFOG_SHIM_ENFORCE_POLICY_ERRORS")
                .is_some_and(|v| truthy(&v)),
            policy_file: coalesce([raw.policy_file.clone(), env("DATAFOG_SHIM_POLICY_FILE")])
                .map(PathBuf::from),
            receipts: coalesce([raw.receipts.clone(), env("DATAFOG_SHIM_RECEIPTS")])
                .map(PathBuf::from)
                .unwrap_or_else(default_receipts),
            output_check: OutputCheck::parse(&output_check)?,
        })
    }
}

/// `path` made absolute against the current directory (no symlink resolution).
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}
