//! Vector tiles, apart from what goes in them: the tile grid, clipping, the
//! tiler, the MVT encoder and decoder, and the PMTiles and MBTiles archives.

pub mod clip;
pub mod grid;
pub mod mbtiles;
pub mod mvt;
pub mod pmtiles;
pub mod tiler;
