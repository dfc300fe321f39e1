//! The tables' spreadsheet form: `tables/article7.xlsx`, a first `notes`
//! sheet (country, `as_of`, every table's notes), then one sheet per table,
//! written with rust_xlsxwriter a row at a time through temporary files.
//!
//! Strings go to the workbook's shared string table, except on the sheets of
//! the per-record table (`reported_vs_computed`), whose strings (ids and
//! source records) are nearly all unique: there they are stored inline in
//! their cells (`t="inlineStr"`, the crate's constant-memory mode), which
//! Excel, LibreOffice and calamine read as the same text. A shared table of
//! unique strings saves no space, and at 250,000 records it cost a third of
//! the workbook's time (hashing every string) and held every string in
//! memory until the end.

use super::{Cell, Table, WORKBOOK};
use crate::emit::EmitConfig;
use crate::error::{Error, Result};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatBorder, Workbook, XlsxError};
use std::io::Write;
use std::path::Path;

/// The workbook's bytes: the notes, then one sheet per table.
/// Its worksheets' rows are streamed through temporary files in `tempdir`
/// (the system's temporary directory when `None`).
pub fn workbook(
    cfg: &EmitConfig,
    tables: &[Table],
    tempdir: Option<&Path>,
) -> std::result::Result<Vec<u8>, XlsxError> {
    workbook_split(cfg, tables, SHEET_ROWS, tempdir)
}

/// [`workbook`] written to `w` rather than returned.
pub fn write_workbook<W: Write + Send>(
    cfg: &EmitConfig,
    tables: &[Table],
    tempdir: Option<&Path>,
    w: W,
) -> std::result::Result<(), XlsxError> {
    workbook_split_to(cfg, tables, SHEET_ROWS, tempdir, w)
}

/// Whether a table's strings are stored inline in its cells rather than in
/// the shared string table: those of the per-record table, nearly all unique
/// (see the module doc). The other tables have a row per region, year or
/// type, and their strings stay shared, as the notes' do.
fn inline_strings(t: &Table) -> bool {
    t.name == super::PER_RECORD
}

/// Whether the workbook writer can make its temporary files: with its
/// `constant_memory` feature, rust_xlsxwriter opens one in the system's
/// temporary directory for every worksheet and panics when it cannot. Asked
/// before the work (and again before the workbook), so that an unwritable
/// `TMPDIR` is an error naming it.
pub fn check_temp_dir() -> Result<()> {
    // One name per call: the countries of `build --all` check at the same
    // time in one process, and a name per process made them collide.
    static PROBES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = PROBES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir();
    let probe = dir.join(format!(".clearmap-{}-{n}-probe", std::process::id()));
    let created = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe);
    match created {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(Error::Environment(format!(
            "cannot write the temporary directory {} ({e}), which {WORKBOOK} is written through; \
             set TMPDIR to a writable directory (nothing was written)",
            dir.display()
        ))),
    }
}

/// Data rows a worksheet holds under its header: Excel's 1,048,576 rows less one.
pub const SHEET_ROWS: usize = 1_048_575;

/// [`workbook`], a table longer than `sheet_rows` continuing on sheets named
/// "NAME (2)", "NAME (3)"…, each with the header (a country with over a million
/// hazards still gets every row; the CSV holds the table whole).
pub fn workbook_split(
    cfg: &EmitConfig,
    tables: &[Table],
    sheet_rows: usize,
    tempdir: Option<&Path>,
) -> std::result::Result<Vec<u8>, XlsxError> {
    let mut bytes = Vec::new();
    workbook_split_to(cfg, tables, sheet_rows, tempdir, &mut bytes)?;
    Ok(bytes)
}

