//! What GDAL says while a source is read: its warnings and failures, caught
//! by a process-wide handler per reading thread. A failure while a layer is
//! read is an error ([`FailureWatch`]: nothing partial is measured); the rest
//! become READER_MESSAGE diagnostics, or the detail of a reader's error
//! ([`report`]).

use crate::diagnostics::{Code, Diagnostic, Diagnostics, Severity};
use crate::ingest::error::Result;
use crate::ingest::{IngestError, ReadStop};
use crate::ingest::{SourceBatch, SourceConfig};
use crate::model::Provenance;
use gdal::errors::CplErrType;
use std::path::Path;
use std::sync::Mutex;

/// Messages GDAL reports while a source is read (it would otherwise print them
/// on stderr, interleaved with clearmap's own output), with the thread that
/// read: GDAL's handler is process-wide, and countries of `build --all` (or
/// tests) read on several threads at once, each wanting only its own.
static GDAL_MESSAGES: Mutex<Vec<(std::thread::ThreadId, String)>> = Mutex::new(Vec::new());

/// The messages GDAL gave on this thread since they were last taken.
fn take_gdal_messages() -> Vec<String> {
    let mut all = GDAL_MESSAGES.lock().unwrap_or_else(|e| e.into_inner());
    let me = std::thread::current().id();
    let (mine, others): (Vec<_>, Vec<_>) = std::mem::take(&mut *all)
        .into_iter()
        .partition(|(t, _)| *t == me);
    *all = others;
    mine.into_iter().map(|(_, m)| m).collect()
}

thread_local! {
    /// How many failures (CE_Failure, CE_Fatal) GDAL reported on this thread,
    /// and the last one: a failure while a layer is read means records were
    /// lost or garbled (a truncated .dbf, a zip member with a CRC error), which
    /// [`FailureWatch`] turns into an error. Counted apart from the message
    /// list, which is capped.
    static FAILURES: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    static LAST_FAILURE: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

pub(crate) fn capture() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        gdal::config::set_error_handler(|class, _, msg| {
            if matches!(class, CplErrType::Failure | CplErrType::Fatal) {
                FAILURES.with(|f| f.set(f.get() + 1));
                LAST_FAILURE.with(|l| *l.borrow_mut() = msg.trim().to_string());
            }
            if matches!(
                class,
                CplErrType::Warning | CplErrType::Failure | CplErrType::Fatal
            ) {
                if let Ok(mut m) = GDAL_MESSAGES.lock() {
                    if m.len() < 10_000 {
                        m.push((std::thread::current().id(), msg.trim().to_string()));
                    }
                }
            }
        });
    });
}

/// Watches for GDAL failures while a layer is read. Failures of calls that
/// may fail record by record (a reprojection) are [`FailureWatch::skip`]ped:
/// those records get their own diagnostics. Any other failure between two
/// checks is an error: the reader lost data, and nothing partial is measured.
pub(crate) struct FailureWatch {
    seen: u64,
}

impl FailureWatch {
    pub(crate) fn start() -> FailureWatch {
        FailureWatch {
            seen: FAILURES.with(|f| f.get()),
        }
    }

    /// Forget the failures reported since the last check.
    pub(crate) fn skip(&mut self) {
        self.seen = FAILURES.with(|f| f.get());
    }

    /// An error when GDAL reported a failure since the last check; `after`
    /// says where reading stood (the last record read).
    pub(crate) fn check(
        &mut self,
        path: &Path,
        desc: &str,
        after: impl FnOnce() -> String,
    ) -> Result<()> {
        let now = FAILURES.with(|f| f.get());
        if now == self.seen {
            return Ok(());
        }
        self.seen = now;
        let said = LAST_FAILURE.with(|l| l.borrow().chars().take(300).collect::<String>());
        Err(read_failure(path, desc, after(), ReadStop::Gdal(said)))
    }
}

/// The error for a layer GDAL could not read to its end.
pub(super) fn read_failure(path: &Path, desc: &str, after: String, why: ReadStop) -> IngestError {
    IngestError::ReadStopped {
        path: path.to_path_buf(),
        desc: desc.to_string(),
        after,
        why,
    }
}

/// Where reading stood, for an error: after which record.
pub(super) fn position(read: usize, last: Option<&Provenance>) -> String {
    match last {
        None => "before the first record".to_string(),
        Some(p) => format!(
            "after {read} record(s) (the last: {}{})",
            p.at,
            match &p.source_id {
                Some(id) => format!(", id {id}"),
                None => String::new(),
            }
        ),
    }
}

/// After a source is read: what GDAL said on the way, as the detail of the
/// reader's error or as READER_MESSAGE diagnostics.
pub(crate) fn report(
    source: &SourceConfig,
    batch: Result<SourceBatch>,
    diags: &mut Diagnostics,
) -> Result<SourceBatch> {
    let messages = take_gdal_messages();
    // A source that cannot be read: what GDAL said on the way is the detail
    // the user needs (the error itself holds only GDAL's last message).
    let batch = batch.map_err(|e| match e {
        error if !messages.is_empty() && !error.is_config_fault() => {
            // Compared with the message without the file's path, which GDAL's
            // own messages often name.
            let message = error.to_string();
            let message = error
                .path()
                .and_then(|p| message.strip_prefix(&format!("{}: ", p.display())))
                .unwrap_or(&message);
            let mut said: Vec<&str> = Vec::new();
            for m in &messages {
                if !said.contains(&m.as_str()) && !message.contains(m.as_str()) && said.len() < 3 {
                    said.push(m);
                }
            }
            let said: String = said.join("; ").chars().take(400).collect();
            if said.is_empty() {
                error
            } else {
                IngestError::GdalSaid {
                    error: Box::new(error),
                    said,
                }
            }
        }
        e => e,
    });
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    for m in messages {
        *seen.entry(m).or_default() += 1;
    }
    for (m, n) in seen {
        diags.push(Diagnostic::new(
            Code::ReaderMessage,
            Severity::Info,
            format!(
                "GDAL reading {}: {m}{}",
                source.path.display(),
                if n > 1 {
                    format!(" ({n} times)")
                } else {
                    String::new()
                }
            ),
        ));
    }
    batch
}
