//! Geometry: the geometric primitives the stages share, one operation per
//! file. Stages import this layer, never one another's geometry code.
//!
//! - [`geodesic_area`]: area on the WGS84 ellipsoid, the unit of every figure;
//! - [`boolean_ops`]: union, intersection and difference of multipolygons
//!   (i_overlay, and why it is called directly).

mod boolean_ops;
mod geodesic_area;

pub(crate) use boolean_ops::inside;
pub use boolean_ops::{difference, intersection, simplify_int, union_all, IntShapes};
pub use geodesic_area::{area, polygon_area, ring_area};
