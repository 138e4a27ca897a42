//! Tests of the pairwise comparison on small hand-made pairs.

use super::*;
use crate::recipe::{GuixDetails, Origin, PerArch};
use crate::source::Source;
use crate::srcinfo;

const HELLO_SHA: &str = "31e066137a962676e89f69d1b65382de95a7ef7d914b8cb956f41ea72e0f516b";

fn arch_hello(version: &str, sha: &str) -> Recipe {
    let text = format!(
        "pkgbase = hello\n\tpkgver = {version}\n\tpkgrel = 1\n\turl = https://www.gnu.org/software/hello/\n\
         \tarch = x86_64\n\tlicense = GPL-3.0-or-later\n\tdepends = glibc\n\
         \tsource = https://ftp.gnu.org/gnu/hello/hello-{version}.tar.gz\n\tsha256sums = {sha}\n\npkgname = hello\n"
    );
    let mut r = srcinfo::parse(&text).unwrap();
    r.build_system = Some("gnu".into());
    r
}

fn guix_hello(version: &str, sha: &str) -> Recipe {
    let mut r = Recipe::new(Origin::Guix, "hello");
    r.pkgver = Some(version.into());
    r.base.url = Some("https://www.gnu.org/software/hello/".into());
    r.base.license = Some(vec!["GPL-3.0-or-later".to_owned().into()]);
    r.base.source.all = Some(vec![Source::new(format!(
        "mirror://gnu/hello/hello-{version}.tar.gz"
    ))
    .unwrap()]);
    r.base.checksums.insert(
        ChecksumKind::Sha256,
        PerArch {
            all: Some(vec![Checksum::Digest(sha.into())]),
            per_arch: Default::default(),
        },
    );
    r.build_system = Some("gnu".into());
    r.guix = Some(GuixDetails::default());
    r
}

struct Table;
impl NameMap for Table {
    fn arch_to_guix(&self, arch: &str) -> Vec<String> {
        match arch {
            "glibc" => vec!["glibc".into()],
            "gtk3" => vec!["gtk+".into()],
            other => vec![other.into()],
        }
    }
}

#[test]
fn identical_pair_has_every_kind_of_evidence() {
    let c = compare(
        &arch_hello("2.10", HELLO_SHA),
        &guix_hello("2.10", HELLO_SHA),
        &Table,
    );
    let kinds: Vec<&str> = c.evidence.iter().map(Evidence::kind).collect();
    assert_eq!(
        kinds,
        [
            "same-source-file",
            "same-upstream-url",
            "same-home-page",
            "name-convention"
        ]
    );
    assert_eq!(c.verdict, Verdict::Identical, "{c:#?}");
    assert!(c.sources.same_file && c.sources.same_url);
}

#[test]
fn glibc_is_implicit_on_the_guix_side_and_matched_when_listed() {
    let c = compare(
        &arch_hello("2.10", HELLO_SHA),
        &guix_hello("2.10", HELLO_SHA),
        &Table,
    );
    assert_eq!(c.dependencies.implicit, ["glibc"]);
    assert!(c.dependencies.only_arch.is_empty());
    let mut g = guix_hello("2.10", HELLO_SHA);
    g.base.relation_mut(Relation::Depends).all = Some(vec!["glibc".into()]);
    let c = compare(&arch_hello("2.10", HELLO_SHA), &g, &Table);
    assert_eq!(c.dependencies.matched, ["glibc"]);
    assert_eq!(c.verdict, Verdict::Identical);
}

#[test]
fn version_drift_reports_direction_and_size() {
    let other = "0".repeat(64);
    let c = compare(
        &arch_hello("2.12.1", &other),
        &guix_hello("2.10", HELLO_SHA),
        &Table,
    );
    assert_eq!(c.verdict, Verdict::VersionDrift);
    let d = c.versions.drift.unwrap();
    assert_eq!((d.newer.as_str(), d.size.as_str()), ("arch", "minor"));
    assert!(c.evidence.iter().any(|e| e.kind() == "same-upstream-url"));
}

#[test]
fn orders_disagree_on_release_candidates() {
    // vercmp puts 1.0rc1 before 1.0; strverscmp puts it after.
    let c = compare(
        &arch_hello("1.0rc1", HELLO_SHA),
        &guix_hello("1.0", HELLO_SHA),
        &Table,
    );
    assert_eq!(c.versions.vercmp, Some(-1));
    assert_eq!(c.versions.guix_order, Some(1));
    assert!(c.versions.orders_disagree);
}

#[test]
fn same_version_different_file_is_divergent() {
    let c = compare(
        &arch_hello("2.10", &"a".repeat(64)),
        &guix_hello("2.10", HELLO_SHA),
        &Table,
    );
    assert_eq!(c.verdict, Verdict::Divergent);
}

#[test]
fn unrelated_recipes_are_not_comparable() {
    let mut g = guix_hello("2.10", &"b".repeat(64));
    g.pkgbase = "other".into();
    g.base.url = Some("https://example.org".into());
    g.base.source.all = Some(vec![
        Source::new("https://example.org/other-2.10.tar.gz").unwrap()
    ]);
    let c = compare(&arch_hello("2.10", HELLO_SHA), &g, &Table);
    assert!(c.evidence.is_empty());
    assert_eq!(c.verdict, Verdict::NotComparable);
}

#[test]
fn tests_disabled_in_guix_arguments_are_seen() {
    let mut g = guix_hello("2.10", HELLO_SHA);
    g.guix.as_mut().unwrap().arguments = Some("(#:tests?  #f)".into());
    let c = compare(&arch_hello("2.10", HELLO_SHA), &g, &Table);
    assert_eq!(c.tests, (false, false));
}
