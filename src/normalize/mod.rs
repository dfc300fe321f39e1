//! Normalize: turn raw records into canonical hazards and releases with valid,
//! oriented WGS84 geometry. Records that cannot be used are quarantined here with
//! a diagnostic that names them; nothing leaves this stage unaccounted for.

mod repair;

pub use repair::{repair, Finding, RepairOptions, Repaired};

use crate::diagnostics::{Code, Diagnostic, Diagnostics, Place, Severity};
use crate::ingest::limits::too_large;
use crate::ingest::{Ingested, RawGeometry, RawRecord, SourceBatch};
use crate::model::{Classification, Hazard, Release, Role, Status};
use geo::CoordsIter;
use rayon::prelude::*;
use std::collections::BTreeMap;

/// Counts of records per role through the stages (summary.json `records`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct RecordCounts {
    /// Records read from the sources.
    pub read: usize,
    /// Records that entered the accounting.
    pub used: usize,
    /// Records that could not be used (bad geometry, no outcome …).
    pub quarantined: usize,
    /// Records replaced by a later record with the same id.
    pub superseded: usize,
    /// Releases dated after `as_of`.
    pub after_as_of: usize,
}

/// Records read and quarantined from one source file (report.html's
/// summary), the file named as the records' provenance names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceCounts {
    pub role: Role,
    pub file: String,
    pub read: usize,
    pub quarantined: usize,
}

/// The product of normalize.
#[derive(Debug, Default)]
pub struct Normalized {
    pub hazards: Vec<Hazard>,
    pub releases: Vec<Release>,
    pub counts: BTreeMap<Role, RecordCounts>,
    /// Per source, in config order.
    pub sources: Vec<SourceCounts>,
    pub diagnostics: Diagnostics,
}

enum Outcome {
    Hazard(Box<Hazard>),
    Release(Box<Release>),
    Quarantined,
}

/// Normalize every batch, in parallel per record, keeping input order.
pub fn normalize(ingested: Ingested) -> Normalized {
    normalize_counted(ingested, crate::progress::Progress::none())
}

/// [`normalize`], counting each record into `progress`.
pub fn normalize_counted(ingested: Ingested, progress: &crate::progress::Progress) -> Normalized {
    progress.add_length(
        ingested
            .batches
            .iter()
            .map(|b| b.records.len() as u64)
            .sum(),
    );
    let mut out = Normalized {
        diagnostics: ingested.diagnostics,
        ..Default::default()
    };
    for role in [Role::Hazard, Role::Release] {
        out.counts.insert(role, RecordCounts::default());
    }
    for batch in ingested.batches {
        let counts = out.counts.get_mut(&batch.role).expect("both roles present");
        counts.read += batch.records.len();
        let missing_ids = batch
            .records
            .iter()
            .filter(|r| r.attrs.id.as_deref().is_none_or(is_placeholder_id))
            .count();
        if missing_ids > 0 {
            out.diagnostics.push(
                Diagnostic::new(
                    Code::MissingId,
                    Severity::Info,
                    format!(
                        "{missing_ids} of {} records of {} have no id (or a placeholder such as \"-\", \"0\", \"N/A\")",
                        batch.records.len(),
                        batch.path.display()
                    ),
                )
                .fix(format!(
                    "ids assigned as \"{}:ROW\" (zero-based row)",
                    stem(&batch)
                )),
            );
        }
        let mut source = SourceCounts {
            role: batch.role,
            file: batch
                .records
                .first()
                .map(|r| r.provenance.file.to_string())
                .unwrap_or_else(|| batch.path.display().to_string()),
            read: batch.records.len(),
            quarantined: 0,
        };
        let opts = RepairOptions {
            clockwise_convention: batch.clockwise_convention,
        };
        let stem = stem(&batch);
        let max_vertices = batch.max_vertices;
        let results: Vec<(Outcome, Vec<Diagnostic>)> = batch
            .records
            .into_par_iter()
            .map(|r| {
                let done = normalize_record(r, batch.role, &stem, opts, max_vertices);
                progress.inc(1);
                done
            })
            .collect();
        // Exactly what this batch can add: grown by doubling instead, the
        // record vectors held up to twice their size through every stage.
        match batch.role {
            Role::Hazard => out.hazards.reserve_exact(results.len()),
            Role::Release => out.releases.reserve_exact(results.len()),
        }
        for (outcome, diags) in results {
            out.diagnostics.extend(diags);
            match outcome {
                Outcome::Hazard(h) => out.hazards.push(*h),
                Outcome::Release(r) => out.releases.push(*r),
                Outcome::Quarantined => {
                    counts.quarantined += 1;
                    source.quarantined += 1;
                }
            }
        }
        out.sources.push(source);
    }
    out
}

