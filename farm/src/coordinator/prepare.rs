//! Turning a leased build into a job: the recipe's PKGBUILD and files
//! (re-read from where it was imported, or translated for a Guix recipe),
//! its sources from the source store, verified, and the artifacts of the
//! dependencies that are recipes here.

use std::path::{Path, PathBuf};

use kiln_importers::git::GitSource;
use kiln_normalizer::mapping::Mappings;
use kiln_normalizer::{emit, DependencyKind, Origin};
use kiln_workers::JobFile;

use crate::sources::{PreparedSource, SourceContext, SourceStore};
use crate::store::{Build, BuildInput, Store, StoredRecipe};

/// Where the farm keeps its files.
#[derive(Debug, Clone)]
pub struct Dirs {
    /// Build logs, one file per build.
    pub logs: PathBuf,
    /// The content-addressed source store.
    pub sources: SourceStore,
    /// The content-addressed artifact store.
    pub artifacts: SourceStore,
    /// Bare clones of git repositories recipes were imported from.
    pub git_cache: PathBuf,
}

impl Dirs {
    /// The folders under Kiln's data directory, created.
    pub fn under(data_dir: &Path) -> Result<Dirs, crate::sources::SourceError> {
        let logs = data_dir.join("logs");
        std::fs::create_dir_all(&logs).map_err(|source| crate::sources::SourceError::Io {
            what: "creating the log folder",
            path: logs.clone(),
            source,
        })?;
        Ok(Dirs {
            logs,
            sources: SourceStore::open(data_dir.join("sources"))?,
            artifacts: SourceStore::open(data_dir.join("artifacts"))?,
            git_cache: data_dir.join("cache/git"),
        })
    }

    /// The log file of a build.
    pub fn log_path(&self, build: i64) -> PathBuf {
        self.logs.join(format!("{build}.log"))
    }
}

/// Why a build could not be prepared. All of these fail the build (they
/// are the recipe's problem, not the farm's) with the message shown.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The recipe is gone from the store.
    #[error("recipe #{0} is no longer in the store")]
    NoRecipe(i64),
    /// The recipe's files could not be read again.
    #[error("reading the recipe's files: {0}")]
    Files(String),
    /// A source is missing or does not match its checksum.
    #[error("sources: {0}")]
    Source(#[from] crate::sources::SourceError),
}

/// A build ready for an executor.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Files for the build directory.
    pub files: Vec<JobFile>,
    /// Dependency packages to install first.
    pub install: Vec<JobFile>,
    /// What the build is built against.
    pub inputs: Vec<BuildInput>,
}

fn file(path: String, data: Vec<u8>) -> JobFile {
    JobFile {
        path,
        mode: 0o644,
        data,
    }
}

/// Files beside a PKGBUILD: path inside the recipe directory and bytes.
pub type LocalFiles = Vec<(String, Vec<u8>)>;

/// The PKGBUILD and the files beside it.
pub fn recipe_files(
    store: &Store,
    recipe: &StoredRecipe,
    dirs: &Dirs,
) -> Result<(Vec<u8>, LocalFiles), PrepareError> {
    if recipe.origin == Origin::Guix {
        let emitted = emit::pkgbuild::pkgbuild(&recipe.recipe, Mappings::builtin());
        return Ok((emitted.text.into_bytes(), Vec::new()));
    }
    let Some(prov) = store.provenance_of(recipe.id)? else {
        return Err(PrepareError::Files(format!(
            "{} has no recorded provenance",
            recipe.name
        )));
    };
    let fail = |e: &dyn std::fmt::Display| PrepareError::Files(format!("{}: {e}", prov.repository));
    if let Some(commit) = &prov.commit {
        let package = prov.path.strip_suffix(":PKGBUILD").unwrap_or(&recipe.name);
        let source =
            GitSource::open_or_fetch(&prov.repository, &dirs.git_cache).map_err(|e| fail(&e))?;
        let files = source
            .recipe_files(commit, package)
            .map_err(|e| fail(&e))?
            .ok_or_else(|| PrepareError::Files(format!("no PKGBUILD at {commit}")))?;
        let mut local = Vec::new();
        for (path, blob) in &files.files {
            local.push((path.clone(), source.blob(blob).map_err(|e| fail(&e))?));
        }
        return Ok((files.pkgbuild, local));
    }
    let pkgbuild = Path::new(&prov.repository).join(&prov.path);
    let dir = pkgbuild
        .parent()
        .ok_or_else(|| PrepareError::Files(format!("{} has no directory", pkgbuild.display())))?;
    let text = std::fs::read(&pkgbuild).map_err(|e| fail(&e))?;
    let mut local = Vec::new();
    for entry in walkdir::WalkDir::new(dir).min_depth(1).max_depth(4) {
        let entry = entry.map_err(|e| fail(&e))?;
        let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        let top = rel
            .components()
            .next()
            .map(|c| c.as_os_str().to_string_lossy().into_owned());
        if matches!(top.as_deref(), Some(".git" | "src" | "pkg")) || !entry.file_type().is_file() {
            continue;
        }
        let name = rel.display().to_string();
        if name == "PKGBUILD" || name == ".SRCINFO" || name.contains(".pkg.tar") {
            continue;
        }
        local.push((name, std::fs::read(entry.path()).map_err(|e| fail(&e))?));
    }
    Ok((text, local))
}

