//! The GeoPackage's SQLite file, written through rusqlite: the core tables
//! (`gpkg_spatial_ref_sys`, `gpkg_contents`, `gpkg_geometry_columns`, the
//! empty tile tables), GDAL's `gpkg_ogr_contents` (feature counts), feature
//! and attribute tables, the GeoPackage geometry blobs, and each spatial
//! table's R-tree index (`gpkg_rtree_index`) with its triggers.
//!
//! Hand-written rather than through GDAL's GPKG driver because the driver
//! cost four times the CPU of everything else in the file (an OGR feature
//! per row, the geometry parsed from WKB and written back, the R-tree filled
//! by SQL functions re-reading every blob). The writer issues the statements
//! GDAL 3.6's driver issues, in its order, in its transactions and with its
//! table definitions, so the file is the one GDAL wrote: the same tables,
//! rows and values, and tables created when their first row comes (or at
//! the commit of their transaction when none comes), as the driver does.
//! The R-trees alone are written otherwise: packed whole ([`super::rtree`],
//! as GDAL 3.7 and later do) where GDAL 3.6 inserts row by row. They index
//! the same boxes, stored as those inserts store them; their nodes differ.

use super::rtree::{self, Envelope};
use rusqlite::{Connection, Statement};
use std::path::Path;

/// The statements that create a new GeoPackage 1.3, one a line: GDAL's core
/// tables, EPSG:4326 and the two undefined systems, and the tile tables'
/// triggers.
const PROLOGUE: &str = include_str!("prologue.sql");

/// The type of a column, as GDAL declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ColumnType {
    Text,
    Real,
    Date,
    DateTime,
    /// A 64-bit integer (GDAL's Integer64).
    Integer,
    /// A 32-bit integer (GDAL's Integer).
    MediumInt,
}

impl ColumnType {
    fn sql(self) -> &'static str {
        match self {
            ColumnType::Text => "TEXT",
            ColumnType::Real => "REAL",
            ColumnType::Date => "DATE",
            ColumnType::DateTime => "DATETIME",
            ColumnType::Integer => "INTEGER",
            ColumnType::MediumInt => "MEDIUMINT",
        }
    }
}

/// A value of a row, bound as GDAL binds it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Value<'a> {
    Null,
    Real(f64),
    Integer(i64),
    Text(&'a str),
}

/// The geometry type of a spatial table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Multi {
    Point,
    LineString,
    Polygon,
}

impl Multi {
    fn name(self) -> &'static str {
        match self {
            Multi::Point => "MULTIPOINT",
            Multi::LineString => "MULTILINESTRING",
            Multi::Polygon => "MULTIPOLYGON",
        }
    }
}

/// A table of the file, and what is kept of it until the R-trees are built.
struct Table {
    name: String,
    geometry: Option<Multi>,
    columns: Vec<(String, ColumnType)>,
    description: String,
    created: bool,
    count: u64,
    /// The union of the geometries' envelopes.
    extent: Option<Envelope>,
    /// The `fid` and envelope of each non-empty geometry, in `fid` order.
    boxes: Vec<(i64, Envelope)>,
}

/// A GeoPackage being written. Tables are numbered in their order of
/// declaration.
pub(super) struct Writer {
    conn: Connection,
    stamp: String,
    tables: Vec<Table>,
    blob: Vec<u8>,
}

/// The GeoPackage blob header (GeoPackage 1.3 §2.1.3): magic, version 0,
/// flags, srs_id 4326 little-endian.
fn blob_header(out: &mut Vec<u8>, flags: u8) {
    out.clear();
    out.extend_from_slice(b"GP");
    out.push(0);
    out.push(flags);
    out.extend_from_slice(&4326i32.to_le_bytes());
}

/// Flags: little-endian, an xy envelope.
const FLAGS_ENVELOPE: u8 = 0b0000_0011;
/// Flags: little-endian, empty geometry, no envelope.
const FLAGS_EMPTY: u8 = 0b0001_0001;

