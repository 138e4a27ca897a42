//! The store's schema as numbered, append-only migrations embedded in the
//! binary, applied in order when a store is opened.
//!
//! `PRAGMA user_version` holds the number of the last migration applied; the
//! `schema_migrations` table records when each was applied. Each migration
//! runs in its own transaction with the version bump, so a failed or
//! interrupted migration leaves the database at the previous version.

use rusqlite::Connection;

use super::error::{Doing, StoreError};
use super::now;

/// One migration: its number, its name and its SQL.
struct Migration {
    version: u32,
    name: &'static str,
    sql: &'static str,
}

/// Every migration, in order. Append only; never edit a released one.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "recipes",
        sql: include_str!("../../migrations/0001_recipes.sql"),
    },
    Migration {
        version: 2,
        name: "builds",
        sql: include_str!("../../migrations/0002_builds.sql"),
    },
    Migration {
        version: 3,
        name: "advisories",
        sql: include_str!("../../migrations/0003_advisories.sql"),
    },
    Migration {
        version: 4,
        name: "log_search",
        sql: include_str!("../../migrations/0004_log_search.sql"),
    },
];

/// The schema version this build creates.
pub(crate) fn latest_version() -> u32 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// The schema version recorded in the database.
pub(crate) fn current_version(conn: &Connection) -> Result<u32, StoreError> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
        .doing(|| "reading the schema version".to_owned())
}

/// Brings the database up to the latest schema version; returns how many
/// migrations were applied.
pub(crate) fn migrate(conn: &mut Connection) -> Result<usize, StoreError> {
    let found = current_version(conn)?;
    let known = latest_version();
    if found > known {
        return Err(StoreError::SchemaTooNew { found, known });
    }
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    INTEGER PRIMARY KEY,
             name       TEXT    NOT NULL,
             applied_at INTEGER NOT NULL
         )",
    )
    .doing(|| "creating the migrations table".to_owned())?;
    let mut applied = 0;
    for m in MIGRATIONS.iter().filter(|m| m.version > found) {
        let fail = |source| StoreError::Migration {
            version: m.version,
            name: m.name,
            source,
        };
        let tx = conn.transaction().map_err(fail)?;
        tx.execute_batch(m.sql).map_err(fail)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
            (m.version, m.name, now()),
        )
        .map_err(fail)?;
        tx.pragma_update(None, "user_version", m.version)
            .map_err(fail)?;
        tx.commit().map_err(fail)?;
        applied += 1;
    }
    Ok(applied)
}

/// The migrations recorded as applied, as `(version, name)`.
pub(crate) fn applied(conn: &Connection) -> Result<Vec<(u32, String)>, StoreError> {
    let doing = || "listing applied migrations".to_owned();
    let mut stmt = conn
        .prepare("SELECT version, name FROM schema_migrations ORDER BY version")
        .doing(doing)?;
    let rows = stmt
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .doing(doing)?;
    rows.collect::<Result<_, _>>().doing(doing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_numbered_in_order_from_one() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version as usize, i + 1, "migration {}", m.name);
        }
    }

    #[test]
    fn migrate_applies_each_migration_once() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(migrate(&mut conn).unwrap(), MIGRATIONS.len());
        assert_eq!(migrate(&mut conn).unwrap(), 0);
        assert_eq!(current_version(&conn).unwrap(), latest_version());
        assert_eq!(applied(&conn).unwrap().len(), MIGRATIONS.len());
    }

    #[test]
    fn newer_schema_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", latest_version() + 1)
            .unwrap();
        assert!(matches!(
            migrate(&mut conn),
            Err(StoreError::SchemaTooNew { .. })
        ));
    }
}
