//! The Guix corpus translated to PKGBUILDs: every package of the gnu,
//! cmake, meson, python, pyproject and cargo build systems, emitted as a
//! PKGBUILD that must pass `bash -n`, read back through Kiln's PKGBUILD
//! importer with name, version, source, sha256 and dependencies equal to
//! the Guix recipe mapped through the tables, and, for a deterministic
//! sample (every [`SAMPLE_STRIDE`]th package), pass
//! `makepkg --printsrcinfo` with the same `.SRCINFO` the importer gives.
//!
//! makepkg costs about a second of CPU per PKGBUILD (its lint runs a
//! `grep` per array), too slow for every package in the test suite; the
//! ignored test runs it on all of them, in an order whose prefixes are
//! spread samples, printing the figures as it goes.
//! `KILN_MAKEPKG_FROM_CLASS=K` starts it at the `K`th class of that order
//! (0-based), to finish a run that was stopped after `K` classes.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Instant;

use rayon::prelude::*;

use kiln_importers::guix::{self as guix_reader, GuixPackage};
use kiln_normalizer::emit::pkgbuild;
use kiln_normalizer::mapping::Mappings;
use kiln_normalizer::{srcinfo, Checksum, ChecksumKind, GuixInputKind, Recipe, Relation};

use kiln_testsupport::makepkg::Makepkg;

use super::makepkg::printsrcinfo_all;
use super::{bash_syntax_ok, root};

/// The build systems whose packages are translated.
const SYSTEMS: [&str; 6] = ["gnu", "cmake", "meson", "python", "pyproject", "cargo"];
/// makepkg runs on every `SAMPLE_STRIDE`th package in the test.
const SAMPLE_STRIDE: usize = 25;
/// makepkg runs at once.
const MAKEPKG_JOBS: usize = 2;

/// The least share of packages whose PKGBUILD passes `bash -n`.
const BASH_FLOOR: f64 = 0.99;
/// The least share that passes `bash -n` and reads back with every
/// compared field equal.
const FIELDS_FLOOR: f64 = 0.99;
/// The least share of the sample that also passes makepkg with the
/// importer's `.SRCINFO`.
const SAMPLE_FLOOR: f64 = 0.98;

/// The compared fields of one package, as the Guix recipe states them
/// (mapped to Arch) or as the PKGBUILD importer reads them back.
#[derive(Debug, Default, PartialEq)]
struct Fields {
    name: String,
    /// The Guix version with what pkgver cannot hold made `_`.
    version: Option<String>,
    /// The first source as makepkg writes it, `None` for no source.
    source: Option<String>,
    /// Its sha256 in hex, or `SKIP` (a VCS origin: Guix hashes the
    /// checkout, which makepkg cannot check; or no hash).
    sha256: Option<String>,
    /// Sorted, without repeats.
    depends: Vec<String>,
    makedepends: Vec<String>,
}

const FIELD_NAMES: [&str; 5] = ["name", "version", "source", "sha256", "depends"];

impl Fields {
    fn agreement(&self, other: &Fields) -> [bool; 5] {
        [
            self.name == other.name,
            self.version == other.version,
            self.source == other.source,
            self.sha256 == other.sha256,
            self.depends == other.depends && self.makedepends == other.makedepends,
        ]
    }

