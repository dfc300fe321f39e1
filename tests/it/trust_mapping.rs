//! Config faults of the field and value mapping and of the config itself
//! fail the build before any output (exit 2): a raw value nothing maps, a
//! mapping to a non-canonical value, a bad `as_of` or `country`. The `"*"`
//! opt-out keeps the per-record fallback with its warnings. Coded-value
//! domains of a geodatabase translate integer codes to their labels.

use crate::common::*;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

/// A FeatureCollection of squares with these properties: one square for
/// all, or (`apart`) each its own.
fn collection(props: &[String], apart: bool) -> String {
    let features: Vec<String> = props
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let x = 105.0 + if apart { i as f64 * 0.001 } else { 0.0 };
            let x1 = x + 0.0004;
            format!(
                r#"{{"type":"Feature","properties":{p},"geometry":{{"type":"Polygon","coordinates":[[[{x},12.6642],[{x1},12.6642],[{x1},12.6646],[{x},12.6646],[{x},12.6642]]]}}}}"#
            )
        })
        .collect();
    feature_collection(&features)
}

/// One hazard H1 and releases of it with these outcomes, in `dir`.
fn write_inputs(dir: &Path, outcomes: &[&str]) {
    std::fs::write(
        dir.join("hazards.geojson"),
        collection(
            &[r#"{"id":"H1","classification":"SHA","status":"open"}"#.into()],
            false,
        ),
    )
    .unwrap();
    let releases: Vec<String> = outcomes
        .iter()
        .enumerate()
        .map(|(i, o)| {
            format!(r#"{{"id":"R{i}","hazard_ids":"H1","outcome":"{o}","date":"2020-01-01"}}"#)
        })
        .collect();
    std::fs::write(dir.join("releases.geojson"), collection(&releases, false)).unwrap();
}

const HEAD: &str = "country = \"XEX\"\nas_of = \"2025-12-31\"\n";
const HAZARDS: &str = "[[source]]\npath = \"hazards.geojson\"\nrole = \"hazard\"\n";
const RELEASES: &str = "[[source]]\npath = \"releases.geojson\"\nrole = \"release\"\n";

/// Build `toml` (written as c.toml in `dir`) into dir/out.
fn build(dir: &Path, toml: &str) -> Output {
    let cfg = dir.join("c.toml");
    std::fs::write(&cfg, toml).unwrap();
    Command::new(bin())
        .args([
            "build",
            cfg.to_str().unwrap(),
            "--out",
            dir.join("out").to_str().unwrap(),
            "-q",
        ])
        .output()
        .expect("clearmap runs")
}

/// Exit 2, nothing written, and the message says all of `wanted`.
fn assert_config_error(dir: &Path, o: &Output, wanted: &[&str]) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(!dir.join("out").exists(), "no output on a config error");
    for w in wanted {
        assert!(err.contains(w), "missing {w:?} in:\n{err}");
    }
}

#[test]
fn an_unmapped_value_is_a_config_error_with_its_count_and_toml_line() {
    let dir = tempfile::tempdir().unwrap();
    write_inputs(dir.path(), &["CLR", "CLR", "CLR", "cleared", "Zone X"]);
    let o = build(dir.path(), &format!("{HEAD}{HAZARDS}{RELEASES}"));
    assert_config_error(
        dir.path(),
        &o,
        &[
            "c.toml",
            "releases.geojson layer releases",
            "path = \"releases.geojson\"",
            "[source.values.outcome]\n\"CLR\" = \"cancelled|reduced|cleared\"   # 3 records",
            "\"Zone X\" = \"cancelled|reduced|cleared\"   # 1 record",
            "\"*\" = \"quarantine\"",
        ],
    );
    // The line, with the value chosen, makes the build pass.
    let o = build(
        dir.path(),
        &format!(
            "{HEAD}{HAZARDS}{RELEASES}[source.values.outcome]\n\"CLR\" = \"cleared\"\n\"Zone X\" = \"reduced\"\n"
        ),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn unmapped_hazard_values_are_listed_per_field() {
    let dir = tempfile::tempdir().unwrap();
    write_inputs(dir.path(), &["cleared"]);
    std::fs::write(
        dir.path().join("hazards.geojson"),
        collection(&[
            r#"{"id":"H1","classification":"Minefield","status":"Active","contamination":"AP, cluster"}"#.into(),
        ], false),
    )
    .unwrap();
    let o = build(dir.path(), &format!("{HEAD}{HAZARDS}{RELEASES}"));
    assert_config_error(
        dir.path(),
        &o,
        &[
            "hazards.geojson layer hazards: 4 raw value(s)",
            // The generic layout has no vocabulary; the IMSMA one offers a guess.
            "[source.values.classification]\n\"Minefield\" = \"CHA\"   # 1 record; a guess",
            "[source.values.status]\n\"Active\" = \"open\"",
            "[source.values.contamination]\n\"AP\" = \"ap_mine\"",
            "\"cluster\" = \"cmr\"",
            "\"*\" = \"open\"",
        ],
    );
}

#[test]
fn a_mapping_to_a_non_canonical_value_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    write_inputs(dir.path(), &["NonTechSurvey"]);
    let o = build(
        dir.path(),
        &format!(
            "{HEAD}{HAZARDS}{RELEASES}[source.values.outcome]\n\"NonTechSurvey\" = \"cancel\"\n"
        ),
    );
    assert_config_error(
        dir.path(),
        &o,
        &[
            "c.toml",
            "releases.geojson",
            "\"NonTechSurvey\" = \"cancel\"",
            "not a canonical outcome",
            "cancelled, reduced, cleared",
        ],
    );
    assert!(!stderr(&o).contains("is not mapped"));
}

#[test]
fn the_star_opt_out_keeps_the_fallback_with_warnings() {
    let dir = tempfile::tempdir().unwrap();
    write_inputs(dir.path(), &["CLR", "CLR", "cleared"]);
    let o = build(
        dir.path(),
        &format!("{HEAD}{HAZARDS}{RELEASES}[source.values.outcome]\n\"*\" = \"quarantine\"\n"),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/report.json")).unwrap())
            .unwrap();
    assert_eq!(report["counts"]["UNMAPPED_VALUE"]["count"], 2, "{report}");
    let summary: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["records"]["release"]["quarantined"], 2, "{summary}");
}

#[test]
fn as_of_outside_1990_to_tomorrow_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    write_inputs(dir.path(), &["cleared"]);
    for as_of in ["\"0000-01-01\"", "1989-12-31", "\"2999-12-31\""] {
        let o = build(
            dir.path(),
            &format!("country = \"XEX\"\nas_of = {as_of}\n{HAZARDS}{RELEASES}"),
        );
        assert_config_error(dir.path(), &o, &["c.toml", "as_of = \"", "1990-01-01"]);
    }
}

#[test]
fn country_must_be_an_iso_alpha3_code() {
    let dir = tempfile::tempdir().unwrap();
    write_inputs(dir.path(), &["cleared"]);
    let o = build(
        dir.path(),
        &format!("country = \"Cambodia\"\nas_of = \"2025-12-31\"\n{HAZARDS}{RELEASES}"),
    );
    assert_config_error(
        dir.path(),
        &o,
        &["c.toml", "\"Cambodia\"", "country = \"KHM\""],
    );
    let o = build(
        dir.path(),
        &format!("country = \"ABC\"\nas_of = \"2025-12-31\"\n{HAZARDS}{RELEASES}"),
    );
    assert_config_error(dir.path(), &o, &["ISO 3166-1 alpha-3"]);
    // A user-assigned code is a code.
    let o = build(
        dir.path(),
        &format!("country = \"XKX\"\nas_of = \"2025-12-31\"\n{HAZARDS}{RELEASES}"),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// Run a GDAL command line tool in `dir`.
fn gdal(dir: &Path, tool: &str, args: &[&str]) {
    let o = Command::new(tool)
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{tool} runs (needs gdal-bin): {e}"));
    assert!(o.status.success(), "{tool} {args:?}: {}", stderr(&o));
}

/// An IMSMA Core-like File Geodatabase whose `status_ha` holds integer codes
/// of the coded-value domain `cvd_status` (1 Active, 2 Expired, 3 Suspended).
/// GDAL's command line cannot declare a domain, so it is written into a
/// GeoPackage's data-column constraints and ogr2ogr carries it into the
/// geodatabase.
fn core_gdb(dir: &Path, statuses: &[i64]) {
    let props: Vec<String> = statuses
        .iter()
        .enumerate()
        .map(|(i, s)| {
            format!(
                r#"{{"imsma_id":"hazard_poly_{i}","status_ha":{s},"hazard_type":"SHA","admin1":"North","reported_area":1500.5}}"#
            )
        })
        .collect();
    std::fs::write(dir.join("h.geojson"), collection(&props, true)).unwrap();
    gdal(
        dir,
        "ogr2ogr",
        &["-f", "GPKG", "h.gpkg", "h.geojson", "-nln", "hazards"],
    );
    for sql in [
        "CREATE TABLE gpkg_data_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT, title TEXT, description TEXT, mime_type TEXT, constraint_name TEXT, CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name))",
        "CREATE TABLE gpkg_data_column_constraints (constraint_name TEXT NOT NULL, constraint_type TEXT NOT NULL, value TEXT, min NUMERIC, min_is_inclusive BOOLEAN, max NUMERIC, max_is_inclusive BOOLEAN, description TEXT, CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value))",
        "INSERT INTO gpkg_data_column_constraints VALUES ('cvd_status','enum','1',NULL,NULL,NULL,NULL,'Active'),('cvd_status','enum','2',NULL,NULL,NULL,NULL,'Expired'),('cvd_status','enum','3',NULL,NULL,NULL,NULL,'Suspended')",
        "INSERT INTO gpkg_data_columns VALUES ('hazards','status_ha','status_ha',NULL,NULL,NULL,'cvd_status')",
    ] {
        gdal(dir, "ogrinfo", &["-q", "h.gpkg", "-sql", sql]);
    }
    gdal(dir, "ogr2ogr", &["-f", "OpenFileGDB", "h.gdb", "h.gpkg"]);
}

const CORE: &str = "[[source]]\npath = \"h.gdb\"\nlayer = \"hazards\"\nrole = \"hazard\"\npreset = \"imsma-core\"\n";

#[test]
fn geodatabase_codes_are_read_through_their_coded_value_domain() {
    let dir = tempfile::tempdir().unwrap();
    core_gdb(dir.path(), &[1, 2]);
    let o = build(dir.path(), &format!("{HEAD}{CORE}"));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let hz: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/hazards.geojson")).unwrap())
            .unwrap();
    // Code 2 (Expired) is closed and leaves the remaining hazards; code 1
    // (Active) is open. The preset reads admin1 and reported_area.
    let features = hz["features"].as_array().unwrap();
    assert_eq!(features.len(), 1, "{hz}");
    let p = &features[0]["properties"];
    assert_eq!(p["status"], "open", "{p}");
    assert_eq!(p["region"], "North", "{p}");
    assert_eq!(p["area_reported_m2"], 1500.5, "{p}");

    // A code whose label no vocabulary knows is listed by label and code.
    let dir = tempfile::tempdir().unwrap();
    core_gdb(dir.path(), &[1, 3, 3]);
    let o = build(dir.path(), &format!("{HEAD}{CORE}"));
    assert_config_error(
        dir.path(),
        &o,
        &["[source.values.status]\n\"Suspended\" = \"open|worked_on|closed\"   # 2 records, code 3"],
    );
}
