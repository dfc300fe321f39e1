//! The GDAL/OGR reader: any vector format GDAL opens (GeoJSON, Shapefile,
//! GeoPackage, File Geodatabase, CSV, XLSX, KML …), one layer per source.
//!
//! Owns reading a layer's features and a table's rows; how a file is opened is
//! [`super::open`]'s, which CRS it is in is [`crate::ingest::crs`]'s.
//!
//! GDAL datasets are not thread-safe, so a layer is read sequentially here into
//! plain geo types; everything after ingest is parallel.
//!
//! A layer is read whole or not at all: a failure GDAL reports while reading
//! it (a truncated `.dbf`, a zip member with a CRC error, a damaged sheet), or
//! fewer records than the layer declares, is an error naming the file, layer
//! and last record read. GDAL's warnings stay READER_MESSAGE diagnostics.

use crate::ingest::crs;

mod domains;
pub mod open;
use crate::config::{Config, SourceConfig};
use crate::diagnostics::{Code, Diagnostic, Diagnostics, Severity};
use crate::error::{Error, Result};
use crate::ingest::mapping::{Mapper, RawValue};
use crate::ingest::presets::Preset;
use crate::ingest::{InputFile, RawGeometry, RawRecord, SourceBatch};
use crate::model::Provenance;
use gdal::errors::CplErrType;
use gdal::spatial_ref::CoordTransform;
use gdal::vector::{FieldValue, LayerAccess};
use gdal::Dataset;
use open::{Format, Purpose};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;
use std::sync::Mutex;

/// Messages GDAL reports while a source is read (it would otherwise print them
/// on stderr, interleaved with clearmap's own output), with the thread that
/// read: GDAL's handler is process-wide, and countries of `build --all` (or
/// tests) read on several threads at once, each wanting only its own.
static GDAL_MESSAGES: Mutex<Vec<(std::thread::ThreadId, String)>> = Mutex::new(Vec::new());

/// The messages GDAL gave on this thread since they were last taken.
fn take_gdal_messages() -> Vec<String> {
    let mut all = GDAL_MESSAGES.lock().unwrap_or_else(|e| e.into_inner());
    let me = std::thread::current().id();
    let (mine, others): (Vec<_>, Vec<_>) = std::mem::take(&mut *all)
        .into_iter()
        .partition(|(t, _)| *t == me);
    *all = others;
    mine.into_iter().map(|(_, m)| m).collect()
}

thread_local! {
    /// How many failures (CE_Failure, CE_Fatal) GDAL reported on this thread,
    /// and the last one: a failure while a layer is read means records were
    /// lost or garbled (a truncated .dbf, a zip member with a CRC error), which
    /// [`FailureWatch`] turns into an error. Counted apart from the message
    /// list, which is capped.
    static FAILURES: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    static LAST_FAILURE: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

pub(super) fn capture_gdal_messages() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        gdal::config::set_error_handler(|class, _, msg| {
            if matches!(class, CplErrType::Failure | CplErrType::Fatal) {
                FAILURES.with(|f| f.set(f.get() + 1));
                LAST_FAILURE.with(|l| *l.borrow_mut() = msg.trim().to_string());
            }
            if matches!(
                class,
                CplErrType::Warning | CplErrType::Failure | CplErrType::Fatal
            ) {
                if let Ok(mut m) = GDAL_MESSAGES.lock() {
                    if m.len() < 10_000 {
                        m.push((std::thread::current().id(), msg.trim().to_string()));
                    }
                }
            }
        });
    });
}

/// Watches for GDAL failures while a layer is read. Failures of calls that
/// may fail record by record (a reprojection) are [`FailureWatch::skip`]ped:
/// those records get their own diagnostics. Any other failure between two
/// checks is an error: the reader lost data, and nothing partial is measured.
pub(super) struct FailureWatch {
    seen: u64,
}

impl FailureWatch {
    pub(super) fn start() -> FailureWatch {
        FailureWatch {
            seen: FAILURES.with(|f| f.get()),
        }
    }

    /// Forget the failures reported since the last check.
    pub(super) fn skip(&mut self) {
        self.seen = FAILURES.with(|f| f.get());
    }

    /// An error when GDAL reported a failure since the last check; `after`
    /// says where reading stood (the last record read).
    pub(super) fn check(
        &mut self,
        path: &Path,
        desc: &str,
        after: impl FnOnce() -> String,
    ) -> Result<()> {
        let now = FAILURES.with(|f| f.get());
        if now == self.seen {
            return Ok(());
        }
        self.seen = now;
        let said = LAST_FAILURE.with(|l| l.borrow().chars().take(300).collect::<String>());
        Err(read_failure(
            path,
            desc,
            &after(),
            &format!("GDAL failed: {said}"),
        ))
    }
}

