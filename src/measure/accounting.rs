//! The accounting of DESIGN.md ("Accounting (normative)"), computed cluster by
//! cluster (clusters share no land) and summed in cluster order, so the figures
//! do not depend on the thread count.
//!
//! Per cluster, with H = ∪ hazards, Hₒ = ∪ non-closed hazards, R = ∪ releases:
//! 1. total = |H|; remaining = |Hₒ − R|; closed_unreleased = |(H − Hₒ) − R|;
//!    released_outside_hazards = |R − H|.
//! 2. Releases in priority order (dated, earliest, cleared > reduced > cancelled,
//!    undated last); each gets the piece (r ∩ H) − ∪(earlier releases): every
//!    released square metre counts once, for the first release that covers it.
//! 3. Breakdowns partition the remaining land: where hazards of different
//!    classes overlap the land counts as CHA, then SHA, then other; where
//!    regions overlap it counts for the region first in name order.
//!
//! Boolean operations are planar in lon/lat (as GEOS/shapely do); every area is
//! geodesic.

use super::area::area;
use crate::diagnostics::{Code, Diagnostic, Diagnostics, Severity};
use crate::error::{Error, Result};
use crate::model::{Classification, Hazard, Outcome, Release};
use crate::reconcile::{Cluster, Reconciled};
use geo::algorithm::bool_ops::{unary_union, BooleanOps};
use geo::orient::{Direction, Orient};
use geo::{BoundingRect, Intersects, MultiPolygon, Rect};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;

/// Relative tolerance of the area conservation check.
pub const CONSERVATION_TOLERANCE: f64 = 1e-6;

/// The headline figures (summary.json `area_m2`), m².
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Figures {
    pub total: f64,
    pub remaining: f64,
    pub cleared: f64,
    pub reduced: f64,
    pub cancelled: f64,
    pub closed_unreleased: f64,
    pub released_outside_hazards: f64,
}

impl Figures {
    fn add(&mut self, o: &Figures) {
        self.total += o.total;
        self.remaining += o.remaining;
        self.cleared += o.cleared;
        self.reduced += o.reduced;
        self.cancelled += o.cancelled;
        self.closed_unreleased += o.closed_unreleased;
        self.released_outside_hazards += o.released_outside_hazards;
    }

    fn released_mut(&mut self, o: Outcome) -> &mut f64 {
        match o {
            Outcome::Cleared => &mut self.cleared,
            Outcome::Reduced => &mut self.reduced,
            Outcome::Cancelled => &mut self.cancelled,
        }
    }

    /// The land the accounting accounts for: remaining + released + closed.
    pub fn accounted(&self) -> f64 {
        self.remaining + self.cleared + self.reduced + self.cancelled + self.closed_unreleased
    }

    /// DESIGN.md's conservation: total = remaining + cleared + reduced +
    /// cancelled + closed_unreleased, to 1e-6 relative.
    pub fn check_conservation(&self) -> Result<()> {
        let diff = (self.total - self.accounted()).abs();
        if diff <= CONSERVATION_TOLERANCE * self.total.max(1.0) {
            return Ok(());
        }
        Err(Error::Conservation {
            details: format!(
                "total {:.3} m² but remaining {:.3} + cleared {:.3} + reduced {:.3} + cancelled {:.3} + closed_unreleased {:.3} = {:.3} m² (difference {:.3e} relative)",
                self.total,
                self.remaining,
                self.cleared,
                self.reduced,
                self.cancelled,
                self.closed_unreleased,
                self.accounted(),
                diff / self.total.max(1.0)
            ),
        })
    }
}

/// Count and remaining area of one breakdown entry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Share {
    /// Hazards of this entry with land remaining.
    pub count: usize,
    pub area_m2: f64,
}

/// Released area of one year, m², by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct YearReleased {
    pub cancelled: f64,
    pub reduced: f64,
    pub cleared: f64,
    pub total: f64,
}

