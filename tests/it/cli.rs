//! The binary on files: the example country, the zero-config form, exit codes,
//! determinism and atomic outputs.

use crate::assert_close;
use crate::common::*;
use std::path::Path;
use std::process::{Command, Output};

fn build_example(out: &Path) -> Output {
    let cfg = repo().join("data/example/clearmap.toml");
    run(&[
        "build",
        cfg.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ])
}

#[test]
fn example_builds_conserves_and_accounts_for_every_record() {
    let dir = tempfile::tempdir().unwrap();
    let o = build_example(dir.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s = read_json(&dir.path().join("summary.json"));
    let f = &s["area_m2"];
    let total = f["total"].as_f64().unwrap();
    let accounted: f64 = [
        "remaining",
        "cleared",
        "reduced",
        "cancelled",
        "closed_unreleased",
    ]
    .iter()
    .map(|k| f[k].as_f64().unwrap())
    .sum();
    assert!(total > 1e6);
    assert!(
        (total - accounted).abs() <= 1e-6 * total,
        "{total} vs {accounted}"
    );
    for k in [
        "cleared",
        "reduced",
        "cancelled",
        "closed_unreleased",
        "released_outside_hazards",
    ] {
        assert!(f[k].as_f64().unwrap() > 0.0, "the example exercises {k}");
    }
    // Record conservation: read = used + quarantined + superseded + after_as_of.
    for role in ["hazard", "release"] {
        let c = &s["records"][role];
        let n = |k: &str| c[k].as_u64().unwrap();
        assert_eq!(
            n("read"),
            n("used") + n("quarantined") + n("superseded") + n("after_as_of"),
            "{role}"
        );
    }
    // Every quarantined record is named in the report.
    let report = read_json(&dir.path().join("report.json"));
    let quarantined = s["records"]["hazard"]["quarantined"].as_u64().unwrap()
        + s["records"]["release"]["quarantined"].as_u64().unwrap();
    assert_eq!(report["quarantined"].as_u64().unwrap(), quarantined);
    // Planted defects are reported on the planted records.
    let planted = read_json(&repo().join("data/example/planted.json"));
    let ids_with = |code: &str| -> Vec<String> {
        report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["code"] == code)
            .filter_map(|d| {
                d["record"]["source_id"]
                    .as_str()
                    .map(|s| s.trim().to_string())
            })
            .collect()
    };
    for (key, code) in [
        ("bow_tie", "SELF_INTERSECTION"),
        ("double_closure", "DOUBLE_CLOSURE"),
        ("clockwise", "WRONG_WINDING"),
        ("null_geometry_hazards", "NULL_GEOMETRY"),
    ] {
        let found = ids_with(code);
        for id in planted[key].as_array().unwrap() {
            assert!(
                found.contains(&id.as_str().unwrap().trim().to_string()),
                "{key}: {id} not reported as {code}"
            );
        }
    }
    // hazards.geojson: remaining parts only, with the contract's properties.
    let hz = read_json(&dir.path().join("hazards.geojson"));
    let feats = hz["features"].as_array().unwrap();
    assert!(!feats.is_empty());
    let remaining: f64 = feats
        .iter()
        .map(|f| f["properties"]["remaining_m2"].as_f64().unwrap())
        .sum();
    assert!(
        remaining >= f["remaining"].as_f64().unwrap() * 0.999,
        "per-hazard remaining covers the union"
    );
    for k in [
        "id",
        "classification",
        "status",
        "contamination",
        "region",
        "area_m2",
        "remaining_m2",
    ] {
        assert!(feats[0]["properties"].get(k).is_some(), "{k}");
    }
    assert!(hz.get("crs").is_none());
}

