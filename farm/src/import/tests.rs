//! Import tests on a real SQLite file, with PKGBUILD trees and git
//! repositories made by the tests in both AUR layouts.

use std::path::{Path, PathBuf};

use git2::{Repository, Signature};
use kiln_normalizer::Origin;

use super::*;
use crate::store::ChangeKind;

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../recipes/samples/arch")
}

fn store_in(dir: &Path) -> Store {
    Store::open(&dir.join("kiln.db")).expect("store opens")
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn pkgbuild(name: &str, version: &str) -> String {
    format!(
        "pkgname={name}\npkgver={version}\npkgrel=1\npkgdesc='The {name} package'\n\
         arch=(x86_64)\nlicense=(MIT)\ndepends=(glibc)\nsource=(https://example.org/{name}-$pkgver.tar.gz)\n\
         sha256sums=(SKIP)\npackage() {{ :; }}\n"
    )
}

#[test]
fn importing_a_tree_twice_adds_then_finds_everything_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = store_in(tmp.path());
    let first = import_dir(&mut store, &samples(), &Quiet).unwrap();
    assert_eq!(first.added, 5, "{first:?}");
    assert!(first.failures.is_empty(), "{:?}", first.failures);
    let zlib = store
        .recipe_by_name(Some(Origin::Arch), "zlib")
        .unwrap()
        .expect("zlib stored");
    assert_eq!(zlib.version, "1:1.2.13-1");
    let prov = store.provenance_of(zlib.id).unwrap().unwrap();
    assert_eq!(prov.path, "zlib/PKGBUILD");

    let second = import_dir(&mut store, &samples(), &Quiet).unwrap();
    assert_eq!((second.added, second.updated, second.unchanged), (0, 0, 5));
    assert_eq!(second.removed, 0);
}

#[test]
fn a_changed_and_a_deleted_recipe_become_change_events() {
    let tmp = tempfile::tempdir().unwrap();
    let tree = tmp.path().join("tree");
    copy_tree(&samples(), &tree);
    let mut store = store_in(tmp.path());
    import_dir(&mut store, &tree, &Quiet).unwrap();

    let text = std::fs::read_to_string(tree.join("libfoo/PKGBUILD")).unwrap();
    std::fs::write(
        tree.join("libfoo/PKGBUILD"),
        text.replace("pkgver=1.0", "pkgver=1.1"),
    )
    .unwrap();
    std::fs::remove_dir_all(tree.join("tool")).unwrap();
    let run = import_dir(&mut store, &tree, &Quiet).unwrap();
    assert_eq!(
        (run.added, run.updated, run.unchanged, run.removed),
        (0, 1, 3, 1)
    );
    let events = store.change_events(Some(RunId(run.run))).unwrap();
    let updated = events
        .iter()
        .find(|e| e.kind == ChangeKind::Updated)
        .unwrap();
    assert_eq!(updated.name, "libfoo");
    assert_eq!(updated.old_version.as_deref(), Some("1.0-1"));
    assert_eq!(updated.new_version.as_deref(), Some("1.1-1"));
    let removed = events
        .iter()
        .find(|e| e.kind == ChangeKind::Removed)
        .unwrap();
    assert_eq!(removed.name, "tool");
    assert!(store
        .recipe_by_name(Some(Origin::Arch), "tool")
        .unwrap()
        .is_none());
}

#[test]
fn importing_one_tree_never_removes_what_another_brought() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    for (dir, name) in [(&a, "alpha"), (&b, "beta")] {
        std::fs::create_dir_all(dir.join(name)).unwrap();
        std::fs::write(dir.join(name).join("PKGBUILD"), pkgbuild(name, "1")).unwrap();
    }
    let mut store = store_in(tmp.path());
    import_dir(&mut store, &a, &Quiet).unwrap();
    let run = import_dir(&mut store, &b, &Quiet).unwrap();
    assert_eq!(run.removed, 0);
    assert_eq!(store.count_recipes(Some(Origin::Arch)).unwrap(), 2);
}

