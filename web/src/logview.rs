//! Build logs on the web: one page for a running and a finished build
//! (`/builds/{id}/log`) showing the tail, earlier chunks on request, a
//! window around a permalinked line, search within the log; live updates
//! over SSE; the raw file; and search across all finished logs.
//!
//! Lines are rendered with a permalink anchor each (`#L123`), ANSI colours
//! as spans, makepkg's `==>` stages folded into `<details>`, and the first
//! error line marked and linked from the top. Log text is untrusted: it
//! only ever reaches HTML through maud's escaping.

use std::convert::Infallible;
use std::path::PathBuf;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::Stream;
use kiln_farm::coordinator::Event;
use kiln_farm::store::{Build, BuildId, BuildStatus};
use maud::{html, Markup};
use serde::Deserialize;
use tokio::sync::mpsc;

use crate::ansi::{render_ansi, strip_ansi};
use crate::error::{PageError, WebError};
use crate::logfile::{self, Chunk};
use crate::pages::layout::{page, status_badge};
use crate::state::AppState;

/// Lines shown when a log page opens.
pub const TAIL_LINES: usize = 2_000;
/// Lines per earlier chunk.
pub const CHUNK_LINES: usize = 2_000;
/// Lines either side of a permalinked line.
const AROUND_LINES: usize = 1_000;
/// Matches shown by a search within a log.
const SEARCH_LIMIT: usize = 500;
/// Most bytes one live update carries.
const LIVE_BATCH: u64 = 1 << 20;
/// How often a follower without in-process events polls the file.
const POLL: Duration = Duration::from_millis(200);

/// Whether a line (escape sequences stripped) starts a makepkg stage.
pub fn is_stage(plain: &str) -> bool {
    plain.starts_with("==> ")
        && !plain.starts_with("==> ERROR")
        && !plain.starts_with("==> WARNING")
}

/// Whether a line (escape sequences stripped) reports an error.
pub fn is_error(plain: &str) -> bool {
    let lower = plain.to_ascii_lowercase();
    plain.starts_with("==> ERROR")
        || lower.starts_with("error")
        || lower.contains(" error:")
        || lower.contains(": error")
        || plain.starts_with("make: ***")
        || plain.contains("] Error ")
}

struct Line<'a> {
    n: u64,
    text: &'a str,
    stage: bool,
    error: bool,
}

fn classify(first: u64, lines: &[String]) -> Vec<Line<'_>> {
    lines
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let plain = strip_ansi(text);
            Line {
                n: first + i as u64,
                text,
                stage: is_stage(&plain),
                error: is_error(&plain),
            }
        })
        .collect()
}

fn line_markup(l: &Line<'_>) -> Markup {
    let class = match (l.stage, l.error) {
        (true, _) => "l stage",
        (false, true) => "l err",
        _ => "l",
    };
    html! {
        div class=(class) id={ "L" (l.n) } {
            a.n href={ "#L" (l.n) } { (l.n) }
            span.t { (render_ansi(l.text)) }
        }
    }
}

/// Lines rendered with stages folded; the first error line, if any.
pub fn render_lines(first: u64, lines: &[String]) -> (Markup, Option<u64>) {
    let classified = classify(first, lines);
    let first_error = classified.iter().find(|l| l.error).map(|l| l.n);
    let mut groups: Vec<(Option<&Line<'_>>, Vec<&Line<'_>>)> = vec![(None, Vec::new())];
    for l in &classified {
        if l.stage {
            groups.push((Some(l), Vec::new()));
        } else if let Some(g) = groups.last_mut() {
            g.1.push(l);
        }
    }
    let markup = html! {
        @for (head, body) in &groups {
            @if let Some(head) = head {
                details.section open {
                    summary { (line_markup(head)) }
                    @for l in body { (line_markup(l)) }
                }
            } @else {
                @for l in body { (line_markup(l)) }
            }
        }
    };
    (markup, first_error)
}

/// Lines rendered one after another (live updates; the page folds them).
fn render_flat(first: u64, lines: &[String]) -> Markup {
    let classified = classify(first, lines);
    html! { @for l in &classified { (line_markup(l)) } }
}

