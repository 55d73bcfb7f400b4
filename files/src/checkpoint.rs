//! Signed checkpoints of the receipts chain (see the crate docs and
//! `docs/decisions/0004-signed-checkpoints.md`): what is signed, the checkpoint's JSON, the
//! checkpoints file beside the receipts, and verification. The native host signs
//! ([`Signer`]); the host at start-up and `datafog-shim receipts verify --public-key` verify
//! ([`PublicKey::verify`], [`Checkpoint::check_against`]), with this one copy of the rules.
//!
//! # What is signed
//! A checkpoint says "the receipts file held `count` receipts and the last one's `hash` was
//! `last_hash`, at `time`". Its Ed25519 signature covers these bytes (UTF-8, each line ended by
//! `\n`; the first line is a domain separator, so no other DataFog signature can be replayed as a
//! checkpoint):
//!
//! ```text
//! datafog-checkpoint-v1
//! key_id=<16 hex>
//! count=<decimal>
//! last_hash=<64 hex>
//! time=<RFC 3339>
//! ```
//!
//! Every field but `time` has a fixed alphabet without `\n` or `=`, and `time` is last and
//! refused if it holds a control character, so the bytes name one checkpoint only. `key_id` is
//! the first 8 bytes of SHA-256 of the 32-byte public key, in hex.
//!
//! # The checkpoint's JSON
//! One object, the same in the checkpoints file (one per line), at `GET /v1/receipts/checkpoint`
//! and in a `--checkpoint FILE`: `version` (1), `count`, `last_hash`, `time`, `key_id`,
//! `public_key` (64 hex) and `signature` (128 hex). Only counts, hashes, a time and keys: never a
//! receipt's content.
//!
//! # The checkpoints file
//! `<receipts file>.checkpoints`, JSONL, append-only, mode 0600, each line synced after the
//! receipts it covers were synced. A torn last line (a crash mid-write: no newline and not a
//! whole JSON object) is cut when the host opens the file, under the receipts file's rule.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use datafog::receipt::tail::is_torn;
use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::durable::open_durably;
use crate::receipts::settle_tail;

/// The first line of the signed bytes.
pub const DOMAIN: &str = "datafog-checkpoint-v1";

/// `version` of the checkpoints this code writes and reads.
pub const VERSION: u32 = 1;

/// A signed statement of the chain's length and head (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub version: u32,
    /// Receipts in the file, up to and including the one whose `hash` is `last_hash`.
    pub count: u64,
    /// The `hash` of receipt number `count` (the genesis hash when `count` is 0).
    pub last_hash: String,
    /// When it was signed: RFC 3339, UTC, second precision.
    pub time: String,
    /// First 8 bytes of SHA-256 of the public key, hex.
    pub key_id: String,
    /// The Ed25519 public key, 32 bytes in hex.
    pub public_key: String,
    /// The Ed25519 signature of [`signed_bytes`], 64 bytes in hex.
    pub signature: String,
}

/// The bytes a checkpoint's signature covers (see the module docs).
pub fn signed_bytes(key_id: &str, count: u64, last_hash: &str, time: &str) -> Vec<u8> {
    format!("{DOMAIN}\nkey_id={key_id}\ncount={count}\nlast_hash={last_hash}\ntime={time}\n")
        .into_bytes()
}

/// The key id of an Ed25519 public key: the first 8 bytes of its SHA-256, in hex.
pub fn key_id(public_key: &[u8; 32]) -> String {
    hex(Sha256::digest(public_key).get(..8).unwrap_or_default())
}

/// The name of the checkpoints file of `receipts`: `<receipts>.checkpoints` beside it.
pub fn path_for(receipts: &Path) -> PathBuf {
    let mut name = receipts.file_name().unwrap_or_default().to_os_string();
    name.push(".checkpoints");
    receipts.with_file_name(name)
}

/// The private half: signs checkpoints. Its `Debug` shows the key id only.
pub struct Signer {
    key: SigningKey,
    public: PublicKey,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("key_id", &self.public.id)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// The key whose 32-byte seed (RFC 8032's secret key) is `seed`.
    pub fn from_seed(seed: &[u8; 32]) -> Signer {
        let key = SigningKey::from_bytes(seed);
        let public = PublicKey::new(key.verifying_key());
        Signer { key, public }
    }

    /// Read the seed from `path`, or create it (32 random bytes, mode 0600, exclusive create:
    /// the token key's rule, `crate::key`).
    pub fn load_or_create(path: &Path) -> Result<Signer, String> {
        crate::key::load_or_create_checkpoint_seed(path).map(|seed| Signer::from_seed(&seed))
    }

    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// Sign "`count` receipts, the last with hash `last_hash`, at `time`".
    pub fn sign(&self, count: u64, last_hash: &str, time: &str) -> Checkpoint {
        use ed25519_dalek::Signer as _;
        let bytes = signed_bytes(&self.public.id, count, last_hash, time);
        let signature = self.key.sign(&bytes);
        Checkpoint {
            version: VERSION,
            count,
            last_hash: last_hash.to_owned(),
            time: time.to_owned(),
            key_id: self.public.id.clone(),
            public_key: self.public.hex.clone(),
            signature: hex(&signature.to_bytes()),
        }
    }
}

