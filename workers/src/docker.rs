//! [`DockerExecutor`]: each build in a fresh container through the Docker
//! Engine API, with the network off, resource limits, a wall-clock and a
//! log-silence limit, and removal of the container in every case.
//!
//! The container runs `entry.sh` as root, which installs the dependency
//! packages and then runs makepkg as the unprivileged `builder`. Everything
//! a later coordinator needs to re-attach (build id, limits, deadline) is in
//! the container's labels, so [`DockerExecutor::reattach`] can finish a
//! build whose coordinator restarted.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use bollard::errors::Error as EngineError;
use bollard::models::{
    ContainerCreateBody, ContainerInspectResponse, HostConfig, HostConfigLogConfig,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, DownloadFromContainerOptionsBuilder, InspectContainerOptions,
    KillContainerOptionsBuilder, ListContainersOptionsBuilder, LogsOptionsBuilder,
    RemoveContainerOptionsBuilder, StartContainerOptions, StopContainerOptionsBuilder,
    UploadToContainerOptionsBuilder, WaitContainerOptions,
};
use bollard::{body_full, Docker};
use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::{info, warn};

use crate::archive::{read_artifacts, upload_tar, OUT_DIR};
use crate::executor::{BuildJob, BuildReport, Executor, ExecutorError, Limits, Outcome};
use crate::labels::{container_labels, limits_from_labels, parse_rfc3339, LABEL_BUILD};
use crate::logcap::LogCapture;

/// Runs builds in containers of one Docker engine.
#[derive(Debug, Clone)]
pub struct DockerExecutor {
    docker: Docker,
}

/// Why the executor stopped a container before it exited by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StopReason {
    WallClock,
    Silence,
}

impl DockerExecutor {
    /// An executor over an engine connection (already version-negotiated).
    pub fn new(docker: Docker) -> Self {
        DockerExecutor { docker }
    }

    /// Connects to the local engine (`DOCKER_HOST` or the default socket)
    /// and negotiates the API version.
    pub async fn connect_local() -> Result<Self, ExecutorError> {
        let docker = crate::connect_local()
            .await
            .map_err(ExecutorError::EngineUnreachable)?;
        Ok(DockerExecutor { docker })
    }

    /// The engine connection.
    pub fn docker(&self) -> &Docker {
        &self.docker
    }

