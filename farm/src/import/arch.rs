//! Importing PKGBUILDs: a directory tree, an AUR mirror (one branch per
//! package), and per-package AUR repositories.

use std::path::{Path, PathBuf};

use kiln_importers::git::{aur_package_url, GitSource, RecipeFiles};
use kiln_importers::pkgbuild;
use kiln_normalizer::{srcinfo, Origin, Recipe};
use rayon::prelude::*;

use super::{parsed, Failure, ImportError, ImportSummary, Parsed, Progress, Writer, BATCH};
use crate::store::{content_hash, ImportKind, Provenance, Store};

/// The finding recorded when a `.SRCINFO` disagrees with its PKGBUILD.
pub const STALE_SRCINFO: &str = "stale-srcinfo";

/// How many differing keys a stale-.SRCINFO finding names.
const SHOWN_DIFFERENCES: usize = 5;

/// The findings of a PKGBUILD's recipe against the `.SRCINFO` beside it.
/// Keys the importer could not know statically are left out: there the
/// PKGBUILD needs running and the `.SRCINFO` is the better witness.
fn srcinfo_findings(recipe: &Recipe, srcinfo_text: Option<&[u8]>) -> Vec<(String, String)> {
    let Some(bytes) = srcinfo_text else {
        return Vec::new();
    };
    let Ok(text) = std::str::from_utf8(bytes) else {
        return vec![(
            STALE_SRCINFO.to_owned(),
            ".SRCINFO is not valid UTF-8".to_owned(),
        )];
    };
    let ours = srcinfo::emit(recipe);
    let differences: Vec<_> = srcinfo::differences(text, &ours)
        .into_iter()
        .filter(|d| {
            let base = d.key.split('_').next().unwrap_or(&d.key);
            !recipe.unknown.contains(&d.key) && !recipe.unknown.contains(base)
        })
        .collect();
    if differences.is_empty() {
        return Vec::new();
    }
    let shown: Vec<String> = differences
        .iter()
        .take(SHOWN_DIFFERENCES)
        .map(|d| {
            format!(
                "{} {}: .SRCINFO has [{}], PKGBUILD gives [{}]",
                d.section,
                d.key,
                d.left.join(" "),
                d.right.join(" ")
            )
        })
        .collect();
    let more = differences.len().saturating_sub(SHOWN_DIFFERENCES);
    let mut message = format!(
        ".SRCINFO disagrees with the PKGBUILD on {} key(s): {}",
        differences.len(),
        shown.join("; ")
    );
    if more > 0 {
        message.push_str(&format!("; and {more} more"));
    }
    vec![(STALE_SRCINFO.to_owned(), message)]
}

/// Every `PKGBUILD` file under `root`, sorted, and the entries that could
/// not be read (an unreadable folder fails itself, not the import).
fn find_pkgbuilds(root: &Path) -> (Vec<PathBuf>, Vec<Failure>) {
    let mut found = Vec::new();
    let mut unreadable = Vec::new();
    for entry in walkdir::WalkDir::new(root).follow_links(false) {
        match entry {
            Ok(entry) => {
                if entry.file_name() == "PKGBUILD" && !entry.file_type().is_dir() {
                    found.push(entry.into_path());
                }
            }
            Err(e) => unreadable.push(Failure {
                path: e
                    .path()
                    .map_or_else(|| root.display().to_string(), |p| p.display().to_string()),
                message: e.to_string(),
            }),
        }
    }
    found.sort();
    (found, unreadable)
}

/// Reads one PKGBUILD file and the `.SRCINFO` beside it.
fn read_dir_recipe(root: &Path, file: &Path) -> Result<Parsed, Failure> {
    let relative = file
        .strip_prefix(root)
        .unwrap_or(file)
        .display()
        .to_string();
    let fail = |message: String| Failure {
        path: file.display().to_string(),
        message,
    };
    let recipe = pkgbuild::read_file(file).map_err(|e| fail(e.to_string()))?;
    let bytes = std::fs::read(file).map_err(|e| fail(e.to_string()))?;
    let srcinfo_path = file.with_file_name(".SRCINFO");
    let srcinfo_bytes = std::fs::read(&srcinfo_path).ok();
    let mut hashed = bytes;
    if let Some(s) = &srcinfo_bytes {
        hashed.extend_from_slice(b"\0.SRCINFO\0");
        hashed.extend_from_slice(s);
    }
    let findings = srcinfo_findings(&recipe, srcinfo_bytes.as_deref());
    let provenance = Provenance {
        repository: root.display().to_string(),
        commit: None,
        path: relative,
        line: None,
    };
    Ok(parsed(recipe, provenance, content_hash(&hashed), findings))
}

/// Imports every PKGBUILD under `root` (a tree of package directories, like
/// a checkout of Arch's packaging repositories). Recipes imported from this
/// tree before and no longer in it are marked removed.
pub fn import_dir(
    store: &mut Store,
    root: &Path,
    progress: &dyn Progress,
) -> Result<ImportSummary, ImportError> {
    let root = root.canonicalize().map_err(|source| ImportError::Io {
        path: root.display().to_string(),
        source,
    })?;
    let location = root.display().to_string();
    let (files, unreadable) = find_pkgbuilds(&root);
    let mut writer = Writer::begin(store, ImportKind::Dir, &location, None)?;
    for f in unreadable {
        writer.fail(&f.path, &f.message)?;
    }
    progress.start("reading PKGBUILDs", files.len() as u64);
    for chunk in files.chunks(BATCH * 4) {
        let results: Vec<Result<Parsed, Failure>> = chunk
            .par_iter()
            .map(|file| {
                let r = read_dir_recipe(&root, file);
                progress.advance(1);
                r
            })
            .collect();
        store_results(&mut writer, results)?;
    }
    progress.finish();
    Ok(writer.finish(Origin::Arch, Some(&location))?)
}

