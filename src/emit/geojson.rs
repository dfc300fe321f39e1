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
//!
//! Numbers are written as ryu (and serde_json) write them. A coordinate on
//! the output grid is printed here from its integer count of grid steps
//! rather than through ryu: the same text (shown in `grid_num_into` and
//! tested digit for digit against ryu), made several times faster, which
//! matters at 150 MB of coordinates. Features are made in a buffer and
//! written a megabyte at a time.

use crate::geometry::{antimeridian, snap_valid};
use geo::winding_order::{Winding, WindingOrder};
use geo::MultiPolygon;
use serde::Serialize;
use std::io::{self, Write};

/// A ring's coordinates, rounded, repeated points (after rounding) once.
fn ring_into(buf: &mut Vec<u8>, ring: &geo::LineString<f64>, precision: u8) {
    coords_into(buf, ring.0.iter(), precision)
}

/// A polygon's ring wound as `want` (as geo's `Orient` turns it: reversed when
/// wound the other way, as it is when its winding is undefined), without
/// a copy of the ring.
fn wound_ring_into(
    buf: &mut Vec<u8>,
    ring: &geo::LineString<f64>,
    want: WindingOrder,
    precision: u8,
) {
    let reverse = match ring.winding_order() {
        Some(w) => w != want,
        None => false,
    };
    if reverse {
        coords_into(buf, ring.0.iter().rev(), precision)
    } else {
        coords_into(buf, ring.0.iter(), precision)
    }
}

fn coords_into<'c>(
    buf: &mut Vec<u8>,
    coords: impl Iterator<Item = &'c geo::Coord<f64>>,
    precision: u8,
) {
    let f = 10f64.powi(precision as i32);
    buf.push(b'[');
    let mut last: Option<(f64, f64)> = None;
    for c in coords {
        let (x, y) = (on_grid(c.x, f), on_grid(c.y, f));
        let p = (x.0, y.0);
        if last == Some(p) {
            continue;
        }
        if last.is_some() {
            buf.push(b',');
        }
        buf.push(b'[');
        grid_num_into(buf, x, precision);
        buf.push(b',');
        grid_num_into(buf, y, precision);
        buf.push(b']');
        last = Some(p);
    }
    buf.push(b']');
}

/// `x` rounded to the grid of `f` = 10^precision, as [`round`] rounds it,
/// with the integer count of grid steps it is.
fn on_grid(x: f64, f: f64) -> (f64, f64) {
    let k = (x * f).round();
    let r = k / f;
    (if r == 0.0 { 0.0 } else { r }, k)
}

/// Write a coordinate on the grid in the shortest form that reads back to
/// the same f64, as ryu (and serde_json) print it: for the usual coordinate
/// from its integer count of grid steps, which is several times faster.
///
/// Why this is ryu's output: `v` is the f64 nearest to the decimal
/// `k / 10^precision` (one correctly rounded division of two exact values),
/// so that decimal reads back to `v`. With |k| < 10^15 any other decimal of
/// no more significant digits differs from it by at least 10^-precision,
/// more than the gap between neighbouring f64s there, so it is the shortest
/// (ryu's digits). ryu prints it as `int.frac` (`.0` for an integer) when
/// 10^-5 <= |v| < 10^16; outside that range, and for anything else, ryu
/// itself writes the number.
fn grid_num_into(buf: &mut Vec<u8>, (v, k): (f64, f64), precision: u8) {
    if v == 0.0 {
        buf.extend_from_slice(b"0.0");
        return;
    }
    if !(k.abs() < 1e15 && v.abs() >= 1e-5) || precision > 15 {
        num_into(buf, v);
        return;
    }
    // The digits are made right to left in one small array and copied once
    // (several short copies per number cost more than making the digits).
    let mut m = k.abs() as u64;
    let mut text = [0u8; 24];
    let mut i = text.len();
    let mut put = |d: u8| {
        i -= 1;
        text[i] = d;
    };
    let mut frac = false;
    for _ in 0..precision {
        let d = (m % 10) as u8;
        m /= 10;
        // Trailing zeros of the fraction are not printed.
        if frac || d != 0 {
            put(b'0' + d);
            frac = true;
        }
    }
    if !frac {
        put(b'0');
    }
    put(b'.');
    loop {
        put(b'0' + (m % 10) as u8);
        m /= 10;
        if m == 0 {
            break;
        }
    }
    if k < 0.0 {
        put(b'-');
    }
    buf.extend_from_slice(&text[i..]);
}

