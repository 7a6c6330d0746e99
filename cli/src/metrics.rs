//! The `pvm` binary's metrics: the process-wide Prometheus recorder and the
//! HTTP endpoint that serves its text format. The series themselves are
//! listed in `pvm_plugin::telemetry`.
//!
//! # Installing
//!
//! A process has one global recorder. [`install`] puts the Prometheus one in
//! place (once; later calls return the same handle). If another recorder was
//! there first, it returns [`TelemetryError::RecorderInstalled`] instead of
//! panicking, and PVM's series are described to that recorder all the same. A
//! node embedding `pvm-plugin` installs its own recorder and calls
//! `pvm_plugin::telemetry::describe` instead.
//!
//! # The endpoint
//!
//! [`serve`] answers `GET /metrics` (a query string is ignored) with the text
//! format; any other path is `404`, another method `405`, a request line that
//! is not HTTP `400`. Nothing a client does can stall a scrape or grow memory:
//! each connection has its own thread, at most [`MAX_CONNECTIONS`] at once
//! (more are answered `503` and closed), a request head larger than
//! [`MAX_REQUEST_BYTES`] is answered `431`, one not complete within
//! [`REQUEST_TIMEOUT`] is answered `408`, and writing the answer gives up after
//! [`WRITE_TIMEOUT`]. Every connection is closed after one answer.

use std::{
    io::{ErrorKind, Read, Write},
    net::{SocketAddr, TcpListener, TcpStream},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex, OnceLock, PoisonError,
    },
    time::{Duration, Instant},
};

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use thiserror::Error;

/// Most connections the endpoint serves at once; more are answered `503`.
pub const MAX_CONNECTIONS: usize = 32;
/// Most bytes of request head (request line and headers) read from one connection.
pub const MAX_REQUEST_BYTES: usize = 8 * 1024;
/// Longest a connection may take to send its whole request head.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest writing one answer may block.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(5);

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
static INSTALLING: Mutex<()> = Mutex::new(());

/// Why metrics could not be installed or served.
#[derive(Debug, Error)]
pub enum TelemetryError {
    /// The process already has a metrics recorder (the embedding node's).
    #[error(
        "another metrics recorder is already installed in this process; \
         PVM's metrics are recorded through it"
    )]
    RecorderInstalled,
    /// The endpoint could not be bound or started.
    #[error("cannot serve metrics on {addr}: {source}")]
    Serve {
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// Installs the process-wide Prometheus recorder (once) and returns its handle;
/// [`TelemetryError::RecorderInstalled`] if another recorder was there first.
pub fn install() -> Result<&'static PrometheusHandle, TelemetryError> {
    if let Some(handle) = HANDLE.get() {
        return Ok(handle);
    }
    let _installing = INSTALLING.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(handle) = HANDLE.get() {
        return Ok(handle);
    }
    let seconds = [
        1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 0.01,
        0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
    ];
    let gas = [
        1e3, 2.5e3, 5e3, 1e4, 2.5e4, 5e4, 1e5, 2.5e5, 5e5, 1e6, 2.5e6, 5e6, 1e7, 2.5e7, 5e7,
    ];
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &seconds)
        .and_then(|b| b.set_buckets_for_metric(Matcher::Full("pvm_tx_gas_used".into()), &gas))
        .expect("bucket lists are not empty")
        .build_recorder();
    let handle = recorder.handle();
    let installed = metrics::set_global_recorder(recorder);
    // Described and published to whichever recorder is in place.
    pvm_plugin::telemetry::describe();
    installed.map_err(|_| TelemetryError::RecorderInstalled)?;
    Ok(HANDLE.get_or_init(|| handle))
}

/// Serves the metrics at `http://addr/metrics` on a background thread (see the
/// module doc for what it answers); returns the bound address (port 0 picks a
/// free one).
pub fn serve(addr: SocketAddr) -> Result<SocketAddr, TelemetryError> {
    let handle = install()?;
    let failed = |source| TelemetryError::Serve { addr, source };
    let listener = TcpListener::bind(addr).map_err(failed)?;
    let bound = listener.local_addr().map_err(failed)?;
    std::thread::Builder::new()
        .name("pvm-metrics".into())
        .spawn(move || accept(listener, handle))
        .map_err(failed)?;
    Ok(bound)
}

/// One connection's claim on the [`MAX_CONNECTIONS`] slots, released on drop.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn accept(listener: TcpListener, handle: &'static PrometheusHandle) {
    let active = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let Ok(stream) = stream else {
            // Out of file descriptors, say: let connections drain.
            std::thread::sleep(Duration::from_millis(10));
            continue;
        };
        let slot = Slot(active.clone());
        if active.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            drop(slot);
            let _ = refuse(stream, Answer::status(503, "Service Unavailable"));
            continue;
        }
        // A failed spawn drops the closure, and with it the connection and slot.
        let _ = std::thread::Builder::new()
            .name("pvm-metrics-conn".into())
            .spawn(move || {
                let _slot = slot;
                let _ = respond(stream, handle);
            });
    }
}

