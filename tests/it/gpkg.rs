//! The bundle as GIS software reads it, through GDAL's own tools: the GeoJSON
//! layers typed MultiPolygon with numbers as Real; bundle.gpkg with the same
//! features in typed columns, the tables as attribute tables and QGIS styles;
//! its layers converted to a Shapefile with no warning and no value lost.

use crate::common::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

/// The example bundle, built once for this file's tests.
fn bundle() -> &'static Path {
    static D: OnceLock<tempfile::TempDir> = OnceLock::new();
    D.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let cfg = repo().join("data/example/clearmap.toml");
        let o = run(&[
            "build",
            "--quiet",
            cfg.to_str().unwrap(),
            "--out",
            dir.path().to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        dir
    })
    .path()
}

/// A layer as `ogrinfo -so` summarises it.
#[derive(Debug, Default)]
struct Layer {
    geometry: String,
    count: u64,
    /// Field name → GDAL type as printed ("Real", "String", "StringList"…).
    fields: BTreeMap<String, String>,
}

/// `ogrinfo -ro -so -al` (or of the named layers) of `path`, by layer name.
fn ogrinfo(path: &Path, layers: &[&str]) -> BTreeMap<String, Layer> {
    let mut c = Command::new("ogrinfo");
    c.args(["-ro", "-so"]).arg(path);
    if layers.is_empty() {
        c.arg("-al");
    } else {
        c.args(layers);
    }
    let o = c
        .output()
        .expect("ogrinfo runs (gdal-bin, installed by scripts/setup)");
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut out: BTreeMap<String, Layer> = BTreeMap::new();
    let mut name = String::new();
    let mut in_fields = false;
    for line in text.lines() {
        if let Some(n) = line.strip_prefix("Layer name: ") {
            name = n.trim().to_string();
            out.entry(name.clone()).or_default();
            in_fields = false;
        } else if let Some(g) = line.strip_prefix("Geometry: ") {
            out.entry(name.clone()).or_default().geometry = g.trim().to_string();
        } else if let Some(n) = line.strip_prefix("Feature Count: ") {
            out.entry(name.clone()).or_default().count = n.trim().parse().unwrap();
        } else if line.starts_with("Data axis to CRS axis mapping")
            || line.starts_with("FID Column")
            || line.starts_with("Geometry Column")
            // A table with no geometry (a .dbf) has no CRS: its fields follow.
            || line == "(unknown)"
        {
            in_fields = true;
        } else if in_fields {
            if let Some((field, ty)) = line.split_once(": ") {
                let ty = ty.split(" (").next().unwrap_or(ty).to_string();
                out.entry(name.clone())
                    .or_default()
                    .fields
                    .insert(field.to_string(), ty);
            }
        }
    }
    out
}

