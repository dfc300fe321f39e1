//! Vector tiles, apart from what goes in them: the machinery knows no layer
//! and no attribute; a [`Profile`] (the emit stage's) chooses them.
//!
//! Files are named after the parts of the formats they implement:
//! - [`grid`]: lon/lat, the Web Mercator world square, tile-local units, and
//!   the PMTiles TileID;
//! - `clip`: clipping rings to the buffered tile and integer cleaning;
//! - `profile`: what the tiler is handed: [`TileConfig`], [`Feature`]s and
//!   the [`Profile`] they follow;
//! - `tiler`: the features of a [`Profile`], zoom by zoom, in parallel, to
//!   gzipped tiles;
//! - [`mvt`]: the Mapbox Vector Tile 2.1 encoder and decoder;
//! - [`pmtiles`]: the PMTiles v3 writer and reader; [`mbtiles`]: MBTiles 1.3;
//! - `tileset`: the tiler's stream into an archive, with its TileJSON;
//! - `wrap`: features across the antimeridian, one copy each side;
//! - [`inspect`]: what `clearmap inspect` prints of an archive.

pub(crate) mod clip;
pub mod grid;
pub mod inspect;
pub mod mbtiles;
pub mod mvt;
pub mod pmtiles;
mod profile;
mod store;
mod tiler;
mod tileset;
mod wrap;

pub use profile::{
    Attrs, Cluster, Feature, FeatureGeometry, Profile, Properties, Props, TileConfig,
};
pub use tileset::{
    write_tileset, FieldType, LayerSpec, TileFormat, TileStats, TilesetMeta, MBTILES_TILE_PATH,
    TILE_URL,
};
