//! What the host's PostgreSQL store (`datafog-api`) and the shim's store commands share
//! (`docs/operations.md`, "Running a fleet").

/// One chain's receipt lines in chain order (`$1`: the chain id).
pub const CHAIN_LINES: &str = "SELECT line FROM datafog_receipts WHERE chain_id = $1 ORDER BY seq";

/// A message about a database error that names the server's reason (never a value: statements
/// carry values as parameters, and the server's messages here are about connections and schema):
/// the SQLSTATE and the server's message, or the client's error and its cause.
pub fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None if e.is_closed() => "connection to the database is closed".to_owned(),
        None => {
            use std::error::Error;
            match e.source() {
                Some(s) => format!("{e}: {s}"),
                None => e.to_string(),
            }
        }
    }
}
