//! Reconcile: decide which records take part in the accounting and group them
//! into independent clusters.
//!
//! 1. Drop releases dated after `as_of` (each reported).
//! 2. Collapse duplicate ids (trimmed, case-folded): a record supersedes an
//!    earlier one with its id only where their geometries overlap; records of
//!    one id that share no land are all kept. Every superseded or shared-id
//!    record is reported.
//! 3. Put canonical order on records (by id, then by place) so that nothing
//!    downstream depends on input order.
//! 4. Bulk-load one R-tree over hazard envelopes and one over release
//!    envelopes ([`Index`]); every pairwise question of this stage and of
//!    measure goes through them.
//! 5. Join records whose envelopes intersect into clusters (union-find).
//!    Clusters share no land, so every figure is a sum over clusters.
//! 6. Report overlaps, duplicate geometries, wrong release links and area
//!    mismatches ([`checks`]).

mod checks;

use crate::diagnostics::{Code, Diagnostic, Diagnostics, Severity};
use crate::geometry::area;
use crate::model::{Hazard, Release, Role};
use crate::normalize::{Normalized, RecordCounts};
use chrono::NaiveDate;
use geo::{BoundingRect, MultiPolygon, Rect};
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
    /// Records read and quarantined per source (normalize's).
    pub sources: Vec<crate::normalize::SourceCounts>,
    pub diagnostics: Diagnostics,
}

impl Reconciled {
    /// Frees what only measure reads: the records' geometries (emptied), the
    /// R-trees and the clusters. Emit reads the records' attributes and
    /// provenance, their areas, and the land of the accounting (each hazard's
    /// remaining part, the release pieces), never these; held through emit
    /// they were the largest part of the accounting's memory.
    pub fn free_geometry(&mut self) {
        for h in &mut self.hazards {
            h.geometry = MultiPolygon::new(Vec::new());
        }
        for r in &mut self.releases {
            r.geometry = MultiPolygon::new(Vec::new());
        }
        self.index = Index::default();
        self.clusters = Vec::new();
    }
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
                    .fix("not counted in this build")
                    .at_area(&r.geometry),
                );
                counts.entry(Role::Release).or_default().after_as_of += 1;
            }
            !late
        });
    }
    if cfg.as_of.is_none() && !releases.is_empty() {
        diags.push(
            Diagnostic::new(
                Code::AsOfMissing,
                Severity::Warning,
                "the config gives no as_of: every release is counted, whatever its date",
            )
            .fix("add as_of = \"YYYY-MM-DD\" (the last day of the reporting period) to the config"),
        );
    }
    let mut hazards = dedupe(
        n.hazards,
        |h| &h.id,
        |h| &h.geometry,
        |h| &h.provenance,
        &mut diags,
        counts.entry(Role::Hazard).or_default(),
    );
    let mut releases = dedupe(
        releases,
        |r| &r.id,
        |r| &r.geometry,
        |r| &r.provenance,
        &mut diags,
        counts.entry(Role::Release).or_default(),
    );
    hazards.sort_by(|a, b| canonical_order((&a.id, &a.geometry), (&b.id, &b.geometry)));
    releases.sort_by(|a, b| canonical_order((&a.id, &a.geometry), (&b.id, &b.geometry)));
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
            .map(|(h, a)| (&h.provenance, &h.geometry, h.area_reported_m2, *a)),
        cfg,
    ));
    diags.extend(checks::area_mismatch(
        releases
            .iter()
            .zip(&release_areas)
            .map(|(r, a)| (&r.provenance, &r.geometry, r.area_reported_m2, *a)),
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
        sources: n.sources,
        diagnostics: diags,
    }
}

/// The canonical order of records: by id, and records that share an id (kept
/// because they share no land) by where they lie, so that no output depends
/// on the order rows were read in.
fn canonical_order(
    a: (&String, &MultiPolygon<f64>),
    b: (&String, &MultiPolygon<f64>),
) -> std::cmp::Ordering {
    a.0.cmp(b.0).then_with(|| {
        let key = |g: &MultiPolygon<f64>| {
            g.bounding_rect()
                .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y])
                .unwrap_or_default()
        };
        let (ka, kb) = (key(a.1), key(b.1));
        ka.iter()
            .zip(&kb)
            .map(|(x, y)| x.total_cmp(y))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| area(a.1).total_cmp(&area(b.1)))
    })
}

