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
//!
//! Normalize's repairs ([`even_odd_rebuild`], [`merge_parts`]) go through geo
//! instead, on purpose: a repaired record must come out OGC-valid (rings that
//! do not touch), which is what geo's OGC-shaped output gives and the plain
//! output does not promise; geo runs its own i_overlay (4.5) inside.

use geo::algorithm::bool_ops::{unary_union, BooleanOps, FillRule as GeoFillRule};
use geo::{Coord, LineString, MultiPolygon, Polygon};
use i_overlay_4::core::fill_rule::FillRule;
use i_overlay_4::core::overlay::{IntOverlayOptions, Overlay, ShapeType};
use i_overlay_4::core::overlay_rule::OverlayRule;
use i_overlay_4::core::solver::Solver;
use i_overlay_4::i_float::adapter::FloatPointAdapter;
use i_overlay_4::i_float::float::rect::FloatRect;
use i_overlay_4::i_float::int::point::IntPoint;
use std::cell::RefCell;

/// The rings i_overlay reads of some multipolygons: every ring of at least
/// four vertices, without its closing vertex (i_overlay's paths are
/// implicitly closed).
fn rings<'a>(parts: &'a [&'a MultiPolygon<f64>]) -> impl Iterator<Item = &'a [Coord<f64>]> + 'a {
    parts
        .iter()
        .flat_map(|mp| mp.0.iter())
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .filter(|r| r.0.len() >= 4)
        .map(|r| &r.0[..r.0.len() - 1])
}

/// Above this many input vertices an overlay's buffers are not kept for the
/// next one (a thread keeps the buffers of its largest overlay otherwise).
const KEEP_BUFFERS_UP_TO: usize = 1 << 16;

thread_local! {
    /// One i_overlay `Overlay` per thread, cleared and refilled for every
    /// operation: its segment, split and graph buffers are reused instead of
    /// allocated per operation (most operations are of a few dozen vertices).
    static OVERLAY: RefCell<Overlay> = RefCell::new(new_overlay());
}

/// An `Overlay` as i_overlay's `FloatOverlay` makes one with the default
/// options (for f64 the minimum output area of 0 is 0 on the integer grid
/// whatever the scale, and no cleaning of the result).
fn new_overlay() -> Overlay {
    Overlay::new_custom(0, IntOverlayOptions::default(), Solver::default())
}

/// `subject rule clip`, non-zero fill, on i_overlay's plain output.
///
/// The steps of i_overlay 4.5's `FloatOverlay::with_subj_and_clip_custom`
/// and `overlay`, one for one: the integer grid from the bounding rectangle
/// of all input vertices (subject first, in order, as `FloatRect::with_iter`
/// takes them), every ring added through it, the integer result mapped back
/// with the same adapter; so the output is the same, coordinate for
/// coordinate. What differs is memory: the rings are read from the
/// multipolygons in place instead of copied into i_overlay's vectors, the
/// result goes straight into geo's types, and the overlay's buffers are the
/// thread's ([`OVERLAY`]).
fn overlay(
    subject: &[&MultiPolygon<f64>],
    clip: &[&MultiPolygon<f64>],
    rule: OverlayRule,
) -> MultiPolygon<f64> {
    overlay_rules(subject, clip, &[rule])
        .pop()
        .unwrap_or_else(|| MultiPolygon::new(vec![]))
}