/// [`workbook_split`] written to `w`.
fn workbook_split_to<W: Write + Send>(
    cfg: &EmitConfig,
    tables: &[Table],
    sheet_rows: usize,
    tempdir: Option<&Path>,
    w: W,
) -> std::result::Result<(), XlsxError> {
    let sheet_rows = sheet_rows.max(1);
    let mut wb = Workbook::new();
    if let Some(dir) = tempdir {
        wb.set_tempdir(dir)?;
    }
    let created = match cfg.as_of {
        Some(d) => {
            use chrono::Datelike;
            ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)?
        }
        None => ExcelDateTime::from_ymd(2000, 1, 1)?,
    };
    let title = match &cfg.name {
        Some(n) => format!("Land release tables: {n}"),
        None => "Land release tables".into(),
    };
    wb.set_properties(
        &DocProperties::new()
            .set_title(title)
            .set_author("clearmap")
            .set_creation_datetime(&created),
    );

    let header = Format::new()
        .set_bold()
        .set_border_bottom(FormatBorder::Thin);
    let text = Format::new();
    let m2 = Format::new().set_num_format("#,##0");
    let km2 = Format::new().set_num_format("0.00");
    let ratio = Format::new().set_num_format("0.0%");
    // The number format of each kind of cell, by index, plain and bold (for
    // the total row).
    let plain = [&text, &m2, &km2, &ratio];
    let bolds = plain.map(|f| f.clone().set_bold());
    let format_of = |cell: &Cell| -> Option<usize> {
        match cell {
            Cell::Empty => None,
            Cell::Text(_) => Some(0),
            Cell::Count(_) | Cell::M2(_) => Some(1),
            Cell::Km2(_) => Some(2),
            Cell::Ratio(_) => Some(3),
        }
    };

    // A table longer than a sheet continues on the next ones, said in the notes.
    let continued: Vec<(&str, String)> = tables
        .iter()
        .filter(|t| t.rows.len() > sheet_rows)
        .map(|t| {
            let n = t.rows.len().div_ceil(sheet_rows);
            let s = format!(
                "{} rows: continued on sheets {} (2) to {} ({n})",
                t.rows.len(),
                t.name,
                t.name
            );
            (t.name, s)
        })
        .collect();

    // First, what the CSVs keep in meta.json: the country, as_of and notes.
    let ws = wb.add_worksheet_with_low_memory();
    ws.set_name("notes")?;
    ws.write_string_with_format(0, 0, "Country", &header)?;
    ws.write_string(0, 1, super::country(cfg))?;
    ws.write_string_with_format(1, 0, "As of", &header)?;
    ws.write_string(1, 1, super::meta::as_of_text(cfg))?;
    ws.write_string_with_format(3, 0, "Table", &header)?;
    ws.write_string_with_format(3, 1, "Note", &header)?;
    let mut y = 4;
    for t in tables {
        for n in &t.notes {
            ws.write_string(y, 0, t.name)?;
            ws.write_string(y, 1, n)?;
            y += 1;
        }
    }
    for (name, n) in &continued {
        ws.write_string(y, 0, *name)?;
        ws.write_string(y, 1, n)?;
        y += 1;
    }
    ws.set_column_width(0, 28)?;
    ws.set_column_width(1, 120)?;
    ws.set_freeze_panes(4, 0)?;

    for t in tables {
        // Every column's widest cell, in one pass over the rows.
        let mut widest: Vec<Widest> = vec![Widest::default(); t.columns.len()];
        for row in t.rows.iter() {
            for (w, cell) in widest.iter_mut().zip(row.iter()) {
                w.add(cell);
            }
        }
        let widths: Vec<f64> = t
            .columns
            .iter()
            .zip(&widest)
            .map(|(column, w)| {
                let widest = w.shown().max(column.label.chars().count());
                (widest + 2).clamp(8, 60) as f64
            })
            .collect();
        // The rows of each sheet; an empty table still has its sheet.
        let n = t.rows.len();
        let chunks: Vec<std::ops::Range<usize>> = if n == 0 {
            std::iter::once(0..0).collect()
        } else {
            (0..n)
                .step_by(sheet_rows)
                .map(|a| a..(a + sheet_rows).min(n))
                .collect()
        };
        for (k, rows) in chunks.iter().enumerate() {
            // Each row goes to a temporary file once the next one starts
            // (rows are written in order); strings to the shared table
            // (low-memory mode) or inline (constant-memory mode). Held in
            // memory, the sheets of 100k hazards and 150k releases took
            // ~350 MB more at the build's peak, those of a million hazards
            // ~2.7 GB.
            let ws = if inline_strings(t) {
                wb.add_worksheet_with_constant_memory()
            } else {
                wb.add_worksheet_with_low_memory()
            };
            if k == 0 {
                ws.set_name(t.name)?;
            } else {
                ws.set_name(format!("{} ({})", t.name, k + 1))?;
            }
            for (c, column) in t.columns.iter().enumerate() {
                ws.write_string_with_format(0, c as u16, column.label, &header)?;
            }
            let last_chunk = k + 1 == chunks.len();
            // Each column takes the format of its first cell as its column
            // format, and cells of that format are written without one (they
            // inherit it): looking a format up costs a hash of the whole
            // Format per cell, a fifth of the workbook's time at 10k hazards.
            let column_format = t
                .rows
                .first_per_column(rows.clone(), t.columns.len(), format_of);
            for (c, slot) in column_format.iter().enumerate() {
                if let Some(f) = *slot {
                    ws.set_column_format(c as u16, plain[f])?;
                }
            }
            let in_sheet = rows.len();
            for (r, row) in t.rows.range(rows.clone()).enumerate() {
                let y = r as u32 + 1;
                let is_total = t.total_row && last_chunk && r + 1 == in_sheet;
                for (c, cell) in row.iter().enumerate() {
                    let x = c as u16;
                    let Some(f) = format_of(cell) else { continue };
                    let explicit = if is_total {
                        Some(&bolds[f])
                    } else if column_format.get(c) == Some(&Some(f)) {
                        None
                    } else {
                        Some(plain[f])
                    };
                    let value = match cell {
                        Cell::Text(s) => {
                            match explicit {
                                Some(fmt) => ws.write_string_with_format(y, x, s, fmt)?,
                                None => ws.write_string(y, x, s)?,
                            };
                            continue;
                        }
                        Cell::Empty => continue,
                        Cell::Count(n) => *n as f64,
                        Cell::M2(v) | Cell::Km2(v) | Cell::Ratio(v) => *v,
                    };
                    match explicit {
                        Some(fmt) => ws.write_number_with_format(y, x, value, fmt)?,
                        None => ws.write_number(y, x, value)?,
                    };
                }
            }
            for (c, w) in widths.iter().enumerate() {
                ws.set_column_width(c as u16, *w)?;
            }
            ws.set_freeze_panes(1, 0)?;
            if !t.total_row && in_sheet > 0 {
                ws.autofilter(0, 0, in_sheet as u32, t.columns.len() as u16 - 1)?;
            }
        }
    }

    wb.save_to_writer(w)
}

