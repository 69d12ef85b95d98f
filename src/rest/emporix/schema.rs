//! OpenAPI schemas of the agent, tool, MCP server and token bodies. The handlers read and write
//! these bodies through the bundle codec (`domain::bundle::emporix_*`), which maps them field
//! for field onto the canonical resources; the types here only describe the wire shapes, so
//! most are never built (hence the `dead_code` allowance).
#![allow(dead_code)]

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::MetadataResponse;

/// Emporix `IdResponse`: the id of a resource a PUT created.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IdResponse {
    pub id: String,
}

/// Emporix `MetadataRequest`: `version` enables optimistic locking on update (stale: 409).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MetadataRequest {
    /// The version the update is based on.
    pub version: i64,
}

/// A localized text: language tag -> text. With `Accept-Language` naming languages (not
/// `*`), responses carry the text of the first one available as a plain string; with
/// `Content-Language` naming one, requests may send a plain string for that language.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"en": "Complaint agent", "de": "Reklamationsagent"}))]
pub struct LocalizedText(pub BTreeMap<String, String>);

/// A reference to another resource of the tenant.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Reference {
    pub id: String,
}

/// Emporix `AgentRequest` (PUT body).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentRequest {
    // The sizes below are those of `domain::limits` (checked by a test).
    pub name: LocalizedText,
    #[schema(nullable = false)]
    pub description: Option<LocalizedText>,
    /// Default false.
    #[schema(nullable = false)]
    pub enabled: Option<bool>,
    #[schema(max_length = 100000)]
    pub user_prompt: String,
    /// JSON Schema of the answer, as a JSON string.
    #[schema(nullable = false, max_length = 262144)]
    pub output_format: Option<String>,
    /// Who may execute the agent: `anonymous`, `customer`, `employee`, `integration`.
    #[schema(nullable = false, max_items = 200)]
    pub required_scopes: Option<Vec<String>>,
    /// Font-awesome icon class.
    #[schema(nullable = false, max_length = 256)]
    pub icon: Option<String>,
    #[schema(nullable = false, max_items = 100)]
    pub tags: Option<Vec<String>>,
    #[schema(max_items = 200)]
    pub triggers: Vec<AgentTrigger>,
    pub llm_config: LlmConfig,
    #[schema(max_items = 100)]
    pub mcp_servers: Vec<AgentMcpServer>,
    #[schema(nullable = false, max_items = 100)]
    pub native_tools: Option<Vec<AgentNativeTool>>,
    #[schema(nullable = false, max_items = 100)]
    pub agent_collaborations: Option<Vec<AgentCollaboration>>,
    /// Maximum reasoning steps, 1..50 (default 20).
    #[schema(minimum = 1, maximum = 50)]
    #[schema(nullable = false)]
    pub max_recursion_limit: Option<i32>,
    /// Also accepted as `enabledMemory`.
    #[schema(nullable = false)]
    pub enable_memory: Option<bool>,
    #[schema(nullable = false)]
    pub metadata: Option<MetadataRequest>,
}

/// Emporix `AgentResponse`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentResponse {
    pub id: String,
    #[schema(nullable = false)]
    pub name: Option<LocalizedText>,
    #[schema(nullable = false)]
    pub description: Option<LocalizedText>,
    /// `generic`, `complaint`, `anti_fraud`, ...
    #[serde(rename = "type")]
    #[schema(nullable = false)]
    pub agent_type: Option<String>,
    #[schema(nullable = false)]
    pub enabled: Option<bool>,
    #[schema(nullable = false)]
    pub user_prompt: Option<String>,
    /// Immutable prompt inherited from a template.
    #[schema(nullable = false)]
    pub template_prompt: Option<String>,
    #[schema(nullable = false)]
    pub output_format: Option<String>,
    #[schema(nullable = false)]
    pub required_scopes: Option<Vec<String>>,
    #[schema(nullable = false)]
    pub icon: Option<String>,
    #[schema(nullable = false)]
    pub tags: Option<Vec<String>>,
    #[schema(nullable = false)]
    pub triggers: Option<Vec<AgentTrigger>>,
    #[schema(nullable = false)]
    pub llm_config: Option<LlmConfig>,
    #[schema(nullable = false)]
    pub mcp_servers: Option<Vec<AgentMcpServer>>,
    #[schema(nullable = false)]
    pub native_tools: Option<Vec<AgentNativeTool>>,
    #[schema(nullable = false)]
    pub agent_collaborations: Option<Vec<AgentCollaboration>>,
    #[schema(nullable = false)]
    pub max_recursion_limit: Option<i32>,
    #[schema(nullable = false)]
    pub enable_memory: Option<bool>,
    #[schema(nullable = false)]
    pub hand_off: Option<bool>,
    #[schema(nullable = false)]
    pub metadata: Option<MetadataResponse>,
}

