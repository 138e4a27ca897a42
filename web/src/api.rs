//! The JSON API under `/api/v1`: everything the pages show, plus queueing
//! builds and rebuilds (bearer token). Errors are `{error, status}`.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use kiln_farm::planner::PlanOptions;
use kiln_farm::scheduler::{plan_advisory, plan_dependents, queue, queue_wave, QueueOptions};
use kiln_farm::store::BuildId;
use kiln_normalizer::mapping::Mappings;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{ApiError, WebError};
use crate::logview::{find_build, log_path, read_chunk, search_all, LogSearchQuery, TAIL_LINES};
use crate::pages::api_support::{
    advisories_and_waves, advisory_detail, parse_origin, read_overview, recipe_view,
    search_recipes, summary, wave_detail, RecipeQuery,
};
use crate::pages::{parse_filter, BuildsQuery};
use crate::state::AppState;

type ApiResult = Result<Json<Value>, ApiError>;

fn to_json(v: impl serde::Serialize) -> ApiResult {
    serde_json::to_value(v)
        .map(Json)
        .map_err(|e| ApiError(WebError::Internal(format!("encoding a response: {e}"))))
}

/// The API routes.
pub fn routes(_state: AppState) -> Router<AppState> {
    Router::new()
        .route("/overview", get(overview))
        .route("/builds", get(builds).post(queue_builds))
        .route("/builds/{id}", get(build))
        .route("/builds/{id}/log", get(log))
        .route("/builds/{id}/artifacts", get(artifacts))
        .route("/recipes", get(recipes))
        .route("/recipes/{origin}/{name}", get(recipe))
        .route("/compare", get(compare))
        .route("/advisories", get(advisories))
        .route("/advisories/{id}", get(advisory))
        .route("/waves", get(waves))
        .route("/waves/{id}", get(wave))
        .route("/logs/search", get(log_search))
        .route("/rebuilds", axum::routing::post(rebuilds))
        .fallback(|uri: axum::http::Uri| async move {
            ApiError(WebError::NotFound(format!(
                "no such endpoint {}",
                uri.path()
            )))
        })
}

async fn overview(State(state): State<AppState>) -> ApiResult {
    to_json(read_overview(&state).await?)
}

async fn builds(State(state): State<AppState>, Query(q): Query<BuildsQuery>) -> ApiResult {
    let filter = parse_filter(&q)?;
    let f = filter.clone();
    let (list, total) = state
        .with_store(move |s| Ok((s.builds(&f)?, s.count_builds(&f)?)))
        .await?;
    to_json(json!({
        "total": total,
        "page": q.page.unwrap_or(1).max(1),
        "per_page": filter.limit,
        "builds": list,
    }))
}

async fn build(State(state): State<AppState>, Path(id): Path<i64>) -> ApiResult {
    to_json(crate::pages::build_detail(&state, id).await?)
}

#[derive(Debug, Deserialize)]
struct LogQuery {
    /// Byte offset the chunk ends at (absent: the end of the log).
    end: Option<u64>,
    /// Lines wanted.
    lines: Option<usize>,
}

async fn log(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<LogQuery>,
) -> ApiResult {
    let chunk = match q.end {
        Some(end) => read_chunk(&state, id, end, q.lines).await?,
        None => {
            let b = find_build(&state, id).await?;
            let path = log_path(&state, &b);
            let running = !b.status.is_final();
            let lines = q.lines.unwrap_or(TAIL_LINES).clamp(1, 10 * TAIL_LINES);
            AppState::blocking(move || match crate::logfile::tail(&path, lines, running) {
                Ok(c) => Ok(c),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    Err(WebError::NotFound(format!("build {id} has no log yet")))
                }
                Err(e) => Err(e.into()),
            })
            .await?
        }
    };
    to_json(chunk)
}

async fn artifacts(State(state): State<AppState>, Path(id): Path<i64>) -> ApiResult {
    find_build(&state, id).await?;
    let list = state
        .with_store(move |s| Ok(s.artifacts_of(BuildId(id))?))
        .await?;
    let with_urls: Vec<Value> = list
        .into_iter()
        .map(|a| {
            let url = format!("/builds/{id}/artifacts/{}", crate::pages::encode(&a.name));
            json!({ "name": a.name, "sha256": a.sha256, "size": a.size, "files": a.files, "url": url })
        })
        .collect();
    to_json(with_urls)
}

async fn recipes(State(state): State<AppState>, Query(q): Query<RecipeQuery>) -> ApiResult {
    to_json(search_recipes(&state, q).await?)
}

fn recipe_json(r: &kiln_farm::store::StoredRecipe) -> Value {
    json!({ "origin": r.origin, "name": r.name, "version": r.version, "recipe": r.recipe })
}

