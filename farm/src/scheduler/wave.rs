//! Rebuild waves: planning the rebuild after a change or a security fix,
//! and queueing it in the wave lane, each build waiting on the builds of
//! its dependencies in the plan, so a failure blocks only its dependents.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use kiln_normalizer::compare::NameMap;
use kiln_normalizer::Origin;
use serde::Serialize;

use super::{QueueError, Queued};
use crate::advisory::{assess, order_of, Advisory, State};
use crate::planner::{graph_from_store, plan, DependencyGraph, PlanOptions, RebuildPlan};
use crate::store::{BuildId, Lane, NewBuild, Store};

/// A plan with what the dry run prints.
#[derive(Debug, Clone, Serialize)]
pub struct WavePlan {
    /// The origin of its recipes.
    pub origin: Origin,
    /// The recipes that changed (or were fixed).
    pub changed: Vec<String>,
    /// The plan.
    pub plan: RebuildPlan,
    /// Dependents left out, with the reason (built against a fixed version
    /// already, never built ...).
    pub skipped: Vec<(String, String)>,
    /// Estimated wall time in seconds with the configured slots.
    pub estimate_secs: u64,
    /// Slots the estimate assumed.
    pub slots: usize,
}

/// What the estimate assumes for a recipe never built.
pub const DEFAULT_DURATION: Duration = Duration::from_secs(600);

fn estimate(store: &Store, plan: &RebuildPlan, slots: usize) -> Result<u64, QueueError> {
    let durations: HashMap<String, Duration, crate::planner::FastHash> = store
        .build_durations()?
        .into_iter()
        .map(|(n, s)| (n, Duration::from_secs(u64::try_from(s).unwrap_or(0))))
        .collect();
    Ok(plan.estimate(&durations, DEFAULT_DURATION, slots).as_secs())
}

/// Plans rebuilding `changed` and everything that depends on them.
pub fn plan_dependents(
    store: &Store,
    origin: Origin,
    changed: &[String],
    options: PlanOptions,
    slots: usize,
) -> Result<WavePlan, QueueError> {
    let graph = graph_from_store(store, origin)?;
    let names: Vec<&str> = changed.iter().map(String::as_str).collect();
    let plan = plan(&graph, &names, options);
    Ok(WavePlan {
        origin,
        changed: changed.to_vec(),
        estimate_secs: estimate(store, &plan, slots)?,
        plan,
        skipped: Vec::new(),
        slots,
    })
}

/// Plans the rebuild an advisory calls for: the recipes the store holds
/// at a fixed version, then every dependent whose last successful build
/// was built against an affected version of one of them.
pub fn plan_advisory(
    store: &Store,
    advisory: &Advisory,
    names: &dyn NameMap,
    options: PlanOptions,
    slots: usize,
) -> Result<Vec<WavePlan>, QueueError> {
    let assessed = assess(store, advisory, names)?;
    let mut out = Vec::new();
    for origin in [Origin::Arch, Origin::Guix] {
        let fixed: Vec<_> = assessed
            .iter()
            .filter(|a| a.origin == origin && a.state == State::Fixed)
            .collect();
        if fixed.is_empty() {
            continue;
        }
        let changed: Vec<String> = fixed.iter().map(|a| a.name.clone()).collect();
        let graph = graph_from_store(store, origin)?;
        let names: Vec<&str> = changed.iter().map(String::as_str).collect();
        let full = plan(&graph, &names, options);
        let mut keep: HashSet<String> = changed.iter().cloned().collect();
        // Dependents rebuilt in this wave: what depends on them is rebuilt
        // too (it was built against the artifacts being replaced).
        let mut rebuilt: HashSet<String> = HashSet::new();
        let mut skipped = Vec::new();
        for name in full.waves.iter().flatten() {
            if keep.contains(name) {
                continue;
            }
            let via_rebuilt = graph.find(name).is_some_and(|n| {
                graph
                    .dependencies_of(n)
                    .iter()
                    .any(|e| rebuilt.contains(graph.name(e.node())))
            });
            let against =
                built_against_affected(store, origin, name, advisory, &fixed_names(&fixed))?;
            if via_rebuilt || against == Some(true) {
                keep.insert(name.clone());
                rebuilt.insert(name.clone());
                continue;
            }
            skipped.push((
                name.clone(),
                match against {
                    Some(_) => "last built against a fixed version".to_owned(),
                    None => "never built successfully".to_owned(),
                },
            ));
        }
        let plan = RebuildPlan {
            waves: full
                .waves
                .iter()
                .map(|w| w.iter().filter(|n| keep.contains(*n)).cloned().collect())
                .filter(|w: &Vec<String>| !w.is_empty())
                .collect(),
            cycles: full.cycles.clone(),
            longest_chain: full
                .longest_chain
                .iter()
                .filter(|n| keep.contains(*n))
                .cloned()
                .collect(),
            unknown: full.unknown.clone(),
        };
        out.push(WavePlan {
            origin,
            changed,
            estimate_secs: estimate(store, &plan, slots)?,
            plan,
            skipped,
            slots,
        });
    }
    Ok(out)
}

