//! A point inside a polygon: the point geo 0.33's `InteriorPoint` gives, by
//! its own steps, found with less work.
//!
//! geo scans a horizontal line through the middle of the polygon's bounds,
//! takes the midpoints of the stretches between the line's crossings with
//! the polygon's edges, and returns the midpoint of the widest stretch that
//! lies in the polygon. It finds the crossings with a sweep over every pair
//! of the polygon's edges and the line, and tests each midpoint with a
//! DE-9IM `relate`, which builds a topology graph of the whole polygon: for
//! the map's hazard points (the interior point of a hazard whose centroid
//! falls outside it) that was two thirds of the tiles' feature preparation.
//! Here the line is intersected with each edge (the same
//! `line_intersection`, exactly symmetric in its two lines, so the same
//! crossings) and a midpoint is tested with `Intersects`: in or on the
//! polygon, what `relate(..).is_intersects()` asks. A test holds the two
//! together on random concave polygons with holes.

use geo::line_intersection::{line_intersection, LineIntersection};
use geo::{BoundingRect, Coord, CoordsIter, Intersects, Line, Point, Polygon};

/// The interior point of `polygon` as `geo::InteriorPoint` gives it; `None`
/// for an empty polygon.
pub fn interior_point(polygon: &Polygon<f64>) -> Option<Point<f64>> {
    if polygon.exterior().0.len() == 1 {
        return Some(polygon.exterior().0[0].into());
    }
    let bounds = polygon.bounding_rect()?;
    // The middle of the bounds, or, where a vertex lies on it, halfway to
    // the vertex nearest it off it (geo's choice, so that the line crosses
    // edges rather than runs through vertices).
    let mut y_mid = (bounds.min().y + bounds.max().y) / 2.0;
    if polygon.coords_iter().any(|c| c.y == y_mid) {
        let next_closest = polygon
            .coords_iter()
            .filter(|c| c.y != y_mid)
            .map(|c| (c.y, (c.y - y_mid).abs()))
            .min_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Less));
        if let Some((closest, _)) = next_closest {
            y_mid = (y_mid + closest) / 2.0;
        }
    }
    let scan = Line::new(
        Coord {
            x: bounds.min().x,
            y: y_mid,
        },
        Coord {
            x: bounds.max().x,
            y: y_mid,
        },
    );
    let mut crossings: Vec<f64> = Vec::new();
    for edge in polygon
        .exterior()
        .lines()
        .chain(polygon.interiors().iter().flat_map(|r| r.lines()))
    {
        match line_intersection(edge, scan) {
            Some(LineIntersection::SinglePoint { intersection, .. }) => {
                crossings.push(intersection.x)
            }
            Some(LineIntersection::Collinear { intersection }) => {
                crossings.push(intersection.start.x);
                crossings.push(intersection.end.x);
            }
            None => {}
        }
    }
    // Stable sorts, as geo's: stretches of equal width keep their order
    // along the line.
    crossings.sort_by(f64::total_cmp);
    let mut stretches: Vec<(Point<f64>, f64)> = crossings
        .windows(2)
        .map(|w| (Point::new((w[0] + w[1]) / 2.0, y_mid), w[1] - w[0]))
        .collect();
    stretches.sort_by(|a, b| b.1.total_cmp(&a.1));
    stretches
        .into_iter()
        .map(|(midpoint, _)| midpoint)
        .find(|m| polygon.intersects(m))
        .or_else(|| polygon.coords_iter().next().map(Point::from))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::test_rings::xorshift;
    use geo::{InteriorPoint, LineString};

    /// A star-shaped ring of `n` vertices around (cx, cy), radii drawn from
    /// `next`: concave, simple.
    fn star(next: &mut impl FnMut(i32) -> i32, cx: f64, cy: f64, r: f64, n: usize) -> LineString {
        let mut pts: Vec<Coord> = (0..n)
            .map(|i| {
                let a = std::f64::consts::TAU * i as f64 / n as f64;
                let k = r * (0.3 + f64::from(next(700)) / 1000.0);
                Coord {
                    x: cx + k * a.cos(),
                    y: cy + k * a.sin(),
                }
            })
            .collect();
        pts.push(pts[0]);
        LineString(pts)
    }

    #[test]
    fn the_point_is_geos() {
        let mut next = xorshift(0x1A7E_2108_0F5E_ED11);
        for k in 0..4000 {
            let n = 3 + next(40) as usize;
            let (cx, cy) = (
                100.0 + f64::from(next(1000)) / 97.0,
                10.0 + f64::from(next(1000)) / 89.0,
            );
            let r = 1e-4 * f64::from(1 + next(50));
            let exterior = star(&mut next, cx, cy, r, n);
            // Every third polygon with a small hole at its centre; every
            // fifth with vertices on a grid, where the middle line meets
            // vertices and edges run along it.
            let holes = if k % 3 == 0 {
                let m = 3 + next(8) as usize;
                vec![star(&mut next, cx, cy, r * 0.2, m)]
            } else {
                vec![]
            };
            let mut p = Polygon::new(exterior, holes);
            if k % 5 == 0 {
                p = geo::MapCoords::map_coords(&p, |c| Coord {
                    x: (c.x * 2e4).round() / 2e4,
                    y: (c.y * 2e4).round() / 2e4,
                });
            }
            assert_eq!(interior_point(&p), p.interior_point(), "{p:?}");
        }
        // Degenerate shapes: a point, a segment, nothing.
        let point = Polygon::new(LineString::from(vec![(1.0, 2.0)]), vec![]);
        assert_eq!(interior_point(&point), point.interior_point());
        let flat = Polygon::new(
            LineString::from(vec![(0.0, 0.0), (1.0, 0.0), (0.0, 0.0)]),
            vec![],
        );
        assert_eq!(interior_point(&flat), flat.interior_point());
        let empty = Polygon::new(LineString::new(vec![]), vec![]);
        assert_eq!(interior_point(&empty), empty.interior_point());
    }
}
