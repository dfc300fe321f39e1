//! `clearmap describe`, `presets` and `init` on files: a config from `init`
//! with its TODO lines filled builds to the figures of a hand-written one, and
//! a preset printed as TOML maps a source as the preset does.

use crate::common::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A lon/lat square of `d` degrees at (x, y), as GeoJSON coordinates.
fn square(x: f64, y: f64, d: f64) -> Value {
    json!([[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]])
}

fn collection(features: Vec<(Value, Value)>) -> String {
    let features: Vec<Value> = features
        .into_iter()
        .map(|(props, coords)| {
            json!({"type": "Feature", "properties": props,
                   "geometry": {"type": "Polygon", "coordinates": coords}})
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features}).to_string()
}

fn has_ogr2ogr() -> bool {
    Command::new("ogr2ogr").arg("--version").output().is_ok()
}

fn ogr2ogr(args: &[&str]) {
    let o = Command::new("ogr2ogr").args(args).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Figures and record counts of a build of `cfg`.
fn figures(cfg: &Path, out: &Path) -> (Value, Value) {
    let o = run(&[
        "build",
        cfg.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert!(
        o.status.success(),
        "{}\n{}",
        stderr(&o),
        std::fs::read_to_string(cfg).unwrap()
    );
    let s = read_json(&out.join("summary.json"));
    (s["area_m2"].clone(), s["records"].clone())
}

fn init(dir: &Path, cfg: &Path) -> String {
    let o = run(&["init", dir.to_str().unwrap(), "-o", cfg.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::read_to_string(cfg).unwrap()
}

/// Fill the TODO lines as a user would: uncomment each and keep the value
/// `choose` gives for the line's key (`None`: the value offered).
fn fill(text: &str, choose: &dyn Fn(&str) -> Option<&'static str>) -> String {
    text.lines()
        .map(|l| {
            if !l.contains("# TODO:") || !l.starts_with("# ") {
                return l.to_string();
            }
            let line = &l[2..];
            let (key, rest) = line.split_once(" = ").unwrap();
            let value = rest.split("   #").next().unwrap();
            match choose(key) {
                Some(v) => format!("{key} = \"{v}\""),
                None => format!("{key} = {value}"),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// An IMSMA NG-style bundle: hazards and releases as shapefiles with the
/// joined HZ_/HR_ report columns (docs/imsma-fields.md), two values the
/// preset does not know, and a release after the others.
fn ng_bundle(dir: &Path) {
    let mut hz = Vec::new();
    let statuses = ["Active", "Worked On", "Expired", "Suspended"];
    let classes = [
        "Suspected Hazardous Area",
        "Confirmed Hazardous Area",
        "Minefield",
    ];
    for i in 0..12 {
        let x = 20.0 + (i % 4) as f64 * 0.01;
        let y = 10.0 + (i / 4) as f64 * 0.01;
        hz.push((
            json!({"HZ_Hazardl": format!("HZ-{i:03}"), "HZ_TypeofH": classes[i % 3],
                   "HZ_Status": statuses[i % 4], "HZ_Typeo_1": "AP Mine, UXO",
                   "HZ_HazardA": 1000.0 + i as f64, "HZ_Provinc": "North"}),
            square(x, y, 0.008),
        ));
    }
    let outcomes = [
        "NonTechSurvey",
        "TechnicalSurvey",
        "Clearance",
        "ProgressReport",
    ];
    let mut hr = Vec::new();
    for i in 0..8 {
        let x = 20.0 + (i % 4) as f64 * 0.01 + 0.002;
        let y = 10.0 + (i / 4) as f64 * 0.01 + 0.002;
        hr.push((
            json!({"HR_HazardR": format!("HR-{i:03}"), "HR_TypeofH": outcomes[i % 4],
                   "HR_HREndda": format!("2023-0{}-15", 1 + i % 9), "HR_Areasiz": 20.0,
                   "HZ_Hazardl": format!("HZ-{i:03}")}),
            square(x, y, 0.003),
        ));
    }
    let src = dir.join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("h.geojson"), collection(hz)).unwrap();
    std::fs::write(src.join("r.geojson"), collection(hr)).unwrap();
    let export = dir.join("export");
    std::fs::create_dir_all(&export).unwrap();
    for (from, to) in [("h", "Hazards_polygon"), ("r", "Hazard_Reductions_polygon")] {
        ogr2ogr(&[
            export.join(format!("{to}.shp")).to_str().unwrap(),
            src.join(format!("{from}.geojson")).to_str().unwrap(),
        ]);
    }
}

/// An IMSMA Core-style GeoPackage: hazards and activities in one file.
fn core_bundle(dir: &Path) -> PathBuf {
    let mut hz = Vec::new();
    let statuses = ["open", "Pending", "closed"];
    for i in 0..9 {
        let x = 30.0 + (i % 3) as f64 * 0.01;
        let y = 5.0 + (i / 3) as f64 * 0.01;
        hz.push((
            json!({"imsma_id": format!("hazard_poly_{i}"), "hazard_type": "Suspected",
                   "status_ha": statuses[i % 3], "eo_mine_type": "anti_personnel",
                   "admin1": "East", "reported_area": 500.0}),
            square(x, y, 0.008),
        ));
    }
    let mut acts = Vec::new();
    for i in 0..6 {
        let x = 30.0 + (i % 3) as f64 * 0.01 + 0.001;
        let y = 5.0 + (i / 3) as f64 * 0.01 + 0.001;
        acts.push((
            json!({"imsma_id": format!("activity_{i}"), "imsma_links": format!("hazard_poly_{i}, accident_2"),
                   "activity_type": if i % 2 == 0 { "Clearance" } else { "Technical Survey" },
                   "end_date": format!("2024-1{}-01", i % 3)}),
            square(x, y, 0.004),
        ));
    }
    let src = dir.join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("hazards.geojson"), collection(hz)).unwrap();
    std::fs::write(src.join("activities.geojson"), collection(acts)).unwrap();
    let export = dir.join("export");
    std::fs::create_dir_all(&export).unwrap();
    let gpkg = export.join("core.gpkg");
    ogr2ogr(&[
        gpkg.to_str().unwrap(),
        src.join("hazards.geojson").to_str().unwrap(),
        "-nln",
        "hazard_area",
    ]);
    ogr2ogr(&[
        "-update",
        gpkg.to_str().unwrap(),
        src.join("activities.geojson").to_str().unwrap(),
        "-nln",
        "land_release_activity",
    ]);
    export
}

#[test]
fn init_on_an_ng_bundle_builds_once_its_todos_are_filled() {
    if !has_ogr2ogr() {
        eprintln!("skipped: no ogr2ogr");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    ng_bundle(dir.path());
    let export = dir.path().join("export");
    let cfg = dir.path().join("clearmap.toml");
    let text = init(&export, &cfg);
    assert!(text.contains("preset = \"imsma-ng-gis\""), "{text}");
    assert!(
        text.contains("path = \"export/Hazards_polygon.shp\""),
        "{text}"
    );
    assert!(
        text.contains("\"Active\" = \"open\"   # 3 records"),
        "{text}"
    );
    assert!(
        text.contains("# \"Suspended\" = \"open|worked_on|closed\"   # TODO: 3 records"),
        "{text}"
    );
    assert!(
        text.contains("# \"ProgressReport\" = \"cancelled|reduced|cleared\"   # TODO: 2 records"),
        "{text}"
    );
    assert!(text.contains("hazard_ids = \"HZ_Hazardl\""), "{text}");
    assert!(text.contains("# as_of = \"2023-08-15\""), "{text}");
    // The records lie in Chad (20°E 10°N): the country is set, and the build
    // checks every record against it.
    assert!(text.contains("\ncountry = \"TCD\"   # where "), "{text}");
    // Unfilled, the build says what is missing; filled, it builds.
    let o = run(&["validate", cfg.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let filled = fill(&text, &|key| match key {
        "\"Suspended\"" => Some("worked_on"),
        "\"ProgressReport\"" => Some("reduced"),
        _ => None,
    });
    std::fs::write(&cfg, &filled).unwrap();
    let by_init = figures(&cfg, &dir.path().join("out-init"));

    let hand = dir.path().join("hand.toml");
    std::fs::write(
        &hand,
        r#"
[[source]]
path = "export/Hazards_polygon.shp"
role = "hazard"
preset = "imsma-ng-gis"
[source.values.status]
Suspended = "worked_on"

[[source]]
path = "export/Hazard_Reductions_polygon.shp"
role = "release"
preset = "imsma-ng-gis"
[source.values.outcome]
ProgressReport = "reduced"
"#,
    )
    .unwrap();
    let by_hand = figures(&hand, &dir.path().join("out-hand"));
    assert_eq!(by_init, by_hand);
    assert!(by_hand.0["reduced"].as_f64().unwrap() > 0.0);
}

#[test]
fn init_on_a_core_geopackage_finds_both_layers() {
    if !has_ogr2ogr() {
        eprintln!("skipped: no ogr2ogr");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let export = core_bundle(dir.path());
    let cfg = export.join("clearmap.toml");
    let text = init(&export, &cfg);
    assert!(
        text.contains("layer = \"hazard_area\"\nrole = \"hazard\"\npreset = \"imsma-core\""),
        "{text}"
    );
    assert!(
        text.contains(
            "layer = \"land_release_activity\"\nrole = \"release\"\npreset = \"imsma-core\""
        ),
        "{text}"
    );
    assert!(text.contains("hazard_ids = \"imsma_links\""), "{text}");
    assert!(
        text.contains("\"Technical Survey\" = \"reduced\""),
        "{text}"
    );
    assert!(
        text.contains("# \"Pending\" = \"open|worked_on|closed\"   # TODO: 3 records"),
        "{text}"
    );
    // A second init does not overwrite without --force.
    let o = run(&[
        "init",
        export.to_str().unwrap(),
        "-o",
        cfg.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    let filled = fill(&text, &|key| (key == "\"Pending\"").then_some("open"));
    std::fs::write(&cfg, &filled).unwrap();
    let by_init = figures(&cfg, &dir.path().join("out-init"));
    let hand = export.join("hand.toml");
    std::fs::write(
        &hand,
        r#"
[[source]]
path = "core.gpkg"
layer = "hazard_area"
role = "hazard"
preset = "imsma-core"
[source.values.status]
Pending = "open"

[[source]]
path = "core.gpkg"
layer = "land_release_activity"
role = "release"
preset = "imsma-core"
"#,
    )
    .unwrap();
    assert_eq!(by_init, figures(&hand, &dir.path().join("out-hand")));
}

#[test]
fn init_on_the_example_gives_its_figures() {
    let dir = tempfile::tempdir().unwrap();
    for f in ["hazards.geojson", "releases.geojson"] {
        std::fs::copy(repo().join("data/example").join(f), dir.path().join(f)).unwrap();
    }
    let cfg = dir.path().join("clearmap.toml");
    let text = init(dir.path(), &cfg);
    assert!(!text.contains("# TODO:"), "{text}");
    // The reporting period is the user's choice: the example's.
    let text = text.replace("# as_of = \"", "as_of = \"2025-12-31\" # was \"");
    std::fs::write(&cfg, text).unwrap();
    let by_init = figures(&cfg, &dir.path().join("out-init"));
    let example = figures(
        &repo().join("data/example/clearmap.toml"),
        &dir.path().join("out-example"),
    );
    assert_eq!(by_init, example);
}

#[test]
fn describe_marks_preset_columns_and_counts_values() {
    let o = run(&[
        "describe",
        repo().join("data/example").to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let d: Value = serde_json::from_slice(&o.stdout).unwrap();
    let hz = &d["files"][0]["layers"][0];
    assert_eq!(hz["features"], 304);
    assert_eq!(hz["fit"]["role"], "hazard");
    assert_eq!(hz["fit"]["preset"], "imsma-ng-gis");
    let status = hz["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "HZ_Status")
        .unwrap();
    assert_eq!(
        status["values"][0],
        json!({"value": "Active", "count": 208})
    );
    assert!(status["used_by"]
        .as_array()
        .unwrap()
        .contains(&json!("imsma-ng-gis hazard.status")));
    let o = run(&[
        "describe",
        repo()
            .join("data/example/hazards.geojson")
            .to_str()
            .unwrap(),
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("208  Active"), "{text}");
}

/// The printed TOML with the sample's paths, without the field lines of
/// columns the sample lacks.
fn printed_as_config(preset: &str, hazards: &Path, releases: &Path, lacking: &[&str]) -> String {
    let o = run(&["presets", preset]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(!text.contains("\npreset ="), "{text}");
    text.replace(
        "\"hazards.geojson\"",
        &format!("{:?}", hazards.display().to_string()),
    )
    .replace(
        "\"releases.geojson\"",
        &format!("{:?}", releases.display().to_string()),
    )
    .lines()
    .filter(|l| !lacking.iter().any(|c| l.contains(&format!("= \"{c}\""))))
    .collect::<Vec<_>>()
    .join("\n")
}

#[test]
fn a_printed_preset_maps_as_the_preset_does() {
    let dir = tempfile::tempdir().unwrap();
    // IMSMA NG: the example (its releases lack HR_Provinc).
    let ex = repo().join("data/example");
    let (h, r) = (ex.join("hazards.geojson"), ex.join("releases.geojson"));
    let printed = dir.path().join("printed.toml");
    std::fs::write(
        &printed,
        printed_as_config("imsma-ng-gis", &h, &r, &["HR_Provinc"]),
    )
    .unwrap();
    let with_preset = dir.path().join("preset.toml");
    std::fs::write(
        &with_preset,
        format!(
            "[[source]]\npath = {:?}\nrole = \"hazard\"\npreset = \"imsma-ng-gis\"\n[[source]]\npath = {:?}\nrole = \"release\"\npreset = \"imsma-ng-gis\"\n",
            h.display().to_string(),
            r.display().to_string()
        ),
    )
    .unwrap();
    let a = figures(&printed, &dir.path().join("a"));
    let b = figures(&with_preset, &dir.path().join("b"));
    assert_eq!(a, b);
    assert!(a.0["cleared"].as_f64().unwrap() > 0.0);

    // IMSMA Core: every first-choice column, spellings of the vocabulary.
    let mut hz = Vec::new();
    let classes = ["Suspected Hazardous Area", "Minefield", "EOD Spot"];
    let statuses = ["Active", "Expired", "In Progress"];
    for i in 0..9 {
        hz.push((
            json!({"imsma_id": format!("hazard_{i}"), "imsma_links": "", "hazard_type": classes[i % 3],
                   "status_ha": statuses[i % 3], "eo_mine_type": "AT Mine; Cluster munition",
                   "governorate_name": "G", "reported_area": 10.0, "end_date": "", "activity_type": ""}),
            square(40.0 + (i % 3) as f64 * 0.01, (i / 3) as f64 * 0.01, 0.008),
        ));
    }
    let mut rel = Vec::new();
    let outcomes = ["NTS", "TechnicalSurvey", "BAC", "Completion Report"];
    for i in 0..8 {
        rel.push((
            json!({"imsma_id": format!("act_{i}"), "imsma_links": format!("hazard_{i}"), "hazard_type": "",
                   "status_ha": "", "eo_mine_type": "", "governorate_name": "G", "reported_area": 3.0,
                   "end_date": "2022-03-01", "activity_type": outcomes[i % 4]}),
            square(40.002 + (i % 3) as f64 * 0.01, 0.002 + (i / 3) as f64 * 0.01, 0.004),
        ));
    }
    let (h, r) = (
        dir.path().join("core_h.geojson"),
        dir.path().join("core_r.geojson"),
    );
    std::fs::write(&h, collection(hz)).unwrap();
    std::fs::write(&r, collection(rel)).unwrap();
    std::fs::write(&printed, printed_as_config("imsma-core", &h, &r, &[])).unwrap();
    std::fs::write(
        &with_preset,
        format!(
            "[[source]]\npath = {:?}\nrole = \"hazard\"\npreset = \"imsma-core\"\n[[source]]\npath = {:?}\nrole = \"release\"\npreset = \"imsma-core\"\n",
            h.display().to_string(),
            r.display().to_string()
        ),
    )
    .unwrap();
    let a = figures(&printed, &dir.path().join("c"));
    let b = figures(&with_preset, &dir.path().join("d"));
    assert_eq!(a, b);
    assert!(a.0["reduced"].as_f64().unwrap() > 0.0);
}
