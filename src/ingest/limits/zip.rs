//! The limits on zip containers: every zip-based format GDAL opens (a zipped
//! shapefile, an XLSX or ODS workbook, a KMZ, or any file that starts as a
//! zip does) is checked before GDAL sees it, on what it unpacks to: the
//! total, each entry, the compression ratio of both, and entry names that
//! climb out of the archive (zip slip).
//!
//! The central directory is parsed here by hand ([`zip_entries`]), not with
//! the `zip` crate nor GDAL's `/vsizip/`. `/vsizip/` normalises `..` away in
//! the names it lists, so it cannot see zip slip. The `zip` crate is in the
//! tree only through rust_xlsxwriter, as a writer: reading with it would tie
//! this check to the workbook writer's version and bring a general reader's
//! surface (and its own view of what a valid archive is) where a few
//! fixed-offset fields are needed. The parser is about a hundred lines, never
//! inflates anything, allocates at most the file's size, and has its own
//! fuzz target (`zip`, seeds in fuzz/corpus/zip).
//!
//! The sizes a directory declares can lie, and GDAL does not hold an entry to
//! its declared size (measured: an XLSX whose sheet declares 2,000 bytes and
//! inflates to 400 MB still peaked at 2.1 GB). So the declared sizes are
//! checked first (cheap, and enough to refuse an honest bomb), then each
//! deflated entry that GDAL reads whole into memory (a workbook's parts, a
//! KMZ's KML, a GeoJSON/KML/CSV in a plain zip) is inflated here into
//! nothing, counting, and one that unpacks to more than it declares is
//! refused. That costs one pass of inflation over those entries (about 1 s
//! per 200 MB of text that compresses poorly, far less for text that
//! compresses well) and is bounded by `max_file_mb` each. The parts of a
//! zipped shapefile are not inflated here: GDAL streams them, reading at the
//! offsets their headers give, so a lie there should cost time rather than
//! memory (not measured), while inflating them would cost every build of a
//! large zipped shapefile about a second per 200 MB.

use super::{Limits, MIB, RATIO_FLOOR};
use crate::ingest::error::IngestError;
use crate::ingest::error::Result;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// One entry of a zip's central directory, with the sizes it declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipEntry {
    pub name: String,
    pub compressed: u64,
    pub uncompressed: u64,
    /// Compression method: 0 stored, 8 deflated (the two GDAL reads).
    pub method: u16,
    /// Where the entry's local header starts in the file.
    pub offset: u64,
}

fn u16_at(b: &[u8], at: usize) -> Option<u64> {
    b.get(at..at.checked_add(2)?)
        .map(|s| u16::from_le_bytes([s[0], s[1]]) as u64)
}

fn u32_at(b: &[u8], at: usize) -> Option<u64> {
    b.get(at..at.checked_add(4)?)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as u64)
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    b.get(at..at.checked_add(8)?).map(|s| {
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        u64::from_le_bytes(a)
    })
}

