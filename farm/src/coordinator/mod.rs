//! The coordinator: leases queued builds from the store and runs them on
//! the configured Docker engines, each with its slots; streams their logs
//! to files and to subscribers; stores artifacts and results; gives builds
//! back with backoff on infrastructure failures; and after a restart
//! re-attaches to the build containers it left running.
//!
//! This is the farm's one async part. The store is synchronous: it is
//! shared behind a mutex and used on blocking threads.

mod prepare;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kiln_workers::{BuildJob, BuildReport, DockerExecutor, ExecutorError, Limits, Outcome};
use tokio::sync::{broadcast, mpsc};
use tracing::{info, warn};

pub use prepare::{prepare, recipe_files, Dirs, PrepareError, Prepared};

use crate::config::{Config, EndpointConfig};
use crate::store::{ArtifactRecord, Build, BuildEnd, Lease, Store, StoreError};

/// A line of a build's log, as subscribers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// The build.
    pub build: i64,
    /// The line, without its newline.
    pub line: String,
}

/// A state change, as subscribers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A line of a running build's log.
    Log(LogLine),
    /// A build changed state (started, finished, was given back).
    Build(i64),
}

/// One engine and its slots.
pub struct Endpoint {
    /// Its configuration.
    pub config: EndpointConfig,
    /// Its executor.
    pub executor: DockerExecutor,
    running: AtomicUsize,
}

/// Why the coordinator could not start.
#[derive(Debug, thiserror::Error)]
pub enum CoordinatorError {
    /// An engine could not be reached or configured.
    #[error("endpoint {endpoint}: {message}")]
    Endpoint {
        /// The endpoint's name.
        endpoint: String,
        /// Why.
        message: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A task could not be joined.
    #[error("a coordinator task failed: {0}")]
    Task(String),
}

/// Connects to an endpoint (unix socket, tcp, or tls) and negotiates the
/// API version.
pub async fn connect(config: &EndpointConfig) -> Result<Endpoint, CoordinatorError> {
    use kiln_workers::Docker;
    let err = |message: String| CoordinatorError::Endpoint {
        endpoint: config.name.clone(),
        message,
    };
    const TIMEOUT: u64 = 120;
    let url = config.url.as_str();
    let docker = if let Some(path) = url.strip_prefix("unix://") {
        Docker::connect_with_unix(path, TIMEOUT, bollard_version())
    } else if let Some(tls) = &config.tls {
        Docker::connect_with_ssl(
            url,
            &tls.key,
            &tls.cert,
            &tls.ca,
            TIMEOUT,
            bollard_version(),
        )
    } else {
        Docker::connect_with_http(url, TIMEOUT, bollard_version())
    }
    .map_err(|e| err(e.to_string()))?;
    let docker = docker
        .negotiate_version()
        .await
        .map_err(|e| err(format!("engine unreachable: {e}")))?;
    Ok(Endpoint {
        config: config.clone(),
        executor: DockerExecutor::new(docker),
        running: AtomicUsize::new(0),
    })
}

fn bollard_version() -> &'static kiln_workers::ClientVersion {
    kiln_workers::API_DEFAULT_VERSION
}

/// Runs builds from the queue.
pub struct Coordinator {
    store: Arc<Mutex<Store>>,
    config: Config,
    dirs: Dirs,
    image: String,
    endpoints: Vec<Arc<Endpoint>>,
    owner: String,
    /// Names this farm's containers apart from other farms' on the same
    /// engine (a hash of the store's path).
    farm: String,
    events: broadcast::Sender<Event>,
    stopping: AtomicBool,
}

/// Runs `f` on the store on a blocking thread.
async fn with_store<T: Send + 'static>(
    store: &Arc<Mutex<Store>>,
    f: impl FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    let store = Arc::clone(store);
    tokio::task::spawn_blocking(move || {
        let mut guard = store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut guard)
    })
    .await
    .unwrap_or_else(|e| {
        Err(StoreError::Corrupt {
            doing: "running a store task".into(),
            what: "task failure",
            value: e.to_string(),
        })
    })
}

impl Coordinator {
    /// A coordinator over `store` with `endpoints` already connected and
    /// the build image `image`.
    pub fn new(
        store: Arc<Mutex<Store>>,
        config: Config,
        dirs: Dirs,
        image: String,
        endpoints: Vec<Endpoint>,
    ) -> Arc<Coordinator> {
        let (events, _) = broadcast::channel(4096);
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".into());
        let farm = {
            let guard = store.lock().unwrap_or_else(|p| p.into_inner());
            let key = match guard.path() {
                Some(p) => p
                    .canonicalize()
                    .unwrap_or_else(|_| p.to_owned())
                    .display()
                    .to_string(),
                None => format!("memory-{}", std::process::id()),
            };
            crate::store::content_hash(key.as_bytes())[..12].to_owned()
        };
        Arc::new(Coordinator {
            store,
            config,
            dirs,
            image,
            endpoints: endpoints.into_iter().map(Arc::new).collect(),
            owner: format!("{host}:{}", std::process::id()),
            farm,
            events,
            stopping: AtomicBool::new(false),
        })
    }

