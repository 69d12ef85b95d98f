//! The Emporix bodies of agents, tools and MCP servers (reference emporix.md §4, §6, §9), field
//! for field. One set of types serves the REST dialect (PUT and PATCH bodies, GET and list
//! responses) and the entities inside bundle data: bodies and bundles deserialize into them
//! (each key a [`Field`], so every problem is reported with its path), responses and bundles
//! serialize from them, and `/openapi.json` is generated from them.
//!
//! Fields are declared in the key order of Emporix's own export: serde writes struct fields in
//! declaration order, as Jackson does, which keeps bundle bytes identical. A key left
//! [`Field::Absent`] is not written; `Field::Null` is written as `null`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{AdditionalProperties, ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema};
use utoipa::{PartialSchema, ToSchema};

use crate::domain::wire::{Expect, Field, object_dto};
use crate::error::ViolationKind;

/// A list of strings.
pub type Strings = Field<Vec<Field<String>>>;
/// A list of objects.
pub type Items<T> = Field<Vec<Field<T>>>;

/// A localized text: language tag -> text. With `Accept-Language` naming languages (not `*`),
/// responses carry the text of the first one available as a plain string; with
/// `Content-Language` naming one, requests may send a plain string for that language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Texts {
    /// Languages in sorted order, so that output is deterministic.
    Map(BTreeMap<String, Field<String>>),
    Text(String),
}

impl Expect for Texts {
    const KIND: ViolationKind = ViolationKind::NotObject;

    fn expected() -> String {
        "must be an object of texts by language".to_owned()
    }

    fn accepts(value: &Value) -> bool {
        value.is_object() || value.is_string()
    }
}

impl PartialSchema for Texts {
    fn schema() -> RefOr<Schema> {
        let map = ObjectBuilder::new()
            .additional_properties(Some(AdditionalProperties::RefOr(String::schema())))
            .examples([serde_json::json!({"en": "Complaint agent", "de": "Reklamationsagent"})]);
        OneOfBuilder::new().item(map).item(String::schema()).into()
    }
}

impl ToSchema for Texts {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("LocalizedText")
    }
}

/// A commerce-event trigger's `events`: documented as a string, sent by Emporix's own UI as a
/// list; both are read, a list is written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Events {
    Many(Vec<Field<String>>),
    One(String),
}

impl Expect for Events {
    const KIND: ViolationKind = ViolationKind::NotArray;

    fn expected() -> String {
        "must be a list of event names".to_owned()
    }

    fn accepts(value: &Value) -> bool {
        value.is_array() || value.is_string()
    }
}

impl PartialSchema for Events {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new().item(ArrayBuilder::new().items(String::schema())).item(String::schema()).into()
    }
}

impl ToSchema for Events {}

/// A reference to another resource of the tenant. In a response with `expand` naming it, the
/// referenced resource as its own GET shows it (a token: `{id, name, metadata}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct Reference {
    #[schema(value_type = String)]
    pub id: Field<String>,
}

impl Reference {
    /// The reference to `id`, absent when there is none.
    pub fn to(id: &str) -> Field<Reference> {
        if id.is_empty() { Field::Absent } else { Field::Given(Reference { id: Field::Given(id.to_owned()) }) }
    }
}

/// Emporix `metadata`: `version` in a request makes an update conditional on it (stale: 409);
/// responses also say when the resource was created and last modified.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct Metadata {
    /// The version the update is based on (request); the current version (response).
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = i64, minimum = 1)]
    pub version: Field<i64>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String, format = DateTime, read_only)]
    pub created_at: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String, format = DateTime, read_only)]
    pub modified_at: Field<String>,
}

/// Emporix agent (`AgentRequest`, `AgentResponse`, and an entry of a bundle's `agents`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct Agent {
    // The sizes below are those of `domain::limits` (checked by a test).
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String, read_only)]
    pub id: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Texts)]
    pub name: Field<Texts>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Texts)]
    pub description: Field<Texts>,
    /// Who may execute the agent: `anonymous`, `customer`, `employee`, `integration`.
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Vec<String>, max_items = 200)]
    pub required_scopes: Strings,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String, max_length = 100000)]
    pub user_prompt: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Vec<Trigger>, max_items = 200)]
    pub triggers: Items<Trigger>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = LlmConfig)]
    pub llm_config: Field<LlmConfig>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Vec<AgentMcpServer>, max_items = 100)]
    pub mcp_servers: Items<AgentMcpServer>,
    /// The tools the agent uses; in a response with `expand=nativeTools`, each tool as its
    /// own GET shows it.
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Vec<AgentNativeTool>, max_items = 100)]
    pub native_tools: Items<AgentNativeTool>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Vec<AgentCollaboration>, max_items = 100)]
    pub agent_collaborations: Items<AgentCollaboration>,
    /// Maximum reasoning steps, 1..50 (default 20).
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = i32, minimum = 1, maximum = 50)]
    pub max_recursion_limit: Field<i32>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = bool)]
    pub enable_memory: Field<bool>,
    /// The documented spelling of `enableMemory`, accepted in requests; never written.
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = bool, write_only)]
    pub enabled_memory: Field<bool>,
    /// Font-awesome icon class.
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String, max_length = 256)]
    pub icon: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Vec<String>, max_items = 100)]
    pub tags: Strings,
    /// `generic`, `complaint`, `anti_fraud`, ... (server-assigned).
    #[serde(rename = "type", skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String, read_only)]
    pub kind: Field<String>,
    /// Immutable prompt inherited from a template.
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String, read_only)]
    pub template_prompt: Field<String>,
    /// JSON Schema of the answer, as a JSON string.
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String, max_length = 262144)]
    pub output_format: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = bool, read_only)]
    pub hand_off: Field<bool>,
    /// Default false. Not part of bundle data (an import decides it).
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = bool)]
    pub enabled: Field<bool>,
    /// Bundle data only: canonical fields without an Emporix key, as proto3 JSON.
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(ignore)]
    pub agentport: Field<Value>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Metadata)]
    pub metadata: Field<Metadata>,
}

