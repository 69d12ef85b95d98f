//! `/v1/agents`: agent CRUD and deploy, and the template export / import (reference §2, §6).

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use prost_types::FieldMask;
use serde_json::Value;

use super::dto::{
    AgentBuilderCreateAgentRequest, AgentPage, AgentTemplate, AiAgent, Envelope, ErrorDetail, ExportAgentRequest,
    HttpValidationError, MinimalAgentPage,
};
use super::http::{
    ApiError, Caller, PageQuery, Params, QueryMap, Scope, Wire, body_problems, bool_query, list_request,
};
use super::wire::{Check, Origins};
use super::{agent_in, agent_out};
use crate::domain::unique_name;
use crate::proto::agent_service_server::AgentService;
use crate::proto::template_service_server::TemplateService;
use crate::proto::{
    Agent, AgentFlags, CreateAgentRequest, DeleteAgentRequest, ExportAgentTemplateRequest, GetAgentRequest,
    ImportAgentTemplateRequest, ListAgentsRequest, UpdateAgentRequest,
};
use crate::rest::RestState;

const AGENTS: &str = "agents";

/// The page of the caller's agents the query names, and the number of all of them.
async fn agent_page(state: &RestState, caller: &Caller, query: &PageQuery) -> Result<(Vec<Agent>, i64), ApiError> {
    let request = list_request!(ListAgentsRequest { parent: caller.parent() }, query);
    let page = state.agents.list_agents(caller.request(request)).await.map_err(ApiError::status(Scope::Agent))?;
    let page = page.into_inner();
    Ok((page.agents, page.total_size))
}

async fn get(state: &RestState, caller: &Caller, agent_id: &str) -> Result<Agent, ApiError> {
    let request = GetAgentRequest { name: caller.name(AGENTS, agent_id) };
    Ok(state.agents.get_agent(caller.request(request)).await.map_err(ApiError::status(Scope::Agent))?.into_inner())
}

/// Replaces the `paths` of `agent` (as read with its etag, so a concurrent change is a 409);
/// `origins` names the body keys the new values came from.
async fn update(
    state: &RestState,
    caller: &Caller,
    agent: Agent,
    paths: Vec<String>,
    origins: Origins,
) -> Result<AiAgent, ApiError> {
    let request = UpdateAgentRequest { agent: Some(agent), update_mask: Some(FieldMask { paths }) };
    let updated = state.agents.update_agent(caller.request(request)).await;
    let updated = updated.map_err(ApiError::status_from(Scope::Agent, origins))?.into_inner();
    Ok(agent_out::ai_agent(&updated, &caller.tenant, &caller.origin))
}

/// Whether a create was refused because another agent of the organization has its
/// `unique_name` (the service's check or, after a race, the store's unique index).
fn unique_name_taken(status: &tonic::Status) -> bool {
    let failure = crate::rest::call::Failure::from(status.clone());
    failure.violations.iter().any(|(field, _)| field == "agent.unique_name")
}

/// Marks a deployment: the next `version`, nothing pending.
fn deploy_onto(agent: &mut Agent) {
    agent.deployed_version = Some(agent.deployed_version.unwrap_or(1).saturating_add(1));
    agent.flags.get_or_insert_with(AgentFlags::default).has_pending_changes = Some(false);
}

/// List Agents (Minimal)
///
/// Retrieve a paginated list of AI agents with minimal information.
#[utoipa::path(
    get,
    path = "/v1/agents",
    operation_id = "List_agents__minimal__v1_agents_get",
    tags = ["API v1", "Agents", "Agents CRUD"],
    params(
        ("page" = Option<u64>, Query, description = "Page number (starting from 1)", minimum = 1),
        ("per_page" = Option<u64>, Query, description = "Items per page (max 50)", minimum = 1, maximum = 50),
    ),
    responses(
        (status = 200, description = "Successful Response", body = MinimalAgentPage),
        (status = 401, description = "Missing or invalid credentials", body = ErrorDetail),
        (status = 422, description = "Validation Error", body = HttpValidationError),
    ),
    security(("APIKeyHeader" = []), ("HTTPBearer" = []))
)]
pub async fn list_agents(
    State(state): State<RestState>,
    caller: Caller,
    query: PageQuery,
) -> Result<Json<MinimalAgentPage>, ApiError> {
    let (agents, total) = agent_page(&state, &caller, &query).await?;
    let items = agents.iter().map(|a| agent_out::minimal(a, &caller.tenant)).collect();
    Ok(Json(MinimalAgentPage::page(items, total, &query)))
}

