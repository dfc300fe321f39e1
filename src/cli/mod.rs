//! The command line (docs/design.md "Command line"): parsing with clap, and the
//! dispatch of each subcommand to the library.

mod man;
mod zooms;

pub use zooms::ZoomArgs;

use crate::config::Config;
use crate::error::{exit, Error, Result};
use crate::log::{LogFormat, Logger};
use crate::pipeline::{self, BuildOptions, Status};
use clap::{Args, CommandFactory, Parser, Subcommand};
use serde_json::{json, Map};
use std::path::PathBuf;

/// `clearmap --version`: clearmap's, then the GDAL and PROJ it runs on (a
/// figure depends on PROJ's transformations, a reader on GDAL's drivers).
fn long_version() -> &'static str {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| {
        let (major, minor, patch) = crate::ingest::proj_version();
        format!(
            "{}\n{}\nPROJ {major}.{minor}.{patch}",
            env!("CARGO_PKG_VERSION"),
            gdal::version::version_info("--version")
        )
    })
}

#[derive(Debug, Parser)]
#[command(
    name = "clearmap",
    version,
    long_version = long_version(),
    about = "Turn IMSMA mine-action exports into land-release figures, GeoJSON and map bundles",
    after_help = "Examples:\n  clearmap build data/example/clearmap.toml --out out/\n  clearmap build --hazards hazards.geojson --releases releases.geojson --out out/\n  clearmap build --all countries/ --out bundles/ --log-format json\n  clearmap validate data/example/clearmap.toml\n  clearmap tables data/example/clearmap.toml --out out/"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Log format: plain lines (progress spinners on a terminal) or one JSON object per line.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,
    /// Print only errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// More detail (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build one country's bundle (figures, GeoJSON, report) into --out.
    #[command(
        after_help = "Examples:\n  clearmap build clearmap.toml --out out/\n  clearmap build --hazards sha.geojson cha.gpkg --releases cleared.shp --country KHM --out out/\n  clearmap build --all countries/ --out bundles/ --jobs 2\n\nA bundle whose manifest.json matches its inputs is not rebuilt (\"unchanged\"); --force\nrebuilds. Against the bundle being replaced (or --previous DIR), changes.json and\nchanges.geojson report hazards added, removed and re-drawn and the land released since.\n\nThe bundle is written beside --out and swapped in whole, under a lock on --out. --out\nmust be an empty or new folder or a bundle: not an input's folder, nor one holding an input."
    )]
    Build(BuildArgs),
    /// Check a config and its sources as a build would; print the diagnostics table.
    #[command(
        after_help = "Runs every check a build runs (reading, repairs, duplicates, as_of, overlaps,\nrelease attribution, the accounting and its conservation) and writes nothing but --report.\n\nExamples:\n  clearmap validate clearmap.toml\n  clearmap validate -v clearmap.toml --report report.json"
    )]
    Validate(ValidateArgs),
    /// Write only the Article 7-style tables (CSV and article7.xlsx) into --out/tables/.
    #[command(
        after_help = "Recomputes the accounting from the config and writes DIR/tables/: remaining_by_region.csv,\nreleased_by_year.csv, remaining_by_contamination.csv, reported_vs_computed.csv and\narticle7.xlsx (the same four as sheets). Nothing else in DIR is touched.\n\nExample:\n  clearmap tables data/example/clearmap.toml --out out/"
    )]
    Tables(TablesArgs),
    /// Write only the vector tiles (tiles.pmtiles or tiles.mbtiles, and tiles.json) into --out.
    #[command(
        after_help = "Recomputes the accounting from the config (the tiles show the land remaining) and writes\nDIR/tiles.pmtiles (or tiles.mbtiles with --format mbtiles) and DIR/tiles.json, the same\nbytes a full build writes. Nothing else in DIR is touched but a container of the other\nformat, which would be stale.\n\nExample:\n  clearmap tiles data/example/clearmap.toml --out out/"
    )]
    Tiles(TilesArgs),
    /// Preview a bundle: a static server with HTTP range requests (loopback).
    #[command(after_help = "Example:\n  clearmap serve out/ --addr 127.0.0.1:8080")]
    Serve(ServeArgs),
    /// Show a PMTiles or MBTiles archive (header, metadata, tiles per zoom), or one tile as GeoJSON.
    #[command(
        after_help = "Examples:\n  clearmap inspect out/tiles.pmtiles\n  clearmap inspect out/tiles.pmtiles 10/811/478 > tile.geojson\n  clearmap inspect out/tiles.mbtiles 10/811/478"
    )]
    Inspect(InspectArgs),
    /// List the layers, columns and values of a file or export folder, marking the columns presets read.
    #[command(
        after_help = "Results on stdout; --format json for scripts.\n\nExamples:\n  clearmap describe exports/\n  clearmap describe IMSMA.gdb --layer Hazards_polygon\n  clearmap describe hazards.shp --format json > hazards.json"
    )]
    Describe(DescribeArgs),
    /// List the presets, or print one as the TOML it is equivalent to.
    #[command(
        after_help = "Examples:\n  clearmap presets\n  clearmap presets imsma-ng-gis > mapping.toml"
    )]
    Presets(PresetsArgs),
    /// Write a commented config for an export folder; fill its TODO lines, then build.
    #[command(
        after_help = "Detects which layers hold hazards and releases and which preset fits each, and writes\nevery mapping it is sure of; every raw value it cannot place is a commented TODO line\nwith its count. Remove the \"# \" of each TODO line and keep the value it means.\n\nExample:\n  clearmap init exports/ -o clearmap.toml && clearmap validate clearmap.toml"
    )]
    Init(InitArgs),
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  clearmap completions bash > /etc/bash_completion.d/clearmap\n  clearmap completions zsh > ~/.zfunc/_clearmap\n  clearmap completions fish > ~/.config/fish/completions/clearmap.fish"
    )]
    Completions(CompletionsArgs),
    /// Print a man page (roff) on stdout, or write one per subcommand.
    #[command(
        after_help = "Examples:\n  clearmap man > clearmap.1 && man ./clearmap.1\n  clearmap man build | man -l -\n  clearmap man --out /usr/local/share/man/man1   # clearmap.1, clearmap-build.1, …"
    )]
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The subcommand whose page to print (clearmap-SUBCOMMAND(1)); the main page without.
    pub subcommand: Option<String>,
    /// Write every page (clearmap.1 and clearmap-SUBCOMMAND.1 for each subcommand) into DIR.
    #[arg(short, long, value_name = "DIR", conflicts_with = "subcommand")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DescribeArgs {
    /// A file, a File Geodatabase (.gdb) or a folder of exports.
    pub path: PathBuf,
    /// Only this layer.
    #[arg(long)]
    pub layer: Option<String>,
    /// Plain text or JSON.
    #[arg(long, value_enum, default_value_t = DescribeFormat::Text)]
    pub format: DescribeFormat,
}

