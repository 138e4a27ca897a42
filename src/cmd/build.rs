//! The build farm from the command line: `kiln build` (queue, and with
//! `--follow` run and stream the log), `kiln builds`, `kiln log`,
//! `kiln artifacts`, and `kiln serve`, which runs the coordinator (and the
//! dashboard) until stopped.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context as _};
use kiln_farm::config::Config;
use kiln_farm::coordinator::{connect, Coordinator, Dirs, Event};
use kiln_farm::scheduler::{queue, QueueOptions};
use kiln_farm::store::{BuildFilter, BuildId, BuildStatus, Store};
use kiln_normalizer::Origin;

use super::db::{self, OriginArg};

/// Where `kiln.toml` is: `--config`, else `$KILN_CONFIG`, else `kiln.toml`
/// in the working directory (absent: defaults).
pub fn load_config(flag: Option<&Path>) -> anyhow::Result<Config> {
    let path = flag
        .map(Path::to_owned)
        .or_else(|| std::env::var_os("KILN_CONFIG").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("kiln.toml"));
    Ok(Config::load(&path)?)
}

/// The build slots of every endpoint in kiln.toml: what wave estimates
/// assume.
pub fn configured_slots(flag: Option<&Path>) -> anyhow::Result<usize> {
    Ok(load_config(flag)?.endpoints.iter().map(|e| e.slots).sum())
}

/// The farm's folders under the data directory.
pub fn dirs(db_flag: Option<&Path>) -> anyhow::Result<Dirs> {
    Ok(Dirs::under(&db::data_directory(db_flag)?)?)
}

/// Connects the configured engines, makes sure the build image exists and
/// returns a coordinator over `store`.
pub async fn coordinator(
    store: Store,
    config: Config,
    dirs: Dirs,
) -> anyhow::Result<Arc<Coordinator>> {
    let mut endpoints = Vec::new();
    for e in &config.endpoints {
        endpoints.push(connect(e).await?);
    }
    let Some(first) = endpoints.first() else {
        bail!("kiln.toml names no endpoint");
    };
    let image = kiln_workers::bootstrap(first.executor.docker(), &config.image, false)
        .await
        .with_context(|| format!("making the build image {}", config.image.tag()))?;
    Ok(Coordinator::new(
        Arc::new(Mutex::new(store)),
        config,
        dirs,
        image,
        endpoints,
    ))
}

/// Arguments of `kiln build`.
#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// Recipes to build (their dependencies that are recipes here and have
    /// no successful build of their current version are built first).
    #[arg(required = true)]
    names: Vec<String>,
    /// Origin of the names.
    #[arg(long)]
    origin: Option<OriginArg>,
    /// Priority (higher first).
    #[arg(long, default_value_t = 0)]
    priority: i64,
    /// Run the builds here and stream their logs until they end.
    #[arg(long)]
    follow: bool,
}

