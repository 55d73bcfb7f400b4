//! Logs: `tracing` events written to stderr by `tracing-subscriber`, as text (the default) or, with
//! `DATAFOG_LOG_FORMAT=json`, one JSON object per line (`timestamp`, `level`, `target`,
//! `message` and the event's fields at the top level). `DATAFOG_LOG` filters them (EnvFilter
//! syntax: `warn`, `info,datafog_host::access=off`; an invalid filter is reported and `info` is
//! used).
//!
//! What a line may carry: route templates, methods, statuses, latencies, request and trace ids
//! (a client's request id with every entity redacted, see `http::middleware`), file paths,
//! counts and the rule/field of policy problems. Never a request body, a header value other
//! than the ids, or a matched value.
//!
//! Targets: [`ACCESS`] for the per-request access line (`DATAFOG_ACCESS_LOG`), the module path
//! for everything else.

use tracing_subscriber::EnvFilter;

/// The access log's target (filter it with `DATAFOG_LOG=info,datafog_host::access=off`).
pub const ACCESS: &str = "datafog_host::access";

/// Install the global subscriber (once per process; a second call changes nothing). Returns a
/// warning to log when `filter` was not valid EnvFilter syntax.
pub fn init(json: bool, filter: &str) -> Option<String> {
    let (filter, warning) = match EnvFilter::try_new(filter) {
        Ok(f) => (f, None),
        Err(e) => (
            EnvFilter::new("info"),
            Some(format!("invalid DATAFOG_LOG={filter:?} ({e}); using info")),
        ),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false);
    let _ = if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .try_init()
    } else {
        builder.try_init()
    };
    warning
}