/// The printout of `clearmap describe`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DescribeFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct PresetsArgs {
    /// A preset to print as TOML.
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The folder of the export (or one file, or a .gdb).
    pub dir: PathBuf,
    /// The config to write.
    #[arg(short, long, default_value = "clearmap.toml")]
    pub out: PathBuf,
    /// Overwrite the config if it exists.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The archive: tiles.pmtiles, or tiles.mbtiles (`--format mbtiles`).
    pub file: PathBuf,
    /// A tile as Z/X/Y: print it decoded to GeoJSON (lon/lat) on stdout.
    pub tile: Option<String>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The bundle directory.
    pub dir: PathBuf,
    /// Address to listen on; loopback unless you choose otherwise.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: String,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The country config (TOML). Omit it to build from --hazards/--releases.
    pub config: Option<PathBuf>,
    /// Build every country under DIR (DIR/*/clearmap.toml and DIR/*.toml) into OUT/<name>.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["config", "hazards", "releases", "country", "previous"])]
    pub all: Option<PathBuf>,
    /// Countries built at the same time with --all.
    #[arg(long, value_name = "N", requires = "all")]
    pub jobs: Option<usize>,
    /// Rebuild even when the bundle's manifest.json matches the inputs.
    #[arg(long)]
    pub force: bool,
    /// The bundle to compare with for changes.json (default: the bundle in --out).
    #[arg(long, value_name = "DIR")]
    pub previous: Option<PathBuf>,
    /// Hazard files with canonical property names (zero-config form).
    #[arg(long, num_args = 1.., conflicts_with = "config")]
    pub hazards: Vec<PathBuf>,
    /// Release files with canonical property names (zero-config form).
    #[arg(long, num_args = 1.., conflicts_with = "config")]
    pub releases: Vec<PathBuf>,
    /// ISO 3166 alpha-3 code of the country (zero-config form).
    #[arg(long, conflicts_with = "config")]
    pub country: Option<String>,
    /// Output directory.
    #[arg(short, long)]
    pub out: PathBuf,
    /// Exit with 3 when any record was quarantined or superseded.
    #[arg(long)]
    pub strict: bool,
    /// Container of the vector tiles: tiles.pmtiles (read by the map page) or tiles.mbtiles (for tile servers: give --base-url for the URL they serve the tiles at).
    #[arg(long, value_enum, default_value_t)]
    pub format: crate::tiles::TileFormat,
    /// URL the bundle is published at (http or https): tiles.json, style.json and the page name its files by absolute URLs under it (overrides [publish] base_url). With --format mbtiles, where the tile server serves the tiles (URL{z}/{x}/{y}.pbf).
    #[arg(long, value_name = "URL", conflicts_with = "all")]
    pub base_url: Option<crate::config::BaseUrl>,
    #[command(flatten)]
    pub zooms: ZoomArgs,
}

