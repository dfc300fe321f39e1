//! Atomic outputs, and the guards around the output directory.
//!
//! A bundle is replaced whole or not at all ([`BundleDir`]): it is written
//! into a fresh staging directory beside `--out` (same parent, hidden name
//! `.NAME.clearmap-staging-PID`), every file and directory fsynced, then
//! swapped with `--out` in one step: on Linux `renameat2(RENAME_EXCHANGE)`,
//! after which the old tree (now under the staging name) is removed; when
//! `--out` does not exist yet, one plain rename. Where the exchange is not
//! available (another OS, a filesystem without it) the old tree is renamed
//! aside, the new one renamed in, the old one removed; the old one is renamed
//! back if the second rename fails. A reader thus sees the old bundle or the
//! new one, never a mix, and a file the new bundle does not make (changes.json
//! without a previous bundle, the tile container of the other `--format`)
//! simply is not in the new tree.
//!
//! Each writer of `--out` holds [`OutLock`] (flock on `.NAME.clearmap-lock`
//! beside `--out`, not inside it, since `--out` is swapped) from before the
//! manifest check to the end. A second build into the same `--out` fails at
//! once (exit 1) naming the process that holds the lock: CI jobs and batch
//! runs get a prompt, clear error rather than a silent wait, and a lock
//! cannot go stale (the kernel releases it when its process dies). Under the
//! lock every staging directory or temporary of that `--out` belongs to a dead
//! process, so it is swept.
//!
//! `clearmap tables` and `clearmap tiles` change part of a bundle: their files
//! go through [`Staging`], each written under a temporary name in the target
//! directory, fsynced, and renamed over the old file once all are written.
//!
//! The system calls come from rustix (already in the dependency tree through
//! indicatif's terminal_size): safe wrappers of `renameat2` and `flock`, so the
//! crate keeps `unsafe` denied, where libc would need `unsafe` blocks; nix
//! would also do but is one more crate.

use crate::error::{Error, Result};
use std::ffi::OsString;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Component, Path, PathBuf};

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

/// `p` as an absolute path with its existing part canonicalized (symlinks
/// resolved) and the part that does not exist yet normalized lexically (a
/// folder that does not exist is no symlink). A GDAL virtual path
/// (`/vsizip/DIR/a.zip/x.shp`) is taken as the file system path after the
/// prefix.
pub fn canonical_nearest(p: &Path) -> PathBuf {
    let text = p.to_string_lossy();
    let p = match text.strip_prefix("/vsi") {
        Some(rest) => match rest.find('/') {
            Some(i) => PathBuf::from(&rest[i..]),
            None => p.to_path_buf(),
        },
        None => p.to_path_buf(),
    };
    let abs = std::path::absolute(&p).unwrap_or(p);
    let mut rest: Vec<OsString> = Vec::new();
    let mut base = abs.as_path();
    let found = loop {
        if let Ok(c) = base.canonicalize() {
            break c;
        }
        match (base.parent(), base.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                base = parent;
            }
            // `..` or the root: keep the path as it is.
            _ => break base.to_path_buf(),
        }
    };
    let mut out = found;
    for c in rest.iter().rev() {
        out.push(c);
    }
    // `..` and `.` left in the part that does not exist.
    let mut norm = PathBuf::new();
    for c in out.components() {
        match c {
            Component::ParentDir => {
                norm.pop();
            }
            Component::CurDir => {}
            c => norm.push(c),
        }
    }
    norm
}

/// The output directory of a command, resolved once: every guard, the lock
/// and the swap use the same canonical path.
#[derive(Debug, Clone)]
pub struct OutDir {
    /// `--out` as given, for messages.
    pub given: PathBuf,
    /// Canonical absolute path ([`canonical_nearest`]).
    pub path: PathBuf,
    parent: PathBuf,
    name: String,
}

impl OutDir {
    pub fn resolve(given: &Path) -> Result<OutDir> {
        let path = canonical_nearest(given);
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return Err(Error::Usage(format!(
                "--out {}: the bundle replaces --out whole, so it cannot be the root folder; choose a new folder for --out",
                given.display()
            )));
        };
        Ok(OutDir {
            given: given.to_path_buf(),
            parent: parent.to_path_buf(),
            name: name.to_string_lossy().into_owned(),
            path,
        })
    }

    /// A hidden sibling of `--out`: `.NAME.clearmap-KIND`.
    fn sibling(&self, kind: &str) -> PathBuf {
        self.parent.join(format!(".{}.clearmap-{kind}", self.name))
    }

    /// Create the folder `--out` goes in; an error names `--out` as given.
    fn create_parent(&self) -> Result<()> {
        std::fs::create_dir_all(&self.parent).map_err(|source| Error::Output {
            path: self.given.clone(),
            source,
        })
    }
}

