//! The embedded boundary format (written by `scripts/gen-boundaries.py`,
//! whose docstring is its specification): gunzip, then TopoJSON's quantized,
//! delta-coded arcs and each country's rings as lists of arc references,
//! all as LEB128 varints. Hand-written because it is forty lines and a
//! TopoJSON crate would bring a JSON parse of 3.6 MB on every start.

use super::Country;
use geo::{BoundingRect, Coord, LineString, MultiPolygon, Polygon};
use std::io::Read;

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn bytes(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.b.len());
        let end = end.ok_or("truncated")?;
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn f64(&mut self) -> Result<f64, String> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.bytes(8)?);
        Ok(f64::from_le_bytes(a))
    }
    fn varint(&mut self) -> Result<u64, String> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.bytes(1)?[0];
            v |= u64::from(b & 0x7F) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("varint too long".into())
    }
    fn zigzag(&mut self) -> Result<i64, String> {
        let v = self.varint()?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }
    /// A count, bounded by the bytes left (each item takes at least one).
    fn count(&mut self) -> Result<usize, String> {
        let n = self.varint()?;
        usize::try_from(n)
            .ok()
            .filter(|&n| n <= self.b.len() - self.at)
            .ok_or_else(|| format!("count {n} beyond the data"))
    }
}

/// Decode the gzip'd format into countries.
pub(super) fn decode(gz: &[u8]) -> Result<Vec<Country>, String> {
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_end(&mut raw)
        .map_err(|e| e.to_string())?;
    let mut r = Reader { b: &raw, at: 0 };
    if r.bytes(5)? != b"CMWB1" {
        return Err("not a boundary file".into());
    }
    let (sx, sy, tx, ty) = (r.f64()?, r.f64()?, r.f64()?, r.f64()?);
    let n_arcs = r.count()?;
    let mut arcs: Vec<Vec<Coord<f64>>> = Vec::with_capacity(n_arcs);
    for _ in 0..n_arcs {
        let n = r.count()?;
        let (mut x, mut y) = (0i64, 0i64);
        let mut arc = Vec::with_capacity(n);
        for _ in 0..n {
            x += r.zigzag()?;
            y += r.zigzag()?;
            arc.push(Coord {
                x: tx + x as f64 * sx,
                y: ty + y as f64 * sy,
            });
        }
        arcs.push(arc);
    }
    let n_countries = r.count()?;
    let mut out = Vec::with_capacity(n_countries);
    for _ in 0..n_countries {
        let code = r.bytes(3)?;
        let iso3 = (code != [0, 0, 0])
            .then(|| String::from_utf8(code.to_vec()).map_err(|e| e.to_string()))
            .transpose()?;
        let mut polygons = Vec::new();
        for _ in 0..r.count()? {
            let mut rings = Vec::new();
            for _ in 0..r.count()? {
                let mut ring: Vec<Coord<f64>> = Vec::new();
                for _ in 0..r.count()? {
                    let i = r.zigzag()?;
                    let (idx, reversed) = if i < 0 { (!i, true) } else { (i, false) };
                    let arc = usize::try_from(idx)
                        .ok()
                        .and_then(|i| arcs.get(i))
                        .ok_or_else(|| format!("arc {idx} out of range"))?;
                    // Consecutive arcs share their joining point (TopoJSON).
                    let skip = usize::from(!ring.is_empty());
                    if reversed {
                        ring.extend(arc.iter().rev().skip(skip));
                    } else {
                        ring.extend(arc.iter().skip(skip));
                    }
                }
                rings.push(LineString::new(ring));
            }
            let mut rings = rings.into_iter();
            if let Some(exterior) = rings.next() {
                polygons.push(Polygon::new(exterior, rings.collect()));
            }
        }
        let shape = MultiPolygon::new(polygons);
        let bbox = shape
            .bounding_rect()
            .ok_or("a country with no coordinates")?;
        out.push(Country { iso3, shape, bbox });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrupt_data_is_an_error_not_a_panic() {
        assert!(decode(b"not gzip").is_err());
        let mut gz = Vec::new();
        {
            use std::io::Write;
            let mut w = flate2::write::GzEncoder::new(&mut gz, flate2::Compression::fast());
            w.write_all(b"CMWB1\x00\x00").unwrap();
        }
        assert!(decode(&gz).unwrap_err().contains("truncated"));
    }
}
