//! `clearmap init`: a commented config written from an export folder.
//!
//! Owns the layout guess and the writing: which layer holds hazards and which
//! releases (and which is an NG point template), which preset fits each, the
//! columns of each canonical field, a `[source.values.FIELD]` line for every
//! raw value found, the latest release date as a commented `as_of`, and the
//! CRS a layer lacks. What it is sure of is written as config lines; what it
//! cannot place is a commented line marked `TODO` with its count, so that
//! uncommenting each TODO line and keeping the value it means gives a config
//! that builds. The statistics come from [`crate::describe`].

use crate::describe::{
    column_for, column_for_name, describe, lon_lat, ColumnDescription, FileDescription,
    LayerDescription,
};
use crate::error::{Error, Result};
use crate::ingest::{
    canonical_choices, parse_date, role_fields, role_value_fields, suggest_crs, DateError, Extent,
    Field, Limits, Preset, RawValue,
};
use crate::model::{Classification, Outcome, Role, Status, CONTAMINATION_TYPES};
use chrono::NaiveDate;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Component, Path, PathBuf};

/// Raw values written per field; more suggests a column that is no vocabulary.
const MAX_VALUES: usize = 200;

/// What `init` wrote.
#[derive(Debug)]
pub struct Written {
    pub sources: usize,
    pub todos: usize,
    /// Layers left out, with why.
    pub skipped: Vec<String>,
}

/// A layer chosen as a source.
struct Chosen<'a> {
    file: &'a FileDescription,
    layer: &'a LayerDescription,
    role: Option<Role>,
    preset: Preset,
    /// An attributes table of a point template: (file, layer).
    attributes: Option<(&'a FileDescription, &'a LayerDescription)>,
}

/// Write a config for the export in `dir` to `out`.
pub fn init(dir: &Path, out: &Path, force: bool, limits: &Limits) -> Result<Written> {
    if out.exists() && !force {
        return Err(Error::Usage(format!(
            "{} exists; give another -o, or --force to overwrite it",
            out.display()
        )));
    }
    let d = describe(dir, None, limits)?;
    let base = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let (text, written) = config_text(dir, &d.files, base);
    std::fs::write(out, text).map_err(|source| Error::Output {
        path: out.to_path_buf(),
        source,
    })?;
    Ok(written)
}

