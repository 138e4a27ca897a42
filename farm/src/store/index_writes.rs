//! Writing and clearing the rows derived from a recipe (packages,
//! dependencies, provisions, sources, search entry), its warnings and its
//! findings, inside the caller's transaction.

use kiln_normalizer::{ImportWarning, Recipe};
use rusqlite::Connection;

use super::error::{Doing, StoreError};
use super::index_rows::{kind_column, IndexRows};
use super::recipes::warning_kind_column;
use super::{search, RecipeId};

/// Drops the packages (with their dependencies and provisions), sources,
/// recipe-wide dependencies and search entry of recipe `id`.
pub(crate) fn delete_index_rows(conn: &Connection, id: RecipeId) -> Result<(), StoreError> {
    for sql in [
        "DELETE FROM dependencies WHERE recipe_id = ?1",
        "DELETE FROM provides WHERE recipe_id = ?1",
        "DELETE FROM packages WHERE recipe_id = ?1",
        "DELETE FROM sources WHERE recipe_id = ?1",
    ] {
        conn.prepare_cached(sql)
            .and_then(|mut s| s.execute([id.0]))
            .doing(|| format!("clearing the index rows of recipe {id}"))?;
    }
    search::unindex(conn, id)
}

pub(crate) fn delete_warnings(conn: &Connection, id: RecipeId) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM import_warnings WHERE recipe_id = ?1")
        .and_then(|mut s| s.execute([id.0]))
        .doing(|| format!("clearing the warnings of recipe {id}"))?;
    Ok(())
}

pub(crate) fn delete_findings(conn: &Connection, id: RecipeId) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM findings WHERE recipe_id = ?1")
        .and_then(|mut s| s.execute([id.0]))
        .doing(|| format!("clearing the findings of recipe {id}"))?;
    Ok(())
}

pub(crate) fn insert_index_rows(
    conn: &Connection,
    id: RecipeId,
    recipe: &Recipe,
    rows: &IndexRows,
) -> Result<(), StoreError> {
    let doing = || format!("indexing recipe {}/{}", recipe.origin, recipe.pkgbase);
    let mut package_ids = Vec::with_capacity(rows.packages.len());
    let mut stmt = conn
        .prepare_cached("INSERT INTO packages (recipe_id, name, description) VALUES (?1, ?2, ?3)")
        .doing(doing)?;
    for p in &rows.packages {
        stmt.execute((id.0, &p.name, &p.description)).doing(doing)?;
        package_ids.push(conn.last_insert_rowid());
    }
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO dependencies (recipe_id, package_id, kind, name, op, version, arch,
                                       reason, text)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .doing(doing)?;
    for d in &rows.dependencies {
        let package = d.package.map(|i| package_ids[i]);
        stmt.execute(rusqlite::params![
            id.0,
            package,
            kind_column(d.kind),
            d.name,
            d.op,
            d.version,
            d.arch,
            d.reason,
            d.text,
        ])
        .doing(doing)?;
    }
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO provides (recipe_id, package_id, name, version, arch, text)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .doing(doing)?;
    for p in &rows.provides {
        stmt.execute((
            id.0,
            package_ids[p.package],
            &p.name,
            &p.version,
            &p.arch,
            &p.text,
        ))
        .doing(doing)?;
    }
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO sources (recipe_id, position, arch, text, url, file_name,
                                  checksum_kind, digest)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .doing(doing)?;
    for s in &rows.sources {
        stmt.execute(rusqlite::params![
            id.0,
            i64::try_from(s.position).unwrap_or(i64::MAX),
            s.arch,
            s.text,
            s.url,
            s.file_name,
            s.checksum_kind,
            s.digest,
        ])
        .doing(doing)?;
    }
    search::index(conn, id, &rows.search)
}

pub(crate) fn insert_warnings(
    conn: &Connection,
    id: RecipeId,
    warnings: &[ImportWarning],
) -> Result<(), StoreError> {
    let doing = || format!("storing the warnings of recipe {id}");
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO import_warnings (recipe_id, file, line, kind, attribute, message)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .doing(doing)?;
    for w in warnings {
        stmt.execute((
            id.0,
            &w.file,
            w.line,
            warning_kind_column(w.kind),
            &w.attribute,
            &w.message,
        ))
        .doing(doing)?;
    }
    Ok(())
}
