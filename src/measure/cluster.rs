//! One cluster's accounting (docs/design.md, "Accounting (normative)"), in the
//! order of its rules; [`super::accounting`] adds the clusters up.
//!
//! With H = ∪ hazards, Hₒ = ∪ non-closed hazards, R = ∪ releases:
//! 1. [`Unions`] and the headline figures: total = |H|; remaining = |Hₒ − R|;
//!    closed_unreleased = |(H − Hₒ) − R|; released_outside_hazards = |R − H|.
//! 2. [`release_pieces`] in priority order (dated, earliest, on one date
//!    cleared, reduced, cancelled; undated last); each gets the piece
//!    (r ∩ H) − ∪(earlier releases): every released square metre counts once,
//!    for the first release that covers it.
//! 3. [`hazard_results`]: each hazard's remaining part and the land of it
//!    released, by outcome.
//! 4. The breakdowns ([`super::breakdown`]): [`remaining_atoms`] partition
//!    the remaining land into atoms keyed by (classification, region): where
//!    hazards of different classes overlap the land counts as CHA, then SHA,
//!    then other; among hazards of its class it counts for the region first
//!    in name order. remaining and both breakdowns are sums of the same atoms,
//!    so they agree exactly. [`contamination_shares`] give each contamination
//!    type the remaining land of its hazards (not additive).
//!
//! Conservation is checked on the sum of all clusters ([`super::accounting`]).
//! Boolean operations are planar in lon/lat (as GEOS/shapely do); every area is
//! geodesic.

use super::accounting::{Figures, HazardResult, ReleasePiece, YearReleased};
use super::breakdown::{contamination_shares, remaining_atoms};
use super::keys::{ByOutcome, Region, Year};
use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::geometry;
use crate::geometry::area;
use crate::model::{Classification, Release};
use crate::reconcile::{Cluster, Reconciled};
use geo::{BoundingRect, MultiPolygon, Rect};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

/// What one cluster adds to the accounting.
#[derive(Default)]
pub(super) struct ClusterOut {
    pub(super) figures: Figures,
    pub(super) by_class: BTreeMap<Classification, f64>,
    pub(super) by_region: BTreeMap<Region, f64>,
    pub(super) by_class_region: BTreeMap<(Classification, Region), f64>,
    pub(super) by_year: BTreeMap<Year, YearReleased>,
    pub(super) hazards: Vec<(usize, HazardResult)>,
    pub(super) pieces: Vec<ReleasePiece>,
    pub(super) by_contamination: BTreeMap<String, f64>,
    pub(super) diagnostics: Vec<Diagnostic>,
}

/// The accounting of one cluster, its rules in order.
pub(super) fn measure_cluster(c: &Cluster, rec: &Reconciled) -> ClusterOut {
    let mut out = if let ([hi], []) = (c.hazards.as_slice(), c.releases.as_slice()) {
        lone_hazard(c, *hi, rec)
    } else {
        general(c, rec)
    };
    out.shrink();
    out
}

impl ClusterOut {
    /// Give back the spare capacity of what the accounting keeps to the end
    /// of the build: a vector pushed to once holds room for four, and most
    /// pieces have one polygon and one hazard. At 100k hazards and 150k
    /// releases that was ~35 MB of polygon slots and hazard lists.
    fn shrink(&mut self) {
        let geometries = self
            .hazards
            .iter_mut()
            .map(|(_, r)| &mut r.remaining)
            .chain(self.pieces.iter_mut().map(|p| &mut p.geometry));
        for g in geometries {
            g.0.shrink_to_fit();
        }
        for p in &mut self.pieces {
            p.hazards.shrink_to_fit();
        }
    }
}

