//! The build: ingest → normalize → reconcile → measure → emit, each stage given
//! its own slice of the config and the product of the stage before.

use crate::config::Config;
use crate::diagnostics::{Diagnostics, Severity};
use crate::emit::{self, Bundle, EmitConfig};
use crate::error::Result;
use crate::ingest;
use crate::measure::{self, Accounting};
use crate::model::Role;
use crate::normalize::{self, RecordCounts};
use crate::reconcile::{self, ReconcileConfig, Reconciled};
use std::collections::BTreeMap;
use std::path::Path;

/// What a finished build reports back to the command line.
#[derive(Debug)]
pub struct BuildOutcome {
    pub figures: measure::Figures,
    pub counts: BTreeMap<Role, RecordCounts>,
    pub diagnostics: Diagnostics,
    /// Records that could not be used.
    pub quarantined: usize,
}

/// Everything computed before anything is written.
pub struct Computed {
    pub reconciled: Reconciled,
    pub accounting: Accounting,
    pub diagnostics: Diagnostics,
    pub inputs: Vec<ingest::InputFile>,
}

/// Run ingest to measure; no file is written.
pub fn compute(cfg: &Config) -> Result<Computed> {
    let ingested = ingest::ingest(cfg)?;
    let inputs = ingested.inputs.clone();
    let normalized = normalize::normalize(ingested);
    let mut reconciled = reconcile::reconcile(
        normalized,
        &ReconcileConfig {
            as_of: cfg.as_of,
            ..cfg.reconcile
        },
    );
    let accounting = measure::measure(&reconciled)?;
    let mut diagnostics = std::mem::take(&mut reconciled.diagnostics);
    diagnostics.extend(accounting.diagnostics.items().iter().cloned());
    diagnostics.sort();
    Ok(Computed {
        reconciled,
        accounting,
        diagnostics,
        inputs,
    })
}

/// Run ingest and normalize only (`clearmap validate`).
pub fn validate(cfg: &Config) -> Result<(Diagnostics, BTreeMap<Role, RecordCounts>)> {
    let normalized = normalize::normalize(ingest::ingest(cfg)?);
    let mut d = normalized.diagnostics;
    d.sort();
    Ok((d, normalized.counts))
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
    }
}

/// A whole build into `out`.
pub fn build(cfg: &Config, out: &Path) -> Result<BuildOutcome> {
    let c = compute(cfg)?;
    emit::write_bundle(
        out,
        &emit_config(cfg),
        &Bundle {
            reconciled: &c.reconciled,
            accounting: &c.accounting,
            diagnostics: &c.diagnostics,
            inputs: &c.inputs,
        },
    )?;
    let quarantined = c.reconciled.counts.values().map(|n| n.quarantined).sum();
    Ok(BuildOutcome {
        figures: c.accounting.figures,
        counts: c.reconciled.counts,
        quarantined,
        diagnostics: c.diagnostics,
    })
}

/// Only the tables (`clearmap tables`): the accounting recomputed, `out/tables/`
/// written atomically, nothing else touched. Returns the files written.
pub fn tables(cfg: &Config, out: &Path) -> Result<Vec<std::path::PathBuf>> {
    let c = compute(cfg)?;
    emit::tables::write_tables_only(
        out,
        &emit_config(cfg),
        &Bundle {
            reconciled: &c.reconciled,
            accounting: &c.accounting,
            diagnostics: &c.diagnostics,
            inputs: &c.inputs,
        },
    )?;
    Ok(emit::tables::paths(out))
}

/// Whether any diagnostic quarantined a record.
pub fn has_errors(d: &Diagnostics) -> bool {
    d.items().iter().any(|x| x.severity == Severity::Error)
}
