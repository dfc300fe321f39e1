//! A pure-Rust reader for the common GeoJSON export: a plain `.geojson` or
//! `.json` FeatureCollection of Polygon, MultiPolygon and Point features with
//! number and text properties, in WGS84. It produces the same batch and the
//! same diagnostics as GDAL's GeoJSON driver (3.6) would through
//! [`super::ogr`], several times faster: the file is scanned once for the
//! features' extents in the text, then the features are parsed and mapped in
//! parallel.
//!
//! Anything it cannot reproduce faithfully is left to GDAL: [`read`] answers
//! `None` and the caller reads the source through OGR as before. That covers
//! invalid JSON (so GDAL's error messages stay what they are), other geometry
//! types, rings GDAL would warn about (unclosed, fewer than four positions),
//! feature ids, foreign members, booleans, arrays and objects as properties,
//! columns whose type GDAL would guess from text that merely looks like a
//! date or time, a `crs` other than WGS84, and the source options that change
//! what GDAL opens (`layer` naming another layer, `crs`, the point template).
//!
//! What GDAL does, and this module repeats (checked against it by the
//! equivalence tests in `geojson_equivalence.rs`):
//! - the layer is named by the collection's `name` member, else the file name
//!   without its extension;
//! - a column per property name in order of first appearance, typed across
//!   all features: Integer / Integer64 when every value is an integer, Real
//!   when some are not, Date when every value is a `YYYY-MM-DD` date, String
//!   otherwise (integers in a text column read as their decimal text);
//! - `null` and an absent property both read as no value;
//! - the layer SRS is EPSG:4326 (traditional axis order), so the CRS plan and
//!   its extent checks are those of any WGS84 layer;
//! - a third coordinate (Z) is dropped, as `ogr::read_geometry` flattens
//!   GDAL's 2.5D geometries;
//! - `"coordinates": []` of a MultiPolygon is an empty geometry, `null` a
//!   missing one.
//!
//! One difference is meant: a NUL (`\u0000`) in a text value is kept, where
//! GDAL's C strings end at it (and two ids would become one); when GDAL reads
//! such a file instead, `ogr` quarantines the records concerned. An empty
//! collection is a source with no records (there are no columns to map).

use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::error::Result;
use crate::ingest::crs;
use crate::ingest::limits::too_large;
use crate::ingest::mapping::{Mapper, RawValue};
use crate::ingest::record::{empty_batch, encoding_diagnostic, has_mangled_text, provenance};
use crate::ingest::Preset;
use crate::ingest::{IngestConfig, SourceConfig};
use crate::ingest::{RawGeometry, RawRecord, SourceBatch};
use chrono::NaiveDate;
use geo::{Coord, LineString, MultiPolygon, Point, Polygon};
use rayon::prelude::*;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue as Json;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;

/// GDAL 3.6's streaming GeoJSON parser refuses a token over 10 million
/// characters ("Too many characters"); texts anywhere near that are left to it.
const LONGEST_TEXT: usize = 1_000_000;

/// Why the fast path stepped aside; never shown, GDAL reads the source instead.
#[derive(Debug)]
struct Unsupported;

type Fast<T> = std::result::Result<T, Unsupported>;

/// Read a source the fast way, or `None` when GDAL must read it. The checks
/// `open::open` makes before GDAL sees a file are made here first, with the
/// same errors.
pub(crate) fn read(
    cfg: &IngestConfig,
    source: &SourceConfig,
    diags: &mut Diagnostics,
) -> Option<Result<SourceBatch>> {
    if source.crs.is_some() || source.preset == Some(Preset::NgPoints) {
        return None;
    }
    let path = cfg.resolve(&source.path);
    if !is_plain_geojson(&path) {
        return None;
    }
    if let Err(e) = crate::ingest::gdal::open::check_before_open(&path, &cfg.limits) {
        return Some(Err(e));
    }
    let bytes = std::fs::read(&path).ok()?;
    let collection = parse(&bytes).ok()?;
    // The features own what they hold: the text can go.
    drop(bytes);
    let layer_name = match &collection.name {
        Some(n) => n.clone(),
        None => path.file_stem()?.to_str()?.to_string(),
    };
    if source.layer.as_deref().is_some_and(|l| l != layer_name) {
        return None;
    }
    let columns = Columns::of(&collection.features).ok()?;
    if collection.features.is_empty() {
        // `"features": []` is a valid input with nothing in it: no columns
        // to map, no records (GDAL's reader says the same).
        return Some(Ok(empty_batch(
            source,
            "GeoJSON".to_string(),
            cfg.limits.max_vertices,
        )));
    }
    Some(build(
        cfg, source, &path, layer_name, collection, columns, diags,
    ))
}

