//! The map page of a bundle: `index.html` with its script and stylesheet,
//! `style.json` (from `styles/clearmap.json`) and the browser libraries it
//! runs on (MapLibre GL JS, PMTiles), with their licence files.
//!
//! Everything is compiled into the binary, so a bundle is self-contained:
//! the page makes no request outside the directory it is served from.

use super::atomic::Staging;
use crate::error::Result;
use std::path::Path;

/// Files of the page, by name inside the bundle.
pub const FILES: &[(&str, &[u8])] = &[
    ("index.html", include_bytes!("../../web/index.html")),
    ("clearmap.js", include_bytes!("../../web/clearmap.js")),
    ("clearmap.css", include_bytes!("../../web/clearmap.css")),
    (
        "style.json",
        include_str!("../../styles/clearmap.json").as_bytes(),
    ),
    (
        "maplibre-gl.js",
        include_bytes!("../../web/vendor/maplibre-gl.js"),
    ),
    (
        "maplibre-gl.css",
        include_bytes!("../../web/vendor/maplibre-gl.css"),
    ),
    (
        "LICENSE-maplibre-gl.txt",
        include_bytes!("../../web/vendor/LICENSE-maplibre-gl.txt"),
    ),
    ("pmtiles.js", include_bytes!("../../web/vendor/pmtiles.js")),
    (
        "LICENSE-pmtiles.txt",
        include_bytes!("../../web/vendor/LICENSE-pmtiles.txt"),
    ),
];

/// Stage the page files for the bundle directory `out`.
pub fn write_page(staging: &mut Staging, out: &Path) -> Result<()> {
    for (name, bytes) in FILES {
        staging.write(&out.join(name), |w| w.write_all(bytes))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_every_page_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut staging = Staging::new();
        write_page(&mut staging, dir.path()).unwrap();
        staging.commit().unwrap();
        for (name, bytes) in FILES {
            assert_eq!(
                &std::fs::read(dir.path().join(name)).unwrap(),
                bytes,
                "{name}"
            );
        }
    }

    #[test]
    fn style_points_at_the_bundle_tiles() {
        let style: serde_json::Value =
            serde_json::from_str(include_str!("../../styles/clearmap.json")).unwrap();
        assert_eq!(style["version"], 8);
        assert_eq!(
            style["sources"]["clearmap"]["url"],
            "pmtiles://tiles.pmtiles"
        );
        assert!(style.get("glyphs").is_none() && style.get("sprite").is_none());
    }

    #[test]
    fn page_loads_only_local_files() {
        let html = std::str::from_utf8(FILES[0].1).unwrap();
        for src in [
            "maplibre-gl.js",
            "maplibre-gl.css",
            "pmtiles.js",
            "clearmap.js",
            "clearmap.css",
        ] {
            assert!(html.contains(&format!("\"{src}\"")), "{src}");
        }
        assert!(!html.contains("src=\"http") && !html.contains("href=\"//"));
    }
}
