//! Field and value mappings: from a source's columns and raw vocabularies to the
//! canonical fields of the model. `[source.fields]` names the column of a
//! canonical field (else the canonical name itself is looked for),
//! `[source.values.FIELD]` maps raw values, `[source.defaults]` fills fields the
//! source lacks. Every value that cannot be mapped is a diagnostic that shows the
//! config line that would map it.

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
            other => other.to_text().split([',', ';']).map(str::to_string).collect(),
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
            layer_columns
                .iter()
                .position(|c| c == name)
                .or_else(|| layer_columns.iter().position(|c| c.eq_ignore_ascii_case(name)))
        };
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
                    if let Some(i) = find(field) {
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
            if !columns.contains_key(field) && !defaults.contains_key(field) && source.role == crate::model::Role::Hazard {
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
        if source.role == crate::model::Role::Release && !columns.contains_key("outcome") && !defaults.contains_key("outcome") {
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
                    m.iter().map(|(raw, canon)| (normalise_key(raw), canon.clone())).collect(),
                )
            })
            .collect();
        Ok(Mapper { columns, values, defaults })
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
            id: raw("id").map(|v| v.to_text().trim().to_string()).filter(|s| !s.is_empty()),
            region: raw("region").map(|v| v.to_text().trim().to_string()).filter(|s| !s.is_empty()),
            hazard_ids: raw("hazard_ids").map(|v| v.tokens()).unwrap_or_default(),
            ..Default::default()
        };
        if let Some(v) = raw("classification") {
            a.classification = self.enum_value("classification", &v, prov, diags, Classification::parse);
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
                let mapped = self.enum_value("contamination", &RawValue::Text(t), prov, diags, |s| {
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
            a.date = parse_date(&v);
            if a.date.is_none() {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidDate,
                        Severity::Warning,
                        format!("date \"{}\" is not a date clearmap reads (YYYY-MM-DD)", v.to_text()),
                    )
                    .record(prov)
                    .fix("treated as undated"),
                );
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

/// Dates as exports hold them: ISO dates, ISO date-times, `YYYY/MM/DD`.
pub fn parse_date(v: &RawValue) -> Option<NaiveDate> {
    match v {
        RawValue::Date(d) => Some(*d),
        RawValue::Text(s) => {
            let s = s.trim();
            let head = s.get(..10).unwrap_or(s);
            NaiveDate::parse_from_str(head, "%Y-%m-%d")
                .or_else(|_| NaiveDate::parse_from_str(head, "%Y/%m/%d"))
                .ok()
                .filter(|_| s.len() == 10 || s[10..].starts_with(['T', ' ']))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        let d = NaiveDate::from_ymd_opt(2021, 3, 4);
        assert_eq!(parse_date(&RawValue::Text("2021-03-04".into())), d);
        assert_eq!(parse_date(&RawValue::Text(" 2021-03-04T10:00:00Z".into())), d);
        assert_eq!(parse_date(&RawValue::Text("2021/03/04".into())), d);
        assert_eq!(parse_date(&RawValue::Text("04.03.2021".into())), None);
        assert_eq!(parse_date(&RawValue::Text("2021-03-045".into())), None);
    }

    #[test]
    fn tokens_split_and_trim() {
        assert_eq!(RawValue::Text(" a, b;;c ".into()).tokens(), vec!["a", "b", "c"]);
        assert_eq!(RawValue::Real(12.0).to_text(), "12");
    }
}
