//! The Article 7-style tables of a bundle (`tables/` in the output directory):
//! what a State Party's transparency report and a data officer's checks need
//! as plain rows and columns, built from the accounting (never recomputed).
//!
//! This module owns:
//! - the four tables — `remaining_by_region`, `released_by_year`,
//!   `remaining_by_contamination`, `reported_vs_computed` — as typed [`Table`]s,
//!   so the CSV and the spreadsheet are written from the same cells;
//! - their CSV form (`csv.rs`; `tables/NAME.csv`): UTF-8 with a byte order
//!   mark, comma-separated, `\n` line ends, RFC 4180 quoting, the header on the
//!   first line, so GDAL's CSV driver and Excel read the column names; numbers
//!   plain (dot decimal, no thousands separator), m² rounded to 3 decimals as
//!   in summary.json, km² to 6, ratios to 6; machine-friendly headers with the
//!   unit in the name (`_m2`, `_km2`, `_count`);
//! - what the CSVs cannot say in their cells — country, `as_of`, how to read
//!   each table, its columns' labels — in `tables/meta.json` and, for a
//!   person, `tables/README.md` (`meta.rs`);
//! - their spreadsheet form (`xlsx.rs`): one sheet per table in `tables/article7.xlsx`
//!   (written with `rust_xlsxwriter`), after a first `notes` sheet holding
//!   the country, `as_of` and every table's notes. Headers are human labels with units, bold, frozen; numbers
//!   are numbers (the same rounded values as the CSVs) with number formats
//!   (`#,##0` for m² and counts, `0.00` for km², `0.0%` for ratios). The
//!   workbook's creation date is the `as_of` date (2000-01-01 without one) and
//!   the crate stores fixed zip timestamps, so the bytes are the same on every
//!   run. Sheets are written in the crate's low-memory mode: each row goes to
//!   a temporary file beside the output once the next row starts, so the
//!   workbook of a million hazards does not hold every cell in memory.
//!
//! Row order is stable: regions by name with `(no region)` last, years
//! ascending with `undated` last, contamination types by name with
//! `unspecified` last, records by id (hazards, then releases). Total rows are
//! the accounting's own figures (those of summary.json), not sums of rounded
//! cells.

use super::atomic::{self, Staging};
use super::{Bundle, EmitConfig};
use crate::error::{Error, Result};
use crate::geometry::{round, round_area};
use crate::measure::accounting::UNSPECIFIED;
use crate::measure::Region;
use crate::model::Classification;
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

mod csv;
mod meta;
mod xlsx;

pub use csv::BOM;
pub use meta::{country, meta, readme, META, README};
pub use xlsx::{check_temp_dir, workbook, workbook_split, write_workbook, SHEET_ROWS};

/// The folder of the tables inside an output directory.
pub const DIR: &str = "tables";
/// The spreadsheet holding every table as a sheet.
pub const WORKBOOK: &str = "article7.xlsx";
/// First cell of the total row of the additive tables.
pub const TOTAL: &str = "total";
/// First cell of the remaining-land row of `remaining_by_contamination`.
pub const ALL_HAZARDS: &str = "all hazards";
/// The table with a row per record (hazards, then releases).
pub const PER_RECORD: &str = "reported_vs_computed";
/// Flag of a record whose reported area is off by more than the threshold.
pub const AREA_MISMATCH: &str = "AREA_MISMATCH";
/// Flag of a record the export gives no area for.
pub const NO_REPORTED_AREA: &str = "NO_REPORTED_AREA";

/// One cell, typed so that the spreadsheet stores numbers as numbers. Numbers
/// are rounded when the cell is made: CSV and spreadsheet hold the same value.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Count(usize),
    /// Square metres, rounded to 3 decimals.
    M2(f64),
    /// Square kilometres, rounded to 6 decimals.
    Km2(f64),
    /// A ratio (0.1 = 10 %), rounded to 6 decimals.
    Ratio(f64),
    Empty,
}

impl Cell {
    fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    fn m2(x: f64) -> Cell {
        Cell::M2(round_area(x))
    }

    /// The km² cell of an area given in m².
    fn km2(x_m2: f64) -> Cell {
        Cell::Km2(round(x_m2 / 1e6, 6))
    }

    fn ratio(x: f64) -> Cell {
        Cell::Ratio(round(x, 6))
    }
}

/// A column: its CSV header and its spreadsheet label (with the unit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Column {
    pub key: &'static str,
    pub label: &'static str,
}

const fn col(key: &'static str, label: &'static str) -> Column {
    Column { key, label }
}

