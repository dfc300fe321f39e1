//! Reading a PMTiles v3 archive back: `clearmap inspect` and the tests.
//!
//! The `pmtiles` crate's readers are all async (tokio) in 0.26, and a CLI that
//! reads one local file should not pull in a runtime, so the archive is parsed
//! here: the 127-byte little-endian header, then the root and leaf directories
//! (varint columns, compressed with the header's internal compression). It is
//! also a reader independent of the writer we use, which is what a test wants.

use super::grid::{self, pixel_to_lonlat, tile_coord, tile_id};
use super::mvt::{decode_commands, decode_tile, polygons, varint, DecodeError, DecodedLayer};
use crate::error::{Error, Result};
use flate2::read::GzDecoder;
use serde_json::{json, Map};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The header fields of a PMTiles v3 archive.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub version: u8,
    pub root_offset: u64,
    pub root_length: u64,
    pub metadata_offset: u64,
    pub metadata_length: u64,
    pub leaf_offset: u64,
    pub leaf_length: u64,
    pub data_offset: u64,
    pub data_length: u64,
    pub addressed_tiles: u64,
    pub tile_entries: u64,
    pub tile_contents: u64,
    pub clustered: bool,
    pub internal_compression: u8,
    pub tile_compression: u8,
    pub tile_type: u8,
    pub min_zoom: u8,
    pub max_zoom: u8,
    /// west, south, east, north
    pub bounds: [f64; 4],
    pub center_zoom: u8,
    pub center: [f64; 2],
}

/// A tile entry (run_length ≥ 1) resolved to absolute file offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub tile_id: u64,
    pub run_length: u32,
    pub offset: u64,
    pub length: u32,
}

/// An archive read into memory.
pub struct Archive {
    pub path: PathBuf,
    pub header: Header,
    /// Tile entries of all directories, by TileID.
    pub entries: Vec<Entry>,
    bytes: Vec<u8>,
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

fn coord_at(b: &[u8], at: usize) -> f64 {
    i32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes")) as f64 / 1e7
}

fn decompress(data: &[u8], compression: u8) -> std::io::Result<Vec<u8>> {
    match compression {
        // 0 unknown is treated as none, as the reference readers do.
        0 | 1 => Ok(data.to_vec()),
        2 => {
            let mut out = Vec::new();
            GzDecoder::new(data).read_to_end(&mut out)?;
            Ok(out)
        }
        c => Err(std::io::Error::other(format!(
            "unsupported compression {c} (only none and gzip)"
        ))),
    }
}

/// A directory varint ([`varint`], the one the MVT decoder reads).
fn dir_varint(b: &[u8], pos: &mut usize) -> std::io::Result<u64> {
    varint(b, pos).map_err(|e| match e {
        DecodeError::Truncated(_) => std::io::Error::other("truncated directory"),
        _ => std::io::Error::other("overlong varint in directory"),
    })
}

/// (tile_id, run_length, offset, length) of one directory.
fn parse_directory(b: &[u8]) -> std::io::Result<Vec<(u64, u32, u64, u32)>> {
    let mut pos = 0;
    let n = dir_varint(b, &mut pos)? as usize;
    if n > b.len() {
        return Err(std::io::Error::other(
            "directory entry count larger than the directory",
        ));
    }
    let mut e = vec![(0u64, 0u32, 0u64, 0u32); n];
    // Every sum below reads numbers from the file: checked, so a corrupt
    // directory is an error and never an overflow (found by fuzzing).
    let overflow = || std::io::Error::other("directory values out of range");
    let mut last = 0u64;
    for x in e.iter_mut() {
        last = last
            .checked_add(dir_varint(b, &mut pos)?)
            .ok_or_else(overflow)?;
        x.0 = last;
    }
    for x in e.iter_mut() {
        x.1 = dir_varint(b, &mut pos)? as u32;
    }
    for x in e.iter_mut() {
        x.3 = dir_varint(b, &mut pos)? as u32;
    }
    for i in 0..n {
        let v = dir_varint(b, &mut pos)?;
        e[i].2 = if v == 0 && i > 0 {
            e[i - 1]
                .2
                .checked_add(e[i - 1].3 as u64)
                .ok_or_else(overflow)?
        } else {
            v.checked_sub(1).ok_or_else(overflow)?
        };
    }
    Ok(e)
}

impl Archive {
    pub fn open(path: &Path) -> Result<Archive> {
        let bad = |m: String| Error::input(path, m);
        let bytes = std::fs::read(path).map_err(|e| bad(format!("cannot read: {e}")))?;
        if bytes.len() < 127 || &bytes[..7] != b"PMTiles" {
            return Err(bad("not a PMTiles v3 archive (no \"PMTiles\" magic)".into()));
        }
        let b = &bytes;
        let header = Header {
            version: b[7],
            root_offset: u64_at(b, 8),
            root_length: u64_at(b, 16),
            metadata_offset: u64_at(b, 24),
            metadata_length: u64_at(b, 32),
            leaf_offset: u64_at(b, 40),
            leaf_length: u64_at(b, 48),
            data_offset: u64_at(b, 56),
            data_length: u64_at(b, 64),
            addressed_tiles: u64_at(b, 72),
            tile_entries: u64_at(b, 80),
            tile_contents: u64_at(b, 88),
            clustered: b[96] == 1,
            internal_compression: b[97],
            tile_compression: b[98],
            tile_type: b[99],
            min_zoom: b[100],
            max_zoom: b[101],
            bounds: [
                coord_at(b, 102),
                coord_at(b, 106),
                coord_at(b, 110),
                coord_at(b, 114),
            ],
            center_zoom: b[118],
            center: [coord_at(b, 119), coord_at(b, 123)],
        };
        if header.version != 3 {
            return Err(bad(format!(
                "PMTiles version {} (only 3 is read)",
                header.version
            )));
        }
        let mut a = Archive {
            path: path.to_path_buf(),
            header,
            entries: Vec::new(),
            bytes,
        };
        let (ro, rl) = (a.header.root_offset, a.header.root_length);
        let mut entries = Vec::new();
        a.read_directory(ro, rl, 0, &mut entries)
            .map_err(|e| bad(format!("bad directory: {e}")))?;
        entries.sort_by_key(|e: &Entry| e.tile_id);
        a.entries = entries;
        Ok(a)
    }

