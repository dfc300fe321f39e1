//! Ingest on real files: one hazard in every format, the CRS cases, the IMSMA
//! NG point template and the presets. Binary fixtures are built once per run by
//! tests/fixtures/make-fixtures.sh (ogr2ogr) from the text fixtures beside it.

use crate::assert_close;
use crate::common::*;
use clearmap::config::Config;
use clearmap::diagnostics::{Code, Diagnostics};
use clearmap::ingest::{self, RawGeometry};
use clearmap::model::{Classification, Hazard, Outcome, Release, Status};
use clearmap::normalize;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The 100 m UTM 48N square (500000..500100, 1400000..1400100) in lon/lat:
/// pyproj's Geod gives 10008.00480211195 m² (see geometry::geodesic_area's tests).
const SQUARE_M2: f64 = 10_008.004_802_111_95;

fn fixtures() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("clearmap-ingest-fixtures")
            .tempdir()
            .unwrap()
            .keep();
        let o = std::process::Command::new(repo().join("tests/fixtures/make-fixtures.sh"))
            .arg(&dir)
            .output()
            .expect("make-fixtures.sh runs (needs gdal-bin)");
        assert!(
            o.status.success(),
            "make-fixtures.sh: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        dir
    })
}

/// A config beside the fixtures (paths relative to them), under a unique name.
fn config(name: &str, toml: &str) -> clearmap::error::Result<Config> {
    let p = fixtures().join(format!("{name}.toml"));
    std::fs::write(&p, toml).unwrap();
    Ok(Config::load(&p)?)
}

struct Read {
    hazards: Vec<Hazard>,
    releases: Vec<Release>,
    diagnostics: Diagnostics,
}

fn read(name: &str, toml: &str) -> Read {
    let cfg = config(name, toml).unwrap_or_else(|e| panic!("{name}: {e}"));
    let n = normalize::normalize(ingest::ingest(&cfg).unwrap_or_else(|e| panic!("{name}: {e}")));
    Read {
        hazards: n.hazards,
        releases: n.releases,
        diagnostics: n.diagnostics,
    }
}

fn codes(d: &Diagnostics, code: Code) -> Vec<String> {
    d.items()
        .iter()
        .filter(|x| x.code == code)
        .map(|x| {
            format!(
                "{}: {} {:?}",
                x.record.as_ref().map(|r| r.to_string()).unwrap_or_default(),
                x.message,
                x.fix
            )
        })
        .collect()
}

fn hazard_source(path: &str, extra: &str) -> String {
    format!("[[source]]\npath = \"{path}\"\nrole = \"hazard\"\n{extra}\n")
}

#[test]
fn same_hazard_from_every_format_has_the_same_area() {
    let shp_fields = "[source.fields]\nclassification = \"classifica\"";
    let cases: [(&str, &str, String); 9] = [
        ("geojson", "hazard.geojson", String::new()),
        ("fgdb", "hazard.gdb", String::new()),
        ("shp", "hazard.shp", shp_fields.into()),
        ("zip", "hazard-zipped.shp.zip", shp_fields.into()),
        ("gpkg", "hazard.gpkg", String::new()),
        ("kml", "hazard.kml", "[source.fields]\nid = \"id\"".into()),
        ("csv-semicolon", "hazard-wkt.csv", String::new()),
        ("csv-bom", "hazard-bom.csv", String::new()),
        (
            "csv-1252",
            "hazard-cp1252.csv",
            "encoding = \"windows-1252\"".into(),
        ),
    ];
    for (name, path, extra) in cases {
        let r = read(&format!("format-{name}"), &hazard_source(path, &extra));
        assert_eq!(r.hazards.len(), 1, "{name}: {:?}", r.diagnostics.items());
        let h = &r.hazards[0];
        let area = a(&h.geometry);
        assert!(close(area, SQUARE_M2, 1e-9), "{name}: {area} m²");
        assert_eq!(h.id, "HZ-001", "{name}");
        assert_eq!(h.status, Status::Open, "{name}");
        if name != "kml" {
            // KML keeps only name/description-like fields reliably.
            assert_eq!(h.classification, Classification::Sha, "{name}");
        }
        assert!(
            codes(&r.diagnostics, Code::InvalidEncoding).is_empty(),
            "{name}"
        );
    }
}

#[test]
fn windows_1252_csv_is_read_with_encoding_and_reported_without() {
    let r = read(
        "cp1252-with",
        &hazard_source("hazard-cp1252.csv", "encoding = \"windows-1252\""),
    );
    assert_eq!(r.hazards[0].region.as_deref(), Some("Bantéay Méanchey"));
    let r = read("cp1252-without", &hazard_source("hazard-cp1252.csv", ""));
    let enc = codes(&r.diagnostics, Code::InvalidEncoding);
    assert_eq!(enc.len(), 1, "{enc:?}");
    assert!(
        enc[0].contains("encoding = \\\"windows-1252\\\""),
        "{enc:?}"
    );
    // The geometry is unaffected: the hazard is still measured.
    assert_close!(a(&r.hazards[0].geometry), SQUARE_M2, 1e-9);
}

