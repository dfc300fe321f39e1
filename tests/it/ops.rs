//! Operations: batch builds over several countries, incremental skips, the
//! change report, JSON logs, no terminal decorations off a TTY, completions
//! and the man page.

use crate::common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn run(args: &[&str]) -> (Output, Duration) {
    let t = Instant::now();
    let o = Command::new(bin())
        .args(args)
        .output()
        .expect("clearmap runs");
    (o, t.elapsed())
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn write_json(p: &Path, v: &Value) {
    std::fs::write(p, serde_json::to_vec(v).unwrap()).unwrap();
}

/// A copy of the example country in `dir`, with its own country code.
fn example_copy(dir: &Path, code: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let src = repo().join("data/example");
    for f in ["hazards.geojson", "releases.geojson"] {
        std::fs::copy(src.join(f), dir.join(f)).unwrap();
    }
    let cfg = std::fs::read_to_string(src.join("clearmap.toml")).unwrap();
    assert!(cfg.contains("country = \"XEX\""));
    std::fs::write(
        dir.join("clearmap.toml"),
        cfg.replace("country = \"XEX\"", &format!("country = \"{code}\"")),
    )
    .unwrap();
}

/// Parse JSON log lines: every stdout line must be one JSON object.
fn events(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            assert!(v["event"].is_string(), "{l}");
            v
        })
        .collect()
}

