//! The data officer's outputs of report.json's diagnostics: `defects.geojson`
//! (one feature per diagnostic that concerns a place, at the place itself)
//! and `report.csv` (the worklist: one row per diagnostic, in report.json's
//! order, written by the tables' CSV writer).
//!
//! Both number the diagnostics as report.json lists them (`number`, from 1),
//! and a row of report.csv names its feature of defects.geojson (`defect`),
//! so that report.json, the worklist, the map and report.html point at one
//! another. Areas are MultiPolygons, points Points (MultiPoints for a
//! quarantined record of several), lines MultiLineStrings; an area too thin
//! for the output grid is drawn as its rings. The record is named through [`Provenance`]: its fields as it
//! serialises them, and its one-line form (`record`) as it displays itself;
//! the other record of a pair (an overlap, a duplicate) likewise, prefixed
//! `other_`.
//!
//! [`Provenance`]: crate::model::Provenance

use super::geojson::{write_geometry, write_lines, write_point, write_points, FeatureWriter};
use super::tables::{Cell, Column, Rows, Table};
use crate::diagnostics::{AreaFigures, Diagnostic, Diagnostics, Place, Severity};
use crate::geometry::{round_area, snap_valid};
use serde_json::{json, Map, Value};
use std::io;

/// A diagnostic that concerns a place, with where it stands in report.json
/// and in defects.geojson.
#[derive(Debug, Clone, Copy)]
pub struct LocatedDefect<'a> {
    /// Its feature id in defects.geojson, from 1.
    pub feature: u64,
    /// Its position in report.json's `diagnostics`, from 1 (report.csv's `number`).
    pub number: usize,
    pub diagnostic: &'a Diagnostic,
    pub place: &'a Place,
}

/// Every diagnostic that has a place, in report order.
pub fn located(d: &Diagnostics) -> Vec<LocatedDefect<'_>> {
    d.items()
        .iter()
        .enumerate()
        .filter_map(|(i, diagnostic)| Some((i, diagnostic, diagnostic.place.as_ref()?)))
        .enumerate()
        .map(|(k, (i, diagnostic, place))| LocatedDefect {
            feature: k as u64 + 1,
            number: i + 1,
            diagnostic,
            place,
        })
        .collect()
}

pub fn severity_str(s: Severity) -> &'static str {
    match s {
        Severity::Info => "info",
        Severity::Warning => "warning",
        Severity::Error => "error",
    }
}

/// A feature's properties: the diagnostic, its record's fields as
/// [`crate::model::Provenance`] serialises them, and `record` as it displays.
fn properties(ld: &LocatedDefect, full: bool) -> Map<String, Value> {
    let d = ld.diagnostic;
    let mut props = Map::new();
    props.insert("number".into(), json!(ld.number));
    if !full {
        return props;
    }
    props.insert("code".into(), json!(d.code.as_str()));
    props.insert("severity".into(), json!(severity_str(d.severity)));
    props.insert("message".into(), json!(d.message));
    props.insert("fix".into(), json!(d.fix));
    if let Some(r) = &d.record {
        if let Ok(Value::Object(fields)) = serde_json::to_value(r) {
            props.extend(fields);
        }
        props.insert("record".into(), json!(r.to_string()));
    }
    // The other record of a pair, its fields prefixed with `other_`.
    if let Some(o) = &d.other {
        if let Ok(Value::Object(fields)) = serde_json::to_value(o) {
            props.extend(fields.into_iter().map(|(k, v)| (format!("other_{k}"), v)));
        }
        props.insert("other_record".into(), json!(o.to_string()));
    }
    if let Some(AreaFigures {
        reported_m2,
        computed_m2,
    }) = d.areas
    {
        props.insert("reported_m2".into(), json!(round_area(reported_m2)));
        props.insert("computed_m2".into(), json!(round_area(computed_m2)));
    }
    props
}

/// defects.geojson's bytes; with `full` false, each feature's properties
/// are its `number` alone (report.html, which has the rest).
pub fn defects_geojson(
    defects: &[LocatedDefect],
    precision: u8,
    full: bool,
) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    write_defects_geojson(&mut buf, defects, precision, full)?;
    Ok(buf)
}

/// [`defects_geojson`] written to `w` as it is made.
pub fn write_defects_geojson(
    w: &mut dyn io::Write,
    defects: &[LocatedDefect],
    precision: u8,
    full: bool,
) -> io::Result<()> {
    let mut fw = FeatureWriter::new(w, precision)?;
    for ld in defects {
        fw.feature_with(Some(ld.feature), &properties(ld, full), |fw| {
            match ld.place {
                Place::Area(mp) => {
                    let (w, precision) = fw.raw();
                    let snapped = snap_valid(mp, precision);
                    if snapped.0.is_empty() {
                        // Too thin for the output grid (a quarantined record
                        // whose vertices are collinear): drawn as its rings.
                        write_lines(w, &rings(mp), precision)
                    } else {
                        write_geometry(w, &snapped, precision)
                    }
                }
                Place::Point(p) => {
                    let (w, precision) = fw.raw();
                    write_point(w, *p, precision)
                }
                Place::Points(mp) => {
                    let (w, precision) = fw.raw();
                    write_points(w, mp, precision)
                }
                Place::Lines(ml) => {
                    let (w, precision) = fw.raw();
                    write_lines(w, ml, precision)
                }
            }
        })?;
    }
    fw.finish()
}

fn rings(mp: &geo::MultiPolygon<f64>) -> geo::MultiLineString<f64> {
    geo::MultiLineString::new(
        mp.0.iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .cloned()
            .collect(),
    )
}

