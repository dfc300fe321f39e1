//! The GeoJSON reader against GDAL: every GeoJSON file the tests, fixtures,
//! examples and fuzz seeds hold, and small cases made for the rules the reader
//! repeats, read both ways; batches (or errors) and diagnostics must match.

use crate::diagnostics::Diagnostics;
use crate::ingest::{read_with, IngestConfig, Limits, Reader, SourceConfig};
use crate::model::Role;
use std::path::{Path, PathBuf};

/// The sources of a test and the rest of ingest's part of a config.
struct Inputs {
    sources: Vec<SourceConfig>,
    limits: Limits,
    country: Option<String>,
    base_dir: PathBuf,
    config_path: Option<PathBuf>,
}

impl Inputs {
    /// Hazard sources with canonical names, as the zero-config form reads them.
    fn hazards(country: Option<&str>, paths: &[PathBuf]) -> Inputs {
        Inputs {
            sources: paths
                .iter()
                .map(|p| SourceConfig::new(p.clone(), Role::Hazard))
                .collect(),
            limits: Limits::default(),
            country: country.map(str::to_string),
            base_dir: PathBuf::from("."),
            config_path: None,
        }
    }

    /// The `[[source]]`s and `country` of a config file.
    fn load(path: &Path) -> Inputs {
        let table: toml::Table = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        Inputs {
            sources: table["source"].clone().try_into().unwrap(),
            limits: Limits::default(),
            country: table
                .get("country")
                .and_then(|c| c.as_str())
                .map(str::to_string),
            base_dir: path.parent().unwrap().to_path_buf(),
            config_path: Some(path.to_path_buf()),
        }
    }

    fn cfg(&self) -> IngestConfig<'_> {
        IngestConfig {
            sources: &self.sources,
            limits: self.limits,
            country: self.country.as_deref(),
            base_dir: &self.base_dir,
            config_path: self.config_path.as_deref(),
            progress: crate::progress::Progress::none(),
        }
    }
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Read a source both ways; panic at the first difference. Returns whether
/// the pure-Rust reader read it.
fn compare(cfg: &IngestConfig, source: &SourceConfig, what: &str) -> bool {
    let fast = super::read(cfg, source, &mut Diagnostics::default()).is_some();
    let mut gdal_diags = Diagnostics::default();
    let gdal = read_with(cfg, source, &mut gdal_diags, Reader::Gdal);
    let mut auto_diags = Diagnostics::default();
    let auto = read_with(cfg, source, &mut auto_diags, Reader::Auto);
    match (&gdal, &auto) {
        (Ok(g), Ok(a)) => {
            let head = |b: &super::SourceBatch| {
                format!(
                    "{:?} {:?} {} {} {} {}",
                    b.role,
                    b.path,
                    b.driver,
                    b.clockwise_convention,
                    b.max_vertices,
                    b.records.len()
                )
            };
            assert_eq!(head(g), head(a), "{what}: batch");
            for (rg, ra) in g.records.iter().zip(&a.records) {
                assert_eq!(format!("{rg:?}"), format!("{ra:?}"), "{what}: record");
            }
        }
        _ => assert_eq!(
            format!("{:?}", gdal.as_ref().err()),
            format!("{:?}", auto.as_ref().err()),
            "{what}: errors"
        ),
    }
    let (g, a) = (gdal_diags.items(), auto_diags.items());
    for (dg, da) in g.iter().zip(a) {
        assert_eq!(dg, da, "{what}: diagnostic");
    }
    assert_eq!(g.len(), a.len(), "{what}: diagnostics {g:#?} vs {a:#?}");
    fast
}

fn compare_file(path: &Path) -> bool {
    let inputs = Inputs::hazards(Some("KHM"), &[path.to_path_buf()]);
    compare(
        &inputs.cfg(),
        &inputs.sources[0],
        &path.display().to_string(),
    )
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>, all: bool) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files_under(&p, out, all);
        } else if all || p.extension().is_some_and(|e| e == "geojson" || e == "json") {
            out.push(p);
        }
    }
}

