//! docs/config.md against the code, so that the reference cannot drift: the
//! keys of each table are exactly the fields serde reads for that section
//! (collected from the derived `Deserialize` itself), each documented default
//! gives the section the code's default, and the lists of canonical fields,
//! values and presets are complete.

use crate::common::{repo, run};
use clearmap::config::{Basemap, Config, OutputConfig, PublishConfig};
use clearmap::ingest::{Field, Limits, SourceConfig};
use clearmap::model::{Classification, Outcome, Status, CONTAMINATION_TYPES};
use clearmap::reconcile::ReconcileConfig;
use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

/// A deserializer that only records the field names a derived
/// `Deserialize` asks for (serde hands them to `deserialize_struct`).
struct FieldNames(RefCell<Vec<&'static str>>);

impl<'de> Deserializer<'de> for &FieldNames {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.borrow_mut().extend_from_slice(fields);
        Err(de::Error::custom("fields collected"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
        byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map
        enum identifier ignored_any
    }
}

fn fields_of<T: DeserializeOwned>() -> BTreeSet<String> {
    let names = FieldNames(RefCell::new(Vec::new()));
    let _ = T::deserialize(&names);
    let fields: BTreeSet<String> = names.0.into_inner().into_iter().map(String::from).collect();
    assert!(
        !fields.is_empty(),
        "{} is a struct",
        std::any::type_name::<T>()
    );
    fields
}

/// A documented table: for each key (first column, in backticks), its cells.
type Table = BTreeMap<String, Vec<String>>;

/// Each `## ` / `### ` heading's first table.
fn tables() -> BTreeMap<String, Table> {
    let text = std::fs::read_to_string(repo().join("docs/config.md")).unwrap();
    let mut out: BTreeMap<String, Table> = BTreeMap::new();
    let mut heading = String::new();
    for line in text.lines() {
        if let Some(h) = line
            .strip_prefix("### ")
            .or_else(|| line.strip_prefix("## "))
        {
            heading = h.trim().to_string();
        } else if let Some(row) = line.strip_prefix('|') {
            // Split on `|` not escaped as `\|`.
            let row = row.replace("\\|", "\u{0}");
            let cells: Vec<String> = row
                .split('|')
                .map(|c| c.trim().replace('\u{0}', "|"))
                .collect();
            let Some(key) = cells[0].strip_prefix('`').and_then(|k| k.strip_suffix('`')) else {
                continue;
            };
            out.entry(heading.clone())
                .or_default()
                .insert(key.to_string(), cells[1..].to_vec());
        }
    }
    out
}

fn keys(t: &Table) -> BTreeSet<String> {
    t.keys().cloned().collect()
}

#[test]
fn every_key_of_every_section_is_documented_and_nothing_else() {
    let t = tables();
    let sections: [(&str, BTreeSet<String>); 7] = [
        ("Top level", fields_of::<Config>()),
        ("`[[source]]`", fields_of::<SourceConfig>()),
        ("`[output]`", fields_of::<OutputConfig>()),
        ("`[publish]`", fields_of::<PublishConfig>()),
        ("`[reconcile]`", fields_of::<ReconcileConfig>()),
        ("`[limits]`", fields_of::<Limits>()),
        ("`[basemap]`", fields_of::<Basemap>()),
    ];
    for (heading, code) in sections {
        let doc = t
            .get(heading)
            .unwrap_or_else(|| panic!("docs/config.md has no {heading}"));
        assert_eq!(
            keys(doc),
            code,
            "{heading}: documented keys vs the keys the config reads"
        );
    }
}

/// A documented default, put in the config, gives the section the code's
/// default: `[output] precision = 7` parses to `OutputConfig::default()`.
#[test]
fn every_documented_default_is_the_code_default() {
    let t = tables();
    let hazard = "[[source]]\npath = \"h.geojson\"\nrole = \"hazard\"\n";
    let base = Config::parse(hazard).unwrap();
    let mut checked = 0;
    for section in ["output", "reconcile", "limits"] {
        for (key, cells) in &t[&format!("`[{section}]`")] {
            let default = cells[1].trim_matches('`');
            let cfg = Config::parse(&format!("[{section}]\n{key} = {default}\n{hazard}"))
                .unwrap_or_else(|e| panic!("[{section}] {key} = {default}: {e}"));
            let same = match section {
                "output" => cfg.output == base.output,
                "reconcile" => cfg.reconcile == base.reconcile,
                _ => cfg.limits == base.limits,
            };
            assert!(
                same,
                "[{section}] {key}: documented default {default} is not the code's"
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "{checked}");
    // [basemap] tile_size, the one default of a section that is optional.
    let cells = &t["`[basemap]`"]["tile_size"];
    let url = "url = \"https://t.example.org/{z}/{x}/{y}.png\"";
    let with = Config::parse(&format!(
        "[basemap]\n{url}\ntile_size = {}\n{hazard}",
        cells[1].trim_matches('`')
    ))
    .unwrap();
    let without = Config::parse(&format!("[basemap]\n{url}\n{hazard}")).unwrap();
    assert_eq!(with.basemap, without.basemap);
    // The top-level language.
    let lang = t["Top level"]["language"][1].trim_matches('`').to_string();
    assert_eq!(lang.trim_matches('"'), base.language());
}

#[test]
fn canonical_fields_values_and_presets_are_complete() {
    let t = tables();
    let fields = keys(&t["`[source.fields]`: the canonical fields"]);
    let code: BTreeSet<String> = Field::ALL.iter().map(|f| f.name().to_string()).collect();
    assert_eq!(fields, code);

    let values = &t["`[source.values.FIELD]`: the canonical values"];
    let listed = |field: &str| -> BTreeSet<String> {
        values[field][0]
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|v| *v != "quarantine" && *v != "\"*\"")
            .map(String::from)
            .collect()
    };
    let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(
        listed("classification"),
        set(&Classification::ALL.map(|c| c.as_str()))
    );
    assert_eq!(listed("status"), set(&Status::ALL.map(|s| s.as_str())));
    assert_eq!(listed("outcome"), set(&Outcome::ALL.map(|o| o.as_str())));
    assert_eq!(listed("contamination"), set(&CONTAMINATION_TYPES));

    // The presets `clearmap presets` lists, one per line.
    let o = run(&["presets"]);
    let text = String::from_utf8_lossy(&o.stdout);
    let presets: BTreeSet<String> = text
        .lines()
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .map(String::from)
        .collect();
    assert_eq!(keys(&t["Presets"]), presets);
}

#[test]
fn the_readme_links_the_reference() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    assert!(readme.contains("docs/config.md"));
}
