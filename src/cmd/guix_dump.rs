//! `kiln guix-dump PATH...`: reads Guix module trees (or single modules)
//! statically and prints one JSON record per package object bound to a
//! top-level variable, in the shape of Guix's own evaluation (see the
//! corpus README). Files or bindings that cannot be read are reported on
//! stderr; the others are printed.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

/// Arguments of `kiln guix-dump`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Guix checkouts, channel roots or single `.scm` modules.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Write the records to FILE instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Print every evaluation error and field warning on stderr (by
    /// default only their count).
    #[arg(long)]
    warnings: bool,
    /// Evaluate on N threads (default: one a core, up to four). Each
    /// thread has its own interpreter, so fewer threads take less memory
    /// and more time; the records are the same.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    threads: Option<u16>,
}

/// Runs `kiln guix-dump`.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let mut out: Box<dyn std::io::Write> = match &args.out {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let mut failed = false;
    for path in &args.paths {
        let files = kiln_importers::guix::read_tree(path)
            .with_context(|| format!("reading Guix modules under {}", path.display()))?;
        // Each record is written as soon as it is built, so the whole
        // tree's are never held at once.
        let mut warnings = 0usize;
        let mut written = Ok(());
        let show = args.warnings;
        let eval = kiln_importers::guix::evaluate_each(
            files,
            args.threads
                .map_or_else(kiln_importers::guix::default_threads, usize::from),
            // Only the record and the warnings are kept of each package.
            move |p| {
                let shown: Vec<String> = if show {
                    let name = &p.recipe.pkgbase;
                    p.recipe
                        .warnings
                        .iter()
                        .map(|w| format!("{name}: {w}"))
                        .collect()
                } else {
                    Vec::new()
                };
                (p.record, p.recipe.warnings.len(), shown)
            },
            |(record, count, shown)| {
                if written.is_ok() {
                    written = out
                        .write_all(record.get().as_bytes())
                        .and_then(|()| out.write_all(b"\n"));
                }
                warnings += count;
                for w in shown {
                    eprintln!("kiln: warning: {w}");
                }
            },
        );
        written.context("writing a record")?;
        if args.warnings {
            for e in &eval.errors {
                eprintln!("kiln: error: {e}");
            }
        }
        eprintln!(
            "kiln: {}: {} packages, {} errors, {} field warnings",
            path.display(),
            eval.packages,
            eval.errors.len(),
            warnings
        );
        failed |= eval.packages == 0 && !eval.errors.is_empty();
    }
    out.flush().context("writing records")?;
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
