//! The build: ingest → normalize → reconcile → measure → emit, each stage given
//! its own slice of the config and the product of the stage before.

use crate::config::Config;
use crate::diagnostics::{Diagnostics, Severity};
use crate::emit::atomic::{self, Input, OutDir, OutLock};
use crate::emit::changes::{self, ChangeCounts, Previous};
use crate::emit::{self, Bundle, EmitConfig};
use crate::error::Result;
use crate::ingest;
use crate::log::Logger;
use crate::manifest::{self, Manifest};
use crate::measure::{self, Accounting};
use crate::model::Role;
use crate::normalize::{self, RecordCounts};
use crate::reconcile::{self, ReconcileConfig, Reconciled};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// What a finished build reports back to the command line.
#[derive(Debug)]
pub struct BuildOutcome {
    pub figures: measure::Figures,
    pub counts: BTreeMap<Role, RecordCounts>,
    pub diagnostics: Diagnostics,
    /// Records that could not be used.
    pub quarantined: usize,
    /// Records replaced by an overlapping record with their id (with
    /// `--strict`, these fail the run too: a supersession drops a record).
    pub superseded: usize,
    /// The change report against the previous bundle, when there was one.
    pub changes: Option<ChangeCounts>,
}

/// Everything computed before anything is written.
pub struct Computed {
    /// The records, their geometries freed once measured
    /// ([`Reconciled::free_geometry`]): the land emit writes is the
    /// accounting's.
    pub reconciled: Reconciled,
    pub accounting: Accounting,
    pub diagnostics: Diagnostics,
    pub inputs: Vec<ingest::InputFile>,
}

impl Computed {
    /// The products emit writes.
    pub fn bundle(&self) -> Bundle<'_> {
        Bundle {
            reconciled: &self.reconciled,
            accounting: &self.accounting,
            diagnostics: &self.diagnostics,
            inputs: &self.inputs,
        }
    }
}

/// Run ingest to measure; no file is written.
pub fn compute(cfg: &Config) -> Result<Computed> {
    compute_logged(cfg, &Logger::silent(), "")
}

/// GDAL's reader messages are collected process-wide while a source is read,
/// so countries built side by side take turns at ingest (which is sequential
/// anyway); every other stage runs concurrently.
static INGEST: Mutex<()> = Mutex::new(());

/// [`compute`], logging each stage under the label `country`.
pub fn compute_logged(cfg: &Config, log: &Logger, country: &str) -> Result<Computed> {
    let inputs = ingest::fingerprints(cfg)?;
    compute_with(cfg, inputs, log, country)
}

/// [`compute_logged`] with the inputs already fingerprinted (by the manifest
/// check), so that no input is hashed twice in a build.
fn compute_with(
    cfg: &Config,
    inputs: Vec<ingest::InputFile>,
    log: &Logger,
    country: &str,
) -> Result<Computed> {
    let st = log.stage(country, "ingest");
    let ingested = {
        let _turn = INGEST.lock().unwrap_or_else(|e| e.into_inner());
        let progress = st.progress("records");
        ingest::ingest(ingest::IngestConfig {
            progress: &progress,
            ..cfg.ingest()
        })?
    };
    st.done(json!({
        "sources": ingested.batches.len(),
        "records": ingested.batches.iter().map(|b| b.records.len()).sum::<usize>(),
    }));

    let st = log.stage(country, "normalize");
    let normalized = normalize::normalize_counted(ingested, &st.progress("records"));
    let quarantined: usize = normalized.counts.values().map(|c| c.quarantined).sum();
    st.done(json!({
        "hazards": normalized.hazards.len(),
        "releases": normalized.releases.len(),
        "quarantined": quarantined,
    }));

    let st = log.stage(country, "reconcile");
    let mut reconciled = reconcile::reconcile(
        normalized,
        &ReconcileConfig {
            as_of: cfg.as_of,
            ..cfg.reconcile
        },
    );
    // Every record read is used, quarantined, superseded or after as_of.
    normalize::check_record_conservation(&reconciled.counts)?;
    st.done(json!({
        "hazards": reconciled.hazards.len(),
        "releases": reconciled.releases.len(),
        "clusters": reconciled.clusters.len(),
    }));

    let st = log.stage(country, "measure");
    let mut accounting = measure::measure_counted(&mut reconciled, &st.progress("clusters"))?;
    st.done(json!({
        "total_m2": crate::geometry::round_area(accounting.figures.total),
        "remaining_m2": crate::geometry::round_area(accounting.figures.remaining),
    }));
    // No later stage reads the records' geometries or the R-trees, and the
    // accounting's diagnostics move into the one list emit reads.
    reconciled.free_geometry();
    let mut diagnostics = std::mem::take(&mut reconciled.diagnostics);
    diagnostics.extend(std::mem::take(&mut accounting.diagnostics).into_items());
    diagnostics.sort();
    Ok(Computed {
        reconciled,
        accounting,
        diagnostics,
        inputs,
    })
}

