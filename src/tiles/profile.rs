//! What the tiler is handed: the zooms and tile geometry ([`TileConfig`]),
//! the features ([`Feature`]) and the policy they follow ([`Profile`]):
//! which layers, which of them share borders, which points are drawn as one.
//! A profile is the tiler's only source of layer names and attributes.

use super::mvt::{decode_value, put_bytes, put_value, varint, Value};
use super::tileset::LayerSpec;
use geo::{MultiPolygon, Point};

/// Zooms and tile geometry of a tileset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileConfig {
    pub min_zoom: u8,
    pub max_zoom: u8,
    /// Tile units drawn beyond each edge, so that strokes do not show seams.
    pub buffer: u32,
    /// Tile units per tile side.
    pub extent: u32,
}

impl Default for TileConfig {
    fn default() -> Self {
        TileConfig {
            min_zoom: 0,
            max_zoom: 14,
            buffer: 64,
            extent: 4096,
        }
    }
}

impl TileConfig {
    /// An error unless the zooms are in order and at most 24, and the extent
    /// is not zero.
    pub fn check(&self) -> crate::error::Result<()> {
        if self.min_zoom > self.max_zoom || self.max_zoom > 24 || self.extent == 0 {
            return Err(crate::error::Error::Internal(format!(
                "invalid tile config {self:?}"
            )));
        }
        Ok(())
    }
}

/// A feature's geometry in WGS84 lon/lat.
/// Polygons are borrowed: a copy of every polygon of a large tileset would
/// double its memory.
#[derive(Debug, Clone)]
pub enum FeatureGeometry<'a> {
    Polygons(&'a MultiPolygon<f64>),
    Point(Point<f64>),
}

/// A feature's attributes, in their order, held as one buffer of what the
/// tiles write of them: per attribute, its key and its MVT `Value` message,
/// each a length-delimited field. A large tileset has hundreds of thousands
/// of features: as a list of (key, [`Value`]) pairs their attributes took
/// several times the memory, and each tile copied its new values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Properties(Box<[u8]>);

impl Properties {
    /// The attributes `props`, in this order.
    pub fn new<'k>(props: impl IntoIterator<Item = (&'k str, Value)>) -> Self {
        let mut buf = Vec::new();
        let mut value = Vec::new();
        for (k, v) in props {
            value.clear();
            put_value(&mut value, &v);
            // Field numbers are the buffer's own: 1 a key, 2 its value.
            put_bytes(&mut buf, 1, k.as_bytes());
            put_bytes(&mut buf, 2, &value);
        }
        Properties(buf.into_boxed_slice())
    }

    /// The attributes, borrowed.
    pub fn as_ref(&self) -> Props<'_> {
        Props(&self.0)
    }

    /// The buffer: what [`Props::from_bytes`] reads.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// The value of attribute `key`.
    pub fn get(&self, key: &str) -> Option<Value> {
        self.as_ref().get(key)
    }

    /// The value of attribute `key` when it is a string, borrowed.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.as_ref().get_str(key)
    }

    /// Every attribute, decoded.
    pub fn to_vec(&self) -> Vec<(String, Value)> {
        self.as_ref().to_vec()
    }
}

/// A feature's attributes as [`Properties`] hold them, borrowed: from a
/// `Properties`, or from the file the tiler keeps them in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Props<'b>(&'b [u8]);

impl<'b> Props<'b> {
    /// The attributes of a [`Properties`] buffer ([`Properties::bytes`]).
    pub(crate) fn from_bytes(b: &'b [u8]) -> Self {
        Props(b)
    }

    /// (key, `Value` message) of each attribute, in order.
    pub(crate) fn iter(self) -> impl Iterator<Item = (&'b [u8], &'b [u8])> {
        let b = self.0;
        let mut pos = 0;
        std::iter::from_fn(move || Some((field(b, &mut pos)?, field(b, &mut pos)?)))
    }

    /// The value of attribute `key`.
    pub fn get(self, key: &str) -> Option<Value> {
        let (_, v) = self.iter().find(|(k, _)| *k == key.as_bytes())?;
        decode_value(v).ok()
    }

    /// The value of attribute `key` when it is a string, borrowed.
    pub fn get_str(self, key: &str) -> Option<&'b str> {
        let (_, v) = self.iter().find(|(k, _)| *k == key.as_bytes())?;
        // A string value is field 1 (tag 0x0A), its length, its bytes.
        let mut pos = 0;
        (varint(v, &mut pos).ok()? == 0x0A).then_some(())?;
        let n = usize::try_from(varint(v, &mut pos).ok()?).ok()?;
        std::str::from_utf8(v.get(pos..pos.checked_add(n)?)?).ok()
    }

    /// Every attribute, decoded.
    pub fn to_vec(self) -> Vec<(String, Value)> {
        self.iter()
            .filter_map(|(k, v)| Some((String::from_utf8(k.to_vec()).ok()?, decode_value(v).ok()?)))
            .collect()
    }
}

