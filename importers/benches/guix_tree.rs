//! Reads and evaluates the whole Guix corpus tree (`../shared/corpus/guix`
//! from the workspace root) the way `kiln guix-dump` does, and prints the
//! wall time of each phase and the peak resident memory (VmHWM).
//!
//! Side by side, in the same run: Guile 3.0 (when installed) only *reading*
//! every form of the same files with its own reader, with the reader
//! extensions Guix installs for G-expressions. Guix itself is not on this
//! machine; reading is the part of its work Guile can do alone.
//!
//! Run with `cargo bench -p kiln-importers --bench guix_tree`. Skips with a
//! notice when the corpus is absent. `GUIX_TREE_THREADS=N` evaluates on N
//! threads instead of one a core. `GUIX_TREE_READ_ONLY=1` only reads the
//! texts and their syntax trees, printing the resident memory after each
//! step: what the trees alone take.

// The allocator the `kiln` binary uses, so that this measures what
// `kiln guix-dump` does.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use std::io::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// Reads every form of every `.scm` file under the directory given, the way
/// Guix's modules are read (`#~`, `#$`, `#+` as Guix's reader extensions).
const GUILE_READ_ALL: &str = r#"
(use-modules (ice-9 ftw))
(read-hash-extend #\~ (lambda (chr port) (list 'gexp (read port))))
(read-hash-extend #\$ (lambda (chr port) (list 'ungexp (read port))))
(read-hash-extend #\+ (lambda (chr port) (list 'ungexp-native (read port))))
(define forms 0)
(define files 0)
(ftw (cadr (command-line))
     (lambda (f st flag)
       (when (and (eq? flag 'regular) (string-suffix? ".scm" f))
         (set! files (+ files 1))
         (call-with-input-file f
           (lambda (port)
             (let loop ((d (read port)))
               (unless (eof-object? d)
                 (set! forms (+ forms 1))
                 (loop (read port)))))))
       #t))
(format #t "~a files, ~a forms~%" files forms)
"#;

/// Wall time of Guile reading the tree, and what it printed.
fn guile_read_all(root: &Path) -> Option<(f64, String)> {
    let dir = tempfile::tempdir().ok()?;
    let script = dir.path().join("read-all.scm");
    std::fs::write(&script, GUILE_READ_ALL).ok()?;
    let start = Instant::now();
    let out = Command::new("guile")
        .arg("--no-auto-compile")
        .arg(&script)
        .arg(root)
        .output()
        .ok()?;
    let secs = start.elapsed().as_secs_f64();
    out.status
        .success()
        .then(|| (secs, String::from_utf8_lossy(&out.stdout).trim().to_owned()))
}

/// A memory figure of `/proc/self/status`, in KiB: `VmRSS` (resident now)
/// or `VmHWM` (the peak).
fn status_kib(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or("?".into(), |k| format!("{:.1}", k as f64 / 1024.0))
}

/// Reads the texts, then their syntax trees (in parallel, as evaluation
/// does), and prints the resident memory after each step.
fn read_only(root: &Path) {
    use rayon::prelude::*;
    let start = Instant::now();
    let files = match kiln_importers::guix::read_tree(root) {
        Ok(f) => f,
        Err(e) => {
            println!("guix_tree: {e}");
            return;
        }
    };
    // All the texts held at once, unlike evaluation (which drops each text
    // once its trees are read), to see what they take.
    let texts: Vec<String> = files
        .iter()
        .map(|f| f.text().map(|t| t.into_owned()).unwrap_or_default())
        .collect();
    let texts_rss = status_kib("VmRSS");
    let trees: Vec<Vec<kiln_importers::guix::reader::Syntax>> = files
        .par_iter()
        .zip(&texts)
        .map(|(f, text)| {
            kiln_importers::guix::reader::read_forms(text, &f.path).unwrap_or_default()
        })
        .collect();
    // Measured while every tree is held, as evaluation holds them.
    let with_trees = status_kib("VmRSS");
    println!(
        "guix_tree (read only): {} files, {} forms in {:.3} s; RSS {} MiB with the texts read, \
         {} MiB with every syntax tree read too",
        files.len(),
        trees.iter().map(Vec::len).sum::<usize>(),
        start.elapsed().as_secs_f64(),
        mib(texts_rss),
        mib(with_trees),
    );
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
    if std::env::var_os("GUIX_TREE_READ_ONLY").is_some_and(|v| !v.is_empty() && v != "0") {
        read_only(&root);
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
    let listed = start.elapsed();
    let n_files = files.len();
    let threads = match std::env::var("GUIX_TREE_THREADS").map(|t| t.parse::<usize>()) {
        Ok(Ok(threads)) => threads,
        _ => kiln_importers::guix::default_threads(),
    };
    // As `kiln guix-dump` does: each record is written out (here, into a
    // sink) as it comes, and the package dropped.
    let mut sink = std::io::sink();
    let mut bytes = 0usize;
    let eval = kiln_importers::guix::evaluate_each(
        files,
        threads,
        |p| p.record,
        |record| {
            let record = record.get();
            bytes += record.len() + 1;
            let _ = writeln!(sink, "{record}");
        },
    );
    let total = start.elapsed();
    let peak = status_kib("VmHWM");
    println!(
        "guix_tree: {n_files} files, {} packages ({} MB of records), {} errors; listed {:.3} s, read+evaluate {:.3} s; peak RSS {} MiB ({} MB)",
        eval.packages,
        bytes / 1_000_000,
        eval.errors.len(),
        listed.as_secs_f64(),
        total.as_secs_f64(),
        mib(peak),
        peak.map_or("?".into(), |k| format!("{:.1}", k as f64 * 1024.0 / 1e6)),
    );
    match guile_read_all(&root) {
        Some((secs, said)) => println!(
            "side by side: Guile 3.0 only reading the same tree ({said}): {secs:.3} s, \
             {:.1}x Kiln's time to read and evaluate it",
            secs / total.as_secs_f64()
        ),
        None => println!("side by side: guile is not installed or failed; no reference run"),
    }
}
