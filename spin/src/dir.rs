//! The `wasmtime serve` build's store: a directory (preopened with `--dir HOST::GUEST`, named by
//! the `store_dir` variable), one file per key. Written with plain `std::fs`, so it runs (and is
//! tested) natively too.
//!
//! - `put`: the value goes to a temporary file, is synced, and is renamed over the key's file
//!   (and the directory synced); `put_lazily` skips both syncs (hints, events, checkpoints).
//! - `create`: the same temporary file, then a hard link to the key's path, which fails if the
//!   path exists: an atomic, exclusive create of a complete file (a crash leaves no half-written
//!   chain entry, only a stray temporary file).
//!
//! Keys are the state module's (`chain/…`, `receipt/<hex>`, …): `/`-separated, each part
//! `[A-Za-z0-9_.-]`; anything else is refused.

use std::fs::{self, File};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::state::Store;

/// A directory of keys.
#[derive(Debug)]
pub struct DirStore {
    root: PathBuf,
}

impl DirStore {
    /// Use `root` (created if absent).
    pub fn open(root: &str) -> Result<DirStore, String> {
        let root = PathBuf::from(root);
        fs::create_dir_all(root.join("tmp"))
            .map_err(|e| format!("cannot use `{}`: {e}", root.display()))?;
        Ok(DirStore { root })
    }

    fn path(&self, key: &str) -> Result<PathBuf, String> {
        let ok = !key.is_empty()
            && key.split('/').all(|p| {
                !p.is_empty()
                    && p != "."
                    && p != ".."
                    && p.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
            });
        if !ok {
            return Err("invalid store key".to_owned());
        }
        Ok(self.root.join(key))
    }

    /// `value` in a temporary file (synced if `sync`); its path.
    fn staged(&self, value: &[u8], sync: bool) -> Result<PathBuf, String> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let mut rnd = [0u8; 8];
        random(&mut rnd);
        let name = format!(
            "{}-{}",
            rnd.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let tmp = self.root.join("tmp").join(name);
        let mut f = File::create_new(&tmp).map_err(|e| format!("stage a write: {e}"))?;
        f.write_all(value)
            .and_then(|()| if sync { f.sync_all() } else { Ok(()) })
            .map_err(|e| {
                let _ = fs::remove_file(&tmp);
                format!("write: {e}")
            })?;
        Ok(tmp)
    }
}

fn parent_dir(path: &Path) -> Result<(), String> {
    match path.parent() {
        Some(p) => fs::create_dir_all(p).map_err(|e| format!("create directory: {e}")),
        None => Ok(()),
    }
}

/// Sync a directory so a new name in it survives a crash (best effort: not every platform opens
/// directories as files).
fn sync_dir(path: &Path) {
    if let Some(p) = path.parent()
        && let Ok(d) = File::open(p)
    {
        let _ = d.sync_all();
    }
}

#[cfg(target_arch = "wasm32")]
fn random(buf: &mut [u8]) {
    let _ = getrandom::fill(buf);
}

#[cfg(not(target_arch = "wasm32"))]
fn random(buf: &mut [u8]) {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    for (b, x) in buf.iter_mut().zip(h.finish().to_le_bytes()) {
        *b = x;
    }
}

impl DirStore {
    /// Write `value` beside `key` and rename it over `key` (atomic: readers see the old or the
    /// new value); `sync`: the file and the directory entry are synced.
    fn replace(&self, key: &str, value: &[u8], sync: bool) -> Result<(), String> {
        let path = self.path(key)?;
        parent_dir(&path)?;
        let tmp = self.staged(value, sync)?;
        fs::rename(&tmp, &path).map_err(|e| {
            let _ = fs::remove_file(&tmp);
            format!("rename: {e}")
        })?;
        if sync {
            sync_dir(&path);
        }
        Ok(())
    }
}

impl Store for DirStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
        match fs::read(self.path(key)?) {
            Ok(v) => Ok(Some(v)),
            // A file where a key's directory should be holds no such key either.
            Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
                Ok(None)
            }
            Err(e) => Err(format!("read: {e}")),
        }
    }

    fn put(&self, key: &str, value: &[u8]) -> Result<(), String> {
        self.replace(key, value, true)
    }

    fn put_lazily(&self, key: &str, value: &[u8]) -> Result<(), String> {
        self.replace(key, value, false)
    }

    fn create(&self, key: &str, value: &[u8]) -> Result<bool, String> {
        let path = self.path(key)?;
        parent_dir(&path)?;
        let tmp = self.staged(value, true)?;
        let linked = fs::hard_link(&tmp, &path);
        let _ = fs::remove_file(&tmp);
        match linked {
            Ok(()) => {
                sync_dir(&path);
                Ok(true)
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(format!("link: {e}")),
        }
    }
}
