//! The presets written out (`clearmap presets`): a line per preset, and one
//! preset as the `[[source]]` tables it is equivalent to, for a user to copy
//! and change.
//!
//! Owns the spelled-out vocabulary: the preset matches raw values on a compact
//! key (and classification by prefix, contamination by keyword, see
//! [`super::presets`]), a config matches whole values ignoring case and
//! surrounding spaces, so the printout lists the spellings exports use.
//! [`SPELLINGS`] is checked against [`Preset::value`] by a test, and the
//! printout against a build with the preset by an integration test.

use super::presets::{Preset, NAMES};
use super::Field;
use crate::model::Role;
use std::fmt::Write;

/// Spellings of the shared IMSMA vocabulary (`imsma-ng-gis`,
/// `imsma-ng-points`, `imsma-core`) that are not canonical values already:
/// (field, raw value, canonical value).
pub const SPELLINGS: &[(&str, &str, &str)] = &[
    ("classification", "Suspected Hazardous Area", "SHA"),
    ("classification", "Suspected", "SHA"),
    ("classification", "Confirmed Hazardous Area", "CHA"),
    ("classification", "Confirmed", "CHA"),
    ("classification", "Minefield", "CHA"),
    ("classification", "Indication of Contamination", "other"),
    ("classification", "EOD Spot", "other"),
    ("classification", "Ammunition Storage", "other"),
    ("classification", "Stockpile", "other"),
    ("status", "Active", "open"),
    ("status", "WorkedOn", "worked_on"),
    ("status", "In Progress", "worked_on"),
    ("status", "InProgress", "worked_on"),
    ("status", "Ongoing", "worked_on"),
    ("status", "Expired", "closed"),
    ("status", "Released", "closed"),
    ("status", "Handed Over", "closed"),
    ("status", "HandedOver", "closed"),
    ("contamination", "AP Mine", "ap_mine"),
    ("contamination", "Anti-personnel mine", "ap_mine"),
    ("contamination", "AV Mine", "av_mine"),
    ("contamination", "AT Mine", "av_mine"),
    ("contamination", "Anti-tank mine", "av_mine"),
    ("contamination", "Anti-vehicle mine", "av_mine"),
    ("contamination", "Cluster munition", "cmr"),
    ("contamination", "Submunition", "cmr"),
    ("contamination", "Unexploded ordnance", "uxo"),
    ("contamination", "Abandoned ordnance", "axo"),
    ("contamination", "Improvised mine", "improvised_mine"),
    ("outcome", "NonTechSurvey", "cancelled"),
    ("outcome", "Non-Technical Survey", "cancelled"),
    ("outcome", "NonTechnicalSurvey", "cancelled"),
    ("outcome", "NTS", "cancelled"),
    ("outcome", "Cancellation", "cancelled"),
    ("outcome", "CancellationReport", "cancelled"),
    ("outcome", "Cancellation Report", "cancelled"),
    ("outcome", "TechSurvey", "reduced"),
    ("outcome", "TechnicalSurvey", "reduced"),
    ("outcome", "Technical Survey", "reduced"),
    ("outcome", "TS", "reduced"),
    ("outcome", "PostTechnicalSurvey", "reduced"),
    ("outcome", "Survey2", "reduced"),
    ("outcome", "Clearance", "cleared"),
    ("outcome", "BAC", "cleared"),
    ("outcome", "EODSpotTask", "cleared"),
    ("outcome", "EOD Spot Task", "cleared"),
    ("outcome", "PostClearance", "cleared"),
    ("outcome", "RoadClearance", "cleared"),
    ("outcome", "Road Clearance", "cleared"),
    ("outcome", "CompletionReport", "cleared"),
    ("outcome", "Completion Report", "cleared"),
];

/// The canonical fields a source of `role` uses, in the order a config lists them.
pub fn role_fields(role: Role) -> &'static [Field] {
    match role {
        Role::Hazard => &[
            Field::Id,
            Field::Classification,
            Field::Status,
            Field::Contamination,
            Field::Region,
            Field::AreaReportedM2,
            Field::Wgs84Lon,
            Field::Wgs84Lat,
        ],
        Role::Release => &[
            Field::Id,
            Field::HazardIds,
            Field::Outcome,
            Field::Date,
            Field::AreaReportedM2,
            Field::Region,
            Field::Wgs84Lon,
            Field::Wgs84Lat,
        ],
    }
}

/// The enumerated fields of a role, whose raw values a config maps.
pub fn role_value_fields(role: Role) -> &'static [&'static str] {
    match role {
        Role::Hazard => &["classification", "status", "contamination"],
        Role::Release => &["outcome"],
    }
}

/// What a preset is for, in one line.
pub fn about(p: Preset) -> &'static str {
    match p {
        Preset::Generic => "canonical column names (id, classification, status …) and canonical values only; the default",
        Preset::NgGis => "IMSMA NG GIS export (IMSMA.gdb layers or their shapefiles) with joined HZ_/HR_ report columns",
        Preset::NgPoints => "IMSMA NG point-import template (PolyID, PointNo, Xcoord, Ycoord …): polygons built from vertex rows",
        Preset::Core => "IMSMA Core (ArcGIS) feature classes: imsma_id, imsma_links, hazard_type, status_ha, activity_type …",
    }
}