#[test]
fn same_as_gdal_on_the_files_of_the_tests_and_examples() {
    let root = repo();
    let mut files = Vec::new();
    for dir in ["tests/bad", "tests/fixtures", "tests/cases", "data/example"] {
        files_under(&root.join(dir), &mut files, false);
    }
    // Seeds of the fuzz target, whatever their names.
    let mut seeds = Vec::new();
    files_under(&root.join("fuzz/corpus/geojson"), &mut seeds, true);
    // Each seed as a .geojson file, as the fuzz target writes it.
    let dir = tempfile::tempdir().unwrap();
    for s in &seeds {
        let copy = dir.path().join(format!(
            "{}.geojson",
            s.file_stem().unwrap().to_string_lossy()
        ));
        std::fs::copy(s, &copy).unwrap();
        files.push(copy);
    }
    assert!(files.len() > 30, "{files:?}");
    let mut fast = Vec::new();
    for f in &files {
        if compare_file(f) {
            fast.push(f.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    // The configs, with their mappings.
    for cfg in [
        "data/example/clearmap.toml",
        "tests/cases/ogc-difference-lost-land/clearmap.toml",
    ] {
        let inputs = Inputs::load(&root.join(cfg));
        for s in &inputs.sources {
            if compare(&inputs.cfg(), s, &s.path.display().to_string()) {
                fast.push(s.path.display().to_string());
            }
        }
    }
    // The common case must take the fast path, or this test proves nothing.
    for expected in [
        "good.geojson",
        "hazard.geojson",
        "hazards.geojson",
        "releases.geojson",
    ] {
        assert!(
            fast.iter().any(|f| f.ends_with(expected)),
            "{expected} not read by the fast path: {fast:?}"
        );
    }
}

/// Small cases, each a file of a few features: (name, features, whether the
/// fast path must take it).
fn cases() -> Vec<(&'static str, String, bool)> {
    let sq = |x: f64, y: f64| {
        format!(
            r#"{{"type":"Polygon","coordinates":[[[{x},{y}],[{x1},{y}],[{x1},{y1}],[{x},{y1}],[{x},{y}]]]}}"#,
            x1 = x + 0.001,
            y1 = y + 0.001
        )
    };
    let f = |props: &str, geom: &str| {
        format!(r#"{{"type":"Feature","properties":{props},"geometry":{geom}}}"#)
    };
    let fc = |features: Vec<String>| {
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            features.join(",\n")
        )
    };
    let g = sq(104.9, 11.5);
    vec![
        (
            "mixed-int-real",
            fc(vec![
                f(r#"{"id":"A","area_reported_m2":1}"#, &g),
                f(r#"{"id":"B","area_reported_m2":2.5}"#, &g),
                f(r#"{"id":"C","area_reported_m2":-3e2}"#, &g),
            ]),
            true,
        ),
        (
            "string-with-numbers",
            fc(vec![
                f(r#"{"id":"007","region":12,"classification":"1"}"#, &g),
                f(r#"{"id":12,"region":"North","classification":"CHA"}"#, &g),
                f(
                    r#"{"id":"3000000000","region":null,"classification":"sha"}"#,
                    &g,
                ),
            ]),
            true,
        ),
        (
            "integers",
            fc(vec![
                f(r#"{"id":1,"area_reported_m2":3000000000}"#, &g),
                f(r#"{"id":-2,"area_reported_m2":7}"#, &g),
            ]),
            true,
        ),
        (
            "null-properties",
            fc(vec![
                f("null", &g),
                f(r#"{"id":null,"status":"closed"}"#, &g),
                f(r#"{"status":null}"#, &g),
                f(r#"{}"#, &g),
                r#"{"type":"Feature","geometry":null}"#.to_string(),
            ]),
            true,
        ),
        (
            "z-coordinates",
            fc(vec![
                f(
                    r#"{"id":"Z"}"#,
                    r#"{"type":"Polygon","coordinates":[[[104.9,11.5,3],[104.91,11.5,4],[104.91,11.51,5],[104.9,11.5,3]]]}"#,
                ),
                f(
                    r#"{"id":"P"}"#,
                    r#"{"type":"Point","coordinates":[104.9,11.5,7.5]}"#,
                ),
            ]),
            true,
        ),
        (
            "empty-geometry",
            fc(vec![
                f(
                    r#"{"id":"E"}"#,
                    r#"{"type":"MultiPolygon","coordinates":[]}"#,
                ),
                f(r#"{"id":"N"}"#, "null"),
                f(r#"{"id":"G"}"#, &g),
            ]),
            true,
        ),
        (
            "multipolygon-holes",
            fc(vec![f(
                r#"{"id":"M","classification":"CHA","status":"open"}"#,
                r#"{"type":"MultiPolygon","coordinates":[[[[104.9,11.5],[104.92,11.5],[104.92,11.52],[104.9,11.52],[104.9,11.5]],[[104.905,11.505],[104.905,11.51],[104.91,11.51],[104.905,11.505]]],[[[105.0,11.6],[105.01,11.6],[105.01,11.61],[105.0,11.6]]]]}"#,
            )]),
            true,
        ),
        (
            "few-outside-lon-lat",
            fc(vec![
                f(r#"{"id":"1"}"#, &g),
                f(r#"{"id":"2"}"#, &sq(104.95, 11.55)),
                f(r#"{"id":"3"}"#, &sq(500000.0, 1300000.0)),
            ]),
            true,
        ),
        (
            "most-outside-lon-lat",
            fc(vec![
                f(r#"{"id":"1"}"#, &g),
                f(r#"{"id":"2"}"#, &sq(500000.0, 1300000.0)),
                f(r#"{"id":"3"}"#, &sq(500100.0, 1300100.0)),
            ]),
            true,
        ),
        (
            "swapped",
            fc(vec![f(r#"{"id":"1"}"#, &sq(11.5, 104.9))]),
            true,
        ),
        (
            "dates-and-values",
            fc(vec![
                f(
                    r#"{"id":"D1","date":"2021-03-04","status":"Active","contamination":"AP Mine, uxo"}"#,
                    &g,
                ),
                f(r#"{"id":"D2","date":"2020-02-29","status":"closed"}"#, &g),
            ]),
            true,
        ),
        (
            "dates-as-text",
            fc(vec![
                f(r#"{"id":"T1","date":"2021-03-04"}"#, &g),
                f(r#"{"id":"T2","date":"unknown"}"#, &g),
                f(r#"{"id":"T3","date":44259}"#, &g),
            ]),
            true,
        ),
        (
            "unicode-and-replacement-character",
            fc(vec![
                f(r#"{"id":"Ü\u00e9","region":"Bảo Lộc"}"#, &g),
                f(r#"{"id":"X","region":"bad \ufffd byte"}"#, &g),
            ]),
            true,
        ),
        (
            "points",
            fc(vec![
                f(
                    r#"{"id":"P1"}"#,
                    r#"{"type":"Point","coordinates":[104.9,11.5]}"#,
                ),
                f(
                    r#"{"id":"P2"}"#,
                    r#"{"coordinates":[-0.0,1e-3],"type":"Point"}"#,
                ),
            ]),
            true,
        ),
        (
            "numbers-as-written",
            fc(vec![f(
                r#"{"id":"R","area_reported_m2":0.30000000000000004}"#,
                r#"{"type":"Polygon","coordinates":[[[104.90000000000001,11.5],[104.9000000000000057,11.5000000001],[104.91,11.51],[104.90000000000001,11.5]]]}"#,
            )]),
            true,
        ),
        // Left to GDAL: the results must still match.
        (
            "mixed-string-real",
            fc(vec![
                f(r#"{"id":"A","region":1.5}"#, &g),
                f(r#"{"id":"B","region":"North"}"#, &g),
            ]),
            false,
        ),
        (
            "date-like-text",
            fc(vec![f(r#"{"id":"A","date":"2021/3/4"}"#, &g)]),
            false,
        ),
        (
            "huge-string",
            fc(vec![f(
                &format!(r#"{{"id":"{}"}}"#, "x".repeat(10_500_000)),
                &g,
            )]),
            false,
        ),
        (
            "invalid-calendar-date",
            fc(vec![f(r#"{"id":"A","date":"2021-02-29"}"#, &g)]),
            false,
        ),
        (
            "unclosed-ring",
            fc(vec![f(
                r#"{"id":"U"}"#,
                r#"{"type":"Polygon","coordinates":[[[104.9,11.5],[104.91,11.5],[104.91,11.51],[104.9,11.51]]]}"#,
            )]),
            false,
        ),
        (
            "feature-ids",
            fc(vec![
                r#"{"type":"Feature","id":"x1","properties":{},"geometry":null}"#.into(),
            ]),
            false,
        ),
        (
            "booleans",
            fc(vec![f(r#"{"id":"B","flag":true}"#, &g)]),
            false,
        ),
        (
            "linestring",
            fc(vec![f(
                r#"{"id":"L"}"#,
                r#"{"type":"LineString","coordinates":[[104.9,11.5],[104.91,11.5]]}"#,
            )]),
            false,
        ),
    ]
}

#[test]
fn same_as_gdal_on_small_cases() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text, must_be_fast) in cases() {
        let path = dir.path().join(format!("{name}.geojson"));
        std::fs::write(&path, &text).unwrap();
        assert_eq!(
            compare_file(&path),
            must_be_fast,
            "{name}: fast path taken?"
        );
    }
}

#[test]
fn same_as_gdal_with_names_layers_crs_and_limits() {
    let dir = tempfile::tempdir().unwrap();
    let feature = r#"{"type":"Feature","properties":{"id":"A","outcome":"cleared"},"geometry":{"type":"Polygon","coordinates":[[[104.9,11.5],[104.91,11.5],[104.91,11.51],[104.9,11.51],[104.9,11.5]]]}}"#;
    let text = format!(
        r#"{{"type":"FeatureCollection","name":"Hazards_polygon","crs":{{"type":"name","properties":{{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}}}},"features":[{feature},{feature}]}}"#
    );
    let path = dir.path().join("named.json");
    std::fs::write(&path, text).unwrap();
    let mut cfg = Inputs::hazards(None, &[path.clone(), path.clone()]);
    cfg.sources[1].role = Role::Release;
    assert!(compare(&cfg.cfg(), &cfg.sources[0], "named"));
    assert!(compare(&cfg.cfg(), &cfg.sources[1], "named, release"));
    // The layer named as GDAL names it; another name is GDAL's error.
    cfg.sources[0].layer = Some("Hazards_polygon".into());
    assert!(compare(&cfg.cfg(), &cfg.sources[0], "layer named"));
    cfg.sources[0].layer = Some("named".into());
    assert!(!compare(&cfg.cfg(), &cfg.sources[0], "another layer"));
    cfg.sources[0].layer = None;
    // The vertex limit.
    cfg.limits.max_vertices = 4;
    assert!(compare(&cfg.cfg(), &cfg.sources[0], "too many vertices"));
    // The file-size limit comes first, as for GDAL.
    cfg.limits.max_file_mb = 0;
    assert!(compare(&cfg.cfg(), &cfg.sources[0], "file too large"));
    cfg.limits = Default::default();
    // A crs in the config is left to GDAL.
    cfg.sources[0].crs = Some("EPSG:4326".into());
    assert!(!compare(&cfg.cfg(), &cfg.sources[0], "config crs"));
}
