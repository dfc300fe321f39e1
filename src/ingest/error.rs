//! What stops ingest: a source that cannot be opened or read to its end, a
//! limit it exceeds, a CRS it lacks, and a config that does not fit the
//! source (a column it names that the layer lacks, raw values nothing maps).
//!
//! The variants of the second kind are faults of the config, which
//! [`crate::error::Error::exit_code`] maps to a usage error; their messages
//! begin "config PATH:". The others name the source file. Which is which is
//! decided there, not here.

use std::path::{Path, PathBuf};

/// What ingest's functions return: the stage's own error, which the caller
/// turns into [`crate::error::Error`] with `?`.
pub type Result<T, E = IngestError> = std::result::Result<T, E>;

/// The config a config fault names: `config PATH`, or, for the zero-config
/// form (`--hazards`/`--releases`, no file), where a config would come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigRef(pub Option<PathBuf>);

impl std::fmt::Display for ConfigRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some(p) => write!(f, "config {}", p.display()),
            None => f.write_str(
                "no config (the --hazards/--releases form reads canonical names and values only; `clearmap init DIR -o clearmap.toml` writes a config to settle this in, then `clearmap build clearmap.toml`)",
            ),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// What the machine, not the input, failed at (PROJ without EPSG:4326,
    /// a GDAL option refused): a runtime failure.
    #[error("{0}")]
    Internal(String),
    // The file.
    #[error("{path}: file not found; check `path` in the config (relative paths are relative to the config file)")]
    NotFound { path: PathBuf },
    #[error("{path}: is a directory, not a file; point `path` at the file itself (a File Geodatabase .gdb is the only directory clearmap reads)")]
    IsDirectory { path: PathBuf },
    /// The operating system could not read the file.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Reading a file for its fingerprint failed.
    #[error("{path}: {source}")]
    Fingerprint {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A source that is neither a regular file nor a directory: a FIFO,
    /// a device, a socket. A fault of what is at the path, not of the
    /// config (exit 1, as for a path not found or a directory): the same
    /// path may hold the export tomorrow, and the zero-config form has no
    /// config to blame.
    #[error("{path}: is {kind}, not a regular file; clearmap reads sources whole (to fingerprint them, then to read them), which on this could block forever or never end: point `path` at the exported file itself")]
    NotAFile { path: PathBuf, kind: &'static str },
    #[error("{path}: is empty (0 bytes); the export did not complete: export it again")]
    EmptyFile { path: PathBuf },
    /// GDAL could not open a CSV whose header a separator it does not detect splits.
    #[error("{path}: GDAL cannot open it as a CSV table: {hint}")]
    CsvUnopenable { path: PathBuf, hint: String },
    /// GDAL could not open the file; `what` is the format its extension
    /// says, `reason` GDAL's words (empty when it gave none).
    #[error(
        "{path}: GDAL cannot open it as {what}: {}; check that the file is complete and in the format its extension says, or export it again",
        if .reason.is_empty() { "the content is not in a format GDAL recognises, or it is corrupt or truncated" } else { .reason.as_str() }
    )]
    Unopenable {
        path: PathBuf,
        what: &'static str,
        reason: String,
    },

    // Zips and layers.
    #[error("{path}: cannot list the zip: {reason}")]
    ZipUnlistable { path: PathBuf, reason: String },
    #[error("{path}: holds no shapefile \"{layer}\"; its shapefiles are: {}", .shapefiles.join(", "))]
    NoSuchShapefile {
        path: PathBuf,
        layer: String,
        shapefiles: Vec<String>,
    },
    #[error("{path}: the zip holds no .shp file")]
    NoShapefile { path: PathBuf },
    #[error("{path}: has no layer \"{layer}\"; its layers are: {}", .layers.join(", "))]
    NoSuchLayer {
        path: PathBuf,
        layer: String,
        layers: Vec<String>,
    },
    #[error("{path}: cannot read its layer: {reason}")]
    LayerUnreadable { path: PathBuf, reason: String },
    #[error("{path}: holds no vector layer")]
    NoLayer { path: PathBuf },

    // Reading the records.
    /// A layer not read to its end: `desc` the source as the messages name it,
    /// `after` where reading stood (after which record), and why.
    #[error("{path}: {desc}: reading stopped {after}: {why}; the file is damaged or incomplete (nothing was measured): export it again, or copy it again if it came through a download or a zip")]
    ReadStopped {
        path: PathBuf,
        desc: String,
        after: String,
        why: ReadStop,
    },
    #[error("{path}: {desc}: a text value holds a NUL character (\\u0000), which GDAL's reader would cut short there (merging ids); remove the NUL characters from the export")]
    NulInText { path: PathBuf, desc: String },
    /// An error of the reader with what GDAL said on the way as its detail.
    #[error("{error} (GDAL said: {said})")]
    GdalSaid {
        error: Box<IngestError>,
        said: String,
    },

    // Limits.
    #[error("{path}: is {mb} MB, over the limit of {limit_mb} MB for formats read whole into memory; convert it to GeoPackage (ogr2ogr out.gpkg IN) or raise [limits] max_file_mb in the config")]
    FileTooLarge {
        path: PathBuf,
        mb: u64,
        limit_mb: u64,
    },
    #[error("{path}: is not a zip archive clearmap can read: {reason}; re-create the zip")]
    NotAZip { path: PathBuf, reason: String },
    #[error("{path}: zip entry \"{entry}\" points outside the archive (\"..\" or an absolute path), which clearmap refuses; re-create the zip with plain file names")]
    ZipEntryEscapes { path: PathBuf, entry: String },
    /// The total a zip container's directory declares, over the limit;
    /// `advice` is what to do instead, by the kind of container.
    #[error("{path}: unpacks to {mb} MB, over the limit of {limit_mb} MB; {advice}, or raise [limits] max_zip_uncompressed_mb in the config")]
    ZipTooLarge {
        path: PathBuf,
        mb: u64,
        limit_mb: u64,
        advice: &'static str,
    },
    #[error("{path}: unpacks to {mb} MB from {kb} KB, a compression ratio of {ratio:.0}× (limit {limit}×): it looks like a zip bomb; {advice}, or raise [limits] max_zip_ratio in the config")]
    ZipBomb {
        path: PathBuf,
        mb: u64,
        kb: u64,
        ratio: f64,
        limit: f64,
        advice: &'static str,
    },
    /// One entry GDAL would read whole into memory (a workbook's sheet, a
    /// KMZ's KML) over `max_file_mb`, by the size it declares.
    #[error("{path}: entry \"{entry}\" unpacks to {mb} MB, over the limit of {limit_mb} MB for what is read whole into memory; {advice}, or raise [limits] max_file_mb in the config")]
    ZipEntryTooLarge {
        path: PathBuf,
        entry: String,
        mb: u64,
        limit_mb: u64,
        advice: &'static str,
    },
    #[error("{path}: entry \"{entry}\" unpacks to {mb} MB from {kb} KB, a compression ratio of {ratio:.0}× (limit {limit}×): it looks like a zip bomb; {advice}, or raise [limits] max_zip_ratio in the config")]
    ZipEntryBomb {
        path: PathBuf,
        entry: String,
        mb: u64,
        kb: u64,
        ratio: f64,
        limit: f64,
        advice: &'static str,
    },
    /// An entry that inflates to more than the size its directory declares,
    /// which every limit above was checked on.
    #[error("{path}: entry \"{entry}\" unpacks to more than the {declared} bytes the zip's directory declares, so none of its sizes can be trusted (a damaged archive, or a zip bomb); re-create the archive")]
    ZipEntryLies {
        path: PathBuf,
        entry: String,
        declared: u64,
    },

    // The CRS.
    #[error("{path}: no transformation from its CRS to WGS84: {reason}")]
    NoTransformation { path: PathBuf, reason: String },
    #[error("{config}: crs = \"{crs}\" is not a CRS PROJ knows ({reason}); use e.g. crs = \"EPSG:32648\"")]
    UnknownCrs {
        config: ConfigRef,
        crs: String,
        reason: String,
    },
    #[error("{config}: {desc} has no CRS (no .prj, or a format that stores none) and its coordinates are not longitude/latitude; add to its [[source]]: {suggestion}")]
    NoCrs {
        config: ConfigRef,
        desc: String,
        suggestion: String,
    },

    /// The config's `crs` and the file's own CRS put the records apart
    /// (`datum.rs`, which words `detail`).
    #[error("{config}: {detail}")]
    CrsConflict { config: ConfigRef, detail: String },
    /// The records lie outside their CRS's datum's area of use (`datum.rs`,
    /// which words `detail`).
    #[error("{config}: {detail}")]
    CrsAreaOfUse { config: ConfigRef, detail: String },
    /// The records' own WGS 84 points fit another datum's reading
    /// (`datum.rs`, which words `detail`).
    #[error("{config}: {detail}")]
    DatumMismatch { config: ConfigRef, detail: String },

    /// Most of a source's records lie outside the config's country
    /// (`country.rs`); `finding` names the mistake that explains it.
    #[error("{0}")]
    OutsideCountry(Box<Outside>),

    // The config does not fit the source.
    #[error("{config}: {file}: give both x = \"…\" and y = \"…\" (or neither) in its [[source]]")]
    HalfCoordinatePair { config: ConfigRef, file: PathBuf },
    #[error("{config}: {file} holds {} shapefiles; choose one with layer = \"…\" in its [[source]]: {}", .shapefiles.len(), .shapefiles.join(", "))]
    ManyShapefiles {
        config: ConfigRef,
        file: PathBuf,
        shapefiles: Vec<String>,
    },
    #[error("{config}: {desc} holds {} layers; choose one with layer = \"…\" in its [[source]]: {}", .layers.len(), .layers.join(", "))]
    ManyLayers {
        config: ConfigRef,
        desc: String,
        layers: Vec<String>,
    },
    /// A CSV without a geometry column whose header a separator GDAL does
    /// not detect splits.
    #[error("{config}: {desc}: {hint}")]
    CsvSeparator {
        config: ConfigRef,
        desc: String,
        hint: String,
    },
    #[error("{config}: {desc} has no geometry column GDAL recognised; name it in the [[source]] with wkt = \"COLUMN\" (WKT text) or x = \"COLUMN\" and y = \"COLUMN\" (point coordinates). Columns: {}", .columns.join(", "))]
    NoGeometryColumn {
        config: ConfigRef,
        desc: String,
        columns: Vec<String>,
    },
    #[error("{config}: {desc}: [source.fields] {field} = \"{column}\" but the layer has no column \"{column}\"; its columns are: {}", .columns.join(", "))]
    NoSuchColumn {
        config: ConfigRef,
        desc: String,
        field: super::Field,
        column: String,
        columns: Vec<String>,
    },
    #[error("{config}: {desc}: releases need an outcome; the layer has no \"outcome\" column. Map one with [source.fields] outcome = \"COLUMN\" or set [source.defaults] outcome = \"cleared\" (or reduced / cancelled). Columns: {}", .columns.join(", "))]
    NoOutcome {
        config: ConfigRef,
        desc: String,
        columns: Vec<String>,
    },
    #[error("{config}: {desc}: {error}")]
    BadValueMapping {
        config: ConfigRef,
        desc: String,
        error: Box<ValueMappingError>,
    },
    /// Raw values of enumerated fields that no `[source.values]` maps, each
    /// with its count: the message lists the TOML that would map them.
    #[error("{config}: {}", super::mapping::unmapped_text(.desc, .source_path, .values))]
    UnmappedValues {
        config: ConfigRef,
        desc: String,
        /// The `path` of the `[[source]]`, as the config gives it.
        source_path: String,
        /// Field by field in the order of the listing, most frequent first.
        values: Vec<UnmappedValue>,
    },
    #[error("{config}: {table} layer {layer} is read with preset \"imsma-ng-points\" but has no column \"{column}\"; its columns are: {}", .columns.join(", "))]
    NoTemplateColumn {
        config: ConfigRef,
        table: String,
        layer: String,
        column: String,
        columns: Vec<String>,
    },
    #[error("{config}: {table} has no id column to join the polygons on; name it with [source.fields] id = \"COLUMN\". Columns: {}", .columns.join(", "))]
    NoJoinColumn {
        config: ConfigRef,
        table: String,
        columns: Vec<String>,
    },
}

