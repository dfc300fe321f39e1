//! Fingerprints of the input files: the sha256 of every file a source is
//! made of (a shapefile's sidecars, a File Geodatabase folder whole), hashed
//! once per build, before anything is read. The manifest compares them to
//! decide whether a rebuild can be skipped; summary.json lists them as
//! `inputs`. A file that is not a regular file (a FIFO, `/dev/zero`) is
//! refused before it is opened, since hashing it may never end.
//!
//! The files are listed first, in config order and on the calling thread
//! (a shapefile's sidecars are listed by GDAL), then hashed side by side:
//! a build waits for every input's hash before it reads anything, and with
//! SHA-NI one core hashes about as fast as the page cache delivers.

use super::gdal::open::{not_found, shapefile_files, sidecar, Format};
use super::limits::check_source_kind;
use super::IngestConfig;
use super::IngestError;
use crate::ingest::error::Result;
use rayon::prelude::*;
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
    let mut jobs = Vec::new();
    for source in cfg.sources {
        jobs.extend(of_path(&cfg.resolve(&source.path), &source.path)?);
        if let Some(attrs) = &source.attributes {
            jobs.extend(of_path(&cfg.resolve(attrs), attrs)?);
        }
    }
    #[cfg(test)]
    HASHED.with(|n| n.set(n.get() + jobs.iter().map(|j| j.files.len()).sum::<usize>()));
    // Every file is hashed; the first failure in config order is the one
    // reported, as when they were hashed one after the other.
    let hashed: Vec<Result<InputFile>> = jobs.into_par_iter().map(Job::hash).collect();
    hashed.into_iter().collect()
}

/// One fingerprint to compute: the files hashed into it, in order.
struct Job {
    shown: String,
    files: Vec<PathBuf>,
    /// A directory dataset: each file's name is hashed before its bytes.
    named: bool,
}

impl Job {
    fn hash(self) -> Result<InputFile> {
        let mut h = Sha256::new();
        for p in &self.files {
            if self.named {
                h.update(
                    p.file_name()
                        .map(|n| n.as_encoded_bytes())
                        .unwrap_or_default(),
                );
            }
            hash_file(p, &mut h)?;
        }
        Ok(InputFile {
            path: self.shown,
            sha256: hex(&h.finalize()),
        })
    }
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

/// What to hash for an input: the file itself then each file GDAL reads
/// beside it ([`sidecars`], named as the input with their own file name), or
/// every file of a directory dataset (File Geodatabase) in name order, as one
/// sha256. The manifest and summary.json's `inputs` both come from here.
fn of_path(path: &Path, shown: &Path) -> Result<Vec<Job>> {
    if !path.exists() {
        return Err(not_found(path));
    }
    check_source_kind(path)?;
    let mut jobs = Vec::new();
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
        jobs.push(Job {
            shown: shown.display().to_string(),
            files: entries,
            named: true,
        });
    } else {
        jobs.push(Job {
            shown: shown.display().to_string(),
            files: vec![path.to_path_buf()],
            named: false,
        });
        for p in sidecars(path) {
            jobs.push(Job {
                shown: shown
                    .with_file_name(p.file_name().unwrap_or_default())
                    .display()
                    .to_string(),
                files: vec![p],
                named: false,
            });
        }
    }
    Ok(jobs)
}

#[cfg(test)]
thread_local! {
    /// Files hashed for a build started on this thread, for the test that a
    /// build hashes each input once.
    pub(crate) static HASHED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

fn hash_file(p: &Path, h: &mut Sha256) -> Result<()> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn sha(parts: &[&[u8]]) -> String {
        let mut h = Sha256::new();
        for p in parts {
            h.update(p);
        }
        hex(&h.finalize())
    }

    #[test]
    fn hashed_side_by_side_in_config_order() {
        let dir = tempfile::tempdir().unwrap();
        let files: Vec<PathBuf> = (0..4)
            .map(|i| {
                let p = dir.path().join(format!("s{i}.geojson"));
                std::fs::write(&p, format!("source {i}").repeat(1000 * (i + 1))).unwrap();
                p
            })
            .collect();
        let cfg = Config::from_files(None, &files[..2], &files[2..]);
        let got = fingerprints(&cfg).unwrap();
        assert_eq!(got.len(), 4);
        for (i, f) in got.iter().enumerate() {
            assert_eq!(f.path, files[i].display().to_string());
            assert_eq!(f.sha256, sha(&[&std::fs::read(&files[i]).unwrap()]));
        }
    }

    #[test]
    fn a_folder_is_one_hash_of_names_and_bytes_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        let gdb = dir.path().join("x.gdb");
        std::fs::create_dir(&gdb).unwrap();
        std::fs::write(gdb.join("b"), "bee").unwrap();
        std::fs::write(gdb.join("a"), "ay").unwrap();
        let got = of_path(&gdb, Path::new("x.gdb")).unwrap();
        assert_eq!(got.len(), 1);
        let f = got.into_iter().next().unwrap().hash().unwrap();
        assert_eq!(f.path, "x.gdb");
        assert_eq!(f.sha256, sha(&[b"a", b"ay", b"b", b"bee"]));
    }

    #[test]
    fn the_first_missing_input_in_config_order_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let there = dir.path().join("there.geojson");
        std::fs::write(&there, "{}").unwrap();
        let first = dir.path().join("first.geojson");
        let second = dir.path().join("second.geojson");
        let cfg = Config::from_files(None, &[there, first.clone()], &[second]);
        match fingerprints(&cfg) {
            Err(IngestError::NotFound { path }) => assert_eq!(path, first),
            other => panic!("{other:?}"),
        }
    }
}
