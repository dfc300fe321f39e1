//! Run logs for the two kinds of users of docs/design.md: people at a terminal and
//! CI jobs.
//!
//! As ogr2ogr, cargo and ripgrep do, results go to stdout and the log to
//! stderr, so that `clearmap build … > figures.txt` keeps the figures alone:
//!
//! - results ([`Logger::line`]): the records and figures lines, the
//!   diagnostics table, where the bundle went; with `-vv` every diagnostic;
//! - the log ([`Logger::log`], [`Logger::detail`]): one line per finished
//!   stage with its counts and time, notes, and with `-v` detail lines; on a
//!   terminal (stderr) a bar per running stage (indicatif) with counts,
//!   percentage and ETA where the stage knows its length, a spinner where it
//!   does not. When stderr is not a terminal nothing but plain text is
//!   written: no escape codes, no `\r`.
//! - `json`: one JSON object per line on stdout (`event`, `stage`, `country`,
//!   `counts`, `duration_ms`, …) for CI; never a bar.
//!
//! Verbosity: `-q` prints only errors (on stderr), `-v` adds detail lines,
//! `-vv` lists every diagnostic. Lines from countries built in parallel are
//! written whole, one call each, so they never interleave mid-line.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{json, Map, Value};
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Plain lines (and progress spinners on a terminal).
    #[default]
    Human,
    /// One JSON object per line, for CI.
    Json,
}

/// Where and how a run reports progress.
#[derive(Debug, Clone)]
pub struct Logger {
    pub format: LogFormat,
    /// -1 quiet, 0 normal, 1+ verbose.
    pub verbosity: i8,
    /// Bars, only for human logs with stderr on a terminal.
    progress: Option<MultiProgress>,
}

impl Logger {
    /// A logger for this process's stdout.
    pub fn new(format: LogFormat, quiet: bool, verbose: u8) -> Self {
        let verbosity = if quiet { -1 } else { verbose.min(3) as i8 };
        let tty = std::io::stderr().is_terminal();
        let progress = (format == LogFormat::Human && verbosity >= 0 && tty)
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        Logger {
            format,
            verbosity,
            progress,
        }
    }

    /// A logger that prints nothing (library use, tests).
    pub fn silent() -> Self {
        Logger {
            format: LogFormat::Human,
            verbosity: -1,
            progress: None,
        }
    }

    pub fn is_json(&self) -> bool {
        self.format == LogFormat::Json
    }

    pub fn quiet(&self) -> bool {
        self.verbosity < 0
    }

    /// Print a line of results on stdout (not in -q, not in json format).
    pub fn line(&self, text: &str) {
        if self.is_json() || self.quiet() {
            return;
        }
        self.print_raw(text);
    }

    /// Print a line of the log on stderr (not in -q, not in json format).
    pub fn log(&self, text: &str) {
        if self.is_json() || self.quiet() {
            return;
        }
        match &self.progress {
            Some(mp) => {
                let _ = mp.println(text);
            }
            None => {
                let mut err = std::io::stderr().lock();
                let _ = writeln!(err, "{text}");
            }
        }
    }

    /// Print a detail line of the log (-v only).
    pub fn detail(&self, text: &str) {
        if self.verbosity >= 1 {
            self.log(text);
        }
    }

    /// Print a JSON event (json format only; also in -q, since CI reads it).
    pub fn event(&self, event: &str, mut fields: Map<String, Value>) {
        if !self.is_json() {
            return;
        }
        let mut obj = Map::new();
        obj.insert("event".into(), json!(event));
        obj.append(&mut fields);
        self.print_raw(&Value::Object(obj).to_string());
    }

    /// The diagnostics table at the end of a run (a `diagnostics` event in
    /// json format: counts per code with their severity).
    pub fn diagnostics(&self, country: &str, d: &crate::diagnostics::Diagnostics) {
        if self.is_json() {
            let counts: Map<String, Value> = d
                .counts()
                .into_iter()
                .map(|(c, (sev, n))| (c.as_str().to_string(), json!({"severity": sev, "count": n})))
                .collect();
            let mut f = Map::new();
            f.insert("country".into(), json!(country));
            f.insert("counts".into(), Value::Object(counts));
            f.insert("total".into(), json!(d.len()));
            self.event("diagnostics", f);
        } else {
            self.line(d.table().trim_end());
            if self.verbosity >= 2 && !d.is_empty() {
                self.line(d.listing().trim_end());
            }
        }
    }

