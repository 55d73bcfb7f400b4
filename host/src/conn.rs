//! Per-connection HTTP timeouts with Go's `net/http` meaning (hyper has only a header timeout,
//! and it also runs while a keep-alive connection waits, so idle connections would close after
//! `DATAFOG_READ_HEADER_TIMEOUT`):
//!
//! | setting | runs from | until | on expiry |
//! |---|---|---|---|
//! | `DATAFOG_IDLE_TIMEOUT` | the end of the previous response | the first byte of the next request | close |
//! | `DATAFOG_READ_HEADER_TIMEOUT` | the first byte of a request; for a connection's first request, accept | its headers are parsed | close |
//! | `DATAFOG_READ_TIMEOUT` | the first byte of a request | its body is read | close |
//! | `DATAFOG_WRITE_TIMEOUT` | the headers are parsed | the response is written | close |
//!
//! As in Go, a new connection is not idle: it gets `DATAFOG_READ_HEADER_TIMEOUT` from accept to
//! send its first request's headers (a silent connection is closed after 2 s by default, not
//! after the 30 s idle timeout); the idle timeout applies only between requests.
//!
//! [`TimedIo`] wraps the socket and enforces the deadline of the current phase on every read or
//! write that would block; [`TimedService`] tells it the phase (headers parsed, body consumed,
//! response written) through a shared [`Phase`]. A closed connection is what Go does too: the
//! client sees EOF (Go's read timeouts answer nothing either).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::response::Response;
use hyper::body::{Body as HttpBody, Frame, Incoming, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

/// The four timeouts of one connection.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    pub idle: Duration,
    pub read_header: Duration,
    pub read: Duration,
    pub write: Duration,
}

const IDLE: u64 = 0;
const BODY: u64 = 1;
const HANDLING: u64 = 2;

/// The request phase of one connection, written by the service side and read by the socket
/// side. One word: the low 2 bits are the phase, the rest a generation counter bumped on every
/// change, so the socket side sees a change even when the phase value repeats.
#[derive(Debug)]
pub struct Phase {
    word: AtomicU64,
    /// When the headers of the current request were parsed (nanoseconds since `epoch`).
    head_at: AtomicU64,
    epoch: Instant,
    /// The socket side's last pending read: a phase change wakes it, so a deadline that starts
    /// with the change (idle, after a response) is armed even if hyper polled the read before.
    reader: std::sync::Mutex<Option<std::task::Waker>>,
}

impl Phase {
    fn new(epoch: Instant) -> Phase {
        Phase {
            word: AtomicU64::new(IDLE),
            head_at: AtomicU64::new(0),
            epoch,
            reader: std::sync::Mutex::new(None),
        }
    }

    fn set(&self, phase: u64) {
        let _ = self
            .word
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |w| {
                Some(((w >> 2).wrapping_add(1) << 2) | phase)
            });
        let waker = self.reader.lock().ok().and_then(|mut w| w.take());
        if let Some(w) = waker {
            w.wake();
        }
    }

    fn park_reader(&self, cx: &Context<'_>) {
        if let Ok(mut w) = self.reader.lock()
            && !w.as_ref().is_some_and(|w| w.will_wake(cx.waker()))
        {
            *w = Some(cx.waker().clone());
        }
    }

    fn get(&self) -> (u64, u64) {
        let w = self.word.load(Ordering::Acquire);
        (w & 3, w >> 2)
    }

    fn head_parsed(&self, body_done: bool) {
        // Never 0: 0 means "no request yet".
        let nanos = u64::try_from(self.epoch.elapsed().as_nanos())
            .unwrap_or(u64::MAX)
            .max(1);
        self.head_at.store(nanos, Ordering::Release);
        self.set(if body_done { HANDLING } else { BODY });
    }

    fn head_instant(&self) -> Instant {
        self.epoch + Duration::from_nanos(self.head_at.load(Ordering::Acquire))
    }
}

/// A socket with deadlines (see the module docs).
#[derive(Debug)]
pub struct TimedIo<T> {
    inner: T,
    timeouts: Timeouts,
    phase: Arc<Phase>,
    /// The generation last seen, and the socket-side state derived from it.
    seen: u64,
    /// When the connection was accepted: the first request's header deadline runs from here.
    accepted: Instant,
    idle_since: Instant,
    first_byte: Option<Instant>,
    sleep: Pin<Box<Sleep>>,
}

/// Wrap an accepted socket; give the returned [`Phase`] to [`TimedService::new`].
pub fn wrap<T>(inner: T, timeouts: Timeouts) -> (TimedIo<T>, Arc<Phase>) {
    let now = Instant::now();
    let phase = Arc::new(Phase::new(now));
    let io = TimedIo {
        inner,
        timeouts,
        phase: phase.clone(),
        seen: 0,
        accepted: now,
        idle_since: now,
        first_byte: None,
        sleep: Box::pin(tokio::time::sleep_until(
            (now + timeouts.read_header).into(),
        )),
    };
    (io, phase)
}

fn timed_out(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, what.to_owned())
}

impl<T> TimedIo<T> {
    /// Pick up a phase change from the service side.
    fn sync(&mut self) -> u64 {
        let (phase, generation) = self.phase.get();
        if generation != self.seen {
            self.seen = generation;
            if phase == IDLE {
                self.idle_since = Instant::now();
                self.first_byte = None;
            }
        }
        phase
    }

