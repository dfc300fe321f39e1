//! Resource limits on inputs (`[limits]` in the config, [`Limits`]), checked
//! before GDAL sees a file: that a source is a file that ends (a regular
//! file, or a File Geodatabase folder; [`check_source_kind`]), the size of
//! formats GDAL reads whole into memory ([`check_file_size`]), what a zip
//! container unpacks to and the names inside it (`zip.rs`,
//! [`check_container`]); and the vertices of one geometry ([`too_large`],
//! checked by the readers and again by normalize).

mod zip;

use super::error::{IngestError, LimitsError};
use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::ingest::error::Result;
use std::path::Path;
pub use zip::{check_container, zip_entries, ZipEntry};

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
        });
    }
    Ok(())
}

/// Refuse a source that is neither a regular file nor a directory (a FIFO,
/// a device such as `/dev/zero`, a socket): hashing or reading it could block
/// forever or never end. Symlinks are followed, so a link to a regular file
/// is a regular file; a directory is left to the caller (a File Geodatabase
/// is one). Checked on the path's metadata before anything opens it.
pub fn check_source_kind(path: &Path) -> Result<()> {
    let meta = std::fs::metadata(path).map_err(|source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let t = meta.file_type();
    if t.is_file() || t.is_dir() {
        return Ok(());
    }
    Err(IngestError::NotAFile {
        path: path.to_path_buf(),
        kind: kind_name(t),
    })
}

/// What a file that is neither a regular file nor a directory is, in words.
fn kind_name(t: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    let _ = t;
    "not a regular file"
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[cfg(unix)]
    #[test]
    fn source_kinds() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.geojson");
        std::fs::write(&file, "{}").unwrap();
        let link = dir.path().join("link.geojson");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        check_source_kind(&file).unwrap();
        check_source_kind(&link).unwrap();
        check_source_kind(dir.path()).unwrap();
        let e = check_source_kind(Path::new("/dev/zero"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("/dev/zero: is a device"), "{e}");
    }
}
