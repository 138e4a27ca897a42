//! Hand-made recipes through both emitters, one construct each where the
//! samples under `recipes/samples/` do not reach.

use super::{guix, pkgbuild, Emitted};
use crate::mapping::Mappings;
use crate::recipe::{
    BuildFunction, GuixDetails, GuixInput, GuixInputKind, Origin, PerArch, Recipe, Relation,
    SplitPackage,
};
use crate::source::{Checksum, ChecksumKind, Source};
use crate::{Dependency, License};

fn shown(e: &Emitted) -> String {
    let mut s = e.text.clone();
    for w in &e.warnings {
        s.push_str("# warning: ");
        s.push_str(w);
        s.push('\n');
    }
    s
}

fn deps(names: &[&str]) -> PerArch<Dependency> {
    PerArch {
        all: Some(names.iter().map(|n| Dependency::new(*n)).collect()),
        per_arch: Default::default(),
    }
}

fn function(name: &str, line: u32, body: &str) -> BuildFunction {
    BuildFunction {
        name: name.into(),
        body: body.into(),
        line,
    }
}

#[test]
fn cmake_git_source_patch_and_split_packages_to_guix() {
    let mut r = Recipe::new(Origin::Arch, "qtfoo-git");
    r.pkgver = Some("1.4.0".into());
    r.pkgrel = Some("2".into());
    r.packages.push(SplitPackage {
        name: "qtfoo-docs".into(),
        overrides: Default::default(),
    });
    r.base.pkgdesc = Some("A \"quoted\" Qt widget set".into());
    r.base.url = Some("https://example.org/qtfoo".into());
    r.base.license = Some(vec![
        License::new("MIT OR Apache-2.0"),
        License::new("custom:foo"),
    ]);
    r.base.source.all = Some(vec![
        Source::new("git+https://github.com/example/qtfoo.git#tag=v1.4.0").unwrap(),
        Source::new("fix-build.patch").unwrap(),
    ]);
    r.base.checksums.insert(
        ChecksumKind::Sha256,
        PerArch {
            all: Some(vec![Checksum::Skip, Checksum::Digest("00".repeat(32))]),
            per_arch: Default::default(),
        },
    );
    r.base.relations.insert(
        Relation::Depends,
        deps(&["qt5-base", "glibc", "util-linux-libs"]),
    );
    r.base
        .relations
        .insert(Relation::MakeDepends, deps(&["cmake", "git", "qt5-tools"]));
    r.base
        .relations
        .insert(Relation::OptDepends, deps(&["python: scripting"]));
    r.functions = vec![
        function("prepare", 20, "\n  cd qtfoo\n  patch -Np1 -i ../fix-build.patch\n"),
        function(
            "build",
            24,
            "\n  cmake -B build -S qtfoo -DCMAKE_INSTALL_PREFIX=/usr -DWITH_DOCS=OFF \\\n    -DDATA=$srcdir/data\n  cmake --build build\n",
        ),
        function("check", 29, "\n  ctest --test-dir build\n"),
        function("package_qtfoo-git", 32, "\n  DESTDIR=\"$pkgdir\" cmake --install build\n"),
    ];
    let e = guix::package_form(&r, Mappings::builtin());
    insta::assert_snapshot!(shown(&e));
}

#[test]
fn sha512_only_source_to_guix() {
    let mut r = Recipe::new(Origin::Arch, "python-Foo_Bar");
    r.pkgver = Some("0.9".into());
    r.base.source.all = Some(vec![Source::new(
        "https://files.pythonhosted.org/packages/source/f/foo/foo-0.9.tar.gz",
    )
    .unwrap()]);
    r.base.checksums.insert(
        ChecksumKind::Sha512,
        PerArch {
            all: Some(vec![Checksum::Digest("ab".repeat(64))]),
            per_arch: Default::default(),
        },
    );
    r.base.relations.insert(
        Relation::MakeDepends,
        deps(&["python-build", "python-installer"]),
    );
    r.functions = vec![
        function(
            "build",
            10,
            "\n  cd foo-$pkgver\n  python -m build --wheel --no-isolation\n",
        ),
        function(
            "package",
            14,
            "\n  cd foo-$pkgver\n  python -m installer --destdir=\"$pkgdir\" dist/*.whl\n",
        ),
    ];
    r.base.license = Some(vec![License::new("BSD-3-Clause")]);
    let e = guix::package_form(&r, Mappings::builtin());
    insta::assert_snapshot!(shown(&e));
}