/// A plain local file GDAL opens with its GeoJSON driver.
fn is_plain_geojson(path: &Path) -> bool {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    matches!(ext.as_str(), "geojson" | "json")
        && !path.to_string_lossy().starts_with("/vsi")
        && path.is_file()
}

fn build(
    cfg: &IngestConfig,
    source: &SourceConfig,
    path: &Path,
    layer_name: String,
    collection: Collection,
    columns: Columns,
    diags: &mut Diagnostics,
) -> Result<SourceBatch> {
    let shown = source.path.display().to_string();
    let config_path = cfg.config_path_or(path);
    let source_desc = format!("{shown} layer {layer_name}");
    let mut source_diags = Vec::new();
    let mapper = Mapper::new(
        source,
        &columns.names,
        &config_path,
        &source_desc,
        &mut source_diags,
    )?;
    diags.extend(source_diags);

    let extent = layer_extent(&collection.features);
    let srs = wgs84()?;
    let plan = crs::plan(
        None,
        Some(srs),
        extent,
        cfg.country,
        &source_desc,
        path,
        &config_path,
    )?;
    diags.extend(plan.diagnostics());
    let quarantine = plan.quarantine.as_ref().map(|(code, _)| *code);
    let max_vertices = cfg.limits.max_vertices;
    let read: Vec<(RawRecord, Vec<Diagnostic>, bool)> = collection
        .features
        .into_par_iter()
        .enumerate()
        .map(|(row, feature)| {
            let values = columns.row(&feature.properties);
            let mangled = has_mangled_text(&values);
            let get = |i: usize| values.get(i).cloned().flatten();
            let mut record_diags = Vec::new();
            let prov = provenance(&shown, &layer_name, row, &mapper, get);
            let attrs = mapper.map(&get, &prov, &mut record_diags);
            let geometry = match feature.geometry {
                None => RawGeometry::Missing,
                Some(g) if g.is_empty() => RawGeometry::Empty,
                Some(_) if quarantine.is_some() => {
                    record_diags.push(crs::misfit(quarantine.expect("checked"), &prov));
                    RawGeometry::Unreadable
                }
                Some(g) if g.vertices() > max_vertices => {
                    record_diags.push(too_large(g.vertices(), max_vertices).record(&prov));
                    RawGeometry::Unreadable
                }
                // The layer is EPSG:4326 and so is the target: GDAL's
                // transformation leaves the coordinates as they are; heights
                // are dropped, as `ogr::read_geometry` flattens them.
                Some(g) => RawGeometry::Geo(g.into_geo()),
            };
            (
                RawRecord {
                    provenance: prov,
                    attrs,
                    geometry,
                },
                record_diags,
                mangled,
            )
        })
        .collect();
    mapper.finish()?;
    let mut records = Vec::with_capacity(read.len());
    let mut mangled_rows = 0;
    for (record, record_diags, mangled) in read {
        records.push(record);
        diags.extend(record_diags);
        mangled_rows += usize::from(mangled);
    }
    if mangled_rows > 0 {
        diags.push(encoding_diagnostic(source, &source_desc, mangled_rows));
    }
    Ok(SourceBatch {
        role: source.role,
        path: source.path.clone(),
        driver: "GeoJSON".to_string(),
        clockwise_convention: false,
        records,
        max_vertices,
    })
}

/// The SRS GDAL gives a GeoJSON layer without a `crs` (or naming WGS84).
fn wgs84() -> Result<gdal::spatial_ref::SpatialRef> {
    let mut srs = gdal::spatial_ref::SpatialRef::from_epsg(4326)
        .map_err(|e| crate::error::Error::Internal(format!("EPSG:4326 unknown to PROJ: {e}")))?;
    srs.set_axis_mapping_strategy(gdal::spatial_ref::AxisMappingStrategy::TraditionalGisOrder);
    Ok(srs)
}

