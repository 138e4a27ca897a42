//! Benchmark: the static PKGBUILD importer over the whole shared corpus,
//! against `makepkg --printsrcinfo` on a sample of the same PKGBUILDs.
//!
//! Reads every `PKGBUILD` under `../shared/corpus/pkgbuild` (beside the
//! workspace) into a recipe and emits its `.SRCINFO`, on all cores, several
//! times; prints the best and median wall time for the corpus and per
//! package. Where `makepkg` is installed, it runs `makepkg --printsrcinfo`
//! over 20 of the same PKGBUILDs (evenly spaced in name order), each in a
//! throwaway copy, as an unprivileged user (`builder` when run as root:
//! makepkg refuses root), with a clean environment; prints each package's
//! cost, the median, and the ratio to the static reader's per-package cost.
//! Skips with a notice when the corpus is absent.
//!
//! Run: `cargo bench -p kiln-importers --bench pkgbuild_corpus`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kiln_importers::pkgbuild;
use kiln_normalizer::srcinfo;
use kiln_testsupport::makepkg::Makepkg;
use rayon::prelude::*;

/// Timed passes over the whole corpus.
const PASSES: usize = 7;
/// PKGBUILDs given to makepkg.
const MAKEPKG_SAMPLE: usize = 20;
/// Longest one makepkg run may take.
const MAKEPKG_TIMEOUT: Duration = Duration::from_secs(60);

fn corpus() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/pkgbuild");
    root.is_dir().then_some(root)
}

fn package_dirs(root: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .expect("listing the corpus")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("PKGBUILD").is_file())
        .collect();
    dirs.sort();
    dirs
}

/// Reads and emits one PKGBUILD; returns whether it read and its text.
fn import(text: &str, file: &str) -> Option<String> {
    pkgbuild::parse_str(text, file)
        .ok()
        .map(|r| srcinfo::emit(&r))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// User + system CPU time of this process so far (all threads), from
/// `/proc/self/stat` in clock ticks of 10 ms; `None` off Linux.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the `(comm)` that may hold spaces; utime and stime are
    // the 14th and 15th fields of the line.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// The 1-minute load average, to read wall times against.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split(' ').next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".into())
}

fn main() {
    let Some(root) = corpus() else {
        println!("notice: ../shared/corpus/pkgbuild is absent; nothing to measure");
        return;
    };
    let dirs = package_dirs(&root);
    // Files are read once, outside the timing: the figure is the importer's.
    let texts: Vec<(String, String)> = dirs
        .iter()
        .map(|d| {
            let file = d.join("PKGBUILD");
            let bytes = std::fs::read(&file).expect("reading a PKGBUILD");
            (
                file.display().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            )
        })
        .collect();
    let bytes: usize = texts.iter().map(|(_, t)| t.len()).sum();
    let threads = rayon::current_num_threads();
    println!(
        "corpus: {} PKGBUILDs, {:.1} MiB; {threads} threads",
        texts.len(),
        bytes as f64 / (1024.0 * 1024.0)
    );

    let mut passes = Vec::new();
    let mut read = 0;
    let cpu_before = cpu_time();
    for _ in 0..PASSES {
        let start = Instant::now();
        read = texts
            .par_iter()
            .filter(|(file, text)| import(text, file).is_some())
            .count();
        passes.push(start.elapsed());
    }
    let cpu = cpu_time()
        .zip(cpu_before)
        .map(|(after, before)| (after - before) / PASSES as u32);
    let best = *passes.iter().min().expect("passes");
    let med = median(passes.clone());
    println!(
        "static import + .SRCINFO emit, whole corpus: best {:.1} ms, median {:.1} ms over {PASSES} passes ({read} read)",
        ms(best),
        ms(med)
    );
    if let Some(cpu) = cpu {
        println!(
            "  CPU per pass {:.0} ms (user+sys, all threads): {:.0} ms on {threads} idle cores; load average now {}",
            ms(cpu),
            ms(cpu) / threads as f64,
            load_average()
        );
    }
    let per_package = med / texts.len() as u32;
    println!(
        "  per package (wall, {threads} threads): {:.3} ms; {:.0} packages/s",
        ms(per_package),
        texts.len() as f64 / med.as_secs_f64()
    );
    // One thread, for a per-package cost comparable with one makepkg run.
    let start = Instant::now();
    for (file, text) in &texts {
        std::hint::black_box(import(text, file));
    }
    let serial = start.elapsed();
    let serial_per_package = serial / texts.len() as u32;
    println!(
        "  one thread: {:.1} ms for the corpus, {:.3} ms per package",
        ms(serial),
        ms(serial_per_package)
    );

    makepkg_sample(&dirs, &texts);
}

