//! The xpander dialect under `/v1`: snake_case JSON, `x-api-key` (or bearer) credentials,
//! `page` / `per_page` envelopes and FastAPI-style 422 bodies. Paths name no tenant: it is the
//! one the credentials are bound to (or, with authentication off, the `x-agentport-tenant`
//! header, else the configured default). Every route calls the gRPC adapter method a gRPC client
//! reaches; handlers only translate.

mod agent_in;
mod agent_out;
#[cfg(test)]
mod agent_tests;
mod agents;
mod content;
mod dto;
mod enums;
pub(crate) mod fuzz_entry;
mod http;
mod knowledge;
mod templates;
use crate::domain::wire;

use axum::Router;
use axum::routing::{get, post};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::RestState;

#[derive(OpenApi)]
#[openapi(
    paths(
        agents::list_agents,
        agents::list_agents_full,
        agents::create_agent,
        agents::get_agent,
        agents::update_agent,
        agents::deploy_agent,
        agents::delete_agent,
        agents::export_agent,
        agents::import_agent,
        knowledge::list_knowledge_bases,
        knowledge::create_knowledge_base,
        knowledge::get_knowledge_base,
        knowledge::update_knowledge_base,
        knowledge::delete_knowledge_base,
        knowledge::list_documents,
        knowledge::add_documents,
        knowledge::get_document,
        knowledge::delete_document,
        content::upload_document,
        content::download_content,
        templates::list_templates,
        templates::get_template,
        templates::delete_template,
    ),
    components(schemas(
        dto::ExportAgentRequest,
        dto::AgentTemplate,
        dto::AiAgent,
        dto::MinimalAiAgent,
        dto::Instructions,
        dto::Connector,
        dto::AgentKnowledgeBase,
        dto::AgentBuilderCreateAgentRequest,
        dto::AiAgentSourceNode,
        dto::AiAgentGraphItem,
        dto::AiAgentGraphItemLlmSettings,
        dto::CreateManagedKnowledgeBaseRequest,
        dto::KnowledgeBaseItem,
        dto::AddDocumentsRequest,
        dto::KbDocumentItem,
        dto::KbDocumentFull,
        dto::LocItem,
        dto::ValidationError,
        dto::HttpValidationError,
        dto::ErrorDetail,
        dto::MinimalAgentPage,
        dto::AgentPage,
        dto::KnowledgeBasePage,
        dto::DocumentPage,
        dto::TemplatePage,
    )),
    modifiers(&Security),
    tags(
        (name = "API v1", description = "xpander.ai API v1"),
        (name = "Agents", description = "xpander agents"),
        (name = "Agents CRUD", description = "Create, read, update, deploy and delete xpander agents"),
        (name = "Agents Import/Export", description = "Agent templates"),
        (name = "Knowledge", description = "Knowledge bases"),
        (name = "Knowledge CRUD", description = "Create, read, update and delete knowledge bases"),
        (name = "Knowledge Documents", description = "Documents of knowledge bases"),
    )
)]
pub struct ApiDoc;

/// `APIKeyHeader` (`x-api-key`, as xpander documents it) and bearer JWTs.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_default();
        let key = ApiKeyValue::with_description("x-api-key", "API key for authentication");
        components.add_security_scheme("APIKeyHeader", SecurityScheme::ApiKey(ApiKey::Header(key)));
        let bearer = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some("OAuth2 access token (JWT) whose tenant claim names the organization"))
            .build();
        components.add_security_scheme("HTTPBearer", SecurityScheme::Http(bearer));
    }
}

pub fn router() -> Router<RestState> {
    Router::new()
        .route("/v1/agents", get(agents::list_agents).post(agents::create_agent))
        .route("/v1/agents/full", get(agents::list_agents_full))
        .route(
            "/v1/agents/{agent_id}",
            get(agents::get_agent).patch(agents::update_agent).put(agents::deploy_agent).delete(agents::delete_agent),
        )
        .route("/v1/agents/{agent_id}/export", post(agents::export_agent))
        .route("/v1/agents/template_import/{template_id}", post(agents::import_agent))
        .route("/v1/knowledge", get(knowledge::list_knowledge_bases).post(knowledge::create_knowledge_base))
        .route(
            "/v1/knowledge/{kb_id}",
            get(knowledge::get_knowledge_base)
                .patch(knowledge::update_knowledge_base)
                .delete(knowledge::delete_knowledge_base),
        )
        .route("/v1/knowledge/{kb_id}/documents", get(knowledge::list_documents).post(knowledge::add_documents))
        .route(
            "/v1/knowledge/{kb_id}/documents/{document_id}",
            get(knowledge::get_document).delete(knowledge::delete_document),
        )
        // Uploads stream into the blob store: the configured document size bounds them.
        .route(
            "/v1/knowledge/{kb_id}/documents/upload",
            post(content::upload_document).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/v1/knowledge/{kb_id}/documents/{document_id}/content", get(content::download_content))
        .route("/v1/templates", get(templates::list_templates))
        .route("/v1/templates/{template_id}", get(templates::get_template).delete(templates::delete_template))
}

/// An error in the dialect's `{"detail": ...}` body.
pub(super) fn error_response(err: crate::error::Error) -> axum::response::Response {
    axum::response::IntoResponse::into_response(http::ApiError::plain(err.into()))
}

/// A failure of routing itself (unknown path, wrong method): `{"detail": "<reason phrase>"}`.
pub(super) fn status_response(status: axum::http::StatusCode, detail: &str) -> axum::response::Response {
    axum::response::IntoResponse::into_response(http::ApiError::Plain(status, detail.to_owned()))
}
