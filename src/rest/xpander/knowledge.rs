//! `/v1/knowledge`: knowledge bases and their documents (reference §7; docs/canonical-model.md,
//! "xpander knowledge base and documents").

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use prost_types::FieldMask;
use serde_json::Value;

use super::dto::{
    AddDocumentsRequest, CreateManagedKnowledgeBaseRequest, DocumentPage, Envelope, ErrorDetail, HttpValidationError,
    KbDocumentFull, KbDocumentItem, KnowledgeBaseItem, KnowledgeBasePage,
};
use super::http::{
    ApiError, Caller, PageQuery, Params, QueryMap, Scope, Wire, body_problems, bool_query, id_of, list_request,
};
use super::wire::{Check, Origins};
use crate::domain::encode::Encoding;
use crate::proto::agent_service_server::AgentService;
use crate::proto::{
    CreateDocumentRequest, CreateKnowledgeBaseRequest, DeleteDocumentRequest, DeleteKnowledgeBaseRequest, Document,
    GetKnowledgeBaseRequest, KnowledgeBase, ListDocumentsRequest, ListKnowledgeBasesRequest,
    UpdateKnowledgeBaseRequest,
};
use crate::rest::RestState;
use crate::rest::stream::{json_with_content, placeholder};

pub(super) const KNOWLEDGE_BASES: &str = "knowledgeBases";

fn item(kb: KnowledgeBase, tenant: &str) -> KnowledgeBaseItem {
    KnowledgeBaseItem {
        id: id_of(&kb.name),
        name: kb.display_name,
        description: (!kb.description.is_empty()).then_some(kb.description),
        kind: if kb.r#type.is_empty() { "managed".to_owned() } else { kb.r#type },
        organization_id: tenant.to_owned(),
        agent_id: (!kb.agent_id.is_empty()).then_some(kb.agent_id),
        total_documents: kb.total_documents,
    }
}

pub(super) fn document_item(document: Document, kb_id: &str) -> KbDocumentItem {
    KbDocumentItem {
        kb_id: Some(kb_id.to_owned()),
        id: Some(id_of(&document.name)),
        name: (!document.display_name.is_empty()).then_some(document.display_name),
        document_url: document.url,
    }
}

/// A document's name from its URL: the last path segment, else the host, else the URL.
fn name_from_url(url: &str) -> String {
    let without_query = url.split(['?', '#']).next().unwrap_or_default();
    let path = without_query.split_once("://").map_or(without_query, |(_, rest)| rest);
    let mut segments = path.split('/').filter(|s| !s.is_empty());
    let host = segments.next();
    segments.next_back().or(host).filter(|s| !s.is_empty()).unwrap_or(url).to_owned()
}

/// A `CreateManagedKnowledgeBaseRequest` as the knowledge base it sets, whether it gives a
/// description, and where each field came from.
fn kb_request(body: CreateManagedKnowledgeBaseRequest) -> Result<(KnowledgeBase, bool, Origins), ApiError> {
    let mut c = Check::default();
    let display_name = c.required_text("name", "display_name", body.name).unwrap_or_default();
    let description = c.take("description", "description", body.description);
    body_problems(std::mem::take(&mut c.errs))?;
    let given = description.is_some();
    let kb = KnowledgeBase { display_name, description: description.unwrap_or_default(), ..Default::default() };
    Ok((kb, given, c.origins))
}

pub(super) async fn get_kb(state: &RestState, caller: &Caller, kb_id: &str) -> Result<KnowledgeBase, ApiError> {
    let request = GetKnowledgeBaseRequest { name: caller.name(KNOWLEDGE_BASES, kb_id) };
    let kb = state.agents.get_knowledge_base(caller.request(request)).await;
    Ok(kb.map_err(ApiError::status(Scope::KnowledgeBase))?.into_inner())
}

/// List Knowledge Bases
///
/// Returns a paginated list of knowledge bases.
#[utoipa::path(
    get,
    path = "/v1/knowledge",
    operation_id = "List_knowledge_bases_v1_knowledge_get",
    tags = ["API v1", "Knowledge", "Knowledge CRUD"],
    params(
        ("page" = Option<u64>, Query, description = "Page number (starting from 1)", minimum = 1),
        ("per_page" = Option<u64>, Query, description = "Items per page (max 50)", minimum = 1, maximum = 50),
    ),
    responses(
        (status = 200, description = "Successful Response", body = KnowledgeBasePage),
        (status = 422, description = "Validation Error", body = HttpValidationError),
    ),
    security(("APIKeyHeader" = []), ("HTTPBearer" = []))
)]
pub async fn list_knowledge_bases(
    State(state): State<RestState>,
    caller: Caller,
    query: PageQuery,
) -> Result<Json<KnowledgeBasePage>, ApiError> {
    let request = list_request!(ListKnowledgeBasesRequest { parent: caller.parent() }, query);
    let page = state
        .agents
        .list_knowledge_bases(caller.request(request))
        .await
        .map_err(ApiError::status(Scope::KnowledgeBase))?
        .into_inner();
    let items = page.knowledge_bases.into_iter().map(|kb| item(kb, &caller.tenant)).collect();
    Ok(Json(KnowledgeBasePage::page(items, page.total_size, &query)))
}