/// The entries of a zip, from its central directory (zip64 included), with
/// their declared sizes. `Err` holds why the bytes are not a zip clearmap
/// can read.
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
        let method = u16_at(&cd, at + 10).ok_or_else(rec)? as u16;
        let mut compressed = u32_at(&cd, at + 20).ok_or_else(rec)?;
        let mut uncompressed = u32_at(&cd, at + 24).ok_or_else(rec)?;
        let name_len = u16_at(&cd, at + 28).ok_or_else(rec)? as usize;
        let extra_len = u16_at(&cd, at + 30).ok_or_else(rec)? as usize;
        let comment_len = u16_at(&cd, at + 32).ok_or_else(rec)? as usize;
        let mut offset = u32_at(&cd, at + 42).ok_or_else(rec)?;
        let name_at = at + 46;
        let name = cd.get(name_at..name_at + name_len).ok_or_else(rec)?;
        let name = String::from_utf8_lossy(name).into_owned();
        let extra = cd
            .get(name_at + name_len..name_at + name_len + extra_len)
            .ok_or_else(rec)?;
        // zip64 extended information: the 0xFFFFFFFF fields, in this order.
        let mut e = 0;
        while e + 4 <= extra.len() {
            let id = u16_at(extra, e).unwrap_or(0);
            let size = u16_at(extra, e + 2).unwrap_or(0) as usize;
            let body = extra.get(e + 4..e + 4 + size).unwrap_or(&[]);
            if id == 1 {
                let mut p = 0;
                for field in [&mut uncompressed, &mut compressed, &mut offset] {
                    if *field == 0xFFFF_FFFF {
                        *field = u64_at(body, p).ok_or_else(rec)?;
                        p += 8;
                    }
                }
            }
            e += 4 + size;
        }
        entries.push(ZipEntry {
            name,
            compressed,
            uncompressed,
            method,
            offset,
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

/// What kind of zip a source is, which decides what its entries are limited
/// by and what the error tells the user to do instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Container {
    /// A zipped shapefile (`.zip`, `.shz`), or a zip under another name.
    Zip,
    /// An XLSX or ODS workbook: GDAL reads each sheet whole into memory.
    Workbook,
    /// Zipped KML: GDAL reads the KML whole into memory.
    Kmz,
}

impl Container {
    /// The container `path` is, by its extension, else by its first bytes
    /// (GDAL recognises some formats by content): `None` for a file that is
    /// not a zip.
    fn of(path: &Path) -> Option<Container> {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "zip" | "shz" => Some(Container::Zip),
            "xlsx" | "xlsm" | "ods" => Some(Container::Workbook),
            "kmz" => Some(Container::Kmz),
            _ => {
                let mut head = [0u8; 4];
                let starts_as_zip = std::fs::File::open(path)
                    .and_then(|mut f| f.read_exact(&mut head))
                    .is_ok()
                    && matches!(head, [b'P', b'K', 3, 4] | [b'P', b'K', 5, 6]);
                starts_as_zip.then_some(Container::Zip)
            }
        }
    }

    /// What to do instead of raising a limit.
    fn advice(self) -> &'static str {
        match self {
            Container::Zip => "unzip it yourself and point `path` at the file inside",
            Container::Workbook => "look for a huge cell or sheet in the workbook, or export the sheet as CSV and point `path` at that",
            Container::Kmz => "unzip it yourself and point `path` at the .kml inside",
        }
    }

    /// Whether GDAL reads this entry whole into memory: every entry of a
    /// workbook or KMZ, and a file read whole in any zip.
    fn read_whole(self, entry: &str) -> bool {
        self != Container::Zip || super::read_into_memory(Path::new(entry))
    }
}

