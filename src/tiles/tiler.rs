//! The tiler: from a profile's features to encoded, gzipped tiles, zoom by
//! zoom. It knows no layer by name: the [`Profile`] names the layers, orders
//! the features ([`Feature::sort_key`]), says which layers share borders and
//! merges the points of a cell ([`Profile::cluster`], as planetiler's
//! `postProcess`).
//!
//! 1. Project every feature once to Web Mercator unit coordinates and keep its
//!    bounding box ([`Prepared`]). A feature's polygons are one flat block of
//!    vertices with its rings as offsets into it ([`Shape`]), not a `Vec` per
//!    ring and per polygon, and the blocks and the features' attributes are
//!    in a temporary file read through a map ([`super::store`]): the
//!    prepared features are what the tiler holds from start to end (5M
//!    vertices at 100k records, 51M at a million), and on the heap they
//!    were its largest part.
//! 2. Per zoom, assign each feature to the tiles its buffered bounding box
//!    covers, as (TileID, feature) pairs sorted by TileID: the tiles then come
//!    in the Hilbert order PMTiles clusters on, and features within a tile in
//!    the order of their sort keys, whatever the thread count. Polygons whose
//!    area is under [`MIN_AREA_UNITS2`] at the zoom are not assigned.
//! 3. Per tile, in parallel (rayon) over bounded chunks of tiles: skip the
//!    polygons whose every vertex rounds to one row or column; clip each ring
//!    to the buffered tile, go to tile units, round, keep a ring that is still
//!    simple as it is or clean with i_overlay ([`crate::geometry::clean`]); place points,
//!    one per cell of the layers the profile clusters ([`Profile::cluster`]);
//!    encode the MVT and gzip it.
//!
//! Rounding to each zoom's tile grid is the per-zoom simplification: vertices
//! closer than a tile unit merge, straight-through vertices of simple rings
//! are dropped, and parts that collapse or shrink under a sixteenth of a
//! pixel vanish (a profile may give such features a point in a layer of
//! points). It is a function of each vertex alone, so a border shared by two
//! features rounds to the same points in both and stays shared at every zoom;
//! line simplification (Douglas–Peucker and kin) would move the two copies of
//! a border independently and open gaps between the layers.
//! 4. Hand each chunk's tiles, in order, to the sink (the PMTiles writer), so
//!    memory holds one zoom's assignment and one chunk of tiles, never the
//!    whole pyramid.
//!
//! Clipping happens in Mercator rather than lon/lat: the projection is
//! separable (x from lon, y from lat), so the buffered tile rectangle is the
//! same rectangle in both; projecting once per feature instead of once per
//! tile is what keeps z14 cheap.

use super::clip::{clip_ring_into, Rect};
use super::grid::{tile_coord, tile_id, tile_index, tile_unit, to_unit, world_size, TileFrame};
use super::mvt::{LayerBuilder, TileGeometry};
use super::profile::{Attrs, Feature, FeatureGeometry, Profile, Props, TileConfig};
use super::store::{Vertex, Vertices, Window};
use crate::geometry::{clean, quantise_into, ring_area2, round_i32, simple_polygons, IntPoint};
use geo::winding_order::{Winding, WindingOrder};
use geo::MultiPolygon;
use rayon::prelude::*;

/// A feature assigned to a tile ([`assign`]), ordered by TileID, then
/// feature. The tile's x and y follow from the TileID, once per tile, and
/// the index fits 32 bits: 12 bytes an assignment rather than 24, and a
/// zoom's assignment is millions of them at 1M records.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(C, packed(4))]
struct Assigned {
    tile: u64,
    feature: u32,
}

/// Whether `a` and `b` are assigned to one tile.
fn same_tile(a: &Assigned, b: &Assigned) -> bool {
    let (a, b) = (a.tile, b.tile);
    a == b
}

/// Tiles encoded per parallel batch, at most.
const CHUNK: usize = 1024;

/// Features whose assignments are collected at a time ([`assign`]).
const ASSIGN_BLOCK: usize = 1 << 16;

/// Assignments of the low zooms gathered into one round at most
/// ([`tile_all`]): z0 to z10 at a million records would otherwise all be
/// held at once (~170 MB) before the round reached its 1024 tiles.
const GATHER_ASSIGNED: usize = 4 * CHUNK_ASSIGNED;

/// Features assigned to the tiles of one batch, at most (past its first
/// few tiles, two a thread, however many they hold). A batch's tiles are
/// held until the last is encoded; from z8 to z11 a tile draws hundreds of
/// features (36 bytes of gzipped tile each at 100k records), and 1024 of
/// them held 23 MB at 100k records, ten times that at 1M. Bounding the
/// features bounds the bytes (4.8 MB at 100k) whatever the density.
const CHUNK_ASSIGNED: usize = 1 << 17;

/// A feature's polygons in Web Mercator unit coordinates (y down), flat:
/// the vertices of every ring (without closing vertex), ring after ring and
/// polygon after polygon, one block in the tiler's vertex file
/// ([`Vertices`]), and the rings as end offsets into it. Polygons as lists
/// of rings, each a `Vec`, cost a heap block per ring and per polygon (over
/// half a million at 100k records, each rounded up by the allocator) for
/// the dozen vertices most rings have.
pub(super) struct Shape {
    /// Where the vertices start in the file, and how many there are.
    at: u64,
    len: u32,
    /// Per ring, the end of its vertices, [`EXTERIOR`] set on the first
    /// ring of each polygon. Empty for one polygon of one ring, most
    /// features: no block at all.
    rings: Box<[u32]>,
}

/// The flag of a polygon's first ring in [`Shape::rings`]; offsets stay
/// below it.
const EXTERIOR: u32 = 1 << 31;

impl Shape {
    /// Every vertex, ring after ring.
    fn verts<'s>(&self, store: &'s Vertices) -> &'s [Vertex] {
        store.get(self.at, self.len)
    }

    /// The polygons, each an iterator over its rings, exterior first.
    pub(super) fn polygons<'s>(&'s self, store: &'s Vertices) -> Polygons<'s> {
        polygons(self.verts(store), &self.rings)
    }
}

/// The polygons of vertices `verts` and ring ends `rings` (as in a
/// [`Shape`]).
fn polygons<'s>(verts: &'s [Vertex], rings: &'s [u32]) -> Polygons<'s> {
    Polygons {
        verts,
        ends: rings,
        start: 0,
        single: rings.is_empty(),
    }
}

/// A [`Shape`]'s vertices and rings on the heap, before they go into the
/// vertex file ([`Built::store`]).
pub(super) struct Built {
    verts: Vec<Vertex>,
    rings: Box<[u32]>,
}