/// Per-hazard results (hazards.geojson).
#[derive(Debug, Clone)]
pub struct HazardResult {
    pub area_m2: f64,
    pub remaining_m2: f64,
    /// The hazard's land no release covers; empty for closed hazards.
    pub remaining: MultiPolygon<f64>,
    /// Land of this hazard released, by outcome (cancelled, reduced, cleared).
    pub released_m2: [f64; 3],
}

/// One attributed release piece (releases.geojson).
#[derive(Debug, Clone)]
pub struct ReleasePiece {
    pub release: usize,
    pub geometry: MultiPolygon<f64>,
    pub area_m2: f64,
}

/// The product of measure.
#[derive(Debug, Default)]
pub struct Accounting {
    pub figures: Figures,
    pub by_classification: BTreeMap<&'static str, Share>,
    pub by_region: BTreeMap<String, Share>,
    /// Year ("2019", or "undated") → released area by outcome.
    pub released_by_year: BTreeMap<String, YearReleased>,
    /// Parallel to `Reconciled::hazards`.
    pub hazards: Vec<HazardResult>,
    /// In release order (by id).
    pub pieces: Vec<ReleasePiece>,
    pub diagnostics: Diagnostics,
}

/// The region name used for hazards without one.
pub const NO_REGION: &str = "(no region)";

fn outcome_slot(o: Outcome) -> usize {
    match o {
        Outcome::Cancelled => 0,
        Outcome::Reduced => 1,
        Outcome::Cleared => 2,
    }
}

#[derive(Default)]
struct ClusterOut {
    figures: Figures,
    by_class: BTreeMap<&'static str, f64>,
    by_region: BTreeMap<String, f64>,
    by_year: BTreeMap<String, YearReleased>,
    hazards: Vec<(usize, HazardResult)>,
    pieces: Vec<ReleasePiece>,
    diagnostics: Vec<Diagnostic>,
}

/// Measure every cluster and add up the results.
pub fn measure(rec: &Reconciled) -> Result<Accounting> {
    let outs: Vec<ClusterOut> = rec
        .clusters
        .par_iter()
        .map(|c| measure_cluster(c, &rec.hazards, &rec.releases))
        .collect();
    let mut acc = Accounting {
        hazards: vec![
            HazardResult {
                area_m2: 0.0,
                remaining_m2: 0.0,
                remaining: MultiPolygon::new(vec![]),
                released_m2: [0.0; 3],
            };
            rec.hazards.len()
        ],
        ..Default::default()
    };
    for c in Classification::ALL {
        acc.by_classification.insert(c.as_str(), Share::default());
    }
    for out in outs {
        acc.figures.add(&out.figures);
        for (k, v) in out.by_class {
            acc.by_classification.entry(k).or_default().area_m2 += v;
        }
        for (k, v) in out.by_region {
            acc.by_region.entry(k).or_default().area_m2 += v;
        }
        for (k, v) in out.by_year {
            let e = acc.released_by_year.entry(k).or_default();
            e.cancelled += v.cancelled;
            e.reduced += v.reduced;
            e.cleared += v.cleared;
            e.total += v.total;
        }
        for (i, h) in out.hazards {
            acc.hazards[i] = h;
        }
        acc.pieces.extend(out.pieces);
        acc.diagnostics.extend(out.diagnostics);
    }
    for (h, r) in rec.hazards.iter().zip(&acc.hazards) {
        if r.remaining_m2 > 0.0 {
            acc.by_classification.entry(h.classification.as_str()).or_default().count += 1;
            acc.by_region
                .entry(h.region.clone().unwrap_or_else(|| NO_REGION.into()))
                .or_default()
                .count += 1;
        }
    }
    acc.pieces.sort_by_key(|p| p.release);
    acc.figures.check_conservation()?;
    Ok(acc)
}

fn union<'a>(parts: impl IntoIterator<Item = &'a MultiPolygon<f64>>) -> MultiPolygon<f64> {
    let parts: Vec<&MultiPolygon<f64>> = parts.into_iter().filter(|m| !m.0.is_empty()).collect();
    match parts.len() {
        0 => MultiPolygon::new(vec![]),
        1 => parts[0].clone(),
        // unary_union picks its fill rule from the first ring's winding, so its
        // output is oriented again before it can feed another union.
        _ => unary_union(parts).orient(Direction::Default),
    }
}

