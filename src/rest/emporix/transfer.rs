//! `POST /agentic/agents/export` and `/import`: bundles, onto `AgentService.ExportAgents` and
//! `ImportAgents`. agentport's import options are query parameters marked
//! `x-agentport-extension` in the OpenAPI document.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::bundle_body;
use super::error::{ApiError, Body, ErrorMessage, ErrorMessageFault, Ids, Params};
use super::jobs::Job;
use super::plan::ImportPlan;
use super::signing::{BundleSignature, Signer};
use super::{RestState, iso8601, parent};
use crate::proto;
use crate::proto::agent_service_server::AgentService as _;
use crate::rest::call::grpc_request;

/// Emporix `ExportRequest`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExportRequest {
    /// IDs of the agents to export, at most 100.
    #[schema(max_items = 100)]
    pub agent_ids: Vec<String>,
    /// Sign the bundle with this signing key of the tenant; the response carries `signature`.
    #[serde(default)]
    #[schema(extensions(("x-agentport-extension" = json!(true))))]
    pub signing_key_id: Option<String>,
}

/// Emporix `ExportResponse`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExportResponse {
    /// The base64 encoded JSON value of the exported agents with related tools and MCP servers.
    pub data: String,
    /// Checksum calculated based on decoded `data` value (lowercase hex).
    pub checksum: String,
    /// Date of the export process.
    #[schema(format = DateTime)]
    pub exported_at: String,
    /// ID of the job.
    pub job_id: String,
    /// DSSE envelope without payload (the payload is `data`), when `signingKeyId` was given.
    /// Emporix ignores it on import.
    #[schema(extensions(("x-agentport-extension" = json!(true))))]
    pub signature: Option<BundleSignature>,
}

/// Emporix `ImportRequest`; other keys (e.g. `exportedAt` of a downloaded export) are ignored.
/// `secretMappings` is an agentport extension (Emporix ignores unknown keys).
/// Read as a stream by `bundle_body::import_parts`; this type documents it.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct ImportRequest {
    /// The base64 encoded bundle, as exported.
    pub data: String,
    /// The bundle's checksum, as exported.
    pub checksum: String,
    /// The bundle's signature, as exported; verified right after the checksum.
    #[schema(extensions(("x-agentport-extension" = json!(true))))]
    pub signature: Option<BundleSignature>,
    /// agentport extension: token id the bundle requires -> id of a token of this tenant (an
    /// empty value leaves it unbound). Without it a bundle's token references bind to this
    /// tenant's tokens of the same id (the documented behaviour); with it, only as it says.
    #[schema(extensions(("x-agentport-extension" = json!(true))))]
    pub secret_mappings: Option<std::collections::HashMap<String, String>>,
}

/// Emporix `ImportResponse`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportResponse {
    /// Date of the import process.
    #[schema(format = DateTime)]
    pub imported_at: String,
    pub summary: ImportSummary,
    /// Short summary of the import.
    pub message: String,
    /// ID of the job; absent for a dry run.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub job_id: Option<String>,
    /// True when nothing was written (`dryRun=true`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    #[schema(extensions(("x-agentport-extension" = json!(true))))]
    pub dry_run: bool,
    /// Who signed the bundle; absent when it was not signed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    #[schema(extensions(("x-agentport-extension" = json!(true))))]
    pub signer: Option<Signer>,
    /// Dry runs only: every token the bundle's entities refer to, and what it is bound to
    /// (the documented response shape of an import stays as it is).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, extensions(("x-agentport-extension" = json!(true))))]
    pub secret_requirements: Option<Vec<SecretRequirement>>,
    /// Dry runs, and imports that gave `planId`: what the import does to each entity, and
    /// the plan's id (see the gRPC `ImportPlan`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, extensions(("x-agentport-extension" = json!(true))))]
    pub plan: Option<ImportPlan>,
    /// Warnings about the bundle as a whole, e.g. `FORMAT_NEWER_MINOR` (its `message` lists the
    /// fields not understood); absent when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(extensions(("x-agentport-extension" = json!(true))))]
    pub warnings: Vec<ImportDetail>,
}

