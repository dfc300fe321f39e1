//! The area of a small geodesic polygon on the WGS84 ellipsoid without solving
//! the geodesic inverse problem: the fast path of [`super::geodesic_area`],
//! which keeps Karney's algorithm for every polygon outside [`fits`].
//!
//! # Method
//! The ellipsoid is mapped onto the authalic sphere (radius `Rq`, latitude →
//! authalic latitude β, longitude kept), which preserves area exactly. On that
//! sphere the polygon with great-circle edges has the exact area
//! `Rq² Σ E`, `E` the excess of the trapezoid between an edge and the equator
//! (`tan(E/2) = tan(Δλ/2)·(t₁+t₂)/(1+t₁t₂)`, `t = tan(β/2)`). The only
//! difference from the ellipsoidal polygon is the edges: a geodesic of the
//! ellipsoid maps onto a curve that bends away from the great circle, with
//! geodesic curvature κ of order `e²/a`. The sliver between that curve and
//! the great circle is `κ L³/12` (deviation `y'' = -κ`, fixed ends, κ taken at
//! the edge's midpoint, which is exact while κ varies linearly along it), and
//! is added per edge. κ is the exact curvature of the image (Clairaut's
//! relation on the ellipsoid, `tan α' = k² tan α` for the azimuth on the
//! sphere, `k` the parallel scale of the authalic map); to first order in e²
//! it is `e² sin φ cos φ sin α / a`, which a test checks.
//!
//! Without the sliver term the area is off by ~4e-8 relative for a 1 km
//! polygon at 45°; with it, the remaining terms are of order `e² (L/R)³` and
//! roundoff. Measured against geographiclib-rs on random polygons over
//! [`fits`]'s whole domain (the property tests of `geodesic_area`, a million
//! polygons on request), the relative difference stays below 1e-9 (the figure
//! and its worst case are in the tests' docs).
//!
//! # Why hand-written
//! No maintained crate computes ellipsoidal polygon areas other than through
//! the geodesic inverse problem (geographiclib-rs, which stays for large
//! polygons); the equal-area mapping and the edge correction are a few lines.

use geo::{Coord, LineString, Polygon};

/// WGS84, as geographiclib-rs has it.
const A: f64 = 6_378_137.0;
const F: f64 = 1.0 / 298.257_223_563;
const E2: f64 = F * (2.0 - F);

/// Largest extent, in degrees of latitude and of (unwrapped) longitude, of a
/// polygon measured here. 0.1° is ~11 km; hazards and releases are far
/// smaller. The property tests sample up to this extent.
pub const MAX_EXTENT_DEG: f64 = 0.1;

/// Largest |latitude| of a vertex measured here, degrees.
pub const MAX_LAT_DEG: f64 = 85.0;

struct Consts {
    e: f64,
    qp: f64,
    rq: f64,
}

fn k() -> &'static Consts {
    static C: std::sync::OnceLock<Consts> = std::sync::OnceLock::new();
    C.get_or_init(|| {
        let e = E2.sqrt();
        let qp = q_raw(1.0, e);
        Consts {
            e,
            qp,
            rq: A * (qp / 2.0).sqrt(),
        }
    })
}

/// `q(φ)` of the authalic latitude (Snyder 3-12) from `sin φ`.
fn q_raw(s: f64, e: f64) -> f64 {
    (1.0 - E2) * (s / (1.0 - E2 * s * s) + (e * s).atanh() / e)
}

/// `(sin β, cos β)` of the authalic latitude β of geodetic latitude `phi`
/// (radians).
fn authalic(phi: f64, c: &Consts) -> (f64, f64) {
    let sb = q_raw(phi.sin(), c.e) / c.qp;
    let cb = ((1.0 - sb) * (1.0 + sb)).max(0.0).sqrt();
    (sb, cb)
}

