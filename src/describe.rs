//! `clearmap describe`: what a file (or every file of an export folder) holds,
//! as a data officer needs it to write a config: each layer's geometry type,
//! feature count, CRS and extent, and each column's type, null count and
//! distinct values with their counts, marking the columns a preset would read.
//!
//! Owns the statistics and their two printouts (text and JSON) and the
//! guesses `clearmap init` shares ([`guess_role`], [`best_preset`],
//! [`column_for`]). Files are read through ingest's GDAL reader, opened as a
//! build opens them.

use crate::error::{Error, Result};
use crate::ingest::layers::{self, LayerInfo, Row};
use crate::ingest::role_fields;
use crate::ingest::{suggest_crs, Extent, Field, Limits, Preset};
use crate::model::Role;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::path::{Path, PathBuf};

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
    /// An IMSMA NG point template: its polygons and vertex rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<TemplateDescription>,
    /// The role and preset the columns suggest, and the columns it would read.
    pub fit: Option<Fit>,
    pub columns: Vec<ColumnDescription>,
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
    let mut on_row = |slot: usize, row: Row| {
        while stats.len() <= slot {
            stats.push(Vec::new());
            geometries.push(BTreeMap::new());
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
            layer_description(path, info, s, g)
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

/// What to do about a layer that declares no CRS, from its coordinates.
pub fn crs_note(e: &Extent) -> String {
    if lon_lat(e) {
        "none declared; the coordinates look like longitude/latitude, read as WGS 84 (EPSG:4326)"
            .into()
    } else {
        format!(
            "none declared and the coordinates are not longitude/latitude; add {}",
            suggest_crs(e, None)
        )
    }
}

/// Whether an extent lies within longitude/latitude bounds.
pub fn lon_lat(e: &Extent) -> bool {
    e.min_x >= -180.0 && e.max_x <= 180.0 && e.min_y >= -90.0 && e.max_y <= 90.0
}

/// The index of a column by name: exact first, then ignoring ASCII case (as
/// the mapping looks columns up).
pub fn column_for_name(columns: &[String], name: &str) -> Option<usize> {
    columns
        .iter()
        .position(|c| c == name)
        .or_else(|| columns.iter().position(|c| c.eq_ignore_ascii_case(name)))
}

/// The column a preset reads for a field: its first listed column the layer
/// has, else the canonical name.
pub fn column_for(columns: &[String], preset: Preset, role: Role, field: Field) -> Option<usize> {
    preset
        .columns(field.name(), role)
        .iter()
        .find_map(|c| column_for_name(columns, c))
        .or_else(|| column_for_name(columns, field.name()))
}

/// Whether a table has the columns of the IMSMA NG point template.
pub fn is_template(columns: &[String]) -> bool {
    ["PolyID", "PointNo", "Xcoord", "Ycoord"]
        .iter()
        .all(|c| column_for_name(columns, c).is_some())
}

/// The preset whose own columns a layer of `role` has most of (`generic`
/// when none has more than the canonical names).
pub fn best_preset(columns: &[String], role: Role) -> Preset {
    let own = |p: Preset| {
        role_fields(role)
            .iter()
            .filter(|f| {
                p.columns(f.name(), role)
                    .iter()
                    .any(|c| column_for_name(columns, c).is_some())
            })
            .count()
    };
    let generic = role_fields(role)
        .iter()
        .filter(|f| column_for_name(columns, f.name()).is_some())
        .count();
    [Preset::NgGis, Preset::Core]
        .into_iter()
        .map(|p| (own(p), p))
        .filter(|(n, _)| *n > 0 && *n >= generic)
        .max_by_key(|(n, _)| *n)
        .map_or(Preset::Generic, |(_, p)| p)
}

/// Whether a layer holds hazards or releases, from its columns (`HR_` report
/// columns, outcome and date columns) and from its file and layer names;
/// `None` when nothing tells.
pub fn guess_role(file_stem: &str, layer: &str, columns: &[String]) -> Option<Role> {
    let prefixed = |p: &str| {
        columns
            .iter()
            .filter(|c| c.len() > p.len() && c[..p.len()].eq_ignore_ascii_case(p))
            .count() as i32
    };
    let has = |names: &[&str]| {
        names
            .iter()
            .filter(|n| column_for_name(columns, n).is_some())
            .count() as i32
    };
    // `Status` and `Type` are on both NG layers: they tell nothing.
    let mut score = 3 * (prefixed("HR_") - prefixed("HZ_")).signum();
    score += 2
        * (has(&["outcome", "activity_type", "end_date", "enddate", "date"])
            - has(&["classification", "hazard_type", "status_ha", "type_of_area"]))
        .signum();
    let words = format!("{file_stem} {layer}").to_ascii_lowercase();
    const RELEASE: [&str; 9] = [
        "reduction",
        "release",
        "cleared",
        "clearance",
        "activit",
        "cancel",
        "survey",
        "completion",
        "lifted",
    ];
    const HAZARD: [&str; 6] = ["hazard", "suspect", "minefield", "contamin", "land", "sha"];
    if RELEASE.iter().any(|w| words.contains(w)) {
        score += 1;
    } else if HAZARD.iter().any(|w| words.contains(w)) {
        score -= 1;
    }
    match score.signum() {
        1 => Some(Role::Release),
        -1 => Some(Role::Hazard),
        _ => None,
    }
}

/// The text printout of a description.
pub fn to_text(d: &Description) -> String {
    let mut out = String::new();
    for f in &d.files {
        let _ = writeln!(out, "{}", f.path.display());
        if let Some(e) = &f.error {
            let _ = writeln!(out, "  cannot be read: {e}\n");
            continue;
        }
        for l in &f.layers {
            layer_text(&mut out, l);
        }
    }
    out
}

fn num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        let s = format!("{x:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A value as printed: quoted when spaces around it would not show.
fn shown(v: &str) -> String {
    if v.is_empty() {
        "(empty)".into()
    } else if v.trim() != v {
        format!("{v:?}")
    } else {
        v.to_string()
    }
}

fn layer_text(out: &mut String, l: &LayerDescription) {
    let geoms: Vec<String> = l
        .geometries
        .iter()
        .map(|(g, n)| format!("{g} {n}"))
        .collect();
    let _ = writeln!(
        out,
        "  layer \"{}\" ({}): {} feature{}{}",
        l.name,
        l.driver,
        l.features,
        if l.features == 1 { "" } else { "s" },
        match &l.geometry_type {
            Some(t) if !geoms.is_empty() => format!(", {t} ({})", geoms.join(", ")),
            Some(t) => format!(", {t}"),
            None => ", no geometry (a table)".into(),
        }
    );
    if let Some(t) = &l.template {
        let _ = writeln!(
            out,
            "    IMSMA NG point template: {} polygons (PolyID) from {} rows; read it with preset = \"imsma-ng-points\" and its crs",
            t.polygons, t.rows
        );
    }
    if l.geometry_type.is_some() || l.template.is_some() {
        let _ = writeln!(
            out,
            "    CRS: {}",
            match (&l.crs, &l.crs_note) {
                (Some(c), _) => c.clone(),
                (None, Some(n)) => n.clone(),
                (None, None) => "none declared".into(),
            }
        );
    }
    if let Some([x0, y0, x1, y1]) = l.extent {
        let _ = writeln!(
            out,
            "    extent: x {} … {}, y {} … {}",
            num(x0),
            num(x1),
            num(y0),
            num(y1)
        );
    }
    if let Some(fit) = &l.fit {
        let fields: Vec<String> = fit
            .fields
            .iter()
            .map(|(f, c)| format!("{f} = {c}"))
            .collect();
        let _ = writeln!(
            out,
            "    looks like: {} read with preset {}{}",
            fit.role
                .map_or("hazards or releases (the names do not tell)", |r| {
                    if r == "hazard" {
                        "hazards"
                    } else {
                        "releases"
                    }
                }),
            fit.preset,
            if fields.is_empty() {
                String::new()
            } else {
                format!(": {}", fields.join(", "))
            }
        );
    }
    let _ = writeln!(out, "    columns:");
    for c in &l.columns {
        let _ = writeln!(
            out,
            "      {} ({}): {} null, {}{} distinct{}{}",
            c.name,
            c.kind,
            c.nulls,
            if c.distinct_capped { "over " } else { "" },
            c.distinct,
            match (c.min, c.max) {
                (Some(a), Some(b)) => format!(", {} … {}", num(a), num(b)),
                _ => String::new(),
            },
            if c.used_by.is_empty() {
                String::new()
            } else {
                format!("  [{}]", c.used_by.join(", "))
            }
        );
        let non_null: u64 = c.all_values.iter().map(|v| v.count).sum();
        if c.distinct > SHOWN_VALUES && (c.distinct as u64) * 2 > non_null {
            // An id-like column: its repeated values are what matters.
            let once = c.all_values.iter().filter(|v| v.count == 1).count();
            let e: Vec<String> = c
                .all_values
                .iter()
                .filter(|v| v.count == 1)
                .take(3)
                .map(|v| shown(&v.value))
                .collect();
            for v in c.values.iter().filter(|v| v.count > 1) {
                let _ = writeln!(out, "          {}  {}", v.count, shown(&v.value));
            }
            let _ = writeln!(out, "          {once} values once, e.g. {}", e.join(", "));
            continue;
        }
        let width = c.values.first().map_or(1, |v| v.count.to_string().len());
        for v in &c.values {
            let _ = writeln!(
                out,
                "          {:>width$}  {}{}",
                v.count,
                if v.value.is_empty() {
                    "(empty)"
                } else {
                    &v.value
                },
                v.code
                    .as_ref()
                    .map(|k| format!(" (code {k})"))
                    .unwrap_or_default()
            );
        }
        if c.more > 0 {
            let rest: u64 = c.all_values[c.values.len()..].iter().map(|v| v.count).sum();
            let _ = writeln!(out, "          … {} more ({rest} rows)", c.more);
        }
    }
    out.push('\n');
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
