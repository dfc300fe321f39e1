//! `bundle.gpkg`: the bundle for desktop GIS, a GeoPackage 1.3 written with
//! GDAL's GPKG driver. It holds
//! - the layers `hazards` and `releases`: the features and properties of
//!   hazards.geojson and releases.geojson (the same snapped geometries, every
//!   one a MultiPolygon, EPSG:4326), in typed columns: areas REAL, `date`
//!   DATE, text TEXT, and the lists (`contamination`, `hazard_ids`,
//!   `hazards_covered`) as comma-joined TEXT, which every format GDAL writes
//!   (Shapefile included) can hold;
//! - the four tables of `tables/` as attribute tables (no geometry), counts
//!   INTEGER, areas and ratios REAL, each with its notes as its description;
//! - QGIS layer styles in `layer_styles`, the table QGIS reads a layer's
//!   default style from: hazards categorised by classification, releases by
//!   outcome, in the colours and opacities of the MapLibre style
//!   (`styles/clearmap.json`, read here so the two never disagree), so the
//!   layers open styled in QGIS.
//!
//! GDAL is not thread-safe: the file is written from the one thread that
//! writes the documents, into the staging directory, under a temporary name
//! ending in `.gpkg` (the driver wants that extension), renamed to the
//! staging's temporary name once closed. Its timestamps are the `as_of` date
//! (2000-01-01 without one), so a rebuild of the same input gives the same
//! bytes.

use super::atomic::Staging;
use super::tables::{Cell, Table};
use super::{has_land, hazard_properties, release_properties, Bundle, EmitConfig};
use crate::error::{Error, Result};
use crate::geometry::snap_valid;
use gdal::spatial_ref::{AxisMappingStrategy, SpatialRef};
use gdal::vector::{
    FieldDefn, FieldValue, LayerAccess, LayerOptions, OGRFieldType, OGRwkbGeometryType, ToGdal,
};
use gdal::{Dataset, DriverManager};
use geo::orient::{Direction, Orient};
use geo::MultiPolygon;
use serde_json::{Map, Value};
use std::io;
use std::path::{Path, PathBuf};

/// The GeoPackage's name in the bundle.
pub const FILE: &str = "bundle.gpkg";

/// How a property is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Real,
    Date,
    /// A JSON array of strings, stored comma-joined.
    List,
}

const HAZARD_COLUMNS: [(&str, Kind); 11] = [
    ("id", Kind::Text),
    ("classification", Kind::Text),
    ("status", Kind::Text),
    ("contamination", Kind::List),
    ("region", Kind::Text),
    ("area_m2", Kind::Real),
    ("remaining_m2", Kind::Real),
    ("released_cancelled_m2", Kind::Real),
    ("released_reduced_m2", Kind::Real),
    ("released_cleared_m2", Kind::Real),
    ("area_reported_m2", Kind::Real),
];

const RELEASE_COLUMNS: [(&str, Kind); 7] = [
    ("id", Kind::Text),
    ("hazard_ids", Kind::List),
    ("hazards_covered", Kind::List),
    ("outcome", Kind::Text),
    ("date", Kind::Date),
    ("area_m2", Kind::Real),
    ("area_reported_m2", Kind::Real),
];

/// Stage `out/bundle.gpkg`.
pub fn write_gpkg(
    staging: &mut Staging,
    out: &Path,
    cfg: &EmitConfig,
    b: &Bundle,
    tables: &[Table],
) -> Result<()> {
    let target = out.join(FILE);
    let tmp = staging.path_for(&target);
    let mut gdal_tmp = tmp.clone().into_os_string();
    gdal_tmp.push(".gpkg");
    let gdal_tmp = PathBuf::from(gdal_tmp);
    let result = write_file(&gdal_tmp, cfg, b, tables)
        .map_err(io::Error::other)
        .and_then(|()| std::fs::File::open(&gdal_tmp)?.sync_all())
        .and_then(|()| std::fs::rename(&gdal_tmp, &tmp));
    result.map_err(|source| {
        let _ = std::fs::remove_file(&gdal_tmp);
        Error::Output {
            path: target,
            source,
        }
    })
}

