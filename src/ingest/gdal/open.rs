//! Opening a source file with GDAL: which driver, which open and config
//! options, which file inside a zip, and the text encoding.
//!
//! Owns the per-format knowledge GDAL needs told (docs/facts.md, "GDAL"):
//! - CSV: geometry from a WKT column (`GEOM_POSSIBLE_NAMES`) or from x/y
//!   columns (`X_POSSIBLE_NAMES`, `Y_POSSIBLE_NAMES`), named by the source's
//!   `wkt`, `x`, `y` keys. Attribute tables (the point template and its
//!   attributes) are opened without either, as plain rows.
//! - CSV in a legacy encoding: GDAL 3.6's CSV driver has no `ENCODING` open
//!   option, so the file is decoded here (encoding_rs) into a UTF-8 copy in
//!   GDAL's in-memory file system and that copy is opened.
//! - CSV with another separator: GDAL 3.6 detects comma, semicolon, tab and
//!   space only and has no separator open option, so a source's `separator`
//!   (e.g. "|") is honoured by rewriting the file, quote-aware, into a
//!   comma-separated copy in the same in-memory file system.
//! - XLSX: `OGR_XLSX_HEADERS=FORCE` (3.6 otherwise reads an all-text header row
//!   as data) and `OGR_XLSX_FIELD_TYPES=STRING` (ids like `00123` stay text),
//!   set thread-locally for as long as the dataset is open, since the driver
//!   reads sheets lazily.
//! - Shapefile: `ENCODING` open option from the source's `encoding`; a `.zip` is
//!   opened through `/vsizip/` with the `.shp` found inside, so its `.prj` and
//!   `.cpg` are honoured as for a plain shapefile.

use crate::ingest::error::Result;
use crate::ingest::{IngestError, Limits, SourceConfig};
use gdal::{Dataset, DatasetOptions, GdalOpenFlags};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The formats that need options; everything else is opened as GDAL sees fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
    Shapefile,
    ZippedShapefile,
    Other,
}

impl Format {
    pub fn of(path: &Path) -> Format {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "csv" | "txt" | "tsv" => Format::Csv,
            "xlsx" => Format::Xlsx,
            "shp" | "dbf" => Format::Shapefile,
            "zip" => Format::ZippedShapefile,
            _ => Format::Other,
        }
    }
}

/// What the caller wants from the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Features with geometry (hazards, releases).
    Features,
    /// Attribute rows only (the point template, an attributes table).
    Table,
}

/// An open dataset and what must be undone when it closes.
pub struct Opened {
    ds: Option<Dataset>,
    /// The in-memory UTF-8 copy of a transcoded CSV.
    mem_file: Option<PathBuf>,
    /// Thread-local config options set for this dataset.
    config_keys: Vec<&'static str>,
    /// The layer name a zip's `.shp` was chosen by, if any.
    pub chosen_layer: Option<String>,
}

impl Opened {
    pub fn dataset(&self) -> &Dataset {
        self.ds.as_ref().expect("open until dropped")
    }
}

impl Drop for Opened {
    fn drop(&mut self) {
        // Close the dataset before its in-memory file goes away.
        drop(self.ds.take());
        if let Some(p) = &self.mem_file {
            let _ = gdal::vsi::unlink_mem_file(p);
        }
        for k in &self.config_keys {
            let _ = gdal::config::clear_thread_local_config_option(k);
        }
    }
}

/// The label of a source's `encoding` as GDAL's recoder (iconv) spells it.
fn gdal_encoding_name(enc: &'static encoding_rs::Encoding) -> String {
    let name = enc.name();
    match name.strip_prefix("windows-") {
        Some(cp) => format!("CP{cp}"),
        None => name.to_string(),
    }
}

fn encoding_of(source: &SourceConfig) -> Option<&'static encoding_rs::Encoding> {
    source
        .encoding
        .as_deref()
        .and_then(|e| encoding_rs::Encoding::for_label(e.trim().as_bytes()))
}