impl Built {
    /// The polygons, each an iterator over its rings, exterior first.
    pub(super) fn polygons(&self) -> Polygons<'_> {
        polygons(&self.verts, &self.rings)
    }

    /// The same shape moved `dx` along x.
    pub(super) fn moved_x(&self, dx: f64) -> Built {
        Built {
            verts: self.verts.iter().map(|&[x, y]| [x + dx, y]).collect(),
            rings: self.rings.clone(),
        }
    }

    /// Into `store`: the shape that reads it back.
    fn store(self, store: &mut Vertices) -> std::io::Result<Shape> {
        Ok(Shape {
            at: store.push(&self.verts)?,
            // below EXTERIOR (ShapeBuilder, with_junctions)
            len: self.verts.len() as u32,
            rings: self.rings,
        })
    }

    /// A shape of `polygons` (each its rings, exterior first), for tests.
    #[cfg(test)]
    pub(super) fn from_polygons(polygons: &[Vec<Vec<(f64, f64)>>]) -> Option<Built> {
        let mut b = ShapeBuilder::with_capacity(polygons.iter().flatten().map(Vec::len).sum());
        for poly in polygons {
            for (k, ring) in poly.iter().enumerate() {
                b.ring(k == 0, ring.iter().map(|&(x, y)| [x, y]));
            }
        }
        b.finish()
    }
}

/// The shape of vertices `verts` and ring ends `rings` with `found` added:
/// each after vertex `after` (ascending, as [`insert_junctions`] lists
/// them), every offset moved by what went in before it. `None` if the shape
/// would outgrow [`EXTERIOR`].
fn with_junctions(verts: &[Vertex], rings: &[u32], found: &[Junction]) -> Option<Built> {
    let n = verts.len() + found.len();
    if u32::try_from(n).ok()? >= EXTERIOR {
        return None;
    }
    let mut out = Vec::with_capacity(n);
    let mut next = found.iter().peekable();
    for (k, &v) in verts.iter().enumerate() {
        out.push(v);
        while let Some(j) = next.next_if(|j| j.after as usize == k) {
            out.push(j.at);
        }
    }
    let rings = rings
        .iter()
        .map(|&e| {
            let end = (e & !EXTERIOR) as usize;
            let before = found.partition_point(|j| (j.after as usize) < end);
            // below EXTERIOR: at most n
            (end + before) as u32 | (e & EXTERIOR)
        })
        .collect();
    Some(Built { verts: out, rings })
}

/// A [`Shape`] being built, ring by ring.
struct ShapeBuilder {
    verts: Vec<Vertex>,
    rings: Vec<u32>,
    /// Some offset reached [`EXTERIOR`].
    too_long: bool,
}

impl ShapeBuilder {
    /// A builder for `n` vertices in all (the shape's one block, sized once).
    fn with_capacity(n: usize) -> Self {
        ShapeBuilder {
            verts: Vec::with_capacity(n),
            rings: Vec::new(),
            too_long: false,
        }
    }

    /// Add a ring, the first of a new polygon when `exterior`; its vertices,
    /// to be turned round in place.
    fn ring(&mut self, exterior: bool, pts: impl Iterator<Item = Vertex>) -> &mut [Vertex] {
        let start = self.verts.len();
        self.verts.extend(pts);
        match u32::try_from(self.verts.len()) {
            Ok(end) if end < EXTERIOR => {
                self.rings.push(if exterior { end | EXTERIOR } else { end })
            }
            _ => self.too_long = true,
        }
        &mut self.verts[start..]
    }

    /// The shape; `None` without rings, or past 2^31 vertices (32 GiB of
    /// coordinates, more than a record read into memory can hold).
    fn finish(self) -> Option<Built> {
        if self.too_long || self.rings.is_empty() {
            return None;
        }
        let rings = if self.rings.len() == 1 {
            Box::default()
        } else {
            self.rings.into_boxed_slice()
        };
        Some(Built {
            verts: self.verts,
            rings,
        })
    }
}

/// The polygons of a [`Shape`].
pub(super) struct Polygons<'s> {
    verts: &'s [Vertex],
    /// The ring ends not yet visited.
    ends: &'s [u32],
    /// Where the next polygon's vertices start.
    start: usize,
    /// One polygon of one ring, not yet visited.
    single: bool,
}

impl<'s> Iterator for Polygons<'s> {
    type Item = Rings<'s>;

    fn next(&mut self) -> Option<Rings<'s>> {
        if std::mem::take(&mut self.single) {
            return Some(Rings {
                verts: self.verts,
                ends: &[],
                start: 0,
                single: true,
            });
        }
        let holes = self
            .ends
            .get(1..)?
            .iter()
            .take_while(|&&e| e & EXTERIOR == 0)
            .count();
        let (mine, rest) = self.ends.split_at(holes + 1);
        self.ends = rest;
        let rings = Rings {
            verts: self.verts,
            ends: mine,
            start: self.start,
            single: false,
        };
        self.start = mine
            .last()
            .map_or(self.start, |&e| (e & !EXTERIOR) as usize);
        Some(rings)
    }
}

/// The rings of one polygon of a [`Shape`], exterior first.
pub(super) struct Rings<'s> {
    verts: &'s [Vertex],
    ends: &'s [u32],
    start: usize,
    /// All of `verts` is the one ring, not yet visited.
    single: bool,
}

impl<'s> Iterator for Rings<'s> {
    type Item = &'s [Vertex];

    fn next(&mut self) -> Option<&'s [Vertex]> {
        if std::mem::take(&mut self.single) {
            return Some(self.verts);
        }
        let (&e, rest) = self.ends.split_first()?;
        self.ends = rest;
        let end = (e & !EXTERIOR) as usize;
        let ring = self.verts.get(self.start..end)?;
        self.start = end;
        Some(ring)
    }
}

/// A feature's geometry in Web Mercator unit coordinates (y down).
enum UnitGeometry {
    Polygons(Shape),
    Point(f64, f64),
}

/// A feature ready for tiling: its layer and id; its attributes and the
/// vertices of its geometry in the tiler's file ([`Vertices`]), which is
/// where they are read from, tile after tile.
pub struct Prepared {
    /// Index into [`Profile::layers`].
    layer: usize,
    /// The MVT feature id.
    id: u64,
    /// Where the feature's [`Properties`] buffer starts in the file, and
    /// its length.
    props_at: u64,
    props_len: u32,
    geometry: UnitGeometry,
    /// min x, min y, max x, max y in unit coordinates.
    bbox: [f64; 4],
    /// Area of a polygon feature in unit coordinates squared (0 for points).
    area: f64,
}

impl Prepared {
    /// Its layer, id and attributes, as its profile is asked about them.
    fn attrs<'s>(&self, store: &'s Vertices) -> Attrs<'s> {
        Attrs {
            layer: self.layer,
            id: self.id,
            properties: Props::from_bytes(store.bytes(self.props_at, self.props_len)),
        }
    }
}

/// A feature's geometry projected ([`prepare_one`]).
struct Projected {
    geometry: UnitGeometry,
    bbox: [f64; 4],
    area: f64,
    /// Whether the source polygons cross the antimeridian (and were
    /// unwrapped): the junctions project them again, and need not look
    /// at every vertex to ask again.
    crosses: bool,
}

/// A prepared feature's polygons as the profile gave them, for the
/// junctions ([`insert_junctions`]) to project again.
struct Source<'f> {
    polygons: &'f MultiPolygon<f64>,
    /// The copy moved west by a world ([`super::wrap::west_copy`]).
    moved: bool,
    /// They cross the antimeridian: projected unwrapped.
    crosses: bool,
}

/// The features ready for tiling ([`prepare`]) and the file their
/// attributes and vertices are in.
pub struct Tileable {
    features: Vec<Prepared>,
    store: Vertices,
}

