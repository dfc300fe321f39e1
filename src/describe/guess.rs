//! The guesses `describe` marks and `clearmap init` writes: which preset a
//! layer fits, which role it plays, which column holds a field, whether
//! coordinates look like lon/lat.

use crate::ingest::role_fields;
use crate::ingest::{suggest_crs, Extent, Field, Preset};
use crate::model::Role;

/// What to do about a layer that declares no CRS, from its coordinates.
pub fn crs_note(e: &Extent) -> String {
    if lon_lat(e) {
        "none declared; the coordinates look like longitude/latitude, read as WGS 84 (EPSG:4326)"
            .into()
    } else {
        format!(
            "none declared and the coordinates are not longitude/latitude; add {}",
            suggest_crs(e, None)
        )
    }
}

/// Whether an extent lies within longitude/latitude bounds.
pub fn lon_lat(e: &Extent) -> bool {
    e.min_x >= -180.0 && e.max_x <= 180.0 && e.min_y >= -90.0 && e.max_y <= 90.0
}

/// The index of a column by name: exact first, then ignoring ASCII case (as
/// the mapping looks columns up).
pub fn column_for_name(columns: &[String], name: &str) -> Option<usize> {
    columns
        .iter()
        .position(|c| c == name)
        .or_else(|| columns.iter().position(|c| c.eq_ignore_ascii_case(name)))
}

/// The column a preset reads for a field: its first listed column the layer
/// has, else the canonical name.
pub fn column_for(columns: &[String], preset: Preset, role: Role, field: Field) -> Option<usize> {
    preset
        .columns(field.name(), role)
        .iter()
        .find_map(|c| column_for_name(columns, c))
        .or_else(|| column_for_name(columns, field.name()))
}

/// Whether a table has the columns of the IMSMA NG point template.
pub fn is_template(columns: &[String]) -> bool {
    ["PolyID", "PointNo", "Xcoord", "Ycoord"]
        .iter()
        .all(|c| column_for_name(columns, c).is_some())
}

/// The preset whose own columns a layer of `role` has most of (`generic`
/// when none has more than the canonical names).
pub fn best_preset(columns: &[String], role: Role) -> Preset {
    let own = |p: Preset| {
        role_fields(role)
            .iter()
            .filter(|f| {
                p.columns(f.name(), role)
                    .iter()
                    .any(|c| column_for_name(columns, c).is_some())
            })
            .count()
    };
    let generic = role_fields(role)
        .iter()
        .filter(|f| column_for_name(columns, f.name()).is_some())
        .count();
    [Preset::NgGis, Preset::Core]
        .into_iter()
        .map(|p| (own(p), p))
        .filter(|(n, _)| *n > 0 && *n >= generic)
        .max_by_key(|(n, _)| *n)
        .map_or(Preset::Generic, |(_, p)| p)
}

/// Whether a layer holds hazards or releases, from its columns (`HR_` report
/// columns, outcome and date columns) and from its file and layer names;
/// `None` when nothing tells.
pub fn guess_role(file_stem: &str, layer: &str, columns: &[String]) -> Option<Role> {
    let prefixed = |p: &str| {
        columns
            .iter()
            .filter(|c| c.len() > p.len() && c[..p.len()].eq_ignore_ascii_case(p))
            .count() as i32
    };
    let has = |names: &[&str]| {
        names
            .iter()
            .filter(|n| column_for_name(columns, n).is_some())
            .count() as i32
    };
    // `Status` and `Type` are on both NG layers: they tell nothing.
    let mut score = 3 * (prefixed("HR_") - prefixed("HZ_")).signum();
    score += 2
        * (has(&["outcome", "activity_type", "end_date", "enddate", "date"])
            - has(&["classification", "hazard_type", "status_ha", "type_of_area"]))
        .signum();
    let words = format!("{file_stem} {layer}").to_ascii_lowercase();
    const RELEASE: [&str; 9] = [
        "reduction",
        "release",
        "cleared",
        "clearance",
        "activit",
        "cancel",
        "survey",
        "completion",
        "lifted",
    ];
    const HAZARD: [&str; 6] = ["hazard", "suspect", "minefield", "contamin", "land", "sha"];
    if RELEASE.iter().any(|w| words.contains(w)) {
        score += 1;
    } else if HAZARD.iter().any(|w| words.contains(w)) {
        score -= 1;
    }
    match score.signum() {
        1 => Some(Role::Release),
        -1 => Some(Role::Hazard),
        _ => None,
    }
}
