//! report.html: the data-quality report a data officer works through. One
//! page, its data inlined (the records, the figures, every code with what it
//! means and how to fix it, every diagnostic, the places of defects.geojson),
//! and its own script and stylesheet (`web/clearmap-report.{js,css}`), so
//! that it reads from the bundle, from `file://` or as an e-mail attachment.
//! Beside its bundle it also loads the map page's scripts (MapLibre, PMTiles,
//! `clearmap.js` for the language switch and the tiles) and draws a map of
//! the defects, over the bundle's tiles when served; it makes no request
//! outside the bundle.
//!
//! The page's words come from the map page's six catalogues (`report.*`
//! keys, and `code.<CODE>.meaning` / `.fix` for each code), inlined with the
//! configured language as page.js hands them to the map page (`?lang=xx`
//! switches); a code a catalogue lacks is explained in [`texts`]' English.

mod texts;

use super::atomic::Staging;
use super::defects::{severity_str, LocatedDefect};
use super::{as_of, Bundle, EmitConfig};
use crate::diagnostics::{Code, Severity};
use crate::error::{Error, Result};
use crate::model::Role;
use crate::normalize::RecordCounts;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

const TEMPLATE: &str = include_str!("../../../web/report.html");
const SCRIPT: &str = include_str!("../../../web/clearmap-report.js");
const STYLE: &str = include_str!("../../../web/clearmap-report.css");

/// Where the template takes the script and the stylesheet.
const SCRIPT_SLOT: &str = "<script>/* clearmap-report.js */</script>";
const STYLE_SLOT: &str = "<style>/* clearmap-report.css */</style>";

/// Where the template takes the report's data.
const DATA_SLOT: &str = "{\"clearmap_report_data\": null}";

/// One code of the report: how many, how bad, what it means, how to fix it.
#[derive(Debug, Serialize)]
struct CodeRow {
    code: &'static str,
    severity: &'static str,
    count: usize,
    meaning: &'static str,
    fix: &'static str,
}

/// Diagnostics per source file, by severity.
#[derive(Debug, Default, Serialize)]
struct FileRow {
    file: String,
    error: usize,
    warning: usize,
    info: usize,
}

/// Records of one source: read and quarantined (normalize), used (in the
/// figures).
#[derive(Debug, Serialize)]
struct SourceRow<'a> {
    role: &'static str,
    file: &'a str,
    read: usize,
    used: usize,
    quarantined: usize,
}

/// One diagnostic as a row of the list: `[number, code, severity, record,
/// message, fix, feature, file index, row, other record]` (an array:
/// thousands of them).
#[derive(Debug, Serialize)]
struct Row<'a>(
    usize,
    &'static str,
    &'static str,
    Option<String>,
    &'a str,
    Option<&'a str>,
    Option<u64>,
    Option<usize>,
    Option<u64>,
    Option<String>,
);

/// Everything the page shows, as it is inlined.
#[derive(Debug, Serialize)]
struct ReportData<'a> {
    /// The configured language and the message catalogues, by language.
    language: &'a str,
    catalogues: BTreeMap<&'static str, &'static serde_json::value::RawValue>,
    version: &'static str,
    country: Option<&'a str>,
    name: Option<&'a str>,
    as_of: Option<String>,
    records: BTreeMap<&'static str, RecordCounts>,
    sources: Vec<SourceRow<'a>>,
    area_m2: BTreeMap<&'static str, f64>,
    files: Vec<FileRow>,
    codes: Vec<CodeRow>,
    diagnostics: Vec<Row<'a>>,
    /// defects.geojson with each feature's `number` alone (the rest is in
    /// `diagnostics`).
    defects: &'a serde_json::value::RawValue,
}

