//! What stops the measure stage: figures that do not add up.

#[derive(Debug, thiserror::Error)]
pub enum MeasureError {
    /// The total is not remaining + released + closed: a bug, never the
    /// input's fault. `details` gives the figures and the largest residuals.
    #[error(
        "area conservation failed (a clearmap bug, please report it with the input): {details}"
    )]
    Conservation { details: String },
}
