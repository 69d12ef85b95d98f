//! Every size limit refuses one past it with INVALID_ARGUMENT naming the field (400 / 422 over
//! REST), accepts one at it, and the largest resources still list ten to a page.

use agentport::proto::*;
use reqwest::StatusCode;
use serde_json::json;
use tonic::Code;

use crate::crud::sample_agent;
use crate::helpers::{TestApp, expect_error, spawn_app, violated_fields};

fn text(chars: usize) -> String {
    "x".repeat(chars)
}

fn texts(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("t{i}")).collect()
}

/// A JSON text of exactly `bytes` bytes.
fn json_text(bytes: usize) -> String {
    format!("\"{}\"", "j".repeat(bytes - 2))
}

/// A distinct two-letter language tag.
fn language(i: usize) -> String {
    let letter = |n: usize| char::from(b'a' + (n % 26) as u8);
    format!("{}{}", letter(i / 26), letter(i))
}

fn map(n: usize) -> std::collections::HashMap<String, String> {
    (0..n).map(|i| (format!("k{i}"), "v".to_owned())).collect()
}

/// (field named, the agent one past the limit, the agent at the limit).
fn agent_cases() -> Vec<(&'static str, Agent, Agent)> {
    let with = |f: &dyn Fn(&mut Agent, usize), over: usize| {
        let (mut past, mut at) = (sample_agent(), sample_agent());
        f(&mut past, over);
        f(&mut at, over - 1);
        (past, at)
    };
    let case = |field: &'static str, f: &dyn Fn(&mut Agent, usize), over: usize| {
        let (past, at) = with(f, over);
        (field, past, at)
    };
    vec![
        case(
            "agent.display_name[\"en\"]",
            &|a, n| {
                a.display_name.insert("en".into(), text(n));
            },
            1025,
        ),
        case("agent.display_name", &|a, n| a.display_name = (0..n).map(|i| (language(i), "x".into())).collect(), 65),
        case(
            "agent.description[\"en\"]",
            &|a, n| {
                a.description.insert("en".into(), text(n));
            },
            10_001,
        ),
        case("agent.icon", &|a, n| a.icon = text(n), 257),
        case("agent.tags", &|a, n| a.tags = texts(n), 101),
        case("agent.tags[0]", &|a, n| a.tags = vec![text(n)], 257),
        case(
            "agent.tools",
            &|a, n| {
                a.tools = (0..n).map(|i| ToolAttachment { tool_id: format!("t{i}"), ..Default::default() }).collect()
            },
            101,
        ),
        case(
            "agent.knowledge_bases",
            &|a, n| {
                a.knowledge_bases = (0..n)
                    .map(|i| KnowledgeBaseAttachment { knowledge_base_id: format!("k{i}"), ..Default::default() })
                    .collect()
            },
            101,
        ),
        case(
            "agent.collaborations",
            &|a, n| {
                a.collaborations =
                    (0..n).map(|i| Collaboration { agent_id: format!("a{i}"), ..Default::default() }).collect()
            },
            101,
        ),
        case(
            "agent.mcp_servers",
            &|a, n| {
                a.mcp_servers = (0..n)
                    .map(|_| McpServerAttachment {
                        r#type: "predefined".into(),
                        domain: "order".into(),
                        ..Default::default()
                    })
                    .collect()
            },
            101,
        ),
        case(
            "agent.graph",
            &|a, n| {
                a.graph = (0..n)
                    .map(|i| GraphItem { id: format!("g{i}"), r#type: "tool".into(), ..Default::default() })
                    .collect()
            },
            201,
        ),
        case("agent.instructions.general", &|a, n| a.instructions.as_mut().unwrap().general = text(n), 100_001),
        case("agent.prompts", &|a, n| a.prompts = texts(n), 201),
        case("agent.extra_json", &|a, n| a.extra_json = format!("{{\"k\":{}}}", json_text(n - 6)), 256 * 1024 + 1),
        case("agent.oas_json", &|a, n| a.oas_json = json_text(n), 256 * 1024 + 1),
        case("agent.llm.extra_headers", &|a, n| a.llm.as_mut().unwrap().extra_headers = map(n), 101),
    ]
}

async fn create(app: &mut TestApp, id: &str, agent: Agent) -> Result<Agent, tonic::Status> {
    let request = CreateAgentRequest { parent: "tenants/acme".into(), agent_id: id.into(), agent: Some(agent) };
    app.agents.create_agent(request).await.map(|r| r.into_inner())
}

#[tokio::test]
async fn every_agent_limit_refuses_one_past_it_naming_the_field() {
    let mut app = spawn_app().await;
    for (i, (field, past, at)) in agent_cases().into_iter().enumerate() {
        let status =
            expect_error(create(&mut app, &format!("past-{i}"), past).await, Code::InvalidArgument, "INVALID_ARGUMENT");
        assert_eq!(violated_fields(&status), [field], "{status:?}");
        create(&mut app, &format!("at-{i}"), at).await.unwrap_or_else(|e| panic!("{field} at its limit: {e:?}"));
    }
}

/// Four JSON fields, each under its own limit, that together pass the resource's size.
fn heavy_agent(each: usize) -> Agent {
    let mut agent = sample_agent();
    agent.oas_json = json_text(each);
    agent.agno_settings_json = json_text(each);
    agent.task_level_strategies_json = json_text(each);
    agent.orchestration_nodes_json = json_text(each);
    agent
}

#[tokio::test]
async fn the_whole_resource_is_bounded_and_ten_of_the_largest_list_on_one_page() {
    let mut app = spawn_app().await;
    let status = expect_error(
        create(&mut app, "huge", heavy_agent(256 * 1024)).await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(violated_fields(&status), ["agent"]);
    assert!(status.message().contains("1048576"), "{}", status.message());

    for i in 0..10 {
        create(&mut app, &format!("big-{i}"), heavy_agent(255 * 1024)).await.unwrap();
    }
    // A client that accepts what the service may send (the default 16 MiB message limit).
    let mut client = agentport::proto::agent_service_client::AgentServiceClient::new(app.channel.clone())
        .max_decoding_message_size(16 * 1024 * 1024);
    let request = ListAgentsRequest { parent: "tenants/acme".into(), page_size: 10, ..Default::default() };
    let page = client.list_agents(request).await.expect("a page of ten of the largest agents fits").into_inner();
    assert_eq!(page.agents.len(), 10);
}

#[tokio::test]
async fn component_limits_refuse_one_past_them() {
    let mut app = spawn_app().await;
    let parent = "tenants/acme".to_owned();
    let tool = Tool {
        display_name: "t".into(),
        r#type: "slack".into(),
        extra_json: format!("{{\"k\":{}}}", json_text(256 * 1024 - 5)),
        ..Default::default()
    };
    let status = expect_error(
        app.agents
            .create_tool(CreateToolRequest { parent: parent.clone(), tool_id: "t".into(), tool: Some(tool) })
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(violated_fields(&status), ["tool.extra_json"]);
    let server = McpServer { display_name: "m".into(), headers: map(101), ..Default::default() };
    let request =
        CreateMcpServerRequest { parent: parent.clone(), mcp_server_id: "m".into(), mcp_server: Some(server) };
    let status = expect_error(app.agents.create_mcp_server(request).await, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violated_fields(&status), ["mcp_server.headers"]);
    let kb = KnowledgeBase { display_name: "k".into(), description: text(10_001), ..Default::default() };
    let request =
        CreateKnowledgeBaseRequest { parent: parent.clone(), knowledge_base_id: "k".into(), knowledge_base: Some(kb) };
    let status =
        expect_error(app.agents.create_knowledge_base(request).await, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violated_fields(&status), ["knowledge_base.description"]);
    let secret = Secret { display_name: "s".into(), value: text(16 * 1024 + 1), ..Default::default() };
    let request = CreateSecretRequest { parent, secret_id: "s".into(), secret: Some(secret) };
    let status = expect_error(app.agents.create_secret(request).await, Code::InvalidArgument, "INVALID_ARGUMENT");
    assert_eq!(violated_fields(&status), ["secret.value"]);
}

#[tokio::test]
async fn rest_dialects_refuse_one_past_a_limit_naming_the_field() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    let tags: Vec<String> = texts(101);
    let body = json!({
        "name": {"en": "Support"}, "userPrompt": "p", "triggers": [{"type": "endpoint"}],
        "llmConfig": {"provider": "openai", "model": "gpt"}, "mcpServers": [], "tags": tags,
    });
    let response = client
        .put(format!("http://{}/ai-service/acme/agentic/agents/support", app.addr))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let error: serde_json::Value = response.json().await.unwrap();
    let details = error["details"].as_array().unwrap();
    assert!(details.iter().any(|d| d["field"].as_str().unwrap().ends_with("tags")), "{error}");
    assert!(error.to_string().contains("at most 100 items"), "{error}");

    let response = client
        .post(format!("http://{}/v1/agents", app.addr))
        .header("x-agentport-tenant", "acme")
        .json(&json!({"name": text(1025)}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let error: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error["detail"][0]["loc"], json!(["body", "name"]), "{error}");
    assert!(error["detail"][0]["msg"].as_str().unwrap().contains("1024"), "{error}");
}
