//! A small Mapbox Vector Tile 2.1 encoder and decoder: protobuf varints and
//! zigzag written by hand, layers with shared key/value tables, typed values,
//! feature ids and geometry command streams.
//!
//! Why our own: the `mvt` crate emits invalid command streams (a MoveTo without
//! ClosePath after a collapsed ring, a skipped MoveTo when a ring starts where
//! the previous one ended) and never checks winding; geozero floors
//! coordinates (docs/facts.md). The MVT schema is four small messages, so a
//! hand-written wire format (no prost, no build script, no generated code) is
//! shorter than the glue either crate would need. This module owns the bytes;
//! what goes into a tile (clipping, cleaning, winding) is the tiler's business,
//! and the encoder only refuses what it cannot represent validly.

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

/// `Value` as a hash key: doubles by their bits, so equal values share a slot.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ValueKey<'a> {
    String(&'a str),
    Double(u64),
    Int(i64),
    Uint(u64),
    Bool(bool),
}

impl<'a> ValueKey<'a> {
    fn from_ref(v: &'a Value) -> Self {
        match v {
            Value::String(s) => ValueKey::String(s),
            Value::Double(d) => ValueKey::Double(d.to_bits()),
            Value::Int(i) => ValueKey::Int(*i),
            Value::Uint(u) => ValueKey::Uint(*u),
            Value::Bool(b) => ValueKey::Bool(*b),
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

pub fn zigzag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

pub fn unzigzag(n: u64) -> i64 {
    ((n >> 1) as i64) ^ -((n & 1) as i64)
}

pub fn put_varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

fn put_tag(buf: &mut Vec<u8>, field: u64, wire: u64) {
    put_varint(buf, (field << 3) | wire);
}

fn put_bytes(buf: &mut Vec<u8>, field: u64, bytes: &[u8]) {
    put_tag(buf, field, LEN);
    put_varint(buf, bytes.len() as u64);
    buf.extend_from_slice(bytes);
}

fn put_packed(buf: &mut Vec<u8>, field: u64, values: &[u32]) {
    let mut inner = Vec::with_capacity(values.len() * 2);
    for &v in values {
        put_varint(&mut inner, v as u64);
    }
    put_bytes(buf, field, &inner);
}

/// A command integer: id in the low 3 bits, count above.
pub fn command(id: u32, count: u32) -> u32 {
    (id & 0x7) | (count << 3)
}

/// Signed surveyor's (shoelace) area of a ring, in raw tile coordinates, doubled.
/// Positive = exterior in MVT (clockwise on screen, since y points down).
pub fn ring_area2(ring: &[(i32, i32)]) -> i64 {
    let n = ring.len();
    let mut s: i64 = 0;
    for i in 0..n {
        let (x0, y0) = ring[i];
        let (x1, y1) = ring[(i + 1) % n];
        s += x0 as i64 * y1 as i64 - x1 as i64 * y0 as i64;
    }
    s
}

/// Encode a geometry as an MVT command stream. Polygon rings with fewer than
/// three distinct points or zero area are refused (they would make the feature
/// invalid); `None` when nothing valid is left.
pub fn encode_geometry(g: &TileGeometry) -> Option<(GeomType, Vec<u32>)> {
    match g {
        TileGeometry::Point(x, y) => Some((
            GeomType::Point,
            vec![
                command(CMD_MOVE_TO, 1),
                zigzag(*x as i64) as u32,
                zigzag(*y as i64) as u32,
            ],
        )),
        TileGeometry::Polygons(rings) => {
            let mut out = Vec::new();
            let (mut cx, mut cy) = (0i64, 0i64);
            for ring in rings {
                let mut pts: Vec<(i32, i32)> = Vec::with_capacity(ring.len());
                for &p in ring {
                    if pts.last() != Some(&p) {
                        pts.push(p);
                    }
                }
                while pts.len() > 1 && pts.first() == pts.last() {
                    pts.pop();
                }
                if pts.len() < 3 || ring_area2(&pts) == 0 {
                    continue;
                }
                let mut delta = |(x, y): (i32, i32), out: &mut Vec<u32>| {
                    out.push(zigzag(x as i64 - cx) as u32);
                    out.push(zigzag(y as i64 - cy) as u32);
                    cx = x as i64;
                    cy = y as i64;
                };
                out.push(command(CMD_MOVE_TO, 1));
                delta(pts[0], &mut out);
                out.push(command(CMD_LINE_TO, (pts.len() - 1) as u32));
                for &p in &pts[1..] {
                    delta(p, &mut out);
                }
                out.push(command(CMD_CLOSE_PATH, 1));
            }
            (!out.is_empty()).then_some((GeomType::Polygon, out))
        }
    }
}

/// One layer being filled: features are encoded as they come, keys and values
/// go into tables shared by the layer's features, in order of first use.
///
/// Built once per layer per tile, hundreds of thousands of times a build: the
/// value table is looked up by hash without copying the value, keys (a layer
/// has a handful) by a linear scan, and the encoded features go into one
/// buffer.
pub struct LayerBuilder {
    name: String,
    extent: u32,
    keys: Vec<String>,
    values: Vec<Value>,
    value_index: hashbrown::HashTable<u32>,
    hasher: hashbrown::DefaultHashBuilder,
    /// The features, each already framed as a `Layer.features` field.
    features: Vec<u8>,
    scratch: Vec<u8>,
    tags: Vec<u32>,
}

impl LayerBuilder {
    pub fn new(name: &str, extent: u32) -> Self {
        LayerBuilder {
            name: name.to_string(),
            extent,
            keys: Vec::new(),
            values: Vec::new(),
            value_index: hashbrown::HashTable::new(),
            hasher: hashbrown::DefaultHashBuilder::default(),
            features: Vec::new(),
            scratch: Vec::new(),
            tags: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// The index of `v` in the value table, added on first use.
    fn value_slot(&mut self, v: &Value) -> u32 {
        let hash = Self::hash_with(&self.hasher, v);
        let values = &self.values;
        let same = |&i: &u32| ValueKey::from_ref(&values[i as usize]) == ValueKey::from_ref(v);
        if let Some(&i) = self.value_index.find(hash, same) {
            return i;
        }
        let i = self.values.len() as u32;
        self.values.push(v.clone());
        let (values, hasher) = (&self.values, &self.hasher);
        self.value_index
            .insert_unique(hash, i, |&j| Self::hash_with(hasher, &values[j as usize]));
        i
    }

    fn hash_with(hasher: &hashbrown::DefaultHashBuilder, v: &Value) -> u64 {
        use std::hash::{BuildHasher, Hash, Hasher};
        let mut h = hasher.build_hasher();
        match v {
            Value::String(s) => (0u8, s.as_str()).hash(&mut h),
            Value::Double(d) => (1u8, d.to_bits()).hash(&mut h),
            Value::Int(i) => (2u8, *i).hash(&mut h),
            Value::Uint(u) => (3u8, *u).hash(&mut h),
            Value::Bool(b) => (4u8, *b).hash(&mut h),
        }
        h.finish()
    }

    /// Add a feature; returns false (and adds nothing) when its geometry has
    /// nothing valid left to encode.
    pub fn add_feature(
        &mut self,
        id: Option<u64>,
        properties: &[(&str, Value)],
        geometry: &TileGeometry,
    ) -> bool {
        let Some((gtype, cmds)) = encode_geometry(geometry) else {
            return false;
        };
        let mut tags = std::mem::take(&mut self.tags);
        tags.clear();
        for (k, v) in properties {
            let ki = match self.keys.iter().position(|x| x == k) {
                Some(i) => i as u32,
                None => {
                    self.keys.push(k.to_string());
                    (self.keys.len() - 1) as u32
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
        true
    }

    /// Append this layer (a `Tile.layers` entry) to `tile`.
    pub fn write_to(&self, tile: &mut Vec<u8>) {
        let mut l = Vec::new();
        put_tag(&mut l, 15, VARINT);
        put_varint(&mut l, 2);
        put_bytes(&mut l, 1, self.name.as_bytes());
        l.extend_from_slice(&self.features);
        for k in &self.keys {
            put_bytes(&mut l, 3, k.as_bytes());
        }
        for v in &self.values {
            let mut vb = Vec::new();
            match v {
                Value::String(s) => put_bytes(&mut vb, 1, s.as_bytes()),
                Value::Double(d) => {
                    put_tag(&mut vb, 3, FIXED64);
                    vb.extend_from_slice(&d.to_le_bytes());
                }
                Value::Int(i) => {
                    put_tag(&mut vb, 6, VARINT);
                    put_varint(&mut vb, zigzag(*i));
                }
                Value::Uint(u) => {
                    put_tag(&mut vb, 5, VARINT);
                    put_varint(&mut vb, *u);
                }
                Value::Bool(b) => {
                    put_tag(&mut vb, 7, VARINT);
                    put_varint(&mut vb, *b as u64);
                }
            }
            put_bytes(&mut l, 4, &vb);
        }
        put_tag(&mut l, 5, VARINT);
        put_varint(&mut l, self.extent as u64);
        put_bytes(tile, 3, &l);
    }
}

// ---------------------------------------------------------------- decoding

/// A decoded feature; `commands` is the raw stream, for checks that must not
/// trust a decoder's reinterpretation (winding).
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedFeature {
    pub id: Option<u64>,
    pub geom_type: u32,
    pub properties: Vec<(String, Value)>,
    pub commands: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DecodedLayer {
    pub version: u32,
    pub name: String,
    pub extent: u32,
    pub features: Vec<DecodedFeature>,
}

/// Why bytes are not a tile.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("truncated protobuf at byte {0}")]
    Truncated(usize),
    #[error("unsupported wire type {0}")]
    WireType(u64),
    #[error("{0}")]
    Invalid(String),
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    fn done(&self) -> bool {
        self.pos >= self.buf.len()
    }

    fn varint(&mut self) -> Result<u64, DecodeError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self
                .buf
                .get(self.pos)
                .ok_or(DecodeError::Truncated(self.pos))?;
            self.pos += 1;
            v |= ((b & 0x7f) as u64) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err(DecodeError::Invalid("varint longer than 10 bytes".into()))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or(DecodeError::Truncated(self.pos))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        let n = self.varint()? as usize;
        self.take(n)
    }

    /// (field, wire type)
    fn tag(&mut self) -> Result<(u64, u64), DecodeError> {
        let t = self.varint()?;
        Ok((t >> 3, t & 7))
    }

    fn skip(&mut self, wire: u64) -> Result<(), DecodeError> {
        match wire {
            VARINT => self.varint().map(|_| ()),
            FIXED64 => self.take(8).map(|_| ()),
            LEN => self.bytes().map(|_| ()),
            FIXED32 => self.take(4).map(|_| ()),
            w => Err(DecodeError::WireType(w)),
        }
    }

    fn packed(&mut self) -> Result<Vec<u32>, DecodeError> {
        let mut r = Reader::new(self.bytes()?);
        let mut out = Vec::new();
        while !r.done() {
            out.push(r.varint()? as u32);
        }
        Ok(out)
    }
}

fn utf8(b: &[u8]) -> Result<String, DecodeError> {
    String::from_utf8(b.to_vec()).map_err(|e| DecodeError::Invalid(e.to_string()))
}

fn decode_value(b: &[u8]) -> Result<Value, DecodeError> {
    let mut r = Reader::new(b);
    let mut v = None;
    while !r.done() {
        let (f, w) = r.tag()?;
        v = Some(match (f, w) {
            (1, LEN) => Value::String(utf8(r.bytes()?)?),
            (2, FIXED32) => {
                Value::Double(f32::from_le_bytes(r.take(4)?.try_into().expect("4 bytes")) as f64)
            }
            (3, FIXED64) => {
                Value::Double(f64::from_le_bytes(r.take(8)?.try_into().expect("8 bytes")))
            }
            (4, VARINT) => Value::Int(r.varint()? as i64),
            (5, VARINT) => Value::Uint(r.varint()?),
            (6, VARINT) => Value::Int(unzigzag(r.varint()?)),
            (7, VARINT) => Value::Bool(r.varint()? != 0),
            (_, w) => {
                r.skip(w)?;
                continue;
            }
        });
    }
    v.ok_or_else(|| DecodeError::Invalid("empty value".into()))
}

/// Decode an (uncompressed) tile.
pub fn decode_tile(buf: &[u8]) -> Result<Vec<DecodedLayer>, DecodeError> {
    let mut r = Reader::new(buf);
    let mut layers = Vec::new();
    while !r.done() {
        let (f, w) = r.tag()?;
        if f == 3 && w == LEN {
            layers.push(decode_layer(r.bytes()?)?);
        } else {
            r.skip(w)?;
        }
    }
    Ok(layers)
}

fn decode_layer(b: &[u8]) -> Result<DecodedLayer, DecodeError> {
    let mut r = Reader::new(b);
    let (mut version, mut name, mut extent) = (1u32, String::new(), 4096u32);
    let (mut keys, mut values, mut raw) = (Vec::new(), Vec::new(), Vec::new());
    while !r.done() {
        match r.tag()? {
            (15, VARINT) => version = r.varint()? as u32,
            (1, LEN) => name = utf8(r.bytes()?)?,
            (2, LEN) => raw.push(r.bytes()?),
            (3, LEN) => keys.push(utf8(r.bytes()?)?),
            (4, LEN) => values.push(decode_value(r.bytes()?)?),
            (5, VARINT) => extent = r.varint()? as u32,
            (_, w) => r.skip(w)?,
        }
    }
    let mut features = Vec::with_capacity(raw.len());
    for fb in raw {
        let mut r = Reader::new(fb);
        let mut feat = DecodedFeature {
            id: None,
            geom_type: 0,
            properties: Vec::new(),
            commands: Vec::new(),
        };
        while !r.done() {
            match r.tag()? {
                (1, VARINT) => feat.id = Some(r.varint()?),
                (2, LEN) => {
                    let tags = r.packed()?;
                    if tags.len() % 2 != 0 {
                        return Err(DecodeError::Invalid("odd number of tags".into()));
                    }
                    for kv in tags.chunks(2) {
                        let k = keys
                            .get(kv[0] as usize)
                            .ok_or_else(|| DecodeError::Invalid("key index out of range".into()))?;
                        let v = values.get(kv[1] as usize).ok_or_else(|| {
                            DecodeError::Invalid("value index out of range".into())
                        })?;
                        feat.properties.push((k.clone(), v.clone()));
                    }
                }
                (3, VARINT) => feat.geom_type = r.varint()? as u32,
                (4, LEN) => feat.commands = r.packed()?,
                (_, w) => r.skip(w)?,
            }
        }
        features.push(feat);
    }
    Ok(DecodedLayer {
        version,
        name,
        extent,
        features,
    })
}

/// Interpret a command stream: the point sequences of each MoveTo, with a
/// flag telling whether it ended with ClosePath. Strict: every polygon ring
/// must be MoveTo(1), LineTo(n≥2), ClosePath(1).
pub fn decode_commands(cmds: &[u32]) -> Result<Vec<(Ring, bool)>, DecodeError> {
    let mut out: Vec<(Ring, bool)> = Vec::new();
    let (mut cx, mut cy) = (0i64, 0i64);
    let mut i = 0;
    while i < cmds.len() {
        let (id, count) = (cmds[i] & 7, cmds[i] >> 3);
        i += 1;
        match id {
            CMD_MOVE_TO | CMD_LINE_TO => {
                if id == CMD_LINE_TO && out.last().is_none_or(|(_, closed)| *closed) {
                    return Err(DecodeError::Invalid("LineTo without an open MoveTo".into()));
                }
                for _ in 0..count {
                    let (dx, dy) = match (cmds.get(i), cmds.get(i + 1)) {
                        (Some(a), Some(b)) => (unzigzag(*a as u64), unzigzag(*b as u64)),
                        _ => {
                            return Err(DecodeError::Invalid("command parameters truncated".into()))
                        }
                    };
                    i += 2;
                    cx += dx;
                    cy += dy;
                    let p = (cx as i32, cy as i32);
                    if id == CMD_MOVE_TO {
                        out.push((vec![p], false));
                    } else {
                        out.last_mut().expect("checked above").0.push(p);
                    }
                }
            }
            CMD_CLOSE_PATH => {
                match out.last_mut() {
                    Some((_, closed)) if !*closed => *closed = true,
                    _ => {
                        return Err(DecodeError::Invalid(
                            "ClosePath without an open path".into(),
                        ))
                    }
                }
                if count != 1 {
                    return Err(DecodeError::Invalid("ClosePath count must be 1".into()));
                }
            }
            other => return Err(DecodeError::Invalid(format!("unknown command {other}"))),
        }
    }
    Ok(out)
}

/// A polygon feature's rings grouped into polygons (exterior first, then its
/// holes), by the MVT rule: positive area opens a polygon, negative rings are
/// holes of the last exterior. Errors on an open ring or a hole before any
/// exterior.
pub fn polygons(cmds: &[u32]) -> Result<Vec<TilePolygon>, DecodeError> {
    let mut polys: Vec<TilePolygon> = Vec::new();
    for (ring, closed) in decode_commands(cmds)? {
        if !closed {
            return Err(DecodeError::Invalid(
                "polygon ring without ClosePath".into(),
            ));
        }
        let a = ring_area2(&ring);
        if a > 0 {
            polys.push(vec![ring]);
        } else if a < 0 {
            polys
                .last_mut()
                .ok_or_else(|| {
                    DecodeError::Invalid(
                        "first ring of a polygon is not an exterior (positive area)".into(),
                    )
                })?
                .push(ring);
        } else {
            return Err(DecodeError::Invalid("zero-area ring".into()));
        }
    }
    Ok(polys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_and_zigzag() {
        let mut b = Vec::new();
        put_varint(&mut b, 300);
        assert_eq!(b, [0xac, 0x02]);
        b.clear();
        put_varint(&mut b, u64::MAX);
        assert_eq!(b.len(), 10);
        assert_eq!(Reader::new(&b).varint().unwrap(), u64::MAX);
        for (n, z) in [
            (0i64, 0u64),
            (-1, 1),
            (1, 2),
            (-2, 3),
            (2147483647, 4294967294),
            (-2147483648, 4294967295),
        ] {
            assert_eq!(zigzag(n), z);
            assert_eq!(unzigzag(z), n);
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
    fn winding_read_from_the_raw_stream() {
        let g = TileGeometry::Polygons(vec![
            vec![(0, 0), (10, 0), (10, 10), (0, 10)],
            vec![(2, 2), (2, 8), (8, 8), (8, 2)],
        ]);
        let (_, cmds) = encode_geometry(&g).unwrap();
        let rings = decode_commands(&cmds).unwrap();
        assert!(
            ring_area2(&rings[0].0) > 0,
            "exterior must have positive area in tile coordinates"
        );
        assert!(ring_area2(&rings[1].0) < 0, "hole must have negative area");
        assert_eq!(polygons(&cmds).unwrap().len(), 1);
    }

    #[test]
    fn layer_roundtrip_with_shared_tables() {
        let mut l = LayerBuilder::new("hazards", 4096);
        let sq = TileGeometry::Polygons(vec![vec![(0, 0), (10, 0), (10, 10), (0, 10)]]);
        assert!(l.add_feature(
            Some(7),
            &[
                ("id", Value::String("HZ-1".into())),
                ("area_m2", Value::Double(12.5))
            ],
            &sq
        ));
        assert!(l.add_feature(
            Some(8),
            &[
                ("id", Value::String("HZ-2".into())),
                ("area_m2", Value::Double(12.5)),
                ("year", Value::Uint(2019)),
                ("d", Value::Int(-3)),
                ("b", Value::Bool(true))
            ],
            &TileGeometry::Point(-5, 4100)
        ));
        let mut tile = Vec::new();
        l.write_to(&mut tile);
        let layers = decode_tile(&tile).unwrap();
        assert_eq!(layers.len(), 1);
        let d = &layers[0];
        assert_eq!((d.version, d.name.as_str(), d.extent), (2, "hazards", 4096));
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
        assert_eq!(
            l.values
                .iter()
                .filter(|v| **v == Value::Double(12.5))
                .count(),
            1
        );
    }
}