#[derive(Debug, Args)]
pub struct TablesArgs {
    /// The country config (TOML).
    pub config: PathBuf,
    /// Output directory; the tables go to its tables/ folder.
    #[arg(short, long)]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct TilesArgs {
    /// The country config (TOML).
    pub config: PathBuf,
    /// Output directory.
    #[arg(short, long)]
    pub out: PathBuf,
    /// Container of the vector tiles, as for `clearmap build --format`.
    #[arg(long, value_enum, default_value_t)]
    pub format: crate::tiles::TileFormat,
    /// URL the bundle is published at, as for `clearmap build --base-url`.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<crate::config::BaseUrl>,
    #[command(flatten)]
    pub zooms: ZoomArgs,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    pub config: PathBuf,
    /// Exit with 3 when any record would be quarantined.
    #[arg(long)]
    pub strict: bool,
    /// Also write the diagnostics as FILE, in report.json's form.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
}

/// Run a parsed command line; the result is the process exit code.
pub fn run(cli: Cli) -> Result<i32> {
    let log = Logger::new(cli.log_format, cli.quiet, cli.verbose);
    let result = match cli.command {
        Command::Build(a) => build(a, &log),
        Command::Validate(a) => validate(a, &log),
        Command::Tables(a) => tables(a, &log),
        Command::Tiles(a) => tiles(a, &log),
        Command::Serve(a) => crate::serve::serve(&a.dir, &a.addr).map(|()| exit::SUCCESS),
        Command::Inspect(a) => inspect(a),
        Command::Describe(a) => describe(a),
        Command::Presets(a) => presets(a),
        Command::Init(a) => init(a, &log),
        Command::Completions(a) => {
            let mut cmd = Cli::command();
            clap_complete::generate(a.shell, &mut cmd, "clearmap", &mut std::io::stdout());
            Ok(exit::SUCCESS)
        }
        Command::Man(a) => man::man(a, &log),
    };
    if let Err(e) = &result {
        let mut f = Map::new();
        f.insert("message".into(), json!(e.to_string()));
        f.insert("exit_code".into(), json!(e.exit_code()));
        log.event("error", f);
    }
    result
}

fn describe(a: DescribeArgs) -> Result<i32> {
    let d = crate::describe::describe(&a.path, a.layer.as_deref(), &Default::default())?;
    match a.format {
        DescribeFormat::Text => print!("{}", crate::describe::to_text(&d)),
        DescribeFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&d).map_err(|e| Error::Internal(e.to_string()))?
        ),
    }
    Ok(exit::SUCCESS)
}

fn presets(a: PresetsArgs) -> Result<i32> {
    match a.name.as_deref() {
        None => print!("{}", crate::ingest::preset_list()),
        Some(name) => {
            let p = crate::ingest::Preset::try_from(name.to_string()).map_err(Error::Usage)?;
            print!("{}", crate::ingest::preset_toml(p));
        }
    }
    Ok(exit::SUCCESS)
}

fn init(a: InitArgs, log: &Logger) -> Result<i32> {
    let w = crate::init::init(&a.dir, &a.out, a.force, &Default::default())?;
    log.line(&format!(
        "wrote {}: {} source(s), {} TODO line(s) to fill{}",
        a.out.display(),
        w.sources,
        w.todos,
        if w.skipped.is_empty() {
            String::new()
        } else {
            format!(
                "; {} layer(s) not read (listed at its top)",
                w.skipped.len()
            )
        }
    ));
    Ok(exit::SUCCESS)
}

fn inspect(a: InspectArgs) -> Result<i32> {
    use crate::tiles::inspect::{parse_zxy, TileArchive};
    let zxy = a.tile.as_deref().map(parse_zxy).transpose()?;
    let archive = TileArchive::open(&a.file)?;
    match zxy {
        None => print!("{}", archive.summary()?),
        Some((z, x, y)) => match archive.tile_geojson(z, x, y)? {
            Some(fc) => println!("{}", serde_json::to_string_pretty(&fc).unwrap_or_default()),
            None => {
                return Err(Error::input(
                    &a.file,
                    format!("has no tile {z}/{x}/{y} (empty tiles are not stored)"),
                ))
            }
        },
    }
    Ok(exit::SUCCESS)
}

