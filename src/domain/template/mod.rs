//! Agent templates: a canonical agent tree <-> the xpander `AgentDefinition` JSON of an exported
//! `AgentTemplate` (shared spec `xpander-export-agent-api.md`; docs/canonical-model.md, "xpander
//! AgentDefinition").
//!
//! The output validates against the documented schema: values outside a documented enumeration
//! are left out (an item whose required key would be such a value is left out of its list), and
//! credentials are never written. Everything the xpander keys cannot say rides along under
//! `"agentport"` keys (the schema allows additional properties) as a patch on what those keys
//! read back as, so `decode_definition(&encode_definition(&t)) == t` for any tree without secret
//! values whose root is one of its agents. The root's `"agentport"` also holds the format
//! version ([`format`]).

pub(crate) mod agent;
mod carry;
mod decode;
pub(crate) mod dto;
mod encode;
pub(crate) mod enums;
pub(crate) mod fields;
pub(crate) mod graph;
mod knowledge;
mod patch;
pub(crate) mod portable;
pub(crate) mod settings;
mod tools;
mod unknown;

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod reader_tests;
#[cfg(test)]
mod schema_tests;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::domain::bundle::Entry;
use crate::domain::format_version::{self, Compat};
use crate::error::{Error, FieldViolation};
use crate::proto::{Agent, Document, KnowledgeBase, McpServer, Tool};

/// Deepest `sub_agents` nesting below the root that decoding reads.
pub const MAX_DEPTH: usize = 32;
/// Most agent definitions (every nested copy counts) that decoding reads.
pub const MAX_NODES: usize = 1000;

/// A knowledge base with its documents, identity fields cleared.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KnowledgeBaseCopy {
    pub knowledge_base: KnowledgeBase,
    pub documents: Vec<Entry<Document>>,
}

/// An agent with everything it reaches, keyed by original id; identity fields cleared.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TemplateTree {
    /// Original id of the root agent.
    pub root: String,
    pub agents: BTreeMap<String, Agent>,
    /// Tools the agents attach (`ToolAttachment.tool_id`).
    pub tools: BTreeMap<String, Tool>,
    /// MCP servers the agents attach (`McpServerAttachment.mcp_server_id`).
    pub mcp_servers: BTreeMap<String, McpServer>,
    /// Empty when exported without knowledge bases.
    pub knowledge_bases: BTreeMap<String, KnowledgeBaseCopy>,
}

/// The root's `AgentDefinition`, sub-agents nested. Works on scrubbed copies: never holds a
/// credential, whatever the tree holds.
pub fn encode_definition(tree: &TemplateTree) -> Value {
    encode::encode(tree)
}

/// Whether this server reads the definition's format version (root `agentport.formatVersion`;
/// none declared is 1.0, the format before versions, which is today's). A newer major version
/// is refused with FORMAT_UNSUPPORTED naming both versions.
pub fn format(definition: &Value, path: &str) -> Result<Compat, Error> {
    let declared = match definition {
        Value::Object(root) => format_version::declared(root, path)?,
        _ => None,
    };
    format_version::check(declared.unwrap_or(format_version::CURRENT), "template")
}

pub use unknown::not_understood;

/// Reads an `AgentDefinition`, ours or xpander's. Unknown keys are ignored; every problem is
/// reported at once, with its path relative to the definition (`sub_agents[0].name`).
pub fn decode_definition(value: &Value) -> Result<TemplateTree, Vec<FieldViolation>> {
    decode::decode(value)
}
