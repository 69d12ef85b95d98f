//! How resources refer to each other within a tenant: who uses a resource, and how to let go of
//! it when it is deleted with `force` (the referrer is disabled, as Emporix does).

use std::collections::BTreeSet;

use super::agent_graph::sub_agent_ids;
use super::json;
use super::names::ResourceKind;
use crate::error::Error;
use crate::proto::{Agent, AgentStatus, McpServer, Tool, tool};

/// Secret ids a tool refers to.
pub fn tool_secrets(tool: &Tool) -> Vec<&str> {
    match &tool.config {
        Some(tool::Config::RagCustom(c)) => {
            let db = c.database.as_ref().map(|d| d.token_id.as_str());
            let embedding = c.embedding.as_ref().map(|e| e.token_id.as_str());
            db.into_iter().chain(embedding).filter(|id| !id.is_empty()).collect()
        }
        Some(tool::Config::RagEmporix(c)) => {
            c.embedding.as_ref().map(|e| e.token_id.as_str()).into_iter().filter(|id| !id.is_empty()).collect()
        }
        _ => Vec::new(),
    }
}

/// Secret ids an agent refers to.
pub fn agent_secrets(agent: &Agent) -> Vec<&str> {
    let Some(llm) = &agent.llm else { return Vec::new() };
    let header = llm.self_hosted.as_ref().map(|s| s.authorization_header_token_id.as_str());
    [llm.token_id.as_str()].into_iter().chain(header).filter(|id| !id.is_empty()).collect()
}

/// Every resource `agent` refers to: the one visitor of an agent's references.
pub fn agent_refs(agent: &Agent) -> Vec<(ResourceKind, &str)> {
    let agents = sub_agent_ids(agent).into_iter().map(|id| (ResourceKind::Agent, id));
    let tools = agent.tools.iter().map(|t| (ResourceKind::Tool, t.tool_id.as_str()));
    let servers = agent.mcp_servers.iter().map(|m| (ResourceKind::McpServer, m.mcp_server_id.as_str()));
    let kbs = agent.knowledge_bases.iter().map(|k| (ResourceKind::KnowledgeBase, k.knowledge_base_id.as_str()));
    let secrets = agent_secrets(agent).into_iter().map(|id| (ResourceKind::Secret, id));
    agents.chain(tools).chain(servers).chain(kbs).chain(secrets).filter(|(_, id)| !id.is_empty()).collect()
}

/// Whether `agent` refers to the resource `kind`/`id`.
pub fn agent_uses(agent: &Agent, kind: ResourceKind, id: &str) -> bool {
    agent_refs(agent).contains(&(kind, id))
}

/// Every resource a stored document of `kind` refers to, deduplicated, for the store's
/// references table.
pub fn of_document(kind: ResourceKind, body: &str) -> Result<Vec<(ResourceKind, String)>, Error> {
    let decode_error = |e: String| Error::internal("decode stored document for references", e);
    let refs: BTreeSet<(ResourceKind, String)> = match kind {
        ResourceKind::Agent => {
            let agent: Agent = json::from_json(body).map_err(decode_error)?;
            agent_refs(&agent).into_iter().map(|(k, id)| (k, id.to_owned())).collect()
        }
        ResourceKind::Tool => {
            let tool: Tool = json::from_json(body).map_err(decode_error)?;
            tool_secrets(&tool).into_iter().map(|id| (ResourceKind::Secret, id.to_owned())).collect()
        }
        ResourceKind::McpServer => {
            let server: McpServer = json::from_json(body).map_err(decode_error)?;
            [&server.authorization_header_token_id]
                .into_iter()
                .filter(|id| !id.is_empty())
                .map(|id| (ResourceKind::Secret, id.clone()))
                .collect()
        }
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
        ResourceKind::Tool => agent.tools.retain(|t| t.tool_id != id),
        ResourceKind::McpServer => agent.mcp_servers.retain(|m| m.mcp_server_id != id),
        ResourceKind::KnowledgeBase => agent.knowledge_bases.retain(|k| k.knowledge_base_id != id),
        ResourceKind::Secret => {
            if let Some(llm) = &mut agent.llm {
                clear_if(&mut llm.token_id, id);
                if let Some(sh) = &mut llm.self_hosted {
                    clear_if(&mut sh.authorization_header_token_id, id);
                }
            }
        }
        _ => {}
    }
    agent.status = AgentStatus::Inactive as i32;
}

/// Removes a tool's references to secret `id` and disables the tool.
pub fn tool_let_go(tool: &mut Tool, id: &str) {
    match &mut tool.config {
        Some(tool::Config::RagCustom(c)) => {
            if let Some(db) = &mut c.database {
                clear_if(&mut db.token_id, id);
            }
            if let Some(e) = &mut c.embedding {
                clear_if(&mut e.token_id, id);
            }
        }
        Some(tool::Config::RagEmporix(c)) => {
            if let Some(e) = &mut c.embedding {
                clear_if(&mut e.token_id, id);
            }
        }
        _ => {}
    }
    tool.enabled = false;
}

/// Removes an MCP server's reference to secret `id` and disables the server.
pub fn mcp_server_let_go(server: &mut McpServer, id: &str) {
    clear_if(&mut server.authorization_header_token_id, id);
    server.enabled = false;
}

fn clear_if(slot: &mut String, id: &str) {
    if slot == id {
        slot.clear();
    }
}
