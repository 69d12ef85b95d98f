//! The Emporix AI Service dialect under `/ai-service/{tenant}`: camelCase JSON, `ErrorMessage`
//! and `fault` error bodies, `q`/`pageSize`/`pageNumber`/`fields`/`X-Total-Count` on lists.
//! Every route calls the gRPC adapter method a gRPC client reaches; handlers only translate.

mod bundle_body;
mod crud;
mod error;
mod expand;
pub(crate) mod fuzz_entry;
mod jobs;
mod kinds;
mod patch;
pub(crate) mod plan;
mod resources;
mod schema;
mod signing;
mod transfer;

use crate::domain::timestamp::Timestamp;
use axum::Router;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::routing::{get, post, put};
use serde::Deserialize;
use utoipa::openapi::security::{ClientCredentials, Flow, OAuth2, Scopes, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};

use self::error::ApiError;
use super::RestState;
use crate::domain::bundle::dto;

/// Name of the security scheme every operation refers to.
pub(crate) const OAUTH2: &str = "OAuth2";

#[derive(OpenApi)]
#[openapi(
    paths(
        transfer::export_agents,
        transfer::import_agents,
        jobs::list_jobs,
        jobs::search_jobs,
        jobs::get_job,
        jobs::delete_job,
        signing::create_key,
        signing::list_keys,
        signing::get_key,
        signing::trust_key,
        signing::untrust_key,
        signing::get_policy,
        signing::put_policy,
        signing::approve_import,
        resources::list_agents,
        resources::search_agents,
        resources::get_agent,
        resources::put_agent,
        resources::patch_agent,
        resources::delete_agent,
        resources::list_tools,
        resources::search_tools,
        resources::get_tool,
        resources::put_tool,
        resources::patch_tool,
        resources::delete_tool,
        resources::list_mcp_servers,
        resources::search_mcp_servers,
        resources::get_mcp_server,
        resources::put_mcp_server,
        resources::patch_mcp_server,
        resources::delete_mcp_server,
        resources::list_tokens,
        resources::search_tokens,
        resources::get_token,
        resources::put_token,
        resources::patch_token,
        resources::delete_token,
    ),
    components(schemas(
        error::ErrorMessage,
        error::ErrorDetail,
        error::ErrorMessageFault,
        error::Fault,
        error::FaultDetail,
        transfer::ExportRequest,
        transfer::ExportResponse,
        transfer::ImportRequest,
        transfer::ImportResponse,
        transfer::ImportSummary,
        transfer::ImportedEntity,
        transfer::ImportDetail,
        jobs::Job,
        jobs::JobStatus,
        jobs::JobType,
        jobs::ExportResult,
        jobs::ImportResult,
        signing::BundleSignature,
        signing::DsseSignature,
        signing::Signer,
        signing::SigningKey,
        signing::CreateSigningKeyRequest,
        signing::TrustRequest,
        signing::SigningPolicy,
        QParamSearchBody,
        MetadataResponse,
        schema::IdResponse,
        patch::PatchOperation,
        patch::PatchOp,
        schema::AgentRequest,
        schema::AgentResponse,
        schema::ToolRequest,
        schema::ToolResponse,
        schema::McpServerRequest,
        schema::McpServerResponse,
        schema::TokenRequest,
        schema::TokenResponse,
        dto::Metadata,
        dto::Texts,
        dto::Events,
        dto::Reference,
        dto::Trigger,
        dto::TriggerConfig,
        dto::LlmConfig,
        dto::SelfHostedParams,
        dto::AgentMcpServer,
        dto::AgentNativeTool,
        dto::AgentCollaboration,
        dto::ToolConfig,
        dto::DatabaseConfig,
        dto::EmbeddingConfig,
        dto::IndexedField,
        dto::FilterField,
        dto::McpServerConfig,
        dto::DynamicMcpTool,
        dto::DynamicToolConfig,
        dto::Invocation,
    )),
    modifiers(&Security),
    tags(
        (name = "Import/Export", description = "Import & Export Agents"),
        (name = "Job", description = "Manage Jobs"),
        (name = "Agent", description = "Manage Agents"),
        (name = "Tool", description = "Manage Tools"),
        (name = "MCP Server", description = "Manage MCP Servers"),
        (name = "Token", description = "Manage Tokens"),
        (name = "Signing", description = "agentport: signing keys, trusted publishers and the signing policy of imports"),
    )
)]
pub struct ApiDoc;

