//! The build scheduler: what to queue for a request (a recipe and those of
//! its dependencies that are recipes in the store and have no successful
//! build of their current version), in dependency order.
//!
//! The queue itself lives in the store (leases with epochs and deadlines,
//! retries, the dependency-failed cascade); the coordinator leases from it
//! and runs builds on executors.

use std::collections::HashMap;

use kiln_normalizer::{DependencyKind, Origin};

mod wave;

pub use wave::{
    plan_advisory, plan_dependents, queue_wave, waves_after_import, TriggeredWave, WavePlan,
    DEFAULT_DURATION,
};

use crate::store::{BuildId, Lane, NewBuild, RecipeId, Store, StoreError, StoredRecipe};

/// How to queue builds.
#[derive(Debug, Clone)]
pub struct QueueOptions {
    /// Origin of the names asked for (and of the dependencies resolved).
    pub origin: Option<Origin>,
    /// Priority within the lane.
    pub priority: i64,
    /// The lane.
    pub lane: Lane,
    /// The rebuild wave.
    pub wave: Option<i64>,
    /// Also wait for check dependencies.
    pub check_dependencies: bool,
    /// Queue the recipe even when a successful build of its current
    /// version exists (a rebuild).
    pub rebuild: bool,
}

impl Default for QueueOptions {
    fn default() -> Self {
        QueueOptions {
            origin: None,
            priority: 0,
            lane: Lane::Normal,
            wave: None,
            check_dependencies: false,
            rebuild: true,
        }
    }
}

/// What queueing a name did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Queued {
    /// The recipe.
    pub name: String,
    /// Its version.
    pub version: String,
    /// Its build.
    pub build: BuildId,
    /// Whether the build was already queued or running (and reused).
    pub reused: bool,
    /// Whether it was queued as a dependency of what was asked for.
    pub dependency: bool,
}

/// Why a name could not be queued.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No such recipe.
    #[error("no recipe {0:?} in the store")]
    NoSuchRecipe(String),
}

/// Queues builds of `names` and of the dependencies they need built first.
/// Returns every build involved, dependencies before their dependents.
pub fn queue(
    store: &mut Store,
    names: &[String],
    options: &QueueOptions,
) -> Result<Vec<Queued>, QueueError> {
    let mut planner = Planner {
        store,
        options,
        done: HashMap::new(),
        out: Vec::new(),
    };
    for name in names {
        let recipe = planner
            .store
            .recipe_by_name(options.origin, name)?
            .ok_or_else(|| QueueError::NoSuchRecipe(name.clone()))?;
        planner.visit(&recipe, false, &mut Vec::new())?;
    }
    Ok(planner.out)
}

struct Planner<'a> {
    store: &'a mut Store,
    options: &'a QueueOptions,
    /// Recipes handled: the build to wait on, if any.
    done: HashMap<RecipeId, Option<BuildId>>,
    out: Vec<Queued>,
}

impl Planner<'_> {
    /// Ensures `recipe` is built; returns the build its dependents must
    /// wait on (`None` when a successful build of its version exists).
    fn visit(
        &mut self,
        recipe: &StoredRecipe,
        dependency: bool,
        path: &mut Vec<RecipeId>,
    ) -> Result<Option<BuildId>, QueueError> {
        if let Some(done) = self.done.get(&recipe.id) {
            return Ok(*done);
        }
        if path.contains(&recipe.id) {
            // A dependency cycle: the build further up does not wait on
            // this one again (makepkg would need a bootstrap anyway).
            return Ok(None);
        }
        if let Some(active) = self.store.active_build_of(recipe.id)? {
            self.done.insert(recipe.id, Some(active));
            self.out.push(Queued {
                name: recipe.name.clone(),
                version: recipe.version.clone(),
                build: active,
                reused: true,
                dependency,
            });
            return Ok(Some(active));
        }
        if dependency
            && self
                .store
                .last_successful_build(recipe.id, Some(&recipe.version))?
                .is_some()
        {
            self.done.insert(recipe.id, None);
            return Ok(None);
        }
        path.push(recipe.id);
        let mut waits_on = Vec::new();
        for dep in self
            .store
            .dependencies_of(&recipe.name, Some(recipe.origin))?
        {
            let wanted = match dep.kind {
                DependencyKind::Runtime | DependencyKind::Build => true,
                DependencyKind::Check => self.options.check_dependencies,
                DependencyKind::Optional => false,
            };
            if !wanted {
                continue;
            }
            let Some(target) = self.store.recipe_by_name(Some(recipe.origin), &dep.name)? else {
                continue; // provided by the build image, not a recipe here
            };
            if target.id == recipe.id {
                continue;
            }
            if let Some(b) = self.visit(&target, true, path)? {
                if !waits_on.contains(&b) {
                    waits_on.push(b);
                }
            }
        }
        path.pop();
        let build = self.store.queue_build(&NewBuild {
            recipe: recipe.id,
            priority: self.options.priority,
            lane: self.options.lane,
            wave: self.options.wave,
            waits_on,
        })?;
        self.done.insert(recipe.id, Some(build));
        self.out.push(Queued {
            name: recipe.name.clone(),
            version: recipe.version.clone(),
            build,
            reused: false,
            dependency,
        });
        Ok(Some(build))
    }
}

#[cfg(test)]
mod tests;
