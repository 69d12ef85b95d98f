//! gRPC adapter for `agentport.v1.AgentService`: each method is authorized, unpacked, handed
//! to the service, and its outcome recorded. No rules live here.

use futures_util::StreamExt;
use tonic::{Request, Response, Status, Streaming};

use super::streams::{ResponseStream, check_stream, pieces};
use crate::auth::Authorizer;
use crate::proto::agent_service_server::AgentService;
use crate::proto::*;
use crate::service::transfer::{ExportItem, ImportPart};
use crate::service::unique_names;
use crate::service::{DocumentService, ImportOptions, ListQuery, ResourceService, SettingsService, TransferService};

/// The [`ListQuery`] of any List request; `q` for the requests that carry `q` and `sort`.
macro_rules! list_query {
    ($r:expr) => {
        ListQuery {
            parent: &$r.parent,
            page_size: $r.page_size,
            page_token: &$r.page_token,
            skip: $r.skip,
            filter: &$r.filter,
            include_total: $r.include_total,
            ..Default::default()
        }
    };
    ($r:expr, q) => {
        ListQuery { q: &$r.q, sort: &$r.sort, ..list_query!($r) }
    };
}

pub struct AgentServiceAdapter {
    auth: Authorizer,
    resources: ResourceService,
    documents: DocumentService,
    transfers: TransferService,
    settings: SettingsService,
}

impl AgentServiceAdapter {
    pub fn new(
        auth: Authorizer,
        resources: ResourceService,
        documents: DocumentService,
        transfers: TransferService,
        settings: SettingsService,
    ) -> Self {
        Self { auth, resources, documents, transfers, settings }
    }
}

impl AgentServiceAdapter {
    /// `UploadDocument` for content that arrives as bytes (REST bodies): the same checks.
    pub async fn upload_document_bytes<S>(
        &self,
        request: Request<UploadDocumentHeader>,
        content: S,
    ) -> Result<Document, Status>
    where
        S: futures_util::Stream<Item = crate::error::Result<bytes::Bytes>> + Send,
    {
        let (metadata, extensions, header) = request.into_parts();
        let first = UploadDocumentRequest { part: Some(upload_document_request::Part::Header(header)) };
        let (call, first) = self.auth.check(Request::from_parts(metadata, extensions, first), "UploadDocument").await?;
        call.finish(self.documents.upload(upload_header(first), content).await)
    }
}

impl AgentServiceAdapter {
    /// `StreamImportAgents` for a bundle that arrives otherwise (REST bodies): the same checks.
    pub async fn import_agents_parts<S>(
        &self,
        request: Request<StreamImportAgentsHeader>,
        parts: S,
    ) -> Result<ImportAgentsResponse, Status>
    where
        S: futures_util::Stream<Item = crate::error::Result<ImportPart>> + Send,
    {
        let (metadata, extensions, header) = request.into_parts();
        let first = StreamImportAgentsRequest { part: Some(stream_import_agents_request::Part::Header(header)) };
        let (call, first) =
            self.auth.check(Request::from_parts(metadata, extensions, first), "StreamImportAgents").await?;
        let Some(stream_import_agents_request::Part::Header(header)) = first.part else { unreachable!("built above") };
        call.finish(self.import_parts(header, parts).await)
    }

    async fn import_parts<S>(
        &self,
        header: StreamImportAgentsHeader,
        parts: S,
    ) -> crate::error::Result<ImportAgentsResponse>
    where
        S: futures_util::Stream<Item = crate::error::Result<ImportPart>> + Send,
    {
        let options = ImportOptions {
            dry_run: header.dry_run,
            policy: header.conflict_policy(),
            request_id: header.request_id.clone(),
            background: header.background,
            signature: header.signature.clone(),
            require_signature: header.require_signature,
            secret_mappings: header.secret_mappings.clone().into_iter().collect(),
            plan_id: header.plan_id.clone(),
        };
        self.transfers.import_stream(&header.parent, &header.checksum, options, parts).await
    }
}

