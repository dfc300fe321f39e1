//! manifest.json: what a bundle was built from, so that a rerun on the same
//! inputs can skip the build (incremental builds for CI and batch runs).
//!
//! The manifest names the clearmap version, the config file's sha256, the
//! sha256 of every file a source is made of (a shapefile's sidecars too;
//! `ingest::fingerprints`, hashed once per build straight from the config's
//! paths, before anything is read, and listed again as summary.json's
//! `inputs`) and the command-line options that change outputs. A bundle is up to date when
//! its manifest equals the one the current inputs give and every bundle file
//! is present.

use crate::config::Config;
use crate::error::Result;
use crate::ingest::{hex, InputFile};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

pub const FILE: &str = "manifest.json";

/// Files a complete bundle holds (besides the manifest).
pub const BUNDLE_FILES: [&str; 7] = [
    "hazards.geojson",
    "releases.geojson",
    "summary.json",
    "report.json",
    "defects.geojson",
    "report.csv",
    "report.html",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub clearmap_version: String,
    /// sha256 of the config file; `None` for the zero-config form.
    pub config_sha256: Option<String>,
    /// Every source file, in config order.
    pub inputs: Vec<Fingerprint>,
    /// Options outside the config that change outputs.
    pub options: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub path: String,
    pub sha256: String,
}

impl From<InputFile> for Fingerprint {
    fn from(f: InputFile) -> Self {
        Fingerprint {
            path: f.path,
            sha256: f.sha256,
        }
    }
}

impl Manifest {
    /// The manifest of `cfg` with the fingerprints of its sources as they
    /// are on disk now (`ingest::fingerprints`); the config file is hashed here.
    pub fn of(cfg: &Config, inputs: &[InputFile]) -> Result<Manifest> {
        let config_sha256 = match &cfg.path {
            Some(p) => {
                let bytes = std::fs::read(p).map_err(|e| crate::config::ConfigError::Read {
                    path: p.clone(),
                    source: e,
                })?;
                Some(hex(&Sha256::digest(&bytes)))
            }
            None => None,
        };
        let inputs = inputs.iter().cloned().map(Fingerprint::from).collect();
        let mut options = BTreeMap::new();
        if cfg.path.is_none() {
            // The zero-config form has no config file: what it would hold.
            options.insert("country".into(), cfg.country.clone().unwrap_or_default());
            let roles: Vec<String> = cfg
                .sources
                .iter()
                .map(|s| format!("{}={}", s.role.as_str(), s.path.display()))
                .collect();
            options.insert("sources".into(), roles.join(";"));
        }
        Ok(Manifest {
            clearmap_version: env!("CARGO_PKG_VERSION").to_string(),
            config_sha256,
            inputs,
            options,
        })
    }

    /// The manifest of the bundle in `dir`, if it has a readable one.
    pub fn read(dir: &Path) -> Option<Manifest> {
        let bytes = std::fs::read(dir.join(FILE)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Whether the bundle in `dir` was built from exactly these inputs and is whole.
    pub fn is_current(&self, dir: &Path) -> bool {
        Manifest::read(dir).as_ref() == Some(self)
            && BUNDLE_FILES.iter().all(|f| dir.join(f).is_file())
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The manifest of `cfg` as a build makes it.
    fn manifest(cfg: &Config) -> Manifest {
        Manifest::of(cfg, &crate::ingest::fingerprints(cfg).unwrap()).unwrap()
    }

    #[test]
    fn manifest_changes_with_a_source_byte() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("h.geojson");
        std::fs::write(&src, b"{\"type\":\"FeatureCollection\",\"features\":[]}").unwrap();
        let cfg = Config::from_files(Some("XEX".into()), std::slice::from_ref(&src), &[]);
        let a = manifest(&cfg);
        assert_eq!(a, manifest(&cfg));
        std::fs::write(&src, b"{\"type\":\"FeatureCollection\",\"features\":[ ]}").unwrap();
        let b = manifest(&cfg);
        assert_ne!(a, b);
        let cfg2 = Config::from_files(Some("XEY".into()), &[src], &[]);
        assert_ne!(b, manifest(&cfg2), "options count");
    }

    #[test]
    fn manifest_changes_with_a_sidecar_byte() {
        // Not a shapefile GDAL opens: its sidecars are found by name.
        let dir = tempfile::tempdir().unwrap();
        let shp = dir.path().join("h.shp");
        for ext in ["shp", "shx", "dbf", "prj"] {
            std::fs::write(shp.with_extension(ext), ext).unwrap();
        }
        let cfg = Config::from_files(Some("XEX".into()), std::slice::from_ref(&shp), &[]);
        let a = manifest(&cfg);
        let names: Vec<&str> = a.inputs.iter().map(|f| f.path.as_str()).collect();
        let shown = |e: &str| shp.with_extension(e).display().to_string();
        assert_eq!(
            names,
            [shown("shp"), shown("dbf"), shown("prj"), shown("shx")]
        );
        std::fs::write(shp.with_extension("dbf"), "dbf2").unwrap();
        assert_ne!(a, manifest(&cfg));
    }
}
