//! Tests of the config: parsing, checks and the sections it assembles.

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
    use crate::ingest::Field;
    assert_eq!(cfg.sources[0].fields[&Field::Id], "HZ_Hazardl");
    assert_eq!(cfg.sources[0].values[&Field::Status]["Expired"], "closed");
    cfg.check().unwrap();
}

#[test]
fn unknown_key_is_named() {
    let err = Config::parse("country = \"X\"\ncolour = \"red\"\n").unwrap_err();
    assert!(err.contains("colour"), "{err}");
}

#[test]
fn unknown_canonical_field_is_named() {
    // Read by serde as a field name, so the error points at the line.
    let err = Config::parse(
        "[[source]]\npath = \"a.geojson\"\nrole = \"hazard\"\n[source.fields]\nstatuss = \"S\"\n",
    )
    .unwrap_err();
    assert!(
        err.contains("\"statuss\" is not a canonical field") && err.contains("[source.fields]"),
        "{err}"
    );
}

#[test]
fn language_is_checked_and_defaults_to_english() {
    let hazard = "[[source]]\npath = \"a.geojson\"\nrole = \"hazard\"\n";
    let cfg = Config::parse(hazard).unwrap();
    assert_eq!(cfg.language(), "en");
    let cfg = Config::parse(&format!("language = \"ar\"\n{hazard}")).unwrap();
    cfg.check().unwrap();
    assert_eq!(cfg.language(), "ar");
    let err = Config::parse(&format!("language = \"de\"\n{hazard}")).unwrap_err();
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
    assert!(err.to_string().contains("as_of = \"2026-03-12\""), "{err}");
    let err = check_as_of(d(0, 1, 1), today).unwrap_err();
    assert!(err.to_string().contains("1990-01-01"), "{err}");
    // Through the whole check, as Config::load runs it.
    let hazard = "[[source]]\npath = \"a.geojson\"\nrole = \"hazard\"\n";
    let cfg = Config::parse(&format!("as_of = \"0000-01-01\"\n{hazard}")).unwrap();
    assert!(matches!(cfg.check(), Err(ConfigProblem::AsOf { .. })));
}

#[test]
fn country_is_an_alpha3_code() {
    for ok in ["KHM", "BIH", "XEX", "XKX", "AAA", "QMZ", "ZZZ"] {
        assert_eq!(check_country(ok), Ok(()), "{ok}");
    }
    let err = check_country("Cambodia").unwrap_err();
    assert!(err.to_string().contains("country = \"KHM\""), "{err}");
    let err = check_country("bosnia and herzegovina").unwrap_err();
    assert!(err.to_string().contains("\"BIH\""), "{err}");
    assert!(check_country("KH")
        .unwrap_err()
        .to_string()
        .contains("\"KHM\""));
    assert!(check_country("khm")
        .unwrap_err()
        .to_string()
        .contains("\"KHM\""));
    assert!(check_country("Bolivia")
        .unwrap_err()
        .to_string()
        .contains("\"BOL\""));
    for bad in ["ABC", "QAA", "X", "", "KHMR"] {
        assert!(check_country(bad).is_err(), "{bad}");
    }
}

#[test]
fn languages_are_the_codes_of_the_enum() {
    assert_eq!(Language::ALL.map(Language::code), LANGUAGES);
}

#[test]
fn base_url_is_checked_and_ends_with_a_slash() {
    let ok = |u: &str| BaseUrl::parse(u).map(|b| b.as_str().to_string());
    assert_eq!(
        ok("https://maps.example.org/khm").unwrap(),
        "https://maps.example.org/khm/"
    );
    assert_eq!(
        ok("http://127.0.0.1:8080/").unwrap(),
        "http://127.0.0.1:8080/"
    );
    assert_eq!(
        BaseUrl::parse("https://a.org/b")
            .unwrap()
            .join("tiles.pmtiles"),
        "https://a.org/b/tiles.pmtiles"
    );
    for bad in [
        "ftp://a.org/",
        "maps.example.org/khm/",
        "/khm/",
        "https:///khm/",
        "https://a.org/k hm/",
        "https://a.org/?x=1",
        "https://a.org/#top",
        "https://a.org/\"onload=\"x",
        "javascript:alert(1)",
    ] {
        assert!(BaseUrl::parse(bad).is_err(), "{bad}");
    }
    let cfg = Config::parse("[publish]\nbase_url = \"https://maps.example.org/khm\"\n").unwrap();
    assert_eq!(
        cfg.publish.base_url.map(|b| b.to_string()).as_deref(),
        Some("https://maps.example.org/khm/")
    );
    let err = Config::parse("[publish]\nbase_url = \"file:///srv/khm/\"\n").unwrap_err();
    assert!(err.contains("base_url") && err.contains("http"), "{err}");
    let err = Config::parse("[publish]\nbase = \"https://a.org/\"\n").unwrap_err();
    assert!(err.contains("base"), "{err}");
}

#[test]
fn native_toml_date() {
    let cfg = Config::parse("as_of = 2024-06-30\n").unwrap();
    assert_eq!(cfg.as_of, NaiveDate::from_ymd_opt(2024, 6, 30));
}

#[test]
fn tile_zooms_default_to_0_14_and_must_be_in_order() {
    let hazard = "[[source]]\npath = \"a.geojson\"\nrole = \"hazard\"\n";
    let cfg = Config::parse(hazard).unwrap();
    assert_eq!((cfg.output.minzoom, cfg.output.maxzoom), (0, 14));
    assert!(cfg.output.default_zooms());
    let cfg = Config::parse(&format!("[output]\nminzoom = 4\nmaxzoom = 16\n{hazard}")).unwrap();
    assert!(cfg.check().is_ok() && !cfg.output.default_zooms());
    for bad in ["minzoom = 9\nmaxzoom = 8", "maxzoom = 19"] {
        let cfg = Config::parse(&format!("[output]\n{bad}\n{hazard}")).unwrap();
        let err = cfg.check().unwrap_err().to_string();
        assert!(err.contains("[output] minzoom"), "{err}");
    }
}
