//! Writing a tile (MVT 2.1 "4. Internal Structure"): layers with shared
//! key/value tables, typed values, feature ids and geometry command streams
//! (MVT "4.3 Geometry Encoding"), protobuf varints and zigzag by hand.

use super::{
    command, GeomType, TileGeometry, Value, CMD_CLOSE_PATH, CMD_LINE_TO, CMD_MOVE_TO, FIXED64, LEN,
    VARINT,
};
use crate::geometry::ring_area2;
use crate::tiles::Props;

pub(crate) fn zigzag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)).cast_unsigned()
}

pub(crate) fn put_varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push(low_byte(v) | 0x80);
        v >>= 7;
    }
    buf.push(low_byte(v));
}

/// The lowest 8 bits of `v` (the varint's next 7 bits, below the
/// continuation bit).
fn low_byte(v: u64) -> u8 {
    v.to_le_bytes()[0]
}

/// An MVT parameter integer (MVT 4.3.2): the zigzag of a coordinate or a
/// delta, as the uint32 the command stream holds.
fn parameter(v: i64) -> u32 {
    // Tile coordinates stay within a tile and its buffer (a few thousand
    // units), so the zigzag of any delta between them fits 32 bits.
    #[allow(clippy::cast_possible_truncation)]
    let p = zigzag(v) as u32;
    p
}

/// A count or a table index of one tile as the uint32 MVT stores: a tile
/// holds far fewer than 2^32 of anything (its buffers would not fit in
/// memory first).
#[allow(clippy::cast_possible_truncation)]
fn tile_u32(n: usize) -> u32 {
    n as u32
}

/// The MVT `Value` message of `v` (its one field, without the enclosing tag
/// and length): what a layer's value table holds and what
/// [`crate::tiles::Properties`] keeps of a feature's attributes.
pub(crate) fn put_value(buf: &mut Vec<u8>, v: &Value) {
    match v {
        Value::String(s) => put_bytes(buf, 1, s.as_bytes()),
        Value::Double(d) => {
            put_tag(buf, 3, FIXED64);
            buf.extend_from_slice(&d.to_le_bytes());
        }
        Value::Int(i) => {
            put_tag(buf, 6, VARINT);
            put_varint(buf, zigzag(*i));
        }
        Value::Uint(u) => {
            put_tag(buf, 5, VARINT);
            put_varint(buf, *u);
        }
        Value::Bool(b) => {
            put_tag(buf, 7, VARINT);
            put_varint(buf, u64::from(*b));
        }
    }
}

pub(crate) fn put_tag(buf: &mut Vec<u8>, field: u64, wire: u64) {
    put_varint(buf, (field << 3) | wire);
}

pub(crate) fn put_bytes(buf: &mut Vec<u8>, field: u64, bytes: &[u8]) {
    put_tag(buf, field, LEN);
    put_varint(buf, bytes.len() as u64);
    buf.extend_from_slice(bytes);
}

/// Bytes of the varint of `v`.
fn varint_len(v: u64) -> u64 {
    // 7 bits a byte; 0 takes one byte.
    u64::from((64 - (v | 1).leading_zeros()).div_ceil(7))
}

/// A packed repeated uint32 field, written in place: its length is counted
/// first, so no buffer per field (two per feature of every tile).
fn put_packed(buf: &mut Vec<u8>, field: u64, values: &[u32]) {
    put_tag(buf, field, LEN);
    put_varint(buf, values.iter().map(|&v| varint_len(u64::from(v))).sum());
    for &v in values {
        put_varint(buf, u64::from(v));
    }
}

/// Encode a geometry as an MVT command stream. Polygon rings with fewer than
/// three distinct points or zero area are refused (they would make the feature
/// invalid); `None` when nothing valid is left.
pub fn encode_geometry(g: &TileGeometry) -> Option<(GeomType, Vec<u32>)> {
    let mut out = Vec::new();
    let t = encode_geometry_into(g, &mut Vec::new(), &mut out)?;
    Some((t, out))
}