impl AgentServiceAdapter {
    /// The current state of a resource a REST upsert or patch is about to write, read under
    /// the write method's own scope (`ai.agent_manage`): a write needs no read scope, on any
    /// transport. The read is not audited; the write that follows is.
    pub async fn current_for_write<R, M>(&self, request: Request<M>, write_method: &'static str) -> Result<R, Status>
    where
        R: crate::domain::resource::Resource,
        M: prost::Message + prost::Name + Default + crate::auth::Addressed + crate::domain::text::NulFree,
    {
        let (call, r) = self.auth.check(request, write_method).await?;
        let name = r.addressed_name().unwrap_or_default().to_owned();
        let current = self.resources.get::<R>(&name).await;
        drop(call);
        current.map_err(Status::from)
    }
}

fn upload_header(first: UploadDocumentRequest) -> Option<UploadDocumentHeader> {
    match first.part {
        Some(upload_document_request::Part::Header(header)) => Some(header),
        _ => None,
    }
}

#[tonic::async_trait]
impl AgentService for AgentServiceAdapter {
    async fn create_agent(&self, request: Request<CreateAgentRequest>) -> Result<Response<Agent>, Status> {
        let (call, r) = self.auth.check(request, "CreateAgent").await?;
        let created = async {
            if let Some(agent) = &r.agent {
                unique_names::on_create(self.resources.store(), &r.parent, agent).await?;
            }
            self.resources.create(&r.parent, &r.agent_id, r.agent).await
        };
        Ok(Response::new(call.finish(created.await)?))
    }

    async fn get_agent(&self, request: Request<GetAgentRequest>) -> Result<Response<Agent>, Status> {
        let (call, r) = self.auth.check(request, "GetAgent").await?;
        Ok(Response::new(call.finish(self.resources.get(&r.name).await)?))
    }

    async fn list_agents(&self, request: Request<ListAgentsRequest>) -> Result<Response<ListAgentsResponse>, Status> {
        let (call, r) = self.auth.check(request, "ListAgents").await?;
        let page = call.finish(self.resources.list(list_query!(r, q)).await)?;
        let total_size = page.total();
        Ok(Response::new(ListAgentsResponse { agents: page.items, next_page_token: page.next_page_token, total_size }))
    }

    async fn update_agent(&self, request: Request<UpdateAgentRequest>) -> Result<Response<Agent>, Status> {
        let (call, r) = self.auth.check(request, "UpdateAgent").await?;
        let updated = async {
            if let Some(agent) = &r.agent {
                let paths = r.update_mask.as_ref().map(|m| m.paths.as_slice()).unwrap_or_default();
                unique_names::on_update(self.resources.store(), agent, paths).await?;
            }
            self.resources.update(r.agent, r.update_mask).await
        };
        Ok(Response::new(call.finish(updated.await)?))
    }

    async fn delete_agent(&self, request: Request<DeleteAgentRequest>) -> Result<Response<()>, Status> {
        let (call, r) = self.auth.check(request, "DeleteAgent").await?;
        call.finish(self.resources.delete::<Agent>(&r.name, &r.etag, r.force).await)?;
        Ok(Response::new(()))
    }

    async fn create_tool(&self, request: Request<CreateToolRequest>) -> Result<Response<Tool>, Status> {
        let (call, r) = self.auth.check(request, "CreateTool").await?;
        Ok(Response::new(call.finish(self.resources.create(&r.parent, &r.tool_id, r.tool).await)?))
    }

    async fn get_tool(&self, request: Request<GetToolRequest>) -> Result<Response<Tool>, Status> {
        let (call, r) = self.auth.check(request, "GetTool").await?;
        Ok(Response::new(call.finish(self.resources.get(&r.name).await)?))
    }

    async fn list_tools(&self, request: Request<ListToolsRequest>) -> Result<Response<ListToolsResponse>, Status> {
        let (call, r) = self.auth.check(request, "ListTools").await?;
        let page = call.finish(self.resources.list(list_query!(r, q)).await)?;
        let total_size = page.total();
        Ok(Response::new(ListToolsResponse { tools: page.items, next_page_token: page.next_page_token, total_size }))
    }

    async fn update_tool(&self, request: Request<UpdateToolRequest>) -> Result<Response<Tool>, Status> {
        let (call, r) = self.auth.check(request, "UpdateTool").await?;
        Ok(Response::new(call.finish(self.resources.update_switch(r.tool, r.update_mask, r.force).await)?))
    }