/// How an agent is started: `endpoint`, `slack`, `teams` or `commerce_events`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AgentTrigger {
    #[serde(rename = "type")]
    pub trigger_type: String,
    #[schema(nullable = false)]
    pub config: Option<TriggerConfig>,
}

/// `commerce_events` trigger configuration.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TriggerConfig {
    pub events: Vec<String>,
    /// Event filter (`{left, op, right}` or `{op: $and|$or, conditions}`).
    #[schema(nullable = false)]
    pub filter: Option<Value>,
}

/// The agent's language model. `model` and `provider` are required on PUT; an agent made through
/// another API may lack them.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LlmConfig {
    #[schema(nullable = false)]
    pub model: Option<String>,
    #[schema(nullable = false)]
    pub temperature: Option<f64>,
    #[schema(nullable = false)]
    pub max_tokens: Option<i32>,
    /// `emporix_openai`, `openai`, `google`, `anthropic`, `self_hosted_ollama`, `self_hosted_vllm`.
    #[schema(nullable = false)]
    pub provider: Option<String>,
    /// The token holding the provider key.
    #[schema(nullable = false)]
    pub token: Option<Reference>,
    #[schema(nullable = false)]
    pub self_hosted_params: Option<SelfHostedParams>,
    /// `OPENAI`, `GOOGLE`, `ANTHROPIC`.
    #[schema(nullable = false)]
    pub base_provider: Option<String>,
    #[schema(nullable = false)]
    pub additional_params: Option<Value>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SelfHostedParams {
    pub url: String,
    #[schema(nullable = false)]
    pub authorization_header_name: Option<String>,
    #[schema(nullable = false)]
    pub authorization_header_token: Option<Reference>,
    #[schema(nullable = false)]
    pub oauth: Option<Reference>,
}

/// An MCP server an agent may call: `predefined` (by `domain`), `custom` or `dynamic` (by
/// `mcpServer`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentMcpServer {
    #[serde(rename = "type")]
    pub server_type: String,
    #[schema(nullable = false)]
    pub domain: Option<String>,
    #[schema(nullable = false)]
    pub mcp_server: Option<Reference>,
    #[schema(nullable = false)]
    pub tools: Option<Vec<String>>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentNativeTool {
    pub id: String,
    #[schema(nullable = false)]
    pub allowed_operations: Option<Vec<String>>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentCollaboration {
    pub agent_id: String,
    pub description: String,
}

/// Emporix tool request (PUT body).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ToolRequest {
    pub name: String,
    /// `slack`, `teams`, `rag_custom` or `rag_emporix`.
    #[serde(rename = "type")]
    pub tool_type: String,
    /// Default false.
    #[schema(nullable = false)]
    pub enabled: Option<bool>,
    /// The configuration of the type (`teamId`, `botToken` (write-only), `prompt`,
    /// `databaseConfig`, `embeddingConfig`, `indexedFields`, ...).
    pub config: Value,
    #[schema(nullable = false)]
    pub metadata: Option<MetadataRequest>,
}

/// Emporix tool response; credentials are never returned.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ToolResponse {
    pub id: String,
    #[schema(nullable = false)]
    pub name: Option<String>,
    #[serde(rename = "type")]
    #[schema(nullable = false)]
    pub tool_type: Option<String>,
    #[schema(nullable = false)]
    pub enabled: Option<bool>,
    #[schema(nullable = false)]
    pub config: Option<Value>,
    #[schema(nullable = false)]
    pub metadata: Option<MetadataResponse>,
}

