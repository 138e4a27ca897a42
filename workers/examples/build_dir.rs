//! Builds one recipe directory in a fresh container and prints the log and
//! a summary with timings: `cargo run -p kiln-workers --example build_dir --
//! DIR [DEPENDENCY.pkg.tar.zst ...]`. Makes the build image first if needed.

use std::path::Path;
use std::time::Instant;

use kiln_workers::archive::files_from_dir;
use kiln_workers::{bootstrap, BuildJob, DockerExecutor, Executor, ImageSpec, JobFile, Limits};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .ok_or("usage: build_dir DIR [DEPENDENCY.pkg.tar.zst ...]")?;
    let mut install = Vec::new();
    for path in args {
        let name = Path::new(&path).file_name().ok_or("bad package path")?;
        install.push(JobFile {
            path: name.to_string_lossy().into_owned(),
            mode: 0o644,
            data: std::fs::read(&path)?,
        });
    }
    let executor = DockerExecutor::connect_local().await?;
    let t = Instant::now();
    let image = bootstrap(executor.docker(), &ImageSpec::default(), false).await?;
    eprintln!("image {image} ready in {:.2}s", t.elapsed().as_secs_f64());
    let name = Path::new(&dir)
        .file_name()
        .unwrap_or_default()
        .to_string_lossy();
    let job = BuildJob {
        build_id: format!("example-{name}-{}", std::process::id()),
        recipe: name.into_owned(),
        image,
        files: files_from_dir(Path::new(&dir))?,
        install,
        limits: Limits::default(),
        labels: Default::default(),
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel(256);
    let printer = tokio::spawn(async move {
        while let Some(line) = rx.recv().await {
            println!("| {line}");
        }
    });
    let t = Instant::now();
    let report = executor.run(job, tx).await?;
    let wall = t.elapsed();
    printer.await?;
    let in_container = report.finished.duration_since(report.started)?;
    eprintln!(
        "outcome {:?}; wall {:.2}s (container start to finish {:.2}s); log {} bytes",
        report.outcome,
        wall.as_secs_f64(),
        in_container.as_secs_f64(),
        report.log.len()
    );
    for artifact in &report.artifacts {
        std::fs::write(&artifact.name, &artifact.data)?;
        eprintln!(
            "artifact {} {} bytes sha256 {} ({} paths)",
            artifact.name,
            artifact.size,
            artifact.sha256,
            artifact.files.len()
        );
    }
    Ok(())
}
