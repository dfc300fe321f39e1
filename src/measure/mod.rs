//! Measure: the accounting of docs/design.md over reconciled
//! clusters: totals, per-hazard remaining land, attributed release pieces and
//! the breakdowns of summary.json.

pub mod accounting;
mod breakdown;
mod cluster;
mod error;
mod keys;

pub use accounting::{measure, measure_counted, Accounting, Figures, HazardResult, ReleasePiece};
pub use error::MeasureError;
pub use keys::{ByOutcome, Region, Year};
