//! Where on Earth the records are: coordinates checked against the config's
//! country (OUTSIDE_COUNTRY, and the build that fails naming the CRS that
//! puts a source in its country), the map's context layer, and hazards
//! across the antimeridian.

use crate::common::{feature_collection, read_json, run, stderr};
use std::path::{Path, PathBuf};

/// Hazard centres around Amsterdam in WGS 84 / UTM zone 31N (EPSG:32631).
const AMSTERDAM_UTM31: [(f64, f64); 3] = [
    (629_351.9, 5_803_890.8),
    (632_965.4, 5_796_196.5),
    (640_412.5, 5_774_143.1),
];
/// One in Belgium, about 30 km from the Dutch border.
const BELGIUM_UTM31: (f64, f64) = (514_033.9, 5_649_843.9);

/// A GeoJSON of 100 m squares around `centres` (in whatever units they
/// are; `half` is half a side in the same units) and a config reading it
/// with `crs` for `country`.
fn input(dir: &Path, country: &str, crs: &str, centres: &[(f64, f64)], half: f64) -> PathBuf {
    let features = squares(centres, half);
    std::fs::write(dir.join("hazards.geojson"), feature_collection(&features)).unwrap();
    let cfg = dir.join("clearmap.toml");
    std::fs::write(
        &cfg,
        format!("country = \"{country}\"\nas_of = \"2025-01-01\"\n[[source]]\npath = \"hazards.geojson\"\nrole = \"hazard\"\ncrs = \"{crs}\"\n"),
    )
    .unwrap();
    cfg
}

/// Features of squares with sides of 2 × `half` around `centres` (in
/// whatever units they are), ids H0, H1, …
fn squares(centres: &[(f64, f64)], half: f64) -> Vec<String> {
    centres
        .iter()
        .enumerate()
        .map(|(i, (x, y))| {
            let (x0, y0, x1, y1) = (x - half, y - half, x + half, y + half);
            format!(
                r#"{{"type":"Feature","properties":{{"id":"H{i}","status":"open","classification":"SHA"}},"geometry":{{"type":"Polygon","coordinates":[[[{x0},{y0}],[{x1},{y0}],[{x1},{y1}],[{x0},{y1}],[{x0},{y0}]]]}}}}"#
            )
        })
        .collect()
}

fn build(cfg: &Path, out: &Path) -> std::process::Output {
    run(&[
        "build",
        cfg.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ])
}

fn swap(pts: &[(f64, f64)]) -> Vec<(f64, f64)> {
    pts.iter().map(|(x, y)| (*y, *x)).collect()
}

#[test]
fn the_right_zone_builds_and_a_stray_record_is_a_warning_with_its_distance() {
    let dir = tempfile::tempdir().unwrap();
    let mut centres = AMSTERDAM_UTM31.to_vec();
    centres.push(BELGIUM_UTM31);
    let cfg = input(dir.path(), "NLD", "EPSG:32631", &centres, 50.0);
    let out = dir.path().join("out");
    let o = build(&cfg, &out);
    assert!(o.status.success(), "{}", stderr(&o));
    let report = read_json(&out.join("report.json"));
    let outside: Vec<_> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "OUTSIDE_COUNTRY")
        .collect();
    assert_eq!(outside.len(), 1, "{outside:?}");
    assert_eq!(outside[0]["severity"], "warning");
    assert_eq!(outside[0]["record"]["source_id"], "H3");
    let m = outside[0]["message"].as_str().unwrap();
    let km: f64 = m
        .split(": ")
        .nth(1)
        .and_then(|s| s.split(" km").next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{m}"));
    assert!((15.0..50.0).contains(&km), "{m}");
    assert_eq!(
        read_json(&out.join("summary.json"))["records"]["hazard"]["used"],
        4
    );
}

/// The build of `centres` read as `crs` fails with exit 2 naming `expect`.
fn caught(centres: &[(f64, f64)], crs: &str, half: f64, expect: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = input(dir.path(), "NLD", crs, centres, half);
    let out = dir.path().join("out");
    let o = build(&cfg, &out);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains("hazards.geojson"), "{e}");
    assert!(
        e.contains("3 of its 3 records lie wholly outside NLD"),
        "{e}"
    );
    for s in expect {
        assert!(e.contains(s), "{s:?} not in: {e}");
    }
    assert!(!out.exists(), "no bundle from a failed build");
}

