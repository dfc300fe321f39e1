//! The tables' CSV form (`tables/NAME.csv`): UTF-8, comma-separated, `\n`
//! line ends, RFC 4180 quoting, `#` comment lines before the header, numbers
//! in their shortest round-trip notation.

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

impl Table {
    /// The CSV bytes of the table.
    pub fn write_csv(&self, w: &mut dyn Write) -> io::Result<()> {
        for n in &self.notes {
            writeln!(w, "# {}", n.replace(['\n', '\r'], " "))?;
        }
        let header: Vec<String> = self.columns.iter().map(|c| quote(c.key)).collect();
        writeln!(w, "{}", header.join(","))?;
        for row in &self.rows {
            let cells: Vec<String> = row.iter().map(Cell::csv).collect();
            writeln!(w, "{}", cells.join(","))?;
        }
        Ok(())
    }
}
