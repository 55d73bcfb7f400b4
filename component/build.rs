//! Computes the core's version digest (`datafog::CORE_VERSION`): FNV-1a 64 over this crate's
//! `Cargo.toml`, every file under `src/` (sorted by path, each with its relative path) and the WIT
//! contract. The native build and the wasm32 guest built from the same tree get the same digest,
//! so a host that runs core code natively can refuse a guest built from other sources.

use std::path::{Path, PathBuf};

fn main() {
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let mut files = Vec::new();
    collect(&dir.join("src"), &mut files);
    files.push(dir.join("Cargo.toml"));
    files.push(dir.join("../wit/firewall.wit"));
    files.sort();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for f in &files {
        let rel = f.strip_prefix(&dir).unwrap_or(f);
        for b in rel
            .to_string_lossy()
            .as_bytes()
            .iter()
            .chain(&[0u8])
            .chain(std::fs::read(f).unwrap_or_default().iter())
        {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        println!("cargo:rerun-if-changed={}", f.display());
    }
    println!("cargo:rerun-if-changed={}", dir.join("src").display());
    println!("cargo:rustc-env=DATAFOG_CORE_DIGEST={h:016x}");
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else {
            out.push(p);
        }
    }
}
