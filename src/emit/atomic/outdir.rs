//! `--out` resolved once ([`OutDir`]) and the refusals around it: an `--out`
//! that holds or lies inside an input, or that is a folder no bundle made.

use crate::error::{Error, Result};
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

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
    pub(super) parent: PathBuf,
    pub(super) name: String,
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
    pub(super) fn sibling(&self, kind: &str) -> PathBuf {
        self.parent.join(format!(".{}.clearmap-{kind}", self.name))
    }

    /// Create the folder `--out` goes in; an error names `--out` as given.
    pub(super) fn create_parent(&self) -> Result<()> {
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
pub(super) fn foreign_entry(old: &Path, new: &Path, top: bool) -> Option<(PathBuf, &'static str)> {
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

#[cfg(test)]
mod tests {
    use super::*;
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
