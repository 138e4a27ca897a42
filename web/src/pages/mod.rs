//! The server-rendered HTML pages (maud) and their routes.
//!
//! - `layout`: the page frame and shared pieces.
//! - `overview`: `/` with counts, running and queued builds, recent
//!   failures and the activity charts.
//! - `builds`: the builds list, the build page and artifact downloads.
//! - `recipes`: recipe search, the recipe page, the comparison summary.
//! - `advisories`: advisories and rebuild waves.

mod advisories;
mod builds;
pub mod layout;
mod overview;
mod recipes;

use axum::routing::get;
use axum::Router;

pub use builds::{build_detail, encode, parse_filter, BuildsQuery};

/// What the API shares with the pages: the same reads, as data.
pub mod api_support {
    pub use super::advisories::{advisories_and_waves, advisory_detail, wave_detail};
    pub use super::overview::read_overview;
    pub use super::recipes::{parse_origin, recipe_view, search_recipes, summary, RecipeQuery};
}

use crate::error::{PageError, WebError};
use crate::logview;
use crate::state::AppState;

/// The page routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(overview::overview))
        .route("/builds", get(builds::list))
        .route("/builds/{id}", get(builds::build_page))
        .route(
            "/builds/{id}/artifacts/{name}",
            get(builds::artifact_download),
        )
        .route("/builds/{id}/log", get(logview::log_page))
        .route("/builds/{id}/log/raw", get(logview::raw))
        .route("/builds/{id}/log/chunk", get(logview::chunk_fragment))
        .route("/builds/{id}/log/events", get(logview::events))
        .route("/logs/search", get(logview::search_page))
        .route("/recipes", get(recipes::search))
        .route("/recipes/{origin}/{name}", get(recipes::recipe_page))
        .route("/compare", get(recipes::compare_page))
        .route("/advisories", get(advisories::list))
        .route("/advisories/{id}", get(advisories::advisory_page))
        .route("/waves/{id}", get(advisories::wave_page))
}

/// Anything else.
pub async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    use axum::response::IntoResponse;
    if uri.path().starts_with("/api/") {
        crate::error::ApiError(WebError::NotFound(format!(
            "no such endpoint {}",
            uri.path()
        )))
        .into_response()
    } else {
        PageError(WebError::NotFound(format!("nothing at {}", uri.path()))).into_response()
    }
}
