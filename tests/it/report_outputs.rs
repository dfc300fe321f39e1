//! The data officer's outputs of a build: defects.geojson (valid RFC 7946,
//! a feature for every diagnostic that concerns a place, at the place) and
//! report.csv (every diagnostic of report.json), on hand-made records, the
//! example country and the real Bosnia data.

use crate::common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Codes whose every diagnostic concerns a place of a usable record.
const PLACED: [&str; 13] = [
    "SELF_INTERSECTION",
    "DOUBLE_CLOSURE",
    "DUPLICATE_VERTEX",
    "DEGENERATE_RING",
    "WRONG_WINDING",
    "OVERLAPPING_PARTS",
    "HAZARD_OVERLAP",
    "DUPLICATE_GEOMETRY",
    "DUPLICATE_ID",
    "ORPHAN_RELEASE",
    "RELEASE_OFF_HAZARD",
    "RELEASE_EXCEEDS_HAZARD",
    "AREA_MISMATCH",
];

fn build(args: &[&str], out: &Path) {
    let mut all: Vec<&str> = vec!["build"];
    all.extend(args);
    all.extend(["--out", out.to_str().unwrap(), "-q"]);
    let o = run(&all);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Twice the signed area of a ring (positive when counter-clockwise).
fn signed_area2(ring: &[Value]) -> f64 {
    ring.windows(2)
        .map(|w| {
            let (a, b) = (&w[0], &w[1]);
            a[0].as_f64().unwrap() * b[1].as_f64().unwrap()
                - b[0].as_f64().unwrap() * a[1].as_f64().unwrap()
        })
        .sum()
}

fn positions(v: &Value, out: &mut Vec<(f64, f64)>) {
    let a = v.as_array().expect("coordinates are arrays");
    if a.first().is_some_and(Value::is_number) {
        assert_eq!(a.len(), 2, "a position is [lon, lat]: {v}");
        out.push((a[0].as_f64().unwrap(), a[1].as_f64().unwrap()));
    } else {
        a.iter().for_each(|c| positions(c, out));
    }
}

/// [min lon, min lat, max lon, max lat] of a geometry.
fn bbox(g: &Value) -> [f64; 4] {
    let mut p = Vec::new();
    positions(&g["coordinates"], &mut p);
    p.iter()
        .fold([f64::MAX, f64::MAX, f64::MIN, f64::MIN], |b, &(x, y)| {
            [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)]
        })
}

/// RFC 7946: a FeatureCollection of Features without `crs`, lon/lat
/// positions rounded to 7 decimals, MultiPolygons with closed rings,
/// exteriors counter-clockwise and holes clockwise.
fn check_rfc7946(g: &Value) {
    assert_eq!(g["type"], "FeatureCollection");
    assert!(g.get("crs").is_none());
    for f in g["features"].as_array().unwrap() {
        assert_eq!(f["type"], "Feature");
        assert!(f["id"].is_u64(), "{f}");
        assert!(f["properties"].is_object());
        let geom = &f["geometry"];
        if geom.is_null() {
            continue;
        }
        let kind = geom["type"].as_str().unwrap();
        assert!(
            ["Point", "MultiPoint", "MultiLineString", "MultiPolygon"].contains(&kind),
            "{kind}"
        );
        let mut p = Vec::new();
        positions(&geom["coordinates"], &mut p);
        assert!(!p.is_empty());
        for (x, y) in p {
            assert!(x.abs() <= 180.0 && y.abs() <= 90.0, "({x}, {y})");
            for v in [x, y] {
                assert!(((v * 1e7).round() - v * 1e7).abs() < 1e-6, "{v} rounded");
            }
        }
        if kind == "MultiPolygon" {
            for poly in geom["coordinates"].as_array().unwrap() {
                for (k, ring) in poly.as_array().unwrap().iter().enumerate() {
                    let ring = ring.as_array().unwrap();
                    assert!(
                        ring.len() >= 4 && ring.first() == ring.last(),
                        "closed ring"
                    );
                    let a = signed_area2(ring);
                    assert!(if k == 0 { a > 0.0 } else { a < 0.0 }, "right-hand rule");
                }
            }
        }
    }
}

/// The rows of report.csv (header first), read as a spreadsheet would.
fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).unwrap();
    let text = std::str::from_utf8(&bytes).unwrap();
    let text = text.strip_prefix('\u{feff}').expect("UTF-8 with a BOM");
    assert!(!text.starts_with('#'), "no comment line");
    // RFC 4180: quoted fields may hold commas, quotes and line ends.
    let mut rows = vec![Vec::new()];
    let (mut field, mut quoted, mut chars) = (String::new(), false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => rows.last_mut().unwrap().push(std::mem::take(&mut field)),
            ('\n', false) => {
                rows.last_mut().unwrap().push(std::mem::take(&mut field));
                rows.push(Vec::new());
            }
            (c, _) => field.push(c),
        }
    }
    rows.retain(|r| !r.is_empty());
    rows
}

