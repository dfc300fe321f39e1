//! `layer_styles`: the default QGIS style of each spatial layer of
//! bundle.gpkg, built from the MapLibre style (`styles/clearmap.json`) so the
//! two never disagree: hazards categorised by classification, releases by
//! outcome, in the same colours and opacities.

use super::sqlite::{ColumnType, Value, Writer};
use super::{HAZARD_COLUMNS, RELEASE_COLUMNS};
use serde_json::Value as Json;

/// The `layer_styles` table as QGIS creates it, with one default style per
/// spatial layer.
pub(super) fn styles(w: &mut Writer, stamp: chrono::NaiveDate) -> rusqlite::Result<()> {
    let columns = [
        ("f_table_catalog", ColumnType::Text),
        ("f_table_schema", ColumnType::Text),
        ("f_table_name", ColumnType::Text),
        ("f_geometry_column", ColumnType::Text),
        ("styleName", ColumnType::Text),
        ("styleQML", ColumnType::Text),
        ("styleSLD", ColumnType::Text),
        ("useAsDefault", ColumnType::MediumInt),
        ("description", ColumnType::Text),
        ("owner", ColumnType::Text),
        ("ui", ColumnType::Text),
        ("update_time", ColumnType::DateTime),
    ];
    // As GDAL writes a date-time at midnight UTC.
    let time = format!("{}T00:00:00.000", stamp.format("%Y-%m-%d"));
    w.transaction(|tx| {
        let t = tx.table("layer_styles", None, &columns, "");
        for s in qgis_styles() {
            tx.row(
                t,
                &[
                    Value::Text(""),
                    Value::Text(""),
                    Value::Text(s.layer),
                    Value::Text("geom"),
                    Value::Text("clearmap"),
                    Value::Text(&s.qml),
                    Value::Text(""),
                    Value::Integer(1),
                    Value::Text(&s.description),
                    Value::Text(""),
                    Value::Text(""),
                    Value::Text(&time),
                ],
            )?;
        }
        Ok(())
    })
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
fn fill_categories(style: &Json, id: &str) -> Option<(String, Vec<Category>, f64)> {
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
    let style: Json =
        serde_json::from_str(include_str!("../../../styles/clearmap.json")).unwrap_or_default();
    [
        ("hazards", "hazards-fill", "#5A2A00"),
        ("releases", "releases-fill", "#FFFFFF"),
    ]
    .into_iter()
    .filter_map(|(layer, id, outline)| {
        let (property, categories, opacity) = fill_categories(&style, id)?;
        // The style's GeoJSON property, as the layer's column is named.
        let columns = if layer == "hazards" {
            &HAZARD_COLUMNS[..]
        } else {
            &RELEASE_COLUMNS[..]
        };
        let property = columns
            .iter()
            .find(|c| c.key == property)
            .map_or(property.clone(), |c| c.name.to_string());
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
        assert!(hz.contains("attr=\"class\""), "{hz}");
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
}
