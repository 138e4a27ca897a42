//! `kiln advisory add|list|show`: security advisories (OSV, Arch tracker)
//! and the recipes they concern.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use kiln_farm::advisory::{assess, parse_advisories};

use super::compare::names;
use super::db;

/// Arguments of `kiln advisory`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Reads OSV JSON or Arch tracker JSON files (one advisory or an array).
    Add {
        /// The files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Lists the advisories in the store.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// One advisory and the recipes it concerns, with their state.
    Show {
        /// Its id or an alias (a CVE).
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `kiln advisory`.
pub fn run(args: &Args, db_flag: Option<&Path>) -> anyhow::Result<ExitCode> {
    let mut store = db::open(db_flag)?;
    match &args.action {
        Action::Add { files } => {
            let mut failed = false;
            for file in files {
                let text = std::fs::read_to_string(file)
                    .with_context(|| format!("reading {}", file.display()));
                let parsed = text.and_then(|t| {
                    parse_advisories(&t, &file.display().to_string()).map_err(Into::into)
                });
                match parsed {
                    Ok(list) => {
                        for a in list {
                            let new = store.upsert_advisory(&a)?;
                            println!(
                                "{} {} ({} packages{})",
                                if new { "added" } else { "updated" },
                                a.id,
                                a.affected.len(),
                                if a.problems.is_empty() {
                                    String::new()
                                } else {
                                    format!(", {} problems", a.problems.len())
                                }
                            );
                            for p in &a.problems {
                                println!("  problem: {p}");
                            }
                        }
                    }
                    Err(e) => {
                        eprintln!("kiln: {e:#}");
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
        Action::List { json } => {
            let all = store.advisories()?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&all)?);
            } else {
                for a in &all {
                    let packages: Vec<String> = a
                        .affected
                        .iter()
                        .map(|p| format!("{}:{}", p.ecosystem, p.name))
                        .collect();
                    println!(
                        "{:<20} {:<10} {}  [{}]",
                        a.id,
                        a.severity.as_deref().unwrap_or("-"),
                        a.summary.as_deref().unwrap_or(""),
                        packages.join(", ")
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Action::Show { id, json } => {
            let Some(a) = store.advisory(id)? else {
                bail!("no advisory {id:?} in the store");
            };
            let found = assess(&store, &a, names())?;
            if *json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &serde_json::json!({ "advisory": a, "recipes": found })
                    )?
                );
                return Ok(ExitCode::SUCCESS);
            }
            println!("{} {}", a.id, a.summary.as_deref().unwrap_or(""));
            if !a.aliases.is_empty() {
                println!("aliases:  {}", a.aliases.join(" "));
            }
            if let Some(s) = &a.severity {
                println!("severity: {s}");
            }
            for p in &a.affected {
                println!(
                    "affects:  {} {} {}",
                    p.ecosystem,
                    p.name,
                    p.ranges
                        .iter()
                        .map(|r| format!(
                            "[{} .. {}{}]",
                            r.introduced.as_deref().unwrap_or("0"),
                            r.fixed
                                .as_deref()
                                .map(|f| format!("fixed {f}"))
                                .unwrap_or_default(),
                            r.last_affected
                                .as_deref()
                                .map(|l| format!("last affected {l}"))
                                .unwrap_or_default()
                        ))
                        .collect::<Vec<_>>()
                        .join(" ")
                );
            }
            for p in &a.problems {
                println!("problem:  {p}");
            }
            if found.is_empty() {
                println!("no recipe in the store is concerned");
            }
            for f in &found {
                println!(
                    "{}/{} {}: {} (via {}{})",
                    f.origin,
                    f.name,
                    f.version,
                    f.state.as_str(),
                    f.via,
                    f.fixed
                        .as_deref()
                        .map(|x| format!("; fixed in {x}"))
                        .unwrap_or_default()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