/// [`measure_cluster`] for any cluster.
fn general(c: &Cluster, rec: &Reconciled) -> ClusterOut {
    let mut out = ClusterOut::default();
    let u = Unions::of(c, rec);
    let mut shared = Shared::of(&u);
    let total = total(c, rec, &u);
    let remaining = remaining(c, &u, total, &mut shared);
    out.figures.total = total;
    out.figures.closed_unreleased = closed_unreleased(&u);
    out.figures.released_outside_hazards = released_outside_hazards(&u, &mut shared);
    // A lone release is R itself: its land in the hazards is R ∩ H.
    let lone_inside = if c.releases.len() == 1 {
        shared.r_and_h.take()
    } else {
        None
    };
    let piece_of = release_pieces(c, rec, &u.hazards, lone_inside, &mut out);
    let area = remaining.area;
    hazard_results(c, rec, &piece_of, remaining, &u.releases, &mut out);
    out.figures.remaining = area;
    remaining_atoms(rec, &u.open, &u.releases, area, &mut out);
    contamination_shares(rec, &u.open, &u.releases, area, &mut out);
    out
}

/// The accounting of a cluster of one hazard and no release (a hazard no
/// release touches):
/// the rules of [`measure_cluster`] with the unions they take for granted
/// (H is the hazard, Hₒ the hazard or nothing, R nothing), so that no
/// geometry is copied but the hazard's remaining part. Every figure comes
/// from the same expressions as on the general path, so it is the same f64.
fn lone_hazard(c: &Cluster, hi: usize, rec: &Reconciled) -> ClusterOut {
    let mut out = ClusterOut::default();
    let h = &rec.hazards[hi];
    let no_land = MultiPolygon::new(vec![]);
    let total = rec.hazard_areas[hi];
    let open: Vec<usize> = if h.status.is_closed() {
        vec![]
    } else {
        vec![hi]
    };
    out.figures.total = total;
    let remaining = if open.is_empty() {
        // Hₒ = ∅, so nothing remains; and H − Hₒ = H, whose area is the
        // hazard's own (the same function of the same geometry).
        out.figures.closed_unreleased = total;
        0.0
    } else {
        total
    };
    // No release's envelope meets the hazard's (it would share its cluster),
    // so step 2 has no pieces and step 3 no release near the hazard.
    let lone = Remaining {
        area: remaining,
        lone: None,
    };
    hazard_results(c, rec, &HashMap::new(), lone, &no_land, &mut out);
    out.figures.remaining = remaining;
    remaining_atoms(rec, &open, &no_land, remaining, &mut out);
    contamination_shares(rec, &open, &no_land, remaining, &mut out);
    out
}

/// Step 1: the unions of the cluster's records (borrowed where the union is
/// one record's geometry, or H itself).
struct Unions<'a> {
    /// H: every hazard.
    hazards: Cow<'a, MultiPolygon<f64>>,
    /// Hₒ: the hazards whose status is not closed.
    open_hazards: Option<Cow<'a, MultiPolygon<f64>>>,
    /// R: every release.
    releases: Cow<'a, MultiPolygon<f64>>,
    /// The open hazards (indices into `Reconciled::hazards`).
    open: Vec<usize>,
    /// Whether every hazard of the cluster is open (then Hₒ = H).
    all_open: bool,
}

