//! The `.SRCINFO` format: emitting it from a [`Recipe`] exactly as
//! `makepkg --printsrcinfo` prints it, and reading it back.
//!
//! The emitter follows makepkg's `srcinfo.sh`: a `pkgbase` section with every
//! non-empty global attribute, then one `pkgname` section per package with
//! the attributes its package function overrides (an override to empty is
//! printed as `key = `). Architecture-specific arrays are printed for the
//! architectures in `arch`, never for `any`. Values have their white space
//! collapsed as makepkg does.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::dependency::Dependency;
use crate::license::License;
use crate::recipe::{Origin, PackageFields, PerArch, Recipe, Relation, SplitPackage};
use crate::source::{Checksum, ChecksumKind, Source};

/// A `.SRCINFO` that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct SrcinfoError {
    /// 1-based line of the problem.
    pub line: u32,
    /// What is wrong, lower-case.
    pub message: String,
}

/// Relations in the order makepkg prints their architecture-specific arrays.
const ARCH_RELATIONS: [Relation; 7] = [
    Relation::Provides,
    Relation::Conflicts,
    Relation::Depends,
    Relation::Replaces,
    Relation::OptDepends,
    Relation::MakeDepends,
    Relation::CheckDepends,
];

/// Collapses runs of white space to one space and trims, as makepkg does.
fn normalize(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

struct Writer {
    out: String,
}

impl Writer {
    fn line(&mut self, key: &str, value: &str) {
        let _ = writeln!(self.out, "\t{key} = {}", normalize(value));
    }

    /// A scalar: globals are skipped when empty, overrides always printed.
    fn scalar(&mut self, key: &str, value: Option<&str>, global: bool) {
        if let Some(v) = value {
            if !(global && v.is_empty()) {
                self.line(key, v);
            }
        }
    }

    /// A list: globals are skipped when they join to nothing, overrides are
    /// printed even when empty (as one `key = ` line).
    fn list<T: ToString>(&mut self, key: &str, values: Option<&[T]>, global: bool) {
        let Some(values) = values else { return };
        let texts: Vec<String> = values.iter().map(ToString::to_string).collect();
        if global && texts.join(" ").is_empty() {
            return;
        }
        if texts.is_empty() {
            self.line(key, "");
        }
        for t in &texts {
            self.line(key, t);
        }
    }

    fn fields(&mut self, f: &PackageFields, global: bool, arches: &[String]) {
        let rel = |r: Relation| f.relations.get(&r).and_then(|p| p.all.as_deref());
        self.list("arch", f.arch.as_deref(), global);
        self.list("groups", f.groups.as_deref(), global);
        self.list("license", f.license.as_deref(), global);
        self.list("checkdepends", rel(Relation::CheckDepends), global);
        if global {
            self.list("makedepends", rel(Relation::MakeDepends), global);
        }
        for r in [
            Relation::Depends,
            Relation::OptDepends,
            Relation::Provides,
            Relation::Conflicts,
            Relation::Replaces,
        ] {
            self.list(r.array_name(), rel(r), global);
        }
        if global {
            self.list("noextract", f.noextract.as_deref(), global);
        }
        self.list("options", f.options.as_deref(), global);
        self.list("backup", f.backup.as_deref(), global);
        if global {
            self.list("source", f.source.all.as_deref(), global);
            self.list("validpgpkeys", f.validpgpkeys.as_deref(), global);
            for kind in ChecksumKind::ALL {
                let sums = f.checksums.get(&kind).and_then(|p| p.all.as_deref());
                self.list(kind.array_name(), sums, global);
            }
        }
        for arch in arches.iter().filter(|a| *a != "any") {
            let key = |name: &str| format!("{name}_{arch}");
            self.list(
                &key("source"),
                f.source.per_arch.get(arch).map(Vec::as_slice),
                global,
            );
            for r in ARCH_RELATIONS {
                let values = f.relations.get(&r).and_then(|p| p.per_arch.get(arch));
                self.list(&key(r.array_name()), values.map(Vec::as_slice), global);
            }
            for kind in ChecksumKind::ALL {
                let sums = f.checksums.get(&kind).and_then(|p| p.per_arch.get(arch));
                self.list(&key(kind.array_name()), sums.map(Vec::as_slice), global);
            }
        }
    }
}

/// Prints `recipe` as `makepkg --printsrcinfo` would.
pub fn emit(recipe: &Recipe) -> String {
    let mut w = Writer { out: String::new() };
    let _ = writeln!(w.out, "pkgbase = {}", recipe.pkgbase);
    let b = &recipe.base;
    w.scalar("pkgdesc", b.pkgdesc.as_deref(), true);
    w.scalar("pkgver", recipe.pkgver.as_deref(), true);
    w.scalar("pkgrel", recipe.pkgrel.as_deref(), true);
    w.scalar("epoch", recipe.epoch.as_deref(), true);
    w.scalar("url", b.url.as_deref(), true);
    w.scalar("install", b.install.as_deref(), true);
    w.scalar("changelog", b.changelog.as_deref(), true);
    let base_arches = b.arch.clone().unwrap_or_default();
    w.fields(b, true, &base_arches);
    // makepkg separates sections by a blank line and ends with none.
    for pkg in &recipe.packages {
        let _ = writeln!(w.out, "\npkgname = {}", pkg.name);
        let o = &pkg.overrides;
        w.scalar("pkgdesc", o.pkgdesc.as_deref(), false);
        w.scalar("url", o.url.as_deref(), false);
        w.scalar("install", o.install.as_deref(), false);
        w.scalar("changelog", o.changelog.as_deref(), false);
        let arches = o.arch.clone().unwrap_or_else(|| base_arches.clone());
        w.fields(o, false, &arches);
    }
    w.out
}

/// The attribute a `.SRCINFO` key names, with its architecture suffix.
enum Key<'a> {
    Scalar(&'a str),
    List(&'a str),
    Relation(Relation, Option<&'a str>),
    Source(Option<&'a str>),
    Checksum(ChecksumKind, Option<&'a str>),
}

fn classify(key: &str) -> Option<Key<'_>> {
    let (name, arch) = match key.split_once('_') {
        Some((n, a)) if !a.is_empty() => (n, Some(a)),
        _ => (key, None),
    };
    if let Some(r) = Relation::from_array_name(name) {
        return Some(Key::Relation(r, arch));
    }
    if let Some(k) = ChecksumKind::from_array_name(name) {
        return Some(Key::Checksum(k, arch));
    }
    if name == "source" {
        return Some(Key::Source(arch));
    }
    if arch.is_some() {
        return None;
    }
    match key {
        "pkgdesc" | "pkgver" | "pkgrel" | "epoch" | "url" | "install" | "changelog" => {
            Some(Key::Scalar(key))
        }
        "arch" | "groups" | "license" | "noextract" | "options" | "backup" | "validpgpkeys" => {
            Some(Key::List(key))
        }
        _ => None,
    }
}

fn push<T>(slot: &mut PerArch<T>, arch: Option<&str>, value: Option<T>) {
    let list = match arch {
        Some(a) => slot.per_arch.entry(a.to_owned()).or_default(),
        None => slot.all.get_or_insert_with(Vec::new),
    };
    list.extend(value);
}

/// Reads a `.SRCINFO`. The result emits back to the same text (for text that
/// makepkg printed); keys makepkg does not print are an error, not dropped.
pub fn parse(text: &str) -> Result<Recipe, SrcinfoError> {
    let mut recipe: Option<Recipe> = None;
    // Index into recipe.packages of the current section; None = pkgbase.
    let mut current: Option<usize> = None;
    for (n, raw) in text.lines().enumerate() {
        let line_no = u32::try_from(n + 1).unwrap_or(u32::MAX);
        let err = |message: String| SrcinfoError {
            line: line_no,
            message,
        };
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = match line.split_once(" = ") {
            Some((k, v)) => (k.trim(), v),
            None if line.ends_with(" =") || line.ends_with('=') => {
                (line.trim_end_matches('=').trim(), "")
            }
            None => return Err(err(format!("expected `key = value`, found {line:?}"))),
        };
        match key {
            "pkgbase" => {
                if recipe.is_some() {
                    return Err(err("a second pkgbase section".into()));
                }
                let mut r = Recipe::new(Origin::Arch, value);
                r.packages.clear();
                recipe = Some(r);
                current = None;
                continue;
            }
            "pkgname" => {
                let r = recipe
                    .as_mut()
                    .ok_or_else(|| err("pkgname before pkgbase".into()))?;
                r.packages.push(SplitPackage {
                    name: value.to_owned(),
                    overrides: PackageFields::default(),
                });
                current = Some(r.packages.len() - 1);
                continue;
            }
            _ => {}
        }
        let r = recipe
            .as_mut()
            .ok_or_else(|| err(format!("{key} before the pkgbase line")))?;
        let value = value.to_owned();
        let fields = match current {
            None => &mut r.base,
            Some(i) => &mut r.packages[i].overrides,
        };
        let Some(class) = classify(key) else {
            return Err(err(format!("unknown key {key:?}")));
        };
        match class {
            Key::Scalar(name) => {
                let slot = match name {
                    "pkgver" | "pkgrel" | "epoch" if current.is_some() => {
                        return Err(err(format!("{name} inside a pkgname section")))
                    }
                    "pkgver" => &mut r.pkgver,
                    "pkgrel" => &mut r.pkgrel,
                    "epoch" => &mut r.epoch,
                    "pkgdesc" => &mut fields.pkgdesc,
                    "url" => &mut fields.url,
                    "install" => &mut fields.install,
                    _ => &mut fields.changelog,
                };
                if slot.is_some() {
                    return Err(err(format!("{name} given twice")));
                }
                *slot = Some(value);
            }
            Key::List(name) => {
                let overriding = current.is_some();
                let list_value = (!(overriding && value.is_empty())).then_some(value);
                match name {
                    "license" => fields
                        .license
                        .get_or_insert_with(Vec::new)
                        .extend(list_value.map(License::new)),
                    _ => {
                        let slot = match name {
                            "arch" => &mut fields.arch,
                            "groups" => &mut fields.groups,
                            "noextract" => &mut fields.noextract,
                            "options" => &mut fields.options,
                            "backup" => &mut fields.backup,
                            _ => &mut fields.validpgpkeys,
                        };
                        slot.get_or_insert_with(Vec::new).extend(list_value);
                    }
                }
            }
            Key::Relation(rel, arch) => {
                let v = (!(current.is_some() && value.is_empty())).then(|| Dependency::new(value));
                push(fields.relation_mut(rel), arch, v);
            }
            Key::Source(arch) => {
                let v = if value.is_empty() {
                    None
                } else {
                    Some(Source::new(value).map_err(|e| err(e.to_string()))?)
                };
                push(&mut fields.source, arch, v);
            }
            Key::Checksum(kind, arch) => {
                let v = (!(current.is_some() && value.is_empty())).then(|| Checksum::parse(&value));
                push(fields.checksums.entry(kind).or_default(), arch, v);
            }
        }
    }
    let mut recipe = recipe.ok_or(SrcinfoError {
        line: 1,
        message: "no pkgbase line".into(),
    })?;
    let base_arches = recipe.base.arch.clone().unwrap_or_default();
    collapse_repeated_arches(&mut recipe.base, &base_arches);
    for pkg in &mut recipe.packages {
        let arches = pkg
            .overrides
            .arch
            .clone()
            .unwrap_or_else(|| base_arches.clone());
        collapse_repeated_arches(&mut pkg.overrides, &arches);
    }
    if recipe.packages.is_empty() {
        return Err(SrcinfoError {
            line: 1,
            message: "no pkgname section".into(),
        });
    }
    Ok(recipe)
}

/// makepkg prints the arrays of an architecture once for every time it is
/// listed in `arch`; reading undoes that so the recipe holds them once.
fn collapse_repeated_arches(fields: &mut PackageFields, arches: &[String]) {
    fn collapse<T: PartialEq>(slot: &mut PerArch<T>, arch: &str, times: usize) {
        if let Some(list) = slot.per_arch.get_mut(arch) {
            let n = list.len() / times;
            if n * times == list.len() && (1..times).all(|k| list[..n] == list[k * n..(k + 1) * n])
            {
                list.truncate(n);
            }
        }
    }
    for arch in arches {
        let times = arches.iter().filter(|a| *a == arch).count();
        if times < 2 {
            continue;
        }
        collapse(&mut fields.source, arch, times);
        for slot in fields.relations.values_mut() {
            collapse(slot, arch, times);
        }
        for slot in fields.checksums.values_mut() {
            collapse(slot, arch, times);
        }
    }
}

/// Groups the lines of a `.SRCINFO` by section and key, for comparisons that
/// ignore key order (as `srcinfo-compare` does).
pub fn fields_by_section(text: &str) -> BTreeMap<(String, String), Vec<String>> {
    let mut out: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    let mut section = String::new();
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line
            .split_once(" = ")
            .unwrap_or((line.trim_end_matches(" ="), ""));
        if !raw.starts_with(char::is_whitespace) && (key == "pkgbase" || key == "pkgname") {
            section = format!("{key} {value}");
            continue;
        }
        out.entry((section.clone(), key.to_owned()))
            .or_default()
            .push(value.to_owned());
    }
    out
}

/// One key of a section whose values differ between two `.SRCINFO` texts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FieldDifference {
    /// `pkgbase NAME` or `pkgname NAME`.
    pub section: String,
    /// The key, e.g. `pkgver` or `depends_x86_64`.
    pub key: String,
    /// Values in the first text (empty when the key is absent there).
    pub left: Vec<String>,
    /// Values in the second text.
    pub right: Vec<String>,
}

/// The keys whose values differ between two `.SRCINFO` texts, ignoring the
/// order of sections and keys (but not of values within a key), as
/// `srcinfo-compare` does. Used to flag a stale `.SRCINFO` shipped beside a
/// PKGBUILD.
pub fn differences(left: &str, right: &str) -> Vec<FieldDifference> {
    let (a, b) = (fields_by_section(left), fields_by_section(right));
    let keys: std::collections::BTreeSet<_> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter_map(|k| {
            let (l, r) = (
                a.get(k).cloned().unwrap_or_default(),
                b.get(k).cloned().unwrap_or_default(),
            );
            (l != r).then(|| FieldDifference {
                section: k.0.clone(),
                key: k.1.clone(),
                left: l,
                right: r,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPLIT: &str = "pkgbase = demo
\tpkgdesc = A demo
\tpkgver = 1.2.3
\tpkgrel = 2
\tepoch = 1
\turl = https://example.org
\tarch = x86_64
\tarch = aarch64
\tlicense = MIT
\tmakedepends = cmake
\tdepends = glibc
\tdepends = zlib>=1.2
\toptdepends = python: for scripts
\tsource = demo-1.2.3.tar.gz::https://example.org/demo.tar.gz
\tsha256sums = SKIP
\tsource_x86_64 = https://example.org/x86.bin
\tsha256sums_x86_64 = 0000000000000000000000000000000000000000000000000000000000000000

pkgname = demo
\tdepends = glibc
\tdepends = zlib>=1.2
\tdepends = libdemo

pkgname = demo-docs
\tpkgdesc = Docs
\tarch = any
\tdepends = 
";

    #[test]
    fn srcinfo_round_trip_is_exact() {
        let r = parse(SPLIT).unwrap();
        assert_eq!(r.packages.len(), 2);
        assert_eq!(r.version_text(), "1:1.2.3-2");
        let docs = r.package_fields("demo-docs").unwrap();
        assert_eq!(docs.relation(Relation::Depends).unwrap().all, Some(vec![]));
        assert_eq!(emit(&r), SPLIT);
    }

    #[test]
    fn srcinfo_errors_name_the_line() {
        let e = parse("pkgbase = x\n\tfrobnicate = 1\n").unwrap_err();
        assert_eq!(e.line, 2);
        let e = parse("\tpkgver = 1\n").unwrap_err();
        assert_eq!(e.line, 1);
        assert!(parse("").is_err());
        assert!(parse("pkgbase = x\n\tpkgver = 1\n").is_err());
    }

    #[test]
    fn repeated_arch_prints_its_arrays_twice_and_reads_back_once() {
        let text = "pkgbase = d\n\tpkgver = 1\n\tpkgrel = 1\n\tarch = aarch64\n\tarch = aarch64\n\tsource_aarch64 = a.tar\n\tsource_aarch64 = a.tar\n\npkgname = d\n";
        let r = parse(text).unwrap();
        assert_eq!(r.base.source.per_arch["aarch64"].len(), 1);
        assert_eq!(emit(&r), text);
    }

    #[test]
    fn differences_ignore_key_order_but_not_value_order() {
        let a = "pkgbase = x\n\tpkgver = 1\n\tdepends = a\n\tdepends = b\n\npkgname = x\n";
        let b = "pkgbase = x\n\tdepends = a\n\tdepends = b\n\tpkgver = 1\n\npkgname = x\n";
        assert!(differences(a, b).is_empty());
        let c = "pkgbase = x\n\tpkgver = 2\n\tdepends = b\n\tdepends = a\n\npkgname = x\n";
        let d = differences(a, c);
        let keys: Vec<&str> = d.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(keys, ["depends", "pkgver"]);
        assert_eq!(d[1].left, ["1"]);
        assert_eq!(d[1].right, ["2"]);
    }

    #[test]
    fn emitter_collapses_white_space_like_makepkg() {
        let mut r = Recipe::new(Origin::Arch, "w");
        r.base.pkgdesc = Some("  two   spaces\n and a newline ".into());
        r.pkgver = Some("1".into());
        r.pkgrel = Some("1".into());
        let text = emit(&r);
        assert!(
            text.contains("\tpkgdesc = two spaces and a newline\n"),
            "{text}"
        );
    }
}
