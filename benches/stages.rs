//! Benchmarks of the hot stages on the example country: read (GDAL ingest),
//! repair (normalize), reconcile (R-trees, clusters, checks), measure (boolean
//! operations and geodesic areas; the geodesic area alone, fast path against
//! Karney), tiles (clip, clean, encode, gzip, PMTiles), the tables (CSVs
//! and workbook, their per-record rows made as they are read)
//! and GeoJSON; and the repair of single large geometries (one valid ring of
//! 100k or 1M vertices, a multipolygon of 16k or 100k parts), whose checks
//! must stay O(n log n). Whole-run comparisons with other tools live in
//! scripts/bench.
//!
//! Run with `cargo bench --bench stages` (`-- repair_` for the repairs).

use clearmap::config::Config;
use clearmap::emit::atomic::Staging;
use clearmap::emit::tiles::{write_tiles, TileMeta};
use clearmap::ingest::{ingest, Ingested};
use clearmap::measure::measure;
use clearmap::normalize::{normalize, Normalized, RepairOptions};
use clearmap::reconcile::{reconcile, ReconcileConfig, Reconciled};
use clearmap::tiles::TileConfig;
use divan::Bencher;
use geo::{Coord, Geometry, LineString, MultiPolygon, Polygon};
use std::path::Path;
use std::sync::OnceLock;

fn main() {
    divan::main();
}

fn config() -> &'static Config {
    static C: OnceLock<Config> = OnceLock::new();
    C.get_or_init(|| {
        Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data/example/clearmap.toml"))
            .unwrap()
    })
}

fn ingested() -> Ingested {
    ingest(config()).unwrap()
}

fn normalized() -> Normalized {
    normalize(ingested())
}

fn reconciled() -> &'static Reconciled {
    static R: OnceLock<Reconciled> = OnceLock::new();
    R.get_or_init(|| reconcile(normalized(), &rc()))
}

fn rc() -> ReconcileConfig {
    ReconcileConfig {
        as_of: config().as_of,
        ..config().reconcile
    }
}

#[divan::bench(sample_count = 10)]
fn read(b: Bencher) {
    b.bench(ingested);
}

#[divan::bench(sample_count = 10)]
fn repair(b: Bencher) {
    b.with_inputs(ingested).bench_values(normalize);
}

#[divan::bench(sample_count = 10)]
fn reconcile_stage(b: Bencher) {
    b.with_inputs(normalized)
        .bench_values(|n| reconcile(n, &rc()));
}

#[divan::bench(sample_count = 10)]
fn measure_stage(b: Bencher) {
    let r = reconciled();
    b.bench(|| measure(r).unwrap());
}

#[divan::bench(sample_count = 5)]
fn tiles_z0_z14(b: Bencher) {
    let r = reconciled();
    let acc = measure(r).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let meta = TileMeta {
        name: None,
        attribution: None,
        base_url: None,
        country: None,
    };
    b.bench(|| {
        let mut staging = Staging::new();
        write_tiles(
            &mut staging,
            dir.path(),
            r,
            &acc,
            &TileConfig::default(),
            &meta,
        )
        .unwrap();
        staging.commit().unwrap();
    });
}

#[divan::bench(sample_count = 10)]
fn tables_csv_and_workbook(b: Bencher) {
    static C: OnceLock<clearmap::pipeline::Computed> = OnceLock::new();
    let c = C.get_or_init(|| clearmap::pipeline::compute(config()).unwrap());
    let cfg = clearmap::pipeline::emit_config(config());
    let dir = tempfile::tempdir().unwrap();
    b.bench(|| {
        let mut staging = Staging::new();
        clearmap::emit::tables::write_tables(&mut staging, dir.path(), &cfg, &c.bundle()).unwrap();
        staging.commit().unwrap();
    });
}

/// A valid star-shaped ring of `n` vertices about 2 km across: a smooth
/// wave, and a jitter of the order of the vertex spacing (as on a digitised
/// boundary) so that no three vertices are collinear. With `zigzag`, the
/// radius jumps by up to 200 m from one vertex to the next instead: every
/// segment's envelope then meets thousands of others, the worst case of the
/// envelope filter (time grows with n × those neighbours).
fn big_ring(n: usize, zigzag: bool) -> Geometry<f64> {
    let step = std::f64::consts::TAU * 0.01 / n as f64;
    let mut pts: Vec<Coord<f64>> = (0..n)
        .map(|i| {
            let a = std::f64::consts::TAU * i as f64 / n as f64;
            let noise = ((i * 7919) % 13) as f64 / 13.0;
            let r = if zigzag {
                0.01 + 0.002 * noise
            } else {
                0.01 * (1.0 + 0.1 * (7.0 * a).sin()) + 0.5 * step * noise
            };
            Coord {
                x: 105.0 + r * a.cos(),
                y: 13.0 + r * a.sin(),
            }
        })
        .collect();
    pts.push(pts[0]);
    Geometry::Polygon(Polygon::new(LineString(pts), vec![]))
}

