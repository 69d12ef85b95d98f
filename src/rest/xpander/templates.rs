//! agentport extensions under `/v1/templates`: the caller's templates (xpander documents only
//! export and import; reference §3).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;
use serde_json::Value;

use super::dto::{AgentTemplate, Envelope, ErrorDetail, HttpValidationError, TemplatePage};
use super::http::{ApiError, Caller, PageQuery, Params, Scope, id_of, list_request};
use crate::proto::template_service_server::TemplateService;
use crate::proto::{DeleteTemplateRequest, DownloadTemplateRequest, ListTemplatesRequest, Template};
use crate::rest::RestState;

const TEMPLATES: &str = "templates";

/// The `AgentTemplate` of a template, with its definition exactly as stored.
pub fn agent_template(template: Template, definition: Value) -> AgentTemplate {
    AgentTemplate {
        id: id_of(&template.name),
        name: template.display_name,
        description: (!template.description.is_empty()).then_some(template.description),
        icon: template.icon,
        organization_id: Some(template.organization_id),
        agent_definition: (!definition.is_null()).then_some(definition),
    }
}

/// List Templates (agentport extension)
///
/// The templates the caller's organization exported, oldest first. Documents' `content` is
/// left out of list items; get one template for it.
#[utoipa::path(
    get,
    path = "/v1/templates",
    operation_id = "List_templates_v1_templates_get",
    tags = ["API v1", "Agents Import/Export"],
    params(
        ("page" = Option<u64>, Query, description = "Page number (starting from 1)", minimum = 1),
        ("per_page" = Option<u64>, Query, description = "Items per page (max 50)", minimum = 1, maximum = 50),
    ),
    responses(
        (status = 200, description = "Successful Response", body = TemplatePage),
        (status = 422, description = "Validation Error", body = HttpValidationError),
    ),
    security(("APIKeyHeader" = []), ("HTTPBearer" = [])),
    extensions(("x-agentport-extension" = json!(true)))
)]
pub async fn list_templates(
    State(state): State<RestState>,
    caller: Caller,
    query: PageQuery,
) -> Result<Json<TemplatePage>, ApiError> {
    let request = list_request!(ListTemplatesRequest { parent: caller.parent() }, query);
    let (page, definitions) = state
        .templates
        .list_templates_with_definitions(caller.request(request))
        .await
        .map_err(ApiError::status(Scope::Template))?;
    let items = page.templates.into_iter().zip(definitions).map(|(t, d)| agent_template(t, d)).collect();
    Ok(Json(TemplatePage::page(items, page.total_size, &query)))
}

/// Get Template (agentport extension)
#[utoipa::path(
    get,
    path = "/v1/templates/{template_id}",
    operation_id = "Get_template_v1_templates__template_id__get",
    tags = ["API v1", "Agents Import/Export"],
    params(("template_id" = String, Path, description = "The template id")),
    responses(
        (status = 200, description = "Successful Response", body = AgentTemplate),
        (status = 404, description = "No such template in the caller's organization", body = ErrorDetail),
        (status = 422, description = "Validation Error", body = HttpValidationError),
    ),
    security(("APIKeyHeader" = []), ("HTTPBearer" = [])),
    extensions(("x-agentport-extension" = json!(true)))
)]
pub async fn get_template(
    State(state): State<RestState>,
    caller: Caller,
    Params(template_id): Params<String>,
) -> Result<Response, ApiError> {
    download(&state, &caller, caller.name(TEMPLATES, &template_id)).await
}

/// The `AgentTemplate` JSON, streamed with its documents' content.
pub async fn download(state: &RestState, caller: &Caller, name: String) -> Result<Response, ApiError> {
    let request = caller.request(DownloadTemplateRequest { name });
    let bytes = state.templates.download_template(request).await.map_err(ApiError::status(Scope::Template))?;
    let body = axum::body::Body::from_stream(bytes.into_inner().map_ok(|m| m.chunk));
    Ok(([(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// Delete Template (agentport extension)
///
/// Agents imported from the template are not affected.
#[utoipa::path(
    delete,
    path = "/v1/templates/{template_id}",
    operation_id = "Delete_template_v1_templates__template_id__delete",
    tags = ["API v1", "Agents Import/Export"],
    params(("template_id" = String, Path, description = "The template id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such template in the caller's organization", body = ErrorDetail),
        (status = 422, description = "Validation Error", body = HttpValidationError),
    ),
    security(("APIKeyHeader" = []), ("HTTPBearer" = [])),
    extensions(("x-agentport-extension" = json!(true)))
)]
pub async fn delete_template(
    State(state): State<RestState>,
    caller: Caller,
    Params(template_id): Params<String>,
) -> Result<StatusCode, ApiError> {
    let request = DeleteTemplateRequest { name: caller.name(TEMPLATES, &template_id) };
    state.templates.delete_template(caller.request(request)).await.map_err(ApiError::status(Scope::Template))?;
    Ok(StatusCode::NO_CONTENT)
}
