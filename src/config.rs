//! The country config (TOML, docs/design.md "Config") and the zero-config form built
//! from command-line file lists. Unknown keys are errors that name the key, so a
//! typo never silently changes a figure.

use crate::error::{Error, Result};
use crate::model::Role;
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

mod iso3166;

/// The earliest `as_of` taken: the Ottawa Convention is of 1997, and no
/// mine-action database holds releases from before 1990.
const AS_OF_MIN: (i32, u32, u32) = (1990, 1, 1);

/// The CSV field separators a source can name with `separator`.
pub const SEPARATORS: &[&str] = &[",", ";", "|", "\t"];

/// Canonical field names a source can map (`[source.fields]`, `[source.defaults]`).
pub const CANONICAL_FIELDS: [&str; 9] = [
    "id",
    "classification",
    "status",
    "contamination",
    "region",
    "hazard_ids",
    "outcome",
    "date",
    "area_reported_m2",
];

/// Languages of the map page: the six official languages of the Convention.
pub const LANGUAGES: [&str; 6] = ["ar", "zh", "en", "fr", "ru", "es"];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub country: Option<String>,
    pub name: Option<String>,
    /// Releases dated after this day are ignored.
    #[serde(default, deserialize_with = "de_date")]
    pub as_of: Option<NaiveDate>,
    pub attribution: Option<String>,
    /// Language of the map page: one of [`LANGUAGES`]; English when absent.
    pub language: Option<String>,
    /// An optional raster basemap under the map (the page works without one).
    pub basemap: Option<Basemap>,
    #[serde(rename = "source", default)]
    pub sources: Vec<SourceConfig>,
    #[serde(default)]
    pub output: OutputConfig,
    /// Thresholds of the reconcile checks.
    #[serde(default)]
    pub reconcile: crate::reconcile::ReconcileConfig,
    /// Resource limits on inputs (`[limits]`).
    #[serde(default)]
    pub limits: Limits,
    /// Directory that relative source paths are resolved against (the config's).
    #[serde(skip)]
    pub base_dir: PathBuf,
    /// The config file itself, for messages; `None` for the zero-config form.
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    pub path: PathBuf,
    pub layer: Option<String>,
    pub role: Role,
    pub preset: Option<String>,
    pub crs: Option<String>,
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
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// canonical field → (raw value = canonical value)
    #[serde(default)]
    pub values: BTreeMap<String, BTreeMap<String, String>>,
    /// canonical field = constant value, for fields the source lacks
    #[serde(default)]
    pub defaults: BTreeMap<String, toml::Value>,
}

/// `[basemap]`: raster tiles drawn under the hazards, e.g.
/// `url = "https://tiles.example.org/{z}/{x}/{y}.png"`. A vector basemap needs
/// a style of its own and is not offered here.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Basemap {
    /// XYZ tile URL template with `{z}`, `{x}` and `{y}`.
    pub url: String,
    pub attribution: Option<String>,
    #[serde(default = "default_tile_size")]
    pub tile_size: u32,
}

fn default_tile_size() -> u32 {
    256
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputConfig {
    /// Decimal places of GeoJSON coordinates.
    #[serde(default = "default_precision")]
    pub precision: u8,
}

impl Default for OutputConfig {
    fn default() -> Self {
        OutputConfig {
            precision: default_precision(),
        }
    }
}

fn default_precision() -> u8 {
    7
}

/// Resource limits on inputs (`[limits]`): what a hostile or broken export can
/// make clearmap allocate. Each is named in the error it causes, so a user
/// with a genuinely large export knows which key to raise.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Vertices of one geometry; a record over it is quarantined
    /// (GEOMETRY_TOO_LARGE).
    #[serde(default = "default_max_vertices")]
    pub max_vertices: u64,
    /// Size in MB (MiB) of a file in a format GDAL reads whole into memory
    /// (GeoJSON, KML, CSV, XLSX).
    #[serde(default = "default_max_file_mb")]
    pub max_file_mb: u64,
    /// Total uncompressed size in MB (MiB) of a zip's entries.
    #[serde(default = "default_max_zip_mb")]
    pub max_zip_uncompressed_mb: u64,
    /// Uncompressed / compressed size of a zip (and of each entry).
    #[serde(default = "default_max_zip_ratio")]
    pub max_zip_ratio: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_vertices: default_max_vertices(),
            max_file_mb: default_max_file_mb(),
            max_zip_uncompressed_mb: default_max_zip_mb(),
            max_zip_ratio: default_max_zip_ratio(),
        }
    }
}

