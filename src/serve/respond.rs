//! One request's answer: a file (whole or one range), a CORS preflight, or a
//! refusal. Synchronous: files are read in small chunks as hyper asks for
//! them, from the page cache of a local bundle.

use super::files::{self, Refused};
use super::range::{range, Range};
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Bytes read from a file per body frame (hyper holds at most one or two
/// frames a connection, so this bounds the memory of a response).
const CHUNK: u64 = 16 * 1024;

/// The headers a page on another origin may read besides the safelisted ones
/// (the PMTiles reader looks at the range it got).
const EXPOSE: &str = "Content-Range, Accept-Ranges, Content-Length";

/// A response body: nothing, a short text, or part of a file.
pub(super) enum Body {
    Text(Option<Bytes>),
    File { file: File, left: u64 },
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        match self.get_mut() {
            Body::Text(t) => Poll::Ready(t.take().map(|b| Ok(Frame::data(b)))),
            Body::File { file, left } => {
                if *left == 0 {
                    return Poll::Ready(None);
                }
                // CHUNK fits a usize on every target
                let mut buf = vec![0; CHUNK.min(*left) as usize];
                Poll::Ready(Some(match file.read(&mut buf) {
                    // the file shrank under us: the promised length cannot be
                    // sent, so the connection is dropped
                    Ok(0) => Err(std::io::ErrorKind::UnexpectedEof.into()),
                    Ok(n) => {
                        buf.truncate(n);
                        *left -= n as u64;
                        Ok(Frame::data(Bytes::from(buf)))
                    }
                    Err(e) => Err(e),
                }))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Body::Text(t) => t.is_none(),
            Body::File { left, .. } => *left == 0,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Body::Text(t) => SizeHint::with_exact(t.as_ref().map_or(0, |b| b.len() as u64)),
            Body::File { left, .. } => SizeHint::with_exact(*left),
        }
    }
}

/// The answer to `req` from the files under `root` (canonical).
pub(super) fn respond<B>(root: &Path, req: &Request<B>) -> Response<Body> {
    let mut res = match *req.method() {
        Method::GET | Method::HEAD => file(root, req),
        Method::OPTIONS => preflight(req.headers()),
        _ => {
            let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
            r.headers_mut().insert(
                header::ALLOW,
                HeaderValue::from_static("GET, HEAD, OPTIONS"),
            );
            r
        }
    };
    res.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    res
}

/// A short plain-text answer.
pub(super) fn text(status: StatusCode, body: &'static str) -> Response<Body> {
    let mut r = Response::new(Body::Text(Some(Bytes::from_static(body.as_bytes()))));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    r
}

/// A CORS preflight: GET and HEAD from any origin, with the request headers
/// the page asks for (Range above all).
fn preflight(req: &HeaderMap) -> Response<Body> {
    let mut r = Response::new(Body::Text(None));
    *r.status_mut() = StatusCode::NO_CONTENT;
    let h = r.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, HEAD, OPTIONS"),
    );
    let asked = req
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .filter(|v| {
            v.len() <= 1024
                && v.as_bytes()
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || b",- _".contains(b))
        })
        .cloned()
        .unwrap_or(HeaderValue::from_static("Range"));
    h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, asked);
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("86400"),
    );
    r
}

fn file<B>(root: &Path, req: &Request<B>) -> Response<Body> {
    let path = match files::resolve(root, req.uri().path()) {
        Ok(p) => p,
        Err(Refused::NotFound) => return text(StatusCode::NOT_FOUND, "not found"),
        Err(Refused::Outside) => return text(StatusCode::FORBIDDEN, "forbidden"),
    };
    let Some((mut f, len)) = files::open(&path) else {
        return text(StatusCode::NOT_FOUND, "not found");
    };
    // Range applies to GET only (RFC 9110 §14.2). One header, as text; an
    // If-Range cannot match (no validators are sent), so it voids the Range.
    let ranges = req.headers().get_all(header::RANGE);
    let mut it = ranges.iter();
    let asked = match (it.next(), it.next()) {
        (Some(v), None)
            if *req.method() == Method::GET && !req.headers().contains_key(header::IF_RANGE) =>
        {
            v.to_str().map_or(Range::Whole, |v| range(v, len))
        }
        _ => Range::Whole,
    };
    let (status, start, n) = match asked {
        Range::Whole => (StatusCode::OK, 0, len),
        Range::Part { start, end } => (StatusCode::PARTIAL_CONTENT, start, end - start + 1),
        Range::Unsatisfiable => {
            let mut r = Response::new(Body::Text(None));
            *r.status_mut() = StatusCode::RANGE_NOT_SATISFIABLE;
            let h = r.headers_mut();
            h.insert(header::CONTENT_LENGTH, HeaderValue::from(0u64));
            set(h, header::CONTENT_RANGE, format!("bytes */{len}"));
            h.insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static(EXPOSE),
            );
            return r;
        }
    };
    let body = if *req.method() == Method::GET && n > 0 {
        if f.seek(SeekFrom::Start(start)).is_err() {
            return text(StatusCode::INTERNAL_SERVER_ERROR, "cannot read the file");
        }
        Body::File { file: f, left: n }
    } else {
        Body::Text(None)
    };
    let mut r = Response::new(body);
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(files::content_type(&path)),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(n));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSE),
    );
    if status == StatusCode::PARTIAL_CONTENT {
        set(
            h,
            header::CONTENT_RANGE,
            format!("bytes {start}-{}/{len}", start + n - 1),
        );
    }
    r
}

/// Insert a header whose value is made of digits and ASCII (never fails).
fn set(h: &mut HeaderMap, name: header::HeaderName, value: String) {
    if let Ok(v) = HeaderValue::try_from(value) {
        h.insert(name, v);
    }
}
