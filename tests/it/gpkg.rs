//! The bundle as GIS software reads it, through GDAL's own tools: the GeoJSON
//! layers typed MultiPolygon with numbers as Real, and their conversion to a
//! Shapefile losing no field.

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