    /// Kiln build containers on this engine, running or not, as
    /// `(build id, container id)` pairs.
    pub async fn running_builds(&self) -> Result<Vec<(String, String)>, ExecutorError> {
        let filters = HashMap::from([("label", vec![LABEL_BUILD])]);
        let options = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&filters)
            .build();
        let containers = self
            .docker
            .list_containers(Some(options))
            .await
            .map_err(|e| engine_error("listing build containers", "*", e))?;
        let mut builds: Vec<_> = containers
            .into_iter()
            .filter_map(|c| {
                let build = c.labels?.get(LABEL_BUILD)?.clone();
                Some((build, c.id?))
            })
            .collect();
        builds.sort();
        Ok(builds)
    }

    /// Finishes the build `build_id` whose container outlived its
    /// coordinator: follows it to the end under the limits recorded in its
    /// labels (the deadline counts from its creation), collects the report
    /// and removes the container. The log is replayed from the start.
    pub async fn reattach(
        &self,
        build_id: &str,
        log: mpsc::Sender<String>,
    ) -> Result<BuildReport, ExecutorError> {
        let container_id = self
            .running_builds()
            .await?
            .into_iter()
            .find(|(b, _)| b == build_id)
            .map(|(_, c)| c)
            .ok_or_else(|| ExecutorError::NoSuchBuild(build_id.to_string()))?;
        let cleanup = Cleanup::new(&self.docker, &container_id);
        let inspect = self.inspect(build_id, &container_id).await?;
        let state = inspect.state.clone().unwrap_or_default();
        let labels = inspect.config.and_then(|c| c.labels).unwrap_or_default();
        let (limits, created) = limits_from_labels(&labels);
        let started = state
            .started_at
            .as_deref()
            .and_then(parse_rfc3339)
            .unwrap_or(created);
        if state.status == Some(bollard::models::ContainerStateStatusEnum::CREATED) {
            cleanup.remove().await;
            return Err(ExecutorError::NeverStarted(build_id.to_string()));
        }
        info!(build_id, container_id, "re-attaching to build container");
        let deadline = created + limits.wall_clock;
        let result = self
            .follow_and_collect(build_id, &container_id, &limits, deadline, started, log)
            .await;
        cleanup.remove().await;
        result
    }

    /// Creates, fills and starts the container of `job` without following
    /// it, and returns its id: the build then runs detached, and
    /// [`DockerExecutor::reattach`] collects it. (`run` is `start` followed
    /// by the same collection.) The container is removed if it cannot be
    /// started.
    pub async fn start(&self, job: &BuildJob) -> Result<String, ExecutorError> {
        Ok(self.start_container(job).await?.0)
    }

    async fn start_container(&self, job: &BuildJob) -> Result<(String, SystemTime), ExecutorError> {
        let build_id = job.build_id.as_str();
        let upload = upload_tar(job).map_err(|reason| ExecutorError::InvalidJob {
            build_id: build_id.to_string(),
            reason,
        })?;
        let container_id = self.create(job).await?;
        let cleanup = Cleanup::new(&self.docker, &container_id);
        info!(build_id, recipe = %job.recipe, container_id, image = %job.image, "build container created");
        let options = UploadToContainerOptionsBuilder::default().path("/").build();
        self.docker
            .upload_to_container(&container_id, Some(options), body_full(upload.into()))
            .await
            .map_err(|e| container_error("uploading build files", build_id, &container_id, e))?;
        let started = SystemTime::now();
        self.docker
            .start_container(&container_id, None::<StartContainerOptions>)
            .await
            .map_err(|e| container_error("starting container", build_id, &container_id, e))?;
        cleanup.disarm();
        Ok((container_id, started))
    }

    async fn inspect(
        &self,
        build_id: &str,
        container_id: &str,
    ) -> Result<ContainerInspectResponse, ExecutorError> {
        self.docker
            .inspect_container(container_id, None::<InspectContainerOptions>)
            .await
            .map_err(|e| container_error("inspecting container", build_id, container_id, e))
    }

    async fn create(&self, job: &BuildJob) -> Result<String, ExecutorError> {
        let limits = &job.limits;
        let labels = container_labels(job, SystemTime::now());
        let body = ContainerCreateBody {
            image: Some(job.image.clone()),
            cmd: Some(vec!["/bin/bash".into(), "/kiln/entry.sh".into()]),
            user: Some("0:0".into()),
            working_dir: Some("/build".into()),
            env: Some(vec!["LANG=C.UTF-8".into()]),
            network_disabled: Some(true),
            labels: Some(labels),
            host_config: Some(HostConfig {
                network_mode: Some("none".into()),
                memory: Some(limits.memory_bytes),
                memory_swap: Some(limits.memory_bytes),
                nano_cpus: Some(limits.nano_cpus),
                pids_limit: Some(limits.pids),
                security_opt: Some(vec!["no-new-privileges".into()]),
                // A real init as PID 1: forwards the stop signal, reaps zombies.
                init: Some(true),
                // The engine's own copy of the log is bounded too.
                log_config: Some(HostConfigLogConfig {
                    typ: Some("json-file".into()),
                    config: Some(HashMap::from([
                        ("max-size".to_string(), "100m".to_string()),
                        ("max-file".to_string(), "3".to_string()),
                    ])),
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let created = self
            .docker
            .create_container(Some(CreateContainerOptionsBuilder::default().build()), body)
            .await
            .map_err(|e| match e {
                EngineError::DockerResponseServerError {
                    status_code: 404, ..
                } => ExecutorError::ImageMissing {
                    build_id: job.build_id.clone(),
                    image: job.image.clone(),
                },
                e => engine_error("creating container", &job.build_id, e),
            })?;
        Ok(created.id)
    }

    /// Follows the log until the container exits or a limit stops it, then
    /// collects exit status and artifacts.
    async fn follow_and_collect(
        &self,
        build_id: &str,
        container_id: &str,
        limits: &Limits,
        deadline: SystemTime,
        started: SystemTime,
        log: mpsc::Sender<String>,
    ) -> Result<BuildReport, ExecutorError> {
        let mut capture = LogCapture::new(limits.log_cap_bytes);
        let stopped = self
            .follow(build_id, container_id, limits, deadline, &mut capture, &log)
            .await?;
        self.wait(build_id, container_id).await?;
        let inspect = self.inspect(build_id, container_id).await?;
        let finished = SystemTime::now();
        let state = inspect.state.unwrap_or_default();
        let exit_code = state.exit_code.unwrap_or(-1);
        let outcome = match stopped {
            Some(StopReason::WallClock) => Outcome::TimedOut,
            Some(StopReason::Silence) => Outcome::Silent,
            None if exit_code == 0 => Outcome::Succeeded,
            None => Outcome::Failed { exit_code },
        };
        if state.oom_killed == Some(true) {
            note(
                &mut capture,
                &log,
                "[kiln: the build was killed for running out of memory]",
            )
            .await;
        }
        let artifacts = if outcome == Outcome::Succeeded {
            self.download_artifacts(build_id, container_id, limits.artifact_cap_bytes)
                .await?
        } else {
            Vec::new()
        };
        let (last, log_bytes, log_truncated) = capture.finish();
        if let Some(line) = last {
            deliver(&log, line, Instant::now() + NOTE_PATIENCE).await;
        }
        info!(
            build_id,
            container_id,
            ?outcome,
            artifacts = artifacts.len(),
            "build finished"
        );
        Ok(BuildReport {
            outcome,
            container_id: container_id.to_string(),
            started,
            finished,
            log: log_bytes,
            log_truncated,
            artifacts,
        })
    }

    async fn follow(
        &self,
        build_id: &str,
        container_id: &str,
        limits: &Limits,
        deadline: SystemTime,
        capture: &mut LogCapture,
        log: &mpsc::Sender<String>,
    ) -> Result<Option<StopReason>, ExecutorError> {
        let options = LogsOptionsBuilder::default()
            .follow(true)
            .stdout(true)
            .stderr(true)
            .build();
        let mut stream = self.docker.logs(container_id, Some(options));
        let left = deadline
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO);
        let wall_at = Instant::now() + left;
        let wall = tokio::time::sleep_until(wall_at);
        let silence = tokio::time::sleep(limits.silence);
        tokio::pin!(wall, silence);
        let reason = loop {
            tokio::select! {
                item = stream.next() => match item {
                    Some(Ok(output)) => {
                        // A stuck reader may slow the build's log down but
                        // cannot keep it past its wall clock.
                        for line in capture.push(&output.into_bytes()) {
                            deliver(log, line, wall_at).await;
                        }
                        silence.as_mut().reset(Instant::now() + limits.silence);
                    }
                    Some(Err(e)) => {
                        return Err(container_error("following log", build_id, container_id, e))
                    }
                    None => {
                        // The log ends when the container exits, or when the
                        // engine stops streaming: the wall clock still holds.
                        let exit = self.wait(build_id, container_id);
                        match tokio::time::timeout_at(wall_at, exit).await {
                            Ok(waited) => return waited.map(|()| None),
                            Err(_) => break StopReason::WallClock,
                        }
                    }
                },
                _ = &mut wall => break StopReason::WallClock,
                _ = &mut silence => break StopReason::Silence,
            }
        };
        let message = match reason {
            StopReason::WallClock => format!(
                "[kiln: wall-clock limit of {}s reached; stopping the build]",
                limits.wall_clock.as_secs()
            ),
            StopReason::Silence => format!(
                "[kiln: no output for {}s; stopping the build]",
                limits.silence.as_secs()
            ),
        };
        warn!(build_id, container_id, ?reason, "stopping build");
        note(capture, log, &message).await;
        self.stop(build_id, container_id, limits.stop_grace).await?;
        // Keep what the build wrote while it was being stopped.
        let drain_until = Instant::now() + NOTE_PATIENCE;
        let drain = tokio::time::timeout_at(drain_until, async {
            while let Some(Ok(output)) = stream.next().await {
                for line in capture.push(&output.into_bytes()) {
                    deliver(log, line, drain_until).await;
                }
            }
        });
        let _ = drain.await;
        Ok(Some(reason))
    }

    /// Stops the container (SIGTERM), and kills it if it outlives the grace.
    async fn stop(
        &self,
        build_id: &str,
        container_id: &str,
        grace: Duration,
    ) -> Result<(), ExecutorError> {
        let secs = i32::try_from(grace.as_secs()).unwrap_or(i32::MAX);
        let options = StopContainerOptionsBuilder::default().t(secs).build();
        let stop = tokio::time::timeout(
            grace + Duration::from_secs(10),
            self.docker.stop_container(container_id, Some(options)),
        )
        .await;
        match stop {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(e)) if is_status(&e, 304) => return Ok(()),
            Ok(Err(e)) => warn!(build_id, container_id, error = %e, "stop failed; killing"),
            Err(_) => warn!(build_id, container_id, "stop timed out; killing"),
        }
        let options = KillContainerOptionsBuilder::default()
            .signal("SIGKILL")
            .build();
        match self
            .docker
            .kill_container(container_id, Some(options))
            .await
        {
            Ok(()) => Ok(()),
            Err(e) if is_status(&e, 409) => Ok(()), // not running any more
            Err(e) => Err(container_error(
                "killing container",
                build_id,
                container_id,
                e,
            )),
        }
    }

    async fn wait(&self, build_id: &str, container_id: &str) -> Result<(), ExecutorError> {
        let mut wait = self
            .docker
            .wait_container(container_id, None::<WaitContainerOptions>);
        match wait.next().await {
            None | Some(Ok(_)) => Ok(()),
            Some(Err(EngineError::DockerContainerWaitError { .. })) => Ok(()),
            Some(Err(e)) => Err(container_error(
                "waiting for container",
                build_id,
                container_id,
                e,
            )),
        }
    }

    async fn download_artifacts(
        &self,
        build_id: &str,
        container_id: &str,
        cap: u64,
    ) -> Result<Vec<crate::executor::Artifact>, ExecutorError> {
        let options = DownloadFromContainerOptionsBuilder::default()
            .path(OUT_DIR)
            .build();
        let mut stream = self
            .docker
            .download_from_container(container_id, Some(options));
        let mut tar = Vec::new();
        // Tar headers and padding come on top of the packages themselves.
        let limit = cap.saturating_add(1 << 20);
        while let Some(chunk) = stream.next().await {
            let chunk = chunk
                .map_err(|e| container_error("downloading artifacts", build_id, container_id, e))?;
            tar.extend_from_slice(&chunk);
            if tar.len() as u64 > limit {
                return Err(ExecutorError::ArtifactRejected {
                    build_id: build_id.to_string(),
                    reason: format!("artifacts exceed the cap of {cap} bytes"),
                });
            }
        }
        let artifacts = tokio::task::spawn_blocking(move || read_artifacts(&tar, cap))
            .await
            .map_err(|e| ExecutorError::ArtifactRejected {
                build_id: build_id.to_string(),
                reason: format!("reading artifacts: {e}"),
            })?;
        artifacts.map_err(|reason| ExecutorError::ArtifactRejected {
            build_id: build_id.to_string(),
            reason,
        })
    }
}

impl Executor for DockerExecutor {
    async fn run(
        &self,
        job: BuildJob,
        log: mpsc::Sender<String>,
    ) -> Result<BuildReport, ExecutorError> {
        let (container_id, started) = self.start_container(&job).await?;
        let cleanup = Cleanup::new(&self.docker, &container_id);
        let deadline = started + job.limits.wall_clock;
        let result = self
            .follow_and_collect(
                &job.build_id,
                &container_id,
                &job.limits,
                deadline,
                started,
                log,
            )
            .await;
        cleanup.remove().await;
        result
    }
}

/// Removes a container when the build is done with it — also when the
/// future running the build is dropped half-way.
struct Cleanup {
    docker: Docker,
    container_id: String,
    armed: bool,
}

impl Cleanup {
    fn new(docker: &Docker, container_id: &str) -> Self {
        Cleanup {
            docker: docker.clone(),
            container_id: container_id.to_string(),
            armed: true,
        }
    }

    fn disarm(mut self) {
        self.armed = false;
    }

    async fn remove(mut self) {
        self.armed = false;
        remove_container(&self.docker, &self.container_id).await;
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let docker = self.docker.clone();
            let id = std::mem::take(&mut self.container_id);
            runtime.spawn(async move { remove_container(&docker, &id).await });
        }
    }
}

async fn remove_container(docker: &Docker, container_id: &str) {
    let options = RemoveContainerOptionsBuilder::default()
        .force(true)
        .v(true)
        .build();
    match docker.remove_container(container_id, Some(options)).await {
        Ok(()) => {}
        Err(e) if is_status(&e, 404) => {}
        Err(e) => warn!(container_id, error = %e, "removing build container failed"),
    }
}

/// How long a line of Kiln's own waits for a slow log reader.
const NOTE_PATIENCE: Duration = Duration::from_secs(5);

/// Sends a line to the live log, giving up at `until`; the live log is for
/// watching, the report's log is the record, so a closed or stuck reader
/// never fails the build.
async fn deliver(log: &mpsc::Sender<String>, line: String, until: Instant) {
    let _ = tokio::time::timeout_at(until, log.send(line)).await;
}

/// Adds a line of Kiln's own to the log and the live stream.
async fn note(capture: &mut LogCapture, log: &mpsc::Sender<String>, message: &str) {
    for line in capture.push(format!("\n{message}\n").as_bytes()) {
        if !line.is_empty() {
            deliver(log, line, Instant::now() + NOTE_PATIENCE).await;
        }
    }
}

fn is_status(e: &EngineError, status: u16) -> bool {
    matches!(e, EngineError::DockerResponseServerError { status_code, .. } if *status_code == status)
}

/// An engine error outside any container: the engine answered, or not.
fn engine_error(action: &'static str, build_id: &str, e: EngineError) -> ExecutorError {
    match e {
        EngineError::DockerResponseServerError { .. } | EngineError::DockerStreamError { .. } => {
            ExecutorError::Engine {
                action,
                build_id: build_id.to_string(),
                source: e,
            }
        }
        _ => ExecutorError::EngineUnreachable(e),
    }
}

/// An engine error about a container: a 404 means it vanished.
fn container_error(
    action: &'static str,
    build_id: &str,
    container_id: &str,
    e: EngineError,
) -> ExecutorError {
    if is_status(&e, 404) {
        ExecutorError::ContainerVanished {
            build_id: build_id.to_string(),
            container_id: container_id.to_string(),
        }
    } else {
        engine_error(action, build_id, e)
    }
}
