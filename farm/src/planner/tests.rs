//! Tests of the rebuild planner on small graphs named after what they check.

use std::collections::HashMap;
use std::time::Duration;

use super::*;

fn graph(edges: &[(&str, &str)]) -> DependencyGraph {
    let mut g = DependencyGraph::new();
    for (dependent, dependency) in edges {
        g.node(dependency);
        g.add_dependency(dependent, dependency, EdgeKind::Runtime);
    }
    g.finish();
    g
}

#[test]
fn libfoo_then_its_dependents_in_waves() {
    let g = graph(&[
        ("app", "libfoo"),
        ("tool", "libfoo"),
        ("suite", "app"),
        ("other", "zlib"),
    ]);
    let p = plan(&g, &["libfoo"], PlanOptions::default());
    assert_eq!(
        p.waves,
        vec![vec!["libfoo"], vec!["app", "tool"], vec!["suite"]]
    );
    assert_eq!(p.longest_chain, ["libfoo", "app", "suite"]);
    assert!(p.cycles.is_empty());
    assert_eq!(p.len(), 4);
}

#[test]
fn provides_are_resolved() {
    let mut g = DependencyGraph::new();
    g.add_provides("libfoo", "libfoo.so");
    g.add_dependency("app", "libfoo.so", EdgeKind::Runtime);
    g.add_dependency("tool", "libfoo", EdgeKind::Build);
    g.finish();
    let p = plan(&g, &["libfoo"], PlanOptions::default());
    assert_eq!(p.waves, vec![vec!["libfoo"], vec!["app", "tool"]]);
}

#[test]
fn cycles_are_condensed_and_reported() {
    let g = graph(&[("a", "lib"), ("b", "a"), ("a", "b"), ("c", "b")]);
    let p = plan(&g, &["lib"], PlanOptions::default());
    assert_eq!(p.cycles, vec![vec!["a", "b"]]);
    assert_eq!(p.waves, vec![vec!["lib"], vec!["a", "b"], vec!["c"]]);
}

#[test]
fn checkdepends_only_when_asked() {
    let mut g = DependencyGraph::new();
    g.node("pytest");
    g.add_dependency("python-foo", "pytest", EdgeKind::Check);
    g.finish();
    assert_eq!(plan(&g, &["pytest"], PlanOptions::default()).len(), 1);
    assert_eq!(
        plan(
            &g,
            &["pytest"],
            PlanOptions {
                include_check: true
            }
        )
        .len(),
        2
    );
}

#[test]
fn every_wave_depends_only_on_earlier_waves() {
    // A diamond with a long side chain.
    let g = graph(&[
        ("b", "a"),
        ("c", "a"),
        ("d", "b"),
        ("d", "c"),
        ("e", "d"),
        ("f", "a"),
        ("e", "f"),
    ]);
    let p = plan(&g, &["a"], PlanOptions::default());
    let wave_of: HashMap<&str, usize> = p
        .waves
        .iter()
        .enumerate()
        .flat_map(|(i, w)| w.iter().map(move |n| (n.as_str(), i)))
        .collect();
    for (dependent, dependency) in [
        ("b", "a"),
        ("c", "a"),
        ("d", "b"),
        ("d", "c"),
        ("e", "d"),
        ("f", "a"),
        ("e", "f"),
    ] {
        assert!(
            wave_of[dependency] < wave_of[dependent],
            "{dependency} before {dependent}"
        );
    }
    assert_eq!(p.longest_chain.len(), 4);
}

#[test]
fn unknown_names_are_reported() {
    let g = graph(&[("app", "libfoo")]);
    let p = plan(&g, &["nope"], PlanOptions::default());
    assert!(p.is_empty());
    assert_eq!(p.unknown, ["nope"]);
}

#[test]
fn estimate_schedules_each_wave_onto_the_slots() {
    let g = graph(&[("app", "libfoo"), ("tool", "libfoo")]);
    let p = plan(&g, &["libfoo"], PlanOptions::default());
    let d: HashMap<String, Duration> = [("libfoo", 10), ("app", 30), ("tool", 20)]
        .iter()
        .map(|(n, s)| ((*n).to_owned(), Duration::from_secs(*s)))
        .collect();
    assert_eq!(
        p.estimate(&d, Duration::from_secs(60), 1),
        Duration::from_secs(60)
    );
    assert_eq!(
        p.estimate(&d, Duration::from_secs(60), 2),
        Duration::from_secs(40)
    );
}

#[test]
fn a_chain_of_100000_does_not_overflow() {
    let mut g = DependencyGraph::new();
    let names: Vec<String> = (0..100_000).map(|i| format!("p{i}")).collect();
    g.node(&names[0]);
    for w in names.windows(2) {
        g.add_dependency(&w[1], &w[0], EdgeKind::Runtime);
    }
    g.finish();
    let p = plan(&g, &["p0"], PlanOptions::default());
    assert_eq!(p.waves.len(), 100_000);
    assert_eq!(p.longest_chain.len(), 100_000);
}

#[test]
fn recipes_added_after_a_first_finish_still_sort_by_name() {
    let mut g = graph(&[("zeta", "libfoo"), ("alpha", "libfoo")]);
    // Added after a first `finish`: the second one ranks them too.
    g.add_dependency("mid", "libfoo", EdgeKind::Runtime);
    g.add_dependency("aardvark", "libfoo", EdgeKind::Runtime);
    g.finish();
    let p = plan(&g, &["libfoo"], PlanOptions::default());
    assert_eq!(
        p.waves,
        vec![vec!["libfoo"], vec!["aardvark", "alpha", "mid", "zeta"]]
    );
}
