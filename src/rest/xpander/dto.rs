//! The xpander schemas (shared spec `xpander-export-agent-api.md`, reference `xpander.md` §2,
//! §4, §5, §7), field for field. Request bodies deserialize into these types (their keys are
//! [`Field`]s, so that every problem is reported), responses serialize from them, and
//! `/openapi.json` is generated from them.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::enums::{
    AccessScope, AgentStatus, AgentType, CredentialsKeyType, DelegationEndStrategy, DelegationMemoryStrategy,
    DelegationType, DeploymentType, GraphItemSubType, GraphItemType, LlmSettingsType, ModelProvider, OutputFormat,
    ReasoningEffort, SourceNodeType,
};
use super::http::PageQuery;
use super::wire::{Field, object_dto};
use crate::domain::template::dto::GraphItemSettings;

/// A list of strings in a body.
pub type Strings = Field<Vec<Field<String>>>;

/// `ExportAgentRequest`: the body of both export and template import.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct ExportAgentRequest {
    /// Template name (export) or the new agent's name (import).
    #[schema(value_type = String, required = true)]
    pub name: Field<String>,
    #[schema(value_type = Option<String>)]
    pub description: Field<String>,
    /// Emoji icon; defaults to the agent's (export) or the template's (import).
    #[schema(value_type = Option<String>)]
    pub icon: Field<String>,
    /// Include (export) or copy (import) knowledge bases and their documents.
    #[schema(value_type = Option<bool>, default = true)]
    pub with_knowledge_bases: Field<bool>,
    /// Import only: the environment of the new agent (reference §2, 2026 pages).
    #[schema(value_type = Option<String>)]
    pub environment_id: Field<String>,
    /// Import only (agentport extension): required secret id of the template (`secret-1`, ...)
    /// -> id of a secret of the importing organization; an empty value leaves it unbound. A
    /// template binds no secret otherwise: entities whose secrets stay unbound are imported
    /// disabled.
    #[schema(value_type = Option<std::collections::HashMap<String, String>>)]
    pub secret_mappings: Field<IndexMap<String, Field<String>>>,
    /// Export only (agentport extension): sign the template with this signing key of the
    /// organization; the response carries the signature in the `x-agentport-signature` header.
    #[schema(value_type = Option<String>)]
    pub signing_key_id: Field<String>,
    /// Import only (agentport extension): refuse the template unless it is signed by a key the
    /// organization trusts.
    #[schema(value_type = Option<bool>, default = false)]
    pub require_signature: Field<bool>,
}

/// `AgentTemplate`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgentTemplate {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub icon: String,
    /// The exporting organization (tenant).
    pub organization_id: Option<String>,
    /// The `AgentDefinition`, exactly as stored.
    #[schema(value_type = Option<Object>)]
    pub agent_definition: Option<Value>,
}

/// `AIAgentInstructions`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[schema(as = AIAgentInstructions)]
#[serde(default)]
pub struct Instructions {
    #[schema(value_type = Vec<String>)]
    pub role: Strings,
    #[schema(value_type = Vec<String>)]
    pub goal: Strings,
    #[schema(value_type = String)]
    pub general: Field<String>,
}

/// `Connector`: a toolkit and the operations attached from it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct Connector {
    #[schema(value_type = String, required = true)]
    pub id: Field<String>,
    #[schema(value_type = Vec<String>)]
    pub operation_ids: Strings,
}

/// `AgentKnowledgeBase`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct AgentKnowledgeBase {
    #[schema(value_type = String, required = true)]
    pub id: Field<String>,
    #[schema(value_type = Option<String>)]
    pub name: Field<String>,
    #[schema(value_type = Option<String>)]
    pub description: Field<String>,
    /// `vanilla` (default) or `agentic_rag`.
    #[schema(value_type = String)]
    pub strategy: Field<String>,
    #[schema(value_type = bool)]
    pub rw: Field<bool>,
    #[schema(value_type = Vec<String>)]
    pub documents: Strings,
}

