//! The lock on `--out` ([`OutLock`]): a flock on a file beside it.

use super::OutDir;
use crate::error::{Error, Result};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Exclusive advisory lock on an output directory, held by every command
/// that writes into it (see the module doc). Dropped, it removes its lock
/// file and releases the lock.
#[derive(Debug)]
pub struct OutLock {
    path: PathBuf,
    /// Held open: closing it releases the lock.
    _file: File,
}

impl OutLock {
    /// Take the lock of `out`, creating its parent folder if needed; fails at
    /// once (exit 1) when another process holds it.
    pub fn acquire(out: &OutDir) -> Result<OutLock> {
        out.create_parent()?;
        let path = out.sibling("lock");
        let io = |source| Error::Output {
            path: path.clone(),
            source,
        };
        loop {
            let mut file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(io)?;
            if !try_lock(&file).map_err(io)? {
                let holder = std::fs::read_to_string(&path).unwrap_or_default();
                let holder = match holder.trim().parse::<u32>() {
                    Ok(pid) => format!("another clearmap process (pid {pid})"),
                    Err(_) => "another clearmap process".to_string(),
                };
                return Err(Error::Environment(format!(
                    "--out {} is being written by {holder}, which holds {}; wait for it to finish and run again, or choose another --out (nothing was written)",
                    out.given.display(),
                    path.display()
                )));
            }
            // The holder before us may have removed the file between our open
            // and our lock: then we locked a file nobody else will see.
            if same_file(&file, &path) {
                file.set_len(0).map_err(io)?;
                writeln!(file, "{}", std::process::id()).map_err(io)?;
                return Ok(OutLock { path, _file: file });
            }
        }
    }
}

impl Drop for OutLock {
    fn drop(&mut self) {
        // Removed before the lock is released (when `file` closes), so a
        // process that opens it now fails its same-file check and retries.
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(unix)]
fn try_lock(file: &File) -> std::io::Result<bool> {
    use rustix::fs::{flock, FlockOperation};
    match flock(file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(true),
        Err(e) if e == rustix::io::Errno::WOULDBLOCK => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Without flock, no lock (the project targets Linux; this keeps it building).
#[cfg(not(unix))]
fn try_lock(_file: &File) -> std::io::Result<bool> {
    Ok(true)
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::atomic::test_support::names;

    #[cfg(unix)]
    #[test]
    fn a_second_lock_fails_until_the_first_is_released() {
        let d = tempfile::tempdir().unwrap();
        let out = OutDir::resolve(&d.path().join("out")).unwrap();
        let first = OutLock::acquire(&out).unwrap();
        let e = OutLock::acquire(&out).unwrap_err().to_string();
        assert!(
            e.contains(&format!(
                "another clearmap process (pid {})",
                std::process::id()
            )),
            "{e}"
        );
        drop(first);
        assert_eq!(names(d.path()), Vec::<String>::new());
        let again = OutLock::acquire(&out).unwrap();
        drop(again);
    }
}