impl IngestError {
    /// The source file an error of the source names first (`None` for the
    /// faults of the config, which name the config).
    pub fn path(&self) -> Option<&Path> {
        use IngestError as E;
        match self {
            E::NotFound { path }
            | E::IsDirectory { path }
            | E::Io { path, .. }
            | E::Fingerprint { path, .. }
            | E::EmptyFile { path }
            | E::CsvUnopenable { path, .. }
            | E::Unopenable { path, .. }
            | E::ZipUnlistable { path, .. }
            | E::NoSuchShapefile { path, .. }
            | E::NoShapefile { path }
            | E::NoSuchLayer { path, .. }
            | E::LayerUnreadable { path, .. }
            | E::NoLayer { path }
            | E::ReadStopped { path, .. }
            | E::NulInText { path, .. }
            | E::FileTooLarge { path, .. }
            | E::NotAZip { path, .. }
            | E::ZipEntryEscapes { path, .. }
            | E::ZipTooLarge { path, .. }
            | E::ZipBomb { path, .. }
            | E::NotAFile { path, .. }
            | E::ZipEntryTooLarge { path, .. }
            | E::ZipEntryBomb { path, .. }
            | E::ZipEntryLies { path, .. }
            | E::NoTransformation { path, .. } => Some(path),
            E::GdalSaid { error, .. } => error.path(),
            _ => None,
        }
    }
}

