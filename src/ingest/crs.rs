//! Which CRS a source's coordinates are in, and whether the coordinates look
//! like it, decided from the layer's extent before any feature is read.
//!
//! Owns the rules: the config's `crs` overrides or fills the file's; a source
//! with no CRS must hold plausible lon/lat, or it is an error that shows the
//! `crs = "EPSG:…"` line to add (a UTM zone when the numbers look like UTM and
//! the config's `country` tells which zone); lat/lon swapped and metres in a
//! degree CRS are reported, never silently fixed.

use super::IngestError;
use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::ingest::error::Result;
use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
use std::path::Path;

/// A layer's bounding box in its own coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Extent {
    pub min_x: f64,
    pub min_y: f64,
    pub max_x: f64,
    pub max_y: f64,
}

impl Extent {
    fn within(&self, x: f64, y: f64) -> bool {
        self.min_x >= -x && self.max_x <= x && self.min_y >= -y && self.max_y <= y
    }
    fn centre(&self) -> (f64, f64) {
        (
            (self.min_x + self.max_x) / 2.0,
            (self.min_y + self.max_y) / 2.0,
        )
    }
}

/// How a source's coordinates reach WGS84.
pub struct CrsPlan {
    /// The source CRS (traditional GIS axis order); `None` = WGS84 lon/lat as read.
    pub srs: Option<SpatialRef>,
    /// `None` when the coordinates are WGS84 lon/lat already.
    pub to_wgs84: Option<CoordTransform>,
    /// The coordinates cannot be right: every record is quarantined with this.
    pub quarantine: Option<(Code, String)>,
    /// Suspicious, but used as read.
    pub warning: Option<(Code, String)>,
    /// An assumption worth knowing: no CRS was declared and WGS84 lon/lat
    /// was taken because the coordinates look like it.
    pub info: Option<(Code, String)>,
}

impl CrsPlan {
    /// The source-level diagnostics of the plan: its warning, and the
    /// quarantine of every record when the coordinates cannot be right.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        if let Some((code, message)) = &self.info {
            out.push(Diagnostic::new(*code, Severity::Info, message.clone()));
        }
        if let Some((code, message)) = &self.warning {
            out.push(Diagnostic::new(*code, Severity::Warning, message.clone()));
        }
        if let Some((code, message)) = &self.quarantine {
            out.push(
                Diagnostic::new(*code, Severity::Error, message.clone())
                    .fix("every record of the source quarantined"),
            );
        }
        out
    }

    /// The source CRS as WKT (`None`: WGS84 lon/lat as read).
    pub fn wkt(&self) -> Option<String> {
        self.srs.as_ref().and_then(|s| s.to_wkt().ok())
    }

    /// Whether bearings and distances must be resolved on the ellipsoid.
    pub fn is_geographic(&self) -> bool {
        self.srs.as_ref().is_none_or(SpatialRef::is_geographic)
    }
}

/// What decides the CRS of a source.
pub struct CrsInput<'a> {
    /// The `[[source]]`'s `crs`.
    pub config_crs: Option<&'a str>,
    /// The `[[source]]`'s `crs_overrides_file`.
    pub overrides_file: bool,
    /// The CRS the file declares.
    pub layer_srs: Option<SpatialRef>,
    /// The layer's extent in its own coordinates.
    pub extent: Option<Extent>,
    pub country: Option<&'a str>,
    /// The source, as messages name it.
    pub desc: &'a str,
    pub path: &'a Path,
    pub config: &'a crate::ingest::error::ConfigRef,
}

