//! The xpander schemas (shared spec `xpander-export-agent-api.md`, reference `xpander.md` §2,
//! §4, §5, §7), field for field. Responses are built from these types; request bodies are read
//! by hand (see `agent_json` and the handlers) so that every problem is reported with its path,
//! and their types here document them.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::enums::{
    AccessScope, AgentStatus, AgentType, CredentialsKeyType, DelegationEndStrategy, DelegationMemoryStrategy,
    DelegationType, DeploymentType, GraphItemSubType, GraphItemType, LlmSettingsType, ModelProvider, OutputFormat,
    ReasoningEffort, SourceNodeType,
};
use super::http::PageQuery;

/// `ExportAgentRequest`: the body of both export and template import.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExportAgentRequest {
    /// Template name (export) or the new agent's name (import).
    pub name: String,
    pub description: Option<String>,
    /// Emoji icon; defaults to the agent's (export) or the template's (import).
    pub icon: Option<String>,
    /// Include (export) or copy (import) knowledge bases and their documents.
    #[schema(default = true)]
    pub with_knowledge_bases: Option<bool>,
    /// Import only: the environment of the new agent (reference §2, 2026 pages).
    pub environment_id: Option<String>,
    /// Import only (agentport extension): required secret id of the template (`secret-1`, ...)
    /// -> id of a secret of the importing organization; an empty value leaves it unbound. A
    /// template binds no secret otherwise: entities whose secrets stay unbound are imported
    /// disabled.
    pub secret_mappings: Option<std::collections::HashMap<String, String>>,
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
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
#[schema(as = AIAgentInstructions)]
pub struct Instructions {
    pub role: Vec<String>,
    pub goal: Vec<String>,
    pub general: String,
}

/// `Connector`: a toolkit and the operations attached from it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Connector {
    pub id: String,
    pub operation_ids: Vec<String>,
}

