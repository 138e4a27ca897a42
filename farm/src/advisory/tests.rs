//! Reading OSV and Arch tracker advisories, judging versions with each
//! origin's ordering, and matching across origins in a real store.

use kiln_normalizer::compare::SameNames;
use kiln_normalizer::{Checksum, ChecksumKind, PerArch, Recipe, Source};

use super::*;
use crate::store::{ImportKind, Provenance, Store};

const OSV: &str = r#"{
  "schema_version": "1.6.0", "id": "GHSA-test", "aliases": ["CVE-2099-1"],
  "summary": "a bug",
  "affected": [
    {"package": {"ecosystem": "Arch Linux", "name": "zlib"},
     "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "1:1.2.0-1"}, {"fixed": "1:1.2.13-1"}]}]},
    {"package": {"ecosystem": "Guix", "name": "pigz"},
     "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"last_affected": "2.6"}]}],
     "versions": ["2.4"]},
    {"package": {"ecosystem": "Debian:12", "name": "zlib"},
     "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1:1.2.13.dfsg-1"}]}]},
    {"package": {"ecosystem": "AUR", "name": "thing"},
     "ranges": [{"type": "GIT", "repo": "https://example.org/t.git", "events": [{"introduced": "abc"}]},
                {"type": "ECOSYSTEM", "events": [{"fixed": "2.0-1"}]}]}
  ]
}"#;

#[test]
fn osv_records_keep_unknown_ecosystems_and_report_odd_ranges() {
    let a = parse_advisories(OSV, "osv.json").unwrap().remove(0);
    assert_eq!(a.id, "GHSA-test");
    assert_eq!(a.format, Format::Osv);
    assert_eq!(a.aliases, ["CVE-2099-1"]);
    assert_eq!(a.affected.len(), 4, "nothing dropped");
    assert_eq!(a.affected[0].origin, Some(Origin::Arch));
    assert_eq!(a.affected[1].origin, Some(Origin::Guix));
    assert_eq!(a.affected[2].origin, None);
    assert_eq!(a.affected[3].origin, Some(Origin::Arch));
    assert_eq!(a.affected[3].ranges.len(), 1, "the ECOSYSTEM range kept");
    let problems = a.problems.join("\n");
    assert!(problems.contains("Debian:12"), "{problems}");
    assert!(problems.contains("GIT range"), "{problems}");
    assert!(problems.contains("no introduced"), "{problems}");
}

#[test]
fn arch_tracker_groups_and_arrays_of_them() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../recipes/samples/advisories/AVG-2026-zlib.json"
    ))
    .unwrap();
    let list = format!("[{text}, {text}]");
    let all = parse_advisories(&list, "all.json").unwrap();
    assert_eq!(all.len(), 2);
    let a = &all[0];
    assert_eq!(a.id, "AVG-2026");
    assert_eq!(a.format, Format::ArchTracker);
    assert_eq!(a.severity.as_deref(), Some("High"));
    assert_eq!(a.aliases, ["CVE-2022-37434"]);
    assert_eq!(a.affected[0].ranges[0].fixed.as_deref(), Some("1:1.2.13-1"));
}

#[test]
fn bad_input_names_the_file_and_line() {
    let err = parse_advisories("{\n  \"id\": \"x\",\n  oops\n}", "bad.json").unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with("bad.json: line 3"), "{msg}");
    let err = parse_advisories("{\"hello\": 1}", "other.json").unwrap_err();
    assert!(err.to_string().contains("other.json"));
}

#[test]
fn ranges_are_judged_by_each_origins_order() {
    let r = Range {
        introduced: Some("1.0".into()),
        fixed: Some("1.10".into()),
        last_affected: None,
    };
    // vercmp: 1.9 < 1.10; alpha before release.
    assert!(r.contains("1.9", order_of(Origin::Arch)));
    assert!(!r.contains("1.10", order_of(Origin::Arch)));
    assert!(r.contains("1.10rc1", order_of(Origin::Arch)));
    // Guix's order (strverscmp) puts 1.10rc1 after 1.10.
    assert!(!r.contains("1.10rc1", order_of(Origin::Guix)));
    assert_eq!(upstream_version("1:1.2.13-1"), "1.2.13");
    assert_eq!(upstream_version("2.6"), "2.6");
}

