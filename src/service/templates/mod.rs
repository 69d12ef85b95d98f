//! Agent templates: snapshot an agent with its whole tree, instantiate it in any tenant.

mod tree;

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use super::resources::{ListQuery, Listed, decode, reveal};
use crate::domain::clock::now_micros;
use crate::domain::job::{JobKind, JobRecord, JobState};
use crate::domain::limits::{MAX_DESCRIPTION_CHARS, MAX_ICON_CHARS, MAX_LABEL_CHARS};
use crate::domain::names::{Parent, ResourceKind, ResourceName, check_id};
use crate::domain::page;
use crate::domain::resource::{Resource, timestamp};
use crate::domain::template::{self, TemplateTree};
use crate::domain::{checksum, json, secrets};
use crate::error::{Error, ErrorCode, FieldViolation, Result};
use crate::proto::{Agent, AgentStatus, ExportResult, ImportResult, ImportState, ImportSummary, ImportedEntity};
use crate::store::{Store, StoredDocument, Tx};

const DEFAULT_ICON: &str = "🚀";

/// A template as the service keeps and shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateView {
    #[serde(skip)]
    pub name: String,
    pub display_name: String,
    pub description: String,
    pub icon: String,
    pub organization_id: String,
    pub with_knowledge_bases: bool,
    pub source_agent: String,
    /// The xpander `AgentDefinition`, exactly as stored.
    pub agent_definition: serde_json::Value,
    #[serde(skip)]
    pub create_time: i64,
}

/// What an export or import request names besides the agent or template.
#[derive(Debug, Clone, Default)]
pub struct TemplateRequest {
    pub display_name: String,
    pub description: String,
    pub icon: String,
    pub with_knowledge_bases: Option<bool>,
}

impl TemplateRequest {
    fn violations(&self) -> Vec<FieldViolation> {
        let mut out = Vec::new();
        if self.display_name.trim().is_empty() {
            out.push(FieldViolation::new("display_name", "is required"));
        }
        for (field, value, max) in [
            ("display_name", &self.display_name, MAX_LABEL_CHARS),
            ("description", &self.description, MAX_DESCRIPTION_CHARS),
            ("icon", &self.icon, MAX_ICON_CHARS),
        ] {
            if value.chars().count() > max {
                out.push(FieldViolation::new(field, format!("must be at most {max} characters")));
            }
        }
        out
    }
}

#[derive(Clone)]
pub struct TemplateService {
    store: Store,
    max_depth: usize,
}

fn view(stored: StoredDocument) -> Result<TemplateView> {
    let mut view: TemplateView =
        serde_json::from_str(&stored.body).map_err(|e| Error::internal("decode stored template", e))?;
    view.name = stored.name.to_string();
    view.create_time = stored.meta.create_time;
    Ok(view)
}

impl TemplateService {
    pub fn new(store: Store, max_depth: usize) -> Self {
        Self { store, max_depth }
    }

