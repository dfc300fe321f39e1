//! A blank cell in a mapped status or classification column is a raw value
//! like any other: unmapped, it fails the build (exit 2) with the TOML line
//! that maps it, instead of counting a closed hazard as open or a CHA as
//! "other" without a word. A mapping for `""`, a default, or `"*"` settles it.

use crate::common::*;
use serde_json::Value;
use std::path::Path;

/// Two disjoint squares: H1 open CHA, H2 with the given status and
/// classification JSON values (`null`, `""`, …).
fn write_hazards(dir: &Path, status: &str, class: &str) {
    let square = |x: f64| {
        let x1 = x + 0.0004;
        format!(
            r#"{{"type":"Polygon","coordinates":[[[{x},12.6642],[{x1},12.6642],[{x1},12.6646],[{x},12.6646],[{x},12.6642]]]}}"#
        )
    };
    let fc = format!(
        r#"{{"type":"FeatureCollection","features":[
{{"type":"Feature","properties":{{"id":"H1","classification":"CHA","status":"open"}},"geometry":{}}},
{{"type":"Feature","properties":{{"id":"H2","classification":{class},"status":{status}}},"geometry":{}}}]}}"#,
        square(105.0),
        square(105.01)
    );
    std::fs::write(dir.join("hazards.geojson"), fc).unwrap();
}

const HEAD: &str =
    "country = \"XEX\"\nas_of = \"2025-12-31\"\n[[source]]\npath = \"hazards.geojson\"\nrole = \"hazard\"\n";

fn build(dir: &Path, extra: &str) -> std::process::Output {
    let cfg = dir.join("c.toml");
    std::fs::write(&cfg, format!("{HEAD}{extra}")).unwrap();
    run(&[
        "build",
        "-q",
        cfg.to_str().unwrap(),
        "--out",
        dir.join("out").to_str().unwrap(),
    ])
}

fn figures(dir: &Path) -> Value {
    read_json(&dir.join("out/summary.json"))["area_m2"].clone()
}

#[test]
fn a_null_status_fails_with_the_line_that_maps_it() {
    let d = tempfile::tempdir().unwrap();
    write_hazards(d.path(), "null", "\"SHA\"");
    let o = build(d.path(), "");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("[source.values.status]"), "{e}");
    assert!(e.contains("\"\" = \"open|worked_on|closed\""), "{e}");
    assert!(e.contains("blank"), "{e}");
    assert!(!d.path().join("out").exists());
}

#[test]
fn an_empty_classification_fails_too() {
    let d = tempfile::tempdir().unwrap();
    write_hazards(d.path(), "\"open\"", "\"  \"");
    let o = build(d.path(), "");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("[source.values.classification]"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_mapping_for_blank_decides_what_blank_means() {
    let d = tempfile::tempdir().unwrap();
    write_hazards(d.path(), "null", "null");
    let o = build(
        d.path(),
        "[source.values.status]\n\"\" = \"closed\"\n[source.values.classification]\n\"\" = \"SHA\"\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let f = figures(d.path());
    // H2 is closed: it is land, but none of it remains.
    let total = f["total"].as_f64().unwrap();
    let remaining = f["remaining"].as_f64().unwrap();
    let closed = f["closed_unreleased"].as_f64().unwrap();
    assert!(closed > 0.0 && remaining > 0.0, "{f}");
    assert!((remaining + closed - total).abs() < 1e-6 * total, "{f}");
}

#[test]
fn a_default_fills_blank_cells() {
    let d = tempfile::tempdir().unwrap();
    write_hazards(d.path(), "null", "\"SHA\"");
    let o = build(d.path(), "[source.defaults]\nstatus = \"open\"\n");
    assert!(o.status.success(), "{}", stderr(&o));
    let f = figures(d.path());
    assert_eq!(f["closed_unreleased"].as_f64(), Some(0.0), "{f}");
}
