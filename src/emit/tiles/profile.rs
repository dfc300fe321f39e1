//! The tile profile: which layers the tiles have, which records go into them
//! with which attributes, ids and order, which layers share borders and how
//! hazard points cluster — policy, handed to the domain-free tiler
//! ([`crate::tiles`]) as a [`Profile`] ([`LandRelease`]) and its features.
//!
//! | layer | one feature per | id | attributes |
//! |---|---|---|---|
//! | `hazards` | hazard with land remaining (its remaining part) | index + 1 in `Reconciled::hazards`, as in hazards.geojson | id, classification, status, contamination (comma-joined), region, area_m2, remaining_m2 |
//! | `releases` | attributed release piece | piece index + 1, as in releases.geojson | id, outcome, year (absent when undated), area_m2 |
//! | `hazard_points` | hazard with land remaining (an interior point of its remaining part) | as `hazards` | id, classification, remaining_m2 |
//! | `context` | country within the window around the config's country (`emit/context.rs`), z0 to its `max_zoom` | index + 1, the config's country first | iso3 (absent for a territory with no ISO code), role (`country` or `neighbour`) |
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
use crate::tiles::{
    Attrs, Cluster, Feature, FeatureGeometry, FieldType, LayerSpec, Profile, Properties,
    TilesetMeta,
};
use chrono::Datelike;
use geo::{MultiPolygon, Point};
use rayon::prelude::*;

/// Descriptive metadata of the tileset (PMTiles metadata and TileJSON).
#[derive(Debug, Clone, Default)]
pub struct TileMeta {
    pub name: Option<String>,
    /// The config's attribution, as text (see [`crate::emit::page::attribution_html`]).
    pub attribution: Option<String>,
    /// Where the bundle is published: tiles.json's tile URL is absolute under it.
    pub base_url: Option<crate::config::BaseUrl>,
    /// The config's country, whose context layer the tiles carry.
    pub country: Option<String>,
}

impl TileMeta {
    /// The tileset's metadata from the build's config.
    pub fn of(cfg: &crate::emit::EmitConfig) -> Self {
        TileMeta {
            name: cfg.name.clone(),
            attribution: cfg.attribution.clone(),
            base_url: cfg.base_url.clone(),
            country: cfg.country.clone(),
        }
    }

    /// The tileset's metadata: named "clearmap" when the build has no name.
    pub(crate) fn tileset(&self) -> TilesetMeta {
        TilesetMeta {
            name: self.name.clone().unwrap_or_else(|| "clearmap".into()),
            description: "Hazardous areas remaining and land released (clearmap)".into(),
            // Shown as HTML by map clients (TileJSON `attribution`).
            attribution: self
                .attribution
                .as_deref()
                .map(crate::emit::page::attribution_html),
            base_url: self.base_url.as_ref().map(|b| b.as_str().to_string()),
        }
    }
}

/// The profile of clearmap's tiles: [`LAYERS`], hazards' remaining parts
/// free to overlap each other, hazard points clustered per [`POINT_CELL`],
/// the context down to its own deepest zoom.
pub(crate) struct LandRelease {
    /// The deepest zoom of the `context` layer (`emit/context.rs`); `None`
    /// when the build's country has none: the tiles then list no such layer.
    pub context_max_zoom: Option<u8>,
}

impl Profile for LandRelease {
    fn layers(&self) -> &[LayerSpec] {
        match self.context_max_zoom {
            Some(_) => &LAYERS,
            None => &LAYERS[..CONTEXT],
        }
    }

    /// Junctions are where release pieces meet remaining parts or each
    /// other; two hazards' remaining parts may overlap anyway. The context
    /// shares none: its countries' borders are the same points in both
    /// already (Natural Earth's topology), and the records are no part of it.
    fn shares_borders(&self, a: usize, b: usize) -> bool {
        !(a == HAZARDS && b == HAZARDS) && a != CONTEXT && b != CONTEXT
    }

