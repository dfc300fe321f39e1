//! Geometry checks and repairs. Each defect found becomes a [`Finding`]; the
//! geometry that comes out is a valid WGS84 multipolygon with counter-clockwise
//! exteriors and clockwise holes (RFC 7946, and what geodesic area and
//! `unary_union` expect).
//!
//! Only what geo's validity rules reject is rebuilt: repairing already valid
//! polygons can move real vertices (docs/facts.md). The rules are checked by
//! `geometry::polygon_error` and `geometry::multipolygon_is_valid`, geo's
//! answers without its all-pairs loops (a ring of 100k vertices in well under
//! a second rather than minutes).

use crate::diagnostics::{Code, Place, Severity};
use crate::geometry::{
    even_odd_rebuild, merge_parts, multipolygon_is_valid, polygon_error, self_crossing,
};
use geo::orient::{Direction, Orient};
use geo::{Coord, Geometry, LineString, MultiPolygon, Polygon, Winding};

/// One defect found and what was done about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub fix: Option<String>,
    /// Where the defect is, when it is more precise than the record's
    /// geometry (the crossing of a self-intersection).
    pub place: Option<Place>,
}

impl Finding {
    fn fixed(code: Code, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Finding {
            code,
            severity: Severity::Warning,
            message: message.into(),
            fix: Some(fix.into()),
            place: None,
        }
    }

    fn fatal(code: Code, message: impl Into<String>) -> Self {
        Finding {
            code,
            severity: Severity::Error,
            message: message.into(),
            fix: Some("record quarantined".into()),
            place: None,
        }
    }
}

/// The options that change what counts as a defect.
#[derive(Debug, Clone, Copy, Default)]
pub struct RepairOptions {
    /// The format stores exteriors clockwise (Shapefile, File Geodatabase):
    /// their winding is convention, not a defect worth reporting.
    pub clockwise_convention: bool,
}

/// A repaired geometry with the defects fixed on the way, or the finding that
/// quarantines the record with the defects seen before it.
pub type Repaired = Result<(MultiPolygon<f64>, Vec<Finding>), (Finding, Vec<Finding>)>;

/// Check and repair one geometry. `Err` holds the finding that quarantines the
/// record; `Ok` holds the repaired geometry and every defect that was fixed.
pub fn repair(geometry: &Geometry<f64>, opts: RepairOptions) -> Repaired {
    let mut findings = Vec::new();
    let polygons = match polygons_of(geometry, &mut findings) {
        Ok(p) => p,
        Err(f) => return Err((f, findings)),
    };
    if polygons.is_empty() {
        return Err((
            Finding::fatal(Code::EmptyGeometry, "geometry is empty"),
            findings,
        ));
    }
    let mut cleaned = Vec::with_capacity(polygons.len());
    let mut wrong_winding = false;
    for poly in polygons {
        if let Some(f) = non_finite(&poly) {
            return Err((f, findings));
        }
        let (exterior, interiors) = poly.into_inner();
        let Some(exterior) = clean_ring(exterior, "exterior", &mut findings) else {
            continue;
        };
        let interiors: Vec<_> = interiors
            .into_iter()
            .filter_map(|r| clean_ring(r, "hole", &mut findings))
            .collect();
        wrong_winding |= exterior.is_cw() || interiors.iter().any(|r| r.is_ccw());
        cleaned.push(Polygon::new(exterior, interiors));
    }
    if wrong_winding && !opts.clockwise_convention {
        findings.push(Finding {
            code: Code::WrongWinding,
            severity: Severity::Info,
            message: "rings wound against RFC 7946 (exterior clockwise or hole counter-clockwise)"
                .into(),
            fix: Some("reoriented".into()),
            place: None,
        });
    }
    let mut valid = Vec::with_capacity(cleaned.len());
    for poly in cleaned {
        let poly = poly.orient(Direction::Default);
        let Some(error) = polygon_error(&poly) else {
            valid.push(poly);
            continue;
        };
        let reason = error.to_string();
        // The even-odd self-union resolves bow-ties and crossing rings the way
        // GEOS make_valid does for polygon parts (docs/facts.md).
        let fixed = even_odd_rebuild(&poly);
        let mut f = Finding::fixed(
            Code::SelfIntersection,
            format!("invalid polygon: {reason}"),
            "rebuilt with the even-odd rule (crossing lobes kept as separate parts)",
        );
        f.place = self_crossing(&poly).map(Place::Point);
        findings.push(f);
        valid.extend(fixed.0.into_iter().map(|p| p.orient(Direction::Default)));
    }
    valid.retain(|p| p.exterior().0.len() >= 4);
    if valid.is_empty() {
        return Err((
            Finding::fatal(
                Code::EmptyGeometry,
                "no polygon with area is left after repair",
            ),
            findings,
        ));
    }
    let mut mp = MultiPolygon::new(valid);
    if mp.0.len() > 1 && !multipolygon_is_valid(&mp) {
        mp = merge_parts(&mp.0).orient(Direction::Default);
        findings.push(Finding::fixed(
            Code::OverlappingParts,
            "parts of the multipolygon overlap or share an edge",
            "parts merged by union (their land counted once)",
        ));
    }
    if mp.0.is_empty() {
        return Err((
            Finding::fatal(
                Code::EmptyGeometry,
                "no polygon with area is left after repair",
            ),
            findings,
        ));
    }
    Ok((mp, findings))
}