    /// What the PKGBUILD of a Guix recipe must read back as: names mapped
    /// by their first Arch candidate, the package itself left out of its
    /// dependencies, a native input that is also an input only once.
    fn expected(recipe: &Recipe, maps: &Mappings) -> Fields {
        let arch = |guix: &str| {
            maps.guix_to_arch(guix)
                .into_iter()
                .next()
                .unwrap_or_else(|| guix.to_owned())
        };
        let name = arch(&recipe.pkgbase);
        // makepkg's rule: no `-`, `:`, `/` or white space in pkgver.
        let version = recipe.pkgver.as_deref().map(|v| {
            v.chars()
                .map(|c| {
                    if matches!(c, '-' | ':' | '/') || c.is_whitespace() {
                        '_'
                    } else {
                        c
                    }
                })
                .collect::<String>()
        });
        let source = recipe.base.source.iter_all().next();
        let sha256 = source.map(|s| {
            let sum = recipe
                .base
                .checksums
                .get(&ChecksumKind::Sha256)
                .and_then(|c| c.iter_all().next());
            match (s.vcs(), sum) {
                (None, Some(Checksum::Digest(hex))) => hex.to_ascii_lowercase(),
                _ => "SKIP".to_owned(),
            }
        });
        let mut depends = BTreeSet::new();
        let mut makedepends = BTreeSet::new();
        for input in recipe.guix.iter().flat_map(|g| &g.inputs) {
            let Some(n) = &input.name else { continue };
            let a = arch(n);
            if a == name {
                continue;
            }
            match input.kind {
                GuixInputKind::NativeInputs => makedepends.insert(a),
                _ => depends.insert(a),
            };
        }
        // The PKGBUILD fetches a version-controlled source with its client.
        for s in recipe.base.source.iter_all() {
            if let Some(vcs) = s.vcs().filter(|v| v.arch_client() != name) {
                makedepends.insert(vcs.arch_client().to_owned());
            }
        }
        let makedepends = makedepends.difference(&depends).cloned().collect();
        Fields {
            source: source.map(|s| pkgbuild::expand_mirror(s.as_str()).unwrap_or_default()),
            name,
            version,
            sha256,
            depends: depends.into_iter().collect(),
            makedepends,
        }
    }

    fn read_back(back: &Recipe) -> Fields {
        let names = |r: Relation| -> Vec<String> {
            let set: BTreeSet<String> = back
                .base
                .relation(r)
                .iter()
                .flat_map(|l| l.for_arch("x86_64"))
                .map(|d| d.name().to_owned())
                .collect();
            set.into_iter().collect()
        };
        let sha256 = back
            .base
            .checksums
            .get(&ChecksumKind::Sha256)
            .and_then(|c| c.iter_all().next())
            .map(|c| match c {
                Checksum::Digest(hex) => hex.to_ascii_lowercase(),
                Checksum::Skip => "SKIP".to_owned(),
            });
        Fields {
            name: back.pkgbase.clone(),
            version: back.pkgver.clone(),
            source: back
                .base
                .source
                .for_arch("x86_64")
                .next()
                .map(|s| s.as_str().to_owned()),
            sha256,
            depends: names(Relation::Depends),
            makedepends: names(Relation::MakeDepends),
        }
    }
}

/// What became of one package's PKGBUILD.
struct Checked {
    label: String,
    text: String,
    bash: Result<(), String>,
    /// The importer's `.SRCINFO` of the emitted PKGBUILD, if it read.
    srcinfo: Option<String>,
    fields: Option<[bool; 5]>,
    /// The version read back is the Guix version unchanged.
    version_exact: bool,
    detail: String,
}

impl Checked {
    fn all_fields(&self) -> bool {
        self.bash.is_ok() && self.fields.is_some_and(|f| f.iter().all(|ok| *ok))
    }
}

fn check(p: &GuixPackage, maps: &Mappings, dir: &std::path::Path) -> Checked {
    let g = p.recipe.guix.as_ref().expect("a Guix recipe");
    let label = format!("{} ({})", g.variable, g.module);
    let emitted = pkgbuild::pkgbuild(&p.recipe, maps);
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("PKGBUILD");
    std::fs::write(&path, &emitted.text).unwrap();
    let bash = bash_syntax_ok(&path);
    let (srcinfo, fields, version_exact, detail) =
        match kiln_importers::pkgbuild::parse_str(&emitted.text, "PKGBUILD") {
            Ok(back) => {
                let want = Fields::expected(&p.recipe, maps);
                let got = Fields::read_back(&back);
                let agree = want.agreement(&got);
                let detail = format!("want {want:?}\n  got  {got:?}");
                let exact = back.pkgver == p.recipe.pkgver;
                (Some(srcinfo::emit(&back)), Some(agree), exact, detail)
            }
            Err(e) => (None, None, false, format!("importer: {e}")),
        };
    Checked {
        label,
        text: emitted.text,
        bash,
        srcinfo,
        fields,
        version_exact,
        detail,
    }
}

