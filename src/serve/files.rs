//! Which file a request path names: only regular files whose real path (all
//! symlinks resolved) lies inside the served directory, and their content
//! types.

use std::fs::File;
use std::path::{Component, Path, PathBuf};

/// Why a request path names no file to send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// 404: nothing there, not a regular file, or not a path at all.
    NotFound,
    /// 403: a symlink that resolves outside the served directory.
    Outside,
}

/// The real path of the regular file the request target names, if it stays
/// inside `root` (which must itself be canonical). A directory names its
/// `index.html`. The query and fragment are ignored.
pub fn resolve(root: &Path, target: &str) -> Result<PathBuf, Refused> {
    let path = target.split(['?', '#']).next().unwrap_or("");
    let decoded = percent_decode(path).ok_or(Refused::NotFound)?;
    // A NUL ends the path for the OS; a backslash is a separator on Windows.
    if decoded.contains(['\0', '\\']) {
        return Err(Refused::NotFound);
    }
    let rel = Path::new(decoded.trim_start_matches('/'));
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err(Refused::NotFound);
    }
    let mut p = inside(root, &root.join(rel))?;
    if p.is_dir() {
        p = inside(root, &p.join("index.html"))?;
    }
    // FIFOs, sockets and devices are not files to send (a FIFO would block
    // the open and the read forever).
    match std::fs::metadata(&p) {
        Ok(m) if m.is_file() => Ok(p),
        _ => Err(Refused::NotFound),
    }
}

/// `p` with its symlinks resolved, if that stays inside `root`.
fn inside(root: &Path, p: &Path) -> Result<PathBuf, Refused> {
    let real = p.canonicalize().map_err(|_| Refused::NotFound)?;
    if real.starts_with(root) {
        Ok(real)
    } else {
        Err(Refused::Outside)
    }
}

/// Open a path [`resolve`] returned, and check that what was opened is still a
/// regular file: without following a symlink put there since, and without
/// blocking if a FIFO was.
pub(super) fn open(p: &Path) -> Option<(File, u64)> {
    #[cfg(unix)]
    let file = {
        use rustix::fs::{Mode, OFlags};
        let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW | OFlags::NONBLOCK;
        File::from(rustix::fs::open(p, flags, Mode::empty()).ok()?)
    };
    #[cfg(not(unix))]
    let file = File::open(p).ok()?;
    let m = file.metadata().ok()?;
    m.is_file().then_some((file, m.len()))
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let h = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(h, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

pub(super) fn content_type(p: &Path) -> &'static str {
    match p.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "geojson" => "application/json",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::write(root.join("index.html"), "x").unwrap();
        assert!(resolve(&root, "/").is_ok());
        assert!(resolve(&root, "/index.html?x=1").is_ok());
        assert!(resolve(&root, "/%69ndex.html").is_ok());
        assert_eq!(resolve(&root, "/../etc/passwd"), Err(Refused::NotFound));
        assert_eq!(resolve(&root, "/%2e%2e/etc/passwd"), Err(Refused::NotFound));
        assert_eq!(resolve(&root, "/index.html%00"), Err(Refused::NotFound));
        assert_eq!(resolve(&root, "/%zz"), Err(Refused::NotFound));
        assert_eq!(resolve(&root, "/nothing"), Err(Refused::NotFound));
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_must_resolve_inside() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "s").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::write(root.join("a.txt"), "a").unwrap();
        std::os::unix::fs::symlink(root.join("a.txt"), root.join("in")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), root.join("out")).unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("dir")).unwrap();
        assert_eq!(resolve(&root, "/in"), Ok(root.join("a.txt")));
        assert_eq!(resolve(&root, "/out"), Err(Refused::Outside));
        assert_eq!(resolve(&root, "/dir/secret"), Err(Refused::Outside));
        assert!(open(&root.join("in")).is_none(), "open follows no symlink");
        assert_eq!(open(&root.join("a.txt")).map(|(_, n)| n), Some(1));
    }
}