/// Where build `b`'s log is.
pub fn log_path(state: &AppState, b: &Build) -> PathBuf {
    b.log_path
        .as_ref()
        .map(PathBuf::from)
        .unwrap_or_else(|| state.dirs().log_path(b.id.0))
}

/// Reads build `id` or answers 404.
pub async fn find_build(state: &AppState, id: i64) -> Result<Build, WebError> {
    state
        .with_store(move |s| {
            s.build(BuildId(id))?
                .ok_or_else(|| WebError::NotFound(format!("no build {id}")))
        })
        .await
}

fn empty_chunk() -> Chunk {
    Chunk {
        start: 0,
        end: 0,
        first_line: 1,
        lines: Vec::new(),
        size: 0,
    }
}

/// Missing log files read as empty (a build that has not started).
fn or_empty<T>(r: std::io::Result<T>, empty: impl FnOnce() -> T) -> Result<T, WebError> {
    match r {
        Ok(v) => Ok(v),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(empty()),
        Err(e) => Err(e.into()),
    }
}

/// Query of the log page.
#[derive(Debug, Deserialize, Default)]
pub struct LogQuery {
    /// Search within the log.
    q: Option<String>,
    /// Show the lines around this one instead of the tail.
    around: Option<u64>,
}

/// `GET /builds/{id}/log`
pub async fn log_page(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(query): Query<LogQuery>,
) -> Result<Markup, PageError> {
    let build = find_build(&state, id).await?;
    let path = log_path(&state, &build);
    let running = !build.status.is_final();
    let around = query.around;
    let needle = query.q.clone().filter(|q| !q.trim().is_empty());
    let (chunk, hits) = AppState::blocking(move || {
        let chunk = match around {
            Some(n) => or_empty(logfile::read_around(&path, n, AROUND_LINES), empty_chunk)?,
            None => or_empty(logfile::tail(&path, TAIL_LINES, running), empty_chunk)?,
        };
        let hits = match &needle {
            Some(q) => or_empty(logfile::search(&path, q, SEARCH_LIMIT), Vec::new)?,
            None => Vec::new(),
        };
        Ok((chunk, hits))
    })
    .await?;
    let (lines, first_error) = render_lines(chunk.first_line, &chunk.lines);
    let next_line = chunk.first_line + chunk.lines.len() as u64;
    let title = format!("Log of build {id} ({})", build.name);
    Ok(page(
        &title,
        html! {
            h1 { "Log of build " a href={ "/builds/" (id) } { (id) } " " (build.name) " " (build.version) " " (status_badge(build.status)) }
            p.toolbar {
                a href={ "/builds/" (id) } { "build page" }
                " · "
                a href={ "/builds/" (id) "/log/raw" } download { "raw log" }
                " · "
                span #first-error-link {
                    @if let Some(n) = first_error {
                        a href={ "#L" (n) } { "first error: line " (n) }
                    } @else if let Some(m) = &build.message {
                        @if build.status == BuildStatus::Failed { "ended: " (m) }
                    }
                }
                " · " span #live-status { @if running { "following live…" } @else { (build.status) } }
            }
            form.search method="get" action={ "/builds/" (id) "/log" } {
                input type="search" name="q" placeholder="search this log" value=[query.q.as_deref()];
                button type="submit" { "Search" }
            }
            @if let Some(q) = query.q.as_deref().filter(|q| !q.trim().is_empty()) {
                section #log-search-results {
                    h2 { (hits.len()) @if hits.len() >= SEARCH_LIMIT { "+" } " lines match “" (q) "”" }
                    ul.hits {
                        @for (n, text) in &hits {
                            li { a href={ "?around=" (n) "#L" (n) } { "line " (n) } " " code { (render_ansi(text)) } }
                        }
                    }
                }
            }
            div #log data-build=(id) data-start=(chunk.start) data-offset=(chunk.end)
                data-next=(next_line) data-live=(running) data-around=[around] {
                @if chunk.start > 0 {
                    button #earlier type="button" { "Load earlier lines" }
                }
                @if chunk.lines.is_empty() && !running { p.empty { "This build has no log." } }
                div #lines { (lines) }
                @if around.is_some() && chunk.end < chunk.size {
                    p { a href={ "/builds/" (id) "/log" } { "Jump to the end of the log" } }
                }
            }
        },
    ))
}

