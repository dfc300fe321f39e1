//! The country config (TOML, docs/design.md "Config") and the zero-config form built
//! from command-line file lists. Unknown keys are errors that name the key, so a
//! typo never silently changes a figure.
//!
//! Owns parsing the file and the keys of the country itself (`country`,
//! `as_of`, `language`, `[basemap]`, `[output]`, `[publish]`); each stage owns the type of
//! its own section ([`SourceConfig`] and [`Limits`] of ingest,
//! [`ReconcileConfig`] of reconcile) and checks it, and [`Config`] assembles
//! them ([`Config::ingest`] hands ingest its part). What is wrong with a
//! config is a [`ConfigError`]; a value [`Config::check`] refuses is a
//! [`ConfigProblem`] (the sections' own: [`SourceConfigError`], [`LimitsError`]).

use crate::ingest::{IngestConfig, Limits, LimitsError, SourceConfig, SourceConfigError};
use crate::model::Role;
use crate::reconcile::ReconcileConfig;
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use std::path::{Path, PathBuf};

mod iso3166;

/// What is wrong with a config file: it cannot be read, it is not TOML of
/// the config's shape, or a value in it is out of range.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Not TOML of the config's shape: a syntax error, or an unknown key,
    /// preset, language, canonical field or `as_of` that serde refused, in
    /// its words with the line.
    #[error("config {path}: {message}")]
    Parse { path: PathBuf, message: String },
    /// Read, but a value is one clearmap cannot use ([`Config::check`]).
    #[error("config {path}: {problem}")]
    Invalid {
        path: PathBuf,
        problem: ConfigProblem,
    },
}

/// A value of a parsed config that [`Config::check`] refuses.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigProblem {
    /// `country` is no ISO 3166-1 alpha-3 code; `means` is the code (and the
    /// country's name) it stands for when it is a name, an alpha-2 code or a
    /// code in lower case.
    #[error("{}", country_message(.given, *.means))]
    Country {
        given: String,
        means: Option<(&'static str, &'static str)>,
    },
    /// `as_of` outside `min ..= max` (tomorrow); `example_year` is last year.
    #[error("as_of = \"{date}\" is outside {min} .. {max} (tomorrow); set it to the last day of the reporting period, e.g. as_of = \"{example_year}-12-31\"")]
    AsOf {
        date: NaiveDate,
        min: NaiveDate,
        max: NaiveDate,
        example_year: i32,
    },
    #[error("no [[source]] with role = \"hazard\": add at least one hazard source")]
    NoHazardSource,
    #[error("[basemap] url = \"{url}\" must be an http(s) tile URL with {{z}}, {{x}} and {{y}}, e.g. \"https://tiles.example.org/{{z}}/{{x}}/{{y}}.png\"")]
    BasemapUrl { url: String },
    #[error("[basemap] tile_size = {tile_size} must be 256 or 512")]
    BasemapTileSize { tile_size: u32 },
    #[error("[reconcile] duplicate_iou must be within 0..1, area_mismatch and min_overlap_m2 not negative")]
    ReconcileThresholds,
    #[error(transparent)]
    Limits(#[from] LimitsError),
    #[error("[output] precision = {precision} is more than 12 decimals")]
    Precision { precision: u8 },
    #[error("[output] minzoom = {minzoom}, maxzoom = {maxzoom}: the zooms must be in order and at most {MAX_TILE_ZOOM} (each zoom above 14 multiplies the tiles by about 4)")]
    Zooms { minzoom: u8, maxzoom: u8 },
    /// The `index`-th `[[source]]` (from 1), of `path`.
    #[error("[[source]] #{index} ({path}): {error}", path = .path.display())]
    Source {
        index: usize,
        path: PathBuf,
        error: SourceConfigError,
    },
}

fn country_message(given: &str, means: Option<(&str, &str)>) -> String {
    match means {
        Some((a3, name)) => format!(
            "country = \"{given}\" is not an ISO 3166-1 alpha-3 code; {name} is country = \"{a3}\""
        ),
        None => format!(
            "country = \"{given}\" is not an ISO 3166-1 alpha-3 code (three capital letters such as \"KHM\" for Cambodia; codes XAA–XZZ are free for a region ISO does not list)"
        ),
    }
}

/// The earliest `as_of` taken: the Ottawa Convention is of 1997, and no
/// mine-action database holds releases from before 1990.
const AS_OF_MIN: (i32, u32, u32) = (1990, 1, 1);

/// Languages of the map page: the six official languages of the Convention.
pub const LANGUAGES: [&str; 6] = ["ar", "zh", "en", "fr", "ru", "es"];

/// A language of the map page (`language = "…"`), one of [`LANGUAGES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(try_from = "String")]
pub enum Language {
    Ar,
    Zh,
    #[default]
    En,
    Fr,
    Ru,
    Es,
}

impl Language {
    pub const ALL: [Language; 6] = [
        Language::Ar,
        Language::Zh,
        Language::En,
        Language::Fr,
        Language::Ru,
        Language::Es,
    ];

