//! Field and value mappings: from a source's columns and raw vocabularies to the
//! canonical fields of the model. `[source.fields]` names the column of a
//! canonical field (else the canonical name itself is looked for),
//! `[source.values.FIELD]` maps raw values, `[source.defaults]` fills fields the
//! source lacks. A preset ([`super::presets`]) adds the columns and vocabulary
//! of a known layout underneath the config.
//!
//! A raw value of classification, status, outcome or contamination that
//! neither the config, the canonical vocabulary nor the preset maps is a
//! config fault: the values are counted while the source is read and
//! [`Mapper::finish`] fails (exit 2) with the TOML lines that would map them.
//! A `"*"` key under `[source.values.FIELD]` opts out: unmapped values then
//! take its value (or are quarantined, for outcomes) with an UNMAPPED_VALUE
//! warning per record. Coded-value domains of the layer (File Geodatabase,
//! GeoPackage) turn codes into their labels before the lookup.

use super::error::{IngestError, UnmappedValue, ValueMappingError};
use super::presets::Preset;
use super::{Field, SourceConfig};
use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::error::Result;
use crate::model::{Classification, Outcome, Provenance, Status, CONTAMINATION_TYPES};
use chrono::NaiveDate;
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

/// Fields whose raw values go through a vocabulary, in the order the error
/// lists them.
pub const ENUM_FIELDS: [&str; 4] = ["classification", "status", "outcome", "contamination"];

/// The `[source.values.FIELD]` key that catches every value nothing else maps.
pub const ANY: &str = "*";

/// `[source.values.outcome] "*" = "quarantine"`: releases of unmapped outcomes
/// are quarantined (the behaviour before unmapped values were errors).
pub const QUARANTINE: &str = "quarantine";

/// Fields whose column values are translated through a coded-value domain.
const DECODED_FIELDS: [&str; 5] = [
    "classification",
    "status",
    "outcome",
    "contamination",
    "region",
];

/// The canonical values of an enumerated field.
pub fn canonical_choices(field: &str) -> &'static [&'static str] {
    match field {
        "classification" => &["SHA", "CHA", "other"],
        "status" => &["open", "worked_on", "closed"],
        "outcome" => &["cancelled", "reduced", "cleared"],
        "contamination" => &CONTAMINATION_TYPES,
        _ => &[],
    }
}

fn is_canonical(field: &str, v: &str) -> bool {
    match field {
        "classification" => Classification::parse(v).is_some(),
        "status" => Status::parse(v).is_some(),
        "outcome" => Outcome::parse(v).is_some(),
        "contamination" => parse_contamination(v).is_some(),
        _ => false,
    }
}

fn parse_contamination(s: &str) -> Option<String> {
    let s = s.trim().to_ascii_lowercase();
    CONTAMINATION_TYPES.contains(&s.as_str()).then_some(s)
}

/// Check a source's `[source.values]`: only enumerated fields, every mapped
/// value canonical, `"*"` a canonical value (or `"quarantine"` for outcomes),
/// no raw value mapped twice under spellings that compare equal.
pub fn check_values(source: &SourceConfig) -> std::result::Result<(), ValueMappingError> {
    for (&f, m) in &source.values {
        let field = f.name();
        if !ENUM_FIELDS.contains(&field) {
            return Err(ValueMappingError::NoEffect { field: f });
        }
        let mut seen: BTreeMap<String, (&str, &str)> = BTreeMap::new();
        for (raw, canon) in m {
            if raw.trim() == ANY {
                if field == "outcome" && canon.trim() == QUARANTINE {
                    continue;
                }
                if !is_canonical(field, canon) {
                    return Err(ValueMappingError::BadFallback {
                        field: f,
                        value: canon.clone(),
                    });
                }
                continue;
            }
            if !is_canonical(field, canon) {
                return Err(ValueMappingError::NotCanonical {
                    field: f,
                    raw: raw.clone(),
                    value: canon.clone(),
                });
            }
            let key = normalise_key(raw);
            if let Some((other, other_canon)) = seen.get(&key) {
                if !canon.trim().eq_ignore_ascii_case(other_canon.trim()) {
                    return Err(ValueMappingError::Conflict {
                        field: f,
                        first_raw: other.to_string(),
                        first_value: other_canon.to_string(),
                        raw: raw.clone(),
                        value: canon.clone(),
                    });
                }
            }
            seen.insert(key, (raw, canon));
        }
    }
    Ok(())
}

/// What becomes of a value nothing maps, by `"*"` under `[source.values.FIELD]`.
#[derive(Debug, Clone, PartialEq)]
enum Fallback {
    /// The release is quarantined (outcome only).
    Quarantine,
    /// This canonical value.
    Value(String),
}

/// One raw value nothing maps: as first seen, how often, and the domain code
/// it was translated from.
#[derive(Debug, Clone)]
struct Unmapped {
    shown: String,
    count: usize,
    code: Option<String>,
}

