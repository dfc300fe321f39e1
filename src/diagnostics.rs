//! Diagnostics: every defect found in the input, with a stable code, the record it
//! concerns and the fix applied. They make up report.json and the table printed at
//! the end of a run; a record that is quarantined is always named by one of them.
//!
//! A diagnostic that concerns a place also carries it ([`Place`], WGS84
//! lon/lat), for an area mismatch both areas ([`AreaFigures`]), for a pair
//! the other record. These stay
//! in memory for defects.geojson and report.html: report.json keeps its fields
//! (a geometry per line would make it many times larger).

use crate::model::Provenance;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth knowing; the record is used as read.
    Info,
    /// Something was wrong and was fixed or assumed; the record is used.
    Warning,
    /// The record could not be used and is quarantined.
    Error,
}

/// Stable diagnostic codes. Their string form is part of the report contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    NullGeometry,
    EmptyGeometry,
    UnsupportedGeometry,
    NonFiniteCoordinate,
    RingNotClosed,
    DoubleClosure,
    DuplicateVertex,
    DegenerateRing,
    WrongWinding,
    SelfIntersection,
    OverlappingParts,
    MissingId,
    DuplicateId,
    MissingField,
    MissingValue,
    UnmappedValue,
    InvalidNumber,
    InvalidDate,
    MissingOutcome,
    AfterAsOf,
    ReleaseNotAttributed,
    NoLandRemaining,
    ReaderMessage,
    DuplicateGeometry,
    HazardOverlap,
    OrphanRelease,
    ReleaseOffHazard,
    ReleaseExceedsHazard,
    AreaMismatch,
    InvalidEncoding,
    SwappedAxes,
    ProjectedInGeographic,
    UnknownFromPoint,
    PointCycle,
    TooFewVertices,
    InvalidPoint,
    NoAttributes,
    GeometryTooLarge,
    AsOfMissing,
    TextTooLong,
    PlaceholderId,
    NulInText,
    /// A layer with no CRS was taken as WGS84 lon/lat because its
    /// coordinates look like it.
    CrsAssumed,
    /// A record lies wholly outside the config's country.
    OutsideCountry,
    /// The config's country has no boundary to check records against.
    NoBoundary,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::NullGeometry => "NULL_GEOMETRY",
            Code::EmptyGeometry => "EMPTY_GEOMETRY",
            Code::UnsupportedGeometry => "UNSUPPORTED_GEOMETRY",
            Code::NonFiniteCoordinate => "NON_FINITE_COORDINATE",
            Code::RingNotClosed => "RING_NOT_CLOSED",
            Code::DoubleClosure => "DOUBLE_CLOSURE",
            Code::DuplicateVertex => "DUPLICATE_VERTEX",
            Code::DegenerateRing => "DEGENERATE_RING",
            Code::WrongWinding => "WRONG_WINDING",
            Code::SelfIntersection => "SELF_INTERSECTION",
            Code::OverlappingParts => "OVERLAPPING_PARTS",
            Code::MissingId => "MISSING_ID",
            Code::DuplicateId => "DUPLICATE_ID",
            Code::MissingField => "MISSING_FIELD",
            Code::MissingValue => "MISSING_VALUE",
            Code::UnmappedValue => "UNMAPPED_VALUE",
            Code::InvalidNumber => "INVALID_NUMBER",
            Code::InvalidDate => "INVALID_DATE",
            Code::MissingOutcome => "MISSING_OUTCOME",
            Code::AfterAsOf => "AFTER_AS_OF",
            Code::ReleaseNotAttributed => "RELEASE_NOT_ATTRIBUTED",
            Code::NoLandRemaining => "NO_LAND_REMAINING",
            Code::ReaderMessage => "READER_MESSAGE",
            Code::DuplicateGeometry => "DUPLICATE_GEOMETRY",
            Code::HazardOverlap => "HAZARD_OVERLAP",
            Code::OrphanRelease => "ORPHAN_RELEASE",
            Code::ReleaseOffHazard => "RELEASE_OFF_HAZARD",
            Code::ReleaseExceedsHazard => "RELEASE_EXCEEDS_HAZARD",
            Code::AreaMismatch => "AREA_MISMATCH",
            Code::InvalidEncoding => "INVALID_ENCODING",
            Code::SwappedAxes => "SWAPPED_AXES",
            Code::ProjectedInGeographic => "PROJECTED_IN_GEOGRAPHIC",
            Code::UnknownFromPoint => "UNKNOWN_FROM_POINT",
            Code::PointCycle => "POINT_CYCLE",
            Code::TooFewVertices => "TOO_FEW_VERTICES",
            Code::InvalidPoint => "INVALID_POINT",
            Code::NoAttributes => "NO_ATTRIBUTES",
            Code::GeometryTooLarge => "GEOMETRY_TOO_LARGE",
            Code::AsOfMissing => "AS_OF_MISSING",
            Code::TextTooLong => "TEXT_TOO_LONG",
            Code::PlaceholderId => "PLACEHOLDER_ID",
            Code::NulInText => "NUL_IN_TEXT",
            Code::CrsAssumed => "CRS_ASSUMED",
            Code::OutsideCountry => "OUTSIDE_COUNTRY",
            Code::NoBoundary => "NO_BOUNDARY",
        }
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Where a defect lies, in WGS84 lon/lat.
#[derive(Debug, Clone, PartialEq)]
pub enum Place {
    /// A point: where a ring crosses itself, a quarantined point record.
    Point(geo::Point<f64>),
    /// A quarantined record's points.
    Points(geo::MultiPoint<f64>),
    /// A quarantined record's lines.
    Lines(geo::MultiLineString<f64>),
    /// Land: a record's polygon, the overlap of two hazards, the part of a
    /// release outside its hazards.
    Area(geo::MultiPolygon<f64>),
}

