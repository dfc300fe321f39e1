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
        let mut out = Vec::new();
        // Writing into a Vec cannot fail.
        let _ = self.write_csv(&mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    /// [`Cell::csv`] written out, without a String per cell.
    fn write_csv(&self, w: &mut dyn Write) -> io::Result<()> {
        match self {
            Cell::Text(s) => write_quoted(w, s),
            Cell::Count(n) => write!(w, "{n}"),
            Cell::M2(x) | Cell::Km2(x) | Cell::Ratio(x) => write!(w, "{}", x + 0.0),
            Cell::Empty => Ok(()),
        }
    }
}

fn needs_quotes(s: &str) -> bool {
    s.contains([',', '"', '\n', '\r']) || s.starts_with('#') || s.trim() != s
}

fn write_quoted(w: &mut dyn Write, s: &str) -> io::Result<()> {
    if !needs_quotes(s) {
        return w.write_all(s.as_bytes());
    }
    w.write_all(b"\"")?;
    for (i, part) in s.split('"').enumerate() {
        if i > 0 {
            w.write_all(b"\"\"")?;
        }
        w.write_all(part.as_bytes())?;
    }
    w.write_all(b"\"")
}

#[cfg(test)]
fn quote(s: &str) -> String {
    if needs_quotes(s) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// UTF-8's byte order mark, first in every CSV.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

impl Table<'_> {
    /// The CSV bytes of the table.
    pub fn write_csv(&self, w: &mut dyn Write) -> io::Result<()> {
        w.write_all(BOM)?;
        let lines = std::iter::once(None).chain(self.rows.iter().map(Some));
        for row in lines {
            match row {
                None => {
                    for (i, c) in self.columns.iter().enumerate() {
                        if i > 0 {
                            w.write_all(b",")?;
                        }
                        write_quoted(w, c.key)?;
                    }
                }
                Some(row) => {
                    for (i, cell) in row.iter().enumerate() {
                        if i > 0 {
                            w.write_all(b",")?;
                        }
                        cell.write_csv(w)?;
                    }
                }
            }
            w.write_all(b"\n")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_cells_are_quoted_as_the_reference() {
        for s in [
            "plain",
            "a,b",
            "say \"x\"",
            "\"",
            "#1",
            " x",
            "x\n",
            "\r",
            "",
            "é,\"ü\"",
        ] {
            let mut out = Vec::new();
            write_quoted(&mut out, s).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), quote(s), "{s:?}");
        }
    }
}