    /// The id a build's container is labelled with: the farm and the build,
    /// so farms sharing an engine never take each other's containers.
    pub fn container_build_id(&self, build: i64) -> String {
        format!("{}-{build}", self.farm)
    }

    /// Log lines and state changes as they happen.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// The farm's folders.
    pub fn dirs(&self) -> &Dirs {
        &self.dirs
    }

    /// The shared store.
    pub fn store(&self) -> &Arc<Mutex<Store>> {
        &self.store
    }

    /// The endpoints with how many builds each runs.
    pub fn endpoint_load(&self) -> Vec<(String, usize, usize)> {
        self.endpoints
            .iter()
            .map(|e| {
                (
                    e.config.name.clone(),
                    e.running.load(Ordering::SeqCst),
                    e.config.slots,
                )
            })
            .collect()
    }

    /// Asks the loop to stop leasing; running builds finish.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    fn limits(&self) -> Limits {
        self.config.limits.limits()
    }

    /// After a restart: every build the store shows leased or running is
    /// taken over (a new lease epoch); its container, if still on its
    /// engine, is re-attached; otherwise the build is given back.
    pub async fn recover(self: &Arc<Self>) -> Result<usize, CoordinatorError> {
        let unfinished = with_store(&self.store, |s| s.unfinished_builds()).await?;
        // Each engine is asked once for the build containers it holds.
        let mut on_engine: std::collections::HashMap<String, Vec<String>> = Default::default();
        if !unfinished.is_empty() {
            for e in &self.endpoints {
                let builds = e.executor.running_builds().await.unwrap_or_default();
                on_engine.insert(
                    e.config.name.clone(),
                    builds.into_iter().map(|(b, _)| b).collect(),
                );
            }
        }
        let mut recovered = 0;
        for (build, lease) in unfinished {
            let owner = self.owner.clone();
            let secs = self.config.farm.lease_secs;
            let lease = with_store(&self.store, move |s| s.take_over(lease, &owner, secs)).await?;
            let endpoint = self
                .endpoints
                .iter()
                .find(|e| Some(&e.config.name) == build.endpoint.as_ref())
                .cloned();
            let wanted = self.container_build_id(build.id.0);
            let running = endpoint.as_ref().is_some_and(|e| {
                on_engine
                    .get(&e.config.name)
                    .is_some_and(|list| list.contains(&wanted))
            });
            match (endpoint, running) {
                (Some(endpoint), true) => {
                    info!(build = build.id.0, "re-attaching to a build left running");
                    endpoint.running.fetch_add(1, Ordering::SeqCst);
                    let me = Arc::clone(self);
                    tokio::spawn(async move {
                        me.follow(endpoint, build, lease, Vec::new()).await;
                    });
                    recovered += 1;
                }
                _ => {
                    self.give_back(lease, "its container was gone after a coordinator restart")
                        .await;
                }
            }
        }
        Ok(recovered)
    }

    /// Leases and starts builds until [`Coordinator::stop`] or, with
    /// `until_idle`, until the queue holds nothing runnable and nothing
    /// runs.
    pub async fn run(self: &Arc<Self>, until_idle: bool) -> Result<(), CoordinatorError> {
        let poll = Duration::from_millis(self.config.farm.poll_millis.max(50));
        loop {
            if self.stopping.load(Ordering::SeqCst) {
                break;
            }
            let mut started = false;
            for endpoint in &self.endpoints {
                while endpoint.running.load(Ordering::SeqCst) < endpoint.config.slots {
                    let owner = self.owner.clone();
                    let name = endpoint.config.name.clone();
                    let secs = self.config.farm.lease_secs;
                    let leased = with_store(&self.store, move |s| {
                        s.lease_next_build(&owner, &name, secs)
                    })
                    .await?;
                    let Some((build, lease)) = leased else {
                        break;
                    };
                    started = true;
                    endpoint.running.fetch_add(1, Ordering::SeqCst);
                    let me = Arc::clone(self);
                    let endpoint = Arc::clone(endpoint);
                    tokio::spawn(async move { me.start(endpoint, build, lease).await });
                }
            }
            let busy: usize = self
                .endpoints
                .iter()
                .map(|e| e.running.load(Ordering::SeqCst))
                .sum();
            if until_idle && !started && busy == 0 {
                let waiting = with_store(&self.store, |s| {
                    Ok(s.build_counts()?
                        .into_iter()
                        .any(|(st, n)| st == crate::store::BuildStatus::Queued && n > 0))
                })
                .await?;
                // Queued builds that cannot run (backing off) keep us going;
                // none at all means done.
                if !waiting {
                    break;
                }
            }
            tokio::time::sleep(poll).await;
        }
        Ok(())
    }

    fn emit(&self, event: Event) {
        let _ = self.events.send(event);
    }

    /// Prepares and starts one leased build, then follows it.
    async fn start(self: Arc<Self>, endpoint: Arc<Endpoint>, build: Build, lease: Lease) {
        self.emit(Event::Build(build.id.0));
        let dirs = self.dirs.clone();
        let allow = self.config.farm.allow_download;
        let b = build.clone();
        let prepared = with_store(&self.store, move |s| Ok(prepare(s, &dirs, &b, allow))).await;
        let prepared = match prepared {
            Ok(Ok(p)) => p,
            Ok(Err(e)) => {
                self.fail_before_start(&endpoint, &build, lease, &e.to_string())
                    .await;
                return;
            }
            Err(e) => {
                warn!(build = build.id.0, "store failed while preparing: {e}");
                self.give_back(lease, &e.to_string()).await;
                endpoint.running.fetch_sub(1, Ordering::SeqCst);
                return;
            }
        };
        let job = BuildJob {
            build_id: self.container_build_id(build.id.0),
            recipe: build.name.clone(),
            image: self.image.clone(),
            files: prepared.files,
            install: prepared.install,
            limits: self.limits(),
            labels: BTreeMap::from([
                ("kiln.version".to_owned(), build.version.clone()),
                ("kiln.origin".to_owned(), build.origin.as_str().to_owned()),
            ]),
        };
        // A container of this build may exist already (a lease given back
        // while its container lived on): never run a build twice.
        if let Ok(list) = endpoint.executor.running_builds().await {
            if list.iter().any(|(b, _)| *b == job.build_id) {
                self.follow(endpoint, build, lease, prepared.inputs).await;
                return;
            }
        }
        match endpoint.executor.start(&job).await {
            Ok(container) => {
                let secs = self.config.farm.lease_secs;
                let c = container.clone();
                if let Err(e) =
                    with_store(&self.store, move |s| s.mark_running(lease, &c, secs)).await
                {
                    warn!(build = build.id.0, "lease lost before the build ran: {e}");
                }
                self.emit(Event::Build(build.id.0));
                self.follow(endpoint, build, lease, prepared.inputs).await;
            }
            Err(e) => {
                self.infrastructure_failure(&endpoint, &build, lease, e)
                    .await;
            }
        }
    }

    /// A build that could not even start because of its recipe or sources.
    async fn fail_before_start(
        &self,
        endpoint: &Endpoint,
        build: &Build,
        lease: Lease,
        message: &str,
    ) {
        let path = self.dirs.log_path(build.id.0);
        let text = format!("==> kiln: the build could not start: {message}\n");
        let _ = std::fs::write(&path, &text);
        self.emit(Event::Log(LogLine {
            build: build.id.0,
            line: text.trim_end().to_owned(),
        }));
        let end = BuildEnd {
            succeeded: false,
            exit_code: None,
            message: Some(message.to_owned()),
            log_path: Some(path.display().to_string()),
            log_size: Some(text.len() as i64),
            inputs: Vec::new(),
            artifacts: Vec::new(),
        };
        if let Err(e) = with_store(&self.store, move |s| s.finish_build(lease, &end)).await {
            warn!(build = build.id.0, "recording the failure: {e}");
        }
        endpoint.running.fetch_sub(1, Ordering::SeqCst);
        self.emit(Event::Build(build.id.0));
    }

    async fn give_back(&self, lease: Lease, message: &str) {
        let farm = &self.config.farm;
        let backoff = farm.retry_backoff_secs;
        let max = farm.max_attempts;
        let m = message.to_owned();
        if let Err(e) =
            with_store(&self.store, move |s| s.retry_build(lease, &m, backoff, max)).await
        {
            warn!(build = lease.build.0, "giving the build back: {e}");
        }
        self.emit(Event::Build(lease.build.0));
    }

    async fn infrastructure_failure(
        &self,
        endpoint: &Endpoint,
        build: &Build,
        lease: Lease,
        error: ExecutorError,
    ) {
        warn!(build = build.id.0, endpoint = %endpoint.config.name, "{error}");
        match error {
            ExecutorError::InvalidJob { .. } | ExecutorError::ArtifactRejected { .. } => {
                self.fail_before_start(endpoint, build, lease, &error.to_string())
                    .await;
                return;
            }
            _ => self.give_back(lease, &error.to_string()).await,
        }
        endpoint.running.fetch_sub(1, Ordering::SeqCst);
    }

    /// Follows a started build to its end: log to file and subscribers,
    /// lease renewed, artifacts stored, result recorded.
    async fn follow(
        self: &Arc<Self>,
        endpoint: Arc<Endpoint>,
        build: Build,
        lease: Lease,
        inputs: Vec<crate::store::BuildInput>,
    ) {
        let id = build.id.0;
        let (tx, mut rx) = mpsc::channel::<String>(1024);
        let log_path = self.dirs.log_path(id);
        let events = self.events.clone();
        let writer_path = log_path.clone();
        let writer = tokio::spawn(async move {
            let mut file = std::fs::File::create(&writer_path).ok();
            while let Some(line) = rx.recv().await {
                if let Some(f) = file.as_mut() {
                    let _ = writeln!(f, "{line}");
                }
                let _ = events.send(Event::Log(LogLine { build: id, line }));
            }
        });
        let renew = {
            let store = Arc::clone(&self.store);
            let secs = self.config.farm.lease_secs;
            tokio::spawn(async move {
                let every = Duration::from_secs(u64::try_from(secs / 3).unwrap_or(1).max(1));
                loop {
                    tokio::time::sleep(every).await;
                    if with_store(&store, move |s| s.renew_lease(lease, secs))
                        .await
                        .is_err()
                    {
                        break;
                    }
                }
            })
        };
        let result = endpoint
            .executor
            .reattach(&self.container_build_id(id), tx)
            .await;
        renew.abort();
        let _ = writer.await;
        match result {
            Ok(report) => self.record(&build, lease, report, inputs, &log_path).await,
            Err(e) => {
                self.infrastructure_failure(&endpoint, &build, lease, e)
                    .await;
                return;
            }
        }
        endpoint.running.fetch_sub(1, Ordering::SeqCst);
        self.emit(Event::Build(id));
    }

    async fn record(
        &self,
        build: &Build,
        lease: Lease,
        report: BuildReport,
        inputs: Vec<crate::store::BuildInput>,
        log_path: &std::path::Path,
    ) {
        // The capped log replaces the streamed one (which a runaway build
        // could have made huge).
        let _ = std::fs::write(log_path, &report.log);
        // The log is final now: its line index lets the dashboard number
        // the last lines of a huge log without reading all of it.
        if let Err(e) = crate::log_index::LineIndex::of_bytes(&report.log).save(log_path) {
            tracing::warn!(build = build.id.0, error = %e, "could not save the log's line index");
        }
        let mut artifacts = Vec::new();
        let mut problem = None;
        for a in &report.artifacts {
            match self.dirs.artifacts.add_bytes(&a.data) {
                Ok(_) => artifacts.push(ArtifactRecord {
                    name: a.name.clone(),
                    sha256: a.sha256.clone(),
                    size: a.size,
                    files: a.files.clone(),
                }),
                Err(e) => problem = Some(format!("storing artifact {}: {e}", a.name)),
            }
        }
        let (succeeded, exit_code, message) = match report.outcome {
            Outcome::Succeeded => (problem.is_none(), Some(0), problem),
            Outcome::Failed { exit_code } => (
                false,
                Some(exit_code),
                Some(
                    first_error(&report.log)
                        .unwrap_or_else(|| format!("makepkg exited with {exit_code}")),
                ),
            ),
            Outcome::TimedOut => (
                false,
                None,
                Some(format!(
                    "stopped after the wall-clock limit of {}s",
                    self.config.limits.wall_clock_secs
                )),
            ),
            Outcome::Silent => (
                false,
                None,
                Some(format!(
                    "stopped after {}s without log output",
                    self.config.limits.silence_secs
                )),
            ),
        };
        let end = BuildEnd {
            succeeded,
            exit_code,
            message,
            log_path: Some(log_path.display().to_string()),
            log_size: Some(report.log.len() as i64),
            inputs,
            artifacts,
        };
        let id = build.id.0;
        if let Err(e) = with_store(&self.store, move |s| s.finish_build(lease, &end)).await {
            warn!(build = id, "recording the result: {e}");
        }
    }
}

/// The first line of a log that looks like an error, for the build's
/// message.
pub fn first_error(log: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(log);
    text.lines()
        .find(|l| {
            let l = l.to_ascii_lowercase();
            l.contains("error:") || l.starts_with("==> error")
        })
        .map(|l| l.trim().chars().take(300).collect())
}

#[cfg(test)]
mod tests;
