//! RFC 7946 GeoJSON writers for hazards.geojson, releases.geojson and
//! defects.geojson: WGS84, every area a MultiPolygon (points a Point or
//! MultiPoint, lines a MultiLineString), counter-clockwise exteriors, no `crs` member, coordinates rounded to the
//! configured precision, features in id order, properties in a fixed order, so
//! the bytes are identical across runs and thread counts.
//!
//! Rounding can pinch a ring or collapse a sliver, and boolean-operation output
//! may have rings that touch themselves. Each geometry is therefore snapped to
//! the output grid and rebuilt there as valid OGC polygons
//! ([`snap_valid`]), so consumers get geometries that shapely, GDAL
//! and PostGIS accept. The figures never come from these written geometries.
//! A geometry across the antimeridian is first cut in two there
//! ([`antimeridian::split`], RFC 7946 §3.1.9).

use crate::geometry::{antimeridian, round, snap_valid};
use geo::orient::{Direction, Orient};
use geo::MultiPolygon;
use serde::Serialize;
use std::io::{self, Write};

fn write_ring(w: &mut dyn Write, ring: &geo::LineString<f64>, precision: u8) -> io::Result<()> {
    w.write_all(b"[")?;
    let mut last: Option<(f64, f64)> = None;
    let mut first = true;
    for c in &ring.0 {
        let p = (round(c.x, precision), round(c.y, precision));
        if last == Some(p) {
            continue;
        }
        if !first {
            w.write_all(b",")?;
        }
        first = false;
        w.write_all(b"[")?;
        write_num(w, p.0)?;
        w.write_all(b",")?;
        write_num(w, p.1)?;
        w.write_all(b"]")?;
        last = Some(p);
    }
    w.write_all(b"]")
}

/// Write a coordinate in the shortest form that reads back to the same f64
/// (as serde_json prints floats), without a String per number.
fn write_num(w: &mut dyn Write, x: f64) -> io::Result<()> {
    if x.is_finite() {
        w.write_all(ryu::Buffer::new().format_finite(x).as_bytes())
    } else {
        w.write_all(b"null")
    }
}

fn write_coord(w: &mut dyn Write, c: geo::Coord<f64>, precision: u8) -> io::Result<()> {
    w.write_all(b"[")?;
    write_num(w, round(c.x, precision))?;
    w.write_all(b",")?;
    write_num(w, round(c.y, precision))?;
    w.write_all(b"]")
}

/// A Point geometry object, rounded as the polygons are.
pub fn write_point(w: &mut dyn Write, p: geo::Point<f64>, precision: u8) -> io::Result<()> {
    w.write_all(br#"{"type":"Point","coordinates":"#)?;
    write_coord(w, p.0, precision)?;
    w.write_all(b"}")
}

/// A MultiPoint geometry object.
pub fn write_points(w: &mut dyn Write, mp: &geo::MultiPoint<f64>, precision: u8) -> io::Result<()> {
    w.write_all(br#"{"type":"MultiPoint","coordinates":["#)?;
    for (i, p) in mp.0.iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        write_coord(w, p.0, precision)?;
    }
    w.write_all(b"]}")
}

/// A MultiLineString geometry object.
pub fn write_lines(
    w: &mut dyn Write,
    ml: &geo::MultiLineString<f64>,
    precision: u8,
) -> io::Result<()> {
    w.write_all(br#"{"type":"MultiLineString","coordinates":["#)?;
    for (i, l) in ml.0.iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        write_ring(w, l, precision)?;
    }
    w.write_all(b"]}")
}

/// Write a MultiPolygon geometry object, also when it has one part: one
/// geometry type per file, so that GDAL and QGIS type the layer MultiPolygon
/// rather than "Unknown (any)".
pub fn write_geometry(w: &mut dyn Write, mp: &MultiPolygon<f64>, precision: u8) -> io::Result<()> {
    let mp = mp.orient(Direction::Default);
    let polygon = |w: &mut dyn Write, p: &geo::Polygon<f64>| -> io::Result<()> {
        w.write_all(b"[")?;
        write_ring(w, p.exterior(), precision)?;
        for h in p.interiors() {
            w.write_all(b",")?;
            write_ring(w, h, precision)?;
        }
        w.write_all(b"]")
    };
    w.write_all(br#"{"type":"MultiPolygon","coordinates":["#)?;
    for (i, p) in mp.0.iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        polygon(w, p)?;
    }
    w.write_all(b"]}")
}

/// A streaming FeatureCollection writer.
pub struct FeatureWriter<'a> {
    w: &'a mut dyn Write,
    precision: u8,
    count: usize,
}

