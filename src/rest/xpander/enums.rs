//! The enumerations of the xpander schemas (shared spec `xpander-export-agent-api.md`,
//! reference `xpander.md` §5.12). Each is a string newtype whose `/openapi.json` schema lists the
//! same values that request bodies are checked against, so the document cannot drift from the
//! checks. The canonical model keeps free text (other dialects and gRPC may store other values);
//! responses show an undocumented value as the field's documented default, or leave it out.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::Value;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};

use crate::domain::bundle::read::Obj;
use crate::domain::template::enums as spec;
use crate::error::FieldViolation;

/// What every enumeration offers the response writers.
pub trait WireEnum: Sized {
    const VALUES: &'static [&'static str];

    fn new(value: String) -> Self;

    /// `value` when documented, else `default`.
    fn or(value: &str, default: &str) -> Self {
        Self::new(if Self::VALUES.contains(&value) { value } else { default }.to_owned())
    }

    /// `value` when documented.
    fn documented(value: &str) -> Option<Self> {
        Self::VALUES.contains(&value).then(|| Self::new(value.to_owned()))
    }
}

macro_rules! wire_enum {
    ($(#[doc = $doc:literal])+ $name:ident as $schema:literal = $values:expr) => {
        $(#[doc = $doc])+
        #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            pub const VALUES: &'static [&'static str] = $values;
        }

        impl WireEnum for $name {
            const VALUES: &'static [&'static str] = $values;

            fn new(value: String) -> Self {
                Self(value)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                let description = [$($doc),+].map(str::trim).join("\n");
                ObjectBuilder::new()
                    .schema_type(SchemaType::new(Type::String))
                    .enum_values(Some(Self::VALUES.iter().copied()))
                    .description(Some(description))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed($schema)
            }
        }
    };
}

wire_enum! {
    /// The kind of agent (`manager` when created without one).
    AgentType as "AgentType" = spec::AGENT_TYPES
}
wire_enum! {
    /// `DRAFT`, `ACTIVE` (on create) or `INACTIVE`.
    AgentStatus as "AgentStatus" = &["DRAFT", "ACTIVE", "INACTIVE"]
}
wire_enum! {
    /// Who may use the agent.
    AccessScope as "AIAgentAccessScope" = spec::ACCESS_SCOPES
}
wire_enum! {
    /// Where the agent runs (`container` is in beta).
    DeploymentType as "AIAgentDeploymentType" = &["serverless", "container"]
}
wire_enum! {
    /// How the agent hands work to its sub-agents.
    DelegationType as "AIAgentDelegationType" = spec::DELEGATION_TYPES
}
wire_enum! {
    /// What a sub-agent gets of the conversation.
    DelegationMemoryStrategy as "AIAgentDelegationMemoryStrategy" = spec::MEMORY_STRATEGIES
}
wire_enum! {
    /// Where a delegation ends.
    DelegationEndStrategy as "AIAgentDelegationEndStrategy" = &["return-to-start", "finish-with-last"]
}
wire_enum! {
    /// The LLM provider.
    ModelProvider as "LLMModelProvider" = spec::MODEL_PROVIDERS
}
wire_enum! {
    /// The form of the agent's answers (`voice` needs a `voice_id`).
    OutputFormat as "OutputFormat" = &["text", "markdown", "json", "voice"]
}
wire_enum! {
    /// How hard the model reasons.
    ReasoningEffort as "LLMReasoningEffort" = &["low", "medium", "high", "xhigh"]
}
wire_enum! {
    /// Whose LLM credentials the agent uses.
    CredentialsKeyType as "LLMCredentialsKeyType" = &["xpander", "custom"]
}
wire_enum! {
    /// What triggers the agent.
    SourceNodeType as "SourceNodeType" = spec::SOURCE_NODE_TYPES
}
wire_enum! {
    /// What a graph item is.
    GraphItemType as "AIAgentGraphItemType" = spec::GRAPH_ITEM_TYPES
}
wire_enum! {
    /// The kind of source node or tool a graph item is.
    GraphItemSubType as "AIAgentGraphItemSubType" = spec::GRAPH_ITEM_SUB_TYPES
}
wire_enum! {
    /// Whether LLM settings apply before or after the item.
    LlmSettingsType as "AIAgentGraphItemLLMSettingsType" = spec::LLM_SETTINGS_TYPES
}