/// [`encode_geometry`] into `out` (cleared first), with `pts` as the buffer
/// of a ring's distinct points: a layer encodes every feature of a tile
/// through the same two buffers.
fn encode_geometry_into(
    g: &TileGeometry,
    pts: &mut Vec<(i32, i32)>,
    out: &mut Vec<u32>,
) -> Option<GeomType> {
    out.clear();
    match g {
        TileGeometry::Point(x, y) => {
            out.extend([
                command(CMD_MOVE_TO, 1),
                parameter(i64::from(*x)),
                parameter(i64::from(*y)),
            ]);
            Some(GeomType::Point)
        }
        TileGeometry::Polygons(rings) => {
            let (mut cx, mut cy) = (0i64, 0i64);
            for ring in rings {
                pts.clear();
                for &p in ring {
                    if pts.last() != Some(&p) {
                        pts.push(p);
                    }
                }
                while pts.len() > 1 && pts.first() == pts.last() {
                    pts.pop();
                }
                if pts.len() < 3 || ring_area2(pts) == 0 {
                    continue;
                }
                let mut delta = |(x, y): (i32, i32), out: &mut Vec<u32>| {
                    out.push(parameter(i64::from(x) - cx));
                    out.push(parameter(i64::from(y) - cy));
                    cx = i64::from(x);
                    cy = i64::from(y);
                };
                out.push(command(CMD_MOVE_TO, 1));
                delta(pts[0], out);
                out.push(command(CMD_LINE_TO, tile_u32(pts.len() - 1)));
                for &p in &pts[1..] {
                    delta(p, out);
                }
                out.push(command(CMD_CLOSE_PATH, 1));
            }
            (!out.is_empty()).then_some(GeomType::Polygon)
        }
    }
}

/// One layer being filled: features are encoded as they come, keys and values
/// go into tables shared by the layer's features, in order of first use.
///
/// Built once per layer per tile, hundreds of thousands of times a build:
/// values are kept as the `Value` messages the table writes (a feature's
/// [`crate::tiles::Properties`] hold them so), end to end in one buffer, looked up by the
/// hash of their bytes (one message per value, so equal bytes are equal
/// values: a double by its bits); keys (a layer has a handful) by a linear
/// scan; the encoded features go into one buffer.
pub struct LayerBuilder {
    name: String,
    extent: u32,
    keys: Vec<Box<[u8]>>,
    /// The value messages, end to end, and where each ends.
    values: Vec<u8>,
    value_ends: Vec<usize>,
    value_index: hashbrown::HashTable<u32>,
    hasher: hashbrown::DefaultHashBuilder,
    /// The features, each already framed as a `Layer.features` field.
    features: Vec<u8>,
    scratch: Vec<u8>,
    tags: Vec<u32>,
    /// The geometry's commands and a ring's points ([`encode_geometry_into`]).
    cmds: Vec<u32>,
    pts: Vec<(i32, i32)>,
}

impl LayerBuilder {
    pub fn new(name: &str, extent: u32) -> Self {
        LayerBuilder {
            name: name.to_string(),
            extent,
            keys: Vec::new(),
            values: Vec::new(),
            value_ends: Vec::new(),
            value_index: hashbrown::HashTable::new(),
            hasher: hashbrown::DefaultHashBuilder::default(),
            features: Vec::new(),
            scratch: Vec::new(),
            tags: Vec::new(),
            cmds: Vec::new(),
            pts: Vec::new(),
        }
    }

