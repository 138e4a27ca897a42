//! Comparison of the same software as an Arch recipe and as a Guix package.
//!
//! [`compare`] lines the two recipes up field by field — versions under each
//! side's own order, sources, dependencies mapped across, licenses, build
//! system, patches, tests — and gives a [`Verdict`] with the [`Evidence`]
//! that ties the two together. Finding candidate pairs across a whole store
//! is the farm's job; this module judges one pair and stays pure.

mod upstream;

use std::cmp::Ordering;
use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

pub use upstream::{reduce_home_page, reduce_url, repository_of};

use crate::guix_version::guix_version_cmp;
use crate::recipe::{Recipe, Relation};
use crate::source::{Checksum, ChecksumKind};
use crate::version::vercmp;

/// Maps Arch package names to Guix ones (tables and naming conventions).
pub trait NameMap {
    /// The Guix names an Arch package name may correspond to, best first.
    fn arch_to_guix(&self, arch: &str) -> Vec<String>;

    /// The Arch names a Guix package name may correspond to, best first.
    fn guix_to_arch(&self, guix: &str) -> Vec<String> {
        vec![guix.to_owned()]
    }
}

/// The identity mapping: same name on both sides.
pub struct SameNames;

impl NameMap for SameNames {
    fn arch_to_guix(&self, arch: &str) -> Vec<String> {
        vec![arch.to_owned()]
    }
}

/// Why two recipes are taken to be the same software, strongest first.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Evidence {
    /// Both declare a source file with this sha256.
    SameSourceFile {
        /// The digest, hex.
        sha256: String,
    },
    /// Both fetch from the same upstream location once versions are abstracted.
    SameUpstreamUrl {
        /// The reduced URL or repository.
        url: String,
    },
    /// Both name the same home page.
    SameHomePage {
        /// The reduced home page.
        url: String,
    },
    /// The names correspond under the two ecosystems' conventions.
    NameConvention {
        /// The Arch name.
        arch: String,
        /// The Guix name.
        guix: String,
    },
}

impl Evidence {
    /// Strength of the evidence: 0 is the strongest.
    pub fn rank(&self) -> u8 {
        match self {
            Evidence::SameSourceFile { .. } => 0,
            Evidence::SameUpstreamUrl { .. } => 1,
            Evidence::SameHomePage { .. } => 2,
            Evidence::NameConvention { .. } => 3,
        }
    }

    /// A short name of the kind of evidence, for summaries.
    pub fn kind(&self) -> &'static str {
        match self {
            Evidence::SameSourceFile { .. } => "same-source-file",
            Evidence::SameUpstreamUrl { .. } => "same-upstream-url",
            Evidence::SameHomePage { .. } => "same-home-page",
            Evidence::NameConvention { .. } => "name-convention",
        }
    }
}

/// The overall judgement of a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Same version, same source, matching licenses and dependencies.
    Identical,
    /// Same version; differences that do not change what is built.
    Compatible,
    /// The same software at different versions.
    VersionDrift,
    /// Same version but a different source file, license or a large
    /// difference in dependencies.
    Divergent,
    /// Nothing ties the two together, or a version is unknown.
    NotComparable,
}

impl Verdict {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Identical => "identical",
            Verdict::Compatible => "compatible",
            Verdict::VersionDrift => "version-drift",
            Verdict::Divergent => "divergent",
            Verdict::NotComparable => "not-comparable",
        }
    }
}

/// Which side is newer, and by how much.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drift {
    /// `arch` or `guix`: the side with the newer version (by vercmp).
    pub newer: String,
    /// `major`, `minor`, `patch` or `other`: the first differing component.
    pub size: String,
}

/// The two versions under both orders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionComparison {
    /// Arch pkgver (without epoch and pkgrel).
    pub arch: Option<String>,
    /// Guix version.
    pub guix: Option<String>,
    /// Arch version compared with Guix's under pacman's vercmp: -1, 0, 1.
    pub vercmp: Option<i8>,
    /// The same under Guix's version-compare (strverscmp).
    pub guix_order: Option<i8>,
    /// Whether the two orders disagree about this pair.
    pub orders_disagree: bool,
    /// Set when the versions differ.
    pub drift: Option<Drift>,
}