/// The bundle's defects.geojson and report.csv against its report.json.
/// Returns the features by code.
fn check_bundle(out: &Path) -> BTreeMap<String, Vec<Value>> {
    let report = read_json(&out.join("report.json"));
    let diags = report["diagnostics"].as_array().unwrap();
    let defects = read_json(&out.join("defects.geojson"));
    check_rfc7946(&defects);
    let features = defects["features"].as_array().unwrap();
    let mut by_code: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (k, f) in features.iter().enumerate() {
        assert_eq!(f["id"], k as u64 + 1);
        let p = &f["properties"];
        let n = p["number"].as_u64().unwrap() as usize;
        let d = &diags[n - 1];
        for key in ["code", "severity", "message", "fix"] {
            assert_eq!(p[key], d[key], "feature {} {key}", k + 1);
        }
        // The record as report.json names it, field by field.
        for (key, v) in d["record"]
            .as_object()
            .expect("a placed defect has a record")
        {
            assert_eq!(&p[key], v, "feature {} {key}", k + 1);
        }
        assert!(p["record"].as_str().is_some_and(|r| !r.is_empty()));
        if d["code"] == "AREA_MISMATCH" {
            let m = d["message"].as_str().unwrap();
            for key in ["reported_m2", "computed_m2"] {
                let x = p[key].as_f64().unwrap();
                assert!(m.contains(&format!("{x:.1}")), "{m} names {key} {x}");
            }
        }
        by_code
            .entry(p["code"].as_str().unwrap().to_string())
            .or_default()
            .push(f.clone());
    }
    for code in PLACED {
        let reported = report["counts"][code]["count"].as_u64().unwrap_or(0) as usize;
        let placed = by_code.get(code).map_or(0, Vec::len);
        assert_eq!(placed, reported, "{code}: features vs report.json");
    }
    for f in by_code.get("SELF_INTERSECTION").into_iter().flatten() {
        assert_eq!(f["geometry"]["type"], "Point", "a crossing is a point");
    }

    let rows = csv_rows(&out.join("report.csv"));
    let header = &rows[0];
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    assert_eq!(rows.len() - 1, diags.len(), "a row per diagnostic");
    let mut defect_rows = 0;
    for (i, (row, d)) in rows[1..].iter().zip(diags).enumerate() {
        assert_eq!(row.len(), header.len());
        assert_eq!(row[col("number")], (i + 1).to_string());
        assert_eq!(row[col("code")], d["code"].as_str().unwrap());
        assert_eq!(row[col("severity")], d["severity"].as_str().unwrap());
        assert_eq!(row[col("message")], d["message"].as_str().unwrap());
        assert_eq!(row[col("fix")], d["fix"].as_str().unwrap_or(""));
        match d["record"].as_object() {
            Some(r) => {
                assert_eq!(row[col("file")], r["file"].as_str().unwrap());
                assert_eq!(row[col("layer")], r["layer"].as_str().unwrap());
                let (kind, n) = ["fid", "row", "feature"]
                    .into_iter()
                    .find_map(|k| r.get(k).map(|n| (k, n)))
                    .expect("a record reference");
                assert_eq!(row[col("reference")], format!("{kind} {n}"));
            }
            None => assert_eq!(row[col("record")], ""),
        }
        if let Ok(feature) = row[col("defect")].parse::<usize>() {
            defect_rows += 1;
            assert_eq!(features[feature - 1]["properties"]["number"], i as u64 + 1);
        }
    }
    assert_eq!(defect_rows, features.len(), "each feature named by its row");
    by_code
}

