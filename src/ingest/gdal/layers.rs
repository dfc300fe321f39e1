//! Every layer of a file as `clearmap describe` and `clearmap init` see it:
//! name, geometry type, feature count, CRS, extent, the columns with their
//! type and coded-value domain, and each row's values and geometry type.
//!
//! The file is opened as a build opens it ([`super::open`]), so what is
//! described is what a build reads: the same driver, CSV geometry columns,
//! XLSX headers and shapefile encodings.

use super::fields::{has_geometry, row_values};
use super::open::{self, Purpose};
use super::{domains, layer_extent};
use crate::error::{Error, Result};
use crate::ingest::crs::Extent;
use crate::ingest::mapping::RawValue;
use crate::ingest::{Limits, SourceConfig};
use crate::model::Role;
use gdal::vector::LayerAccess;
use std::collections::BTreeMap;
use std::path::Path;

/// One column of a layer.
#[derive(Debug, Clone)]
pub struct ColumnInfo {
    pub name: String,
    /// GDAL's name of the field type (`String`, `Integer`, `Real`, `Date` …).
    pub kind: String,
    /// The coded-value domain of the column (code → label), if it has one.
    pub domain: Option<BTreeMap<String, String>>,
}

/// One layer, apart from its rows.
#[derive(Debug, Clone)]
pub struct LayerInfo {
    pub name: String,
    /// GDAL's driver (`GeoJSON`, `ESRI Shapefile`, `GPKG` …).
    pub driver: String,
    /// The declared geometry type; `None` for a table without geometry.
    pub geometry_type: Option<String>,
    /// Features read (not the count the layer declares).
    pub features: u64,
    /// The layer's CRS as `AUTHORITY:CODE`, else its name; `None` when it
    /// declares none.
    pub crs: Option<String>,
    /// The extent in the layer's own coordinates.
    pub extent: Option<Extent>,
    pub columns: Vec<ColumnInfo>,
}

/// One row of a layer, handed to the caller while the layer is read.
pub struct Row<'a> {
    /// Values by column index.
    pub values: &'a [Option<RawValue>],
    /// The geometry's type name, `None` when the feature has none.
    pub geometry: Option<String>,
}

/// Read every layer of `path` (or only `only`), handing each row to `on_row`
/// with the layer's index. A zip holding several shapefiles needs `only`.
pub fn read_layers(
    path: &Path,
    only: Option<&str>,
    limits: &Limits,
    on_row: &mut dyn FnMut(usize, Row),
) -> Result<Vec<LayerInfo>> {
    let mut source = SourceConfig::new(path.to_path_buf(), Role::Hazard);
    source.layer = only.map(str::to_string);
    let opened = open::open(
        path,
        &source,
        Purpose::Features,
        &crate::ingest::error::ConfigRef(None),
        limits,
    )?;
    let ds = opened.dataset();
    let driver = ds.driver().short_name();
    let names: Vec<String> = ds.layers().map(|l| l.name()).collect();
    let wanted = only.or(opened.chosen_layer.as_deref());
    let chosen: Vec<usize> = match wanted {
        Some(w) => match names.iter().position(|n| n == w) {
            Some(i) => vec![i],
            None => {
                return Err(Error::input(
                    path,
                    format!("has no layer \"{w}\"; its layers are: {}", names.join(", ")),
                ))
            }
        },
        None => (0..names.len()).collect(),
    };
    let mut out = Vec::new();
    for (slot, i) in chosen.into_iter().enumerate() {
        let mut layer = ds
            .layer(i)
            .map_err(|e| Error::input(path, format!("cannot read layer {i}: {e}")))?;
        let columns: Vec<ColumnInfo> = layer
            .defn()
            .fields()
            .map(|f| ColumnInfo {
                name: f.name(),
                kind: gdal::vector::field_type_to_name(f.field_type()),
                domain: None,
            })
            .collect();
        let all: Vec<usize> = (0..columns.len()).collect();
        let mut domains = domains::coded_values(ds, &layer, &all);
        let columns = columns
            .into_iter()
            .enumerate()
            .map(|(c, mut info)| {
                info.domain = domains.remove(&c);
                info
            })
            .collect::<Vec<_>>();
        let geometry_type = layer
            .defn()
            .geom_fields()
            .next()
            .map(|g| gdal::vector::geometry_type_to_name(g.field_type()));
        let srs = layer.spatial_ref();
        let crs = srs
            .as_ref()
            .map(|s| s.authority().ok().or_else(|| s.name()).unwrap_or_default());
        let extent = layer_extent(&layer);
        let n = columns.len();
        let mut features = 0u64;
        for f in layer.features() {
            features += 1;
            let values = row_values(&f, n);
            let geometry = has_geometry(&f)
                .then(|| f.geometry().map(|g| g.geometry_name()))
                .flatten();
            on_row(
                slot,
                Row {
                    values: &values,
                    geometry,
                },
            );
        }
        out.push(LayerInfo {
            name: names.get(i).cloned().unwrap_or_default(),
            driver: driver.clone(),
            geometry_type,
            features,
            crs,
            extent,
            columns,
        });
    }
    Ok(out)
}
