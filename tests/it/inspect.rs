//! `clearmap inspect` on both archive formats a build writes: the same tile
//! comes out of tiles.pmtiles and tiles.mbtiles as the same GeoJSON, the
//! summaries list the same tiles per zoom, and a file that is neither is
//! refused by name.

use crate::common::{repo, run, stderr};

fn build(format: &str, out: &std::path::Path) {
    let config = repo().join("data/example/clearmap.toml");
    let o = run(&[
        "build",
        "-q",
        "--format",
        format,
        "--out",
        out.to_str().unwrap(),
        config.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// (zoom, tiles) rows of a summary's per-zoom table.
fn zoom_rows(summary: &str) -> Vec<(u32, u64)> {
    summary
        .lines()
        .skip_while(|l| !l.starts_with("zoom "))
        .skip(1)
        .map_while(|l| {
            let mut w = l.split_whitespace();
            Some((w.next()?.parse().ok()?, w.next()?.parse().ok()?))
        })
        .collect()
}

#[test]
fn mbtiles_and_pmtiles_inspect_alike() {
    let d = tempfile::tempdir().unwrap();
    let (pm, mb) = (d.path().join("pm"), d.path().join("mb"));
    build("pmtiles", &pm);
    build("mbtiles", &mb);
    let (pm, mb) = (pm.join("tiles.pmtiles"), mb.join("tiles.mbtiles"));

    let s_pm = run(&["inspect", pm.to_str().unwrap()]);
    let s_mb = run(&["inspect", mb.to_str().unwrap()]);
    assert!(
        s_pm.status.success() && s_mb.status.success(),
        "{}",
        stderr(&s_mb)
    );
    let s_mb = String::from_utf8_lossy(&s_mb.stdout).into_owned();
    assert!(s_mb.contains("MBTiles"), "{s_mb}");
    assert!(s_mb.contains("format: pbf"), "{s_mb}");
    let rows = zoom_rows(&s_mb);
    assert_eq!(rows, zoom_rows(&String::from_utf8_lossy(&s_pm.stdout)));
    assert!(rows.len() > 5, "{rows:?}");

    // The single z0 tile holds every feature of the example.
    let t_pm = run(&["inspect", pm.to_str().unwrap(), "0/0/0"]);
    let t_mb = run(&["inspect", mb.to_str().unwrap(), "0/0/0"]);
    assert!(t_mb.status.success(), "{}", stderr(&t_mb));
    assert_eq!(t_pm.stdout, t_mb.stdout);
    let fc: serde_json::Value = serde_json::from_slice(&t_mb.stdout).unwrap();
    assert!(!fc["features"].as_array().unwrap().is_empty());

    // A tile the grid has but the archive does not: a clear error.
    let missing = run(&["inspect", mb.to_str().unwrap(), "14/0/0"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).contains("has no tile 14/0/0"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn a_file_that_is_no_archive_is_named() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("tiles.json");
    std::fs::write(&f, "{}").unwrap();
    let o = run(&["inspect", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("tiles.json") && e.contains("neither a PMTiles archive nor an MBTiles database"),
        "{e}"
    );
}
