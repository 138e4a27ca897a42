//! Conformance of the static PKGBUILD importer with makepkg.
//!
//! The shared corpus (`../shared/corpus/pkgbuild` beside the workspace) holds
//! real PKGBUILDs with the `.SRCINFO` that `makepkg --printsrcinfo` printed
//! for each. Every PKGBUILD is read statically, emitted as `.SRCINFO`, and
//! compared field by field with makepkg's (sections and keys in any order,
//! values of one key in order, as `srcinfo-compare` does). The test prints
//! the figures and fails when they fall below the level reached; every
//! package still off must carry a warning saying what needs execution.
//!
//! The `.SRCINFO` reader is checked against the same corpus: each file read
//! and emitted again gives the same text (less blank lines a PKGBUILD's own
//! top-level `echo` put before the first line).
//!
//! Without the corpus the tests print a notice and pass.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use kiln_importers::pkgbuild;
use kiln_normalizer::{srcinfo, WarningKind};
use rayon::prelude::*;

/// Packages allowed to differ from makepkg (the level reached: both need
/// execution, a `pacman -Si` and a helper run in `$(...)`).
const MAX_PACKAGES_OFF: usize = 2;

/// Least share of fields that must agree (reached: 20865 of 20867).
const MIN_FIELDS_AGREE: f64 = 0.9999;

fn corpus() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/pkgbuild");
    if root.is_dir() {
        Some(root)
    } else {
        println!(
            "notice: {} is absent; corpus conformance not checked",
            root.display()
        );
        None
    }
}

/// Package directories that have makepkg's `.SRCINFO`, sorted.
fn packages(root: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .expect("listing the corpus")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join(".SRCINFO").is_file() && p.join("PKGBUILD").is_file())
        .collect();
    dirs.sort();
    dirs
}

/// `(section, key) -> values`, plus one `(section, "<section>")` entry per
/// section, as `srcinfo-compare` counts fields.
fn fields(text: &str) -> BTreeMap<(String, String), Vec<String>> {
    let mut out = srcinfo::fields_by_section(text);
    for line in text.lines() {
        let (key, value) = line.split_once(" = ").unwrap_or((line, ""));
        if key == "pkgbase" || key == "pkgname" {
            out.insert(
                (format!("{key} {value}"), "<section>".into()),
                vec!["present".into()],
            );
        }
    }
    out
}

/// Fields in either text and the keys that differ.
fn compare(expected: &str, actual: &str) -> (usize, Vec<(String, String)>) {
    let (e, a) = (fields(expected), fields(actual));
    let keys: BTreeSet<&(String, String)> = e.keys().chain(a.keys()).collect();
    let diffs = keys
        .iter()
        .filter(|k| e.get(**k) != a.get(**k))
        .map(|k| (*k).clone())
        .collect();
    (keys.len(), diffs)
}

struct Outcome {
    name: String,
    fields: usize,
    diffs: Vec<(String, String)>,
    needs_execution: bool,
    error: Option<String>,
}

fn check(dir: &Path) -> Outcome {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let expected = std::fs::read_to_string(dir.join(".SRCINFO")).expect("reading .SRCINFO");
    let (actual, needs_execution, error) = match pkgbuild::read_file(&dir.join("PKGBUILD")) {
        Ok(recipe) => {
            let needs = recipe.warnings.iter().any(|w| {
                matches!(
                    w.kind,
                    WarningKind::CommandSubstitution
                        | WarningKind::PkgverFunction
                        | WarningKind::SourceOrEval
                        | WarningKind::Loop
                ) && w.attribute.is_some()
            });
            (srcinfo::emit(&recipe), needs, None)
        }
        Err(e) => (String::new(), false, Some(e.to_string())),
    };
    let (fields, diffs) = compare(&expected, &actual);
    Outcome {
        name,
        fields,
        diffs,
        needs_execution,
        error,
    }
}

#[test]
fn static_import_agrees_with_makepkg_printsrcinfo() {
    let Some(root) = corpus() else { return };
    let outcomes: Vec<Outcome> = packages(&root).par_iter().map(|d| check(d)).collect();
    let total = outcomes.len();
    let exact = outcomes.iter().filter(|o| o.diffs.is_empty()).count();
    let fields: usize = outcomes.iter().map(|o| o.fields).sum();
    let fields_off: usize = outcomes.iter().map(|o| o.diffs.len()).sum();
    let agree = (fields - fields_off) as f64 / fields.max(1) as f64;
    let mut by_key: BTreeMap<&str, usize> = BTreeMap::new();
    for o in &outcomes {
        for (_, key) in &o.diffs {
            *by_key.entry(key).or_default() += 1;
        }
    }
    println!(
        "packages agree exactly: {exact}/{total} ({:.2}%)",
        100.0 * exact as f64 / total.max(1) as f64
    );
    println!(
        "fields agree: {}/{fields} ({:.3}%)",
        fields - fields_off,
        100.0 * agree
    );
    println!("keys that disagree: {by_key:?}");
    let mut unexplained = Vec::new();
    for o in outcomes.iter().filter(|o| !o.diffs.is_empty()) {
        let keys: Vec<&str> = o.diffs.iter().map(|(_, k)| k.as_str()).collect();
        println!(
            "off: {} ({}){}",
            o.name,
            keys.join(", "),
            o.error
                .as_deref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default()
        );
        if !o.needs_execution {
            unexplained.push(o.name.as_str());
        }
    }
    assert!(
        unexplained.is_empty(),
        "packages off without a warning that they need execution: {unexplained:?}"
    );
    assert!(
        total - exact <= MAX_PACKAGES_OFF,
        "{} packages differ from makepkg, at most {MAX_PACKAGES_OFF} allowed",
        total - exact
    );
    assert!(
        agree >= MIN_FIELDS_AGREE,
        "fields agree {agree:.5}, at least {MIN_FIELDS_AGREE} required"
    );
}

#[test]
fn every_corpus_srcinfo_reads_and_emits_back_to_the_same_text() {
    let Some(root) = corpus() else { return };
    let dirs = packages(&root);
    let failures: Vec<String> = dirs
        .par_iter()
        .filter_map(|d| {
            let raw = std::fs::read_to_string(d.join(".SRCINFO")).expect("reading .SRCINFO");
            // Blank lines a PKGBUILD's top-level `echo` printed before the
            // pkgbase line are makepkg's stdout, not `.SRCINFO` content.
            let text = raw.trim_start_matches('\n');
            match srcinfo::parse(text) {
                Err(e) => Some(format!("{}: {e}", d.display())),
                Ok(recipe) => {
                    let again = srcinfo::emit(&recipe);
                    (again != text).then(|| {
                        let line = again
                            .lines()
                            .zip(text.lines())
                            .position(|(a, b)| a != b)
                            .map_or(0, |n| n + 1);
                        format!("{}: first different line {line}", d.display())
                    })
                }
            }
        })
        .collect();
    println!(
        "{} of {} .SRCINFO files read and emitted back unchanged",
        dirs.len() - failures.len(),
        dirs.len()
    );
    assert!(failures.is_empty(), "{failures:#?}");
}
