//! Measure: geodesic areas and the accounting of docs/design.md over reconciled
//! clusters: totals, per-hazard remaining land, attributed release pieces and
//! the breakdowns of summary.json.

pub mod accounting;
pub mod area;
mod breakdown;
mod cluster;
mod keys;
pub mod ops;

pub use accounting::{measure, Accounting, Figures, HazardResult, ReleasePiece};
pub use keys::{ByOutcome, Region, Year};
