//! The token key: at least 16 bytes, or created as 32 random bytes, 0600, durably (see the crate
//! docs).

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::durable::{create_dir_all_durably, sync_parent_dir};

/// The shortest key accepted from an existing file.
pub const MIN_KEY_LEN: usize = 16;

/// Bytes of a generated key.
pub const NEW_KEY_LEN: usize = 32;

/// Read the token key, or create it: 32 random bytes in a new file of mode 0600. The key makes
/// tokens, hashes and receipt `value_digest`s keyed (HMAC-SHA256), so low-entropy values cannot be
/// recovered by a dictionary; keep it as secret as the data, and keep it across restarts (a new
/// key changes every token and digest). A file of fewer than 16 bytes is refused.
pub fn load_or_create_key(path: &Path) -> Result<Vec<u8>, String> {
    match std::fs::read(path) {
        Ok(key) => return checked(path, key),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("token key `{}`: {e}", path.display())),
    }
    let mut key = vec![0u8; NEW_KEY_LEN];
    getrandom::fill(&mut key).map_err(|e| format!("generate a token key: {e}"))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_dir_all_durably(dir, 0o750)
            .map_err(|e| format!("token key `{}`: {e}", path.display()))?;
    }
    // The key is written whole under a temporary name (bytes synced), then linked into place:
    // `link` fails if the name exists, so a process racing us never reads a half-written key,
    // and the loser of a race uses the winner's key. Then the directory entry is synced: a token
    // or digest handed out under this key must not outlive the key in a crash.
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
            .map_err(|e| format!("token key `{}`: {e}", path.display()))
            .and_then(|key| checked(path, key)),
        Err(e) => Err(format!("token key `{}`: {e}", path.display())),
    }
}

/// A name beside `path` no other process or thread uses: `.<name>.<pid>.<n>.tmp`.
fn temp_name(path: &Path) -> std::path::PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let n = N.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.{}.{n}.tmp", std::process::id()))
}

fn checked(path: &Path, key: Vec<u8>) -> Result<Vec<u8>, String> {
    if key.len() >= MIN_KEY_LEN {
        return Ok(key);
    }
    Err(format!(
        "token key `{}` has {} bytes; want at least {MIN_KEY_LEN} (delete it to generate a new one)",
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