/// Sources compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceComparison {
    /// A source file with the same sha256 on both sides.
    pub same_file: bool,
    /// The same upstream location once versions are abstracted.
    pub same_url: bool,
    /// Local patches on the Arch side (file names).
    pub arch_patches: Vec<String>,
    /// Patches on the Guix side (file names).
    pub guix_patches: Vec<String>,
}

/// Dependencies mapped across.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DependencyComparison {
    /// Arch dependencies (runtime and build) with a Guix counterpart among the inputs.
    pub matched: Vec<String>,
    /// Arch dependencies Guix's build systems supply implicitly (the C
    /// library, the compiler's runtime, the shell and core utilities).
    pub implicit: Vec<String>,
    /// Arch dependencies with no counterpart in the Guix inputs.
    pub only_arch: Vec<String>,
    /// Guix inputs no Arch dependency maps to.
    pub only_guix: Vec<String>,
}

/// Licenses compared through SPDX.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenseComparison {
    /// SPDX readings on the Arch side (text as written where none).
    pub arch: Vec<String>,
    /// SPDX readings on the Guix side.
    pub guix: Vec<String>,
    /// The same SPDX set.
    pub equivalent: bool,
    /// The same licenses once `-only`/`-or-later` are set aside.
    pub same_family: bool,
}

/// The full comparison of one pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comparison {
    /// Arch pkgbase.
    pub arch_name: String,
    /// Guix package name.
    pub guix_name: String,
    /// What ties the two together, strongest first.
    pub evidence: Vec<Evidence>,
    /// Versions.
    pub versions: VersionComparison,
    /// Sources and patches.
    pub sources: SourceComparison,
    /// Dependencies.
    pub dependencies: DependencyComparison,
    /// Licenses.
    pub licenses: LicenseComparison,
    /// Build systems (Arch inferred from build(), Guix declared).
    pub build_system: (Option<String>, Option<String>),
    /// Whether each side runs the test suite.
    pub tests: (bool, bool),
    /// The judgement.
    pub verdict: Verdict,
}

fn sha256s(r: &Recipe) -> BTreeSet<String> {
    r.base
        .checksums
        .get(&ChecksumKind::Sha256)
        .into_iter()
        .flat_map(|p| p.iter_all())
        .filter_map(|c| match c {
            Checksum::Digest(d) => Some(d.to_ascii_lowercase()),
            Checksum::Skip => None,
        })
        .collect()
}

fn reduced_urls(r: &Recipe, version: Option<&str>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for s in r.base.source.iter_all().filter(|s| !s.is_local()) {
        out.insert(reduce_url(s.as_str(), version));
        if let Some(repo) = repository_of(s.as_str()) {
            out.insert(repo);
        }
    }
    out
}

/// Evidence that `arch` and `guix` are the same software, strongest first.
pub fn evidence(arch: &Recipe, guix: &Recipe, names: &dyn NameMap) -> Vec<Evidence> {
    let mut ev = Vec::new();
    if let Some(sha) = sha256s(arch).intersection(&sha256s(guix)).next() {
        ev.push(Evidence::SameSourceFile {
            sha256: sha.clone(),
        });
    }
    let a_urls = reduced_urls(arch, arch.pkgver.as_deref());
    let g_urls = reduced_urls(guix, guix.pkgver.as_deref());
    if let Some(u) = a_urls.intersection(&g_urls).next() {
        ev.push(Evidence::SameUpstreamUrl { url: u.clone() });
    }
    if let (Some(a), Some(g)) = (&arch.base.url, &guix.base.url) {
        let (a, g) = (reduce_home_page(a), reduce_home_page(g));
        if !a.is_empty() && a == g {
            ev.push(Evidence::SameHomePage { url: a });
        }
    }
    let arch_names =
        std::iter::once(arch.pkgbase.as_str()).chain(arch.packages.iter().map(|p| p.name.as_str()));
    'names: for a in arch_names {
        for g in names.arch_to_guix(a) {
            if g == guix.pkgbase {
                ev.push(Evidence::NameConvention {
                    arch: a.to_owned(),
                    guix: g,
                });
                break 'names;
            }
        }
    }
    ev
}