/// The bytes of the length-delimited field at `pos` of `b` (its tag, its
/// length, its bytes), `pos` moved past it.
fn field<'a>(b: &'a [u8], pos: &mut usize) -> Option<&'a [u8]> {
    varint(b, pos).ok()?;
    let n = usize::try_from(varint(b, pos).ok()?).ok()?;
    let s = b.get(*pos..pos.checked_add(n)?)?;
    *pos += n;
    Some(s)
}

/// A feature as a profile hands it to the tiler.
#[derive(Debug, Clone)]
pub struct Feature<'a> {
    /// Index into [`Profile::layers`].
    pub layer: usize,
    /// The MVT feature id.
    pub id: u64,
    /// The feature's place in its layer, in every tile: ascending.
    pub sort_key: u64,
    pub properties: Properties,
    pub geometry: FeatureGeometry<'a>,
}

/// A feature as the tiler hands it back to its [`Profile`], its geometry
/// prepared: its layer, id and attributes.
#[derive(Debug, Clone, Copy)]
pub struct Attrs<'b> {
    /// Index into [`Profile::layers`].
    pub layer: usize,
    /// The MVT feature id.
    pub id: u64,
    pub properties: Props<'b>,
}

/// The point a profile draws for the points of one cell ([`Profile::cluster`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// Index into the members of the one whose position and layer it takes.
    pub lead: usize,
    /// Its attributes (it has no id).
    pub properties: Properties,
}

/// The policy the tiler follows: which layers, which features share borders,
/// which points are drawn as one (planetiler's `Profile` and `postProcess`).
pub trait Profile: Sync {
    /// The layers, in the order they are written in a tile.
    fn layers(&self) -> &[LayerSpec];

    /// Whether polygons of layers `a` and `b` share borders: a vertex of one
    /// lying on an edge of the other is added to that edge, so that the border
    /// rounds to the same points in both (`tiler::JUNCTION_EPS`). Layers whose
    /// features may overlap each other say no.
    fn shares_borders(&self, a: usize, b: usize) -> bool {
        let _ = (a, b);
        true
    }

    /// Side of the square cells, in tile units, within which the points of
    /// `layer` are drawn as one ([`Profile::cluster`]); `None` draws every
    /// point. A divisor of the extent, so that cells never straddle tiles and
    /// a tile's buffer holds whole cells of its neighbours.
    fn point_cell(&self, layer: usize) -> Option<i32> {
        let _ = layer;
        None
    }

    /// The deepest zoom whose tiles carry `layer` (`None`: every zoom of
    /// the tileset), as planetiler's per-feature max zoom: a layer of
    /// context wanted at low zooms only, which a map overzooms past it.
    fn max_zoom(&self, layer: usize) -> Option<u8> {
        let _ = layer;
        None
    }

    /// Whether a feature counts in the tileset's bounds (where a map opens);
    /// when none does, every feature counts.
    fn in_bounds(&self, feature: &Attrs) -> bool {
        let _ = feature;
        true
    }

    /// The one point standing for `members`, two or more points of one cell
    /// of one layer in sort-key order; the same members give the same point
    /// in every tile whose buffer holds the cell.
    fn cluster(&self, members: &[Attrs]) -> Cluster;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_keep_their_order_and_values() {
        let all = [
            ("id", Value::String("HZ-1".into())),
            ("empty", Value::String(String::new())),
            ("area_m2", Value::Uint(1_259)),
            ("big", Value::Uint(u64::MAX)),
            ("d", Value::Double(-0.5)),
            ("i", Value::Int(-3)),
            ("b", Value::Bool(true)),
            ("long", Value::String("x".repeat(300))),
        ];
        let p = Properties::new(all.clone());
        let back = p.to_vec();
        assert_eq!(back.len(), all.len());
        for ((k, v), (bk, bv)) in all.iter().zip(&back) {
            assert_eq!((*k, v), (bk.as_str(), bv));
            assert_eq!(p.get(k).as_ref(), Some(v));
        }
        assert_eq!(p.get_str("id"), Some("HZ-1"));
        assert_eq!(p.get_str("empty"), Some(""));
        assert_eq!(p.get_str("long").map(str::len), Some(300));
        assert_eq!(p.get_str("area_m2"), None, "not a string");
        assert_eq!(p.get("absent"), None);
        assert_eq!(Properties::new([]).as_ref().iter().count(), 0);
    }
}
