//! `/ai-service/{tenant}/jobs`: the jobs history, onto `JobService`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, Body, ErrorMessage, ErrorMessageFault, Ids, Params};
use super::transfer::ImportSummary;
use super::{
    ListParams, MetadataResponse, QParamSearchBody, RestState, SearchParams, id_of, parent, positive, total_header,
    total_requested,
};
use crate::domain::encode::Encoding;
use crate::proto;
use crate::proto::job_service_server::JobService as _;
use crate::rest::call::grpc_request;
use crate::rest::stream::{json_with_content, placeholder};
use futures_util::TryStreamExt;

/// Emporix `Job`: the result of an export, an import or an agent chat. Absent values are
/// left out, and so are the fields a `fields` projection did not ask for.
#[derive(Debug, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    /// Unique identifier of the job.
    pub id: String,
    /// Type of the agent handling the request (`generic`, `complaint`, `anti_fraud`, `support`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub agent_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub status: Option<JobStatus>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub job_type: Option<JobType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub export_result: Option<ExportResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub import_result: Option<ImportResult>,
    /// Unique identifier of the session.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub session_id: Option<String>,
    /// Unique identifier of the agent.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub agent_id: Option<String>,
    /// The agent's message; for a failed export or import, why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub message: Option<String>,
    /// Commerce event which triggered the job.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub commerce_event: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub metadata: Option<MetadataResponse>,
}

/// Status of the job.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    InProgress,
    Success,
    Failure,
    Skipped,
    /// agentport extension: an import the tenant's signing policy holds until it is approved.
    NeedsReview,
}

/// Type of the job.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobType {
    Import,
    Export,
    AgentChat,
}

/// What an export produced.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportResult {
    /// The base64 encoded JSON value of the exported agents with related tools and MCP servers.
    pub data: String,
    /// Checksum of the decoded `data`.
    pub checksum: String,
}

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResult {
    /// Short summary of the import.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub summary: Option<ImportSummary>,
    /// agentport extension: who signed the imported bundle; absent when it was not signed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub signer: Option<super::signing::Signer>,
}

fn text(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

impl From<proto::Job> for Job {
    fn from(job: proto::Job) -> Self {
        let status = match proto::JobStatus::try_from(job.status) {
            Ok(proto::JobStatus::InProgress) => Some(JobStatus::InProgress),
            Ok(proto::JobStatus::Success) => Some(JobStatus::Success),
            Ok(proto::JobStatus::Failure) => Some(JobStatus::Failure),
            Ok(proto::JobStatus::Skipped) => Some(JobStatus::Skipped),
            Ok(proto::JobStatus::NeedsReview) => Some(JobStatus::NeedsReview),
            Ok(proto::JobStatus::Unspecified) | Err(_) => None,
        };
        let job_type = match proto::JobType::try_from(job.r#type) {
            Ok(proto::JobType::Import) => Some(JobType::Import),
            Ok(proto::JobType::Export) => Some(JobType::Export),
            Ok(proto::JobType::AgentChat) => Some(JobType::AgentChat),
            Ok(proto::JobType::Unspecified | proto::JobType::TemplateExport) | Err(_) => None,
        };
        Self {
            id: id_of(&job.name).to_owned(),
            agent_type: text(job.agent_type),
            status,
            job_type,
            export_result: job.export_result.map(|r| ExportResult { data: r.data, checksum: r.checksum }),
            import_result: job.import_result.map(|r| ImportResult {
                message: text(r.message),
                summary: r.summary.map(ImportSummary::from),
                signer: r.signer.map(super::signing::Signer::from),
            }),
            session_id: text(job.session_id),
            agent_id: text(job.agent_id),
            message: text(job.message),
            commerce_event: text(job.commerce_event),
            metadata: MetadataResponse::of(job.revision, job.create_time.as_ref(), job.update_time.as_ref()),
        }
    }
}

/// `fields` of a single job.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FieldsParam {
    /// Comma-separated fields to be returned, e.g. `id,status,metadata.createdAt`.
    pub fields: Option<String>,
}

/// The jobs the dialect shows: Emporix's types only (a template export's result is no bundle).
const EMPORIX_JOBS: &str = "type:(IMPORT,EXPORT,AGENT_CHAT)";

