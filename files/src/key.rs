//! The token key: at least 16 bytes, or created as 32 random bytes, 0600, durably (see the crate
//! docs).

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

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
    // The key's bytes and then its directory entry are synced: a token or digest handed out
    // under this key must not outlive the key in a crash.
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(&key).and_then(|()| f.sync_all()))
        .and_then(|()| sync_parent_dir(path));
    match written {
        Ok(()) => Ok(key),
        // Another process created it first: use theirs (under the same rule).
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => std::fs::read(path)
            .map_err(|e| format!("token key `{}`: {e}", path.display()))
            .and_then(|key| checked(path, key)),
        Err(e) => Err(format!("token key `{}`: {e}", path.display())),
    }
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
}
