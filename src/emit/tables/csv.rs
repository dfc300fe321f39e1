//! The tables' CSV form (`tables/NAME.csv`): UTF-8 after a byte order mark,
//! comma-separated, `\n` line ends, RFC 4180 quoting, the header on the first
//! line (the notes are in `meta.json`), numbers in their shortest round-trip
//! notation.
//!
//! The byte order mark is there for Excel, which reads a CSV without one in
//! the system's ANSI code page and garbles region names in Arabic, Cyrillic or
//! with accents; GDAL's CSV driver, LibreOffice and pandas skip it. It is
//! written whatever the content, so that a reader written against one bundle
//! reads every other (Python's `csv` reads it with `encoding="utf-8-sig"`).

use super::{Cell, Table};
use std::io::{self, Write};

impl Cell {
    /// The CSV form: numbers in Rust's shortest round-trip notation (never an
    /// exponent), so parsing the text gives back the stored value exactly.
    pub fn csv(&self) -> String {
        match self {
            Cell::Text(s) => quote(s),
            Cell::Count(n) => n.to_string(),
            Cell::M2(x) | Cell::Km2(x) | Cell::Ratio(x) => format!("{}", x + 0.0),
            Cell::Empty => String::new(),
        }
    }
}

fn quote(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) || s.starts_with('#') || s.trim() != s {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// UTF-8's byte order mark, first in every CSV.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

impl Table {
    /// The CSV bytes of the table.
    pub fn write_csv(&self, w: &mut dyn Write) -> io::Result<()> {
        w.write_all(BOM)?;
        let header: Vec<String> = self.columns.iter().map(|c| quote(c.key)).collect();
        writeln!(w, "{}", header.join(","))?;
        for row in &self.rows {
            let cells: Vec<String> = row.iter().map(Cell::csv).collect();
            writeln!(w, "{}", cells.join(","))?;
        }
        Ok(())
    }
}
