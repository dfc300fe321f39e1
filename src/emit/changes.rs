//! The change report: what moved since the previous bundle (changes.json and
//! changes.geojson), for data officers checking a new export and CI reviewing
//! a regenerated country.
//!
//! Hazards are compared as both bundles publish them: hazards.geojson lists the
//! hazards with land remaining, by id, with `area_m2` the whole hazard's area.
//! - `added`: listed now, not before;
//! - `removed`: listed before, not now; `reason` says whether the hazard is
//!   still in the export with no land remaining (`no_land_remaining`) or gone
//!   from the export (`not_in_export`);
//! - `geometry_changed`: listed in both with `area_m2` differing by more than
//!   [`AREA_TOLERANCE_M2`] (the hazard's drawn area, not its remaining part).
//!
//! Land released since the previous build, by outcome, is by definition the
//! current released total minus the previous one, both as written in the two
//! summary.json files, so it equals their difference exactly; likewise the
//! deltas of `area_m2`.

use super::atomic::Staging;
use super::geojson::write_geometry;
use super::{Bundle, EmitConfig};
use crate::error::{Error, Result};
use crate::geometry::round_area;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Whole-hazard area change (m²) above which a hazard counts as re-drawn.
pub const AREA_TOLERANCE_M2: f64 = 0.01;

/// Files a directory needs to serve as the previous bundle.
pub const NEEDED: [&str; 3] = ["hazards.geojson", "releases.geojson", "summary.json"];

/// A hazard as the previous bundle listed it.
#[derive(Debug, Clone)]
pub struct PrevHazard {
    pub area_m2: f64,
    pub remaining_m2: f64,
    /// The geometry's JSON text, as written (copied into changes.geojson for
    /// removed hazards, never parsed: a parsed copy of a national bundle's
    /// geometries would take many times its size in memory).
    pub geometry: Box<RawValue>,
}

/// What is read of the previous bundle's GeoJSON: ids, areas, geometry text.
#[derive(Deserialize)]
struct Collection<F> {
    features: Vec<F>,
}

#[derive(Deserialize)]
struct HazardFeature {
    properties: HazardProps,
    geometry: Box<RawValue>,
}

#[derive(Deserialize)]
struct HazardProps {
    id: Option<Value>,
    area_m2: Option<f64>,
    remaining_m2: Option<f64>,
}

#[derive(Deserialize)]
struct ReleaseFeature {
    properties: ReleaseProps,
}

#[derive(Deserialize)]
struct ReleaseProps {
    id: Option<Value>,
}

/// The previous bundle, read before the new one replaces it.
#[derive(Debug, Clone)]
pub struct Previous {
    pub dir: PathBuf,
    pub summary: Value,
    pub hazards: BTreeMap<String, PrevHazard>,
    pub release_ids: BTreeSet<String>,
}

/// Whether `dir` holds a bundle to compare against.
pub fn has_bundle(dir: &Path) -> bool {
    NEEDED.iter().all(|f| dir.join(f).is_file())
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let file = std::fs::File::open(path).map_err(|e| Error::input(path, e.to_string()))?;
    serde_json::from_reader(std::io::BufReader::with_capacity(1 << 20, file))
        .map_err(|e| Error::input(path, format!("not a clearmap bundle file: {e}")))
}

impl Previous {
    /// Read the previous bundle in `dir`.
    pub fn load(dir: &Path) -> Result<Previous> {
        for f in NEEDED {
            if !dir.join(f).is_file() {
                return Err(Error::input(
                    dir,
                    format!("is not a previous bundle: it has no {f}"),
                ));
            }
        }
        let summary: Value = read_json(&dir.join("summary.json"))?;
        let hz: Collection<HazardFeature> = read_json(&dir.join("hazards.geojson"))?;
        let mut hazards = BTreeMap::new();
        for f in hz.features {
            let p = f.properties;
            if let Some(Value::String(id)) = p.id {
                hazards.insert(
                    id,
                    PrevHazard {
                        area_m2: p.area_m2.unwrap_or(0.0),
                        remaining_m2: p.remaining_m2.unwrap_or(0.0),
                        geometry: f.geometry,
                    },
                );
            }
        }
        let rel: Collection<ReleaseFeature> = read_json(&dir.join("releases.geojson"))?;
        let release_ids = rel
            .features
            .into_iter()
            .filter_map(|f| match f.properties.id {
                Some(Value::String(id)) => Some(id),
                _ => None,
            })
            .collect();
        Ok(Previous {
            dir: dir.to_path_buf(),
            summary,
            hazards,
            release_ids,
        })
    }
}

