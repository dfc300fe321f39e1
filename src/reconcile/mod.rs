//! Reconcile: decide which records take part in the accounting and group them
//! into independent clusters.
//!
//! 1. Drop releases dated after `as_of` (each reported).
//! 2. Collapse duplicate ids (trimmed, case-folded): the last record read wins,
//!    every superseded record is reported.
//! 3. Put canonical order on records (by id) so that nothing downstream depends
//!    on input order.
//! 4. Bulk-load one R-tree over hazard envelopes and one over release
//!    envelopes ([`Index`]); every pairwise question of this stage and of
//!    measure goes through them.
//! 5. Join records whose envelopes intersect into clusters (union-find).
//!    Clusters share no land, so every figure is a sum over clusters.
//! 6. Report overlaps, duplicate geometries, wrong release links and area
//!    mismatches ([`checks`]).

pub mod checks;

use crate::diagnostics::{Code, Diagnostic, Diagnostics, Severity};
use crate::measure::area::area;
use crate::model::{Hazard, Release, Role};
use crate::normalize::{Normalized, RecordCounts};
use chrono::NaiveDate;
use geo::{BoundingRect, Rect};
use rayon::prelude::*;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};
use std::collections::{BTreeMap, HashMap};

/// What reconcile needs to know from the config (`[reconcile]`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReconcileConfig {
    /// Releases dated after this day are ignored (the config's top-level `as_of`).
    #[serde(skip)]
    pub as_of: Option<NaiveDate>,
    /// Intersection over union from which two hazards are the same land.
    pub duplicate_iou: f64,
    /// Relative difference of reported and computed area that is reported.
    pub area_mismatch: f64,
    /// Overlaps smaller than this (m²) are digitising noise, not reported.
    pub min_overlap_m2: f64,
}

impl Default for ReconcileConfig {
    fn default() -> Self {
        ReconcileConfig {
            as_of: None,
            duplicate_iou: 0.95,
            area_mismatch: 0.10,
            min_overlap_m2: 1.0,
        }
    }
}

type Envelope = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// R-trees over hazard and release envelopes (indices into the sorted vectors).
#[derive(Debug, Default)]
pub struct Index {
    hazards: RTree<Envelope>,
    releases: RTree<Envelope>,
    pub hazard_boxes: Vec<Option<Rect<f64>>>,
    pub release_boxes: Vec<Option<Rect<f64>>>,
}

fn aabb(r: Rect<f64>) -> AABB<[f64; 2]> {
    AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y])
}

impl Index {
    pub fn new(hazards: &[Hazard], releases: &[Release]) -> Index {
        let hazard_boxes: Vec<_> = hazards
            .par_iter()
            .map(|h| h.geometry.bounding_rect())
            .collect();
        let release_boxes: Vec<_> = releases
            .par_iter()
            .map(|r| r.geometry.bounding_rect())
            .collect();
        let load = |boxes: &[Option<Rect<f64>>]| {
            RTree::bulk_load(
                boxes
                    .iter()
                    .enumerate()
                    .filter_map(|(i, b)| {
                        b.map(|b| GeomWithData::new(Rectangle::from_aabb(aabb(b)), i))
                    })
                    .collect(),
            )
        };
        Index {
            hazards: load(&hazard_boxes),
            releases: load(&release_boxes),
            hazard_boxes,
            release_boxes,
        }
    }

