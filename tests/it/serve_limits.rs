//! `clearmap serve` under hostile and busy clients: the binary on a free
//! loopback port, one test per case — ranges HTTP says to ignore, symlinks
//! out of the bundle, huge heads, request bodies, slow heads, CORS, accept
//! errors at the open-file limit — and a bounded load test.

use crate::common::bin;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `clearmap serve`, stopped on drop.
struct Server {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

/// Size of `t.pmtiles` in the served bundle.
const LEN: usize = 100_000;

impl Server {
    /// Serve a small bundle (index.html, t.pmtiles) under the shell limits
    /// `ulimits` (e.g. `ulimit -n 64;`); `extra` adds files to it first.
    fn start(ulimits: &str, extra: impl FnOnce(&std::path::Path)) -> Server {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.html"), "<p>map</p>").unwrap();
        let tiles: Vec<u8> = (0..LEN).map(|i| (i % 251) as u8).collect();
        std::fs::write(dir.path().join("t.pmtiles"), tiles).unwrap();
        extra(dir.path());
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "{ulimits} exec \"$0\" serve \"$1\" --addr 127.0.0.1:0"
            ))
            .arg(bin())
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.starts_with("serving "), "{line:?}");
        let port = line
            .split("http://127.0.0.1:")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"));
        Server {
            child,
            port,
            _dir: dir,
        }
    }

    fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s
    }

    /// Send `raw`, read until the server closes or 3 s pass.
    fn exchange(&self, raw: &[u8]) -> String {
        let mut s = self.connect();
        s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        let _ = s.write_all(raw);
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    /// GET `path` with extra header lines; (status, lowercased head, body).
    fn get(&self, path: &str, headers: &str) -> (u16, String, Vec<u8>) {
        let raw = format!("GET {path} HTTP/1.1\r\nHost: x\r\n{headers}Connection: close\r\n\r\n");
        let mut s = self.connect();
        s.write_all(raw.as_bytes()).unwrap();
        // the head, then Content-Length bytes: not to EOF, as a server may
        // keep the connection open
        let mut out = Vec::new();
        let mut byte = [0u8];
        while !out.ends_with(b"\r\n\r\n") {
            match s.read(&mut byte) {
                Ok(1) => out.push(byte[0]),
                r => panic!(
                    "{r:?} after {:?}, in answer to {raw:?}",
                    String::from_utf8_lossy(&out)
                ),
            }
        }
        let (status, head, _) = split(&out).unwrap();
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .map_or(0, |v| v.trim().parse().unwrap());
        let mut body = vec![0; len];
        s.read_exact(&mut body).unwrap();
        (status, head, body)
    }

    /// A value of /proc/PID/status, in its unit (kB for memory).
    fn status(&self, key: &str) -> u64 {
        let s = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        s.lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or_else(|| panic!("no {key} in /proc status"))
    }

    /// CPU time used so far, in clock ticks (utime + stime).
    fn cpu_ticks(&self) -> u64 {
        let s = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
        let after = &s[s.rfind(')').unwrap() + 2..];
        let f: Vec<u64> = after
            .split(' ')
            .skip(11)
            .take(2)
            .map(|v| v.parse().unwrap())
            .collect();
        f[0] + f[1]
    }

    fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// (status, lowercased head, body) of a whole response.
fn split(out: &[u8]) -> Option<(u16, String, Vec<u8>)> {
    let end = out.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&out[..end]).to_lowercase();
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some((status, head, out[end + 4..].to_vec()))
}

#[test]
fn ranges_http_says_to_ignore_get_the_whole_file() {
    let s = Server::start("", |_| {});
    for r in [
        "bytes=0-1,5-6",
        "bytes=50-10",
        "items=0-10",
        "bytes=0-99999999999999999999999",
        "bytes=99999999999999999999999-",
    ] {
        let (status, head, body) = s.get("/t.pmtiles", &format!("Range: {r}\r\n"));
        assert_eq!(status, 200, "Range: {r}\n{head}");
        assert_eq!(body.len(), LEN, "Range: {r}");
    }
    let (status, head, body) = s.get("/t.pmtiles", "Range: bytes=10-19\r\n");
    assert_eq!(status, 206);
    assert!(head.contains("content-range: bytes 10-19/100000"), "{head}");
    assert_eq!(body, (10..20).map(|i| i as u8).collect::<Vec<_>>());
    let (status, head, _) = s.get("/t.pmtiles", "Range: bytes=100000-\r\n");
    assert_eq!(status, 416);
    assert!(head.contains("content-range: bytes */100000"), "{head}");
}

