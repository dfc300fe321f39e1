//! Reconcile: decide which records take part in the accounting and group them
//! into independent clusters.
//!
//! 1. Drop releases dated after `as_of` (each reported).
//! 2. Collapse duplicate ids (trimmed, case-folded): the last record read wins,
//!    every superseded record is reported.
//! 3. Put canonical order on records (by id) so that nothing downstream depends
//!    on input order.
//! 4. Bulk-load one R-tree over all hazard and release envelopes and join records
//!    whose envelopes intersect into clusters (union-find). Clusters share no
//!    land, so every figure is a sum over clusters, computed in parallel.

use crate::diagnostics::{Code, Diagnostic, Diagnostics, Severity};
use crate::model::{Hazard, Release, Role};
use crate::normalize::{Normalized, RecordCounts};
use chrono::NaiveDate;
use geo::{BoundingRect, Rect};
use rayon::prelude::*;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};
use std::collections::{BTreeMap, HashMap};

/// What reconcile needs to know from the config.
#[derive(Debug, Clone, Default)]
pub struct ReconcileConfig {
    pub as_of: Option<NaiveDate>,
}

/// Records whose envelopes are connected; indices into [`Reconciled`]'s vectors.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cluster {
    pub hazards: Vec<usize>,
    pub releases: Vec<usize>,
}

/// The product of reconcile.
#[derive(Debug, Default)]
pub struct Reconciled {
    /// Sorted by id.
    pub hazards: Vec<Hazard>,
    /// Sorted by id.
    pub releases: Vec<Release>,
    pub clusters: Vec<Cluster>,
    pub counts: BTreeMap<Role, RecordCounts>,
    pub diagnostics: Diagnostics,
}

pub fn reconcile(n: Normalized, cfg: &ReconcileConfig) -> Reconciled {
    let mut diags = n.diagnostics;
    let mut counts = n.counts;

    let mut releases = n.releases;
    if let Some(as_of) = cfg.as_of {
        releases.retain(|r| {
            let late = r.date.is_some_and(|d| d > as_of);
            if late {
                diags.push(
                    Diagnostic::new(
                        Code::AfterAsOf,
                        Severity::Info,
                        format!("release dated {} is after as_of {as_of}", r.date.expect("late implies dated")),
                    )
                    .record(&r.provenance)
                    .fix("not counted in this build"),
                );
                counts.entry(Role::Release).or_default().after_as_of += 1;
            }
            !late
        });
    }
    let mut hazards = dedupe(n.hazards, |h| &h.id, |h| &h.provenance, &mut diags, counts.entry(Role::Hazard).or_default());
    let mut releases = dedupe(releases, |r| &r.id, |r| &r.provenance, &mut diags, counts.entry(Role::Release).or_default());
    hazards.sort_by(|a, b| a.id.cmp(&b.id));
    releases.sort_by(|a, b| a.id.cmp(&b.id));
    counts.entry(Role::Hazard).or_default().used = hazards.len();
    counts.entry(Role::Release).or_default().used = releases.len();

    let clusters = cluster(&hazards, &releases);
    Reconciled {
        hazards,
        releases,
        clusters,
        counts,
        diagnostics: diags,
    }
}

/// Keep the last record read of every id; report the others.
fn dedupe<T>(
    items: Vec<T>,
    id: impl Fn(&T) -> &String,
    prov: impl Fn(&T) -> &crate::model::Provenance,
    diags: &mut Diagnostics,
    counts: &mut RecordCounts,
) -> Vec<T> {
    let key = |s: &str| s.trim().to_lowercase();
    let mut last: HashMap<String, usize> = HashMap::new();
    for (i, it) in items.iter().enumerate() {
        last.insert(key(id(it)), i);
    }
    let mut out = Vec::with_capacity(last.len());
    for (i, it) in items.iter().enumerate() {
        let winner = last[&key(id(it))];
        if winner != i {
            let kept = &items[winner];
            diags.push(
                Diagnostic::new(
                    Code::DuplicateId,
                    Severity::Warning,
                    format!("id \"{}\" also used by {}", id(it), prov(kept)),
                )
                .record(prov(it))
                .fix("superseded by the record read last"),
            );
            counts.superseded += 1;
        }
    }
    for (i, it) in items.into_iter().enumerate() {
        if last[&key(id(&it))] == i {
            out.push(it);
        }
    }
    out
}

type Envelope = GeomWithData<Rectangle<[f64; 2]>, usize>;

fn envelope(r: Option<Rect<f64>>, i: usize) -> Envelope {
    let r = r.unwrap_or_else(|| Rect::new((0., 0.), (0., 0.)));
    GeomWithData::new(Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]), i)
}

/// Connected components of the envelope-intersection graph over hazards and
/// releases (releases numbered after hazards), ordered by their first member.
pub fn cluster(hazards: &[Hazard], releases: &[Release]) -> Vec<Cluster> {
    let nh = hazards.len();
    let envs: Vec<Envelope> = hazards
        .par_iter()
        .map(|h| h.geometry.bounding_rect())
        .chain(releases.par_iter().map(|r| r.geometry.bounding_rect()))
        .enumerate()
        .map(|(i, r)| envelope(r, i))
        .collect();
    let tree = RTree::bulk_load(envs.clone());
    let edges: Vec<(usize, usize)> = envs
        .par_iter()
        .flat_map_iter(|e| {
            let i = e.data;
            let aabb: AABB<[f64; 2]> = e.geom().envelope_aabb();
            tree.locate_in_envelope_intersecting(&aabb)
                .filter(move |o| o.data > i)
                .map(move |o| (i, o.data))
                .collect::<Vec<_>>()
        })
        .collect();
    let mut uf = UnionFind::new(envs.len());
    for (a, b) in edges {
        uf.union(a, b);
    }
    // A root is the smallest index of its cluster (see `union`), so this map
    // orders clusters by their first member.
    let mut by_root: BTreeMap<usize, Cluster> = BTreeMap::new();
    for i in 0..envs.len() {
        let c = by_root.entry(uf.find(i)).or_default();
        if i < nh {
            c.hazards.push(i);
        } else {
            c.releases.push(i - nh);
        }
    }
    by_root.into_values().collect()
}

trait EnvelopeAabb {
    fn envelope_aabb(&self) -> AABB<[f64; 2]>;
}

impl EnvelopeAabb for Rectangle<[f64; 2]> {
    fn envelope_aabb(&self) -> AABB<[f64; 2]> {
        use rstar::RTreeObject;
        self.envelope()
    }
}

struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind { parent: (0..n).collect() }
    }

    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            // The smaller root wins so that roots are deterministic.
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.parent[hi] = lo;
        }
    }
}
