//! Ingest: read every configured source (through GDAL/OGR, or the pure-Rust
//! `geojson` reader for plain GeoJSON) into raw records whose
//! attributes are already mapped to canonical fields and whose geometries are in
//! WGS84 lon/lat, but not yet checked or repaired (that is normalize's job).
//!
//! Owns: opening files and layers ([`open`], [`ogr`]), the CRS of a source
//! ([`crs`]), the field and value mappings ([`mapping`], [`presets`]), polygons
//! built from IMSMA NG vertex tables ([`points`]), the reprojection to WGS84, and
//! the input fingerprints.

pub mod crs;

pub mod gdal;
mod geojson;
pub mod limits;
pub mod mapping;

pub mod points;
pub mod presets;

use crate::config::{Config, SourceConfig};
use crate::diagnostics::Diagnostics;
use crate::error::Result;
use crate::model::{Provenance, Role};
pub use mapping::CanonicalAttrs;
use std::path::PathBuf;

/// One feature or row as read, mapped but not yet validated.
#[derive(Debug, Clone)]
pub struct RawRecord {
    pub provenance: Provenance,
    pub attrs: CanonicalAttrs,
    pub geometry: RawGeometry,
}

/// A record's geometry as read.
#[derive(Debug, Clone)]
pub enum RawGeometry {
    /// No geometry at all (`"geometry": null`, an empty shape).
    Missing,
    /// A geometry with no coordinates.
    Empty,
    /// The reader could not use it; its diagnostic was already recorded.
    Unreadable,
    /// WGS84 lon/lat, not yet checked.
    Geo(geo::Geometry<f64>),
}

/// Everything read from one `[[source]]`.
#[derive(Debug, Clone)]
pub struct SourceBatch {
    pub role: Role,
    pub path: PathBuf,
    /// The OGR driver that read it (e.g. "GeoJSON", "ESRI Shapefile").
    pub driver: String,
    /// Whether the format's convention is clockwise exteriors (Shapefile, FGDB),
    /// so that their winding is not reported as a defect.
    pub clockwise_convention: bool,
    pub records: Vec<RawRecord>,
    /// `[limits] max_vertices`: a geometry with more is quarantined.
    pub max_vertices: u64,
}

/// A fingerprint of one input file for summary.json.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InputFile {
    pub path: String,
    pub sha256: String,
}

/// The product of ingest.
#[derive(Debug, Default)]
pub struct Ingested {
    pub batches: Vec<SourceBatch>,
    pub inputs: Vec<InputFile>,
    pub diagnostics: Diagnostics,
}

/// Read all sources of a config, in config order.
pub fn ingest(cfg: &Config) -> Result<Ingested> {
    let mut out = Ingested::default();
    for source in &cfg.sources {
        let batch = read_source(cfg, source, &mut out.diagnostics)?;
        out.inputs.extend(fingerprints(cfg, source)?);
        out.batches.push(batch);
    }
    Ok(out)
}

/// The fingerprints of every file one source is made of (its own files, then
/// the attributes join file): summary.json's `inputs` and the manifest's.
pub fn fingerprints(cfg: &Config, source: &SourceConfig) -> Result<Vec<InputFile>> {
    let mut files = gdal::fingerprint(&cfg.resolve(&source.path), &source.path)?;
    if let Some(attrs) = &source.attributes {
        files.extend(gdal::fingerprint(&cfg.resolve(attrs), attrs)?);
    }
    Ok(files)
}

fn read_source(
    cfg: &Config,
    source: &SourceConfig,
    diags: &mut Diagnostics,
) -> Result<SourceBatch> {
    gdal::read(cfg, source, diags)
}