/// The error for a layer GDAL could not read to its end.
fn read_failure(path: &Path, desc: &str, after: &str, why: &str) -> Error {
    Error::input(
        path,
        format!(
            "{desc}: reading stopped {after}: {why}; the file is damaged or incomplete (nothing was measured): export it again, or copy it again if it came through a download or a zip"
        ),
    )
}

/// Where reading stood, for an error: after which record.
fn position(read: usize, last: Option<&Provenance>) -> String {
    match last {
        None => "before the first record".to_string(),
        Some(p) => format!(
            "after {read} record(s) (the last: row {}{})",
            p.row,
            match &p.source_id {
                Some(id) => format!(", id {id}"),
                None => String::new(),
            }
        ),
    }
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

/// Read one source into a batch of raw records.
pub fn read(cfg: &Config, source: &SourceConfig, diags: &mut Diagnostics) -> Result<SourceBatch> {
    read_with(cfg, source, diags, Reader::Auto)
}

pub(crate) fn read_with(
    cfg: &Config,
    source: &SourceConfig,
    diags: &mut Diagnostics,
    reader: Reader,
) -> Result<SourceBatch> {
    capture_gdal_messages();
    let batch = match source.preset.as_deref().and_then(Preset::by_name) {
        Some(Preset::NgPoints) => crate::ingest::points::read(cfg, source, diags),
        _ => match reader {
            Reader::Auto => crate::ingest::geojson::read(cfg, source, diags)
                .unwrap_or_else(|| read_layer(cfg, source, diags)),
            Reader::Gdal => read_layer(cfg, source, diags),
        },
    };
    let messages = take_gdal_messages();
    // A source that cannot be read: what GDAL said on the way is the detail
    // the user needs (the error itself holds only GDAL's last message).
    let batch = batch.map_err(|e| match e {
        Error::Input { path, message } if !messages.is_empty() => {
            let mut said: Vec<&str> = Vec::new();
            for m in &messages {
                if !said.contains(&m.as_str()) && !message.contains(m.as_str()) && said.len() < 3 {
                    said.push(m);
                }
            }
            let detail: String = said.join("; ").chars().take(400).collect();
            Error::Input {
                path,
                message: if detail.is_empty() {
                    message
                } else {
                    format!("{message} (GDAL said: {detail})")
                },
            }
        }
        e => e,
    });
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    for m in messages {
        *seen.entry(m).or_default() += 1;
    }
    for (m, n) in seen {
        diags.push(Diagnostic::new(
            Code::ReaderMessage,
            Severity::Info,
            format!(
                "GDAL reading {}: {m}{}",
                source.path.display(),
                if n > 1 {
                    format!(" ({n} times)")
                } else {
                    String::new()
                }
            ),
        ));
    }
    batch
}

/// The layer a source names, or its only layer.
fn select_layer<'a>(
    ds: &'a Dataset,
    wanted: Option<&str>,
    path: &Path,
    shown: &str,
    config_path: &Path,
) -> Result<gdal::vector::Layer<'a>> {
    let names: Vec<String> = ds.layers().map(|l| l.name()).collect();
    match wanted {
        Some(name) => ds.layer_by_name(name).map_err(|_| {
            Error::input(
                path,
                format!(
                    "has no layer \"{name}\"; its layers are: {}",
                    names.join(", ")
                ),
            )
        }),
        None if names.len() == 1 => ds
            .layer(0)
            .map_err(|e| Error::input(path, format!("cannot read its layer: {e}"))),
        None if names.is_empty() => Err(Error::input(path, "holds no vector layer")),
        None => Err(Error::config(
            config_path,
            format!(
                "{shown} holds {} layers; choose one with layer = \"…\" in its [[source]]: {}",
                names.len(),
                names.join(", ")
            ),
        )),
    }
}

/// All attribute values of a feature, by column index.
fn row_values(feature: &gdal::vector::Feature, n: usize) -> Vec<Option<RawValue>> {
    (0..n)
        .map(|i| {
            field_is_set(feature, i)
                .then(|| feature.field(i).ok().flatten().and_then(field_to_raw))
                .flatten()
        })
        .collect()
}

/// Whether a row holds text that was not valid in the encoding GDAL assumed
/// (the `gdal` crate turns such bytes into U+FFFD).
pub(super) fn has_mangled_text(values: &[Option<RawValue>]) -> bool {
    values.iter().flatten().any(|v| match v {
        RawValue::Text(s) => s.contains('\u{FFFD}'),
        RawValue::List(l) => l.iter().any(|s| s.contains('\u{FFFD}')),
        _ => false,
    })
}