fn write_file(
    path: &Path,
    cfg: &EmitConfig,
    b: &Bundle,
    tables: &[Table],
) -> gdal::errors::Result<()> {
    // gpkg_contents.last_change and layer_styles.update_time: the as_of date.
    let stamp = cfg
        .as_of
        .unwrap_or_else(|| chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default());
    let stamp_text = format!("{}T00:00:00.000Z", stamp.format("%Y-%m-%d"));
    gdal::config::set_thread_local_config_option("OGR_CURRENT_DATE", &stamp_text)?;
    let written = (|| {
        let driver = DriverManager::get_driver_by_name("GPKG")?;
        let mut options = gdal::cpl::CslStringList::new();
        options.set_name_value("VERSION", "1.3")?;
        let mut ds = driver.create_with_band_type_with_options::<u8, _>(path, 0, 0, 0, &options)?;
        let mut srs = SpatialRef::from_epsg(4326)?;
        srs.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
        let rec = b.reconciled;
        let acc = b.accounting;
        let p = cfg.precision;

        let hazards = rec
            .hazards
            .iter()
            .zip(&acc.hazards)
            .filter(|(_, r)| has_land(r))
            .map(|(h, r)| (hazard_properties(h, r), &r.remaining));
        let about = super::tables::country(cfg);
        spatial_layer(
            &mut ds,
            &srs,
            "hazards",
            &format!("hazards with land remaining, their remaining part ({about})"),
            &HAZARD_COLUMNS,
            hazards,
            p,
        )?;
        let releases = acc
            .pieces
            .iter()
            .map(|piece| (release_properties(rec, piece), &piece.geometry));
        spatial_layer(
            &mut ds,
            &srs,
            "releases",
            &format!("release pieces: the land each release is counted for ({about})"),
            &RELEASE_COLUMNS,
            releases,
            p,
        )?;
        for t in tables {
            attribute_table(&mut ds, t)?;
        }
        styles(&mut ds, stamp)?;
        ds.close()
    })();
    let _ = gdal::config::clear_thread_local_config_option("OGR_CURRENT_DATE");
    written
}

fn spatial_layer<'g>(
    ds: &mut Dataset,
    srs: &SpatialRef,
    name: &str,
    description: &str,
    columns: &[(&str, Kind)],
    features: impl Iterator<Item = (Map<String, Value>, &'g MultiPolygon<f64>)>,
    precision: u8,
) -> gdal::errors::Result<()> {
    let description = format!("DESCRIPTION={description}");
    let options = ["SPATIAL_INDEX=YES", description.as_str()];
    let mut tx = ds.start_transaction()?;
    let layer = tx.create_layer(LayerOptions {
        name,
        srs: Some(srs),
        ty: OGRwkbGeometryType::wkbMultiPolygon,
        options: Some(&options),
    })?;
    for (key, kind) in columns {
        let ty = match kind {
            Kind::Text | Kind::List => OGRFieldType::OFTString,
            Kind::Real => OGRFieldType::OFTReal,
            Kind::Date => OGRFieldType::OFTDate,
        };
        FieldDefn::new(key, ty)?.add_to_layer(&layer)?;
    }
    let defn = layer.defn();
    for (props, geometry) in features {
        let mut f = gdal::vector::Feature::new(defn)?;
        for (i, (key, kind)) in columns.iter().enumerate() {
            match (kind, props.get(*key)) {
                (_, None | Some(Value::Null)) => f.set_field_null(i)?,
                (Kind::Real, Some(v)) => match v.as_f64() {
                    Some(x) => f.set_field_double(i, x)?,
                    None => f.set_field_null(i)?,
                },
                (Kind::Date, Some(Value::String(s))) => {
                    match chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                        Ok(d) => f.set_field(i, &FieldValue::DateValue(d))?,
                        Err(_) => f.set_field_null(i)?,
                    }
                }
                (Kind::List, Some(Value::Array(items))) => {
                    let items: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
                    f.set_field_string(i, &text(&items.join(",")))?
                }
                (_, Some(Value::String(s))) => f.set_field_string(i, &text(s))?,
                (_, Some(v)) => f.set_field_string(i, &text(&v.to_string()))?,
            }
        }
        // The geometry of the GeoJSON feature: cut at ±180°, snapped to the
        // output grid, counter-clockwise; none when smaller than the grid.
        let cut = crate::geometry::antimeridian::split(geometry);
        let snapped = snap_valid(cut.as_ref().unwrap_or(geometry), precision);
        if !snapped.0.is_empty() {
            f.set_geometry(snapped.orient(Direction::Default).to_gdal()?)?;
        }
        f.create(&layer)?;
    }
    tx.commit()
}

