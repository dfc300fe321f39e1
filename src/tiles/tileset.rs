//! Writing a tileset: a profile's features tiled ([`super::tiler`]) straight
//! into the archive of the chosen format — PMTiles v3 ([`super::pmtiles`]) or
//! MBTiles 1.3 ([`super::mbtiles`]), the very same gzipped MVT tiles — with
//! the TileJSON 3.0.0 that describes it.
//!
//! TileJSON 3.0.0 §3.2 wants absolute tile URLs. Given the URL the tileset's
//! folder is published at ([`TilesetMeta::base_url`]), the URLs are absolute
//! under it; without one they stay relative to tiles.json, so that a bundle
//! works from any folder, and tiles.json's `description` says so.
//!
//! An MBTiles file is not served by a static file server but by a tile
//! server (tileserver-gl, martin, mbtileserver…): with a base URL, the tiles
//! are expected at `BASE{z}/{x}/{y}.pbf`; without one, the template is the
//! relative `{z}/{x}/{y}.pbf` (no made-up host) and the description says that
//! the file needs a tile server.

use super::grid;
use super::mbtiles::MbtilesWriter;
use super::pmtiles::PmtilesWriter;
use super::profile::{Feature, Profile, TileConfig};
use super::tiler::{self, EncodedTile};
use crate::error::{Error, Result};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;

/// What a tiling run produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TileStats {
    /// Non-empty tiles written, per zoom.
    pub tiles_per_zoom: BTreeMap<u8, u64>,
    /// Compressed tile bytes, per zoom (before deduplication).
    pub tile_bytes_per_zoom: BTreeMap<u8, u64>,
    /// Size of the archive.
    pub archive_bytes: u64,
}

impl TileStats {
    /// Non-empty tiles written, all zooms.
    pub fn tiles(&self) -> u64 {
        self.tiles_per_zoom.values().sum()
    }
}

/// The container the tiles are written in (`clearmap build --format`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum TileFormat {
    /// tiles.pmtiles (PMTiles v3), read by the map page with range requests.
    #[default]
    Pmtiles,
    /// tiles.mbtiles (MBTiles 1.3, SQLite), for tile servers and GIS.
    Mbtiles,
}

impl TileFormat {
    /// The archive's file name in the bundle.
    pub fn file_name(self) -> &'static str {
        match self {
            TileFormat::Pmtiles => "tiles.pmtiles",
            TileFormat::Mbtiles => "tiles.mbtiles",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TileFormat::Pmtiles => "pmtiles",
            TileFormat::Mbtiles => "mbtiles",
        }
    }

    /// The URL template of the tiles in the TileJSON, under `base` (the
    /// published folder, ending with `/`) or relative without one.
    pub fn tile_url(self, base: Option<&str>) -> String {
        let base = base.unwrap_or_default();
        match self {
            TileFormat::Pmtiles => {
                format!("pmtiles://{base}{}/{{z}}/{{x}}/{{y}}", self.file_name())
            }
            TileFormat::Mbtiles => format!("{base}{MBTILES_TILE_PATH}"),
        }
    }

    /// What tiles.json's description adds about its tile URL.
    fn url_note(self, base: Option<&str>) -> &'static str {
        match (self, base) {
            (TileFormat::Pmtiles, Some(_)) => "",
            (TileFormat::Pmtiles, None) => {
                " Tile URLs are relative to this file (no base URL was given), so the bundle works from any folder; TileJSON 3.0.0 asks for absolute URLs: build with --base-url URL (or [publish] base_url) to write them."
            }
            (TileFormat::Mbtiles, Some(_)) => {
                " tiles.mbtiles is served by a tile server at the base URL."
            }
            (TileFormat::Mbtiles, None) => {
                " MBTiles needs a tile server (tileserver-gl, martin, mbtileserver…) to serve tiles.mbtiles: the tile URL is relative until the build is given its URL with --base-url URL (or [publish] base_url)."
            }
        }
    }
}

/// The URL template written into tiles.json without a base URL: the
/// `pmtiles://` protocol of the PMTiles JS library
/// (`maplibregl.addProtocol("pmtiles", …)`) resolves `pmtiles://URL/{z}/{x}/{y}`
/// by range requests on URL; "tiles.pmtiles" is relative, so the bundle works
/// wherever it is served from.
pub const TILE_URL: &str = "pmtiles://tiles.pmtiles/{z}/{x}/{y}";