/// Polygon features smaller than this many square tile units (1/16 of a
/// pixel on a 512-pixel tile) are left out of a tile: rounded to the grid they
/// would be a speck or a scribble.
const MIN_AREA_UNITS2: f64 = 4.0;

/// An empty box: what a feature without a vertex has, to be left out.
const NO_BBOX: [f64; 4] = [
    f64::INFINITY,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NEG_INFINITY,
];

/// Features projected at a time ([`prepare`]): their vertices are on the
/// heap until written to the vertex file.
const PREPARE_BLOCK: usize = 1 << 16;

/// Put features in (layer, sort key) order, project them to unit
/// coordinates (in parallel) and give neighbouring polygons their shared
/// vertices ([`insert_junctions`]). Their attributes and vertices go to a
/// file of `dir` ([`Vertices`]) as each is prepared, in that order: the
/// order a tile reads its features in, so that a tile of the low zooms,
/// which draws most of them, reads the file from start to end. The
/// features are taken: past this, memory holds of each its place in the
/// file, its box and its area, 104 bytes (the feature with its attributes
/// and the prepared geometry were 240 on average at 100k records).
///
/// A polygon across the antimeridian is projected unwrapped (x beyond 1)
/// and prepared twice, the second time moved one world west
/// ([`super::wrap::west_copy`]): each copy covers a few tiles on its side,
/// where drawn as it is it would cover every tile of its latitudes. The
/// sort, unstable, breaks ties of the profile's keys by the source
/// feature's position (in `features`), and the copy follows its original:
/// the order a stable sort of the features, each followed by its copy,
/// gives.
pub fn prepare(
    mut features: Vec<Feature>,
    profile: &impl Profile,
    dir: &std::path::Path,
) -> std::io::Result<Tileable> {
    let mut order: Vec<usize> = (0..features.len()).collect();
    order.par_sort_unstable_by_key(|&i| (features[i].layer, features[i].sort_key, i));
    let mut first = Vertices::create_in(dir, Window::Narrow)?;
    let mut prepared: Vec<Prepared> = Vec::with_capacity(features.len());
    // Per prepared feature, its polygons as the profile gave them, whether
    // it is the copy moved west and whether they cross the antimeridian:
    // what the junctions are found in.
    let mut sources: Vec<Option<Source>> = Vec::with_capacity(features.len());
    for block in order.chunks(PREPARE_BLOCK) {
        let done: Vec<(Projected, Option<Built>)> = block
            .par_iter()
            .map(|&i| prepare_one(&features[i]))
            .collect();
        for (&i, (projected, built)) in block.iter().zip(done) {
            if !projected.bbox[0].is_finite() {
                continue;
            }
            let f = &mut features[i];
            let source = match &f.geometry {
                FeatureGeometry::Polygons(mp) => Some(*mp),
                FeatureGeometry::Point(_) => None,
            };
            let props = std::mem::take(&mut f.properties);
            let props_len = u32::try_from(props.bytes().len())
                .map_err(|_| std::io::Error::other("a feature's attributes pass 4 GB"))?;
            let props_at = first.push_bytes(props.bytes())?;
            let (layer, id, area, crosses) = (f.layer, f.id, projected.area, projected.crosses);
            let with = |geometry, bbox| Prepared {
                layer,
                id,
                props_at,
                props_len,
                geometry,
                bbox,
                area,
            };
            let Some(built) = built else {
                prepared.push(with(projected.geometry, projected.bbox));
                sources.push(None);
                continue;
            };
            let copy = super::wrap::west_copy(&built, projected.bbox);
            let shape = built.store(&mut first)?;
            prepared.push(with(UnitGeometry::Polygons(shape), projected.bbox));
            sources.push(source.map(|mp| Source {
                polygons: mp,
                moved: false,
                crosses,
            }));
            if let Some((moved, bbox)) = copy {
                let shape = moved.store(&mut first)?;
                prepared.push(with(UnitGeometry::Polygons(shape), bbox));
                sources.push(source.map(|mp| Source {
                    polygons: mp,
                    moved: true,
                    crosses,
                }));
            }
        }
    }
    drop(order);
    drop(features);
    first.flush()?;
    let store = insert_junctions(&mut prepared, &sources, &first, profile, dir)?;
    Ok(Tileable {
        features: prepared,
        store,
    })
}

/// One feature projected, its vertices on the heap; its box [`NO_BBOX`]
/// when it has no vertex.
fn prepare_one(f: &Feature) -> (Projected, Option<Built>) {
    let mut bbox = NO_BBOX;
    let mut grow = |(x, y): (f64, f64)| {
        bbox[0] = bbox[0].min(x);
        bbox[1] = bbox[1].min(y);
        bbox[2] = bbox[2].max(x);
        bbox[3] = bbox[3].max(y);
        [x, y]
    };
    let mut crosses = false;
    let (geometry, built) = match &f.geometry {
        FeatureGeometry::Point(p) => {
            let [x, y] = grow(to_unit(p.x(), p.y()));
            (UnitGeometry::Point(x, y), None)
        }
        // Holes must wind against their exterior for the NonZero cleaning
        // to keep them holes; boolean-op output does not promise that.
        // Exteriors counter-clockwise and holes clockwise (in lon/lat), as
        // geo's `orient(Direction::Default)` makes them, without copying the
        // polygons first.
        FeatureGeometry::Polygons(mp) => {
            let unwrapped = crate::geometry::antimeridian::unwrap(mp);
            crosses = unwrapped.is_some();
            let mp = unwrapped.as_ref().unwrap_or(mp);
            let rings = || {
                mp.0.iter().flat_map(|poly| {
                    std::iter::once((poly.exterior(), WindingOrder::CounterClockwise)).chain(
                        poly.interiors()
                            .iter()
                            .map(|r| (r, WindingOrder::Clockwise)),
                    )
                })
            };
            let n = rings().map(|(r, _)| r.0.len().saturating_sub(1)).sum();
            let mut b = ShapeBuilder::with_capacity(n);
            for (ring, want) in rings() {
                let n = ring.0.len().saturating_sub(1);
                let pts = b.ring(
                    want == WindingOrder::CounterClockwise,
                    ring.0[..n].iter().map(|c| grow(to_unit(c.x, c.y))),
                );
                if ring.winding_order().is_some_and(|w| w != want) {
                    // reversed, from the same first vertex
                    if let Some(rest) = pts.get_mut(1..) {
                        rest.reverse();
                    }
                }
            }
            match b.finish() {
                // a placeholder until the vertices are stored
                Some(built) => (UnitGeometry::Point(0.0, 0.0), Some(built)),
                None => {
                    let none = Projected {
                        geometry: UnitGeometry::Point(0.0, 0.0),
                        bbox: NO_BBOX,
                        area: 0.0,
                        crosses,
                    };
                    return (none, None);
                }
            }
        }
    };
    let area = match &built {
        Some(shape) => shape
            .polygons()
            .map(|mut rings| {
                // Unsigned shoelace area of each ring.
                let area = |r: &[Vertex]| (ring_area2(r) / 2.0).abs();
                let exterior = rings.next();
                let holes: f64 = rings.map(area).sum();
                exterior.map_or(0.0, area) - holes
            })
            .sum(),
        None => 0.0,
    };
    (
        Projected {
            geometry,
            bbox,
            area,
            crosses,
        },
        built,
    )
}

