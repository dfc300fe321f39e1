//! Boolean operations of the accounting: union, intersection and difference of
//! multipolygons, on i_overlay directly rather than through geo's `BooleanOps`.
//!
//! Why: geo asks i_overlay for OGC-shaped output (`OverlayOptions::ogc()`), and
//! on real release layouts (release polygons sharing vertices and edges with
//! their hazard) that conversion returned a wrong difference: holes kept that
//! should have been split off, 16 % of a hazard's remaining land lost, which the
//! conservation check caught. The plain output of i_overlay is right; its rings
//! may touch at a vertex, which no area computation minds.
//!
//! Inputs are consistently wound polygons (exterior one way, holes the other),
//! as normalize produces them; the non-zero fill rule then reads them right
//! whichever way the exteriors turn. Outputs have counter-clockwise exteriors
//! and clockwise holes.

use crate::guard::guarded;
use geo::{Coord, LineString, MultiPolygon, Polygon};
use i_overlay::core::fill_rule::FillRule;
use i_overlay::core::overlay::IntOverlayOptions;
use i_overlay::core::overlay_rule::OverlayRule;
use i_overlay::float::overlay::{FloatOverlay, OverlayOptions};
use i_overlay::i_float::int::point::IntPoint;

type Ring = Vec<[f64; 2]>;

fn rings<'a>(parts: impl IntoIterator<Item = &'a MultiPolygon<f64>>) -> Vec<Ring> {
    parts
        .into_iter()
        .flat_map(|mp| mp.0.iter())
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .filter(|r| r.0.len() >= 4)
        // i_overlay paths are implicitly closed: drop the repeated last vertex.
        .map(|r| r.0[..r.0.len() - 1].iter().map(|c| [c.x, c.y]).collect())
        .collect()
}

fn close(ring: Ring) -> LineString<f64> {
    let mut pts: Vec<Coord<f64>> = ring.into_iter().map(|[x, y]| Coord { x, y }).collect();
    if let Some(&first) = pts.first() {
        pts.push(first);
    }
    LineString(pts)
}

fn to_multipolygon(shapes: Vec<Vec<Ring>>) -> MultiPolygon<f64> {
    MultiPolygon::new(
        shapes
            .into_iter()
            .filter(|s| !s.is_empty())
            .map(|s| {
                let mut it = s.into_iter();
                let exterior = close(it.next().expect("non-empty shape"));
                Polygon::new(exterior, it.map(close).collect())
            })
            .collect(),
    )
}

fn overlay(subject: Vec<Ring>, clip: Vec<Ring>, rule: OverlayRule) -> MultiPolygon<f64> {
    if subject.is_empty() && clip.is_empty() {
        return MultiPolygon::new(vec![]);
    }
    let shapes = FloatOverlay::with_subj_and_clip_custom(
        &subject,
        &clip,
        OverlayOptions::default(),
        Default::default(),
    )
    .overlay(rule, FillRule::NonZero);
    to_multipolygon(shapes)
}

/// The union of any number of multipolygons.
pub fn union_all<'a>(parts: impl IntoIterator<Item = &'a MultiPolygon<f64>>) -> MultiPolygon<f64> {
    let subject = rings(parts);
    if subject.is_empty() {
        return MultiPolygon::new(vec![]);
    }
    let shapes =
        FloatOverlay::with_subj_custom(&subject, OverlayOptions::default(), Default::default())
            .overlay(OverlayRule::Subject, FillRule::NonZero);
    to_multipolygon(shapes)
}

/// `a − b`.
pub fn difference(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    if b.0.is_empty() {
        return a.clone();
    }
    overlay(rings([a]), rings([b]), OverlayRule::Difference)
}

/// `a ∩ b`.
pub fn intersection(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    if a.0.is_empty() || b.0.is_empty() {
        return MultiPolygon::new(vec![]);
    }
    overlay(rings([a]), rings([b]), OverlayRule::Intersect)
}

/// Integer shapes: each is an outer contour followed by its holes.
pub type IntShapes = Vec<Vec<Vec<IntPoint>>>;

/// Twice the signed area of integer shapes, exactly.
fn shapes_area2(shapes: &IntShapes) -> i128 {
    shapes
        .iter()
        .flatten()
        .map(|ring| {
            let n = ring.len();
            (0..n)
                .map(|i| {
                    let (a, b) = (ring[i], ring[(i + 1) % n]);
                    a.x as i128 * b.y as i128 - b.x as i128 * a.y as i128
                })
                .sum::<i128>()
        })
        .sum()
}

