//! The normalized recipe: what Kiln knows about one package recipe, whichever
//! tradition it came from.
//!
//! The shape follows the PKGBUILD, the richer of the two for metadata: a
//! `pkgbase` with global values and one or more split packages, each of which
//! may override (or clear) global values, with architecture-specific lists
//! beside the general ones. Guix-origin recipes fill the same fields (a Guix
//! package is a pkgbase with one package per output) and keep what has no
//! PKGBUILD counterpart in [`GuixDetails`]. Values that could not be known
//! without running recipe code are never guessed: the attribute is named in
//! [`Recipe::unknown`] and a [`ImportWarning`] says where and why.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::dependency::{Dependency, DependencyKind};
use crate::license::License;
use crate::source::{Checksum, ChecksumKind, Source};
use crate::version::Version;
use crate::ModelError;

/// Where a recipe was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// An Arch PKGBUILD (official repositories, the AUR, Arch-style repos).
    Arch,
    /// A GNU Guix package definition.
    Guix,
}

impl Origin {
    /// The lower-case name used on the command line and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Arch => "arch",
            Origin::Guix => "guix",
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The relation arrays of a PKGBUILD, in the order .SRCINFO lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Relation {
    /// `checkdepends`
    CheckDepends,
    /// `makedepends`
    MakeDepends,
    /// `depends`
    Depends,
    /// `optdepends`
    OptDepends,
    /// `provides`
    Provides,
    /// `conflicts`
    Conflicts,
    /// `replaces`
    Replaces,
}

impl Relation {
    /// All relations, in .SRCINFO order.
    pub const ALL: [Relation; 7] = [
        Relation::CheckDepends,
        Relation::MakeDepends,
        Relation::Depends,
        Relation::OptDepends,
        Relation::Provides,
        Relation::Conflicts,
        Relation::Replaces,
    ];

    /// The PKGBUILD array name.
    pub fn array_name(self) -> &'static str {
        match self {
            Relation::CheckDepends => "checkdepends",
            Relation::MakeDepends => "makedepends",
            Relation::Depends => "depends",
            Relation::OptDepends => "optdepends",
            Relation::Provides => "provides",
            Relation::Conflicts => "conflicts",
            Relation::Replaces => "replaces",
        }
    }

    /// The relation for a PKGBUILD array name.
    pub fn from_array_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.array_name() == name)
    }

    /// The dependency kind, for the four dependency arrays.
    pub fn dependency_kind(self) -> Option<DependencyKind> {
        match self {
            Relation::Depends => Some(DependencyKind::Runtime),
            Relation::MakeDepends => Some(DependencyKind::Build),
            Relation::CheckDepends => Some(DependencyKind::Check),
            Relation::OptDepends => Some(DependencyKind::Optional),
            _ => None,
        }
    }
}

/// A list attribute with architecture-specific variants
/// (`source`, `source_x86_64`, `source_aarch64` ...).
///
/// `all` is `None` when the attribute is not assigned at this level (for a
/// split package: not overridden) and `Some(vec![])` when it is assigned
/// empty (for a split package: cleared). Each entry of `per_arch` is an
/// assignment of `NAME_ARCH`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(serialize = "T: Serialize", deserialize = "T: Deserialize<'de>"))]
pub struct PerArch<T> {
    /// The architecture-independent list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all: Option<Vec<T>>,
    /// Lists for one architecture each.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub per_arch: BTreeMap<String, Vec<T>>,
}

impl<T> Default for PerArch<T> {
    fn default() -> Self {
        Self {
            all: None,
            per_arch: BTreeMap::new(),
        }
    }
}

impl<T> PerArch<T> {
    /// Whether nothing is assigned at all.
    pub fn is_unset(&self) -> bool {
        self.all.is_none() && self.per_arch.is_empty()
    }

    /// The entries that apply on `arch`: the general list, then that
    /// architecture's own.
    pub fn for_arch<'a>(&'a self, arch: &str) -> impl Iterator<Item = &'a T> + 'a {
        let own = self
            .per_arch
            .get(arch)
            .map(Vec::as_slice)
            .unwrap_or_default();
        self.all.iter().flatten().chain(own)
    }

    /// Every entry, general and architecture-specific.
    pub fn iter_all(&self) -> impl Iterator<Item = &T> {
        self.all
            .iter()
            .flatten()
            .chain(self.per_arch.values().flatten())
    }
}

