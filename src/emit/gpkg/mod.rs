//! `bundle.gpkg`: the bundle for desktop GIS, a GeoPackage 1.3 (written
//! directly with SQLite, the file GDAL's GPKG driver writes: see [`sqlite`]).
//! It holds
//! - the layers `hazards` and `releases`: the features and properties of
//!   hazards.geojson and releases.geojson (the same snapped geometries, every
//!   one a MultiPolygon, EPSG:4326), in typed columns: areas REAL, `date`
//!   DATE, text TEXT, and the lists (`contamination`, `hazard_ids`,
//!   `hazards_covered`) as comma-joined TEXT;
//! - the defects of report.json that concern a place (the features of
//!   defects.geojson), one layer per geometry type (`defects`);
//! - `release_hazards`: one row per release and hazard it names or covers,
//!   the lists in full as a relation (a list column is cut at 254
//!   characters, see below);
//! - the four tables of `tables/` as attribute tables (no geometry), counts
//!   INTEGER, areas and ratios REAL, each with its notes as its description;
//! - `gpkg_data_columns` (the GeoPackage schema extension): each column's
//!   GeoJSON name, title and meaning;
//! - QGIS layer styles in `layer_styles`, the table QGIS reads a layer's
//!   default style from: hazards categorised by classification, releases by
//!   outcome, in the colours and opacities of the MapLibre style
//!   (`styles/clearmap.json`, read here so the two never disagree), so the
//!   layers open styled in QGIS.
//!
//! Every table converts to a Shapefile (`ogr2ogr -f "ESRI Shapefile" -lco
//! ENCODING=UTF-8`) without a warning or a lost value, since that is the
//! format many desktop tools still take: column names have at most 10
//! characters (the GeoJSON's longer names are in `gpkg_data_columns` and
//! docs/design.md), and a list longer than 254 characters (a text field's
//! limit in a DBF) ends with `,+N more`, its whole in `release_hazards`.
//!
//! The file is written into the staging directory under its temporary name.
//! Its timestamps are the `as_of` date (2000-01-01 without one), so a
//! rebuild of the same input gives the same bytes.
//!
//! The file is new and only renamed into the bundle once closed and synced,
//! so SQLite keeps no rollback journal and does not sync during the writes
//! (neither changes the file's bytes). The fields are set from the records
//! themselves, with the values the GeoJSON properties have
//! ([`super::hazard_properties`], [`super::release_properties`]; a test holds
//! the two together), and each geometry is written as its WKB in a
//! GeoPackage blob.

mod defects;
mod rtree;
mod sqlite;
mod styles;

use super::atomic::Staging;
use super::tables::{Cell, Table};
use super::{has_land, Bundle, EmitConfig};
use crate::error::{Error, Result};
use crate::geometry::{round_area, snap_valid};
use crate::measure::{HazardResult, ReleasePiece};
use crate::model::Hazard;
use crate::reconcile::Reconciled;
use geo::{Coord, MultiPolygon};
use sqlite::{ColumnType, Multi, Value, Writer};
use std::borrow::Cow;
use std::io;
use std::path::Path;

/// The GeoPackage's name in the bundle.
pub const FILE: &str = "bundle.gpkg";

/// How a property is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Real,
    Date,
    /// A JSON array of strings, stored comma-joined.
    List,
}

/// A column of a spatial layer: the GeoJSON property it holds, its name in
/// the GeoPackage (at most 10 characters), its kind and its title.
struct Column {
    key: &'static str,
    name: &'static str,
    kind: Kind,
    title: &'static str,
}

const fn col(key: &'static str, name: &'static str, kind: Kind, title: &'static str) -> Column {
    Column {
        key,
        name,
        kind,
        title,
    }
}

