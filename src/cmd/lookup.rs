//! Look-ups in the store: `kiln search`, `kiln show`, `kiln deps`.

use std::collections::{BTreeSet, VecDeque};
use std::path::Path;
use std::process::ExitCode;

use anyhow::bail;
use kiln_farm::store::{DependencyRecord, NameMatch, Store, StoredRecipe};
use kiln_normalizer::mapping::Mappings;
use kiln_normalizer::{emit, srcinfo, Origin, Recipe};

use super::db::{self, OriginArg};

/// Arguments of `kiln search`.
#[derive(Debug, clap::Args)]
pub struct SearchArgs {
    /// Words to look for in names, descriptions and provides.
    #[arg(required = true)]
    query: Vec<String>,
    /// Only recipes of this origin.
    #[arg(long)]
    origin: Option<OriginArg>,
    /// At most this many results.
    #[arg(long, default_value_t = 20)]
    limit: usize,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `kiln search`.
pub fn search(args: &SearchArgs, db_flag: Option<&Path>) -> anyhow::Result<ExitCode> {
    let store = db::open(db_flag)?;
    let query = args.query.join(" ");
    let hits = store.search(&query, args.origin.map(Origin::from), args.limit)?;
    if args.json {
        let rows: Vec<_> = hits
            .iter()
            .map(|h| {
                serde_json::json!({
                    "origin": h.origin.as_str(), "name": h.name, "version": h.version,
                    "description": h.description, "score": h.score,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        for h in &hits {
            println!(
                "{}/{} {}\n    {}",
                h.origin,
                h.name,
                h.version,
                h.description.as_deref().unwrap_or("")
            );
        }
    }
    Ok(if hits.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// How `kiln show` prints a recipe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ShowFormat {
    /// A readable summary.
    Text,
    /// The normalized recipe as JSON.
    Json,
    /// The `.SRCINFO` makepkg would print.
    Srcinfo,
    /// A PKGBUILD (translated, for a Guix recipe).
    Pkgbuild,
    /// A Guix package form (translated, for an Arch recipe).
    Guix,
}

/// Arguments of `kiln show`.
#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// A recipe name, a split package's name, or a name it provides.
    name: String,
    /// Only recipes of this origin.
    #[arg(long)]
    origin: Option<OriginArg>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: ShowFormat,
}

/// Finds a recipe by name or fails with a message saying so.
pub fn find(store: &Store, name: &str, origin: Option<Origin>) -> anyhow::Result<StoredRecipe> {
    match store.recipe_by_name(origin, name)? {
        Some(r) => Ok(r),
        None => bail!(
            "no recipe, package or provided name {name:?}{} in the store",
            origin
                .map(|o| format!(" of origin {o}"))
                .unwrap_or_default()
        ),
    }
}

/// Runs `kiln show`.
pub fn show(args: &ShowArgs, db_flag: Option<&Path>) -> anyhow::Result<ExitCode> {
    let store = db::open(db_flag)?;
    let stored = find(&store, &args.name, args.origin.map(Origin::from))?;
    match args.format {
        ShowFormat::Json => println!("{}", serde_json::to_string_pretty(&stored.recipe)?),
        ShowFormat::Srcinfo => print!("{}", srcinfo::emit(&stored.recipe)),
        ShowFormat::Text => print_text(&store, &stored)?,
        ShowFormat::Pkgbuild | ShowFormat::Guix => {
            let maps = Mappings::builtin();
            let emitted = if args.format == ShowFormat::Guix {
                emit::guix::package_form(&stored.recipe, maps)
            } else {
                emit::pkgbuild::pkgbuild(&stored.recipe, maps)
            };
            print!("{}", emitted.text);
            for w in &emitted.warnings {
                eprintln!("kiln: not translated: {w}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn list<T: std::fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    items
        .into_iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

fn print_text(store: &Store, stored: &StoredRecipe) -> anyhow::Result<()> {
    let r: &Recipe = &stored.recipe;
    match stored.matched {
        NameMatch::Recipe => {}
        NameMatch::Package | NameMatch::Provides => println!(
            "({} found as {:?} of package {})",
            r.pkgbase,
            stored.matched,
            stored.package.as_deref().unwrap_or("?")
        ),
    }
    println!("{}/{} {}", stored.origin, stored.name, stored.version);
    if let Some(d) = r.base.pkgdesc.as_ref().or(r.description.as_ref()) {
        println!("  description: {d}");
    }
    if let Some(u) = &r.base.url {
        println!("  url:         {u}");
    }
    if let Some(l) = &r.base.license {
        println!("  license:     {}", list(l.iter()));
    }
    if r.packages.len() > 1 {
        println!(
            "  packages:    {}",
            list(r.packages.iter().map(|p| &p.name))
        );
    }
    if let Some(b) = &r.build_system {
        println!("  build:       {b}");
    }
    for (rel, deps) in &r.base.relations {
        if !deps.is_unset() {
            println!(
                "  {:<12} {}",
                format!("{}:", rel.array_name()),
                list(deps.iter_all())
            );
        }
    }
    for s in r.base.source.iter_all() {
        println!("  source:      {s}");
    }
    if let Some(p) = store.provenance_of(stored.id)? {
        println!(
            "  from:        {} {}{}",
            p.repository,
            p.path,
            p.commit
                .map(|c| format!(" @ {}", &c[..c.len().min(12)]))
                .unwrap_or_default()
        );
    }
    for w in store.warnings_of(stored.id)? {
        println!("  warning:     {}:{}: {}", w.file, w.line, w.message);
    }
    for f in store.findings_of(stored.id)? {
        println!("  finding:     {}: {}", f.kind, f.message);
    }
    Ok(())
}

/// Arguments of `kiln deps`.
#[derive(Debug, clap::Args)]
pub struct DepsArgs {
    /// A recipe or package name.
    name: String,
    /// Who depends on NAME instead of what NAME depends on.
    #[arg(long)]
    reverse: bool,
    /// How many levels to follow.
    #[arg(long, default_value_t = 1)]
    depth: usize,
    /// Only recipes of this origin.
    #[arg(long)]
    origin: Option<OriginArg>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// One edge found by `kiln deps`.
#[derive(Debug, serde::Serialize)]
struct Edge {
    level: usize,
    from: String,
    to: String,
    kind: String,
    text: String,
}

/// Runs `kiln deps`.
pub fn deps(args: &DepsArgs, db_flag: Option<&Path>) -> anyhow::Result<ExitCode> {
    let store = db::open(db_flag)?;
    let origin = args.origin.map(Origin::from);
    let root = find(&store, &args.name, origin)?;
    let mut seen = BTreeSet::from([root.name.clone()]);
    let mut queue = VecDeque::from([(args.name.clone(), 1usize)]);
    let mut edges = Vec::new();
    while let Some((name, level)) = queue.pop_front() {
        if level > args.depth {
            continue;
        }
        let records: Vec<DependencyRecord> = if args.reverse {
            store.reverse_dependencies(&name, origin)?
        } else {
            store.dependencies_of(&name, origin)?
        };
        for d in records {
            let next = if args.reverse {
                d.recipe.clone()
            } else {
                d.name.clone()
            };
            let (from, to) = if args.reverse {
                (d.recipe.clone(), name.clone())
            } else {
                (name.clone(), d.name.clone())
            };
            edges.push(Edge {
                level,
                from,
                to,
                kind: format!("{:?}", d.kind).to_lowercase(),
                text: d.text.clone(),
            });
            if seen.insert(next.clone()) {
                queue.push_back((next, level + 1));
            }
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&edges)?);
    } else {
        println!("{}/{} {}", root.origin, root.name, root.version);
        for e in &edges {
            let indent = "  ".repeat(e.level);
            if args.reverse {
                println!("{indent}<- {} ({}: {})", e.from, e.kind, e.text);
            } else {
                println!("{indent}{} -> {} ({})", e.from, e.text, e.kind);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