fn build(a: BuildArgs, log: &Logger) -> Result<i32> {
    let opts = BuildOptions {
        force: a.force,
        previous: a.previous.clone(),
        tile_format: a.format,
    };
    if let Some(dir) = &a.all {
        return build_all(dir, &a, &opts, log);
    }
    let mut cfg = match &a.config {
        Some(path) => Config::load(path)?,
        None if a.hazards.is_empty() => {
            return Err(Error::Usage(
                "give a config file (clearmap build clearmap.toml --out DIR), --all DIR, or --hazards FILE… [--releases FILE…]".into(),
            ))
        }
        None => {
            if let Some(c) = &a.country {
                crate::config::check_country(c)
                    .map_err(|m| Error::Usage(format!("--country: {m}")))?;
            }
            Config::from_files(a.country.clone(), &a.hazards, &a.releases)
        }
    };
    if let Some(u) = &a.base_url {
        cfg.publish.base_url = Some(u.clone());
    }
    a.zooms.apply(&mut cfg)?;
    let label = cfg
        .country
        .clone()
        .or_else(|| {
            a.config
                .as_ref()
                .and_then(|p| p.file_stem())
                .map(|s| s.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "build".into());
    let quarantined = match pipeline::build_incremental(&cfg, &a.out, &opts, log, &label)? {
        Status::Unchanged(u) => {
            log.line(&format!(
                "{label}: unchanged: the bundle in {} was built from these inputs (--force rebuilds)",
                a.out.display()
            ));
            let mut f = Map::new();
            f.insert("country".into(), json!(label));
            f.insert("status".into(), json!("unchanged"));
            f.insert("remaining_m2".into(), json!(u.remaining_m2));
            f.insert("diagnostics".into(), json!(u.diagnostics));
            f.insert("quarantined".into(), json!(u.quarantined));
            log.event("country", f);
            u.quarantined + u.superseded
        }
        Status::Built(outcome) => {
            let f = &outcome.figures;
            log.line(&crate::emit::records_line(&outcome.counts));
            log.line(&format!(
                "total {:.0} m²; remaining {:.0} m²; cleared {:.0} m²; reduced {:.0} m²; cancelled {:.0} m²; closed unreleased {:.0} m²; released outside hazards {:.0} m²",
                f.total, f.remaining, f.cleared, f.reduced, f.cancelled, f.closed_unreleased, f.released_outside_hazards
            ));
            if let Some(c) = &outcome.changes {
                log.line(&format!(
                    "since the previous bundle: hazards {} added, {} removed, {} re-drawn; released {:.0} m²; remaining {:+.0} m² (changes.json)",
                    c.added, c.removed, c.geometry_changed, c.released_since_m2, c.remaining_delta_m2
                ));
            }
            log.diagnostics(&label, &outcome.diagnostics);
            log.line(&format!("bundle written to {}", a.out.display()));
            let mut ev = Map::new();
            ev.insert("country".into(), json!(label));
            ev.insert("status".into(), json!("built"));
            ev.insert("remaining_m2".into(), json!(f.remaining));
            ev.insert("diagnostics".into(), json!(outcome.diagnostics.len()));
            ev.insert("quarantined".into(), json!(outcome.quarantined));
            log.event("country", ev);
            outcome.quarantined + outcome.superseded
        }
    };
    // --strict fails on a record quarantined or superseded: either way a
    // record read is not in the figures.
    Ok(exit::success(a.strict, quarantined > 0))
}

fn tables(a: TablesArgs, log: &Logger) -> Result<i32> {
    let cfg = Config::load(&a.config)?;
    let written = pipeline::tables(&cfg, &a.out)?;
    if !log.quiet() {
        for p in written {
            println!("{}", p.display());
        }
    }
    Ok(exit::SUCCESS)
}

fn tiles(a: TilesArgs, log: &Logger) -> Result<i32> {
    let mut cfg = Config::load(&a.config)?;
    if let Some(u) = &a.base_url {
        cfg.publish.base_url = Some(u.clone());
    }
    a.zooms.apply(&mut cfg)?;
    let label = cfg.country.clone().unwrap_or_else(|| "tiles".into());
    let stats = pipeline::tiles(&cfg, &a.out, a.format, log, &label)?;
    log.line(&format!(
        "{} tiles ({} bytes) written to {}",
        stats.tiles(),
        stats.archive_bytes,
        a.out.join(a.format.file_name()).display()
    ));
    Ok(exit::SUCCESS)
}

fn build_all(
    dir: &std::path::Path,
    a: &BuildArgs,
    opts: &BuildOptions,
    log: &Logger,
) -> Result<i32> {
    if a.zooms.minzoom.is_some() || a.zooms.maxzoom.is_some() {
        return Err(Error::Usage(
            "--minzoom/--maxzoom build one config; with --all, set [output] minzoom and maxzoom in each country's config".into(),
        ));
    }
    let countries = crate::batch::discover(dir)?;
    let jobs = a.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
            .min(4)
    });
    if jobs == 0 {
        return Err(Error::Usage("--jobs must be at least 1".into()));
    }
    // Before any country is built: a country whose bundle (OUT/<name>) would
    // replace its own inputs, or a folder that is not a bundle, stops the
    // batch (exit 2). A config that does not load fails as its country.
    for c in &countries {
        if let Ok(cfg) = Config::load(&c.config) {
            let out = pipeline::check_out(&cfg, &a.out.join(&c.name))?;
            crate::emit::atomic::check_replaceable(&out)?;
        }
    }
    std::fs::create_dir_all(&a.out).map_err(|source| Error::Output {
        path: a.out.clone(),
        source,
    })?;
    let start = std::time::Instant::now();
    let rows = crate::batch::run(&countries, &a.out, opts, jobs, log);
    let code = crate::batch::exit_code(&rows, a.strict);
    if log.is_json() {
        let list: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                let mut o = json!({"country": r.country.name, "status": r.status(), "duration_ms": (r.seconds * 1000.0).round() as u64});
                if let crate::batch::Outcome::Failed { message } = &r.outcome {
                    o["error"] = json!(message);
                }
                o
            })
            .collect();
        let mut f = Map::new();
        f.insert("countries".into(), json!(list));
        f.insert(
            "duration_ms".into(),
            json!(start.elapsed().as_millis() as u64),
        );
        f.insert("exit_code".into(), json!(code));
        log.event("batch", f);
    } else {
        // Each failure was named on stderr as its country ended (with -q
        // too, see batch::run); naming it again here would print it twice.
        log.line(&crate::batch::table(&rows));
    }
    Ok(code)
}

