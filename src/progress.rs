//! How far a long stage has got, for the bar a person at a terminal sees.
//!
//! A stage's loop counts its work into a [`Progress`] handed to it; the
//! logger ([`crate::log`]) decides whether anyone sees it. When no one does
//! (not a terminal, `-q`, JSON logs, library use and tests) the handle is
//! empty and counting costs one branch. The handle is shared by the threads
//! of a parallel loop (indicatif's bar is an atomic counter).

use indicatif::{ProgressBar, ProgressStyle};

/// A counter of a stage's work, drawn as a bar when someone watches: a
/// spinner until the stage knows how much there is to do, then `bar_style`.
#[derive(Clone, Default)]
pub struct Progress(Option<(ProgressBar, ProgressStyle)>);

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some((b, _)) => write!(f, "Progress({:?}/{:?})", b.position(), b.length()),
            None => f.write_str("Progress(unwatched)"),
        }
    }
}

/// The progress nobody watches.
static NONE: Progress = Progress(None);

impl Progress {
    /// The progress nobody watches (borrowed by configs that are `Copy`).
    pub fn none() -> &'static Progress {
        &NONE
    }

    pub(crate) fn of(bar: ProgressBar, bar_style: ProgressStyle) -> Self {
        Progress(Some((bar, bar_style)))
    }

    /// `n` more units of work to do (a source's record count once known).
    pub fn add_length(&self, n: u64) {
        if let Some((b, style)) = &self.0 {
            if n > 0 && b.length().unwrap_or(0) == 0 {
                b.set_style(style.clone());
            }
            b.inc_length(n);
        }
    }

    /// `n` units done.
    pub fn inc(&self, n: u64) {
        if let Some((b, _)) = &self.0 {
            b.inc(n);
        }
    }
}