/// The source-level diagnostic for rows with invalid text, naming the option.
pub(super) fn encoding_diagnostic(source: &SourceConfig, desc: &str, rows: usize) -> Diagnostic {
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

/// The layer's extent, when it has geometries to measure.
fn layer_extent(layer: &gdal::vector::Layer) -> Option<crs::Extent> {
    if layer.defn().geom_fields().count() == 0 {
        return None;
    }
    let e = layer.get_extent().ok()?;
    let all = [e.MinX, e.MinY, e.MaxX, e.MaxY];
    all.iter().all(|v| v.is_finite()).then_some(crs::Extent {
        min_x: e.MinX,
        min_y: e.MinY,
        max_x: e.MaxX,
        max_y: e.MaxY,
    })
}

/// Whether an extent is within longitude/latitude bounds.
pub(super) fn is_lon_lat(e: &crs::Extent) -> bool {
    e.min_x >= -180.0 && e.max_x <= 180.0 && e.min_y >= -90.0 && e.max_y <= 90.0
}

/// The extent to judge a degree source's CRS by. When a few records lie
/// outside longitude/latitude (a typo, a 1e308 placeholder, one record in UTM),
/// the extent of the records that fit, so that those few are quarantined one
/// by one in normalize rather than the whole source; when most do not fit, the
/// layer's own extent (the source is projected and says otherwise).
fn fitting_extent(layer: &mut gdal::vector::Layer, whole: crs::Extent) -> crs::Extent {
    if is_lon_lat(&whole) {
        return whole;
    }
    let (mut fit, mut out) = (None::<crs::Extent>, 0usize);
    let mut n_fit = 0usize;
    for f in layer.features() {
        let Some(g) = f.geometry().filter(|_| has_geometry(&f)) else {
            continue;
        };
        if g.is_empty() {
            continue;
        }
        let e = g.envelope();
        let e = crs::Extent {
            min_x: e.MinX,
            min_y: e.MinY,
            max_x: e.MaxX,
            max_y: e.MaxY,
        };
        if [e.min_x, e.min_y, e.max_x, e.max_y]
            .iter()
            .all(|v| v.is_finite())
            && is_lon_lat(&e)
        {
            n_fit += 1;
            fit = Some(match fit {
                None => e,
                Some(a) => crs::Extent {
                    min_x: a.min_x.min(e.min_x),
                    min_y: a.min_y.min(e.min_y),
                    max_x: a.max_x.max(e.max_x),
                    max_y: a.max_y.max(e.max_y),
                },
            });
        } else {
            out += 1;
        }
    }
    layer.reset_feature_reading();
    match fit {
        Some(e) if n_fit >= out => e,
        _ => whole,
    }
}

fn read_layer(cfg: &Config, source: &SourceConfig, diags: &mut Diagnostics) -> Result<SourceBatch> {
    let path = cfg.resolve(&source.path);
    let shown = source.path.display().to_string();
    let config_path = cfg.path.clone().unwrap_or_else(|| path.clone());
    let opened = open::open(&path, source, Purpose::Features, &config_path, &cfg.limits)?;
    let mut watch = FailureWatch::start();
    let ds = opened.dataset();
    let driver = ds.driver().short_name();
    let wanted = source.layer.as_deref().or(opened.chosen_layer.as_deref());
    let mut layer = select_layer(ds, wanted, &path, &shown, &config_path)?;
    let layer_name = layer.name();
    let source_desc = format!("{shown} layer {layer_name}");
    let columns: Vec<String> = layer.defn().fields().map(|f| f.name()).collect();
    // Some drivers (XLSX) read a sheet when its layer is first used.
    watch.check(&path, &source_desc, || "before the first record".into())?;
    if columns.is_empty() && layer.try_feature_count() == Some(0) {
        // An empty layer (`"features": []`) is a valid input with nothing in
        // it: there are no columns to map, and no records to map.
        return Ok(empty_batch(source, driver, cfg.limits.max_vertices));
    }
    if Format::of(&path) == Format::Csv && layer.defn().geom_fields().count() == 0 {
        if let Some(hint) = source
            .separator
            .is_none()
            .then(|| open::separator_hint(&path))
            .flatten()
        {
            return Err(Error::config(
                &config_path,
                format!("{source_desc}: {hint}"),
            ));
        }
        return Err(Error::config(
            &config_path,
            format!(
                "{source_desc} has no geometry column GDAL recognised; name it in the [[source]] with wkt = \"COLUMN\" (WKT text) or x = \"COLUMN\" and y = \"COLUMN\" (point coordinates). Columns: {}",
                columns.join(", ")
            ),
        ));
    }
    let mut source_diags = Vec::new();
    let mut mapper = Mapper::new(
        source,
        &columns,
        &config_path,
        &source_desc,
        &mut source_diags,
    )?;
    diags.extend(source_diags);
    let domains = domains::coded_values(ds, &layer, &mapper.decoded_columns());
    mapper.set_coded_domains(domains);

    let layer_srs = layer.spatial_ref();
    let mut extent = layer_extent(&layer);
    if source.crs.is_none() && layer_srs.as_ref().is_none_or(|s| s.is_geographic()) {
        extent = extent.map(|e| fitting_extent(&mut layer, e));
    }
    watch.check(&path, &source_desc, || "before the first record".into())?;
    let plan = crs::plan(
        source.crs.as_deref(),
        layer_srs,
        extent,
        cfg.country.as_deref(),
        &source_desc,
        &path,
        &config_path,
    )?;
    diags.extend(plan.diagnostics());
    // Creating the transformation may fail for a CRS PROJ does not know;
    // the plan has dealt with that.
    watch.skip();
    let mut records: Vec<RawRecord> = Vec::new();
    let mut record_diags = Vec::new();
    let mut mangled_rows = 0;
    let mut last_fid = None;
    let mut features = layer.features();
    for row in 0.. {
        let next = features.next();
        watch.check(&path, &source_desc, || {
            position(row, records.last().map(|r| &r.provenance))
        })?;
        let Some(feature) = next else { break };
        last_fid = feature.fid().or(last_fid);
        let values = row_values(&feature, columns.len());
        if has_mangled_text(&values) {
            mangled_rows += 1;
        }
        let get = |i: usize| values.get(i).cloned().flatten();
        let prov = provenance(&shown, &layer_name, row, &mapper, get);
        let attrs = mapper.map(&get, &prov, &mut record_diags);
        let geometry = match feature.geometry() {
            _ if !has_geometry(&feature) => RawGeometry::Missing,
            None => RawGeometry::Missing,
            Some(g) if g.is_empty() => RawGeometry::Empty,
            Some(_) if plan.quarantine.is_some() => {
                let (code, _) = plan.quarantine.as_ref().expect("checked");
                record_diags.push(crate::ingest::crs::misfit(*code, &prov));
                RawGeometry::Unreadable
            }
            Some(g) if vertex_count(g) > cfg.limits.max_vertices => {
                record_diags.push(too_large(vertex_count(g), cfg.limits.max_vertices, &prov));
                RawGeometry::Unreadable
            }
            Some(g) => read_geometry(g, plan.to_wgs84.as_ref(), &prov, &mut record_diags),
        };
        records.push(RawRecord {
            provenance: prov,
            attrs,
            geometry,
        });
        // A geometry that cannot be reprojected is that record's diagnostic.
        watch.skip();
    }
    drop(features);
    check_count(
        &layer,
        &driver,
        &path,
        &source_desc,
        records.len(),
        last_fid,
        &position(records.len(), records.last().map(|r| &r.provenance)),
    )?;
    if driver == "GeoJSON" {
        quarantine_nul_rows(&path, &source_desc, &mut records, &mut record_diags)?;
    }
    mapper.finish()?;
    diags.extend(record_diags);
    if mangled_rows > 0 {
        diags.push(encoding_diagnostic(source, &source_desc, mangled_rows));
    }
    Ok(SourceBatch {
        records,
        ..empty_batch(source, driver, cfg.limits.max_vertices)
    })
}

/// GDAL's GeoJSON reader ends a text at a NUL (`\u0000`), so "H1\u0000a" and
/// "H1\u0000b" would both read as "H1", one id. The built-in reader keeps
/// such text whole; when GDAL read the file instead, the records whose text
/// holds a NUL are quarantined, found by index in the file's features (the
/// order GDAL reads them in). When they cannot be found so, the source is an
/// error rather than read with truncated text.
fn quarantine_nul_rows(
    path: &Path,
    desc: &str,
    records: &mut [RawRecord],
    diags: &mut Vec<Diagnostic>,
) -> Result<()> {
    const ESCAPE: &[u8] = b"\\u0000";
    // Scanned in chunks first: the file is parsed whole only when it holds
    // one (rare), not on every GeoJSON that GDAL reads.
    if !file_contains(path, ESCAPE) {
        return Ok(());
    }
    let Ok(bytes) = std::fs::read(path) else {
        return Ok(());
    };
    let rows = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| {
            let features = v.get("features")?.as_array()?;
            (features.len() == records.len()).then(|| {
                features
                    .iter()
                    .enumerate()
                    .filter(|(_, f)| f.get("properties").is_some_and(has_nul))
                    .map(|(i, _)| i)
                    .collect::<Vec<usize>>()
            })
        })
        .ok_or_else(|| {
            Error::input(
                path,
                format!("{desc}: a text value holds a NUL character (\\u0000), which GDAL's reader would cut short there (merging ids); remove the NUL characters from the export"),
            )
        })?;
    for i in rows {
        let Some(r) = records.get_mut(i) else {
            continue;
        };
        r.geometry = RawGeometry::Unreadable;
        diags.push(
            Diagnostic::new(
                Code::NulInText,
                Severity::Error,
                "a text value holds a NUL character (\\u0000), which GDAL's reader cuts short there; the id or value as read is not the one in the file",
            )
            .record(&r.provenance)
            .fix("record quarantined; remove the NUL characters from the export"),
        );
    }
    Ok(())
}

