//! Clipping of polygon rings to a tile's buffered rectangle.
//!
//! Rings are clipped one by one (Sutherland–Hodgman): fast and allocation-light,
//! but a concave ring can come out with zero-width bridges along the rectangle's
//! edges. Those, and whatever rounding to integers breaks, are removed on the
//! integer grid afterwards ([`crate::geometry::clean`]).

/// An axis-aligned rectangle.
#[derive(Debug, Clone, Copy)]
pub struct Rect {
    pub min_x: f64,
    pub min_y: f64,
    pub max_x: f64,
    pub max_y: f64,
}

/// Clip a closed ring (no repeated closing vertex needed) to `r`.
pub fn clip_ring(ring: &[(f64, f64)], r: &Rect) -> Vec<(f64, f64)> {
    let mut pts: Vec<(f64, f64)> = ring.to_vec();
    clip_ring_into(&mut pts, r, &mut Vec::new());
    pts
}

/// [`clip_ring`] in place: `pts` is replaced by its clipped ring, `tmp` is
/// the second buffer the four passes alternate with (both keep their
/// allocations for the next ring).
pub fn clip_ring_into(pts: &mut Vec<(f64, f64)>, r: &Rect, tmp: &mut Vec<(f64, f64)>) {
    // Each edge of the rectangle as (inside test, intersection) on one axis.
    for edge in 0..4 {
        if pts.is_empty() {
            break;
        }
        let inside = |p: &(f64, f64)| match edge {
            0 => p.0 >= r.min_x,
            1 => p.0 <= r.max_x,
            2 => p.1 >= r.min_y,
            _ => p.1 <= r.max_y,
        };
        let cross = |a: &(f64, f64), b: &(f64, f64)| -> (f64, f64) {
            let (k, v) = match edge {
                0 => (0, r.min_x),
                1 => (0, r.max_x),
                2 => (1, r.min_y),
                _ => (1, r.max_y),
            };
            if k == 0 {
                let t = (v - a.0) / (b.0 - a.0);
                (v, a.1 + t * (b.1 - a.1))
            } else {
                let t = (v - a.1) / (b.1 - a.1);
                (a.0 + t * (b.0 - a.0), v)
            }
        };
        let out = &mut *tmp;
        out.clear();
        let n = pts.len();
        for i in 0..n {
            let cur = pts[i];
            let prev = pts[(i + n - 1) % n];
            match (inside(&prev), inside(&cur)) {
                (true, true) => out.push(cur),
                (true, false) => out.push(cross(&prev, &cur)),
                (false, true) => {
                    out.push(cross(&prev, &cur));
                    out.push(cur);
                }
                (false, false) => {}
            }
        }
        std::mem::swap(pts, tmp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_square_to_rect() {
        let r = Rect {
            min_x: 0.0,
            min_y: 0.0,
            max_x: 10.0,
            max_y: 10.0,
        };
        let ring = [(-5.0, -5.0), (5.0, -5.0), (5.0, 5.0), (-5.0, 5.0)];
        let c = clip_ring(&ring, &r);
        assert_eq!(c.len(), 4);
        assert!(c
            .iter()
            .all(|p| p.0 >= 0.0 && p.0 <= 5.0 && p.1 >= 0.0 && p.1 <= 5.0));
        assert!(clip_ring(&[(20.0, 20.0), (30.0, 20.0), (30.0, 30.0)], &r).is_empty());
    }
}
