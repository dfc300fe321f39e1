//! Benchmarks of the hot stages on the example country: read (GDAL ingest),
//! repair (normalize), reconcile (R-trees, clusters, checks), measure (boolean
//! operations and geodesic areas), tiles (clip, clean, encode, gzip, PMTiles)
//! and GeoJSON. Whole-run comparisons with other tools live in scripts/bench.
//!
//! Run with `cargo bench --bench stages`.

use clearmap::config::Config;
use clearmap::emit::atomic::Staging;
use clearmap::emit::tiles::{write_tiles, TileMeta};
use clearmap::ingest::{ingest, Ingested};
use clearmap::measure::measure;
use clearmap::normalize::{normalize, Normalized};
use clearmap::reconcile::{reconcile, ReconcileConfig, Reconciled};
use clearmap::tiles::TileConfig;
use divan::Bencher;
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
