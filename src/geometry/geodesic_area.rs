//! Geodesic area on the WGS84 ellipsoid (Karney 2013, through geographiclib-rs),
//! the measure every figure of clearmap is given in.
//!
//! # Units
//! Square metres.
//!
//! # Assumptions
//! Lon/lat degrees; polygons valid (holes inside their exterior, not
//! overlapping). Ring orientation does not matter: each ring is measured signed
//! and its magnitude taken, so a clockwise exterior never turns into "the Earth
//! minus the polygon" (docs/facts.md).

use geo::{LineString, MultiPolygon, Polygon};
use geographiclib_rs::{Geodesic, PolygonArea, Winding};
use std::sync::OnceLock;

fn wgs84() -> &'static Geodesic {
    static G: OnceLock<Geodesic> = OnceLock::new();
    G.get_or_init(Geodesic::wgs84)
}

/// Area enclosed by one closed ring, m², whatever its orientation.
pub fn ring_area(ring: &LineString<f64>) -> f64 {
    let n = ring.0.len();
    if n < 4 {
        return 0.0;
    }
    let mut pa = PolygonArea::new(wgs84(), Winding::CounterClockwise);
    // The closing vertex repeats the first; PolygonArea closes rings itself.
    for c in &ring.0[..n - 1] {
        pa.add_point(c.y, c.x);
    }
    let (_, area, _) = pa.compute(true);
    area.abs()
}

/// Area of a polygon: its exterior less its holes, m².
pub fn polygon_area(p: &Polygon<f64>) -> f64 {
    let holes: f64 = p.interiors().iter().map(ring_area).sum();
    (ring_area(p.exterior()) - holes).max(0.0)
}

/// Area of a multipolygon whose parts do not overlap, m².
pub fn area(mp: &MultiPolygon<f64>) -> f64 {
    mp.0.iter().map(polygon_area).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use geo::polygon;

    #[test]
    fn one_degree_cell_at_the_equator() {
        // geographiclib (GeodSolve/Planimeter): 12308778361.469 m² for the
        // 1°×1° cell with corners on the equator and 0°/1° E.
        let p = polygon![(x: 0., y: 0.), (x: 1., y: 0.), (x: 1., y: 1.), (x: 0., y: 1.), (x: 0., y: 0.)];
        assert_relative_eq!(
            polygon_area(&p),
            12_308_778_361.469_452,
            max_relative = 1e-9
        );
        let cw = polygon![(x: 0., y: 0.), (x: 0., y: 1.), (x: 1., y: 1.), (x: 1., y: 0.), (x: 0., y: 0.)];
        assert_relative_eq!(
            polygon_area(&cw),
            12_308_778_361.469_452,
            max_relative = 1e-9
        );
    }

    #[test]
    fn utm_100m_square() {
        // The square (500000..500100, 1400000..1400100) of EPSG:32648 in lon/lat
        // (pyproj 3.7); 100 m / k0 squared ≈ 10008.005 m², pyproj's Geod gives
        // 10008.00480211195.
        let p = polygon![
            (x: 105.00000000000003, y: 12.664187881024551),
            (x: 105.00092093488175, y: 12.664187879431244),
            (x: 105.00092093812711, y: 12.665092174141936),
            (x: 105.00000000000003, y: 12.665092175735355),
            (x: 105.00000000000003, y: 12.664187881024551)
        ];
        assert_relative_eq!(polygon_area(&p), 10_008.004_802_111_95, max_relative = 1e-9);
    }

    #[test]
    fn hole_is_subtracted() {
        let p = polygon!(
            exterior: [(x: 0., y: 0.), (x: 1., y: 0.), (x: 1., y: 1.), (x: 0., y: 1.), (x: 0., y: 0.)],
            interiors: [[(x: 0., y: 0.), (x: 0., y: 1.), (x: 1., y: 1.), (x: 1., y: 0.), (x: 0., y: 0.)]],
        );
        assert!(polygon_area(&p).abs() < 1e-3);
    }
}