/// How an agent is started: `endpoint`, `slack`, `teams` or `commerce_events`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
#[schema(as = AgentTrigger)]
pub struct Trigger {
    #[serde(rename = "type", skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub kind: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Option<TriggerConfig>)]
    pub config: Field<TriggerConfig>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(ignore)]
    pub agentport: Field<Value>,
}

/// `commerce_events` trigger configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct TriggerConfig {
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Events)]
    pub events: Field<Events>,
    /// Event filter (`{left, op, right}` or `{op: $and|$or, conditions}`).
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Object)]
    pub filter: Field<Value>,
}

/// The agent's language model. `model` and `provider` are required on PUT; an agent made
/// through another API may lack them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct LlmConfig {
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub model: Field<String>,
    /// 0.1 to 1.0.
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = f64, minimum = 0.1, maximum = 1.0)]
    pub temperature: Field<f64>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = i32, minimum = 1)]
    pub max_tokens: Field<i32>,
    /// `emporix_openai`, `openai`, `google`, `anthropic`, `self_hosted_ollama`, `self_hosted_vllm`.
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub provider: Field<String>,
    /// The token holding the provider key.
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Reference)]
    pub token: Field<Reference>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = SelfHostedParams)]
    pub self_hosted_params: Field<SelfHostedParams>,
    /// `OPENAI`, `GOOGLE`, `ANTHROPIC`.
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub base_provider: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Object)]
    pub additional_params: Field<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct SelfHostedParams {
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub url: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub authorization_header_name: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Reference)]
    pub authorization_header_token: Field<Reference>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Reference)]
    pub oauth: Field<Reference>,
}

/// An MCP server an agent may call: `predefined` (by `domain`), `custom` or `dynamic` (by
/// `mcpServer`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct AgentMcpServer {
    #[serde(rename = "type", skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub kind: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub domain: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Reference)]
    pub mcp_server: Field<Reference>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Vec<String>)]
    pub tools: Strings,
}

/// A tool the agent uses.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct AgentNativeTool {
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub id: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Vec<String>)]
    pub allowed_operations: Strings,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct AgentCollaboration {
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub agent_id: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub description: Field<String>,
}

/// Emporix native tool (tool request and response, and an entry of a bundle's `tools`);
/// credentials are never returned.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct Tool {
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String, read_only)]
    pub id: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub name: Field<String>,
    /// `slack`, `teams`, `rag_custom` or `rag_emporix`.
    #[serde(rename = "type", skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub kind: Field<String>,
    /// Default false.
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = bool)]
    pub enabled: Field<bool>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = ToolConfig)]
    pub config: Field<ToolConfig>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(ignore)]
    pub agentport: Field<Value>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Metadata)]
    pub metadata: Field<Metadata>,
}

/// The configuration of a tool; which keys it has follows `type` (see each key).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct ToolConfig {
    /// `slack`, `teams` (required).
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub team_id: Field<String>,
    /// `slack`: the bot token, required when the tool is created; never returned.
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String, write_only)]
    pub bot_token: Field<String>,
    /// `teams`: the Azure AD tenant.
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub tenant_id: Field<String>,
    /// `slack`, `teams`.
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub default_inbound_agent_id: Field<String>,
    /// `slack`, `teams`.
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Vec<String>)]
    pub allowed_operations: Strings,
    /// `rag_custom` (required), `rag_emporix`.
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub prompt: Field<String>,
    /// `rag_custom` (default 5).
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = i32)]
    pub max_results: Field<i32>,
    /// `rag_custom` (required).
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = DatabaseConfig)]
    pub database_config: Field<DatabaseConfig>,
    /// `rag_emporix`: `ORDER`, `PRODUCT` or a custom type.
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub entity_type: Field<String>,
    /// `rag_emporix`.
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Vec<IndexedField>)]
    pub indexed_fields: Items<IndexedField>,
    /// `rag_emporix`.
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Vec<FilterField>)]
    pub filter_fields: Items<FilterField>,
    /// `rag_custom` (required), `rag_emporix`.
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = EmbeddingConfig)]
    pub embedding_config: Field<EmbeddingConfig>,
    /// Keys of no tool type, each refused.
    #[serde(flatten, skip_serializing)]
    #[schema(ignore)]
    pub unknown: BTreeMap<String, Value>,
}