impl<'a> Unions<'a> {
    fn of(c: &Cluster, rec: &'a Reconciled) -> Unions<'a> {
        let (hz, rl) = (&rec.hazards, &rec.releases);
        let hazards = union(c.hazards.iter().map(|&i| &hz[i].geometry));
        let open: Vec<usize> = c
            .hazards
            .iter()
            .copied()
            .filter(|&i| !hz[i].status.is_closed())
            .collect();
        let all_open = open.len() == c.hazards.len();
        let open_hazards = (!all_open).then(|| union(open.iter().map(|&i| &hz[i].geometry)));
        let releases = union(c.releases.iter().map(|&i| &rl[i].geometry));
        Unions {
            hazards,
            open_hazards,
            releases,
            open,
            all_open,
        }
    }

    fn no_releases(&self) -> bool {
        self.releases.0.is_empty()
    }

    /// Hₒ (H itself when every hazard is open).
    fn open_hazards(&self) -> &MultiPolygon<f64> {
        self.open_hazards.as_deref().unwrap_or(&self.hazards)
    }
}

/// H − R, R − H and R ∩ H where Hₒ = H (every hazard open) and the cluster has
/// both hazards and releases: the operands of `remaining` (Hₒ − R),
/// `released_outside_hazards` (R − H) and, for a lone release, its piece
/// (r ∩ H), from one overlay graph
/// ([`geometry::differences_and_intersection`]: the same multipolygons as
/// three overlays). Each is taken by the step that uses it.
#[derive(Default)]
struct Shared {
    h_minus_r: Option<MultiPolygon<f64>>,
    r_minus_h: Option<MultiPolygon<f64>>,
    r_and_h: Option<MultiPolygon<f64>>,
}

impl Shared {
    fn of(u: &Unions) -> Shared {
        if !u.all_open || u.no_releases() || u.hazards.0.is_empty() {
            return Shared::default();
        }
        let [h_minus_r, r_minus_h, r_and_h] =
            geometry::differences_and_intersection(&u.hazards, &u.releases);
        Shared {
            h_minus_r: Some(h_minus_r),
            r_minus_h: Some(r_minus_h),
            r_and_h: Some(r_and_h),
        }
    }
}

/// total = |H|. A lone hazard's union is the hazard itself, measured by
/// reconcile already.
fn total(c: &Cluster, rec: &Reconciled, u: &Unions) -> f64 {
    match c.hazards.as_slice() {
        [one] => rec.hazard_areas[*one],
        _ => area(&u.hazards),
    }
}

/// remaining = |Hₒ − R|, and the difference itself where step 3 would compute
/// it again.
struct Remaining {
    area: f64,
    /// Hₒ − R of a cluster of one open hazard: that hazard's remaining part,
    /// kept for step 3 rather than computed and measured twice.
    lone: Option<MultiPolygon<f64>>,
}

/// |Hₒ − R|; step 4 splits it into breakdown atoms and sums them back. Never
/// more than the total: Hₒ − R lies in H, and two overlays measured apart must
/// not say otherwise by their rounding.
fn remaining(c: &Cluster, u: &Unions, total: f64, shared: &mut Shared) -> Remaining {
    if u.no_releases() && u.all_open {
        return Remaining {
            area: total,
            lone: None,
        };
    }
    if u.no_releases() {
        return Remaining {
            area: area(u.open_hazards()).min(total),
            lone: None,
        };
    }
    let rem = shared
        .h_minus_r
        .take()
        .unwrap_or_else(|| geometry::difference(u.open_hazards(), &u.releases));
    let a = area(&rem).min(total);
    let lone = (c.hazards.len() == 1 && u.open.len() == 1).then_some(rem);
    Remaining { area: a, lone }
}

/// closed_unreleased = |(H − Hₒ) − R|: land of closed hazards that no open
/// hazard and no release covers.
fn closed_unreleased(u: &Unions) -> f64 {
    if u.all_open {
        return 0.0;
    }
    let closed_only = if u.open.is_empty() {
        Cow::Borrowed(&*u.hazards)
    } else {
        Cow::Owned(geometry::difference(&u.hazards, u.open_hazards()))
    };
    if u.no_releases() {
        area(&closed_only)
    } else {
        area(&geometry::difference(&closed_only, &u.releases))
    }
}

/// released_outside_hazards = |R − H|, reported apart from the conservation.
fn released_outside_hazards(u: &Unions, shared: &mut Shared) -> f64 {
    if u.no_releases() {
        0.0
    } else if u.hazards.0.is_empty() {
        area(&u.releases)
    } else if let Some(outside) = shared.r_minus_h.take() {
        area(&outside)
    } else {
        area(&geometry::difference(&u.releases, &u.hazards))
    }
}

/// The cluster's releases in priority order. `c.releases` ascends in
/// reconcile's canonical order, and the sort is stable, so releases equal on
/// the key (one id shared by disjoint records) keep that order, not the
/// input's.
fn priority_order(c: &Cluster, rl: &[Release]) -> Vec<usize> {
    let mut order: Vec<usize> = c.releases.clone();
    order.sort_by(|&a, &b| rl[a].priority_key().cmp(&rl[b].priority_key()));
    order
}

/// Step 2: each release's piece, (r ∩ H) − ∪(earlier releases), added to the
/// released figures and `released_by_year`; a release left with no land is
/// reported. Neighbours come from the R-trees (an envelope that meets a
/// cluster member is in the cluster). Returns release → index of its piece.
/// `lone_inside` is r ∩ H of the cluster's one release, if computed already.
fn release_pieces(
    c: &Cluster,
    rec: &Reconciled,
    h_all: &MultiPolygon<f64>,
    mut lone_inside: Option<MultiPolygon<f64>>,
    out: &mut ClusterOut,
) -> HashMap<usize, usize> {
    let (hz, rl, index) = (&rec.hazards, &rec.releases, &rec.index);
    let order = priority_order(c, rl);
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
        } else if local == c.hazards {
            // The union of the same hazards in the same order: H, step 1's.
            lone_inside
                .take()
                .unwrap_or_else(|| geometry::intersection(&r.geometry, h_all))
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
            let outside =
                local.is_empty() || area(&geometry::intersection(&r.geometry, h_all)) <= 0.0;
            out.diagnostics.push(not_attributed(r, outside));
            continue;
        }
        *out.figures.released_mut(r.outcome) += a;
        let y = out.by_year.entry(Year::of(r.date)).or_default();
        y.released[r.outcome] += a;
        y.total += a;
        piece_of.insert(ri, out.pieces.len());
        out.pieces.push(ReleasePiece {
            release: ri,
            geometry: piece,
            area_m2: a,
            hazards: Vec::new(),
        });
    }
    piece_of
}

