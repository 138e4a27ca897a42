//! Recipes as stored and how to find them: the types the recipe methods
//! take and return, and the look-ups by name and id.
//!
//! A recipe is stored whole as JSON (so every model field survives) beside
//! the columns and tables that queries need; `upsert` writes them. There is
//! one current recipe per origin and name.

use kiln_normalizer::{ImportWarning, Origin, Recipe, WarningKind};
use rusqlite::OptionalExtension;

use super::error::{Doing, StoreError};
use super::{origin_from_column, RecipeId, RunId, Store};

/// Where the current version of a recipe was read from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Provenance {
    /// The repository or directory (a git URL, an AUR mirror path ...).
    pub repository: String,
    /// The commit read, for git sources.
    pub commit: Option<String>,
    /// The recipe file inside the repository.
    pub path: String,
    /// The line of the definition (Guix), if meaningful.
    pub line: Option<u32>,
}

/// One recipe to store, for [`Store::upsert_recipes`].
#[derive(Debug, Clone)]
pub struct RecipeImport {
    /// The recipe.
    pub recipe: Recipe,
    /// Where it was read from.
    pub provenance: Provenance,
    /// A hash of the recipe's source text; equal hashes mean unchanged.
    pub content_hash: String,
}

/// What storing a recipe changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpsertOutcome {
    /// The store did not hold a current recipe of that origin and name.
    Added,
    /// The recipe's content changed; versions as text.
    Updated {
        /// The version stored before.
        old: String,
        /// The version stored now.
        new: String,
    },
    /// The content hash is the one already stored.
    Unchanged,
}

/// How a name given to [`Store::recipe_by_name`] was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameMatch {
    /// It is the recipe's name (pkgbase, Guix name).
    Recipe,
    /// It is one of the recipe's split packages.
    Package,
    /// One of the recipe's packages provides it.
    Provides,
}

/// A recipe as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRecipe {
    /// Row id.
    pub id: RecipeId,
    /// Origin.
    pub origin: Origin,
    /// Name (pkgbase or Guix name).
    pub name: String,
    /// Version as text (`[epoch:]pkgver[-pkgrel]`).
    pub version: String,
    /// The whole recipe.
    pub recipe: Recipe,
    /// The content hash it was stored with.
    pub content_hash: String,
    /// When first stored (Unix seconds).
    pub created_at: i64,
    /// When last changed (Unix seconds).
    pub updated_at: i64,
    /// How the name asked for was found.
    pub matched: NameMatch,
    /// The package the name matched, for [`NameMatch::Package`] and
    /// [`NameMatch::Provides`].
    pub package: Option<String>,
}

