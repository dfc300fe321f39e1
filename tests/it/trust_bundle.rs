//! Issue 17, the bundle's integrity: --out never holds an input, and the
//! bundle is replaced whole or not at all, under a lock on --out.

use crate::common::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every file under `dir` with its bytes, and every folder, by relative path.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            let rel = p.strip_prefix(dir).unwrap().to_path_buf();
            if p.is_dir() {
                out.insert(rel, None);
                stack.push(p);
            } else {
                out.insert(rel, Some(std::fs::read(&p).unwrap()));
            }
        }
    }
    out
}

/// Names under `dir` (not below) that clearmap uses for temporaries, staging
/// directories and locks.
fn debris(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".clearmap-"))
        .collect()
}

/// A copy of the example country (config, hazards, releases) in `dir`.
fn example_into(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    for f in ["clearmap.toml", "hazards.geojson", "releases.geojson"] {
        std::fs::copy(repo().join("data/example").join(f), dir.join(f)).unwrap();
    }
    dir.join("clearmap.toml")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn out_equal_to_the_input_folder_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("dir");
    let cfg = example_into(&dir);
    let before = snapshot(t.path());
    for args in [
        vec!["build", s(&cfg), "--out", s(&dir)],
        vec!["build", s(&cfg), "--out", s(t.path())],
        vec!["tables", s(&cfg), "--out", s(&dir)],
        vec!["tiles", s(&cfg), "--out", s(&dir)],
        vec![
            "build",
            "--hazards",
            s(&dir.join("hazards.geojson")),
            "--out",
            s(&dir),
        ],
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(
            e.contains("hazards.geojson") && e.contains("choose"),
            "{args:?}: {e}"
        );
        assert_eq!(snapshot(t.path()), before, "{args:?} changed the inputs");
    }
    // Beside the inputs is fine.
    let o = run(&["build", s(&cfg), "--out", s(&dir.join("out"))]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn all_countries_into_their_own_folder_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let countries = t.path().join("countries");
    example_into(&countries.join("xex"));
    let before = snapshot(t.path());
    let o = run(&["build", "--all", s(&countries), "--out", s(&countries)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("xex"), "{}", stderr(&o));
    assert_eq!(snapshot(t.path()), before);
    let o = run(&[
        "build",
        "--all",
        s(&countries),
        "--out",
        s(&t.path().join("bundles")),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(t.path().join("bundles/xex/summary.json").is_file());
}

#[test]
fn a_folder_that_is_not_a_bundle_is_not_wiped() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("mine");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("thesis.docx"), "years of work").unwrap();
    let cfg = repo().join("data/example/clearmap.toml");
    let o = run(&["build", s(&cfg), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("empty or new folder"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(out.join("thesis.docx")).unwrap(),
        b"years of work"
    );
    assert!(debris(t.path()).is_empty());
}

#[test]
fn a_failed_build_leaves_the_previous_bundle_byte_identical() {
    let t = tempfile::tempdir().unwrap();
    let cfg = example_into(&t.path().join("in"));
    let out = t.path().join("out");
    let o = run(&["build", s(&cfg), "--out", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The commit used to fail on this after replacing ten files.
    std::fs::remove_file(out.join("tiles.json")).unwrap();
    std::fs::create_dir(out.join("tiles.json")).unwrap();
    // New inputs, so that the bundle must be rebuilt.
    let hz = t.path().join("in/hazards.geojson");
    let mut text = std::fs::read(&hz).unwrap();
    text.extend_from_slice(b"\n");
    std::fs::write(&hz, text).unwrap();
    let before = snapshot(&out);
    let o = run(&["build", s(&cfg), "--out", s(&out)]);
    assert_ne!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("tiles.json"), "{}", stderr(&o));
    assert_eq!(snapshot(&out), before, "the previous bundle was altered");
    assert!(debris(&out).is_empty(), "{:?}", debris(&out));
    assert!(debris(t.path()).is_empty(), "{:?}", debris(t.path()));

    // The rerun once the folder is moved away is a build, not "unchanged".
    std::fs::remove_dir(out.join("tiles.json")).unwrap();
    let o = run(&["build", s(&cfg), "--out", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let e = String::from_utf8_lossy(&o.stdout).into_owned() + &stderr(&o);
    assert!(
        !e.contains("unchanged") && e.contains("bundle written"),
        "{e}"
    );
    assert!(out.join("tiles.json").is_file());
    assert!(debris(t.path()).is_empty(), "{:?}", debris(t.path()));
}

#[test]
fn files_of_another_build_do_not_linger() {
    let t = tempfile::tempdir().unwrap();
    let cfg = repo().join("data/example/clearmap.toml");
    let out = t.path().join("out");
    let o = run(&["build", s(&cfg), "--out", s(&out), "--format", "mbtiles"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.join("tiles.mbtiles").is_file());
    std::fs::write(out.join(".summary.json.clearmap-tmp-1"), "debris").unwrap();
    let o = run(&["build", s(&cfg), "--out", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!out.join("tiles.mbtiles").exists());
    assert!(out.join("tiles.pmtiles").is_file());
    // The change report compared with the bundle it replaced.
    assert!(out.join("changes.json").is_file());
    assert!(debris(&out).is_empty(), "{:?}", debris(&out));
    assert!(debris(t.path()).is_empty(), "{:?}", debris(t.path()));
}

#[cfg(unix)]
#[test]
fn a_second_writer_of_one_out_fails_at_once() {
    use rustix::fs::{flock, FlockOperation};
    use std::io::Write;
    let t = tempfile::tempdir().unwrap();
    let cfg = repo().join("data/example/clearmap.toml");
    let out = t.path().join("out");
    let o = run(&["build", s(&cfg), "--out", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let before = snapshot(&out);
    // Another process is writing: it holds the lock beside --out.
    let lock_path = t.path().join(".out.clearmap-lock");
    let mut lock = std::fs::File::create(&lock_path).unwrap();
    flock(&lock, FlockOperation::NonBlockingLockExclusive).unwrap();
    writeln!(lock, "4242").unwrap();
    for args in [
        vec!["build", s(&cfg), "--out", s(&out), "--force"],
        vec!["tables", s(&cfg), "--out", s(&out)],
        vec!["tiles", s(&cfg), "--out", s(&out)],
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(
            e.contains("being written by another clearmap process (pid 4242)"),
            "{e}"
        );
        assert_eq!(snapshot(&out), before);
    }
    drop(lock);
    let o = run(&["build", s(&cfg), "--out", s(&out), "--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// Two builds of different configs into one --out at once: each run either
/// writes its whole bundle or fails, and the bundle left is one of the two,
/// never a mix (its summary, tables and manifest agree).
#[test]
fn concurrent_builds_never_mix_bundles() {
    let t = tempfile::tempdir().unwrap();
    let a = example_into(&t.path().join("a"));
    let b = example_into(&t.path().join("b"));
    let text = std::fs::read_to_string(&b).unwrap();
    std::fs::write(
        &b,
        text.replace("as_of = \"2025-12-31\"", "as_of = \"2024-06-30\""),
    )
    .unwrap();
    let out = t.path().join("out");
    for _ in 0..3 {
        let spawn = |cfg: &Path| {
            Command::new(bin())
                .args(["build", s(cfg), "--out", s(&out), "--force", "-q"])
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (pa, pb) = (spawn(&a), spawn(&b));
        for p in [pa, pb] {
            let o = p.wait_with_output().unwrap();
            if !o.status.success() {
                assert_eq!(o.status.code(), Some(1));
                assert!(stderr(&o).contains("being written by another clearmap process"));
            }
        }
        let summary: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
        let as_of = summary["as_of"].as_str().unwrap().to_string();
        let tables = std::fs::read_to_string(out.join("tables/meta.json")).unwrap();
        assert!(
            tables.contains(&format!("\"as_of\": \"{as_of}\"")),
            "summary as_of {as_of}, tables/meta.json:\n{tables}"
        );
        let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
        let cfg_sha = if as_of == "2025-12-31" { &a } else { &b };
        let sha = {
            use sha2::Digest;
            let d = sha2::Sha256::digest(std::fs::read(cfg_sha).unwrap());
            d.iter().map(|x| format!("{x:02x}")).collect::<String>()
        };
        assert!(manifest.contains(&sha), "manifest of the other build");
        assert!(debris(t.path()).is_empty(), "{:?}", debris(t.path()));
    }
}
