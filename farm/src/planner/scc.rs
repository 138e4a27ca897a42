//! Strongly connected components of the plan's subgraph (Tarjan's
//! algorithm, iterative so that long chains cannot overflow the stack).

use super::graph::{DependencyGraph, EdgeKind};

/// Components of `members` (nodes with `in_plan` set), following edges from
/// a recipe to its dependencies. Components come out with dependencies
/// before dependents.
pub(super) fn strongly_connected(
    graph: &DependencyGraph,
    members: &[usize],
    in_plan: &[bool],
    follows: &dyn Fn(EdgeKind) -> bool,
) -> Vec<Vec<usize>> {
    const UNSEEN: usize = usize::MAX;
    let n = graph.len();
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<usize> = Vec::new();
    let mut components = Vec::new();
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
            if let Some(&(w, kind)) = deps.get(*pos) {
                *pos += 1;
                if !in_plan[w] || !follows(kind) {
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
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                components.push(component);
            }
        }
    }
    components
}
