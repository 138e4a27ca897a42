//! Reads and evaluates the whole Guix corpus tree (`../shared/corpus/guix`
//! from the workspace root) the way `kiln guix-dump` does, and prints the
//! wall time of each phase and the peak resident memory (VmHWM).
//!
//! Run with `cargo bench -p kiln-importers --bench guix_tree`. Skips with a
//! notice when the corpus is absent.

use std::path::Path;
use std::time::Instant;

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/guix");
    if !root.is_dir() {
        println!(
            "guix_tree: corpus not found at {}, skipping",
            root.display()
        );
        return;
    }
    let start = Instant::now();
    let files = match kiln_importers::guix::read_tree(&root) {
        Ok(f) => f,
        Err(e) => {
            println!("guix_tree: {e}");
            return;
        }
    };
    let read = start.elapsed();
    let n_files = files.len();
    let eval = kiln_importers::guix::evaluate(files);
    let total = start.elapsed();
    println!(
        "guix_tree: {n_files} files, {} packages, {} errors; read {:.3} s, read+evaluate {:.3} s; peak RSS {} MiB",
        eval.packages.len(),
        eval.errors.len(),
        read.as_secs_f64(),
        total.as_secs_f64(),
        peak_rss_kib().map_or("?".into(), |k| (k / 1024).to_string())
    );
}