/// The public half: what an external party holds to check checkpoints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    key: VerifyingKey,
    hex: String,
    id: String,
}

/// Why a checkpoint does not verify under a public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Invalid {
    /// A field is missing or out of shape (the message names it).
    Malformed(String),
    /// Signed by another key (its `key_id`, or its `public_key` differs).
    OtherKey { key_id: String },
    /// The signature does not match the fields: forged or altered.
    BadSignature,
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Invalid::Malformed(m) => write!(f, "malformed checkpoint: {m}"),
            Invalid::OtherKey { key_id } => write!(
                f,
                "signed by another key (key id `{key_id}`), not the public key given"
            ),
            Invalid::BadSignature => write!(
                f,
                "bad signature: the checkpoint was forged or altered after it was signed"
            ),
        }
    }
}

impl PublicKey {
    fn new(key: VerifyingKey) -> PublicKey {
        PublicKey {
            hex: hex(key.as_bytes()),
            id: key_id(key.as_bytes()),
            key,
        }
    }

    /// A public key as 64 hex digits (as the host prints and serves it).
    pub fn from_hex(s: &str) -> Result<PublicKey, String> {
        let bytes: [u8; 32] = unhex(s.trim())
            .and_then(|b| b.try_into().ok())
            .ok_or("a public key is 64 hex digits (32 bytes)")?;
        VerifyingKey::from_bytes(&bytes)
            .map(PublicKey::new)
            .map_err(|_| "not an Ed25519 public key (not a curve point)".to_owned())
    }

    /// 64 lowercase hex digits.
    pub fn hex(&self) -> &str {
        &self.hex
    }

    pub fn key_id(&self) -> &str {
        &self.id
    }

    /// Whether `cp` was signed by this key, unaltered. Checks the fields' shape first, then the
    /// key, then the signature (strict verification: no malleable or small-order encodings).
    pub fn verify(&self, cp: &Checkpoint) -> Result<(), Invalid> {
        cp.check_shape().map_err(Invalid::Malformed)?;
        if cp.key_id != self.id || cp.public_key != self.hex {
            return Err(Invalid::OtherKey {
                key_id: cp.key_id.clone(),
            });
        }
        let signature = unhex(&cp.signature)
            .and_then(|b| <[u8; 64]>::try_from(b).ok())
            .map(|b| Signature::from_bytes(&b))
            .ok_or_else(|| Invalid::Malformed("`signature` is not 128 hex digits".into()))?;
        let bytes = signed_bytes(&cp.key_id, cp.count, &cp.last_hash, &cp.time);
        self.key
            .verify_strict(&bytes, &signature)
            .map_err(|_| Invalid::BadSignature)
    }
}

/// How a receipts chain disagrees with a checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mismatch {
    /// The chain ends before the checkpoint's `count`: receipts were cut off the end.
    Truncated { covers: u64, has: u64 },
    /// Receipt number `count` has another hash: the chain was rewritten from there or before.
    Rewritten {
        count: u64,
        found: String,
        signed: String,
    },
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mismatch::Truncated { covers, has } => write!(
                f,
                "truncated: checkpoint covers {covers} receipts, file has {has}"
            ),
            Mismatch::Rewritten {
                count,
                found,
                signed,
            } => write!(
                f,
                "rewritten: receipt {count} has hash {found}, the checkpoint signed {signed} (the chain was changed at or before receipt {count})"
            ),
        }
    }
}

impl Checkpoint {
    /// Parse one checkpoint (a line of the checkpoints file, the route's body).
    pub fn parse(text: &str) -> Result<Checkpoint, String> {
        serde_json::from_str(text).map_err(|e| format!("not a checkpoint: {e}"))
    }

    /// The checkpoint as one JSON line (no newline).
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Compare with a chain that holds `receipts` receipts, where `hash_at_count` is the `hash`
    /// of receipt number `self.count` (`None` when the chain is shorter). Says nothing about the
    /// signature: [`PublicKey::verify`] does.
    pub fn check_against(
        &self,
        receipts: u64,
        hash_at_count: Option<&str>,
    ) -> Result<(), Mismatch> {
        match hash_at_count {
            Some(h) if receipts >= self.count && h == self.last_hash => Ok(()),
            Some(h) if receipts >= self.count => Err(Mismatch::Rewritten {
                count: self.count,
                found: h.to_owned(),
                signed: self.last_hash.clone(),
            }),
            _ => Err(Mismatch::Truncated {
                covers: self.count,
                has: receipts,
            }),
        }
    }