#[test]
fn csv_points_from_configured_xy_columns() {
    let cfg = config(
        "csv-xy",
        &hazard_source("points-xy.csv", "x = \"Xcoord\"\ny = \"Ycoord\""),
    )
    .unwrap();
    let ing = ingest::ingest(&cfg).unwrap();
    let recs = &ing.batches[0].records;
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[1].attrs.id.as_deref(), Some("PT-2"));
    assert_eq!(recs[1].attrs.status, Some(Status::Closed));
    match &recs[0].geometry {
        RawGeometry::Geo(geo::Geometry::Point(p)) => {
            assert_eq!((p.x(), p.y()), (105.5, 12.5));
        }
        g => panic!("{g:?}"),
    }
}

#[test]
fn csv_without_a_geometry_column_names_the_options() {
    let err = config("csv-nogeom", &hazard_source("points-xy.csv", ""))
        .and_then(|c| Ok(ingest::ingest(&c).map(|_| ())?))
        .unwrap_err();
    let m = err.to_string();
    assert!(m.contains("wkt = ") && m.contains("x = "), "{m}");
    assert_eq!(err.exit_code(), 2);
}

#[test]
fn utm_48n_shapefile_is_reprojected() {
    let r = read("utm48n", &hazard_source("utm48n.shp", ""));
    let h = &r.hazards[0];
    assert_eq!(h.id, "HZ-UTM");
    assert_close!(a(&h.geometry), SQUARE_M2, 1e-9);
    let first = h.geometry.0[0].exterior().0[0];
    assert!(
        (first.x - 105.0).abs() < 1e-6 && (first.y - 12.6641878).abs() < 1e-6,
        "{first:?}"
    );
}

#[test]
fn indian_1960_utm_48n_shifts_the_datum() {
    let r = read("indian1960", &hazard_source("indian1960.shp", ""));
    let h = &r.hazards[0];
    // The same grid square on the Everest ellipsoid: same size to survey
    // accuracy, but moved by the datum shift (hundreds of metres).
    assert_close!(a(&h.geometry), SQUARE_M2, 1e-3);
    let c = h.geometry.0[0].exterior().0[0];
    let shift = ((c.x - 105.0).powi(2) + (c.y - 12.664_187_881).powi(2)).sqrt();
    assert!(
        shift > 1e-4 && shift < 1e-2,
        "datum shift {shift}° at {c:?}"
    );
}

#[test]
fn missing_prj_is_filled_by_crs_or_is_an_error_naming_it() {
    let r = read(
        "noprj-crs",
        &hazard_source("noprj.shp", "crs = \"EPSG:32648\""),
    );
    assert_close!(a(&r.hazards[0].geometry), SQUARE_M2, 1e-9);

    let toml = format!("country = \"KHM\"\n{}", hazard_source("noprj.shp", ""));
    let err = config("noprj-none", &toml)
        .and_then(|c| Ok(ingest::ingest(&c).map(|_| ())?))
        .unwrap_err();
    let m = err.to_string();
    assert!(m.contains("crs = \"EPSG:32648\""), "{m}");
    assert!(m.contains("noprj.shp"), "{m}");
    assert_eq!(err.exit_code(), 2);
}

fn points_config(path: &str, layer: &str) -> String {
    format!(
        "[[source]]\npath = \"{path}\"\n{layer}role = \"hazard\"\npreset = \"imsma-ng-points\"\ncrs = \"EPSG:32648\"\nattributes = \"points-attributes.csv\"\n"
    )
}

fn check_points(r: &Read, what: &str) {
    let by_id = |id: &str| r.hazards.iter().find(|h| h.id == id);
    let p1 = by_id("P1").unwrap_or_else(|| panic!("{what}: {:?}", r.diagnostics.items()));
    // Benchmark (500000, 1400000); A 100 m at 90° → (500100, 1400000); B 100 m
    // at 0° → (500100, 1400100); C 100 m at 270° → (500000, 1400100); D back at
    // the benchmark: the UTM square.
    assert_close!(a(&p1.geometry), SQUARE_M2, 1e-9);
    assert_eq!(p1.classification, Classification::Cha);
    assert_eq!(p1.region.as_deref(), Some("Pailin"));
    let p2 = by_id("P2").expect("P2");
    // 200 m further east the grid scale factor differs by ~1e-9: same area to 1e-6.
    assert_close!(a(&p2.geometry), SQUARE_M2, 1e-6);
    // Joined although the attributes table writes "P2 " (ids are trimmed).
    assert_eq!(p2.status, Status::Closed);
    assert!(by_id("P3").is_none());
    let unknown = codes(&r.diagnostics, Code::UnknownFromPoint);
    assert_eq!(unknown.len(), 1, "{what}: {unknown:?}");
    assert!(unknown[0].contains("PolyID P3 PointID J"), "{unknown:?}");
    assert!(unknown[0].contains("NOWHERE"), "{unknown:?}");
}