/// A token an imported entity refers to (agentport extension): see the gRPC
/// `SecretRequirement` for the binding rule.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretRequirement {
    /// `agents`, `tools` or `mcpServers`.
    pub entity_kind: String,
    /// The entity's id in the bundle.
    pub entity_id: String,
    /// The field that refers to the token, e.g. `llm.token_id`.
    pub field: String,
    /// The token id the bundle names.
    pub required_token_id: String,
    /// `MAPPED` (by `secretMappings`), `SAME_ID` (a token of this tenant with that id) or `UNBOUND`.
    pub binding: String,
    /// The token of this tenant the entity refers to; absent when unbound.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub token_id: Option<String>,
}

impl From<proto::SecretRequirement> for SecretRequirement {
    fn from(r: proto::SecretRequirement) -> Self {
        let binding = proto::SecretBinding::try_from(r.binding).unwrap_or_default();
        Self {
            entity_kind: if r.entity_kind == "mcp_servers" { "mcpServers".into() } else { r.entity_kind },
            entity_id: r.entity_id,
            field: r.field,
            required_token_id: r.required_secret_id,
            binding: unprefixed(binding.as_str_name(), "SECRET_BINDING_"),
            token_id: text(r.secret_id),
        }
    }
}

/// Per-entity outcome of an import.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportSummary {
    pub agents: Vec<ImportedEntity>,
    pub tools: Vec<ImportedEntity>,
    pub mcp_servers: Vec<ImportedEntity>,
    /// agentport extension: knowledge bases carried by the bundle; absent when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub knowledge_bases: Vec<ImportedEntity>,
}

/// Emporix `ImportedEntity`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportedEntity {
    /// ID of the imported entity on this tenant (after any rename).
    pub id: String,
    /// Name of the imported entity.
    pub name: String,
    /// `TO_CREATE`, `ENABLED`, `DISABLED`, `EXISTS` or `FAILED`.
    #[schema(example = "DISABLED")]
    pub state: String,
    pub details: Vec<ImportDetail>,
    /// The id in the bundle, when it differs from `id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    #[schema(extensions(("x-agentport-extension" = json!(true))))]
    pub source_id: Option<String>,
}

/// Why an entity ended in its state.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportDetail {
    /// `MISSING_FUNCTION`, `MISSING_TOKEN`, `NOT_IMPORTABLE`, `ALREADY_EXISTS`,
    /// `AGENT_IMPORTED_DISABLED`, `IMPORT_FAILED`, or agentport's `RENAMED`, `SKIPPED`, `OVERWRITTEN`,
    /// `ENDPOINT_NOT_ALLOWED`, `FORMAT_NEWER_MINOR`.
    #[schema(example = "AGENT_IMPORTED_DISABLED")]
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub object_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub object_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub message: Option<String>,
}

/// The enum value's name without its prefix: `IMPORT_STATE_DISABLED` -> `DISABLED`.
pub(super) fn unprefixed(name: &str, prefix: &str) -> String {
    name.strip_prefix(prefix).unwrap_or(name).to_owned()
}

