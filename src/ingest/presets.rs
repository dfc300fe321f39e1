//! Presets: the field and value mappings of known export layouts, so that a
//! data officer names a layout instead of writing every mapping by hand.
//!
//! Owns the column names and raw vocabularies of IMSMA NG GIS exports
//! (`imsma-ng-gis`), the NG point-import template (`imsma-ng-points`, whose
//! geometry is built by [`super::points`]), IMSMA Core feature services
//! (`imsma-core`) and the canonical layout (`generic`). The facts behind each
//! entry, and how sure they are, are in docs/imsma-fields.md (a section per preset).
//!
//! A preset never wins over the config: `[source.fields]` and
//! `[source.values.FIELD]` are looked up first (see [`super::mapping`]). Raw
//! values are compared on a compact key (lower case, letters and digits only)
//! so that `Worked On`, `worked_on` and `WorkedOn` are one value.

use crate::model::Role;

/// Every preset name a config may give, `generic` first.
pub const NAMES: [&str; 4] = ["generic", "imsma-ng-gis", "imsma-ng-points", "imsma-core"];

/// A known export layout, as `preset = "…"` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(try_from = "String")]
pub enum Preset {
    /// Canonical field names and values; no extra vocabulary.
    #[default]
    Generic,
    /// `IMSMA.gdb` layers or their shapefile copies with joined `HZ_`/`HR_` reports.
    NgGis,
    /// The NG Excel point-import template (a vertex table).
    NgPoints,
    /// IMSMA Core (ArcGIS) feature classes with `imsma_id` / `imsma_links`.
    Core,
}

impl Preset {
    pub fn by_name(name: &str) -> Option<Preset> {
        match name.trim() {
            "generic" => Some(Preset::Generic),
            "imsma-ng-gis" => Some(Preset::NgGis),
            "imsma-ng-points" => Some(Preset::NgPoints),
            "imsma-core" => Some(Preset::Core),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Preset::Generic => "generic",
            Preset::NgGis => "imsma-ng-gis",
            Preset::NgPoints => "imsma-ng-points",
            Preset::Core => "imsma-core",
        }
    }

    /// Columns that hold a canonical field in this layout, most specific first
    /// (the first the layer has is read). The canonical name itself is always
    /// tried after these. Integer codes of an IMSMA Core geodatabase are read
    /// through the file's coded-value domains (`ingest::domains`); no code
    /// meaning is assumed here, as no source documents one.
    pub fn columns(self, field: &str, role: Role) -> &'static [&'static str] {
        match (self, role, field) {
            // Joined NG report columns (10-character shapefile names) first: the
            // bare gdb fields `Type`/`Status` are coarser.
            (Preset::NgGis, Role::Hazard, "id") => &["HZ_Hazardl", "ObjectUID"],
            (Preset::NgGis, Role::Hazard, "classification") => &["HZ_TypeofH", "Type"],
            (Preset::NgGis, Role::Hazard, "status") => &["HZ_Status", "Status"],
            (Preset::NgGis, Role::Hazard, "contamination") => &["HZ_Typeo_1"],
            (Preset::NgGis, Role::Hazard, "area_reported_m2") => &["HZ_HazardA", "HZ_HazardC"],
            (Preset::NgGis, Role::Hazard, "region") => &["HZ_Provinc", "HZ_Distric"],
            (Preset::NgGis, Role::Hazard, "wgs84_lon") => &["HZ_longitu"],
            (Preset::NgGis, Role::Hazard, "wgs84_lat") => &["HZ_latitud"],
            (Preset::NgGis, Role::Release, "id") => &["HR_HazardR", "ObjectUID"],
            (Preset::NgGis, Role::Release, "outcome") => &["HR_TypeofH", "Type"],
            (Preset::NgGis, Role::Release, "date") => &["HR_HREndda"],
            (Preset::NgGis, Role::Release, "area_reported_m2") => &["HR_Areasiz", "HR_Calcula"],
            (Preset::NgGis, Role::Release, "region") => &["HR_Provinc"],
            (Preset::NgPoints, _, "id") => &["PolyID"],
            (Preset::Core, _, "id") => &["imsma_id", "GlobalID", "OBJECTID"],
            (Preset::Core, _, "hazard_ids") => &["imsma_links"],
            (Preset::Core, _, "classification") => &["hazard_type", "type_of_area"],
            (Preset::Core, _, "status") => &["status_ha"],
            (Preset::Core, _, "contamination") => &["eo_mine_type", "eo_erw_type"],
            (Preset::Core, _, "region") => &[
                "governorate_name",
                "admin1",
                "district_name",
                "subdistrict_name",
            ],
            (Preset::Core, _, "date") => &["end_date", "enddate"],
            (Preset::Core, _, "outcome") => &["activity_type", "type"],
            (Preset::Core, _, "area_reported_m2") => &["reported_area", "area_m2", "areasize"],
            _ => &[],
        }
    }

    /// The canonical value of a raw value, by this layout's vocabulary; `None`
    /// when the layout does not know it (then it is an unmapped value).
    pub fn value(self, field: &str, raw: &str) -> Option<&'static str> {
        if self == Preset::Generic {
            return None;
        }
        let k = compact(raw);
        if k.is_empty() {
            return None;
        }
        match field {
            "classification" => classification(&k),
            "status" => status(&k),
            "outcome" => outcome(&k),
            "contamination" => contamination(raw),
            _ => None,
        }
    }

    /// Whether a token of a multi-valued `hazard_ids` field names a hazard.
    /// IMSMA Core links every kind of item (`hazard_24, accident_2, device_4222`).
    pub fn keeps_hazard_id(self, token: &str) -> bool {
        match self {
            Preset::Core => token.to_ascii_lowercase().starts_with("hazard"),
            _ => true,
        }
    }
}