/// The caller's `q`, kept to the jobs the dialect shows.
fn emporix_q(q: Option<String>) -> String {
    match q.as_deref().map(str::trim) {
        None | Some("") => EMPORIX_JOBS.to_owned(),
        Some(q) => format!("{EMPORIX_JOBS} {q}"),
    }
}

fn page_of(jobs: Vec<proto::Job>, total: Option<i64>) -> Response {
    let body: Vec<Job> = jobs.into_iter().map(Job::from).collect();
    match total {
        Some(total) => ([total_header(total.max(0) as u64)], Json(body)).into_response(),
        None => Json(body).into_response(),
    }
}

async fn search(
    state: RestState,
    headers: HeaderMap,
    tenant: String,
    params: ListParams,
) -> Result<Response, ApiError> {
    let include_total = total_requested(&headers);
    let request = proto::ListJobsRequest {
        parent: parent(&tenant),
        q: emporix_q(params.q),
        page_size: positive("pageSize", params.page_size.as_deref())?.unwrap_or(0),
        page_number: positive("pageNumber", params.page_number.as_deref())?.unwrap_or(0),
        sort: params.sort.unwrap_or_default(),
        fields: params.fields.unwrap_or_default(),
        include_total,
    };
    let page = state.jobs.list_jobs(grpc_request(&headers, request)).await?.into_inner();
    Ok(page_of(page.jobs, include_total.then_some(page.total_size)))
}

/// Listing available jobs.
#[utoipa::path(
    get,
    path = "/ai-service/{tenant}/jobs",
    operation_id = "GET-ai-list-jobs",
    tag = "Job",
    description = "Retrieves agent jobs, newest first unless `sort` says otherwise; `pageSize` defaults to 50.",
    params(
        ("tenant" = String, Path, description = "Your Emporix tenant name, in lowercase."),
        ListParams,
        ("X-Total-Count" = Option<bool>, Header, description = "Return the number of matching jobs in the `X-Total-Count` response header."),
    ),
    responses(
        (status = 200, description = "List of available jobs.", body = Vec<Job>,
            headers(("X-Total-Count" = i64, description = "Number of matching jobs, when asked for."))),
        (status = 400, description = "The request was syntactically incorrect.", body = ErrorMessage),
        (status = 401, description = "The authorization token is invalid or has expired.", body = ErrorMessageFault),
        (status = 403, description = "The token's scopes are not sufficient.", body = ErrorMessage),
    ),
    security(("OAuth2" = ["ai.agent_read"]))
)]
pub async fn list_jobs(
    State(state): State<RestState>,
    headers: HeaderMap,
    Ids(tenant): Ids<String>,
    Params(params): Params<ListParams>,
) -> Result<Response, ApiError> {
    search(state, headers, tenant, params).await
}

/// Searching jobs.
#[utoipa::path(
    post,
    path = "/ai-service/{tenant}/jobs/search",
    operation_id = "POST-ai-search-jobs",
    tag = "Job",
    description = "Searches for agent jobs based on the provided query; `pageSize` defaults to 50.",
    params(
        ("tenant" = String, Path, description = "Your Emporix tenant name, in lowercase."),
        SearchParams,
        ("X-Total-Count" = Option<bool>, Header, description = "Return the number of matching jobs in the `X-Total-Count` response header."),
    ),
    request_body = QParamSearchBody,
    responses(
        (status = 200, description = "List of available jobs.", body = Vec<Job>,
            headers(("X-Total-Count" = i64, description = "Number of matching jobs, when asked for."))),
        (status = 400, description = "The request was syntactically incorrect.", body = ErrorMessage),
        (status = 401, description = "The authorization token is invalid or has expired.", body = ErrorMessageFault),
        (status = 403, description = "The token's scopes are not sufficient.", body = ErrorMessage),
    ),
    security(("OAuth2" = ["ai.agent_read"]))
)]
pub async fn search_jobs(
    State(state): State<RestState>,
    headers: HeaderMap,
    Ids(tenant): Ids<String>,
    Params(params): Params<SearchParams>,
    Body(body): Body<QParamSearchBody>,
) -> Result<Response, ApiError> {
    let include_total = total_requested(&headers);
    let params = params.with_q(body.q);
    let request = proto::SearchJobsRequest {
        parent: parent(&tenant),
        q: emporix_q(params.q),
        page_size: positive("pageSize", params.page_size.as_deref())?.unwrap_or(0),
        page_number: positive("pageNumber", params.page_number.as_deref())?.unwrap_or(0),
        sort: params.sort.unwrap_or_default(),
        fields: params.fields.unwrap_or_default(),
        include_total,
    };
    let page = state.jobs.search_jobs(grpc_request(&headers, request)).await?.into_inner();
    Ok(page_of(page.jobs, include_total.then_some(page.total_size)))
}

