//! Fingerprints of the input files: the sha256 of every file a source is
//! made of (a shapefile's sidecars, a File Geodatabase folder whole), hashed
//! once per build, before anything is read. The manifest compares them to
//! decide whether a rebuild can be skipped; summary.json lists them as
//! `inputs`. A file that is not a regular file (a FIFO, `/dev/zero`) is
//! refused before it is opened, since hashing it may never end.

use super::gdal::open::{not_found, shapefile_files, sidecar, Format};
use super::limits::check_source_kind;
use super::IngestConfig;
use super::IngestError;
use crate::ingest::error::Result;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

/// A fingerprint of one input file for summary.json and the manifest.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InputFile {
    pub path: String,
    pub sha256: String,
}

/// The fingerprints of every file the sources are made of, in config order:
/// each source's own files, then its attributes join file.
pub fn fingerprints<'a>(cfg: impl Into<IngestConfig<'a>>) -> Result<Vec<InputFile>> {
    let cfg = cfg.into();
    let mut files = Vec::new();
    for source in cfg.sources {
        files.extend(of_path(&cfg.resolve(&source.path), &source.path)?);
        if let Some(attrs) = &source.attributes {
            files.extend(of_path(&cfg.resolve(attrs), attrs)?);
        }
    }
    Ok(files)
}

/// The files beside `path` that GDAL reads with it, by name: a shapefile's
/// `.shx`, `.dbf`, `.prj`, `.cpg` (and spatial indexes) as GDAL lists them, a
/// CSV's `.csvt` (column types) and `.prj`, a GeoPackage's or SQLite file's
/// `-wal` (committed rows not yet in the main file). A GeoPackage's `-shm` is
/// left out: it is an index of the `-wal` that readers rewrite. A zip holds
/// its sidecars; a directory (File Geodatabase) is hashed whole.
fn sidecars(path: &Path) -> Vec<PathBuf> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let beside =
        |exts: &[&str]| -> Vec<PathBuf> { exts.iter().filter_map(|e| sidecar(path, e)).collect() };
    let mut found = match Format::of(path) {
        Format::Shapefile => shapefile_files(path)
            .unwrap_or_else(|| beside(&["shx", "dbf", "prj", "cpg", "qix", "sbn", "sbx"])),
        Format::Csv => beside(&["csvt", "prj"]),
        _ if matches!(ext.as_str(), "gpkg" | "sqlite" | "db") => {
            let mut wal = path.as_os_str().to_owned();
            wal.push("-wal");
            vec![PathBuf::from(wal)]
        }
        _ => Vec::new(),
    };
    let own = path.file_name();
    let dir = path.parent().unwrap_or(Path::new(""));
    // GDAL names them as the path it opened; they are all beside it.
    found = found
        .iter()
        .filter_map(|p| p.file_name())
        .filter(|n| Some(*n) != own)
        .map(|n| dir.join(n))
        // Anything there but a directory: a sidecar that is a FIFO is
        // refused by hash_file rather than left for GDAL to block on.
        .filter(|p| std::fs::metadata(p).is_ok_and(|m| !m.is_dir()))
        .collect();
    found.sort();
    found.dedup();
    found
}

/// sha256 of an input: the file itself then each file GDAL reads beside it
/// ([`sidecars`], named as the input with their own file name), or every file
/// of a directory dataset (File Geodatabase) in name order. The manifest and
/// summary.json's `inputs` both come from here.
fn of_path(path: &Path, shown: &Path) -> Result<Vec<InputFile>> {
    if !path.exists() {
        return Err(not_found(path));
    }
    check_source_kind(path)?;
    let mut files = Vec::new();
    if path.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path)
            .map_err(|source| IngestError::Fingerprint {
                path: path.to_path_buf(),
                source,
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| std::fs::metadata(p).is_ok_and(|m| !m.is_dir()))
            .collect();
        entries.sort();
        let mut h = Sha256::new();
        for p in &entries {
            h.update(
                p.file_name()
                    .map(|n| n.as_encoded_bytes())
                    .unwrap_or_default(),
            );
            hash_file(p, &mut h)?;
        }
        files.push(InputFile {
            path: shown.display().to_string(),
            sha256: hex(&h.finalize()),
        });
    } else {
        let mut h = Sha256::new();
        hash_file(path, &mut h)?;
        files.push(InputFile {
            path: shown.display().to_string(),
            sha256: hex(&h.finalize()),
        });
        for p in sidecars(path) {
            let mut h = Sha256::new();
            hash_file(&p, &mut h)?;
            files.push(InputFile {
                path: shown
                    .with_file_name(p.file_name().unwrap_or_default())
                    .display()
                    .to_string(),
                sha256: hex(&h.finalize()),
            });
        }
    }
    Ok(files)
}

#[cfg(test)]
thread_local! {
    /// Files hashed on this thread, for the test that a build hashes each
    /// input once.
    pub(crate) static HASHED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

fn hash_file(p: &Path, h: &mut Sha256) -> Result<()> {
    #[cfg(test)]
    HASHED.with(|n| n.set(n.get() + 1));
    let failed = |source| IngestError::Fingerprint {
        path: p.to_path_buf(),
        source,
    };
    // Before opening: opening a FIFO blocks until a writer comes.
    check_source_kind(p)?;
    let mut f = std::fs::File::open(p).map_err(failed)?;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(failed)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
