//! The Emporix rules of agents, tools and MCP servers, on top of the canonical ones: what the
//! documented request bodies require and allow. One check for a REST PUT or PATCH and for every
//! entity of an imported bundle, so both refuse the same things; paths use the Emporix JSON
//! names (`userPrompt`, `llmConfig.temperature`), relative to the entity.

use crate::error::FieldViolation;
use crate::proto::{Agent, McpServer, Tool, tool};

/// The documented `llmConfig.temperature` values are 0.1, 0.2, ..., 1.0.
pub const TEMPERATURE: std::ops::RangeInclusive<f64> = 0.1..=1.0;
/// The documented `maxRecursionLimit` range.
pub const RECURSION_LIMIT: std::ops::RangeInclusive<i32> = 1..=50;
/// Tool `type`s with an Emporix `config` shape.
pub const TOOL_TYPES: [&str; 4] = ["slack", "teams", "rag_custom", "rag_emporix"];
/// MCP server `type`s (empty means `custom`).
pub const MCP_SERVER_TYPES: [&str; 2] = ["custom", "dynamic"];
/// Agent MCP attachment `type`s.
pub const ATTACHMENT_TYPES: [&str; 3] = ["predefined", "custom", "dynamic"];
/// Trigger `type`s.
pub const TRIGGER_TYPES: [&str; 4] = ["endpoint", "slack", "teams", "commerce_events"];

#[derive(Default)]
struct Rules(Vec<FieldViolation>);

impl Rules {
    fn fail(&mut self, field: impl Into<String>, why: impl Into<String>) {
        self.0.push(FieldViolation::new(field, why));
    }

    fn required(&mut self, field: impl Into<String>, value: &str) {
        if value.trim().is_empty() {
            self.fail(field, "is required");
        }
    }

    fn one_of(&mut self, field: impl Into<String>, value: &str, allowed: &[&str]) {
        if !allowed.contains(&value) {
            self.fail(field, format!("must be one of {}, not `{value}`", allowed.join(", ")));
        }
    }
}

pub fn agent(agent: &Agent) -> Vec<FieldViolation> {
    let mut r = Rules::default();
    if agent.display_name.values().all(|text| text.trim().is_empty()) {
        r.fail("name", "is required in at least one language");
    }
    r.required("userPrompt", agent.instructions.as_ref().map(|i| i.general.as_str()).unwrap_or_default());
    match &agent.llm {
        None => r.fail("llmConfig", "is required"),
        Some(llm) => {
            r.required("llmConfig.model", &llm.model);
            r.required("llmConfig.provider", &llm.provider);
            if let Some(t) = llm.temperature.filter(|t| !TEMPERATURE.contains(t)) {
                r.fail("llmConfig.temperature", format!("must be between 0.1 and 1.0, not {t}"));
            }
            if llm.max_tokens.is_some_and(|m| m < 1) {
                r.fail("llmConfig.maxTokens", "must be positive");
            }
        }
    }
    if let Some(limit) = agent.max_recursion_limit.filter(|l| !RECURSION_LIMIT.contains(l)) {
        r.fail("maxRecursionLimit", format!("must be between 1 and 50, not {limit}"));
    }
    for (i, trigger) in agent.triggers.iter().enumerate() {
        r.one_of(format!("triggers[{i}].type"), &trigger.r#type, &TRIGGER_TYPES);
    }
    for (i, attachment) in agent.mcp_servers.iter().enumerate() {
        r.one_of(format!("mcpServers[{i}].type"), &attachment.r#type, &ATTACHMENT_TYPES);
        match attachment.r#type.as_str() {
            "predefined" => r.required(format!("mcpServers[{i}].domain"), &attachment.domain),
            "custom" | "dynamic" => r.required(format!("mcpServers[{i}].mcpServer.id"), &attachment.mcp_server_id),
            _ => {}
        }
    }
    for (i, tool) in agent.tools.iter().enumerate() {
        r.required(format!("nativeTools[{i}].id"), &tool.tool_id);
    }
    for (i, collaboration) in agent.collaborations.iter().enumerate() {
        r.required(format!("agentCollaborations[{i}].agentId"), &collaboration.agent_id);
    }
    r.0
}

pub fn tool(tool: &Tool) -> Vec<FieldViolation> {
    let mut r = Rules::default();
    r.required("name", &tool.display_name);
    match &tool.config {
        // agentport's own tool kinds (xpander connectors and functions) travel in the extension.
        Some(tool::Config::Connector(_) | tool::Config::CustomFunction(_)) => {}
        config => {
            // Stored tools take their type from their config when none is given.
            let implied = config.as_ref().map(crate::domain::validate::tool_type_of).unwrap_or_default();
            let tool_type = if tool.r#type.is_empty() { implied } else { tool.r#type.as_str() };
            r.one_of("type", tool_type, &TOOL_TYPES);
            match config {
                Some(tool::Config::Slack(c)) => r.required("config.teamId", &c.team_id),
                Some(tool::Config::Teams(c)) => r.required("config.teamId", &c.team_id),
                Some(tool::Config::RagCustom(c)) => {
                    r.required("config.prompt", &c.prompt);
                    if c.database.is_none() {
                        r.fail("config.databaseConfig", "is required");
                    }
                    if c.embedding.is_none() {
                        r.fail("config.embeddingConfig", "is required");
                    }
                }
                Some(tool::Config::RagEmporix(_)) => {}
                _ if TOOL_TYPES.contains(&tool_type) => r.fail("config", "is required"),
                _ => {}
            }
        }
    }
    r.0
}

pub fn mcp_server(server: &McpServer) -> Vec<FieldViolation> {
    let mut r = Rules::default();
    r.required("name", &server.display_name);
    let server_type = if server.r#type.is_empty() { "custom" } else { server.r#type.as_str() };
    r.one_of("type", server_type, &MCP_SERVER_TYPES);
    if server_type == "custom" {
        r.required("config.url", &server.url);
    }
    if !server.transport.is_empty() {
        r.one_of("transport", &server.transport, &["streamable_http", "sse"]);
    }
    for (i, t) in server.tools.iter().enumerate() {
        r.required(format!("tools[{i}].prompt"), &t.prompt);
        r.required(format!("tools[{i}].config.invocation.functionId"), &t.function_id);
    }
    r.0
}