/// Whether the file holds `needle` (false when it cannot be read), read in
/// chunks that overlap by the needle's length.
fn file_contains(path: &Path, needle: &[u8]) -> bool {
    let Ok(mut f) = std::fs::File::open(path) else {
        return false;
    };
    let mut buf = vec![0u8; 1 << 16];
    let mut kept = 0;
    loop {
        let n = match f.read(&mut buf[kept..]) {
            Ok(0) | Err(_) => return false,
            Ok(n) => n,
        };
        let end = kept + n;
        if buf[..end].windows(needle.len()).any(|w| w == needle) {
            return true;
        }
        kept = (needle.len() - 1).min(end);
        buf.copy_within(end - kept..end, 0);
    }
}

/// Whether a JSON value (names included) holds a NUL character.
fn has_nul(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::String(s) => s.contains('\0'),
        serde_json::Value::Array(a) => a.iter().any(has_nul),
        serde_json::Value::Object(o) => o.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

/// The batch of a source with no records.
pub(super) fn empty_batch(source: &SourceConfig, driver: String, max_vertices: u64) -> SourceBatch {
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
    }
}

/// An error when fewer features were read than the layer declares, which some
/// drivers do without a failure (a file cut short at a record boundary).
/// Drivers that do not know their count without reading everything again
/// (CSV) declare none: a failure while reading is then the only sign.
fn check_count(
    layer: &gdal::vector::Layer,
    driver: &str,
    path: &Path,
    desc: &str,
    read: usize,
    last_fid: Option<u64>,
    after: &str,
) -> Result<()> {
    // A CSV declares no count, but one cut short mid-record ends inside a
    // quoted field (an odd number of quotes: "" inside a field counts two),
    // which GDAL reads as a last, shorter record without a word.
    if Format::of(path) == Format::Csv && odd_quotes(path) {
        return Err(read_failure(
            path,
            desc,
            after,
            "the file ends inside a quoted field, so it was cut short",
        ));
    }
    let Some(declared) = layer.try_feature_count() else {
        return Ok(());
    };
    let read = read as u64;
    if read >= declared {
        return Ok(());
    }
    if driver == "ESRI Shapefile" {
        // A shapefile counts the records marked deleted in its .dbf (not yet
        // packed away), which reading skips.
        let deleted = if Format::of(path) == Format::Shapefile {
            sidecar(path, "dbf").and_then(|d| deleted_dbf_records(&d))
        } else {
            // In a zip the .dbf is not at hand: reading reached the last
            // record (shapefile FIDs are record numbers), so the ones
            // skipped on the way were deleted.
            last_fid
                .filter(|f| f + 1 == declared)
                .map(|_| declared - read)
        };
        if deleted.is_some_and(|d| read + d == declared) {
            return Ok(());
        }
    }
    Err(read_failure(
        path,
        desc,
        after,
        &format!("{read} of the {declared} records the layer declares were read"),
    ))
}

