//! A layer is read whole or not at all: fewer records than the layer
//! declares (a shapefile's deleted records aside), or a CSV that ends inside
//! a quoted field, is an error naming where reading stopped.

use super::messages::read_failure;
use super::open::{sidecar, Format};
use crate::ingest::error::Result;
use crate::ingest::ReadStop;
use gdal::vector::LayerAccess;
use std::io::Read;
use std::path::Path;

/// An error when fewer features were read than the layer declares, which some
/// drivers do without a failure (a file cut short at a record boundary).
/// Drivers that do not know their count without reading everything again
/// (CSV) declare none: a failure while reading is then the only sign.
pub(super) fn check_count(
    layer: &gdal::vector::Layer,
    driver: &str,
    path: &Path,
    desc: &str,
    read: usize,
    last_fid: Option<u64>,
    after: &str,
) -> Result<()> {
    // A CSV declares no count, but one cut short mid-record ends inside a
    // quoted field (an odd number of quotes: "" inside a field counts two),
    // which GDAL reads as a last, shorter record without a word.
    if Format::of(path) == Format::Csv && odd_quotes(path) {
        return Err(read_failure(
            path,
            desc,
            after.to_string(),
            ReadStop::InsideQuotedField,
        ));
    }
    let Some(declared) = layer.try_feature_count() else {
        return Ok(());
    };
    let read = read as u64;
    if read >= declared {
        return Ok(());
    }
    if driver == "ESRI Shapefile" {
        // A shapefile counts the records marked deleted in its .dbf (not yet
        // packed away), which reading skips.
        let deleted = if Format::of(path) == Format::Shapefile {
            sidecar(path, "dbf").and_then(|d| deleted_dbf_records(&d))
        } else {
            // In a zip the .dbf is not at hand: reading reached the last
            // record (shapefile FIDs are record numbers), so the ones
            // skipped on the way were deleted.
            last_fid
                .filter(|f| f + 1 == declared)
                .map(|_| declared - read)
        };
        if deleted.is_some_and(|d| read + d == declared) {
            return Ok(());
        }
    }
    Err(read_failure(
        path,
        desc,
        after.to_string(),
        ReadStop::Short { read, declared },
    ))
}

/// Whether a file holds an odd number of `"` (false when it cannot be read).
fn odd_quotes(path: &Path) -> bool {
    let Ok(mut f) = std::fs::File::open(path) else {
        return false;
    };
    let mut buf = vec![0u8; 1 << 16];
    let mut odd = false;
    loop {
        match f.read(&mut buf) {
            Ok(0) | Err(_) => return odd,
            Ok(n) => odd ^= buf[..n].iter().filter(|&&b| b == b'"').count() % 2 == 1,
        }
    }
}

/// How many records of a .dbf are marked deleted (`*` as their first byte).
fn deleted_dbf_records(dbf: &Path) -> Option<u64> {
    use std::io::{BufReader, Seek, SeekFrom};
    let mut f = BufReader::new(std::fs::File::open(dbf).ok()?);
    let mut header = [0u8; 12];
    f.read_exact(&mut header).ok()?;
    let records = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
    let header_len = u64::from(u16::from_le_bytes([header[8], header[9]]));
    let record_len = u16::from_le_bytes([header[10], header[11]]);
    if record_len == 0 {
        return None;
    }
    f.seek(SeekFrom::Start(header_len)).ok()?;
    let mut deleted = 0;
    let mut flag = [0u8; 1];
    for _ in 0..records {
        if f.read_exact(&mut flag).is_err() {
            // Cut short: the rest are missing, not deleted.
            break;
        }
        deleted += u64::from(flag[0] == b'*');
        f.seek_relative(i64::from(record_len) - 1).ok()?;
    }
    Some(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deleted_records_of_a_dbf() {
        let dir = tempfile::tempdir().unwrap();
        let dbf = dir.path().join("t.dbf");
        // 4 records of 3 bytes after a 32-byte header: the 2nd and 4th deleted.
        let mut b = vec![0u8; 32];
        b[4] = 4;
        b[8] = 32;
        b[10] = 3;
        b.extend_from_slice(b" ab*cd ef*gh");
        std::fs::write(&dbf, &b).unwrap();
        assert_eq!(deleted_dbf_records(&dbf), Some(2));
        // Cut short: what is missing is not deleted.
        std::fs::write(&dbf, &b[..32 + 6]).unwrap();
        assert_eq!(deleted_dbf_records(&dbf), Some(1));
    }
}
