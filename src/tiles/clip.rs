//! Clipping of polygon rings to a tile's buffered rectangle, and the integer
//! cleaning that makes quantised polygons valid.
//!
//! Rings are clipped one by one (Sutherland–Hodgman): fast and allocation-light,
//! but a concave ring can come out with zero-width bridges along the rectangle's
//! edges. Those, and whatever rounding to integers breaks (spikes, touching or
//! crossing edges, collapsed rings), are removed by one i_overlay `simplify` over
//! all rings of a feature with the NonZero fill rule and OGC output, on the
//! integer grid itself, so nothing is rounded after cleaning.
//!
//! Most features of a tile are one ring that stays simple after rounding; for
//! those ([`simple_ring`]) the overlay is skipped: an O(n²) test of every edge
//! pair is far cheaper than building an overlay graph for a few dozen
//! vertices, and it accepts only rings the overlay would return as the same
//! ring: once spikes and straight-through vertices are dropped (as the overlay
//! drops them), no crossing, touching or overlapping edges, area ≠ 0.

use i_overlay::core::overlay::{ContourDirection, IntOverlayOptions};
use i_overlay::i_float::int::point::IntPoint;

use super::mvt::{ring_area2, Ring, TilePolygon};
use crate::measure::ops::inside;

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
    quantise_iter(ring.iter().copied(), ring.len())
}