pub(super) fn text(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

impl From<proto::ImportedEntity> for ImportedEntity {
    fn from(entity: proto::ImportedEntity) -> Self {
        let state = proto::ImportState::try_from(entity.state).unwrap_or_default();
        Self {
            id: entity.id,
            name: entity.name,
            state: unprefixed(state.as_str_name(), "IMPORT_STATE_"),
            details: entity.details.into_iter().map(ImportDetail::from).collect(),
            source_id: text(entity.source_id),
        }
    }
}

impl From<proto::ImportDetail> for ImportDetail {
    fn from(d: proto::ImportDetail) -> Self {
        let code = proto::ImportDetailCode::try_from(d.code).unwrap_or_default();
        Self {
            code: unprefixed(code.as_str_name(), "IMPORT_DETAIL_CODE_"),
            object_id: text(d.object_id),
            object_name: text(d.object_name),
            message: text(d.message),
        }
    }
}

impl From<proto::ImportSummary> for ImportSummary {
    fn from(summary: proto::ImportSummary) -> Self {
        let all = |items: Vec<proto::ImportedEntity>| items.into_iter().map(ImportedEntity::from).collect();
        Self {
            agents: all(summary.agents),
            tools: all(summary.tools),
            mcp_servers: all(summary.mcp_servers),
            knowledge_bases: all(summary.knowledge_bases),
        }
    }
}

/// Exporting agents.
#[utoipa::path(
    post,
    path = "/ai-service/{tenant}/agentic/agents/export",
    operation_id = "POST-ai-export-agents",
    tag = "Import/Export",
    description = "Exports the agents by IDs, with their collaboration agents, tools and MCP servers. \
                   Token values are never exported. Records an EXPORT job.",
    params(("tenant" = String, Path, description = "Your Emporix tenant name, in lowercase.")),
    request_body = ExportRequest,
    responses(
        (status = 200, description = "The exported agents with components.", body = ExportResponse),
        (status = 400, description = "The request was syntactically incorrect, or an agent does not exist \
            (type `RESOURCE_NOT_FOUND`).", body = ErrorMessage),
        (status = 401, description = "The authorization token is invalid or has expired.", body = ErrorMessageFault),
        (status = 403, description = "The token's scopes are not sufficient.", body = ErrorMessage),
    ),
    security(("OAuth2" = ["ai.agent_read"]))
)]
pub async fn export_agents(
    State(state): State<RestState>,
    headers: HeaderMap,
    Ids(tenant): Ids<String>,
    Body(body): Body<ExportRequest>,
) -> Result<Response, ApiError> {
    let request = proto::StreamExportAgentsRequest {
        parent: parent(&tenant),
        agent_ids: body.agent_ids,
        signing_key_id: body.signing_key_id.unwrap_or_default(),
    };
    let items = match state.agents.stream_export_agents(grpc_request(&headers, request)).await {
        Ok(items) => items.into_inner(),
        // The documented export answers 400, 401 or 403 only: an unknown id is a bad request.
        Err(status) if status.code() == tonic::Code::NotFound => {
            return Err(ApiError::from(status).with_http(StatusCode::BAD_REQUEST));
        }
        Err(status) => return Err(status.into()),
    };
    let body = bundle_body::export_body(items, iso8601);
    Ok(([(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// agentport's import options.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportParams {
    dry_run: Option<bool>,
    conflict_policy: Option<String>,
    request_id: Option<String>,
    #[serde(rename = "async")]
    background: Option<bool>,
    require_signature: Option<bool>,
    plan_id: Option<String>,
}

fn conflict_policy(value: Option<&str>) -> Result<proto::ConflictPolicy, ApiError> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(proto::ConflictPolicy::Unspecified);
    };
    match value.to_ascii_lowercase().as_str() {
        "rename" => Ok(proto::ConflictPolicy::Rename),
        "skip" => Ok(proto::ConflictPolicy::Skip),
        "overwrite" => Ok(proto::ConflictPolicy::Overwrite),
        "fail" => Ok(proto::ConflictPolicy::Fail),
        _ => {
            Err(ApiError::invalid("conflictPolicy", format!("must be rename, skip, overwrite or fail, not `{value}`")))
        }
    }
}

/// Importing agents.
#[utoipa::path(
    post,
    path = "/ai-service/{tenant}/agentic/agents/import",
    operation_id = "POST-ai-import-agents",
    tag = "Import/Export",
    description = "Imports the agents from the base64 encoded data, all or nothing. The checksum is verified \
                   first. Imported agents start disabled. Records an IMPORT job (none for a dry run).",
    params(
        ("tenant" = String, Path, description = "Your Emporix tenant name, in lowercase."),
        ("dryRun" = Option<bool>, Query, description = "Report what the import would do, and write nothing.",
            extensions(("x-agentport-extension" = json!(true)))),
        ("conflictPolicy" = Option<String>, Query,
            description = "When an agent's id is taken: `rename` (default: `<id>--import-<epoch millis>`, then `-2`, `-3`, ... appended while taken; `<id>` is cut from its end so the result stays within 128 characters), `skip`, `overwrite` or `fail`.",
            extensions(("x-agentport-extension" = json!(true)))),
        ("requestId" = Option<String>, Query,
            description = "Idempotency key: a retry with the same key returns the first response. The `Idempotency-Key` header works too.",
            extensions(("x-agentport-extension" = json!(true)))),
        ("Idempotency-Key" = Option<String>, Header, description = "Same as `requestId`.",
            extensions(("x-agentport-extension" = json!(true)))),
        ("async" = Option<bool>, Query,
            description = "Answer 202 with the IN_PROGRESS job at once and import in the background.",
            extensions(("x-agentport-extension" = json!(true)))),
        ("requireSignature" = Option<bool>, Query,
            description = "Refuse the bundle unless its `signature` verifies with a key the tenant trusts.",
            extensions(("x-agentport-extension" = json!(true)))),
        ("planId" = Option<String>, Query,
            description = "Apply exactly the plan a dry run answered with this `plan.planId`: refused with 409 \
                `PLAN_STALE`, writing nothing, when the bundle, the options or the tenant changed since.",
            extensions(("x-agentport-extension" = json!(true)))),
    ),
    request_body = ImportRequest,
    responses(
        (status = 200, description = "The outcome of the import.", body = ImportResponse),
        (status = 202, description = "The background import's job (`async=true`), or the job of an import \
            the signing policy held (status `needs_review`).", body = Job,
            extensions(("x-agentport-extension" = json!(true)))),
        (status = 400, description = "Invalid body, checksum mismatch, invalid bundle, invalid signature \
            (`SIGNATURE_INVALID`) or a bundle the signing policy refuses (`SIGNATURE_REQUIRED`, \
            `SIGNER_NOT_TRUSTED`).", body = ErrorMessage),
        (status = 401, description = "The authorization token is invalid or has expired.", body = ErrorMessageFault),
        (status = 403, description = "The token's scopes are not sufficient.", body = ErrorMessage),
        (status = 409, description = "An agent's id is taken and `conflictPolicy=fail`, or the plan of \
            `planId` no longer holds (`PLAN_STALE`).", body = ErrorMessage),
    ),
    security(("OAuth2" = ["ai.agent_manage"]))
)]
pub async fn import_agents(
    State(state): State<RestState>,
    headers: HeaderMap,
    Ids(tenant): Ids<String>,
    Params(params): Params<ImportParams>,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    let idempotency_key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let header = proto::StreamImportAgentsHeader {
        parent: parent(&tenant),
        checksum: String::new(),
        dry_run: params.dry_run.unwrap_or(false),
        conflict_policy: conflict_policy(params.conflict_policy.as_deref())? as i32,
        request_id: params.request_id.or(idempotency_key).unwrap_or_default(),
        background: params.background.unwrap_or(false),
        signature: None,
        require_signature: params.require_signature.unwrap_or(false),
        // The body's `secretMappings` come with its parts.
        secret_mappings: Default::default(),
        plan_id: params.plan_id.unwrap_or_default(),
    };
    let parts = bundle_body::import_parts(body);
    let imported = state.agents.import_agents_parts(grpc_request(&headers, header), parts).await?;
    if let Some(job) = imported.job {
        return Ok((StatusCode::ACCEPTED, Json(Job::from(job))).into_response());
    }
    let response = ImportResponse {
        imported_at: imported.imported_at.as_ref().map(iso8601).unwrap_or_default(),
        summary: ImportSummary::from(imported.summary.unwrap_or_default()),
        message: imported.message,
        job_id: text(imported.job_id),
        dry_run: imported.dry_run,
        signer: imported.signer.map(Signer::from),
        secret_requirements: imported
            .dry_run
            .then(|| imported.secret_requirements.into_iter().map(SecretRequirement::from).collect()),
        plan: imported.plan.map(ImportPlan::from),
        warnings: imported.warnings.into_iter().map(ImportDetail::from).collect(),
    };
    Ok(Json(response).into_response())
}
