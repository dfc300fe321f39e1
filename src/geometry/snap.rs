//! Snapping a multipolygon to a decimal grid (the precision coordinates are
//! written with) and rebuilding it there as valid OGC polygons.
//!
//! Rounding can pinch a ring or collapse a sliver, and boolean-operation
//! output may have rings that touch themselves; rebuilt on the grid
//! ([`super::grid_clean`]) the written geometries are ones shapely, GDAL and
//! PostGIS accept. No figure is measured on them.

use super::grid_clean::simplify_int;
use super::grid_simple::simple_polygons;
use super::rounding::quantise_iter;
use geo::orient::{Direction, Orient};
use geo::{Coord, LineString, MultiPolygon, Polygon};
use i_overlay::i_float::int::point::IntPoint;

/// The geometry snapped to the grid of `precision` decimals and rebuilt there as
/// valid polygons, wound as `orient(Direction::Default)` winds them (exteriors
/// counter-clockwise, holes clockwise); empty when nothing of it survives at
/// that resolution.
pub fn snap_valid(mp: &MultiPolygon<f64>, precision: u8) -> MultiPolygon<f64> {
    let f = 10f64.powi(precision as i32);
    let fits =
        |c: &Coord<f64>| (c.x * f).abs() < i32::MAX as f64 && (c.y * f).abs() < i32::MAX as f64;
    if !mp.0.iter().all(|p| p.exterior().0.iter().all(fits)) {
        // Beyond the i32 grid (more decimals than lon/lat allows): write as is,
        // wound as promised.
        return mp.orient(Direction::Default);
    }
    let snap = |r: &LineString<f64>| -> Vec<IntPoint> {
        let n = r.0.len().saturating_sub(1);
        quantise_iter(r.0[..n].iter().map(|c| (c.x * f, c.y * f)), n)
    };
    let parts: Vec<Vec<Vec<IntPoint>>> =
        mp.0.iter()
            .map(|p| {
                std::iter::once(p.exterior())
                    .chain(p.interiors())
                    .map(snap)
                    .collect()
            })
            .collect();
    // Most geometries are still valid on the grid: the exact test
    // says so far faster than the overlay rebuilds them (and drops the same
    // straight-through vertices the overlay would).
    let polys: Vec<Vec<LineString<f64>>> = match simple_polygons(&parts) {
        Some(polys) => polys
            .iter()
            .map(|rings| {
                rings
                    .iter()
                    .map(|r| ring_back(r.iter().copied(), f))
                    .collect()
            })
            .collect(),
        None => {
            let rings: Vec<Vec<IntPoint>> = parts
                .into_iter()
                .flatten()
                .filter(|r| !r.is_empty())
                .collect();
            simplify_int(&rings)
                .iter()
                .filter(|s| s.first().is_some_and(|r| r.len() >= 3))
                .map(|s| {
                    s.iter()
                        .enumerate()
                        .filter(|(k, r)| *k == 0 || r.len() >= 3)
                        .map(|(_, r)| ring_back(r.iter().map(|p| (p.x, p.y)), f))
                        .collect()
                })
                .collect()
        }
    };
    MultiPolygon::new(
        polys
            .into_iter()
            .map(|mut rings| {
                let exterior = rings.remove(0);
                Polygon::new(exterior, rings)
            })
            .collect(),
    )
    .orient(Direction::Default)
}

/// A grid ring back in degrees, closed.
fn ring_back(ring: impl Iterator<Item = (i32, i32)>, f: f64) -> LineString<f64> {
    let mut pts: Vec<Coord<f64>> = ring
        .map(|(x, y)| Coord {
            x: x as f64 / f,
            y: y as f64 / f,
        })
        .collect();
    if let Some(&first) = pts.first() {
        pts.push(first);
    }
    LineString(pts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, Area};

    #[test]
    fn snapping_removes_pinches_and_slivers() {
        // A ring that touches itself at (1, 1) and a sliver thinner than the grid.
        let bowtie_like = polygon![(x: 0., y: 0.), (x: 2., y: 0.), (x: 1., y: 1.), (x: 2., y: 2.), (x: 0., y: 2.), (x: 1., y: 1.), (x: 0., y: 0.)];
        let sliver =
            polygon![(x: 5., y: 5.), (x: 6., y: 5.), (x: 6., y: 5.00000001), (x: 5., y: 5.)];
        let out = snap_valid(&MultiPolygon::new(vec![bowtie_like, sliver]), 7);
        assert!(geo::Validation::is_valid(&out), "{out:?}");
        assert!((out.unsigned_area() - 2.0).abs() < 1e-9);
        assert_eq!(
            snap_valid(
                &MultiPolygon::new(vec![
                    polygon![(x: 5., y: 5.), (x: 6., y: 5.), (x: 6., y: 5.00000001), (x: 5., y: 5.)]
                ]),
                7
            )
            .0
            .len(),
            0
        );
    }
}