/// Create Knowledge Base
///
/// Creates a managed knowledge base.
#[utoipa::path(
    post,
    path = "/v1/knowledge",
    operation_id = "Create_knowledge_base_v1_knowledge_post",
    tags = ["API v1", "Knowledge", "Knowledge CRUD"],
    request_body = CreateManagedKnowledgeBaseRequest,
    responses(
        (status = 201, description = "Successful Response", body = KnowledgeBaseItem),
        (status = 422, description = "Validation Error", body = HttpValidationError),
    ),
    security(("APIKeyHeader" = []), ("HTTPBearer" = []))
)]
pub async fn create_knowledge_base(
    State(state): State<RestState>,
    caller: Caller,
    Wire(body): Wire<CreateManagedKnowledgeBaseRequest>,
) -> Result<(StatusCode, Json<KnowledgeBaseItem>), ApiError> {
    let (kb, _, origins) = kb_request(body)?;
    let kb = KnowledgeBase { r#type: "managed".to_owned(), ..kb };
    let message = CreateKnowledgeBaseRequest {
        parent: caller.parent(),
        knowledge_base_id: String::new(),
        knowledge_base: Some(kb),
    };
    let created = state.agents.create_knowledge_base(caller.request(message)).await;
    let created = created.map_err(ApiError::status_from(Scope::KnowledgeBase, origins))?.into_inner();
    Ok((StatusCode::CREATED, Json(item(created, &caller.tenant))))
}

/// Get Knowledge Base Details
#[utoipa::path(
    get,
    path = "/v1/knowledge/{kb_id}",
    operation_id = "Get_knowledge_base_details_v1_knowledge__kb_id__get",
    tags = ["API v1", "Knowledge", "Knowledge CRUD"],
    params(("kb_id" = String, Path, description = "The knowledge base id")),
    responses(
        (status = 200, description = "Successful Response", body = KnowledgeBaseItem),
        (status = 404, description = "No such knowledge base", body = ErrorDetail),
        (status = 422, description = "Validation Error", body = HttpValidationError),
    ),
    security(("APIKeyHeader" = []), ("HTTPBearer" = []))
)]
pub async fn get_knowledge_base(
    State(state): State<RestState>,
    caller: Caller,
    Params(kb_id): Params<String>,
) -> Result<Json<KnowledgeBaseItem>, ApiError> {
    Ok(Json(item(get_kb(&state, &caller, &kb_id).await?, &caller.tenant)))
}

/// Update Knowledge Base
///
/// Sets the name and, when given, the description.
#[utoipa::path(
    patch,
    path = "/v1/knowledge/{kb_id}",
    operation_id = "Update_knowledge_base_v1_knowledge__kb_id__patch",
    tags = ["API v1", "Knowledge", "Knowledge CRUD"],
    params(("kb_id" = String, Path, description = "The knowledge base id")),
    request_body = CreateManagedKnowledgeBaseRequest,
    responses(
        (status = 200, description = "Successful Response", body = KnowledgeBaseItem),
        (status = 404, description = "No such knowledge base", body = ErrorDetail),
        (status = 422, description = "Validation Error", body = HttpValidationError),
    ),
    security(("APIKeyHeader" = []), ("HTTPBearer" = []))
)]
pub async fn update_knowledge_base(
    State(state): State<RestState>,
    caller: Caller,
    Params(kb_id): Params<String>,
    Wire(body): Wire<CreateManagedKnowledgeBaseRequest>,
) -> Result<Json<KnowledgeBaseItem>, ApiError> {
    let (kb, described, origins) = kb_request(body)?;
    let mut paths = vec!["display_name".to_owned()];
    if described {
        paths.push("description".to_owned());
    }
    let kb = KnowledgeBase { name: caller.name(KNOWLEDGE_BASES, &kb_id), ..kb };
    let message = UpdateKnowledgeBaseRequest { knowledge_base: Some(kb), update_mask: Some(FieldMask { paths }) };
    let updated = state.agents.update_knowledge_base(caller.request(message)).await;
    let updated = updated.map_err(ApiError::status_from(Scope::KnowledgeBase, origins))?.into_inner();
    Ok(Json(item(updated, &caller.tenant)))
}

