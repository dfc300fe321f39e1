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
//!
//! `clearmap-map.js` is the bundle's embedding module: it loads the page's
//! script (`clearmap.js`) and libraries from the bundle and mounts the map
//! into any element of any page. style.json's `pmtiles://tiles.pmtiles` is
//! relative to style.json; the script makes it absolute against the URL the
//! style was loaded from. With a base URL (`--base-url`, `[publish]
//! base_url`), style.json names the archive by its absolute URL and page.js
//! hands the page the bundle's URL.
//!
//! The config's `attribution` is text: [`attribution_html`] escapes it for
//! the places that show it as HTML (style.json, tiles.json, the archive's
//! metadata, all read by MapLibre's attribution control), and turns only
//! `[text](https://…)` into links.

use super::atomic::Staging;
use super::context::Window;
use super::EmitConfig;
use crate::config::{BaseUrl, Basemap};
use crate::error::{Error, Result};
use serde_json::Value;
use std::path::Path;

/// Files of the page, by name inside the bundle.
pub const FILES: &[(&str, &[u8])] = &[
    ("index.html", include_bytes!("../../web/index.html")),
    ("clearmap.js", include_bytes!("../../web/clearmap.js")),
    (
        "clearmap-map.js",
        include_bytes!("../../web/clearmap-map.js"),
    ),
    ("clearmap.css", include_bytes!("../../web/clearmap.css")),
    (
        "clearmap-map.css",
        include_bytes!("../../web/clearmap-map.css"),
    ),
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

/// What the page's files depend on in the build's config.
#[derive(Debug, Clone, Copy)]
pub struct PageConfig<'a> {
    /// One of [`crate::config::LANGUAGES`].
    pub language: &'a str,
    pub basemap: Option<&'a Basemap>,
    /// The config's attribution, as text.
    pub attribution: Option<&'a str>,
    pub base_url: Option<&'a BaseUrl>,
    /// The window of the tiles' `context` layer, drawn under the rest.
    pub context: Option<Window>,
}

impl<'a> PageConfig<'a> {
    /// The page's part of the emit config.
    pub fn of(cfg: &'a EmitConfig) -> Self {
        PageConfig {
            language: &cfg.language,
            basemap: cfg.basemap.as_ref(),
            attribution: cfg.attribution.as_deref(),
            base_url: cfg.base_url.as_ref(),
            // Corrupt embedded boundaries fail the tiles, written in the
            // same build; the style then simply has no context.
            context: Window::of(cfg.country.as_deref()).ok().flatten(),
        }
    }
}

/// Stage the page files for the bundle directory `out`, with `page.js` naming
/// the page's language (and the bundle's URL, when published at one).
pub fn write_page(staging: &mut Staging, out: &Path, cfg: &PageConfig) -> Result<()> {
    let i18n = out.join("i18n");
    std::fs::create_dir_all(&i18n).map_err(|source| Error::Output { path: i18n, source })?;
    for (name, bytes) in FILES {
        if *name == "style.json" {
            if let Some(style) = style_json(cfg) {
                staging.write(&out.join(name), |w| w.write_all(style.as_bytes()))?;
                continue;
            }
        }
        staging.write(&out.join(name), |w| w.write_all(bytes))?;
    }
    let script = page_script(cfg.language, cfg.base_url);
    staging.write(&out.join("page.js"), |w| w.write_all(script.as_bytes()))
}

/// style.json for `cfg`, or `None` when it is `styles/clearmap.json` as it
/// stands (no basemap, attribution or base URL).
fn style_json(cfg: &PageConfig) -> Option<String> {
    if cfg.basemap.is_none()
        && cfg.attribution.is_none()
        && cfg.base_url.is_none()
        && cfg.context.is_none()
    {
        return None;
    }
    let url = match cfg.base_url {
        Some(base) => format!("pmtiles://{}", base.join("tiles.pmtiles")),
        None => "pmtiles://tiles.pmtiles".to_string(),
    };
    // Explicit source options take precedence in MapLibre over the TileJSON
    // the pmtiles protocol makes of the archive's metadata.
    let attribution = cfg.attribution.map(attribution_html);
    if cfg.basemap.is_none()
        && cfg.context.is_none()
        && STYLE.matches(STYLE_SOURCE_URL).count() == 1
    {
        // The style as written but for its source's lines, so that it reads
        // as styles/clearmap.json does.
        let mut lines = format!("\"url\": {}", Value::from(url));
        if let Some(a) = attribution {
            lines.push_str(&format!(",\n      \"attribution\": {}", Value::from(a)));
        }
        return Some(STYLE.replacen(STYLE_SOURCE_URL, &lines, 1));
    }
    let mut style: Value = serde_json::from_str(STYLE).expect("the style is JSON");
    if let Some(b) = cfg.basemap {
        add_basemap(&mut style, b);
    }
    if let Some(w) = &cfg.context {
        super::context::add_to_style(&mut style, w, &url, cfg.basemap.is_some());
    }
    let source = &mut style["sources"]["clearmap"];
    source["url"] = Value::from(url);
    if let Some(a) = attribution {
        source["attribution"] = Value::from(a);
    }
    let mut s = serde_json::to_string_pretty(&style).expect("a JSON value serialises");
    s.push('\n');
    Some(s)
}

