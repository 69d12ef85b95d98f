//! Plans and writes an import inside one transaction, reporting a state per entity. The same
//! code runs for a dry run, whose transaction is rolled back instead of committed.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::plan::{self, Decided, PlanRequest};
use crate::domain::bundle::Bundle;
use crate::domain::names::{Parent, ResourceKind, ResourceName, import_rename};
use crate::domain::plan::patch::canonical;
use crate::domain::requirements::{Binder, Bound, Source, required_ids};
use crate::domain::resource::Resource;
use crate::domain::validate::preferred_text;
use crate::error::{Error, ErrorCode, Result};
use crate::proto::{
    AgentStatus, ConflictPolicy, ImportDetail, ImportDetailCode as Code, ImportPlan, ImportState as State,
    ImportSummary, ImportedEntity, McpServer, SecretRequirement, TenantSettings, Tool, tool,
};
use crate::service::documents::content::StagedContents;
use crate::service::sealing;
use crate::store::{NewResource, Owner, Sealer, Staged, Tx};

/// Everything an import needs besides the bundle.
pub struct ImportContext<'a> {
    pub tx: &'a Tx,
    /// Seals the secret texts of what is written (a bundle carries none; kept uniform).
    pub sealer: &'a Sealer,
    pub tenant: &'a str,
    pub policy: ConflictPolicy,
    /// Microseconds since the epoch.
    pub now: i64,
    /// Milliseconds since the epoch that renamed ids carry: now, or the instant of the plan
    /// being applied.
    pub rename_millis: i64,
    pub dry_run: bool,
    /// Testing only: fail after this many entity writes.
    pub fault_after_writes: Option<usize>,
    /// Document contents staged before the transaction, by (knowledge base id, document id).
    pub contents: &'a StagedContents,
    /// The request's `secret_mappings`: required secret id -> the tenant's secret id.
    pub mappings: &'a BTreeMap<String, String>,
    /// The importing tenant's settings (its endpoint allow-list).
    pub settings: &'a TenantSettings,
    /// Set for a dry run and for an import applying a plan: the plan to build (and check).
    pub plan: Option<PlanRequest<'a>>,
}

/// What was (or, in a dry run, would be) imported.
pub struct Applied {
    pub summary: ImportSummary,
    pub message: String,
    pub requirements: Vec<SecretRequirement>,
    /// The plan, when the context asked for one.
    pub plan: Option<ImportPlan>,
}

/// What the tenant already holds among the ids the bundle names, read before anything is
/// written: one query per kind (and chunk of ids). The import writes only ids of the bundle,
/// and the bundle holds each id once per kind, so these answers stay true while it writes.
struct Known {
    /// Tools: those of the bundle, and the functions its MCP servers invoke.
    tools: HashSet<String>,
    mcp_servers: HashSet<String>,
    knowledge_bases: HashSet<String>,
    agents: HashSet<String>,
    /// `{kind}/{id}` -> revision of each of them (what a plan id covers).
    revisions: BTreeMap<String, i64>,
}

impl Known {
    async fn load(ctx: &ImportContext<'_>, bundle: &Bundle) -> Result<Self> {
        let functions = bundle.mcp_servers.iter().flat_map(|s| s.value.tools.iter().map(|t| t.function_id.as_str()));
        let tools: Vec<&str> = bundle.tools.iter().map(|t| t.id.as_str()).chain(functions).collect();
        let servers: Vec<&str> = bundle.mcp_servers.iter().map(|s| s.id.as_str()).collect();
        let bases: Vec<&str> = bundle.knowledge_bases.iter().map(|k| k.id.as_str()).collect();
        let agents: Vec<&str> = bundle.agents.iter().map(|a| a.id.as_str()).collect();
        let mut revisions = BTreeMap::new();
        let tools = revised(ctx, ResourceKind::Tool, &tools, &mut revisions).await?;
        let mcp_servers = revised(ctx, ResourceKind::McpServer, &servers, &mut revisions).await?;
        let knowledge_bases = revised(ctx, ResourceKind::KnowledgeBase, &bases, &mut revisions).await?;
        let agents = revised(ctx, ResourceKind::Agent, &agents, &mut revisions).await?;
        Ok(Known { tools, mcp_servers, knowledge_bases, agents, revisions })
    }
}