#[test]
fn defects_lie_where_the_defects_are() {
    let dir = tempfile::tempdir().unwrap();
    let hz = dir.path().join("hz.geojson");
    // A bow tie crossing at (0.001, 0.001); B and C overlapping on
    // [0.011, 0.012] × [0.001, 0.002]; P a point, quarantined.
    std::fs::write(
        &hz,
        r#"{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"id":"A","classification":"SHA","status":"open"},
  "geometry":{"type":"Polygon","coordinates":[[[0,0],[0.002,0.002],[0.002,0],[0,0.002],[0,0]]]}},
 {"type":"Feature","properties":{"id":"B","classification":"SHA","status":"open"},
  "geometry":{"type":"Polygon","coordinates":[[[0.010,0],[0.012,0],[0.012,0.002],[0.010,0.002],[0.010,0]]]}},
 {"type":"Feature","properties":{"id":"C","classification":"CHA","status":"open"},
  "geometry":{"type":"Polygon","coordinates":[[[0.011,0.001],[0.013,0.001],[0.013,0.003],[0.011,0.003],[0.011,0.001]]]}},
 {"type":"Feature","properties":{"id":"P","classification":"SHA","status":"open"},
  "geometry":{"type":"Point","coordinates":[0.03,0.0005]}}]}"#,
    )
    .unwrap();
    // R names B and reaches past it to 0.0155; O names a hazard that is not.
    let rl = dir.path().join("rl.geojson");
    std::fs::write(
        &rl,
        r#"{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"id":"R","outcome":"cleared","date":"2020-01-01","hazard_ids":"B"},
  "geometry":{"type":"Polygon","coordinates":[[[0.0105,0.0002],[0.0155,0.0002],[0.0155,0.0012],[0.0105,0.0012],[0.0105,0.0002]]]}},
 {"type":"Feature","properties":{"id":"O","outcome":"cleared","date":"2020-01-01","hazard_ids":"NOPE"},
  "geometry":{"type":"Polygon","coordinates":[[[0.020,0],[0.021,0],[0.021,0.001],[0.020,0.001],[0.020,0]]]}}]}"#,
    )
    .unwrap();
    let out = dir.path().join("out");
    build(
        &[
            "--hazards",
            hz.to_str().unwrap(),
            "--releases",
            rl.to_str().unwrap(),
        ],
        &out,
    );
    let by_code = check_bundle(&out);
    let one = |code: &str| {
        let v = &by_code[code];
        assert_eq!(v.len(), 1, "{code}");
        v[0].clone()
    };
    let near = |a: [f64; 4], b: [f64; 4]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 2e-7);
    let si = one("SELF_INTERSECTION");
    assert_eq!(
        si["geometry"]["coordinates"],
        serde_json::json!([0.001, 0.001])
    );
    assert_eq!(si["properties"]["source_id"], "A");
    // The pair's other record, named as report.json names records.
    let pair = one("HAZARD_OVERLAP")["properties"].clone();
    assert_eq!(
        (&pair["source_id"], &pair["other_source_id"]),
        (&"B".into(), &"C".into())
    );
    assert!(
        pair["other_record"]
            .as_str()
            .is_some_and(|o| !o.is_empty() && pair["record"] != o),
        "{pair}"
    );
    let overlap = bbox(&one("HAZARD_OVERLAP")["geometry"]);
    assert!(near(overlap, [0.011, 0.001, 0.012, 0.002]), "{overlap:?}");
    let outside = bbox(&one("RELEASE_EXCEEDS_HAZARD")["geometry"]);
    assert!(
        near(outside, [0.012, 0.0002, 0.0155, 0.0012]),
        "{outside:?}"
    );
    let orphan = bbox(&one("ORPHAN_RELEASE")["geometry"]);
    assert!(near(orphan, [0.020, 0.0, 0.021, 0.001]), "{orphan:?}");
    assert_eq!(one("ORPHAN_RELEASE")["properties"]["source_id"], "O");
    // A quarantined record is shown as it was read.
    let point = one("UNSUPPORTED_GEOMETRY");
    assert_eq!(point["properties"]["severity"], "error");
    assert_eq!(point["properties"]["source_id"], "P");
    assert_eq!(point["geometry"]["type"], "Point");
    assert_eq!(
        point["geometry"]["coordinates"],
        serde_json::json!([0.03, 0.0005])
    );
}

#[test]
fn example_bundle_has_every_defect_and_every_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    build(
        &[repo().join("data/example/clearmap.toml").to_str().unwrap()],
        &out,
    );
    let by_code = check_bundle(&out);
    for code in [
        "SELF_INTERSECTION",
        "HAZARD_OVERLAP",
        "AREA_MISMATCH",
        "ORPHAN_RELEASE",
    ] {
        assert!(by_code.contains_key(code), "the example has {code}");
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        !html.contains("{\"clearmap_report_data\": null}"),
        "data inlined"
    );
    assert!(!html.contains("src=\"http") && !html.contains("href=\"http"));
}

#[test]
fn bosnia_defects_and_worklist() {
    let cfg = repo().join("tests/external/bih.toml");
    if !external().join("bih_euforbih_minefields").exists() {
        assert!(
            std::env::var_os("CLEARMAP_SKIP_EXTERNAL").is_some(),
            "the shared real-data folder must sit beside the repository (set CLEARMAP_SKIP_EXTERNAL=1 to skip)"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    build(&[cfg.to_str().unwrap()], &out);
    let by_code = check_bundle(&out);
    // Every self-intersection is placed at its crossing.
    let report = read_json(&out.join("report.json"));
    assert_eq!(
        by_code["SELF_INTERSECTION"].len() as u64,
        report["counts"]["SELF_INTERSECTION"]["count"]
            .as_u64()
            .unwrap()
    );
    assert!(by_code["HAZARD_OVERLAP"].len() > 1000);
}