    async fn delete_tool(&self, request: Request<DeleteToolRequest>) -> Result<Response<()>, Status> {
        let (call, r) = self.auth.check(request, "DeleteTool").await?;
        call.finish(self.resources.delete::<Tool>(&r.name, &r.etag, r.force).await)?;
        Ok(Response::new(()))
    }

    async fn create_mcp_server(&self, request: Request<CreateMcpServerRequest>) -> Result<Response<McpServer>, Status> {
        let (call, r) = self.auth.check(request, "CreateMcpServer").await?;
        Ok(Response::new(call.finish(self.resources.create(&r.parent, &r.mcp_server_id, r.mcp_server).await)?))
    }

    async fn get_mcp_server(&self, request: Request<GetMcpServerRequest>) -> Result<Response<McpServer>, Status> {
        let (call, r) = self.auth.check(request, "GetMcpServer").await?;
        Ok(Response::new(call.finish(self.resources.get(&r.name).await)?))
    }

    async fn list_mcp_servers(
        &self,
        request: Request<ListMcpServersRequest>,
    ) -> Result<Response<ListMcpServersResponse>, Status> {
        let (call, r) = self.auth.check(request, "ListMcpServers").await?;
        let page = call.finish(self.resources.list(list_query!(r, q)).await)?;
        let total_size = page.total();
        Ok(Response::new(ListMcpServersResponse {
            mcp_servers: page.items,
            next_page_token: page.next_page_token,
            total_size,
        }))
    }

    async fn update_mcp_server(&self, request: Request<UpdateMcpServerRequest>) -> Result<Response<McpServer>, Status> {
        let (call, r) = self.auth.check(request, "UpdateMcpServer").await?;
        Ok(Response::new(call.finish(self.resources.update_switch(r.mcp_server, r.update_mask, r.force).await)?))
    }

    async fn delete_mcp_server(&self, request: Request<DeleteMcpServerRequest>) -> Result<Response<()>, Status> {
        let (call, r) = self.auth.check(request, "DeleteMcpServer").await?;
        call.finish(self.resources.delete::<McpServer>(&r.name, &r.etag, r.force).await)?;
        Ok(Response::new(()))
    }

    async fn create_knowledge_base(
        &self,
        request: Request<CreateKnowledgeBaseRequest>,
    ) -> Result<Response<KnowledgeBase>, Status> {
        let (call, r) = self.auth.check(request, "CreateKnowledgeBase").await?;
        Ok(Response::new(call.finish(self.resources.create(&r.parent, &r.knowledge_base_id, r.knowledge_base).await)?))
    }

    async fn get_knowledge_base(
        &self,
        request: Request<GetKnowledgeBaseRequest>,
    ) -> Result<Response<KnowledgeBase>, Status> {
        let (call, r) = self.auth.check(request, "GetKnowledgeBase").await?;
        Ok(Response::new(call.finish(self.resources.get(&r.name).await)?))
    }

    async fn list_knowledge_bases(
        &self,
        request: Request<ListKnowledgeBasesRequest>,
    ) -> Result<Response<ListKnowledgeBasesResponse>, Status> {
        let (call, r) = self.auth.check(request, "ListKnowledgeBases").await?;
        let page = call.finish(self.resources.list(list_query!(r)).await)?;
        let total_size = page.total();
        Ok(Response::new(ListKnowledgeBasesResponse {
            knowledge_bases: page.items,
            next_page_token: page.next_page_token,
            total_size,
        }))
    }

    async fn update_knowledge_base(
        &self,
        request: Request<UpdateKnowledgeBaseRequest>,
    ) -> Result<Response<KnowledgeBase>, Status> {
        let (call, r) = self.auth.check(request, "UpdateKnowledgeBase").await?;
        Ok(Response::new(call.finish(self.resources.update(r.knowledge_base, r.update_mask).await)?))
    }

    async fn delete_knowledge_base(
        &self,
        request: Request<DeleteKnowledgeBaseRequest>,
    ) -> Result<Response<()>, Status> {
        let (call, r) = self.auth.check(request, "DeleteKnowledgeBase").await?;
        call.finish(self.resources.delete::<KnowledgeBase>(&r.name, &r.etag, r.force).await)?;
        Ok(Response::new(()))
    }

    async fn create_document(&self, request: Request<CreateDocumentRequest>) -> Result<Response<Document>, Status> {
        let (call, r) = self.auth.check(request, "CreateDocument").await?;
        Ok(Response::new(call.finish(self.documents.create(&r.parent, &r.document_id, r.document).await)?))
    }