fn sign(o: Ordering) -> i8 {
    o as i8
}

fn drift_size(a: &str, g: &str) -> String {
    let split = |v: &str| {
        v.split(['.', '-', '_', '+'])
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let (a, g) = (split(a), split(g));
    let idx = a
        .iter()
        .zip(&g)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(g.len()));
    match idx {
        0 => "major",
        1 => "minor",
        2 => "patch",
        _ => "other",
    }
    .to_owned()
}

fn compare_versions(arch: &Recipe, guix: &Recipe) -> VersionComparison {
    let (a, g) = (arch.pkgver.clone(), guix.pkgver.clone());
    let (Some(av), Some(gv)) = (a.as_deref(), g.as_deref()) else {
        return VersionComparison {
            arch: a,
            guix: g,
            vercmp: None,
            guix_order: None,
            orders_disagree: false,
            drift: None,
        };
    };
    let v = vercmp(av, gv);
    let s = guix_version_cmp(av, gv);
    let drift = (v != Ordering::Equal).then(|| Drift {
        newer: if v == Ordering::Greater {
            "arch"
        } else {
            "guix"
        }
        .to_owned(),
        size: drift_size(av, gv),
    });
    VersionComparison {
        arch: a.clone(),
        guix: g.clone(),
        vercmp: Some(sign(v)),
        guix_order: Some(sign(s)),
        orders_disagree: v != s,
        drift,
    }
}

fn dependency_names(r: &Recipe, relations: &[Relation]) -> BTreeSet<String> {
    relations
        .iter()
        .filter_map(|rel| r.base.relation(*rel))
        .flat_map(|p| p.for_arch("x86_64"))
        .map(|d| d.name().to_owned())
        .filter(|n| !n.is_empty())
        .collect()
}

/// Arch packages that Guix's `%standard-packages` (every gnu-build-system
/// derived build) provides without listing them as inputs.
const GUIX_IMPLICIT: &[&str] = &[
    "glibc",
    "gcc-libs",
    "gcc",
    "libgcc",
    "libstdc++",
    "make",
    "bash",
    "sh",
    "coreutils",
    "sed",
    "grep",
    "gawk",
    "tar",
    "gzip",
    "bzip2",
    "xz",
    "file",
    "diffutils",
    "patch",
    "findutils",
    "binutils",
    "base-devel",
    "ld-lsb",
    "filesystem",
];

fn compare_dependencies(arch: &Recipe, guix: &Recipe, names: &dyn NameMap) -> DependencyComparison {
    let arch_deps = dependency_names(arch, &[Relation::Depends, Relation::MakeDepends]);
    let guix_deps = dependency_names(guix, &[Relation::Depends, Relation::MakeDepends]);
    let mut out = DependencyComparison::default();
    let mut used = BTreeSet::new();
    for a in &arch_deps {
        match names
            .arch_to_guix(a)
            .into_iter()
            .find(|g| guix_deps.contains(g))
        {
            Some(g) => {
                used.insert(g);
                out.matched.push(a.clone());
            }
            None if GUIX_IMPLICIT.contains(&a.as_str()) => out.implicit.push(a.clone()),
            None => out.only_arch.push(a.clone()),
        }
    }
    out.only_guix = guix_deps.difference(&used).cloned().collect();
    out
}

fn license_set(r: &Recipe) -> Vec<String> {
    let mut v: Vec<String> = r
        .base
        .license
        .iter()
        .flatten()
        .map(|l| l.spdx().unwrap_or_else(|| l.as_str().to_owned()))
        .collect();
    v.sort();
    v.dedup();
    v
}