/// Open `path` (already resolved) for `source`.
/// The error for a source file that is not there.
pub fn not_found(path: &Path) -> IngestError {
    IngestError::NotFound {
        path: path.to_path_buf(),
    }
}

/// The checks made before any reader sees a file: that it is there, that it
/// is a regular file (or a directory where one is read), the size limit of
/// formats read whole into memory, and the limits on what a zip container
/// unpacks to.
pub fn check_before_open(path: &Path, limits: &Limits) -> Result<()> {
    use crate::ingest::limits;
    if !path.exists() {
        return Err(not_found(path));
    }
    limits::check_source_kind(path)?;
    let format = Format::of(path);
    if path.is_dir() && (format != Format::Other || limits::read_into_memory(path)) {
        return Err(IngestError::IsDirectory {
            path: path.to_path_buf(),
        });
    }
    limits::check_file_size(path, limits)?;
    if path.is_file() {
        limits::check_container(path, limits)?;
    }
    Ok(())
}

pub fn open(
    path: &Path,
    source: &SourceConfig,
    purpose: Purpose,
    config_path: &crate::ingest::error::ConfigRef,
    limits: &Limits,
) -> Result<Opened> {
    check_before_open(path, limits)?;
    let format = Format::of(path);
    let mut open_options: Vec<String> = Vec::new();
    let mut config_keys = Vec::new();
    let mut mem_file = None;
    let mut chosen_layer = None;
    let mut gdal_path = path.to_path_buf();
    let drivers: &[&str] = match format {
        Format::Csv => &["CSV"],
        Format::Xlsx => &["XLSX"],
        Format::Shapefile | Format::ZippedShapefile => &["ESRI Shapefile"],
        Format::Other => &[],
    };
    match format {
        Format::Csv => {
            open_options.push("EMPTY_STRING_AS_NULL=YES".into());
            if purpose == Purpose::Features {
                match (&source.x, &source.y) {
                    (Some(x), Some(y)) => {
                        open_options.push(format!("X_POSSIBLE_NAMES={x}"));
                        open_options.push(format!("Y_POSSIBLE_NAMES={y}"));
                    }
                    (None, None) => open_options.push(format!(
                        "GEOM_POSSIBLE_NAMES={}",
                        source
                            .wkt
                            .as_deref()
                            .unwrap_or("WKT,geometry,geom,the_geom,shape")
                    )),
                    _ => {
                        return Err(IngestError::HalfCoordinatePair {
                            config: config_path.clone(),
                            file: source.path.clone(),
                        })
                    }
                }
                open_options.push("KEEP_GEOM_COLUMNS=NO".into());
            }
            let enc = encoding_of(source).filter(|e| *e != encoding_rs::UTF_8);
            let sep = source
                .separator
                .as_deref()
                .and_then(|s| s.chars().next())
                .filter(|c| *c != ',');
            if enc.is_some() || sep.is_some() {
                let mem = transcode_to_memory(path, enc.unwrap_or(encoding_rs::UTF_8), sep)?;
                gdal_path = mem.clone();
                mem_file = Some(mem);
            }
        }
        Format::Xlsx => {
            for (k, v) in [
                ("OGR_XLSX_HEADERS", "FORCE"),
                ("OGR_XLSX_FIELD_TYPES", "STRING"),
            ] {
                gdal::config::set_thread_local_config_option(k, v)
                    .map_err(|e| IngestError::Internal(format!("setting {k}: {e}")))?;
                config_keys.push(k);
            }
        }
        Format::Shapefile => {
            if let Some(enc) = encoding_of(source) {
                open_options.push(format!("ENCODING={}", gdal_encoding_name(enc)));
            }
        }
        Format::ZippedShapefile => {
            let (inner, layer) = shapefile_in_zip(path, source, config_path)?;
            gdal_path = inner;
            chosen_layer = Some(layer);
            if let Some(enc) = encoding_of(source) {
                open_options.push(format!("ENCODING={}", gdal_encoding_name(enc)));
            }
        }
        Format::Other => {}
    }
    let opts: Vec<&str> = open_options.iter().map(String::as_str).collect();
    let ds = Dataset::open_ex(
        &gdal_path,
        DatasetOptions {
            open_flags: GdalOpenFlags::GDAL_OF_VECTOR | GdalOpenFlags::GDAL_OF_READONLY,
            allowed_drivers: (!drivers.is_empty()).then_some(drivers),
            open_options: (!opts.is_empty()).then_some(&opts),
            ..Default::default()
        },
    );
    // Built before the error check so that a failed open still cleans up.
    let mut opened = Opened {
        ds: None,
        mem_file,
        config_keys,
        chosen_layer,
    };
    opened.ds = Some(ds.map_err(|e| open_error(path, &e.to_string()))?);
    Ok(opened)
}

