//! Where decisions come from: a running host over HTTP (the native `datafog-api` or the Spin app,
//! same API), or the core in-process (offline mode, receipts to a local chained file).

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use datafog::api::{
    DecideContext, DecideRequest, DecideResponse, ErrorBody, ScanFinding, TransformRequest,
    TransformResponse,
};
use datafog::{Policy, TransformStep};

use crate::exit::Fail;

/// HTTP timeout for one policy call (Go: 5 s).
const TIMEOUT: Duration = Duration::from_secs(5);

/// A decision source.
#[derive(Debug)]
pub enum Backend {
    Remote(Remote),
    Offline(Box<Offline>),
}

impl Backend {
    /// An overall deadline for every later call (the Claude Code hook: below the hook timeout).
    /// Remote calls then time out at the earlier of 5 s and the deadline, and fail at once when
    /// it has passed; offline decisions make no network calls and are not limited.
    pub fn set_deadline(&mut self, deadline: Instant) {
        if let Backend::Remote(r) = self {
            r.deadline = Some(deadline);
        }
    }

    /// Ask for a decision. `Err` is a policy error (unreachable, non-200, local I/O): the gate
    /// decides whether that fails closed. The text never appears in an error.
    pub fn decide(&mut self, req: &DecideRequest) -> Result<DecideResponse, String> {
        match self {
            Backend::Remote(r) => r.decide(req),
            Backend::Offline(o) => o.decide(req),
        }
    }

    /// Apply a decision's plan to `text` with the findings it was decided on. Remote: the host
    /// transforms (its token key, so tokens agree with the server's); offline: the core.
    pub fn transform(
        &mut self,
        text: &str,
        findings: &[ScanFinding],
        plan: &[TransformStep],
    ) -> Result<String, String> {
        if plan.is_empty() || text.is_empty() {
            return Ok(text.to_owned());
        }
        match self {
            Backend::Remote(r) => r.transform(text, findings, plan),
            Backend::Offline(o) => o.transform(text, findings, plan),
        }
    }
}

// ------------------------------------------------------------------ remote

/// An HTTP client of a DataFog host.
#[derive(Debug)]
pub struct Remote {
    base: String,
    token: Option<String>,
    agent: ureq::Agent,
    deadline: Option<Instant>,
}

/// The API base (`http://host:port`) from a policy URL: Go accepts the root, `.../v1` or
/// `.../v1/decide` (section 8.1).
pub fn api_base(policy_url: &str) -> String {
    let mut u = policy_url.trim().to_owned();
    if u.is_empty() {
        u = crate::config::DEFAULT_POLICY_URL.to_owned();
    }
    let trimmed = u.trim_end_matches('/');
    let base = trimmed
        .strip_suffix("/v1/decide")
        .or_else(|| trimmed.strip_suffix("/v1"))
        .unwrap_or(trimmed);
    base.to_owned()
}

/// Size of the HTTP client's read and write buffers, and the largest response head accepted.
/// The client's defaults (128 KiB each, zero-filled on first use) cost the hook ~64 page faults and
/// a quarter of its instructions per call; request bodies stream through the write buffer in pieces
/// of this size, and a DataFog host's response head is a few hundred bytes.
const HTTP_BUFFER: usize = 16 * 1024;

/// A resolver that answers an IP-literal host (`127.0.0.1`, `[::1]`) itself and hands every
/// other name to the client's default resolver. The default resolves on a new thread whenever a
/// timeout is set (always, here), which costs a thread start per hook call for a host that needs
/// no lookup.
#[derive(Debug)]
struct LiteralResolver(ureq::unversioned::resolver::DefaultResolver);

impl ureq::unversioned::resolver::Resolver for LiteralResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        if let Some(addr) = literal_addr(uri) {
            let mut out = self.empty();
            out.push(addr);
            return Ok(out);
        }
        self.0.resolve(uri, config, timeout)
    }
}

