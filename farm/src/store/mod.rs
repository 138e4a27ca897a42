//! The SQLite store: every table of the farm and every SQL statement of the
//! project.
//!
//! A [`Store`] is one connection to one database file (or an in-memory
//! database for tests), set up with WAL, foreign keys, a busy timeout and
//! `synchronous=NORMAL`, and migrated to the current schema when opened.
//! Each method runs one query (or one transaction of queries); callers never
//! hold SQL. Writes that belong together (a recipe and its index rows, a
//! batch of recipes, a change event and the run's counters) run in one
//! transaction, so a killed process never leaves a half-written import.
//!
//! - `recipes`: the recipe types and look-ups by name and id.
//! - `upsert`: storing recipes (one or a batch) and marking them removed.
//! - `index_rows`: the rows derived from a recipe for look-ups (pure).
//! - `index_writes`: writing and clearing those rows.
//! - `dependencies`: dependency, reverse-dependency and source look-ups.
//! - `dashboard`: counts, activity over time, duration histograms, wave
//!   graphs and log search for the web dashboard.
//! - `search`: full-text search (FTS5) with safe quoting of user text.
//! - `imports`: import runs, failures, change events.
//! - `findings`: problems found in recipes (a stale .SRCINFO ...).
//! - `migrations`: the numbered schema files under `farm/migrations/`.
//! - `path`: where the database file lives.

mod advisories;
mod builds;
mod dashboard;
mod dependencies;
mod error;
mod findings;
mod imports;
mod index_rows;
mod index_writes;
mod leases;
mod migrations;
mod path;
mod recipes;
mod search;
mod upsert;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kiln_normalizer::Origin;
use rusqlite::Connection;

pub use advisories::Wave;
pub use builds::{
    ArtifactRecord, Build, BuildEnd, BuildFilter, BuildId, BuildInput, BuildStatus, Lane, Lease,
    NewBuild,
};
pub use dashboard::{ActivityBucket, DurationHistogram, LogHit, MAX_INDEXED_LINES};
pub use dependencies::{DependencyRecord, GraphRows, SourceMatch};
pub use error::StoreError;
pub use findings::Finding;
pub use imports::{ChangeEvent, ChangeKind, ImportFailure, ImportKind, ImportRun};
pub use path::{data_dir, db_path_from_env, resolve_db_path, DB_FILE_NAME};
pub use recipes::{NameMatch, Provenance, RecipeImport, StoredRecipe, UpsertOutcome};
pub use search::{SearchHit, MAX_QUERY_TERMS};
pub use upsert::content_hash;

use error::Doing;

/// How long a statement waits for another connection's lock before failing.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The id of a recipe row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecipeId(pub i64);

/// The id of an import run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RunId(pub i64);

impl fmt::Display for RecipeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The farm's database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: Option<PathBuf>,
}

impl Store {
    /// Opens (creating if needed, with its directory) the database at `path`
    /// and migrates it to the current schema.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: dir.to_owned(),
                source,
            })?;
        }
        let label = path.display().to_string();
        let conn = Connection::open(path).map_err(|source| StoreError::Open {
            path: label.clone(),
            source,
        })?;
        Self::set_up(conn, &label, Some(path.to_owned()))
    }

    /// Opens a fresh in-memory database with the current schema (for tests
    /// and one-off work).
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let label = ":memory:";
        let conn = Connection::open_in_memory().map_err(|source| StoreError::Open {
            path: label.to_owned(),
            source,
        })?;
        Self::set_up(conn, label, None)
    }

    fn set_up(
        mut conn: Connection,
        label: &str,
        path: Option<PathBuf>,
    ) -> Result<Self, StoreError> {
        let open_err = |source| StoreError::Open {
            path: label.to_owned(),
            source,
        };
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
        // journal_mode answers with the mode in effect: `memory` for an
        // in-memory database, which cannot use WAL.
        let _mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(open_err)?;
        conn.set_prepared_statement_cache_capacity(64);
        migrations::migrate(&mut conn)?;
        Ok(Self { conn, path })
    }

    /// The database file, or `None` for an in-memory store.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The journal mode in effect (`wal` for a file database).
    pub fn journal_mode(&self) -> Result<String, StoreError> {
        self.conn
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .doing(|| "reading the journal mode".to_owned())
    }

    /// Whether foreign keys are enforced on this connection.
    pub fn foreign_keys_enabled(&self) -> Result<bool, StoreError> {
        self.conn
            .query_row("PRAGMA foreign_keys", [], |row| row.get(0))
            .doing(|| "reading the foreign-key setting".to_owned())
    }

    /// The schema version of the database.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        migrations::current_version(&self.conn)
    }

    /// The migrations applied to this database, as `(version, name)`.
    pub fn applied_migrations(&self) -> Result<Vec<(u32, String)>, StoreError> {
        migrations::applied(&self.conn)
    }
}

/// The current time in Unix seconds.
pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Reads an origin back from its column.
pub(crate) fn origin_from_column(
    value: &str,
    doing: impl FnOnce() -> String,
) -> Result<Origin, StoreError> {
    match value {
        "arch" => Ok(Origin::Arch),
        "guix" => Ok(Origin::Guix),
        other => Err(StoreError::Corrupt {
            doing: doing(),
            what: "origin",
            value: other.to_owned(),
        }),
    }
}

#[cfg(test)]
pub(crate) mod test_recipes;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_memory_store_is_migrated_with_foreign_keys() {
        let store = Store::open_in_memory().unwrap();
        assert_eq!(
            store.schema_version().unwrap(),
            migrations::latest_version()
        );
        assert!(store.foreign_keys_enabled().unwrap());
        assert!(store.path().is_none());
    }
}
