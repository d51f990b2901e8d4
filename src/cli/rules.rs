//! `aigate rules list|explain|test` (being built).

use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List the invariants of the built-in packs and any --rules directories.
    List,
}

pub fn run(_cmd: Command) -> miette::Result<ExitCode> {
    Err(miette::miette!("`aigate rules` is not built yet"))
}
