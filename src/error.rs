//! The errors of the whole pipeline and the one place that maps them to exit
//! codes ([`Error::exit_code`]).
//!
//! Each stage has its own enum of typed variants ([`ConfigError`],
//! [`IngestError`], [`MeasureError`]), each carrying the data its message
//! needs; [`Error`] is their sum plus the faults no stage owns (usage,
//! output, environment, internal). Record-level problems are never errors:
//! they become [`crate::diagnostics::Diagnostic`]s and the run goes on. An
//! [`Error`] stops the run before any output is replaced.

pub use crate::config::ConfigError;
pub use crate::ingest::IngestError;
pub use crate::measure::MeasureError;
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
    /// The config file: unreadable, not TOML of the expected shape, or a value
    /// out of range.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Reading a source: its file, its layer, its records, its mapping.
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// The accounting.
    #[error(transparent)]
    Measure(#[from] MeasureError),
    /// Records lost between reading and the accounting (a bug).
    #[error(transparent)]
    Records(#[from] crate::normalize::RecordConservationError),
    /// The command line itself (arguments that do not fit together, a
    /// directory that is not one clearmap can use).
    #[error("{0}")]
    Usage(String),
    /// A file given on the command line to a command other than a build
    /// (`inspect`, `serve`, a previous bundle), with what is wrong with it.
    /// The untyped path of the modules that have no error enum of their own
    /// yet (emit, serve): built with [`Error::input`].
    #[error("{path}: {message}")]
    Input { path: PathBuf, message: String },
    #[error("cannot write {path}: {source}; check that the --out directory can be created and written there (nothing was written)")]
    Output {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The machine rather than the input or the output directory, e.g. a
    /// temporary directory that cannot be written.
    #[error("{0}")]
    Environment(String),
    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// The process exit code for this error: 2 for what the user asked for
    /// (the command line, the config, a source the config does not fit),
    /// 1 for everything that went wrong while doing it.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Config(_) | Error::Usage(_) => exit::USAGE,
            Error::Ingest(e) if e.is_config_fault() => exit::USAGE,
            Error::Ingest(_)
            | Error::Measure(_)
            | Error::Records(_)
            | Error::Input { .. }
            | Error::Output { .. }
            | Error::Environment(_)
            | Error::Internal(_) => exit::RUNTIME,
        }
    }

    /// An [`Error::Input`] (see there for who uses it).
    pub fn input(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Input {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl IngestError {
    /// Whether the config rather than the source is at fault: a column,
    /// layer, CRS or value mapping the config names or lacks (exit 2, like
    /// any config error). Decided here, beside [`Error::exit_code`].
    pub fn is_config_fault(&self) -> bool {
        use IngestError as E;
        match self {
            E::UnknownCrs { .. }
            | E::NoCrs { .. }
            | E::OutsideCountry(_)
            | E::CrsConflict { .. }
            | E::CrsAreaOfUse { .. }
            | E::DatumMismatch { .. }
            | E::HalfCoordinatePair { .. }
            | E::ManyShapefiles { .. }
            | E::ManyLayers { .. }
            | E::CsvSeparator { .. }
            | E::NoGeometryColumn { .. }
            | E::NoSuchColumn { .. }
            | E::NoOutcome { .. }
            | E::BadValueMapping { .. }
            | E::UnmappedValues { .. }
            | E::NoTemplateColumn { .. }
            | E::NoJoinColumn { .. } => true,
            E::GdalSaid { error, .. } => error.is_config_fault(),
            E::Internal(_) => false,
            E::NotFound { .. }
            | E::IsDirectory { .. }
            | E::Io { .. }
            | E::Fingerprint { .. }
            | E::EmptyFile { .. }
            | E::CsvUnopenable { .. }
            | E::Unopenable { .. }
            | E::ZipUnlistable { .. }
            | E::NoSuchShapefile { .. }
            | E::NoShapefile { .. }
            | E::NoSuchLayer { .. }
            | E::LayerUnreadable { .. }
            | E::NoLayer { .. }
            | E::ReadStopped { .. }
            | E::NulInText { .. }
            | E::FileTooLarge { .. }
            | E::NotAZip { .. }
            | E::ZipEntryEscapes { .. }
            | E::ZipTooLarge { .. }
            | E::ZipBomb { .. }
            | E::NotAFile { .. }
            | E::ZipEntryTooLarge { .. }
            | E::ZipEntryBomb { .. }
            | E::ZipEntryLies { .. }
            | E::NoTransformation { .. } => false,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, ConfigProblem};
    use crate::ingest::ReadStop;

    #[test]
    fn a_country_name_is_a_usage_error_naming_its_code() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        let toml = "country = \"Cambodia\"\n[[source]]\npath = \"h.geojson\"\nrole = \"hazard\"\n";
        std::fs::write(&path, toml).unwrap();
        let err = Error::from(Config::load(&path).unwrap_err());
        assert!(
            matches!(
                &err,
                Error::Config(ConfigError::Invalid {
                    problem: ConfigProblem::Country {
                        means: Some(("KHM", _)),
                        ..
                    },
                    ..
                })
            ),
            "{err:?}"
        );
        assert_eq!(err.exit_code(), exit::USAGE);
    }

    #[test]
    fn a_csv_cut_inside_a_quoted_field_is_a_runtime_error_where_reading_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cut.csv");
        let text =
            "id,status,WKT\nH1,open,\"POLYGON((0 0,1 0,1 1,0 0))\"\nH2,open,\"POLYGON((0 0,1";
        std::fs::write(&path, text).unwrap();
        let cfg = Config::from_files(None, std::slice::from_ref(&path), &[]);
        let err = crate::ingest::ingest(&cfg).map(|_| ()).unwrap_err();
        assert!(
            matches!(
                &err,
                IngestError::ReadStopped {
                    why: ReadStop::InsideQuotedField,
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(Error::from(err).exit_code(), exit::RUNTIME);
    }

    #[test]
    fn exit_codes_follow_the_stage_variant() {
        let path = PathBuf::from("x");
        let config_fault = IngestError::NoOutcome {
            config: crate::ingest::ConfigRef(Some(path.clone())),
            desc: "x".into(),
            columns: Vec::new(),
        };
        let source_fault = IngestError::NotFound { path: path.clone() };
        assert_eq!(Error::from(config_fault).exit_code(), exit::USAGE);
        assert_eq!(Error::from(source_fault).exit_code(), exit::RUNTIME);
        let said = IngestError::GdalSaid {
            error: Box::new(IngestError::NoLayer { path }),
            said: "x".into(),
        };
        assert_eq!(Error::from(said).exit_code(), exit::RUNTIME);
        let conservation = MeasureError::Conservation {
            details: String::new(),
        };
        assert_eq!(Error::from(conservation).exit_code(), exit::RUNTIME);
        let records = crate::normalize::RecordConservationError {
            details: String::new(),
        };
        assert_eq!(Error::from(records).exit_code(), exit::RUNTIME);
    }
}
