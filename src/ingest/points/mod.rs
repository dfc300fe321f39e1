//! Polygons from the IMSMA NG point-import template (preset `imsma-ng-points`):
//! a table with `ProjName, PolyID, PointNo, PointID, PointType, Xcoord, Ycoord,
//! Distance, Bearing, FrPointID, PointDesc`, read through GDAL from XLSX or CSV
//! as plain rows (docs/imsma-fields.md, "NG point template").
//!
//! Owns turning vertex rows into ordinary [`RawRecord`]s, so nothing after
//! ingest knows the template existed:
//! 1. Rows are grouped by `PolyID` and ordered by `PointNo`; Start, Datum,
//!    Turning, Intermediate and End points (and rows with no `PointType`) are
//!    vertices. Benchmark, Reference point, Landmark, Evidence and Usage points
//!    are not, but any point can be the `FrPointID` of another.
//! 2. A point with no X/Y and a `FrPointID` lies `Distance` metres from that
//!    point at `Bearing` degrees clockwise from north; chains resolve in any
//!    row order. In a projected CRS the offset is planar on the grid (grid
//!    north). In a geographic CRS it is the geodesic destination on the WGS84
//!    ellipsoid (geo's `Geodesic`), from true north; for a non-WGS84 datum the
//!    ellipsoid difference is far below survey accuracy.
//! 3. The CRS is the source's `crs` (IMSMA ignores `ProjName`, so we do too).
//! 4. Attributes come from the `attributes` table, joined on its id column (the
//!    source's mapped `id`, by default `PolyID`), ids compared trimmed.
//!
//! An unknown `FrPointID`, a cycle of `FrPointID`s, a point without position,
//! or a polygon with fewer than 3 distinct vertices quarantines that polygon
//! with a diagnostic naming its `PolyID` and `PointID`.

use crate::diagnostics::{Code, Diagnostic, Diagnostics, Severity};
use crate::error::{Error, Result};
use crate::ingest::crs::{self, CrsPlan};
use crate::ingest::gdal::{read_table, Table};
use crate::ingest::mapping::{Mapper, RawValue};
use crate::ingest::{IngestConfig, SourceConfig};
use crate::ingest::{RawGeometry, RawRecord, SourceBatch};
use crate::model::Provenance;
use geo::{Coord, Destination, Geodesic, LineString, Point, Polygon};
use std::collections::{BTreeMap, HashMap};

/// What a row is in a polygon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A ring vertex.
    Vertex,
    /// A single point (benchmark, reference point …): never a vertex.
    Anchor,
}

impl Kind {
    /// The kind of a `PointType`; `None` for a type IMSMA does not have.
    pub fn of(point_type: &str) -> Option<Kind> {
        let k = crate::ingest::presets::compact(point_type);
        const VERTEX: [&str; 6] = ["", "start", "datum", "turning", "intermediate", "end"];
        const ANCHOR: [&str; 5] = ["benchmark", "reference", "landmark", "evidence", "usage"];
        if VERTEX
            .iter()
            .any(|v| k.starts_with(v) && (!v.is_empty() || k.is_empty()))
        {
            Some(Kind::Vertex)
        } else if ANCHOR.iter().any(|a| k.starts_with(a)) {
            Some(Kind::Anchor)
        } else {
            None
        }
    }
}

/// One row of the template, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct PointRow {
    /// Zero-based row in the table.
    pub row: usize,
    pub poly: Option<String>,
    pub no: Option<f64>,
    pub id: Option<String>,
    pub kind: Kind,
    pub xy: Option<(f64, f64)>,
    pub distance: Option<f64>,
    pub bearing: Option<f64>,
    pub from: Option<String>,
}

/// One polygon built from the template, in the source CRS.
#[derive(Debug, Clone, PartialEq)]
pub struct Built {
    pub poly: String,
    /// The first row of the polygon, for provenance.
    pub row: usize,
    /// `None` when the polygon is quarantined (its diagnostics say why).
    pub ring: Option<Vec<Coord<f64>>>,
}

/// A problem with one point or polygon: (code, PolyID, PointID, message).
pub type PointFinding = (Code, String, Option<String>, String);

/// A number as exports write it: `.` or `,` as decimal mark.
pub fn number(v: &RawValue) -> Option<f64> {
    match v {
        RawValue::Int(i) => Some(*i as f64),
        RawValue::Real(f) => Some(*f),
        other => other.to_text().trim().replace(',', ".").parse().ok(),
    }
    .filter(|f: &f64| f.is_finite())
}