/// An attribute value as a reader delivers it.
#[derive(Debug, Clone, PartialEq)]
pub enum RawValue {
    Text(String),
    Int(i64),
    Real(f64),
    Date(NaiveDate),
    List(Vec<String>),
}

impl RawValue {
    /// The value as text (numbers without a spurious ".0").
    pub fn to_text(&self) -> String {
        match self {
            RawValue::Text(s) => s.clone(),
            RawValue::Int(i) => i.to_string(),
            RawValue::Real(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
            RawValue::Real(f) => f.to_string(),
            RawValue::Date(d) => d.format("%Y-%m-%d").to_string(),
            RawValue::List(v) => v.join(","),
        }
    }

    fn is_blank(&self) -> bool {
        match self {
            RawValue::Text(s) => s.trim().is_empty(),
            RawValue::List(v) => v.iter().all(|s| s.trim().is_empty()),
            RawValue::Real(f) => f.is_nan(),
            _ => false,
        }
    }

    /// Split a multi-valued field: lists as they are, text on `,` or `;`.
    fn tokens(&self) -> Vec<String> {
        let parts: Vec<String> = match self {
            RawValue::List(v) => v.clone(),
            other => other
                .to_text()
                .split([',', ';'])
                .map(str::to_string)
                .collect(),
        };
        parts
            .into_iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    }
}

/// The canonical attributes of one record; `None` where the source had nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CanonicalAttrs {
    pub id: Option<String>,
    pub classification: Option<Classification>,
    pub status: Option<Status>,
    pub contamination: Vec<String>,
    pub region: Option<String>,
    pub hazard_ids: Vec<String>,
    pub outcome: Option<Outcome>,
    pub date: Option<NaiveDate>,
    pub area_reported_m2: Option<f64>,
}

/// The mapping of one source, resolved against its layer's columns.
#[derive(Debug)]
pub struct Mapper {
    /// canonical field → column index in the layer
    columns: BTreeMap<&'static str, usize>,
    /// canonical field → (lower-cased trimmed raw value → canonical value)
    values: BTreeMap<String, BTreeMap<String, String>>,
    defaults: BTreeMap<String, RawValue>,
    preset: Preset,
    /// `date_format` of the source, for dates such as "03/04/2021".
    date_format: Option<String>,
    /// canonical field → what a value nothing maps becomes (`"*"`).
    fallback: BTreeMap<String, Fallback>,
    /// column index → (code → label) of the layer's coded-value domains.
    domains: BTreeMap<usize, BTreeMap<String, String>>,
    /// (field, normalised raw value) → what was seen; filled while records are
    /// mapped (in parallel by the GeoJSON reader), reported by [`Mapper::finish`].
    unmapped: Mutex<BTreeMap<(String, String), Unmapped>>,
    config_path: std::path::PathBuf,
    source_desc: String,
    source_path: String,
}

