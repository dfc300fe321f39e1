//! Mapping one record: its raw column values through the vocabularies to
//! [`CanonicalAttrs`].

use super::mapper::{Fallback, Mapper, Unmapped};
use super::raw::{parse_date, DateError, RawValue};
use super::vocabulary::{canonical_choices, normalise_key, parse_contamination, toml_string};
use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::ingest::Field;
use crate::model::{Classification, Outcome, Provenance, Status};
use chrono::NaiveDate;

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
    /// The location point in WGS 84 lon/lat, when the source maps both
    /// `wgs84_lon` and `wgs84_lat` and both are numbers.
    pub wgs84_point: Option<(f64, f64)>,
}

impl Mapper {
    /// Map one record. `get` returns the raw value of a column index.
    pub fn map(
        &self,
        get: &dyn Fn(usize) -> Option<RawValue>,
        prov: &Provenance,
        diags: &mut Vec<Diagnostic>,
    ) -> CanonicalAttrs {
        self.map_row(get, true, prov, diags)
    }

    /// Map a record that has no attribute row at all (a polygon of the NG
    /// point template missing from its attributes table): the defaults
    /// only, its own diagnostic already said so.
    pub fn map_no_row(&self, prov: &Provenance, diags: &mut Vec<Diagnostic>) -> CanonicalAttrs {
        self.map_row(&|_| None, false, prov, diags)
    }

    fn map_row(
        &self,
        get: &dyn Fn(usize) -> Option<RawValue>,
        has_row: bool,
        prov: &Provenance,
        diags: &mut Vec<Diagnostic>,
    ) -> CanonicalAttrs {
        let raw = |field: Field| -> Option<RawValue> {
            self.column(field)
                .and_then(get)
                .filter(|v| !v.is_blank())
                .or_else(|| self.defaults.get(&field).cloned())
        };
        // An enumerated field's value, through the column's coded-value
        // domain: (label or value, the code it stood for).
        //
        // A blank cell of a hazard's mapped status or classification column
        // with no default is a raw value like any other (""), mapped or not: left
        // empty it would count a closed hazard as open, or a CHA as "other",
        // without a word.
        let coded = |field: Field| -> Option<(RawValue, Option<String>)> {
            match self.column(field) {
                Some(c) => match get(c).filter(|v| !v.is_blank()) {
                    Some(v) => Some(self.decode(c, v)),
                    None => self
                        .defaults
                        .get(&field)
                        .cloned()
                        .map(|v| (v, None))
                        .or_else(|| {
                            (has_row
                                && self.role == crate::model::Role::Hazard
                                && matches!(field, Field::Status | Field::Classification))
                            .then(|| (RawValue::Text(String::new()), None))
                        }),
                },
                None => self.defaults.get(&field).cloned().map(|v| (v, None)),
            }
        };
        let mut a = CanonicalAttrs {
            id: raw(Field::Id)
                .map(|v| v.to_text().trim().to_string())
                .filter(|s| !s.is_empty()),
            region: coded(Field::Region)
                .map(|(v, _)| v.to_text().trim().to_string())
                .filter(|s| !s.is_empty()),
            hazard_ids: raw(Field::HazardIds)
                .map(|v| v.tokens())
                .unwrap_or_default()
                .into_iter()
                .filter(|t| self.preset.keeps_hazard_id(t))
                .collect(),
            ..Default::default()
        };
        if let Some((v, code)) = coded(Field::Classification) {
            a.classification = self.enum_value(
                Field::Classification,
                &v,
                code.as_deref(),
                prov,
                diags,
                Classification::parse,
            );
        }
        if let Some((v, code)) = coded(Field::Status) {
            a.status = self.enum_value(
                Field::Status,
                &v,
                code.as_deref(),
                prov,
                diags,
                Status::parse,
            );
        }
        if let Some((v, code)) = coded(Field::Outcome) {
            a.outcome = self.enum_value(
                Field::Outcome,
                &v,
                code.as_deref(),
                prov,
                diags,
                Outcome::parse,
            );
        }
        if let Some((v, code)) = coded(Field::Contamination) {
            // A multi-valued column: a code of the domain stands for the whole
            // value, else each token may be one.
            let tokens: Vec<(RawValue, Option<String>)> = match code {
                Some(c) => vec![(v, Some(c))],
                None => {
                    let col = self.column(Field::Contamination);
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
                    Field::Contamination,
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
        if let Some(v) = raw(Field::Date) {
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
        let mut number = |field: Field| {
            let v = raw(field)?;
            let n = match &v {
                RawValue::Int(i) => Some(*i as f64),
                RawValue::Real(f) => Some(*f),
                other => other.to_text().trim().replace(',', ".").parse::<f64>().ok(),
            }
            .filter(|f| f.is_finite());
            if n.is_none() {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidNumber,
                        Severity::Warning,
                        format!("{field} \"{}\" is not a number", v.to_text()),
                    )
                    .record(prov)
                    .fix("ignored"),
                );
            }
            n
        };
        a.area_reported_m2 = number(Field::AreaReportedM2);
        let lon = number(Field::Wgs84Lon);
        let lat = number(Field::Wgs84Lat);
        a.wgs84_point = lon
            .zip(lat)
            .filter(|(x, y)| (-180.0..=180.0).contains(x) && (-90.0..=90.0).contains(y));
        a
    }

    /// Map an enumerated value: config mapping first (of the label, then of
    /// the domain code it came from), then the canonical vocabulary itself
    /// (case-insensitive), then the preset's, then the `"*"` fallback. A value
    /// none of these maps is counted for [`Mapper::finish`].
    fn enum_value<T>(
        &self,
        field: Field,
        v: &RawValue,
        code: Option<&str>,
        prov: &Provenance,
        diags: &mut Vec<Diagnostic>,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        let text = v.to_text();
        let key = normalise_key(&text);
        let configured = self.values.get(&field).and_then(|m| {
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
        if let Some(t) = self.preset.value(field.name(), &text).and_then(&parse) {
            return Some(t);
        }
        let shown = text.trim();
        let fallback = self.fallback.get(&field);
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
                let u = unmapped.entry((field, key)).or_insert_with(|| Unmapped {
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
                if shown.is_empty() {
                    format!("{field} is blank and not mapped")
                } else {
                    format!(
                        "{field} value \"{shown}\"{} is not mapped",
                        code.map(|c| format!(" (code {c})")).unwrap_or_default()
                    )
                },
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

#[cfg(test)]
mod tests {
    use super::super::mapper::tests::{map_all, mapper, prov};
    use super::*;
    use std::collections::BTreeMap;

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
}
