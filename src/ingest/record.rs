//! What every reader makes of a record: the raw record and its batch, where
//! it came from ([`provenance`]), and the text that was not valid in the
//! source's encoding, counted per source ([`encoding_diagnostic`]).

use super::mapping::{CanonicalAttrs, Mapper, RawValue};
use super::SourceConfig;
use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::model::{Provenance, RecordRef, Role};
use std::path::PathBuf;
use std::sync::Arc;

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
    /// The source's CRS as WKT, `None` when the coordinates were WGS84
    /// lon/lat as read (the country check re-reads a sample through it).
    pub srs: Option<String>,
}

/// Whether a row holds text that was not valid in the encoding GDAL assumed
/// (the `gdal` crate turns such bytes into U+FFFD).
pub(crate) fn has_mangled_text(values: &[Option<RawValue>]) -> bool {
    values.iter().flatten().any(|v| match v {
        RawValue::Text(s) => s.contains('\u{FFFD}'),
        RawValue::List(l) => l.iter().any(|s| s.contains('\u{FFFD}')),
        _ => false,
    })
}

/// The source-level diagnostic for rows with invalid text, naming the option.
pub(crate) fn encoding_diagnostic(source: &SourceConfig, desc: &str, rows: usize) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidEncoding,
        Severity::Warning,
        format!(
            "{desc}: {rows} row(s) hold text that is not valid UTF-8{}",
            match &source.encoding {
                Some(e) => format!(" nor {e}"),
                None => String::new(),
            }
        ),
    )
    .fix("the invalid bytes read as \u{FFFD}; if the export is Windows (Excel, ArcGIS) text, add encoding = \"windows-1252\" to its [[source]]")
}

/// The batch of a source with no records.
pub(crate) fn empty_batch(source: &SourceConfig, driver: String, max_vertices: u64) -> SourceBatch {
    SourceBatch {
        role: source.role,
        path: source.path.clone(),
        clockwise_convention: matches!(
            driver.as_str(),
            "ESRI Shapefile" | "OpenFileGDB" | "FileGDB"
        ),
        driver,
        records: Vec::new(),
        max_vertices,
        srs: None,
    }
}

/// Where a row came from: file, layer, position as read, the reference a
/// person finds it by, and the id the export gives it.
pub(crate) fn provenance(
    shown: &Arc<str>,
    layer: &Arc<str>,
    (row, at): (usize, RecordRef),
    mapper: &Mapper,
    get: impl Fn(usize) -> Option<RawValue>,
) -> Provenance {
    Provenance {
        file: Arc::clone(shown),
        layer: Arc::clone(layer),
        row: row as u64,
        at,
        source_id: mapper
            .column(super::Field::Id)
            .and_then(get)
            .map(|v| v.to_text().trim().to_string())
            .filter(|s| !s.is_empty()),
    }
}
