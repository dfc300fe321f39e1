//! Parsing a FeatureCollection: serde visitors that step aside (an error) on
//! anything GDAL would read otherwise, and the geometries as read (heights
//! dropped).

use super::columns::Cell;
use super::{union, Fast, Unsupported, LONGEST_TEXT};
use crate::ingest::crs;
use geo::{Coord, LineString, MultiPolygon, Point, Polygon};
use rayon::prelude::*;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue as Json;
use std::fmt;

/// A ring of positions, closed (first = last, Z included) and of four or more.
pub(super) type Ring = Vec<Coord<f64>>;

/// A geometry as read, not yet converted (heights dropped).
#[derive(Debug)]
pub(super) enum Geom {
    Point(Coord<f64>),
    Polygon(Vec<Ring>),
    MultiPolygon(Vec<Vec<Ring>>),
}

impl Geom {
    pub(super) fn is_empty(&self) -> bool {
        match self {
            Geom::Point(_) => false,
            Geom::Polygon(rings) => rings.is_empty(),
            Geom::MultiPolygon(polys) => polys.iter().all(Vec::is_empty),
        }
    }

    pub(super) fn vertices(&self) -> u64 {
        let rings = |p: &Vec<Ring>| p.iter().map(|r| r.len() as u64).sum::<u64>();
        match self {
            Geom::Point(_) => 1,
            Geom::Polygon(p) => rings(p),
            Geom::MultiPolygon(ps) => ps.iter().map(rings).sum(),
        }
    }

    pub(super) fn envelope(&self) -> Option<crs::Extent> {
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

    pub(super) fn into_geo(self) -> geo::Geometry<f64> {
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

/// The FeatureCollection, features parsed.
#[derive(Debug)]
pub(super) struct Collection {
    pub(super) name: Option<String>,
    pub(super) features: Vec<Feature>,
}

#[derive(Debug)]
pub(super) struct Feature {
    pub(super) properties: Vec<(String, Cell)>,
    pub(super) geometry: Option<Geom>,
}

pub(super) fn parse(bytes: &[u8]) -> Fast<Collection> {
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
pub(super) fn is_wgs84_crs(crs: &serde_json::Value) -> bool {
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

/// The members an object has had so far, of the few it may have: a member
/// twice (or one not listed) steps aside. Every feature and geometry goes
/// through here, so no member name is copied to find duplicates.
#[derive(Default)]
struct Members(u8);

impl Members {
    fn once<E: de::Error>(&mut self, key: &str, known: &[&str]) -> std::result::Result<(), E> {
        let Some(i) = known.iter().position(|k| *k == key) else {
            return Err(E::custom("foreign member"));
        };
        let bit = 1u8 << i;
        if self.0 & bit != 0 {
            return Err(E::custom("duplicate member"));
        }
        self.0 |= bit;
        Ok(())
    }
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
                let mut seen = Members::default();
                while let Some(key) = m.next_key::<std::borrow::Cow<'de, str>>()? {
                    seen.once(&key, &["type", "name", "crs", "features", "bbox"])?;
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
                let mut seen = Members::default();
                while let Some(key) = m.next_key::<std::borrow::Cow<'de, str>>()? {
                    seen.once(&key, &["type", "properties", "geometry", "bbox"])?;
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
pub(super) fn cell(text: &str) -> Fast<Cell> {
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
                let mut seen = Members::default();
                while let Some(key) = m.next_key::<std::borrow::Cow<'de, str>>()? {
                    seen.once(&key, &["type", "coordinates", "bbox"])?;
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
pub(super) fn ordinate<E: de::Error>(v: Option<f64>) -> std::result::Result<f64, E> {
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
                // Every ring of the source is held until normalize: at its
                // length, not at the capacity it grew to.
                if ring.capacity() > ring.len() {
                    ring = ring.as_slice().to_vec();
                }
                Ok(ring)
            }
        }
        d.deserialize_seq(V)
    }
}