/// Retrieving available job.
#[utoipa::path(
    get,
    path = "/ai-service/{tenant}/jobs/{jobId}",
    operation_id = "GET-ai-job",
    tag = "Job",
    description = "Retrieves agent job by its ID.",
    params(
        ("tenant" = String, Path, description = "Your Emporix tenant name, in lowercase."),
        ("jobId" = String, Path, description = "ID of the job."),
        FieldsParam,
    ),
    responses(
        (status = 200, description = "A job details.", body = Job),
        (status = 401, description = "The authorization token is invalid or has expired.", body = ErrorMessageFault),
        (status = 403, description = "The token's scopes are not sufficient.", body = ErrorMessage),
        (status = 404, description = "No such job.", body = ErrorMessage),
    ),
    security(("OAuth2" = ["ai.agent_read"]))
)]
pub async fn get_job(
    State(state): State<RestState>,
    headers: HeaderMap,
    Ids((tenant, job_id)): Ids<(String, String)>,
    Params(params): Params<FieldsParam>,
) -> Result<Response, ApiError> {
    let name = format!("tenants/{tenant}/jobs/{job_id}");
    let request = proto::GetJobRequest { name: name.clone(), fields: params.fields.unwrap_or_default() };
    let job = state.jobs.get_job_lean(grpc_request(&headers, request)).await?;
    if job.r#type == proto::JobType::TemplateExport as i32 {
        let missing = crate::error::Error::not_found(&name);
        return Err(missing.into());
    }
    let stored = job.export_result.as_ref().is_some_and(|r| r.data.is_empty() && !r.sha256.is_empty());
    let mut body = Job::from(job);
    let Some(result) = body.export_result.as_mut().filter(|_| stored) else {
        return Ok(Json(body).into_response());
    };
    // The bundle streams from the blob store into `exportResult.data`, base64 on the fly.
    let mark = placeholder();
    result.data = mark.clone();
    let request = proto::DownloadJobResultRequest { name };
    let bytes = state.jobs.download_job_result(grpc_request(&headers, request)).await?.into_inner();
    Ok(json_with_content(&body, &mark, bytes.map_ok(|m| m.chunk), Encoding::Base64))
}

/// Deleting a job.
#[utoipa::path(
    delete,
    path = "/ai-service/{tenant}/jobs/{jobId}",
    operation_id = "DELETE-ai-job",
    tag = "Job",
    description = "Deletes job by given ID. A job still in progress cannot be deleted.",
    params(
        ("tenant" = String, Path, description = "Your Emporix tenant name, in lowercase."),
        ("jobId" = String, Path, description = "ID of the job."),
    ),
    responses(
        (status = 204, description = "Given job has been deleted."),
        (status = 400, description = "The job is still in progress.", body = ErrorMessage),
        (status = 401, description = "The authorization token is invalid or has expired.", body = ErrorMessageFault),
        (status = 403, description = "The token's scopes are not sufficient.", body = ErrorMessage),
        (status = 404, description = "No such job.", body = ErrorMessage),
    ),
    security(("OAuth2" = ["ai.agent_manage"]))
)]
pub async fn delete_job(
    State(state): State<RestState>,
    headers: HeaderMap,
    Ids((tenant, job_id)): Ids<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let request = proto::DeleteJobRequest { name: format!("tenants/{tenant}/jobs/{job_id}"), revision: 0 };
    state.jobs.delete_job(grpc_request(&headers, request)).await?;
    Ok(StatusCode::NO_CONTENT)
}
