//! Validity of polygons and multipolygons by geo's rules (`geo::Validation`),
//! with the same answers (and, for a polygon, the same first error) but
//! without geo's all-pairs loops.
//!
//! Why not geo's `is_valid`: it tests every segment of a ring against every
//! other (a valid ring of 100k vertices took two minutes) and relates every
//! part of a multipolygon, and every hole of a polygon, to every other one.
//! Here the pairs come from R-trees (rstar) of segment and ring envelopes, and
//! only pairs whose closed envelopes meet are tested, with geo's own
//! predicates (`Line::intersects`, `relate`). Two closed segments or rings
//! whose envelopes do not meet share no point, so no pair left out could have
//! failed a test: the answer is geo's, in O(n log n) on real data.
//!
//! A geometry with a non-finite coordinate goes to geo unchanged (an envelope
//! of NaN would meet nothing); normalize quarantines such records first.

use geo::algorithm::validation::{InvalidPolygon, RingRole};
use geo::coordinate_position::CoordPos;
use geo::dimensions::Dimensions;
use geo::{
    BoundingRect, Coord, Intersects, Line, LineString, MultiPolygon, Polygon, PreparedGeometry,
    Relate, RemoveRepeatedPoints, Validation,
};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, RTreeObject, AABB};

/// Rings with fewer segments are tested pair by pair: building a tree costs
/// more than it saves there.
const BRUTE_FORCE_SEGMENTS: usize = 32;

type Indexed = GeomWithData<Rectangle<[f64; 2]>, usize>;

fn envelope(a: Coord<f64>, b: Coord<f64>) -> AABB<[f64; 2]> {
    AABB::from_corners([a.x, a.y], [b.x, b.y])
}

/// Each item's bounding box with its index, for an R-tree; an empty item
/// (no box) is left out.
fn indexed_boxes<T: BoundingRect<f64>>(items: &[T]) -> Vec<Indexed>
where
    T::Output: Into<Option<geo::Rect<f64>>>,
{
    items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| {
            let b: geo::Rect<f64> = item.bounding_rect().into()?;
            Some(GeomWithData::new(
                Rectangle::from_corners([b.min().x, b.min().y], [b.max().x, b.max().y]),
                i,
            ))
        })
        .collect()
}

fn finite(c: &Coord<f64>) -> bool {
    c.x.is_finite() && c.y.is_finite()
}

/// The first error geo's `check_validation` reports for `p`, or `None` when
/// `p` is valid.
pub fn polygon_error(p: &Polygon<f64>) -> Option<InvalidPolygon> {
    let rings = || std::iter::once(p.exterior()).chain(p.interiors());
    if !rings().flat_map(|r| r.0.iter()).all(finite) {
        return p.check_validation().err();
    }
    if p.exterior().0.is_empty() {
        return None;
    }
    // Ring by ring, in geo's order: too few points, then self-intersection
    // (non-finite coordinates cannot occur here).
    for (i, ring) in rings().enumerate() {
        if ring.0.is_empty() {
            continue;
        }
        let role = if i == 0 {
            RingRole::Exterior
        } else {
            RingRole::Interior(i - 1)
        };
        if ring.remove_repeated_points().0.len() < 4 {
            return Some(InvalidPolygon::TooFewPointsInRing(role));
        }
        if ring_self_intersects(ring) {
            return Some(InvalidPolygon::SelfIntersection(role));
        }
    }
    hole_error(p)
}

/// The checks geo makes between rings (each hole inside the exterior and
/// touching it at points only; holes not overlapping nor sharing a line),
/// with the hole pairs taken from an R-tree of their envelopes.
fn hole_error(p: &Polygon<f64>) -> Option<InvalidPolygon> {
    if p.interiors().iter().all(|r| r.0.is_empty()) {
        return None;
    }
    let exterior = Polygon::new(p.exterior().clone(), vec![]);
    let prepared_exterior = PreparedGeometry::from(&exterior);
    let boxes = indexed_boxes(p.interiors());
    let tree = RTree::bulk_load(boxes);
    for (i, hole) in p.interiors().iter().enumerate() {
        let Some(b) = hole.bounding_rect() else {
            continue;
        };
        let role = RingRole::Interior(i);
        let hole_polygon = Polygon::new(hole.clone(), vec![]);
        let prepared_hole = PreparedGeometry::from(&hole_polygon);
        let m = prepared_exterior.relate(&prepared_hole);
        if !m.is_contains() {
            return Some(InvalidPolygon::InteriorRingNotContainedInExteriorRing(role));
        }
        if m.get(CoordPos::OnBoundary, CoordPos::OnBoundary) == Dimensions::OneDimensional {
            return Some(InvalidPolygon::IntersectingRingsOnALine(
                RingRole::Exterior,
                role,
            ));
        }
        let mut later: Vec<usize> = tree
            .locate_in_envelope_intersecting(&envelope(b.min(), b.max()))
            .map(|g| g.data)
            .filter(|&j| j > i)
            .collect();
        // geo's order, so that the first error is geo's first error.
        later.sort_unstable();
        for j in later {
            let other = Polygon::new(p.interiors()[j].clone(), vec![]);
            let m = prepared_hole.relate(&other);
            if m.get(CoordPos::Inside, CoordPos::Inside) == Dimensions::TwoDimensional {
                return Some(InvalidPolygon::IntersectingRingsOnAnArea(
                    role,
                    RingRole::Interior(j),
                ));
            }
            if m.get(CoordPos::OnBoundary, CoordPos::OnBoundary) == Dimensions::OneDimensional {
                return Some(InvalidPolygon::IntersectingRingsOnALine(
                    role,
                    RingRole::Interior(j),
                ));
            }
        }
    }
    None
}