impl ToolConfig {
    /// The keys the object carried (`null` included), in declaration order, then unknown ones.
    pub fn keys(&self) -> Vec<Cow<'static, str>> {
        let given = [
            ("teamId", self.team_id.is_absent()),
            ("botToken", self.bot_token.is_absent()),
            ("tenantId", self.tenant_id.is_absent()),
            ("defaultInboundAgentId", self.default_inbound_agent_id.is_absent()),
            ("allowedOperations", self.allowed_operations.is_absent()),
            ("prompt", self.prompt.is_absent()),
            ("maxResults", self.max_results.is_absent()),
            ("databaseConfig", self.database_config.is_absent()),
            ("entityType", self.entity_type.is_absent()),
            ("indexedFields", self.indexed_fields.is_absent()),
            ("filterFields", self.filter_fields.is_absent()),
            ("embeddingConfig", self.embedding_config.is_absent()),
        ];
        let known = given.into_iter().filter(|(_, absent)| !absent).map(|(key, _)| Cow::Borrowed(key));
        known.chain(self.unknown.keys().map(|key| Cow::Owned(key.clone()))).collect()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct DatabaseConfig {
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub url: Field<String>,
    /// `qdrant`.
    #[serde(rename = "type", skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub kind: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub entity_type: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub collection_name: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Reference)]
    pub token: Field<Reference>,
}

/// `{provider: emporix_openai}`, `{provider: openai, model, dimensions, token}` or
/// `{provider: self_hosted_ollama, model, dimensions, url, token}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct EmbeddingConfig {
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub provider: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub model: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = i32)]
    pub dimensions: Field<i32>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub url: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Reference)]
    pub token: Field<Reference>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct IndexedField {
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub name: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub key: Field<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct FilterField {
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub key: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub description: Field<String>,
}

/// Emporix MCP server (request and response, and an entry of a bundle's `mcpServers`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct McpServer {
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String, read_only)]
    pub id: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub name: Field<String>,
    /// `custom` (default) or `dynamic`.
    #[serde(rename = "type", skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub kind: Field<String>,
    /// Default false.
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = bool)]
    pub enabled: Field<bool>,
    /// `streamable_http` or `sse`.
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub transport: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = McpServerConfig)]
    pub config: Field<McpServerConfig>,
    /// Tools of a dynamic server.
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Vec<DynamicMcpTool>)]
    pub tools: Items<DynamicMcpTool>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(ignore)]
    pub agentport: Field<Value>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Metadata)]
    pub metadata: Field<Metadata>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct McpServerConfig {
    /// Required for a `custom` server.
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub url: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub authorization_header_name: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Reference)]
    pub authorization_header_token: Field<Reference>,
}

/// A tool of a dynamic MCP server.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct DynamicMcpTool {
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub name: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub description: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub prompt: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = bool)]
    pub enabled: Field<bool>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = DynamicToolConfig)]
    pub config: Field<DynamicToolConfig>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct DynamicToolConfig {
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Vec<String>)]
    pub required_scopes: Strings,
    /// JSON Schema of the arguments, as a JSON string.
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub input_schema: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Invocation)]
    pub invocation: Field<Invocation>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct Invocation {
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub function_id: Field<String>,
    /// `GET`, `POST`, `PUT`, `PATCH` or `DELETE`.
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub method: Field<String>,
    /// `body` (default) or `query`.
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub args_location: Field<String>,
}

/// Emporix token: `value` is write-only and, once created, fixed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct Token {
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String, read_only)]
    pub id: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String)]
    pub name: Field<String>,
    /// Required when the token is created; a replacement must leave it out. Never returned.
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = String, write_only)]
    pub value: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Metadata)]
    pub metadata: Field<Metadata>,
}

object_dto!(
    Reference,
    Metadata,
    Agent,
    Trigger,
    TriggerConfig,
    LlmConfig,
    SelfHostedParams,
    AgentMcpServer,
    AgentNativeTool,
    AgentCollaboration,
    Tool,
    ToolConfig,
    DatabaseConfig,
    EmbeddingConfig,
    IndexedField,
    FilterField,
    McpServer,
    McpServerConfig,
    DynamicMcpTool,
    DynamicToolConfig,
    Invocation,
    Token,
);

/// Whether a nested object has any key to write.
pub fn has_keys<T: Serialize>(value: &T) -> bool {
    matches!(serde_json::to_value(value), Ok(Value::Object(map)) if !map.is_empty())
}