/// The socket address of an `http://` or `https://` URI whose host is an IP literal (the port
/// defaults to the scheme's).
fn literal_addr(uri: &ureq::http::Uri) -> Option<std::net::SocketAddr> {
    let default_port = match uri.scheme_str()? {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let authority = uri.authority()?;
    let host = authority.host();
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let ip: std::net::IpAddr = host.parse().ok()?;
    Some(std::net::SocketAddr::new(
        ip,
        authority.port_u16().unwrap_or(default_port),
    ))
}

impl Remote {
    pub fn new(policy_url: &str, token: Option<String>) -> Remote {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(TIMEOUT))
            .http_status_as_error(false)
            .input_buffer_size(HTTP_BUFFER)
            .output_buffer_size(HTTP_BUFFER)
            .max_response_header_size(HTTP_BUFFER)
            .build();
        let agent = ureq::Agent::with_parts(
            config,
            ureq::unversioned::transport::DefaultConnector::new(),
            LiteralResolver(ureq::unversioned::resolver::DefaultResolver::default()),
        );
        Remote {
            base: api_base(policy_url),
            token,
            agent,
            deadline: None,
        }
    }

    fn post<T: serde::Serialize, R: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &T,
    ) -> Result<R, String> {
        let url = format!("{}{path}", self.base);
        let what = if path.ends_with("decide") {
            "decide"
        } else {
            "transform"
        };
        let mut req = self.agent.post(&url);
        if let Some(deadline) = self.deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!(
                    "call {what} API: the overall deadline passed before the policy answered"
                ));
            }
            req = req.config().timeout_global(Some(left.min(TIMEOUT))).build();
        }
        if let Some(t) = &self.token {
            req = req.header("X-API-Key", t);
        }
        // Compact JSON (the client's `send_json` pretty-prints: more bytes for a large piece).
        let body = serde_json::to_vec(body)
            .map_err(|e| format!("call {what} API: encode request: {}", e.classify_name()))?;
        let mut resp = req
            .header("content-type", "application/json")
            .send(&body[..])
            .map_err(|e| format!("call {what} API: {e}"))?;
        let status = resp.status().as_u16();
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_vec()
            .map_err(|e| format!("call {what} API: read response: {e}"))?;
        if status != 200 {
            let (code, message) = match serde_json::from_slice::<ErrorBody>(&bytes) {
                Ok(b) => (b.error.code, b.error.message),
                Err(_) => {
                    let t = String::from_utf8_lossy(&bytes).trim().to_owned();
                    let t = if t.is_empty() || t.len() > 200 {
                        "policy service error".to_owned()
                    } else {
                        t
                    };
                    (String::new(), t)
                }
            };
            return Err(format!(
                "datafog policy API error: status={status} code={code} message={message}"
            ));
        }
        serde_json::from_slice(&bytes)
            .map_err(|e| format!("call {what} API: decode response: {}", e.classify_name()))
    }

    fn decide(&self, req: &DecideRequest) -> Result<DecideResponse, String> {
        self.post("/v1/decide", req)
    }

    fn transform(
        &self,
        text: &str,
        findings: &[ScanFinding],
        plan: &[TransformStep],
    ) -> Result<String, String> {
        let req = TransformRequest {
            text: text.to_owned(),
            findings: findings.to_vec(),
            entity_modes: entity_modes(plan),
            ..TransformRequest::default()
        };
        let resp: TransformResponse = self.post("/v1/transform", &req)?;
        Ok(resp.output)
    }
}

/// A plan as `entity_modes` (names lower-cased; a later step overrides an earlier one, as in a
/// plan). The core ranks exact names over `api_key` over groups over `any`, so the map applies
/// exactly like the plan.
pub fn entity_modes(plan: &[TransformStep]) -> BTreeMap<String, String> {
    plan.iter()
        .map(|s| {
            (
                s.entity_type.trim().to_ascii_lowercase(),
                s.mode.as_str().to_owned(),
            )
        })
        .collect()
}

trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "i/o error",
            serde_json::error::Category::Syntax => "invalid JSON",
            serde_json::error::Category::Data => "unexpected JSON shape",
            serde_json::error::Category::Eof => "truncated JSON",
        }
    }
}

// ------------------------------------------------------------------ offline

/// The core in-process: the policy file, a token key, and a receipts chain shared (under an
/// exclusive file lock) by every shim process that uses the same file.
#[derive(Debug)]
pub struct Offline {
    policy: Policy,
    key: Vec<u8>,
    receipts: PathBuf,
}

