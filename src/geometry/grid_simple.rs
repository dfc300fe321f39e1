//! Whether integer rings are valid as they are, the fast path before
//! [`super::grid_clean`]: most features are one ring that stays simple after
//! rounding, and for those the overlay is skipped. An O(n²) test of every
//! edge pair is far cheaper than building an overlay graph for a few dozen
//! vertices, and it accepts only rings the overlay would return as the same
//! ring: once spikes and straight-through vertices are dropped (as the overlay
//! drops them), no crossing, touching or overlapping edges, area ≠ 0.
//!
//! Rings of more than [`SWEEP_FROM`] edges are tested by a sweep along x
//! ([`edges_meet`]: edges sorted by their least x, each tested against those
//! still open), which tests the same pairs as all pairs do but skips the
//! pairs whose x ranges are apart without looking at them: at z14 most rings
//! of a large polygon have a hundred or more vertices. Written here rather
//! than taken from a crate: it must answer exactly as the pairwise test does
//! (same pairs, same exact integer predicate), which decides which rings
//! skip the overlay and so the tiles' bytes.

use super::grid_clean::{GridPolygon, GridRing};
use super::point_in_ring::point_in_ring;
use super::ring_area::ring_area2;
use i_overlay::i_float::int::point::IntPoint;

/// Rings longer than this go to the overlay: the pairwise test is quadratic.
/// (The overlay returns a valid ring from another first vertex, so raising
/// it would change tiles' bytes.)
const SIMPLE_TEST_MAX: usize = 160;

/// Edge counts from which [`edges_meet`] sweeps instead of testing all pairs.
const SWEEP_FROM: usize = 24;

