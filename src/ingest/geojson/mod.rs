//! A pure-Rust reader for the common GeoJSON export: a plain `.geojson` or
//! `.json` FeatureCollection of Polygon, MultiPolygon and Point features with
//! number and text properties, in WGS84. It produces the same batch and the
//! same diagnostics as GDAL's GeoJSON driver (3.6) would through
//! the GDAL reader (`gdal/`), several times faster: the file is scanned once for the
//! features' extents in the text, then the features are parsed and mapped in
//! parallel.
//!
//! Anything it cannot reproduce faithfully is left to GDAL: [`read`] answers
//! `None` and the caller reads the source through OGR as before. That covers
//! invalid JSON (so GDAL's error messages stay what they are), other geometry
//! types, rings GDAL would warn about (unclosed, fewer than four positions),
//! feature ids, foreign members, booleans, arrays and objects as properties,
//! columns whose type GDAL would guess from text that merely looks like a
//! date or time, a `crs` other than WGS84, and the source options that change
//! what GDAL opens (`layer` naming another layer, `crs`, the point template).
//!
//! What GDAL does, and this module repeats (checked against it by the
//! equivalence tests in `equivalence.rs`):
//! - the layer is named by the collection's `name` member, else the file name
//!   without its extension;
//! - a column per property name in order of first appearance, typed across
//!   all features: Integer / Integer64 when every value is an integer, Real
//!   when some are not, Date when every value is a `YYYY-MM-DD` date, String
//!   otherwise (integers in a text column read as their decimal text);
//! - `null` and an absent property both read as no value;
//! - the layer SRS is EPSG:4326 (traditional axis order), so the CRS plan and
//!   its extent checks are those of any WGS84 layer;
//! - a third coordinate (Z) is dropped, as `gdal::fields::read_geometry` flattens
//!   GDAL's 2.5D geometries;
//! - `"coordinates": []` of a MultiPolygon is an empty geometry, `null` a
//!   missing one.
//!
//! One difference is meant: a NUL (`\u0000`) in a text value is kept, where
//! GDAL's C strings end at it (and two ids would become one); when GDAL reads
//! such a file instead, `gdal::nul` quarantines the records concerned. An empty
//! collection is a source with no records (there are no columns to map).

use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::ingest::crs;
use crate::ingest::error::Result;
use crate::ingest::limits::too_large;
use crate::ingest::mapping::Mapper;
use crate::ingest::record::{empty_batch, encoding_diagnostic, has_mangled_text, provenance};
use crate::ingest::Preset;
use crate::ingest::{IngestConfig, SourceConfig};
use crate::ingest::{RawGeometry, RawRecord, SourceBatch};
use crate::model::RecordRef;
use columns::Columns;
use parse::{parse, Collection, Feature, Geom};
use rayon::prelude::*;
use std::path::Path;

mod columns;
mod parse;

/// GDAL 3.6's streaming GeoJSON parser refuses a token over 10 million
/// characters ("Too many characters"); texts anywhere near that are left to it.
const LONGEST_TEXT: usize = 1_000_000;

/// Why the fast path stepped aside; never shown, GDAL reads the source instead.
#[derive(Debug)]
struct Unsupported;

type Fast<T> = std::result::Result<T, Unsupported>;