/// The polygons of a geometry, or the finding that quarantines it.
fn polygons_of(
    g: &Geometry<f64>,
    findings: &mut Vec<Finding>,
) -> Result<Vec<Polygon<f64>>, Finding> {
    match g {
        Geometry::Polygon(p) => Ok(vec![p.clone()]),
        Geometry::MultiPolygon(mp) => Ok(mp.0.clone()),
        Geometry::Rect(r) => Ok(vec![r.to_polygon()]),
        Geometry::Triangle(t) => Ok(vec![t.to_polygon()]),
        Geometry::GeometryCollection(gc) => {
            let mut out = Vec::new();
            let mut other = 0;
            for m in gc.iter() {
                match polygons_of(m, findings) {
                    Ok(p) => out.extend(p),
                    Err(_) => other += 1,
                }
            }
            if gc.0.is_empty() {
                return Err(Finding::fatal(Code::EmptyGeometry, "geometry is empty"));
            }
            if out.is_empty() {
                return Err(Finding::fatal(
                    Code::UnsupportedGeometry,
                    "geometry collection holds no polygon; hazards and releases need areas",
                ));
            }
            if other > 0 {
                findings.push(Finding::fixed(
                    Code::UnsupportedGeometry,
                    format!("geometry collection holds {other} non-polygon member(s)"),
                    "non-polygon members ignored",
                ));
            }
            Ok(out)
        }
        other => Err(Finding::fatal(
            Code::UnsupportedGeometry,
            format!(
                "{} geometry; hazards and releases need polygons",
                geometry_name(other)
            ),
        )),
    }
}

fn geometry_name(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::Line(_) => "Line",
        Geometry::LineString(_) => "LineString",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::Polygon(_) => "Polygon",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        Geometry::GeometryCollection(_) => "GeometryCollection",
        Geometry::Rect(_) => "Rect",
        Geometry::Triangle(_) => "Triangle",
    }
}

fn non_finite(p: &Polygon<f64>) -> Option<Finding> {
    let bad = std::iter::once(p.exterior())
        .chain(p.interiors())
        .flat_map(|r| r.0.iter())
        .find(|c| !c.x.is_finite() || !c.y.is_finite() || c.x.abs() > 180.0 || c.y.abs() > 90.0)?;
    Some(Finding::fatal(
        Code::NonFiniteCoordinate,
        format!(
            "coordinate ({}, {}) is not a longitude/latitude; if the source is projected, set crs = \"EPSG:…\" in its [[source]]",
            bad.x, bad.y
        ),
    ))
}