/// The style of every bundle, before the build's own settings.
const STYLE: &str = include_str!("../../styles/clearmap.json");

/// The line of [`STYLE`] that names the archive of its `clearmap` source.
const STYLE_SOURCE_URL: &str = "\"url\": \"pmtiles://tiles.pmtiles\"";

/// The style with a raster `basemap` source and layer drawn right above the
/// background, under every clearmap layer.
fn add_basemap(style: &mut Value, b: &Basemap) {
    let mut source = serde_json::json!({
        "type": "raster",
        "tiles": [b.url],
        "tileSize": b.tile_size,
    });
    if let Some(a) = &b.attribution {
        source["attribution"] = Value::from(attribution_html(a));
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
}

/// The attribution `text` as HTML: every character shown as written (`&`,
/// `<`, `>` and `"` escaped), except `[label](URL)` with an http(s) URL,
/// which becomes a link. Anything else that looks like markup stays text.
pub fn attribution_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        out.push_str(&escape_html(&rest[..open]));
        let tail = &rest[open..];
        match markdown_link(tail) {
            Some((label, url, len)) => {
                out.push_str(&format!(
                    "<a href=\"{}\" target=\"_blank\" rel=\"noopener\">{}</a>",
                    escape_html(url),
                    escape_html(label)
                ));
                rest = &tail[len..];
            }
            None => {
                out.push('[');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(&escape_html(rest));
    out
}

/// `[label](url)` at the start of `s` with a non-empty label and an http(s)
/// URL of no white space: the label, the URL and the length taken.
fn markdown_link(s: &str) -> Option<(&str, &str, usize)> {
    let close = s.find(']')?;
    let label = &s[1..close];
    let after = s[close + 1..].strip_prefix('(')?;
    let end = after.find(')')?;
    let url = &after[..end];
    let http = url.starts_with("https://") || url.starts_with("http://");
    let host = url.split("//").nth(1).is_some_and(|h| !h.is_empty());
    let clean = !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if label.is_empty() || label.contains('[') || !http || !host || !clean {
        return None;
    }
    Some((label, url, close + 2 + end + 1))
}

/// `s` as HTML text or a double-quoted attribute value.
fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// `page.js`: `window.clearmapPage = {"language": ..., "catalogues": {...}}`,
/// with `"base_url"` after the language when the bundle has one. The
/// catalogues are JSON, which is a JavaScript expression as it stands.
fn page_script(language: &str, base_url: Option<&BaseUrl>) -> String {
    let mut s = String::from(
        "// Written by clearmap build: the page's language and its message catalogues (i18n/*.json).\n",
    );
    s.push_str("window.clearmapPage = {\"language\": ");
    s.push_str(&Value::from(language).to_string());
    if let Some(b) = base_url {
        s.push_str(", \"base_url\": ");
        s.push_str(&Value::from(b.as_str()).to_string());
    }
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

    /// The ids of a style's layers, in drawing order.
    fn layer_ids(style: &serde_json::Value) -> Vec<&str> {
        style["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["id"].as_str().unwrap())
            .collect()
    }

    #[test]
    fn writes_every_page_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut staging = Staging::new();
        let cfg = PageConfig {
            language: "ar",
            basemap: None,
            attribution: None,
            base_url: None,
            context: None,
        };
        write_page(&mut staging, dir.path(), &cfg).unwrap();
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
    fn context_goes_under_the_hazards_and_overzooms() {
        let w = Window::of(Some("BIH")).unwrap();
        let cfg = PageConfig {
            language: "en",
            basemap: None,
            attribution: None,
            base_url: None,
            context: w,
        };
        let style: serde_json::Value = serde_json::from_str(&style_json(&cfg).unwrap()).unwrap();
        let ctx = &style["sources"]["context"];
        assert_eq!(ctx["url"], style["sources"]["clearmap"]["url"]);
        assert_eq!(ctx["maxzoom"], 10);
        let ids = layer_ids(&style);
        assert_eq!(&ids[..3], ["background", "context-land", "context-borders"]);
    }

    #[test]
    fn basemap_goes_under_every_clearmap_layer() {
        let b = crate::config::Basemap {
            url: "https://tiles.example.org/{z}/{x}/{y}.png".into(),
            attribution: Some("© Example".into()),
            tile_size: 256,
        };
        let cfg = PageConfig {
            language: "en",
            basemap: Some(&b),
            attribution: None,
            base_url: None,
            context: None,
        };
        let style: serde_json::Value = serde_json::from_str(&style_json(&cfg).unwrap()).unwrap();
        assert_eq!(style["sources"]["basemap"]["tiles"][0], b.url.as_str());
        assert_eq!(style["sources"]["basemap"]["attribution"], "© Example");
        assert_eq!(
            style["sources"]["clearmap"]["url"], "pmtiles://tiles.pmtiles",
            "relative without a base URL"
        );
        let ids = layer_ids(&style);
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
            "clearmap-map.css",
        ] {
            assert!(html.contains(&format!("\"{src}\"")), "{src}");
        }
        assert!(!html.contains("src=\"http") && !html.contains("href=\"//"));
    }

    #[test]
    fn attribution_is_text_with_markdown_links() {
        assert_eq!(
            attribution_html("© Mine Action Centre <img src=x onerror=alert(1)> & \"partners\""),
            "© Mine Action Centre &lt;img src=x onerror=alert(1)&gt; &amp; &quot;partners&quot;"
        );
        assert_eq!(
            attribution_html("Data: [MAC](https://mac.example.org/open?a=1&b=2), 2025"),
            "Data: <a href=\"https://mac.example.org/open?a=1&amp;b=2\" target=\"_blank\" rel=\"noopener\">MAC</a>, 2025"
        );
        // Only http(s) links; the rest stays as written.
        for text in [
            "[x](javascript:alert(1))",
            "[x](data:text/html,hi)",
            "[x](https://)",
            "[](https://a.org/)",
            "[x] (https://a.org/)",
            "[x](https://a.org/ \"t\")",
            "[unclosed",
        ] {
            let html = attribution_html(text);
            assert!(!html.contains("<a"), "{text} -> {html}");
        }
        assert_eq!(
            attribution_html("[<b>x</b>](https://a.org/\"onmouseover=\"y)"),
            "<a href=\"https://a.org/&quot;onmouseover=&quot;y\" target=\"_blank\" rel=\"noopener\">&lt;b&gt;x&lt;/b&gt;</a>"
        );
        // An apostrophe needs no escape: plain attributions are unchanged.
        let plain = "Synthetic example data generated by clearmap's scripts/gen-example.py";
        assert_eq!(attribution_html(plain), plain);
    }

    #[test]
    fn style_with_base_url_and_attribution() {
        let base = BaseUrl::parse("https://maps.example.org/khm").unwrap();
        let cfg = PageConfig {
            language: "en",
            basemap: None,
            attribution: Some("[MAC](https://mac.example.org/) <script>"),
            base_url: Some(&base),
            context: None,
        };
        let style: serde_json::Value = serde_json::from_str(&style_json(&cfg).unwrap()).unwrap();
        let source = &style["sources"]["clearmap"];
        assert_eq!(
            source["url"],
            "pmtiles://https://maps.example.org/khm/tiles.pmtiles"
        );
        assert_eq!(
            source["attribution"],
            "<a href=\"https://mac.example.org/\" target=\"_blank\" rel=\"noopener\">MAC</a> &lt;script&gt;"
        );
        let script = page_script("en", Some(&base));
        assert!(
            script.contains("{\"language\": \"en\", \"base_url\": \"https://maps.example.org/khm/\", \"catalogues\""),
            "{}",
            &script[..200]
        );
        assert!(style_json(&PageConfig {
            base_url: None,
            context: None,
            attribution: None,
            ..cfg
        })
        .is_none());
    }
}