/// Stage report.html into `out`, written as it is made (the page of 100k
/// records is tens of megabytes).
pub fn write_report(
    staging: &mut Staging,
    out: &Path,
    cfg: &EmitConfig,
    b: &Bundle,
    located: &[LocatedDefect],
) -> Result<()> {
    let defects = super::defects::defects_geojson(located, cfg.precision, false)
        .and_then(|bytes| String::from_utf8(bytes).map_err(std::io::Error::other))
        .and_then(|text| {
            serde_json::value::RawValue::from_string(text).map_err(std::io::Error::other)
        })
        .map_err(|source| Error::Output {
            path: out.join("report.html"),
            source,
        })?;
    let data = data(cfg, b, located, &defects);
    staging.write(&out.join("report.html"), |w| write_html(w, &data))
}

/// The page with its data in place: the template, its three slots
/// replaced by the stylesheet, the script and the data.
fn write_html(w: &mut dyn Write, data: &ReportData) -> std::io::Result<()> {
    enum Piece {
        Style,
        Script,
        Data,
    }
    let mut slots: Vec<(usize, &str, Piece)> = [
        (STYLE_SLOT, Piece::Style),
        (SCRIPT_SLOT, Piece::Script),
        (DATA_SLOT, Piece::Data),
    ]
    .into_iter()
    .filter_map(|(slot, piece)| Some((TEMPLATE.find(slot)?, slot, piece)))
    .collect();
    slots.sort_by_key(|(at, _, _)| *at);
    let mut from = 0;
    for (at, slot, piece) in slots {
        w.write_all(&TEMPLATE.as_bytes()[from..at])?;
        match piece {
            Piece::Style => write!(w, "<style>\n{STYLE}</style>")?,
            Piece::Script => write!(w, "<script>\n{SCRIPT}</script>")?,
            // `<` only occurs inside JSON strings, where \u003c reads back
            // the same: no text of the data can close the script element it
            // is in.
            Piece::Data => serde_json::to_writer(EscapeLt(&mut *w), data)?,
        }
        from = at + slot.len();
    }
    w.write_all(&TEMPLATE.as_bytes()[from..])
}

/// A writer passing bytes on with each `<` as `\u003c` (an ASCII byte:
/// never part of a longer UTF-8 character).
struct EscapeLt<'a>(&'a mut dyn Write);

impl Write for EscapeLt<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut rest = buf;
        while let Some(i) = rest.iter().position(|&c| c == b'<') {
            self.0.write_all(&rest[..i])?;
            self.0.write_all(b"\\u003c")?;
            rest = &rest[i + 1..];
        }
        self.0.write_all(rest)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

fn data<'a>(
    cfg: &'a EmitConfig,
    b: &'a Bundle,
    located: &[LocatedDefect],
    defects: &'a serde_json::value::RawValue,
) -> ReportData<'a> {
    let items = b.diagnostics.items();
    let mut files: Vec<FileRow> = Vec::new();
    let mut file_index: BTreeMap<&str, usize> = BTreeMap::new();
    for d in items {
        let Some(r) = &d.record else { continue };
        let i = *file_index.entry(&*r.file).or_insert_with(|| {
            files.push(FileRow {
                file: r.file.to_string(),
                ..Default::default()
            });
            files.len() - 1
        });
        let f = &mut files[i];
        match d.severity {
            Severity::Error => f.error += 1,
            Severity::Warning => f.warning += 1,
            Severity::Info => f.info += 1,
        }
    }
    let feature_of: BTreeMap<usize, u64> = located.iter().map(|l| (l.number, l.feature)).collect();
    let diagnostics = items
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let r = d.record.as_ref();
            Row(
                i + 1,
                d.code.as_str(),
                severity_str(d.severity),
                r.map(|r| r.to_string()),
                &d.message,
                d.fix.as_deref(),
                feature_of.get(&(i + 1)).copied(),
                r.and_then(|r| file_index.get(&*r.file).copied()),
                r.map(|r| r.row),
                d.other.as_ref().map(|o| o.to_string()),
            )
        })
        .collect();
    ReportData {
        language: &cfg.language,
        catalogues: catalogues(),
        version: env!("CARGO_PKG_VERSION"),
        country: cfg.country.as_deref(),
        name: cfg.name.as_deref(),
        as_of: as_of(cfg),
        records: b
            .reconciled
            .counts
            .iter()
            .map(|(r, c)| (r.as_str(), *c))
            .collect(),
        sources: sources(b),
        area_m2: super::area_m2(&b.accounting.figures),
        files,
        codes: codes(b),
        diagnostics,
        defects,
    }
}

