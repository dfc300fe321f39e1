//! Hostile inputs before GDAL opens them: zip containers other than `.zip`
//! (an XLSX workbook with one huge, highly compressible cell, one whose zip
//! directory lies about its sizes, a KMZ bomb), checked on what they unpack
//! to; and sources that are not regular files (a FIFO, `/dev/zero`), refused
//! before they are hashed, with every run bounded by a timeout so that a
//! regression fails instead of hanging. Fixtures are written here, by hand.

use crate::common::{bin, repo, stderr};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A zip of deflated entries, written by hand; `lie` makes the directory
/// declare that many bytes unpacked for every entry.
fn zip(entries: &[(&str, &[u8])], lie: Option<u32>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut cd = Vec::new();
    for (name, data) in entries {
        let mut enc =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(data).unwrap();
        let body = enc.finish().unwrap();
        let mut crc = flate2::Crc::new();
        crc.update(data);
        let offset = out.len() as u32;
        let size = lie.unwrap_or(data.len() as u32);
        // version needed, flags, method 8, time, date, crc, sizes, name length, extra length
        let mut common = vec![20, 0, 0, 0, 8, 0, 0, 0, 0x21, 0];
        common.extend_from_slice(&crc.sum().to_le_bytes());
        common.extend_from_slice(&(body.len() as u32).to_le_bytes());
        common.extend_from_slice(&size.to_le_bytes());
        common.extend_from_slice(&(name.len() as u16).to_le_bytes());
        common.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&common);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&body);
        cd.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        cd.extend_from_slice(&[20, 0]);
        cd.extend_from_slice(&common);
        // comment length, disk, internal and external attributes
        cd.extend_from_slice(&[0; 10]);
        cd.extend_from_slice(&offset.to_le_bytes());
        cd.extend_from_slice(name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&cd);
    let n = (entries.len() as u16).to_le_bytes();
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0, 0, 0, 0, n[0], n[1], n[0], n[1]]);
    out.extend_from_slice(&(cd.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// A minimal valid XLSX workbook: one sheet, a header row (id, WKT, notes)
/// and one hazard whose notes cell holds `cell_len` letters (inline text).
fn workbook(cell_len: usize, lie: Option<u32>) -> Vec<u8> {
    let content_types = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#;
    let rels = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
    let workbook = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="hazards" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
    let workbook_rels = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;
    let cell =
        |r: &str, text: &str| format!(r#"<c r="{r}" t="inlineStr"><is><t>{text}</t></is></c>"#);
    let sheet = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">{}{}{}</row><row r="2">{}{}{}</row></sheetData></worksheet>"#,
        cell("A1", "id"),
        cell("B1", "WKT"),
        cell("C1", "notes"),
        cell("A2", "HZ-1"),
        cell(
            "B2",
            "POLYGON ((105 12,105.001 12,105.001 12.001,105 12.001,105 12))"
        ),
        cell("C2", &"x".repeat(cell_len)),
    );
    zip(
        &[
            ("[Content_Types].xml", content_types.as_bytes()),
            ("_rels/.rels", rels.as_bytes()),
            ("xl/workbook.xml", workbook.as_bytes()),
            ("xl/_rels/workbook.xml.rels", workbook_rels.as_bytes()),
            ("xl/worksheets/sheet1.xml", sheet.as_bytes()),
        ],
        lie,
    )
}

/// The binary with `args` in `dir`, killed (and the test failed) if it is
/// still running after `secs` seconds: a source that blocks must not hang
/// the test run.
fn run_bounded(dir: &Path, args: &[&str], secs: u64) -> Output {
    let mut child = Command::new(bin())
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("clearmap runs");
    let start = Instant::now();
    while child.try_wait().expect("waits").is_none() {
        if start.elapsed() > Duration::from_secs(secs) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("clearmap {args:?} still running after {secs} s: it hangs");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

fn build(dir: &Path, hazards: &str) -> Output {
    run_bounded(dir, &["build", "--hazards", hazards, "--out", "out"], 60)
}

#[test]
fn xlsx_with_one_huge_compressible_cell_is_refused_before_gdal() {
    let dir = tempfile::tempdir().unwrap();
    // 40 MiB of one letter: about 40 KB deflated, a ratio of about 1000×
    std::fs::write(dir.path().join("bomb.xlsx"), workbook(40 << 20, None)).unwrap();
    let o = build(dir.path(), "bomb.xlsx");
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    for want in [
        "bomb.xlsx",
        "entry \"xl/worksheets/sheet1.xml\"",
        "zip bomb",
        "[limits] max_zip_ratio",
        "export the sheet as CSV",
    ] {
        assert!(e.contains(want), "no {want:?} in {e}");
    }
    // the same workbook with a short cell gets past the check to GDAL
    std::fs::write(dir.path().join("fine.xlsx"), workbook(100, None)).unwrap();
    let e = stderr(&build(dir.path(), "fine.xlsx"));
    assert!(!e.contains("unpacks to"), "{e}");
}

#[test]
fn xlsx_entry_over_max_file_mb_names_the_entry_and_the_key() {
    let dir = tempfile::tempdir().unwrap();
    // 3 MiB unpacked from a few KB: under the ratio floor, over max_file_mb = 2
    std::fs::write(dir.path().join("w.xlsx"), workbook(3 << 20, None)).unwrap();
    std::fs::write(
        dir.path().join("clearmap.toml"),
        "[[source]]\npath = \"w.xlsx\"\nrole = \"hazard\"\n\n[limits]\nmax_file_mb = 2\n",
    )
    .unwrap();
    let o = run_bounded(dir.path(), &["build", "clearmap.toml", "--out", "out"], 60);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    for want in [
        "w.xlsx: entry \"xl/worksheets/sheet1.xml\" unpacks to 4 MB",
        "over the limit of 2 MB",
        "[limits] max_file_mb",
    ] {
        assert!(e.contains(want), "no {want:?} in {e}");
    }
}

#[test]
fn xlsx_whose_directory_understates_its_sizes_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    // every entry declares 2,000 bytes; the sheet inflates to 20 MiB
    std::fs::write(dir.path().join("lies.xlsx"), workbook(20 << 20, Some(2000))).unwrap();
    let o = build(dir.path(), "lies.xlsx");
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    for want in [
        "lies.xlsx: entry \"xl/worksheets/sheet1.xml\" unpacks to more than the 2000 bytes",
        "re-create the archive",
    ] {
        assert!(e.contains(want), "no {want:?} in {e}");
    }
}

#[test]
fn kmz_is_checked_as_the_zip_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let kml = format!(
        "<?xml version=\"1.0\"?><kml xmlns=\"http://www.opengis.net/kml/2.2\"><Document><!--{}--></Document></kml>",
        " ".repeat(30 << 20)
    );
    std::fs::write(
        dir.path().join("h.kmz"),
        zip(&[("doc.kml", kml.as_bytes())], None),
    )
    .unwrap();
    let o = build(dir.path(), "h.kmz");
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    for want in ["h.kmz: entry \"doc.kml\"", "zip bomb", "the .kml inside"] {
        assert!(e.contains(want), "no {want:?} in {e}");
    }
}

#[cfg(unix)]
#[test]
fn fifo_source_is_refused_not_hashed_forever() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("hazards.geojson");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    // nobody ever writes to it: opening it to hash it would block forever
    let o = build(dir.path(), "hazards.geojson");
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(
        e.contains("hazards.geojson: is a named pipe (FIFO), not a regular file"),
        "{e}"
    );
    assert!(e.contains("point `path` at the exported file"), "{e}");
}

#[cfg(target_os = "linux")]
#[test]
fn dev_zero_source_is_refused_not_hashed_forever() {
    let dir = tempfile::tempdir().unwrap();
    let o = build(dir.path(), "/dev/zero");
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(
        e.contains("/dev/zero: is a device, not a regular file"),
        "{e}"
    );
}

/// Links to regular files and File Geodatabase folders stay sources.
#[cfg(unix)]
#[test]
fn symlinked_files_and_gdb_folders_stay_sources() {
    let dir = tempfile::tempdir().unwrap();
    let example = repo().join("data/example");
    for f in ["clearmap.toml", "hazards.geojson", "releases.geojson"] {
        std::os::unix::fs::symlink(example.join(f), dir.path().join(f)).unwrap();
    }
    let o = run_bounded(
        dir.path(),
        &["build", "clearmap.toml", "--out", "out", "-q"],
        120,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let gdb = dir.path().join("h.gdb");
    let made = Command::new("ogr2ogr")
        .args(["-f", "OpenFileGDB", "-nlt", "MULTIPOLYGON"])
        .arg(&gdb)
        .arg(example.join("hazards.geojson"))
        .output()
        .expect("ogr2ogr runs (needs gdal-bin)");
    assert!(made.status.success(), "{}", stderr(&made));
    let o = run_bounded(
        dir.path(),
        &["build", "--hazards", "h.gdb", "--out", "out-gdb"],
        60,
    );
    let e = stderr(&o);
    assert!(!e.contains("not a regular file"), "{e}");
    assert!(dir.path().join("out-gdb/summary.json").is_file(), "{e}");
}
