//! The overview: builds by status, what runs and waits, recent failures,
//! endpoint load when the coordinator runs here, and the last day's
//! activity as server-drawn charts.

use axum::extract::State;
use kiln_farm::store::{BuildFilter, BuildStatus};
use maud::{html, Markup};

use super::builds::builds_table;
use super::layout::{page, status_badge};
use crate::error::PageError;
use crate::state::AppState;
use crate::svg;

/// Everything the overview shows (also `/api/v1/overview`).
#[derive(Debug, serde::Serialize)]
pub struct Overview {
    /// Builds by status.
    pub counts: Vec<(BuildStatus, u64)>,
    /// Running (and leased) builds.
    pub running: Vec<kiln_farm::store::Build>,
    /// The latest queued builds.
    pub queued: Vec<kiln_farm::store::Build>,
    /// The latest failures.
    pub failures: Vec<kiln_farm::store::Build>,
    /// Builds per hour and queue depth over the last day.
    pub activity: Vec<kiln_farm::store::ActivityBucket>,
}

/// Reads the overview.
pub async fn read_overview(state: &AppState) -> Result<Overview, crate::WebError> {
    state
        .with_store(|s| {
            let list = |status, limit| BuildFilter {
                status: Some(status),
                limit,
                ..BuildFilter::default()
            };
            let mut running = s.builds(&list(BuildStatus::Running, 50))?;
            running.extend(s.builds(&list(BuildStatus::Leased, 50))?);
            let queued = s.builds(&list(BuildStatus::Queued, 20))?;
            Ok(Overview {
                counts: s.build_counts()?,
                running,
                queued,
                failures: s.builds(&list(BuildStatus::Failed, 20))?,
                activity: s.build_activity(3_600, 24)?,
            })
        })
        .await
}

/// `GET /`
pub async fn overview(State(state): State<AppState>) -> Result<Markup, PageError> {
    let o = read_overview(&state).await?;
    let load = state.coordinator().map(|c| c.endpoint_load());
    Ok(page(
        "Overview",
        html! {
            h1 { "Build farm" }
            ul.counts #counts {
                @for s in BuildStatus::ALL {
                    @let n = o.counts.iter().find(|(c, _)| *c == s).map_or(0, |c| c.1);
                    li { a href={ "/builds?status=" (s.as_str()) } { (status_badge(s)) " " strong { (n) } } }
                }
            }
            @if let Some(load) = &load {
                h2 { "Endpoints" }
                ul { @for (name, used, slots) in load { li { (name) ": " (used) " of " (slots) " slots in use" } } }
            }
            div.charts {
                (svg::builds_per_hour(&o.activity))
                (svg::queue_depth(&o.activity))
            }
            h2 { "Running" }
            @if o.running.is_empty() { p.empty { "Nothing runs." } } @else { (builds_table(&o.running)) }
            h2 { "Queued (latest 20)" }
            @if o.queued.is_empty() { p.empty { "The queue is empty." } } @else { (builds_table(&o.queued)) }
            h2 { "Recent failures" }
            @if o.failures.is_empty() { p.empty { "No failures." } } @else { (builds_table(&o.failures)) }
        },
    ))
}
