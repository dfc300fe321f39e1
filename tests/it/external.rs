//! End to end on the real Bosnia and Herzegovina polygons of ../shared (suspected
//! areas as hazards, cleared areas as releases), against the reference figures
//! computed with shapely/pyproj in that folder's README.

use crate::assert_close;
use crate::common::*;
use serde_json::Value;
use std::process::Command;

#[test]
fn bosnia_suspected_and_cleared_areas() {
    let ext = external().join("bih_euforbih_minefields");
    if !ext.exists() {
        assert!(
            std::env::var_os("CLEARMAP_SKIP_EXTERNAL").is_some(),
            "{} is missing: the shared real-data folder must sit beside the repository (set CLEARMAP_SKIP_EXTERNAL=1 to skip)",
            ext.display()
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cfg = repo().join("tests/external/bih.toml");
    let out = dir.path().join("out");
    let o = Command::new(bin())
        .args([
            "build",
            cfg.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "-q",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s: Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let r: Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    let h = &s["records"]["hazard"];
    assert_eq!(h["read"], 11068);
    assert_eq!(h["quarantined"], 3097, "3,094 null and 3 empty geometries");
    assert_eq!(
        r["counts"]["NULL_GEOMETRY"]["count"].as_u64().unwrap()
            + r["counts"]["EMPTY_GEOMETRY"]["count"].as_u64().unwrap(),
        3097 + 114
    );
    assert_eq!(s["records"]["release"]["quarantined"], 114);
    let f = &s["area_m2"];
    let g = |k: &str| f[k].as_f64().unwrap();
    // Reference figures (shapely make_valid + pyproj); repair strategies differ
    // on ~300 self-intersecting rings, so agreement is within about 1 %.
    assert_close!(g("total"), 806_931_443.0, 0.01);
    assert_close!(g("cleared"), 1_137_575.0, 0.01);
    assert_close!(g("remaining"), 805_794_115.0, 0.01);
    assert_close!(g("released_outside_hazards"), 37_433_377.0, 0.01);
    let accounted =
        g("remaining") + g("cleared") + g("reduced") + g("cancelled") + g("closed_unreleased");
    assert_close!(g("total"), accounted, 1e-6);

    // bundle.gpkg's layers convert to Shapefiles with no warning: one
    // release covers hazards whose ids join to over 254 characters, cut in
    // its `covered` column, whole in release_hazards.
    let shp = dir.path().join("shp");
    let o = Command::new("ogr2ogr")
        .args(["-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8"])
        .arg(&shp)
        .arg(out.join("bundle.gpkg"))
        .args(["hazards", "releases", "release_hazards"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success() && err.trim().is_empty(), "{err}");
    let o = Command::new("ogrinfo")
        .args(["-ro", "-q"])
        .arg(out.join("bundle.gpkg"))
        .args([
            "-sql",
            "SELECT id, covered FROM releases WHERE covered LIKE '%more'",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains(" more"), "a list cut with its count: {text}");
}

/// With nothing released and every hazard open, the remaining land is the
/// total, not a few square metres more: the breakdown atoms (here one region
/// per file id) are measured apart, and their rounding must not show.
#[test]
fn bosnia_remaining_is_never_more_than_total() {
    let hazards = external().join("bih_euforbih_minefields/suspect_areas_simplyfied.geojson");
    if !hazards.exists() {
        assert!(std::env::var_os("CLEARMAP_SKIP_EXTERNAL").is_some());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("clearmap.toml");
    std::fs::write(
        &cfg,
        format!(
            "country = \"BIH\"\n[[source]]\npath = {:?}\nrole = \"hazard\"\n[source.fields]\nregion = \"fileId\"\n[source.defaults]\nstatus = \"open\"\nclassification = \"SHA\"\n",
            hazards.display().to_string()
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let o = run(&[
        "build",
        cfg.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = read_json(&out.join("summary.json"));
    let (total, remaining) = (
        s["area_m2"]["total"].as_f64().unwrap(),
        s["area_m2"]["remaining"].as_f64().unwrap(),
    );
    assert_eq!(remaining, total);
    let by_region: f64 = s["remaining_by_region"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v["area_m2"].as_f64().unwrap())
        .sum();
    assert_close!(by_region, total, 1e-9);
}
