//! The tree a template holds: an agent, its sub-agents (refusing cycles and excessive depth),
//! and the tools, MCP servers and knowledge bases they use.

use std::collections::{BTreeMap, BTreeSet};

use crate::domain::agent_graph::{graph_function_ids, sub_agent_ids};
use crate::domain::names::{Parent, ResourceKind, ResourceName};
use crate::domain::template::{KnowledgeBaseCopy, TemplateTree};
use crate::error::{Error, ErrorCode, Result};
use crate::proto::{Agent, Tool, tool};
use crate::service::transfer::closure::{dependencies, documents, load, load_many};
use crate::store::Store;

/// Walks sub-agents depth-first from `root`, refusing a cycle (named in the error) and
/// chains longer than `max_depth`. Sub-agents the tenant lacks are left as references.
pub async fn agents(store: &Store, tenant: &str, root: &str, max_depth: usize) -> Result<BTreeMap<String, Agent>> {
    let first = load::<Agent>(store, tenant, root).await?.ok_or_else(|| {
        Error::not_found(&ResourceName::new(&Parent::tenant(tenant), ResourceKind::Agent, root).to_string())
    })?;
    let mut reachable = within(store, tenant, (root, &first), max_depth).await?;
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
            match reachable.remove(&next) {
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

/// The agents the tenant holds within `max_depth` hand-offs of `root` (which is left out), read
/// breadth-first a level at a time: the walk above only visits agents at those depths.
async fn within(
    store: &Store,
    tenant: &str,
    root: (&str, &Agent),
    max_depth: usize,
) -> Result<BTreeMap<String, Agent>> {
    let mut found: BTreeMap<String, Agent> = BTreeMap::new();
    let mut tried: BTreeSet<String> = BTreeSet::from([root.0.to_owned()]);
    let mut level: Vec<String> = sub_agent_ids(root.1).into_iter().map(str::to_owned).collect();
    for _ in 0..max_depth {
        level.retain(|id| tried.insert(id.clone()));
        if level.is_empty() {
            break;
        }
        let loaded = load_many::<Agent>(store, tenant, &level).await?;
        level = loaded.values().flat_map(sub_agent_ids).map(str::to_owned).collect();
        found.extend(loaded);
    }
    Ok(found)
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
    let (mut tools, mcp_servers, bases) = dependencies(store, tenant, &agents, with_knowledge_bases).await?;
    // A custom function the graph calls travels even when it is not attached as a tool.
    let called: BTreeSet<String> = agents.values().flat_map(graph_function_ids).map(str::to_owned).collect();
    let missing: Vec<String> = called.into_iter().filter(|id| !tools.contains_key(id)).collect();
    let functions = load_many::<Tool>(store, tenant, &missing).await?;
    tools.extend(functions.into_iter().filter(|(_, t)| matches!(t.config, Some(tool::Config::CustomFunction(_)))));
    let kb_ids: Vec<String> = bases.keys().cloned().collect();
    let mut documents = documents(store, tenant, &kb_ids).await?;
    let knowledge_bases = bases
        .into_iter()
        .map(|(id, knowledge_base)| {
            let documents = documents.remove(&id).unwrap_or_default();
            (id, KnowledgeBaseCopy { knowledge_base, documents })
        })
        .collect();
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
