//! Measure: the accounting of docs/design.md over reconciled
//! clusters: totals, per-hazard remaining land, attributed release pieces and
//! the breakdowns of summary.json.

pub mod accounting;
mod error;

pub use accounting::{measure, Accounting, Figures, HazardResult, ReleasePiece};
pub use error::MeasureError;
