//! The `hazards` and `releases` layers fit together at every zoom: a hazard's
//! remaining part and the release pieces cut out of it share their borders in
//! the tiles as they do in the accounting — no visible sliver where both draw,
//! no visible gap where neither does — however the tile grid rounds them.
//!
//! Shared vertices round to the same grid points, so borders are identical
//! except (a) at T-junctions, where a vertex of one feature lies on an edge of
//! its neighbour without being a vertex of it (three pieces meeting): rounded,
//! it moves off that edge by under a unit; and (b) where rounding makes one
//! feature's ring touch or cross itself and its cleaning moves its side of
//! the border. Both leave slivers narrower than a tile unit (an eighth of a
//! pixel), which is what this test bounds.

use clearmap::emit::tiles::inspect::Archive;
use clearmap::emit::tiles::mvt::polygons;
use geo::{Area, BooleanOps, LineString, MultiPolygon, Polygon};
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
                let ls = |r: &Vec<(i32, i32)>| {
                    LineString::from(
                        r.iter()
                            .chain(r.first())
                            .map(|&(x, y)| (x as f64, y as f64))
                            .collect::<Vec<_>>(),
                    )
                };
                out.push(Polygon::new(
                    ls(&poly[0]),
                    poly[1..].iter().map(ls).collect(),
                ));
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

#[test]
fn remaining_parts_and_release_pieces_share_borders_at_every_zoom() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path());
    let a = Archive::open(&dir.path().join("out/tiles.pmtiles")).unwrap();
    let mut checked = 0;
    // A pixel of a 512-pixel tile is 8 units wide.
    let bound = 1.0;
    let (mut widest_overlap, mut widest_gap) = (0.0f64, 0.0f64);
    // From z8 the smallest piece is well over the speck threshold.
    for ((z, x, y), _) in a.tiles().filter(|((z, _, _), _)| *z >= 8) {
        let hazards = layer(&a, z, x, y, "hazards");
        let releases = layer(&a, z, x, y, "releases");
        if hazards.0.is_empty() || releases.0.is_empty() {
            continue;
        }
        for p in &hazards.intersection(&releases).0 {
            let w = width(p);
            widest_overlap = widest_overlap.max(w);
            assert!(
                w <= bound,
                "{z}/{x}/{y}: layers overlap on a sliver {w} units wide"
            );
        }
        // The hazard has no hole: a hole in the union is a gap between layers.
        for p in &hazards.union(&releases).0 {
            for hole in p.interiors() {
                let w = width(&Polygon::new(hole.clone(), vec![]));
                widest_gap = widest_gap.max(w);
                assert!(w <= bound, "{z}/{x}/{y}: gap {w} units wide between layers");
            }
        }
        checked += 1;
    }
    // Seen with `cargo test -- --nocapture`.
    eprintln!(
        "{checked} tiles: widest overlap {widest_overlap} units, widest gap {widest_gap} units"
    );
    assert!(checked >= 5, "only {checked} tiles hold both layers");
}
