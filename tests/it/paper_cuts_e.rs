//! Paper cuts: a published change report holds no local path and no float
//! noise; `build --all -q` names each failed country once.

use crate::common::*;
use serde_json::Value;
use std::path::Path;
use std::process::Output;

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A copy of the example country in `dir`.
fn example_copy(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let src = repo().join("data/example");
    for f in ["clearmap.toml", "hazards.geojson", "releases.geojson"] {
        std::fs::copy(src.join(f), dir.join(f)).unwrap();
    }
}

/// Every number in `v`, as serde_json writes it.
fn numbers(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Number(n) => out.push(n.to_string()),
        Value::Array(a) => a.iter().for_each(|x| numbers(x, out)),
        Value::Object(m) => m.values().for_each(|x| numbers(x, out)),
        _ => {}
    }
}

fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(m) => m.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

fn check_published(changes: &Path, tmp: &Path) -> Value {
    let raw = std::fs::read_to_string(changes).unwrap();
    let tmp_s = tmp.to_str().unwrap();
    assert!(!raw.contains(tmp_s), "a local path in changes.json:\n{raw}");
    let v: Value = serde_json::from_str(&raw).unwrap();
    let mut s = Vec::new();
    strings(&v, &mut s);
    for x in &s {
        assert!(
            !x.starts_with('/') && !x.starts_with("..") && !x.contains('\\'),
            "a path outside the bundle's folder in changes.json: {x}"
        );
    }
    let mut n = Vec::new();
    numbers(&v, &mut n);
    for x in &n {
        let decimals = x.split_once('.').map_or(0, |(_, d)| d.len());
        assert!(
            decimals <= 3 && !x.contains('e'),
            "{x}: more than 3 decimals in changes.json:\n{raw}"
        );
    }
    v
}

#[test]
fn changes_json_has_no_local_path_and_rounded_areas() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    example_copy(&src);
    let cfg = src.join("clearmap.toml");
    let out = tmp.path().join("bundles").join("out");
    let o = out.to_str().unwrap();
    let r1 = run(&["build", cfg.to_str().unwrap(), "--out", o, "-q"]);
    assert!(r1.status.success(), "{}", text(&r1));
    let keep = tmp.path().join("bundles").join("v1");
    std::fs::create_dir(&keep).unwrap();
    for f in ["hazards.geojson", "releases.geojson", "summary.json"] {
        std::fs::copy(out.join(f), keep.join(f)).unwrap();
    }

    // Drop every fifth hazard and release so that areas change.
    for f in ["hazards.geojson", "releases.geojson"] {
        let p = src.join(f);
        let mut v: Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        let mut i = 0;
        v["features"].as_array_mut().unwrap().retain(|_| {
            i += 1;
            i % 5 != 0
        });
        std::fs::write(&p, serde_json::to_vec(&v).unwrap()).unwrap();
    }

    // Against the bundle it replaces.
    let r2 = run(&["build", cfg.to_str().unwrap(), "--out", o, "--force", "-q"]);
    assert!(r2.status.success(), "{}", text(&r2));
    let ch = check_published(&out.join("changes.json"), tmp.path());
    assert_eq!(ch["previous"], "out", "{ch}");
    assert_ne!(ch["area_m2_delta"]["remaining"], 0.0, "{ch}");

    // Against --previous beside --out.
    let r3 = run(&[
        "build",
        cfg.to_str().unwrap(),
        "--out",
        o,
        "--force",
        "-q",
        "--previous",
        keep.to_str().unwrap(),
    ]);
    assert!(r3.status.success(), "{}", text(&r3));
    let ch = check_published(&out.join("changes.json"), tmp.path());
    assert_eq!(ch["previous"], "v1", "{ch}");

    // Against a --previous elsewhere: its folder name only.
    let far = tmp.path().join("elsewhere").join("v0");
    std::fs::create_dir_all(&far).unwrap();
    for f in ["hazards.geojson", "releases.geojson", "summary.json"] {
        std::fs::copy(keep.join(f), far.join(f)).unwrap();
    }
    let r4 = run(&[
        "build",
        cfg.to_str().unwrap(),
        "--out",
        o,
        "--force",
        "-q",
        "--previous",
        far.to_str().unwrap(),
    ]);
    assert!(r4.status.success(), "{}", text(&r4));
    let ch = check_published(&out.join("changes.json"), tmp.path());
    assert_eq!(ch["previous"], "v0", "{ch}");
}

#[test]
fn build_all_quiet_names_a_failure_once() {
    let tmp = tempfile::tempdir().unwrap();
    let countries = tmp.path().join("countries");
    example_copy(&countries.join("good"));
    let bad = countries.join("bad");
    example_copy(&bad);
    std::fs::remove_file(bad.join("releases.geojson")).unwrap();
    let out = tmp.path().join("OUT");
    let o = run(&[
        "build",
        "--all",
        countries.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let all = text(&o);
    assert!(all.contains("releases.geojson"), "{all}");
    assert_eq!(all.matches("bad: failed").count(), 1, "{all}");
    assert_eq!(all.matches("releases.geojson").count(), 1, "{all}");
    assert!(out.join("good/summary.json").is_file());
}

/// scripts/demo, test-browser and bench find the binary through
/// scripts/target-dir, which must follow CARGO_TARGET_DIR, relative to the
/// repository or absolute, instead of assuming target/.
#[test]
fn scripts_find_the_target_dir_cargo_uses() {
    let script = crate::common::repo().join("scripts/target-dir");
    let run = |dir: Option<&str>| {
        let mut c = std::process::Command::new(&script);
        match dir {
            Some(d) => c.env("CARGO_TARGET_DIR", d),
            None => c.env_remove("CARGO_TARGET_DIR"),
        };
        let o = c.output().expect("scripts/target-dir runs");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        std::path::PathBuf::from(String::from_utf8(o.stdout).unwrap().trim())
    };
    let repo = crate::common::repo();
    assert_eq!(run(Some("cache/t")), repo.join("cache/t"));
    let abs = tempfile::tempdir().unwrap();
    assert_eq!(run(Some(abs.path().to_str().unwrap())), abs.path());
    assert_eq!(run(None), repo.join("target"));
}
