//! `datafog-api`: see `datafog_host` and the README's "Run the API server".

use std::sync::Arc;

use datafog_host::config::Settings;
use datafog_host::{app, build_state};

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
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("datafog-api: start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = rt.block_on(serve(&settings, state)) {
        eprintln!("datafog-api: {e}");
        std::process::exit(1);
    }
}

async fn serve(settings: &Settings, state: Arc<app::AppState>) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(&settings.addr)
        .await
        .map_err(|e| format!("listen on {}: {e}", settings.addr))?;
    let local = listener
        .local_addr()
        .map_err(|e| format!("listen on {}: {e}", settings.addr))?;
    eprintln!("datafog-api listening on {local}");
    let stop = Arc::new(tokio::sync::Notify::new());
    let server = {
        let stop = stop.clone();
        let app = app::app(state.clone());
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move { stop.notified().await })
                .await
        })
    };
    let mut server = server;
    tokio::select! {
        done = &mut server => {
            return match done {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(format!("serve: {e}")),
                Err(e) => Err(format!("serve: {e}")),
            };
        }
        () = shutdown_signal() => {}
    }
    eprintln!("shutdown signal received");
    stop.notify_one();
    // Drain in-flight requests within the budget; then flush the receipts either way.
    if tokio::time::timeout(settings.shutdown_timeout, &mut server).await.is_err() {
        eprintln!(
            "datafog-api: requests still running after {:?}; closing",
            settings.shutdown_timeout
        );
        server.abort();
    }
    let receipts = state.receipts.clone();
    let _ = tokio::task::spawn_blocking(move || receipts.close()).await;
    eprintln!("datafog-api: receipts flushed; bye");
    Ok(())
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
