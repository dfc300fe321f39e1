//! `clearmap validate` runs every check `build` runs: its `--report` is the
//! build's report.json, its record counts are the build's, and `-v` lists
//! every diagnostic, not one example per code.

use crate::common::*;

#[test]
fn validate_reports_what_build_reports() {
    let d = tempfile::tempdir().unwrap();
    let config = repo().join("data/example/clearmap.toml");
    let report = d.path().join("validate-report.json");
    let out = d.path().join("out");
    let v = run(&[
        "validate",
        "-v",
        config.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    assert!(v.status.success(), "{}", stderr(&v));
    let b = run(&[
        "build",
        "-q",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(b.status.success(), "{}", stderr(&b));
    let built = read_json(&out.join("report.json"));
    assert_eq!(read_json(&report), built);
    // The reconcile and measure checks are there, not only the readers'.
    let counts = &built["counts"];
    for code in ["ORPHAN_RELEASE", "HAZARD_OVERLAP", "AREA_MISMATCH"] {
        assert!(counts.get(code).is_some(), "{code} missing in {counts}");
    }
    // The used counts are the build's.
    let summary = read_json(&out.join("summary.json"));
    let text = String::from_utf8_lossy(&v.stdout).into_owned();
    let used = summary["records"]["hazard"]["used"].as_u64().unwrap();
    assert!(text.contains(&format!("{used} used")), "{text}");
    // -v: one line per diagnostic.
    let total = built["diagnostics"].as_array().unwrap().len();
    let listed = text
        .lines()
        // (the table's row pads the code with several spaces, a listed line has one)
        .filter(|l| l.starts_with("AREA_MISMATCH ") && !l.starts_with("AREA_MISMATCH  "))
        .count();
    assert_eq!(
        listed,
        counts["AREA_MISMATCH"]["count"].as_u64().unwrap() as usize,
        "{text}"
    );
    assert!(total > listed);
}

/// `build -vv` lists every diagnostic on stdout, as `validate -v` does; the
/// stage lines stay on stderr.
#[test]
fn build_very_verbose_lists_every_diagnostic() {
    let d = tempfile::tempdir().unwrap();
    let config = repo().join("data/example/clearmap.toml");
    let out = d.path().join("out");
    let b = run(&[
        "build",
        "-vv",
        config.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(b.status.success(), "{}", stderr(&b));
    let text = String::from_utf8_lossy(&b.stdout).into_owned();
    let report = read_json(&out.join("report.json"));
    let listed = text
        .lines()
        .filter(|l| l.starts_with("AREA_MISMATCH ") && !l.starts_with("AREA_MISMATCH  "))
        .count();
    assert_eq!(
        listed as u64,
        report["counts"]["AREA_MISMATCH"]["count"].as_u64().unwrap(),
        "{text}"
    );
    assert!(!text.contains(": measure"), "{text}");
    assert!(stderr(&b).contains(": measure"), "{}", stderr(&b));
}