/// List Agents (Full)
///
/// Retrieve a paginated list of AI agents with complete details.
#[utoipa::path(
    get,
    path = "/v1/agents/full",
    operation_id = "List_agents__full__v1_agents_full_get",
    tags = ["API v1", "Agents", "Agents CRUD"],
    params(
        ("page" = Option<u64>, Query, description = "Page number (starting from 1)", minimum = 1),
        ("per_page" = Option<u64>, Query, description = "Items per page (max 50)", minimum = 1, maximum = 50),
    ),
    responses(
        (status = 200, description = "Successful Response", body = AgentPage),
        (status = 401, description = "Missing or invalid credentials", body = ErrorDetail),
        (status = 422, description = "Validation Error", body = HttpValidationError),
    ),
    security(("APIKeyHeader" = []), ("HTTPBearer" = []))
)]
pub async fn list_agents_full(
    State(state): State<RestState>,
    caller: Caller,
    query: PageQuery,
) -> Result<Json<AgentPage>, ApiError> {
    let (agents, total) = agent_page(&state, &caller, &query).await?;
    let items = agents.iter().map(|a| agent_out::ai_agent(a, &caller.tenant, &caller.origin)).collect();
    Ok(Json(AgentPage::page(items, total, &query)))
}

/// Create AI Agent
///
/// Creates an agent; it is `ACTIVE` and of type `manager` unless the body says otherwise.
#[utoipa::path(
    post,
    path = "/v1/agents",
    operation_id = "Create_AI_Agent_v1_agents_post",
    tags = ["API v1", "Agents", "Agents CRUD"],
    request_body = AgentBuilderCreateAgentRequest,
    responses(
        (status = 201, description = "Successful Response", body = AiAgent),
        (status = 401, description = "Missing or invalid credentials", body = ErrorDetail),
        (status = 403, description = "The credentials may not do this", body = ErrorDetail),
        (status = 422, description = "Validation Error", body = HttpValidationError),
    ),
    security(("APIKeyHeader" = []), ("HTTPBearer" = []))
)]
pub async fn create_agent(
    State(state): State<RestState>,
    caller: Caller,
    Wire(body): Wire<AgentBuilderCreateAgentRequest>,
) -> Result<(StatusCode, Json<AiAgent>), ApiError> {
    let (mut agent, Check { errs, origins, .. }) = agent_in::create(body);
    body_problems(errs)?;
    // xpander names every agent it creates: a body without a name gets a drawn one, drawn
    // again while another agent of the organization has it.
    let drawn = agent.unique_name.is_empty();
    let mut attempt = 0;
    let created = loop {
        if drawn {
            agent.unique_name = unique_name::candidate(attempt);
        }
        let request =
            CreateAgentRequest { parent: caller.parent(), agent_id: String::new(), agent: Some(agent.clone()) };
        match state.agents.create_agent(caller.request(request)).await {
            Err(status) if drawn && unique_name_taken(&status) && attempt + 1 < unique_name::MAX_DRAWS => attempt += 1,
            created => break created,
        }
    };
    let created = created.map_err(ApiError::status_from(Scope::Agent, origins))?.into_inner();
    Ok((StatusCode::CREATED, Json(agent_out::ai_agent(&created, &caller.tenant, &caller.origin))))
}

/// Get Agent
///
/// Retrieve detailed information about a specific AI agent.
#[utoipa::path(
    get,
    path = "/v1/agents/{agent_id}",
    operation_id = "Get_Agent_v1_agents__agent_id__get",
    tags = ["API v1", "Agents"],
    params(("agent_id" = String, Path, description = "The agent id")),
    responses(
        (status = 200, description = "Successful Response", body = AiAgent),
        (status = 404, description = "No such agent", body = ErrorDetail),
        (status = 422, description = "Validation Error", body = HttpValidationError),
    ),
    security(("APIKeyHeader" = []), ("HTTPBearer" = []))
)]
pub async fn get_agent(
    State(state): State<RestState>,
    caller: Caller,
    Params(agent_id): Params<String>,
) -> Result<Json<AiAgent>, ApiError> {
    let agent = get(&state, &caller, &agent_id).await?;
    Ok(Json(agent_out::ai_agent(&agent, &caller.tenant, &caller.origin)))
}

