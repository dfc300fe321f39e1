//! The GDAL/OGR reader: any vector format GDAL opens (GeoJSON, Shapefile,
//! GeoPackage, File Geodatabase, CSV, XLSX, KML …), one layer per source.
//!
//! Owns reading a layer's features ([`read`]) and a table's rows
//! ([`table::read_table`]); how a file is opened is `open.rs`'s, which CRS it
//! is in is [`crate::ingest::crs`]'s, what GDAL says on the way
//! `messages.rs`'s.
//!
//! GDAL datasets are not thread-safe, so a layer is read sequentially here into
//! plain geo types; everything after ingest is parallel.
//!
//! A layer is read whole or not at all (`count.rs`): a failure GDAL reports
//! while reading it (a truncated `.dbf`, a zip member with a CRC error, a
//! damaged sheet), or fewer records than the layer declares, is an error
//! naming the file, layer and last record read. GDAL's warnings stay
//! READER_MESSAGE diagnostics.

mod count;
mod domains;
mod fields;
pub(crate) mod layers;
pub(crate) mod messages;
mod nul;
pub(crate) mod open;
mod refs;
mod table;

use crate::diagnostics::Diagnostics;
use crate::ingest::crs;
use crate::ingest::error::Result;
use crate::ingest::limits::too_large;
use crate::ingest::mapping::Mapper;
use crate::ingest::record::{empty_batch, encoding_diagnostic, has_mangled_text, provenance};
use crate::ingest::{IngestConfig, IngestError, RawGeometry, RawRecord, SourceBatch, SourceConfig};
use count::check_count;
use fields::{has_geometry, read_geometry, row_values, vertex_count};
use gdal::vector::LayerAccess;
use gdal::Dataset;
use messages::{position, FailureWatch};
use open::{Format, Purpose};
use std::path::Path;
pub(crate) use table::{read_table, Table};

/// The layer a source names, or its only layer.
fn select_layer<'a>(
    ds: &'a Dataset,
    wanted: Option<&str>,
    path: &Path,
    shown: &str,
    config_path: &crate::ingest::error::ConfigRef,
) -> Result<gdal::vector::Layer<'a>> {
    let names: Vec<String> = ds.layers().map(|l| l.name()).collect();
    match wanted {
        Some(name) => ds
            .layer_by_name(name)
            .map_err(|_| IngestError::NoSuchLayer {
                path: path.to_path_buf(),
                layer: name.to_string(),
                layers: names,
            }),
        None if names.len() == 1 => ds.layer(0).map_err(|e| IngestError::LayerUnreadable {
            path: path.to_path_buf(),
            reason: e.to_string(),
        }),
        None if names.is_empty() => Err(IngestError::NoLayer {
            path: path.to_path_buf(),
        }),
        None => Err(IngestError::ManyLayers {
            config: config_path.clone(),
            desc: shown.to_string(),
            layers: names,
        }),
    }
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

/// The extent to judge a degree source's CRS by. When a few records lie
/// outside longitude/latitude (a typo, a 1e308 placeholder, one record in UTM),
/// the extent of the records that fit, so that those few are quarantined one
/// by one in normalize rather than the whole source; when most do not fit, the
/// layer's own extent (the source is projected and says otherwise).
fn fitting_extent(layer: &mut gdal::vector::Layer, whole: crs::Extent) -> crs::Extent {
    if crs::is_lon_lat(&whole) {
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
            && crs::is_lon_lat(&e)
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

pub(super) fn read(
    cfg: &IngestConfig,
    source: &SourceConfig,
    diags: &mut Diagnostics,
) -> Result<SourceBatch> {
    let path = cfg.resolve(&source.path);
    let shown = source.path.display().to_string();
    let config_path = cfg.config_ref();
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
            return Err(IngestError::CsvSeparator {
                config: config_path.clone(),
                desc: source_desc,
                hint,
            });
        }
        return Err(IngestError::NoGeometryColumn {
            config: config_path.clone(),
            desc: source_desc,
            columns,
        });
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
    let plan = crs::plan(crs::CrsInput {
        config_crs: source.crs.as_deref(),
        overrides_file: source.crs_overrides_file,
        layer_srs,
        extent,
        country: cfg.country,
        desc: &source_desc,
        path: &path,
        config: &config_path,
    })?;
    diags.extend(plan.diagnostics());
    // Creating the transformation may fail for a CRS PROJ does not know;
    // the plan has dealt with that.
    watch.skip();
    let mut records: Vec<RawRecord> = Vec::new();
    let mut record_diags = Vec::new();
    let mut mangled_rows = 0;
    let mut last_fid = None;
    let refs = refs::RefScheme::for_layer(&driver, &path);
    if let Some(n) = layer.try_feature_count() {
        cfg.progress.add_length(n);
    }
    let (shown_arc, layer_arc): (std::sync::Arc<str>, std::sync::Arc<str>) =
        (shown.as_str().into(), layer_name.as_str().into());
    let mut features = layer.features();
    for row in 0.. {
        let next = features.next();
        watch.check(&path, &source_desc, || {
            position(row, records.last().map(|r| &r.provenance))
        })?;
        let Some(feature) = next else { break };
        cfg.progress.inc(1);
        last_fid = feature.fid().or(last_fid);
        let at = refs.reference(feature.fid(), row);
        let values = row_values(&feature, columns.len());
        if has_mangled_text(&values) {
            mangled_rows += 1;
        }
        let get = |i: usize| values.get(i).cloned().flatten();
        let prov = provenance(&shown_arc, &layer_arc, (row, at), &mapper, get);
        let attrs = mapper.map(&get, &prov, &mut record_diags);
        let geometry = match feature.geometry() {
            _ if !has_geometry(&feature) => RawGeometry::Missing,
            None => RawGeometry::Missing,
            Some(g) if g.is_empty() => RawGeometry::Empty,
            Some(_) if plan.quarantine.is_some() => {
                let (code, _) = plan.quarantine.as_ref().expect("checked");
                record_diags.push(crs::misfit(*code, &prov));
                RawGeometry::Unreadable
            }
            Some(g) if vertex_count(g) > cfg.limits.max_vertices => {
                record_diags
                    .push(too_large(vertex_count(g), cfg.limits.max_vertices).record(&prov));
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
        nul::quarantine_nul_rows(&path, &source_desc, &mut records, &mut record_diags)?;
    }
    mapper.finish()?;
    diags.extend(record_diags);
    if mangled_rows > 0 {
        diags.push(encoding_diagnostic(source, &source_desc, mangled_rows));
    }
    Ok(SourceBatch {
        records,
        srs: plan.wkt(),
        ..empty_batch(source, driver, cfg.limits.max_vertices)
    })
}