/// geo's test of one pair of segments of a ring: they meet, and not only
/// where one ends and the other starts.
fn pair_intersects(a: &Line<f64>, b: &Line<f64>) -> bool {
    (a.intersects(b) || b.intersects(a)) && a.start != b.end && a.end != b.start
}

/// Whether two segments of the ring meet other than end to start (geo's
/// `linestring_has_self_intersection`).
fn ring_self_intersects(ring: &LineString<f64>) -> bool {
    let lines: Vec<Line<f64>> = ring.lines().collect();
    if lines.len() <= BRUTE_FORCE_SEGMENTS {
        all_pairs_intersect(&lines)
    } else {
        indexed_pairs_intersect(&lines)
    }
}

fn all_pairs_intersect(lines: &[Line<f64>]) -> bool {
    lines
        .iter()
        .enumerate()
        .any(|(i, a)| lines[i + 1..].iter().any(|b| pair_intersects(a, b)))
}

fn indexed_pairs_intersect(lines: &[Line<f64>]) -> bool {
    let tree = RTree::bulk_load(
        lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                GeomWithData::new(
                    Rectangle::from_corners([l.start.x, l.start.y], [l.end.x, l.end.y]),
                    i,
                )
            })
            .collect::<Vec<Indexed>>(),
    );
    lines.iter().enumerate().any(|(i, a)| {
        tree.locate_in_envelope_intersecting(&envelope(a.start, a.end))
            .any(|g| g.data > i && pair_intersects(a, &lines[g.data]))
    })
}

