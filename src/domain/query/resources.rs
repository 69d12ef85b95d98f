//! Agents, tools, MCP servers and tokens as Emporix `q` and `sort` see them: each field under
//! its Emporix name, and where the row or the stored document (the resource's proto3 JSON:
//! lowerCamel names, every non-optional field written) holds it. `store::doc_query_sql`
//! compiles conditions on these sources for both stores.
//!
//! "Missing" follows the Emporix JSON: a key the dialect leaves out (an empty string, an unset
//! optional, an empty map or list) is missing; `null` means the same, `exists` the opposite.

use super::{FieldKind, FieldSpec};
use crate::domain::names::ResourceKind;

/// A value the row holds beside the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowColumn {
    Id,
    Revision,
    CreateTime,
    UpdateTime,
}

/// A JSON path into the stored document, key by key.
pub type Path = &'static [&'static str];

/// Where a field's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Row(RowColumn),
    /// The first of `paths` that holds a value (the cases of a oneof that share an Emporix
    /// key). With `blank_is_missing`, an empty string is no value: the dialect leaves it out.
    Scalar {
        paths: &'static [Path],
        blank_is_missing: bool,
    },
    /// The value under the queried key of the string map at `path` (`name.en`).
    MapKey {
        path: Path,
    },
    /// Any value of the string map at `path` (a localized text, in any language).
    AnyMapValue {
        path: Path,
    },
    /// Any element of the array at `path`: the element itself, or its `key` for objects.
    AnyElement {
        path: Path,
        key: Option<&'static str>,
    },
    /// A boolean shown for an enum: true when the text at `path` is `on`, false when it is one
    /// of `off`, missing otherwise (an agent's `enabled`, from its `status`).
    Flag {
        path: Path,
        on: &'static str,
        off: &'static [&'static str],
    },
}

/// One queryable field: what the parser checks, and where the store reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocField {
    pub spec: FieldSpec,
    pub source: Source,
}

const fn field(name: &'static str, kind: FieldKind, nullable: bool, sortable: bool, source: Source) -> DocField {
    DocField { spec: FieldSpec { name, kind, nullable, sortable }, source }
}

const fn row(name: &'static str, kind: FieldKind, column: RowColumn) -> DocField {
    field(name, kind, false, true, Source::Row(column))
}

/// Text the dialect shows only when it is not empty.
const fn text(name: &'static str, paths: &'static [Path], sortable: bool) -> DocField {
    field(name, FieldKind::Text, true, sortable, Source::Scalar { paths, blank_is_missing: true })
}

/// A number or boolean, shown whenever it is set (`nullable`: an optional field).
const fn value(name: &'static str, kind: FieldKind, path: &'static [Path], nullable: bool) -> DocField {
    field(name, kind, nullable, true, Source::Scalar { paths: path, blank_is_missing: false })
}

/// Any element of a list (or its `key`), which matches when one element does.
const fn any(name: &'static str, path: Path, key: Option<&'static str>) -> DocField {
    field(name, FieldKind::Text, true, false, Source::AnyElement { path, key })
}

const ID: DocField = row("id", FieldKind::Text, RowColumn::Id);
const VERSION: DocField = row("metadata.version", FieldKind::Integer, RowColumn::Revision);
const CREATED: DocField = row("metadata.createdAt", FieldKind::Timestamp, RowColumn::CreateTime);
const MODIFIED: DocField = row("metadata.modifiedAt", FieldKind::Timestamp, RowColumn::UpdateTime);