/// An integer's digits (feature ids).
fn uint_into(buf: &mut Vec<u8>, mut n: u64) {
    let mut text = [0u8; 20];
    let mut i = text.len();
    loop {
        i -= 1;
        text[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&text[i..]);
}

/// Write a number in the shortest form that reads back to the same f64
/// (as serde_json prints floats), without a String per number.
fn num_into(buf: &mut Vec<u8>, x: f64) {
    if x.is_finite() {
        buf.extend_from_slice(ryu::Buffer::new().format_finite(x).as_bytes())
    } else {
        buf.extend_from_slice(b"null")
    }
}

fn coord_into(buf: &mut Vec<u8>, c: geo::Coord<f64>, precision: u8) {
    let f = 10f64.powi(precision as i32);
    buf.push(b'[');
    grid_num_into(buf, on_grid(c.x, f), precision);
    buf.push(b',');
    grid_num_into(buf, on_grid(c.y, f), precision);
    buf.push(b']');
}

/// A Point geometry object, rounded as the polygons are.
pub fn write_point(w: &mut dyn Write, p: geo::Point<f64>, precision: u8) -> io::Result<()> {
    let mut buf = Vec::with_capacity(64);
    buf.extend_from_slice(br#"{"type":"Point","coordinates":"#);
    coord_into(&mut buf, p.0, precision);
    buf.push(b'}');
    w.write_all(&buf)
}

/// A MultiPoint geometry object.
pub fn write_points(w: &mut dyn Write, mp: &geo::MultiPoint<f64>, precision: u8) -> io::Result<()> {
    let mut buf = Vec::new();
    buf.extend_from_slice(br#"{"type":"MultiPoint","coordinates":["#);
    for (i, p) in mp.0.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        coord_into(&mut buf, p.0, precision);
    }
    buf.extend_from_slice(b"]}");
    w.write_all(&buf)
}

/// A MultiLineString geometry object.
pub fn write_lines(
    w: &mut dyn Write,
    ml: &geo::MultiLineString<f64>,
    precision: u8,
) -> io::Result<()> {
    let mut buf = Vec::new();
    buf.extend_from_slice(br#"{"type":"MultiLineString","coordinates":["#);
    for (i, l) in ml.0.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        ring_into(&mut buf, l, precision);
    }
    buf.extend_from_slice(b"]}");
    w.write_all(&buf)
}

/// Write a MultiPolygon geometry object, also when it has one part: one
/// geometry type per file, so that GDAL and QGIS type the layer MultiPolygon
/// rather than "Unknown (any)".
pub fn write_geometry(w: &mut dyn Write, mp: &MultiPolygon<f64>, precision: u8) -> io::Result<()> {
    let mut buf = Vec::new();
    geometry_into(&mut buf, mp, precision);
    w.write_all(&buf)
}

/// [`write_geometry`] into a buffer.
fn geometry_into(buf: &mut Vec<u8>, mp: &MultiPolygon<f64>, precision: u8) {
    // Exteriors counter-clockwise, holes clockwise, as
    // `orient(Direction::Default)` has them, read in the order they are
    // written rather than copied.
    buf.extend_from_slice(br#"{"type":"MultiPolygon","coordinates":["#);
    for (i, p) in mp.0.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        buf.push(b'[');
        wound_ring_into(buf, p.exterior(), WindingOrder::CounterClockwise, precision);
        for h in p.interiors() {
            buf.push(b',');
            wound_ring_into(buf, h, WindingOrder::Clockwise, precision);
        }
        buf.push(b']');
    }
    buf.extend_from_slice(b"]}");
}

/// Features are made in a buffer written out when it holds this many bytes
/// (past the staging writer's own buffer, which it then bypasses).
const FLUSH_AT: usize = 1 << 20;

/// A streaming FeatureCollection writer. Features are made in a buffer and
/// written a megabyte at a time: a write through the `dyn Write` per
/// bracket and number cost more than formatting the numbers.
pub struct FeatureWriter<'a> {
    w: &'a mut dyn Write,
    precision: u8,
    count: usize,
    buf: Vec<u8>,
}

impl<'a> FeatureWriter<'a> {
    pub fn new(w: &'a mut dyn Write, precision: u8) -> io::Result<Self> {
        w.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[\n")?;
        Ok(FeatureWriter {
            w,
            precision,
            count: 0,
            buf: Vec::new(),
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
        if self.buf.len() >= FLUSH_AT {
            self.w.write_all(&self.buf)?;
            self.buf.clear();
        }
        if self.count > 0 {
            self.buf.extend_from_slice(b",\n");
        }
        self.count += 1;
        self.buf.extend_from_slice(b"{\"type\":\"Feature\",");
        if let Some(id) = id {
            self.buf.extend_from_slice(b"\"id\":");
            uint_into(&mut self.buf, id);
            self.buf.push(b',');
        }
        self.buf.extend_from_slice(b"\"properties\":");
        serde_json::to_writer(&mut self.buf, properties)?;
        self.buf.extend_from_slice(b",\"geometry\":");
        geometry(self)?;
        self.buf.push(b'}');
        Ok(())
    }

    /// A multipolygon cut in two at ±180° when it crosses there (RFC 7946
    /// §3.1.9), snapped to the output grid and made valid there; `null` when
    /// nothing of it is left.
    pub fn area(&mut self, geometry: &MultiPolygon<f64>) -> io::Result<()> {
        let cut = antimeridian::split(geometry);
        let snapped = snap_valid(cut.as_ref().unwrap_or(geometry), self.precision);
        if snapped.0.is_empty() {
            // Smaller than the output grid: the feature stays, without a shape.
            self.buf.extend_from_slice(b"null");
        } else {
            geometry_into(&mut self.buf, &snapped, self.precision);
        }
        Ok(())
    }

    /// The feature's buffer and the precision, for the other geometry
    /// writers (within [`Self::feature_with`]).
    pub fn raw(&mut self) -> (&mut dyn Write, u8) {
        (&mut self.buf, self.precision)
    }

    pub fn finish(mut self) -> io::Result<()> {
        self.buf.extend_from_slice(b"\n]}\n");
        self.w.write_all(&self.buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::round;
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

    /// Rings are written wound as `orient(Direction::Default)` winds them,
    /// whichever way they come, degenerate ones included.
    #[test]
    fn rings_are_written_as_orient_winds_them() {
        use geo::orient::{Direction, Orient};
        let cw = polygon![
            exterior: [(x: 0., y: 0.), (x: 0., y: 4.), (x: 4., y: 4.), (x: 4., y: 0.), (x: 0., y: 0.)],
            interiors: [[(x: 1., y: 1.), (x: 2., y: 1.), (x: 2., y: 2.), (x: 1., y: 2.), (x: 1., y: 1.)]],
        ];
        let ccw = polygon![
            exterior: [(x: 0., y: 0.), (x: 4., y: 0.), (x: 4., y: 4.), (x: 0., y: 4.), (x: 0., y: 0.)],
            interiors: [[(x: 1., y: 1.), (x: 1., y: 2.), (x: 2., y: 2.), (x: 2., y: 1.), (x: 1., y: 1.)]],
        ];
        let flat = polygon![(x: 0., y: 0.), (x: 1., y: 1.), (x: 2., y: 2.), (x: 0., y: 0.)];
        let tiny = polygon![(x: 0., y: 0.), (x: 1e-9, y: 0.), (x: 1e-9, y: 1e-9), (x: 0., y: 0.)];
        let mp = MultiPolygon::new(vec![cw, ccw, flat, tiny]);
        let mut got = Vec::new();
        geometry_into(&mut got, &mp, 7);
        let mut want = Vec::new();
        let oriented = mp.orient(Direction::Default);
        want.extend_from_slice(br#"{"type":"MultiPolygon","coordinates":["#);
        for (i, p) in oriented.0.iter().enumerate() {
            if i > 0 {
                want.push(b',');
            }
            want.push(b'[');
            ring_into(&mut want, p.exterior(), 7);
            for h in p.interiors() {
                want.push(b',');
                ring_into(&mut want, h, 7);
            }
            want.push(b']');
        }
        want.extend_from_slice(b"]}");
        assert_eq!(
            String::from_utf8(got).unwrap(),
            String::from_utf8(want).unwrap()
        );
    }

    fn grid_text(x: f64, precision: u8) -> (String, String) {
        let f = 10f64.powi(precision as i32);
        let g = on_grid(x, f);
        assert_eq!(g.0.to_bits(), round(x, precision).to_bits(), "{x}");
        let mut fast = Vec::new();
        grid_num_into(&mut fast, g, precision);
        let mut slow = Vec::new();
        num_into(&mut slow, round(x, precision));
        (
            String::from_utf8(fast).unwrap(),
            String::from_utf8(slow).unwrap(),
        )
    }

    /// Coordinates printed from their grid steps are ryu's text, digit for
    /// digit: at every precision, near zero, at the exponent thresholds,
    /// for integers, large values and non-finite ones.
    #[test]
    fn grid_numbers_print_as_ryu_prints_them() {
        let mut xs = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            180.0,
            -180.0,
            90.0,
            1e-5,
            -1e-5,
            9.9e-6,
            1.5e-5,
            1e-7,
            1e-12,
            0.1,
            0.2,
            0.3,
            123.456,
            1e14,
            1e15,
            1e16,
            1e22,
            5e-324,
            f64::MAX,
            f64::INFINITY,
            f64::NAN,
            44.123456789012,
            -17.000000049,
        ];
        // A deterministic spread of coordinates (xorshift).
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        for _ in 0..200_000 {
            let state = crate::geometry::test_rings::xorshift64(&mut state);
            let unit = (state >> 11) as f64 / (1u64 << 53) as f64;
            let scale = [1e-6, 1e-4, 0.01, 1.0, 100.0, 360.0, 1e6][(state % 7) as usize];
            xs.push((unit - 0.5) * 2.0 * scale);
        }
        let mut ids = Vec::new();
        for n in [0, 7, 10, 99, 1234567890, u64::MAX] {
            ids.clear();
            uint_into(&mut ids, n);
            assert_eq!(ids, n.to_string().into_bytes());
        }
        for precision in 0..=12 {
            for &x in &xs {
                let (fast, slow) = grid_text(x, precision);
                assert_eq!(fast, slow, "{x} at precision {precision}");
            }
        }
    }
}
