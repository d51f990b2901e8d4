//! `aigate ledger serve`: the HTTP API under `/v1`.
//!
//! Plain HTTP on purpose: terminate TLS in the reverse proxy or load balancer in front of the
//! replicas. Every route except `GET /v1/health` needs a bearer token (see [`auth`]); writes need
//! an idempotency key; bodies are capped (413) and must be exactly the documented JSON (400
//! naming the problem, unknown fields included). The route table, [`routes`], is the single list
//! that both the router and the OpenAPI document ([`openapi`]) are checked against.

pub mod auth;
pub mod openapi;
mod routes;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use tokio::net::TcpListener;

use super::model::ApiError;
use super::store::{Store, StoreError};

/// Size limits of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body (413 above).
    pub body_bytes: usize,
    /// Largest `before` or `after` snippet of a correction (413 above).
    pub snippet_bytes: usize,
    /// Most corrections in one batch (400 above).
    pub batch_len: usize,
    /// Largest listing page.
    pub page_len: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body_bytes: 8 << 20,
            snippet_bytes: 64 << 10,
            batch_len: 256,
            page_len: 1000,
        }
    }
}

pub struct AppState<S> {
    pub store: Arc<S>,
    pub limits: Limits,
}

impl<S> Clone for AppState<S> {
    fn clone(&self) -> Self {
        AppState {
            store: Arc::clone(&self.store),
            limits: self.limits,
        }
    }
}

/// An error answer: a status and `{"error": "..."}`.
#[derive(Debug)]
pub struct Failure {
    pub status: StatusCode,
    pub message: String,
}

impl Failure {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Failure {
        Failure {
            status,
            message: message.into(),
        }
    }
    pub fn bad_request(message: impl Into<String>) -> Failure {
        Failure::new(StatusCode::BAD_REQUEST, message)
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Failure {
        let status = match e {
            StoreError::IdempotencyConflict(_) => StatusCode::CONFLICT,
            StoreError::Database(_) | StoreError::Connect { .. } | StoreError::Commit(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status != StatusCode::CONFLICT {
            tracing::error!("ledger store: {e}");
        }
        Failure::new(status, e.to_string())
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(ApiError { error: self.message })).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"aigate-ledger\""),
            );
        }
        response
    }
}

/// One route of the API.
pub struct Route<S> {
    pub method: Method,
    pub path: &'static str,
    handler: MethodRouter<AppState<S>>,
}

/// Every route the server answers: the router is built from this list, and the OpenAPI test
/// checks the document against it.
pub fn routes<S: Store>() -> Vec<Route<S>> {
    let route = |method, path, handler| Route { method, path, handler };
    vec![
        route(Method::GET, "/v1/health", get(routes::health::<S>)),
        route(Method::GET, "/v1/openapi.json", get(routes::openapi)),
        route(Method::POST, "/v1/runs", post(routes::post_run::<S>)),
        route(Method::GET, "/v1/runs", get(routes::list_runs::<S>)),
        route(Method::POST, "/v1/corrections", post(routes::post_corrections::<S>)),
        route(Method::GET, "/v1/corrections", get(routes::list_corrections::<S>)),
        route(Method::GET, "/v1/stats", get(routes::stats::<S>)),
        route(Method::POST, "/v1/tokens", post(routes::create_token::<S>)),
    ]
}

/// The ledger's HTTP application over `store`.
pub fn router<S: Store>(store: Arc<S>, limits: Limits) -> Router {
    let mut app = Router::new();
    for r in routes::<S>() {
        app = app.route(r.path, r.handler);
    }
    app.fallback(|| async {
        Failure::new(
            StatusCode::NOT_FOUND,
            "no such route: the API is described at GET /v1/openapi.json",
        )
    })
    .layer(DefaultBodyLimit::max(limits.body_bytes))
    .with_state(AppState { store, limits })
}

/// Serves until SIGINT or SIGTERM, then finishes the requests in flight.
pub async fn serve<S: Store>(store: Arc<S>, limits: Limits, listener: TcpListener) -> std::io::Result<()> {
    axum::serve(listener, router(store, limits))
        .with_graceful_shutdown(shutdown())
        .await
}

async fn shutdown() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}
