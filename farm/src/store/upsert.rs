//! Writing recipes: adding, updating or leaving alone one recipe or a batch
//! in one transaction with its change event and the run's counters, and
//! marking recipes removed.
//!
//! Re-importing replaces the current recipe of an origin and name; a recipe
//! whose content hash has not changed is left alone (only its provenance and
//! the run that last saw it are updated).

use kiln_normalizer::{Origin, Recipe};
use rusqlite::{Connection, OptionalExtension};

use super::error::{Doing, StoreError};
use super::imports::{bump_run_counter, insert_change_event, ChangeKind, RunCounter};
use super::index_rows::{derive, IndexRows};
use super::index_writes::{
    delete_findings, delete_index_rows, delete_warnings, insert_index_rows, insert_warnings,
};
use super::recipes::{Provenance, RecipeImport, UpsertOutcome};
use super::{now, RecipeId, RunId, Store};

/// The content hash Kiln stores for a recipe's source text: lower-case hex
/// sha256. Importers hash the file(s) a recipe was read from with it, so an
/// unchanged file is recognised on the next import.
pub fn content_hash(text: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(text))
}

/// The row of a recipe as an upsert finds it.
struct Existing {
    id: RecipeId,
    version: String,
    content_hash: String,
    removed: bool,
}

impl Store {
    /// Stores `recipe` as the current recipe of its origin and name, in one
    /// transaction with its change event and the run's counters.
    pub fn upsert_recipe(
        &mut self,
        run: RunId,
        recipe: &Recipe,
        provenance: &Provenance,
        content_hash: &str,
    ) -> Result<UpsertOutcome, StoreError> {
        let tx = self
            .conn
            .transaction()
            .doing(|| "starting a recipe transaction".to_owned())?;
        let outcome = upsert(&tx, run, recipe, provenance, content_hash)?;
        tx.commit()
            .doing(|| format!("committing recipe {}/{}", recipe.origin, recipe.pkgbase))?;
        Ok(outcome)
    }

    /// Stores many recipes in one transaction: all of them or, on any error,
    /// none. Outcomes are in the order of `imports`.
    pub fn upsert_recipes(
        &mut self,
        run: RunId,
        imports: &[RecipeImport],
    ) -> Result<Vec<UpsertOutcome>, StoreError> {
        let tx = self
            .conn
            .transaction()
            .doing(|| "starting a batch transaction".to_owned())?;
        let mut outcomes = Vec::with_capacity(imports.len());
        for i in imports {
            outcomes.push(upsert(&tx, run, &i.recipe, &i.provenance, &i.content_hash)?);
        }
        tx.commit()
            .doing(|| format!("committing a batch of {} recipes", imports.len()))?;
        Ok(outcomes)
    }

    /// Marks the current recipes of `origin` named in `names` as removed by
    /// `run`, recording a change event for each; names not held (or already
    /// removed) are skipped. Returns how many were removed.
    pub fn mark_removed(
        &mut self,
        run: RunId,
        origin: Origin,
        names: &[String],
    ) -> Result<usize, StoreError> {
        let tx = self
            .conn
            .transaction()
            .doing(|| "starting a removal transaction".to_owned())?;
        let mut removed = 0;
        for name in names {
            let Some(existing) = find_existing(&tx, origin, name)? else {
                continue;
            };
            if existing.removed {
                continue;
            }
            bump_run_counter(&tx, run, RunCounter::Removed)?;
            set_removed(&tx, existing.id, run)?;
            delete_index_rows(&tx, existing.id)?;
            insert_change_event(
                &tx,
                run,
                origin,
                name,
                ChangeKind::Removed,
                Some(&existing.version),
                None,
            )?;
            removed += 1;
        }
        tx.commit()
            .doing(|| format!("committing the removal of {removed} recipes"))?;
        Ok(removed)
    }
}

impl Store {
    /// Records that `run` found the current recipe `origin/name` unchanged
    /// without reading it again (its stored content hash matched the source
    /// blob), so that the run counts it as seen and does not remove it.
    /// Returns false when no such current recipe exists.
    pub fn mark_unchanged(
        &mut self,
        run: RunId,
        origin: Origin,
        name: &str,
    ) -> Result<bool, StoreError> {
        let tx = self
            .conn
            .transaction()
            .doing(|| format!("starting to mark {origin}/{name} unchanged"))?;
        let Some(existing) = find_existing(&tx, origin, name)?.filter(|e| !e.removed) else {
            return Ok(false);
        };
        bump_run_counter(&tx, run, RunCounter::Unchanged)?;
        mark_seen(&tx, existing.id, run)?;
        tx.commit()
            .doing(|| format!("committing {origin}/{name} as unchanged"))?;
        Ok(true)
    }
}

