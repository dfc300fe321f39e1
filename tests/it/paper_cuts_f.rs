//! Paper cuts of new users and real data: a geometry column named under
//! `[source.fields]`, pipe-separated CSV, a CSV taken as WGS 84 without a
//! word, a CSV in a legacy encoding, and the missing-CRS hint on Dutch-grid
//! coordinates.

use crate::common::*;
use serde_json::Value;
use std::path::Path;

fn report(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("out/report.json")).unwrap()).unwrap()
}

const SQUARE: &str = "POLYGON((105 12,105.001 12,105.001 12.001,105 12.001,105 12))";
const SQUARE2: &str = "POLYGON((105.01 12,105.011 12,105.011 12.001,105.01 12.001,105.01 12))";

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn geometry_under_source_fields_says_where_wkt_goes() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "h.csv", &format!("id,WKT\nH1,\"{SQUARE}\"\n"));
    write(
        dir.path(),
        "c.toml",
        "[[source]]\npath = \"h.csv\"\nrole = \"hazard\"\n[source.fields]\nid = \"id\"\ngeometry = \"WKT\"\n",
    );
    let o = run_in(dir.path(), &["build", "c.toml", "--out", "out"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("wkt = \"WKT\""), "{}", stderr(&o));

    write(
        dir.path(),
        "c.toml",
        "[[source]]\npath = \"h.csv\"\nrole = \"hazard\"\n[source.fields]\nlongitude = \"LON\"\n",
    );
    let o = run_in(dir.path(), &["build", "c.toml", "--out", "out"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("x = \"LON\""), "{}", stderr(&o));
}

#[test]
fn pipe_separated_csv_is_named_then_read() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "h.csv",
        &format!("id|status|note|WKT\nH1|open|a, b|\"{SQUARE}\"\nH2|open||\"{SQUARE2}\"\n"),
    );
    let o = run_in(dir.path(), &["build", "--hazards", "h.csv", "--out", "out"]);
    assert_ne!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("separator = \"|\""), "{}", stderr(&o));

    write(
        dir.path(),
        "c.toml",
        "[[source]]\npath = \"h.csv\"\nrole = \"hazard\"\nseparator = \"|\"\n",
    );
    let o = run_in(dir.path(), &["build", "c.toml", "--out", "out"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let hazards: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/hazards.geojson")).unwrap())
            .unwrap();
    assert_eq!(hazards["features"].as_array().unwrap().len(), 2);

    write(
        dir.path(),
        "c.toml",
        "[[source]]\npath = \"h.csv\"\nrole = \"hazard\"\nseparator = \":\"\n",
    );
    let o = run_in(dir.path(), &["build", "c.toml", "--out", "out"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn legacy_encoding_csv_builds() {
    // The transcoded copy lives in GDAL's memory file system; it once
    // aborted the binary when GDAL freed a buffer Rust had allocated.
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = b"id,status,name,WKT\nH1,open,Caf\xe9,\"".to_vec();
    bytes.extend_from_slice(SQUARE.as_bytes());
    bytes.extend_from_slice(b"\"\n");
    std::fs::write(dir.path().join("h.csv"), bytes).unwrap();
    write(
        dir.path(),
        "c.toml",
        "[[source]]\npath = \"h.csv\"\nrole = \"hazard\"\nencoding = \"windows-1252\"\n",
    );
    let o = run_in(dir.path(), &["build", "c.toml", "--out", "out"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn csv_without_crs_is_said_to_be_taken_as_wgs84() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "h.csv",
        &format!("id,status,WKT\nH1,open,\"{SQUARE}\"\n"),
    );
    let o = run_in(dir.path(), &["build", "--hazards", "h.csv", "--out", "out"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = report(dir.path());
    let said = r["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "CRS_ASSUMED")
        .expect("CRS_ASSUMED in the report");
    let msg = said["message"].as_str().unwrap();
    assert!(msg.contains("h.csv") && msg.contains("EPSG:4326"), "{msg}");

    // Declared: nothing to say.
    write(
        dir.path(),
        "c.toml",
        "[[source]]\npath = \"h.csv\"\nrole = \"hazard\"\ncrs = \"EPSG:4326\"\n",
    );
    let o = run_in(dir.path(), &["build", "c.toml", "--out", "out"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(report(dir.path())["counts"].get("CRS_ASSUMED").is_none());
}

#[test]
fn dutch_grid_without_crs_is_not_called_utm() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "h.csv",
        "id,status,WKT\nH1,open,\"POLYGON((136000 455000,136100 455000,136100 455100,136000 455100,136000 455000))\"\n",
    );
    let o = run_in(dir.path(), &["build", "--hazards", "h.csv", "--out", "out"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(!e.contains("UTM"), "{e}");
    assert!(
        e.contains("projected metres: x from 136000 to 136100"),
        "{e}"
    );
}
