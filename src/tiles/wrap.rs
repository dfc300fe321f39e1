//! The antimeridian in unit coordinates: a feature the tiler projected
//! unwrapped (`geometry::antimeridian::unwrap`) reaches past the world's east
//! edge (x > 1); its copy one world west draws the part beyond, so that each
//! copy covers a few tiles on its side of ±180° instead of one feature
//! covering every tile of its latitudes.

use super::tiler::Built;

/// The copy of `shape` (bounding box `bbox`: min x, min y, max x, max y)
/// moved one world west, with its box; `None` unless it reaches past x = 1.
pub(super) fn west_copy(shape: &Built, bbox: [f64; 4]) -> Option<(Built, [f64; 4])> {
    if bbox[2] <= 1.0 {
        return None;
    }
    Some((
        shape.moved_x(-1.0),
        [bbox[0] - 1.0, bbox[1], bbox[2] - 1.0, bbox[3]],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_reaches_past_the_edge_is_copied_west() {
        let shape =
            Built::from_polygons(&[vec![vec![(0.99, 0.5), (1.01, 0.5), (1.01, 0.51)]]]).unwrap();
        let (moved, bbox) = west_copy(&shape, [0.99, 0.5, 1.01, 0.51]).unwrap();
        let first = moved.polygons().next().unwrap().next().unwrap();
        assert!((first[1][0] - 0.01).abs() < 1e-12);
        assert!((bbox[0] + 0.01).abs() < 1e-12 && (bbox[2] - 0.01).abs() < 1e-12);
        assert!(west_copy(&shape, [0.2, 0.5, 0.3, 0.51]).is_none());
    }
}