/// [`overlay`] for several rules on the same inputs: with one rule, i_overlay's
/// `overlay` (the graph of that rule's links only); with more, one graph of
/// all links (`build_graph_view`) from which each rule's shapes are
/// extracted, the same shapes as the separate overlays give (the same
/// segments, split and filled once; a rule's extraction skips the links it
/// does not keep, which the one-rule graph leaves out). One result per rule,
/// in order.
fn overlay_rules(
    subject: &[&MultiPolygon<f64>],
    clip: &[&MultiPolygon<f64>],
    rules: &[OverlayRule],
) -> Vec<MultiPolygon<f64>> {
    let empty = || rules.iter().map(|_| MultiPolygon::new(vec![])).collect();
    let mut points = rings(subject).chain(rings(clip)).flatten();
    let Some(first) = points.next() else {
        return empty();
    };
    let mut rect = FloatRect::with_point([first.x, first.y]);
    let mut vertices = 1;
    for c in points {
        rect.unsafe_add_point(&[c.x, c.y]);
        vertices += 1;
    }
    let adapter: FloatPointAdapter<[f64; 2], f64> = FloatPointAdapter::new(rect);
    let to_int = |c: &Coord<f64>| adapter.float_to_int(&[c.x, c.y]);
    let shapes = OVERLAY.with_borrow_mut(|ov| {
        ov.clear();
        for r in rings(subject) {
            ov.add_path_iter(r.iter().map(to_int), ShapeType::Subject);
        }
        for r in rings(clip) {
            ov.add_path_iter(r.iter().map(to_int), ShapeType::Clip);
        }
        let shapes = match rules {
            [rule] => vec![ov.overlay(*rule, FillRule::NonZero)],
            _ => {
                let mut buffer = ov.boolean_buffer.take().unwrap_or_default();
                let shapes = match ov.build_graph_view(FillRule::NonZero) {
                    Some(graph) => rules
                        .iter()
                        .map(|&rule| graph.extract_shapes(rule, &mut buffer))
                        .collect(),
                    None => rules.iter().map(|_| Vec::new()).collect(),
                };
                ov.boolean_buffer = Some(buffer);
                shapes
            }
        };
        if vertices > KEEP_BUFFERS_UP_TO {
            *ov = new_overlay();
        }
        shapes
    });
    let close = |ring: &[IntPoint]| {
        // Sized for the closing vertex: pushed onto a vector collected to its
        // length, it doubled the capacity of every ring the accounting keeps.
        let mut pts: Vec<Coord<f64>> = Vec::with_capacity(ring.len() + 1);
        pts.extend(ring.iter().map(|p| {
            let [x, y] = adapter.int_to_float(p);
            Coord { x, y }
        }));
        if let Some(&first) = pts.first() {
            pts.push(first);
        }
        LineString(pts)
    };
    shapes
        .iter()
        .map(|shapes| {
            MultiPolygon::new(
                shapes
                    .iter()
                    .filter_map(|shape| {
                        let (exterior, holes) = shape.split_first()?;
                        Some(Polygon::new(
                            close(exterior),
                            holes.iter().map(|h| close(h)).collect(),
                        ))
                    })
                    .collect(),
            )
        })
        .collect()
}

/// The union of any number of multipolygons.
pub fn union_all<'a>(parts: impl IntoIterator<Item = &'a MultiPolygon<f64>>) -> MultiPolygon<f64> {
    let parts: Vec<&MultiPolygon<f64>> = parts.into_iter().collect();
    overlay(&parts, &[], OverlayRule::Subject)
}

/// `a − b`.
pub fn difference(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    if a.0.is_empty() {
        // What the overlay gives: no subject, no difference.
        return MultiPolygon::new(vec![]);
    }
    if b.0.is_empty() {
        return a.clone();
    }
    overlay(&[a], &[b], OverlayRule::Difference)
}

/// `a ∩ b`.
pub fn intersection(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    if a.0.is_empty() || b.0.is_empty() {
        return MultiPolygon::new(vec![]);
    }
    overlay(&[a], &[b], OverlayRule::Intersect)
}

/// `a − b`, `b − a` and `b ∩ a` of two non-empty multipolygons, the same
/// multipolygons [`difference`] and [`intersection`] give (the rule that
/// swaps subject and clip, `InverseDifference`, on the same integer grid:
/// its rectangle is that of all vertices whichever comes first), from one
/// overlay graph instead of three.
pub fn differences_and_intersection(
    a: &MultiPolygon<f64>,
    b: &MultiPolygon<f64>,
) -> [MultiPolygon<f64>; 3] {
    let mut out = overlay_rules(
        &[a],
        &[b],
        &[
            OverlayRule::Difference,
            OverlayRule::InverseDifference,
            OverlayRule::Intersect,
        ],
    )
    .into_iter();
    let mut next = || out.next().unwrap_or_else(|| MultiPolygon::new(vec![]));
    [next(), next(), next()]
}