/// Why GDAL could not open a file, in words that say what to do.
fn open_error(path: &Path, gdal_message: &str) -> IngestError {
    // The gdal crate wraps the reason as "… returned a NULL pointer. Error msg: '…'".
    let reason = gdal_message
        .split_once("Error msg: '")
        .map(|(_, r)| r.trim_end_matches('\'').trim())
        .unwrap_or(gdal_message.trim());
    if std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() == 0) {
        return IngestError::EmptyFile {
            path: path.to_path_buf(),
        };
    }
    if Format::of(path) == Format::Csv {
        if let Some(hint) = separator_hint(path) {
            return IngestError::CsvUnopenable {
                path: path.to_path_buf(),
                hint,
            };
        }
    }
    let what = match Format::of(path) {
        Format::Csv => "a CSV table (comma, semicolon or tab separated, with a header row)",
        Format::Xlsx => "an XLSX workbook",
        Format::Shapefile => "a shapefile (it needs its .shx next to it)",
        Format::ZippedShapefile => "a zipped shapefile",
        Format::Other => "vector data",
    };
    IngestError::Unopenable {
        path: path.to_path_buf(),
        what,
        reason: reason.to_string(),
    }
}

/// The `.shp` inside a zip: the one there is, or the one named by `layer`.
fn shapefile_in_zip(
    path: &Path,
    source: &SourceConfig,
    config_path: &crate::ingest::error::ConfigRef,
) -> Result<(PathBuf, String)> {
    let abs = std::fs::canonicalize(path).map_err(|source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let root = PathBuf::from(format!("/vsizip/{}", abs.display()));
    let entries = gdal::vsi::read_dir(&root, true).map_err(|e| IngestError::ZipUnlistable {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let mut shps: Vec<PathBuf> = entries
        .into_iter()
        .filter(|e| {
            e.extension()
                .is_some_and(|x| x.to_string_lossy().eq_ignore_ascii_case("shp"))
        })
        .collect();
    shps.sort();
    let stem = |p: &PathBuf| {
        p.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let chosen = match &source.layer {
        Some(l) => {
            shps.iter()
                .find(|p| stem(p) == *l)
                .ok_or_else(|| IngestError::NoSuchShapefile {
                    path: path.to_path_buf(),
                    layer: l.clone(),
                    shapefiles: shps.iter().map(stem).collect(),
                })?
        }
        None => match shps.as_slice() {
            [one] => one,
            [] => {
                return Err(IngestError::NoShapefile {
                    path: path.to_path_buf(),
                })
            }
            many => {
                return Err(IngestError::ManyShapefiles {
                    config: config_path.clone(),
                    file: source.path.clone(),
                    shapefiles: many.iter().map(stem).collect(),
                })
            }
        },
    };
    Ok((root.join(chosen), stem(chosen)))
}

/// The fix to say when a CSV's header line is split by a separator GDAL does
/// not detect (a pipe) and by none it does: `None` when nothing suggests one.
pub fn separator_hint(path: &Path) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    let head = &bytes[..bytes.len().min(64 * 1024)];
    let text = String::from_utf8_lossy(head);
    let line = text
        .trim_start_matches('\u{feff}')
        .lines()
        .next()
        .unwrap_or("");
    let mut counts = [0usize; 4];
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => counts[0] += 1,
            ';' if !quoted => counts[1] += 1,
            '\t' if !quoted => counts[2] += 1,
            '|' if !quoted => counts[3] += 1,
            _ => {}
        }
    }
    (counts[3] > 0 && counts[..3].iter().all(|n| *n == 0)).then(|| {
        format!(
            "its header line is separated by \"|\" ({} columns), which GDAL does not detect; add separator = \"|\" to its [[source]]",
            counts[3] + 1
        )
    })
}

/// Rewrite CSV text separated by `sep` as comma-separated CSV: fields are
/// split outside double quotes only, and a field is quoted again when it
/// holds a comma, a quote or a line break.
fn to_comma_separated(text: &str, sep: char) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    let flush = |field: &mut String, out: &mut String| {
        if field.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&field.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(field);
        }
        field.clear();
    };
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
        } else if c == '"' {
            quoted = true;
        } else if c == sep {
            flush(&mut field, &mut out);
            out.push(',');
        } else if c == '\n' || c == '\r' {
            flush(&mut field, &mut out);
            out.push(c);
        } else {
            field.push(c);
        }
    }
    flush(&mut field, &mut out);
    out
}