/// Stores one recipe inside the caller's transaction.
fn upsert(
    conn: &Connection,
    run: RunId,
    recipe: &Recipe,
    provenance: &Provenance,
    content_hash: &str,
) -> Result<UpsertOutcome, StoreError> {
    let origin = recipe.origin;
    let name = recipe.pkgbase.as_str();
    let rows = derive(recipe).map_err(|problem| StoreError::InvalidRecipe {
        origin: origin.to_string(),
        name: name.to_owned(),
        problem,
    })?;
    let existing = find_existing(conn, origin, name)?;
    let version = recipe.version_text();
    // The run's counter first: it fails on an unknown run before any write.
    let (counter, kind) = match &existing {
        Some(e) if !e.removed && e.content_hash == content_hash => {
            bump_run_counter(conn, run, RunCounter::Unchanged)?;
            mark_seen(conn, e.id, run)?;
            write_provenance(conn, e.id, provenance)?;
            return Ok(UpsertOutcome::Unchanged);
        }
        Some(e) if !e.removed => (RunCounter::Updated, ChangeKind::Updated),
        _ => (RunCounter::Added, ChangeKind::Added),
    };
    bump_run_counter(conn, run, counter)?;
    let (id, old) = match existing {
        Some(e) => {
            update_recipe_row(conn, e.id, run, recipe, &rows, content_hash)?;
            delete_index_rows(conn, e.id)?;
            delete_warnings(conn, e.id)?;
            delete_findings(conn, e.id)?;
            (e.id, (!e.removed).then_some(e.version))
        }
        None => (
            insert_recipe_row(conn, run, recipe, &rows, content_hash)?,
            None,
        ),
    };
    insert_index_rows(conn, id, recipe, &rows)?;
    insert_warnings(conn, id, &recipe.warnings)?;
    write_provenance(conn, id, provenance)?;
    insert_change_event(
        conn,
        run,
        origin,
        name,
        kind,
        old.as_deref(),
        Some(&version),
    )?;
    Ok(match old {
        Some(old) => UpsertOutcome::Updated { old, new: version },
        None => UpsertOutcome::Added,
    })
}

fn find_existing(
    conn: &Connection,
    origin: Origin,
    name: &str,
) -> Result<Option<Existing>, StoreError> {
    conn.prepare_cached(
        "SELECT id, version, content_hash, removed_at IS NOT NULL FROM recipes
         WHERE origin = ?1 AND name = ?2",
    )
    .and_then(|mut s| {
        s.query_row((origin.as_str(), name), |row| {
            Ok(Existing {
                id: RecipeId(row.get(0)?),
                version: row.get(1)?,
                content_hash: row.get(2)?,
                removed: row.get(3)?,
            })
        })
        .optional()
    })
    .doing(|| format!("looking up recipe {origin}/{name}"))
}

fn recipe_json(recipe: &Recipe) -> Result<String, StoreError> {
    serde_json::to_string(recipe).doing(|| {
        format!(
            "writing recipe {}/{} as json",
            recipe.origin, recipe.pkgbase
        )
    })
}

fn insert_recipe_row(
    conn: &Connection,
    run: RunId,
    recipe: &Recipe,
    rows: &IndexRows,
    content_hash: &str,
) -> Result<RecipeId, StoreError> {
    let json = recipe_json(recipe)?;
    let t = now();
    conn.prepare_cached(
        "INSERT INTO recipes (origin, name, version, epoch, pkgver, pkgrel, description, url,
                              build_system, recipe_json, content_hash, created_at, updated_at,
                              last_run_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12, ?13)",
    )
    .and_then(|mut s| {
        s.execute(rusqlite::params![
            recipe.origin.as_str(),
            recipe.pkgbase,
            recipe.version_text(),
            recipe.epoch,
            recipe.pkgver,
            recipe.pkgrel,
            rows.description,
            recipe.base.url,
            recipe.build_system,
            json,
            content_hash,
            t,
            run.0,
        ])
    })
    .doing(|| format!("inserting recipe {}/{}", recipe.origin, recipe.pkgbase))?;
    Ok(RecipeId(conn.last_insert_rowid()))
}

fn update_recipe_row(
    conn: &Connection,
    id: RecipeId,
    run: RunId,
    recipe: &Recipe,
    rows: &IndexRows,
    content_hash: &str,
) -> Result<(), StoreError> {
    let json = recipe_json(recipe)?;
    conn.prepare_cached(
        "UPDATE recipes SET version = ?2, epoch = ?3, pkgver = ?4, pkgrel = ?5,
                description = ?6, url = ?7, build_system = ?8, recipe_json = ?9,
                content_hash = ?10, updated_at = ?11, removed_at = NULL, last_run_id = ?12
         WHERE id = ?1",
    )
    .and_then(|mut s| {
        s.execute(rusqlite::params![
            id.0,
            recipe.version_text(),
            recipe.epoch,
            recipe.pkgver,
            recipe.pkgrel,
            rows.description,
            recipe.base.url,
            recipe.build_system,
            json,
            content_hash,
            now(),
            run.0,
        ])
    })
    .doing(|| format!("updating recipe {}/{}", recipe.origin, recipe.pkgbase))?;
    Ok(())
}

