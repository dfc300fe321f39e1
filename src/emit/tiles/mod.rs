//! Vector tiles for the web: `tiles.pmtiles` (PMTiles v3 of gzipped MVT 2.1)
//! and `tiles.json` (TileJSON 3.0.0) of docs/design.md "Outputs"; with
//! `--format mbtiles`, `tiles.mbtiles` (MBTiles 1.3) instead of the PMTiles
//! archive, holding the very same tiles. The map page (`index.html`) reads
//! only PMTiles, so it shows no tiles in an MBTiles bundle.
//!
//! This stage owns the policy and the call:
//! - `profile`: which layers, features, ids, attributes, ordering and
//!   clustering;
//! - the machinery (grid, clipping, tiler, MVT, archives) is [`crate::tiles`].

mod profile;

pub use profile::TileMeta;

use crate::emit::atomic::Staging;
use crate::emit::context::{parts, Window};
use crate::emit::{Bundle, EmitConfig};
use crate::error::{Error, Result};
use crate::measure::Accounting;
use crate::reconcile::Reconciled;
use crate::tiles::{write_tileset, TileConfig, TileFormat, TileStats};
use std::path::Path;

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
        &cfg.tile_config(),
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
///    hazard points, and the context of the config's country).
/// 2. Tile z`min_zoom`..=z`max_zoom` ([`write_tileset`]) straight into the
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
    cfg.check()?;
    let window = Window::of(meta.country.as_deref()).map_err(Error::Internal)?;
    let context = match (&window, meta.country.as_deref()) {
        (Some(w), Some(c)) => parts(c, w).map_err(Error::Internal)?,
        _ => Vec::new(),
    };
    let features = profile::features(rec, acc, &context);
    let target = out.join(format.file_name());
    let tmp = staging.path_for(&target);
    let (stats, tilejson) = write_tileset(
        features,
        &profile::LandRelease {
            context_max_zoom: window.map(|w| w.max_zoom),
        },
        cfg,
        &meta.tileset(),
        format,
        &tmp,
        &target,
    )?;
    staging.write(&out.join("tiles.json"), |w| {
        serde_json::to_writer_pretty(&mut *w, &tilejson)?;
        w.write_all(b"\n")
    })?;
    Ok(stats)
}
