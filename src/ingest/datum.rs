//! The datum mistakes a source's CRS can make that the country outline
//! cannot see: a shift of 100–300 m is far inside the few kilometres
//! Natural Earth's 1:10m borders are good to (`country.rs`), but two other
//! witnesses can tell.
//!
//! - **The file's own CRS.** When the config's `crs` overrides a CRS the
//!   file declares (a `.prj`, a GeoPackage's SRS), and both readings are
//!   plausible (lon/lat in range, near the config's `country`) yet put the
//!   records more than [`CONFLICT_M`] apart, one of them has the wrong datum
//!   (or zone). The build stops (exit 2) and names both; a user who knows
//!   the file's CRS is the wrong one says so with `crs_overrides_file = true`.
//! - **The CRS's area of use.** Every EPSG datum has the region it is
//!   defined for (PROJ's area of use: ED50 for Europe, Indian 1960 for
//!   Cambodia and Vietnam, NAD27 for North America). Records that lie
//!   wholly outside the area of use of their CRS's datum, by more than
//!   [`AREA_MARGIN_DEG`], were not surveyed in it: PROJ would bring them
//!   across with a transformation meant for elsewhere, hundreds of metres
//!   off. The build stops (exit 2), naming the area and, for a UTM
//!   projection, the WGS 84 zone of the same number.
//!
//! - **The records' own WGS 84 points.** IMSMA stores each object's
//!   location point in WGS 84 beside its geometry (`HZ_latitud`,
//!   `HZ_longitu` of an NG GIS export; the canonical `wgs84_lon` and
//!   `wgs84_lat`). When fewer than half of those points lie on or in their
//!   polygon ([`ON_M`]) as the geometry is read, the same file coordinates
//!   are read again in every other datum whose area of use holds them
//!   (the CRS's projection kept, its geographic CRS swapped); one that puts
//!   [`FITS`] of the points on their polygons is named and the build stops
//!   (exit 2) ([`against_points`]). Points that fit no reading (benchmarks
//!   some way off) say nothing.
//!
//! A datum mistake with none of these witnesses (ED50 coordinates declared
//! as WGS 84 / UTM in Bosnia, no file CRS, no location points) is not
//! caught: that needs reference data an order of magnitude finer than the
//! boundaries clearmap carries.

use super::crs::Extent;
use super::error::ConfigRef;
use super::{IngestError, RawGeometry, SourceBatch};
use crate::ingest::error::Result;
use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};

/// Two readings of a source further apart than this (metres) disagree: more
/// than PROJ's own differences between equivalent datums (ETRS89 and
/// WGS 84 are 0 m apart in PROJ, NAD83 and WGS 84 about 1–2 m), less than
/// any datum mistake (tens to hundreds of metres).
pub const CONFLICT_M: f64 = 10.0;

/// How far (degrees) records may lie beyond their datum's area of use
/// before the datum counts as foreign to them: areas of use are drawn
/// along national borders and coasts, and a projection is often used a
/// little beyond them.
pub const AREA_MARGIN_DEG: f64 = 1.0;

/// What the datum checks look at.
pub struct DatumCheck<'a> {
    /// The config's `crs`, as written and as parsed.
    pub config_crs: Option<(&'a str, &'a SpatialRef)>,
    /// The CRS the file declares.
    pub file_srs: Option<&'a SpatialRef>,
    /// `crs_overrides_file = true`: the config's `crs` is meant to replace
    /// a file CRS that is wrong.
    pub overrides_file: bool,
    /// The layer's extent in its own coordinates.
    pub extent: Option<Extent>,
    pub country: Option<&'a str>,
    /// The source, as messages name it.
    pub desc: &'a str,
    pub config: &'a ConfigRef,
}