/// The layer's extent as GDAL reports it (every non-empty geometry), and,
/// when that is not lon/lat, the extent `ogr::fitting_extent` would choose.
fn layer_extent(features: &[Feature]) -> Option<crs::Extent> {
    let envelopes: Vec<crs::Extent> = features
        .iter()
        .filter_map(|f| f.geometry.as_ref().and_then(Geom::envelope))
        .collect();
    let whole = union(envelopes.iter().copied())?;
    if crs::is_lon_lat(&whole) {
        return Some(whole);
    }
    let (fit, out): (Vec<crs::Extent>, Vec<crs::Extent>) =
        envelopes.iter().partition(|e| crs::is_lon_lat(e));
    match union(fit.iter().copied()) {
        Some(e) if fit.len() >= out.len() => Some(e),
        _ => Some(whole),
    }
}

fn union(it: impl Iterator<Item = crs::Extent>) -> Option<crs::Extent> {
    it.reduce(|a, e| crs::Extent {
        min_x: a.min_x.min(e.min_x),
        min_y: a.min_y.min(e.min_y),
        max_x: a.max_x.max(e.max_x),
        max_y: a.max_y.max(e.max_y),
    })
}

// ---------------------------------------------------------------------------
// Columns and their types, as GDAL's GeoJSON driver infers them.

/// One property value as written.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

/// What a text value would make GDAL's type guess (`OGRParseDate`) do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextKind {
    /// Certainly not a date, time or datetime.
    Plain,
    /// Exactly `YYYY-MM-DD`, a valid day.
    Date,
    /// Might be read as a date or time in some form: left to GDAL.
    Unsure,
}

fn text_kind(s: &str) -> TextKind {
    let b = s.as_bytes();
    if b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
    {
        return match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(_) => TextKind::Date,
            Err(_) => TextKind::Unsure,
        };
    }
    let first = s.trim_start_matches(' ').bytes().next();
    let could_start = first.is_some_and(|c| c.is_ascii_digit() || c == b'-' || c == b'+');
    if could_start && s.contains(['-', '/', ':']) {
        TextKind::Unsure
    } else {
        TextKind::Plain
    }
}

/// The OGR field type of a column, as far as this reader reproduces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ColumnType {
    /// Integer or Integer64.
    Integer,
    Real,
    Date,
    String,
}

#[derive(Debug, Default)]
struct Seen {
    int: bool,
    real: bool,
    plain: bool,
    date: bool,
    unsure: bool,
}

impl Seen {
    fn column_type(&self) -> Fast<ColumnType> {
        let text = self.plain || self.date || self.unsure;
        Ok(match (self.int, self.real, text) {
            (_, true, true) => return Err(Unsupported),
            (_, true, false) => ColumnType::Real,
            (true, false, false) => ColumnType::Integer,
            // A text that is not a date makes the column String whatever
            // came before; only dates alone make it Date.
            (true, false, true) => ColumnType::String,
            (false, false, true) if self.plain => ColumnType::String,
            (false, false, true) if !self.unsure => ColumnType::Date,
            (false, false, true) => return Err(Unsupported),
            (false, false, false) => ColumnType::String,
        })
    }
}

/// The layer's columns: names in order of first appearance, and types.
#[derive(Debug)]
struct Columns {
    names: Vec<String>,
    index: HashMap<String, usize>,
    types: Vec<ColumnType>,
}

impl Columns {
    fn of(features: &[Feature]) -> Fast<Columns> {
        let mut names: Vec<String> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut seen: Vec<Seen> = Vec::new();
        for f in features {
            let mut last = None::<usize>;
            for (key, cell) in &f.properties {
                let i = match index.get(key) {
                    Some(&i) => i,
                    None => {
                        index.insert(key.clone(), names.len());
                        names.push(key.clone());
                        seen.push(Seen::default());
                        names.len() - 1
                    }
                };
                // Keys in another order than the columns: GDAL may order
                // its fields otherwise.
                if last.is_some_and(|l| l >= i) {
                    return Err(Unsupported);
                }
                last = Some(i);
                let s = &mut seen[i];
                match cell {
                    Cell::Null => {}
                    Cell::Int(_) => s.int = true,
                    Cell::Real(_) => s.real = true,
                    Cell::Text(t) => match text_kind(t) {
                        TextKind::Plain => s.plain = true,
                        TextKind::Date => s.date = true,
                        TextKind::Unsure => s.unsure = true,
                    },
                }
            }
        }
        let lower: HashSet<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
        if lower.len() != names.len() || names.iter().any(String::is_empty) {
            return Err(Unsupported);
        }
        let types = seen
            .iter()
            .map(Seen::column_type)
            .collect::<Fast<Vec<_>>>()?;
        Ok(Columns {
            names,
            index,
            types,
        })
    }

