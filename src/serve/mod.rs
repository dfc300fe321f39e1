//! `clearmap serve DIR`: a static file server for previewing a bundle.
//!
//! The map page reads tiles.pmtiles with HTTP range requests, which common
//! one-line servers (Python's http.server) do not answer. This server answers
//! GET and HEAD, with one `Range: bytes=…` (RFC 9110), and CORS
//! (`Access-Control-Allow-Origin: *`, OPTIONS preflights) so that a page on
//! another origin can read the bundle. Loopback by default; for previews on
//! one machine, not for production hosting.
//!
//! Busy or hostile clients are bounded:
//! - HTTP/1.1 parsing, keep-alive framing and request bodies are hyper's
//!   (a body is never parsed as a request: hyper drains it or closes);
//!   a request head over 16 KiB is answered 431, more than 64 headers 431.
//! - One thread: a current-thread tokio runtime, no blocking pool (files are
//!   read in 16 KiB chunks inline), so no thread is ever spawned and a
//!   process limit cannot make the server panic.
//! - At most [`max_connections`] connections, from the open-file limit
//!   (half of it, each connection may hold a file open); past it a
//!   connection gets 503 and is closed, and past a few of those it is
//!   closed at once.
//! - A request head must arrive within 5 s (this is also the keep-alive
//!   idle time); a connection on which nothing moves for 30 s is dropped.
//! - Accept errors (EMFILE, ENFILE, ENOBUFS) back off up to 1 s rather than
//!   spin.
//! - Only regular files whose real path lies inside DIR (files.rs).
//!
//! Why hyper: tiny_http has no header size limit nor timeouts and grows its
//! thread pool without bound; axum adds routing and tower layers that a
//! static server does not need. hyper (http1 server only) with tokio's
//! current-thread runtime (rt, net, time, io-util) adds 12 crates, about
//! 0.3 MB of code to the release binary and about 30 s of one core to a
//! clean release build (tokio 15 s, hyper 5 s, http 3 s).

mod files;
mod io;
mod range;
mod respond;

pub use files::{resolve, Refused};
pub use range::{range, Range};

use crate::error::{Error, Result};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Time for a request head to arrive (and idle time between requests).
const HEAD_TIMEOUT: Duration = Duration::from_secs(5);
/// Time a connection may make no progress at all while a response is sent.
const STALL_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest request head, and most header fields.
const MAX_HEAD: usize = 16 * 1024;
const MAX_HEADERS: usize = 64;
/// Connections being refused with a 503 at once; past it, closed at once.
const MAX_REFUSING: usize = 32;

/// Serve `root` on `addr` until the process is stopped.
pub fn serve(root: &Path, addr: &str) -> Result<()> {
    let root = root
        .canonicalize()
        .map_err(|e| Error::input(root, format!("cannot serve it: {e}")))?;
    let listener = std::net::TcpListener::bind(addr)
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .map_err(|e| Error::Usage(format!("cannot listen on {addr}: {e}")))?;
    let local = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|_| addr.to_string());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| Error::Environment(format!("cannot start the server: {e}")))?;
    let listener = {
        let _in = runtime.enter();
        tokio::net::TcpListener::from_std(listener)
            .map_err(|e| Error::Environment(format!("cannot listen on {addr}: {e}")))?
    };
    println!(
        "serving {} at http://{local}/ (Ctrl-C to stop)",
        root.display()
    );
    runtime.block_on(accept(listener, Arc::new(root)));
    Ok(())
}

/// Connections served at once: half the open-file limit less a margin (a
/// connection may hold a file open), between 8 and 512.
pub fn max_connections() -> usize {
    #[cfg(unix)]
    let files = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(1024);
    #[cfg(not(unix))]
    let files = 1024u64;
    let n = files.saturating_sub(64) / 2;
    n.clamp(8, 512) as usize
}

/// A place in a count of connections, given back on drop.
struct Slot(Arc<AtomicUsize>);

