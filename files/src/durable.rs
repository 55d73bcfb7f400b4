//! Durable creation: directories and files whose directory entries survive a crash (see the
//! crate docs).

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

/// Create `dir` and its missing ancestors (mode `mode`), and make each new entry durable: a
/// directory entry is on disk only once its parent directory is synced.
pub fn create_dir_all_durably(dir: &Path, mode: u32) -> std::io::Result<()> {
    let mut missing = Vec::new();
    let mut d = Some(dir);
    while let Some(p) = d.filter(|p| !p.as_os_str().is_empty()) {
        if p.try_exists()? {
            break;
        }
        missing.push(p);
        d = p.parent();
    }
    if missing.is_empty() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(mode)
        .create(dir)?;
    for p in missing.iter().rev() {
        sync_parent_dir(p)?;
    }
    Ok(())
}

/// fsync the directory holding `path` (the current directory for a bare file name), so a newly
/// created `path` survives a crash.
pub fn sync_parent_dir(path: &Path) -> std::io::Result<()> {
    let parent = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    File::open(parent)?.sync_all()
}

/// Open `path` with `options` (plus create, mode `mode`), creating its directory (0750) if
/// missing; when this call created the file, its directory entry is synced before returning,
/// so a receipt acknowledged later cannot vanish with the file's name in a crash.
pub fn open_durably(path: &Path, mode: u32, options: &mut OpenOptions) -> std::io::Result<File> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_dir_all_durably(dir, 0o750)?;
    }
    match options.clone().create_new(true).mode(mode).open(path) {
        Ok(f) => {
            sync_parent_dir(path)?;
            Ok(f)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => options.open(path),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn files_and_directories_are_created_durably() {
        let base = std::env::temp_dir().join(format!("datafog-durable-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let path = base.join("a/b/r.jsonl");
        let mut f = open_durably(&path, 0o600, OpenOptions::new().append(true)).unwrap();
        f.write_all(b"x\n").unwrap();
        drop(f);
        for d in [base.join("a"), base.join("a/b")] {
            let mode = std::fs::metadata(&d).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode & !0o022, 0o750 & !0o022, "{}", d.display());
        }
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // Opening an existing file keeps its contents (no create_new, no truncate).
        let f = open_durably(&path, 0o600, OpenOptions::new().append(true)).unwrap();
        drop(f);
        assert_eq!(std::fs::read(&path).unwrap(), b"x\n");
        // A bare file name syncs the current directory.
        sync_parent_dir(Path::new("r.jsonl")).unwrap();
        std::fs::remove_dir_all(&base).unwrap();
    }
}
