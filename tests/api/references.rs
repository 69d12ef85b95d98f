//! Deleting something others use: refused with the referrers named, or, with `force`, the
//! references removed and the referrers disabled in one transaction.

use agentport::proto::*;
use tonic::Code;

use crate::crud::sample_agent;
use crate::helpers::{TestApp, expect_error, spawn_app};

async fn seed(app: &mut TestApp) {
    let parent = "tenants/acme".to_owned();
    app.agents
        .create_secret(CreateSecretRequest {
            parent: parent.clone(),
            secret_id: "openai".into(),
            secret: Some(Secret { display_name: "openai".into(), value: "sk-1".into(), ..Default::default() }),
        })
        .await
        .unwrap();
    let rag = Tool {
        display_name: "RAG".into(),
        enabled: true,
        config: Some(tool::Config::RagEmporix(RagEmporixToolConfig {
            prompt: "p".into(),
            embedding: Some(EmbeddingConfig {
                provider: "openai".into(),
                token_id: "openai".into(),
                ..Default::default()
            }),
            ..Default::default()
        })),
        ..Default::default()
    };
    app.agents
        .create_tool(CreateToolRequest { parent: parent.clone(), tool_id: "rag".into(), tool: Some(rag) })
        .await
        .unwrap();
    let mut helper = sample_agent();
    helper.status = AgentStatus::Active as i32;
    helper.llm.as_mut().unwrap().token_id = "other-token".into();
    app.agents
        .create_agent(CreateAgentRequest { parent: parent.clone(), agent_id: "helper".into(), agent: Some(helper) })
        .await
        .unwrap();
    let mut lead = sample_agent();
    lead.status = AgentStatus::Active as i32;
    lead.llm.as_mut().unwrap().token_id = "openai".into();
    lead.tools = vec![ToolAttachment { tool_id: "rag".into(), ..Default::default() }];
    lead.collaborations = vec![Collaboration { agent_id: "helper".into(), description: "helps".into() }];
    app.agents.create_agent(CreateAgentRequest { parent, agent_id: "lead".into(), agent: Some(lead) }).await.unwrap();
}

async fn agent(app: &mut TestApp, id: &str) -> Agent {
    app.agents.get_agent(GetAgentRequest { name: format!("tenants/acme/agents/{id}") }).await.unwrap().into_inner()
}

#[tokio::test]
async fn a_used_secret_is_refused_then_forced_away_from_its_users() {
    let mut app = spawn_app().await;
    seed(&mut app).await;
    let delete = |force| DeleteSecretRequest { name: "tenants/acme/secrets/openai".into(), etag: String::new(), force };
    let status =
        expect_error(app.agents.delete_secret(delete(false)).await, Code::FailedPrecondition, "RESOURCE_IN_USE");
    assert!(
        status.message().contains("tenants/acme/agents/lead") && status.message().contains("tenants/acme/tools/rag"),
        "{}",
        status.message()
    );
    app.agents.get_secret(GetSecretRequest { name: "tenants/acme/secrets/openai".into() }).await.expect("still there");

    app.agents.delete_secret(delete(true)).await.unwrap();
    expect_error(
        app.agents.get_secret(GetSecretRequest { name: "tenants/acme/secrets/openai".into() }).await,
        Code::NotFound,
        "RESOURCE_NOT_FOUND",
    );
    let lead = agent(&mut app, "lead").await;
    assert_eq!((lead.llm.as_ref().unwrap().token_id.as_str(), lead.status()), ("", AgentStatus::Inactive));
    let rag = app.agents.get_tool(GetToolRequest { name: "tenants/acme/tools/rag".into() }).await.unwrap().into_inner();
    let Some(tool::Config::RagEmporix(config)) = rag.config else { panic!("rag config") };
    assert_eq!((config.embedding.unwrap().token_id.as_str(), rag.enabled), ("", false));
    let helper = agent(&mut app, "helper").await;
    assert_eq!(helper.status(), AgentStatus::Active, "agents that never used the secret are untouched");
}

