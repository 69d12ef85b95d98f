//! The enumerations of the xpander schemas (shared spec `xpander-export-agent-api.md`,
//! reference `xpander.md` §5.12), as Rust enums: serde reads and writes them and their schema
//! in `/openapi.json` lists the same values, so the document and the checks are one definition. The canonical
//! model keeps free text (other dialects and gRPC may store other values); responses show an
//! undocumented value as the field's documented default, or leave it out.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};

use super::wire::Expect;
use crate::error::ViolationKind;

/// What every enumeration offers the converters.
pub trait WireEnum: Copy + Sized + 'static {
    /// Every value, in the documented order.
    const ALL: &'static [Self];

    fn as_str(self) -> &'static str;

    /// The documented value `text` names.
    fn parse(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == text)
    }

    /// The documented value `text` names, else `default`.
    fn or(text: &str, default: Self) -> Self {
        Self::parse(text).unwrap_or(default)
    }
}

/// FastAPI's wording: `Input should be 'a', 'b' or 'c'`.
pub fn expected(values: &[&str]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("'{v}'")).collect();
    match quoted.split_last() {
        Some((last, [])) => format!("Input should be {last}"),
        Some((last, rest)) => format!("Input should be {} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

macro_rules! wire_enum {
    ($(#[doc = $doc:literal])+ $name:ident as $schema:ident { $($variant:ident = $value:literal),+ $(,)? }) => {
        $(#[doc = $doc])+
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $value)] $variant,)+
        }

        // By hand rather than derived: utoipa's derive does not see serde renames written
        // through a macro, and the document must list the wire values.
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
                Cow::Borrowed(stringify!($schema))
            }
        }

        impl $name {
            pub const VALUES: &'static [&'static str] = &[$($value),+];
        }

        impl WireEnum for $name {
            const ALL: &'static [Self] = &[$(Self::$variant),+];

            fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $value,)+
                }
            }
        }

        impl Expect for $name {
            const KIND: ViolationKind = ViolationKind::NotInEnum;

            fn expected() -> String {
                expected(Self::VALUES)
            }
        }
    };
}

wire_enum! {
    /// The kind of agent (`manager` when created without one).
    AgentType as AgentType {
        Manager = "manager", Regular = "regular", A2a = "a2a", Curl = "curl", Orchestration = "orchestration",
    }
}
wire_enum! {
    /// `DRAFT`, `ACTIVE` (on create) or `INACTIVE`.
    AgentStatus as AgentStatus { Draft = "DRAFT", Active = "ACTIVE", Inactive = "INACTIVE" }
}
wire_enum! {
    /// Who may use the agent.
    AccessScope as AIAgentAccessScope { Personal = "personal", Organizational = "organizational" }
}
wire_enum! {
    /// Where the agent runs (`container` is in beta).
    DeploymentType as AIAgentDeploymentType { Serverless = "serverless", Container = "container" }
}
wire_enum! {
    /// How the agent hands work to its sub-agents.
    DelegationType as AIAgentDelegationType { Router = "router", Sequence = "sequence" }
}
wire_enum! {
    /// What a sub-agent gets of the conversation.
    DelegationMemoryStrategy as AIAgentDelegationMemoryStrategy {
        Full = "full", Summarization = "summarization", OriginalInput = "original-input",
    }
}
wire_enum! {
    /// Where a delegation ends.
    DelegationEndStrategy as AIAgentDelegationEndStrategy {
        ReturnToStart = "return-to-start", FinishWithLast = "finish-with-last",
    }
}
wire_enum! {
    /// The LLM provider.
    ModelProvider as LLMModelProvider {
        OpenAi = "openai", Nim = "nim", AmazonBedrock = "amazon_bedrock", AzureAiFoundary = "azure_ai_foundary",
        HuggingFace = "huggingFace", FriendlyAi = "friendlyAI", Anthropic = "anthropic", Gemini = "gemini",
        Fireworks = "fireworks", GoogleAiStudio = "google_ai_studio", Helicone = "helicone", Bytedance = "bytedance",
        TzafonLightcone = "tzafon_lightcone", OpenRouter = "open_router", Nebius = "nebius",
        CloudflareAiGw = "cloudflare_ai_gw",
    }
}
wire_enum! {
    /// The form of the agent's answers (`voice` needs a `voice_id`).
    OutputFormat as OutputFormat { Text = "text", Markdown = "markdown", Json = "json", Voice = "voice" }
}
wire_enum! {
    /// How hard the model reasons.
    ReasoningEffort as LLMReasoningEffort { Low = "low", Medium = "medium", High = "high", XHigh = "xhigh" }
}
wire_enum! {
    /// Whose LLM credentials the agent uses.
    CredentialsKeyType as LLMCredentialsKeyType { Xpander = "xpander", Custom = "custom" }
}
wire_enum! {
    /// What triggers the agent.
    SourceNodeType as SourceNodeType {
        Workbench = "workbench", Sdk = "sdk", Task = "task", Assistant = "assistant", Webhook = "webhook",
        Mcp = "mcp", A2a = "a2a", Telegram = "telegram", Slack = "slack",
    }
}
wire_enum! {
    /// What a graph item is.
    GraphItemType as AIAgentGraphItemType {
        SourceNode = "source_node", Agent = "agent", Workflow = "workflow", Tool = "tool",
        HumanInTheLoop = "human_in_the_loop", AgentDelay = "xpsleep-agent-delay", CustomAgent = "custom_agent",
        Storage = "storage", LocalDb = "local_db", CodingAgent = "coding_agent", Mcp = "mcp", Skills = "skills",
    }
}
wire_enum! {
    /// The kind of source node or tool a graph item is.
    GraphItemSubType as AIAgentGraphItemSubType {
        Sdk = "sdk", Task = "task", Assistant = "assistant", Webhook = "webhook", Operation = "operation",
        CustomFunction = "custom_function", LocalTool = "local_tool",
    }
}
wire_enum! {
    /// Whether LLM settings apply before or after the item.
    LlmSettingsType as AIAgentGraphItemLLMSettingsType { Before = "before", After = "after" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::template::enums as spec;

    #[test]
    fn messages_list_the_values_as_fastapi_does() {
        assert_eq!(expected(&["a"]), "Input should be 'a'");
        assert_eq!(expected(&["a", "b"]), "Input should be 'a' or 'b'");
        assert_eq!(expected(&["a", "b", "c"]), "Input should be 'a', 'b' or 'c'");
    }

    #[test]
    fn the_enums_are_the_ones_the_export_schema_documents() {
        for (wire, documented) in [
            (AgentType::VALUES, spec::AGENT_TYPES),
            (AccessScope::VALUES, spec::ACCESS_SCOPES),
            (DelegationType::VALUES, spec::DELEGATION_TYPES),
            (DelegationMemoryStrategy::VALUES, spec::MEMORY_STRATEGIES),
            (ModelProvider::VALUES, spec::MODEL_PROVIDERS),
            (SourceNodeType::VALUES, spec::SOURCE_NODE_TYPES),
            (GraphItemType::VALUES, spec::GRAPH_ITEM_TYPES),
            (GraphItemSubType::VALUES, spec::GRAPH_ITEM_SUB_TYPES),
            (LlmSettingsType::VALUES, spec::LLM_SETTINGS_TYPES),
        ] {
            assert_eq!(wire, documented);
        }
        assert_eq!(serde_json::to_value(DelegationEndStrategy::ReturnToStart).unwrap(), "return-to-start");
        assert_eq!(ReasoningEffort::parse("xhigh"), Some(ReasoningEffort::XHigh));
    }
}
