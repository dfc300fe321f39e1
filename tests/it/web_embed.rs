//! Publishing and embedding a bundle: tiles.json valid TileJSON 3.0.0 (its
//! JSON schema, tests/fixtures/tilejson/) with relative URLs and the reason in
//! its description, or absolute URLs under `--base-url` / `[publish]
//! base_url`; style.json's archive URL alike; the attribution escaped, with
//! only `[text](https://…)` links; the embedding module in the bundle. The
//! map drawn from another origin is checked in the browser
//! (scripts/test-browser).

use crate::common::{feature_collection, read_json, repo, run, stderr};
use std::path::{Path, PathBuf};

const ATTRIBUTION: &str =
    "Data: [Mine Action Centre](https://mac.example.org/data) <img src=x onerror=alert(1)> & partners";
const ATTRIBUTION_HTML: &str = "Data: <a href=\"https://mac.example.org/data\" target=\"_blank\" rel=\"noopener\">Mine Action Centre</a> &lt;img src=x onerror=alert(1)&gt; &amp; partners";

/// A config of two small hazards, with the attribution above and `extra`
/// TOML appended.
fn country(dir: &Path, extra: &str) -> PathBuf {
    let square = |x: f64| {
        format!(
            "[[[{x},12],[{x1},12],[{x1},12.01],[{x},12.01],[{x},12]]]",
            x1 = x + 0.01
        )
    };
    let features: Vec<String> = [("H1", "CHA", 105.0), ("H2", "SHA", 105.05)]
        .iter()
        .map(|(id, class, x)| {
            format!(
                r#"{{"type":"Feature","properties":{{"id":"{id}","status":"open","classification":"{class}"}},"geometry":{{"type":"Polygon","coordinates":{}}}}}"#,
                square(*x)
            )
        })
        .collect();
    std::fs::write(dir.join("hazards.geojson"), feature_collection(&features)).unwrap();
    let cfg = dir.join("clearmap.toml");
    std::fs::write(
        &cfg,
        format!(
            "country = \"KHM\"\nattribution = {}\n{extra}\n[[source]]\npath = \"hazards.geojson\"\nrole = \"hazard\"\n",
            toml_string(ATTRIBUTION)
        ),
    )
    .unwrap();
    cfg
}

fn toml_string(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

fn build(cfg: &Path, out: &Path, args: &[&str]) {
    let mut all = vec![
        "build",
        cfg.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ];
    all.extend_from_slice(args);
    let o = run(&all);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// The TileJSON 3.0.0 schema's verdict on `tj`: every error, with its place.
fn schema_errors(tj: &serde_json::Value) -> Vec<String> {
    let schema = read_json(&repo().join("tests/fixtures/tilejson/schema-3.0.0.json"));
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    validator
        .iter_errors(tj)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Whether `url` is an absolute http(s) URL, inside `pmtiles://` or not.
fn is_absolute_http(url: &str) -> bool {
    let inner = url.strip_prefix("pmtiles://").unwrap_or(url);
    inner
        .strip_prefix("https://")
        .or_else(|| inner.strip_prefix("http://"))
        .is_some_and(|rest| !rest.starts_with('/') && rest.contains('/'))
}

#[test]
fn without_a_base_url_the_bundle_is_relative_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = country(dir.path(), "");
    let out = dir.path().join("out");
    build(&cfg, &out, &[]);

    let tj = read_json(&out.join("tiles.json"));
    assert_eq!(schema_errors(&tj), Vec::<String>::new(), "{tj:#}");
    assert_eq!(tj["tiles"][0], "pmtiles://tiles.pmtiles/{z}/{x}/{y}");
    let description = tj["description"].as_str().unwrap();
    assert!(
        description.contains("relative") && description.contains("--base-url"),
        "{description}"
    );
    assert_eq!(tj["attribution"], ATTRIBUTION_HTML);

    let style = read_json(&out.join("style.json"));
    assert_eq!(
        style["sources"]["clearmap"]["url"],
        "pmtiles://tiles.pmtiles"
    );
    assert_eq!(
        style["sources"]["clearmap"]["attribution"],
        ATTRIBUTION_HTML
    );
    let page = std::fs::read_to_string(out.join("page.js")).unwrap();
    assert!(!page.contains("base_url"));
    // The archive's metadata (read by the pmtiles protocol) is escaped too.
    let meta = clearmap::tiles::pmtiles::Archive::open(&out.join("tiles.pmtiles"))
        .unwrap()
        .metadata()
        .unwrap();
    assert_eq!(meta["attribution"], ATTRIBUTION_HTML);

    // The embedding module and the page's script it loads are in the bundle.
    let module = std::fs::read_to_string(out.join("clearmap-map.js")).unwrap();
    assert!(
        module.contains("export async function mount(element"),
        "{module:.200}"
    );
    assert!(out.join("clearmap.js").is_file());
}

#[test]
fn a_base_url_makes_every_url_absolute() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = country(dir.path(), "");
    let out = dir.path().join("out");
    build(&cfg, &out, &["--base-url", "https://maps.example.org/khm"]);

    let tj = read_json(&out.join("tiles.json"));
    assert_eq!(schema_errors(&tj), Vec::<String>::new(), "{tj:#}");
    let tiles = tj["tiles"][0].as_str().unwrap();
    assert_eq!(
        tiles,
        "pmtiles://https://maps.example.org/khm/tiles.pmtiles/{z}/{x}/{y}"
    );
    assert!(is_absolute_http(tiles));
    assert!(!tj["description"].as_str().unwrap().contains("relative"));
    let style = read_json(&out.join("style.json"));
    assert_eq!(
        style["sources"]["clearmap"]["url"],
        "pmtiles://https://maps.example.org/khm/tiles.pmtiles"
    );
    let page = std::fs::read_to_string(out.join("page.js")).unwrap();
    assert!(
        page.contains("\"base_url\": \"https://maps.example.org/khm/\""),
        "{page:.300}"
    );

    // Another base URL is another bundle: not "unchanged".
    build(
        &cfg,
        &out,
        &["--base-url", "https://maps.example.org/other/"],
    );
    let style = read_json(&out.join("style.json"));
    assert_eq!(
        style["sources"]["clearmap"]["url"],
        "pmtiles://https://maps.example.org/other/tiles.pmtiles"
    );
}

#[test]
fn publish_base_url_in_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = country(
        dir.path(),
        "[publish]\nbase_url = \"http://127.0.0.1:8080/bundle/\"\n",
    );
    let out = dir.path().join("out");
    build(&cfg, &out, &[]);
    let tj = read_json(&out.join("tiles.json"));
    assert_eq!(
        tj["tiles"][0],
        "pmtiles://http://127.0.0.1:8080/bundle/tiles.pmtiles/{z}/{x}/{y}"
    );
    // The flag overrides the config.
    build(&cfg, &out, &["--base-url", "https://maps.example.org/khm/"]);
    let tj = read_json(&out.join("tiles.json"));
    assert!(tj["tiles"][0]
        .as_str()
        .unwrap()
        .starts_with("pmtiles://https://maps.example.org/khm/"));
}