/// Collapse duplicate ids (docs/design.md "Duplicate ids"): within each group of
/// records sharing an id (trimmed, case-folded), a record supersedes an earlier
/// one only where their geometries overlap (identical ones included). Records
/// of one id that share no land are all kept, each with a DUPLICATE_ID warning:
/// an id reused across a country (a placeholder, a column of row numbers
/// restarting per file) must not drop land from the figures.
fn dedupe<T>(
    items: Vec<T>,
    id: impl Fn(&T) -> &String,
    geometry: impl Fn(&T) -> &MultiPolygon<f64>,
    prov: impl Fn(&T) -> &crate::model::Provenance,
    diags: &mut Diagnostics,
    counts: &mut RecordCounts,
) -> Vec<T> {
    let mut groups: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, it) in items.iter().enumerate() {
        groups.entry(checks::id_key(id(it))).or_default().push(i);
    }
    // superseded[i] = the index of the record that replaces record i.
    let mut superseded: Vec<Option<usize>> = vec![None; items.len()];
    let mut shared: Vec<bool> = vec![false; items.len()];
    let mut multi: Vec<&Vec<usize>> = groups.values().filter(|g| g.len() > 1).collect();
    // HashMap order is random; diagnostics are sorted later, but keep the
    // work itself in read order too.
    multi.sort_unstable_by_key(|g| g[0]);
    for group in multi {
        supersede_overlapping(group, &items, &geometry, &mut superseded);
        let kept: Vec<usize> = group
            .iter()
            .copied()
            .filter(|&i| superseded[i].is_none())
            .collect();
        if kept.len() > 1 {
            for &i in &kept {
                shared[i] = true;
            }
        }
    }
    for (i, it) in items.iter().enumerate() {
        if let Some(winner) = superseded[i] {
            let kept = &items[winner];
            diags.push(
                Diagnostic::new(
                    Code::DuplicateId,
                    Severity::Warning,
                    format!(
                        "id \"{}\" also used by {}, whose geometry overlaps this one",
                        id(it),
                        prov(kept)
                    ),
                )
                .record(prov(it))
                .fix("superseded by the overlapping record read later")
                .at_area(geometry(it))
                .other(prov(kept)),
            );
            counts.superseded += 1;
        } else if shared[i] {
            diags.push(
                Diagnostic::new(
                    Code::DuplicateId,
                    Severity::Warning,
                    format!(
                        "id \"{}\" is shared by records whose geometries do not overlap",
                        id(it)
                    ),
                )
                .record(prov(it))
                .fix("all kept as separate records; give each its own id in the source")
                .at_area(geometry(it)),
            );
        }
    }
    items
        .into_iter()
        .zip(superseded)
        .filter_map(|(it, s)| s.is_none().then_some(it))
        .collect()
}

/// Within one id's records (indices in read order), mark every record that a
/// later one overlaps as superseded by the latest record overlapping it.
fn supersede_overlapping<T>(
    group: &[usize],
    items: &[T],
    geometry: &impl Fn(&T) -> &MultiPolygon<f64>,
    superseded: &mut [Option<usize>],
) {
    let boxes: Vec<(usize, Rect<f64>)> = group
        .iter()
        .filter_map(|&i| geometry(&items[i]).bounding_rect().map(|b| (i, b)))
        .collect();
    // A local R-tree: one id may be shared by thousands of records.
    let tree: RTree<Envelope> = RTree::bulk_load(
        boxes
            .iter()
            .map(|&(i, b)| GeomWithData::new(Rectangle::from_aabb(aabb(b)), i))
            .collect(),
    );
    // Latest first: a record is replaced by the last record read over it.
    for &(j, b) in boxes.iter().rev() {
        if superseded[j].is_some() {
            continue;
        }
        let mut earlier: Vec<usize> = tree
            .locate_in_envelope_intersecting(&aabb(b))
            .map(|e| e.data)
            .filter(|&i| i < j && superseded[i].is_none())
            .collect();
        earlier.sort_unstable();
        for i in earlier {
            if overlaps(geometry(&items[i]), geometry(&items[j])) {
                superseded[i] = Some(j);
            }
        }
    }
}

/// Whether two geometries share land (not merely a border or a corner).
fn overlaps(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> bool {
    a == b || area(&crate::geometry::intersection(a, b)) > 0.0
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