/// Decode a text file into a UTF-8 copy in `/vsimem/`, keeping its file name
/// (the CSV layer is named after it), with its fields separated by commas
/// when `sep` names another separator.
fn transcode_to_memory(
    path: &Path,
    enc: &'static encoding_rs::Encoding,
    sep: Option<char>,
) -> Result<PathBuf> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let bytes = std::fs::read(path).map_err(|source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let (text, _, _) = enc.decode(&bytes);
    let text = match sep {
        Some(sep) => std::borrow::Cow::Owned(to_comma_separated(&text, sep)),
        None => text,
    };
    let name = path.file_name().unwrap_or_default();
    let mem = PathBuf::from(format!(
        "/vsimem/clearmap-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ))
    .join(name);
    mem_file_owned_by_gdal(&mem, text.as_bytes())
        .map_err(|e| IngestError::Internal(format!("in-memory copy of {}: {e}", path.display())))?;
    Ok(mem)
}

/// Create `/vsimem/` file `mem` holding a copy of `bytes` in a buffer GDAL
/// allocates and later frees itself. `gdal::vsi::create_mem_file` hands GDAL
/// a Rust `Vec`, which GDAL frees with C `free()`: under the binary's global
/// allocator (mimalloc) that aborts the process ("free(): invalid pointer").
#[allow(unsafe_code)]
fn mem_file_owned_by_gdal(mem: &Path, bytes: &[u8]) -> std::result::Result<(), String> {
    let name =
        std::ffi::CString::new(mem.to_string_lossy().as_bytes()).map_err(|e| e.to_string())?;
    // SAFETY: the buffer is allocated by GDAL with room for `bytes` (at least
    // one byte, so never a null for an empty file), filled before use, and
    // given to GDAL, which frees it with VSIFree when the file is unlinked.
    unsafe {
        let buf = gdal_sys::VSIMalloc(bytes.len().max(1)) as *mut u8;
        if buf.is_null() {
            return Err(format!("out of memory for {} bytes", bytes.len()));
        }
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), buf, bytes.len());
        let handle = gdal_sys::VSIFileFromMemBuffer(
            name.as_ptr(),
            buf,
            bytes.len() as gdal_sys::vsi_l_offset,
            1,
        );
        if handle.is_null() {
            gdal_sys::VSIFree(buf as *mut std::ffi::c_void);
            return Err("GDAL refused the in-memory file".into());
        }
        gdal_sys::VSIFCloseL(handle);
    }
    Ok(())
}

