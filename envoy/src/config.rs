//! The plugin configuration (the `configuration` of the Envoy `wasm` filter), parsed and
//! validated once in `on_configure`. Every error names the field; none quotes a policy value.

use datafog::policy::Policy;
use datafog::stream::Window;
use serde::Deserialize;

/// Enforce (deny and rewrite) or observe (decide, log, count and set the header only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Enforce,
    Observe,
}

/// What happens to a body longer than `body_cap`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OverCap {
    /// Fail closed (the default): 413 `request_too_large` (or a reset response stream).
    Deny,
    /// Forward the body unscanned, marked `x-datafog-decision: unscanned`.
    Pass,
}

/// The JSON the filter accepts, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    policy: Option<serde_json::Value>,
    policy_path: Option<String>,
    #[serde(default = "default_mode")]
    mode: Mode,
    #[serde(default = "default_body_cap")]
    body_cap: u64,
    #[serde(default)]
    over_cap: Option<OverCap>,
    #[serde(default = "default_directions")]
    directions: Vec<String>,
    #[serde(default = "default_content_types")]
    content_types: Vec<String>,
    #[serde(default)]
    scan_headers: Vec<String>,
    #[serde(default)]
    window: Option<RawWindow>,
    #[serde(default = "default_response_action")]
    response_action_type: String,
    #[serde(default)]
    transform_key: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWindow {
    look_behind: usize,
    look_ahead: usize,
    step: usize,
}

fn default_mode() -> Mode {
    Mode::Enforce
}
fn default_body_cap() -> u64 {
    DEFAULT_BODY_CAP
}
fn default_directions() -> Vec<String> {
    vec!["request".to_owned()]
}
fn default_content_types() -> Vec<String> {
    [
        "application/json",
        "text/",
        "application/x-www-form-urlencoded",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}
fn default_response_action() -> String {
    "http.response".to_owned()
}

/// 1 MiB: the most body bytes looked at per direction by default.
pub const DEFAULT_BODY_CAP: u64 = 1024 * 1024;
/// A cap above this is refused: a buffered body lives in the Wasm VM's memory.
pub const MAX_BODY_CAP: u64 = 64 * 1024 * 1024;

/// The validated configuration.
#[derive(Debug)]
pub struct Config {
    pub policy: Policy,
    pub mode: Mode,
    pub body_cap: u64,
    pub over_cap: OverCap,
    pub scan_request: bool,
    pub scan_response: bool,
    /// Lower-cased media-type prefixes (`text/` matches `text/plain; charset=utf-8`).
    pub content_types: Vec<String>,
    /// Lower-cased header names whose values are scanned with the request.
    pub scan_headers: Vec<String>,
    pub window: Window,
    pub response_action_type: String,
    pub transform_key: Vec<u8>,
}

impl Config {
    /// Parse and validate the plugin configuration.
    pub fn parse(bytes: &[u8]) -> Result<Config, String> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err("the plugin configuration is empty (it needs at least `policy`)".into());
        }
        let raw: Raw = serde_json::from_slice(bytes)
            .map_err(|e| format!("the plugin configuration is not valid: {}", describe(&e)))?;
        let policy_bytes = match (raw.policy, raw.policy_path) {
            (Some(_), Some(_)) => return Err("set `policy` or `policy_path`, not both".into()),
            (None, None) => return Err("`policy` (or `policy_path`) is required".into()),
            (Some(serde_json::Value::String(s)), None) => s.into_bytes(),
            (Some(v @ serde_json::Value::Object(_)), None) => v.to_string().into_bytes(),
            (Some(_), None) => {
                return Err("`policy` must be a policy object or a JSON string".into());
            }
            // Envoy gives a Wasm filter no file system (no WASI preopens), so a path can only
            // be read where one exists; say so instead of a bare "not found".
            (None, Some(path)) => datafog::policy::read_policy_file(std::path::Path::new(&path))
                .map_err(|e| {
                    format!(
                        "`policy_path` could not be read ({e}); Envoy gives Wasm filters no file \
                         system: inline the policy with `policy`"
                    )
                })?,
        };
        let policy = Policy::from_json(&policy_bytes).map_err(|e| format!("`policy`: {e}"))?;
        if raw.body_cap == 0 || raw.body_cap > MAX_BODY_CAP {
            return Err(format!(
                "`body_cap` must be between 1 and {MAX_BODY_CAP} bytes"
            ));
        }
        let (mut scan_request, mut scan_response) = (false, false);
        for d in &raw.directions {
            match d.as_str() {
                "request" => scan_request = true,
                "response" => scan_response = true,
                _ => {
                    return Err(format!(
                        "`directions`: unknown direction {d:?} (request, response)"
                    ));
                }
            }
        }
        if !scan_request && !scan_response {
            return Err("`directions` is empty: nothing to scan".into());
        }
        let content_types: Vec<String> = raw
            .content_types
            .iter()
            .map(|c| c.trim().to_ascii_lowercase())
            .collect();
        if content_types.iter().any(String::is_empty) {
            return Err("`content_types`: an entry is empty".into());
        }
        let mut scan_headers = Vec::new();
        for h in &raw.scan_headers {
            let h = h.trim().to_ascii_lowercase();
            if h.is_empty()
                || !h
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_:".contains(&b))
            {
                return Err("`scan_headers`: an entry is not a header name".into());
            }
            scan_headers.push(h);
        }
        let window = match raw.window {
            None => Window::DEFAULT,
            Some(w) => {
                if w.look_ahead == 0 || w.step == 0 {
                    return Err("`window`: look_ahead and step must be at least 1".into());
                }
                Window {
                    look_behind: w.look_behind,
                    look_ahead: w.look_ahead,
                    step: w.step,
                }
            }
        };
        if raw.response_action_type.trim().is_empty() {
            return Err("`response_action_type` is empty".into());
        }
        Ok(Config {
            policy,
            mode: raw.mode,
            body_cap: raw.body_cap,
            over_cap: raw.over_cap.unwrap_or(OverCap::Deny),
            scan_request,
            scan_response,
            content_types,
            scan_headers,
            window,
            response_action_type: raw.response_action_type,
            transform_key: raw.transform_key.into_bytes(),
        })
    }

    /// Whether a body of this `content-type` is scanned (no content type: scanned, fail closed).
    pub fn scans_content_type(&self, content_type: Option<&str>) -> bool {
        match content_type {
            None => true,
            Some(ct) => {
                let ct = ct.trim().to_ascii_lowercase();
                self.content_types
                    .iter()
                    .any(|p| ct.starts_with(p.as_str()))
            }
        }
    }
}

