//! Whether a source's records lie in the config's `country`, and when most
//! do not, which usual mistake would put them there.
//!
//! Owns OUTSIDE_COUNTRY (a record wholly outside the country, by more than
//! [`BORDER_TOLERANCE_KM`], is used as read with a warning naming its
//! distance to the border), the failure of a source that is mostly outside
//! ([`IngestError::OutsideCountry`], exit 2), and the test of the likely
//! mistakes behind it ([`Mistake`]): a neighbouring UTM zone, x and y
//! swapped, longitude/latitude under a projected CRS, a missing false
//! easting or northing, a sign lost from a longitude or latitude. Each is
//! tried on a sample of the source's coordinates as they were in the file;
//! the one that puts them inside the country is named. The missing-CRS hint
//! (`crs.rs`) asks the same test of a layer's extent ([`utm_that_fits`]).
//! The boundaries are Natural Earth 1:10m (`crate::world`); a country they
//! do not draw (the user-assigned codes XAA–XZZ) is said once and not
//! checked.

use super::error::Outside;
use super::{IngestError, RawGeometry, SourceBatch};
use crate::diagnostics::{Code, Diagnostic, Diagnostics, Severity};
use crate::ingest::error::Result;
use crate::world::{self, Boundary, Scale};
use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
use geo::CoordsIter;
use rayon::prelude::*;

/// How far outside its country's Natural Earth 1:10m outline a record may
/// lie and still count as inside: the outline's own error along borders and
/// coasts (about a kilometre at that scale), and records drawn on a coast's
/// edge or across a river border.
pub const BORDER_TOLERANCE_KM: f64 = 5.0;

/// How many records' coordinates the mistakes are tried on.
const SAMPLE: usize = 64;

/// The share of the sample a mistake must put inside the country to be named.
const FITS: f64 = 0.8;

/// The country the records are checked against.
pub(super) struct CountryCheck {
    iso3: String,
    boundary: Boundary,
}

impl CountryCheck {
    /// Kilometres by which a record lies wholly outside the country, `None`
    /// when any vertex is inside it or within the tolerance.
    fn outside_km(&self, g: &geo::Geometry<f64>) -> Option<f64> {
        let mut nearest = f64::INFINITY;
        for c in g.coords_iter() {
            let d = self.boundary.outside_km(c.x, c.y);
            if d <= BORDER_TOLERANCE_KM {
                return None;
            }
            nearest = nearest.min(d);
        }
        nearest.is_finite().then_some(nearest)
    }

    fn fits(&self, lon: f64, lat: f64) -> bool {
        lon.is_finite()
            && lat.is_finite()
            && self.boundary.outside_km(lon, lat) <= BORDER_TOLERANCE_KM
    }
}

/// The check of a build's `country`: `None` when there is none, or when
/// the boundaries have none for it (said once, as NO_BOUNDARY).
pub(super) fn prepare(
    country: Option<&str>,
    diags: &mut Diagnostics,
) -> Result<Option<CountryCheck>> {
    let Some(iso3) = country else { return Ok(None) };
    let Some(c) = world::country(iso3, Scale::Checks).map_err(IngestError::Internal)? else {
        diags.push(Diagnostic::new(
            Code::NoBoundary,
            Severity::Info,
            format!("country = \"{iso3}\" has no boundary in Natural Earth (a user-assigned code, or a territory it does not draw): records are not checked to lie in the country"),
        ));
        return Ok(None);
    };
    Ok(Some(CountryCheck {
        iso3: iso3.to_string(),
        boundary: Boundary::new(c),
    }))
}

