//! A GDAL feature's values and geometry as plain types: attribute values as
//! [`RawValue`]s, the geometry reprojected to WGS84 and flattened to 2D.

use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::ingest::mapping::RawValue;
use crate::ingest::{crs, RawGeometry};
use crate::model::Provenance;
use gdal::spatial_ref::CoordTransform;
use gdal::vector::FieldValue;

/// All attribute values of a feature, by column index.
pub(super) fn row_values(feature: &gdal::vector::Feature, n: usize) -> Vec<Option<RawValue>> {
    (0..n)
        .map(|i| {
            field_is_set(feature, i)
                .then(|| feature.field(i).ok().flatten().and_then(field_to_raw))
                .flatten()
        })
        .collect()
}

/// Vertices of a GDAL geometry, all parts and rings, counted without
/// converting it (a geometry over the limit is never copied).
pub(super) fn vertex_count(g: &gdal::vector::Geometry) -> u64 {
    let parts = g.geometry_count();
    if parts == 0 {
        g.point_count() as u64
    } else {
        (0..parts)
            .map(|i| vertex_count(&g.get_geometry(i)))
            .fold(0u64, u64::saturating_add)
    }
}

/// Whether field `i` of the feature holds a value. The `gdal` crate only asks
/// whether a field is null: for an unset list field (a GeoJSON feature that
/// lacks a property another feature has as an array) it then builds a slice
/// from GDAL's null pointer, which is undefined behaviour (found by fuzzing).
#[allow(unsafe_code)]
pub(super) fn field_is_set(feature: &gdal::vector::Feature, i: usize) -> bool {
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
pub(super) fn has_geometry(feature: &gdal::vector::Feature) -> bool {
    // SAFETY: the feature handle is valid for the feature's lifetime, and
    // OGR_F_GetGeometryRef only reads it; the returned pointer is not kept.
    unsafe { !gdal_sys::OGR_F_GetGeometryRef(feature.c_feature()).is_null() }
}

/// Reproject (when needed) and convert to geo types; failures are diagnostics.
pub(super) fn read_geometry(
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
                diags.push(crs::unprojectable(&e, prov));
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

pub(super) fn field_to_raw(v: FieldValue) -> Option<RawValue> {
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