/// `clearmap presets`: a line per preset.
pub fn list() -> String {
    let mut out = String::new();
    for name in NAMES {
        if let Some(p) = Preset::by_name(name) {
            let _ = writeln!(out, "{name:<16} {}", about(p));
        }
    }
    out.push_str("\n`clearmap presets NAME` prints one as the TOML it is equivalent to; docs/imsma-fields.md says where each entry comes from.\n");
    out
}

/// A TOML basic string.
fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// `clearmap presets NAME`: the preset as `[[source]]` tables, one per role.
pub fn to_toml(p: Preset) -> String {
    let name = p.name();
    let mut out = String::new();
    let _ = writeln!(out, "# preset = \"{name}\": {}.", about(p));
    match p {
        Preset::Generic => out.push_str(
            "# A column named after a canonical field is read without any [source.fields]\n\
             # line, and only canonical values are known: map the others under\n\
             # [source.values.FIELD]. The lines below, uncommented, change nothing.\n",
        ),
        Preset::NgPoints => out.push_str(
            "# The polygons are built from the template's vertex rows only with\n\
             # preset = \"imsma-ng-points\", so that line stays; the rest is written out.\n",
        ),
        Preset::NgGis | Preset::Core => {
            let _ = writeln!(
                out,
                "# These [[source]] tables, without a preset, map a layer as preset = \"{name}\" does."
            );
        }
    }
    if p != Preset::Generic {
        out.push_str(
            "# Where the preset knows several columns for a field it reads the first the layer\n\
             # has; a config names one (the others are in the comment). A column named under\n\
             # [source.fields] must be in the layer: delete the lines of columns yours lacks.\n\
             # The preset compares values on their letters and digits (classification by\n\
             # prefix, contamination by keyword); a config compares whole values ignoring case,\n\
             # so the usual spellings are listed. Add yours.\n",
        );
    }
    for role in [Role::Hazard, Role::Release] {
        let file = match role {
            Role::Hazard => "hazards.geojson",
            Role::Release => "releases.geojson",
        };
        let _ = writeln!(
            out,
            "\n[[source]]\npath = \"{file}\"   # your file\nrole = \"{}\"",
            role.as_str()
        );
        if p == Preset::NgPoints {
            out.push_str("preset = \"imsma-ng-points\"\ncrs = \"EPSG:NNNN\"   # the CRS of Xcoord/Ycoord: IMSMA ignores ProjName\n# attributes = \"polygons.csv\"   # the table of polygon attributes, joined on PolyID\n");
        }
        out.push_str("\n[source.fields]\n");
        for f in role_fields(role) {
            let field = f.name();
            let columns = p.columns(field, role);
            // The location point checks the CRS and is in some exports
            // only: offered, not required.
            let optional = matches!(f, Field::Wgs84Lon | Field::Wgs84Lat);
            match columns.split_first() {
                Some((first, _)) if optional => {
                    let _ = writeln!(
                        out,
                        "# {field} = {}   # if the export has it: the WGS 84 location point checks the CRS",
                        quoted(first)
                    );
                }
                Some((first, rest)) => {
                    let _ = write!(out, "{field} = {}", quoted(first));
                    if !rest.is_empty() {
                        let others: Vec<String> = rest.iter().map(|c| quoted(c)).collect();
                        let _ = write!(out, "   # or {}", others.join(", or "));
                    }
                    out.push('\n');
                }
                None => {
                    let _ = writeln!(out, "# {field} = {}", quoted(field));
                }
            }
        }
        if p == Preset::Core && role == Role::Release {
            out.push_str("# The preset keeps only the imsma_links tokens that start with \"hazard\" (links\n# to accidents, devices … are dropped); no config key does that: keep\n# preset = \"imsma-core\" in the [[source]] if the links matter to you.\n");
        }
        if p == Preset::Generic {
            continue;
        }
        for field in role_value_fields(role) {
            let _ = writeln!(out, "\n[source.values.{field}]");
            for (_, raw, canon) in SPELLINGS.iter().filter(|(f, _, _)| f == field) {
                let _ = writeln!(out, "{} = {}", quoted(raw), quoted(canon));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Classification, Outcome, Status, CONTAMINATION_TYPES};

    fn canonical(field: &str, raw: &str) -> bool {
        match field {
            "classification" => Classification::parse(raw).is_some(),
            "status" => Status::parse(raw).is_some(),
            "outcome" => Outcome::parse(raw).is_some(),
            _ => CONTAMINATION_TYPES.contains(&raw.trim().to_ascii_lowercase().as_str()),
        }
    }

    #[test]
    fn spellings_are_what_the_presets_map_and_not_canonical() {
        for (field, raw, canon) in SPELLINGS {
            for p in [Preset::NgGis, Preset::NgPoints, Preset::Core] {
                assert_eq!(p.value(field, raw), Some(*canon), "{p:?} {field} {raw}");
            }
            assert!(
                !canonical(field, raw),
                "{field} \"{raw}\" is canonical already"
            );
        }
    }

    #[test]
    fn every_preset_prints_as_a_config() {
        for name in NAMES {
            let p = Preset::by_name(name).unwrap();
            let text = format!("country = \"XEX\"\n{}", to_toml(p));
            let cfg = crate::config::Config::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
            assert_eq!(cfg.sources.len(), 2);
            cfg.check().unwrap();
        }
        assert!(list().lines().count() >= NAMES.len());
    }
}
