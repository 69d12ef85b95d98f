//! A realistic source tenant: a chain of collaborating agents with tools of every kind, MCP
//! servers, a knowledge base with documents, and secrets.

use std::time::Duration;

use agentport::proto::job_service_client::JobServiceClient;
use agentport::proto::*;
use tonic::transport::Channel;

use crate::helpers::TestApp;

/// Every secret value the fixture stores anywhere; none may ever leave the service.
pub const SECRET_VALUES: &[&str] = &[
    "sk-openai-SECRET-0001",
    "mcp-header-SECRET-0002",
    "xoxb-slack-SECRET-0003",
    "connector-param-SECRET-0004",
    "graph-mcp-apikey-SECRET-0005",
    "llm-inline-SECRET-0006",
];

fn agent(name: &str, collaborators: &[&str]) -> Agent {
    let mut agent = sample_agent();
    agent.display_name = [("en".to_owned(), name.to_owned())].into();
    agent.status = AgentStatus::Active as i32;
    agent.llm.as_mut().unwrap().token_id = "openai-token".into();
    agent.collaborations = collaborators
        .iter()
        .map(|id| Collaboration { agent_id: id.to_string(), description: format!("hand over to {id}") })
        .collect();
    agent
}

/// The source tenant's Slack tool (not importable: its user creates it by hand, TO_CREATE).
pub fn slack_tool() -> Tool {
    Tool {
        display_name: "Slack Tool".into(),
        enabled: true,
        config: Some(tool::Config::Slack(SlackToolConfig {
            team_id: "T123".into(),
            bot_token: SECRET_VALUES[2].into(),
            ..Default::default()
        })),
        ..Default::default()
    }
}

