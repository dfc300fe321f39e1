//! The canonical model every stage after ingest speaks: hazards, releases and where
//! each record came from. Geometries here are WGS84 lon/lat multipolygons, valid and
//! oriented (exterior counter-clockwise), once normalize has produced them.

use chrono::NaiveDate;
use geo::MultiPolygon;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// Which kind of record a source holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Hazard,
    Release,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Hazard => "hazard",
            Role::Release => "release",
        }
    }
}

/// IMAS land classification. The derived order is the precedence where
/// hazards of different classes overlap (CHA, then SHA, then other), which is
/// also the order of the names summary.json lists them by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Classification {
    Cha,
    Sha,
    Other,
}

impl Classification {
    pub const ALL: [Classification; 3] = [
        Classification::Cha,
        Classification::Sha,
        Classification::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Classification::Sha => "SHA",
            Classification::Cha => "CHA",
            Classification::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sha" => Some(Classification::Sha),
            "cha" => Some(Classification::Cha),
            "other" => Some(Classification::Other),
            _ => None,
        }
    }
}

/// As its name (`SHA`, `CHA`, `other`): a key of summary.json.
impl Serialize for Classification {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Land status (IMSMA "Open / Worked On / Closed").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    Open,
    WorkedOn,
    Closed,
}

impl Status {
    pub const ALL: [Status; 3] = [Status::Open, Status::WorkedOn, Status::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::WorkedOn => "worked_on",
            Status::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s
            .trim()
            .to_ascii_lowercase()
            .replace([' ', '-'], "_")
            .as_str()
        {
            "open" => Some(Status::Open),
            "worked_on" => Some(Status::WorkedOn),
            "closed" => Some(Status::Closed),
            _ => None,
        }
    }

    pub fn is_closed(self) -> bool {
        self == Status::Closed
    }
}

/// Land-release outcome. The derived order is the attribution priority on one date:
/// cleared before reduced before cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    Cleared,
    Reduced,
    Cancelled,
}

impl Outcome {
    pub const ALL: [Outcome; 3] = [Outcome::Cancelled, Outcome::Reduced, Outcome::Cleared];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Cleared => "cleared",
            Outcome::Reduced => "reduced",
            Outcome::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cleared" => Some(Outcome::Cleared),
            "reduced" => Some(Outcome::Reduced),
            "cancelled" | "canceled" => Some(Outcome::Cancelled),
            _ => None,
        }
    }
}

/// Contamination types of docs/design.md's model.
pub const CONTAMINATION_TYPES: [&str; 8] = [
    "ap_mine",
    "av_mine",
    "improvised_mine",
    "cmr",
    "uxo",
    "axo",
    "ied",
    "unknown",
];

/// Where a record came from: enough for a data officer to find it in the export.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Provenance {
    /// The source file as written in the config (or on the command line).
    /// Shared by every record of the layer, as is the layer's name: two
    /// strings a record were ~12 MB at 100k hazards and 150k releases.
    pub file: Arc<str>,
    pub layer: Arc<str>,
    /// Zero-based position of the record in its layer as read: the order
    /// records are sorted by, and the number in ids assigned to records that
    /// have none (so those ids stay what they were). Not shown to people.
    #[serde(skip)]
    pub row: u64,
    /// The number a person finds the record by (`fid`, `row` or `feature`).
    #[serde(flatten)]
    pub at: RecordRef,
    /// The record's id as found in the source, if it had one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_id: Option<String>,
}

/// A record's number as the tools people open the source with count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordRef {
    /// GDAL's feature id, as `ogrinfo -fid N` and QGIS's attribute table
    /// show it (GeoPackage and File Geodatabase from 1, Shapefile from 0).
    Fid(u64),
    /// The spreadsheet row, the header being row 1, as Excel and LibreOffice
    /// number it (XLSX, ODS, CSV).
    Row(u64),
    /// The feature's position in the file, the first being 1 (where the
    /// format has no feature id: a GeoJSON read without GDAL).
    Feature(u64),
}

impl RecordRef {
    /// The reference of the record at zero-based `position` when the format
    /// gives no other.
    pub fn nth(position: u64) -> Self {
        RecordRef::Feature(position.saturating_add(1))
    }
}

impl fmt::Display for RecordRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordRef::Fid(n) => write!(f, "fid {n}"),
            RecordRef::Row(n) => write!(f, "row {n}"),
            RecordRef::Feature(n) => write!(f, "feature {n}"),
        }
    }
}

impl fmt::Display for Provenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} layer {} {}", self.file, self.layer, self.at)?;
        if let Some(id) = &self.source_id {
            write!(f, " (id {id})")?;
        }
        Ok(())
    }
}

/// A hazardous area (IMSMA "Land").
#[derive(Debug, Clone)]
pub struct Hazard {
    pub id: String,
    pub classification: Classification,
    pub status: Status,
    /// Sorted, deduplicated contamination types.
    pub contamination: Vec<String>,
    pub region: Option<String>,
    pub area_reported_m2: Option<f64>,
    pub geometry: MultiPolygon<f64>,
    pub provenance: Provenance,
}

/// A land-release activity (IMSMA "Activity").
#[derive(Debug, Clone)]
pub struct Release {
    pub id: String,
    pub hazard_ids: Vec<String>,
    pub outcome: Outcome,
    /// End date; `None` when undated (attributed after every dated release).
    pub date: Option<NaiveDate>,
    pub area_reported_m2: Option<f64>,
    pub geometry: MultiPolygon<f64>,
    pub provenance: Provenance,
}

impl Release {
    /// Attribution order of docs/design.md: dated before undated, earlier first, on
    /// one date cleared before reduced before cancelled, and on one date and
    /// outcome by id. Never by row order: shuffling the input must not move
    /// land from one release to another. Records that share an id are ordered
    /// by reconcile's canonical order (callers sort stably on this key).
    pub fn priority_key(&self) -> (bool, Option<NaiveDate>, Outcome, &str) {
        (
            self.date.is_none(),
            self.date,
            self.outcome,
            self.id.as_str(),
        )
    }
}