impl DatumCheck<'_> {
    /// Stop on a conflict between the config's and the file's CRS, or on
    /// records outside their datum's area of use.
    pub fn run(&self) -> Result<()> {
        let Some(extent) = self.extent else {
            return Ok(());
        };
        let probe = probe_points(&extent);
        let chosen = match (self.config_crs, self.file_srs) {
            (Some((def, config_srs)), Some(file_srs)) => {
                if !self.overrides_file {
                    self.conflict(def, config_srs, file_srs, &probe)?;
                }
                config_srs
            }
            (Some((_, s)), None) | (None, Some(s)) => s,
            (None, None) => return Ok(()),
        };
        let Some(lon_lat) = read_as(chosen, &probe) else {
            return Ok(());
        };
        self.area_of_use(chosen, &lon_lat)
    }

    fn conflict(
        &self,
        def: &str,
        config_srs: &SpatialRef,
        file_srs: &SpatialRef,
        probe: &[(f64, f64)],
    ) -> Result<()> {
        if config_srs == file_srs {
            return Ok(());
        }
        // A file CRS under which the coordinates are not lon/lat, or lie
        // far from the country, is plainly wrong: overriding it is what
        // `crs` is for.
        let Some(b) = read_as(file_srs, probe).filter(|b| plausible(b, self.country)) else {
            return Ok(());
        };
        let apart = match read_as(config_srs, probe) {
            // A config reading far from the country is the country check's
            // to name (a wrong zone, swapped axes), with a better answer.
            Some(a) if !plausible(&a, self.country) => return Ok(()),
            Some(a) => {
                let m = a
                    .iter()
                    .zip(&b)
                    .map(|(p, q)| metres(*p, *q))
                    .fold(0.0, f64::max);
                if m <= CONFLICT_M {
                    return Ok(());
                }
                let kind = if same_datum(config_srs, file_srs) {
                    "the same datum in another projection or zone"
                } else {
                    "a datum difference"
                };
                format!("put its records {} m apart ({kind})", m.round())
            }
            // Not lon/lat at all under the config's CRS: every record would
            // be quarantined, the source's land silently missing from the
            // figures.
            None => "disagree: read with the config's crs its coordinates are not valid longitude/latitude at all, read with the file's they are".to_string(),
        };
        Err(IngestError::CrsConflict {
            config: self.config.clone(),
            detail: format!(
                "{}: crs = \"{def}\" ({}) overrides the file's own CRS ({}), and the two {apart}. If the file's CRS is right, delete the crs line; if it is wrong, keep crs and add crs_overrides_file = true to the [[source]]",
                self.desc,
                label(config_srs),
                label(file_srs),
            ),
        })
    }

    fn area_of_use(&self, srs: &SpatialRef, lon_lat: &[(f64, f64)]) -> Result<()> {
        // The datum's area, where PROJ knows it; else the CRS's own.
        let area = srs
            .geog_cs()
            .ok()
            .and_then(|g| g.area_of_use())
            .or_else(|| srs.area_of_use());
        let Some(area) = area else { return Ok(()) };
        let bounds = [
            area.west_lon_degree,
            area.south_lat_degree,
            area.east_lon_degree,
            area.north_lat_degree,
        ];
        // Records read far from the config's country are the country
        // check's to diagnose (a wrong zone, swapped axes), with a better
        // answer than a datum's area.
        if !plausible(lon_lat, self.country) {
            return Ok(());
        }
        if lon_lat
            .iter()
            .any(|&p| area_holds(bounds, AREA_MARGIN_DEG, p))
        {
            return Ok(());
        }
        let (lon, lat) = lon_lat[0];
        let utm = utm_zone(srs).map(|(zone, north)| {
            let code = if north { 32600 + zone } else { 32700 + zone };
            format!(
                "; if the export is in WGS 84 / UTM zone {zone}{}, set crs = \"EPSG:{code}\"",
                if north { "N" } else { "S" }
            )
        });
        let hint = utm.unwrap_or_else(|| {
            "; set crs = \"EPSG:…\" to the CRS the coordinates were exported in".to_string()
        });
        Err(IngestError::CrsAreaOfUse {
            config: self.config.clone(),
            detail: format!(
                "{}: its CRS ({}) has a datum defined for {} (longitude {:.1}…{:.1}, latitude {:.1}…{:.1}), but its records lie at longitude {lon:.3}, latitude {lat:.3}, outside it: the coordinates were not surveyed in that datum{hint}",
                self.desc,
                label(srs),
                area.name.trim_end_matches('.'),
                area.west_lon_degree,
                area.east_lon_degree,
                area.south_lat_degree,
                area.north_lat_degree
            ),
        })
    }
}

/// How near (metres) a location point must lie to its polygon to be on it:
/// IMSMA's points are the polygon's own start point or lie inside it, and
/// six decimals of a degree are 0.1 m.
pub const ON_M: f64 = 5.0;

/// The share of the location points a reading must put on their polygons
/// to be named.
pub const FITS: f64 = 0.8;

/// How many records' points and polygons are tried.
const SAMPLE: usize = 100;