/// A file or folder a command reads, for [`refuse_inputs`].
#[derive(Debug, Clone)]
pub struct Input {
    pub path: PathBuf,
    /// What it is, for the message: "the config file", "source 2 of CONFIG"…
    pub what: String,
}

/// Refuse (exit 2) an `--out` that holds an input (the bundle replaces
/// `--out` whole, so any file in it goes) or lies inside one (a `.gdb`
/// folder).
pub fn refuse_inputs(out: &OutDir, inputs: &[Input]) -> Result<()> {
    for i in inputs {
        let input = canonical_nearest(&i.path);
        let problem = if input.parent() == Some(out.path.as_path()) {
            "is the folder of"
        } else if input.starts_with(&out.path) {
            "holds"
        } else if out.path.starts_with(&input) {
            "is inside"
        } else {
            continue;
        };
        return Err(Error::Usage(format!(
            "--out {} {problem} {} {}: writing the bundle there would replace or delete it (nothing was written); choose for --out an empty or new folder that is not an input's folder nor holds one",
            out.given.display(),
            i.what,
            i.path.display(),
        )));
    }
    Ok(())
}

/// The top-level names a clearmap command writes that a given build may not
/// (another `--format`, no previous bundle, no manifest), and the names the
/// partial commands (`clearmap tables`, `clearmap tiles`) write.
const OPTIONAL: [&str; 6] = [
    "changes.json",
    "changes.geojson",
    "manifest.json",
    "tiles.pmtiles",
    "tiles.mbtiles",
    "tiles.json",
];

/// Whether `dir/name` holds a JSON object with our `clearmap_version`.
fn ours(dir: &Path, name: &str) -> bool {
    std::fs::read(dir.join(name))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .is_some_and(|v| v.get("clearmap_version").is_some())
}

/// Refuse (exit 2) to replace an `--out` that is not a clearmap bundle: a
/// file, or a non-empty folder with neither a manifest.json nor a
/// summary.json of ours (nor only what `clearmap tables`/`tiles` write).
pub fn check_replaceable(out: &OutDir) -> Result<()> {
    let meta = match std::fs::symlink_metadata(&out.path) {
        Ok(m) => m,
        Err(_) => return Ok(()),
    };
    if !meta.is_dir() {
        return Err(Error::Usage(format!(
            "--out {} is a file, not a folder (nothing was written); choose an empty or new folder for --out",
            out.given.display()
        )));
    }
    let entries: Vec<String> = std::fs::read_dir(&out.path)
        .map_err(|source| Error::Output {
            path: out.path.clone(),
            source,
        })?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let partial = entries
        .iter()
        .all(|n| n == "tables" || OPTIONAL.contains(&n.as_str()) || is_temporary(n));
    if partial || ours(&out.path, "manifest.json") || ours(&out.path, "summary.json") {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "--out {} is not empty and holds no clearmap bundle (no manifest.json or summary.json written by clearmap): the bundle replaces --out whole, which would delete what is there (nothing was written); choose an empty or new folder for --out",
        out.given.display()
    )))
}

fn is_temporary(name: &str) -> bool {
    name.starts_with('.') && name.contains(".clearmap-tmp-")
}

/// The first entry of the old bundle `old` that the new tree `new` would
/// delete and that is not a clearmap output: a file or folder of the user's
/// (or a folder where clearmap writes a file), with why.
fn foreign_entry(old: &Path, new: &Path, top: bool) -> Option<(PathBuf, &'static str)> {
    let entries = std::fs::read_dir(old).ok()?;
    let mut names: Vec<OsString> = entries.flatten().map(|e| e.file_name()).collect();
    names.sort();
    for name in names {
        let text = name.to_string_lossy();
        if is_temporary(&text) {
            continue;
        }
        let (o, n) = (old.join(&name), new.join(&name));
        let (Ok(om), nm) = (std::fs::symlink_metadata(&o), std::fs::symlink_metadata(&n)) else {
            continue;
        };
        match nm {
            Ok(nm) if om.is_file() && nm.is_file() => {}
            Ok(nm) if om.is_dir() && nm.is_dir() => {
                if let Some(f) = foreign_entry(&o, &n, false) {
                    return Some(f);
                }
            }
            Ok(nm) if nm.is_file() => return Some((o, "a folder where clearmap writes a file")),
            Ok(_) => return Some((o, "not a file clearmap writes")),
            Err(_) if top && om.is_file() && OPTIONAL.contains(&text.as_ref()) => {}
            Err(_) => return Some((o, "not a file clearmap writes")),
        }
    }
    None
}

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

