//! The enumerations the export schema documents. Canonical fields keep free text; only these
//! values are written under their xpander keys, anything else travels in the extension.

pub const AGENT_TYPES: &[&str] = &["manager", "regular", "a2a", "curl", "orchestration"];
pub const ACCESS_SCOPES: &[&str] = &["personal", "organizational"];
pub const MODEL_PROVIDERS: &[&str] = &[
    "openai",
    "nim",
    "amazon_bedrock",
    "azure_ai_foundary",
    "huggingFace",
    "friendlyAI",
    "anthropic",
    "gemini",
    "fireworks",
    "google_ai_studio",
    "helicone",
    "bytedance",
    "tzafon_lightcone",
    "open_router",
    "nebius",
    "cloudflare_ai_gw",
];
pub const SOURCE_NODE_TYPES: &[&str] =
    &["workbench", "sdk", "task", "assistant", "webhook", "mcp", "a2a", "telegram", "slack"];
pub const GRAPH_ITEM_TYPES: &[&str] = &[
    "source_node",
    "agent",
    "workflow",
    "tool",
    "human_in_the_loop",
    "xpsleep-agent-delay",
    "custom_agent",
    "storage",
    "local_db",
    "coding_agent",
    "mcp",
    "skills",
];
pub const GRAPH_ITEM_SUB_TYPES: &[&str] =
    &["sdk", "task", "assistant", "webhook", "operation", "custom_function", "local_tool"];
pub const MCP_TYPES: &[&str] = &["local", "remote"];
pub const MCP_TRANSPORTS: &[&str] = &["stdio", "sse", "streamable-http"];
pub const MCP_AUTH_TYPES: &[&str] = &["api_key", "oauth2", "custom_headers", "none"];
pub const HITL_TYPES: &[&str] = &["slack"];
pub const CODING_AGENT_TYPES: &[&str] = &["codex"];
pub const CUSTOM_FUNCTION_STATUSES: &[&str] = &["draft", "analysing", "ready", "error"];
pub const PARAM_LOCATIONS: &[&str] = &["path", "query", "header", "cookie"];
// Reference §2.1 and §5.3 only (not in the export schema), written under the same rule.
pub const DELEGATION_TYPES: &[&str] = &["router", "sequence"];
pub const MEMORY_STRATEGIES: &[&str] = &["full", "summarization", "original-input"];
pub const LLM_SETTINGS_TYPES: &[&str] = &["before", "after"];

/// The value when the enumeration documents it.
pub fn documented<'a>(value: &'a str, allowed: &[&str]) -> Option<&'a str> {
    allowed.contains(&value).then_some(value)
}

/// The value under its xpander key when the schema documents it, else not written.
pub fn written(value: &str, allowed: &[&str]) -> crate::domain::wire::Field<String> {
    documented(value, allowed)
        .map_or(crate::domain::wire::Field::Absent, |v| crate::domain::wire::Field::Given(v.to_owned()))
}
