//! `kiln translate --to guix|pkgbuild|json PATH`: writes a recipe in the
//! other tradition's form.
//!
//! PATH is a PKGBUILD (or a directory holding one), read statically, or a
//! `.json` file holding a serialized recipe (what `--to json` prints; the
//! way in for Guix-origin recipes until Guix trees are read directly). The
//! translation goes to stdout; what could not be carried over is listed on
//! stderr, or with the text in one JSON object under `--format json`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use kiln_normalizer::emit::{guix, pkgbuild, Emitted};
use kiln_normalizer::mapping::Mappings;
use kiln_normalizer::Recipe;

/// The form to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// A Guix `(define-public NAME (package ...))` form.
    Guix,
    /// A PKGBUILD.
    Pkgbuild,
    /// The normalized recipe as JSON.
    Json,
}

/// How to print the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The translated text on stdout, warnings on stderr.
    Text,
    /// One JSON object: `text`, `warnings` and the normalized `recipe`.
    Json,
}

/// Arguments of `kiln translate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The form to write.
    #[arg(long, value_enum)]
    to: Target,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// A PKGBUILD, a directory holding one, or a serialized recipe (.json).
    path: PathBuf,
    /// With a Guix tree (checkout, channel or module file) as PATH: the
    /// package to translate, by its variable or its name.
    #[arg(long, value_name = "VARIABLE")]
    package: Option<String>,
}

/// Where a recipe is read from.
enum Input {
    /// A PKGBUILD file.
    Pkgbuild(PathBuf),
    /// A serialized [`Recipe`].
    RecipeJson(PathBuf),
    /// A Guix tree or module file, and the package wanted.
    GuixTree(PathBuf, Option<String>),
}

impl Input {
    fn from_path(path: &Path, package: Option<&str>) -> anyhow::Result<Self> {
        if package.is_some() || path.extension().is_some_and(|e| e == "scm") {
            return Ok(Input::GuixTree(path.to_owned(), package.map(str::to_owned)));
        }
        if path.is_dir() {
            let p = path.join("PKGBUILD");
            anyhow::ensure!(p.is_file(), "no PKGBUILD in {}", path.display());
            return Ok(Input::Pkgbuild(p));
        }
        if path.extension().is_some_and(|e| e == "json") {
            return Ok(Input::RecipeJson(path.to_owned()));
        }
        Ok(Input::Pkgbuild(path.to_owned()))
    }

    fn load(&self) -> anyhow::Result<Recipe> {
        match self {
            Input::Pkgbuild(p) => Ok(kiln_importers::pkgbuild::read_file(p)?),
            Input::GuixTree(p, package) => {
                let evaluation =
                    kiln_importers::guix::evaluate(kiln_importers::guix::read_tree(p)?);
                let mut found: Vec<Recipe> = evaluation
                    .packages
                    .into_iter()
                    .map(|g| *g.recipe)
                    .filter(|r| match package {
                        Some(want) => {
                            r.guix.as_ref().is_some_and(|g| &g.variable == want)
                                || &r.pkgbase == want
                        }
                        None => true,
                    })
                    .collect();
                // A variable names one package; a name may name several
                // versions: the variable wins, then the first found.
                if let Some(want) = package {
                    if let Some(i) = found
                        .iter()
                        .position(|r| r.guix.as_ref().is_some_and(|g| &g.variable == want))
                    {
                        return Ok(found.swap_remove(i));
                    }
                }
                match (found.len(), package) {
                    (0, Some(want)) => anyhow::bail!("no package {want:?} in {}", p.display()),
                    (0, None) => anyhow::bail!("no package in {}", p.display()),
                    (1, _) | (_, Some(_)) => Ok(found.swap_remove(0)),
                    (n, None) => anyhow::bail!(
                        "{} binds {n} packages: name one with --package VARIABLE",
                        p.display()
                    ),
                }
            }
            Input::RecipeJson(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("reading recipe at {}", p.display()))?;
                serde_json::from_str(&text).map_err(|e| {
                    anyhow::anyhow!("reading recipe at {}: line {}: {e}", p.display(), e.line())
                })
            }
        }
    }
}

/// Translates one recipe to `to`.
pub fn translate(recipe: &Recipe, to: Target, maps: &Mappings) -> anyhow::Result<Emitted> {
    Ok(match to {
        Target::Guix => guix::package_form(recipe, maps),
        Target::Pkgbuild => pkgbuild::pkgbuild(recipe, maps),
        Target::Json => Emitted {
            text: serde_json::to_string_pretty(recipe)? + "\n",
            warnings: Vec::new(),
        },
    })
}

/// Runs `kiln translate`.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let recipe = Input::from_path(&args.path, args.package.as_deref())?.load()?;
    let emitted = translate(&recipe, args.to, Mappings::builtin())?;
    match args.format {
        Format::Text => {
            print!("{}", emitted.text);
            for w in &emitted.warnings {
                eprintln!("kiln: warning: {}: {w}", args.path.display());
            }
        }
        Format::Json => {
            let out = serde_json::json!({
                "text": emitted.text,
                "warnings": emitted.warnings,
                "recipe": recipe,
            });
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}