/// How changes.json names the previous bundle. changes.json is published
/// with the bundle, so it must not reveal the builder's folders: the name is
/// the previous bundle's path relative to the folder the new bundle is written
/// in (`--out`'s parent, which also holds the staging directory `stage`), e.g.
/// `out` when the bundle this replaced is named, `2024` for `--previous
/// bundles/2024` beside `--out bundles/2025`. A bundle elsewhere is named by its
/// folder name alone, never by an absolute or `..` path; its `as_of` beside
/// it tells readers which one it was.
fn published_name(prev_dir: &Path, stage: &Path) -> String {
    let prev = std::fs::canonicalize(prev_dir).unwrap_or_else(|_| prev_dir.to_path_buf());
    let base = stage.parent().and_then(|p| std::fs::canonicalize(p).ok());
    if let Some(rel) = base.and_then(|b| prev.strip_prefix(b).ok().map(Path::to_path_buf)) {
        if !rel.as_os_str().is_empty() {
            // `/` on every platform: the file is read elsewhere.
            let parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            return parts.join("/");
        }
    }
    prev.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The figures of changes.json that callers print.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChangeCounts {
    pub added: usize,
    pub removed: usize,
    pub geometry_changed: usize,
    /// Land released since the previous build, all outcomes, m².
    pub released_since_m2: f64,
    pub remaining_delta_m2: f64,
}

struct Listed<'a> {
    area_m2: f64,
    remaining_m2: f64,
    geometry: &'a geo::MultiPolygon<f64>,
}

/// What the change report compares: the previous bundle, and the bundle being
/// written with its config.
#[derive(Clone, Copy)]
pub struct Comparison<'a> {
    pub previous: &'a Previous,
    pub cfg: &'a EmitConfig,
    pub bundle: &'a Bundle<'a>,
}