#[test]
fn builds_are_byte_identical_across_runs_and_threads() {
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    assert!(build_example(d1.path()).status.success());
    let cfg = repo().join("data/example/clearmap.toml");
    let o = Command::new(bin())
        .env("RAYON_NUM_THREADS", "1")
        .args([
            "build",
            cfg.to_str().unwrap(),
            "--out",
            d2.path().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success());
    for name in [
        "hazards.geojson",
        "releases.geojson",
        "summary.json",
        "report.json",
    ] {
        let (a, b) = (
            std::fs::read(d1.path().join(name)).unwrap(),
            std::fs::read(d2.path().join(name)).unwrap(),
        );
        assert!(a == b, "{name} differs between runs");
    }
}

#[test]
fn zero_config_form_reads_canonical_names() {
    let dir = tempfile::tempdir().unwrap();
    let hz = dir.path().join("hz.geojson");
    std::fs::write(
        &hz,
        r#"{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"id":"A","classification":"CHA","status":"open"},
  "geometry":{"type":"Polygon","coordinates":[[[0,0],[0.001,0],[0.001,0.001],[0,0.001],[0,0]]]}},
 {"type":"Feature","properties":{"classification":"SHA","status":"closed"},
  "geometry":{"type":"Polygon","coordinates":[[[0.002,0],[0.003,0],[0.003,0.001],[0.002,0.001],[0.002,0]]]}}]}"#,
    )
    .unwrap();
    let rl = dir.path().join("rl.geojson");
    std::fs::write(
        &rl,
        r#"{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"id":"R","outcome":"cleared","date":"2020-01-01","hazard_ids":"A"},
  "geometry":{"type":"Polygon","coordinates":[[[0,0],[0.0005,0],[0.0005,0.001],[0,0.001],[0,0]]]}}]}"#,
    )
    .unwrap();
    let out = dir.path().join("out");
    let o = run(&[
        "build",
        "--hazards",
        hz.to_str().unwrap(),
        "--releases",
        rl.to_str().unwrap(),
        "--country",
        "XYZ",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s = read_json(&out.join("summary.json"));
    assert_eq!(s["country"], "XYZ");
    let f = &s["area_m2"];
    let cell = a(&rect(0., 0., 1., 1.));
    assert_close!(f["total"].as_f64().unwrap(), 2.0 * cell, 1e-6);
    assert_close!(f["cleared"].as_f64().unwrap(), cell / 2.0, 1e-6);
    assert_close!(f["remaining"].as_f64().unwrap(), cell / 2.0, 1e-6);
    assert_close!(f["closed_unreleased"].as_f64().unwrap(), cell, 1e-6);
    let hz_out = read_json(&out.join("hazards.geojson"));
    assert_eq!(hz_out["features"].as_array().unwrap().len(), 1);
    let rl_out = read_json(&out.join("releases.geojson"));
    assert_eq!(rl_out["features"][0]["properties"]["hazard_ids"][0], "A");
    // The record without an id got a stable one from its file stem and row.
    let report = read_json(&out.join("report.json"));
    assert!(report["counts"].get("MISSING_ID").is_some());
}

#[test]
fn config_errors_exit_2_and_name_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, "country = \"X\"\ncolour = \"red\"\n").unwrap();
    let o = run(&[
        "build",
        cfg.to_str().unwrap(),
        "--out",
        dir.path().join("o").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("colour") && err.contains("c.toml"), "{err}");
    assert!(!dir.path().join("o").exists(), "no output on error");

    std::fs::write(
        &cfg,
        "[[source]]\npath = \"missing.geojson\"\nrole = \"hazard\"\n",
    )
    .unwrap();
    let o = run(&[
        "build",
        cfg.to_str().unwrap(),
        "--out",
        dir.path().join("o").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing.geojson"));
    assert!(!dir.path().join("o").exists(), "no output on error");

    let o = run(&["build", "--out", "x"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn strict_exits_3_when_records_are_quarantined() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = repo().join("data/example/clearmap.toml");
    let o = run(&[
        "build",
        cfg.to_str().unwrap(),
        "--out",
        dir.path().to_str().unwrap(),
        "--strict",
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(3));
    assert!(dir.path().join("summary.json").exists());
    let o = run(&["validate", cfg.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).contains("NULL_GEOMETRY"));
}

#[test]
fn regression_ogc_difference_lost_land() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = repo().join("tests/cases/ogc-difference-lost-land/clearmap.toml");
    let o = run(&[
        "build",
        cfg.to_str().unwrap(),
        "--out",
        dir.path().to_str().unwrap(),
        "-q",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s = read_json(&dir.path().join("summary.json"));
    let g = |k: &str| s["area_m2"][k].as_f64().unwrap();
    assert_close!(g("total"), 491_635.6, 1e-6);
    assert_close!(g("remaining"), 213_335.6, 1e-6);
    assert_close!(g("cancelled"), 267_999.5, 1e-6);
    assert_close!(g("reduced"), 10_300.5, 1e-5);
}

#[test]
fn version_names_gdal_and_proj_and_out_has_a_short_form() {
    let o = crate::common::run(&["--version"]);
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.starts_with("clearmap "), "{text}");
    assert!(text.contains("GDAL ") && text.contains("PROJ "), "{text}");
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("out");
    let config = crate::common::repo().join("data/example/clearmap.toml");
    let o = crate::common::run(&[
        "tables",
        config.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    assert!(out.join("tables/article7.xlsx").exists());
}

/// `--minzoom/--maxzoom` cut the tiles at those zooms, tiles.json says so,
/// the manifest records them (a rebuild with other zooms is not skipped),
/// and zooms out of order are refused before anything is read.
#[test]
fn minzoom_and_maxzoom_choose_the_zooms_of_the_tiles() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b");
    let cfg = repo().join("data/example/clearmap.toml");
    let build = |extra: &[&str]| {
        let mut args = vec![
            "build",
            cfg.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "-q",
        ];
        args.extend_from_slice(extra);
        run(&args)
    };
    let o = build(&["--minzoom", "3", "--maxzoom", "9"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let tj = read_json(&out.join("tiles.json"));
    assert_eq!(
        (tj["minzoom"].as_u64(), tj["maxzoom"].as_u64()),
        (Some(3), Some(9))
    );
    let archive = clearmap::tiles::pmtiles::Archive::open(&out.join("tiles.pmtiles")).unwrap();
    let zooms: std::collections::BTreeSet<u8> = archive.tiles().map(|((z, _, _), _)| z).collect();
    assert_eq!(zooms.first().zip(zooms.last()), Some((&3, &9)), "{zooms:?}");
    let o = build(&[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        read_json(&out.join("tiles.json"))["maxzoom"],
        14,
        "not skipped as unchanged"
    );
    let o = build(&["--minzoom", "10", "--maxzoom", "9"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--minzoom 10 --maxzoom 9"),
        "{}",
        stderr(&o)
    );
}

/// `clearmap man --out DIR` writes the main page and one per subcommand (the
/// pages the main page's SEE ALSO names), each rendering cleanly with groff;
/// `clearmap man SUBCOMMAND` prints that page.
#[test]
fn man_writes_a_page_per_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(&["man", "--out", dir.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let help = String::from_utf8_lossy(&run(&["--help"]).stdout).into_owned();
    let subcommands: Vec<&str> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter(|l| l.chars().nth(2).is_some_and(|c| c.is_ascii_alphabetic()))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .collect();
    assert!(
        subcommands.contains(&"build") && subcommands.len() > 8,
        "{help}"
    );
    let main = std::fs::read_to_string(dir.path().join("clearmap.1")).unwrap();
    for s in &subcommands {
        let page = dir.path().join(format!("clearmap-{s}.1"));
        assert!(page.is_file(), "no page for {s}");
        assert!(
            main.contains(&format!("clearmap\\-{s}(1)")),
            "SEE ALSO names {s}"
        );
    }
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let page = entry.unwrap().path();
        let g = Command::new("groff")
            .args(["-k", "-man", "-Tutf8", "-ww", "-z"])
            .arg(&page)
            .output();
        // groff is part of man-db; where it is missing the pages are still checked above.
        if let Ok(g) = g {
            assert!(g.stderr.is_empty(), "{}: {}", page.display(), stderr(&g));
        }
    }
    let o = run(&["man", "build"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains(".TH clearmap-build 1"));
    assert_eq!(run(&["man", "nope"]).status.code(), Some(2));
}

/// The zero-config form has no config to name: an unmapped value says so
/// and points at `clearmap init`, instead of calling the data file a config.
#[test]
fn zero_config_unmapped_value_points_at_init() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("h.csv"),
        "id,status,WKT\nH1,Aktiv,\"POLYGON((0 0,0.001 0,0.001 0.001,0 0.001,0 0))\"\n",
    )
    .unwrap();
    let o = run_in(dir.path(), &["build", "--hazards", "h.csv", "-o", "out"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("clearmap init") && err.contains("\"Aktiv\""),
        "{err}"
    );
    assert!(
        !err.contains("config ./h.csv") && !err.contains("config h.csv"),
        "{err}"
    );
}