/// Fewer records with a point than this say nothing either way.
const MIN_POINTS: usize = 5;

/// The EPSG codes searched for geographic CRSs (datums): the 2D ones of the
/// EPSG dataset's classic range, and the newer ones of the Balkans (MGI
/// 1901), Taiwan and others below it.
const GEOGRAPHIC_CODES: [std::ops::RangeInclusive<u32>; 2] = [3819..=3906, 4120..=4999];

/// Stop when the records' own WGS 84 location points lie off their
/// polygons and another datum's reading of the same coordinates puts them
/// on (see the module doc).
pub(super) fn against_points(batch: &SourceBatch, config: &ConfigRef) -> Result<()> {
    let pairs: Vec<((f64, f64), &geo::Geometry<f64>)> = batch
        .records
        .iter()
        .filter_map(|r| match (&r.geometry, r.attrs.wgs84_point) {
            (
                RawGeometry::Geo(g @ (geo::Geometry::Polygon(_) | geo::Geometry::MultiPolygon(_))),
                Some(p),
            ) => Some((p, g)),
            _ => None,
        })
        .collect();
    if pairs.len() < MIN_POINTS {
        return Ok(());
    }
    let step = pairs.len().div_ceil(SAMPLE).max(1);
    let sample: Vec<((f64, f64), &geo::Geometry<f64>)> =
        pairs.iter().step_by(step).copied().collect();
    let share = |on: usize| on as f64 / sample.len() as f64;
    let declared_fit = share(sample.iter().filter(|(p, g)| off_m(*p, g) <= ON_M).count());
    if declared_fit >= 0.5 {
        return Ok(());
    }
    let internal = |e: gdal::errors::GdalError| IngestError::Internal(e.to_string());
    let wgs84 = super::country::wgs84()?;
    let mut declared = match &batch.srs {
        Some(wkt) => SpatialRef::from_wkt(wkt).map_err(internal)?,
        None => wgs84.clone(),
    };
    declared.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    // The coordinates as the file holds them.
    let to_file = CoordTransform::new(&wgs84, &declared).map_err(internal)?;
    let file: Vec<geo::Geometry<f64>> = sample
        .iter()
        .filter_map(|(_, g)| through(&to_file, g))
        .collect();
    if file.len() != sample.len() {
        return Ok(());
    }
    let declared_geog = declared.geog_cs().ok();
    let mut best: Option<(f64, SpatialRef)> = None;
    for code in GEOGRAPHIC_CODES.into_iter().flatten() {
        let Ok(geog) = SpatialRef::from_epsg(code) else {
            continue;
        };
        if !geog.is_geographic() || declared_geog.as_ref() == Some(&geog) {
            continue;
        }
        let Some(area) = geog.area_of_use() else {
            continue;
        };
        let bounds = [
            area.west_lon_degree,
            area.south_lat_degree,
            area.east_lon_degree,
            area.north_lat_degree,
        ];
        if !area_holds(bounds, 0.0, sample[0].0) {
            continue;
        }
        let Some(mut candidate) = with_datum(&declared, &geog) else {
            continue;
        };
        candidate.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
        let Ok(t) = CoordTransform::new(&candidate, &wgs84) else {
            continue;
        };
        let fit = share(
            sample
                .iter()
                .zip(&file)
                .filter(|((p, _), f)| through(&t, f).is_some_and(|g| off_m(*p, &g) <= ON_M))
                .count(),
        );
        if fit >= FITS && best.as_ref().is_none_or(|(b, _)| fit > *b) {
            best = Some((fit, candidate));
        }
    }
    let Some((fit, mut found)) = best else {
        return Ok(());
    };
    if let Some(known) = epsg_match(&found) {
        found = known;
    }
    let shown = label(&found);
    let first = &batch.records[0].provenance;
    let line = match (found.auth_name(), found.auth_code()) {
        (Some(auth), Ok(code)) => format!("crs = \"{auth}:{code}\""),
        _ => format!("crs = \"…\" with the EPSG code of {shown}"),
    };
    Err(IngestError::DatumMismatch {
        config: config.clone(),
        detail: format!(
            "{} layer {}: read as {}, {:.0} % of its records' own WGS 84 location points (wgs84_lon, wgs84_lat) lie on their polygons; read as {}, {:.0} % do: the coordinates are in that datum. Set {line} in its [[source]]{}",
            first.file,
            first.layer,
            label(&declared),
            declared_fit * 100.0,
            shown,
            fit * 100.0,
            if batch.srs.is_some() { " (and crs_overrides_file = true if the file itself declares another CRS)" } else { "" }
        ),
    })
}