/// The file beside a shapefile with extension `ext` (either case).
pub(crate) fn sidecar(path: &Path, ext: &str) -> Option<PathBuf> {
    [ext.to_ascii_lowercase(), ext.to_ascii_uppercase()]
        .iter()
        .map(|e| path.with_extension(e))
        .find(|p| p.is_file())
}

/// The files GDAL says a shapefile dataset is made of, opened quietly (what is
/// wrong with it is said when it is read).
#[allow(unsafe_code)]
pub(crate) fn shapefile_files(path: &Path) -> Option<Vec<PathBuf>> {
    // SAFETY: pushes GDAL's own quiet handler on this thread's handler stack,
    // popped below on every path.
    unsafe { gdal_sys::CPLPushErrorHandler(Some(gdal_sys::CPLQuietErrorHandler)) };
    let ds = Dataset::open_ex(
        path,
        gdal::DatasetOptions {
            open_flags: gdal::GdalOpenFlags::GDAL_OF_VECTOR | gdal::GdalOpenFlags::GDAL_OF_READONLY,
            allowed_drivers: Some(&["ESRI Shapefile"]),
            ..Default::default()
        },
    );
    let list = ds.ok().map(|ds| {
        let mut out = Vec::new();
        // SAFETY: the dataset handle is valid while `ds` lives; GDALGetFileList
        // returns a NULL-terminated list of C strings (or NULL) that the
        // caller owns and frees with CSLDestroy, after they are copied.
        unsafe {
            let list = gdal_sys::GDALGetFileList(ds.c_dataset());
            if !list.is_null() {
                let mut i = 0;
                loop {
                    let p = *list.add(i);
                    if p.is_null() {
                        break;
                    }
                    let s = std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned();
                    out.push(PathBuf::from(s));
                    i += 1;
                }
                gdal_sys::CSLDestroy(list);
            }
        }
        out
    });
    // SAFETY: pops the handler pushed above.
    unsafe { gdal_sys::CPLPopErrorHandler() };
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_extension() {
        assert_eq!(Format::of(Path::new("a/B.CSV")), Format::Csv);
        assert_eq!(Format::of(Path::new("x.xlsx")), Format::Xlsx);
        assert_eq!(Format::of(Path::new("x.shp")), Format::Shapefile);
        assert_eq!(Format::of(Path::new("x.zip")), Format::ZippedShapefile);
        assert_eq!(Format::of(Path::new("IMSMA.gdb")), Format::Other);
    }

    #[test]
    fn encoding_names_for_gdal() {
        let e = encoding_rs::Encoding::for_label(b"windows-1252").unwrap();
        assert_eq!(gdal_encoding_name(e), "CP1252");
        let e = encoding_rs::Encoding::for_label(b"cp1252").unwrap();
        assert_eq!(gdal_encoding_name(e), "CP1252");
    }

    #[test]
    fn pipes_become_commas_quote_aware() {
        let t = "id|WKT|note\nH1|\"POINT (1 2)\"|a, b\n\"H|2\"|\"say \"\"x\"\"\"|\n";
        assert_eq!(
            to_comma_separated(t, '|'),
            "id,WKT,note\nH1,POINT (1 2),\"a, b\"\nH|2,\"say \"\"x\"\"\",\n"
        );
    }

    #[test]
    fn a_pipe_header_is_noticed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("h.csv");
        std::fs::write(&p, "id|WKT\nH1|\"POINT (1 2)\"\n").unwrap();
        assert!(separator_hint(&p).unwrap().contains("separator = \"|\""));
        std::fs::write(&p, "id,WKT\nH1,\"POINT (1|2)\"\n").unwrap();
        assert!(separator_hint(&p).is_none());
    }
}
