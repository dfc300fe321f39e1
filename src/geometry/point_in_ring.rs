//! Point in ring on the integer grid, exactly (no division, products in
//! i128): the test the integer-grid cleaning uses to tell a hole's exterior and
//! to check that rings nest as they should.

use i_overlay::i_float::int::point::IntPoint;

/// Whether `p` lies strictly inside `ring` (even-odd ray cast, exact; `p` is
/// known not to lie on `ring`).
pub(crate) fn point_in_ring(p: IntPoint, ring: &[IntPoint]) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inside_outside_and_beyond_a_concave_ring() {
        let ring: Vec<IntPoint> = [(0, 0), (10, 0), (10, 10), (5, 5), (0, 10)]
            .iter()
            .map(|&(x, y)| IntPoint::new(x, y))
            .collect();
        assert!(point_in_ring(IntPoint::new(2, 3), &ring));
        assert!(!point_in_ring(IntPoint::new(5, 8), &ring));
        assert!(!point_in_ring(IntPoint::new(20, 3), &ring));
        // Either winding.
        let reversed: Vec<IntPoint> = ring.iter().rev().copied().collect();
        assert!(point_in_ring(IntPoint::new(2, 3), &reversed));
    }
}