/// `gpkg_data_columns` of `path`: (table, column) → the GeoJSON/CSV name.
fn data_columns(path: &Path) -> BTreeMap<(String, String), String> {
    let o = Command::new("ogrinfo")
        .args(["-ro", "-q"])
        .arg(path)
        .args([
            "-sql",
            "SELECT table_name, column_name, name FROM gpkg_data_columns",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    let mut out = BTreeMap::new();
    let mut row: Vec<String> = Vec::new();
    for line in text.lines() {
        if let Some((_, v)) = line.split_once(" (String) = ") {
            row.push(v.to_string());
            if row.len() == 3 {
                out.insert((row[0].clone(), row[1].clone()), row[2].clone());
                row.clear();
            }
        }
    }
    assert!(!out.is_empty(), "{text}");
    out
}

fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn geojson_layers_are_multipolygon_and_typed() {
    let dir = bundle();
    let hazards = &ogrinfo(&dir.join("hazards.geojson"), &[])["hazards"];
    assert_eq!(hazards.geometry, "Multi Polygon");
    assert_eq!(
        hazards.fields,
        fields(&[
            ("area_m2", "Real"),
            ("area_reported_m2", "Real"),
            ("classification", "String"),
            ("contamination", "StringList"),
            ("id", "String"),
            ("region", "String"),
            ("released_cancelled_m2", "Real"),
            ("released_cleared_m2", "Real"),
            ("released_reduced_m2", "Real"),
            ("remaining_m2", "Real"),
            ("status", "String"),
        ])
    );
    let releases = &ogrinfo(&dir.join("releases.geojson"), &[])["releases"];
    assert_eq!(releases.geometry, "Multi Polygon");
    assert_eq!(
        releases.fields,
        fields(&[
            ("area_m2", "Real"),
            ("area_reported_m2", "Real"),
            ("date", "Date"),
            ("hazard_ids", "StringList"),
            ("hazards_covered", "StringList"),
            ("id", "String"),
            ("outcome", "String"),
        ])
    );
    assert!(hazards.count > 0 && releases.count > 0);
}

#[test]
fn geopackage_has_the_geojson_features_in_typed_columns() {
    let dir = bundle();
    let gpkg = dir.join("bundle.gpkg");
    let all = ogrinfo(&gpkg, &[]);
    let names: Vec<&str> = all.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "defects_areas",
            "defects_lines",
            "defects_points",
            "hazards",
            "layer_styles",
            "release_hazards",
            "released_by_year",
            "releases",
            "remaining_by_contamination",
            "remaining_by_region",
            "reported_vs_computed",
        ]
    );
    // Each column's GeoJSON name, from gpkg_data_columns.
    let names = data_columns(&gpkg);
    let geojson = |f: &str| ogrinfo(&dir.join(f), &[]).into_values().next().unwrap();
    for (layer, file) in [
        ("hazards", "hazards.geojson"),
        ("releases", "releases.geojson"),
    ] {
        let g = &all[layer];
        let j = geojson(file);
        assert_eq!(g.geometry, "Multi Polygon", "{layer}");
        assert_eq!(g.count, j.count, "{layer}: the GeoJSON's features");
        // The same properties under their GeoPackage names (at most 10
        // characters); lists comma-joined, so String where the GeoJSON has
        // StringList.
        let flat: BTreeMap<String, String> = j
            .fields
            .into_iter()
            .map(|(k, t)| {
                (
                    k,
                    if t == "StringList" {
                        "String".into()
                    } else {
                        t
                    },
                )
            })
            .collect();
        let as_geojson: BTreeMap<String, String> = g
            .fields
            .iter()
            .map(|(column, t)| {
                assert!(column.len() <= 10, "{layer}.{column}");
                let key = names.get(&(layer.to_string(), column.clone()));
                (
                    key.unwrap_or_else(|| panic!("{layer}.{column} in gpkg_data_columns"))
                        .clone(),
                    t.clone(),
                )
            })
            .collect();
        assert_eq!(as_geojson, flat, "{layer}");
    }
    let r = &all["remaining_by_region"];
    assert_eq!(r.geometry, "None");
    assert_eq!(r.fields["sha_n"], "Integer64");
    assert_eq!(r.fields["total_m2"], "Real");
    assert_eq!(r.fields["region"], "String");
    assert_eq!(
        names[&("remaining_by_region".into(), "total_m2".into())],
        "total_area_m2"
    );
    for (layer, l) in &all {
        for column in l.fields.keys() {
            assert!(
                column.len() <= 10 || layer == "layer_styles",
                "{layer}.{column}"
            );
        }
    }
    assert_eq!(all["layer_styles"].count, 2, "one style per spatial layer");
    // The defects of defects.geojson, split by geometry type.
    let defects = read_json(&dir.join("defects.geojson"));
    let features = defects["features"].as_array().unwrap();
    let of = |types: &[&str]| {
        features
            .iter()
            .filter(|f| types.contains(&f["geometry"]["type"].as_str().unwrap()))
            .count() as u64
    };
    assert_eq!(all["defects_areas"].count, of(&["MultiPolygon"]));
    assert_eq!(all["defects_points"].count, of(&["Point", "MultiPoint"]));
    assert_eq!(all["defects_lines"].count, of(&["MultiLineString"]));
    assert!(all["defects_areas"].count > 0 && all["defects_points"].count > 0);
    assert_eq!(all["defects_points"].geometry, "Multi Point");
    assert_eq!(all["defects_areas"].fields["reference"], "String");

    // A list as comma-joined text, a date as a DATE.
    let o = Command::new("ogrinfo")
        .args(["-ro", "-q"])
        .arg(&gpkg)
        .args([
            "-sql",
            "SELECT covered, typeof(date) AS t FROM releases WHERE covered LIKE '%,%' LIMIT 1",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("covered (String) = HZ-"), "{text}");
    assert!(text.contains("t (String) = text"), "{text}");
}

#[test]
fn layer_styles_are_qgis_categorised_renderers() {
    let o = Command::new("ogrinfo")
        .args(["-ro", "-q"])
        .arg(bundle().join("bundle.gpkg"))
        .args([
            "-sql",
            "SELECT f_table_name, f_table_schema, f_geometry_column, useAsDefault, styleQML FROM layer_styles",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("f_table_name (String) = hazards"), "{text}");
    assert!(text.contains("f_table_name (String) = releases"), "{text}");
    assert!(text.contains("f_geometry_column (String) = geom"), "{text}");
    assert!(text.contains("useAsDefault (Integer) = 1"), "{text}");
    assert!(text.contains(r#"type="categorizedSymbol" attr="class""#));
    assert!(text.contains(r#"type="categorizedSymbol" attr="outcome""#));
}

/// Every layer converts to a Shapefile with all its fields: the only warnings
/// are the field names cut to the format's 10 characters.
#[test]
fn geopackage_layers_convert_to_shapefile_without_losing_a_field() {
    let gpkg = bundle().join("bundle.gpkg");
    let all = ogrinfo(&gpkg, &[]);
    for layer in [
        "hazards",
        "releases",
        "release_hazards",
        "defects_areas",
        "defects_points",
    ] {
        let out = tempfile::tempdir().unwrap();
        let o = Command::new("ogr2ogr")
            .args(["-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8"])
            .arg(out.path().join(layer))
            .arg(&gpkg)
            .arg(layer)
            .output()
            .expect("ogr2ogr runs");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{err}");
        assert!(err.trim().is_empty(), "{layer}: no warning: {err}");
        let shp = ogrinfo(&out.path().join(layer), &[]);
        let converted = shp.values().next().unwrap();
        assert_eq!(converted.count, all[layer].count, "{layer}");
        assert_eq!(
            converted.fields.len(),
            all[layer].fields.len(),
            "{layer}: {:?}",
            converted.fields
        );
    }
}

/// Each spatial table's R-tree (`gpkg_rtree_index`) indexes every non-empty
/// geometry once, under a box that holds the envelope in its blob's header,
/// passes SQLite's own consistency check, and answers window queries as a
/// scan of the envelopes does.
#[test]
fn geopackage_rtrees_index_every_geometry() {
    let conn = rusqlite::Connection::open_with_flags(
        bundle().join("bundle.gpkg"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT table_name FROM gpkg_extensions WHERE extension_name = 'gpkg_rtree_index'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert!(tables.iter().any(|t| t == "releases"), "{tables:?}");
    let mut multi_level = false;
    for t in &tables {
        let rtree = format!("rtree_{t}_geom");
        let check: String = conn
            .query_row(&format!("SELECT rtreecheck('{rtree}')"), [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok", "{rtree}");
        // The root's first two bytes are the tree's depth.
        let root: Vec<u8> = conn
            .query_row(
                &format!("SELECT data FROM \"{rtree}_node\" WHERE nodeno = 1"),
                [],
                |r| r.get(0),
            )
            .unwrap();
        multi_level |= u16::from_be_bytes([root[0], root[1]]) > 0;
        // fid → envelope (min x, max x, min y, max y) from the blob's header.
        let envelopes: BTreeMap<i64, [f64; 4]> = conn
            .prepare(&format!(
                "SELECT fid, geom FROM \"{t}\" WHERE geom IS NOT NULL"
            ))
            .unwrap()
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .filter(|(_, blob)| blob[3] & 0b1110 == 0b0010)
            .map(|(fid, blob)| {
                let f =
                    |k: usize| f64::from_le_bytes(blob[8 + 8 * k..16 + 8 * k].try_into().unwrap());
                (fid, [f(0), f(1), f(2), f(3)])
            })
            .collect();
        let rows: BTreeMap<i64, [f64; 4]> = conn
            .prepare(&format!(
                "SELECT id, minx, maxx, miny, maxy FROM \"{rtree}\""
            ))
            .unwrap()
            .query_map([], |r| {
                Ok((r.get(0)?, [r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?]))
            })
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(
            rows.keys().collect::<Vec<_>>(),
            envelopes.keys().collect::<Vec<_>>(),
            "{rtree}: one row per non-empty geometry"
        );
        for (fid, e) in &envelopes {
            let b = rows[fid];
            assert!(
                b[0] <= e[0] && b[1] >= e[1] && b[2] <= e[2] && b[3] >= e[3],
                "{rtree} {fid}"
            );
        }
        let Some((&first, _)) = envelopes.first_key_value() else {
            continue;
        };
        let e = envelopes[&first];
        let (w, h) = (e[1] - e[0] + 0.05, e[3] - e[2] + 0.05);
        for k in 0..20 {
            let (x, y) = (
                e[0] - w + f64::from(k) * w / 7.0,
                e[2] - h + f64::from(k) * h / 9.0,
            );
            let window = [x, x + w, y, y + h];
            let mut found: Vec<i64> = conn
                .prepare(&format!(
                    "SELECT id FROM \"{rtree}\" WHERE maxx >= ?1 AND minx <= ?2 AND maxy >= ?3 AND miny <= ?4"
                ))
                .unwrap()
                .query_map(window, |r| r.get(0))
                .unwrap()
                .map(|r| r.unwrap())
                .collect();
            found.sort_unstable();
            let scanned: Vec<i64> = rows
                .iter()
                .filter(|(_, b)| {
                    b[1] >= window[0] && b[0] <= window[1] && b[3] >= window[2] && b[2] <= window[3]
                })
                .map(|(fid, _)| *fid)
                .collect();
            assert_eq!(found, scanned, "{rtree} window {window:?}");
        }
    }
    assert!(
        multi_level,
        "the example has a table whose R-tree has more than one node"
    );
}