    pub async fn export(&self, agent: &str, request: TemplateRequest) -> Result<TemplateView> {
        let mut violations = request.violations();
        let agent = ResourceName::parse(ResourceKind::Agent, agent, "agent").map_err(|v| violations.push(v)).ok();
        let (Some(agent), true) = (agent, violations.is_empty()) else {
            return Err(Error::invalid(violations));
        };
        let with_kbs = request.with_knowledge_bases.unwrap_or(true);
        let tree = tree::collect(&self.store, &agent.tenant, &agent.id, self.max_depth, with_kbs).await?;
        let definition = template::encode_definition(&tree);
        ensure_no_credentials(&definition)?;
        let root_icon = tree.agents[&tree.root].icon.clone();
        let icon =
            [request.icon, root_icon].into_iter().find(|i| !i.is_empty()).unwrap_or_else(|| DEFAULT_ICON.to_owned());
        let mut template = TemplateView {
            name: String::new(),
            display_name: request.display_name,
            description: request.description,
            icon,
            organization_id: agent.tenant.clone(),
            with_knowledge_bases: with_kbs,
            source_agent: agent.to_string(),
            agent_definition: definition,
            create_time: 0,
        };
        let body = serde_json::to_string(&template).map_err(|e| Error::internal("encode template", e))?;
        let name = ResourceName::new(&agent.parent(), ResourceKind::Template, uuid::Uuid::now_v7().to_string());
        let now = now_micros();
        self.store.insert(&name, &template.display_name, &body, now).await?;
        template.name = name.to_string();
        template.create_time = now;

        let result = ExportResult {
            data: STANDARD.encode(body.as_bytes()),
            checksum: checksum::checksum(body.as_bytes(), None),
            exported_at: Some(timestamp(now)),
        };
        let mut job =
            JobRecord::new(&agent.tenant, &uuid::Uuid::now_v7().to_string(), JobKind::Export, JobState::Success, now);
        job.agent_id = Some(agent.id.clone());
        job.message = Some(format!("Exported template {}", name.id));
        job.export_result = Some(json::to_json(&result));
        self.store.insert_job(&job).await?;
        tracing::info!(tenant = %agent.tenant, agent = %agent.id, template = %name.id, agents = tree.agents.len(), "template exported");
        Ok(template)
    }

    pub async fn get(&self, name: &str) -> Result<TemplateView> {
        let name = ResourceName::parse(ResourceKind::Template, name, "name").map_err(|v| Error::invalid(vec![v]))?;
        view(self.store.get(&name).await?)
    }

    /// One page of the tenant's templates; `query.filter` must be empty (templates take none).
    pub async fn list(&self, query: ListQuery<'_>) -> Result<Listed<TemplateView>> {
        let parent =
            Parent::parse(ResourceKind::Template, query.parent, "parent").map_err(|v| Error::invalid(vec![v]))?;
        let fingerprint = page::fingerprint(&[&parent.display(ResourceKind::Template), "templates"]);
        let page = page::request(query.page_size, query.page_token, query.skip, &fingerprint)?;
        let mut rows = self.store.list(ResourceKind::Template, &parent, &[], &page).await?;
        let next_page_token = page::split(&mut rows, &page, &fingerprint, |r| &r.name.id);
        let total_size = match query.include_total {
            true => Some(self.store.count(ResourceKind::Template, &parent, &[]).await?),
            false => None,
        };
        Ok(Listed { items: rows.into_iter().map(view).collect::<Result<_>>()?, next_page_token, total_size })
    }

    pub async fn delete(&self, name: &str) -> Result<()> {
        let name = ResourceName::parse(ResourceKind::Template, name, "name").map_err(|v| Error::invalid(vec![v]))?;
        self.store.delete(&name, None).await
    }

    /// Instantiates template `template_id` (of any tenant) in `parent`; returns the new root agent.
    pub async fn import(&self, parent: &str, template_id: &str, request: TemplateRequest) -> Result<Agent> {
        let mut violations = request.violations();
        let parent = Parent::parse(ResourceKind::Agent, parent, "parent").map_err(|v| violations.push(v)).ok();
        let template_id = check_id(template_id, "template_id").map_err(|v| violations.push(v)).ok();
        let (Some(parent), Some(template_id), true) = (parent, template_id, violations.is_empty()) else {
            return Err(Error::invalid(violations));
        };
        let stored = self.store.find_any_tenant(ResourceKind::Template, &template_id).await?.ok_or_else(|| {
            Error::new(ErrorCode::NotFound, format!("template `{template_id}` not found"))
                .with_meta("templateId", &template_id)
        })?;
        let template = view(stored)?;
        let tree = self.open(&template.agent_definition)?;
        let copy_kbs = request.with_knowledge_bases.unwrap_or(true);

        let tx = self.store.begin().await?;
        tx.lock_tenant_imports(&parent.tenant).await?;
        let now = now_micros();
        let (root, summary) = instantiate(&tx, &parent, &template_id, &tree, &request, copy_kbs, now).await?;
        let message = format!(
            "Successfully imported {} agents, {} tools, and {} MCP servers.",
            summary.agents.len(),
            summary.tools.len(),
            summary.mcp_servers.len()
        );
        let result =
            ImportResult { message, summary: Some(summary), imported_at: Some(timestamp(now)), dry_run: false };
        let mut job =
            JobRecord::new(&parent.tenant, &uuid::Uuid::now_v7().to_string(), JobKind::Import, JobState::Success, now);
        job.agent_id = Some(root.id.clone());
        job.import_result = Some(json::to_json(&result));
        tx.insert_job(&job).await?;
        tx.commit().await?;
        tracing::info!(tenant = %parent.tenant, template = %template_id, agent = %root.id, "template imported");
        Ok(reveal(decode::<Agent>(self.store.get(&root).await?)?))
    }

