//! What the tables' CSVs cannot say in their cells, beside them:
//! `tables/meta.json` for programs and `tables/README.md` for a person — the
//! country, the `as_of` date, and for each table its file, how to read it and
//! its columns with their labels and units. The CSVs hold only a header and
//! rows, so that GDAL, Excel and every CSV reader take the first line as the
//! header.

use super::{Column, Table, WORKBOOK};
use crate::emit::EmitConfig;
use serde::Serialize;

/// The sidecar for programs.
pub const META: &str = "meta.json";
/// The sidecar for a person.
pub const README: &str = "README.md";

/// `tables/meta.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Meta {
    /// ISO 3166-1 alpha-3 code of the config, if any.
    pub country: Option<String>,
    /// The config's display name, if any.
    pub name: Option<String>,
    /// The `as_of` date (YYYY-MM-DD), null without one.
    pub as_of: Option<String>,
    /// How the CSVs are encoded.
    pub encoding: &'static str,
    pub workbook: &'static str,
    pub tables: Vec<TableMeta>,
}

/// One table in `meta.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableMeta {
    pub name: &'static str,
    pub file: String,
    /// Its sheet in the workbook (the first one when it spans several).
    pub sheet: &'static str,
    pub notes: Vec<String>,
    pub columns: Vec<Column>,
}

/// The country as the tables' notes name it: "XEX (Examplestan)", the code or
/// the name alone, or "not given".
pub fn country(cfg: &EmitConfig) -> String {
    shown(cfg.country.as_deref(), cfg.name.as_deref())
}

fn shown(country: Option<&str>, name: Option<&str>) -> String {
    match (country, name) {
        (Some(c), Some(n)) => format!("{c} ({n})"),
        (Some(c), None) => c.into(),
        (None, Some(n)) => n.into(),
        (None, None) => "not given".into(),
    }
}

/// The sidecar of `tables`.
pub fn meta(cfg: &EmitConfig, tables: &[Table]) -> Meta {
    Meta {
        country: cfg.country.clone(),
        name: cfg.name.clone(),
        as_of: crate::emit::as_of(cfg),
        encoding: "UTF-8 with a byte order mark; comma-separated; the first line is the header",
        workbook: WORKBOOK,
        tables: tables
            .iter()
            .map(|t| TableMeta {
                name: t.name,
                file: format!("{}.csv", t.name),
                sheet: t.name,
                notes: t.notes.clone(),
                columns: t.columns.clone(),
            })
            .collect(),
    }
}

/// `tables/README.md`: the same as `meta.json`, to be read.
pub fn readme(m: &Meta) -> String {
    let country = shown(m.country.as_deref(), m.name.as_deref());
    let mut s = format!(
        "# Land release tables\n\n\
         - country: {country}\n\
         - as_of: {}\n\n\
         Each table is a CSV file ({}) and a sheet of `{}`. The same notes are in \
         `{META}` and on the workbook's first sheet.\n",
        m.as_of.as_deref().unwrap_or("none"),
        m.encoding,
        m.workbook,
    );
    for t in &m.tables {
        s.push_str(&format!("\n## {}\n\n", t.file));
        for n in &t.notes {
            s.push_str(&format!("{n}.\n\n"));
        }
        s.push_str("| column | meaning |\n|---|---|\n");
        for c in &t.columns {
            s.push_str(&format!("| `{}` | {} |\n", c.key, c.label));
        }
    }
    s
}

/// The `as_of` date as the notes give it: YYYY-MM-DD, or "none".
pub(super) fn as_of_text(cfg: &EmitConfig) -> String {
    crate::emit::as_of(cfg).unwrap_or_else(|| "none".into())
}