#[cfg(unix)]
#[test]
fn symlinks_out_of_the_bundle_are_refused() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret"), "secret").unwrap();
    let secret = outside.path().join("secret");
    let s = Server::start("", |d| {
        std::os::unix::fs::symlink(&secret, d.join("leak")).unwrap();
        std::os::unix::fs::symlink("index.html", d.join("alias.html")).unwrap();
    });
    let (status, _, body) = s.get("/leak", "");
    assert!(status == 403 || status == 404, "{status}");
    assert!(!String::from_utf8_lossy(&body).contains("secret"));
    let (status, _, body) = s.get("/alias.html", "");
    assert_eq!((status, body), (200, b"<p>map</p>".to_vec()));
}

#[test]
fn a_huge_head_gets_431_and_is_not_held_in_memory() {
    let s = Server::start("", |_| {});
    let mut c = s.connect();
    let writer = {
        let mut c = c.try_clone().unwrap();
        std::thread::spawn(move || {
            let _ = c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: ");
            let chunk = vec![b'a'; 1 << 20];
            // 64 MB, or until the server closes the connection
            for _ in 0..64 {
                if c.write_all(&chunk).is_err() {
                    break;
                }
            }
        })
    };
    let mut out = Vec::new();
    let _ = c.read_to_end(&mut out);
    let _ = c.shutdown(Shutdown::Both);
    writer.join().unwrap();
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 431"), "{text:?}");
    assert!(
        s.status("VmHWM") < 100_000,
        "peak RSS {} kB",
        s.status("VmHWM")
    );
}

#[test]
fn a_request_body_is_never_parsed_as_a_request() {
    let s = Server::start("", |_| {});
    let smuggled = "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n";
    let raw = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{smuggled}",
        smuggled.len()
    );
    let out = s.exchange(raw.as_bytes());
    assert!(out.starts_with("HTTP/1.1 405"), "{out:?}");
    assert_eq!(out.matches("HTTP/1.1 ").count(), 1, "{out:?}");
    // a GET with a body: answered once, the body not taken for a request
    let raw = format!(
        "GET /t.pmtiles HTTP/1.1\r\nHost: x\r\nRange: bytes=0-0\r\nContent-Length: {}\r\n\r\n{smuggled}",
        smuggled.len()
    );
    let out = s.exchange(raw.as_bytes());
    assert!(out.starts_with("HTTP/1.1 206"), "{out:?}");
    assert_eq!(out.matches("HTTP/1.1 ").count(), 1, "{out:?}");
}

#[test]
fn a_slow_head_times_out() {
    let s = Server::start("", |_| {});
    let mut c = s.connect();
    c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap();
    let t = Instant::now();
    let mut out = Vec::new();
    // closed by the server (EOF or reset), not by our 10 s read timeout
    let r = c.read_to_end(&mut out);
    let waited = t.elapsed();
    assert!(
        waited < Duration::from_secs(9),
        "held {waited:?}: {r:?} {out:?}"
    );
    let idle = s.connect();
    let t = Instant::now();
    let _ = (&idle).read_to_end(&mut Vec::new());
    assert!(
        t.elapsed() < Duration::from_secs(9),
        "an idle connection held"
    );
}

#[test]
fn cors_lets_other_origins_read_the_bundle() {
    let s = Server::start("", |_| {});
    let (status, head, _) = s.get(
        "/t.pmtiles",
        "Origin: http://127.0.0.1:1\r\nRange: bytes=0-9\r\n",
    );
    assert_eq!(status, 206);
    assert!(head.contains("access-control-allow-origin: *"), "{head}");
    assert!(head.contains("access-control-expose-headers:"), "{head}");
    assert!(head.contains("content-range"), "{head}");
    let out = s.exchange(
        b"OPTIONS /t.pmtiles HTTP/1.1\r\nHost: x\r\nOrigin: http://127.0.0.1:1\r\n\
          Access-Control-Request-Method: GET\r\nAccess-Control-Request-Headers: range\r\n\
          Connection: close\r\n\r\n",
    );
    let (status, head, _) = split(out.as_bytes()).unwrap();
    assert!(status == 204 || status == 200, "{out}");
    assert!(head.contains("access-control-allow-origin: *"), "{head}");
    assert!(
        head.contains("access-control-allow-methods: get, head"),
        "{head}"
    );
    assert!(
        head.contains("access-control-allow-headers: range"),
        "{head}"
    );
    let (_, head, _) = s.get("/", "");
    assert!(head.contains("access-control-allow-origin: *"), "{head}");
}