    /// The map opens on the records and the country itself, not on the
    /// neighbours around it.
    fn in_bounds(&self, f: &Attrs) -> bool {
        f.layer != CONTEXT || f.properties.get_str("role") == Some("country")
    }

    fn max_zoom(&self, layer: usize) -> Option<u8> {
        (layer == CONTEXT).then_some(self.context_max_zoom.unwrap_or(0))
    }

    fn point_cell(&self, layer: usize) -> Option<i32> {
        (layer == HAZARD_POINTS).then_some(POINT_CELL)
    }

    /// At the place of the member with the most land remaining (among
    /// equals, the lowest id), with [`cluster_properties`].
    fn cluster(&self, members: &[Attrs]) -> Cluster {
        let lead = members
            .iter()
            .enumerate()
            .max_by(|(_, a), (_, b)| {
                remaining_m2(a)
                    .total_cmp(&remaining_m2(b))
                    .then(b.id.cmp(&a.id))
            })
            .map_or(0, |(i, _)| i);
        Cluster {
            lead,
            properties: cluster_properties(members),
        }
    }
}

pub(crate) const HAZARDS: usize = 0;
pub(crate) const RELEASES: usize = 1;
pub(crate) const HAZARD_POINTS: usize = 2;
pub(crate) const CONTEXT: usize = 3;

/// The layers, in the order they are written in a tile (the style, not
/// this order, draws the context under the rest; last, so that tiles
/// without it have the other three as they always had).
pub(crate) const LAYERS: [LayerSpec; 4] = [
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
    LayerSpec {
        id: "context",
        description: "The country, its neighbours and their coasts (Natural Earth 1:50m, public domain), cut to a window around the country",
        fields: &[("iso3", FieldType::String), ("role", FieldType::String)],
    },
];

/// Side of the square cells, in tile units, within which hazard points are
/// drawn as one cluster (a divisor of the extent, so that cells never straddle
/// tiles and a tile's buffer holds whole cells of its neighbours).
pub(crate) const POINT_CELL: i32 = 16;

/// Attributes of the cluster point standing for the hazard points `members`
/// (two or more): `classification` (CHA before SHA before other),
/// `remaining_m2` (their sum), `count`.
fn cluster_properties(members: &[Attrs]) -> Properties {
    let rank = |c: &str| ["CHA", "SHA"].iter().position(|x| *x == c).unwrap_or(2);
    let classification = members
        .iter()
        .filter_map(|f| f.properties.get_str("classification"))
        .min_by_key(|c| rank(c))
        .unwrap_or("other")
        .to_string();
    let remaining: u64 = members.iter().map(|f| remaining_m2(f).round() as u64).sum();
    Properties::new([
        ("classification", Value::String(classification)),
        ("remaining_m2", Value::Uint(remaining)),
        ("count", Value::Uint(members.len() as u64)),
    ])
}

/// The remaining area a hazard point carries (0 for other features).
fn remaining_m2(f: &Attrs) -> f64 {
    match f.properties.get("remaining_m2") {
        Some(Value::Uint(x)) => x as f64,
        Some(Value::Double(x)) => x,
        _ => 0.0,
    }
}

/// An area for the tiles: whole square metres, as the map shows them. A
/// varint of a few bytes where a double takes nine, in every feature of every
/// tile; the exact figures are in the GeoJSON and summary.json.
fn whole_m2(m2: f64) -> Value {
    Value::Uint(m2.max(0.0).round() as u64)
}

