//! `datafog-api`: see `datafog_host` and the README's "Run the API server".

use std::sync::Arc;

use datafog_host::config::Settings;
use datafog_host::{app, build_state};

fn main() {
    let (settings, warnings) = Settings::from_lookup(|k| std::env::var(k).ok());
    for w in &warnings {
        eprintln!("datafog-api: warning: {w}");
    }
    // Parsed (and validated) but not yet applied to connections: say so rather than pretend.
    for k in [
        "DATAFOG_READ_TIMEOUT",
        "DATAFOG_WRITE_TIMEOUT",
        "DATAFOG_IDLE_TIMEOUT",
        "DATAFOG_PPROF_ADDR",
        "DATAFOG_FGPROF",
    ] {
        if std::env::var_os(k).is_some_and(|v| !v.is_empty()) {
            eprintln!("datafog-api: warning: {k} is not implemented yet and has no effect");
        }
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
    let app = app::app(state.clone());
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(settings.read_header_timeout)
        // Go's MaxHeaderBytes (1 MiB).
        .max_buf_size((1 << 20) + 8192);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let signal = shutdown_signal();
    tokio::pin!(signal);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Out of file descriptors and the like: back off, keep serving.
                        eprintln!("datafog-api: accept: {e}");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let service = hyper_util::service::TowerToHyperService::new(app.clone());
                let conn = http.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
            () = &mut signal => break,
        }
    }
    eprintln!("shutdown signal received");
    drop(listener);
    // Drain in-flight requests within the budget; then flush the receipts either way.
    if tokio::time::timeout(settings.shutdown_timeout, graceful.shutdown())
        .await
        .is_err()
    {
        eprintln!(
            "datafog-api: requests still running after {:?}; closing",
            settings.shutdown_timeout
        );
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
