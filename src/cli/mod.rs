//! Subcommands. Each file is one command: it turns flags into library calls and output.

mod change;
mod check;
mod ledger;
mod rules;
mod scan;
mod trace;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The change may merge (or: nothing found).
pub const EXIT_PASS: u8 = 0;
/// Blocked by policy (or, for `scan`, findings at error severity).
pub const EXIT_BLOCKED: u8 = 1;
/// Could not decide: bad input, unreachable service, internal error.
pub const EXIT_ERROR: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "aigate",
    version,
    about = "Governance for AI-written code: identify AI changes, enforce invariants, capture corrections",
    long_about = "aigate is the governance layer that lives outside the model and outside the repository an \
agent can edit. It identifies the commits and lines of a change that AI tools wrote, enforces the \
organisation's invariants on them with AST analysis, and records the corrections humans make.\n\n\
Exit codes: 0 pass, 1 blocked by policy, 2 could not decide (bad input, internal error).",
    after_help = "Examples:\n  aigate check --base origin/main --sarif aigate.sarif\n  aigate trace --base origin/main\n  aigate scan src/\n  aigate rules list"
)]
pub struct Cli {
    /// More logging (-v info, -vv debug, -vvv trace). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The gate: decide whether a change may merge (exit 0 pass, 1 blocked, 2 could not decide).
    Check(check::Args),
    /// Show the provenance of a change: AI commits, their signals, AI lines, corrections.
    Trace(trace::Args),
    /// Scan files for invariant findings (whole tree, no git history needed).
    Scan(scan::Args),
    /// List, explain and test invariants.
    #[command(subcommand)]
    Rules(rules::Command),
    /// The central ledger: serve it, manage tokens, verify its chain, flush the spool, record by hand.
    #[command(subcommand)]
    Ledger(ledger::Command),
}

pub fn run(cli: Cli) -> miette::Result<ExitCode> {
    match cli.command {
        Command::Check(args) => check::run(args),
        Command::Trace(args) => trace::run(args),
        Command::Scan(args) => scan::run(args),
        Command::Rules(cmd) => rules::run(cmd),
        Command::Ledger(cmd) => ledger::run(cmd),
    }
}

pub fn init_tracing(verbose: u8, quiet: bool) {
    use tracing_subscriber::EnvFilter;
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(format!("aigate={level}")));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