/// The config text for the described files; paths relative to `base`.
pub fn config_text(dir: &Path, files: &[FileDescription], base: &Path) -> (String, Written) {
    let mut written = Written {
        sources: 0,
        todos: 0,
        skipped: Vec::new(),
    };
    let mut chosen: Vec<Chosen> = Vec::new();
    let tables: Vec<(&FileDescription, &LayerDescription)> = files
        .iter()
        .flat_map(|f| f.layers.iter().map(move |l| (f, l)))
        .filter(|(_, l)| l.geometry_type.is_none() && l.template.is_none())
        .collect();
    for f in files {
        if let Some(e) = &f.error {
            written
                .skipped
                .push(format!("{}: cannot be read: {e}", f.path.display()));
        }
        for l in &f.layers {
            let what = format!("{} layer {}", f.path.display(), l.name);
            let Some(fit) = &l.fit else {
                if l.geometry_type.is_some() {
                    let kinds: Vec<&str> = l.geometries.keys().map(String::as_str).collect();
                    written.skipped.push(format!(
                        "{what}: no polygons ({}): no area",
                        kinds.join(", ")
                    ));
                } else if !tables
                    .iter()
                    .any(|(tf, tl)| std::ptr::eq(*tf, f) && std::ptr::eq(*tl, l))
                {
                    written.skipped.push(format!("{what}: not used"));
                }
                continue;
            };
            let role = match fit.role {
                Some("release") => Some(Role::Release),
                Some(_) => Some(Role::Hazard),
                None => None,
            };
            let preset = Preset::by_name(fit.preset).unwrap_or_default();
            let attributes = (preset == Preset::NgPoints)
                .then(|| {
                    tables
                        .iter()
                        .find(|(_, t)| {
                            let names = names(t);
                            column_for_name(&names, "PolyID").is_some()
                        })
                        .copied()
                })
                .flatten();
            // A template's rows tell no role; its attributes may.
            let role = role.or_else(|| {
                attributes.and_then(|(af, al)| {
                    let stem = af
                        .path
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    crate::describe::guess_role(&stem, &al.name, &names(al))
                })
            });
            chosen.push(Chosen {
                file: f,
                layer: l,
                role,
                preset,
                attributes,
            });
        }
    }
    let used_tables: Vec<*const LayerDescription> = chosen
        .iter()
        .filter_map(|c| c.attributes.map(|(_, l)| l as *const _))
        .collect();
    for (f, l) in &tables {
        if !used_tables.contains(&(*l as *const _)) {
            written.skipped.push(format!(
                "{} layer {}: a table without geometry",
                f.path.display(),
                l.name
            ));
        }
    }

    // The hazard id columns, to find the releases' links to them.
    let hazard_ids: Vec<(String, Vec<&str>)> = chosen
        .iter()
        .filter(|c| c.role == Some(Role::Hazard))
        .filter_map(|c| {
            let names = names(c.layer);
            let i = column_for(&names, c.preset, Role::Hazard, Field::Id)?;
            let col = &c.layer.columns[i];
            Some((
                col.name.clone(),
                col.all_values.iter().map(|v| v.value.as_str()).collect(),
            ))
        })
        .collect();

    let mut body = String::new();
    let mut latest: Option<NaiveDate> = None;
    for c in &chosen {
        written.sources += 1;
        let s = source_text(c, base, &hazard_ids, &mut latest);
        written.todos += s.matches("# TODO:").count();
        body.push_str(&s);
    }

    let mut head = String::new();
    let _ = writeln!(
        head,
        "# clearmap config written by `clearmap init {}`.\n\
         # Commented lines with a TODO note need you: remove their leading \"# \" and\n\
         # keep the value it means (where a line offers \"a|b|c\", keep one). Then check it with\n\
         # `clearmap validate` and build with `clearmap build CONFIG --out DIR`.\n\
         # `clearmap describe {}` lists every column and value of the export.",
        dir.display(),
        dir.display()
    );
    head.push('\n');
    head.push_str(&country_line(&chosen));
    head.push_str("# name = \"…\"\n");
    match latest {
        Some(d) => {
            let _ = writeln!(
                head,
                "# as_of = \"{d}\"   # the latest release date found; releases dated after as_of are left out"
            );
        }
        None => head.push_str("# as_of = \"YYYY-MM-DD\"   # the last day of the reporting period (no release date was found)\n"),
    }
    if !written.skipped.is_empty() {
        head.push_str("\n# Not read:\n");
        for s in &written.skipped {
            let _ = writeln!(head, "#   {s}");
        }
    }
    if !chosen.iter().any(|c| c.role == Some(Role::Hazard)) {
        head.push_str("\n# No layer was recognised as hazards: a config needs a [[source]] with role = \"hazard\".\n");
        written.todos += 1;
    }
    (format!("{head}{body}"), written)
}

fn names(l: &LayerDescription) -> Vec<String> {
    l.columns.iter().map(|c| c.name.clone()).collect()
}

fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn plural(n: u64, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// `to` relative to the folder `from` when both resolve, else `to` as given.
fn relative(from: &Path, to: &Path) -> PathBuf {
    let (Ok(from), Ok(to_abs)) = (std::fs::canonicalize(from), std::fs::canonicalize(to)) else {
        return to.to_path_buf();
    };
    let a: Vec<Component> = from.components().collect();
    let b: Vec<Component> = to_abs.components().collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    // Only the root in common: an absolute path reads better.
    if common <= 1 {
        return to_abs;
    }
    let mut p = PathBuf::new();
    for _ in common..a.len() {
        p.push("..");
    }
    for c in &b[common..] {
        p.push(c.as_os_str());
    }
    p
}

fn is_canonical(field: &str, v: &str) -> bool {
    match field {
        "classification" => Classification::parse(v).is_some(),
        "status" => Status::parse(v).is_some(),
        "outcome" => Outcome::parse(v).is_some(),
        _ => CONTAMINATION_TYPES.contains(&v.trim().to_ascii_lowercase().as_str()),
    }
}

/// The values of an enumerated field's column with their counts, most
/// frequent first; contamination split into its tokens as the mapping does.
fn field_values(field: &str, col: &ColumnDescription) -> Vec<(String, u64)> {
    let mut counts: BTreeMap<String, (String, u64)> = BTreeMap::new();
    for v in &col.all_values {
        let tokens: Vec<String> = if field == "contamination" && v.code.is_none() {
            v.value
                .split([',', ';'])
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect()
        } else {
            vec![v.value.trim().to_string()]
        };
        for t in tokens {
            let e = counts
                .entry(t.to_lowercase())
                .or_insert_with(|| (t.clone(), 0));
            e.1 += v.count;
        }
    }
    let mut out: Vec<(String, u64)> = counts.into_values().collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

/// A column whose values the IMSMA vocabulary mostly reads as `field`, for a
/// field the preset found no column for.
fn column_by_values<'a>(
    l: &'a LayerDescription,
    field: &str,
    taken: &[String],
) -> Option<&'a ColumnDescription> {
    l.columns
        .iter()
        .filter(|c| !taken.contains(&c.name) && c.min.is_none() && c.distinct > 0)
        .filter(|c| c.distinct <= MAX_VALUES)
        .map(|c| {
            let vals = field_values(field, c);
            let total: u64 = vals.iter().map(|v| v.1).sum();
            let known: u64 = vals
                .iter()
                .filter(|(v, _)| is_canonical(field, v) || Preset::NgGis.value(field, v).is_some())
                .map(|v| v.1)
                .sum();
            (c, known, total)
        })
        .filter(|(_, known, total)| *total > 0 && known * 2 > *total)
        .max_by_key(|(_, known, _)| *known)
        .map(|(c, _, _)| c)
}

