//! One case per construct the corpus showed the importer getting wrong, each
//! named after the construct: the PKGBUILD text and the `.SRCINFO` values
//! makepkg prints for it.

use kiln_normalizer::srcinfo;

const HEAD: &str = "pkgname=demo\npkgver=1.2.3\npkgrel=1\narch=(x86_64)\n";

/// Imports `HEAD` + `body`; returns the values of `key` in `section`
/// (`pkgbase demo`, `pkgname NAME`).
fn values(body: &str, section: &str, key: &str) -> Vec<String> {
    let text = format!("{HEAD}{body}");
    let recipe = super::parse_str(&text, "PKGBUILD").expect("reads");
    let emitted = srcinfo::emit(&recipe);
    srcinfo::fields_by_section(&emitted)
        .remove(&(section.to_owned(), key.to_owned()))
        .unwrap_or_default()
}

#[track_caller]
fn check(body: &str, key: &str, expected: &[&str]) {
    assert_eq!(values(body, "pkgbase demo", key), expected, "{body}");
}

#[test]
fn unquoted_word_with_two_expansions_and_a_dot() {
    // tree-sitter-bash splits this word after `-$`.
    check(
        "source=(https://x.org/$pkgname-$pkgver.tar.gz)\n",
        "source",
        &["https://x.org/demo-1.2.3.tar.gz"],
    );
    check(
        "_src=https://x.org/$pkgname-$pkgver.tar.gz\nsource=(\"$_src\")\n",
        "source",
        &["https://x.org/demo-1.2.3.tar.gz"],
    );
}

#[test]
fn pattern_removal_inside_double_quotes() {
    check(
        "url=\"https://x.org/v${pkgver%%.*}/${pkgver%.*}\"\n",
        "url",
        &["https://x.org/v1/1.2"],
    );
}

#[test]
fn default_word_with_its_own_double_quotes() {
    check(
        "_base=\"${MIRROR:-\"https://x.org\"}\"\nurl=\"$_base/demo\"\n",
        "url",
        &["https://x.org/demo"],
    );
}

#[test]
fn arithmetic_command_as_a_condition() {
    check(
        "((ENABLE_QT5)) && _qt=5 || _qt=6\ndepends=(qt${_qt}-base)\n",
        "depends",
        &["qt6-base"],
    );
}

#[test]
fn colon_command_assigning_a_default() {
    check(
        ": ${_commit=abc123}\n: \"${_flavour:=full}\"\nsource=(\"x#commit=$_commit\" \"$_flavour.patch\")\n",
        "source",
        &["x#commit=abc123", "full.patch"],
    );
}

#[test]
fn top_level_call_of_a_helper_function() {
    let body = "_add() {\n  local _n=extra\n  depends+=(\"$_n\")\n}\ndepends=(base)\n_add\n_add\nprovides=(\"${_n:-none}\")\n";
    check(body, "depends", &["base", "extra", "extra"]);
    check(body, "provides", &["none"]);
}

#[test]
fn package_functions_made_by_eval_of_declare_f() {
    let body = "pkgname=(demo demo-docs)\n\
        _package() {\n  pkgdesc=\"the program\"\n  depends=(glibc)\n}\n\
        _package-docs() {\n  pkgdesc=\"the docs\"\n}\n\
        for _p in \"${pkgname[@]}\"; do\n  eval \"package_$_p() {\n    $(declare -f \"_package${_p#demo}\")\n    _package${_p#demo}\n  }\"\ndone\n";
    assert_eq!(values(body, "pkgname demo", "pkgdesc"), ["the program"]);
    assert_eq!(values(body, "pkgname demo", "depends"), ["glibc"]);
    assert_eq!(values(body, "pkgname demo-docs", "pkgdesc"), ["the docs"]);
}

#[test]
fn eval_of_text_needing_execution_stays_unknown() {
    let text = format!("{HEAD}eval \"depends=($(cat deps))\"\n");
    let recipe = super::parse_str(&text, "PKGBUILD").expect("reads");
    assert!(recipe.warnings.iter().any(|w| w.line == 5
        && w.kind == kiln_normalizer::WarningKind::CommandSubstitution
        && w.attribute.as_deref() == Some("depends")));
    assert!(recipe.unknown.contains("depends"));
}