impl Place {
    /// A quarantined record's geometry as it was read, when it is one a map
    /// can show: lon/lat coordinates only, and not empty.
    pub fn of_raw(g: &geo::Geometry<f64>) -> Option<Place> {
        use geo::{CoordsIter, Geometry};
        let lon_lat = g
            .coords_iter()
            .all(|c| c.x.is_finite() && c.y.is_finite() && c.x.abs() <= 180.0 && c.y.abs() <= 90.0);
        if !lon_lat || g.coords_count() == 0 {
            return None;
        }
        let place = match g {
            Geometry::Point(p) => Place::Point(*p),
            Geometry::MultiPoint(mp) => Place::Points(mp.clone()),
            Geometry::Line(l) => Place::Lines(geo::MultiLineString::new(vec![(*l).into()])),
            Geometry::LineString(ls) => Place::Lines(geo::MultiLineString::new(vec![ls.clone()])),
            Geometry::MultiLineString(ml) => Place::Lines(ml.clone()),
            Geometry::Polygon(p) => Place::Area(geo::MultiPolygon::new(vec![p.clone()])),
            Geometry::MultiPolygon(mp) => Place::Area(mp.clone()),
            Geometry::Rect(r) => Place::Area(geo::MultiPolygon::new(vec![r.to_polygon()])),
            Geometry::Triangle(t) => Place::Area(geo::MultiPolygon::new(vec![t.to_polygon()])),
            // A collection: where it is, as its envelope.
            Geometry::GeometryCollection(_) => {
                let b = geo::BoundingRect::bounding_rect(g)?;
                Place::Area(geo::MultiPolygon::new(vec![b.to_polygon()]))
            }
        };
        Some(place)
    }
}

/// A record's reported area beside the one computed from its geometry (m²).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AreaFigures {
    pub reported_m2: f64,
    pub computed_m2: f64,
}