/// Stage changes.json and changes.geojson into `out`.
pub fn write_changes(staging: &mut Staging, out: &Path, c: Comparison) -> Result<ChangeCounts> {
    let Comparison {
        previous: prev,
        cfg,
        bundle: b,
    } = c;
    let rec = b.reconciled;
    let acc = b.accounting;
    // The current figures and date as summary.json writes them.
    let area_m2 = &super::area_m2(&acc.figures);
    let as_of = super::as_of(cfg);
    let precision = cfg.precision;
    // The current listing: exactly the hazards hazards.geojson holds.
    let mut now: BTreeMap<&str, Listed> = BTreeMap::new();
    for (h, r) in rec.hazards.iter().zip(&acc.hazards) {
        if r.remaining_m2 <= 0.0 || r.remaining.0.is_empty() {
            continue;
        }
        now.insert(
            h.id.as_str(),
            Listed {
                area_m2: round_area(r.area_m2),
                remaining_m2: round_area(r.remaining_m2),
                geometry: &r.remaining,
            },
        );
    }
    let in_export: BTreeSet<&str> = rec.hazards.iter().map(|h| h.id.as_str()).collect();

    let added: Vec<&str> = now
        .keys()
        .filter(|id| !prev.hazards.contains_key(**id))
        .copied()
        .collect();
    let removed: Vec<&str> = prev
        .hazards
        .keys()
        .filter(|id| !now.contains_key(id.as_str()))
        .map(String::as_str)
        .collect();
    let changed: Vec<&str> = now
        .iter()
        .filter(|(id, l)| {
            prev.hazards
                .get(**id)
                .is_some_and(|p| (l.area_m2 - p.area_m2).abs() > AREA_TOLERANCE_M2)
        })
        .map(|(id, _)| *id)
        .collect();
    let removed_released = removed.iter().filter(|id| in_export.contains(**id)).count();

    let release_now: BTreeSet<&str> = acc
        .pieces
        .iter()
        .map(|p| rec.releases[p.release].id.as_str())
        .collect();
    let releases_added = release_now
        .iter()
        .filter(|id| !prev.release_ids.contains(**id))
        .count();
    let releases_removed = prev
        .release_ids
        .iter()
        .filter(|id| !release_now.contains(id.as_str()))
        .count();

    let prev_area = |k: &str| prev.summary["area_m2"][k].as_f64().unwrap_or(0.0);
    let cur_area = |k: &str| area_m2.get(k).copied().unwrap_or(0.0);
    let mut released_since = Map::new();
    let mut released_total = 0.0;
    for k in ["cancelled", "reduced", "cleared"] {
        let d = round_area(cur_area(k) - prev_area(k));
        released_total += d;
        released_since.insert(k.into(), json!(d));
    }
    // Both sides are written to 3 decimals; their difference is rounded the
    // same way so no float noise (`…0.6370000001`) reaches the report.
    let released_total = round_area(released_total);
    released_since.insert("total".into(), json!(released_total));
    let delta: Map<String, Value> = area_m2
        .keys()
        .map(|k| {
            (
                (*k).to_string(),
                json!(round_area(cur_area(k) - prev_area(k))),
            )
        })
        .collect();

    let doc = json!({
        "previous": published_name(&prev.dir, out),
        "as_of": {
            "previous": prev.summary["as_of"],
            "current": as_of,
        },
        "hazards": {
            "added": added.len(),
            "removed": removed.len(),
            "removed_no_land_remaining": removed_released,
            "removed_not_in_export": removed.len() - removed_released,
            "geometry_changed": changed.len(),
            "added_ids": added,
            "removed_ids": removed,
            "geometry_changed_ids": changed,
        },
        "releases": {
            "added": releases_added,
            "removed": releases_removed,
        },
        "released_since_m2": released_since,
        "area_m2_delta": delta,
        "notes": [
            "hazards are compared as listed in hazards.geojson: those with land remaining",
            "geometry_changed: the hazard's whole area (area_m2) differs by more than 0.01 m²",
            "released_since_m2 = current released area by outcome - previous, from the two summary.json files",
        ],
    });
    staging.write(&out.join("changes.json"), |w| {
        serde_json::to_writer_pretty(&mut *w, &doc)?;
        w.write_all(b"\n")
    })?;

    staging.write(&out.join("changes.geojson"), |w| {
        w.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[\n")?;
        let mut first = true;
        let mut sep = |w: &mut dyn Write| -> std::io::Result<()> {
            if !first {
                w.write_all(b",\n")?;
            }
            first = false;
            Ok(())
        };
        let props = |id: &str, change: &str, extra: Map<String, Value>| {
            let mut m = Map::new();
            m.insert("id".into(), json!(id));
            m.insert("change".into(), json!(change));
            m.extend(extra);
            Value::Object(m)
        };
        // One list in id order, whatever the kind of change.
        let mut rows: Vec<(&str, &str)> = added.iter().map(|id| (*id, "added")).collect();
        rows.extend(changed.iter().map(|id| (*id, "geometry_changed")));
        rows.extend(removed.iter().map(|id| (*id, "removed")));
        rows.sort();
        for (id, change) in rows {
            sep(w)?;
            w.write_all(b"{\"type\":\"Feature\",\"properties\":")?;
            if change == "removed" {
                let p = &prev.hazards[id];
                let reason = if in_export.contains(id) {
                    "no_land_remaining"
                } else {
                    "not_in_export"
                };
                let mut m = Map::new();
                m.insert("reason".into(), json!(reason));
                m.insert("area_m2_previous".into(), json!(p.area_m2));
                m.insert("remaining_m2_previous".into(), json!(p.remaining_m2));
                serde_json::to_writer(&mut *w, &props(id, change, m))?;
                w.write_all(b",\"geometry\":")?;
                serde_json::to_writer(&mut *w, &p.geometry)?;
            } else {
                let l = &now[id];
                let mut m = Map::new();
                m.insert("area_m2".into(), json!(l.area_m2));
                m.insert("remaining_m2".into(), json!(l.remaining_m2));
                if let Some(p) = prev.hazards.get(id) {
                    m.insert("area_m2_previous".into(), json!(p.area_m2));
                }
                serde_json::to_writer(&mut *w, &props(id, change, m))?;
                w.write_all(b",\"geometry\":")?;
                write_geometry(w, l.geometry, precision)?;
            }
            w.write_all(b"}")?;
        }
        w.write_all(b"\n]}\n")
    })?;

    Ok(ChangeCounts {
        added: added.len(),
        removed: removed.len(),
        geometry_changed: changed.len(),
        released_since_m2: released_total,
        remaining_delta_m2: round_area(cur_area("remaining") - prev_area("remaining")),
    })
}