/// country → status from the `country` events of a JSON-logged batch.
fn statuses(ev: &[Value]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = ev
        .iter()
        .filter(|e| e["event"] == "country")
        .map(|e| {
            (
                e["country"].as_str().unwrap().to_string(),
                e["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn pairs(x: &[(&str, &str)]) -> Vec<(String, String)> {
    x.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

fn no_escapes(o: &Output) {
    let (out, err) = text(o);
    assert!(!out.contains('\x1b'), "escape code on stdout: {out}");
    assert!(!err.contains('\x1b'), "escape code on stderr: {err}");
    assert!(!out.contains('\r'), "carriage return on stdout");
}

#[test]
fn batch_builds_skips_and_rebuilds_only_what_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let countries = tmp.path().join("countries");
    let out = tmp.path().join("bundles");
    example_copy(&countries.join("alpha"), "XAA");
    example_copy(&countries.join("bravo"), "XBB");
    example_copy(&countries.join("charlie"), "XCC");
    // charlie is broken: a source file is missing.
    std::fs::remove_file(countries.join("charlie/releases.geojson")).unwrap();
    let (c, o) = (countries.to_str().unwrap(), out.to_str().unwrap());

    // 1. Two build, one fails: exit 1, a table naming all three, the failure's message.
    let (first, t_first) = run(&["build", "--all", c, "--out", o]);
    let (stdout, stderr) = text(&first);
    assert_eq!(first.status.code(), Some(1), "{stdout}\n{stderr}");
    no_escapes(&first);
    let table: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.starts_with("country"))
        .collect();
    assert!(!table.is_empty(), "no final table: {stdout}");
    for (name, status) in [
        ("alpha", "built"),
        ("bravo", "built"),
        ("charlie", "failed"),
    ] {
        assert!(
            table
                .iter()
                .any(|l| l.starts_with(name) && l.split_whitespace().nth(1) == Some(status)),
            "{name} {status} not in table:\n{stdout}"
        );
    }
    assert!(
        stdout.contains("charlie failed:") && stdout.contains("releases.geojson"),
        "the failure names the missing file: {stdout}"
    );
    assert!(stderr.contains("charlie"), "{stderr}");
    for name in ["alpha", "bravo"] {
        let s = json(&out.join(name).join("summary.json"));
        assert_eq!(
            s["country"],
            format!("X{}", name[..1].repeat(2).to_uppercase())
        );
        assert!(out.join(name).join("manifest.json").is_file());
    }
    assert!(!out.join("charlie/summary.json").exists());

    // 2. Mend charlie: only charlie builds, the others are unchanged.
    std::fs::copy(
        repo().join("data/example/releases.geojson"),
        countries.join("charlie/releases.geojson"),
    )
    .unwrap();
    let (second, _) = run(&["build", "--all", c, "--out", o, "--log-format", "json"]);
    assert_eq!(second.status.code(), Some(0), "{:?}", text(&second));
    no_escapes(&second);
    let ev = events(&text(&second).0);
    assert_eq!(
        statuses(&ev),
        pairs(&[
            ("alpha", "unchanged"),
            ("bravo", "unchanged"),
            ("charlie", "built")
        ])
    );
    let stages: BTreeSet<&str> = ev
        .iter()
        .filter(|e| e["event"] == "stage" && e["country"] == "charlie")
        .map(|e| e["stage"].as_str().unwrap())
        .collect();
    for s in [
        "hash",
        "ingest",
        "normalize",
        "reconcile",
        "measure",
        "emit",
    ] {
        assert!(stages.contains(s), "stage {s} missing from {stages:?}");
    }
    for e in ev.iter().filter(|e| e["event"] == "stage") {
        assert!(e["duration_ms"].is_u64() && e["counts"].is_object(), "{e}");
    }
    assert!(ev.iter().any(|e| e["event"] == "batch"));

    // 3. Rerun: everything unchanged, and fast.
    let (third, t_third) = run(&["build", "--all", c, "--out", o, "--log-format", "json"]);
    assert_eq!(third.status.code(), Some(0));
    assert_eq!(
        statuses(&events(&text(&third).0)),
        pairs(&[
            ("alpha", "unchanged"),
            ("bravo", "unchanged"),
            ("charlie", "unchanged")
        ])
    );
    assert!(
        t_third * 4 < t_first,
        "rerun {t_third:?} is not much faster than the first run {t_first:?}"
    );
    eprintln!("three-country batch: first run {t_first:?}, unchanged rerun {t_third:?}");

    // 4. Touch one input meaningfully: only that country rebuilds.
    let hz = countries.join("bravo/hazards.geojson");
    let mut v = json(&hz);
    let f = v["features"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|f| f["properties"]["HZ_Hazardl"] == "HZ-000022")
        .unwrap();
    assert_eq!(f["properties"]["HZ_Status"], "Active");
    f["properties"]["HZ_Status"] = "Expired".into();
    write_json(&hz, &v);
    let remaining_before = json(&out.join("bravo/summary.json"))["area_m2"]["remaining"]
        .as_f64()
        .unwrap();
    let (fourth, _) = run(&["build", "--all", c, "--out", o, "--log-format", "json"]);
    assert_eq!(fourth.status.code(), Some(0));
    assert_eq!(
        statuses(&events(&text(&fourth).0)),
        pairs(&[
            ("alpha", "unchanged"),
            ("bravo", "built"),
            ("charlie", "unchanged")
        ])
    );
    let remaining_after = json(&out.join("bravo/summary.json"))["area_m2"]["remaining"]
        .as_f64()
        .unwrap();
    assert!(remaining_after < remaining_before, "a hazard was closed");
    // bravo's rebuild compared itself with the bundle it replaced.
    assert!(out.join("bravo/changes.json").is_file());

    // 5. --force rebuilds everything.
    let (fifth, _) = run(&[
        "build",
        "--all",
        c,
        "--out",
        o,
        "--force",
        "--log-format",
        "json",
        "--jobs",
        "1",
    ]);
    assert_eq!(fifth.status.code(), Some(0));
    assert_eq!(
        statuses(&events(&text(&fifth).0)),
        pairs(&[("alpha", "built"), ("bravo", "built"), ("charlie", "built")])
    );
}

#[test]
fn single_build_skips_when_unchanged_and_logs_json() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("xex");
    example_copy(&src, "XEX");
    let cfg = src.join("clearmap.toml");
    let out = tmp.path().join("out");
    let args = |extra: &[&'static str]| {
        let mut v = vec![
            "build".to_string(),
            cfg.to_str().unwrap().to_string(),
            "--out".into(),
            out.to_str().unwrap().to_string(),
        ];
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let call = |extra: &[&'static str]| {
        let a = args(extra);
        run(&a.iter().map(String::as_str).collect::<Vec<_>>()).0
    };

    // Human logs off a TTY: plain lines, stages named, the diagnostics table.
    let o = call(&[]);
    assert!(o.status.success(), "{:?}", text(&o));
    no_escapes(&o);
    let (stdout, stderr) = text(&o);
    // The log (stages) on stderr, the results (figures, table) on stdout.
    assert!(stderr.contains("XEX: measure"), "{stderr}");
    assert!(!stdout.contains("XEX: measure"), "{stdout}");
    assert!(stdout.contains("total "), "figures: {stdout}");
    assert!(
        stdout.contains("NULL_GEOMETRY"),
        "diagnostics table: {stdout}"
    );
    assert!(
        !out.join("changes.json").exists(),
        "nothing to compare with"
    );
    let m = json(&out.join("manifest.json"));
    assert_eq!(m["inputs"].as_array().unwrap().len(), 2);
    assert_eq!(m["clearmap_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(m["config_sha256"].as_str().unwrap().len(), 64);

    // Unchanged: says so and writes nothing.
    let stamp = std::fs::metadata(out.join("summary.json"))
        .unwrap()
        .modified()
        .unwrap();
    let o = call(&[]);
    assert!(o.status.success());
    assert!(text(&o).0.contains("unchanged"), "{:?}", text(&o));
    assert_eq!(
        std::fs::metadata(out.join("summary.json"))
            .unwrap()
            .modified()
            .unwrap(),
        stamp
    );
    // --strict holds for an unchanged bundle too (the example quarantines records).
    assert_eq!(call(&["--strict"]).status.code(), Some(3));

    // A config edit (the output precision changes outputs) rebuilds.
    let t = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(&cfg, format!("{t}\n[output]\nprecision = 6\n")).unwrap();
    let o = call(&["--log-format", "json"]);
    assert!(o.status.success());
    let ev = events(&text(&o).0);
    assert!(ev
        .iter()
        .any(|e| e["event"] == "country" && e["status"] == "built"));
    assert!(ev
        .iter()
        .any(|e| e["event"] == "diagnostics" && e["counts"]["NULL_GEOMETRY"]["count"] == 6));
    for s in ["ingest", "normalize", "reconcile", "measure", "emit"] {
        assert!(
            ev.iter()
                .any(|e| e["event"] == "stage" && e["stage"] == s && e["country"] == "XEX"),
            "{s}"
        );
    }
    // -q: nothing on stdout.
    let o = call(&["-q", "--force"]);
    assert!(o.status.success());
    assert_eq!(text(&o).0, "");
    // Errors are JSON events too, with the exit code.
    let o = run(&[
        "build",
        tmp.path().join("nope.toml").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--log-format",
        "json",
    ])
    .0;
    assert_eq!(o.status.code(), Some(2));
    let ev = events(&text(&o).0);
    assert_eq!(ev.last().unwrap()["event"], "error");
    assert_eq!(ev.last().unwrap()["exit_code"], 2);
}

/// Scale a polygon feature's coordinates about its first vertex.
fn scale(geometry: &mut Value, k: f64) {
    let rings = geometry["coordinates"].as_array_mut().unwrap();
    let first = rings[0][0].clone();
    let (x0, y0) = (first[0].as_f64().unwrap(), first[1].as_f64().unwrap());
    for ring in rings {
        for p in ring.as_array_mut().unwrap() {
            let (x, y) = (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
            *p = serde_json::json!([x0 + (x - x0) * k, y0 + (y - y0) * k]);
        }
    }
}

fn listed_ids(bundle: &Path) -> BTreeSet<String> {
    json(&bundle.join("hazards.geojson"))["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn change_report_against_the_previous_bundle() {
    let tmp = tempfile::tempdir().unwrap();
    let (prev_src, cur_src) = (tmp.path().join("v1"), tmp.path().join("v2"));
    example_copy(&prev_src, "XEX");
    example_copy(&cur_src, "XEX");
    // v1, the earlier export: HZ-000010 not yet recorded, HZ-000022 drawn 10 %
    // larger, a hazard HZ-900000 later deleted, and every 7th release missing.
    let hz_path = prev_src.join("hazards.geojson");
    let mut hz = json(&hz_path);
    let feats = hz["features"].as_array_mut().unwrap();
    let id_of = |f: &Value| {
        f["properties"]["HZ_Hazardl"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    let mut extra = feats
        .iter()
        .find(|f| id_of(f) == "HZ-000011")
        .unwrap()
        .clone();
    extra["properties"]["HZ_Hazardl"] = "HZ-900000".into();
    for ring in extra["geometry"]["coordinates"].as_array_mut().unwrap() {
        for p in ring.as_array_mut().unwrap() {
            p[1] = (p[1].as_f64().unwrap() - 3.0).into();
        }
    }
    feats.retain(|f| id_of(f) != "HZ-000010");
    let b = feats.iter_mut().find(|f| id_of(f) == "HZ-000022").unwrap();
    scale(&mut b["geometry"], 1.1);
    feats.push(extra);
    write_json(&hz_path, &hz);
    let rel_path = prev_src.join("releases.geojson");
    let mut rel = json(&rel_path);
    let rf = rel["features"].as_array_mut().unwrap();
    let n_before = rf.len();
    let mut i = 0;
    rf.retain(|_| {
        i += 1;
        i % 7 != 0
    });
    assert!(rf.len() < n_before);
    write_json(&rel_path, &rel);

    let out = tmp.path().join("out");
    let o = out.to_str().unwrap();
    let (r1, _) = run(&[
        "build",
        prev_src.join("clearmap.toml").to_str().unwrap(),
        "--out",
        o,
    ]);
    assert!(r1.status.success(), "{:?}", text(&r1));
    let keep = tmp.path().join("v1-bundle");
    std::fs::create_dir(&keep).unwrap();
    for f in ["hazards.geojson", "releases.geojson", "summary.json"] {
        std::fs::copy(out.join(f), keep.join(f)).unwrap();
    }
    let s1 = json(&out.join("summary.json"));
    let ids1 = listed_ids(&out);

    // v2 into the same --out: compared with the bundle it replaces.
    let (r2, _) = run(&[
        "build",
        cur_src.join("clearmap.toml").to_str().unwrap(),
        "--out",
        o,
    ]);
    assert!(r2.status.success(), "{:?}", text(&r2));
    assert!(text(&r2).0.contains("since the previous bundle"));
    let s2 = json(&out.join("summary.json"));
    let ids2 = listed_ids(&out);
    let ch = json(&out.join("changes.json"));

    // Hazards: the planted differences, and exactly the listing's differences.
    let ids = |k: &str| -> BTreeSet<String> {
        ch["hazards"][k]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    let added: BTreeSet<String> = ids2.difference(&ids1).cloned().collect();
    let removed: BTreeSet<String> = ids1.difference(&ids2).cloned().collect();
    assert_eq!(ids("added_ids"), added);
    assert_eq!(ids("removed_ids"), removed);
    assert_eq!(ch["hazards"]["added"], added.len());
    assert_eq!(ch["hazards"]["removed"], removed.len());
    assert!(added.contains("HZ-000010"), "{added:?}");
    assert!(removed.contains("HZ-900000"), "{removed:?}");
    assert_eq!(
        ch["hazards"]["removed_not_in_export"], 1,
        "only HZ-900000 left the export"
    );
    assert!(ids("geometry_changed_ids").contains("HZ-000022"));
    assert_eq!(
        ch["hazards"]["geometry_changed"],
        ids("geometry_changed_ids").len()
    );
    assert!(ch["releases"]["added"].as_u64().unwrap() > 0);

    // Released since = difference of the two summaries' totals, by outcome.
    let area = |s: &Value, k: &str| s["area_m2"][k].as_f64().unwrap();
    let mut total = 0.0;
    for k in ["cleared", "reduced", "cancelled"] {
        let expect = area(&s2, k) - area(&s1, k);
        let got = ch["released_since_m2"][k].as_f64().unwrap();
        assert!((got - expect).abs() <= 1e-9, "{k}: {got} vs {expect}");
        total += expect;
    }
    assert!(total > 0.0, "v2 has more releases");
    assert!((ch["released_since_m2"]["total"].as_f64().unwrap() - total).abs() <= 1e-9);
    let dr = area(&s2, "remaining") - area(&s1, "remaining");
    assert!((ch["area_m2_delta"]["remaining"].as_f64().unwrap() - dr).abs() <= 1e-9);

    // changes.geojson: one feature per change, with its kind.
    let cg = json(&out.join("changes.geojson"));
    let kinds: Vec<(String, String)> = cg["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert!(f["geometry"]["type"].is_string(), "{f}");
            (
                f["properties"]["id"].as_str().unwrap().to_string(),
                f["properties"]["change"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let count = |k: &str| kinds.iter().filter(|(_, c)| c == k).count();
    assert_eq!(count("added"), added.len());
    assert_eq!(count("removed"), removed.len());
    assert_eq!(count("geometry_changed"), ids("geometry_changed_ids").len());
    assert!(kinds.contains(&("HZ-900000".into(), "removed".into())));

    // --previous names the bundle to compare with explicitly: v1 again.
    let out2 = tmp.path().join("out2");
    let (r3, _) = run(&[
        "build",
        cur_src.join("clearmap.toml").to_str().unwrap(),
        "--out",
        out2.to_str().unwrap(),
        "--previous",
        keep.to_str().unwrap(),
    ]);
    assert!(r3.status.success(), "{:?}", text(&r3));
    let ch3 = json(&out2.join("changes.json"));
    assert_eq!(ch3["hazards"], ch["hazards"]);
    assert_eq!(ch3["released_since_m2"], ch["released_since_m2"]);
}

#[test]
fn completions_man_and_examples_in_help() {
    for shell in ["bash", "zsh", "fish"] {
        let (o, _) = run(&["completions", shell]);
        assert!(o.status.success(), "{shell}");
        let s = text(&o).0;
        assert!(
            s.contains("clearmap") && s.contains("log-format"),
            "{shell}"
        );
    }
    let (o, _) = run(&["man"]);
    assert!(o.status.success());
    assert!(text(&o).0.contains(".TH clearmap"));
    for sub in [
        &["--help"][..],
        &["build", "--help"],
        &["validate", "--help"],
        &["inspect", "--help"],
        &["serve", "--help"],
        &["completions", "--help"],
        &["man", "--help"],
    ] {
        let (o, _) = run(sub);
        let s = text(&o).0;
        assert!(s.contains("Example"), "{sub:?} help shows no example");
        assert!(s.contains("--log-format"), "{sub:?}: global flags");
    }
}
