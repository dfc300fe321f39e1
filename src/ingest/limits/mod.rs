//! Resource limits on inputs (`[limits]` in the config, [`Limits`]): the size
//! of formats GDAL reads whole into memory, what a zip unpacks to, and zip
//! entry names that climb out of the archive (zip slip), checked before GDAL
//! sees a file; and the vertices of one geometry ([`too_large`], checked by
//! the readers and again by normalize).
//!
//! The zip's central directory is parsed here rather than through GDAL's
//! `/vsizip/`, because the point is to refuse an archive before any of it is
//! inflated, and because `/vsizip/` normalises `..` away in the names it lists.
//! Only the directory records are read (a few dozen bytes per entry); no
//! decompression happens here. A zip crate would do the same with more
//! surface than this needs.

use super::error::{IngestError, LimitsError};
use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::error::Result;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

const MIB: u64 = 1 << 20;

/// Resource limits on inputs (`[limits]`): what a hostile or broken export can
/// make clearmap allocate. Each is named in the error it causes, so a user
/// with a genuinely large export knows which key to raise.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Vertices of one geometry; a record over it is quarantined
    /// (GEOMETRY_TOO_LARGE).
    #[serde(default = "default_max_vertices")]
    pub max_vertices: u64,
    /// Size in MB (MiB) of a file in a format GDAL reads whole into memory
    /// (GeoJSON, KML, CSV, XLSX).
    #[serde(default = "default_max_file_mb")]
    pub max_file_mb: u64,
    /// Total uncompressed size in MB (MiB) of a zip's entries.
    #[serde(default = "default_max_zip_mb")]
    pub max_zip_uncompressed_mb: u64,
    /// Uncompressed / compressed size of a zip (and of each entry).
    #[serde(default = "default_max_zip_ratio")]
    pub max_zip_ratio: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_vertices: default_max_vertices(),
            max_file_mb: default_max_file_mb(),
            max_zip_uncompressed_mb: default_max_zip_mb(),
            max_zip_ratio: default_max_zip_ratio(),
        }
    }
}

impl Limits {
    /// Limits that leave room for any usable input.
    pub fn check(&self) -> std::result::Result<(), LimitsError> {
        if self.max_vertices < 4
            || self.max_file_mb == 0
            || self.max_zip_uncompressed_mb == 0
            || self.max_zip_ratio.is_nan()
            || self.max_zip_ratio < 1.0
        {
            return Err(LimitsError);
        }
        Ok(())
    }
}

fn default_max_vertices() -> u64 {
    1_000_000
}

fn default_max_file_mb() -> u64 {
    2048
}

fn default_max_zip_mb() -> u64 {
    4096
}

fn default_max_zip_ratio() -> f64 {
    100.0
}

/// The quarantine of a geometry with more vertices than `[limits] max_vertices`.
pub fn too_large(n: u64, limit: u64) -> Diagnostic {
    Diagnostic::new(
        Code::GeometryTooLarge,
        Severity::Error,
        format!("geometry has {n} vertices, over the limit of {limit} ([limits] max_vertices)"),
    )
    .fix("record quarantined; simplify the geometry (e.g. ogr2ogr -simplify) or raise [limits] max_vertices in the config")
}

/// Archives that unpack to less than this are never bombs, whatever their
/// ratio (a DBF of blank padded text easily compresses 100×).
const RATIO_FLOOR: u64 = 16 * MIB;

/// Whether GDAL reads the whole file into memory for this extension.
pub fn read_into_memory(path: &Path) -> bool {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    matches!(
        ext.as_str(),
        "geojson" | "json" | "kml" | "csv" | "txt" | "tsv" | "xlsx"
    )
}

/// Refuse a file GDAL would read whole when it is over `max_file_mb`.
pub fn check_file_size(path: &Path, limits: &Limits) -> Result<()> {
    if !read_into_memory(path) {
        return Ok(());
    }
    let len = std::fs::metadata(path)
        .map_err(|source| IngestError::Io {
            path: path.to_path_buf(),
            source,
        })?
        .len();
    if len > limits.max_file_mb.saturating_mul(MIB) {
        return Err(IngestError::FileTooLarge {
            path: path.to_path_buf(),
            mb: len.div_ceil(MIB),
            limit_mb: limits.max_file_mb,
        }
        .into());
    }
    Ok(())
}

/// One entry of a zip's central directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipEntry {
    pub name: String,
    pub compressed: u64,
    pub uncompressed: u64,
}

fn u16_at(b: &[u8], at: usize) -> Option<u64> {
    b.get(at..at + 2)
        .map(|s| u16::from_le_bytes([s[0], s[1]]) as u64)
}

fn u32_at(b: &[u8], at: usize) -> Option<u64> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as u64)
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    b.get(at..at + 8).map(|s| {
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        u64::from_le_bytes(a)
    })
}