/// One table: a CSV file and a sheet of the workbook.
#[derive(Debug)]
pub struct Table<'a> {
    /// File stem and sheet name.
    pub name: &'static str,
    /// How to read the table (meta.json, README.md, the workbook's notes sheet).
    pub notes: Vec<String>,
    pub columns: Vec<Column>,
    pub rows: Rows<'a>,
    /// Whether the last row is a total (bold in the spreadsheet).
    pub total_row: bool,
}

/// A table's rows: held, or made one at a time from the bundle each time
/// they are read. The tables with a row per record (hazards and releases,
/// diagnostics) make theirs: held, their cells took ~80 MB at 100k hazards
/// and 150k releases, ~0.8 GB at a million, for as long as the GeoPackage,
/// the CSVs and the workbook were being written beside the tiles. Making a
/// row is a few small strings; each writer reads the rows once or twice.
pub struct Rows<'a> {
    len: usize,
    source: RowSource<'a>,
}

type MakeRow<'a> = Box<dyn Fn(usize) -> Vec<Cell> + Send + Sync + 'a>;

enum RowSource<'a> {
    Held(Vec<Vec<Cell>>),
    Made(MakeRow<'a>),
}

/// A row as read: borrowed from a held table, or made for the reader.
pub type Row<'r> = std::borrow::Cow<'r, [Cell]>;

impl<'a> Rows<'a> {
    /// `len` rows, row `i` made by `make(i)` whenever it is read.
    pub fn made(len: usize, make: impl Fn(usize) -> Vec<Cell> + Send + Sync + 'a) -> Self {
        Rows {
            len,
            source: RowSource::Made(Box::new(make)),
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Row `i`, `None` past the end.
    pub fn get(&self, i: usize) -> Option<Row<'_>> {
        if i >= self.len {
            return None;
        }
        Some(match &self.source {
            RowSource::Held(rows) => Row::Borrowed(rows.get(i)?),
            RowSource::Made(make) => Row::Owned(make(i)),
        })
    }

    /// The rows in order.
    pub fn iter(&self) -> impl Iterator<Item = Row<'_>> + '_ {
        self.range(0..self.len)
    }

    /// The rows of `range` (clamped to the table) in order.
    pub fn range(&self, range: std::ops::Range<usize>) -> impl Iterator<Item = Row<'_>> + '_ {
        range.filter_map(|i| self.get(i))
    }

    /// Per column (of `columns`), what `pick` takes from the first cell of
    /// the rows of `range` it takes anything from: one pass over the rows,
    /// which stops once every column has its value.
    pub fn first_per_column<T>(
        &self,
        range: std::ops::Range<usize>,
        columns: usize,
        pick: impl Fn(&Cell) -> Option<T>,
    ) -> Vec<Option<T>> {
        let mut first: Vec<Option<T>> = std::iter::repeat_with(|| None).take(columns).collect();
        for row in self.range(range) {
            for (slot, cell) in first.iter_mut().zip(row.iter()) {
                if slot.is_none() {
                    *slot = pick(cell);
                }
            }
            if first.iter().all(Option::is_some) {
                break;
            }
        }
        first
    }
}

impl From<Vec<Vec<Cell>>> for Rows<'_> {
    fn from(rows: Vec<Vec<Cell>>) -> Self {
        Rows {
            len: rows.len(),
            source: RowSource::Held(rows),
        }
    }
}

impl std::fmt::Debug for Rows<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.source {
            RowSource::Held(_) => "held",
            RowSource::Made(_) => "made",
        };
        write!(f, "Rows({} {kind})", self.len)
    }
}

/// Regions by name, the no-region bucket last.
fn region_order(a: &Region, b: &Region) -> std::cmp::Ordering {
    (a.is_unassigned(), a).cmp(&(b.is_unassigned(), b))
}

/// Classifications in the column order of the region table.
const CLASSES: [Classification; 3] = [
    Classification::Sha,
    Classification::Cha,
    Classification::Other,
];

