//! Golden tile cases, in tippecanoe's style: every `tests/cases/tiles-<name>/`
//! folder holds a small input (`hazards.geojson`, optionally
//! `releases.geojson`, canonical property names) and `expected/z<Z>.json`, the
//! decoded tiles of the zooms in [`ZOOMS`] as canonical JSON: tiles by
//! "z/x/y", layers by name, features by id, properties sorted, polygon
//! geometry as polygons of rings of `[x, y]` tile integers (as encoded, no
//! closing vertex), points as `[x, y]` lists.
//!
//! The test builds each case with the zero-config form
//! (`clearmap build --hazards … --releases … --out TMP`) and compares.
//! After a deliberate change to the tiles, regenerate the expectations with
//!
//! ```sh
//! CLEARMAP_BLESS=1 cargo test tile_cases
//! ```
//!
//! and review the diff of `tests/cases/tiles-*/expected/` before committing.

use clearmap::tiles::mvt::{decode_commands, polygons};
use clearmap::tiles::pmtiles::Archive;
use serde_json::{json, Value as Json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The zooms whose tiles are compared.
const ZOOMS: [u8; 3] = [0, 10, 14];

fn cases() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(crate::common::repo().join("tests/cases"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("tiles-"))
        })
        .collect();
    v.sort();
    v
}

/// The tiles of zoom `z` of an archive as canonical JSON.
fn canonical(a: &Archive, z: u8) -> Json {
    let mut tiles = BTreeMap::new();
    for ((tz, x, y), _) in a.tiles().filter(|((tz, _, _), _)| *tz == z) {
        let mut layers = BTreeMap::new();
        for l in a.decoded(tz, x, y).unwrap().unwrap() {
            let mut feats: Vec<(Option<u64>, Json)> = l
                .features
                .iter()
                .map(|f| {
                    let props: BTreeMap<&str, Json> = f
                        .properties
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.to_json()))
                        .collect();
                    let (kind, geometry) = match f.geom_type {
                        3 => ("Polygon", json!(polygons(&f.commands).unwrap())),
                        1 => (
                            "Point",
                            json!(decode_commands(&f.commands)
                                .unwrap()
                                .into_iter()
                                .flat_map(|(pts, _)| pts)
                                .collect::<Vec<_>>()),
                        ),
                        t => panic!("{z}/{x}/{y}: unexpected geometry type {t}"),
                    };
                    (
                        f.id,
                        json!({"id": f.id, "type": kind, "properties": props, "geometry": geometry}),
                    )
                })
                .collect();
            feats.sort_by_key(|(id, _)| *id);
            layers.insert(
                l.name.clone(),
                json!({
                    "extent": l.extent,
                    "version": l.version,
                    "features": feats.into_iter().map(|(_, f)| f).collect::<Vec<_>>(),
                }),
            );
        }
        tiles.insert(format!("{tz}/{x}/{y}"), json!(layers));
    }
    json!(tiles)
}

fn build(case: &Path, out: &Path) {
    let mut cmd = std::process::Command::new(crate::common::bin());
    cmd.args(["build", "--quiet", "--hazards"])
        .arg(case.join("hazards.geojson"));
    if case.join("releases.geojson").is_file() {
        cmd.arg("--releases").arg(case.join("releases.geojson"));
    }
    let o = cmd.arg("--out").arg(out).output().unwrap();
    assert!(
        o.status.success(),
        "{}: {}",
        case.display(),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn tile_cases_match_their_expected_tiles() {
    let bless = std::env::var_os("CLEARMAP_BLESS").is_some_and(|v| v == "1");
    let cases = cases();
    assert!(cases.len() >= 5, "tile cases missing: {cases:?}");
    let mut failures = Vec::new();
    for case in &cases {
        let out = tempfile::tempdir().unwrap();
        build(case, out.path());
        let a = Archive::open(&out.path().join("tiles.pmtiles")).unwrap();
        let expected_dir = case.join("expected");
        for z in ZOOMS {
            let got = canonical(&a, z);
            let file = expected_dir.join(format!("z{z}.json"));
            if bless {
                std::fs::create_dir_all(&expected_dir).unwrap();
                std::fs::write(&file, serde_json::to_string_pretty(&got).unwrap() + "\n").unwrap();
                continue;
            }
            let want: Json = match std::fs::read(&file) {
                Ok(b) => serde_json::from_slice(&b).unwrap(),
                Err(e) => {
                    failures.push(format!("{}: {e}", file.display()));
                    continue;
                }
            };
            if got != want {
                let keys = |v: &Json| {
                    v.as_object()
                        .map(|m| m.keys().cloned().collect::<Vec<_>>())
                        .unwrap_or_default()
                };
                failures.push(format!(
                    "{}: decoded tiles differ (expected tiles {:?}, got {:?}); got:\n{}",
                    file.display(),
                    keys(&want),
                    keys(&got),
                    serde_json::to_string(&got).unwrap()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatch(es); after a deliberate change run `CLEARMAP_BLESS=1 cargo test tile_cases` and review the diff:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
