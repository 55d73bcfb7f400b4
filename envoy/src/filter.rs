//! The proxy-wasm glue: one root context per plugin (holds the validated configuration and the
//! counters), one HTTP context per request (holds the action and the body state).

use datafog::policy::{Action, Decision, Effect};
use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action as Next, ContextType, LogLevel, MetricType};

use crate::config::{Config, Mode, OverCap};
use crate::gate::{self, Step, Stream};

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(Root::default()) });
}}

/// Decision header on every response (the request's decision).
const DECISION_HEADER: &str = "x-datafog-decision";

/// Counter ids (`datafog.<direction>.<outcome>`; Envoy shows them as `wasmcustom.datafog...`).
#[derive(Clone, Copy, Debug, Default)]
struct Metrics {
    request: [u32; 5],
    response: [u32; 5],
}

const OUTCOMES: [&str; 5] = [
    "allow",
    "allow_with_redaction",
    "transform",
    "deny",
    "over_cap",
];

fn outcome_index(effect: Effect) -> usize {
    match effect {
        Effect::Allow => 0,
        Effect::AllowWithRedaction => 1,
        Effect::Transform => 2,
        Effect::Deny => 3,
    }
}

impl Metrics {
    fn define() -> Metrics {
        let mut m = Metrics::default();
        for (i, name) in OUTCOMES.iter().enumerate() {
            if let (Some(r), Ok(id)) = (
                m.request.get_mut(i),
                hostcalls::define_metric(MetricType::Counter, &format!("datafog.request.{name}")),
            ) {
                *r = id;
            }
            if let (Some(r), Ok(id)) = (
                m.response.get_mut(i),
                hostcalls::define_metric(MetricType::Counter, &format!("datafog.response.{name}")),
            ) {
                *r = id;
            }
        }
        m
    }

    fn count(&self, dir: Dir, index: usize) {
        let ids = match dir {
            Dir::Request => &self.request,
            Dir::Response => &self.response,
        };
        if let Some(id) = ids.get(index) {
            // A failed counter must not fail the request.
            let _ = hostcalls::increment_metric(*id, 1);
        }
    }
}

#[derive(Debug, Default)]
struct Root {
    /// Leaked once per (re)configuration: every HTTP context and its streaming scanner borrow
    /// it for `'static` (a scanner borrows the policy's detectors). Reconfiguration is rare.
    cfg: Option<&'static Config>,
    metrics: Metrics,
}

impl Context for Root {}

impl RootContext for Root {
    fn on_configure(&mut self, _size: usize) -> bool {
        let bytes = self.get_plugin_configuration().unwrap_or_default();
        match Config::parse(&bytes) {
            Ok(cfg) => {
                for w in cfg.policy.warnings() {
                    log::warn!("datafog: policy warning: {w}");
                }
                log::info!(
                    "datafog: configured: mode={:?} directions={}{} body_cap={} over_cap={:?} rules={}",
                    cfg.mode,
                    if cfg.scan_request { "request" } else { "" },
                    if cfg.scan_response { ",response" } else { "" },
                    cfg.body_cap,
                    cfg.over_cap,
                    cfg.policy.rules().len(),
                );
                self.cfg = Some(Box::leak(Box::new(cfg)));
                self.metrics = Metrics::define();
                true
            }
            Err(e) => {
                log::error!("datafog: invalid plugin configuration, filter not started: {e}");
                false
            }
        }
    }

