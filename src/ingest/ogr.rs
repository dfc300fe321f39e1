//! The GDAL/OGR reader: any vector format GDAL opens (GeoJSON, Shapefile,
//! GeoPackage, File Geodatabase, CSV, XLSX, KML …), one layer per source.
//!
//! GDAL datasets are not thread-safe, so a layer is read sequentially here into
//! plain geo types; everything after ingest is parallel.

use super::mapping::{Mapper, RawValue};
use super::{InputFile, RawGeometry, RawRecord, SourceBatch};
use crate::config::{Config, SourceConfig};
use crate::diagnostics::{Code, Diagnostic, Diagnostics, Severity};
use crate::error::{Error, Result};
use crate::model::Provenance;
use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
use gdal::vector::{FieldValue, LayerAccess};
use gdal::{Dataset, DatasetOptions, GdalOpenFlags};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;
use std::sync::Mutex;
use gdal::errors::CplErrType;

/// Messages GDAL reports while a source is read (it would otherwise print them
/// on stderr, interleaved with clearmap's own output).
static GDAL_MESSAGES: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn capture_gdal_messages() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        gdal::config::set_error_handler(|class, _, msg| {
            if matches!(class, CplErrType::Warning | CplErrType::Failure | CplErrType::Fatal) {
                if let Ok(mut m) = GDAL_MESSAGES.lock() {
                    if m.len() < 1000 {
                        m.push(msg.trim().to_string());
                    }
                }
            }
        });
    });
}

/// Read one source into a batch of raw records.
pub fn read(cfg: &Config, source: &SourceConfig, diags: &mut Diagnostics) -> Result<SourceBatch> {
    capture_gdal_messages();
    let batch = read_layer(cfg, source, diags);
    let messages = std::mem::take(&mut *GDAL_MESSAGES.lock().unwrap_or_else(|e| e.into_inner()));
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    for m in messages {
        *seen.entry(m).or_default() += 1;
    }
    for (m, n) in seen {
        diags.push(Diagnostic::new(
            Code::ReaderMessage,
            Severity::Info,
            format!("GDAL reading {}: {m}{}", source.path.display(), if n > 1 { format!(" ({n} times)") } else { String::new() }),
        ));
    }
    batch
}

fn read_layer(cfg: &Config, source: &SourceConfig, diags: &mut Diagnostics) -> Result<SourceBatch> {
    let path = cfg.resolve(&source.path);
    let shown = source.path.display().to_string();
    let config_path = cfg.path.clone().unwrap_or_else(|| path.clone());
    if !path.exists() {
        return Err(Error::input(&path, "file not found; check `path` in the config (relative paths are relative to the config file)"));
    }
    let ds = Dataset::open_ex(
        &path,
        DatasetOptions {
            open_flags: GdalOpenFlags::GDAL_OF_VECTOR | GdalOpenFlags::GDAL_OF_READONLY,
            ..Default::default()
        },
    )
    .map_err(|e| Error::input(&path, format!("GDAL cannot open it as vector data: {e}")))?;
    let driver = ds.driver().short_name();
    let names: Vec<String> = ds.layers().map(|l| l.name()).collect();
    let mut layer = match &source.layer {
        Some(name) => ds.layer_by_name(name).map_err(|_| {
            Error::input(&path, format!("has no layer \"{name}\"; its layers are: {}", names.join(", ")))
        })?,
        None if names.len() == 1 => ds
            .layer(0)
            .map_err(|e| Error::input(&path, format!("cannot read its layer: {e}")))?,
        None if names.is_empty() => return Err(Error::input(&path, "holds no vector layer")),
        None => {
            return Err(Error::config(
                &config_path,
                format!(
                    "{shown} holds {} layers; choose one with layer = \"…\" in its [[source]]: {}",
                    names.len(),
                    names.join(", ")
                ),
            ))
        }
    };
    let layer_name = layer.name();
    let source_desc = format!("{shown} layer {layer_name}");
    let columns: Vec<String> = layer.defn().fields().map(|f| f.name()).collect();
    let mut source_diags = Vec::new();
    let mapper = Mapper::new(source, &columns, &config_path, &source_desc, &mut source_diags)?;
    diags.extend(source_diags);

    let transform = transform_to_wgs84(source, layer.spatial_ref(), &path, &config_path)?;
    let mut records = Vec::new();
    let mut record_diags = Vec::new();
    for (row, feature) in layer.features().enumerate() {
        let get = |i: usize| feature.field(i).ok().flatten().and_then(field_to_raw);
        let mut prov = Provenance {
            file: shown.clone(),
            layer: layer_name.clone(),
            row: row as u64,
            source_id: None,
        };
        prov.source_id = mapper
            .column("id")
            .and_then(get)
            .map(|v| v.to_text().trim().to_string())
            .filter(|s| !s.is_empty());
        let attrs = mapper.map(&get, &prov, &mut record_diags);
        let geometry = match feature.geometry() {
            _ if !has_geometry(&feature) => RawGeometry::Missing,
            None => RawGeometry::Missing,
            Some(g) if g.is_empty() => RawGeometry::Empty,
            Some(g) => read_geometry(g, transform.as_ref(), &prov, &mut record_diags),
        };
        records.push(RawRecord {
            provenance: prov,
            attrs,
            geometry,
        });
    }
    diags.extend(record_diags);
    Ok(SourceBatch {
        role: source.role,
        path: source.path.clone(),
        clockwise_convention: matches!(driver.as_str(), "ESRI Shapefile" | "OpenFileGDB" | "FileGDB"),
        driver,
        records,
    })
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
fn read_geometry(
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
                diags.push(
                    Diagnostic::new(
                        Code::NonFiniteCoordinate,
                        Severity::Error,
                        format!("coordinates cannot be reprojected to WGS84: {e}"),
                    )
                    .record(prov)
                    .fix("record quarantined"),
                );
                return RawGeometry::Unreadable;
            }
        },
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

