//! The REST shim: the two documented HTTP dialects, served on the gRPC listener. Every route
//! calls the same gRPC adapter method a gRPC client reaches, in-process, so validation,
//! authorization, audit lines and jobs exist once; handlers only translate bodies and errors.

pub mod call;
pub(crate) mod emporix;
mod fallback;
mod openapi;
pub(crate) mod stream;
pub(crate) mod xpander;

use std::sync::Arc;

use axum::Router;

use crate::auth::Authorizer;
use crate::grpc::{AgentServiceAdapter, JobServiceAdapter, TemplateServiceAdapter};

/// What the handlers call.
#[derive(Clone)]
pub struct RestState {
    pub agents: Arc<AgentServiceAdapter>,
    pub jobs: Arc<JobServiceAdapter>,
    pub templates: Arc<TemplateServiceAdapter>,
    pub signing: Arc<crate::grpc::SigningServiceAdapter>,
    pub auth: Authorizer,
    /// Tenant of xpander-dialect calls (whose paths name none) when the credentials name none.
    pub default_tenant: String,
}

/// Renders an error raised around the handlers (a passed deadline, a server that is not ready)
/// in the dialect of the request's path.
pub fn render_error(path: &str, err: crate::error::Error) -> axum::response::Response {
    if path.starts_with("/v1/") { xpander::error_response(err) } else { emporix::error_response(err) }
}

/// Every REST route, plus `GET /openapi.json`; a known path asked with another method is a 405
/// in its dialect.
pub fn router(state: RestState) -> Router {
    Router::new()
        .merge(emporix::router())
        .merge(xpander::router())
        .merge(openapi::router())
        .method_not_allowed_fallback(fallback::method_not_allowed)
        .with_state(state)
}

/// Answers what no route takes (gRPC: UNIMPLEMENTED; HTTP: 404 in the path's dialect).
pub use fallback::not_found as unknown_route;
