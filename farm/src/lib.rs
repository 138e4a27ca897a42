//! Kiln's build farm: the SQLite store of recipes, builds, logs and
//! artifacts; the build queue and its scheduler; the rebuild planner.
//!
//! This crate is synchronous; async callers use `spawn_blocking`. Every SQL
//! statement of the project lives in its [`store`] module.

pub mod advisory;
pub mod compare;
pub mod config;
pub mod coordinator;
pub mod import;
pub mod log_index;
pub mod planner;
pub mod scheduler;
pub mod sources;
pub mod store;
