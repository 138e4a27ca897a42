//! The build image: a Debian rootfs made by debootstrap with makepkg and the
//! usual build tools, imported through the Engine API and cached under a tag
//! that hashes what went into it.
//!
//! No registry is needed: the engine may start with no images at all. Where
//! a registry is reachable, [`ImageSpec::image`] names an image to use (and
//! pull) instead.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Instant;

use bollard::query_parameters::{CreateImageOptionsBuilder, RemoveImageOptions};
use bollard::{body_try_stream, Docker};
use futures_util::StreamExt;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::process::Command;
use tracing::info;

use crate::rootfs::{host_mirror, prepare_rootfs, unmount_below};

/// Bumped whenever the way the rootfs is prepared changes, so a new tag is
/// made instead of reusing an image prepared the old way.
pub const FORMAT_VERSION: u32 = 1;

/// Repository name of bootstrapped images.
pub const IMAGE_REPO: &str = "kiln-build";

/// Mirror used when neither the spec nor the host's apt sources name one.
pub const DEFAULT_MIRROR: &str = "http://deb.debian.org/debian";

/// Packages installed into the bootstrapped image (on top of debootstrap's
/// `buildd` variant, which brings build-essential).
pub const DEFAULT_PACKAGES: &[&str] = &[
    "makepkg",
    "pacman-package-manager",
    "libarchive-tools",
    "zstd",
    "fakeroot",
    "cmake",
    "meson",
    "ninja-build",
    "pkgconf",
    "python3",
    "autoconf",
    "automake",
    "libtool",
    "git",
];

/// Which build image to use, as configured (the `[image]` table of
/// `kiln.toml`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImageSpec {
    /// An existing image to use instead of bootstrapping one, e.g.
    /// `archlinux:base-devel`; pulled when it is not present.
    pub image: Option<String>,
    /// Debian suite to bootstrap.
    pub suite: String,
    /// Debian mirror; by default the host's apt mirror for the suite.
    pub mirror: Option<String>,
    /// Packages to include.
    pub packages: Vec<String>,
}

impl Default for ImageSpec {
    fn default() -> Self {
        ImageSpec {
            image: None,
            suite: "bookworm".into(),
            mirror: None,
            packages: DEFAULT_PACKAGES.iter().map(|p| p.to_string()).collect(),
        }
    }
}

impl ImageSpec {
    /// The image reference builds use: the configured image, or
    /// `kiln-build:<hash>` where the hash covers the format version, suite
    /// and package set (not the mirror: mirrors serve the same packages).
    pub fn tag(&self) -> String {
        if let Some(image) = &self.image {
            return image.clone();
        }
        let mut packages = self.packages.clone();
        packages.sort();
        packages.dedup();
        let mut hasher = Sha256::new();
        hasher.update(format!(
            "kiln-build-image {FORMAT_VERSION}\n{}\n",
            self.suite
        ));
        for p in &packages {
            hasher.update(format!("{p}\n"));
        }
        let hash = hex::encode(hasher.finalize());
        format!("{IMAGE_REPO}:{}", &hash[..16])
    }
}

/// Why the build image could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The engine did not answer.
    #[error("docker engine unreachable")]
    EngineUnreachable(#[source] bollard::errors::Error),
    /// An engine call failed.
    #[error("{action} {image}")]
    Engine {
        /// What was being done.
        action: &'static str,
        /// The image.
        image: String,
        /// The engine's error.
        #[source]
        source: bollard::errors::Error,
    },
    /// A host command (debootstrap, tar) could not run or failed.
    #[error("{command}: {detail}")]
    Command {
        /// The command.
        command: String,
        /// Its error or the end of its output.
        detail: String,
    },
    /// Preparing the rootfs on disk failed.
    #[error("{action} {}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// Bad package names or suite in the spec.
    #[error("invalid image spec: {0}")]
    InvalidSpec(String),
}