/// A multipolygon of `n` disjoint 50 m squares on a grid (a valid layout:
/// each part is checked against its neighbours only).
fn many_parts(n: usize) -> Geometry<f64> {
    let side = (n as f64).sqrt().ceil() as usize;
    let parts = (0..n)
        .map(|i| {
            let (x, y) = (
                104.0 + (i % side) as f64 * 0.001,
                12.0 + (i / side) as f64 * 0.001,
            );
            let s = 0.0005;
            Polygon::new(
                LineString::from(vec![(x, y), (x + s, y), (x + s, y + s), (x, y + s), (x, y)]),
                vec![],
            )
        })
        .collect();
    Geometry::MultiPolygon(MultiPolygon::new(parts))
}

/// A polygon whose exterior is the 10k-vertex ring of [`big_ring`] and whose
/// `n` holes are 10 m squares on a grid inside it: each hole is related to
/// the exterior (geo's containment test), whose cost grows with both.
fn many_holes(n: usize) -> Geometry<f64> {
    let Geometry::Polygon(outer) = big_ring(10_000, false) else {
        unreachable!("big_ring is a polygon")
    };
    let side = (n as f64).sqrt().ceil() as usize;
    let cell = 0.012 / side as f64;
    let holes = (0..n)
        .map(|i| {
            let (x, y) = (
                105.0 - 0.006 + (i % side) as f64 * cell,
                13.0 - 0.006 + (i / side) as f64 * cell,
            );
            let s = cell / 2.0;
            LineString::from(vec![(x, y), (x, y + s), (x + s, y + s), (x + s, y), (x, y)])
        })
        .collect();
    Geometry::Polygon(Polygon::new(outer.exterior().clone(), holes))
}

#[divan::bench(args = [1_000, 10_000], sample_count = 3, sample_size = 1)]
fn repair_many_holes(b: Bencher, n: usize) {
    let g = many_holes(n);
    b.bench(|| clearmap::normalize::repair(&g, RepairOptions::default()).unwrap());
}

/// The polygon of [`many_holes`] and, as further parts, an island inside
/// each hole: every island's envelope meets the big part's, so each is
/// related to it, and each relate builds the big part's graph again: time
/// grows with islands × the big part's vertices (the case left quadratic).
fn islands_in_holes(n: usize) -> Geometry<f64> {
    let Geometry::Polygon(big) = many_holes(n) else {
        unreachable!("many_holes is a polygon")
    };
    let islands = big.interiors().iter().map(|h| {
        let b = geo::BoundingRect::bounding_rect(h).expect("hole has points");
        let (x, y, s) = (
            b.min().x + b.width() / 4.0,
            b.min().y + b.height() / 4.0,
            b.width() / 2.0,
        );
        Polygon::new(
            LineString::from(vec![(x, y), (x + s, y), (x + s, y + s), (x, y + s), (x, y)]),
            vec![],
        )
    });
    let parts = std::iter::once(big.clone()).chain(islands).collect();
    Geometry::MultiPolygon(MultiPolygon::new(parts))
}

#[divan::bench(args = [250, 500, 1_000], sample_count = 3, sample_size = 1)]
fn repair_islands_in_holes(b: Bencher, n: usize) {
    let g = islands_in_holes(n);
    b.bench(|| clearmap::normalize::repair(&g, RepairOptions::default()).unwrap());
}

#[divan::bench(args = [100_000, 1_000_000], sample_count = 3, sample_size = 1)]
fn repair_valid_ring(b: Bencher, n: usize) {
    let g = big_ring(n, false);
    b.bench(|| clearmap::normalize::repair(&g, RepairOptions::default()).unwrap());
}

#[divan::bench(args = [100_000], sample_count = 3, sample_size = 1)]
fn repair_zigzag_ring(b: Bencher, n: usize) {
    let g = big_ring(n, true);
    b.bench(|| clearmap::normalize::repair(&g, RepairOptions::default()).unwrap());
}

#[divan::bench(args = [16_000, 100_000], sample_count = 3, sample_size = 1)]
fn repair_many_parts(b: Bencher, n: usize) {
    let g = many_parts(n);
    b.bench(|| clearmap::normalize::repair(&g, RepairOptions::default()).unwrap());
}

/// 1,000 hazard-sized polygons (20 vertices, 50 m to 2 km across, at
/// latitudes from 60° S to 60° N): what `geometry::area` measures per record.
fn hazard_polygons() -> Vec<MultiPolygon<f64>> {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..1_000)
        .map(|_| {
            let (lat, lon) = (-60.0 + 120.0 * next(), -180.0 + 360.0 * next());
            let half = 10f64.powf(-3.35 + 1.6 * next()) / 2.0;
            let mut ring: Vec<(f64, f64)> = (0..20)
                .map(|i| {
                    let t = (f64::from(i) + 0.8 * next()) / 20.0 * std::f64::consts::TAU;
                    let r = half * (0.3 + 0.7 * next());
                    (lon + r * t.cos(), lat + r * t.sin())
                })
                .collect();
            ring.push(ring[0]);
            MultiPolygon::new(vec![Polygon::new(LineString::from(ring), vec![])])
        })
        .collect()
}

/// Geodesic area of 1,000 hazard-sized polygons: `area` (the equal-area fast
/// path, which these all take) against `karney_area` (geographiclib-rs).
#[divan::bench(args = ["fast", "karney"])]
fn area_1000_hazards(b: Bencher, method: &str) {
    let polys = hazard_polygons();
    let f = match method {
        "fast" => clearmap::geometry::area,
        _ => clearmap::geometry::karney_area,
    };
    b.bench(|| polys.iter().map(f).sum::<f64>());
}