/// The enumerated keys of a create or update body, at the top level.
const TOP: &[(&str, &[&str])] = &[
    ("type", AgentType::VALUES),
    ("access_scope", AccessScope::VALUES),
    ("deployment_type", DeploymentType::VALUES),
    ("delegation_type", DelegationType::VALUES),
    ("delegation_memory_strategy", DelegationMemoryStrategy::VALUES),
    ("delegation_end_strategy", DelegationEndStrategy::VALUES),
    ("model_provider", ModelProvider::VALUES),
    ("output_format", OutputFormat::VALUES),
    ("llm_reasoning_effort", ReasoningEffort::VALUES),
    ("llm_credentials_key_type", CredentialsKeyType::VALUES),
];

/// FastAPI's wording: `Input should be 'a', 'b' or 'c'`.
pub fn expected(values: &[&str]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("'{v}'")).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// The message of a value outside its enumeration; `http::detail` types it `enum`.
pub fn message(values: &[&str]) -> String {
    format!("{ENUM_PREFIX}{}", expected(values))
}

pub const ENUM_PREFIX: &str = "Input should be ";

/// Every enumerated value of a create or update body that is not one of its values (type
/// errors are the readers' to report).
pub fn violations(body: &Obj) -> Vec<FieldViolation> {
    let mut out = Vec::new();
    for (key, values) in TOP {
        check(body.map.get(*key), &body.path(key), values, &mut out);
    }
    for (i, node) in items(body, "source_nodes") {
        check(node.get("type"), &format!("source_nodes[{i}].type"), SourceNodeType::VALUES, &mut out);
    }
    for (i, item) in items(body, "graph") {
        check(item.get("type"), &format!("graph[{i}].type"), GraphItemType::VALUES, &mut out);
        check(item.get("sub_type"), &format!("graph[{i}].sub_type"), GraphItemSubType::VALUES, &mut out);
        let nested = item.get("llm_settings").and_then(Value::as_array).into_iter().flatten().enumerate();
        for (j, settings) in nested {
            let path = format!("graph[{i}].llm_settings[{j}].type");
            check(settings.get("type"), &path, LlmSettingsType::VALUES, &mut out);
        }
    }
    for (i, settings) in items(body, "llm_settings") {
        check(settings.get("type"), &format!("llm_settings[{i}].type"), LlmSettingsType::VALUES, &mut out);
    }
    out
}

fn items<'a>(body: &'a Obj, key: &str) -> impl Iterator<Item = (usize, &'a Value)> {
    body.map.get(key).and_then(Value::as_array).into_iter().flatten().enumerate()
}

/// A string outside `values` is a violation; absent, null and non-strings are not (here).
fn check(value: Option<&Value>, path: &str, values: &[&str], out: &mut Vec<FieldViolation>) {
    if let Some(Value::String(text)) = value {
        if !values.contains(&text.as_str()) {
            out.push(FieldViolation::new(path, message(values)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_list_the_values_as_fastapi_does() {
        assert_eq!(message(&["a"]), "Input should be 'a'");
        assert_eq!(message(&["a", "b"]), "Input should be 'a' or 'b'");
        assert_eq!(message(&["a", "b", "c"]), "Input should be 'a', 'b' or 'c'");
    }

    #[test]
    fn every_enumerated_key_of_a_body_is_checked() {
        let body = serde_json::json!({
            "type": "boss", "deployment_type": "serverless", "output_format": "pdf",
            "source_nodes": [{"type": "sdk"}, {"type": "fax"}],
            "graph": [{"type": "tool", "sub_type": "nope", "llm_settings": [{"type": "during"}]}],
            "llm_settings": [{"type": "after"}, {"type": 3}],
        });
        let obj = Obj { map: body.as_object().unwrap(), path: String::new() };
        let mut fields: Vec<String> = violations(&obj).into_iter().map(|v| v.field).collect();
        fields.sort();
        assert_eq!(
            fields,
            ["graph[0].llm_settings[0].type", "graph[0].sub_type", "output_format", "source_nodes[1].type", "type"]
        );
    }
}