/// What the endpoint sends back.
struct Answer {
    code: u16,
    reason: &'static str,
    extra_headers: &'static str,
    content_type: &'static str,
    body: String,
}

impl Answer {
    fn status(code: u16, reason: &'static str) -> Self {
        Self {
            code,
            reason,
            extra_headers: "",
            content_type: "text/plain; charset=utf-8",
            body: format!("{code} {reason}\n"),
        }
    }
}

impl Answer {
    fn to_bytes(&self) -> Vec<u8> {
        let Answer {
            code,
            reason,
            extra_headers,
            content_type,
            body,
        } = self;
        format!(
            "HTTP/1.1 {code} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
             {extra_headers}Connection: close\r\n\r\n{body}",
            body.len(),
        )
        .into_bytes()
    }
}

/// Why no request head was read.
enum HeadError {
    TooLarge,
    TimedOut,
    Closed,
    Io,
}

/// Reads up to the blank line ending the request head, within the size and
/// time limits; the head's bytes (a body, if any, is never read).
fn read_head(stream: &mut TcpStream) -> Result<Vec<u8>, HeadError> {
    let deadline = Instant::now() + REQUEST_TIMEOUT;
    let mut head = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        if let Some(end) = head_end(&head) {
            head.truncate(end);
            return Ok(head);
        }
        let room = MAX_REQUEST_BYTES - head.len();
        if room == 0 {
            return Err(HeadError::TooLarge);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(HeadError::TimedOut);
        }
        stream
            .set_read_timeout(Some(left))
            .map_err(|_| HeadError::Io)?;
        match stream.read(&mut chunk[..room.min(1024)]) {
            Ok(0) => return Err(HeadError::Closed),
            Ok(n) => head.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Err(HeadError::TimedOut)
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return Err(HeadError::Io),
        }
    }
}

/// Where the head ends: after the first blank line (CRLF or bare LF).
fn head_end(bytes: &[u8]) -> Option<usize> {
    let crlf = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4);
    let lf = bytes.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The answer to a request head.
fn route(head: &[u8], handle: &PrometheusHandle) -> Answer {
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = std::str::from_utf8(line).unwrap_or_default().trim_end();
    let parts: Vec<&str> = line.split(' ').collect();
    let [method, target, version] = parts[..] else {
        return Answer::status(400, "Bad Request");
    };
    if method.is_empty() || !target.starts_with('/') || !version.starts_with("HTTP/1.") {
        return Answer::status(400, "Bad Request");
    }
    let path = target.split('?').next().unwrap_or_default();
    if path != "/metrics" {
        return Answer::status(404, "Not Found");
    }
    if method != "GET" {
        return Answer {
            extra_headers: "Allow: GET\r\n",
            ..Answer::status(405, "Method Not Allowed")
        };
    }
    Answer {
        code: 200,
        reason: "OK",
        extra_headers: "",
        content_type: "text/plain; version=0.0.4",
        body: handle.render(),
    }
}

fn respond(mut stream: TcpStream, handle: &PrometheusHandle) -> std::io::Result<()> {
    let answer = match read_head(&mut stream) {
        Ok(head) => route(&head, handle),
        Err(HeadError::TooLarge) => Answer::status(431, "Request Header Fields Too Large"),
        Err(HeadError::TimedOut) => Answer::status(408, "Request Timeout"),
        Err(HeadError::Closed | HeadError::Io) => return Ok(()),
    };
    answer_on(&mut stream, answer)
}

/// Answers on the accept thread, which must not wait on the client: whatever
/// the client already sent is read without blocking, then the connection closes.
fn refuse(mut stream: TcpStream, answer: Answer) -> std::io::Result<()> {
    stream.set_write_timeout(Some(WRITE_TIMEOUT))?;
    stream.write_all(&answer.to_bytes())?;
    let _ = stream.shutdown(std::net::Shutdown::Write);
    if stream.set_nonblocking(true).is_ok() {
        drain(&mut stream, DRAIN_BYTES, DRAIN_TIMEOUT);
    }
    Ok(())
}

fn answer_on(stream: &mut TcpStream, answer: Answer) -> std::io::Result<()> {
    stream.set_write_timeout(Some(WRITE_TIMEOUT))?;
    stream.write_all(&answer.to_bytes())?;
    stream.flush()?;
    // Closing with unread request bytes resets the connection, which can discard
    // the answer before the client reads it: close our side first and read a
    // little of what is left.
    let _ = stream.shutdown(std::net::Shutdown::Write);
    drain(stream, DRAIN_BYTES, DRAIN_TIMEOUT);
    Ok(())
}

/// Most bytes read (and dropped) after an answer before closing.
const DRAIN_BYTES: usize = 64 * 1024;
/// Longest wait for the client to close after an answer.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(1);

fn drain(stream: &mut TcpStream, limit: usize, timeout: Duration) {
    let mut chunk = [0u8; 4096];
    let mut total = 0;
    if stream.set_read_timeout(Some(timeout)).is_err() {
        return;
    }
    while total < limit {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => total += n,
        }
    }
}