impl TryFrom<String> for Preset {
    type Error = String;

    fn try_from(name: String) -> Result<Preset, String> {
        Preset::by_name(&name).ok_or_else(|| {
            format!(
                "unknown preset \"{name}\"; known presets: {}",
                NAMES.join(", ")
            )
        })
    }
}

/// Lower case, ASCII letters and digits only.
pub fn compact(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn classification(k: &str) -> Option<&'static str> {
    const CHA: [&str; 3] = ["cha", "confirmed", "minefield"];
    const SHA: [&str; 2] = ["sha", "suspected"];
    const OTHER: [&str; 5] = ["indication", "eodspot", "ammunition", "stockpile", "other"];
    if SHA.iter().any(|p| k.starts_with(p)) {
        Some("SHA")
    } else if CHA.iter().any(|p| k.starts_with(p)) {
        Some("CHA")
    } else if OTHER.iter().any(|p| k.starts_with(p)) {
        Some("other")
    } else {
        None
    }
}

fn status(k: &str) -> Option<&'static str> {
    match k {
        "open" | "active" => Some("open"),
        "workedon" | "inprogress" | "ongoing" => Some("worked_on"),
        "closed" | "released" | "handedover" | "expired" => Some("closed"),
        _ => None,
    }
}

fn outcome(k: &str) -> Option<&'static str> {
    // Survey and report names of NG (`NonTechSurvey`, `CompletionReport` …) and
    // the Vietnam staging spellings (`NTS`, `Survey2`). A progress report is not
    // a final outcome, so it stays unmapped and the config decides.
    match k {
        "nontechsurvey" | "nontechnicalsurvey" | "nts" | "cancellationreport" | "cancellation" => {
            Some("cancelled")
        }
        "techsurvey" | "technicalsurvey" | "ts" | "posttechnicalsurvey" | "survey2" => {
            Some("reduced")
        }
        "clearance" | "bac" | "eodspottask" | "postclearance" | "completionreport"
        | "roadclearance" => Some("cleared"),
        _ if k.starts_with("cancel") => Some("cancelled"),
        _ if k.starts_with("reduc") => Some("reduced"),
        _ if k.starts_with("clear") => Some("cleared"),
        _ => None,
    }
}

