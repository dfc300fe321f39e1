//! Helpers shared by the integration tests.

use clearmap::measure::{self, Accounting};
use clearmap::model::{Classification, Hazard, Outcome, Provenance, Release, Status};
use clearmap::normalize::Normalized;
use clearmap::reconcile::{self, ReconcileConfig, Reconciled};
use geo::{LineString, MultiPolygon, Polygon};
use std::path::PathBuf;

/// A lon/lat rectangle given in thousandths of a degree, near the equator.
pub fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
    let s = 1e-3;
    MultiPolygon::new(vec![Polygon::new(
        LineString::from(vec![
            (x0 * s, y0 * s),
            (x1 * s, y0 * s),
            (x1 * s, y1 * s),
            (x0 * s, y1 * s),
            (x0 * s, y0 * s),
        ]),
        vec![],
    )])
}

/// A GeoJSON FeatureCollection of features already written as JSON text.
pub fn feature_collection(features: &[String]) -> String {
    format!(
        r#"{{"type":"FeatureCollection","features":[{}]}}"#,
        features.join(",")
    )
}

pub fn a(mp: &MultiPolygon<f64>) -> f64 {
    clearmap::geometry::area(mp)
}

fn prov(id: &str) -> Provenance {
    Provenance {
        file: "test".into(),
        layer: "test".into(),
        row: 0,
        at: clearmap::model::RecordRef::Feature(1),
        source_id: Some(id.into()),
    }
}

pub fn hazard(id: &str, status: Status, class: Classification, g: MultiPolygon<f64>) -> Hazard {
    Hazard {
        id: id.into(),
        classification: class,
        status,
        contamination: vec![],
        region: None,
        area_reported_m2: None,
        geometry: g,
        provenance: prov(id),
    }
}

pub fn open(id: &str, g: MultiPolygon<f64>) -> Hazard {
    hazard(id, Status::Open, Classification::Sha, g)
}

pub fn release(id: &str, outcome: Outcome, date: Option<&str>, g: MultiPolygon<f64>) -> Release {
    Release {
        id: id.into(),
        hazard_ids: vec![],
        outcome,
        date: date.map(|d| d.parse().unwrap()),
        area_reported_m2: None,
        geometry: g,
        provenance: prov(id),
    }
}

/// Reconcile and measure hand-made records.
pub fn account(
    hazards: Vec<Hazard>,
    releases: Vec<Release>,
    as_of: Option<&str>,
) -> (Reconciled, Accounting) {
    let mut n = Normalized::default();
    for role in [
        clearmap::model::Role::Hazard,
        clearmap::model::Role::Release,
    ] {
        n.counts.insert(role, Default::default());
    }
    n.counts
        .get_mut(&clearmap::model::Role::Hazard)
        .unwrap()
        .read = hazards.len();
    n.counts
        .get_mut(&clearmap::model::Role::Release)
        .unwrap()
        .read = releases.len();
    n.hazards = hazards;
    n.releases = releases;
    let rec = reconcile::reconcile(
        n,
        &ReconcileConfig {
            as_of: as_of.map(|d| d.parse().unwrap()),
            ..Default::default()
        },
    );
    let acc = measure::measure(&rec).expect("conservation holds");
    (rec, acc)
}

/// Relative closeness for areas.
pub fn close(x: f64, y: f64, rel: f64) -> bool {
    (x - y).abs() <= rel * x.abs().max(y.abs()).max(1.0)
}

#[macro_export]
macro_rules! assert_close {
    ($x:expr, $y:expr) => {
        $crate::assert_close!($x, $y, 1e-7)
    };
    ($x:expr, $y:expr, $rel:expr) => {{
        let (x, y) = ($x, $y);
        assert!(
            $crate::common::close(x, y, $rel),
            "{} = {x} but {} = {y}",
            stringify!($x),
            stringify!($y)
        );
    }};
}

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_clearmap"))
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shared real-data folder next to the repository.
pub fn external() -> PathBuf {
    repo().join("../shared/data/external")
}

/// The binary with `args`.
pub fn run(args: &[&str]) -> std::process::Output {
    std::process::Command::new(bin())
        .args(args)
        .output()
        .expect("clearmap runs")
}

/// The binary with `args`, in the folder `dir` (relative paths from there).
pub fn run_in(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(bin())
        .current_dir(dir)
        .args(args)
        .output()
        .expect("clearmap runs")
}

/// A JSON file of a bundle.
pub fn read_json(p: &std::path::Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

/// What the binary printed on stderr.
pub fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
