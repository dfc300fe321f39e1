//! PMTiles v3 archives: the writer the tileset streams into (around the
//! `pmtiles` crate's) and a reader of our own (`clearmap inspect`, the tests).
//!
//! The `pmtiles` crate's readers are all async (tokio) in 0.26, and a CLI that
//! reads one local file should not pull in a runtime, so the archive is parsed
//! here: the 127-byte little-endian header, then the root and leaf directories
//! (varint columns, compressed with the header's internal compression). It is
//! also a reader independent of the writer we use, which is what a test wants.

use super::grid::{self, tile_coord, tile_id};
use super::mvt::{decode_tile, varint, DecodeError, DecodedLayer};
use super::profile::TileConfig;
use super::tileset::{output_err, Envelope};
use crate::error::{Error, Result};
use flate2::read::GzDecoder;
use pmtiles::{Compression, PmTilesStreamWriter, PmTilesWriter, TileCoord, TileType};
use std::fs::File;
use std::io::{BufWriter, Read};
use std::path::{Path, PathBuf};

/// A PMTiles archive being written: gzipped MVT tiles, added in ascending
/// TileID order (clustered), the directories and metadata written at the end.
pub(crate) struct PmtilesWriter {
    writer: PmTilesStreamWriter<BufWriter<File>>,
    /// The name reported in errors (the final target, not the temporary file).
    target: PathBuf,
}

impl PmtilesWriter {
    /// Create the archive at `path` with its header fields and `metadata`
    /// (JSON).
    pub(crate) fn create(
        path: &Path,
        target: &Path,
        cfg: &TileConfig,
        at: &Envelope,
        metadata: &str,
    ) -> Result<Self> {
        let file = File::create(path).map_err(|e| output_err(target, e))?;
        let [west, south, east, north] = at.bounds;
        let writer = PmTilesWriter::new(TileType::Mvt)
            .precompressed(Compression::Gzip)
            .min_zoom(cfg.min_zoom)
            .max_zoom(cfg.max_zoom)
            .bounds(west, south, east, north)
            .center(at.center[0], at.center[1])
            .center_zoom(at.center_zoom)
            .metadata(metadata)
            .create(BufWriter::with_capacity(1 << 20, file))
            .map_err(|e| output_err(target, e))?;
        Ok(PmtilesWriter {
            writer,
            target: target.to_path_buf(),
        })
    }

    /// Add the gzipped MVT of tile z/x/y.
    pub(crate) fn add_tile(&mut self, z: u8, x: u32, y: u32, data: &[u8]) -> Result<()> {
        let coord = TileCoord::new(z, x, y).map_err(|e| output_err(&self.target, e))?;
        self.writer
            .add_tile(coord, data)
            .map_err(|e| output_err(&self.target, e))
    }

    /// Write the directories and the header.
    pub(crate) fn finish(self) -> Result<()> {
        self.writer
            .finalize()
            .map_err(|e| output_err(&self.target, e))
    }
}

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
    f64::from(i32::from_le_bytes(
        b[at..at + 4].try_into().expect("4 bytes"),
    )) / 1e7
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
    let n = usize::try_from(dir_varint(b, &mut pos)?).unwrap_or(usize::MAX);
    if n > b.len() {
        return Err(std::io::Error::other(
            "directory entry count larger than the directory",
        ));
    }
    let mut e = vec![(0u64, 0u32, 0u64, 0u32); n];
    // Every sum below reads numbers from the file: checked, so a corrupt
    // directory is an error and never an overflow (found by fuzzing).
    let overflow = || std::io::Error::other("directory values out of range");
    // Run lengths and lengths are uint32 in the format.
    let u32_varint = |pos: &mut usize| u32::try_from(dir_varint(b, pos)?).map_err(|_| overflow());
    let mut last = 0u64;
    for x in e.iter_mut() {
        last = last
            .checked_add(dir_varint(b, &mut pos)?)
            .ok_or_else(overflow)?;
        x.0 = last;
    }
    for x in e.iter_mut() {
        x.1 = u32_varint(&mut pos)?;
    }
    for x in e.iter_mut() {
        x.3 = u32_varint(&mut pos)?;
    }
    for i in 0..n {
        let v = dir_varint(b, &mut pos)?;
        e[i].2 = if v == 0 && i > 0 {
            e[i - 1]
                .2
                .checked_add(u64::from(e[i - 1].3))
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
        let start = usize::try_from(offset).ok();
        let end = offset
            .checked_add(length)
            .and_then(|e| usize::try_from(e).ok())
            .filter(|&e| e <= self.bytes.len());
        start
            .zip(end)
            .map(|(s, e)| &self.bytes[s..e])
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
                    u64::from(len),
                    depth + 1,
                    out,
                )?;
            } else {
                // Tile ids beyond z26 are not PMTiles clearmap reads (it writes
                // z0–z24), and bounding them keeps every id arithmetic in range.
                if tile_id
                    .checked_add(u64::from(run_length))
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

    /// The archive's size in bytes.
    pub fn size(&self) -> usize {
        self.bytes.len()
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
            (0..u64::from(e.run_length)).map(move |k| (tile_coord(e.tile_id + k), e.length))
        })
    }

    /// The decompressed MVT bytes of z/x/y, if the archive has that tile.
    pub fn tile(&self, z: u8, x: u32, y: u32) -> Result<Option<Vec<u8>>> {
        let id = tile_id(z, x, y);
        let i = self.entries.partition_point(|e| e.tile_id <= id);
        let Some(e) = i.checked_sub(1).map(|i| self.entries[i]) else {
            return Ok(None);
        };
        if id >= e.tile_id + u64::from(e.run_length) {
            return Ok(None);
        }
        let data = self
            .slice(e.offset, u64::from(e.length))
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
