//! `kiln import`: fills the store from PKGBUILD trees, the AUR (a mirror
//! with a branch per package, or per-package repositories) and Guix trees.

use std::path::PathBuf;
use std::process::ExitCode;

use kiln_farm::import::{self, ImportSummary, Progress, Quiet};

use super::db;
use super::progress::Bar;

/// The default base URL of per-package AUR repositories.
pub const AUR_URL: &str = "https://aur.archlinux.org";

/// Arguments of `kiln import`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    source: Source,
    /// Print a JSON summary instead of text (and no progress bar).
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Debug, clap::Subcommand)]
enum Source {
    /// A tree of PKGBUILD directories.
    Dir {
        /// The tree's root.
        path: PathBuf,
    },
    /// The AUR: a mirror repository with one branch per package
    /// (`--mirror REPO`), or the named packages' own repositories.
    Aur {
        /// A path or URL of a repository with one branch per package.
        #[arg(long, value_name = "REPO", conflicts_with = "names")]
        mirror: Option<String>,
        /// Base URL of per-package repositories (`URL/NAME.git`).
        #[arg(long, value_name = "URL", default_value = AUR_URL)]
        aur_url: String,
        /// Packages to fetch from their own repositories.
        #[arg(required_unless_present = "mirror")]
        names: Vec<String>,
    },
    /// A Guix checkout or channel (path or URL) read from its git tree, or
    /// a plain directory of modules.
    Guix {
        /// The repository or directory.
        #[arg(long, value_name = "REPO")]
        repo: String,
        /// The branch, tag or commit to read (default: HEAD).
        #[arg(long = "ref", value_name = "REF")]
        git_ref: Option<String>,
    },
}

/// Runs `kiln import`.
pub fn run(
    args: &Args,
    db_flag: Option<&std::path::Path>,
    config_flag: Option<&std::path::Path>,
) -> anyhow::Result<ExitCode> {
    let mut store = db::open(db_flag)?;
    let cache = db::data_directory(db_flag)?.join("cache/git");
    let bar = Bar::for_terminal(args.json);
    let progress: &dyn Progress = match &bar {
        Some(b) => b,
        None => &Quiet,
    };
    let summary = match &args.source {
        Source::Dir { path } => import::import_dir(&mut store, path, progress)?,
        Source::Aur {
            mirror: Some(repo), ..
        } => import::import_aur_mirror(&mut store, repo, &cache, progress)?,
        Source::Aur {
            mirror: None,
            aur_url,
            names,
        } => import::import_aur_packages(&mut store, names, aur_url, &cache, progress)?,
        Source::Guix { repo, git_ref } => {
            import::import_guix(&mut store, repo, git_ref.as_deref(), &cache, progress)?
        }
    };
    // A recipe updated from an affected to a fixed version starts the
    // advisory's rebuild wave.
    let waves = kiln_farm::scheduler::waves_after_import(
        &mut store,
        kiln_farm::store::RunId(summary.run),
        super::compare::names(),
        super::build::configured_slots(config_flag)?,
    )?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({ "import": summary, "waves": waves })
            )?
        );
    } else {
        print_summary(&summary);
        for w in &waves {
            println!(
                "{} {} -> {} fixes {}: queued wave {} ({} builds)",
                w.recipe,
                w.old_version,
                w.new_version,
                w.advisory,
                w.wave,
                w.builds.len()
            );
        }
    }
    Ok(if summary.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

fn print_summary(s: &ImportSummary) {
    println!(
        "import {} of {}{}: {} added, {} updated, {} unchanged, {} removed, {} failed",
        s.run,
        s.location,
        s.commit
            .as_deref()
            .map(|c| format!(" at {}", &c[..c.len().min(12)]))
            .unwrap_or_default(),
        s.added,
        s.updated,
        s.unchanged,
        s.removed,
        s.failures.len()
    );
    println!(
        "{} import warnings (constructs not evaluated statically), {} findings",
        s.warnings, s.findings
    );
    for f in &s.failures {
        println!("failed: {}: {}", f.path, f.message);
    }
    if !s.duplicates.is_empty() {
        println!(
            "{} duplicates skipped (same name read earlier in this import):",
            s.duplicates.len()
        );
        for d in &s.duplicates {
            println!("  {}: {}", d.path, d.message);
        }
    }
}
