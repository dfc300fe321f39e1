//! The product of measure, [`Accounting`], and its sum over clusters: each
//! cluster is measured apart (`cluster.rs`: clusters share no land) and
//! the results are added in cluster order, so the figures do not depend on the
//! thread count; then docs/design.md's conservation is checked on the whole.
//!
//! The breakdowns of the remaining land are sums of the same (classification,
//! region) atoms, so they agree exactly; the atoms themselves are kept too
//! (`remaining_by_class_region`), for tables that cross the two.

use super::cluster::{measure_cluster, ClusterOut};
use super::keys::{ByOutcome, Region, Year};
use super::MeasureError;
use crate::diagnostics::Diagnostics;
use crate::model::{Classification, Outcome};
use crate::reconcile::Reconciled;
use geo::MultiPolygon;
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
    pub(super) fn add(&mut self, o: &Figures) {
        self.total += o.total;
        self.remaining += o.remaining;
        self.cleared += o.cleared;
        self.reduced += o.reduced;
        self.cancelled += o.cancelled;
        self.closed_unreleased += o.closed_unreleased;
        self.released_outside_hazards += o.released_outside_hazards;
    }

    pub(super) fn released_mut(&mut self, o: Outcome) -> &mut f64 {
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
    pub fn check_conservation(&self) -> Result<(), MeasureError> {
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
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct YearReleased {
    pub released: ByOutcome<f64>,
    /// The year's pieces added up as they come (not the sum of `released`,
    /// which adds in another order).
    pub total: f64,
}

/// Per-hazard results (hazards.geojson).
#[derive(Debug, Clone)]
pub struct HazardResult {
    pub area_m2: f64,
    pub remaining_m2: f64,
    /// The hazard's land no release covers; empty for closed hazards.
    pub remaining: MultiPolygon<f64>,
    /// Land of this hazard released, by outcome.
    pub released_m2: ByOutcome<f64>,
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
    pub by_classification: BTreeMap<Classification, Share>,
    pub by_region: BTreeMap<Region, Share>,
    /// (classification, region) → remaining area of that atom, m². Summed over
    /// classifications it gives `by_region`, over regions `by_classification`
    /// (the same atoms, so the cells of a class × region table add up).
    pub remaining_by_class_region: BTreeMap<(Classification, Region), f64>,
    /// Contamination type → remaining land of hazards with that type. Not
    /// additive: a hazard with several types counts under each.
    pub by_contamination: BTreeMap<String, Share>,
    /// Year of the release date → released area by outcome.
    pub released_by_year: BTreeMap<Year, YearReleased>,
    /// Parallel to `Reconciled::hazards`.
    pub hazards: Vec<HazardResult>,
    /// In release order (by id).
    pub pieces: Vec<ReleasePiece>,
    pub diagnostics: Diagnostics,
}

/// The contamination key for hazards that name none.
pub const UNSPECIFIED: &str = "unspecified";

/// Measure every cluster and add up the results.
pub fn measure(rec: &Reconciled) -> Result<Accounting, MeasureError> {
    measure_with(Records::Kept(rec), crate::progress::Progress::none())
}

/// [`measure`], counting each cluster measured into `progress`, and
/// emptying each record's geometry once the last cluster that reads it is
/// measured (emit reads the accounting's land, never the records'): held to
/// the end, they and the land measured beside them were the build's peak of
/// memory (3.3 GB at a million hazards and a million and a half releases).
pub fn measure_counted(
    rec: &mut Reconciled,
    progress: &crate::progress::Progress,
) -> Result<Accounting, MeasureError> {
    measure_with(Records::Freed(rec), progress)
}

/// The records [`measure_with`] reads: kept as they are, or their
/// geometries emptied as it goes.
enum Records<'r> {
    Kept(&'r Reconciled),
    Freed(&'r mut Reconciled),
}

impl Records<'_> {
    fn get(&self) -> &Reconciled {
        match self {
            Records::Kept(r) => r,
            Records::Freed(r) => r,
        }
    }
}

/// Per record, the last cluster that reads it (its index): hazards, then
/// releases.
fn last_reads(rec: &Reconciled) -> (Vec<usize>, Vec<usize>) {
    let mut hazards = vec![0; rec.hazards.len()];
    let mut releases = vec![0; rec.releases.len()];
    for (k, c) in rec.clusters.iter().enumerate() {
        for &i in &c.hazards {
            if let Some(last) = hazards.get_mut(i) {
                *last = k;
            }
        }
        for &i in &c.releases {
            if let Some(last) = releases.get_mut(i) {
                *last = k;
            }
        }
    }
    (hazards, releases)
}

fn measure_with(
    mut records: Records,
    progress: &crate::progress::Progress,
) -> Result<Accounting, MeasureError> {
    let rec = records.get();
    progress.add_length(rec.clusters.len() as u64);
    let mut acc = Accounting::empty(rec.hazards.len());
    let mut residuals: Vec<(f64, usize)> = Vec::with_capacity(rec.clusters.len());
    let last = match records {
        Records::Freed(_) => Some(last_reads(rec)),
        Records::Kept(_) => None,
    };
    // A chunk of clusters at a time, measured in parallel and added in
    // cluster order: the per-cluster results (small maps, vectors) live for
    // one chunk instead of all at once.
    let chunks = rec.clusters.len().div_ceil(CHUNK);
    for n in 0..chunks {
        let rec = records.get();
        let (start, end) = (n * CHUNK, ((n + 1) * CHUNK).min(rec.clusters.len()));
        let chunk = &rec.clusters[start..end];
        let outs: Vec<ClusterOut> = chunk
            .par_iter()
            .map(|c| {
                let out = measure_cluster(c, rec);
                progress.inc(1);
                out
            })
            .collect();
        for (k, out) in outs.into_iter().enumerate() {
            let residual = (out.figures.total - out.figures.accounted()).abs();
            residuals.push((residual, start + k));
            acc.add(out);
        }
        if let (Records::Freed(rec), Some((last_h, last_r))) = (&mut records, &last) {
            let Reconciled {
                hazards,
                releases,
                clusters,
                ..
            } = &mut **rec;
            for c in &clusters[start..end] {
                for &i in &c.hazards {
                    if last_h.get(i).is_some_and(|&k| k < end) {
                        if let Some(h) = hazards.get_mut(i) {
                            h.geometry = MultiPolygon::new(Vec::new());
                        }
                    }
                }
                for &i in &c.releases {
                    if last_r.get(i).is_some_and(|&k| k < end) {
                        if let Some(r) = releases.get_mut(i) {
                            r.geometry = MultiPolygon::new(Vec::new());
                        }
                    }
                }
            }
        }
    }
    let rec = records.get();
    let worst = largest_residuals(rec, residuals);
    acc.count_hazards(rec);
    acc.pieces.sort_by_key(|p| p.release);
    acc.figures.check_conservation().map_err(|e| match e {
        MeasureError::Conservation { details } => MeasureError::Conservation {
            details: format!("{details}; largest residuals: {}", worst.join("; ")),
        },
    })?;
    Ok(acc)
}

/// Clusters measured at a time (a few hundred per thread: enough that the
/// threads stay busy, few enough that their results stay small).
const CHUNK: usize = 2048;

/// The three clusters that account worst for their land (residuals by cluster
/// index), to point at the land involved if conservation fails.
fn largest_residuals(rec: &Reconciled, mut residuals: Vec<(f64, usize)>) -> Vec<String> {
    residuals.sort_by(|a, b| b.0.total_cmp(&a.0));
    residuals.truncate(3);
    residuals
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
        .collect()
}

impl Accounting {
    /// No land yet: every classification listed, `hazards` results empty.
    fn empty(hazards: usize) -> Accounting {
        let mut acc = Accounting {
            hazards: vec![
                HazardResult {
                    area_m2: 0.0,
                    remaining_m2: 0.0,
                    remaining: MultiPolygon::new(vec![]),
                    released_m2: ByOutcome::default(),
                };
                hazards
            ],
            ..Default::default()
        };
        for c in Classification::ALL {
            acc.by_classification.insert(c, Share::default());
        }
        acc
    }

    /// Add one cluster's figures, breakdowns and results.
    fn add(&mut self, out: ClusterOut) {
        self.figures.add(&out.figures);
        for (k, v) in out.by_class {
            self.by_classification.entry(k).or_default().area_m2 += v;
        }
        for (k, v) in out.by_region {
            self.by_region.entry(k).or_default().area_m2 += v;
        }
        for (k, v) in out.by_class_region {
            *self.remaining_by_class_region.entry(k).or_default() += v;
        }
        for (k, v) in out.by_contamination {
            self.by_contamination.entry(k).or_default().area_m2 += v;
        }
        for (k, v) in out.by_year {
            let e = self.released_by_year.entry(k).or_default();
            e.released += v.released;
            e.total += v.total;
        }
        for (i, h) in out.hazards {
            self.hazards[i] = h;
        }
        self.pieces.extend(out.pieces);
        self.diagnostics.extend(out.diagnostics);
    }

    /// The breakdowns' counts: hazards with land remaining.
    fn count_hazards(&mut self, rec: &Reconciled) {
        for (h, r) in rec.hazards.iter().zip(&self.hazards) {
            if r.remaining_m2 <= 0.0 {
                continue;
            }
            self.by_classification
                .entry(h.classification)
                .or_default()
                .count += 1;
            self.by_region
                .entry(Region::of(h.region.as_deref()))
                .or_default()
                .count += 1;
            if h.contamination.is_empty() {
                self.by_contamination
                    .entry(UNSPECIFIED.into())
                    .or_default()
                    .count += 1;
            }
            for t in &h.contamination {
                self.by_contamination.entry(t.clone()).or_default().count += 1;
            }
        }
    }
}
