//! `spin3-host`: a Spin-compatible HTTP host for the conformance suite. No Spin CLI installs on the
//! machines this project is built on, so this serves the edge app's **Spin 3 build**
//! (`spin/spin.toml`'s build, `--features spin`) with what a Spin 3 host gives a component:
//! WASI 0.2 and `wasi:http` (wasmtime's implementations, as in `wasmtime serve`), and the Spin 3
//! versions of `wasi:keyvalue/{store,atomics}@0.2.0-draft2` and
//! `wasi:config/store@0.2.0-draft-2024-09-27` (implemented here: one in-memory key-value map per
//! store label shared by every request, compare-and-swap by value, variables from the command
//! line). One instance per request, like Spin.
//!
//! ```sh
//! spin3-host --addr 127.0.0.1:3000 --var api_token=s3cret [--kv default] [--cache DIR] APP.wasm
//! ```
//!
//! Prints `spin3-host listening on ADDR` once it accepts connections.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test host: a failure to start is reported and exits"
)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use wasmtime::component::{HasSelf, Linker, Resource, ResourceTable};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

mod spin3 {
    wasmtime::component::bindgen!({
        path: "wit/spin3",
        world: "spin3-host",
        with: {
            "wasi:keyvalue/store.bucket": super::Bucket,
            "wasi:keyvalue/atomics.cas": super::Cas,
        },
    });
}

use spin3::wasi::config::store as config;
use spin3::wasi::keyvalue::{atomics, store};

/// Store label -> key -> value, shared by every request.
type Kv = Arc<Mutex<HashMap<String, HashMap<String, Vec<u8>>>>>;

/// An open bucket: its label.
#[derive(Debug)]
pub struct Bucket(String);

/// A compare-and-swap handle: the key and the value seen when it was made.
#[derive(Debug)]
pub struct Cas {
    bucket: String,
    key: String,
    seen: Option<Vec<u8>>,
}

struct State {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    kv: Kv,
    vars: Arc<Vec<(String, String)>>,
    labels: Arc<Vec<String>>,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for State {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: Default::default(),
        }
    }
}

fn other(e: impl std::fmt::Display) -> store::Error {
    store::Error::Other(e.to_string())
}

impl store::Host for State {
    fn open(&mut self, identifier: String) -> Result<Resource<Bucket>, store::Error> {
        // Spin: a component may open only the stores its manifest lists.
        if !self.labels.contains(&identifier) {
            return Err(store::Error::NoSuchStore);
        }
        self.table.push(Bucket(identifier)).map_err(other)
    }
}

impl State {
    fn label(&self, b: &Resource<Bucket>) -> Result<String, store::Error> {
        Ok(self.table.get(b).map_err(other)?.0.clone())
    }
}

impl store::HostBucket for State {
    fn get(&mut self, b: Resource<Bucket>, key: String) -> Result<Option<Vec<u8>>, store::Error> {
        let label = self.label(&b)?;
        let kv = self.kv.lock().map_err(other)?;
        Ok(kv.get(&label).and_then(|m| m.get(&key)).cloned())
    }
    fn set(
        &mut self,
        b: Resource<Bucket>,
        key: String,
        value: Vec<u8>,
    ) -> Result<(), store::Error> {
        let label = self.label(&b)?;
        let mut kv = self.kv.lock().map_err(other)?;
        kv.entry(label).or_default().insert(key, value);
        Ok(())
    }
    fn delete(&mut self, b: Resource<Bucket>, key: String) -> Result<(), store::Error> {
        let label = self.label(&b)?;
        let mut kv = self.kv.lock().map_err(other)?;
        kv.entry(label).or_default().remove(&key);
        Ok(())
    }
    fn exists(&mut self, b: Resource<Bucket>, key: String) -> Result<bool, store::Error> {
        Ok(self.get(b, key)?.is_some())
    }
    fn list_keys(
        &mut self,
        b: Resource<Bucket>,
        _cursor: Option<String>,
    ) -> Result<store::KeyResponse, store::Error> {
        let label = self.label(&b)?;
        let kv = self.kv.lock().map_err(other)?;
        let mut keys: Vec<String> = kv
            .get(&label)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        keys.sort();
        Ok(store::KeyResponse { keys, cursor: None })
    }
    fn drop(&mut self, b: Resource<Bucket>) -> wasmtime::Result<()> {
        self.table.delete(b)?;
        Ok(())
    }
}

impl atomics::Host for State {
    fn increment(
        &mut self,
        b: Resource<Bucket>,
        key: String,
        delta: i64,
    ) -> Result<i64, store::Error> {
        let label = self.label(&b)?;
        let mut kv = self.kv.lock().map_err(other)?;
        let m = kv.entry(label).or_default();
        let now = m
            .get(&key)
            .and_then(|v| std::str::from_utf8(v).ok()?.parse::<i64>().ok())
            .unwrap_or(0)
            .saturating_add(delta);
        m.insert(key, now.to_string().into_bytes());
        Ok(now)
    }

