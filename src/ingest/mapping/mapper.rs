//! The mapping of one source resolved against its layer's columns: which
//! column holds each canonical field, the value tables, the defaults and the
//! `"*"` fallbacks; and, once the records are mapped, the error listing the
//! raw values nothing mapped ([`Mapper::finish`]).

use super::raw::{toml_to_raw, RawValue};
use super::vocabulary::{
    check_values, is_canonical, normalise_key, ANY, DECODED_FIELDS, ENUM_FIELDS, QUARANTINE,
};
use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::ingest::error::Result;
use crate::ingest::presets::Preset;
use crate::ingest::{Field, IngestError, SourceConfig, UnmappedValue};
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

/// What becomes of a value nothing maps, by `"*"` under `[source.values.FIELD]`.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Fallback {
    /// The release is quarantined (outcome only).
    Quarantine,
    /// This canonical value.
    Value(String),
}

/// One raw value nothing maps: as first seen, how often, and the domain code
/// it was translated from.
#[derive(Debug, Clone)]
pub(super) struct Unmapped {
    pub(super) shown: String,
    pub(super) count: usize,
    pub(super) code: Option<String>,
}

/// The mapping of one source, resolved against its layer's columns.
#[derive(Debug)]
pub struct Mapper {
    /// canonical field → column index in the layer
    pub(super) columns: BTreeMap<Field, usize>,
    /// canonical field → (lower-cased trimmed raw value → canonical value)
    pub(super) values: BTreeMap<Field, BTreeMap<String, String>>,
    pub(super) defaults: BTreeMap<Field, RawValue>,
    pub(super) preset: Preset,
    /// `date_format` of the source, for dates such as "03/04/2021".
    pub(super) date_format: Option<String>,
    /// canonical field → what a value nothing maps becomes (`"*"`).
    pub(super) fallback: BTreeMap<Field, Fallback>,
    /// column index → (code → label) of the layer's coded-value domains.
    pub(super) domains: BTreeMap<usize, BTreeMap<String, String>>,
    /// (field, normalised raw value) → what was seen; filled while records are
    /// mapped (in parallel by the GeoJSON reader), reported by [`Mapper::finish`].
    pub(super) unmapped: Mutex<BTreeMap<(Field, String), Unmapped>>,
    pub(super) config_path: crate::ingest::error::ConfigRef,
    pub(super) source_desc: String,
    pub(super) source_path: String,
    /// Whether the source holds hazards or releases: a blank status or
    /// classification matters for hazards only.
    pub(super) role: crate::model::Role,
}