/// Region × classification: hazards with land remaining and their remaining
/// m² (the accounting's atoms), a total row equal to summary.json.
pub fn remaining_by_region<'a>(b: &Bundle) -> Table<'a> {
    let acc = b.accounting;
    // Hazards with land remaining, per (classification, region).
    let mut counts: BTreeMap<(Classification, Region), usize> = BTreeMap::new();
    for (h, r) in b.reconciled.hazards.iter().zip(&acc.hazards) {
        if r.remaining_m2 > 0.0 {
            *counts
                .entry((h.classification, Region::of(h.region.as_deref())))
                .or_default() += 1;
        }
    }
    let mut regions: Vec<&Region> = acc.by_region.keys().collect();
    regions.extend(acc.remaining_by_class_region.keys().map(|(_, r)| r));
    regions.sort_by(|a, b| region_order(a, b));
    regions.dedup();

    let mut rows = Vec::with_capacity(regions.len() + 1);
    for region in regions {
        let mut row = vec![Cell::text(region.name())];
        let mut count = 0;
        for c in CLASSES {
            let key = (c, region.clone());
            let n = counts.get(&key).copied().unwrap_or(0);
            let a = acc
                .remaining_by_class_region
                .get(&key)
                .copied()
                .unwrap_or(0.0);
            count += n;
            row.extend([Cell::Count(n), Cell::m2(a)]);
        }
        let area = acc.by_region.get(region).map_or(0.0, |s| s.area_m2);
        row.extend([Cell::Count(count), Cell::m2(area), Cell::km2(area)]);
        rows.push(row);
    }
    let mut total = vec![Cell::text(TOTAL)];
    let mut count = 0;
    for c in CLASSES {
        let s = acc.by_classification.get(&c).copied().unwrap_or_default();
        count += s.count;
        total.extend([Cell::Count(s.count), Cell::m2(s.area_m2)]);
    }
    let remaining = acc.figures.remaining;
    total.extend([
        Cell::Count(count),
        Cell::m2(remaining),
        Cell::km2(remaining),
    ]);
    rows.push(total);

    let notes = vec![
        "remaining land (m2) by region and classification; counts are hazards with land remaining".to_string(),
        "each remaining m2 counts once: where classifications overlap as CHA, then SHA, then other; where regions overlap for the region first in name order".into(),
        "the total row is summary.json's remaining figure and remaining_by_classification".into(),
    ];
    Table {
        name: "remaining_by_region",
        notes,
        columns: vec![
            col("region", "Region"),
            col("sha_count", "SHA (hazards)"),
            col("sha_area_m2", "SHA area (m²)"),
            col("cha_count", "CHA (hazards)"),
            col("cha_area_m2", "CHA area (m²)"),
            col("other_count", "Other (hazards)"),
            col("other_area_m2", "Other area (m²)"),
            col("total_count", "Total (hazards)"),
            col("total_area_m2", "Total area (m²)"),
            col("total_area_km2", "Total area (km²)"),
        ],
        rows: rows.into(),
        total_row: true,
    }
}

/// Year of the release end date × outcome, a total row equal to summary.json.
pub fn released_by_year<'a>(b: &Bundle) -> Table<'a> {
    let acc = b.accounting;
    // Years ascending, undated last: the order of `Year`.
    let mut rows: Vec<Vec<Cell>> = acc
        .released_by_year
        .iter()
        .map(|(y, v)| {
            let mut row = vec![Cell::text(y.to_string())];
            row.extend(v.released.iter().map(|(_, a)| Cell::m2(*a)));
            row.extend([Cell::m2(v.total), Cell::km2(v.total)]);
            row
        })
        .collect();
    let f = &acc.figures;
    let released = f.cancelled + f.reduced + f.cleared;
    rows.push(vec![
        Cell::text(TOTAL),
        Cell::m2(f.cancelled),
        Cell::m2(f.reduced),
        Cell::m2(f.cleared),
        Cell::m2(released),
        Cell::km2(released),
    ]);
    let notes = vec![
        "land released (m2) by year of the release end date and outcome: cancelled = non-technical survey, reduced = technical survey, cleared = clearance".to_string(),
        "each released m2 counts once, for the first release covering it; releases after as_of are not counted".into(),
    ];
    Table {
        name: "released_by_year",
        notes,
        columns: vec![
            col("year", "Year"),
            col("cancelled_m2", "Cancelled (m²)"),
            col("reduced_m2", "Reduced (m²)"),
            col("cleared_m2", "Cleared (m²)"),
            col("total_m2", "Total released (m²)"),
            col("total_km2", "Total released (km²)"),
        ],
        rows: rows.into(),
        total_row: true,
    }
}