/// How near (unit coordinates: 8 cm on the ground at the equator; a tile
/// unit at z14 is 60 cm) a vertex of one polygon must lie to another's edge
/// to count as lying on it. Boolean-op output puts junction vertices within
/// micrometres; source polygons digitised along another's border put theirs
/// within centimetres, and need it as much.
const JUNCTION_EPS: f64 = 2e-9;

/// Add to each polygon's edges the vertices of neighbouring polygons that lie
/// on them (T-junctions: where the borders of three polygons meet, one has a
/// vertex that its neighbour, cut along another border, runs straight
/// through), among the layers that share borders
/// ([`Profile::shares_borders`]). Rounded to a tile grid, such a vertex
/// moves off the neighbour's straight edge and opens a sliver between the
/// layers; present in both, it rounds to the same point in both.
///
/// The junctions are found against the shapes as prepared (each feature's
/// own in `first`, its neighbours' projected again from `sources`): a
/// neighbour's inserted vertices are no part of the search (hazards do not
/// share borders with hazards, but both do with releases: a release given a
/// hazard's vertex must not hand it on to the next hazard). The features'
/// attributes and shapes, with their junctions, go to a second file of
/// `dir`, which the tiles read: in the order of the first, a block of
/// [`JUNCTION_BLOCK`] features at a time, so that memory holds one block's
/// junctions (20-byte records), not those of every feature at once (twenty
/// million at a million hazards and a million and a half releases).
fn insert_junctions(
    prepared: &mut [Prepared],
    sources: &[Option<Source>],
    first: &Vertices,
    profile: &impl Profile,
    dir: &std::path::Path,
) -> std::io::Result<Vertices> {
    use rstar::primitives::{GeomWithData, Rectangle};
    use rstar::{RTree, AABB};
    let e = JUNCTION_EPS;
    let grown = |b: &[f64; 4]| ([b[0] - e, b[1] - e], [b[2] + e, b[3] + e]);
    // The boxes in the tree in f32, rounded outward, and the index in 32
    // bits: 20 bytes a box rather than 40, with the tree's own boxes
    // halved too (3.1M polygons at a million records, where the build's
    // memory is at its highest). The f64 test after the search keeps
    // exactly the neighbours a tree of f64 boxes finds.
    let outward = |(lo, hi): ([f64; 2], [f64; 2])| (lo.map(f32_below), hi.map(f32_above));
    let meet = |a: &([f64; 2], [f64; 2]), b: &([f64; 2], [f64; 2])| {
        a.0[0] <= b.1[0] && b.0[0] <= a.1[0] && a.0[1] <= b.1[1] && b.0[1] <= a.1[1]
    };
    let boxes: Vec<GeomWithData<Rectangle<[f32; 2]>, u32>> = prepared
        .iter()
        .enumerate()
        .filter(|(_, p)| matches!(p.geometry, UnitGeometry::Polygons(_)))
        .filter_map(|(i, p)| {
            let (lo, hi) = outward(grown(&p.bbox));
            Some(GeomWithData::new(
                Rectangle::from_corners(lo, hi),
                u32::try_from(i).ok()?,
            ))
        })
        .collect();
    let tree = RTree::bulk_load(boxes);
    // The vertices of polygon `n` as prepared: projected again from its
    // source, as `prepare_one` and `Built::moved_x` did (the same
    // arithmetic on the same values: the same bits), rather than read from
    // `first`, where a polygon's neighbours lie anywhere (it is in the
    // order of the layers' sort keys): read from there, nearly every one
    // cost a fault and the window's unmapping a call to the system.
    let neighbour = |n: usize, keep: &dyn Fn(&(f64, f64)) -> bool, out: &mut Vec<(f64, f64)>| {
        let Some(Some(Source {
            polygons: mp,
            moved,
            crosses,
        })) = sources.get(n)
        else {
            return;
        };
        let unwrapped = if *crosses {
            crate::geometry::antimeridian::unwrap(mp)
        } else {
            None
        };
        let mp = unwrapped.as_ref().unwrap_or(mp);
        for ring in
            mp.0.iter()
                .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        {
            let k = ring.0.len().saturating_sub(1);
            out.extend(
                ring.0[..k]
                    .iter()
                    .map(|c| {
                        let (x, y) = to_unit(c.x, c.y);
                        (if *moved { x + -1.0 } else { x }, y)
                    })
                    .filter(|v| keep(v)),
            );
        }
    };
    /// A worker's lists: the neighbours' vertices near the shape, the
    /// vertices on one edge, the shape's junctions.
    type Lists = (Vec<(f64, f64)>, Vec<(f64, (f64, f64))>, Vec<Junction>);
    let mut out = Vertices::create_in(dir, Window::Wide)?;
    for start in (0..prepared.len()).step_by(JUNCTION_BLOCK) {
        let block = start..(start + JUNCTION_BLOCK).min(prepared.len());
        let rebuilt: Vec<Option<Built>> = block
            .clone()
            .into_par_iter()
            .map_init(Lists::default, |(others, on, found), i| {
                let p = &prepared[i];
                let UnitGeometry::Polygons(shape) = &p.geometry else {
                    return None;
                };
                let mine = grown(&p.bbox);
                let (lo, hi) = mine;
                let (qlo, qhi) = outward(mine);
                let inside =
                    |v: &(f64, f64)| v.0 >= lo[0] && v.0 <= hi[0] && v.1 >= lo[1] && v.1 <= hi[1];
                others.clear();
                for n in tree.locate_in_envelope_intersecting(&AABB::from_corners(qlo, qhi)) {
                    let n = n.data as usize;
                    if n == i
                        || !meet(&mine, &grown(&prepared[n].bbox))
                        || !profile.shares_borders(p.layer, prepared[n].layer)
                    {
                        continue;
                    }
                    neighbour(n, &inside, others);
                }
                if others.is_empty() {
                    return None;
                }
                others.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
                others.dedup();
                found.clear();
                let verts = shape.verts(first);
                // Where the current ring starts in the shape's vertices.
                let mut start = 0;
                for ring in shape.polygons(first).flatten() {
                    let n = ring.len();
                    for k in 0..n {
                        let (a, b) = (ring[k], ring[(k + 1) % n]);
                        let (a, b) = ((a[0], a[1]), (b[0], b[1]));
                        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
                        let len2 = dx * dx + dy * dy;
                        if len2 == 0.0 {
                            continue;
                        }
                        let (y0, y1) = (a.1.min(b.1) - e, a.1.max(b.1) + e);
                        let from = others.partition_point(|v| v.0 < a.0.min(b.0) - e);
                        on.clear();
                        for &v in &others[from..] {
                            if v.0 > a.0.max(b.0) + e {
                                break;
                            }
                            if v.1 < y0 || v.1 > y1 || v == a || v == b {
                                continue;
                            }
                            let t = ((v.0 - a.0) * dx + (v.1 - a.1) * dy) / len2;
                            let cross = (v.0 - a.0) * dy - (v.1 - a.1) * dx;
                            if t > 0.0 && t < 1.0 && cross * cross <= e * e * len2 {
                                on.push((t, v));
                            }
                        }
                        // Stable, as the ring's vertices come: equal t keep
                        // the order of `others`.
                        on.sort_by(|x, y| x.0.total_cmp(&y.0));
                        // Shapes stay under EXTERIOR vertices: the index fits.
                        let after = (start + k) as u32;
                        found.extend(on.iter().map(|&(_, (x, y))| Junction { after, at: [x, y] }));
                    }
                    start += n;
                }
                if found.is_empty() {
                    return None;
                }
                with_junctions(verts, &shape.rings, found)
            })
            .collect();
        for (p, built) in prepared[block].iter_mut().zip(rebuilt) {
            p.props_at = out.push_bytes(first.bytes(p.props_at, p.props_len))?;
            let UnitGeometry::Polygons(shape) = &mut p.geometry else {
                continue;
            };
            *shape = match built {
                Some(b) => b.store(&mut out)?,
                None => Shape {
                    at: out.push(shape.verts(first))?,
                    len: shape.len,
                    rings: std::mem::take(&mut shape.rings),
                },
            };
        }
    }
    out.flush()?;
    Ok(out)
}

