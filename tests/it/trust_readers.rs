//! Readers that must never publish a partial or stale figure: read errors in
//! the middle of a file (a truncated .dbf, a damaged workbook, a zip member
//! with a CRC error) fail the build; an edit to a shapefile's .dbf is seen by
//! the incremental rebuild; a NUL inside an id never merges two ids; an empty
//! releases file is a valid input.

use crate::common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A FeatureCollection of `n` disjoint open hazards 500 m apart, ids `H0…`.
fn hazards(n: usize) -> String {
    let features: Vec<String> = (0..n)
        .map(|i| {
            let x = 18.0 + (i % 20) as f64 * 0.01;
            let y = 44.0 + (i / 20) as f64 * 0.01;
            format!(
                r#"{{"type":"Feature","properties":{{"id":"H{i}","status":"open","note":"{note}"}},"geometry":{{"type":"Polygon","coordinates":[[[{x},{y}],[{x2},{y}],[{x2},{y2}],[{x},{y2}],[{x},{y}]]]}}}}"#,
                note = "n".repeat(40),
                x2 = x + 0.005,
                y2 = y + 0.005,
            )
        })
        .collect();
    feature_collection(&features)
}

fn ogr2ogr(args: &[&str]) {
    let o = Command::new("ogr2ogr")
        .args(args)
        .output()
        .expect("ogr2ogr runs");
    assert!(o.status.success(), "ogr2ogr: {}", stderr(&o));
}

/// `n` hazards written as `dir/name.shp` (and its sidecars).
fn shapefile(dir: &Path, name: &str, n: usize) -> PathBuf {
    let src = dir.join(format!("{name}.geojson"));
    std::fs::write(&src, hazards(n)).unwrap();
    let shp = dir.join(format!("{name}.shp"));
    ogr2ogr(&[
        "-f",
        "ESRI Shapefile",
        shp.to_str().unwrap(),
        src.to_str().unwrap(),
    ]);
    std::fs::remove_file(src).unwrap();
    shp
}

/// Header length and record length of a .dbf.
fn dbf_layout(b: &[u8]) -> (usize, usize) {
    (
        u16::from_le_bytes([b[8], b[9]]) as usize,
        u16::from_le_bytes([b[10], b[11]]) as usize,
    )
}

fn build_hazards(dir: &Path, file: &str, out: &str, extra: &[&str]) -> Output {
    let mut args = vec!["build", "--country", "BIH", "--hazards", file, "--out", out];
    args.extend_from_slice(extra);
    run_in(dir, &args)
}

/// A failed read: exit 1, the file named, nothing written.
fn assert_read_fails(dir: &Path, o: &Output, file: &str, also: &[&str]) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains(file), "names {file}: {err}");
    assert!(err.contains("damaged or incomplete"), "{err}");
    for s in also {
        assert!(err.contains(s), "says {s}: {err}");
    }
    assert!(!dir.join("out").exists(), "nothing written");
}

#[test]
fn a_dbf_cut_after_three_records_fails_the_build() {
    let dir = tempfile::tempdir().unwrap();
    let shp = shapefile(dir.path(), "h", 10);
    let dbf = shp.with_extension("dbf");
    let bytes = std::fs::read(&dbf).unwrap();
    let (header, record) = dbf_layout(&bytes);
    std::fs::write(&dbf, &bytes[..header + 3 * record + 5]).unwrap();
    let o = build_hazards(dir.path(), "h.shp", "out", &["--strict"]);
    // The last record read whole is named.
    assert_read_fails(dir.path(), &o, "h.shp layer h", &["fid 2", "id H2"]);

    // Cut at a record boundary: still fewer records than the file declares.
    std::fs::write(&dbf, &bytes[..header + 3 * record]).unwrap();
    let o = build_hazards(dir.path(), "h.shp", "out", &[]);
    assert_read_fails(dir.path(), &o, "h.shp layer h", &[]);
}

