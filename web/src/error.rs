//! The web layer's one error type. Under `/api` it is answered as JSON
//! `{error, status}`, elsewhere as a small HTML page; either way it is
//! logged once, here, where it becomes a response.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kiln_farm::store::StoreError;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// Nothing at that address.
    #[error("{0}")]
    NotFound(String),
    /// The request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// No valid bearer token.
    #[error("a valid bearer token is required")]
    Unauthorized,
    /// Writes are not enabled.
    #[error("{0}")]
    Forbidden(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Anything else on the server side.
    #[error("{0}")]
    Internal(String),
}

impl WebError {
    /// The HTTP status it is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::Unauthorized => StatusCode::UNAUTHORIZED,
            WebError::Forbidden(_) => StatusCode::FORBIDDEN,
            WebError::Store(_) | WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn log(&self) {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(status = status.as_u16(), error = %format!("{self:#}"), "request failed");
        } else {
            tracing::debug!(status = status.as_u16(), error = %self, "request refused");
        }
    }
}

impl From<std::io::Error> for WebError {
    fn from(e: std::io::Error) -> Self {
        WebError::Internal(format!("reading a file: {e}"))
    }
}

impl From<kiln_farm::scheduler::QueueError> for WebError {
    fn from(e: kiln_farm::scheduler::QueueError) -> Self {
        match e {
            kiln_farm::scheduler::QueueError::NoSuchRecipe(name) => {
                WebError::NotFound(format!("no recipe {name:?} in the store"))
            }
            kiln_farm::scheduler::QueueError::Store(s) => WebError::Store(s),
        }
    }
}

/// An error answered as JSON (`/api`).
#[derive(Debug)]
pub struct ApiError(pub WebError);

impl<E: Into<WebError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.log();
        let status = self.0.status();
        let body = serde_json::json!({ "error": self.0.to_string(), "status": status.as_u16() });
        (status, axum::Json(body)).into_response()
    }
}

/// An error answered as an HTML page.
#[derive(Debug)]
pub struct PageError(pub WebError);

impl<E: Into<WebError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        self.0.log();
        let status = self.0.status();
        let title = status.canonical_reason().unwrap_or("error");
        let page = crate::pages::layout::page(
            title,
            maud::html! {
                h1 { (status.as_u16()) " " (title) }
                p.error { (self.0.to_string()) }
            },
        );
        (status, page).into_response()
    }
}