/// Warn of each record wholly outside the country; fail the source when
/// most of its records are.
pub(super) fn check(
    check: &CountryCheck,
    batch: &SourceBatch,
    config: &super::ConfigRef,
    diags: &mut Diagnostics,
) -> Result<()> {
    let geoms: Vec<(usize, &geo::Geometry<f64>)> = batch
        .records
        .iter()
        .enumerate()
        .filter_map(|(i, r)| match &r.geometry {
            RawGeometry::Geo(g) => Some((i, g)),
            _ => None,
        })
        .collect();
    let outside: Vec<(usize, f64)> = geoms
        .par_iter()
        .filter_map(|(i, g)| check.outside_km(g).map(|d| (*i, d)))
        .collect();
    if outside.len() * 2 > geoms.len() {
        let mut km: Vec<f64> = outside.iter().map(|(_, d)| *d).collect();
        km.sort_by(f64::total_cmp);
        let sample: Vec<(f64, f64)> = spread(&geoms, SAMPLE)
            .filter_map(|(_, g)| g.coords_iter().next().map(|c| (c.x, c.y)))
            .collect();
        let finding = batch
            .srs
            .as_deref()
            .map_or(Ok(None), |wkt| diagnose(check, wkt, &sample))?;
        let first = &batch.records[outside[0].0].provenance;
        return Err(IngestError::OutsideCountry(Box::new(Outside {
            config: config.clone(),
            desc: format!("{} layer {}", first.file, first.layer),
            country: check.iso3.clone(),
            outside: outside.len(),
            total: geoms.len(),
            nearest_km: km[0],
            median_km: km[km.len() / 2],
            finding: finding.map_or_else(no_finding, |m| m.advice()),
        })));
    }
    for (i, d) in outside {
        diags.push(
            Diagnostic::new(
                Code::OutsideCountry,
                Severity::Warning,
                format!(
                    "lies wholly outside {}: {d:.1} km from its border",
                    check.iso3
                ),
            )
            .record(&batch.records[i].provenance)
            .fix(
                "used as read; if it belongs to a neighbouring country, leave it out of the export",
            ),
        );
    }
    Ok(())
}

/// At most `n` items, evenly spread over the slice.
fn spread<T>(items: &[T], n: usize) -> impl Iterator<Item = &T> {
    let step = items.len().div_ceil(n).max(1);
    items.iter().step_by(step)
}

fn no_finding() -> String {
    "none of the usual mistakes (a neighbouring UTM zone, x and y swapped, longitude/latitude in a projected CRS, a missing false easting) puts them inside it: check the source's crs and the config's country".into()
}

/// A mistake that puts the source's coordinates in its country.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Mistake {
    /// The coordinates are in this other CRS (EPSG code, what it is).
    OtherCrs(u32, String),
    /// x and y are swapped.
    Swapped,
    /// The false easting and northing (metres) were left out.
    FalseOrigin(f64, f64),
    /// A longitude (true) or latitude (false) lost its sign.
    Sign(bool),
}

impl Mistake {
    fn advice(&self) -> String {
        match self {
            Mistake::OtherCrs(code, what) => format!(
                "they are {what}: set crs = \"EPSG:{code}\" in its [[source]]"
            ),
            Mistake::Swapped => "x and y are swapped: export x = easting (longitude), y = northing (latitude), or swap the columns the [[source]] maps".into(),
            Mistake::FalseOrigin(e, n) => format!(
                "the CRS's false easting {e:.0} m and false northing {n:.0} m are missing from the coordinates: export them in the CRS itself (or add the offsets)"
            ),
            Mistake::Sign(true) => "the longitudes lost their sign (west is negative): export them signed".into(),
            Mistake::Sign(false) => "the latitudes lost their sign (south is negative): export them signed".into(),
        }
    }
}

