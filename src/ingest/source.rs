//! One `[[source]]` of the config: ingest's own section, read by serde and
//! checked here ([`SourceConfig::check`]) for what serde cannot say.

use super::error::SourceConfigError;
use super::field::{de_fields, Field};
use super::mapping::check_values;
use super::presets::Preset;
use crate::model::Role;
use chrono::NaiveDate;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The CSV field separators a source can name with `separator`.
const SEPARATORS: &[&str] = &[",", ";", "|", "\t"];

#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    pub path: PathBuf,
    pub layer: Option<String>,
    pub role: Role,
    pub preset: Option<Preset>,
    pub crs: Option<String>,
    /// `crs` replaces a CRS the file declares that is wrong: without it, a
    /// `crs` that puts the records elsewhere than the file's own CRS stops
    /// the build (`datum.rs`).
    #[serde(default)]
    pub crs_overrides_file: bool,
    /// CSV: the column holding WKT geometry (else GDAL's usual names are tried).
    pub wkt: Option<String>,
    /// CSV and the point template: the column of X / easting / longitude.
    pub x: Option<String>,
    /// CSV and the point template: the column of Y / northing / latitude.
    pub y: Option<String>,
    /// CSV: the field separator, one of ",", ";", "|" or "\t" (tab); GDAL
    /// itself recognises only comma, semicolon, tab and space.
    pub separator: Option<String>,
    /// Text encoding of CSV and shapefile attributes when not UTF-8, e.g.
    /// "windows-1252".
    pub encoding: Option<String>,
    /// Point template: the table of polygon attributes joined on the polygon id
    /// (relative to the config file).
    pub attributes: Option<PathBuf>,
    /// chrono format of ambiguous dates such as "03/04/2021", e.g. "%d/%m/%Y".
    pub date_format: Option<String>,
    /// canonical field = source column
    #[serde(default, deserialize_with = "de_fields")]
    pub fields: BTreeMap<Field, String>,
    /// canonical field → (raw value = canonical value)
    #[serde(default)]
    pub values: BTreeMap<Field, BTreeMap<String, String>>,
    /// canonical field = constant value, for fields the source lacks
    #[serde(default)]
    pub defaults: BTreeMap<Field, toml::Value>,
}

impl SourceConfig {
    /// A source with canonical property names (the zero-config form).
    pub fn new(path: PathBuf, role: Role) -> SourceConfig {
        SourceConfig {
            path,
            layer: None,
            role,
            preset: None,
            crs: None,
            crs_overrides_file: false,
            wkt: None,
            x: None,
            y: None,
            separator: None,
            encoding: None,
            attributes: None,
            date_format: None,
            fields: BTreeMap::new(),
            values: BTreeMap::new(),
            defaults: BTreeMap::new(),
        }
    }

    /// Checks serde cannot express: the separator, encoding and date format
    /// are ones clearmap reads, the point template has its CRS, the value
    /// mappings are canonical and the defaults are values.
    pub fn check(&self) -> Result<(), SourceConfigError> {
        if let Some(sep) = &self.separator {
            if !SEPARATORS.contains(&sep.as_str()) {
                return Err(SourceConfigError::Separator {
                    separator: sep.clone(),
                });
            }
        }
        if let Some(e) = &self.encoding {
            if encoding_rs::Encoding::for_label(e.trim().as_bytes()).is_none() {
                return Err(SourceConfigError::Encoding {
                    encoding: e.clone(),
                });
            }
        }
        if let Some(f) = &self.date_format {
            use std::fmt::Write;
            let probe = NaiveDate::from_ymd_opt(2001, 2, 3).unwrap_or_default();
            let mut shown = String::new();
            // An unknown `%` item makes Display fail, which `to_string` would panic on.
            let written = write!(shown, "{}", probe.format(f)).is_ok();
            if !written || NaiveDate::parse_from_str(&shown, f) != Ok(probe) {
                return Err(SourceConfigError::DateFormat { format: f.clone() });
            }
        }
        if self.preset == Some(Preset::NgPoints) && self.crs.is_none() {
            return Err(SourceConfigError::PointsWithoutCrs);
        }
        check_values(self)?;
        for (key, v) in &self.defaults {
            if !matches!(
                v,
                toml::Value::String(_)
                    | toml::Value::Integer(_)
                    | toml::Value::Float(_)
                    | toml::Value::Datetime(_)
                    | toml::Value::Array(_)
            ) {
                return Err(SourceConfigError::Default { field: *key });
            }
        }
        Ok(())
    }
}