#[test]
fn point_template_from_csv() {
    let r = read("points-csv", &points_config("points.csv", ""));
    check_points(&r, "csv");
}

#[test]
fn point_template_from_xlsx_matches_csv() {
    let r = read(
        "points-xlsx",
        &points_config("points.xlsx", "layer = \"Points\"\n"),
    );
    check_points(&r, "xlsx");
    let c = read("points-csv2", &points_config("points.csv", ""));
    for (x, y) in r.hazards.iter().zip(&c.hazards) {
        assert_eq!(x.id, y.id);
        assert_close!(a(&x.geometry), a(&y.geometry), 1e-12);
    }
}

#[test]
fn point_template_needs_a_crs() {
    let toml =
        "[[source]]\npath = \"points.csv\"\nrole = \"hazard\"\npreset = \"imsma-ng-points\"\n";
    let m = config("points-nocrs", toml).unwrap_err().to_string();
    assert!(m.contains("crs = \"EPSG:"), "{m}");
}

const NG_HAZARDS: &str =
    "[[source]]\npath = \"Hazards_polygon.shp\"\nrole = \"hazard\"\npreset = \"imsma-ng-gis\"\n";
/// NG_HAZARDS' "Battle area" is in no vocabulary: the opt-out keeps it as
/// "other" with a warning instead of failing the build.
const NG_OPT_OUT: &str = "[source.values.classification]\n\"*\" = \"other\"\n";
const NG_RELEASES: &str = "[[source]]\npath = \"Hazard_Reductions_polygon.shp\"\nrole = \"release\"\npreset = \"imsma-ng-gis\"\n";

#[test]
fn ng_gis_preset_maps_fields_and_values() {
    let r = read("ng-gis", &format!("{NG_HAZARDS}{NG_OPT_OUT}{NG_RELEASES}"));
    let h = r
        .hazards
        .iter()
        .find(|h| h.id == "HZ-100")
        .expect("id trimmed");
    assert_eq!(h.classification, Classification::Sha);
    assert_eq!(h.status, Status::WorkedOn);
    assert_eq!(h.contamination, ["ap_mine"]);
    assert_eq!(h.area_reported_m2, Some(1234.5));
    assert_eq!(h.region.as_deref(), Some("Battambang"));
    assert_close!(a(&h.geometry), SQUARE_M2, 1e-9);
    let h2 = r.hazards.iter().find(|h| h.id == "HZ-101").unwrap();
    assert_eq!(h2.status, Status::Closed);
    assert_eq!(h2.classification, Classification::Other);
    let rel = &r.releases[0];
    assert_eq!(rel.id, "HR-1");
    assert_eq!(rel.outcome, Outcome::Reduced);
    // "44259" is Excel's serial for 2021-03-04.
    assert_eq!(rel.date, "2021-03-04".parse().ok());
    // The unmapped classification names the value and the line that maps it.
    let un = codes(&r.diagnostics, Code::UnmappedValue);
    assert_eq!(un.len(), 1, "{un:?}");
    assert!(
        un[0].contains("Battle area") && un[0].contains("[source.values.classification]"),
        "{un:?}"
    );
    assert!(
        un[0].contains("Hazards_polygon.shp layer Hazards_polygon fid 1 (id HZ-101)"),
        "{un:?}"
    );
}

#[test]
fn config_overrides_preset_fields_and_values() {
    let toml = format!(
        "{NG_HAZARDS}[source.fields]\nid = \"ObjectUID\"\n[source.values.status]\n\"Worked On\" = \"closed\"\n[source.values.classification]\n\"Battle area\" = \"CHA\"\n"
    );
    let r = read("ng-gis-override", &toml);
    let h = r.hazards.iter().find(|h| h.id == "c0a8-016e-1").unwrap();
    assert_eq!(h.status, Status::Closed);
    let h2 = r.hazards.iter().find(|h| h.id == "c0a8-016e-2").unwrap();
    assert_eq!(h2.classification, Classification::Cha);
    assert!(codes(&r.diagnostics, Code::UnmappedValue).is_empty());
}

