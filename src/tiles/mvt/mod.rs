//! Mapbox Vector Tile 2.1: the data model shared by the encoder
//! ([`encode`]) and the decoder ([`decode`]): typed attribute values,
//! geometry in tile-local integer coordinates, command integers and the
//! protobuf wire types the four MVT messages use.
//!
//! Why our own: the `mvt` crate emits invalid command streams (a MoveTo without
//! ClosePath after a collapsed ring, a skipped MoveTo when a ring starts where
//! the previous one ended) and never checks winding; geozero floors
//! coordinates (docs/facts.md). The MVT schema is four small messages, so a
//! hand-written wire format (no prost, no build script, no generated code) is
//! shorter than the glue either crate would need. This module owns the bytes;
//! what goes into a tile (clipping, cleaning, winding) is the tiler's business,
//! and the encoder only refuses what it cannot represent validly.

mod decode;
mod encode;

pub use decode::{
    decode_commands, decode_tile, polygons, DecodeError, DecodedFeature, DecodedLayer,
};
pub(crate) use decode::{decode_value, varint};
pub use encode::{encode_geometry, LayerBuilder};
pub(crate) use encode::{put_bytes, put_value};

// Protobuf wire types.
const VARINT: u64 = 0;
const FIXED64: u64 = 1;
const LEN: u64 = 2;
const FIXED32: u64 = 5;

/// MVT geometry commands.
pub const CMD_MOVE_TO: u32 = 1;
pub const CMD_LINE_TO: u32 = 2;
pub const CMD_CLOSE_PATH: u32 = 7;

/// MVT `GeomType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeomType {
    Unknown = 0,
    Point = 1,
    LineString = 2,
    Polygon = 3,
}

/// A typed attribute value (MVT `Value`).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    String(String),
    Double(f64),
    /// Written as `sint_value` (zigzag).
    Int(i64),
    Uint(u64),
    Bool(bool),
}

impl Value {
    /// The value as JSON (`clearmap inspect`, decoded test cases).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::String(s) => serde_json::json!(s),
            Value::Double(d) => serde_json::json!(d),
            Value::Int(i) => serde_json::json!(i),
            Value::Uint(u) => serde_json::json!(u),
            Value::Bool(b) => serde_json::json!(b),
        }
    }
}

/// A ring or path in tile coordinates, without closing vertex.
pub type Ring = Vec<(i32, i32)>;

/// A polygon: its exterior, then its holes.
pub type TilePolygon = Vec<Ring>;

/// Geometry in tile coordinates (x right, y down, 0..extent inside the tile).
#[derive(Debug, Clone, PartialEq)]
pub enum TileGeometry {
    Point(i32, i32),
    /// Rings without the closing vertex; a ring with positive surveyor's area
    /// (in these y-down coordinates) is an exterior and starts a new polygon,
    /// the negative rings after it are its holes.
    Polygons(Vec<Vec<(i32, i32)>>),
}

/// A command integer: id in the low 3 bits, count above.
pub fn command(id: u32, count: u32) -> u32 {
    (id & 0x7) | (count << 3)
}