/// A copy of `srs` on another geographic CRS (datum), its projection kept.
#[allow(unsafe_code)]
fn with_datum(srs: &SpatialRef, geog: &SpatialRef) -> Option<SpatialRef> {
    if srs.is_geographic() {
        return Some(geog.clone());
    }
    let copy = srs.clone();
    // Named for what it is: the old name would be a lie, and PROJ's search
    // for the EPSG CRS it equals (`epsg_match`) goes by name first.
    let name = format!(
        "{} projection on {}",
        srs.name().unwrap_or_default(),
        geog.name().unwrap_or_default()
    );
    let name = std::ffi::CString::new(name).ok()?;
    // SAFETY: both handles are live SpatialRefs; OSRCopyGeogCSFrom replaces
    // the GEOGCS of the first with a copy of the second's, OSRSetProjCS its
    // name with a copy of the NUL-terminated string.
    let rv = unsafe {
        let rv = gdal_sys::OSRCopyGeogCSFrom(copy.to_c_hsrs(), geog.to_c_hsrs());
        gdal_sys::OSRSetProjCS(copy.to_c_hsrs(), name.as_ptr());
        rv
    };
    (rv == gdal_sys::OGRErr::OGRERR_NONE).then_some(copy)
}

/// The EPSG CRS PROJ finds equivalent to `srs` (ED50 with UTM zone 34N's
/// projection is EPSG:23034): a candidate of PROJ's that is the same CRS
/// but for its name (which the swapped datum left as it was, so PROJ's
/// confidence is lowered).
#[allow(unsafe_code)]
fn epsg_match(srs: &SpatialRef) -> Option<SpatialRef> {
    let mut n: std::ffi::c_int = 0;
    let mut confidence: *mut std::ffi::c_int = std::ptr::null_mut();
    // SAFETY: OSRFindMatches reads the live handle and returns an owned
    // NULL-terminated array of `n` handles and an owned array of `n`
    // confidences (CPLFree'd below); each handle is cloned before the array
    // is freed with OSRFreeSRSArray.
    unsafe {
        let found = gdal_sys::OSRFindMatches(
            srs.to_c_hsrs(),
            std::ptr::null_mut(),
            &mut n,
            &mut confidence,
        );
        let mut best = None;
        if !found.is_null() && !confidence.is_null() {
            for i in 0..usize::try_from(n).unwrap_or(0) {
                let h = *found.add(i);
                let c = *confidence.add(i);
                if c >= 25 && !h.is_null() && best.is_none() {
                    // from_c_obj clones the handle: the array keeps its own.
                    best = SpatialRef::from_c_obj(h).ok().filter(|m| m == srs);
                }
            }
        }
        if !found.is_null() {
            gdal_sys::OSRFreeSRSArray(found);
        }
        if !confidence.is_null() {
            gdal_sys::VSIFree(confidence.cast());
        }
        best
    }
}

/// A geometry through a transformation; `None` where PROJ fails.
fn through(t: &CoordTransform, g: &geo::Geometry<f64>) -> Option<geo::Geometry<f64>> {
    use geo::MapCoords;
    g.try_map_coords(|c| {
        let (mut xs, mut ys) = ([c.x], [c.y]);
        t.transform_coords(&mut xs, &mut ys, &mut [])
            .map(|()| geo::coord! { x: xs[0], y: ys[0] })
    })
    .ok()
}

/// Metres from a lon/lat point to a lon/lat polygon (0 inside), in a local
/// equirectangular frame: exact enough at a few metres.
fn off_m((lon, lat): (f64, f64), g: &geo::Geometry<f64>) -> f64 {
    use geo::{Distance, Euclidean, MapCoords};
    let k = lat.to_radians().cos();
    let scaled = g.map_coords(|c| geo::coord! { x: c.x * k, y: c.y });
    Euclidean.distance(&geo::Point::new(lon * k, lat), &scaled) * 111_195.0
}

/// The extent's centre and corners.
fn probe_points(e: &Extent) -> Vec<(f64, f64)> {
    vec![
        ((e.min_x + e.max_x) / 2.0, (e.min_y + e.max_y) / 2.0),
        (e.min_x, e.min_y),
        (e.max_x, e.max_y),
        (e.min_x, e.max_y),
        (e.max_x, e.min_y),
    ]
}