/// Read a source the fast way, or `None` when GDAL must read it. The checks
/// `gdal::open::open` makes before GDAL sees a file are made here first, with the
/// same errors.
pub(crate) fn read(
    cfg: &IngestConfig,
    source: &SourceConfig,
    diags: &mut Diagnostics,
) -> Option<Result<SourceBatch>> {
    if source.crs.is_some() || source.preset == Some(Preset::NgPoints) {
        return None;
    }
    let path = cfg.resolve(&source.path);
    if !is_plain_geojson(&path) {
        return None;
    }
    if let Err(e) = crate::ingest::gdal::open::check_before_open(&path, &cfg.limits) {
        return Some(Err(e));
    }
    let bytes = std::fs::read(&path).ok()?;
    // The layer's SRS is PROJ's first work on this thread in a build, which
    // opens its database: about as long as parsing ten thousand features, so
    // it is done while the text is parsed beside it.
    let (collection, srs) = std::thread::scope(|s| {
        let parsing = s.spawn(|| parse(&bytes));
        let srs = wgs84();
        (parsing.join(), srs)
    });
    let collection = match collection {
        Ok(parsed) => parsed.ok()?,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    // The features own what they hold: the text can go.
    drop(bytes);
    let layer_name = match &collection.name {
        Some(n) => n.clone(),
        None => path.file_stem()?.to_str()?.to_string(),
    };
    if source.layer.as_deref().is_some_and(|l| l != layer_name) {
        return None;
    }
    let columns = Columns::of(&collection.features).ok()?;
    if collection.features.is_empty() {
        // `"features": []` is a valid input with nothing in it: no columns
        // to map, no records (GDAL's reader says the same).
        return Some(Ok(empty_batch(
            source,
            "GeoJSON".to_string(),
            cfg.limits.max_vertices,
        )));
    }
    let layer = Layer {
        name: layer_name,
        collection,
        columns,
        srs,
    };
    Some(build(cfg, source, &path, layer, diags))
}

/// A plain local file GDAL opens with its GeoJSON driver.
fn is_plain_geojson(path: &Path) -> bool {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    matches!(ext.as_str(), "geojson" | "json")
        && !path.to_string_lossy().starts_with("/vsi")
        && path.is_file()
}

/// A layer as parsed, with the SRS GDAL would give it.
struct Layer {
    name: String,
    collection: Collection,
    columns: Columns,
    srs: Result<gdal::spatial_ref::SpatialRef>,
}

fn build(
    cfg: &IngestConfig,
    source: &SourceConfig,
    path: &Path,
    layer: Layer,
    diags: &mut Diagnostics,
) -> Result<SourceBatch> {
    let Layer {
        name: layer_name,
        collection,
        columns,
        srs,
    } = layer;
    let shown = source.path.display().to_string();
    let config_path = cfg.config_ref();
    let source_desc = format!("{shown} layer {layer_name}");
    let mut source_diags = Vec::new();
    let mapper = Mapper::new(
        source,
        &columns.names,
        &config_path,
        &source_desc,
        &mut source_diags,
    )?;
    diags.extend(source_diags);

    let extent = layer_extent(&collection.features);
    let srs = srs?;
    let plan = crs::plan(crs::CrsInput {
        config_crs: None,
        overrides_file: false,
        layer_srs: Some(srs),
        extent,
        country: cfg.country,
        desc: &source_desc,
        path,
        config: &config_path,
    })?;
    diags.extend(plan.diagnostics());
    let quarantine = plan.quarantine.as_ref().map(|(code, _)| *code);
    let max_vertices = cfg.limits.max_vertices;
    cfg.progress.add_length(collection.features.len() as u64);
    let (shown_arc, layer_arc): (std::sync::Arc<str>, std::sync::Arc<str>) =
        (shown.as_str().into(), layer_name.as_str().into());
    let read: Vec<(RawRecord, Vec<Diagnostic>, bool)> = collection
        .features
        .into_par_iter()
        .enumerate()
        .map(|(row, feature)| {
            cfg.progress.inc(1);
            let values = columns.row(&feature.properties);
            let mangled = has_mangled_text(&values);
            let get = |i: usize| values.get(i).cloned().flatten();
            let mut record_diags = Vec::new();
            let at = RecordRef::nth(row as u64);
            let prov = provenance(&shown_arc, &layer_arc, (row, at), &mapper, get);
            let attrs = mapper.map(&get, &prov, &mut record_diags);
            let geometry = match feature.geometry {
                None => RawGeometry::Missing,
                Some(g) if g.is_empty() => RawGeometry::Empty,
                Some(_) if quarantine.is_some() => {
                    record_diags.push(crs::misfit(quarantine.expect("checked"), &prov));
                    RawGeometry::Unreadable
                }
                Some(g) if g.vertices() > max_vertices => {
                    record_diags.push(too_large(g.vertices(), max_vertices).record(&prov));
                    RawGeometry::Unreadable
                }
                // The layer is EPSG:4326 and so is the target: GDAL's
                // transformation leaves the coordinates as they are; heights
                // are dropped, as `gdal::fields::read_geometry` flattens them.
                Some(g) => RawGeometry::Geo(g.into_geo()),
            };
            (
                RawRecord {
                    provenance: prov,
                    attrs,
                    geometry,
                },
                record_diags,
                mangled,
            )
        })
        .collect();
    mapper.finish()?;
    let mut records = Vec::with_capacity(read.len());
    let mut mangled_rows = 0;
    for (record, record_diags, mangled) in read {
        records.push(record);
        diags.extend(record_diags);
        mangled_rows += usize::from(mangled);
    }
    if mangled_rows > 0 {
        diags.push(encoding_diagnostic(source, &source_desc, mangled_rows));
    }
    Ok(SourceBatch {
        role: source.role,
        path: source.path.clone(),
        driver: "GeoJSON".to_string(),
        clockwise_convention: false,
        records,
        max_vertices,
        srs: plan.wkt(),
    })
}

/// The SRS GDAL gives a GeoJSON layer without a `crs` (or naming WGS84).
fn wgs84() -> Result<gdal::spatial_ref::SpatialRef> {
    let mut srs = gdal::spatial_ref::SpatialRef::from_epsg(4326).map_err(|e| {
        crate::ingest::IngestError::Internal(format!("EPSG:4326 unknown to PROJ: {e}"))
    })?;
    srs.set_axis_mapping_strategy(gdal::spatial_ref::AxisMappingStrategy::TraditionalGisOrder);
    Ok(srs)
}

/// The layer's extent as GDAL reports it (every non-empty geometry), and,
/// when that is not lon/lat, the extent `gdal::fitting_extent` would choose.
fn layer_extent(features: &[Feature]) -> Option<crs::Extent> {
    let envelopes: Vec<crs::Extent> = features
        .iter()
        .filter_map(|f| f.geometry.as_ref().and_then(Geom::envelope))
        .collect();
    let whole = union(envelopes.iter().copied())?;
    if crs::is_lon_lat(&whole) {
        return Some(whole);
    }
    let (fit, out): (Vec<crs::Extent>, Vec<crs::Extent>) =
        envelopes.iter().partition(|e| crs::is_lon_lat(e));
    match union(fit.iter().copied()) {
        Some(e) if fit.len() >= out.len() => Some(e),
        _ => Some(whole),
    }
}

fn union(it: impl Iterator<Item = crs::Extent>) -> Option<crs::Extent> {
    it.reduce(|a, e| crs::Extent {
        min_x: a.min_x.min(e.min_x),
        min_y: a.min_y.min(e.min_y),
        max_x: a.max_x.max(e.max_x),
        max_y: a.max_y.max(e.max_y),
    })
}

#[cfg(test)]
mod equivalence;

#[cfg(test)]
mod tests {
    use super::columns::*;
    use super::parse::*;
    use crate::ingest::mapping::RawValue;
    use geo::Coord;

    fn fc(features: &str) -> Vec<u8> {
        format!(r#"{{"type":"FeatureCollection","features":[{features}]}}"#).into_bytes()
    }

    fn feature(props: &str, geom: &str) -> String {
        format!(r#"{{"type":"Feature","properties":{props},"geometry":{geom}}}"#)
    }

    const SQUARE: &str = r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}"#;

    #[test]
    fn text_kinds() {
        assert_eq!(text_kind("2024-01-05"), TextKind::Date);
        assert_eq!(text_kind("2024-02-31"), TextKind::Unsure);
        assert_eq!(text_kind("2024/1/5"), TextKind::Unsure);
        assert_eq!(text_kind("12:30"), TextKind::Unsure);
        assert_eq!(text_kind(" 5-3-2"), TextKind::Unsure);
        assert_eq!(text_kind("HZ-000001"), TextKind::Plain);
        assert_eq!(text_kind("12"), TextKind::Plain);
        assert_eq!(text_kind(""), TextKind::Plain);
        assert_eq!(text_kind("AV Mine, CMR"), TextKind::Plain);
    }

    #[test]
    fn cells_by_how_numbers_are_written() {
        assert_eq!(cell("12").unwrap(), Cell::Int(12));
        assert_eq!(cell("-0").unwrap(), Cell::Int(0));
        assert_eq!(cell("12.0").unwrap(), Cell::Real(12.0));
        assert_eq!(cell("1e3").unwrap(), Cell::Real(1000.0));
        assert_eq!(cell("null").unwrap(), Cell::Null);
        assert_eq!(cell(r#""a\u00e9""#).unwrap(), Cell::Text("aé".into()));
        assert_eq!(cell(r#""a\u0000b""#).unwrap(), Cell::Text("a\0b".into()));
        for unsupported in ["true", "[1]", "{}", "99999999999999999999", "1e999"] {
            assert!(cell(unsupported).is_err(), "{unsupported}");
        }
    }

    #[test]
    fn column_types_follow_gdal() {
        let bytes = fc(&[
            feature(
                r#"{"i":1,"r":1,"s":"x","d":"2024-01-05","n":null,"m":1}"#,
                "null",
            ),
            feature(r#"{"i":2,"r":2.5,"s":3,"d":"2024-01-06","m":"y"}"#, "null"),
        ]
        .join(","));
        let c = parse(&bytes).unwrap();
        let cols = Columns::of(&c.features).unwrap();
        assert_eq!(cols.names, ["i", "r", "s", "d", "n", "m"]);
        use ColumnType::*;
        assert_eq!(cols.types, [Integer, Real, String, Date, String, String]);
        let row = cols.row(&c.features[1].properties);
        assert_eq!(row[1], Some(RawValue::Real(2.5)));
        assert_eq!(row[2], Some(RawValue::Text("3".into())));
        assert_eq!(row[4], None);
        let row = cols.row(&c.features[0].properties);
        assert_eq!(row[1], Some(RawValue::Real(1.0)));
        assert_eq!(row[5], Some(RawValue::Text("1".into())));
    }

    #[test]
    fn columns_gdal_might_type_or_order_otherwise_step_aside() {
        for props in [
            [r#"{"a":"x"}"#, r#"{"a":1.5}"#],
            [r#"{"a":"2024-01-05"}"#, r#"{"a":"12:00"}"#],
            [r#"{"a":1,"b":2}"#, r#"{"b":1,"a":2}"#],
            [r#"{"a":1}"#, r#"{"A":2}"#],
            [r#"{"a":true}"#, r#"{"a":1}"#],
        ] {
            let bytes = fc(&props.map(|p| feature(p, "null")).join(","));
            let ok = parse(&bytes).and_then(|c| Columns::of(&c.features));
            assert!(ok.is_err(), "{props:?}");
        }
    }

    #[test]
    fn geometries() {
        let bytes = fc(&[
            feature("{}", SQUARE),
            feature(
                "null",
                r#"{"coordinates":[[[[0,0,9],[2,0,9],[2,2,9],[0,2,9],[0,0,9]],[[0.5,0.5,1],[1,0.5,1],[1,1,1],[0.5,0.5,1]]]],"type":"MultiPolygon"}"#,
            ),
            feature("{}", r#"{"type":"MultiPolygon","coordinates":[]}"#),
            feature("{}", r#"{"type":"Point","coordinates":[200,10]}"#),
        ]
        .join(","));
        let c = parse(&bytes).unwrap();
        let g: Vec<&Geom> = c
            .features
            .iter()
            .map(|f| f.geometry.as_ref().unwrap())
            .collect();
        assert_eq!(g[0].vertices(), 5);
        assert_eq!(g[1].vertices(), 9);
        assert!(g[2].is_empty() && g[2].envelope().is_none());
        assert_eq!(g[3].envelope().unwrap().min_x, 200.0);
        let geo::Geometry::MultiPolygon(mp) = c
            .features
            .into_iter()
            .nth(1)
            .unwrap()
            .geometry
            .unwrap()
            .into_geo()
        else {
            panic!("a multipolygon")
        };
        assert_eq!(mp.0[0].interiors().len(), 1);
        assert_eq!(mp.0[0].exterior().0[1], Coord { x: 2.0, y: 0.0 });
    }

    #[test]
    fn unusual_input_steps_aside() {
        for bad in [
            // not JSON, or not a FeatureCollection
            "{".to_string(),
            r#"{"type":"Feature","properties":{},"geometry":null}"#.to_string(),
            r#"{"type":"FeatureCollection","features":null}"#.to_string(),
            // other geometry types, unclosed and short rings, bad positions
            String::from_utf8(fc(&feature("{}", r#"{"type":"LineString","coordinates":[[0,0],[1,1]]}"#))).unwrap(),
            String::from_utf8(fc(&feature("{}", r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}"#))).unwrap(),
            String::from_utf8(fc(&feature("{}", r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}"#))).unwrap(),
            String::from_utf8(fc(&feature("{}", r#"{"type":"Polygon","coordinates":[]}"#))).unwrap(),
            String::from_utf8(fc(&feature("{}", r#"{"type":"Point","coordinates":[1]}"#))).unwrap(),
            String::from_utf8(fc(&feature("{}", r#"{"type":"Point","coordinates":[1,2,3,4]}"#))).unwrap(),
            // feature ids, foreign members, duplicate keys, another CRS
            String::from_utf8(fc(r#"{"type":"Feature","id":1,"properties":{},"geometry":null}"#)).unwrap(),
            String::from_utf8(fc(r#"{"type":"Feature","properties":{"a":1,"a":2},"geometry":null}"#)).unwrap(),
            r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:32648"}},"features":[]}"#.to_string(),
        ] {
            assert!(parse(bad.as_bytes()).and_then(|c| Columns::of(&c.features)).is_err(), "{bad}");
        }
        let ok = r#"{"type":"FeatureCollection","name":"H","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}},"features":[]}"#;
        assert_eq!(parse(ok.as_bytes()).unwrap().name.as_deref(), Some("H"));
    }
}