    fn create_http_context(&self, _id: u32) -> Option<Box<dyn HttpContext>> {
        let cfg = self.cfg?;
        Some(Box::new(Http {
            cfg,
            metrics: self.metrics,
            action: Action::default(),
            request_id: String::new(),
            req: Body::Off,
            resp: Body::Off,
            req_decision: None,
            resp_decision: None,
            req_headers: Vec::new(),
        }))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dir {
    Request,
    Response,
}

impl Dir {
    const fn as_str(self) -> &'static str {
        match self {
            Dir::Request => "request",
            Dir::Response => "response",
        }
    }
}

#[derive(Debug)]
enum Body {
    /// Not scanned (direction off, content type not listed, or already decided).
    Off,
    /// Buffered whole, decided at the end of the stream.
    Buffer,
    /// Decided chunk by chunk.
    Stream(Box<Stream<'static>>),
}

#[derive(Debug)]
struct Http {
    cfg: &'static Config,
    metrics: Metrics,
    action: Action,
    request_id: String,
    req: Body,
    resp: Body,
    /// The request's decision, sent back in `x-datafog-decision`.
    req_decision: Option<String>,
    resp_decision: Option<String>,
    /// The selected request headers (name, value), as they came.
    req_headers: Vec<(String, String)>,
}

impl Context for Http {}

impl Http {
    fn header(&self, dir: Dir, name: &str) -> Option<String> {
        match dir {
            Dir::Request => self.get_http_request_header(name),
            Dir::Response => self.get_http_response_header(name),
        }
    }

    fn set_header(&self, dir: Dir, name: &str, value: Option<&str>) {
        match dir {
            Dir::Request => self.set_http_request_header(name, value),
            Dir::Response => self.set_http_response_header(name, value),
        }
    }

    fn body(&self, dir: Dir, size: usize) -> Vec<u8> {
        match dir {
            Dir::Request => self.get_http_request_body(0, size),
            Dir::Response => self.get_http_response_body(0, size),
        }
        .unwrap_or_default()
    }

    fn set_body(&self, dir: Dir, size: usize, value: &[u8]) {
        match dir {
            Dir::Request => self.set_http_request_body(0, size, value),
            Dir::Response => self.set_http_response_body(0, size, value),
        }
    }

    fn enforce(&self) -> bool {
        self.cfg.mode == Mode::Enforce
    }

    fn action_for(&self, dir: Dir) -> Action {
        match dir {
            Dir::Request => self.action.clone(),
            Dir::Response => Action {
                action_type: self.cfg.response_action_type.clone(),
                ..self.action.clone()
            },
        }
    }

    /// Log and count a decision; no value, only types and counts.
    fn record(&mut self, dir: Dir, d: &Decision, summary: &str, bytes: u64) {
        self.metrics.count(dir, outcome_index(d.effect));
        log::info!(
            "datafog decision: direction={} effect={} rules={} findings={} bytes={} mode={} request_id={}",
            dir.as_str(),
            d.effect.as_str(),
            if d.matched_rules.is_empty() {
                "-".to_owned()
            } else {
                d.matched_rules.join(",")
            },
            summary,
            bytes,
            if self.enforce() { "enforce" } else { "observe" },
            self.request_id,
        );
        let label = if self.enforce() {
            d.effect.as_str().to_owned()
        } else {
            format!("{}; observe", d.effect.as_str())
        };
        match dir {
            Dir::Request => self.req_decision = Some(label),
            Dir::Response => self.resp_decision = Some(label),
        }
    }

    /// Answer with the error envelope instead of the upstream's answer.
    fn refuse(&self, status: u32, code: &str, message: &str, d: Option<&Decision>) {
        let body = gate::envelope(code, message, &self.request_id, d);
        let effect = d.map_or("deny", |d| d.effect.as_str());
        self.send_http_response(
            status,
            vec![
                ("content-type", "application/json"),
                (DECISION_HEADER, effect),
                ("x-request-id", self.request_id.as_str()),
            ],
            Some(&body),
        );
    }

    fn over_cap(&mut self, dir: Dir, bytes: u64) -> Next {
        self.metrics.count(dir, 4);
        log::warn!(
            "datafog decision: direction={} effect=over_cap bytes={} body_cap={} over_cap={:?} request_id={}",
            dir.as_str(),
            bytes,
            self.cfg.body_cap,
            self.cfg.over_cap,
            self.request_id,
        );
        match dir {
            Dir::Request => self.req = Body::Off,
            Dir::Response => self.resp = Body::Off,
        }
        if self.cfg.over_cap == OverCap::Pass || !self.enforce() {
            match dir {
                Dir::Request => self.req_decision = Some("unscanned".to_owned()),
                Dir::Response => self.resp_decision = Some("unscanned".to_owned()),
            }
            return Next::Continue;
        }
        let (status, code) = match dir {
            Dir::Request => (413, "request_too_large"),
            Dir::Response => (502, "response_too_large"),
        };
        self.refuse(status, code, "body exceeds the filter's body_cap", None);
        Next::Pause
    }