    /// The read deadline of the current phase, if reads are bounded now.
    fn read_deadline(&mut self) -> Option<(Instant, &'static str)> {
        match self.sync() {
            // No request yet: the first one's headers are due `read_header` after accept.
            IDLE if self.phase.head_at.load(Ordering::Acquire) == 0 => Some((
                self.accepted + self.timeouts.read_header,
                "read header timeout",
            )),
            IDLE => Some(match self.first_byte {
                None => (self.idle_since + self.timeouts.idle, "idle timeout"),
                Some(t) => (t + self.timeouts.read_header, "read header timeout"),
            }),
            BODY => Some((
                self.first_byte.unwrap_or_else(|| self.phase.head_instant()) + self.timeouts.read,
                "read timeout",
            )),
            // The body is consumed: hyper may still poll for EOF while the handler runs.
            _ => None,
        }
    }

    /// Writes only ever finish the current (or last) response: hyper may flush it after the
    /// response body was dropped (the phase is already idle), so the deadline of the last request
    /// still applies then. Before the first request nothing is written.
    fn write_deadline(&mut self) -> Option<Instant> {
        self.sync();
        (self.phase.head_at.load(Ordering::Acquire) != 0)
            .then(|| self.phase.head_instant() + self.timeouts.write)
    }

    /// `Ready(err)` when `deadline` has passed; otherwise arm the timer so the task wakes then.
    fn check(&mut self, cx: &mut Context<'_>, deadline: Instant, what: &str) -> Poll<io::Error> {
        if Instant::now() >= deadline {
            return Poll::Ready(timed_out(what));
        }
        let deadline = tokio::time::Instant::from(deadline);
        if self.sleep.deadline() != deadline {
            self.sleep.as_mut().reset(deadline);
        }
        match self.sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(timed_out(what)),
            Poll::Pending => Poll::Pending,
        }
    }
}

use std::future::Future;

impl<T: AsyncRead + Unpin> AsyncRead for TimedIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before && this.first_byte.is_none() {
                    this.sync();
                    this.first_byte = Some(Instant::now());
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                this.phase.park_reader(cx);
                match this.read_deadline() {
                    Some((deadline, what)) => this.check(cx, deadline, what).map(Err),
                    None => Poll::Pending,
                }
            }
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for TimedIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if let Some(deadline) = this.write_deadline()
            && Instant::now() >= deadline
        {
            return Poll::Ready(Err(timed_out("write timeout")));
        }
        match Pin::new(&mut this.inner).poll_write(cx, buf) {
            Poll::Pending => match this.write_deadline() {
                Some(deadline) => this.check(cx, deadline, "write timeout").map(Err),
                None => Poll::Pending,
            },
            other => other,
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if let Some(deadline) = this.write_deadline()
            && Instant::now() >= deadline
        {
            return Poll::Ready(Err(timed_out("write timeout")));
        }
        match Pin::new(&mut this.inner).poll_write_vectored(cx, bufs) {
            Poll::Pending => match this.write_deadline() {
                Some(deadline) => this.check(cx, deadline, "write timeout").map(Err),
                None => Poll::Pending,
            },
            other => other,
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_flush(cx) {
            Poll::Pending => match this.write_deadline() {
                Some(deadline) => this.check(cx, deadline, "write timeout").map(Err),
                None => Poll::Pending,
            },
            other => other,
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// The request body, reporting its end to the connection's [`Phase`].
#[derive(Debug)]
pub struct TrackedRequestBody {
    inner: Incoming,
    phase: Arc<Phase>,
}

impl HttpBody for TrackedRequestBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        if matches!(polled, Poll::Ready(None) | Poll::Ready(Some(Err(_))))
            || (matches!(polled, Poll::Ready(Some(Ok(_)))) && this.inner.is_end_stream())
        {
            let (phase, _) = this.phase.get();
            if phase == BODY {
                this.phase.set(HANDLING);
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The response body: when hyper drops it (written, or the connection failed) the connection
/// is idle again.
struct TrackedResponseBody {
    inner: Body,
    phase: Arc<Phase>,
}

impl Drop for TrackedResponseBody {
    fn drop(&mut self) {
        self.phase.set(IDLE);
    }
}

impl HttpBody for TrackedResponseBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The router as a hyper service that reports request phases to the connection.
#[derive(Clone, Debug)]
pub struct TimedService {
    router: axum::Router,
    phase: Arc<Phase>,
    /// The connection's peer, given to each request as [`ClientAddr`].
    peer: std::net::IpAddr,
}

impl TimedService {
    pub fn new(router: axum::Router, phase: Arc<Phase>, peer: std::net::IpAddr) -> TimedService {
        TimedService {
            router,
            phase,
            peer,
        }
    }
}

impl hyper::service::Service<hyper::Request<Incoming>> for TimedService {
    type Response = Response;
    type Error = std::convert::Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Self::Error>> + Send>>;

    fn call(&self, req: hyper::Request<Incoming>) -> Self::Future {
        use tower::ServiceExt;
        self.phase.head_parsed(req.body().is_end_stream());
        let phase = self.phase.clone();
        let mut req: Request = req.map(|inner| {
            Body::new(TrackedRequestBody {
                inner,
                phase: phase.clone(),
            })
        });
        req.extensions_mut().insert(ClientAddr(self.peer));
        let router = self.router.clone();
        Box::pin(async move {
            let resp = router.oneshot(req).await?;
            Ok(resp.map(|inner| Body::new(TrackedResponseBody { inner, phase })))
        })
    }
}

/// The TCP peer of a request, set per connection by `serve` (absent in `oneshot` tests): the key
/// of the per-client rate limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub std::net::IpAddr);
