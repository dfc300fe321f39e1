//! Where a polygon crosses or touches itself: the point a data officer looks
//! at to fix a self-intersection. geo's validation says only that a ring
//! intersects itself; this finds where, with geo's Bentley-Ottmann sweep
//! (`geo::algorithm::sweep::Intersections`) over the segments of every ring.

use geo::algorithm::sweep::Intersections;
use geo::{Coord, Line, LineIntersection, Point, Polygon};

/// The place where `p`'s rings cross or touch themselves or each other: the
/// least (x, y) of the proper crossings, else of the overlapping segments,
/// else of the vertices where two segments that are not neighbours meet.
/// `None` when its segments meet nowhere but at their shared vertices (the
/// polygon is invalid for another reason: a hole outside its exterior …).
pub fn self_crossing(p: &Polygon<f64>) -> Option<Point<f64>> {
    let lines: Vec<Line<f64>> = std::iter::once(p.exterior())
        .chain(p.interiors())
        .flat_map(|r| r.lines())
        .filter(|l| l.start != l.end)
        .collect();
    // (class, x, y): 0 proper crossing, 1 overlap, 2 touch.
    let mut best: Option<(u8, Coord<f64>)> = None;
    let mut consider = |class: u8, c: Coord<f64>| {
        let better = match best {
            None => true,
            Some((bc, b)) => (class, c.x, c.y) < (bc, b.x, b.y),
        };
        if better && c.x.is_finite() && c.y.is_finite() {
            best = Some((class, c));
        }
    };
    for (a, b, hit) in Intersections::from_iter(lines) {
        match hit {
            LineIntersection::SinglePoint {
                intersection,
                is_proper: true,
            } => consider(0, intersection),
            LineIntersection::Collinear { intersection } => consider(1, intersection.start),
            LineIntersection::SinglePoint { intersection, .. } => {
                let neighbours = a.end == b.start || b.end == a.start;
                if !neighbours {
                    consider(2, intersection);
                }
            }
        }
    }
    best.map(|(_, c)| Point::from(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn bow_tie_crosses_at_its_centre() {
        let p = polygon![(x: 0., y: 0.), (x: 2., y: 2.), (x: 2., y: 0.), (x: 0., y: 2.), (x: 0., y: 0.)];
        assert_eq!(self_crossing(&p), Some(Point::new(1.0, 1.0)));
    }

    #[test]
    fn a_square_crosses_nowhere() {
        let p = polygon![(x: 0., y: 0.), (x: 1., y: 0.), (x: 1., y: 1.), (x: 0., y: 1.), (x: 0., y: 0.)];
        assert_eq!(self_crossing(&p), None);
    }

    #[test]
    fn a_ring_touching_itself_at_a_vertex() {
        // Two squares joined at (1, 1) by one ring that passes the vertex twice.
        let p = polygon![(x: 0., y: 0.), (x: 1., y: 0.), (x: 1., y: 1.), (x: 2., y: 1.), (x: 2., y: 2.), (x: 1., y: 2.), (x: 1., y: 1.), (x: 0., y: 1.), (x: 0., y: 0.)];
        assert_eq!(self_crossing(&p), Some(Point::new(1.0, 1.0)));
    }
}