/// geo's `MultiPolygon::is_valid`: every part valid, and no two parts
/// overlapping or sharing a line; only parts whose envelopes meet are related.
/// Each such pair still costs the larger part's size: many parts inside the
/// envelope of one big part (islands in its holes) stay quadratic.
pub fn multipolygon_is_valid(mp: &MultiPolygon<f64>) -> bool {
    if !mp
        .0
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|r| r.0.iter())
        .all(finite)
    {
        return mp.is_valid();
    }
    if mp.0.iter().any(|p| polygon_error(p).is_some()) {
        return false;
    }
    let boxes = indexed_boxes(&mp.0);
    let tree = RTree::bulk_load(boxes.clone());
    let mut pairs = Vec::new();
    for a in &boxes {
        let i = a.data;
        pairs.extend(
            tree.locate_in_envelope_intersecting(&a.geom().envelope())
                .filter(|g| g.data > i)
                .map(|g| (i, g.data)),
        );
    }
    // A part in several pairs (a big part with islands in its holes) is
    // prepared once, as geo's own checks prepare a polygon's exterior: its
    // graph, noded once, is copied for each pair instead of noded again.
    let mut pairs_of = vec![0usize; mp.0.len()];
    for &(i, j) in &pairs {
        pairs_of[i] += 1;
        pairs_of[j] += 1;
    }
    let prepared: Vec<Option<PreparedGeometry<'_, &Polygon<f64>>>> =
        mp.0.iter()
            .zip(&pairs_of)
            .map(|(p, &k)| (k > 1).then(|| PreparedGeometry::from(p)))
            .collect();
    pairs.iter().all(|&(i, j)| {
        let m = match (&prepared[i], &prepared[j]) {
            (Some(a), Some(b)) => a.relate(b),
            (Some(a), None) => a.relate(&mp.0[j]),
            (None, Some(b)) => mp.0[i].relate(b),
            (None, None) => mp.0[i].relate(&mp.0[j]),
        };
        m.get(CoordPos::Inside, CoordPos::Inside) != Dimensions::TwoDimensional
            && m.get(CoordPos::OnBoundary, CoordPos::OnBoundary) != Dimensions::OneDimensional
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;
    use proptest::prelude::*;

    fn ring(v: &[(f64, f64)]) -> LineString<f64> {
        let mut pts: Vec<Coord<f64>> = v.iter().map(|&(x, y)| Coord { x, y }).collect();
        pts.push(pts[0]);
        LineString(pts)
    }

    /// A star-shaped ring around (cx, cy): valid whatever the radii, as its
    /// angles increase; `n` vertices.
    fn star(n: usize, cx: f64, cy: f64, r: impl Fn(usize) -> f64) -> LineString<f64> {
        let v: Vec<(f64, f64)> = (0..n)
            .map(|i| {
                let a = std::f64::consts::TAU * i as f64 / n as f64;
                (cx + r(i) * a.cos(), cy + r(i) * a.sin())
            })
            .collect();
        ring(&v)
    }

    fn same_as_geo(p: &Polygon<f64>) {
        assert_eq!(polygon_error(p), p.check_validation().err(), "{p:?}");
    }

    #[test]
    fn rings_of_the_usual_defects_get_geo_answer() {
        let cases = [
            // valid square, bow-tie, pinch (ring touching itself at a vertex),
            // spike, collinear overlap, a vertex on another edge
            polygon![(x: 0., y: 0.), (x: 1., y: 0.), (x: 1., y: 1.), (x: 0., y: 1.)],
            polygon![(x: 0., y: 0.), (x: 1., y: 1.), (x: 1., y: 0.), (x: 0., y: 1.)],
            polygon![(x: 0., y: 0.), (x: 2., y: 0.), (x: 1., y: 1.), (x: 2., y: 2.), (x: 0., y: 2.), (x: 1., y: 1.)],
            polygon![(x: 0., y: 0.), (x: 2., y: 0.), (x: 3., y: 0.), (x: 2., y: 0.), (x: 2., y: 2.)],
            polygon![(x: 0., y: 0.), (x: 4., y: 0.), (x: 4., y: 1.), (x: 1., y: 0.), (x: 0., y: 1.)],
            polygon![(x: 0., y: 0.), (x: 4., y: 0.), (x: 4., y: 4.), (x: 2., y: 0.), (x: 0., y: 4.)],
            polygon![(x: 0., y: 0.), (x: 1., y: 0.), (x: 0., y: 0.)],
        ];
        for p in &cases {
            same_as_geo(p);
        }
    }

    #[test]
    fn holes_get_geo_answer() {
        let outer = ring(&[(0., 0.), (10., 0.), (10., 10.), (0., 10.)]);
        let holes = [
            ring(&[(1., 1.), (2., 1.), (2., 2.), (1., 2.)]),
            // shares an edge with the first hole
            ring(&[(2., 1.), (3., 1.), (3., 2.), (2., 2.)]),
            // touches the first at a corner
            ring(&[(2., 2.), (3., 2.), (3., 3.), (2., 3.)]),
            // overlaps the first
            ring(&[(1.5, 1.5), (2.5, 1.5), (2.5, 2.5), (1.5, 2.5)]),
            // outside the exterior
            ring(&[(11., 1.), (12., 1.), (12., 2.), (11., 2.)]),
            // on the exterior's edge
            ring(&[(0., 5.), (1., 5.), (1., 6.), (0., 6.)]),
            // touching the exterior at a point
            ring(&[(0., 8.), (1., 7.), (1., 9.)]),
        ];
        for a in 0..holes.len() {
            same_as_geo(&Polygon::new(outer.clone(), vec![holes[a].clone()]));
            for b in 0..holes.len() {
                for c in [0, 2, 6] {
                    let p = Polygon::new(
                        outer.clone(),
                        vec![holes[a].clone(), holes[b].clone(), holes[c].clone()],
                    );
                    same_as_geo(&p);
                }
            }
        }
    }

    #[test]
    fn a_long_ring_gets_geo_answer_valid_and_crossed() {
        let n = 3000;
        let wavy = |i: usize| 0.01 + 0.002 * ((i * 7919) % 13) as f64 / 13.0;
        let valid = Polygon::new(star(n, 105.0, 13.0, wavy), vec![]);
        assert_eq!(polygon_error(&valid), None);
        same_as_geo(&valid);
        // one vertex pulled across the ring: it crosses the far side
        let mut crossed = valid.exterior().clone();
        crossed.0[n / 3] = Coord { x: 105.03, y: 13.0 };
        same_as_geo(&Polygon::new(crossed, vec![]));
        // one vertex moved onto its next-but-one neighbour's edge
        let mut touching = valid.exterior().clone();
        touching.0[10] = touching.0[12];
        same_as_geo(&Polygon::new(touching, vec![]));
    }

    fn coords(max: u8, n: std::ops::Range<usize>) -> impl Strategy<Value = Vec<(f64, f64)>> {
        prop::collection::vec((0..max, 0..max), n)
            .prop_map(|v| v.into_iter().map(|(x, y)| (x as f64, y as f64)).collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// On a small integer grid, random rings touch, overlap and cross in
        /// every degenerate way; the R-tree's pairs find what all pairs find.
        #[test]
        fn indexed_pairs_are_all_pairs(v in coords(12, 3..70)) {
            let lines: Vec<Line<f64>> = ring(&v).lines().collect();
            prop_assert_eq!(indexed_pairs_intersect(&lines), all_pairs_intersect(&lines));
        }

        /// Star rings with radii on a coarse grid: mostly valid, some with
        /// spikes and collinear runs.
        #[test]
        fn star_rings_are_judged_as_geo_does(r in prop::collection::vec(0u8..4, 40..120)) {
            let n = r.len();
            let p = Polygon::new(star(n, 0.0, 0.0, |i| r[i] as f64), vec![]);
            same_as_geo(&p);
        }

        #[test]
        fn polygons_with_holes_are_judged_as_geo_does(
            ext in coords(16, 3..8), holes in prop::collection::vec(coords(16, 3..6), 0..6),
        ) {
            let outer = ring(&[(0., 0.), (16., 0.), (16., 16.), (0., 16.)]);
            let p = Polygon::new(outer, holes.iter().map(|h| ring(h)).collect());
            same_as_geo(&p);
            let q = Polygon::new(ring(&ext), holes.iter().map(|h| ring(h)).collect());
            same_as_geo(&q);
        }

        /// Squares of a coarse grid: apart, touching at corners, sharing
        /// edges, overlapping, repeated.
        #[test]
        fn multipolygons_are_judged_as_geo_does(
            squares in prop::collection::vec((0u8..10, 0u8..10, 1u8..3), 1..40),
        ) {
            let parts: Vec<Polygon<f64>> = squares
                .iter()
                .map(|&(x, y, s)| {
                    let (x, y, s) = (x as f64, y as f64, s as f64);
                    Polygon::new(ring(&[(x, y), (x + s, y), (x + s, y + s), (x, y + s)]), vec![])
                })
                .collect();
            let mp = MultiPolygon::new(parts);
            prop_assert_eq!(multipolygon_is_valid(&mp), mp.is_valid());
        }
    }

    /// A checkerboard (parts touching at corners only, each in several
    /// pairs, so prepared), alone and with a part sharing an edge or
    /// overlapping; and islands in the holes of a part.
    #[test]
    fn prepared_parts_get_geo_answer() {
        let square = |x: f64, y: f64, s: f64| {
            Polygon::new(
                ring(&[(x, y), (x + s, y), (x + s, y + s), (x, y + s)]),
                vec![],
            )
        };
        let board: Vec<Polygon<f64>> = (0..400)
            .filter(|i| (i % 20 + i / 20) % 2 == 0)
            .map(|i| square((i % 20) as f64, (i / 20) as f64, 1.0))
            .collect();
        let holed = Polygon::new(
            ring(&[(30., 0.), (40., 0.), (40., 10.), (30., 10.)]),
            (0..4)
                .map(|k| {
                    let x = 31.0 + 2.0 * k as f64;
                    ring(&[(x, 1.), (x, 2.), (x + 1., 2.), (x + 1., 1.)])
                })
                .collect(),
        );
        let islands: Vec<Polygon<f64>> = (0..4)
            .map(|k| square(31.25 + 2.0 * k as f64, 1.25, 0.5))
            .collect();
        let mut cases = vec![board.clone()];
        for extra in [
            square(1.0, 0.0, 1.0),
            square(0.5, 0.5, 1.0),
            square(2.0, 2.0, 1.0),
        ] {
            let mut c = board.clone();
            c.push(extra);
            cases.push(c);
        }
        let mut c = vec![holed.clone()];
        c.extend(islands.iter().cloned());
        cases.push(c.clone());
        // an island on a hole's edge, and one across a hole's edge
        for bad in [square(31.0, 1.0, 0.5), square(30.75, 1.25, 0.5)] {
            let mut c = c.clone();
            c.push(bad);
            cases.push(c);
        }
        for parts in cases {
            let mp = MultiPolygon::new(parts);
            assert_eq!(multipolygon_is_valid(&mp), mp.is_valid());
        }
    }

    #[test]
    fn non_finite_coordinates_go_to_geo() {
        let p = Polygon::new(ring(&[(0., 0.), (f64::NAN, 0.), (1., 1.)]), vec![]);
        same_as_geo(&p);
        let mp = MultiPolygon::new(vec![p]);
        assert_eq!(multipolygon_is_valid(&mp), mp.is_valid());
    }
}