/// Those of `ids` the tenant holds, their revisions added to `revisions` as `{kind}/{id}`.
async fn revised(
    ctx: &ImportContext<'_>,
    kind: ResourceKind,
    ids: &[&str],
    revisions: &mut BTreeMap<String, i64>,
) -> Result<HashSet<String>> {
    let found = ctx.tx.revisions(ctx.tenant, kind, ids).await?;
    let held = found.keys().cloned().collect();
    revisions.extend(found.into_iter().map(|(id, revision)| (format!("{}/{id}", kind.as_str()), revision)));
    Ok(held)
}

/// The secret ids the bundle's agents, tools and MCP servers require.
fn required_secrets(bundle: &Bundle) -> BTreeSet<String> {
    let tools = bundle.tools.iter().flat_map(|t| required_ids(&t.value));
    let servers = bundle.mcp_servers.iter().flat_map(|s| required_ids(&s.value));
    tools.chain(servers).chain(bundle.agents.iter().flat_map(|a| required_ids(&a.value))).collect()
}

/// The binder of a bundle's import: the request's mappings checked against the bundle.
async fn binder(ctx: &ImportContext<'_>, bundle: &Bundle) -> Result<Binder> {
    let required = required_secrets(bundle);
    let lookups = Binder::lookups(Source::Bundle, ctx.mappings, &required);
    let asked: Vec<&str> = lookups.iter().map(String::as_str).collect();
    let existing = ctx.tx.existing(ctx.tenant, ResourceKind::Secret, &asked).await?;
    let binder = Binder::new(Source::Bundle, ctx.mappings.clone(), existing, ctx.settings);
    let violations = binder.violations(&required);
    if !violations.is_empty() {
        return Err(Error::invalid(violations));
    }
    Ok(binder)
}

/// The rows an import writes, collected while it is planned, then written a table at a time
/// (parents before children) with multi-row statements.
#[derive(Default)]
struct Writes {
    tools: Vec<NewResource>,
    mcp_servers: Vec<NewResource>,
    knowledge_bases: Vec<NewResource>,
    documents: Vec<NewResource>,
    contents: Vec<(Staged, Owner)>,
    agents: Vec<NewResource>,
    overwritten_agents: Vec<NewResource>,
}

/// A resource as written: identity cleared, defaults applied, secrets sealed.
fn row<R: Resource>(sealer: &Sealer, name: ResourceName, mut resource: R) -> Result<NewResource> {
    resource.clear_identity();
    resource.apply_defaults();
    let body = sealing::to_body(sealer, &name, &resource)?;
    Ok(NewResource { label: resource.label(), body, name })
}

impl Writes {
    async fn write(self, ctx: &ImportContext<'_>) -> Result<()> {
        let mut written = 0;
        let (tx, now) = (ctx.tx, ctx.now);
        for rows in [&self.tools, &self.mcp_servers, &self.knowledge_bases, &self.documents, &self.agents] {
            fault(ctx, &mut written, rows.len())?;
            tx.insert_many(rows, now).await?;
        }
        tx.attach_blobs(&self.contents, now).await?;
        fault(ctx, &mut written, self.overwritten_agents.len())?;
        tx.overwrite_many(&self.overwritten_agents, now).await
    }
}