impl Store {
    /// Names of the current recipes of `origin` that `run` has not stored
    /// (neither added, updated nor found unchanged), sorted.
    pub fn names_not_seen(&self, run: RunId, origin: Origin) -> Result<Vec<String>, StoreError> {
        let doing = || format!("listing {origin} recipes not seen by import run {run}");
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT name FROM recipes
                 WHERE origin = ?1 AND removed_at IS NULL
                   AND (last_run_id IS NULL OR last_run_id <> ?2)
                 ORDER BY name",
            )
            .doing(doing)?;
        let rows = stmt
            .query_map((origin.as_str(), run.0), |row| row.get(0))
            .doing(doing)?;
        rows.collect::<Result<_, _>>().doing(doing)
    }

    /// Like [`Store::names_not_seen`], limited to recipes last read from
    /// `repository` — so importing one tree never removes what another
    /// tree (or the AUR mirror) brought in.
    pub fn names_not_seen_from(
        &self,
        run: RunId,
        origin: Origin,
        repository: &str,
    ) -> Result<Vec<String>, StoreError> {
        let doing =
            || format!("listing {origin} recipes from {repository} not seen by import run {run}");
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT r.name FROM recipes r JOIN provenance p ON p.recipe_id = r.id
                 WHERE r.origin = ?1 AND r.removed_at IS NULL AND p.repository = ?3
                   AND (r.last_run_id IS NULL OR r.last_run_id <> ?2)
                 ORDER BY r.name",
            )
            .doing(doing)?;
        let rows = stmt
            .query_map((origin.as_str(), run.0, repository), |row| row.get(0))
            .doing(doing)?;
        rows.collect::<Result<_, _>>().doing(doing)
    }

    /// The current recipe called `name` — a recipe name, else a split
    /// package's name, else a name a package provides — of `origin` if
    /// given. With several candidates of one kind, Arch comes before Guix
    /// and then names sort.
    pub fn recipe_by_name(
        &self,
        origin: Option<Origin>,
        name: &str,
    ) -> Result<Option<StoredRecipe>, StoreError> {
        let Some((id, matched, package)) = self.resolve_name(origin, name)? else {
            return Ok(None);
        };
        let mut stored = self.recipe_by_id(id)?;
        if let Some(s) = stored.as_mut() {
            s.matched = matched;
            s.package = package;
        }
        Ok(stored)
    }

    /// Resolves a name as [`Store::recipe_by_name`] does, to a recipe id,
    /// how it matched and the package it matched.
    pub(crate) fn resolve_name(
        &self,
        origin: Option<Origin>,
        name: &str,
    ) -> Result<Option<(RecipeId, NameMatch, Option<String>)>, StoreError> {
        let doing = || format!("looking up recipe name {name:?}");
        let row = self
            .conn
            .prepare_cached(
                "SELECT r.id, m.how, m.package FROM (
                     SELECT id AS recipe_id, 0 AS how, NULL AS package
                       FROM recipes WHERE name = ?1
                     UNION ALL
                     SELECT recipe_id, 1, name FROM packages WHERE name = ?1
                     UNION ALL
                     SELECT pr.recipe_id, 2, p.name FROM provides pr
                       JOIN packages p ON p.id = pr.package_id
                      WHERE pr.name = ?1
                 ) m
                 JOIN recipes r ON r.id = m.recipe_id
                 WHERE r.removed_at IS NULL AND (?2 IS NULL OR r.origin = ?2)
                 ORDER BY m.how, r.origin, r.name, m.package
                 LIMIT 1",
            )
            .doing(doing)?
            .query_row((name, origin.map(Origin::as_str)), |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?, row.get(2)?))
            })
            .optional()
            .doing(doing)?;
        Ok(row.map(|(id, how, package)| {
            let matched = match how {
                0 => NameMatch::Recipe,
                1 => NameMatch::Package,
                _ => NameMatch::Provides,
            };
            (RecipeId(id), matched, package)
        }))
    }

    /// A current recipe by id (found as [`NameMatch::Recipe`]).
    pub fn recipe_by_id(&self, id: RecipeId) -> Result<Option<StoredRecipe>, StoreError> {
        let doing = || format!("reading recipe {id}");
        let row = self
            .conn
            .prepare_cached(
                "SELECT origin, name, version, recipe_json, content_hash, created_at, updated_at
                 FROM recipes WHERE id = ?1 AND removed_at IS NULL",
            )
            .doing(doing)?
            .query_row([id.0], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, i64>(5)?,
                    row.get::<_, i64>(6)?,
                ))
            })
            .optional()
            .doing(doing)?;
        let Some((origin, name, version, json, content_hash, created_at, updated_at)) = row else {
            return Ok(None);
        };
        let recipe: Recipe = serde_json::from_str(&json)
            .doing(|| format!("reading the json of recipe {origin}/{name}"))?;
        Ok(Some(StoredRecipe {
            id,
            origin: origin_from_column(&origin, doing)?,
            name,
            version,
            recipe,
            content_hash,
            created_at,
            updated_at,
            matched: NameMatch::Recipe,
            package: None,
        }))
    }

    /// Every current recipe, of `origin` if given, sorted by origin and
    /// name: what whole-store comparisons and rebuild planning walk.
    pub fn current_recipes(&self, origin: Option<Origin>) -> Result<Vec<StoredRecipe>, StoreError> {
        let doing = || "listing the current recipes".to_owned();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, origin, name, version, recipe_json, content_hash, created_at, updated_at
                 FROM recipes WHERE removed_at IS NULL AND (?1 IS NULL OR origin = ?1)
                 ORDER BY origin, name",
            )
            .doing(doing)?;
        let rows = stmt
            .query_map([origin.map(Origin::as_str)], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, String>(5)?,
                    row.get::<_, i64>(6)?,
                    row.get::<_, i64>(7)?,
                ))
            })
            .doing(doing)?;
        let mut out = Vec::new();
        for row in rows {
            let (id, origin, name, version, json, content_hash, created_at, updated_at) =
                row.doing(doing)?;
            let recipe: Recipe = serde_json::from_str(&json)
                .doing(|| format!("reading the json of recipe {origin}/{name}"))?;
            out.push(StoredRecipe {
                id: RecipeId(id),
                origin: origin_from_column(&origin, doing)?,
                name,
                version,
                recipe,
                content_hash,
                created_at,
                updated_at,
                matched: NameMatch::Recipe,
                package: None,
            });
        }
        Ok(out)
    }

    /// The content hash stored for the current recipe `origin/name`, so an
    /// importer can skip reading files that have not changed.
    pub fn stored_content_hash(
        &self,
        origin: Origin,
        name: &str,
    ) -> Result<Option<String>, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT content_hash FROM recipes
                 WHERE origin = ?1 AND name = ?2 AND removed_at IS NULL",
            )
            .and_then(|mut s| {
                s.query_row((origin.as_str(), name), |row| row.get(0))
                    .optional()
            })
            .doing(|| format!("reading the content hash of {origin}/{name}"))
    }

    /// How many current recipes the store holds, of `origin` if given.
    pub fn count_recipes(&self, origin: Option<Origin>) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .prepare_cached(
                "SELECT count(*) FROM recipes
                 WHERE removed_at IS NULL AND (?1 IS NULL OR origin = ?1)",
            )
            .and_then(|mut s| s.query_row([origin.map(Origin::as_str)], |row| row.get(0)))
            .doing(|| "counting recipes".to_owned())?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Where the current version of recipe `id` was read from.
    pub fn provenance_of(&self, id: RecipeId) -> Result<Option<Provenance>, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT repository, git_commit, path, line FROM provenance WHERE recipe_id = ?1",
            )
            .and_then(|mut s| {
                s.query_row([id.0], |row| {
                    Ok(Provenance {
                        repository: row.get(0)?,
                        commit: row.get(1)?,
                        path: row.get(2)?,
                        line: row.get(3)?,
                    })
                })
                .optional()
            })
            .doing(|| format!("reading the provenance of recipe {id}"))
    }

    /// The import warnings of recipe `id`, in the order the importer gave.
    pub fn warnings_of(&self, id: RecipeId) -> Result<Vec<ImportWarning>, StoreError> {
        let doing = || format!("reading the warnings of recipe {id}");
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT file, line, kind, attribute, message FROM import_warnings
                 WHERE recipe_id = ?1 ORDER BY id",
            )
            .doing(doing)?;
        let rows = stmt
            .query_map([id.0], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, u32>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, Option<String>>(3)?,
                    row.get::<_, String>(4)?,
                ))
            })
            .doing(doing)?;
        let mut out = Vec::new();
        for row in rows {
            let (file, line, kind, attribute, message) = row.doing(doing)?;
            let kind = warning_kind_from_column(&kind).ok_or_else(|| StoreError::Corrupt {
                doing: doing(),
                what: "warning kind",
                value: kind.clone(),
            })?;
            out.push(ImportWarning {
                file,
                line,
                kind,
                attribute,
                message,
            });
        }
        Ok(out)
    }
}

