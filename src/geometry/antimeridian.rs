//! Geometries across the antimeridian (±180°).
//!
//! A record that crosses it arrives with longitudes on both sides: a ring
//! whose edge jumps from 179.999 to -179.999 (PROJ's output for a hazard
//! surveyed in UTM zone 60 or 1), or parts already cut at ±180°. Its areas
//! are right (every edge is a geodesic, `geodesic_area`), but drawn in plain
//! lon/lat it spans the world. [`unwrap`] gives it continuous longitudes
//! (some beyond 180°), what the tiler draws; [`split`] cuts it in two at
//! ±180° as RFC 7946 §3.1.9 asks of GeoJSON, so that neither part crosses.

use geo::{Coord, LineString, MultiPolygon, Polygon};

/// Whether `mp` crosses (or straddles) the antimeridian: an edge jumping
/// more than 180° in longitude, or parts that all lie within 90° of ±180°
/// on both sides of it.
pub fn crosses(mp: &MultiPolygon<f64>) -> bool {
    // Longitudes spanning less than 180° can neither jump by more than 180°
    // nor lie beyond 90° on both sides: one min/max pass settles nearly every
    // record, which the writers and the tiler ask about one by one.
    // A loop per ring, with plain comparisons: `f64::min` over a chain of
    // flattened iterators took a third more time (2.1 % of the samples of
    // `clearmap tiles` at 100k hazards against 1.4 %). Longitudes are
    // finite; a NaN would be skipped by either.
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for p in mp {
        for r in std::iter::once(p.exterior()).chain(p.interiors()) {
            for c in &r.0 {
                if c.x < lo {
                    lo = c.x;
                }
                if c.x > hi {
                    hi = c.x;
                }
            }
        }
    }
    if hi - lo < 180.0 {
        return false;
    }
    let jumps = mp.iter().any(|p| {
        std::iter::once(p.exterior())
            .chain(p.interiors())
            .any(|r| r.lines().any(|l| (l.end.x - l.start.x).abs() > 180.0))
    });
    if jumps {
        return true;
    }
    let (mut east, mut west) = (false, false);
    for c in mp.iter().flat_map(|p| p.exterior().0.iter()) {
        match c.x {
            x if x >= 90.0 => east = true,
            x if x <= -90.0 => west = true,
            _ => return false,
        }
    }
    east && west
}

/// `mp` with continuous longitudes when it [`crosses`] the antimeridian:
/// each ring walked so that no edge jumps, every part placed east of 0° so
/// that the parts lie together around +180° (longitudes up to 360°). `None`
/// when it does not cross.
pub fn unwrap(mp: &MultiPolygon<f64>) -> Option<MultiPolygon<f64>> {
    if !crosses(mp) {
        return None;
    }
    let near = |x: f64, to: f64| x + 360.0 * ((to - x) / 360.0).round();
    let ring = |r: &LineString<f64>, start: f64| {
        let mut prev = start;
        LineString::new(
            r.0.iter()
                .map(|c| {
                    prev = near(c.x, prev);
                    Coord { x: prev, y: c.y }
                })
                .collect(),
        )
    };
    Some(MultiPolygon::new(
        mp.iter()
            .map(|p| {
                let first = p.exterior().0.first().map_or(180.0, |c| c.x);
                // East of 0°: every part on the +180° side.
                let start = if first < 0.0 { first + 360.0 } else { first };
                let exterior = ring(p.exterior(), start);
                let holes = p.interiors().iter().map(|h| ring(h, start)).collect();
                Polygon::new(exterior, holes)
            })
            .collect(),
    ))
}

/// `mp` cut in two at ±180° when it [`crosses`] the antimeridian: the part
/// west of it as it is, the part east of it moved by -360° (so between -180°
/// and its east), the two parts meeting on ±180° (RFC 7946 §3.1.9). `None`
/// when it does not cross. Each ring is cut at the meridian by itself
/// (Sutherland–Hodgman, one edge): no vertex moves, the points added lie on
/// 180° exactly; a concave ring may keep a zero-width bridge along the cut,
/// which the writers' rebuild on the output grid removes (`snap_valid`).
pub fn split(mp: &MultiPolygon<f64>) -> Option<MultiPolygon<f64>> {
    let u = unwrap(mp)?;
    let mut out = Vec::new();
    for east in [false, true] {
        for p in &u {
            let Some(exterior) = cut(p.exterior(), east) else {
                continue;
            };
            let holes = p.interiors().iter().filter_map(|h| cut(h, east)).collect();
            out.push(Polygon::new(exterior, holes));
        }
    }
    Some(MultiPolygon::new(out))
}

