//! Bodies of the fuzz targets, shared by the cargo-fuzz targets
//! (`fuzz_targets/*.rs`) and by plain `#[test]`s of the main crate
//! (tests/it/bad_inputs.rs includes this file) that run every body over the
//! committed seed corpora (`corpus/TARGET/`), so the code is exercised on
//! machines without cargo-fuzz.
//!
//! Each body must never panic on any input; where an invariant is cheap to
//! state (a roundtrip, record counts), it is asserted too.

use clearmap::config::Config;
use clearmap::model::Role;
use std::path::PathBuf;

/// A target's body.
pub type Body = fn(&[u8]);

/// The targets, by name, for the seed-corpus tests and scripts/fuzz.
pub const TARGETS: [(&str, Body); 8] = [
    ("geojson", geojson),
    ("csv_wkt", csv_wkt),
    ("points", points),
    ("config", config),
    ("mvt", mvt),
    ("pmtiles", pmtiles),
    ("serve", serve),
    ("zip", zip),
];

/// A scratch file of this process and thread.
fn scratch(ext: &str) -> PathBuf {
    let thread: String = format!("{:?}", std::thread::current().id())
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    std::env::temp_dir().join(format!(
        "clearmap-fuzz-{}-{thread}.{ext}",
        std::process::id()
    ))
}

/// Ingest and normalize `data` as a hazard file with extension `ext`:
/// errors are fine, panics are not, and every record read is either a
/// hazard or quarantined.
fn ingest_bytes(data: &[u8], ext: &str) {
    let path = scratch(ext);
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let cfg = Config::from_files(None, std::slice::from_ref(&path), &[]);
    if let Ok(ingested) = clearmap::ingest::ingest(&cfg) {
        let n = clearmap::normalize::normalize(ingested);
        let c = n.counts[&Role::Hazard];
        assert_eq!(c.read, n.hazards.len() + c.quarantined, "{c:?}");
        for h in &n.hazards {
            use geo::CoordsIter;
            assert!(h
                .geometry
                .coords_iter()
                .all(|p| p.x.abs() <= 180.0 && p.y.abs() <= 90.0));
        }
    }
    let _ = std::fs::remove_file(&path);
}

/// GeoJSON through the ingest readers (the pure-Rust GeoJSON reader, GDAL
/// where it steps aside) and normalize.
pub fn geojson(data: &[u8]) {
    ingest_bytes(data, "geojson");
}

/// CSV with a WKT column through GDAL, the ingest reader and normalize.
pub fn csv_wkt(data: &[u8]) {
    ingest_bytes(data, "csv");
}

/// IMSMA NG point-template resolution (`ingest::points::build`) on rows
/// decoded from the bytes: 8 bytes a row, first byte picks geographic.
pub fn points(data: &[u8]) {
    use clearmap::ingest::points::{build, Kind, PointRow};
    let geographic = data.first().is_some_and(|b| b & 1 == 1);
    let (x0, y0) = if geographic {
        (105.0, 12.0)
    } else {
        (500_000.0, 1_330_000.0)
    };
    let rows: Vec<PointRow> = data
        .get(1..)
        .unwrap_or(&[])
        .chunks(8)
        .enumerate()
        .map(|(row, c)| {
            let b = |i: usize| c.get(i).copied().unwrap_or(0);
            let f = |i: usize| match b(i) {
                127 => 1e308,
                128 => -1e308,
                v => (v as i8) as f64,
            };
            let scale = if geographic { 1e-4 } else { 10.0 };
            PointRow {
                row,
                at: clearmap::model::RecordRef::Row(row as u64 + 2),
                poly: (b(0) & 3 != 3).then(|| format!("P{}", b(0) & 3)),
                no: (b(1) != 255).then(|| f(1)),
                id: (b(2) & 15 != 15).then(|| format!("{}", b(2) & 15)),
                kind: if b(3) & 1 == 0 {
                    Kind::Vertex
                } else {
                    Kind::Anchor
                },
                xy: (b(3) & 2 == 0).then(|| (x0 + f(4) * scale, y0 + f(5) * scale)),
                distance: (b(3) & 4 != 0).then(|| f(6) * 3.0),
                bearing: (b(3) & 8 != 0).then(|| f(7) * 3.0),
                from: (b(3) & 16 != 0).then(|| format!("{}", b(2) >> 4)),
            }
        })
        .collect();
    let (built, _findings) = build(&rows, geographic);
    for b in &built {
        if let Some(ring) = &b.ring {
            assert!(ring.len() >= 3, "polygon {} built with {ring:?}", b.poly);
        }
    }
}