    /// A feature's values by column index, as `ogr::row_values` gives them.
    fn row(&self, properties: &[(String, Cell)]) -> Vec<Option<RawValue>> {
        let mut row = vec![None; self.names.len()];
        for (key, cell) in properties {
            let i = self.index[key];
            row[i] = match (self.types[i], cell) {
                (_, Cell::Null) => None,
                (ColumnType::Integer, Cell::Int(v)) => Some(RawValue::Int(*v)),
                (ColumnType::Real, Cell::Int(v)) => Some(RawValue::Real(*v as f64)),
                (ColumnType::Real, Cell::Real(v)) => Some(RawValue::Real(*v)),
                (ColumnType::String, Cell::Int(v)) => Some(RawValue::Text(v.to_string())),
                (ColumnType::String, Cell::Text(t)) => Some(RawValue::Text(t.clone())),
                (ColumnType::Date, Cell::Text(t)) => NaiveDate::parse_from_str(t, "%Y-%m-%d")
                    .ok()
                    .map(RawValue::Date),
                // Excluded by Seen::column_type.
                _ => None,
            };
        }
        row
    }
}

// ---------------------------------------------------------------------------
// Geometries.

/// A ring of positions, closed (first = last, Z included) and of four or more.
type Ring = Vec<Coord<f64>>;

/// A geometry as read, not yet converted (heights dropped).
#[derive(Debug)]
enum Geom {
    Point(Coord<f64>),
    Polygon(Vec<Ring>),
    MultiPolygon(Vec<Vec<Ring>>),
}

impl Geom {
    fn is_empty(&self) -> bool {
        match self {
            Geom::Point(_) => false,
            Geom::Polygon(rings) => rings.is_empty(),
            Geom::MultiPolygon(polys) => polys.iter().all(Vec::is_empty),
        }
    }

    fn vertices(&self) -> u64 {
        let rings = |p: &Vec<Ring>| p.iter().map(|r| r.len() as u64).sum::<u64>();
        match self {
            Geom::Point(_) => 1,
            Geom::Polygon(p) => rings(p),
            Geom::MultiPolygon(ps) => ps.iter().map(rings).sum(),
        }
    }

    fn envelope(&self) -> Option<crs::Extent> {
        if self.is_empty() {
            return None;
        }
        let coords: Box<dyn Iterator<Item = &Coord<f64>>> = match self {
            Geom::Point(c) => Box::new(std::iter::once(c)),
            Geom::Polygon(p) => Box::new(p.iter().flatten()),
            Geom::MultiPolygon(ps) => Box::new(ps.iter().flatten().flatten()),
        };
        union(coords.map(|c| crs::Extent {
            min_x: c.x,
            min_y: c.y,
            max_x: c.x,
            max_y: c.y,
        }))
    }

