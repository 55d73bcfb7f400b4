//! Key files: the token key (at least 16 bytes) and the checkpoint key (exactly 32), each
//! created as 32 random bytes, 0600, durably when missing (see the crate docs). One rule, two
//! lengths.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::durable::{create_dir_all_durably, sync_parent_dir};

/// The shortest key accepted from an existing file.
pub const MIN_KEY_LEN: usize = 16;

/// Bytes of a generated key.
pub const NEW_KEY_LEN: usize = 32;

/// What a key file must hold: its name in messages and its accepted lengths.
struct Rule {
    what: &'static str,
    min: usize,
    max: usize,
}

const TOKEN_KEY: Rule = Rule {
    what: "token key",
    min: MIN_KEY_LEN,
    max: usize::MAX,
};

/// The checkpoint key is an Ed25519 seed: exactly 32 bytes.
const CHECKPOINT_KEY: Rule = Rule {
    what: "checkpoint key",
    min: NEW_KEY_LEN,
    max: NEW_KEY_LEN,
};

/// Read the token key, or create it: 32 random bytes in a new file of mode 0600. The key makes
/// tokens, hashes and receipt `value_digest`s keyed (HMAC-SHA256), so low-entropy values cannot be
/// recovered by a dictionary; keep it as secret as the data, and keep it across restarts (a new
/// key changes every token and digest). A file of fewer than 16 bytes is refused.
pub fn load_or_create_key(path: &Path) -> Result<Vec<u8>, String> {
    load_or_create(path, &TOKEN_KEY)
}

/// Read the checkpoint key (the 32-byte Ed25519 seed that signs receipt checkpoints, see
/// [`crate::checkpoint`]), or create it under the token key's rule: 32 random bytes in a new file
/// of mode 0600, created exclusively and synced. A file of any other length is refused.
pub fn load_or_create_checkpoint_seed(path: &Path) -> Result<[u8; NEW_KEY_LEN], String> {
    let key = load_or_create(path, &CHECKPOINT_KEY)?;
    <[u8; NEW_KEY_LEN]>::try_from(key.as_slice())
        .map_err(|_| format!("checkpoint key `{}`: want 32 bytes", path.display()))
}

fn load_or_create(path: &Path, rule: &Rule) -> Result<Vec<u8>, String> {
    let what = rule.what;
    match std::fs::read(path) {
        Ok(key) => return checked(path, key, rule),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("{what} `{}`: {e}", path.display())),
    }
    let mut key = vec![0u8; NEW_KEY_LEN];
    getrandom::fill(&mut key).map_err(|e| format!("generate a {what}: {e}"))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_dir_all_durably(dir, 0o750)
            .map_err(|e| format!("{what} `{}`: {e}", path.display()))?;
    }
    // The key is written whole under a temporary name (bytes synced), then linked into place:
    // `link` fails if the name exists, so a process racing us never reads a half-written key,
    // and the loser of a race uses the winner's key. Then the directory entry is synced: a token
    // or digest handed out (a checkpoint signed) under this key must not outlive the key in a
    // crash.
    let tmp = temp_name(path);
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .and_then(|mut f| f.write_all(&key).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::hard_link(&tmp, path));
    let _ = std::fs::remove_file(&tmp);
    match written.and_then(|()| sync_parent_dir(path)) {
        Ok(()) => Ok(key),
        // Another process created it first: use theirs (under the same rule).
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => std::fs::read(path)
            .map_err(|e| format!("{what} `{}`: {e}", path.display()))
            .and_then(|key| checked(path, key, rule)),
        Err(e) => Err(format!("{what} `{}`: {e}", path.display())),
    }
}

/// A name beside `path` no other process or thread uses: `.<name>.<pid>.<n>.tmp`.
fn temp_name(path: &Path) -> std::path::PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let n = N.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.{}.{n}.tmp", std::process::id()))
}

fn checked(path: &Path, key: Vec<u8>, rule: &Rule) -> Result<Vec<u8>, String> {
    if (rule.min..=rule.max).contains(&key.len()) {
        return Ok(key);
    }
    let want = if rule.min == rule.max {
        format!("want exactly {}", rule.min)
    } else {
        format!("want at least {}", rule.min)
    };
    Err(format!(
        "{} `{}` has {} bytes; {want} (delete it to generate a new one)",
        rule.what,
        path.display(),
        key.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn temp(tag: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("datafog-key-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn issue_8_a_short_key_is_refused_and_a_new_one_is_32_bytes_0600() {
        let dir = temp("rule");
        let path = dir.join("new/datafog_token.key");
        let a = load_or_create_key(&path).unwrap();
        assert_eq!(a.len(), NEW_KEY_LEN);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(load_or_create_key(&path).unwrap(), a);

        for short in [&b""[..], b"12345678", b"123456789012345"] {
            std::fs::write(&path, short).unwrap();
            let err = load_or_create_key(&path).unwrap_err();
            assert!(err.contains("datafog_token.key"), "{err}");
            assert!(err.contains("want at least 16"), "{err}");
            // Refused, not replaced.
            assert_eq!(std::fs::read(&path).unwrap(), short);
        }
        std::fs::write(&path, b"0123456789abcdef").unwrap();
        assert_eq!(load_or_create_key(&path).unwrap(), b"0123456789abcdef");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn issue_14_the_checkpoint_key_is_32_bytes_0600_and_reused() {
        let dir = temp("checkpoint");
        let path = dir.join("datafog_checkpoint.key");
        let a = load_or_create_checkpoint_seed(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(load_or_create_checkpoint_seed(&path).unwrap(), a);
        // Any other length is refused and left alone (a token-sized 16-byte file included).
        for wrong in [&b""[..], b"0123456789abcdef", &[7u8; 33]] {
            std::fs::write(&path, wrong).unwrap();
            let err = load_or_create_checkpoint_seed(&path).unwrap_err();
            assert!(err.starts_with("checkpoint key `"), "{err}");
            assert!(err.contains("want exactly 32"), "{err}");
            assert_eq!(std::fs::read(&path).unwrap(), wrong);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Processes racing to create the key all get the winner's whole key (never a half-written
    /// file, which the 16-byte rule would refuse or, worse, accept as a different key).
    #[test]
    fn racing_creators_share_one_whole_key() {
        let dir = temp("race");
        let path = dir.join("datafog_token.key");
        let keys: Vec<Vec<u8>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| s.spawn(|| load_or_create_key(&path).unwrap()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(keys.iter().all(|k| *k == keys[0] && k.len() == NEW_KEY_LEN));
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
