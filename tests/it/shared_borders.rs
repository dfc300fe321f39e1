//! The `hazards` and `releases` layers fit together at every zoom: a hazard's
//! remaining part and the release pieces cut out of it share their borders in
//! the tiles as they do in the accounting — no visible sliver where both draw,
//! no visible gap where neither does — however the tile grid rounds them.
//!
//! Shared vertices round to the same grid points, and the tiler gives every
//! polygon the vertices of its neighbours that lie on its edges (T-junctions,
//! where three pieces meet), so borders are identical at every zoom. What can
//! remain is where rounding makes one feature's ring touch or cross itself and
//! its cleaning moves its side of the border, by under a tile unit (an eighth
//! of a pixel): the example country bounds that.

use clearmap::tiles::mvt::polygons;
use clearmap::tiles::pmtiles::Archive;
use geo::{Area, BooleanOps, MultiPolygon, Polygon};
use serde_json::json;
use std::path::Path;

/// An irregular ring of `n` vertices around (lon, lat), radius about `r` m.
fn ring(lon: f64, lat: f64, r: f64, n: usize, phase: f64) -> Vec<[f64; 2]> {
    let mut pts: Vec<[f64; 2]> = (0..n)
        .map(|i| {
            let a = phase + i as f64 * std::f64::consts::TAU / n as f64;
            // Radii that wobble, so that edges meet the tile grid at odd angles.
            let rr = r * (1.0 + 0.23 * (3.0 * a + phase).sin());
            let dlon = rr * a.cos() / (111_320.0 * lat.to_radians().cos());
            let dlat = rr * a.sin() / 110_574.0;
            [lon + dlon, lat + dlat]
        })
        .collect();
    pts.push(pts[0]);
    pts
}

fn collection(features: Vec<serde_json::Value>) -> String {
    json!({"type": "FeatureCollection", "features": features}).to_string()
}

fn polygon_feature(props: serde_json::Value, ring: Vec<[f64; 2]>) -> serde_json::Value {
    json!({"type": "Feature", "properties": props,
           "geometry": {"type": "Polygon", "coordinates": [ring]}})
}

