//! gRPC adapter for `agentport.v1.AgentService`: each method is authorized, unpacked, handed
//! to the service, and its outcome recorded. No rules live here.

use tonic::{Request, Response, Status};

use crate::auth::Authorizer;
use crate::proto::agent_service_server::AgentService;
use crate::proto::*;
use crate::service::{ImportOptions, ListQuery, ResourceService, TransferService};

/// The [`ListQuery`] of any List request.
macro_rules! list_query {
    ($r:expr) => {
        ListQuery {
            parent: &$r.parent,
            page_size: $r.page_size,
            page_token: &$r.page_token,
            skip: $r.skip,
            filter: &$r.filter,
            include_total: $r.include_total,
        }
    };
}

pub struct AgentServiceAdapter {
    auth: Authorizer,
    resources: ResourceService,
    transfers: TransferService,
}

impl AgentServiceAdapter {
    pub fn new(auth: Authorizer, resources: ResourceService, transfers: TransferService) -> Self {
        Self { auth, resources, transfers }
    }
}

#[tonic::async_trait]
impl AgentService for AgentServiceAdapter {
    async fn create_agent(&self, request: Request<CreateAgentRequest>) -> Result<Response<Agent>, Status> {
        let (call, r) = self.auth.check(request, "CreateAgent").await?;
        Ok(Response::new(call.finish(self.resources.create(&r.parent, &r.agent_id, r.agent).await)?))
    }

    async fn get_agent(&self, request: Request<GetAgentRequest>) -> Result<Response<Agent>, Status> {
        let (call, r) = self.auth.check(request, "GetAgent").await?;
        Ok(Response::new(call.finish(self.resources.get(&r.name).await)?))
    }

    async fn list_agents(&self, request: Request<ListAgentsRequest>) -> Result<Response<ListAgentsResponse>, Status> {
        let (call, r) = self.auth.check(request, "ListAgents").await?;
        let page = call.finish(self.resources.list(list_query!(r)).await)?;
        let total_size = page.total();
        Ok(Response::new(ListAgentsResponse { agents: page.items, next_page_token: page.next_page_token, total_size }))
    }

    async fn update_agent(&self, request: Request<UpdateAgentRequest>) -> Result<Response<Agent>, Status> {
        let (call, r) = self.auth.check(request, "UpdateAgent").await?;
        Ok(Response::new(call.finish(self.resources.update(r.agent, r.update_mask).await)?))
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
        let page = call.finish(self.resources.list(list_query!(r)).await)?;
        let total_size = page.total();
        Ok(Response::new(ListToolsResponse { tools: page.items, next_page_token: page.next_page_token, total_size }))
    }

    async fn update_tool(&self, request: Request<UpdateToolRequest>) -> Result<Response<Tool>, Status> {
        let (call, r) = self.auth.check(request, "UpdateTool").await?;
        Ok(Response::new(call.finish(self.resources.update(r.tool, r.update_mask).await)?))
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
        let page = call.finish(self.resources.list(list_query!(r)).await)?;
        let total_size = page.total();
        Ok(Response::new(ListMcpServersResponse {
            mcp_servers: page.items,
            next_page_token: page.next_page_token,
            total_size,
        }))
    }

    async fn update_mcp_server(&self, request: Request<UpdateMcpServerRequest>) -> Result<Response<McpServer>, Status> {
        let (call, r) = self.auth.check(request, "UpdateMcpServer").await?;
        Ok(Response::new(call.finish(self.resources.update(r.mcp_server, r.update_mask).await)?))
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
        Ok(Response::new(call.finish(self.resources.create(&r.parent, &r.document_id, r.document).await)?))
    }

    async fn get_document(&self, request: Request<GetDocumentRequest>) -> Result<Response<Document>, Status> {
        let (call, r) = self.auth.check(request, "GetDocument").await?;
        Ok(Response::new(call.finish(self.resources.get(&r.name).await)?))
    }

    async fn list_documents(
        &self,
        request: Request<ListDocumentsRequest>,
    ) -> Result<Response<ListDocumentsResponse>, Status> {
        let (call, r) = self.auth.check(request, "ListDocuments").await?;
        let page = call.finish(self.resources.list(list_query!(r)).await)?;
        let total_size = page.total();
        Ok(Response::new(ListDocumentsResponse {
            documents: page.items,
            next_page_token: page.next_page_token,
            total_size,
        }))
    }

    async fn update_document(&self, request: Request<UpdateDocumentRequest>) -> Result<Response<Document>, Status> {
        let (call, r) = self.auth.check(request, "UpdateDocument").await?;
        Ok(Response::new(call.finish(self.resources.update(r.document, r.update_mask).await)?))
    }

    async fn delete_document(&self, request: Request<DeleteDocumentRequest>) -> Result<Response<()>, Status> {
        let (call, r) = self.auth.check(request, "DeleteDocument").await?;
        call.finish(self.resources.delete::<Document>(&r.name, &r.etag, false).await)?;
        Ok(Response::new(()))
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
        let page = call.finish(self.resources.list(list_query!(r)).await)?;
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
        Ok(Response::new(call.finish(self.transfers.export(&r.parent, &r.agent_ids).await)?))
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
        };
        Ok(Response::new(call.finish(self.transfers.import(&r.parent, &r.data, &r.checksum, options).await)?))
    }
}