/// The Emporix OAuth2 client-credentials scheme and its scopes.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let scopes = Scopes::from_iter([
            ("ai.agent_read", "Needed to read AI agents."),
            ("ai.agent_manage", "Needed to manage AI agents."),
        ]);
        let flow = Flow::ClientCredentials(ClientCredentials::new("https://api.emporix.io/oauth/token", scopes));
        let mut scheme = OAuth2::new([flow]);
        scheme.description = Some("Bearer access token (JWT); its scopes decide what the caller may do.".into());
        openapi.components.get_or_insert_default().add_security_scheme(OAUTH2, SecurityScheme::OAuth2(scheme));
    }
}

pub fn router() -> Router<RestState> {
    Router::new()
        .route("/ai-service/{tenant}/agentic/agents/export", post(transfer::export_agents))
        // Imports stream into the blob store: the configured bundle size bounds them.
        .route(
            "/ai-service/{tenant}/agentic/agents/import",
            post(transfer::import_agents).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/ai-service/{tenant}/jobs", get(jobs::list_jobs))
        .route("/ai-service/{tenant}/jobs/search", post(jobs::search_jobs))
        .route("/ai-service/{tenant}/jobs/{job_id}", get(jobs::get_job).delete(jobs::delete_job))
        .route("/ai-service/{tenant}/jobs/{job_id}/approve", post(signing::approve_import))
        .route("/ai-service/{tenant}/agentic/signing-keys", get(signing::list_keys).post(signing::create_key))
        .route("/ai-service/{tenant}/agentic/signing-keys/{key_id}", get(signing::get_key))
        .route(
            "/ai-service/{tenant}/agentic/signing-keys/{key_id}/trust",
            put(signing::trust_key).delete(signing::untrust_key),
        )
        .route("/ai-service/{tenant}/agentic/signing-policy", get(signing::get_policy).put(signing::put_policy))
        .route("/ai-service/{tenant}/agentic/agents", get(resources::list_agents))
        .route("/ai-service/{tenant}/agentic/agents/search", post(resources::search_agents))
        .route(
            "/ai-service/{tenant}/agentic/agents/{id}",
            put(resources::put_agent)
                .get(resources::get_agent)
                .patch(resources::patch_agent)
                .delete(resources::delete_agent),
        )
        .route("/ai-service/{tenant}/agentic/tools", get(resources::list_tools))
        .route("/ai-service/{tenant}/agentic/tools/search", post(resources::search_tools))
        .route(
            "/ai-service/{tenant}/agentic/tools/{id}",
            put(resources::put_tool)
                .get(resources::get_tool)
                .patch(resources::patch_tool)
                .delete(resources::delete_tool),
        )
        .route("/ai-service/{tenant}/agentic/mcp-servers", get(resources::list_mcp_servers))
        .route("/ai-service/{tenant}/agentic/mcp-servers/search", post(resources::search_mcp_servers))
        .route(
            "/ai-service/{tenant}/agentic/mcp-servers/{id}",
            put(resources::put_mcp_server)
                .get(resources::get_mcp_server)
                .patch(resources::patch_mcp_server)
                .delete(resources::delete_mcp_server),
        )
        .route("/ai-service/{tenant}/agentic/tokens", get(resources::list_tokens))
        .route("/ai-service/{tenant}/agentic/tokens/search", post(resources::search_tokens))
        .route(
            "/ai-service/{tenant}/agentic/tokens/{id}",
            put(resources::put_token)
                .get(resources::get_token)
                .patch(resources::patch_token)
                .delete(resources::delete_token),
        )
}

/// Emporix `QParamSearchBody`: the body of every `POST .../search`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct QParamSearchBody {
    /// A query in the Emporix `q` language, e.g. `type:IMPORT status:success`.
    #[serde(default)]
    pub q: Option<String>,
}

/// Paging, sorting and projection of list endpoints (`GET` lists, with `q`).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// A query in the Emporix `q` language (space-separated conditions, all must hold), e.g.
    /// `name:~Complaint enabled:true metadata.createdAt:>"2026-01-01T00:00:00Z"`.
    pub q: Option<String>,
    /// The number of documents to be retrieved per page, 1..1000 (default: see the operation).
    pub page_size: Option<String>,
    /// The page number to be retrieved, 1-based.
    pub page_number: Option<String>,
    /// Comma-separated `field[:asc|desc]` list, left to right in priority, e.g.
    /// `name.en,metadata.createdAt:desc`; only `desc`/`DESC` sorts descending.
    pub sort: Option<String>,
    /// Comma-separated fields to be returned; all when absent.
    pub fields: Option<String>,
    /// Comma-separated references to show in full instead of `{id}`: on agents `token`,
    /// `mcpServers`, `nativeTools` (and `oauth`, which stays `{id}`); on tools and MCP servers
    /// `token`. A token shows as `{id, name, metadata}`, never its value.
    pub expand: Option<String>,
}