/// Why a layer was not read to its end.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadStop {
    /// GDAL reported a failure (its last message, at most 300 characters).
    #[error("GDAL failed: {0}")]
    Gdal(String),
    #[error("the file ends inside a quoted field, so it was cut short")]
    InsideQuotedField,
    #[error("{read} of the {declared} records the layer declares were read")]
    Short { read: u64, declared: u64 },
}

/// One raw value nothing maps, in [`IngestError::UnmappedValues`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmappedValue {
    pub field: super::Field,
    /// The value as first seen (trimmed).
    pub raw: String,
    /// Records holding it.
    pub count: usize,
    /// The code of the column's coded-value domain it was the label of.
    pub code: Option<String>,
    /// The canonical value the IMSMA vocabulary suggests, if any.
    pub guess: Option<String>,
}

/// A `[source.values.FIELD]` table clearmap cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueMappingError {
    #[error("[source.values.{field}] has no effect: only {} have value mappings", super::mapping::ENUM_FIELDS.map(super::Field::name).join(", "))]
    NoEffect { field: super::Field },
    #[error("[source.values.{field}] \"*\" = \"{value}\": the fallback must be one of {}{}", super::mapping::canonical_choices(*.field).join(", "), if *.field == super::Field::Outcome { ", or \"quarantine\"" } else { "" })]
    BadFallback { field: super::Field, value: String },
    #[error("[source.values.{field}] \"{raw}\" = \"{value}\": \"{value}\" is not a canonical {field}; use one of {}", super::mapping::canonical_choices(*.field).join(", "))]
    NotCanonical {
        field: super::Field,
        raw: String,
        value: String,
    },
    #[error("[source.values.{field}] maps \"{first_raw}\" to \"{first_value}\" and \"{raw}\" to \"{value}\", but values are compared ignoring case and surrounding spaces; keep one")]
    Conflict {
        field: super::Field,
        first_raw: String,
        first_value: String,
        raw: String,
        value: String,
    },
}

