//! Emit: the bundle of docs/design.md "Outputs" — hazards.geojson, releases.geojson,
//! summary.json, report.json with its data officer's forms ([`defects`]:
//! defects.geojson, report.csv; [`report`]: report.html), the page, the tiles, the tables (`tables/`) and
//! bundle.gpkg ([`gpkg`]) —
//! written together into a staging directory and swapped in for the output
//! directory whole ([`atomic`]) once every figure has been computed and checked.

pub mod atomic;
pub(crate) mod changes;
pub(crate) mod context;
pub(crate) mod defects;
pub(crate) mod geojson;
pub(crate) mod gpkg;
pub(crate) mod page;
pub(crate) mod report;
pub mod tables;
pub mod tiles;

use crate::diagnostics::{Code, Diagnostics, Severity};
use crate::error::{Error, Result};
use crate::geometry::round_area;
use crate::ingest::InputFile;
use crate::measure::{Accounting, Figures, Region, Year};
use crate::model::{Classification, Role};
use crate::normalize::RecordCounts;
use crate::reconcile::Reconciled;
use atomic::Staging;
use geojson::FeatureWriter;
use serde::Serialize;
#[cfg(test)]
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// What emit needs besides the products of the earlier stages.
#[derive(Debug, Clone)]
pub struct EmitConfig {
    pub country: Option<String>,
    pub name: Option<String>,
    pub as_of: Option<chrono::NaiveDate>,
    pub attribution: Option<String>,
    pub precision: u8,
    /// The `[reconcile] area_mismatch` threshold (relative), for the
    /// reported-vs-computed table.
    pub area_mismatch: f64,
    /// Language of the map page (written into page.js).
    pub language: String,
    /// Raster basemap added to style.json when configured.
    pub basemap: Option<crate::config::Basemap>,
    /// The container of the tiles (`--format`).
    pub tile_format: crate::tiles::TileFormat,
    /// Where the bundle is published (`--base-url`, `[publish] base_url`).
    pub base_url: Option<crate::config::BaseUrl>,
    /// The zooms of the tiles (`--minzoom`/`--maxzoom`, `[output]`).
    pub min_zoom: u8,
    pub max_zoom: u8,
}

impl EmitConfig {
    /// How the tiles are cut: this config's zooms, the tiler's defaults
    /// for the rest.
    pub fn tile_config(&self) -> crate::tiles::TileConfig {
        crate::tiles::TileConfig {
            min_zoom: self.min_zoom,
            max_zoom: self.max_zoom,
            ..Default::default()
        }
    }
}

/// Everything a build produced, ready to be written.
pub struct Bundle<'a> {
    pub reconciled: &'a Reconciled,
    pub accounting: &'a Accounting,
    pub diagnostics: &'a Diagnostics,
    pub inputs: &'a [InputFile],
}

/// summary.json, as a typed document.
#[derive(Debug, Serialize)]
pub struct Summary {
    pub clearmap_version: &'static str,
    pub country: Option<String>,
    pub name: Option<String>,
    pub as_of: Option<String>,
    pub area_m2: BTreeMap<&'static str, f64>,
    pub remaining_by_classification: BTreeMap<Classification, ShareOut>,
    pub remaining_by_region: BTreeMap<Region, ShareOut>,
    /// Not additive: a hazard with several contamination types counts under each.
    pub remaining_by_contamination: BTreeMap<String, ShareOut>,
    /// Year → outcome and `total` → m².
    pub released_by_year: BTreeMap<Year, BTreeMap<&'static str, f64>>,
    pub records: BTreeMap<&'static str, RecordCounts>,
    pub diagnostics: BTreeMap<&'static str, usize>,
    pub inputs: Vec<InputFile>,
    pub notes: Vec<&'static str>,
}

#[derive(Debug, Serialize)]
pub struct ShareOut {
    pub count: usize,
    pub area_m2: f64,
}

/// summary.json's `area_m2`: the headline figures, rounded.
pub(crate) fn area_m2(f: &Figures) -> BTreeMap<&'static str, f64> {
    BTreeMap::from([
        ("total", round_area(f.total)),
        ("remaining", round_area(f.remaining)),
        ("cleared", round_area(f.cleared)),
        ("reduced", round_area(f.reduced)),
        ("cancelled", round_area(f.cancelled)),
        ("closed_unreleased", round_area(f.closed_unreleased)),
        (
            "released_outside_hazards",
            round_area(f.released_outside_hazards),
        ),
    ])
}

/// summary.json's `as_of`.
pub(crate) fn as_of(cfg: &EmitConfig) -> Option<String> {
    cfg.as_of.map(|d| d.format("%Y-%m-%d").to_string())
}

