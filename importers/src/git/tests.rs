//! Tests of the git sources against real repositories made in a temp dir.

use std::path::Path;

use git2::{Repository, Signature};

use super::*;

/// Commits `files` as the whole tree of `branch` (a new root commit).
fn commit_tree(repo: &Repository, branch: &str, files: &[(&str, &str)]) -> String {
    let mut builder = repo.treebuilder(None).unwrap();
    let mut subdirs: std::collections::BTreeMap<&str, Vec<(&str, &str)>> = Default::default();
    for (path, text) in files {
        if let Some((dir, name)) = path.split_once('/') {
            subdirs.entry(dir).or_default().push((name, text));
        } else {
            let blob = repo.blob(text.as_bytes()).unwrap();
            builder.insert(path, blob, 0o100644).unwrap();
        }
    }
    for (dir, entries) in subdirs {
        let mut sub = repo.treebuilder(None).unwrap();
        for (name, text) in entries {
            let blob = repo.blob(text.as_bytes()).unwrap();
            sub.insert(name, blob, 0o100644).unwrap();
        }
        let id = sub.write().unwrap();
        builder.insert(dir, id, 0o040000).unwrap();
    }
    let tree = repo.find_tree(builder.write().unwrap()).unwrap();
    let sig = Signature::now("Kiln Test", "test@example.org").unwrap();
    let parent = repo
        .find_branch(branch, BranchType::Local)
        .ok()
        .and_then(|b| b.get().peel_to_commit().ok());
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    let id = repo
        .commit(
            Some(&format!("refs/heads/{branch}")),
            &sig,
            &sig,
            "update",
            &tree,
            &parents,
        )
        .unwrap();
    id.to_string()
}

fn pkgbuild(name: &str, ver: &str) -> String {
    format!("pkgname={name}\npkgver={ver}\npkgrel=1\narch=(any)\n")
}

#[test]
fn aur_mirror_branches_and_files() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init_bare(dir.path()).unwrap();
    let p1 = pkgbuild("alpha", "1.0");
    let c1 = commit_tree(
        &repo,
        "alpha",
        &[
            ("PKGBUILD", &p1),
            (".SRCINFO", "pkgbase = alpha\n"),
            ("fix.patch", "x"),
        ],
    );
    let p2 = pkgbuild("beta", "2.0");
    commit_tree(&repo, "beta", &[("PKGBUILD", &p2), ("keys/ABC.asc", "key")]);
    commit_tree(&repo, "no-recipe", &[("README", "nothing here")]);

    let src =
        GitSource::open_or_fetch(dir.path().to_str().unwrap(), Path::new("/nonexistent")).unwrap();
    let heads = src.branch_heads().unwrap();
    let names: Vec<&str> = heads.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["alpha", "beta", "no-recipe"]);
    assert!(heads[2].pkgbuild_blob.is_none());

    let alpha = src.recipe_files("alpha", "alpha").unwrap().unwrap();
    assert_eq!(alpha.commit, c1);
    assert_eq!(alpha.pkgbuild, p1.as_bytes());
    assert_eq!(alpha.srcinfo.as_deref(), Some(&b"pkgbase = alpha\n"[..]));
    assert_eq!(alpha.files.len(), 1);
    assert_eq!(Some(alpha.pkgbuild_blob.clone()), heads[0].pkgbuild_blob);

    let beta = src.recipe_files("beta", "beta").unwrap().unwrap();
    assert!(beta.srcinfo.is_none());
    assert_eq!(beta.files[0].0, "keys/ABC.asc");
    assert!(src
        .recipe_files("no-recipe", "no-recipe")
        .unwrap()
        .is_none());

    // An updated branch changes the PKGBUILD blob id; an untouched one keeps it.
    commit_tree(&repo, "alpha", &[("PKGBUILD", &pkgbuild("alpha", "1.1"))]);
    let again = src.branch_heads().unwrap();
    assert_ne!(again[0].pkgbuild_blob, heads[0].pkgbuild_blob);
    assert_eq!(again[1].pkgbuild_blob, heads[1].pkgbuild_blob);

    let missing = src.recipe_files("gamma", "gamma").unwrap_err();
    assert!(
        missing.to_string().contains("no ref \"gamma\""),
        "{missing}"
    );
}

#[test]
fn per_package_repositories_are_cloned_then_fetched_into_the_cache() {
    let upstream = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let repo_dir = upstream.path().join("delta.git");
    let repo = Repository::init_bare(&repo_dir).unwrap();
    commit_tree(&repo, "master", &[("PKGBUILD", &pkgbuild("delta", "1"))]);
    repo.set_head("refs/heads/master").unwrap();

    let base = format!("file://{}", upstream.path().display());
    let url = aur_package_url(&base, "delta");
    let src = GitSource::open_or_fetch(&url, cache.path()).unwrap();
    let files = src.recipe_files("HEAD", "delta").unwrap().unwrap();
    assert!(String::from_utf8_lossy(&files.pkgbuild).contains("pkgver=1"));

    commit_tree(&repo, "master", &[("PKGBUILD", &pkgbuild("delta", "2"))]);
    let src = GitSource::open_or_fetch(&url, cache.path()).unwrap();
    let files = src.recipe_files("master", "delta").unwrap().unwrap();
    assert!(String::from_utf8_lossy(&files.pkgbuild).contains("pkgver=2"));
    assert_eq!(
        std::fs::read_dir(cache.path()).unwrap().count(),
        1,
        "one cache dir per URL"
    );
}

#[test]
fn guix_channel_scheme_files_from_a_ref() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init_bare(dir.path()).unwrap();
    commit_tree(
        &repo,
        "main",
        &[
            ("gnu/base.scm", "(define-module (gnu packages base))"),
            ("guix/licenses.scm", "(define-module (guix licenses))"),
            ("README", "channel"),
        ],
    );
    let src =
        GitSource::open_or_fetch(dir.path().to_str().unwrap(), Path::new("/nonexistent")).unwrap();
    let (_, all) = src.scheme_files(Some("main"), "").unwrap();
    assert_eq!(all.len(), 2);
    let (_, gnu) = src.scheme_files(Some("main"), "gnu/").unwrap();
    assert_eq!(gnu.len(), 1);
    assert_eq!(gnu[0].path, "gnu/base.scm");
    assert!(src.scheme_files(Some("nope"), "").is_err());
}

#[test]
fn unreadable_locations_name_the_repository() {
    let e = GitSource::open_or_fetch("/no/such/repo", Path::new("/tmp"))
        .err()
        .unwrap();
    assert!(e.to_string().contains("/no/such/repo"), "{e}");
}
