//! RFC 7946 GeoJSON writers for hazards.geojson and releases.geojson: WGS84,
//! counter-clockwise exteriors, no `crs` member, coordinates rounded to the
//! configured precision, features in id order, properties in a fixed order, so
//! the bytes are identical across runs and thread counts.
//!
//! Rounding can pinch a ring or collapse a sliver, and boolean-operation output
//! may have rings that touch themselves. [`snap_valid`] therefore snaps each
//! geometry to the output grid and rebuilds it there as valid OGC polygons
//! (i_overlay on integers), so consumers get geometries that shapely, GDAL
//! and PostGIS accept. The figures never come from these written geometries.

use crate::tiles::clip::{quantise_iter, simple_polygons};
use geo::orient::{Direction, Orient};
use geo::{Coord, LineString, MultiPolygon, Polygon};
use i_overlay::core::overlay::IntOverlayOptions;
use i_overlay::i_float::int::point::IntPoint;
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

/// The geometry snapped to the grid of `precision` decimals and rebuilt there as
/// valid polygons; empty when nothing of it survives at that resolution.
pub fn snap_valid(mp: &MultiPolygon<f64>, precision: u8) -> MultiPolygon<f64> {
    let f = 10f64.powi(precision as i32);
    let fits =
        |c: &Coord<f64>| (c.x * f).abs() < i32::MAX as f64 && (c.y * f).abs() < i32::MAX as f64;
    if !mp.0.iter().all(|p| p.exterior().0.iter().all(fits)) {
        // Beyond the i32 grid (more decimals than lon/lat allows): write as is.
        return mp.clone();
    }
    let snap = |r: &LineString<f64>| -> Vec<IntPoint> {
        let n = r.0.len().saturating_sub(1);
        quantise_iter(r.0[..n].iter().map(|c| (c.x * f, c.y * f)), n)
    };
    let parts: Vec<Vec<Vec<IntPoint>>> =
        mp.0.iter()
            .map(|p| {
                std::iter::once(p.exterior())
                    .chain(p.interiors())
                    .map(snap)
                    .collect()
            })
            .collect();
    // Most geometries are still valid on the grid: the tiler's exact test
    // says so far faster than the overlay rebuilds them (and drops the same
    // straight-through vertices the overlay would).
    let polys: Vec<Vec<LineString<f64>>> = match simple_polygons(&parts) {
        Some(polys) => polys
            .iter()
            .map(|rings| {
                rings
                    .iter()
                    .map(|r| ring_back(r.iter().copied(), f))
                    .collect()
            })
            .collect(),
        None => {
            let rings: Vec<Vec<IntPoint>> = parts
                .into_iter()
                .flatten()
                .filter(|r| !r.is_empty())
                .collect();
            crate::measure::ops::simplify_int(&rings, IntOverlayOptions::ogc())
                .iter()
                .filter(|s| s.first().is_some_and(|r| r.len() >= 3))
                .map(|s| {
                    s.iter()
                        .enumerate()
                        .filter(|(k, r)| *k == 0 || r.len() >= 3)
                        .map(|(_, r)| ring_back(r.iter().map(|p| (p.x, p.y)), f))
                        .collect()
                })
                .collect()
        }
    };
    MultiPolygon::new(
        polys
            .into_iter()
            .map(|mut rings| {
                let exterior = rings.remove(0);
                Polygon::new(exterior, rings)
            })
            .collect(),
    )
    .orient(Direction::Default)
}

/// A grid ring back in degrees, closed.
fn ring_back(ring: impl Iterator<Item = (i32, i32)>, f: f64) -> LineString<f64> {
    let mut pts: Vec<Coord<f64>> = ring
        .map(|(x, y)| Coord {
            x: x as f64 / f,
            y: y as f64 / f,
        })
        .collect();
    if let Some(&first) = pts.first() {
        pts.push(first);
    }
    LineString(pts)
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
        Ok(FeatureWriter {
            w,
            precision,
            count: 0,
        })
    }

    /// One feature (properties are written in key order).
    pub fn feature(
        &mut self,
        id: Option<u64>,
        properties: &Map<String, Value>,
        geometry: &MultiPolygon<f64>,
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
        let snapped = snap_valid(geometry, self.precision);
        if snapped.0.is_empty() {
            // Smaller than the output grid: the feature stays, without a shape.
            self.w.write_all(b"null")?;
        } else {
            write_geometry(self.w, &snapped, self.precision)?;
        }
        self.w.write_all(b"}")
    }

    pub fn finish(self) -> io::Result<()> {
        self.w.write_all(b"\n]}\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, Area};

    #[test]
    fn snapping_removes_pinches_and_slivers() {
        // A ring that touches itself at (1, 1) and a sliver thinner than the grid.
        let bowtie_like = polygon![(x: 0., y: 0.), (x: 2., y: 0.), (x: 1., y: 1.), (x: 2., y: 2.), (x: 0., y: 2.), (x: 1., y: 1.), (x: 0., y: 0.)];
        let sliver =
            polygon![(x: 5., y: 5.), (x: 6., y: 5.), (x: 6., y: 5.00000001), (x: 5., y: 5.)];
        let out = snap_valid(&MultiPolygon::new(vec![bowtie_like, sliver]), 7);
        assert!(geo::Validation::is_valid(&out), "{out:?}");
        assert!((out.unsigned_area() - 2.0).abs() < 1e-9);
        assert_eq!(
            snap_valid(
                &MultiPolygon::new(vec![
                    polygon![(x: 5., y: 5.), (x: 6., y: 5.), (x: 6., y: 5.00000001), (x: 5., y: 5.)]
                ]),
                7
            )
            .0
            .len(),
            0
        );
    }

    #[test]
    fn clockwise_input_is_written_counter_clockwise_and_rounded() {
        let p = polygon![(x: 0., y: 0.), (x: 0., y: 1.000000049), (x: 1., y: 1.), (x: 1., y: 0.), (x: 0., y: 0.)];
        let mut buf = Vec::new();
        write_geometry(&mut buf, &MultiPolygon::new(vec![p]), 7).unwrap();
        let s = String::from_utf8(buf).unwrap();
        assert_eq!(
            s,
            r#"{"type":"Polygon","coordinates":[[[0.0,0.0],[1.0,0.0],[1.0,1.0],[0.0,1.0],[0.0,0.0]]]}"#
        );
        let v: Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["type"], "Polygon");
    }
}
