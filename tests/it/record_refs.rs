//! Record references as people count them (issue: "Row numbers start at 0 and
//! match neither GDAL FIDs nor Excel rows"): each format's reference in
//! report.json is checked against an independent reader — `ogrinfo -fid` for
//! the formats with feature ids, calamine for a workbook's rows, and the
//! construction of the file itself for a CSV.

use crate::common::{read_json, repo, run_in, stderr};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// Ten hazards as CSV rows; H3 is a bow-tie (a self-intersection, so it has
/// a diagnostic naming its record); H1's note spans two lines.
fn csv_with_a_blank_line() -> String {
    let mut rows = vec!["id,status,note,WKT".to_string()];
    for i in 0..10 {
        let x = 0.001 * f64::from(i);
        let (x2, y2) = (x + 0.0005, 0.0005);
        let wkt = if i == 3 {
            format!("POLYGON(({x} 0,{x2} {y2},{x2} 0,{x} {y2},{x} 0))")
        } else {
            format!("POLYGON(({x} 0,{x2} 0,{x2} {y2},{x} {y2},{x} 0))")
        };
        let note = if i == 1 { "\"two\nlines\"" } else { "-" };
        rows.push(format!("H{i},open,{note},\"{wkt}\""));
        if i == 2 {
            rows.push(String::new());
        }
    }
    rows.join("\n") + "\n"
}

/// The `record` of the first diagnostic about H3.
fn record_of_h3(out: &Path) -> Value {
    let report = read_json(&out.join("report.json"));
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["record"])
        .find(|r| r["source_id"] == "H3")
        .unwrap_or_else(|| panic!("a diagnostic about H3: {report}"))
        .clone()
}

fn build(dir: &Path, file: &str) -> Value {
    let out = format!("out-{file}");
    let o = run_in(dir, &["build", "--hazards", file, "--out", &out]);
    assert!(o.status.success(), "{}", stderr(&o));
    record_of_h3(&dir.join(out))
}

fn ogr2ogr(dir: &Path, args: &[&str]) {
    let o = Command::new("ogr2ogr")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
}

/// What `ogrinfo -fid N` prints of `file`.
fn ogrinfo_fid(dir: &Path, file: &str, fid: u64) -> String {
    let o = Command::new("ogrinfo")
        .current_dir(dir)
        .args(["-al", "-q", "-fid", &fid.to_string(), file])
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn a_csv_reference_is_the_spreadsheet_row_past_blank_lines_and_multi_line_cells() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("h.csv"), csv_with_a_blank_line()).unwrap();
    let r = build(dir.path(), "h.csv");
    // Header row 1, H0 row 2, H1 row 3 (its two-line note is one row), H2
    // row 4, the blank line row 5, H3 row 6.
    assert_eq!(r["row"], 6, "{r}");
    assert!(r.get("fid").is_none(), "{r}");
}

#[test]
fn gpkg_and_shapefile_references_open_the_record_with_ogrinfo_fid() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("h.csv"), csv_with_a_blank_line()).unwrap();
    ogr2ogr(
        dir.path(),
        &[
            "-f",
            "GPKG",
            "h.gpkg",
            "h.csv",
            "-oo",
            "GEOM_POSSIBLE_NAMES=WKT",
            "-oo",
            "KEEP_GEOM_COLUMNS=NO",
            "-nln",
            "h",
        ],
    );
    ogr2ogr(dir.path(), &["-f", "ESRI Shapefile", "h.shp", "h.gpkg"]);
    for (file, first) in [("h.gpkg", 1), ("h.shp", 0)] {
        let r = build(dir.path(), file);
        let fid = r["fid"].as_u64().unwrap_or_else(|| panic!("{file}: {r}"));
        // H3 is the fourth record: fid 4 from 1, fid 3 from 0.
        assert_eq!(fid, first + 3, "{file}: {r}");
        let shown = ogrinfo_fid(dir.path(), file, fid);
        assert!(
            shown.contains("id (String) = H3"),
            "{file} -fid {fid}: {shown}"
        );
    }
}

#[test]
fn a_geojson_reference_is_the_feature_counted_from_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("h.csv"), csv_with_a_blank_line()).unwrap();
    ogr2ogr(
        dir.path(),
        &[
            "-f",
            "GeoJSON",
            "h.geojson",
            "h.csv",
            "-oo",
            "GEOM_POSSIBLE_NAMES=WKT",
            "-oo",
            "KEEP_GEOM_COLUMNS=NO",
        ],
    );
    let r = build(dir.path(), "h.geojson");
    assert_eq!(r["feature"], 4, "{r}");
}

/// The point template as a workbook with a blank row between polygons, as
/// people leave them: the polygon P3 (quarantined, its FrPointID names no
/// point) is referred to by the sheet row of its first point, as calamine
/// reads the sheet.
#[test]
fn a_workbook_reference_is_the_sheet_row() {
    use calamine::{open_workbook, Reader, Xlsx};
    let fixtures = repo().join("tests/fixtures/ingest");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixtures.join("points-attributes.csv"),
        dir.path().join("points-attributes.csv"),
    )
    .unwrap();
    let csv = std::fs::read_to_string(fixtures.join("points.csv")).unwrap();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet().set_name("Points").unwrap();
    let (mut row, mut last_poly) = (0u32, None::<String>);
    for line in csv.lines() {
        let cells: Vec<&str> = line.split(';').collect();
        let poly = cells.get(1).map(|s| s.to_string());
        if row > 1 && poly != last_poly {
            row += 1; // a blank row before each new polygon
        }
        for (c, v) in cells.iter().enumerate() {
            if !v.is_empty() {
                sheet.write_string(row, c as u16, *v).unwrap();
            }
        }
        last_poly = poly;
        row += 1;
    }
    let xlsx = dir.path().join("points.xlsx");
    book.save(&xlsx).unwrap();
    let toml = "country = \"KHM\"\n[[source]]\npath = \"points.xlsx\"\nlayer = \"Points\"\nrole = \"hazard\"\npreset = \"imsma-ng-points\"\ncrs = \"EPSG:32648\"\nattributes = \"points-attributes.csv\"\n";
    std::fs::write(dir.path().join("c.toml"), toml).unwrap();
    let o = run_in(dir.path(), &["validate", "c.toml", "--report", "r.json"]);
    assert!(o.status.code().is_some_and(|c| c < 2), "{}", stderr(&o));
    let report = read_json(&dir.path().join("r.json"));
    let record = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["record"])
        .find(|r| r["source_id"] == "P3")
        .unwrap_or_else(|| panic!("{report}"));
    let mut book: Xlsx<_> = open_workbook(&xlsx).unwrap();
    let sheet = book.worksheet_range("Points").unwrap();
    let poly_col = (0..sheet.width())
        .find(|&c| sheet.get((0, c)).is_some_and(|v| *v == "PolyID"))
        .unwrap();
    let first = (0..sheet.height())
        .find(|&r| sheet.get((r, poly_col)).is_some_and(|v| *v == "P3"))
        .unwrap();
    let start = sheet.start().map_or(0, |(row, _)| row as usize);
    // calamine counts from 0; a spreadsheet from 1.
    assert_eq!(record["row"], (start + first + 1) as u64, "{record}");
    assert!(first > 11, "the blank rows are in the sheet: {first}");
}