const HAZARD_COLUMNS: [Column; 11] = [
    col("id", "id", Kind::Text, "Hazard id"),
    col(
        "classification",
        "class",
        Kind::Text,
        "Classification (SHA, CHA, other)",
    ),
    col(
        "status",
        "status",
        Kind::Text,
        "Status (open, worked_on, closed)",
    ),
    col("contamination", "contam", Kind::List, "Contamination types"),
    col("region", "region", Kind::Text, "Region"),
    col("area_m2", "area_m2", Kind::Real, "Area, m²"),
    col(
        "remaining_m2",
        "remain_m2",
        Kind::Real,
        "Area remaining, m²",
    ),
    col(
        "released_cancelled_m2",
        "cancel_m2",
        Kind::Real,
        "Cancelled (non-technical survey), m²",
    ),
    col(
        "released_reduced_m2",
        "reduce_m2",
        Kind::Real,
        "Reduced (technical survey), m²",
    ),
    col("released_cleared_m2", "clear_m2", Kind::Real, "Cleared, m²"),
    col(
        "area_reported_m2",
        "report_m2",
        Kind::Real,
        "Area the export reports, m²",
    ),
];

const RELEASE_COLUMNS: [Column; 7] = [
    col("id", "id", Kind::Text, "Release id"),
    col(
        "hazard_ids",
        "hazard_ids",
        Kind::List,
        "Hazards the release names",
    ),
    col(
        "hazards_covered",
        "covered",
        Kind::List,
        "Hazards whose land it is counted for",
    ),
    col(
        "outcome",
        "outcome",
        Kind::Text,
        "Outcome (cancelled, reduced, cleared)",
    ),
    col("date", "date", Kind::Date, "End date"),
    col("area_m2", "area_m2", Kind::Real, "Area counted, m²"),
    col(
        "area_reported_m2",
        "report_m2",
        Kind::Real,
        "Area the export reports, m²",
    ),
];

/// The tables' columns whose names are over 10 characters (and their
/// siblings, named alike), and their name in the GeoPackage.
const TABLE_NAMES: [(&str, &str); 16] = [
    ("sha_count", "sha_n"),
    ("sha_area_m2", "sha_m2"),
    ("cha_count", "cha_n"),
    ("cha_area_m2", "cha_m2"),
    ("other_count", "other_n"),
    ("other_area_m2", "other_m2"),
    ("total_count", "total_n"),
    ("total_area_m2", "total_m2"),
    ("total_area_km2", "total_km2"),
    ("contamination", "contam"),
    ("hazard_count", "hazards_n"),
    ("remaining_area_m2", "remain_m2"),
    ("remaining_area_km2", "remain_km2"),
    ("reported_area_m2", "report_m2"),
    ("computed_area_m2", "comp_m2"),
    ("relative_difference", "rel_diff"),
];

/// A table column's name in the GeoPackage (its own when short enough).
fn table_column_name(key: &str) -> &str {
    let renamed = match key {
        "cancelled_m2" => Some("cancel_m2"),
        "reduced_m2" => Some("reduce_m2"),
        "cleared_m2" => Some("clear_m2"),
        "difference_m2" => Some("diff_m2"),
        _ => TABLE_NAMES.iter().find(|(k, _)| *k == key).map(|(_, n)| *n),
    };
    renamed.unwrap_or(key)
}

/// The most characters a DBF text field holds (so a Shapefile does).
const DBF_TEXT: usize = 254;

/// `items` comma-joined; past [`DBF_TEXT`] characters, as many as fit and
/// `,+N more`.
fn joined_list(items: &[&str]) -> String {
    let all = items.join(",");
    if all.chars().count() <= DBF_TEXT {
        return all;
    }
    // The most items whose join, with the count of the others, fits.
    let (mut kept, mut len) = (0, 0);
    for (i, item) in items.iter().enumerate() {
        let with = len + usize::from(i > 0) + item.chars().count();
        let others = items.len() - i - 1;
        let suffix = if others > 0 {
            format!(",+{others} more").len()
        } else {
            0
        };
        if with + suffix > DBF_TEXT {
            break;
        }
        (kept, len) = (i + 1, with);
    }
    let others = items.len() - kept;
    match kept {
        0 => format!("+{others} more"),
        _ => format!("{},+{others} more", items[..kept].join(",")),
    }
}

