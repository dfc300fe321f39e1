//! The accounting of docs/design.md ("Accounting (normative)"), computed cluster by
//! cluster (clusters share no land) and summed in cluster order, so the figures
//! do not depend on the thread count.
//!
//! Per cluster, with H = ∪ hazards, Hₒ = ∪ non-closed hazards, R = ∪ releases:
//! 1. total = |H|; remaining = |Hₒ − R|; closed_unreleased = |(H − Hₒ) − R|;
//!    released_outside_hazards = |R − H|.
//! 2. Releases in priority order (dated, earliest, cleared > reduced > cancelled,
//!    undated last); each gets the piece (r ∩ H) − ∪(earlier releases): every
//!    released square metre counts once, for the first release that covers it.
//! 3. Breakdowns partition the remaining land into atoms keyed by
//!    (classification, region): where hazards of different classes overlap the
//!    land counts as CHA, then SHA, then other; among hazards of its class it
//!    counts for the region first in name order. remaining and both breakdowns
//!    are sums of the same atoms, so they agree exactly; the atoms themselves
//!    are kept too (`remaining_by_class_region`), for tables that cross the two.
//!
//! Boolean operations are planar in lon/lat (as GEOS/shapely do); every area is
//! geodesic.

use crate::diagnostics::{Code, Diagnostic, Diagnostics, Severity};
use crate::error::{Error, MeasureError, Result};
use crate::geometry::{self, area};
use crate::model::{Classification, Outcome, Release};
use crate::reconcile::{Cluster, Reconciled};
use geo::MultiPolygon;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

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

    /// docs/design.md's conservation: total = remaining + cleared + reduced +
    /// cancelled + closed_unreleased, to 1e-6 relative.
    pub fn check_conservation(&self) -> Result<()> {
        let diff = (self.total - self.accounted()).abs();
        if diff <= CONSERVATION_TOLERANCE * self.total.max(1.0) {
            return Ok(());
        }
        Err(MeasureError::Conservation {
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
        }
        .into())
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
    /// Hazards (indices) whose land this piece releases.
    pub hazards: Vec<usize>,
}