/// The attributes a PKGBUILD may set globally and a split package may
/// override. Every field is "unset" by default; see [`PerArch`] for lists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageFields {
    /// One-line description (`pkgdesc`; Guix `synopsis`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pkgdesc: Option<String>,
    /// Upstream home page (`url`; Guix `home-page`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The `.install` script's file name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub install: Option<String>,
    /// The changelog file's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changelog: Option<String>,
    /// Architectures (`x86_64`, `any` ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<Vec<String>>,
    /// Package groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
    /// Licenses as written, each with its SPDX reading on demand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<Vec<License>>,
    /// Source files not to extract.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noextract: Option<Vec<String>>,
    /// makepkg options (`!strip`, `staticlibs` ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<String>>,
    /// Configuration files kept on upgrade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup: Option<Vec<String>>,
    /// PGP key fingerprints allowed to sign sources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validpgpkeys: Option<Vec<String>>,
    /// Dependencies and relations, by array.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub relations: BTreeMap<Relation, PerArch<Dependency>>,
    /// Sources.
    #[serde(default, skip_serializing_if = "PerArch::is_unset")]
    pub source: PerArch<Source>,
    /// Checksums by kind, paired with `source` by position.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub checksums: BTreeMap<ChecksumKind, PerArch<Checksum>>,
}

impl PackageFields {
    /// The list of one relation, if assigned.
    pub fn relation(&self, relation: Relation) -> Option<&PerArch<Dependency>> {
        self.relations.get(&relation)
    }

    /// The list of one relation, created unset if absent.
    pub fn relation_mut(&mut self, relation: Relation) -> &mut PerArch<Dependency> {
        self.relations.entry(relation).or_default()
    }

    /// Values of `overrides` where set, else of `self`: what a split package
    /// ends up with.
    pub fn overlay(&self, overrides: &PackageFields) -> PackageFields {
        fn pick<T: Clone>(base: &Option<T>, over: &Option<T>) -> Option<T> {
            over.clone().or_else(|| base.clone())
        }
        fn pick_arch<T: Clone>(base: &PerArch<T>, over: &PerArch<T>) -> PerArch<T> {
            let mut out = PerArch {
                all: pick(&base.all, &over.all),
                per_arch: base.per_arch.clone(),
            };
            out.per_arch.extend(over.per_arch.clone());
            out
        }
        let mut relations = BTreeMap::new();
        for r in Relation::ALL {
            let empty = PerArch::default();
            let merged = pick_arch(
                self.relations.get(&r).unwrap_or(&empty),
                overrides.relations.get(&r).unwrap_or(&empty),
            );
            if !merged.is_unset() {
                relations.insert(r, merged);
            }
        }
        PackageFields {
            pkgdesc: pick(&self.pkgdesc, &overrides.pkgdesc),
            url: pick(&self.url, &overrides.url),
            install: pick(&self.install, &overrides.install),
            changelog: pick(&self.changelog, &overrides.changelog),
            arch: pick(&self.arch, &overrides.arch),
            groups: pick(&self.groups, &overrides.groups),
            license: pick(&self.license, &overrides.license),
            noextract: pick(&self.noextract, &overrides.noextract),
            options: pick(&self.options, &overrides.options),
            backup: pick(&self.backup, &overrides.backup),
            validpgpkeys: pick(&self.validpgpkeys, &overrides.validpgpkeys),
            relations,
            // Sources belong to the pkgbase; packages cannot override them.
            source: self.source.clone(),
            checksums: self.checksums.clone(),
        }
    }
}

/// One package built from a recipe (a PKGBUILD's `pkgname` entry; a Guix
/// output), with what its `package_NAME()` function overrides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SplitPackage {
    /// The package name.
    pub name: String,
    /// Values set inside this package's function; unset fields inherit.
    #[serde(default)]
    pub overrides: PackageFields,
}