fn stem(batch: &SourceBatch) -> String {
    batch
        .path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "record".into())
}

fn normalize_record(
    r: RawRecord,
    role: Role,
    stem: &str,
    opts: RepairOptions,
    max_vertices: u64,
) -> (Outcome, Vec<Diagnostic>) {
    let prov = r.provenance;
    let mut diags = Vec::new();
    // A quarantined record is shown where it was read, when it can be.
    let raw_place = || match &r.geometry {
        RawGeometry::Geo(g) => Place::of_raw(g),
        _ => None,
    };
    let quarantine = |diags: &mut Vec<Diagnostic>, code, message: &str| {
        let mut d = Diagnostic::new(code, Severity::Error, message)
            .record(&prov)
            .fix("record quarantined");
        d.place = raw_place();
        diags.push(d);
        (Outcome::Quarantined, std::mem::take(diags))
    };
    let geometry = match &r.geometry {
        RawGeometry::Missing => {
            return quarantine(&mut diags, Code::NullGeometry, "record has no geometry")
        }
        RawGeometry::Empty => {
            return quarantine(
                &mut diags,
                Code::EmptyGeometry,
                "geometry has no coordinates",
            )
        }
        RawGeometry::Unreadable => return (Outcome::Quarantined, diags),
        RawGeometry::Geo(g) if g.coords_count() as u64 > max_vertices => {
            // Too large to copy: shown as its envelope.
            let mut d = too_large(g.coords_count() as u64, max_vertices).record(&prov);
            d.place = geo::BoundingRect::bounding_rect(g)
                .and_then(|b| Place::of_raw(&geo::Geometry::Rect(b)));
            diags.push(d);
            return (Outcome::Quarantined, diags);
        }
        RawGeometry::Geo(g) => match repair(g, opts) {
            Ok((mp, findings)) => {
                let here = Place::Area(mp.clone());
                diags.extend(findings.into_iter().map(|f| finding(f, &prov, Some(&here))));
                // A polygon of collinear or repeated vertices survives repair
                // as a ring without area; used, it would read as a hazard
                // whose land is all released.
                if encloses_no_area(&mp) {
                    return quarantine(
                        &mut diags,
                        Code::EmptyGeometry,
                        "geometry encloses no area (its vertices are collinear or repeated)",
                    );
                }
                mp
            }
            Err((fatal, findings)) => {
                let here = raw_place();
                diags.extend(
                    findings
                        .into_iter()
                        .map(|f| finding(f, &prov, here.as_ref())),
                );
                diags.push(finding(fatal, &prov, here.as_ref()));
                return (Outcome::Quarantined, diags);
            }
        },
    };
    let mut a = r.attrs;
    if let Some(raw) = a.id.take_if(|id| is_placeholder_id(id)) {
        diags.push(
            Diagnostic::new(
                Code::PlaceholderId,
                Severity::Info,
                format!("id \"{raw}\" is a placeholder, not an id"),
            )
            .record(&prov)
            .fix(format!(
                "treated as missing: id \"{stem}:{}\" assigned",
                prov.row
            )),
        );
    }
    let id =
        a.id.clone()
            .unwrap_or_else(|| format!("{stem}:{}", prov.row));
    let id = fit_text("id", id, &prov, &mut diags);
    a.region = a.region.map(|r| fit_text("region", r, &prov, &mut diags));
    a.hazard_ids = std::mem::take(&mut a.hazard_ids)
        .into_iter()
        .map(|h| fit_text("hazard_ids", h, &prov, &mut diags))
        .collect();
    match role {
        Role::Hazard => {
            let status = a.status.unwrap_or(Status::Open);
            (
                Outcome::Hazard(Box::new(Hazard {
                    id,
                    classification: a.classification.unwrap_or(Classification::Other),
                    status,
                    contamination: a.contamination,
                    region: a.region,
                    area_reported_m2: a.area_reported_m2,
                    geometry,
                    provenance: prov,
                })),
                diags,
            )
        }
        Role::Release => {
            let Some(outcome) = a.outcome else {
                diags.push(
                    Diagnostic::new(
                        Code::MissingOutcome,
                        Severity::Error,
                        "release has no outcome (cancelled, reduced or cleared)",
                    )
                    .record(&prov)
                    .fix("record quarantined; map the source's activity type with [source.values.outcome]")
                    .at(raw_place().unwrap_or(Place::Area(geometry))),
                );
                return (Outcome::Quarantined, diags);
            };
            (
                Outcome::Release(Box::new(Release {
                    id,
                    hazard_ids: a.hazard_ids,
                    outcome,
                    date: a.date,
                    area_reported_m2: a.area_reported_m2,
                    geometry,
                    provenance: prov,
                })),
                diags,
            )
        }
    }
}

