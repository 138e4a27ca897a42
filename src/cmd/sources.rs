//! `kiln sources add FILE...`: puts source files into the content-addressed
//! source store for offline builds.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use kiln_farm::sources::SourceStore;

use super::db;

/// Arguments of `kiln sources`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Adds files, printing each one's sha256.
    Add {
        /// The files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// The source store in Kiln's data directory.
pub fn open(db_flag: Option<&Path>) -> anyhow::Result<SourceStore> {
    let root = db::data_directory(db_flag)?.join("sources");
    SourceStore::open(&root).with_context(|| format!("opening the source store {}", root.display()))
}

/// Runs `kiln sources`.
pub fn run(args: &Args, db_flag: Option<&Path>) -> anyhow::Result<ExitCode> {
    let store = open(db_flag)?;
    let Action::Add { files } = &args.action;
    let mut failed = false;
    for file in files {
        match store.add_file(file) {
            Ok((_, digests)) => println!("{}  {}", digests.sha256(), file.display()),
            Err(e) => {
                eprintln!("kiln: {}: {e}", file.display());
                failed = true;
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