fn source_text(
    c: &Chosen,
    base: &Path,
    hazard_ids: &[(String, Vec<&str>)],
    latest: &mut Option<NaiveDate>,
) -> String {
    let l = c.layer;
    let mut out = String::new();
    let role_word = match c.role {
        Some(Role::Hazard) => "hazards",
        Some(Role::Release) => "releases",
        None => "hazards or releases",
    };
    let geoms = l.geometry_counts();
    let _ = writeln!(
        out,
        "\n# {} layer \"{}\": {} ({}), read as {role_word} with preset {}",
        relative(base, &c.file.path).display(),
        l.name,
        plural(
            l.features,
            if l.template.is_some() {
                "row"
            } else {
                "feature"
            }
        ),
        geoms,
        c.preset.name()
    );
    out.push_str("[[source]]\n");
    let _ = writeln!(
        out,
        "path = {}",
        quoted(&relative(base, &c.file.path).to_string_lossy())
    );
    if c.file.layers.len() > 1 {
        let _ = writeln!(out, "layer = {}", quoted(&l.name));
    }
    match c.role {
        Some(r) => {
            let _ = writeln!(out, "role = \"{}\"", r.as_str());
        }
        None => out.push_str(
            "# role = \"hazard|release\"   # TODO: neither the names nor the columns tell\n",
        ),
    }
    let role = c.role.unwrap_or(Role::Hazard);
    if c.preset != Preset::Generic {
        let _ = writeln!(out, "preset = \"{}\"", c.preset.name());
    }
    // The CRS the layer lacks.
    if l.crs.is_none() {
        if let Some([x0, y0, x1, y1]) = l.extent {
            let e = Extent {
                min_x: x0,
                min_y: y0,
                max_x: x1,
                max_y: y1,
            };
            match (lon_lat(&e), c.preset == Preset::NgPoints) {
                (true, true) => out.push_str("crs = \"EPSG:4326\"   # the coordinates look like longitude/latitude; IMSMA ignores ProjName: check it\n"),
                (true, false) => out.push_str("# crs = \"EPSG:4326\"   # the file declares no CRS; its coordinates look like longitude/latitude, which is what is read without this line\n"),
                (false, _) => {
                    let _ = writeln!(
                        out,
                        "# crs = \"EPSG:NNNN\"   # TODO: the file declares no CRS; {}",
                        suggest_crs(&e, None).replace('\n', " ")
                    );
                }
            }
        } else if c.preset == Preset::NgPoints {
            out.push_str("# crs = \"EPSG:NNNN\"   # TODO: the CRS of Xcoord/Ycoord\n");
        }
    }
    // The attributes of a point template come from its attributes table.
    let (attr_layer, attr_note) = match c.attributes {
        Some((f, t)) => {
            let _ = writeln!(
                out,
                "attributes = {}   # joined on PolyID",
                quoted(&relative(base, &f.path).to_string_lossy())
            );
            (Some(t), "")
        }
        None if c.preset == Preset::NgPoints => (None, "# no attributes table was found (a table with a PolyID column): every polygon gets the defaults\n"),
        None => (Some(l), ""),
    };
    out.push_str(attr_note);
    let Some(al) = attr_layer else {
        return out;
    };
    let cols = names(al);
    out.push_str("\n[source.fields]\n");
    let mut taken: Vec<String> = Vec::new();
    let mut mapped: BTreeMap<&str, (&ColumnDescription, bool)> = BTreeMap::new();
    let mut defaults = String::new();
    for f in role_fields(role) {
        let field = f.name();
        if c.preset == Preset::NgPoints && field == "id" {
            continue;
        }
        if let Some(i) = column_for(&cols, c.preset, role, *f) {
            let col = &al.columns[i];
            let _ = writeln!(
                out,
                "{field} = {}   # {} distinct, {} empty",
                quoted(&col.name),
                col.distinct,
                col.nulls
            );
            taken.push(col.name.clone());
            mapped.insert(field, (col, true));
            continue;
        }
        if field == "hazard_ids" {
            if let Some((name, why)) = link_column(al, hazard_ids, &taken) {
                let _ = writeln!(out, "{field} = {}   # {why}", quoted(&name));
                taken.push(name);
            }
            continue;
        }
        let essential = matches!(
            (role, field),
            (Role::Hazard, "classification" | "status") | (Role::Release, "outcome" | "date")
        );
        let enumerated = role_value_fields(role).contains(&field);
        match enumerated
            .then(|| column_by_values(al, field, &taken))
            .flatten()
        {
            Some(col) => {
                let _ = writeln!(
                    out,
                    "# {field} = {}   # TODO: check; its values look like {field}s",
                    quoted(&col.name)
                );
                taken.push(col.name.clone());
                mapped.insert(field, (col, false));
            }
            None if role == Role::Release && field == "outcome" => {
                let _ = writeln!(
                    defaults,
                    "# outcome = \"cleared|reduced|cancelled\"   # TODO: no outcome column was found: one outcome for every release of the layer"
                );
            }
            None if essential => {
                let _ = writeln!(
                    out,
                    "# no {field} column was found{}",
                    match field {
                        "status" => ": every hazard is taken as open",
                        "classification" => ": every hazard is classified as other",
                        _ => ": every release is undated",
                    }
                );
            }
            None => {}
        }
    }
    // Dates: the latest, and whether any is ambiguous.
    if role == Role::Release {
        if let Some((col, true)) = mapped.get("date") {
            let mut ambiguous = 0u64;
            for v in &col.all_values {
                match parse_date(&RawValue::Text(v.value.clone()), None) {
                    Ok(d) => *latest = Some(latest.map_or(d, |l| l.max(d))),
                    Err(DateError::Ambiguous) => ambiguous += v.count,
                    Err(_) => {}
                }
            }
            if ambiguous > 0 {
                // A [[source]] key: it must come before [source.fields].
                let at = out.find("\n[source.fields]").unwrap_or(out.len());
                out.insert_str(at, &format!("\n# date_format = \"%d/%m/%Y|%m/%d/%Y\"   # TODO: {} could be day/month or month/day", plural(ambiguous, "date")));
            }
        }
    }
    for field in role_value_fields(role) {
        let Some((col, sure)) = mapped.get(field) else {
            continue;
        };
        out.push_str(&values_text(field, col, *sure, c.preset));
    }
    if !defaults.is_empty() {
        let _ = write!(out, "\n[source.defaults]\n{defaults}");
    }
    out
}