    fn into_geo(self) -> geo::Geometry<f64> {
        let polygon = |mut rings: Vec<Ring>| {
            let interiors = rings.split_off(1.min(rings.len()));
            let exterior = rings.pop().unwrap_or_default();
            Polygon::new(
                LineString(exterior),
                interiors.into_iter().map(LineString).collect(),
            )
        };
        match self {
            Geom::Point(c) => geo::Geometry::Point(Point(c)),
            Geom::Polygon(p) => geo::Geometry::Polygon(polygon(p)),
            Geom::MultiPolygon(ps) => {
                geo::Geometry::MultiPolygon(MultiPolygon(ps.into_iter().map(polygon).collect()))
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Parsing: serde visitors that step aside (an error) on anything unusual.

/// The FeatureCollection, features parsed.
#[derive(Debug)]
struct Collection {
    name: Option<String>,
    features: Vec<Feature>,
}

#[derive(Debug)]
struct Feature {
    properties: Vec<(String, Cell)>,
    geometry: Option<Geom>,
}

fn parse(bytes: &[u8]) -> Fast<Collection> {
    let top: Top = serde_json::from_slice(bytes).map_err(|_| Unsupported)?;
    if top.kind.as_deref() != Some("FeatureCollection") {
        return Err(Unsupported);
    }
    if let Some(crs) = &top.crs {
        if !is_wgs84_crs(crs) {
            return Err(Unsupported);
        }
    }
    let name = match top.name {
        None => None,
        Some(serde_json::Value::String(s)) if !s.is_empty() && s.len() < LONGEST_TEXT => Some(s),
        Some(_) => return Err(Unsupported),
    };
    let features = top
        .features
        .ok_or(Unsupported)?
        .into_par_iter()
        .map(|raw| serde_json::from_str::<Feature>(raw.get()).map_err(|_| Unsupported))
        .collect::<Fast<Vec<Feature>>>()?;
    Ok(Collection { name, features })
}

/// A `crs` member naming WGS84 lon/lat, which GDAL reads as EPSG:4326.
fn is_wgs84_crs(crs: &serde_json::Value) -> bool {
    let name = crs
        .get("properties")
        .and_then(|p| p.get("name"))
        .and_then(serde_json::Value::as_str);
    crs.get("type").and_then(serde_json::Value::as_str) == Some("name")
        && matches!(
            name,
            Some("urn:ogc:def:crs:OGC:1.3:CRS84" | "EPSG:4326" | "urn:ogc:def:crs:EPSG::4326")
        )
}

/// The top level; `features` kept as raw text to be parsed in parallel.
struct Top<'a> {
    kind: Option<String>,
    name: Option<serde_json::Value>,
    crs: Option<serde_json::Value>,
    features: Option<Vec<&'a Json>>,
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for Top<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Top<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a GeoJSON object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut m: A,
            ) -> std::result::Result<Top<'a>, A::Error> {
                let mut top = Top {
                    kind: None,
                    name: None,
                    crs: None,
                    features: None,
                };
                let mut keys = HashSet::new();
                while let Some(key) = m.next_key::<std::borrow::Cow<'de, str>>()? {
                    if !keys.insert(key.to_string()) {
                        return Err(de::Error::custom("duplicate member"));
                    }
                    match key.as_ref() {
                        "type" => top.kind = Some(m.next_value()?),
                        "name" => top.name = Some(m.next_value()?),
                        "crs" => top.crs = Some(m.next_value()?),
                        "features" => top.features = Some(m.next_value()?),
                        "bbox" => {
                            m.next_value::<IgnoredAny>()?;
                        }
                        _ => return Err(de::Error::custom("foreign member")),
                    }
                }
                Ok(top)
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

impl<'de> serde::Deserialize<'de> for Feature {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Feature;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a GeoJSON Feature")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut m: A,
            ) -> std::result::Result<Feature, A::Error> {
                let (mut kind, mut properties, mut geometry) = (None::<String>, None, None);
                let mut keys = HashSet::new();
                while let Some(key) = m.next_key::<std::borrow::Cow<'de, str>>()? {
                    if !keys.insert(key.to_string()) {
                        return Err(de::Error::custom("duplicate member"));
                    }
                    match key.as_ref() {
                        "type" => kind = Some(m.next_value()?),
                        "properties" => properties = Some(m.next_value::<Properties>()?.0),
                        "geometry" => geometry = Some(m.next_value::<Option<GeomSeed>>()?),
                        "bbox" => {
                            m.next_value::<IgnoredAny>()?;
                        }
                        _ => return Err(de::Error::custom("foreign member or id")),
                    }
                }
                if kind.as_deref() != Some("Feature") {
                    return Err(de::Error::custom("not a Feature"));
                }
                Ok(Feature {
                    properties: properties.unwrap_or_default(),
                    geometry: geometry
                        .ok_or_else(|| de::Error::custom("no geometry member"))?
                        .map(|g| g.0),
                })
            }
        }
        d.deserialize_map(V)
    }
}

/// `properties`: `null` or an object of nulls, numbers and text.
struct Properties(Vec<(String, Cell)>);

