//! The defects of report.json that concern a place, as layers of
//! bundle.gpkg: the same features as defects.geojson, split by geometry type
//! since a GeoPackage layer holds one — `defects_areas` (MultiPolygon: a
//! record's polygon, two hazards' overlap, the part of a release outside
//! its hazards), `defects_points` (MultiPoint: where a ring crosses itself, a
//! quarantined point record) and `defects_lines` (MultiLineString: a
//! quarantined line record, an area too thin for the output grid drawn as
//! its rings). Every layer is written, empty or not, so a QGIS project can
//! rely on the three. Column names fit a Shapefile's 10 characters.

use super::sqlite::{ColumnType, Multi, Tx, Value, Writer};
use super::{
    multipolygon_wkb, polygon_points, text, wkb_count, wkb_header, wkb_xy, WKB_LINESTRING,
    WKB_MULTILINESTRING, WKB_MULTIPOINT, WKB_POINT,
};
use crate::diagnostics::{AreaFigures, Place};
use crate::emit::defects::{severity_str, LocatedDefect};
use crate::geometry::{round_area, snap_valid};
use geo::{Coord, LineString};

/// (column, type, GeoJSON property, title): the GeoJSON property where the
/// name differs is in `gpkg_data_columns`.
pub(super) const COLUMNS: [(&str, ColumnType, &str, &str); 13] = [
    (
        "number",
        ColumnType::Integer,
        "number",
        "Number in report.json",
    ),
    ("code", ColumnType::Text, "code", "Code"),
    ("severity", ColumnType::Text, "severity", "Severity"),
    ("message", ColumnType::Text, "message", "Message"),
    ("fix", ColumnType::Text, "fix", "What clearmap did"),
    ("file", ColumnType::Text, "file", "Source file"),
    ("layer", ColumnType::Text, "layer", "Layer of the source"),
    (
        "reference",
        ColumnType::Text,
        "reference",
        "Record: fid, row or feature",
    ),
    (
        "source_id",
        ColumnType::Text,
        "source_id",
        "Id in the source",
    ),
    ("record", ColumnType::Text, "record", "Record"),
    (
        "other",
        ColumnType::Text,
        "other_record",
        "Other record of the pair",
    ),
    (
        "report_m2",
        ColumnType::Real,
        "reported_m2",
        "Reported area, m²",
    ),
    (
        "comp_m2",
        ColumnType::Real,
        "computed_m2",
        "Computed area, m²",
    ),
];

/// The three layers' names and geometry types.
pub(super) const LAYERS: [(&str, Multi); 3] = [
    ("defects_areas", Multi::Polygon),
    ("defects_points", Multi::Point),
    ("defects_lines", Multi::LineString),
];

/// MultiPoint WKB of `points` into `out` (cleared first).
fn multipoint_wkb(points: &[Coord<f64>], out: &mut Vec<u8>) {
    out.clear();
    wkb_header(out, WKB_MULTIPOINT);
    out.extend_from_slice(&wkb_count(points.len()));
    for c in points {
        wkb_header(out, WKB_POINT);
        wkb_xy(out, c);
    }
}

/// MultiLineString WKB of `lines` into `out` (cleared first).
fn multilinestring_wkb<'a>(
    lines: impl ExactSizeIterator<Item = &'a LineString<f64>>,
    out: &mut Vec<u8>,
) {
    out.clear();
    wkb_header(out, WKB_MULTILINESTRING);
    out.extend_from_slice(&wkb_count(lines.len()));
    for l in lines {
        wkb_header(out, WKB_LINESTRING);
        out.extend_from_slice(&wkb_count(l.0.len()));
        for c in &l.0 {
            wkb_xy(out, c);
        }
    }
}

