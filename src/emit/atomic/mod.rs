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

mod lock;
mod outdir;
mod staging;
mod swap;

pub use lock::OutLock;
pub use outdir::{canonical_nearest, check_replaceable, refuse_inputs, Input, OutDir};
pub use staging::{sweep_temporaries, temp_path, write_atomic, Staging};
pub use swap::BundleDir;

#[cfg(test)]
mod test_support {
    use std::path::Path;

    /// The sorted names in `dir`.
    pub fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}