/// Build the summary document.
pub fn summary(cfg: &EmitConfig, b: &Bundle) -> Summary {
    let share = |s: &crate::measure::accounting::Share| ShareOut {
        count: s.count,
        area_m2: round_area(s.area_m2),
    };
    Summary {
        clearmap_version: env!("CARGO_PKG_VERSION"),
        country: cfg.country.clone(),
        name: cfg.name.clone(),
        as_of: as_of(cfg),
        area_m2: area_m2(&b.accounting.figures),
        remaining_by_classification: b
            .accounting
            .by_classification
            .iter()
            .map(|(c, v)| (*c, share(v)))
            .collect(),
        remaining_by_region: b.accounting.by_region.iter().map(|(r, v)| (r.clone(), share(v))).collect(),
        remaining_by_contamination: b
            .accounting
            .by_contamination
            .iter()
            .map(|(k, v)| (k.clone(), share(v)))
            .collect(),
        released_by_year: b
            .accounting
            .released_by_year
            .iter()
            .map(|(y, v)| {
                let mut by_outcome: BTreeMap<&'static str, f64> =
                    v.released.iter().map(|(o, a)| (o.as_str(), round_area(*a))).collect();
                by_outcome.insert("total", round_area(v.total));
                (*y, by_outcome)
            })
            .collect(),
        records: b.reconciled.counts.iter().map(|(r, c)| (r.as_str(), *c)).collect(),
        diagnostics: b.diagnostics.counts().into_iter().map(|(c, (_, n))| (c.as_str(), n)).collect(),
        inputs: b.inputs.to_vec(),
        notes: vec![
            "areas are geodesic on the WGS84 ellipsoid, in square metres",
            "total = remaining + cleared + reduced + cancelled + closed_unreleased",
            "where hazards of different classifications overlap, the land counts as CHA, then SHA, then other",
            "where hazards of one classification but different regions overlap, the land counts for the region first in name order",
            "remaining_by_contamination is not additive: a hazard with several contamination types counts under each",
        ],
    }
}

/// Write the bundle into `out` (created if missing, replaced whole if a
/// bundle), under the lock of `out`.
pub fn write_bundle(out: &Path, cfg: &EmitConfig, b: &Bundle) -> Result<Written> {
    let out = atomic::OutDir::resolve(out)?;
    let lock = atomic::OutLock::acquire(&out)?;
    atomic::check_replaceable(&out)?;
    write_bundle_with(&out, &lock, cfg, b, |_, _| Ok(()))
}

/// What writing a bundle took: the tiles written and the time of each part
/// (for the log, and for benchmarks that time the tiles alone).
#[derive(Debug, Clone, Default)]
pub struct Written {
    pub tiles: crate::tiles::TileStats,
    /// Milliseconds per part: documents (GeoJSON, summary, report, page),
    /// tiles, tables, gpkg, commit.
    pub durations_ms: BTreeMap<&'static str, u64>,
}

