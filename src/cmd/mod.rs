//! The subcommands of `kiln`, one module each.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod guix_dump;
pub mod srcinfo;
pub mod vercmp;

/// Kiln reads Arch PKGBUILDs and Guix package definitions into one recipe
/// model, translates and compares them, and builds them in containers.
#[derive(Debug, Parser)]
#[command(name = "kiln", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Compare two versions the way pacman's vercmp does (-1, 0 or 1).
    Vercmp(vercmp::Args),
    /// Print or write the .SRCINFO of PKGBUILDs, read statically.
    Srcinfo(srcinfo::Args),
    /// Print the packages of Guix modules, evaluated statically, as JSON lines.
    GuixDump(guix_dump::Args),
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Vercmp(args) => vercmp::run(&args),
        Command::Srcinfo(args) => srcinfo::run(&args),
        Command::GuixDump(args) => guix_dump::run(&args),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_valid() {
        super::Cli::command().debug_assert();
    }
}
