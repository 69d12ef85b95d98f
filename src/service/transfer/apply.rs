//! Plans and writes an import inside one transaction, reporting a state per entity. The same
//! code runs for a dry run, whose transaction is rolled back instead of committed.

use std::collections::{BTreeSet, HashMap};

use crate::domain::bundle::Bundle;
use crate::domain::json;
use crate::domain::names::{Parent, ResourceKind, ResourceName, import_rename};
use crate::domain::references::{agent_secrets, tool_secrets};
use crate::domain::resource::Resource;
use crate::domain::validate::preferred_text;
use crate::error::{Error, ErrorCode, Result};
use crate::proto::{
    AgentStatus, ConflictPolicy, ImportDetail, ImportDetailCode as Code, ImportState as State, ImportSummary,
    ImportedEntity, McpServer, Tool, tool,
};
use crate::service::documents::content::StagedContents;
use crate::store::{Owner, Tx};

/// Everything an import needs besides the bundle.
pub struct ImportContext<'a> {
    pub tx: &'a Tx,
    pub tenant: &'a str,
    pub policy: ConflictPolicy,
    /// Microseconds since the epoch; renamed ids carry it in milliseconds.
    pub now: i64,
    pub dry_run: bool,
    /// Testing only: fail after this many entity writes.
    pub fault_after_writes: Option<usize>,
    /// Document contents staged before the transaction, by (knowledge base id, document id).
    pub contents: &'a StagedContents,
}

/// What was (or, in a dry run, would be) imported.
pub struct Applied {
    pub summary: ImportSummary,
    pub message: String,
}

struct Writer<'a> {
    ctx: &'a ImportContext<'a>,
    writes: usize,
}

impl Writer<'_> {
    fn name(&self, kind: ResourceKind, id: &str) -> ResourceName {
        ResourceName::new(&Parent::tenant(self.ctx.tenant), kind, id)
    }

    async fn exists(&self, kind: ResourceKind, id: &str) -> Result<bool> {
        self.ctx.tx.exists(&self.name(kind, id)).await
    }

    async fn create<R: Resource>(&mut self, name: &ResourceName, mut resource: R) -> Result<()> {
        self.fault()?;
        resource.clear_identity();
        resource.apply_defaults();
        self.ctx.tx.insert(name, &resource.label(), &json::to_json(&resource), self.ctx.now).await?;
        Ok(())
    }

    async fn replace<R: Resource>(&mut self, name: &ResourceName, mut resource: R) -> Result<()> {
        self.fault()?;
        resource.clear_identity();
        resource.apply_defaults();
        let current = self.ctx.tx.get(name).await?;
        self.ctx
            .tx
            .update(name, current.meta.revision, &resource.label(), &json::to_json(&resource), self.ctx.now)
            .await?;
        Ok(())
    }

    fn fault(&mut self) -> Result<()> {
        self.writes += 1;
        match self.ctx.fault_after_writes {
            Some(limit) if self.writes > limit => Err(Error::internal("import", "injected fault")),
            _ => Ok(()),
        }
    }

    /// Secret ids among `ids` that the tenant lacks.
    async fn missing_secrets(&self, ids: impl IntoIterator<Item = &str>) -> Result<Vec<String>> {
        let mut missing = BTreeSet::new();
        for id in ids.into_iter().filter(|id| !id.is_empty()) {
            if !self.exists(ResourceKind::Secret, id).await? {
                missing.insert(id.to_owned());
            }
        }
        Ok(missing.into_iter().collect())
    }
}

fn detail(code: Code, object_id: &str, object_name: &str, message: impl Into<String>) -> ImportDetail {
    ImportDetail {
        code: code as i32,
        object_id: object_id.into(),
        object_name: object_name.into(),
        message: message.into(),
    }
}

fn entity(id: &str, name: &str, state: State, details: Vec<ImportDetail>) -> ImportedEntity {
    ImportedEntity { id: id.into(), name: name.into(), state: state as i32, details, source_id: String::new() }
}

fn missing_token_details(missing: &[String]) -> Vec<ImportDetail> {
    missing.iter().map(|id| detail(Code::MissingToken, id, id, format!("Token \"{id}\" was not found."))).collect()
}

