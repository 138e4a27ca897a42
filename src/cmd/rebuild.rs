//! `kiln rebuild`: rebuild a recipe and its dependents, or what an
//! advisory calls for, in waves; `--dry-run` prints the plan.

use std::path::Path;
use std::process::ExitCode;

use anyhow::bail;
use kiln_farm::planner::PlanOptions;
use kiln_farm::scheduler::{plan_advisory, plan_dependents, queue_wave, WavePlan};
use kiln_normalizer::Origin;

use super::compare::names;
use super::db::{self, OriginArg};
use super::lookup::find;

/// Arguments of `kiln rebuild`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The recipe that changed.
    #[arg(required_unless_present = "advisory", conflicts_with = "advisory")]
    name: Option<String>,
    /// Rebuild everything that depends on NAME too.
    #[arg(long, requires = "name")]
    dependents: bool,
    /// Rebuild what this advisory calls for: the recipes at a fixed
    /// version, then dependents built against an affected version.
    #[arg(long, value_name = "ID")]
    advisory: Option<String>,
    /// Only print the plan.
    #[arg(long)]
    dry_run: bool,
    /// Follow checkdepends too.
    #[arg(long)]
    check: bool,
    /// Origin of NAME.
    #[arg(long)]
    origin: Option<OriginArg>,
    /// Build slots the estimate assumes (default: the slots of the
    /// endpoints in kiln.toml).
    #[arg(long)]
    slots: Option<usize>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

fn fmt_secs(s: u64) -> String {
    format!("{}h{:02}m{:02}s", s / 3600, s / 60 % 60, s % 60)
}

fn print_plan(w: &WavePlan) {
    let p = &w.plan;
    println!(
        "{} plan after {}: {} recipes in {} waves",
        w.origin,
        w.changed.join(", "),
        p.len(),
        p.waves.len()
    );
    for (i, wave) in p.waves.iter().enumerate() {
        let shown: Vec<&str> = wave.iter().take(8).map(String::as_str).collect();
        let more = wave.len().saturating_sub(shown.len());
        println!(
            "  wave {i}: {} recipes: {}{}",
            wave.len(),
            shown.join(" "),
            if more > 0 {
                format!(" ... and {more} more")
            } else {
                String::new()
            }
        );
    }
    println!("  longest chain: {}", p.longest_chain.join(" -> "));
    for c in &p.cycles {
        println!("  cycle (built as one unit): {}", c.join(" <-> "));
    }
    for u in &p.unknown {
        println!("  not in the store: {u}");
    }
    let mut reasons: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for (name, why) in &w.skipped {
        reasons.entry(why).or_default().push(name);
    }
    for (why, names) in reasons {
        let shown: Vec<&str> = names.iter().take(5).copied().collect();
        println!(
            "  skipped {} dependents ({why}): {}{}",
            names.len(),
            shown.join(" "),
            if names.len() > shown.len() {
                " ..."
            } else {
                ""
            }
        );
    }
    println!(
        "  estimate: {} on {} slots (past build durations; 10 min for recipes never built)",
        fmt_secs(w.estimate_secs),
        w.slots
    );
}

/// Runs `kiln rebuild`.
pub fn run(
    args: &Args,
    db_flag: Option<&Path>,
    config_flag: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let mut store = db::open(db_flag)?;
    let slots = match args.slots {
        Some(n) => n,
        None => super::build::configured_slots(config_flag)?,
    };
    let options = PlanOptions {
        include_check: args.check,
    };
    let (plans, trigger) = if let Some(id) = &args.advisory {
        let Some(a) = store.advisory(id)? else {
            bail!("no advisory {id:?} in the store");
        };
        let plans = plan_advisory(&store, &a, names(), options, slots)?;
        if plans.is_empty() {
            println!("{}: no recipe in the store is at a fixed version yet", a.id);
        }
        (plans, format!("advisory {}", a.id))
    } else {
        let Some(name) = &args.name else {
            bail!("give a recipe name or --advisory ID");
        };
        let recipe = find(&store, name, args.origin.map(Origin::from))?;
        let plan = if args.dependents {
            plan_dependents(
                &store,
                recipe.origin,
                std::slice::from_ref(&recipe.name),
                options,
                slots,
            )?
        } else {
            plan_dependents(&store, recipe.origin, &[], options, slots).map(|mut p| {
                p.changed = vec![recipe.name.clone()];
                p.plan.waves = vec![vec![recipe.name.clone()]];
                p.plan.longest_chain = vec![recipe.name.clone()];
                p
            })?
        };
        (vec![plan], format!("rebuild {}", recipe.name))
    };
    if args.json && args.dry_run {
        println!("{}", serde_json::to_string_pretty(&plans)?);
        return Ok(ExitCode::SUCCESS);
    }
    for plan in &plans {
        print_plan(plan);
        if args.dry_run {
            continue;
        }
        let (wave, queued) = queue_wave(&mut store, plan, &trigger, args.advisory.as_deref(), 0)?;
        println!(
            "queued wave {wave}: {} builds (builds {}..{})",
            queued.len(),
            queued.first().map_or(0, |q| q.build.0),
            queued.last().map_or(0, |q| q.build.0)
        );
    }
    Ok(ExitCode::SUCCESS)
}
