//! The wasm32 glue: the `wasi:http` handler (spin-sdk's `#[http_component]`), the variables and
//! the store of each build (see `spin/README.md`, "Two builds").
// spin-sdk's `#[http_component]` expands to `unsafe` handle conversions (its own code).
#![allow(unsafe_code)]

use datafog::api::ApiError;
use futures::StreamExt;
use spin_sdk::http::{IncomingRequest, Response};

use crate::app::{self, Body, Env, Step};
use crate::config::Settings;
use crate::state::Store;

#[spin_sdk::http_component]
async fn handle(req: IncomingRequest) -> Response {
    let method = req.method().to_string();
    let path_with_query = req.path_with_query().unwrap_or_default();
    let (path, query) = path_with_query
        .split_once('?')
        .unwrap_or((path_with_query.as_str(), ""));
    let headers = req
        .headers()
        .entries()
        .into_iter()
        .filter_map(|(k, v)| Some((k.to_ascii_lowercase(), String::from_utf8(v).ok()?)))
        .collect();
    let request = app::Request {
        method: &method,
        path,
        query,
        headers,
    };
    let env = Env {
        vars: &variable,
        open_store: &open_store,
        random_hex16: &random_hex16,
        now: &time::OffsetDateTime::now_utc,
    };
    let out = match app::front(&request, &env) {
        Step::Done(r) => r,
        Step::NeedBody(pending) => {
            let body = read_body(req, pending.limit).await;
            app::finish(pending, body, &env)
        }
    };
    let mut b = Response::builder();
    b.status(out.status);
    for (k, v) in out.headers {
        b.header(k, v);
    }
    b.body(out.body);
    b.build()
}

/// The body, at most `limit` bytes (reading stops at the first byte past it).
async fn read_body(req: IncomingRequest, limit: usize) -> Body {
    let mut stream = req.into_body_stream();
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(c) => {
                if out.len().saturating_add(c.len()) > limit {
                    return Body::TooLarge;
                }
                out.extend_from_slice(&c);
            }
            Err(_) => return Body::Unreadable,
        }
    }
    Body::Bytes(out)
}

fn random_hex16() -> Result<String, String> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| e.to_string())?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

// ------------------------------------------------------------------ the Spin 3 build

#[cfg(feature = "spin")]
fn variable(name: &str) -> Result<Option<String>, String> {
    use spin_sdk::wit::wasi::config::store;
    store::get(name).map_err(|e| format!("{e:?}"))
}

#[cfg(feature = "spin")]
fn open_store(s: &Settings) -> Result<Box<dyn Store>, ApiError> {
    use spin_sdk::wit::wasi::keyvalue::store;
    let bucket = store::open(&s.kv_store).map_err(|e| {
        ApiError::config(format!(
            "variable `kv_store`: the key-value store could not be opened ({e:?}); is it in the component's `key_value_stores`?"
        ))
    })?;
    Ok(Box::new(KvStore { bucket }))
}

/// Spin's `wasi:keyvalue@0.2.0-draft2`; exclusive create is a compare-and-swap from an absent
/// value (`atomics.cas`).
#[cfg(feature = "spin")]
struct KvStore {
    bucket: spin_sdk::wit::wasi::keyvalue::store::Bucket,
}

#[cfg(feature = "spin")]
impl Store for KvStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
        self.bucket.get(key).map_err(|e| format!("{e:?}"))
    }
    fn put(&self, key: &str, value: &[u8]) -> Result<(), String> {
        self.bucket.set(key, value).map_err(|e| format!("{e:?}"))
    }
    fn create(&self, key: &str, value: &[u8]) -> Result<bool, String> {
        use spin_sdk::wit::wasi::keyvalue::atomics::{Cas, CasError, swap};
        let cas = Cas::new(&self.bucket, key).map_err(|e| format!("{e:?}"))?;
        if cas.current().map_err(|e| format!("{e:?}"))?.is_some() {
            return Ok(false);
        }
        match swap(cas, value) {
            Ok(()) => Ok(true),
            Err(CasError::CasFailed(_)) => Ok(false),
            Err(CasError::StoreError(e)) => Err(format!("{e:?}")),
        }
    }
}

// ------------------------------------------------------------------ the `wasmtime serve` build

#[cfg(not(feature = "spin"))]
mod bindings {
    wit_bindgen::generate!({ path: "wit", world: "wasmtime-serve", generate_all });
}

#[cfg(not(feature = "spin"))]
fn variable(name: &str) -> Result<Option<String>, String> {
    bindings::wasi::config::store::get(name).map_err(|e| format!("{e:?}"))
}

#[cfg(not(feature = "spin"))]
fn open_store(s: &Settings) -> Result<Box<dyn Store>, ApiError> {
    let dir = s.store_dir.as_deref().ok_or_else(|| {
        ApiError::config("variable `store_dir` is not set (the preopened state directory)")
    })?;
    crate::dir::DirStore::open(dir)
        .map(|d| Box::new(d) as Box<dyn Store>)
        .map_err(|e| ApiError::config(format!("variable `store_dir`: {e}")))
}