/// The points read in `srs`, as WGS 84 lon/lat; `None` when PROJ cannot
/// bring one of them across.
fn read_as(srs: &SpatialRef, pts: &[(f64, f64)]) -> Option<Vec<(f64, f64)>> {
    let mut from = srs.clone();
    from.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let t = CoordTransform::new(&from, &super::country::wgs84().ok()?).ok()?;
    let mut xs: Vec<f64> = pts.iter().map(|p| p.0).collect();
    let mut ys: Vec<f64> = pts.iter().map(|p| p.1).collect();
    t.transform_coords(&mut xs, &mut ys, &mut []).ok()?;
    let out: Vec<(f64, f64)> = xs.into_iter().zip(ys).collect();
    out.iter()
        .all(|&(x, y)| (-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y))
        .then_some(out)
}

/// Lon/lat that could be the records' place: near the country when there
/// is one with a boundary.
fn plausible(pts: &[(f64, f64)], country: Option<&str>) -> bool {
    match country {
        Some(c) => super::country::near(pts[0], c).unwrap_or(true),
        None => true,
    }
}

/// Distance in metres between two lon/lat points (geo's haversine on the
/// mean radius: a message's figure, not a measurement).
fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    use geo::{Distance, Haversine};
    Haversine.distance(geo::Point::from(a), geo::Point::from(b))
}

/// Whether a datum's area of use, grown by `margin` degrees, holds a
/// lon/lat point; an area across the antimeridian (Fiji's, New Zealand's)
/// has its west beyond its east.
/// `area` is west, south, east, north (gdal does not export its type).
fn area_holds([west, south, east, north]: [f64; 4], margin: f64, (lon, lat): (f64, f64)) -> bool {
    let (w, e) = (west - margin, east + margin);
    let in_lon = if west <= east {
        (w..=e).contains(&lon)
    } else {
        lon >= w || lon <= e
    };
    in_lon && (south - margin..=north + margin).contains(&lat)
}

