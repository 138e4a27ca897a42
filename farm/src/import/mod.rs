//! Mass import: reading recipes from where they live (a tree of PKGBUILD
//! directories, an AUR mirror with a branch per package, per-package AUR
//! repositories, a Guix checkout) into the store.
//!
//! Parsing runs on all cores (rayon); the store is written from one thread
//! in batched transactions. A recipe that cannot be read is recorded as a
//! failure of the run, with its reason, and the import goes on. After a
//! complete pass, recipes of the same source that were not seen again are
//! marked removed.

use kiln_normalizer::{Origin, Recipe};
use serde::Serialize;

use crate::store::{ImportKind, Provenance, RecipeImport, RunId, Store, StoreError, UpsertOutcome};

mod arch;
mod guix;

pub use arch::{import_aur_mirror, import_aur_packages, import_dir, STALE_SRCINFO};
pub use guix::import_guix;

/// How many recipes one transaction stores.
pub const BATCH: usize = 500;

/// Reports an import's advance, e.g. as a progress bar.
pub trait Progress: Sync {
    /// A phase begins with `total` items (0 when unknown).
    fn start(&self, phase: &str, total: u64);
    /// `n` more items are done.
    fn advance(&self, n: u64);
    /// The phase is over.
    fn finish(&self);
}

/// A [`Progress`] that reports nothing.
pub struct Quiet;

impl Progress for Quiet {
    fn start(&self, _phase: &str, _total: u64) {}
    fn advance(&self, _n: u64) {}
    fn finish(&self) {}
}

/// Why an import could not run at all (one recipe failing is not this: it
/// is recorded in [`ImportSummary::failures`]).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A git repository could not be opened, fetched or read.
    #[error(transparent)]
    Git(#[from] kiln_importers::git::GitError),
    /// A directory could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// One recipe that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// The file (or branch) that failed.
    pub path: String,
    /// Why, naming file and line where there is one.
    pub message: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    /// The import run's id in the store.
    pub run: i64,
    /// `dir`, `aur-mirror`, `aur` or `guix`.
    pub kind: String,
    /// Where it read from.
    pub location: String,
    /// The commit read, for a single git tree.
    pub commit: Option<String>,
    /// Recipes new to the store.
    pub added: u64,
    /// Recipes whose content changed.
    pub updated: u64,
    /// Recipes found unchanged (many without being read again).
    pub unchanged: u64,
    /// Recipes of this source no longer present.
    pub removed: u64,
    /// Recipes that could not be read, with reasons.
    pub failures: Vec<Failure>,
    /// Recipes skipped because another file of the same run already gave
    /// a recipe of that origin and name (the first one read is kept).
    pub duplicates: Vec<Failure>,
    /// Import warnings on the recipes stored (constructs needing execution).
    pub warnings: u64,
    /// Findings recorded (stale .SRCINFO ...).
    pub findings: u64,
}

/// A parsed recipe waiting to be stored, with the findings to record on it.
pub(crate) struct Parsed {
    pub import: RecipeImport,
    pub findings: Vec<(String, String)>,
}

/// Writes parsed recipes into the store in batches and keeps the counts.
pub(crate) struct Writer<'s> {
    store: &'s mut Store,
    pub run: RunId,
    pending: Vec<Parsed>,
    seen: std::collections::HashMap<(Origin, String), String>,
    pub summary: ImportSummary,
}

impl<'s> Writer<'s> {
    /// Begins an import run.
    pub fn begin(
        store: &'s mut Store,
        kind: ImportKind,
        location: &str,
        git_ref: Option<&str>,
    ) -> Result<Self, StoreError> {
        let run = store.begin_import_run(kind, location, git_ref)?;
        Ok(Writer {
            store,
            run,
            pending: Vec::new(),
            seen: std::collections::HashMap::new(),
            summary: ImportSummary {
                run: run.0,
                kind: kind.as_str().to_owned(),
                location: location.to_owned(),
                ..ImportSummary::default()
            },
        })
    }

    /// The store, for reads between writes.
    pub fn store(&self) -> &Store {
        self.store
    }

    /// Queues one recipe; writes a batch when full.
    pub fn push(&mut self, parsed: Parsed) -> Result<(), StoreError> {
        let recipe = &parsed.import.recipe;
        let path = &parsed.import.provenance.path;
        let key = (recipe.origin, recipe.pkgbase.clone());
        if let Some(first) = self.seen.get(&key) {
            self.summary.duplicates.push(Failure {
                path: path.clone(),
                message: format!(
                    "{}/{} was already read from {first} in this import",
                    recipe.origin, recipe.pkgbase
                ),
            });
            return Ok(());
        }
        self.seen.insert(key, path.clone());
        self.pending.push(parsed);
        if self.pending.len() >= BATCH {
            self.flush()?;
        }
        Ok(())
    }

    /// Records a recipe that could not be read.
    pub fn fail(&mut self, path: &str, message: &str) -> Result<(), StoreError> {
        self.store.record_import_failure(self.run, path, message)?;
        self.summary.failures.push(Failure {
            path: path.to_owned(),
            message: message.to_owned(),
        });
        Ok(())
    }

    /// Records that `name` was found unchanged without being read.
    pub fn unchanged(&mut self, origin: Origin, name: &str) -> Result<bool, StoreError> {
        let seen = self.store.mark_unchanged(self.run, origin, name)?;
        if seen {
            self.summary.unchanged += 1;
            self.seen
                .insert((origin, name.to_owned()), format!("{name} (unchanged)"));
        }
        Ok(seen)
    }

    /// Writes what is queued, in one transaction, then its findings.
    pub fn flush(&mut self) -> Result<(), StoreError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let (imports, findings): (Vec<RecipeImport>, Vec<_>) = std::mem::take(&mut self.pending)
            .into_iter()
            .map(|p| (p.import, p.findings))
            .unzip();
        let outcomes = self.store.upsert_recipes(self.run, &imports)?;
        for ((import, findings), outcome) in imports.iter().zip(findings).zip(outcomes) {
            match outcome {
                UpsertOutcome::Added => self.summary.added += 1,
                UpsertOutcome::Updated { .. } => self.summary.updated += 1,
                UpsertOutcome::Unchanged => self.summary.unchanged += 1,
            }
            let recipe = &import.recipe;
            self.summary.warnings += recipe.warnings.len() as u64;
            if outcome == UpsertOutcome::Unchanged {
                continue;
            }
            for (kind, message) in &findings {
                self.store.record_finding(
                    Some(self.run),
                    recipe.origin,
                    &recipe.pkgbase,
                    kind,
                    message,
                )?;
                self.summary.findings += 1;
            }
        }
        Ok(())
    }

    /// Writes what is left, marks as removed the recipes of `origin` last
    /// read from `repository` that this run did not see, and closes the run.
    pub fn finish(
        mut self,
        origin: Origin,
        repository: Option<&str>,
    ) -> Result<ImportSummary, StoreError> {
        self.flush()?;
        if let Some(repository) = repository {
            let gone = self
                .store
                .names_not_seen_from(self.run, origin, repository)?;
            self.summary.removed = self.store.mark_removed(self.run, origin, &gone)? as u64;
        }
        self.store.finish_import_run(self.run)?;
        Ok(self.summary)
    }
}

/// A recipe with where it came from, ready for [`Writer::push`].
pub(crate) fn parsed(
    recipe: Recipe,
    provenance: Provenance,
    content_hash: String,
    findings: Vec<(String, String)>,
) -> Parsed {
    Parsed {
        import: RecipeImport {
            recipe,
            provenance,
            content_hash,
        },
        findings,
    }
}

#[cfg(test)]
mod tests;
