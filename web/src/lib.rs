//! Kiln's web dashboard and JSON API: builds, live logs, artifacts, recipes
//! and comparisons, served by axum. Handlers call the farm, never SQL.
//!
//! - `state`: what handlers share (database path and a small pool of read
//!   connections, the farm's folders, the coordinator when one runs here,
//!   the API token).
//! - `error`: one error type, answered as JSON under `/api` and as a page
//!   elsewhere, logged once.
//! - `ansi`, `logfile`, `logview`: reading logs from disk without loading
//!   them whole, rendering them (ANSI colours, permalinks, folded makepkg
//!   stages, the first error) and following them live over SSE.
//! - `pages`: the server-rendered HTML (maud), `svg`: charts and graphs
//!   drawn on the server, `api`: `/api/v1`, `metrics`: `/metrics`.

mod ansi;
mod api;
mod assets;
mod error;
mod logfile;
mod logview;
mod metrics;
mod pages;
mod state;
mod svg;

use std::future::Future;

use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;

pub use ansi::{render_ansi, strip_ansi};
pub use error::WebError;
pub use logfile::{read_before, read_from, tail, Chunk};
pub use state::{AppState, StateConfig};

/// The whole application: pages, static assets, `/api/v1`, `/metrics`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(pages::routes())
        .nest("/api/v1", api::routes(state.clone()))
        .route("/metrics", get(metrics::metrics))
        .route("/static/{file}", get(assets::asset))
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            state::guard_reads,
        ))
        .with_state(state)
}

/// Serves the application on `listener` until `shutdown` resolves.
pub async fn serve_on(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    logview::spawn_indexer(state.clone());
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Binds `addr` and serves the application until `shutdown` resolves.
pub async fn serve(
    addr: &str,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = TcpListener::bind(addr).await.map_err(|e| {
        std::io::Error::new(e.kind(), format!("binding the web server to {addr}: {e}"))
    })?;
    tracing::info!(address = %addr, "web dashboard listening");
    serve_on(listener, state, shutdown).await
}
