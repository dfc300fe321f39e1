//! The reconcile checks on hand-made cases: each diagnostic names the right
//! records, and none of them changes a total.

use crate::common::*;
use clearmap::diagnostics::Code;
use clearmap::model::{Classification, Outcome::*, Status};

fn codes(rec: &clearmap::reconcile::Reconciled, code: Code) -> Vec<(String, String)> {
    rec.diagnostics
        .items()
        .iter()
        .filter(|d| d.code == code)
        .map(|d| {
            (
                d.record
                    .as_ref()
                    .and_then(|r| r.source_id.clone())
                    .unwrap_or_default(),
                d.message.clone(),
            )
        })
        .collect()
}

#[test]
fn duplicate_geometry_and_overlap() {
    let (rec, acc) = account(
        vec![
            open("a", rect(0., 0., 2., 2.)),
            open("a-copy", rect(0., 0., 2., 2.0001)),
            open("b", rect(1., 1., 3., 3.)),
            open("far", rect(10., 10., 11., 11.)),
        ],
        vec![],
        None,
    );
    let dup = codes(&rec, Code::DuplicateGeometry);
    assert_eq!(dup.len(), 1, "{dup:?}");
    assert_eq!(dup[0].0, "a");
    assert!(dup[0].1.contains("a-copy"));
    let ov = codes(&rec, Code::HazardOverlap);
    assert_eq!(ov.len(), 2, "a/b and a-copy/b: {ov:?}");
    let overlap_m2 = a(&rect(1., 1., 2., 2.));
    assert!(
        ov[0].1.contains(&format!("{overlap_m2:.1} m²"))
            || ov[1].1.contains(&format!("{overlap_m2:.1} m²")),
        "{ov:?}"
    );
    // Counted once.
    let expected = a(&rect(0., 0., 2., 2.0001)) + a(&rect(1., 1., 3., 3.))
        - a(&rect(1., 1., 2., 2.0001))
        + a(&rect(10., 10., 11., 11.));
    crate::assert_close!(acc.figures.total, expected, 1e-7);
}

#[test]
fn release_link_problems() {
    let mut orphan = release("orphan", Cleared, Some("2020-01-01"), rect(0., 0., 1., 1.));
    orphan.hazard_ids = vec!["nope".into()];
    let mut off = release("off", Cleared, Some("2020-01-01"), rect(20., 0., 21., 1.));
    off.hazard_ids = vec!["H1".into()];
    let mut big = release("big", Reduced, Some("2020-01-01"), rect(0., 0., 3., 3.));
    big.hazard_ids = vec![" h1 ".into()];
    let mut unlinked = release(
        "unlinked",
        Cancelled,
        Some("2019-01-01"),
        rect(30., 0., 31., 1.),
    );
    unlinked.hazard_ids = vec![];
    let (rec, acc) = account(
        vec![
            open("H1", rect(0., 0., 2., 2.)),
            open("H2", rect(22., 0., 24., 2.)),
            open("H3", rect(30., 0., 32., 2.)),
        ],
        vec![orphan, off, big, unlinked],
        None,
    );
    let o = codes(&rec, Code::OrphanRelease);
    assert_eq!(o.len(), 1);
    assert_eq!(o[0].0, "orphan");
    assert!(o[0].1.contains("\"nope\""));
    let off = codes(&rec, Code::ReleaseOffHazard);
    assert_eq!(off.len(), 1, "{off:?}");
    assert_eq!(off[0].0, "off");
    assert!(off[0].1.contains("nearest hazard is H2"), "{}", off[0].1);
    let ex = codes(&rec, Code::ReleaseExceedsHazard);
    assert_eq!(ex.len(), 1);
    assert_eq!(ex[0].0, "big");
    // The unlinked release is attributed to the hazard it covers.
    let piece = acc
        .pieces
        .iter()
        .find(|p| rec.releases[p.release].id == "unlinked")
        .unwrap();
    assert_eq!(
        piece
            .hazards
            .iter()
            .map(|&h| rec.hazards[h].id.as_str())
            .collect::<Vec<_>>(),
        vec!["H3"]
    );
    crate::assert_close!(acc.figures.cancelled, a(&rect(30., 0., 31., 1.)));
}

#[test]
fn area_mismatch_names_both_figures() {
    let mut h = hazard("h", Status::Open, Classification::Cha, rect(0., 0., 1., 1.));
    let computed = a(&h.geometry);
    h.area_reported_m2 = Some(computed * 1.5);
    let mut ok = hazard(
        "ok",
        Status::Open,
        Classification::Cha,
        rect(5., 5., 6., 6.),
    );
    ok.area_reported_m2 = Some(computed * 1.05);
    let (rec, _) = account(vec![h, ok], vec![], None);
    let m = codes(&rec, Code::AreaMismatch);
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].0, "h");
    assert!(
        m[0].1.contains(&format!("{:.1}", computed * 1.5))
            && m[0].1.contains(&format!("{computed:.1}")),
        "{}",
        m[0].1
    );
}

#[test]
fn contamination_breakdown_is_per_type() {
    let mut a1 = open("a", rect(0., 0., 2., 2.));
    a1.contamination = vec!["ap_mine".into(), "uxo".into()];
    let mut b1 = open("b", rect(1., 0., 3., 2.));
    b1.contamination = vec!["uxo".into()];
    let (_, acc) = account(vec![a1, b1], vec![], None);
    crate::assert_close!(
        acc.by_contamination["ap_mine"].area_m2,
        a(&rect(0., 0., 2., 2.)),
        1e-7
    );
    crate::assert_close!(
        acc.by_contamination["uxo"].area_m2,
        a(&rect(0., 0., 3., 2.)),
        1e-7
    );
    assert_eq!(acc.by_contamination["uxo"].count, 2);
}
