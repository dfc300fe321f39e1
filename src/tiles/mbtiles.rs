//! `tiles.mbtiles`: the same gzipped MVT tiles as `tiles.pmtiles`, in an
//! MBTiles 1.3 SQLite database (`clearmap build --format mbtiles`), for tile
//! servers and GIS that read MBTiles (GDAL, tileserver-gl, martin).
//!
//! Layout (MBTiles 1.3): `metadata(name, value)` with `name`, `format` = pbf,
//! `bounds`, `center`, `minzoom`, `maxzoom` and `json` (holding
//! `vector_layers`), plus attribution, description, type and generator;
//! `tiles(zoom_level, tile_column, tile_row, tile_data)` with rows in the TMS
//! scheme (`tile_row` = 2^z − 1 − y) and a unique index on the three
//! coordinates; `PRAGMA application_id` = 0x4d504258 ("MPBX").
//!
//! The database is written with journalling off inside one transaction: it
//! goes to the staging's temporary name, so a failed build leaves nothing a
//! reader could take for a finished file.

use crate::error::{Error, Result};
use rusqlite::{params, Connection};
use std::collections::BTreeMap;
use std::path::Path;

/// MBTiles' `application_id` ("MPBX").
pub const APPLICATION_ID: i32 = 0x4d50_4258;

fn db_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Output {
        path: path.to_path_buf(),
        source: std::io::Error::other(format!("MBTiles: {e}")),
    }
}

/// The TMS row of XYZ row `y` at zoom `z` (and back: the flip is its own inverse).
pub fn tms_row(z: u8, y: u32) -> u32 {
    // Below 2^z, and MBTiles zooms are at most 30 here (read_tiles checks).
    #[allow(clippy::cast_possible_truncation)]
    let row = ((1u64 << z) - 1 - u64::from(y)) as u32;
    row
}

/// An MBTiles database being filled.
pub struct MbtilesWriter {
    conn: Connection,
    /// The name reported in errors (the final target, not the temporary file).
    target: std::path::PathBuf,
}

impl MbtilesWriter {
    /// Create the database at `path` (replacing any file there) with its
    /// schema and `metadata` rows, and open the transaction tiles go into.
    pub fn create(path: &Path, target: &Path, metadata: &[(&str, String)]) -> Result<Self> {
        let err = |e: rusqlite::Error| db_err(target, e);
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(Error::Output {
                    path: target.to_path_buf(),
                    source: e,
                })
            }
            _ => {}
        }
        let conn = Connection::open(path).map_err(err)?;
        conn.execute_batch(&format!(
            "PRAGMA journal_mode = OFF;
             PRAGMA synchronous = OFF;
             PRAGMA application_id = {APPLICATION_ID};
             BEGIN;
             CREATE TABLE metadata (name TEXT, value TEXT);
             CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);"
        ))
        .map_err(err)?;
        {
            let mut st = conn
                .prepare("INSERT INTO metadata (name, value) VALUES (?1, ?2)")
                .map_err(err)?;
            for (k, v) in metadata {
                st.execute(params![k, v]).map_err(err)?;
            }
        }
        Ok(MbtilesWriter {
            conn,
            target: target.to_path_buf(),
        })
    }

    /// Add the gzipped MVT of XYZ tile z/x/y.
    pub fn add_tile(&mut self, z: u8, x: u32, y: u32, data: &[u8]) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO tiles (zoom_level, tile_column, tile_row, tile_data) VALUES (?1, ?2, ?3, ?4)",
                params![z, x, tms_row(z, y), data],
            )
            .map(|_| ())
            .map_err(|e| db_err(&self.target, e))
    }

    /// Index the tiles, commit and close the database.
    pub fn finish(self) -> Result<()> {
        let target = self.target;
        self.conn
            .execute_batch(
                "CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);
                 CREATE UNIQUE INDEX name ON metadata (name);
                 COMMIT;",
            )
            .map_err(|e| db_err(&target, e))?;
        self.conn.close().map_err(|(_, e)| db_err(&target, e))
    }
}

/// Every tile of an MBTiles file, keyed by XYZ z/x/y (the TMS row flipped
/// back), as stored (gzipped MVT): for tests and tools.
pub fn read_tiles(path: &Path) -> Result<BTreeMap<(u8, u32, u32), Vec<u8>>> {
    let err = |e| read_err(path, e);
    let reader = MbtilesReader::open(path)?;
    let mut st = reader
        .conn
        .prepare("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles")
        .map_err(err)?;
    let rows = st
        .query_map([], |r| {
            Ok((
                r.get::<_, u8>(0)?,
                r.get::<_, u32>(1)?,
                r.get::<_, u32>(2)?,
                r.get::<_, Vec<u8>>(3)?,
            ))
        })
        .map_err(err)?;
    let mut out = BTreeMap::new();
    for row in rows {
        let (z, x, row, data) = row.map_err(err)?;
        if z > 30 || u64::from(row) >= 1u64 << z {
            return Err(Error::input(
                path,
                format!("tile row {row} outside zoom {z}"),
            ));
        }
        out.insert((z, x, tms_row(z, row)), data);
    }
    Ok(out)
}

