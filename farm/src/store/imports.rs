//! Import runs and what they record: their counts, the recipes they could
//! not read, the change events they caused, and findings about recipes.

use std::fmt;

use kiln_normalizer::Origin;
use rusqlite::{Connection, OptionalExtension, Row};

use super::error::{Doing, StoreError};
use super::{now, origin_from_column, RunId, Store};

/// Where an import run reads recipes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImportKind {
    /// One git repository with a branch per AUR package.
    AurMirror,
    /// The AUR's per-package git repositories.
    Aur,
    /// A directory of PKGBUILD directories.
    Dir,
    /// A Guix channel.
    Guix,
}

impl ImportKind {
    /// The column value and command-line name.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::AurMirror => "aur-mirror",
            ImportKind::Aur => "aur",
            ImportKind::Dir => "dir",
            ImportKind::Guix => "guix",
        }
    }

    /// The kind named `name` ([`ImportKind::as_str`]).
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::AurMirror, Self::Aur, Self::Dir, Self::Guix]
            .into_iter()
            .find(|k| k.as_str() == name)
    }
}

impl fmt::Display for ImportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One import run with its counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRun {
    /// Id.
    pub id: RunId,
    /// What it imports from.
    pub kind: ImportKind,
    /// The repository URL or directory.
    pub location: String,
    /// The branch, tag or commit read, if any.
    pub git_ref: Option<String>,
    /// Start (Unix seconds).
    pub started_at: i64,
    /// End (Unix seconds); `None` while running or if it never finished.
    pub finished_at: Option<i64>,
    /// Recipes added.
    pub added: u64,
    /// Recipes whose content changed.
    pub updated: u64,
    /// Recipes found unchanged.
    pub unchanged: u64,
    /// Recipes marked removed.
    pub removed: u64,
    /// Recipes that could not be read.
    pub failed: u64,
}

/// What happened to a recipe in a change event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    /// It appeared (or reappeared after removal).
    Added,
    /// Its content changed.
    Updated,
    /// It disappeared from its source.
    Removed,
}

impl ChangeKind {
    /// The column value.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Updated => "updated",
            ChangeKind::Removed => "removed",
        }
    }
}

/// A recipe added, updated or removed by an import run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeEvent {
    /// The run.
    pub run: RunId,
    /// The recipe's origin.
    pub origin: Origin,
    /// The recipe's name.
    pub name: String,
    /// What happened.
    pub kind: ChangeKind,
    /// The version before (updated, removed).
    pub old_version: Option<String>,
    /// The version after (added, updated).
    pub new_version: Option<String>,
    /// When (Unix seconds).
    pub at: i64,
}

/// A recipe file an import run could not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportFailure {
    /// The run.
    pub run: RunId,
    /// The file or directory.
    pub path: String,
    /// The error, with file and line.
    pub message: String,
}

/// The counters of an import run.
#[derive(Debug, Clone, Copy)]
pub(crate) enum RunCounter {
    Added,
    Updated,
    Unchanged,
    Removed,
    Failed,
}

/// Adds one to a counter of `run`, failing if the run does not exist.
pub(crate) fn bump_run_counter(
    conn: &Connection,
    run: RunId,
    counter: RunCounter,
) -> Result<(), StoreError> {
    let sql = match counter {
        RunCounter::Added => "UPDATE import_runs SET added = added + 1 WHERE id = ?1",
        RunCounter::Updated => "UPDATE import_runs SET updated = updated + 1 WHERE id = ?1",
        RunCounter::Unchanged => "UPDATE import_runs SET unchanged = unchanged + 1 WHERE id = ?1",
        RunCounter::Removed => "UPDATE import_runs SET removed = removed + 1 WHERE id = ?1",
        RunCounter::Failed => "UPDATE import_runs SET failed = failed + 1 WHERE id = ?1",
    };
    let doing = || format!("counting in import run {run}");
    let changed = conn
        .prepare_cached(sql)
        .and_then(|mut s| s.execute([run.0]))
        .doing(doing)?;
    if changed == 0 {
        return Err(StoreError::NoSuchRun {
            doing: doing(),
            run: run.0,
        });
    }
    Ok(())
}