/// Refuse a zip container (see [`Container`]) whose entries climb out of it
/// or that unpacks to more than the `[limits]` allow, on the sizes its
/// central directory declares and then on what its entries inflate to;
/// nothing for a file that is not a zip. Checked before GDAL opens it.
pub fn check_container(path: &Path, limits: &Limits) -> Result<()> {
    let Some(kind) = Container::of(path) else {
        return Ok(());
    };
    let path_buf = || path.to_path_buf();
    let mut f = std::fs::File::open(path).map_err(|source| IngestError::Io {
        path: path_buf(),
        source,
    })?;
    let not_a_zip = |reason: String| IngestError::NotAZip {
        path: path_buf(),
        reason,
    };
    let entries = zip_entries(&mut f).map_err(not_a_zip)?;
    let len = f.metadata().map(|m| m.len()).unwrap_or(0).max(1);
    let advice = kind.advice();
    for e in &entries {
        if escapes(&e.name) {
            return Err(IngestError::ZipEntryEscapes {
                path: path_buf(),
                entry: e.name.clone(),
            });
        }
        if e.offset.saturating_add(e.compressed) > len {
            return Err(not_a_zip(format!(
                "entry \"{}\" lies outside the file (truncated zip)",
                e.name
            )));
        }
        if kind.read_whole(&e.name) && e.uncompressed > limits.max_file_mb.saturating_mul(MIB) {
            return Err(IngestError::ZipEntryTooLarge {
                path: path_buf(),
                entry: e.name.clone(),
                mb: e.uncompressed.div_ceil(MIB),
                limit_mb: limits.max_file_mb,
                advice,
            });
        }
        let ratio = e.uncompressed as f64 / e.compressed.max(1) as f64;
        if e.uncompressed > RATIO_FLOOR && ratio > limits.max_zip_ratio {
            return Err(IngestError::ZipEntryBomb {
                path: path_buf(),
                entry: e.name.clone(),
                mb: e.uncompressed.div_ceil(MIB),
                kb: e.compressed.div_ceil(1024),
                ratio,
                limit: limits.max_zip_ratio,
                advice,
            });
        }
    }
    let total: u64 = entries
        .iter()
        .fold(0u64, |s, e| s.saturating_add(e.uncompressed));
    if total > limits.max_zip_uncompressed_mb.saturating_mul(MIB) {
        return Err(IngestError::ZipTooLarge {
            path: path_buf(),
            mb: total.div_ceil(MIB),
            limit_mb: limits.max_zip_uncompressed_mb,
            advice,
        });
    }
    let ratio = total as f64 / len as f64;
    if total > RATIO_FLOOR && ratio > limits.max_zip_ratio {
        return Err(IngestError::ZipBomb {
            path: path_buf(),
            mb: total.div_ceil(MIB),
            kb: len.div_ceil(1024),
            ratio,
            limit: limits.max_zip_ratio,
            advice,
        });
    }
    // The declared sizes pass: now hold each entry GDAL reads whole to its own.
    for e in entries.iter().filter(|e| kind.read_whole(&e.name)) {
        if inflates_past(&mut f, e).is_some_and(|past| past) {
            return Err(IngestError::ZipEntryLies {
                path: path_buf(),
                entry: e.name.clone(),
                declared: e.uncompressed,
            });
        }
    }
    Ok(())
}