#[test]
fn a_second_recipe_of_the_same_name_in_one_run_is_a_duplicate() {
    let tmp = tempfile::tempdir().unwrap();
    let tree = tmp.path().join("tree");
    for dir in ["a", "b"] {
        std::fs::create_dir_all(tree.join(dir)).unwrap();
        std::fs::write(tree.join(dir).join("PKGBUILD"), pkgbuild("same", dir)).unwrap();
    }
    let mut store = store_in(tmp.path());
    let run = import_dir(&mut store, &tree, &Quiet).unwrap();
    assert_eq!((run.added, run.updated), (1, 0));
    assert_eq!(run.duplicates.len(), 1);
    assert!(run.duplicates[0].message.contains("a/PKGBUILD"));
    let kept = store.recipe_by_name(None, "same").unwrap().unwrap();
    assert_eq!(kept.version, "a-1");
}

#[test]
fn a_bad_pkgbuild_is_a_failure_with_its_file_and_the_rest_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let tree = tmp.path().join("tree");
    std::fs::create_dir_all(tree.join("good")).unwrap();
    std::fs::create_dir_all(tree.join("binary")).unwrap();
    std::fs::write(tree.join("good/PKGBUILD"), pkgbuild("good", "2.0")).unwrap();
    std::fs::write(tree.join("binary/PKGBUILD"), b"pkgname=x\n\0\x01\x02").unwrap();
    let mut store = store_in(tmp.path());
    let run = import_dir(&mut store, &tree, &Quiet).unwrap();
    assert_eq!(run.added, 1, "{run:?}");
    let binary = run
        .failures
        .iter()
        .find(|f| f.path.ends_with("binary/PKGBUILD"))
        .expect("binary PKGBUILD fails");
    assert!(binary.message.contains("line 2"), "{}", binary.message);
    let stored = store.import_failures(RunId(run.run)).unwrap();
    assert_eq!(stored.len(), run.failures.len());
}

#[test]
fn a_stale_srcinfo_is_a_finding() {
    let tmp = tempfile::tempdir().unwrap();
    let tree = tmp.path().join("tree");
    std::fs::create_dir_all(tree.join("stale")).unwrap();
    std::fs::create_dir_all(tree.join("fresh")).unwrap();
    let stale = pkgbuild("stale", "2.0");
    std::fs::write(tree.join("stale/PKGBUILD"), &stale).unwrap();
    let old = kiln_importers::pkgbuild::parse_str(&pkgbuild("stale", "1.0"), "old").unwrap();
    std::fs::write(
        tree.join("stale/.SRCINFO"),
        kiln_normalizer::srcinfo::emit(&old),
    )
    .unwrap();
    let fresh = pkgbuild("fresh", "3.0");
    std::fs::write(tree.join("fresh/PKGBUILD"), &fresh).unwrap();
    let now = kiln_importers::pkgbuild::parse_str(&fresh, "fresh").unwrap();
    std::fs::write(
        tree.join("fresh/.SRCINFO"),
        kiln_normalizer::srcinfo::emit(&now),
    )
    .unwrap();

    let mut store = store_in(tmp.path());
    let run = import_dir(&mut store, &tree, &Quiet).unwrap();
    assert_eq!(run.findings, 1);
    let id = store.recipe_by_name(None, "stale").unwrap().unwrap().id;
    let findings = store.findings_of(id).unwrap();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].kind, STALE_SRCINFO);
    assert!(
        findings[0].message.contains("pkgver"),
        "{}",
        findings[0].message
    );
    let fresh_id = store.recipe_by_name(None, "fresh").unwrap().unwrap().id;
    assert!(store.findings_of(fresh_id).unwrap().is_empty());
}

/// Commits `files` as the whole tree of `branch` (a new root commit each
/// time, as the AUR mirror's history does not matter here).
fn commit_branch(repo: &Repository, branch: &str, files: &[(&str, &str)]) {
    let mut builder = repo.treebuilder(None).unwrap();
    for (name, text) in files {
        let blob = repo.blob(text.as_bytes()).unwrap();
        builder.insert(name, blob, 0o100_644).unwrap();
    }
    let tree = repo.find_tree(builder.write().unwrap()).unwrap();
    let sig = Signature::now("Kiln test", "test@example.org").unwrap();
    let parent = repo
        .find_branch(branch, git2::BranchType::Local)
        .ok()
        .and_then(|b| b.get().peel_to_commit().ok());
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    repo.commit(
        Some(&format!("refs/heads/{branch}")),
        &sig,
        &sig,
        "update",
        &tree,
        &parents,
    )
    .unwrap();
}