/// Records a change event inside the caller's transaction.
pub(crate) fn insert_change_event(
    conn: &Connection,
    run: RunId,
    origin: Origin,
    name: &str,
    kind: ChangeKind,
    old_version: Option<&str>,
    new_version: Option<&str>,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO change_events (run_id, origin, name, kind, old_version, new_version, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .and_then(|mut s| {
        s.execute((
            run.0,
            origin.as_str(),
            name,
            kind.as_str(),
            old_version,
            new_version,
            now(),
        ))
    })
    .doing(|| format!("recording that {origin}/{name} was {}", kind.as_str()))?;
    Ok(())
}

fn count(row: &Row<'_>, index: usize) -> rusqlite::Result<u64> {
    Ok(u64::try_from(row.get::<_, i64>(index)?).unwrap_or(0))
}

const RUN_COLUMNS: &str = "id, kind, location, git_ref, started_at, finished_at,
                           added, updated, unchanged, removed, failed";

fn read_run(row: &Row<'_>) -> rusqlite::Result<(ImportRun, String)> {
    let kind: String = row.get(1)?;
    Ok((
        ImportRun {
            id: RunId(row.get(0)?),
            kind: ImportKind::Dir,
            location: row.get(2)?,
            git_ref: row.get(3)?,
            started_at: row.get(4)?,
            finished_at: row.get(5)?,
            added: count(row, 6)?,
            updated: count(row, 7)?,
            unchanged: count(row, 8)?,
            removed: count(row, 9)?,
            failed: count(row, 10)?,
        },
        kind,
    ))
}

fn with_kind((mut run, kind): (ImportRun, String), doing: &str) -> Result<ImportRun, StoreError> {
    run.kind = ImportKind::from_name(&kind).ok_or_else(|| StoreError::Corrupt {
        doing: doing.to_owned(),
        what: "import kind",
        value: kind,
    })?;
    Ok(run)
}

impl Store {
    /// Starts an import run and returns its id.
    pub fn begin_import_run(
        &mut self,
        kind: ImportKind,
        location: &str,
        git_ref: Option<&str>,
    ) -> Result<RunId, StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO import_runs (kind, location, git_ref, started_at)
                 VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut s| s.execute((kind.as_str(), location, git_ref, now())))
            .doing(|| format!("starting a {kind} import run of {location}"))?;
        Ok(RunId(self.conn.last_insert_rowid()))
    }

    /// Marks `run` finished and returns it with its final counts.
    pub fn finish_import_run(&mut self, run: RunId) -> Result<ImportRun, StoreError> {
        let doing = format!("finishing import run {run}");
        let changed = self
            .conn
            .prepare_cached("UPDATE import_runs SET finished_at = ?2 WHERE id = ?1")
            .and_then(|mut s| s.execute((run.0, now())))
            .doing(|| doing.clone())?;
        if changed == 0 {
            return Err(StoreError::NoSuchRun { doing, run: run.0 });
        }
        self.import_run(run)?
            .ok_or(StoreError::NoSuchRun { doing, run: run.0 })
    }

    /// One import run.
    pub fn import_run(&self, run: RunId) -> Result<Option<ImportRun>, StoreError> {
        let doing = format!("reading import run {run}");
        let row = self
            .conn
            .prepare_cached(&format!(
                "SELECT {RUN_COLUMNS} FROM import_runs WHERE id = ?1"
            ))
            .and_then(|mut s| s.query_row([run.0], read_run).optional())
            .doing(|| doing.clone())?;
        row.map(|r| with_kind(r, &doing)).transpose()
    }

    /// Every import run, oldest first.
    pub fn import_runs(&self) -> Result<Vec<ImportRun>, StoreError> {
        let doing = "listing import runs";
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {RUN_COLUMNS} FROM import_runs ORDER BY id"
            ))
            .doing(|| doing.to_owned())?;
        let rows = stmt.query_map([], read_run).doing(|| doing.to_owned())?;
        rows.map(|r| with_kind(r.doing(|| doing.to_owned())?, doing))
            .collect()
    }

    /// Records that `run` could not read the recipe at `path`, and counts it.
    pub fn record_import_failure(
        &mut self,
        run: RunId,
        path: &str,
        message: &str,
    ) -> Result<(), StoreError> {
        let doing = || format!("recording the import failure of {path}");
        let tx = self.conn.transaction().doing(doing)?;
        bump_run_counter(&tx, run, RunCounter::Failed)?;
        tx.prepare_cached(
            "INSERT INTO import_failures (run_id, path, message, recorded_at)
             VALUES (?1, ?2, ?3, ?4)",
        )
        .and_then(|mut s| s.execute((run.0, path, message, now())))
        .doing(doing)?;
        tx.commit().doing(doing)
    }

    /// The failures recorded by `run`, in order.
    pub fn import_failures(&self, run: RunId) -> Result<Vec<ImportFailure>, StoreError> {
        let doing = || format!("listing the failures of import run {run}");
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT path, message FROM import_failures WHERE run_id = ?1 ORDER BY id",
            )
            .doing(doing)?;
        let rows = stmt
            .query_map([run.0], |row| {
                Ok(ImportFailure {
                    run,
                    path: row.get(0)?,
                    message: row.get(1)?,
                })
            })
            .doing(doing)?;
        rows.collect::<Result<_, _>>().doing(doing)
    }

    /// Change events of `run`, or of every run, in the order they happened.
    pub fn change_events(&self, run: Option<RunId>) -> Result<Vec<ChangeEvent>, StoreError> {
        let doing = || "listing change events".to_owned();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT run_id, origin, name, kind, old_version, new_version, at
                 FROM change_events WHERE ?1 IS NULL OR run_id = ?1 ORDER BY id",
            )
            .doing(doing)?;
        let rows = stmt
            .query_map([run.map(|r| r.0)], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, Option<String>>(4)?,
                    row.get::<_, Option<String>>(5)?,
                    row.get::<_, i64>(6)?,
                ))
            })
            .doing(doing)?;
        let mut out = Vec::new();
        for row in rows {
            let (run, origin, name, kind, old_version, new_version, at) = row.doing(doing)?;
            let kind = match kind.as_str() {
                "added" => ChangeKind::Added,
                "updated" => ChangeKind::Updated,
                "removed" => ChangeKind::Removed,
                _ => {
                    return Err(StoreError::Corrupt {
                        doing: doing(),
                        what: "change kind",
                        value: kind,
                    })
                }
            };
            out.push(ChangeEvent {
                run: RunId(run),
                origin: origin_from_column(&origin, doing)?,
                name,
                kind,
                old_version,
                new_version,
                at,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_count_failures_and_list_in_order() {
        let mut store = Store::open_in_memory().unwrap();
        let a = store
            .begin_import_run(ImportKind::AurMirror, "aur.git", Some("main"))
            .unwrap();
        let b = store
            .begin_import_run(ImportKind::Guix, "guix", None)
            .unwrap();
        store
            .record_import_failure(
                a,
                "broken/PKGBUILD",
                "broken/PKGBUILD: line 3: unterminated array",
            )
            .unwrap();
        let finished = store.finish_import_run(a).unwrap();
        assert_eq!(finished.failed, 1);
        assert!(finished.finished_at.is_some());
        let runs = store.import_runs().unwrap();
        let got: Vec<_> = runs
            .iter()
            .map(|r| (r.id, r.kind, r.git_ref.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                (a, ImportKind::AurMirror, Some("main")),
                (b, ImportKind::Guix, None)
            ]
        );
        assert_eq!(store.import_failures(a).unwrap()[0].path, "broken/PKGBUILD");
        assert!(matches!(
            store.finish_import_run(RunId(42)),
            Err(StoreError::NoSuchRun { run: 42, .. })
        ));
        assert!(store.record_import_failure(RunId(42), "x", "y").is_err());
    }

    #[test]
    fn import_kinds_round_trip() {
        for k in [
            ImportKind::AurMirror,
            ImportKind::Aur,
            ImportKind::Dir,
            ImportKind::Guix,
        ] {
            assert_eq!(ImportKind::from_name(k.as_str()), Some(k));
        }
        assert_eq!(ImportKind::from_name("svn"), None);
    }
}
