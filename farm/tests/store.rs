//! The store on a real SQLite file: import events, search, reverse
//! dependencies, split packages, transactions, migrations, WAL, and the
//! whole `.SRCINFO` corpus when it is present.

use std::path::{Path, PathBuf};

use kiln_farm::store::{
    content_hash, ChangeKind, ImportKind, NameMatch, Provenance, RecipeImport, RunId, Store,
    StoreError, UpsertOutcome,
};
use kiln_normalizer::{srcinfo, DependencyKind, Origin, Recipe};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus");

/// A fixture's text.
fn fixture_text(name: &str) -> String {
    let path = Path::new(FIXTURES).join(format!("{name}.SRCINFO"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A fixture read as a recipe, ready to store.
fn fixture(name: &str) -> RecipeImport {
    let text = fixture_text(name);
    let recipe = srcinfo::parse(&text).unwrap_or_else(|e| panic!("{name}.SRCINFO: {e}"));
    RecipeImport {
        recipe,
        provenance: Provenance {
            repository: "fixtures".into(),
            commit: None,
            path: format!("{name}.SRCINFO"),
            line: None,
        },
        content_hash: content_hash(text.as_bytes()),
    }
}

fn fixtures(names: &[&str]) -> Vec<RecipeImport> {
    names.iter().map(|n| fixture(n)).collect()
}

/// A store in a fresh temporary directory (kept alive by the returned guard).
fn temp_store() -> (tempfile::TempDir, PathBuf, Store) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data/kiln.db");
    let store = Store::open(&path).unwrap();
    (dir, path, store)
}

/// A store holding the given fixtures, imported by one run.
fn store_with(names: &[&str]) -> (tempfile::TempDir, Store, RunId) {
    let (dir, _, mut store) = temp_store();
    let run = store
        .begin_import_run(ImportKind::Dir, FIXTURES, None)
        .unwrap();
    store.upsert_recipes(run, &fixtures(names)).unwrap();
    (dir, store, run)
}

mod import_events {
    use super::*;

    #[test]
    fn added_updated_unchanged_and_removed() {
        let (_dir, _, mut store) = temp_store();
        let first = store
            .begin_import_run(ImportKind::AurMirror, "aur.git", Some("abc123"))
            .unwrap();
        let outcomes = store
            .upsert_recipes(first, &fixtures(&["hello-1.0", "libfoo", "gone"]))
            .unwrap();
        assert_eq!(outcomes, vec![UpsertOutcome::Added; 3]);
        store.finish_import_run(first).unwrap();

        let second = store
            .begin_import_run(ImportKind::AurMirror, "aur.git", Some("def456"))
            .unwrap();
        let hello = fixture("hello-2.0");
        let outcome = store
            .upsert_recipe(
                second,
                &hello.recipe,
                &hello.provenance,
                &hello.content_hash,
            )
            .unwrap();
        assert_eq!(
            outcome,
            UpsertOutcome::Updated {
                old: "1.0-1".into(),
                new: "2.0-1".into()
            }
        );
        let libfoo = fixture("libfoo");
        assert_eq!(
            store
                .upsert_recipe(
                    second,
                    &libfoo.recipe,
                    &libfoo.provenance,
                    &libfoo.content_hash
                )
                .unwrap(),
            UpsertOutcome::Unchanged
        );
        store
            .record_import_failure(
                second,
                "broken/PKGBUILD",
                "broken/PKGBUILD: line 4: unterminated array",
            )
            .unwrap();
        let missing = store.names_not_seen(second, Origin::Arch).unwrap();
        assert_eq!(missing, ["gone"]);
        assert_eq!(
            store.mark_removed(second, Origin::Arch, &missing).unwrap(),
            1
        );
        let run = store.finish_import_run(second).unwrap();
        assert_eq!(
            (
                run.added,
                run.updated,
                run.unchanged,
                run.removed,
                run.failed
            ),
            (0, 1, 1, 1, 1)
        );

        let events: Vec<_> = store
            .change_events(Some(second))
            .unwrap()
            .into_iter()
            .map(|e| (e.name, e.kind, e.old_version, e.new_version))
            .collect();
        assert_eq!(
            events,
            [
                (
                    "hello".to_owned(),
                    ChangeKind::Updated,
                    Some("1.0-1".to_owned()),
                    Some("2.0-1".to_owned())
                ),
                (
                    "gone".to_owned(),
                    ChangeKind::Removed,
                    Some("1-1".to_owned()),
                    None
                ),
            ]
        );
        assert_eq!(store.change_events(None).unwrap().len(), 5);
        let runs = store.import_runs().unwrap();
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0].added, 3);
        assert_eq!(runs[1].git_ref.as_deref(), Some("def456"));
        assert_eq!(store.count_recipes(Some(Origin::Arch)).unwrap(), 2);
        assert!(store.recipe_by_name(None, "gone").unwrap().is_none());
        assert!(store.search("disappears", None, 10).unwrap().is_empty());
        let stored = store.recipe_by_name(None, "hello").unwrap().unwrap();
        assert_eq!(stored.recipe, hello.recipe);
        assert_eq!(stored.version, "2.0-1");
    }
}

