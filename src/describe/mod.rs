//! `clearmap describe`: what a file (or every file of an export folder) holds,
//! as a data officer needs it to write a config: each layer's geometry type,
//! feature count, CRS and extent, and each column's type, null count and
//! distinct values with their counts, marking the columns a preset would read.
//!
//! Owns the statistics and their two printouts (text and JSON) and the
//! guesses `clearmap init` shares ([`guess_role`], [`best_preset`],
//! [`column_for`], in `guess.rs`); the text printout is `text.rs`. Files are
//! read through ingest's GDAL reader, opened as a build opens them.

use crate::error::{Error, Result};
use crate::ingest::layers::{self, LayerInfo, Row};
use crate::ingest::role_fields;
use crate::ingest::{Extent, Limits, Preset};
use crate::model::Role;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

mod guess;
mod text;

pub use guess::{
    best_preset, column_for, column_for_name, crs_note, guess_role, is_template, lon_lat,
};
pub use text::to_text;

/// Values listed per column, most frequent first.
pub const SHOWN_VALUES: usize = 20;

/// Distinct values counted per column; beyond it the count is a lower bound
/// (an id column of a million rows is not held in memory).
const MAX_DISTINCT: usize = 100_000;

/// Extensions of files worth opening in an export folder (a `.gdb` folder
/// is opened too); sidecars (`.dbf`, `.shx`, `.prj` …) are read with their file.
const EXTENSIONS: [&str; 14] = [
    "geojson", "json", "shp", "gpkg", "csv", "tsv", "xlsx", "zip", "kml", "gml", "fgb", "sqlite",
    "tab", "mif",
];

/// Everything described, file by file.
#[derive(Debug, Serialize)]
pub struct Description {
    pub files: Vec<FileDescription>,
}

#[derive(Debug, Serialize)]
pub struct FileDescription {
    pub path: PathBuf,
    /// Why the file could not be read (only when a folder is described).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub layers: Vec<LayerDescription>,
}

#[derive(Debug, Serialize)]
pub struct LayerDescription {
    pub name: String,
    pub driver: String,
    /// The declared geometry type; `None` for a table.
    pub geometry_type: Option<String>,
    /// Features by the type of their geometry (`none` for no geometry).
    pub geometries: BTreeMap<String, u64>,
    pub features: u64,
    /// The declared CRS; `None` when the file declares none.
    pub crs: Option<String>,
    /// What to make of a missing CRS, from the coordinates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crs_note: Option<String>,
    /// The coordinates seen: `[min_x, min_y, max_x, max_y]` in the layer's CRS.
    pub extent: Option<[f64; 4]>,
    /// The country most records lie in (Natural Earth boundaries), when the
    /// layer's CRS tells where they are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<CountryGuess>,
    /// An IMSMA NG point template: its polygons and vertex rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<TemplateDescription>,
    /// The role and preset the columns suggest, and the columns it would read.
    pub fit: Option<Fit>,
    pub columns: Vec<ColumnDescription>,
}

/// Where a layer's records lie: the country of most of the sampled ones.
#[derive(Debug, Clone, Serialize)]
pub struct CountryGuess {
    /// ISO 3166-1 alpha-3.
    pub iso3: String,
    /// Records sampled that lie in it.
    pub records: usize,
    /// Records sampled.
    pub sampled: usize,
}