fn makepkg_sample(dirs: &[PathBuf], texts: &[(String, String)]) {
    let makepkg = match Makepkg::find() {
        Ok(m) => m,
        Err(why) => {
            println!("makepkg comparison skipped: {why}");
            return;
        }
    };
    let step = (dirs.len() / MAKEPKG_SAMPLE).max(1);
    let sample: Vec<usize> = (0..dirs.len()).step_by(step).take(MAKEPKG_SAMPLE).collect();
    println!(
        "makepkg --printsrcinfo on {} of them, one at a time{}:",
        sample.len(),
        makepkg
            .user()
            .map_or_else(String::new, |u| format!(" as `{u}`"))
    );
    let mut makepkg_times = Vec::new();
    let mut static_times = Vec::new();
    let mut agree = 0;
    for &i in &sample {
        let dir = &dirs[i];
        let name = dir
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let (file, text) = &texts[i];
        let start = Instant::now();
        let ours = import(text, file);
        let static_time = start.elapsed();
        match run_makepkg(dir, &makepkg) {
            Ok((out, took)) => {
                let same = ours
                    .as_deref()
                    .is_some_and(|o| srcinfo::differences(o, &out).is_empty());
                agree += usize::from(same);
                println!(
                    "  {name:<40} makepkg {:>8.1} ms   static {:>7.3} ms   ratio {:>7.0}x   {}",
                    ms(took),
                    ms(static_time),
                    took.as_secs_f64() / static_time.as_secs_f64().max(1e-9),
                    if same { "same .SRCINFO" } else { "differs" }
                );
                makepkg_times.push(took);
                static_times.push(static_time);
            }
            Err(e) => println!("  {name:<40} makepkg failed: {e}"),
        }
    }
    if makepkg_times.is_empty() {
        return;
    }
    let (m, s) = (median(makepkg_times.clone()), median(static_times));
    let total: Duration = makepkg_times.iter().sum();
    println!(
        "makepkg: median {:.1} ms per package, {:.1} s for {}; static: median {:.3} ms; ratio of medians {:.0}x; {agree}/{} identical .SRCINFO",
        ms(m),
        total.as_secs_f64(),
        makepkg_times.len(),
        ms(s),
        m.as_secs_f64() / s.as_secs_f64().max(1e-9),
        makepkg_times.len()
    );
    println!(
        "  makepkg's median pace over the whole corpus would take {:.0} s on one core",
        m.as_secs_f64() * texts.len() as f64
    );
}

/// Runs `makepkg --printsrcinfo` in a throwaway copy of `dir`; returns its
/// output and wall time.
fn run_makepkg(dir: &Path, makepkg: &Makepkg) -> Result<(String, Duration), String> {
    let work = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
    let copy = work.path().join("pkg");
    copy_dir(dir, &copy).map_err(|e| format!("copying {}: {e}", dir.display()))?;
    makepkg.hand_over(work.path())?;
    makepkg.printsrcinfo(&copy, work.path(), MAKEPKG_TIMEOUT)
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else if entry.file_name() != ".SRCINFO" {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}
