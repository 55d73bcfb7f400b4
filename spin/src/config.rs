//! The app's settings, from variables (Spin variables, or `wasmtime serve -S config-var=...`; both
//! reach the app through `wasi:config/store`). Read per request (a Spin instance lives for one
//! request). A missing or broken variable is a 503 `config_error` naming it, never a trap.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `api_token` | token for `Authorization: Bearer` / `X-API-Key`; empty: auth off | empty |
//! | `policy_json` | the policy document (JSON text) | the bundled `config/policy.json` |
//! | `max_body_bytes` | largest request body, 1..=16777216 | 1048576 (the contract's 1 MiB) |
//! | `token_key` | key of tokens, hashes and receipt value digests: 32+ hex digits | a random key stored once in the store (`config/token_key`) |
//! | `store_dir` | `wasmtime serve` build: the preopened directory for state | required |
//! | `kv_store` | Spin build: the key-value store label | `default` |

use datafog::api::{ApiError, PolicyVersionResponse};
use datafog::policy::Policy;

/// The policy bundled into the app (the repository's default policy).
pub const BUNDLED_POLICY: &str = include_str!("../../config/policy.json");

use datafog::api::http::CorsOrigins;

/// Largest `max_body_bytes` accepted.
pub const MAX_BODY_LIMIT: usize = 16 << 20;

/// Settings of one request.
#[derive(Debug)]
pub struct Settings {
    /// SHA-256 of `api_token`; `None`: auth off.
    pub token_digest: Option<[u8; 32]>,
    pub policy: Policy,
    pub identity: PolicyVersionResponse,
    pub max_body_bytes: usize,
    /// `token_key` decoded; empty: use the stored key.
    pub token_key: Vec<u8>,
    /// `store_dir` (the `wasmtime serve` build's state directory), if set.
    pub store_dir: Option<String>,
    /// `kv_store` (the Spin build's key-value store label).
    pub kv_store: String,
}

/// A variable lookup: `Ok(None)` when unset (an empty value counts as unset).
pub type Lookup<'a> = &'a dyn Fn(&str) -> Result<Option<String>, String>;

fn var(get: Lookup<'_>, name: &str) -> Result<Option<String>, ApiError> {
    get(name)
        .map(|v| v.filter(|v| !v.trim().is_empty()))
        .map_err(|e| ApiError::config(format!("variable `{name}` could not be read: {e}")))
}

impl Settings {
    /// The digest of `api_token` alone (`None`: auth off), read before anything else so that a
    /// caller without the token learns nothing about the other settings.
    pub fn token_digest(get: Lookup<'_>) -> Result<Option<[u8; 32]>, ApiError> {
        Ok(var(get, "api_token")?.map(|t| datafog::api::http::token_digest(&t)))
    }

    /// `cors_origins`: origins that get CORS headers (empty: CORS off; `*`: any), the core's rule
    /// (`datafog::api::http::CorsOrigins`).
    pub fn cors_origins(get: Lookup<'_>) -> Result<CorsOrigins, ApiError> {
        match var(get, "cors_origins")? {
            None => Ok(CorsOrigins::Off),
            Some(v) => CorsOrigins::parse(&v)
                .map_err(|e| ApiError::config(format!("variable `cors_origins`: {e}"))),
        }
    }

    /// Read and check every variable.
    pub fn load(get: Lookup<'_>) -> Result<Settings, ApiError> {
        Settings::load_with_token(get, Settings::token_digest(get)?)
    }

    /// [`Settings::load`] when the token's digest was already read ([`Settings::token_digest`]).
    pub fn load_with_token(
        get: Lookup<'_>,
        token_digest: Option<[u8; 32]>,
    ) -> Result<Settings, ApiError> {
        let policy_text = var(get, "policy_json")?;
        let policy = Policy::from_json(policy_text.as_deref().unwrap_or(BUNDLED_POLICY).as_bytes())
            .map_err(|e| {
                let from = if policy_text.is_some() {
                    "variable `policy_json`"
                } else {
                    "the bundled policy"
                };
                ApiError::config(format!("{from} is not a valid policy: {e}"))
            })?;
        let max_body_bytes = match var(get, "max_body_bytes")? {
            None => datafog::api::MAX_BODY_BYTES,
            Some(v) => v
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_BODY_LIMIT).contains(n))
                .ok_or_else(|| {
                    ApiError::config(format!(
                        "variable `max_body_bytes` must be a whole number from 1 to {MAX_BODY_LIMIT}"
                    ))
                })?,
        };
        let token_key = match var(get, "token_key")? {
            None => Vec::new(),
            Some(v) => decode_key(v.trim()).ok_or_else(|| {
                ApiError::config("variable `token_key` must be at least 32 hex digits (16 bytes)")
            })?,
        };
        // Checked here so that a broken value is a `config_error`, not silently "CORS off".
        Settings::cors_origins(get)?;
        let identity = datafog::api::handle_policy_version(&policy);
        Ok(Settings {
            token_digest,
            policy,
            identity,
            max_body_bytes,
            token_key,
            store_dir: var(get, "store_dir")?,
            kv_store: var(get, "kv_store")?.unwrap_or_else(|| "default".to_owned()),
        })
    }
}

/// Hex, at least 16 bytes.
pub fn decode_key(hex: &str) -> Option<Vec<u8>> {
    if hex.len() < 32 || !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafog::api::ErrorCode;

    fn load(vars: &[(&str, &str)]) -> Result<Settings, ApiError> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::load(&move |name: &str| {
            Ok(vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
        })
    }

    #[test]
    fn defaults_are_the_bundled_policy_and_the_contract_limit() {
        let s = load(&[]).unwrap();
        assert!(s.token_digest.is_none());
        assert_eq!(s.max_body_bytes, 1 << 20);
        assert!(!s.identity.policy_id.is_empty());
        assert!(s.token_key.is_empty());
    }

    #[test]
    fn a_broken_variable_is_a_config_error_naming_it_without_its_value() {
        for (name, value) in [
            ("policy_json", "{not json SECRET"),
            ("max_body_bytes", "lots"),
            ("max_body_bytes", "0"),
            ("token_key", "abc"),
        ] {
            let e = load(&[(name, value)]).unwrap_err();
            assert_eq!(e.code, ErrorCode::ConfigError, "{name}");
            assert_eq!(e.status(), 503);
            assert!(e.details.contains(name), "{name}: {}", e.details);
            assert!(!e.details.contains("SECRET"), "{}", e.details);
        }
        let unreadable = Settings::load(&|_: &str| Err("store down".to_owned())).unwrap_err();
        assert!(unreadable.details.contains("api_token"));
    }

    #[test]
    fn keys_decode_from_hex() {
        assert_eq!(decode_key(&"ab".repeat(16)).map(|k| k.len()), Some(16));
        assert_eq!(decode_key(&"zz".repeat(16)), None);
        assert_eq!(decode_key("abcd"), None);
    }
}