fn default_max_vertices() -> u64 {
    1_000_000
}

fn default_max_file_mb() -> u64 {
    2048
}

fn default_max_zip_mb() -> u64 {
    4096
}

fn default_max_zip_ratio() -> f64 {
    100.0
}

fn de_date<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<NaiveDate>, D::Error> {
    // TOML has a native date type; accept it and the quoted ISO form alike.
    let v = Option::<toml::Value>::deserialize(d)?;
    match v {
        None => Ok(None),
        Some(toml::Value::String(s)) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                serde::de::Error::custom(format!(
                    "as_of = \"{s}\" is not a date like \"2025-12-31\""
                ))
            }),
        Some(toml::Value::Datetime(dt)) => {
            let s = dt.to_string();
            NaiveDate::parse_from_str(&s[..s.len().min(10)], "%Y-%m-%d")
                .map(Some)
                .map_err(|_| {
                    serde::de::Error::custom(format!("as_of = {s} is not a date like 2025-12-31"))
                })
        }
        Some(other) => Err(serde::de::Error::custom(format!(
            "as_of = {other} is not a date like \"2025-12-31\""
        ))),
    }
}

impl Config {
    /// Read and check a config file.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::ConfigRead {
            path: path.to_path_buf(),
            source,
        })?;
        let mut cfg = Config::parse(&text).map_err(|m| Error::config(path, m))?;
        cfg.base_dir = path
            .parent()
            .map(Path::to_path_buf)
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from("."));
        cfg.path = Some(path.to_path_buf());
        cfg.check().map_err(|m| Error::config(path, m))?;
        Ok(cfg)
    }

    /// Parse config text (no file-system checks).
    pub fn parse(text: &str) -> std::result::Result<Config, String> {
        toml::from_str::<Config>(text).map_err(|e| e.to_string().trim_end().to_string())
    }

    /// The zero-config form: canonical property names, paths as given.
    pub fn from_files(
        country: Option<String>,
        hazards: &[PathBuf],
        releases: &[PathBuf],
    ) -> Config {
        let source = |path: &PathBuf, role| SourceConfig {
            path: path.clone(),
            layer: None,
            role,
            preset: None,
            crs: None,
            wkt: None,
            separator: None,
            x: None,
            y: None,
            encoding: None,
            attributes: None,
            date_format: None,
            fields: BTreeMap::new(),
            values: BTreeMap::new(),
            defaults: BTreeMap::new(),
        };
        Config {
            country,
            name: None,
            as_of: None,
            attribution: None,
            language: None,
            sources: hazards
                .iter()
                .map(|p| source(p, Role::Hazard))
                .chain(releases.iter().map(|p| source(p, Role::Release)))
                .collect(),
            output: OutputConfig::default(),
            basemap: None,
            reconcile: Default::default(),
            limits: Limits::default(),
            base_dir: PathBuf::from("."),
            path: None,
        }
    }

    /// Semantic checks serde cannot express: canonical names and values,
    /// presets, a hazard source, `as_of` and `country`.
    pub fn check(&self) -> std::result::Result<(), String> {
        if let Some(c) = &self.country {
            check_country(c)?;
        }
        if let Some(d) = self.as_of {
            check_as_of(d, today())?;
        }
        if !self.sources.iter().any(|s| s.role == Role::Hazard) {
            return Err(
                "no [[source]] with role = \"hazard\": add at least one hazard source".into(),
            );
        }
        if let Some(l) = &self.language {
            if !LANGUAGES.contains(&l.as_str()) {
                return Err(format!(
                    "language = \"{l}\" is not a language of the map page; use one of {}",
                    LANGUAGES.join(", ")
                ));
            }
        }
        if let Some(b) = &self.basemap {
            let templated = ["{z}", "{x}", "{y}"].iter().all(|t| b.url.contains(t));
            if !(b.url.starts_with("https://") || b.url.starts_with("http://")) || !templated {
                return Err(format!(
                    "[basemap] url = \"{}\" must be an http(s) tile URL with {{z}}, {{x}} and {{y}}, e.g. \"https://tiles.example.org/{{z}}/{{x}}/{{y}}.png\"",
                    b.url
                ));
            }
            if ![256, 512].contains(&b.tile_size) {
                return Err(format!(
                    "[basemap] tile_size = {} must be 256 or 512",
                    b.tile_size
                ));
            }
        }
        let r = &self.reconcile;
        if !(0.0..=1.0).contains(&r.duplicate_iou)
            || r.area_mismatch < 0.0
            || r.min_overlap_m2 < 0.0
        {
            return Err("[reconcile] duplicate_iou must be within 0..1, area_mismatch and min_overlap_m2 not negative".into());
        }
        let l = &self.limits;
        if l.max_vertices < 4
            || l.max_file_mb == 0
            || l.max_zip_uncompressed_mb == 0
            || l.max_zip_ratio.is_nan()
            || l.max_zip_ratio < 1.0
        {
            return Err("[limits] max_vertices must be at least 4, max_file_mb and max_zip_uncompressed_mb at least 1, max_zip_ratio at least 1".into());
        }
        if self.output.precision > 12 {
            return Err(format!(
                "[output] precision = {} is more than 12 decimals",
                self.output.precision
            ));
        }
        for (i, s) in self.sources.iter().enumerate() {
            let at = format!("[[source]] #{} ({})", i + 1, s.path.display());
            if let Some(p) = &s.preset {
                if crate::ingest::presets::Preset::by_name(p).is_none() {
                    return Err(format!(
                        "{at}: unknown preset \"{p}\"; known presets: {}",
                        crate::ingest::presets::NAMES.join(", ")
                    ));
                }
            }
            if let Some(sep) = &s.separator {
                if !SEPARATORS.contains(&sep.as_str()) {
                    return Err(format!(
                        "{at}: separator = {sep:?} is not one clearmap reads; use one of \",\", \";\", \"|\" or \"\\t\" (tab)"
                    ));
                }
            }
            if let Some(e) = &s.encoding {
                if encoding_rs::Encoding::for_label(e.trim().as_bytes()).is_none() {
                    return Err(format!(
                        "{at}: encoding = \"{e}\" is not an encoding name clearmap knows; use e.g. encoding = \"windows-1252\""
                    ));
                }
            }
            if let Some(f) = &s.date_format {
                use std::fmt::Write;
                let probe = NaiveDate::from_ymd_opt(2001, 2, 3).expect("valid date");
                let mut shown = String::new();
                // An unknown `%` item makes Display fail, which `to_string` would panic on.
                let written = write!(shown, "{}", probe.format(f)).is_ok();
                if !written || NaiveDate::parse_from_str(&shown, f) != Ok(probe) {
                    return Err(format!(
                        "{at}: date_format = \"{f}\" does not read back a whole date; use chrono syntax such as \"%d/%m/%Y\""
                    ));
                }
            }
            if s.preset.as_deref() == Some("imsma-ng-points") && s.crs.is_none() {
                return Err(format!(
                    "{at}: preset \"imsma-ng-points\" needs the CRS of Xcoord/Ycoord (IMSMA ignores ProjName); add e.g. crs = \"EPSG:32648\" to the [[source]]"
                ));
            }
            for key in s
                .fields
                .keys()
                .chain(s.values.keys())
                .chain(s.defaults.keys())
            {
                if !CANONICAL_FIELDS.contains(&key.as_str()) {
                    if let Some(hint) = geometry_key_hint(key, s) {
                        return Err(format!("{at}: {hint}"));
                    }
                    return Err(format!(
                        "{at}: \"{key}\" is not a canonical field; use one of {}",
                        CANONICAL_FIELDS.join(", ")
                    ));
                }
            }
            crate::ingest::mapping::check_values(s).map_err(|m| format!("{at}: {m}"))?;
            for (key, v) in &s.defaults {
                if !matches!(
                    v,
                    toml::Value::String(_)
                        | toml::Value::Integer(_)
                        | toml::Value::Float(_)
                        | toml::Value::Datetime(_)
                        | toml::Value::Array(_)
                ) {
                    return Err(format!(
                        "{at}: [source.defaults] {key} must be a string, number, date or list"
                    ));
                }
            }
        }
        Ok(())
    }

    /// Language of the map page (`language`, else English).
    pub fn language(&self) -> &str {
        self.language.as_deref().unwrap_or("en")
    }

    /// A source path resolved against the config's directory.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base_dir.join(p)
        }
    }
}