/// The entries of a zip, from its central directory (zip64 included).
/// `Err` holds why the bytes are not a zip clearmap can read.
pub fn zip_entries<R: Read + Seek>(r: &mut R) -> std::result::Result<Vec<ZipEntry>, String> {
    let len = r.seek(SeekFrom::End(0)).map_err(|e| e.to_string())?;
    // End of central directory: 22 bytes plus a comment of up to 64 KiB.
    let tail_len = len.min(22 + 65535);
    r.seek(SeekFrom::Start(len - tail_len))
        .map_err(|e| e.to_string())?;
    let mut tail = vec![0u8; tail_len as usize];
    r.read_exact(&mut tail).map_err(|e| e.to_string())?;
    let eocd = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&i| tail[i..i + 4] == [0x50, 0x4b, 0x05, 0x06])
        .ok_or("no end-of-central-directory record (not a zip, or truncated)")?;
    let bad = || "corrupt end-of-central-directory record".to_string();
    let mut count = u16_at(&tail, eocd + 10).ok_or_else(bad)?;
    let mut cd_size = u32_at(&tail, eocd + 12).ok_or_else(bad)?;
    let mut cd_offset = u32_at(&tail, eocd + 16).ok_or_else(bad)?;
    if count == 0xFFFF || cd_size == 0xFFFF_FFFF || cd_offset == 0xFFFF_FFFF {
        // zip64: the locator sits just before the classic record.
        let loc = eocd
            .checked_sub(20)
            .filter(|&l| tail[l..l + 4] == [0x50, 0x4b, 0x06, 0x07])
            .ok_or("zip64 archive without its locator")?;
        let at = u64_at(&tail, loc + 8).ok_or_else(bad)?;
        let mut rec = [0u8; 56];
        r.seek(SeekFrom::Start(at)).map_err(|e| e.to_string())?;
        r.read_exact(&mut rec)
            .map_err(|_| "zip64 end-of-central-directory record out of the file")?;
        if rec[0..4] != [0x50, 0x4b, 0x06, 0x06] {
            return Err("corrupt zip64 end-of-central-directory record".into());
        }
        count = u64_at(&rec, 32).ok_or_else(bad)?;
        cd_size = u64_at(&rec, 40).ok_or_else(bad)?;
        cd_offset = u64_at(&rec, 48).ok_or_else(bad)?;
    }
    if cd_offset.checked_add(cd_size).is_none_or(|end| end > len) {
        return Err("central directory lies outside the file (truncated zip)".into());
    }
    // Each record is at least 46 bytes: a count that cannot fit is a lie.
    if count.saturating_mul(46) > cd_size {
        return Err("central directory holds fewer records than it claims".into());
    }
    let mut cd = vec![0u8; cd_size as usize];
    r.seek(SeekFrom::Start(cd_offset))
        .map_err(|e| e.to_string())?;
    r.read_exact(&mut cd).map_err(|e| e.to_string())?;
    let mut entries = Vec::with_capacity(count as usize);
    let mut at = 0usize;
    for _ in 0..count {
        let rec = || "corrupt central directory record".to_string();
        if cd.get(at..at + 4) != Some(&[0x50, 0x4b, 0x01, 0x02]) {
            return Err(rec());
        }
        let mut compressed = u32_at(&cd, at + 20).ok_or_else(rec)?;
        let mut uncompressed = u32_at(&cd, at + 24).ok_or_else(rec)?;
        let name_len = u16_at(&cd, at + 28).ok_or_else(rec)? as usize;
        let extra_len = u16_at(&cd, at + 30).ok_or_else(rec)? as usize;
        let comment_len = u16_at(&cd, at + 32).ok_or_else(rec)? as usize;
        let name_at = at + 46;
        let name = cd.get(name_at..name_at + name_len).ok_or_else(rec)?;
        let name = String::from_utf8_lossy(name).into_owned();
        let extra = cd
            .get(name_at + name_len..name_at + name_len + extra_len)
            .ok_or_else(rec)?;
        // zip64 extended information: the 0xFFFFFFFF sizes, in order.
        let mut e = 0;
        while e + 4 <= extra.len() {
            let id = u16_at(extra, e).unwrap_or(0);
            let size = u16_at(extra, e + 2).unwrap_or(0) as usize;
            let body = extra.get(e + 4..e + 4 + size).unwrap_or(&[]);
            if id == 1 {
                let mut p = 0;
                if uncompressed == 0xFFFF_FFFF {
                    uncompressed = u64_at(body, p).ok_or_else(rec)?;
                    p += 8;
                }
                if compressed == 0xFFFF_FFFF {
                    compressed = u64_at(body, p).ok_or_else(rec)?;
                }
            }
            e += 4 + size;
        }
        entries.push(ZipEntry {
            name,
            compressed,
            uncompressed,
        });
        at = name_at + name_len + extra_len + comment_len;
    }
    Ok(entries)
}

/// Whether an entry name would land outside the directory it is unpacked
/// into: a `..` component, an absolute path, or a drive letter.
pub fn escapes(name: &str) -> bool {
    let n = name.replace('\\', "/");
    n.starts_with('/') || n.as_bytes().get(1) == Some(&b':') || n.split('/').any(|c| c == "..")
}