#[test]
fn ambiguous_slash_date_names_date_format() {
    let gj = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"R1","outcome":"cleared","date":"04/03/2021"},"geometry":{"type":"Polygon","coordinates":[[[105.0,12.6642],[105.0004,12.6642],[105.0004,12.6646],[105.0,12.6646],[105.0,12.6642]]]}}]}"#;
    std::fs::write(fixtures().join("release-slash.geojson"), gj).unwrap();
    let base = format!(
        "{}[[source]]\npath = \"release-slash.geojson\"\nrole = \"release\"\n",
        hazard_source("hazard.geojson", "")
    );
    let r = read("date-ambiguous", &base);
    assert_eq!(r.releases[0].date, None);
    let d = codes(&r.diagnostics, Code::InvalidDate);
    assert!(d.len() == 1 && d[0].contains("date_format"), "{d:?}");
    let r = read(
        "date-format",
        &format!("{base}date_format = \"%d/%m/%Y\"\n"),
    );
    assert_eq!(r.releases[0].date, "2021-03-04".parse().ok());
}

#[test]
fn validate_table_shows_code_count_and_first_record() {
    let cfg = fixtures().join("ng-gis-validate.toml");
    std::fs::write(&cfg, format!("{NG_HAZARDS}{NG_OPT_OUT}")).unwrap();
    let o = std::process::Command::new(bin())
        .args(["validate", cfg.to_str().unwrap()])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    let line = out
        .lines()
        .find(|l| l.starts_with("UNMAPPED_VALUE"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(line.contains(" 1 "), "{line}");
    assert!(
        line.contains("Hazards_polygon.shp layer Hazards_polygon fid 1 (id HZ-101)"),
        "{line}"
    );
}

#[test]
fn imsma_core_links_keep_hazard_ids_only() {
    let gj = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"imsma_id":"activity_7","imsma_links":"hazard_poly_145, accident_2,device_4222 , hazard_poly_146","activity_type":"Cancellation report","end_date":1614816000000},"geometry":{"type":"Polygon","coordinates":[[[105.0,12.6642],[105.0004,12.6642],[105.0004,12.6646],[105.0,12.6646],[105.0,12.6642]]]}}]}"#;
    std::fs::write(fixtures().join("core-release.geojson"), gj).unwrap();
    let toml = format!(
        "{}[[source]]\npath = \"core-release.geojson\"\nrole = \"release\"\npreset = \"imsma-core\"\n",
        hazard_source("hazard.geojson", "")
    );
    let r = read("imsma-core", &toml);
    let rel = &r.releases[0];
    assert_eq!(rel.id, "activity_7");
    assert_eq!(rel.hazard_ids, ["hazard_poly_145", "hazard_poly_146"]);
    assert_eq!(rel.outcome, Outcome::Cancelled);
    // Epoch milliseconds, as ArcGIS feature services give dates.
    assert_eq!(rel.date, "2021-03-04".parse().ok());
}

#[test]
fn heights_are_dropped_not_the_record() {
    // PolygonZ (GPS-surveyed exports, FGDB with Z): the same square as the
    // fixtures with a height on every vertex, through GDAL (CSV WKT) and
    // through the GeoJSON reader.
    let wkt = std::fs::read_to_string(fixtures().join("hazard-wkt.csv")).unwrap();
    let with_z = |text: &str| {
        let mut out = String::new();
        for (i, part) in text.split(',').enumerate() {
            // Every "lon lat" pair gets " 412.5" (the pairs are comma-separated).
            let trimmed = part.trim_end_matches(['"', ')']);
            let tail = &part[trimmed.len()..];
            if i > 0 {
                out.push(',');
            }
            out.push_str(trimmed);
            out.push_str(" 412.5");
            out.push_str(tail);
        }
        out
    };
    let (header, row) = wkt.split_once('\n').unwrap();
    let (geom, rest) = row.split_once(';').unwrap();
    let geom = with_z(geom).replace("POLYGON ((", "POLYGON Z ((");
    std::fs::write(
        fixtures().join("hazard-wkt-z.csv"),
        format!("{header}\n{geom};{rest}"),
    )
    .unwrap();
    let json = std::fs::read_to_string(fixtures().join("hazard.geojson")).unwrap();
    let re_pair = |s: &str| s.replace("],[", ",412.5],[").replace("]]]", ",412.5]]]");
    std::fs::write(fixtures().join("hazard-z.geojson"), re_pair(&json)).unwrap();
    for (name, path) in [
        ("z-csv", "hazard-wkt-z.csv"),
        ("z-geojson", "hazard-z.geojson"),
    ] {
        let r = read(name, &hazard_source(path, ""));
        assert_eq!(r.hazards.len(), 1, "{name}: {:?}", r.diagnostics.items());
        let area = a(&r.hazards[0].geometry);
        assert!(close(area, SQUARE_M2, 1e-9), "{name}: {area} m²");
        assert!(
            codes(&r.diagnostics, Code::UnsupportedGeometry).is_empty(),
            "{name}"
        );
    }
}
