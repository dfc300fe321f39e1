//! The template's geometry, apart from any file: rows parsed into
//! [`PointRow`]s, each point's position resolved (through chains of
//! `FrPointID`s), and the polygons built ([`build`]). Steps 1 and 2 of the
//! module above; the fuzz target `points` runs [`build`] on arbitrary rows.

use crate::diagnostics::Code;
use crate::ingest::mapping::RawValue;
use crate::model::RecordRef;
use geo::{Coord, Destination, Geodesic, Point};
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
    /// The row as a person finds it (spreadsheet row, FID).
    pub at: RecordRef,
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

pub(super) fn text(v: Option<&RawValue>) -> Option<String> {
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
            p.id.clone().or_else(|| Some(p.at.to_string())),
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

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    fn pt(poly: Option<&str>, no: f64, id: &str, kind: Kind, xy: Option<(f64, f64)>) -> PointRow {
        PointRow {
            row: no as usize,
            at: RecordRef::Row(no as u64 + 2),
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