    /// Decodes and validates a stored definition, naming every problem with its path.
    fn open(&self, definition: &serde_json::Value) -> Result<TemplateTree> {
        let tree = template::decode_definition(definition).map_err(|violations| {
            Error::invalid(violations.into_iter().map(|v| v.scope("agent_definition")).collect())
        })?;
        let mut violations = Vec::new();
        for (id, agent) in &tree.agents {
            violations
                .extend(agent.violations().into_iter().map(|v| v.scope(&format!("agent_definition.agents[{id:?}]"))));
        }
        for (id, tool) in &tree.tools {
            violations
                .extend(tool.violations().into_iter().map(|v| v.scope(&format!("agent_definition.tools[{id:?}]"))));
        }
        for (id, server) in &tree.mcp_servers {
            violations.extend(
                server.violations().into_iter().map(|v| v.scope(&format!("agent_definition.mcp_servers[{id:?}]"))),
            );
        }
        if !violations.is_empty() {
            return Err(Error::invalid(violations));
        }
        if tree::depth(&tree, &tree.root, 0) > self.max_depth {
            return Err(Error::new(
                ErrorCode::SubAgentDepthExceeded,
                format!("the template's sub-agents nest deeper than the limit of {}", self.max_depth),
            ));
        }
        Ok(tree)
    }
}

/// The final check of an export: decode what will be stored and fail if any credential survived.
fn ensure_no_credentials(definition: &serde_json::Value) -> Result<()> {
    let tree =
        template::decode_definition(definition).map_err(|v| Error::internal("re-read template", format!("{v:?}")))?;
    let leaked: Vec<String> = tree
        .agents
        .values()
        .flat_map(|a| secrets::find_secrets(a))
        .chain(tree.tools.values().flat_map(|t| secrets::find_secrets(t)))
        .chain(tree.mcp_servers.values().flat_map(|m| secrets::find_secrets(m)))
        .map(|(path, _)| path)
        .collect();
    if leaked.is_empty() {
        Ok(())
    } else {
        Err(Error::internal("template export", format!("credential fields survived scrubbing: {leaked:?}")))
    }
}

fn entity(id: &str, name: &str, source_id: &str) -> ImportedEntity {
    ImportedEntity {
        id: id.into(),
        name: name.into(),
        state: ImportState::Enabled as i32,
        details: vec![],
        source_id: source_id.into(),
    }
}

