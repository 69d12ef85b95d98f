//! Every size limit of the stored resources, in one place. The .proto comments and the
//! REST schemas (`maxLength`, `maxItems`) state the same numbers; validation refuses one past
//! a limit with INVALID_ARGUMENT naming the field and the limit, never truncating.
//!
//! The limits are part of the contract rather than settings: a bundle exported by one
//! deployment must import into another, and clients size their input by them. They are chosen
//! so that the largest valid resource, [`MAX_RESOURCE_BYTES`] encoded, lets a List page of
//! [`PAGES_THAT_ALWAYS_FIT`] of them stay under the default 16 MiB message limit.
//! Documents (content size, documents per knowledge base) have their own, configurable limits.

/// Largest encoded size of an agent, tool, MCP server, knowledge base or secret: bounds every
/// field not limited on its own below, and the sum of them all.
pub const MAX_RESOURCE_BYTES: usize = 1024 * 1024;
/// A List page of this many resources of the largest size always fits a 16 MiB message.
pub const PAGES_THAT_ALWAYS_FIT: usize = 10;

/// Display names: each language's text, and plain display names.
pub const MAX_LABEL_CHARS: usize = 1024;
/// Languages of a localized text (display name, description).
pub const MAX_LANGUAGES: usize = 64;
/// Descriptions, per language.
pub const MAX_DESCRIPTION_CHARS: usize = 10_000;
/// Prompts and instructions (`instructions.general`, `template_prompt`, each `role`/`goal`/
/// `prompts` item, graph item instructions).
pub const MAX_PROMPT_CHARS: usize = 100_000;
/// Icons (a font-awesome class, an emoji, a short URL).
pub const MAX_ICON_CHARS: usize = 256;
/// Each free JSON text field (`*_json`: `extra_json`, `oas_json`, schemas, ...).
pub const MAX_JSON_BYTES: usize = 256 * 1024;
/// Tags of an agent.
pub const MAX_TAGS: usize = 100;
/// Characters of one tag, scope, event name or other short list item.
pub const MAX_ITEM_CHARS: usize = 256;
/// Attachments of an agent per kind: tools, MCP servers, knowledge bases, collaborations.
pub const MAX_ATTACHMENTS: usize = 100;
/// Items of an agent's `graph`.
pub const MAX_GRAPH_ITEMS: usize = 200;
/// Items of any other list of a resource (triggers, source nodes, scopes, prompts, roles,
/// goals, events, operations, MCP server tools, ...).
pub const MAX_LIST_ITEMS: usize = 200;
/// Entries of a map (headers, environment variables, extra headers).
pub const MAX_MAP_ENTRIES: usize = 100;
/// A secret's value.
pub const MAX_SECRET_BYTES: usize = 16 * 1024;
/// A document's `content_type`.
pub const MAX_CONTENT_TYPE_CHARS: usize = 255;

/// How large and how many documents may be: configurable, enforced wherever documents are
/// written (create, update, upload, bundle and template imports) and checked by exports, so
/// that whatever an export produces an import of the same version accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentLimits {
    /// Largest document content, in bytes.
    pub max_bytes: u64,
    /// Most documents one knowledge base may hold.
    pub max_per_knowledge_base: usize,
}

impl Default for DocumentLimits {
    fn default() -> Self {
        Self { max_bytes: 256 * 1024 * 1024, max_per_knowledge_base: 1000 }
    }
}

/// The largest page that must fit (per item: the resource plus its field tag and length prefix
/// in the List response) fits a default 16 MiB message; checked when the crate compiles.
const _: () = assert!(PAGES_THAT_ALWAYS_FIT * (MAX_RESOURCE_BYTES + 16) + 4096 < 16 * 1024 * 1024);