    /// Every field in shape (see the module docs): what makes the signed bytes unambiguous.
    fn check_shape(&self) -> Result<(), String> {
        let is_hex = |s: &str, len: usize| {
            s.len() == len
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        };
        if self.version != VERSION {
            return Err(format!(
                "`version` {} (this verifier knows {VERSION})",
                self.version
            ));
        }
        if !is_hex(&self.key_id, 16) {
            return Err("`key_id` is not 16 lowercase hex digits".into());
        }
        if !is_hex(&self.last_hash, 64) {
            return Err("`last_hash` is not 64 lowercase hex digits".into());
        }
        if !is_hex(&self.public_key, 64) {
            return Err("`public_key` is not 64 lowercase hex digits".into());
        }
        if self.time.is_empty() || self.time.len() > 64 || self.time.chars().any(char::is_control) {
            return Err(
                "`time` is empty, longer than 64 bytes or holds a control character".into(),
            );
        }
        Ok(())
    }
}

/// Checkpoints in `text`: one JSON object (a saved route answer, pretty-printed or not), or one
/// per line (a checkpoints file; blank lines skipped). Each with its 1-based line number.
pub fn parse_many(text: &str) -> Vec<(usize, Result<Checkpoint, String>)> {
    if let Ok(cp) = serde_json::from_str::<Checkpoint>(text) {
        return vec![(1, Ok(cp))];
    }
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (i + 1, Checkpoint::parse(l)))
        .collect()
}

/// The checkpoints file, open for appending (the host's writer owns it).
#[derive(Debug)]
pub struct Log {
    file: File,
    /// Where the next line goes.
    end: u64,
}

impl Log {
    /// Open `path` (created durably with mode 0600 when missing), settle its tail (a torn last
    /// line is cut, a whole one gets its newline) and return the log with its last checkpoint.
    /// An error names the line that does not parse: the file is evidence, the caller refuses.
    pub fn open(path: &Path) -> Result<(Log, Option<Checkpoint>), String> {
        let at = |e: std::io::Error| format!("checkpoints file `{}`: {e}", path.display());
        let mut file =
            open_durably(path, 0o600, OpenOptions::new().read(true).write(true)).map_err(at)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(at)?;
        let mut last = None;
        let mut offset = 0usize;
        let mut end = bytes.len();
        for (i, line) in bytes.split_inclusive(|&b| b == b'\n').enumerate() {
            let complete = line.last() == Some(&b'\n');
            let body = line.strip_suffix(b"\n").unwrap_or(line);
            if !complete && is_torn(body) {
                end = offset;
                break;
            }
            offset += line.len();
            let text = std::str::from_utf8(body).map_err(|_| {
                format!(
                    "checkpoints file `{}`: line {}: not UTF-8",
                    path.display(),
                    i + 1
                )
            })?;
            if text.trim().is_empty() {
                continue;
            }
            last = Some(Checkpoint::parse(text).map_err(|e| {
                format!("checkpoints file `{}`: line {}: {e}", path.display(), i + 1)
            })?);
        }
        let end = settle_tail(&mut file, end as u64).map_err(at)?;
        Ok((Log { file, end }, last))
    }