impl<'de> serde::Deserialize<'de> for Properties {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Properties;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object or null")
            }
            fn visit_unit<E: de::Error>(self) -> std::result::Result<Properties, E> {
                Ok(Properties(Vec::new()))
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut m: A,
            ) -> std::result::Result<Properties, A::Error> {
                let mut out: Vec<(String, Cell)> = Vec::new();
                while let Some(key) = m.next_key::<String>()? {
                    if key.contains('\0')
                        || key.len() >= LONGEST_TEXT
                        || out.iter().any(|(k, _)| *k == key)
                    {
                        return Err(de::Error::custom("unusual property name"));
                    }
                    let raw: &Json = m.next_value()?;
                    let cell = cell(raw.get()).map_err(|_| de::Error::custom("unusual value"))?;
                    out.push((key, cell));
                }
                Ok(Properties(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// A property value from its JSON text. Numbers are told apart by how they are
/// written, as json-c does (GDAL's parser): integers without `.`, `e` or `E`.
fn cell(text: &str) -> Fast<Cell> {
    match text.as_bytes().first() {
        Some(b'n') => Ok(Cell::Null),
        Some(b'"') if text.len() < LONGEST_TEXT => {
            // A NUL (`\u0000`) is kept: GDAL's C strings would end at it and
            // merge "A\u0000x" and "A\u0000y" into one id "A".
            let s: String = serde_json::from_str(text).map_err(|_| Unsupported)?;
            Ok(Cell::Text(s))
        }
        Some(c) if c.is_ascii_digit() || *c == b'-' => {
            if text.contains(['.', 'e', 'E']) {
                let v: f64 = text.parse().map_err(|_| Unsupported)?;
                if v.is_finite() {
                    Ok(Cell::Real(v))
                } else {
                    Err(Unsupported)
                }
            } else {
                // GDAL warns about, and clamps, integers at or beyond the
                // 64-bit range.
                match text.parse::<i64>() {
                    Ok(v) if v != i64::MIN && v != i64::MAX => Ok(Cell::Int(v)),
                    _ => Err(Unsupported),
                }
            }
        }
        // Booleans, arrays, objects.
        _ => Err(Unsupported),
    }
}

/// A geometry object: its type and its coordinates, in either order.
struct GeomSeed(Geom);

impl<'de> serde::Deserialize<'de> for GeomSeed {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = GeomSeed;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a GeoJSON geometry")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut m: A,
            ) -> std::result::Result<GeomSeed, A::Error> {
                let (mut kind, mut coords) = (None::<String>, None::<&'de Json>);
                let mut keys = HashSet::new();
                while let Some(key) = m.next_key::<std::borrow::Cow<'de, str>>()? {
                    if !keys.insert(key.to_string()) {
                        return Err(de::Error::custom("duplicate member"));
                    }
                    match key.as_ref() {
                        "type" => kind = Some(m.next_value()?),
                        "coordinates" => coords = Some(m.next_value()?),
                        "bbox" => {
                            m.next_value::<IgnoredAny>()?;
                        }
                        _ => return Err(de::Error::custom("foreign member")),
                    }
                }
                let coords = coords
                    .ok_or_else(|| de::Error::custom("no coordinates"))?
                    .get();
                let bad = |_| de::Error::custom("unusual coordinates");
                let geom = match kind.as_deref() {
                    Some("Point") => {
                        let p: Position = serde_json::from_str(coords).map_err(bad)?;
                        Geom::Point(p.xy)
                    }
                    Some("Polygon") => {
                        let p: PolygonRings = serde_json::from_str(coords).map_err(bad)?;
                        // GDAL reads `"coordinates": []` as no geometry at all.
                        if p.0.is_empty() {
                            return Err(de::Error::custom("polygon without rings"));
                        }
                        Geom::Polygon(p.0)
                    }
                    Some("MultiPolygon") => {
                        let ps: Vec<PolygonRings> = serde_json::from_str(coords).map_err(bad)?;
                        if ps.iter().any(|p| p.0.is_empty()) {
                            return Err(de::Error::custom("polygon without rings"));
                        }
                        Geom::MultiPolygon(ps.into_iter().map(|p| p.0).collect())
                    }
                    _ => return Err(de::Error::custom("another geometry type")),
                };
                Ok(GeomSeed(geom))
            }
        }
        d.deserialize_map(V)
    }
}

/// A position: x, y and an ignored z; `z` kept to tell whether a ring closes.
struct Position {
    xy: Coord<f64>,
    z: Option<f64>,
}

/// A coordinate value. An integer written beyond the 64-bit range is one
/// json-c clamps and serde_json does not: such values are left to GDAL.
fn ordinate<E: de::Error>(v: Option<f64>) -> std::result::Result<f64, E> {
    match v {
        Some(v) if v.is_finite() && v.abs() < 9.2e18 => Ok(v),
        _ => Err(E::custom("unusual coordinate")),
    }
}

impl<'de> serde::Deserialize<'de> for Position {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Position;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a position")
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut s: A,
            ) -> std::result::Result<Position, A::Error> {
                let x = ordinate(s.next_element::<f64>()?)?;
                let y = ordinate(s.next_element::<f64>()?)?;
                let z = match s.next_element::<f64>()? {
                    None => None,
                    z => Some(ordinate(z)?),
                };
                if s.next_element::<IgnoredAny>()?.is_some() {
                    return Err(de::Error::custom("more than three ordinates"));
                }
                Ok(Position {
                    xy: Coord { x, y },
                    z,
                })
            }
        }
        d.deserialize_seq(V)
    }
}

