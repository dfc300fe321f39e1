//! Ingest: read every configured source into raw records whose attributes are
//! already mapped to canonical fields and whose geometries are in WGS84
//! lon/lat, but not yet checked or repaired (that is normalize's job).
//!
//! This file is the door: [`ingest`] reads the sources in config order, and
//! [`read_source`] chooses each one's reader. The readers, each a folder of
//! the same shape (an entry point `read` in its `mod.rs`):
//! - `gdal/`: any vector format GDAL opens, one layer per source (how a file
//!   is opened, `gdal/open.rs`; its coded-value domains, `gdal/domains.rs`);
//! - `geojson/`: the pure-Rust reader of the common plain GeoJSON export,
//!   which steps aside to GDAL for anything it cannot read as GDAL would;
//! - `points/`: polygons built from the IMSMA NG point-import template.
//!
//! Shared by them: the config sections ingest owns ([`SourceConfig`],
//! [`Limits`], [`Field`], [`Preset`]), the CRS of a source (`crs.rs`), the
//! field and value mappings (`mapping.rs`, `presets.rs`), what every reader
//! does with a record (`record.rs`), the input fingerprints
//! (`fingerprint.rs`), computed once per build and read by the manifest, and
//! what stops a read ([`IngestError`], `error.rs`).

mod country;
mod crs;
mod datum;
mod error;
mod field;
mod fingerprint;
mod gdal;
mod geojson;
pub(crate) mod limits;
mod mapping;
pub mod points;
mod preset_toml;
mod presets;
mod record;
mod source;

use crate::diagnostics::Diagnostics;
use crate::ingest::error::Result;
pub use error::{
    ConfigRef, IngestError, LimitsError, ReadStop, SourceConfigError, UnmappedValue,
    ValueMappingError,
};
pub use field::Field;
pub(crate) use fingerprint::hex;
#[cfg(test)]
pub(crate) use fingerprint::HASHED;
pub use fingerprint::{fingerprints, InputFile};
pub use limits::{check_container, zip_entries, Limits, ZipEntry};
pub use mapping::CanonicalAttrs;
pub use presets::Preset;
// For `clearmap describe`, `init` and `presets`.
pub(crate) use crs::{proj_version, suggest as suggest_crs, Extent};
pub(crate) use gdal::layers;
pub(crate) use mapping::{canonical_choices, parse_date, DateError, RawValue};
pub(crate) use preset_toml::{
    list as preset_list, role_fields, role_value_fields, to_toml as preset_toml,
};
pub use record::{RawGeometry, RawRecord, SourceBatch};
pub use source::SourceConfig;
use std::path::{Path, PathBuf};

/// Ingest's part of the config: the sources, the `[limits]`, the country (a
/// hint for a source's CRS), and where relative paths start.
#[derive(Debug, Clone, Copy)]
pub struct IngestConfig<'a> {
    pub sources: &'a [SourceConfig],
    pub limits: Limits,
    /// ISO 3166-1 alpha-3 code of the country, if the config gives one.
    pub country: Option<&'a str>,
    /// Directory that relative source paths are resolved against (the config's).
    pub base_dir: &'a Path,
    /// The config file, named in config errors; `None` for the zero-config form.
    pub config_path: Option<&'a Path>,
    /// Counts the records read, for a person watching.
    pub progress: &'a crate::progress::Progress,
}

impl IngestConfig<'_> {
    /// A source path resolved against the config's directory.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base_dir.join(p)
        }
    }

    /// The config a config fault names (none in the zero-config form).
    fn config_ref(&self) -> error::ConfigRef {
        error::ConfigRef(self.config_path.map(Path::to_path_buf))
    }
}

/// The product of ingest.
#[derive(Debug, Default)]
pub struct Ingested {
    pub batches: Vec<SourceBatch>,
    pub diagnostics: Diagnostics,
}

/// Read all sources of a config, in config order.
pub fn ingest<'a>(cfg: impl Into<IngestConfig<'a>>) -> Result<Ingested> {
    let cfg = cfg.into();
    let mut out = Ingested::default();
    let check = country::prepare(cfg.country, &mut out.diagnostics)?;
    for source in cfg.sources {
        let batch = read_source(&cfg, source, &mut out.diagnostics)?;
        if let Some(check) = &check {
            let config = cfg.config_ref();
            country::check(check, &batch, &config, &mut out.diagnostics)?;
        }
        datum::against_points(&batch, &cfg.config_ref())?;
        out.batches.push(batch);
    }
    Ok(out)
}

/// Which reader a source may be read with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reader {
    /// The pure-Rust GeoJSON reader where it applies, GDAL otherwise.
    Auto,
    /// GDAL only (the equivalence tests compare the two).
    #[cfg_attr(not(test), allow(dead_code))]
    Gdal,
}

/// Read one source with the reader it needs: the point template's for preset
/// `imsma-ng-points`, else the built-in GeoJSON reader where it applies, else
/// GDAL. What GDAL says on the way (any reader may open a table through it)
/// becomes READER_MESSAGE diagnostics, or the detail of a reader's error.
fn read_source(
    cfg: &IngestConfig,
    source: &SourceConfig,
    diags: &mut Diagnostics,
) -> Result<SourceBatch> {
    read_with(cfg, source, diags, Reader::Auto)
}

pub(crate) fn read_with(
    cfg: &IngestConfig,
    source: &SourceConfig,
    diags: &mut Diagnostics,
    reader: Reader,
) -> Result<SourceBatch> {
    gdal::messages::capture();
    let batch = match (source.preset, reader) {
        (Some(Preset::NgPoints), _) => points::read(cfg, source, diags),
        (_, Reader::Auto) => {
            geojson::read(cfg, source, diags).unwrap_or_else(|| gdal::read(cfg, source, diags))
        }
        (_, Reader::Gdal) => gdal::read(cfg, source, diags),
    };
    gdal::messages::report(source, batch, diags)
}
