//! Tool <-> Emporix native tool (docs/canonical-model.md, "Emporix tool"). The `config` shape
//! follows `type`; the xpander cases (connector, custom function) live in the extension only.

use serde_json::Value;

use super::extension;
use super::read::{Obj, Violations, set};
use super::write::Out;
use crate::error::FieldViolation;
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

pub fn write(id: &str, tool: &Tool) -> Value {
    let mut out = Out::new();
    out.put("id", id).put("name", tool.display_name.as_str()).string("type", &tool.r#type).put("enabled", tool.enabled);
    if let Some(config) = tool.config.as_ref().and_then(write_config) {
        out.put("config", config);
    }
    let rest = Tool {
        display_name: String::new(),
        r#type: String::new(),
        enabled: false,
        config: residue_config(tool),
        ..tool.clone()
    };
    out.opt(extension::KEY, extension::write_entity(&rest));
    out.take()
}

pub fn read(object: &Obj, errs: &mut Violations) -> Tool {
    let mut tool: Tool = extension::read(object, errs);
    if let Some(v) = object.string("name", errs) {
        tool.display_name = v;
    }
    if let Some(v) = object.string("type", errs) {
        tool.r#type = v;
    }
    if let Some(v) = object.bool("enabled", errs) {
        tool.enabled = v;
    }
    if let Some(config) = object.object("config", errs) {
        // The extension names the case when `type` does not; a `config` for a type Emporix
        // does not know is ignored.
        let kind = match &tool.config {
            Some(current) => Kind::of_config(current),
            None => Kind::of_type(&tool.r#type),
        };
        if let Some(kind) = kind {
            // A key of another type's config would be dropped unread: refused, never stored as `{}`.
            for key in config.map.keys().filter(|k| !kind.keys().contains(&k.as_str())) {
                errs.push(FieldViolation::new(
                    config.path(key),
                    format!("is not a key of a `{}` tool's config ({})", kind.name(), kind.keys().join(", ")),
                ));
            }
            let mut current = tool.config.take().unwrap_or_else(|| kind.empty());
            read_config(&mut current, &config, errs);
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

fn write_config(config: &Config) -> Option<Value> {
    let mut out = Out::new();
    match config {
        Config::Slack(c) => {
            out.string("teamId", &c.team_id)
                .string("defaultInboundAgentId", &c.default_inbound_agent_id)
                .some("allowedOperations", c.allowed_operations.clone());
        }
        Config::Teams(c) => {
            out.string("teamId", &c.team_id)
                .string("tenantId", &c.tenant_id)
                .string("defaultInboundAgentId", &c.default_inbound_agent_id)
                .some("allowedOperations", c.allowed_operations.clone());
        }
        Config::RagCustom(c) => {
            out.string("prompt", &c.prompt).opt("maxResults", c.max_results);
            if let Some(db) = &c.database {
                let mut database = Out::new();
                database
                    .string("url", &db.url)
                    .string("type", &db.r#type)
                    .string("entityType", &db.entity_type)
                    .string("collectionName", &db.collection_name)
                    .reference("token", &db.token_id);
                out.put("databaseConfig", database);
            }
            out.opt("embeddingConfig", c.embedding.as_ref().map(write_embedding));
        }
        Config::RagEmporix(c) => {
            out.string("prompt", &c.prompt)
                .string("entityType", &c.entity_type)
                .some(
                    "indexedFields",
                    c.indexed_fields.iter().map(|f| Out::new().string("name", &f.name).string("key", &f.key).take()),
                )
                .some(
                    "filterFields",
                    c.filter_fields
                        .iter()
                        .map(|f| Out::new().string("key", &f.key).string("description", &f.description).take()),
                )
                .opt("embeddingConfig", c.embedding.as_ref().map(write_embedding));
        }
        Config::Connector(_) | Config::CustomFunction(_) => return None,
    }
    Some(out.take())
}

fn read_config(config: &mut Config, object: &Obj, errs: &mut Violations) {
    match config {
        Config::Slack(c) => {
            set(&mut c.team_id, object.string("teamId", errs));
            set(&mut c.default_inbound_agent_id, object.string("defaultInboundAgentId", errs));
            set(&mut c.allowed_operations, object.strings("allowedOperations", errs));
        }
        Config::Teams(c) => {
            set(&mut c.team_id, object.string("teamId", errs));
            set(&mut c.tenant_id, object.string("tenantId", errs));
            set(&mut c.default_inbound_agent_id, object.string("defaultInboundAgentId", errs));
            set(&mut c.allowed_operations, object.strings("allowedOperations", errs));
        }
        Config::RagCustom(c) => {
            set(&mut c.prompt, object.string("prompt", errs));
            set(&mut c.max_results, object.i32("maxResults", errs).map(Some));
            if let Some(db) = object.object("databaseConfig", errs) {
                let database = c.database.get_or_insert_with(RagDatabaseConfig::default);
                set(&mut database.url, db.string("url", errs));
                set(&mut database.r#type, db.string("type", errs));
                set(&mut database.entity_type, db.string("entityType", errs));
                set(&mut database.collection_name, db.string("collectionName", errs));
                set(&mut database.token_id, db.reference("token", errs));
            }
            if let Some(e) = object.object("embeddingConfig", errs) {
                read_embedding(c.embedding.get_or_insert_default(), &e, errs);
            }
        }
        Config::RagEmporix(c) => {
            set(&mut c.prompt, object.string("prompt", errs));
            set(&mut c.entity_type, object.string("entityType", errs));
            if let Some(items) = object.objects("indexedFields", errs) {
                c.indexed_fields = items
                    .iter()
                    .map(|f| IndexedField {
                        name: f.string("name", errs).unwrap_or_default(),
                        key: f.string("key", errs).unwrap_or_default(),
                    })
                    .collect();
            }
            if let Some(items) = object.objects("filterFields", errs) {
                c.filter_fields = items
                    .iter()
                    .map(|f| FilterField {
                        key: f.string("key", errs).unwrap_or_default(),
                        description: f.string("description", errs).unwrap_or_default(),
                    })
                    .collect();
            }
            if let Some(e) = object.object("embeddingConfig", errs) {
                read_embedding(c.embedding.get_or_insert_default(), &e, errs);
            }
        }
        Config::Connector(_) | Config::CustomFunction(_) => {}
    }
}

fn write_embedding(embedding: &EmbeddingConfig) -> Value {
    Out::new()
        .string("provider", &embedding.provider)
        .string("model", &embedding.model)
        .opt("dimensions", embedding.dimensions)
        .string("url", &embedding.url)
        .reference("token", &embedding.token_id)
        .take()
}

fn read_embedding(embedding: &mut EmbeddingConfig, object: &Obj, errs: &mut Violations) {
    set(&mut embedding.provider, object.string("provider", errs));
    set(&mut embedding.model, object.string("model", errs));
    set(&mut embedding.dimensions, object.i32("dimensions", errs).map(Some));
    set(&mut embedding.url, object.string("url", errs));
    set(&mut embedding.token_id, object.reference("token", errs));
}
