//! `kiln image bootstrap`: makes (or finds) the build image through the
//! Docker engine and prints its reference.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use kiln_workers::image::{bootstrap, ImageSpec};

/// Arguments of `kiln image`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: ImageCommand,
}

#[derive(Debug, clap::Subcommand)]
enum ImageCommand {
    /// Make the build image with debootstrap (as root) unless it exists,
    /// import it into the local engine and print its tag.
    Bootstrap {
        /// Make it again even if an image with its tag exists.
        #[arg(long)]
        force: bool,
        /// Use (and pull) this image instead, e.g. `archlinux:base-devel`.
        #[arg(long)]
        image: Option<String>,
        /// Debian mirror for debootstrap (default: the host's apt mirror).
        #[arg(long)]
        mirror: Option<String>,
    },
}

/// Runs `kiln image ...`.
pub fn run(args: &Args, config: Option<&std::path::Path>) -> anyhow::Result<ExitCode> {
    let ImageCommand::Bootstrap {
        force,
        image,
        mirror,
    } = &args.command;
    // kiln.toml's [image], with the flags over it.
    let configured = super::build::load_config(config)?.image;
    let spec = ImageSpec {
        image: image.clone().or(configured.image.clone()),
        mirror: mirror.clone().or(configured.mirror.clone()),
        ..configured
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let start = Instant::now();
    let tag = runtime.block_on(async {
        let docker = kiln_workers::connect_local()
            .await
            .context("connecting to the docker engine")?;
        bootstrap(&docker, &spec, *force)
            .await
            .with_context(|| format!("bootstrapping build image {}", spec.tag()))
    })?;
    eprintln!("build image ready in {:.1}s", start.elapsed().as_secs_f64());
    println!("{tag}");
    Ok(ExitCode::SUCCESS)
}
