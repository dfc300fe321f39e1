//! `clearmap build --all DIR --out OUTDIR`: every country config under DIR,
//! built side by side into OUTDIR/<country>, one failure not stopping the rest.
//!
//! Countries are found as `DIR/*/clearmap.toml` (named after their folder) and
//! `DIR/*.toml` (named after the file stem). A few countries are built at a
//! time by worker threads; each country's own stages share rayon's global pool,
//! so the machine is not oversubscribed. A panic in one country is caught and
//! reported as that country's failure.

use crate::config::Config;
use crate::error::{Error, Result};
use crate::log::{human_duration, Logger};
use crate::pipeline::{self, BuildOptions, Status};
use serde_json::{json, Map};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// One country found under the batch directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Country {
    pub name: String,
    pub config: PathBuf,
}

/// Find the country configs under `dir`, sorted by name.
pub fn discover(dir: &Path) -> Result<Vec<Country>> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Error::Usage(format!("--all {}: {e}", dir.display())))?;
    let mut out = Vec::new();
    for e in entries.flatten() {
        let path = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            let cfg = path.join("clearmap.toml");
            if cfg.is_file() {
                out.push(Country { name, config: cfg });
            }
        } else if path.extension().is_some_and(|x| x == "toml") {
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            out.push(Country {
                name: stem,
                config: path,
            });
        }
    }
    out.sort_by(|a, b| (&a.name, &a.config).cmp(&(&b.name, &b.config)));
    if out.is_empty() {
        return Err(Error::Usage(format!(
            "--all {}: no country config found (expected DIR/*/clearmap.toml or DIR/*.toml)",
            dir.display()
        )));
    }
    Ok(out)
}

/// How one country's build ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Built {
        remaining_m2: f64,
        diagnostics: usize,
        quarantined: usize,
        /// Records superseded by an overlapping record of their id.
        superseded: usize,
    },
    Unchanged {
        remaining_m2: f64,
        diagnostics: usize,
        quarantined: usize,
        /// Records superseded by an overlapping record of their id.
        superseded: usize,
    },
    Failed {
        message: String,
    },
}

#[derive(Debug, Clone)]
pub struct Row {
    pub country: Country,
    pub outcome: Outcome,
    pub seconds: f64,
}

impl Row {
    pub fn status(&self) -> &'static str {
        match self.outcome {
            Outcome::Built { .. } => "built",
            Outcome::Unchanged { .. } => "unchanged",
            Outcome::Failed { .. } => "failed",
        }
    }
}

/// Build every country; rows come back in name order.
pub fn run(
    countries: &[Country],
    out: &Path,
    opts: &BuildOptions,
    jobs: usize,
    log: &Logger,
) -> Vec<Row> {
    let rows: Mutex<Vec<Option<Row>>> = Mutex::new(vec![None; countries.len()]);
    let next = AtomicUsize::new(0);
    let workers = jobs.clamp(1, countries.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(c) = countries.get(i) else { break };
                let row = build_one(c, out, opts, log, countries);
                rows.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(row);
            });
        }
    });
    rows.into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .flatten()
        .collect()
}

fn build_one(c: &Country, out: &Path, opts: &BuildOptions, log: &Logger, all: &[Country]) -> Row {
    let start = Instant::now();
    let outcome = if all.iter().filter(|o| o.name == c.name).count() > 1 {
        Outcome::Failed {
            message: format!(
                "two configs would both build into {}: rename one",
                out.join(&c.name).display()
            ),
        }
    } else {
        let dir = out.join(&c.name);
        let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let cfg = Config::load(&c.config)?;
            pipeline::build_incremental(&cfg, &dir, opts, log, &c.name)
        }));
        match built {
            Ok(Ok(Status::Built(b))) => {
                // Each country's table in json format, or with -v.
                if log.is_json() || log.verbosity >= 1 {
                    log.diagnostics(&c.name, &b.diagnostics);
                }
                Outcome::Built {
                    remaining_m2: b.figures.remaining,
                    diagnostics: b.diagnostics.len(),
                    quarantined: b.quarantined,
                    superseded: b.superseded,
                }
            }
            Ok(Ok(Status::Unchanged(u))) => Outcome::Unchanged {
                remaining_m2: u.remaining_m2,
                diagnostics: u.diagnostics,
                quarantined: u.quarantined,
                superseded: u.superseded,
            },
            Ok(Err(e)) => Outcome::Failed {
                message: e.to_string(),
            },
            Err(panic) => Outcome::Failed {
                message: format!(
                    "internal error (a clearmap bug, please report it): {}",
                    panic
                        .downcast_ref::<String>()
                        .map(String::as_str)
                        .or_else(|| panic.downcast_ref::<&str>().copied())
                        .unwrap_or("panic")
                ),
            },
        }
    };
    let row = Row {
        country: c.clone(),
        outcome,
        seconds: start.elapsed().as_secs_f64(),
    };
    report_row(&row, log);
    row
}

