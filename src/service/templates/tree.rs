//! The tree a template holds: an agent, its sub-agents (refusing cycles and excessive depth),
//! and the tools, MCP servers and knowledge bases they use.

use std::collections::BTreeMap;

use crate::domain::agent_graph::{graph_function_ids, sub_agent_ids};
use crate::domain::names::{Parent, ResourceKind, ResourceName};
use crate::domain::template::{KnowledgeBaseCopy, TemplateTree};
use crate::error::{Error, ErrorCode, Result};
use crate::proto::{Agent, KnowledgeBase, McpServer, Tool, tool};
use crate::service::transfer::closure::{documents, include, load};
use crate::store::Store;

/// Walks sub-agents depth-first from `root`, refusing a cycle (named in the error) and
/// chains longer than `max_depth`. Sub-agents the tenant lacks are left as references.
pub async fn agents(store: &Store, tenant: &str, root: &str, max_depth: usize) -> Result<BTreeMap<String, Agent>> {
    let first = load::<Agent>(store, tenant, root).await?.ok_or_else(|| {
        Error::not_found(&ResourceName::new(&Parent::tenant(tenant), ResourceKind::Agent, root).to_string())
    })?;
    let mut agents = BTreeMap::from([(root.to_owned(), first)]);
    // Each frame: an agent on the current path and the sub-agents still to visit from it.
    let mut path: Vec<(String, Vec<String>)> =
        vec![(root.to_owned(), sub_agent_ids(&agents[root]).into_iter().map(str::to_owned).collect())];
    while let Some((_, pending)) = path.last_mut() {
        let Some(next) = pending.pop() else {
            path.pop();
            continue;
        };
        if let Some(start) = path.iter().position(|(id, _)| *id == next) {
            let cycle: Vec<&str> = path[start..].iter().map(|(id, _)| id.as_str()).chain([next.as_str()]).collect();
            return Err(Error::new(
                ErrorCode::SubAgentCycle,
                format!("sub-agents form a cycle: {}", cycle.join(" -> ")),
            )
            .with_meta("cycle", cycle.join(",")));
        }
        if path.len() > max_depth {
            return Err(Error::new(
                ErrorCode::SubAgentDepthExceeded,
                format!("sub-agents of `{root}` nest deeper than the limit of {max_depth}"),
            )
            .with_meta("agent", root));
        }
        if !agents.contains_key(&next) {
            match load::<Agent>(store, tenant, &next).await? {
                Some(agent) => {
                    agents.insert(next.clone(), agent);
                }
                None => continue,
            }
        }
        let subs = sub_agent_ids(&agents[&next]).into_iter().map(str::to_owned).collect();
        path.push((next, subs));
    }
    Ok(agents)
}

pub async fn collect(
    store: &Store,
    tenant: &str,
    root: &str,
    max_depth: usize,
    with_knowledge_bases: bool,
) -> Result<TemplateTree> {
    let mut agents = agents(store, tenant, root, max_depth).await?;
    if !with_knowledge_bases {
        // Without its knowledge bases a template names none: links to them would bind, on
        // import, to whatever the importing tenant has under those ids.
        agents.values_mut().for_each(|agent| agent.knowledge_bases.clear());
    }
    let mut tools: BTreeMap<String, Tool> = BTreeMap::new();
    let mut mcp_servers: BTreeMap<String, McpServer> = BTreeMap::new();
    let mut bases: BTreeMap<String, KnowledgeBase> = BTreeMap::new();
    for (agent_id, agent) in &agents {
        for id in agent.tools.iter().map(|t| &t.tool_id) {
            include(&mut tools, store, tenant, id, agent_id, "tool").await?;
        }
        // A custom function the graph calls travels even when it is not attached as a tool.
        for id in graph_function_ids(agent) {
            if !tools.contains_key(id) {
                if let Some(function) = load::<Tool>(store, tenant, id).await? {
                    if matches!(function.config, Some(tool::Config::CustomFunction(_))) {
                        tools.insert(id.to_owned(), function);
                    }
                }
            }
        }
        for id in agent.mcp_servers.iter().map(|m| &m.mcp_server_id).filter(|id| !id.is_empty()) {
            include(&mut mcp_servers, store, tenant, id, agent_id, "MCP server").await?;
        }
        for id in agent.knowledge_bases.iter().map(|k| &k.knowledge_base_id) {
            include(&mut bases, store, tenant, id, agent_id, "knowledge base").await?;
        }
    }
    let mut knowledge_bases = BTreeMap::new();
    for (id, knowledge_base) in bases {
        let documents = documents(store, tenant, &id).await?;
        knowledge_bases.insert(id, KnowledgeBaseCopy { knowledge_base, documents });
    }
    Ok(TemplateTree { root: root.to_owned(), agents, tools, mcp_servers, knowledge_bases })
}

/// How deep sub-agents nest below `root` in a decoded tree (cycles cannot occur in nesting).
pub fn depth(tree: &TemplateTree, id: &str, seen: usize) -> usize {
    let Some(agent) = tree.agents.get(id) else {
        return seen;
    };
    sub_agent_ids(agent)
        .into_iter()
        .filter(|sub| tree.agents.contains_key(*sub))
        .map(|sub| if seen > 64 { seen } else { depth(tree, sub, seen + 1) })
        .max()
        .unwrap_or(seen)
}