/// Insert a defect's row with its geometry into the layer it belongs to
/// (of `tables`, numbered as [`LAYERS`]).
fn feature(
    tx: &mut Tx<'_>,
    tables: [usize; 3],
    place: &Place,
    precision: u8,
    wkb: &mut Vec<u8>,
    values: &[Value],
) -> rusqlite::Result<()> {
    let coords = |cs: &mut dyn Iterator<Item = Coord<f64>>| -> Vec<[f64; 2]> {
        cs.map(|c| [c.x, c.y]).collect()
    };
    match place {
        Place::Area(mp) => {
            let snapped = snap_valid(mp, precision);
            if snapped.0.is_empty() {
                let rings: Vec<&LineString<f64>> =
                    mp.0.iter()
                        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                        .collect();
                multilinestring_wkb(rings.iter().copied(), wkb);
                let points = coords(&mut rings.iter().flat_map(|r| r.0.iter().copied()));
                tx.feature(tables[2], Some((wkb, &mut points.into_iter())), values)
            } else {
                multipolygon_wkb(&snapped, wkb);
                let mut points = polygon_points(&snapped);
                tx.feature(tables[0], Some((wkb, &mut points)), values)?;
                Ok(())
            }
        }
        Place::Point(p) => {
            multipoint_wkb(&[p.0], wkb);
            tx.feature(
                tables[1],
                Some((wkb, &mut std::iter::once([p.x(), p.y()]))),
                values,
            )
        }
        Place::Points(mp) => {
            let cs: Vec<Coord<f64>> = mp.0.iter().map(|p| p.0).collect();
            multipoint_wkb(&cs, wkb);
            tx.feature(
                tables[1],
                Some((wkb, &mut cs.iter().map(|c| [c.x, c.y]))),
                values,
            )
        }
        Place::Lines(ml) => {
            multilinestring_wkb(ml.0.iter(), wkb);
            let points = coords(&mut ml.0.iter().flat_map(|l| l.0.iter().copied()));
            tx.feature(tables[2], Some((wkb, &mut points.into_iter())), values)
        }
    }
}

/// Text or NULL.
fn opt<'a>(t: &'a Option<std::borrow::Cow<'_, str>>) -> Value<'a> {
    match t {
        Some(s) => Value::Text(s),
        None => Value::Null,
    }
}

/// Write the three defects layers.
pub(super) fn layers(
    w: &mut Writer,
    defects: &[LocatedDefect],
    precision: u8,
) -> rusqlite::Result<()> {
    let columns: Vec<(&str, ColumnType)> = COLUMNS.iter().map(|(c, t, _, _)| (*c, *t)).collect();
    let description = "diagnostics of report.json at the place they concern (see report.html)";
    w.transaction(|tx| {
        let tables = LAYERS.map(|(name, ty)| tx.table(name, Some(ty), &columns, description));
        let mut wkb = Vec::new();
        for ld in defects {
            let d = ld.diagnostic;
            let texts: [Option<std::borrow::Cow<str>>; 7] = [
                d.fix.as_deref().map(text),
                d.record.as_ref().map(|r| text(&r.file)),
                d.record.as_ref().map(|r| text(&r.layer)),
                d.record.as_ref().map(|r| r.at.to_string().into()),
                d.record
                    .as_ref()
                    .and_then(|r| r.source_id.as_deref().map(text)),
                d.record
                    .as_ref()
                    .map(|r| text(&r.to_string()).into_owned().into()),
                d.other
                    .as_ref()
                    .map(|o| text(&o.to_string()).into_owned().into()),
            ];
            let message = text(&d.message);
            let (reported, computed) = match d.areas {
                Some(AreaFigures {
                    reported_m2,
                    computed_m2,
                }) => (
                    Value::Real(round_area(reported_m2)),
                    Value::Real(round_area(computed_m2)),
                ),
                None => (Value::Null, Value::Null),
            };
            let values = [
                Value::Integer(ld.number as i64),
                Value::Text(d.code.as_str()),
                Value::Text(severity_str(d.severity)),
                Value::Text(&message),
                opt(&texts[0]),
                opt(&texts[1]),
                opt(&texts[2]),
                opt(&texts[3]),
                opt(&texts[4]),
                opt(&texts[5]),
                opt(&texts[6]),
                reported,
                computed,
            ];
            feature(tx, tables, ld.place, precision, &mut wkb, &values)?;
        }
        Ok(())
    })
}