/// What `clearmap validate` finds: every check a build runs (reading,
/// repairs, duplicates, as_of, overlaps, attribution, the accounting and its
/// conservation), with nothing written and no input hashed.
pub struct Validated {
    pub diagnostics: Diagnostics,
    /// Per role, after reconcile: the counts a build reports.
    pub counts: BTreeMap<Role, RecordCounts>,
}

/// Run every stage a build runs but emit (`clearmap validate`).
pub fn validate(cfg: &Config) -> Result<Validated> {
    let computed = compute_with(cfg, Vec::new(), &Logger::silent(), "")?;
    Ok(Validated {
        diagnostics: computed.diagnostics,
        counts: computed.reconciled.counts,
    })
}

/// The emit stage's slice of the config.
pub fn emit_config(cfg: &Config) -> EmitConfig {
    EmitConfig {
        country: cfg.country.clone(),
        name: cfg.name.clone(),
        as_of: cfg.as_of,
        attribution: cfg.attribution.clone(),
        precision: cfg.output.precision,
        area_mismatch: cfg.reconcile.area_mismatch,
        language: cfg.language().to_string(),
        basemap: cfg.basemap.clone(),
        tile_format: Default::default(),
        base_url: cfg.publish.base_url.clone(),
        min_zoom: cfg.output.minzoom,
        max_zoom: cfg.output.maxzoom,
    }
}

/// Every file or folder a build of `cfg` reads: the config file, each
/// source, each attributes join file.
pub fn inputs_of(cfg: &Config) -> Vec<Input> {
    let config = cfg
        .path
        .as_ref()
        .map(|p| format!(" of {}", p.display()))
        .unwrap_or_default();
    let mut inputs = Vec::new();
    for (i, s) in cfg.sources.iter().enumerate() {
        inputs.push(Input {
            path: cfg.resolve(&s.path),
            what: format!("the {} source (source {}{config})", s.role.as_str(), i + 1),
        });
        if let Some(a) = &s.attributes {
            inputs.push(Input {
                path: cfg.resolve(a),
                what: format!("the attributes file of source {}{config}", i + 1),
            });
        }
    }
    if let Some(p) = &cfg.path {
        inputs.push(Input {
            path: p.clone(),
            what: "the config file".into(),
        });
    }
    inputs
}

/// `out` resolved, refused (exit 2) when it holds an input of `cfg`.
pub fn check_out(cfg: &Config, out: &Path) -> Result<OutDir> {
    let dir = OutDir::resolve(out)?;
    atomic::refuse_inputs(&dir, &inputs_of(cfg))?;
    Ok(dir)
}

/// A whole build into `out`, always (no manifest check, no change report).
pub fn build(cfg: &Config, out: &Path) -> Result<BuildOutcome> {
    let dir = check_out(cfg, out)?;
    let lock = OutLock::acquire(&dir)?;
    atomic::check_replaceable(&dir)?;
    emit::tables::check_temp_dir()?;
    let c = compute(cfg)?;
    emit::write_bundle_with(&dir, &lock, &emit_config(cfg), &c.bundle(), |_, _| Ok(()))?;
    Ok(outcome(c, None))
}

fn outcome(mut c: Computed, changes: Option<ChangeCounts>) -> BuildOutcome {
    let quarantined = c.reconciled.counts.values().map(|n| n.quarantined).sum();
    let superseded = c.reconciled.counts.values().map(|n| n.superseded).sum();
    let out = BuildOutcome {
        figures: c.accounting.figures,
        counts: std::mem::take(&mut c.reconciled.counts),
        quarantined,
        superseded,
        diagnostics: std::mem::take(&mut c.diagnostics),
        changes,
    };
    // The records and the accounting, written out, are freed beside the
    // caller: millions of allocations at 100k records, which a build's
    // process would otherwise free one by one before it exits.
    // Should no thread be had, they are freed here, as before.
    let rest = (c.reconciled, c.accounting);
    let _freeing = std::thread::Builder::new()
        .name("clearmap-free".into())
        .spawn(move || drop(rest));
    out
}