#[tokio::test]
async fn used_agents_and_tools_are_refused_then_forced() {
    let mut app = spawn_app().await;
    seed(&mut app).await;
    let status = expect_error(
        app.agents
            .delete_agent(DeleteAgentRequest {
                name: "tenants/acme/agents/helper".into(),
                etag: String::new(),
                force: false,
            })
            .await,
        Code::FailedPrecondition,
        "RESOURCE_IN_USE",
    );
    assert!(status.message().contains("tenants/acme/agents/lead"));
    expect_error(
        app.agents
            .delete_tool(DeleteToolRequest { name: "tenants/acme/tools/rag".into(), etag: String::new(), force: false })
            .await,
        Code::FailedPrecondition,
        "RESOURCE_IN_USE",
    );
    app.agents
        .delete_agent(DeleteAgentRequest {
            name: "tenants/acme/agents/helper".into(),
            etag: String::new(),
            force: true,
        })
        .await
        .unwrap();
    app.agents
        .delete_tool(DeleteToolRequest { name: "tenants/acme/tools/rag".into(), etag: String::new(), force: true })
        .await
        .unwrap();
    let lead = agent(&mut app, "lead").await;
    assert!(lead.collaborations.is_empty() && lead.tools.is_empty());
    assert_eq!(lead.status(), AgentStatus::Inactive);
    // Nothing refers to the lead agent: it deletes without force.
    app.agents
        .delete_agent(DeleteAgentRequest { name: "tenants/acme/agents/lead".into(), etag: String::new(), force: false })
        .await
        .unwrap();
}

#[tokio::test]
async fn emporix_clients_are_told_the_delete_is_forceable() {
    let mut app = spawn_app().await;
    seed(&mut app).await;
    let http = reqwest::Client::new();
    let url = format!("http://{}/ai-service/acme/agentic/tokens/openai", app.addr);
    let refused = http.delete(&url).send().await.unwrap();
    assert_eq!(refused.status(), 400);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert!(body["details"].as_array().unwrap().iter().any(|d| d["type"] == "force"), "{body}");
    let forced = http.delete(format!("{url}?force=true")).send().await.unwrap();
    assert_eq!(forced.status(), 204);
    assert_eq!(agent(&mut app, "lead").await.status(), AgentStatus::Inactive);
}

/// Referrers are found through the references index: a refusal names the first 20 and counts
/// the rest; `force` releases every one of them, batch by batch.
#[tokio::test]
async fn many_referrers_are_counted_and_all_released_by_force() {
    let mut app = spawn_app().await;
    let tool = Tool { display_name: "Slack".into(), r#type: "slack".into(), ..Default::default() };
    let parent = "tenants/acme".to_owned();
    app.agents
        .create_tool(CreateToolRequest { parent: parent.clone(), tool_id: "slack".into(), tool: Some(tool) })
        .await
        .unwrap();
    for i in 0..25 {
        let mut user = sample_agent();
        user.tools = vec![ToolAttachment { tool_id: "slack".into(), ..Default::default() }];
        let request =
            CreateAgentRequest { parent: parent.clone(), agent_id: format!("user-{i:02}"), agent: Some(user) };
        app.agents.create_agent(request).await.unwrap();
    }
    // One user lets go by itself: an update drops its reference.
    let mut quitter = agent(&mut app, "user-24").await;
    quitter.tools.clear();
    let request = UpdateAgentRequest {
        agent: Some(quitter),
        update_mask: Some(prost_types::FieldMask { paths: vec!["tools".into()] }),
    };
    app.agents.update_agent(request).await.unwrap();

    let delete = |force| DeleteToolRequest { name: "tenants/acme/tools/slack".into(), etag: String::new(), force };
    let status = expect_error(app.agents.delete_tool(delete(false)).await, Code::FailedPrecondition, "RESOURCE_IN_USE");
    assert!(status.message().contains("tenants/acme/agents/user-00, "), "{}", status.message());
    assert!(status.message().contains("user-19 and 4 more"), "{}", status.message());
    assert!(!status.message().contains("user-24"), "{}", status.message());

    app.agents.delete_tool(delete(true)).await.unwrap();
    for i in [0, 13, 23] {
        let user = agent(&mut app, &format!("user-{i:02}")).await;
        assert!(user.tools.is_empty(), "user-{i:02} let go of the tool");
        assert_eq!(user.status(), AgentStatus::Inactive);
    }
}