/// The report of a release that gets no land.
fn not_attributed(r: &Release, outside_every_hazard: bool) -> Diagnostic {
    let why = if outside_every_hazard {
        "lies entirely outside every hazard"
    } else {
        "covers only land already released by earlier releases"
    };
    Diagnostic::new(
        Code::ReleaseNotAttributed,
        Severity::Info,
        format!("release {why}"),
    )
    .record(&r.provenance)
    .fix("no land attributed to it")
    .at_area(&r.geometry)
}

/// Step 3: per hazard, its remaining part (the hazard minus the releases near
/// it) and the land of it each piece releases, by outcome; the pieces learn
/// which hazards they release. `r_all` is R, step 1's union of the cluster's
/// releases.
fn hazard_results(
    c: &Cluster,
    rec: &Reconciled,
    piece_of: &HashMap<usize, usize>,
    mut remaining: Remaining,
    r_all: &MultiPolygon<f64>,
    out: &mut ClusterOut,
) {
    let (hz, rl, index) = (&rec.hazards, &rec.releases, &rec.index);
    for &hi in &c.hazards {
        let h = &hz[hi];
        let mut near: Vec<usize> = index.hazard_boxes[hi]
            .map(|b| index.releases_in(b).collect())
            .unwrap_or_default();
        near.sort_unstable();
        let area_m2 = rec.hazard_areas[hi];
        let (remaining_part, remaining_m2) = if h.status.is_closed() {
            (MultiPolygon::new(vec![]), 0.0)
        } else if near.is_empty() {
            (h.geometry.clone(), area_m2)
        } else if let Some(rem) = remaining
            .lone
            .take()
            .filter(|_| same_set(&near, &c.releases))
        {
            (rem, remaining.area)
        } else {
            let rem = if near == c.releases {
                // The union of the same releases in the same order: R.
                geometry::difference(&h.geometry, r_all)
            } else {
                geometry::difference(&h.geometry, &union(near.iter().map(|&i| &rl[i].geometry)))
            };
            let a = area(&rem);
            (rem, a)
        };
        let mut released_m2 = ByOutcome::default();
        for ri in &near {
            let Some(&p) = piece_of.get(ri) else { continue };
            let piece = &mut out.pieces[p];
            // In a one-hazard cluster every piece lies inside that hazard; a
            // piece whose envelope misses the hazard's shares no land with it
            // (the intersection is empty, its area 0).
            let a = if c.hazards.len() == 1 {
                piece.area_m2
            } else if !boxes_meet(piece.geometry.bounding_rect(), index.hazard_boxes[hi]) {
                0.0
            } else {
                area(&geometry::intersection(&piece.geometry, &h.geometry))
            };
            if a > 0.0 {
                released_m2[rl[*ri].outcome] += a;
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
                    .fix("not in hazards.geojson; counted in the totals")
                    .at_area(&h.geometry),
            );
        }
        out.hazards.push((
            hi,
            HazardResult {
                area_m2,
                remaining_m2,
                remaining: remaining_part,
                released_m2,
            },
        ));
    }
}