pub async fn seed_source(app: &mut TestApp, tenant: &str) {
    let parent = format!("tenants/{tenant}");
    for (id, value) in [("openai-token", SECRET_VALUES[0]), ("mcp-token", SECRET_VALUES[1])] {
        app.agents
            .create_secret(CreateSecretRequest {
                parent: parent.clone(),
                secret_id: id.into(),
                secret: Some(Secret { display_name: id.into(), value: value.into(), ..Default::default() }),
            })
            .await
            .unwrap();
    }
    let tools = [
        (
            "rag-products",
            Tool {
                display_name: "Products RAG".into(),
                enabled: true,
                config: Some(tool::Config::RagEmporix(RagEmporixToolConfig {
                    prompt: "Find products".into(),
                    entity_type: "PRODUCT".into(),
                    embedding: Some(EmbeddingConfig {
                        provider: "openai".into(),
                        model: "text-embedding-3-small".into(),
                        dimensions: Some(512),
                        token_id: "openai-token".into(),
                        ..Default::default()
                    }),
                    ..Default::default()
                })),
                ..Default::default()
            },
        ),
        ("slack-tool", slack_tool()),
        (
            "tickets",
            Tool {
                display_name: "Ticket System".into(),
                enabled: true,
                config: Some(tool::Config::Connector(ConnectorToolConfig {
                    open_api_spec_id: "spec-1".into(),
                    general_params: vec![GeneralParam {
                        name: "x-api-key".into(),
                        location: "header".into(),
                        value: SECRET_VALUES[3].into(),
                        ..Default::default()
                    }],
                    operation_ids: vec!["create-ticket".into()],
                    ..Default::default()
                })),
                ..Default::default()
            },
        ),
    ];
    for (id, tool) in tools {
        app.agents
            .create_tool(CreateToolRequest { parent: parent.clone(), tool_id: id.into(), tool: Some(tool) })
            .await
            .unwrap();
    }
    let servers = [
        (
            "mcp-custom",
            McpServer {
                display_name: "Custom MCP Server".into(),
                r#type: "custom".into(),
                enabled: true,
                transport: "streamable_http".into(),
                url: "http://localhost:7900/mcp".into(),
                authorization_header_name: "Authorization".into(),
                authorization_header_token_id: "mcp-token".into(),
                ..Default::default()
            },
        ),
        (
            "mcp-dyn",
            McpServer {
                display_name: "Dynamic prices".into(),
                r#type: "dynamic".into(),
                enabled: true,
                tools: vec![DynamicMcpTool {
                    name: "get-price".into(),
                    prompt: "Get a price".into(),
                    enabled: true,
                    input_schema: "{}".into(),
                    function_id: "fn-price".into(),
                    method: "GET".into(),
                    ..Default::default()
                }],
                ..Default::default()
            },
        ),
    ];
    for (id, server) in servers {
        app.agents
            .create_mcp_server(CreateMcpServerRequest {
                parent: parent.clone(),
                mcp_server_id: id.into(),
                mcp_server: Some(server),
            })
            .await
            .unwrap();
    }
    app.agents
        .create_knowledge_base(CreateKnowledgeBaseRequest {
            parent: parent.clone(),
            knowledge_base_id: "product-docs".into(),
            knowledge_base: Some(KnowledgeBase {
                display_name: "Product Documentation".into(),
                description: "Guides".into(),
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    for i in 0..2 {
        app.agents
            .create_document(CreateDocumentRequest {
                parent: format!("{parent}/knowledgeBases/product-docs"),
                document_id: format!("faq-{i}"),
                document: Some(Document {
                    display_name: format!("FAQ {i}"),
                    content: format!("Answer {i}"),
                    ..Default::default()
                }),
            })
            .await
            .unwrap();
    }

    let mut support = agent("Support", &["billing"]);
    support.tools = ["rag-products", "slack-tool", "tickets"]
        .iter()
        .map(|id| ToolAttachment { tool_id: id.to_string(), ..Default::default() })
        .collect();
    support.mcp_servers = vec![
        McpServerAttachment { r#type: "custom".into(), mcp_server_id: "mcp-custom".into(), ..Default::default() },
        McpServerAttachment { r#type: "dynamic".into(), mcp_server_id: "mcp-dyn".into(), ..Default::default() },
        McpServerAttachment {
            r#type: "predefined".into(),
            domain: "order".into(),
            tools: vec!["get-order".into()],
            ..Default::default()
        },
    ];
    support.knowledge_bases = vec![KnowledgeBaseAttachment {
        knowledge_base_id: "product-docs".into(),
        strategy: "vanilla".into(),
        ..Default::default()
    }];
    support.graph = vec![GraphItem {
        item_id: "remote-mcp".into(),
        r#type: "mcp".into(),
        settings: Some(GraphItemSettings {
            mcp: Some(McpSettings {
                url: "https://mcp.example.com".into(),
                api_key: SECRET_VALUES[4].into(),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }];
    support.llm.as_mut().unwrap().credentials =
        Some(LlmCredentials { name: "inline".into(), value: SECRET_VALUES[5].into(), ..Default::default() });
    let mut billing = agent("Billing", &["refunds"]);
    billing.graph =
        vec![GraphItem { item_id: "audit".into(), r#type: "agent".into(), targets: vec![], ..Default::default() }];
    let agents = [
        ("support", support),
        ("billing", billing),
        ("refunds", agent("Refunds", &[])),
        ("audit", agent("Audit", &[])),
    ];
    for (id, agent) in agents {
        app.agents
            .create_agent(CreateAgentRequest { parent: parent.clone(), agent_id: id.into(), agent: Some(agent) })
            .await
            .unwrap();
    }
}

/// How many agents, tools, MCP servers and knowledge bases a tenant holds.
pub async fn counts(app: &mut TestApp, tenant: &str) -> [usize; 4] {
    let parent = format!("tenants/{tenant}");
    let agents = app
        .agents
        .list_agents(ListAgentsRequest { parent: parent.clone(), ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .agents
        .len();
    let tools = app
        .agents
        .list_tools(ListToolsRequest { parent: parent.clone(), ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .tools
        .len();
    let servers = app
        .agents
        .list_mcp_servers(ListMcpServersRequest { parent: parent.clone(), ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .mcp_servers
        .len();
    let kbs = app
        .agents
        .list_knowledge_bases(ListKnowledgeBasesRequest { parent, ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .knowledge_bases
        .len();
    [agents, tools, servers, kbs]
}

pub async fn export(app: &mut TestApp, tenant: &str, ids: &[&str]) -> ExportAgentsResponse {
    app.agents
        .export_agents(ExportAgentsRequest {
            parent: format!("tenants/{tenant}"),
            agent_ids: ids.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
}

pub fn import_request(tenant: &str, bundle: &ExportAgentsResponse) -> ImportAgentsRequest {
    ImportAgentsRequest {
        parent: format!("tenants/{tenant}"),
        data: bundle.data.clone(),
        checksum: bundle.checksum.clone(),
        ..Default::default()
    }
}

pub fn decoded(data: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(data).unwrap()
}

/// `(state, detail codes)` of the entity with `id` in a summary section.
pub fn state_of(section: &[ImportedEntity], id: &str) -> (ImportState, Vec<ImportDetailCode>) {
    let entity =
        section.iter().find(|e| e.id == id || e.source_id == id).unwrap_or_else(|| panic!("{id} not in {section:?}"));
    (entity.state(), entity.details.iter().map(|d| d.code()).collect())
}

/// A GetDocument request for the document with its content.
pub fn full_document(name: &str) -> GetDocumentRequest {
    GetDocumentRequest { name: name.to_owned(), view: DocumentView::Full as i32 }
}

/// The content of each listed document, read with GetDocument (lists never carry it).
pub async fn document_texts(app: &mut TestApp, documents: &[Document]) -> Vec<String> {
    let mut texts = Vec::new();
    for document in documents {
        texts.push(app.agents.get_document(full_document(&document.name)).await.unwrap().into_inner().content);
    }
    texts
}

pub fn sample_agent() -> Agent {
    Agent {
        display_name: [("en".to_owned(), "Product created".to_owned()), ("de".to_owned(), "Produkt".to_owned())].into(),
        description: [("en".to_owned(), "Handles new products".to_owned())].into(),
        status: AgentStatus::Inactive as i32,
        category: "generic".into(),
        icon: "robot".into(),
        tags: vec!["catalog".into()],
        instructions: Some(Instructions { general: "You handle product creation.".into(), ..Default::default() }),
        triggers: vec![Trigger { r#type: "endpoint".into(), ..Default::default() }],
        llm: Some(LlmConfig {
            provider: "anthropic".into(),
            model: "claude-3-5-haiku-20241022".into(),
            temperature: Some(0.1),
            max_tokens: Some(4000),
            token_id: "anthropic-token".into(),
            ..Default::default()
        }),
        mcp_servers: vec![McpServerAttachment {
            r#type: "predefined".into(),
            domain: "product".into(),
            tools: vec!["get-product".into()],
            ..Default::default()
        }],
        max_recursion_limit: Some(20),
        enable_memory: Some(true),
        ..Default::default()
    }
}

/// Creates agent `id` of `tenant`.
pub async fn create_agent(app: &TestApp, tenant: &str, id: &str, agent: Agent) -> Agent {
    let request = CreateAgentRequest { parent: format!("tenants/{tenant}"), agent_id: id.into(), agent: Some(agent) };
    app.agents.clone().create_agent(request).await.unwrap().into_inner()
}

/// Polls a job until it is no longer in progress.
pub async fn wait_finished(jobs: &mut JobServiceClient<Channel>, name: &str) -> Job {
    for _ in 0..400 {
        let job = jobs.get_job(GetJobRequest { name: name.into(), fields: String::new() }).await.unwrap().into_inner();
        if job.status() != JobStatus::InProgress {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{name} did not finish");
}