/// Query of an earlier chunk.
#[derive(Debug, Deserialize)]
pub struct ChunkQuery {
    /// Byte offset the chunk ends at.
    end: u64,
    /// Lines wanted.
    lines: Option<usize>,
}

/// `GET /builds/{id}/log/chunk?end=` — earlier lines as an HTML fragment.
pub async fn chunk_fragment(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<ChunkQuery>,
) -> Result<Json<serde_json::Value>, crate::error::ApiError> {
    let chunk = read_chunk(&state, id, q.end, q.lines).await?;
    let (html, _) = render_lines(chunk.first_line, &chunk.lines);
    Ok(Json(serde_json::json!({
        "start": chunk.start,
        "end": chunk.end,
        "first_line": chunk.first_line,
        "html": html.into_string(),
    })))
}

/// The lines of build `id`'s log ending at byte `end`.
pub async fn read_chunk(
    state: &AppState,
    id: i64,
    end: u64,
    lines: Option<usize>,
) -> Result<Chunk, WebError> {
    let build = find_build(state, id).await?;
    let path = log_path(state, &build);
    let lines = lines.unwrap_or(CHUNK_LINES).clamp(1, 10 * CHUNK_LINES);
    AppState::blocking(move || or_empty(logfile::read_before(&path, end, lines), empty_chunk)).await
}

/// `GET /builds/{id}/log/raw` — the file as stored, streamed.
pub async fn raw(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let build = find_build(&state, id).await?;
    let path = log_path(&state, &build);
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => WebError::NotFound(format!("build {id} has no log")),
            _ => WebError::from(e),
        })?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"build-{id}.log\""),
            ),
        ],
        Body::from_stream(tokio_util::io::ReaderStream::new(file)),
    )
        .into_response())
}

/// Where a live follower starts.
#[derive(Debug, Deserialize)]
pub struct FollowQuery {
    /// Byte offset already shown.
    offset: Option<u64>,
    /// Number of the next line.
    line: Option<u64>,
}

/// `GET /builds/{id}/log/events` — new lines as server-sent events
/// (`lines` with `{html, offset, next_line}`), `end` with the final status,
/// `reload` when the file was replaced (capped at the end of the build).
pub async fn events(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<FollowQuery>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, PageError> {
    let build = find_build(&state, id).await?;
    let path = log_path(&state, &build);
    let (tx, rx) = mpsc::channel::<SseEvent>(16);
    tokio::spawn(follow(
        state,
        id,
        path,
        q.offset.unwrap_or(0),
        q.line.unwrap_or(1),
        tx,
    ));
    let stream =
        futures_util::stream::unfold(
            rx,
            |mut rx| async move { rx.recv().await.map(|e| (Ok(e), rx)) },
        );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

fn json_event(name: &str, value: serde_json::Value) -> SseEvent {
    SseEvent::default().event(name).data(value.to_string())
}

/// Sends what is appended to the log until the build is over (then what
/// is left, and `end`), or the client goes away.
async fn follow(
    state: AppState,
    id: i64,
    path: PathBuf,
    mut offset: u64,
    mut next_line: u64,
    tx: mpsc::Sender<SseEvent>,
) {
    let mut events = state.coordinator().map(|c| c.subscribe());
    let mut ended: Option<BuildStatus> = None;
    let mut last_check = tokio::time::Instant::now();
    loop {
        let p = path.clone();
        let complete = ended.is_none();
        let at = offset;
        let read = AppState::blocking(move || {
            or_empty(logfile::read_from(&p, at, LIVE_BATCH, complete), || {
                Some((Vec::new(), at))
            })
        })
        .await;
        let (lines, new_offset) = match read {
            Ok(Some(r)) => r,
            Ok(None) => {
                let _ = tx.send(json_event("reload", serde_json::json!({}))).await;
                return;
            }
            Err(e) => {
                tracing::warn!(build = id, error = %e, "following a log failed");
                return;
            }
        };
        let more = new_offset - offset >= LIVE_BATCH;
        if !lines.is_empty() {
            let html = render_flat(next_line, &lines).into_string();
            next_line += lines.len() as u64;
            offset = new_offset;
            let event = json_event(
                "lines",
                serde_json::json!({ "html": html, "offset": offset, "next_line": next_line }),
            );
            if tx.send(event).await.is_err() {
                return;
            }
        }
        if more {
            continue;
        }
        if let Some(status) = ended {
            let _ = tx
                .send(json_event(
                    "end",
                    serde_json::json!({ "status": status.as_str() }),
                ))
                .await;
            return;
        }
        let mut check = last_check.elapsed() >= Duration::from_secs(1);
        match events.as_mut() {
            Some(rx) => match tokio::time::timeout(Duration::from_secs(1), rx.recv()).await {
                Ok(Ok(Event::Build(b))) if b == id => check = true,
                Ok(Err(tokio::sync::broadcast::error::RecvError::Closed)) => events = None,
                _ => {}
            },
            None => tokio::time::sleep(POLL).await,
        }
        if tx.is_closed() {
            return;
        }
        if check {
            last_check = tokio::time::Instant::now();
            match find_build(&state, id).await {
                Ok(b) if b.status.is_final() => ended = Some(b.status),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(build = id, error = %e, "following a log failed");
                    return;
                }
            }
        }
    }
}

/// Indexes up to `limit` finished logs not indexed yet; returns how many.
pub fn index_pending_logs(
    store: &mut kiln_farm::store::Store,
    dirs: &kiln_farm::coordinator::Dirs,
    limit: usize,
) -> Result<usize, WebError> {
    let pending = store.unindexed_logs(limit)?;
    for (id, recorded) in &pending {
        let path = recorded
            .as_ref()
            .map(PathBuf::from)
            .unwrap_or_else(|| dirs.log_path(id.0));
        match logfile::lines(&path) {
            Ok(lines) => store.index_log(*id, lines)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                store.index_log(*id, std::iter::empty())?
            }
            Err(e) => return Err(e.into()),
        };
    }
    Ok(pending.len())
}