/// The mistake that puts `sample` (WGS84 lon/lat as read through the
/// source's CRS `wkt`) inside the country, if one does.
fn diagnose(check: &CountryCheck, wkt: &str, sample: &[(f64, f64)]) -> Result<Option<Mistake>> {
    let internal = |e: gdal::errors::GdalError| IngestError::Internal(e.to_string());
    let mut src = SpatialRef::from_wkt(wkt).map_err(internal)?;
    src.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let wgs84 = wgs84()?;
    // The coordinates as the file holds them.
    let raw = transform(
        &CoordTransform::new(&wgs84, &src).map_err(internal)?,
        sample,
    );
    let to_wgs84 = CoordTransform::new(&src, &wgs84).map_err(internal)?;
    let score = |pts: &[(f64, f64)]| {
        pts.iter().filter(|(x, y)| check.fits(*x, *y)).count() as f64 / sample.len().max(1) as f64
    };
    let through = |t: &CoordTransform, f: &dyn Fn(f64, f64) -> (f64, f64)| {
        let moved: Vec<_> = raw.iter().map(|(x, y)| f(*x, *y)).collect();
        score(&transform(t, &moved))
    };
    let mut tried: Vec<(Mistake, f64)> =
        vec![(Mistake::Swapped, through(&to_wgs84, &|x, y| (y, x)))];
    if src.is_projected() {
        tried.push((
            Mistake::OtherCrs(
                4326,
                "longitude/latitude (WGS 84), not projected metres".into(),
            ),
            score(&raw),
        ));
        let fe = src
            .get_proj_param("false_easting")
            .ok()
            .flatten()
            .unwrap_or(0.0);
        let fn_ = src
            .get_proj_param("false_northing")
            .ok()
            .flatten()
            .unwrap_or(0.0);
        for (e, n) in [(fe, 0.0), (0.0, fn_), (fe, fn_)] {
            if e != 0.0 || n != 0.0 {
                tried.push((
                    Mistake::FalseOrigin(e, n),
                    through(&to_wgs84, &|x, y| (x + e, y + n)),
                ));
            }
        }
        let own = src.auth_code().ok().and_then(|c| u32::try_from(c).ok());
        let own_zone = own.and_then(utm_zone);
        for (code, zone, north) in utm_zones(&check.boundary_bbox()) {
            if Some(code) == own {
                continue;
            }
            let what = match own_zone {
                Some((z, n)) if n == north && z.abs_diff(zone) == 1 => {
                    format!(
                        "in the neighbouring UTM zone, {zone}{}",
                        if north { "N" } else { "S" }
                    )
                }
                _ => format!(
                    "in WGS 84 / UTM zone {zone}{}",
                    if north { "N" } else { "S" }
                ),
            };
            if let Some(t) = utm_to_wgs84(code, &wgs84) {
                tried.push((Mistake::OtherCrs(code, what), through(&t, &|x, y| (x, y))));
            }
        }
    } else {
        tried.push((
            Mistake::Sign(true),
            score(&raw.iter().map(|(x, y)| (-x, *y)).collect::<Vec<_>>()),
        ));
        tried.push((
            Mistake::Sign(false),
            score(&raw.iter().map(|(x, y)| (*x, -y)).collect::<Vec<_>>()),
        ));
    }
    Ok(tried
        .into_iter()
        .filter(|(_, s)| *s >= FITS)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(m, _)| m))
}

impl CountryCheck {
    fn boundary_bbox(&self) -> geo::Rect<f64> {
        world::country(&self.iso3, Scale::Checks)
            .ok()
            .flatten()
            .map_or_else(|| geo::Rect::new((0.0, 0.0), (0.0, 0.0)), |c| c.bbox)
    }
}

/// The WGS 84 / UTM zones (EPSG code, zone, north) over a country's box and
/// one either side, in both hemispheres when it reaches within 10° of the
/// equator.
fn utm_zones(bbox: &geo::Rect<f64>) -> Vec<(u32, u32, bool)> {
    let zone = |lon: f64| (((lon + 180.0) / 6.0).floor() as i64).clamp(0, 59) as u32 + 1;
    let (lo, hi) = (zone(bbox.min().x) as i64 - 1, zone(bbox.max().x) as i64 + 1);
    let mut out = Vec::new();
    for north in [true, false] {
        let reaches = if north {
            bbox.max().y > -10.0
        } else {
            bbox.min().y < 10.0
        };
        if !reaches {
            continue;
        }
        for z in lo..=hi {
            let z = (z - 1).rem_euclid(60) as u32 + 1;
            let code = if north { 32600 + z } else { 32700 + z };
            if !out.iter().any(|(c, _, _)| *c == code) {
                out.push((code, z, north));
            }
        }
    }
    out
}

/// The zone and hemisphere of a WGS 84 / UTM EPSG code.
fn utm_zone(code: u32) -> Option<(u32, bool)> {
    match code {
        32601..=32660 => Some((code - 32600, true)),
        32701..=32760 => Some((code - 32700, false)),
        _ => None,
    }
}

