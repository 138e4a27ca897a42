//! The subcommands of `kiln`, one module each.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod srcinfo;
pub mod translate;
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
    /// Translate a recipe: PKGBUILD to a Guix package form, a Guix-origin
    /// recipe (JSON) to a PKGBUILD, or either to the normalized JSON.
    Translate(translate::Args),
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Vercmp(args) => vercmp::run(&args),
        Command::Srcinfo(args) => srcinfo::run(&args),
        Command::Translate(args) => translate::run(&args),
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
