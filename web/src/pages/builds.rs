//! The builds list (filters by status, origin, recipe and time, with
//! pagination), the build page (status, timings, endpoint, what it was
//! built against, artifacts with their files, the end of its log) and
//! artifact downloads from the content-addressed artifact store.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use kiln_farm::store::{Build, BuildFilter, BuildId, BuildStatus};
use kiln_normalizer::Origin;
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{duration, opt_time, page, status_badge, time};
use crate::error::{PageError, WebError};
use crate::logview::{find_build, log_path, render_lines};
use crate::state::AppState;

/// Builds per page.
pub const PAGE_SIZE: usize = 100;

/// Lines of the log shown on the build page.
const PREVIEW_LINES: usize = 60;

/// Filters of the builds list (pages and API).
#[derive(Debug, Deserialize, Default, Clone)]
pub struct BuildsQuery {
    /// A status name.
    pub status: Option<String>,
    /// `arch` or `guix`.
    pub origin: Option<String>,
    /// A recipe name.
    pub name: Option<String>,
    /// Queued within: `1h`, `24h`, `7d`, or Unix seconds.
    pub since: Option<String>,
    /// Page, from 1.
    pub page: Option<usize>,
    /// Builds per page (API; at most 1000).
    pub per_page: Option<usize>,
}

fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Parses a `since` value: a relative span (`30m`, `24h`, `7d`) or Unix
/// seconds.
fn parse_since(s: &str, now: i64) -> Option<i64> {
    let (num, unit) = s.split_at(s.len().saturating_sub(1));
    let mult = match unit {
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return s.parse().ok(),
    };
    num.parse::<i64>().ok().map(|n| now - n * mult)
}

/// The store filter for a query; 400 on unknown values.
pub fn parse_filter(q: &BuildsQuery) -> Result<BuildFilter, WebError> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    let per_page = q.per_page.unwrap_or(PAGE_SIZE).clamp(1, 1_000);
    Ok(BuildFilter {
        status: nonempty(&q.status)
            .map(|s| {
                BuildStatus::from_name(s)
                    .ok_or_else(|| WebError::BadRequest(format!("unknown status {s:?}")))
            })
            .transpose()?,
        origin: nonempty(&q.origin)
            .map(|o| match o {
                "arch" => Ok(Origin::Arch),
                "guix" => Ok(Origin::Guix),
                _ => Err(WebError::BadRequest(format!("unknown origin {o:?}"))),
            })
            .transpose()?,
        name: nonempty(&q.name).map(str::to_owned),
        wave: None,
        since: nonempty(&q.since)
            .map(|s| {
                parse_since(s, now)
                    .ok_or_else(|| WebError::BadRequest(format!("cannot read since={s:?}")))
            })
            .transpose()?,
        limit: per_page,
        offset: (q.page.unwrap_or(1).max(1) - 1) * per_page,
    })
}

fn took(b: &Build) -> String {
    match (b.started_at, b.finished_at) {
        (Some(s), Some(f)) => duration(f - s),
        (Some(_), None) => "running".into(),
        _ => "–".into(),
    }
}

/// A table of builds.
pub fn builds_table(builds: &[Build]) -> Markup {
    html! {
        table.builds {
            thead { tr { th { "#" } th { "status" } th { "recipe" } th { "version" } th { "queued" } th { "took" } th { "endpoint" } th { "message" } } }
            tbody {
                @for b in builds {
                    tr {
                        td { a href={ "/builds/" (b.id) } { (b.id) } }
                        td { (status_badge(b.status)) }
                        td { a href={ "/recipes/" (b.origin.as_str()) "/" (b.name) } { (b.origin.as_str()) "/" (b.name) } }
                        td { (b.version) }
                        td.time { (time(b.queued_at)) }
                        td { (took(b)) }
                        td { (b.endpoint.as_deref().unwrap_or("")) }
                        td.msg { (b.message.as_deref().unwrap_or("")) }
                    }
                }
            }
        }
    }
}

