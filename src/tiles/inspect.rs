//! What `clearmap inspect` prints of a tile archive (PMTiles or MBTiles, told
//! apart by their first bytes): a summary of the header, the tiles per zoom
//! and the metadata, or one tile decoded to GeoJSON in lon/lat.

use super::grid::{self, pixel_to_lonlat};
use super::mbtiles::MbtilesReader;
use super::mvt::{decode_commands, decode_tile, polygons, DecodedLayer};
use super::pmtiles::Archive;
use crate::error::{Error, Result};
use serde_json::{json, Map};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Read as _;
use std::path::Path;

/// An archive `clearmap inspect` reads.
pub enum TileArchive {
    Pmtiles(Archive),
    Mbtiles(MbtilesReader),
}

impl TileArchive {
    /// Open `path` as PMTiles (magic `PMTiles`) or MBTiles (an SQLite
    /// database); anything else is an error naming both.
    pub fn open(path: &Path) -> Result<TileArchive> {
        let mut head = [0u8; 16];
        let n = std::fs::File::open(path)
            .and_then(|mut f| f.read(&mut head))
            .map_err(|e| Error::input(path, format!("cannot read it: {e}")))?;
        if head[..n].starts_with(b"PMTiles") {
            Archive::open(path).map(TileArchive::Pmtiles)
        } else if head[..n].starts_with(b"SQLite format 3\0") {
            MbtilesReader::open(path).map(TileArchive::Mbtiles)
        } else {
            Err(Error::input(
                path,
                "is neither a PMTiles archive nor an MBTiles database",
            ))
        }
    }

    /// The human summary.
    pub fn summary(&self) -> Result<String> {
        match self {
            TileArchive::Pmtiles(a) => summary(a),
            TileArchive::Mbtiles(m) => mbtiles_summary(m),
        }
    }

    /// One tile decoded to GeoJSON, if the archive has it.
    pub fn tile_geojson(&self, z: u8, x: u32, y: u32) -> Result<Option<serde_json::Value>> {
        match self {
            TileArchive::Pmtiles(a) => tile_geojson(a, z, x, y),
            TileArchive::Mbtiles(m) => {
                let Some(stored) = m.tile(z, x, y)? else {
                    return Ok(None);
                };
                let bad = |e: String| Error::input(&m.path, format!("tile {z}/{x}/{y}: {e}"));
                // clearmap gzips its MBTiles tiles; other writers may not.
                let raw = if stored.starts_with(&[0x1f, 0x8b]) {
                    let mut out = Vec::new();
                    flate2::read::GzDecoder::new(stored.as_slice())
                        .read_to_end(&mut out)
                        .map_err(|e| bad(format!("gzip: {e}")))?;
                    out
                } else {
                    stored
                };
                let layers = decode_tile(&raw).map_err(|e| bad(format!("not a valid MVT: {e}")))?;
                layers_geojson(&m.path, z, x, y, &layers).map(Some)
            }
        }
    }
}

/// The human summary of an MBTiles database: its tiles per zoom and its
/// metadata table.
fn mbtiles_summary(m: &MbtilesReader) -> Result<String> {
    let mut s = String::new();
    let size = std::fs::metadata(&m.path).map(|md| md.len()).unwrap_or(0);
    let _ = writeln!(s, "{}: MBTiles, {size} bytes", m.path.display());
    let _ = writeln!(s, "zoom  tiles  bytes(stored)  largest");
    for z in m.zoom_stats()? {
        let _ = writeln!(
            s,
            "{:>4} {:>6} {:>14} {:>8}",
            z.zoom, z.tiles, z.bytes, z.largest
        );
    }
    let _ = writeln!(s, "metadata:");
    for (k, v) in m.metadata()? {
        let _ = writeln!(s, "  {k}: {v}");
    }
    Ok(s)
}

/// Parse "Z/X/Y".
pub fn parse_zxy(s: &str) -> Result<(u8, u32, u32)> {
    let parts: Vec<&str> = s.trim().split('/').collect();
    let usage = || {
        Error::Usage(format!(
            "tile must be Z/X/Y (e.g. 12/3423/1763), got \"{s}\""
        ))
    };
    if parts.len() != 3 {
        return Err(usage());
    }
    let z: u8 = parts[0].parse().map_err(|_| usage())?;
    let x: u32 = parts[1].parse().map_err(|_| usage())?;
    let y: u32 = parts[2].parse().map_err(|_| usage())?;
    if z > 31 || u64::from(x) >= (1u64 << z) || u64::from(y) >= (1u64 << z) {
        return Err(Error::Usage(format!(
            "tile {s} is outside the grid of zoom {z}"
        )));
    }
    Ok((z, x, y))
}

fn compression_name(c: u8) -> &'static str {
    match c {
        1 => "none",
        2 => "gzip",
        3 => "brotli",
        4 => "zstd",
        _ => "unknown",
    }
}