/// `AIAgent`: the full agent (reference §4 and §4.1). Unset fields carry the documented
/// defaults; credentials are never returned.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = AIAgent)]
pub struct AiAgent {
    pub id: Option<String>,
    pub unique_name: Option<String>,
    pub origin_template: Option<String>,
    pub delegation_end_strategy: DelegationEndStrategy,
    pub environment_id: Option<String>,
    pub sub_agents_continuous_thread: bool,
    pub deployment_type: DeploymentType,
    pub created_by_prompt: Option<String>,
    pub prompts: Vec<String>,
    pub is_latest: bool,
    pub has_pending_changes: bool,
    pub name: String,
    #[schema(value_type = Object)]
    pub connectivity_details: ConnectivityDetails,
    pub framework: String,
    pub description: String,
    #[schema(value_type = Vec<Object>)]
    pub tools: Vec<Value>,
    pub icon: String,
    pub avatar: String,
    pub source_nodes: Vec<AiAgentSourceNode>,
    pub attached_tools: Vec<Connector>,
    pub access_scope: AccessScope,
    pub instructions: Instructions,
    #[schema(value_type = Object)]
    pub oas: Value,
    pub graph: Vec<AiAgentGraphItem>,
    pub llm_settings: Vec<AiAgentGraphItemLlmSettings>,
    pub status: AgentStatus,
    pub knowledge_bases: Vec<AgentKnowledgeBase>,
    pub version: i32,
    pub organization_id: String,
    pub created_by: Option<String>,
    pub created_at: Option<String>,
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub kind: Option<AgentType>,
    pub delegation_type: DelegationType,
    pub delegation_memory_strategy: DelegationMemoryStrategy,
    pub is_ai_employee: bool,
    pub using_nemo: bool,
    pub deletable: bool,
    pub model_provider: ModelProvider,
    pub model_name: String,
    pub llm_api_base: Option<String>,
    pub output_format: OutputFormat,
    #[schema(value_type = Option<Object>)]
    pub output_schema: Option<Value>,
    pub llm_credentials_key: Option<String>,
    pub llm_credentials_key_type: CredentialsKeyType,
    /// Write-only: always `null` in responses.
    #[schema(value_type = Option<Object>)]
    pub llm_credentials: Option<Value>,
    pub expected_output: String,
    #[schema(value_type = Object)]
    pub agno_settings: Value,
    pub on_prem_event_streaming: bool,
    pub prompts_caching_enabled: bool,
    pub is_generalist: bool,
    pub webhook_url: String,
    pub llm_reasoning_effort: ReasoningEffort,
    /// Values are write-only: always `{}` in responses.
    #[schema(value_type = Object)]
    pub llm_extra_headers: Map<String, Value>,
    pub deep_planning: bool,
    pub enforce_deep_planning: bool,
    pub voice_id: Option<String>,
    #[schema(value_type = Vec<Object>)]
    pub orchestration_nodes: Vec<Value>,
    #[schema(value_type = Option<Object>)]
    pub task_level_strategies: Option<Value>,
    #[schema(value_type = Object)]
    pub notification_settings: NotificationSettings,
    pub use_oidc_pre_auth: bool,
    pub pre_auth_audiences: Vec<String>,
    pub use_oidc_pre_auth_token_for_llm: bool,
    pub oidc_pre_auth_token_llm_audience: Option<String>,
    pub oidc_pre_auth_token_mcp_audience: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub created_by_details: Option<Value>,
}