/// Where a tile server is expected to serve tiles.mbtiles' tiles, under the
/// base URL (`BASE{z}/{x}/{y}.pbf`).
pub const MBTILES_TILE_PATH: &str = "{z}/{x}/{y}.pbf";

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

/// One layer of the tiles, as TileJSON `vector_layers` describes it.
#[derive(Debug, Clone, Copy)]
pub struct LayerSpec {
    pub id: &'static str,
    pub description: &'static str,
    pub fields: &'static [(&'static str, FieldType)],
}

/// Descriptive metadata of a tileset (archive metadata and TileJSON).
#[derive(Debug, Clone)]
pub struct TilesetMeta {
    pub name: String,
    pub description: String,
    /// Shown by map clients as HTML: escaped by the caller.
    pub attribution: Option<String>,
    /// The URL the tileset's folder is published at, ending with `/`.
    pub base_url: Option<String>,
}

/// Where the tiles lie: the lon/lat bounds (west, south, east, north) and the
/// centre, to 7 decimals as the PMTiles header stores them, and a zoom at
/// which the whole extent fits in about one tile.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Envelope {
    pub bounds: [f64; 4],
    pub center: [f64; 2],
    pub center_zoom: u8,
}

fn vector_layers(layers: &[LayerSpec], cfg: &TileConfig) -> Value {
    Value::Array(
        layers
            .iter()
            .map(|l| {
                let fields: serde_json::Map<String, Value> = l
                    .fields
                    .iter()
                    .map(|(k, t)| (k.to_string(), json!(t.as_str())))
                    .collect();
                json!({
                    "id": l.id,
                    "description": l.description,
                    "fields": fields,
                    "minzoom": cfg.min_zoom,
                    "maxzoom": cfg.max_zoom,
                })
            })
            .collect(),
    )
}

/// A zoom at which the whole extent fits in about one tile.
fn center_zoom(b: &[f64; 4], cfg: &TileConfig) -> u8 {
    let (x0, y0) = grid::to_unit(b[0], b[3]);
    let (x1, y1) = grid::to_unit(b[2], b[1]);
    let span = (x1 - x0).max(y1 - y0).max(1e-12);
    grid::zoom_of_span(span).clamp(cfg.min_zoom, cfg.max_zoom)
}

/// An output error on `path`.
pub(crate) fn output_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Output {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    }
}

/// Where the tiler's tiles go: one of the two archive writers.
trait TileSink {
    fn add(&mut self, t: &EncodedTile) -> Result<()>;
    fn finish(self: Box<Self>) -> Result<()>;
}

impl TileSink for PmtilesWriter {
    fn add(&mut self, t: &EncodedTile) -> Result<()> {
        self.add_tile(t.z, t.x, t.y, &t.data)
    }

    fn finish(self: Box<Self>) -> Result<()> {
        PmtilesWriter::finish(*self)
    }
}

impl TileSink for MbtilesWriter {
    fn add(&mut self, t: &EncodedTile) -> Result<()> {
        self.add_tile(t.z, t.x, t.y, &t.data)
    }

    fn finish(self: Box<Self>) -> Result<()> {
        MbtilesWriter::finish(*self)
    }
}

