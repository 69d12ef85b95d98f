//! A bundle of hundreds of agents with their tools, MCP servers and knowledge bases imports
//! whole: every entity, document content and reference lands, under every conflict policy.

use std::collections::{BTreeMap, BTreeSet};

use agentport::proto::*;
use sea_orm::{ConnectionTrait, Database};

use crate::fixtures::{export, import_request, sample_agent};
use crate::helpers::{TestApp, spawn_app_with};

const AGENTS: usize = 300;
const TOOLS: usize = 60;
const SERVERS: usize = 40;
const BASES: usize = 20;
const DOCUMENTS: usize = 2;

/// A source tenant: agents in a ring of collaborations, each using a tool, an MCP server and a
/// knowledge base shared with others, all using a secret the source holds.
async fn seed(app: &mut TestApp, tenant: &str) {
    let parent = format!("tenants/{tenant}");
    let secret = Secret { display_name: "llm".into(), value: "sk-bulk-SECRET".into(), ..Default::default() };
    let request = CreateSecretRequest { parent: parent.clone(), secret_id: "llm-token".into(), secret: Some(secret) };
    app.agents.create_secret(request).await.unwrap();
    for i in 0..TOOLS {
        let tool = Tool {
            display_name: format!("Tool {i}"),
            enabled: true,
            config: Some(tool::Config::RagEmporix(RagEmporixToolConfig {
                prompt: format!("Find things {i}"),
                embedding: Some(EmbeddingConfig {
                    provider: "openai".into(),
                    token_id: "llm-token".into(),
                    ..Default::default()
                }),
                ..Default::default()
            })),
            ..Default::default()
        };
        let request = CreateToolRequest { parent: parent.clone(), tool_id: format!("tool-{i}"), tool: Some(tool) };
        app.agents.create_tool(request).await.unwrap();
    }
    for i in 0..SERVERS {
        let server = McpServer {
            display_name: format!("MCP {i}"),
            r#type: "custom".into(),
            enabled: true,
            transport: "streamable_http".into(),
            url: format!("http://localhost:7900/mcp/{i}"),
            authorization_header_name: "Authorization".into(),
            authorization_header_token_id: "llm-token".into(),
            ..Default::default()
        };
        let request = CreateMcpServerRequest {
            parent: parent.clone(),
            mcp_server_id: format!("mcp-{i}"),
            mcp_server: Some(server),
        };
        app.agents.create_mcp_server(request).await.unwrap();
    }
    for i in 0..BASES {
        let kb = KnowledgeBase { display_name: format!("KB {i}"), ..Default::default() };
        let request = CreateKnowledgeBaseRequest {
            parent: parent.clone(),
            knowledge_base_id: format!("kb-{i}"),
            knowledge_base: Some(kb),
        };
        app.agents.create_knowledge_base(request).await.unwrap();
        for j in 0..DOCUMENTS {
            let document =
                Document { display_name: format!("Doc {j}"), content: format!("kb {i} doc {j}"), ..Default::default() };
            let request = CreateDocumentRequest {
                parent: format!("{parent}/knowledgeBases/kb-{i}"),
                document_id: format!("doc-{j}"),
                document: Some(document),
            };
            app.agents.create_document(request).await.unwrap();
        }
    }
    for i in 0..AGENTS {
        let mut agent = sample_agent();
        agent.display_name = [("en".to_owned(), format!("Agent {i}"))].into();
        agent.llm.as_mut().unwrap().token_id = "llm-token".into();
        agent.tools = vec![ToolAttachment { tool_id: format!("tool-{}", i % TOOLS), ..Default::default() }];
        agent.mcp_servers.push(McpServerAttachment {
            r#type: "custom".into(),
            mcp_server_id: format!("mcp-{}", i % SERVERS),
            ..Default::default()
        });
        agent.knowledge_bases =
            vec![KnowledgeBaseAttachment { knowledge_base_id: format!("kb-{}", i % BASES), ..Default::default() }];
        agent.collaborations =
            vec![Collaboration { agent_id: format!("agent-{}", (i + 1) % AGENTS), description: "next".into() }];
        let request = CreateAgentRequest { parent: parent.clone(), agent_id: format!("agent-{i}"), agent: Some(agent) };
        app.agents.create_agent(request).await.unwrap();
    }
}

/// One tenant's rows of a table, read straight from the database.
async fn rows(app: &TestApp, sql: &str, tenant: &str) -> Vec<Vec<String>> {
    let db = Database::connect(app.database.url()).await.unwrap();
    let backend = db.get_database_backend();
    let sql = if backend == sea_orm::DatabaseBackend::Postgres { sql.replace('?', "$1") } else { sql.to_owned() };
    let found = db.query_all_raw(sea_orm::Statement::from_sql_and_values(backend, sql, [tenant.into()])).await.unwrap();
    let _ = db.close().await;
    found.iter().map(|row| (0..).map_while(|i| row.try_get_by_index::<String>(i).ok()).collect()).collect()
}

/// `(kind, id) -> [(to kind, to id)]`: the references the store keeps for a tenant.
async fn references(app: &TestApp, tenant: &str) -> BTreeMap<(String, String), BTreeSet<(String, String)>> {
    let sql = "SELECT from_kind, from_id, to_kind, to_id FROM resource_refs WHERE tenant = ?";
    let mut out: BTreeMap<_, BTreeSet<_>> = BTreeMap::new();
    for row in rows(app, sql, tenant).await {
        out.entry((row[0].clone(), row[1].clone())).or_default().insert((row[2].clone(), row[3].clone()));
    }
    out
}

