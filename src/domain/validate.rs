//! Content rules per resource. Each returns every violation at once, with paths relative to the
//! resource; the size limits are those of [`super::limits`], documented in the .proto comments.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use super::names::check_id;
use crate::error::FieldViolation;
use crate::proto::{Agent, Document, KnowledgeBase, McpServer, Secret, Tool, tool};

use super::limits::*;
pub use super::limits::{MAX_DESCRIPTION_CHARS, MAX_LABEL_CHARS};

static LANGUAGE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$").unwrap());

/// Collects violations while walking a resource.
#[derive(Default)]
struct Rules(Vec<FieldViolation>);

impl Rules {
    fn fail(&mut self, field: impl Into<String>, why: impl Into<String>) {
        self.0.push(FieldViolation::new(field, why));
    }

    fn required(&mut self, field: &str, value: &str) {
        if value.trim().is_empty() {
            self.fail(field, "is required");
        }
    }

    fn max_chars(&mut self, field: &str, value: &str, max: usize) {
        if value.chars().count() > max {
            self.fail(field, format!("must be at most {max} characters"));
        }
    }

    fn label(&mut self, field: &str, value: &str) {
        self.required(field, value);
        self.max_chars(field, value, MAX_LABEL_CHARS);
    }

    /// A reference to another resource of the same tenant; empty allowed unless `required`.
    fn reference(&mut self, field: &str, id: &str, required: bool) {
        if id.is_empty() {
            if required {
                self.fail(field, "is required");
            }
        } else if let Err(v) = check_id(id, field) {
            self.0.push(v);
        }
    }

    fn max_bytes(&mut self, field: &str, len: usize, max: usize) -> bool {
        if len > max {
            self.fail(field, format!("must be at most {max} bytes, is {len}"));
        }
        len <= max
    }

    fn max_items(&mut self, field: &str, len: usize, max: usize) {
        if len > max {
            self.fail(field, format!("must hold at most {max} items, holds {len}"));
        }
    }

    /// A list of short texts: at most `max` items of at most `chars` characters each.
    fn texts(&mut self, field: &str, items: &[String], max: usize, chars: usize) {
        self.max_items(field, items.len(), max);
        for (i, item) in items.iter().enumerate().take(max) {
            self.max_chars(&format!("{field}[{i}]"), item, chars);
        }
    }

    fn map(&mut self, field: &str, map: &HashMap<String, String>) {
        if map.len() > MAX_MAP_ENTRIES {
            self.fail(field, format!("must have at most {MAX_MAP_ENTRIES} entries, has {}", map.len()));
        }
    }

    fn json(&mut self, field: &str, text: &str) {
        if self.max_bytes(field, text.len(), MAX_JSON_BYTES)
            && !text.is_empty()
            && serde_json::from_str::<serde_json::Value>(text).is_err()
        {
            self.fail(field, "must be valid JSON text");
        }
    }

    fn json_object(&mut self, field: &str, text: &str) {
        if self.max_bytes(field, text.len(), MAX_JSON_BYTES)
            && !text.is_empty()
            && !matches!(serde_json::from_str(text), Ok(serde_json::Value::Object(_)))
        {
            self.fail(field, "must be a JSON object text");
        }
    }

    /// The whole resource, encoded: bounds every field without a limit of its own.
    fn size(&mut self, message: &impl prost::Message) {
        let len = message.encoded_len();
        if len > MAX_RESOURCE_BYTES {
            self.fail("", format!("must be at most {MAX_RESOURCE_BYTES} bytes encoded, is {len}"));
        }
    }

    fn localized(&mut self, field: &str, map: &HashMap<String, String>, max: usize) {
        if map.len() > MAX_LANGUAGES {
            self.fail(field, format!("must have at most {MAX_LANGUAGES} languages, has {}", map.len()));
            return;
        }
        let mut keys: Vec<&String> = map.keys().collect();
        keys.sort();
        for key in keys {
            if !LANGUAGE.is_match(key) {
                self.fail(format!("{field}[{key:?}]"), "is not a language tag such as `en` or `de-CH`");
            }
            self.max_chars(&format!("{field}[{key:?}]"), &map[key], max);
        }
    }
}

/// The text of a localized map in the preferred language: `en`, else the first by tag.
pub fn preferred_text(map: &HashMap<String, String>) -> String {
    map.get("en").or_else(|| map.iter().min_by(|a, b| a.0.cmp(b.0)).map(|(_, v)| v)).cloned().unwrap_or_default()
}