/// Options of an incremental build.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Rebuild even when the bundle's manifest matches the inputs.
    pub force: bool,
    /// The bundle to compare against; by default the one `out` holds.
    pub previous: Option<PathBuf>,
    /// The container of the tiles (`--format`).
    pub tile_format: crate::tiles::TileFormat,
}

/// What an incremental build did.
#[derive(Debug)]
pub enum Status {
    Built(Box<BuildOutcome>),
    /// The bundle in `out` was built from the same inputs; nothing was written.
    Unchanged(Unchanged),
}

/// Figures of an up-to-date bundle, read from its summary.json.
#[derive(Debug, Clone, Default)]
pub struct Unchanged {
    pub remaining_m2: f64,
    pub diagnostics: usize,
    pub quarantined: usize,
    pub superseded: usize,
}

impl Unchanged {
    fn read(out: &Path) -> Unchanged {
        let s: serde_json::Value = std::fs::read(out.join("summary.json"))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        let sum = |v: &serde_json::Value, key: Option<&str>| -> usize {
            v.as_object()
                .map(|m| {
                    m.values()
                        .filter_map(|x| match key {
                            Some(k) => x[k].as_u64(),
                            None => x.as_u64(),
                        })
                        .sum::<u64>() as usize
                })
                .unwrap_or(0)
        };
        Unchanged {
            remaining_m2: s["area_m2"]["remaining"].as_f64().unwrap_or(0.0),
            diagnostics: sum(&s["diagnostics"], None),
            quarantined: sum(&s["records"], Some("quarantined")),
            superseded: sum(&s["records"], Some("superseded")),
        }
    }
}

/// Build `cfg` into `out` unless the bundle there is up to date; write the
/// change report against the previous bundle and the manifest with the bundle.
/// `out` is refused when it holds an input or is not a bundle; the lock on it
/// is held from the manifest check to the swap.
pub fn build_incremental(
    cfg: &Config,
    out: &Path,
    opts: &BuildOptions,
    log: &Logger,
    country: &str,
) -> Result<Status> {
    let dir = check_out(cfg, out)?;
    let lock = OutLock::acquire(&dir)?;
    atomic::check_replaceable(&dir)?;
    // Hash the sources before reading anything: that decides the skip.
    let st = log.stage(country, "hash");
    let inputs = ingest::fingerprints(cfg)?;
    let mut manifest = Manifest::of(cfg, &inputs)?;
    if opts.tile_format != Default::default() {
        // Recorded only when not the default, so older manifests stay current.
        manifest
            .options
            .insert("format".into(), opts.tile_format.as_str().into());
    }
    if let Some(b) = &cfg.publish.base_url {
        // `--base-url` changes outputs the config file's hash does not cover.
        manifest.options.insert("base_url".into(), b.to_string());
    }
    if !cfg.output.default_zooms() {
        // So do `--minzoom`/`--maxzoom`; recorded only when not the
        // defaults, so that older manifests stay current.
        let zooms = format!("{}-{}", cfg.output.minzoom, cfg.output.maxzoom);
        manifest.options.insert("zooms".into(), zooms);
    }
    let current = !opts.force && manifest.is_current(out);
    st.done(json!({ "inputs": manifest.inputs.len(), "up_to_date": current }));
    if current {
        return Ok(Status::Unchanged(Unchanged::read(out)));
    }
    let previous = match &opts.previous {
        Some(dir) => Some(Previous::load(dir)?),
        // The bundle being replaced: compared with when it can be read; one
        // that cannot (an older or damaged bundle) does not stop the build.
        None if changes::has_bundle(out) => match Previous::load(out) {
            Ok(p) => Some(p),
            Err(e) => {
                log.log(&format!("{country}: no change report: {e}"));
                None
            }
        },
        None => None,
    };
    emit::tables::check_temp_dir()?;
    let c = compute_with(cfg, inputs, log, country)?;
    let st = log.stage(country, "emit");
    let emit_cfg = EmitConfig {
        tile_format: opts.tile_format,
        ..emit_config(cfg)
    };
    let bundle = c.bundle();
    let mut changes = None;
    // Written into the staging directory `stage`, swapped in with the rest:
    // without a previous bundle there is no change report in the new tree.
    let written = emit::write_bundle_with(&dir, &lock, &emit_cfg, &bundle, |staging, stage| {
        if let Some(prev) = &previous {
            let comparison = changes::Comparison {
                previous: prev,
                cfg: &emit_cfg,
                bundle: &bundle,
            };
            changes = Some(changes::write_changes(staging, stage, comparison)?);
        }
        let text = manifest.to_json();
        staging.write(&stage.join(manifest::FILE), |w| {
            w.write_all(text.as_bytes())
        })
    })?;
    let mut counts = json!({
        "tiles": written.tiles.tiles(),
        "tiles_bytes": written.tiles.archive_bytes,
        "parts_ms": written.durations_ms,
    });
    if let Some(c) = &changes {
        counts["hazards_added"] = json!(c.added);
        counts["hazards_removed"] = json!(c.removed);
        counts["hazards_geometry_changed"] = json!(c.geometry_changed);
        counts["released_since_m2"] = json!(c.released_since_m2);
    }
    st.done(counts);
    Ok(Status::Built(Box::new(outcome(c, changes))))
}

