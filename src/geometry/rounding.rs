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
#[cfg(test)]
pub fn quantise(ring: &[(f64, f64)]) -> Vec<IntPoint> {
    quantise_iter(ring.iter().copied(), ring.len())
}

/// [`quantise`] of points as they come (`n` of them), for rings that need no
/// clipping and so no intermediate copy.
pub fn quantise_iter(ring: impl Iterator<Item = (f64, f64)>, n: usize) -> Vec<IntPoint> {
    let mut out: Vec<IntPoint> = Vec::with_capacity(n);
    quantise_into(ring, &mut out);
    out
}

/// [`quantise_iter`] into `out` (cleared first), so that a caller rounding
/// ring after ring reuses one allocation.
pub fn quantise_into(ring: impl Iterator<Item = (f64, f64)>, out: &mut Vec<IntPoint>) {
    out.clear();
    for (x, y) in ring {
        let p = IntPoint::new(round_i32(x), round_i32(y));
        if out.last() != Some(&p) {
            out.push(p);
        }
    }
    while out.len() > 1 && out.first() == out.last() {
        out.pop();
    }
}

/// `v.round() as i32`, without the call to libm's `round` that x86-64
/// without SSE4.1 makes of it (twice per vertex, every vertex of every tile
/// at every zoom). Within ±2^31 the truncation is exact, and so is the
/// fraction `v - t` (the fractional part of a double always is); halves go
/// away from zero as `f64::round` rounds them. Anything else (NaN, out of
/// range) takes `round` itself.
#[inline]
pub fn round_i32(v: f64) -> i32 {
    const LIMIT: f64 = 2_147_483_647.0;
    if v.abs() < LIMIT {
        #[allow(clippy::cast_possible_truncation)]
        let t = v as i64;
        #[allow(clippy::cast_precision_loss)]
        let frac = v - t as f64;
        let r = if frac >= 0.5 {
            t + 1
        } else if frac <= -0.5 {
            t - 1
        } else {
            t
        };
        // |v| < 2^31 - 1: r lies within i32.
        #[allow(clippy::cast_possible_truncation)]
        let r = r as i32;
        r
    } else {
        #[allow(clippy::cast_possible_truncation)]
        let r = v.round() as i32;
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_i32_is_round_as_i32() {
        let mut vals = vec![
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.5,
            -1.5,
            2.5,
            -2.5,
            0.499_999_999_999_999_94,
            -0.499_999_999_999_999_94,
            4_503_599_627_370_495.5,
            2_147_483_646.5,
            -2_147_483_646.5,
            2_147_483_647.0,
            -2_147_483_647.0,
            2_147_483_648.0,
            -2_147_483_649.0,
            1e12,
            -1e12,
            f64::MAX,
            f64::MIN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::MIN_POSITIVE,
            f64::EPSILON,
        ];
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        for _ in 0..200_000 {
            let state = crate::geometry::test_rings::xorshift64(&mut state);
            let unit = (state >> 11) as f64 / (1u64 << 53) as f64;
            vals.push((unit - 0.5) * 10_000.0);
            vals.push(((unit - 0.5) * 20_000.0).round() + 0.5);
            vals.push(f64::from_bits(state));
        }
        for v in vals {
            assert_eq!(round_i32(v), v.round() as i32, "{v:e}");
        }
    }
}