    /// Start a direction: choose buffered, streamed or off from the headers.
    fn start(&mut self, dir: Dir, end_of_stream: bool) -> Next {
        let ct = self.header(dir, "content-type");
        if end_of_stream || !self.cfg.scans_content_type(ct.as_deref()) {
            return Next::Continue;
        }
        let length = self
            .header(dir, "content-length")
            .and_then(|v| v.trim().parse::<u64>().ok());
        match length {
            Some(n) if n > self.cfg.body_cap => self.over_cap(dir, n),
            Some(_) => {
                // Buffered in the body callbacks (Pause there). The headers go on now: a Pause
                // here would stop the body callbacks too (proxy-wasm hosts turn a headers Pause
                // into StopAllIteration), so the length is dropped before the body may change;
                // Envoy then frames the body itself (chunked on HTTP/1.1).
                self.set_header(dir, "content-length", None);
                match dir {
                    Dir::Request => self.req = Body::Buffer,
                    Dir::Response => self.resp = Body::Buffer,
                }
                Next::Continue
            }
            None => {
                // The selected request headers' findings count in the stream's decisions.
                let header_findings: Vec<_> = match dir {
                    Dir::Request => gate::scan_headers(self.cfg, &self.req_headers)
                        .into_iter()
                        .flat_map(|(_, f)| f)
                        .collect(),
                    Dir::Response => Vec::new(),
                };
                let s = Box::new(Stream::new(
                    self.cfg,
                    self.action_for(dir),
                    &header_findings,
                ));
                match dir {
                    Dir::Request => self.req = Body::Stream(s),
                    Dir::Response => self.resp = Body::Stream(s),
                }
                Next::Continue
            }
        }
    }

    fn on_body(&mut self, dir: Dir, size: usize, end_of_stream: bool) -> Next {
        let state = match dir {
            Dir::Request => std::mem::replace(&mut self.req, Body::Off),
            Dir::Response => std::mem::replace(&mut self.resp, Body::Off),
        };
        match state {
            Body::Off => Next::Continue,
            Body::Buffer => {
                if size as u64 > self.cfg.body_cap {
                    return self.over_cap(dir, size as u64);
                }
                if !end_of_stream {
                    match dir {
                        Dir::Request => self.req = Body::Buffer,
                        Dir::Response => self.resp = Body::Buffer,
                    }
                    return Next::Pause;
                }
                let body = self.body(dir, size);
                // Request headers are no longer readable in a body callback: the copy taken
                // with the headers.
                let headers = if dir == Dir::Request {
                    self.req_headers.clone()
                } else {
                    Vec::new()
                };
                let v = gate::decide_whole(self.cfg, &self.action_for(dir), &headers, &body);
                self.record(dir, &v.decision, &v.summary, body.len() as u64);
                if !self.enforce() {
                    return Next::Continue;
                }
                if v.decision.effect == Effect::Deny {
                    let msg = match dir {
                        Dir::Request => "request denied by policy",
                        Dir::Response => "response denied by policy",
                    };
                    self.refuse(403, "policy_denied", msg, Some(&v.decision));
                    return Next::Pause;
                }
                if let Some(new) = &v.body {
                    self.set_body(dir, size, new);
                }
                Next::Continue
            }
            Body::Stream(mut s) => {
                let chunk = self.body(dir, size);
                let mut out = Vec::new();
                let mut denied = None;
                match s.push(&chunk) {
                    Step::Emit(b) => out.extend(b),
                    Step::Deny(d) => denied = Some(d),
                }
                if denied.is_none() && s.bytes_in > self.cfg.body_cap {
                    let next = self.over_cap(dir, s.bytes_in);
                    if next == Next::Continue && self.enforce() {
                        // `pass`: the bytes the scanner still holds go out with this chunk
                        // (decided as far as they were scanned), the rest unscanned.
                        if let (Step::Emit(rest), _, _) = s.finish() {
                            out.extend(rest);
                        }
                        self.set_body(dir, size, &out);
                    }
                    return next;
                }
                let mut final_decision = None;
                let bytes_in = s.bytes_in;
                if denied.is_none() && end_of_stream {
                    let (step, d, summary) = s.finish();
                    match step {
                        Step::Emit(b) => out.extend(b),
                        Step::Deny(d) => denied = Some(d),
                    }
                    if let (None, Some(d)) = (&denied, d) {
                        final_decision = Some((d, summary));
                    }
                    s = Box::new(Stream::new(self.cfg, Action::default(), &[]));
                }
                if let Some(d) = denied {
                    self.record(dir, &d, "-", bytes_in);
                    if self.enforce() {
                        let msg = match dir {
                            Dir::Request => "request denied by policy",
                            Dir::Response => "response denied by policy (stream stopped)",
                        };
                        self.refuse(403, "policy_denied", msg, Some(&d));
                        return Next::Pause;
                    }
                    return Next::Continue;
                }
                if let Some((d, summary)) = final_decision {
                    self.record(dir, &d, &summary, bytes_in);
                } else {
                    match dir {
                        Dir::Request => self.req = Body::Stream(s),
                        Dir::Response => self.resp = Body::Stream(s),
                    }
                }
                if self.enforce() {
                    self.set_body(dir, size, &out);
                }
                Next::Continue
            }
        }
    }