fn contamination(raw: &str) -> Option<&'static str> {
    let lower = raw.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let has = |w: &str| words.contains(&w);
    let k = compact(raw);
    let mine = k.contains("mine");
    if k.contains("improvised") || has("ied") {
        return Some(if mine { "improvised_mine" } else { "ied" });
    }
    if k.contains("antipersonnel") || has("ap") || k == "apmine" {
        return Some("ap_mine");
    }
    if k.contains("antitank") || k.contains("antivehicle") || has("at") || has("av") {
        return Some("av_mine");
    }
    if k.contains("cluster") || k.contains("submunition") || has("cmr") {
        return Some("cmr");
    }
    if has("axo") || k.contains("abandoned") {
        return Some("axo");
    }
    if has("uxo") || k.contains("unexploded") {
        return Some("uxo");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ng_vocabulary() {
        let p = Preset::NgGis;
        assert_eq!(p.value("status", "Active"), Some("open"));
        assert_eq!(p.value("status", "Worked On"), Some("worked_on"));
        assert_eq!(p.value("status", " Expired "), Some("closed"));
        assert_eq!(p.value("outcome", "NonTechSurvey"), Some("cancelled"));
        assert_eq!(p.value("outcome", "TechnicalSurvey"), Some("reduced"));
        assert_eq!(p.value("outcome", "TechSurvey"), Some("reduced"));
        assert_eq!(p.value("outcome", "CompletionReport"), Some("cleared"));
        assert_eq!(p.value("outcome", "CancellationReport"), Some("cancelled"));
        assert_eq!(p.value("outcome", "ProgressReport"), None);
        assert_eq!(
            p.value("classification", "Suspected Hazardous Area"),
            Some("SHA")
        );
        assert_eq!(p.value("classification", "Minefield"), Some("CHA"));
        assert_eq!(p.value("classification", "Confirmed"), Some("CHA"));
        assert_eq!(p.value("classification", "EOD Spot task"), Some("other"));
        assert_eq!(p.value("classification", "Battle area"), None);
    }

    #[test]
    fn contamination_keywords() {
        let p = Preset::Core;
        assert_eq!(p.value("contamination", "anti_personnel"), Some("ap_mine"));
        assert_eq!(p.value("contamination", "AT mine"), Some("av_mine"));
        assert_eq!(p.value("contamination", "Cluster munition"), Some("cmr"));
        assert_eq!(
            p.value("contamination", "improvised mine"),
            Some("improvised_mine")
        );
        assert_eq!(p.value("contamination", "IED"), Some("ied"));
        assert_eq!(p.value("contamination", "UXO"), Some("uxo"));
        assert_eq!(p.value("contamination", "abandoned"), Some("axo"));
        assert_eq!(Preset::Generic.value("status", "Active"), None);
    }

    #[test]
    fn core_links_keep_hazards_only() {
        let kept: Vec<&str> = "hazard_24, accident_2, device_4222"
            .split(',')
            .map(str::trim)
            .filter(|t| Preset::Core.keeps_hazard_id(t))
            .collect();
        assert_eq!(kept, ["hazard_24"]);
    }

    #[test]
    fn core_reads_admin1_and_reported_area() {
        let p = Preset::Core;
        assert!(p.columns("region", Role::Hazard).contains(&"admin1"));
        assert_eq!(
            p.columns("area_reported_m2", Role::Hazard).first(),
            Some(&"reported_area")
        );
    }

    #[test]
    fn names_round_trip() {
        for n in NAMES {
            assert_eq!(Preset::by_name(n).unwrap().name(), n);
            assert_eq!(Preset::try_from(n.to_string()).unwrap().name(), n);
        }
        let e = Preset::try_from("imsma-ng-gsi".to_string()).unwrap_err();
        assert!(e.contains("\"imsma-ng-gsi\"") && e.contains("known presets: generic"));
    }
}