/// Whether every ring of `p` lies where the fast path is proven: all
/// vertices within ±[`MAX_LAT_DEG`], the polygon's extent within
/// [`MAX_EXTENT_DEG`] in latitude and in longitude, the longitudes unwrapped
/// edge by edge (an edge across ±180° is the short way round, as a geodesic
/// is; a ring around a pole spans 360° unwrapped and fails the test). One
/// decision for the whole polygon, so that a hole is measured by the same
/// method as its exterior.
pub fn fits(p: &Polygon<f64>) -> bool {
    let Some(first) = p.exterior().0.first() else {
        return true;
    };
    let (mut lat_lo, mut lat_hi) = (first.y, first.y);
    let (mut lon_lo, mut lon_hi) = (first.x, first.x);
    for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
        let Some(start) = ring.0.first() else {
            continue;
        };
        // Holes are unwrapped from the exterior's first vertex too.
        let mut lon = start.x + 360.0 * ((first.x - start.x) / 360.0).round();
        let mut prev = start.x;
        for c in &ring.0 {
            if c.y.is_nan() || c.y.abs() > MAX_LAT_DEG || !c.x.is_finite() {
                return false;
            }
            lon += wrap(c.x - prev);
            prev = c.x;
            lat_lo = lat_lo.min(c.y);
            lat_hi = lat_hi.max(c.y);
            lon_lo = lon_lo.min(lon);
            lon_hi = lon_hi.max(lon);
            if lat_hi - lat_lo > MAX_EXTENT_DEG || lon_hi - lon_lo > MAX_EXTENT_DEG {
                return false;
            }
        }
    }
    true
}

/// A longitude difference in degrees brought into [-180, 180]; left
/// untouched (so exact) when it already is.
fn wrap(d: f64) -> f64 {
    if d > 180.0 {
        d - 360.0
    } else if d < -180.0 {
        d + 360.0
    } else {
        d
    }
}

/// `to - from` in degrees, brought into [-180, 180], correctly rounded. An
/// edge across ±180° (179.99 to -179.99) has a difference near ±360 whose
/// rounding error (~3e-14°) would be a relative error of 1e-12 of the
/// trapezoid term, 1e-8 of a 1 km² polygon; the error of the subtraction
/// is kept (TwoSum) and added after the exact removal of 360°.
fn lon_diff(from: f64, to: f64) -> f64 {
    let s = to - from;
    if (-180.0..=180.0).contains(&s) {
        // |s| <= 180 from two longitudes within [-180, 180]: exact unless the
        // inputs are far outside it.
        return s;
    }
    let bb = s - to;
    let err = (to - (s - bb)) + (-from - bb);
    // s within [180, 540] or [-540, -180]: s ∓ 360 is exact (Sterbenz).
    wrap(s) + err
}

/// Signed area of one closed ring (counter-clockwise positive), m², for a
/// ring of a polygon that [`fits`].
pub fn ring_area_signed(ring: &LineString<f64>) -> f64 {
    let c = k();
    let pts = &ring.0;
    if pts.len() < 4 {
        return 0.0;
    }
    let vertex = |p: &Coord<f64>| {
        let phi = p.y.to_radians();
        let (sb, cb) = authalic(phi, c);
        (phi, sb, cb, sb / (1.0 + cb))
    };
    let mut excess = 0.0;
    let mut sliver = 0.0;
    let mut prev = vertex(&pts[0]);
    for w in pts.windows(2) {
        let next = vertex(&w[1]);
        let (phi1, sb1, _, t1) = prev;
        let (phi2, sb2, _, t2) = next;
        let dl = lon_diff(w[0].x, w[1].x).to_radians();
        excess += 2.0 * ((dl / 2.0).tan() * (t1 + t2)).atan2(1.0 + t1 * t2);
        // The edge on the authalic sphere, in radians: east and north parts
        // at its midpoint.
        let phim = 0.5 * (phi1 + phi2);
        let (sbm, cbm) = authalic(phim, c);
        let x = cbm * dl;
        let y = (sb2 - sb1) / cbm;
        let len2 = x * x + y * y;
        if len2 > 0.0 {
            let len = len2.sqrt();
            let kappa = image_curvature(phim, sbm, cbm, x / len, y / len, c);
            let l = c.rq * len;
            sliver += kappa * l * l * l / 12.0;
        }
        prev = next;
    }
    c.rq * c.rq * excess + sliver
}

