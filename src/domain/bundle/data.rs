//! The JSON inside an export's `data` as a whole: its sections, and the knowledge bases that
//! have no Emporix form (each its id, its documents and the proto3 JSON of the rest under the
//! extension key, in the section `knowledgeBases` Emporix ignores). Fields are declared in the
//! key order written.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::dto::{self, Items};
use crate::domain::wire::{Field, object_dto};

/// The bundle: `agents` always, the other sections when they have entries.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct BundleData {
    pub agents: Items<dto::Agent>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub tools: Items<dto::Tool>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub mcp_servers: Items<dto::McpServer>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub knowledge_bases: Items<KnowledgeBase>,
}

/// An entry of `knowledgeBases`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct KnowledgeBase {
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub id: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub documents: Items<Document>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub agentport: Field<Value>,
}

/// A document of a bundled knowledge base: its id, and the document as proto3 JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Document {
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub id: Field<String>,
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub agentport: Field<Value>,
}

object_dto!(BundleData, KnowledgeBase, Document);

/// An entry of a section, addressed by its `id`.
pub trait Keyed {
    fn id_mut(&mut self) -> &mut Field<String>;
}

macro_rules! keyed {
    ($($ty:ty),+) => {
        $(impl Keyed for $ty {
            fn id_mut(&mut self) -> &mut Field<String> {
                &mut self.id
            }
        })+
    };
}

keyed!(dto::Agent, dto::Tool, dto::McpServer, KnowledgeBase, Document);
