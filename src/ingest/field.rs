//! The canonical fields a source maps (`[source.fields]`, `[source.values.FIELD]`,
//! `[source.defaults]`), read by serde as [`Field`]: a name that is not one is
//! a config error listing the names, or saying where a geometry column goes.

use std::cmp::Ordering;
use std::fmt;

/// A canonical field of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize)]
#[serde(try_from = "String")]
pub enum Field {
    Id,
    Classification,
    Status,
    Contamination,
    Region,
    HazardIds,
    Outcome,
    Date,
    AreaReportedM2,
    /// The record's location point in WGS 84, as IMSMA stores it beside
    /// the geometry: read only to check the geometry's CRS (`datum.rs`).
    Wgs84Lon,
    Wgs84Lat,
}

impl Field {
    /// Every field, in the order messages list them.
    pub const ALL: [Field; 11] = [
        Field::Id,
        Field::Classification,
        Field::Status,
        Field::Contamination,
        Field::Region,
        Field::HazardIds,
        Field::Outcome,
        Field::Date,
        Field::AreaReportedM2,
        Field::Wgs84Lon,
        Field::Wgs84Lat,
    ];

    /// The name a config writes.
    pub fn name(self) -> &'static str {
        match self {
            Field::Id => "id",
            Field::Classification => "classification",
            Field::Status => "status",
            Field::Contamination => "contamination",
            Field::Region => "region",
            Field::HazardIds => "hazard_ids",
            Field::Outcome => "outcome",
            Field::Date => "date",
            Field::AreaReportedM2 => "area_reported_m2",
            Field::Wgs84Lon => "wgs84_lon",
            Field::Wgs84Lat => "wgs84_lat",
        }
    }

    /// The field of a name, exactly as written.
    pub fn by_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Why `key` is no canonical field: where a geometry column goes, or the
    /// names there are. `column` is the value it maps (if in `[source.fields]`).
    pub(crate) fn unknown(key: &str, column: Option<&str>) -> String {
        geometry_key_hint(key, column.unwrap_or("COLUMN")).unwrap_or_else(|| {
            format!(
                "\"{key}\" is not a canonical field; use one of {}",
                Field::ALL.map(Field::name).join(", ")
            )
        })
    }
}

/// Maps keyed by field iterate in name order, as the maps of names did.
impl Ord for Field {
    fn cmp(&self, other: &Self) -> Ordering {
        self.name().cmp(other.name())
    }
}

impl PartialOrd for Field {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl TryFrom<String> for Field {
    type Error = String;

    fn try_from(key: String) -> Result<Field, String> {
        Field::by_name(&key).ok_or_else(|| Field::unknown(&key, None))
    }
}

/// `[source.fields]`: canonical field = source column. Read as names first so
/// that a geometry column named here gets the column in its hint.
pub(crate) fn de_fields<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<std::collections::BTreeMap<Field, String>, D::Error> {
    use serde::Deserialize;
    let names = std::collections::BTreeMap::<String, String>::deserialize(d)?;
    names
        .into_iter()
        .map(|(key, column)| match Field::by_name(&key) {
            Some(f) => Ok((f, column)),
            None => Err(serde::de::Error::custom(Field::unknown(
                &key,
                Some(&column),
            ))),
        })
        .collect()
}

/// A geometry column named under `[source.fields]` (a natural first guess)
/// belongs on the `[[source]]` itself as `wkt` or `x`/`y`: say so instead of
/// listing the canonical fields, which hold attributes only.
fn geometry_key_hint(key: &str, column: &str) -> Option<String> {
    let column = column.replace('"', "\\\"");
    let k = key.to_ascii_lowercase();
    let target = match k.as_str() {
        "geometry" | "geom" | "wkt" | "the_geom" | "shape" | "wkt_geometry" => "wkt",
        "x" | "lon" | "long" | "lng" | "longitude" | "easting" | "east" | "xcoord" => "x",
        "y" | "lat" | "latitude" | "northing" | "north" | "ycoord" => "y",
        _ => return None,
    };
    let other = match target {
        "wkt" => "; for point coordinates in two columns use x = \"COLUMN\" and y = \"COLUMN\""
            .to_string(),
        "x" => " with y = \"COLUMN\" for the other coordinate".to_string(),
        _ => " with x = \"COLUMN\" for the other coordinate".to_string(),
    };
    Some(format!(
        "[source.fields] {key} names a geometry column, which [source.fields] does not map; put {target} = \"{column}\" on the [[source]] itself (above [source.fields]){other}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_sort_by_name() {
        for f in Field::ALL {
            assert_eq!(Field::by_name(f.name()), Some(f));
            assert_eq!(Field::try_from(f.name().to_string()), Ok(f));
        }
        let mut sorted = Field::ALL;
        sorted.sort();
        let names: Vec<&str> = sorted.iter().map(|f| f.name()).collect();
        let mut by_name = names.clone();
        by_name.sort();
        assert_eq!(names, by_name);
    }

    #[test]
    fn unknown_names_list_the_fields_or_say_where_geometry_goes() {
        let e = Field::try_from("statuss".to_string()).unwrap_err();
        assert!(
            e.contains("\"statuss\"") && e.contains("id, classification"),
            "{e}"
        );
        let e = Field::unknown("longitude", Some("LON"));
        assert!(e.contains("x = \"LON\""), "{e}");
        let e = Field::try_from("geometry".to_string()).unwrap_err();
        assert!(e.contains("wkt = \"COLUMN\""), "{e}");
    }
}