impl Slot {
    /// A place if fewer than `max` are taken (one thread: no race).
    fn take(count: &Arc<AtomicUsize>, max: usize) -> Option<Slot> {
        if count.load(Ordering::Relaxed) >= max {
            return None;
        }
        count.fetch_add(1, Ordering::Relaxed);
        Some(Slot(count.clone()))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// hyper's HTTP/1.1 server with this server's limits.
fn http1_builder() -> http1::Builder {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEAD_TIMEOUT)
        .max_header_size(MAX_HEAD)
        .max_headers(MAX_HEADERS)
        .max_buf_size(2 * MAX_HEAD);
    builder
}

/// Everything the server sends back on a connection on which a client sent
/// `request` and then closed its side: the whole HTTP stack, in memory, for
/// the fuzz target (`root` must be canonical). Bounded to 10 s.
pub fn answer_bytes(root: &Path, request: &[u8]) -> Vec<u8> {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
    else {
        return Vec::new();
    };
    let root = Arc::new(root.to_path_buf());
    let request = request.to_vec();
    runtime.block_on(async move {
        let (client, server) = tokio::io::duplex(64 * 1024);
        let service = hyper::service::service_fn(move |req| {
            let res = respond::respond(&root, &req);
            std::future::ready(Ok::<_, std::convert::Infallible>(res))
        });
        tokio::spawn(async move {
            let _ = http1_builder()
                .serve_connection(TokioIo::new(server), service)
                .await;
        });
        let (mut rx, mut tx) = tokio::io::split(client);
        tokio::spawn(async move {
            let _ = tx.write_all(&request).await;
            let _ = tx.shutdown().await;
        });
        let mut out = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(10), rx.read_to_end(&mut out)).await;
        out
    })
}

async fn accept(listener: tokio::net::TcpListener, root: Arc<PathBuf>) {
    let max = max_connections();
    let serving = Arc::new(AtomicUsize::new(0));
    let refusing = Arc::new(AtomicUsize::new(0));
    let builder = Arc::new(http1_builder());
    let mut backoff = Duration::from_millis(10);
    loop {
        let stream = match listener.accept().await {
            Ok((s, _)) => {
                backoff = Duration::from_millis(10);
                s
            }
            Err(e) => {
                // Out of descriptors or buffers: the listener stays readable,
                // so retrying at once would spin. Connections in the backlog
                // wait for a descriptor to come back.
                if !matches!(
                    e.kind(),
                    std::io::ErrorKind::ConnectionAborted
                        | std::io::ErrorKind::ConnectionReset
                        | std::io::ErrorKind::Interrupted
                ) {
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                }
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        if let Some(slot) = Slot::take(&serving, max) {
            let root = root.clone();
            let builder = builder.clone();
            tokio::spawn(async move {
                let io = TokioIo::new(io::Stalling::new(stream, STALL_TIMEOUT));
                let service = hyper::service::service_fn(move |req| {
                    let res = respond::respond(&root, &req);
                    std::future::ready(Ok::<_, std::convert::Infallible>(res))
                });
                let _ = builder.serve_connection(io, service).await;
                drop(slot);
            });
        } else if let Some(slot) = Slot::take(&refusing, MAX_REFUSING) {
            tokio::spawn(async move {
                refuse(stream).await;
                drop(slot);
            });
        }
        // else: dropped, the client sees the connection closed
    }
}

/// Answer 503 on a connection past the limit: read what the client sent (so
/// that closing does not reset the connection under the answer), answer,
/// close. Bounded to about a second.
async fn refuse(mut stream: TcpStream) {
    const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n\
        Access-Control-Allow-Origin: *\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    let mut buf = [0u8; 4096];
    let t = Duration::from_millis(300);
    let _ = tokio::time::timeout(t, stream.read(&mut buf)).await;
    if let Ok(Ok(())) = tokio::time::timeout(t, stream.write_all(BUSY)).await {
        let _ = tokio::time::timeout(t, stream.shutdown()).await;
        let _ = tokio::time::timeout(t, stream.read(&mut buf)).await;
    }
}