/// A polygon's rings, each closed and of four positions or more (GDAL warns
/// about, or reads otherwise, the rest).
struct PolygonRings(Vec<Ring>);

impl<'de> serde::Deserialize<'de> for PolygonRings {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PolygonRings;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("polygon rings")
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut s: A,
            ) -> std::result::Result<PolygonRings, A::Error> {
                let mut rings = Vec::new();
                while let Some(r) = s.next_element_seed(RingSeed)? {
                    rings.push(r);
                }
                Ok(PolygonRings(rings))
            }
        }
        d.deserialize_seq(V)
    }
}

struct RingSeed;

impl<'de> DeserializeSeed<'de> for RingSeed {
    type Value = Ring;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Ring, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ring;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a ring")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> std::result::Result<Ring, A::Error> {
                let mut ring: Ring = Vec::with_capacity(s.size_hint().unwrap_or(16));
                let Some(first) = s.next_element::<Position>()? else {
                    return Err(de::Error::custom("empty ring"));
                };
                let (mut last, first_z) = (first.xy, first.z);
                let mut last_z = first_z;
                ring.push(first.xy);
                while let Some(p) = s.next_element::<Position>()? {
                    if p.z.is_some() != first_z.is_some() {
                        return Err(de::Error::custom("mixed dimensions"));
                    }
                    ring.push(p.xy);
                    (last, last_z) = (p.xy, p.z);
                }
                if ring.len() < 4 || last != first.xy || last_z != first_z {
                    return Err(de::Error::custom("short or unclosed ring"));
                }
                Ok(ring)
            }
        }
        d.deserialize_seq(V)
    }
}

#[cfg(test)]
mod equivalence;

#[cfg(test)]
mod tests {
    use super::*;