    /// Append `cp` as one line and sync it. On failure the file is cut back to where it ended,
    /// so a half-written line never precedes the next one.
    pub fn append(&mut self, cp: &Checkpoint) -> std::io::Result<()> {
        let mut line = cp.to_line().into_bytes();
        line.push(b'\n');
        let written = self
            .file
            .seek(SeekFrom::Start(self.end))
            .and_then(|_| self.file.write_all(&line))
            .and_then(|()| self.file.sync_data());
        match written {
            Ok(()) => {
                self.end += line.len() as u64;
                Ok(())
            }
            Err(e) => {
                let _ = self
                    .file
                    .set_len(self.end)
                    .and_then(|()| self.file.sync_data());
                Err(e)
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        for nibble in [b >> 4, b & 0xf] {
            s.push(char::from(
                DIGITS.get(usize::from(nibble)).copied().unwrap_or(b'0'),
            ));
        }
    }
    s
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.as_bytes()
        .chunks(2)
        .map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|p| u8::from_str_radix(p, 16).ok())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "4f1c2b5e8d9a0b3c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c";

    /// RFC 8032 section 7.1, test 1: the seed gives the standard public key, so any Ed25519
    /// implementation (OpenSSL, Python's `cryptography`, Go's `crypto/ed25519`) can check our
    /// signatures over [`signed_bytes`].
    #[test]
    fn issue_14_keys_are_standard_ed25519() {
        let seed: [u8; 32] =
            unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
                .unwrap()
                .try_into()
                .unwrap();
        let signer = Signer::from_seed(&seed);
        assert_eq!(
            signer.public_key().hex(),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        assert_eq!(signer.public_key().key_id().len(), 16);
        // The seed never shows in `Debug`.
        assert!(!format!("{signer:?}").contains("9d61b1"));
    }

    #[test]
    fn issue_14_a_checkpoint_verifies_and_any_change_does_not() {
        let signer = Signer::from_seed(&[7; 32]);
        let public = PublicKey::from_hex(signer.public_key().hex()).unwrap();
        let cp = signer.sign(1000, HASH, "2026-12-03T10:00:00Z");
        assert_eq!(public.verify(&cp), Ok(()));
        // Round trip through its JSON line.
        let again = Checkpoint::parse(&cp.to_line()).unwrap();
        assert_eq!(public.verify(&again), Ok(()));

        let mut c = cp.clone();
        c.count = 999;
        assert_eq!(public.verify(&c), Err(Invalid::BadSignature));
        let mut c = cp.clone();
        c.last_hash = HASH.replace('4', "5");
        assert_eq!(public.verify(&c), Err(Invalid::BadSignature));
        let mut c = cp.clone();
        c.time = "2026-12-03T10:00:01Z".into();
        assert_eq!(public.verify(&c), Err(Invalid::BadSignature));
        // One flipped bit of the signature.
        let mut sig = unhex(&cp.signature).unwrap();
        sig[10] ^= 1;
        let mut c = cp.clone();
        c.signature = hex(&sig);
        assert_eq!(public.verify(&c), Err(Invalid::BadSignature));
        // Another key's checkpoint, even when it claims our key id and public key.
        let other = Signer::from_seed(&[8; 32]).sign(1000, HASH, "2026-12-03T10:00:00Z");
        assert!(matches!(
            public.verify(&other),
            Err(Invalid::OtherKey { .. })
        ));
        let mut c = other.clone();
        c.key_id = cp.key_id.clone();
        c.public_key = cp.public_key.clone();
        assert_eq!(public.verify(&c), Err(Invalid::BadSignature));
        // Out of shape: a newline smuggled into the time.
        let mut c = cp.clone();
        c.time = "2026\ncount=5".into();
        assert!(matches!(public.verify(&c), Err(Invalid::Malformed(_))));
    }

    #[test]
    fn issue_14_the_signed_bytes_are_pinned() {
        assert_eq!(
            String::from_utf8(signed_bytes("0011223344556677", 3, HASH, "T")).unwrap(),
            format!(
                "datafog-checkpoint-v1\nkey_id=0011223344556677\ncount=3\nlast_hash={HASH}\ntime=T\n"
            )
        );
    }

    #[test]
    fn issue_14_positions_truncated_and_rewritten() {
        let cp = Signer::from_seed(&[7; 32]).sign(5, HASH, "T");
        assert_eq!(cp.check_against(5, Some(HASH)), Ok(()));
        assert_eq!(cp.check_against(9, Some(HASH)), Ok(()));
        assert_eq!(
            cp.check_against(3, None).unwrap_err().to_string(),
            "truncated: checkpoint covers 5 receipts, file has 3"
        );
        assert!(matches!(
            cp.check_against(9, Some("x")),
            Err(Mismatch::Rewritten { count: 5, .. })
        ));
    }

    #[test]
    fn issue_14_the_log_cuts_a_torn_line_and_returns_the_last() {
        let dir = std::env::temp_dir().join(format!("datafog-cp-log-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = path_for(&dir.join("r.jsonl"));
        assert_eq!(path, dir.join("r.jsonl.checkpoints"));
        let signer = Signer::from_seed(&[7; 32]);
        let (mut log, last) = Log::open(&path).unwrap();
        assert_eq!(last, None);
        let (a, b) = (signer.sign(1, HASH, "T1"), signer.sign(2, HASH, "T2"));
        log.append(&a).unwrap();
        log.append(&b).unwrap();
        drop(log);
        // A torn third line (a crash mid-write) is cut; the last whole one is returned.
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str(r#"{"version":1,"cou"#);
        std::fs::write(&path, &text).unwrap();
        let (mut log, last) = Log::open(&path).unwrap();
        assert_eq!(last.as_ref(), Some(&b));
        let c = signer.sign(3, HASH, "T3");
        log.append(&c).unwrap();
        let lines: Vec<_> = parse_many(&std::fs::read_to_string(&path).unwrap())
            .into_iter()
            .map(|(_, r)| r.unwrap())
            .collect();
        assert_eq!(lines, vec![a, b, c]);
        // A changed line that no longer parses is an error naming the line.
        std::fs::write(&path, "{\"x\":1}\n").unwrap();
        let err = Log::open(&path).unwrap_err();
        assert!(err.contains("line 1"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