/// The transform from the layer's CRS (or the config's `crs`) to WGS84 lon/lat;
/// `None` when the data is taken to be WGS84 already.
fn transform_to_wgs84(
    source: &SourceConfig,
    layer_srs: Option<SpatialRef>,
    path: &Path,
    config_path: &Path,
) -> Result<Option<CoordTransform>> {
    let srs = match &source.crs {
        Some(def) => Some(SpatialRef::from_definition(def).map_err(|e| {
            Error::config(config_path, format!("crs = \"{def}\" is not a CRS PROJ knows ({e}); use e.g. crs = \"EPSG:32648\""))
        })?),
        None => layer_srs,
    };
    let Some(mut srs) = srs else { return Ok(None) };
    srs.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let mut wgs84 = SpatialRef::from_epsg(4326).map_err(|e| Error::Internal(format!("EPSG:4326 unknown to PROJ: {e}")))?;
    wgs84.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    CoordTransform::new(&srs, &wgs84)
        .map(Some)
        .map_err(|e| Error::input(path, format!("no transformation from its CRS to WGS84: {e}")))
}

fn field_to_raw(v: FieldValue) -> Option<RawValue> {
    Some(match v {
        FieldValue::StringValue(s) => RawValue::Text(s),
        FieldValue::IntegerValue(i) => RawValue::Int(i as i64),
        FieldValue::Integer64Value(i) => RawValue::Int(i),
        FieldValue::RealValue(f) => RawValue::Real(f),
        FieldValue::DateValue(d) => RawValue::Date(d),
        FieldValue::DateTimeValue(d) => RawValue::Date(d.date_naive()),
        FieldValue::StringListValue(v) => RawValue::List(v),
        FieldValue::IntegerListValue(v) => RawValue::List(v.iter().map(|i| i.to_string()).collect()),
        FieldValue::Integer64ListValue(v) => RawValue::List(v.iter().map(|i| i.to_string()).collect()),
        FieldValue::RealListValue(v) => RawValue::List(v.iter().map(|i| i.to_string()).collect()),
    })
}

/// sha256 of an input: the file itself, or every file of a directory dataset
/// (File Geodatabase) in name order.
pub fn fingerprint(path: &Path, shown: &Path) -> Result<Vec<InputFile>> {
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
            h.update(p.file_name().map(|n| n.as_encoded_bytes()).unwrap_or_default());
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
    }
    Ok(files)
}

fn hash_file(p: &Path, h: &mut Sha256) -> Result<()> {
    let mut f = std::fs::File::open(p).map_err(|e| Error::input(p, e.to_string()))?;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::input(p, e.to_string()))?;
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