/// Testing only: fails once more than `fault_after_writes` entities would have been written.
fn fault(ctx: &ImportContext<'_>, written: &mut usize, more: usize) -> Result<()> {
    *written += more;
    match ctx.fault_after_writes {
        Some(limit) if *written > limit => Err(Error::internal("import", "injected fault")),
        _ => Ok(()),
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

fn is_not_importable(tool: &Tool) -> bool {
    matches!(tool.r#type.as_str(), "slack" | "teams")
        || matches!(tool.config, Some(tool::Config::Slack(_) | tool::Config::Teams(_)))
}

pub async fn apply(ctx: &ImportContext<'_>, bundle: &Bundle) -> Result<Applied> {
    let binder = binder(ctx, bundle).await?;
    let known = Known::load(ctx, bundle).await?;
    let mut requirements = Vec::new();
    let mut writes = Writes::default();
    let name = |kind: ResourceKind, id: &str| ResourceName::new(&Parent::tenant(ctx.tenant), kind, id);
    let mut summary = ImportSummary::default();
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
        if known.tools.contains(&entry.id) {
            let message = format!("Tool \"{label}\" already exists on this tenant and was skipped.");
            summary.tools.push(entity(
                &entry.id,
                &label,
                State::Exists,
                vec![detail(Code::AlreadyExists, &entry.id, &label, message)],
            ));
            continue;
        }
        let mut tool = entry.value.clone();
        let Bound { requirements: required, details } = binder.bind(&mut tool, "tools", &entry.id);
        requirements.extend(required);
        // A tool the bundle has disabled stays disabled; one with an unbound secret or an
        // endpoint outside the allow-list is disabled.
        tool.enabled = tool.enabled && details.is_empty();
        let state = if tool.enabled { State::Enabled } else { State::Disabled };
        writes.tools.push(row(ctx.sealer, name(ResourceKind::Tool, &entry.id), tool)?);
        summary.tools.push(entity(&entry.id, &label, state, details));
    }

    for entry in &bundle.mcp_servers {
        let label = entry.value.display_name.clone();
        if known.mcp_servers.contains(&entry.id) {
            let message = format!("MCP server \"{label}\" already exists on this tenant and was skipped.");
            summary.mcp_servers.push(entity(
                &entry.id,
                &label,
                State::Exists,
                vec![detail(Code::AlreadyExists, &entry.id, &label, message)],
            ));
            continue;
        }
        let mut server = entry.value.clone();
        let Bound { requirements: required, mut details } = binder.bind(&mut server, "mcp_servers", &entry.id);
        requirements.extend(required);
        for function in missing_functions(&known, &entry.value, &bundle_tools) {
            details.push(detail(
                Code::MissingFunction,
                &function,
                &function,
                "Imported tool has been disabled: its function was not found.",
            ));
        }
        // A server the bundle has disabled stays disabled; one missing a token or function, or
        // pointing outside the allow-list, is disabled.
        server.enabled = server.enabled && details.is_empty();
        let state = if server.enabled { State::Enabled } else { State::Disabled };
        writes.mcp_servers.push(row(ctx.sealer, name(ResourceKind::McpServer, &entry.id), server)?);
        summary.mcp_servers.push(entity(&entry.id, &label, state, details));
    }

    for bundled in &bundle.knowledge_bases {
        let label = bundled.knowledge_base.display_name.clone();
        if known.knowledge_bases.contains(&bundled.id) {
            let message = format!("Knowledge base \"{label}\" already exists on this tenant and was skipped.");
            summary.knowledge_bases.push(entity(
                &bundled.id,
                &label,
                State::Exists,
                vec![detail(Code::AlreadyExists, &bundled.id, &label, message)],
            ));
            continue;
        }
        writes.knowledge_bases.push(row(
            ctx.sealer,
            name(ResourceKind::KnowledgeBase, &bundled.id),
            bundled.knowledge_base.clone(),
        )?);
        let parent = Parent { tenant: ctx.tenant.to_owned(), parent_id: bundled.id.clone() };
        for document in &bundled.documents {
            let name = ResourceName::new(&parent, ResourceKind::Document, &document.id);
            if let Some(staged) = ctx.contents.get(&(bundled.id.clone(), document.id.clone())) {
                writes.contents.push((staged.clone(), Owner::resource(&name)));
            }
            writes.documents.push(row(ctx.sealer, name, document.value.clone())?);
        }
        summary.knowledge_bases.push(entity(&bundled.id, &label, State::Enabled, vec![]));
    }

    // Agents: first decide every target id, so references can be rewritten consistently.
    let mut targets: HashMap<&str, (String, Option<Code>)> = HashMap::new();
    let mut refused = Vec::new();
    let mut to_rename = Vec::new();
    for entry in &bundle.agents {
        let target = match (known.agents.contains(&entry.id), ctx.policy) {
            (false, _) => (entry.id.clone(), None),
            (true, ConflictPolicy::Skip) => (entry.id.clone(), Some(Code::Skipped)),
            (true, ConflictPolicy::Overwrite) => (entry.id.clone(), Some(Code::Overwritten)),
            (true, ConflictPolicy::Fail) => {
                refused.push(entry.id.clone());
                (entry.id.clone(), Some(Code::ImportFailed))
            }
            (true, ConflictPolicy::Rename | ConflictPolicy::Unspecified) => {
                to_rename.push(entry.id.as_str());
                continue;
            }
        };
        targets.insert(&entry.id, target);
    }
    for (id, renamed) in rename_targets(ctx, bundle, &to_rename).await? {
        targets.insert(id, (renamed, Some(Code::Renamed)));
    }
    if !refused.is_empty() && !ctx.dry_run {
        return Err(Error::new(
            ErrorCode::AlreadyExists,
            format!("agent ids already taken in tenant `{}`: {}", ctx.tenant, refused.join(", ")),
        )
        .with_meta("conflictingIds", refused.join(",")));
    }
    let rename = |id: &str| targets.get(id).map(|(target, _)| target.clone()).unwrap_or_else(|| id.to_owned());

    let (mut agents_written, tools_written, servers_written) = (0, writes.tools.len(), writes.mcp_servers.len());
    let mut overwrites = BTreeMap::new();
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
        let bound = binder.bind(&mut agent, "agents", &entry.id);
        requirements.extend(bound.requirements);
        details.extend(bound.details);
        details.push(detail(Code::AgentImportedDisabled, &target, &label, "Imported agents start disabled."));
        if conflict == Some(Code::Overwritten) && ctx.plan.is_some() {
            overwrites.insert(target.clone(), canonical(&agent));
        }
        let written = row(ctx.sealer, name(ResourceKind::Agent, &target), agent)?;
        if conflict == Some(Code::Overwritten) {
            writes.overwritten_agents.push(written);
        } else {
            writes.agents.push(written);
        }
        agents_written += 1;
        let mut imported = entity(&target, &label, State::Disabled, details);
        if target != entry.id {
            imported.source_id = entry.id.clone();
        }
        summary.agents.push(imported);
    }
    let plan = match &ctx.plan {
        Some(request) => {
            let decided =
                Decided { summary: &summary, requirements: &requirements, revisions: &known.revisions, overwrites };
            Some(plan::build(ctx, request, bundle, decided).await?)
        }
        None => None,
    };
    writes.write(ctx).await?;

    let counts = format!("{agents_written} agents, {tools_written} tools, and {servers_written} MCP servers");
    let message = match ctx.dry_run {
        true => format!("Dry run, nothing was written: would import {counts}."),
        false => format!("Successfully imported {counts}."),
    };
    Ok(Applied { summary, message, requirements, plan })
}

/// New ids for the agents in `taken`, in bundle order: for each the first of
/// [`import_rename`]'s candidates that is free in the tenant, in the bundle and among the ids
/// chosen before it. The tenant is asked about candidates in batches: each pass decides in
/// memory with what is known and asks, in one query, about every candidate it could not decide.
async fn rename_targets<'b>(
    ctx: &ImportContext<'_>,
    bundle: &'b Bundle,
    taken: &[&'b str],
) -> Result<Vec<(&'b str, String)>> {
    let millis = ctx.rename_millis;
    let in_bundle: HashSet<&str> = bundle.agents.iter().map(|a| a.id.as_str()).collect();
    let (mut asked, mut held): (HashSet<String>, HashSet<String>) = Default::default();
    loop {
        let mut chosen: Vec<(&str, String)> = Vec::with_capacity(taken.len());
        let mut chosen_ids: HashSet<String> = HashSet::new();
        let mut unknown: Vec<String> = Vec::new();
        for id in taken {
            let mut n = 1;
            loop {
                let candidate = import_rename(id, millis, n);
                if held.contains(&candidate)
                    || in_bundle.contains(candidate.as_str())
                    || chosen_ids.contains(&candidate)
                {
                    n += 1;
                } else if asked.contains(&candidate) {
                    chosen_ids.insert(candidate.clone());
                    chosen.push((id, candidate));
                    break;
                } else {
                    unknown.push(candidate);
                    break;
                }
            }
        }
        if unknown.is_empty() {
            return Ok(chosen);
        }
        let asking: Vec<&str> = unknown.iter().map(String::as_str).collect();
        held.extend(ctx.tx.existing(ctx.tenant, ResourceKind::Agent, &asking).await?);
        asked.extend(unknown);
    }
}

/// Functions a dynamic MCP server's tools invoke that are neither in the bundle nor tools here.
fn missing_functions(known: &Known, server: &McpServer, bundle_tools: &BTreeSet<&str>) -> Vec<String> {
    let missing: BTreeSet<&str> = server
        .tools
        .iter()
        .map(|t| t.function_id.as_str())
        .filter(|f| !f.is_empty() && !bundle_tools.contains(f) && !known.tools.contains(*f))
        .collect();
    missing.into_iter().map(str::to_owned).collect()
}

#[cfg(test)]
mod tests;