fn validate(a: ValidateArgs, log: &Logger) -> Result<i32> {
    let cfg = Config::load(&a.config)?;
    let v = pipeline::validate(&cfg)?;
    log.line(&crate::emit::records_line(&v.counts));
    let label = cfg.country.clone().unwrap_or_else(|| "validate".into());
    log.diagnostics(&label, &v.diagnostics);
    if log.verbosity >= 1 && !v.diagnostics.is_empty() {
        log.line(v.diagnostics.listing().trim_end());
    }
    if let Some(path) = &a.report {
        let report = crate::emit::report(&v.diagnostics);
        crate::emit::atomic::write_atomic(path, |w| {
            serde_json::to_writer_pretty(&mut *w, &report)?;
            writeln!(w)
        })?;
    }
    let quarantined: usize = v.counts.values().map(|c| c.quarantined).sum();
    Ok(exit::success(a.strict, quarantined > 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn zero_config_form_parses() {
        let cli = Cli::try_parse_from([
            "clearmap",
            "build",
            "--hazards",
            "a.geojson",
            "b.geojson",
            "--releases",
            "r.geojson",
            "--out",
            "o",
        ])
        .unwrap();
        let Command::Build(b) = cli.command else {
            panic!()
        };
        assert_eq!(b.hazards.len(), 2);
        assert!(b.config.is_none());
    }

    #[test]
    fn tables_parses() {
        let cli = Cli::try_parse_from(["clearmap", "tables", "c.toml", "--out", "o"]).unwrap();
        let Command::Tables(t) = cli.command else {
            panic!()
        };
        assert_eq!(t.config, PathBuf::from("c.toml"));
        assert_eq!(t.out, PathBuf::from("o"));
    }

    #[test]
    fn inspect_parses_with_and_without_tile() {
        let cli = Cli::try_parse_from(["clearmap", "inspect", "t.pmtiles", "3/4/2"]).unwrap();
        let Command::Inspect(i) = cli.command else {
            panic!()
        };
        assert_eq!(i.tile.as_deref(), Some("3/4/2"));
        let cli = Cli::try_parse_from(["clearmap", "inspect", "t.pmtiles"]).unwrap();
        let Command::Inspect(i) = cli.command else {
            panic!()
        };
        assert!(i.tile.is_none());
    }
}