impl Mapper {
    /// Resolve the mapping against the layer's column names. A column named in
    /// `[source.fields]` that the layer lacks is a config error listing the columns.
    pub fn new(
        source: &SourceConfig,
        layer_columns: &[String],
        config_path: &std::path::Path,
        source_desc: &str,
        source_diags: &mut Vec<Diagnostic>,
    ) -> Result<Mapper> {
        let find = |name: &str| {
            layer_columns.iter().position(|c| c == name).or_else(|| {
                layer_columns
                    .iter()
                    .position(|c| c.eq_ignore_ascii_case(name))
            })
        };
        let preset = source.preset.unwrap_or_default();
        let mut columns = BTreeMap::new();
        for f in Field::ALL {
            let field = f.name();
            match source.fields.get(&f) {
                Some(col) => match find(col) {
                    Some(i) => {
                        columns.insert(field, i);
                    }
                    None => {
                        return Err(IngestError::NoSuchColumn {
                            config: config_path.to_path_buf(),
                            desc: source_desc.to_string(),
                            field: f,
                            column: col.clone(),
                            columns: layer_columns.to_vec(),
                        }
                        .into())
                    }
                },
                None => {
                    let found = preset
                        .columns(field, source.role)
                        .iter()
                        .find_map(|c| find(c))
                        .or_else(|| find(field));
                    if let Some(i) = found {
                        columns.insert(field, i);
                    }
                }
            }
        }
        let defaults: BTreeMap<String, RawValue> = source
            .defaults
            .iter()
            .map(|(k, v)| (k.name().to_string(), toml_to_raw(v)))
            .collect();
        for field in ["classification", "status"] {
            if !columns.contains_key(field)
                && !defaults.contains_key(field)
                && source.role == crate::model::Role::Hazard
            {
                source_diags.push(
                    Diagnostic::new(
                        Code::MissingField,
                        Severity::Warning,
                        format!("{source_desc} has no {field} column"),
                    )
                    .fix(format!(
                        "{}; map a column with [source.fields] {field} = \"COLUMN\" or set [source.defaults] {field} = \"…\"",
                        if field == "status" { "every hazard is taken as open" } else { "every hazard is classified as other" }
                    )),
                );
            }
        }
        if source.role == crate::model::Role::Release
            && !columns.contains_key("outcome")
            && !defaults.contains_key("outcome")
        {
            return Err(IngestError::NoOutcome {
                config: config_path.to_path_buf(),
                desc: source_desc.to_string(),
                columns: layer_columns.to_vec(),
            }
            .into());
        }
        check_values(source).map_err(|error| IngestError::BadValueMapping {
            config: config_path.to_path_buf(),
            desc: source_desc.to_string(),
            error: Box::new(error),
        })?;
        let mut fallback = BTreeMap::new();
        let values = source
            .values
            .iter()
            .map(|(field, m)| {
                (
                    field.name().to_string(),
                    m.iter()
                        .filter(|(raw, canon)| {
                            if raw.trim() != ANY {
                                return true;
                            }
                            let f = if canon.trim() == QUARANTINE {
                                Fallback::Quarantine
                            } else {
                                Fallback::Value(canon.to_string())
                            };
                            fallback.insert(field.name().to_string(), f);
                            false
                        })
                        .map(|(raw, canon)| (normalise_key(raw), canon.clone()))
                        .collect(),
                )
            })
            .collect();
        Ok(Mapper {
            columns,
            values,
            defaults,
            preset,
            date_format: source.date_format.clone(),
            fallback,
            domains: BTreeMap::new(),
            unmapped: Mutex::new(BTreeMap::new()),
            config_path: config_path.to_path_buf(),
            source_desc: source_desc.to_string(),
            source_path: source.path.display().to_string(),
        })
    }

    /// The columns whose coded-value domains (if the layer has any) translate
    /// codes to labels before the vocabulary lookup.
    pub fn decoded_columns(&self) -> Vec<usize> {
        DECODED_FIELDS
            .iter()
            .filter_map(|f| self.column(f))
            .collect()
    }

    /// Install the coded-value domains of the layer: column index → (code →
    /// label), as the reader found them (see `ingest::domains`).
    pub fn set_coded_domains(&mut self, domains: BTreeMap<usize, BTreeMap<String, String>>) {
        self.domains = domains;
    }

    /// A column value through its coded-value domain: the label, and the code
    /// it stood for; the value unchanged when it is no code of the domain.
    fn decode(&self, column: usize, v: RawValue) -> (RawValue, Option<String>) {
        let Some(table) = self.domains.get(&column) else {
            return (v, None);
        };
        let code = v.to_text();
        match table.get(code.trim()) {
            Some(label) => (RawValue::Text(label.clone()), Some(code.trim().to_string())),
            None => (v, None),
        }
    }

    fn unmapped(&self) -> MutexGuard<'_, BTreeMap<(String, String), Unmapped>> {
        // A panic elsewhere while holding the lock leaves a valid map.
        self.unmapped.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// After the source's records are mapped: a config error listing every raw
    /// value nothing mapped (with its count and the TOML line that would map
    /// it) unless the field opted out with `"*"`.
    pub fn finish(&self) -> Result<()> {
        let unmapped = self.unmapped();
        if unmapped.is_empty() {
            return Ok(());
        }
        let mut values = Vec::new();
        for field in ENUM_FIELDS {
            let Some(f) = Field::by_name(field) else {
                continue;
            };
            let mut rows: Vec<&Unmapped> = unmapped
                .iter()
                .filter(|((name, _), _)| name == field)
                .map(|(_, u)| u)
                .collect();
            rows.sort_by(|a, b| b.count.cmp(&a.count).then(a.shown.cmp(&b.shown)));
            values.extend(rows.into_iter().map(|u| {
                UnmappedValue {
                    field: f,
                    raw: u.shown.clone(),
                    count: u.count,
                    code: u.code.clone(),
                    guess: Preset::NgGis
                        .value(field, &u.shown)
                        .filter(|g| is_canonical(field, g))
                        .map(str::to_string),
                }
            }));
        }
        Err(IngestError::UnmappedValues {
            config: self.config_path.clone(),
            desc: self.source_desc.clone(),
            source_path: self.source_path.clone(),
            values,
        }
        .into())
    }

    /// The column index read for a canonical field, if any.
    pub fn column(&self, field: &str) -> Option<usize> {
        self.columns.get(field).copied()
    }

