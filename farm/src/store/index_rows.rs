//! The rows the store derives from a recipe for look-ups: its packages,
//! dependencies, provisions, sources with checksums and its search text.
//!
//! Pure: this turns a [`Recipe`] into plain rows and checks the rules the
//! tables rely on; the SQL that writes them lives in `recipes`.

use std::collections::{BTreeSet, HashSet};

use kiln_normalizer::{
    Checksum, ChecksumKind, Dependency, DependencyKind, PackageFields, PerArch, Recipe, Relation,
};

/// Longest name the store accepts for a recipe or package.
pub(crate) const MAX_NAME_LEN: usize = 512;

/// A package of the recipe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PackageRow {
    pub name: String,
    pub description: Option<String>,
}

/// A dependency; `package` indexes [`IndexRows::packages`], `None` for a
/// recipe-wide (build or check) dependency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DependencyRow {
    pub package: Option<usize>,
    pub kind: DependencyKind,
    pub name: String,
    pub op: Option<&'static str>,
    pub version: Option<String>,
    pub arch: Option<String>,
    pub reason: Option<String>,
    pub text: String,
}

/// A `provides` entry of one package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProvidesRow {
    pub package: usize,
    pub name: String,
    pub version: Option<String>,
    pub arch: Option<String>,
    pub text: String,
}

/// A source with one of its checksums (or none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SourceRow {
    pub position: usize,
    pub arch: Option<String>,
    pub text: String,
    pub url: String,
    pub file_name: String,
    pub checksum_kind: Option<&'static str>,
    pub digest: Option<String>,
}

/// The text the full-text index holds for a recipe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SearchRow {
    pub names: String,
    pub descriptions: String,
    pub provides: String,
}

/// Everything derived from one recipe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IndexRows {
    pub description: Option<String>,
    pub packages: Vec<PackageRow>,
    pub dependencies: Vec<DependencyRow>,
    pub provides: Vec<ProvidesRow>,
    pub sources: Vec<SourceRow>,
    pub search: SearchRow,
}

/// The store's column value of a dependency kind.
pub(crate) fn kind_column(kind: DependencyKind) -> &'static str {
    match kind {
        DependencyKind::Runtime => "runtime",
        DependencyKind::Build => "build",
        DependencyKind::Check => "check",
        DependencyKind::Optional => "optional",
    }
}

/// The store's column value of a checksum kind: its makepkg name without
/// `sums` (`sha256`, `b2` ...).
pub(crate) fn checksum_column(kind: ChecksumKind) -> &'static str {
    match kind {
        ChecksumKind::Ck => "ck",
        ChecksumKind::Md5 => "md5",
        ChecksumKind::Sha1 => "sha1",
        ChecksumKind::Sha224 => "sha224",
        ChecksumKind::Sha256 => "sha256",
        ChecksumKind::Sha384 => "sha384",
        ChecksumKind::Sha512 => "sha512",
        ChecksumKind::B2 => "b2",
    }
}

/// Checks a name for the store: non-empty, bounded, no control characters.
fn check_name(what: &str, name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err(format!("empty {what} name"));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(format!("{what} name longer than {MAX_NAME_LEN} bytes"));
    }
    if name.chars().any(char::is_control) {
        return Err(format!("{what} name {name:?} contains a control character"));
    }
    Ok(())
}

