//! The subcommands of `kiln`, one module each.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod advisory;
pub mod build;
pub mod compare;
pub mod db;
pub mod guix_dump;
pub mod image;
pub mod import;
pub mod lookup;
pub mod progress;
pub mod rebuild;
pub mod sources;
pub mod srcinfo;
pub mod translate;
pub mod vercmp;

/// Kiln reads Arch PKGBUILDs and Guix package definitions into one recipe
/// model, translates and compares them, and builds them in containers.
#[derive(Debug, Parser)]
#[command(name = "kiln", version, about)]
pub struct Cli {
    /// The store: this SQLite file, else $KILN_DB, else kiln.db in the data
    /// directory ($XDG_DATA_HOME/kiln or ~/.local/share/kiln).
    #[arg(long, global = true, value_name = "FILE")]
    db: Option<PathBuf>,
    /// The farm's configuration: this file, else $KILN_CONFIG, else
    /// kiln.toml in the working directory (absent: defaults).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Compare two versions the way pacman's vercmp does (-1, 0 or 1).
    Vercmp(vercmp::Args),
    /// Print or write the .SRCINFO of PKGBUILDs, read statically.
    Srcinfo(srcinfo::Args),
    /// Import recipes into the store: a PKGBUILD tree, the AUR, a Guix tree.
    Import(import::Args),
    /// Search the store by name, description and provides.
    Search(lookup::SearchArgs),
    /// Show one recipe.
    Show(lookup::ShowArgs),
    /// What a recipe depends on, or (--reverse) what depends on it.
    Deps(lookup::DepsArgs),
    /// Compare a recipe with its counterpart in the other origin, or all.
    Compare(compare::Args),
    /// The content-addressed source store.
    Sources(sources::Args),
    /// Security advisories (OSV, Arch security tracker).
    Advisory(advisory::Args),
    /// Rebuild a recipe, its dependents, or what an advisory calls for.
    Rebuild(rebuild::Args),
    /// Translate a recipe: PKGBUILD to a Guix package form, a Guix-origin
    /// recipe (JSON) to a PKGBUILD, or either to the normalized JSON.
    Translate(translate::Args),
    /// Manage the build image containers run in.
    Image(image::Args),
    /// Queue builds (and with --follow, run them here and stream the log).
    Build(build::BuildArgs),
    /// List builds.
    Builds(build::BuildsArgs),
    /// Print a build's log.
    Log(build::LogArgs),
    /// List (or extract) a build's packages.
    Artifacts(build::ArtifactsArgs),
    /// Run the build farm until stopped.
    Serve(build::ServeArgs),
    /// Print the packages of Guix modules, evaluated statically, as JSON lines.
    GuixDump(guix_dump::Args),
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let db = cli.db.as_deref();
    let config = cli.config.as_deref();
    match cli.command {
        Command::Vercmp(args) => vercmp::run(&args),
        Command::Srcinfo(args) => srcinfo::run(&args),
        Command::Import(args) => import::run(&args, db, config),
        Command::Search(args) => lookup::search(&args, db),
        Command::Show(args) => lookup::show(&args, db),
        Command::Deps(args) => lookup::deps(&args, db),
        Command::Compare(args) => compare::run(&args, db),
        Command::Sources(args) => sources::run(&args, db),
        Command::Advisory(args) => advisory::run(&args, db),
        Command::Rebuild(args) => rebuild::run(&args, db, config),
        Command::Translate(args) => translate::run(&args),
        Command::Image(args) => image::run(&args, config),
        Command::Build(args) => build::build(&args, db, config),
        Command::Builds(args) => build::builds(&args, db),
        Command::Log(args) => build::log(&args, db),
        Command::Artifacts(args) => build::artifacts(&args, db),
        Command::Serve(args) => build::serve(&args, db, config),
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
