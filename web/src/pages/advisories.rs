//! Advisories and rebuild waves: the list of advisories and waves, an
//! advisory's page (what it affects, the waves it started), and a wave's
//! page (progress, and its builds as a graph layered by wave).

use axum::extract::{Path, State};
use kiln_farm::advisory::Advisory;
use kiln_farm::store::{Build, BuildFilter, BuildId, Wave};
use maud::{html, Markup};

use super::builds::builds_table;
use super::layout::{page, time};
use crate::error::{PageError, WebError};
use crate::state::AppState;
use crate::svg;

/// Every advisory and wave.
pub async fn advisories_and_waves(
    state: &AppState,
) -> Result<(Vec<Advisory>, Vec<Wave>), WebError> {
    state
        .with_store(|s| Ok((s.advisories()?, s.waves()?)))
        .await
}

/// `GET /advisories`
pub async fn list(State(state): State<AppState>) -> Result<Markup, PageError> {
    let (advisories, waves) = advisories_and_waves(&state).await?;
    Ok(page(
        "Advisories",
        html! {
            h1 { "Advisories" }
            @if advisories.is_empty() { p.empty { "No advisories imported." } }
            table {
                @for a in &advisories {
                    tr {
                        td { a href={ "/advisories/" (super::builds::encode(&a.id)) } { (a.id) } }
                        td { (a.severity.as_deref().unwrap_or("")) }
                        td { (a.status.as_deref().unwrap_or("")) }
                        td { (a.summary.as_deref().unwrap_or("")) }
                        td { @for p in &a.affected { (p.name) " " } }
                    }
                }
            }
            h2 { "Rebuild waves" }
            (waves_table(&waves))
        },
    ))
}

fn waves_table(waves: &[Wave]) -> Markup {
    html! {
        @if waves.is_empty() { p.empty { "No rebuild waves." } }
        table {
            @for w in waves {
                tr {
                    td { a href={ "/waves/" (w.id) } { "wave " (w.id) } }
                    td { (w.trigger) }
                    td { (w.origin) }
                    td { (time(w.created_at)) }
                }
            }
        }
    }
}

/// An advisory with the waves it started.
pub async fn advisory_detail(
    state: &AppState,
    id: String,
) -> Result<(Advisory, Vec<Wave>), WebError> {
    state
        .with_store(move |s| {
            let a = s
                .advisory(&id)?
                .ok_or_else(|| WebError::NotFound(format!("no advisory {id:?}")))?;
            let waves = s
                .waves()?
                .into_iter()
                .filter(|w| w.advisory.as_deref() == Some(a.id.as_str()))
                .collect();
            Ok((a, waves))
        })
        .await
}

/// `GET /advisories/{id}`
pub async fn advisory_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Markup, PageError> {
    let (a, waves) = advisory_detail(&state, id).await?;
    Ok(page(
        &a.id,
        html! {
            h1 { (a.id) }
            @if let Some(s) = &a.summary { p { (s) } }
            dl.facts {
                dt { "severity" } dd { (a.severity.as_deref().unwrap_or("–")) }
                dt { "status" } dd { (a.status.as_deref().unwrap_or("–")) }
                dt { "aliases" } dd { (a.aliases.join(", ")) }
            }
            h2 { "Affected" }
            table {
                tr { th { "ecosystem" } th { "package" } th { "ranges" } }
                @for p in &a.affected {
                    tr {
                        td { (p.ecosystem) }
                        td { (p.name) }
                        td { @for r in &p.ranges {
                            (r.introduced.as_deref().unwrap_or("0")) " … "
                            @if let Some(f) = &r.fixed { "fixed in " (f) } @else if let Some(l) = &r.last_affected { "last " (l) }
                            br;
                        } }
                    }
                }
            }
            @if !a.problems.is_empty() { h2 { "Not understood" } ul { @for p in &a.problems { li { (p) } } } }
            h2 { "Rebuild waves" }
            (waves_table(&waves))
        },
    ))
}

/// A wave with its builds and the waits between them.
#[derive(Debug, serde::Serialize)]
pub struct WaveDetail {
    /// The wave.
    pub wave: Wave,
    /// Its builds.
    pub builds: Vec<Build>,
    /// `(build, waits on)`.
    pub edges: Vec<(BuildId, BuildId)>,
}

/// Reads wave `id`.
pub async fn wave_detail(state: &AppState, id: i64) -> Result<WaveDetail, WebError> {
    state
        .with_store(move |s| {
            let wave = s
                .wave(id)?
                .ok_or_else(|| WebError::NotFound(format!("no wave {id}")))?;
            let mut builds = s.builds(&BuildFilter {
                wave: Some(id),
                ..BuildFilter::default()
            })?;
            builds.reverse();
            Ok(WaveDetail {
                wave,
                builds,
                edges: s.wave_edges(id)?,
            })
        })
        .await
}

/// `GET /waves/{id}`
pub async fn wave_page(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Markup, PageError> {
    let d = wave_detail(&state, id).await?;
    let done = d.builds.iter().filter(|b| b.status.is_final()).count();
    Ok(page(
        &format!("Wave {id}"),
        html! {
            h1 { "Wave " (id) ": " (d.wave.trigger) }
            p { (d.wave.origin) " · created " (time(d.wave.created_at))
                @if let Some(a) = &d.wave.advisory { " · advisory " a href={ "/advisories/" (super::builds::encode(a)) } { (a) } } }
            // Refreshed in place by app.js while the wave is not over.
            div #wave-live data-live=(if done < d.builds.len() { "wave" } else { "over" }) {
                p #wave-progress { (done) " of " (d.builds.len()) " builds over" }
                (svg::progress(&d.builds))
                h2 { "Graph" }
                div.graph-wrap { (svg::wave_graph(&d.builds, &d.edges)) }
                h2 { "Builds" }
                (builds_table(&d.builds))
            }
        },
    ))
}