/// Stage `out/bundle.gpkg`.
pub fn write_gpkg(
    staging: &mut Staging,
    out: &Path,
    cfg: &EmitConfig,
    b: &Bundle,
    tables: &[Table],
) -> Result<()> {
    let target = out.join(FILE);
    let tmp = staging.path_for(&target);
    let result = write_file(&tmp, cfg, b, tables)
        .map_err(io::Error::other)
        .and_then(|()| std::fs::File::open(&tmp)?.sync_all());
    result.map_err(|source| {
        let _ = std::fs::remove_file(&tmp);
        Error::Output {
            path: target,
            source,
        }
    })
}

fn write_file(path: &Path, cfg: &EmitConfig, b: &Bundle, tables: &[Table]) -> rusqlite::Result<()> {
    // gpkg_contents.last_change and layer_styles.update_time: the as_of date.
    let stamp = cfg
        .as_of
        .unwrap_or_else(|| chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default());
    let stamp_text = format!("{}T00:00:00.000Z", stamp.format("%Y-%m-%d"));
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => {
            return Err(rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
        }
        _ => {}
    }
    let mut w = Writer::create(path, &stamp_text)?;
    let rec = b.reconciled;
    let acc = b.accounting;
    let p = cfg.precision;

    let hazards = rec
        .hazards
        .iter()
        .zip(&acc.hazards)
        .filter(|(_, r)| has_land(r))
        .map(|(h, r)| (hazard_fields(h, r), &r.remaining));
    let about = super::tables::country(cfg);
    spatial_layer(
        &mut w,
        "hazards",
        &format!("hazards with land remaining, their remaining part ({about})"),
        &HAZARD_COLUMNS,
        hazards,
        p,
    )?;
    let releases = acc
        .pieces
        .iter()
        .map(|piece| (release_fields(rec, piece), &piece.geometry));
    spatial_layer(
        &mut w,
        "releases",
        &format!("release pieces: the land each release is counted for ({about})"),
        &RELEASE_COLUMNS,
        releases,
        p,
    )?;
    release_hazards(&mut w, rec, &acc.pieces)?;
    defects::layers(&mut w, &super::defects::located(b.diagnostics), p)?;
    for t in tables {
        attribute_table(&mut w, t)?;
    }
    styles::styles(&mut w, stamp)?;
    // The driver builds the spatial indexes and counts once the tables are
    // written (at the first SQL run on the file: the schema extension).
    w.finish_tables()?;
    data_columns(&w, tables)?;
    w.close()
}

/// The points of `mp`, every ring's.
fn polygon_points(mp: &MultiPolygon<f64>) -> impl Iterator<Item = [f64; 2]> + '_ {
    mp.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|r| r.0.iter().map(|c| [c.x, c.y]))
}

/// A [`Field`] as the value bound for it; `date` holds a date's text.
fn value<'a>(field: &'a Field<'_>, date: &'a mut String) -> Value<'a> {
    match field {
        Field::Null => Value::Null,
        Field::Real(x) => Value::Real(*x),
        Field::Text(s) => Value::Text(s),
        Field::Date(d) => {
            use chrono::Datelike;
            *date = format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day());
            Value::Text(date)
        }
    }
}