fn build(dir: &Path) {
    let (lon, lat) = (104.99317, 12.60543);
    let hazards = collection(vec![polygon_feature(
        json!({"id": "HZ-1", "classification": "CHA", "status": "open"}),
        ring(lon, lat, 600.0, 23, 0.31),
    )]);
    let releases = collection(vec![
        // Inside the hazard: a hole in the remaining part, filled by the piece.
        polygon_feature(
            json!({"id": "CL-1", "outcome": "cleared", "date": "2021-03-01"}),
            ring(lon + 0.0011, lat - 0.0007, 140.0, 9, 0.7),
        ),
        // Across the hazard's edge: only the inside is a piece.
        polygon_feature(
            json!({"id": "TS-1", "outcome": "reduced", "date": "2022-06-01"}),
            ring(lon - 0.0052, lat + 0.0021, 260.0, 7, 1.9),
        ),
        // Over the previous one: its piece is what the earlier release left.
        polygon_feature(
            json!({"id": "NTS-1", "outcome": "cancelled", "date": "2023-01-15"}),
            ring(lon - 0.0037, lat + 0.0041, 230.0, 11, 2.6),
        ),
    ]);
    std::fs::write(dir.join("hazards.geojson"), hazards).unwrap();
    std::fs::write(dir.join("releases.geojson"), releases).unwrap();
    let o = std::process::Command::new(crate::common::bin())
        .args(["build", "--quiet", "--hazards"])
        .arg(dir.join("hazards.geojson"))
        .arg("--releases")
        .arg(dir.join("releases.geojson"))
        .arg("--out")
        .arg(dir.join("out"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn layer(a: &Archive, z: u8, x: u32, y: u32, name: &str) -> MultiPolygon<f64> {
    let mut out = Vec::new();
    for l in a.decoded(z, x, y).unwrap().unwrap() {
        if l.name != name {
            continue;
        }
        for f in &l.features {
            if f.geom_type != 3 {
                continue;
            }
            for poly in polygons(&f.commands).unwrap() {
                out.push(crate::tiles::to_geo(&poly));
            }
        }
    }
    MultiPolygon::new(out)
}

/// Mean width of a thin polygon, units: its area over half its perimeter.
fn width(p: &Polygon<f64>) -> f64 {
    let perimeter: f64 = std::iter::once(p.exterior())
        .chain(p.interiors())
        .flat_map(|r| r.lines())
        .map(|l| l.dx().hypot(l.dy()))
        .sum();
    if perimeter == 0.0 {
        0.0
    } else {
        p.unsigned_area() / (perimeter / 2.0)
    }
}

/// Over the tiles of z8 and up that hold both layers: the widest overlap
/// between them (units), the largest gap (units²: holes of the union
/// narrower than a unit — a hole of no hazard, or a speck left out), and how
/// many tiles that is.
fn widest_seams(a: &Archive) -> (f64, f64, usize) {
    let (mut overlap, mut gap, mut tiles) = (0.0f64, 0.0f64, 0);
    for ((z, x, y), _) in a.tiles().filter(|((z, _, _), _)| *z >= 8) {
        let hazards = layer(a, z, x, y, "hazards");
        let releases = layer(a, z, x, y, "releases");
        if hazards.0.is_empty() || releases.0.is_empty() {
            continue;
        }
        for p in &hazards.intersection(&releases).0 {
            overlap = overlap.max(width(p));
        }
        // A hole in the union that is a hole of no hazard is a gap between
        // the layers: holes of the union narrower than a unit are counted.
        for p in &hazards.union(&releases).0 {
            for hole in p.interiors() {
                let hole = Polygon::new(hole.clone(), vec![]);
                if width(&hole) < 1.0 {
                    gap = gap.max(hole.unsigned_area());
                }
            }
        }
        tiles += 1;
    }
    (overlap, gap, tiles)
}

#[test]
fn remaining_parts_and_release_pieces_share_borders_at_every_zoom() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path());
    let a = Archive::open(&dir.path().join("out/tiles.pmtiles")).unwrap();
    let (overlap, gap, tiles) = widest_seams(&a);
    assert!(tiles >= 5, "only {tiles} tiles hold both layers");
    // Seen with `cargo test -- --nocapture`.
    eprintln!("case: {tiles} tiles, widest overlap {overlap} units, largest gap {gap} units²");
    // Three pieces meet on the hazard's border here (T-junctions): with the
    // junction vertices given to every polygon they lie on, nothing is left.
    assert!(
        overlap < 1e-6,
        "layers overlap on a sliver {overlap} units wide"
    );
    assert!(gap < 1e-6, "gap of {gap} units² between layers");
}

#[test]
fn the_example_country_has_no_visible_seam_between_layers() {
    // The example's tiles, as the tile tests build them once (the same bytes
    // as `clearmap build`'s, which tests/it/tiles.rs asserts).
    let a = Archive::open(&crate::tiles::archive_dir().join("tiles.pmtiles")).unwrap();
    let (overlap, gap, tiles) = widest_seams(&a);
    // Seen with `cargo test -- --nocapture`.
    eprintln!("example: {tiles} tiles, widest overlap {overlap} units, largest gap {gap} units²");
    assert!(tiles >= 50, "only {tiles} tiles hold both layers");
    // A pixel is 8 units: a sliver narrower than one unit is invisible.
    assert!(
        overlap <= 1.0,
        "layers overlap on a sliver {overlap} units wide"
    );
    // Specks under 4 units² are left out of tiles (the hazard point stands
    // for a hazard), which leaves a hole about that size, and a ring that
    // rounding makes touch itself is cleaned alone; a sliver along a border
    // (61 units² here without the junction vertices) is far larger.
    assert!(gap <= 16.0, "gap of {gap} units² between layers");
}