/// One bootstrap at a time per process: concurrent callers wait and then
/// find the image made.
static BOOTSTRAP: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Makes sure the build image of `spec` exists and returns its reference:
/// reused when present (unless `force`), pulled when `spec.image` names
/// one, otherwise bootstrapped with debootstrap (needs root) and imported.
pub async fn bootstrap(
    docker: &Docker,
    spec: &ImageSpec,
    force: bool,
) -> Result<String, ImageError> {
    let tag = spec.tag();
    let _guard = BOOTSTRAP.lock().await;
    let previous = image_id(docker, &tag).await?;
    if !force && previous.is_some() {
        info!(image = %tag, "build image present");
        return Ok(tag);
    }
    if let Some(image) = &spec.image {
        pull(docker, image).await?;
        return Ok(tag);
    }
    check_spec(spec)?;
    let mirror = match &spec.mirror {
        Some(m) => m.clone(),
        None => host_mirror(Path::new("/etc/apt"), &spec.suite)
            .unwrap_or_else(|| DEFAULT_MIRROR.to_string()),
    };
    let work = tempfile::Builder::new()
        .prefix("kiln-rootfs-")
        .tempdir()
        .map_err(|e| ImageError::Io {
            action: "creating work directory in",
            path: std::env::temp_dir(),
            source: e,
        })?;
    let rootfs = work.path().join("rootfs");
    let result = make_image(docker, spec, &mirror, &rootfs, &tag).await;
    unmount_below(work.path()).await;
    // Removing a rootfs of ~1 GB takes seconds: not on an async thread.
    let _ = tokio::task::spawn_blocking(move || drop(work)).await;
    result?;
    if let Some(old) = previous {
        remove_replaced(docker, &tag, &old).await;
    }
    Ok(tag)
}

/// Removes the image a forced bootstrap replaced under the same tag (now
/// untagged), unless containers still use it.
async fn remove_replaced(docker: &Docker, tag: &str, old_id: &str) {
    match image_id(docker, tag).await {
        Ok(Some(new_id)) if new_id != old_id => {}
        _ => return,
    }
    if let Err(e) = docker
        .remove_image(old_id, None::<RemoveImageOptions>, None)
        .await
    {
        info!(image = old_id, error = %e, "replaced build image kept");
    }
}

async fn make_image(
    docker: &Docker,
    spec: &ImageSpec,
    mirror: &str,
    rootfs: &Path,
    tag: &str,
) -> Result<(), ImageError> {
    let start = Instant::now();
    info!(suite = %spec.suite, mirror, rootfs = %rootfs.display(), "running debootstrap");
    let mut debootstrap = Command::new("debootstrap");
    debootstrap
        .arg("--variant=buildd")
        .arg(format!("--include={}", spec.packages.join(",")))
        .arg(&spec.suite)
        .arg(rootfs)
        .arg(mirror);
    run_command(debootstrap, "debootstrap").await?;
    info!(secs = start.elapsed().as_secs(), "debootstrap done");
    let dir = rootfs.to_path_buf();
    tokio::task::spawn_blocking(move || prepare_rootfs(&dir))
        .await
        .map_err(|e| ImageError::Command {
            command: "preparing rootfs".into(),
            detail: e.to_string(),
        })??;
    import(docker, rootfs, tag).await?;
    info!(image = %tag, secs = start.elapsed().as_secs(), "build image imported");
    Ok(())
}

fn check_spec(spec: &ImageSpec) -> Result<(), ImageError> {
    let ok = |s: &str| {
        !s.is_empty()
            && !s.starts_with('-')
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-._".contains(c))
    };
    if !ok(&spec.suite) {
        return Err(ImageError::InvalidSpec(format!("suite {:?}", spec.suite)));
    }
    if let Some(bad) = spec.packages.iter().find(|p| !ok(p)) {
        return Err(ImageError::InvalidSpec(format!("package name {bad:?}")));
    }
    Ok(())
}

/// The id of `image` on the engine, if it is there.
async fn image_id(docker: &Docker, image: &str) -> Result<Option<String>, ImageError> {
    match docker.inspect_image(image).await {
        Ok(inspect) => Ok(Some(inspect.id.unwrap_or_default())),
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(None),
        Err(e) => Err(engine_error("inspecting image", image, e)),
    }
}

fn engine_error(action: &'static str, image: &str, e: bollard::errors::Error) -> ImageError {
    use bollard::errors::Error as E;
    match e {
        E::DockerResponseServerError { .. } | E::DockerStreamError { .. } => ImageError::Engine {
            action,
            image: image.to_string(),
            source: e,
        },
        _ => ImageError::EngineUnreachable(e),
    }
}

async fn pull(docker: &Docker, image: &str) -> Result<(), ImageError> {
    info!(image, "pulling configured build image");
    let options = CreateImageOptionsBuilder::default()
        .from_image(image)
        .build();
    let mut stream = docker.create_image(Some(options), None, None);
    while let Some(item) = stream.next().await {
        item.map_err(|e| engine_error("pulling image", image, e))?;
    }
    Ok(())
}