/// Whether a file holds an odd number of `"` (false when it cannot be read).
fn odd_quotes(path: &Path) -> bool {
    let Ok(mut f) = std::fs::File::open(path) else {
        return false;
    };
    let mut buf = vec![0u8; 1 << 16];
    let mut odd = false;
    loop {
        match f.read(&mut buf) {
            Ok(0) | Err(_) => return odd,
            Ok(n) => odd ^= buf[..n].iter().filter(|&&b| b == b'"').count() % 2 == 1,
        }
    }
}

/// The file beside a shapefile with extension `ext` (either case).
fn sidecar(path: &Path, ext: &str) -> Option<std::path::PathBuf> {
    [ext.to_ascii_lowercase(), ext.to_ascii_uppercase()]
        .iter()
        .map(|e| path.with_extension(e))
        .find(|p| p.is_file())
}

/// How many records of a .dbf are marked deleted (`*` as their first byte).
fn deleted_dbf_records(dbf: &Path) -> Option<u64> {
    use std::io::{BufReader, Seek, SeekFrom};
    let mut f = BufReader::new(std::fs::File::open(dbf).ok()?);
    let mut header = [0u8; 12];
    f.read_exact(&mut header).ok()?;
    let records = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
    let header_len = u64::from(u16::from_le_bytes([header[8], header[9]]));
    let record_len = u16::from_le_bytes([header[10], header[11]]);
    if record_len == 0 {
        return None;
    }
    f.seek(SeekFrom::Start(header_len)).ok()?;
    let mut deleted = 0;
    let mut flag = [0u8; 1];
    for _ in 0..records {
        if f.read_exact(&mut flag).is_err() {
            // Cut short: the rest are missing, not deleted.
            break;
        }
        deleted += u64::from(flag[0] == b'*');
        f.seek_relative(i64::from(record_len) - 1).ok()?;
    }
    Some(deleted)
}