fn srcinfo_of(text: &str) -> String {
    kiln_normalizer::srcinfo::emit(&kiln_importers::pkgbuild::parse_str(text, "t").unwrap())
}

#[test]
fn an_aur_mirror_is_read_by_branch_and_reimported_incrementally() {
    let tmp = tempfile::tempdir().unwrap();
    let mirror = tmp.path().join("mirror.git");
    let repo = Repository::init_bare(&mirror).unwrap();
    for name in ["one", "two", "three"] {
        let text = pkgbuild(name, "1.0");
        commit_branch(
            &repo,
            name,
            &[("PKGBUILD", &text), (".SRCINFO", &srcinfo_of(&text))],
        );
    }
    let location = mirror.display().to_string();
    let cache = tmp.path().join("cache");
    let mut store = store_in(tmp.path());
    let first = import_aur_mirror(&mut store, &location, &cache, &Quiet).unwrap();
    assert_eq!(first.added, 3, "{first:?}");
    let two = store.recipe_by_name(None, "two").unwrap().unwrap();
    let prov = store.provenance_of(two.id).unwrap().unwrap();
    assert_eq!(prov.path, "two:PKGBUILD");
    assert_eq!(prov.commit.as_deref().map(str::len), Some(40));

    // Nothing changed: every branch skipped by its blob id.
    let again = import_aur_mirror(&mut store, &location, &cache, &Quiet).unwrap();
    assert_eq!((again.added, again.updated, again.unchanged), (0, 0, 3));

    let text = pkgbuild("two", "2.0");
    commit_branch(&repo, "two", &[("PKGBUILD", &text)]);
    repo.find_branch("three", git2::BranchType::Local)
        .unwrap()
        .delete()
        .unwrap();
    let third = import_aur_mirror(&mut store, &location, &cache, &Quiet).unwrap();
    assert_eq!(
        (third.added, third.updated, third.unchanged, third.removed),
        (0, 1, 1, 1),
        "{third:?}"
    );
    assert_eq!(
        store.recipe_by_name(None, "two").unwrap().unwrap().version,
        "2.0-1"
    );
}

#[test]
fn per_package_aur_repositories_are_fetched_into_the_cache() {
    let tmp = tempfile::tempdir().unwrap();
    let aur = tmp.path().join("aur");
    for name in ["alpha", "beta"] {
        let repo = Repository::init_bare(aur.join(format!("{name}.git"))).unwrap();
        commit_branch(&repo, "master", &[("PKGBUILD", &pkgbuild(name, "0.5"))]);
    }
    let url = format!("file://{}", aur.display());
    let cache = tmp.path().join("cache");
    let mut store = store_in(tmp.path());
    let names = vec!["alpha".to_owned(), "beta".to_owned(), "missing".to_owned()];
    let run = import_aur_packages(&mut store, &names, &url, &cache, &Quiet).unwrap();
    assert_eq!(run.added, 2, "{run:?}");
    assert_eq!(run.failures.len(), 1);
    assert!(run.failures[0].path.ends_with("missing.git"));
    assert!(cache.read_dir().unwrap().count() >= 2);
    let again = import_aur_packages(&mut store, &names[..2], &url, &cache, &Quiet).unwrap();
    assert_eq!(again.unchanged, 2);
}

#[test]
fn the_shared_corpus_imports_with_findings_and_no_lost_recipe() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/pkgbuild");
    if !corpus.is_dir() {
        println!("skipping: {} is absent", corpus.display());
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut store = store_in(tmp.path());
    let run = import_dir(&mut store, &corpus, &Quiet).unwrap();
    let stored = store.count_recipes(Some(Origin::Arch)).unwrap();
    println!(
        "corpus: {} added, {} failures, {} findings, {} stored",
        run.added,
        run.failures.len(),
        run.findings,
        stored
    );
    assert!(run.added + run.failures.len() as u64 >= 1_500);
    assert_eq!(stored, run.added);
}

fn guix_samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../recipes/samples/guix")
}