fn text(v: Option<&RawValue>) -> Option<String> {
    v.map(|v| v.to_text().trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Resolve every point's position and build the polygons. `geographic` selects
/// geodesic bearings (x = lon, y = lat) over planar grid bearings.
pub fn build(points: &[PointRow], geographic: bool) -> (Vec<Built>, Vec<PointFinding>) {
    let mut findings = Vec::new();
    // FrPointID is looked up in the same polygon first, then among points of no
    // polygon (benchmarks), then anywhere if the id is unique.
    let mut by_poly_id: HashMap<(Option<&str>, &str), usize> = HashMap::new();
    let mut by_id: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, p) in points.iter().enumerate() {
        if let Some(id) = &p.id {
            by_poly_id
                .entry((p.poly.as_deref(), id.as_str()))
                .or_insert(i);
            by_id.entry(id.as_str()).or_default().push(i);
        }
    }
    let lookup = |p: &PointRow, from: &str| -> Option<usize> {
        by_poly_id
            .get(&(p.poly.as_deref(), from))
            .or_else(|| by_poly_id.get(&(None, from)))
            .copied()
            .or_else(|| match by_id.get(from).map(Vec::as_slice) {
                Some([only]) => Some(*only),
                _ => None,
            })
    };
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Todo,
        Busy,
        Done(Option<Coord<f64>>),
    }
    let mut state = vec![State::Todo; points.len()];
    let label = |p: &PointRow| {
        (
            p.poly.clone().unwrap_or_default(),
            p.id.clone().or_else(|| Some(format!("row {}", p.row))),
        )
    };
    for start in 0..points.len() {
        // Walk the FrPointID chain iteratively (chains can be long), then
        // resolve it back to front.
        let mut chain = vec![start];
        let resolved: Option<Option<Coord<f64>>>;
        loop {
            let i = *chain.last().expect("non-empty");
            match state[i] {
                State::Done(c) => {
                    resolved = Some(c);
                    break;
                }
                State::Busy => {
                    let (poly, pid) = label(&points[i]);
                    findings.push((
                        Code::PointCycle,
                        poly,
                        pid,
                        "FrPointID chain returns to this point: its position cannot be resolved"
                            .into(),
                    ));
                    resolved = Some(None);
                    break;
                }
                State::Todo => {}
            }
            let p = &points[i];
            if let Some((x, y)) = p.xy {
                state[i] = State::Done(Some(Coord { x, y }));
                resolved = Some(Some(Coord { x, y }));
                break;
            }
            state[i] = State::Busy;
            let (poly, pid) = label(p);
            let Some(from) = &p.from else {
                findings.push((
                    Code::InvalidPoint,
                    poly,
                    pid,
                    "point has neither Xcoord/Ycoord nor a FrPointID".into(),
                ));
                resolved = Some(None);
                break;
            };
            if p.distance.is_none() || p.bearing.is_none() {
                findings.push((
                    Code::InvalidPoint,
                    poly,
                    pid,
                    format!("point is given from FrPointID {from} but its Distance or Bearing is missing or not a number"),
                ));
                resolved = Some(None);
                break;
            }
            match lookup(p, from) {
                Some(j) => chain.push(j),
                None => {
                    findings.push((
                        Code::UnknownFromPoint,
                        poly,
                        pid,
                        format!("FrPointID {from} is not the PointID of any row"),
                    ));
                    resolved = Some(None);
                    break;
                }
            }
        }
        // `resolved` holds the position the chain's last element resolved to.
        let mut at = resolved.flatten();
        let last = chain.len() - 1;
        for &i in chain[..last].iter().rev() {
            let p = &points[i];
            at = at.map(|o| {
                offset(
                    o,
                    p.distance.unwrap_or(0.0),
                    p.bearing.unwrap_or(0.0),
                    geographic,
                )
            });
            state[i] = State::Done(at);
        }
        if let State::Busy = state[chain[last]] {
            state[chain[last]] = State::Done(None);
        }
    }
    let position = |i: usize| match state[i] {
        State::Done(c) => c,
        _ => None,
    };

    let mut polys: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, p) in points.iter().enumerate() {
        if let (Some(poly), Kind::Vertex) = (&p.poly, p.kind) {
            polys.entry(poly.as_str()).or_default().push(i);
        }
    }
    let mut built = Vec::new();
    for (poly, mut idx) in polys {
        idx.sort_by(|&a, &b| {
            let na = points[a].no.unwrap_or(f64::INFINITY);
            let nb = points[b].no.unwrap_or(f64::INFINITY);
            na.total_cmp(&nb).then(a.cmp(&b))
        });
        let row = idx.iter().map(|&i| points[i].row).min().unwrap_or(0);
        let unresolved: Vec<&PointRow> = idx
            .iter()
            .filter(|&&i| position(i).is_none())
            .map(|&i| &points[i])
            .collect();
        if !unresolved.is_empty() {
            if !findings.iter().any(|f| f.1 == poly) {
                let p = unresolved[0];
                findings.push((
                    Code::InvalidPoint,
                    poly.to_string(),
                    p.id.clone(),
                    format!(
                        "position depends on FrPointID {} whose own position could not be resolved",
                        p.from.as_deref().unwrap_or("(none)")
                    ),
                ));
            }
            built.push(Built {
                poly: poly.to_string(),
                row,
                ring: None,
            });
            continue;
        }
        let mut ring: Vec<Coord<f64>> = idx.iter().filter_map(|&i| position(i)).collect();
        ring.dedup();
        if ring.len() > 1 && ring.first() == ring.last() {
            ring.pop();
        }
        let mut distinct = ring.clone();
        distinct.sort_by(|a, b| a.x.total_cmp(&b.x).then(a.y.total_cmp(&b.y)));
        distinct.dedup();
        if distinct.len() < 3 {
            findings.push((
                Code::TooFewVertices,
                poly.to_string(),
                idx.first().and_then(|&i| points[i].id.clone()),
                format!(
                    "polygon has {} distinct vertices; at least 3 make an area",
                    distinct.len()
                ),
            ));
            built.push(Built {
                poly: poly.to_string(),
                row,
                ring: None,
            });
            continue;
        }
        ring.push(ring[0]);
        built.push(Built {
            poly: poly.to_string(),
            row,
            ring: Some(ring),
        });
    }
    (built, findings)
}