fn spatial_layer<'g>(
    w: &mut Writer,
    name: &str,
    description: &str,
    columns: &[Column],
    features: impl Iterator<Item = (Vec<Field<'g>>, &'g MultiPolygon<f64>)>,
    precision: u8,
) -> rusqlite::Result<()> {
    let types: Vec<(&str, ColumnType)> = columns
        .iter()
        .map(|c| {
            let ty = match c.kind {
                Kind::Text | Kind::List => ColumnType::Text,
                Kind::Real => ColumnType::Real,
                Kind::Date => ColumnType::Date,
            };
            (c.name, ty)
        })
        .collect();
    w.transaction(|tx| {
        let t = tx.table(name, Some(Multi::Polygon), &types, description);
        let mut wkb = Vec::new();
        let mut dates: Vec<String> = vec![String::new(); columns.len()];
        for (fields, geometry) in features {
            let values: Vec<Value> = fields
                .iter()
                .zip(dates.iter_mut())
                .map(|(f, d)| value(f, d))
                .collect();
            // The geometry of the GeoJSON feature: cut at ±180°, snapped to
            // the output grid (counter-clockwise from snap_valid); none when
            // smaller than the grid.
            let cut = crate::geometry::antimeridian::split(geometry);
            let snapped = snap_valid(cut.as_ref().unwrap_or(geometry), precision);
            if snapped.0.is_empty() {
                tx.feature(t, None, &values)?;
            } else {
                multipolygon_wkb(&snapped, &mut wkb);
                tx.feature(t, Some((&wkb, &mut polygon_points(&snapped))), &values)?;
            }
        }
        Ok(())
    })
}

/// WKB geometry types (2D).
const WKB_POINT: u32 = 1;
const WKB_LINESTRING: u32 = 2;
const WKB_POLYGON: u32 = 3;
const WKB_MULTIPOINT: u32 = 4;
const WKB_MULTILINESTRING: u32 = 5;
const WKB_MULTIPOLYGON: u32 = 6;

/// The start of a little-endian WKB geometry: the byte-order mark, then its
/// type.
fn wkb_header(out: &mut Vec<u8>, kind: u32) {
    const LITTLE_ENDIAN: u8 = 1;
    out.push(LITTLE_ENDIAN);
    out.extend_from_slice(&kind.to_le_bytes());
}

/// A WKB count (of parts, rings or points).
fn wkb_count(n: usize) -> [u8; 4] {
    u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes()
}

/// A 2D position in WKB.
fn wkb_xy(out: &mut Vec<u8>, c: &Coord<f64>) {
    out.extend_from_slice(&c.x.to_le_bytes());
    out.extend_from_slice(&c.y.to_le_bytes());
}

/// `mp` as 2D little-endian WKB into `out` (cleared first), in one buffer
/// reused from row to row.
fn multipolygon_wkb(mp: &MultiPolygon<f64>, out: &mut Vec<u8>) {
    out.clear();
    wkb_header(out, WKB_MULTIPOLYGON);
    out.extend_from_slice(&wkb_count(mp.0.len()));
    for p in &mp.0 {
        wkb_header(out, WKB_POLYGON);
        out.extend_from_slice(&wkb_count(1 + p.interiors().len()));
        for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
            out.extend_from_slice(&wkb_count(ring.0.len()));
            for c in &ring.0 {
                wkb_xy(out, c);
            }
        }
    }
}

/// A field's value: what its GeoJSON property holds, as the column stores it.
#[derive(Debug, Clone, PartialEq)]
enum Field<'a> {
    Null,
    Real(f64),
    /// Already through [`text`] (and, for a list, [`joined_list`]).
    Text(Cow<'a, str>),
    Date(chrono::NaiveDate),
}

impl<'a> Field<'a> {
    /// A number as JSON has it: `null` when not finite.
    fn real(x: f64) -> Self {
        if x.is_finite() {
            Field::Real(x)
        } else {
            Field::Null
        }
    }

    fn opt_real(x: Option<f64>) -> Self {
        x.map_or(Field::Null, Field::real)
    }

    fn text(s: &'a str) -> Self {
        Field::Text(text(s))
    }