/// `MinimalAIAgent` (reference §4.2), the items of `GET /v1/agents`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = MinimalAIAgent)]
pub struct MinimalAiAgent {
    pub id: Option<String>,
    pub name: String,
    pub description: Option<String>,
    pub icon: Option<String>,
    pub status: Option<AgentStatus>,
    pub organization_id: String,
    pub deployment_type: Option<DeploymentType>,
    pub created_at: Option<String>,
    pub instructions: Option<Instructions>,
    pub model_provider: Option<ModelProvider>,
    pub llm_api_base: Option<String>,
    pub model_name: Option<String>,
    pub framework: Option<String>,
    pub using_nemo: Option<bool>,
    pub is_coordinate_mode: Option<bool>,
    pub has_pending_changes: Option<bool>,
}

/// `AgentBuilderCreateAgentRequest`: every `AIAgent` field but the derived ones (`id`,
/// `organization_id`, `created_at`, `webhook_url`, `origin_template`, `version`); only `name`
/// is required. Unknown keys are ignored; `null` is the same as leaving a key out. The update
/// body (`AgentBuilderUpdateAgentRequest`) has the same fields, all optional; only the given
/// ones change.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct AgentBuilderCreateAgentRequest {
    // Sizes of `domain::limits`.
    #[schema(value_type = String, required = true, max_length = 1024)]
    pub name: Field<String>,
    #[schema(value_type = Option<String>, max_length = 10000)]
    pub description: Field<String>,
    #[schema(value_type = Option<String>, max_length = 256)]
    pub icon: Field<String>,
    #[schema(value_type = Option<String>)]
    pub avatar: Field<String>,
    /// `manager` when not given.
    #[serde(rename = "type")]
    #[schema(rename = "type", value_type = Option<AgentType>)]
    pub kind: Field<AgentType>,
    /// `ACTIVE` when not given.
    #[schema(value_type = Option<AgentStatus>)]
    pub status: Field<AgentStatus>,
    #[schema(value_type = Option<String>)]
    pub unique_name: Field<String>,
    #[schema(value_type = Option<String>)]
    pub created_by: Field<String>,
    #[schema(value_type = Option<String>)]
    pub created_by_prompt: Field<String>,
    #[schema(value_type = Option<ModelProvider>)]
    pub model_provider: Field<ModelProvider>,
    #[schema(value_type = Option<String>)]
    pub model_name: Field<String>,
    #[schema(value_type = Option<ReasoningEffort>)]
    pub llm_reasoning_effort: Field<ReasoningEffort>,
    #[schema(value_type = Option<String>)]
    pub llm_api_base: Field<String>,
    #[schema(value_type = Option<String>)]
    pub llm_credentials_key: Field<String>,
    #[schema(value_type = Option<CredentialsKeyType>)]
    pub llm_credentials_key_type: Field<CredentialsKeyType>,
    /// `{name, description, value}`; the value is write-only.
    #[schema(value_type = Option<Object>)]
    pub llm_credentials: Field<LlmCredentials>,
    /// Values are write-only.
    #[schema(value_type = Option<Object>)]
    pub llm_extra_headers: Field<Map<String, Value>>,
    #[schema(value_type = Option<Instructions>)]
    pub instructions: Field<Instructions>,
    #[schema(value_type = Option<String>)]
    pub expected_output: Field<String>,
    #[schema(value_type = Option<OutputFormat>)]
    pub output_format: Field<OutputFormat>,
    #[schema(value_type = Option<Object>)]
    pub output_schema: Field<Value>,
    #[schema(value_type = Option<String>)]
    pub voice_id: Field<String>,
    #[schema(value_type = Option<String>)]
    pub framework: Field<String>,
    #[schema(value_type = Option<DelegationType>)]
    pub delegation_type: Field<DelegationType>,
    #[schema(value_type = Option<DelegationMemoryStrategy>)]
    pub delegation_memory_strategy: Field<DelegationMemoryStrategy>,
    #[schema(value_type = Option<DelegationEndStrategy>)]
    pub delegation_end_strategy: Field<DelegationEndStrategy>,
    #[schema(value_type = Option<bool>)]
    pub sub_agents_continuous_thread: Field<bool>,
    #[schema(value_type = Option<bool>)]
    pub deep_planning: Field<bool>,
    #[schema(value_type = Option<bool>)]
    pub enforce_deep_planning: Field<bool>,
    #[schema(value_type = Option<Vec<Connector>>)]
    pub attached_tools: Field<Vec<Field<Connector>>>,
    #[schema(value_type = Option<Vec<AiAgentGraphItem>>)]
    pub graph: Field<Vec<Field<AiAgentGraphItem>>>,
    #[schema(value_type = Option<Vec<AiAgentGraphItemLlmSettings>>)]
    pub llm_settings: Field<Vec<Field<AiAgentGraphItemLlmSettings>>>,
    #[schema(value_type = Option<Vec<AgentKnowledgeBase>>)]
    pub knowledge_bases: Field<Vec<Field<AgentKnowledgeBase>>>,
    #[schema(value_type = Option<Vec<AiAgentSourceNode>>)]
    pub source_nodes: Field<Vec<Field<AiAgentSourceNode>>>,
    #[schema(value_type = Option<Vec<String>>)]
    pub prompts: Strings,
    #[schema(value_type = Option<DeploymentType>)]
    pub deployment_type: Field<DeploymentType>,
    #[schema(value_type = Option<AccessScope>)]
    pub access_scope: Field<AccessScope>,
    #[schema(value_type = Option<String>)]
    pub environment_id: Field<String>,
    #[schema(value_type = Option<Object>)]
    pub connectivity_details: Field<ConnectivityDetails>,
    #[schema(value_type = Option<Object>)]
    pub notification_settings: Field<NotificationSettings>,
    #[schema(value_type = Option<Object>)]
    pub agno_settings: Field<Value>,
    #[schema(value_type = Option<Object>)]
    pub task_level_strategies: Field<Value>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub orchestration_nodes: Field<Value>,
    #[schema(value_type = Option<Object>)]
    pub oas: Field<Value>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub tools: Field<Vec<Value>>,
    #[schema(value_type = Option<Object>)]
    pub created_by_details: Field<Map<String, Value>>,
    #[schema(value_type = Option<bool>)]
    pub is_ai_employee: Field<bool>,
    #[schema(value_type = Option<bool>)]
    pub using_nemo: Field<bool>,
    #[schema(value_type = Option<bool>)]
    pub deletable: Field<bool>,
    #[schema(value_type = Option<bool>)]
    pub is_latest: Field<bool>,
    #[schema(value_type = Option<bool>)]
    pub has_pending_changes: Field<bool>,
    #[schema(value_type = Option<bool>)]
    pub is_generalist: Field<bool>,
    #[schema(value_type = Option<bool>)]
    pub prompts_caching_enabled: Field<bool>,
    #[schema(value_type = Option<bool>)]
    pub on_prem_event_streaming: Field<bool>,
    #[schema(value_type = Option<bool>)]
    pub use_oidc_pre_auth: Field<bool>,
    #[schema(value_type = Option<Vec<String>>)]
    pub pre_auth_audiences: Strings,
    #[schema(value_type = Option<bool>)]
    pub use_oidc_pre_auth_token_for_llm: Field<bool>,
    #[schema(value_type = Option<String>)]
    pub oidc_pre_auth_token_llm_audience: Field<String>,
    #[schema(value_type = Option<String>)]
    pub oidc_pre_auth_token_mcp_audience: Field<String>,
}