    fn slice(&self, offset: u64, length: u64) -> std::io::Result<&[u8]> {
        let end = offset
            .checked_add(length)
            .filter(|&e| e <= self.bytes.len() as u64);
        end.map(|e| &self.bytes[offset as usize..e as usize])
            .ok_or_else(|| {
                std::io::Error::other(format!(
                    "range {offset}+{length} beyond the end of the file"
                ))
            })
    }

    fn read_directory(
        &self,
        offset: u64,
        length: u64,
        depth: u32,
        out: &mut Vec<Entry>,
    ) -> std::io::Result<()> {
        if depth > 3 {
            return Err(std::io::Error::other("directories nested too deep"));
        }
        let raw = decompress(
            self.slice(offset, length)?,
            self.header.internal_compression,
        )?;
        // Offsets come from the file: a corrupt one must be an error, not an
        // arithmetic overflow (found by fuzzing).
        let at = |base: u64, off: u64| {
            base.checked_add(off)
                .ok_or_else(|| std::io::Error::other("directory entry offset out of range"))
        };
        for (tile_id, run_length, off, len) in parse_directory(&raw)? {
            if run_length == 0 {
                self.read_directory(
                    at(self.header.leaf_offset, off)?,
                    len as u64,
                    depth + 1,
                    out,
                )?;
            } else {
                // Tile ids beyond z26 are not PMTiles clearmap reads (it writes
                // z0–z24), and bounding them keeps every id arithmetic in range.
                if tile_id
                    .checked_add(run_length as u64)
                    .is_none_or(|end| end > grid::zoom_base(27))
                {
                    return Err(std::io::Error::other("directory entry beyond zoom 26"));
                }
                out.push(Entry {
                    tile_id,
                    run_length,
                    offset: at(self.header.data_offset, off)?,
                    length: len,
                });
            }
        }
        Ok(())
    }

    /// The metadata JSON.
    pub fn metadata(&self) -> Result<serde_json::Value> {
        let raw = self
            .slice(self.header.metadata_offset, self.header.metadata_length)
            .and_then(|s| decompress(s, self.header.internal_compression))
            .map_err(|e| Error::input(&self.path, format!("metadata: {e}")))?;
        serde_json::from_slice(&raw)
            .map_err(|e| Error::input(&self.path, format!("metadata is not JSON: {e}")))
    }

    /// Every addressed tile (runs expanded) with its compressed size.
    pub fn tiles(&self) -> impl Iterator<Item = ((u8, u32, u32), u32)> + '_ {
        self.entries.iter().flat_map(|e| {
            (0..e.run_length as u64).map(move |k| (tile_coord(e.tile_id + k), e.length))
        })
    }

    /// The decompressed MVT bytes of z/x/y, if the archive has that tile.
    pub fn tile(&self, z: u8, x: u32, y: u32) -> Result<Option<Vec<u8>>> {
        let id = tile_id(z, x, y);
        let i = self.entries.partition_point(|e| e.tile_id <= id);
        let Some(e) = i.checked_sub(1).map(|i| self.entries[i]) else {
            return Ok(None);
        };
        if id >= e.tile_id + e.run_length as u64 {
            return Ok(None);
        }
        let data = self
            .slice(e.offset, e.length as u64)
            .and_then(|s| decompress(s, self.header.tile_compression))
            .map_err(|err| Error::input(&self.path, format!("tile {z}/{x}/{y}: {err}")))?;
        Ok(Some(data))
    }

    /// The decoded layers of z/x/y.
    pub fn decoded(&self, z: u8, x: u32, y: u32) -> Result<Option<Vec<DecodedLayer>>> {
        match self.tile(z, x, y)? {
            None => Ok(None),
            Some(b) => decode_tile(&b).map(Some).map_err(|e| {
                Error::input(
                    &self.path,
                    format!("tile {z}/{x}/{y} is not a valid MVT: {e}"),
                )
            }),
        }
    }
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
    if z > 31 || (x as u64) >= (1u64 << z) || (y as u64) >= (1u64 << z) {
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
        a.bytes.len()
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
        let (start, end) = (e.tile_id, e.tile_id + e.run_length as u64);
        for z in 0..=26u8 {
            let (lo, hi) = (grid::zoom_base(z), grid::zoom_base(z + 1));
            let n = end.min(hi).saturating_sub(start.max(lo));
            if n > 0 {
                let v = per_zoom.entry(z).or_default();
                v.0 += n;
                v.1 = v.1.saturating_add(n.saturating_mul(e.length as u64));
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
    let bad = |m: String| Error::input(&a.path, format!("tile {z}/{x}/{y}: {m}"));
    let mut features = Vec::new();
    for l in &layers {
        let ll = |(px, py): (i32, i32)| {
            let (lon, lat) = pixel_to_lonlat(z, x, y, l.extent, px as f64, py as f64);
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
    Ok(Some(
        json!({"type": "FeatureCollection", "features": features}),
    ))
}