/// A shell function of the recipe (`build`, `package_foo` ...), kept as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildFunction {
    /// The function's name.
    pub name: String,
    /// Its body as written, without the braces.
    pub body: String,
    /// Line of the definition in the recipe file (1-based).
    pub line: u32,
}

/// Why an import could not take something as fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WarningKind {
    /// `$(...)` or backquotes: needs running a command.
    CommandSubstitution,
    /// A `pkgver()` function: the real version is computed at build time.
    PkgverFunction,
    /// `source FILE` or `eval`: runs text Kiln cannot see statically.
    SourceOrEval,
    /// A loop that assigns attributes.
    Loop,
    /// A variable whose value is unknown (environment, unknown earlier value).
    UnknownVariable,
    /// A condition that cannot be decided statically.
    UndecidableCondition,
    /// Shell syntax outside what static evaluation covers.
    UnsupportedSyntax,
    /// The text does not parse; the rest of the file was read as far as possible.
    SyntaxError,
    /// A Guix procedure or form that needs real evaluation.
    NeedsEvaluation,
    /// A value that was read but breaks the model's rules (kept as written).
    InvalidValue,
    /// A `.SRCINFO` beside the recipe disagrees with the recipe itself.
    StaleSrcinfo,
}

/// A construct that could not be evaluated statically, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportWarning {
    /// The recipe file, as the importer was given it.
    pub file: String,
    /// 1-based line (0 when the construct has no single line).
    pub line: u32,
    /// What kind of construct.
    pub kind: WarningKind,
    /// The attribute whose value is affected, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute: Option<String>,
    /// A lower-case sentence saying what was found.
    pub message: String,
}

impl fmt::Display for ImportWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// What only a Guix package has: its binding, build system arguments and
/// labelled inputs, kept for faithful emission and comparison.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuixDetails {
    /// Module file that binds the package, e.g. `gnu/packages/base.scm`.
    pub module: String,
    /// Top-level variable bound to it.
    pub variable: String,
    /// Whether the binding is `define-public`.
    pub public: bool,
    /// Line of the `(package` form.
    pub line: u32,
    /// The origin's fetch method (`url-fetch`, `git-fetch` ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_method: Option<String>,
    /// Patch file names from `search-patches`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub patches: Vec<String>,
    /// Labelled inputs: `inputs`, `native-inputs`, `propagated-inputs`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<GuixInput>,
    /// License record names as Guix names them (`GPL 3+`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub license_names: Vec<String>,
    /// Outputs (`out`, `doc`, `lib` ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<String>,
    /// `arguments` printed as an S-expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<String>,
    /// Top-level keywords of `arguments`, without `#:`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub argument_keywords: Vec<String>,
    /// `properties` printed, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<String>,
}

/// Which input list of a Guix package an input sits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GuixInputKind {
    /// `inputs`
    Inputs,
    /// `native-inputs`
    NativeInputs,
    /// `propagated-inputs`
    PropagatedInputs,
}

/// One Guix input: a label and the package (or origin) it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuixInput {
    /// Which list.
    pub kind: GuixInputKind,
    /// The label (for new-style inputs, the package name).
    pub label: String,
    /// Package name, or `None` for an origin or file.
    pub name: Option<String>,
    /// Package version, when a package.
    pub version: Option<String>,
    /// Output used, when not `out`; or a description of a non-package input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
}

/// A normalized recipe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipe {
    /// Which tradition it came from.
    pub origin: Origin,
    /// `pkgbase` (for a single package, its name).
    pub pkgbase: String,
    /// The packages it builds, at least one.
    pub packages: Vec<SplitPackage>,
    /// `epoch` as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<String>,
    /// `pkgver` as written (for VCS packages, the static value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pkgver: Option<String>,
    /// `pkgrel` as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pkgrel: Option<String>,
    /// The global attribute values.
    pub base: PackageFields,
    /// Long description (Guix `description`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The build system: Guix's own name, or the one inferred from a
    /// PKGBUILD's `build()` (`gnu`, `cmake`, `meson`, `python`, `cargo` ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_system: Option<String>,
    /// Shell functions kept as text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub functions: Vec<BuildFunction>,
    /// Guix-only details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guix: Option<GuixDetails>,
    /// Attributes whose value could not be known statically.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub unknown: BTreeSet<String>,
    /// One warning per construct that could not be evaluated statically.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<ImportWarning>,
}

