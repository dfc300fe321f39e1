//! Rounding of numbers and coordinates: decimals for the figures and
//! coordinates written out, the integer grid for rings about to be cleaned
//! there ([`super::grid_clean`]).

use i_overlay::i_float::int::point::IntPoint;

/// Round to `precision` decimals, in a form that prints without noise.
pub fn round(x: f64, precision: u8) -> f64 {
    let f = 10f64.powi(precision as i32);
    let r = (x * f).round() / f;
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

/// An area figure as written: millimetre² resolution is plenty.
pub fn round_area(x: f64) -> f64 {
    round(x, 3)
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
