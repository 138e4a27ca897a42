//! The queue on a real SQLite file: dependency order, leases and their
//! epochs, retries, the dependency-failed cascade, lanes.

use kiln_normalizer::Origin;

use super::*;
use crate::store::{BuildEnd, BuildStatus, ImportKind, Provenance, StoreError};

fn recipe(text: &str) -> kiln_normalizer::Recipe {
    kiln_importers::pkgbuild::parse_str(text, "PKGBUILD").unwrap()
}

fn pkg(name: &str, version: &str, depends: &str, makedepends: &str) -> String {
    format!(
        "pkgname={name}\npkgver={version}\npkgrel=1\narch=(x86_64)\n\
         depends=({depends})\nmakedepends=({makedepends})\npackage() {{ :; }}\n"
    )
}

/// A store holding libfoo (providing libfoo.so), app (depends libfoo.so),
/// tool (makedepends libfoo, depends glibc, which is not a recipe here).
fn store() -> (tempfile::TempDir, Store) {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(&tmp.path().join("kiln.db")).unwrap();
    let run = store.begin_import_run(ImportKind::Dir, "t", None).unwrap();
    let mut libfoo = recipe(&pkg("libfoo", "1.0", "glibc", ""));
    libfoo
        .base
        .relation_mut(kiln_normalizer::Relation::Provides)
        .all = Some(vec!["libfoo.so=1-64".into()]);
    for r in [
        libfoo,
        recipe(&pkg("app", "1.0", "libfoo.so", "")),
        recipe(&pkg("tool", "0.3", "glibc", "libfoo")),
    ] {
        let name = r.pkgbase.clone();
        store
            .upsert_recipe(
                run,
                &r,
                &Provenance {
                    repository: "t".into(),
                    path: name.clone(),
                    ..Provenance::default()
                },
                &name,
            )
            .unwrap();
    }
    (tmp, store)
}

fn ok_end() -> BuildEnd {
    BuildEnd {
        succeeded: true,
        exit_code: Some(0),
        message: None,
        log_path: None,
        log_size: None,
        inputs: Vec::new(),
        artifacts: Vec::new(),
    }
}

fn failed_end() -> BuildEnd {
    BuildEnd {
        succeeded: false,
        exit_code: Some(4),
        message: Some("build() failed".into()),
        ..ok_end()
    }
}

fn names(q: &[Queued]) -> Vec<&str> {
    q.iter().map(|q| q.name.as_str()).collect()
}

#[test]
fn dependencies_are_queued_first_and_leased_only_when_they_succeeded() {
    let (_tmp, mut store) = store();
    let queued = queue(&mut store, &["app".into()], &QueueOptions::default()).unwrap();
    assert_eq!(names(&queued), ["libfoo", "app"]);
    assert!(queued[0].dependency && !queued[1].dependency);
    assert_eq!(
        store.build_waits(queued[1].build).unwrap(),
        [queued[0].build]
    );

    let (first, lease) = store.lease_next_build("c1", "local", 60).unwrap().unwrap();
    assert_eq!(first.name, "libfoo");
    assert!(
        store.lease_next_build("c1", "local", 60).unwrap().is_none(),
        "app waits for libfoo"
    );
    store.mark_running(lease, "container-1", 60).unwrap();
    store.finish_build(lease, &ok_end()).unwrap();
    let (second, _) = store.lease_next_build("c1", "local", 60).unwrap().unwrap();
    assert_eq!(second.name, "app");

    // libfoo's current version has a successful build: not queued again.
    let again = queue(&mut store, &["tool".into()], &QueueOptions::default()).unwrap();
    assert_eq!(names(&again), ["tool"]);
    assert!(store.build_waits(again[0].build).unwrap().is_empty());
}

#[test]
fn a_failed_build_marks_only_its_dependents_dependency_failed() {
    let (_tmp, mut store) = store();
    let q = queue(
        &mut store,
        &["app".into(), "tool".into()],
        &QueueOptions::default(),
    )
    .unwrap();
    assert_eq!(names(&q), ["libfoo", "app", "tool"]);
    let (libfoo, lease) = store.lease_next_build("c", "local", 60).unwrap().unwrap();
    store.finish_build(lease, &failed_end()).unwrap();
    for dependent in [q[1].build, q[2].build] {
        let b = store.build(dependent).unwrap().unwrap();
        assert_eq!(b.status, BuildStatus::DependencyFailed);
        assert_eq!(b.cause, Some(libfoo.id));
    }
    let failed = store.build(libfoo.id).unwrap().unwrap();
    assert_eq!(failed.status, BuildStatus::Failed);
    assert_eq!(failed.exit_code, Some(4));

    // An unrelated build still runs.
    let single = queue(&mut store, &["libfoo".into()], &QueueOptions::default()).unwrap();
    assert_eq!(single.len(), 1);
    assert!(store.lease_next_build("c", "local", 60).unwrap().is_some());
}