/// `wkb` (2D, little-endian) as a GeoPackage blob into `out`, and its
/// envelope (none when it has no point).
pub(super) fn geometry_blob(
    wkb: &[u8],
    points: impl Iterator<Item = [f64; 2]>,
    out: &mut Vec<u8>,
) -> Option<Envelope> {
    let mut env: Option<Envelope> = None;
    for p in points {
        let e = env.get_or_insert([p[0], p[0], p[1], p[1]]);
        e[0] = e[0].min(p[0]);
        e[1] = e[1].max(p[0]);
        e[2] = e[2].min(p[1]);
        e[3] = e[3].max(p[1]);
    }
    match env {
        Some(e) => {
            blob_header(out, FLAGS_ENVELOPE);
            for v in e {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        None => blob_header(out, FLAGS_EMPTY),
    }
    out.extend_from_slice(wkb);
    env
}

/// `s` as an SQL string literal.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// `s` as an SQL identifier.
fn ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Create `table` if not yet, with its rows of the core tables.
fn create_table(conn: &Connection, table: &mut Table, stamp: &str) -> rusqlite::Result<()> {
    if table.created {
        return Ok(());
    }
    table.created = true;
    let mut sql = format!(
        "CREATE TABLE {} ( \"fid\" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL",
        ident(&table.name)
    );
    if let Some(g) = table.geometry {
        sql.push_str(&format!(", \"geom\" {}", g.name()));
    }
    for (c, ty) in &table.columns {
        sql.push_str(&format!(", {} {}", ident(c), ty.sql()));
    }
    sql.push(')');
    let name = quote(&table.name);
    let mut statements = vec![sql];
    if let Some(g) = table.geometry {
        statements.push(format!(
            "INSERT INTO gpkg_geometry_columns (table_name,column_name,geometry_type_name,srs_id,z,m) VALUES ({name},'geom','{}',4326,0,0)",
            g.name()
        ));
    }
    let (kind, srs) = match table.geometry {
        Some(_) => ("features", 4326),
        None => ("attributes", 0),
    };
    statements.push(format!(
        "INSERT INTO gpkg_contents (table_name,data_type,identifier,description,last_change,srs_id) VALUES ({name},'{kind}',{name},{},{},{srs})",
        quote(&table.description),
        quote(stamp),
    ));
    statements.push(format!(
        "DELETE FROM gpkg_ogr_contents WHERE lower(table_name) = lower({name})"
    ));
    statements.push(format!(
        "INSERT INTO gpkg_ogr_contents (table_name, feature_count) VALUES ({name}, NULL)"
    ));
    for s in statements {
        conn.execute_batch(&s)?;
    }
    Ok(())
}

/// A transaction of a [`Writer`]: tables declared in it, and their rows.
pub(super) struct Tx<'a> {
    conn: &'a Connection,
    stamp: &'a str,
    tables: &'a mut Vec<Table>,
    blob: &'a mut Vec<u8>,
    /// The insert statement of each table inserted into.
    inserts: Vec<(usize, Statement<'a>)>,
}

impl Tx<'_> {
    /// Declare a table (created with its first row or at the commit); its
    /// number.
    pub(super) fn table(
        &mut self,
        name: &str,
        geometry: Option<Multi>,
        columns: &[(&str, ColumnType)],
        description: &str,
    ) -> usize {
        self.tables.push(Table {
            name: name.to_string(),
            geometry,
            columns: columns.iter().map(|(n, t)| (n.to_string(), *t)).collect(),
            description: description.to_string(),
            created: false,
            count: 0,
            extent: None,
            boxes: Vec::new(),
        });
        self.tables.len() - 1
    }

    /// Insert a row into table `t`: its geometry blob (spatial tables) with
    /// its envelope, and its values, one per column.
    fn insert_row(
        &mut self,
        t: usize,
        geometry: Option<Option<Envelope>>,
        values: &[Value],
    ) -> rusqlite::Result<()> {
        let k = match self.inserts.iter().position(|(i, _)| *i == t) {
            Some(k) => k,
            None => {
                create_table(self.conn, &mut self.tables[t], self.stamp)?;
                let table = &self.tables[t];
                let mut names: Vec<String> = Vec::new();
                if table.geometry.is_some() {
                    names.push(ident("geom"));
                }
                names.extend(table.columns.iter().map(|(c, _)| ident(c)));
                let marks = vec!["?"; names.len()].join(", ");
                let sql = format!(
                    "INSERT INTO {} ( {}) VALUES ({marks})",
                    ident(&table.name),
                    names.join(", ")
                );
                self.inserts.push((t, self.conn.prepare(&sql)?));
                self.inserts.len() - 1
            }
        };
        let stmt = &mut self.inserts[k].1;
        let table = &mut self.tables[t];
        let mut i = 1;
        if table.geometry.is_some() {
            match geometry {
                Some(_) => stmt.raw_bind_parameter(i, self.blob.as_slice())?,
                None => stmt.raw_bind_parameter(i, rusqlite::types::Null)?,
            }
            i += 1;
        }
        for v in values {
            match v {
                Value::Null => stmt.raw_bind_parameter(i, rusqlite::types::Null)?,
                Value::Real(x) => stmt.raw_bind_parameter(i, x)?,
                Value::Integer(n) => stmt.raw_bind_parameter(i, n)?,
                Value::Text(s) => stmt.raw_bind_parameter(i, s)?,
            }
            i += 1;
        }
        stmt.raw_execute()?;
        table.count += 1;
        let fid = table.count as i64;
        if let Some(Some(e)) = geometry {
            let ext = table.extent.get_or_insert(e);
            ext[0] = ext[0].min(e[0]);
            ext[1] = ext[1].max(e[1]);
            ext[2] = ext[2].min(e[2]);
            ext[3] = ext[3].max(e[3]);
            table.boxes.push((fid, e));
        }
        Ok(())
    }

    /// A row with a geometry given as 2D little-endian WKB and its points
    /// (none: a NULL geometry).
    pub(super) fn feature(
        &mut self,
        t: usize,
        geometry: Option<(&[u8], &mut dyn Iterator<Item = [f64; 2]>)>,
        values: &[Value],
    ) -> rusqlite::Result<()> {
        let g = geometry.map(|(wkb, points)| geometry_blob(wkb, points, self.blob));
        self.insert_row(t, g, values)
    }

    /// A row of an attribute table.
    pub(super) fn row(&mut self, t: usize, values: &[Value]) -> rusqlite::Result<()> {
        self.insert_row(t, None, values)
    }
}

impl Writer {
    /// Create the file at `path` (which must not exist) with the core
    /// tables; `stamp` is the `last_change` of every table.
    pub(super) fn create(path: &Path, stamp: &str) -> rusqlite::Result<Self> {
        let conn = Connection::open(path)?;
        conn.execute_batch(PROLOGUE)?;
        // A larger page cache than the default 2 MB for the bulk inserts:
        // fewer pages written out early (the file's pages are the same).
        conn.execute_batch("PRAGMA cache_size = -16384")?;
        Ok(Writer {
            conn,
            stamp: stamp.to_string(),
            tables: Vec::new(),
            blob: Vec::new(),
        })
    }

    /// Run `f` in a transaction; the tables it declares and gives no row
    /// are created at the commit, in their order.
    pub(super) fn transaction(
        &mut self,
        f: impl FnOnce(&mut Tx<'_>) -> rusqlite::Result<()>,
    ) -> rusqlite::Result<()> {
        self.conn.execute_batch("BEGIN")?;
        let first = self.tables.len();
        {
            let mut tx = Tx {
                conn: &self.conn,
                stamp: &self.stamp,
                tables: &mut self.tables,
                blob: &mut self.blob,
                inserts: Vec::new(),
            };
            f(&mut tx)?;
            let Tx {
                tables, inserts, ..
            } = tx;
            drop(inserts);
            for table in &mut tables[first..] {
                create_table(&self.conn, table, &self.stamp)?;
            }
        }
        self.conn.execute_batch("COMMIT")
    }

    /// GDAL's `%.18g` of a coordinate, as its SQL has it (SQLite's printf
    /// keeps 16 significant digits).
    fn number(&self, x: f64) -> rusqlite::Result<String> {
        self.conn
            .query_row("SELECT printf('%.18g', ?1)", [x], |r| r.get(0))
    }

    /// Build the R-trees, extents, feature counts and their triggers, as the
    /// driver does once every table is written.
    pub(super) fn finish_tables(&mut self) -> rusqlite::Result<()> {
        if self.tables.iter().any(|t| t.geometry.is_some()) {
            self.conn.execute_batch(
                "CREATE TABLE gpkg_extensions (table_name TEXT,column_name TEXT,extension_name TEXT NOT NULL,definition TEXT NOT NULL,scope TEXT NOT NULL,CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))",
            )?;
        }
        let mut tables = std::mem::take(&mut self.tables);
        for table in &mut tables {
            let name = quote(&table.name);
            if table.geometry.is_some() {
                let rtree = ident(&format!("rtree_{}_geom", table.name));
                let t = ident(&table.name);
                self.conn.execute_batch("BEGIN")?;
                self.conn.execute_batch(&format!(
                    "CREATE VIRTUAL TABLE {rtree} USING rtree(id, minx, maxx, miny, maxy)"
                ))?;
                self.fill_rtree(&table.name, std::mem::take(&mut table.boxes))?;
                let insert = format!(
                    "INSERT OR REPLACE INTO {rtree} VALUES (NEW.\"fid\",ST_MinX(NEW.\"geom\"), ST_MaxX(NEW.\"geom\"),ST_MinY(NEW.\"geom\"), ST_MaxY(NEW.\"geom\"));"
                );
                let trigger = |suffix: &str| ident(&format!("rtree_{}_geom_{suffix}", table.name));
                let statements = [
                    format!("INSERT INTO gpkg_extensions (table_name,column_name,extension_name,definition,scope) VALUES ({name}, 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');"),
                    format!("CREATE TRIGGER {} AFTER INSERT ON {t} WHEN (new.\"geom\" NOT NULL AND NOT ST_IsEmpty(NEW.\"geom\")) BEGIN {insert} END;", trigger("insert")),
                    format!("CREATE TRIGGER {} AFTER UPDATE OF \"geom\" ON {t} WHEN OLD.\"fid\" = NEW.\"fid\" AND (NEW.\"geom\" NOTNULL AND NOT ST_IsEmpty(NEW.\"geom\")) BEGIN {insert} END;", trigger("update1")),
                    format!("CREATE TRIGGER {} AFTER UPDATE OF \"geom\" ON {t} WHEN OLD.\"fid\" = NEW.\"fid\" AND (NEW.\"geom\" ISNULL OR ST_IsEmpty(NEW.\"geom\")) BEGIN DELETE FROM {rtree} WHERE id = OLD.\"fid\"; END;", trigger("update2")),
                    format!("CREATE TRIGGER {} AFTER UPDATE ON {t} WHEN OLD.\"fid\" != NEW.\"fid\" AND (NEW.\"geom\" NOTNULL AND NOT ST_IsEmpty(NEW.\"geom\")) BEGIN DELETE FROM {rtree} WHERE id = OLD.\"fid\"; {insert} END;", trigger("update3")),
                    format!("CREATE TRIGGER {} AFTER UPDATE ON {t} WHEN OLD.\"fid\" != NEW.\"fid\" AND (NEW.\"geom\" ISNULL OR ST_IsEmpty(NEW.\"geom\")) BEGIN DELETE FROM {rtree} WHERE id IN (OLD.\"fid\", NEW.\"fid\"); END;", trigger("update4")),
                    format!("CREATE TRIGGER {} AFTER DELETE ON {t} WHEN old.\"geom\" NOT NULL BEGIN DELETE FROM {rtree} WHERE id = OLD.\"fid\"; END", trigger("delete")),
                ];
                for s in &statements {
                    self.conn.execute_batch(s)?;
                }
                self.conn.execute_batch("COMMIT")?;
                if let Some(e) = table.extent {
                    let sql = format!(
                        "UPDATE gpkg_contents SET min_x = {}, min_y = {}, max_x = {}, max_y = {} WHERE lower(table_name) = lower({name}) AND Lower(data_type) = 'features'",
                        self.number(e[0])?,
                        self.number(e[2])?,
                        self.number(e[1])?,
                        self.number(e[3])?,
                    );
                    self.conn.execute_batch(&sql)?;
                }
            }
            let t = ident(&table.name);
            // The driver stamps and counts a table only when rows were
            // written to it (an empty table keeps a NULL count).
            if table.count > 0 {
                let statements = [
                    format!("UPDATE gpkg_contents SET last_change = {} WHERE lower(table_name) = lower({name})", quote(&self.stamp)),
                format!("UPDATE gpkg_ogr_contents SET feature_count = {} WHERE lower(table_name) = lower({name})", table.count),
                ];
                for s in &statements {
                    self.conn.execute_batch(s)?;
                }
            }
            let statements = [
                format!("CREATE TRIGGER {} AFTER INSERT ON {t} BEGIN UPDATE gpkg_ogr_contents SET feature_count = feature_count + 1 WHERE lower(table_name) = lower({name}); END;", ident(&format!("trigger_insert_feature_count_{}", table.name))),
                format!("CREATE TRIGGER {} AFTER DELETE ON {t} BEGIN UPDATE gpkg_ogr_contents SET feature_count = feature_count - 1 WHERE lower(table_name) = lower({name}); END;", ident(&format!("trigger_delete_feature_count_{}", table.name))),
            ];
            for s in &statements {
                self.conn.execute_batch(s)?;
            }
        }
        Ok(())
    }

    /// Fill the new, empty R-tree of `table` with `boxes` (fid, envelope),
    /// packed ([`super::rtree`]) and written into the module's shadow tables.
    fn fill_rtree(&self, table: &str, boxes: Vec<(i64, Envelope)>) -> rusqlite::Result<()> {
        if boxes.is_empty() {
            return Ok(());
        }
        let page_size: u32 = self.conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        let shadow = |suffix: &str| ident(&format!("rtree_{table}_geom_{suffix}"));
        let insert = |suffix: &str| {
            self.conn
                .prepare(&format!("INSERT INTO {} VALUES (?,?)", shadow(suffix)))
        };
        // The module's empty root gives way to the packed one.
        self.conn
            .execute_batch(&format!("DELETE FROM {}", shadow("node")))?;
        let (mut nodes, mut parents, mut rowids) =
            (insert("node")?, insert("parent")?, insert("rowid")?);
        rtree::pack(boxes, page_size as usize, |row| {
            match row {
                rtree::Row::Node(n, blob) => nodes.execute(rusqlite::params![n, blob]),
                rtree::Row::Parent(n, up) => parents.execute([n, up]),
                rtree::Row::Rowid(fid, n) => rowids.execute([fid, n]),
            }
            .map(drop)
        })
    }

    /// Run `sql` (one statement or several).
    pub(super) fn execute(&self, sql: &str) -> rusqlite::Result<()> {
        self.conn.execute_batch(sql)
    }

    /// Close the file, as the driver does (dropping the table it keeps for
    /// a file with no layer).
    pub(super) fn close(self) -> rusqlite::Result<()> {
        self.conn.execute_batch(concat!(
            "DROP TABLE IF EXISTS ogr_empty_table;",
            "DELETE FROM gpkg_contents WHERE table_name = 'ogr_empty_table';",
            "DELETE FROM gpkg_ogr_contents WHERE table_name = 'ogr_empty_table';",
            "DELETE FROM gpkg_geometry_columns WHERE table_name = 'ogr_empty_table';",
        ))?;
        self.conn.close().map_err(|(_, e)| e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blob_is_the_header_the_envelope_and_the_wkb() {
        let wkb = [1u8, 4, 0, 0, 0, 0, 0, 0, 0];
        let mut out = Vec::new();
        let env = geometry_blob(&wkb, [[3.0, -1.0], [1.0, 2.0]].into_iter(), &mut out);
        assert_eq!(env, Some([1.0, 3.0, -1.0, 2.0]));
        assert_eq!(&out[..8], b"GP\x00\x03\xe6\x10\x00\x00");
        let doubles: Vec<f64> = out[8..40]
            .chunks(8)
            .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(doubles, [1.0, 3.0, -1.0, 2.0]);
        assert_eq!(&out[40..], &wkb);
        // An empty geometry: the empty flag and no envelope.
        assert_eq!(geometry_blob(&wkb, std::iter::empty(), &mut out), None);
        assert_eq!(&out[..8], b"GP\x00\x11\xe6\x10\x00\x00");
        assert_eq!(&out[8..], &wkb);
    }

    #[test]
    fn tables_are_created_with_their_first_row_or_at_the_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.gpkg");
        let mut w = Writer::create(&path, "2025-12-31T00:00:00.000Z").unwrap();
        w.transaction(|tx| {
            let a = tx.table("a", None, &[("x", ColumnType::Text)], "first");
            let b = tx.table("b", None, &[("y", ColumnType::Integer)], "it's second");
            tx.row(b, &[Value::Integer(7)])?;
            tx.row(a, &[Value::Text("v")])?;
            let _c = tx.table("c", Some(Multi::Point), &[], "");
            Ok(())
        })
        .unwrap();
        w.finish_tables().unwrap();
        w.close().unwrap();
        let conn = Connection::open(&path).unwrap();
        let names: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('a', 'b', 'c') ORDER BY rootpage")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(names, ["b", "a", "c"]);
        let (count, description): (i64, String) = conn
            .query_row(
                "SELECT feature_count, description FROM gpkg_ogr_contents JOIN gpkg_contents USING (table_name) WHERE table_name = 'b'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((count, description.as_str()), (1, "it's second"));
        let app: i64 = conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .unwrap();
        assert_eq!(app, 0x4750_4B47, "GPKG");
    }
}