/// Decide the CRS of a source, after the datum checks of `datum.rs`.
pub fn plan(input: CrsInput) -> Result<CrsPlan> {
    let CrsInput {
        config_crs,
        overrides_file,
        layer_srs,
        extent,
        country,
        desc,
        path,
        config: config_path,
    } = input;
    let config_srs = match config_crs {
        Some(def) => {
            Some(
                SpatialRef::from_definition(def).map_err(|e| IngestError::UnknownCrs {
                    config: config_path.clone(),
                    crs: def.to_string(),
                    reason: e.to_string(),
                })?,
            )
        }
        None => None,
    };
    super::datum::DatumCheck {
        config_crs: config_crs.zip(config_srs.as_ref()),
        file_srs: layer_srs.as_ref(),
        overrides_file,
        extent,
        country,
        desc,
        config: config_path,
    }
    .run()?;
    let srs = config_srs.or(layer_srs);
    let mut plan = CrsPlan {
        srs: None,
        to_wgs84: None,
        quarantine: None,
        warning: None,
        info: None,
    };
    let geographic = srs.as_ref().is_none_or(SpatialRef::is_geographic);
    if let (Some(e), true) = (extent, geographic) {
        let suggestion = suggest(&e, country);
        if srs.is_none() && !e.within(180.0, 90.0) && !swapped(&e) {
            return Err(IngestError::NoCrs {
                config: config_path.clone(),
                desc: desc.to_string(),
                suggestion,
            });
        }
        if srs.is_none() && e.within(180.0, 90.0) && !swapped(&e) {
            // Said, not silent: a projected export whose numbers happen to
            // fall within ±180/±90 would otherwise pass unnoticed.
            plan.info = Some((
                Code::CrsAssumed,
                format!(
                    "{desc} declares no CRS; its coordinates (x {:.3}…{:.3}, y {:.3}…{:.3}) look like longitude/latitude, so it is read as WGS 84 (EPSG:4326); if it is not, add crs = \"EPSG:…\" to its [[source]]",
                    e.min_x, e.max_x, e.min_y, e.max_y
                ),
            ));
        }
        if swapped(&e) {
            plan.quarantine = Some((
                Code::SwappedAxes,
                format!(
                    "{desc}: every x is within ±90 but y reaches {:.3}…{:.3}: latitude and longitude look swapped; export x = longitude, y = latitude",
                    e.min_y, e.max_y
                ),
            ));
        } else if !e.within(180.0, 90.0) {
            plan.quarantine = Some((
                Code::ProjectedInGeographic,
                format!(
                    "{desc} says its CRS is geographic (degrees) but its coordinates are not degrees; if they are projected, set {suggestion}"
                ),
            ));
        } else if let Some(c) = country {
            let (cx, cy) = e.centre();
            if super::country::swapped_fits((cx, cy), c) {
                plan.warning = Some((
                    Code::SwappedAxes,
                    format!(
                        "{desc}: its centre ({cx:.3}, {cy:.3}) lies far from {c} but its swapped centre ({cy:.3}, {cx:.3}) in it: latitude and longitude may be swapped"
                    ),
                ));
            }
        }
    }
    let Some(mut srs) = srs else { return Ok(plan) };
    srs.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let mut wgs84 = SpatialRef::from_epsg(4326)
        .map_err(|e| IngestError::Internal(format!("EPSG:4326 unknown to PROJ: {e}")))?;
    wgs84.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    plan.to_wgs84 =
        Some(
            CoordTransform::new(&srs, &wgs84).map_err(|e| IngestError::NoTransformation {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?,
        );
    plan.srs = Some(srs);
    Ok(plan)
}

/// Lon and lat swapped: every x a valid latitude, some y beyond one.
fn swapped(e: &Extent) -> bool {
    e.within(90.0, 180.0) && !e.within(90.0, 90.0)
}

/// The `crs = …` line to suggest for coordinates that are not degrees. It
/// says what the numbers look like (projected metres and their range) and
/// names a WGS 84 / UTM zone only when, read in it, the extent's centre
/// lies in the config's `country` (the test of `country.rs`): never a
/// projection family guessed from the numbers alone.
pub fn suggest(e: &Extent, country: Option<&str>) -> String {
    let range = format!(
        "the values look like projected metres: x from {:.0} to {:.0}, y from {:.0} to {:.0}",
        e.min_x, e.max_x, e.min_y, e.max_y
    );
    if let Some(c) = country {
        if let Some((code, zone)) = super::country::utm_that_fits(e.centre(), c) {
            return format!(
                "crs = \"EPSG:NNNN\", the EPSG code of the export's projected CRS ({range}); read as WGS 84 / UTM zone {zone} they lie in {c}: crs = \"EPSG:{code}\""
            );
        }
    }
    format!("crs = \"EPSG:NNNN\", the EPSG code of the export's projected CRS ({range})")
}

/// The diagnostic of a record PROJ could not bring to WGS84.
pub fn unprojectable(
    e: &dyn std::fmt::Display,
    prov: &crate::model::Provenance,
) -> crate::diagnostics::Diagnostic {
    crate::diagnostics::Diagnostic::new(
        crate::diagnostics::Code::NonFiniteCoordinate,
        crate::diagnostics::Severity::Error,
        format!("coordinates cannot be reprojected to WGS84: {e}"),
    )
    .record(prov)
    .fix("record quarantined")
}

/// The diagnostic of a record quarantined because its source's coordinates do
/// not fit the source's CRS (the source-level diagnostic says why).
pub fn misfit(
    code: crate::diagnostics::Code,
    prov: &crate::model::Provenance,
) -> crate::diagnostics::Diagnostic {
    crate::diagnostics::Diagnostic::new(
        code,
        crate::diagnostics::Severity::Error,
        "coordinates do not fit the source's CRS (see the source-level diagnostic)",
    )
    .record(prov)
    .fix("record quarantined")
}

/// Whether an extent is within longitude/latitude bounds.
pub(super) fn is_lon_lat(e: &Extent) -> bool {
    e.min_x >= -180.0 && e.max_x <= 180.0 && e.min_y >= -90.0 && e.max_y <= 90.0
}

/// The version of PROJ that GDAL transforms with (major, minor, patch).
#[allow(unsafe_code)]
pub fn proj_version() -> (i32, i32, i32) {
    let (mut major, mut minor, mut patch) = (0, 0, 0);
    // SAFETY: OSRGetPROJVersion only writes the three integers it is given.
    unsafe { gdal_sys::OSRGetPROJVersion(&mut major, &mut minor, &mut patch) };
    (major, minor, patch)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ext(min_x: f64, min_y: f64, max_x: f64, max_y: f64) -> Extent {
        Extent {
            min_x,
            min_y,
            max_x,
            max_y,
        }
    }

    #[test]
    fn utm_suggestion_uses_the_country_zone() {
        let e = ext(500_000.0, 1_400_000.0, 500_100.0, 1_400_100.0);
        assert!(suggest(&e, Some("KHM")).ends_with("crs = \"EPSG:32648\""));
        // The same numbers are nowhere in Angola: no zone is named.
        assert!(!suggest(&e, Some("AGO")).contains("UTM"));
        let luena = ext(500_000.0, 8_640_000.0, 500_100.0, 8_640_100.0);
        assert!(suggest(&luena, Some("AGO")).ends_with("crs = \"EPSG:32733\""));
        assert!(suggest(&e, None).starts_with("crs = \"EPSG:NNNN\""));
    }

    #[test]
    fn dutch_grid_is_not_called_utm() {
        // EPSG:28992 (Amersfoort / RD New) coordinates around Utrecht.
        let e = ext(120_000.0, 440_000.0, 160_000.0, 470_000.0);
        let s = suggest(&e, Some("NLD"));
        assert!(!s.contains("UTM"), "{s}");
        assert!(
            s.contains("projected metres: x from 120000 to 160000, y from 440000 to 470000"),
            "{s}"
        );
    }

    fn plan_of(
        crs: Option<&str>,
        extent: Option<Extent>,
        country: Option<&str>,
        desc: &str,
    ) -> Result<CrsPlan> {
        plan(CrsInput {
            config_crs: crs,
            overrides_file: false,
            layer_srs: None,
            extent,
            country,
            desc,
            path: Path::new(desc),
            config: &crate::ingest::error::ConfigRef(Some("c.toml".into())),
        })
    }

    #[test]
    fn lon_lat_without_crs_is_said() {
        let p = plan_of(None, Some(ext(105.0, 12.0, 105.1, 12.1)), None, "h.csv").unwrap();
        let (code, msg) = p.info.expect("info");
        assert_eq!(code, Code::CrsAssumed);
        assert!(msg.contains("h.csv") && msg.contains("EPSG:4326"), "{msg}");
        let p = plan_of(
            Some("EPSG:4326"),
            Some(ext(105.0, 12.0, 105.1, 12.1)),
            None,
            "h.csv",
        )
        .unwrap();
        assert!(p.info.is_none());
    }

    #[test]
    fn no_crs_and_metres_is_a_config_error() {
        let e = ext(500_000.0, 1_400_000.0, 500_100.0, 1_400_100.0);
        let err = plan_of(None, Some(e), Some("KHM"), "h.csv")
            .err()
            .expect("error");
        let msg = err.to_string();
        assert!(msg.contains("crs = \"EPSG:32648\""), "{msg}");
        assert!(matches!(err, IngestError::NoCrs { .. }));
        assert_eq!(
            crate::error::Error::from(err).exit_code(),
            crate::error::exit::USAGE
        );
    }

    #[test]
    fn swapped_and_metres_in_degrees_are_reported() {
        let p = plan_of(None, Some(ext(12.0, 104.0, 12.1, 105.0)), None, "s").unwrap();
        assert_eq!(p.quarantine.unwrap().0, Code::SwappedAxes);
        let p = plan_of(
            Some("EPSG:4326"),
            Some(ext(500_000.0, 1_400_000.0, 500_100.0, 1_400_100.0)),
            None,
            "s",
        )
        .unwrap();
        assert_eq!(p.quarantine.unwrap().0, Code::ProjectedInGeographic);
        // Bosnia swapped: both within ±90, only the country hint tells.
        let p = plan_of(None, Some(ext(44.0, 17.5, 44.5, 18.0)), Some("BIH"), "s").unwrap();
        assert_eq!(p.warning.unwrap().0, Code::SwappedAxes);
        let p = plan_of(None, Some(ext(17.5, 44.0, 18.0, 44.5)), Some("BIH"), "s").unwrap();
        assert!(p.warning.is_none() && p.quarantine.is_none());
    }
}