#[test]
fn a_taken_over_lease_can_no_longer_finish_the_build() {
    let (_tmp, mut store) = store();
    queue(&mut store, &["libfoo".into()], &QueueOptions::default()).unwrap();
    let (_, old) = store.lease_next_build("c1", "local", 60).unwrap().unwrap();
    store.mark_running(old, "ctr", 60).unwrap();
    let unfinished = store.unfinished_builds().unwrap();
    assert_eq!(unfinished.len(), 1);
    let new = store.take_over(unfinished[0].1, "c2", 60).unwrap();
    assert_eq!(new.epoch, old.epoch + 1);
    let err = store.finish_build(old, &ok_end()).unwrap_err();
    assert!(matches!(err, StoreError::LeaseLost { .. }), "{err}");
    store.finish_build(new, &ok_end()).unwrap();
    let err = store.finish_build(new, &ok_end()).unwrap_err();
    assert!(
        matches!(err, StoreError::LeaseLost { .. }),
        "a finished build cannot finish twice"
    );
}

#[test]
fn infrastructure_failures_retry_with_backoff_then_give_up() {
    let (_tmp, mut store) = store();
    queue(&mut store, &["libfoo".into()], &QueueOptions::default()).unwrap();
    let (b, lease) = store.lease_next_build("c", "local", 60).unwrap().unwrap();
    let status = store
        .retry_build(lease, "engine unreachable", 3600, 3)
        .unwrap();
    assert_eq!(status, BuildStatus::Queued);
    assert!(
        store.lease_next_build("c", "local", 60).unwrap().is_none(),
        "backing off"
    );
    let again = store.build(b.id).unwrap().unwrap();
    assert_eq!(again.message.as_deref(), Some("engine unreachable"));

    let (_tmp2, mut store) = self::store();
    queue(&mut store, &["libfoo".into()], &QueueOptions::default()).unwrap();
    let mut last = BuildStatus::Queued;
    for _ in 0..3 {
        let (_, lease) = store.lease_next_build("c", "local", 60).unwrap().unwrap();
        last = store
            .retry_build(lease, "container vanished", 0, 3)
            .unwrap();
    }
    assert_eq!(last, BuildStatus::Failed);
}

#[test]
fn the_wave_lane_goes_first_and_active_builds_are_reused() {
    let (_tmp, mut store) = store();
    let normal = queue(
        &mut store,
        &["libfoo".into()],
        &QueueOptions {
            priority: 100,
            ..QueueOptions::default()
        },
    )
    .unwrap();
    let reused = queue(&mut store, &["libfoo".into()], &QueueOptions::default()).unwrap();
    assert!(reused[0].reused);
    assert_eq!(reused[0].build, normal[0].build);
    let wave = queue(
        &mut store,
        &["tool".into()],
        &QueueOptions {
            lane: Lane::Wave,
            ..QueueOptions::default()
        },
    )
    .unwrap();
    // tool waits on the (normal-lane) libfoo build, so libfoo goes first
    // anyway; queue an independent wave build to see the lane order.
    assert_eq!(names(&wave), ["libfoo", "tool"]);
    let origin = Some(Origin::Arch);
    let app = store.recipe_by_name(origin, "app").unwrap().unwrap();
    store
        .queue_build(&NewBuild {
            recipe: app.id,
            priority: -5,
            lane: Lane::Wave,
            wave: Some(1),
            waits_on: Vec::new(),
        })
        .unwrap();
    let (first, _) = store.lease_next_build("c", "local", 60).unwrap().unwrap();
    assert_eq!(
        first.name, "app",
        "a wave build before a higher-priority normal one"
    );
}