/// `{name, description, value}` of `llm_credentials`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LlmCredentials {
    pub name: Field<String>,
    pub description: Field<String>,
    pub value: Field<String>,
}

/// `connectivity_details` of an `a2a` / `curl` agent. Responses leave out the write-only
/// values (`custom_headers` is `{}`, `auth_value` is `null`, `curl_command` is left out).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ConnectivityDetails {
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub custom_headers: Field<Map<String, Value>>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub auth_type: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub api_key_header_name: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub auth_value: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub agent_url: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub curl_command: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub invoke_url: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub method: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub prompt_field_name: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub files_field_name: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub task_id_field_name: Field<String>,
}

/// `notification_settings`: notifications by outcome, then by channel (`email`, `slack`,
/// `webhook`), in the caller's order.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct NotificationSettings {
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub on_success: Field<Channels>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub on_error: Field<Channels>,
}

/// Notifications by channel.
pub type Channels = IndexMap<String, Field<Vec<Field<Notification>>>>;

/// One notification; which keys apply depends on the channel. Credentials and header values are
/// write-only: responses show `{}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Notification {
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub subject: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub body: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub approve_button_text: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub deny_button_text: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub logo_url: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub to: Strings,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub channels: Strings,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub credentials: Field<SlackCredentials>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub url: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub headers: Field<Map<String, Value>>,
}

