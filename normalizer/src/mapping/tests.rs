use super::*;

fn m() -> &'static Mappings {
    Mappings::builtin()
}

fn first(arch: &str) -> String {
    m().arch_to_guix_refs(arch)
        .first()
        .map(ToString::to_string)
        .unwrap_or_default()
}

#[test]
fn embedded_tables_parse() {
    Mappings::from_tables(NAMES_TSV, NAME_RULES_TSV, LICENSES_TSV).unwrap();
}

#[test]
fn explicit_names_both_ways() {
    let cases = [
        ("glib2", "glib"),
        ("gtk3", "gtk+"),
        ("gtk2", "gtk+@2"),
        ("python", "python"),
        ("python2", "python@2"),
        ("openssl", "openssl"),
        ("qt5-base", "qtbase@5"),
        ("icu", "icu4c"),
        ("util-linux-libs", "util-linux:lib"),
        ("pkgconf", "pkg-config"),
        ("python-yaml", "python-pyyaml"),
    ];
    for (arch, guix) in cases {
        assert_eq!(first(arch), guix, "{arch}");
        let back = m().guix_to_arch(&GuixRef::parse(guix).to_string().replace(":lib", ""));
        assert_eq!(back.first().map(String::as_str), Some(arch), "{guix}");
    }
}

#[test]
fn conventions() {
    let cases = [
        ("python-Babel", "python-babel"),
        ("perl-xml-parser", "perl-xml-parser"),
        ("haskell-aeson", "ghc-aeson"),
        ("nodejs-semver", "node-semver"),
        ("ruby-rake", "ruby-rake"),
        ("r-data.table", "r-data-table"),
        ("ttf-inconsolata", "font-inconsolata"),
        ("otf-fira-sans", "font-fira-sans"),
        ("xorg-xrandr", "xrandr"),
        ("neovim-git", "neovim"),
        ("gtk3-git", "gtk+"),
        ("foo-bin", "foo"),
        ("libfoo.so", "libfoo"),
    ];
    for (arch, guix) in cases {
        assert_eq!(first(arch), guix, "{arch}");
    }
    let foo_bin = m().arch_to_guix_refs("foo-bin");
    assert!(foo_bin.contains(&GuixRef::named("foo-bin")), "{foo_bin:?}");
    let libfoo = m().arch_to_guix_refs("libfoo");
    assert_eq!(libfoo[1], GuixRef::named("foo"));

    assert_eq!(m().guix_to_arch("ghc-aeson")[0], "haskell-aeson");
    assert_eq!(m().guix_to_arch("node-semver")[0], "nodejs-semver");
    assert_eq!(m().guix_to_arch("rust-serde-1")[0], "rust-serde");
    let font = m().guix_to_arch("font-inconsolata");
    assert_eq!(&font[..2], ["ttf-inconsolata", "otf-inconsolata"]);
}

#[test]
fn implicit_inputs_map_to_nothing() {
    for name in ["glibc", "gcc-libs", "sh", "make", "glibc-git"] {
        assert!(m().arch_to_guix_refs(name).is_empty(), "{name}");
    }
    assert_eq!(m().guix_to_arch("glibc")[0], "glibc");
    assert_eq!(m().guix_to_arch("gcc")[0], "gcc");
}

#[test]
fn name_map_trait_gives_plain_names() {
    let names = NameMap::arch_to_guix(m(), "qt5-base");
    assert_eq!(names[0], "qtbase");
}

#[test]
fn guix_variables() {
    assert_eq!(GuixRef::parse("qtbase@5").variable(), "qtbase-5");
    assert_eq!(GuixRef::parse("gtk+@2").variable(), "gtk+-2");
    assert_eq!(GuixRef::parse("util-linux:lib").variable(), "util-linux");
}

#[test]
fn licenses_both_ways() {
    let one = |spdx: &str| {
        let g = m().spdx_to_guix(spdx);
        assert!(g.unmapped.is_empty(), "{spdx}: {:?}", g.unmapped);
        g.licenses.iter().map(|l| l.variable).collect::<Vec<_>>()
    };
    assert_eq!(one("GPL-3.0-or-later"), ["gpl3+"]);
    assert_eq!(one("GPL-2.0+"), ["gpl2+"]);
    assert_eq!(one("MIT OR Apache-2.0"), ["expat", "asl2.0"]);
    assert_eq!(
        one("GPL-2.0-or-later WITH Classpath-exception-2.0"),
        ["gpl2+"]
    );
    assert_eq!(one("(LGPL-2.1-or-later AND MIT)"), ["lgpl2.1+", "expat"]);
    assert!(m().spdx_to_guix("A AND B").conjunctive);
    assert_eq!(one("mit"), ["expat"]);
    assert_eq!(
        m().spdx_to_guix("LicenseRef-foo").unmapped,
        ["LicenseRef-foo"]
    );

    assert_eq!(m().guix_to_spdx("license:gpl3+"), Some("GPL-3.0-or-later"));
    assert_eq!(m().guix_to_spdx("GPL 3+"), Some("GPL-3.0-or-later"));
    assert_eq!(m().guix_to_spdx("expat"), Some("MIT"));
    assert_eq!(
        m().guix_to_spdx("Python Software Foundation License"),
        Some("PSF-2.0")
    );
    assert_eq!(m().guix_to_spdx("GPL 1+"), Some("GPL-1.0-or-later"));
    assert_eq!(m().guix_to_spdx("non-copyleft"), None);
}

#[test]
fn every_spdx_id_in_the_table_is_known_to_spdx() {
    for line in LICENSES_TSV
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let id = line.split('\t').next().unwrap();
        assert!(
            spdx::license_id(id).is_some() || spdx::imprecise_license_id(id).is_some(),
            "{id}"
        );
    }
}
