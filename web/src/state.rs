//! What every handler shares: the database path and a small pool of
//! connections (SQLite in WAL mode lets readers run beside the
//! coordinator's writer, so pages never wait on its mutex), the farm's
//! folders (logs, artifacts), the coordinator when it runs in this
//! process (for live events and endpoint load), and the API token.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kiln_farm::coordinator::{Coordinator, Dirs};
use kiln_farm::store::Store;

use crate::error::{ApiError, WebError};

/// Connections kept open for reuse.
const POOL_SIZE: usize = 8;

/// How the application is set up.
pub struct StateConfig {
    /// The database file.
    pub db: PathBuf,
    /// The farm's folders.
    pub dirs: Dirs,
    /// The coordinator, when it runs in this process.
    pub coordinator: Option<Arc<Coordinator>>,
    /// The bearer token for writes (and reads with `protect_reads`);
    /// `None` disables the write endpoints.
    pub token: Option<String>,
    /// Require the token for reads too.
    pub protect_reads: bool,
}

struct Inner {
    config: StateConfig,
    pool: Mutex<Vec<Store>>,
}

/// The state shared by handlers (cheap to clone).
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

impl AppState {
    /// The state for `config`.
    pub fn new(config: StateConfig) -> Self {
        AppState {
            inner: Arc::new(Inner {
                config,
                pool: Mutex::new(Vec::new()),
            }),
        }
    }

    /// The farm's folders.
    pub fn dirs(&self) -> &Dirs {
        &self.inner.config.dirs
    }

    /// The coordinator, when it runs in this process.
    pub fn coordinator(&self) -> Option<&Arc<Coordinator>> {
        self.inner.config.coordinator.as_ref()
    }

    fn take(&self) -> Result<Store, WebError> {
        let pooled = self
            .inner
            .pool
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop();
        match pooled {
            Some(s) => Ok(s),
            None => Ok(Store::open(&self.inner.config.db)?),
        }
    }

    fn give_back(&self, store: Store) {
        let mut pool = self.inner.pool.lock().unwrap_or_else(|p| p.into_inner());
        if pool.len() < POOL_SIZE {
            pool.push(store);
        }
    }

    /// Runs `f` with a connection on a blocking thread.
    pub async fn with_store<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, WebError> + Send + 'static,
    ) -> Result<T, WebError> {
        let state = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut store = state.take()?;
            let out = f(&mut store);
            state.give_back(store);
            out
        })
        .await
        .map_err(|e| WebError::Internal(format!("a store task failed: {e}")))?
    }

    /// Runs blocking file work on a blocking thread.
    pub async fn blocking<T: Send + 'static>(
        f: impl FnOnce() -> Result<T, WebError> + Send + 'static,
    ) -> Result<T, WebError> {
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| WebError::Internal(format!("a file task failed: {e}")))?
    }

    /// Whether `request` carries the configured bearer token.
    pub fn authorized(&self, headers: &axum::http::HeaderMap) -> bool {
        let Some(token) = &self.inner.config.token else {
            return false;
        };
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        constant_time_eq(given.trim().as_bytes(), token.as_bytes())
    }

    /// Checks a write request: a token must be configured and given.
    pub fn check_write(&self, headers: &axum::http::HeaderMap) -> Result<(), WebError> {
        if self.inner.config.token.is_none() {
            return Err(WebError::Forbidden(
                "writes are disabled: set web.token in kiln.toml or $KILN_TOKEN".into(),
            ));
        }
        if self.authorized(headers) {
            Ok(())
        } else {
            Err(WebError::Unauthorized)
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// With `protect_reads`, refuses reads (every GET but static assets)
/// without the token.
pub async fn guard_reads(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let open = !state.inner.config.protect_reads
        || request.method() != Method::GET
        || path.starts_with("/static/");
    if open || state.authorized(request.headers()) {
        return next.run(request).await;
    }
    if path.starts_with("/api/") || path == "/metrics" {
        ApiError(WebError::Unauthorized).into_response()
    } else {
        crate::error::PageError(WebError::Unauthorized).into_response()
    }
}
