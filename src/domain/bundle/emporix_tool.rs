//! Tool <-> Emporix native tool (docs/canonical-model.md, "Emporix tool"). The `config` shape
//! follows `type`; the xpander cases (connector, custom function) live in the extension only.

use super::dto::{self, Reference};
use super::extension;
use super::fields::{given, opt, reference, some, some_items, text};
use super::read::set;
use crate::domain::wire::{Check, Field};
use crate::error::ViolationKind;
use crate::proto::tool::Config;
use crate::proto::{EmbeddingConfig, FilterField, IndexedField, RagDatabaseConfig, Tool};

/// The tool types Emporix knows, each with its own `config` shape.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Slack,
    Teams,
    RagCustom,
    RagEmporix,
}

impl Kind {
    fn of_type(tool_type: &str) -> Option<Kind> {
        match tool_type {
            "slack" => Some(Kind::Slack),
            "teams" => Some(Kind::Teams),
            "rag_custom" => Some(Kind::RagCustom),
            "rag_emporix" => Some(Kind::RagEmporix),
            _ => None,
        }
    }

    fn of_config(config: &Config) -> Option<Kind> {
        match config {
            Config::Slack(_) => Some(Kind::Slack),
            Config::Teams(_) => Some(Kind::Teams),
            Config::RagCustom(_) => Some(Kind::RagCustom),
            Config::RagEmporix(_) => Some(Kind::RagEmporix),
            Config::Connector(_) | Config::CustomFunction(_) => None,
        }
    }

    /// The keys of this type's `config`.
    fn keys(self) -> &'static [&'static str] {
        match self {
            Kind::Slack => &["teamId", "botToken", "defaultInboundAgentId", "allowedOperations"],
            Kind::Teams => &["teamId", "tenantId", "defaultInboundAgentId", "allowedOperations"],
            Kind::RagCustom => &["prompt", "maxResults", "databaseConfig", "embeddingConfig"],
            Kind::RagEmporix => &["prompt", "entityType", "indexedFields", "filterFields", "embeddingConfig"],
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Slack => "slack",
            Kind::Teams => "teams",
            Kind::RagCustom => "rag_custom",
            Kind::RagEmporix => "rag_emporix",
        }
    }

    fn empty(self) -> Config {
        match self {
            Kind::Slack => Config::Slack(Default::default()),
            Kind::Teams => Config::Teams(Default::default()),
            Kind::RagCustom => Config::RagCustom(Default::default()),
            Kind::RagEmporix => Config::RagEmporix(Default::default()),
        }
    }
}