fn attribute_table(ds: &mut Dataset, t: &Table) -> gdal::errors::Result<()> {
    let description = format!("DESCRIPTION={}", t.notes.join(". "));
    let options = [description.as_str()];
    let mut tx = ds.start_transaction()?;
    let layer = tx.create_layer(LayerOptions {
        name: t.name,
        srs: None,
        ty: OGRwkbGeometryType::wkbNone,
        options: Some(&options),
    })?;
    for (c, column) in t.columns.iter().enumerate() {
        // A column's type is that of its first non-empty cell.
        let first = t
            .rows
            .iter()
            .filter_map(|r| r.get(c))
            .find(|cell| !matches!(cell, Cell::Empty));
        let ty = match first {
            Some(Cell::Count(_)) => OGRFieldType::OFTInteger64,
            Some(Cell::M2(_) | Cell::Km2(_) | Cell::Ratio(_)) => OGRFieldType::OFTReal,
            _ if is_numeric(column.key) => OGRFieldType::OFTReal,
            _ => OGRFieldType::OFTString,
        };
        FieldDefn::new(column.key, ty)?.add_to_layer(&layer)?;
    }
    let defn = layer.defn();
    for row in &t.rows {
        let mut f = gdal::vector::Feature::new(defn)?;
        for (i, cell) in row.iter().enumerate() {
            match cell {
                Cell::Text(s) => f.set_field_string(i, &text(s))?,
                Cell::Count(n) => f.set_field_integer64(i, *n as i64)?,
                Cell::M2(x) | Cell::Km2(x) | Cell::Ratio(x) => f.set_field_double(i, *x)?,
                Cell::Empty => f.set_field_null(i)?,
            }
        }
        f.create(&layer)?;
    }
    tx.commit()
}

/// Text as GDAL can take it: a NUL (which an id may hold, and GDAL's C
/// strings cannot) as the `\u0000` GeoJSON shows, so ids stay distinct.
fn text(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('\0') {
        s.replace('\0', "\\u0000").into()
    } else {
        s.into()
    }
}

/// Columns that hold numbers even where a table has no row to show it.
fn is_numeric(key: &str) -> bool {
    key.ends_with("_m2")
        || key.ends_with("_km2")
        || key.ends_with("_count")
        || key == "relative_difference"
}

