//! Geodesic area on the WGS84 ellipsoid, the measure every figure of clearmap
//! is given in: Karney's algorithm (2013, through geographiclib-rs) for large
//! polygons, and for small ones (nearly all: [`equal_area::fits`], an extent
//! of at most 0.1° away from the poles) the equal-area method of
//! [`equal_area`], which agrees with Karney's to better than 1e-9 relative at
//! a fraction of the cost (the tests below compare them on random polygons).
//!
//! A polygon the fast path finds nearly empty ([`KARNEY_BELOW_M2`]: the
//! slivers and zero-area pieces the overlays leave) is measured again by
//! Karney's algorithm, and that figure kept. Karney's own roundoff (~1e-4 m²
//! a ring, docs/facts.md) is what decides, on such a piece, whether its area
//! is zero (a release attributed or not, a hazard with land left or not) and
//! what thousands of them add to a sum (released_outside_hazards): keeping
//! Karney's figure there leaves every such decision and sum as it was, while
//! the fast path takes every polygon whose area is far above that noise, where
//! both methods agree to 1e-9 and no decision hangs on the difference.
//!
//! # Units
//! Square metres.
//!
//! # Assumptions
//! Lon/lat degrees; polygons valid (holes inside their exterior, not
//! overlapping). Ring orientation does not matter: each ring is measured signed
//! and its magnitude taken, so a clockwise exterior never turns into "the Earth
//! minus the polygon" (docs/facts.md). An edge is the shorter geodesic between
//! its ends, so a ring whose longitudes jump across ±180° is measured as the
//! small ring it is, by either method.

use super::equal_area;
use geo::{LineString, MultiPolygon, Polygon};
use geographiclib_rs::{Geodesic, PolygonArea, Winding};
use std::sync::OnceLock;

fn wgs84() -> &'static Geodesic {
    static G: OnceLock<Geodesic> = OnceLock::new();
    G.get_or_init(Geodesic::wgs84)
}

/// Area enclosed by one closed ring by Karney's algorithm, m², whatever its
/// orientation.
fn karney_ring_area(ring: &LineString<f64>) -> f64 {
    let n = ring.0.len();
    if n < 4 {
        return 0.0;
    }
    let mut pa = PolygonArea::new(wgs84(), Winding::CounterClockwise);
    // The closing vertex repeats the first; PolygonArea closes rings itself.
    for c in &ring.0[..n - 1] {
        pa.add_point(c.y, c.x);
    }
    let (_, area, _) = pa.compute(true);
    area.abs()
}

/// Area of a polygon by Karney's algorithm alone: its exterior less its
/// holes, m².
fn karney_polygon_area(p: &Polygon<f64>) -> f64 {
    let holes: f64 = p.interiors().iter().map(karney_ring_area).sum();
    (karney_ring_area(p.exterior()) - holes).max(0.0)
}

/// Below this area, m², plus [`KARNEY_BELOW_PER_VERTEX_M2`] per vertex, the
/// fast path's figure is replaced by Karney's. Far above Karney's own noise
/// (3e-4 m² a ring and 5e-6 m² a vertex at most, `KARNEY_NOISE_M2` in the
/// tests), so a polygon the fast path keeps has a positive area by either
/// method; far below any land a record describes. At 100k hazards + 150k
/// releases 6 % of the polygons measured (34,065 of 538,042, nearly all
/// overlay slivers under 1e-3 m²) go to Karney's algorithm this way.
const KARNEY_BELOW_M2: f64 = 1.0;

/// See [`KARNEY_BELOW_M2`].
const KARNEY_BELOW_PER_VERTEX_M2: f64 = 1e-4;

/// Area of a polygon: its exterior less its holes, m². Every ring of a
/// polygon goes through the same method.
pub fn polygon_area(p: &Polygon<f64>) -> f64 {
    if !equal_area::fits(p) {
        return karney_polygon_area(p);
    }
    let mut vertices = 0;
    let mut ring = |r: &LineString<f64>| {
        vertices += r.0.len();
        if r.0.len() < 4 {
            0.0
        } else {
            equal_area::ring_area_signed(r).abs()
        }
    };
    let exterior = ring(p.exterior());
    let holes: f64 = p.interiors().iter().map(&mut ring).sum();
    let fast = (exterior - holes).max(0.0);
    if fast > KARNEY_BELOW_M2 + KARNEY_BELOW_PER_VERTEX_M2 * vertices as f64 {
        fast
    } else {
        karney_polygon_area(p)
    }
}

/// Area of a multipolygon whose parts do not overlap, m².
pub fn area(mp: &MultiPolygon<f64>) -> f64 {
    mp.0.iter().map(polygon_area).sum()
}

