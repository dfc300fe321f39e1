//! Ring area by the shoelace (surveyor's) formula, one for every coordinate
//! type: twice the signed area of a ring given without its closing vertex.
//! Positive when the ring turns counter-clockwise with y up (lon/lat, grid
//! units), which is clockwise on screen with y down (the MVT exterior).
//!
//! Integer rings are measured exactly, each product in a type wide enough for
//! it: i64 for `(i32, i32)` tile rings, i128 for i_overlay points, whose areas
//! are summed over many rings and compared for equality. Float rings are
//! summed in ring order, so the result is the same on every run.

use i_overlay::i_float::int::point::IntPoint;
use std::ops::Add;

/// A vertex the shoelace formula can take, and the type its area is summed in.
pub trait ShoelaceVertex: Copy {
    /// The type of (twice) the area.
    type Area: Copy + Default + Add<Output = Self::Area>;
    /// `self.x * next.y - next.x * self.y`.
    fn cross(self, next: Self) -> Self::Area;
}

impl ShoelaceVertex for (f64, f64) {
    type Area = f64;
    fn cross(self, next: Self) -> f64 {
        self.0 * next.1 - next.0 * self.1
    }
}

/// The same cross product as `(f64, f64)`'s, bit for bit.
impl ShoelaceVertex for [f64; 2] {
    type Area = f64;
    fn cross(self, next: Self) -> f64 {
        self[0] * next[1] - next[0] * self[1]
    }
}

impl ShoelaceVertex for (i32, i32) {
    type Area = i64;
    fn cross(self, next: Self) -> i64 {
        self.0 as i64 * next.1 as i64 - next.0 as i64 * self.1 as i64
    }
}

impl ShoelaceVertex for IntPoint {
    type Area = i128;
    fn cross(self, next: Self) -> i128 {
        self.x as i128 * next.y as i128 - next.x as i128 * self.y as i128
    }
}

/// Twice the signed area of a ring without closing vertex.
pub fn ring_area2<V: ShoelaceVertex>(ring: &[V]) -> V::Area {
    let n = ring.len();
    let mut s = V::Area::default();
    for i in 0..n {
        s = s + ring[i].cross(ring[(i + 1) % n]);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_formula_for_every_coordinate_type() {
        let ccw = [(0, 0), (4, 0), (4, 3), (0, 3)];
        assert_eq!(ring_area2(&ccw), 24i64);
        let cw: Vec<(i32, i32)> = ccw.iter().rev().copied().collect();
        assert_eq!(ring_area2(&cw), -24i64);
        let f: Vec<(f64, f64)> = ccw.iter().map(|&(x, y)| (x as f64, y as f64)).collect();
        assert_eq!(ring_area2(&f), 24.0);
        let p: Vec<IntPoint> = ccw.iter().map(|&(x, y)| IntPoint::new(x, y)).collect();
        assert_eq!(ring_area2(&p), 24i128);
        // Exact where i64 products of i32 corners would not fit a sum.
        let big = [
            (i32::MIN, i32::MIN),
            (i32::MAX, i32::MIN),
            (i32::MAX, i32::MAX),
            (i32::MIN, i32::MAX),
        ];
        let p: Vec<IntPoint> = big.iter().map(|&(x, y)| IntPoint::new(x, y)).collect();
        assert_eq!(ring_area2(&p), 2 * (u32::MAX as i128) * (u32::MAX as i128));
        assert_eq!(ring_area2::<(i32, i32)>(&[]), 0);
    }
}
