//! The bundle written in a staging directory and swapped with `--out` whole
//! ([`BundleDir`]).

use super::outdir::foreign_entry;
use super::{OutDir, OutLock};
use crate::error::{Error, Result};
use std::fs::File;
use std::path::{Path, PathBuf};

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
    use crate::emit::atomic::test_support::names;
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
}
