//! Issue 14, part 4: no value anywhere. The real `datafog-api`, with the access log, events and a
//! checkpoint per receipt on, gets canaries of many kinds (an SSN, a card, a GitHub token, an
//! email, an AWS key id, a phone, an IBAN) in every field of every route: request bodies (text,
//! action, ids, supplied findings, unknown fields), headers, URL paths, query strings and
//! methods, glued into identifiers (`/data/<ssn>.pdf`, `x_<card>_1`, `file.write.<ssn>`), and
//! on every error path (400, 401, 403, 404, 405, 409, 413, 415, 429, 500, 503). Then every output is
//! read back (the log, the receipts, events and checkpoints files, every file the server wrote,
//! the list and metrics bodies, the error envelopes' messages) and no canary may appear in it,
//! as sent, with its separators stripped or percent-encoded. Each case asserts its status and
//! its access-log line, so the test cannot pass without exercising what it names.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use super::support::*;

const SSN: &str = "219-47-8312";
const CARD: &str = "4111111111111111";
const GHP: &str = "ghp_R2d2C3poBb8Lw9Xy7Qk4Mn5Tz1Vs6Hj0Pa3E";
const EMAIL: &str = "jane.doe@example.com";
const AWS: &str = "AKIAQ7RZ4MXW2PLK3TVB";
const IBAN: &str = "GB82WEST12345698765432";
/// Weakly structured (strength 1): detected in running text only, so it is planted with spaces
/// around it (in identifiers only structured types count; see `docs/security.md`).
const PHONE: &str = "(415) 555-0142";

/// The canaries that are found inside identifiers too.
const STRUCTURED: [&str; 6] = [SSN, CARD, GHP, EMAIL, AWS, IBAN];
const ALL: [&str; 7] = [SSN, CARD, GHP, EMAIL, AWS, IBAN, PHONE];

/// Every form of a canary that must not appear: as sent, alphanumerics only (`219478312`),
/// percent-encoded, and a few telling parts (the card in groups, the token's random part, the
/// email's local part, the phone's line number).
fn needles() -> Vec<String> {
    let mut out = Vec::new();
    for c in ALL {
        out.push(c.to_owned());
        out.push(c.chars().filter(char::is_ascii_alphanumeric).collect());
        out.push(percent(c));
    }
    out.push("4111 1111 1111 1111".to_owned());
    out.push("R2d2C3poBb8Lw9Xy7Qk4Mn5Tz1Vs6Hj0Pa3E".to_owned());
    out.push("jane.doe".to_owned());
    out.push("555-0142".to_owned());
    out.sort();
    out.dedup();
    out
}

fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `text` holds no canary in any form; `what` names the output. A leak names every line (up to
/// 40) that has one, so one run shows them all.
fn assert_clean(what: &str, text: &str) {
    let needles = needles();
    let leaks: Vec<String> = text
        .split_inclusive(['\n', ','])
        .filter(|part| needles.iter().any(|n| part.contains(n.as_str())))
        .take(40)
        .map(|part| {
            let short: String = part.chars().take(300).collect();
            short.trim_end().to_owned()
        })
        .collect();
    assert!(
        leaks.is_empty(),
        "canaries leaked into {what}:\n{}",
        leaks.join("\n")
    );
}

/// The identifier shapes a canary is glued into.
fn shapes(c: &str) -> Vec<String> {
    vec![
        c.to_owned(),
        format!("/data/{c}.pdf"),
        format!("x_{c}_1"),
        format!("file.write.{c}"),
        format!("user:{c}"),
        format!("a-{c}-b"),
        format!("k={c}&z=1"),
        format!("s3://bucket/{c}/obj"),
        format!("id.{c}.x"),
        format!("({c})"),
        format!("\"{c}\""),
        format!("{c},{c}"),
        format!("C:\\{c}\\f"),
        format!("<{c}>"),
        format!("https://h.test/p?q={c}#f"),
        format!("{c}_{c}"),
        format!("x.{c}_1"),
        format!("x+{c}+y"),
        format!("\t{c}\n"),
        format!("é{c}é"),
        format!("[{c}]"),
        format!("{c}.txt"),
        format!("~/{c}"),
        format!("$HOME/{c}"),
        format!("key={c};"),
        format!("x-{c}_1"),
        format!("x__{c}__y"),
        format!("x--{c}--y"),
        format!("x-{c}-1"),
        format!("{c}-{c}"),
    ]
}

/// All canaries in running text (each alone between spaces, and the phone too).
fn running_text() -> String {
    format!("ssn {SSN} card {CARD} token {GHP} mail {EMAIL} aws {AWS} iban {IBAN} call {PHONE} now")
}

// ------------------------------------------------------------------ the server

struct Server {
    child: Option<Child>,
    addr: String,
    log: Arc<Mutex<String>>,
    dir: PathBuf,
}

impl Server {
    /// The real binary on port 0 with the access log, events and a checkpoint per receipt;
    /// `fsize`: a file-size limit (`RLIMIT_FSIZE`, `SIGXFSZ` ignored) so writes past it fail as
    /// on a full disk.
    fn start(tag: &str, extra: &[(&str, &str)], fsize: Option<u64>) -> Server {
        warm_cache();
        let dir = temp_dir(tag);
        let events = dir.join("events.jsonl");
        let events = events.to_str().unwrap();
        let mut all = vec![
            ("DATAFOG_ACCESS_LOG", "1"),
            ("DATAFOG_EVENTS_PATH", events),
            ("DATAFOG_CHECKPOINT_EVERY", "1"),
        ];
        all.extend_from_slice(extra);
        let mut cmd = api_command(&dir, &all);
        if let Some(limit) = fsize {
            limit_file_size(&mut cmd, limit);
        }
        let (child, addr, log) = spawn_logged(&mut cmd);
        Server {
            child: Some(child),
            addr,
            log,
            dir,
        }
    }

    /// Send one raw request (`Connection: close`) and read the whole answer.
    fn raw(&self, request: Vec<u8>) -> Reply {
        let mut s = TcpStream::connect(&self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        // Written from another thread: the server may answer (413) before reading it all.
        let mut w = s.try_clone().unwrap();
        let writer = std::thread::spawn(move || {
            let _ = w.write_all(&request);
        });
        let mut got = Vec::new();
        let mut buf = [0u8; 16384];
        loop {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
        let _ = s.shutdown(std::net::Shutdown::Both);
        let _ = writer.join();
        Reply::parse(&got)
    }

    /// `method target` with `headers` (plus `Host: localhost` unless given, `Connection:
    /// close`, and a length for a body).
    fn send(&self, method: &str, target: &str, headers: &[(String, String)], body: &[u8]) -> Reply {
        let mut req = format!("{method} {target} HTTP/1.1\r\n").into_bytes();
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
            req.extend_from_slice(b"Host: localhost\r\n");
        }
        for (k, v) in headers {
            req.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
        }
        if !body.is_empty() || method == "POST" {
            req.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
        }
        req.extend_from_slice(b"Connection: close\r\n\r\n");
        req.extend_from_slice(body);
        self.raw(req)
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// SIGTERM (the graceful shutdown writes its checkpoint and log lines), then the whole log.
    fn stop(&mut self) -> String {
        if let Some(mut child) = self.child.take() {
            #[allow(unsafe_code)]
            // SAFETY: a plain kill(2) of our own child.
            unsafe {
                libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
            }
            for _ in 0..200 {
                if child.try_wait().unwrap().is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        std::thread::sleep(Duration::from_millis(200));
        self.log()
    }

    /// Every file the server wrote (receipts, checkpoints, events, keys), checked, and the
    /// receipts and events lines returned.
    fn check_files(&self) -> (Vec<String>, Vec<String>) {
        fn walk(p: &Path, out: &mut Vec<PathBuf>) {
            for e in std::fs::read_dir(p).unwrap().map_while(Result::ok) {
                let path = e.path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    out.push(path);
                }
            }
        }
        let mut files = Vec::new();
        walk(&self.dir, &mut files);
        for f in &files {
            let bytes = std::fs::read(f).unwrap();
            assert_clean(&f.display().to_string(), &String::from_utf8_lossy(&bytes));
        }
        let lines = |name: &str| -> Vec<String> {
            std::fs::read_to_string(self.dir.join(name))
                .unwrap_or_default()
                .lines()
                .map(str::to_owned)
                .collect()
        };
        (lines("receipts.jsonl"), lines("events.jsonl"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[derive(Debug)]
struct Reply {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Reply {
    fn parse(got: &[u8]) -> Reply {
        let end = got
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no answer: {:?}", String::from_utf8_lossy(got)));
        let head = String::from_utf8_lossy(&got[..end]).into_owned();
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut body = got[end + 4..].to_vec();
        if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            let mut out = Vec::new();
            let mut rest = &body[..];
            while let Some(nl) = rest.windows(2).position(|w| w == b"\r\n") {
                let size = usize::from_str_radix(
                    String::from_utf8_lossy(&rest[..nl])
                        .split(';')
                        .next()
                        .unwrap_or("0")
                        .trim(),
                    16,
                )
                .unwrap_or(0);
                if size == 0 {
                    break;
                }
                out.extend_from_slice(&rest[nl + 2..nl + 2 + size]);
                rest = &rest[nl + 2 + size + 2..];
            }
            body = out;
        }
        Reply { status, head, body }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.text()))
    }

    /// An error envelope's `message` and `details` (the `request_id` echoes the caller's header
    /// by contract, so it is not checked).
    fn error_text(&self) -> Option<String> {
        let v: Value = serde_json::from_slice(&self.body).ok()?;
        let e = v.get("error")?;
        Some(format!("{} {} {}", e["code"], e["message"], e["details"]))
    }
}

// ------------------------------------------------------------------ cases

/// Request headers full of canaries; `i` picks the `X-Request-ID` shape.
fn noisy_headers(i: usize) -> Vec<(String, String)> {
    let ids: Vec<String> = STRUCTURED
        .iter()
        .flat_map(|c| shapes(c))
        // A header value is one line of visible ASCII.
        .filter(|v| v.bytes().all(|b| (0x20..0x7f).contains(&b)))
        .chain([format!("req {PHONE} x"), running_text()])
        .collect();
    let h = |k: &str, v: String| (k.to_owned(), v);
    vec![
        h("X-Request-ID", ids[i % ids.len()].clone()),
        h("User-Agent", format!("agent/{SSN} ({EMAIL}) {GHP}")),
        h("Authorization", format!("Bearer {GHP}")),
        h("X-API-Key", AWS.to_owned()),
        h("Idempotency-Key", format!("idem_{CARD}_{SSN}")),
        h("Cookie", format!("session={GHP}; user={EMAIL}")),
        h(
            "Referer",
            format!("https://h.test/data/{SSN}.pdf?card={CARD}"),
        ),
        h("X-Forwarded-For", format!("{IBAN}, {AWS}")),
        h("X-Custom-Canary", running_text()),
        h(&format!("X-{CARD}"), SSN.to_owned()),
        h("Accept", format!("application/json, text/{AWS}")),
        h("Origin", format!("https://{SSN}.test")),
    ]
}

fn json_headers(i: usize) -> Vec<(String, String)> {
    let mut h = noisy_headers(i);
    h.push(("Content-Type".into(), "application/json".into()));
    h
}

/// One exchange and what it must produce: its status and its access-log line.
struct Case {
    what: String,
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    status: u16,
    /// The route template the access log must name.
    route: &'static str,
}

fn case(
    what: impl Into<String>,
    method: impl Into<String>,
    target: impl Into<String>,
    headers: Vec<(String, String)>,
    body: impl Into<Vec<u8>>,
    status: u16,
    route: &'static str,
) -> Case {
    Case {
        what: what.into(),
        method: method.into(),
        target: target.into(),
        headers,
        body: body.into(),
        status,
        route,
    }
}

/// Run `cases`: each answers its status, no error envelope quotes a canary, and the log has a
/// line for each (route, status). Returns the replies.
fn run(server: &Server, cases: &[Case]) -> Vec<Reply> {
    let mut replies = Vec::new();
    for c in cases {
        let r = server.send(&c.method, &c.target, &c.headers, &c.body);
        assert_eq!(
            r.status,
            c.status,
            "{}: {} {}: {}",
            c.what,
            c.method,
            c.target,
            r.text()
        );
        if let Some(e) = r.error_text() {
            assert_clean(&format!("the error envelope of {}", c.what), &e);
        }
        replies.push(r);
    }
    std::thread::sleep(Duration::from_millis(300));
    let log = server.log();
    for c in cases {
        let line = format!("route={} status={}", c.route, c.status);
        assert!(
            log.contains(&line),
            "{}: no `{line}` in the log:\n{log}",
            c.what
        );
    }
    replies
}

/// A decide body with `v` in every identifier field (action, ids, unknown fields).
fn decide_everywhere(v: &str) -> Vec<u8> {
    json!({
        "action": {
            "type": v, "tool": v, "resource": v, "command": v,
            "args": [v, format!("--x={v}"), format!("{v} {v}")],
            "sensitive": true
        },
        "request_id": v, "trace_id": v, "tenant_id": v, "actor_id": v, "session_id": v,
        "metadata": {"note": v},
    })
    .to_string()
    .into_bytes()
}

/// A decide with every field set and the canaries everywhere, `text` included.
fn decide_full(i: usize) -> Value {
    json!({
        "action": {
            "type": format!("file.write.{SSN}"),
            "tool": format!("tool_{CARD}_x"),
            "resource": format!("/data/{SSN}.pdf"),
            "command": format!("curl -H 'Authorization: token {GHP}' https://h.test/?u={EMAIL} -d {AWS} # call {PHONE} now"),
            "args": [format!("x_{CARD}_1"), format!("--key={AWS}"), format!("iban:{IBAN}"), format!("call {PHONE} now"), format!("user:{EMAIL}")],
            "sensitive": true
        },
        "text": running_text(),
        "request_id": format!("req_{CARD}_{i}"),
        "trace_id": format!("trace-{SSN}"),
        "tenant_id": format!("tenant:{EMAIL}"),
        "actor_id": EMAIL,
        "session_id": format!("sess.{GHP}"),
        "idempotency_key": format!("idem_{SSN}_{CARD}_{i}"),
        "metadata": {"owner": EMAIL, "card": CARD},
        "extra": running_text(),
    })
}

/// `findings` as supplied by a caller: each canary at its offsets in `running_text()`.
fn supplied_findings() -> Value {
    let text = running_text();
    let types = [
        (SSN, "ssn"),
        (CARD, "credit_card"),
        (GHP, "github_token"),
        (EMAIL, "email"),
        (AWS, "aws_access_key"),
        (IBAN, "iban"),
        (PHONE, "phone"),
    ];
    Value::Array(
        types
            .iter()
            .map(|(v, t)| {
                let start = text.find(v).unwrap();
                json!({"entity_type": t, "value": v, "start": start, "end": start + v.len(), "confidence": 0.9})
            })
            .collect(),
    )
}

/// Cases that answer 2xx, one per route, canaries in every header and body field.
fn success_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let mut i = 0;
    let mut next = || {
        i += 1;
        i
    };
    for (target, route) in [
        ("/health", "/health"),
        ("/v1/policy/version", "/v1/policy/version"),
        ("/openapi.json", "/openapi.json"),
        ("/metrics", "/metrics"),
        ("/metrics?format=json", "/metrics"),
        ("/metrics?format=prometheus", "/metrics"),
        ("/v1/events", "/v1/events"),
        ("/v1/receipts/export", "/v1/receipts/export"),
    ] {
        cases.push(case(
            target,
            "GET",
            target,
            noisy_headers(next()),
            "",
            200,
            route,
        ));
    }
    // Free-text filters take any value: the canary is the filter.
    for q in [
        format!("action_type={}", percent(&format!("file.write.{SSN}"))),
        format!("action_type={}&decision=deny&limit=5", percent(EMAIL)),
        format!(
            "after=2020-01-01T00:00:00Z&before=2999-01-01T00:00:00Z&action_type={}",
            percent(CARD)
        ),
    ] {
        cases.push(case(
            "receipts filter",
            "GET",
            format!("/v1/receipts?{q}"),
            noisy_headers(next()),
            "",
            200,
            "/v1/receipts",
        ));
    }
    for q in [
        format!("adapter={}", percent(AWS)),
        format!(
            "adapter={}&decision=allow&limit=3",
            percent(&format!("/usr/bin/{GHP}"))
        ),
    ] {
        cases.push(case(
            "events filter",
            "GET",
            format!("/v1/events?{q}"),
            noisy_headers(next()),
            "",
            200,
            "/v1/events",
        ));
    }
    let ids = |i: usize| {
        json!({
            "request_id": format!("req_{CARD}_{i}"),
            "trace_id": format!("trace-{SSN}"),
            "idempotency_key": format!("idem.{EMAIL}.{i}"),
            "metadata": {"owner": EMAIL, "token": GHP},
            "extra": running_text(),
        })
    };
    let with = |mut base: Value, more: Value| {
        for (k, v) in more.as_object().unwrap() {
            base[k] = v.clone();
        }
        base.to_string()
    };
    let n = next();
    cases.push(case(
        "scan, every field",
        "POST",
        "/v1/scan",
        json_headers(n),
        with(
            ids(n),
            json!({"text": running_text(), "entity_types": [], "offset_unit": "char"}),
        ),
        200,
        "/v1/scan",
    ));
    let n = next();
    cases.push(case(
        "scan, unknown entity_types filter",
        "POST",
        "/v1/scan",
        json_headers(n),
        with(
            ids(n),
            json!({"text": running_text(), "entity_types": [CARD, format!("x_{SSN}"), "ssn"]}),
        ),
        200,
        "/v1/scan",
    ));
    for mode in ["redact", "mask", "tokenize", "hash"] {
        let n = next();
        cases.push(case(
            format!("transform {mode}"),
            "POST",
            "/v1/transform",
            json_headers(n),
            with(
                ids(n),
                json!({"text": running_text(), "mode": mode, "entity_modes": {"ssn": "tokenize", "email": "hash"}}),
            ),
            200,
            "/v1/transform",
        ));
    }
    let n = next();
    cases.push(case(
        "transform, supplied findings",
        "POST",
        "/v1/transform",
        json_headers(n),
        with(
            ids(n),
            json!({"text": running_text(), "findings": supplied_findings()}),
        ),
        200,
        "/v1/transform",
    ));
    let n = next();
    let text = running_text();
    let at = text.find(GHP).unwrap();
    cases.push(case(
        "transform, canaries as entity types and entity_modes keys",
        "POST",
        "/v1/transform",
        json_headers(n),
        with(
            ids(n),
            json!({
                "text": text,
                "entity_modes": {SSN: "hash", CARD: "mask", "email": "tokenize"},
                "findings": [{"entity_type": GHP, "value": GHP, "start": at, "end": at + GHP.len()}],
            }),
        ),
        200,
        "/v1/transform",
    ));
    let n = next();
    cases.push(case(
        "anonymize",
        "POST",
        "/v1/anonymize",
        json_headers(n),
        with(ids(n), json!({"text": running_text()})),
        200,
        "/v1/anonymize",
    ));
    let n = next();
    cases.push(case(
        "anonymize, supplied findings",
        "POST",
        "/v1/anonymize",
        json_headers(n),
        with(
            ids(n),
            json!({"text": running_text(), "findings": supplied_findings()}),
        ),
        200,
        "/v1/anonymize",
    ));
    cases
}

/// Decides that answer 200 and write a receipt and an event each.
fn decide_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let mut n = 100;
    for i in 0..3 {
        n += 1;
        let mut body = decide_full(i);
        if i == 1 {
            body["action"]["type"] = json!(format!("shell.exec.{SSN}"));
        }
        cases.push(case(
            "decide, every field",
            "POST",
            "/v1/decide",
            json_headers(n),
            body.to_string(),
            200,
            "/v1/decide",
        ));
    }
    // Supplied findings with the text, and alone (no text: the values are only in `findings`).
    let mut body = decide_full(10);
    body["findings"] = supplied_findings();
    cases.push(case(
        "decide, supplied findings and text",
        "POST",
        "/v1/decide",
        json_headers(n + 1),
        body.to_string(),
        200,
        "/v1/decide",
    ));
    let mut body = decide_full(11);
    body["findings"] = supplied_findings();
    body["text"] = json!("");
    cases.push(case(
        "decide, supplied findings, no text",
        "POST",
        "/v1/decide",
        json_headers(n + 2),
        body.to_string(),
        200,
        "/v1/decide",
    ));
    // No text and no findings: only the identifier views can find the canaries.
    for (k, c) in STRUCTURED.iter().enumerate() {
        for (j, v) in shapes(c).into_iter().enumerate() {
            cases.push(case(
                format!("decide, `{v}` in every identifier"),
                "POST",
                "/v1/decide",
                json_headers(k * 31 + j),
                decide_everywhere(&v),
                200,
                "/v1/decide",
            ));
        }
    }
    cases.push(case(
        "decide, the phone in running text in every identifier",
        "POST",
        "/v1/decide",
        json_headers(7),
        decide_everywhere(&format!("call {PHONE} now")),
        200,
        "/v1/decide",
    ));
    cases.push(case(
        "decide, every canary in running text in every identifier",
        "POST",
        "/v1/decide",
        json_headers(8),
        decide_everywhere(&running_text()),
        200,
        "/v1/decide",
    ));
    cases
}

/// Every error path but 401, 429 and 5xx (separate servers below).
fn error_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let posts = ["/v1/scan", "/v1/transform", "/v1/anonymize", "/v1/decide"];
    for (k, route) in posts.into_iter().enumerate() {
        let h = || json_headers(k + 40);
        let bad: Vec<(&str, Vec<u8>)> = vec![
            (
                "malformed JSON",
                format!(r#"{{"text":"{}","request_id":"{CARD}""#, running_text()).into_bytes(),
            ),
            (
                "invalid UTF-8",
                [
                    format!(r#"{{"text":"{SSN} "#).as_bytes(),
                    b"\xff\xfe",
                    format!(r#" {CARD}","request_id":"{EMAIL}"}}"#).as_bytes(),
                ]
                .concat(),
            ),
            (
                "a number for a string",
                format!(r#"{{"text":{CARD}}}"#).into_bytes(),
            ),
            (
                "a wrong type deeper",
                format!(r#"{{"action":{{"type":{CARD}}},"text":"{SSN}","request_id":{CARD}}}"#)
                    .into_bytes(),
            ),
            ("an empty body", Vec::new()),
        ];
        for (what, body) in bad {
            cases.push(case(
                format!("{route}: {what}"),
                "POST",
                route,
                h(),
                body,
                400,
                route,
            ));
        }
        let mut wrong_type = noisy_headers(k + 50);
        wrong_type.push(("Content-Type".into(), format!("text/plain; x={CARD}")));
        cases.push(case(
            format!("{route}: 415"),
            "POST",
            route,
            wrong_type,
            json!({"text": running_text()}).to_string(),
            415,
            route,
        ));
        let mut odd_type = noisy_headers(k + 51);
        odd_type.push(("Content-Type".into(), format!("application/x-{SSN}")));
        cases.push(case(
            format!("{route}: 415, a canary content type"),
            "POST",
            route,
            odd_type,
            json!({"text": running_text()}).to_string(),
            415,
            route,
        ));
        let big = json!({"text": running_text().repeat(1 + (1 << 20) / running_text().len()), "request_id": CARD});
        cases.push(case(
            format!("{route}: 413"),
            "POST",
            route,
            h(),
            big.to_string(),
            413,
            route,
        ));
        cases.push(case(
            format!("{route}: 405"),
            "PUT",
            format!("{route}?q={}", percent(CARD)),
            h(),
            json!({"text": running_text()}).to_string(),
            405,
            route,
        ));
        cases.push(case(
            format!("{route}: 405 GET"),
            "GET",
            format!("{route}?{}={}", percent(SSN), percent(EMAIL)),
            noisy_headers(k + 52),
            "",
            405,
            route,
        ));
    }
    // Validation errors of each body.
    let v400: Vec<(&str, &'static str, Value)> = vec![
        (
            "scan: no text",
            "/v1/scan",
            json!({"request_id": CARD, "trace_id": SSN, "entity_types": [EMAIL]}),
        ),
        (
            "scan: bad offset_unit",
            "/v1/scan",
            json!({"text": running_text(), "offset_unit": EMAIL}),
        ),
        (
            "transform: bad mode",
            "/v1/transform",
            json!({"text": running_text(), "mode": CARD}),
        ),
        (
            "transform: bad entity mode",
            "/v1/transform",
            json!({"text": running_text(), "entity_modes": {"ssn": format!("x_{SSN}")}}),
        ),
        (
            "transform: empty entity_modes key",
            "/v1/transform",
            json!({"text": running_text(), "entity_modes": {" ": "redact", SSN: "hash"}}),
        ),
        (
            "anonymize: no text",
            "/v1/anonymize",
            json!({"findings": supplied_findings(), "request_id": EMAIL}),
        ),
        ("decide: no action type", "/v1/decide", {
            let mut b = decide_full(20);
            b["action"]["type"] = json!("");
            b
        }),
        ("decide: unknown entity type (a card)", "/v1/decide", {
            let mut b = decide_full(21);
            b["findings"] = json!([{"entity_type": CARD, "value": CARD, "start": 0, "end": 16}]);
            b
        }),
        (
            "decide: unknown entity type (glued to an ssn)",
            "/v1/decide",
            {
                let mut b = decide_full(22);
                b["text"] = json!("");
                b["findings"] = json!([{"entity_type": "ssn", "value": SSN}, {"entity_type": format!("ssn_{SSN}"), "value": SSN}]);
                b
            },
        ),
        ("decide: findings do not match the text", "/v1/decide", {
            let mut b = decide_full(23);
            b["text"] = json!(format!("ssn {SSN} only"));
            b["findings"] =
                json!([{"entity_type": "credit_card", "value": CARD, "start": 0, "end": 16}]);
            b
        }),
    ];
    for (k, (what, route, body)) in v400.into_iter().enumerate() {
        cases.push(case(
            what,
            "POST",
            route,
            json_headers(k + 60),
            body.to_string(),
            400,
            route,
        ));
    }
    // Unknown routes, ids and methods.
    for (k, target) in [
        format!("/data/{SSN}.pdf"),
        format!("/v1/{CARD}"),
        format!("/{}", percent(EMAIL)),
        format!("/v1/scan/{GHP}"),
        format!("/x_{CARD}_1?k={}&aws={AWS}", percent(SSN)),
        format!("/{IBAN}/{}", percent(PHONE)),
    ]
    .into_iter()
    .enumerate()
    {
        cases.push(case(
            format!("404 {target}"),
            "GET",
            target,
            noisy_headers(k + 70),
            "",
            404,
            "/_not_found",
        ));
    }
    for (k, target) in [
        format!("/v1/receipts/{SSN}"),
        format!("/v1/receipts/x_{CARD}_1"),
        format!("/v1/receipts/%FF{CARD}"),
        format!("/v1/receipts/{}", percent(EMAIL)),
        format!("/v1/receipts/{GHP}?q={AWS}"),
        format!("/v1/receipts/a/{SSN}"),
        format!("/v1/receipts/?id={CARD}"),
    ]
    .into_iter()
    .enumerate()
    {
        cases.push(case(
            format!("404 {target}"),
            "GET",
            target,
            noisy_headers(k + 80),
            "",
            404,
            "/v1/receipts/{id}",
        ));
    }
    cases.push(case(
        "405 DELETE a receipt",
        "DELETE",
        format!("/v1/receipts/{SSN}"),
        noisy_headers(90),
        "",
        405,
        "/v1/receipts/{id}",
    ));
    cases.push(case(
        "405 POST /health",
        "POST",
        format!("/health?{}", percent(CARD)),
        json_headers(91),
        json!({"text": running_text()}).to_string(),
        405,
        "/health",
    ));
    cases.push(case(
        "405 a canary method",
        format!("X{CARD}"),
        "/health".to_owned(),
        noisy_headers(92),
        "",
        405,
        "/health",
    ));
    cases.push(case(
        "404 a canary method on an unknown route",
        format!("Z{SSN}"),
        format!("/{SSN}"),
        noisy_headers(93),
        "",
        404,
        "/_not_found",
    ));
    // Strict list queries.
    let bad_lists: Vec<(&str, &'static str)> = vec![
        ("/v1/receipts", "/v1/receipts"),
        ("/v1/events", "/v1/events"),
    ];
    for (path, route) in bad_lists {
        for q in [
            format!("{CARD}=1"),
            format!("{}={}", percent(EMAIL), percent(SSN)),
            format!("limit={CARD}"),
            format!("after={SSN}"),
            format!("before={}", percent(EMAIL)),
            format!("decision={GHP}"),
            format!("limit=1&limit={CARD}"),
            format!("after=&action_type={AWS}"),
            format!("decision=%FF{CARD}"),
            format!("limit=%{SSN}"),
        ] {
            cases.push(case(
                format!("400 {path}?{q}"),
                "GET",
                format!("{path}?{q}"),
                noisy_headers(q.len()),
                "",
                400,
                route,
            ));
        }
    }
    for q in [
        format!("format={CARD}"),
        format!("{}=1", percent(SSN)),
        format!("format=json&format={}", percent(EMAIL)),
        format!("format=%FF{GHP}"),
    ] {
        cases.push(case(
            format!("400 /metrics?{q}"),
            "GET",
            format!("/metrics?{q}"),
            noisy_headers(q.len()),
            "",
            400,
            "/metrics",
        ));
    }
    // A Host that is not loopback while auth is off.
    let mut foreign = noisy_headers(95);
    foreign.push(("Host".into(), format!("{SSN}.evil.test")));
    cases.push(case(
        "403 a canary host",
        "GET",
        format!("/v1/receipts?action_type={CARD}"),
        foreign,
        "",
        403,
        "/v1/receipts",
    ));
    let mut foreign = json_headers(96);
    foreign.push(("Host".into(), format!("x-{CARD}.test:8080")));
    cases.push(case(
        "403 a canary host on a POST",
        "POST",
        "/v1/decide",
        foreign,
        decide_full(30).to_string(),
        403,
        "/v1/decide",
    ));
    cases
}

/// Idempotency: each POST route's key replayed (200) and then sent with another body (409).
fn idempotency_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for (k, route) in ["/v1/scan", "/v1/transform", "/v1/anonymize", "/v1/decide"]
        .into_iter()
        .enumerate()
    {
        let key = format!("idem_{CARD}_{SSN}_{k}");
        let mut first = decide_full(40 + k);
        first["idempotency_key"] = json!(key);
        let mut second = first.clone();
        second["text"] = json!(format!("other {EMAIL} {GHP}"));
        for (what, body, status) in [
            ("first", &first, 200),
            ("replay", &first, 200),
            ("conflict", &second, 409),
        ] {
            cases.push(case(
                format!("{route}: idempotency {what}"),
                "POST",
                route,
                json_headers(k + 100),
                body.to_string(),
                status,
                route,
            ));
        }
    }
    cases
}

/// GET every stored output over HTTP (with `h`); each must be clean. Returns the receipt list.
fn read_outputs(server: &Server, h: &[(String, String)]) -> Value {
    let get = |target: &str| {
        // (Behind a rate limit: wait for a token.)
        let mut r = server.send("GET", target, h, b"");
        for _ in 0..20 {
            if r.status != 429 {
                break;
            }
            std::thread::sleep(Duration::from_millis(1100));
            r = server.send("GET", target, h, b"");
        }
        assert_eq!(r.status, 200, "{target}: {}", r.text());
        assert_clean(target, &r.text());
        r
    };
    let receipts = get("/v1/receipts?limit=1000").json();
    get("/v1/receipts/export");
    get("/v1/events?limit=1000");
    get("/metrics");
    get("/metrics?format=json");
    get("/health");
    get("/v1/receipts/checkpoint");
    for r in receipts["receipts"].as_array().unwrap() {
        get(&format!(
            "/v1/receipts/{}",
            r["receipt_id"].as_str().unwrap()
        ));
    }
    receipts
}

/// The main server: every field, route and error path but 401, 429 and 5xx.
#[test]
fn issue_14_no_canary_in_any_output() {
    let mut server = Server::start("canary", &[], None);
    // The canaries are found: in running text, each as its type.
    let r = server.send(
        "POST",
        "/v1/scan",
        &json_headers(0),
        json!({"text": running_text()}).to_string().as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let found: Vec<(String, String)> = r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["value"].as_str().unwrap().to_owned(),
                f["entity_type"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for (c, t) in [
        (SSN, "ssn"),
        (CARD, "credit_card"),
        (GHP, "github_token"),
        (EMAIL, "email"),
        (AWS, "aws_access_key"),
        (IBAN, "iban"),
        (PHONE, "phone"),
    ] {
        assert!(
            found.iter().any(|(v, ty)| v == c && ty == t),
            "`{c}` not found as {t}: {found:?}"
        );
    }

    let decides = decide_cases();
    run(&server, &decides);
    run(&server, &success_cases());
    // A checkpoint per receipt: the route has one to serve now.
    run(
        &server,
        &[case(
            "checkpoint",
            "GET",
            "/v1/receipts/checkpoint",
            noisy_headers(3),
            "",
            200,
            "/v1/receipts/checkpoint",
        )],
    );
    let errors = error_cases();
    run(&server, &errors);
    let idem = idempotency_cases();
    run(&server, &idem);
    // OPTIONS is answered before routing (no log line); its headers still must not leak.
    let r = server.send("OPTIONS", &format!("/v1/{CARD}"), &noisy_headers(5), b"");
    assert_eq!(r.status, 204);
    assert_clean("an OPTIONS answer's headers", &r.head);

    let receipts = read_outputs(&server, &noisy_headers(0));
    // One receipt per decide answered 200, the replay excepted; each one's action redacted.
    let want = decides.len() + 1;
    assert_eq!(receipts["total"], want, "{receipts}");
    for r in receipts["receipts"].as_array().unwrap() {
        assert!(
            r["action"]["type"].as_str().unwrap().contains("[REDACTED:"),
            "{r}"
        );
    }
    let log = server.stop();
    assert!(
        log.contains("method=OTHER route=/health status=405"),
        "{log}"
    );
    assert!(log.contains("[REDACTED:"), "{log}");
    assert_clean("the log", &log);
    let (receipt_lines, events) = server.check_files();
    assert_eq!(receipt_lines.len(), want);
    assert_eq!(events.len(), want);
    let checkpoints =
        std::fs::read_to_string(server.dir.join("receipts.jsonl.checkpoints")).unwrap();
    assert!(checkpoints.lines().count() >= want, "{checkpoints}");
}

/// Auth on (401 on every route, canaries in the token headers) and a global rate limit (429).
#[test]
fn issue_14_no_canary_with_auth_and_rate_limits() {
    const TOKEN: &str = "canary-test-token-0123";
    let mut server = Server::start(
        "canary-auth",
        &[
            ("DATAFOG_API_TOKEN", TOKEN),
            ("DATAFOG_RATE_LIMIT_RPS", "1"),
        ],
        None,
    );
    let mut cases = Vec::new();
    for (k, (method, target, route)) in [
        ("GET", "/health".to_owned(), "/health"),
        ("GET", "/metrics".to_owned(), "/metrics"),
        ("GET", "/openapi.json".to_owned(), "/openapi.json"),
        ("GET", "/v1/policy/version".to_owned(), "/v1/policy/version"),
        (
            "GET",
            format!("/v1/receipts?action_type={CARD}"),
            "/v1/receipts",
        ),
        ("GET", format!("/v1/receipts/{SSN}"), "/v1/receipts/{id}"),
        (
            "GET",
            "/v1/receipts/export".to_owned(),
            "/v1/receipts/export",
        ),
        (
            "GET",
            "/v1/receipts/checkpoint".to_owned(),
            "/v1/receipts/checkpoint",
        ),
        ("GET", format!("/v1/events?adapter={AWS}"), "/v1/events"),
        ("GET", format!("/data/{SSN}.pdf"), "/_not_found"),
        ("POST", "/v1/scan".to_owned(), "/v1/scan"),
        ("POST", "/v1/transform".to_owned(), "/v1/transform"),
        ("POST", "/v1/anonymize".to_owned(), "/v1/anonymize"),
        ("POST", "/v1/decide".to_owned(), "/v1/decide"),
    ]
    .into_iter()
    .enumerate()
    {
        // `noisy_headers` sends a wrong `Authorization: Bearer <ghp>` and `X-API-Key: <aws>`.
        for auth in [
            None,
            Some(format!("Basic {EMAIL}")),
            Some(format!("Bearer {CARD}")),
            Some(format!("Bearer {TOKEN}{SSN}")),
        ] {
            let mut h = json_headers(k);
            if let Some(a) = auth {
                h.retain(|(n, _)| n != "Authorization");
                h.push(("Authorization".into(), a));
            }
            cases.push(case(
                format!("401 {method} {target}"),
                method,
                target.clone(),
                h,
                decide_full(k).to_string(),
                401,
                route,
            ));
        }
    }
    run(&server, &cases);
    // A burst past 1 request per second: some pass, the rest are 429.
    let mut statuses = Vec::new();
    for k in 0..12 {
        let mut h = json_headers(k);
        h.retain(|(n, _)| n != "Authorization" && n != "X-API-Key");
        h.push(("Authorization".into(), format!("Bearer {TOKEN}")));
        let (route, body) = if k % 2 == 0 {
            ("/v1/decide", decide_full(k).to_string())
        } else {
            (
                "/v1/scan",
                json!({"text": running_text(), "request_id": CARD}).to_string(),
            )
        };
        let r = server.send("POST", route, &h, body.as_bytes());
        if let Some(e) = r.error_text() {
            assert_clean("a 429 envelope", &e);
        }
        statuses.push(r.status);
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(statuses.contains(&200), "{statuses:?}");
    std::thread::sleep(Duration::from_millis(1200));
    let mut h = noisy_headers(1);
    h.retain(|(n, _)| n != "Authorization" && n != "X-API-Key");
    h.push(("X-API-Key".into(), TOKEN.to_owned()));
    read_outputs(&server, &h);
    let log = server.stop();
    assert!(log.contains("status=429"), "{log}");
    assert!(log.contains("route=/v1/decide status=200"), "{log}");
    assert_clean("the log", &log);
    server.check_files();
}

/// 5xx: a guest that runs out of memory (500 `guest_error`) and a receipts file that cannot grow
/// (500 `receipt_error`, as on a full disk), each logged with its request id.
#[test]
fn issue_14_no_canary_on_server_errors() {
    let mut server = Server::start(
        "canary-5xx",
        &[("DATAFOG_GUEST_MEMORY_MB", "16")],
        Some(12 * 1024),
    );
    // ~149k emails in a 1 MiB body: the findings outgrow 16 MiB.
    let flood = format!("{} {}", running_text(), "a@b.co ".repeat(148_000));
    let mut cases = vec![case(
        "500 scan: the guest runs out of memory",
        "POST",
        "/v1/scan",
        json_headers(1),
        json!({"text": flood, "request_id": CARD}).to_string(),
        500,
        "/v1/scan",
    )];
    let mut body = decide_full(1);
    body["text"] = json!(flood);
    cases.push(case(
        "500 decide: the guest runs out of memory",
        "POST",
        "/v1/decide",
        json_headers(2),
        body.to_string(),
        500,
        "/v1/decide",
    ));
    run(&server, &cases);
    // Decides until the receipts file is full.
    let mut statuses = Vec::new();
    for k in 0..200 {
        let r = server.send(
            "POST",
            "/v1/decide",
            &json_headers(k),
            decide_full(k).to_string().as_bytes(),
        );
        if let Some(e) = r.error_text() {
            assert_clean("a 5xx envelope", &e);
        }
        statuses.push(r.status);
        if r.status == 500 {
            assert!(r.text().contains("receipt_error"), "{}", r.text());
            break;
        }
        assert_eq!(r.status, 200, "{}", r.text());
    }
    assert_eq!(statuses.last(), Some(&500), "{statuses:?}");
    read_outputs(&server, &noisy_headers(0));
    let log = server.stop();
    assert!(
        log.contains("route=/v1/scan status=500 code=guest_error"),
        "{log}"
    );
    assert!(
        log.contains("route=/v1/decide status=500 code=receipt_error"),
        "{log}"
    );
    assert!(
        log.contains(
            "request_id=x_[REDACTED:ssn]_1 method=POST route=/v1/decide status=500 code=guest_error"
        ),
        "{log}"
    );
    assert_clean("the log", &log);
    server.check_files();
}

/// 503: a guest call past its deadline (`guest_timeout`), logged with its request id.
#[test]
fn issue_14_no_canary_on_guest_timeouts() {
    let mut server = Server::start("canary-503", &[("DATAFOG_GUEST_TIMEOUT", "1ms")], None);
    // ~45k emails, each hashed with HMAC: far more than one 10 ms epoch tick.
    let flood = format!(
        "{} {}",
        running_text(),
        "jane.doe@example.com ".repeat(45_000)
    );
    let mut body = decide_full(1);
    body["text"] = json!(flood);
    run(
        &server,
        &[
            case(
                "503 transform: past the deadline",
                "POST",
                "/v1/transform",
                json_headers(2),
                json!({"text": flood, "mode": "hash", "request_id": CARD}).to_string(),
                503,
                "/v1/transform",
            ),
            case(
                "503 decide: past the deadline",
                "POST",
                "/v1/decide",
                json_headers(3),
                body.to_string(),
                503,
                "/v1/decide",
            ),
        ],
    );
    let log = server.stop();
    assert!(
        log.contains("request_id=file.write.[REDACTED:ssn] method=POST route=/v1/decide status=503 code=guest_timeout"),
        "{log}"
    );
    assert!(log.contains("exceeded its deadline"), "{log}");
    assert_clean("the log", &log);
    server.check_files();
}
