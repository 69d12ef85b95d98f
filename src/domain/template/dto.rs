//! The xpander `AgentDefinition` of an exported template (shared spec
//! `xpander-export-agent-api.md`) and everything it nests, field for field. Templates
//! deserialize into these types (each key a [`Field`], so every problem is reported with its
//! path) and are written by serializing them. Fields are declared in the key order of the
//! written definition; a key left [`Field::Absent`] is not written.
//!
//! Enumerated values are plain strings here: a template read keeps whatever value it holds
//! (the canonical fields are free text), and writing leaves out values the schema does not
//! document (see `enums`). The REST dialect, which refuses such values, has typed enums.

use indexmap::IndexMap;
use serde::de::Deserializer;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::domain::wire::{Expect, Field, object_dto};
use crate::error::ViolationKind;

/// A list of strings.
pub type Strings = Field<Vec<Field<String>>>;
/// A list of objects.
pub type Items<T> = Field<Vec<Field<T>>>;
/// Proto3 JSON of whole resources by id.
pub type ById = Field<IndexMap<String, Value>>;

/// `AgentDefinition`: an agent with the tools, sub-agents and knowledge bases it reaches.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AgentDefinition {
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub id: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub name: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub description: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub unique_name: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub icon: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub avatar: Field<String>,
    #[serde(rename = "type", skip_serializing_if = "Field::is_absent")]
    pub kind: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub delegation_type: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub delegation_memory_strategy: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub created_by_prompt: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub is_ai_employee: Field<bool>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub prompts: Strings,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub llm_settings: Items<LlmSettings>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub source_nodes: Items<SourceNode>,
    /// The connectors attached, with the operations used.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub attached_tools: Items<AttachedTool>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub access_scope: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub instructions: Field<Instructions>,
    /// An object, or a string holding one as JSON text.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub oas: Field<Value>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub graph: Items<GraphItem>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub status: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub version: Field<i32>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub model_provider: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub model_name: Field<String>,
    /// Required, as `connectors`.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub custom_functions: Items<CustomFunction>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub connectors: Items<ConnectedConnector>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub sub_agents: Items<Nested>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub knowledge_bases: Items<ExportedKnowledgeBase>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub agentport: Field<Carried>,
}

/// A nested definition. It is read as it stands and becomes an [`AgentDefinition`] only when
/// the reader gets to it, after the nesting depth is checked: a body nested as deep as JSON
/// allows never takes the typed reader (whose frames are large) deeper than the limit.
#[derive(Debug, Clone, PartialEq)]
pub enum Nested {
    Definition(Box<AgentDefinition>),
    Given(Value),
}

impl Nested {
    /// The definition; a given value is read now.
    pub fn definition(self) -> Field<AgentDefinition> {
        match self {
            Nested::Definition(definition) => Field::Given(*definition),
            Nested::Given(value) => Field::read(value),
        }
    }
}

impl From<AgentDefinition> for Nested {
    fn from(definition: AgentDefinition) -> Self {
        Nested::Definition(Box::new(definition))
    }
}

impl Serialize for Nested {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Nested::Definition(definition) => definition.serialize(serializer),
            Nested::Given(value) => value.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Nested {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(Nested::Given)
    }
}

impl Expect for Nested {
    const KIND: ViolationKind = ViolationKind::NotObject;

    fn expected() -> String {
        "Input should be a valid dictionary or object to extract fields from".to_owned()
    }

    fn accepts(value: &Value) -> bool {
        value.is_object()
    }
}

/// Nested definitions, each read now.
pub fn definitions(items: Vec<Field<Nested>>) -> Vec<Field<AgentDefinition>> {
    items
        .into_iter()
        .map(|item| match item {
            Field::Given(nested) => nested.definition(),
            Field::Absent => Field::Absent,
            Field::Null => Field::Null,
            Field::Wrong => Field::Wrong,
        })
        .collect()
}

/// An object's `"agentport"` key: the patch from what its xpander keys read back as to the
/// canonical resource, ids the xpander form has no key for, and (agents) the resources that
/// have no xpander form. Which keys apply depends on the object (see `unknown`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Carried {
    /// A knowledge base's or a document's id.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub id: Field<String>,
    /// Tools the agent attaches that have no xpander form.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub tools: ById,
    /// MCP servers the agent attaches.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub mcp_servers: ById,
    /// Proto3 JSON of the fields to set.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub set: Field<Value>,
    /// Dotted paths of the fields to clear.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub clear: Strings,
    /// Root only: what no nested definition reaches.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub detached: Field<Detached>,
    /// Root only: the format version (read by `format_version`).
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub format_version: Field<String>,
}

/// The root's `agentport.detached`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Detached {
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub agents: Items<Nested>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub tools: ById,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub mcp_servers: ById,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub knowledge_bases: Items<ExportedKnowledgeBase>,
}