/// `AgentKnowledgeBase`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgentKnowledgeBase {
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    /// `vanilla` or `agentic_rag`.
    pub strategy: String,
    pub rw: bool,
    pub documents: Vec<String>,
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
    pub connectivity_details: Value,
    pub framework: String,
    pub description: String,
    #[schema(value_type = Vec<Object>)]
    pub tools: Vec<Value>,
    pub icon: String,
    pub avatar: String,
    #[schema(value_type = Vec<AiAgentSourceNode>)]
    pub source_nodes: Vec<Value>,
    pub attached_tools: Vec<Connector>,
    pub access_scope: AccessScope,
    pub instructions: Instructions,
    #[schema(value_type = Object)]
    pub oas: Value,
    #[schema(value_type = Vec<AiAgentGraphItem>)]
    pub graph: Vec<Value>,
    #[schema(value_type = Vec<AiAgentGraphItemLlmSettings>)]
    pub llm_settings: Vec<Value>,
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
    pub llm_extra_headers: Value,
    pub deep_planning: bool,
    pub enforce_deep_planning: bool,
    pub voice_id: Option<String>,
    #[schema(value_type = Vec<Object>)]
    pub orchestration_nodes: Vec<Value>,
    #[schema(value_type = Option<Object>)]
    pub task_level_strategies: Option<Value>,
    #[schema(value_type = Object)]
    pub notification_settings: Value,
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
/// `organization_id`, `created_at`, `webhook_url`, `origin_template`); only `name` is required.
/// Unknown keys are ignored. The update body (`AgentBuilderUpdateAgentRequest`) has the same
/// fields plus `status`, all optional; only the given ones change.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgentBuilderCreateAgentRequest {
    // Sizes of `domain::limits`.
    #[schema(max_length = 1024)]
    pub name: String,
    #[schema(max_length = 10000)]
    pub description: Option<String>,
    #[schema(max_length = 256)]
    pub icon: Option<String>,
    pub avatar: Option<String>,
    /// `manager` when not given.
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub kind: Option<AgentType>,
    /// `ACTIVE` when not given.
    pub status: Option<AgentStatus>,
    pub unique_name: Option<String>,
    pub created_by: Option<String>,
    pub created_by_prompt: Option<String>,
    pub model_provider: Option<ModelProvider>,
    pub model_name: Option<String>,
    pub llm_reasoning_effort: Option<ReasoningEffort>,
    pub llm_api_base: Option<String>,
    pub llm_credentials_key: Option<String>,
    pub llm_credentials_key_type: Option<CredentialsKeyType>,
    /// `{name, description, value}`; the value is write-only.
    #[schema(value_type = Option<Object>)]
    pub llm_credentials: Option<Value>,
    /// Values are write-only.
    #[schema(value_type = Option<Object>)]
    pub llm_extra_headers: Option<Value>,
    pub instructions: Option<Instructions>,
    pub expected_output: Option<String>,
    pub output_format: Option<OutputFormat>,
    #[schema(value_type = Option<Object>)]
    pub output_schema: Option<Value>,
    pub voice_id: Option<String>,
    pub framework: Option<String>,
    pub delegation_type: Option<DelegationType>,
    pub delegation_memory_strategy: Option<DelegationMemoryStrategy>,
    pub delegation_end_strategy: Option<DelegationEndStrategy>,
    pub sub_agents_continuous_thread: Option<bool>,
    pub deep_planning: Option<bool>,
    pub enforce_deep_planning: Option<bool>,
    pub attached_tools: Option<Vec<Connector>>,
    pub graph: Option<Vec<AiAgentGraphItem>>,
    pub llm_settings: Option<Vec<AiAgentGraphItemLlmSettings>>,
    pub knowledge_bases: Option<Vec<AgentKnowledgeBase>>,
    pub source_nodes: Option<Vec<AiAgentSourceNode>>,
    pub prompts: Option<Vec<String>>,
    pub deployment_type: Option<DeploymentType>,
    pub access_scope: Option<AccessScope>,
    pub environment_id: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub connectivity_details: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub notification_settings: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub agno_settings: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub task_level_strategies: Option<Value>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub orchestration_nodes: Option<Vec<Value>>,
    #[schema(value_type = Option<Object>)]
    pub oas: Option<Value>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub tools: Option<Vec<Value>>,
    pub is_ai_employee: Option<bool>,
    pub using_nemo: Option<bool>,
    pub deletable: Option<bool>,
    pub is_generalist: Option<bool>,
    pub prompts_caching_enabled: Option<bool>,
    pub on_prem_event_streaming: Option<bool>,
    pub use_oidc_pre_auth: Option<bool>,
    pub pre_auth_audiences: Option<Vec<String>>,
    pub use_oidc_pre_auth_token_for_llm: Option<bool>,
    pub oidc_pre_auth_token_llm_audience: Option<String>,
    pub oidc_pre_auth_token_mcp_audience: Option<String>,
}

/// `AIAgentSourceNode`: what triggers the agent.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = AIAgentSourceNode)]
pub struct AiAgentSourceNode {
    pub id: Option<String>,
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub kind: SourceNodeType,
    pub targets: Option<Vec<String>>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
}

/// `AIAgentGraphItemLLMSettings`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = AIAgentGraphItemLLMSettings)]
pub struct AiAgentGraphItemLlmSettings {
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub kind: LlmSettingsType,
    #[schema(default = "openai")]
    pub provider: Option<String>,
    #[schema(default = "gpt-4.1")]
    pub model: Option<String>,
    #[schema(default = 0.0)]
    pub temperature: Option<f64>,
}

/// `AIAgentGraphItem`: one node of the agent's graph (a sub-agent, tool, MCP server, ...).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = AIAgentGraphItem)]
pub struct AiAgentGraphItem {
    pub id: Option<String>,
    /// The sub-agent, operation or custom function id the item stands for.
    pub item_id: String,
    pub name: Option<String>,
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub kind: GraphItemType,
    pub sub_type: Option<GraphItemSubType>,
    pub targets: Vec<String>,
    /// `AIAgentGraphItemSettings`; MCP and HITL credentials are write-only.
    #[schema(value_type = Option<Object>)]
    pub settings: Option<Value>,
    pub llm_settings: Option<Vec<AiAgentGraphItemLlmSettings>>,
    pub is_first: Option<bool>,
}

/// `CreateManagedKnowledgeBaseRequest`: the body of create and update.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreateManagedKnowledgeBaseRequest {
    pub name: String,
    pub description: Option<String>,
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
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AddDocumentsRequest {
    pub document_urls: Vec<String>,
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