/// Where a row came from: file, layer, row and the id the export gives it.
pub(super) fn provenance(
    shown: &str,
    layer: &str,
    row: usize,
    mapper: &Mapper,
    get: impl Fn(usize) -> Option<RawValue>,
) -> Provenance {
    Provenance {
        file: shown.to_string(),
        layer: layer.to_string(),
        row: row as u64,
        source_id: mapper
            .column("id")
            .and_then(get)
            .map(|v| v.to_text().trim().to_string())
            .filter(|s| !s.is_empty()),
    }
}

/// Vertices of a GDAL geometry, all parts and rings, counted without
/// converting it (a geometry over the limit is never copied).
fn vertex_count(g: &gdal::vector::Geometry) -> u64 {
    let parts = g.geometry_count();
    if parts == 0 {
        g.point_count() as u64
    } else {
        (0..parts)
            .map(|i| vertex_count(&g.get_geometry(i)))
            .fold(0u64, u64::saturating_add)
    }
}

/// The quarantine of a geometry over `[limits] max_vertices`.
pub(crate) fn too_large(n: u64, limit: u64, prov: &Provenance) -> Diagnostic {
    crate::normalize::too_large(n, limit).record(prov)
}

/// A table read as plain rows: the point template or an attributes table.
#[derive(Debug, Clone)]
pub struct Table {
    /// As written in the config, for provenance.
    pub shown: String,
    pub layer: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<RawValue>>>,
}

impl Table {
    /// The index of a column, exact name first, then ignoring ASCII case.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name).or_else(|| {
            self.columns
                .iter()
                .position(|c| c.eq_ignore_ascii_case(name))
        })
    }
}

/// Read a table of attribute rows (CSV, XLSX or any OGR layer, geometry
/// ignored). `file` is as written in the config; `layer` picks a sheet.
pub fn read_table(
    cfg: &Config,
    source: &SourceConfig,
    file: &Path,
    layer: Option<&str>,
    diags: &mut Diagnostics,
) -> Result<Table> {
    let path = cfg.resolve(file);
    let shown = file.display().to_string();
    let config_path = cfg.path.clone().unwrap_or_else(|| path.clone());
    let opened = open::open(&path, source, Purpose::Table, &config_path, &cfg.limits)?;
    let mut watch = FailureWatch::start();
    let ds = opened.dataset();
    let driver = ds.driver().short_name();
    let wanted = layer.or(opened.chosen_layer.as_deref());
    let mut lyr = select_layer(ds, wanted, &path, &shown, &config_path)?;
    let layer_name = lyr.name();
    let desc = format!("{shown} layer {layer_name}");
    let columns: Vec<String> = lyr.defn().fields().map(|f| f.name()).collect();
    let mut rows: Vec<Vec<Option<RawValue>>> = Vec::new();
    let mut last_fid = None;
    let at = |n: usize| match n {
        0 => "before the first row".to_string(),
        n => format!("after {n} row(s)"),
    };
    let mut features = lyr.features();
    loop {
        let next = features.next();
        watch.check(&path, &desc, || at(rows.len()))?;
        let Some(f) = next else { break };
        last_fid = f.fid().or(last_fid);
        rows.push(row_values(&f, columns.len()));
    }
    drop(features);
    check_count(
        &lyr,
        &driver,
        &path,
        &desc,
        rows.len(),
        last_fid,
        &at(rows.len()),
    )?;
    let mangled = rows.iter().filter(|r| has_mangled_text(r)).count();
    if mangled > 0 {
        diags.push(encoding_diagnostic(
            source,
            &format!("{shown} layer {layer_name}"),
            mangled,
        ));
    }
    Ok(Table {
        shown,
        layer: layer_name,
        columns,
        rows,
    })
}
/// Whether field `i` of the feature holds a value. The `gdal` crate only asks
/// whether a field is null: for an unset list field (a GeoJSON feature that
/// lacks a property another feature has as an array) it then builds a slice
/// from GDAL's null pointer, which is undefined behaviour (found by fuzzing).
#[allow(unsafe_code)]
fn field_is_set(feature: &gdal::vector::Feature, i: usize) -> bool {
    let Ok(i) = i32::try_from(i) else {
        return false;
    };
    // SAFETY: the feature handle is valid for the feature's lifetime and
    // OGR_F_IsFieldSetAndNotNull only reads it (an out-of-range index is
    // answered with false by GDAL).
    unsafe { gdal_sys::OGR_F_IsFieldSetAndNotNull(feature.c_feature(), i) != 0 }
}