/// Contamination type → remaining land of hazards with that type; not
/// additive, closed by an "all hazards" row equal to the remaining total.
pub fn remaining_by_contamination<'a>(b: &Bundle) -> Table<'a> {
    let acc = b.accounting;
    let mut types: Vec<(&String, _)> = acc.by_contamination.iter().collect();
    types.sort_by(|a, b| (a.0 == UNSPECIFIED, a.0).cmp(&(b.0 == UNSPECIFIED, b.0)));
    let mut rows: Vec<Vec<Cell>> = types
        .into_iter()
        .map(|(t, s)| {
            vec![
                Cell::text(t.as_str()),
                Cell::Count(s.count),
                Cell::m2(s.area_m2),
                Cell::km2(s.area_m2),
            ]
        })
        .collect();
    let with_land = acc.hazards.iter().filter(|r| r.remaining_m2 > 0.0).count();
    rows.push(vec![
        Cell::text(ALL_HAZARDS),
        Cell::Count(with_land),
        Cell::m2(acc.figures.remaining),
        Cell::km2(acc.figures.remaining),
    ]);
    let notes = vec![
        "remaining land (m2) of the hazards with each contamination type; counts are hazards with land remaining".to_string(),
        "NOT ADDITIVE: a hazard counts under each of its contamination types, so the rows do not add up; the 'all hazards' row is the remaining total".into(),
    ];
    Table {
        name: "remaining_by_contamination",
        notes,
        columns: vec![
            col("contamination", "Contamination"),
            col("hazard_count", "Hazards"),
            col("remaining_area_m2", "Remaining area (m²)"),
            col("remaining_area_km2", "Remaining area (km²)"),
        ],
        rows: rows.into(),
        total_row: true,
    }
}

/// Per record: the area the export reports against the computed geodesic
/// area, flagged as reconcile's `AREA_MISMATCH` check flags it.
pub fn reported_vs_computed<'a>(cfg: &EmitConfig, b: &Bundle<'a>) -> Table<'a> {
    let rec = b.reconciled;
    let threshold = cfg.area_mismatch;
    let row = move |role: &str,
                    id: &str,
                    prov: &crate::model::Provenance,
                    reported: Option<f64>,
                    computed: f64| {
        let source = format!("{} layer {} {}", prov.file, prov.layer, prov.at);
        let mut cells = vec![
            Cell::text(role),
            Cell::text(id),
            Cell::text(source),
            reported.map_or(Cell::Empty, Cell::m2),
            Cell::m2(computed),
        ];
        let flag = match reported {
            None => {
                cells.extend([Cell::Empty, Cell::Empty]);
                NO_REPORTED_AREA
            }
            Some(rep) => {
                cells.push(Cell::m2(rep - computed));
                if computed > 0.0 {
                    let rel = (rep - computed) / computed;
                    cells.push(Cell::ratio(rel));
                    // As reconcile's check: negative reported areas are not compared.
                    if rep >= 0.0 && rel.abs() > threshold {
                        AREA_MISMATCH
                    } else {
                        ""
                    }
                } else {
                    cells.push(Cell::Empty);
                    ""
                }
            }
        };
        cells.push(if flag.is_empty() {
            Cell::Empty
        } else {
            Cell::text(flag)
        });
        cells
    };
    // Hazards, then releases; made when read.
    let hazards = rec.hazards.len().min(rec.hazard_areas.len());
    let releases = rec.releases.len().min(rec.release_areas.len());
    let rows = Rows::made(hazards + releases, move |i| {
        if i < hazards {
            let h = &rec.hazards[i];
            row(
                "hazard",
                &h.id,
                &h.provenance,
                h.area_reported_m2,
                rec.hazard_areas[i],
            )
        } else {
            let k = i - hazards;
            let r = &rec.releases[k];
            row(
                "release",
                &r.id,
                &r.provenance,
                r.area_reported_m2,
                rec.release_areas[k],
            )
        }
    });
    let notes = vec![
        "area reported in the export (m2) against the computed geodesic area of the record's polygon; hazards then releases, by id".to_string(),
        "difference_m2 = reported - computed; relative_difference = difference / computed".into(),
        format!(
            "{AREA_MISMATCH}: |relative_difference| > {} (the [reconcile] area_mismatch threshold); {NO_REPORTED_AREA}: the export gives no area",
            threshold
        ),
        "figures use the computed areas; correct the flagged records in the database before reporting".into(),
    ];
    Table {
        name: PER_RECORD,
        notes,
        columns: vec![
            col("role", "Role"),
            col("id", "Id"),
            col("source", "Source record"),
            col("reported_area_m2", "Reported area (m²)"),
            col("computed_area_m2", "Computed area (m²)"),
            col("difference_m2", "Difference (m²)"),
            col("relative_difference", "Relative difference"),
            col("flag", "Flag"),
        ],
        rows,
        total_row: false,
    }
}

/// The four tables, in file and sheet order.
pub fn tables<'a>(cfg: &EmitConfig, b: &Bundle<'a>) -> Vec<Table<'a>> {
    vec![
        remaining_by_region(b),
        released_by_year(b),
        remaining_by_contamination(b),
        reported_vs_computed(cfg, b),
    ]
}