#[test]
fn a_guix_channel_is_read_from_a_directory_and_from_git_at_a_ref() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = store_in(tmp.path());
    let dir = guix_samples();
    let run = import_guix(
        &mut store,
        dir.to_str().unwrap(),
        None,
        &tmp.path().join("c"),
        &Quiet,
    )
    .unwrap();
    assert_eq!(run.added, 3, "{run:?}");
    let zlib = store
        .recipe_by_name(Some(Origin::Guix), "zlib")
        .unwrap()
        .unwrap();
    assert_eq!(zlib.version, "1.2.13");
    // The channel does not hold (guix licenses) or the build systems:
    // Kiln's stand-ins resolve them, with no warning left.
    assert_eq!(zlib.recipe.build_system.as_deref(), Some("gnu"));
    let licenses: Vec<String> = zlib
        .recipe
        .base
        .license
        .iter()
        .flatten()
        .map(|l| l.to_string())
        .collect();
    assert_eq!(licenses, ["Zlib"]);
    assert_eq!(run.warnings, 0);
    let prov = store.provenance_of(zlib.id).unwrap().unwrap();
    assert_eq!(prov.path, "kiln/packages/samples.scm");
    assert!(prov.line.unwrap_or(0) > 1);

    // The same channel as a git repository: two commits, read at each.
    let repo_dir = tmp.path().join("channel.git");
    let repo = Repository::init_bare(&repo_dir).unwrap();
    let text = std::fs::read_to_string(dir.join("kiln/packages/samples.scm")).unwrap();
    let commit_tree = |text: &str, branch: &str| {
        let blob = repo.blob(text.as_bytes()).unwrap();
        let mut packages = repo.treebuilder(None).unwrap();
        packages.insert("samples.scm", blob, 0o100_644).unwrap();
        let packages = packages.write().unwrap();
        let mut kiln = repo.treebuilder(None).unwrap();
        kiln.insert("packages", packages, 0o040_000).unwrap();
        let kiln = kiln.write().unwrap();
        let mut root = repo.treebuilder(None).unwrap();
        root.insert("kiln", kiln, 0o040_000).unwrap();
        let tree = repo.find_tree(root.write().unwrap()).unwrap();
        let sig = Signature::now("Kiln test", "test@example.org").unwrap();
        repo.commit(
            Some(&format!("refs/heads/{branch}")),
            &sig,
            &sig,
            "c",
            &tree,
            &[],
        )
        .unwrap()
    };
    commit_tree(&text, "old");
    commit_tree(&text.replace("\"2.6\"", "\"2.7\""), "master");
    repo.set_head("refs/heads/master").unwrap();
    let location = repo_dir.display().to_string();
    let cache = tmp.path().join("cache");
    let mut store = store_in(&tmp.path().join("git"));
    let old = import_guix(&mut store, &location, Some("old"), &cache, &Quiet).unwrap();
    assert_eq!(old.added, 3);
    assert_eq!(old.commit.as_deref().map(str::len), Some(40));
    let new = import_guix(&mut store, &location, None, &cache, &Quiet).unwrap();
    assert_eq!((new.updated, new.unchanged), (1, 2), "{new:?}");
    let pigz = store
        .recipe_by_name(Some(Origin::Guix), "pigz")
        .unwrap()
        .unwrap();
    assert_eq!(pigz.version, "2.7");
}

#[test]
fn packages_sharing_a_name_keep_it_for_the_newest_version() {
    let tmp = tempfile::tempdir().unwrap();
    let module = tmp.path().join("m.scm");
    std::fs::write(
        &module,
        "(define-module (m) #:use-module (guix packages))\n\
         (define-public foo-1 (package (name \"foo\") (version \"1.0\") (source #f)\n  (build-system #f) (synopsis \"s\") (description \"d\") (home-page \"h\") (license #f)))\n\
         (define-public foo-2 (package (inherit foo-1) (version \"2.0\")))\n",
    )
    .unwrap();
    let mut store = store_in(tmp.path());
    let run = import_guix(
        &mut store,
        tmp.path().to_str().unwrap(),
        None,
        tmp.path(),
        &Quiet,
    )
    .unwrap();
    assert_eq!(run.added, 2, "{run:?}");
    assert_eq!(
        store
            .recipe_by_name(Some(Origin::Guix), "foo")
            .unwrap()
            .unwrap()
            .version,
        "2.0"
    );
    assert!(store
        .recipe_by_name(Some(Origin::Guix), "foo@1.0")
        .unwrap()
        .is_some());
}