#[test]
fn a_neighbouring_utm_zone_is_caught_and_the_right_one_named() {
    caught(
        &AMSTERDAM_UTM31,
        "EPSG:32632",
        50.0,
        &["neighbouring UTM zone, 31N", "crs = \"EPSG:32631\""],
    );
}

#[test]
fn swapped_axes_are_caught() {
    caught(
        &swap(&AMSTERDAM_UTM31),
        "EPSG:32631",
        50.0,
        &["x and y are swapped"],
    );
}

#[test]
fn lon_lat_in_a_projected_crs_is_caught() {
    let lon_lat = [(4.90, 52.37), (4.95, 52.30), (5.05, 52.10)];
    caught(
        &lon_lat,
        "EPSG:32631",
        0.0005,
        &["longitude/latitude", "crs = \"EPSG:4326\""],
    );
}

#[test]
fn a_missing_false_easting_is_caught() {
    let no_fe: Vec<_> = AMSTERDAM_UTM31
        .iter()
        .map(|(x, y)| (x - 500_000.0, *y))
        .collect();
    caught(&no_fe, "EPSG:32631", 50.0, &["false easting 500000 m"]);
}

/// A CSV of 100 m squares (WKT, no CRS) around `centres` and its config.
fn csv_input(dir: &Path, country: &str, centres: &[(f64, f64)]) -> PathBuf {
    let mut text = String::from("id,status,classification,WKT\n");
    for (i, (x, y)) in centres.iter().enumerate() {
        let (x0, y0, x1, y1) = (x - 50.0, y - 50.0, x + 50.0, y + 50.0);
        text.push_str(&format!(
            "H{i},open,SHA,\"POLYGON (({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0}))\"\n"
        ));
    }
    std::fs::write(dir.join("hazards.csv"), text).unwrap();
    let cfg = dir.join("clearmap.toml");
    std::fs::write(
        &cfg,
        format!("country = \"{country}\"\n[[source]]\npath = \"hazards.csv\"\nrole = \"hazard\"\n"),
    )
    .unwrap();
    cfg
}

#[test]
fn no_crs_hint_names_the_zone_that_fits_and_no_other() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = csv_input(dir.path(), "NLD", &AMSTERDAM_UTM31);
    let o = build(&cfg, &dir.path().join("out"));
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(
        e.contains("UTM zone 31N they lie in NLD: crs = \"EPSG:32631\""),
        "{e}"
    );
    // Dutch grid (EPSG:28992) numbers: no UTM zone puts them in the Netherlands.
    let rd = [
        (121_000.0, 487_000.0),
        (136_000.0, 455_000.0),
        (155_000.0, 463_000.0),
    ];
    let cfg = csv_input(dir.path(), "NLD", &rd);
    let o = build(&cfg, &dir.path().join("out"));
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains("has no CRS") && !e.contains("UTM"), "{e}");
}

/// The context layer's features of the archive's tiles at zoom `z`: (iso3, role).
fn context_at(archive: &clearmap::tiles::pmtiles::Archive, z: u8) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let tiles: Vec<_> = archive.tiles().filter(|((tz, _, _), _)| *tz == z).collect();
    for ((tz, x, y), _) in tiles {
        for l in archive.decoded(tz, x, y).unwrap().unwrap() {
            if l.name != "context" {
                continue;
            }
            for f in &l.features {
                let get = |k: &str| {
                    f.properties
                        .iter()
                        .find(|(n, _)| n == k)
                        .map(|(_, v)| v.to_json().as_str().unwrap_or_default().to_string())
                        .unwrap_or_default()
                };
                out.push((get("iso3"), get("role")));
            }
        }
    }
    out
}