pub fn agent(agent: &Agent) -> Vec<FieldViolation> {
    let mut r = Rules::default();
    if agent.display_name.values().all(|v| v.trim().is_empty()) {
        r.fail("display_name", "is required in at least one language");
    }
    r.localized("display_name", &agent.display_name, MAX_LABEL_CHARS);
    r.localized("description", &agent.description, MAX_DESCRIPTION_CHARS);
    if let Some(i) = &agent.instructions {
        r.max_chars("instructions.general", &i.general, MAX_PROMPT_CHARS);
        r.texts("instructions.role", &i.role, MAX_LIST_ITEMS, MAX_PROMPT_CHARS);
        r.texts("instructions.goal", &i.goal, MAX_LIST_ITEMS, MAX_PROMPT_CHARS);
    }
    r.max_chars("template_prompt", &agent.template_prompt, MAX_PROMPT_CHARS);
    r.max_chars("icon", &agent.icon, MAX_ICON_CHARS);
    r.texts("tags", &agent.tags, MAX_TAGS, MAX_ITEM_CHARS);
    r.texts("required_scopes", &agent.required_scopes, MAX_LIST_ITEMS, MAX_ITEM_CHARS);
    r.texts("prompts", &agent.prompts, MAX_LIST_ITEMS, MAX_PROMPT_CHARS);
    for (field, len) in [
        ("tools", agent.tools.len()),
        ("mcp_servers", agent.mcp_servers.len()),
        ("knowledge_bases", agent.knowledge_bases.len()),
        ("collaborations", agent.collaborations.len()),
    ] {
        r.max_items(field, len, MAX_ATTACHMENTS);
    }
    r.max_items("graph", agent.graph.len(), MAX_GRAPH_ITEMS);
    for (field, len) in [
        ("triggers", agent.triggers.len()),
        ("source_nodes", agent.source_nodes.len()),
        ("llm_settings", agent.llm_settings.len()),
    ] {
        r.max_items(field, len, MAX_LIST_ITEMS);
    }
    for (i, c) in agent.collaborations.iter().enumerate().take(MAX_ATTACHMENTS) {
        r.max_chars(&format!("collaborations[{i}].description"), &c.description, MAX_DESCRIPTION_CHARS);
    }
    for (i, t) in agent.triggers.iter().enumerate().take(MAX_LIST_ITEMS) {
        r.texts(&format!("triggers[{i}].events"), &t.events, MAX_LIST_ITEMS, MAX_ITEM_CHARS);
    }
    for (i, g) in agent.graph.iter().enumerate().take(MAX_GRAPH_ITEMS) {
        if let Some(settings) = &g.settings {
            r.max_chars(&format!("graph[{i}].settings.instructions"), &settings.instructions, MAX_PROMPT_CHARS);
            if let Some(mcp) = &settings.mcp {
                r.map(&format!("graph[{i}].settings.mcp.headers"), &mcp.headers);
                r.map(&format!("graph[{i}].settings.mcp.env_vars"), &mcp.env_vars);
            }
        }
    }
    if let Some(connectivity) = &agent.connectivity {
        r.map("connectivity.custom_headers", &connectivity.custom_headers);
    }
    if let Some(limit) = agent.max_recursion_limit
        && !(1..=50).contains(&limit)
    {
        r.fail("max_recursion_limit", "must be between 1 and 50");
    }
    if let Some(llm) = &agent.llm {
        if let Some(t) = llm.temperature
            && !(0.0..=2.0).contains(&t)
        {
            r.fail("llm.temperature", "must be between 0 and 2");
        }
        if llm.max_tokens.is_some_and(|m| m < 1) {
            r.fail("llm.max_tokens", "must be positive");
        }
        r.map("llm.extra_headers", &llm.extra_headers);
        r.reference("llm.token_id", &llm.token_id, false);
        if let Some(sh) = &llm.self_hosted {
            r.reference("llm.self_hosted.authorization_header_token_id", &sh.authorization_header_token_id, false);
        }
    }
    for (i, t) in agent.tools.iter().enumerate() {
        r.reference(&format!("tools[{i}].tool_id"), &t.tool_id, true);
    }
    for (i, m) in agent.mcp_servers.iter().enumerate() {
        let needs_server = matches!(m.r#type.as_str(), "custom" | "dynamic");
        r.reference(&format!("mcp_servers[{i}].mcp_server_id"), &m.mcp_server_id, needs_server);
    }
    for (i, c) in agent.collaborations.iter().enumerate() {
        r.reference(&format!("collaborations[{i}].agent_id"), &c.agent_id, true);
    }
    for (i, k) in agent.knowledge_bases.iter().enumerate() {
        r.reference(&format!("knowledge_bases[{i}].knowledge_base_id"), &k.knowledge_base_id, true);
    }
    for (i, t) in agent.triggers.iter().enumerate() {
        r.json(&format!("triggers[{i}].filter_json"), &t.filter_json);
    }
    for (i, s) in agent.source_nodes.iter().enumerate() {
        r.json(&format!("source_nodes[{i}].metadata_json"), &s.metadata_json);
    }
    for (i, g) in agent.graph.iter().enumerate() {
        if g.r#type == "agent" {
            r.reference(&format!("graph[{i}].item_id"), &g.item_id, true);
        }
        if let Some(s) = &g.settings {
            r.json(&format!("graph[{i}].settings.input_schema_json"), &s.input_schema_json);
            r.json(&format!("graph[{i}].settings.output_schema_json"), &s.output_schema_json);
        }
    }
    r.json("output_schema_json", &agent.output_schema_json);
    r.json("oas_json", &agent.oas_json);
    r.json("agno_settings_json", &agent.agno_settings_json);
    r.json("task_level_strategies_json", &agent.task_level_strategies_json);
    r.json("orchestration_nodes_json", &agent.orchestration_nodes_json);
    r.json_object("extra_json", &agent.extra_json);
    r.size(agent);
    r.0
}