/// The column value of a warning kind: its serde name (`command-substitution`).
pub(crate) fn warning_kind_column(kind: WarningKind) -> String {
    match serde_json::to_value(kind) {
        Ok(serde_json::Value::String(s)) => s,
        _ => format!("{kind:?}"),
    }
}

pub(crate) fn warning_kind_from_column(value: &str) -> Option<WarningKind> {
    serde_json::from_value(serde_json::Value::String(value.to_owned())).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{test_recipes, ImportKind};

    fn store_with_run() -> (Store, RunId) {
        let mut store = Store::open_in_memory().unwrap();
        let run = store.begin_import_run(ImportKind::Dir, "t", None).unwrap();
        (store, run)
    }

    #[test]
    fn recipe_round_trips_through_json_with_warnings_and_provenance() {
        let (mut store, run) = store_with_run();
        let recipe = test_recipes::split();
        let p = Provenance {
            repository: "https://aur.archlinux.org/libfoo.git".into(),
            commit: Some("0123abc".into()),
            path: "PKGBUILD".into(),
            line: None,
        };
        store.upsert_recipe(run, &recipe, &p, "h").unwrap();
        let stored = store
            .recipe_by_name(Some(Origin::Arch), "libfoo")
            .unwrap()
            .unwrap();
        assert_eq!(stored.recipe, recipe);
        assert_eq!(stored.version, "1.2-1");
        assert_eq!(stored.matched, NameMatch::Recipe);
        assert_eq!(store.provenance_of(stored.id).unwrap(), Some(p));
        assert_eq!(store.warnings_of(stored.id).unwrap(), recipe.warnings);
    }

    #[test]
    fn names_resolve_to_recipe_package_or_provision() {
        let (mut store, run) = store_with_run();
        let p = Provenance::default();
        store
            .upsert_recipe(run, &test_recipes::split(), &p, "h")
            .unwrap();
        let cases = [
            ("libfoo", Some((NameMatch::Recipe, None))),
            (
                "libfoo-docs",
                Some((NameMatch::Package, Some("libfoo-docs"))),
            ),
            ("libfoo.so", Some((NameMatch::Provides, Some("libfoo")))),
            ("libbar", None),
        ];
        for (name, want) in cases {
            let got = store.recipe_by_name(None, name).unwrap();
            let got = got.as_ref().map(|s| (s.matched, s.package.as_deref()));
            assert_eq!(got, want, "{name}");
        }
        assert!(store
            .recipe_by_name(Some(Origin::Guix), "libfoo")
            .unwrap()
            .is_none());
    }
}
