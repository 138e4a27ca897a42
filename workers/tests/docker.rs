//! The Docker executor against the real engine: builds of the sample
//! recipes and of small fixtures that fail, hang, flood the log or reach for
//! the network.
//!
//! Skips (with a notice) when the engine is unreachable or the build image
//! cannot be made; CI runs `kiln image bootstrap` first so nothing skips
//! there.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kiln_workers::archive::files_from_dir;
use kiln_workers::{
    bootstrap, BuildJob, BuildReport, DockerExecutor, Executor, ExecutorError, ImageSpec, JobFile,
    Limits, Outcome,
};
use tokio::sync::{mpsc, OnceCell};

/// The build image, made once per test binary (`None`: skip).
static IMAGE: OnceCell<Option<String>> = OnceCell::const_new();

async fn setup(test: &str) -> Option<(DockerExecutor, String)> {
    let executor = match DockerExecutor::connect_local().await {
        Ok(e) => e,
        Err(e) => {
            println!("skipping {test}: {}", chain(&e));
            return None;
        }
    };
    let image = IMAGE
        .get_or_init(|| async {
            let docker = kiln_workers::connect_local().await.ok()?;
            match bootstrap(&docker, &ImageSpec::default(), false).await {
                Ok(tag) => Some(tag),
                Err(e) => {
                    println!("build image cannot be made: {}", chain(&e));
                    None
                }
            }
        })
        .await;
    match image {
        Some(tag) => Some((executor, tag.clone())),
        None => {
            println!("skipping {test}: no build image");
            None
        }
    }
}

/// An error with its causes, `: `-separated.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(&format!(": {c}"));
        cause = c.source();
    }
    text
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn sample(name: &str) -> Vec<JobFile> {
    files_from_dir(&workspace().join("recipes/samples/arch").join(name)).unwrap()
}