mod search {
    use super::*;

    fn names(store: &Store, query: &str, origin: Option<Origin>) -> Vec<String> {
        store
            .search(query, origin, 10)
            .unwrap()
            .into_iter()
            .map(|h| h.name)
            .collect()
    }

    #[test]
    fn exact_name_then_name_words_then_descriptions() {
        let (_dir, store, _) = store_with(&["ripgrep", "grep-tools", "grep", "hello-1.0"]);
        assert_eq!(
            names(&store, "grep", None),
            ["grep", "grep-tools", "ripgrep"]
        );
        assert_eq!(names(&store, "GREP", None)[0], "grep");
        assert_eq!(names(&store, "pattern", None), ["grep", "grep-tools"]);
        assert_eq!(names(&store, "search tool", None), ["ripgrep"]);
        assert_eq!(names(&store, "rip", None), ["ripgrep"]);
    }

    #[test]
    fn origin_filter_and_limit() {
        let (_dir, mut store, run) = store_with(&["grep", "grep-tools"]);
        let mut guix = fixture("grep");
        guix.recipe.origin = Origin::Guix;
        store
            .upsert_recipe(run, &guix.recipe, &guix.provenance, &guix.content_hash)
            .unwrap();
        assert_eq!(names(&store, "grep", Some(Origin::Guix)), ["grep"]);
        assert_eq!(
            names(&store, "grep", Some(Origin::Arch)),
            ["grep", "grep-tools"]
        );
        assert_eq!(store.search("grep", None, 1).unwrap().len(), 1);
        assert_eq!(store.count_recipes(None).unwrap(), 3);
        assert_eq!(store.count_recipes(Some(Origin::Guix)).unwrap(), 1);
    }

    #[test]
    fn odd_query_strings_are_text_not_syntax() {
        let (_dir, store, _) = store_with(&["libfoo", "grep", "app"]);
        let cases: &[(&str, &[&str])] = &[
            ("\"", &[]),
            ("*", &[]),
            ("-", &[]),
            ("", &[]),
            ("   ", &[]),
            ("NEAR", &[]),
            ("NEAR(libfoo grep)", &[]),
            ("AND", &[]),
            ("grep OR", &[]),
            ("\"libfoo", &["libfoo", "app"]),
            ("libfoo*", &["libfoo", "app"]),
            ("-grep", &["grep"]),
            ("libfoo.so", &["libfoo"]),
            ("foo-virtual", &["libfoo"]),
            // A column filter in FTS5 syntax would find grep; as text, no recipe
            // holds the word "name".
            ("{name}: grep", &[]),
            ("a'b ; DROP TABLE recipes", &[]),
        ];
        for (query, want) in cases {
            assert_eq!(names(&store, query, None), *want, "query {query:?}");
        }
        assert_eq!(store.count_recipes(None).unwrap(), 3);
    }
}

mod dependencies {
    use super::*;

    #[test]
    fn reverse_dependencies_through_provides_and_split_packages() {
        let (_dir, store, _) = store_with(&["libfoo", "app", "viewer", "hello-1.0"]);
        let who = |name: &str| -> Vec<(String, Option<String>, DependencyKind, String)> {
            store
                .reverse_dependencies(name, None)
                .unwrap()
                .into_iter()
                .map(|d| (d.recipe, d.package, d.kind, d.name))
                .collect()
        };
        let dep =
            |r: &str, p: &str, k, n: &str| (r.to_owned(), Some(p.to_owned()), k, n.to_owned());
        use DependencyKind::{Optional, Runtime};
        assert_eq!(
            who("libfoo"),
            [
                dep("app", "app", Runtime, "libfoo.so"),
                dep("app", "app", Optional, "foo-virtual"),
                dep("libfoo", "libfoo-docs", Runtime, "libfoo"),
                dep("viewer", "viewer", Runtime, "libfoo-docs"),
            ]
        );
        assert_eq!(who("libfoo.so"), [dep("app", "app", Runtime, "libfoo.so")]);
        assert_eq!(
            who("foo-virtual"),
            [dep("app", "app", Optional, "foo-virtual")]
        );
        assert_eq!(
            who("libfoo-docs"),
            [dep("viewer", "viewer", Runtime, "libfoo-docs")]
        );
        assert_eq!(who("glibc").len(), 2);
        assert!(who("cmake")
            .iter()
            .all(|d| d.1.is_none() && d.2 == DependencyKind::Build));
        assert!(who("nothing").is_empty());
    }

