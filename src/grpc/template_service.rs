//! gRPC adapter for `agentport.v1.TemplateService`.

use tonic::{Request, Response, Status};

use crate::auth::Authorizer;
use crate::domain::plan::patch::json_to_value;
use crate::domain::resource::timestamp;
use crate::proto::template_service_server::TemplateService as TemplateServiceApi;
use crate::proto::*;
use futures_util::StreamExt;

use super::streams::ResponseStream;
use crate::service::{ListQuery, TemplateDefinition, TemplateRequest, TemplateService, TemplateView};

pub struct TemplateServiceAdapter {
    auth: Authorizer,
    templates: TemplateService,
    max_message_bytes: usize,
}

impl TemplateServiceAdapter {
    pub fn new(auth: Authorizer, templates: TemplateService, max_message_bytes: usize) -> Self {
        Self { auth, templates, max_message_bytes }
    }

    async fn shown(&self, view: TemplateView) -> crate::error::Result<Template> {
        let definition = self.templates.definition(&view, self.max_message_bytes).await?;
        Ok(to_proto(view, definition))
    }
}

impl TemplateServiceAdapter {
    /// `ListTemplates`, with each template's `AgentDefinition` (without document contents) also
    /// given as JSON: the `Struct` of a `Template` makes every number a double, which the xpander
    /// dialect must not show.
    pub async fn list_templates_with_definitions(
        &self,
        request: Request<ListTemplatesRequest>,
    ) -> Result<(ListTemplatesResponse, Vec<serde_json::Value>), Status> {
        let (call, r) = self.auth.check(request, "ListTemplates").await?;
        let query = ListQuery {
            parent: &r.parent,
            page_size: r.page_size,
            page_token: &r.page_token,
            skip: r.skip,
            include_total: r.include_total,
            ..Default::default()
        };
        let page = call.finish(self.templates.list(query).await)?;
        let total_size = page.total();
        let mut definitions = Vec::with_capacity(page.items.len());
        let mut templates = Vec::with_capacity(page.items.len());
        for view in page.items {
            let definition = TemplateService::definition_without_contents(&view);
            definitions.push(definition.value.clone());
            templates.push(to_proto(view, definition));
        }
        Ok((ListTemplatesResponse { templates, next_page_token: page.next_page_token, total_size }, definitions))
    }
}

fn to_proto(view: TemplateView, definition: TemplateDefinition) -> Template {
    Template {
        name: view.name,
        display_name: view.display_name,
        description: view.description,
        icon: view.icon,
        organization_id: view.organization_id,
        agent_definition: match json_to_value(definition.value).kind {
            Some(prost_types::value::Kind::StructValue(s)) => Some(s),
            _ => None,
        },
        with_knowledge_bases: view.with_knowledge_bases,
        source_agent: view.source_agent,
        create_time: Some(timestamp(view.create_time)),
        document_contents_omitted: definition.contents_omitted,
        signature: view.signature,
    }
}

#[tonic::async_trait]
impl TemplateServiceApi for TemplateServiceAdapter {
    async fn export_agent_template(
        &self,
        request: Request<ExportAgentTemplateRequest>,
    ) -> Result<Response<Template>, Status> {
        let (call, r) = self.auth.check(request, "ExportAgentTemplate").await?;
        let options = TemplateRequest {
            display_name: r.display_name,
            description: r.description,
            icon: r.icon,
            with_knowledge_bases: r.with_knowledge_bases,
            signing_key_id: r.signing_key_id,
            ..Default::default()
        };
        let exported = match self.templates.export(&r.agent, options).await {
            Ok(view) => self.shown(view).await,
            Err(e) => Err(e),
        };
        Ok(Response::new(call.finish(exported)?))
    }

    async fn get_template(&self, request: Request<GetTemplateRequest>) -> Result<Response<Template>, Status> {
        let (call, r) = self.auth.check(request, "GetTemplate").await?;
        let view = match self.templates.get(&r.name).await {
            Ok(view) => self.shown(view).await,
            Err(e) => Err(e),
        };
        Ok(Response::new(call.finish(view)?))
    }

    async fn list_templates(
        &self,
        request: Request<ListTemplatesRequest>,
    ) -> Result<Response<ListTemplatesResponse>, Status> {
        let (page, _) = self.list_templates_with_definitions(request).await?;
        Ok(Response::new(page))
    }

    async fn delete_template(&self, request: Request<DeleteTemplateRequest>) -> Result<Response<()>, Status> {
        let (call, r) = self.auth.check(request, "DeleteTemplate").await?;
        call.finish(self.templates.delete(&r.name).await)?;
        Ok(Response::new(()))
    }

    type DownloadTemplateStream = ResponseStream<DownloadTemplateResponse>;

    async fn download_template(
        &self,
        request: Request<DownloadTemplateRequest>,
    ) -> Result<Response<Self::DownloadTemplateStream>, Status> {
        let (call, r) = self.auth.check(request, "DownloadTemplate").await?;
        let (view, bytes) = call.finish(self.templates.download(&r.name).await)?;
        let mut signature = view.signature;
        Ok(Response::new(Box::pin(bytes.map(move |piece| {
            Ok(DownloadTemplateResponse { chunk: piece.map_err(Status::from)?, signature: signature.take() })
        }))))
    }

    async fn import_agent_template(
        &self,
        request: Request<ImportAgentTemplateRequest>,
    ) -> Result<Response<Agent>, Status> {
        let (call, r) = self.auth.check(request, "ImportAgentTemplate").await?;
        let (parent, template_id, options) = import_request(r);
        Ok(Response::new(call.finish(self.templates.import(&parent, &template_id, options).await)?))
    }

    async fn plan_agent_template_import(
        &self,
        request: Request<PlanAgentTemplateImportRequest>,
    ) -> Result<Response<ImportResult>, Status> {
        let (call, r) = self.auth.check(request, "PlanAgentTemplateImport").await?;
        let (parent, template_id, options) = import_request(r.request.unwrap_or_default());
        Ok(Response::new(call.finish(self.templates.plan(&parent, &template_id, options).await)?))
    }
}

/// The parent, template id and options of an import request.
fn import_request(r: ImportAgentTemplateRequest) -> (String, String, TemplateRequest) {
    let options = TemplateRequest {
        display_name: r.display_name,
        description: r.description,
        icon: r.icon,
        with_knowledge_bases: r.with_knowledge_bases,
        secret_mappings: r.secret_mappings.into_iter().collect(),
        require_signature: r.require_signature,
        ..Default::default()
    };
    (r.parent, r.template_id, options)
}
