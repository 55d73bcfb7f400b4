//! `datafog-shim receipts verify FILE`: verify a receipts chain offline.

/// Arguments of `datafog-shim receipts verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The receipts JSONL file.
    pub file: std::path::PathBuf,
}

/// Run `receipts verify`; the returned code is the process exit code.
pub fn run(_args: &VerifyArgs) -> std::process::ExitCode {
    std::process::ExitCode::from(70)
}