/// The point `distance` metres from `o` at `bearing` degrees clockwise from north.
fn offset(o: Coord<f64>, distance: f64, bearing: f64, geographic: bool) -> Coord<f64> {
    if geographic {
        Geodesic
            .destination(Point::from(o), bearing, distance)
            .into()
    } else {
        let b = bearing.to_radians();
        Coord {
            x: o.x + distance * b.sin(),
            y: o.y + distance * b.cos(),
        }
    }
}

/// Parse the template's rows. Missing required columns are a config error.
fn parse_rows(
    table: &Table,
    source: &SourceConfig,
    config_path: &std::path::Path,
    findings: &mut Vec<PointFinding>,
) -> Result<Vec<PointRow>> {
    let poly_col = source
        .fields
        .get(&crate::ingest::Field::Id)
        .map(String::as_str)
        .unwrap_or("PolyID");
    let x_col = source.x.as_deref().unwrap_or("Xcoord");
    let y_col = source.y.as_deref().unwrap_or("Ycoord");
    let need = |name: &str| {
        table.column(name).ok_or_else(|| {
            Error::config(
                config_path,
                format!(
                    "{} layer {} is read with preset \"imsma-ng-points\" but has no column \"{name}\"; its columns are: {}",
                    table.shown,
                    table.layer,
                    table.columns.join(", ")
                ),
            )
        })
    };
    let (poly_i, no_i, x_i, y_i) = (
        need(poly_col)?,
        need("PointNo")?,
        need(x_col)?,
        need(y_col)?,
    );
    let id_i = table.column("PointID");
    let type_i = table.column("PointType");
    let dist_i = table.column("Distance");
    let bear_i = table.column("Bearing");
    let from_i = table.column("FrPointID");
    let mut out = Vec::new();
    for (row, values) in table.rows.iter().enumerate() {
        let get = |i: Option<usize>| i.and_then(|i| values.get(i)).and_then(Option::as_ref);
        let poly = text(get(Some(poly_i)));
        let id = text(get(id_i));
        let point_type = text(get(type_i)).unwrap_or_default();
        let kind = Kind::of(&point_type).unwrap_or_else(|| {
            findings.push((
                Code::InvalidPoint,
                poly.clone().unwrap_or_default(),
                id.clone(),
                format!("PointType \"{point_type}\" is not an IMSMA point type; taken as a turning point"),
            ));
            Kind::Vertex
        });
        let num = |i: Option<usize>| get(i).and_then(number);
        let xy = match (num(Some(x_i)), num(Some(y_i))) {
            (Some(x), Some(y)) => Some((x, y)),
            _ => None,
        };
        out.push(PointRow {
            row,
            poly,
            no: num(Some(no_i)),
            id,
            kind,
            xy,
            distance: num(dist_i),
            bearing: num(bear_i),
            from: text(get(from_i)),
        });
    }
    Ok(out)
}