/// The union of some records' geometries; the one non-empty geometry itself,
/// borrowed, when there is only one.
pub(super) fn union<'a>(
    parts: impl IntoIterator<Item = &'a MultiPolygon<f64>>,
) -> Cow<'a, MultiPolygon<f64>> {
    let parts: Vec<&MultiPolygon<f64>> = parts.into_iter().filter(|m| !m.0.is_empty()).collect();
    match parts.as_slice() {
        [] => Cow::Owned(MultiPolygon::new(vec![])),
        [one] => Cow::Borrowed(*one),
        _ => Cow::Owned(geometry::union_all(parts)),
    }
}

/// Whether two envelopes meet (edges included); an empty geometry's meets
/// nothing.
fn boxes_meet(a: Option<Rect<f64>>, b: Option<Rect<f64>>) -> bool {
    let (Some(a), Some(b)) = (a, b) else {
        return false;
    };
    a.min().x <= b.max().x
        && b.min().x <= a.max().x
        && a.min().y <= b.max().y
        && b.min().y <= a.max().y
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Hazard, Provenance, RecordRef, Status};
    use crate::normalize::Normalized;
    use crate::reconcile::{reconcile, ReconcileConfig};
    use geo::polygon;

    fn hazard(id: &str, status: Status, x: f64, region: Option<&str>) -> Hazard {
        Hazard {
            id: id.into(),
            classification: Classification::Sha,
            status,
            contamination: vec!["ap_mine".into(), "uxo".into()],
            region: region.map(Into::into),
            area_reported_m2: None,
            geometry: MultiPolygon::new(vec![polygon![
                (x: x, y: 10.0), (x: x + 0.001, y: 10.0), (x: x + 0.0013, y: 10.0011),
                (x: x, y: 10.0009), (x: x, y: 10.0)
            ]]),
            provenance: Provenance {
                file: "h.geojson".into(),
                layer: "h".into(),
                row: 0,
                at: RecordRef::nth(0),
                source_id: None,
            },
        }
    }

    #[test]
    fn a_lone_hazard_measures_as_the_general_rules_do() {
        let n = Normalized {
            hazards: vec![
                hazard("A", Status::Open, 105.0, Some("North")),
                hazard("B", Status::Closed, 105.1, None),
                hazard("C", Status::WorkedOn, 105.2, Some("South")),
            ],
            ..Default::default()
        };
        let rec = reconcile(n, &ReconcileConfig::default());
        assert_eq!(rec.clusters.len(), 3);
        for c in &rec.clusters {
            let (fast, slow) = (measure_cluster(c, &rec), general(c, &rec));
            assert_eq!(fast.figures, slow.figures);
            assert!(fast.figures.total > 0.0);
            assert_eq!(fast.by_class, slow.by_class);
            assert_eq!(fast.by_region, slow.by_region);
            assert_eq!(fast.by_class_region, slow.by_class_region);
            assert_eq!(fast.by_contamination, slow.by_contamination);
            assert_eq!(fast.by_year, slow.by_year);
            assert_eq!(fast.diagnostics, slow.diagnostics);
            assert_eq!(fast.hazards.len(), 1);
            let ((i, f), (j, s)) = (&fast.hazards[0], &slow.hazards[0]);
            assert_eq!(i, j);
            assert_eq!(
                (f.area_m2, f.remaining_m2, &f.remaining, f.released_m2),
                (s.area_m2, s.remaining_m2, &s.remaining, s.released_m2)
            );
            assert!(fast.pieces.is_empty() && slow.pieces.is_empty());
        }
    }
}
