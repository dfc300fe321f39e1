//! `--minzoom`/`--maxzoom` of `build` and `tiles`: the zooms of the tiles,
//! over the config's `[output] minzoom`/`maxzoom`.

use crate::config::Config;
use crate::error::{Error, Result};
use clap::Args;

/// `--minzoom`/`--maxzoom`, over the config's `[output] minzoom/maxzoom`.
#[derive(Debug, Args)]
pub struct ZoomArgs {
    /// Lowest zoom of the vector tiles (default 0, or the config's [output] minzoom).
    #[arg(long, value_name = "Z", value_parser = clap::value_parser!(u8).range(0..=crate::config::MAX_TILE_ZOOM as i64))]
    pub minzoom: Option<u8>,
    /// Highest zoom of the vector tiles (default 14, or the config's [output] maxzoom; at most 18).
    #[arg(long, value_name = "Z", value_parser = clap::value_parser!(u8).range(0..=crate::config::MAX_TILE_ZOOM as i64))]
    pub maxzoom: Option<u8>,
}

impl ZoomArgs {
    /// Put the flags given into `cfg`, checking the zooms are in order.
    pub(super) fn apply(&self, cfg: &mut Config) -> Result<()> {
        if let Some(z) = self.minzoom {
            cfg.output.minzoom = z;
        }
        if let Some(z) = self.maxzoom {
            cfg.output.maxzoom = z;
        }
        cfg.output.check_zooms().map_err(|_| {
            Error::Usage(format!(
                "--minzoom {} --maxzoom {} (with the config's [output]): the lowest zoom must not be above the highest",
                cfg.output.minzoom, cfg.output.maxzoom
            ))
        })
    }
}