impl Mapper {
    /// Resolve the mapping against the layer's column names. A column named in
    /// `[source.fields]` that the layer lacks is a config error listing the columns.
    pub fn new(
        source: &SourceConfig,
        layer_columns: &[String],
        config_path: &crate::ingest::error::ConfigRef,
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
            match source.fields.get(&f) {
                Some(col) => match find(col) {
                    Some(i) => {
                        columns.insert(f, i);
                    }
                    None => {
                        return Err(IngestError::NoSuchColumn {
                            config: config_path.clone(),
                            desc: source_desc.to_string(),
                            field: f,
                            column: col.clone(),
                            columns: layer_columns.to_vec(),
                        })
                    }
                },
                None => {
                    let found = preset
                        .columns(f.name(), source.role)
                        .iter()
                        .find_map(|c| find(c))
                        .or_else(|| find(f.name()));
                    if let Some(i) = found {
                        columns.insert(f, i);
                    }
                }
            }
        }
        let defaults: BTreeMap<Field, RawValue> = source
            .defaults
            .iter()
            .map(|(&k, v)| (k, toml_to_raw(v)))
            .collect();
        for field in [Field::Classification, Field::Status] {
            if !columns.contains_key(&field)
                && !defaults.contains_key(&field)
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
                        if field == Field::Status { "every hazard is taken as open" } else { "every hazard is classified as other" }
                    )),
                );
            }
        }
        if source.role == crate::model::Role::Release
            && !columns.contains_key(&Field::Outcome)
            && !defaults.contains_key(&Field::Outcome)
        {
            return Err(IngestError::NoOutcome {
                config: config_path.clone(),
                desc: source_desc.to_string(),
                columns: layer_columns.to_vec(),
            });
        }
        check_values(source).map_err(|error| IngestError::BadValueMapping {
            config: config_path.clone(),
            desc: source_desc.to_string(),
            error: Box::new(error),
        })?;
        let mut fallback = BTreeMap::new();
        let values = source
            .values
            .iter()
            .map(|(&field, m)| {
                (
                    field,
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
                            fallback.insert(field, f);
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
            config_path: config_path.clone(),
            source_desc: source_desc.to_string(),
            source_path: source.path.display().to_string(),
            role: source.role,
        })
    }

    /// The columns whose coded-value domains (if the layer has any) translate
    /// codes to labels before the vocabulary lookup.
    pub fn decoded_columns(&self) -> Vec<usize> {
        DECODED_FIELDS
            .iter()
            .filter_map(|&f| self.column(f))
            .collect()
    }

    /// Install the coded-value domains of the layer: column index → (code →
    /// label), as the reader found them (see `ingest::domains`).
    pub fn set_coded_domains(&mut self, domains: BTreeMap<usize, BTreeMap<String, String>>) {
        self.domains = domains;
    }

    /// A column value through its coded-value domain: the label, and the code
    /// it stood for; the value unchanged when it is no code of the domain.
    pub(super) fn decode(&self, column: usize, v: RawValue) -> (RawValue, Option<String>) {
        let Some(table) = self.domains.get(&column) else {
            return (v, None);
        };
        let code = v.to_text();
        match table.get(code.trim()) {
            Some(label) => (RawValue::Text(label.clone()), Some(code.trim().to_string())),
            None => (v, None),
        }
    }

    pub(super) fn unmapped(&self) -> MutexGuard<'_, BTreeMap<(Field, String), Unmapped>> {
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
            let mut rows: Vec<&Unmapped> = unmapped
                .iter()
                .filter(|((f, _), _)| *f == field)
                .map(|(_, u)| u)
                .collect();
            rows.sort_by(|a, b| b.count.cmp(&a.count).then(a.shown.cmp(&b.shown)));
            values.extend(rows.into_iter().map(|u| {
                UnmappedValue {
                    field,
                    raw: u.shown.clone(),
                    count: u.count,
                    code: u.code.clone(),
                    guess: Preset::NgGis
                        .value(field.name(), &u.shown)
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
        })
    }

    /// The column index read for a canonical field, if any.
    pub fn column(&self, field: Field) -> Option<usize> {
        self.columns.get(&field).copied()
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::CanonicalAttrs;
    use super::*;
    use crate::ingest::ValueMappingError;
    use crate::model::{Outcome, Provenance};

    pub(in crate::ingest::mapping) fn source(toml: &str) -> SourceConfig {
        // One `[[source]]` of a config, as the config reads it.
        let text = format!("[[source]]\npath = \"r.geojson\"\nrole = \"release\"\n{toml}");
        let table: toml::Table = toml::from_str(&text).unwrap();
        table["source"][0].clone().try_into().unwrap()
    }

    pub(in crate::ingest::mapping) fn mapper(toml: &str, columns: &[&str]) -> Result<Mapper> {
        let cols: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
        Mapper::new(
            &source(toml),
            &cols,
            &crate::ingest::error::ConfigRef(Some("c.toml".into())),
            "r.geojson layer r",
            &mut Vec::new(),
        )
    }

    pub(in crate::ingest::mapping) fn prov(row: u64) -> Provenance {
        Provenance {
            file: "r.geojson".into(),
            layer: "r".into(),
            row,
            at: crate::model::RecordRef::nth(row),
            source_id: None,
        }
    }

    /// Map one-column rows holding `values`.
    pub(in crate::ingest::mapping) fn map_all(
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
        assert!(err.is_config_fault());
        let IngestError::UnmappedValues { values, .. } = &err else {
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
    fn a_non_canonical_target_is_a_config_error() {
        let err = mapper(
            "[source.values.outcome]\n\"NonTechSurvey\" = \"cancel\"\n",
            &["outcome"],
        )
        .unwrap_err();
        assert!(err.is_config_fault());
        assert!(matches!(
            &err,
            IngestError::BadValueMapping { error, .. }
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
}