#[test]
fn the_tiles_carry_the_country_and_its_neighbours_to_z10() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = input(dir.path(), "NLD", "EPSG:32631", &AMSTERDAM_UTM31, 50.0);
    let out = dir.path().join("out");
    let o = build(&cfg, &out);
    assert!(o.status.success(), "{}", stderr(&o));
    let archive = clearmap::tiles::pmtiles::Archive::open(&out.join("tiles.pmtiles")).unwrap();
    for z in [0, 5, 10] {
        let ctx = context_at(&archive, z);
        assert!(
            ctx.contains(&("NLD".into(), "country".into())),
            "z{z}: {ctx:?}"
        );
        for n in ["BEL", "DEU"] {
            assert!(
                ctx.contains(&(n.into(), "neighbour".into())),
                "z{z}: {ctx:?}"
            );
        }
    }
    // Past z10 the map overzooms the context source: no tile repeats it.
    assert!(context_at(&archive, 11).is_empty());
    let style = read_json(&out.join("style.json"));
    assert_eq!(style["sources"]["context"]["maxzoom"], 10);
    let meta = archive.metadata().unwrap();
    assert!(meta["vector_layers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["id"] == "context"));
}

#[test]
fn with_no_records_the_page_opens_on_the_country() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = input(dir.path(), "NLD", "EPSG:32631", &[], 50.0);
    let out = dir.path().join("out");
    let o = build(&cfg, &out);
    assert!(o.status.success(), "{}", stderr(&o));
    let b = read_json(&out.join("tiles.json"))["bounds"].clone();
    let b: Vec<f64> = b
        .as_array()
        .unwrap_or_else(|| panic!("{b}"))
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    // The Netherlands' own outline (3.35–7.2 E, 50.75–53.6 N at 1:50m), not
    // its neighbours around it nor its Caribbean islands.
    assert!(
        b[0] > 3.3 && b[0] < 3.4 && b[2] > 7.1 && b[2] < 7.3,
        "{b:?}"
    );
    assert!(
        b[1] > 50.7 && b[1] < 50.8 && b[3] > 53.5 && b[3] < 53.7,
        "{b:?}"
    );
}

/// The lon/lat corners of a `half`-metre square around (x, y) of EPSG:`code`.
fn corners(code: u32, (x, y): (f64, f64), half: f64) -> geo::MultiPolygon<f64> {
    use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
    let mut from = SpatialRef::from_epsg(code).unwrap();
    from.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let mut to = SpatialRef::from_epsg(4326).unwrap();
    to.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let t = CoordTransform::new(&from, &to).unwrap();
    let mut xs = [x - half, x + half, x + half, x - half, x - half];
    let mut ys = [y - half, y - half, y + half, y + half, y - half];
    t.transform_coords(&mut xs, &mut ys, &mut []).unwrap();
    let ring: Vec<(f64, f64)> = xs.into_iter().zip(ys).collect();
    geo::MultiPolygon::new(vec![geo::Polygon::new(ring.into(), vec![])])
}

