//! What the tiler is handed: the zooms and tile geometry ([`TileConfig`]),
//! the features ([`Feature`]) and the policy they follow ([`Profile`]):
//! which layers, which of them share borders, which points are drawn as one.
//! A profile is the tiler's only source of layer names and attributes.

use super::mvt::Value;
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

/// A feature as a profile hands it to the tiler.
#[derive(Debug, Clone)]
pub struct Feature<'a> {
    /// Index into [`Profile::layers`].
    pub layer: usize,
    /// The MVT feature id.
    pub id: u64,
    /// The feature's place in its layer, in every tile: ascending.
    pub sort_key: u64,
    pub properties: Vec<(&'static str, Value)>,
    pub geometry: FeatureGeometry<'a>,
}

/// The point a profile draws for the points of one cell ([`Profile::cluster`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// Index into the members of the one whose position and layer it takes.
    pub lead: usize,
    /// Its attributes (it has no id).
    pub properties: Vec<(&'static str, Value)>,
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
    fn in_bounds(&self, feature: &Feature) -> bool {
        let _ = feature;
        true
    }

    /// The one point standing for `members`, two or more points of one cell
    /// of one layer in sort-key order; the same members give the same point
    /// in every tile whose buffer holds the cell.
    fn cluster(&self, members: &[&Feature]) -> Cluster;
}