/// The `layer_styles` table as QGIS creates it, with one default style per
/// spatial layer.
fn styles(ds: &mut Dataset, stamp: chrono::NaiveDate) -> gdal::errors::Result<()> {
    let mut tx = ds.start_transaction()?;
    let layer = tx.create_layer(LayerOptions {
        name: "layer_styles",
        srs: None,
        ty: OGRwkbGeometryType::wkbNone,
        options: None,
    })?;
    let text = [
        "f_table_catalog",
        "f_table_schema",
        "f_table_name",
        "f_geometry_column",
        "styleName",
        "styleQML",
        "styleSLD",
    ];
    for k in text {
        FieldDefn::new(k, OGRFieldType::OFTString)?.add_to_layer(&layer)?;
    }
    FieldDefn::new("useAsDefault", OGRFieldType::OFTInteger)?.add_to_layer(&layer)?;
    for k in ["description", "owner", "ui"] {
        FieldDefn::new(k, OGRFieldType::OFTString)?.add_to_layer(&layer)?;
    }
    FieldDefn::new("update_time", OGRFieldType::OFTDateTime)?.add_to_layer(&layer)?;
    let time = stamp
        .and_time(chrono::NaiveTime::MIN)
        .and_utc()
        .fixed_offset();
    let defn = layer.defn();
    for s in qgis_styles() {
        let mut f = gdal::vector::Feature::new(defn)?;
        let values = ["", "", s.layer, "geom", "clearmap", s.qml.as_str(), ""];
        for (i, v) in values.iter().enumerate() {
            f.set_field_string(i, v)?;
        }
        f.set_field_integer(7, 1)?;
        f.set_field_string(8, &s.description)?;
        f.set_field_string(9, "")?;
        f.set_field_string(10, "")?;
        f.set_field(11, &FieldValue::DateTimeValue(time))?;
        f.create(&layer)?;
    }
    tx.commit()
}

/// One layer's QGIS style.
struct QgisStyle {
    layer: &'static str,
    description: String,
    qml: String,
}

/// A category of a MapLibre `match` expression: value (empty for the
/// fallback), colour, legend label.
#[derive(Debug, Clone, PartialEq)]
struct Category {
    value: String,
    colour: String,
    label: String,
}

/// The fill categories of the style's layer `id`: its `fill-color` match on
/// a property, the labels of its legend metadata, and its `fill-opacity`.
fn fill_categories(style: &Value, id: &str) -> Option<(String, Vec<Category>, f64)> {
    let layer = style["layers"].as_array()?.iter().find(|l| l["id"] == id)?;
    let paint = &layer["paint"];
    let expr = paint["fill-color"].as_array()?;
    // ["match", ["get", PROPERTY], v1, c1, v2, c2, …, fallback]
    let property = expr.get(1)?.as_array()?.get(1)?.as_str()?.to_string();
    let labels = &layer["metadata"]["clearmap:legend"]["labels"];
    let label = |v: &str| labels[v].as_str().unwrap_or(v).to_string();
    let arms = expr.get(2..)?;
    let mut out = Vec::new();
    for pair in arms.chunks(2) {
        match pair {
            [v, c] => {
                let v = v.as_str()?;
                out.push(Category {
                    value: v.to_string(),
                    colour: c.as_str()?.to_string(),
                    label: label(v),
                });
            }
            [fallback] => out.push(Category {
                value: String::new(),
                colour: fallback.as_str()?.to_string(),
                label: labels[""].as_str().unwrap_or("other").to_string(),
            }),
            _ => return None,
        }
    }
    let opacity = paint["fill-opacity"].as_f64().unwrap_or(1.0);
    Some((property, out, opacity))
}

/// The styles of `hazards` and `releases`, from the MapLibre style.
fn qgis_styles() -> Vec<QgisStyle> {
    let style: Value =
        serde_json::from_str(include_str!("../../styles/clearmap.json")).unwrap_or_default();
    [
        ("hazards", "hazards-fill", "#5A2A00"),
        ("releases", "releases-fill", "#FFFFFF"),
    ]
    .into_iter()
    .filter_map(|(layer, id, outline)| {
        let (property, categories, opacity) = fill_categories(&style, id)?;
        Some(QgisStyle {
            layer,
            description: format!(
                "IMAS 07.11 colours, as the bundle's style.json: {layer} by {property}"
            ),
            qml: qml(&property, &categories, opacity, outline),
        })
    })
    .collect()
}

