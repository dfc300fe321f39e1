//! Typed errors of the whole pipeline and the exit codes they map to.
//!
//! Record-level problems are never errors: they become [`crate::diagnostics::Diagnostic`]s
//! and the run goes on. An [`Error`] stops the run before any output is replaced.

use std::path::PathBuf;

/// Exit codes of the command line (docs/design.md, "Command line").
pub mod exit {
    pub const SUCCESS: i32 = 0;
    pub const RUNTIME: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const QUARANTINED_STRICT: i32 = 3;

    /// The code of a run that succeeded: 3 when `--strict` was given and
    /// records were quarantined, else 0.
    pub fn success(strict: bool, quarantined: bool) -> i32 {
        if strict && quarantined {
            QUARANTINED_STRICT
        } else {
            SUCCESS
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read config {path}: {source}")]
    ConfigRead {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config {path}: {message}")]
    Config { path: PathBuf, message: String },
    #[error("{0}")]
    Usage(String),
    #[error("{path}: {message}")]
    Input { path: PathBuf, message: String },
    #[error("cannot write {path}: {source}; check that the --out directory can be created and written there (nothing was written)")]
    Output {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "area conservation failed (a clearmap bug, please report it with the input): {details}"
    )]
    Conservation { details: String },
    /// The machine rather than the input or the output directory, e.g. a
    /// temporary directory that cannot be written.
    #[error("{0}")]
    Environment(String),
    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::ConfigRead { .. } | Error::Config { .. } | Error::Usage(_) => exit::USAGE,
            Error::Input { .. }
            | Error::Output { .. }
            | Error::Conservation { .. }
            | Error::Environment(_)
            | Error::Internal(_) => exit::RUNTIME,
        }
    }

    pub fn config(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Config {
            path: path.into(),
            message: message.into(),
        }
    }

    pub fn input(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Input {
            path: path.into(),
            message: message.into(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