/// Runs a host command, failing with the end of its output.
async fn run_command(mut command: Command, name: &str) -> Result<(), ImageError> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(|e| ImageError::Command {
            command: name.to_string(),
            detail: if e.kind() == std::io::ErrorKind::NotFound {
                format!("{name} is not installed (see ci/install-deps)")
            } else {
                e.to_string()
            },
        })?;
    if output.status.success() {
        return Ok(());
    }
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    let tail: Vec<&str> = text.lines().rev().take(15).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    Err(ImageError::Command {
        command: name.to_string(),
        detail: format!("{}:\n{}", output.status, tail.join("\n")),
    })
}

/// Streams a tar of the rootfs (GNU tar on the host, which knows device
/// nodes and keeps numeric owners) into the engine's image import.
async fn import(docker: &Docker, rootfs: &Path, tag: &str) -> Result<(), ImageError> {
    let (repo, version) = tag.split_once(':').unwrap_or((tag, "latest"));
    let mut child = Command::new("tar")
        .arg("--numeric-owner")
        .arg("-C")
        .arg(rootfs)
        .args([
            "--exclude=./dev/*",
            "--exclude=./proc/*",
            "--exclude=./sys/*",
        ])
        .args(["-cf", "-", "."])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| ImageError::Command {
            command: "tar".into(),
            detail: e.to_string(),
        })?;
    let stdout = child.stdout.take().ok_or_else(|| ImageError::Command {
        command: "tar".into(),
        detail: "no stdout".into(),
    })?;
    let body = body_try_stream(tokio_util::io::ReaderStream::new(stdout));
    let options = CreateImageOptionsBuilder::default()
        .from_src("-")
        .repo(repo)
        .tag(version)
        .message("kiln build image (debootstrap)")
        .changes(vec![
            "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into(),
            "ENV LANG=C.UTF-8".into(),
            "WORKDIR /build".into(),
            "CMD [\"/bin/bash\"]".into(),
        ])
        .build();
    let mut stream = docker.create_image(Some(options), Some(body), None);
    let mut failure = None;
    while let Some(item) = stream.next().await {
        if let Err(e) = item {
            failure = Some(engine_error("importing rootfs as", tag, e));
            break;
        }
    }
    let output = child
        .wait_with_output()
        .await
        .map_err(|e| ImageError::Command {
            command: "tar".into(),
            detail: e.to_string(),
        })?;
    if let Some(e) = failure {
        return Err(e);
    }
    if !output.status.success() {
        return Err(ImageError::Command {
            command: "tar".into(),
            detail: format!(
                "{}: {}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            ),
        });
    }
    if image_id(docker, tag).await?.is_none() {
        return Err(ImageError::Command {
            command: "image import".into(),
            detail: format!("the engine did not create {tag}"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_hashes_suite_and_package_set() {
        let spec = ImageSpec::default();
        let tag = spec.tag();
        assert!(tag.starts_with("kiln-build:"), "{tag}");
        assert_eq!(tag.len(), "kiln-build:".len() + 16);
        let mut reordered = spec.clone();
        reordered.packages.reverse();
        reordered.mirror = Some("http://mirror.example/debian".into());
        assert_eq!(reordered.tag(), tag);
        let mut more = spec.clone();
        more.packages.push("vim".into());
        assert_ne!(more.tag(), tag);
        let configured = ImageSpec {
            image: Some("archlinux:base-devel".into()),
            ..spec
        };
        assert_eq!(configured.tag(), "archlinux:base-devel");
    }

    #[test]
    fn spec_reads_from_config_with_defaults() {
        let spec: ImageSpec = serde_json::from_str(r#"{"image": "archlinux:base-devel"}"#).unwrap();
        assert_eq!(spec.tag(), "archlinux:base-devel");
        assert_eq!(spec.packages, ImageSpec::default().packages);
        let spec: ImageSpec = serde_json::from_str(r#"{"packages": ["makepkg"]}"#).unwrap();
        assert_eq!(spec.suite, "bookworm");
        assert_ne!(spec.tag(), ImageSpec::default().tag());
        assert!(serde_json::from_str::<ImageSpec>(r#"{"imgae": "x"}"#).is_err());
    }

    #[test]
    fn spec_with_option_like_names_is_refused() {
        let mut spec = ImageSpec::default();
        spec.packages.push("--foreign".into());
        assert!(check_spec(&spec).is_err());
        assert!(check_spec(&ImageSpec::default()).is_ok());
    }
}
