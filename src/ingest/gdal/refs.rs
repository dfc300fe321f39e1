//! Record references as people count them: the number a data officer types
//! into `ogrinfo -fid`, or the row they scroll to in Excel.
//!
//! Measured on GDAL 3.6: the XLSX and ODS drivers give each record the FID
//! of its sheet row (header = row 1, empty rows counted), so that FID *is*
//! the spreadsheet row. The CSV driver numbers records from 1 and skips
//! blank lines, which a spreadsheet shows as empty rows; a quoted cell
//! spanning lines is one row in both. So for a CSV the file is scanned once
//! for the rows its blank lines push down. Every other driver's FID is what
//! `ogrinfo -fid` and QGIS show, and is given as it is, except GeoJSON's
//! (see [`RefScheme::Position`]).

use crate::model::RecordRef;
use std::path::Path;

/// How one layer's records are referred to.
#[derive(Debug, Clone)]
pub(super) enum RefScheme {
    /// GDAL's FID, as it is.
    Fid,
    /// The n-th feature, from 1 (GeoJSON: its FID is a position from 0 or
    /// the feature's own `id`, neither a number people count by, and the
    /// built-in reader gives the same reference).
    Position,
    /// The FID is the sheet row (XLSX, ODS).
    SheetRow,
    /// A CSV: the spreadsheet row of the n-th record GDAL reads (from 1),
    /// when blank lines make it differ from n + 1.
    Csv(Option<Vec<u64>>),
}

impl RefScheme {
    pub(super) fn for_layer(driver: &str, path: &Path) -> Self {
        match driver {
            "XLSX" | "ODS" => RefScheme::SheetRow,
            "GeoJSON" | "GeoJSONSeq" => RefScheme::Position,
            "CSV" => RefScheme::Csv(
                std::fs::read(path)
                    .ok()
                    .and_then(|bytes| csv_sheet_rows(&bytes)),
            ),
            _ => RefScheme::Fid,
        }
    }

    /// The reference of the record read at zero-based `position` with GDAL's
    /// `fid`.
    pub(super) fn reference(&self, fid: Option<u64>, position: usize) -> RecordRef {
        let position = position as u64;
        match (self, fid) {
            (RefScheme::Fid, Some(fid)) => RecordRef::Fid(fid),
            (RefScheme::SheetRow, Some(fid)) => RecordRef::Row(fid),
            (RefScheme::Csv(rows), _) => {
                let nth = fid.unwrap_or(position + 1);
                let row = rows
                    .as_ref()
                    .zip(nth.checked_sub(1))
                    .and_then(|(r, i)| r.get(usize::try_from(i).ok()?))
                    .copied()
                    .unwrap_or(nth + 1);
                RecordRef::Row(row)
            }
            (RefScheme::Position, _) | (_, None) => RecordRef::nth(position),
        }
    }
}

/// The spreadsheet row of each non-blank record after the header, or `None`
/// when the file has no blank line (then record n is row n + 1). Quotes are
/// followed so that a line break inside a quoted cell does not start a row.
fn csv_sheet_rows(bytes: &[u8]) -> Option<Vec<u64>> {
    let mut rows = Vec::new();
    let mut any_blank = false;
    let (mut row, mut in_quotes, mut empty) = (1u64, false, true);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'"' => {
                in_quotes = !in_quotes;
                empty = false;
            }
            b'\r' | b'\n' if !in_quotes => {
                if b == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                if row > 1 {
                    if empty {
                        any_blank = true;
                    } else {
                        rows.push(row);
                    }
                }
                row += 1;
                empty = true;
            }
            _ => empty = false,
        }
        i += 1;
    }
    if !empty && row > 1 {
        rows.push(row);
    }
    any_blank.then_some(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_lines_push_rows_down_and_quoted_breaks_do_not() {
        let csv = b"id,name\nA,x\nB,\"two\nlines\"\n\nC,z\n";
        assert_eq!(csv_sheet_rows(csv), Some(vec![2, 3, 5]));
        let s = RefScheme::Csv(csv_sheet_rows(csv));
        assert_eq!(s.reference(Some(3), 2), RecordRef::Row(5));
        assert_eq!(s.reference(Some(1), 0), RecordRef::Row(2));
    }

    #[test]
    fn without_blank_lines_record_n_is_row_n_plus_one() {
        assert_eq!(csv_sheet_rows(b"id\r\nA\r\nB"), None);
        let s = RefScheme::Csv(None);
        assert_eq!(s.reference(Some(2), 1), RecordRef::Row(3));
    }

    #[test]
    fn sheets_and_other_drivers() {
        assert_eq!(RefScheme::SheetRow.reference(Some(7), 2), RecordRef::Row(7));
        assert_eq!(RefScheme::Fid.reference(Some(0), 0), RecordRef::Fid(0));
        assert_eq!(RefScheme::Fid.reference(None, 4), RecordRef::Feature(5));
    }
}