/// Per source file and role: records read, used and quarantined (sources of
/// one role and file, several layers of it, are one row).
fn sources<'a>(b: &'a Bundle) -> Vec<SourceRow<'a>> {
    let rec = b.reconciled;
    let mut used: BTreeMap<(Role, &str), usize> = BTreeMap::new();
    let hazards = rec.hazards.iter().map(|h| (Role::Hazard, &h.provenance));
    let releases = rec.releases.iter().map(|r| (Role::Release, &r.provenance));
    for (role, p) in hazards.chain(releases) {
        *used.entry((role, &*p.file)).or_default() += 1;
    }
    let mut rows: Vec<SourceRow> = Vec::new();
    for s in &rec.sources {
        match rows
            .iter_mut()
            .find(|r| r.role == s.role.as_str() && r.file == s.file)
        {
            Some(r) => {
                r.read += s.read;
                r.quarantined += s.quarantined;
            }
            None => rows.push(SourceRow {
                role: s.role.as_str(),
                file: &s.file,
                read: s.read,
                used: used.get(&(s.role, s.file.as_str())).copied().unwrap_or(0),
                quarantined: s.quarantined,
            }),
        }
    }
    rows
}

/// The map page's catalogues, by language (they are JSON objects: the page
/// module's tests read them).
fn catalogues() -> BTreeMap<&'static str, &'static serde_json::value::RawValue> {
    super::page::FILES
        .iter()
        .filter_map(|(name, bytes)| {
            let lang = name.strip_prefix("i18n/")?.strip_suffix(".json")?;
            let text = std::str::from_utf8(bytes).ok()?;
            let raw: &'static serde_json::value::RawValue = serde_json::from_str(text).ok()?;
            Some((lang, raw))
        })
        .collect()
}

/// Every code of the run: errors first, then warnings, then notes, each by
/// count (the order of "the codes that matter most").
fn codes(b: &Bundle) -> Vec<CodeRow> {
    let mut rows: Vec<(Code, Severity, usize)> = b
        .diagnostics
        .counts()
        .into_iter()
        .map(|(c, (s, n))| (c, s, n))
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
    rows.into_iter()
        .map(|(code, severity, count)| {
            let (meaning, fix) = texts::texts(code);
            CodeRow {
                code: code.as_str(),
                severity: severity_str(severity),
                count,
                meaning,
                fix,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_has_its_slots_and_loads_only_bundle_files() {
        for slot in [DATA_SLOT, SCRIPT_SLOT, STYLE_SLOT] {
            assert_eq!(TEMPLATE.matches(slot).count(), 1, "{slot}");
        }
        // Inlined, they must not end their element early.
        assert!(!SCRIPT.to_ascii_lowercase().contains("</script"));
        assert!(!STYLE.to_ascii_lowercase().contains("</style"));
        for src in [
            "maplibre-gl.js",
            "maplibre-gl.css",
            "pmtiles.js",
            "clearmap.js",
        ] {
            assert!(TEMPLATE.contains(&format!("\"{src}\"")), "{src}");
        }
        assert!(!TEMPLATE.contains("src=\"http") && !TEMPLATE.contains("href=\"//"));
        // The slots are filled in one pass: what fills one holds no other.
        for text in [SCRIPT, STYLE] {
            for slot in [DATA_SLOT, SCRIPT_SLOT, STYLE_SLOT] {
                assert!(!text.contains(slot), "{slot}");
            }
        }
    }

    #[test]
    fn the_data_is_written_with_each_lt_escaped() {
        let mut out = Vec::new();
        let mut w = EscapeLt(&mut out);
        w.write_all(b"a<b<<").unwrap();
        w.write_all("é<".as_bytes()).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a\\u003cb\\u003c\\u003cé\\u003c"
        );
    }
}