fn query_string(q: &BuildsQuery, page: usize) -> String {
    let mut parts = Vec::new();
    for (k, v) in [
        ("status", &q.status),
        ("origin", &q.origin),
        ("name", &q.name),
        ("since", &q.since),
    ] {
        if let Some(v) = nonempty(v) {
            parts.push(format!("{k}={}", encode(v)));
        }
    }
    parts.push(format!("page={page}"));
    parts.join("&")
}

/// Percent-encodes a query value.
pub fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `GET /builds`
pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<BuildsQuery>,
) -> Result<Markup, PageError> {
    let filter = parse_filter(&q)?;
    let (builds, total) = {
        let filter = filter.clone();
        state
            .with_store(move |s| Ok((s.builds(&filter)?, s.count_builds(&filter)?)))
            .await?
    };
    let page_no = q.page.unwrap_or(1).max(1);
    let pages = (total as usize).div_ceil(filter.limit).max(1);
    let selected = |v: &Option<String>, x: &str| nonempty(v) == Some(x);
    Ok(page(
        "Builds",
        html! {
            h1 { "Builds" }
            form.filters method="get" action="/builds" {
                label { "status " select name="status" {
                    option value="" { "any" }
                    @for s in BuildStatus::ALL { option value=(s.as_str()) selected[selected(&q.status, s.as_str())] { (s.as_str()) } }
                } }
                label { " origin " select name="origin" {
                    option value="" { "any" }
                    @for o in ["arch", "guix"] { option value=(o) selected[selected(&q.origin, o)] { (o) } }
                } }
                label { " recipe " input type="text" name="name" value=[nonempty(&q.name)]; }
                label { " queued within " select name="since" {
                    option value="" { "any time" }
                    @for (v, l) in [("1h", "1 hour"), ("24h", "24 hours"), ("7d", "7 days"), ("30d", "30 days")] {
                        option value=(v) selected[selected(&q.since, v)] { (l) }
                    }
                } }
                " " button type="submit" { "Filter" }
            }
            p.count { (total) " builds · page " (page_no) " of " (pages) }
            (builds_table(&builds))
            nav.pager {
                @if page_no > 1 { a rel="prev" href={ "/builds?" (query_string(&q, page_no - 1)) } { "← newer" } }
                @if page_no < pages { " " a rel="next" href={ "/builds?" (query_string(&q, page_no + 1)) } { "older →" } }
            }
        },
    ))
}

/// Everything the build page shows.
#[derive(Debug, serde::Serialize)]
pub struct BuildDetail {
    /// The build.
    pub build: Build,
    /// What it was built against.
    pub inputs: Vec<kiln_farm::store::BuildInput>,
    /// What it produced.
    pub artifacts: Vec<kiln_farm::store::ArtifactRecord>,
    /// The builds it waits (waited) on.
    pub waits_on: Vec<BuildId>,
}

/// Reads build `id` with its inputs, artifacts and waits.
pub async fn build_detail(state: &AppState, id: i64) -> Result<BuildDetail, WebError> {
    state
        .with_store(move |s| {
            let id = BuildId(id);
            let build = s
                .build(id)?
                .ok_or_else(|| WebError::NotFound(format!("no build {id}")))?;
            Ok(BuildDetail {
                build,
                inputs: s.build_inputs(id)?,
                artifacts: s.artifacts_of(id)?,
                waits_on: s.build_waits(id)?,
            })
        })
        .await
}