/// Tile `features` as `profile` says, z`min_zoom`..=z`max_zoom` of `cfg`,
/// into the archive of `format` at `tmp` (errors name `target`, the archive's
/// final path), synced; the run's figures and the TileJSON of the tileset.
pub fn write_tileset(
    features: Vec<Feature>,
    profile: &impl Profile,
    cfg: &TileConfig,
    meta: &TilesetMeta,
    format: TileFormat,
    tmp: &Path,
    target: &Path,
) -> Result<(TileStats, Value)> {
    cfg.check()?;
    // The tiler's vertex files go beside the archive, on the disk the
    // bundle is written to.
    let dir = tmp.parent().unwrap_or(Path::new("."));
    let prepared = tiler::prepare(features, profile, dir).map_err(|e| {
        output_err(
            target,
            format!(
                "the tiler's temporary vertex file in {}: {e}",
                dir.display()
            ),
        )
    })?;
    // 7 decimals (~1 cm), as the PMTiles header stores them.
    let bounds = tiler::bounds(&prepared, profile)
        .unwrap_or([-180.0, -grid::MAX_LAT, 180.0, grid::MAX_LAT])
        .map(|v| crate::geometry::round(v, 7));
    // TileJSON and PMTiles bounds cannot cross the antimeridian: records
    // across it get the whole band as bounds, and their own centre and zoom
    // as the centre, which the map page opens on.
    let view = tiler::crossing_view(&prepared, profile)
        .map(|v| v.map(|x| crate::geometry::round(x, 7)))
        .unwrap_or(bounds);
    let centre_lon = (view[0] + view[2]) / 2.0;
    let centre_lon = if centre_lon > 180.0 {
        centre_lon - 360.0
    } else {
        centre_lon
    };
    let center = [centre_lon, (view[1] + view[3]) / 2.0].map(|v| crate::geometry::round(v, 7));
    let envelope = Envelope {
        bounds,
        center,
        center_zoom: center_zoom(&view, cfg),
    };
    let layers = vector_layers(profile.layers(), cfg);
    let metadata = json!({
        "name": meta.name,
        "attribution": meta.attribution,
        "description": meta.description,
        "generator": concat!("clearmap ", env!("CARGO_PKG_VERSION")),
        "type": "overlay",
        "format": "pbf",
        "vector_layers": layers,
    });

    let mut stats = TileStats::default();
    let mut sink: Box<dyn TileSink> = match format {
        TileFormat::Pmtiles => Box::new(PmtilesWriter::create(
            tmp,
            target,
            cfg,
            &envelope,
            &metadata.to_string(),
        )?),
        TileFormat::Mbtiles => {
            let list = |v: &[f64]| v.iter().map(f64::to_string).collect::<Vec<_>>().join(",");
            let mut rows = vec![
                ("name", meta.name.clone()),
                ("format", "pbf".to_string()),
                ("bounds", list(&bounds)),
                (
                    "center",
                    format!("{},{}", list(&center), envelope.center_zoom),
                ),
                ("minzoom", cfg.min_zoom.to_string()),
                ("maxzoom", cfg.max_zoom.to_string()),
                ("json", json!({ "vector_layers": layers }).to_string()),
                ("type", "overlay".to_string()),
                ("description", meta.description.clone()),
                (
                    "generator",
                    metadata["generator"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                ),
            ];
            if let Some(a) = &meta.attribution {
                rows.push(("attribution", a.clone()));
            }
            Box::new(MbtilesWriter::create(tmp, target, &rows)?)
        }
    };
    tiler::tile_all(&prepared, profile, cfg, |t| {
        *stats.tiles_per_zoom.entry(t.z).or_default() += 1;
        *stats.tile_bytes_per_zoom.entry(t.z).or_default() += t.data.len() as u64;
        sink.add(&t)
    })?;
    sink.finish()?;
    File::open(tmp)
        .and_then(|f| f.sync_all())
        .map_err(|e| output_err(target, e))?;
    stats.archive_bytes = std::fs::metadata(tmp)
        .map_err(|e| output_err(target, e))?
        .len();

    let base = meta.base_url.as_deref();
    let mut tilejson = json!({
        "tilejson": "3.0.0",
        "name": meta.name,
        "description": match format.url_note(base) {
            "" => meta.description.clone(),
            note => format!("{}.{note}", meta.description.trim_end_matches('.')),
        },
        "scheme": "xyz",
        "tiles": [format.tile_url(base)],
        "vector_layers": layers,
        "bounds": bounds,
        "center": [center[0], center[1], envelope.center_zoom],
        "minzoom": cfg.min_zoom,
        "maxzoom": cfg.max_zoom,
    });
    // The schema's attribution is a string: absent rather than null.
    if let Some(a) = &meta.attribution {
        tilejson["attribution"] = json!(a);
    }
    Ok((stats, tilejson))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_urls_relative_or_under_the_base() {
        assert_eq!(TileFormat::Pmtiles.tile_url(None), TILE_URL);
        assert_eq!(
            TileFormat::Pmtiles.tile_url(Some("https://maps.example.org/khm/")),
            "pmtiles://https://maps.example.org/khm/tiles.pmtiles/{z}/{x}/{y}"
        );
        assert_eq!(TileFormat::Mbtiles.tile_url(None), "{z}/{x}/{y}.pbf");
        assert_eq!(
            TileFormat::Mbtiles.tile_url(Some("https://tiles.example.org/khm/")),
            "https://tiles.example.org/khm/{z}/{x}/{y}.pbf"
        );
        assert!(TileFormat::Pmtiles.url_note(None).contains("relative"));
        assert!(TileFormat::Mbtiles.url_note(None).contains("tile server"));
        assert!(TileFormat::Pmtiles
            .url_note(Some("https://a.org/"))
            .is_empty());
    }
}