/// The human summary of `clearmap inspect FILE.pmtiles`.
pub fn summary(a: &Archive) -> Result<String> {
    let h = &a.header;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}: PMTiles v{}, {} bytes",
        a.path.display(),
        h.version,
        a.size()
    );
    let _ = writeln!(
        s,
        "tile type {} ({}), tile compression {}, internal compression {}, clustered {}",
        h.tile_type,
        if h.tile_type == 1 { "mvt" } else { "other" },
        compression_name(h.tile_compression),
        compression_name(h.internal_compression),
        h.clustered
    );
    let _ = writeln!(
        s,
        "zooms {}–{}; bounds {:?}; center {:?} z{}",
        h.min_zoom, h.max_zoom, h.bounds, h.center, h.center_zoom
    );
    let _ = writeln!(
        s,
        "tiles addressed {}, entries {}, distinct contents {}; root dir {} B, metadata {} B, leaf dirs {} B, tile data {} B",
        h.addressed_tiles, h.tile_entries, h.tile_contents, h.root_length, h.metadata_length, h.leaf_length, h.data_length
    );
    // Runs are counted by the zoom ranges they overlap, never expanded: a run
    // may address billions of tiles (found by fuzzing).
    let mut per_zoom: BTreeMap<u8, (u64, u64, u32)> = BTreeMap::new();
    for e in &a.entries {
        let (start, end) = (e.tile_id, e.tile_id + u64::from(e.run_length));
        for z in 0..=26u8 {
            let (lo, hi) = (grid::zoom_base(z), grid::zoom_base(z + 1));
            let n = end.min(hi).saturating_sub(start.max(lo));
            if n > 0 {
                let v = per_zoom.entry(z).or_default();
                v.0 += n;
                v.1 = v.1.saturating_add(n.saturating_mul(u64::from(e.length)));
                v.2 = v.2.max(e.length);
            }
        }
    }
    let _ = writeln!(s, "zoom  tiles  bytes(compressed)  largest");
    for (z, (n, bytes, max)) in per_zoom {
        let _ = writeln!(s, "{z:>4} {n:>6} {bytes:>18} {max:>8}");
    }
    let _ = writeln!(
        s,
        "metadata: {}",
        serde_json::to_string_pretty(&a.metadata()?).unwrap_or_default()
    );
    Ok(s)
}

/// One tile decoded to a GeoJSON FeatureCollection in lon/lat; each feature
/// carries its layer in the `layer` property.
pub fn tile_geojson(a: &Archive, z: u8, x: u32, y: u32) -> Result<Option<serde_json::Value>> {
    let Some(layers) = a.decoded(z, x, y)? else {
        return Ok(None);
    };
    layers_geojson(&a.path, z, x, y, &layers).map(Some)
}

/// Decoded layers of tile z/x/y as a GeoJSON FeatureCollection in lon/lat.
fn layers_geojson(
    path: &Path,
    z: u8,
    x: u32,
    y: u32,
    layers: &[DecodedLayer],
) -> Result<serde_json::Value> {
    let bad = |m: String| Error::input(path, format!("tile {z}/{x}/{y}: {m}"));
    let mut features = Vec::new();
    for l in layers {
        let ll = |(px, py): (i32, i32)| {
            let (lon, lat) = pixel_to_lonlat(z, x, y, l.extent, f64::from(px), f64::from(py));
            json!([lon, lat])
        };
        for f in &l.features {
            let geometry = match f.geom_type {
                1 => {
                    let pts: Vec<_> = decode_commands(&f.commands)
                        .map_err(|e| bad(e.to_string()))?
                        .into_iter()
                        .flat_map(|(p, _)| p)
                        .map(ll)
                        .collect();
                    if pts.len() == 1 {
                        json!({"type": "Point", "coordinates": pts[0]})
                    } else {
                        json!({"type": "MultiPoint", "coordinates": pts})
                    }
                }
                3 => {
                    let polys = polygons(&f.commands).map_err(|e| bad(e.to_string()))?;
                    // RFC 7946 wants exteriors counter-clockwise in lon/lat: the MVT
                    // exterior (clockwise on screen, y down) is that once unprojected.
                    let coords: Vec<Vec<Vec<serde_json::Value>>> = polys
                        .iter()
                        .map(|p| {
                            p.iter()
                                .map(|r| r.iter().chain(r.first()).map(|&c| ll(c)).collect())
                                .collect()
                        })
                        .collect();
                    json!({"type": "MultiPolygon", "coordinates": coords})
                }
                t => return Err(bad(format!("geometry type {t} is not used by clearmap"))),
            };
            let mut props = Map::new();
            props.insert("layer".into(), json!(l.name));
            for (k, v) in &f.properties {
                props.insert(k.clone(), v.to_json());
            }
            let mut feature = json!({"type": "Feature", "properties": props, "geometry": geometry});
            if let Some(id) = f.id {
                feature["id"] = json!(id);
            }
            features.push(feature);
        }
    }
    Ok(json!({"type": "FeatureCollection", "features": features}))
}