fn same_datum(a: &SpatialRef, b: &SpatialRef) -> bool {
    match (a.geog_cs(), b.geog_cs()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// A CRS as a person knows it: its name and EPSG code where it has one.
fn label(s: &SpatialRef) -> String {
    let name = s.name().unwrap_or_else(|| "an unnamed CRS".to_string());
    match (s.auth_name(), s.auth_code()) {
        (Some(auth), Ok(code)) => format!("{name}, {auth}:{code}"),
        _ => name,
    }
}

/// The UTM zone of a UTM projection (zone, north).
#[allow(unsafe_code)]
fn utm_zone(s: &SpatialRef) -> Option<(u32, bool)> {
    let mut north: std::ffi::c_int = 0;
    // SAFETY: OSRGetUTMZone reads the CRS behind the live handle and writes
    // one int through the pointer it is given.
    let zone = unsafe { gdal_sys::OSRGetUTMZone(s.to_c_hsrs(), &mut north) };
    u32::try_from(zone)
        .ok()
        .filter(|z| (1..=60).contains(z))
        .map(|z| (z, north != 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn srs(def: &str) -> SpatialRef {
        SpatialRef::from_definition(def).expect("known CRS")
    }

    fn config() -> ConfigRef {
        ConfigRef(Some(std::path::PathBuf::from("clearmap.toml")))
    }

    /// The extent of `lon_lat` points written in `code`'s coordinates.
    fn extent_in(code: u32, pts: &[(f64, f64)]) -> Extent {
        let mut from = SpatialRef::from_epsg(4326).expect("4326");
        from.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
        let mut to = SpatialRef::from_epsg(code).expect("code");
        to.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
        let t = CoordTransform::new(&from, &to).expect("transform");
        let mut xs: Vec<f64> = pts.iter().map(|p| p.0).collect();
        let mut ys: Vec<f64> = pts.iter().map(|p| p.1).collect();
        t.transform_coords(&mut xs, &mut ys, &mut []).expect("ok");
        Extent {
            min_x: xs.iter().copied().fold(f64::INFINITY, f64::min),
            max_x: xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            min_y: ys.iter().copied().fold(f64::INFINITY, f64::min),
            max_y: ys.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        }
    }

    const SARAJEVO: [(f64, f64); 2] = [(18.3, 43.8), (18.5, 43.9)];

    #[test]
    fn a_config_crs_of_another_datum_than_the_file_stops_the_build() {
        let (c, f) = (srs("EPSG:32634"), srs("EPSG:23034"));
        let cfg = config();
        let check = DatumCheck {
            config_crs: Some(("EPSG:32634", &c)),
            file_srs: Some(&f),
            overrides_file: false,
            extent: Some(extent_in(23034, &SARAJEVO)),
            country: Some("BIH"),
            desc: "h.shp layer h",
            config: &cfg,
        };
        let err = check.run().expect_err("conflict").to_string();
        assert!(err.contains("ED50 / UTM zone 34N"), "{err}");
        assert!(err.contains("crs_overrides_file = true"), "{err}");
        assert!(err.contains("a datum difference"), "{err}");
        let check = DatumCheck {
            overrides_file: true,
            ..check
        };
        check.run().expect("the override is deliberate");
    }

    #[test]
    fn a_config_crs_under_which_the_files_metres_are_no_lon_lat_stops_the_build() {
        // A shapefile whose .prj says WGS 84 / UTM 34N, read as EPSG:4326:
        // every record would be quarantined and the source's land lost.
        let (c, f) = (srs("EPSG:4326"), srs("EPSG:32634"));
        let cfg = config();
        let check = DatumCheck {
            config_crs: Some(("EPSG:4326", &c)),
            file_srs: Some(&f),
            overrides_file: false,
            extent: Some(extent_in(32634, &SARAJEVO)),
            country: Some("BIH"),
            desc: "h.shp layer h",
            config: &cfg,
        };
        let err = check.run().expect_err("conflict").to_string();
        assert!(err.contains("WGS 84 / UTM zone 34N"), "{err}");
        assert!(err.contains("not valid longitude/latitude"), "{err}");
        assert!(err.contains("crs_overrides_file = true"), "{err}");
        let check = DatumCheck {
            country: None,
            ..check
        };
        check.run().expect_err("with no country too");
    }

    #[test]
    fn an_equivalent_or_plainly_wrong_file_crs_is_no_conflict() {
        let cfg = config();
        // The same CRS said twice.
        let (c, f) = (srs("EPSG:32634"), srs("EPSG:32634"));
        let check = DatumCheck {
            config_crs: Some(("EPSG:32634", &c)),
            file_srs: Some(&f),
            overrides_file: false,
            extent: Some(extent_in(32634, &SARAJEVO)),
            country: Some("BIH"),
            desc: "h",
            config: &cfg,
        };
        check.run().expect("same CRS");
        // A GeoJSON of projected metres: the file's lon/lat is impossible.
        let g = srs("EPSG:4326");
        let check = DatumCheck {
            file_srs: Some(&g),
            ..check
        };
        check.run().expect("overriding an impossible CRS");
    }

    #[test]
    fn records_outside_their_datums_area_of_use_stop_the_build() {
        let cfg = config();
        let phnom_penh = [(104.9, 11.5), (105.0, 11.6)];
        // Indian 1960 / UTM zone 48N is Cambodia's own: in its area.
        let indian = srs("EPSG:3148");
        let check = DatumCheck {
            config_crs: Some(("EPSG:3148", &indian)),
            file_srs: None,
            overrides_file: false,
            extent: Some(extent_in(3148, &phnom_penh)),
            country: None,
            desc: "h",
            config: &cfg,
        };
        check.run().expect("in Indian 1960's area");
        // ED50 / UTM zone 48N does not exist; ED50 / UTM 38N's Europe is
        // 3,000 km from UTM 38N metres of a place in Cambodia's latitudes
        // (read in zone 38 they lie in the Horn of Africa).
        let ed50 = srs("EPSG:23038");
        let check = DatumCheck {
            config_crs: Some(("EPSG:23038", &ed50)),
            extent: Some(extent_in(32638, &[(44.9, 11.5), (45.0, 11.6)])),
            ..check
        };
        let err = check.run().expect_err("foreign datum").to_string();
        assert!(err.contains("ED50"), "{err}");
        assert!(err.contains("EPSG:32638"), "{err}");
        assert!(err.contains("longitude 44.9"), "{err}");
    }

    #[test]
    fn metres_are_metres() {
        let d = metres((18.0, 44.0), (18.0, 44.001));
        assert!((d - 111.2).abs() < 0.5, "{d}");
    }
}