#[test]
fn guix_cmake_recipe_to_pkgbuild() {
    let mut r = Recipe::new(Origin::Guix, "gtk+");
    r.pkgver = Some("3.24.30".into());
    r.build_system = Some("cmake".into());
    r.base.pkgdesc = Some("Cross-platform widget toolkit".into());
    r.base.url = Some("https://www.gtk.org/".into());
    r.base.source.all = Some(vec![Source::new(
        "mirror://gnome/sources/gtk+/3.24/gtk+-3.24.30.tar.xz",
    )
    .unwrap()]);
    r.base.checksums.insert(
        ChecksumKind::Sha256,
        PerArch {
            all: Some(vec![Checksum::Digest(
                "0ssi1wpaf7plaswqqjwigppsg5fyh99vdlb9kzl7c9lng89ndq1i".into(),
            )]),
            per_arch: Default::default(),
        },
    );
    let input = |kind, name: &str| GuixInput {
        kind,
        label: name.into(),
        name: Some(name.into()),
        version: None,
        output: None,
    };
    r.guix = Some(GuixDetails {
        module: "gnu/packages/gtk.scm".into(),
        variable: "gtk+".into(),
        public: true,
        line: 1,
        patches: vec!["gtk3-respect-GUIX_GTK3_PATH.patch".into()],
        inputs: vec![
            input(GuixInputKind::NativeInputs, "pkg-config"),
            input(GuixInputKind::NativeInputs, "gettext-minimal"),
            input(GuixInputKind::Inputs, "libxkbcommon"),
            input(GuixInputKind::PropagatedInputs, "glib"),
            input(GuixInputKind::PropagatedInputs, "icu4c"),
            GuixInput {
                kind: GuixInputKind::NativeInputs,
                label: "test-data".into(),
                name: None,
                version: None,
                output: Some("origin".into()),
            },
        ],
        license_names: vec!["LGPL 2.0+".into(), "Some Guix-only license".into()],
        arguments: Some(
            "(list #:configure-flags #~(list \"-DWITH_X11=ON\" (string-append \"-DDOCDIR=\" #$output \"/share/doc\") (assoc-ref %build-inputs \"icu4c\")) #:tests? #f #:phases #~(modify-phases %standard-phases (add-after 'unpack 'fix-paths (lambda _ #t))) #:parallel-build? #t)"
                .into(),
        ),
        ..Default::default()
    });
    let e = pkgbuild::pkgbuild(&r, Mappings::builtin());
    insta::assert_snapshot!(shown(&e));
}

/// Regression: Guix's `mirror://debian/`, `kde`, `mate` and the rest were
/// written as is, a URL makepkg cannot fetch, with the sha256 dropped.
#[test]
fn guix_mirrors_of_the_corpus_are_spelled_out_for_makepkg() {
    for mirror in [
        "cpan",
        "sourceforge",
        "gnu",
        "gnome",
        "kde",
        "xorg",
        "savannah",
        "apache",
        "kernel.org",
        "mate",
        "debian",
        "hackage",
        "gnupg",
        "netfilter.org",
        "openbsd",
        "imagemagick",
        "gcc",
        "cran",
    ] {
        let url = format!("mirror://{mirror}/some/file-1.0.tar.gz");
        let full = pkgbuild::expand_mirror(&url).unwrap_or_default();
        assert!(
            full.starts_with("https://") && full.ends_with("/some/file-1.0.tar.gz"),
            "{url} -> {full:?}"
        );
    }
    assert_eq!(pkgbuild::expand_mirror("mirror://nowhere/x"), None);
}

/// Regression: a Subversion revision was written as a string; Guix's
/// `svn-reference` takes a number.
#[test]
fn svn_revision_is_a_number_in_guix_forms() {
    let mut r = Recipe::new(Origin::Arch, "svnfoo");
    r.pkgver = Some("1.0.r1505".into());
    r.base.source.all = Some(vec![Source::new(
        "svnfoo::svn+https://svn.example.org/trunk#revision=1505",
    )
    .unwrap()]);
    let e = guix::package_form(&r, Mappings::builtin());
    assert!(e.text.contains("(revision 1505)))"), "{}", e.text);
}