    #[test]
    fn split_packages_and_their_dependencies() {
        let (_dir, store, _) = store_with(&["libfoo"]);
        let docs = store.recipe_by_name(None, "libfoo-docs").unwrap().unwrap();
        assert_eq!(docs.name, "libfoo");
        assert_eq!(docs.matched, NameMatch::Package);
        let names: Vec<_> = docs
            .recipe
            .packages
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(names, ["libfoo", "libfoo-docs"]);
        let by_provides = store
            .recipe_by_name(Some(Origin::Arch), "libfoo.so")
            .unwrap()
            .unwrap();
        assert_eq!(
            (by_provides.matched, by_provides.package.as_deref()),
            (NameMatch::Provides, Some("libfoo"))
        );

        let deps = |name: &str| -> Vec<(Option<String>, String, Option<String>)> {
            store
                .dependencies_of(name, None)
                .unwrap()
                .into_iter()
                .map(|d| (d.package, d.text, d.arch))
                .collect()
        };
        let s = |v: &str| Some(v.to_owned());
        assert_eq!(
            deps("libfoo-docs"),
            [
                (None, "cmake".to_owned(), None),
                (s("libfoo-docs"), "libfoo".to_owned(), None),
                (s("libfoo-docs"), "zlib".to_owned(), s("x86_64")),
            ]
        );
        assert_eq!(deps("libfoo").len(), 5);
    }

    #[test]
    fn sources_by_sha256() {
        let (_dir, store, _) = store_with(&["libfoo", "viewer", "hello-1.0"]);
        let hits = store
            .recipes_with_sha256("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
            .unwrap();
        let got: Vec<_> = hits
            .iter()
            .map(|h| (h.recipe.as_str(), h.file_name.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("libfoo", "libfoo-1.2.tar.gz"),
                ("viewer", "viewer-1.tar.gz")
            ]
        );
    }
}

mod durability {
    use super::*;

    #[test]
    fn a_failing_batch_leaves_nothing_behind() {
        let (_dir, path, mut store) = temp_store();
        let run = store
            .begin_import_run(ImportKind::Dir, FIXTURES, None)
            .unwrap();
        let mut batch = fixtures(&["hello-1.0", "libfoo", "app"]);
        batch[2].recipe.packages.clear();
        let err = store.upsert_recipes(run, &batch).unwrap_err();
        assert!(matches!(err, StoreError::InvalidRecipe { .. }));
        assert!(
            err.to_string().contains("arch/\"app\": no packages"),
            "{err}"
        );
        drop(store);

        let store = Store::open(&path).unwrap();
        assert_eq!(store.count_recipes(None).unwrap(), 0);
        assert!(store.change_events(None).unwrap().is_empty());
        assert!(store.search("libfoo", None, 10).unwrap().is_empty());
        assert!(store
            .reverse_dependencies("glibc", None)
            .unwrap()
            .is_empty());
        let runs = store.import_runs().unwrap();
        assert_eq!((runs[0].added, runs[0].finished_at), (0, None));
    }

    #[test]
    fn migrations_apply_once_and_reopening_is_idempotent() {
        let (_dir, path, mut store) = temp_store();
        let run = store
            .begin_import_run(ImportKind::Dir, FIXTURES, None)
            .unwrap();
        store.upsert_recipes(run, &fixtures(&["libfoo"])).unwrap();
        let version = store.schema_version().unwrap();
        let applied = store.applied_migrations().unwrap();
        assert!(version >= 1);
        assert_eq!(applied.first().map(|m| m.1.as_str()), Some("recipes"));
        drop(store);
        for _ in 0..2 {
            let store = Store::open(&path).unwrap();
            assert_eq!(store.schema_version().unwrap(), version);
            assert_eq!(store.applied_migrations().unwrap(), applied);
            assert_eq!(store.count_recipes(None).unwrap(), 1);
        }
    }