/// [`area`] by Karney's algorithm for every polygon whatever its size: the
/// reference the fast path is compared with (tests, benches).
pub fn karney_area(mp: &MultiPolygon<f64>) -> f64 {
    mp.0.iter().map(karney_polygon_area).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use geo::polygon;
    use proptest::prelude::*;

    #[test]
    fn one_degree_cell_at_the_equator() {
        // geographiclib (GeodSolve/Planimeter): 12308778361.469 m² for the
        // 1°×1° cell with corners on the equator and 0°/1° E.
        let p = polygon![(x: 0., y: 0.), (x: 1., y: 0.), (x: 1., y: 1.), (x: 0., y: 1.), (x: 0., y: 0.)];
        assert_relative_eq!(
            polygon_area(&p),
            12_308_778_361.469_452,
            max_relative = 1e-9
        );
        let cw = polygon![(x: 0., y: 0.), (x: 0., y: 1.), (x: 1., y: 1.), (x: 1., y: 0.), (x: 0., y: 0.)];
        assert_relative_eq!(
            polygon_area(&cw),
            12_308_778_361.469_452,
            max_relative = 1e-9
        );
    }

    #[test]
    fn utm_100m_square() {
        // The square (500000..500100, 1400000..1400100) of EPSG:32648 in lon/lat
        // (pyproj 3.7); 100 m / k0 squared ≈ 10008.005 m², pyproj's Geod gives
        // 10008.00480211195.
        let p = polygon![
            (x: 105.00000000000003, y: 12.664187881024551),
            (x: 105.00092093488175, y: 12.664187879431244),
            (x: 105.00092093812711, y: 12.665092174141936),
            (x: 105.00000000000003, y: 12.665092175735355),
            (x: 105.00000000000003, y: 12.664187881024551)
        ];
        assert_relative_eq!(polygon_area(&p), 10_008.004_802_111_95, max_relative = 1e-9);
    }

    /// A random polygon in the domain of the fast path: a star (or, with
    /// all radii 1, a convex polygon inscribed in an ellipse) of `n` vertices around a centre, with
    /// its extent, aspect, rotation and orientation drawn, and perhaps a hole
    /// (the star shrunk about its centre, so inside it). Longitudes wrapped
    /// into [-180, 180), so a centre near ±180° gives rings that jump.
    #[derive(Debug, Clone)]
    struct Case {
        lat: f64,
        lon: f64,
        /// Extent, degrees (1e-5 ≈ 1 m to 0.1).
        extent: f64,
        aspect: f64,
        rot: f64,
        radii: Vec<(f64, f64)>,
        convex: bool,
        hole: Option<(f64, bool)>,
        cw: bool,
    }

    fn case() -> impl Strategy<Value = Case> {
        let centre_lon = prop_oneof![
            4 => -180.0f64..180.0,
            1 => (-0.06f64..0.06).prop_map(|d| if d < 0.0 { 180.0 + d } else { -180.0 + d }),
        ];
        (
            -84.9f64..84.9,
            centre_lon,
            -5.0f64..-1.0,
            0.2f64..1.0,
            0.0f64..std::f64::consts::PI,
            prop::collection::vec((0.0f64..0.8, 0.2f64..1.0), 3..40),
            any::<bool>(),
            prop::option::of((0.05f64..0.9, any::<bool>())),
            any::<bool>(),
        )
            .prop_map(
                |(lat, lon, lg, aspect, rot, radii, convex, hole, cw)| Case {
                    lat,
                    lon,
                    extent: 10f64.powf(lg),
                    aspect,
                    rot,
                    radii,
                    convex,
                    hole,
                    cw,
                },
            )
    }

    fn polygon_of(c: &Case) -> Polygon<f64> {
        // Vertex i at angle (i + jitter)/n of a turn: a star about the centre.
        let n = c.radii.len() as f64;
        let pts: Vec<(f64, f64)> = c
            .radii
            .iter()
            .enumerate()
            .map(|(i, &(j, r))| ((i as f64 + j) / n, r))
            .collect();
        let half = c.extent / 2.0;
        let ring = |scale: f64, reverse: bool| {
            let mut v: Vec<(f64, f64)> = pts
                .iter()
                .map(|&(t, r)| {
                    let r = if c.convex { 1.0 } else { r } * scale;
                    let th = t * std::f64::consts::TAU;
                    let (x, y) = (r * th.cos(), c.aspect * r * th.sin());
                    let (sr, cr) = c.rot.sin_cos();
                    let (dx, dy) = (x * cr - y * sr, x * sr + y * cr);
                    let lon = c.lon + half * dx;
                    let lon = if lon >= 180.0 {
                        lon - 360.0
                    } else if lon < -180.0 {
                        lon + 360.0
                    } else {
                        lon
                    };
                    (lon, (c.lat + half * dy).clamp(-85.0, 85.0))
                })
                .collect();
            if reverse {
                v.reverse();
            }
            v.push(v[0]);
            LineString::from(v)
        };
        let holes = c
            .hole
            .iter()
            .map(|&(s, rev)| ring(0.2 * s, rev != c.cw))
            .collect();
        Polygon::new(ring(1.0, c.cw), holes)
    }

    /// Karney's own roundoff per vertex, m²: geographiclib's area of a small
    /// polygon differs from the exact figure (40-digit arithmetic; the fast
    /// path agrees with it to 1e-15 at the equator, 1e-9 elsewhere) by up to
    /// up to ~1.5e-4 m² per ring and ~2e-6 m² per vertex whatever the
    /// polygon's size (6e-5 m² for 31 vertices at the equator, 1.3e-4 m² on
    /// a ring of 33.6 m² at 16° S where the fast path is within 5e-9 m² of
    /// the exact figure). Below ~1e6 m² this, not 1e-9 relative, bounds the
    /// difference. (per ring, per vertex)
    const KARNEY_NOISE_M2: (f64, f64) = (3e-4, 5e-6);

    /// The fast path against Karney's algorithm (geographiclib-rs) on random
    /// polygons over its whole domain: the difference of a polygon's area,
    /// relative to the sum of its rings' areas (what bounds either method's
    /// error when a hole is subtracted), stays below 1e-9, plus Karney's
    /// noise floor ([`KARNEY_NOISE_M2`]). Cases: CLEARMAP_AREA_CASES (default 2000). The worst
    /// cases are printed (`--nocapture`). Over 1,000,000 polygons (seeded
    /// by proptest, ~3 min unoptimised): worst relative difference 2.9e-10
    /// over polygons of 1e6 m² and more (9.5e5 m² with a hole, 7.65° N,
    /// 110.78° W, 0.02° across), worst absolute 3.1e-4 m² (5.5e5 m², 18.7° S);
    /// in both, exact arithmetic puts the whole difference on Karney's side
    /// (fast path within 3e-7 m²).
    #[test]
    fn fast_path_agrees_with_karney() {
        use proptest::test_runner::{Config, TestRunner};
        use std::cell::RefCell;
        use std::io::Write;
        let cases = std::env::var("CLEARMAP_AREA_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(2000);
        let mut runner = TestRunner::new(Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        });
        #[derive(Default)]
        struct Worst {
            /// Relative, over polygons of at least 1e6 m² of rings (where Karney's
            /// noise is below 1e-10).
            rel: (f64, Option<Case>, f64, f64),
            /// Absolute, m², over all.
            abs: (f64, Option<Case>, f64, f64),
        }
        let worst = RefCell::new(Worst::default());
        // CLEARMAP_AREA_DUMP=FILE: the cases written out, for
        // scripts/check-area's comparison with Python's geographiclib and
        // exact arithmetic.
        let dump = RefCell::new(
            std::env::var_os("CLEARMAP_AREA_DUMP")
                .map(|path| std::io::BufWriter::new(std::fs::File::create(path).unwrap())),
        );
        runner
            .run(&case(), |c| {
                let p = polygon_of(&c);
                prop_assert!(equal_area::fits(&p), "{c:?} not in the domain");
                let fast = polygon_area(&p);
                let karney = karney_polygon_area(&p);
                let rings: f64 = std::iter::once(p.exterior())
                    .chain(p.interiors())
                    .map(karney_ring_area)
                    .sum();
                let d = (fast - karney).abs();
                let (n_rings, vertices) = std::iter::once(p.exterior())
                    .chain(p.interiors())
                    .fold((0.0, 0.0), |(r, v), ring| {
                        (r + 1.0, v + ring.0.len() as f64)
                    });
                if let Some(out) = dump.borrow_mut().as_mut() {
                    // One line a polygon: fast, Karney, then the rings as
                    // lon,lat pairs (`;` between points, `|` between rings).
                    let rings: Vec<String> = std::iter::once(p.exterior())
                        .chain(p.interiors())
                        .map(|r| {
                            let pts: Vec<String> =
                                r.0.iter().map(|c| format!("{:?},{:?}", c.x, c.y)).collect();
                            pts.join(";")
                        })
                        .collect();
                    writeln!(out, "{fast:?} {karney:?} {}", rings.join("|")).unwrap();
                }
                let mut w = worst.borrow_mut();
                if rings >= 1e6 && d / rings > w.rel.0 {
                    w.rel = (d / rings, Some(c.clone()), fast, karney);
                }
                if d > w.abs.0 {
                    w.abs = (d, Some(c.clone()), fast, karney);
                }
                prop_assert!(
                    d <= 1e-9 * rings + KARNEY_NOISE_M2.0 * n_rings + KARNEY_NOISE_M2.1 * vertices,
                    "{d:e} m²: {fast} vs {karney} for {c:?}"
                );
                Ok(())
            })
            .unwrap();
        if let Some(mut out) = dump.into_inner() {
            out.flush().unwrap();
        }
        let w = worst.into_inner();
        eprintln!(
            "{cases} polygons; worst relative difference (rings >= 1e6 m²) {:e} ({} vs {} m²) at {:?}; \
             worst absolute {:e} m² ({} vs {} m²) at {:?}",
            w.rel.0, w.rel.2, w.rel.3, w.rel.1, w.abs.0, w.abs.2, w.abs.3, w.abs.1
        );
    }

    #[test]
    fn slivers_are_karney() {
        // 100 m long and 1e-9° (~0.1 mm) wide, and a ring of zero area: what
        // the overlays leave along shared edges. Karney's figure exactly, its
        // noise included, so that whether such a piece has land is decided
        // as it always was.
        let sliver = polygon![(x: 18.0, y: 44.0), (x: 18.001, y: 44.0), (x: 18.001, y: 44.000000001), (x: 18.0, y: 44.0)];
        let flat = polygon![(x: 18.0, y: 44.0), (x: 18.001, y: 44.0), (x: 18.002, y: 44.0), (x: 18.0, y: 44.0)];
        // Squares of 0.72 m² and 1.28 m²: the fast path keeps the second only.
        let side = 1.0e-5;
        let small = |s: f64| polygon![(x: 18.0, y: 44.0), (x: 18.0 + s, y: 44.0), (x: 18.0 + s, y: 44.0 + s), (x: 18.0, y: 44.0 + s), (x: 18.0, y: 44.0)];
        for p in [sliver, flat, small(side * 0.9)] {
            assert!(equal_area::fits(&p));
            assert!(polygon_area(&p) < 1.0);
            assert_eq!(polygon_area(&p), karney_polygon_area(&p));
        }
        let kept = small(side * 1.2);
        let fast = equal_area::ring_area_signed(kept.exterior()).abs();
        assert!(fast > 1.0 && fast < 1.5, "{fast}");
        assert_eq!(polygon_area(&kept), fast);
        assert_relative_eq!(fast, karney_polygon_area(&kept), max_relative = 1e-3);
    }

    #[test]
    fn outside_the_domain_is_karney() {
        // 0.2° wide, or near a pole, or around it: Karney's figure exactly.
        let big = polygon![(x: 10., y: 10.), (x: 10.2, y: 10.), (x: 10.2, y: 10.2), (x: 10., y: 10.2), (x: 10., y: 10.)];
        let polar = polygon![(x: 10., y: 85.), (x: 10.01, y: 85.), (x: 10.01, y: 85.01), (x: 10., y: 85.01), (x: 10., y: 85.)];
        let ring: Vec<(f64, f64)> = (0..=360)
            .map(|i| (f64::from(i % 360) - 180.0, 84.99))
            .collect();
        let around = Polygon::new(LineString::from(ring), vec![]);
        for p in [big, polar, around] {
            assert!(!equal_area::fits(&p));
            assert_eq!(polygon_area(&p), karney_polygon_area(&p));
        }
    }

    #[test]
    fn across_the_antimeridian() {
        // The same 0.02° square written across ±180° and unwrapped east of it:
        // one area, Karney's to 1e-9.
        let jumps = polygon![(x: 179.99, y: -16.5), (x: -179.99, y: -16.5), (x: -179.99, y: -16.48), (x: 179.99, y: -16.48), (x: 179.99, y: -16.5)];
        let unwrapped = polygon![(x: 179.99, y: -16.5), (x: 180.01, y: -16.5), (x: 180.01, y: -16.48), (x: 179.99, y: -16.48), (x: 179.99, y: -16.5)];
        assert!(equal_area::fits(&jumps) && equal_area::fits(&unwrapped));
        let k = karney_polygon_area(&jumps);
        assert!(k > 4.5e6);
        assert_relative_eq!(polygon_area(&jumps), k, max_relative = 1e-9);
        assert_relative_eq!(polygon_area(&unwrapped), k, max_relative = 1e-9);
    }

    #[test]
    fn hole_is_subtracted() {
        let p = polygon!(
            exterior: [(x: 0., y: 0.), (x: 1., y: 0.), (x: 1., y: 1.), (x: 0., y: 1.), (x: 0., y: 0.)],
            interiors: [[(x: 0., y: 0.), (x: 0., y: 1.), (x: 1., y: 1.), (x: 1., y: 0.), (x: 0., y: 0.)]],
        );
        assert!(polygon_area(&p).abs() < 1e-3);
    }
}
