//! `GET /openapi.json`: the OpenAPI 3 document of the whole REST surface, generated from the
//! handlers' annotations and body types.

use axum::routing::get;
use axum::{Json, Router};
use utoipa::OpenApi;

use super::RestState;

pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = super::emporix::ApiDoc::openapi();
    doc.merge(super::xpander::ApiDoc::openapi());
    doc.info.title = "agentport REST API".to_owned();
    doc.info.description = Some(
        "The Emporix AI Service (agents, import/export, jobs) and xpander (agents, templates, knowledge) \
         dialects of agentport. Extensions of agentport are marked `x-agentport-extension`."
            .to_owned(),
    );
    doc
}

pub fn router() -> Router<RestState> {
    Router::new().route("/openapi.json", get(|| async { Json(document()) }))
}
