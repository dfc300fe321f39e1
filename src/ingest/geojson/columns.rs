//! Columns and their types, as GDAL's GeoJSON driver infers them: names in
//! order of first appearance, a type per column across all features, and a
//! feature's values by column as `gdal::fields::row_values` gives them.

use super::{Fast, Feature, Unsupported};
use crate::ingest::mapping::RawValue;
use chrono::NaiveDate;
use std::collections::{HashMap, HashSet};

/// One property value as written.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

/// What a text value would make GDAL's type guess (`OGRParseDate`) do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TextKind {
    /// Certainly not a date, time or datetime.
    Plain,
    /// Exactly `YYYY-MM-DD`, a valid day.
    Date,
    /// Might be read as a date or time in some form: left to GDAL.
    Unsure,
}

pub(super) fn text_kind(s: &str) -> TextKind {
    let b = s.as_bytes();
    if b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
    {
        return match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(_) => TextKind::Date,
            Err(_) => TextKind::Unsure,
        };
    }
    let first = s.trim_start_matches(' ').bytes().next();
    let could_start = first.is_some_and(|c| c.is_ascii_digit() || c == b'-' || c == b'+');
    if could_start && s.contains(['-', '/', ':']) {
        TextKind::Unsure
    } else {
        TextKind::Plain
    }
}

/// The OGR field type of a column, as far as this reader reproduces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ColumnType {
    /// Integer or Integer64.
    Integer,
    Real,
    Date,
    String,
}

#[derive(Debug, Default)]
struct Seen {
    int: bool,
    real: bool,
    plain: bool,
    date: bool,
    unsure: bool,
}

impl Seen {
    fn column_type(&self) -> Fast<ColumnType> {
        let text = self.plain || self.date || self.unsure;
        Ok(match (self.int, self.real, text) {
            (_, true, true) => return Err(Unsupported),
            (_, true, false) => ColumnType::Real,
            (true, false, false) => ColumnType::Integer,
            // A text that is not a date makes the column String whatever
            // came before; only dates alone make it Date.
            (true, false, true) => ColumnType::String,
            (false, false, true) if self.plain => ColumnType::String,
            (false, false, true) if !self.unsure => ColumnType::Date,
            (false, false, true) => return Err(Unsupported),
            (false, false, false) => ColumnType::String,
        })
    }
}

/// The layer's columns: names in order of first appearance, and types.
#[derive(Debug)]
pub(super) struct Columns {
    pub(super) names: Vec<String>,
    index: HashMap<String, usize>,
    pub(super) types: Vec<ColumnType>,
}

impl Columns {
    pub(super) fn of(features: &[Feature]) -> Fast<Columns> {
        let mut names: Vec<String> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut seen: Vec<Seen> = Vec::new();
        for f in features {
            let mut last = None::<usize>;
            for (key, cell) in &f.properties {
                let i = match index.get(key) {
                    Some(&i) => i,
                    None => {
                        index.insert(key.clone(), names.len());
                        names.push(key.clone());
                        seen.push(Seen::default());
                        names.len() - 1
                    }
                };
                // Keys in another order than the columns: GDAL may order
                // its fields otherwise.
                if last.is_some_and(|l| l >= i) {
                    return Err(Unsupported);
                }
                last = Some(i);
                let s = &mut seen[i];
                match cell {
                    Cell::Null => {}
                    Cell::Int(_) => s.int = true,
                    Cell::Real(_) => s.real = true,
                    Cell::Text(t) => match text_kind(t) {
                        TextKind::Plain => s.plain = true,
                        TextKind::Date => s.date = true,
                        TextKind::Unsure => s.unsure = true,
                    },
                }
            }
        }
        let lower: HashSet<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
        if lower.len() != names.len() || names.iter().any(String::is_empty) {
            return Err(Unsupported);
        }
        let types = seen
            .iter()
            .map(Seen::column_type)
            .collect::<Fast<Vec<_>>>()?;
        Ok(Columns {
            names,
            index,
            types,
        })
    }

    /// A feature's values by column index, as `gdal::fields::row_values` gives them.
    pub(super) fn row(&self, properties: &[(String, Cell)]) -> Vec<Option<RawValue>> {
        let mut row = vec![None; self.names.len()];
        for (key, cell) in properties {
            let i = self.index[key];
            row[i] = match (self.types[i], cell) {
                (_, Cell::Null) => None,
                (ColumnType::Integer, Cell::Int(v)) => Some(RawValue::Int(*v)),
                (ColumnType::Real, Cell::Int(v)) => Some(RawValue::Real(*v as f64)),
                (ColumnType::Real, Cell::Real(v)) => Some(RawValue::Real(*v)),
                (ColumnType::String, Cell::Int(v)) => Some(RawValue::Text(v.to_string())),
                (ColumnType::String, Cell::Text(t)) => Some(RawValue::Text(t.clone())),
                (ColumnType::Date, Cell::Text(t)) => NaiveDate::parse_from_str(t, "%Y-%m-%d")
                    .ok()
                    .map(RawValue::Date),
                // Excluded by Seen::column_type.
                _ => None,
            };
        }
        row
    }
}
