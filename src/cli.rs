//! The command line (DESIGN.md "Command line"): parsing with clap, and the
//! dispatch of each subcommand to the library.

use crate::config::Config;
use crate::error::{exit, Error, Result};
use crate::pipeline;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "clearmap",
    version,
    about = "Turn IMSMA mine-action exports into land-release figures, GeoJSON and map bundles",
    after_help = "Examples:\n  clearmap build data/example/clearmap.toml --out out/\n  clearmap build --hazards hazards.geojson --releases releases.geojson --out out/\n  clearmap validate data/example/clearmap.toml\n  clearmap tables data/example/clearmap.toml --out out/"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build one country's bundle (figures, GeoJSON, report) into --out.
    #[command(
        after_help = "Examples:\n  clearmap build clearmap.toml --out out/\n  clearmap build --hazards sha.geojson cha.gpkg --releases cleared.shp --country KHM --out out/"
    )]
    Build(BuildArgs),
    /// Read and check the sources only; print the diagnostics table.
    #[command(after_help = "Example:\n  clearmap validate clearmap.toml")]
    Validate(ValidateArgs),
    /// Write only the Article 7-style tables (CSV and article7.xlsx) into --out/tables/.
    #[command(
        after_help = "Recomputes the accounting from the config and writes DIR/tables/: remaining_by_region.csv,\nreleased_by_year.csv, remaining_by_contamination.csv, reported_vs_computed.csv and\narticle7.xlsx (the same four as sheets). Nothing else in DIR is touched.\n\nExample:\n  clearmap tables data/example/clearmap.toml --out out/"
    )]
    Tables(TablesArgs),
    /// Preview a bundle: a static server with HTTP range requests (loopback).
    #[command(after_help = "Example:\n  clearmap serve out/ --addr 127.0.0.1:8080")]
    Serve(ServeArgs),
    /// Show a PMTiles archive (header, metadata, tiles per zoom), or one tile as GeoJSON.
    #[command(
        after_help = "Examples:\n  clearmap inspect out/tiles.pmtiles\n  clearmap inspect out/tiles.pmtiles 10/811/478 > tile.geojson"
    )]
    Inspect(InspectArgs),
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The archive (tiles.pmtiles of a bundle).
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
    #[arg(long)]
    pub out: PathBuf,
    /// Exit with 3 when any record was quarantined.
    #[arg(long)]
    pub strict: bool,
    /// Print only errors.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct TablesArgs {
    /// The country config (TOML).
    pub config: PathBuf,
    /// Output directory; the tables go to its tables/ folder.
    #[arg(long)]
    pub out: PathBuf,
    /// Print only errors.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    pub config: PathBuf,
    /// Exit with 3 when any record would be quarantined.
    #[arg(long)]
    pub strict: bool,
}

/// Run a parsed command line; the result is the process exit code.
pub fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Build(a) => build(a),
        Command::Validate(a) => validate(a),
        Command::Tables(a) => tables(a),
        Command::Serve(a) => crate::serve::serve(&a.dir, &a.addr).map(|()| exit::SUCCESS),
        Command::Inspect(a) => inspect(a),
    }
}

fn inspect(a: InspectArgs) -> Result<i32> {
    use crate::emit::tiles::inspect::{parse_zxy, summary, tile_geojson, Archive};
    let zxy = a.tile.as_deref().map(parse_zxy).transpose()?;
    let archive = Archive::open(&a.file)?;
    match zxy {
        None => print!("{}", summary(&archive)?),
        Some((z, x, y)) => match tile_geojson(&archive, z, x, y)? {
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

fn build(a: BuildArgs) -> Result<i32> {
    let cfg = match &a.config {
        Some(path) => Config::load(path)?,
        None if a.hazards.is_empty() => {
            return Err(Error::Usage(
                "give a config file (clearmap build clearmap.toml --out DIR) or --hazards FILE… [--releases FILE…]".into(),
            ))
        }
        None => Config::from_files(a.country.clone(), &a.hazards, &a.releases),
    };
    let outcome = pipeline::build(&cfg, &a.out)?;
    if !a.quiet {
        let f = &outcome.figures;
        println!("{}", crate::emit::records_line(&outcome.counts));
        println!(
            "total {:.0} m²; remaining {:.0} m²; cleared {:.0} m²; reduced {:.0} m²; cancelled {:.0} m²; closed unreleased {:.0} m²; released outside hazards {:.0} m²",
            f.total, f.remaining, f.cleared, f.reduced, f.cancelled, f.closed_unreleased, f.released_outside_hazards
        );
        print!("{}", outcome.diagnostics.table());
        println!("bundle written to {}", a.out.display());
    }
    Ok(if a.strict && outcome.quarantined > 0 {
        exit::QUARANTINED_STRICT
    } else {
        exit::SUCCESS
    })
}

fn tables(a: TablesArgs) -> Result<i32> {
    let cfg = Config::load(&a.config)?;
    let written = pipeline::tables(&cfg, &a.out)?;
    if !a.quiet {
        for p in written {
            println!("{}", p.display());
        }
    }
    Ok(exit::SUCCESS)
}

fn validate(a: ValidateArgs) -> Result<i32> {
    let cfg = Config::load(&a.config)?;
    let (diags, counts) = pipeline::validate(&cfg)?;
    println!("{}", crate::emit::records_line(&counts));
    print!("{}", diags.table());
    let quarantined: usize = counts.values().map(|c| c.quarantined).sum();
    Ok(if a.strict && quarantined > 0 {
        exit::QUARANTINED_STRICT
    } else {
        exit::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

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