    /// Set the value if it is still what `cas` saw (absent included); else hand the handle back.
    fn swap(&mut self, cas: Resource<Cas>, value: Vec<u8>) -> Result<(), atomics::CasError> {
        let c = self
            .table
            .delete(cas)
            .map_err(|e| atomics::CasError::StoreError(other(e)))?;
        let mut kv = self
            .kv
            .lock()
            .map_err(|e| atomics::CasError::StoreError(other(e)))?;
        let m = kv.entry(c.bucket.clone()).or_default();
        if m.get(&c.key) == c.seen.as_ref() {
            m.insert(c.key, value);
            return Ok(());
        }
        drop(kv);
        let back = self
            .table
            .push(c)
            .map_err(|e| atomics::CasError::StoreError(other(e)))?;
        Err(atomics::CasError::CasFailed(back))
    }
}

impl atomics::HostCas for State {
    fn new(&mut self, b: Resource<Bucket>, key: String) -> Result<Resource<Cas>, store::Error> {
        let bucket = self.label(&b)?;
        let seen = {
            let kv = self.kv.lock().map_err(other)?;
            kv.get(&bucket).and_then(|m| m.get(&key)).cloned()
        };
        self.table.push(Cas { bucket, key, seen }).map_err(other)
    }
    fn current(&mut self, cas: Resource<Cas>) -> Result<Option<Vec<u8>>, store::Error> {
        Ok(self.table.get(&cas).map_err(other)?.seen.clone())
    }
    fn drop(&mut self, cas: Resource<Cas>) -> wasmtime::Result<()> {
        self.table.delete(cas)?;
        Ok(())
    }
}

impl config::Host for State {
    fn get(&mut self, key: String) -> Result<Option<String>, config::Error> {
        Ok(self
            .vars
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone()))
    }
    fn get_all(&mut self) -> Result<Vec<(String, String)>, config::Error> {
        Ok(self.vars.to_vec())
    }
}

struct Server {
    pre: ProxyPre<State>,
    kv: Kv,
    vars: Arc<Vec<(String, String)>>,
    labels: Arc<Vec<String>>,
}

impl Server {
    async fn handle(
        &self,
        req: hyper::Request<hyper::body::Incoming>,
    ) -> wasmtime::Result<hyper::Response<HyperOutgoingBody>> {
        let mut store = Store::new(
            self.pre.engine(),
            State {
                wasi: WasiCtx::builder().inherit_stderr().build(),
                http: WasiHttpCtx::new(),
                table: ResourceTable::new(),
                kv: self.kv.clone(),
                vars: self.vars.clone(),
                labels: self.labels.clone(),
            },
        );
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let req = store
            .data_mut()
            .http()
            .new_incoming_request(Scheme::Http, req)?;
        let out = store.data_mut().http().new_response_outparam(sender)?;
        let pre = self.pre.clone();
        let task = tokio::task::spawn(async move {
            let proxy = pre.instantiate_async(&mut store).await?;
            proxy
                .wasi_http_incoming_handler()
                .call_handle(store, req, out)
                .await
        });
        match receiver.await {
            Ok(Ok(resp)) => Ok(resp),
            Ok(Err(e)) => Err(e.into()),
            Err(_) => {
                let e = match task.await {
                    Ok(Ok(())) => wasmtime::format_err!("the guest set no response"),
                    Ok(Err(e)) => e,
                    Err(e) => wasmtime::format_err!("{e}"),
                };
                Err(e)
            }
        }
    }
}

fn usage() -> ! {
    eprintln!(
        "usage: spin3-host --addr HOST:PORT [--var NAME=VALUE]... [--kv LABEL]... [--cache DIR] APP.wasm"
    );
    std::process::exit(2)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> wasmtime::Result<()> {
    let mut args = std::env::args().skip(1);
    let (mut addr, mut vars, mut labels, mut wasm) = (None, Vec::new(), Vec::new(), None);
    let mut cache = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--addr" => addr = args.next(),
            "--var" => {
                let v = args.next().unwrap_or_else(|| usage());
                let (k, v) = v.split_once('=').unwrap_or_else(|| usage());
                vars.push((k.to_owned(), v.to_owned()));
            }
            "--kv" => labels.push(args.next().unwrap_or_else(|| usage())),
            "--cache" => cache = args.next().map(std::path::PathBuf::from),
            _ if wasm.is_none() && !a.starts_with('-') => wasm = Some(a),
            _ => usage(),
        }
    }
    let (Some(addr), Some(wasm)) = (addr, wasm) else {
        usage()
    };
    if labels.is_empty() {
        labels.push("default".to_owned());
    }
    let engine = Engine::new(&Config::new())?;
    // Compiled once per `--cache` directory (Cranelift in a debug build takes ~20 s).
    let bytes = std::fs::read(&wasm)?;
    let component = datafog_embed::load_cached(&engine, &bytes, cache.as_deref())?;
    let mut linker: Linker<State> = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    spin3::Spin3Host::add_to_linker::<State, HasSelf<State>>(&mut linker, |s| s)?;
    let pre = ProxyPre::new(linker.instantiate_pre(&component)?)?;
    let server = Arc::new(Server {
        pre,
        kv: Arc::default(),
        vars: Arc::new(vars),
        labels: Arc::new(labels),
    });
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("spin3-host listening on {}", listener.local_addr()?);
    loop {
        let (client, _) = listener.accept().await?;
        let server = server.clone();
        tokio::task::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let server = server.clone();
                async move { server.handle(req).await }
            });
            if let Err(e) = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(client), service)
                .await
            {
                eprintln!("spin3-host: connection: {e}");
            }
        });
    }
}