/// Emporix MCP server request (PUT body).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct McpServerRequest {
    pub name: String,
    /// `custom` (default) or `dynamic`.
    #[serde(rename = "type")]
    #[schema(nullable = false)]
    pub server_type: Option<String>,
    /// Default false.
    #[schema(nullable = false)]
    pub enabled: Option<bool>,
    /// `streamable_http` or `sse`.
    #[schema(nullable = false)]
    pub transport: Option<String>,
    #[schema(nullable = false)]
    pub config: Option<McpServerConfig>,
    /// Tools of a dynamic server.
    #[schema(nullable = false)]
    pub tools: Option<Vec<DynamicMcpTool>>,
    #[schema(nullable = false)]
    pub metadata: Option<MetadataRequest>,
}

/// Emporix MCP server response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct McpServerResponse {
    pub id: String,
    #[schema(nullable = false)]
    pub name: Option<String>,
    #[serde(rename = "type")]
    #[schema(nullable = false)]
    pub server_type: Option<String>,
    #[schema(nullable = false)]
    pub enabled: Option<bool>,
    #[schema(nullable = false)]
    pub transport: Option<String>,
    #[schema(nullable = false)]
    pub config: Option<McpServerConfig>,
    #[schema(nullable = false)]
    pub tools: Option<Vec<DynamicMcpTool>>,
    #[schema(nullable = false)]
    pub metadata: Option<MetadataResponse>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct McpServerConfig {
    pub url: String,
    #[schema(nullable = false)]
    pub authorization_header_name: Option<String>,
    #[schema(nullable = false)]
    pub authorization_header_token: Option<Reference>,
}

/// A tool of a dynamic MCP server.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DynamicMcpTool {
    pub name: String,
    #[schema(nullable = false)]
    pub description: Option<String>,
    pub prompt: String,
    pub enabled: bool,
    /// `{requiredScopes, inputSchema, invocation: {functionId, method, argsLocation}}`.
    pub config: Value,
}

/// Emporix token request (PUT body). `value` is write-only and cannot change once created: a
/// PUT that creates the token needs it, a PUT that replaces one must leave it out (400 when
/// it carries one), so only `name` can change.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenRequest {
    pub name: String,
    #[schema(write_only)]
    pub value: String,
    #[schema(nullable = false)]
    pub metadata: Option<MetadataRequest>,
}

/// Emporix token response: never the value.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    pub id: String,
    #[schema(nullable = false)]
    pub name: Option<String>,
    #[schema(nullable = false)]
    pub metadata: Option<MetadataResponse>,
}

#[cfg(test)]
mod limit_tests {
    use utoipa::OpenApi;

    use crate::domain::limits;

    #[test]
    fn the_documented_sizes_are_the_enforced_ones() {
        let doc = serde_json::to_value(super::super::ApiDoc::openapi()).unwrap();
        let agent = &doc["components"]["schemas"]["AgentRequest"]["properties"];
        assert_eq!(agent["tags"]["maxItems"], limits::MAX_TAGS);
        assert_eq!(agent["nativeTools"]["maxItems"], limits::MAX_ATTACHMENTS);
        assert_eq!(agent["agentCollaborations"]["maxItems"], limits::MAX_ATTACHMENTS);
        assert_eq!(agent["mcpServers"]["maxItems"], limits::MAX_ATTACHMENTS);
        assert_eq!(agent["triggers"]["maxItems"], limits::MAX_LIST_ITEMS);
        assert_eq!(agent["requiredScopes"]["maxItems"], limits::MAX_LIST_ITEMS);
        assert_eq!(agent["icon"]["maxLength"], limits::MAX_ICON_CHARS);
        assert_eq!(agent["userPrompt"]["maxLength"], limits::MAX_PROMPT_CHARS);
        assert_eq!(agent["outputFormat"]["maxLength"], limits::MAX_JSON_BYTES);
    }
}
