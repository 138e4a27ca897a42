//! The rebuild planner: given recipes that changed (a security fix, a new
//! version), which recipes must be rebuilt and in what order.
//!
//! The set is the reverse-dependency closure over `depends` and
//! `makedepends` (and `checkdepends` when asked), resolving provided names.
//! Dependency cycles inside that set are condensed into one unit and
//! reported, never hidden. Units are ordered into waves: every unit of a wave
//! depends only on units of earlier waves, so a wave can build in parallel.

mod graph;
mod scc;

use std::collections::HashMap;
use std::time::Duration;

use serde::Serialize;

pub use graph::{DependencyGraph, Edge, EdgeKind};

/// The hasher for name-keyed maps the planner reads (build durations):
/// a fast non-cryptographic one, as the keys are not chosen by an attacker
/// who could profit from collisions.
pub type FastHash = foldhash::fast::RandomState;

/// What the closure follows.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlanOptions {
    /// Follow `checkdepends` too.
    pub include_check: bool,
}

/// The rebuild plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RebuildPlan {
    /// Waves of recipe names; wave 0 holds the changed recipes that depend on
    /// no other recipe of the plan.
    pub waves: Vec<Vec<String>>,
    /// Dependency cycles found inside the plan (each built as one unit, in
    /// the wave of the cycle).
    pub cycles: Vec<Vec<String>>,
    /// The longest chain of dependencies through the plan, first to last.
    pub longest_chain: Vec<String>,
    /// Names asked for that are not in the graph.
    pub unknown: Vec<String>,
}

impl RebuildPlan {
    /// Number of recipes in the plan.
    pub fn len(&self) -> usize {
        self.waves.iter().map(Vec::len).sum()
    }

    /// Whether nothing is to be rebuilt.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Estimated wall time: each wave scheduled longest-first onto `slots`
    /// parallel slots, with the recipe's last build duration, or `default`
    /// for recipes never built.
    pub fn estimate<S: std::hash::BuildHasher>(
        &self,
        durations: &HashMap<String, Duration, S>,
        default: Duration,
        slots: usize,
    ) -> Duration {
        let slots = slots.max(1);
        let mut total = Duration::ZERO;
        for wave in &self.waves {
            let mut jobs: Vec<Duration> = wave
                .iter()
                .map(|n| durations.get(n).copied().unwrap_or(default))
                .collect();
            jobs.sort_unstable_by(|a, b| b.cmp(a));
            let mut load = vec![Duration::ZERO; slots];
            for job in jobs {
                if let Some(min) = load.iter_mut().min() {
                    *min += job;
                }
            }
            total += load.into_iter().max().unwrap_or_default();
        }
        total
    }
}

/// Plans the rebuild after `changed` recipes changed.
pub fn plan(graph: &DependencyGraph, changed: &[&str], opts: PlanOptions) -> RebuildPlan {
    let follows = |k: EdgeKind| k != EdgeKind::Check || opts.include_check;
    let mut unknown = Vec::new();
    let mut in_plan = vec![false; graph.len()];
    let mut members = Vec::new();
    let mut stack = Vec::new();
    for name in changed {
        match graph.find(name) {
            Some(n) => stack.push(n),
            None => unknown.push((*name).to_owned()),
        }
    }
    while let Some(n) = stack.pop() {
        if in_plan[n] {
            continue;
        }
        in_plan[n] = true;
        members.push(n);
        for e in graph.dependents_of(n) {
            if follows(e.kind()) && !in_plan[e.node()] {
                stack.push(e.node());
            }
        }
    }
    members.sort_unstable();

    // Condense cycles: component id of every member.
    let components = scc::strongly_connected(graph, &members, &in_plan, &follows);
    let mut component_of = vec![usize::MAX; graph.len()];
    for (c, nodes) in components.iter().enumerate() {
        for &n in nodes {
            component_of[n] = c;
        }
    }
    // Tarjan yields components with dependencies before dependents, so one
    // pass in that order gives each its wave and its longest chain.
    let mut wave_of = vec![0usize; components.len()];
    let mut chain_prev: Vec<Option<usize>> = vec![None; components.len()];
    for (c, nodes) in components.iter().enumerate() {
        for &n in nodes {
            for e in graph.dependencies_of(n) {
                let dep = e.node();
                if !follows(e.kind()) || !in_plan[dep] {
                    continue;
                }
                let dc = component_of[dep];
                if dc != c && wave_of[dc] + 1 > wave_of[c] {
                    wave_of[c] = wave_of[dc] + 1;
                    chain_prev[c] = Some(dc);
                }
            }
        }
    }
    let depth = wave_of.iter().copied().max().map_or(0, |m| m + 1);
    // Waves as nodes first: sorting indices by name and making each name
    // once is much cheaper than sorting owned strings.
    let mut wave_nodes: Vec<Vec<usize>> =
        vec![Vec::new(); if components.is_empty() { 0 } else { depth }];
    let mut cycles = Vec::new();
    for (c, nodes) in components.iter().enumerate() {
        if nodes.len() > 1 {
            let mut names: Vec<String> = nodes.iter().map(|&n| graph.name(n).to_owned()).collect();
            names.sort_unstable();
            cycles.push(names);
        }
        wave_nodes[wave_of[c]].extend_from_slice(nodes);
    }
    let waves: Vec<Vec<String>> = wave_nodes
        .into_iter()
        .map(|mut w| {
            w.sort_unstable_by(|&a, &b| graph.cmp_names(a, b));
            w.into_iter().map(|n| graph.name(n).to_owned()).collect()
        })
        .collect();
    let longest_chain = match (0..components.len()).max_by_key(|&c| wave_of[c]) {
        Some(mut c) => {
            let mut chain = vec![graph.name(components.get(c)[0]).to_owned()];
            while let Some(p) = chain_prev[c] {
                chain.push(graph.name(components.get(p)[0]).to_owned());
                c = p;
            }
            chain.reverse();
            chain
        }
        None => Vec::new(),
    };
    cycles.sort();
    RebuildPlan {
        waves,
        cycles,
        longest_chain,
        unknown,
    }
}

#[cfg(test)]
mod tests;

/// The dependency graph of the current recipes of `origin` in the store.
pub fn graph_from_store(
    store: &crate::store::Store,
    origin: kiln_normalizer::Origin,
) -> Result<DependencyGraph, crate::store::StoreError> {
    use kiln_normalizer::DependencyKind;
    let rows = store.graph_rows(origin)?;
    let mut graph = DependencyGraph::new();
    for (recipe, provided) in &rows.provides {
        graph.node(recipe);
        if recipe != provided {
            graph.add_provides(recipe, provided);
        }
    }
    for (recipe, dependency, kind) in &rows.dependencies {
        let kind = match kind {
            DependencyKind::Runtime => EdgeKind::Runtime,
            DependencyKind::Build => EdgeKind::Build,
            _ => EdgeKind::Check,
        };
        graph.add_dependency(recipe, dependency, kind);
    }
    graph.finish();
    Ok(graph)
}