/// The Slack app's credentials of a notification (write-only).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SlackCredentials {
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub authed_user_id: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub access_token: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub client_id: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub client_secret: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub verification_token: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub signing_secret: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub app_configuration_token: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub app_configuration_refresh_token: Field<String>,
}

/// `AIAgentSourceNode`: what triggers the agent.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[schema(as = AIAgentSourceNode)]
#[serde(default)]
pub struct AiAgentSourceNode {
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Option<String>)]
    pub id: Field<String>,
    #[serde(rename = "type")]
    #[schema(rename = "type", value_type = SourceNodeType, required = true)]
    pub kind: Field<SourceNodeType>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Option<Vec<String>>)]
    pub targets: Strings,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Option<Object>)]
    pub metadata: Field<Value>,
}

/// `AIAgentGraphItemLLMSettings`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[schema(as = AIAgentGraphItemLLMSettings)]
#[serde(default)]
pub struct AiAgentGraphItemLlmSettings {
    #[serde(rename = "type", skip_serializing_if = "Field::is_absent")]
    #[schema(rename = "type", value_type = LlmSettingsType, required = true)]
    pub kind: Field<LlmSettingsType>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Option<String>, default = "openai")]
    pub provider: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Option<String>, default = "gpt-4.1")]
    pub model: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Option<f64>, default = 0.0)]
    pub temperature: Field<f64>,
}

/// `AIAgentGraphItem`: one node of the agent's graph (a sub-agent, tool, MCP server, ...).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[schema(as = AIAgentGraphItem)]
#[serde(default)]
pub struct AiAgentGraphItem {
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Option<String>)]
    pub id: Field<String>,
    /// The sub-agent, operation or custom function id the item stands for.
    #[schema(value_type = String, required = true)]
    pub item_id: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Option<String>)]
    pub name: Field<String>,
    #[serde(rename = "type")]
    #[schema(rename = "type", value_type = GraphItemType, required = true)]
    pub kind: Field<GraphItemType>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Option<GraphItemSubType>)]
    pub sub_type: Field<GraphItemSubType>,
    #[schema(value_type = Vec<String>, required = true)]
    pub targets: Strings,
    /// `AIAgentGraphItemSettings`; MCP and HITL credentials are write-only.
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Option<Object>)]
    pub settings: Field<GraphItemSettings>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Option<Vec<AiAgentGraphItemLlmSettings>>)]
    pub llm_settings: Field<Vec<Field<AiAgentGraphItemLlmSettings>>>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    #[schema(value_type = Option<bool>)]
    pub is_first: Field<bool>,
}

object_dto!(
    ExportAgentRequest,
    Instructions,
    Connector,
    AgentKnowledgeBase,
    AgentBuilderCreateAgentRequest,
    LlmCredentials,
    ConnectivityDetails,
    NotificationSettings,
    Notification,
    SlackCredentials,
    AiAgentSourceNode,
    AiAgentGraphItemLlmSettings,
    AiAgentGraphItem,
    CreateManagedKnowledgeBaseRequest,
    AddDocumentsRequest,
);