fn utm_to_wgs84(code: u32, wgs84: &SpatialRef) -> Option<CoordTransform> {
    let mut s = SpatialRef::from_epsg(code).ok()?;
    s.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    CoordTransform::new(&s, wgs84).ok()
}

/// WGS 84 lon/lat in traditional GIS axis order (x = longitude).
pub(super) fn wgs84() -> Result<SpatialRef> {
    let mut s = SpatialRef::from_epsg(4326)
        .map_err(|e| IngestError::Internal(format!("EPSG:4326 unknown to PROJ: {e}")))?;
    s.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    Ok(s)
}

/// Points through a transformation one by one; a point PROJ cannot bring
/// across becomes NaN (and fits no country).
fn transform(t: &CoordTransform, pts: &[(f64, f64)]) -> Vec<(f64, f64)> {
    pts.iter()
        .map(|&(x, y)| {
            let (mut xs, mut ys) = ([x], [y]);
            match t.transform_coords(&mut xs, &mut ys, &mut []) {
                Ok(()) => (xs[0], ys[0]),
                Err(_) => (f64::NAN, f64::NAN),
            }
        })
        .collect()
}

/// For the missing-CRS hint: the WGS 84 / UTM zone (EPSG code and its
/// name) that puts the centre of a layer's projected extent in `country`,
/// or within [`NEAR_KM`] of it, the nearest if several do. `None` when the country has no
/// boundary or no zone does (the Dutch grid is not UTM).
pub(super) fn utm_that_fits(centre: (f64, f64), country: &str) -> Option<(u32, String)> {
    let c = world::country(country, Scale::Checks).ok().flatten()?;
    let boundary = Boundary::new(c);
    let wgs84 = wgs84().ok()?;
    utm_zones(&c.bbox)
        .into_iter()
        .filter_map(|(code, zone, north)| {
            let t = utm_to_wgs84(code, &wgs84)?;
            let (lon, lat) = transform(&t, &[centre])[0];
            if !(lon.is_finite() && lat.is_finite()) {
                return None;
            }
            let d = boundary.outside_km(lon, lat);
            (d <= NEAR_KM).then(|| (d, code, format!("{zone}{}", if north { "N" } else { "S" })))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, code, name)| (code, name))
}

/// Whether a lon/lat point lies in `country` or within [`NEAR_KM`] of it;
/// `None` when the country has no boundary.
pub(super) fn near(point: (f64, f64), country: &str) -> Option<bool> {
    let c = world::country(country, Scale::Checks).ok().flatten()?;
    Some(Boundary::new(c).outside_km(point.0, point.1) <= NEAR_KM)
}

/// Whether lon/lat whose centre lies far from `country` (over
/// [`FAR_KM`]) would lie in it with x and y swapped (the warning of
/// `crs.rs` for a source read as lon/lat).
pub(super) fn swapped_fits(centre: (f64, f64), country: &str) -> bool {
    let Some(c) = world::country(country, Scale::Checks).ok().flatten() else {
        return false;
    };
    let b = Boundary::new(c);
    let (x, y) = centre;
    b.outside_km(x, y) > FAR_KM && (-90.0..=90.0).contains(&x) && b.outside_km(y, x) <= NEAR_KM
}

/// A layer's centre this near its country counts as in it (a country's box
/// centre may lie outside it: Croatia's is in Bosnia).
const NEAR_KM: f64 = 100.0;
/// And this far from it, as plainly elsewhere.
const FAR_KM: f64 = 500.0;

#[cfg(test)]
mod tests {
    use super::*;

    fn check_of(iso3: &str) -> CountryCheck {
        let mut d = Diagnostics::default();
        prepare(Some(iso3), &mut d).unwrap().expect("a boundary")
    }

    /// Lon/lat points of a grid over a box, as read through `code` from
    /// the coordinates the file would hold in `file_code`.
    fn read_as(pts: &[(f64, f64)], file_code: u32, read_code: u32) -> Vec<(f64, f64)> {
        let w = wgs84().unwrap();
        let mut f = SpatialRef::from_epsg(file_code).unwrap();
        f.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
        let raw = transform(&CoordTransform::new(&w, &f).unwrap(), pts);
        transform(&utm_to_wgs84(read_code, &w).unwrap(), &raw)
    }