impl Offline {
    /// Load the policy (a bad policy is a config error naming every rule at fault) and the
    /// token key (`datafog_token.key` beside the receipts: at least 16 bytes, or created as 32
    /// random bytes, 0600, durably; the host's rule, `datafog_files::load_or_create_key`).
    pub fn open(policy_file: &Path, receipts: &Path) -> Result<Offline, Fail> {
        let bytes = datafog::policy::read_policy_file(policy_file)
            .map_err(|e| Fail::config(format!("load policy `{}`: {e}", policy_file.display())))?;
        let policy = Policy::from_json(&bytes).map_err(|e| {
            Fail::config(format!(
                "load policy `{}`: invalid policy:\n{e}",
                policy_file.display()
            ))
        })?;
        let dir = receipts.parent().unwrap_or(Path::new(""));
        let key =
            datafog_files::load_or_create_key(&dir.join("datafog_token.key")).map_err(Fail::io)?;
        Ok(Offline {
            policy,
            key,
            receipts: receipts.to_path_buf(),
        })
    }

    /// The loaded policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    fn decide(&mut self, req: &DecideRequest) -> Result<DecideResponse, String> {
        let mut file = open_receipts(&self.receipts)?;
        file.lock()
            .map_err(|e| format!("lock receipts `{}`: {e}", self.receipts.display()))?;
        let out = self.decide_locked(&mut file, req);
        let _ = file.unlock();
        out
    }

    /// Under the lock: settle the file's tail and take the chain head (`datafog_files`: a torn
    /// last line is cut, a whole one kept and given its newline), decide, append, fsync.
    fn decide_locked(
        &self,
        file: &mut File,
        req: &DecideRequest,
    ) -> Result<DecideResponse, String> {
        let shown = self.receipts.display();
        let prev_hash = datafog_files::receipts::chain_head(file).map_err(|e| {
            format!("read receipts `{shown}`: {e} (check it with `datafog-shim receipts verify`)")
        })?;
        let ctx = DecideContext {
            receipt_id: datafog_files::random_hex16()?,
            timestamp: now_rfc3339_nanos(),
            prev_hash,
            key: &self.key,
            input_hash: String::new(),
        };
        let (resp, receipt) =
            datafog::api::decide(&self.policy, req, ctx).map_err(|e| format!("decide: {e}"))?;
        let mut line = receipt.canonical_json();
        line.push('\n');
        file.write_all(line.as_bytes())
            .and_then(|()| file.sync_data())
            .map_err(|e| format!("write receipts `{shown}`: {e}"))?;
        Ok(resp)
    }

    fn transform(
        &self,
        text: &str,
        findings: &[ScanFinding],
        plan: &[TransformStep],
    ) -> Result<String, String> {
        let found = if findings.is_empty() {
            datafog::scan(text.as_bytes(), &self.policy.scan_options())
        } else {
            datafog::transform::reconcile(text, findings).map_err(|e| {
                format!(
                    "transform: finding {} (`{}`) does not match the text",
                    e.index, e.entity_type
                )
            })?
        };
        Ok(datafog::transform::apply(text, &found, plan, &self.key).output)
    }
}

/// Open (creating it, 0600, and its directory, 0750, durably) the receipts file for reading and
/// appending.
fn open_receipts(path: &Path) -> Result<File, String> {
    datafog_files::open_durably(path, 0o600, OpenOptions::new().read(true).append(true))
        .map_err(|e| format!("open receipts `{}`: {e}", path.display()))
}

/// RFC 3339 UTC with nanoseconds (what receipts and events carry).
pub fn now_rfc3339_nanos() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::literal_addr;

    fn addr(url: &str) -> Option<String> {
        literal_addr(&url.parse().unwrap()).map(|a| a.to_string())
    }

    #[test]
    fn ip_literal_hosts_need_no_lookup() {
        assert_eq!(
            addr("http://127.0.0.1:8080/v1/decide").as_deref(),
            Some("127.0.0.1:8080")
        );
        assert_eq!(addr("http://[::1]:9/v1").as_deref(), Some("[::1]:9"));
        assert_eq!(addr("http://10.1.2.3/v1").as_deref(), Some("10.1.2.3:80"));
        assert_eq!(addr("https://10.1.2.3/v1").as_deref(), Some("10.1.2.3:443"));
        // Names go to the default resolver.
        assert_eq!(addr("http://localhost:8080/v1"), None);
        assert_eq!(addr("http://datafog.internal/v1"), None);
        assert_eq!(addr("http://127.0.0.1.example:80/v1"), None);
    }
}