    /// Map one record. `get` returns the raw value of a column index.
    pub fn map(
        &self,
        get: &dyn Fn(usize) -> Option<RawValue>,
        prov: &Provenance,
        diags: &mut Vec<Diagnostic>,
    ) -> CanonicalAttrs {
        let raw = |field: &str| -> Option<RawValue> {
            self.column(field)
                .and_then(get)
                .filter(|v| !v.is_blank())
                .or_else(|| self.defaults.get(field).cloned())
        };
        // An enumerated field's value, through the column's coded-value
        // domain: (label or value, the code it stood for).
        let coded = |field: &str| -> Option<(RawValue, Option<String>)> {
            match self.column(field) {
                Some(c) => match get(c).filter(|v| !v.is_blank()) {
                    Some(v) => Some(self.decode(c, v)),
                    None => self.defaults.get(field).cloned().map(|v| (v, None)),
                },
                None => self.defaults.get(field).cloned().map(|v| (v, None)),
            }
        };
        let mut a = CanonicalAttrs {
            id: raw("id")
                .map(|v| v.to_text().trim().to_string())
                .filter(|s| !s.is_empty()),
            region: coded("region")
                .map(|(v, _)| v.to_text().trim().to_string())
                .filter(|s| !s.is_empty()),
            hazard_ids: raw("hazard_ids")
                .map(|v| v.tokens())
                .unwrap_or_default()
                .into_iter()
                .filter(|t| self.preset.keeps_hazard_id(t))
                .collect(),
            ..Default::default()
        };
        if let Some((v, code)) = coded("classification") {
            a.classification = self.enum_value(
                "classification",
                &v,
                code.as_deref(),
                prov,
                diags,
                Classification::parse,
            );
        }
        if let Some((v, code)) = coded("status") {
            a.status = self.enum_value("status", &v, code.as_deref(), prov, diags, Status::parse);
        }
        if let Some((v, code)) = coded("outcome") {
            a.outcome =
                self.enum_value("outcome", &v, code.as_deref(), prov, diags, Outcome::parse);
        }
        if let Some((v, code)) = coded("contamination") {
            // A multi-valued column: a code of the domain stands for the whole
            // value, else each token may be one.
            let tokens: Vec<(RawValue, Option<String>)> = match code {
                Some(c) => vec![(v, Some(c))],
                None => {
                    let col = self.column("contamination");
                    v.tokens()
                        .into_iter()
                        .map(|t| match col {
                            Some(c) => self.decode(c, RawValue::Text(t)),
                            None => (RawValue::Text(t), None),
                        })
                        .collect()
                }
            };
            let mut set: Vec<String> = Vec::new();
            for (t, code) in tokens {
                let mapped = self.enum_value(
                    "contamination",
                    &t,
                    code.as_deref(),
                    prov,
                    diags,
                    parse_contamination,
                );
                set.push(mapped.unwrap_or_else(|| "unknown".to_string()));
            }
            set.sort();
            set.dedup();
            a.contamination = set;
        }
        if let Some(v) = raw("date") {
            match parse_date(&v, self.date_format.as_deref()) {
                Ok(d) => a.date = Some(d),
                Err(e) => {
                    let text = v.to_text();
                    let message = match (e, &self.date_format) {
                        (DateError::Ambiguous, _) => format!(
                            "date \"{}\" could be day/month or month/day; set date_format = \"%d/%m/%Y\" (or \"%m/%d/%Y\") in the [[source]]",
                            text.trim()
                        ),
                        (DateError::Unreadable, Some(f)) => format!(
                            "date \"{}\" matches neither YYYY-MM-DD nor date_format = \"{f}\"",
                            text.trim()
                        ),
                        (DateError::Unreadable, None) => format!(
                            "date \"{}\" is not a date clearmap reads (YYYY-MM-DD, an Excel serial number, epoch milliseconds, or set date_format = \"…\" in the [[source]])",
                            text.trim()
                        ),
                    };
                    diags.push(
                        Diagnostic::new(Code::InvalidDate, Severity::Warning, message)
                            .record(prov)
                            .fix("treated as undated"),
                    );
                }
            }
        }
        if let Some(v) = raw("area_reported_m2") {
            a.area_reported_m2 = match &v {
                RawValue::Int(i) => Some(*i as f64),
                RawValue::Real(f) => Some(*f),
                other => other.to_text().trim().replace(',', ".").parse::<f64>().ok(),
            }
            .filter(|f| f.is_finite());
            if a.area_reported_m2.is_none() {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidNumber,
                        Severity::Warning,
                        format!("area_reported_m2 \"{}\" is not a number", v.to_text()),
                    )
                    .record(prov)
                    .fix("ignored"),
                );
            }
        }
        a
    }

    /// Map an enumerated value: config mapping first (of the label, then of
    /// the domain code it came from), then the canonical vocabulary itself
    /// (case-insensitive), then the preset's, then the `"*"` fallback. A value
    /// none of these maps is counted for [`Mapper::finish`].
    fn enum_value<T>(
        &self,
        field: &str,
        v: &RawValue,
        code: Option<&str>,
        prov: &Provenance,
        diags: &mut Vec<Diagnostic>,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        let text = v.to_text();
        let key = normalise_key(&text);
        let configured = self.values.get(field).and_then(|m| {
            m.get(&key)
                .or_else(|| code.and_then(|c| m.get(&normalise_key(c))))
        });
        // `check_values` made every configured value canonical.
        if let Some(t) = configured.and_then(|canon| parse(canon)) {
            return Some(t);
        }
        if let Some(t) = parse(&text) {
            return Some(t);
        }
        if let Some(t) = self.preset.value(field, &text).and_then(&parse) {
            return Some(t);
        }
        let shown = text.trim();
        let fallback = self.fallback.get(field);
        let (result, became) = match fallback {
            Some(Fallback::Value(canon)) => (
                parse(canon),
                format!("taken as {} by [source.values.{field}] \"*\"", canon.trim()),
            ),
            Some(Fallback::Quarantine) => (
                None,
                format!("release quarantined by [source.values.{field}] \"*\""),
            ),
            None => {
                let mut unmapped = self.unmapped();
                let u = unmapped
                    .entry((field.to_string(), key))
                    .or_insert_with(|| Unmapped {
                        shown: shown.to_string(),
                        count: 0,
                        code: code.map(str::to_string),
                    });
                u.count += 1;
                (None, "the build stops once the source is read".to_string())
            }
        };
        diags.push(
            Diagnostic::new(
                Code::UnmappedValue,
                Severity::Warning,
                format!(
                    "{field} value \"{shown}\"{} is not mapped",
                    code.map(|c| format!(" (code {c})")).unwrap_or_default()
                ),
            )
            .record(prov)
            .fix(format!(
                "{became}; to map it add under [source.values.{field}]: {} = \"{}\"",
                toml_string(shown),
                canonical_choices(field).join("|")
            )),
        );
        result
    }
}