fn license_family(id: &str) -> String {
    id.trim_end_matches('+')
        .trim_end_matches("-only")
        .trim_end_matches("-or-later")
        .to_owned()
}

fn compare_licenses(arch: &Recipe, guix: &Recipe) -> LicenseComparison {
    let (a, g) = (license_set(arch), license_set(guix));
    let fam = |v: &[String]| v.iter().map(|s| license_family(s)).collect::<BTreeSet<_>>();
    LicenseComparison {
        equivalent: a == g,
        same_family: fam(&a) == fam(&g),
        arch: a,
        guix: g,
    }
}

fn arch_patches(r: &Recipe) -> Vec<String> {
    r.base
        .source
        .iter_all()
        .filter(|s| {
            s.is_local() && (s.file_name().ends_with(".patch") || s.file_name().ends_with(".diff"))
        })
        .map(|s| s.file_name().to_owned())
        .collect()
}

fn arch_runs_tests(r: &Recipe) -> bool {
    let disabled = r.base.options.iter().flatten().any(|o| o == "!check");
    r.function("check").is_some() && !disabled
}

fn guix_runs_tests(r: &Recipe) -> bool {
    let args = r
        .guix
        .as_ref()
        .and_then(|g| g.arguments.as_deref())
        .unwrap_or("");
    let squeezed: String = args.split_whitespace().collect::<Vec<_>>().join(" ");
    !squeezed.contains("#:tests? #f")
}

fn same_build_system(a: Option<&str>, g: Option<&str>) -> bool {
    let norm = |s: &str| {
        match s {
            "pyproject" | "python" => "python",
            "gnu" | "autotools" => "gnu",
            other => other,
        }
        .to_owned()
    };
    match (a, g) {
        (Some(a), Some(g)) => norm(a) == norm(g),
        _ => true,
    }
}

/// Compares an Arch recipe with a Guix one.
pub fn compare(arch: &Recipe, guix: &Recipe, names: &dyn NameMap) -> Comparison {
    let evidence = evidence(arch, guix, names);
    let versions = compare_versions(arch, guix);
    let a_sha = sha256s(arch);
    let g_sha = sha256s(guix);
    let same_file = a_sha.intersection(&g_sha).next().is_some();
    let same_url = evidence
        .iter()
        .any(|e| matches!(e, Evidence::SameUpstreamUrl { .. }));
    let sources = SourceComparison {
        same_file,
        same_url,
        arch_patches: arch_patches(arch),
        guix_patches: guix
            .guix
            .as_ref()
            .map(|g| g.patches.clone())
            .unwrap_or_default(),
    };
    let dependencies = compare_dependencies(arch, guix, names);
    let licenses = compare_licenses(arch, guix);
    let build_system = (arch.build_system.clone(), guix.build_system.clone());
    let tests = (arch_runs_tests(arch), guix_runs_tests(guix));

    let verdict = if evidence.is_empty() || versions.vercmp.is_none() {
        Verdict::NotComparable
    } else if versions.vercmp != Some(0) {
        Verdict::VersionDrift
    } else {
        // Same version: a different file at the same version, another
        // license family or mostly different dependencies make it divergent.
        let different_file = !a_sha.is_empty() && !g_sha.is_empty() && !same_file;
        let total = dependencies.matched.len() + dependencies.only_arch.len();
        let mostly_different = total >= 4 && dependencies.matched.len() * 2 < total;
        if different_file || !licenses.same_family || mostly_different {
            Verdict::Divergent
        } else if same_file
            && licenses.equivalent
            && dependencies.only_arch.is_empty()
            && same_build_system(build_system.0.as_deref(), build_system.1.as_deref())
        {
            Verdict::Identical
        } else {
            Verdict::Compatible
        }
    };
    Comparison {
        arch_name: arch.pkgbase.clone(),
        guix_name: guix.pkgbase.clone(),
        evidence,
        versions,
        sources,
        dependencies,
        licenses,
        build_system,
        tests,
        verdict,
    }
}

#[cfg(test)]
mod tests;
