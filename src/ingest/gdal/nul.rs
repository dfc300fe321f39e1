//! NUL characters in GeoJSON text that GDAL reads: its C strings end at one,
//! so the records concerned are quarantined rather than read cut short.

use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::ingest::error::Result;
use crate::ingest::{IngestError, RawGeometry, RawRecord};
use std::io::Read;
use std::path::Path;

/// GDAL's GeoJSON reader ends a text at a NUL (`\u0000`), so "H1\u0000a" and
/// "H1\u0000b" would both read as "H1", one id. The built-in reader keeps
/// such text whole; when GDAL read the file instead, the records whose text
/// holds a NUL are quarantined, found by index in the file's features (the
/// order GDAL reads them in). When they cannot be found so, the source is an
/// error rather than read with truncated text.
pub(super) fn quarantine_nul_rows(
    path: &Path,
    desc: &str,
    records: &mut [RawRecord],
    diags: &mut Vec<Diagnostic>,
) -> Result<()> {
    const ESCAPE: &[u8] = b"\\u0000";
    // Scanned in chunks first: the file is parsed whole only when it holds
    // one (rare), not on every GeoJSON that GDAL reads.
    if !file_contains(path, ESCAPE) {
        return Ok(());
    }
    let Ok(bytes) = std::fs::read(path) else {
        return Ok(());
    };
    let rows = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| {
            let features = v.get("features")?.as_array()?;
            (features.len() == records.len()).then(|| {
                features
                    .iter()
                    .enumerate()
                    .filter(|(_, f)| f.get("properties").is_some_and(has_nul))
                    .map(|(i, _)| i)
                    .collect::<Vec<usize>>()
            })
        })
        .ok_or_else(|| IngestError::NulInText {
            path: path.to_path_buf(),
            desc: desc.to_string(),
        })?;
    for i in rows {
        let Some(r) = records.get_mut(i) else {
            continue;
        };
        r.geometry = RawGeometry::Unreadable;
        diags.push(
            Diagnostic::new(
                Code::NulInText,
                Severity::Error,
                "a text value holds a NUL character (\\u0000), which GDAL's reader cuts short there; the id or value as read is not the one in the file",
            )
            .record(&r.provenance)
            .fix("record quarantined; remove the NUL characters from the export"),
        );
    }
    Ok(())
}

/// Whether the file holds `needle` (false when it cannot be read), read in
/// chunks that overlap by the needle's length.
fn file_contains(path: &Path, needle: &[u8]) -> bool {
    let Ok(mut f) = std::fs::File::open(path) else {
        return false;
    };
    let mut buf = vec![0u8; 1 << 16];
    let mut kept = 0;
    loop {
        let n = match f.read(&mut buf[kept..]) {
            Ok(0) | Err(_) => return false,
            Ok(n) => n,
        };
        let end = kept + n;
        if buf[..end].windows(needle.len()).any(|w| w == needle) {
            return true;
        }
        kept = (needle.len() - 1).min(end);
        buf.copy_within(end - kept..end, 0);
    }
}

/// Whether a JSON value (names included) holds a NUL character.
fn has_nul(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::String(s) => s.contains('\0'),
        serde_json::Value::Array(a) => a.iter().any(has_nul),
        serde_json::Value::Object(o) => o.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_contains_finds_a_needle_across_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.geojson");
        // The needle straddles the first 64 KiB chunk's end.
        let mut b = vec![b' '; (1 << 16) - 3];
        b.extend_from_slice(b"\\u0000 tail");
        std::fs::write(&p, &b).unwrap();
        assert!(file_contains(&p, b"\\u0000"));
        assert!(!file_contains(&p, b"\\u0001"));
        assert!(!file_contains(&dir.path().join("missing"), b"x"));
    }
}