/// The message of [`IngestError::UnmappedValues`]: every raw value nothing
/// maps (at most 40 a field) with its count and the TOML line that would map
/// it, field by field, and the `"*"` line that would keep them all.
pub(super) fn unmapped_text(desc: &str, source_path: &str, values: &[UnmappedValue]) -> String {
    const SHOWN: usize = 40;
    let mut text = format!(
        "{desc}: {} raw value(s) have no mapping, so their records would be counted wrongly (a cleared release as not released, a closed hazard as open). Map each under the [[source]] with path = {}:",
        values.len(),
        toml_string(source_path)
    );
    for field in ENUM_FIELDS {
        let rows: Vec<&UnmappedValue> = values.iter().filter(|u| u.field.name() == field).collect();
        if rows.is_empty() {
            continue;
        }
        let choices = canonical_choices(field);
        text.push_str(&format!("\n[source.values.{field}]"));
        for u in rows.iter().take(SHOWN) {
            text.push_str(&format!(
                "\n{} = {}   # {} record{}{}{}",
                toml_string(&u.raw),
                toml_string(&u.guess.clone().unwrap_or_else(|| choices.join("|"))),
                u.count,
                if u.count == 1 { "" } else { "s" },
                u.code
                    .as_ref()
                    .map(|c| format!(", code {c} of the column's domain"))
                    .unwrap_or_default(),
                if u.guess.is_some() {
                    "; a guess from the IMSMA vocabulary, check it"
                } else {
                    "; keep the one it means"
                }
            ));
        }
        if rows.len() > SHOWN {
            let rest: usize = rows[SHOWN..].iter().map(|u| u.count).sum();
            text.push_str(&format!(
                "\n# … and {} more values ({rest} records)",
                rows.len() - SHOWN
            ));
        }
        text.push_str(&format!(
            "\n# or, to keep every such {field} as {} with a warning per record: \"*\" = \"{}\"",
            fallback_name(field),
            fallback_value(field)
        ));
    }
    text
}

/// What an unmapped value of a field was taken as before unmapped values were
/// errors, in words and as the `"*"` value that keeps it.
fn fallback_name(field: &str) -> &'static str {
    match field {
        "status" => "open",
        "classification" => "other",
        "outcome" => "quarantined",
        _ => "unknown",
    }
}

fn fallback_value(field: &str) -> &'static str {
    match field {
        "status" => "open",
        "classification" => "other",
        "outcome" => QUARANTINE,
        _ => "unknown",
    }
}

/// A TOML basic string holding `s` (quotes, backslashes and control
/// characters escaped).
fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn normalise_key(s: &str) -> String {
    s.trim().to_lowercase()
}

