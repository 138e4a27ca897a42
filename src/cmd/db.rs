//! Opening the store and finding Kiln's data directory for the commands.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use kiln_farm::store::{data_dir, db_path_from_env, Store};
use kiln_normalizer::Origin;

/// Opens (creating when needed) the store named by `--db`, else `$KILN_DB`,
/// else `kiln.db` in the data directory.
pub fn open(flag: Option<&Path>) -> anyhow::Result<Store> {
    let path = db_path_from_env(flag)?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating the directory of {}", path.display()))?;
    }
    Store::open(&path).with_context(|| format!("opening the store {}", path.display()))
}

/// Kiln's data directory (`$XDG_DATA_HOME/kiln`, else `~/.local/share/kiln`);
/// when neither is set, the directory holding the database.
pub fn data_directory(db_flag: Option<&Path>) -> anyhow::Result<PathBuf> {
    let var = |name: &str| std::env::var_os(name).map(PathBuf::from);
    if let Some(dir) = data_dir(var("XDG_DATA_HOME").as_deref(), var("HOME").as_deref()) {
        return Ok(dir);
    }
    let db = db_path_from_env(db_flag)?;
    Ok(db
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_owned))
}

/// An origin given on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OriginArg {
    /// Arch PKGBUILDs (the AUR, Arch-style trees).
    #[value(alias = "arch")]
    Aur,
    /// GNU Guix packages.
    Guix,
}

impl From<OriginArg> for Origin {
    fn from(o: OriginArg) -> Self {
        match o {
            OriginArg::Aur => Origin::Arch,
            OriginArg::Guix => Origin::Guix,
        }
    }
}
