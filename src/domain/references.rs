//! How resources refer to each other within a tenant: who uses a resource, and how to let go of
//! it when it is deleted with `force` (the referrer is disabled, as Emporix does).

use std::collections::BTreeSet;

use super::agent_graph::{graph_function_ids, sub_agent_ids};
use super::json;
use super::names::ResourceKind;
use super::requirements::{Requirements, required_ids};
use crate::error::Error;
use crate::proto::{Agent, AgentStatus, McpServer, Tool};

/// Every resource `agent` refers to: the one visitor of an agent's references (its secret
/// references are the ones [`Requirements`] names, as imports bind them).
pub fn agent_refs(agent: &Agent) -> Vec<(ResourceKind, String)> {
    let agents = sub_agent_ids(agent).into_iter().map(|id| (ResourceKind::Agent, id));
    // A custom function the graph calls is used whether or not it is also attached.
    let attached = agent.tools.iter().map(|t| t.tool_id.as_str());
    let tools = attached.chain(graph_function_ids(agent)).map(|id| (ResourceKind::Tool, id));
    let servers = agent.mcp_servers.iter().map(|m| (ResourceKind::McpServer, m.mcp_server_id.as_str()));
    let kbs = agent.knowledge_bases.iter().map(|k| (ResourceKind::KnowledgeBase, k.knowledge_base_id.as_str()));
    let refs = agents.chain(tools).chain(servers).chain(kbs).map(|(kind, id)| (kind, id.to_owned()));
    refs.chain(secrets_of(agent)).filter(|(_, id)| !id.is_empty()).collect()
}

/// The secrets an entity refers to, as references.
fn secrets_of<R: Requirements + Clone>(entity: &R) -> impl Iterator<Item = (ResourceKind, String)> {
    required_ids(entity).into_iter().map(|id| (ResourceKind::Secret, id))
}

/// Whether `agent` refers to the resource `kind`/`id`.
pub fn agent_uses(agent: &Agent, kind: ResourceKind, id: &str) -> bool {
    agent_refs(agent).iter().any(|(k, i)| *k == kind && i == id)
}

/// Every resource a stored document of `kind` refers to, deduplicated, for the store's
/// references table.
pub fn of_document(kind: ResourceKind, body: &str) -> Result<Vec<(ResourceKind, String)>, Error> {
    let decode_error = |e: String| Error::internal("decode stored document for references", e);
    let refs: BTreeSet<(ResourceKind, String)> = match kind {
        ResourceKind::Agent => {
            let agent: Agent = json::from_json(body).map_err(decode_error)?;
            agent_refs(&agent).into_iter().collect()
        }
        ResourceKind::Tool => secrets_of(&json::from_json::<Tool>(body).map_err(decode_error)?).collect(),
        ResourceKind::McpServer => secrets_of(&json::from_json::<McpServer>(body).map_err(decode_error)?).collect(),
        _ => BTreeSet::new(),
    };
    Ok(refs.into_iter().collect())
}

/// Removes every reference of `agent` to `kind`/`id` and disables the agent.
pub fn agent_let_go(agent: &mut Agent, kind: ResourceKind, id: &str) {
    match kind {
        ResourceKind::Agent => {
            agent.collaborations.retain(|c| c.agent_id != id);
            agent.graph.retain(|g| !(g.r#type == "agent" && g.item_id == id));
        }
        ResourceKind::Tool => {
            agent.tools.retain(|t| t.tool_id != id);
            agent.graph.retain(|g| !(g.r#type == "tool" && g.sub_type == "custom_function" && g.item_id == id));
        }
        ResourceKind::McpServer => agent.mcp_servers.retain(|m| m.mcp_server_id != id),
        ResourceKind::KnowledgeBase => agent.knowledge_bases.retain(|k| k.knowledge_base_id != id),
        ResourceKind::Secret => let_go_of_secret(agent, id),
        _ => {}
    }
    agent.status = AgentStatus::Inactive as i32;
}

/// Removes a tool's references to secret `id` and disables the tool.
pub fn tool_let_go(tool: &mut Tool, id: &str) {
    let_go_of_secret(tool, id);
    tool.enabled = false;
}

/// Removes an MCP server's reference to secret `id` and disables the server.
pub fn mcp_server_let_go(server: &mut McpServer, id: &str) {
    let_go_of_secret(server, id);
    server.enabled = false;
}

fn let_go_of_secret<R: Requirements>(entity: &mut R, id: &str) {
    for (_, slot) in entity.secret_refs() {
        clear_if(slot, id);
    }
}

fn clear_if(slot: &mut String, id: &str) {
    if slot == id {
        slot.clear();
    }
}
