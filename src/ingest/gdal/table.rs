//! A table read as plain rows through GDAL (geometry ignored): the point
//! template and an attributes table.

use super::count::check_count;
use super::fields::row_values;
use super::messages::FailureWatch;
use super::open::{self, Purpose};
use super::refs::RefScheme;
use super::select_layer;
use crate::diagnostics::Diagnostics;
use crate::ingest::error::Result;
use crate::ingest::mapping::RawValue;
use crate::ingest::record::{encoding_diagnostic, has_mangled_text};
use crate::ingest::{IngestConfig, SourceConfig};
use crate::model::RecordRef;
use gdal::vector::LayerAccess;
use std::path::Path;

/// A table read as plain rows: the point template or an attributes table.
#[derive(Debug, Clone)]
pub struct Table {
    /// As written in the config, for provenance.
    pub shown: String,
    pub layer: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<RawValue>>>,
    /// Each row's reference as a person finds it (spreadsheet row, FID).
    pub refs: Vec<RecordRef>,
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
    cfg: &IngestConfig,
    source: &SourceConfig,
    file: &Path,
    layer: Option<&str>,
    diags: &mut Diagnostics,
) -> Result<Table> {
    let path = cfg.resolve(file);
    let shown = file.display().to_string();
    let config_path = cfg.config_ref();
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
    let scheme = RefScheme::for_layer(&driver, &path);
    let mut refs = Vec::new();
    let mut features = lyr.features();
    loop {
        let next = features.next();
        watch.check(&path, &desc, || at(rows.len()))?;
        let Some(f) = next else { break };
        last_fid = f.fid().or(last_fid);
        refs.push(scheme.reference(f.fid(), rows.len()));
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
        refs,
    })
}
