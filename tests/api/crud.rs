//! Create, get, list, update and delete of every resource kind.

use agentport::proto::*;
use prost_types::FieldMask;
use tonic::Code;

use crate::fixtures::full_document;
pub use crate::fixtures::sample_agent;
use crate::helpers::{expect_error, spawn_app};

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask { paths: paths.iter().map(|p| p.to_string()).collect() })
}

#[tokio::test]
async fn agent_crud_round_trips_every_field() {
    let mut app = spawn_app().await;
    let input = sample_agent();
    let created = app
        .agents
        .create_agent(CreateAgentRequest {
            parent: "tenants/acme".into(),
            agent_id: "product-created".into(),
            agent: Some(input.clone()),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(created.name, "tenants/acme/agents/product-created");
    assert_eq!(created.revision, 1);
    assert!(!created.etag.is_empty());
    assert!(created.create_time.is_some() && created.update_time.is_some());
    let mut expected = input.clone();
    expected.name = created.name.clone();
    expected.revision = created.revision;
    expected.etag = created.etag.clone();
    expected.create_time = created.create_time;
    expected.update_time = created.update_time;
    assert_eq!(created, expected, "create returns exactly what was stored");

    let got = app.agents.get_agent(GetAgentRequest { name: created.name.clone() }).await.unwrap().into_inner();
    assert_eq!(got, created);

    let listed = app
        .agents
        .list_agents(ListAgentsRequest { parent: "tenants/acme".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.agents, vec![created.clone()]);
    assert!(listed.next_page_token.is_empty());

    let updated = app
        .agents
        .update_agent(UpdateAgentRequest {
            agent: Some(Agent {
                name: created.name.clone(),
                icon: "cart".into(),
                etag: created.etag.clone(),
                ..Default::default()
            }),
            update_mask: mask(&["icon"]),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(updated.icon, "cart");
    assert_eq!(updated.revision, 2);
    assert_ne!(updated.etag, created.etag);
    assert_eq!(updated.display_name, created.display_name, "unmasked fields stay");
    assert_eq!(updated.llm, created.llm);
    assert_eq!(updated.create_time, created.create_time);

    app.agents
        .delete_agent(DeleteAgentRequest { name: created.name.clone(), etag: updated.etag.clone(), force: false })
        .await
        .unwrap();
    expect_error(
        app.agents.get_agent(GetAgentRequest { name: created.name.clone() }).await,
        Code::NotFound,
        "RESOURCE_NOT_FOUND",
    );
    expect_error(
        app.agents.delete_agent(DeleteAgentRequest { name: created.name, etag: String::new(), force: false }).await,
        Code::NotFound,
        "RESOURCE_NOT_FOUND",
    );
}

#[tokio::test]
async fn service_mints_lowercase_ids_when_none_is_given() {
    let mut app = spawn_app().await;
    let created = app
        .agents
        .create_agent(CreateAgentRequest {
            parent: "tenants/acme".into(),
            agent_id: String::new(),
            agent: Some(sample_agent()),
        })
        .await
        .unwrap()
        .into_inner();
    let id = created.name.rsplit('/').next().unwrap();
    assert_eq!(id.len(), 36);
    assert_eq!(id, id.to_lowercase());
    app.agents.get_agent(GetAgentRequest { name: created.name }).await.unwrap();
}

#[tokio::test]
async fn update_without_mask_replaces_set_fields_and_star_replaces_all() {
    let mut app = spawn_app().await;
    let created = app
        .agents
        .create_agent(CreateAgentRequest {
            parent: "tenants/t".into(),
            agent_id: "a1".into(),
            agent: Some(sample_agent()),
        })
        .await
        .unwrap()
        .into_inner();
    let implied = app
        .agents
        .update_agent(UpdateAgentRequest {
            agent: Some(Agent { name: created.name.clone(), category: "complaint".into(), ..Default::default() }),
            update_mask: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((implied.category.as_str(), implied.icon.as_str()), ("complaint", "robot"));

    let replaced = app
        .agents
        .update_agent(UpdateAgentRequest {
            agent: Some(Agent {
                name: created.name.clone(),
                display_name: [("en".to_owned(), "Only name".to_owned())].into(),
                ..Default::default()
            }),
            update_mask: mask(&["*"]),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(replaced.icon, "");
    assert!(replaced.llm.is_none());
    assert_eq!(replaced.revision, 3);
}

#[tokio::test]
async fn tool_mcp_server_and_secret_crud() {
    let mut app = spawn_app().await;
    let parent = "tenants/acme".to_owned();

    let tool = app
        .agents
        .create_tool(CreateToolRequest {
            parent: parent.clone(),
            tool_id: "rag-products".into(),
            tool: Some(Tool {
                display_name: "Products RAG".into(),
                enabled: true,
                config: Some(tool::Config::RagEmporix(RagEmporixToolConfig {
                    prompt: "Find products".into(),
                    entity_type: "PRODUCT".into(),
                    indexed_fields: vec![IndexedField { name: "Name".into(), key: "name".into() }],
                    ..Default::default()
                })),
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(tool.r#type, "rag_emporix", "type follows the config case");
    let got = app.agents.get_tool(GetToolRequest { name: tool.name.clone() }).await.unwrap().into_inner();
    assert_eq!(got, tool);
    let updated = app
        .agents
        .update_tool(UpdateToolRequest {
            tool: Some(Tool { name: tool.name.clone(), enabled: false, ..Default::default() }),
            update_mask: mask(&["enabled"]),
            force: false,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!updated.enabled);
    assert_eq!(updated.config, tool.config);
    let listed = app
        .agents
        .list_tools(ListToolsRequest { parent: parent.clone(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.tools, vec![updated.clone()]);
    app.agents
        .delete_tool(DeleteToolRequest { name: tool.name.clone(), etag: String::new(), force: false })
        .await
        .unwrap();
    expect_error(app.agents.get_tool(GetToolRequest { name: tool.name }).await, Code::NotFound, "RESOURCE_NOT_FOUND");

    let server = app
        .agents
        .create_mcp_server(CreateMcpServerRequest {
            parent: parent.clone(),
            mcp_server_id: "mcp-custom".into(),
            mcp_server: Some(McpServer {
                display_name: "Custom MCP Server".into(),
                r#type: "custom".into(),
                enabled: true,
                transport: "streamable_http".into(),
                url: "http://localhost:7900/mcp".into(),
                authorization_header_name: "Authorization".into(),
                authorization_header_token_id: "token-id".into(),
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(server.name, "tenants/acme/mcpServers/mcp-custom");
    let got = app.agents.get_mcp_server(GetMcpServerRequest { name: server.name.clone() }).await.unwrap().into_inner();
    assert_eq!(got, server);
    let updated = app
        .agents
        .update_mcp_server(UpdateMcpServerRequest {
            mcp_server: Some(McpServer { name: server.name.clone(), transport: "sse".into(), ..Default::default() }),
            update_mask: mask(&["transport"]),
            force: false,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((updated.transport.as_str(), updated.url.as_str()), ("sse", "http://localhost:7900/mcp"));
    let listed = app
        .agents
        .list_mcp_servers(ListMcpServersRequest { parent: parent.clone(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.mcp_servers, vec![updated]);
    app.agents
        .delete_mcp_server(DeleteMcpServerRequest { name: server.name.clone(), etag: String::new(), force: false })
        .await
        .unwrap();
    expect_error(
        app.agents.get_mcp_server(GetMcpServerRequest { name: server.name }).await,
        Code::NotFound,
        "RESOURCE_NOT_FOUND",
    );

    let secret = app
        .agents
        .create_secret(CreateSecretRequest {
            parent: parent.clone(),
            secret_id: "openai".into(),
            secret: Some(Secret {
                display_name: "OpenAI key".into(),
                value: "sk-crud-test".into(),
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((secret.display_name.as_str(), secret.value.as_str()), ("OpenAI key", ""));
    let renamed = app
        .agents
        .update_secret(UpdateSecretRequest {
            secret: Some(Secret { name: secret.name.clone(), display_name: "OpenAI".into(), ..Default::default() }),
            update_mask: mask(&["display_name"]),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(renamed.display_name, "OpenAI");
    let listed = app
        .agents
        .list_secrets(ListSecretsRequest { parent: parent.clone(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.secrets, vec![renamed.clone()]);
    app.agents
        .delete_secret(DeleteSecretRequest { name: secret.name.clone(), etag: renamed.etag, force: false })
        .await
        .unwrap();
    expect_error(
        app.agents.get_secret(GetSecretRequest { name: secret.name }).await,
        Code::NotFound,
        "RESOURCE_NOT_FOUND",
    );
}

#[tokio::test]
async fn knowledge_base_with_documents_crud_and_cascade() {
    let mut app = spawn_app().await;
    let kb = app
        .agents
        .create_knowledge_base(CreateKnowledgeBaseRequest {
            parent: "tenants/acme".into(),
            knowledge_base_id: "product-docs".into(),
            knowledge_base: Some(KnowledgeBase {
                display_name: "Product Documentation".into(),
                description: "Guides and FAQs".into(),
                r#type: "managed".into(),
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(kb.total_documents, 0);

    let mut docs = Vec::new();
    for i in 0..3 {
        docs.push(
            app.agents
                .create_document(CreateDocumentRequest {
                    parent: kb.name.clone(),
                    document_id: format!("doc-{i}"),
                    document: Some(Document {
                        display_name: format!("FAQ {i}"),
                        url: format!("https://example.com/faq-{i}.md"),
                        content: format!("Question {i}? Answer {i}."),
                        ..Default::default()
                    }),
                })
                .await
                .unwrap()
                .into_inner(),
        );
    }
    assert_eq!(docs[0].name, "tenants/acme/knowledgeBases/product-docs/documents/doc-0");
    let got =
        app.agents.get_knowledge_base(GetKnowledgeBaseRequest { name: kb.name.clone() }).await.unwrap().into_inner();
    assert_eq!(got.total_documents, 3);

    let doc = app.agents.get_document(full_document(&docs[1].name)).await.unwrap().into_inner();
    assert_eq!(doc.content, "Question 1? Answer 1.");
    let edited = app
        .agents
        .update_document(UpdateDocumentRequest {
            document: Some(Document { name: doc.name.clone(), content: "New answer".into(), ..Default::default() }),
            update_mask: mask(&["content"]),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((edited.size_bytes, edited.display_name.as_str()), (10, "FAQ 1"));
    let edited = app.agents.get_document(full_document(&doc.name)).await.unwrap().into_inner();
    assert_eq!(edited.content, "New answer");
    let listed = app
        .agents
        .list_documents(ListDocumentsRequest { parent: kb.name.clone(), page_size: 2, ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.documents.len(), 2);
    assert!(!listed.next_page_token.is_empty());

    let renamed = app
        .agents
        .update_knowledge_base(UpdateKnowledgeBaseRequest {
            knowledge_base: Some(KnowledgeBase {
                name: kb.name.clone(),
                display_name: "Docs".into(),
                ..Default::default()
            }),
            update_mask: mask(&["display_name"]),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((renamed.display_name.as_str(), renamed.total_documents), ("Docs", 3));
    let kbs = app
        .agents
        .list_knowledge_bases(ListKnowledgeBasesRequest { parent: "tenants/acme".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(kbs.knowledge_bases, vec![renamed]);

    app.agents
        .delete_document(DeleteDocumentRequest { name: docs[0].name.clone(), etag: String::new() })
        .await
        .unwrap();
    let got =
        app.agents.get_knowledge_base(GetKnowledgeBaseRequest { name: kb.name.clone() }).await.unwrap().into_inner();
    assert_eq!(got.total_documents, 2);

    app.agents
        .delete_knowledge_base(DeleteKnowledgeBaseRequest { name: kb.name.clone(), etag: String::new(), force: false })
        .await
        .unwrap();
    expect_error(app.agents.get_document(full_document(&docs[2].name)).await, Code::NotFound, "RESOURCE_NOT_FOUND");

    // A document needs an existing knowledge base; recreating the base does not resurrect documents.
    expect_error(
        app.agents
            .create_document(CreateDocumentRequest {
                parent: kb.name.clone(),
                document_id: "orphan".into(),
                document: Some(Document { display_name: "x".into(), ..Default::default() }),
            })
            .await,
        Code::NotFound,
        "RESOURCE_NOT_FOUND",
    );
}