    fn selected_headers(&self) -> Vec<(String, String)> {
        self.cfg
            .scan_headers
            .iter()
            .filter_map(|name| {
                self.get_http_request_header(name)
                    .map(|v| (name.clone(), v))
            })
            .collect()
    }
}

impl HttpContext for Http {
    fn on_http_request_headers(&mut self, _n: usize, end_of_stream: bool) -> Next {
        let get = |name: &str| self.get_http_request_header(name).unwrap_or_default();
        let action = gate::request_action(
            &get(":method"),
            &get(":scheme"),
            &get(":authority"),
            &get(":path"),
        );
        let request_id = get("x-request-id");
        self.action = action;
        self.request_id = request_id;
        if !self.cfg.scan_request {
            return Next::Continue;
        }
        // The headers leave before the body is seen, so the selected header values are decided
        // (denied, rewritten) now; their findings also count in the body's decision.
        let headers = self.selected_headers();
        let v = gate::decide_whole(self.cfg, &self.action, &headers, b"");
        self.req_headers = headers;
        let next = if end_of_stream {
            Next::Continue
        } else {
            self.start(Dir::Request, false)
        };
        let body_follows = !matches!(self.req, Body::Off);
        if !body_follows || v.decision.effect == Effect::Deny {
            self.req = Body::Off;
            self.record(Dir::Request, &v.decision, &v.summary, 0);
        }
        if !self.enforce() || next == Next::Pause {
            return next;
        }
        if v.decision.effect == Effect::Deny {
            self.refuse(
                403,
                "policy_denied",
                "request denied by policy",
                Some(&v.decision),
            );
            return Next::Pause;
        }
        for (name, value) in &v.headers {
            self.set_http_request_header(name, Some(value));
        }
        next
    }

    fn on_http_request_body(&mut self, size: usize, end_of_stream: bool) -> Next {
        self.on_body(Dir::Request, size, end_of_stream)
    }

    fn on_http_response_headers(&mut self, _n: usize, end_of_stream: bool) -> Next {
        // A local reply (our 403/413) already carries its own decision header.
        if self.get_http_response_header(DECISION_HEADER).is_some() {
            return Next::Continue;
        }
        self.set_http_response_header(
            DECISION_HEADER,
            Some(self.req_decision.as_deref().unwrap_or("not_scanned")),
        );
        if !self.cfg.scan_response || end_of_stream {
            return Next::Continue;
        }
        self.start(Dir::Response, end_of_stream)
    }

    fn on_http_response_body(&mut self, size: usize, end_of_stream: bool) -> Next {
        self.on_body(Dir::Response, size, end_of_stream)
    }
}
