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

mod template;

use crate::diagnostics::{Code, Diagnostic, Diagnostics, Severity};
use crate::ingest::crs::{self, CrsPlan};
use crate::ingest::error::Result;
use crate::ingest::gdal::{read_table, Table};
use crate::ingest::mapping::Mapper;
use crate::ingest::{IngestConfig, IngestError, SourceConfig};
use crate::ingest::{RawGeometry, RawRecord, SourceBatch};
use crate::model::{Provenance, RecordRef};
use geo::{Coord, LineString, Polygon};
use std::collections::HashMap;
use template::text;
pub use template::{build, number, Built, Kind, PointFinding, PointRow};

/// Parse the template's rows. Missing required columns are a config error.
fn parse_rows(
    table: &Table,
    source: &SourceConfig,
    config_path: &crate::ingest::error::ConfigRef,
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
        table
            .column(name)
            .ok_or_else(|| IngestError::NoTemplateColumn {
                config: config_path.clone(),
                table: table.shown.clone(),
                layer: table.layer.clone(),
                column: name.to_string(),
                columns: table.columns.clone(),
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
            at: row_ref(table, row),
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
    let config_path = cfg.config_ref();
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
    let plan: CrsPlan = crs::plan(crs::CrsInput {
        config_crs: source.crs.as_deref(),
        overrides_file: source.crs_overrides_file,
        layer_srs: None,
        extent,
        country: cfg.country,
        desc: &desc,
        path: &path,
        config: &config_path,
    })?;
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
    if let (Some(t), Some(id_col)) = (&attr_table, mapper.column(crate::ingest::Field::Id)) {
        for (i, r) in t.rows.iter().enumerate() {
            if let Some(id) = text(r.get(id_col).and_then(Option::as_ref)) {
                attr_rows.entry(id).or_insert(i);
            }
        }
    } else if let Some(t) = &attr_table {
        return Err(IngestError::NoJoinColumn {
            config: config_path.clone(),
            table: t.shown.clone(),
            columns: t.columns.clone(),
        });
    }

    let mut records = Vec::new();
    let mut record_diags = Vec::new();
    // The file's and the layer's names, shared by every record.
    let (file, layer): (std::sync::Arc<str>, std::sync::Arc<str>) =
        (table.shown.as_str().into(), table.layer.as_str().into());
    let provenance = |row: usize, poly: &str| Provenance {
        file: std::sync::Arc::clone(&file),
        layer: std::sync::Arc::clone(&layer),
        row: row as u64,
        at: row_ref(&table, row),
        source_id: Some(poly.to_string()),
    };
    for b in &built {
        let prov = provenance(b.row, &b.poly);
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
                mapper.map_no_row(&prov, &mut record_diags)
            }
            (None, _) => mapper.map_no_row(&prov, &mut record_diags),
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
        let prov = built
            .iter()
            .find(|b| b.poly == poly)
            .map(|b| provenance(b.row, &poly));
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
        srs: plan.wkt(),
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

/// The reference of the table's zero-based row `row`.
fn row_ref(table: &Table, row: usize) -> RecordRef {
    table
        .refs
        .get(row)
        .copied()
        .unwrap_or(RecordRef::nth(row as u64))
}