async fn recipe(
    State(state): State<AppState>,
    Path((origin, name)): Path<(String, String)>,
) -> ApiResult {
    let v = recipe_view(&state, parse_origin(&origin)?, name).await?;
    to_json(json!({
        "recipe": recipe_json(&v.recipe),
        "counterpart": v.counterpart.as_ref().map(|(r, c)| json!({
            "recipe": recipe_json(r),
            "comparison": c,
        })),
        "translation": { "text": v.translation.text, "warnings": v.translation.warnings },
        "builds": v.builds,
    }))
}

async fn compare(State(state): State<AppState>) -> ApiResult {
    to_json(summary(&state).await?)
}

async fn advisories(State(state): State<AppState>) -> ApiResult {
    to_json(advisories_and_waves(&state).await?.0)
}

async fn advisory(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult {
    let (a, waves) = advisory_detail(&state, id).await?;
    to_json(json!({ "advisory": a, "waves": waves }))
}

async fn waves(State(state): State<AppState>) -> ApiResult {
    to_json(advisories_and_waves(&state).await?.1)
}

async fn wave(State(state): State<AppState>, Path(id): Path<i64>) -> ApiResult {
    to_json(wave_detail(&state, id).await?)
}

async fn log_search(State(state): State<AppState>, Query(q): Query<LogSearchQuery>) -> ApiResult {
    let q = q.q.unwrap_or_default();
    if q.trim().is_empty() {
        return Err(WebError::BadRequest("give words to search for in q".into()).into());
    }
    to_json(search_all(&state, q).await?)
}

fn parse_body<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, WebError> {
    serde_json::from_slice(body)
        .map_err(|e| WebError::BadRequest(format!("reading the JSON body: {e}")))
}

/// `POST /api/v1/builds` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QueueRequest {
    names: Vec<String>,
    origin: Option<String>,
    #[serde(default)]
    priority: i64,
}

async fn queue_builds(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    state.check_write(&headers)?;
    let req: QueueRequest = parse_body(&body)?;
    if req.names.is_empty() {
        return Err(WebError::BadRequest("names is empty".into()).into());
    }
    let origin = req.origin.as_deref().map(parse_origin).transpose()?;
    let queued = state
        .with_store(move |s| {
            Ok(queue(
                s,
                &req.names,
                &QueueOptions {
                    origin,
                    priority: req.priority,
                    ..QueueOptions::default()
                },
            )?)
        })
        .await?;
    tracing::info!(builds = queued.len(), "builds queued through the API");
    Ok((StatusCode::CREATED, Json(json!({ "queued": queued }))))
}

/// `POST /api/v1/rebuilds` body: `{name, dependents}` or `{advisory}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RebuildRequest {
    name: Option<String>,
    origin: Option<String>,
    #[serde(default)]
    dependents: bool,
    advisory: Option<String>,
    #[serde(default = "default_slots")]
    slots: usize,
}

fn default_slots() -> usize {
    2
}

async fn rebuilds(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    state.check_write(&headers)?;
    let req: RebuildRequest = parse_body(&body)?;
    let origin = req.origin.as_deref().map(parse_origin).transpose()?;
    let waves = state
        .with_store(move |s| {
            let options = PlanOptions::default();
            let slots = req.slots.max(1);
            let (plans, trigger, advisory) = match (&req.advisory, &req.name) {
                (Some(id), None) => {
                    let a = s
                        .advisory(id)?
                        .ok_or_else(|| WebError::NotFound(format!("no advisory {id:?}")))?;
                    let plans = plan_advisory(s, &a, Mappings::builtin(), options, slots)?;
                    (plans, format!("advisory {}", a.id), Some(a.id))
                }
                (None, Some(name)) => {
                    let r = s
                        .recipe_by_name(origin, name)?
                        .ok_or_else(|| WebError::NotFound(format!("no recipe {name:?}")))?;
                    let plan = if req.dependents {
                        plan_dependents(s, r.origin, std::slice::from_ref(&r.name), options, slots)?
                    } else {
                        let mut p = plan_dependents(s, r.origin, &[], options, slots)?;
                        p.changed = vec![r.name.clone()];
                        p.plan.waves = vec![vec![r.name.clone()]];
                        p.plan.longest_chain = vec![r.name.clone()];
                        p
                    };
                    (vec![plan], format!("rebuild {}", r.name), None)
                }
                _ => {
                    return Err(WebError::BadRequest(
                        "give either {name, dependents} or {advisory}".into(),
                    ))
                }
            };
            let mut out = Vec::new();
            for plan in &plans {
                let (wave, queued) = queue_wave(s, plan, &trigger, advisory.as_deref(), 0)?;
                out.push(json!({ "wave": wave, "queued": queued, "plan": plan }));
            }
            Ok(out)
        })
        .await?;
    tracing::info!(waves = waves.len(), "rebuild queued through the API");
    Ok((StatusCode::CREATED, Json(json!({ "waves": waves }))))
}