/// Geodesic curvature, on the authalic sphere, of the image of the
/// ellipsoid's geodesic through geodetic latitude `phi` (authalic `sb`,
/// `cb`) whose image has azimuth α' (`sa`, `ca`): positive when it turns
/// clockwise (towards increasing azimuth) faster than a great circle, 1/m.
fn image_curvature(phi: f64, sb: f64, cb: f64, sa: f64, ca: f64, c: &Consts) -> f64 {
    let (sp, cp) = phi.sin_cos();
    let w2 = 1.0 - E2 * sp * sp;
    let w = w2.sqrt();
    let n = A / w;
    let m = A * (1.0 - E2) / (w2 * w);
    let r = n * cp;
    // Parallel scale k of the map and dk/dφ: ln k = ln cos β − ln r + const,
    // dβ/dφ = M r / (Rq² cos β).
    let kk = c.rq * cb / r;
    let tb = sb / cb;
    let k_phi = kk * (m * sp / r - tb * m / (c.rq * kk));
    // The ellipsoid's azimuth α from tan α' = k² tan α.
    let (sa_e, ca_e) = {
        let (s, co) = (sa, kk * kk * ca);
        let h = s.hypot(co);
        (s / h, co / h)
    };
    // Along the geodesic (arc length s on the ellipsoid): Clairaut gives
    // dα/ds = sin α sin φ / r; dk/ds = k'(φ) cos α / M.
    let a_s = sa_e * sp / r;
    let k_s = k_phi * ca_e / m;
    let k2 = kk * kk;
    let d = ca_e * ca_e + k2 * k2 * sa_e * sa_e;
    let sd = d.sqrt();
    // α' = atan(k² tan α): dα'/ds, then per arc length s' of the image
    // (ds'/ds = √D / k).
    let da_ds = (2.0 * kk * k_s * sa_e * ca_e + k2 * a_s) / d;
    let da_dsp = da_ds * kk / sd;
    // A great circle with that azimuth turns at tan β sin α' / Rq.
    da_dsp - tb * (k2 * sa_e / sd) / c.rq
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curvature_to_first_order_in_e2() {
        // κ ≈ e² sin φ cos φ sin α / a; the exact form differs by O(e²)
        // relative (≤ ~1 %), and is zero on meridians and at the equator.
        let c = k();
        for lat in [-80.0f64, -45.0, -10.0, 10.0, 30.0, 60.0, 84.0] {
            for az in [15.0f64, 45.0, 90.0, 135.0, 200.0, 300.0] {
                let phi = lat.to_radians();
                let (sb, cb) = authalic(phi, c);
                let (sa, ca) = az.to_radians().sin_cos();
                let exact = image_curvature(phi, sb, cb, sa, ca, c);
                let first = E2 * phi.sin() * phi.cos() * sa / A;
                assert!(
                    (exact - first).abs() <= 0.02 * first.abs(),
                    "{lat} {az}: {exact} vs {first}"
                );
            }
            let phi = lat.to_radians();
            let (sb, cb) = authalic(phi, c);
            assert!(image_curvature(phi, sb, cb, 0.0, 1.0, c).abs() < 1e-22);
        }
        let (sb, cb) = authalic(0.0, c);
        assert!(image_curvature(0.0, sb, cb, 1.0, 0.0, c).abs() < 1e-22);
    }

    #[test]
    fn lon_diff_across_the_antimeridian_is_exact() {
        // Both are multiples of 2^-45, and so is their exact difference
        // (~0.04, representable): computed on integers.
        let (a, b) = (179.99f64, -179.97f64);
        let u = 2f64.powi(45);
        let exact = ((b * u) as i64 - (a * u) as i64 + (360.0 * u) as i64) as f64 / u;
        assert_eq!(lon_diff(a, b), exact);
        assert_eq!(lon_diff(b, a), -exact);
        assert_ne!(b - a + 360.0, exact, "the naive sum rounds");
        assert_eq!(lon_diff(10.5, 11.0), 0.5);
        assert_eq!(lon_diff(170.0, -170.0), 20.0);
    }

    #[test]
    fn authalic_radius() {
        // Rq of WGS84: 6371007.1809 m (Snyder; pyproj's R_A).
        assert!((k().rq - 6_371_007.180_9).abs() < 1e-3);
    }
}
