//! What each diagnostic code means and how a data officer fixes it in the
//! source (IMSMA or the export), in English: report.html shows them beside
//! each code in the page's language from the catalogues
//! (`code.<CODE>.meaning` / `code.<CODE>.fix`, en.json holding these words, a
//! test keeps them equal), and these words where a catalogue lacks a code.
//! The match is exhaustive, so a new code cannot ship without its texts.

use crate::diagnostics::Code;

/// (what it means, how to fix it in the source).
pub fn texts(code: Code) -> (&'static str, &'static str) {
    match code {
        Code::NullGeometry => (
            "The record has no geometry: it cannot be placed or measured and is left out of every figure.",
            "Digitise the polygon of the area in IMSMA, or delete the record if it is a stray entry.",
        ),
        Code::EmptyGeometry => (
            "The geometry has no area: no coordinates, or vertices that all lie on one line or point.",
            "Redraw the polygon in IMSMA with at least three distinct corners that enclose the area.",
        ),
        Code::UnsupportedGeometry => (
            "The geometry is a point or a line (or holds some), not a polygon; only areas can be measured.",
            "Replace the point or line by the polygon of the area; keep points in a separate layer.",
        ),
        Code::NonFiniteCoordinate => (
            "A coordinate is not a longitude/latitude: the layer is in a projected system, or a value is broken.",
            "Give the source's CRS in the config (crs = \"EPSG:…\"), or correct the broken coordinate.",
        ),
        Code::RingNotClosed => (
            "A ring does not end where it starts.",
            "Close the ring in the source; clearmap closed it.",
        ),
        Code::DoubleClosure => (
            "A ring repeats its closing vertex.",
            "Harmless; remove the extra vertex when the polygon is next edited.",
        ),
        Code::DuplicateVertex => (
            "A ring has the same vertex twice in a row.",
            "Harmless; remove the repeated vertex when the polygon is next edited.",
        ),
        Code::DegenerateRing => (
            "A ring has fewer than three distinct corners and was dropped.",
            "Redraw the ring (often a hole) or delete it in the source.",
        ),
        Code::WrongWinding => (
            "Rings are wound against the GeoJSON rule (outer ring clockwise or hole anticlockwise).",
            "Nothing to do: clearmap reorients them. Some GIS tools rewind them on save.",
        ),
        Code::SelfIntersection => (
            "The polygon's boundary crosses or touches itself at the point shown: a bow-tie or a loop.",
            "Open the record in IMSMA or QGIS at the point on the map and move the vertices so that the boundary does not cross itself.",
        ),
        Code::OverlappingParts => (
            "Parts of one multipolygon overlap or share an edge.",
            "Merge the parts into one polygon in the source; clearmap counts their land once.",
        ),
        Code::MissingId => (
            "Records of a source have no id (or a placeholder); clearmap gave them ids from their rows.",
            "Export the IMSMA id (localId or GUID) with every record and map it in the config.",
        ),
        Code::DuplicateId => (
            "Several records share an id: overlapping ones were superseded by the latest, others kept.",
            "Give each area its own id in IMSMA; delete superseded copies.",
        ),
        Code::MissingField => (
            "A field the config maps is not in the source.",
            "Fix the field name in the config, or export the field from IMSMA.",
        ),
        Code::MissingValue => (
            "A required value is empty for the record.",
            "Fill in the value in IMSMA.",
        ),
        Code::UnmappedValue => (
            "A value of the source has no meaning in the config's mapping.",
            "Add the value to the config's [source.values] mapping, or correct it in IMSMA.",
        ),
        Code::InvalidNumber => (
            "A numeric field holds text that is not a number.",
            "Correct the number in IMSMA (no units or words in numeric fields).",
        ),
        Code::InvalidDate => (
            "A date field holds something that is not a date.",
            "Correct the date in IMSMA (YYYY-MM-DD).",
        ),
        Code::MissingOutcome => (
            "A release has no outcome (cancelled, reduced or cleared) and is left out of the figures.",
            "Set the activity type in IMSMA, or map the source's activity types in the config.",
        ),
        Code::AfterAsOf => (
            "A release is dated after the reporting date (as_of) and is not counted in this report.",
            "Nothing to do if the date is right; correct it in IMSMA if it is a typo.",
        ),
        Code::ReleaseNotAttributed => (
            "A release gets no land: it lies outside every hazard, or only over land released before it.",
            "Check its polygon and its date against the hazard it released.",
        ),
        Code::NoLandRemaining => (
            "A hazard has no land left: all of it is released or closed.",
            "Nothing to do if the area is done; close the hazard in IMSMA.",
        ),
        Code::ReaderMessage => (
            "The file reader (GDAL) reported a problem while reading the source.",
            "Read the message; re-export the file from IMSMA if it is damaged.",
        ),
        Code::DuplicateGeometry => (
            "Two hazards cover the same land (nearly identical polygons): probably one area entered twice.",
            "Compare the two records and delete or merge the duplicate in IMSMA.",
        ),
        Code::HazardOverlap => (
            "Two hazards overlap on the land shown; the land is counted once in every total.",
            "Check whether the overlap is real (areas re-surveyed) and redraw the boundaries in IMSMA so that they do not overlap.",
        ),
        Code::OrphanRelease => (
            "A release names a hazard id that no usable hazard has.",
            "Correct the release's hazard link in IMSMA, or restore the hazard it names.",
        ),
        Code::ReleaseOffHazard => (
            "A release does not touch the hazard(s) it names.",
            "Check the release's polygon and its hazard link in IMSMA; one of them is wrong.",
        ),
        Code::ReleaseExceedsHazard => (
            "A release is larger than the hazard(s) it names; the part shown lies outside them and is not counted as released.",
            "Redraw the release within its hazard, or link it to the other hazards it covers.",
        ),
        Code::AreaMismatch => (
            "The area reported in IMSMA differs from the area of the polygon; figures use the polygon's.",
            "Correct the reported area in IMSMA, or the polygon if it is the one that is wrong.",
        ),
        Code::InvalidEncoding => (
            "Text of the source is not valid in its character encoding.",
            "Re-export the file as UTF-8, or give its encoding in the config.",
        ),
        Code::SwappedAxes => (
            "Coordinates look like latitude/longitude in the wrong order.",
            "Fix the axis order of the export, or the CRS given in the config.",
        ),
        Code::ProjectedInGeographic => (
            "Coordinates look projected (metres) in a layer declared as longitude/latitude.",
            "Give the right CRS in the config (crs = \"EPSG:…\").",
        ),
        Code::UnknownFromPoint => (
            "A polygon point refers to a point that does not exist (IMSMA point template).",
            "Correct the point's 'from' reference in IMSMA.",
        ),
        Code::PointCycle => (
            "The points of a polygon refer to each other in a loop (IMSMA point template).",
            "Correct the points' order in IMSMA.",
        ),
        Code::TooFewVertices => (
            "A polygon has fewer than three points (IMSMA point template).",
            "Add the missing points in IMSMA.",
        ),
        Code::InvalidPoint => (
            "A point of the point template has no usable coordinates.",
            "Correct the point's coordinates in IMSMA.",
        ),
        Code::NoAttributes => (
            "A polygon of the point template has no attribute row.",
            "Export the attributes of the polygon with its points.",
        ),
        Code::GeometryTooLarge => (
            "The geometry has more vertices than the configured limit; shown as its envelope.",
            "Simplify the polygon in the source, or raise [limits] max_vertices if it is genuine.",
        ),
        Code::AsOfMissing => (
            "The config gives no reporting date (as_of): every release counts, whatever its date.",
            "Add as_of = \"YYYY-MM-DD\" (the last day of the reporting period) to the config.",
        ),
        Code::TextTooLong => (
            "A text is longer than a spreadsheet cell holds and was cut.",
            "Shorten the text in IMSMA.",
        ),
        Code::PlaceholderId => (
            "The record's id is a placeholder (\"-\", \"0\", \"N/A\" …), not an id.",
            "Give the record its IMSMA id.",
        ),
        Code::NulInText => (
            "A text holds NUL characters, which were removed.",
            "Re-export the file; correct the text in IMSMA if the export is right.",
        ),
        Code::CrsAssumed => (
            "The layer names no coordinate system; it was taken as WGS84 longitude/latitude.",
            "Give the source's CRS in the config (crs = \"EPSG:4326\") to silence this, or the right one if it is not.",
        ),
        Code::OutsideCountry => (
            "The record lies wholly outside the config's country (more than 5 km from its border): its coordinates or the source's CRS are probably wrong.",
            "Check the record's coordinates in IMSMA and the source's crs in the config; if the country is wrong, give the right ISO code as country.",
        ),
        Code::NoBoundary => (
            "The config's country has no boundary in the bundled Natural Earth data (a user-assigned code such as XEX): records are not checked against it and the map has no country outline.",
            "Give the country's ISO 3166-1 alpha-3 code to have the records checked and the outline drawn.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code; the match makes the list fail to compile when a code is
    /// added and not listed.
    fn all() -> Vec<Code> {
        use Code::*;
        let listed = |c: Code| match c {
            NullGeometry
            | EmptyGeometry
            | UnsupportedGeometry
            | NonFiniteCoordinate
            | RingNotClosed
            | DoubleClosure
            | DuplicateVertex
            | DegenerateRing
            | WrongWinding
            | SelfIntersection
            | OverlappingParts
            | MissingId
            | DuplicateId
            | MissingField
            | MissingValue
            | UnmappedValue
            | InvalidNumber
            | InvalidDate
            | MissingOutcome
            | AfterAsOf
            | ReleaseNotAttributed
            | NoLandRemaining
            | ReaderMessage
            | DuplicateGeometry
            | HazardOverlap
            | OrphanRelease
            | ReleaseOffHazard
            | ReleaseExceedsHazard
            | AreaMismatch
            | InvalidEncoding
            | SwappedAxes
            | ProjectedInGeographic
            | UnknownFromPoint
            | PointCycle
            | TooFewVertices
            | InvalidPoint
            | NoAttributes
            | GeometryTooLarge
            | AsOfMissing
            | TextTooLong
            | PlaceholderId
            | NulInText
            | CrsAssumed
            | OutsideCountry
            | NoBoundary => (),
        };
        let v = vec![
            NullGeometry,
            EmptyGeometry,
            UnsupportedGeometry,
            NonFiniteCoordinate,
            RingNotClosed,
            DoubleClosure,
            DuplicateVertex,
            DegenerateRing,
            WrongWinding,
            SelfIntersection,
            OverlappingParts,
            MissingId,
            DuplicateId,
            MissingField,
            MissingValue,
            UnmappedValue,
            InvalidNumber,
            InvalidDate,
            MissingOutcome,
            AfterAsOf,
            ReleaseNotAttributed,
            NoLandRemaining,
            ReaderMessage,
            DuplicateGeometry,
            HazardOverlap,
            OrphanRelease,
            ReleaseOffHazard,
            ReleaseExceedsHazard,
            AreaMismatch,
            InvalidEncoding,
            SwappedAxes,
            ProjectedInGeographic,
            UnknownFromPoint,
            PointCycle,
            TooFewVertices,
            InvalidPoint,
            NoAttributes,
            GeometryTooLarge,
            AsOfMissing,
            TextTooLong,
            PlaceholderId,
            NulInText,
            CrsAssumed,
            OutsideCountry,
            NoBoundary,
        ];
        v.iter().for_each(|&c| listed(c));
        v
    }

    #[test]
    fn en_json_says_what_the_texts_say() {
        let en: serde_json::Value =
            serde_json::from_str(include_str!("../../../web/i18n/en.json")).unwrap();
        let codes = all();
        assert_eq!(codes.len(), 45);
        for code in codes {
            let (meaning, fix) = texts(code);
            assert!(meaning.ends_with('.') && fix.ends_with('.'), "{code:?}");
            let key = |what: &str| format!("code.{}.{what}", code.as_str());
            assert_eq!(en[key("meaning")], meaning, "{code:?}");
            assert_eq!(en[key("fix")], fix, "{code:?}");
        }
    }
}
