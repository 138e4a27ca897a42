//! Kiln's build executors: an executor takes a build job and returns a build
//! report with its log stream. The Docker executor runs each build in a fresh
//! container through the Docker Engine API, with the network off.
//!
//! Executors know nothing of the store: they exchange the same job and report
//! types a worker on another host would.

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
pub use bollard::Docker;

/// Connects to the local Docker engine (`DOCKER_HOST` or the default
/// socket) and negotiates the API version with it.
pub async fn connect_local() -> Result<Docker, bollard::errors::Error> {
    Docker::connect_with_local_defaults()?
        .negotiate_version()
        .await
}
