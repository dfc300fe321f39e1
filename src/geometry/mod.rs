//! Geometry: the geometric primitives the stages share, one operation per
//! file. Stages import this layer, never one another's geometry code; a new
//! geometric operation gets a file here.
//!
//! - [`geodesic_area`]: area on the WGS84 ellipsoid, the unit of every figure;
//! - [`equal_area`]: its fast path for small polygons (authalic sphere and
//!   an edge correction), agreeing with Karney's algorithm to 1e-9;
//! - [`crossing`]: where a polygon crosses or touches itself;
//! - [`boolean_ops`]: union, intersection and difference of multipolygons,
//!   and normalize's repairs (i_overlay and geo: which output, and why);
//! - [`grid_clean`]: rings rounded to an integer grid made valid polygons on
//!   that grid (i_overlay);
//! - [`grid_simple`]: whether such rings are valid as they are (the fast
//!   path that skips the cleaning);
//! - [`snap`]: a multipolygon snapped to a decimal grid and rebuilt valid
//!   there (the GeoJSON writers);
//! - [`ring_area`]: the shoelace formula, exact on integers;
//! - [`point_in_ring`]: point in ring on the integer grid, exact;
//! - [`antimeridian`]: geometries across ±180° unwrapped (the tiles) or cut
//!   in two there (the GeoJSON and GeoPackage);
//! - [`interior`]: a point inside a polygon, geo's, found faster (the map's
//!   hazard points);
//! - [`validity`]: geo's validity rules for polygons and multipolygons, on
//!   R-trees instead of all pairs (normalize's check before repair);
//! - [`rounding`]: decimals for what is written, the integer grid for what is
//!   cleaned.

pub(crate) mod antimeridian;
mod boolean_ops;
mod crossing;
mod equal_area;
mod geodesic_area;
mod grid_clean;
mod grid_simple;
mod interior;
mod point_in_ring;
mod ring_area;
mod rounding;
mod snap;
mod validity;

pub use crossing::self_crossing;
pub use geodesic_area::{area, karney_area};
pub use ring_area::{ring_area2, ShoelaceVertex};

pub(crate) use boolean_ops::{
    difference, differences_and_intersection, even_odd_rebuild, intersection, merge_parts,
    union_all,
};
pub(crate) use grid_clean::clean;
pub(crate) use grid_simple::simple_polygons;
pub(crate) use interior::interior_point;
pub(crate) use rounding::{quantise_into, round, round_area, round_i32};
pub(crate) use snap::snap_valid;
pub(crate) use validity::{multipolygon_is_valid, polygon_error};

/// A point of the integer grid (i_overlay's own type, so cleaning needs no copy).
pub(crate) use i_overlay::i_float::int::point::IntPoint;

/// Shared by the tests of the integer-grid files, and the seeded numbers of
/// other tests.
#[cfg(test)]
pub(crate) mod test_rings {
    use i_overlay::i_float::int::point::IntPoint;

    /// The next number of a xorshift64 sequence (state never 0): a
    /// deterministic spread of test values.
    pub(crate) fn xorshift64(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    /// Seeded numbers in 0..m (xorshift): reproducible random rings.
    pub(crate) fn xorshift(mut seed: u64) -> impl FnMut(i32) -> i32 {
        move |m| (xorshift64(&mut seed) % m as u64) as i32
    }

    pub(crate) fn ip(v: &[(i32, i32)]) -> Vec<IntPoint> {
        v.iter().map(|&(x, y)| IntPoint::new(x, y)).collect()
    }
}