/// The packages translated: those of [`SYSTEMS`], in module and line order.
fn packages(corpus: &std::path::Path) -> Vec<GuixPackage> {
    let mut files = guix_reader::read_tree(corpus).unwrap();
    files.extend(kiln_importers::guix_prelude::channel_prelude(&files));
    let mut packages: Vec<GuixPackage> = guix_reader::evaluate(files)
        .packages
        .into_iter()
        .filter(|p| {
            p.recipe
                .build_system
                .as_deref()
                .is_some_and(|s| SYSTEMS.contains(&s))
        })
        .collect();
    packages.sort_by_key(|p| {
        let g = p.recipe.guix.as_ref().expect("a Guix recipe");
        (g.module.clone(), g.line, g.variable.clone())
    });
    packages
}

/// Measures the corpus; makepkg runs on `classes` residue classes modulo
/// [`SAMPLE_STRIDE`] (1: every `SAMPLE_STRIDE`th package; `SAMPLE_STRIDE`:
/// all), one class after the other, with the figures printed after each.
fn measure(classes: usize) {
    let corpus = root().join("../shared/corpus/guix");
    if !corpus.is_dir() {
        eprintln!("skipping: no Guix corpus at {}", corpus.display());
        return;
    }
    let makepkg = match Makepkg::find() {
        Ok(m) => m,
        Err(why) => {
            eprintln!("skipping: {why}");
            return;
        }
    };
    let maps = Mappings::builtin();
    let start = Instant::now();
    let packages = packages(&corpus);
    let evaluated = start.elapsed();
    let work = tempfile::tempdir().unwrap();
    let dir_of = |i: usize| work.path().join(format!("p{i:05}"));
    let checked: Vec<Checked> = packages
        .par_iter()
        .enumerate()
        .map(|(i, p)| check(p, maps, &dir_of(i)))
        .collect();
    let checked_at = start.elapsed();

    let total = checked.len();
    let pct = |n: usize, of: usize| format!("{n} / {of} = {:.2}%", n as f64 * 100.0 / of as f64);
    let count = |f: &dyn Fn(&Checked) -> bool| checked.iter().filter(|c| f(c)).count();
    let bash_ok = count(&|c| c.bash.is_ok());
    let read = count(&|c| c.fields.is_some());
    let all_fields = count(&|c| c.all_fields());
    eprintln!(
        "guix -> arch: {total} packages of the {} build systems (evaluated in {:.1} s, \
         emitted and checked in {:.1} s)",
        SYSTEMS.join(", "),
        evaluated.as_secs_f64(),
        (checked_at - evaluated).as_secs_f64()
    );
    eprintln!(
        "  bash -n passes:                        {}",
        pct(bash_ok, total)
    );
    eprintln!(
        "  the importer reads it back:            {}",
        pct(read, total)
    );
    for (k, name) in FIELD_NAMES.iter().enumerate() {
        let n = count(&|c| c.fields.is_some_and(|f| f[k]));
        eprintln!("    {name:<10} equal:                   {}", pct(n, total));
    }
    let exact = count(&|c| c.version_exact);
    eprintln!(
        "    (version unchanged, no `-` to rewrite: {})",
        pct(exact, total)
    );
    eprintln!(
        "  bash -n and every field equal:         {}",
        pct(all_fields, total)
    );
    for c in checked.iter().filter(|c| c.bash.is_err()).take(10) {
        eprintln!("bash -n: {}: {:?}", c.label, c.bash);
    }
    for (k, name) in FIELD_NAMES.iter().enumerate() {
        let off = checked.iter().filter(|c| c.fields.is_none_or(|f| !f[k]));
        for c in off.take(8) {
            eprintln!("{name} differs: {}:\n  {}", c.label, c.detail);
        }
    }

    // makepkg, one residue class at a time.
    let mut sample_ok = 0usize;
    let mut sample_all = 0usize;
    let mut sample_total = 0usize;
    let mut failures_shown = 0;
    let makepkg_start = Instant::now();
    let first = match std::env::var("KILN_MAKEPKG_FROM_CLASS") {
        Ok(k) if classes == SAMPLE_STRIDE => k
            .parse::<usize>()
            .unwrap_or_else(|_| panic!("KILN_MAKEPKG_FROM_CLASS={k}: a class number expected")),
        _ => 0,
    };
    if first > 0 {
        eprintln!("  makepkg from class {first} of the spread order on");
    }
    for class in first..classes.min(SAMPLE_STRIDE) {
        // Class 0 first, then the others in a spread order.
        let r = (class * 13) % SAMPLE_STRIDE;
        let picked: Vec<usize> = (r..total).step_by(SAMPLE_STRIDE).collect();
        let dirs: Vec<PathBuf> = picked.iter().map(|i| dir_of(*i)).collect();
        makepkg
            .hand_over(work.path())
            .unwrap_or_else(|e| panic!("{e}"));
        let outcomes = printsrcinfo_all(&makepkg, &dirs, MAKEPKG_JOBS);
        for (i, outcome) in picked.iter().zip(outcomes) {
            let c = &checked[*i];
            sample_total += 1;
            let agrees = match (&outcome, &c.srcinfo) {
                (Ok(theirs), Some(ours)) => {
                    let diff = srcinfo::differences(ours, theirs);
                    if !diff.is_empty() && failures_shown < 30 {
                        failures_shown += 1;
                        eprintln!("srcinfo differs: {}: {diff:?}", c.label);
                    }
                    diff.is_empty()
                }
                (Err(e), _) => {
                    if failures_shown < 30 {
                        failures_shown += 1;
                        eprintln!("makepkg failed: {}: {e}\n{}", c.label, c.text);
                    }
                    false
                }
                (Ok(_), None) => false,
            };
            sample_ok += usize::from(agrees);
            sample_all += usize::from(agrees && c.all_fields());
        }
        eprintln!(
            "  makepkg on {sample_total} packages ({} of {SAMPLE_STRIDE} classes, {:.0} s): \
             printsrcinfo succeeds with the importer's .SRCINFO: {}; \
             and bash -n and every field equal: {}",
            class + 1 - first,
            makepkg_start.elapsed().as_secs_f64(),
            pct(sample_ok, sample_total),
            pct(sample_all, sample_total)
        );
    }
    let share = |n: usize, of: usize| n as f64 / of as f64;
    assert!(
        share(bash_ok, total) >= BASH_FLOOR,
        "bash -n passes on only {} (floor {:.0}%)",
        pct(bash_ok, total),
        BASH_FLOOR * 100.0
    );
    assert!(
        share(all_fields, total) >= FIELDS_FLOOR,
        "only {} read back with every field equal (floor {:.0}%)",
        pct(all_fields, total),
        FIELDS_FLOOR * 100.0
    );
    assert!(
        share(sample_all, sample_total) >= SAMPLE_FLOOR,
        "only {} of the makepkg sample pass everything (floor {:.0}%)",
        pct(sample_all, sample_total),
        SAMPLE_FLOOR * 100.0
    );
}

#[test]
fn guix_packages_translate_to_pkgbuilds_makepkg_and_importer_read() {
    measure(1);
}

#[test]
#[ignore = "runs makepkg on every package: about a CPU-second each"]
fn guix_packages_translate_to_pkgbuilds_makepkg_reads_them_all() {
    measure(SAMPLE_STRIDE);
}
