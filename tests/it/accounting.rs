//! docs/design.md's accounting on hand-made cases whose answers are known exactly.

use crate::assert_close;
use crate::common::*;
use clearmap::measure::Year;
use clearmap::model::{Classification, Outcome::*, Status};

#[test]
fn disjoint_hazards_add_up() {
    let (g1, g2) = (rect(0., 0., 1., 1.), rect(5., 5., 7., 6.));
    let (_, acc) = account(
        vec![open("a", g1.clone()), open("b", g2.clone())],
        vec![],
        None,
    );
    assert_close!(acc.figures.total, a(&g1) + a(&g2));
    assert_close!(acc.figures.remaining, acc.figures.total);
    assert_eq!(acc.by_classification[&Classification::Sha].count, 2);
}

#[test]
fn nested_hazards_count_once() {
    let outer = rect(0., 0., 4., 4.);
    let (_, acc) = account(
        vec![
            open("outer", outer.clone()),
            open("inner", rect(1., 1., 2., 2.)),
        ],
        vec![],
        None,
    );
    assert_close!(acc.figures.total, a(&outer));
    assert_close!(acc.figures.remaining, a(&outer));
}

#[test]
fn overlapping_hazards_are_unioned_and_cha_wins() {
    let (sha, cha) = (rect(0., 0., 2., 2.), rect(1., 1., 3., 3.));
    let overlap = rect(1., 1., 2., 2.);
    let (_, acc) = account(
        vec![
            hazard("s", Status::Open, Classification::Sha, sha.clone()),
            hazard("c", Status::Open, Classification::Cha, cha.clone()),
        ],
        vec![],
        None,
    );
    let union = a(&sha) + a(&cha) - a(&overlap);
    assert_close!(acc.figures.total, union);
    assert_close!(acc.by_classification[&Classification::Cha].area_m2, a(&cha));
    assert_close!(
        acc.by_classification[&Classification::Sha].area_m2,
        a(&sha) - a(&overlap)
    );
    let sum: f64 = acc.by_classification.values().map(|s| s.area_m2).sum();
    assert_close!(sum, acc.figures.remaining);
}

#[test]
fn earliest_release_takes_the_land() {
    let h = rect(0., 0., 4., 4.);
    let early = rect(0., 0., 2., 4.);
    let late = rect(1., 0., 3., 4.);
    let (rec, acc) = account(
        vec![open("h", h.clone())],
        vec![
            release("late", Cleared, Some("2021-01-01"), late.clone()),
            release("early", Cancelled, Some("2020-06-30"), early.clone()),
        ],
        None,
    );
    assert_close!(acc.figures.cancelled, a(&early));
    assert_close!(acc.figures.cleared, a(&rect(2., 0., 3., 4.)));
    assert_close!(acc.figures.remaining, a(&rect(3., 0., 4., 4.)));
    assert_close!(
        acc.released_by_year[&Year::Dated(2020)].released.cancelled,
        a(&early)
    );
    assert_close!(
        acc.released_by_year[&Year::Dated(2021)].released.cleared,
        a(&rect(2., 0., 3., 4.))
    );
    // per-hazard figures
    assert_close!(acc.hazards[0].remaining_m2, acc.figures.remaining);
    assert_eq!(rec.releases.len(), 2);
}

#[test]
fn same_date_cleared_before_reduced_before_cancelled() {
    let h = rect(0., 0., 4., 4.);
    let g = rect(0., 0., 2., 2.);
    let (_, acc) = account(
        vec![open("h", h)],
        vec![
            release("n", Cancelled, Some("2022-03-01"), g.clone()),
            release("t", Reduced, Some("2022-03-01"), g.clone()),
            release("c", Cleared, Some("2022-03-01"), g.clone()),
        ],
        None,
    );
    assert_close!(acc.figures.cleared, a(&g));
    assert_eq!(acc.figures.reduced, 0.0);
    assert_eq!(acc.figures.cancelled, 0.0);
}

#[test]
fn undated_releases_come_last() {
    let h = rect(0., 0., 4., 4.);
    let g = rect(0., 0., 2., 2.);
    let (_, acc) = account(
        vec![open("h", h)],
        vec![
            release("u", Cleared, None, g.clone()),
            release("d", Cancelled, Some("2030-01-01"), g.clone()),
        ],
        None,
    );
    assert_close!(acc.figures.cancelled, a(&g));
    assert_eq!(acc.figures.cleared, 0.0);
}

#[test]
fn closed_hazards_and_releases_outside() {
    let closed = rect(0., 0., 4., 4.);
    let part = rect(0., 0., 1., 4.);
    let spill = rect(3., 3., 6., 6.);
    let (_, acc) = account(
        vec![hazard(
            "c",
            Status::Closed,
            Classification::Cha,
            closed.clone(),
        )],
        vec![
            release("r", Cleared, Some("2019-01-01"), part.clone()),
            release("s", Reduced, Some("2019-01-01"), spill.clone()),
        ],
        None,
    );
    let f = acc.figures;
    assert_close!(f.total, a(&closed));
    assert_eq!(f.remaining, 0.0);
    assert_close!(f.cleared, a(&part));
    assert_close!(f.reduced, a(&rect(3., 3., 4., 4.)));
    assert_close!(
        f.closed_unreleased,
        a(&closed) - a(&part) - a(&rect(3., 3., 4., 4.))
    );
    assert_close!(
        f.released_outside_hazards,
        a(&spill) - a(&rect(3., 3., 4., 4.))
    );
    assert_close!(f.total, f.accounted());
}

#[test]
fn closed_land_under_an_open_hazard_remains() {
    let closed = rect(0., 0., 2., 2.);
    let open_h = rect(1., 0., 3., 2.);
    let (_, acc) = account(
        vec![
            hazard("c", Status::Closed, Classification::Sha, closed.clone()),
            open("o", open_h.clone()),
        ],
        vec![],
        None,
    );
    assert_close!(acc.figures.remaining, a(&open_h));
    assert_close!(acc.figures.closed_unreleased, a(&rect(0., 0., 1., 2.)));
}

#[test]
fn as_of_drops_later_releases() {
    let h = rect(0., 0., 4., 4.);
    let (rec, acc) = account(
        vec![open("h", h.clone())],
        vec![release(
            "late",
            Cleared,
            Some("2026-01-01"),
            rect(0., 0., 2., 2.),
        )],
        Some("2025-12-31"),
    );
    assert_eq!(rec.counts[&clearmap::model::Role::Release].after_as_of, 1);
    assert_eq!(acc.figures.cleared, 0.0);
    assert_close!(acc.figures.remaining, a(&h));
}

#[test]
fn duplicate_ids_keep_the_last_read() {
    let first = rect(0., 0., 1., 1.);
    let last = rect(0., 0., 2., 2.);
    let (rec, acc) = account(
        vec![open("H-1", first), open(" h-1 ", last.clone())],
        vec![],
        None,
    );
    assert_eq!(rec.hazards.len(), 1);
    assert_eq!(rec.counts[&clearmap::model::Role::Hazard].superseded, 1);
    assert_close!(acc.figures.total, a(&last));
}