/// Remove a doubled closing vertex and consecutive duplicates; `None` when fewer
/// than three distinct vertices remain.
fn clean_ring(
    ring: LineString<f64>,
    what: &str,
    findings: &mut Vec<Finding>,
) -> Option<LineString<f64>> {
    let mut pts: Vec<Coord<f64>> = ring.0;
    let n = pts.len();
    if n >= 3 && pts[n - 1] == pts[n - 2] && pts[n - 1] == pts[0] {
        findings.push(Finding::fixed(
            Code::DoubleClosure,
            format!("{what} ring repeats its closing vertex"),
            "extra closing vertex removed",
        ));
        pts.pop();
    }
    let before = pts.len();
    pts.dedup();
    if pts.len() < before {
        findings.push(Finding::fixed(
            Code::DuplicateVertex,
            format!(
                "{what} ring has {} repeated consecutive vertices",
                before - pts.len()
            ),
            "repeated vertices removed",
        ));
    }
    if pts.first() != pts.last() {
        if let Some(&first) = pts.first() {
            pts.push(first);
        }
    }
    if pts.len() < 4 {
        findings.push(Finding {
            code: Code::DegenerateRing,
            severity: Severity::Warning,
            message: format!("{what} ring has fewer than 3 distinct vertices"),
            fix: Some(format!("{what} ring dropped")),
            place: None,
        });
        return None;
    }
    Some(LineString(pts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, Area, Validation};

    fn codes(f: &[Finding]) -> Vec<Code> {
        f.iter().map(|f| f.code).collect()
    }

    #[test]
    fn bow_tie_becomes_two_triangles() {
        let p = polygon![(x: 0., y: 0.), (x: 1., y: 1.), (x: 1., y: 0.), (x: 0., y: 1.), (x: 0., y: 0.)];
        let (mp, f) = repair(&Geometry::Polygon(p), RepairOptions::default()).unwrap();
        assert!(codes(&f).contains(&Code::SelfIntersection));
        let crossing = f.iter().find(|f| f.code == Code::SelfIntersection).unwrap();
        assert_eq!(
            crossing.place,
            Some(Place::Point(geo::point!(x: 0.5, y: 0.5)))
        );
        assert_eq!(mp.0.len(), 2);
        assert!((mp.unsigned_area() - 0.5).abs() < 1e-12);
        assert!(mp.is_valid());
        assert!(mp.0.iter().all(|p| p.exterior().is_ccw()));
    }

    #[test]
    fn clockwise_is_reoriented_and_reported() {
        let p = polygon![(x: 0., y: 0.), (x: 0., y: 1.), (x: 1., y: 1.), (x: 1., y: 0.), (x: 0., y: 0.)];
        let (mp, f) = repair(&Geometry::Polygon(p.clone()), RepairOptions::default()).unwrap();
        assert_eq!(codes(&f), vec![Code::WrongWinding]);
        assert!(mp.0[0].exterior().is_ccw());
        let (_, f) = repair(
            &Geometry::Polygon(p),
            RepairOptions {
                clockwise_convention: true,
            },
        )
        .unwrap();
        assert!(f.is_empty());
    }

    #[test]
    fn duplicate_vertices_and_double_closure() {
        let ring = LineString::from(vec![
            (0., 0.),
            (1., 0.),
            (1., 0.),
            (1., 1.),
            (0., 1.),
            (0., 0.),
            (0., 0.),
        ]);
        let p = Polygon::new(ring, vec![]);
        let (mp, f) = repair(&Geometry::Polygon(p), RepairOptions::default()).unwrap();
        assert_eq!(codes(&f), vec![Code::DoubleClosure, Code::DuplicateVertex]);
        assert_eq!(mp.0[0].exterior().0.len(), 5);
    }

    #[test]
    fn points_and_degenerate_rings_are_quarantined() {
        let (f, _) = repair(
            &Geometry::Point(geo::point!(x: 1., y: 2.)),
            RepairOptions::default(),
        )
        .unwrap_err();
        assert_eq!(f.code, Code::UnsupportedGeometry);
        let p = Polygon::new(LineString::from(vec![(0., 0.), (1., 0.), (0., 0.)]), vec![]);
        let (f, _) = repair(&Geometry::Polygon(p), RepairOptions::default()).unwrap_err();
        assert_eq!(f.code, Code::EmptyGeometry);
    }

    #[test]
    fn projected_coordinates_are_rejected() {
        let p = polygon![(x: 500000., y: 1400000.), (x: 500100., y: 1400000.), (x: 500100., y: 1400100.), (x: 500000., y: 1400000.)];
        let (f, _) = repair(&Geometry::Polygon(p), RepairOptions::default()).unwrap_err();
        assert_eq!(f.code, Code::NonFiniteCoordinate);
        assert!(f.message.contains("crs ="));
    }

    /// A large clockwise star ring, valid: repair only reorients it, the
    /// answer of geo's own validity check (what repair used before its
    /// checks went on R-trees).
    #[test]
    fn a_large_valid_ring_comes_out_as_geo_validity_leaves_it() {
        let n = 4000;
        let mut pts: Vec<Coord<f64>> = (0..n)
            .map(|i| {
                let a = -std::f64::consts::TAU * i as f64 / n as f64;
                let r = 0.01 + 0.002 * ((i * 7919) % 13) as f64 / 13.0;
                Coord {
                    x: 105.0 + r * a.cos(),
                    y: 13.0 + r * a.sin(),
                }
            })
            .collect();
        pts.push(pts[0]);
        let p = Polygon::new(LineString(pts), vec![]);
        let oriented = p.clone().orient(Direction::Default);
        assert!(oriented.is_valid());
        let (mp, f) = repair(&Geometry::Polygon(p), RepairOptions::default()).unwrap();
        assert_eq!(codes(&f), vec![Code::WrongWinding]);
        assert_eq!(mp, MultiPolygon::new(vec![oriented]));
    }

    /// Many parts, some apart, some sharing an edge, some overlapping: merged
    /// exactly when geo's validity check says the multipolygon is invalid.
    #[test]
    fn many_parts_are_merged_as_geo_validity_decides() {
        let square = |x: f64, y: f64, s: f64| polygon![(x: x, y: y), (x: x + s, y: y), (x: x + s, y: y + s), (x: x, y: y + s), (x: x, y: y)];
        let apart: Vec<_> = (0..1500)
            .map(|i| square((i % 40) as f64 * 2.0, (i / 40) as f64 * 2.0, 1.0))
            .collect();
        let mut sharing = apart.clone();
        sharing.push(square(1.0, 0.0, 1.0));
        let mut overlapping = apart.clone();
        overlapping.push(square(40.5, 20.5, 1.0));
        for parts in [apart, sharing, overlapping] {
            let before = MultiPolygon::new(parts.clone());
            let (mp, f) = repair(
                &Geometry::MultiPolygon(before.clone()),
                RepairOptions::default(),
            )
            .unwrap();
            if before.is_valid() {
                assert!(f.is_empty());
                assert_eq!(mp, before);
            } else {
                assert_eq!(codes(&f), vec![Code::OverlappingParts]);
                assert_eq!(mp, merge_parts(&parts).orient(Direction::Default));
            }
        }
    }

    #[test]
    fn overlapping_parts_are_merged() {
        let a = polygon![(x: 0., y: 0.), (x: 2., y: 0.), (x: 2., y: 2.), (x: 0., y: 2.), (x: 0., y: 0.)];
        let b = polygon![(x: 1., y: 1.), (x: 3., y: 1.), (x: 3., y: 3.), (x: 1., y: 3.), (x: 1., y: 1.)];
        let (mp, f) = repair(
            &Geometry::MultiPolygon(MultiPolygon::new(vec![a, b])),
            RepairOptions::default(),
        )
        .unwrap();
        assert!(codes(&f).contains(&Code::OverlappingParts));
        assert!((mp.unsigned_area() - 7.0).abs() < 1e-9);
    }
}