/// [`write_bundle`] for a caller that holds the lock of `out` (taken before
/// its manifest check), with `extra` staging more files (change report,
/// manifest) into the staging directory it is given, after the bundle's own.
/// Everything is written into a staging directory beside `out`, then swapped
/// in whole ([`atomic::BundleDir`]); on any error `out` is left as it was.
pub fn write_bundle_with(
    out: &atomic::OutDir,
    lock: &atomic::OutLock,
    cfg: &EmitConfig,
    b: &Bundle,
    extra: impl FnOnce(&mut Staging, &Path) -> Result<()>,
) -> Result<Written> {
    let timed = |part: &'static str, t: std::time::Instant, w: &mut Written| {
        w.durations_ms.insert(part, t.elapsed().as_millis() as u64);
    };
    let dir = atomic::BundleDir::create(out, lock)?;
    let stage = dir.path();
    let rec = b.reconciled;
    let acc = b.accounting;

    // The tiles use every core but not all the time; the documents, tables
    // and GeoPackage are written beside them.
    let mut tile_staging = Staging::new();
    let (tiled, documents) = rayon::join(
        || {
            let t = std::time::Instant::now();
            tiles::write_tiles_as(
                &mut tile_staging,
                stage,
                rec,
                acc,
                &cfg.tile_config(),
                &tiles::TileMeta::of(cfg),
                cfg.tile_format,
            )
            .map(|stats| (stats, t.elapsed().as_millis() as u64))
        },
        || {
            let tables = tables::tables(cfg, b);
            // The GeoPackage, the documents and the tables side by side: they
            // share no file (the GeoPackage is SQLite through rusqlite, no GDAL).
            let (gpkg, rest) = rayon::join(
                || {
                    let mut staging = Staging::new();
                    let t = std::time::Instant::now();
                    gpkg::write_gpkg(&mut staging, stage, cfg, b, &tables)?;
                    Ok::<_, Error>((staging, t.elapsed().as_millis() as u64))
                },
                || {
                    let (documents, tabled) = rayon::join(
                        || {
                            let mut staging = Staging::new();
                            let t = std::time::Instant::now();
                            write_documents(&mut staging, stage, cfg, b)?;
                            Ok::<_, Error>((staging, t.elapsed().as_millis() as u64))
                        },
                        || {
                            let mut staging = Staging::new();
                            let t = std::time::Instant::now();
                            tables::write_tables_of(&mut staging, stage, cfg, &tables)?;
                            Ok::<_, Error>((staging, t.elapsed().as_millis() as u64))
                        },
                    );
                    let (mut staging, documents_ms) = documents?;
                    let (tables_staging, tables_ms) = tabled?;
                    staging.absorb(tables_staging);
                    let mut w = Written::default();
                    w.durations_ms.insert("documents", documents_ms);
                    w.durations_ms.insert("tables", tables_ms);
                    Ok::<_, Error>((staging, w))
                },
            );
            let (mut staging, mut w) = rest?;
            let (gpkg_staging, gpkg_ms) = gpkg?;
            staging.absorb(gpkg_staging);
            w.durations_ms.insert("gpkg", gpkg_ms);
            Ok::<_, Error>((staging, w))
        },
    );
    let (mut staging, mut written) = documents?;
    let (stats, tiles_ms) = tiled?;
    written.tiles = stats;
    written.durations_ms.insert("tiles", tiles_ms);
    let t = std::time::Instant::now();
    staging.absorb(tile_staging);
    extra(&mut staging, stage)?;
    // Into their final names inside the staging directory, then the swap.
    staging.commit()?;
    dir.commit()?;
    timed("commit", t, &mut written);
    Ok(written)
}

/// Stage hazards.geojson, releases.geojson, summary.json, report.json and the
/// page.
fn write_documents(staging: &mut Staging, out: &Path, cfg: &EmitConfig, b: &Bundle) -> Result<()> {
    let rec = b.reconciled;
    let acc = b.accounting;
    let p = cfg.precision;
    staging.write(&out.join("hazards.geojson"), |w| {
        let mut fw = FeatureWriter::new(w, p)?;
        for (i, (h, r)) in rec.hazards.iter().zip(&acc.hazards).enumerate() {
            if !has_land(r) {
                continue;
            }
            let props = HazardProperties::of(h, r);
            fw.feature(Some(i as u64 + 1), &props, &r.remaining)?;
        }
        fw.finish()
    })?;

    staging.write(&out.join("releases.geojson"), |w| {
        let mut fw = FeatureWriter::new(w, p)?;
        for (k, piece) in acc.pieces.iter().enumerate() {
            let props = ReleaseProperties::of(rec, piece);
            fw.feature(Some(k as u64 + 1), &props, &piece.geometry)?;
        }
        fw.finish()
    })?;

    let s = summary(cfg, b);
    write_json(staging, &out.join("summary.json"), &s)?;
    write_json(staging, &out.join("report.json"), &report(b.diagnostics))?;
    let located = defects::located(b.diagnostics);
    staging.write(&out.join("defects.geojson"), |w| {
        defects::write_defects_geojson(w, &located, p, true)
    })?;
    let worklist = defects::worklist(b.diagnostics);
    staging.write(&out.join("report.csv"), |w| worklist.write_csv(w))?;
    report::write_report(staging, out, cfg, b, &located)?;
    page::write_page(staging, out, &page::PageConfig::of(cfg))?;
    Ok(())
}

/// Whether hazards.geojson (and the gpkg's `hazards`) has a feature for the
/// hazard: only one with land remaining.
pub(crate) fn has_land(r: &crate::measure::HazardResult) -> bool {
    r.remaining_m2 > 0.0 && !r.remaining.0.is_empty()
}

/// The properties of a hazard's feature (hazards.geojson, bundle.gpkg), in
/// name order: written as they are, they are the bytes of the JSON object
/// they make (whose members are in name order).
#[derive(Debug, Serialize)]
pub(crate) struct HazardProperties<'a> {
    area_m2: f64,
    area_reported_m2: Option<f64>,
    classification: &'static str,
    contamination: &'a [String],
    id: &'a str,
    region: Option<&'a str>,
    released_cancelled_m2: f64,
    released_cleared_m2: f64,
    released_reduced_m2: f64,
    remaining_m2: f64,
    status: &'static str,
}