#[test]
fn a_shapefile_with_deleted_records_still_builds() {
    let dir = tempfile::tempdir().unwrap();
    let shp = shapefile(dir.path(), "h", 10);
    let dbf = shp.with_extension("dbf");
    let mut bytes = std::fs::read(&dbf).unwrap();
    let (header, record) = dbf_layout(&bytes);
    // Record 4 marked deleted (as an editor does before the file is packed),
    // and the last one.
    bytes[header + 4 * record] = b'*';
    bytes[header + 9 * record] = b'*';
    std::fs::write(&dbf, &bytes).unwrap();
    let o = build_hazards(dir.path(), "h.shp", "out", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = read_json(&dir.path().join("out/summary.json"));
    assert_eq!(s["records"]["hazard"]["read"], 8);
}

#[test]
fn a_damaged_workbook_fails_the_build() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("h.geojson");
    std::fs::write(&src, hazards(304)).unwrap();
    let xlsx = dir.path().join("h.xlsx");
    ogr2ogr(&["-f", "XLSX", xlsx.to_str().unwrap(), src.to_str().unwrap()]);
    let mut bytes = std::fs::read(&xlsx).unwrap();
    let (start, len) = zip_member(&bytes, "xl/worksheets/sheet1.xml");
    for b in &mut bytes[start + len / 2..start + len / 2 + 8] {
        *b ^= 0xFF;
    }
    std::fs::write(dir.path().join("bad.xlsx"), &bytes).unwrap();
    let o = build_hazards(dir.path(), "bad.xlsx", "out", &["--strict"]);
    assert_read_fails(dir.path(), &o, "bad.xlsx", &[]);
}

#[test]
fn a_zipped_shapefile_with_a_crc_error_fails_the_build() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("h.geojson");
    std::fs::write(&src, hazards(304)).unwrap();
    // GDAL writes a zipped shapefile when the name ends in .shp.zip.
    let zip = dir.path().join("h.shp.zip");
    ogr2ogr(&[
        "-f",
        "ESRI Shapefile",
        zip.to_str().unwrap(),
        src.to_str().unwrap(),
    ]);
    // The intact zip builds.
    let o = build_hazards(dir.path(), "h.shp.zip", "good", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut bytes = std::fs::read(&zip).unwrap();
    let (start, len) = zip_member(&bytes, "h.dbf");
    bytes[start + len / 2] ^= 0xFF;
    std::fs::write(dir.path().join("bad.zip"), &bytes).unwrap();
    let o = build_hazards(dir.path(), "bad.zip", "out", &["--strict"]);
    assert_read_fails(dir.path(), &o, "bad.zip layer h", &[]);
}

/// Where a zip member's compressed bytes are: (offset, length), from the
/// central directory.
fn zip_member(zip: &[u8], name: &str) -> (usize, usize) {
    let u16_at = |i: usize| u16::from_le_bytes([zip[i], zip[i + 1]]) as usize;
    let u32_at =
        |i: usize| u32::from_le_bytes([zip[i], zip[i + 1], zip[i + 2], zip[i + 3]]) as usize;
    let eocd = (0..zip.len() - 3)
        .rev()
        .find(|&i| zip[i..i + 4] == [0x50, 0x4b, 0x05, 0x06])
        .expect("end of central directory");
    let mut at = u32_at(eocd + 16);
    for _ in 0..u16_at(eocd + 10) {
        assert_eq!(zip[at..at + 4], [0x50, 0x4b, 0x01, 0x02]);
        let size = u32_at(at + 20);
        let (n, extra, comment) = (u16_at(at + 28), u16_at(at + 30), u16_at(at + 32));
        let local = u32_at(at + 42);
        if &zip[at + 46..at + 46 + n] == name.as_bytes() {
            let data = local + 30 + u16_at(local + 26) + u16_at(local + 28);
            return (data, size);
        }
        at += 46 + n + extra + comment;
    }
    panic!("no member {name}")
}

#[test]
fn an_edit_to_the_dbf_alone_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let shp = shapefile(dir.path(), "h", 10);
    let o = build_hazards(dir.path(), "h.shp", "out", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = read_json(&dir.path().join("out/summary.json"));
    let paths: Vec<&str> = s["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["h.shp", "h.dbf", "h.prj", "h.shx"]);
    let remaining = s["area_m2"]["remaining"].as_f64().unwrap();
    assert!(remaining > 0.0);

    let o = build_hazards(dir.path(), "h.shp", "out", &[]);
    let said = format!("{}{}", String::from_utf8_lossy(&o.stdout), stderr(&o));
    assert!(o.status.success() && said.contains("unchanged"), "{said}");

    // Every status set to closed, in the .dbf only (same field width).
    let dbf = shp.with_extension("dbf");
    let mut bytes = std::fs::read(&dbf).unwrap();
    let mut at = 0;
    while let Some(i) = bytes[at..].windows(6).position(|w| w == b"open  ") {
        bytes[at + i..at + i + 6].copy_from_slice(b"closed");
        at += i + 6;
    }
    std::fs::write(&dbf, bytes).unwrap();
    let o = build_hazards(dir.path(), "h.shp", "out", &[]);
    let said = format!("{}{}", String::from_utf8_lossy(&o.stdout), stderr(&o));
    assert!(o.status.success() && !said.contains("unchanged"), "{said}");
    let s = read_json(&dir.path().join("out/summary.json"));
    assert_eq!(s["area_m2"]["remaining"].as_f64().unwrap(), 0.0);
}

const NUL_IDS: &str = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"id":"H1\u0000a","status":"open"},"geometry":{"type":"Polygon","coordinates":[[[18,44],[18.01,44],[18.01,44.01],[18,44.01],[18,44]]]}},
{"type":"Feature","properties":{"id":"H1\u0000b","status":"open"},"geometry":{"type":"Polygon","coordinates":[[[18.1,44],[18.11,44],[18.11,44.01],[18.1,44.01],[18.1,44]]]}}
]}"#;