/// Whether the feature has a geometry at all. The `gdal` crate wraps a null
/// geometry pointer (`"geometry": null`, a null shape) in a `Geometry` whose
/// every method then makes GDAL complain, and offers no safe way to tell.
#[allow(unsafe_code)]
fn has_geometry(feature: &gdal::vector::Feature) -> bool {
    // SAFETY: the feature handle is valid for the feature's lifetime, and
    // OGR_F_GetGeometryRef only reads it; the returned pointer is not kept.
    unsafe { !gdal_sys::OGR_F_GetGeometryRef(feature.c_feature()).is_null() }
}

/// Reproject (when needed) and convert to geo types; failures are diagnostics.
pub(crate) fn read_geometry(
    g: &gdal::vector::Geometry,
    transform: Option<&CoordTransform>,
    prov: &Provenance,
    diags: &mut Vec<Diagnostic>,
) -> RawGeometry {
    let projected;
    let g = match transform {
        None => g,
        Some(ct) => match g.transform(ct) {
            Ok(p) => {
                projected = p;
                &projected
            }
            Err(e) => {
                diags.push(crate::ingest::crs::unprojectable(&e, prov));
                return RawGeometry::Unreadable;
            }
        },
    };
    // Heights and measures (PolygonZ, PolygonM of GPS-surveyed or FGDB
    // exports) play no part in a geodesic area, and the conversion to geo
    // types takes 2D geometries only: flatten them rather than lose the record.
    let flat;
    let ty = g.geometry_type();
    let g = if gdal::vector::geometry_type_has_z(ty) || gdal::vector::geometry_type_has_m(ty) {
        let mut f = g.clone();
        f.flatten_to_2d();
        flat = f;
        &flat
    } else {
        g
    };
    match g.to_geo() {
        Ok(geo) => RawGeometry::Geo(geo),
        Err(e) => {
            diags.push(
                Diagnostic::new(
                    Code::UnsupportedGeometry,
                    Severity::Error,
                    format!("{} geometry cannot be read: {e}", g.geometry_name()),
                )
                .record(prov)
                .fix("record quarantined"),
            );
            RawGeometry::Unreadable
        }
    }
}

pub(crate) fn field_to_raw(v: FieldValue) -> Option<RawValue> {
    Some(match v {
        FieldValue::StringValue(s) => RawValue::Text(s),
        FieldValue::IntegerValue(i) => RawValue::Int(i as i64),
        FieldValue::Integer64Value(i) => RawValue::Int(i),
        FieldValue::RealValue(f) => RawValue::Real(f),
        FieldValue::DateValue(d) => RawValue::Date(d),
        FieldValue::DateTimeValue(d) => RawValue::Date(d.date_naive()),
        FieldValue::StringListValue(v) => RawValue::List(v),
        FieldValue::IntegerListValue(v) => {
            RawValue::List(v.iter().map(|i| i.to_string()).collect())
        }
        FieldValue::Integer64ListValue(v) => {
            RawValue::List(v.iter().map(|i| i.to_string()).collect())
        }
        FieldValue::RealListValue(v) => RawValue::List(v.iter().map(|i| i.to_string()).collect()),
    })
}

/// The files beside `path` that GDAL reads with it, by name: a shapefile's
/// `.shx`, `.dbf`, `.prj`, `.cpg` (and spatial indexes) as GDAL lists them, a
/// CSV's `.csvt` (column types) and `.prj`, a GeoPackage's or SQLite file's
/// `-wal` (committed rows not yet in the main file). A GeoPackage's `-shm` is
/// left out: it is an index of the `-wal` that readers rewrite. A zip holds
/// its sidecars; a directory (File Geodatabase) is hashed whole.
fn sidecars(path: &Path) -> Vec<std::path::PathBuf> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let beside = |exts: &[&str]| -> Vec<std::path::PathBuf> {
        exts.iter().filter_map(|e| sidecar(path, e)).collect()
    };
    let mut found = match Format::of(path) {
        Format::Shapefile => gdal_file_list(path)
            .unwrap_or_else(|| beside(&["shx", "dbf", "prj", "cpg", "qix", "sbn", "sbx"])),
        Format::Csv => beside(&["csvt", "prj"]),
        _ if matches!(ext.as_str(), "gpkg" | "sqlite" | "db") => {
            let mut wal = path.as_os_str().to_owned();
            wal.push("-wal");
            vec![std::path::PathBuf::from(wal)]
        }
        _ => Vec::new(),
    };
    let own = path.file_name();
    let dir = path.parent().unwrap_or(Path::new(""));
    // GDAL names them as the path it opened; they are all beside it.
    found = found
        .iter()
        .filter_map(|p| p.file_name())
        .filter(|n| Some(*n) != own)
        .map(|n| dir.join(n))
        .filter(|p| p.is_file())
        .collect();
    found.sort();
    found.dedup();
    found
}

