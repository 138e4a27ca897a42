//! The coordinator against the real Docker engine and a real SQLite file:
//! the samples built in dependency order with the dependency's artifact
//! installed, a failure blocking only its dependents, a source mismatch
//! failing its build, and a build left running re-attached after a
//! restart. Skips with a notice when the engine or the build image is
//! absent (CI makes the image first).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use kiln_normalizer::Origin;
use kiln_workers::ImageSpec;

use super::*;
use crate::config::Config;
use crate::import::{import_dir, Quiet};
use crate::scheduler::{queue, QueueOptions};
use crate::store::{BuildFilter, BuildStatus};

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../recipes/samples/arch")
}

/// A coordinator on a fresh store in `tmp`, or `None` (skip).
async fn setup(test: &str, tmp: &Path, tree: &Path) -> Option<Arc<Coordinator>> {
    let config = Config::parse(
        "[farm]\npoll_millis = 100\nallow_download = false\n",
        "test",
    )
    .unwrap();
    let endpoint = match connect(&config.endpoints[0]).await {
        Ok(e) => e,
        Err(e) => {
            println!("skipping {test}: {e}");
            return None;
        }
    };
    let image = ImageSpec::default().tag();
    if endpoint
        .executor
        .docker()
        .inspect_image(&image)
        .await
        .is_err()
    {
        println!("skipping {test}: build image {image} absent (run `kiln image bootstrap`)");
        return None;
    }
    let mut store = Store::open(&tmp.join("kiln.db")).unwrap();
    let run = import_dir(&mut store, tree, &Quiet).unwrap();
    assert!(run.failures.is_empty(), "{:?}", run.failures);
    let dirs = Dirs::under(&tmp.join("data")).unwrap();
    Some(Coordinator::new(
        Arc::new(Mutex::new(store)),
        config,
        dirs,
        image,
        vec![endpoint],
    ))
}

fn copy_samples(to: &Path) {
    for entry in walkdir::WalkDir::new(samples()) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(samples()).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn store(c: &Coordinator) -> std::sync::MutexGuard<'_, Store> {
    c.store().lock().unwrap()
}

