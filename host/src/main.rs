//! `datafog-api`: see `datafog_host` and the README's "Run the API server".
//!
//! - `datafog-api` serves (settings from the environment, `datafog_host::config`).
//! - `datafog-api precompile` compiles the component into the compiled-component cache
//!   (`DATAFOG_CACHE_DIR`) and exits, so the next start loads it instead of compiling (about 2 s
//!   of Cranelift on two cores). Run it at install or image build time (the Dockerfile does).
//!
//! Exit codes: 0 done, 1 failure (the message is on stderr), 2 usage.

use datafog_host::build_state;
use datafog_host::config::Settings;
use datafog_host::runtime;

const USAGE: &str = "usage: `datafog-api` (serve) or `datafog-api precompile` (compile the component into DATAFOG_CACHE_DIR and exit); settings come from the environment (docs/operations.md)";

fn main() {
    let (settings, warnings) = Settings::from_lookup(|k| std::env::var(k).ok());
    // Logs first (`datafog_host::logs`): every later line, warnings included, goes through them.
    if let Some(w) = datafog_host::logs::init(settings.log_json, &settings.log_filter) {
        tracing::warn!("{w}");
    }
    for w in &warnings {
        tracing::warn!("{w}");
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] => serve(&settings),
        ["precompile"] => precompile(&settings),
        ["-h" | "--help" | "help"] => println!("{USAGE}"),
        _ => {
            tracing::error!("unknown arguments `{}`; {USAGE}", args.join(" "));
            std::process::exit(2);
        }
    }
}

/// `datafog-api precompile`: the engine, component and cache directory a start with the same
/// environment uses (`datafog_host::build_state`), so that start finds the file.
fn precompile(settings: &Settings) {
    let wasm = match datafog_host::component_bytes(settings) {
        Ok(w) => w,
        Err(e) => {
            tracing::error!("datafog-api precompile: {e}");
            std::process::exit(1);
        }
    };
    let config = datafog_host::runtime_config(settings);
    let began = std::time::Instant::now();
    match runtime::precompile(&wasm, &config) {
        Ok((path, true)) => tracing::info!(
            "datafog-api precompile: compiled the component in {} ms into {}",
            began.elapsed().as_millis(),
            path.display()
        ),
        Ok((path, false)) => tracing::info!(
            "datafog-api precompile: {} is already compiled for this build; nothing to do",
            path.display()
        ),
        Err(e) => {
            tracing::error!("datafog-api precompile: {e}");
            std::process::exit(1);
        }
    }
}

fn serve(settings: &Settings) {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!("start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    let run = async {
        // The exposure rule first, on the address actually bound: a refused setup exits before
        // it compiles anything or opens (creates) the receipts and key files.
        let listener = tokio::net::TcpListener::bind(&settings.addr)
            .await
            .map_err(|e| format!("listen on {}: {e}", settings.addr))?;
        let bound = listener
            .local_addr()
            .map_err(|e| format!("listen on {}: {e}", settings.addr))?;
        if let Some(warning) = settings.check_exposure(bound)? {
            tracing::warn!("{warning}");
        }
        // Clients that connect meanwhile wait in the listen backlog.
        let state = build_state(settings)?;
        // SIGHUP (and DATAFOG_POLICY_WATCH) reload the policy (`datafog_host::reload`).
        datafog_host::reload::spawn(
            state.clone(),
            settings.policy_path.clone(),
            settings.policy_watch,
        );
        datafog_host::serve(listener, settings, state, shutdown_signal()).await
    };
    if let Err(e) = rt.block_on(run) {
        tracing::error!("{e}");
        std::process::exit(1);
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