/// The largest f32 at most `v`.
fn f32_below(v: f64) -> f32 {
    let f = v as f32;
    if f64::from(f) > v {
        f.next_down()
    } else {
        f
    }
}

/// The smallest f32 at least `v`.
fn f32_above(v: f64) -> f32 {
    let f = v as f32;
    if f64::from(f) < v {
        f.next_up()
    } else {
        f
    }
}

/// Features whose junctions are found and inserted at a time
/// ([`insert_junctions`]).
const JUNCTION_BLOCK: usize = 1 << 16;

/// A vertex to add to a shape ([`insert_junctions`]): after its vertex
/// `after`. Packed: 20 bytes rather than 24, two million of them at once.
#[derive(Clone, Copy)]
#[repr(C, packed(4))]
struct Junction {
    after: u32,
    at: Vertex,
}

/// The prepared features the profile counts in the bounds
/// ([`Profile::in_bounds`]), all of them when it counts none.
fn counted<'t>(
    t: &'t Tileable,
    profile: &'t impl Profile,
) -> impl Iterator<Item = &'t Prepared> + 't {
    let any = t
        .features
        .iter()
        .any(|p| profile.in_bounds(&p.attrs(&t.store)));
    t.features
        .iter()
        .filter(move |p| !any || profile.in_bounds(&p.attrs(&t.store)))
}

/// The lon/lat bounds of the prepared features the profile counts
/// ([`Profile::in_bounds`]), of all of them when it counts none: west,
/// south, east, north.
pub fn bounds(t: &Tileable, profile: &impl Profile) -> Option<[f64; 4]> {
    let mut b = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for p in counted(t, profile) {
        b[0] = b[0].min(p.bbox[0]);
        b[1] = b[1].min(p.bbox[1]);
        b[2] = b[2].max(p.bbox[2]);
        b[3] = b[3].max(p.bbox[3]);
    }
    if !b[0].is_finite() {
        return None;
    }
    // The copies of a feature across the antimeridian reach past the
    // world's edges: the bounds stop there.
    b[0] = b[0].max(0.0);
    b[2] = b[2].min(1.0);
    let (w, n) = super::grid::from_unit(b[0], b[1]);
    let (e, s) = super::grid::from_unit(b[2], b[3]);
    Some([w, s, e, n])
}

/// The narrowest west…east extent of the features the profile counts
/// ([`Profile::in_bounds`], or all) when it crosses the antimeridian: west,
/// south, east, north with east beyond 180 (Fiji's islands on both sides
/// of 180° are 176.8…181.5, not the whole world). `None` when the
/// narrowest extent does not cross it, which [`bounds`] then gives.
pub fn crossing_view(t: &Tileable, profile: &impl Profile) -> Option<[f64; 4]> {
    // Each feature's span on the circle of x in [0, 1), the copies moved
    // west of the world left out (their original is counted).
    let mut spans: Vec<(f64, f64)> = Vec::new();
    // Unit y grows southward: the top is the smallest.
    let (mut top, mut bottom) = (f64::INFINITY, f64::NEG_INFINITY);
    for p in counted(t, profile).filter(|p| p.bbox[0] >= 0.0) {
        let [x0, y0, x1, y1] = p.bbox;
        top = top.min(y0);
        bottom = bottom.max(y1);
        if x1 > 1.0 {
            spans.push((x0, 1.0));
            spans.push((0.0, x1 - 1.0));
        } else {
            spans.push((x0, x1));
        }
    }
    if spans.is_empty() {
        return None;
    }
    spans.sort_by(|a, b| a.0.total_cmp(&b.0));
    // The widest gap between covered spans, the one across x = 0 included.
    let (first, last_end) = (
        spans[0].0,
        spans.iter().map(|s| s.1).fold(f64::NEG_INFINITY, f64::max),
    );
    let mut best = (1.0 - last_end + first, last_end, first + 1.0);
    let mut end = spans[0].1;
    for &(x0, x1) in &spans[1..] {
        if x0 - end > best.0 {
            best = (x0 - end, end, x0);
        }
        end = end.max(x1);
    }
    // The widest gap is around x = 0 (the antimeridian): no crossing.
    if best.2 >= 1.0 {
        return None;
    }
    // The view runs east from the gap's end to its start one world on.
    let (w, n) = super::grid::from_unit(best.2, top);
    let (e, s) = super::grid::from_unit(best.1 + 1.0, bottom);
    Some([w, s, e, n])
}

/// One encoded tile.
pub struct EncodedTile {
    pub z: u8,
    pub x: u32,
    pub y: u32,
    /// Gzip-compressed MVT.
    pub data: Vec<u8>,
}

/// Tile every zoom of `cfg`, handing tiles to `sink` in ascending TileID order.
///
/// The low zooms have a tile or a few each: zoom by zoom, each would run on
/// one thread while the other waits. Zooms are therefore gathered until
/// they hold [`CHUNK`] tiles and encoded in parallel batches (of at most
/// [`CHUNK`] tiles and [`CHUNK_ASSIGNED`] features); TileIDs
/// grow with the zoom, so handing the batch's tiles over in order keeps
/// the sink's order.
pub fn tile_all<E>(
    t: &Tileable,
    profile: &impl Profile,
    cfg: &TileConfig,
    mut sink: impl FnMut(EncodedTile) -> Result<(), E>,
) -> Result<(), E> {
    // Assignments of the zooms gathered, with their tile counts.
    let mut gathered: Vec<(u8, Vec<Assigned>)> = Vec::new();
    let (mut gathered_tiles, mut gathered_assigned) = (0, 0);
    for z in cfg.min_zoom..=cfg.max_zoom {
        let assignment = assign(&t.features, profile, z, cfg);
        gathered_tiles += assignment.chunk_by(same_tile).count();
        gathered_assigned += assignment.len();
        gathered.push((z, assignment));
        if gathered_tiles < CHUNK && gathered_assigned < GATHER_ASSIGNED && z < cfg.max_zoom {
            continue;
        }
        let groups: Vec<(u8, &[Assigned])> = gathered
            .iter()
            .flat_map(|(z, a)| a.chunk_by(same_tile).map(move |g| (*z, g)))
            .collect();
        // Two tiles a thread at least, or one tile that draws most of the
        // tileset (z0 to z4 at 100k records, each with all the points)
        // would have a batch, and a core, to itself.
        let min_tiles = 2 * rayon::current_num_threads();
        let mut rest = &groups[..];
        while !rest.is_empty() {
            let mut n = 0;
            let mut assigned = 0;
            while let Some((_, g)) = rest.get(n) {
                if n == CHUNK || (n >= min_tiles && assigned + g.len() > CHUNK_ASSIGNED) {
                    break;
                }
                assigned += g.len();
                n += 1;
            }
            let (chunk, tail) = rest.split_at(n);
            rest = tail;
            let tiles: Vec<Option<EncodedTile>> =
                chunk
                    .par_iter()
                    .map(|&(z, g)| {
                        let (_, x, y) = tile_coord(g[0].tile);
                        let feats = g.iter().filter_map(|a| t.features.get(a.feature as usize));
                        encode_tile(feats, &t.store, profile, (z, x, y), cfg)
                            .map(|data| EncodedTile { z, x, y, data })
                    })
                    .collect();
            for t in tiles.into_iter().flatten() {
                sink(t)?;
            }
        }
        drop(groups);
        gathered.clear();
        (gathered_tiles, gathered_assigned) = (0, 0);
    }
    Ok(())
}