impl<'a> FeatureWriter<'a> {
    pub fn new(w: &'a mut dyn Write, precision: u8) -> io::Result<Self> {
        w.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[\n")?;
        Ok(FeatureWriter {
            w,
            precision,
            count: 0,
        })
    }

    /// One feature (its properties as they serialise: a JSON object's
    /// members in name order).
    pub fn feature(
        &mut self,
        id: Option<u64>,
        properties: &(impl Serialize + ?Sized),
        geometry: &MultiPolygon<f64>,
    ) -> io::Result<()> {
        self.feature_with(id, properties, |fw| fw.area(geometry))
    }

    /// One feature whose geometry `geometry` writes with the writer's
    /// precision (through [`Self::area`], [`write_point`] …).
    pub fn feature_with(
        &mut self,
        id: Option<u64>,
        properties: &(impl Serialize + ?Sized),
        geometry: impl FnOnce(&mut Self) -> io::Result<()>,
    ) -> io::Result<()> {
        if self.count > 0 {
            self.w.write_all(b",\n")?;
        }
        self.count += 1;
        self.w.write_all(b"{\"type\":\"Feature\",")?;
        if let Some(id) = id {
            write!(self.w, "\"id\":{id},")?;
        }
        self.w.write_all(b"\"properties\":")?;
        serde_json::to_writer(&mut *self.w, properties)?;
        self.w.write_all(b",\"geometry\":")?;
        geometry(self)?;
        self.w.write_all(b"}")
    }

    /// A multipolygon cut in two at ±180° when it crosses there (RFC 7946
    /// §3.1.9), snapped to the output grid and made valid there; `null` when
    /// nothing of it is left.
    pub fn area(&mut self, geometry: &MultiPolygon<f64>) -> io::Result<()> {
        let cut = antimeridian::split(geometry);
        let snapped = snap_valid(cut.as_ref().unwrap_or(geometry), self.precision);
        if snapped.0.is_empty() {
            // Smaller than the output grid: the feature stays, without a shape.
            self.w.write_all(b"null")
        } else {
            write_geometry(self.w, &snapped, self.precision)
        }
    }

    /// The writer and its precision, for the other geometry writers.
    pub fn raw(&mut self) -> (&mut dyn Write, u8) {
        (&mut *self.w, self.precision)
    }

    pub fn finish(self) -> io::Result<()> {
        self.w.write_all(b"\n]}\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;
    use serde_json::Value;

    #[test]
    fn clockwise_input_is_written_counter_clockwise_and_rounded() {
        let p = polygon![(x: 0., y: 0.), (x: 0., y: 1.000000049), (x: 1., y: 1.), (x: 1., y: 0.), (x: 0., y: 0.)];
        let mut buf = Vec::new();
        write_geometry(&mut buf, &MultiPolygon::new(vec![p]), 7).unwrap();
        let s = String::from_utf8(buf).unwrap();
        assert_eq!(
            s,
            r#"{"type":"MultiPolygon","coordinates":[[[[0.0,0.0],[1.0,0.0],[1.0,1.0],[0.0,1.0],[0.0,0.0]]]]}"#
        );
        let v: Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["type"], "MultiPolygon", "one part is a MultiPolygon too");
    }
}
