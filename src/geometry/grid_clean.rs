//! Integer-grid cleaning: rings rounded to an integer grid (tile units, or
//! the GeoJSON writers' decimals) made valid polygons on that grid itself, so
//! nothing is rounded after cleaning.
//!
//! Rounding breaks rings: spikes, touching or crossing edges, collapsed
//! rings, and (after clipping to a tile) zero-width bridges along the clip
//! rectangle's edges. [`clean`] removes them with one i_overlay `simplify`
//! over all rings of a feature (NonZero fill, OGC output; [`simplify_int`]
//! says which i_overlay and why).
//!
//! Most features are one ring that stays simple after rounding and need no
//! cleaning: [`super::grid_simple`] tells them apart first.

use super::point_in_ring::point_in_ring;
use super::ring_area::ring_area2;
use crate::guard::guarded;
use i_overlay::core::fill_rule::FillRule;
use i_overlay::core::overlay::{ContourDirection, IntOverlayOptions};
use i_overlay::core::simplify::Simplify as _;
use i_overlay::i_float::int::point::IntPoint;

/// A ring on the integer grid, without closing vertex.
pub type GridRing = Vec<(i32, i32)>;

/// A polygon on the integer grid: its exterior (positive area), then its holes
/// (negative area).
pub type GridPolygon = Vec<GridRing>;

/// Integer shapes: each is an outer contour followed by its holes.
pub type IntShapes = Vec<Vec<Vec<IntPoint>>>;