/// Config parsing and its semantic checks.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(cfg) = Config::parse(text) {
        let _ = cfg.check();
    }
}

/// MVT: arbitrary bytes decode or fail cleanly; a polygon feature built from
/// the bytes (i16 pairs, `i16::MIN` starts a new ring) encodes and decodes
/// back to the same id, properties and commands.
pub fn mvt(data: &[u8]) {
    use clearmap::geometry::ring_area2;
    use clearmap::tiles::mvt::*;
    if let Ok(layers) = decode_tile(data) {
        for l in &layers {
            for f in &l.features {
                let _ = decode_commands(&f.commands);
                let _ = polygons(&f.commands);
            }
        }
    }
    let mut rings = Vec::new();
    let mut ring = Vec::new();
    for c in data.chunks_exact(4) {
        let x = i16::from_le_bytes([c[0], c[1]]);
        let y = i16::from_le_bytes([c[2], c[3]]) as i32;
        if x == i16::MIN {
            if !ring.is_empty() {
                rings.push(std::mem::take(&mut ring));
            }
        } else {
            ring.push((x as i32, y));
        }
    }
    if !ring.is_empty() {
        rings.push(ring);
    }
    // The encoder's contract: rings of 3+ vertices with area, the first one an
    // exterior (positive surveyor's area, y down); a later positive ring starts
    // the next polygon, negative rings are holes.
    rings.retain(|r| r.len() >= 3 && ring_area2(r) != 0);
    if let Some(first) = rings.first_mut() {
        if ring_area2(first) < 0 {
            first.reverse();
        }
    }
    let geometry = TileGeometry::Polygons(rings);
    let name = String::from_utf8_lossy(&data[..data.len().min(8)]).into_owned();
    let props = [
        ("n", Value::Uint(data.len() as u64)),
        ("name", Value::String(name)),
        ("d", Value::Double(-0.5)),
    ];
    let mut layer = LayerBuilder::new("fuzz", 4096);
    let added = layer.add_feature(
        Some(7),
        clearmap::tiles::Properties::new(props.clone()).as_ref(),
        &geometry,
    );
    let mut tile = Vec::new();
    layer.write_to(&mut tile);
    let decoded = decode_tile(&tile).expect("an encoded tile decodes");
    if added {
        let f = &decoded[0].features[0];
        assert_eq!(f.id, Some(7));
        let want: Vec<(String, Value)> = props
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        assert_eq!(f.properties, want);
        let (gtype, cmds) = encode_geometry(&geometry).expect("added, so encodable");
        assert_eq!(f.geom_type, gtype as u32);
        assert_eq!(f.commands, cmds);
        polygons(&f.commands).expect("encoded commands decode");
    }
}

/// PMTiles: arbitrary bytes open or fail cleanly (and every tile listed
/// reads or fails cleanly); tiles written by the pmtiles crate read back
/// through `inspect::Archive` with the same bytes.
pub fn pmtiles(data: &[u8]) {
    use clearmap::tiles::grid::tile_id;
    use clearmap::tiles::inspect::summary;
    use clearmap::tiles::pmtiles::Archive;
    use pmtiles::{Compression, PmTilesWriter, TileCoord, TileType};
    let path = scratch("pmtiles");
    if std::fs::write(&path, data).is_ok() {
        if let Ok(a) = Archive::open(&path) {
            let listed: Vec<_> = a.tiles().take(256).map(|(t, _)| t).collect();
            for (z, x, y) in listed {
                let _ = a.tile(z, x, y);
                let _ = a.decoded(z, x, y);
            }
            let _ = a.metadata();
            let _ = summary(&a);
        }
    }
    let mut tiles = std::collections::BTreeMap::new();
    for c in data.chunks(5) {
        let z = c[0] % 16;
        let n = 1u32 << z;
        let x = u16::from_le_bytes([
            c.get(1).copied().unwrap_or(0),
            c.get(2).copied().unwrap_or(0),
        ]) as u32
            % n;
        let y = u16::from_le_bytes([
            c.get(3).copied().unwrap_or(0),
            c.get(4).copied().unwrap_or(0),
        ]) as u32
            % n;
        let body = vec![c[0]; 1 + (c.len() % 3)];
        tiles.insert(tile_id(z, x, y), ((z, x, y), body));
    }
    let file = match std::fs::File::create(&path) {
        Ok(f) => f,
        Err(_) => return,
    };
    let mut w = PmTilesWriter::new(TileType::Mvt)
        .precompressed(Compression::None)
        .create(file)
        .expect("writer");
    for ((z, x, y), body) in tiles.values() {
        w.add_tile(TileCoord::new(*z, *x, *y).expect("valid coord"), body)
            .expect("add tile");
    }
    w.finalize().expect("finalize");
    let a = Archive::open(&path).expect("a written archive opens");
    assert_eq!(a.tiles().count(), tiles.len());
    for ((z, x, y), body) in tiles.values() {
        assert_eq!(a.tile(*z, *x, *y).expect("reads").as_ref(), Some(body));
    }
    let _ = std::fs::remove_file(&path);
}

