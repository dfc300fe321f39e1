//! The map page of a bundle: `index.html` with its script and stylesheet,
//! `style.json` (from `styles/clearmap.json`) and the browser libraries it
//! runs on (MapLibre GL JS, PMTiles), with their licence files.
//!
//! The page's text comes from message catalogues, one per official language
//! of the Convention (`web/i18n/<lang>.json`, staged as `i18n/<lang>.json`).
//! `page.js`, written per bundle, hands the page the configured language and
//! the six catalogues as a script, so that even a page opened from `file://`
//! (where it may not fetch) can say in its language that it must be served;
//! `?lang=xx` in the page's URL overrides the configured language.
//!
//! Everything is compiled into the binary, so a bundle is self-contained:
//! the page makes no request outside the directory it is served from.

use super::atomic::Staging;
use crate::error::{Error, Result};
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
    ("i18n/ar.json", include_bytes!("../../web/i18n/ar.json")),
    ("i18n/zh.json", include_bytes!("../../web/i18n/zh.json")),
    ("i18n/en.json", include_bytes!("../../web/i18n/en.json")),
    ("i18n/fr.json", include_bytes!("../../web/i18n/fr.json")),
    ("i18n/ru.json", include_bytes!("../../web/i18n/ru.json")),
    ("i18n/es.json", include_bytes!("../../web/i18n/es.json")),
];

/// Stage the page files for the bundle directory `out`, with `page.js` naming
/// the page's `language` (one of [`crate::config::LANGUAGES`]).
pub fn write_page(
    staging: &mut Staging,
    out: &Path,
    language: &str,
    basemap: Option<&crate::config::Basemap>,
) -> Result<()> {
    let i18n = out.join("i18n");
    std::fs::create_dir_all(&i18n).map_err(|source| Error::Output { path: i18n, source })?;
    for (name, bytes) in FILES {
        if *name == "style.json" {
            if let Some(b) = basemap {
                let style = with_basemap(b);
                staging.write(&out.join(name), |w| w.write_all(style.as_bytes()))?;
                continue;
            }
        }
        staging.write(&out.join(name), |w| w.write_all(bytes))?;
    }
    let script = page_script(language);
    staging.write(&out.join("page.js"), |w| w.write_all(script.as_bytes()))
}

/// The style with a raster `basemap` source and layer drawn right above the
/// background, under every clearmap layer.
fn with_basemap(b: &crate::config::Basemap) -> String {
    let mut style: serde_json::Value =
        serde_json::from_str(include_str!("../../styles/clearmap.json"))
            .expect("the style is JSON");
    let mut source = serde_json::json!({
        "type": "raster",
        "tiles": [b.url],
        "tileSize": b.tile_size,
    });
    if let Some(a) = &b.attribution {
        source["attribution"] = serde_json::Value::from(a.as_str());
    }
    style["sources"]["basemap"] = source;
    if let Some(layers) = style["layers"].as_array_mut() {
        let at = layers
            .iter()
            .position(|l| l["type"] == "background")
            .map_or(0, |i| i + 1);
        layers.insert(
            at,
            serde_json::json!({"id": "basemap", "type": "raster", "source": "basemap"}),
        );
    }
    let mut s = serde_json::to_string_pretty(&style).expect("a JSON value serialises");
    s.push('\n');
    s
}

/// `page.js`: `window.clearmapPage = {"language": ..., "catalogues": {...}}`.
/// The catalogues are JSON, which is a JavaScript expression as it stands.
fn page_script(language: &str) -> String {
    let mut s = String::from(
        "// Written by clearmap build: the page's language and its message catalogues (i18n/*.json).\n",
    );
    s.push_str("window.clearmapPage = {\"language\": ");
    s.push_str(&serde_json::Value::from(language).to_string());
    s.push_str(", \"catalogues\": {");
    for (i, (name, bytes)) in FILES
        .iter()
        .filter(|(n, _)| n.starts_with("i18n/"))
        .enumerate()
    {
        let lang = name.trim_start_matches("i18n/").trim_end_matches(".json");
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!("\n\"{lang}\": "));
        s.push_str(
            std::str::from_utf8(bytes)
                .expect("catalogues are UTF-8")
                .trim_end(),
        );
    }
    s.push_str("\n}};\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_every_page_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut staging = Staging::new();
        write_page(&mut staging, dir.path(), "ar", None).unwrap();
        staging.commit().unwrap();
        let script = std::fs::read_to_string(dir.path().join("page.js")).unwrap();
        let json = script
            .split_once("window.clearmapPage = ")
            .and_then(|(_, rest)| rest.trim_end().strip_suffix(';'))
            .expect("page.js assigns window.clearmapPage");
        let page: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(page["language"], "ar");
        for lang in crate::config::LANGUAGES {
            assert!(
                page["catalogues"][lang]["legend.heading"].is_string(),
                "{lang}"
            );
        }
        for (name, bytes) in FILES {
            assert_eq!(
                &std::fs::read(dir.path().join(name)).unwrap(),
                bytes,
                "{name}"
            );
        }
    }

    #[test]
    fn basemap_goes_under_every_clearmap_layer() {
        let b = crate::config::Basemap {
            url: "https://tiles.example.org/{z}/{x}/{y}.png".into(),
            attribution: Some("© Example".into()),
            tile_size: 256,
        };
        let style: serde_json::Value = serde_json::from_str(&with_basemap(&b)).unwrap();
        assert_eq!(style["sources"]["basemap"]["tiles"][0], b.url.as_str());
        assert_eq!(style["sources"]["basemap"]["attribution"], "© Example");
        let ids: Vec<&str> = style["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["id"].as_str().unwrap())
            .collect();
        let bg = style["layers"]
            .as_array()
            .unwrap()
            .iter()
            .position(|l| l["type"] == "background")
            .unwrap();
        assert_eq!(ids[bg + 1], "basemap", "{ids:?}");
        assert!(style["sources"]["clearmap"].is_object());
    }

    #[test]
    fn a_catalogue_for_every_language() {
        for lang in crate::config::LANGUAGES {
            let name = format!("i18n/{lang}.json");
            let (_, bytes) = FILES.iter().find(|(n, _)| *n == name).expect(&name);
            let cat: serde_json::Value = serde_json::from_slice(bytes).expect(&name);
            assert!(cat.as_object().is_some_and(|o| !o.is_empty()), "{name}");
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
            "page.js",
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