/// Clean integer rings into valid polygons: each polygon is its exterior (positive
/// surveyor's area: clockwise on screen in y-down tile coordinates, the MVT
/// exterior; counter-clockwise in y-up lon/lat) followed by its holes
/// (negative area). Input rings may be wound either way as long as holes
/// wind opposite to their exterior (NonZero fill).
pub fn clean(rings: Vec<Vec<IntPoint>>) -> Vec<GridPolygon> {
    let rings: Vec<Vec<IntPoint>> = rings.into_iter().filter(|r| r.len() >= 3).collect();
    if rings.is_empty() {
        return Vec::new();
    }
    let shapes = simplify_int(&rings);
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

/// Twice the signed area of integer shapes, exactly.
fn shapes_area2(shapes: &IntShapes) -> i128 {
    shapes.iter().flatten().map(|r| ring_area2(r)).sum()
}

/// Clean integer rings (non-zero fill) into OGC-valid shapes, with i_overlay
/// 9 (4.5's OGC extraction, which geo still runs, can leave holes touching in
/// a chain across a polygon, an invalid polygon whose interior is
/// disconnected). The OGC output is used when it does not panic and holds
/// exactly the area of the plain output; otherwise the plain output (valid but
/// for rings that may touch themselves at a vertex) is returned. Either way, rings that pass twice through a vertex are
/// split there ([`split_touching`]).
pub fn simplify_int(rings: &[Vec<IntPoint>]) -> IntShapes {
    // Collinear output points are kept: where a ring passes through the same
    // point twice, dropping the "collinear" copy turns the touch into a vertex
    // lying on an edge, which split_touching could no longer find.
    let ogc_options = IntOverlayOptions::<u64> {
        preserve_input_collinear: false,
        output_direction: ContourDirection::CounterClockwise,
        preserve_output_collinear: true,
        min_output_area: 0,
        ogc: true,
    };
    let plain_options = IntOverlayOptions {
        ogc: false,
        ..ogc_options
    };
    // i_overlay 4.5's OGC extraction tripped its own debug assertion on some
    // inputs (and 9 may have others): a panic here falls back, it does not
    // fail the run.
    let Some(plain) = guarded(|| rings.simplify(FillRule::NonZero, plain_options)) else {
        // Neither output is available: the rings as they are, one shape each.
        return rings
            .iter()
            .filter(|r| r.len() >= 3)
            .map(|r| vec![r.clone()])
            .collect();
    };
    let chosen = match guarded(|| rings.simplify(FillRule::NonZero, ogc_options)) {
        Some(ogc) if shapes_area2(&ogc) == shapes_area2(&plain) => ogc,
        _ => plain,
    };
    chosen.into_iter().flat_map(split_touching).collect()
}

/// Split a ring that passes through one vertex more than once into simple
/// loops (a stack walk: a repeated vertex closes the loop since its first visit).
fn simple_loops(ring: &[IntPoint]) -> Vec<Vec<IntPoint>> {
    let mut loops = Vec::new();
    let mut path: Vec<IntPoint> = Vec::with_capacity(ring.len());
    let mut at: std::collections::HashMap<IntPoint, usize> = std::collections::HashMap::new();
    for &p in ring {
        if let Some(&i) = at.get(&p) {
            let lp: Vec<IntPoint> = path.drain(i + 1..).collect();
            for q in &lp {
                at.remove(q);
            }
            let mut closed = vec![p];
            closed.extend(lp);
            if closed.len() >= 3 {
                loops.push(closed);
            }
        } else {
            at.insert(p, path.len());
            path.push(p);
        }
    }
    if path.len() >= 3 {
        loops.push(path);
    }
    loops
}

/// Make one plain i_overlay shape OGC-valid: rings that touch themselves are
/// split at the touching vertex; a loop wound like the exterior is a polygon
/// of its own (two parts meeting at a point), a loop wound the other way is a
/// hole touching the exterior at that point. Area is unchanged.
fn split_touching(shape: Vec<Vec<IntPoint>>) -> IntShapes {
    let Some(outer) = shape.first() else {
        return Vec::new();
    };
    let sign = ring_area2(outer).signum();
    let mut outers: Vec<Vec<IntPoint>> = Vec::new();
    let mut holes: Vec<Vec<IntPoint>> = Vec::new();
    for ring in &shape {
        for lp in simple_loops(ring) {
            let a = ring_area2(&lp);
            if a == 0 {
                continue;
            }
            if a.signum() == sign {
                outers.push(lp);
            } else {
                holes.push(lp);
            }
        }
    }
    let mut out: IntShapes = outers.into_iter().map(|o| vec![o]).collect();
    for h in holes {
        let k = if out.len() == 1 {
            0
        } else {
            out.iter()
                .position(|s| {
                    h.iter()
                        .any(|&p| !s[0].contains(&p) && point_in_ring(p, &s[0]))
                })
                .unwrap_or(0)
        };
        if let Some(s) = out.get_mut(k) {
            s.push(h);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::rounding::quantise;
    use crate::geometry::test_rings::{ip, xorshift};

    #[test]
    fn pinched_rings_are_split_without_losing_area() {
        // Exterior touching itself at (2, 2): two lobes meeting at a point.
        let pinched = ip(&[(0, 0), (2, 2), (4, 0), (4, 4), (2, 2), (0, 4)]);
        let out = split_touching(vec![pinched.clone()]);
        assert_eq!(out.len(), 2);
        assert_eq!(shapes_area2(&out), ring_area2(&pinched));
        // An inverted hole: the exterior runs into itself around a hole.
        let inverted = ip(&[
            (0, 0),
            (10, 0),
            (10, 10),
            (5, 10),
            (6, 5),
            (4, 5),
            (5, 10),
            (0, 10),
        ]);
        let out = split_touching(vec![inverted.clone()]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].len(), 2, "one exterior and one hole: {out:?}");
        assert_eq!(shapes_area2(&out), ring_area2(&inverted));
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

    /// Whether a cleaned polygon's interior is connected and its rings simple
    /// at their vertices: no ring passes twice through a point, and the rings
    /// touching each other at points form no cycle (a cycle of touching holes,
    /// or a hole touching the exterior twice, cuts the interior in two;
    /// shapely: "Interior is disconnected").
    fn interior_connected(poly: &GridPolygon) -> bool {
        let mut parent: Vec<usize> = (0..poly.len()).collect();
        fn root(p: &mut [usize], i: usize) -> usize {
            let mut i = i;
            while p[i] != i {
                i = p[i];
            }
            i
        }
        let mut first_ring: std::collections::HashMap<(i32, i32), usize> = Default::default();
        for (k, ring) in poly.iter().enumerate() {
            let mut own = std::collections::HashSet::new();
            for &v in ring {
                if !own.insert(v) {
                    return false;
                }
                match first_ring.get(&v) {
                    Some(&j) => {
                        let (a, b) = (root(&mut parent, j), root(&mut parent, k));
                        if a == b {
                            return false;
                        }
                        parent[a] = b;
                    }
                    None => {
                        first_ring.insert(v, k);
                    }
                }
            }
        }
        true
    }

    #[test]
    fn cleaned_polygons_have_connected_interiors() {
        // Random overlapping rings on a small grid touch and pinch everywhere.
        // i_overlay 4.5's OGC extraction returned polygons whose holes touch
        // in a chain across them for some of these (and for a hazard of the
        // Bosnia data at z10-z13); every cleaned polygon must be valid.
        let mut next = xorshift(0x1234_5678_9ABC_DEF1);
        let mut polygons = 0;
        for _ in 0..20_000 {
            let rings: Vec<Vec<IntPoint>> = (0..2 + next(4))
                .map(|k| {
                    let n = 3 + next(if k == 0 { 6 } else { 3 });
                    (0..n).map(|_| IntPoint::new(next(10), next(10))).collect()
                })
                .collect();
            for poly in clean(rings.clone()) {
                polygons += 1;
                assert!(interior_connected(&poly), "{rings:?} → {poly:?}");
            }
        }
        assert!(polygons > 10_000, "only {polygons} polygons");
    }

    #[test]
    fn collapsed_rings_vanish() {
        assert!(clean(vec![ip(&[(0, 0), (5, 0), (10, 0)])]).is_empty());
        assert!(quantise(&[(0.1, 0.1), (0.2, 0.3), (0.4, 0.2)]).len() == 1);
    }
}
