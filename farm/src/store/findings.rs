//! Findings: problems found in a current recipe beyond its import warnings
//! (a `.SRCINFO` that disagrees with its PKGBUILD ...), recorded by importers
//! and checks, cleared when the recipe changes.

use kiln_normalizer::Origin;

use super::error::{Doing, StoreError};
use super::{now, RecipeId, RunId, Store};

/// A problem found in a current recipe (a stale `.SRCINFO` ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The recipe.
    pub recipe: RecipeId,
    /// The run that found it, if any.
    pub run: Option<RunId>,
    /// A short kebab-case kind (`stale-srcinfo`).
    pub kind: String,
    /// A lower-case sentence.
    pub message: String,
}

impl Store {
    /// Records a finding about the current recipe `origin/name`. Findings
    /// describe one version: storing a changed recipe clears them.
    pub fn record_finding(
        &mut self,
        run: Option<RunId>,
        origin: Origin,
        name: &str,
        kind: &str,
        message: &str,
    ) -> Result<(), StoreError> {
        let doing = || format!("recording a {kind} finding on {origin}/{name}");
        let changed = self
            .conn
            .prepare_cached(
                "INSERT INTO findings (recipe_id, run_id, kind, message, recorded_at)
                 SELECT id, ?3, ?4, ?5, ?6 FROM recipes
                 WHERE origin = ?1 AND name = ?2 AND removed_at IS NULL",
            )
            .and_then(|mut s| {
                s.execute((
                    origin.as_str(),
                    name,
                    run.map(|r| r.0),
                    kind,
                    message,
                    now(),
                ))
            })
            .doing(doing)?;
        if changed == 0 {
            return Err(StoreError::NoSuchRecipe {
                doing: doing(),
                origin: origin.to_string(),
                name: name.to_owned(),
            });
        }
        Ok(())
    }

    /// The findings on recipe `id`, in the order recorded.
    pub fn findings_of(&self, id: RecipeId) -> Result<Vec<Finding>, StoreError> {
        let doing = || format!("listing the findings of recipe {id}");
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT run_id, kind, message FROM findings WHERE recipe_id = ?1 ORDER BY id",
            )
            .doing(doing)?;
        let rows = stmt
            .query_map([id.0], |row| {
                Ok(Finding {
                    recipe: id,
                    run: row.get::<_, Option<i64>>(0)?.map(RunId),
                    kind: row.get(1)?,
                    message: row.get(2)?,
                })
            })
            .doing(doing)?;
        rows.collect::<Result<_, _>>().doing(doing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{test_recipes, ImportKind, Provenance};

    #[test]
    fn findings_attach_to_current_recipes_and_clear_on_update() {
        let mut store = Store::open_in_memory().unwrap();
        let run = store.begin_import_run(ImportKind::Dir, "t", None).unwrap();
        let p = Provenance::default();
        store
            .upsert_recipe(run, &test_recipes::single("x", "1"), &p, "a")
            .unwrap();
        store
            .record_finding(
                Some(run),
                Origin::Arch,
                "x",
                "stale-srcinfo",
                ".SRCINFO says 0.9",
            )
            .unwrap();
        let id = store.recipe_by_name(None, "x").unwrap().unwrap().id;
        assert_eq!(store.findings_of(id).unwrap()[0].kind, "stale-srcinfo");
        assert!(matches!(
            store.record_finding(None, Origin::Guix, "x", "k", "m"),
            Err(StoreError::NoSuchRecipe { .. })
        ));
        store
            .upsert_recipe(run, &test_recipes::single("x", "2"), &p, "b")
            .unwrap();
        assert!(store.findings_of(id).unwrap().is_empty());
    }
}