fn store_results(
    writer: &mut Writer<'_>,
    results: Vec<Result<Parsed, Failure>>,
) -> Result<(), ImportError> {
    for result in results {
        match result {
            Ok(p) => writer.push(p)?,
            Err(f) => writer.fail(&f.path, &f.message)?,
        }
    }
    Ok(())
}

/// The content hash of a recipe read from git: the PKGBUILD's blob id, so
/// an unchanged branch is recognised without loading anything.
fn blob_hash(pkgbuild_blob: &str) -> String {
    format!("git-blob:{pkgbuild_blob}")
}

/// Parses recipe files read from git.
fn read_git_recipe(location: &str, files: RecipeFiles) -> Result<Parsed, Failure> {
    let path = format!("{}:PKGBUILD", files.package);
    let fail = |message: String| Failure {
        path: format!("{location} {path}"),
        message,
    };
    let text = std::str::from_utf8(&files.pkgbuild)
        .map_err(|e| fail(format!("{path}: invalid UTF-8 at byte {}", e.valid_up_to())))?;
    let recipe = pkgbuild::parse_str(text, &path).map_err(|e| fail(e.to_string()))?;
    let findings = srcinfo_findings(&recipe, files.srcinfo.as_deref());
    let provenance = Provenance {
        repository: location.to_owned(),
        commit: Some(files.commit.clone()),
        path,
        line: None,
    };
    Ok(parsed(
        recipe,
        provenance,
        blob_hash(&files.pkgbuild_blob),
        findings,
    ))
}

/// Imports an AUR mirror: a repository (path or URL, fetched into `cache`)
/// holding one branch per package, each with PKGBUILD and .SRCINFO at its
/// root. Branches whose PKGBUILD blob is the one stored are not read again;
/// packages of this mirror that lost their branch are marked removed.
pub fn import_aur_mirror(
    store: &mut Store,
    location: &str,
    cache: &Path,
    progress: &dyn Progress,
) -> Result<ImportSummary, ImportError> {
    let source = GitSource::open_or_fetch(location, cache)?;
    let heads = source.branch_heads()?;
    let mut writer = Writer::begin(store, ImportKind::AurMirror, location, None)?;
    progress.start("checking branches", heads.len() as u64);
    let mut to_read = Vec::new();
    for head in heads {
        progress.advance(1);
        let Some(blob) = &head.pkgbuild_blob else {
            continue;
        };
        let stored = writer
            .store()
            .stored_content_hash(Origin::Arch, &head.name)?;
        if stored.as_deref() == Some(blob_hash(blob).as_str())
            && writer.unchanged(Origin::Arch, &head.name)?
        {
            continue;
        }
        to_read.push(head);
    }
    progress.finish();
    progress.start("reading PKGBUILDs", to_read.len() as u64);
    for chunk in to_read.chunks(BATCH * 4) {
        // Blobs are read on this thread (a repository handle is not shared
        // across threads); parsing then runs on all cores.
        let mut loaded = Vec::with_capacity(chunk.len());
        let mut results = Vec::new();
        for head in chunk {
            match source.recipe_files(&head.commit, &head.name) {
                Ok(Some(files)) => loaded.push(files),
                Ok(None) => {}
                Err(e) => results.push(Err(Failure {
                    path: format!("{location} {}", head.name),
                    message: e.to_string(),
                })),
            }
        }
        results.par_extend(loaded.into_par_iter().map(|files| {
            let r = read_git_recipe(location, files);
            progress.advance(1);
            r
        }));
        store_results(&mut writer, results)?;
    }
    progress.finish();
    Ok(writer.finish(Origin::Arch, Some(location))?)
}

/// Imports the named packages from per-package repositories
/// `AUR_URL/NAME.git`, each cloned or fetched into `cache`. A package that
/// cannot be fetched or read is a failure of the run; the others go on.
pub fn import_aur_packages(
    store: &mut Store,
    names: &[String],
    aur_url: &str,
    cache: &Path,
    progress: &dyn Progress,
) -> Result<ImportSummary, ImportError> {
    let mut writer = Writer::begin(store, ImportKind::Aur, aur_url, None)?;
    progress.start("fetching packages", names.len() as u64);
    for name in names {
        let url = aur_package_url(aur_url, name);
        let result = GitSource::open_or_fetch(&url, cache)
            .and_then(|source| source.recipe_files("HEAD", name))
            .map_err(|e| e.to_string())
            .and_then(|files| files.ok_or_else(|| format!("{url}: no PKGBUILD at HEAD")))
            .and_then(|files| read_git_recipe(&url, files).map_err(|f| f.message));
        match result {
            Ok(p) => writer.push(p)?,
            Err(message) => writer.fail(&url, &message)?,
        }
        progress.advance(1);
    }
    progress.finish();
    Ok(writer.finish(Origin::Arch, None)?)
}
