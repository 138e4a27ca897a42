//! From the variables left after the walk to a [`Recipe`]: what makepkg
//! does after sourcing (`pkgbase=${pkgbase:-${pkgname[0]}}`, `srcdir`,
//! `pkgdir`), the global attributes with their `_ARCH` variants, the
//! per-package overrides, the functions kept as text, and the warnings.

use kiln_normalizer::{
    BuildFunction, Checksum, ChecksumKind, Dependency, ImportWarning, License, Origin,
    PackageFields, Recipe, Relation, Source, SplitPackage, WarningKind,
};

use super::interp::Interpreter;
use super::overrides;
use super::variables::{Unknown, Value, Variables};
use super::{build_system, PkgbuildError, ARCH_ARRAYS};

/// What makepkg's environment holds when it sources a PKGBUILD with its
/// stock configuration (`CARCH=x86_64`; `CHOST` as in that `makepkg.conf`).
pub(crate) fn initial_variables() -> Variables {
    let mut v = Variables::default();
    v.set("CARCH", Value::Scalar("x86_64".into()));
    v.set("CHOST", Value::Scalar("x86_64-linux-gnu".into()));
    v.set("PKGEXT", Value::Scalar(".pkg.tar.gz".into()));
    v.set("SRCEXT", Value::Scalar(".src.tar.gz".into()));
    for name in [
        "HOME",
        "USER",
        "LOGNAME",
        "PATH",
        "PWD",
        "OLDPWD",
        "LANG",
        "startdir",
        "BUILDDIR",
        "SRCDEST",
        "PKGDEST",
        "LOGDEST",
        "SRCPKGDEST",
        "BUILDFILE",
        "SHELL",
        "HOSTNAME",
    ] {
        v.set(
            name,
            Value::Unknown(Unknown::new(
                WarningKind::UnknownVariable,
                0,
                format!("`{name}` depends on the host running makepkg"),
            )),
        );
    }
    v
}

const PKG_SCALARS: [&str; 4] = ["pkgdesc", "url", "install", "changelog"];
const PKG_ARRAYS: [&str; 11] = [
    "arch",
    "groups",
    "license",
    "checkdepends",
    "depends",
    "optdepends",
    "provides",
    "conflicts",
    "replaces",
    "options",
    "backup",
];
const BASE_ARRAYS: [&str; 4] = ["makedepends", "noextract", "source", "validpgpkeys"];

struct Collector {
    file: String,
    recipe: Recipe,
}

impl Collector {
    fn unknown(&mut self, attr: &str, u: &Unknown) {
        if !self.recipe.unknown.contains(attr) {
            self.recipe.warn(ImportWarning {
                file: self.file.clone(),
                line: u.line,
                kind: u.kind,
                attribute: Some(attr.to_owned()),
                message: u.message.clone(),
            });
        }
    }

    /// Stores a list value of `name` (with `arch` for `NAME_ARCH`).
    fn set_list(&mut self, target: Target, name: &str, arch: Option<&str>, values: Vec<String>) {
        let file = self.file.clone();
        let fields = match target {
            Target::Base => &mut self.recipe.base,
            Target::Package(i) => &mut self.recipe.packages[i].overrides,
        };
        let mut bad = Vec::new();
        if let Some(rel) = Relation::from_array_name(name) {
            let slot = fields.relation_mut(rel);
            let deps: Vec<Dependency> = values.into_iter().map(Dependency::new).collect();
            put(&mut slot.all, &mut slot.per_arch, arch, deps);
        } else if let Some(kind) = ChecksumKind::from_array_name(name) {
            let slot = fields.checksums.entry(kind).or_default();
            let sums: Vec<Checksum> = values.iter().map(|v| Checksum::parse(v)).collect();
            put(&mut slot.all, &mut slot.per_arch, arch, sums);
        } else if name == "source" {
            let mut sources = Vec::new();
            for v in values {
                match Source::new(v.clone()) {
                    Ok(s) => sources.push(s),
                    Err(e) => bad.push(format!("source entry {v:?}: {e}")),
                }
            }
            let slot = &mut fields.source;
            put(&mut slot.all, &mut slot.per_arch, arch, sources);
        } else if arch.is_none() {
            match name {
                "license" => {
                    fields.license = Some(values.into_iter().map(License::new).collect());
                }
                "arch" => fields.arch = Some(values),
                "groups" => fields.groups = Some(values),
                "noextract" => fields.noextract = Some(values),
                "options" => fields.options = Some(values),
                "backup" => fields.backup = Some(values),
                "validpgpkeys" => fields.validpgpkeys = Some(values),
                _ => {}
            }
        }
        for message in bad {
            self.recipe.warnings.push(ImportWarning {
                file: file.clone(),
                line: 0,
                kind: WarningKind::InvalidValue,
                attribute: Some(name.to_owned()),
                message,
            });
        }
    }