/// Update AI Agent
///
/// Changes only the given fields; the changes are pending until the agent is deployed (`PUT`),
/// or deployed at once with `?deploy=true`.
#[utoipa::path(
    patch,
    path = "/v1/agents/{agent_id}",
    operation_id = "Update_AI_Agent_v1_agents__agent_id__patch",
    tags = ["API v1", "Agents", "Agents CRUD"],
    params(
        ("agent_id" = String, Path, description = "The agent id"),
        ("deploy" = Option<bool>, Query, description = "Deploy right after updating"),
    ),
    request_body(content = AgentBuilderCreateAgentRequest, description = "The fields to change (`AgentBuilderUpdateAgentRequest`: all optional)"),
    responses(
        (status = 200, description = "Successful Response", body = AiAgent),
        (status = 404, description = "No such agent", body = ErrorDetail),
        (status = 409, description = "The agent changed meanwhile", body = ErrorDetail),
        (status = 422, description = "Validation Error", body = HttpValidationError),
    ),
    security(("APIKeyHeader" = []), ("HTTPBearer" = []))
)]
pub async fn update_agent(
    State(state): State<RestState>,
    caller: Caller,
    Params(agent_id): Params<String>,
    QueryMap(query): QueryMap,
    Wire(body): Wire<AgentBuilderCreateAgentRequest>,
) -> Result<Json<AiAgent>, ApiError> {
    let deploy = bool_query(&query, "deploy")?;
    let mut agent = get(&state, &caller, &agent_id).await?;
    let Check { errs, mut touched, origins, .. } = agent_in::apply(body, &mut agent);
    body_problems(errs)?;
    if touched.is_empty() {
        let violation = crate::error::FieldViolation::new("", "must change at least one field");
        return Err(ApiError::invalid_at("body", &[violation]));
    }
    agent.flags.get_or_insert_with(AgentFlags::default).has_pending_changes = Some(true);
    touched.insert("flags".to_owned());
    if deploy {
        deploy_onto(&mut agent);
        touched.insert("deployed_version".to_owned());
    }
    Ok(Json(update(&state, &caller, agent, touched.into_iter().collect(), origins).await?))
}

/// Deploy AI Agent
///
/// Deploys the agent's current configuration: `version` grows by one and nothing is pending.
#[utoipa::path(
    put,
    path = "/v1/agents/{agent_id}",
    operation_id = "Deploy_AI_Agent_v1_agents__agent_id__put",
    tags = ["API v1", "Agents", "Agents CRUD"],
    params(("agent_id" = String, Path, description = "The agent id")),
    responses(
        (status = 200, description = "Successful Response", body = AiAgent),
        (status = 404, description = "No such agent", body = ErrorDetail),
        (status = 409, description = "The agent changed meanwhile", body = ErrorDetail),
        (status = 422, description = "Validation Error", body = HttpValidationError),
    ),
    security(("APIKeyHeader" = []), ("HTTPBearer" = []))
)]
pub async fn deploy_agent(
    State(state): State<RestState>,
    caller: Caller,
    Params(agent_id): Params<String>,
) -> Result<Json<AiAgent>, ApiError> {
    let mut agent = get(&state, &caller, &agent_id).await?;
    deploy_onto(&mut agent);
    let paths = vec!["deployed_version".to_owned(), "flags".to_owned()];
    Ok(Json(update(&state, &caller, agent, paths, Origins::default()).await?))
}

/// Delete AI Agent
///
/// Deletes the agent; its knowledge bases and tools stay. The body is `null`.
#[utoipa::path(
    delete,
    path = "/v1/agents/{agent_id}",
    operation_id = "Delete_AI_Agent_v1_agents__agent_id__delete",
    tags = ["API v1", "Agents", "Agents CRUD"],
    params(("agent_id" = String, Path, description = "The agent id")),
    responses(
        (status = 202, description = "Successful Response (`null`)", body = Option<Object>),
        (status = 404, description = "No such agent", body = ErrorDetail),
        (status = 422, description = "Validation Error", body = HttpValidationError),
    ),
    security(("APIKeyHeader" = []), ("HTTPBearer" = []))
)]
pub async fn delete_agent(
    State(state): State<RestState>,
    caller: Caller,
    Params(agent_id): Params<String>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let request = DeleteAgentRequest { name: caller.name(AGENTS, &agent_id), etag: String::new(), force: false };
    state.agents.delete_agent(caller.request(request)).await.map_err(ApiError::status(Scope::Agent))?;
    Ok((StatusCode::ACCEPTED, Json(Value::Null)))
}

/// What an `ExportAgentRequest` says, checked.
struct Export {
    name: String,
    description: String,
    icon: String,
    with_knowledge_bases: Option<bool>,
    environment_id: String,
    secret_mappings: HashMap<String, String>,
    signing_key_id: String,
    require_signature: bool,
    origins: Origins,
}