/// The product of measure.
#[derive(Debug, Default)]
pub struct Accounting {
    pub figures: Figures,
    pub by_classification: BTreeMap<&'static str, Share>,
    pub by_region: BTreeMap<String, Share>,
    /// (classification, region) → remaining area of that atom, m². Summed over
    /// classifications it gives `by_region`, over regions `by_classification`
    /// (the same atoms, so the cells of a class × region table add up).
    pub remaining_by_class_region: BTreeMap<(&'static str, String), f64>,
    /// Contamination type → remaining land of hazards with that type. Not
    /// additive: a hazard with several types counts under each.
    pub by_contamination: BTreeMap<String, Share>,
    /// Year ("2019", or "undated") → released area by outcome.
    pub released_by_year: BTreeMap<String, YearReleased>,
    /// Parallel to `Reconciled::hazards`.
    pub hazards: Vec<HazardResult>,
    /// In release order (by id).
    pub pieces: Vec<ReleasePiece>,
    pub diagnostics: Diagnostics,
}

/// The contamination key for hazards that name none.
pub const UNSPECIFIED: &str = "unspecified";

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
    by_class_region: BTreeMap<(&'static str, String), f64>,
    by_year: BTreeMap<String, YearReleased>,
    hazards: Vec<(usize, HazardResult)>,
    pieces: Vec<ReleasePiece>,
    by_contamination: BTreeMap<String, f64>,
    diagnostics: Vec<Diagnostic>,
}

/// Measure every cluster and add up the results.
pub fn measure(rec: &Reconciled) -> Result<Accounting> {
    let outs: Vec<ClusterOut> = rec
        .clusters
        .par_iter()
        .map(|c| measure_cluster(c, rec))
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
    // Per-cluster residuals, to point at the land involved if conservation fails.
    let mut residuals: Vec<(f64, usize)> = outs
        .iter()
        .enumerate()
        .map(|(k, o)| ((o.figures.total - o.figures.accounted()).abs(), k))
        .collect();
    residuals.sort_by(|a, b| b.0.total_cmp(&a.0));
    residuals.truncate(3);
    let worst: Vec<String> = residuals
        .iter()
        .filter(|(r, _)| *r > 0.0)
        .map(|&(r, k)| {
            let c = &rec.clusters[k];
            format!(
                "{r:.3} m² in the cluster of {} hazards and {} releases starting at hazard {}",
                c.hazards.len(),
                c.releases.len(),
                c.hazards
                    .first()
                    .map(|&i| rec.hazards[i].id.as_str())
                    .unwrap_or("-")
            )
        })
        .collect();
    for out in outs {
        acc.figures.add(&out.figures);
        for (k, v) in out.by_class {
            acc.by_classification.entry(k).or_default().area_m2 += v;
        }
        for (k, v) in out.by_region {
            acc.by_region.entry(k).or_default().area_m2 += v;
        }
        for (k, v) in out.by_class_region {
            *acc.remaining_by_class_region.entry(k).or_default() += v;
        }
        for (k, v) in out.by_contamination {
            acc.by_contamination.entry(k).or_default().area_m2 += v;
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
            acc.by_classification
                .entry(h.classification.as_str())
                .or_default()
                .count += 1;
            acc.by_region
                .entry(h.region.clone().unwrap_or_else(|| NO_REGION.into()))
                .or_default()
                .count += 1;
            if h.contamination.is_empty() {
                acc.by_contamination
                    .entry(UNSPECIFIED.into())
                    .or_default()
                    .count += 1;
            }
            for t in &h.contamination {
                acc.by_contamination.entry(t.clone()).or_default().count += 1;
            }
        }
    }
    acc.pieces.sort_by_key(|p| p.release);
    acc.figures.check_conservation().map_err(|e| match e {
        Error::Measure(MeasureError::Conservation { details }) => MeasureError::Conservation {
            details: format!("{details}; largest residuals: {}", worst.join("; ")),
        }
        .into(),
        other => other,
    })?;
    Ok(acc)
}

fn union<'a>(parts: impl IntoIterator<Item = &'a MultiPolygon<f64>>) -> MultiPolygon<f64> {
    let parts: Vec<&MultiPolygon<f64>> = parts.into_iter().filter(|m| !m.0.is_empty()).collect();
    match parts.len() {
        0 => MultiPolygon::new(vec![]),
        1 => parts[0].clone(),
        _ => geometry::union_all(parts),
    }
}

/// Where hazards of different classes overlap, the land counts as the first
/// class of this list.
const CLASS_PRECEDENCE: [Classification; 3] = [
    Classification::Cha,
    Classification::Sha,
    Classification::Other,
];

fn class_rank(c: Classification) -> usize {
    CLASS_PRECEDENCE.iter().position(|&x| x == c).unwrap_or(2)
}

fn year_key(r: &Release) -> String {
    r.date
        .map(|d| d.format("%Y").to_string())
        .unwrap_or_else(|| "undated".into())
}

