//! `aigate rules list|explain|test`: what the policy enforces, why, and proof that each
//! invariant's own examples behave as documented.

mod explain;
mod list;
mod test;

use std::path::PathBuf;
use std::process::ExitCode;

use aigate::policy::{Policy, PolicyLoader};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List the invariants of the built-in packs and any --rules directories.
    List(list::Args),
    /// Show everything about one invariant: message, note, rationale, examples and its source.
    Explain(explain::Args),
    /// Check every invariant against its own examples (no DIR: the built-in packs).
    ///
    /// Each `metadata.examples.invalid` example must produce at least one finding of its rule, each
    /// `valid` example none. Examples with a `base` are checked as a change from base to head.
    /// Exit codes: 0 all passed, 1 an example failed, 2 the rules do not load.
    Test(test::Args),
}

pub fn run(cmd: Command) -> miette::Result<ExitCode> {
    match cmd {
        Command::List(args) => list::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Test(args) => test::run(args),
    }
}

/// Where the invariants come from: the built-in packs (unless `--no-builtin`) and `--rules` paths.
#[derive(Debug, Clone, clap::Args)]
pub struct Sources {
    /// A rule file, or a directory of rule files (a directory with a pack.yaml is a pack). Repeatable.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Leave out the built-in packs.
    #[arg(long)]
    pub no_builtin: bool,
}

impl Sources {
    pub fn load(&self) -> miette::Result<Policy> {
        let mut loader = PolicyLoader::new().builtin(!self.no_builtin);
        for path in &self.rules {
            loader = loader.path(path);
        }
        Ok(loader.load()?)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// The pack an invariant is listed under: its pack's name, else the file it came from.
fn pack_of(inv: &aigate::policy::Invariant) -> String {
    inv.origin.pack.clone().unwrap_or_else(|| inv.origin.file.clone())
}