    #[test]
    fn file_store_uses_wal_and_foreign_keys() {
        let (_dir, path, mut store) = temp_store();
        assert_eq!(store.journal_mode().unwrap(), "wal");
        assert!(store.foreign_keys_enabled().unwrap());
        let run = store
            .begin_import_run(ImportKind::Dir, FIXTURES, None)
            .unwrap();
        store
            .upsert_recipes(run, &fixtures(&["hello-1.0"]))
            .unwrap();
        let wal = PathBuf::from(format!("{}-wal", path.display()));
        assert!(wal.exists(), "no {}", wal.display());
        assert_eq!(store.path(), Some(path.as_path()));
    }

    #[test]
    fn a_second_connection_reads_committed_writes() {
        let (_dir, path, mut writer) = temp_store();
        let reader = Store::open(&path).unwrap();
        let run = writer
            .begin_import_run(ImportKind::Dir, FIXTURES, None)
            .unwrap();
        writer.upsert_recipes(run, &fixtures(&["grep"])).unwrap();
        assert_eq!(reader.count_recipes(None).unwrap(), 1);
        assert_eq!(reader.search("grep", None, 5).unwrap()[0].name, "grep");
    }

    #[test]
    fn opening_a_directory_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let err = Store::open(dir.path()).unwrap_err();
        assert!(
            err.to_string().contains(&dir.path().display().to_string()),
            "{err}"
        );
    }
}

mod corpus {
    use super::*;

    /// Every `.SRCINFO` of the corpus, read with the model's reader.
    fn corpus_recipes() -> Option<(Vec<RecipeImport>, usize)> {
        let root = Path::new(CORPUS).join("pkgbuild");
        if !root.is_dir() {
            println!("skipping: no corpus at {}", root.display());
            return None;
        }
        let mut dirs: Vec<_> = std::fs::read_dir(&root)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.join(".SRCINFO").is_file())
            .collect();
        dirs.sort();
        let mut imports = Vec::new();
        let mut unreadable = 0;
        for dir in dirs {
            let text = std::fs::read_to_string(dir.join(".SRCINFO")).unwrap();
            match srcinfo::parse(&text) {
                Ok(recipe) => imports.push(RecipeImport {
                    recipe,
                    provenance: Provenance {
                        repository: "corpus".into(),
                        commit: None,
                        path: dir.file_name().unwrap().to_string_lossy().into_owned(),
                        line: None,
                    },
                    content_hash: content_hash(text.as_bytes()),
                }),
                Err(_) => unreadable += 1,
            }
        }
        Some((imports, unreadable))
    }

    #[test]
    fn whole_corpus_round_trips_and_reimports_unchanged() {
        let Some((imports, unreadable)) = corpus_recipes() else {
            return;
        };
        // The corpus holds a few recipes of the same name from different
        // repositories; the store keeps one per name, so keep the first.
        let mut seen = std::collections::BTreeSet::new();
        let total = imports.len();
        let imports: Vec<_> = imports
            .into_iter()
            .filter(|i| seen.insert(i.recipe.pkgbase.clone()))
            .collect();
        let (_dir, _, mut store) = temp_store();
        let run = store
            .begin_import_run(ImportKind::Dir, "corpus", None)
            .unwrap();
        let outcomes = store.upsert_recipes(run, &imports).unwrap();
        assert!(outcomes.iter().all(|o| *o == UpsertOutcome::Added));
        assert_eq!(store.count_recipes(None).unwrap(), imports.len() as u64);
        for i in &imports {
            let stored: Recipe = store
                .recipe_by_name(Some(Origin::Arch), &i.recipe.pkgbase)
                .unwrap()
                .unwrap()
                .recipe;
            assert_eq!(stored, i.recipe, "{}", i.provenance.path);
        }
        let again = store
            .begin_import_run(ImportKind::Dir, "corpus", None)
            .unwrap();
        let outcomes = store.upsert_recipes(again, &imports).unwrap();
        assert!(outcomes.iter().all(|o| *o == UpsertOutcome::Unchanged));
        assert!(store
            .names_not_seen(again, Origin::Arch)
            .unwrap()
            .is_empty());
        println!(
            "corpus: {total} .SRCINFO read, {unreadable} unreadable, {} recipes stored",
            imports.len()
        );
    }
}