#[test]
fn a_hazard_across_the_antimeridian_is_split_and_makes_a_handful_of_tiles() {
    // A 200 m square on Taveuni, Fiji, centred on 180°, surveyed in UTM 60S.
    let centre = (819_789.0, 8_140_148.4);
    let dir = tempfile::tempdir().unwrap();
    let cfg = input(dir.path(), "FJI", "EPSG:32760", &[centre], 100.0);
    let out = dir.path().join("out");
    let o = build(&cfg, &out);
    assert!(o.status.success(), "{}", stderr(&o));

    // The area is the geodesic area of the square as read, unsplit.
    let read = corners(32760, centre, 100.0);
    let lons: Vec<f64> = read.0[0].exterior().0.iter().map(|c| c.x).collect();
    assert!(lons.iter().any(|&x| x > 179.99) && lons.iter().any(|&x| x < -179.99));
    let expected = clearmap::geometry::area(&read);
    let total = read_json(&out.join("summary.json"))["area_m2"]["total"]
        .as_f64()
        .unwrap();
    assert!((total - expected).abs() < 2e-3, "{total} vs {expected}");
    assert!((total - 40_000.0).abs() / 40_000.0 < 3e-3, "{total}");

    // hazards.geojson: one feature cut in two on ±180°, the same area.
    let gj = read_json(&out.join("hazards.geojson"));
    let g = &gj["features"][0]["geometry"];
    assert_eq!(g["type"], "MultiPolygon");
    let parts: Vec<geo::Polygon<f64>> = g["coordinates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let ring: Vec<(f64, f64)> = p[0]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| (c[0].as_f64().unwrap(), c[1].as_f64().unwrap()))
                .collect();
            geo::Polygon::new(ring.into(), vec![])
        })
        .collect();
    assert_eq!(parts.len(), 2, "{g}");
    let xs = |p: &geo::Polygon<f64>| -> (f64, f64) {
        let v: Vec<f64> = p.exterior().0.iter().map(|c| c.x).collect();
        (
            v.iter().copied().fold(f64::INFINITY, f64::min),
            v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        )
    };
    let (a, b) = (xs(&parts[0]), xs(&parts[1]));
    let (west, east) = if a.1 == 180.0 { (a, b) } else { (b, a) };
    assert!(west.1 == 180.0 && west.0 > 179.99, "{west:?}");
    assert!(east.0 == -180.0 && east.1 < -179.99, "{east:?}");
    let split = clearmap::geometry::area(&geo::MultiPolygon::new(parts));
    assert!((split - total).abs() / total < 1e-4, "{split} vs {total}");

    // The tiles: a few on each side of the antimeridian per zoom, not a
    // band around the world.
    let archive = clearmap::tiles::pmtiles::Archive::open(&out.join("tiles.pmtiles")).unwrap();
    let hazard_tiles: Vec<(u8, u32, u32)> = archive
        .tiles()
        .map(|(t, _)| t)
        .filter(|&(z, x, y)| {
            archive
                .decoded(z, x, y)
                .unwrap()
                .unwrap()
                .iter()
                .any(|l| l.name == "hazards")
        })
        .collect();
    assert!(
        (15..=80).contains(&hazard_tiles.len()),
        "{} hazard tiles",
        hazard_tiles.len()
    );
    let z14: Vec<u32> = hazard_tiles
        .iter()
        .filter(|t| t.0 == 14)
        .map(|t| t.1)
        .collect();
    assert!(
        z14.contains(&0) && z14.contains(&((1 << 14) - 1)),
        "{z14:?}"
    );
    eprintln!("antimeridian: {} hazard tiles", hazard_tiles.len());

    // tiles.json: the whole band as bounds (they cannot cross ±180°), and
    // the records with their country (Fiji, 177°E…178°W) as the centre the
    // page opens on, not the world.
    let tj = read_json(&out.join("tiles.json"));
    let b: Vec<f64> = tj["bounds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(b[0] == -180.0 && b[2] == 180.0, "{tj}");
    let c: Vec<f64> = tj["center"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(180.0 - c[0].abs() < 2.0, "centre {c:?}");
    assert!(c[2] >= 5.0, "centre zoom {c:?}");
}

/// A GeoJSON of the old form that names its CRS (a `crs` member, which
/// GDAL reads as the layer's CRS), with 100 m squares around `centres`.
fn with_crs_member(dir: &Path, file_crs: u32, centres: &[(f64, f64)], source: &str) -> PathBuf {
    let features = squares(centres, 50.0);
    let fc = format!(
        r#"{{"type":"FeatureCollection","crs":{{"type":"name","properties":{{"name":"urn:ogc:def:crs:EPSG::{file_crs}"}}}},"features":[{}]}}"#,
        features.join(",")
    );
    std::fs::write(dir.join("hazards.geojson"), fc).unwrap();
    let cfg = dir.join("clearmap.toml");
    std::fs::write(
        &cfg,
        format!("country = \"NLD\"\nas_of = \"2025-01-01\"\n[[source]]\npath = \"hazards.geojson\"\nrole = \"hazard\"\n{source}"),
    )
    .unwrap();
    cfg
}

#[test]
fn a_config_crs_of_another_datum_than_the_files_is_caught_and_both_named() {
    let dir = tempfile::tempdir().unwrap();
    // The file says ED50 / UTM zone 31N; the config says WGS 84 / UTM 31N.
    let cfg = with_crs_member(
        dir.path(),
        23031,
        &AMSTERDAM_UTM31,
        "crs = \"EPSG:32631\"\n",
    );
    let out = dir.path().join("out");
    let o = build(&cfg, &out);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    for s in [
        "hazards.geojson",
        "ED50 / UTM zone 31N",
        "WGS 84 / UTM zone 31N",
        "a datum difference",
        "crs_overrides_file = true",
    ] {
        assert!(e.contains(s), "{s:?} not in: {e}");
    }
    let metres: f64 = e
        .split(" m apart")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|s| s.parse().ok())
        .expect("a distance");
    assert!((50.0..300.0).contains(&metres), "{e}");
    assert!(!out.exists(), "no bundle from a failed build");

    // Said deliberately, the config's CRS is used.
    let cfg = with_crs_member(
        dir.path(),
        23031,
        &AMSTERDAM_UTM31,
        "crs = \"EPSG:32631\"\ncrs_overrides_file = true\n",
    );
    let o = build(&cfg, &out);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Without a config crs, the file's own is used, silently.
    let cfg = with_crs_member(dir.path(), 23031, &AMSTERDAM_UTM31, "");
    let o = build(&cfg, &out);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn a_datum_foreign_to_the_records_place_is_caught() {
    // Lon/lat of Amsterdam declared in the Tokyo datum (EPSG:4301), whose
    // area of use is Japan, Korea and Taiwan: PROJ would shift them as if
    // they were surveyed there.
    let dir = tempfile::tempdir().unwrap();
    let centres = [(4.90, 52.37), (4.95, 52.30)];
    let features = squares(&centres, 0.001);
    std::fs::write(
        dir.path().join("hazards.geojson"),
        feature_collection(&features),
    )
    .unwrap();
    let cfg = dir.path().join("clearmap.toml");
    std::fs::write(
        &cfg,
        "country = \"NLD\"\nas_of = \"2025-01-01\"\n[[source]]\npath = \"hazards.geojson\"\nrole = \"hazard\"\ncrs = \"EPSG:4301\"\ncrs_overrides_file = true\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let o = build(&cfg, &out);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    for s in ["Tokyo", "Japan", "longitude 4.9"] {
        assert!(e.contains(s), "{s:?} not in: {e}");
    }
}

/// Squares of 100 m around Amsterdam (WGS 84), each with its first vertex
/// as the record's WGS 84 location point (`wgs84_lon`/`wgs84_lat`, offset
/// by `point_off` degrees), written in EPSG:`written_in` coordinates, and a
/// config reading them as `crs`.
fn with_location_points(dir: &Path, written_in: u32, crs: &str, point_off: f64) -> PathBuf {
    use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
    let mut wgs84 = SpatialRef::from_epsg(4326).unwrap();
    wgs84.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let mut to = SpatialRef::from_epsg(written_in).unwrap();
    to.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let t = CoordTransform::new(&wgs84, &to).unwrap();
    let features: Vec<String> = (0..12)
        .map(|i| {
            let (lon, lat) = (4.80 + 0.013 * f64::from(i), 52.30 + 0.007 * f64::from(i % 5));
            let (d, e) = (0.0009, 0.0015);
            let ring = [(lon, lat), (lon + e, lat), (lon + e, lat + d), (lon, lat + d), (lon, lat)];
            let mut xs: Vec<f64> = ring.iter().map(|p| p.0).collect();
            let mut ys: Vec<f64> = ring.iter().map(|p| p.1).collect();
            t.transform_coords(&mut xs, &mut ys, &mut []).unwrap();
            let coords: Vec<String> =
                xs.iter().zip(&ys).map(|(x, y)| format!("[{x:.3},{y:.3}]")).collect();
            format!(
                r#"{{"type":"Feature","properties":{{"id":"H{i}","status":"open","classification":"SHA","wgs84_lon":{:.6},"wgs84_lat":{:.6}}},"geometry":{{"type":"Polygon","coordinates":[[{}]]}}}}"#,
                lon - point_off,
                lat - point_off,
                coords.join(",")
            )
        })
        .collect();
    std::fs::write(dir.join("hazards.geojson"), feature_collection(&features)).unwrap();
    let cfg = dir.join("clearmap.toml");
    std::fs::write(
        &cfg,
        format!("country = \"NLD\"\nas_of = \"2025-01-01\"\n[[source]]\npath = \"hazards.geojson\"\nrole = \"hazard\"\ncrs = \"{crs}\"\n"),
    )
    .unwrap();
    cfg
}

#[test]
fn location_points_catch_a_wrong_datum_and_name_the_right_crs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // ED50 / UTM 31N coordinates declared as WGS 84 / UTM 31N: about 100 m
    // off, inside the country, which the boundaries cannot see.
    let cfg = with_location_points(dir.path(), 23031, "EPSG:32631", 0.0);
    let o = build(&cfg, &out);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    for s in [
        "hazards.geojson",
        "WGS 84 / UTM zone 31N, EPSG:32631",
        "ED50 / UTM zone 31N, EPSG:23031, 100 % do",
        "crs = \"EPSG:23031\"",
    ] {
        assert!(e.contains(s), "{s:?} not in: {e}");
    }
    assert!(!out.exists(), "no bundle from a failed build");
    // Read in the right CRS, the same file builds.
    let cfg = with_location_points(dir.path(), 23031, "EPSG:23031", 0.0);
    let o = build(&cfg, &out);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Points some way off every polygon (benchmarks) say nothing.
    let cfg = with_location_points(dir.path(), 32631, "EPSG:32631", 0.004);
    let o = build(&cfg, &out);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}