/// Delete Knowledge Base
///
/// Deletes the knowledge base with its documents. The body is `null`. A knowledge base that
/// agents still use is refused (400) unless `force` is true, which also removes it from those
/// agents and disables them.
#[utoipa::path(
    delete,
    path = "/v1/knowledge/{kb_id}",
    operation_id = "Delete_knowledge_base_v1_knowledge__kb_id__delete",
    tags = ["API v1", "Knowledge", "Knowledge CRUD"],
    params(
        ("kb_id" = String, Path, description = "The knowledge base id"),
        ("force" = Option<bool>, Query, description = "agentport extension: delete even when agents use it (default false)"),
    ),
    responses(
        (status = 202, description = "Successful Response (`null`)", body = Option<Object>),
        (status = 400, description = "Agents use the knowledge base; retry with `force=true`", body = ErrorDetail),
        (status = 404, description = "No such knowledge base", body = ErrorDetail),
        (status = 422, description = "Validation Error", body = HttpValidationError),
    ),
    security(("APIKeyHeader" = []), ("HTTPBearer" = []))
)]
pub async fn delete_knowledge_base(
    State(state): State<RestState>,
    caller: Caller,
    Params(kb_id): Params<String>,
    QueryMap(query): QueryMap,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let force = bool_query(&query, "force")?;
    let request = DeleteKnowledgeBaseRequest { name: caller.name(KNOWLEDGE_BASES, &kb_id), etag: String::new(), force };
    let deleted = state.agents.delete_knowledge_base(caller.request(request)).await;
    deleted.map_err(ApiError::status(Scope::KnowledgeBase))?;
    Ok((StatusCode::ACCEPTED, Json(Value::Null)))
}

/// Get Knowledge Base Documents
#[utoipa::path(
    get,
    path = "/v1/knowledge/{kb_id}/documents",
    operation_id = "Get_knowledge_base_documents_v1_knowledge__kb_id__documents_get",
    tags = ["API v1", "Knowledge", "Knowledge CRUD", "Knowledge Documents"],
    params(
        ("kb_id" = String, Path, description = "The knowledge base id"),
        ("page" = Option<u64>, Query, description = "Page number (starting from 1)", minimum = 1),
        ("per_page" = Option<u64>, Query, description = "Items per page (max 50)", minimum = 1, maximum = 50),
    ),
    responses(
        (status = 200, description = "Successful Response", body = DocumentPage),
        (status = 404, description = "No such knowledge base", body = ErrorDetail),
        (status = 422, description = "Validation Error", body = HttpValidationError),
    ),
    security(("APIKeyHeader" = []), ("HTTPBearer" = []))
)]
pub async fn list_documents(
    State(state): State<RestState>,
    caller: Caller,
    Params(kb_id): Params<String>,
    query: PageQuery,
) -> Result<Json<DocumentPage>, ApiError> {
    let kb = get_kb(&state, &caller, &kb_id).await?;
    let request = list_request!(ListDocumentsRequest { parent: kb.name.clone() }, query);
    let page = state
        .agents
        .list_documents(caller.request(request))
        .await
        .map_err(ApiError::status(Scope::Document))?
        .into_inner();
    let items = page.documents.into_iter().map(|d| document_item(d, &kb_id)).collect();
    Ok(Json(DocumentPage::page(items, page.total_size, &query)))
}

/// Add Knowledge Base Documents
///
/// Adds one document per URL, named after the URL's last segment.
#[utoipa::path(
    post,
    path = "/v1/knowledge/{kb_id}/documents",
    operation_id = "Add_knowledge_base_documents_v1_knowledge__kb_id__documents_post",
    tags = ["API v1", "Knowledge", "Knowledge CRUD", "Knowledge Documents"],
    params(("kb_id" = String, Path, description = "The knowledge base id")),
    request_body = AddDocumentsRequest,
    responses(
        (status = 200, description = "Successful Response", body = Vec<KbDocumentItem>),
        (status = 404, description = "No such knowledge base", body = ErrorDetail),
        (status = 422, description = "Validation Error", body = HttpValidationError),
    ),
    security(("APIKeyHeader" = []), ("HTTPBearer" = []))
)]
pub async fn add_documents(
    State(state): State<RestState>,
    caller: Caller,
    Params(kb_id): Params<String>,
    Wire(body): Wire<AddDocumentsRequest>,
) -> Result<Json<Vec<KbDocumentItem>>, ApiError> {
    let mut c = Check::default();
    let urls = c.required("document_urls", "url", body.document_urls).unwrap_or_default();
    let urls = c.items("document_urls", "url", urls, |c, url: String| {
        if url.trim().is_empty() {
            c.push(crate::error::ViolationKind::Invalid, "", "must not be empty");
        }
        url
    });
    body_problems(c.errs)?;
    let kb = get_kb(&state, &caller, &kb_id).await?;
    let mut items = Vec::with_capacity(urls.len());
    // Each document is created alone: what the service refuses is the URL as a whole.
    let origins = Origins::new(&[("url", "document_urls")]);
    for url in urls {
        let document = Document { display_name: name_from_url(&url), url, ..Default::default() };
        let message =
            CreateDocumentRequest { parent: kb.name.clone(), document_id: String::new(), document: Some(document) };
        let created = state.agents.create_document(caller.request(message)).await;
        let created = created.map_err(ApiError::status_from(Scope::Document, origins.clone()))?;
        items.push(document_item(created.into_inner(), &kb_id));
    }
    Ok(Json(items))
}