/// The `type` a tool's config case implies.
pub fn tool_type_of(config: &tool::Config) -> &'static str {
    match config {
        tool::Config::Slack(_) => "slack",
        tool::Config::Teams(_) => "teams",
        tool::Config::RagCustom(_) => "rag_custom",
        tool::Config::RagEmporix(_) => "rag_emporix",
        tool::Config::Connector(_) => "connector",
        tool::Config::CustomFunction(_) => "custom_function",
    }
}

pub fn tool(tool: &Tool) -> Vec<FieldViolation> {
    let mut r = Rules::default();
    r.label("display_name", &tool.display_name);
    r.max_chars("description", &tool.description, MAX_DESCRIPTION_CHARS);
    match &tool.config {
        Some(config) if !tool.r#type.is_empty() && tool.r#type != tool_type_of(config) => {
            r.fail("type", format!("`{}` does not match the `{}` config", tool.r#type, tool_type_of(config)))
        }
        None if tool.r#type.is_empty() => r.fail("type", "is required when no config is given"),
        _ => {}
    }
    match &tool.config {
        Some(tool::Config::RagCustom(c)) => {
            if let Some(db) = &c.database {
                r.reference("rag_custom.database.token_id", &db.token_id, false);
            }
            if let Some(e) = &c.embedding {
                r.reference("rag_custom.embedding.token_id", &e.token_id, false);
            }
        }
        Some(tool::Config::RagEmporix(c)) => {
            if let Some(e) = &c.embedding {
                r.reference("rag_emporix.embedding.token_id", &e.token_id, false);
            }
        }
        Some(tool::Config::Connector(c)) => {
            r.json("connector.operations_with_details_json", &c.operations_with_details_json);
            r.json("connector.operations_map_json", &c.operations_map_json);
        }
        Some(tool::Config::CustomFunction(c)) => {
            r.json("custom_function.input_schema_json", &c.input_schema_json);
            r.json("custom_function.limits_json", &c.limits_json);
        }
        _ => {}
    }
    r.json_object("extra_json", &tool.extra_json);
    r.size(tool);
    r.0
}

pub fn mcp_server(server: &McpServer) -> Vec<FieldViolation> {
    let mut r = Rules::default();
    r.label("display_name", &server.display_name);
    r.reference("authorization_header_token_id", &server.authorization_header_token_id, false);
    r.max_items("tools", server.tools.len(), MAX_LIST_ITEMS);
    r.texts("allowed_tools", &server.allowed_tools, MAX_LIST_ITEMS, MAX_ITEM_CHARS);
    r.texts("additional_scopes", &server.additional_scopes, MAX_LIST_ITEMS, MAX_ITEM_CHARS);
    r.map("headers", &server.headers);
    r.map("env_vars", &server.env_vars);
    for (i, t) in server.tools.iter().enumerate() {
        if t.name.is_empty() || t.name.chars().any(char::is_whitespace) {
            r.fail(format!("tools[{i}].name"), "is required and must not contain whitespace");
        }
    }
    r.json_object("extra_json", &server.extra_json);
    r.size(server);
    r.0
}

pub fn knowledge_base(kb: &KnowledgeBase) -> Vec<FieldViolation> {
    let mut r = Rules::default();
    r.label("display_name", &kb.display_name);
    r.max_chars("description", &kb.description, MAX_DESCRIPTION_CHARS);
    r.reference("agent_id", &kb.agent_id, false);
    r.size(kb);
    r.0
}

pub fn document(doc: &Document) -> Vec<FieldViolation> {
    let mut r = Rules::default();
    if doc.display_name.is_empty() && doc.url.is_empty() {
        r.fail("display_name", "a document needs a display_name or a url");
    }
    r.max_chars("display_name", &doc.display_name, MAX_LABEL_CHARS);
    r.max_chars("content_type", &doc.content_type, MAX_CONTENT_TYPE_CHARS);
    if doc.content_type.chars().any(|c| c.is_control()) {
        r.fail("content_type", "must not contain control characters");
    }
    r.0
}

pub fn secret(secret: &Secret) -> Vec<FieldViolation> {
    let mut r = Rules::default();
    r.label("display_name", &secret.display_name);
    if secret.value.is_empty() {
        r.fail("value", "is required");
    } else if secret.value.len() > MAX_SECRET_BYTES {
        r.fail("value", format!("must be at most {MAX_SECRET_BYTES} bytes"));
    }
    r.size(secret);
    r.0
}
