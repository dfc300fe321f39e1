//! Vector tiles for the web: `tiles.pmtiles` (PMTiles v3 of gzipped MVT 2.1)
//! and `tiles.json` (TileJSON 3.0.0) of docs/design.md "Outputs"; with
//! `--format mbtiles`, `tiles.mbtiles` (MBTiles 1.3, [`mbtiles`]) instead of
//! the PMTiles archive, holding the very same tiles.
//!
//! An MBTiles file is not served by a static file server: its `tiles.json`
//! points at [`MBTILES_TILE_URL`], a placeholder on the reserved `.invalid`
//! domain, to be replaced with the URL template of the tile server that serves
//! the file (tileserver-gl, martin, mbtileserver…). The map page (`index.html`)
//! reads only PMTiles, so it shows no tiles in an MBTiles bundle.
//!
//! - [`profile`]: which layers, features, ids, attributes and zooms (policy);
//! - [`crate::tiles`]: the grid, clipping, the tiler, MVT and the archives.

pub mod profile;

pub use profile::{TileConfig, TileMeta};

use crate::emit::atomic::Staging;
use crate::emit::{Bundle, EmitConfig};
use crate::error::{Error, Result};
use crate::measure::Accounting;
use crate::reconcile::Reconciled;
use crate::tiles::{grid, mbtiles, tiler};
use pmtiles::{Compression, PmTilesStreamWriter, PmTilesWriter, TileCoord, TileType};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

/// What a tiling run produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TileStats {
    /// Non-empty tiles written, per zoom.
    pub tiles_per_zoom: BTreeMap<u8, u64>,
    /// Compressed tile bytes, per zoom (before deduplication).
    pub tile_bytes_per_zoom: BTreeMap<u8, u64>,
    /// Size of tiles.pmtiles (or tiles.mbtiles).
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
}

/// Where the tiler's tiles go: one of the two archive writers.
trait TileSink {
    fn add(&mut self, t: &tiler::EncodedTile) -> Result<()>;
    fn finish(self: Box<Self>) -> Result<()>;
}

struct PmtilesSink {
    writer: PmTilesStreamWriter<BufWriter<File>>,
    target: std::path::PathBuf,
}

impl TileSink for PmtilesSink {
    fn add(&mut self, t: &tiler::EncodedTile) -> Result<()> {
        let coord = TileCoord::new(t.z, t.x, t.y).map_err(|e| io_err(&self.target, e))?;
        self.writer
            .add_tile(coord, &t.data)
            .map_err(|e| io_err(&self.target, e))
    }

    fn finish(self: Box<Self>) -> Result<()> {
        self.writer.finalize().map_err(|e| io_err(&self.target, e))
    }
}

impl TileSink for mbtiles::MbtilesWriter {
    fn add(&mut self, t: &tiler::EncodedTile) -> Result<()> {
        self.add_tile(t.z, t.x, t.y, &t.data)
    }

    fn finish(self: Box<Self>) -> Result<()> {
        mbtiles::MbtilesWriter::finish(*self)
    }
}

/// The URL template written into tiles.json: the `pmtiles://` protocol of the
/// PMTiles JS library (`maplibregl.addProtocol("pmtiles", …)`) resolves
/// `pmtiles://URL/{z}/{x}/{y}` by range requests on URL; "tiles.pmtiles" is
/// relative, so the bundle works wherever it is served from.
pub const TILE_URL: &str = "pmtiles://tiles.pmtiles/{z}/{x}/{y}";

/// The URL template in an MBTiles bundle's tiles.json: a placeholder (the
/// `.invalid` top-level domain never resolves) for the template of the server
/// that serves tiles.mbtiles; replace it when deploying.
pub const MBTILES_TILE_URL: &str = "https://tile-server.invalid/clearmap/{z}/{x}/{y}.pbf";

fn vector_layers(cfg: &TileConfig) -> Value {
    Value::Array(
        profile::LAYERS
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
    ((-span.log2()).floor().max(0.0) as u8).clamp(cfg.min_zoom, cfg.max_zoom)
}

fn io_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Output {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    }
}

/// Write only the tiles (`clearmap tiles`): the container of
/// `cfg.tile_format` and tiles.json into `out`, committed together; nothing
/// else in `out` is touched but a container of the other format, which would
/// be stale.
pub fn write_tiles_only(out: &Path, cfg: &EmitConfig, b: &Bundle) -> Result<TileStats> {
    std::fs::create_dir_all(out).map_err(|e| io_err(out, e))?;
    crate::emit::atomic::sweep_temporaries(out);
    let mut staging = Staging::new();
    let stats = write_tiles_as(
        &mut staging,
        out,
        b.reconciled,
        b.accounting,
        &TileConfig::default(),
        &TileMeta::of(cfg),
        cfg.tile_format,
    )?;
    staging.commit()?;
    remove_other_container(out, cfg.tile_format)?;
    Ok(stats)
}

/// Remove the container of the format other than `kept` from `out`: left by
/// an earlier build in that format, it would disagree with tiles.json and the
/// figures.
pub fn remove_other_container(out: &Path, kept: TileFormat) -> Result<()> {
    for f in [TileFormat::Pmtiles, TileFormat::Mbtiles] {
        if f == kept {
            continue;
        }
        match std::fs::remove_file(out.join(f.file_name())) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(Error::Output {
                    path: out.join(f.file_name()),
                    source: e,
                })
            }
            _ => {}
        }
    }
    Ok(())
}