    /// Write one whole line on stdout, with the bars on stderr put aside
    /// while it is written.
    fn print_raw(&self, text: &str) {
        let write = || {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{text}");
            let _ = out.flush();
        };
        match &self.progress {
            Some(mp) => mp.suspend(write),
            None => write(),
        }
    }

    /// Start a stage of one country's build.
    pub fn stage(&self, country: &str, stage: &'static str) -> Stage {
        let bar = self.progress.as_ref().map(|mp| {
            let pb = mp.add(ProgressBar::new_spinner());
            pb.set_style(
                ProgressStyle::with_template("{spinner} {prefix} {msg} {elapsed}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            pb.set_prefix(country.to_string());
            pb.set_message(stage);
            pb.enable_steady_tick(Duration::from_millis(120));
            pb
        });
        Stage {
            log: self.clone(),
            country: country.to_string(),
            stage,
            start: Instant::now(),
            bar,
        }
    }
}

/// A running stage; [`Stage::done`] logs it with its counts.
pub struct Stage {
    log: Logger,
    country: String,
    stage: &'static str,
    start: Instant,
    bar: Option<ProgressBar>,
}

impl Stage {
    /// The stage's counter of `unit`s: its spinner becomes a bar with the
    /// count, percentage and ETA once the stage adds a length to it.
    pub fn progress(&self, unit: &'static str) -> crate::progress::Progress {
        match &self.bar {
            Some(pb) => {
                let style = ProgressStyle::with_template(&format!(
                    "{{spinner}} {{prefix}} {{msg}} [{{bar:30}}] {{human_pos}}/{{human_len}} {unit} ({{percent}}%) ETA {{eta}}"
                ))
                .unwrap_or_else(|_| ProgressStyle::default_bar());
                pb.set_length(0);
                crate::progress::Progress::of(pb.clone(), style)
            }
            None => crate::progress::Progress::default(),
        }
    }

    /// Log the finished stage: `counts` is an object of small figures.
    pub fn done(mut self, counts: Value) {
        let ms = self.start.elapsed().as_secs_f64() * 1000.0;
        if let Some(pb) = self.bar.take() {
            pb.finish_and_clear();
        }
        let mut f = Map::new();
        f.insert("stage".into(), json!(self.stage));
        f.insert("country".into(), json!(self.country));
        f.insert("counts".into(), counts.clone());
        f.insert("duration_ms".into(), json!(ms.round() as u64));
        self.log.event("stage", f);
        let counts = match &counts {
            // Nested figures (per-part timings) are for the JSON log only.
            Value::Object(m) => m
                .iter()
                .filter(|(_, v)| !v.is_object())
                .map(|(k, v)| format!("{k} {}", human_value(v)))
                .collect::<Vec<_>>()
                .join(", "),
            _ => String::new(),
        };
        self.log.log(
            format!(
                "{}: {:<9} {:>8}  {counts}",
                self.country,
                self.stage,
                human_duration(ms)
            )
            .trim_end(),
        );
    }
}

impl Drop for Stage {
    fn drop(&mut self) {
        if let Some(pb) = self.bar.take() {
            pb.finish_and_clear();
        }
    }
}

fn human_value(v: &Value) -> String {
    match v.as_f64() {
        Some(x) if v.is_f64() => format!("{x:.0}"),
        _ => v.to_string(),
    }
}

/// "850 ms", "3.2 s", "2 min 05 s".
pub fn human_duration(ms: f64) -> String {
    if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else if ms < 60_000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        let s = (ms / 1000.0).round() as u64;
        format!("{} min {:02} s", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(human_duration(12.4), "12 ms");
        assert_eq!(human_duration(3210.0), "3.2 s");
        assert_eq!(human_duration(125_000.0), "2 min 05 s");
    }
}