#[test]
fn what_a_build_was_built_against_and_produced_is_kept() {
    let (_tmp, mut store) = store();
    queue(&mut store, &["libfoo".into()], &QueueOptions::default()).unwrap();
    let (b, lease) = store.lease_next_build("c", "local", 60).unwrap().unwrap();
    let end = BuildEnd {
        inputs: vec![crate::store::BuildInput {
            name: "glibc".into(),
            version: "2.36".into(),
            build: None,
            artifact_sha256: None,
        }],
        artifacts: vec![crate::store::ArtifactRecord {
            name: "libfoo-1.0-1-x86_64.pkg.tar.zst".into(),
            sha256: "ab".repeat(32),
            size: 1234,
            files: vec!["usr/lib/libfoo.so.1".into(), "usr/include/foo.h".into()],
        }],
        ..ok_end()
    };
    store.finish_build(lease, &end).unwrap();
    assert_eq!(store.build_inputs(b.id).unwrap(), end.inputs);
    assert_eq!(store.artifacts_of(b.id).unwrap(), end.artifacts);
    let counts = store.build_counts().unwrap();
    assert_eq!(counts, [(BuildStatus::Succeeded, 1)]);
}

#[test]
fn a_wave_rebuilds_dependents_after_their_dependency_and_a_failure_blocks_only_them() {
    let (_tmp, mut store) = store();
    let plan = plan_dependents(
        &store,
        Origin::Arch,
        &["libfoo".into()],
        crate::planner::PlanOptions::default(),
        2,
    )
    .unwrap();
    assert_eq!(plan.plan.waves, [vec!["libfoo"], vec!["app", "tool"]]);
    assert_eq!(plan.estimate_secs, 2 * DEFAULT_DURATION.as_secs());
    let (wave, queued) = queue_wave(&mut store, &plan, "test", None, 0).unwrap();
    assert_eq!(names(&queued), ["libfoo", "app", "tool"]);
    assert_eq!(store.waves().unwrap()[0].id, wave);
    for q in &queued[1..] {
        assert_eq!(store.build_waits(q.build).unwrap(), [queued[0].build]);
    }
    let (b, lease) = store.lease_next_build("c", "local", 60).unwrap().unwrap();
    assert_eq!(b.wave, Some(wave));
    store.finish_build(lease, &failed_end()).unwrap();
    let listed = store
        .builds(&crate::store::BuildFilter {
            wave: Some(wave),
            status: Some(BuildStatus::DependencyFailed),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(listed.len(), 2);
}

#[test]
fn an_advisory_wave_takes_only_dependents_built_against_an_affected_version() {
    let (_tmp, mut store) = store();
    // libfoo 1.0 built; app built against it; tool built against 1.1.
    queue(&mut store, &["libfoo".into()], &QueueOptions::default()).unwrap();
    let (_, lease) = store.lease_next_build("c", "local", 60).unwrap().unwrap();
    store.finish_build(lease, &ok_end()).unwrap();
    for (name, against) in [("app", "1.0-1"), ("tool", "1.1-1")] {
        queue(&mut store, &[name.into()], &QueueOptions::default()).unwrap();
        let (_, lease) = store.lease_next_build("c", "local", 60).unwrap().unwrap();
        let end = BuildEnd {
            inputs: vec![crate::store::BuildInput {
                name: "libfoo".into(),
                version: against.into(),
                build: None,
                artifact_sha256: None,
            }],
            ..ok_end()
        };
        store.finish_build(lease, &end).unwrap();
    }
    // libfoo 1.1 is imported.
    let run = store.begin_import_run(ImportKind::Dir, "t", None).unwrap();
    let mut libfoo = recipe(&pkg("libfoo", "1.1", "glibc", ""));
    libfoo
        .base
        .relation_mut(kiln_normalizer::Relation::Provides)
        .all = Some(vec!["libfoo.so=1-64".into()]);
    store
        .upsert_recipe(run, &libfoo, &Provenance::default(), "libfoo-1.1")
        .unwrap();
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../recipes/samples/advisories/KILN-2026-0001.json"
    ))
    .unwrap();
    let advisory = crate::advisory::parse_advisories(&text, "a.json")
        .unwrap()
        .remove(0);
    let plans = plan_advisory(
        &store,
        &advisory,
        &kiln_normalizer::compare::SameNames,
        crate::planner::PlanOptions::default(),
        2,
    )
    .unwrap();
    assert_eq!(plans.len(), 1);
    assert_eq!(plans[0].plan.waves, [vec!["libfoo"], vec!["app"]]);
    assert_eq!(
        plans[0].skipped,
        [(
            "tool".to_owned(),
            "last built against a fixed version".to_owned()
        )]
    );
}
