//! Conformance of clearmap's MVT encoder and decoder with `@mapbox/mvt-fixtures`.
//!
//! For every fixture valid under MVT v2, the fixture's `tile.json` (the
//! protobuf contents written out as JSON) is re-encoded with clearmap's
//! [`LayerBuilder`]; clearmap's bytes and the fixture's `tile.mvt` are then
//! both decoded with clearmap's decoder and compared: layer names, versions,
//! extents, feature ids, geometry types, properties (keys and typed values,
//! resolved through the layers' tables) and command streams. Fixtures the
//! encoder cannot express (lines, multipoints, unknown geometry types, layers
//! of version 1, tables with unused or duplicated entries…) are listed as
//! skipped with the reason (`cargo test mvt_fixtures -- --nocapture`).
//!
//! The fixtures come from npm (pinned in tests/web/package.json): scripts/test
//! runs `npm ci` in tests/web before `cargo test` (as scripts/test-browser
//! does); a bare `cargo test` without tests/web/node_modules skips this test
//! and says so.

use clearmap::tiles::mvt::{
    decode_commands, decode_tile, DecodedLayer, LayerBuilder, TileGeometry, Value,
};
use serde_json::Value as Json;
use std::path::PathBuf;

fn fixtures_dir() -> PathBuf {
    crate::common::repo().join("tests/web/node_modules/@mapbox/mvt-fixtures/fixtures")
}

fn value(v: &Json) -> Result<Value, String> {
    let o = v.as_object().ok_or("value is not an object")?;
    if o.len() != 1 {
        return Err(format!("value with {} fields", o.len()));
    }
    let (k, x) = o.iter().next().expect("one field");
    Ok(match k.as_str() {
        "string_value" => Value::String(
            x.as_str()
                .ok_or("string_value that is not a string")?
                .into(),
        ),
        // clearmap writes no floats: the float widened to a double is what a
        // decoder reads from the fixture's float_value.
        "float_value" => {
            Value::Double(x.as_f64().ok_or("float_value that is not a number")? as f32 as f64)
        }
        "double_value" => Value::Double(x.as_f64().ok_or("double_value that is not a number")?),
        "int_value" | "sint_value" => {
            Value::Int(x.as_i64().ok_or("int_value that is not an integer")?)
        }
        "uint_value" => Value::Uint(x.as_u64().ok_or("uint_value that is not unsigned")?),
        "bool_value" => Value::Bool(x.as_bool().ok_or("bool_value that is not a bool")?),
        other => return Err(format!("value type {other}")),
    })
}

/// Re-encode a fixture's tile.json; `Err(reason)` when clearmap's encoder
/// cannot express it.
fn reencode(tile: &Json) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let layers = match tile.get("layers") {
        None => return Ok(out),
        Some(l) => l.as_array().ok_or("layers is not a list")?,
    };
    for l in layers {
        let version = l["version"].as_u64().unwrap_or(1);
        if version != 2 {
            return Err(format!("layer version {version} (clearmap writes 2)"));
        }
        let name = l["name"].as_str().ok_or("layer without name")?;
        let extent = l["extent"].as_u64().unwrap_or(4096) as u32;
        let keys: Vec<&str> = l["keys"]
            .as_array()
            .map(|a| a.iter().map(|k| k.as_str().unwrap_or_default()).collect())
            .unwrap_or_default();
        let values: Vec<Value> = l["values"]
            .as_array()
            .map(|a| a.iter().map(value).collect::<Result<_, _>>())
            .transpose()?
            .unwrap_or_default();
        let mut b = LayerBuilder::new(name, extent);
        let mut used = (vec![false; keys.len()], vec![false; values.len()]);
        for f in l["features"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
            let tags: Vec<usize> = f["tags"]
                .as_array()
                .map(|a| a.iter().map(|t| t.as_u64().unwrap_or(0) as usize).collect())
                .unwrap_or_default();
            if !tags.len().is_multiple_of(2) {
                return Err("odd number of tags".into());
            }
            let mut props = Vec::new();
            for kv in tags.chunks(2) {
                let k = *keys.get(kv[0]).ok_or("tag key out of range")?;
                let v = values.get(kv[1]).ok_or("tag value out of range")?;
                used.0[kv[0]] = true;
                used.1[kv[1]] = true;
                props.push((k, v.clone()));
            }
            let cmds: Vec<u32> = f["geometry"]
                .as_array()
                .map(|a| a.iter().map(|c| c.as_u64().unwrap_or(0) as u32).collect())
                .unwrap_or_default();
            let parts = decode_commands(&cmds).map_err(|e| format!("geometry: {e}"))?;
            let geometry = match f["type"].as_u64().unwrap_or(0) {
                1 => match parts.as_slice() {
                    [(pts, false)] if pts.len() == 1 => TileGeometry::Point(pts[0].0, pts[0].1),
                    _ => return Err("multipoint (clearmap encodes single points)".into()),
                },
                3 => TileGeometry::Polygons(parts.into_iter().map(|(r, _)| r).collect()),
                2 => return Err("linestring (clearmap encodes no lines)".into()),
                t => return Err(format!("geometry type {t}")),
            };
            let props = clearmap::tiles::Properties::new(props);
            if !b.add_feature(f["id"].as_u64(), props.as_ref(), &geometry) {
                return Err("geometry the encoder refuses (degenerate)".into());
            }
        }
        // clearmap's tables hold only what features use, each entry once.
        if used.0.iter().chain(&used.1).any(|u| !u) {
            return Err("key or value table with unused entries".into());
        }
        let distinct: std::collections::BTreeSet<&str> = keys.iter().copied().collect();
        if distinct.len() != keys.len() {
            return Err("duplicate keys in the table".into());
        }
        b.write_to(&mut out);
    }
    Ok(out)
}