/// Refuse a zip whose entries climb out of it or that unpacks to more than
/// the `[limits]` allow; checked on the central directory before GDAL opens it.
pub fn check_zip(path: &Path, limits: &Limits) -> Result<()> {
    let mut f = std::fs::File::open(path).map_err(|source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let entries = zip_entries(&mut f).map_err(|m| IngestError::NotAZip {
        path: path.to_path_buf(),
        reason: m,
    })?;
    if let Some(e) = entries.iter().find(|e| escapes(&e.name)) {
        return Err(IngestError::ZipEntryEscapes {
            path: path.to_path_buf(),
            entry: e.name.clone(),
        }
        .into());
    }
    let total: u64 = entries
        .iter()
        .fold(0u64, |s, e| s.saturating_add(e.uncompressed));
    let len = f.metadata().map(|m| m.len()).unwrap_or(0).max(1);
    if total > limits.max_zip_uncompressed_mb.saturating_mul(MIB) {
        return Err(IngestError::ZipTooLarge {
            path: path.to_path_buf(),
            mb: total.div_ceil(MIB),
            limit_mb: limits.max_zip_uncompressed_mb,
        }
        .into());
    }
    let ratio = total as f64 / len as f64;
    if total > RATIO_FLOOR && ratio > limits.max_zip_ratio {
        return Err(IngestError::ZipBomb {
            path: path.to_path_buf(),
            mb: total.div_ceil(MIB),
            kb: len.div_ceil(1024),
            ratio,
            limit: limits.max_zip_ratio,
        }
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// A stored (uncompressed) zip of the given entries, written by hand.
    fn tiny_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut cd = Vec::new();
        for (name, data) in entries {
            let offset = out.len() as u32;
            let crc = 0u32; // not checked here
            let local = |b: &mut Vec<u8>, sig: u32| {
                b.extend_from_slice(&sig.to_le_bytes());
            };
            local(&mut out, 0x0403_4b50);
            out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            out.extend_from_slice(&crc.to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(data);
            local(&mut cd, 0x0201_4b50);
            cd.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            cd.extend_from_slice(&crc.to_le_bytes());
            cd.extend_from_slice(&(data.len() as u32).to_le_bytes());
            cd.extend_from_slice(&(data.len() as u32).to_le_bytes());
            cd.extend_from_slice(&(name.len() as u16).to_le_bytes());
            cd.extend_from_slice(&[0; 12]);
            cd.extend_from_slice(&offset.to_le_bytes());
            cd.extend_from_slice(name.as_bytes());
        }
        let cd_offset = out.len() as u32;
        out.extend_from_slice(&cd);
        out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(cd.len() as u32).to_le_bytes());
        out.extend_from_slice(&cd_offset.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    #[test]
    fn reads_entries() {
        let z = tiny_zip(&[("a.shp", b"12345"), ("dir/a.dbf", b"xy")]);
        let e = zip_entries(&mut Cursor::new(z)).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[1].name, "dir/a.dbf");
        assert_eq!(e[0].uncompressed, 5);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bytes in [
            Vec::new(),
            vec![0x50, 0x4b, 0x05, 0x06],
            b"PK\x05\x06\0\0\0\0\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\0\0".to_vec(),
        ] {
            assert!(zip_entries(&mut Cursor::new(bytes)).is_err());
        }
    }

    #[test]
    fn zip_limits_name_their_keys() {
        let dir = tempfile::tempdir().unwrap();
        let big = vec![0u8; 2 << 20];
        let path = dir.path().join("big.zip");
        std::fs::write(&path, tiny_zip(&[("a.shp", &big)])).unwrap();
        let small = Limits {
            max_zip_uncompressed_mb: 1,
            ..Limits::default()
        };
        let e = check_zip(&path, &small).unwrap_err().to_string();
        assert!(e.contains("[limits] max_zip_uncompressed_mb"), "{e}");
        check_zip(&path, &Limits::default()).unwrap();
        let slip = dir.path().join("slip.zip");
        std::fs::write(&slip, tiny_zip(&[("../a.shp", b"x")])).unwrap();
        let e = check_zip(&slip, &Limits::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"../a.shp\" points outside"), "{e}");
    }

    #[test]
    fn file_size_limit_names_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.geojson");
        std::fs::write(&path, vec![b' '; (1 << 20) + 1]).unwrap();
        let one = Limits {
            max_file_mb: 1,
            ..Limits::default()
        };
        let e = check_file_size(&path, &one).unwrap_err().to_string();
        assert!(e.contains("[limits] max_file_mb"), "{e}");
        // formats GDAL streams are not limited
        let gpkg = dir.path().join("big.gpkg");
        std::fs::write(&gpkg, vec![0u8; (1 << 20) + 1]).unwrap();
        check_file_size(&gpkg, &one).unwrap();
    }

    #[test]
    fn zip_slip_names() {
        assert!(escapes("../evil.shp"));
        assert!(escapes("a/../../evil.shp"));
        assert!(escapes("/etc/passwd"));
        assert!(escapes("C:\\x.shp"));
        assert!(escapes("a\\..\\x.shp"));
        assert!(!escapes("a/b..c.shp"));
        assert!(!escapes("hazards.shp"));
    }
}
