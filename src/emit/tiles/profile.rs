//! The tile profile: which layers the tiles have, which records go into them
//! with which attributes and ids, and at which zooms — policy, kept apart from
//! the machinery (clipping, encoding, archiving) that the tiler owns.
//!
//! | layer | one feature per | id | attributes |
//! |---|---|---|---|
//! | `hazards` | hazard with land remaining (its remaining part) | index + 1 in `Reconciled::hazards`, as in hazards.geojson | id, classification, status, contamination (comma-joined), region, area_m2, remaining_m2 |
//! | `releases` | attributed release piece | piece index + 1, as in releases.geojson | id, outcome, year (absent when undated), area_m2 |
//! | `hazard_points` | hazard with land remaining (an interior point of its remaining part) | as `hazards` | id, classification, remaining_m2 |
//!
//! Areas (`area_m2`, `remaining_m2`) are whole square metres (unsigned
//! integers), as the map shows them; the exact figures are in the GeoJSON.
//!
//! The points exist so that no hazard vanishes at zooms where its polygon is
//! smaller than a pixel and collapses when quantised. Points that fall in the
//! same [`POINT_CELL`]-unit cell of a tile (two pixels: indistinguishable on
//! screen) are drawn as one cluster point instead ([`cluster_properties`]):
//! `count` hazards, their summed `remaining_m2`, the first classification of
//! CHA, SHA, other among them, no `id`. Without it the low-zoom tiles of a
//! programme with 100,000 hazards carry every point (1.3 MB each).

use crate::measure::Accounting;
use crate::reconcile::Reconciled;
use crate::tiles::mvt::Value;
use chrono::Datelike;
use geo::{InteriorPoint, MultiPolygon, Point};
use rayon::prelude::*;

/// Zooms and tile geometry of a build.
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

/// Descriptive metadata of the tileset (PMTiles metadata and TileJSON).
#[derive(Debug, Clone, Default)]
pub struct TileMeta {
    pub name: Option<String>,
    pub attribution: Option<String>,
}

impl TileMeta {
    /// The tileset's metadata from the build's config.
    pub fn of(cfg: &crate::emit::EmitConfig) -> Self {
        TileMeta {
            name: cfg.name.clone(),
            attribution: cfg.attribution.clone(),
        }
    }
}

/// Attribute types as TileJSON `vector_layers.fields` names them.
#[derive(Debug, Clone, Copy)]
pub enum FieldType {
    String,
    Number,
}

impl FieldType {
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::String => "String",
            FieldType::Number => "Number",
        }
    }
}

/// One layer of the tiles.
#[derive(Debug, Clone, Copy)]
pub struct LayerSpec {
    pub id: &'static str,
    pub description: &'static str,
    pub fields: &'static [(&'static str, FieldType)],
}

pub const HAZARDS: usize = 0;
pub const RELEASES: usize = 1;
pub const HAZARD_POINTS: usize = 2;

/// The layers, in the order they are written in a tile (points drawn last).
pub const LAYERS: [LayerSpec; 3] = [
    LayerSpec {
        id: "hazards",
        description: "Remaining part of each hazardous area (land not released)",
        fields: &[
            ("id", FieldType::String),
            ("classification", FieldType::String),
            ("status", FieldType::String),
            ("contamination", FieldType::String),
            ("region", FieldType::String),
            ("area_m2", FieldType::Number),
            ("remaining_m2", FieldType::Number),
        ],
    },
    LayerSpec {
        id: "releases",
        description: "Released land, one feature per attributed release piece",
        fields: &[
            ("id", FieldType::String),
            ("outcome", FieldType::String),
            ("year", FieldType::Number),
            ("area_m2", FieldType::Number),
        ],
    },
    LayerSpec {
        id: "hazard_points",
        description: "One point per hazard with land remaining, inside its remaining part; hazards within two pixels of each other share one point with their count",
        fields: &[
            ("id", FieldType::String),
            ("classification", FieldType::String),
            ("remaining_m2", FieldType::Number),
            ("count", FieldType::Number),
        ],
    },
];

/// Side of the square cells, in tile units, within which hazard points are
/// drawn as one cluster (a divisor of the extent, so that cells never straddle
/// tiles and a tile's buffer holds whole cells of its neighbours).
pub const POINT_CELL: i32 = 16;

/// Attributes of the cluster point standing for the hazard points `members`
/// (two or more): `classification` (CHA before SHA before other),
/// `remaining_m2` (their sum), `count`.
pub fn cluster_properties(members: &[&SourceFeature]) -> Vec<(&'static str, Value)> {
    let rank = |c: &str| ["CHA", "SHA"].iter().position(|x| *x == c).unwrap_or(2);
    let classification = members
        .iter()
        .filter_map(|f| {
            f.properties.iter().find_map(|(k, v)| match (*k, v) {
                ("classification", Value::String(c)) => Some(c.as_str()),
                _ => None,
            })
        })
        .min_by_key(|c| rank(c))
        .unwrap_or("other")
        .to_string();
    let remaining: u64 = members.iter().map(|f| remaining_m2(f).round() as u64).sum();
    vec![
        ("classification", Value::String(classification)),
        ("remaining_m2", Value::Uint(remaining)),
        ("count", Value::Uint(members.len() as u64)),
    ]
}