/// [`quantise`] of points as they come (`n` of them), for rings that need no
/// clipping and so no intermediate copy.
pub fn quantise_iter(ring: impl Iterator<Item = (f64, f64)>, n: usize) -> Vec<IntPoint> {
    let mut out: Vec<IntPoint> = Vec::with_capacity(n);
    for (x, y) in ring {
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

/// Rings longer than this go to the overlay: the pairwise test is quadratic.
const SIMPLE_TEST_MAX: usize = 160;

/// `ring` as a valid MVT exterior ring when it is simple and of non-zero area
/// once its spikes and straight-through vertices are dropped
/// ([`without_spikes`]; neither changes a border, so borders shared with
/// other features stay shared): exterior wound positive. `None` when the ring
/// needs the overlay (or is too long to test cheaply).
pub fn simple_ring(ring: &[IntPoint]) -> Option<Ring> {
    let n = ring.len();
    if !(3..=SIMPLE_TEST_MAX).contains(&n) {
        return None;
    }
    let kept = without_spikes(ring);
    let n = kept.len();
    if n < 3 {
        return None;
    }
    let p = |i: usize| kept[i % n];
    // Any two edges that are not neighbours must not meet at all.
    for i in 0..n {
        let (a, b) = (p(i), p(i + 1));
        let (ax0, ax1) = (a.x.min(b.x), a.x.max(b.x));
        let (ay0, ay1) = (a.y.min(b.y), a.y.max(b.y));
        // Edge j = i + 1 shares vertex b; edge i - 1 (= n - 1 for i = 0) shares a.
        let last = if i == 0 { n - 1 } else { n };
        for j in i + 2..last {
            let (c, d) = (p(j), p(j + 1));
            if c.x.max(d.x) < ax0 || c.x.min(d.x) > ax1 || c.y.max(d.y) < ay0 || c.y.min(d.y) > ay1
            {
                continue;
            }
            if segments_meet(a, b, c, d) {
                return None;
            }
        }
    }
    let mut out: Ring = kept.iter().map(|q| (q.x, q.y)).collect();
    let a = ring_area2(&out);
    if a == 0 {
        return None;
    }
    if a < 0 {
        out.reverse();
    }
    Some(out)
}

/// `ring` without the vertices where it goes straight on or turns straight
/// back (a spike: zero width, zero area), repeatedly, around the closing
/// vertex too. What is dropped encloses nothing, so the region the ring
/// bounds is unchanged; the overlay drops the same vertices.
fn without_spikes(ring: &[IntPoint]) -> Vec<IntPoint> {
    let collinear = |a, b, c| orient(a, b, c) == 0;
    let mut kept: Vec<IntPoint> = Vec::with_capacity(ring.len());
    for &q in ring {
        if kept.last() == Some(&q) {
            continue;
        }
        kept.push(q);
        while kept.len() >= 3 {
            let k = kept.len();
            if !collinear(kept[k - 3], kept[k - 2], kept[k - 1]) {
                break;
            }
            kept.remove(k - 2);
            if kept[k - 3] == kept[k - 2] {
                kept.pop();
            }
        }
    }
    // Around the closing vertex: the last point against the first two, the
    // first against the last and the second, until neither changes.
    let mut start = 0;
    loop {
        let live = kept.len() - start;
        if live < 3 {
            return Vec::new();
        }
        let k = kept.len();
        // A closing vertex repeated, or the last one straight on or back.
        if kept[k - 1] == kept[start] || collinear(kept[k - 2], kept[k - 1], kept[start]) {
            kept.pop();
        } else if collinear(kept[k - 1], kept[start], kept[start + 1]) {
            start += 1;
        } else {
            break;
        }
    }
    kept.drain(..start);
    kept
}

/// Polygons given as (exterior, holes…) integer rings, as valid MVT polygons
/// when no overlay is needed: every ring simple ([`simple_ring`]), no two rings
/// meeting anywhere, every hole inside its exterior, no exterior inside
/// another polygon and no hole inside another hole. `None` sends the feature
/// to the overlay (which also handles the rare valid layouts refused here,
/// such as an island inside a lake).
pub fn simple_polygons(polys: &[Vec<Vec<IntPoint>>]) -> Option<Vec<TilePolygon>> {
    let total: usize = polys.iter().flatten().map(Vec::len).sum();
    if polys.is_empty() || total > 2 * SIMPLE_TEST_MAX {
        return None;
    }
    let mut out = Vec::with_capacity(polys.len());
    for rings in polys {
        let mut poly = Vec::with_capacity(rings.len());
        for (k, ring) in rings.iter().enumerate() {
            let mut r = simple_ring(ring)?;
            if k > 0 {
                r.reverse();
            }
            poly.push(r);
        }
        if poly.is_empty() {
            return None;
        }
        out.push(poly);
    }
    if polys.len() == 1 && polys[0].len() == 1 {
        return Some(out);
    }
    let all: Vec<(usize, usize, &Vec<IntPoint>)> = polys
        .iter()
        .enumerate()
        .flat_map(|(i, rings)| rings.iter().enumerate().map(move |(k, r)| (i, k, r)))
        .collect();
    let bboxes: Vec<[i32; 4]> = all.iter().map(|(_, _, r)| ring_bbox(r)).collect();
    for a in 0..all.len() {
        for b in a + 1..all.len() {
            let (ba, bb) = (bboxes[a], bboxes[b]);
            if ba[2] < bb[0] || bb[2] < ba[0] || ba[3] < bb[1] || bb[3] < ba[1] {
                continue;
            }
            let ((pa, ka, ra), (pb, kb, rb)) = (all[a], all[b]);
            if rings_meet(ra, rb) {
                return None;
            }
            // No edge meets: one ring is inside the other iff one of its
            // vertices is. Only a hole inside its own exterior may be.
            let a_in_b = inside(ra[0], rb);
            let b_in_a = inside(rb[0], ra);
            let allowed_a_in_b = pa == pb && kb == 0 && ka > 0;
            let allowed_b_in_a = pa == pb && ka == 0 && kb > 0;
            if (a_in_b && !allowed_a_in_b) || (b_in_a && !allowed_b_in_a) {
                return None;
            }
            if (allowed_a_in_b && !a_in_b) || (allowed_b_in_a && !b_in_a) {
                return None;
            }
        }
    }
    // A hole whose bbox does not even meet its exterior's is outside it.
    for (a, &(pa, ka, _)) in all.iter().enumerate() {
        if ka > 0 {
            let e = all.iter().position(|&(p, k, _)| p == pa && k == 0)?;
            let (be, bh) = (bboxes[e], bboxes[a]);
            if bh[0] < be[0] || bh[1] < be[1] || bh[2] > be[2] || bh[3] > be[3] {
                return None;
            }
        }
    }
    Some(out)
}

fn ring_bbox(r: &[IntPoint]) -> [i32; 4] {
    r.iter()
        .fold([i32::MAX, i32::MAX, i32::MIN, i32::MIN], |b, p| {
            [b[0].min(p.x), b[1].min(p.y), b[2].max(p.x), b[3].max(p.y)]
        })
}

/// Whether any edge of closed ring `a` meets any edge of closed ring `b`.
fn rings_meet(a: &[IntPoint], b: &[IntPoint]) -> bool {
    let (na, nb) = (a.len(), b.len());
    for i in 0..na {
        let (p, q) = (a[i], a[(i + 1) % na]);
        let (x0, x1, y0, y1) = (p.x.min(q.x), p.x.max(q.x), p.y.min(q.y), p.y.max(q.y));
        for j in 0..nb {
            let (c, d) = (b[j], b[(j + 1) % nb]);
            if c.x.max(d.x) < x0 || c.x.min(d.x) > x1 || c.y.max(d.y) < y0 || c.y.min(d.y) > y1 {
                continue;
            }
            if segments_meet(p, q, c, d) {
                return true;
            }
        }
    }
    false
}

/// Twice the signed area of the triangle a, b, c.
fn orient(a: IntPoint, b: IntPoint, c: IntPoint) -> i64 {
    (b.x as i64 - a.x as i64) * (c.y as i64 - a.y as i64)
        - (b.y as i64 - a.y as i64) * (c.x as i64 - a.x as i64)
}

/// Whether closed segments ab and cd share any point.
fn segments_meet(a: IntPoint, b: IntPoint, c: IntPoint, d: IntPoint) -> bool {
    let (d1, d2) = (orient(c, d, a), orient(c, d, b));
    let (d3, d4) = (orient(a, b, c), orient(a, b, d));
    if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) {
        return true;
    }
    let within = |p: IntPoint, q: IntPoint, r: IntPoint| {
        r.x >= p.x.min(q.x) && r.x <= p.x.max(q.x) && r.y >= p.y.min(q.y) && r.y <= p.y.max(q.y)
    };
    (d1 == 0 && within(c, d, a))
        || (d2 == 0 && within(c, d, b))
        || (d3 == 0 && within(a, b, c))
        || (d4 == 0 && within(a, b, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Seeded numbers in 0..m (xorshift): reproducible random rings.
    fn xorshift(mut seed: u64) -> impl FnMut(i32) -> i32 {
        move |m| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % m as u64) as i32
        }
    }

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
    fn simple_rings_skip_the_overlay_and_others_do_not() {
        // A square given negative: rewound; the collinear midpoint dropped.
        let sq = simple_ring(&ip(&[(0, 0), (0, 10), (10, 10), (10, 5), (10, 0)])).unwrap();
        assert_eq!(sq.len(), 4);
        assert!(ring_area2(&sq) > 0);
        // A spike (out along the edge and back) encloses nothing: dropped.
        let spiked = simple_ring(&ip(&[(0, 0), (10, 0), (20, 0), (10, 0), (10, 10)])).unwrap();
        assert_eq!(spiked, vec![(0, 0), (10, 0), (10, 10)]);
        let around_start =
            simple_ring(&ip(&[(5, 0), (10, 0), (10, 10), (0, 10), (0, 0), (-5, 0)])).unwrap();
        assert_eq!(ring_area2(&around_start), 200);
        assert_eq!(around_start.len(), 4);
        // Bow-tie, touching vertex, zero-width bridge: overlay needed.
        assert!(simple_ring(&ip(&[(0, 0), (10, 10), (10, 0), (0, 10)])).is_none());
        assert!(simple_ring(&ip(&[(0, 0), (10, 0), (5, 5), (10, 10), (0, 10), (5, 5)])).is_none());
        // A spike along a shared edge: what is left is the outline of the
        // union, as the overlay gives it.
        let bridged = ip(&[
            (0, 0),
            (10, 0),
            (10, 4),
            (20, 4),
            (20, 6),
            (10, 6),
            (10, 4),
            (10, 10),
            (0, 10),
        ]);
        let fast = simple_ring(&bridged).unwrap();
        let slow = clean(vec![bridged]);
        assert_eq!(slow.len(), 1);
        assert_eq!(ring_area2(&fast), ring_area2(&slow[0][0]));
        assert_eq!(ring_area2(&fast), 240);
        assert!(simple_ring(&ip(&[(0, 0), (5, 0), (10, 0)])).is_none());
        // All on one line, or out and back: nothing left.
        assert!(without_spikes(&ip(&[(0, 0), (5, 0), (10, 0), (5, 0)])).is_empty());
        assert!(without_spikes(&ip(&[(0, 0), (10, 0), (0, 0), (10, 0)])).is_empty());
        // Repeated points and a straight run across the closing vertex.
        assert_eq!(
            without_spikes(&ip(&[(0, 5), (0, 0), (0, 0), (10, 0), (10, 10), (0, 10)])),
            ip(&[(0, 0), (10, 0), (10, 10), (0, 10)])
        );
    }

    /// A ring started at its least vertex, to compare rings as cycles.
    fn rotated(r: &[(i32, i32)]) -> Vec<(i32, i32)> {
        let k = (0..r.len()).min_by_key(|&i| r[i]).unwrap_or(0);
        r[k..].iter().chain(&r[..k]).copied().collect()
    }

    #[test]
    fn simple_rings_agree_with_the_overlay() {
        // Random small rings (spikes and straight runs are common on so small
        // a grid): whenever the fast test accepts one, the overlay gives one
        // polygon without holes, the very same ring.
        let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
        let mut accepted = 0;
        for _ in 0..4000 {
            let n = 3 + next(6) as usize;
            let ring: Vec<IntPoint> = (0..n).map(|_| IntPoint::new(next(12), next(12))).collect();
            let ring = quantise(
                &ring
                    .iter()
                    .map(|p| (p.x as f64, p.y as f64))
                    .collect::<Vec<_>>(),
            );
            if let Some(fast) = simple_ring(&ring) {
                accepted += 1;
                let slow = clean(vec![ring.clone()]);
                assert_eq!(slow.len(), 1, "{ring:?}");
                assert_eq!(slow[0].len(), 1, "{ring:?}");
                assert_eq!(ring_area2(&slow[0][0]), ring_area2(&fast), "{ring:?}");
                assert_eq!(rotated(&slow[0][0]), rotated(&fast), "{ring:?}");
            }
        }
        assert!(accepted > 100, "only {accepted} simple rings drawn");
    }

    #[test]
    fn polygons_with_holes_skip_the_overlay_only_when_laid_out_validly() {
        let outer = ip(&[(0, 0), (20, 0), (20, 20), (0, 20)]);
        let hole = ip(&[(5, 5), (5, 10), (10, 10), (10, 5)]);
        let out = simple_polygons(&[vec![outer.clone(), hole.clone()]]).unwrap();
        assert_eq!(out.len(), 1);
        assert!(ring_area2(&out[0][0]) > 0 && ring_area2(&out[0][1]) < 0);
        // Two separate parts.
        let far = ip(&[(30, 0), (40, 0), (40, 10), (30, 10)]);
        assert_eq!(
            simple_polygons(&[vec![outer.clone()], vec![far]])
                .unwrap()
                .len(),
            2
        );
        // Hole outside its exterior, hole touching it, part inside another part,
        // nested holes: overlay.
        let out_hole = ip(&[(25, 5), (25, 10), (30, 10), (30, 5)]);
        assert!(simple_polygons(&[vec![outer.clone(), out_hole]]).is_none());
        let touching = ip(&[(0, 5), (5, 10), (5, 5)]);
        assert!(simple_polygons(&[vec![outer.clone(), touching]]).is_none());
        let inner = ip(&[(2, 2), (4, 2), (4, 4), (2, 4)]);
        assert!(simple_polygons(&[vec![outer.clone()], vec![inner]]).is_none());
        let big_hole = ip(&[(3, 3), (3, 15), (15, 15), (15, 3)]);
        assert!(simple_polygons(&[vec![outer, big_hole, hole]]).is_none());
    }

    #[test]
    fn simple_polygons_agree_with_the_overlay() {
        // Random squares with random holes: whenever the fast test accepts a
        // layout, the overlay gives the same polygons' (doubled) areas.
        let mut next = xorshift(0x2545_F491_4F6C_DD1D);
        let mut accepted = 0;
        for _ in 0..3000 {
            let mut polys = Vec::new();
            for _ in 0..1 + next(2) {
                let (x, y, w) = (next(30), next(30), 2 + next(14));
                let mut rings = vec![ip(&[(x, y), (x + w, y), (x + w, y + w), (x, y + w)])];
                if next(2) == 0 {
                    let (hx, hy, hw) = (x + next(w), y + next(w), 1 + next(5));
                    rings.push(ip(&[
                        (hx, hy),
                        (hx, hy + hw),
                        (hx + hw, hy + hw),
                        (hx + hw, hy),
                    ]));
                }
                polys.push(rings);
            }
            if let Some(fast) = simple_polygons(&polys) {
                accepted += 1;
                let slow = clean(polys.iter().flatten().cloned().collect());
                let sum = |ps: &[TilePolygon]| -> i64 {
                    ps.iter().flatten().map(|r| ring_area2(r)).sum()
                };
                assert_eq!(sum(&slow), sum(&fast), "{polys:?}");
                assert_eq!(slow.len(), fast.len(), "{polys:?}");
            }
        }
        assert!(accepted > 300, "only {accepted} layouts accepted");
    }

    /// Whether a cleaned polygon's interior is connected and its rings simple
    /// at their vertices: no ring passes twice through a point, and the rings
    /// touching each other at points form no cycle (a cycle of touching holes,
    /// or a hole touching the exterior twice, cuts the interior in two;
    /// shapely: "Interior is disconnected").
    fn interior_connected(poly: &TilePolygon) -> bool {
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