    /// The ISO 639-1 code the page and its catalogues are named by.
    pub fn code(self) -> &'static str {
        match self {
            Language::Ar => "ar",
            Language::Zh => "zh",
            Language::En => "en",
            Language::Fr => "fr",
            Language::Ru => "ru",
            Language::Es => "es",
        }
    }
}

impl TryFrom<String> for Language {
    type Error = String;

    fn try_from(code: String) -> std::result::Result<Language, String> {
        Language::ALL
            .into_iter()
            .find(|l| l.code() == code)
            .ok_or_else(|| {
                format!(
                    "language = \"{code}\" is not a language of the map page; use one of {}",
                    LANGUAGES.join(", ")
                )
            })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub country: Option<String>,
    pub name: Option<String>,
    /// Releases dated after this day are ignored.
    #[serde(default, deserialize_with = "de_date")]
    pub as_of: Option<NaiveDate>,
    pub attribution: Option<String>,
    /// Language of the map page; English when absent.
    pub language: Option<Language>,
    /// An optional raster basemap under the map (the page works without one).
    pub basemap: Option<Basemap>,
    #[serde(rename = "source", default)]
    pub sources: Vec<SourceConfig>,
    #[serde(default)]
    pub output: OutputConfig,
    /// Where the bundle is published (`[publish]`).
    #[serde(default)]
    pub publish: PublishConfig,
    /// Thresholds of the reconcile checks.
    #[serde(default)]
    pub reconcile: ReconcileConfig,
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

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputConfig {
    /// Decimal places of GeoJSON coordinates.
    #[serde(default = "default_precision")]
    pub precision: u8,
    /// Lowest zoom of the vector tiles (`--minzoom`).
    #[serde(default)]
    pub minzoom: u8,
    /// Highest zoom of the vector tiles (`--maxzoom`): 14 shows a hazard
    /// to about 10 m a pixel, and MapLibre over-zooms beyond it.
    #[serde(default = "default_maxzoom")]
    pub maxzoom: u8,
}

impl Default for OutputConfig {
    fn default() -> Self {
        OutputConfig {
            precision: default_precision(),
            minzoom: 0,
            maxzoom: default_maxzoom(),
        }
    }
}

/// The highest zoom `maxzoom` may be: each zoom above 14 multiplies the
/// tiles by about 4, and z18 already draws 0.6 m a pixel.
pub const MAX_TILE_ZOOM: u8 = 18;

fn default_maxzoom() -> u8 {
    14
}

impl OutputConfig {
    /// Zooms in order and within 0..=[`MAX_TILE_ZOOM`].
    pub fn check_zooms(&self) -> std::result::Result<(), ConfigProblem> {
        if self.minzoom > self.maxzoom || self.maxzoom > MAX_TILE_ZOOM {
            return Err(ConfigProblem::Zooms {
                minzoom: self.minzoom,
                maxzoom: self.maxzoom,
            });
        }
        Ok(())
    }

    /// Whether the zooms are the defaults (a manifest records them otherwise).
    pub fn default_zooms(&self) -> bool {
        self.minzoom == 0 && self.maxzoom == default_maxzoom()
    }
}

fn default_precision() -> u8 {
    7
}

/// `[publish]`: where the bundle is served from. With `base_url`, tiles.json,
/// style.json and the page name the bundle's files by absolute URLs under
/// it; without, they stay relative (the bundle works from any folder).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishConfig {
    pub base_url: Option<BaseUrl>,
}

/// The URL of the bundle's folder as it is published: http or https, with a
/// host, no query or fragment, ending with `/` (added when missing), so that
/// a file name appended to it names the file in the bundle.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct BaseUrl(String);

impl BaseUrl {
    /// Check `url` and give it its final `/`.
    pub fn parse(url: &str) -> std::result::Result<BaseUrl, String> {
        let bad = |why: &str| {
            Err(format!(
                "base_url = \"{url}\" {why}; give the URL of the bundle's folder, e.g. \"https://maps.example.org/khm/\""
            ))
        };
        let Some(rest) = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
        else {
            return bad("is not an http:// or https:// URL");
        };
        let host = rest.split('/').next().unwrap_or_default();
        if host.is_empty() || host.starts_with(':') || host.contains('@') {
            return bad("names no host");
        }
        // Characters that would end the URL where it is written (an HTML
        // attribute, a `url(...)`) or change what appending a name means.
        if let Some(c) = url
            .chars()
            .find(|c| c.is_whitespace() || c.is_control() || "\"'<>\\`^{}|?#".contains(*c))
        {
            return bad(&format!("holds {c:?}, which a base URL cannot"));
        }
        let mut s = url.to_string();
        if !s.ends_with('/') {
            s.push('/');
        }
        Ok(BaseUrl(s))
    }

