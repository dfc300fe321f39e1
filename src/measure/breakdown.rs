//! Step 4 of a cluster's accounting ([`super::cluster`]): the breakdowns of
//! its remaining land, Hₒ − R. By classification and region the land is
//! partitioned into atoms that do not overlap, so `remaining`,
//! `remaining_by_classification`, `remaining_by_region` and
//! `remaining_by_class_region` are sums of the same atoms and agree exactly;
//! by contamination type it is not (a hazard counts under each of its types).

use super::accounting::UNSPECIFIED;
use super::cluster::{union, ClusterOut};
use super::keys::Region;
use crate::geometry;
use crate::geometry::area;
use crate::model::Classification;
use crate::reconcile::Reconciled;
use geo::MultiPolygon;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Step 4: the remaining land split into (classification, region) atoms, so
/// that both breakdowns add up to the same remaining figure exactly. The
/// atoms take the land in key order: [`Classification`] orders by precedence
/// where classes overlap (CHA, SHA, other), [`Region`] by name.
pub(super) fn remaining_atoms(
    rec: &Reconciled,
    open: &[usize],
    releases: &MultiPolygon<f64>,
    remaining: f64,
    out: &mut ClusterOut,
) {
    let hz = &rec.hazards;
    let mut groups: BTreeMap<(Classification, Region), Vec<&MultiPolygon<f64>>> = BTreeMap::new();
    for &i in open {
        let h = &hz[i];
        groups
            .entry((h.classification, Region::of(h.region.as_deref())))
            .or_default()
            .push(&h.geometry);
    }
    let atoms = partition(groups.into_iter().collect(), releases, remaining);
    // The atoms are measured apart, so their sum differs from |Hₒ − R| by the
    // overlay's rounding (~1e-9 relative): enough to print a remaining larger
    // than the total where nothing is released. The headline figure is the
    // union's own area, and the atoms share out that noise in proportion, so
    // both breakdowns still add up to it.
    let atoms_sum: f64 = atoms.iter().map(|(_, a)| a).sum();
    let scale = if atoms_sum > 0.0 {
        remaining / atoms_sum
    } else {
        1.0
    };
    for ((class, region), a) in atoms {
        let a = a * scale;
        *out.by_class.entry(class).or_default() += a;
        *out.by_region.entry(region.clone()).or_default() += a;
        *out.by_class_region.entry((class, region)).or_default() += a;
    }
}

/// Step 4, contamination: types overlap by nature (one hazard, several types),
/// so each type gets all the remaining land of its hazards and these do not
/// add up.
pub(super) fn contamination_shares(
    rec: &Reconciled,
    open: &[usize],
    releases: &MultiPolygon<f64>,
    remaining: f64,
    out: &mut ClusterOut,
) {
    let hz = &rec.hazards;
    let mut contamination: BTreeMap<&str, Vec<&MultiPolygon<f64>>> = BTreeMap::new();
    for &i in open {
        let h = &hz[i];
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
    for (t, parts) in contamination {
        let a = if parts.len() == open.len() {
            remaining
        } else {
            let g = union(parts);
            if releases.0.is_empty() {
                area(&g)
            } else {
                area(&geometry::difference(&g, releases))
            }
        };
        *out.by_contamination.entry(t.to_string()).or_default() += a;
    }
}

/// Split the remaining land (∪ groups − releases) among groups in priority
/// order: each group gets what no earlier group and no release covers.
fn partition<K: Clone>(
    groups: Vec<(K, Vec<&MultiPolygon<f64>>)>,
    releases: &MultiPolygon<f64>,
    remaining_total: f64,
) -> Vec<(K, f64)> {
    if let [(k, _)] = groups.as_slice() {
        // One group holds all remaining land: no boolean work needed.
        return vec![(k.clone(), remaining_total)];
    }
    let mut taken = Cow::Borrowed(releases);
    let mut out = Vec::with_capacity(groups.len());
    for (k, parts) in groups {
        let g = union(parts);
        let a = if taken.0.is_empty() {
            area(&g)
        } else {
            area(&geometry::difference(&g, &taken))
        };
        out.push((k, a));
        taken = Cow::Owned(union([&*taken, &*g]).into_owned());
    }
    out
}
