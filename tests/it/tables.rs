//! The Article 7-style tables of the example bundle: totals against
//! summary.json, rows against their total column, the workbook against the
//! CSVs cell by cell (read back with calamine), byte-identical reruns, and
//! `clearmap tables` writing the same bytes and nothing else.

use crate::assert_close;
use crate::common::*;
use calamine::{open_workbook, Data, Reader, Xlsx};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

const TABLES: [&str; 4] = [
    "remaining_by_region",
    "released_by_year",
    "remaining_by_contamination",
    "reported_vs_computed",
];

fn run(args: &[&str], threads: Option<&str>) -> Output {
    let mut c = Command::new(bin());
    if let Some(t) = threads {
        c.env("RAYON_NUM_THREADS", t);
    }
    c.args(args).output().expect("clearmap runs")
}

fn example(cmd: &str, out: &Path, threads: Option<&str>) {
    let cfg = repo().join("data/example/clearmap.toml");
    let o = run(
        &[cmd, cfg.to_str().unwrap(), "--out", out.to_str().unwrap()],
        threads,
    );
    assert!(
        o.status.success(),
        "clearmap {cmd}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A CSV as written: byte order mark, header, rows (RFC 4180 quoting).
struct Csv {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Csv {
    fn read(path: &Path) -> Csv {
        let text = std::fs::read_to_string(path).unwrap();
        let text = text
            .strip_prefix('\u{feff}')
            .unwrap_or_else(|| panic!("{}: no byte order mark", path.display()));
        let mut records: Vec<Vec<String>> = text.lines().map(split).collect();
        let header = records.remove(0);
        for r in &records {
            assert_eq!(
                r.len(),
                header.len(),
                "{}: ragged row {r:?}",
                path.display()
            );
        }
        Csv {
            header,
            rows: records,
        }
    }

    fn col(&self, key: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == key)
            .unwrap_or_else(|| panic!("no column {key} in {:?}", self.header))
    }

    fn num(&self, row: usize, key: &str) -> f64 {
        let s = &self.rows[row][self.col(key)];
        s.parse()
            .unwrap_or_else(|_| panic!("{key} of row {row} is not a plain number: {s:?}"))
    }

    /// The row whose first cell is `label`.
    fn row(&self, label: &str) -> usize {
        self.rows
            .iter()
            .position(|r| r[0] == label)
            .unwrap_or_else(|| panic!("no row {label}"))
    }
}

/// One CSV line into fields (no field in these tables spans lines).
fn split(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = String::new();
    let (mut quoted, mut chars) = (false, line.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => out.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    out.push(field);
    out
}

fn json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

/// Equal to 1e-9 relative, or within `cells` half-units of the 3rd decimal
/// (a sum of cells each rounded to the millimetre²).
fn near(x: f64, y: f64, cells: usize) -> bool {
    let d = (x - y).abs();
    d <= 1e-9 * x.abs().max(y.abs()) || d <= 0.0005 * cells as f64 + 1e-9
}

fn assert_near(x: f64, y: f64, cells: usize, what: &str) {
    assert!(near(x, y, cells), "{what}: {x} vs {y}");
}

/// summary.json figures compare to 1e-9 relative, with no rounding allowance.
fn assert_same(x: f64, y: f64, what: &str) {
    assert!(
        (x - y).abs() <= 1e-9 * x.abs().max(y.abs()),
        "{what}: table {x} vs summary.json {y}"
    );
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn totals_and_rows_agree_with_summary() {
    let dir = tempfile::tempdir().unwrap();
    example("build", dir.path(), None);
    let t = dir.path().join("tables");
    let s = json(&dir.path().join("summary.json"));
    let area = &s["area_m2"];

    // remaining_by_region
    let meta = json(&t.join("meta.json"));
    assert_eq!(meta["as_of"], "2025-12-31");
    assert_eq!(meta["country"], "XEX");
    let r = Csv::read(&t.join("remaining_by_region.csv"));
    assert_eq!(r.header[0], "region", "the header is the first line");
    let total = r.rows.len() - 1;
    assert_eq!(r.rows[total][0], "total", "the total row comes last");
    assert_same(
        r.num(total, "total_area_m2"),
        f(&area["remaining"]),
        "remaining",
    );
    let km2 = r.num(total, "total_area_km2");
    assert!(
        (km2 * 1e6 - f(&area["remaining"])).abs() <= 0.5 + 1e-6,
        "remaining km² {km2}"
    );
    let by_class = s["remaining_by_classification"].as_object().unwrap();
    for (class, key) in [("SHA", "sha"), ("CHA", "cha"), ("other", "other")] {
        assert_same(
            r.num(total, &format!("{key}_area_m2")),
            f(&by_class[class]["area_m2"]),
            class,
        );
        assert_eq!(
            r.num(total, &format!("{key}_count")),
            f(&by_class[class]["count"]),
            "{class} count"
        );
    }
    let by_region = s["remaining_by_region"].as_object().unwrap();
    assert_eq!(total, by_region.len(), "one row per region of summary.json");
    assert!(total >= 2, "the example has several regions");
    let regions: Vec<&str> = r.rows[..total].iter().map(|x| x[0].as_str()).collect();
    let mut sorted = regions.clone();
    sorted.sort_by_key(|x| (*x == "(no region)", *x));
    assert_eq!(regions, sorted, "regions by name, (no region) last");
    let classes = ["sha", "cha", "other"];
    for (i, region) in regions.iter().enumerate() {
        let row_area = r.num(i, "total_area_m2");
        assert_same(row_area, f(&by_region[*region]["area_m2"]), region);
        assert_eq!(
            r.num(i, "total_count"),
            f(&by_region[*region]["count"]),
            "{region} count"
        );
        let cells: f64 = classes
            .iter()
            .map(|c| r.num(i, &format!("{c}_area_m2")))
            .sum();
        assert_near(cells, row_area, 3, &format!("{region}: classes vs total"));
        let counts: f64 = classes
            .iter()
            .map(|c| r.num(i, &format!("{c}_count")))
            .sum();
        assert_eq!(counts, r.num(i, "total_count"), "{region} counts");
    }
    for key in [
        "sha_count",
        "sha_area_m2",
        "cha_count",
        "cha_area_m2",
        "other_count",
        "other_area_m2",
        "total_count",
        "total_area_m2",
    ] {
        let column: f64 = (0..total).map(|i| r.num(i, key)).sum();
        assert_near(column, r.num(total, key), total, key);
    }
    // The total row's own classes add up to its total too.
    let cells: f64 = classes
        .iter()
        .map(|c| r.num(total, &format!("{c}_area_m2")))
        .sum();
    assert_near(cells, r.num(total, "total_area_m2"), 3, "total row");

    // released_by_year
    let y = Csv::read(&t.join("released_by_year.csv"));
    assert_eq!(y.header[0], "year");
    let total = y.row("total");
    assert_eq!(total, y.rows.len() - 1);
    for k in ["cancelled", "reduced", "cleared"] {
        assert_same(y.num(total, &format!("{k}_m2")), f(&area[k]), k);
    }
    let by_year = s["released_by_year"].as_object().unwrap();
    assert_eq!(total, by_year.len());
    assert!(total >= 2, "the example releases land in several years");
    let years: Vec<&str> = y.rows[..total].iter().map(|x| x[0].as_str()).collect();
    let mut sorted = years.clone();
    sorted.sort_by_key(|x| (*x == "undated", *x));
    assert_eq!(years, sorted, "years ascending, undated last");
    for (i, year) in years.iter().enumerate().chain([(total, &"total")]) {
        let parts: f64 = ["cancelled_m2", "reduced_m2", "cleared_m2"]
            .iter()
            .map(|k| y.num(i, k))
            .sum();
        assert_near(parts, y.num(i, "total_m2"), 3, &format!("{year} row sum"));
        if i < total {
            for k in ["cancelled", "reduced", "cleared", "total"] {
                assert_same(
                    y.num(i, &format!("{k}_m2")),
                    f(&by_year[*year][k]),
                    &format!("{year} {k}"),
                );
            }
        }
    }
    for k in ["cancelled_m2", "reduced_m2", "cleared_m2", "total_m2"] {
        let column: f64 = (0..total).map(|i| y.num(i, k)).sum();
        assert_near(column, y.num(total, k), total, k);
    }

    // remaining_by_contamination: not additive, closed by the remaining total.
    let c = Csv::read(&t.join("remaining_by_contamination.csv"));
    let notes = meta["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "remaining_by_contamination")
        .unwrap()["notes"]
        .to_string();
    assert!(notes.contains("NOT ADDITIVE"), "{notes}");
    let all = c.row("all hazards");
    assert_eq!(all, c.rows.len() - 1);
    assert_same(
        c.num(all, "remaining_area_m2"),
        f(&area["remaining"]),
        "all hazards",
    );
    assert_eq!(
        c.num(all, "hazard_count"),
        f(&by_class["SHA"]["count"])
            + f(&by_class["CHA"]["count"])
            + f(&by_class["other"]["count"])
    );
    let by_type = s["remaining_by_contamination"].as_object().unwrap();
    assert_eq!(all, by_type.len());
    for (k, v) in by_type {
        let i = c.row(k);
        assert_same(c.num(i, "remaining_area_m2"), f(&v["area_m2"]), k);
        assert_eq!(c.num(i, "hazard_count"), f(&v["count"]), "{k}");
        assert!(c.num(i, "remaining_area_m2") <= c.num(all, "remaining_area_m2") + 1e-3);
    }

    // reported_vs_computed: every record, in id order, flagged as report.json.
    let p = Csv::read(&t.join("reported_vs_computed.csv"));
    let records = &s["records"];
    let used = |role: &str| records[role]["used"].as_u64().unwrap() as usize;
    let role_rows = |role: &str| p.rows.iter().filter(|r| r[0] == role).count();
    assert_eq!(role_rows("hazard"), used("hazard"));
    assert_eq!(role_rows("release"), used("release"));
    let first_release = p.rows.iter().position(|r| r[0] == "release").unwrap();
    assert!(p.rows[first_release..].iter().all(|r| r[0] == "release"));
    for part in [&p.rows[..first_release], &p.rows[first_release..]] {
        let ids: Vec<&str> = part.iter().map(|r| r[1].as_str()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids in order");
    }
    let flagged = p.rows.iter().filter(|r| r[7] == "AREA_MISMATCH").count();
    let report = json(&dir.path().join("report.json"));
    let reported = report["counts"]["AREA_MISMATCH"]["count"]
        .as_u64()
        .unwrap_or(0) as usize;
    assert_eq!(flagged, reported, "the same records as report.json");
    assert!(flagged > 0, "the example has reported areas that disagree");
    for (i, row) in p.rows.iter().enumerate() {
        if row[3].is_empty() {
            assert_eq!(row[7], "NO_REPORTED_AREA");
            continue;
        }
        let (rep, comp) = (p.num(i, "reported_area_m2"), p.num(i, "computed_area_m2"));
        assert_near(p.num(i, "difference_m2"), rep - comp, 2, "difference");
        if comp > 0.0 {
            let rel = p.num(i, "relative_difference");
            // computed is rounded to 0.0005 m², rel to 5e-7.
            let tol = 1e-6 + 0.0006 * rep.abs() / (comp * comp);
            assert!((rel - (rep - comp) / comp).abs() <= tol, "row {i}: {row:?}");
            if (rel.abs() - 0.1).abs() > tol {
                assert_eq!(row[7] == "AREA_MISMATCH", rel.abs() > 0.1, "row {i}");
            }
        }
    }
    // Computed hazard areas are those of hazards.geojson.
    let hz = json(&dir.path().join("hazards.geojson"));
    let computed: BTreeMap<&str, f64> = p
        .rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r[0] == "hazard")
        .map(|(i, r)| (r[1].as_str(), p.num(i, "computed_area_m2")))
        .collect();
    for feat in hz["features"].as_array().unwrap() {
        let pr = &feat["properties"];
        assert_eq!(
            computed[pr["id"].as_str().unwrap()],
            f(&pr["area_m2"]),
            "{}",
            pr["id"]
        );
    }
}

fn is_numeric_column(key: &str) -> bool {
    key.ends_with("_m2")
        || key.ends_with("_km2")
        || key.ends_with("_count")
        || key == "relative_difference"
}

#[test]
fn workbook_equals_the_csvs_cell_by_cell() {
    let dir = tempfile::tempdir().unwrap();
    example("tables", dir.path(), None);
    let t = dir.path().join("tables");
    let mut wb: Xlsx<_> = open_workbook(t.join("article7.xlsx")).unwrap();
    let names = wb.sheet_names();
    assert_eq!(names[0], "notes", "the notes come first");
    assert_eq!(&names[1..5], &TABLES, "then one sheet per table, in order");
    let notes = wb.worksheet_range("notes").unwrap();
    assert_eq!(
        notes.get_value((0, 1)),
        Some(&Data::String("XEX (Examplestan)".into()))
    );
    assert_eq!(
        notes.get_value((1, 1)),
        Some(&Data::String("2025-12-31".into()))
    );
    let mut numbers = 0;
    for name in TABLES {
        let csv = Csv::read(&t.join(format!("{name}.csv")));
        let range = wb.worksheet_range(name).unwrap();
        let rows: Vec<&[Data]> = range.rows().collect();
        assert_eq!(rows.len(), csv.rows.len() + 1, "{name}: rows");
        assert_eq!(range.start(), Some((0, 0)), "{name}: starts at A1");
        for (c, key) in csv.header.iter().enumerate() {
            let Data::String(label) = &rows[0][c] else {
                panic!("{name}: header {c} is {:?}", rows[0][c]);
            };
            let unit = if key.ends_with("_km2") {
                Some("(km²)")
            } else if key.ends_with("_m2") {
                Some("(m²)")
            } else {
                None
            };
            if let Some(unit) = unit {
                assert!(
                    label.contains(unit),
                    "{name}: {label:?} of {key} gives the unit"
                );
            }
        }
        for (i, row) in csv.rows.iter().enumerate() {
            let cells = rows[i + 1];
            assert_eq!(cells.len(), row.len(), "{name} row {i}");
            for (c, text) in row.iter().enumerate() {
                let key = &csv.header[c];
                let cell = &cells[c];
                match cell {
                    Data::Float(x) => {
                        let v: f64 = text.parse().unwrap_or_else(|_| {
                            panic!("{name} row {i} {key}: xlsx {x} vs csv {text:?}")
                        });
                        assert_eq!(*x, v, "{name} row {i} {key}");
                        numbers += 1;
                    }
                    Data::Int(x) => panic!("{name} row {i} {key}: integer {x}, want a float cell"),
                    Data::String(s) => {
                        assert!(
                            !is_numeric_column(key),
                            "{name} row {i} {key}: number stored as text {s:?}"
                        );
                        assert_eq!(s, text, "{name} row {i} {key}");
                    }
                    Data::Empty => assert_eq!(text, "", "{name} row {i} {key}"),
                    other => panic!("{name} row {i} {key}: unexpected {other:?}"),
                }
                if is_numeric_column(key) && !text.is_empty() {
                    assert!(
                        matches!(cell, Data::Float(_)),
                        "{name} row {i} {key} is a number"
                    );
                }
            }
        }
    }
    assert!(
        numbers > 100,
        "the example fills the tables ({numbers} numbers)"
    );
}

#[test]
fn tables_are_byte_identical_across_runs_and_commands() {
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    example("build", d1.path(), None);
    let first: Vec<Vec<u8>> = files(d1.path());
    // A rerun into the same directory, single-threaded.
    example("build", d1.path(), Some("1"));
    assert!(first == files(d1.path()), "a rebuild changed the tables");
    // `clearmap tables` writes the same bytes, and only tables/.
    example("tables", d2.path(), None);
    for (name, (a, b)) in names().iter().zip(first.iter().zip(files(d2.path()))) {
        assert!(
            *a == b,
            "{name}: clearmap tables differs from clearmap build"
        );
    }
    let entries: Vec<String> = std::fs::read_dir(d2.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(entries, vec!["tables".to_string()]);
    let in_tables = std::fs::read_dir(d2.path().join("tables")).unwrap().count();
    assert_eq!(in_tables, names().len(), "no temporaries left behind");
}

fn names() -> Vec<String> {
    let mut n: Vec<String> = TABLES.iter().map(|t| format!("{t}.csv")).collect();
    n.extend(["article7.xlsx", "meta.json", "README.md"].map(String::from));
    n
}

fn files(out: &Path) -> Vec<Vec<u8>> {
    names()
        .iter()
        .map(|n| std::fs::read(out.join("tables").join(n)).unwrap())
        .collect()
}

/// Hand-made records: classes overlapping across regions, a hazard without a
/// region, one fully released, reported areas on both sides of the threshold.
#[test]
fn hand_made_cells_follow_the_atoms() {
    use clearmap::diagnostics::Diagnostics;
    use clearmap::emit::tables::{self, Cell};
    use clearmap::emit::{Bundle, EmitConfig};
    use clearmap::model::{Classification, Outcome, Status};

    let in_region = |id: &str, class, region: Option<&str>, g| {
        let mut h = hazard(id, Status::Open, class, g);
        h.region = region.map(str::to_string);
        h
    };
    let mut sha_b = in_region("H1", Classification::Sha, Some("B"), rect(0., 0., 10., 10.));
    sha_b.area_reported_m2 = Some(a(&rect(0., 0., 10., 10.)) * 1.5);
    let mut cha_a = in_region("H2", Classification::Cha, Some("A"), rect(5., 0., 15., 10.));
    cha_a.area_reported_m2 = Some(a(&rect(5., 0., 15., 10.)) * 1.05);
    let hazards = vec![
        sha_b,
        cha_a,
        in_region("H3", Classification::Sha, None, rect(20., 0., 30., 10.)),
        in_region(
            "H4",
            Classification::Other,
            Some("B"),
            rect(40., 0., 50., 10.),
        ),
    ];
    let releases = vec![release(
        "R1",
        Outcome::Cleared,
        Some("2020-05-01"),
        rect(40., 0., 50., 10.),
    )];
    let (rec, acc) = account(hazards, releases, None);
    let cfg = EmitConfig {
        country: Some("XEX".into()),
        name: None,
        as_of: None,
        attribution: None,
        precision: 7,
        area_mismatch: 0.10,
        language: "en".into(),
        basemap: None,
        tile_format: Default::default(),
        base_url: None,
        min_zoom: 0,
        max_zoom: 14,
    };
    let diagnostics = Diagnostics::default();
    let b = Bundle {
        reconciled: &rec,
        accounting: &acc,
        diagnostics: &diagnostics,
        inputs: &[],
    };
    let num = |c: &Cell| match c {
        Cell::M2(x) | Cell::Km2(x) | Cell::Ratio(x) => *x,
        Cell::Count(n) => *n as f64,
        other => panic!("not a number: {other:?}"),
    };

    let t = tables::remaining_by_region(&b);
    let m = tables::meta(&cfg, std::slice::from_ref(&t));
    assert_eq!((m.as_of, m.country.as_deref()), (None, Some("XEX")));
    assert_eq!(m.tables[0].notes, t.notes);
    let labels: Vec<Cell> = t.rows.iter().map(|r| r[0].clone()).collect();
    let text = |s: &str| Cell::Text(s.into());
    assert_eq!(
        labels,
        [text("A"), text("B"), text("(no region)"), text("total")]
    );
    // Columns: region, SHA n, SHA m², CHA n, CHA m², other n, other m², n, m², km².
    let cha = a(&rect(5., 0., 15., 10.));
    let sha_only = a(&rect(0., 0., 5., 10.));
    let lone = a(&rect(20., 0., 30., 10.));
    let row = |i: usize| {
        t.rows
            .get(i)
            .unwrap()
            .iter()
            .skip(1)
            .map(num)
            .collect::<Vec<f64>>()
    };
    let (ra, rb, rn, rt) = (row(0), row(1), row(2), row(3));
    assert_eq!([ra[0], ra[2], ra[4], ra[6]], [0., 1., 0., 1.]);
    assert_close!(ra[3], cha, 1e-6);
    // B's SHA hazard keeps only the land the CHA hazard does not cover; its
    // released "other" hazard has no land and is not counted.
    assert_eq!([rb[0], rb[2], rb[4], rb[6]], [1., 0., 0., 1.]);
    assert_close!(rb[1], sha_only, 1e-6);
    assert_eq!(rb[5], 0.0);
    assert_close!(rn[1], lone, 1e-6);
    assert_eq!(rn[6], 1.0);
    for r in [&ra, &rb, &rn, &rt] {
        assert!(near(r[1] + r[3] + r[5], r[7], 3), "{r:?}");
    }
    assert_eq!(rt[6], 3.0);
    assert_close!(rt[7], acc.figures.remaining, 1e-9);
    assert_close!(rt[7], cha + sha_only + lone, 1e-6);

    // summary.json lists the same keys as their text sorts: `(no region)`
    // before the named regions there, CHA before SHA before other.
    let summary = serde_json::to_string(&clearmap::emit::summary(&cfg, &b)).unwrap();
    let at = |k: &str| summary.find(k).unwrap();
    assert!(at("\"(no region)\":") < at("\"A\":") && at("\"A\":") < at("\"B\":"));
    assert!(at("\"CHA\":") < at("\"SHA\":") && at("\"SHA\":") < at("\"other\":"));
    assert!(at("\"2020\":") > at("\"released_by_year\""));

    let y = tables::released_by_year(&b);
    assert_eq!(y.rows.len(), 2);
    assert_eq!(y.rows.get(0).unwrap()[0], text("2020"));
    assert_close!(
        num(&y.rows.get(0).unwrap()[3]),
        a(&rect(40., 0., 50., 10.)),
        1e-6
    );

    let p = tables::reported_vs_computed(&cfg, &b);
    let flags: Vec<Cell> = p.rows.iter().map(|r| r[7].clone()).collect();
    let no_area = text("NO_REPORTED_AREA");
    assert_eq!(
        flags,
        [
            text("AREA_MISMATCH"),
            Cell::Empty,
            no_area.clone(),
            no_area.clone(),
            no_area
        ]
    );
    assert_eq!(p.rows.get(4).unwrap()[0], text("release"));
    assert_close!(num(&p.rows.get(0).unwrap()[6]), 0.5, 1e-5);
    assert_close!(num(&p.rows.get(1).unwrap()[6]), 0.05, 1e-5);
}

#[test]
fn a_table_longer_than_a_sheet_continues_on_numbered_sheets() {
    // Excel stops at 1,048,576 rows; a country with more hazards than that
    // gets its per-hazard table over several sheets. Shown here with 7 rows
    // to a sheet on the example's tables.
    use clearmap::emit::tables::{tables, workbook_split, Cell};
    let cfg = clearmap::config::Config::load(&repo().join("data/example/clearmap.toml")).unwrap();
    let c = clearmap::pipeline::compute(&cfg).unwrap();
    let emit_cfg = clearmap::pipeline::emit_config(&cfg);
    let all = tables(&emit_cfg, &c.bundle());
    let bytes = workbook_split(&emit_cfg, &all, 7, None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("split.xlsx");
    std::fs::write(&path, bytes).unwrap();
    let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
    let names = wb.sheet_names();
    for t in &all {
        let sheets = t.rows.len().div_ceil(7).max(1);
        let mut got: Vec<Vec<Data>> = Vec::new();
        for k in 0..sheets {
            let name = if k == 0 {
                t.name.to_string()
            } else {
                format!("{} ({})", t.name, k + 1)
            };
            assert!(names.contains(&name), "{name} missing from {names:?}");
            let range = wb.worksheet_range(&name).unwrap();
            let rows: Vec<&[Data]> = range.rows().collect();
            assert!(rows.len() <= 8, "{name}: {} rows", rows.len());
            assert_eq!(rows[0].len(), t.columns.len(), "{name}: header");
            got.extend(rows[1..].iter().map(|r| r.to_vec()));
        }
        assert_eq!(
            got.len(),
            t.rows.len(),
            "{}: every row on some sheet",
            t.name
        );
        for (i, (g, want)) in got.iter().zip(t.rows.iter()).enumerate() {
            for (c, cell) in want.iter().enumerate() {
                let same = match (cell, g.get(c)) {
                    (Cell::Text(s), Some(Data::String(x))) => s == x,
                    (Cell::Empty, None | Some(Data::Empty)) => true,
                    (Cell::Count(n), Some(Data::Float(x))) => *n as f64 == *x,
                    (Cell::M2(v) | Cell::Km2(v) | Cell::Ratio(v), Some(Data::Float(x))) => v == x,
                    _ => false,
                };
                assert!(
                    same,
                    "{} row {i} column {c}: {cell:?} vs {:?}",
                    t.name,
                    g.get(c)
                );
            }
        }
    }
    assert!(
        names.iter().any(|n| n.ends_with(" (2)")),
        "no table was split: {names:?}"
    );
}

/// The workbook is written through temporary files: a temporary directory
/// that cannot be written is an error that names it, before any work and
/// without a panic or a file written.
#[test]
fn an_unwritable_temp_dir_is_an_error_naming_it() {
    let cfg = repo().join("data/example/clearmap.toml");
    let d = tempfile::tempdir().unwrap();
    let missing = d.path().join("no-such-dir");
    for cmd in ["build", "tables"] {
        let out = d.path().join(cmd);
        let o = Command::new(bin())
            .env("TMPDIR", &missing)
            .args([cmd, cfg.to_str().unwrap(), "--out", out.to_str().unwrap()])
            .output()
            .expect("clearmap runs");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "clearmap {cmd}: {err}");
        assert!(
            err.contains(missing.to_str().unwrap()) && err.contains("TMPDIR"),
            "clearmap {cmd}: {err}"
        );
        assert!(!err.contains("panicked"), "clearmap {cmd}: {err}");
        let written = std::fs::read_dir(&out).map(|e| e.count()).unwrap_or(0);
        assert_eq!(written, 0, "clearmap {cmd} wrote into --out");
    }
}

/// Field names as `ogrinfo -al -so` reports them for a CSV.
fn ogr_fields(csv: &Path) -> Vec<String> {
    let o = Command::new("ogrinfo")
        .args(["-al", "-so", "-ro"])
        .arg(csv)
        .output()
        .expect("ogrinfo runs (gdal-bin, installed by scripts/setup)");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    // Fields follow the layer's summary, one "name: Type (w.p)" per line.
    text.lines()
        .filter_map(|l| l.split_once(": String ("))
        .map(|(name, _)| name.to_string())
        .collect()
}

#[test]
fn gdal_reads_the_header_of_every_csv() {
    let dir = tempfile::tempdir().unwrap();
    example("tables", dir.path(), None);
    let t = dir.path().join("tables");
    for name in TABLES {
        let path = t.join(format!("{name}.csv"));
        let csv = Csv::read(&path);
        assert_eq!(ogr_fields(&path), csv.header, "{name}: GDAL's field names");
    }
}

/// Region names in Cyrillic and Arabic: written once after the byte order
/// mark Excel needs to read them as UTF-8, read back by GDAL unchanged.
#[test]
fn non_ascii_regions_survive_gdal() {
    use clearmap::diagnostics::Diagnostics;
    use clearmap::emit::tables;
    use clearmap::emit::Bundle;
    use clearmap::model::{Classification, Status};

    let mut h1 = hazard(
        "H1",
        Status::Open,
        Classification::Sha,
        rect(0., 0., 1., 1.),
    );
    h1.region = Some("Брчко".into());
    let mut h2 = hazard(
        "H2",
        Status::Open,
        Classification::Cha,
        rect(2., 0., 3., 1.),
    );
    h2.region = Some("حلب".into());
    let (rec, acc) = account(vec![h1, h2], vec![], None);
    let diagnostics = Diagnostics::default();
    let b = Bundle {
        reconciled: &rec,
        accounting: &acc,
        diagnostics: &diagnostics,
        inputs: &[],
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("remaining_by_region.csv");
    let mut bytes = Vec::new();
    tables::remaining_by_region(&b)
        .write_csv(&mut bytes)
        .unwrap();
    assert!(bytes.starts_with(tables::BOM));
    assert_eq!(bytes.iter().filter(|&&c| c == 0xEF).count(), 1, "one BOM");
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(ogr_fields(&path)[0], "region");
    let o = Command::new("ogrinfo")
        .args(["-al", "-ro", "-q"])
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("region (String) = Брчко"), "{text}");
    assert!(text.contains("region (String) = حلب"), "{text}");
}
