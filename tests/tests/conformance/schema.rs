//! Responses checked against `docs/openapi.json` (draft 2020-12, formats checked, with the
//! `jsonschema` crate): the documented status, the required headers, the content type and the
//! body. The document's `components` are merged into each schema so local `$ref`s resolve.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, LazyLock, Mutex};

use serde_json::{Value, json};

use crate::client::{Response, show};

static DOC: LazyLock<Value> = LazyLock::new(|| {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.json");
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
});

static VALIDATORS: LazyLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

pub fn document() -> &'static Value {
    &DOC
}

/// Whether the document lists `method` on `path` (a path template such as `/v1/receipts/{id}`).
pub fn documents(path: &str, method: &str) -> bool {
    DOC["paths"]
        .get(path)
        .and_then(|p| p.get(method.to_ascii_lowercase()))
        .is_some()
}

/// `r`, the answer to `method` on a URI of the documented `path`, matches the document.
pub fn check(path: &str, method: &str, r: &Response) {
    let op = DOC["paths"]
        .get(path)
        .and_then(|p| p.get(method.to_ascii_lowercase()))
        .unwrap_or_else(|| panic!("docs/openapi.json has no {method} {path}"));
    let status = r.status.to_string();
    let response = op["responses"].get(&status).unwrap_or_else(|| {
        panic!(
            "{method} {path}: status {status} is not documented (body {})",
            show(&r.body)
        )
    });
    check_response(&format!("{method} {path} {status}"), response, r);
}

/// `r` matches `#/components/responses/<name>` (answers that belong to no operation: an
/// unknown path, a wrong method).
pub fn check_component(name: &str, r: &Response) {
    let response = json!({ "$ref": format!("#/components/responses/{name}") });
    check_response(&format!("{name} ({})", r.status), &response, r);
}

/// `instance` matches `#/components/schemas/<name>`.
pub fn check_schema(name: &str, instance: &Value) {
    let schema = json!({ "$ref": format!("#/components/schemas/{name}") });
    let errors: Vec<String> = validator(&schema)
        .iter_errors(instance)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "does not match schema {name}:\n  {}\ninstance: {instance}",
        errors.join("\n  ")
    );
}

fn resolve(mut v: &Value) -> &Value {
    for _ in 0..16 {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let pointer = r
                    .strip_prefix('#')
                    .unwrap_or_else(|| panic!("not a local $ref: {r}"));
                v = DOC
                    .pointer(pointer)
                    .unwrap_or_else(|| panic!("unresolved $ref {r}"));
            }
            None => return v,
        }
    }
    panic!("$ref loop")
}

fn check_response(what: &str, response: &Value, r: &Response) {
    let response = resolve(response);
    if let Some(headers) = response.get("headers").and_then(Value::as_object) {
        for (name, h) in headers {
            let h = resolve(h);
            match r.header(name) {
                Some(v) => {
                    let v = Value::String(v.to_owned());
                    if let Some(e) = validator(&h["schema"]).iter_errors(&v).next() {
                        panic!("{what}: header {name}: {v} does not match: {e}");
                    }
                }
                None if h["required"] == json!(true) => {
                    panic!("{what}: required header {name} is missing")
                }
                None => {}
            }
        }
    }
    let Some(content) = response.get("content").and_then(Value::as_object) else {
        assert!(
            r.body.is_empty(),
            "{what}: the document declares no body, got {}",
            show(&r.body)
        );
        return;
    };
    let media = r
        .media_type()
        .unwrap_or_else(|| panic!("{what}: no content-type"));
    let entry = content.get(&media).unwrap_or_else(|| {
        panic!(
            "{what}: content type {media} is not documented (documented: {:?})",
            content.keys().collect::<Vec<_>>()
        )
    });
    let instance = if media == "application/json" {
        let v = r.json();
        // The envelope's request id is the header's.
        if let Some(id) = v.pointer("/error/request_id") {
            assert_eq!(
                id.as_str(),
                r.header("x-request-id"),
                "{what}: error.request_id is not the X-Request-ID header"
            );
        }
        v
    } else {
        Value::String(r.text())
    };
    let errors: Vec<String> = validator(&entry["schema"])
        .iter_errors(&instance)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: the body does not match the document:\n  {}\nbody: {}",
        errors.join("\n  "),
        show(&r.body)
    );
}

fn validator(schema: &Value) -> Arc<jsonschema::Validator> {
    let key = schema.to_string();
    if let Some(v) = VALIDATORS.lock().unwrap().get(&key) {
        return v.clone();
    }
    let mut root = match schema {
        Value::Object(m) => m.clone(),
        other => panic!("schema is not an object: {other}"),
    };
    root.insert("components".into(), DOC["components"].clone());
    let v = jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&Value::Object(root))
        .unwrap_or_else(|e| panic!("schema {key} does not compile: {e}"));
    let v = Arc::new(v);
    VALIDATORS.lock().unwrap().insert(key, v.clone());
    v
}