/// `clearmap serve`'s own parsing: the bytes as a `Range` header against a
/// file length (a range served lies inside the file), as a request target
/// (a path resolved lies inside the root, and never through the symlink
/// that points out), and as everything a client sends on a connection,
/// through hyper and the server's answers (whatever comes back starts as an
/// HTTP/1.1 or 1.0 response and never holds the file outside).
pub fn serve(data: &[u8]) {
    use clearmap::serve::{answer_bytes, range, resolve, Range};
    static ROOT: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    let Some(root) = ROOT.get_or_init(serve_root) else {
        return;
    };
    let text = String::from_utf8_lossy(data);
    let len = data.len() as u64 * 7 / 3;
    match range(&text, len) {
        Range::Part { start, end } => assert!(start <= end && end < len, "{text:?}"),
        Range::Whole | Range::Unsatisfiable => {}
    }
    if let Ok(p) = resolve(root, &text) {
        assert!(p.starts_with(root) && p.is_file(), "{text:?} -> {p:?}");
    }
    let out = answer_bytes(root, data);
    // An HTTP/1.0 request is answered in HTTP/1.0, as RFC 9110 asks.
    assert!(
        out.is_empty() || out.starts_with(b"HTTP/1.1 ") || out.starts_with(b"HTTP/1.0 "),
        "{:?}",
        String::from_utf8_lossy(&out)
    );
    assert!(
        !out.windows(7).any(|w| w == b"OUTSIDE"),
        "served the file outside"
    );
}

/// The zip container pre-check: the central directory parser on any bytes
/// (records it returns fit in the input) and the whole check, inflation
/// included, on them as a workbook, under the default limits and tiny ones;
/// errors are fine, panics are not.
pub fn zip(data: &[u8]) {
    use clearmap::ingest::{check_container, zip_entries, Limits};
    if let Ok(entries) = zip_entries(&mut std::io::Cursor::new(data)) {
        assert!(
            entries.len() * 46 <= data.len(),
            "{} entries",
            entries.len()
        );
    }
    let path = scratch("xlsx");
    if std::fs::write(&path, data).is_ok() {
        let _ = check_container(&path, &Limits::default());
        let tiny = Limits {
            max_file_mb: 1,
            max_zip_uncompressed_mb: 1,
            max_zip_ratio: 1.0,
            ..Limits::default()
        };
        let _ = check_container(&path, &tiny);
    }
    let _ = std::fs::remove_file(&path);
}

/// A bundle to serve (index.html, tiles, a subfolder, a symlink out) in a
/// directory of this process, made once.
fn serve_root() -> Option<PathBuf> {
    let base = std::env::temp_dir().join(format!("clearmap-fuzz-serve-{}", std::process::id()));
    let root = base.join("bundle");
    std::fs::create_dir_all(root.join("sub")).ok()?;
    std::fs::write(base.join("secret"), "OUTSIDE").ok()?;
    std::fs::write(root.join("index.html"), "<p>map</p>").ok()?;
    std::fs::write(root.join("sub/index.html"), "sub").ok()?;
    std::fs::write(root.join("tiles.pmtiles"), [7u8; 300]).ok()?;
    #[cfg(unix)]
    {
        let _ = std::os::unix::fs::symlink(base.join("secret"), root.join("leak"));
        let _ = std::os::unix::fs::symlink(&base, root.join("up"));
    }
    root.canonicalize().ok()
}