    fn wkt(code: u32) -> String {
        SpatialRef::from_epsg(code).unwrap().to_wkt().unwrap()
    }

    const AMSTERDAM: [(f64, f64); 3] = [(4.90, 52.37), (4.95, 52.35), (5.10, 52.09)];

    #[test]
    fn user_assigned_codes_are_said_once_and_skipped() {
        let mut d = Diagnostics::default();
        assert!(prepare(Some("XEX"), &mut d).unwrap().is_none());
        assert_eq!(d.items().len(), 1);
        assert_eq!(d.items()[0].code, Code::NoBoundary);
        assert_eq!(d.items()[0].severity, Severity::Info);
        let mut d = Diagnostics::default();
        assert!(prepare(None, &mut d).unwrap().is_none());
        assert!(d.is_empty());
    }

    #[test]
    fn the_neighbouring_zone_is_found() {
        let nld = check_of("NLD");
        // Amsterdam's UTM 31N coordinates read as zone 32N, and the reverse.
        let wrong = read_as(&AMSTERDAM, 32631, 32632);
        assert!(wrong.iter().all(|(x, y)| !nld.fits(*x, *y)));
        let m = diagnose(&nld, &wkt(32632), &wrong).unwrap();
        assert_eq!(
            m,
            Some(Mistake::OtherCrs(
                32631,
                "in the neighbouring UTM zone, 31N".into()
            ))
        );
    }

    #[test]
    fn swapped_and_lon_lat_in_metres_are_found() {
        let nld = check_of("NLD");
        let w = wgs84().unwrap();
        let mut utm = SpatialRef::from_epsg(32631).unwrap();
        utm.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
        let raw = transform(&CoordTransform::new(&w, &utm).unwrap(), &AMSTERDAM);
        let back = CoordTransform::new(&utm, &w).unwrap();
        let swapped: Vec<_> = raw.iter().map(|(x, y)| (*y, *x)).collect();
        let read = transform(&back, &swapped);
        assert_eq!(
            diagnose(&nld, &wkt(32631), &read).unwrap(),
            Some(Mistake::Swapped)
        );
        // Lon/lat numbers under a UTM CRS.
        let read = transform(&back, &AMSTERDAM);
        let m = diagnose(&nld, &wkt(32631), &read).unwrap();
        assert!(matches!(m, Some(Mistake::OtherCrs(4326, _))), "{m:?}");
        // A missing false easting.
        let no_fe: Vec<_> = raw.iter().map(|(x, y)| (x - 500_000.0, *y)).collect();
        let read = transform(&back, &no_fe);
        assert_eq!(
            diagnose(&nld, &wkt(32631), &read).unwrap(),
            Some(Mistake::FalseOrigin(500_000.0, 0.0))
        );
        // Lon/lat with a lost sign: Bogotá read east of Greenwich.
        let col = check_of("COL");
        let m = diagnose(&col, &wkt(4326), &[(74.08, 4.71), (75.5, 6.25)]).unwrap();
        assert_eq!(m, Some(Mistake::Sign(true)));
    }

    #[test]
    fn outside_is_measured_from_the_nearest_vertex_with_a_tolerance() {
        let bih = check_of("BIH");
        let sarajevo = geo::Geometry::Point(geo::Point::new(18.41, 43.86));
        assert_eq!(bih.outside_km(&sarajevo), None);
        let zagreb = geo::Geometry::Point(geo::Point::new(15.98, 45.81));
        let d = bih.outside_km(&zagreb).expect("outside");
        assert!((55.0..80.0).contains(&d), "{d}");
    }

    #[test]
    fn the_hint_names_a_zone_only_when_it_fits() {
        // Phnom Penh in UTM 48N.
        assert_eq!(
            utm_that_fits((491_000.0, 1_279_000.0), "KHM"),
            Some((32648, "48N".into()))
        );
        // Utrecht in the Dutch grid (EPSG:28992) is no UTM zone's Netherlands.
        assert_eq!(utm_that_fits((136_000.0, 455_000.0), "NLD"), None);
        assert_eq!(utm_that_fits((491_000.0, 1_279_000.0), "XEX"), None);
    }
}
