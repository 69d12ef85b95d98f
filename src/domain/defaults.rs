//! Defaults the contracts document, applied before a resource is stored.

use super::validate::tool_type_of;
use crate::proto::{Agent, AgentStatus, Document, KnowledgeBase, McpServer, Secret, Tool};

pub fn agent(agent: &mut Agent) {
    if agent.status == AgentStatus::Unspecified as i32 {
        agent.status = AgentStatus::Inactive as i32;
    }
}

pub fn tool(tool: &mut Tool) {
    if let (true, Some(config)) = (tool.r#type.is_empty(), &tool.config) {
        tool.r#type = tool_type_of(config).to_owned();
    }
}

pub fn mcp_server(server: &mut McpServer) {
    if server.r#type.is_empty() {
        server.r#type = "custom".to_owned();
    }
}

pub fn knowledge_base(kb: &mut KnowledgeBase) {
    if kb.r#type.is_empty() {
        kb.r#type = "managed".to_owned();
    }
}

pub fn document(_: &mut Document) {}

pub fn secret(_: &mut Secret) {}