/// `ring` as a valid exterior ring when it is simple and of non-zero area
/// once its spikes and straight-through vertices are dropped
/// ([`without_spikes`]; neither changes a border, so borders shared with
/// other features stay shared): exterior wound positive. `None` when the ring
/// needs the overlay (or is too long to test cheaply).
pub fn simple_ring(ring: &[IntPoint]) -> Option<GridRing> {
    let n = ring.len();
    if !(3..=SIMPLE_TEST_MAX).contains(&n) {
        return None;
    }
    let kept = without_spikes(ring);
    let n = kept.len();
    if n < 3 {
        return None;
    }
    // Any two edges that are not neighbours must not meet at all: edge
    // i + 1 shares a vertex with edge i, and edge n - 1 with edge 0.
    let neighbours = |i: usize, j: usize| {
        let (i, j) = (i.min(j), i.max(j));
        j == i + 1 || (i == 0 && j == n - 1)
    };
    if edges_meet(n, |i| (kept[i], kept[(i + 1) % n]), neighbours) {
        return None;
    }
    let mut out: GridRing = kept.iter().map(|q| (q.x, q.y)).collect();
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

/// Polygons given as (exterior, holes…) integer rings, as valid polygons
/// when no overlay is needed: every ring simple ([`simple_ring`]), no two rings
/// meeting anywhere, every hole inside its exterior, no exterior inside
/// another polygon and no hole inside another hole. `None` sends the feature
/// to the overlay (which also handles the rare valid layouts refused here,
/// such as an island inside a lake).
pub fn simple_polygons(polys: &[Vec<Vec<IntPoint>>]) -> Option<Vec<GridPolygon>> {
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
            let a_in_b = point_in_ring(ra[0], rb);
            let b_in_a = point_in_ring(rb[0], ra);
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
    // The edges of a, then those of b; only pairs of one edge of each count.
    let edge = |i: usize| match i.checked_sub(na) {
        None => (a[i], a[(i + 1) % na]),
        Some(j) => (b[j], b[(j + 1) % nb]),
    };
    edges_meet(na + nb, edge, |i, j| (i < na) == (j < na))
}

/// Whether two of the `n` edges `edge(0)`… meet ([`segments_meet`]), among
/// the pairs `skip` does not exclude (it is given the two indices, in either
/// order). Fewer than [`SWEEP_FROM`] edges are tested pair by pair, without
/// allocating (most rings of a tile); more by a sweep along x: the edges in
/// order of their least x, each against the edges before it whose greatest x
/// reaches it. Pairs whose bounding boxes are apart cannot meet, so both test
/// the same pairs that matter and answer alike.
fn edges_meet(
    n: usize,
    edge: impl Fn(usize) -> (IntPoint, IntPoint),
    skip: impl Fn(usize, usize) -> bool,
) -> bool {
    let bbox = |i: usize| {
        let (a, b) = edge(i);
        [a.x.min(b.x), a.y.min(b.y), a.x.max(b.x), a.y.max(b.y)]
    };
    let apart = |p: [i32; 4], q: [i32; 4]| q[2] < p[0] || q[0] > p[2] || q[3] < p[1] || q[1] > p[3];
    let meet = |i: usize, j: usize| {
        let ((a, b), (c, d)) = (edge(i), edge(j));
        segments_meet(a, b, c, d)
    };
    if n < SWEEP_FROM {
        return (0..n).any(|i| {
            let p = bbox(i);
            (i + 1..n).any(|j| !skip(i, j) && !apart(p, bbox(j)) && meet(i, j))
        });
    }
    let boxes: Vec<[i32; 4]> = (0..n).map(bbox).collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_unstable_by_key(|&i| boxes[i][0]);
    let mut open: Vec<usize> = Vec::new();
    for &i in &order {
        let x = boxes[i][0];
        open.retain(|&j| boxes[j][2] >= x);
        if open
            .iter()
            .any(|&j| !skip(i, j) && !apart(boxes[i], boxes[j]) && meet(i, j))
        {
            return true;
        }
        open.push(i);
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
    use crate::geometry::grid_clean::clean;
    use crate::geometry::rounding::quantise;
    use crate::geometry::test_rings::{ip, xorshift};

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

    #[test]
    fn the_sweep_answers_as_all_pairs_do() {
        // Random rings of 24 to 120 vertices on small grids (crossings,
        // touches and overlaps common) and on large ones (rare): the sweep
        // and the pairwise test agree on every ring and every pair of rings.
        let mut next = xorshift(0x0DDB_1A5E_5BAD_5EED);
        let pairwise = |edges: &[(IntPoint, IntPoint)], skip: &dyn Fn(usize, usize) -> bool| {
            let n = edges.len();
            (0..n).any(|i| {
                (i + 1..n).any(|j| {
                    let ((a, b), (c, d)) = (edges[i], edges[j]);
                    !skip(i, j) && segments_meet(a, b, c, d)
                })
            })
        };
        let (mut met, mut apart) = (0, 0);
        for k in 0..3000 {
            let grid = if k % 2 == 0 { 40 } else { 100_000 };
            let n = SWEEP_FROM + next(100) as usize;
            let ring: Vec<IntPoint> = (0..n)
                .map(|_| IntPoint::new(next(grid), next(grid)))
                .collect();
            let edges = ring_edges(&ring);
            let neighbours = |i: usize, j: usize| {
                let (i, j) = (i.min(j), i.max(j));
                j == i + 1 || (i == 0 && j == n - 1)
            };
            let fast = edges_meet(n, |i| edges[i], neighbours);
            assert_eq!(fast, pairwise(&edges, &neighbours), "{ring:?}");
            // A star-shaped ring (simple) and a copy of it moved: two rings.
            let m = SWEEP_FROM + next(60) as usize;
            let star: Vec<IntPoint> = (0..m)
                .map(|i| {
                    let a = std::f64::consts::TAU * i as f64 / m as f64;
                    let r = 1000.0 + next(500) as f64;
                    IntPoint::new((r * a.cos()) as i32, (r * a.sin()) as i32)
                })
                .collect();
            let star_edges = ring_edges(&star);
            assert!(!edges_meet(
                m,
                |i| star_edges[i],
                |i, j| {
                    let (i, j) = (i.min(j), i.max(j));
                    j == i + 1 || (i == 0 && j == m - 1)
                }
            ));
            let (dx, dy) = (next(12_000) - 6000, next(12_000) - 6000);
            let moved: Vec<IntPoint> = star
                .iter()
                .map(|p| IntPoint::new(p.x + dx, p.y + dy))
                .collect();
            let mut both = ring_edges(&star);
            both.extend(ring_edges(&moved));
            let across = |i: usize, j: usize| (i < m) == (j < m);
            let fast = rings_meet(&star, &moved);
            assert_eq!(fast, pairwise(&both, &across));
            if fast {
                met += 1
            } else {
                apart += 1
            }
        }
        assert!(met > 100 && apart > 100, "{met} meeting, {apart} apart");
    }

    /// The edges of closed ring `r`: vertex k to vertex k + 1, the last back
    /// to the first.
    fn ring_edges(r: &[IntPoint]) -> Vec<(IntPoint, IntPoint)> {
        let n = r.len();
        (0..n).map(|i| (r[i], r[(i + 1) % n])).collect()
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
                let sum = |ps: &[GridPolygon]| -> i64 {
                    ps.iter().flatten().map(|r| ring_area2(r)).sum()
                };
                assert_eq!(sum(&slow), sum(&fast), "{polys:?}");
                assert_eq!(slow.len(), fast.len(), "{polys:?}");
            }
        }
        assert!(accepted > 300, "only {accepted} layouts accepted");
    }
}