    fn set_scalar(&mut self, target: Target, name: &str, value: String) {
        let fields = match target {
            Target::Base => &mut self.recipe.base,
            Target::Package(i) => &mut self.recipe.packages[i].overrides,
        };
        let slot = match name {
            "pkgdesc" => &mut fields.pkgdesc,
            "url" => &mut fields.url,
            "install" => &mut fields.install,
            _ => &mut fields.changelog,
        };
        *slot = Some(value);
    }
}

#[derive(Clone, Copy)]
enum Target {
    Base,
    Package(usize),
}

fn put<T>(
    all: &mut Option<Vec<T>>,
    per_arch: &mut std::collections::BTreeMap<String, Vec<T>>,
    arch: Option<&str>,
    values: Vec<T>,
) {
    match arch {
        Some(a) => {
            per_arch.insert(a.to_owned(), values);
        }
        None => *all = Some(values),
    }
}

/// Builds the recipe from a finished walk.
pub(crate) fn recipe(mut it: Interpreter<'_>) -> Result<Recipe, PkgbuildError> {
    let file = it.file.to_owned();
    for name in std::mem::take(&mut it.locals) {
        it.vars.unset(&name);
    }
    let names = match it.vars.get("pkgname") {
        None => {
            return Err(PkgbuildError::Invalid {
                file,
                line: 0,
                message: "no pkgname".into(),
            })
        }
        Some(Value::Unknown(u)) => {
            return Err(PkgbuildError::Invalid {
                file,
                line: u.line,
                message: format!("pkgname cannot be known statically: {}", u.message),
            })
        }
        Some(v) => v.elements().unwrap_or_default(),
    };
    if names.is_empty() || names[0].is_empty() {
        return Err(PkgbuildError::Invalid {
            file,
            line: 0,
            message: "pkgname is empty".into(),
        });
    }
    let pkgbase = match it.vars.get("pkgbase").map(Value::scalar) {
        Some(Err(u)) => {
            return Err(PkgbuildError::Invalid {
                file,
                line: u.line,
                message: format!("pkgbase cannot be known statically: {}", u.message),
            })
        }
        Some(Ok(s)) if !s.is_empty() => s,
        _ => names[0].clone(),
    };
    for name in names.iter().chain(std::iter::once(&pkgbase)) {
        if let Some(why) = invalid_name(name) {
            return Err(PkgbuildError::Invalid {
                file,
                line: 0,
                message: format!("package name {name:?} {why}, which makepkg refuses"),
            });
        }
    }
    it.vars.set("pkgbase", Value::Scalar(pkgbase.clone()));
    for (name, sub) in [("srcdir", "src"), ("pkgdir", "pkg")] {
        it.vars.set(
            name,
            Value::Unknown(Unknown::new(
                WarningKind::UnknownVariable,
                0,
                format!("`{name}` is `$startdir/{sub}`, a directory of the host running makepkg"),
            )),
        );
    }

    let mut recipe = Recipe::new(Origin::Arch, pkgbase);
    recipe.packages = names
        .iter()
        .map(|n| SplitPackage {
            name: n.clone(),
            overrides: PackageFields::default(),
        })
        .collect();
    recipe.warnings = std::mem::take(&mut it.warnings);
    for w in &recipe.warnings {
        if let Some(a) = &w.attribute {
            recipe.unknown.insert(a.clone());
        }
    }
    let mut c = Collector {
        file: file.clone(),
        recipe,
    };

    // Global single values: an array gives its first element.
    for name in [
        "pkgver",
        "pkgrel",
        "epoch",
        "pkgdesc",
        "url",
        "install",
        "changelog",
    ] {
        let value = match it.vars.get(name).map(Value::scalar) {
            None => continue,
            Some(Err(u)) => {
                c.unknown(name, &u);
                continue;
            }
            Some(Ok(s)) if s.is_empty() => continue,
            Some(Ok(s)) => s,
        };
        match name {
            "pkgver" => c.recipe.pkgver = Some(value),
            "pkgrel" => c.recipe.pkgrel = Some(value),
            "epoch" => c.recipe.epoch = Some(value),
            _ => c.set_scalar(Target::Base, name, value),
        }
    }
    // Global lists and their `_ARCH` variants.
    let mut list_names: Vec<String> = it
        .vars
        .names()
        .filter(|n| {
            PKG_ARRAYS.contains(n)
                || BASE_ARRAYS.contains(n)
                || ARCH_ARRAYS.contains(n)
                || n.split_once('_')
                    .is_some_and(|(b, a)| !a.is_empty() && ARCH_ARRAYS.contains(&b))
        })
        .map(str::to_owned)
        .collect();
    list_names.sort();
    for name in &list_names {
        let (base, arch) = split_arch(name);
        match it.vars.get(name).map(Value::elements) {
            Some(Ok(v)) if !v.is_empty() => c.set_list(Target::Base, base, arch, v),
            Some(Err(u)) => c.unknown(name, &u),
            _ => {}
        }
    }

    // Package overrides.
    let global_arches: Vec<String> = c.recipe.base.arch.clone().unwrap_or_default();
    for (i, pkg) in names.iter().enumerate() {
        let func = it
            .functions
            .iter()
            .rev()
            .find(|(n, _)| *n == format!("package_{pkg}"))
            .or_else(|| it.functions.iter().rev().find(|(n, _)| n == "package"));
        let Some((_, def)) = func else { continue };
        let lines = &def.assignments;
        if lines.is_empty() {
            continue;
        }
        let target = Target::Package(i);
        for name in PKG_SCALARS {
            match overrides::evaluate(name, false, lines, &it.vars, pkg) {
                None => {}
                Some(Ok(v)) => c.set_scalar(target, name, v.scalar().unwrap_or_default()),
                Some(Err(u)) => c.unknown(name, &u),
            }
        }
        for name in PKG_ARRAYS {
            match overrides::evaluate(name, true, lines, &it.vars, pkg) {
                None => {}
                Some(Ok(v)) => c.set_list(target, name, None, v.elements().unwrap_or_default()),
                Some(Err(u)) => c.unknown(name, &u),
            }
        }
        let arches = c.recipe.packages[i]
            .overrides
            .arch
            .clone()
            .unwrap_or_else(|| global_arches.clone());
        for arch in arches.iter().filter(|a| *a != "any") {
            for base in ARCH_ARRAYS {
                let name = format!("{base}_{arch}");
                match overrides::evaluate(&name, true, lines, &it.vars, pkg) {
                    None => {}
                    Some(Ok(v)) => {
                        c.set_list(target, base, Some(arch), v.elements().unwrap_or_default())
                    }
                    Some(Err(u)) => c.unknown(&name, &u),
                }
            }
        }
    }

    // Functions, kept as text.
    for (name, def) in &it.functions {
        c.recipe.functions.push(BuildFunction {
            name: name.clone(),
            body: def.body.clone(),
            line: def.line,
        });
    }
    if let Some(f) = c.recipe.function("pkgver") {
        let line = f.line;
        c.recipe.warn(ImportWarning {
            file: file.clone(),
            line,
            kind: WarningKind::PkgverFunction,
            attribute: Some("pkgver".into()),
            message: "pkgver() computes the version at build time; the static pkgver is shown"
                .into(),
        });
    }
    let build_body = c
        .recipe
        .function("build")
        .or_else(|| c.recipe.function("package"))
        .map(|f| f.body.clone());
    c.recipe.build_system = build_body
        .as_deref()
        .and_then(build_system::infer)
        .map(str::to_owned);
    Ok(c.recipe)
}

/// Why makepkg's `lint_pkgname` refuses `name`, if it does.
fn invalid_name(name: &str) -> Option<&'static str> {
    if name.starts_with('-') || name.starts_with('.') {
        return Some("starts with `-` or `.`");
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "+_.@-".contains(c);
    (!name.chars().all(allowed)).then_some("has characters other than letters, digits and `+_.@-`")
}

fn split_arch(name: &str) -> (&str, Option<&str>) {
    match name.split_once('_') {
        Some((b, a)) if ARCH_ARRAYS.contains(&b) => (b, Some(a)),
        _ => (name, None),
    }
}
