//! The canonical vocabularies of the enumerated fields, the check of a
//! source's `[source.values]`, and the message listing the raw values nothing
//! maps.

use crate::ingest::{Field, SourceConfig, UnmappedValue, ValueMappingError};
use crate::model::{Classification, Outcome, Status, CONTAMINATION_TYPES};
use std::collections::BTreeMap;

/// Fields whose raw values go through a vocabulary, in the order the error
/// lists them.
pub const ENUM_FIELDS: [Field; 4] = [
    Field::Classification,
    Field::Status,
    Field::Outcome,
    Field::Contamination,
];

/// The `[source.values.FIELD]` key that catches every value nothing else maps.
pub const ANY: &str = "*";

/// `[source.values.outcome] "*" = "quarantine"`: releases of unmapped outcomes
/// are quarantined (the behaviour before unmapped values were errors).
pub const QUARANTINE: &str = "quarantine";

/// Fields whose column values are translated through a coded-value domain.
pub(super) const DECODED_FIELDS: [Field; 5] = [
    Field::Classification,
    Field::Status,
    Field::Outcome,
    Field::Contamination,
    Field::Region,
];

/// The canonical values of an enumerated field.
pub fn canonical_choices(field: Field) -> &'static [&'static str] {
    match field {
        Field::Classification => &["SHA", "CHA", "other"],
        Field::Status => &["open", "worked_on", "closed"],
        Field::Outcome => &["cancelled", "reduced", "cleared"],
        Field::Contamination => &CONTAMINATION_TYPES,
        _ => &[],
    }
}

pub(super) fn is_canonical(field: Field, v: &str) -> bool {
    match field {
        Field::Classification => Classification::parse(v).is_some(),
        Field::Status => Status::parse(v).is_some(),
        Field::Outcome => Outcome::parse(v).is_some(),
        Field::Contamination => parse_contamination(v).is_some(),
        _ => false,
    }
}

pub(super) fn parse_contamination(s: &str) -> Option<String> {
    let s = s.trim().to_ascii_lowercase();
    CONTAMINATION_TYPES.contains(&s.as_str()).then_some(s)
}

/// Check a source's `[source.values]`: only enumerated fields, every mapped
/// value canonical, `"*"` a canonical value (or `"quarantine"` for outcomes),
/// no raw value mapped twice under spellings that compare equal.
pub fn check_values(source: &SourceConfig) -> std::result::Result<(), ValueMappingError> {
    for (&field, m) in &source.values {
        if !ENUM_FIELDS.contains(&field) {
            return Err(ValueMappingError::NoEffect { field });
        }
        let mut seen: BTreeMap<String, (&str, &str)> = BTreeMap::new();
        for (raw, canon) in m {
            if raw.trim() == ANY {
                if field == Field::Outcome && canon.trim() == QUARANTINE {
                    continue;
                }
                if !is_canonical(field, canon) {
                    return Err(ValueMappingError::BadFallback {
                        field,
                        value: canon.clone(),
                    });
                }
                continue;
            }
            if !is_canonical(field, canon) {
                return Err(ValueMappingError::NotCanonical {
                    field,
                    raw: raw.clone(),
                    value: canon.clone(),
                });
            }
            let key = normalise_key(raw);
            if let Some((other, other_canon)) = seen.get(&key) {
                if !canon.trim().eq_ignore_ascii_case(other_canon.trim()) {
                    return Err(ValueMappingError::Conflict {
                        field,
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

/// The message of [`IngestError::UnmappedValues`]: every raw value nothing
/// maps (at most 40 a field) with its count and the TOML line that would map
/// it, field by field, and the `"*"` line that would keep them all.
pub(in crate::ingest) fn unmapped_text(
    desc: &str,
    source_path: &str,
    values: &[UnmappedValue],
) -> String {
    const SHOWN: usize = 40;
    let mut text = format!(
        "{desc}: {} raw value(s) have no mapping, so their records would be counted wrongly (a cleared release as not released, a closed hazard as open). Map each under the [[source]] with path = {}:",
        values.len(),
        toml_string(source_path)
    );
    for field in ENUM_FIELDS {
        let rows: Vec<&UnmappedValue> = values.iter().filter(|u| u.field == field).collect();
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
                if u.raw.trim().is_empty() {
                    " with a blank cell (or set [source.defaults]); keep the one a blank means"
                } else if u.guess.is_some() {
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
fn fallback_name(field: Field) -> &'static str {
    match field {
        Field::Status => "open",
        Field::Classification => "other",
        Field::Outcome => "quarantined",
        _ => "unknown",
    }
}

fn fallback_value(field: Field) -> &'static str {
    match field {
        Field::Status => "open",
        Field::Classification => "other",
        Field::Outcome => QUARANTINE,
        _ => "unknown",
    }
}

/// A TOML basic string holding `s` (quotes, backslashes and control
/// characters escaped).
pub(super) fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

pub(super) fn normalise_key(s: &str) -> String {
    s.trim().to_lowercase()
}
