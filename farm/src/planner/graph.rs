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

/// One edge as the planner stores it: the node at the other end and the
/// edge's kind, packed in 32 bits so that walking the closure of a
/// 100,000-recipe graph touches as little memory as it can.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge(u32);

impl Edge {
    fn new(node: u32, kind: EdgeKind) -> Self {
        assert!(node < 1 << 30, "fewer than 2^30 recipes");
        let k = match kind {
            EdgeKind::Runtime => 0,
            EdgeKind::Build => 1,
            EdgeKind::Check => 2,
        };
        Edge(node << 2 | k)
    }

    /// The node at the other end.
    pub fn node(self) -> usize {
        (self.0 >> 2) as usize
    }

    /// Which dependency array made the edge.
    pub fn kind(self) -> EdgeKind {
        match self.0 & 3 {
            0 => EdgeKind::Runtime,
            1 => EdgeKind::Build,
            _ => EdgeKind::Check,
        }
    }
}

/// Adjacency lists stored flat: node `n`'s edges are
/// `edges[starts[n]..starts[n + 1]]`.
#[derive(Debug, Default, Clone)]
struct Adjacency {
    starts: Vec<u32>,
    edges: Vec<Edge>,
}

impl Adjacency {
    /// Lists from `(from, to, kind)` triples, for `nodes` nodes.
    fn build(nodes: usize, triples: &[(u32, u32, EdgeKind)]) -> Self {
        let mut starts = vec![0u32; nodes + 1];
        for &(from, _, _) in triples {
            starts[from as usize + 1] += 1;
        }
        for i in 0..nodes {
            starts[i + 1] += starts[i];
        }
        let mut fill: Vec<u32> = starts[..nodes].to_vec();
        let mut edges = vec![Edge(0); triples.len()];
        for &(from, to, kind) in triples {
            let at = &mut fill[from as usize];
            edges[*at as usize] = Edge::new(to, kind);
            *at += 1;
        }
        Adjacency { starts, edges }
    }

    fn of(&self, node: usize) -> &[Edge] {
        match (self.starts.get(node), self.starts.get(node + 1)) {
            (Some(&a), Some(&b)) => &self.edges[a as usize..b as usize],
            // A node added after `finish`: no resolved edges yet.
            _ => &[],
        }
    }
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
    /// For each node, the nodes that depend on it.
    dependents: Adjacency,
    /// For each node, the nodes it depends on.
    dependencies: Adjacency,
    /// Each node's place in the order of names, set by
    /// [`DependencyGraph::finish`], so plans sort by an integer.
    name_rank: Vec<u32>,
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
    /// recipe provides are left out (they are outside the store). May be
    /// called again after more recipes and dependencies were added.
    pub fn finish(&mut self) {
        let n = self.names.len();
        let mut by_name: Vec<usize> = (0..n).collect();
        by_name.sort_unstable_by(|&a, &b| self.names[a].cmp(&self.names[b]));
        self.name_rank = vec![0; n];
        for (rank, &node) in by_name.iter().enumerate() {
            self.name_rank[node] = u32::try_from(rank).unwrap_or(u32::MAX);
        }
        let as_u32 = |i: usize| u32::try_from(i).expect("fewer than 2^30 recipes");
        // (dependent, dependency, kind), the edges resolved before included.
        let mut triples: Vec<(u32, u32, EdgeKind)> = Vec::new();
        for dependent in 0..n {
            for e in self.dependencies.of(dependent) {
                triples.push((as_u32(dependent), as_u32(e.node()), e.kind()));
            }
        }
        for (dependent, dep, kind) in std::mem::take(&mut self.pending) {
            let Some(providers) = self.providers.get(&dep) else {
                continue;
            };
            for &p in providers {
                if p != dependent {
                    triples.push((as_u32(dependent), as_u32(p), kind));
                }
            }
        }
        self.dependencies = Adjacency::build(n, &triples);
        for t in &mut triples {
            *t = (t.1, t.0, t.2);
        }
        self.dependents = Adjacency::build(n, &triples);
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

    /// Orders two nodes by name.
    pub fn cmp_names(&self, a: usize, b: usize) -> std::cmp::Ordering {
        match (self.name_rank.get(a), self.name_rank.get(b)) {
            (Some(x), Some(y)) => x.cmp(y),
            // Nodes added after `finish`: compare the names themselves.
            _ => self.names[a].cmp(&self.names[b]),
        }
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

    /// The nodes that depend on `node`, with the edge kind (resolved by
    /// the last [`DependencyGraph::finish`]).
    pub fn dependents_of(&self, node: usize) -> &[Edge] {
        self.dependents.of(node)
    }

    /// The nodes `node` depends on, with the edge kind.
    pub fn dependencies_of(&self, node: usize) -> &[Edge] {
        self.dependencies.of(node)
    }

    /// How many recipes depend on `node` directly.
    pub fn in_degree(&self, node: usize) -> usize {
        self.dependents.of(node).len()
    }
}
