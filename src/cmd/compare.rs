//! `kiln compare`: the same software in the Arch and Guix traditions, side
//! by side — one pair, or the whole store with a summary.

use std::path::Path;
use std::process::ExitCode;

use anyhow::bail;
use kiln_farm::compare::{arch_counterpart, compare_all, ComparisonSummary, GuixIndex};
use kiln_farm::store::Store;
use kiln_normalizer::compare::{Comparison, NameMap};
use kiln_normalizer::mapping::Mappings;
use kiln_normalizer::Origin;

use super::db;
use super::lookup::find;

/// How `kiln compare` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CompareFormat {
    /// Readable text (a table for `--all`).
    Table,
    /// JSON.
    Json,
}

/// Arguments of `kiln compare`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A recipe of either origin.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    name: Option<String>,
    /// Compare every Arch recipe with its best Guix counterpart.
    #[arg(long)]
    all: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: CompareFormat,
    /// How many of the most divergent pairs `--all` lists.
    #[arg(long, default_value_t = 10)]
    top: usize,
}

/// The name mapping used across origins.
pub fn names() -> &'static Mappings {
    Mappings::builtin()
}

/// Runs `kiln compare`.
pub fn run(args: &Args, db_flag: Option<&Path>) -> anyhow::Result<ExitCode> {
    let store = db::open(db_flag)?;
    let names = names();
    if args.all {
        let summary = compare_all(&store, names, args.top)?;
        match args.format {
            CompareFormat::Json => println!("{}", serde_json::to_string_pretty(&summary)?),
            CompareFormat::Table => print_summary(&summary),
        }
        return Ok(ExitCode::SUCCESS);
    }
    let Some(name) = &args.name else {
        bail!("give a recipe name or --all");
    };
    let Some(c) = pair(&store, name, names)? else {
        bail!("{name}: no counterpart found in the other origin (no shared source file, upstream URL, home page or mapped name)");
    };
    match args.format {
        CompareFormat::Json => println!("{}", serde_json::to_string_pretty(&c)?),
        CompareFormat::Table => print_pair(&c),
    }
    Ok(ExitCode::SUCCESS)
}

/// The comparison of `name` with its best counterpart in the other origin.
pub fn pair(store: &Store, name: &str, names: &dyn NameMap) -> anyhow::Result<Option<Comparison>> {
    let stored = match store.recipe_by_name(Some(Origin::Arch), name)? {
        Some(r) => r,
        None => find(store, name, None)?,
    };
    Ok(if stored.origin == Origin::Arch {
        GuixIndex::build(store)?
            .best_match(&stored.recipe, names)
            .map(|(_, c)| c)
    } else {
        arch_counterpart(store, &stored.recipe, names)?.map(|(_, c)| c)
    })
}

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn print_pair(c: &Comparison) {
    let v = &c.versions;
    println!("arch/{}  <->  guix/{}", c.arch_name, c.guix_name);
    println!("verdict:   {}", c.verdict.as_str());
    for e in &c.evidence {
        println!(
            "evidence:  {}",
            serde_json::to_string(e).unwrap_or_default()
        );
    }
    println!(
        "versions:  arch {}  guix {}",
        v.arch.as_deref().unwrap_or("?"),
        v.guix.as_deref().unwrap_or("?")
    );
    println!(
        "           vercmp says {}, Guix's order says {}{}",
        order(v.vercmp),
        order(v.guix_order),
        if v.orders_disagree {
            "  (the two orders DISAGREE)"
        } else {
            ""
        }
    );
    if let Some(d) = &v.drift {
        println!("           drift: {} newer ({})", d.newer, d.size);
    }
    let s = &c.sources;
    println!(
        "sources:   same file {}, same URL {}",
        yes(s.same_file),
        yes(s.same_url)
    );
    println!(
        "patches:   arch [{}]  guix [{}]",
        s.arch_patches.join(" "),
        s.guix_patches.join(" ")
    );
    let d = &c.dependencies;
    println!("deps:      matched [{}]", d.matched.join(" "));
    println!(
        "           implicit in Guix's build system [{}]",
        d.implicit.join(" ")
    );
    println!("           only arch [{}]", d.only_arch.join(" "));
    println!("           only guix [{}]", d.only_guix.join(" "));
    let l = &c.licenses;
    println!(
        "licenses:  arch [{}]  guix [{}]  equivalent {}",
        l.arch.join(" "),
        l.guix.join(" "),
        yes(l.equivalent)
    );
    println!(
        "build:     arch {}  guix {}",
        c.build_system.0.as_deref().unwrap_or("?"),
        c.build_system.1.as_deref().unwrap_or("?")
    );
    println!(
        "tests:     arch {}  guix {}",
        yes(c.tests.0),
        yes(c.tests.1)
    );
}

fn order(o: Option<i8>) -> &'static str {
    match o {
        Some(-1) => "arch older",
        Some(0) => "equal",
        Some(1) => "arch newer",
        _ => "not comparable",
    }
}

fn print_summary(s: &ComparisonSummary) {
    println!(
        "{} Arch recipes, {} Guix recipes, {} matched pairs",
        s.arch_recipes, s.guix_recipes, s.matched
    );
    println!("\nby evidence:");
    for (k, n) in &s.by_evidence {
        println!("  {k:<20} {n:>7}");
    }
    println!("\nby verdict:");
    for (k, n) in &s.by_verdict {
        println!("  {k:<20} {n:>7}");
    }
    if !s.drift.is_empty() {
        println!("\nversion drift:");
        for (k, n) in &s.drift {
            println!("  {k:<20} {n:>7}");
        }
    }
    println!(
        "\nvercmp and Guix's version order disagree on {} pairs",
        s.orders_disagree
    );
    if !s.most_divergent.is_empty() {
        println!("\nmost divergent:");
        println!(
            "  {:<24} {:<24} {:<14} {:<12} {:<12} deps only arch/guix",
            "arch", "guix", "verdict", "arch ver", "guix ver"
        );
        for c in &s.most_divergent {
            println!(
                "  {:<24} {:<24} {:<14} {:<12} {:<12} {}/{}",
                c.arch_name,
                c.guix_name,
                c.verdict.as_str(),
                c.versions.arch.as_deref().unwrap_or("?"),
                c.versions.guix.as_deref().unwrap_or("?"),
                c.dependencies.only_arch.len(),
                c.dependencies.only_guix.len()
            );
        }
    }
}