/// The most characters a cell of `cells` takes as displayed: the widest
/// text, and of the numbers those farthest from zero of each kind and sign
/// (a number's shown width grows with its magnitude), so that only a few
/// are formatted. Numbers where that may not hold (not finite, or so large
/// that a ratio's percentage overflows) are measured one by one.
#[cfg(test)]
fn widest_shown<'c>(cells: impl Iterator<Item = &'c Cell>) -> usize {
    let mut w = Widest::default();
    cells.for_each(|c| w.add(c));
    w.shown()
}

/// What [`widest_shown`] keeps of the cells seen so far.
#[derive(Debug, Clone, Copy, Default)]
struct Widest {
    widest: usize,
    /// By kind (M2, Km2, Ratio) and sign bit: the value farthest from zero.
    far: [Option<f64>; 6],
    count: Option<usize>,
}

impl Widest {
    fn add(&mut self, cell: &Cell) {
        let (kind, x) = match cell {
            Cell::Text(s) => {
                self.widest = self.widest.max(s.chars().count());
                return;
            }
            Cell::Empty => return,
            Cell::Count(n) => {
                self.count = self.count.max(Some(*n));
                return;
            }
            Cell::M2(x) => (0, *x),
            Cell::Km2(x) => (1, *x),
            Cell::Ratio(x) => (2, *x),
        };
        if !(x.is_finite() && x.abs() < 1e300) {
            self.widest = self.widest.max(shown_width(cell));
            return;
        }
        let slot = &mut self.far[kind * 2 + usize::from(x.is_sign_negative())];
        if slot.is_none_or(|f| x.abs() > f.abs()) {
            *slot = Some(x);
        }
    }

    /// The most characters a cell seen takes as displayed.
    fn shown(&self) -> usize {
        let cells = self.far.iter().enumerate().filter_map(|(i, x)| {
            let x = (*x)?;
            Some(match i / 2 {
                0 => Cell::M2(x),
                1 => Cell::Km2(x),
                _ => Cell::Ratio(x),
            })
        });
        cells
            .chain(self.count.map(Cell::Count))
            .map(|c| shown_width(&c))
            .fold(self.widest, usize::max)
    }
}

