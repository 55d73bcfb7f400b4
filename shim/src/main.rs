//! `datafog-shim`: see `datafog_shim` and `docs/shim.md`.

use clap::{Parser, Subcommand};
use datafog_shim::{scan, verify};

#[derive(Debug, Parser)]
#[command(
    name = "datafog-shim",
    about = "DataFog policy gate for commands, files and agent hooks"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Scan files and directories for secrets and PII (JSON or SARIF output).
    Scan(scan::ScanArgs),
    /// Receipts tools.
    #[command(subcommand)]
    Receipts(ReceiptsCommand),
}

#[derive(Debug, Subcommand)]
enum ReceiptsCommand {
    /// Verify a receipts chain offline and report the first break.
    Verify(verify::VerifyArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match &cli.command {
        Command::Scan(a) => scan::run(a),
        Command::Receipts(ReceiptsCommand::Verify(a)) => verify::run(a),
    }
}
