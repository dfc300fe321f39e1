//! Reading a tile back (MVT 2.1 "4. Internal Structure"): layers, features,
//! their tables resolved, and command streams checked strictly (MVT "4.3
//! Geometry Encoding"). It also owns the one protobuf varint reader
//! ([`varint`]), which the PMTiles directories use as well.

use super::{
    Ring, TilePolygon, Value, CMD_CLOSE_PATH, CMD_LINE_TO, CMD_MOVE_TO, FIXED32, FIXED64, LEN,
    VARINT,
};
use crate::geometry::ring_area2;

pub(crate) fn unzigzag(n: u64) -> i64 {
    (n >> 1).cast_signed() ^ -(n & 1).cast_signed()
}

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

/// The protobuf base-128 varint at `*pos` in `buf`, moving `*pos` past it:
/// the one varint reader of the tiles (MVT messages and PMTiles directories).
/// `Truncated` carries the position of the first missing byte.
///
/// One byte (a value under 128) is read inline: the tags and lengths of a
/// feature's [`crate::tiles::Properties`], which the tiler reads for every
/// feature of every tile, are all such.
#[inline]
pub(crate) fn varint(buf: &[u8], pos: &mut usize) -> Result<u64, DecodeError> {
    match buf.get(*pos) {
        Some(&b) if b < 0x80 => {
            *pos += 1;
            Ok(u64::from(b))
        }
        _ => varint_long(buf, pos),
    }
}

/// [`varint`] of more than one byte (or truncated).
fn varint_long(buf: &[u8], pos: &mut usize) -> Result<u64, DecodeError> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *buf.get(*pos).ok_or(DecodeError::Truncated(*pos))?;
        *pos += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Ok(v);
        }
    }
    Err(DecodeError::Invalid("varint longer than 10 bytes".into()))
}

/// A uint32 field read from its varint: protobuf keeps the low 32 bits.
#[allow(clippy::cast_possible_truncation)]
fn uint32(v: u64) -> u32 {
    v as u32
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
        varint(self.buf, &mut self.pos)
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
        let at = self.pos;
        let n = usize::try_from(self.varint()?).map_err(|_| DecodeError::Truncated(at))?;
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
            out.push(uint32(r.varint()?));
        }
        Ok(out)
    }
}

fn utf8(b: &[u8]) -> Result<String, DecodeError> {
    String::from_utf8(b.to_vec()).map_err(|e| DecodeError::Invalid(e.to_string()))
}

pub(crate) fn decode_value(b: &[u8]) -> Result<Value, DecodeError> {
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
            (4, VARINT) => Value::Int(r.varint()?.cast_signed()),
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
            (15, VARINT) => version = uint32(r.varint()?),
            (1, LEN) => name = utf8(r.bytes()?)?,
            (2, LEN) => raw.push(r.bytes()?),
            (3, LEN) => keys.push(utf8(r.bytes()?)?),
            (4, LEN) => values.push(decode_value(r.bytes()?)?),
            (5, VARINT) => extent = uint32(r.varint()?),
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
                (3, VARINT) => feat.geom_type = uint32(r.varint()?),
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
                        (Some(a), Some(b)) => (unzigzag(u64::from(*a)), unzigzag(u64::from(*b))),
                        _ => {
                            return Err(DecodeError::Invalid("command parameters truncated".into()))
                        }
                    };
                    i += 2;
                    cx += dx;
                    cy += dy;
                    let p = match (i32::try_from(cx), i32::try_from(cy)) {
                        (Ok(x), Ok(y)) => (x, y),
                        _ => {
                            return Err(DecodeError::Invalid(
                                "coordinate beyond the 32-bit tile grid".into(),
                            ))
                        }
                    };
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
    use crate::tiles::mvt::encode::{put_varint, zigzag};
    use crate::tiles::mvt::{encode_geometry, TileGeometry};

    #[test]
    fn varint_and_zigzag() {
        let mut b = Vec::new();
        put_varint(&mut b, 300);
        assert_eq!(b, [0xac, 0x02]);
        b.clear();
        put_varint(&mut b, u64::MAX);
        assert_eq!(b.len(), 10);
        assert_eq!(varint(&b, &mut 0).unwrap(), u64::MAX);
        assert!(matches!(
            varint(&b[..3], &mut 0),
            Err(DecodeError::Truncated(3))
        ));
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
}
