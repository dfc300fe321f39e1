//! World: the country boundaries clearmap carries, for the coordinate checks
//! (is a record in its country?) and the map's context layer.
//!
//! The data are Natural Earth admin-0 countries (public domain) from the npm
//! package world-atlas 2.0.2, turned by `scripts/gen-boundaries.py` into the
//! two files under `data/boundaries/`, embedded here and decoded once, on
//! first use (`decode.rs`: the format is TopoJSON's shared, quantized arcs as
//! varints, gzip'd). 1:10m ([`Scale::Checks`]) is what records are checked
//! against; 1:50m ([`Scale::Map`]) is drawn. `locate.rs` answers, for one
//! country, whether a point is inside it and how far it is from its border.
//!
//! Codes are ISO 3166-1 alpha-3. The user-assigned codes (XAA–XZZ, such as
//! Kosovo's XKX or the example's XEX) have no boundary here.

mod decode;
mod locate;

pub use locate::Boundary;

use geo::{MultiPolygon, Rect};
use std::sync::OnceLock;

/// Which of the two embedded scales.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Natural Earth 1:10m: the coordinate checks.
    Checks,
    /// Natural Earth 1:50m: the map's context layer.
    Map,
}

/// One country (or a territory Natural Earth draws with no ISO code).
#[derive(Debug, Clone)]
pub struct Country {
    /// ISO 3166-1 alpha-3; `None` for a territory with no ISO code
    /// (N. Cyprus, Somaliland, Kosovo, ...), drawn but never checked against.
    pub iso3: Option<String>,
    /// WGS84 lon/lat, split at ±180° as Natural Earth draws it.
    pub shape: MultiPolygon<f64>,
    /// The bounding box of `shape`.
    pub bbox: Rect<f64>,
}

const DATA_10M: &[u8] = include_bytes!("../../data/boundaries/countries-10m.bin.gz");
const DATA_50M: &[u8] = include_bytes!("../../data/boundaries/countries-50m.bin.gz");

/// Every country at a scale, decoded on first use. An error means the
/// embedded data are corrupt: a defect of the build, not of the input.
pub fn countries(scale: Scale) -> Result<&'static [Country], String> {
    static CHECKS: OnceLock<Result<Vec<Country>, String>> = OnceLock::new();
    static MAP: OnceLock<Result<Vec<Country>, String>> = OnceLock::new();
    let (cell, data) = match scale {
        Scale::Checks => (&CHECKS, DATA_10M),
        Scale::Map => (&MAP, DATA_50M),
    };
    match cell.get_or_init(|| decode::decode(data)) {
        Ok(v) => Ok(v.as_slice()),
        Err(e) => Err(format!("the embedded country boundaries are corrupt: {e}")),
    }
}

/// The country of an alpha-3 code at a scale; `Ok(None)` when Natural Earth
/// has none (a user-assigned code, or a territory it does not draw).
pub fn country(iso3: &str, scale: Scale) -> Result<Option<&'static Country>, String> {
    if user_assigned(iso3) {
        // Known to have none: no need to decode the boundaries.
        return Ok(None);
    }
    Ok(countries(scale)?
        .iter()
        .find(|c| c.iso3.as_deref() == Some(iso3)))
}

/// ISO 3166-1's user-assigned alpha-3 codes (AAA–AAZ, QMA–QZZ, XAA–XZZ,
/// ZZA–ZZZ), which no boundary has.
fn user_assigned(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 3
        && b.iter().all(u8::is_ascii_uppercase)
        && (b[0] == b'X'
            || (b[0] == b'A' && b[1] == b'A')
            || (b[0] == b'Q' && b[1] >= b'M')
            || (b[0] == b'Z' && b[1] == b'Z'))
}

/// The country most of `points` (lon/lat) lie in, and how many of them do;
/// `None` when none lies in a country. At most [`WHERE_SAMPLE`] points,
/// spread evenly over `points`, are looked up.
pub fn where_is(points: &[(f64, f64)]) -> Result<Option<(String, usize, usize)>, String> {
    use std::collections::HashMap;
    if points.is_empty() {
        return Ok(None);
    }
    let all = countries(Scale::Checks)?;
    let step = points.len().div_ceil(WHERE_SAMPLE);
    let sample: Vec<(f64, f64)> = points.iter().step_by(step).copied().collect();
    let mut boundaries: HashMap<usize, Boundary> = HashMap::new();
    let mut votes: HashMap<&str, usize> = HashMap::new();
    for &(lon, lat) in &sample {
        let found = all.iter().enumerate().find(|(i, c)| {
            let (min, max) = (c.bbox.min(), c.bbox.max());
            c.iso3.is_some()
                && (min.x..=max.x).contains(&lon)
                && (min.y..=max.y).contains(&lat)
                && boundaries
                    .entry(*i)
                    .or_insert_with(|| Boundary::new(c))
                    .contains(lon, lat)
        });
        if let Some(iso3) = found.and_then(|(_, c)| c.iso3.as_deref()) {
            *votes.entry(iso3).or_default() += 1;
        }
    }
    Ok(votes
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
        .map(|(iso3, n)| (iso3.to_string(), n, sample.len())))
}

/// How many points [`where_is`] looks up at most.
pub const WHERE_SAMPLE: usize = 500;

/// The embedded bytes (both scales), for the size a build reports.
pub fn embedded_bytes() -> usize {
    DATA_10M.len() + DATA_50M.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_scales_decode_with_their_countries() {
        for scale in [Scale::Checks, Scale::Map] {
            let all = countries(scale).unwrap();
            assert!(all.len() > 230, "{}", all.len());
            let bih = country("BIH", scale).unwrap().expect("Bosnia");
            let (lo, hi) = (bih.bbox.min(), bih.bbox.max());
            assert!((15.5..16.0).contains(&lo.x) && (19.5..19.8).contains(&hi.x));
            assert!((42.4..42.7).contains(&lo.y) && (45.2..45.4).contains(&hi.y));
            assert!(country("XEX", scale).unwrap().is_none());
            assert!(country("XKX", scale).unwrap().is_none());
            assert!(all.iter().any(|c| c.iso3.is_none()));
        }
        // Australia's two features (the mainland and Ashmore and Cartier) are one.
        let aus = country("AUS", Scale::Checks).unwrap().unwrap();
        assert!(aus.bbox.min().x < 124.0 && aus.bbox.min().y < -43.0);
        assert!(embedded_bytes() < 1_500_000);
        assert!(user_assigned("QMA") && user_assigned("ZZZ") && user_assigned("AAB"));
        assert!(!user_assigned("QAT") && !user_assigned("KHM") && !user_assigned("xex"));
    }
}