    fn list<'s>(items: impl Iterator<Item = &'s str>) -> Self {
        let items: Vec<&str> = items.collect();
        Field::Text(Cow::Owned(text(&joined_list(&items)).into_owned()))
    }

    /// The date as `YYYY-MM-DD` read back (a year outside 1..=9999 does not
    /// read back and is null, as the text of the GeoJSON property).
    fn date(d: chrono::NaiveDate) -> Self {
        use chrono::Datelike;
        if (1..=9999).contains(&d.year()) {
            return Field::Date(d);
        }
        let s = d.format("%Y-%m-%d").to_string();
        chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_or(Field::Null, Field::Date)
    }
}

/// The fields of a hazard's feature, in [`HAZARD_COLUMNS`]' order: the
/// properties of [`super::hazard_properties`].
fn hazard_fields<'a>(h: &'a Hazard, r: &HazardResult) -> Vec<Field<'a>> {
    use crate::model::Outcome;
    HAZARD_COLUMNS
        .iter()
        .map(|c| match c.key {
            "id" => Field::text(&h.id),
            "classification" => Field::text(h.classification.as_str()),
            "status" => Field::text(h.status.as_str()),
            "contamination" => Field::list(h.contamination.iter().map(String::as_str)),
            "region" => h.region.as_deref().map_or(Field::Null, Field::text),
            "area_m2" => Field::real(round_area(r.area_m2)),
            "remaining_m2" => Field::real(round_area(r.remaining_m2)),
            "released_cancelled_m2" => Field::real(round_area(r.released_m2[Outcome::Cancelled])),
            "released_reduced_m2" => Field::real(round_area(r.released_m2[Outcome::Reduced])),
            "released_cleared_m2" => Field::real(round_area(r.released_m2[Outcome::Cleared])),
            "area_reported_m2" => Field::opt_real(h.area_reported_m2),
            _ => Field::Null,
        })
        .collect()
}

/// The fields of a release piece's feature, in [`RELEASE_COLUMNS`]' order:
/// the properties of [`super::release_properties`].
fn release_fields<'a>(rec: &'a Reconciled, piece: &ReleasePiece) -> Vec<Field<'a>> {
    let r = &rec.releases[piece.release];
    RELEASE_COLUMNS
        .iter()
        .map(|c| match c.key {
            "id" => Field::text(&r.id),
            "hazard_ids" => Field::list(r.hazard_ids.iter().map(String::as_str)),
            "hazards_covered" => {
                Field::list(piece.hazards.iter().map(|&h| rec.hazards[h].id.as_str()))
            }
            "outcome" => Field::text(r.outcome.as_str()),
            "date" => r.date.map_or(Field::Null, Field::date),
            "area_m2" => Field::real(round_area(piece.area_m2)),
            "area_reported_m2" => Field::opt_real(r.area_reported_m2),
            _ => Field::Null,
        })
        .collect()
}

fn attribute_table(w: &mut Writer, t: &Table) -> rusqlite::Result<()> {
    let description = t.notes.join(". ");
    // A column's type is that of its first non-empty cell.
    let first = t
        .rows
        .first_per_column(0..t.rows.len(), t.columns.len(), |cell| {
            (!matches!(cell, Cell::Empty)).then(|| cell.clone())
        });
    let columns: Vec<(&str, ColumnType)> = t
        .columns
        .iter()
        .enumerate()
        .map(|(c, column)| {
            let ty = match first.get(c).and_then(Option::as_ref) {
                Some(Cell::Count(_)) => ColumnType::Integer,
                Some(Cell::M2(_) | Cell::Km2(_) | Cell::Ratio(_)) => ColumnType::Real,
                _ if is_numeric(column.key) => ColumnType::Real,
                _ => ColumnType::Text,
            };
            (table_column_name(column.key), ty)
        })
        .collect();
    w.transaction(|tx| {
        let table = tx.table(t.name, None, &columns, &description);
        for row in t.rows.iter() {
            let texts: Vec<Cow<str>> = row
                .iter()
                .map(|cell| match cell {
                    Cell::Text(s) => text(s),
                    _ => Cow::Borrowed(""),
                })
                .collect();
            let values: Vec<Value> = row
                .iter()
                .zip(&texts)
                .map(|(cell, s)| match cell {
                    Cell::Text(_) => Value::Text(s),
                    Cell::Count(n) => Value::Integer(*n as i64),
                    Cell::M2(x) | Cell::Km2(x) | Cell::Ratio(x) => Value::Real(*x),
                    Cell::Empty => Value::Null,
                })
                .collect();
            tx.row(table, &values)?;
        }
        Ok(())
    })
}

