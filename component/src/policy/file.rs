//! Reading a policy file with a bound: the one piece of I/O in the core, here so that every
//! front-end that loads a policy from disk (the host, the shim) refuses the same inputs with the
//! same message. The core itself never calls it.
//!
//! At most [`MAX_POLICY_BYTES`] + 1 bytes are read (`Read::take`), so `/dev/zero` or an endless
//! pipe costs one buffer, not all memory. Directories, devices and sockets are refused before any
//! read; a regular file whose size is over the limit is refused from its metadata. Pipes are read
//! (`--policy <(generate-policy)`), under the same bound.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::MAX_POLICY_BYTES;

/// Read the policy document at `path`: at most [`MAX_POLICY_BYTES`] bytes, from a regular file or
/// a pipe. The error is one lowercase phrase about the file (`is larger than ...`, an I/O error's
/// text); the caller names the file: ``load policy `config/policy.json`: <error>``.
pub fn read_policy_file(path: impl AsRef<Path>) -> Result<Vec<u8>, String> {
    let file = File::open(path.as_ref()).map_err(|e| e.to_string())?;
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if let Some(kind) = refused_kind(&meta.file_type()) {
        return Err(format!(
            "is a {kind}, not a policy file; give the path of a JSON file"
        ));
    }
    if meta.is_file() && meta.len() > limit() {
        return Err(too_large());
    }
    read_bounded(file)
}

/// `MAX_POLICY_BYTES` as a `u64` (lossless: the limit is far below `u64::MAX`).
fn limit() -> u64 {
    u64::try_from(MAX_POLICY_BYTES).unwrap_or(u64::MAX)
}

fn too_large() -> String {
    format!(
        "is larger than {MAX_POLICY_BYTES} bytes, the policy size limit (`MAX_POLICY_BYTES`); \
         remove or merge rules"
    )
}

/// Read at most `MAX_POLICY_BYTES + 1` bytes; more than `MAX_POLICY_BYTES` is an error.
fn read_bounded(reader: impl Read) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    reader
        .take(limit().saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() > MAX_POLICY_BYTES {
        return Err(too_large());
    }
    Ok(bytes)
}

/// What a non-file path is, if it is one we refuse.
fn refused_kind(t: &std::fs::FileType) -> Option<&'static str> {
    if t.is_dir() {
        return Some("directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_char_device() {
            return Some("character device");
        }
        if t.is_block_device() {
            return Some("block device");
        }
        if t.is_socket() {
            return Some("socket");
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 14: `/dev/zero` as a policy path is refused at once, not read without bound.
    #[cfg(unix)]
    #[test]
    fn issue_14_dev_zero_is_refused_quickly() {
        let start = std::time::Instant::now();
        let err = read_policy_file("/dev/zero").expect_err("a device is not a policy");
        assert_eq!(
            err,
            "is a character device, not a policy file; give the path of a JSON file"
        );
        let err = read_policy_file("/").expect_err("a directory is not a policy");
        assert!(err.starts_with("is a directory"), "{err}");
        assert!(start.elapsed() < std::time::Duration::from_secs(1));
    }

    /// The bound itself, for whatever passes the type check (a pipe, a file that grows).
    #[test]
    fn issue_14_an_endless_stream_is_cut_at_the_limit() {
        let start = std::time::Instant::now();
        let err = read_bounded(std::io::repeat(b' ')).expect_err("endless input");
        assert!(err.contains("larger than 4194304 bytes"), "{err}");
        assert!(err.contains("MAX_POLICY_BYTES"), "{err}");
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
        let exact = read_bounded(std::io::repeat(b' ').take(limit())).map(|b| b.len());
        assert_eq!(exact, Ok(MAX_POLICY_BYTES));
    }

    #[test]
    fn files_over_the_limit_are_refused_and_others_read() {
        let dir = std::env::temp_dir().join(format!("datafog-policy-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let big = dir.join("big.json");
        let f = File::create(&big).unwrap();
        f.set_len(limit() + 1).unwrap();
        let err = read_policy_file(&big).expect_err("over the limit");
        assert!(err.starts_with("is larger than 4194304 bytes"), "{err}");
        let small = dir.join("small.json");
        std::fs::write(&small, b"{}").unwrap();
        assert_eq!(read_policy_file(&small), Ok(b"{}".to_vec()));
        let missing = read_policy_file(dir.join("missing.json")).expect_err("missing");
        assert!(!missing.is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
