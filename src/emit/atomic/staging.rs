//! Files replaced one by one, each atomically: [`write_atomic`] and [`Staging`]
//! (what `clearmap tables` and `clearmap tiles` write into a bundle), and the
//! sweep of the temporaries a killed run left.

use crate::error::{Error, Result};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// The temporary name used for `target` while it is written.
pub fn temp_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    target.with_file_name(format!(".{name}.clearmap-tmp-{}", std::process::id()))
}

/// Write `target` through `write`, atomically.
pub fn write_atomic(
    target: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let tmp = temp_path(target);
    let result = (|| {
        let file = File::create(&tmp)?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        write(&mut w)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, target)
    })();
    result.map_err(|source| {
        let _ = std::fs::remove_file(&tmp);
        Error::Output {
            path: target.to_path_buf(),
            source,
        }
    })
}

/// Files written under temporary names, renamed into place by [`Staging::commit`].
/// Dropped without a commit, it removes its temporaries.
#[derive(Debug, Default)]
pub struct Staging {
    staged: Vec<(PathBuf, PathBuf)>,
}

impl Staging {
    pub fn new() -> Self {
        Staging::default()
    }

    /// Write `target`'s new content under its temporary name.
    pub fn write(
        &mut self,
        target: &Path,
        write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> Result<()> {
        let tmp = temp_path(target);
        self.staged.push((tmp.clone(), target.to_path_buf()));
        (|| {
            let file = File::create(&tmp)?;
            let mut w = BufWriter::with_capacity(1 << 20, file);
            write(&mut w)?;
            let file = w.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()
        })()
        .map_err(|source| Error::Output {
            path: target.to_path_buf(),
            source,
        })
    }

    /// Register `target` and return the temporary path its writer must fill
    /// (and fsync) itself, for writers that need a `File` of their own.
    pub fn path_for(&mut self, target: &Path) -> PathBuf {
        let tmp = temp_path(target);
        self.staged.push((tmp.clone(), target.to_path_buf()));
        tmp
    }

    /// Take over the files `other` staged (written on another thread), to be
    /// committed with this staging's own.
    pub fn absorb(&mut self, mut other: Staging) {
        self.staged.append(&mut other.staged);
    }

    /// Rename every staged file into place.
    pub fn commit(mut self) -> Result<()> {
        for (tmp, target) in std::mem::take(&mut self.staged) {
            std::fs::rename(&tmp, &target).map_err(|source| Error::Output {
                path: target,
                source,
            })?;
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        for (tmp, _) in &self.staged {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

/// Remove temporary files a killed earlier run may have left in `dir` and in
/// its immediate subdirectories (a bundle has `tables/` and `i18n/`).
pub fn sweep_temporaries(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') && name.contains(".clearmap-tmp-") {
            let _ = std::fs::remove_file(&path);
        } else if path.is_dir() && !e.file_type().is_ok_and(|t| t.is_symlink()) {
            if let Ok(inner) = std::fs::read_dir(&path) {
                for f in inner.flatten() {
                    let n = f.file_name();
                    let n = n.to_string_lossy();
                    if n.starts_with('.') && n.contains(".clearmap-tmp-") {
                        let _ = std::fs::remove_file(f.path());
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staging_replaces_all_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
        let mut s = Staging::new();
        s.write(&a, |w| w.write_all(b"a1")).unwrap();
        s.write(&b, |w| w.write_all(b"b1")).unwrap();
        s.commit().unwrap();
        let mut s = Staging::new();
        s.write(&a, |w| w.write_all(b"a2")).unwrap();
        assert!(s
            .write(&b, |_| Err(std::io::Error::other("disk full")))
            .is_err());
        drop(s);
        assert_eq!(std::fs::read(&a).unwrap(), b"a1");
        assert_eq!(std::fs::read(&b).unwrap(), b"b1");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn sweep_reaches_subdirectories() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("tables")).unwrap();
        let debris = dir.path().join("tables/.a.csv.clearmap-tmp-1");
        std::fs::write(&debris, "x").unwrap();
        std::fs::write(dir.path().join(".b.json.clearmap-tmp-2"), "x").unwrap();
        std::fs::write(dir.path().join("tables/a.csv"), "keep").unwrap();
        sweep_temporaries(dir.path());
        assert!(!debris.exists());
        assert!(dir.path().join("tables/a.csv").exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn failed_write_keeps_old_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("summary.json");
        write_atomic(&target, |w| w.write_all(b"old")).unwrap();
        let err = write_atomic(&target, |w| {
            w.write_all(b"half")?;
            Err(std::io::Error::other("boom"))
        });
        assert!(err.is_err());
        assert_eq!(std::fs::read(&target).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