/// Whether polygon feature `p` is too small to draw at zoom `z`: its area
/// under [`MIN_AREA_UNITS2`] square tile units. Points never are. A function
/// of the zoom alone, so such a feature is left out of the zoom's assignment
/// rather than of each tile (most features at low zooms: they would be
/// assigned, sorted and skipped tile by tile).
fn below_a_pixel(p: &Prepared, z: u8, cfg: &TileConfig) -> bool {
    let scale = world_size(z) * f64::from(cfg.extent);
    matches!(p.geometry, UnitGeometry::Polygons(_)) && p.area * scale * scale < MIN_AREA_UNITS2
}

/// (TileID, feature index) for every tile a feature's buffered bbox
/// touches, at the zooms its layer is drawn at ([`Profile::max_zoom`]),
/// unless it is below a pixel there ([`below_a_pixel`]). Features past
/// the 2^32nd (320 GB of them) have no index and are not drawn.
fn assign(prepared: &[Prepared], profile: &impl Profile, z: u8, cfg: &TileConfig) -> Vec<Assigned> {
    let n = world_size(z);
    let max = (1u32 << z) - 1;
    let b = f64::from(cfg.buffer) / f64::from(cfg.extent);
    let range = |lo: f64, hi: f64| (tile_index(lo * n - b, max), tile_index(hi * n + b, max));
    let drawn = |p: &Prepared| {
        profile.max_zoom(p.layer).is_none_or(|max| z <= max) && !below_a_pixel(p, z, cfg)
    };
    // Counted first, then filled a block of features at a time into a list
    // of that size: collected in one go, rayon's pieces and the list they
    // are joined into held a zoom's assignments twice (43 MB at z14 of a
    // million hazards and a million and a half releases).
    let total: usize = prepared
        .par_iter()
        .filter(|p| drawn(p))
        .map(|p| {
            let (x0, x1) = range(p.bbox[0], p.bbox[2]);
            let (y0, y1) = range(p.bbox[1], p.bbox[3]);
            (x1 as usize + 1).saturating_sub(x0 as usize)
                * (y1 as usize + 1).saturating_sub(y0 as usize)
        })
        .sum();
    let mut out: Vec<Assigned> = Vec::with_capacity(total);
    for (k, block) in prepared.chunks(ASSIGN_BLOCK).enumerate() {
        let part: Vec<Assigned> = block
            .par_iter()
            .enumerate()
            .filter(|(_, p)| drawn(p))
            .filter_map(|(i, p)| Some((u32::try_from(k * ASSIGN_BLOCK + i).ok()?, p)))
            .flat_map_iter(|(feature, p)| {
                let (x0, x1) = range(p.bbox[0], p.bbox[2]);
                let (y0, y1) = range(p.bbox[1], p.bbox[3]);
                (x0..=x1).flat_map(move |x| {
                    (y0..=y1).map(move |y| Assigned {
                        tile: tile_id(z, x, y),
                        feature,
                    })
                })
            })
            .collect();
        out.extend(part);
    }
    out.par_sort_unstable();
    out
}

/// A point in a tile: its layer and cell, its position in tile units, its
/// feature.
type PlacedPoint<'a> = ((usize, i32, i32), (i32, i32), &'a Prepared);

/// Add the tile's clustered points, one per cell: a lone point as it is,
/// several as the profile's cluster point.
fn add_points(
    layers: &mut [LayerBuilder],
    profile: &impl Profile,
    store: &Vertices,
    mut points: Vec<PlacedPoint>,
) {
    // Cells in the order of their first point (sort-key order). At low zooms
    // a tile holds every point of the tileset: the cell of each point is
    // looked up once (a stable sort on cached keys), with hashbrown's hasher
    // rather than SipHash.
    let mut first: hashbrown::HashMap<(usize, i32, i32), usize> = hashbrown::HashMap::new();
    for (i, (cell, _, _)) in points.iter().enumerate() {
        first.entry(*cell).or_insert(i);
    }
    points.sort_by_cached_key(|(cell, _, _)| first.get(cell).copied().unwrap_or(usize::MAX));
    for group in points.chunk_by(|a, b| a.0 == b.0) {
        if let [(_, (x, y), p)] = group {
            let props = p.attrs(store).properties;
            layers[p.layer].add_feature(Some(p.id), props, &TileGeometry::Point(*x, *y));
            continue;
        }
        let members: Vec<Attrs> = group.iter().map(|(_, _, p)| p.attrs(store)).collect();
        let cluster = profile.cluster(&members);
        let Some((_, (x, y), lead)) = group.get(cluster.lead) else {
            continue;
        };
        layers[lead.layer].add_feature(
            None,
            cluster.properties.as_ref(),
            &TileGeometry::Point(*x, *y),
        );
    }
}

/// Buffers one worker thread reuses from tile to tile and from feature to
/// feature: the rings being rounded, the clipping's two point lists, the
/// layers and the tile's MVT bytes. Allocating them afresh for every ring of
/// every feature of every tile was a sixth of the stage's time (allocator
/// and first-touch page faults), most of it at the low zooms where a ring
/// of thousands of points rounds to a handful.
#[derive(Default)]
struct Scratch {
    /// The current feature's rounded rings, per polygon, exterior first.
    parts: Vec<Vec<Vec<IntPoint>>>,
    /// Emptied ring lists and rings, to be filled again.
    spare_polys: Vec<Vec<Vec<IntPoint>>>,
    spare_rings: Vec<Vec<IntPoint>>,
    /// A ring in tile units, and the clipping's ping-pong buffer.
    projected: Vec<(f64, f64)>,
    clip_tmp: Vec<(f64, f64)>,
    layers: Vec<LayerBuilder>,
    mvt: Vec<u8>,
    layer_buf: Vec<u8>,
}

/// Rings longer than this (points) are not kept for reuse, nor more than
/// [`SPARE_RINGS`] of them (at most 8 MB a thread): the buffers of one huge
/// context polygon should not stay with a thread for the rest of the run.
const SPARE_RING_POINTS: usize = 1 << 12;
const SPARE_RINGS: usize = 256;

