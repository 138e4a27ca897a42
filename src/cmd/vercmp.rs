//! `kiln vercmp A B`: pacman's version comparison, for scripts and checks.

use std::process::ExitCode;

/// Arguments of `kiln vercmp`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// First version, `[epoch:]pkgver[-pkgrel]`.
    a: String,
    /// Second version.
    b: String,
}

/// Prints -1, 0 or 1 as `vercmp` does.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let ord = kiln_normalizer::vercmp(&args.a, &args.b);
    println!("{}", ord as i8);
    Ok(ExitCode::SUCCESS)
}