/// One defect of one record (or of a whole source when `record` is `None`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<Provenance>,
    pub message: String,
    /// What clearmap did about it; `None` when nothing was changed.
    pub fix: Option<String>,
    /// Where the defect lies, when it concerns a place (not in report.json).
    #[serde(skip)]
    pub place: Option<Place>,
    /// Reported and computed area (AREA_MISMATCH; not in report.json).
    #[serde(skip)]
    pub areas: Option<AreaFigures>,
    /// The other record of a pair (an overlap, a duplicate; not in
    /// report.json, whose message names it).
    #[serde(skip)]
    pub other: Option<Provenance>,
}

impl Diagnostic {
    pub fn new(code: Code, severity: Severity, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity,
            record: None,
            message: message.into(),
            fix: None,
            place: None,
            areas: None,
            other: None,
        }
    }

    /// The other record of a pair.
    pub fn other(mut self, record: &Provenance) -> Self {
        self.other = Some(record.clone());
        self
    }

    /// The place the defect concerns.
    pub fn at(mut self, place: Place) -> Self {
        self.place = Some(place);
        self
    }

    /// The record's polygon as the place of the defect.
    pub fn at_area(self, area: &geo::MultiPolygon<f64>) -> Self {
        self.at(Place::Area(area.clone()))
    }

    /// The reported and the computed area, shown beside the defect.
    pub fn areas(mut self, reported_m2: f64, computed_m2: f64) -> Self {
        self.areas = Some(AreaFigures {
            reported_m2,
            computed_m2,
        });
        self
    }

    pub fn record(mut self, record: &Provenance) -> Self {
        self.record = Some(record.clone());
        self
    }

    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

/// The diagnostics of a run, in a canonical order so that report.json does not
/// depend on thread scheduling.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.items.extend(other);
    }

    pub fn items(&self) -> &[Diagnostic] {
        &self.items
    }

    /// The diagnostics themselves, moved out.
    pub fn into_items(self) -> Vec<Diagnostic> {
        self.items
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Sort by record, then code, then message: a stable order for every output.
    pub fn sort(&mut self) {
        self.items
            .sort_by(|a, b| (&a.record, a.code, &a.message).cmp(&(&b.record, b.code, &b.message)));
    }

    /// Count per code, with the highest severity seen for it.
    pub fn counts(&self) -> BTreeMap<Code, (Severity, usize)> {
        let mut out: BTreeMap<Code, (Severity, usize)> = BTreeMap::new();
        for d in &self.items {
            let e = out.entry(d.code).or_insert((d.severity, 0));
            e.0 = e.0.max(d.severity);
            e.1 += 1;
        }
        out
    }

    /// The table printed at the end of a run: code, severity, count, first example.
    pub fn table(&self) -> String {
        let counts = self.counts();
        if counts.is_empty() {
            return "no diagnostics\n".to_string();
        }
        let mut s = format!(
            "{:<24} {:<8} {:>7}  first example\n",
            "code", "severity", "count"
        );
        for (code, (sev, n)) in &counts {
            let first = self.items.iter().find(|d| d.code == *code);
            let example = first
                .map(|d| match &d.record {
                    Some(r) => format!("{r}: {}", d.message),
                    None => d.message.clone(),
                })
                .unwrap_or_default();
            let sev = match sev {
                Severity::Info => "info",
                Severity::Warning => "warning",
                Severity::Error => "error",
            };
            let example: String = example.chars().take(110).collect();
            s.push_str(&format!(
                "{:<24} {:<8} {:>7}  {}\n",
                code.as_str(),
                sev,
                n,
                example
            ));
        }
        s
    }

    /// Every diagnostic on one line each, in report order: code, record,
    /// message and what was done (`validate -v`).
    pub fn listing(&self) -> String {
        let mut s = String::new();
        for d in &self.items {
            s.push_str(d.code.as_str());
            if let Some(r) = &d.record {
                s.push_str(&format!(" {r}"));
            }
            s.push_str(&format!(": {}", d.message));
            if let Some(fix) = &d.fix {
                s.push_str(&format!(" ({fix})"));
            }
            s.push('\n');
        }
        s
    }
}
