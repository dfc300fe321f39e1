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
    /// The centre of the geometry's envelope in WGS84 lon/lat, when the
    /// layer's CRS (or, without one, coordinates that look like degrees)
    /// tells where it is: where the record lies, for `describe` and `init`.
    pub lon_lat: Option<(f64, f64)>,
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
        let to_wgs84 = srs.as_ref().and_then(wgs84_transform);
        let n = columns.len();
        let mut features = 0u64;
        for f in layer.features() {
            features += 1;
            let values = row_values(&f, n);
            let g = has_geometry(&f).then(|| f.geometry()).flatten();
            let geometry = g.map(|g| g.geometry_name());
            let lon_lat = g
                .filter(|g| !g.is_empty())
                .and_then(|g| centre_lon_lat(g, srs.is_some(), to_wgs84.as_ref()));
            on_row(
                slot,
                Row {
                    values: &values,
                    geometry,
                    lon_lat,
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

/// The transformation of a layer's CRS to WGS84 lon/lat (x = longitude).
fn wgs84_transform(
    srs: &gdal::spatial_ref::SpatialRef,
) -> Option<gdal::spatial_ref::CoordTransform> {
    use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
    let mut from = srs.clone();
    from.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let mut to = SpatialRef::from_epsg(4326).ok()?;
    to.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    CoordTransform::new(&from, &to).ok()
}

/// The centre of `g`'s envelope in lon/lat: through the layer's CRS, or as
/// it is when the layer has none and it looks like degrees.
fn centre_lon_lat(
    g: &gdal::vector::Geometry,
    has_crs: bool,
    to_wgs84: Option<&gdal::spatial_ref::CoordTransform>,
) -> Option<(f64, f64)> {
    let e = g.envelope();
    let (mut x, mut y) = ([(e.MinX + e.MaxX) / 2.0], [(e.MinY + e.MaxY) / 2.0]);
    match (has_crs, to_wgs84) {
        (true, Some(t)) => t.transform_coords(&mut x, &mut y, &mut []).ok()?,
        (true, None) => return None,
        (false, _) => {}
    }
    let (lon, lat) = (x[0], y[0]);
    (lon.is_finite() && lat.is_finite() && lon.abs() <= 180.0 && lat.abs() <= 90.0)
        .then_some((lon, lat))
}