/// A `[[source]]` section with a value clearmap cannot use (found by
/// [`super::SourceConfig::check`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceConfigError {
    #[error("separator = {separator:?} is not one clearmap reads; use one of \",\", \";\", \"|\" or \"\\t\" (tab)")]
    Separator { separator: String },
    #[error("encoding = \"{encoding}\" is not an encoding name clearmap knows; use e.g. encoding = \"windows-1252\"")]
    Encoding { encoding: String },
    #[error("date_format = \"{format}\" does not read back a whole date; use chrono syntax such as \"%d/%m/%Y\"")]
    DateFormat { format: String },
    #[error("preset \"imsma-ng-points\" needs the CRS of Xcoord/Ycoord (IMSMA ignores ProjName); add e.g. crs = \"EPSG:32648\" to the [[source]]")]
    PointsWithoutCrs,
    #[error(transparent)]
    Values(Box<ValueMappingError>),
    #[error("[source.defaults] {field} must be a string, number, date or list")]
    Default { field: super::Field },
}

impl From<ValueMappingError> for SourceConfigError {
    fn from(e: ValueMappingError) -> Self {
        SourceConfigError::Values(Box::new(e))
    }
}

/// `[limits]` that leave no room for a usable input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("[limits] max_vertices must be at least 4, max_file_mb and max_zip_uncompressed_mb at least 1, max_zip_ratio at least 1")]
pub struct LimitsError;

/// What [`IngestError::OutsideCountry`] says: how many of a source's
/// records lie outside the country, how far, and the mistake found.
#[derive(Debug)]
pub struct Outside {
    pub config: ConfigRef,
    pub desc: String,
    pub country: String,
    pub outside: usize,
    pub total: usize,
    pub nearest_km: f64,
    pub median_km: f64,
    pub finding: String,
}

impl std::fmt::Display for Outside {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {}: {} of its {} records lie wholly outside {} (the nearest {:.0} km from its border, half of them more than {:.0} km); {}",
            self.config,
            self.desc,
            self.outside,
            self.total,
            self.country,
            self.nearest_km,
            self.median_km,
            self.finding
        )
    }
}