pub fn write(id: &str, tool: &Tool) -> dto::Tool {
    let rest = Tool {
        display_name: String::new(),
        r#type: String::new(),
        enabled: false,
        config: residue_config(tool),
        ..tool.clone()
    };
    dto::Tool {
        id: given(id.to_owned()),
        name: given(tool.display_name.clone()),
        kind: text(&tool.r#type),
        enabled: given(tool.enabled),
        config: opt(tool.config.as_ref().and_then(write_config)),
        agentport: opt(extension::write_entity(&rest)),
        metadata: Field::Absent,
    }
}

/// The tool a body describes. A Slack `botToken` is not read: it is write-only and never in a
/// bundle (the REST dialect reads it on its own).
pub fn read(body: dto::Tool, c: &mut Check) -> Tool {
    let mut tool: Tool = extension::read_in(c, body.agentport);
    set(&mut tool.display_name, c.take("name", "display_name", body.name));
    set(&mut tool.r#type, c.take("type", "type", body.kind));
    set(&mut tool.enabled, c.take("enabled", "enabled", body.enabled));
    if let Some(config) = c.take("config", "config", body.config) {
        // The extension names the case when `type` does not; a `config` for a type Emporix
        // does not know is ignored.
        let kind = match &tool.config {
            Some(current) => Kind::of_config(current),
            None => Kind::of_type(&tool.r#type),
        };
        if let Some(kind) = kind {
            let mut current = tool.config.take().unwrap_or_else(|| kind.empty());
            c.within("config", "config", |c| {
                // A key of another type's config would be dropped unread: refused, never stored as `{}`.
                for key in config.keys().iter().filter(|k| !kind.keys().contains(&k.as_ref())) {
                    let why = format!("is not a key of a `{}` tool's config ({})", kind.name(), kind.keys().join(", "));
                    c.push(ViolationKind::Invalid, key, why);
                }
                read_config(&mut current, config, c);
            });
            tool.config = Some(current);
        }
    }
    tool
}

/// The config left for the extension. Every field of the Emporix cases has an Emporix key
/// (Slack's bot token is scrubbed before writing), so only the case itself may be left: kept
/// when `type` does not name it. The round-trip test catches a field added without a key.
fn residue_config(tool: &Tool) -> Option<Config> {
    let config = tool.config.as_ref()?;
    match Kind::of_config(config) {
        None => Some(config.clone()),
        Some(kind) if Kind::of_type(&tool.r#type) == Some(kind) => None,
        Some(kind) => Some(kind.empty()),
    }
}

fn write_config(config: &Config) -> Option<dto::ToolConfig> {
    let out = match config {
        Config::Slack(c) => dto::ToolConfig {
            team_id: text(&c.team_id),
            default_inbound_agent_id: text(&c.default_inbound_agent_id),
            allowed_operations: some(&c.allowed_operations),
            ..Default::default()
        },
        Config::Teams(c) => dto::ToolConfig {
            team_id: text(&c.team_id),
            tenant_id: text(&c.tenant_id),
            default_inbound_agent_id: text(&c.default_inbound_agent_id),
            allowed_operations: some(&c.allowed_operations),
            ..Default::default()
        },
        Config::RagCustom(c) => dto::ToolConfig {
            prompt: text(&c.prompt),
            max_results: opt(c.max_results),
            database_config: opt(c.database.as_ref().map(|db| dto::DatabaseConfig {
                url: text(&db.url),
                kind: text(&db.r#type),
                entity_type: text(&db.entity_type),
                collection_name: text(&db.collection_name),
                token: Reference::to(&db.token_id),
            })),
            embedding_config: opt(c.embedding.as_ref().map(write_embedding)),
            ..Default::default()
        },
        Config::RagEmporix(c) => dto::ToolConfig {
            prompt: text(&c.prompt),
            entity_type: text(&c.entity_type),
            indexed_fields: some_items(
                c.indexed_fields.iter().map(|f| dto::IndexedField { name: text(&f.name), key: text(&f.key) }),
            ),
            filter_fields: some_items(
                c.filter_fields
                    .iter()
                    .map(|f| dto::FilterField { key: text(&f.key), description: text(&f.description) }),
            ),
            embedding_config: opt(c.embedding.as_ref().map(write_embedding)),
            ..Default::default()
        },
        Config::Connector(_) | Config::CustomFunction(_) => return None,
    };
    Some(out)
}

fn read_config(config: &mut Config, body: dto::ToolConfig, c: &mut Check) {
    match config {
        Config::Slack(s) => {
            set(&mut s.team_id, c.take("teamId", "team_id", body.team_id));
            set(
                &mut s.default_inbound_agent_id,
                c.take("defaultInboundAgentId", "default_inbound_agent_id", body.default_inbound_agent_id),
            );
            set(
                &mut s.allowed_operations,
                c.strings("allowedOperations", "allowed_operations", body.allowed_operations),
            );
        }
        Config::Teams(t) => {
            set(&mut t.team_id, c.take("teamId", "team_id", body.team_id));
            set(&mut t.tenant_id, c.take("tenantId", "tenant_id", body.tenant_id));
            set(
                &mut t.default_inbound_agent_id,
                c.take("defaultInboundAgentId", "default_inbound_agent_id", body.default_inbound_agent_id),
            );
            set(
                &mut t.allowed_operations,
                c.strings("allowedOperations", "allowed_operations", body.allowed_operations),
            );
        }
        Config::RagCustom(r) => {
            set(&mut r.prompt, c.take("prompt", "prompt", body.prompt));
            set(&mut r.max_results, c.take("maxResults", "max_results", body.max_results).map(Some));
            if let Some(db) = c.take("databaseConfig", "database", body.database_config) {
                let database = r.database.get_or_insert_with(RagDatabaseConfig::default);
                c.within("databaseConfig", "database", |c| {
                    set(&mut database.url, c.take("url", "url", db.url));
                    set(&mut database.r#type, c.take("type", "type", db.kind));
                    set(&mut database.entity_type, c.take("entityType", "entity_type", db.entity_type));
                    set(&mut database.collection_name, c.take("collectionName", "collection_name", db.collection_name));
                    set(&mut database.token_id, reference(c, "token", db.token));
                });
            }
            read_embedding(c, body.embedding_config, &mut r.embedding);
        }
        Config::RagEmporix(r) => {
            set(&mut r.prompt, c.take("prompt", "prompt", body.prompt));
            set(&mut r.entity_type, c.take("entityType", "entity_type", body.entity_type));
            if let Some(items) = c.take("indexedFields", "indexed_fields", body.indexed_fields) {
                r.indexed_fields = c.items("indexedFields", "indexed_fields", items, |c, f| IndexedField {
                    name: c.take("name", "name", f.name).unwrap_or_default(),
                    key: c.take("key", "key", f.key).unwrap_or_default(),
                });
            }
            if let Some(items) = c.take("filterFields", "filter_fields", body.filter_fields) {
                r.filter_fields = c.items("filterFields", "filter_fields", items, |c, f| FilterField {
                    key: c.take("key", "key", f.key).unwrap_or_default(),
                    description: c.take("description", "description", f.description).unwrap_or_default(),
                });
            }
            read_embedding(c, body.embedding_config, &mut r.embedding);
        }
        Config::Connector(_) | Config::CustomFunction(_) => {}
    }
}

fn write_embedding(embedding: &EmbeddingConfig) -> dto::EmbeddingConfig {
    dto::EmbeddingConfig {
        provider: text(&embedding.provider),
        model: text(&embedding.model),
        dimensions: opt(embedding.dimensions),
        url: text(&embedding.url),
        token: Reference::to(&embedding.token_id),
    }
}

fn read_embedding(c: &mut Check, field: Field<dto::EmbeddingConfig>, embedding: &mut Option<EmbeddingConfig>) {
    let Some(body) = c.take("embeddingConfig", "embedding", field) else {
        return;
    };
    let embedding = embedding.get_or_insert_default();
    c.within("embeddingConfig", "embedding", |c| {
        set(&mut embedding.provider, c.take("provider", "provider", body.provider));
        set(&mut embedding.model, c.take("model", "model", body.model));
        set(&mut embedding.dimensions, c.take("dimensions", "dimensions", body.dimensions).map(Some));
        set(&mut embedding.url, c.take("url", "url", body.url));
        set(&mut embedding.token_id, reference(c, "token", body.token));
    });
}
