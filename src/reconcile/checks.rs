//! Pairwise checks answered through the R-trees, never an all-pairs loop:
//! hazards that overlap or duplicate one another, releases whose links are
//! wrong, and reported areas that disagree with the geometry.
//!
//! These only report; totals are union-based, so an overlap or a duplicate
//! geometry is counted once whatever is found here.

use super::{Index, ReconcileConfig};
use crate::diagnostics::{Code, Diagnostic, Place, Severity};
use crate::geometry::{self, area};
use crate::model::{Hazard, Release};
use geo::{
    BoundingRect, Closest, ClosestPoint, Distance, Geodesic, InteriorPoint, Intersects,
    MultiPolygon,
};
use rayon::prelude::*;
use std::collections::HashMap;

/// Normalised id for matching links: trimmed, case-folded.
pub fn id_key(s: &str) -> String {
    s.trim().to_lowercase()
}

/// Overlapping and duplicate hazards.
pub fn hazard_pairs(
    hz: &[Hazard],
    areas: &[f64],
    index: &Index,
    cfg: &ReconcileConfig,
) -> Vec<Diagnostic> {
    (0..hz.len())
        .into_par_iter()
        .flat_map_iter(|i| {
            let mut out = Vec::new();
            let Some(b) = index.hazard_boxes[i] else {
                return out;
            };
            let mut others: Vec<usize> = index.hazards_in(b).filter(|&j| j > i).collect();
            others.sort_unstable();
            for j in others {
                if !hz[i].geometry.intersects(&hz[j].geometry) {
                    continue;
                }
                let shared = geometry::intersection(&hz[i].geometry, &hz[j].geometry);
                let overlap = area(&shared);
                if overlap < cfg.min_overlap_m2 {
                    continue;
                }
                let iou = overlap / (areas[i] + areas[j] - overlap).max(f64::MIN_POSITIVE);
                // Where: the shared land of an overlap, the record itself for
                // a duplicate (the two are nearly the same land).
                let (code, what, place) = if iou >= cfg.duplicate_iou {
                    (
                        Code::DuplicateGeometry,
                        format!(
                            "same land as hazard {} (intersection over union {iou:.3})",
                            hz[j].id
                        ),
                        hz[i].geometry.clone(),
                    )
                } else {
                    (
                        Code::HazardOverlap,
                        format!("overlaps hazard {} by {overlap:.1} m²", hz[j].id),
                        shared,
                    )
                };
                out.push(
                    Diagnostic::new(
                        code,
                        Severity::Warning,
                        format!("{what}; other record: {}", hz[j].provenance),
                    )
                    .record(&hz[i].provenance)
                    .fix("land counted once in every total")
                    .at(Place::Area(place))
                    .other(&hz[j].provenance),
                );
            }
            out
        })
        .collect()
}

/// Reported areas that disagree with the computed ones.
pub fn area_mismatch<'a>(
    records: impl Iterator<
        Item = (
            &'a crate::model::Provenance,
            &'a MultiPolygon<f64>,
            Option<f64>,
            f64,
        ),
    >,
    cfg: &ReconcileConfig,
) -> Vec<Diagnostic> {
    records
        .filter_map(|(prov, geometry, reported, computed)| {
            let reported = reported?;
            if computed <= 0.0 || reported < 0.0 {
                return None;
            }
            let rel = (reported - computed).abs() / computed;
            (rel > cfg.area_mismatch).then(|| {
                Diagnostic::new(
                    Code::AreaMismatch,
                    Severity::Warning,
                    format!(
                        "reported area {reported:.1} m² differs from the computed geodesic area {computed:.1} m² by {:.1} %",
                        rel * 100.0
                    ),
                )
                .record(prov)
                .fix("figures use the computed area; correct the reported area in the database")
                .at_area(geometry)
                .areas(reported, computed)
            })
        })
        .collect()
}

/// Releases naming unknown hazards, lying off the hazards they name, or larger
/// than them.
pub fn release_links(
    hz: &[Hazard],
    areas: &[f64],
    rl: &[Release],
    release_areas: &[f64],
    index: &Index,
) -> Vec<Diagnostic> {
    let by_id: HashMap<String, usize> = hz
        .iter()
        .enumerate()
        .map(|(i, h)| (id_key(&h.id), i))
        .collect();
    rl.par_iter()
        .zip(release_areas)
        .flat_map_iter(|(r, &own)| {
            let mut out = Vec::new();
            if r.hazard_ids.is_empty() {
                return out;
            }
            let (known, unknown): (Vec<_>, Vec<_>) = r.hazard_ids.iter().partition(|id| by_id.contains_key(&id_key(id)));
            if !unknown.is_empty() {
                let names = unknown.iter().map(|s| format!("\"{s}\"")).collect::<Vec<_>>().join(", ");
                out.push(
                    Diagnostic::new(
                        Code::OrphanRelease,
                        Severity::Warning,
                        format!("links to hazard id(s) {names} that no usable hazard has"),
                    )
                    .record(&r.provenance)
                    .fix("attributed to the hazards its land covers")
                    .at_area(&r.geometry),
                );
            }
            let linked: Vec<usize> = known.iter().map(|id| by_id[&id_key(id)]).collect();
            if linked.is_empty() {
                return out;
            }
            if !linked.iter().any(|&i| hz[i].geometry.intersects(&r.geometry)) {
                let (near, dist) = nearest_hazard(hz, index, &r.geometry);
                let msg = match near {
                    Some(j) => format!(
                        "does not touch the hazard(s) it names ({}); nearest hazard is {} at {dist:.0} m",
                        known.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
                        hz[j].id
                    ),
                    None => "does not touch the hazard(s) it names".to_string(),
                };
                out.push(
                    Diagnostic::new(Code::ReleaseOffHazard, Severity::Warning, msg)
                        .record(&r.provenance)
                        .fix("attributed to the hazards its land covers")
                        .at_area(&r.geometry),
                );
            }
            let linked_union = || geometry::union_all(linked.iter().map(|&i| &hz[i].geometry));
            let linked_area = if linked.len() == 1 {
                areas[linked[0]]
            } else {
                area(&linked_union())
            };
            if own > linked_area * 1.01 {
                // Where: the part of the release outside the hazards it names.
                let outside = geometry::difference(&r.geometry, &linked_union());
                out.push(
                    Diagnostic::new(
                        Code::ReleaseExceedsHazard,
                        Severity::Warning,
                        format!("release area {own:.1} m² exceeds the {linked_area:.1} m² of the hazard(s) it names"),
                    )
                    .record(&r.provenance)
                    .fix("only the part inside hazards counts as released")
                    .at_area(if outside.0.is_empty() { &r.geometry } else { &outside }),
                );
            }
            out
        })
        .collect()
}

/// The hazard nearest to a geometry and the geodesic distance to it, in metres.
fn nearest_hazard(hz: &[Hazard], index: &Index, g: &MultiPolygon<f64>) -> (Option<usize>, f64) {
    let Some(p) = g
        .interior_point()
        .or_else(|| g.bounding_rect().map(|b| b.center().into()))
    else {
        return (None, f64::NAN);
    };
    let mut best: Option<(usize, f64)> = None;
    for j in index.hazards_nearest(p).take(8) {
        let d = match hz[j].geometry.closest_point(&p) {
            Closest::Intersection(q) | Closest::SinglePoint(q) => Geodesic.distance(p, q),
            Closest::Indeterminate => continue,
        };
        if best.is_none_or(|(_, bd)| d < bd) {
            best = Some((j, d));
        }
    }
    match best {
        Some((j, d)) => (Some(j), d),
        None => (None, f64::NAN),
    }
}