/// `CreateManagedKnowledgeBaseRequest`: the body of create and update.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct CreateManagedKnowledgeBaseRequest {
    #[schema(value_type = String, required = true)]
    pub name: Field<String>,
    #[schema(value_type = Option<String>)]
    pub description: Field<String>,
}

/// `KnowledgeBaseItem`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KnowledgeBaseItem {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    /// `managed` or `external`.
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub kind: String,
    pub organization_id: String,
    pub agent_id: Option<String>,
    pub total_documents: i64,
}

/// `AddDocumentsRequest`: one document per URL.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct AddDocumentsRequest {
    #[schema(value_type = Vec<String>, required = true)]
    pub document_urls: Strings,
}

/// `KBDocumentItem`: a document in lists.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = KBDocumentItem)]
pub struct KbDocumentItem {
    pub kb_id: Option<String>,
    pub id: Option<String>,
    pub name: Option<String>,
    pub document_url: String,
}

/// `KBDocumentFull`: one document with its text.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = KBDocumentFull)]
pub struct KbDocumentFull {
    pub kb_id: Option<String>,
    pub id: Option<String>,
    pub document_url: String,
    pub organization_id: Option<String>,
    pub name: Option<String>,
    pub raw_data: Option<String>,
    pub local_env: bool,
    pub sync: bool,
}

/// One step of `ValidationError.loc`: a key or an index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum LocItem {
    Key(String),
    Index(u64),
}

impl From<&str> for LocItem {
    fn from(key: &str) -> Self {
        LocItem::Key(key.to_owned())
    }
}

/// `ValidationError`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ValidationError {
    /// Where: `body`, `path`, `query` or `header`, then the field path.
    pub loc: Vec<LocItem>,
    pub msg: String,
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub kind: String,
}

/// `HTTPValidationError`: the 422 body.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = HTTPValidationError)]
pub struct HttpValidationError {
    pub detail: Vec<ValidationError>,
}

/// Every other failure (401, 403, 404, 409, ...): `{"detail": "..."}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = HTTPErrorDetail)]
pub struct ErrorDetail {
    pub detail: String,
}

/// `PaginatedResponse_<T>`: one page of a list, with the counts of the whole list.
pub trait Envelope<T>: Sized {
    fn new(items: Vec<T>, total: u64, query: &PageQuery, total_pages: u64) -> Self;

    /// The requested page, with the total of the whole list.
    fn page(items: Vec<T>, total: i64, query: &PageQuery) -> Self {
        let total = total.max(0) as u64;
        Self::new(items, total, query, total.div_ceil(query.per_page))
    }
}

macro_rules! paginated {
    ($name:ident, $item:ty, $schema:ident) => {
        #[doc = concat!("`", stringify!($schema), "`: one page of a list.")]
        #[derive(Debug, Clone, Serialize, ToSchema)]
        #[schema(as = $schema)]
        pub struct $name {
            pub items: Vec<$item>,
            pub total: u64,
            pub page: u64,
            pub per_page: u64,
            pub total_pages: u64,
        }

        impl Envelope<$item> for $name {
            fn new(items: Vec<$item>, total: u64, query: &PageQuery, total_pages: u64) -> Self {
                Self { items, total, page: query.page, per_page: query.per_page, total_pages }
            }
        }
    };
}

paginated!(MinimalAgentPage, MinimalAiAgent, PaginatedResponse_MinimalAIAgent_);
paginated!(AgentPage, AiAgent, PaginatedResponse_AIAgent_);
paginated!(KnowledgeBasePage, KnowledgeBaseItem, PaginatedResponse_KnowledgeBaseItem_);
paginated!(DocumentPage, KbDocumentItem, PaginatedResponse_KBDocumentItem_);
paginated!(TemplatePage, AgentTemplate, PaginatedResponse_AgentTemplate_);
