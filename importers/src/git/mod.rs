//! Git sources of recipes, read through libgit2 without a checkout.
//!
//! Three layouts are supported:
//! - the public AUR mirror: one repository with one branch per package, each
//!   branch's tree holding `PKGBUILD`, `.SRCINFO` and the package's files;
//! - per-package AUR repositories (`URL/NAME.git`), cloned or fetched into a
//!   cache;
//! - a Guix checkout or channel, whose `.scm` files are read from the tree of
//!   a ref.
//!
//! Only blobs are read; nothing is checked out and no hook or filter runs.
//! Blob ids are returned with the contents so that a re-import can skip what
//! has not changed.

use std::path::{Path, PathBuf};

use git2::{BranchType, FetchOptions, ObjectType, Repository, TreeWalkMode, TreeWalkResult};

/// Largest blob read as a recipe file; larger ones are reported, not read.
pub const MAX_BLOB_BYTES: usize = 16 * 1024 * 1024;

/// A failure reading a git source.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// libgit2 reported an error for this repository.
    #[error("reading git repository {location}: {source}")]
    Git {
        /// The repository as given.
        location: String,
        /// libgit2's error.
        source: git2::Error,
    },
    /// A ref that does not exist.
    #[error("reading git repository {location}: no ref {name:?}")]
    NoSuchRef {
        /// The repository as given.
        location: String,
        /// The ref asked for.
        name: String,
    },
    /// A blob over [`MAX_BLOB_BYTES`].
    #[error("reading git repository {location}: {path} at {commit} is {size} bytes, over the limit of {MAX_BLOB_BYTES}")]
    TooLarge {
        /// The repository as given.
        location: String,
        /// Path of the blob in the tree.
        path: String,
        /// Commit it was read at.
        commit: String,
        /// Its size.
        size: usize,
    },
    /// The cache directory could not be made.
    #[error("creating git cache {path}: {source}")]
    Cache {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// An opened repository, with the location it was opened from for messages.
pub struct GitSource {
    repo: Repository,
    location: String,
}

/// One package's recipe files as found on a branch or at a repository's HEAD.
#[derive(Debug, Clone)]
pub struct RecipeFiles {
    /// The package: the branch name in a mirror, the repository name otherwise.
    pub package: String,
    /// The commit read, as hex.
    pub commit: String,
    /// Blob id of the `PKGBUILD`, as hex (the key for incremental import).
    pub pkgbuild_blob: String,
    /// The `PKGBUILD` bytes.
    pub pkgbuild: Vec<u8>,
    /// The `.SRCINFO` bytes, when the tree has one.
    pub srcinfo: Option<Vec<u8>>,
    /// Every other file of the tree: path and blob id.
    pub files: Vec<(String, String)>,
}

/// A branch of a mirror and the blob id of its `PKGBUILD`, read cheaply so
/// that unchanged packages can be skipped before their contents are loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchHead {
    /// Branch (package) name.
    pub name: String,
    /// Tip commit, as hex.
    pub commit: String,
    /// Blob id of the `PKGBUILD` at the tip, if there is one.
    pub pkgbuild_blob: Option<String>,
}

/// One Scheme module file of a Guix tree.
#[derive(Debug, Clone)]
pub struct ModuleFile {
    /// Path inside the tree, e.g. `gnu/packages/base.scm`.
    pub path: String,
    /// Blob id, as hex.
    pub blob: String,
    /// The file's bytes.
    pub text: Vec<u8>,
}

fn is_url(location: &str) -> bool {
    location.contains("://") || location.starts_with("git@")
}

/// A cache directory name for a URL: readable, and unique through a hash.
fn cache_name(url: &str) -> String {
    let readable: String = url
        .rsplit('/')
        .next()
        .unwrap_or(url)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    // FNV-1a: stable across runs and platforms, no dependency needed.
    let hash = url.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    format!("{readable}-{hash:016x}")
}

