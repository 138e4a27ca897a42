//! Recipes built with the model's API for the store's unit tests.

use kiln_normalizer::{
    Checksum, ChecksumKind, Dependency, ImportWarning, Origin, PackageFields, PerArch, Recipe,
    Relation, Source, SplitPackage, WarningKind,
};

/// A sha256 digest used by [`split`].
pub(crate) const SHA_A: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

/// A single-package Arch recipe `name` at `version` (pkgrel 1).
pub(crate) fn single(name: &str, version: &str) -> Recipe {
    let mut r = Recipe::new(Origin::Arch, name);
    r.pkgver = Some(version.to_owned());
    r.pkgrel = Some("1".to_owned());
    r.base.pkgdesc = Some(format!("the {name} program"));
    r
}

/// The same recipe with runtime dependencies.
pub(crate) fn depending(name: &str, version: &str, depends: &[&str]) -> Recipe {
    let mut r = single(name, version);
    r.base.relation_mut(Relation::Depends).all =
        Some(depends.iter().map(|d| Dependency::new(*d)).collect());
    r
}

/// A split recipe `libfoo` building `libfoo` and `libfoo-docs`, with
/// makedepends, versioned and per-architecture depends, a provision, two
/// sources with sha256 sums (one SKIP) and a warning.
pub(crate) fn split() -> Recipe {
    let mut r = single("libfoo", "1.2");
    r.base.pkgdesc = Some("a library for foo".into());
    r.base.url = Some("https://example.org/libfoo".into());
    r.build_system = Some("cmake".into());
    r.base.relation_mut(Relation::MakeDepends).all = Some(vec!["cmake".into()]);
    let depends = r.base.relation_mut(Relation::Depends);
    depends.all = Some(vec!["glibc>=2.38".into()]);
    depends
        .per_arch
        .insert("x86_64".into(), vec!["zlib".into()]);
    r.base.relation_mut(Relation::Provides).all = Some(vec!["libfoo.so=1-64".into()]);
    r.base.source = PerArch {
        all: Some(vec![
            Source::new("libfoo-1.2.tar.gz::https://example.org/libfoo-1.2.tar.gz").unwrap(),
            Source::new("fix.patch").unwrap(),
        ]),
        per_arch: Default::default(),
    };
    r.base.checksums.insert(
        ChecksumKind::Sha256,
        PerArch {
            all: Some(vec![
                Checksum::Digest(SHA_A.to_ascii_uppercase()),
                Checksum::Skip,
            ]),
            per_arch: Default::default(),
        },
    );
    let mut docs = PackageFields {
        pkgdesc: Some("documentation for libfoo".into()),
        ..Default::default()
    };
    docs.relation_mut(Relation::Depends).all = Some(vec!["libfoo".into()]);
    docs.relation_mut(Relation::Provides).all = Some(vec![]);
    r.packages.push(SplitPackage {
        name: "libfoo-docs".into(),
        overrides: docs,
    });
    r.warn(ImportWarning {
        file: "libfoo/PKGBUILD".into(),
        line: 12,
        kind: WarningKind::CommandSubstitution,
        attribute: Some("pkgver".into()),
        message: "pkgver uses $(...)".into(),
    });
    r
}