/// Whether a repaired geometry has no area: nothing left, or a planar area
/// (in lon/lat) that is rounding noise next to its envelope's. The geodesic
/// area is no test here: vertices on one straight lon/lat line are not on one
/// geodesic, so it comes out a little over zero.
fn encloses_no_area(mp: &geo::MultiPolygon<f64>) -> bool {
    use geo::{Area, BoundingRect};
    let Some(b) = mp.bounding_rect() else {
        return true;
    };
    let planar = mp.unsigned_area();
    planar.is_nan() || planar <= 1e-9 * b.width() * b.height()
}

/// Ids that exports use for "no id": a record carrying one is given an id of
/// its own, so that two records with `-` are not taken for one.
pub fn is_placeholder_id(id: &str) -> bool {
    const PLACEHOLDERS: [&str; 10] = ["", "-", "--", "0", "n/a", "na", "none", "null", "nil", "?"];
    let t = id.trim();
    PLACEHOLDERS.iter().any(|p| t.eq_ignore_ascii_case(p))
}

/// The most characters a text can carry into every output: an Excel cell's
/// limit (32,767), the tightest of them.
pub const MAX_TEXT_CHARS: usize = 32_767;

/// `text` cut to [`MAX_TEXT_CHARS`], with a diagnostic naming the record when
/// it was longer, so that one overlong value never fails a whole build at the
/// workbook, and every output carries the same value.
fn fit_text(
    field: &str,
    text: String,
    prov: &crate::model::Provenance,
    diags: &mut Vec<Diagnostic>,
) -> String {
    let n = text.chars().count();
    if n <= MAX_TEXT_CHARS {
        return text;
    }
    diags.push(
        Diagnostic::new(
            Code::TextTooLong,
            Severity::Warning,
            format!("{field} is {n} characters long, over the {MAX_TEXT_CHARS} a spreadsheet cell holds"),
        )
        .record(prov)
        .fix(format!("cut to its first {MAX_TEXT_CHARS} characters in every output; shorten it in the source")),
    );
    text.chars().take(MAX_TEXT_CHARS).collect()
}

/// A repair's finding as a diagnostic of the record, placed where the
/// finding says or else at `here` (the record's geometry).
fn finding(
    f: repair::Finding,
    prov: &crate::model::Provenance,
    here: Option<&Place>,
) -> Diagnostic {
    let mut d = Diagnostic::new(f.code, f.severity, f.message).record(prov);
    d.fix = f.fix;
    d.place = f.place.or_else(|| here.cloned());
    d
}

/// Record conservation (docs/design.md): for each role, every record read is used,
/// quarantined, superseded by a later record with its id, or dated after
/// `as_of`. Anything else is a clearmap bug, and the build must fail rather
/// than publish figures that lost records silently.
///
/// Call it on the final counts (`Reconciled::counts`) before emit.
pub fn check_record_conservation(
    counts: &BTreeMap<Role, RecordCounts>,
) -> Result<(), RecordConservationError> {
    let broken: Vec<String> = counts
        .iter()
        .filter_map(|(role, c)| {
            let accounted = c
                .used
                .checked_add(c.quarantined)
                .and_then(|n| n.checked_add(c.superseded))
                .and_then(|n| n.checked_add(c.after_as_of));
            (accounted != Some(c.read)).then(|| {
                format!(
                    "{}: read {} but used {} + quarantined {} + superseded {} + after as_of {}",
                    role.as_str(),
                    c.read,
                    c.used,
                    c.quarantined,
                    c.superseded,
                    c.after_as_of
                )
            })
        })
        .collect();
    if broken.is_empty() {
        Ok(())
    } else {
        Err(RecordConservationError {
            details: broken.join("; "),
        })
    }
}

/// Records read that are neither used nor accounted for by a reason: a
/// clearmap bug, never the input's fault.
#[derive(Debug, thiserror::Error)]
#[error("record conservation failed (a clearmap bug, please report it with the input): {details}")]
pub struct RecordConservationError {
    /// Per role, the counts that do not add up.
    pub details: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_conservation_holds_and_fails() {
        let mut counts = BTreeMap::new();
        counts.insert(
            Role::Hazard,
            RecordCounts {
                read: 5,
                used: 2,
                quarantined: 1,
                superseded: 1,
                after_as_of: 1,
            },
        );
        check_record_conservation(&counts).unwrap();
        counts.get_mut(&Role::Hazard).unwrap().used = 1;
        let e = check_record_conservation(&counts).unwrap_err();
        assert!(e.to_string().contains("a clearmap bug"), "{e}");
        assert!(e.to_string().contains("hazard: read 5"), "{e}");
    }
}