/// The per-country line, as soon as the country is done.
fn report_row(r: &Row, log: &Logger) {
    let mut f = Map::new();
    f.insert("country".into(), json!(r.country.name));
    f.insert(
        "config".into(),
        json!(r.country.config.display().to_string()),
    );
    f.insert("status".into(), json!(r.status()));
    f.insert(
        "duration_ms".into(),
        json!((r.seconds * 1000.0).round() as u64),
    );
    match &r.outcome {
        Outcome::Built {
            remaining_m2,
            diagnostics,
            quarantined,
            ..
        }
        | Outcome::Unchanged {
            remaining_m2,
            diagnostics,
            quarantined,
            ..
        } => {
            f.insert("remaining_m2".into(), json!(remaining_m2));
            f.insert("diagnostics".into(), json!(diagnostics));
            f.insert("quarantined".into(), json!(quarantined));
        }
        Outcome::Failed { message } => {
            f.insert("error".into(), json!(message));
        }
    }
    log.event("country", f);
    match &r.outcome {
        Outcome::Failed { message } => {
            if !log.is_json() {
                eprintln!("clearmap: {}: failed: {message}", r.country.name);
            }
        }
        _ => log.log(&format!(
            "{}: {} in {}",
            r.country.name,
            r.status(),
            human_duration(r.seconds * 1000.0)
        )),
    }
}

/// The final table: country, status, remaining m², diagnostics, time.
pub fn table(rows: &[Row]) -> String {
    let w = rows
        .iter()
        .map(|r| r.country.name.chars().count())
        .max()
        .unwrap_or(0)
        .max("country".len());
    let mut s = format!(
        "{:<w$}  {:<9}  {:>16}  {:>11}  {:>9}\n",
        "country", "status", "remaining m²", "diagnostics", "time"
    );
    for r in rows {
        let (rem, diags) = match &r.outcome {
            Outcome::Built {
                remaining_m2,
                diagnostics,
                ..
            }
            | Outcome::Unchanged {
                remaining_m2,
                diagnostics,
                ..
            } => (format!("{remaining_m2:.0}"), diagnostics.to_string()),
            Outcome::Failed { .. } => ("-".into(), "-".into()),
        };
        s.push_str(&format!(
            "{:<w$}  {:<9}  {:>16}  {:>11}  {:>9}\n",
            r.country.name,
            r.status(),
            rem,
            diags,
            human_duration(r.seconds * 1000.0)
        ));
    }
    let failed: Vec<&Row> = rows
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Failed { .. }))
        .collect();
    for r in &failed {
        if let Outcome::Failed { message } = &r.outcome {
            s.push_str(&format!("{} failed: {message}\n", r.country.name));
        }
    }
    let n = |st: &str| rows.iter().filter(|r| r.status() == st).count();
    s.push_str(&format!(
        "{} countries: {} built, {} unchanged, {} failed\n",
        rows.len(),
        n("built"),
        n("unchanged"),
        n("failed")
    ));
    s
}

/// The exit code of a batch (docs/design.md): 1 when any country failed, else 3
/// when `strict` and any record was quarantined or superseded, else 0.
pub fn exit_code(rows: &[Row], strict: bool) -> i32 {
    use crate::error::exit;
    if rows
        .iter()
        .any(|r| matches!(r.outcome, Outcome::Failed { .. }))
    {
        return exit::RUNTIME;
    }
    let quarantined = rows.iter().any(|r| match r.outcome {
        Outcome::Built {
            quarantined,
            superseded,
            ..
        }
        | Outcome::Unchanged {
            quarantined,
            superseded,
            ..
        } => quarantined + superseded > 0,
        Outcome::Failed { .. } => false,
    });
    exit::success(strict, quarantined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovers_folders_and_toml_files_by_name() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("khm")).unwrap();
        std::fs::write(d.path().join("khm/clearmap.toml"), "").unwrap();
        std::fs::create_dir(d.path().join("empty")).unwrap();
        std::fs::write(d.path().join("bih.toml"), "").unwrap();
        std::fs::write(d.path().join("notes.txt"), "").unwrap();
        let names: Vec<String> = discover(d.path())
            .unwrap()
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(names, ["bih", "khm"]);
        let e = tempfile::tempdir().unwrap();
        assert!(matches!(discover(e.path()), Err(Error::Usage(_))));
    }

    #[test]
    fn one_failure_makes_exit_1() {
        let row = |outcome| Row {
            country: Country {
                name: "x".into(),
                config: "x.toml".into(),
            },
            outcome,
            seconds: 0.0,
        };
        let ok = row(Outcome::Built {
            remaining_m2: 1.0,
            diagnostics: 0,
            quarantined: 2,
            superseded: 0,
        });
        let bad = row(Outcome::Failed {
            message: "m".into(),
        });
        assert_eq!(exit_code(std::slice::from_ref(&ok), false), 0);
        assert_eq!(exit_code(std::slice::from_ref(&ok), true), 3);
        assert_eq!(exit_code(&[ok, bad], true), 1);
    }
}
