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

#[tokio::test]
async fn a_custom_function_the_graph_calls_is_in_use_and_force_removes_the_graph_item() {
    let mut app = spawn_app().await;
    let function = Tool {
        display_name: "Refund".into(),
        enabled: true,
        config: Some(tool::Config::CustomFunction(CustomFunctionToolConfig {
            source_code: "def run(x): return x".into(),
            ..Default::default()
        })),
        ..Default::default()
    };
    let request =
        CreateToolRequest { parent: "tenants/acme".into(), tool_id: "refund-fn".into(), tool: Some(function) };
    app.agents.create_tool(request).await.unwrap();
    let mut caller = sample_agent();
    caller.status = AgentStatus::Active as i32;
    let call = |item_id: &str| GraphItem {
        item_id: item_id.into(),
        r#type: "tool".into(),
        sub_type: "custom_function".into(),
        ..Default::default()
    };
    // Called from the graph only, not attached as a tool.
    caller.graph = vec![
        call("refund-fn"),
        GraphItem { item_id: "start".into(), r#type: "source_node".into(), ..Default::default() },
    ];
    let request = CreateAgentRequest { parent: "tenants/acme".into(), agent_id: "caller".into(), agent: Some(caller) };
    app.agents.create_agent(request).await.unwrap();

    let delete = |force| DeleteToolRequest { name: "tenants/acme/tools/refund-fn".into(), etag: String::new(), force };
    let status = expect_error(app.agents.delete_tool(delete(false)).await, Code::FailedPrecondition, "RESOURCE_IN_USE");
    assert!(status.message().contains("tenants/acme/agents/caller"), "{}", status.message());
    app.agents.delete_tool(delete(true)).await.unwrap();
    let caller = agent(&mut app, "caller").await;
    assert_eq!(caller.graph.len(), 1, "the call is gone, the rest of the graph stays: {:?}", caller.graph);
    assert_eq!(caller.graph[0].item_id, "start");
    assert_eq!(caller.status(), AgentStatus::Inactive);
}

#[tokio::test]
async fn graph_calls_stored_by_an_earlier_release_count_once_the_service_has_migrated() {
    use migrations::MigratorTrait;
    use sea_orm::ConnectionTrait;
    let database = crate::helpers::TestDatabase::create().await;
    let url = match database.url() {
        url if url.starts_with("sqlite:") => format!("{url}?mode=rwc"),
        url => url.to_owned(),
    };
    let db = sea_orm::Database::connect(&url).await.unwrap();
    // The schema of the release before graph calls were references.
    use migrations::MigrationName;
    let refill = migrations::m20261230_000013_refs_follow_graph_functions::Migration.name().to_owned();
    let before = migrations::Migrator::migrations().iter().position(|m| m.name() == refill).unwrap() as u32;
    migrations::Migrator::up(&db, Some(before)).await.unwrap();
    let rows = [
        ("tool", "refund-fn", r#"{"displayName":"Refund","enabled":true,"customFunction":{"sourceCode":"x"}}"#),
        (
            "agent",
            "caller",
            r#"{"displayName":{"en":"caller"},"graph":[{"itemId":"refund-fn","type":"tool","subType":"custom_function"}]}"#,
        ),
    ];
    for (kind, id, body) in rows {
        let sql = format!(
            "INSERT INTO resources (tenant, kind, parent, id, revision, create_time, update_time, display_name, body) \
             VALUES ('acme', '{kind}', '', '{id}', 1, 1, 1, '{id}', '{body}')"
        );
        db.execute_unprepared(&sql).await.unwrap();
    }
    let _ = db.close().await;

    let mut app = crate::helpers::spawn_app_on(database, |_| {}).await;
    let delete = DeleteToolRequest { name: "tenants/acme/tools/refund-fn".into(), etag: String::new(), force: false };
    let status = expect_error(app.agents.delete_tool(delete).await, Code::FailedPrecondition, "RESOURCE_IN_USE");
    assert!(status.message().contains("tenants/acme/agents/caller"), "{}", status.message());
}