/// Clean integer rings (non-zero fill) into OGC-valid shapes, with i_overlay
/// 9 (the accounting's float overlay above stays on 4.5, in plain mode): 4.5's
/// OGC extraction can leave holes touching in a chain across a polygon, an
/// invalid polygon whose interior is disconnected. The OGC output is used when
/// it does not panic and holds exactly the area of the plain output; otherwise
/// the plain output (valid but for rings that may touch themselves at a
/// vertex) is returned. Either way, rings that pass twice through a vertex are
/// split there ([`split_touching`]).
pub fn simplify_int(rings: &[Vec<IntPoint>], options: IntOverlayOptions) -> IntShapes {
    use i_overlay::core::overlay::ContourDirection;
    use i_overlay_ogc::core::fill_rule::FillRule as FillRule9;
    use i_overlay_ogc::core::overlay::{
        ContourDirection as Direction9, IntOverlayOptions as Options9,
    };
    use i_overlay_ogc::core::simplify::Simplify as _;
    use i_overlay_ogc::i_float::int::point::IntPoint as IntPoint9;

    let input: Vec<Vec<IntPoint9<i32>>> = rings
        .iter()
        .map(|r| r.iter().map(|p| IntPoint9::new(p.x, p.y)).collect())
        .collect();
    let back = |shapes: Vec<Vec<Vec<IntPoint9<i32>>>>| -> IntShapes {
        shapes
            .into_iter()
            .map(|s| {
                s.into_iter()
                    .map(|r| r.into_iter().map(|p| IntPoint::new(p.x, p.y)).collect())
                    .collect()
            })
            .collect()
    };
    // Collinear output points are kept: where a ring passes through the same
    // point twice, dropping the "collinear" copy turns the touch into a vertex
    // lying on an edge, which split_touching could no longer find.
    let ogc_options = Options9::<u64> {
        preserve_input_collinear: options.preserve_input_collinear,
        output_direction: match options.output_direction {
            ContourDirection::CounterClockwise => Direction9::CounterClockwise,
            ContourDirection::Clockwise => Direction9::Clockwise,
        },
        preserve_output_collinear: true,
        min_output_area: options.min_output_area,
        ogc: true,
    };
    let plain_options = Options9 {
        ogc: false,
        ..ogc_options
    };
    // i_overlay 4.5's OGC extraction tripped its own debug assertion on some
    // inputs (and 9 may have others): a panic here falls back, it does not
    // fail the run.
    let Some(plain) = guarded(|| back(input.simplify(FillRule9::NonZero, plain_options))) else {
        // Neither output is available: the rings as they are, one shape each.
        return rings
            .iter()
            .filter(|r| r.len() >= 3)
            .map(|r| vec![r.clone()])
            .collect();
    };
    let chosen = match guarded(|| back(input.simplify(FillRule9::NonZero, ogc_options))) {
        Some(ogc) if shapes_area2(&ogc) == shapes_area2(&plain) => ogc,
        _ => plain,
    };
    chosen.into_iter().flat_map(split_touching).collect()
}

fn ring_area2(ring: &[IntPoint]) -> i128 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            a.x as i128 * b.y as i128 - b.x as i128 * a.y as i128
        })
        .sum()
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

/// Whether `p` lies strictly inside `ring` (even-odd ray cast, exact; `p` is
/// known not to lie on `ring`).
pub(crate) fn inside(p: IntPoint, ring: &[IntPoint]) -> bool {
    let n = ring.len();
    let mut c = false;
    for i in 0..n {
        let (a, b) = (ring[i], ring[(i + 1) % n]);
        if (a.y > p.y) != (b.y > p.y) {
            // x of the edge at p.y, compared without division.
            let lhs = (p.x as i128 - a.x as i128) * (b.y as i128 - a.y as i128);
            let rhs = (b.x as i128 - a.x as i128) * (p.y as i128 - a.y as i128);
            if (b.y > a.y && lhs < rhs) || (b.y < a.y && lhs > rhs) {
                c = !c;
            }
        }
    }
    c
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
                .position(|s| h.iter().any(|&p| !s[0].contains(&p) && inside(p, &s[0])))
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

    fn ip(v: &[(i32, i32)]) -> Vec<IntPoint> {
        v.iter().map(|&(x, y)| IntPoint::new(x, y)).collect()
    }

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
    use geo::{polygon, Area};

    fn mp(p: Polygon<f64>) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![p])
    }

    #[test]
    fn difference_leaves_a_hole() {
        let a = mp(
            polygon![(x: 0., y: 0.), (x: 4., y: 0.), (x: 4., y: 4.), (x: 0., y: 4.), (x: 0., y: 0.)],
        );
        let b = mp(
            polygon![(x: 1., y: 1.), (x: 2., y: 1.), (x: 2., y: 2.), (x: 1., y: 2.), (x: 1., y: 1.)],
        );
        let d = difference(&a, &b);
        assert!((d.unsigned_area() - 15.0).abs() < 1e-9);
        assert_eq!(d.0[0].interiors().len(), 1);
        assert!((intersection(&a, &b).unsigned_area() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn hole_touching_the_exterior_keeps_its_area() {
        // b touches a's boundary at one vertex and shares a vertex with c: the
        // layout on which OGC-shaped output lost land.
        let a = mp(
            polygon![(x: 0., y: 0.), (x: 6., y: 0.), (x: 6., y: 6.), (x: 0., y: 6.), (x: 0., y: 0.)],
        );
        let b = mp(
            polygon![(x: 0., y: 3.), (x: 2., y: 2.), (x: 3., y: 3.), (x: 2., y: 4.), (x: 0., y: 3.)],
        );
        let c = mp(
            polygon![(x: 3., y: 3.), (x: 4., y: 2.), (x: 5., y: 3.), (x: 4., y: 4.), (x: 3., y: 3.)],
        );
        let u = union_all([&b, &c]);
        let d = difference(&a, &u);
        let expected = a.unsigned_area() - b.unsigned_area() - c.unsigned_area();
        assert!(
            (d.unsigned_area() - expected).abs() < 1e-9,
            "{} vs {expected}",
            d.unsigned_area()
        );
        assert!(
            (d.unsigned_area() + intersection(&a, &u).unsigned_area() - a.unsigned_area()).abs()
                < 1e-9
        );
    }

    #[test]
    fn union_of_clockwise_and_counter_clockwise() {
        let ccw = mp(
            polygon![(x: 0., y: 0.), (x: 1., y: 0.), (x: 1., y: 1.), (x: 0., y: 1.), (x: 0., y: 0.)],
        );
        let cw = mp(
            polygon![(x: 5., y: 5.), (x: 5., y: 6.), (x: 6., y: 6.), (x: 6., y: 5.), (x: 5., y: 5.)],
        );
        let u = union_all([&ccw, &cw]);
        assert_eq!(u.0.len(), 2);
        assert!((u.unsigned_area() - 2.0).abs() < 1e-12);
    }
}