/// `release_hazards`: each release's named (`hazard_ids`) and covered
/// (`hazards_covered`) hazards as rows, whole however long the lists.
fn release_hazards(
    w: &mut Writer,
    rec: &Reconciled,
    pieces: &[ReleasePiece],
) -> rusqlite::Result<()> {
    use std::collections::BTreeMap;
    let mut pairs: BTreeMap<(&str, &str), (bool, bool)> = BTreeMap::new();
    for piece in pieces {
        let r = &rec.releases[piece.release];
        for h in &r.hazard_ids {
            pairs.entry((&r.id, h)).or_default().0 = true;
        }
        for &h in &piece.hazards {
            pairs.entry((&r.id, &rec.hazards[h].id)).or_default().1 = true;
        }
    }
    let description = "each release and a hazard it names (linked = 1) or whose land it is counted for (covered = 1)";
    let columns = [
        ("release_id", ColumnType::Text),
        ("hazard_id", ColumnType::Text),
        ("linked", ColumnType::MediumInt),
        ("covered", ColumnType::MediumInt),
    ];
    w.transaction(|tx| {
        let t = tx.table("release_hazards", None, &columns, description);
        for ((release, hazard), (linked, covered)) in pairs {
            let (release, hazard) = (text(release), text(hazard));
            tx.row(
                t,
                &[
                    Value::Text(&release),
                    Value::Text(&hazard),
                    Value::Integer(i64::from(linked)),
                    Value::Integer(i64::from(covered)),
                ],
            )?;
        }
        Ok(())
    })
}

/// `gpkg_data_columns` (GeoPackage 1.3 §2.3, the schema extension): for
/// each column whose name differs from the GeoJSON's or the CSV's, that
/// name and a title, so the short names are explained in the file itself.
fn data_columns(w: &Writer, tables: &[Table]) -> rusqlite::Result<()> {
    // (table, column, GeoJSON/CSV name, title)
    let mut rows: Vec<(&str, &str, &str, String)> = Vec::new();
    for (layer, columns) in [
        ("hazards", &HAZARD_COLUMNS[..]),
        ("releases", &RELEASE_COLUMNS[..]),
    ] {
        for c in columns {
            rows.push((layer, c.name, c.key, c.title.to_string()));
        }
    }
    for (layer, _) in defects::LAYERS {
        for (column, _, key, title) in defects::COLUMNS {
            rows.push((layer, column, key, title.to_string()));
        }
    }
    for t in tables {
        for c in &t.columns {
            let name = table_column_name(c.key);
            if name != c.key {
                rows.push((t.name, name, c.key, c.key.replace('_', " ")));
            }
        }
    }
    let quote = |s: &str| format!("'{}'", s.replace('\'', "''"));
    let mut statements: Vec<String> = vec![
        concat!(
            "CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT, ",
            "extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL, ",
            "CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))",
        )
        .into(),
        concat!(
            "CREATE TABLE gpkg_data_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, ",
            "name TEXT, title TEXT, description TEXT, mime_type TEXT, constraint_name TEXT, ",
            "CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name), ",
            "CONSTRAINT gdc_tn UNIQUE (table_name, name))",
        )
        .into(),
        concat!(
            "INSERT INTO gpkg_extensions VALUES ('gpkg_data_columns', NULL, 'gpkg_schema', ",
            "'http://www.geopackage.org/spec/#extension_schema', 'read-write')",
        )
        .into(),
    ];
    for (table, column, name, title) in rows {
        statements.push(format!(
            "INSERT INTO gpkg_data_columns VALUES ({}, {}, {}, {}, {}, NULL, NULL)",
            quote(table),
            quote(column),
            quote(name),
            quote(&title),
            quote(&format!(
                "the property {name} of the GeoJSON and CSV outputs"
            )),
        ));
    }
    for statement in &statements {
        w.execute(statement)?;
    }
    Ok(())
}