/// Characters a cell takes as displayed with its number format.
fn shown_width(c: &Cell) -> usize {
    let grouped = |x: f64| {
        let digits = integer_digits(x.abs());
        digits + (digits - 1) / 3 + usize::from(x < 0.0)
    };
    match c {
        Cell::Text(s) => s.chars().count(),
        Cell::Count(n) => grouped(*n as f64),
        Cell::M2(x) => grouped(*x),
        Cell::Km2(x) => printed_len(format_args!("{x:.2}")),
        Cell::Ratio(x) => printed_len(format_args!("{:.1}%", x * 100.0)),
        Cell::Empty => 0,
    }
}

/// Digits of `format!("{:.0}", x)` for `x >= 0` (or NaN), without the
/// String: the width scan looks at every cell of the per-record table.
fn integer_digits(x: f64) -> usize {
    // Below 2^53 every rounded value is an exact integer, and `{:.0}`
    // rounds ties to even as `round_ties_even` does.
    if x < 9_007_199_254_740_992.0 {
        let mut n = x.round_ties_even() as u64;
        let mut digits = 1;
        while n >= 10 {
            n /= 10;
            digits += 1;
        }
        digits
    } else {
        printed_len(format_args!("{x:.0}"))
    }
}

/// Bytes `args` prints to, counted without keeping them.
fn printed_len(args: std::fmt::Arguments) -> usize {
    struct Count(usize);
    impl std::fmt::Write for Count {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0 += s.len();
            Ok(())
        }
    }
    let mut c = Count(0);
    // Writing to a counter cannot fail.
    let _ = std::fmt::write(&mut c, args);
    c.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The widest of a column is the widest of its cells one by one.
    #[test]
    fn widest_shown_is_the_widest_cell() {
        let mut state = 0x2545_F491_4F6C_DD1D_u64;
        let mut next = || crate::geometry::test_rings::xorshift64(&mut state);
        let specials = [
            0.0,
            -0.0,
            0.004,
            -0.004,
            0.0049999,
            9.995,
            -9.995,
            99.95,
            1e22,
            -1e22,
            1e305,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        for _ in 0..2000 {
            let n = (next() % 12) as usize;
            let cells: Vec<Cell> = (0..n)
                .map(|_| {
                    let r = next();
                    let x = if r % 5 == 0 {
                        specials[(r / 5 % specials.len() as u64) as usize]
                    } else {
                        let unit = (r >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
                        unit * 10f64.powi((r % 13) as i32 - 3)
                    };
                    match next() % 6 {
                        0 => Cell::M2(x),
                        1 => Cell::Km2(x),
                        2 => Cell::Ratio(x),
                        3 => Cell::Count((r % 10_000_000) as usize),
                        4 => Cell::Text("é".repeat((r % 9) as usize)),
                        _ => Cell::Empty,
                    }
                })
                .collect();
            let want = cells.iter().map(shown_width).max().unwrap_or(0);
            assert_eq!(widest_shown(cells.iter()), want, "{cells:?}");
        }
    }

    /// The width scan counts digits without formatting, to the same count
    /// as formatting does, at rounding ties and powers of ten included.
    #[test]
    fn counted_digits_are_those_printed() {
        let mut xs = vec![
            0.0,
            0.4,
            0.5,
            1.5,
            2.5,
            9.4999,
            9.5,
            10.5,
            99.5,
            999.5,
            1e15,
            1e22,
            f64::NAN,
        ];
        for k in 0..19 {
            let p = 10f64.powi(k);
            xs.extend([p, p - 0.5, p - 0.5000001, p + 0.5, p * 1.5, p - 1.0]);
        }
        for x in xs.into_iter().filter(|x| x.is_nan() || *x >= 0.0) {
            assert_eq!(integer_digits(x), format!("{x:.0}").len(), "{x}");
        }
        assert_eq!(printed_len(format_args!("{:.1}%", -12.345)), "-12.3%".len());
    }

    /// Countries built in parallel check the temporary directory at the
    /// same time: no check may fail for another's probe.
    #[test]
    fn parallel_checks_of_the_temporary_directory_all_pass() {
        let threads: Vec<_> = (0..8)
            .map(|_| std::thread::spawn(|| (0..300).all(|_| check_temp_dir().is_ok())))
            .collect();
        for t in threads {
            assert!(t.join().unwrap());
        }
    }
}