    /// Empty the layer for another tile as `name` of `extent`, keeping the
    /// buffers (the tiler fills a layer per tile, hundreds of thousands of
    /// times a build).
    pub fn reset(&mut self, name: &str, extent: u32) {
        if self.name != name {
            name.clone_into(&mut self.name);
        }
        self.extent = extent;
        self.keys.clear();
        self.values.clear();
        self.value_ends.clear();
        self.value_index.clear();
        self.features.clear();
    }

    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// The value message of index `i`.
    fn value<'v>(values: &'v [u8], ends: &[usize], i: usize) -> &'v [u8] {
        let start = i.checked_sub(1).map_or(0, |j| ends[j]);
        &values[start..ends[i]]
    }

    /// The value messages of the table, in order.
    fn value_messages(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.value_ends.len()).map(|i| Self::value(&self.values, &self.value_ends, i))
    }

    /// The index of value message `v` in the value table, added on first use.
    fn value_slot(&mut self, v: &[u8]) -> u32 {
        use std::hash::BuildHasher;
        let hash = self.hasher.hash_one(v);
        let (values, ends) = (&self.values, &self.value_ends);
        let same = |&i: &u32| Self::value(values, ends, i as usize) == v;
        if let Some(&i) = self.value_index.find(hash, same) {
            return i;
        }
        let i = tile_u32(self.value_ends.len());
        self.values.extend_from_slice(v);
        self.value_ends.push(self.values.len());
        let (values, ends, hasher) = (&self.values, &self.value_ends, &self.hasher);
        self.value_index.insert_unique(hash, i, |&j| {
            hasher.hash_one(Self::value(values, ends, j as usize))
        });
        i
    }

    /// Add a feature; returns false (and adds nothing) when its geometry has
    /// nothing valid left to encode.
    pub fn add_feature(
        &mut self,
        id: Option<u64>,
        properties: Props,
        geometry: &TileGeometry,
    ) -> bool {
        let mut cmds = std::mem::take(&mut self.cmds);
        let Some(gtype) = encode_geometry_into(geometry, &mut self.pts, &mut cmds) else {
            self.cmds = cmds;
            return false;
        };
        let mut tags = std::mem::take(&mut self.tags);
        tags.clear();
        for (k, v) in properties.iter() {
            let ki = match self.keys.iter().position(|x| **x == *k) {
                Some(i) => tile_u32(i),
                None => {
                    self.keys.push(k.into());
                    tile_u32(self.keys.len() - 1)
                }
            };
            let vi = self.value_slot(v);
            tags.push(ki);
            tags.push(vi);
        }
        let f = &mut self.scratch;
        f.clear();
        if let Some(id) = id {
            put_tag(f, 1, VARINT);
            put_varint(f, id);
        }
        if !tags.is_empty() {
            put_packed(f, 2, &tags);
        }
        put_tag(f, 3, VARINT);
        put_varint(f, gtype as u64);
        put_packed(f, 4, &cmds);
        put_bytes(&mut self.features, 2, f);
        self.tags = tags;
        self.cmds = cmds;
        true
    }

    /// Append this layer (a `Tile.layers` entry) to `tile`.
    pub fn write_to(&self, tile: &mut Vec<u8>) {
        self.write_to_with(tile, &mut Vec::new());
    }

    /// [`Self::write_to`] with `l` as the buffer of the layer's message
    /// (cleared first), kept by the caller from tile to tile.
    pub fn write_to_with(&self, tile: &mut Vec<u8>, l: &mut Vec<u8>) {
        l.clear();
        put_tag(l, 15, VARINT);
        put_varint(l, 2);
        put_bytes(l, 1, self.name.as_bytes());
        l.extend_from_slice(&self.features);
        for k in &self.keys {
            put_bytes(l, 3, k);
        }
        for v in self.value_messages() {
            put_bytes(l, 4, v);
        }
        put_tag(l, 5, VARINT);
        put_varint(l, u64::from(self.extent));
        put_bytes(tile, 3, l);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tiles::mvt::{decode_commands, decode_tile};
    use crate::tiles::Properties;

    #[test]
    fn varint_lengths_match_the_bytes_written() {
        for v in [
            0u64,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            u64::from(u32::MAX),
            u64::MAX,
        ] {
            let mut b = Vec::new();
            put_varint(&mut b, v);
            assert_eq!(varint_len(v), b.len() as u64, "{v}");
        }
    }

    #[test]
    fn command_integers() {
        assert_eq!(command(CMD_MOVE_TO, 1), 9);
        assert_eq!(command(CMD_LINE_TO, 3), 26);
        assert_eq!(command(CMD_CLOSE_PATH, 1), 15);
    }

    #[test]
    fn square_encodes_to_the_spec_stream() {
        // The MVT 2.1 spec's example polygon: (3,6) (8,12) (20,34), then a
        // square, clockwise on screen (positive surveyor's area in y-down).
        let sq = TileGeometry::Polygons(vec![vec![(0, 0), (10, 0), (10, 10), (0, 10)]]);
        let (t, cmds) = encode_geometry(&sq).unwrap();
        assert_eq!(t, GeomType::Polygon);
        assert_eq!(cmds, vec![9, 0, 0, 26, 20, 0, 0, 20, 19, 0, 15]);
        let tri = TileGeometry::Polygons(vec![vec![(3, 6), (8, 12), (20, 34)]]);
        assert_eq!(
            encode_geometry(&tri).unwrap().1,
            vec![9, 6, 12, 18, 10, 12, 24, 44, 15]
        );
    }

    #[test]
    fn cursor_carries_across_rings_and_degenerate_rings_vanish() {
        let g = TileGeometry::Polygons(vec![
            vec![(0, 0), (10, 0), (10, 10), (0, 10)],
            vec![(5, 5), (5, 5), (6, 5)], // collapsed: fewer than 3 distinct points
            vec![(2, 2), (2, 8), (8, 8), (8, 2)],
        ]);
        let (_, cmds) = encode_geometry(&g).unwrap();
        let rings = decode_commands(&cmds).unwrap();
        assert_eq!(rings.len(), 2);
        assert_eq!(rings[1].0, vec![(2, 2), (2, 8), (8, 8), (8, 2)]);
        assert!(rings.iter().all(|(_, closed)| *closed));
        assert!(
            encode_geometry(&TileGeometry::Polygons(vec![vec![(1, 1), (2, 2), (3, 3)]])).is_none()
        );
    }

    #[test]
    fn layer_roundtrip_with_shared_tables() {
        let mut l = LayerBuilder::new("areas", 4096);
        let sq = TileGeometry::Polygons(vec![vec![(0, 0), (10, 0), (10, 10), (0, 10)]]);
        assert!(l.add_feature(
            Some(7),
            Properties::new([
                ("id", Value::String("A-1".into())),
                ("area_m2", Value::Double(12.5))
            ])
            .as_ref(),
            &sq
        ));
        assert!(l.add_feature(
            Some(8),
            Properties::new([
                ("id", Value::String("A-2".into())),
                ("area_m2", Value::Double(12.5)),
                ("year", Value::Uint(2019)),
                ("d", Value::Int(-3)),
                ("b", Value::Bool(true))
            ])
            .as_ref(),
            &TileGeometry::Point(-5, 4100)
        ));
        let mut tile = Vec::new();
        l.write_to(&mut tile);
        let layers = decode_tile(&tile).unwrap();
        assert_eq!(layers.len(), 1);
        let d = &layers[0];
        assert_eq!((d.version, d.name.as_str(), d.extent), (2, "areas", 4096));
        assert_eq!(d.features[0].id, Some(7));
        assert_eq!(
            d.features[1].properties[1],
            ("area_m2".into(), Value::Double(12.5))
        );
        assert_eq!(
            d.features[1].properties[2],
            ("year".into(), Value::Uint(2019))
        );
        assert_eq!(d.features[1].properties[3], ("d".into(), Value::Int(-3)));
        assert_eq!(d.features[1].geom_type, 1);
        assert_eq!(
            decode_commands(&d.features[1].commands).unwrap()[0].0,
            vec![(-5, 4100)]
        );
        // 12.5 is stored once.
        let mut d = Vec::new();
        put_value(&mut d, &Value::Double(12.5));
        assert_eq!(l.value_messages().filter(|v| *v == d).count(), 1);
        assert_eq!(d12_5(&layers[0]), 2, "both features carry it");
        fn d12_5(l: &crate::tiles::mvt::DecodedLayer) -> usize {
            l.features
                .iter()
                .filter(|f| f.properties[1] == ("area_m2".into(), Value::Double(12.5)))
                .count()
        }
    }
}