fn bbox(mp: &MultiPolygon<f64>) -> Option<Rect<f64>> {
    mp.bounding_rect()
}

fn boxes_meet(a: Option<Rect<f64>>, b: Option<Rect<f64>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.intersects(&b),
        _ => false,
    }
}

fn year_key(r: &Release) -> String {
    r.date
        .map(|d| d.format("%Y").to_string())
        .unwrap_or_else(|| "undated".into())
}

fn measure_cluster(c: &Cluster, hz: &[Hazard], rl: &[Release]) -> ClusterOut {
    let mut out = ClusterOut::default();
    let hboxes: Vec<Option<Rect<f64>>> = c.hazards.iter().map(|&i| bbox(&hz[i].geometry)).collect();
    let rboxes: Vec<Option<Rect<f64>>> = c.releases.iter().map(|&i| bbox(&rl[i].geometry)).collect();

    // 1. Unions and the headline figures.
    let h_all = union(c.hazards.iter().map(|&i| &hz[i].geometry));
    let open: Vec<usize> = c.hazards.iter().copied().filter(|&i| !hz[i].status.is_closed()).collect();
    let h_open = if open.len() == c.hazards.len() {
        h_all.clone()
    } else {
        union(open.iter().map(|&i| &hz[i].geometry))
    };
    let r_all = union(c.releases.iter().map(|&i| &rl[i].geometry));
    let no_releases = r_all.0.is_empty();
    let f = &mut out.figures;
    f.total = area(&h_all);
    f.remaining = if no_releases { area(&h_open) } else { area(&h_open.difference(&r_all)) };
    if open.len() < c.hazards.len() {
        let closed_only = if open.is_empty() { h_all.clone() } else { h_all.difference(&h_open) };
        f.closed_unreleased = if no_releases { area(&closed_only) } else { area(&closed_only.difference(&r_all)) };
    }
    if !no_releases {
        f.released_outside_hazards = if h_all.0.is_empty() { area(&r_all) } else { area(&r_all.difference(&h_all)) };
    }

    // 2. Release pieces in priority order.
    let mut order: Vec<usize> = (0..c.releases.len()).collect();
    order.sort_by(|&a, &b| rl[c.releases[a]].priority_key().cmp(&rl[c.releases[b]].priority_key()));
    for (k, &ri) in order.iter().enumerate() {
        let r = &rl[c.releases[ri]];
        let local: Vec<&MultiPolygon<f64>> = c
            .hazards
            .iter()
            .zip(&hboxes)
            .filter(|(_, b)| boxes_meet(**b, rboxes[ri]))
            .map(|(&i, _)| &hz[i].geometry)
            .collect();
        let inside = if local.is_empty() { MultiPolygon::new(vec![]) } else { r.geometry.intersection(&union(local.iter().copied())) };
        let earlier = union(
            order[..k]
                .iter()
                .filter(|&&e| boxes_meet(rboxes[e], rboxes[ri]))
                .map(|&e| &rl[c.releases[e]].geometry),
        );
        let piece = if earlier.0.is_empty() || inside.0.is_empty() { inside } else { inside.difference(&earlier) };
        let a = area(&piece);
        if piece.0.is_empty() || a <= 0.0 {
            let why = if local.is_empty() || area(&r.geometry.intersection(&h_all)) <= 0.0 {
                "lies entirely outside every hazard"
            } else {
                "covers only land already released by earlier releases"
            };
            out.diagnostics.push(
                Diagnostic::new(Code::ReleaseNotAttributed, Severity::Info, format!("release {why}"))
                    .record(&r.provenance)
                    .fix("no land attributed to it"),
            );
            continue;
        }
        *out.figures.released_mut(r.outcome) += a;
        let y = out.by_year.entry(year_key(r)).or_default();
        match r.outcome {
            Outcome::Cancelled => y.cancelled += a,
            Outcome::Reduced => y.reduced += a,
            Outcome::Cleared => y.cleared += a,
        }
        y.total += a;
        out.pieces.push(ReleasePiece {
            release: c.releases[ri],
            geometry: piece,
            area_m2: a,
        });
    }

    // 3. Per hazard.
    for (k, &hi) in c.hazards.iter().enumerate() {
        let h = &hz[hi];
        let near: Vec<&MultiPolygon<f64>> = c
            .releases
            .iter()
            .zip(&rboxes)
            .filter(|(_, b)| boxes_meet(**b, hboxes[k]))
            .map(|(&i, _)| &rl[i].geometry)
            .collect();
        let area_m2 = area(&h.geometry);
        let remaining = if h.status.is_closed() {
            MultiPolygon::new(vec![])
        } else if near.is_empty() {
            h.geometry.clone()
        } else {
            h.geometry.difference(&union(near.iter().copied()))
        };
        let remaining_m2 = if near.is_empty() && !h.status.is_closed() { area_m2 } else { area(&remaining) };
        let mut released_m2 = [0.0; 3];
        for p in &out.pieces {
            if boxes_meet(bbox(&p.geometry), hboxes[k]) {
                released_m2[outcome_slot(rl[p.release].outcome)] += area(&p.geometry.intersection(&h.geometry));
            }
        }
        if remaining_m2 <= 0.0 {
            let why = if h.status.is_closed() { "hazard is closed" } else { "all of the hazard's land is released" };
            out.diagnostics.push(
                Diagnostic::new(Code::NoLandRemaining, Severity::Info, why)
                    .record(&h.provenance)
                    .fix("not in hazards.geojson; counted in the totals"),
            );
        }
        out.hazards.push((
            hi,
            HazardResult {
                area_m2,
                remaining_m2,
                remaining,
                released_m2,
            },
        ));
    }

    // 4. Breakdowns of the remaining land.
    let remaining_total = out.figures.remaining;
    let mut classes: BTreeMap<Classification, Vec<&MultiPolygon<f64>>> = BTreeMap::new();
    let mut regions: BTreeMap<&str, Vec<&MultiPolygon<f64>>> = BTreeMap::new();
    for &i in &open {
        classes.entry(hz[i].classification).or_default().push(&hz[i].geometry);
        regions
            .entry(hz[i].region.as_deref().unwrap_or(NO_REGION))
            .or_default()
            .push(&hz[i].geometry);
    }
    // Classification's derived order is SHA, CHA, other; CHA takes precedence.
    let class_order = [Classification::Cha, Classification::Sha, Classification::Other];
    let class_groups: Vec<(&'static str, Vec<&MultiPolygon<f64>>)> = class_order
        .iter()
        .filter_map(|c| classes.remove(c).map(|g| (c.as_str(), g)))
        .collect();
    for (k, a) in partition(class_groups, &r_all, remaining_total) {
        *out.by_class.entry(k).or_default() += a;
    }
    let region_groups: Vec<(&str, Vec<&MultiPolygon<f64>>)> = regions.into_iter().collect();
    for (k, a) in partition(region_groups, &r_all, remaining_total) {
        *out.by_region.entry(k.to_string()).or_default() += a;
    }
    out
}

/// Split the remaining land (∪ groups − releases) among groups in priority
/// order: each group gets what no earlier group and no release covers.
fn partition<K: Copy>(
    groups: Vec<(K, Vec<&MultiPolygon<f64>>)>,
    releases: &MultiPolygon<f64>,
    remaining_total: f64,
) -> Vec<(K, f64)> {
    if groups.len() == 1 {
        // One group holds all remaining land: no boolean work needed.
        return vec![(groups[0].0, remaining_total)];
    }
    let mut taken = releases.clone();
    let mut out = Vec::with_capacity(groups.len());
    for (k, parts) in groups {
        let g = union(parts);
        let share = if taken.0.is_empty() { g.clone() } else { g.difference(&taken) };
        out.push((k, area(&share)));
        taken = union([&taken, &g]);
    }
    out
}