#[derive(Debug, Serialize)]
pub struct TemplateDescription {
    pub polygons: usize,
    pub rows: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Fit {
    pub role: Option<&'static str>,
    pub preset: &'static str,
    /// canonical field → column
    pub fields: BTreeMap<&'static str, String>,
}

#[derive(Debug, Serialize)]
pub struct ColumnDescription {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub nulls: u64,
    pub distinct: usize,
    /// More distinct values than were counted: `distinct` is a lower bound.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub distinct_capped: bool,
    /// The most frequent values (at most [`SHOWN_VALUES`]).
    pub values: Vec<ValueCount>,
    /// Distinct values not listed.
    pub more: usize,
    /// Smallest and largest value when every value is a number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// `preset role.field` for each preset that would read this column.
    pub used_by: Vec<String>,
    /// Every value counted, most frequent first (for `init`).
    #[serde(skip)]
    pub all_values: Vec<ValueCount>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ValueCount {
    /// The value as text; the label for a code of a coded-value domain.
    pub value: String,
    pub count: u64,
    /// The code the label stands for in the column's coded-value domain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// Statistics of one column while rows are read.
#[derive(Default)]
struct Stats {
    nulls: u64,
    counts: HashMap<String, u64>,
    capped: bool,
    numeric: bool,
    min: f64,
    max: f64,
    seen: u64,
}

impl LayerDescription {
    /// The features by geometry type, as "POLYGON 296, none 4".
    pub fn geometry_counts(&self) -> String {
        let parts: Vec<String> = self
            .geometries
            .iter()
            .map(|(g, n)| format!("{g} {n}"))
            .collect();
        parts.join(", ")
    }
}

impl Stats {
    fn add(&mut self, v: Option<&crate::ingest::RawValue>) {
        let Some(v) = v else {
            self.nulls += 1;
            return;
        };
        let text = v.to_text();
        if text.trim().is_empty() {
            self.nulls += 1;
            return;
        }
        let n = crate::ingest::points::number(v);
        if self.seen == 0 {
            self.numeric = true;
            self.min = f64::INFINITY;
            self.max = f64::NEG_INFINITY;
        }
        self.seen += 1;
        match n {
            Some(x) if self.numeric => {
                self.min = self.min.min(x);
                self.max = self.max.max(x);
            }
            _ => self.numeric = false,
        }
        if let Some(c) = self.counts.get_mut(&text) {
            *c += 1;
        } else if self.counts.len() < MAX_DISTINCT {
            self.counts.insert(text, 1);
        } else {
            self.capped = true;
        }
    }
}

/// Describe `path`: a file, a File Geodatabase, or a folder of exports.
pub fn describe(path: &Path, layer: Option<&str>, limits: &Limits) -> Result<Description> {
    if !path.exists() {
        return Err(Error::input(path, "not found"));
    }
    let is_gdb = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gdb"));
    if path.is_dir() && !is_gdb {
        let files = export_files(path)?;
        if files.is_empty() {
            return Err(Error::input(
                path,
                format!(
                    "holds no file clearmap reads ({}, or a .gdb folder)",
                    EXTENSIONS.join(", ")
                ),
            ));
        }
        let files = files
            .into_iter()
            .map(|f| match describe_file(&f, layer, limits) {
                Ok(d) => d,
                Err(e) => FileDescription {
                    path: f,
                    error: Some(e.to_string()),
                    layers: Vec::new(),
                },
            })
            .collect();
        return Ok(Description { files });
    }
    Ok(Description {
        files: vec![describe_file(path, layer, limits)?],
    })
}

/// The files of an export folder worth describing, in name order.
pub fn export_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Error::input(dir, format!("cannot list the folder: {e}")))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let ext = p
                .extension()
                .map(|e| e.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default();
            if p.is_dir() {
                ext == "gdb"
            } else {
                EXTENSIONS.contains(&ext.as_str())
            }
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Describe every layer of one file.
pub fn describe_file(path: &Path, layer: Option<&str>, limits: &Limits) -> Result<FileDescription> {
    let mut stats: Vec<Vec<Stats>> = Vec::new();
    let mut geometries: Vec<BTreeMap<String, u64>> = Vec::new();
    let mut points: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut on_row = |slot: usize, row: Row| {
        while stats.len() <= slot {
            stats.push(Vec::new());
            geometries.push(BTreeMap::new());
            points.push(Vec::new());
        }
        if let Some(p) = row.lon_lat {
            points[slot].push(p);
        }
        let s = &mut stats[slot];
        while s.len() < row.values.len() {
            s.push(Stats::default());
        }
        for (c, v) in row.values.iter().enumerate() {
            s[c].add(v.as_ref());
        }
        let g = row.geometry.unwrap_or_else(|| "none".into());
        *geometries[slot].entry(g).or_default() += 1;
    };
    let infos = layers::read_layers(path, layer, limits, &mut on_row)?;
    let layers = infos
        .into_iter()
        .enumerate()
        .map(|(slot, info)| {
            let s = std::mem::take(stats.get_mut(slot).unwrap_or(&mut Vec::new()));
            let g = std::mem::take(geometries.get_mut(slot).unwrap_or(&mut BTreeMap::new()));
            let mut d = layer_description(path, info, s, g);
            d.country = points
                .get(slot)
                .and_then(|p| crate::world::where_is(p).ok().flatten())
                .map(|(iso3, records, sampled)| CountryGuess {
                    iso3,
                    records,
                    sampled,
                });
            d
        })
        .collect();
    Ok(FileDescription {
        path: path.to_path_buf(),
        error: None,
        layers,
    })
}

fn layer_description(
    path: &Path,
    info: LayerInfo,
    stats: Vec<Stats>,
    geometries: BTreeMap<String, u64>,
) -> LayerDescription {
    let names: Vec<String> = info.columns.iter().map(|c| c.name.clone()).collect();
    let mut stats = stats;
    stats.resize_with(info.columns.len(), Stats::default);
    let mut columns: Vec<ColumnDescription> = info
        .columns
        .iter()
        .zip(stats)
        .map(|(c, s)| column_description(c, s))
        .collect();
    let template = is_template(&names).then(|| TemplateDescription {
        polygons: column_for_name(&names, "PolyID")
            .map(|i| columns[i].distinct)
            .unwrap_or(0),
        rows: info.features,
    });
    let extent = match &template {
        Some(_) => {
            let range = |name: &str| {
                column_for_name(&names, name).and_then(|i| columns[i].min.zip(columns[i].max))
            };
            range("Xcoord")
                .zip(range("Ycoord"))
                .map(|((x0, x1), (y0, y1))| Extent {
                    min_x: x0,
                    min_y: y0,
                    max_x: x1,
                    max_y: y1,
                })
        }
        None => info.extent,
    };
    let crs_note = match (&info.crs, extent) {
        (None, Some(e)) if info.geometry_type.is_some() || template.is_some() => Some(crs_note(&e)),
        _ => None,
    };
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let polygonal = template.is_some()
        || geometries
            .keys()
            .any(|g| g.to_ascii_uppercase().contains("POLYGON"));
    let fit = polygonal.then(|| {
        let role = guess_role(&stem, &info.name, &names);
        let preset = if template.is_some() {
            Preset::NgPoints
        } else {
            best_preset(&names, role.unwrap_or(Role::Hazard))
        };
        let mut fields = BTreeMap::new();
        for f in role_fields(role.unwrap_or(Role::Hazard)) {
            if let Some(i) = column_for(&names, preset, role.unwrap_or(Role::Hazard), *f) {
                fields.insert(f.name(), names[i].clone());
            }
        }
        Fit {
            role: role.map(Role::as_str),
            preset: preset.name(),
            fields,
        }
    });
    for preset in [Preset::NgGis, Preset::Core, Preset::Generic] {
        for role in [Role::Hazard, Role::Release] {
            for f in role_fields(role) {
                if let Some(i) = column_for(&names, preset, role, *f) {
                    let mark = format!("{} {}.{}", preset.name(), role.as_str(), f.name());
                    columns[i].used_by.push(mark);
                }
            }
        }
    }
    if template.is_some() {
        for name in [
            "PolyID",
            "PointNo",
            "PointType",
            "Xcoord",
            "Ycoord",
            "Distance",
            "Bearing",
            "FrPointID",
        ] {
            if let Some(i) = column_for_name(&names, name) {
                columns[i].used_by.push("imsma-ng-points template".into());
            }
        }
    }
    LayerDescription {
        name: info.name,
        driver: info.driver,
        geometry_type: info.geometry_type,
        geometries,
        features: info.features,
        crs: info.crs,
        crs_note,
        extent: extent.map(|e| [e.min_x, e.min_y, e.max_x, e.max_y]),
        country: None,
        template,
        fit,
        columns,
    }
}

fn column_description(c: &layers::ColumnInfo, s: Stats) -> ColumnDescription {
    let mut all: Vec<ValueCount> = s
        .counts
        .into_iter()
        .map(|(value, count)| {
            let label = c.domain.as_ref().and_then(|d| d.get(value.trim()));
            match label {
                Some(l) => ValueCount {
                    value: l.clone(),
                    count,
                    code: Some(value),
                },
                None => ValueCount {
                    value,
                    count,
                    code: None,
                },
            }
        })
        .collect();
    all.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    let values: Vec<ValueCount> = all.iter().take(SHOWN_VALUES).cloned().collect();
    let numeric = s.numeric && s.seen > 0;
    ColumnDescription {
        name: c.name.clone(),
        kind: c.kind.clone(),
        nulls: s.nulls,
        distinct: all.len(),
        distinct_capped: s.capped,
        more: all.len() - values.len(),
        values,
        min: numeric.then_some(s.min),
        max: numeric.then_some(s.max),
        used_by: Vec::new(),
        all_values: all,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn roles_from_columns_and_names() {
        let hz = cols(&["HZ_Hazardl", "HZ_TypeofH", "HZ_Status", "ObjectUID"]);
        let hr = cols(&["HR_HazardR", "HR_TypeofH", "HR_HREndda", "HZ_Hazardl"]);
        assert_eq!(guess_role("export", "export", &hz), Some(Role::Hazard));
        assert_eq!(guess_role("export", "export", &hr), Some(Role::Release));
        let none = cols(&["typeArea", "fileId"]);
        assert_eq!(
            guess_role("cleared_areas", "cleared_areas", &none),
            Some(Role::Release)
        );
        assert_eq!(
            guess_role("suspect_areas", "suspect_areas", &none),
            Some(Role::Hazard)
        );
        assert_eq!(guess_role("a", "b", &none), None);
        assert_eq!(
            guess_role(
                "IMSMA",
                "Hazard_Reductions_polygon",
                &cols(&["Type", "Status"])
            ),
            Some(Role::Release)
        );
    }

    #[test]
    fn presets_from_columns() {
        let hz = cols(&["HZ_Hazardl", "HZ_TypeofH", "ObjectUID"]);
        assert_eq!(best_preset(&hz, Role::Hazard), Preset::NgGis);
        let core = cols(&["imsma_id", "imsma_links", "activity_type", "end_date"]);
        assert_eq!(best_preset(&core, Role::Release), Preset::Core);
        let generic = cols(&["id", "status", "classification"]);
        assert_eq!(best_preset(&generic, Role::Hazard), Preset::Generic);
        assert!(is_template(&cols(&[
            "ProjName", "PolyID", "PointNo", "xcoord", "Ycoord"
        ])));
    }
}