/// "#RRGGBB" and an opacity as QGIS's "r,g,b,a".
fn qgis_colour(hex: &str, opacity: f64) -> String {
    let h = hex.trim_start_matches('#');
    let c = |i: usize| {
        h.get(i..i + 2)
            .and_then(|s| u8::from_str_radix(s, 16).ok())
            .unwrap_or(0)
    };
    let a = (opacity.clamp(0.0, 1.0) * 255.0).round() as u8;
    format!("{},{},{},{a}", c(0), c(2), c(4))
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A QGIS 3 categorised renderer on `property`: a simple fill per category,
/// the fallback category (empty value) for every other value.
fn qml(property: &str, categories: &[Category], opacity: f64, outline: &str) -> String {
    let mut cats = String::new();
    let mut symbols = String::new();
    for (i, c) in categories.iter().enumerate() {
        cats.push_str(&format!(
            "      <category render=\"true\" symbol=\"{i}\" value=\"{}\" label=\"{}\"/>\n",
            xml_escape(&c.value),
            xml_escape(&c.label)
        ));
        symbols.push_str(&format!(
            concat!(
                "      <symbol type=\"fill\" name=\"{i}\" alpha=\"1\" clip_to_extent=\"1\" force_rhr=\"0\">\n",
                "        <layer class=\"SimpleFill\" enabled=\"1\" locked=\"0\" pass=\"0\">\n",
                "          <Option type=\"Map\">\n",
                "            <Option type=\"QString\" name=\"color\" value=\"{fill}\"/>\n",
                "            <Option type=\"QString\" name=\"outline_color\" value=\"{line}\"/>\n",
                "            <Option type=\"QString\" name=\"outline_style\" value=\"solid\"/>\n",
                "            <Option type=\"QString\" name=\"outline_width\" value=\"0.26\"/>\n",
                "            <Option type=\"QString\" name=\"outline_width_unit\" value=\"MM\"/>\n",
                "            <Option type=\"QString\" name=\"style\" value=\"solid\"/>\n",
                "          </Option>\n",
                "        </layer>\n",
                "      </symbol>\n"
            ),
            i = i,
            fill = qgis_colour(&c.colour, opacity),
            line = qgis_colour(outline, 1.0),
        ));
    }
    format!(
        concat!(
            "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n",
            "<qgis version=\"3.22.0\" styleCategories=\"Symbology\">\n",
            "  <renderer-v2 type=\"categorizedSymbol\" attr=\"{attr}\" symbollevels=\"0\" enableorderby=\"0\" forceraster=\"0\">\n",
            "    <categories>\n{cats}    </categories>\n",
            "    <symbols>\n{symbols}    </symbols>\n",
            "  </renderer-v2>\n",
            "</qgis>\n"
        ),
        attr = xml_escape(property),
        cats = cats,
        symbols = symbols,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_follow_the_maplibre_colours() {
        let s = qgis_styles();
        assert_eq!(s.len(), 2, "hazards and releases");
        let hz = &s[0].qml;
        assert!(hz.contains("attr=\"classification\""), "{hz}");
        // CHA #FF0000 and SHA #F4A718 at the style's 50 % fill opacity.
        assert!(
            hz.contains("value=\"CHA\"") && hz.contains("\"255,0,0,128\""),
            "{hz}"
        );
        assert!(hz.contains("\"244,167,24,128\""), "{hz}");
        let rel = &s[1].qml;
        assert!(rel.contains("attr=\"outcome\"") && rel.contains("value=\"cleared\""));
        assert_eq!(qgis_colour("#0072B2", 0.7), "0,114,178,179");
    }

    #[test]
    fn a_nul_is_written_as_its_json_escape() {
        assert_eq!(text("H1\0a"), "H1\\u0000a");
        assert_eq!(text("H1"), "H1");
    }
}
