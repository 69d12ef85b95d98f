//! Document content over HTTP (agentport extensions): upload a document as a raw or
//! `multipart/form-data` body, download its content raw. Both stream: no body is held whole.

use axum::Json;
use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt, TryStreamExt};
use serde::Deserialize;
use utoipa::IntoParams;

use super::dto::{ErrorDetail, HttpValidationError, KbDocumentItem};
use super::http::{ApiError, Caller, Params, Scope};
use super::knowledge::{KNOWLEDGE_BASES, document_item, get_kb};
use super::wire::Origins;
use crate::error::{Error, Result};
use crate::proto::agent_service_server::AgentService;
use crate::proto::{Document, DownloadDocumentRequest, UploadDocumentHeader, download_document_response};
use crate::rest::RestState;

/// What an upload names besides the content.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// The document's name (default: the multipart file name).
    pub name: Option<String>,
    /// Where the document came from.
    pub document_url: Option<String>,
    /// Lowercase hex SHA-256 of the content; the upload is refused when it differs.
    pub sha256: Option<String>,
}

/// A document's metadata and its content as a stream of bytes.
pub async fn open(
    state: &RestState,
    caller: &Caller,
    name: String,
) -> Result<(Document, BoxStream<'static, Result<Bytes, tonic::Status>>), ApiError> {
    let fail = ApiError::status(Scope::Document);
    let request = caller.request(DownloadDocumentRequest { name });
    let mut stream = state.agents.download_document(request).await.map_err(&fail)?.into_inner();
    let document = match stream.next().await {
        Some(Ok(first)) => match first.part {
            Some(download_document_response::Part::Document(document)) => document,
            _ => return Err(fail(Error::internal("download", "no metadata first").into())),
        },
        Some(Err(status)) => return Err(fail(status)),
        None => return Err(fail(Error::internal("download", "empty stream").into())),
    };
    let content = stream.map_ok(|m| match m.part {
        Some(download_document_response::Part::Chunk(chunk)) => chunk,
        _ => Bytes::new(),
    });
    Ok((document, content.boxed()))
}

/// Download Knowledge Base Document Content (agentport extension)
///
/// The document's content as it was uploaded, streamed, with its media type.
#[utoipa::path(
    get,
    path = "/v1/knowledge/{kb_id}/documents/{document_id}/content",
    operation_id = "Download_knowledge_base_document_content_v1_knowledge__kb_id__documents__document_id__content_get",
    tags = ["API v1", "Knowledge", "Knowledge Documents"],
    params(
        ("kb_id" = String, Path, description = "The knowledge base id"),
        ("document_id" = String, Path, description = "The document id"),
    ),
    responses(
        (status = 200, description = "The content", content_type = "text/plain", body = String,
            headers(("x-content-sha256" = String, description = "Lowercase hex SHA-256 of the content"))),
        (status = 404, description = "No such document", body = ErrorDetail),
        (status = 422, description = "Validation Error", body = HttpValidationError),
    ),
    security(("APIKeyHeader" = []), ("HTTPBearer" = [])),
    extensions(("x-agentport-extension" = json!(true)))
)]
pub async fn download_content(
    State(state): State<RestState>,
    caller: Caller,
    Params((kb_id, document_id)): Params<(String, String)>,
) -> Result<Response, ApiError> {
    let name = format!("{}/documents/{document_id}", caller.name(KNOWLEDGE_BASES, &kb_id));
    let (document, content) = open(&state, &caller, name).await?;
    let media = if document.content_type.is_empty() { "text/plain; charset=utf-8" } else { &document.content_type };
    let mut headers = HeaderMap::new();
    headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_str(media).unwrap_or(HeaderValue::from_static("text/plain")));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(document.size_bytes.max(0) as u64));
    if let Ok(sha) = HeaderValue::from_str(&document.sha256) {
        headers.insert("x-content-sha256", sha);
    }
    Ok((headers, Body::from_stream(content)).into_response())
}