fn fixture(name: &str) -> Vec<JobFile> {
    files_from_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

fn job(build_id: &str, image: &str, files: Vec<JobFile>) -> BuildJob {
    BuildJob {
        build_id: format!("test-{build_id}-{}", std::process::id()),
        recipe: build_id.to_string(),
        image: image.to_string(),
        files,
        install: Vec::new(),
        limits: Limits {
            wall_clock: Duration::from_secs(300),
            stop_grace: Duration::from_secs(2),
            ..Limits::default()
        },
        labels: [("kiln.test".to_string(), "workers".to_string())].into(),
    }
}

/// Runs a job, collecting the live log lines alongside.
async fn run(executor: &DockerExecutor, job: BuildJob) -> (BuildReport, Vec<String>) {
    let (tx, mut rx) = mpsc::channel(64);
    let lines = tokio::spawn(async move {
        let mut lines = Vec::new();
        while let Some(line) = rx.recv().await {
            lines.push(line);
        }
        lines
    });
    let report = executor.run(job, tx).await.expect("build infrastructure");
    (report, lines.await.unwrap())
}

fn log_text(report: &BuildReport) -> String {
    String::from_utf8_lossy(&report.log).into_owned()
}

async fn assert_gone(executor: &DockerExecutor, container_id: &str) {
    let inspect = executor
        .docker()
        .inspect_container(
            container_id,
            None::<bollard::query_parameters::InspectContainerOptions>,
        )
        .await;
    assert!(inspect.is_err(), "container {container_id} still exists");
}

async fn build_libfoo(executor: &DockerExecutor, image: &str) -> BuildReport {
    let started = Instant::now();
    let (report, lines) = run(executor, job("libfoo", image, sample("libfoo"))).await;
    println!("libfoo built in {:.2}s", started.elapsed().as_secs_f64());
    assert_eq!(report.outcome, Outcome::Succeeded, "{}", log_text(&report));
    assert!(
        lines.iter().any(|l| l.contains("Finished making: libfoo")),
        "{lines:?}"
    );
    report
}

#[tokio::test]
async fn libfoo_builds_into_a_package_listing_its_library() {
    let Some((executor, image)) = setup("libfoo_builds").await else {
        return;
    };
    let report = build_libfoo(&executor, &image).await;
    assert_eq!(report.artifacts.len(), 1);
    let artifact = &report.artifacts[0];
    assert_eq!(artifact.name, "libfoo-1.0-1-x86_64.pkg.tar.zst");
    assert_eq!(artifact.size, artifact.data.len() as u64);
    for file in [
        "usr/include/foo.h",
        "usr/lib/libfoo.so.1",
        "usr/lib/libfoo.so",
    ] {
        assert!(
            artifact.files.iter().any(|f| f == file),
            "{file} in {:?}",
            artifact.files
        );
    }
    assert!(!artifact.files.iter().any(|f| f == ".PKGINFO"));
    assert!(report.finished > report.started);
    assert!(!report.log_truncated);
    assert_gone(&executor, &report.container_id).await;
}

#[tokio::test]
async fn app_builds_against_installed_libfoo_artifact() {
    let Some((executor, image)) = setup("app_builds").await else {
        return;
    };
    let libfoo = build_libfoo(&executor, &image).await.artifacts.remove(0);
    let mut app = job("app", &image, sample("app"));
    app.install.push(JobFile {
        path: libfoo.name.clone(),
        mode: 0o644,
        data: libfoo.data,
    });
    let (report, _) = run(&executor, app).await;
    let log = log_text(&report);
    assert_eq!(report.outcome, Outcome::Succeeded, "{log}");
    assert!(log.contains("installing 1 dependency package"), "{log}");
    assert!(log.contains("Starting check()"), "{log}");
    assert!(report.artifacts[0].files.iter().any(|f| f == "usr/bin/app"));
}

#[tokio::test]
async fn app_without_its_dependency_fails_to_link() {
    let Some((executor, image)) = setup("app_without_dependency").await else {
        return;
    };
    let (report, _) = run(&executor, job("app-nodep", &image, sample("app"))).await;
    let log = log_text(&report);
    assert!(matches!(report.outcome, Outcome::Failed { .. }), "{log}");
    assert!(log.contains("foo.h") || log.contains("-lfoo"), "{log}");
    assert!(report.artifacts.is_empty());
}

#[tokio::test]
async fn failing_build_reports_exit_code_and_error_line() {
    let Some((executor, image)) = setup("failing_build").await else {
        return;
    };
    let (report, lines) = run(&executor, job("fails", &image, fixture("fails"))).await;
    let Outcome::Failed { exit_code } = report.outcome else {
        panic!(
            "expected failure, got {:?}\n{}",
            report.outcome,
            log_text(&report)
        );
    };
    assert_ne!(exit_code, 0);
    assert!(log_text(&report).contains("kiln-test: error: the compiler exploded"));
    assert!(lines
        .iter()
        .any(|l| l == "kiln-test: error: the compiler exploded"));
    assert!(report.artifacts.is_empty());
    assert_gone(&executor, &report.container_id).await;
}

#[tokio::test]
async fn build_past_its_wall_clock_is_stopped_and_removed() {
    let Some((executor, image)) = setup("wall_clock").await else {
        return;
    };
    let mut job = job("sleeps", &image, fixture("sleeps"));
    job.limits.wall_clock = Duration::from_secs(8);
    job.limits.stop_grace = Duration::from_secs(1);
    let started = Instant::now();
    let (report, _) = run(&executor, job).await;
    let log = log_text(&report);
    assert_eq!(report.outcome, Outcome::TimedOut, "{log}");
    assert!(
        started.elapsed() < Duration::from_secs(40),
        "{:?}",
        started.elapsed()
    );
    assert!(log.contains("kiln-test: going to sleep"), "{log}");
    assert!(log.contains("wall-clock limit of 8s reached"), "{log}");
    assert_gone(&executor, &report.container_id).await;
}

#[tokio::test]
async fn silent_build_is_stopped() {
    let Some((executor, image)) = setup("silence").await else {
        return;
    };
    let mut job = job("silent", &image, fixture("sleeps"));
    job.limits.silence = Duration::from_secs(4);
    job.limits.stop_grace = Duration::from_secs(1);
    let (report, _) = run(&executor, job).await;
    assert_eq!(report.outcome, Outcome::Silent, "{}", log_text(&report));
    assert_gone(&executor, &report.container_id).await;
}

#[tokio::test]
async fn network_is_off_inside_the_build() {
    let Some((executor, image)) = setup("network").await else {
        return;
    };
    let (report, _) = run(&executor, job("network", &image, fixture("network"))).await;
    let log = log_text(&report);
    assert_eq!(report.outcome, Outcome::Succeeded, "{log}");
    assert!(log.contains("kiln-test: network is off"), "{log}");
    assert!(log.contains("kiln-test: interfaces: lo \n"), "{log}");
}

#[tokio::test]
async fn log_cap_keeps_head_and_tail() {
    let Some((executor, image)) = setup("log_cap").await else {
        return;
    };
    let mut job = job("noisy", &image, fixture("noisy"));
    job.limits.log_cap_bytes = 8192;
    let (report, lines) = run(&executor, job).await;
    let log = log_text(&report);
    assert_eq!(report.outcome, Outcome::Succeeded, "{log}");
    assert!(report.log_truncated);
    assert!(report.log.len() < 8192 + 100, "{}", report.log.len());
    assert!(
        log.contains("==> kiln: running makepkg as builder"),
        "{log}"
    );
    assert!(log.contains("bytes of log omitted]"), "{log}");
    assert!(log.contains("kiln-noise 20000\n"), "{log}");
    assert!(log.contains("Finished making: kiln-noisy"), "{log}");
    assert!(!log.contains("kiln-noise 10000\n"), "{log}");
    // The live stream is not capped.
    assert!(lines.iter().any(|l| l == "kiln-noise 10000"));
}

#[tokio::test]
async fn detached_build_is_listed_and_collected_by_reattach() {
    let Some((executor, image)) = setup("reattach").await else {
        return;
    };
    let job = job("slow", &image, fixture("slow"));
    let container_id = executor.start(&job).await.unwrap();
    let builds = executor.running_builds().await.unwrap();
    assert!(
        builds.contains(&(job.build_id.clone(), container_id.clone())),
        "{builds:?}"
    );

    // A coordinator that restarted: a new executor, re-attaching by build id.
    let restarted = DockerExecutor::connect_local().await.unwrap();
    let (tx, mut rx) = mpsc::channel(64);
    let report = restarted.reattach(&job.build_id, tx).await.unwrap();
    let mut lines = Vec::new();
    while let Some(line) = rx.recv().await {
        lines.push(line);
    }
    assert_eq!(report.outcome, Outcome::Succeeded, "{}", log_text(&report));
    assert!(lines.iter().any(|l| l == "kiln-test: tick 1"), "{lines:?}");
    assert_eq!(report.artifacts.len(), 1);
    assert!(report.artifacts[0]
        .files
        .iter()
        .any(|f| f == "usr/share/kiln-slow/done"));
    assert_gone(&executor, &container_id).await;
    let err = restarted
        .reattach(&job.build_id, mpsc::channel(1).0)
        .await
        .unwrap_err();
    assert!(matches!(err, ExecutorError::NoSuchBuild(_)), "{err}");
}

#[tokio::test]
async fn job_file_escaping_the_build_dir_is_refused() {
    let Some((executor, image)) = setup("invalid_job").await else {
        return;
    };
    let mut job = job("escape", &image, sample("libfoo"));
    job.files.push(JobFile {
        path: "../etc/evil".into(),
        mode: 0o644,
        data: Vec::new(),
    });
    let err = executor.run(job, mpsc::channel(1).0).await.unwrap_err();
    assert!(matches!(err, ExecutorError::InvalidJob { .. }), "{err}");
}

#[tokio::test]
async fn missing_image_is_reported_as_such() {
    let Some((executor, _)) = setup("missing_image").await else {
        return;
    };
    let job = job("no-image", "kiln-build:does-not-exist", sample("libfoo"));
    let err = executor.run(job, mpsc::channel(1).0).await.unwrap_err();
    assert!(matches!(err, ExecutorError::ImageMissing { .. }), "{err}");
}

#[tokio::test]
async fn build_runs_unprivileged_under_its_limits() {
    let Some((executor, image)) = setup("limits").await else {
        return;
    };
    let mut job = job("environment", &image, fixture("environment"));
    job.limits.memory_bytes = 768 << 20;
    job.limits.pids = 321;
    job.limits.nano_cpus = 1_500_000_000;
    let (report, _) = run(&executor, job).await;
    let log = log_text(&report);
    assert_eq!(report.outcome, Outcome::Succeeded, "{log}");
    assert!(
        log.contains("kiln-test: uid 1000 gid 1000 user builder home /home/builder"),
        "{log}"
    );
    assert!(log.contains("kiln-test: pids.max 321\n"), "{log}");
    assert!(
        log.contains(&format!("kiln-test: memory {}\n", 768u64 << 20)),
        "{log}"
    );
    // 1.5 CPUs: a quota of 1.5 periods, in either cgroup version's format.
    assert!(
        log.contains("kiln-test: cpu 150000 100000\n")
            || log.contains("kiln-test: cpu 1500000 1000000\n"),
        "{log}"
    );
    assert!(log.contains("kiln-test: build dir owner builder"), "{log}");
}

#[tokio::test]
async fn dropped_build_still_removes_its_container() {
    let Some((executor, image)) = setup("dropped").await else {
        return;
    };
    let job = job("dropped", &image, fixture("sleeps"));
    let build_id = job.build_id.clone();
    let run = executor.run(job, mpsc::channel(64).0);
    let cut = tokio::time::timeout(Duration::from_secs(3), run).await;
    assert!(cut.is_err(), "the sleeping build cannot finish in 3s");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let builds = executor.running_builds().await.unwrap();
        if !builds.iter().any(|(b, _)| *b == build_id) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "container of {build_id} left behind"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn artifacts_over_the_cap_are_rejected() {
    let Some((executor, image)) = setup("artifact_cap").await else {
        return;
    };
    let mut job = job("libfoo-capped", &image, sample("libfoo"));
    job.limits.artifact_cap_bytes = 100;
    let err = executor.run(job, mpsc::channel(64).0).await.unwrap_err();
    assert!(
        matches!(&err, ExecutorError::ArtifactRejected { reason, .. } if reason.contains("cap")),
        "{err}"
    );
}

#[tokio::test]
async fn finished_detached_build_is_collected_by_reattach() {
    let Some((executor, image)) = setup("reattach_finished").await else {
        return;
    };
    let job = job("fails-detached", &image, fixture("fails"));
    let container_id = executor.start(&job).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let inspect = executor
            .docker()
            .inspect_container(
                &container_id,
                None::<bollard::query_parameters::InspectContainerOptions>,
            )
            .await
            .unwrap();
        if inspect.state.and_then(|s| s.running) == Some(false) {
            break;
        }
        assert!(Instant::now() < deadline, "detached build did not finish");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let report = executor
        .reattach(&job.build_id, mpsc::channel(256).0)
        .await
        .unwrap();
    let log = log_text(&report);
    assert!(
        matches!(report.outcome, Outcome::Failed { exit_code } if exit_code != 0),
        "{log}"
    );
    assert!(
        log.contains("kiln-test: error: the compiler exploded"),
        "{log}"
    );
    assert_gone(&executor, &container_id).await;
}

#[tokio::test]
async fn log_lines_arrive_while_the_build_runs() {
    let Some((executor, image)) = setup("live_log").await else {
        return;
    };
    let job = job("live", &image, fixture("slow"));
    let (tx, mut rx) = mpsc::channel(64);
    // Also proves the executor's future can run on another task (Send).
    let build = tokio::spawn(async move { executor.run(job, tx).await });
    loop {
        let line = rx.recv().await.expect("log ended before the first tick");
        if line == "kiln-test: tick 1" {
            break;
        }
    }
    assert!(
        !build.is_finished(),
        "the first tick came only after the build"
    );
    while rx.recv().await.is_some() {}
    let report = build.await.unwrap().unwrap();
    assert_eq!(report.outcome, Outcome::Succeeded, "{}", log_text(&report));
}