/// The `metadata` table as name → value.
pub fn read_metadata(path: &Path) -> Result<BTreeMap<String, String>> {
    MbtilesReader::open(path)?.metadata()
}

/// An MBTiles database opened read-only, for `clearmap inspect`.
pub struct MbtilesReader {
    pub path: std::path::PathBuf,
    conn: Connection,
}

/// Tiles of one zoom: how many, their stored bytes, the largest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZoomStats {
    pub zoom: u8,
    pub tiles: u64,
    pub bytes: u64,
    pub largest: u64,
}

impl MbtilesReader {
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| read_err(path, e))?;
        Ok(MbtilesReader {
            path: path.to_path_buf(),
            conn,
        })
    }

    /// The `metadata` table as name → value.
    pub fn metadata(&self) -> Result<BTreeMap<String, String>> {
        metadata_of(&self.conn, &self.path)
    }

    /// Tile counts and sizes per zoom, lowest zoom first (one aggregate
    /// query: the tiles are not read).
    pub fn zoom_stats(&self) -> Result<Vec<ZoomStats>> {
        let err = |e| read_err(&self.path, e);
        let mut st = self
            .conn
            .prepare(
                "SELECT zoom_level, count(*), sum(length(tile_data)), max(length(tile_data))
                 FROM tiles GROUP BY zoom_level ORDER BY zoom_level",
            )
            .map_err(err)?;
        let rows = st
            .query_map([], |r| {
                // SQLite integers are i64; counts and lengths are never negative.
                let n = |i: usize| {
                    r.get::<_, Option<i64>>(i)
                        .map(|v| v.unwrap_or(0).unsigned_abs())
                };
                Ok(ZoomStats {
                    zoom: r.get(0)?,
                    tiles: n(1)?,
                    bytes: n(2)?,
                    largest: n(3)?,
                })
            })
            .map_err(err)?;
        rows.collect::<std::result::Result<_, _>>().map_err(err)
    }

    /// The stored bytes of XYZ tile z/x/y (gzipped MVT as clearmap writes
    /// it), if the database has it.
    pub fn tile(&self, z: u8, x: u32, y: u32) -> Result<Option<Vec<u8>>> {
        let err = |e| read_err(&self.path, e);
        let mut st = self
            .conn
            .prepare(
                "SELECT tile_data FROM tiles WHERE zoom_level = ?1 AND tile_column = ?2 AND tile_row = ?3",
            )
            .map_err(err)?;
        let mut rows = st.query(params![z, x, tms_row(z, y)]).map_err(err)?;
        match rows.next().map_err(err)? {
            Some(row) => Ok(Some(row.get(0).map_err(err)?)),
            None => Ok(None),
        }
    }
}

fn read_err(path: &Path, e: rusqlite::Error) -> Error {
    Error::input(path, format!("MBTiles: {e}"))
}

fn metadata_of(conn: &Connection, path: &Path) -> Result<BTreeMap<String, String>> {
    let err = |e| read_err(path, e);
    let mut st = conn
        .prepare("SELECT name, value FROM metadata")
        .map_err(err)?;
    let rows = st
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .map_err(err)?;
    rows.collect::<std::result::Result<_, _>>().map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tms_flip() {
        assert_eq!(tms_row(0, 0), 0);
        assert_eq!(tms_row(1, 0), 1);
        assert_eq!(tms_row(14, 0), 16383);
        assert_eq!(tms_row(14, tms_row(14, 1234)), 1234);
    }

    #[test]
    fn write_then_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.mbtiles");
        let mut w =
            MbtilesWriter::create(&p, &p, &[("name", "t".into()), ("format", "pbf".into())])
                .unwrap();
        w.add_tile(3, 5, 1, b"abc").unwrap();
        w.add_tile(0, 0, 0, b"z").unwrap();
        w.finish().unwrap();
        let tiles = read_tiles(&p).unwrap();
        assert_eq!(tiles[&(3, 5, 1)], b"abc");
        assert_eq!(tiles.len(), 2);
        assert_eq!(read_metadata(&p).unwrap()["format"], "pbf");
        assert!(!dir.path().join("t.mbtiles-journal").exists());
        // A duplicate tile breaks the unique index.
        let p2 = dir.path().join("d.mbtiles");
        let mut w = MbtilesWriter::create(&p2, &p2, &[]).unwrap();
        w.add_tile(1, 0, 0, b"a").unwrap();
        w.add_tile(1, 0, 0, b"b").unwrap();
        assert!(w.finish().is_err());
    }
}