/// Only the tables (`clearmap tables`): the accounting recomputed, `out/tables/`
/// written file by file atomically under the lock of `out`, nothing else
/// touched. Returns the files written.
pub fn tables(cfg: &Config, out: &Path) -> Result<Vec<std::path::PathBuf>> {
    let dir = check_out(cfg, out)?;
    let _lock = OutLock::acquire(&dir)?;
    emit::tables::check_temp_dir()?;
    let c = compute(cfg)?;
    emit::tables::write_tables_only(out, &emit_config(cfg), &c.bundle())?;
    Ok(emit::tables::paths(out))
}

/// Only the vector tiles of `cfg` (`clearmap tiles`): the accounting, then
/// the tile container of `format` and tiles.json into `out`, under its lock. Each stage is
/// logged under `country`, the tiles as stage "tiles".
pub fn tiles(
    cfg: &Config,
    out: &Path,
    format: crate::tiles::TileFormat,
    log: &Logger,
    country: &str,
) -> Result<crate::tiles::TileStats> {
    let dir = check_out(cfg, out)?;
    let _lock = OutLock::acquire(&dir)?;
    let c = compute_logged(cfg, log, country)?;
    let st = log.stage(country, "tiles");
    let emit_cfg = EmitConfig {
        tile_format: format,
        ..emit_config(cfg)
    };
    let stats = emit::tiles::write_tiles_only(out, &emit_cfg, &c.bundle())?;
    st.done(json!({
        "tiles": stats.tiles(),
        "tiles_bytes": stats.archive_bytes,
    }));
    Ok(stats)
}

/// Whether any diagnostic quarantined a record.
pub fn has_errors(d: &Diagnostics) -> bool {
    d.items().iter().any(|x| x.severity == Severity::Error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_build_hashes_each_input_once() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("h.geojson");
        std::fs::write(
            &src,
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"H1","status":"open"},"geometry":{"type":"Polygon","coordinates":[[[105,12],[105.001,12],[105.001,12.001],[105,12.001],[105,12]]]}}]}"#,
        )
        .unwrap();
        let cfg = Config::from_files(Some("KHM".into()), std::slice::from_ref(&src), &[]);
        let out = dir.path().join("out");
        let hashed = || ingest::HASHED.with(|n| n.get());
        let before = hashed();
        let status = build_incremental(
            &cfg,
            &out,
            &BuildOptions::default(),
            &Logger::silent(),
            "KHM",
        )
        .unwrap();
        assert!(matches!(status, Status::Built(_)));
        assert_eq!(
            hashed() - before,
            1,
            "the manifest and summary.json share one hash"
        );
        // Up to date: hashed once to find that out, nothing read.
        let status = build_incremental(
            &cfg,
            &out,
            &BuildOptions::default(),
            &Logger::silent(),
            "KHM",
        )
        .unwrap();
        assert!(matches!(status, Status::Unchanged(_)));
        assert_eq!(hashed() - before, 2);
    }
}