impl<'a> HazardProperties<'a> {
    pub(crate) fn of(h: &'a crate::model::Hazard, r: &crate::measure::HazardResult) -> Self {
        use crate::model::Outcome;
        let released = |o: Outcome| round_area(r.released_m2[o]);
        HazardProperties {
            area_m2: round_area(r.area_m2),
            area_reported_m2: h.area_reported_m2,
            classification: h.classification.as_str(),
            contamination: &h.contamination,
            id: &h.id,
            region: h.region.as_deref(),
            released_cancelled_m2: released(Outcome::Cancelled),
            released_cleared_m2: released(Outcome::Cleared),
            released_reduced_m2: released(Outcome::Reduced),
            remaining_m2: round_area(r.remaining_m2),
            status: h.status.as_str(),
        }
    }
}

/// The properties of a release piece's feature (releases.geojson,
/// bundle.gpkg), in name order as [`HazardProperties`].
#[derive(Debug, Serialize)]
pub(crate) struct ReleaseProperties<'a> {
    area_m2: f64,
    area_reported_m2: Option<f64>,
    date: Option<String>,
    hazard_ids: &'a [String],
    /// The hazards whose land this piece releases, whatever the links say
    /// (unlinked releases are attributed by their land).
    hazards_covered: Vec<&'a str>,
    id: &'a str,
    outcome: &'static str,
}

impl<'a> ReleaseProperties<'a> {
    pub(crate) fn of(rec: &'a Reconciled, piece: &crate::measure::ReleasePiece) -> Self {
        let r = &rec.releases[piece.release];
        ReleaseProperties {
            area_m2: round_area(piece.area_m2),
            area_reported_m2: r.area_reported_m2,
            date: r.date.map(|d| d.format("%Y-%m-%d").to_string()),
            hazard_ids: &r.hazard_ids,
            hazards_covered: piece
                .hazards
                .iter()
                .map(|&h| rec.hazards[h].id.as_str())
                .collect(),
            id: &r.id,
            outcome: r.outcome.as_str(),
        }
    }
}

/// The properties of a hazard's feature as a JSON object.
#[cfg(test)]
pub(crate) fn hazard_properties(
    h: &crate::model::Hazard,
    r: &crate::measure::HazardResult,
) -> Map<String, Value> {
    object(&HazardProperties::of(h, r))
}

/// The properties of a release piece's feature as a JSON object.
#[cfg(test)]
pub(crate) fn release_properties(
    rec: &Reconciled,
    piece: &crate::measure::ReleasePiece,
) -> Map<String, Value> {
    object(&ReleaseProperties::of(rec, piece))
}

#[cfg(test)]
fn object<T: Serialize>(v: &T) -> Map<String, Value> {
    match serde_json::to_value(v) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

fn write_json<T: Serialize>(staging: &mut Staging, path: &Path, v: &T) -> Result<()> {
    staging.write(path, |w| {
        serde_json::to_writer_pretty(&mut *w, v)?;
        w.write_all(b"\n")
    })
}

/// report.json: counts per code, the records quarantined, then every
/// diagnostic. Its members are in name order, as those of a JSON object
/// ([`serde_json::Map`]) are, and so are each diagnostic's: every one is
/// turned into such an object as it is written, not all of them at once.
#[derive(Debug, Serialize)]
pub struct Report<'a> {
    counts: BTreeMap<&'static str, CodeCount>,
    diagnostics: Items<'a>,
    quarantined: usize,
}

/// How many diagnostics of a code, and their severity.
#[derive(Debug, Serialize)]
struct CodeCount {
    count: usize,
    severity: Severity,
}

/// The diagnostics, each as a JSON object.
#[derive(Debug)]
struct Items<'a>(&'a [crate::diagnostics::Diagnostic]);

impl Serialize for Items<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::{Error as _, SerializeSeq};
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for d in self.0 {
            seq.serialize_element(&serde_json::to_value(d).map_err(S::Error::custom)?)?;
        }
        seq.end()
    }
}

/// report.json's document.
pub fn report(d: &Diagnostics) -> Report<'_> {
    let counts = d
        .counts()
        .into_iter()
        .map(|(c, (severity, count)): (Code, (Severity, usize))| {
            (c.as_str(), CodeCount { count, severity })
        })
        .collect();
    Report {
        counts,
        diagnostics: Items(d.items()),
        quarantined: d
            .items()
            .iter()
            .filter(|x| x.severity == Severity::Error && x.record.is_some())
            .count(),
    }
}

/// Records read per role, for the end-of-run line.
pub fn records_line(counts: &BTreeMap<Role, RecordCounts>) -> String {
    counts
        .iter()
        .map(|(r, c)| {
            format!(
                "{}s: {} read, {} used, {} quarantined, {} superseded, {} after as_of",
                r.as_str(),
                c.read,
                c.used,
                c.quarantined,
                c.superseded,
                c.after_as_of
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}