/// The staging directory of a bundle: written in full, then swapped with
/// `--out` by [`BundleDir::commit`]. Dropped without a commit (an error or a
/// panic on the way), it is removed and `--out` is as it was.
#[derive(Debug)]
pub struct BundleDir<'a> {
    out: &'a OutDir,
    staging: PathBuf,
    committed: bool,
}

impl<'a> BundleDir<'a> {
    /// Create the staging directory of `out`, after sweeping what dead
    /// processes left beside it (`_lock` proves no live one is writing).
    pub fn create(out: &'a OutDir, _lock: &OutLock) -> Result<BundleDir<'a>> {
        out.create_parent()?;
        sweep_stale(out);
        let staging = out.sibling(&format!("staging-{}", std::process::id()));
        std::fs::create_dir(&staging).map_err(|source| Error::Output {
            path: staging.clone(),
            source,
        })?;
        Ok(BundleDir {
            out,
            staging,
            committed: false,
        })
    }

    /// Where the bundle's files are written.
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// Swap the staged bundle in for `--out`. Refuses (exit 2, nothing
    /// replaced) when `--out` holds something the new bundle would delete that
    /// clearmap did not write.
    pub fn commit(mut self) -> Result<()> {
        let out = &self.out.path;
        if let Some((path, why)) = foreign_entry(out, &self.staging, true) {
            let shown = match path.strip_prefix(out) {
                Ok(rel) => self.out.given.join(rel),
                Err(_) => path,
            };
            return Err(Error::Usage(format!(
                "--out {}: {} is {why}; the bundle replaces --out whole, so it would be deleted (nothing was written); move it out of --out, or choose an empty or new folder",
                self.out.given.display(),
                shown.display()
            )));
        }
        let io = |source| Error::Output {
            path: out.clone(),
            source,
        };
        sync_tree(&self.staging).map_err(io)?;
        if std::fs::symlink_metadata(out).is_ok() {
            swap(
                &self.staging,
                out,
                &self.out.sibling(&format!("old-{}", std::process::id())),
            )
            .map_err(io)?;
        } else {
            std::fs::rename(&self.staging, out).map_err(io)?;
        }
        // The staging name now holds the old tree (or nothing).
        let _ = std::fs::remove_dir_all(&self.staging);
        self.committed = true;
        sync_dir(&self.out.parent).map_err(io)
    }
}

impl Drop for BundleDir<'_> {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

/// Exchange the directories `new` and `out`: afterwards `out` holds the new
/// tree and `new` the old one. `aside` is the name the fallback parks the old
/// tree under.
fn swap(new: &Path, out: &Path, aside: &Path) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        use rustix::io::Errno;
        match renameat_with(CWD, new, CWD, out, RenameFlags::EXCHANGE) {
            Ok(()) => return Ok(()),
            // Kernels or filesystems without the exchange: the fallback.
            Err(e) if [Errno::INVAL, Errno::NOSYS, Errno::OPNOTSUPP].contains(&e) => {}
            Err(e) => return Err(e.into()),
        }
    }
    swap_by_renames(new, out, aside)
}

/// The exchange as three renames: `out` aside, `new` in, the old tree to
/// `new`'s name. `out` is missing for an instant; if `new` cannot be renamed
/// in, the old tree is put back.
fn swap_by_renames(new: &Path, out: &Path, aside: &Path) -> std::io::Result<()> {
    std::fs::rename(out, aside)?;
    if let Err(e) = std::fs::rename(new, out) {
        let _ = std::fs::rename(aside, out);
        return Err(e);
    }
    // The new bundle is in place: the old tree is only to be removed.
    if std::fs::rename(aside, new).is_err() {
        let _ = std::fs::remove_dir_all(aside);
    }
    Ok(())
}