    /// Hazards whose envelope meets `b`.
    pub fn hazards_in(&self, b: Rect<f64>) -> impl Iterator<Item = usize> + '_ {
        self.hazards
            .locate_in_envelope_intersecting(&aabb(b))
            .map(|e| e.data)
    }

    /// Releases whose envelope meets `b`.
    pub fn releases_in(&self, b: Rect<f64>) -> impl Iterator<Item = usize> + '_ {
        self.releases
            .locate_in_envelope_intersecting(&aabb(b))
            .map(|e| e.data)
    }

    /// Hazards by increasing envelope distance from a point.
    pub fn hazards_nearest(&self, p: geo::Point<f64>) -> impl Iterator<Item = usize> + '_ {
        self.hazards
            .nearest_neighbor_iter(&[p.x(), p.y()])
            .map(|e| e.data)
    }
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
    /// Geodesic area of each hazard, m² (parallel to `hazards`).
    pub hazard_areas: Vec<f64>,
    /// Geodesic area of each release, m² (parallel to `releases`).
    pub release_areas: Vec<f64>,
    pub index: Index,
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
                        format!(
                            "release dated {} is after as_of {as_of}",
                            r.date.expect("late implies dated")
                        ),
                    )
                    .record(&r.provenance)
                    .fix("not counted in this build"),
                );
                counts.entry(Role::Release).or_default().after_as_of += 1;
            }
            !late
        });
    }
    let mut hazards = dedupe(
        n.hazards,
        |h| &h.id,
        |h| &h.provenance,
        &mut diags,
        counts.entry(Role::Hazard).or_default(),
    );
    let mut releases = dedupe(
        releases,
        |r| &r.id,
        |r| &r.provenance,
        &mut diags,
        counts.entry(Role::Release).or_default(),
    );
    hazards.sort_by(|a, b| a.id.cmp(&b.id));
    releases.sort_by(|a, b| a.id.cmp(&b.id));
    counts.entry(Role::Hazard).or_default().used = hazards.len();
    counts.entry(Role::Release).or_default().used = releases.len();

    let index = Index::new(&hazards, &releases);
    let clusters = cluster(&index);
    let hazard_areas: Vec<f64> = hazards.par_iter().map(|h| area(&h.geometry)).collect();
    diags.extend(checks::hazard_pairs(&hazards, &hazard_areas, &index, cfg));
    let release_areas: Vec<f64> = releases.par_iter().map(|r| area(&r.geometry)).collect();
    diags.extend(checks::release_links(
        &hazards,
        &hazard_areas,
        &releases,
        &release_areas,
        &index,
    ));
    diags.extend(checks::area_mismatch(
        hazards
            .iter()
            .zip(&hazard_areas)
            .map(|(h, a)| (&h.provenance, h.area_reported_m2, *a)),
        cfg,
    ));
    diags.extend(checks::area_mismatch(
        releases
            .iter()
            .zip(&release_areas)
            .map(|(r, a)| (&r.provenance, r.area_reported_m2, *a)),
        cfg,
    ));
    Reconciled {
        hazards,
        releases,
        hazard_areas,
        release_areas,
        index,
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
    let key = checks::id_key;
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

/// Connected components of the envelope-intersection graph over hazards and
/// releases (releases numbered after hazards), ordered by their first member.
pub fn cluster(index: &Index) -> Vec<Cluster> {
    let nh = index.hazard_boxes.len();
    let n = nh + index.release_boxes.len();
    let edges: Vec<(usize, usize)> = (0..n)
        .into_par_iter()
        .flat_map_iter(|i| {
            let b = if i < nh {
                index.hazard_boxes[i]
            } else {
                index.release_boxes[i - nh]
            };
            let Some(b) = b else { return Vec::new() };
            index
                .hazards_in(b)
                .chain(index.releases_in(b).map(|j| j + nh))
                .filter(|&j| j > i)
                .map(|j| (i, j))
                .collect::<Vec<_>>()
        })
        .collect();
    let mut uf = UnionFind::new(n);
    for (a, b) in edges {
        uf.union(a, b);
    }
    // A root is the smallest index of its cluster (see `union`), so this map
    // orders clusters by their first member.
    let mut by_root: BTreeMap<usize, Cluster> = BTreeMap::new();
    for i in 0..n {
        let c = by_root.entry(uf.find(i)).or_default();
        if i < nh {
            c.hazards.push(i);
        } else {
            c.releases.push(i - nh);
        }
    }
    by_root.into_values().collect()
}

struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n).collect(),
        }
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