impl GitSource {
    /// Opens a local repository (bare or not), or for a URL clones it bare
    /// into `cache` — fetching again when it is already there.
    pub fn open_or_fetch(location: &str, cache: &Path) -> Result<Self, GitError> {
        let err = |source| GitError::Git {
            location: location.to_owned(),
            source,
        };
        if !is_url(location) {
            let repo = Repository::open(location).map_err(err)?;
            return Ok(Self {
                repo,
                location: location.to_owned(),
            });
        }
        std::fs::create_dir_all(cache).map_err(|source| GitError::Cache {
            path: cache.to_owned(),
            source,
        })?;
        let dir = cache.join(cache_name(location));
        let repo = if dir.exists() {
            Repository::open_bare(&dir).map_err(err)?
        } else {
            let repo = Repository::init_bare(&dir).map_err(err)?;
            repo.remote_with_fetch("origin", location, "+refs/heads/*:refs/heads/*")
                .map_err(err)?;
            repo
        };
        {
            let mut remote = repo.find_remote("origin").map_err(err)?;
            let mut opts = FetchOptions::new();
            opts.download_tags(git2::AutotagOption::None);
            remote
                .fetch(
                    &[
                        "+refs/heads/*:refs/heads/*",
                        "+HEAD:refs/remotes/origin/HEAD",
                    ],
                    Some(&mut opts),
                    None,
                )
                .map_err(err)?;
        }
        Ok(Self {
            repo,
            location: location.to_owned(),
        })
    }

    /// The location this source was opened from.
    pub fn location(&self) -> &str {
        &self.location
    }

    fn err(&self, source: git2::Error) -> GitError {
        GitError::Git {
            location: self.location.clone(),
            source,
        }
    }

    /// Every branch of a mirror with its `PKGBUILD` blob id: local branches,
    /// and remote-tracking ones (`origin/NAME`) not also present locally, as
    /// in a plain clone of the mirror.
    pub fn branch_heads(&self) -> Result<Vec<BranchHead>, GitError> {
        let mut heads: Vec<BranchHead> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for kind in [BranchType::Local, BranchType::Remote] {
            for branch in self.repo.branches(Some(kind)).map_err(|e| self.err(e))? {
                let (branch, _) = branch.map_err(|e| self.err(e))?;
                let Some(full) = branch.name().map_err(|e| self.err(e))? else {
                    continue;
                };
                let name = match kind {
                    BranchType::Local => full,
                    BranchType::Remote => match full.split_once('/') {
                        Some((_, n)) => n,
                        None => full,
                    },
                };
                if name == "HEAD" || !seen.insert(name.to_owned()) {
                    continue;
                }
                let commit = branch.get().peel_to_commit().map_err(|e| self.err(e))?;
                let tree = commit.tree().map_err(|e| self.err(e))?;
                let pkgbuild_blob = tree
                    .get_name("PKGBUILD")
                    .filter(|e| e.kind() == Some(ObjectType::Blob))
                    .map(|e| e.id().to_string());
                heads.push(BranchHead {
                    name: name.to_owned(),
                    commit: commit.id().to_string(),
                    pkgbuild_blob,
                });
            }
        }
        heads.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(heads)
    }