fn describe(layers: &[DecodedLayer]) -> String {
    format!("{layers:?}")
}

#[test]
fn mvt_fixtures_reencode_to_the_same_tiles() {
    let dir = fixtures_dir();
    if !dir.is_dir() {
        eprintln!(
            "SKIPPED mvt_fixtures: {} is missing; run `npm ci` in tests/web (scripts/test-browser does)",
            dir.display()
        );
        return;
    }
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    let (mut passed, mut skipped, mut failed) = (Vec::new(), Vec::new(), Vec::new());
    for fx in names {
        let id = fx.file_name().unwrap().to_string_lossy().into_owned();
        let info: Json = serde_json::from_slice(&std::fs::read(fx.join("info.json")).unwrap())
            .unwrap_or_else(|e| panic!("{id}/info.json: {e}"));
        let theirs = std::fs::read(fx.join("tile.mvt")).unwrap();
        if info["validity"]["v2"] != Json::Bool(true) {
            // Invalid tiles may be refused, but must not crash the decoder.
            let verdict = match decode_tile(&theirs) {
                Ok(_) => "decoded".to_string(),
                Err(e) => format!("refused: {e}"),
            };
            skipped.push(format!("{id}: not valid under MVT v2 ({verdict})"));
            continue;
        }
        let tile: Json = serde_json::from_slice(&std::fs::read(fx.join("tile.json")).unwrap())
            .unwrap_or_else(|e| panic!("{id}/tile.json: {e}"));
        let ours = match reencode(&tile) {
            Ok(b) => b,
            Err(reason) => {
                // Valid tiles clearmap cannot write must still decode.
                if let Err(e) = decode_tile(&theirs) {
                    failed.push(format!("{id}: clearmap cannot decode a valid tile: {e}"));
                }
                skipped.push(format!("{id}: {reason}"));
                continue;
            }
        };
        let want = match decode_tile(&theirs) {
            Ok(l) => l,
            Err(e) => {
                failed.push(format!(
                    "{id}: clearmap cannot decode the fixture's tile.mvt: {e}"
                ));
                continue;
            }
        };
        match decode_tile(&ours) {
            Ok(got) if got == want => passed.push(id),
            Ok(got) => failed.push(format!(
                "{id}: differs\n  fixture:  {}\n  clearmap: {}",
                describe(&want),
                describe(&got)
            )),
            Err(e) => failed.push(format!("{id}: clearmap's own bytes do not decode: {e}")),
        }
    }
    eprintln!(
        "mvt-fixtures: {} passed ({}), {} skipped:\n  {}",
        passed.len(),
        passed.join(" "),
        skipped.len(),
        skipped.join("\n  ")
    );
    assert!(failed.is_empty(), "{}", failed.join("\n"));
    assert!(
        passed.len() >= 10,
        "only {} fixtures compared",
        passed.len()
    );
}