/// Every file of a bare git mirror, under `name/` in the build directory.
fn mirror_files(name: &str, path: &Path, out: &mut Vec<JobFile>) -> Result<(), PrepareError> {
    for entry in walkdir::WalkDir::new(path) {
        let entry = entry.map_err(|e| PrepareError::Files(e.to_string()))?;
        if entry.file_type().is_file() {
            let rel = entry.path().strip_prefix(path).unwrap_or(entry.path());
            let data =
                std::fs::read(entry.path()).map_err(|e| PrepareError::Files(e.to_string()))?;
            out.push(file(format!("{name}/{}", rel.display()), data));
        }
    }
    Ok(())
}

/// Prepares `build` of `recipe`.
pub fn prepare(
    store: &Store,
    dirs: &Dirs,
    build: &Build,
    allow_download: bool,
) -> Result<Prepared, PrepareError> {
    let recipe = store
        .recipe_by_id(crate::store::RecipeId(build.recipe))?
        .ok_or(PrepareError::NoRecipe(build.recipe))?;
    let (pkgbuild, local) = recipe_files(store, &recipe, dirs)?;
    let mut files = vec![file("PKGBUILD".into(), pkgbuild)];
    let ctx = SourceContext {
        local_files: &local,
        allow_download,
    };
    for source in dirs.sources.prepare(&recipe.recipe, "x86_64", &ctx)? {
        match source {
            PreparedSource::File { name, path, .. } => {
                let data = std::fs::read(&path).map_err(|e| PrepareError::Files(e.to_string()))?;
                files.push(file(name, data));
            }
            PreparedSource::Git { name, path } => mirror_files(&name, &path, &mut files)?,
        }
    }
    // Local files the sources did not name (install scripts, changelogs).
    for (name, data) in local {
        if !files.iter().any(|f| f.path == name) {
            files.push(file(name, data));
        }
    }
    let mut install = Vec::new();
    let mut inputs = Vec::new();
    let mut seen = Vec::new();
    for dep in store.dependencies_of(&recipe.name, Some(recipe.origin))? {
        if !matches!(dep.kind, DependencyKind::Runtime | DependencyKind::Build) {
            continue;
        }
        let Some(target) = store.recipe_by_name(Some(recipe.origin), &dep.name)? else {
            continue;
        };
        if target.id == recipe.id || seen.contains(&target.id) {
            continue;
        }
        seen.push(target.id);
        let Some(dep_build) = store.last_successful_build(target.id, None)? else {
            inputs.push(BuildInput {
                name: target.name.clone(),
                version: target.version.clone(),
                build: None,
                artifact_sha256: None,
            });
            continue;
        };
        for artifact in store.artifacts_of(dep_build.id)? {
            let path = dirs.artifacts.get(&artifact.sha256).ok_or_else(|| {
                PrepareError::Files(format!(
                    "artifact {} of build {} is missing from the artifact store",
                    artifact.name, dep_build.id
                ))
            })?;
            let data = std::fs::read(&path).map_err(|e| PrepareError::Files(e.to_string()))?;
            install.push(file(artifact.name.clone(), data));
            inputs.push(BuildInput {
                name: target.name.clone(),
                version: dep_build.version.clone(),
                build: Some(dep_build.id),
                artifact_sha256: Some(artifact.sha256.clone()),
            });
        }
    }
    Ok(Prepared {
        files,
        install,
        inputs,
    })
}
