//! Replacement text per mode: masks, keyed tokens and hashes.
//!
//! `H` is the lowercase hex of HMAC-SHA256(key, value) when a key is given, and of plain SHA-256 of
//! the value when the key is empty (the Go service's unkeyed behaviour, so its vectors hold:
//! `alice@example.com` tokenizes to `TOK-ff8d9819` without a key).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::Mode;

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        for nibble in [b >> 4, b & 0x0f] {
            out.push(char::from_digit(u32::from(nibble), 16).unwrap_or('0'));
        }
    }
    out
}

/// Lowercase hex of SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// [`keyed_hex`] with the key prepared once (HMAC's padded-key blocks hashed once, not per
/// value): for many values under one key, as a receipt's findings are.
#[derive(Clone, Debug)]
pub struct KeyedHasher(Option<Hmac<Sha256>>);

impl KeyedHasher {
    pub fn new(key: &[u8]) -> KeyedHasher {
        KeyedHasher(if key.is_empty() {
            None
        } else {
            Hmac::<Sha256>::new_from_slice(key).ok()
        })
    }

    /// Same as `keyed_hex(key, value)`.
    pub fn hex(&self, value: &[u8]) -> String {
        match &self.0 {
            None => sha256_hex(value),
            Some(mac) => {
                let mut mac = mac.clone();
                mac.update(value);
                hex(&mac.finalize().into_bytes())
            }
        }
    }
}

/// `H`: hex HMAC-SHA256(`key`, `value`), or hex SHA-256(`value`) when `key` is empty.
pub fn keyed_hex(key: &[u8], value: &[u8]) -> String {
    if key.is_empty() {
        return sha256_hex(value);
    }
    // HMAC accepts keys of any length; the error branch is unreachable.
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(value);
            hex(&mac.finalize().into_bytes())
        }
        Err(_) => sha256_hex(value),
    }
}

/// The first `n` characters of an ASCII hex string.
fn prefix(h: &str, n: usize) -> &str {
    h.get(..n).unwrap_or(h)
}

/// The text that replaces `value` (a finding of type `entity_type`) under `mode`.
///
/// | mode | output |
/// |---|---|
/// | `mask` | one `*` per character of `value` (Go: per byte) |
/// | `tokenize` | `TOK-` + `H[0:8]` |
/// | `anonymize` | `anon-` + `H[0:8]` |
/// | `redact` | `[REDACTED]` |
/// | `replace` | `[` + upper-case `entity_type` + `_` + `H[0:8]` + `]` |
/// | `hash` | `H` (64 hex) |
pub fn replacement(mode: Mode, entity_type: &str, value: &str, key: &[u8]) -> String {
    match mode {
        Mode::Mask => "*".repeat(value.chars().count()),
        Mode::Redact => "[REDACTED]".to_owned(),
        Mode::Tokenize => format!("TOK-{}", prefix(&keyed_hex(key, value.as_bytes()), 8)),
        Mode::Anonymize => format!("anon-{}", prefix(&keyed_hex(key, value.as_bytes()), 8)),
        Mode::Replace => format!(
            "[{}_{}]",
            entity_type.to_uppercase(),
            prefix(&keyed_hex(key, value.as_bytes()), 8)
        ),
        Mode::Hash => keyed_hex(key, value.as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_vectors_unkeyed() {
        let h = |v: &str| keyed_hex(b"", v.as_bytes());
        assert_eq!(
            h("alice@example.com"),
            "ff8d9819fc0e12bf0d24892e45987e249a28dce836a85cad60e28eaaa8c6d976"
        );
        assert!(h("jane@example.com").starts_with("8c87b489"));
        assert!(h("123-45-6789").starts_with("01a54629"));
        assert!(h("555-123-4567").starts_with("d36e8308"));
        assert!(h("4111111111111111").starts_with("9bbef194"));
        let v = "alice@example.com";
        assert_eq!(replacement(Mode::Tokenize, "email", v, b""), "TOK-ff8d9819");
        assert_eq!(
            replacement(Mode::Anonymize, "email", v, b""),
            "anon-ff8d9819"
        );
        assert_eq!(
            replacement(Mode::Replace, "email", v, b""),
            "[EMAIL_ff8d9819]"
        );
        assert_eq!(replacement(Mode::Redact, "email", v, b""), "[REDACTED]");
        assert_eq!(replacement(Mode::Mask, "email", v, b""), "*".repeat(17));
        assert_eq!(replacement(Mode::Hash, "email", v, b""), h(v));
    }

    #[test]
    fn keyed_differs_and_matches_rfc4231() {
        // RFC 4231 test case 2.
        assert_eq!(
            keyed_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_ne!(
            replacement(Mode::Tokenize, "email", "alice@example.com", b"k"),
            "TOK-ff8d9819"
        );
    }

    #[test]
    fn mask_counts_characters() {
        assert_eq!(replacement(Mode::Mask, "person", "Zoë", b""), "***");
    }
}

#[cfg(test)]
mod keyed_tests {
    use super::*;

    #[test]
    fn prepared_key_gives_keyed_hex() {
        for key in [&b""[..], b"k", &[7u8; 64], &[9u8; 100]] {
            let h = KeyedHasher::new(key);
            for v in [&b""[..], b"alice@example.com", &[0u8; 300]] {
                assert_eq!(h.hex(v), keyed_hex(key, v));
            }
        }
    }
}