fn build_of(c: &Coordinator, name: &str) -> Build {
    store(c)
        .builds(&BuildFilter {
            name: Some(name.into()),
            ..Default::default()
        })
        .unwrap()
        .remove(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn samples_build_in_dependency_order_against_the_dependency_artifact() {
    let tmp = tempfile::tempdir().unwrap();
    let tree = tmp.path().join("tree");
    copy_samples(&tree);
    std::fs::remove_dir_all(tree.join("hello")).unwrap();
    std::fs::remove_dir_all(tree.join("zlib")).unwrap();
    let Some(c) = setup("samples_build", tmp.path(), &tree).await else {
        return;
    };
    let mut events = c.subscribe();
    let queued = queue(
        &mut store(&c),
        &["app".into(), "tool".into()],
        &QueueOptions::default(),
    )
    .unwrap();
    assert_eq!(queued.len(), 3);
    c.run(true).await.unwrap();

    let libfoo = build_of(&c, "libfoo");
    assert_eq!(
        libfoo.status,
        BuildStatus::Succeeded,
        "{:?}",
        libfoo.message
    );
    let artifacts = store(&c).artifacts_of(libfoo.id).unwrap();
    assert_eq!(artifacts.len(), 1);
    assert!(artifacts[0]
        .files
        .iter()
        .any(|f| f == "usr/lib/libfoo.so.1"));
    assert!(c.dirs().artifacts.get(&artifacts[0].sha256).is_some());

    for name in ["app", "tool"] {
        let b = build_of(&c, name);
        assert_eq!(b.status, BuildStatus::Succeeded, "{name}: {:?}", b.message);
        let inputs = store(&c).build_inputs(b.id).unwrap();
        assert_eq!(inputs.len(), 1, "{inputs:?}");
        assert_eq!(inputs[0].name, "libfoo");
        assert_eq!(inputs[0].version, "1.0-1");
        assert_eq!(inputs[0].build, Some(libfoo.id));
        assert_eq!(
            inputs[0].artifact_sha256.as_ref(),
            Some(&artifacts[0].sha256)
        );
        let log = std::fs::read_to_string(b.log_path.unwrap()).unwrap();
        assert!(log.contains("installing 1 dependency package"), "{log}");
    }
    // Subscribers saw the log lines as they came.
    let mut lines = 0;
    while let Ok(e) = events.try_recv() {
        if matches!(e, Event::Log(_)) {
            lines += 1;
        }
    }
    assert!(lines > 10, "{lines} log lines streamed");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_build_blocks_only_its_dependents_and_a_bad_source_fails_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let tree = tmp.path().join("tree");
    copy_samples(&tree);
    // libfoo no longer compiles; zlib's sha256 is wrong and its source is
    // not in the store (downloads off): both fail with their reason.
    let foo = tree.join("libfoo/foo.c");
    let text = std::fs::read_to_string(&foo).unwrap();
    std::fs::write(&foo, format!("{text}\n#error kiln test breaks libfoo\n")).unwrap();
    let pkgbuild = tree.join("libfoo/PKGBUILD");
    let sha = crate::store::content_hash(&std::fs::read(&foo).unwrap());
    let p = std::fs::read_to_string(&pkgbuild).unwrap();
    std::fs::write(
        &pkgbuild,
        p.replace(
            "b4ba2299ff609ae02437f614b2bef79133083be82e7bf5d1400e501767952123",
            &sha,
        ),
    )
    .unwrap();
    std::fs::remove_dir_all(tree.join("hello")).unwrap();
    let Some(c) = setup("failing_build", tmp.path(), &tree).await else {
        return;
    };
    queue(
        &mut store(&c),
        &["app".into(), "tool".into(), "zlib".into()],
        &QueueOptions::default(),
    )
    .unwrap();
    c.run(true).await.unwrap();
    let libfoo = build_of(&c, "libfoo");
    assert_eq!(libfoo.status, BuildStatus::Failed);
    assert!(
        libfoo
            .message
            .as_deref()
            .unwrap_or("")
            .contains("kiln test breaks libfoo"),
        "{:?}",
        libfoo.message
    );
    for name in ["app", "tool"] {
        let b = build_of(&c, name);
        assert_eq!(b.status, BuildStatus::DependencyFailed);
        assert_eq!(b.cause, Some(libfoo.id));
    }
    let zlib = build_of(&c, "zlib");
    assert_eq!(zlib.status, BuildStatus::Failed);
    let msg = zlib.message.unwrap();
    assert!(msg.contains("zlib-1.2.13.tar.gz"), "{msg}");
    let _ = Origin::Arch;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_build_left_running_is_reattached_after_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let tree = tmp.path().join("tree");
    std::fs::create_dir_all(tree.join("slow")).unwrap();
    std::fs::write(
        tree.join("slow/PKGBUILD"),
        "pkgname=slow\npkgver=1\npkgrel=1\narch=(x86_64)\nlicense=(MIT)\n\
         build() { echo starting; sleep 3; echo done; }\n\
         package() { mkdir -p \"$pkgdir/usr/share/slow\"; echo ok > \"$pkgdir/usr/share/slow/ok\"; }\n",
    )
    .unwrap();
    let Some(first) = setup("reattach", tmp.path(), &tree).await else {
        return;
    };
    queue(
        &mut store(&first),
        &["slow".into()],
        &QueueOptions::default(),
    )
    .unwrap();
    // The first coordinator leases and starts the build, then "dies".
    let (build, lease) = store(&first)
        .lease_next_build("dead", "local", 1)
        .unwrap()
        .unwrap();
    let prepared = {
        let s = store(&first);
        prepare(&s, first.dirs(), &build, false).unwrap()
    };
    let job = BuildJob {
        build_id: build.id.0.to_string(),
        recipe: build.name.clone(),
        image: first.image.clone(),
        files: prepared.files,
        install: prepared.install,
        limits: first.limits(),
        labels: BTreeMap::new(),
    };
    let container = first.endpoints[0].executor.start(&job).await.unwrap();
    store(&first).mark_running(lease, &container, 1).unwrap();
    let store_handle = Arc::clone(first.store());
    drop(first);

    // A new coordinator on the same store re-attaches and collects it.
    let config = Config::parse("[farm]\npoll_millis = 100\n", "test").unwrap();
    let endpoint = connect(&config.endpoints[0]).await.unwrap();
    let second = Coordinator::new(
        store_handle,
        config,
        Dirs::under(&tmp.path().join("data")).unwrap(),
        ImageSpec::default().tag(),
        vec![endpoint],
    );
    assert_eq!(second.recover().await.unwrap(), 1);
    second.run(true).await.unwrap();
    let b = build_of(&second, "slow");
    assert_eq!(b.status, BuildStatus::Succeeded, "{:?}", b.message);
    assert!(b.lease_epoch > lease.epoch, "taken over with a new epoch");
    let log = std::fs::read_to_string(b.log_path.unwrap()).unwrap();
    assert!(log.contains("starting") && log.contains("done"), "{log}");
    assert!(
        store(&second)
            .finish_build(
                lease,
                &BuildEnd {
                    succeeded: false,
                    exit_code: None,
                    message: None,
                    log_path: None,
                    log_size: None,
                    inputs: Vec::new(),
                    artifacts: Vec::new(),
                }
            )
            .is_err(),
        "the dead coordinator's lease can no longer finish it"
    );
}