/// Today (UTC) by the system clock.
fn today() -> NaiveDate {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.date_naive())
        .unwrap_or_default()
}

/// `as_of` must lie within 1990-01-01 ..= tomorrow: anything else is a typo
/// (`0000-01-01`, `2205-12-31`) that would count no release or every one.
fn check_as_of(d: NaiveDate, today: NaiveDate) -> std::result::Result<(), String> {
    let (y, m, day) = AS_OF_MIN;
    let min = NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default();
    let max = today.succ_opt().unwrap_or(today);
    if d < min || d > max {
        return Err(format!(
            "as_of = \"{d}\" is outside {min} .. {max} (tomorrow); set it to the last day of the reporting period, e.g. as_of = \"{}-12-31\"",
            today.year() - 1
        ));
    }
    Ok(())
}

/// Whether a code is one ISO 3166-1 leaves to users (AAA–AAZ, QMA–QZZ,
/// XAA–XZZ, ZZA–ZZZ), such as `XKX` or a synthetic country's `XEX`.
fn is_user_assigned(c: &str) -> bool {
    let b = c.as_bytes();
    b.len() == 3
        && b.iter().all(u8::is_ascii_uppercase)
        && match (b[0], b[1]) {
            (b'A', b'A') | (b'X', _) | (b'Z', b'Z') => true,
            (b'Q', m) => m >= b'M',
            _ => false,
        }
}

