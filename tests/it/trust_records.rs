//! Record faults that used to give wrong figures with exit 0: ids shared by
//! records far apart, placeholder ids, zero-area polygons, overlong texts, a
//! missing `as_of`, and release ties settled by row order.

use crate::common::*;
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Command, Output};

/// A square of `side` thousandths of a degree with its corner at (x, y).
fn square(x: f64, y: f64, side: f64) -> Value {
    let s = 1e-3;
    json!({"type": "Polygon", "coordinates": [[
        [x * s, y * s], [(x + side) * s, y * s], [(x + side) * s, (y + side) * s],
        [x * s, (y + side) * s], [x * s, y * s]
    ]]})
}

fn feature(props: Value, geometry: Value) -> Value {
    json!({"type": "Feature", "properties": props, "geometry": geometry})
}

fn write_fc(path: &Path, features: &[Value]) {
    let fc = json!({"type": "FeatureCollection", "features": features});
    std::fs::write(path, serde_json::to_vec(&fc).unwrap()).unwrap();
}

/// `clearmap build` of the zero-config form; `extra` goes before `--out`.
fn build(dir: &Path, hazards: &[Value], releases: Option<&[Value]>, extra: &[&str]) -> Output {
    let h = dir.join("hazards.geojson");
    write_fc(&h, hazards);
    let mut args: Vec<String> = vec![
        "build".into(),
        "--hazards".into(),
        h.display().to_string(),
        "--country".into(),
        "XEX".into(),
    ];
    if let Some(r) = releases {
        let p = dir.join("releases.geojson");
        write_fc(&p, r);
        args.extend(["--releases".into(), p.display().to_string()]);
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(["--out".into(), dir.join("out").display().to_string()]);
    Command::new(bin())
        .args(&args)
        .output()
        .expect("clearmap runs")
}

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "exit {:?}: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn codes(report: &Value, code: &str) -> usize {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == code)
        .count()
}