impl Scratch {
    /// An empty ring buffer, reused when there is one.
    fn ring(&mut self) -> Vec<IntPoint> {
        self.spare_rings.pop().unwrap_or_default()
    }

    /// Give `ring` back for reuse.
    fn give_ring(&mut self, mut ring: Vec<IntPoint>) {
        if ring.capacity() <= SPARE_RING_POINTS && self.spare_rings.len() < SPARE_RINGS {
            ring.clear();
            self.spare_rings.push(ring);
        }
    }

    /// Empty `parts`, keeping its buffers.
    fn recycle_parts(&mut self) {
        while let Some(mut poly) = self.parts.pop() {
            while let Some(ring) = poly.pop() {
                self.give_ring(ring);
            }
            if self.spare_polys.len() < SPARE_RINGS {
                self.spare_polys.push(poly);
            }
        }
    }
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// Whether `a` and `b` round to the same integer (`a.round() == b.round()`),
/// by the rounding of [`crate::geometry::round_i32`] where both lie within
/// i32 (tile units always do) rather than two calls to libm's `round` for
/// each feature of each tile.
fn same_integer(a: f64, b: f64) -> bool {
    const LIMIT: f64 = 2_147_483_647.0;
    if a.abs() < LIMIT && b.abs() < LIMIT {
        round_i32(a) == round_i32(b)
    } else {
        a.round() == b.round()
    }
}

/// Encode one tile; `None` when no feature left anything in it.
fn encode_tile<'a>(
    feats: impl Iterator<Item = &'a Prepared>,
    store: &Vertices,
    profile: &impl Profile,
    tile: (u8, u32, u32),
    cfg: &TileConfig,
) -> Option<Vec<u8>> {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut scratch) => encode_tile_with(&mut scratch, feats, store, profile, tile, cfg),
        // Only re-entry could find it taken (a worker waiting on another
        // task runs it): fresh buffers then.
        Err(_) => encode_tile_with(&mut Scratch::default(), feats, store, profile, tile, cfg),
    })
}

/// [`encode_tile`] with the thread's buffers.
fn encode_tile_with<'a>(
    scratch: &mut Scratch,
    feats: impl Iterator<Item = &'a Prepared>,
    store: &Vertices,
    profile: &impl Profile,
    (z, x, y): (u8, u32, u32),
    cfg: &TileConfig,
) -> Option<Vec<u8>> {
    let frame = TileFrame::new(z, x, y, cfg.extent);
    let to_tile = |u: (f64, f64)| frame.to_tile(u);
    let ext = f64::from(cfg.extent);
    let buf = f64::from(cfg.buffer);
    let rect = Rect {
        min_x: -buf,
        min_y: -buf,
        max_x: ext + buf,
        max_y: ext + buf,
    };
    let specs = profile.layers();
    let mut layers = std::mem::take(&mut scratch.layers);
    layers.truncate(specs.len());
    for (l, spec) in layers.iter_mut().zip(specs) {
        l.reset(spec.id, cfg.extent);
    }
    let have = layers.len();
    layers.extend(
        specs[have..]
            .iter()
            .map(|l| LayerBuilder::new(l.id, cfg.extent)),
    );
    let mut points: Vec<PlacedPoint> = Vec::new();
    for p in feats {
        let geometry = match &p.geometry {
            UnitGeometry::Point(ux, uy) => {
                let (px, py) = to_tile((*ux, *uy));
                if px < rect.min_x || px > rect.max_x || py < rect.min_y || py > rect.max_y {
                    continue;
                }
                let (px, py) = (tile_unit(px), tile_unit(py));
                let layer = p.layer;
                match profile.point_cell(layer) {
                    Some(c) => {
                        let cell = (layer, px.div_euclid(c), py.div_euclid(c));
                        points.push((cell, (px, py), p));
                        continue;
                    }
                    None => TileGeometry::Point(px, py),
                }
            }
            UnitGeometry::Polygons(shape) => {
                // Every vertex rounds to one column or one row: nothing of the
                // polygon survives quantisation. (Polygons under
                // MIN_AREA_UNITS2 were not assigned: `below_a_pixel`.)
                let (x0, y0) = to_tile((p.bbox[0], p.bbox[1]));
                let (x1, y1) = to_tile((p.bbox[2], p.bbox[3]));
                if same_integer(x0, x1) || same_integer(y0, y1) {
                    continue;
                }
                // Rings per polygon, exterior first. A ring that rounds to fewer
                // than three points has no area: a collapsed hole is dropped, a
                // collapsed exterior takes its polygon with it (its holes lie
                // inside it: the geometry is valid before tiling).
                // Wholly inside the buffered tile: nothing to clip.
                let within =
                    x0 >= rect.min_x && x1 <= rect.max_x && y0 >= rect.min_y && y1 <= rect.max_y;
                scratch.recycle_parts();
                for poly in shape.polygons(store) {
                    let mut rings = scratch.spare_polys.pop().unwrap_or_default();
                    for (k, ring) in poly.enumerate() {
                        let mut q = scratch.ring();
                        if within {
                            quantise_into(ring.iter().map(|&[x, y]| to_tile((x, y))), &mut q);
                        } else {
                            scratch.projected.clear();
                            scratch
                                .projected
                                .extend(ring.iter().map(|&[x, y]| to_tile((x, y))));
                            clip_ring_into(&mut scratch.projected, &rect, &mut scratch.clip_tmp);
                            if scratch.projected.len() >= 3 {
                                quantise_into(scratch.projected.iter().copied(), &mut q);
                            }
                        }
                        if q.len() >= 3 {
                            rings.push(q);
                        } else {
                            scratch.give_ring(q);
                            if k == 0 {
                                break;
                            }
                        }
                    }
                    if rings.is_empty() {
                        scratch.spare_polys.push(rings);
                    } else {
                        scratch.parts.push(rings);
                    }
                }
                let cleaned = match simple_polygons(&scratch.parts) {
                    Some(c) => c,
                    None => clean(scratch.parts.drain(..).flatten().collect()),
                };
                if cleaned.is_empty() {
                    continue;
                }
                TileGeometry::Polygons(cleaned.into_iter().flatten().collect())
            }
        };
        let props = p.attrs(store).properties;
        layers[p.layer].add_feature(Some(p.id), props, &geometry);
    }
    scratch.recycle_parts();
    add_points(&mut layers, profile, store, points);
    let tile = if layers.iter().all(LayerBuilder::is_empty) {
        None
    } else {
        let mvt = &mut scratch.mvt;
        mvt.clear();
        for l in layers.iter().filter(|l| !l.is_empty()) {
            l.write_to_with(mvt, &mut scratch.layer_buf);
        }
        Some(gzip(mvt))
    };
    scratch.layers = layers;
    tile
}

/// Gzip level of the tiles: libdeflate's fastest. On the 100k-hazard
/// benchmark's 45,715 tiles (147 MB of MVT), level 6 (libdeflate's default)
/// took 2.0 s of CPU for 89.05 MB, level 2 1.45 s for 91.0 MB, level 1
/// 1.1 s for 92.0 MB: 3 % more bytes for half the compression time, a
/// sixth of the tile stage. The tiles decoded are the same at any level.
const GZIP_LEVEL: i32 = 1;