    /// The URL, ending with `/`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL of the bundle file `name`.
    pub fn join(&self, name: &str) -> String {
        format!("{}{name}", self.0)
    }
}

impl TryFrom<String> for BaseUrl {
    type Error = String;

    fn try_from(s: String) -> std::result::Result<BaseUrl, String> {
        BaseUrl::parse(&s)
    }
}

impl std::str::FromStr for BaseUrl {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<BaseUrl, String> {
        BaseUrl::parse(s)
    }
}

impl std::fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
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
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut cfg = Config::parse(&text).map_err(|message| ConfigError::Parse {
            path: path.to_path_buf(),
            message,
        })?;
        cfg.base_dir = path
            .parent()
            .map(Path::to_path_buf)
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from("."));
        cfg.path = Some(path.to_path_buf());
        cfg.check().map_err(|problem| ConfigError::Invalid {
            path: path.to_path_buf(),
            problem,
        })?;
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
        let source = |path: &PathBuf, role| SourceConfig::new(path.clone(), role);
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
            publish: PublishConfig::default(),
            basemap: None,
            reconcile: Default::default(),
            limits: Limits::default(),
            base_dir: PathBuf::from("."),
            path: None,
        }
    }

    /// Semantic checks serde cannot express: a hazard source, `as_of`,
    /// `country`, and each section's own checks.
    pub fn check(&self) -> std::result::Result<(), ConfigProblem> {
        if let Some(c) = &self.country {
            check_country(c)?;
        }
        if let Some(d) = self.as_of {
            check_as_of(d, today())?;
        }
        if !self.sources.iter().any(|s| s.role == Role::Hazard) {
            return Err(ConfigProblem::NoHazardSource);
        }
        if let Some(b) = &self.basemap {
            let templated = ["{z}", "{x}", "{y}"].iter().all(|t| b.url.contains(t));
            if !(b.url.starts_with("https://") || b.url.starts_with("http://")) || !templated {
                return Err(ConfigProblem::BasemapUrl { url: b.url.clone() });
            }
            if ![256, 512].contains(&b.tile_size) {
                return Err(ConfigProblem::BasemapTileSize {
                    tile_size: b.tile_size,
                });
            }
        }
        let r = &self.reconcile;
        if !(0.0..=1.0).contains(&r.duplicate_iou)
            || r.area_mismatch < 0.0
            || r.min_overlap_m2 < 0.0
        {
            return Err(ConfigProblem::ReconcileThresholds);
        }
        self.limits.check()?;
        if self.output.precision > 12 {
            return Err(ConfigProblem::Precision {
                precision: self.output.precision,
            });
        }
        self.output.check_zooms()?;
        for (i, s) in self.sources.iter().enumerate() {
            s.check().map_err(|error| ConfigProblem::Source {
                index: i + 1,
                path: s.path.clone(),
                error,
            })?;
        }
        Ok(())
    }

    /// Language of the map page (`language`, else English).
    pub fn language(&self) -> &'static str {
        self.language.unwrap_or_default().code()
    }

    /// Ingest's part: the sources, the limits, the country as a CRS hint, and
    /// where relative paths start.
    pub fn ingest(&self) -> IngestConfig<'_> {
        IngestConfig {
            sources: &self.sources,
            limits: self.limits,
            country: self.country.as_deref(),
            base_dir: &self.base_dir,
            config_path: self.path.as_deref(),
            progress: crate::progress::Progress::none(),
        }
    }

    /// A source path resolved against the config's directory.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        self.ingest().resolve(p)
    }
}

impl<'a> From<&'a Config> for IngestConfig<'a> {
    fn from(cfg: &'a Config) -> IngestConfig<'a> {
        cfg.ingest()
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
fn check_as_of(d: NaiveDate, today: NaiveDate) -> std::result::Result<(), ConfigProblem> {
    let (y, m, day) = AS_OF_MIN;
    let min = NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default();
    let max = today.succ_opt().unwrap_or(today);
    if d < min || d > max {
        return Err(ConfigProblem::AsOf {
            date: d,
            min,
            max,
            example_year: today.year() - 1,
        });
    }
    Ok(())
}

/// A country name compared as its letters and digits, in lower case.
fn compact(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
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
pub fn check_country(c: &str) -> std::result::Result<(), ConfigProblem> {
    if iso3166::COUNTRIES.iter().any(|(a3, _, _)| *a3 == c) || is_user_assigned(c) {
        return Ok(());
    }
    let key = compact(c);
    let by_name = iso3166::COUNTRIES.iter().find(|(a3, a2, names)| {
        a3.eq_ignore_ascii_case(c.trim())
            || a2.eq_ignore_ascii_case(c.trim())
            || names.iter().any(|n| !key.is_empty() && compact(n) == key)
    });
    Err(ConfigProblem::Country {
        given: c.to_string(),
        means: by_name.map(|(a3, _, names)| (*a3, names.first().copied().unwrap_or(a3))),
    })
}

#[cfg(test)]
mod tests;
