//! Field and value mappings: from a source's columns and raw vocabularies to the
//! canonical fields of the model. `[source.fields]` names the column of a
//! canonical field (else the canonical name itself is looked for),
//! `[source.values.FIELD]` maps raw values, `[source.defaults]` fills fields the
//! source lacks. A preset ([`super::presets`]) adds the columns and vocabulary
//! of a known layout underneath the config. Every value that cannot be mapped is
//! a diagnostic that shows the config line that would map it.

use super::presets::Preset;
use crate::config::SourceConfig;
use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::error::{Error, Result};
use crate::model::{Classification, Outcome, Provenance, Status, CONTAMINATION_TYPES};
use chrono::NaiveDate;
use std::collections::BTreeMap;

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
        let preset = source
            .preset
            .as_deref()
            .and_then(Preset::by_name)
            .unwrap_or_default();
        let mut columns = BTreeMap::new();
        for field in crate::config::CANONICAL_FIELDS {
            match source.fields.get(field) {
                Some(col) => match find(col) {
                    Some(i) => {
                        columns.insert(field, i);
                    }
                    None => {
                        return Err(Error::config(
                            config_path,
                            format!(
                                "{source_desc}: [source.fields] {field} = \"{col}\" but the layer has no column \"{col}\"; its columns are: {}",
                                layer_columns.join(", ")
                            ),
                        ))
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
            .map(|(k, v)| (k.clone(), toml_to_raw(v)))
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
            return Err(Error::config(
                config_path,
                format!(
                    "{source_desc}: releases need an outcome; the layer has no \"outcome\" column. Map one with [source.fields] outcome = \"COLUMN\" or set [source.defaults] outcome = \"cleared\" (or reduced / cancelled). Columns: {}",
                    layer_columns.join(", ")
                ),
            ));
        }
        let values = source
            .values
            .iter()
            .map(|(field, m)| {
                (
                    field.clone(),
                    m.iter()
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
        })
    }

    /// The column index read for a canonical field, if any.
    pub fn column(&self, field: &str) -> Option<usize> {
        self.columns.get(field).copied()
    }

    pub fn columns(&self) -> impl Iterator<Item = (&'static str, usize)> + '_ {
        self.columns.iter().map(|(k, v)| (*k, *v))
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
        let mut a = CanonicalAttrs {
            id: raw("id")
                .map(|v| v.to_text().trim().to_string())
                .filter(|s| !s.is_empty()),
            region: raw("region")
                .map(|v| v.to_text().trim().to_string())
                .filter(|s| !s.is_empty()),
            hazard_ids: raw("hazard_ids")
                .map(|v| v.tokens())
                .unwrap_or_default()
                .into_iter()
                .filter(|t| self.preset.keeps_hazard_id(t))
                .collect(),
            ..Default::default()
        };
        if let Some(v) = raw("classification") {
            a.classification =
                self.enum_value("classification", &v, prov, diags, Classification::parse);
        }
        if let Some(v) = raw("status") {
            a.status = self.enum_value("status", &v, prov, diags, Status::parse);
        }
        if let Some(v) = raw("outcome") {
            a.outcome = self.enum_value("outcome", &v, prov, diags, Outcome::parse);
        }
        if let Some(v) = raw("contamination") {
            let mut set: Vec<String> = Vec::new();
            for t in v.tokens() {
                let mapped =
                    self.enum_value("contamination", &RawValue::Text(t), prov, diags, |s| {
                        let s = s.trim().to_ascii_lowercase();
                        CONTAMINATION_TYPES.contains(&s.as_str()).then_some(s)
                    });
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

    /// Map an enumerated value: config mapping first, then the canonical
    /// vocabulary itself (case-insensitive).
    fn enum_value<T>(
        &self,
        field: &str,
        v: &RawValue,
        prov: &Provenance,
        diags: &mut Vec<Diagnostic>,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        let text = v.to_text();
        let key = normalise_key(&text);
        if let Some(canon) = self.values.get(field).and_then(|m| m.get(&key)) {
            if let Some(t) = parse(canon) {
                return Some(t);
            }
        }
        if let Some(t) = parse(&text) {
            return Some(t);
        }
        if let Some(t) = self.preset.value(field, &text).and_then(&parse) {
            return Some(t);
        }
        diags.push(
            Diagnostic::new(
                Code::UnmappedValue,
                Severity::Warning,
                format!("{field} value \"{}\" is not mapped", text.trim()),
            )
            .record(prov)
            .fix(format!(
                "{}; to map it add under [source.values.{field}]: \"{}\" = \"{}\"",
                match field {
                    "status" => "taken as open",
                    "classification" => "classified as other",
                    "outcome" => "release quarantined",
                    _ => "taken as unknown",
                },
                text.trim(),
                match field {
                    "status" => "open|worked_on|closed",
                    "classification" => "SHA|CHA|other",
                    "outcome" => "cancelled|reduced|cleared",
                    _ => "ap_mine|av_mine|improvised_mine|cmr|uxo|axo|ied|unknown",
                }
            )),
        );
        None
    }
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
