//! gRPC adapter for `agentport.v1.TemplateService`.

use tonic::{Request, Response, Status};

use crate::auth::Authorizer;
use crate::domain::resource::timestamp;
use crate::proto::template_service_server::TemplateService as TemplateServiceApi;
use crate::proto::*;
use crate::service::{ListQuery, TemplateRequest, TemplateService, TemplateView};

pub struct TemplateServiceAdapter {
    auth: Authorizer,
    templates: TemplateService,
}

impl TemplateServiceAdapter {
    pub fn new(auth: Authorizer, templates: TemplateService) -> Self {
        Self { auth, templates }
    }

    /// `GetTemplate`, with the `AgentDefinition` also given exactly as stored: the `Struct` of a
    /// `Template` makes every number a double, which the xpander dialect must not show.
    pub async fn get_template_with_definition(
        &self,
        request: Request<GetTemplateRequest>,
    ) -> Result<(Template, serde_json::Value), Status> {
        let (call, r) = self.auth.check(request, "GetTemplate").await?;
        let view = call.finish(self.templates.get(&r.name).await)?;
        let definition = view.agent_definition.clone();
        Ok((to_proto(view), definition))
    }
}

impl TemplateServiceAdapter {
    /// `ListTemplates`, with each template's `AgentDefinition` also given exactly as stored
    /// (see [`Self::get_template_with_definition`]).
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
        let definitions = page.items.iter().map(|view| view.agent_definition.clone()).collect();
        let templates = page.items.into_iter().map(to_proto).collect();
        Ok((ListTemplatesResponse { templates, next_page_token: page.next_page_token, total_size }, definitions))
    }
}

fn to_proto(view: TemplateView) -> Template {
    Template {
        name: view.name,
        display_name: view.display_name,
        description: view.description,
        icon: view.icon,
        organization_id: view.organization_id,
        agent_definition: match json_to_value(view.agent_definition).kind {
            Some(prost_types::value::Kind::StructValue(s)) => Some(s),
            _ => None,
        },
        with_knowledge_bases: view.with_knowledge_bases,
        source_agent: view.source_agent,
        create_time: Some(timestamp(view.create_time)),
    }
}

/// JSON as a `google.protobuf.Value` (numbers become doubles, as the well-known type defines).
fn json_to_value(json: serde_json::Value) -> prost_types::Value {
    use prost_types::value::Kind;
    let kind = match json {
        serde_json::Value::Null => Kind::NullValue(0),
        serde_json::Value::Bool(b) => Kind::BoolValue(b),
        serde_json::Value::Number(n) => Kind::NumberValue(n.as_f64().unwrap_or_default()),
        serde_json::Value::String(s) => Kind::StringValue(s),
        serde_json::Value::Array(items) => {
            Kind::ListValue(prost_types::ListValue { values: items.into_iter().map(json_to_value).collect() })
        }
        serde_json::Value::Object(map) => Kind::StructValue(prost_types::Struct {
            fields: map.into_iter().map(|(k, v)| (k, json_to_value(v))).collect(),
        }),
    };
    prost_types::Value { kind: Some(kind) }
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
        };
        Ok(Response::new(to_proto(call.finish(self.templates.export(&r.agent, options).await)?)))
    }

    async fn get_template(&self, request: Request<GetTemplateRequest>) -> Result<Response<Template>, Status> {
        let (call, r) = self.auth.check(request, "GetTemplate").await?;
        Ok(Response::new(to_proto(call.finish(self.templates.get(&r.name).await)?)))
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

    async fn import_agent_template(
        &self,
        request: Request<ImportAgentTemplateRequest>,
    ) -> Result<Response<Agent>, Status> {
        let (call, r) = self.auth.check(request, "ImportAgentTemplate").await?;
        let options = TemplateRequest {
            display_name: r.display_name,
            description: r.description,
            icon: r.icon,
            with_knowledge_bases: r.with_knowledge_bases,
        };
        Ok(Response::new(call.finish(self.templates.import(&r.parent, &r.template_id, options).await)?))
    }
}
