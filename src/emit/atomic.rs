//! Atomic output files: written under a temporary name in the target directory,
//! flushed to disk, then renamed over the old file, so a reader (or a web server)
//! never sees a half-written output and a failed run leaves the old one intact.

use crate::error::{Error, Result};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// The temporary name used for `target` while it is written.
pub fn temp_path(target: &Path) -> PathBuf {
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    target.with_file_name(format!(".{name}.clearmap-tmp-{}", std::process::id()))
}

/// Write `target` through `write`, atomically.
pub fn write_atomic(target: &Path, write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
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

/// Remove temporary files a killed earlier run may have left in `dir`.
pub fn sweep_temporaries(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') && name.contains(".clearmap-tmp-") {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