fn toml_to_raw(v: &toml::Value) -> RawValue {
    match v {
        toml::Value::String(s) => RawValue::Text(s.clone()),
        toml::Value::Integer(i) => RawValue::Int(*i),
        toml::Value::Float(f) => RawValue::Real(*f),
        toml::Value::Datetime(d) => RawValue::Text(d.to_string()),
        toml::Value::Array(a) => RawValue::List(
            a.iter()
                .map(|x| match x {
                    toml::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect(),
        ),
        other => RawValue::Text(other.to_string()),
    }
}

/// Why a date value could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateError {
    /// Not a date in any form clearmap reads.
    Unreadable,
    /// A slash date such as "03/04/2021" that is a valid day/month and
    /// month/day, with no `date_format` to decide.
    Ambiguous,
}

/// The day Excel's serial date 0 stands for (its 1900 leap-year bug folded in,
/// so serials from March 1900 on are right).
fn excel_epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1899, 12, 30).expect("valid date")
}

/// A number as a date: an Excel serial day (1930–2100, what a spreadsheet date
/// cell holds when read as a number) or Unix epoch milliseconds (1973–2100, what
/// ArcGIS feature services return). Anything else is no date.
fn date_of_number(f: f64) -> Option<NaiveDate> {
    const EXCEL_MIN: f64 = 10_959.0; // 1930-01-01
    const EXCEL_MAX: f64 = 73_051.0; // 2100-01-01
    const MS_MIN: f64 = 1e11; // 1973-03-03
    const MS_MAX: f64 = 4.102_444_8e12; // 2100-01-01
    if (EXCEL_MIN..EXCEL_MAX).contains(&f) {
        excel_epoch().checked_add_days(chrono::Days::new(f.floor() as u64))
    } else if (MS_MIN..MS_MAX).contains(&f) {
        chrono::DateTime::from_timestamp_millis(f as i64).map(|d| d.date_naive())
    } else {
        None
    }
}

/// Dates as exports hold them: ISO dates and date-times, `YYYY/MM/DD`, Excel
/// serial numbers and epoch milliseconds (as numbers or numeric text),
/// `DD.MM.YYYY`, and slash dates: with `format` (chrono syntax, e.g.
/// `%d/%m/%Y`) as it says, without it only when day and month cannot be
/// confused.
pub fn parse_date(v: &RawValue, format: Option<&str>) -> Result<NaiveDate, DateError> {
    match v {
        RawValue::Date(d) => Ok(*d),
        RawValue::Int(i) => date_of_number(*i as f64).ok_or(DateError::Unreadable),
        RawValue::Real(f) => date_of_number(*f).ok_or(DateError::Unreadable),
        RawValue::List(_) => Err(DateError::Unreadable),
        RawValue::Text(s) => parse_date_text(s.trim(), format),
    }
}

