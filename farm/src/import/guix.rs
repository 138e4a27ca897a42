//! Importing Guix packages: a checkout or channel read from its git tree
//! without a checkout (path or URL, any ref), or a plain directory of
//! modules, evaluated statically as a whole tree.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::path::Path;

use kiln_importers::git::GitSource;
use kiln_importers::guix::{self, GuixPackage, ModuleFile};
use kiln_normalizer::guix_version::guix_version_cmp;
use kiln_normalizer::{Origin, Recipe};

use super::{parsed, ImportError, ImportSummary, Progress, Writer};
use crate::store::{content_hash, ImportKind, Provenance, Store};

/// Whether `location` is read through git (a URL, or a repository path).
fn is_git(location: &str) -> bool {
    location.contains("://")
        || location.starts_with("git@")
        || git2::Repository::open(location).is_ok()
}

/// The module files of `location` at `git_ref`, and the commit read.
fn module_files(
    location: &str,
    git_ref: Option<&str>,
    cache: &Path,
    writer: &mut Writer<'_>,
) -> Result<(Vec<ModuleFile>, Option<String>), ImportError> {
    if !is_git(location) {
        if let Some(r) = git_ref {
            return Err(ImportError::Io {
                path: location.to_owned(),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("--ref {r} given, but this is not a git repository"),
                ),
            });
        }
        let files = guix::read_tree(Path::new(location)).map_err(|e| ImportError::Io {
            path: location.to_owned(),
            source: std::io::Error::other(e.to_string()),
        })?;
        return Ok((files, None));
    }
    let source = GitSource::open_or_fetch(location, cache)?;
    let (commit, blobs) = source.scheme_files(git_ref, "")?;
    let mut files = Vec::with_capacity(blobs.len());
    for blob in blobs {
        match String::from_utf8(blob.text) {
            Ok(text) => files.push(ModuleFile::new(blob.path, text)),
            Err(e) => writer.fail(
                &blob.path,
                &format!(
                    "reading Guix module {}: invalid UTF-8 at byte {}",
                    blob.path,
                    e.utf8_error().valid_up_to()
                ),
            )?,
        }
    }
    Ok((files, Some(commit)))
}

/// Gives each package a store name: its own name for the newest version
/// (Guix's choice for `guix install NAME`), `NAME@VERSION` for the others.
fn store_names(packages: &mut [GuixPackage]) {
    let mut newest: HashMap<String, usize> = HashMap::new();
    for (i, p) in packages.iter().enumerate() {
        let name = &p.recipe.pkgbase;
        let v = p.recipe.pkgver.as_deref().unwrap_or("");
        match newest.get(name) {
            Some(&j) => {
                let w = packages[j].recipe.pkgver.as_deref().unwrap_or("");
                let public = |k: usize| packages[k].recipe.guix.as_ref().is_some_and(|g| g.public);
                let better = match guix_version_cmp(v, w) {
                    Ordering::Greater => true,
                    Ordering::Equal => public(i) && !public(j),
                    Ordering::Less => false,
                };
                if better {
                    newest.insert(name.clone(), i);
                }
            }
            None => {
                newest.insert(name.clone(), i);
            }
        }
    }
    for (i, p) in packages.iter_mut().enumerate() {
        if newest.get(&p.recipe.pkgbase) != Some(&i) {
            rename(&mut p.recipe);
        }
    }
}

fn rename(recipe: &mut Recipe) {
    let versioned = format!(
        "{}@{}",
        recipe.pkgbase,
        recipe.pkgver.as_deref().unwrap_or("unknown")
    );
    for p in &mut recipe.packages {
        if p.name == recipe.pkgbase {
            p.name.clone_from(&versioned);
        }
    }
    recipe.pkgbase = versioned;
}

/// Imports the Guix packages of `location` (a Guix checkout or channel: a
/// path or URL read through git at `git_ref`, or a plain directory of
/// modules). Packages of this location not seen again are marked removed.
pub fn import_guix(
    store: &mut Store,
    location: &str,
    git_ref: Option<&str>,
    cache: &Path,
    progress: &dyn Progress,
) -> Result<ImportSummary, ImportError> {
    let repository = if is_git(location) {
        location.to_owned()
    } else {
        Path::new(location)
            .canonicalize()
            .map_err(|source| ImportError::Io {
                path: location.to_owned(),
                source,
            })?
            .display()
            .to_string()
    };
    let mut writer = Writer::begin(store, ImportKind::Guix, &repository, git_ref)?;
    progress.start("reading modules", 0);
    let (files, commit) = module_files(&repository, git_ref, cache, &mut writer)?;
    progress.finish();
    writer.summary.commit.clone_from(&commit);
    progress.start("evaluating", files.len() as u64);
    let mut files = files;
    files.extend(kiln_importers::guix_prelude::channel_prelude(&files));
    let evaluation = guix::evaluate(files);
    progress.finish();
    for e in &evaluation.errors {
        writer.fail(&format!("{}:{}", e.file, e.line), &e.to_string())?;
    }
    let mut packages = evaluation.packages;
    store_names(&mut packages);
    progress.start("storing", packages.len() as u64);
    for p in packages {
        let recipe = *p.recipe;
        let (module, line) = recipe
            .guix
            .as_ref()
            .map(|g| (g.module.clone(), g.line))
            .unwrap_or_default();
        let json = serde_json::to_vec(&recipe).unwrap_or_default();
        let provenance = Provenance {
            repository: repository.clone(),
            commit: commit.clone(),
            path: module,
            line: Some(line),
        };
        writer.push(parsed(recipe, provenance, content_hash(&json), Vec::new()))?;
        progress.advance(1);
    }
    progress.finish();
    Ok(writer.finish(Origin::Guix, Some(&repository))?)
}
