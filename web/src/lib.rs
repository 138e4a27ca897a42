//! Kiln's web dashboard and JSON API: builds, live logs, artifacts, recipes
//! and comparisons, served by axum. Handlers call the farm, never SQL.