/// The files GDAL says a shapefile dataset is made of, opened quietly (what is
/// wrong with it is said when it is read).
#[allow(unsafe_code)]
fn gdal_file_list(path: &Path) -> Option<Vec<std::path::PathBuf>> {
    // SAFETY: pushes GDAL's own quiet handler on this thread's handler stack,
    // popped below on every path.
    unsafe { gdal_sys::CPLPushErrorHandler(Some(gdal_sys::CPLQuietErrorHandler)) };
    let ds = Dataset::open_ex(
        path,
        gdal::DatasetOptions {
            open_flags: gdal::GdalOpenFlags::GDAL_OF_VECTOR | gdal::GdalOpenFlags::GDAL_OF_READONLY,
            allowed_drivers: Some(&["ESRI Shapefile"]),
            ..Default::default()
        },
    );
    let list = ds.ok().map(|ds| {
        let mut out = Vec::new();
        // SAFETY: the dataset handle is valid while `ds` lives; GDALGetFileList
        // returns a NULL-terminated list of C strings (or NULL) that the
        // caller owns and frees with CSLDestroy, after they are copied.
        unsafe {
            let list = gdal_sys::GDALGetFileList(ds.c_dataset());
            if !list.is_null() {
                let mut i = 0;
                loop {
                    let p = *list.add(i);
                    if p.is_null() {
                        break;
                    }
                    let s = std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned();
                    out.push(std::path::PathBuf::from(s));
                    i += 1;
                }
                gdal_sys::CSLDestroy(list);
            }
        }
        out
    });
    // SAFETY: pops the handler pushed above.
    unsafe { gdal_sys::CPLPopErrorHandler() };
    list
}

/// sha256 of an input: the file itself then each file GDAL reads beside it
/// ([`sidecars`], named as the input with their own file name), or every file
/// of a directory dataset (File Geodatabase) in name order. The manifest and
/// summary.json's `inputs` both come from here.
pub fn fingerprint(path: &Path, shown: &Path) -> Result<Vec<InputFile>> {
    if !path.exists() {
        return Err(open::not_found(path));
    }
    let mut files = Vec::new();
    if path.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path)
            .map_err(|e| Error::input(path, e.to_string()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        entries.sort();
        let mut h = Sha256::new();
        for p in &entries {
            h.update(
                p.file_name()
                    .map(|n| n.as_encoded_bytes())
                    .unwrap_or_default(),
            );
            hash_file(p, &mut h)?;
        }
        files.push(InputFile {
            path: shown.display().to_string(),
            sha256: hex(&h.finalize()),
        });
    } else {
        let mut h = Sha256::new();
        hash_file(path, &mut h)?;
        files.push(InputFile {
            path: shown.display().to_string(),
            sha256: hex(&h.finalize()),
        });
        for p in sidecars(path) {
            let mut h = Sha256::new();
            hash_file(&p, &mut h)?;
            files.push(InputFile {
                path: shown
                    .with_file_name(p.file_name().unwrap_or_default())
                    .display()
                    .to_string(),
                sha256: hex(&h.finalize()),
            });
        }
    }
    Ok(files)
}

fn hash_file(p: &Path, h: &mut Sha256) -> Result<()> {
    let mut f = std::fs::File::open(p).map_err(|e| Error::input(p, e.to_string()))?;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f
            .read(&mut buf)
            .map_err(|e| Error::input(p, e.to_string()))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_contains_finds_a_needle_across_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.geojson");
        // The needle straddles the first 64 KiB chunk's end.
        let mut b = vec![b' '; (1 << 16) - 3];
        b.extend_from_slice(b"\\u0000 tail");
        std::fs::write(&p, &b).unwrap();
        assert!(file_contains(&p, b"\\u0000"));
        assert!(!file_contains(&p, b"\\u0001"));
        assert!(!file_contains(&dir.path().join("missing"), b"x"));
    }

    #[test]
    fn deleted_records_of_a_dbf() {
        let dir = tempfile::tempdir().unwrap();
        let dbf = dir.path().join("t.dbf");
        // 4 records of 3 bytes after a 32-byte header: the 2nd and 4th deleted.
        let mut b = vec![0u8; 32];
        b[4] = 4;
        b[8] = 32;
        b[10] = 3;
        b.extend_from_slice(b" ab*cd ef*gh");
        std::fs::write(&dbf, &b).unwrap();
        assert_eq!(deleted_dbf_records(&dbf), Some(2));
        // Cut short: what is missing is not deleted.
        std::fs::write(&dbf, &b[..32 + 6]).unwrap();
        assert_eq!(deleted_dbf_records(&dbf), Some(1));
    }
}