/// report.csv's columns.
const COLUMNS: [(&str, &str); 14] = [
    ("number", "Number in report.json"),
    ("code", "Code"),
    ("severity", "Severity"),
    ("file", "File"),
    ("layer", "Layer"),
    ("reference", "Record (fid, row or feature)"),
    ("source_id", "Id in the source"),
    ("record", "Record"),
    ("other_record", "Other record of the pair"),
    ("message", "Message"),
    ("fix", "What clearmap did"),
    ("defect", "Feature in defects.geojson"),
    ("reported_m2", "Reported area (m²)"),
    ("computed_m2", "Computed area (m²)"),
];

/// The worklist: every diagnostic of report.json, in its order.
pub fn worklist(d: &Diagnostics) -> Table<'_> {
    let features: Vec<Option<u64>> = {
        let mut next = 0;
        d.items()
            .iter()
            .map(|x| {
                x.place.as_ref().map(|_| {
                    next += 1;
                    next
                })
            })
            .collect()
    };
    let text = |s: Option<&str>| s.map_or(Cell::Empty, |s| Cell::Text(s.to_string()));
    let items = d.items();
    // Made when read: a row per diagnostic, and a large export has
    // hundreds of thousands of them.
    let rows = Rows::made(items.len().min(features.len()), move |i| {
        let (x, feature) = (&items[i], features[i]);
        let r = x.record.as_ref();
        vec![
            Cell::Count(i + 1),
            Cell::Text(x.code.as_str().into()),
            Cell::Text(severity_str(x.severity).into()),
            text(r.map(|r| &*r.file)),
            text(r.map(|r| &*r.layer)),
            r.map_or(Cell::Empty, |r| Cell::Text(r.at.to_string())),
            text(r.and_then(|r| r.source_id.as_deref())),
            r.map_or(Cell::Empty, |r| Cell::Text(r.to_string())),
            x.other
                .as_ref()
                .map_or(Cell::Empty, |o| Cell::Text(o.to_string())),
            Cell::Text(x.message.clone()),
            text(x.fix.as_deref()),
            feature.map_or(Cell::Empty, |f| Cell::Count(f as usize)),
            x.areas
                .map_or(Cell::Empty, |a| Cell::M2(round_area(a.reported_m2))),
            x.areas
                .map_or(Cell::Empty, |a| Cell::M2(round_area(a.computed_m2))),
        ]
    });
    Table {
        name: "report",
        notes: vec![],
        columns: COLUMNS
            .iter()
            .map(|&(key, label)| Column { key, label })
            .collect(),
        rows,
        total_row: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Code;
    use crate::model::Provenance;
    use geo::{point, polygon, MultiPolygon};

    fn diags() -> Diagnostics {
        let prov = Provenance {
            file: "a.gpkg".into(),
            layer: "hazards".into(),
            row: 4,
            at: crate::model::RecordRef::Fid(5),
            source_id: Some("H-1".into()),
        };
        let square = MultiPolygon::new(vec![
            polygon![(x: 0., y: 0.), (x: 0.001, y: 0.), (x: 0.001, y: 0.001), (x: 0., y: 0.001), (x: 0., y: 0.)],
        ]);
        let mut d = Diagnostics::default();
        d.push(Diagnostic::new(
            Code::AsOfMissing,
            Severity::Warning,
            "no as_of",
        ));
        d.push(
            Diagnostic::new(
                Code::SelfIntersection,
                Severity::Warning,
                "bow tie, \"crossed\"",
            )
            .record(&prov)
            .fix("rebuilt")
            .at(Place::Point(point!(x: 0.123456789012, y: 1.0))),
        );
        d.push(
            Diagnostic::new(Code::AreaMismatch, Severity::Warning, "area")
                .record(&prov)
                .at_area(&square)
                .areas(20000.0, 12308.4567),
        );
        d
    }

    #[test]
    fn one_feature_per_place_numbered_as_report_json() {
        let d = diags();
        let bytes = defects_geojson(&located(&d), 7, true).unwrap();
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        let f = v["features"].as_array().unwrap();
        assert_eq!(f.len(), 2);
        assert_eq!(f[0]["id"], 1);
        assert_eq!(f[0]["properties"]["number"], 2);
        assert_eq!(f[0]["properties"]["code"], "SELF_INTERSECTION");
        assert_eq!(f[0]["properties"]["fid"], 5);
        assert_eq!(f[0]["properties"]["source_id"], "H-1");
        assert_eq!(
            f[0]["properties"]["record"],
            d.items()[1].record.as_ref().unwrap().to_string()
        );
        assert_eq!(f[0]["geometry"]["type"], "Point");
        assert_eq!(f[0]["geometry"]["coordinates"][0], 0.1234568);
        assert_eq!(f[1]["geometry"]["type"], "MultiPolygon");
        assert_eq!(f[1]["properties"]["reported_m2"], 20000.0);
        assert_eq!(f[1]["properties"]["computed_m2"], 12308.457);
    }

    #[test]
    fn worklist_has_every_diagnostic_and_names_its_feature() {
        let d = diags();
        let t = worklist(&d);
        let mut buf = Vec::new();
        t.write_csv(&mut buf).unwrap();
        let s = String::from_utf8(buf).unwrap();
        let s = s.strip_prefix('\u{feff}').expect("a byte order mark");
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines.len(), 4, "{s}");
        assert!(lines[0].starts_with("number,code,severity,file,layer,reference,"));
        assert!(
            lines[1].starts_with("1,AS_OF_MISSING,warning,,,,"),
            "{}",
            lines[1]
        );
        assert!(
            lines[2].contains("\"bow tie, \"\"crossed\"\"\""),
            "{}",
            lines[2]
        );
        assert!(lines[2].ends_with(",rebuilt,1,,"), "{}", lines[2]);
        assert!(lines[3].ends_with(",2,20000,12308.457"), "{}", lines[3]);
    }
}