/// `AIAgentInstructions`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Instructions {
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub role: Strings,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub goal: Strings,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub general: Field<String>,
}

/// An `attached_tools` item: a connector and the operations used.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AttachedTool {
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub id: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub operation_ids: Strings,
}

/// `AIAgentGraphItemLLMSettings`, at agent level and per graph item.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LlmSettings {
    #[serde(rename = "type", skip_serializing_if = "Field::is_absent")]
    pub kind: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub provider: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub model: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub temperature: Field<f64>,
}

/// `AIAgentSourceNode`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SourceNode {
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub id: Field<String>,
    #[serde(rename = "type", skip_serializing_if = "Field::is_absent")]
    pub kind: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub targets: Strings,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub metadata: Field<Value>,
}

/// `AIAgentGraphItem`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GraphItem {
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub id: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub item_id: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub name: Field<String>,
    #[serde(rename = "type", skip_serializing_if = "Field::is_absent")]
    pub kind: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub sub_type: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub targets: Strings,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub settings: Field<GraphItemSettings>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub llm_settings: Items<LlmSettings>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub is_first: Field<bool>,
}

/// `AIAgentGraphItemSettings`, also the `settings` of a graph item in the REST dialect. MCP
/// credentials are read but never written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GraphItemSettings {
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub instructions: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub description: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub schemas: Field<Schemas>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub advanced_filtering_options: Field<AdvancedFilteringOptions>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub hitl_options: Field<HitlOptions>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub a2a_options: Field<A2aOptions>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub coding_agent_settings: Field<CodingAgentSettings>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub mcp_settings: Field<McpSettings>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub skills_settings: Field<SkillsSettings>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub use_cache: Field<bool>,
}

/// Input and output JSON Schemas of a graph item.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Schemas {
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub input: Field<Value>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub output: Field<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AdvancedFilteringOptions {
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub returnables: Strings,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub searchables: Strings,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub globally_enabled: Field<bool>,
}

/// Human-in-the-loop approval of a graph item.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HitlOptions {
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub title: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub description: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub recipients: Strings,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub hitl_type: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub slack_app: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub should_approve_with_current_user: Field<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct A2aOptions {
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub url: Field<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CodingAgentSettings {
    #[serde(rename = "type", skip_serializing_if = "Field::is_absent")]
    pub kind: Field<String>,
}

/// The MCP server a graph item calls. `api_key`, `client_secret`, `headers` and `env_vars`
/// are secret-marked: read (an import may carry them), never written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct McpSettings {
    #[serde(rename = "type", skip_serializing_if = "Field::is_absent")]
    pub kind: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub name: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub command: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub url: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub transport: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub auth_type: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub api_key: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub use_secrets_manager: Field<bool>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub client_id: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub client_secret: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub additional_scopes: Strings,
    /// Values other than strings are kept as their JSON text.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub headers: Field<Map<String, Value>>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub env_vars: Field<Map<String, Value>>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub allowed_tools: Strings,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub share_user_token_across_other_agents: Field<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SkillsSettings {
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub enabled_skills: Strings,
}

/// `CustomFunction`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CustomFunction {
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub id: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub name: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub description: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub input_schema: Field<Value>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub technical_description: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub status: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub limits: Field<Value>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub source_code: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub agentport: Field<Carried>,
}

/// `ConnectedConnector`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConnectedConnector {
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub id: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub name: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub description: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub open_api_spec_id: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub general_params: Items<GeneralParam>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub operation_ids: Strings,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub operations_with_details: Field<Value>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub cc_id: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub root_id: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub code: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub openapi_spec: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub is_custom: Field<bool>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub owner: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub version: Field<f64>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub total_operations: Field<i32>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub operations_map: Field<Value>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub agentport: Field<Carried>,
}

/// A connector's general parameter; `value` is secret-marked: read, never written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GeneralParam {
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub name: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub description: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub location: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub value: Field<String>,
}

/// `ExportedKnowledgeBase`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExportedKnowledgeBase {
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub name: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub description: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub documents: Items<ExportedDocument>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub agentport: Field<Carried>,
}

/// A document of an `ExportedKnowledgeBase`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExportedDocument {
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub name: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub url: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub content: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub agentport: Field<Carried>,
}

object_dto!(
    AgentDefinition,
    Carried,
    Detached,
    Instructions,
    AttachedTool,
    LlmSettings,
    SourceNode,
    GraphItem,
    GraphItemSettings,
    Schemas,
    AdvancedFilteringOptions,
    HitlOptions,
    A2aOptions,
    CodingAgentSettings,
    McpSettings,
    SkillsSettings,
    CustomFunction,
    ConnectedConnector,
    GeneralParam,
    ExportedKnowledgeBase,
    ExportedDocument,
);