/// Text as the file has it: a NUL (which an id may hold, and GDAL's C
/// strings, which read the file, cannot) as the `\u0000` GeoJSON shows, so
/// ids stay distinct.
fn text(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('\0') {
        s.replace('\0', "\\u0000").into()
    } else {
        s.into()
    }
}

/// Columns that hold numbers even where a table has no row to show it.
fn is_numeric(key: &str) -> bool {
    key.ends_with("_m2")
        || key.ends_with("_km2")
        || key.ends_with("_count")
        || key == "relative_difference"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_name_fits_a_shapefile() {
        for c in HAZARD_COLUMNS.iter().chain(&RELEASE_COLUMNS) {
            assert!(c.name.len() <= 10, "{}", c.name);
        }
        for (key, name) in TABLE_NAMES {
            assert!(name.len() <= 10 && name != key, "{key} {name}");
        }
    }

    #[test]
    fn a_long_list_keeps_what_fits_and_counts_the_rest() {
        assert_eq!(joined_list(&["a", "b"]), "a,b");
        let ids: Vec<String> = (0..40).map(|i| format!("HZ-{i:06}")).collect();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let j = joined_list(&ids);
        assert!(j.len() <= DBF_TEXT, "{j}");
        let kept = j.split(',').filter(|s| s.starts_with("HZ-")).count();
        assert!(j.ends_with(&format!(",+{} more", 40 - kept)), "{j}");
        assert!(kept >= 20, "{j}");
        let long = "x".repeat(300);
        assert_eq!(joined_list(&[&long, "y"]), "+2 more");
    }

    /// The field as the properties of the GeoJSON feature give it (how the
    /// file was filled from them before the fields were set directly).
    fn field_of_property(kind: Kind, v: Option<&serde_json::Value>) -> Field<'static> {
        use serde_json::Value;
        let owned = |s: &str| Field::Text(Cow::Owned(text(s).into_owned()));
        match (kind, v) {
            (_, None | Some(Value::Null)) => Field::Null,
            (Kind::Real, Some(v)) => v.as_f64().map_or(Field::Null, Field::Real),
            (Kind::Date, Some(Value::String(s))) => {
                chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_or(Field::Null, Field::Date)
            }
            (Kind::List, Some(Value::Array(items))) => {
                let items: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
                owned(&joined_list(&items))
            }
            (_, Some(Value::String(s))) => owned(s),
            (_, Some(v)) => owned(&v.to_string()),
        }
    }

    #[test]
    fn the_fields_are_the_geojson_properties() {
        use crate::measure::ByOutcome;
        use crate::model::{Classification, Outcome, Provenance, RecordRef, Release, Status};
        use geo::polygon;
        let prov = Provenance {
            file: "a.gpkg".into(),
            layer: "l".into(),
            row: 0,
            at: RecordRef::Fid(1),
            source_id: None,
        };
        let square = MultiPolygon::new(vec![
            polygon![(x: 0., y: 0.), (x: 1., y: 0.), (x: 1., y: 1.), (x: 0., y: 0.)],
        ]);
        let ids: Vec<String> = (0..40).map(|i| format!("HZ-{i:06}")).collect();
        let hazard = |id: &str, region: Option<&str>, reported: Option<f64>| Hazard {
            id: id.into(),
            classification: Classification::Cha,
            status: Status::WorkedOn,
            contamination: ids.clone(),
            region: region.map(String::from),
            area_reported_m2: reported,
            geometry: square.clone(),
            provenance: prov.clone(),
        };
        let mut released = ByOutcome::default();
        released[Outcome::Cancelled] = 1.23456;
        released[Outcome::Cleared] = f64::NAN;
        let result = HazardResult {
            area_m2: 1234.56789,
            remaining_m2: -0.0,
            remaining: square.clone(),
            released_m2: released,
        };
        let hazards = vec![
            hazard("H\u{0}1", Some("Nord, \"Ouest\""), Some(f64::INFINITY)),
            hazard("H2", None, Some(12.5)),
            hazard("H3", Some("r"), None),
        ];
        for h in &hazards {
            let props = super::super::hazard_properties(h, &result);
            // Written as they are, the properties are the JSON object's bytes.
            assert_eq!(
                serde_json::to_string(&super::super::HazardProperties::of(h, &result)).unwrap(),
                serde_json::to_string(&props).unwrap()
            );
            let expected: Vec<Field> = HAZARD_COLUMNS
                .iter()
                .map(|c| field_of_property(c.kind, props.get(c.key)))
                .collect();
            let fields = hazard_fields(h, &result);
            assert_eq!(format!("{fields:?}"), format!("{expected:?}"), "{}", h.id);
        }
        let release = |id: &str, date: Option<chrono::NaiveDate>| Release {
            id: id.into(),
            hazard_ids: vec!["H2".into(), "gone".into()],
            outcome: Outcome::Reduced,
            date,
            area_reported_m2: Some(7.0),
            geometry: square.clone(),
            provenance: prov.clone(),
        };
        let rec = Reconciled {
            hazards,
            releases: vec![
                release("R\u{0}1", chrono::NaiveDate::from_ymd_opt(2024, 2, 29)),
                release("R2", None),
                release("R3", chrono::NaiveDate::from_ymd_opt(12345, 1, 1)),
                release("R4", chrono::NaiveDate::from_ymd_opt(-5, 1, 1)),
            ],
            ..Default::default()
        };
        for k in 0..rec.releases.len() {
            let piece = ReleasePiece {
                release: k,
                geometry: square.clone(),
                area_m2: 99.9999,
                hazards: vec![0, 2],
            };
            let props = super::super::release_properties(&rec, &piece);
            assert_eq!(
                serde_json::to_string(&super::super::ReleaseProperties::of(&rec, &piece)).unwrap(),
                serde_json::to_string(&props).unwrap()
            );
            let expected: Vec<Field> = RELEASE_COLUMNS
                .iter()
                .map(|c| field_of_property(c.kind, props.get(c.key)))
                .collect();
            let fields = release_fields(&rec, &piece);
            assert_eq!(format!("{fields:?}"), format!("{expected:?}"), "{k}");
        }
    }

    #[test]
    fn the_wkb_reads_back_as_the_geometry() {
        use geo::polygon;
        let mp = MultiPolygon::new(vec![
            polygon!(
                exterior: [(x: 0., y: 0.), (x: 10., y: 0.), (x: 10., y: 10.), (x: 0., y: 0.)],
                interiors: [[(x: 1., y: 1.), (x: 2., y: 1.), (x: 2., y: 2.), (x: 1., y: 1.)]],
            ),
            polygon![(x: 20.5, y: -3.25), (x: 21., y: -3.), (x: 21., y: -2.), (x: 20.5, y: -3.25)],
        ]);
        let mut wkb = Vec::new();
        multipolygon_wkb(&mp, &mut wkb);
        let g = gdal::vector::Geometry::from_wkb(&wkb).unwrap();
        let built = gdal::vector::ToGdal::to_gdal(&mp).unwrap();
        assert_eq!(g.wkb().unwrap(), built.wkb().unwrap());
        assert_eq!(g.wkt().unwrap(), built.wkt().unwrap());
    }

    #[test]
    fn a_nul_is_written_as_its_json_escape() {
        assert_eq!(text("H1\0a"), "H1\\u0000a");
        assert_eq!(text("H1"), "H1");
    }
}