/// Paging, sorting and projection of search endpoints (the query is in the body).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// The number of documents to be retrieved per page, 1..1000 (default: see the operation).
    pub page_size: Option<String>,
    /// The page number to be retrieved, 1-based.
    pub page_number: Option<String>,
    /// Comma-separated `field[:asc|desc]` list, left to right in priority, e.g.
    /// `name.en,metadata.createdAt:desc`; only `desc`/`DESC` sorts descending.
    pub sort: Option<String>,
    /// Comma-separated fields to be returned; all when absent.
    pub fields: Option<String>,
    /// Comma-separated references to show in full instead of `{id}`: on agents `token`,
    /// `mcpServers`, `nativeTools` (and `oauth`, which stays `{id}`); on tools and MCP servers
    /// `token`. A token shows as `{id, name, metadata}`, never its value.
    pub expand: Option<String>,
}

impl SearchParams {
    fn with_q(self, q: Option<String>) -> ListParams {
        let SearchParams { page_size, page_number, sort, fields, expand } = self;
        ListParams { q, page_size, page_number, sort, fields, expand }
    }
}

/// Emporix `MetadataResponse`.
#[derive(Debug, Default, serde::Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MetadataResponse {
    /// Version of the object, +1 on every change.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    #[schema(minimum = 1)]
    pub version: Option<i64>,
    /// ISO-8601 instant in UTC, e.g. `2022-04-31T13:18:02.379Z`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub created_at: Option<String>,
    /// ISO-8601 instant in UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub modified_at: Option<String>,
}

impl MetadataResponse {
    /// `None` when nothing of it is known (e.g. projected away).
    fn of(revision: i64, created: Option<&Timestamp>, modified: Option<&Timestamp>) -> Option<Self> {
        let metadata = Self {
            version: (revision > 0).then_some(revision),
            created_at: created.map(iso8601),
            modified_at: modified.map(iso8601),
        };
        (metadata.version.is_some() || metadata.created_at.is_some() || metadata.modified_at.is_some())
            .then_some(metadata)
    }
}

/// `tenants/{tenant}`.
fn parent(tenant: &str) -> String {
    format!("tenants/{tenant}")
}

/// The last segment of a resource name: its id.
fn id_of(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

/// ISO-8601 instant with `Z`.
fn iso8601(at: &Timestamp) -> String {
    crate::domain::clock::iso8601(at.seconds * 1_000_000 + i64::from(at.nanos / 1000))
}

/// `X-Total-Count: true` on the request.
fn total_requested(headers: &HeaderMap) -> bool {
    headers.get("x-total-count").and_then(|v| v.to_str().ok()).is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// The `X-Total-Count` response header.
fn total_header(total: u64) -> (HeaderName, HeaderValue) {
    (HeaderName::from_static("x-total-count"), HeaderValue::from(total))
}

/// A positive integer query parameter (Emporix types them as strings).
fn positive(field: &str, value: Option<&str>) -> Result<Option<i32>, ApiError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => match text.parse::<i32>() {
            Ok(n) if n >= 1 => Ok(Some(n)),
            _ => Err(ApiError::invalid(field, format!("must be a positive integer, not `{text}`"))),
        },
    }
}

/// Comma-separated `fields`.
fn field_list(fields: Option<&str>) -> Vec<String> {
    fields.unwrap_or_default().split(',').map(str::trim).filter(|f| !f.is_empty()).map(str::to_owned).collect()
}

/// An error in the dialect's `ErrorMessage` body.
pub(super) fn error_response(err: crate::error::Error) -> axum::response::Response {
    axum::response::IntoResponse::into_response(error::ApiError::from(err))
}

/// A failure of routing itself (unknown path, wrong method) as an `ErrorMessage`.
pub(super) fn status_response(
    status: axum::http::StatusCode,
    reason: &str,
    message: String,
) -> axum::response::Response {
    let failure = crate::rest::call::Failure {
        http: status,
        code: tonic::Code::Unimplemented,
        reason: reason.to_owned(),
        message,
        violations: Vec::new(),
        metadata: Default::default(),
    };
    axum::response::IntoResponse::into_response(error::ApiError::from(failure))
}
