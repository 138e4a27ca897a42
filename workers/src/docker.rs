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
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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
use crate::logcap::LogCapture;

/// Label holding the build id; every Kiln build container has it.
pub const LABEL_BUILD: &str = "kiln.build";
/// Label holding the recipe name.
pub const LABEL_RECIPE: &str = "kiln.recipe";
const LABEL_CREATED: &str = "kiln.created";
const LABEL_WALL: &str = "kiln.limit.wall-clock-secs";
const LABEL_SILENCE: &str = "kiln.limit.silence-secs";
const LABEL_GRACE: &str = "kiln.limit.stop-grace-secs";
const LABEL_LOG_CAP: &str = "kiln.limit.log-bytes";
const LABEL_ARTIFACT_CAP: &str = "kiln.limit.artifact-bytes";

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
        let now = SystemTime::now();
        let mut labels: HashMap<String, String> = job
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        labels.insert(LABEL_BUILD.into(), job.build_id.clone());
        labels.insert(LABEL_RECIPE.into(), job.recipe.clone());
        labels.insert(LABEL_CREATED.into(), unix_secs(now).to_string());
        labels.insert(LABEL_WALL.into(), limits.wall_clock.as_secs().to_string());
        labels.insert(LABEL_SILENCE.into(), limits.silence.as_secs().to_string());
        labels.insert(LABEL_GRACE.into(), limits.stop_grace.as_secs().to_string());
        labels.insert(LABEL_LOG_CAP.into(), limits.log_cap_bytes.to_string());
        labels.insert(
            LABEL_ARTIFACT_CAP.into(),
            limits.artifact_cap_bytes.to_string(),
        );
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
            let _ = log.send(line).await;
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
        let wall = tokio::time::sleep(left);
        let silence = tokio::time::sleep(limits.silence);
        tokio::pin!(wall, silence);
        let reason = loop {
            tokio::select! {
                item = stream.next() => match item {
                    Some(Ok(output)) => {
                        silence.as_mut().reset(Instant::now() + limits.silence);
                        for line in capture.push(&output.into_bytes()) {
                            let _ = log.send(line).await;
                        }
                    }
                    Some(Err(e)) => {
                        return Err(container_error("following log", build_id, container_id, e))
                    }
                    None => return Ok(None),
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
        let drain = tokio::time::timeout(Duration::from_secs(5), async {
            while let Some(Ok(output)) = stream.next().await {
                for line in capture.push(&output.into_bytes()) {
                    let _ = log.send(line).await;
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

/// Adds a line of Kiln's own to the log and the live stream.
async fn note(capture: &mut LogCapture, log: &mpsc::Sender<String>, message: &str) {
    for line in capture.push(format!("\n{message}\n").as_bytes()) {
        if !line.is_empty() {
            let _ = log.send(line).await;
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

fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Limits and creation time recorded in a container's labels; missing or
/// unreadable labels fall back to the defaults.
fn limits_from_labels(labels: &HashMap<String, String>) -> (Limits, SystemTime) {
    let num = |key: &str| labels.get(key).and_then(|v| v.parse::<u64>().ok());
    let mut limits = Limits::default();
    if let Some(v) = num(LABEL_WALL) {
        limits.wall_clock = Duration::from_secs(v);
    }
    if let Some(v) = num(LABEL_SILENCE) {
        limits.silence = Duration::from_secs(v);
    }
    if let Some(v) = num(LABEL_GRACE) {
        limits.stop_grace = Duration::from_secs(v);
    }
    if let Some(v) = num(LABEL_LOG_CAP) {
        limits.log_cap_bytes = usize::try_from(v).unwrap_or(usize::MAX);
    }
    if let Some(v) = num(LABEL_ARTIFACT_CAP) {
        limits.artifact_cap_bytes = v;
    }
    let created =
        num(LABEL_CREATED).map_or_else(SystemTime::now, |s| UNIX_EPOCH + Duration::from_secs(s));
    (limits, created)
}

/// Parses the engine's timestamps (`2026-11-29T05:51:29.123456789Z`).
fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let (date, time) = text.split_once('T')?;
    let mut d = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let time = time.strip_suffix('Z')?;
    let (hms, frac) = time.split_once('.').unwrap_or((time, "0"));
    let mut t = hms.splitn(3, ':').map(|p| p.parse::<i64>().ok());
    let (hh, mm, ss) = (t.next()??, t.next()??, t.next()??);
    // Days from civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hh * 3600 + mm * 60 + ss;
    let nanos: u32 = format!("{frac:0<9}")[..9].parse().ok()?;
    let secs = u64::try_from(secs).ok()?;
    Some(UNIX_EPOCH + Duration::new(secs, nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_timestamps_parse() {
        let t = parse_rfc3339("2026-11-29T05:51:29.5Z").unwrap();
        let d = t.duration_since(UNIX_EPOCH).unwrap();
        assert_eq!(d.as_secs(), 1_795_931_489);
        assert_eq!(d.subsec_millis(), 500);
        assert_eq!(parse_rfc3339("0001-01-01T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(UNIX_EPOCH));
        assert_eq!(parse_rfc3339("garbage"), None);
    }

    #[test]
    fn limits_round_trip_through_labels() {
        let labels = HashMap::from([
            (LABEL_WALL.to_string(), "60".to_string()),
            (LABEL_SILENCE.to_string(), "7".to_string()),
            (LABEL_LOG_CAP.to_string(), "100".to_string()),
            (LABEL_CREATED.to_string(), "1000".to_string()),
        ]);
        let (limits, created) = limits_from_labels(&labels);
        assert_eq!(limits.wall_clock, Duration::from_secs(60));
        assert_eq!(limits.silence, Duration::from_secs(7));
        assert_eq!(limits.log_cap_bytes, 100);
        assert_eq!(limits.pids, Limits::default().pids);
        assert_eq!(created, UNIX_EPOCH + Duration::from_secs(1000));
    }
}