#[test]
fn out_of_descriptors_the_server_backs_off_and_recovers() {
    let mut s = Server::start("ulimit -n 32;", |_| {});
    let held: Vec<TcpStream> = (0..200)
        .filter_map(|_| TcpStream::connect(("127.0.0.1", s.port)).ok())
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let before = s.cpu_ticks();
    std::thread::sleep(Duration::from_secs(2));
    let spent = s.cpu_ticks() - before;
    // clock ticks are 1/100 s: a spinning accept loop would use up to 200
    assert!(spent < 10, "{spent} ticks of CPU in 2 s while out of files");
    drop(held);
    let t = Instant::now();
    loop {
        let ok = TcpStream::connect(("127.0.0.1", s.port))
            .ok()
            .and_then(|mut c| {
                c.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
                c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .ok()?;
                let mut out = Vec::new();
                c.read_to_end(&mut out).ok()?;
                Some(out.starts_with(b"HTTP/1.1 200"))
            })
            .unwrap_or(false);
        if ok {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(15),
            "no answer after the clients left"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(s.alive());
}

/// 500 idle connections, then 1,000 requests on 100 threads, under
/// `ulimit -n 1024` and a process limit: every request is answered or
/// refused (503, or the connection closed), none hangs; refused ones are
/// retried until answered once the idle connections time out; the server
/// stays on one thread, alive, and under 100 MB.
#[test]
fn load_idle_connections_and_many_requests() {
    let mut s = Server::start("ulimit -n 1024; ulimit -u 64 2>/dev/null;", |_| {});
    let port = s.port;
    let idle: Vec<TcpStream> = (0..500)
        .filter_map(|_| TcpStream::connect(("127.0.0.1", port)).ok())
        .collect();
    assert!(idle.len() >= 400, "only {} idle connections", idle.len());
    let t = Instant::now();
    let workers: Vec<_> = (0..100)
        .map(|w| {
            std::thread::spawn(move || {
                let t = Instant::now();
                let (mut answered, mut refused, mut hung) = (0, 0, 0);
                for i in 0..10 {
                    let range = if (w + i) % 2 == 0 {
                        "Range: bytes=1000-1999\r\n"
                    } else {
                        ""
                    };
                    let raw = format!(
                        "GET /t.pmtiles HTTP/1.1\r\nHost: x\r\n{range}Connection: close\r\n\r\n"
                    );
                    // retried while refused, until 40 s from the start
                    loop {
                        if t.elapsed() > Duration::from_secs(40) {
                            hung += 1;
                            break;
                        }
                        match request(port, raw.as_bytes()) {
                            Outcome::Answered => {
                                answered += 1;
                                break;
                            }
                            Outcome::Refused => refused += 1,
                            Outcome::Hung => hung += 1,
                        }
                        std::thread::sleep(Duration::from_millis(100));
                    }
                }
                (answered, refused, hung)
            })
        })
        .collect();
    let mut threads_seen = 0;
    while !workers.iter().all(|w| w.is_finished()) {
        threads_seen = threads_seen.max(s.status("Threads"));
        std::thread::sleep(Duration::from_millis(100));
    }
    let (mut answered, mut refused, mut hung) = (0, 0, 0);
    for w in workers {
        let (a, r, h) = w.join().unwrap();
        answered += a;
        refused += r;
        hung += h;
    }
    let peak_kb = s.status("VmHWM");
    eprintln!(
        "load: {answered} answered, {refused} refusals retried, {hung} hung, \
         {:.1} s, {threads_seen} thread(s), peak RSS {peak_kb} kB",
        t.elapsed().as_secs_f64()
    );
    assert_eq!(hung, 0, "requests neither answered nor refused");
    assert_eq!(answered, 1000);
    assert!(threads_seen <= 2, "{threads_seen} threads");
    assert!(peak_kb <= 100_000, "peak RSS {peak_kb} kB");
    drop(idle);
    assert!(s.alive());
    assert_eq!(s.get("/", "").0, 200);
}

enum Outcome {
    Answered,
    Refused,
    Hung,
}

/// One request on a new connection: a whole 200/206 answer, a refusal (503,
/// connection refused, reset or closed without an answer), or no answer in
/// 10 s.
fn request(port: u16, raw: &[u8]) -> Outcome {
    let Ok(mut c) = TcpStream::connect(("127.0.0.1", port)) else {
        return Outcome::Refused;
    };
    let _ = c.set_read_timeout(Some(Duration::from_secs(10)));
    if c.write_all(raw).is_err() {
        return Outcome::Refused;
    }
    let mut out = Vec::new();
    match c.read_to_end(&mut out) {
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            Outcome::Hung
        }
        Err(_) => Outcome::Refused,
        Ok(_) => match split(&out) {
            Some((200, _, b)) if b.len() == LEN => Outcome::Answered,
            Some((206, _, b)) if b.len() == 1000 => Outcome::Answered,
            Some((503, _, _)) | None => Outcome::Refused,
            Some((st, head, b)) => panic!("unexpected {st} ({} bytes): {head}", b.len()),
        },
    }
}
