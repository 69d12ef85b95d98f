//! agentport extensions under `/v1/templates`: the caller's templates (xpander documents only
//! export and import; reference §3).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use futures_util::{StreamExt, TryStreamExt};
use serde_json::Value;
use tonic::Status;

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
        (status = 200, description = "Successful Response", body = AgentTemplate, headers(("x-agentport-signature" = String, description = "agentport extension, when the template is signed: its DSSE envelope as compact JSON (`payloadType`, `signatures[].keyid`, `signatures[].sig`), covering exactly this body's bytes"))),
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

/// The header that carries a signed template's signature beside its bytes (agentport
/// extension): the DSSE envelope as compact JSON, `{"payloadType":..,"signatures":[..]}`.
pub const SIGNATURE_HEADER: &str = "x-agentport-signature";

/// The `AgentTemplate` JSON, streamed with its documents' content; a signed template's
/// signature in [`SIGNATURE_HEADER`].
pub async fn download(state: &RestState, caller: &Caller, name: String) -> Result<Response, ApiError> {
    let request = caller.request(DownloadTemplateRequest { name });
    let fail = ApiError::status(Scope::Template);
    let mut pieces = state.templates.download_template(request).await.map_err(&fail)?.into_inner();
    // The first message carries the signature, if any: read it before the headers go out.
    let first = pieces.try_next().await.map_err(&fail)?.unwrap_or_default();
    let mut response = ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], ()).into_response();
    if let Some(signature) = first.signature {
        // Proto3 JSON of the envelope, as an Emporix export body carries it.
        let text = serde_json::to_string(&signature).map_err(|e| fail(Status::internal(e.to_string())))?;
        let value = HeaderValue::from_str(&text).map_err(|e| fail(Status::internal(e.to_string())))?;
        response.headers_mut().insert(SIGNATURE_HEADER, value);
    }
    let rest = pieces.map_ok(|m| m.chunk);
    let body = futures_util::stream::once(async move { Ok(first.chunk) }).chain(rest);
    *response.body_mut() = axum::body::Body::from_stream(body);
    Ok(response)
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
