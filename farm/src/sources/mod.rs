//! The content-addressed source store.
//!
//! Every source file a build uses is kept once, under the sha256 of its
//! content (`ROOT/sha256/ab/abcdef...`), whether it came from `kiln sources
//! add`, an HTTP(S) download, or a recipe's own directory. Before a build
//! starts, [`SourceStore::prepare`] finds every source of the recipe in the
//! store and verifies it against the recipe's checksums of every kind, so a
//! mismatch fails the build with a clear message before any container runs.
//! Git sources are mirrored as bare repositories under `ROOT/git/`.

mod digest;
mod fetch;

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use kiln_normalizer::{Checksum, ChecksumKind, Recipe, Source};

pub use digest::{digest_reader, Digests, PosixCksum};

/// A failure of the source store.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// Reading or writing a file failed.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A source the recipe needs is not in the store and could not be fetched.
    #[error("source {file} ({url}) is not in the source store: {reason}")]
    Missing {
        /// The file name makepkg expects.
        file: String,
        /// Where it comes from.
        url: String,
        /// Why it could not be had.
        reason: String,
    },
    /// A source whose content does not match the recipe's checksum.
    #[error("source {file}: {kind} mismatch: the recipe says {expected}, the file has {actual}")]
    Mismatch {
        /// The file name.
        file: String,
        /// The checksum array, e.g. `sha256sums`.
        kind: &'static str,
        /// What the recipe declares.
        expected: String,
        /// What the file has.
        actual: String,
    },
    /// A download failed.
    #[error("downloading {url}: {reason}")]
    Download {
        /// The URL.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// Mirroring a git source failed.
    #[error("mirroring git source {url}: {source}")]
    Git {
        /// The repository URL.
        url: String,
        /// libgit2's error.
        source: git2::Error,
    },
}

/// A file kept in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSource {
    /// sha256 of the content, hex.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// Where it is kept.
    pub path: PathBuf,
}

/// One source of a recipe, ready to be uploaded into a build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreparedSource {
    /// A verified file: the name makepkg expects and where it is kept.
    File {
        /// File name in the build directory.
        name: String,
        /// Path in the store.
        path: PathBuf,
        /// Its sha256.
        sha256: String,
    },
    /// A mirrored VCS repository: the name makepkg expects and the bare mirror.
    Git {
        /// Directory name in the build directory.
        name: String,
        /// Path of the bare mirror.
        path: PathBuf,
    },
}

/// Where sources are looked for besides the store: the files shipped beside
/// the recipe (name → bytes), and whether downloads are allowed.
#[derive(Debug, Default)]
pub struct SourceContext<'a> {
    /// Files beside the PKGBUILD (patches, local sources).
    pub local_files: &'a [(String, Vec<u8>)],
    /// Download missing remote sources (HTTP(S), git) when the network allows.
    pub allow_download: bool,
}

/// The content-addressed store on disk.
#[derive(Debug, Clone)]
pub struct SourceStore {
    root: PathBuf,
}