#[test]
fn one_id_on_records_far_apart_keeps_them_all() {
    let dir = tempfile::tempdir().unwrap();
    // Three hazards called "Id", two far apart and a third over the first:
    // the third replaces the first, the second stays.
    let hz = [
        feature(json!({"id": "Id", "status": "open"}), square(0.0, 0.0, 1.0)),
        feature(
            json!({"id": "Id", "status": "open"}),
            square(600.0, 0.0, 1.0),
        ),
        feature(
            json!({"id": "id ", "status": "open"}),
            square(0.5, 0.0, 1.0),
        ),
    ];
    let o = build(dir.path(), &hz, None, &[]);
    ok(&o);
    let s = read_json(&dir.path().join("out/summary.json"));
    assert_eq!(s["records"]["hazard"]["used"], 2);
    assert_eq!(s["records"]["hazard"]["superseded"], 1);
    let total = s["area_m2"]["total"].as_f64().unwrap();
    let one = a(&rect(0.0, 0.0, 1.0, 1.0));
    assert!(
        (total - 2.0 * one).abs() < 1e-3 * one,
        "{total} vs 2 × {one}"
    );
    let report = read_json(&dir.path().join("out/report.json"));
    // One superseded record, and the two kept ones each warned.
    assert_eq!(codes(&report, "DUPLICATE_ID"), 3);
    // --strict fails on any supersession, built or unchanged.
    for _ in 0..2 {
        let o = build(dir.path(), &hz, None, &["--strict"]);
        assert_eq!(
            o.status.code(),
            Some(3),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

#[test]
fn placeholder_ids_are_missing_ids_not_one_record() {
    let dir = tempfile::tempdir().unwrap();
    // Two overlapping survey areas, both with the placeholder "-": both count.
    let hz = [
        feature(json!({"id": "-", "status": "open"}), square(0.0, 0.0, 2.0)),
        feature(
            json!({"id": "N/A", "status": "open"}),
            square(1.0, 0.0, 2.0),
        ),
        feature(json!({"id": "0", "status": "open"}), square(10.0, 0.0, 1.0)),
    ];
    let o = build(dir.path(), &hz, None, &["--strict"]);
    ok(&o);
    let s = read_json(&dir.path().join("out/summary.json"));
    assert_eq!(s["records"]["hazard"]["used"], 3);
    assert_eq!(s["records"]["hazard"]["superseded"], 0);
    let total = s["area_m2"]["total"].as_f64().unwrap();
    let want = a(&rect(0.0, 0.0, 3.0, 2.0)) + a(&rect(10.0, 0.0, 11.0, 1.0));
    assert!((total - want).abs() < 1e-6 * want, "{total} vs {want}");
    let report = read_json(&dir.path().join("out/report.json"));
    assert_eq!(codes(&report, "PLACEHOLDER_ID"), 3);
}

#[test]
fn zero_area_hazard_is_quarantined() {
    let dir = tempfile::tempdir().unwrap();
    let collinear = json!({"type": "Polygon", "coordinates": [[
        [0.0, 0.0], [0.001, 0.001], [0.002, 0.002], [0.0, 0.0]
    ]]});
    let hz = [
        feature(
            json!({"id": "H1", "status": "open"}),
            square(0.0, 10.0, 1.0),
        ),
        feature(json!({"id": "FLAT", "status": "open"}), collinear),
    ];
    let o = build(dir.path(), &hz, None, &[]);
    ok(&o);
    let s = read_json(&dir.path().join("out/summary.json"));
    assert_eq!(s["records"]["hazard"]["used"], 1);
    assert_eq!(s["records"]["hazard"]["quarantined"], 1);
    let report = read_json(&dir.path().join("out/report.json"));
    let flat: Vec<&Value> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["record"]["source_id"] == "FLAT")
        .collect();
    assert!(
        flat.iter()
            .any(|d| d["code"] == "EMPTY_GEOMETRY" && d["severity"] == "error"),
        "{flat:?}"
    );
    assert!(!flat.iter().any(|d| d["code"] == "NO_LAND_REMAINING"));
    let o = build(dir.path(), &hz, None, &["--strict"]);
    assert_eq!(o.status.code(), Some(3));
}

#[test]
fn overlong_texts_are_cut_with_a_diagnostic_and_the_workbook_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let long_id = "X".repeat(40_000);
    let long_region = "Ré".repeat(20_000);
    let hz = [feature(
        json!({"id": long_id, "status": "open", "region": long_region}),
        square(0.0, 0.0, 1.0),
    )];
    let o = build(dir.path(), &hz, None, &[]);
    ok(&o);
    let out = dir.path().join("out");
    assert!(out.join("tables/article7.xlsx").is_file());
    let report = read_json(&out.join("report.json"));
    assert_eq!(codes(&report, "TEXT_TOO_LONG"), 2);
    let g = read_json(&out.join("hazards.geojson"));
    let props = &g["features"][0]["properties"];
    assert_eq!(props["id"].as_str().unwrap().chars().count(), 32_767);
    assert_eq!(props["region"].as_str().unwrap().chars().count(), 32_767);
}

#[test]
fn missing_as_of_is_a_warning_in_report_and_summary() {
    let dir = tempfile::tempdir().unwrap();
    let hz = [feature(
        json!({"id": "H1", "status": "open"}),
        square(0.0, 0.0, 2.0),
    )];
    let rl = [feature(
        json!({"id": "R1", "outcome": "cleared", "date": "2031-01-01"}),
        square(0.0, 0.0, 1.0),
    )];
    let o = build(dir.path(), &hz, Some(&rl), &[]);
    ok(&o);
    let out = dir.path().join("out");
    let report = read_json(&out.join("report.json"));
    assert_eq!(codes(&report, "AS_OF_MISSING"), 1);
    let s = read_json(&out.join("summary.json"));
    assert_eq!(s["diagnostics"]["AS_OF_MISSING"], 1);
}

/// Two releases over the same land, same date and outcome: the land goes to
/// the smaller id whatever the row order.
#[test]
fn release_ties_are_broken_by_id_not_row_order() {
    let hz = [feature(
        json!({"id": "H1", "status": "open"}),
        square(0.0, 0.0, 4.0),
    )];
    let r_a = feature(
        json!({"id": "R-B", "outcome": "cleared", "date": "2020-05-01"}),
        square(0.0, 0.0, 3.0),
    );
    let r_b = feature(
        json!({"id": "R-A", "outcome": "cleared", "date": "2020-05-01"}),
        square(1.0, 1.0, 3.0),
    );
    let run = |releases: &[Value]| {
        let dir = tempfile::tempdir().unwrap();
        let o = build(dir.path(), &hz, Some(releases), &[]);
        ok(&o);
        let out = dir.path().join("out");
        (
            std::fs::read(out.join("releases.geojson")).unwrap(),
            read_json(&out.join("summary.json"))["released_by_year"].clone(),
            std::fs::read(out.join("tables/released_by_year.csv")).unwrap(),
        )
    };
    let forward = run(&[r_a.clone(), r_b.clone()]);
    let backward = run(&[r_b, r_a]);
    assert_eq!(
        forward.0, backward.0,
        "releases.geojson depends on row order"
    );
    assert_eq!(forward.1, backward.1);
    assert_eq!(forward.2, backward.2);
    // R-A, the smaller id, has its whole square.
    let g: Value = serde_json::from_slice(&forward.0).unwrap();
    let ra = g["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["id"] == "R-A")
        .unwrap();
    let whole = a(&rect(1.0, 1.0, 4.0, 4.0));
    let got = ra["properties"]["area_m2"].as_f64().unwrap();
    assert!((got - whole).abs() < 1e-6 * whole, "{got} vs {whole}");
}

/// Records that share an id keep one order whatever order they were read in.
#[test]
fn shared_ids_give_the_same_outputs_in_any_row_order() {
    let f1 = feature(json!({"id": "Id", "status": "open"}), square(0.0, 0.0, 1.0));
    let f2 = feature(
        json!({"id": "Id", "status": "closed"}),
        square(50.0, 0.0, 1.0),
    );
    let run = |hz: &[Value]| {
        let dir = tempfile::tempdir().unwrap();
        ok(&build(dir.path(), hz, None, &[]));
        let out = dir.path().join("out");
        let report = read_json(&out.join("report.json"));
        (
            std::fs::read(out.join("hazards.geojson")).unwrap(),
            std::fs::read(out.join("tables/remaining_by_region.csv")).unwrap(),
            codes(&report, "DUPLICATE_ID"),
        )
    };
    let forward = run(&[f1.clone(), f2.clone()]);
    let backward = run(&[f2, f1]);
    assert_eq!(forward.0, backward.0);
    assert_eq!(forward.1, backward.1);
    assert_eq!(forward.2, 2);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 32, ..Default::default() })]

    /// Releases on one date with one outcome, read in any order with the rows
    /// of that order: every release keeps the same piece.
    #[test]
    fn pieces_do_not_depend_on_row_order(
        rects in proptest::collection::vec((0u8..10, 0u8..10, 1u8..6, 1u8..6), 2..7),
        rotate in 0usize..7,
    ) {
        use clearmap::model::Outcome;
        let hz = vec![open("H", rect(0.0, 0.0, 16.0, 16.0))];
        let rl: Vec<_> = rects
            .iter()
            .enumerate()
            .map(|(i, &(x, y, w, h))| {
                let (x, y) = (x as f64, y as f64);
                release(&format!("r{i}"), Outcome::Cleared, Some("2021-03-04"), rect(x, y, x + w as f64, y + h as f64))
            })
            .collect();
        let with_rows = |mut v: Vec<clearmap::model::Release>| {
            for (row, r) in v.iter_mut().enumerate() {
                r.provenance.row = row as u64;
            }
            v
        };
        let (r1, a1) = account(hz.clone(), with_rows(rl.clone()), None);
        let mut shuffled = rl;
        let n = shuffled.len();
        shuffled.rotate_left(rotate % n);
        shuffled.reverse();
        let (r2, a2) = account(hz, with_rows(shuffled), None);
        let pieces = |r: &clearmap::reconcile::Reconciled, a: &clearmap::measure::Accounting| {
            let mut v: Vec<(String, f64)> = a
                .pieces
                .iter()
                .map(|p| (r.releases[p.release].id.clone(), p.area_m2))
                .collect();
            v.sort_by(|x, y| x.0.cmp(&y.0));
            v
        };
        proptest::prop_assert_eq!(pieces(&r1, &a1), pieces(&r2, &a2));
        proptest::prop_assert_eq!(&a1.released_by_year, &a2.released_by_year);
    }
}

#[test]
fn zero_config_country_must_be_an_iso_code() {
    let dir = tempfile::tempdir().unwrap();
    let h = dir.path().join("h.geojson");
    write_fc(&h, &[feature(json!({"id": "H1"}), square(0.0, 0.0, 1.0))]);
    let o = Command::new(bin())
        .args([
            "build",
            "--hazards",
            h.to_str().unwrap(),
            "--country",
            "Cambodia",
            "--out",
        ])
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("KHM"));
    assert!(!dir.path().join("out").exists());
}
