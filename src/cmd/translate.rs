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
}

/// Where a recipe is read from.
enum Input {
    /// A PKGBUILD file.
    Pkgbuild(PathBuf),
    /// A serialized [`Recipe`].
    RecipeJson(PathBuf),
}

impl Input {
    fn from_path(path: &Path) -> anyhow::Result<Self> {
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
    let recipe = Input::from_path(&args.path)?.load()?;
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