/// Whether a deflated entry inflates to more bytes than it declares,
/// inflating it into nothing and stopping one byte past the declared size:
/// `None` when it cannot be told (not deflated, or a local header or stream
/// that does not read: GDAL then fails on it too, with its own words).
fn inflates_past<R: Read + Seek>(r: &mut R, e: &ZipEntry) -> Option<bool> {
    if e.method != 8 {
        // Stored entries are their own size; GDAL reads no other method.
        return None;
    }
    let mut local = [0u8; 30];
    r.seek(SeekFrom::Start(e.offset)).ok()?;
    r.read_exact(&mut local).ok()?;
    if local[0..4] != [0x50, 0x4b, 0x03, 0x04] {
        return None;
    }
    let name_len = u16_at(&local, 26)?;
    let extra_len = u16_at(&local, 28)?;
    let data = e.offset.checked_add(30 + name_len + extra_len)?;
    r.seek(SeekFrom::Start(data)).ok()?;
    let compressed = std::io::BufReader::new(r.by_ref().take(e.compressed));
    let mut inflated =
        flate2::bufread::DeflateDecoder::new(compressed).take(e.uncompressed.saturating_add(1));
    let mut buf = vec![0u8; 1 << 16];
    let mut n = 0u64;
    loop {
        match inflated.read(&mut buf) {
            Ok(0) => break,
            Ok(k) => n += k as u64,
            // A corrupt stream: what came before it is all GDAL can read.
            Err(_) => break,
        }
    }
    Some(n > e.uncompressed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// A stored (uncompressed) zip of the given entries, written by hand.
    pub(super) fn tiny_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
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
        let e = check_container(&path, &small).unwrap_err().to_string();
        assert!(e.contains("[limits] max_zip_uncompressed_mb"), "{e}");
        check_container(&path, &Limits::default()).unwrap();
        let slip = dir.path().join("slip.zip");
        std::fs::write(&slip, tiny_zip(&[("../a.shp", b"x")])).unwrap();
        let e = check_container(&slip, &Limits::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"../a.shp\" points outside"), "{e}");
    }

    /// A zip of one deflated entry whose directory declares `declared` bytes
    /// unpacked, written by hand.
    fn deflated_zip(name: &str, data: &[u8], declared: u32) -> Vec<u8> {
        use std::io::Write;
        let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(data).unwrap();
        let body = enc.finish().unwrap();
        let mut out = Vec::new();
        let header = |b: &mut Vec<u8>, sig: u32, central: bool| {
            b.extend_from_slice(&sig.to_le_bytes());
            if central {
                b.extend_from_slice(&[20, 0]);
            }
            b.extend_from_slice(&[20, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            b.extend_from_slice(&(body.len() as u32).to_le_bytes());
            b.extend_from_slice(&declared.to_le_bytes());
            b.extend_from_slice(&(name.len() as u16).to_le_bytes());
            b.extend_from_slice(&0u16.to_le_bytes());
            if central {
                // comment length, disk, attributes; the local header at 0
                b.extend_from_slice(&[0; 10]);
                b.extend_from_slice(&0u32.to_le_bytes());
            }
            b.extend_from_slice(name.as_bytes());
        };
        header(&mut out, 0x0403_4b50, false);
        out.extend_from_slice(&body);
        let cd_offset = out.len() as u32;
        header(&mut out, 0x0201_4b50, true);
        let cd_len = out.len() as u32 - cd_offset;
        out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        out.extend_from_slice(&[0, 0, 0, 0, 1, 0, 1, 0]);
        out.extend_from_slice(&cd_len.to_le_bytes());
        out.extend_from_slice(&cd_offset.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    #[test]
    fn entries_are_held_to_their_declared_sizes() {
        let dir = tempfile::tempdir().unwrap();
        let data = vec![b'x'; 1 << 20];
        let honest = dir.path().join("honest.xlsx");
        std::fs::write(&honest, deflated_zip("xl/sheet1.xml", &data, 1 << 20)).unwrap();
        check_container(&honest, &Limits::default()).unwrap();
        let e = zip_entries(&mut Cursor::new(std::fs::read(&honest).unwrap())).unwrap();
        assert_eq!(
            (e[0].method, e[0].offset, e[0].uncompressed),
            (8, 0, 1 << 20)
        );
        let lying = dir.path().join("lying.xlsx");
        std::fs::write(&lying, deflated_zip("xl/sheet1.xml", &data, 1000)).unwrap();
        let e = check_container(&lying, &Limits::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("\"xl/sheet1.xml\" unpacks to more than the 1000 bytes"),
            "{e}"
        );
    }

    #[test]
    fn entry_limits_name_the_entry_and_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let data = vec![b'x'; 17 << 20];
        let bomb = dir.path().join("bomb.kmz");
        std::fs::write(&bomb, deflated_zip("doc.kml", &data, 17 << 20)).unwrap();
        let e = check_container(&bomb, &Limits::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("entry \"doc.kml\" unpacks to 17 MB"), "{e}");
        assert!(e.contains("[limits] max_zip_ratio"), "{e}");
        let big = Limits {
            max_file_mb: 16,
            ..Limits::default()
        };
        let e = check_container(&bomb, &big).unwrap_err().to_string();
        assert!(e.contains("over the limit of 16 MB"), "{e}");
        assert!(e.contains("[limits] max_file_mb"), "{e}");
        // in a plain zip, a shapefile's part is streamed, not read whole
        let shp = dir.path().join("big.zip");
        std::fs::write(&shp, deflated_zip("a.shp", &data, 17 << 20)).unwrap();
        let loose = Limits {
            max_zip_ratio: 1e6,
            ..big
        };
        check_container(&shp, &loose).unwrap();
        // a zip by its first bytes, whatever its name
        let renamed = dir.path().join("bomb.dat");
        std::fs::copy(&bomb, &renamed).unwrap();
        assert!(check_container(&renamed, &Limits::default()).is_err());
        let text = dir.path().join("plain.dat");
        std::fs::write(&text, "PK but not a zip").unwrap();
        check_container(&text, &Limits::default()).unwrap();
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