fn mark_seen(conn: &Connection, id: RecipeId, run: RunId) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE recipes SET last_run_id = ?2 WHERE id = ?1")
        .and_then(|mut s| s.execute((id.0, run.0)))
        .doing(|| format!("marking recipe {id} as seen by import run {run}"))?;
    Ok(())
}

fn set_removed(conn: &Connection, id: RecipeId, run: RunId) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE recipes SET removed_at = ?2, last_run_id = ?3 WHERE id = ?1")
        .and_then(|mut s| s.execute((id.0, now(), run.0)))
        .doing(|| format!("marking recipe {id} as removed"))?;
    Ok(())
}

fn write_provenance(conn: &Connection, id: RecipeId, p: &Provenance) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO provenance (recipe_id, repository, git_commit, path, line)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (recipe_id) DO UPDATE SET repository = excluded.repository,
             git_commit = excluded.git_commit, path = excluded.path, line = excluded.line",
    )
    .and_then(|mut s| s.execute((id.0, &p.repository, &p.commit, &p.path, p.line)))
    .doing(|| format!("writing the provenance of recipe {id} ({})", p.path))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{test_recipes, ChangeKind, ImportKind};

    fn store_with_run() -> (Store, RunId) {
        let mut store = Store::open_in_memory().unwrap();
        let run = store.begin_import_run(ImportKind::Dir, "t", None).unwrap();
        (store, run)
    }

    #[test]
    fn content_hash_is_sha256_hex() {
        assert_eq!(
            content_hash(b"test"),
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
        );
    }

    #[test]
    fn added_unchanged_updated_removed() {
        let (mut store, run) = store_with_run();
        let p = Provenance::default();
        let v1 = test_recipes::single("hello", "1.0");
        let v2 = test_recipes::single("hello", "2.0");
        let steps = [
            (&v1, "a", UpsertOutcome::Added),
            (&v1, "a", UpsertOutcome::Unchanged),
            (
                &v2,
                "b",
                UpsertOutcome::Updated {
                    old: "1.0-1".into(),
                    new: "2.0-1".into(),
                },
            ),
        ];
        for (recipe, hash, want) in steps {
            assert_eq!(store.upsert_recipe(run, recipe, &p, hash).unwrap(), want);
        }
        assert_eq!(store.count_recipes(None).unwrap(), 1);
        assert_eq!(
            store.stored_content_hash(Origin::Arch, "hello").unwrap(),
            Some("b".into())
        );
        assert_eq!(
            store
                .mark_removed(run, Origin::Arch, &["hello".into(), "absent".into()])
                .unwrap(),
            1
        );
        assert_eq!(store.count_recipes(None).unwrap(), 0);
        assert!(store.recipe_by_name(None, "hello").unwrap().is_none());
        // Back again after removal: added, even with the same hash.
        assert_eq!(
            store.upsert_recipe(run, &v2, &p, "b").unwrap(),
            UpsertOutcome::Added
        );
        let kinds: Vec<_> = store
            .change_events(Some(run))
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            kinds,
            [
                ChangeKind::Added,
                ChangeKind::Updated,
                ChangeKind::Removed,
                ChangeKind::Added
            ]
        );
        let counts = store.finish_import_run(run).unwrap();
        assert_eq!(
            (
                counts.added,
                counts.updated,
                counts.unchanged,
                counts.removed
            ),
            (2, 1, 1, 1)
        );
    }

    #[test]
    fn a_bad_recipe_in_a_batch_writes_nothing() {
        let (mut store, run) = store_with_run();
        let mut bad = test_recipes::single("bad", "1");
        bad.pkgbase = String::new();
        let batch: Vec<_> = [test_recipes::single("good", "1"), bad]
            .into_iter()
            .map(|recipe| RecipeImport {
                recipe,
                provenance: Provenance::default(),
                content_hash: "h".into(),
            })
            .collect();
        let err = store.upsert_recipes(run, &batch).unwrap_err();
        assert!(matches!(err, StoreError::InvalidRecipe { .. }), "{err}");
        assert_eq!(store.count_recipes(None).unwrap(), 0);
        assert!(store.change_events(None).unwrap().is_empty());
        assert_eq!(store.import_run(run).unwrap().unwrap().added, 0);
    }

    #[test]
    fn unknown_run_is_an_error() {
        let (mut store, _) = store_with_run();
        let err = store
            .upsert_recipe(
                RunId(99),
                &test_recipes::depending("x", "1", &["y"]),
                &Provenance::default(),
                "h",
            )
            .unwrap_err();
        assert!(err.to_string().contains("no import run 99"), "{err}");
        assert_eq!(store.count_recipes(None).unwrap(), 0);
    }
}