/// Every feature of the tiles, each ordered in its layer by its id. Polygons
/// are borrowed from the accounting (and the context): a copy of every
/// remaining part and release piece would double the memory of a large build.
pub(crate) fn features<'a>(
    rec: &Reconciled,
    acc: &'a Accounting,
    context: &'a [crate::emit::context::Part],
) -> Vec<Feature<'a>> {
    // Per hazard in parallel (the interior point is most of the work); rayon's
    // collect and unzip keep the order, so the thread count changes nothing.
    let (mut polys, points): (Vec<Feature>, Vec<Option<Feature>>) = rec
        .hazards
        .par_iter()
        .zip(acc.hazards.par_iter())
        .enumerate()
        .filter(|(_, (_, r))| r.remaining_m2 > 0.0 && !r.remaining.0.is_empty())
        .map(|(i, (h, r))| {
            let id = i as u64 + 1;
            let props = [
                ("id", Value::String(h.id.clone())),
                (
                    "classification",
                    Value::String(h.classification.as_str().into()),
                ),
                ("status", Value::String(h.status.as_str().into())),
                ("contamination", Value::String(h.contamination.join(","))),
            ]
            .into_iter()
            .chain(
                h.region
                    .as_ref()
                    .map(|region| ("region", Value::String(region.clone()))),
            )
            .chain([
                ("area_m2", whole_m2(r.area_m2)),
                ("remaining_m2", whole_m2(r.remaining_m2)),
            ]);
            let polygon = Feature {
                layer: HAZARDS,
                id,
                sort_key: id,
                properties: Properties::new(props),
                geometry: FeatureGeometry::Polygons(&r.remaining),
            };
            let point = interior_point(&r.remaining).map(|p| Feature {
                layer: HAZARD_POINTS,
                id,
                sort_key: id,
                properties: Properties::new([
                    ("id", Value::String(h.id.clone())),
                    (
                        "classification",
                        Value::String(h.classification.as_str().into()),
                    ),
                    ("remaining_m2", whole_m2(r.remaining_m2)),
                ]),
                geometry: FeatureGeometry::Point(p),
            });
            (polygon, point)
        })
        .unzip();
    // Room for everything at once: grown by doubling, the list (64 bytes a
    // feature, held to the end of the tiles) was copied twice and kept up to
    // half of it unused, ~100 MB at a million hazards.
    polys.reserve_exact(acc.pieces.len() + points.len() + context.len());
    polys.par_extend(
        acc.pieces
            .par_iter()
            .enumerate()
            .filter(|(_, piece)| !piece.geometry.0.is_empty())
            .map(|(k, piece)| {
                let r = &rec.releases[piece.release];
                let props = [
                    ("id", Value::String(r.id.clone())),
                    ("outcome", Value::String(r.outcome.as_str().into())),
                ]
                .into_iter()
                .chain(
                    r.date
                        .map(|d| ("year", Value::Uint(d.year().max(0) as u64))),
                )
                .chain([("area_m2", whole_m2(piece.area_m2))]);
                Feature {
                    layer: RELEASES,
                    id: k as u64 + 1,
                    sort_key: k as u64 + 1,
                    properties: Properties::new(props),
                    geometry: FeatureGeometry::Polygons(&piece.geometry),
                }
            }),
    );
    polys.extend(points.into_iter().flatten());
    polys.extend(context.iter().enumerate().map(|(k, part)| {
        let role = if part.own { "country" } else { "neighbour" };
        let props = part
            .iso3
            .as_ref()
            .map(|iso3| ("iso3", Value::String(iso3.clone())))
            .into_iter()
            .chain([("role", Value::String(role.into()))]);
        Feature {
            layer: CONTEXT,
            id: k as u64 + 1,
            sort_key: k as u64 + 1,
            properties: Properties::new(props),
            geometry: FeatureGeometry::Polygons(&part.shape),
        }
    }));
    polys
}

/// A point inside the largest part of `mp` (on it, for degenerate parts): its
/// centroid when that is inside. Across the antimeridian, found on the
/// unwrapped parts and brought back within ±180°.
fn interior_point(mp: &MultiPolygon<f64>) -> Option<Point<f64>> {
    let unwrapped = crate::geometry::antimeridian::unwrap(mp);
    let p = interior_point_of(unwrapped.as_ref().unwrap_or(mp))?;
    Some(if p.x() > 180.0 {
        Point::new(p.x() - 360.0, p.y())
    } else {
        p
    })
}

fn interior_point_of(mp: &MultiPolygon<f64>) -> Option<Point<f64>> {
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
        _ => crate::geometry::interior_point(largest),
    }
}
