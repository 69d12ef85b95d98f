//! Entry points of the fuzz targets in `fuzz/` (cargo-fuzz, libFuzzer): each hands arbitrary
//! bytes to one parser that reads what callers send, the way the service would, and must
//! return, never panic, whatever the input. `tests/fuzz_corpus.rs` replays every saved input
//! (the seed corpora and every crash found) through the same functions in the normal suite.

use sea_orm::{DatabaseBackend, EntityTrait, QueryFilter, QueryTrait};

use crate::domain::query::{JOB_FIELDS, parse, parse_sort};
use crate::domain::reflect::descriptor;
use crate::proto::Agent;

/// A fuzz target: its name and the function that takes one input.
pub type Target = (&'static str, fn(&[u8]));

/// The targets, by the name of their directory under `fuzz/corpus/`.
pub const TARGETS: &[Target] = &[
    ("q", q),
    ("filter", filter),
    ("bundle", bundle),
    ("agent_definition", agent_definition),
    ("emporix_patch", emporix_patch),
    ("emporix_body", emporix_body),
    ("xpander_body", xpander_body),
];

/// A jobs `q` and `sort`, and the SQL compiled from the query for both stores.
pub fn q(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(query) = parse(text, JOB_FIELDS) {
        for backend in [DatabaseBackend::Sqlite, DatabaseBackend::Postgres] {
            let condition = crate::store::query_sql::job_condition(&query, backend);
            let _ = crate::store::entity::job::Entity::find().filter(condition).build(backend).to_string();
        }
    }
    let _ = parse_sort(text, JOB_FIELDS);
}

/// A list `filter` on agents.
pub fn filter(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = crate::domain::filter::parse(&descriptor::<Agent>(), text);
}

/// A bundle's decoded bytes as an import reads them, the rules each entity must pass, and the
/// bundle written again.
pub fn bundle(data: &[u8]) {
    use crate::domain::bundle::{decode_partial, encode, rules};
    use crate::domain::resource::Resource;
    let Ok((bundle, _)) = decode_partial(data) else { return };
    for entry in &bundle.agents {
        let _ = (rules::agent(&entry.value), entry.value.violations());
    }
    for entry in &bundle.tools {
        let _ = (rules::tool(&entry.value), entry.value.violations());
    }
    for entry in &bundle.mcp_servers {
        let _ = (rules::mcp_server(&entry.value), entry.value.violations());
    }
    let _ = encode(&bundle);
}

/// An xpander `agent_definition`, as a template import reads it.
pub fn agent_definition(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    if let Ok(tree) = crate::domain::template::decode_definition(&value) {
        let _ = crate::domain::template::encode_definition(&tree);
    }
}

/// An Emporix PATCH operation array applied to an agent, a tool and an MCP server.
pub fn emporix_patch(data: &[u8]) {
    crate::rest::emporix::fuzz_entry::patch_body(data);
}

/// An Emporix PUT body read as a new agent, tool, MCP server and token.
pub fn emporix_body(data: &[u8]) {
    crate::rest::emporix::fuzz_entry::resource_body(data);
}

/// An xpander agent body, as `POST /v1/agents` and `PATCH /v1/agents/{id}` read it.
pub fn xpander_body(data: &[u8]) {
    crate::rest::xpander::fuzz_entry::agent_body(data);
}

/// Resources the targets start from.
pub mod samples {
    use crate::proto::{Agent, Instructions, LlmConfig, McpServer, SlackToolConfig, Tool, tool};

    pub fn agent() -> Agent {
        Agent {
            display_name: [("en".to_owned(), "Product created".to_owned())].into(),
            description: [("en".to_owned(), "Handles new products".to_owned())].into(),
            category: "generic".into(),
            tags: vec!["catalog".into()],
            instructions: Some(Instructions { general: "You handle product creation.".into(), ..Default::default() }),
            llm: Some(LlmConfig {
                provider: "anthropic".into(),
                model: "claude-3-5-haiku-20241022".into(),
                temperature: Some(0.1),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    pub fn tool() -> Tool {
        Tool {
            display_name: "Slack".into(),
            r#type: "slack".into(),
            config: Some(tool::Config::Slack(SlackToolConfig { team_id: "T1".into(), ..Default::default() })),
            ..Default::default()
        }
    }

    pub fn mcp_server() -> McpServer {
        McpServer {
            display_name: "Catalog".into(),
            r#type: "custom".into(),
            url: "https://mcp.example.com".into(),
            ..Default::default()
        }
    }
}