fn sha_recipe(origin: Origin, name: &str, version: &str, sha: &str) -> Recipe {
    let mut r = Recipe::new(origin, name);
    match origin {
        Origin::Arch => {
            let (epoch, rest) = version.split_once(':').unwrap_or(("", version));
            let (pkgver, pkgrel) = rest.rsplit_once('-').unwrap();
            r.epoch = (!epoch.is_empty()).then(|| epoch.to_owned());
            r.pkgver = Some(pkgver.into());
            r.pkgrel = Some(pkgrel.into());
        }
        Origin::Guix => r.pkgver = Some(version.into()),
    }
    r.base.source = PerArch {
        all: Some(vec![Source::new(format!(
            "https://example.org/{name}-{version}.tar.gz"
        ))
        .unwrap()]),
        per_arch: Default::default(),
    };
    r.base.checksums.insert(
        ChecksumKind::Sha256,
        PerArch {
            all: Some(vec![Checksum::Digest(sha.into())]),
            per_arch: Default::default(),
        },
    );
    r
}

#[test]
fn an_advisory_reaches_the_other_origin_through_the_same_source_file() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(&tmp.path().join("kiln.db")).unwrap();
    let run = store.begin_import_run(ImportKind::Dir, "t", None).unwrap();
    let old = "aa".repeat(32);
    let new = "bb".repeat(32);
    for r in [
        sha_recipe(Origin::Arch, "zlib", "1:1.2.12-1", &old),
        sha_recipe(Origin::Guix, "zlib", "1.2.12", &old),
        sha_recipe(Origin::Guix, "pigz", "2.4", &new),
    ] {
        let key = format!("{}{}", r.origin, r.pkgbase);
        store
            .upsert_recipe(run, &r, &Provenance::default(), &key)
            .unwrap();
    }
    let a = parse_advisories(OSV, "osv.json").unwrap().remove(0);
    assert!(store.upsert_advisory(&a).unwrap());
    assert!(!store.upsert_advisory(&a).unwrap(), "re-adding replaces");
    assert_eq!(
        store.advisory("CVE-2099-1").unwrap().unwrap().id,
        "GHSA-test"
    );
    assert_eq!(
        store.advisories_naming(Origin::Arch, "zlib").unwrap().len(),
        1
    );

    let found = assess(&store, &a, &SameNames).unwrap();
    let by = |o: Origin, n: &str| found.iter().find(|x| x.origin == o && x.name == n).unwrap();
    let arch = by(Origin::Arch, "zlib");
    assert_eq!(arch.state, State::Vulnerable);
    let guix = by(Origin::Guix, "zlib");
    assert_eq!(guix.state, State::Vulnerable);
    assert!(guix.via.contains("same-source-file"), "{}", guix.via);
    assert_eq!(guix.fixed.as_deref(), Some("1.2.13"));
    assert_eq!(by(Origin::Guix, "pigz").state, State::Vulnerable);

    // The fix lands on the Arch side only.
    let run = store.begin_import_run(ImportKind::Dir, "t", None).unwrap();
    store
        .upsert_recipe(
            run,
            &sha_recipe(Origin::Arch, "zlib", "1:1.2.13-1", &new),
            &Provenance::default(),
            "new",
        )
        .unwrap();
    let found = assess(&store, &a, &SameNames).unwrap();
    let arch = found
        .iter()
        .find(|x| x.origin == Origin::Arch && x.name == "zlib")
        .unwrap();
    assert_eq!(arch.state, State::Fixed);
}