/// Writes the tree under new ids; returns the root agent's name and a summary.
async fn instantiate(
    tx: &Tx,
    parent: &Parent,
    template_id: &str,
    tree: &TemplateTree,
    request: &TemplateRequest,
    copy_kbs: bool,
    now: i64,
) -> Result<(ResourceName, ImportSummary)> {
    let fresh = || uuid::Uuid::now_v7().to_string();
    let agent_ids: HashMap<&str, String> = tree.agents.keys().map(|id| (id.as_str(), fresh())).collect();
    let tool_ids: HashMap<&str, String> = tree.tools.keys().map(|id| (id.as_str(), fresh())).collect();
    let server_ids: HashMap<&str, String> = tree.mcp_servers.keys().map(|id| (id.as_str(), fresh())).collect();
    let kb_ids: HashMap<&str, String> =
        if copy_kbs { tree.knowledge_bases.keys().map(|id| (id.as_str(), fresh())).collect() } else { HashMap::new() };
    let map = |ids: &HashMap<&str, String>, id: &str| ids.get(id).cloned().unwrap_or_else(|| id.to_owned());
    let mut summary = ImportSummary::default();

    for (id, tool) in &tree.tools {
        let name = ResourceName::new(parent, ResourceKind::Tool, &tool_ids[id.as_str()]);
        write(tx, &name, tool.clone(), now).await?;
        summary.tools.push(entity(&name.id, &tool.display_name, id));
    }
    for (id, server) in &tree.mcp_servers {
        let name = ResourceName::new(parent, ResourceKind::McpServer, &server_ids[id.as_str()]);
        write(tx, &name, server.clone(), now).await?;
        summary.mcp_servers.push(entity(&name.id, &server.display_name, id));
    }
    for (id, copy) in tree.knowledge_bases.iter().filter(|_| copy_kbs) {
        let mut kb = copy.knowledge_base.clone();
        kb.agent_id = map(&agent_ids, &kb.agent_id);
        let kb_name = ResourceName::new(parent, ResourceKind::KnowledgeBase, &kb_ids[id.as_str()]);
        write(tx, &kb_name, kb.clone(), now).await?;
        let kb_parent = Parent { tenant: parent.tenant.clone(), parent_id: kb_name.id.clone() };
        for document in &copy.documents {
            write(
                tx,
                &ResourceName::new(&kb_parent, ResourceKind::Document, &document.id),
                document.value.clone(),
                now,
            )
            .await?;
        }
        summary.knowledge_bases.push(entity(&kb_name.id, &kb.display_name, id));
    }
    for (id, original) in &tree.agents {
        let mut agent = original.clone();
        agent.status = AgentStatus::Active as i32;
        agent.origin_template = template_id.to_owned();
        for attachment in &mut agent.tools {
            attachment.tool_id = map(&tool_ids, &attachment.tool_id);
        }
        for attachment in agent.mcp_servers.iter_mut().filter(|m| !m.mcp_server_id.is_empty()) {
            attachment.mcp_server_id = map(&server_ids, &attachment.mcp_server_id);
        }
        if copy_kbs {
            for attachment in &mut agent.knowledge_bases {
                attachment.knowledge_base_id = map(&kb_ids, &attachment.knowledge_base_id);
            }
        } else {
            agent.knowledge_bases.clear();
        }
        for collaboration in &mut agent.collaborations {
            collaboration.agent_id = map(&agent_ids, &collaboration.agent_id);
        }
        for item in agent.graph.iter_mut().filter(|g| g.r#type == "agent") {
            item.item_id = map(&agent_ids, &item.item_id);
        }
        if *id == tree.root {
            agent.display_name = HashMap::from([("en".to_owned(), request.display_name.clone())]);
            if !request.description.is_empty() {
                agent.description = HashMap::from([("en".to_owned(), request.description.clone())]);
            }
            if !request.icon.is_empty() {
                agent.icon = request.icon.clone();
            }
        }
        let name = ResourceName::new(parent, ResourceKind::Agent, &agent_ids[id.as_str()]);
        let label = agent.label();
        write(tx, &name, agent, now).await?;
        summary.agents.push(entity(&name.id, &label, id));
    }
    Ok((ResourceName::new(parent, ResourceKind::Agent, &agent_ids[tree.root.as_str()]), summary))
}

async fn write<R: Resource>(tx: &Tx, name: &ResourceName, mut resource: R, now: i64) -> Result<()> {
    resource.clear_identity();
    resource.set_child_count(0);
    resource.apply_defaults();
    tx.insert(name, &resource.label(), &json::to_json(&resource), now).await?;
    Ok(())
}
