//! Strongly connected components of the plan's subgraph (Tarjan's
//! algorithm, iterative so that long chains cannot overflow the stack).

use super::graph::{DependencyGraph, EdgeKind};

/// Strongly connected components, stored flat: component `c` is
/// `nodes[starts[c]..starts[c + 1]]`.
pub(super) struct Components {
    nodes: Vec<usize>,
    starts: Vec<usize>,
}

impl Components {
    /// Number of components.
    pub(super) fn len(&self) -> usize {
        self.starts.len() - 1
    }

    /// Whether there are none.
    pub(super) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The nodes of component `c`.
    pub(super) fn get(&self, c: usize) -> &[usize] {
        &self.nodes[self.starts[c]..self.starts[c + 1]]
    }

    /// Every component in order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &[usize]> {
        self.starts.windows(2).map(|w| &self.nodes[w[0]..w[1]])
    }
}

/// Components of `members` (nodes with `in_plan` set), following edges from
/// a recipe to its dependencies. Components come out with dependencies
/// before dependents.
pub(super) fn strongly_connected(
    graph: &DependencyGraph,
    members: &[usize],
    in_plan: &[bool],
    follows: &dyn Fn(EdgeKind) -> bool,
) -> Components {
    const UNSEEN: usize = usize::MAX;
    let n = graph.len();
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<usize> = Vec::new();
    let mut components = Components {
        nodes: Vec::with_capacity(members.len()),
        starts: vec![0],
    };
    let mut next = 0usize;
    // Call frames: (node, position in its dependency list).
    let mut frames: Vec<(usize, usize)> = Vec::new();
    for &root in members {
        if index[root] != UNSEEN {
            continue;
        }
        frames.push((root, 0));
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut pos)) = frames.last_mut() {
            let deps = graph.dependencies_of(v);
            if let Some(&e) = deps.get(*pos) {
                *pos += 1;
                let w = e.node();
                if !in_plan[w] || !follows(e.kind()) {
                    continue;
                }
                if index[w] == UNSEEN {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    frames.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            frames.pop();
            if let Some(&(parent, _)) = frames.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    components.nodes.push(w);
                    if w == v {
                        break;
                    }
                }
                components.starts.push(components.nodes.len());
            }
        }
    }
    components
}
