//! The dependency graph the rebuild planner walks: recipes as nodes, an edge
//! from each dependency to the recipes that need it, with provided names
//! (`libfoo.so`, virtual packages) resolved to the recipes that provide them.

use std::collections::HashMap;

/// Which dependency arrays make an edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeKind {
    /// `depends`
    Runtime,
    /// `makedepends`
    Build,
    /// `checkdepends`
    Check,
}

/// Recipes and who depends on whom, indexed for reverse look-ups.
#[derive(Debug, Default, Clone)]
pub struct DependencyGraph {
    names: Vec<String>,
    index: HashMap<String, usize>,
    /// For a provided name, the recipes that provide it (its own name included).
    providers: HashMap<String, Vec<usize>>,
    /// Unresolved edges, kept until [`DependencyGraph::finish`]: (dependent, name, kind).
    pending: Vec<(usize, String, EdgeKind)>,
    /// For each node, the nodes that depend on it, with the edge kind.
    dependents: Vec<Vec<(usize, EdgeKind)>>,
    /// For each node, the nodes it depends on.
    dependencies: Vec<Vec<(usize, EdgeKind)>>,
}

impl DependencyGraph {
    /// An empty graph.
    pub fn new() -> Self {
        Self::default()
    }

    /// The node of a recipe name, adding it if new.
    pub fn node(&mut self, name: &str) -> usize {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.names.len();
        self.names.push(name.to_owned());
        self.index.insert(name.to_owned(), i);
        self.providers.entry(name.to_owned()).or_default().push(i);
        self.dependents.push(Vec::new());
        self.dependencies.push(Vec::new());
        i
    }

    /// Records that recipe `name` provides `provided` (a soname, a virtual name).
    pub fn add_provides(&mut self, name: &str, provided: &str) {
        let i = self.node(name);
        let list = self.providers.entry(provided.to_owned()).or_default();
        if !list.contains(&i) {
            list.push(i);
        }
    }

    /// Records that `name` depends on `dependency` (a recipe or a provided name).
    pub fn add_dependency(&mut self, name: &str, dependency: &str, kind: EdgeKind) {
        let i = self.node(name);
        self.pending.push((i, dependency.to_owned(), kind));
    }

    /// Resolves every recorded dependency through the providers; names no
    /// recipe provides are left out (they are outside the store).
    pub fn finish(&mut self) {
        for (dependent, dep, kind) in std::mem::take(&mut self.pending) {
            let Some(providers) = self.providers.get(&dep) else {
                continue;
            };
            for &p in providers {
                if p != dependent {
                    self.dependents[p].push((dependent, kind));
                    self.dependencies[dependent].push((p, kind));
                }
            }
        }
    }

    /// Number of recipes.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether the graph has no recipes.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The name of a node.
    pub fn name(&self, node: usize) -> &str {
        &self.names[node]
    }

    /// The node of a recipe, if present.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// The recipes providing `name` (a recipe's own name or a provision).
    pub fn providers_of(&self, name: &str) -> &[usize] {
        self.providers
            .get(name)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The nodes that depend on `node`, with the edge kind.
    pub fn dependents_of(&self, node: usize) -> &[(usize, EdgeKind)] {
        &self.dependents[node]
    }

    /// The nodes `node` depends on, with the edge kind.
    pub fn dependencies_of(&self, node: usize) -> &[(usize, EdgeKind)] {
        &self.dependencies[node]
    }

    /// How many recipes depend on `node` directly.
    pub fn in_degree(&self, node: usize) -> usize {
        self.dependents[node].len()
    }
}
