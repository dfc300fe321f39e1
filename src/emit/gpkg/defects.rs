//! The defects of report.json that concern a place, as layers of
//! bundle.gpkg: the same features as defects.geojson, split by geometry type
//! since a GeoPackage layer holds one — `defects_areas` (MultiPolygon: a
//! record's polygon, two hazards' overlap, the part of a release outside
//! its hazards), `defects_points` (MultiPoint: where a ring crosses itself, a
//! quarantined point record) and `defects_lines` (MultiLineString: a
//! quarantined line record, an area too thin for the output grid drawn as
//! its rings). Every layer is written, empty or not, so a QGIS project can
//! rely on the three. Column names fit a Shapefile's 10 characters.

use super::text;
use crate::diagnostics::{AreaFigures, Place};
use crate::emit::defects::{severity_str, LocatedDefect};
use crate::geometry::{round_area, snap_valid};
use gdal::spatial_ref::SpatialRef;
use gdal::vector::{
    FieldDefn, LayerAccess, LayerOptions, OGRFieldType, OGRwkbGeometryType, ToGdal,
};
use gdal::Dataset;
use geo::orient::{Direction, Orient};

/// (column, type, what it holds): the GeoJSON property where the name
/// differs is in `gpkg_data_columns`.
pub(super) const COLUMNS: [(&str, OGRFieldType::Type, &str, &str); 13] = [
    (
        "number",
        OGRFieldType::OFTInteger64,
        "number",
        "Number in report.json",
    ),
    ("code", OGRFieldType::OFTString, "code", "Code"),
    ("severity", OGRFieldType::OFTString, "severity", "Severity"),
    ("message", OGRFieldType::OFTString, "message", "Message"),
    ("fix", OGRFieldType::OFTString, "fix", "What clearmap did"),
    ("file", OGRFieldType::OFTString, "file", "Source file"),
    (
        "layer",
        OGRFieldType::OFTString,
        "layer",
        "Layer of the source",
    ),
    (
        "reference",
        OGRFieldType::OFTString,
        "reference",
        "Record: fid, row or feature",
    ),
    (
        "source_id",
        OGRFieldType::OFTString,
        "source_id",
        "Id in the source",
    ),
    ("record", OGRFieldType::OFTString, "record", "Record"),
    (
        "other",
        OGRFieldType::OFTString,
        "other_record",
        "Other record of the pair",
    ),
    (
        "report_m2",
        OGRFieldType::OFTReal,
        "reported_m2",
        "Reported area, m²",
    ),
    (
        "comp_m2",
        OGRFieldType::OFTReal,
        "computed_m2",
        "Computed area, m²",
    ),
];

/// The three layers' names and geometry types.
pub(super) const LAYERS: [(&str, OGRwkbGeometryType::Type); 3] = [
    ("defects_areas", OGRwkbGeometryType::wkbMultiPolygon),
    ("defects_points", OGRwkbGeometryType::wkbMultiPoint),
    ("defects_lines", OGRwkbGeometryType::wkbMultiLineString),
];

/// A defect's geometry as GDAL takes it, and the layer (index in [`LAYERS`]).
fn geometry(place: &Place, precision: u8) -> gdal::errors::Result<(usize, gdal::vector::Geometry)> {
    Ok(match place {
        Place::Area(mp) => {
            let snapped = snap_valid(mp, precision);
            if snapped.0.is_empty() {
                let rings = geo::MultiLineString::new(
                    mp.0.iter()
                        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                        .cloned()
                        .collect(),
                );
                (2, rings.to_gdal()?)
            } else {
                (0, snapped.orient(Direction::Default).to_gdal()?)
            }
        }
        Place::Point(p) => (1, geo::MultiPoint::new(vec![*p]).to_gdal()?),
        Place::Points(mp) => (1, mp.to_gdal()?),
        Place::Lines(ml) => (2, ml.to_gdal()?),
    })
}

/// Write the three defects layers.
pub(super) fn layers(
    ds: &mut Dataset,
    srs: &SpatialRef,
    defects: &[LocatedDefect],
    precision: u8,
) -> gdal::errors::Result<()> {
    let mut tx = ds.start_transaction()?;
    for (name, ty) in LAYERS {
        let description =
            "DESCRIPTION=diagnostics of report.json at the place they concern (see report.html)";
        let layer = tx.create_layer(LayerOptions {
            name,
            srs: Some(srs),
            ty,
            options: Some(&["SPATIAL_INDEX=YES", description]),
        })?;
        for (column, ty, _, _) in COLUMNS {
            FieldDefn::new(column, ty)?.add_to_layer(&layer)?;
        }
    }
    for ld in defects {
        let (k, g) = geometry(ld.place, precision)?;
        let layer = tx.layer_by_name(LAYERS[k].0)?;
        let mut f = gdal::vector::Feature::new(layer.defn())?;
        let d = ld.diagnostic;
        f.set_field_integer64(0, ld.number as i64)?;
        f.set_field_string(1, d.code.as_str())?;
        f.set_field_string(2, severity_str(d.severity))?;
        f.set_field_string(3, &text(&d.message))?;
        match &d.fix {
            Some(fix) => f.set_field_string(4, &text(fix))?,
            None => f.set_field_null(4)?,
        }
        match &d.record {
            Some(r) => {
                f.set_field_string(5, &text(&r.file))?;
                f.set_field_string(6, &text(&r.layer))?;
                f.set_field_string(7, &r.at.to_string())?;
                match &r.source_id {
                    Some(id) => f.set_field_string(8, &text(id))?,
                    None => f.set_field_null(8)?,
                }
                f.set_field_string(9, &text(&r.to_string()))?;
            }
            None => {
                for i in 5..=9 {
                    f.set_field_null(i)?;
                }
            }
        }
        match &d.other {
            Some(o) => f.set_field_string(10, &text(&o.to_string()))?,
            None => f.set_field_null(10)?,
        }
        match d.areas {
            Some(AreaFigures {
                reported_m2,
                computed_m2,
            }) => {
                f.set_field_double(11, round_area(reported_m2))?;
                f.set_field_double(12, round_area(computed_m2))?;
            }
            None => {
                f.set_field_null(11)?;
                f.set_field_null(12)?;
            }
        }
        f.set_geometry(g)?;
        f.create(&layer)?;
    }
    tx.commit()
}