/// The files the tables are written to, inside `out`: the CSVs, the
/// workbook, meta.json and README.md.
pub fn paths(out: &Path) -> Vec<PathBuf> {
    let dir = out.join(DIR);
    let mut p: Vec<PathBuf> = [
        "remaining_by_region",
        "released_by_year",
        "remaining_by_contamination",
        "reported_vs_computed",
    ]
    .iter()
    .map(|n| dir.join(format!("{n}.csv")))
    .collect();
    p.push(dir.join(WORKBOOK));
    p.push(dir.join(META));
    p.push(dir.join(README));
    p
}

/// Stage `out/tables/` (every CSV and the workbook) into `staging`.
pub fn write_tables(staging: &mut Staging, out: &Path, cfg: &EmitConfig, b: &Bundle) -> Result<()> {
    write_tables_of(staging, out, cfg, &tables(cfg, b))
}

/// [`write_tables`] of the tables `tables` made (the bundle's writers share
/// them).
pub fn write_tables_of(
    staging: &mut Staging,
    out: &Path,
    cfg: &EmitConfig,
    tables: &[Table],
) -> Result<()> {
    let dir = out.join(DIR);
    std::fs::create_dir_all(&dir).map_err(|source| Error::Output {
        path: dir.clone(),
        source,
    })?;
    atomic::sweep_temporaries(&dir);
    for t in tables {
        staging.write(&dir.join(format!("{}.csv", t.name)), |w| t.write_csv(w))?;
    }
    let m = meta(cfg, tables);
    staging.write(&dir.join(META), |w| {
        serde_json::to_writer_pretty(&mut *w, &m)?;
        w.write_all(b"\n")
    })?;
    staging.write(&dir.join(README), |w| w.write_all(readme(&m).as_bytes()))?;
    check_temp_dir()?;
    // The rows' temporary files go beside the output, on the disk it is
    // written to, rather than in a temporary directory that may be in memory.
    // In low-memory mode the crate panics when a write to its temporary file
    // fails (a full disk): that is an error naming the workbook, not a crash.
    // The workbook is zipped straight into its staged file (the crate wants a
    // writer it can send to its threads), not into a buffer copied there.
    let target = dir.join(WORKBOOK);
    let tmp = staging.path_for(&target);
    let written = (|| {
        let file = std::fs::File::create(&tmp)?;
        let mut w = io::BufWriter::with_capacity(1 << 20, file);
        match crate::guard::guarded(|| write_workbook(cfg, tables, Some(&dir), &mut w)) {
            Some(Ok(())) => {}
            Some(Err(e)) => return Err(io::Error::other(e)),
            None => {
                return Err(io::Error::other(
                    "writing its rows through a temporary file failed (is the disk full?)",
                ))
            }
        }
        w.into_inner().map_err(|e| e.into_error())?.sync_all()
    })();
    written.map_err(|source| Error::Output {
        path: target,
        source,
    })
}

/// `clearmap tables`: write only `out/tables/`, all files or none.
pub fn write_tables_only(out: &Path, cfg: &EmitConfig, b: &Bundle) -> Result<()> {
    let mut staging = Staging::new();
    write_tables(&mut staging, out, cfg, b)?;
    staging.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_plain_and_quoted_when_needed() {
        assert_eq!(Cell::m2(1234567.891234).csv(), "1234567.891");
        assert_eq!(Cell::km2(1234567.891234).csv(), "1.234568");
        assert_eq!(Cell::m2(1e22).csv(), "10000000000000000000000");
        assert_eq!(Cell::m2(-0.0001).csv(), "0");
        assert_eq!(Cell::Count(12).csv(), "12");
        assert_eq!(Cell::text("Nord, Ouest").csv(), "\"Nord, Ouest\"");
        assert_eq!(Cell::text("say \"x\"").csv(), "\"say \"\"x\"\"\"");
        assert_eq!(Cell::text("#1").csv(), "\"#1\"");
        assert_eq!(Cell::Empty.csv(), "");
    }

    #[test]
    fn regions_sort_by_name_with_no_region_last() {
        let mut r: Vec<Region> = [None, Some("Zeta"), Some("Alpha"), Some("(a)")]
            .into_iter()
            .map(Region::of)
            .collect();
        r.sort_by(region_order);
        let names: Vec<&str> = r.iter().map(Region::name).collect();
        assert_eq!(names, vec!["(a)", "Alpha", "Zeta", "(no region)"]);
    }
}