#[test]
fn a_base_url_that_is_not_http_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = country(
        dir.path(),
        "[publish]\nbase_url = \"ftp://maps.example.org/\"\n",
    );
    let out = dir.path().join("out");
    let o = run(&[
        "build",
        cfg.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("base_url") && stderr(&o).contains("http"),
        "{}",
        stderr(&o)
    );
    assert!(!out.join("tiles.json").exists());

    let cfg = country(dir.path(), "");
    for bad in [
        "maps.example.org/khm/",
        "https://maps.example.org/?x=1",
        "javascript:alert(1)",
    ] {
        let o = run(&[
            "build",
            cfg.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--base-url",
            bad,
        ]);
        assert_eq!(o.status.code(), Some(2), "{bad}: {}", stderr(&o));
        assert!(stderr(&o).contains("--base-url"), "{}", stderr(&o));
    }
}

#[test]
fn mbtiles_names_no_made_up_host() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = country(dir.path(), "");
    let out = dir.path().join("out");
    let tiles = |args: &[&str]| {
        let mut all = vec![
            "tiles",
            cfg.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--format",
            "mbtiles",
            "-q",
        ];
        all.extend_from_slice(args);
        let o = run(&all);
        assert!(o.status.success(), "{}", stderr(&o));
        read_json(&out.join("tiles.json"))
    };
    let tj = tiles(&[]);
    assert_eq!(schema_errors(&tj), Vec::<String>::new(), "{tj:#}");
    assert_eq!(tj["tiles"][0], "{z}/{x}/{y}.pbf");
    assert!(tj["description"].as_str().unwrap().contains("tile server"));
    assert!(!tj.to_string().contains(".invalid"));

    let tj = tiles(&["--base-url", "https://tiles.example.org/khm"]);
    assert_eq!(schema_errors(&tj), Vec::<String>::new(), "{tj:#}");
    assert_eq!(
        tj["tiles"][0],
        "https://tiles.example.org/khm/{z}/{x}/{y}.pbf"
    );
    assert!(is_absolute_http(tj["tiles"][0].as_str().unwrap()));
}

#[test]
fn the_schema_catches_what_it_should() {
    // The fixture is no empty schema: a null attribution (what tiles.json
    // held before) and a missing `tiles` are errors.
    let bad = serde_json::json!({"tilejson": "3.0.0", "attribution": null, "vector_layers": []});
    let errors = schema_errors(&bad);
    assert!(errors.len() >= 2, "{errors:?}");
}
