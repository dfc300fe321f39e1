//! RFC 7946 GeoJSON writers for hazards.geojson and releases.geojson: WGS84,
//! counter-clockwise exteriors, no `crs` member, coordinates rounded to the
//! configured precision, features in id order, properties in a fixed order, so
//! the bytes are identical across runs and thread counts.

use geo::orient::{Direction, Orient};
use geo::MultiPolygon;
use serde_json::{Map, Value};
use std::io::{self, Write};

/// Round to `precision` decimals, in a form that prints without noise.
pub fn round(x: f64, precision: u8) -> f64 {
    let f = 10f64.powi(precision as i32);
    let r = (x * f).round() / f;
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

/// An area figure as written: millimetre² resolution is plenty.
pub fn round_area(x: f64) -> f64 {
    round(x, 3)
}

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
        write!(w, "[{},{}]", fmt(p.0), fmt(p.1))?;
        last = Some(p);
    }
    w.write_all(b"]")
}

fn fmt(x: f64) -> String {
    // serde_json's float printing is the shortest roundtrip form.
    serde_json::Number::from_f64(x).map(|n| n.to_string()).unwrap_or_else(|| "null".into())
}

/// Write a MultiPolygon geometry object (a Polygon when it has one part).
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
    if mp.0.len() == 1 {
        w.write_all(br#"{"type":"Polygon","coordinates":"#)?;
        polygon(w, &mp.0[0])?;
    } else {
        w.write_all(br#"{"type":"MultiPolygon","coordinates":["#)?;
        for (i, p) in mp.0.iter().enumerate() {
            if i > 0 {
                w.write_all(b",")?;
            }
            polygon(w, p)?;
        }
        w.write_all(b"]")?;
    }
    w.write_all(b"}")
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
        Ok(FeatureWriter { w, precision, count: 0 })
    }

    /// One feature (properties are written in key order).
    pub fn feature(&mut self, id: Option<u64>, properties: &Map<String, Value>, geometry: &MultiPolygon<f64>) -> io::Result<()> {
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
        write_geometry(self.w, geometry, self.precision)?;
        self.w.write_all(b"}")
    }

    pub fn finish(self) -> io::Result<()> {
        self.w.write_all(b"\n]}\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn clockwise_input_is_written_counter_clockwise_and_rounded() {
        let p = polygon![(x: 0., y: 0.), (x: 0., y: 1.000000049), (x: 1., y: 1.), (x: 1., y: 0.), (x: 0., y: 0.)];
        let mut buf = Vec::new();
        write_geometry(&mut buf, &MultiPolygon::new(vec![p]), 7).unwrap();
        let s = String::from_utf8(buf).unwrap();
        assert_eq!(s, r#"{"type":"Polygon","coordinates":[[[0.0,0.0],[1.0,0.0],[1.0,1.0],[0.0,1.0],[0.0,0.0]]]}"#);
        let v: Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["type"], "Polygon");
    }
}
