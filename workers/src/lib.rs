//! Kiln's build executors: an executor takes a build job and returns a build
//! report with its log stream. The Docker executor runs each build in a fresh
//! container through the Docker Engine API, with the network off.
//!
//! Executors know nothing of the store: they exchange the same job and report
//! types a worker on another host would.
//!
//! ```no_run
//! use kiln_workers::{bootstrap, BuildJob, DockerExecutor, Executor, ImageSpec, Limits};
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let executor = DockerExecutor::connect_local().await?;
//! let image = bootstrap(executor.docker(), &ImageSpec::default(), false).await?;
//! let job = BuildJob {
//!     build_id: "42".into(),
//!     recipe: "libfoo".into(),
//!     image,
//!     files: kiln_workers::archive::files_from_dir("recipes/samples/arch/libfoo".as_ref())?,
//!     install: Vec::new(),
//!     limits: Limits::default(),
//!     labels: Default::default(),
//! };
//! let (log, mut lines) = tokio::sync::mpsc::channel(256);
//! tokio::spawn(async move {
//!     while let Some(line) = lines.recv().await {
//!         println!("{line}");
//!     }
//! });
//! let report = executor.run(job, log).await?;
//! println!("{:?}, {} packages", report.outcome, report.artifacts.len());
//! # Ok(())
//! # }
//! ```

pub mod archive;
pub mod docker;
pub mod executor;
pub mod image;
pub mod labels;
pub mod logcap;
pub mod rootfs;

pub use docker::DockerExecutor;
pub use executor::{
    Artifact, BuildJob, BuildReport, Executor, ExecutorError, JobFile, Limits, Outcome,
};
pub use image::{bootstrap, ImageError, ImageSpec};

/// The engine client the executor and the image bootstrap take.
pub use bollard::{ClientVersion, Docker, API_DEFAULT_VERSION};

/// Connects to the local Docker engine (`DOCKER_HOST` or the default
/// socket) and negotiates the API version with it.
pub async fn connect_local() -> Result<Docker, bollard::errors::Error> {
    Docker::connect_with_local_defaults()?
        .negotiate_version()
        .await
}