    async fn get_document(&self, request: Request<GetDocumentRequest>) -> Result<Response<Document>, Status> {
        let (call, r) = self.auth.check(request, "GetDocument").await?;
        Ok(Response::new(call.finish(self.documents.get(&r.name, r.view()).await)?))
    }

    async fn list_documents(
        &self,
        request: Request<ListDocumentsRequest>,
    ) -> Result<Response<ListDocumentsResponse>, Status> {
        let (call, r) = self.auth.check(request, "ListDocuments").await?;
        let page = call.finish(self.documents.list(list_query!(r)).await)?;
        let total_size = page.total();
        Ok(Response::new(ListDocumentsResponse {
            documents: page.items,
            next_page_token: page.next_page_token,
            total_size,
        }))
    }

    async fn update_document(&self, request: Request<UpdateDocumentRequest>) -> Result<Response<Document>, Status> {
        let (call, r) = self.auth.check(request, "UpdateDocument").await?;
        Ok(Response::new(call.finish(self.documents.update(r.document, r.update_mask).await)?))
    }

    async fn delete_document(&self, request: Request<DeleteDocumentRequest>) -> Result<Response<()>, Status> {
        let (call, r) = self.auth.check(request, "DeleteDocument").await?;
        call.finish(self.documents.delete(&r.name, &r.etag).await)?;
        Ok(Response::new(()))
    }

    async fn upload_document(
        &self,
        request: Request<Streaming<UploadDocumentRequest>>,
    ) -> Result<Response<Document>, Status> {
        let (call, first, rest) = check_stream(&self.auth, request, "UploadDocument").await?;
        let content = pieces(rest, |m: UploadDocumentRequest| match m.part {
            Some(upload_document_request::Part::Chunk(chunk)) => Some(chunk),
            _ => None,
        });
        Ok(Response::new(call.finish(self.documents.upload(upload_header(first), content).await)?))
    }

    type DownloadDocumentStream = ResponseStream<DownloadDocumentResponse>;

    async fn download_document(
        &self,
        request: Request<DownloadDocumentRequest>,
    ) -> Result<Response<Self::DownloadDocumentStream>, Status> {
        let (call, r) = self.auth.check(request, "DownloadDocument").await?;
        let (document, content) = call.finish(self.documents.download(&r.name).await)?;
        let first = DownloadDocumentResponse { part: Some(download_document_response::Part::Document(document)) };
        let rest = content.map(|piece| {
            let part = download_document_response::Part::Chunk(piece.map_err(Status::from)?);
            Ok(DownloadDocumentResponse { part: Some(part) })
        });
        Ok(Response::new(Box::pin(futures_util::stream::once(async { Ok(first) }).chain(rest))))
    }

    async fn create_secret(&self, request: Request<CreateSecretRequest>) -> Result<Response<Secret>, Status> {
        let (call, r) = self.auth.check(request, "CreateSecret").await?;
        Ok(Response::new(call.finish(self.resources.create(&r.parent, &r.secret_id, r.secret).await)?))
    }

    async fn get_secret(&self, request: Request<GetSecretRequest>) -> Result<Response<Secret>, Status> {
        let (call, r) = self.auth.check(request, "GetSecret").await?;
        Ok(Response::new(call.finish(self.resources.get(&r.name).await)?))
    }

    async fn list_secrets(
        &self,
        request: Request<ListSecretsRequest>,
    ) -> Result<Response<ListSecretsResponse>, Status> {
        let (call, r) = self.auth.check(request, "ListSecrets").await?;
        let page = call.finish(self.resources.list(list_query!(r, q)).await)?;
        let total_size = page.total();
        Ok(Response::new(ListSecretsResponse {
            secrets: page.items,
            next_page_token: page.next_page_token,
            total_size,
        }))
    }

    async fn update_secret(&self, request: Request<UpdateSecretRequest>) -> Result<Response<Secret>, Status> {
        let (call, r) = self.auth.check(request, "UpdateSecret").await?;
        Ok(Response::new(call.finish(self.resources.update(r.secret, r.update_mask).await)?))
    }