    fn fc(features: &str) -> Vec<u8> {
        format!(r#"{{"type":"FeatureCollection","features":[{features}]}}"#).into_bytes()
    }

    fn feature(props: &str, geom: &str) -> String {
        format!(r#"{{"type":"Feature","properties":{props},"geometry":{geom}}}"#)
    }

    const SQUARE: &str = r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}"#;

    #[test]
    fn text_kinds() {
        assert_eq!(text_kind("2024-01-05"), TextKind::Date);
        assert_eq!(text_kind("2024-02-31"), TextKind::Unsure);
        assert_eq!(text_kind("2024/1/5"), TextKind::Unsure);
        assert_eq!(text_kind("12:30"), TextKind::Unsure);
        assert_eq!(text_kind(" 5-3-2"), TextKind::Unsure);
        assert_eq!(text_kind("HZ-000001"), TextKind::Plain);
        assert_eq!(text_kind("12"), TextKind::Plain);
        assert_eq!(text_kind(""), TextKind::Plain);
        assert_eq!(text_kind("AV Mine, CMR"), TextKind::Plain);
    }

    #[test]
    fn cells_by_how_numbers_are_written() {
        assert_eq!(cell("12").unwrap(), Cell::Int(12));
        assert_eq!(cell("-0").unwrap(), Cell::Int(0));
        assert_eq!(cell("12.0").unwrap(), Cell::Real(12.0));
        assert_eq!(cell("1e3").unwrap(), Cell::Real(1000.0));
        assert_eq!(cell("null").unwrap(), Cell::Null);
        assert_eq!(cell(r#""a\u00e9""#).unwrap(), Cell::Text("aé".into()));
        assert_eq!(cell(r#""a\u0000b""#).unwrap(), Cell::Text("a\0b".into()));
        for unsupported in ["true", "[1]", "{}", "99999999999999999999", "1e999"] {
            assert!(cell(unsupported).is_err(), "{unsupported}");
        }
    }

    #[test]
    fn column_types_follow_gdal() {
        let bytes = fc(&[
            feature(
                r#"{"i":1,"r":1,"s":"x","d":"2024-01-05","n":null,"m":1}"#,
                "null",
            ),
            feature(r#"{"i":2,"r":2.5,"s":3,"d":"2024-01-06","m":"y"}"#, "null"),
        ]
        .join(","));
        let c = parse(&bytes).unwrap();
        let cols = Columns::of(&c.features).unwrap();
        assert_eq!(cols.names, ["i", "r", "s", "d", "n", "m"]);
        use ColumnType::*;
        assert_eq!(cols.types, [Integer, Real, String, Date, String, String]);
        let row = cols.row(&c.features[1].properties);
        assert_eq!(row[1], Some(RawValue::Real(2.5)));
        assert_eq!(row[2], Some(RawValue::Text("3".into())));
        assert_eq!(row[4], None);
        let row = cols.row(&c.features[0].properties);
        assert_eq!(row[1], Some(RawValue::Real(1.0)));
        assert_eq!(row[5], Some(RawValue::Text("1".into())));
    }

    #[test]
    fn columns_gdal_might_type_or_order_otherwise_step_aside() {
        for props in [
            [r#"{"a":"x"}"#, r#"{"a":1.5}"#],
            [r#"{"a":"2024-01-05"}"#, r#"{"a":"12:00"}"#],
            [r#"{"a":1,"b":2}"#, r#"{"b":1,"a":2}"#],
            [r#"{"a":1}"#, r#"{"A":2}"#],
            [r#"{"a":true}"#, r#"{"a":1}"#],
        ] {
            let bytes = fc(&props.map(|p| feature(p, "null")).join(","));
            let ok = parse(&bytes).and_then(|c| Columns::of(&c.features));
            assert!(ok.is_err(), "{props:?}");
        }
    }

    #[test]
    fn geometries() {
        let bytes = fc(&[
            feature("{}", SQUARE),
            feature(
                "null",
                r#"{"coordinates":[[[[0,0,9],[2,0,9],[2,2,9],[0,2,9],[0,0,9]],[[0.5,0.5,1],[1,0.5,1],[1,1,1],[0.5,0.5,1]]]],"type":"MultiPolygon"}"#,
            ),
            feature("{}", r#"{"type":"MultiPolygon","coordinates":[]}"#),
            feature("{}", r#"{"type":"Point","coordinates":[200,10]}"#),
        ]
        .join(","));
        let c = parse(&bytes).unwrap();
        let g: Vec<&Geom> = c
            .features
            .iter()
            .map(|f| f.geometry.as_ref().unwrap())
            .collect();
        assert_eq!(g[0].vertices(), 5);
        assert_eq!(g[1].vertices(), 9);
        assert!(g[2].is_empty() && g[2].envelope().is_none());
        assert_eq!(g[3].envelope().unwrap().min_x, 200.0);
        let geo::Geometry::MultiPolygon(mp) = c
            .features
            .into_iter()
            .nth(1)
            .unwrap()
            .geometry
            .unwrap()
            .into_geo()
        else {
            panic!("a multipolygon")
        };
        assert_eq!(mp.0[0].interiors().len(), 1);
        assert_eq!(mp.0[0].exterior().0[1], Coord { x: 2.0, y: 0.0 });
    }

    #[test]
    fn unusual_input_steps_aside() {
        for bad in [
            // not JSON, or not a FeatureCollection
            "{".to_string(),
            r#"{"type":"Feature","properties":{},"geometry":null}"#.to_string(),
            r#"{"type":"FeatureCollection","features":null}"#.to_string(),
            // other geometry types, unclosed and short rings, bad positions
            String::from_utf8(fc(&feature("{}", r#"{"type":"LineString","coordinates":[[0,0],[1,1]]}"#))).unwrap(),
            String::from_utf8(fc(&feature("{}", r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}"#))).unwrap(),
            String::from_utf8(fc(&feature("{}", r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}"#))).unwrap(),
            String::from_utf8(fc(&feature("{}", r#"{"type":"Polygon","coordinates":[]}"#))).unwrap(),
            String::from_utf8(fc(&feature("{}", r#"{"type":"Point","coordinates":[1]}"#))).unwrap(),
            String::from_utf8(fc(&feature("{}", r#"{"type":"Point","coordinates":[1,2,3,4]}"#))).unwrap(),
            // feature ids, foreign members, duplicate keys, another CRS
            String::from_utf8(fc(r#"{"type":"Feature","id":1,"properties":{},"geometry":null}"#)).unwrap(),
            String::from_utf8(fc(r#"{"type":"Feature","properties":{"a":1,"a":2},"geometry":null}"#)).unwrap(),
            r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:32648"}},"features":[]}"#.to_string(),
        ] {
            assert!(parse(bad.as_bytes()).and_then(|c| Columns::of(&c.features)).is_err(), "{bad}");
        }
        let ok = r#"{"type":"FeatureCollection","name":"H","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}},"features":[]}"#;
        assert_eq!(parse(ok.as_bytes()).unwrap().name.as_deref(), Some("H"));
    }
}