/// Runs `kiln build`.
pub fn build(
    args: &BuildArgs,
    db_flag: Option<&Path>,
    config_flag: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let mut store = db::open(db_flag)?;
    let queued = queue(
        &mut store,
        &args.names,
        &QueueOptions {
            origin: args.origin.map(Origin::from),
            priority: args.priority,
            ..QueueOptions::default()
        },
    )?;
    for q in &queued {
        println!(
            "build {} {} {}{}{}",
            q.build,
            q.name,
            q.version,
            if q.dependency { " (dependency)" } else { "" },
            if q.reused { " (already queued)" } else { "" }
        );
    }
    if !args.follow {
        return Ok(ExitCode::SUCCESS);
    }
    let config = load_config(config_flag)?;
    let dirs = dirs(db_flag)?;
    let ids: BTreeSet<i64> = queued.iter().map(|q| q.build.0).collect();
    let runtime = tokio::runtime::Runtime::new()?;
    let failed = runtime.block_on(async move {
        let c = coordinator(store, config, dirs).await?;
        follow(&c, &ids).await
    })?;
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Runs the coordinator until every build in `ids` is over, printing their
/// log lines; true when one did not succeed.
async fn follow(c: &Arc<Coordinator>, ids: &BTreeSet<i64>) -> anyhow::Result<bool> {
    let mut events = c.subscribe();
    let runner = {
        let c = Arc::clone(c);
        tokio::spawn(async move { c.run(false).await })
    };
    let several = ids.len() > 1;
    let finished = |c: &Arc<Coordinator>| -> anyhow::Result<Option<bool>> {
        let store = c.store().lock().unwrap_or_else(|p| p.into_inner());
        let mut failed = false;
        for id in ids {
            let b = store
                .build(BuildId(*id))?
                .with_context(|| format!("build {id} vanished"))?;
            if !b.status.is_final() {
                return Ok(None);
            }
            failed |= b.status != BuildStatus::Succeeded;
        }
        Ok(Some(failed))
    };
    let failed = loop {
        match tokio::time::timeout(Duration::from_millis(500), events.recv()).await {
            Ok(Ok(Event::Log(line))) if ids.contains(&line.build) => {
                if several {
                    println!("[{}] {}", line.build, line.line);
                } else {
                    println!("{}", line.line);
                }
            }
            Ok(Err(tokio::sync::broadcast::error::RecvError::Closed)) => break true,
            _ => {
                if let Some(failed) = finished(c)? {
                    break failed;
                }
            }
        }
    };
    c.stop();
    runner.await??;
    let store = c.store().lock().unwrap_or_else(|p| p.into_inner());
    for id in ids {
        if let Some(b) = store.build(BuildId(*id))? {
            println!(
                "build {} {} {}: {}{}",
                b.id,
                b.name,
                b.version,
                b.status,
                b.message.map(|m| format!(" — {m}")).unwrap_or_default()
            );
        }
    }
    Ok(failed)
}

/// Arguments of `kiln builds`.
#[derive(Debug, clap::Args)]
pub struct BuildsArgs {
    /// Only builds with this status (queued, running, succeeded, failed,
    /// dependency-failed ...).
    #[arg(long)]
    status: Option<String>,
    /// Only builds of this recipe.
    #[arg(long)]
    name: Option<String>,
    /// Only builds of this origin.
    #[arg(long)]
    origin: Option<OriginArg>,
    /// At most this many, newest first.
    #[arg(long, default_value_t = 50)]
    limit: usize,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `kiln builds`.
pub fn builds(args: &BuildsArgs, db_flag: Option<&Path>) -> anyhow::Result<ExitCode> {
    let store = db::open(db_flag)?;
    let status = match &args.status {
        Some(s) => {
            Some(BuildStatus::from_name(s).with_context(|| format!("unknown status {s:?}"))?)
        }
        None => None,
    };
    let list = store.builds(&BuildFilter {
        status,
        origin: args.origin.map(Origin::from),
        name: args.name.clone(),
        limit: args.limit,
        ..BuildFilter::default()
    })?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(ExitCode::SUCCESS);
    }
    for b in &list {
        let took = match (b.started_at, b.finished_at) {
            (Some(s), Some(f)) => format!("{}s", f - s),
            _ => "-".into(),
        };
        println!(
            "{:>6} {:<18} {}/{} {} {:>6} {}",
            b.id,
            b.status,
            b.origin,
            b.name,
            b.version,
            took,
            b.message.as_deref().unwrap_or("")
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `kiln log`.
#[derive(Debug, clap::Args)]
pub struct LogArgs {
    /// The build.
    build: i64,
    /// Keep printing while the build runs.
    #[arg(long)]
    follow: bool,
}

/// Runs `kiln log`.
pub fn log(args: &LogArgs, db_flag: Option<&Path>) -> anyhow::Result<ExitCode> {
    use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
    let store = db::open(db_flag)?;
    let dirs = dirs(db_flag)?;
    let Some(b) = store.build(BuildId(args.build))? else {
        bail!("no build {}", args.build);
    };
    let path = b
        .log_path
        .map(PathBuf::from)
        .unwrap_or_else(|| dirs.log_path(args.build));
    let mut offset = 0u64;
    let mut out = std::io::stdout().lock();
    loop {
        if let Ok(mut f) = std::fs::File::open(&path) {
            let len = f.metadata()?.len();
            if len < offset {
                offset = 0; // replaced by the capped log at the end
            }
            f.seek(SeekFrom::Start(offset))?;
            let mut buf = Vec::new();
            f.read_to_end(&mut buf)?;
            offset += buf.len() as u64;
            out.write_all(&buf)?;
            out.flush()?;
        }
        let done = store
            .build(BuildId(args.build))?
            .is_none_or(|b| b.status.is_final());
        if !args.follow || done {
            break;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `kiln artifacts`.
#[derive(Debug, clap::Args)]
pub struct ArtifactsArgs {
    /// The build.
    build: i64,
    /// Copy the package files into this directory.
    #[arg(long, value_name = "DIR")]
    extract: Option<PathBuf>,
    /// List the paths inside each package too.
    #[arg(long)]
    files: bool,
}

/// Runs `kiln artifacts`.
pub fn artifacts(args: &ArtifactsArgs, db_flag: Option<&Path>) -> anyhow::Result<ExitCode> {
    let store = db::open(db_flag)?;
    let dirs = dirs(db_flag)?;
    let list = store.artifacts_of(BuildId(args.build))?;
    if list.is_empty() {
        println!("build {} has no artifacts", args.build);
    }
    for a in &list {
        println!("{}  {}  {} bytes", a.sha256, a.name, a.size);
        if args.files {
            for f in &a.files {
                println!("    {f}");
            }
        }
        if let Some(dir) = &args.extract {
            let from = dirs
                .artifacts
                .get(&a.sha256)
                .with_context(|| format!("{} is missing from the artifact store", a.name))?;
            std::fs::create_dir_all(dir)?;
            std::fs::copy(&from, dir.join(&a.name))
                .with_context(|| format!("copying {} into {}", a.name, dir.display()))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `kiln serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Serve the dashboard and API only; run no builds (no Docker needed).
    #[arg(long)]
    web_only: bool,
}

/// Runs `kiln serve`: re-attaches to builds left running, then leases and
/// runs builds until interrupted (Ctrl-C), letting running builds finish;
/// beside it, the web dashboard and API on `web.address`.
pub fn serve(
    args: &ServeArgs,
    db_flag: Option<&Path>,
    config_flag: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let store = db::open(db_flag)?;
    let db_path = store
        .path()
        .map(Path::to_owned)
        .context("the store has no database file")?;
    let config = load_config(config_flag)?;
    let web = config.web.clone();
    let token = web
        .token
        .clone()
        .or_else(|| std::env::var("KILN_TOKEN").ok())
        .filter(|t| !t.trim().is_empty());
    let dirs = dirs(db_flag)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let c = if args.web_only {
            drop(store);
            None
        } else {
            let c = coordinator(store, config, dirs.clone()).await?;
            let recovered = c.recover().await?;
            eprintln!(
                "kiln serve: {} endpoint(s), {recovered} build(s) re-attached",
                c.endpoint_load().len()
            );
            Some(c)
        };
        let state = kiln_web::AppState::new(kiln_web::StateConfig {
            db: db_path,
            dirs,
            coordinator: c.clone(),
            token,
            protect_reads: web.protect_reads,
        });
        let (stop_web, web_stopped) = tokio::sync::oneshot::channel::<()>();
        let listener = tokio::net::TcpListener::bind(&web.address)
            .await
            .with_context(|| format!("binding the dashboard to {}", web.address))?;
        eprintln!("kiln serve: dashboard on http://{}", listener.local_addr()?);
        let server = tokio::spawn(kiln_web::serve_on(listener, state, async move {
            let _ = web_stopped.await;
        }));
        let runner = c.as_ref().map(|c| {
            let c = Arc::clone(c);
            tokio::spawn(async move { c.run(false).await })
        });
        tokio::signal::ctrl_c().await?;
        eprintln!("kiln serve: stopping; running builds finish first");
        let _ = stop_web.send(());
        if let (Some(c), Some(runner)) = (c, runner) {
            c.stop();
            runner.await??;
        }
        server.await??;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