/// Derives the index rows of `recipe`, or says which rule it breaks.
pub(crate) fn derive(recipe: &Recipe) -> Result<IndexRows, String> {
    check_name("recipe", &recipe.pkgbase)?;
    if recipe.packages.is_empty() {
        return Err("no packages".to_owned());
    }
    let mut seen = HashSet::new();
    for p in &recipe.packages {
        check_name("package", &p.name)?;
        if !seen.insert(p.name.as_str()) {
            return Err(format!("package {:?} listed twice", p.name));
        }
    }

    let mut packages = Vec::new();
    let mut dependencies = Vec::new();
    let mut provides = Vec::new();
    // Build and check dependencies are the pkgbase's.
    for relation in [Relation::MakeDepends, Relation::CheckDepends] {
        if let Some(list) = recipe.base.relation(relation) {
            push_dependencies(&mut dependencies, None, relation, list);
        }
    }
    for (index, package) in recipe.packages.iter().enumerate() {
        let fields = recipe.base.overlay(&package.overrides);
        packages.push(PackageRow {
            name: package.name.clone(),
            description: fields.pkgdesc.clone(),
        });
        // A package function that sets build or check dependencies anyway.
        for relation in [Relation::MakeDepends, Relation::CheckDepends] {
            if let Some(list) = package.overrides.relation(relation) {
                push_dependencies(&mut dependencies, Some(index), relation, list);
            }
        }
        for relation in [Relation::Depends, Relation::OptDepends] {
            if let Some(list) = fields.relation(relation) {
                push_dependencies(&mut dependencies, Some(index), relation, list);
            }
        }
        if let Some(list) = fields.relation(Relation::Provides) {
            for (arch, dep) in entries(list) {
                provides.push(ProvidesRow {
                    package: index,
                    name: dep.name().to_owned(),
                    version: dep.constraint().map(|c| c.version),
                    arch,
                    text: dep.as_str().to_owned(),
                });
            }
        }
    }

    let description = recipe
        .base
        .pkgdesc
        .clone()
        .or_else(|| recipe.description.clone());
    let search = search_row(recipe, &packages, &provides);
    Ok(IndexRows {
        description,
        packages,
        dependencies,
        provides,
        sources: source_rows(&recipe.base),
        search,
    })
}

/// Entries of a per-architecture list with their architecture (`None` for
/// the general list).
fn entries<T>(list: &PerArch<T>) -> impl Iterator<Item = (Option<String>, &T)> {
    let general = list.all.iter().flatten().map(|v| (None, v));
    let own = list
        .per_arch
        .iter()
        .flat_map(|(arch, values)| values.iter().map(move |v| (Some(arch.clone()), v)));
    general.chain(own)
}

fn push_dependencies(
    out: &mut Vec<DependencyRow>,
    package: Option<usize>,
    relation: Relation,
    list: &PerArch<Dependency>,
) {
    let Some(kind) = relation.dependency_kind() else {
        return;
    };
    for (arch, dep) in entries(list) {
        let constraint = dep.constraint();
        out.push(DependencyRow {
            package,
            kind,
            name: dep.name().to_owned(),
            op: constraint.as_ref().map(|c| c.op.as_str()),
            version: constraint.map(|c| c.version),
            arch,
            reason: dep.reason().map(str::to_owned),
            text: dep.as_str().to_owned(),
        });
    }
}

/// Sources paired with their checksums by position, per architecture list.
fn source_rows(base: &PackageFields) -> Vec<SourceRow> {
    let mut rows = Vec::new();
    let lists = base
        .source
        .all
        .iter()
        .map(|l| (None, l))
        .chain(base.source.per_arch.iter().map(|(a, l)| (Some(a), l)));
    for (arch, list) in lists {
        for (position, source) in list.iter().enumerate() {
            let row = |kind: Option<ChecksumKind>, digest: Option<String>| SourceRow {
                position,
                arch: arch.cloned(),
                text: source.as_str().to_owned(),
                url: source.url().to_owned(),
                file_name: source.file_name().to_owned(),
                checksum_kind: kind.map(checksum_column),
                digest,
            };
            let mut any = false;
            for (kind, sums) in &base.checksums {
                let sums = match arch {
                    None => sums.all.as_ref(),
                    Some(a) => sums.per_arch.get(a),
                };
                if let Some(sum) = sums.and_then(|s| s.get(position)) {
                    any = true;
                    let digest = match sum {
                        Checksum::Skip => None,
                        Checksum::Digest(d) if kind.hex_len().is_some() => {
                            Some(d.to_ascii_lowercase())
                        }
                        Checksum::Digest(d) => Some(d.clone()),
                    };
                    rows.push(row(Some(*kind), digest));
                }
            }
            if !any {
                rows.push(row(None, None));
            }
        }
    }
    rows
}

