//! A small HTTP/1.1 client on `std::net::TcpStream`, with raw control of what is sent (any
//! method, any header, any body bytes, or no `Content-Length`), so malformed requests can be
//! sent too. No `Accept-Encoding` is sent, so no response is compressed.
//!
//! Responses are read by the status, headers (names compared case-insensitively) and a body
//! framed by `Content-Length`, `Transfer-Encoding: chunked` or the end of the connection; a
//! response to `HEAD`, a `1xx`, `204` or `304` has no body.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::Value;

/// How long one read or write may block before the request fails.
const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// One request. `Content-Length` is added from the body unless a header of that name is given
/// or [`Request::no_content_length`] was called; `Host` is always added.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Do not add the host's token (see `Host::send`).
    pub anonymous: bool,
    content_length: bool,
}

impl Request {
    pub fn new(method: &str, path: &str) -> Request {
        Request {
            method: method.to_owned(),
            path: path.to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
            anonymous: false,
            content_length: true,
        }
    }

    pub fn get(path: &str) -> Request {
        Request::new("GET", path)
    }

    /// `POST` with `Content-Type: application/json` and `body` as is.
    pub fn post_json(path: &str, body: impl Into<Vec<u8>>) -> Request {
        Request::new("POST", path)
            .header("Content-Type", "application/json")
            .body(body)
    }

    pub fn header(mut self, name: &str, value: &str) -> Request {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Request {
        self.body = body.into();
        self
    }

    /// Send no credentials, whatever the host's token.
    pub fn anonymous(mut self) -> Request {
        self.anonymous = true;
        self
    }

    /// Send no `Content-Length` header.
    pub fn no_content_length(mut self) -> Request {
        self.content_length = false;
        self
    }

    fn has_header(&self, name: &str) -> bool {
        self.headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(name))
    }

    /// The request's bytes; `close` adds `Connection: close`.
    fn encode(&self, authority: &str, close: bool) -> Vec<u8> {
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {authority}\r\n",
            self.method, self.path
        );
        for (k, v) in &self.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if self.content_length
            && !self.has_header("content-length")
            && (!self.body.is_empty() || matches!(self.method.as_str(), "POST" | "PUT" | "PATCH"))
        {
            head.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        }
        if close && !self.has_header("connection") {
            head.push_str("Connection: close\r\n");
        }
        head.push_str("\r\n");
        let mut out = head.into_bytes();
        out.extend_from_slice(&self.body);
        out
    }
}

/// One response.
#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every header of that name, in order.
    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The content type without parameters, lower case.
    pub fn media_type(&self) -> Option<String> {
        self.header("content-type")
            .and_then(|ct| ct.split(';').next())
            .map(|m| m.trim().to_ascii_lowercase())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON; panics with the status and body when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "status {}: body is not JSON ({e}): {}",
                self.status,
                show(&self.body)
            )
        })
    }
}

/// The first 500 characters of a body, for failure messages.
pub fn show(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(bytes);
    let mut out: String = s.chars().take(500).collect();
    if s.chars().count() > 500 {
        out.push_str("...");
    }
    out
}

/// Send one request on a new connection (`Connection: close`).
pub fn send(addr: &str, req: &Request) -> std::io::Result<Response> {
    let mut conn = Conn::open(addr)?;
    conn.exchange(req, true)
}

/// A keep-alive connection: requests are sent one after the other on it.
#[derive(Debug)]
pub struct Conn {
    addr: String,
    reader: BufReader<TcpStream>,
}

impl Conn {
    pub fn open(addr: &str) -> std::io::Result<Conn> {
        let stream = TcpStream::connect(addr)?;
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        stream.set_write_timeout(Some(IO_TIMEOUT))?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            addr: addr.to_owned(),
            reader: BufReader::new(stream),
        })
    }

    /// Send `req` on this connection and read its response (keep-alive).
    pub fn request(&mut self, req: &Request) -> std::io::Result<Response> {
        self.exchange(req, false)
    }

    fn exchange(&mut self, req: &Request, close: bool) -> std::io::Result<Response> {
        let bytes = req.encode(&self.addr, close);
        // A server may answer (413, 415) and close before reading the whole body: a failed
        // write is not the answer, the response that may already be there is.
        let written = self.reader.get_mut().write_all(&bytes);
        match read_response(&mut self.reader, req.method == "HEAD") {
            Ok(r) => Ok(r),
            Err(e) => Err(written.err().unwrap_or(e)),
        }
    }
}

fn read_line(r: &mut impl BufRead) -> std::io::Result<String> {
    let mut line = Vec::new();
    r.read_until(b'\n', &mut line)?;
    if line.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "connection closed before a response",
        ));
    }
    while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        line.pop();
    }
    String::from_utf8(line).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

fn bad(msg: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, msg)
}

fn read_response(r: &mut impl BufRead, head_request: bool) -> std::io::Result<Response> {
    let status_line = read_line(r)?;
    let mut parts = status_line.splitn(3, ' ');
    let (version, code) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if !version.starts_with("HTTP/1.") {
        return Err(bad(format!("not an HTTP/1 status line: {status_line:?}")));
    }
    let status: u16 = code
        .parse()
        .map_err(|_| bad(format!("bad status line: {status_line:?}")))?;
    let mut headers = Vec::new();
    loop {
        let line = read_line(r)?;
        if line.is_empty() {
            break;
        }
        let (k, v) = line
            .split_once(':')
            .ok_or_else(|| bad(format!("bad header line: {line:?}")))?;
        headers.push((k.trim().to_owned(), v.trim().to_owned()));
    }
    let mut resp = Response {
        status,
        headers,
        body: Vec::new(),
    };
    if (100..200).contains(&status) {
        // An interim response: the real one follows.
        return read_response(r, head_request);
    }
    if head_request || status == 204 || status == 304 {
        return Ok(resp);
    }
    let chunked = resp
        .header("transfer-encoding")
        .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
    if chunked {
        loop {
            let size_line = read_line(r)?;
            let size_hex = size_line.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size_hex, 16)
                .map_err(|_| bad(format!("bad chunk size: {size_line:?}")))?;
            if size == 0 {
                // Trailers, then the empty line.
                while !read_line(r)?.is_empty() {}
                break;
            }
            let start = resp.body.len();
            resp.body.resize(start + size, 0);
            r.read_exact(resp.body.get_mut(start..).unwrap_or_default())?;
            let crlf = read_line(r)?;
            if !crlf.is_empty() {
                return Err(bad(format!("chunk not followed by CRLF: {crlf:?}")));
            }
        }
    } else if let Some(len) = resp.header("content-length") {
        let len: usize = len
            .parse()
            .map_err(|_| bad(format!("bad content-length: {len:?}")))?;
        resp.body.resize(len, 0);
        r.read_exact(&mut resp.body)?;
    } else {
        r.read_to_end(&mut resp.body)?;
    }
    Ok(resp)
}