/// `country` must be an ISO 3166-1 alpha-3 code (upper case) or a
/// user-assigned one; a country name, an alpha-2 code or a lower-case code
/// gets the code it stands for in the message.
pub fn check_country(c: &str) -> std::result::Result<(), String> {
    if iso3166::COUNTRIES.iter().any(|(a3, _, _)| *a3 == c) || is_user_assigned(c) {
        return Ok(());
    }
    let key = crate::ingest::presets::compact(c);
    let by_name = iso3166::COUNTRIES.iter().find(|(a3, a2, names)| {
        a3.eq_ignore_ascii_case(c.trim())
            || a2.eq_ignore_ascii_case(c.trim())
            || names
                .iter()
                .any(|n| !key.is_empty() && crate::ingest::presets::compact(n) == key)
    });
    Err(match by_name {
        Some((a3, _, names)) => format!(
            "country = \"{c}\" is not an ISO 3166-1 alpha-3 code; {} is country = \"{a3}\"",
            names.first().copied().unwrap_or(a3)
        ),
        None => format!(
            "country = \"{c}\" is not an ISO 3166-1 alpha-3 code (three capital letters such as \"KHM\" for Cambodia; codes XAA–XZZ are free for a region ISO does not list)"
        ),
    })
}

/// A geometry column named under `[source.fields]` (a natural first guess)
/// belongs on the `[[source]]` itself as `wkt` or `x`/`y`: say so instead of
/// listing the canonical fields, which hold attributes only.
fn geometry_key_hint(key: &str, s: &SourceConfig) -> Option<String> {
    let column = s
        .fields
        .get(key)
        .map(String::as_str)
        .unwrap_or("COLUMN")
        .replace('"', "\\\"");
    let k = key.to_ascii_lowercase();
    let target = match k.as_str() {
        "geometry" | "geom" | "wkt" | "the_geom" | "shape" | "wkt_geometry" => "wkt",
        "x" | "lon" | "long" | "lng" | "longitude" | "easting" | "east" | "xcoord" => "x",
        "y" | "lat" | "latitude" | "northing" | "north" | "ycoord" => "y",
        _ => return None,
    };
    let other = match target {
        "wkt" => "; for point coordinates in two columns use x = \"COLUMN\" and y = \"COLUMN\""
            .to_string(),
        "x" => " with y = \"COLUMN\" for the other coordinate".to_string(),
        _ => " with x = \"COLUMN\" for the other coordinate".to_string(),
    };
    Some(format!(
        "[source.fields] {key} names a geometry column, which [source.fields] does not map; put {target} = \"{column}\" on the [[source]] itself (above [source.fields]){other}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_design_example() {
        let cfg = Config::parse(
            r#"
country = "KHM"
name = "Cambodia"
as_of = "2025-12-31"
[[source]]
path = "exports/hazards.geojson"
role = "hazard"
crs = "EPSG:32648"
[source.fields]
id = "HZ_Hazardl"
[source.values.status]
Expired = "closed"
[source.defaults]
classification = "SHA"
"#,
        )
        .unwrap();
        assert_eq!(cfg.as_of, NaiveDate::from_ymd_opt(2025, 12, 31));
        assert_eq!(cfg.sources[0].fields["id"], "HZ_Hazardl");
        assert_eq!(cfg.sources[0].values["status"]["Expired"], "closed");
        cfg.check().unwrap();
    }

    #[test]
    fn unknown_key_is_named() {
        let err = Config::parse("country = \"X\"\ncolour = \"red\"\n").unwrap_err();
        assert!(err.contains("colour"), "{err}");
    }

    #[test]
    fn unknown_canonical_field_is_named() {
        let cfg = Config::parse(
            "[[source]]\npath = \"a.geojson\"\nrole = \"hazard\"\n[source.fields]\nstatuss = \"S\"\n",
        )
        .unwrap();
        let err = cfg.check().unwrap_err();
        assert!(err.contains("statuss"), "{err}");
    }

    #[test]
    fn language_is_checked_and_defaults_to_english() {
        let hazard = "[[source]]\npath = \"a.geojson\"\nrole = \"hazard\"\n";
        let cfg = Config::parse(hazard).unwrap();
        assert_eq!(cfg.language(), "en");
        let cfg = Config::parse(&format!("language = \"ar\"\n{hazard}")).unwrap();
        cfg.check().unwrap();
        assert_eq!(cfg.language(), "ar");
        let cfg = Config::parse(&format!("language = \"de\"\n{hazard}")).unwrap();
        let err = cfg.check().unwrap_err();
        assert!(
            err.contains("\"de\"") && err.contains("ar, zh, en, fr, ru, es"),
            "{err}"
        );
    }

    #[test]
    fn limits_default_and_override() {
        let cfg = Config::parse("[limits]\nmax_vertices = 50\n").unwrap();
        assert_eq!(cfg.limits.max_vertices, 50);
        assert_eq!(cfg.limits.max_file_mb, 2048);
        assert_eq!(Config::parse("").unwrap().limits, Limits::default());
        let err = Config::parse("[limits]\nmax_vertex = 50\n").unwrap_err();
        assert!(err.contains("max_vertex"), "{err}");
    }

    #[test]
    fn as_of_must_be_a_plausible_day() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert!(check_as_of(d(2025, 12, 31), today).is_ok());
        assert!(check_as_of(d(1990, 1, 1), today).is_ok());
        assert!(check_as_of(d(2026, 3, 11), today).is_ok());
        let err = check_as_of(d(2026, 3, 12), today).unwrap_err();
        assert!(err.contains("as_of = \"2026-03-12\""), "{err}");
        let err = check_as_of(d(0, 1, 1), today).unwrap_err();
        assert!(err.contains("1990-01-01"), "{err}");
        // Through the whole check, as Config::load runs it.
        let hazard = "[[source]]\npath = \"a.geojson\"\nrole = \"hazard\"\n";
        let cfg = Config::parse(&format!("as_of = \"0000-01-01\"\n{hazard}")).unwrap();
        assert!(cfg.check().unwrap_err().contains("as_of"));
    }

    #[test]
    fn country_is_an_alpha3_code() {
        for ok in ["KHM", "BIH", "XEX", "XKX", "AAA", "QMZ", "ZZZ"] {
            assert_eq!(check_country(ok), Ok(()), "{ok}");
        }
        let err = check_country("Cambodia").unwrap_err();
        assert!(err.contains("country = \"KHM\""), "{err}");
        let err = check_country("bosnia and herzegovina").unwrap_err();
        assert!(err.contains("\"BIH\""), "{err}");
        assert!(check_country("KH").unwrap_err().contains("\"KHM\""));
        assert!(check_country("khm").unwrap_err().contains("\"KHM\""));
        assert!(check_country("Bolivia").unwrap_err().contains("\"BOL\""));
        for bad in ["ABC", "QAA", "X", "", "KHMR"] {
            assert!(check_country(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn native_toml_date() {
        let cfg = Config::parse("as_of = 2024-06-30\n").unwrap();
        assert_eq!(cfg.as_of, NaiveDate::from_ymd_opt(2024, 6, 30));
    }
}