/// `GET /builds/{id}`
pub async fn build_page(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Markup, PageError> {
    let d = build_detail(&state, id).await?;
    let b = &d.build;
    let path = log_path(&state, b);
    let running = !b.status.is_final();
    let preview =
        AppState::blocking(
            move || match crate::logfile::tail(&path, PREVIEW_LINES, running) {
                Ok(c) => Ok(Some(c)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e.into()),
            },
        )
        .await?;
    Ok(page(
        &format!("Build {id}"),
        html! {
            h1 { "Build " (b.id) " " a href={ "/recipes/" (b.origin.as_str()) "/" (b.name) } { (b.origin.as_str()) "/" (b.name) } " " (b.version) " " (status_badge(b.status)) }
            dl.facts {
                dt { "status" } dd #build-status { (b.status) }
                @if let Some(m) = &b.message { dt { "message" } dd { (m) } }
                dt { "queued" } dd { (time(b.queued_at)) }
                dt { "started" } dd { (opt_time(b.started_at)) }
                dt { "finished" } dd { (opt_time(b.finished_at)) }
                dt { "took" } dd { (took(b)) }
                dt { "endpoint" } dd { (b.endpoint.as_deref().unwrap_or("–")) }
                dt { "attempts" } dd { (b.attempts) }
                @if let Some(c) = b.exit_code { dt { "exit code" } dd { (c) } }
                @if let Some(c) = b.cause { dt { "cause" } dd { a href={ "/builds/" (c) } { "build " (c) } } }
                @if let Some(w) = b.wave { dt { "wave" } dd { a href={ "/waves/" (w) } { "wave " (w) } } }
                @if !d.waits_on.is_empty() {
                    dt { "waits on" } dd { @for w in &d.waits_on { a href={ "/builds/" (w) } { (w) } " " } }
                }
            }
            h2 { "Built against" }
            @if d.inputs.is_empty() { p.empty { "No dependency versions recorded." } } @else {
                table { tr { th { "dependency" } th { "version" } th { "from build" } th { "artifact" } }
                    @for i in &d.inputs { tr {
                        td { (i.name) } td { (i.version) }
                        td { @if let Some(b) = i.build { a href={ "/builds/" (b) } { (b) } } }
                        td.hash { (i.artifact_sha256.as_deref().unwrap_or("")) }
                    } }
                }
            }
            h2 { "Artifacts" }
            @if d.artifacts.is_empty() { p.empty { "No artifacts." } }
            @for a in &d.artifacts {
                details.artifact {
                    summary {
                        a.download href={ "/builds/" (b.id) "/artifacts/" (super::builds::encode(&a.name)) } { (a.name) }
                        " · " (a.size) " bytes · " span.hash { (a.sha256) } " · " (a.files.len()) " files"
                    }
                    ul.files { @for f in &a.files { li { code { (f) } } } }
                }
            }
            h2 { "Log " a href={ "/builds/" (b.id) "/log" } { "(full log" @if running { ", live" } ")" } }
            @match &preview {
                Some(c) if !c.lines.is_empty() => {
                    @if c.start > 0 { p { "… " a href={ "/builds/" (b.id) "/log" } { "earlier lines" } } }
                    div.log.preview { (render_lines(c.first_line, &c.lines).0) }
                }
                _ => { p.empty { "No log yet." } }
            }
        },
    ))
}

/// `GET /builds/{id}/artifacts/{name}` — the package file, streamed from
/// the artifact store.
pub async fn artifact_download(
    State(state): State<AppState>,
    Path((id, name)): Path<(i64, String)>,
) -> Result<Response, PageError> {
    find_build(&state, id).await?;
    let artifacts = state
        .with_store(move |s| Ok(s.artifacts_of(BuildId(id))?))
        .await?;
    let a = artifacts
        .into_iter()
        .find(|a| a.name == name)
        .ok_or_else(|| WebError::NotFound(format!("build {id} has no artifact {name:?}")))?;
    let path = state.dirs().artifacts.get(&a.sha256).ok_or_else(|| {
        WebError::NotFound(format!("{} is missing from the artifact store", a.name))
    })?;
    let file = tokio::fs::File::open(&path).await.map_err(WebError::from)?;
    let safe_name: String = a
        .name
        .chars()
        .map(|c| {
            if c == '"' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{safe_name}\""),
            ),
        ],
        Body::from_stream(tokio_util::io::ReaderStream::new(file)),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_reads_spans_and_seconds() {
        assert_eq!(parse_since("2h", 10_000), Some(10_000 - 7_200));
        assert_eq!(parse_since("7d", 1_000_000), Some(1_000_000 - 604_800));
        assert_eq!(parse_since("12345", 0), Some(12_345));
        assert_eq!(parse_since("soon", 0), None);
    }
}