fn measure_cluster(c: &Cluster, rec: &Reconciled) -> ClusterOut {
    let (hz, rl, index) = (&rec.hazards, &rec.releases, &rec.index);
    let mut out = ClusterOut::default();

    // 1. Unions and the headline figures.
    let h_all = union(c.hazards.iter().map(|&i| &hz[i].geometry));
    let open: Vec<usize> = c
        .hazards
        .iter()
        .copied()
        .filter(|&i| !hz[i].status.is_closed())
        .collect();
    let h_open = if open.len() == c.hazards.len() {
        h_all.clone()
    } else {
        union(open.iter().map(|&i| &hz[i].geometry))
    };
    let r_all = union(c.releases.iter().map(|&i| &rl[i].geometry));
    let no_releases = r_all.0.is_empty();
    let f = &mut out.figures;
    // A lone hazard's union is the hazard itself, measured by reconcile already.
    f.total = match c.hazards.as_slice() {
        [one] => rec.hazard_areas[*one],
        _ => area(&h_all),
    };
    // |Hₒ − R|; step 4 splits it into breakdown atoms and sums them back.
    // A lone open hazard's remaining part is that very difference: kept for
    // step 3 rather than computed and measured twice.
    let mut lone_remaining: Option<MultiPolygon<f64>> = None;
    // Never more than the total: Hₒ − R lies in H, and two overlays measured
    // apart must not say otherwise by their rounding.
    let remaining_union = if no_releases && open.len() == c.hazards.len() {
        f.total
    } else if no_releases {
        area(&h_open).min(f.total)
    } else {
        let rem = geometry::difference(&h_open, &r_all);
        let a = area(&rem).min(f.total);
        if c.hazards.len() == 1 && open.len() == 1 {
            lone_remaining = Some(rem);
        }
        a
    };
    if open.len() < c.hazards.len() {
        let closed_only = if open.is_empty() {
            h_all.clone()
        } else {
            geometry::difference(&h_all, &h_open)
        };
        f.closed_unreleased = if no_releases {
            area(&closed_only)
        } else {
            area(&geometry::difference(&closed_only, &r_all))
        };
    }
    if !no_releases {
        f.released_outside_hazards = if h_all.0.is_empty() {
            area(&r_all)
        } else {
            area(&geometry::difference(&r_all, &h_all))
        };
    }

    // 2. Release pieces in priority order; neighbours come from the R-trees
    // (an envelope that meets a cluster member is in the cluster).
    // `c.releases` ascends in reconcile's canonical order, and the sort is
    // stable, so releases equal on the key (one id shared by disjoint
    // records) keep that order, not the input's.
    let mut order: Vec<usize> = c.releases.clone();
    order.sort_by(|&a, &b| rl[a].priority_key().cmp(&rl[b].priority_key()));
    let rank: HashMap<usize, usize> = order.iter().enumerate().map(|(k, &r)| (r, k)).collect();
    let mut piece_of: HashMap<usize, usize> = HashMap::new();
    for (k, &ri) in order.iter().enumerate() {
        let r = &rl[ri];
        let Some(rbox) = index.release_boxes[ri] else {
            continue;
        };
        let mut local: Vec<usize> = index.hazards_in(rbox).collect();
        local.sort_unstable();
        let inside = if local.is_empty() {
            MultiPolygon::new(vec![])
        } else {
            geometry::intersection(&r.geometry, &union(local.iter().map(|&i| &hz[i].geometry)))
        };
        let mut earlier: Vec<usize> = index.releases_in(rbox).filter(|j| rank[j] < k).collect();
        earlier.sort_unstable_by_key(|j| rank[j]);
        let piece = if earlier.is_empty() || inside.0.is_empty() {
            inside
        } else {
            geometry::difference(&inside, &union(earlier.iter().map(|&j| &rl[j].geometry)))
        };
        let a = area(&piece);
        if piece.0.is_empty() || a <= 0.0 {
            let why =
                if local.is_empty() || area(&geometry::intersection(&r.geometry, &h_all)) <= 0.0 {
                    "lies entirely outside every hazard"
                } else {
                    "covers only land already released by earlier releases"
                };
            out.diagnostics.push(
                Diagnostic::new(
                    Code::ReleaseNotAttributed,
                    Severity::Info,
                    format!("release {why}"),
                )
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
        piece_of.insert(ri, out.pieces.len());
        out.pieces.push(ReleasePiece {
            release: ri,
            geometry: piece,
            area_m2: a,
            hazards: Vec::new(),
        });
    }

    // 3. Per hazard: remaining part and the land of it released, by outcome.
    for &hi in &c.hazards {
        let h = &hz[hi];
        let mut near: Vec<usize> = index.hazard_boxes[hi]
            .map(|b| index.releases_in(b).collect())
            .unwrap_or_default();
        near.sort_unstable();
        let area_m2 = rec.hazard_areas[hi];
        let (remaining, remaining_m2) = if h.status.is_closed() {
            (MultiPolygon::new(vec![]), 0.0)
        } else if near.is_empty() {
            (h.geometry.clone(), area_m2)
        } else if let Some(rem) = lone_remaining
            .take()
            .filter(|_| same_set(&near, &c.releases))
        {
            (rem, remaining_union)
        } else {
            let rem =
                geometry::difference(&h.geometry, &union(near.iter().map(|&i| &rl[i].geometry)));
            let a = area(&rem);
            (rem, a)
        };
        let mut released_m2 = [0.0; 3];
        for ri in &near {
            let Some(&p) = piece_of.get(ri) else { continue };
            let piece = &mut out.pieces[p];
            // In a one-hazard cluster every piece lies inside that hazard.
            let a = if c.hazards.len() == 1 {
                piece.area_m2
            } else {
                area(&geometry::intersection(&piece.geometry, &h.geometry))
            };
            if a > 0.0 {
                released_m2[outcome_slot(rl[*ri].outcome)] += a;
                piece.hazards.push(hi);
            }
        }
        if remaining_m2 <= 0.0 {
            let why = if h.status.is_closed() {
                "hazard is closed"
            } else {
                "all of the hazard's land is released"
            };
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

    // 4. Breakdowns of the remaining land, by (classification, region) atoms so
    // that both breakdowns add up to the same remaining figure exactly.
    let mut groups: BTreeMap<(usize, &str), Vec<&MultiPolygon<f64>>> = BTreeMap::new();
    let mut contamination: BTreeMap<&str, Vec<&MultiPolygon<f64>>> = BTreeMap::new();
    for &i in &open {
        let h = &hz[i];
        groups
            .entry((
                class_rank(h.classification),
                h.region.as_deref().unwrap_or(NO_REGION),
            ))
            .or_default()
            .push(&h.geometry);
        if h.contamination.is_empty() {
            contamination
                .entry(UNSPECIFIED)
                .or_default()
                .push(&h.geometry);
        }
        for t in &h.contamination {
            contamination
                .entry(t.as_str())
                .or_default()
                .push(&h.geometry);
        }
    }
    let atoms = partition(groups.into_iter().collect(), &r_all, remaining_union);
    // The atoms are measured apart, so their sum differs from |Hₒ − R| by the
    // overlay's rounding (~1e-9 relative): enough to print a remaining larger
    // than the total where nothing is released. The headline figure is the
    // union's own area, and the atoms share out that noise in proportion, so
    // both breakdowns still add up to it.
    let atoms_sum: f64 = atoms.iter().map(|(_, a)| a).sum();
    let scale = if atoms_sum > 0.0 {
        remaining_union / atoms_sum
    } else {
        1.0
    };
    out.figures.remaining = remaining_union;
    for ((rank, region), a) in atoms {
        let a = a * scale;
        *out.by_class
            .entry(CLASS_PRECEDENCE[rank].as_str())
            .or_default() += a;
        *out.by_region.entry(region.to_string()).or_default() += a;
        *out.by_class_region
            .entry((CLASS_PRECEDENCE[rank].as_str(), region.to_string()))
            .or_default() += a;
    }
    // Contamination types overlap by nature (one hazard, several types): each
    // type gets all the remaining land of its hazards, so these do not add up.
    for (t, parts) in contamination {
        let a = if parts.len() == open.len() {
            out.figures.remaining
        } else {
            let u = union(parts);
            if no_releases {
                area(&u)
            } else {
                area(&geometry::difference(&u, &r_all))
            }
        };
        *out.by_contamination.entry(t.to_string()).or_default() += a;
    }
    out
}

/// Whether sorted `a` holds the same indices as `b` (in any order).
fn same_set(a: &[usize], b: &[usize]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut b = b.to_vec();
    b.sort_unstable();
    a == b.as_slice()
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
        let share = if taken.0.is_empty() {
            g.clone()
        } else {
            geometry::difference(&g, &taken)
        };
        out.push((k, area(&share)));
        taken = union([&taken, &g]);
    }
    out
}
