//! `clearmap man`: the roff pages of the command line, from clap's own
//! description of it (clap_mangen), so they cannot drift from `--help`.

use super::{exit, Cli, ManArgs};
use crate::error::{Error, Result};
use crate::log::Logger;
use clap::CommandFactory;

/// `clearmap man`: the main page, one subcommand's, or every page into a
/// folder (the pages the main page's SEE ALSO names).
pub(super) fn man(a: ManArgs, log: &Logger) -> Result<i32> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    if let Some(dir) = &a.out {
        let written = |source| Error::Output {
            path: dir.clone(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(written)?;
        clap_mangen::generate_to(cmd.clone(), dir).map_err(written)?;
        let mut names = vec![format!("{}.1", cmd.get_name())];
        names.extend(
            cmd.get_subcommands()
                .filter(|s| !s.is_hide_set())
                .map(|s| format!("{}.1", s.get_display_name().unwrap_or(s.get_name()))),
        );
        for n in names {
            log.line(&dir.join(n).display().to_string());
        }
        return Ok(exit::SUCCESS);
    }
    let page = match &a.subcommand {
        None => cmd,
        Some(name) => cmd.find_subcommand(name).cloned().ok_or_else(|| {
            let names: Vec<&str> = cmd.get_subcommands().map(|s| s.get_name()).collect();
            Error::Usage(format!(
                "no subcommand \"{name}\"; the pages are: {}",
                names.join(", ")
            ))
        })?,
    };
    clap_mangen::Man::new(page)
        .render(&mut std::io::stdout())
        .map_err(|source| Error::Output {
            path: "<stdout>".into(),
            source,
        })?;
    Ok(exit::SUCCESS)
}