/// Upload Knowledge Base Document (agentport extension)
///
/// Adds a document with its content, sent as the raw body (its `Content-Type` is kept) or as
/// the `file` part of a `multipart/form-data` body (parts `name` and `document_url` may come
/// before it). The content is stored as it arrives; it must be UTF-8 text of at most the
/// configured document size.
#[utoipa::path(
    post,
    path = "/v1/knowledge/{kb_id}/documents/upload",
    operation_id = "Upload_knowledge_base_document_v1_knowledge__kb_id__documents_upload_post",
    tags = ["API v1", "Knowledge", "Knowledge Documents"],
    params(("kb_id" = String, Path, description = "The knowledge base id"), UploadParams),
    request_body(content = String, description = "The content, raw or as the `file` part of a multipart body",
        content_type = "text/plain"),
    responses(
        (status = 200, description = "The new document", body = KbDocumentItem),
        (status = 404, description = "No such knowledge base", body = ErrorDetail),
        (status = 422, description = "Validation Error", body = HttpValidationError),
    ),
    security(("APIKeyHeader" = []), ("HTTPBearer" = [])),
    extensions(("x-agentport-extension" = json!(true)))
)]
pub async fn upload_document(
    State(state): State<RestState>,
    caller: Caller,
    Params(kb_id): Params<String>,
    Query(params): Query<UploadParams>,
    request: Request,
) -> Result<Json<KbDocumentItem>, ApiError> {
    let kb = get_kb(&state, &caller, &kb_id).await?;
    let media = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let mut header = UploadDocumentHeader {
        parent: kb.name,
        document: Some(Document {
            display_name: params.name.unwrap_or_default(),
            url: params.document_url.unwrap_or_default(),
            ..Default::default()
        }),
        sha256: params.sha256.unwrap_or_default(),
        ..Default::default()
    };
    let created = if media.starts_with("multipart/form-data") {
        let mut multipart = Multipart::from_request(request, &state)
            .await
            .map_err(|e| ApiError::invalid_at("body", &[crate::error::FieldViolation::new("body", e.body_text())]))?;
        upload_multipart(&state, &caller, header, &mut multipart).await?
    } else {
        header.content_type = media;
        let content = request.into_body().into_data_stream().map_err(|e| cut(&e.to_string()));
        upload(&state, &caller, header, content).await?
    };
    Ok(Json(document_item(created, &kb_id)))
}

async fn upload_multipart(
    state: &RestState,
    caller: &Caller,
    mut header: UploadDocumentHeader,
    multipart: &mut Multipart,
) -> Result<Document, ApiError> {
    let invalid = |why: String| ApiError::invalid_at("body", &[crate::error::FieldViolation::new("body", why)]);
    while let Some(field) = multipart.next_field().await.map_err(|e| invalid(e.body_text()))? {
        let document = header.document.get_or_insert_default();
        match field.name().unwrap_or_default() {
            "name" => document.display_name = field.text().await.map_err(|e| invalid(e.body_text()))?,
            "document_url" => document.url = field.text().await.map_err(|e| invalid(e.body_text()))?,
            "file" => {
                if document.display_name.is_empty() {
                    document.display_name = field.file_name().unwrap_or_default().to_owned();
                }
                header.content_type = field.content_type().unwrap_or_default().to_owned();
                let content = field.map_err(|e| cut(&e.body_text()));
                return upload(state, caller, header, content).await;
            }
            other => return Err(invalid(format!("unknown part `{other}`: send `name`, `document_url`, then `file`"))),
        }
    }
    Err(invalid("the `file` part is missing".to_owned()))
}

async fn upload<S>(
    state: &RestState,
    caller: &Caller,
    header: UploadDocumentHeader,
    content: S,
) -> Result<Document, ApiError>
where
    S: Stream<Item = Result<Bytes>> + Send,
{
    let request = caller.request(header);
    // The upload's fields as the service names them, in the dialect's document.
    let origins = Origins::new(&[("content", "raw_data"), ("url", "document_urls"), ("display_name", "name")]);
    state.agents.upload_document_bytes(request, content).await.map_err(ApiError::status_from(Scope::Document, origins))
}

fn cut(why: &str) -> Error {
    Error::invalid_field("body", format!("the body was cut: {why}"))
}