fn fixed_names(fixed: &[&crate::advisory::Assessment]) -> Vec<String> {
    fixed.iter().map(|a| a.name.clone()).collect()
}

/// Whether `name`'s last successful build was built against a version of
/// one of `fixed` that `advisory` names affected; `None` when never built.
fn built_against_affected(
    store: &Store,
    origin: Origin,
    name: &str,
    advisory: &Advisory,
    fixed: &[String],
) -> Result<Option<bool>, QueueError> {
    let Some(recipe) = store.recipe_by_name(Some(origin), name)? else {
        return Ok(None);
    };
    let Some(build) = store.last_successful_build(recipe.id, None)? else {
        return Ok(None);
    };
    let cmp = order_of(origin);
    let inputs = store.build_inputs(build.id)?;
    Ok(Some(inputs.iter().any(|input| {
        fixed.contains(&input.name)
            && advisory.affected.iter().any(|a| {
                a.origin == Some(origin)
                    && a.name == input.name
                    && (a.ranges.iter().any(|r| r.contains(&input.version, cmp))
                        || a.versions.iter().any(|v| cmp(v, &input.version).is_eq()))
            })
    })))
}

/// Queues a planned wave in the wave lane; records it as a wave. Each
/// build waits on the builds of the plan's recipes it depends on.
pub fn queue_wave(
    store: &mut Store,
    wave: &WavePlan,
    trigger: &str,
    advisory: Option<&str>,
    priority: i64,
) -> Result<(i64, Vec<Queued>), QueueError> {
    let plan_json = serde_json::to_string(wave).map_err(|e| {
        QueueError::Store(crate::store::StoreError::Json {
            doing: "recording a wave plan".to_owned(),
            source: e,
        })
    })?;
    let wave_id = store.create_wave(trigger, advisory, wave.origin, &plan_json)?;
    let graph: DependencyGraph = graph_from_store(store, wave.origin)?;
    let mut builds: HashMap<String, BuildId> = HashMap::new();
    let mut out = Vec::new();
    for name in wave.plan.waves.iter().flatten() {
        let Some(recipe) = store.recipe_by_name(Some(wave.origin), name)? else {
            continue;
        };
        let mut waits_on = Vec::new();
        if let Some(node) = graph.find(name) {
            for e in graph.dependencies_of(node) {
                if let Some(b) = builds.get(graph.name(e.node())) {
                    if !waits_on.contains(b) {
                        waits_on.push(*b);
                    }
                }
            }
        }
        let build = store.queue_build(&NewBuild {
            recipe: recipe.id,
            priority,
            lane: Lane::Wave,
            wave: Some(wave_id),
            waits_on,
        })?;
        builds.insert(name.clone(), build);
        out.push(Queued {
            name: name.clone(),
            version: recipe.version.clone(),
            build,
            reused: false,
            dependency: !wave.changed.contains(name),
        });
    }
    Ok((wave_id, out))
}

/// A wave an import started.
#[derive(Debug, Clone, Serialize)]
pub struct TriggeredWave {
    /// The advisory whose fix the import brought.
    pub advisory: String,
    /// The recipe that changed, with its old and new versions.
    pub recipe: String,
    /// Its old version.
    pub old_version: String,
    /// Its new version.
    pub new_version: String,
    /// The wave.
    pub wave: i64,
    /// Its builds.
    pub builds: Vec<Queued>,
}

/// After import run `run`: every recipe it updated from a version an
/// advisory names affected to one it names fixed starts that advisory's
/// rebuild wave.
pub fn waves_after_import(
    store: &mut Store,
    run: crate::store::RunId,
    names: &dyn NameMap,
    slots: usize,
) -> Result<Vec<TriggeredWave>, QueueError> {
    use crate::store::ChangeKind;
    let mut out = Vec::new();
    for event in store.change_events(Some(run))? {
        let (ChangeKind::Updated, Some(old), Some(new)) =
            (event.kind, &event.old_version, &event.new_version)
        else {
            continue;
        };
        let cmp = order_of(event.origin);
        for advisory in store.advisories_naming(event.origin, &event.name)? {
            let judged: Vec<_> = advisory
                .affected
                .iter()
                .filter(|a| a.origin == Some(event.origin) && a.name == event.name)
                .collect();
            let affected = |v: &str| {
                judged.iter().any(|a| {
                    a.ranges.iter().any(|r| r.contains(v, cmp))
                        || a.versions.iter().any(|x| cmp(x, v).is_eq())
                })
            };
            if !affected(old) || affected(new) {
                continue;
            }
            for plan in plan_advisory(store, &advisory, names, PlanOptions::default(), slots)? {
                if plan.origin != event.origin || !plan.changed.contains(&event.name) {
                    continue;
                }
                let trigger = format!(
                    "import run {run}: {} {old} -> {new} fixes {}",
                    event.name, advisory.id
                );
                let (wave, builds) = queue_wave(store, &plan, &trigger, Some(&advisory.id), 0)?;
                out.push(TriggeredWave {
                    advisory: advisory.id.clone(),
                    recipe: event.name.clone(),
                    old_version: old.clone(),
                    new_version: new.clone(),
                    wave,
                    builds,
                });
            }
        }
    }
    Ok(out)
}