/// Read a point-template source into one raw record per `PolyID`.
pub(super) fn read(
    cfg: &IngestConfig,
    source: &SourceConfig,
    diags: &mut Diagnostics,
) -> Result<SourceBatch> {
    let path = cfg.resolve(&source.path);
    let config_path = cfg.config_path_or(&path);
    let table = read_table(cfg, source, &source.path, source.layer.as_deref(), diags)?;
    let desc = format!("{} layer {}", table.shown, table.layer);
    let mut findings = Vec::new();
    let points = parse_rows(&table, source, &config_path, &mut findings)?;

    let known: Vec<(f64, f64)> = points.iter().filter_map(|p| p.xy).collect();
    let extent = (!known.is_empty()).then(|| crs::Extent {
        min_x: known.iter().map(|p| p.0).fold(f64::INFINITY, f64::min),
        min_y: known.iter().map(|p| p.1).fold(f64::INFINITY, f64::min),
        max_x: known.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max),
        max_y: known.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max),
    });
    let plan: CrsPlan = crs::plan(
        source.crs.as_deref(),
        None,
        extent,
        cfg.country,
        &desc,
        &path,
        &config_path,
    )?;
    if let Some((code, message)) = plan.warning.as_ref().or(plan.quarantine.as_ref()) {
        let sev = if plan.quarantine.is_some() {
            Severity::Error
        } else {
            Severity::Warning
        };
        diags.push(Diagnostic::new(*code, sev, message.clone()));
    }
    let single = points
        .iter()
        .filter(|p| p.poly.is_none() && p.kind == Kind::Vertex)
        .count();
    if single > 0 {
        diags.push(Diagnostic::new(
            Code::InvalidPoint,
            Severity::Info,
            format!("{desc}: {single} row(s) have no PolyID: single points, no area; not used"),
        ));
    }
    let (built, build_findings) = build(&points, plan.is_geographic());
    findings.extend(build_findings);

    // Attributes, joined on the polygon id.
    let mut source_diags = Vec::new();
    let attr_table = match &source.attributes {
        Some(file) => Some(read_table(cfg, source, file, None, diags)?),
        None => None,
    };
    let columns = attr_table
        .as_ref()
        .map(|t| t.columns.clone())
        .unwrap_or_default();
    let mapper = Mapper::new(source, &columns, &config_path, &desc, &mut source_diags)?;
    diags.extend(source_diags);
    let mut attr_rows: HashMap<String, usize> = HashMap::new();
    if let (Some(t), Some(id_col)) = (&attr_table, mapper.column("id")) {
        for (i, r) in t.rows.iter().enumerate() {
            if let Some(id) = text(r.get(id_col).and_then(Option::as_ref)) {
                attr_rows.entry(id).or_insert(i);
            }
        }
    } else if let Some(t) = &attr_table {
        return Err(Error::config(
            &config_path,
            format!(
                "{} has no id column to join the polygons on; name it with [source.fields] id = \"COLUMN\". Columns: {}",
                t.shown,
                t.columns.join(", ")
            ),
        ));
    }

    let mut records = Vec::new();
    let mut record_diags = Vec::new();
    for b in &built {
        let prov = Provenance {
            file: table.shown.clone(),
            layer: table.layer.clone(),
            row: b.row as u64,
            source_id: Some(b.poly.clone()),
        };
        let no_values = |_: usize| None;
        let mut attrs = match (&attr_table, attr_rows.get(&b.poly)) {
            (Some(t), Some(&r)) => {
                let get = |i: usize| t.rows[r].get(i).cloned().flatten();
                mapper.map(&get, &prov, &mut record_diags)
            }
            (Some(t), None) => {
                record_diags.push(
                    Diagnostic::new(
                        Code::NoAttributes,
                        Severity::Warning,
                        format!("PolyID {} has no row in {}", b.poly, t.shown),
                    )
                    .record(&prov)
                    .fix("defaults used for its attributes"),
                );
                mapper.map(&no_values, &prov, &mut record_diags)
            }
            (None, _) => mapper.map(&no_values, &prov, &mut record_diags),
        };
        attrs.id = Some(b.poly.clone());
        let geometry = match (&b.ring, &plan.quarantine) {
            (_, Some((code, _))) => {
                record_diags.push(crate::ingest::crs::misfit(*code, &prov));
                RawGeometry::Unreadable
            }
            (None, None) => RawGeometry::Unreadable,
            (Some(ring), None) => to_wgs84(ring, &plan, &prov, &mut record_diags),
        };
        records.push(RawRecord {
            provenance: prov,
            attrs,
            geometry,
        });
    }
    for (code, poly, pid, message) in findings {
        let prov = built.iter().find(|b| b.poly == poly).map(|b| Provenance {
            file: table.shown.clone(),
            layer: table.layer.clone(),
            row: b.row as u64,
            source_id: Some(poly.clone()),
        });
        let quarantines =
            prov.is_some() && built.iter().any(|b| b.poly == poly && b.ring.is_none());
        let d = Diagnostic::new(
            code,
            if quarantines {
                Severity::Error
            } else {
                Severity::Warning
            },
            format!(
                "PolyID {} PointID {}: {message}",
                if poly.is_empty() { "(none)" } else { &poly },
                pid.as_deref().unwrap_or("(none)")
            ),
        );
        let d = match &prov {
            Some(p) => d.record(p),
            None => d,
        };
        record_diags.push(if quarantines {
            d.fix("polygon quarantined")
        } else {
            d
        });
    }
    mapper.finish()?;
    diags.extend(record_diags);
    Ok(SourceBatch {
        role: source.role,
        path: source.path.clone(),
        driver: "IMSMA NG point template".into(),
        clockwise_convention: false,
        records,
        max_vertices: cfg.limits.max_vertices,
    })
}

