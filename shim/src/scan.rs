//! `datafog-shim scan PATH...`: scan files and directories with the core detectors.

/// Arguments of `datafog-shim scan`.
#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Files or directories to scan (directories are walked, honouring .gitignore).
    pub paths: Vec<std::path::PathBuf>,
}

/// Run `scan`; the returned code is the process exit code.
pub fn run(_args: &ScanArgs) -> std::process::ExitCode {
    std::process::ExitCode::from(70)
}