fn search_row(recipe: &Recipe, packages: &[PackageRow], provides: &[ProvidesRow]) -> SearchRow {
    let mut names = vec![recipe.pkgbase.as_str()];
    names.extend(
        packages
            .iter()
            .map(|p| p.name.as_str())
            .filter(|n| *n != recipe.pkgbase),
    );
    let mut descriptions: Vec<&str> = Vec::new();
    let candidates = recipe
        .base
        .pkgdesc
        .iter()
        .chain(&recipe.description)
        .chain(packages.iter().filter_map(|p| p.description.as_ref()));
    for d in candidates {
        if !descriptions.contains(&d.as_str()) {
            descriptions.push(d);
        }
    }
    let provided: BTreeSet<&str> = provides.iter().map(|p| p.name.as_str()).collect();
    SearchRow {
        names: names.join(" "),
        descriptions: descriptions.join("\n"),
        provides: provided.into_iter().collect::<Vec<_>>().join(" "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_recipes;

    #[test]
    fn split_recipe_rows() {
        let recipe = test_recipes::split();
        let rows = derive(&recipe).unwrap();
        let names: Vec<_> = rows.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["libfoo", "libfoo-docs"]);
        // makedepends once, recipe-wide; depends per package.
        let build: Vec<_> = rows
            .dependencies
            .iter()
            .filter(|d| d.kind == DependencyKind::Build)
            .collect();
        assert_eq!(build.len(), 1);
        assert_eq!(build[0].package, None);
        let runtime: Vec<_> = rows
            .dependencies
            .iter()
            .filter(|d| d.kind == DependencyKind::Runtime)
            .map(|d| (d.package, d.name.as_str(), d.op, d.arch.as_deref()))
            .collect();
        assert_eq!(
            runtime,
            [
                (Some(0), "glibc", Some(">="), None),
                (Some(0), "zlib", None, Some("x86_64")),
                (Some(1), "libfoo", None, None),
                (Some(1), "zlib", None, Some("x86_64")),
            ]
        );
        assert_eq!(rows.provides.len(), 1);
        assert_eq!(rows.provides[0].name, "libfoo.so");
        assert_eq!(rows.provides[0].version.as_deref(), Some("1-64"));
        assert_eq!(rows.search.names, "libfoo libfoo-docs");
    }

    #[test]
    fn sources_pair_with_checksums_by_position() {
        let rows = derive(&test_recipes::split()).unwrap();
        let got: Vec<_> = rows
            .sources
            .iter()
            .map(|s| {
                (
                    s.position,
                    s.file_name.as_str(),
                    s.checksum_kind,
                    s.digest.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    0,
                    "libfoo-1.2.tar.gz",
                    Some("sha256"),
                    Some(test_recipes::SHA_A)
                ),
                (1, "fix.patch", Some("sha256"), None),
            ]
        );
    }

    #[test]
    fn broken_recipes_are_refused() {
        let mut empty = test_recipes::single("x", "1.0");
        empty.pkgbase = " ".into();
        let mut none = test_recipes::single("x", "1.0");
        none.packages.clear();
        let mut twice = test_recipes::single("x", "1.0");
        twice.packages.push(twice.packages[0].clone());
        let mut control = test_recipes::single("x", "1.0");
        control.pkgbase = "a\nb".into();
        for (recipe, want) in [
            (empty, "empty recipe name"),
            (none, "no packages"),
            (twice, "listed twice"),
            (control, "control character"),
        ] {
            let err = derive(&recipe).unwrap_err();
            assert!(err.contains(want), "{err}");
        }
    }
}