/// Get Knowledge Base Document By Id
#[utoipa::path(
    get,
    path = "/v1/knowledge/{kb_id}/documents/{document_id}",
    operation_id = "Get_knowledge_base_document_by_id_v1_knowledge__kb_id__documents__document_id__get",
    tags = ["API v1", "Knowledge", "Knowledge CRUD", "Knowledge Documents"],
    params(
        ("kb_id" = String, Path, description = "The knowledge base id"),
        ("document_id" = String, Path, description = "The document id"),
    ),
    responses(
        (status = 200, description = "Successful Response", body = KbDocumentFull),
        (status = 404, description = "No such document", body = ErrorDetail),
        (status = 422, description = "Validation Error", body = HttpValidationError),
    ),
    security(("APIKeyHeader" = []), ("HTTPBearer" = []))
)]
pub async fn get_document(
    State(state): State<RestState>,
    caller: Caller,
    Params((kb_id, document_id)): Params<(String, String)>,
) -> Result<Response, ApiError> {
    let name = format!("{}/documents/{document_id}", caller.name(KNOWLEDGE_BASES, &kb_id));
    let (document, content) = super::content::open(&state, &caller, name).await?;
    let mark = placeholder();
    let full = KbDocumentFull {
        kb_id: Some(kb_id),
        id: Some(id_of(&document.name)),
        document_url: document.url,
        organization_id: Some(caller.tenant.clone()),
        name: (!document.display_name.is_empty()).then_some(document.display_name),
        raw_data: (document.size_bytes > 0).then(|| mark.clone()),
        local_env: document.local_env,
        sync: document.sync,
    };
    if full.raw_data.is_none() {
        return Ok(Json(full).into_response());
    }
    Ok(json_with_content(&full, &mark, content, Encoding::Text))
}

/// Delete Knowledge Base Document By Id
///
/// The body is `null`.
#[utoipa::path(
    delete,
    path = "/v1/knowledge/{kb_id}/documents/{document_id}",
    operation_id = "Delete_knowledge_base_document_by_id_v1_knowledge__kb_id__documents__document_id__delete",
    tags = ["API v1", "Knowledge", "Knowledge CRUD", "Knowledge Documents"],
    params(
        ("kb_id" = String, Path, description = "The knowledge base id"),
        ("document_id" = String, Path, description = "The document id"),
    ),
    responses(
        (status = 202, description = "Successful Response (`null`)", body = Option<Object>),
        (status = 404, description = "No such document", body = ErrorDetail),
        (status = 422, description = "Validation Error", body = HttpValidationError),
    ),
    security(("APIKeyHeader" = []), ("HTTPBearer" = []))
)]
pub async fn delete_document(
    State(state): State<RestState>,
    caller: Caller,
    Params((kb_id, document_id)): Params<(String, String)>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let name = format!("{}/documents/{document_id}", caller.name(KNOWLEDGE_BASES, &kb_id));
    let deleted =
        state.agents.delete_document(caller.request(DeleteDocumentRequest { name, etag: String::new() })).await;
    deleted.map_err(ApiError::status(Scope::Document))?;
    Ok((StatusCode::ACCEPTED, Json(Value::Null)))
}

#[cfg(test)]
mod tests {
    use super::name_from_url;

    #[test]
    fn documents_are_named_after_the_last_segment_of_their_url() {
        assert_eq!(name_from_url("https://example.com/docs/guide.pdf?x=1#top"), "guide.pdf");
        assert_eq!(name_from_url("https://example.com/docs/"), "docs");
        assert_eq!(name_from_url("https://example.com"), "example.com");
        assert_eq!(name_from_url("report.txt"), "report.txt");
    }
}