fn parse_date_text(s: &str, format: Option<&str>) -> Result<NaiveDate, DateError> {
    if let Ok(f) = s.replace(',', ".").parse::<f64>() {
        return date_of_number(f).ok_or(DateError::Unreadable);
    }
    let head = s.get(..10).unwrap_or(s);
    let time_follows = s.len() == 10 || s.get(10..).is_some_and(|t| t.starts_with(['T', ' ']));
    if time_follows {
        if let Ok(d) = NaiveDate::parse_from_str(head, "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(head, "%Y/%m/%d"))
        {
            return Ok(d);
        }
    }
    // The date part alone, whatever time of day follows it.
    let date_part = s.split([' ', 'T']).next().unwrap_or(s);
    if let Some(f) = format {
        return NaiveDate::parse_from_str(s, f)
            .or_else(|_| NaiveDate::parse_from_str(date_part, f))
            .map_err(|_| DateError::Unreadable);
    }
    let parts: Vec<&str> = date_part.split(['/', '.']).collect();
    let [a, b, y] = parts[..] else {
        return Err(DateError::Unreadable);
    };
    let (Ok(a), Ok(b), Ok(y)) = (a.parse::<u32>(), b.parse::<u32>(), y.parse::<i32>()) else {
        return Err(DateError::Unreadable);
    };
    if !(1000..=9999).contains(&y) {
        return Err(DateError::Unreadable);
    }
    // Dotted dates are day-first wherever they are written (DIN 5008 and its
    // kin); slash dates are day-first or month-first by country.
    let (day, month) = if date_part.contains('.') || (a > 12 && b <= 12) || a == b {
        (a, b)
    } else if b > 12 && a <= 12 {
        (b, a)
    } else if a <= 12 && b <= 12 {
        return Err(DateError::Ambiguous);
    } else {
        return Err(DateError::Unreadable);
    };
    NaiveDate::from_ymd_opt(y, month, day).ok_or(DateError::Unreadable)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(toml: &str) -> SourceConfig {
        // One `[[source]]` of a config, as the config reads it.
        let text = format!("[[source]]\npath = \"r.geojson\"\nrole = \"release\"\n{toml}");
        let table: toml::Table = toml::from_str(&text).unwrap();
        table["source"][0].clone().try_into().unwrap()
    }

    fn mapper(toml: &str, columns: &[&str]) -> Result<Mapper> {
        let cols: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
        Mapper::new(
            &source(toml),
            &cols,
            std::path::Path::new("c.toml"),
            "r.geojson layer r",
            &mut Vec::new(),
        )
    }

    fn prov(row: u64) -> Provenance {
        Provenance {
            file: "r.geojson".into(),
            layer: "r".into(),
            row,
            source_id: None,
        }
    }

    /// Map one-column rows holding `values`.
    fn map_all(
        m: &Mapper,
        values: &[RawValue],
        diags: &mut Vec<Diagnostic>,
    ) -> Vec<CanonicalAttrs> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let get = |c: usize| (c == 0).then(|| v.clone());
                m.map(&get, &prov(i as u64), diags)
            })
            .collect()
    }

    #[test]
    fn unmapped_values_fail_the_source_with_their_toml_lines() {
        let m = mapper(
            "[source.values.outcome]\n\"CLR\" = \"cleared\"\n",
            &["outcome"],
        )
        .unwrap();
        let t = |s: &str| RawValue::Text(s.into());
        let mut diags = Vec::new();
        let a = map_all(
            &m,
            &[t("CLR"), t("XX"), t("xx "), t("Cancelled"), t("Y")],
            &mut diags,
        );
        assert_eq!(a[0].outcome, Some(Outcome::Cleared));
        assert_eq!(a[3].outcome, Some(Outcome::Cancelled));
        assert_eq!(a[1].outcome, None);
        let err = m.finish().unwrap_err();
        assert_eq!(err.exit_code(), crate::error::exit::USAGE);
        let crate::error::Error::Ingest(IngestError::UnmappedValues { values, .. }) = &err else {
            panic!("{err:?}");
        };
        let seen: Vec<(Field, &str, usize)> = values
            .iter()
            .map(|u| (u.field, u.raw.as_str(), u.count))
            .collect();
        assert_eq!(seen, [(Field::Outcome, "XX", 2), (Field::Outcome, "Y", 1)]);
        let text = err.to_string();
        assert!(text.contains("r.geojson layer r: 2 raw value(s)"), "{text}");
        assert!(text.contains("path = \"r.geojson\""), "{text}");
        assert!(
            text.contains(
                "[source.values.outcome]\n\"XX\" = \"cancelled|reduced|cleared\"   # 2 records"
            ),
            "{text}"
        );
        assert!(
            text.contains("\"Y\" = \"cancelled|reduced|cleared\"   # 1 record;"),
            "{text}"
        );
        assert!(text.contains("\"*\" = \"quarantine\""), "{text}");
    }

    #[test]
    fn a_guess_from_the_imsma_vocabulary_is_offered() {
        let m = mapper("", &["outcome"]).unwrap();
        map_all(
            &m,
            &[RawValue::Text("NonTechSurvey".into())],
            &mut Vec::new(),
        );
        let text = m.finish().unwrap_err().to_string();
        assert!(
            text.contains("\"NonTechSurvey\" = \"cancelled\"   # 1 record; a guess"),
            "{text}"
        );
    }

    #[test]
    fn star_opts_out_with_a_warning_per_record() {
        let m = mapper(
            "[source.values.outcome]\n\"*\" = \"quarantine\"\n",
            &["outcome"],
        )
        .unwrap();
        let mut diags = Vec::new();
        let a = map_all(&m, &[RawValue::Text("CLR".into())], &mut diags);
        assert_eq!(a[0].outcome, None);
        m.finish().unwrap();
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code, Code::UnmappedValue);
        assert!(diags[0]
            .fix
            .as_deref()
            .unwrap()
            .contains("release quarantined"));

        let m = mapper(
            "[source.values.status]\n\"*\" = \"open\"\n",
            &["outcome", "status"],
        )
        .unwrap();
        let mut diags = Vec::new();
        let get = |c: usize| {
            Some(RawValue::Text(
                if c == 0 { "cleared" } else { "Odd" }.into(),
            ))
        };
        let a = m.map(&get, &prov(0), &mut diags);
        assert_eq!(a.status, Some(Status::Open));
        m.finish().unwrap();
        assert!(diags[0].fix.as_deref().unwrap().contains("taken as open"));
    }

    #[test]
    fn a_non_canonical_target_is_a_config_error() {
        let err = mapper(
            "[source.values.outcome]\n\"NonTechSurvey\" = \"cancel\"\n",
            &["outcome"],
        )
        .unwrap_err();
        assert_eq!(err.exit_code(), crate::error::exit::USAGE);
        assert!(matches!(
            &err,
            crate::error::Error::Ingest(IngestError::BadValueMapping { error, .. })
                if matches!(**error, ValueMappingError::NotCanonical { field: Field::Outcome, .. })
        ));
        let text = err.to_string();
        assert!(
            text.contains("\"NonTechSurvey\" = \"cancel\"")
                && text.contains("cancelled, reduced, cleared"),
            "{text}"
        );
        for bad in [
            "[source.values.status]\n\"*\" = \"quarantine\"\n",
            "[source.values.region]\n\"a\" = \"b\"\n",
            "[source.values.status]\n\"Active\" = \"open\"\n\"active \" = \"closed\"\n",
        ] {
            assert!(check_values(&source(bad)).is_err(), "{bad}");
        }
        assert!(check_values(&source(
            "[source.values.contamination]\n\"*\" = \"unknown\"\n\"AP\" = \"ap_mine\"\n"
        ))
        .is_ok());
    }

    #[test]
    fn coded_domains_translate_codes_before_the_lookup() {
        // status column 1 carries a coded-value domain 1 = Active, 2 = Expired,
        // 3 = Odd; the config maps code 2 itself and the label Active.
        let mut m = mapper(
            "[source.values.status]\n\"Active\" = \"open\"\n\"2\" = \"closed\"\n",
            &["outcome", "status"],
        )
        .unwrap();
        assert_eq!(m.decoded_columns(), vec![1, 0]);
        let table: BTreeMap<String, String> = [("1", "Active"), ("2", "Expired"), ("3", "Odd")]
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        m.set_coded_domains([(1, table)].into_iter().collect());
        let mut diags = Vec::new();
        let status = |code: i64, diags: &mut Vec<Diagnostic>| {
            let get = |c: usize| {
                Some(if c == 0 {
                    RawValue::Text("cleared".into())
                } else {
                    RawValue::Int(code)
                })
            };
            m.map(&get, &prov(0), diags).status
        };
        assert_eq!(status(1, &mut diags), Some(Status::Open));
        assert_eq!(status(2, &mut diags), Some(Status::Closed));
        assert_eq!(status(3, &mut diags), None);
        let text = m.finish().unwrap_err().to_string();
        assert!(
            text.contains("\"Odd\" = \"open|worked_on|closed\"   # 1 record, code 3"),
            "{text}"
        );
    }

    fn text_date(s: &str, f: Option<&str>) -> Result<NaiveDate, DateError> {
        parse_date(&RawValue::Text(s.into()), f)
    }

    #[test]
    fn dates() {
        let d = Ok(NaiveDate::from_ymd_opt(2021, 3, 4).unwrap());
        assert_eq!(text_date("2021-03-04", None), d);
        assert_eq!(text_date(" 2021-03-04T10:00:00Z", None), d);
        assert_eq!(text_date("2021/03/04", None), d);
        assert_eq!(text_date("04.03.2021", None), d);
        assert_eq!(text_date("2021-03-045", None), Err(DateError::Unreadable));
        assert_eq!(text_date("March 4th", None), Err(DateError::Unreadable));
    }

    #[test]
    fn slash_dates_need_a_format_only_when_ambiguous() {
        let d = Ok(NaiveDate::from_ymd_opt(2021, 3, 4).unwrap());
        assert_eq!(text_date("04/03/2021", None), Err(DateError::Ambiguous));
        assert_eq!(text_date("04/03/2021", Some("%d/%m/%Y")), d);
        assert_eq!(text_date("03/04/2021", Some("%m/%d/%Y")), d);
        assert_eq!(text_date("04/03/2021 00:00:00", Some("%d/%m/%Y")), d);
        let d25 = Ok(NaiveDate::from_ymd_opt(2021, 3, 25).unwrap());
        assert_eq!(text_date("25/03/2021", None), d25);
        assert_eq!(text_date("03/25/2021", None), d25);
        assert_eq!(text_date("31/02/2021", None), Err(DateError::Unreadable));
    }

    #[test]
    fn excel_serials_and_epoch_milliseconds() {
        // Excel shows serial 44259 as 2021-03-04; 1614816000000 ms is
        // 2021-03-04T00:00:00Z.
        let d = Ok(NaiveDate::from_ymd_opt(2021, 3, 4).unwrap());
        assert_eq!(parse_date(&RawValue::Int(44259), None), d);
        assert_eq!(parse_date(&RawValue::Real(44259.75), None), d);
        assert_eq!(text_date("44259", None), d);
        assert_eq!(parse_date(&RawValue::Int(1_614_816_000_000), None), d);
        assert_eq!(text_date("1614816000000", None), d);
        assert_eq!(
            parse_date(&RawValue::Int(12), None),
            Err(DateError::Unreadable)
        );
    }

    #[test]
    fn tokens_split_and_trim() {
        assert_eq!(
            RawValue::Text(" a, b;;c ".into()).tokens(),
            vec!["a", "b", "c"]
        );
        assert_eq!(RawValue::Real(12.0).to_text(), "12");
    }
}