    /// Resolves a ref name (branch, tag, `HEAD`, commit id) to a commit.
    fn commit_of(&self, name: &str) -> Result<git2::Commit<'_>, GitError> {
        let candidates = [
            name.to_owned(),
            format!("refs/heads/{name}"),
            format!("refs/remotes/origin/{name}"),
            format!("refs/tags/{name}"),
        ];
        for c in &candidates {
            if let Ok(obj) = self.repo.revparse_single(c) {
                if let Ok(commit) = obj.peel_to_commit() {
                    return Ok(commit);
                }
            }
        }
        Err(GitError::NoSuchRef {
            location: self.location.clone(),
            name: name.to_owned(),
        })
    }

    fn blob_bytes(&self, id: git2::Oid, path: &str, commit: &str) -> Result<Vec<u8>, GitError> {
        let blob = self.repo.find_blob(id).map_err(|e| self.err(e))?;
        if blob.size() > MAX_BLOB_BYTES {
            return Err(GitError::TooLarge {
                location: self.location.clone(),
                path: path.to_owned(),
                commit: commit.to_owned(),
                size: blob.size(),
            });
        }
        Ok(blob.content().to_vec())
    }

    /// The recipe files at `refname` (a mirror branch, or `HEAD`), named
    /// `package`. `Ok(None)` when that tree has no `PKGBUILD`.
    pub fn recipe_files(
        &self,
        refname: &str,
        package: &str,
    ) -> Result<Option<RecipeFiles>, GitError> {
        let commit = self.commit_of(refname)?;
        let commit_hex = commit.id().to_string();
        let tree = commit.tree().map_err(|e| self.err(e))?;
        let Some(entry) = tree
            .get_name("PKGBUILD")
            .filter(|e| e.kind() == Some(ObjectType::Blob))
        else {
            return Ok(None);
        };
        let pkgbuild = self.blob_bytes(entry.id(), "PKGBUILD", &commit_hex)?;
        let srcinfo = match tree
            .get_name(".SRCINFO")
            .filter(|e| e.kind() == Some(ObjectType::Blob))
        {
            Some(e) => Some(self.blob_bytes(e.id(), ".SRCINFO", &commit_hex)?),
            None => None,
        };
        let mut files = Vec::new();
        tree.walk(TreeWalkMode::PreOrder, |dir, e| {
            if e.kind() == Some(ObjectType::Blob) {
                let path = format!("{dir}{}", e.name().unwrap_or(""));
                if path != "PKGBUILD" && path != ".SRCINFO" {
                    files.push((path, e.id().to_string()));
                }
            }
            TreeWalkResult::Ok
        })
        .map_err(|e| self.err(e))?;
        Ok(Some(RecipeFiles {
            package: package.to_owned(),
            commit: commit_hex,
            pkgbuild_blob: entry.id().to_string(),
            pkgbuild,
            srcinfo,
            files,
        }))
    }

    /// Reads a blob by id (a local source file of a recipe, say).
    pub fn blob(&self, id: &str) -> Result<Vec<u8>, GitError> {
        let oid = git2::Oid::from_str(id).map_err(|e| self.err(e))?;
        self.blob_bytes(oid, id, "")
    }

    /// Every `.scm` file under `prefix` in the tree of `refname` (default
    /// `HEAD`), with the commit read. Files over the size limit are an error.
    pub fn scheme_files(
        &self,
        refname: Option<&str>,
        prefix: &str,
    ) -> Result<(String, Vec<ModuleFile>), GitError> {
        let commit = self.commit_of(refname.unwrap_or("HEAD"))?;
        let commit_hex = commit.id().to_string();
        let tree = commit.tree().map_err(|e| self.err(e))?;
        let mut found = Vec::new();
        tree.walk(TreeWalkMode::PreOrder, |dir, e| {
            let name = e.name().unwrap_or("");
            if e.kind() == Some(ObjectType::Blob) && name.ends_with(".scm") {
                let path = format!("{dir}{name}");
                if path.starts_with(prefix) {
                    found.push((path, e.id()));
                }
            }
            TreeWalkResult::Ok
        })
        .map_err(|e| self.err(e))?;
        let mut files = Vec::with_capacity(found.len());
        for (path, id) in found {
            let text = self.blob_bytes(id, &path, &commit_hex)?;
            files.push(ModuleFile {
                path,
                blob: id.to_string(),
                text,
            });
        }
        Ok((commit_hex, files))
    }
}

/// The URL of a per-package AUR repository.
pub fn aur_package_url(base: &str, name: &str) -> String {
    format!("{}/{name}.git", base.trim_end_matches('/'))
}

#[cfg(test)]
mod tests;