impl Recipe {
    /// A recipe with one package of the same name and nothing else set.
    pub fn new(origin: Origin, pkgbase: impl Into<String>) -> Self {
        let pkgbase = pkgbase.into();
        Self {
            origin,
            packages: vec![SplitPackage {
                name: pkgbase.clone(),
                overrides: PackageFields::default(),
            }],
            pkgbase,
            epoch: None,
            pkgver: None,
            pkgrel: None,
            base: PackageFields::default(),
            description: None,
            build_system: None,
            functions: Vec::new(),
            guix: None,
            unknown: BTreeSet::new(),
            warnings: Vec::new(),
        }
    }

    /// The full version, when pkgver is known and well-formed.
    pub fn version(&self) -> Result<Version, ModelError> {
        let pkgver = self
            .pkgver
            .as_deref()
            .ok_or_else(|| ModelError::InvalidVersion(String::new()))?;
        Version::new(self.epoch.as_deref(), pkgver, self.pkgrel.as_deref())
    }

    /// `[epoch:]pkgver[-pkgrel]` as text, whatever its form; empty when
    /// pkgver is unknown.
    pub fn version_text(&self) -> String {
        let mut s = String::new();
        if let Some(e) = self.epoch.as_deref().filter(|e| !e.is_empty()) {
            s.push_str(e);
            s.push(':');
        }
        s.push_str(self.pkgver.as_deref().unwrap_or(""));
        if let Some(r) = self.pkgrel.as_deref().filter(|r| !r.is_empty()) {
            s.push('-');
            s.push_str(r);
        }
        s
    }

    /// What split package `name` ends up with: its overrides over the globals.
    pub fn package_fields(&self, name: &str) -> Option<PackageFields> {
        let pkg = self.packages.iter().find(|p| p.name == name)?;
        Some(self.base.overlay(&pkg.overrides))
    }

    /// The fields of the first package (the base fields with its
    /// overrides), or the base fields when the recipe lists no package.
    pub fn first_package_fields(&self) -> PackageFields {
        match self.packages.first() {
            Some(p) => self.base.overlay(&p.overrides),
            None => self.base.clone(),
        }
    }

    /// A shell function by name.
    pub fn function(&self, name: &str) -> Option<&BuildFunction> {
        self.functions.iter().find(|f| f.name == name)
    }

    /// Records a warning.
    pub fn warn(&mut self, warning: ImportWarning) {
        if let Some(attr) = &warning.attribute {
            self.unknown.insert(attr.clone());
        }
        self.warnings.push(warning);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_package_overlay_clears_and_inherits() {
        let mut r = Recipe::new(Origin::Arch, "base");
        r.base.pkgdesc = Some("global".into());
        r.base.relation_mut(Relation::Depends).all = Some(vec!["glibc".into()]);
        r.packages[0].overrides.relation_mut(Relation::Depends).all = Some(vec![]);
        r.packages.push(SplitPackage {
            name: "base-doc".into(),
            overrides: PackageFields {
                pkgdesc: Some("docs".into()),
                ..Default::default()
            },
        });
        let main = r.package_fields("base").unwrap();
        assert_eq!(main.pkgdesc.as_deref(), Some("global"));
        assert_eq!(main.relation(Relation::Depends).unwrap().all, Some(vec![]));
        let doc = r.package_fields("base-doc").unwrap();
        assert_eq!(doc.pkgdesc.as_deref(), Some("docs"));
        assert_eq!(
            doc.relation(Relation::Depends)
                .unwrap()
                .all
                .as_ref()
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn version_text_and_typed_version() {
        let mut r = Recipe::new(Origin::Arch, "x");
        r.epoch = Some("1".into());
        r.pkgver = Some("2.0".into());
        r.pkgrel = Some("3".into());
        assert_eq!(r.version_text(), "1:2.0-3");
        assert_eq!(r.version().unwrap().to_string(), "1:2.0-3");
    }
}