/// Query of the search across logs.
#[derive(Debug, Deserialize, Default)]
pub struct LogSearchQuery {
    /// Words to find.
    pub q: Option<String>,
}

/// Finished logs not yet indexed that one search indexes first.
pub const LAZY_INDEX_BATCH: usize = 50;

/// Searches every finished log (indexing pending ones first).
pub async fn search_all(
    state: &AppState,
    q: String,
) -> Result<Vec<kiln_farm::store::LogHit>, WebError> {
    let dirs = state.dirs().clone();
    state
        .with_store(move |s| {
            index_pending_logs(s, &dirs, LAZY_INDEX_BATCH)?;
            Ok(s.search_logs(&q, 200)?)
        })
        .await
}

/// `GET /logs/search?q=`
pub async fn search_page(
    State(state): State<AppState>,
    Query(query): Query<LogSearchQuery>,
) -> Result<Markup, PageError> {
    let q = query.q.unwrap_or_default();
    let hits = if q.trim().is_empty() {
        Vec::new()
    } else {
        search_all(&state, q.clone()).await?
    };
    Ok(page(
        "Search build logs",
        html! {
            h1 { "Search build logs" }
            form.search method="get" action="/logs/search" {
                input type="search" name="q" value=(q) placeholder="words in finished logs";
                button type="submit" { "Search" }
            }
            @if !q.trim().is_empty() {
                p { (hits.len()) " matching lines" }
                table.hits {
                    tr { th { "build" } th { "recipe" } th { "line" } th { "text" } }
                    @for h in &hits {
                        tr {
                            td { a href={ "/builds/" (h.build) } { (h.build) } }
                            td { (h.name) }
                            td { a href={ "/builds/" (h.build) "/log?around=" (h.line_no) "#L" (h.line_no) } { (h.line_no) } }
                            td { code { (h.text) } }
                        }
                    }
                }
            }
        },
    ))
}

/// Keeps the log index up to date while a coordinator runs here: each
/// build that ends has its log indexed.
pub fn spawn_indexer(state: AppState) {
    let Some(mut rx) = state.coordinator().map(|c| c.subscribe()) else {
        return;
    };
    tokio::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(Event::Build(_)) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    let dirs = state.dirs().clone();
                    if let Err(e) = state
                        .with_store(move |s| index_pending_logs(s, &dirs, LAZY_INDEX_BATCH))
                        .await
                    {
                        tracing::warn!(error = %e, "indexing finished logs failed");
                    }
                }
                Ok(Event::Log(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            }
        }
    });
}