/// The remaining area a hazard point carries (0 for other features).
pub fn remaining_m2(f: &SourceFeature) -> f64 {
    f.properties
        .iter()
        .find_map(|(k, v)| match (k, v) {
            (&"remaining_m2", Value::Uint(x)) => Some(*x as f64),
            (&"remaining_m2", Value::Double(x)) => Some(*x),
            _ => None,
        })
        .unwrap_or(0.0)
}

/// An area for the tiles: whole square metres, as the map shows them. A
/// varint of a few bytes where a double takes nine, in every feature of every
/// tile; the exact figures are in the GeoJSON and summary.json.
fn whole_m2(m2: f64) -> Value {
    Value::Uint(m2.max(0.0).round() as u64)
}

/// A feature's geometry in WGS84 lon/lat.
/// Polygons are borrowed from the accounting: a copy of every remaining part
/// and release piece would double the memory of a large build.
#[derive(Debug, Clone)]
pub enum SourceGeometry<'a> {
    Polygons(&'a MultiPolygon<f64>),
    Point(Point<f64>),
}

/// A record as the profile wants it in the tiles.
#[derive(Debug, Clone)]
pub struct SourceFeature<'a> {
    /// Index into [`LAYERS`].
    pub layer: usize,
    pub id: u64,
    pub properties: Vec<(&'static str, Value)>,
    pub geometry: SourceGeometry<'a>,
}

/// Every feature of the tiles, in layer order, then by id.
pub fn features<'a>(rec: &Reconciled, acc: &'a Accounting) -> Vec<SourceFeature<'a>> {
    // Per hazard in parallel (the interior point is most of the work); rayon's
    // collect and unzip keep the order, so the thread count changes nothing.
    let (mut polys, points): (Vec<SourceFeature>, Vec<Option<SourceFeature>>) = rec
        .hazards
        .par_iter()
        .zip(acc.hazards.par_iter())
        .enumerate()
        .filter(|(_, (_, r))| r.remaining_m2 > 0.0 && !r.remaining.0.is_empty())
        .map(|(i, (h, r))| {
            let id = i as u64 + 1;
            let mut props = vec![
                ("id", Value::String(h.id.clone())),
                (
                    "classification",
                    Value::String(h.classification.as_str().into()),
                ),
                ("status", Value::String(h.status.as_str().into())),
                ("contamination", Value::String(h.contamination.join(","))),
            ];
            if let Some(region) = &h.region {
                props.push(("region", Value::String(region.clone())));
            }
            props.push(("area_m2", whole_m2(r.area_m2)));
            props.push(("remaining_m2", whole_m2(r.remaining_m2)));
            let polygon = SourceFeature {
                layer: HAZARDS,
                id,
                properties: props,
                geometry: SourceGeometry::Polygons(&r.remaining),
            };
            let point = interior_point(&r.remaining).map(|p| SourceFeature {
                layer: HAZARD_POINTS,
                id,
                properties: vec![
                    ("id", Value::String(h.id.clone())),
                    (
                        "classification",
                        Value::String(h.classification.as_str().into()),
                    ),
                    ("remaining_m2", whole_m2(r.remaining_m2)),
                ],
                geometry: SourceGeometry::Point(p),
            });
            (polygon, point)
        })
        .unzip();
    polys.par_extend(
        acc.pieces
            .par_iter()
            .enumerate()
            .filter(|(_, piece)| !piece.geometry.0.is_empty())
            .map(|(k, piece)| {
                let r = &rec.releases[piece.release];
                let mut props = vec![
                    ("id", Value::String(r.id.clone())),
                    ("outcome", Value::String(r.outcome.as_str().into())),
                ];
                if let Some(d) = r.date {
                    props.push(("year", Value::Uint(d.year().max(0) as u64)));
                }
                props.push(("area_m2", whole_m2(piece.area_m2)));
                SourceFeature {
                    layer: RELEASES,
                    id: k as u64 + 1,
                    properties: props,
                    geometry: SourceGeometry::Polygons(&piece.geometry),
                }
            }),
    );
    polys.par_sort_by_key(|f| (f.layer, f.id));
    polys.extend(points.into_iter().flatten());
    polys
}

/// A point inside the largest part of `mp` (on it, for degenerate parts): its
/// centroid when that is inside.
fn interior_point(mp: &MultiPolygon<f64>) -> Option<Point<f64>> {
    // The largest part, so the point sits where the hazard is most visible.
    let largest = mp.0.iter().max_by(|a, b| {
        use geo::Area;
        a.unsigned_area().total_cmp(&b.unsigned_area())
    })?;
    // The centroid when it lies inside (most hazards: a few times cheaper than
    // the interior-point search), else a point found inside.
    use geo::{Centroid, Contains};
    match largest.centroid() {
        Some(c) if largest.contains(&c) => Some(c),
        _ => largest.interior_point(),
    }
}
