//! The `aigate` command line: parse flags, call the library, map errors to exit codes.
//! Exit codes: 0 pass, 1 blocked by policy (or findings, for `scan`), 2 could not decide.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    cli::init_tracing(args.verbose, args.quiet);
    match cli::run(args) {
        Ok(code) => code,
        Err(report) => {
            eprintln!("{report:?}");
            ExitCode::from(cli::EXIT_ERROR)
        }
    }
}
