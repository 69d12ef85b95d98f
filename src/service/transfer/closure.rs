//! An export's dependency closure: the named agents, their collaboration and sub-agents
//! recursively, and every tool, MCP server and knowledge base (with documents) they use.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::domain::agent_graph::sub_agent_ids;
use crate::domain::bundle::{Bundle, BundledKnowledgeBase, Entry};
use crate::domain::names::{Parent, ResourceKind, ResourceName};
use crate::domain::resource::Resource;
use crate::error::{Error, ErrorCode, Result};
use crate::proto::{Agent, Document, KnowledgeBase, McpServer, Tool, tool};
use crate::service::resources::decode;
use crate::store::Store;

pub(crate) async fn load<R: Resource>(store: &Store, tenant: &str, id: &str) -> Result<Option<R>> {
    let name = ResourceName::new(&Parent::tenant(tenant), R::KIND, id);
    match store.get(&name).await {
        Ok(stored) => {
            let mut resource: R = decode(stored)?;
            resource.clear_identity();
            resource.set_child_count(0);
            Ok(Some(resource))
        }
        Err(e) if e.code == ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// A reference to something the tenant does not hold travels as a reference only (the
/// importer reports it, like a Slack tool that must be created by hand).
fn dangling(kind: &str, id: &str, referrer: &str) {
    tracing::debug!(kind, id, referrer, "exporting a reference to a missing dependency");
}

pub async fn collect(store: &Store, tenant: &str, agent_ids: &[String], max_depth: usize) -> Result<Bundle> {
    let mut agents: BTreeMap<String, Agent> = BTreeMap::new();
    let mut missing = Vec::new();
    for id in agent_ids {
        match load::<Agent>(store, tenant, id).await? {
            Some(agent) => {
                agents.insert(id.clone(), agent);
            }
            None => missing.push(id.clone()),
        }
    }
    if !missing.is_empty() {
        let listed = missing.iter().map(|id| format!("`{id}`")).collect::<Vec<_>>().join(", ");
        return Err(Error::new(ErrorCode::NotFound, format!("agents not found in tenant `{tenant}`: {listed}"))
            .with_meta("missingIds", missing.join(",")));
    }

    // Breadth-first over sub-agents; depth counts hand-offs from a requested agent.
    let mut queue: VecDeque<(String, usize)> = agent_ids.iter().map(|id| (id.clone(), 0)).collect();
    while let Some((id, depth)) = queue.pop_front() {
        let subs: Vec<String> = sub_agent_ids(&agents[&id]).into_iter().map(str::to_owned).collect();
        for sub in subs {
            if agents.contains_key(&sub) {
                continue;
            }
            if depth + 1 > max_depth {
                return Err(Error::new(
                    ErrorCode::SubAgentDepthExceeded,
                    format!("sub-agents of `{id}` nest deeper than the limit of {max_depth}"),
                )
                .with_meta("agent", id.clone()));
            }
            match load::<Agent>(store, tenant, &sub).await? {
                Some(agent) => {
                    agents.insert(sub.clone(), agent);
                    queue.push_back((sub, depth + 1));
                }
                None => dangling("agent", &sub, &id),
            }
        }
    }

    let mut tools: BTreeMap<String, Tool> = BTreeMap::new();
    let mut servers: BTreeMap<String, McpServer> = BTreeMap::new();
    let mut knowledge_bases: BTreeMap<String, KnowledgeBase> = BTreeMap::new();
    for (agent_id, agent) in &agents {
        for id in agent.tools.iter().map(|t| &t.tool_id) {
            include(&mut tools, store, tenant, id, agent_id, "tool").await?;
        }
        for id in agent.mcp_servers.iter().map(|m| &m.mcp_server_id).filter(|id| !id.is_empty()) {
            include(&mut servers, store, tenant, id, agent_id, "MCP server").await?;
        }
        for id in agent.knowledge_bases.iter().map(|k| &k.knowledge_base_id) {
            include(&mut knowledge_bases, store, tenant, id, agent_id, "knowledge base").await?;
        }
    }
    // Functions that dynamic MCP tools invoke travel along when they are custom-function tools here.
    let function_ids: BTreeSet<String> = servers
        .values()
        .flat_map(|s| s.tools.iter().map(|t| t.function_id.clone()))
        .filter(|id| !id.is_empty())
        .collect();
    for id in function_ids {
        if !tools.contains_key(&id) {
            if let Some(function) = load::<Tool>(store, tenant, &id).await? {
                if matches!(function.config, Some(tool::Config::CustomFunction(_))) {
                    tools.insert(id, function);
                }
            }
        }
    }

    let mut bundled_kbs = Vec::new();
    for (id, knowledge_base) in knowledge_bases {
        bundled_kbs.push(BundledKnowledgeBase { documents: documents(store, tenant, &id).await?, id, knowledge_base });
    }
    Ok(Bundle {
        agents: agents.into_iter().map(|(id, value)| Entry { id, value }).collect(),
        tools: tools.into_iter().map(|(id, value)| Entry { id, value }).collect(),
        mcp_servers: servers.into_iter().map(|(id, value)| Entry { id, value }).collect(),
        knowledge_bases: bundled_kbs,
    })
}

/// Adds the resource `id` to `found` unless it is there already or the tenant lacks it.
pub(crate) async fn include<R: Resource>(
    found: &mut BTreeMap<String, R>,
    store: &Store,
    tenant: &str,
    id: &str,
    referrer: &str,
    kind: &str,
) -> Result<()> {
    if !found.contains_key(id) {
        match load::<R>(store, tenant, id).await? {
            Some(resource) => {
                found.insert(id.to_owned(), resource);
            }
            None => dangling(kind, id, referrer),
        }
    }
    Ok(())
}

/// Every document of a knowledge base, in id order.
pub(crate) async fn documents(store: &Store, tenant: &str, kb_id: &str) -> Result<Vec<Entry<Document>>> {
    let parent = Parent { tenant: tenant.to_owned(), parent_id: kb_id.to_owned() };
    let rows = store.list_all(ResourceKind::Document, &parent).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let id = row.name.id.clone();
        let mut document: Document = decode(row)?;
        document.clear_identity();
        out.push(Entry { id, value: document });
    }
    Ok(out)
}