/// A release column holding the ids of hazards: named as a hazard id column
/// is, or holding mostly hazard ids.
fn link_column(
    l: &LayerDescription,
    hazard_ids: &[(String, Vec<&str>)],
    taken: &[String],
) -> Option<(String, String)> {
    for c in l.columns.iter().filter(|c| !taken.contains(&c.name)) {
        for (name, ids) in hazard_ids {
            let values: u64 = c.all_values.iter().map(|v| v.count).sum();
            if values == 0 {
                continue;
            }
            let known: u64 = c
                .all_values
                .iter()
                .filter(|v| ids.contains(&v.value.trim()))
                .map(|v| v.count)
                .sum();
            if c.name == *name || known * 2 > values {
                return Some((
                    c.name.clone(),
                    format!("{known} of {values} values are ids of hazards ({name})"),
                ));
            }
        }
    }
    None
}

fn values_text(field: &str, col: &ColumnDescription, sure: bool, preset: Preset) -> String {
    let mut lines = String::new();
    let values = field_values(field, col);
    let choices = crate::ingest::Field::by_name(field)
        .map(|f| canonical_choices(f).join("|"))
        .unwrap_or_default();
    for (raw, count) in values.iter().take(MAX_VALUES) {
        if is_canonical(field, raw) {
            continue;
        }
        let records = plural(*count, "record");
        let line = match preset.value(field, raw) {
            Some(canon) if sure => format!("{} = {}   # {records}\n", quoted(raw), quoted(canon)),
            Some(canon) => format!(
                "# {} = {}   # TODO: {records}\n",
                quoted(raw),
                quoted(canon)
            ),
            None => match Preset::NgGis.value(field, raw) {
                Some(g) => format!(
                    "# {} = {}   # TODO: {records}; a guess from the IMSMA vocabulary, check it\n",
                    quoted(raw),
                    quoted(g)
                ),
                None => format!(
                    "# {} = {}   # TODO: {records}\n",
                    quoted(raw),
                    quoted(&choices)
                ),
            },
        };
        lines.push_str(&line);
    }
    if values.len() > MAX_VALUES {
        let _ = writeln!(
            lines,
            "# … {} more values: is {} the right column?",
            values.len() - MAX_VALUES,
            col.name
        );
    }
    if lines.is_empty() {
        return lines;
    }
    format!("\n[source.values.{field}]\n{lines}")
}

/// The `country` line: the country where the records of the layers read
/// lie (Natural Earth boundaries, from the records `describe` looked up),
/// set when nearly all lie in one, offered as a TODO when most do.
fn country_line(chosen: &[Chosen]) -> String {
    let mut votes: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    let mut sampled = 0;
    for c in chosen {
        if let Some(g) = &c.layer.country {
            *votes.entry(g.iso3.as_str()).or_default() += g.records;
            sampled += g.sampled;
        }
    }
    let best = votes.into_iter().max_by_key(|&(_, n)| n);
    match best {
        Some((iso3, n)) if n * 10 >= sampled * 9 => format!(
            "country = \"{iso3}\"   # where {n} of the {sampled} records looked up lie (Natural Earth boundaries); every record is checked against it\n"
        ),
        Some((iso3, n)) => format!(
            "# country = \"{iso3}\"   # TODO: only {n} of the {sampled} records looked up lie in {iso3}; give the ISO 3166-1 alpha-3 code of the country\n"
        ),
        None => "# country = \"XXX\"   # ISO 3166-1 alpha-3 code, e.g. \"KHM\"; also tells a UTM zone\n".into(),
    }
}