/// Remove what dead processes left beside `out`: staging directories, old
/// trees parked by the fallback swap. Called under the lock.
fn sweep_stale(out: &OutDir) {
    let Ok(entries) = std::fs::read_dir(&out.parent) else {
        return;
    };
    let prefix = format!(".{}.clearmap-", out.name);
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(kind) = name
            .to_string_lossy()
            .strip_prefix(&prefix)
            .map(str::to_owned)
        else {
            continue;
        };
        if kind.starts_with("staging-") || kind.starts_with("old-") {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// fsync every directory of the tree at `dir` (the files were fsynced as
/// they were written), so the swap publishes entries that are on disk.
fn sync_tree(dir: &Path) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)?.flatten() {
        if e.file_type()?.is_dir() {
            sync_tree(&e.path())?;
        }
    }
    sync_dir(dir)
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
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

    fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                let p = e.path();
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                if p.is_dir() {
                    out.push((rel + "/", vec![]));
                    stack.push(p);
                } else {
                    out.push((rel, std::fs::read(&p).unwrap()));
                }
            }
        }
        out.sort();
        out
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    fn old_bundle(out: &Path) {
        std::fs::create_dir_all(out.join("tables")).unwrap();
        std::fs::write(out.join("summary.json"), r#"{"clearmap_version":"0"}"#).unwrap();
        std::fs::write(out.join("changes.json"), "old").unwrap();
        std::fs::write(out.join("tables/a.csv"), "old").unwrap();
    }

    #[test]
    fn bundle_is_swapped_whole() {
        let d = tempfile::tempdir().unwrap();
        let out = OutDir::resolve(&d.path().join("out")).unwrap();
        old_bundle(&out.path);
        let lock = OutLock::acquire(&out).unwrap();
        let dir = BundleDir::create(&out, &lock).unwrap();
        std::fs::create_dir(dir.path().join("tables")).unwrap();
        std::fs::write(dir.path().join("summary.json"), "new").unwrap();
        std::fs::write(dir.path().join("tables/a.csv"), "new").unwrap();
        dir.commit().unwrap();
        assert_eq!(
            tree(&out.path),
            [
                ("summary.json".to_string(), b"new".to_vec()),
                ("tables/".into(), vec![]),
                ("tables/a.csv".into(), b"new".to_vec()),
            ]
        );
        drop(lock);
        // No staging directory, old tree or lock file left beside --out.
        assert_eq!(names(d.path()), ["out"]);
    }

    #[test]
    fn bundle_into_a_new_folder_is_one_rename() {
        let d = tempfile::tempdir().unwrap();
        let out = OutDir::resolve(&d.path().join("a/b/out")).unwrap();
        let lock = OutLock::acquire(&out).unwrap();
        let dir = BundleDir::create(&out, &lock).unwrap();
        std::fs::write(dir.path().join("summary.json"), "new").unwrap();
        dir.commit().unwrap();
        drop(lock);
        assert_eq!(names(&d.path().join("a/b")), ["out"]);
        assert_eq!(
            std::fs::read(out.path.join("summary.json")).unwrap(),
            b"new"
        );
    }

    #[test]
    fn failed_bundle_leaves_the_old_one_and_no_staging() {
        let d = tempfile::tempdir().unwrap();
        let out = OutDir::resolve(&d.path().join("out")).unwrap();
        old_bundle(&out.path);
        let before = tree(&out.path);
        let lock = OutLock::acquire(&out).unwrap();
        {
            let dir = BundleDir::create(&out, &lock).unwrap();
            std::fs::write(dir.path().join("summary.json"), "half").unwrap();
            // an error on the way: dropped without a commit
        }
        // A folder where the new bundle has a file: refused at the commit.
        std::fs::create_dir(out.path.join("tiles.json")).unwrap();
        let before_dir = tree(&out.path);
        let dir = BundleDir::create(&out, &lock).unwrap();
        std::fs::create_dir(dir.path().join("tables")).unwrap();
        std::fs::write(dir.path().join("tables/a.csv"), "new").unwrap();
        std::fs::write(dir.path().join("summary.json"), "new").unwrap();
        std::fs::write(dir.path().join("tiles.json"), "new").unwrap();
        let e = dir.commit().unwrap_err();
        assert!(
            e.to_string()
                .contains("a folder where clearmap writes a file"),
            "{e}"
        );
        assert_eq!(e.exit_code(), 2);
        assert_eq!(tree(&out.path), before_dir);
        std::fs::remove_dir(out.path.join("tiles.json")).unwrap();
        assert_eq!(tree(&out.path), before);
        drop(lock);
        assert_eq!(names(d.path()), ["out"]);
    }

    #[test]
    fn user_files_in_a_bundle_are_not_deleted() {
        let d = tempfile::tempdir().unwrap();
        let out = OutDir::resolve(&d.path().join("out")).unwrap();
        old_bundle(&out.path);
        std::fs::write(out.path.join("tables/notes.txt"), "mine").unwrap();
        let lock = OutLock::acquire(&out).unwrap();
        let dir = BundleDir::create(&out, &lock).unwrap();
        std::fs::create_dir(dir.path().join("tables")).unwrap();
        std::fs::write(dir.path().join("tables/a.csv"), "new").unwrap();
        std::fs::write(dir.path().join("summary.json"), "new").unwrap();
        let e = dir.commit().unwrap_err().to_string();
        assert!(e.contains("notes.txt is not a file clearmap writes"), "{e}");
        assert_eq!(
            std::fs::read(out.path.join("tables/notes.txt")).unwrap(),
            b"mine"
        );
    }

    #[test]
    fn fallback_swap_restores_the_old_tree_when_the_new_is_missing() {
        let d = tempfile::tempdir().unwrap();
        let (new, out, aside) = (
            d.path().join("new"),
            d.path().join("out"),
            d.path().join("aside"),
        );
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("a"), "old").unwrap();
        assert!(swap_by_renames(&new, &out, &aside).is_err());
        assert_eq!(std::fs::read(out.join("a")).unwrap(), b"old");
        assert_eq!(names(d.path()), ["out"]);
        std::fs::create_dir(&new).unwrap();
        std::fs::write(new.join("a"), "new").unwrap();
        swap_by_renames(&new, &out, &aside).unwrap();
        assert_eq!(std::fs::read(out.join("a")).unwrap(), b"new");
        assert_eq!(std::fs::read(new.join("a")).unwrap(), b"old");
        assert!(!aside.exists());
    }

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

    #[test]
    fn stale_staging_of_a_dead_process_is_swept() {
        let d = tempfile::tempdir().unwrap();
        let out = OutDir::resolve(&d.path().join("out")).unwrap();
        let stale = d.path().join(".out.clearmap-staging-999999999");
        std::fs::create_dir_all(stale.join("tables")).unwrap();
        std::fs::create_dir(d.path().join(".other.clearmap-staging-1")).unwrap();
        let lock = OutLock::acquire(&out).unwrap();
        let dir = BundleDir::create(&out, &lock).unwrap();
        assert!(!stale.exists());
        drop(dir);
        drop(lock);
        assert_eq!(names(d.path()), [".other.clearmap-staging-1"]);
    }

    #[test]
    fn canonical_paths_of_missing_folders_and_gdal_virtual_paths() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().canonicalize().unwrap();
        assert_eq!(
            canonical_nearest(&d.path().join("x/../y/./z")),
            root.join("y/z")
        );
        let vsi = format!("/vsizip/{}/a.zip/b.shp", d.path().display());
        assert_eq!(canonical_nearest(Path::new(&vsi)), root.join("a.zip/b.shp"));
    }

    #[test]
    fn out_holding_or_inside_an_input_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let src = d.path().join("src");
        std::fs::create_dir_all(src.join("a.gdb")).unwrap();
        std::fs::write(src.join("h.geojson"), "{}").unwrap();
        let inputs = [
            Input {
                path: src.join("h.geojson"),
                what: "the hazard source".into(),
            },
            Input {
                path: src.join("a.gdb"),
                what: "the release source".into(),
            },
        ];
        let refused = |out: &Path| match refuse_inputs(&OutDir::resolve(out).unwrap(), &inputs) {
            Err(e) => {
                assert_eq!(e.exit_code(), 2);
                e.to_string()
            }
            Ok(()) => String::new(),
        };
        assert!(refused(&src).contains("is the folder of the hazard source"));
        assert!(refused(d.path()).contains("holds the hazard source"));
        assert!(refused(&src.join("a.gdb/out")).contains("is inside the release source"));
        assert!(refused(&src.join("h.geojson")).contains("holds"));
        assert_eq!(refused(&d.path().join("out")), "");
        assert_eq!(refused(&src.join("out")), "");
    }

    #[test]
    fn only_bundles_and_empty_folders_are_replaced() {
        let d = tempfile::tempdir().unwrap();
        let out = OutDir::resolve(&d.path().join("out")).unwrap();
        assert!(check_replaceable(&out).is_ok());
        std::fs::create_dir(&out.path).unwrap();
        assert!(check_replaceable(&out).is_ok());
        std::fs::write(out.path.join("tiles.json"), "{}").unwrap();
        assert!(
            check_replaceable(&out).is_ok(),
            "what clearmap tiles writes"
        );
        std::fs::write(out.path.join("thesis.docx"), "mine").unwrap();
        let e = check_replaceable(&out).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(
            e.to_string().contains("choose an empty or new folder"),
            "{e}"
        );
        std::fs::write(
            out.path.join("summary.json"),
            r#"{"clearmap_version":"0.1.0"}"#,
        )
        .unwrap();
        assert!(check_replaceable(&out).is_ok());
        let file = OutDir::resolve(&out.path.join("thesis.docx")).unwrap();
        assert!(check_replaceable(&file).is_err());
    }
}