impl SourceStore {
    /// Opens (creating) a store rooted at `root`.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, SourceError> {
        let root = root.into();
        for dir in [root.join("sha256"), root.join("tmp"), root.join("git")] {
            fs::create_dir_all(&dir).map_err(|source| SourceError::Io {
                what: "creating source store folder",
                path: dir.clone(),
                source,
            })?;
        }
        Ok(Self { root })
    }

    /// The folder the store lives in.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where a file with this sha256 is (or would be) kept.
    pub fn path_for(&self, sha256: &str) -> PathBuf {
        let prefix = sha256.get(..2).unwrap_or("00");
        self.root.join("sha256").join(prefix).join(sha256)
    }

    /// The kept file with this sha256, if present.
    pub fn get(&self, sha256: &str) -> Option<PathBuf> {
        let valid = sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit());
        let path = self.path_for(&sha256.to_ascii_lowercase());
        (valid && path.is_file()).then_some(path)
    }

    /// Adds a file by copying it in while hashing it.
    pub fn add_file(&self, path: &Path) -> Result<(StoredSource, Digests), SourceError> {
        let file = File::open(path).map_err(|source| SourceError::Io {
            what: "reading source file",
            path: path.to_owned(),
            source,
        })?;
        self.add_reader(file)
    }

    /// Adds bytes.
    pub fn add_bytes(&self, bytes: &[u8]) -> Result<(StoredSource, Digests), SourceError> {
        self.add_reader(bytes)
    }

    /// Adds whatever `reader` yields: written to a temporary file while hashed,
    /// then renamed into place, so a half-written file is never visible.
    pub fn add_reader(
        &self,
        reader: impl std::io::Read,
    ) -> Result<(StoredSource, Digests), SourceError> {
        let tmp = tempfile::NamedTempFile::new_in(self.root.join("tmp")).map_err(|source| {
            SourceError::Io {
                what: "creating temporary file in",
                path: self.root.join("tmp"),
                source,
            }
        })?;
        let mut out = tmp.as_file();
        let digests = digest_reader(reader, |chunk| out.write_all(chunk)).map_err(|source| {
            SourceError::Io {
                what: "copying into source store at",
                path: tmp.path().to_owned(),
                source,
            }
        })?;
        let dest = self.path_for(digests.sha256());
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent).map_err(|source| SourceError::Io {
                what: "creating source store folder",
                path: parent.to_owned(),
                source,
            })?;
        }
        if !dest.exists() {
            tmp.persist(&dest).map_err(|e| SourceError::Io {
                what: "storing source file at",
                path: dest.clone(),
                source: e.error,
            })?;
        }
        Ok((
            StoredSource {
                sha256: digests.sha256().to_owned(),
                size: digests.size,
                path: dest,
            },
            digests,
        ))
    }

    /// Finds or fetches every source of `recipe` for `arch` and verifies each
    /// file against every checksum array the recipe declares.
    pub fn prepare(
        &self,
        recipe: &Recipe,
        arch: &str,
        ctx: &SourceContext<'_>,
    ) -> Result<Vec<PreparedSource>, SourceError> {
        let sources: Vec<&Source> = recipe.base.source.for_arch(arch).collect();
        let mut prepared = Vec::with_capacity(sources.len());
        for (i, src) in sources.iter().enumerate() {
            let name = src.file_name().to_owned();
            let expected: Vec<(ChecksumKind, &Checksum)> = recipe
                .base
                .checksums
                .iter()
                .filter_map(|(kind, list)| list.for_arch(arch).nth(i).map(|c| (*kind, c)))
                .collect();
            if src.vcs().is_some() {
                let path = fetch::mirror_git(self, src, ctx.allow_download)?;
                prepared.push(PreparedSource::Git { name, path });
                continue;
            }
            let wanted_sha = expected.iter().find_map(|(k, c)| match (k, c) {
                (ChecksumKind::Sha256, Checksum::Digest(d)) => Some(d.to_ascii_lowercase()),
                _ => None,
            });
            let stored = self.locate(src, &name, wanted_sha.as_deref(), ctx)?;
            let file = File::open(&stored).map_err(|source| SourceError::Io {
                what: "reading stored source",
                path: stored.clone(),
                source,
            })?;
            let digests = digest_reader(file, |_| Ok(())).map_err(|source| SourceError::Io {
                what: "hashing stored source",
                path: stored.clone(),
                source,
            })?;
            for (kind, sum) in &expected {
                if let Checksum::Digest(d) = sum {
                    let actual = digests.get(*kind);
                    if !actual.eq_ignore_ascii_case(d) {
                        return Err(SourceError::Mismatch {
                            file: name,
                            kind: kind.array_name(),
                            expected: d.clone(),
                            actual: actual.to_owned(),
                        });
                    }
                }
            }
            prepared.push(PreparedSource::File {
                name,
                sha256: digests.sha256().to_owned(),
                path: stored,
            });
        }
        Ok(prepared)
    }

    /// Where a non-VCS source's content is: the store (by declared sha256),
    /// the recipe's own files, or a download.
    fn locate(
        &self,
        src: &Source,
        name: &str,
        sha: Option<&str>,
        ctx: &SourceContext<'_>,
    ) -> Result<PathBuf, SourceError> {
        if let Some(path) = sha.and_then(|s| self.get(s)) {
            return Ok(path);
        }
        if src.is_local() {
            let local = ctx
                .local_files
                .iter()
                .find(|(n, _)| n == src.url() || n == name);
            return match local {
                Some((_, bytes)) => Ok(self.add_bytes(bytes)?.0.path),
                None => Err(SourceError::Missing {
                    file: name.to_owned(),
                    url: src.url().to_owned(),
                    reason: "the recipe's directory has no such file".into(),
                }),
            };
        }
        if !ctx.allow_download {
            return Err(SourceError::Missing {
                file: name.to_owned(),
                url: src.url().to_owned(),
                reason: "downloads are off; add it with `kiln sources add`".into(),
            });
        }
        Ok(fetch::download(self, src.url())?.path)
    }
}

#[cfg(test)]
mod tests;
