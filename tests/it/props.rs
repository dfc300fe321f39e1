//! Property tests: the figures do not depend on input order, and splitting a
//! release into pieces of the same date and outcome changes nothing.

use crate::common::*;
use clearmap::model::{Classification, Hazard, Outcome, Release, Status};
use proptest::prelude::*;

fn arb_rect() -> impl Strategy<Value = (f64, f64, f64, f64)> {
    (0u8..20, 0u8..20, 1u8..8, 1u8..8)
        .prop_map(|(x, y, w, h)| (x as f64, y as f64, (x + w) as f64, (y + h) as f64))
}

fn arb_case() -> impl Strategy<Value = (Vec<Hazard>, Vec<Release>)> {
    let hz = prop::collection::vec((arb_rect(), 0u8..3, 0u8..3), 1..8).prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, ((x0, y0, x1, y1), s, c))| {
                let status = [Status::Open, Status::WorkedOn, Status::Closed][s as usize];
                let class = [
                    Classification::Sha,
                    Classification::Cha,
                    Classification::Other,
                ][c as usize];
                hazard(&format!("h{i}"), status, class, rect(x0, y0, x1, y1))
            })
            .collect::<Vec<_>>()
    });
    let rl =
        prop::collection::vec((arb_rect(), 0u8..3, prop::option::of(0u8..4)), 0..8).prop_map(|v| {
            v.into_iter()
                .enumerate()
                .map(|(i, ((x0, y0, x1, y1), o, d))| {
                    let outcome =
                        [Outcome::Cancelled, Outcome::Reduced, Outcome::Cleared][o as usize];
                    let date = d.map(|d| format!("202{d}-01-01"));
                    release(
                        &format!("r{i}"),
                        outcome,
                        date.as_deref(),
                        rect(x0, y0, x1, y1),
                    )
                })
                .collect::<Vec<_>>()
        });
    (hz, rl)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn order_does_not_matter((hz, rl) in arb_case(), seed in any::<u64>()) {
        let (_, a1) = account(hz.clone(), rl.clone(), None);
        let mut hz2 = hz; let mut rl2 = rl;
        // A deterministic shuffle from the seed.
        let n = hz2.len(); if n > 1 { hz2.rotate_left((seed as usize) % n); hz2.swap(0, n - 1); }
        let m = rl2.len(); if m > 1 { rl2.rotate_left((seed as usize / 7) % m); rl2.reverse(); }
        let (_, a2) = account(hz2, rl2, None);
        prop_assert_eq!(a1.figures, a2.figures);
        prop_assert_eq!(a1.by_classification, a2.by_classification);
    }

    #[test]
    fn conservation_and_breakdowns_sum((hz, rl) in arb_case()) {
        let (_, acc) = account(hz, rl, None);
        let f = acc.figures;
        prop_assert!(close(f.total, f.accounted(), 1e-6));
        let by_class: f64 = acc.by_classification.values().map(|s| s.area_m2).sum();
        prop_assert!(close(by_class, f.remaining, 1e-9) || f.remaining < 1e-3);
        let by_region: f64 = acc.by_region.values().map(|s| s.area_m2).sum();
        prop_assert!(close(by_region, f.remaining, 1e-9) || f.remaining < 1e-3);
        let by_year: f64 = acc.released_by_year.values().map(|y| y.total).sum();
        prop_assert!(close(by_year, f.cleared + f.reduced + f.cancelled, 1e-9));
    }

    #[test]
    fn splitting_a_release_changes_nothing((hz, rl) in arb_case(), cut in 1u8..7) {
        let (_, whole) = account(hz.clone(), rl.clone(), None);
        let mut split = Vec::new();
        for r in rl {
            let b = geo::BoundingRect::bounding_rect(&r.geometry).unwrap();
            let (x0, y0, x1, y1) = (b.min().x * 1e3, b.min().y * 1e3, b.max().x * 1e3, b.max().y * 1e3);
            let xm = (x0 + (cut as f64).min(x1 - x0 - 0.5).max(0.5)).min(x1);
            let mut left = r.clone(); left.id = format!("{}a", r.id); left.geometry = rect(x0, y0, xm, y1);
            let mut right = r.clone(); right.id = format!("{}b", r.id); right.geometry = rect(xm, y0, x1, y1);
            split.push(left); split.push(right);
        }
        let (_, parts) = account(hz, split, None);
        let (a, b) = (whole.figures, parts.figures);
        for (x, y) in [(a.total, b.total), (a.remaining, b.remaining), (a.cleared, b.cleared), (a.reduced, b.reduced), (a.cancelled, b.cancelled), (a.closed_unreleased, b.closed_unreleased), (a.released_outside_hazards, b.released_outside_hazards)] {
            prop_assert!(close(x, y, 1e-7) || (x - y).abs() < 1e-3, "{x} vs {y}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn duplicating_records_under_new_ids_changes_nothing((hz, rl) in arb_case(), pick in any::<prop::sample::Index>()) {
        let (_, before) = account(hz.clone(), rl.clone(), None);
        let mut hz2 = hz.clone();
        let mut copy = pick.get(&hz).clone();
        copy.id = format!("{}-copy", copy.id);
        hz2.push(copy);
        let mut rl2 = rl.clone();
        if !rl.is_empty() {
            let mut r = pick.get(&rl).clone();
            r.id = format!("{}-copy", r.id);
            rl2.push(r);
        }
        let (_, after) = account(hz2, rl2, None);
        let (a, b) = (before.figures, after.figures);
        for (x, y) in [(a.total, b.total), (a.remaining, b.remaining), (a.closed_unreleased, b.closed_unreleased), (a.released_outside_hazards, b.released_outside_hazards), (a.cleared + a.reduced + a.cancelled, b.cleared + b.reduced + b.cancelled)] {
            prop_assert!(close(x, y, 1e-7) || (x - y).abs() < 1e-3, "{x} vs {y}");
        }
        prop_assert_eq!(before.by_classification.keys().collect::<Vec<_>>(), after.by_classification.keys().collect::<Vec<_>>());
    }
}
