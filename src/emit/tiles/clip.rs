//! Clipping of polygon rings to a tile's buffered rectangle, and the integer
//! cleaning that makes quantised polygons valid.
//!
//! Rings are clipped one by one (Sutherland–Hodgman): fast and allocation-light,
//! but a concave ring can come out with zero-width bridges along the rectangle's
//! edges. Those, and whatever rounding to integers breaks (spikes, touching or
//! crossing edges, collapsed rings), are removed by one i_overlay `simplify` over
//! all rings of a feature with the NonZero fill rule and OGC output, on the
//! integer grid itself, so nothing is rounded after cleaning.

use i_overlay::core::overlay::{ContourDirection, IntOverlayOptions};
use i_overlay::i_float::int::point::IntPoint;

use super::mvt::{ring_area2, TilePolygon};

/// An axis-aligned rectangle.
#[derive(Debug, Clone, Copy)]
pub struct Rect {
    pub min_x: f64,
    pub min_y: f64,
    pub max_x: f64,
    pub max_y: f64,
}

/// Clip a closed ring (no repeated closing vertex needed) to `r`.
pub fn clip_ring(ring: &[(f64, f64)], r: &Rect) -> Vec<(f64, f64)> {
    let mut pts: Vec<(f64, f64)> = ring.to_vec();
    // Each edge of the rectangle as (inside test, intersection) on one axis.
    for edge in 0..4 {
        if pts.is_empty() {
            break;
        }
        let inside = |p: &(f64, f64)| match edge {
            0 => p.0 >= r.min_x,
            1 => p.0 <= r.max_x,
            2 => p.1 >= r.min_y,
            _ => p.1 <= r.max_y,
        };
        let cross = |a: &(f64, f64), b: &(f64, f64)| -> (f64, f64) {
            let (k, v) = match edge {
                0 => (0, r.min_x),
                1 => (0, r.max_x),
                2 => (1, r.min_y),
                _ => (1, r.max_y),
            };
            if k == 0 {
                let t = (v - a.0) / (b.0 - a.0);
                (v, a.1 + t * (b.1 - a.1))
            } else {
                let t = (v - a.1) / (b.1 - a.1);
                (a.0 + t * (b.0 - a.0), v)
            }
        };
        let mut out = Vec::with_capacity(pts.len() + 4);
        let n = pts.len();
        for i in 0..n {
            let cur = pts[i];
            let prev = pts[(i + n - 1) % n];
            match (inside(&prev), inside(&cur)) {
                (true, true) => out.push(cur),
                (true, false) => out.push(cross(&prev, &cur)),
                (false, true) => {
                    out.push(cross(&prev, &cur));
                    out.push(cur);
                }
                (false, false) => {}
            }
        }
        pts = out;
    }
    pts
}

/// Round a ring to the integer grid, dropping repeated points (the closing
/// vertex included).
pub fn quantise(ring: &[(f64, f64)]) -> Vec<IntPoint> {
    let mut out: Vec<IntPoint> = Vec::with_capacity(ring.len());
    for &(x, y) in ring {
        let p = IntPoint::new(x.round() as i32, y.round() as i32);
        if out.last() != Some(&p) {
            out.push(p);
        }
    }
    while out.len() > 1 && out.first() == out.last() {
        out.pop();
    }
    out
}

/// Clean integer rings into valid polygons: each polygon is its exterior (positive
/// surveyor's area in y-down tile coordinates, the MVT exterior) followed by its
/// holes (negative area). Input rings may be wound either way as long as holes
/// wind opposite to their exterior (NonZero fill).
pub fn clean(rings: Vec<Vec<IntPoint>>) -> Vec<TilePolygon> {
    let rings: Vec<Vec<IntPoint>> = rings.into_iter().filter(|r| r.len() >= 3).collect();
    if rings.is_empty() {
        return Vec::new();
    }
    let options = IntOverlayOptions {
        output_direction: ContourDirection::CounterClockwise,
        ..IntOverlayOptions::ogc()
    };
    let shapes = crate::measure::ops::simplify_int(&rings, options);
    let mut out = Vec::with_capacity(shapes.len());
    for shape in shapes {
        let mut poly = Vec::with_capacity(shape.len());
        for (k, contour) in shape.into_iter().enumerate() {
            let mut ring: Vec<(i32, i32)> = contour.iter().map(|p| (p.x, p.y)).collect();
            let a = ring_area2(&ring);
            if ring.len() < 3 || a == 0 {
                continue;
            }
            // Exterior positive, holes negative, whatever convention the
            // overlay's "counter-clockwise" follows.
            if (k == 0) != (a > 0) {
                ring.reverse();
            }
            if k == 0 || !poly.is_empty() {
                poly.push(ring);
            }
        }
        if !poly.is_empty() {
            out.push(poly);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(v: &[(i32, i32)]) -> Vec<IntPoint> {
        v.iter().map(|&(x, y)| IntPoint::new(x, y)).collect()
    }

    #[test]
    fn clip_square_to_rect() {
        let r = Rect {
            min_x: 0.0,
            min_y: 0.0,
            max_x: 10.0,
            max_y: 10.0,
        };
        let ring = [(-5.0, -5.0), (5.0, -5.0), (5.0, 5.0), (-5.0, 5.0)];
        let c = clip_ring(&ring, &r);
        assert_eq!(c.len(), 4);
        assert!(c
            .iter()
            .all(|p| p.0 >= 0.0 && p.0 <= 5.0 && p.1 >= 0.0 && p.1 <= 5.0));
        assert!(clip_ring(&[(20.0, 20.0), (30.0, 20.0), (30.0, 30.0)], &r).is_empty());
    }

    #[test]
    fn bow_tie_and_wrong_winding_come_out_valid_and_positive() {
        // A bow-tie: two triangles of opposite winding.
        let out = clean(vec![ip(&[(0, 0), (10, 10), (10, 0), (0, 10)])]);
        assert_eq!(out.len(), 2);
        for p in &out {
            assert!(ring_area2(&p[0]) > 0);
        }
        // Square with a hole, exterior given negative: rewound.
        let out = clean(vec![
            ip(&[(0, 0), (0, 10), (10, 10), (10, 0)]),
            ip(&[(2, 2), (8, 2), (8, 8), (2, 8)]),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].len(), 2);
        assert!(ring_area2(&out[0][0]) > 0 && ring_area2(&out[0][1]) < 0);
    }

    #[test]
    fn collapsed_rings_vanish() {
        assert!(clean(vec![ip(&[(0, 0), (5, 0), (10, 0)])]).is_empty());
        assert!(quantise(&[(0.1, 0.1), (0.2, 0.3), (0.4, 0.2)]).len() == 1);
    }
}