/// Stage `tiles.pmtiles` and `tiles.json` for the bundle directory `out`.
///
/// 1. Ask the profile for the features (remaining hazards, release pieces,
///    hazard points).
/// 2. Tile z`min_zoom`..=z`max_zoom` ([`tiler::tile_all`]) straight into the
///    PMTiles writer, under the staging's temporary name.
/// 3. Write the TileJSON that points at it.
pub fn write_tiles(
    staging: &mut Staging,
    out: &Path,
    rec: &Reconciled,
    acc: &Accounting,
    cfg: &TileConfig,
    meta: &TileMeta,
) -> Result<TileStats> {
    write_tiles_as(staging, out, rec, acc, cfg, meta, TileFormat::Pmtiles)
}

/// [`write_tiles`] into the container `format`: the same tiler stream feeds
/// the PMTiles writer or the MBTiles one.
pub fn write_tiles_as(
    staging: &mut Staging,
    out: &Path,
    rec: &Reconciled,
    acc: &Accounting,
    cfg: &TileConfig,
    meta: &TileMeta,
    format: TileFormat,
) -> Result<TileStats> {
    if cfg.min_zoom > cfg.max_zoom || cfg.max_zoom > 24 || cfg.extent == 0 {
        return Err(Error::Internal(format!("invalid tile config {cfg:?}")));
    }
    let features = profile::features(rec, acc);
    let prepared = tiler::prepare(&features);
    // 7 decimals (~1 cm), as the PMTiles header stores them.
    let bounds = tiler::bounds(&prepared)
        .unwrap_or([-180.0, -grid::MAX_LAT, 180.0, grid::MAX_LAT])
        .map(|v| crate::emit::geojson::round(v, 7));
    let center = [(bounds[0] + bounds[2]) / 2.0, (bounds[1] + bounds[3]) / 2.0]
        .map(|v| crate::emit::geojson::round(v, 7));
    let czoom = center_zoom(&bounds, cfg);
    let name = meta.name.clone().unwrap_or_else(|| "clearmap".into());
    let layers = vector_layers(cfg);
    let metadata = json!({
        "name": name,
        "attribution": meta.attribution,
        "description": "Hazardous areas remaining and land released (clearmap)",
        "generator": concat!("clearmap ", env!("CARGO_PKG_VERSION")),
        "type": "overlay",
        "format": "pbf",
        "vector_layers": layers,
    });

    let target = out.join(format.file_name());
    let tmp = staging.path_for(&target);
    let mut stats = TileStats::default();
    let mut sink: Box<dyn TileSink> = match format {
        TileFormat::Pmtiles => {
            let file = File::create(&tmp).map_err(|e| io_err(&target, e))?;
            let writer = PmTilesWriter::new(TileType::Mvt)
                .precompressed(Compression::Gzip)
                .min_zoom(cfg.min_zoom)
                .max_zoom(cfg.max_zoom)
                .bounds(bounds[0], bounds[1], bounds[2], bounds[3])
                .center(center[0], center[1])
                .center_zoom(czoom)
                .metadata(metadata.to_string())
                .create(BufWriter::with_capacity(1 << 20, file))
                .map_err(|e| io_err(&target, e))?;
            Box::new(PmtilesSink {
                writer,
                target: target.clone(),
            })
        }
        TileFormat::Mbtiles => {
            let list = |v: &[f64]| v.iter().map(f64::to_string).collect::<Vec<_>>().join(",");
            let mut rows = vec![
                ("name", name.clone()),
                ("format", "pbf".to_string()),
                ("bounds", list(&bounds)),
                ("center", format!("{},{czoom}", list(&center))),
                ("minzoom", cfg.min_zoom.to_string()),
                ("maxzoom", cfg.max_zoom.to_string()),
                ("json", json!({ "vector_layers": layers }).to_string()),
                ("type", "overlay".to_string()),
                (
                    "description",
                    metadata["description"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                ),
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
            Box::new(mbtiles::MbtilesWriter::create(&tmp, &target, &rows)?)
        }
    };
    tiler::tile_all(&prepared, cfg, |t| {
        *stats.tiles_per_zoom.entry(t.z).or_default() += 1;
        *stats.tile_bytes_per_zoom.entry(t.z).or_default() += t.data.len() as u64;
        sink.add(&t)
    })?;
    sink.finish()?;
    File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(|e| io_err(&target, e))?;
    stats.archive_bytes = std::fs::metadata(&tmp)
        .map_err(|e| io_err(&target, e))?
        .len();

    let tilejson = json!({
        "tilejson": "3.0.0",
        "name": name,
        "attribution": meta.attribution,
        "scheme": "xyz",
        "tiles": [match format {
            TileFormat::Pmtiles => TILE_URL,
            TileFormat::Mbtiles => MBTILES_TILE_URL,
        }],
        "vector_layers": layers,
        "bounds": bounds,
        "center": [center[0], center[1], czoom],
        "minzoom": cfg.min_zoom,
        "maxzoom": cfg.max_zoom,
    });
    staging.write(&out.join("tiles.json"), |w| {
        serde_json::to_writer_pretty(&mut *w, &tilejson)?;
        w.write_all(b"\n")
    })?;
    Ok(stats)
}