/// `(kind, parent, id) -> body` of every resource of a tenant but its secrets.
async fn documents(app: &TestApp, tenant: &str) -> BTreeMap<(String, String, String), serde_json::Value> {
    let sql = "SELECT kind, parent, id, body FROM resources WHERE tenant = ? AND kind <> 'secret'";
    let mut out = BTreeMap::new();
    for row in rows(app, sql, tenant).await {
        let mut body: serde_json::Value = serde_json::from_str(&row[3]).unwrap();
        // The documented import changes: states, which the comparison leaves out.
        let object = body.as_object_mut().unwrap();
        object.remove("enabled");
        object.remove("status");
        out.insert((row[0].clone(), row[1].clone(), row[2].clone()), body);
    }
    out
}

async fn content(app: &mut TestApp, tenant: &str, kb: usize, doc: usize) -> String {
    let name = format!("tenants/{tenant}/knowledgeBases/kb-{kb}/documents/doc-{doc}");
    let request = GetDocumentRequest { name, view: DocumentView::Full as i32 };
    app.agents.get_document(request).await.unwrap().into_inner().content
}

#[tokio::test]
async fn hundreds_of_agents_import_with_every_entity_and_reference() {
    let mut app = spawn_app_with(|s| s.max_export_agents = AGENTS).await;
    seed(&mut app, "source").await;
    let ids: Vec<String> = (0..AGENTS).map(|i| format!("agent-{i}")).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let bundle = export(&mut app, "source", &ids).await;

    let imported = app.agents.import_agents(import_request("target", &bundle)).await.unwrap().into_inner();
    assert_eq!(
        imported.message,
        format!("Successfully imported {AGENTS} agents, {TOOLS} tools, and {SERVERS} MCP servers.")
    );
    let summary = imported.summary.unwrap();
    assert_eq!(summary.knowledge_bases.len(), BASES);
    assert!(summary.agents.iter().all(|a| a.state() == ImportState::Disabled && a.source_id.is_empty()));

    // Every resource, with its document, as in the source (up to states); every reference too.
    let source = documents(&app, "source").await;
    let target = documents(&app, "target").await;
    assert_eq!(target.len(), AGENTS + TOOLS + SERVERS + BASES * (1 + DOCUMENTS));
    assert_eq!(target.keys().collect::<Vec<_>>(), source.keys().collect::<Vec<_>>());
    for (key, body) in &target {
        assert_eq!(body, &source[key], "{key:?}");
    }
    let refs = references(&app, "target").await;
    assert_eq!(refs, references(&app, "source").await);
    assert_eq!(refs.len(), AGENTS + TOOLS + SERVERS, "every agent, tool and server refers to something");
    for kb in 0..BASES {
        for doc in 0..DOCUMENTS {
            assert_eq!(content(&mut app, "target", kb, doc).await, format!("kb {kb} doc {doc}"));
        }
    }
    let agent = app.agents.get_agent(GetAgentRequest { name: "tenants/target/agents/agent-7".into() }).await.unwrap();
    assert_eq!(agent.into_inner().status(), AgentStatus::Inactive, "imported agents start disabled");

    // Again with RENAME: every agent gets a new id, and the ring of collaborations follows.
    let request =
        ImportAgentsRequest { conflict_policy: ConflictPolicy::Rename as i32, ..import_request("target", &bundle) };
    let summary = app.agents.import_agents(request).await.unwrap().into_inner().summary.unwrap();
    let renamed: BTreeMap<&str, &str> = summary.agents.iter().map(|a| (a.source_id.as_str(), a.id.as_str())).collect();
    assert_eq!(renamed.len(), AGENTS);
    assert!(summary.tools.iter().all(|t| t.state() == ImportState::Exists));
    let refs = references(&app, "target").await;
    for i in 0..AGENTS {
        let (from, next) =
            (renamed[format!("agent-{i}").as_str()], renamed[format!("agent-{}", (i + 1) % AGENTS).as_str()]);
        assert!(from.starts_with(&format!("agent-{i}--import-")), "{from}");
        let targets = &refs[&("agent".to_owned(), from.to_owned())];
        assert!(targets.contains(&("agent".to_owned(), next.to_owned())), "{from} -> {next}: {targets:?}");
        assert!(targets.contains(&("tool".to_owned(), format!("tool-{}", i % TOOLS))));
    }
    assert_eq!(documents(&app, "target").await.len(), 2 * AGENTS + TOOLS + SERVERS + BASES * (1 + DOCUMENTS));

    // And with OVERWRITE: the original ids are written anew (revision 2), nothing else changes.
    let request =
        ImportAgentsRequest { conflict_policy: ConflictPolicy::Overwrite as i32, ..import_request("target", &bundle) };
    let summary = app.agents.import_agents(request).await.unwrap().into_inner().summary.unwrap();
    assert!(summary.agents.iter().all(|a| a.details.iter().any(|d| d.code() == ImportDetailCode::Overwritten)));
    let revisions =
        rows(&app, "SELECT id, CAST(revision AS TEXT) FROM resources WHERE tenant = ? AND kind = 'agent'", "target")
            .await;
    let original: Vec<_> = revisions.iter().filter(|r| !r[0].contains("--import-")).collect();
    assert_eq!(original.len(), AGENTS);
    assert!(original.iter().all(|r| r[1] == "2"), "{original:?}");
    assert_eq!(references(&app, "target").await, refs, "the overwritten agents refer to the same resources");
    assert_eq!(documents(&app, "target").await.len(), 2 * AGENTS + TOOLS + SERVERS + BASES * (1 + DOCUMENTS));
}