/// A serde error without the input it quotes (serde_json quotes only the field names and types,
/// but an unknown variant would echo the value: keep the category, line and column).
fn describe(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    if msg.starts_with("unknown field") || msg.starts_with("missing field") {
        msg
    } else if msg.starts_with("unknown variant") {
        format!(
            "an enum field has an unknown value (mode: enforce|observe, over_cap: deny|pass) at line {} column {}",
            e.line(),
            e.column()
        )
    } else {
        format!(
            "{:?} error at line {} column {}",
            e.classify(),
            e.line(),
            e.column()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = r#"{"policy_id":"p","policy_version":"1","rules":[{"id":"a","priority":1,"effect":"allow","match":{"action_types":["http.request"]}}]}"#;

    #[test]
    fn defaults() -> Result<(), String> {
        let c = Config::parse(format!(r#"{{"policy":{POLICY}}}"#).as_bytes())?;
        assert_eq!(c.mode, Mode::Enforce);
        assert_eq!(c.over_cap, OverCap::Deny);
        assert!(c.scan_request && !c.scan_response);
        assert_eq!(c.body_cap, DEFAULT_BODY_CAP);
        assert!(c.scans_content_type(Some("Text/Plain; charset=utf-8")));
        assert!(!c.scans_content_type(Some("image/png")));
        Ok(())
    }

    #[test]
    fn policy_as_string() -> Result<(), String> {
        let cfg =
            serde_json::json!({"policy": POLICY, "mode": "observe", "directions": ["response"]});
        let c = Config::parse(cfg.to_string().as_bytes())?;
        assert_eq!(c.mode, Mode::Observe);
        assert!(!c.scan_request && c.scan_response);
        Ok(())
    }

    #[test]
    fn errors_are_clear() {
        let cases = [
            ("", "empty"),
            ("{", "not valid"),
            ("{}", "`policy` (or `policy_path`) is required"),
            (
                r#"{"policy":{"rules":[{"id":"x","effect":"maybe"}]}}"#,
                "`policy`",
            ),
            (r#"{"polcy":{}}"#, "unknown field"),
            (r#"{"policy":1}"#, "policy object"),
        ];
        for (input, want) in cases {
            match Config::parse(input.as_bytes()) {
                Ok(_) => unreachable_ok(input),
                Err(e) => assert!(e.contains(want), "{input}: {e}"),
            }
        }
        let bad = [
            format!(r#"{{"policy":{POLICY},"mode":"block"}}"#),
            format!(r#"{{"policy":{POLICY},"body_cap":0}}"#),
            format!(r#"{{"policy":{POLICY},"directions":["sideways"]}}"#),
            format!(r#"{{"policy":{POLICY},"directions":[]}}"#),
            format!(r#"{{"policy":{POLICY},"scan_headers":["bad header"]}}"#),
            format!(r#"{{"policy":{POLICY},"policy_path":"/x"}}"#),
            r#"{"policy_path":"/nonexistent/policy.json"}"#.to_owned(),
        ];
        for input in bad {
            assert!(Config::parse(input.as_bytes()).is_err(), "{input}");
        }
    }

    fn unreachable_ok(input: &str) {
        assert!(input.is_empty() && !input.is_empty(), "accepted: {input}");
    }
}
