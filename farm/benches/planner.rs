//! Benchmark of the rebuild planner on a synthetic 100,000-recipe graph with
//! an AUR-like degree distribution: most recipes need a handful of others,
//! and a few libraries are needed by tens of thousands (preferential
//! attachment). Prints the time to plan (closure, cycles, waves, longest
//! chain) and to estimate the dry run, for libraries of several popularities.
//!
//! Run: `cargo bench -p kiln-farm --bench planner`

use std::collections::HashMap;
use std::time::{Duration, Instant};

use kiln_farm::planner::{plan, DependencyGraph, EdgeKind, FastHash, PlanOptions};

/// xorshift64*: a small deterministic generator, so every run plans the same graph.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn synthetic(n: usize, rng: &mut Rng) -> DependencyGraph {
    let mut g = DependencyGraph::new();
    let names: Vec<String> = (0..n).map(|i| format!("pkg{i}")).collect();
    for name in &names {
        g.node(name);
    }
    for (i, name) in names.iter().enumerate() {
        // Out-degree: geometric with mean about 6 runtime and 3 build deps.
        for (kind, mean) in [
            (EdgeKind::Runtime, 6.0),
            (EdgeKind::Build, 3.0),
            (EdgeKind::Check, 0.5),
        ] {
            let k = (-(rng.unit().max(1e-12)).ln() * mean) as usize;
            for _ in 0..k.min(60) {
                // Recipes mostly need more fundamental ones (lower index),
                // skewed hard towards the first few hundred (glibc, zlib,
                // python...); one edge in a thousand points the other way,
                // making the occasional cycle, as in the AUR.
                let t = if rng.next().is_multiple_of(1000) {
                    i + 1 + (rng.next() as usize) % 50
                } else {
                    (i as f64 * rng.unit().powi(4)) as usize
                };
                if t != i && t < n {
                    g.add_dependency(name, &names[t], kind);
                }
            }
        }
        if i.is_multiple_of(50) {
            g.add_provides(name, &format!("lib{i}.so"));
        }
    }
    g.finish();
    g
}

fn main() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let t = Instant::now();
    let g = synthetic(100_000, &mut rng);
    println!(
        "graph: {} recipes built in {:.1} ms",
        g.len(),
        t.elapsed().as_secs_f64() * 1e3
    );
    let mut by_degree: Vec<usize> = (0..g.len()).collect();
    by_degree.sort_by_key(|&n| std::cmp::Reverse(g.in_degree(n)));
    let durations: HashMap<String, Duration, FastHash> = (0..g.len())
        .map(|i| {
            (
                g.name(i).to_owned(),
                Duration::from_secs(30 + (i as u64 * 7919) % 600),
            )
        })
        .collect();
    for rank in [0usize, 10, 100, 1000, 10_000] {
        let node = by_degree[rank];
        let name = g.name(node).to_owned();
        let runs = 5;
        let mut best = Duration::MAX;
        let mut best_plan = Duration::MAX;
        let mut result = None;
        for _ in 0..runs {
            let t = Instant::now();
            let p = plan(&g, &[&name], PlanOptions::default());
            best_plan = best_plan.min(t.elapsed());
            let est = p.estimate(&durations, Duration::from_secs(300), 8);
            best = best.min(t.elapsed());
            result = Some((p, est));
        }
        let (p, est) = result.expect("ran at least once");
        println!(
            "plan for {name} (popularity rank {rank}, {} direct dependents): {} recipes in {} waves, {} cycles, longest chain {}, estimate {:.1} h on 8 slots; best of {runs}: plan {:.1} ms, plan and dry-run estimate {:.1} ms",
            g.in_degree(node),
            p.len(),
            p.waves.len(),
            p.cycles.len(),
            p.longest_chain.len(),
            est.as_secs_f64() / 3600.0,
            best_plan.as_secs_f64() * 1e3,
            best.as_secs_f64() * 1e3
        );
    }
}
