//! The store's error type: every failure says what the store was doing and
//! with which input, and keeps the underlying cause as its source.

use std::path::PathBuf;

/// A failure of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The directory holding the database could not be created.
    #[error("creating the store's directory {path}: {source}")]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The database could not be opened or set up.
    #[error("opening the store at {path}: {source}")]
    Open {
        /// The database file (`:memory:` for an in-memory store).
        path: String,
        /// The cause.
        source: rusqlite::Error,
    },
    /// A migration failed; the database stays at the previous version.
    #[error("applying migration {version:04}_{name}: {source}")]
    Migration {
        /// The migration's number.
        version: u32,
        /// The migration's name.
        name: &'static str,
        /// The cause.
        source: rusqlite::Error,
    },
    /// The database was written by a newer Kiln.
    #[error("the store has schema version {found}, newer than the {known} this kiln knows")]
    SchemaTooNew {
        /// The version found in the database.
        found: u32,
        /// The newest version this build knows.
        known: u32,
    },
    /// A statement failed.
    #[error("{doing}: {source}")]
    Sql {
        /// What the store was doing, lower-case.
        doing: String,
        /// The cause.
        source: rusqlite::Error,
    },
    /// A recipe could not be turned into JSON or read back from it.
    #[error("{doing}: {source}")]
    Json {
        /// What the store was doing, lower-case.
        doing: String,
        /// The cause.
        source: serde_json::Error,
    },
    /// A recipe breaks a rule the store relies on (an empty name ...).
    #[error("storing recipe {origin}/{name:?}: {problem}")]
    InvalidRecipe {
        /// The recipe's origin.
        origin: String,
        /// The recipe's name as given.
        name: String,
        /// What is wrong, lower-case.
        problem: String,
    },
    /// An import run id that the store does not hold.
    #[error("{doing}: no import run {run}")]
    NoSuchRun {
        /// What the store was doing, lower-case.
        doing: String,
        /// The run id.
        run: i64,
    },
    /// A recipe that the store does not hold (or holds as removed).
    #[error("{doing}: no current recipe {origin}/{name}")]
    NoSuchRecipe {
        /// What the store was doing, lower-case.
        doing: String,
        /// The origin asked for.
        origin: String,
        /// The name asked for.
        name: String,
    },
    /// A value in the database that this build cannot read.
    #[error("{doing}: unexpected {what} {value:?} in the store")]
    Corrupt {
        /// What the store was doing, lower-case.
        doing: String,
        /// Which kind of value.
        what: &'static str,
        /// The value found.
        value: String,
    },
    /// A lease that is no longer held: its deadline passed and the build was
    /// taken back, or another epoch holds it now.
    #[error("{doing}: build {build} is no longer leased with epoch {epoch}")]
    LeaseLost {
        /// What the store was doing, lower-case.
        doing: String,
        /// The build.
        build: i64,
        /// The epoch the caller held.
        epoch: i64,
    },
    /// A file the store reads from (a build log being indexed) failed.
    #[error("{doing}: {source}")]
    Io {
        /// What the store was doing, lower-case.
        doing: String,
        /// The cause.
        source: std::io::Error,
    },
    /// No database path could be worked out.
    #[error(
        "finding the store: no --db, no $KILN_DB, and neither $XDG_DATA_HOME nor $HOME is set"
    )]
    NoDataDir,
}

/// Attaches what the store was doing to a lower-level error.
pub(crate) trait Doing<T> {
    /// Wraps the error with the description `doing` returns.
    fn doing(self, doing: impl FnOnce() -> String) -> Result<T, StoreError>;
}

impl<T> Doing<T> for Result<T, rusqlite::Error> {
    fn doing(self, doing: impl FnOnce() -> String) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Sql {
            doing: doing(),
            source,
        })
    }
}

impl<T> Doing<T> for Result<T, serde_json::Error> {
    fn doing(self, doing: impl FnOnce() -> String) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Json {
            doing: doing(),
            source,
        })
    }
}
