//! `datafog-api`: see `datafog_host` and the README's "Run the API server".

use datafog_host::build_state;
use datafog_host::config::Settings;

fn main() {
    let (settings, warnings) = Settings::from_lookup(|k| std::env::var(k).ok());
    for w in &warnings {
        eprintln!("datafog-api: warning: {w}");
    }
    let state = match build_state(&settings) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("datafog-api: {e}");
            std::process::exit(1);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("datafog-api: start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    let run = async {
        let listener = tokio::net::TcpListener::bind(&settings.addr)
            .await
            .map_err(|e| format!("listen on {}: {e}", settings.addr))?;
        let bound = listener
            .local_addr()
            .map_err(|e| format!("listen on {}: {e}", settings.addr))?;
        if let Some(warning) = settings.check_exposure(bound)? {
            eprintln!("datafog-api: warning: {warning}");
        }
        datafog_host::serve(listener, &settings, state, shutdown_signal()).await
    };
    if let Err(e) = rt.block_on(run) {
        eprintln!("datafog-api: {e}");
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