    async fn delete_secret(&self, request: Request<DeleteSecretRequest>) -> Result<Response<()>, Status> {
        let (call, r) = self.auth.check(request, "DeleteSecret").await?;
        call.finish(self.resources.delete::<Secret>(&r.name, &r.etag, r.force).await)?;
        Ok(Response::new(()))
    }

    async fn export_agents(
        &self,
        request: Request<ExportAgentsRequest>,
    ) -> Result<Response<ExportAgentsResponse>, Status> {
        let (call, r) = self.auth.check(request, "ExportAgents").await?;
        Ok(Response::new(call.finish(self.transfers.export(&r.parent, &r.agent_ids, &r.signing_key_id).await)?))
    }

    type StreamExportAgentsStream = ResponseStream<StreamExportAgentsResponse>;

    async fn stream_export_agents(
        &self,
        request: Request<StreamExportAgentsRequest>,
    ) -> Result<Response<Self::StreamExportAgentsStream>, Status> {
        let (call, r) = self.auth.check(request, "StreamExportAgents").await?;
        let plan = call.finish(self.transfers.plan_export(&r.parent, &r.agent_ids, &r.signing_key_id).await)?;
        let items = self.transfers.run_export(plan).await.map_err(Status::from)?;
        Ok(Response::new(Box::pin(items.map(|item| {
            let part = match item.map_err(Status::from)? {
                ExportItem::Bytes(chunk) => stream_export_agents_response::Part::Chunk(chunk),
                ExportItem::Done(done) => stream_export_agents_response::Part::Done(done),
            };
            Ok(StreamExportAgentsResponse { part: Some(part) })
        }))))
    }

    async fn stream_import_agents(
        &self,
        request: Request<Streaming<StreamImportAgentsRequest>>,
    ) -> Result<Response<ImportAgentsResponse>, Status> {
        let (call, first, rest) = check_stream(&self.auth, request, "StreamImportAgents").await?;
        let Some(stream_import_agents_request::Part::Header(header)) = first.part else {
            let missing = crate::error::Error::invalid_field("header", "send the header first");
            return Err(call.finish::<()>(Err(missing)).unwrap_err());
        };
        let parts = rest.map(|message| match message.map(|m| m.part) {
            Ok(Some(stream_import_agents_request::Part::Chunk(chunk))) => Ok(ImportPart::Bytes(chunk)),
            Ok(Some(stream_import_agents_request::Part::Checksum(checksum))) => Ok(ImportPart::Checksum(checksum)),
            Ok(Some(stream_import_agents_request::Part::Signature(envelope))) => Ok(ImportPart::Signature(envelope)),
            Ok(_) => Err(crate::error::Error::invalid_field("header", "only the first message is a header")),
            Err(status) => {
                Err(crate::error::Error::invalid_field("data", format!("the stream was cut: {}", status.message())))
            }
        });
        Ok(Response::new(call.finish(self.import_parts(header, parts).await)?))
    }

    async fn import_agents(
        &self,
        request: Request<ImportAgentsRequest>,
    ) -> Result<Response<ImportAgentsResponse>, Status> {
        let (call, r) = self.auth.check(request, "ImportAgents").await?;
        let options = ImportOptions {
            dry_run: r.dry_run,
            policy: r.conflict_policy(),
            request_id: r.request_id,
            background: r.background,
            signature: r.signature,
            require_signature: r.require_signature,
            secret_mappings: r.secret_mappings.into_iter().collect(),
            plan_id: r.plan_id,
        };
        Ok(Response::new(call.finish(self.transfers.import(&r.parent, &r.data, &r.checksum, options).await)?))
    }

    async fn get_tenant_settings(
        &self,
        request: Request<GetTenantSettingsRequest>,
    ) -> Result<Response<TenantSettings>, Status> {
        let (call, r) = self.auth.check(request, "GetTenantSettings").await?;
        Ok(Response::new(call.finish(self.settings.get(&r.name).await)?))
    }

    async fn update_tenant_settings(
        &self,
        request: Request<UpdateTenantSettingsRequest>,
    ) -> Result<Response<TenantSettings>, Status> {
        let (call, r) = self.auth.check(request, "UpdateTenantSettings").await?;
        let mask = r.update_mask.map(|m| m.paths).unwrap_or_default();
        let settings = r.settings.unwrap_or_default();
        Ok(Response::new(call.finish(self.settings.update(settings, &mask).await)?))
    }
}