/// A polygon that is not valid (bow-ties, crossing rings) rebuilt with the
/// even-odd rule, the way GEOS `make_valid` rebuilds polygon parts
/// (docs/facts.md): crossing lobes come out as separate parts. Through geo's
/// `BooleanOps`, whose OGC-shaped output is what normalize promises: valid
/// polygons, rings that do not touch.
pub fn even_odd_rebuild(p: &Polygon<f64>) -> MultiPolygon<f64> {
    let empty: MultiPolygon<f64> = MultiPolygon::new(vec![]);
    p.union_with_fill_rule(&empty, GeoFillRule::EvenOdd)
}

/// Overlapping parts of one multipolygon merged into a valid multipolygon
/// (geo's `unary_union`, OGC-shaped output as for [`even_odd_rebuild`]).
pub fn merge_parts(parts: &[Polygon<f64>]) -> MultiPolygon<f64> {
    unary_union(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
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

    /// The three results of one graph are those of the three overlays, vertex
    /// for vertex, on pairs that overlap, touch, share vertices and edges, or
    /// lie one inside the other.
    #[test]
    fn one_graph_gives_what_three_overlays_give() {
        let star = |cx: f64, cy: f64, r: f64, n: usize, seed: u64| {
            let mut s = seed;
            let pts: Vec<(f64, f64)> = (0..n)
                .map(|i| {
                    s ^= s << 13;
                    s ^= s >> 7;
                    s ^= s << 17;
                    let k = 0.4 + 0.6 * ((s % 1000) as f64 / 1000.0);
                    let t = i as f64 / n as f64 * std::f64::consts::TAU;
                    (cx + r * k * t.cos(), cy + r * k * t.sin())
                })
                .collect();
            let mut ring = pts.clone();
            ring.push(pts[0]);
            mp(Polygon::new(LineString::from(ring), vec![]))
        };
        let square = |x: f64, y: f64, s: f64| {
            mp(
                polygon![(x: x, y: y), (x: x + s, y: y), (x: x + s, y: y + s), (x: x, y: y + s), (x: x, y: y)],
            )
        };
        let mut pairs = vec![
            (square(105.0, 10.0, 0.001), square(105.0005, 10.0005, 0.001)),
            (square(105.0, 10.0, 0.001), square(105.0, 10.0, 0.0005)),
            (square(105.0, 10.0, 0.001), square(105.001, 10.0, 0.001)),
            (square(105.0, 10.0, 0.001), square(105.002, 10.0, 0.001)),
            (square(105.0, 10.0, 0.001), square(105.0, 10.0, 0.001)),
        ];
        for seed in 1..200u64 {
            let a = star(105.0, 10.0, 0.001, 5 + (seed % 20) as usize, seed);
            let d = (seed % 7) as f64 * 0.0003;
            let b = star(105.0 + d, 10.0, 0.0008, 4 + (seed % 13) as usize, seed * 31);
            pairs.push((a.clone(), b));
            // A wedge: b shares a's vertices (the first, a middle one, the
            // centre).
            let ext = &a.0[0].exterior().0;
            let wedge = Polygon::new(
                LineString(vec![
                    ext[0],
                    ext[ext.len() / 2],
                    Coord { x: 105.0, y: 10.0 },
                    ext[0],
                ]),
                vec![],
            );
            pairs.push((a, mp(wedge)));
        }
        for (a, b) in &pairs {
            let [ab, ba, both] = differences_and_intersection(a, b);
            assert_eq!(ab, difference(a, b));
            assert_eq!(ba, difference(b, a));
            assert_eq!(both, intersection(b, a));
        }
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
