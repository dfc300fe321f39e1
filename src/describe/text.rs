//! The text printout of a description.

use super::*;
use std::fmt::Write;

/// The text printout of a description.
pub fn to_text(d: &Description) -> String {
    let mut out = String::new();
    for f in &d.files {
        let _ = writeln!(out, "{}", f.path.display());
        if let Some(e) = &f.error {
            let _ = writeln!(out, "  cannot be read: {e}\n");
            continue;
        }
        for l in &f.layers {
            layer_text(&mut out, l);
        }
    }
    out
}

fn num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        let s = format!("{x:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A value as printed: quoted when spaces around it would not show.
fn shown(v: &str) -> String {
    if v.is_empty() {
        "(empty)".into()
    } else if v.trim() != v {
        format!("{v:?}")
    } else {
        v.to_string()
    }
}

fn layer_text(out: &mut String, l: &LayerDescription) {
    let geoms = l.geometry_counts();
    let _ = writeln!(
        out,
        "  layer \"{}\" ({}): {} feature{}{}",
        l.name,
        l.driver,
        l.features,
        if l.features == 1 { "" } else { "s" },
        match &l.geometry_type {
            Some(t) if !geoms.is_empty() => format!(", {t} ({})", geoms),
            Some(t) => format!(", {t}"),
            None => ", no geometry (a table)".into(),
        }
    );
    if let Some(t) = &l.template {
        let _ = writeln!(
            out,
            "    IMSMA NG point template: {} polygons (PolyID) from {} rows; read it with preset = \"imsma-ng-points\" and its crs",
            t.polygons, t.rows
        );
    }
    if l.geometry_type.is_some() || l.template.is_some() {
        let _ = writeln!(
            out,
            "    CRS: {}",
            match (&l.crs, &l.crs_note) {
                (Some(c), _) => c.clone(),
                (None, Some(n)) => n.clone(),
                (None, None) => "none declared".into(),
            }
        );
    }
    if let Some([x0, y0, x1, y1]) = l.extent {
        let _ = writeln!(
            out,
            "    extent: x {} … {}, y {} … {}",
            num(x0),
            num(x1),
            num(y0),
            num(y1)
        );
    }
    if let Some(c) = &l.country {
        let _ = writeln!(
            out,
            "    lies in: {} ({} of {} records looked up; Natural Earth boundaries)",
            c.iso3, c.records, c.sampled
        );
    }
    if let Some(fit) = &l.fit {
        let fields: Vec<String> = fit
            .fields
            .iter()
            .map(|(f, c)| format!("{f} = {c}"))
            .collect();
        let _ = writeln!(
            out,
            "    looks like: {} read with preset {}{}",
            fit.role
                .map_or("hazards or releases (the names do not tell)", |r| {
                    if r == "hazard" {
                        "hazards"
                    } else {
                        "releases"
                    }
                }),
            fit.preset,
            if fields.is_empty() {
                String::new()
            } else {
                format!(": {}", fields.join(", "))
            }
        );
    }
    let _ = writeln!(out, "    columns:");
    for c in &l.columns {
        let _ = writeln!(
            out,
            "      {} ({}): {} null, {}{} distinct{}{}",
            c.name,
            c.kind,
            c.nulls,
            if c.distinct_capped { "over " } else { "" },
            c.distinct,
            match (c.min, c.max) {
                (Some(a), Some(b)) => format!(", {} … {}", num(a), num(b)),
                _ => String::new(),
            },
            if c.used_by.is_empty() {
                String::new()
            } else {
                format!("  [{}]", c.used_by.join(", "))
            }
        );
        let non_null: u64 = c.all_values.iter().map(|v| v.count).sum();
        if c.distinct > SHOWN_VALUES && (c.distinct as u64) * 2 > non_null {
            // An id-like column: its repeated values are what matters.
            let once = c.all_values.iter().filter(|v| v.count == 1).count();
            let e: Vec<String> = c
                .all_values
                .iter()
                .filter(|v| v.count == 1)
                .take(3)
                .map(|v| shown(&v.value))
                .collect();
            for v in c.values.iter().filter(|v| v.count > 1) {
                let _ = writeln!(out, "          {}  {}", v.count, shown(&v.value));
            }
            let _ = writeln!(out, "          {once} values once, e.g. {}", e.join(", "));
            continue;
        }
        let width = c.values.first().map_or(1, |v| v.count.to_string().len());
        for v in &c.values {
            let _ = writeln!(
                out,
                "          {:>width$}  {}{}",
                v.count,
                if v.value.is_empty() {
                    "(empty)"
                } else {
                    &v.value
                },
                v.code
                    .as_ref()
                    .map(|k| format!(" (code {k})"))
                    .unwrap_or_default()
            );
        }
        if c.more > 0 {
            let rest: u64 = c.all_values[c.values.len()..].iter().map(|v| v.count).sum();
            let _ = writeln!(out, "          … {} more ({rest} rows)", c.more);
        }
    }
    out.push('\n');
}