#[test]
fn a_nul_inside_an_id_never_merges_two_ids() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("h.geojson"), NUL_IDS).unwrap();
    let o = build_hazards(dir.path(), "h.geojson", "out", &["--strict"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s = read_json(&dir.path().join("out/summary.json"));
    assert_eq!(s["records"]["hazard"]["used"], 2);
    let h = read_json(&dir.path().join("out/hazards.geojson"));
    let mut ids: Vec<&str> = h["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["id"].as_str().unwrap())
        .collect();
    ids.sort();
    assert_eq!(ids, ["H1\u{0}a", "H1\u{0}b"]);

    // A file the built-in reader leaves to GDAL (feature ids): GDAL would cut
    // both ids to "H1"; both records are quarantined and named instead.
    let gdal_read = NUL_IDS
        .replace(
            r#""type":"Feature","properties":{"id":"H1\u0000a""#,
            r#""type":"Feature","id":1,"properties":{"id":"H1\u0000a""#,
        )
        .replace(
            r#""type":"Feature","properties":{"id":"H1\u0000b""#,
            r#""type":"Feature","id":2,"properties":{"id":"H1\u0000b""#,
        );
    assert_ne!(gdal_read, NUL_IDS);
    std::fs::write(dir.path().join("g.geojson"), gdal_read).unwrap();
    let o = build_hazards(dir.path(), "g.geojson", "out2", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s = read_json(&dir.path().join("out2/summary.json"));
    assert_eq!(s["records"]["hazard"]["quarantined"], 2);
    assert_eq!(s["records"]["hazard"]["used"], 0);
    let report = std::fs::read_to_string(dir.path().join("out2/report.json")).unwrap();
    assert!(report.contains("NUL_IN_TEXT"), "{report}");
}

#[test]
fn an_empty_releases_file_is_a_valid_input() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("h.geojson"), hazards(5)).unwrap();
    std::fs::write(
        dir.path().join("r.geojson"),
        r#"{"type":"FeatureCollection","features":[]}"#,
    )
    .unwrap();
    let o = build_hazards(dir.path(), "h.geojson", "alone", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = build_hazards(
        dir.path(),
        "h.geojson",
        "out",
        &["--releases", "r.geojson", "--strict"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let with = read_json(&dir.path().join("out/summary.json"));
    let alone = read_json(&dir.path().join("alone/summary.json"));
    assert_eq!(with["area_m2"], alone["area_m2"]);
    assert_eq!(with["records"]["release"]["read"], 0);
    assert_eq!(with["records"]["hazard"]["used"], 5);
}

/// A CSV cut short inside a record: GDAL reads the cut record as a shorter
/// last one and the rest never appear, so the cut itself must fail the build.
#[test]
fn a_csv_cut_inside_a_quoted_field_fails_the_build() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows = vec!["id,status,WKT".to_string()];
    for i in 0..10 {
        let x = 0.001 * f64::from(i);
        rows.push(format!(
            "H{i},open,\"POLYGON(({x} 0,{} 0,{} 0.0005,{x} 0))\"",
            x + 0.0005,
            x + 0.0005
        ));
    }
    let whole = rows.join("\n") + "\n";
    let cut = &whole[..whole.find("H6").unwrap() + 25];
    std::fs::write(dir.path().join("cut.csv"), cut).unwrap();
    std::fs::write(dir.path().join("whole.csv"), &whole).unwrap();
    let o = run_in(
        dir.path(),
        &["build", "--hazards", "cut.csv", "--out", "o1"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("cut.csv") && stderr(&o).contains("quoted field"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.path().join("o1").exists());
    let o = run_in(
        dir.path(),
        &["build", "--hazards", "whole.csv", "--out", "o2"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        read_json(&dir.path().join("o2/summary.json"))["records"]["hazard"]["used"],
        10
    );
}