thread_local! {
    /// libdeflate's compressor holds ~0.5 MB of tables: one per worker
    /// thread, with its output buffer.
    static GZIP: std::cell::RefCell<Option<(libdeflater::Compressor, Vec<u8>)>> =
        const { std::cell::RefCell::new(None) };
}

/// Gzip one tile. libdeflate writes mtime 0 and no file name: the bytes
/// depend on the input only, whatever thread compresses them. The
/// compressor writes into a buffer of the thread's, sized to its bound;
/// the tile gets a copy of exactly its bytes (the bound is the input's size
/// and more, which every tile kept until written).
fn gzip(data: &[u8]) -> Vec<u8> {
    GZIP.with(|cell| {
        let Ok(mut slot) = cell.try_borrow_mut() else {
            return gzip_zlib(data);
        };
        let (c, out) = slot.get_or_insert_with(|| {
            (
                libdeflater::Compressor::new(
                    libdeflater::CompressionLvl::new(GZIP_LEVEL)
                        .unwrap_or_else(|_| libdeflater::CompressionLvl::default()),
                ),
                Vec::new(),
            )
        });
        let bound = c.gzip_compress_bound(data.len());
        if out.len() < bound {
            out.resize(bound, 0);
        }
        match c.gzip_compress(data, &mut out[..bound]) {
            Ok(n) => out[..n].to_vec(),
            // The bound is what libdeflate promises any input fits in; should
            // it ever not, zlib has no such limit.
            Err(_) => gzip_zlib(data),
        }
    })
}

/// Gzip with zlib (flate2): the fallback of [`gzip`].
fn gzip_zlib(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = gz.write_all(data);
    gz.finish().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn gunzip(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(data)
            .read_to_end(&mut out)
            .expect("valid gzip");
        out
    }

    type Nested = Vec<Vec<Vec<(f64, f64)>>>;

    fn nested(polygons: Polygons) -> Nested {
        polygons
            .map(|rings| {
                rings
                    .map(|r| r.iter().map(|&[x, y]| (x, y)).collect())
                    .collect()
            })
            .collect()
    }

    fn ring(n: usize, at: f64) -> Vec<(f64, f64)> {
        (0..n)
            .map(|i| (at + i as f64, at * 2.0 - i as f64))
            .collect()
    }

    #[test]
    fn shapes_give_back_their_polygons_and_rings() {
        let cases: Vec<Nested> = vec![
            vec![vec![ring(4, 0.0)]],
            vec![vec![ring(5, 0.0), ring(3, 10.0)]],
            vec![vec![ring(4, 0.0)], vec![ring(3, 1.0)]],
            vec![
                vec![ring(3, 0.0), ring(4, 1.0), ring(3, 2.0)],
                vec![ring(6, 3.0)],
                vec![ring(3, 4.0), ring(0, 5.0)],
            ],
            vec![vec![ring(0, 0.0)]],
        ];
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut store = Vertices::create_in(dir.path(), Window::Narrow).expect("a store");
        let mut stored = Vec::new();
        for polys in &cases {
            let built = Built::from_polygons(polys).expect("a shape");
            assert_eq!(&nested(built.polygons()), polys);
            assert_eq!(built.rings.is_empty(), polys.iter().flatten().count() == 1);
            assert_eq!(&nested(built.moved_x(0.0).polygons()), polys);
            stored.push(built.store(&mut store).expect("stored"));
        }
        store.flush().expect("written");
        for (shape, polys) in stored.iter().zip(&cases) {
            assert_eq!(&nested(shape.polygons(&store)), polys);
        }
        assert!(Built::from_polygons(&[]).is_none());
    }

    #[test]
    fn junctions_go_into_their_rings() {
        let polys: Nested = vec![vec![ring(4, 0.0), ring(3, 10.0)], vec![ring(5, 20.0)]];
        let shape = Built::from_polygons(&polys).expect("a shape");
        // after: the index in the shape's vertices, ring after ring
        let found = [(0, 1.0), (0, 2.0), (3, 3.0), (4, 4.0), (6, 5.0), (11, 6.0)];
        let found: Vec<Junction> = found
            .iter()
            .map(|&(after, v)| Junction { after, at: [v, -v] })
            .collect();
        let mut want = polys.clone();
        want[0][0].insert(1, (1.0, -1.0));
        want[0][0].insert(2, (2.0, -2.0));
        want[0][0].push((3.0, -3.0));
        want[0][1].insert(1, (4.0, -4.0));
        want[0][1].push((5.0, -5.0));
        want[1][0].insert(5, (6.0, -6.0));
        let got = with_junctions(&shape.verts, &shape.rings, &found).expect("room");
        assert_eq!(nested(got.polygons()), want);
        let single = Built::from_polygons(&[vec![ring(3, 0.0)]]).expect("a shape");
        let got = with_junctions(
            &single.verts,
            &single.rings,
            &[Junction {
                after: 2,
                at: [9.0, 9.0],
            }],
        )
        .expect("room");
        assert_eq!(
            nested(got.polygons()),
            vec![vec![{
                let mut r = ring(3, 0.0);
                r.push((9.0, 9.0));
                r
            }]]
        );
        assert_eq!(std::mem::size_of::<Junction>(), 20);
    }

    #[test]
    fn f32_bounds_hold_their_f64() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let spread = (0..20_000).map(|_| {
            let r = crate::geometry::test_rings::xorshift64(&mut state);
            // unit coordinates and the junction margin around them
            (r >> 11) as f64 / (1u64 << 53) as f64 * 2.2 - 1.1
        });
        let edges = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            2e-9,
            -2e-9,
            0.1,
            1.0 + 2e-9,
            f64::from(0.3f32),
        ];
        for v in spread.chain(edges) {
            let (lo, hi) = (f32_below(v), f32_above(v));
            assert!(f64::from(lo) <= v && v <= f64::from(hi), "{v}");
            // the nearest such: one step further would cross v
            assert!(f64::from(lo.next_up()) > v || f64::from(lo) == v, "{v}");
            assert!(f64::from(hi.next_down()) < v || f64::from(hi) == v, "{v}");
        }
    }

    #[test]
    fn same_integer_is_equal_rounding() {
        let vals = [
            -3e9,
            -2.5,
            -1.5,
            -0.5,
            -0.49,
            -0.0,
            0.0,
            0.49,
            0.5,
            1.5,
            2.5,
            4095.5,
            3e9,
            f64::NAN,
        ];
        for a in vals {
            for b in vals {
                assert_eq!(same_integer(a, b), a.round() == b.round(), "{a} {b}");
            }
        }
    }

    #[test]
    fn gzip_round_trips_and_is_deterministic() {
        let tile: Vec<u8> = (0..20_000u32).map(|i| (i * 7 % 251) as u8).collect();
        for data in [&[][..], &b"x"[..], &tile[..]] {
            let a = gzip(data);
            assert_eq!(gunzip(&a), data);
            assert_eq!(gzip(data), a, "same bytes for the same input");
            // mtime 0: the archive does not depend on when it was built
            assert_eq!(&a[4..8], &[0, 0, 0, 0]);
            assert_eq!(gunzip(&gzip_zlib(data)), data);
        }
        // from another thread (another compressor) too
        let t = tile.clone();
        let other = std::thread::spawn(move || gzip(&t)).join().expect("thread");
        assert_eq!(other, gzip(&tile));
    }
}