fn is_not_importable(tool: &Tool) -> bool {
    matches!(tool.r#type.as_str(), "slack" | "teams")
        || matches!(tool.config, Some(tool::Config::Slack(_) | tool::Config::Teams(_)))
}

pub async fn apply(ctx: &ImportContext<'_>, bundle: &Bundle) -> Result<Applied> {
    let mut w = Writer { ctx, writes: 0 };
    let mut summary = ImportSummary::default();
    let (mut tools_written, mut servers_written, mut agents_written) = (0, 0, 0);
    let bundle_tools: BTreeSet<&str> = bundle.tools.iter().map(|t| t.id.as_str()).collect();

    for entry in &bundle.tools {
        let label = entry.value.display_name.clone();
        if is_not_importable(&entry.value) {
            let message = "Slack/Teams tools cannot be imported. Create them on this tenant.";
            summary.tools.push(entity(
                &entry.id,
                &label,
                State::ToCreate,
                vec![detail(Code::NotImportable, &entry.id, &label, message)],
            ));
            continue;
        }
        if w.exists(ResourceKind::Tool, &entry.id).await? {
            let message = format!("Tool \"{label}\" already exists on this tenant and was skipped.");
            summary.tools.push(entity(
                &entry.id,
                &label,
                State::Exists,
                vec![detail(Code::AlreadyExists, &entry.id, &label, message)],
            ));
            continue;
        }
        let missing = w.missing_secrets(tool_secrets(&entry.value)).await?;
        let mut tool = entry.value.clone();
        // A tool the bundle has disabled stays disabled; one whose token is missing is disabled.
        tool.enabled = tool.enabled && missing.is_empty();
        let state = if tool.enabled { State::Enabled } else { State::Disabled };
        w.create(&w.name(ResourceKind::Tool, &entry.id), tool).await?;
        tools_written += 1;
        summary.tools.push(entity(&entry.id, &label, state, missing_token_details(&missing)));
    }

    for entry in &bundle.mcp_servers {
        let label = entry.value.display_name.clone();
        if w.exists(ResourceKind::McpServer, &entry.id).await? {
            let message = format!("MCP server \"{label}\" already exists on this tenant and was skipped.");
            summary.mcp_servers.push(entity(
                &entry.id,
                &label,
                State::Exists,
                vec![detail(Code::AlreadyExists, &entry.id, &label, message)],
            ));
            continue;
        }
        let missing = w.missing_secrets([entry.value.authorization_header_token_id.as_str()]).await?;
        let mut details = missing_token_details(&missing);
        for function in missing_functions(&w, &entry.value, &bundle_tools).await? {
            details.push(detail(
                Code::MissingFunction,
                &function,
                &function,
                "Imported tool has been disabled: its function was not found.",
            ));
        }
        let mut server = entry.value.clone();
        // A server the bundle has disabled stays disabled; one missing a token or function is disabled.
        server.enabled = server.enabled && details.is_empty();
        let state = if server.enabled { State::Enabled } else { State::Disabled };
        w.create(&w.name(ResourceKind::McpServer, &entry.id), server).await?;
        servers_written += 1;
        summary.mcp_servers.push(entity(&entry.id, &label, state, details));
    }

    for bundled in &bundle.knowledge_bases {
        let label = bundled.knowledge_base.display_name.clone();
        if w.exists(ResourceKind::KnowledgeBase, &bundled.id).await? {
            let message = format!("Knowledge base \"{label}\" already exists on this tenant and was skipped.");
            summary.knowledge_bases.push(entity(
                &bundled.id,
                &label,
                State::Exists,
                vec![detail(Code::AlreadyExists, &bundled.id, &label, message)],
            ));
            continue;
        }
        let kb_name = w.name(ResourceKind::KnowledgeBase, &bundled.id);
        w.create(&kb_name, bundled.knowledge_base.clone()).await?;
        let parent = Parent { tenant: ctx.tenant.to_owned(), parent_id: bundled.id.clone() };
        for document in &bundled.documents {
            let name = ResourceName::new(&parent, ResourceKind::Document, &document.id);
            w.create(&name, document.value.clone()).await?;
            if let Some(staged) = ctx.contents.get(&(bundled.id.clone(), document.id.clone())) {
                ctx.tx.attach_blob(staged, &Owner::resource(&name), ctx.now).await?;
            }
        }
        summary.knowledge_bases.push(entity(&bundled.id, &label, State::Enabled, vec![]));
    }

    // Agents: first decide every target id, so references can be rewritten consistently.
    let millis = ctx.now / 1000;
    let mut targets: HashMap<&str, (String, Option<Code>)> = HashMap::new();
    let mut refused = Vec::new();
    for entry in &bundle.agents {
        let taken = w.exists(ResourceKind::Agent, &entry.id).await?;
        let target = match (taken, ctx.policy) {
            (false, _) => (entry.id.clone(), None),
            (true, ConflictPolicy::Skip) => (entry.id.clone(), Some(Code::Skipped)),
            (true, ConflictPolicy::Overwrite) => (entry.id.clone(), Some(Code::Overwritten)),
            (true, ConflictPolicy::Fail) => {
                refused.push(entry.id.clone());
                (entry.id.clone(), Some(Code::ImportFailed))
            }
            (true, ConflictPolicy::Rename | ConflictPolicy::Unspecified) => {
                let mut n = 1;
                let mut candidate = import_rename(&entry.id, millis, n);
                while w.exists(ResourceKind::Agent, &candidate).await?
                    || bundle.agents.iter().any(|a| a.id == candidate)
                    || targets.values().any(|(target, _)| *target == candidate)
                {
                    n += 1;
                    candidate = import_rename(&entry.id, millis, n);
                }
                (candidate, Some(Code::Renamed))
            }
        };
        targets.insert(&entry.id, target);
    }
    if !refused.is_empty() && !ctx.dry_run {
        return Err(Error::new(
            ErrorCode::AlreadyExists,
            format!("agent ids already taken in tenant `{}`: {}", ctx.tenant, refused.join(", ")),
        )
        .with_meta("conflictingIds", refused.join(",")));
    }
    let rename = |id: &str| targets.get(id).map(|(target, _)| target.clone()).unwrap_or_else(|| id.to_owned());

    for entry in &bundle.agents {
        let (target, conflict) = targets[entry.id.as_str()].clone();
        let label = preferred_text(&entry.value.display_name);
        let mut details = Vec::new();
        match conflict {
            Some(Code::Skipped) => {
                let message = format!("Agent \"{}\" already exists on this tenant and was kept.", entry.id);
                summary.agents.push(entity(
                    &target,
                    &label,
                    State::Exists,
                    vec![detail(Code::Skipped, &target, &label, message)],
                ));
                continue;
            }
            Some(Code::ImportFailed) => {
                let message = format!("Import failed: agent id \"{}\" is already taken.", entry.id);
                summary.agents.push(entity(
                    &target,
                    &label,
                    State::Failed,
                    vec![detail(Code::ImportFailed, &target, &label, message)],
                ));
                continue;
            }
            Some(Code::Renamed) => details.push(detail(
                Code::Renamed,
                &target,
                &label,
                format!("Agent id \"{}\" was taken; imported as \"{target}\".", entry.id),
            )),
            Some(Code::Overwritten) => {
                details.push(detail(Code::Overwritten, &target, &label, format!("Agent \"{target}\" was replaced.")))
            }
            _ => {}
        }
        let mut agent = entry.value.clone();
        agent.status = AgentStatus::Inactive as i32;
        for collaboration in &mut agent.collaborations {
            collaboration.agent_id = rename(&collaboration.agent_id);
        }
        for item in agent.graph.iter_mut().filter(|g| g.r#type == "agent") {
            item.item_id = rename(&item.item_id);
        }
        details.extend(missing_token_details(&w.missing_secrets(agent_secrets(&agent)).await?));
        details.push(detail(Code::AgentImportedDisabled, &target, &label, "Imported agents start disabled."));
        let name = w.name(ResourceKind::Agent, &target);
        if conflict == Some(Code::Overwritten) {
            w.replace(&name, agent).await?;
        } else {
            w.create(&name, agent).await?;
        }
        agents_written += 1;
        let mut imported = entity(&target, &label, State::Disabled, details);
        if target != entry.id {
            imported.source_id = entry.id.clone();
        }
        summary.agents.push(imported);
    }

    let counts = format!("{agents_written} agents, {tools_written} tools, and {servers_written} MCP servers");
    let message = match ctx.dry_run {
        true => format!("Dry run, nothing was written: would import {counts}."),
        false => format!("Successfully imported {counts}."),
    };
    Ok(Applied { summary, message })
}

/// Functions a dynamic MCP server's tools invoke that are neither in the bundle nor tools here.
async fn missing_functions(w: &Writer<'_>, server: &McpServer, bundle_tools: &BTreeSet<&str>) -> Result<Vec<String>> {
    let mut missing = BTreeSet::new();
    for function in server.tools.iter().map(|t| t.function_id.as_str()).filter(|f| !f.is_empty()) {
        if !bundle_tools.contains(function) && !w.exists(ResourceKind::Tool, function).await? {
            missing.insert(function.to_owned());
        }
    }
    Ok(missing.into_iter().collect())
}