/// Agent `q`/`sort` fields (Emporix `AgentResponse` names).
pub const AGENT_FIELDS: &[DocField] = &[
    ID,
    field("name", FieldKind::Text, true, false, Source::AnyMapValue { path: &["displayName"] }),
    field("name.*", FieldKind::Text, true, true, Source::MapKey { path: &["displayName"] }),
    field("description", FieldKind::Text, true, false, Source::AnyMapValue { path: &["description"] }),
    field("description.*", FieldKind::Text, true, true, Source::MapKey { path: &["description"] }),
    text("type", &[&["category"]], true),
    field(
        "enabled",
        FieldKind::Bool,
        true,
        true,
        Source::Flag {
            path: &["status"],
            on: "AGENT_STATUS_ACTIVE",
            off: &["AGENT_STATUS_INACTIVE", "AGENT_STATUS_DRAFT"],
        },
    ),
    // Shown whenever the agent has instructions, even empty ones.
    field(
        "userPrompt",
        FieldKind::Text,
        true,
        false,
        Source::Scalar { paths: &[&["instructions", "general"]], blank_is_missing: false },
    ),
    text("templatePrompt", &[&["templatePrompt"]], false),
    text("outputFormat", &[&["outputSchemaJson"]], false),
    text("icon", &[&["icon"]], true),
    any("tags", &["tags"], None),
    any("requiredScopes", &["requiredScopes"], None),
    any("triggers.type", &["triggers"], Some("type")),
    text("llmConfig.model", &[&["llm", "model"]], true),
    text("llmConfig.provider", &[&["llm", "provider"]], true),
    value("llmConfig.temperature", FieldKind::Decimal, &[&["llm", "temperature"]], true),
    value("llmConfig.maxTokens", FieldKind::Integer, &[&["llm", "maxTokens"]], true),
    text("llmConfig.token.id", &[&["llm", "tokenId"]], true),
    any("mcpServers.type", &["mcpServers"], Some("type")),
    any("mcpServers.domain", &["mcpServers"], Some("domain")),
    any("mcpServers.mcpServer.id", &["mcpServers"], Some("mcpServerId")),
    any("nativeTools.id", &["tools"], Some("toolId")),
    any("agentCollaborations.agentId", &["collaborations"], Some("agentId")),
    value("maxRecursionLimit", FieldKind::Integer, &[&["maxRecursionLimit"]], true),
    value("enableMemory", FieldKind::Bool, &[&["enableMemory"]], true),
    value("handOff", FieldKind::Bool, &[&["handOff"]], true),
    VERSION,
    CREATED,
    MODIFIED,
];

/// Tool `q`/`sort` fields; `config.*` keys read whichever config case the tool has.
pub const TOOL_FIELDS: &[DocField] = &[
    ID,
    text("name", &[&["displayName"]], true),
    text("type", &[&["type"]], true),
    value("enabled", FieldKind::Bool, &[&["enabled"]], false),
    text("config.teamId", &[&["slack", "teamId"], &["teams", "teamId"]], true),
    text("config.prompt", &[&["ragCustom", "prompt"], &["ragEmporix", "prompt"]], false),
    text("config.entityType", &[&["ragEmporix", "entityType"]], true),
    VERSION,
    CREATED,
    MODIFIED,
];

/// MCP server `q`/`sort` fields.
pub const MCP_SERVER_FIELDS: &[DocField] = &[
    ID,
    text("name", &[&["displayName"]], true),
    text("type", &[&["type"]], true),
    value("enabled", FieldKind::Bool, &[&["enabled"]], false),
    text("transport", &[&["transport"]], true),
    text("config.url", &[&["url"]], true),
    text("config.authorizationHeaderName", &[&["authorizationHeaderName"]], true),
    text("config.authorizationHeaderToken.id", &[&["authorizationHeaderTokenId"]], true),
    any("tools.name", &["tools"], Some("name")),
    VERSION,
    CREATED,
    MODIFIED,
];

/// Token `q`/`sort` fields (the value is write-only: never a field).
pub const TOKEN_FIELDS: &[DocField] = &[ID, text("name", &[&["displayName"]], true), VERSION, CREATED, MODIFIED];

/// The Emporix fields of a kind, for the kinds the dialect lists.
pub fn fields_of(kind: ResourceKind) -> Option<&'static [DocField]> {
    match kind {
        ResourceKind::Agent => Some(AGENT_FIELDS),
        ResourceKind::Tool => Some(TOOL_FIELDS),
        ResourceKind::McpServer => Some(MCP_SERVER_FIELDS),
        ResourceKind::Secret => Some(TOKEN_FIELDS),
        _ => None,
    }
}

/// What the parser checks, in the table's order.
pub fn specs(fields: &[DocField]) -> Vec<FieldSpec> {
    fields.iter().map(|f| f.spec).collect()
}

/// The source of a field named by a parsed condition or sort key.
pub fn source(fields: &[DocField], name: &str) -> Option<Source> {
    fields.iter().find(|f| f.spec.name == name).map(|f| f.source)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_wildcards_are_maps() {
        for fields in [AGENT_FIELDS, TOOL_FIELDS, MCP_SERVER_FIELDS, TOKEN_FIELDS] {
            let mut names: Vec<_> = fields.iter().map(|f| f.spec.name).collect();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), fields.len());
            for f in fields {
                let wildcard = f.spec.name.ends_with(".*");
                assert_eq!(wildcard, matches!(f.source, Source::MapKey { .. }), "{}", f.spec.name);
                if matches!(f.source, Source::AnyElement { .. } | Source::AnyMapValue { .. }) {
                    assert!(!f.spec.sortable, "{} has many values: not sortable", f.spec.name);
                }
            }
        }
    }
}