fn export_request(body: ExportAgentRequest) -> Result<Export, ApiError> {
    let mut c = Check::default();
    let name = c.required_text("name", "display_name", body.name).unwrap_or_default();
    let description = c.take("description", "description", body.description).unwrap_or_default();
    let icon = c.take("icon", "icon", body.icon).unwrap_or_default();
    let with_knowledge_bases = c.take("with_knowledge_bases", "with_knowledge_bases", body.with_knowledge_bases);
    let environment_id = c.take("environment_id", "environment_id", body.environment_id).unwrap_or_default();
    let mappings = c.take("secret_mappings", "secret_mappings", body.secret_mappings).unwrap_or_default();
    let secret_mappings = c.within("secret_mappings", "secret_mappings", |c| {
        let mut out = HashMap::new();
        for (id, target) in mappings {
            let key = format!("[{id:?}]");
            out.extend(c.take(&key, &key, target).map(|t| (id, t)));
        }
        out
    });
    let signing_key_id = c.take("signing_key_id", "signing_key_id", body.signing_key_id).unwrap_or_default();
    let require_signature =
        c.take("require_signature", "require_signature", body.require_signature).unwrap_or_default();
    body_problems(std::mem::take(&mut c.errs))?;
    Ok(Export {
        name,
        description,
        icon,
        with_knowledge_bases,
        environment_id,
        secret_mappings,
        signing_key_id,
        require_signature,
        origins: c.origins,
    })
}

/// Export Agent
///
/// Exports an AI agent into a reusable template with configuration and knowledge bases.
#[utoipa::path(
    post,
    path = "/v1/agents/{agent_id}/export",
    operation_id = "Export_Agent_v1_agents__agent_id__export_post",
    tags = ["API v1", "Agents", "Agents Import/Export"],
    params(("agent_id" = String, Path, description = "The agent to export")),
    request_body = ExportAgentRequest,
    responses(
        (status = 200, description = "Successful Response", body = AgentTemplate, headers(("x-agentport-signature" = String, description = "agentport extension, when the template is signed: its DSSE envelope as compact JSON (`payloadType`, `signatures[].keyid`, `signatures[].sig`), covering exactly this body's bytes"))),
        (status = 400, description = "The sub-agents form a cycle or nest too deep", body = ErrorDetail),
        (status = 404, description = "No such agent", body = ErrorDetail),
        (status = 422, description = "Validation Error", body = HttpValidationError),
    ),
    security(("APIKeyHeader" = []), ("HTTPBearer" = []))
)]
pub async fn export_agent(
    State(state): State<RestState>,
    caller: Caller,
    Params(agent_id): Params<String>,
    Wire(body): Wire<ExportAgentRequest>,
) -> Result<axum::response::Response, ApiError> {
    let request = export_request(body)?;
    let message = ExportAgentTemplateRequest {
        agent: caller.name(AGENTS, &agent_id),
        display_name: request.name,
        description: request.description,
        icon: request.icon,
        with_knowledge_bases: request.with_knowledge_bases,
        signing_key_id: request.signing_key_id,
    };
    let fail = ApiError::status_from(Scope::Template, request.origins);
    let template = state.templates.export_agent_template(caller.request(message)).await.map_err(&fail)?.into_inner();
    super::templates::download(&state, &caller, template.name).await
}

/// Import Agent
///
/// Creates a new, independent agent (with its sub-agents, tools and, unless
/// `with_knowledge_bases` is false, knowledge bases) from a template of any organization.
#[utoipa::path(
    post,
    path = "/v1/agents/template_import/{template_id}",
    operation_id = "Import_Agent_v1_agents_template_import__template_id__post",
    tags = ["API v1", "Agents", "Agents Import/Export"],
    params(("template_id" = String, Path, description = "The template id (`AgentTemplate.id`)")),
    request_body = ExportAgentRequest,
    responses(
        (status = 200, description = "Successful Response", body = AiAgent),
        (status = 404, description = "No such template", body = ErrorDetail),
        (status = 422, description = "Validation Error", body = HttpValidationError),
    ),
    security(("APIKeyHeader" = []), ("HTTPBearer" = []))
)]
pub async fn import_agent(
    State(state): State<RestState>,
    caller: Caller,
    Params(template_id): Params<String>,
    Wire(body): Wire<ExportAgentRequest>,
) -> Result<Json<AiAgent>, ApiError> {
    let request = export_request(body)?;
    let message = ImportAgentTemplateRequest {
        parent: caller.parent(),
        template_id,
        display_name: request.name,
        description: request.description,
        icon: request.icon,
        with_knowledge_bases: request.with_knowledge_bases,
        secret_mappings: request.secret_mappings,
        require_signature: request.require_signature,
    };
    let imported = state.templates.import_agent_template(caller.request(message)).await;
    let mut root = imported.map_err(ApiError::status_from(Scope::Template, request.origins.clone()))?.into_inner();
    let environment_id = request.environment_id;
    if !environment_id.is_empty() {
        let change = Agent { name: root.name.clone(), environment_id, ..Default::default() };
        let update = UpdateAgentRequest {
            agent: Some(change),
            update_mask: Some(FieldMask { paths: vec!["environment_id".to_owned()] }),
        };
        root = state
            .agents
            .update_agent(caller.request(update))
            .await
            .map_err(ApiError::status_from(Scope::Agent, request.origins))?
            .into_inner();
    }
    Ok(Json(agent_out::ai_agent(&root, &caller.tenant, &caller.origin)))
}