fn to_wgs84(
    ring: &[Coord<f64>],
    plan: &CrsPlan,
    prov: &Provenance,
    diags: &mut Vec<Diagnostic>,
) -> RawGeometry {
    let mut xs: Vec<f64> = ring.iter().map(|c| c.x).collect();
    let mut ys: Vec<f64> = ring.iter().map(|c| c.y).collect();
    if let Some(ct) = &plan.to_wgs84 {
        let mut zs = vec![0.0; xs.len()];
        if let Err(e) = ct.transform_coords(&mut xs, &mut ys, &mut zs) {
            diags.push(crate::ingest::crs::unprojectable(&e, prov));
            return RawGeometry::Unreadable;
        }
    }
    let ls: LineString<f64> = xs.into_iter().zip(ys).collect();
    RawGeometry::Geo(geo::Geometry::Polygon(Polygon::new(ls, vec![])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    fn pt(poly: Option<&str>, no: f64, id: &str, kind: Kind, xy: Option<(f64, f64)>) -> PointRow {
        PointRow {
            row: no as usize,
            poly: poly.map(str::to_string),
            no: Some(no),
            id: Some(id.into()),
            kind,
            xy,
            distance: None,
            bearing: None,
            from: None,
        }
    }

    fn from(mut p: PointRow, f: &str, d: f64, b: f64) -> PointRow {
        p.xy = None;
        p.from = Some(f.into());
        p.distance = Some(d);
        p.bearing = Some(b);
        p
    }

    #[test]
    fn point_types() {
        assert_eq!(Kind::of("Start Point"), Some(Kind::Vertex));
        assert_eq!(Kind::of("Turning point"), Some(Kind::Vertex));
        assert_eq!(Kind::of("Datum Point"), Some(Kind::Vertex));
        assert_eq!(Kind::of(""), Some(Kind::Vertex));
        assert_eq!(Kind::of("Benchmark"), Some(Kind::Anchor));
        assert_eq!(Kind::of("Reference point"), Some(Kind::Anchor));
        assert_eq!(Kind::of("Landmark"), Some(Kind::Anchor));
        assert_eq!(Kind::of("Bench"), None);
    }

    #[test]
    fn chain_from_benchmark_in_grid_metres() {
        // Benchmark at (500000, 1400000); A 100 m east of it, B 100 m north of
        // A, C 100 m west of B: the 100 m square with the benchmark as corner.
        let bm = pt(
            None,
            0.0,
            "BM",
            Kind::Anchor,
            Some((500_000.0, 1_400_000.0)),
        );
        let a = from(
            pt(Some("P1"), 1.0, "A", Kind::Vertex, None),
            "BM",
            100.0,
            90.0,
        );
        let b = from(
            pt(Some("P1"), 2.0, "B", Kind::Vertex, None),
            "A",
            100.0,
            0.0,
        );
        let c = from(
            pt(Some("P1"), 3.0, "C", Kind::Vertex, None),
            "B",
            100.0,
            270.0,
        );
        let d = pt(
            Some("P1"),
            4.0,
            "D",
            Kind::Vertex,
            Some((500_000.0, 1_400_000.0)),
        );
        // Rows in an order that needs the chain walked.
        let (built, findings) = build(&[c, b, d, bm, a], false);
        assert!(findings.is_empty(), "{findings:?}");
        let ring = built[0].ring.clone().unwrap();
        let want = [
            (500_100.0, 1_400_000.0),
            (500_100.0, 1_400_100.0),
            (500_000.0, 1_400_100.0),
            (500_000.0, 1_400_000.0),
            (500_100.0, 1_400_000.0),
        ];
        assert_eq!(ring.len(), want.len());
        for (c, (x, y)) in ring.iter().zip(want) {
            assert_relative_eq!(c.x, x, epsilon = 1e-6);
            assert_relative_eq!(c.y, y, epsilon = 1e-6);
        }
    }

    #[test]
    fn geodesic_bearing_in_degrees() {
        let bm = pt(None, 0.0, "BM", Kind::Anchor, Some((105.0, 12.0)));
        let a = from(
            pt(Some("P"), 1.0, "A", Kind::Vertex, None),
            "BM",
            1000.0,
            0.0,
        );
        let b = from(
            pt(Some("P"), 2.0, "B", Kind::Vertex, None),
            "A",
            1000.0,
            90.0,
        );
        let c = pt(Some("P"), 3.0, "C", Kind::Vertex, Some((105.0, 12.0)));
        let (built, findings) = build(&[bm, a, b, c], true);
        assert!(findings.is_empty());
        let ring = built[0].ring.clone().unwrap();
        // 1 km north along a meridian at 12°N is 1000 / 110_630 ≈ 0.009039°.
        assert_relative_eq!(ring[0].x, 105.0, epsilon = 1e-12);
        assert_relative_eq!(ring[0].y, 12.009_039, epsilon = 1e-5);
        assert!(ring[1].x > 105.009);
    }

    #[test]
    fn unknown_from_cycle_and_too_few_are_named() {
        let a = from(
            pt(Some("P1"), 1.0, "A", Kind::Vertex, None),
            "NOPE",
            10.0,
            0.0,
        );
        let b = pt(Some("P1"), 2.0, "B", Kind::Vertex, Some((0.0, 0.0)));
        let c = pt(Some("P1"), 3.0, "C", Kind::Vertex, Some((0.0, 10.0)));
        let x = from(pt(Some("P2"), 1.0, "X", Kind::Vertex, None), "Y", 10.0, 0.0);
        let y = from(pt(Some("P2"), 2.0, "Y", Kind::Vertex, None), "X", 10.0, 0.0);
        let z = pt(Some("P3"), 1.0, "Z", Kind::Vertex, Some((0.0, 0.0)));
        let z2 = pt(Some("P3"), 2.0, "Z2", Kind::Vertex, Some((1.0, 0.0)));
        let (built, findings) = build(&[a, b, c, x, y, z, z2], false);
        assert!(built.iter().all(|b| b.ring.is_none()));
        let has = |code, poly: &str, pid: &str| {
            findings
                .iter()
                .any(|f| f.0 == code && f.1 == poly && f.2.as_deref() == Some(pid))
        };
        assert!(has(Code::UnknownFromPoint, "P1", "A"), "{findings:?}");
        assert!(
            findings
                .iter()
                .any(|f| f.0 == Code::PointCycle && f.1 == "P2"),
            "{findings:?}"
        );
        assert!(has(Code::TooFewVertices, "P3", "Z"), "{findings:?}");
    }

    #[test]
    fn decimal_commas() {
        assert_eq!(
            number(&RawValue::Text(" 500000,5 ".into())),
            Some(500_000.5)
        );
        assert_eq!(number(&RawValue::Text("x".into())), None);
    }
}
