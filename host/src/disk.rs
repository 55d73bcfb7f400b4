//! The receipts disk's free-space floor (`DATAFOG_MIN_FREE_DISK_MB`).
//!
//! A full disk fails every receipt write, and so every decision, for every client. Below the floor
//! decisions are refused up front with 507 `insufficient_storage` (fail closed, nothing written),
//! while the disk still has room: receipts already queued finish, the reading routes keep
//! working (`/health` stays `ok`; the metrics below say why decides fail). Free space is read with `statvfs` (the space an unprivileged
//! writer may use) at most every [`RECHECK`], so a decide pays one atomic load; the last reading
//! is exported as `datafog_receipts_disk_free_bytes`, and each refusal counts in
//! `datafog_decides_refused_disk_total`.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How stale a free-space reading may be.
pub const RECHECK: Duration = Duration::from_millis(250);

/// The floor and the latest reading of the receipts directory's free space.
#[derive(Debug)]
pub struct DiskFloor {
    /// The receipts file's directory.
    dir: PathBuf,
    /// Bytes; 0 disables the floor (free space is still measured).
    floor: u64,
    free: AtomicU64,
    below: AtomicBool,
    checked: Mutex<Option<Instant>>,
    /// Decides refused because the disk was below the floor.
    pub refused: AtomicU64,
}

impl DiskFloor {
    /// The floor for the file system holding `receipts` (its directory), `floor_bytes` of free
    /// space (0: none).
    pub fn new(receipts: &std::path::Path, floor_bytes: u64) -> DiskFloor {
        let dir = match receipts.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let d = DiskFloor {
            dir,
            floor: floor_bytes,
            free: AtomicU64::new(u64::MAX),
            below: AtomicBool::new(false),
            checked: Mutex::new(None),
            refused: AtomicU64::new(0),
        };
        d.measure();
        d
    }

    /// Read the free space now.
    fn measure(&self) {
        match rustix::fs::statvfs(&self.dir) {
            Ok(st) => {
                let free = st.f_bavail.saturating_mul(st.f_frsize);
                self.free.store(free, Ordering::Relaxed);
                let below = self.floor > 0 && free < self.floor;
                // One line per crossing, not one per refused request (a flood of 507s must
                // not fill what is left of the disk with log lines).
                if self.below.swap(below, Ordering::Relaxed) != below {
                    let mib = |b: u64| b >> 20;
                    if below {
                        tracing::warn!(
                            "receipts disk `{}` has {} MiB free, under the {} MiB floor (DATAFOG_MIN_FREE_DISK_MB): refusing decisions (507 insufficient_storage) until space is freed",
                            self.dir.display(),
                            mib(free),
                            mib(self.floor)
                        );
                    } else {
                        tracing::info!(
                            "receipts disk `{}` has {} MiB free again: decisions resume",
                            self.dir.display(),
                            mib(free)
                        );
                    }
                }
            }
            // Unreadable: the floor cannot be judged; the write path still fails closed on a
            // full disk (see `receipts`).
            Err(_) => self.below.store(false, Ordering::Relaxed),
        }
    }

    /// `true` when decisions must be refused: free space is below the floor (re-read when the
    /// last reading is older than [`RECHECK`]).
    pub fn is_below(&self) -> bool {
        let stale = self
            .checked
            .try_lock()
            .ok()
            .map(|mut at| {
                let now = Instant::now();
                let stale = at.is_none_or(|t| now.duration_since(t) >= RECHECK);
                if stale {
                    *at = Some(now);
                }
                stale
            })
            .unwrap_or(false);
        if stale {
            self.measure();
        }
        self.below.load(Ordering::Relaxed)
    }

    /// The latest reading (`u64::MAX` before one succeeded).
    pub fn free_bytes(&self) -> u64 {
        self.free.load(Ordering::Relaxed)
    }

    pub fn floor_bytes(&self) -> u64 {
        self.floor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_floor_above_the_free_space_refuses_and_zero_never_does() {
        let dir = std::env::temp_dir();
        let file = dir.join("datafog-disk-floor-test.jsonl");
        let off = DiskFloor::new(&file, 0);
        assert!(!off.is_below());
        let free = off.free_bytes();
        assert!(free > 0 && free < u64::MAX, "{free}");
        let high = DiskFloor::new(&file, u64::MAX);
        assert!(high.is_below());
        let low = DiskFloor::new(&file, 1);
        assert!(!low.is_below());
        // A bare file name is in the working directory.
        assert!(!DiskFloor::new(std::path::Path::new("r.jsonl"), 1).is_below());
    }
}
