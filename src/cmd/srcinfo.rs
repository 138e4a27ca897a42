//! `kiln srcinfo PATH...`: prints or writes the `.SRCINFO` of PKGBUILDs,
//! read statically (nothing in them is run).
//!
//! Each PATH is a PKGBUILD, a directory holding one, or a tree searched for
//! them (`.git` skipped). With one PKGBUILD and no `--out` the `.SRCINFO` goes
//! to stdout; with `--out DIR` each goes to `DIR/<its directory's name>/.SRCINFO`,
//! in parallel. A PKGBUILD that cannot be read is reported on stderr and the
//! others go on; the exit status says whether any failed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use rayon::prelude::*;

/// Arguments of `kiln srcinfo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// PKGBUILD files, package directories, or trees of them.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Write `DIR/<package directory>/.SRCINFO` for each PKGBUILD found.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Parallel jobs (default: one per core).
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Print import warnings (constructs not evaluated statically) on stderr.
    #[arg(long)]
    warnings: bool,
}

/// Finds the PKGBUILDs a path stands for.
fn find_pkgbuilds(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_owned()]);
    }
    let direct = path.join("PKGBUILD");
    if direct.is_file() {
        return Ok(vec![direct]);
    }
    let mut found = Vec::new();
    let walker = walkdir::WalkDir::new(path)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.file_name() != ".git");
    for entry in walker {
        let entry = entry.with_context(|| format!("searching {}", path.display()))?;
        if entry.file_name() == "PKGBUILD" && entry.file_type().is_file() {
            found.push(entry.into_path());
        }
    }
    if found.is_empty() {
        anyhow::bail!("no PKGBUILD found under {}", path.display());
    }
    Ok(found)
}

fn package_dir_name(pkgbuild: &Path) -> String {
    pkgbuild
        .parent()
        .and_then(|p| std::fs::canonicalize(p).ok())
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "PKGBUILD".into())
}

/// Reads one PKGBUILD; prints warnings when asked; returns its `.SRCINFO`.
fn import(path: &Path, warnings: bool) -> Result<String, String> {
    let recipe = kiln_importers::pkgbuild::read_file(path).map_err(|e| e.to_string())?;
    if warnings {
        for w in &recipe.warnings {
            eprintln!("kiln: warning: {w}");
        }
    }
    Ok(kiln_normalizer::srcinfo::emit(&recipe))
}

/// Runs `kiln srcinfo`.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let mut pkgbuilds = Vec::new();
    let mut failed = false;
    for p in &args.paths {
        match find_pkgbuilds(p) {
            Ok(found) => pkgbuilds.extend(found),
            Err(e) => {
                eprintln!("kiln: {e:#}");
                failed = true;
            }
        }
    }
    let Some(out) = &args.out else {
        if pkgbuilds.len() != 1 {
            anyhow::bail!(
                "{} PKGBUILDs found: give --out DIR to write them all",
                pkgbuilds.len()
            );
        }
        match import(&pkgbuilds[0], args.warnings) {
            Ok(text) => print!("{text}"),
            Err(e) => {
                eprintln!("kiln: {e}");
                failed = true;
            }
        }
        return Ok(if failed {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        });
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.unwrap_or(0))
        .build()
        .context("starting worker threads")?;
    let failures: usize = pool.install(|| {
        pkgbuilds
            .par_iter()
            .map(|path| {
                let result = import(path, args.warnings).and_then(|text| {
                    let dir = out.join(package_dir_name(path));
                    std::fs::create_dir_all(&dir)
                        .and_then(|()| std::fs::write(dir.join(".SRCINFO"), text))
                        .map_err(|e| format!("writing .SRCINFO for {}: {e}", path.display()))
                });
                match result {
                    Ok(()) => 0,
                    Err(e) => {
                        eprintln!("kiln: {e}");
                        1
                    }
                }
            })
            .sum()
    });
    Ok(if failed || failures > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
