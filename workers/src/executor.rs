//! The executor contract: a [`BuildJob`] goes in, a [`BuildReport`] and a
//! stream of log lines come out.
//!
//! These are the types a worker on another host would exchange with the
//! coordinator, so they carry plain data only (bytes, strings, durations) and
//! no handle to the engine or the store. A build that fails is a *report*
//! with [`Outcome::Failed`]; [`ExecutorError`] is reserved for failures of the
//! infrastructure (engine unreachable, container gone, artifact rejected).

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, SystemTime};

use tokio::sync::mpsc;

/// One build to run: a recipe directory's files, the dependency packages to
/// install first, the image to run it in and the limits it runs under.
#[derive(Debug, Clone)]
pub struct BuildJob {
    /// The coordinator's id of this build; labels the container.
    pub build_id: String,
    /// The recipe's name, for labels and messages.
    pub recipe: String,
    /// The image to build in (a tag from [`crate::image::bootstrap`]).
    pub image: String,
    /// The PKGBUILD, local files and verified sources, placed in `/build`.
    pub files: Vec<JobFile>,
    /// Dependency artifacts (`.pkg.tar.*`) installed before the build.
    pub install: Vec<JobFile>,
    /// Resource and time limits.
    pub limits: Limits,
    /// Extra container labels (`kiln.build` and `kiln.recipe` are always set).
    pub labels: BTreeMap<String, String>,
}

/// A file handed to a build: a relative path, a mode and its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobFile {
    /// Path relative to the build directory (for `install`: a file name).
    pub path: String,
    /// Unix permission bits, e.g. `0o644` (set-id and sticky bits are dropped).
    pub mode: u32,
    /// The file's content.
    pub data: Vec<u8>,
}

/// What a build may use, and how long it may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Memory limit in bytes (swap is not allowed beyond it).
    pub memory_bytes: i64,
    /// CPU quota in units of 10^-9 CPUs.
    pub nano_cpus: i64,
    /// Maximum number of processes and threads.
    pub pids: i64,
    /// Longest time from start to finish.
    pub wall_clock: Duration,
    /// Longest time without any log output.
    pub silence: Duration,
    /// Time between the polite stop (SIGTERM) and the kill (SIGKILL).
    pub stop_grace: Duration,
    /// Bytes of log kept in the report (head and tail are kept).
    pub log_cap_bytes: usize,
    /// Total bytes of artifacts accepted from one build.
    pub artifact_cap_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: 4 << 30,
            nano_cpus: 2_000_000_000,
            pids: 4096,
            wall_clock: Duration::from_secs(2 * 60 * 60),
            silence: Duration::from_secs(30 * 60),
            stop_grace: Duration::from_secs(10),
            log_cap_bytes: 8 << 20,
            artifact_cap_bytes: 4 << 30,
        }
    }
}

/// How a build ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// makepkg exited with status 0 and its packages were collected.
    Succeeded,
    /// The build (dependency install or makepkg) exited non-zero.
    Failed {
        /// The container's exit status.
        exit_code: i64,
    },
    /// The build ran past its wall-clock limit and was stopped.
    TimedOut,
    /// The build wrote no log output for its silence limit and was stopped.
    Silent,
}

/// A package a build produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// The package file name, e.g. `libfoo-1.0-1-x86_64.pkg.tar.zst`.
    pub name: String,
    /// Hex sha256 of the file.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// The file's content.
    pub data: Vec<u8>,
    /// Paths inside the package (directories end in `/`), without the
    /// package metadata files (`.PKGINFO`, `.BUILDINFO`, `.MTREE`, ...).
    pub files: Vec<String>,
}

/// Everything known about a finished build.
#[derive(Debug, Clone)]
pub struct BuildReport {
    /// How it ended.
    pub outcome: Outcome,
    /// The (now removed) container it ran in.
    pub container_id: String,
    /// When the container was started.
    pub started: SystemTime,
    /// When the build was seen to end.
    pub finished: SystemTime,
    /// The log, capped: head, a marker line, tail.
    pub log: Vec<u8>,
    /// Whether bytes were dropped from the middle of the log.
    pub log_truncated: bool,
    /// The packages, when the build succeeded.
    pub artifacts: Vec<Artifact>,
}

/// A failure of the build infrastructure (not of the build itself).
#[derive(Debug, thiserror::Error)]
pub enum ExecutorError {
    /// The engine could not be reached at all.
    #[error("docker engine unreachable")]
    EngineUnreachable(#[source] bollard::errors::Error),
    /// The container disappeared while the build was using it.
    #[error("container {container_id} of build {build_id} vanished")]
    ContainerVanished {
        /// The build.
        build_id: String,
        /// The container that is gone.
        container_id: String,
    },
    /// The job's image is not on the engine (see [`crate::image::bootstrap`]).
    #[error("image {image} of build {build_id} is not present on the engine")]
    ImageMissing {
        /// The build.
        build_id: String,
        /// The missing image.
        image: String,
    },
    /// No container is labelled with this build id.
    #[error("no container for build {0}")]
    NoSuchBuild(String),
    /// An engine call failed.
    #[error("{action} for build {build_id}")]
    Engine {
        /// What was being done ("creating container", ...).
        action: &'static str,
        /// The build.
        build_id: String,
        /// The engine's error.
        #[source]
        source: bollard::errors::Error,
    },
    /// A re-attached container was created but never started (its
    /// coordinator stopped in between); it has been removed.
    #[error("container of build {0} was never started")]
    NeverStarted(String),
    /// The job itself is malformed (a file path escaping the build directory).
    #[error("invalid job {build_id}: {reason}")]
    InvalidJob {
        /// The build.
        build_id: String,
        /// What is wrong.
        reason: String,
    },
    /// The build's output was rejected (unsafe path, over the size cap,
    /// unreadable package).
    #[error("artifact of build {build_id} rejected: {reason}")]
    ArtifactRejected {
        /// The build.
        build_id: String,
        /// Why.
        reason: String,
    },
}

/// Runs builds.
pub trait Executor {
    /// Runs `job` to completion, sending each log line to `log` as it is
    /// written (a closed receiver is not an error), and returns the report.
    fn run(
        &self,
        job: BuildJob,
        log: mpsc::Sender<String>,
    ) -> impl Future<Output = Result<BuildReport, ExecutorError>> + Send;
}