/// The part of a ring west (or east, moved by -360°) of 180°; `None` when
/// fewer than three points remain.
fn cut(ring: &LineString<f64>, east: bool) -> Option<LineString<f64>> {
    let inside = |c: &Coord<f64>| if east { c.x >= 180.0 } else { c.x <= 180.0 };
    let pts = &ring.0;
    let n = pts.len().saturating_sub(1); // the closing point repeats the first
    let mut out: Vec<Coord<f64>> = Vec::with_capacity(n + 2);
    for i in 0..n {
        let (a, b) = (pts[i], pts[(i + 1) % n]);
        if inside(&a) {
            out.push(a);
        }
        if inside(&a) != inside(&b) {
            let t = (180.0 - a.x) / (b.x - a.x);
            out.push(Coord {
                x: 180.0,
                y: a.y + t * (b.y - a.y),
            });
        }
    }
    if east {
        for c in &mut out {
            c.x -= 360.0;
        }
    }
    if out.len() < 3 {
        return None;
    }
    out.push(out[0]);
    Some(LineString::new(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::BoundingRect;

    /// A 200 m square around (lon, lat) given as its ring reads after PROJ:
    /// longitudes in [-180, 180].
    fn square(lon: f64, lat: f64) -> MultiPolygon<f64> {
        let d = 0.001;
        let w = |x: f64| if x > 180.0 { x - 360.0 } else { x };
        MultiPolygon::new(vec![Polygon::new(
            LineString::from(vec![
                (w(lon - d), lat - d),
                (w(lon + d), lat - d),
                (w(lon + d), lat + d),
                (w(lon - d), lat + d),
                (w(lon - d), lat - d),
            ]),
            vec![],
        )])
    }

    #[test]
    fn a_square_across_is_unwrapped_and_cut_in_two() {
        let sq = square(180.0, -16.5);
        assert!(crosses(&sq));
        let u = unwrap(&sq).unwrap();
        let b = u.bounding_rect().unwrap();
        assert!((b.min().x - 179.999).abs() < 1e-9 && (b.max().x - 180.001).abs() < 1e-9);
        // Vertices kept exactly; the cut exactly on the meridian.
        let s = split(&sq).unwrap();
        assert_eq!(s.0.len(), 2);
        let (a, b) = (
            s.0[0].bounding_rect().unwrap(),
            s.0[1].bounding_rect().unwrap(),
        );
        assert_eq!((a.min().x, a.max().x), (179.999, 180.0), "{a:?}");
        assert_eq!((b.min().x, b.max().x), (-180.0, -179.999), "{b:?}");
        // The halves' geodesic areas add up to the whole's.
        let whole = crate::geometry::area(&sq);
        let parts = crate::geometry::area(&s);
        assert!((whole - parts).abs() / whole < 1e-9, "{whole} {parts}");
        assert!((whole - crate::geometry::area(&square(0.0, -16.5))).abs() / whole < 1e-9);
    }

    #[test]
    fn parts_cut_already_are_put_together_and_others_left_alone() {
        let cut = MultiPolygon::new(vec![
            Polygon::new(
                LineString::from(vec![(179.9, 1.0), (180.0, 1.0), (180.0, 1.1), (179.9, 1.0)]),
                vec![],
            ),
            Polygon::new(
                LineString::from(vec![
                    (-180.0, 1.0),
                    (-179.9, 1.0),
                    (-180.0, 1.1),
                    (-180.0, 1.0),
                ]),
                vec![],
            ),
        ]);
        assert!(crosses(&cut));
        let b = unwrap(&cut).unwrap().bounding_rect().unwrap();
        assert!(
            b.min().x >= 179.9 - 1e-9 && b.max().x <= 180.1 + 1e-9,
            "{b:?}"
        );
        assert!(!crosses(&square(105.0, 12.0)));
        assert!(unwrap(&square(179.5, 0.0)).is_none());
        assert!(split(&square(-179.5, 0.0)).is_none());
    }

    /// `crosses` without the min/max shortcut: the two edge-by-edge rules.
    fn crosses_by_edges(mp: &MultiPolygon<f64>) -> bool {
        let jumps = mp.iter().any(|p| {
            std::iter::once(p.exterior())
                .chain(p.interiors())
                .any(|r| r.lines().any(|l| (l.end.x - l.start.x).abs() > 180.0))
        });
        let (mut east, mut west) = (false, false);
        for c in mp.iter().flat_map(|p| p.exterior().0.iter()) {
            match c.x {
                x if x >= 90.0 => east = true,
                x if x <= -90.0 => west = true,
                _ => return jumps,
            }
        }
        jumps || (east && west)
    }

    proptest::proptest! {
        /// The min/max shortcut answers as the edge-by-edge rules do, on
        /// parts anywhere in longitude (near ±90° and ±180° most often).
        #[test]
        fn the_shortcut_agrees_with_the_edge_rules(
            parts in proptest::collection::vec(
                (
                    proptest::sample::select(vec![-180.0, -179.95, -90.0, -45.0, 0.0, 89.95, 90.0, 135.0, 179.95, 180.0]),
                    -1.0f64..1.0,
                    proptest::collection::vec((-0.2f64..0.2, -0.2f64..0.2), 3..8),
                ),
                1..4,
            )
        ) {
            let mp = MultiPolygon::new(
                parts
                    .iter()
                    .map(|(x0, y0, pts)| {
                        let mut ring: Vec<(f64, f64)> = pts
                            .iter()
                            .map(|(dx, dy)| {
                                let x = x0 + dx;
                                // Wrapped into [-180, 180], as PROJ gives them.
                                let x = if x > 180.0 { x - 360.0 } else if x < -180.0 { x + 360.0 } else { x };
                                (x, y0 + dy)
                            })
                            .collect();
                        ring.push(ring[0]);
                        Polygon::new(LineString::from(ring), vec![])
                    })
                    .collect(),
            );
            proptest::prop_assert_eq!(crosses(&mp), crosses_by_edges(&mp));
        }
    }
}
